"""The DOCX edition: parse the package's XML parts and check what issue 7 asks for, then (slow)
convert with LibreOffice where no CJK font is installed and check the embedded faces are used."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml
from conftest import CASES, ROOT, require_tool

from pipeline.model import Caption, Document, ListBlock, Meta, Paragraph
from pipeline.settings import Settings
from pipeline.writers import RenderOptions, WriterError
from pipeline.writers.docx import DocxWriter
from pipeline.writers.docx.odttf import deobfuscate, font_guid, obfuscate
from pipeline.writers.docx.styles import _PPR_ORDER, _RPR_ORDER, word_languages

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {
    "w": W,
    "r": R,
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
}
EPOCH = 1700000000  # 2023-11-14T22:13:20Z


def w(name: str) -> str:
    return f"{{{W}}}{name}"


def render(document: Document, **options) -> bytes:
    options.setdefault("source_date_epoch", EPOCH)
    options.setdefault("version", "9.9")
    return DocxWriter().render(document, RenderOptions(**options))


class Package:
    """A rendered DOCX opened as a zip of XML parts."""

    def __init__(self, data: bytes):
        self.data = data
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = self.zip.namelist()

    def xml(self, name: str) -> ET.Element:
        return ET.fromstring(self.zip.read(name))

    def rels(self, name: str) -> dict[str, tuple[str, str]]:
        root = self.xml(name)
        return {r.get("Id"): (r.get("Type"), r.get("Target")) for r in root.findall("rel:Relationship", NS)}

    def style(self, sid: str) -> ET.Element:
        found = self.xml("word/styles.xml").find(f"w:style[@w:styleId='{sid}']", NS)
        assert found is not None, f"style {sid} missing"
        return found


@pytest.fixture
def package(sample_document) -> Package:
    return Package(render(sample_document))


def body_paragraphs(pkg: Package) -> list[tuple[str, str]]:
    """(styleId, text) of each body paragraph, in order."""
    body = pkg.xml("word/document.xml").find("w:body", NS)
    out = []
    for p in body.findall("w:p", NS):
        style = p.find("w:pPr/w:pStyle", NS)
        text = "".join(t.text or "" for t in p.iter(w("t")))
        out.append((style.get(w("val")) if style is not None else "", text))
    return out


# ----------------------------------------------------------------------------- obfuscation


def test_obfuscation_follows_ecma_376_17_8_1():
    guid = "{001B70DC-AA60-4AD5-90EC-18A0948E1EAE}"  # the standard's example
    key = bytes.fromhex("AE1E8E94A018EC90D54A60AADC701B00")  # the GUID's bytes reversed
    data = bytes(range(64))
    out = obfuscate(data, guid)
    assert out[:16] == bytes(a ^ b for a, b in zip(data[:16], key, strict=True))
    assert out[16:32] == bytes(a ^ b for a, b in zip(data[16:32], key, strict=True))
    assert out[32:] == data[32:]
    assert deobfuscate(out, guid) == data


def test_font_guid_is_deterministic_and_well_formed():
    a = font_guid(b"x" * 100)
    assert a == font_guid(b"x" * 100) != font_guid(b"y" * 100)
    assert re.fullmatch(r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}", a)


# ----------------------------------------------------------------------------- languages


@pytest.mark.parametrize("tag, expected", [
    ("zh-Hant", ("en-US", "zh-TW")),
    ("zh-Hant-TW", ("en-US", "zh-TW")),
    ("zh-Hant-HK", ("en-US", "zh-HK")),
    ("zh-HK", ("en-US", "zh-HK")),
    ("zh-Hans", ("en-US", "zh-CN")),
    ("zh-Hans-CN", ("en-US", "zh-CN")),
    ("zh-Hans-SG", ("en-US", "zh-SG")),
    ("en", ("en-US", None)),
    ("en-GB", ("en-GB", None)),
])
def test_word_languages(tag, expected):
    assert word_languages(tag) == expected


# ----------------------------------------------------------------------------- package


def test_python_docx_reopens_it(sample_document):
    import docx

    data = render(sample_document)
    reopened = docx.Document(io.BytesIO(data))
    texts = [p.text for p in reopened.paragraphs]
    assert texts[0] == sample_document.meta.title
    assert "Markup stays literal: <script>alert(1)</script> &amp; ]]> <para> <font> {PAGE}" in texts
    assert reopened.paragraphs[0].style.name == "Title"
    assert reopened.core_properties.title == sample_document.meta.title


def test_no_template_leftovers(package):
    names = set(package.names)
    for leftover in ("docProps/thumbnail.jpeg", "word/theme/theme1.xml", "word/stylesWithEffects.xml",
                     "word/webSettings.xml", "customXml/item1.xml"):
        assert leftover not in names
    assert not any(n.startswith("customXml/") for n in names)
    for name in names:
        blob = package.zip.read(name)
        if name.endswith((".xml", ".rels")):
            assert b"python-docx" not in blob, name
            assert b"2013-12-23" not in blob, name
            assert b"Macintosh" not in blob, name
    styles = package.xml("word/styles.xml")
    assert styles.find("w:latentStyles", NS) is None
    assert len(styles.findall("w:style", NS)) < 30  # only what we use, not the template's 160
    app = package.xml("docProps/app.xml")
    assert app.findtext("{*}Application") == "publish"
    assert app.find("{*}Template") is None
    # every part is reachable and typed
    types = package.xml("[Content_Types].xml")
    overrides = {o.get("PartName").lstrip("/") for o in types.findall("ct:Override", NS)}
    defaults = {d.get("Extension") for d in types.findall("ct:Default", NS)}
    for name in names:
        assert name in overrides or name.rsplit(".", 1)[-1] in defaults, name


def test_core_properties(sample_document):
    doc = replace(sample_document, meta=replace(sample_document.meta, author="陳嘉寧", subject="抗疫"))
    pkg = Package(render(doc))
    core = pkg.xml("docProps/core.xml")
    assert core.findtext("dc:title", namespaces=NS) == doc.meta.title
    assert core.findtext("dc:creator", namespaces=NS) == "陳嘉寧"
    assert core.findtext("dc:language", namespaces=NS) == "zh-Hant"
    assert core.findtext("dc:subject", namespaces=NS) == "抗疫"
    assert core.findtext("cp:keywords", namespaces=NS) == "抗疫, 鹽田"
    assert core.findtext("cp:lastModifiedBy", namespaces=NS) == "publish 9.9"
    assert core.findtext("dcterms:created", namespaces=NS) == "2023-11-14T22:13:20Z"
    assert core.findtext("dcterms:modified", namespaces=NS) == "2023-11-14T22:13:20Z"
    assert core.find("cp:lastPrinted", NS) is None
    assert core.find("dc:description", NS) is None


def test_reproducible_bytes_and_zip_times(sample_document):
    a = render(sample_document)
    assert a == render(sample_document)
    z = zipfile.ZipFile(io.BytesIO(a))
    assert z.namelist()[:2] == ["[Content_Types].xml", "_rels/.rels"]
    assert {i.date_time for i in z.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    later = render(sample_document, source_date_epoch=EPOCH + 86400)
    assert later != a
    assert zipfile.ZipFile(io.BytesIO(later)).infolist()[0].date_time[:3] == (2023, 11, 15)


def test_no_epoch_means_now(sample_document):
    pkg = Package(render(sample_document, source_date_epoch=None))
    created = pkg.xml("docProps/core.xml").findtext("dcterms:created", namespaces=NS)
    assert not created.startswith("2023-11-14")
    assert int(created[:4]) >= 2024


# ----------------------------------------------------------------------------- styles


REQUIRED_STYLES = {
    # styleId: (type, face role, bold)
    "Normal": ("paragraph", "body", False),
    "Title": ("paragraph", "heading", True),
    "Subtitle": ("paragraph", "caption", False),
    "Byline": ("paragraph", "caption", False),
    "Heading1": ("paragraph", "heading", True),
    "Heading2": ("paragraph", "heading", True),
    "Epigraph": ("paragraph", "caption", False),
    "Caption": ("paragraph", "caption", False),
    "Quote": ("paragraph", "body", False),
    "List": ("paragraph", "body", False),
    "ListBullet": ("paragraph", "body", False),
    "ListNumber": ("paragraph", "body", False),
    "Header": ("paragraph", "caption", False),
    "Footer": ("paragraph", "caption", False),
    "RuninHead": ("character", "bold", True),
    "Credit": ("character", "caption", False),
}


def faces(document: Document):
    from pipeline.fonts import faces_for

    return faces_for(document)


def test_styles_carry_fonts_and_languages(sample_document, package):
    fs = faces(sample_document)
    for sid, (kind, role, bold) in REQUIRED_STYLES.items():
        style = package.style(sid)
        assert style.get(w("type")) == kind, sid
        rfonts = style.find("w:rPr/w:rFonts", NS)
        family = getattr(fs, role).family
        for slot in ("ascii", "hAnsi", "eastAsia"):
            assert rfonts.get(w(slot)).startswith(family + " "), (sid, slot)  # "Noto Serif TC 1a2b3c4d"
        assert len({rfonts.get(w(slot)) for slot in ("ascii", "hAnsi", "eastAsia", "cs")}) == 1
        lang = style.find("w:rPr/w:lang", NS)
        assert lang.get(w("eastAsia")) == "zh-TW", sid
        assert lang.get(w("val")) == "en-US", sid
        assert (style.find("w:rPr/w:b", NS) is not None) == bold, sid
    names = {s.get(w("styleId")): s.findtext("w:name", namespaces=NS) or s.find("w:name", NS).get(w("val"))
             for s in package.xml("word/styles.xml").findall("w:style", NS)}
    assert names["Heading1"] == "heading 1" and names["Caption"] == "caption"
    assert names["RuninHead"] == "Run-in Head"
    defaults = package.xml("word/styles.xml").find("w:docDefaults/w:rPrDefault/w:rPr", NS)
    assert defaults.find("w:rFonts", NS).get(w("eastAsia")) == package.style("Normal").find(
        "w:rPr/w:rFonts", NS).get(w("eastAsia"))
    assert defaults.find("w:lang", NS).get(w("eastAsia")) == "zh-TW"


def test_normal_style_sets_chinese_paragraph_rules(package):
    ppr = package.style("Normal").find("w:pPr", NS)
    ind = ppr.find("w:ind", NS)
    assert ind.get(w("firstLineChars")) == "200"
    assert ind.get(w("firstLine")) == "440"  # 2 x 11 pt fallback
    assert ppr.find("w:jc", NS).get(w("val")) == "both"
    for name in ("kinsoku", "autoSpaceDE", "autoSpaceDN", "widowControl"):
        el = ppr.find(f"w:{name}", NS)
        assert el is not None and el.get(w("val"), "1") not in ("0", "false"), name
    for sid in ("Title", "Heading1", "Heading2", "Figure"):
        assert package.style(sid).find("w:pPr/w:keepNext", NS) is not None, sid
    assert package.style("Heading1").find("w:pPr/w:outlineLvl", NS).get(w("val")) == "0"
    assert package.style("Heading2").find("w:pPr/w:outlineLvl", NS).get(w("val")) == "1"
    # styles that must not inherit the first-line indent cancel both forms of it
    for sid in ("Title", "Heading1", "Caption", "List", "Epigraph"):
        ind = package.style(sid).find("w:pPr/w:ind", NS)
        assert ind.get(w("firstLineChars")) == "0" and ind.get(w("firstLine")) == "0", sid


def test_languages_follow_the_document(sample_document):
    hans = replace(sample_document, meta=replace(sample_document.meta, lang="zh-Hans"))
    pkg = Package(render(hans))
    lang = pkg.style("Normal").find("w:rPr/w:lang", NS)
    assert lang.get(w("eastAsia")) == "zh-CN"
    assert pkg.xml("word/settings.xml").find("w:themeFontLang", NS).get(w("eastAsia")) == "zh-CN"
    hk = replace(sample_document, meta=replace(sample_document.meta, lang="zh-Hant-HK"))
    assert Package(render(hk)).style("Caption").find("w:rPr/w:lang", NS).get(w("eastAsia")) == "zh-HK"
    en = Document(meta=Meta(title="Plain English", lang="en-GB"),
                  blocks=(Paragraph(text="A paragraph of English text."),))
    pkg = Package(render(en))
    lang = pkg.style("Normal").find("w:rPr/w:lang", NS)
    assert lang.get(w("val")) == "en-GB" and lang.get(w("eastAsia")) is None
    ind = pkg.style("Normal").find("w:pPr/w:ind", NS)
    assert ind.get(w("firstLineChars")) is None and int(ind.get(w("firstLine"))) > 0


def _check_order(parent: ET.Element, order: tuple[str, ...], first: tuple[str, ...] = ()) -> None:
    names = [c.tag.split("}")[1] for c in parent]
    allowed = list(first) + list(order)
    positions = [allowed.index(n) for n in names]  # ValueError: an element we never write
    assert positions == sorted(positions), names


def test_element_order_follows_the_schema(package):
    for part in ("word/styles.xml", "word/document.xml", "word/header1.xml", "word/footer1.xml"):
        root = package.xml(part)
        for ppr in root.iter(w("pPr")):
            if ppr.find("w:numPr", NS) is not None or ppr.find("w:pStyle", NS) is not None:
                _check_order(ppr, _PPR_ORDER, first=("pStyle",))
            else:
                _check_order(ppr, _PPR_ORDER)
        for rpr in root.iter(w("rPr")):
            _check_order(rpr, _RPR_ORDER)
    for style in package.xml("word/styles.xml").findall("w:style", NS):
        _check_order(style, ("name", "basedOn", "next", "uiPriority", "semiHidden", "unhideWhenUsed",
                             "qFormat", "pPr", "rPr"))
    settings = package.xml("word/settings.xml")
    _check_order(settings, ("zoom", "embedTrueTypeFonts", "saveSubsetFonts", "mirrorMargins",
                            "defaultTabStop", "autoHyphenation", "characterSpacingControl", "compat",
                            "themeFontLang", "decimalSymbol", "listSeparator"))
    for font in package.xml("word/fontTable.xml").findall("w:font", NS):
        _check_order(font, ("altName", "panose1", "charset", "family", "pitch", "sig", "embedRegular", "embedBold",
                            "embedItalic", "embedBoldItalic"))
    body = package.xml("word/document.xml").find("w:body", NS)
    assert body[-1].tag == w("sectPr")


def test_settings_embed_fonts(package):
    settings = package.xml("word/settings.xml")
    assert settings.find("w:embedTrueTypeFonts", NS) is not None
    assert settings.find("w:saveSubsetFonts", NS) is not None
    assert settings.find("w:themeFontLang", NS).get(w("eastAsia")) == "zh-TW"


# ----------------------------------------------------------------------------- fonts


def test_fonts_are_embedded_obfuscated(sample_document, package):
    from fontTools.ttLib import TTFont

    fs = faces(sample_document)
    table = package.xml("word/fontTable.xml")
    rels = package.rels("word/_rels/fontTable.xml.rels")
    types = package.xml("[Content_Types].xml")
    by_family = {}
    embedded = 0
    for font in table.findall("w:font", NS):
        family = font.get(w("name"))
        original = font.find("w:altName", NS).get(w("val"))
        assert family.startswith(original + " ")  # unique per subset: see _plan_fonts
        for slot in ("embedRegular", "embedBold"):
            el = font.find(f"w:{slot}", NS)
            if el is None:
                continue
            embedded += 1
            reltype, target = rels[el.get(f"{{{R}}}id")]
            assert reltype == "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
            name = "word/" + target
            assert re.fullmatch(r"word/fonts/font\d+\.odttf", name)
            ct = types.find(f"ct:Override[@PartName='/{name}']", NS)
            ct = ct.get("ContentType") if ct is not None else types.find(
                "ct:Default[@Extension='odttf']", NS).get("ContentType")
            assert ct == "application/vnd.openxmlformats-officedocument.obfuscatedFont"
            stored = package.zip.read(name)
            key = el.get(w("fontKey"))
            assert key == font_guid(deobfuscate(stored, key))  # deterministic key
            plain = deobfuscate(stored, key)
            assert plain[:4] == b"\x00\x01\x00\x00"  # TrueType outlines
            assert stored[:4] != plain[:4]  # really obfuscated
            tt = TTFont(io.BytesIO(plain))
            assert tt["name"].getDebugName(1) == family  # LibreOffice matches on the internal name
            weight = tt["OS/2"].usWeightClass
            assert (weight >= 600) == (slot == "embedBold")
            by_family.setdefault(original, set()).add(slot)
    assert by_family[fs.body.family] >= {"embedRegular"}
    assert by_family[fs.heading.family] >= {"embedBold"}
    assert by_family[fs.caption.family] >= {"embedRegular"}
    families = {f.get(w("name")) for f in table.findall("w:font", NS)}
    assert embedded == len(rels)
    # every family a style names is in the font table
    styles = package.xml("word/styles.xml")
    named = {f.get(w("eastAsia")) for f in styles.iter(w("rFonts"))}
    assert named <= families


def test_fallback_face_is_named_on_its_run_and_embedded():
    doc = Document(meta=Meta(title="標題", lang="zh-Hant"),
                   blocks=(Paragraph(text="中文한국어中文"),))
    fs = faces(doc)
    hangul = next(f for f, chunk in fs.runs("한", fs.body))
    assert hangul.family != fs.body.family
    pkg = Package(render(doc))
    runs = [r for p in pkg.xml("word/document.xml").iter(w("p")) for r in p.findall("w:r", NS)]
    for r in runs:
        text = "".join(t.text or "" for t in r.iter(w("t")))
        rfonts = r.find("w:rPr/w:rFonts", NS)
        if text == "한국어":
            assert rfonts.get(w("eastAsia")).startswith(hangul.family + " ")
        elif text in ("中文", "標題"):
            assert rfonts is None  # the style's font: no direct formatting
    families = {f.find("w:altName", NS).get(w("val"))
                for f in pkg.xml("word/fontTable.xml").findall("w:font", NS)}
    assert hangul.family in families


def test_each_subset_gets_its_own_family_name(sample_document):
    """LibreOffice keeps embedded fonts for the whole session and the first of a name wins: two
    articles with different subsets of one family must not share a family name."""
    other = Document(meta=Meta(title="另一篇", lang="zh-Hant"), blocks=(Paragraph(text="完全不同的字。"),))

    def body_family(data: bytes) -> str:
        return Package(data).style("Normal").find("w:rPr/w:rFonts", NS).get(w("eastAsia"))

    a, b = body_family(render(sample_document)), body_family(render(other))
    assert a != b and a.rsplit(" ", 1)[0] == b.rsplit(" ", 1)[0] == faces(other).body.family
    assert body_family(render(sample_document)) == a  # and stable


def test_missing_glyph_is_reported():
    doc = Document(meta=Meta(title="標題", lang="zh-Hant"), blocks=(Paragraph(text="字\U000f0000字"),))
    warnings: list[str] = []
    render(doc, warn=warnings.append)
    assert any("F0000" in m for m in warnings), warnings


# ----------------------------------------------------------------------------- document


def test_document_order_styles_and_literal_text(sample_document, package):
    paras = body_paragraphs(package)
    styles = [s for s, _ in paras]
    assert styles == ["Title", "Byline", "Caption", "Normal", "Heading1", "Epigraph", "Normal", "Heading2",
                      "ListBullet", "ListBullet", "Quote", "QuoteAttribution", "Normal"]
    texts = [t for _, t in paras]
    assert texts[0] == sample_document.meta.title
    assert texts[1] == "記者陳嘉寧／桃園機場報導\u30002020-03-26"
    assert texts[2].startswith("華大基因") and texts[2].endswith("受訪單位供圖")
    assert texts[9] == "第二項 <b>&amp;</b>"
    assert texts[-1] == "Markup stays literal: <script>alert(1)</script> &amp; ]]> <para> <font> {PAGE}"
    # run-in head: its own run in the character style, before the text
    p = package.xml("word/document.xml").find("w:body", NS).findall("w:p", NS)[6]
    first = p.find("w:r", NS)
    assert first.find("w:rPr/w:rStyle", NS).get(w("val")) == "RuninHead"
    assert first.findtext("w:t", namespaces=NS) == "專項考核在一線。"
    credit = [r for r in package.xml("word/document.xml").iter(w("r"))
              if r.find("w:rPr/w:rStyle[@w:val='Credit']", NS) is not None]
    assert "".join(t.text for r in credit for t in r.iter(w("t"))).strip("\u3000") == "受訪單位供圖"
    # no direct formatting on ordinary runs: fonts and sizes come from the styles
    for r in package.xml("word/document.xml").iter(w("r")):
        rpr = r.find("w:rPr", NS)
        if rpr is not None:
            assert {c.tag for c in rpr} <= {w("rStyle"), w("rFonts")}


def test_byline_that_is_a_dateline_is_not_dated_twice(sample_document):
    meta = replace(sample_document.meta, byline="2019-03-18 23:59聯合報 記者陳嘉寧", date="2019-03-18T23:59")
    pkg = Package(render(replace(sample_document, meta=meta)))
    assert body_paragraphs(pkg)[1] == ("Byline", "2019-03-18 23:59聯合報 記者陳嘉寧")


def test_template_namespaces_are_tidied(package):
    for part in ("word/document.xml", "word/header1.xml", "word/footer1.xml"):
        blob = package.zip.read(part)
        assert b"schemas.microsoft.com/office/mac" not in blob, part
        assert b"mc:Ignorable" not in blob, part


def test_control_characters_do_not_crash(sample_document):
    doc = replace(sample_document, blocks=(Paragraph(text="前\x00中\x0b後\x1f。"),))
    warnings: list[str] = []
    pkg = Package(render(doc, warn=warnings.append))
    assert body_paragraphs(pkg)[-1][1] == "前中後。"
    assert any("control character" in m for m in warnings)


def test_ordered_lists_restart(sample_document):
    doc = replace(sample_document, blocks=(
        ListBlock(items=("一", "二"), ordered=True),
        Paragraph(text="中間"),
        ListBlock(items=("三", "四"), ordered=True),
    ))
    pkg = Package(render(doc))
    num_ids = [p.find("w:pPr/w:numPr/w:numId", NS).get(w("val"))
               for p in pkg.xml("word/document.xml").iter(w("p"))
               if p.find("w:pPr/w:numPr", NS) is not None]
    assert num_ids[0] == num_ids[1] != num_ids[2] == num_ids[3]
    numbering = pkg.xml("word/numbering.xml")
    for num_id in set(num_ids):
        num = numbering.find(f"w:num[@w:numId='{num_id}']", NS)
        assert num.find("w:lvlOverride/w:startOverride", NS).get(w("val")) == "1"
        abstract = numbering.find(
            f"w:abstractNum[@w:abstractNumId='{num.find('w:abstractNumId', NS).get(w('val'))}']", NS)
        assert abstract.find("w:lvl/w:numFmt", NS).get(w("val")) == "decimal"


def test_unknown_block_fails_loudly(sample_document):
    class Odd:
        type = "odd"

    with pytest.raises(WriterError, match="unknown block type"):
        render(replace(sample_document, blocks=(Odd(),)))


def test_image_with_caption(tmp_path, sample_document):
    from PIL import Image

    Image.new("RGB", (400, 200), (200, 30, 30)).save(tmp_path / "photo.png", dpi=(72, 72))
    doc = replace(sample_document, blocks=(
        Caption(text="圖說文字。", credit="攝影", image="photo.png", alt="紅色方塊"),
        Caption(text="沒有圖的圖說。", image="missing.png"),
    ))
    warnings: list[str] = []
    pkg = Package(render(doc, base_dir=tmp_path, warn=warnings.append))
    assert [s for s, _ in body_paragraphs(pkg)][2:] == ["Figure", "Caption", "Caption"]
    docpr = pkg.xml("word/document.xml").find(".//wp:docPr", NS)
    assert docpr.get("descr") == "紅色方塊"
    assert any(n.startswith("word/media/") for n in pkg.names)
    assert any("missing.png" in m for m in warnings)
    extent = pkg.xml("word/document.xml").find(".//wp:extent", NS)
    assert int(extent.get("cx")) == 400 * 12700  # 400 px at 72 dpi fits the measure unscaled


def test_page_setup_header_and_footer(sample_document):
    settings = Settings(page_size="A5", margin_top=15, margin_bottom=18, margin_inner=12, margin_outer=16)
    pkg = Package(render(sample_document, settings=settings))
    sect = pkg.xml("word/document.xml").find("w:body/w:sectPr", NS)
    size = sect.find("w:pgSz", NS)
    assert (size.get(w("w")), size.get(w("h"))) == ("8391", "11906")  # 148 x 210 mm in twips
    mar = sect.find("w:pgMar", NS)
    assert [mar.get(w(k)) for k in ("top", "bottom", "left", "right")] == ["850", "1020", "680", "907"]
    assert pkg.xml("word/settings.xml").find("w:mirrorMargins", NS) is not None  # inner != outer
    assert sect.find("w:titlePg", NS) is not None
    rels = pkg.rels("word/_rels/document.xml.rels")
    refs = {(el.tag.split("}")[1], el.get(w("type"))): rels[el.get(f"{{{R}}}id")][1]
            for el in sect if el.tag in (w("headerReference"), w("footerReference"))}
    header = pkg.xml("word/" + refs[("headerReference", "default")])
    assert "".join(t.text for t in header.iter(w("t"))) == sample_document.meta.title
    assert header.find("w:p/w:pPr/w:pStyle", NS).get(w("val")) == "Header"
    for kind in ("default", "first"):
        footer = pkg.xml("word/" + refs[("footerReference", kind)])
        assert "PAGE" in "".join(t.text for t in footer.iter(w("instrText")))
        assert [f.get(w("fldCharType")) for f in footer.iter(w("fldChar"))] == ["begin", "separate", "end"]
    a4 = Package(render(sample_document)).xml("word/document.xml").find("w:body/w:sectPr/w:pgSz", NS)
    assert (a4.get(w("w")), a4.get(w("h"))) == ("11906", "16838")


def test_writer_protocol():
    from pipeline.writers import Writer

    writer = DocxWriter()
    assert isinstance(writer, Writer)
    assert (writer.name, writer.suffix) == ("docx", ".docx")
    assert writer.missing_dependency() is None


def test_module_does_not_import_python_docx_at_top_level():
    code = ("import sys, pipeline.writers.docx; "
            "print(any(m == 'docx' or m.startswith(('docx.', 'lxml')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------------------- LibreOffice


def _pdf_typo():
    for candidate in (ROOT / "tests" / "tools",):
        if (candidate / "pdf_typo.py").is_file():
            sys.path.insert(0, str(candidate))
            try:
                import pdf_typo
            finally:
                sys.path.pop(0)
            return pdf_typo
    pytest.skip("needs tests/tools/pdf_typo.py")


def _latin_only_fontconfig(tmp: Path) -> dict[str, str]:
    """Environment for soffice where fontconfig knows one Latin font directory and no CJK font."""
    latin = next((d for d in (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation2"))
                  if d.is_dir()), None)
    if latin is None:
        pytest.skip("needs a Latin font directory (fonts-dejavu-core)")
    conf = tmp / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{latin}</dir><cachedir>{tmp / 'fc-cache'}</cachedir></fontconfig>\n",
        encoding="utf-8",
    )
    env = dict(os.environ, FONTCONFIG_FILE=str(conf), HOME=str(tmp))
    if shutil.which("fc-list"):
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], env=env, capture_output=True, text=True)
        assert listed.stdout.strip() == "", "CJK fonts still visible to fontconfig"
    return env


def _convert(docx_files: list[Path], tmp: Path) -> list[Path]:
    soffice = require_tool("soffice", "libreoffice")
    env = _latin_only_fontconfig(tmp)
    out = tmp / "pdf"
    cmd = [soffice, f"-env:UserInstallation={(tmp / 'lo-profile').as_uri()}", "--headless",
           "--convert-to", "pdf", "--outdir", str(out), *map(str, docx_files)]
    subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=True)
    pdfs = [out / (f.stem + ".pdf") for f in docx_files]
    for pdf in pdfs:
        assert pdf.is_file(), f"LibreOffice made no {pdf.name}"
    return pdfs


def _check_pdf(pdf: Path, document: Document, tmp: Path) -> dict:
    pdffonts = require_tool("pdffonts")
    fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows, fonts
    # "BAAAAA+NotoSerifTC-Regular-4be93d58" -> "NotoSerifTC-Regular" (the hash names the subset)
    embedded = {re.sub(r"-[0-9a-f]{8}$", "", row.split()[0].split("+")[-1])
                for row in rows if row.split()[-5] == "yes"}
    unembedded = [row for row in rows if row.split()[-5] != "yes"]
    assert not unembedded, fonts
    expect = tmp / (pdf.stem + ".yaml")
    expect.write_text(yaml.safe_dump(document.to_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    typo = _pdf_typo()
    result = typo.measure(str(pdf), typo.expected_text(str(expect)))
    return {"fonts": embedded, "fidelity": result["fidelity"], "result": result}


@pytest.mark.slow
def test_libreoffice_uses_embedded_faces_without_system_cjk_fonts(tmp_path, sample_document):
    require_tool("pdffonts")
    fs = faces(sample_document)
    path = tmp_path / "article.docx"
    path.write_bytes(render(sample_document))
    (pdf,) = _convert([path], tmp_path)
    checked = _check_pdf(pdf, sample_document, tmp_path)
    wanted = {re.sub(r"-[0-9a-f]{8}$", "", f.ps_name) for f in (fs.body, fs.heading, fs.caption)}
    assert wanted <= checked["fonts"], (wanted, checked["fonts"])
    assert checked["fidelity"] >= 0.999, checked["result"]


def _corpus_documents() -> list[tuple[str, Document]]:
    """The corpus articles (tests/cases/*/input.txt) as the normaliser makes them."""
    try:
        from pipeline.normalise import normalise_text
    except ImportError:
        pytest.skip("needs pipeline.normalise.normalise_text")
    files = sorted(CASES.glob("*/input.txt"))
    if not files:
        pytest.skip(f"no corpus articles in {CASES}")
    return [(f.parent.name, normalise_text(f.read_text(encoding="utf-8")).document) for f in files]


@pytest.mark.slow
def test_every_corpus_article_converts(tmp_path):
    require_tool("pdffonts")
    docs = _corpus_documents()
    paths = []
    for stem, document in docs:
        path = tmp_path / f"{stem}.docx"
        path.write_bytes(render(document))
        paths.append(path)
    pdfs = _convert(paths, tmp_path)
    for (stem, document), pdf in zip(docs, pdfs, strict=True):
        checked = _check_pdf(pdf, document, tmp_path)
        body = re.sub(r"-[0-9a-f]{8}$", "", faces(document).body.ps_name)
        assert body in checked["fonts"], (stem, checked["fonts"])
        assert checked["fidelity"] >= 0.999, (stem, checked["result"])
