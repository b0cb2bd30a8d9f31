"""The DOCX edition: a Word file an editor can keep working in, with Chinese set right.

Why it is built the way it is:

* **Styles, not direct formatting.** Every paragraph and run points at a named style (Title,
  Subtitle, Byline, Heading 1/2, Normal, Epigraph, Caption, Quote, List ...) and the styles carry
  the fonts (``w:rFonts`` ascii/hAnsi/eastAsia/cs: python-docx's ``font.name`` never sets the East
  Asian slot), the languages (``w:lang w:eastAsia``), 2-character first-line indents
  (``w:firstLineChars`` with a ``w:firstLine`` twips fallback for readers that ignore it), justified
  text, ``w:kinsoku`` line-break rules and CJK/Latin autospacing. The only direct formatting is a
  fallback font on the odd character the main face lacks, and restart numbering of ordered lists.
* **Embedded fonts.** The subset faces from :mod:`pipeline.fonts` are embedded as obfuscated
  ``word/fonts/fontN.odttf`` parts (ECMA-376 Part 1 §17.8.1, see :mod:`._odttf`) referenced from
  ``fontTable.xml``, so Word and LibreOffice draw our faces where they are not installed.
* **No template leftovers.** python-docx's default template brings 2013 dates, "python-docx" as
  author, a thumbnail, a theme, stylesWithEffects, webSettings, customXml, a Mac Word app.xml and
  hundreds of latent styles; all are dropped or rewritten.
* **Reproducible.** Every date comes from ``options.source_date_epoch`` and the zip is rewritten
  with fixed entry times and order, so identical input gives identical bytes.

Module top level imports only the standard library and pipeline: python-docx/lxml load on use.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from typing import Any

from pipeline.model import Caption, Document, Heading, ListBlock, Paragraph, Quote
from pipeline.settings import Settings
from pipeline.writers import FONT_DEFLATE, RenderOptions, WriterError, escape, quoteattr, unknown_block
from pipeline.writers._odttf import font_guid, obfuscate

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RT_FONT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
CT_OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
CT_FONT_TABLE = "application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"

#: Template parts nobody asked for (dropped from the document part's relationships).
_DROP_DOCUMENT_RELS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme",
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/webSettings",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml",
)
_DROP_PACKAGE_RELS = ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",)

#: Characters XML 1.0 cannot hold at all; python-docx would raise on them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: Characters the writer prints itself (list bullet, attribution dash, byline gap): subset them too.
_WRITER_CHARS = "\u2022\u2014\u3000"

_TWIPS_PER_MM = 1440 / 25.4
_EMU_PER_TWIP = 635


# --------------------------------------------------------------------------- languages


def word_languages(tag: str) -> tuple[str, str | None]:
    """(``w:lang/@w:val``, ``w:lang/@w:eastAsia``) for a BCP 47 tag.

    Word wants a region: zh-Hant is zh-TW unless the tag names HK or MO, zh-Hans is zh-CN (zh-SG
    when said). In a Chinese article the Latin slot (``w:val``) holds English, which is what its
    Latin words are; an English article has no East Asian language.
    """
    parts = [p for p in tag.replace("_", "-").split("-") if p]
    primary = parts[0].lower() if parts else "und"
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    if primary in ("zh", "cmn", "yue", "lzh"):
        if script == "Hant" or (script is None and (region in ("TW", "HK", "MO") or primary == "yue")):
            east = {"HK": "zh-HK", "MO": "zh-MO"}.get(region or "", "zh-HK" if primary == "yue" else "zh-TW")
        else:
            east = "zh-SG" if region == "SG" else "zh-CN"
        return "en-US", east
    if primary == "ja":
        return "en-US", "ja-JP"
    if primary == "ko":
        return "en-US", "ko-KR"
    if primary == "en":
        return f"en-{region or 'US'}", None
    return (f"{primary}-{region}" if region else primary), None


def is_cjk_lang(tag: str) -> bool:
    return word_languages(tag)[1] is not None


# --------------------------------------------------------------------------- small XML helpers


def _attrs(values: dict[str, Any]) -> str:
    return "".join(f" w:{k}={quoteattr(str(v))}" for k, v in values.items() if v is not None)


def _el(name: str, values: dict[str, Any] | None = None) -> str:
    return f"<w:{name}{_attrs(values or {})}/>"


#: CT_PPrBase child order (ECMA-376 Part 1 §17.3.1.26); Word rejects files that break it.
_PPR_ORDER = (
    "keepNext", "keepLines", "pageBreakBefore", "widowControl", "numPr", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "adjustRightInd", "snapToGrid",
    "spacing", "ind", "contextualSpacing", "jc", "outlineLvl",
)
#: CT_RPr child order (§17.3.2.28), the part we use.
_RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "color", "kern", "sz", "szCs", "lang")


def _ppr(props: dict[str, Any]) -> str:
    unknown = set(props) - set(_PPR_ORDER)
    if unknown:  # a programming error, not a document problem
        raise ValueError(f"unknown pPr children {unknown}")
    out = []
    for name in _PPR_ORDER:
        if name not in props:
            continue
        value = props[name]
        if name == "numPr":
            out.append(f'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="{int(value)}"/></w:numPr>')
        elif isinstance(value, dict):
            out.append(_el(name, value))
        elif value is True:
            out.append(_el(name))
        else:
            out.append(_el(name, {"val": value}))
    return f"<w:pPr>{''.join(out)}</w:pPr>" if out else ""


def _rpr(props: dict[str, Any]) -> str:
    out = []
    for name in _RPR_ORDER:
        if name not in props:
            continue
        value = props[name]
        if isinstance(value, dict):
            out.append(_el(name, value))
        elif value is True:
            out.append(_el(name))
        else:
            out.append(_el(name, {"val": value}))
    return f"<w:rPr>{''.join(out)}</w:rPr>" if out else ""


def _fonts(family: str) -> dict[str, str]:
    return {"ascii": family, "hAnsi": family, "eastAsia": family, "cs": family}


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Style:
    """One style of styles.xml; ``face`` is a FaceSet role whose font the style uses."""

    sid: str
    name: str
    kind: str = "paragraph"
    based_on: str | None = "Normal"
    next: str | None = None
    face: str = "body"
    size: float | None = None  # points
    color: str | None = None
    ppr: dict[str, Any] = field(default_factory=dict)
    custom: bool = False
    priority: int | None = None
    numbering: int | None = None


@dataclass(frozen=True)
class _Metrics:
    """Sizes in points and twips derived from the body size; chars = one body em."""

    body_pt: float
    cjk: bool

    @property
    def em(self) -> int:
        return round(self.body_pt * 20)

    def indent(self, chars: float) -> dict[str, Any]:
        """Left/first-line indent of ``chars`` body ems: Chars attributes for CJK, twips always."""
        return {"chars": round(chars * 100), "twips": round(chars * self.em)}

    def first_line(self, chars: float) -> dict[str, Any]:
        if not self.cjk:  # Western books indent about 1.5 em and have no character grid
            return {"firstLine": round(min(chars, 1.5) * self.em)} if chars else {"firstLine": 0}
        return {"firstLineChars": round(chars * 100), "firstLine": round(chars * self.em)}

    def no_first_line(self) -> dict[str, Any]:
        return {"firstLineChars": 0, "firstLine": 0} if self.cjk else {"firstLine": 0}

    def sides(self, left: float, right: float = 0.0) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cjk:
            out["leftChars"] = round(left * 100)
        out["left"] = round(left * self.em)
        if right:
            if self.cjk:
                out["rightChars"] = round(right * 100)
            out["right"] = round(right * self.em)
        return out

    def exact(self, size_pt: float, factor: float) -> dict[str, Any]:
        return {"line": round(size_pt * factor * 20), "lineRule": "exact"}


def _style_table(m: _Metrics) -> list[_Style]:
    """The styles every edition defines, in the order styles.xml lists them."""
    body = m.body_pt
    lead = 1.72 if m.cjk else 1.45  # CJK wants more air between lines than Latin
    auto = {"line": 240, "lineRule": "auto"}
    return [
        _Style("Normal", "Normal", based_on=None, size=body, priority=0, ppr={
            "widowControl": True, "kinsoku": True, "overflowPunct": True, "autoSpaceDE": True,
            "autoSpaceDN": True, "adjustRightInd": True, "snapToGrid": "0",
            "spacing": {"before": 0, "after": 0, **m.exact(body, lead)},
            "ind": m.first_line(2), "jc": "both"}),
        _Style("Title", "Title", next="Normal", face="heading", size=body * 2, priority=10, ppr={
            "keepNext": True, "keepLines": True, "spacing": {"before": 0, "after": 160, **auto},
            "ind": m.no_first_line(), "jc": "center"}),
        _Style("Subtitle", "Subtitle", next="Normal", face="caption", size=body * 1.15, priority=11,
               ppr={"keepNext": True, "keepLines": True, "spacing": {"before": 0, "after": 120, **auto},
                    "ind": m.no_first_line(), "jc": "center"}),
        _Style("Byline", "Byline", based_on="Subtitle", next="Normal", face="caption", size=body * 0.9,
               color="404040", custom=True, priority=11,
               ppr={"spacing": {"before": 0, "after": 480, **auto}}),
        _Style("Heading1", "heading 1", next="Normal", face="heading", size=body * 1.4, priority=9, ppr={
            "keepNext": True, "keepLines": True, "spacing": {"before": 480, "after": 160, **auto},
            "ind": m.no_first_line(), "jc": "left", "outlineLvl": 0}),
        _Style("Heading2", "heading 2", next="Normal", face="heading", size=body * 1.15, priority=9, ppr={
            "keepNext": True, "keepLines": True, "spacing": {"before": 320, "after": 120, **auto},
            "ind": m.no_first_line(), "jc": "left", "outlineLvl": 1}),
        _Style("Epigraph", "Epigraph", face="caption", size=body * 0.9, color="404040", custom=True,
               priority=29, ppr={"spacing": {"before": 120, "after": 360, **m.exact(body * 0.9, lead)},
                                 "ind": {**m.sides(4), **m.no_first_line()}}),
        _Style("Lead", "Lead", face="bold", custom=True, priority=29,
               ppr={"spacing": {"before": 0, "after": 160, **m.exact(body, lead)}}),
        _Style("Signature", "Signature", custom=False, priority=99, ppr={
            "spacing": {"before": 160, "after": 160, **m.exact(body, lead)},
            "ind": m.no_first_line(), "jc": "right"}),
        _Style("Note", "Note", face="caption", size=body * 0.85, custom=True, priority=29, ppr={
            "spacing": {"before": 160, "after": 0, **m.exact(body * 0.85, lead)},
            "ind": m.no_first_line()}),
        _Style("Quote", "Quote", next="Normal", priority=29, color="262626", ppr={
            "spacing": {"before": 160, "after": 160, **m.exact(body, lead)},
            "ind": {**m.sides(2, 2), **m.first_line(2)}}),
        _Style("QuoteAttribution", "Quote Attribution", based_on="Quote", next="Normal", face="caption",
               size=body * 0.9, custom=True, priority=29, ppr={
                   "keepLines": True, "spacing": {"before": 0, "after": 160},
                   "ind": m.no_first_line(), "jc": "right"}),
        _Style("List", "List", priority=99, ppr={
            "spacing": {"before": 0, "after": 0, **m.exact(body, lead)},
            "ind": {**m.sides(2), **m.no_first_line()}, "jc": "left"}),
        _Style("ListBullet", "List Bullet", based_on="List", priority=99, numbering=1),
        _Style("ListNumber", "List Number", based_on="List", priority=99, numbering=2),
        _Style("Figure", "Figure", next="Caption", custom=True, priority=29, ppr={
            "keepNext": True, "keepLines": True, "spacing": {"before": 240, "after": 80, **auto},
            "ind": m.no_first_line(), "jc": "center"}),
        _Style("Caption", "caption", next="Normal", face="caption", size=body * 0.82, color="262626",
               priority=35, ppr={"spacing": {"before": 80, "after": 320, **m.exact(body * 0.82, 1.6)},
                                 "ind": m.no_first_line(), "jc": "both"}),
        _Style("Header", "header", face="caption", size=body * 0.75, color="595959", priority=99, ppr={
            "spacing": {"before": 0, "after": 0, **auto}, "ind": m.no_first_line(), "jc": "center"}),
        _Style("Footer", "footer", face="caption", size=body * 0.75, color="595959", priority=99, ppr={
            "spacing": {"before": 0, "after": 0, **auto}, "ind": m.no_first_line(), "jc": "center"}),
        _Style("RuninHead", "Run-in Head", kind="character", based_on="DefaultParagraphFont",
               face="bold", custom=True, priority=21),
        _Style("Credit", "Credit", kind="character", based_on="DefaultParagraphFont", face="caption",
               color="595959", custom=True, priority=21),
    ]


# --------------------------------------------------------------------------- the writer


class DocxWriter:
    """Word (.docx) edition with styles, embedded subset fonts and reproducible bytes."""

    name = "docx"
    suffix = ".docx"
    description = "Word document with named styles and embedded fonts, for editors"

    def missing_dependency(self) -> str | None:
        from pipeline.writers import missing_module

        return missing_module(("docx", "python-docx"), ("lxml", "lxml"), ("fontTools", "fonttools"))

    def preload(self) -> None:
        """Import python-docx ahead of the document (a build overlaps it with normalising)."""
        import docx
        import docx.oxml.parser  # noqa: F401
        import docx.parts.hdrftr  # noqa: F401

        _SPARE.append(docx.Document())  # opening the template is a fifth of a render

    def render(self, document: Document, options: RenderOptions) -> bytes:
        try:
            import docx  # noqa: F401
        except ImportError:
            raise WriterError("docx writer: python-docx is not installed") from None
        return _Builder(document, options).build()


#: A fresh document made from python-docx's template by ``preload``, ready for the next render.
_SPARE: list[Any] = []


class _Builder:
    """One rendering: keeps the document, faces and counters together."""

    def __init__(self, document: Document, options: RenderOptions):
        from pipeline.fonts import describe_missing, faces_for

        for block in document.blocks:  # before anything walks the blocks generically
            if not isinstance(block, (Heading, Paragraph, Caption, ListBlock, Quote)):
                raise unknown_block("docx", block)
        self.document = document
        self.options = options
        self.settings: Settings = options.settings
        self.lang = document.meta.lang
        self.val_lang, self.east_lang = word_languages(self.lang)
        self.metrics = _Metrics(body_pt=11.0, cjk=self.east_lang is not None)
        try:
            self.faces = faces_for(document, self.settings, self._charset())
        except WriterError:
            raise
        except Exception as exc:  # an unusable font must say so, not crash the build
            raise WriterError(f"docx writer: fonts: {exc}") from exc
        for cp in self.faces.missing:
            options.warning(describe_missing(cp))
        self.role_face = {
            "body": self.faces.body,
            "bold": self.faces.bold,
            "heading": self.faces.heading,
            "caption": self.faces.caption,
        }
        self.styles = {s.sid: s for s in _style_table(self.metrics)}
        self.font_plan = _plan_fonts(self.faces)
        self.family_of = {face.sha256: name for name, _, slots in self.font_plan for face in slots.values()}
        self.ordered_lists = 0
        self.dropped_chars = 0
        self.epoch = options.source_date_epoch
        if self.epoch is None:
            self.epoch = int(time.time())

    def _charset(self) -> str:
        """What the subsets must cover: the batch's charset (or this document's text, in case the
        fonts module takes ``charset`` as a replacement) plus what the writer prints itself."""
        if self.options.charset is not None:
            base = self.options.charset
        else:
            meta = self.document.meta
            base = "".join(self.document.texts()) + "".join(
                getattr(meta, n) or "" for n in ("subtitle", "author", "byline", "date", "subject"))
        return base + _WRITER_CHARS

    # ------------------------------------------------------------------ build

    def build(self) -> bytes:
        import docx
        from docx.shared import Twips

        doc = _SPARE.pop() if _SPARE else docx.Document()
        self.doc = doc
        body = doc.element.body
        for child in list(body):  # the template's empty body (it has none, but be sure)
            if not child.tag.endswith("}sectPr"):
                body.remove(child)

        self._front_matter()
        for block in self.document.blocks:
            self._block(block)

        section = doc.sections[0]
        width_mm, height_mm = self.settings.page_size_mm()
        s = self.settings
        section.page_width = Twips(round(width_mm * _TWIPS_PER_MM))
        section.page_height = Twips(round(height_mm * _TWIPS_PER_MM))
        section.top_margin = Twips(round(s.margin_top * _TWIPS_PER_MM))
        section.bottom_margin = Twips(round(s.margin_bottom * _TWIPS_PER_MM))
        section.left_margin = Twips(round(s.margin_inner * _TWIPS_PER_MM))
        section.right_margin = Twips(round(s.margin_outer * _TWIPS_PER_MM))
        section.gutter = Twips(0)
        section.header_distance = Twips(round(s.margin_top * _TWIPS_PER_MM / 2))
        section.footer_distance = Twips(round(s.margin_bottom * _TWIPS_PER_MM / 2))
        self._header_footer(section)
        self._clean_sectpr(section)

        self._tidy_namespaces()
        self._replace_styles()
        self._replace_numbering()
        self._replace_settings()
        self._drop_template_parts()
        self._core_properties()
        self._app_properties()
        self._embed_fonts()
        if self.dropped_chars:
            self.options.warning(
                f"docx: left out {self.dropped_chars} control character(s) that XML cannot hold"
            )

        return _zip_package(doc, self.epoch)

    # ------------------------------------------------------------------ text

    def _clean(self, text: str) -> str:
        cleaned, n = _XML_ILLEGAL.subn("", text)
        self.dropped_chars += n
        return cleaned

    def _para(self, style: str, container: Any = None):
        from docx.text.paragraph import Paragraph as DocxParagraph

        target = container if container is not None else self.doc
        p = target.add_paragraph()
        assert isinstance(p, DocxParagraph)
        p._p.style = style
        return p

    def _runs(self, paragraph: Any, text: str, style: str, char_style: str | None = None) -> None:
        """Add ``text`` as runs: one per stretch drawn by one face; the style's face is implicit,
        any other (a fallback for emoji, Ext-B ...) is named on the run."""
        from docx.oxml.ns import qn

        text = self._clean(text)
        if not text:
            return
        spec = self.styles[char_style or style]
        face = self.role_face[spec.face]
        for run_face, chunk in self.faces.runs(text, face):
            run = paragraph.add_run(chunk)
            if char_style:
                run._r.style = char_style
            if run_face is not face and run_face != face:
                rfonts = run._r.get_or_add_rPr().get_or_add_rFonts()
                for slot, family in _fonts(self._family(run_face)).items():
                    rfonts.set(qn(f"w:{slot}"), family)

    def _front_matter(self) -> None:
        meta = self.document.meta
        self._runs(self._para("Title"), meta.title, "Title")
        if meta.subtitle:
            self._runs(self._para("Subtitle"), meta.subtitle, "Subtitle")
        from pipeline.writers import date_in_byline

        who = meta.byline or meta.author
        date = None if date_in_byline(meta) else meta.date
        parts = [t for t in (who, date) if t]
        if parts:
            gap = "\u3000" if self.metrics.cjk else "  "
            self._runs(self._para("Byline"), gap.join(parts), "Byline")

    def _block(self, block: Any) -> None:
        if isinstance(block, Heading):
            self._runs(self._para("Heading1" if block.level <= 1 else "Heading2"), block.text,
                       "Heading1" if block.level <= 1 else "Heading2")
        elif isinstance(block, Paragraph):
            style = {"epigraph": "Epigraph", "lead": "Lead", "signature": "Signature",
                     "note": "Note"}.get(block.role or "", "Normal")
            p = self._para(style)
            if block.runin:
                self._runs(p, block.runin, style, "RuninHead")
            self._runs(p, block.text, style)
        elif isinstance(block, Caption):
            if block.image:
                self._image(block)
            p = self._para("Caption")
            self._runs(p, block.text, "Caption")
            if block.credit:
                gap = "\u3000" if self.metrics.cjk else " "
                self._runs(p, gap + block.credit if block.text else block.credit, "Caption", "Credit")
        elif isinstance(block, ListBlock):
            style = "ListNumber" if block.ordered else "ListBullet"
            num_id = None
            if block.ordered:
                self.ordered_lists += 1
                num_id = 2 + self.ordered_lists  # each ordered list restarts at 1
            for item in block.items:
                p = self._para(style)
                if num_id is not None:
                    numpr = p._p.get_or_add_pPr().get_or_add_numPr()
                    numpr.get_or_add_ilvl().val = 0
                    numpr.get_or_add_numId().val = num_id
                self._runs(p, item, style)
        elif isinstance(block, Quote):
            self._runs(self._para("Quote"), block.text, "Quote")
            if block.attribution:
                dash = self._dash()
                self._runs(self._para("QuoteAttribution"), dash + block.attribution, "QuoteAttribution")
        else:
            raise unknown_block("docx", block)

    def _dash(self) -> str:
        has = self.role_face["caption"].codepoints
        if self.metrics.cjk:
            return "\u2014\u2014" if 0x2014 in has else "--"
        return "\u2014\u2009" if 0x2014 in has else "-- "

    def _image(self, block: Caption) -> None:
        from docx.image.exceptions import UnrecognizedImageError
        from docx.image.image import Image
        from docx.oxml.ns import qn
        from docx.shared import Emu

        from pipeline.writers import load_image

        data = load_image("docx", str(block.image), self.options)
        if data is None:
            return
        try:
            image = Image.from_blob(data)
        except UnrecognizedImageError:
            self.options.warning(f"docx: image {block.image!r} is not a format Word shows; left out")
            return
        s = self.settings
        page_w, page_h = s.page_size_mm()
        text_w = (page_w - s.margin_inner - s.margin_outer) * 36000  # EMU per mm
        text_h = (page_h - s.margin_top - s.margin_bottom) * 36000
        width = image.px_width / (image.horz_dpi or 72) * 914400
        height = image.px_height / (image.vert_dpi or 72) * 914400
        scale = min(1.0, text_w / width if width else 1.0, text_h * 0.6 / height if height else 1.0)
        p = self._para("Figure")
        run = p.add_run()
        run.add_picture(io.BytesIO(data), width=Emu(int(width * scale)), height=Emu(int(height * scale)))
        alt = self._clean(block.alt or block.text or "")
        for docpr in run._r.iter(qn("wp:docPr")):
            docpr.set("descr", alt)
            docpr.set("name", f"Picture {docpr.get('id')}")

    # ------------------------------------------------------------------ page furniture

    def _header_footer(self, section: Any) -> None:
        section.different_first_page_header_footer = True  # page 1 opens with the title itself
        header = section.header
        header.is_linked_to_previous = False
        p = header.paragraphs[0]
        p._p.style = "Header"
        self._runs(p, self.document.meta.title, "Header")
        first = section.first_page_header
        first.is_linked_to_previous = False
        first.paragraphs[0]._p.style = "Header"
        for footer in (section.footer, section.first_page_footer):
            footer.is_linked_to_previous = False
            fp = footer.paragraphs[0]
            fp._p.style = "Footer"
            self._page_field(fp)

    @staticmethod
    def _page_field(paragraph: Any) -> None:
        """A complex PAGE field: begin / instruction / separate / cached result / end."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        def fld(kind: str) -> None:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            paragraph.add_run()._r.append(el)

        fld("begin")
        instr = OxmlElement("w:instrText")
        instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        instr.text = " PAGE "
        paragraph.add_run()._r.append(instr)
        fld("separate")
        paragraph.add_run("1")
        fld("end")

    def _clean_sectpr(self, section: Any) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        sect = section._sectPr
        for name in list(sect.attrib):
            del sect.attrib[name]  # rsids of the template
        grid = sect.find(qn("w:docGrid"))
        if grid is not None:
            grid.set(qn("w:linePitch"), str(self.styles["Normal"].ppr["spacing"]["line"]))
        if self.settings.writing_mode == "vertical-rl":
            td = OxmlElement("w:textDirection")
            td.set(qn("w:val"), "tbRl")
            anchor = grid if grid is not None else None
            if anchor is not None:
                anchor.addprevious(td)
            else:
                sect.append(td)

    # ------------------------------------------------------------------ parts

    def _lang(self) -> dict[str, str]:
        out = {"val": self.val_lang}
        if self.east_lang:
            out["eastAsia"] = self.east_lang
        return out

    def _style_rpr(self, spec: _Style) -> str:
        face = self.role_face[spec.face]
        props: dict[str, Any] = {"rFonts": _fonts(self._family(face))}
        if face.weight >= 600:
            props["b"] = True
            props["bCs"] = True
        if spec.color:
            props["color"] = spec.color
        if spec.size:
            props["sz"] = round(spec.size * 2)
            props["szCs"] = round(spec.size * 2)
        props["lang"] = self._lang()
        return _rpr(props)

    def styles_xml(self) -> str:
        body = self.role_face["body"]
        size = round(self.metrics.body_pt * 2)
        defaults = _rpr({"rFonts": _fonts(self._family(body)), "kern": 0, "sz": size, "szCs": size,
                         "lang": self._lang()})
        out = [
            f'<w:styles xmlns:w="{W_NS}" xmlns:r="{R_NS}">',
            f"<w:docDefaults><w:rPrDefault>{defaults}</w:rPrDefault>"
            "<w:pPrDefault><w:pPr/></w:pPrDefault></w:docDefaults>",
            '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
            '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
            "<w:unhideWhenUsed/></w:style>",
        ]
        for spec in self.styles.values():
            attrs = f' w:type="{spec.kind}"'
            if spec.sid == "Normal":
                attrs += ' w:default="1"'
            if spec.custom:
                attrs += ' w:customStyle="1"'
            attrs += f" w:styleId={quoteattr(spec.sid)}"
            parts = [f"<w:name w:val={quoteattr(spec.name)}/>"]
            if spec.based_on:
                parts.append(f'<w:basedOn w:val="{spec.based_on}"/>')
            if spec.next:
                parts.append(f'<w:next w:val="{spec.next}"/>')
            if spec.priority is not None:
                parts.append(f'<w:uiPriority w:val="{spec.priority}"/>')
            parts.append("<w:qFormat/>")
            if spec.kind == "paragraph":
                ppr = dict(spec.ppr)
                if spec.numbering is not None:
                    ppr["numPr"] = spec.numbering
                parts.append(_ppr(ppr))
            parts.append(self._style_rpr(spec))
            out.append(f"<w:style{attrs}>{''.join(parts)}</w:style>")
        out.append("</w:styles>")
        return "".join(out)

    def numbering_xml(self) -> str:
        face = self.role_face["body"]
        bullet = next((c for c in ("\u2022", "\u30fb", "\u00b7", "-") if ord(c) in face.codepoints), "-")
        rpr = _rpr({"rFonts": _fonts(self._family(face))})
        m = self.metrics
        ind = _el("ind", {**m.sides(2), "hanging": 0})

        def abstract(num: int, fmt: str, text: str) -> str:
            return (
                f'<w:abstractNum w:abstractNumId="{num}"><w:multiLevelType w:val="singleLevel"/>'
                f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                f'<w:suff w:val="space"/><w:lvlText w:val={quoteattr(text)}/><w:lvlJc w:val="left"/>'
                f"<w:pPr>{ind}</w:pPr>{rpr}</w:lvl></w:abstractNum>"
            )

        out = [f'<w:numbering xmlns:w="{W_NS}">', abstract(0, "bullet", bullet),
               abstract(1, "decimal", "%1.")]
        out.append('<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>')
        out.append('<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>')
        for i in range(self.ordered_lists):
            out.append(
                f'<w:num w:numId="{3 + i}"><w:abstractNumId w:val="1"/>'
                '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
            )
        out.append("</w:numbering>")
        return "".join(out)

    def settings_xml(self) -> str:
        s = self.settings
        parts = ['<w:zoom w:percent="100"/>', "<w:embedTrueTypeFonts/>", "<w:saveSubsetFonts/>"]
        if s.margin_inner != s.margin_outer:
            parts.append("<w:mirrorMargins/>")
        parts.append(f'<w:defaultTabStop w:val="{self.metrics.em * 2}"/>')
        if not self.metrics.cjk:
            parts.append("<w:autoHyphenation/>")
        parts.append('<w:characterSpacingControl w:val="doNotCompress"/>')
        parts.append(
            "<w:compat>" + ("<w:useFELayout/>" if self.metrics.cjk else "")
            + '<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word"'
            ' w:val="15"/></w:compat>'
        )
        parts.append(f"<w:themeFontLang{_attrs(self._lang())}/>")
        parts.append('<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/>')
        return f'<w:settings xmlns:w="{W_NS}" xmlns:r="{R_NS}">{"".join(parts)}</w:settings>'

    def _tidy_namespaces(self) -> None:
        """Drop the template's unused namespace declarations (Mac Word, Word 2010 ink, canvas ...)
        from the story parts; ``mc:Ignorable`` goes too when nothing uses what it names."""
        from docx.parts.document import DocumentPart
        from docx.parts.hdrftr import FooterPart, HeaderPart
        from lxml import etree

        mc = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Ignorable"
        for part in self.doc.part.package.iter_parts():
            if not isinstance(part, (DocumentPart, HeaderPart, FooterPart)):
                continue
            root = part.element
            ignorable = (root.get(mc) or "").split()
            used = set()
            for el in root.iter():
                for name in (el.tag, *el.attrib):
                    if isinstance(name, str) and name.startswith("{"):
                        used.add(name[1:].split("}")[0])
            keep = [p for p in ignorable if root.nsmap.get(p) in used]
            if keep:
                root.set(mc, " ".join(keep))
            elif mc in root.attrib:
                del root.attrib[mc]
            etree.cleanup_namespaces(root, keep_ns_prefixes=keep or None)

    def _replace_part_element(self, part: Any, xml: str) -> None:
        from docx.oxml.parser import parse_xml

        part._element = parse_xml(xml.encode("utf-8"))

    def _replace_styles(self) -> None:
        self._replace_part_element(self.doc.part._styles_part, self.styles_xml())

    def _replace_numbering(self) -> None:
        self._replace_part_element(self.doc.part.numbering_part, self.numbering_xml())

    def _replace_settings(self) -> None:
        self._replace_part_element(self.doc.part._settings_part, self.settings_xml())

    def _drop_template_parts(self) -> None:
        part = self.doc.part
        for rid, rel in list(part.rels.items()):
            if rel.reltype in _DROP_DOCUMENT_RELS:
                del part.rels[rid]
        pkg_rels = part.package.rels
        for rid, rel in list(pkg_rels.items()):
            if rel.reltype in _DROP_PACKAGE_RELS:
                del pkg_rels[rid]

    def _core_properties(self) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.oxml.coreprops import CT_CoreProperties

        meta = self.document.meta
        part = self.doc.part.package.part_related_by(RT.CORE_PROPERTIES)
        part._element = CT_CoreProperties.new()
        props = self.doc.core_properties
        when = dt.datetime.fromtimestamp(self.epoch, tz=dt.timezone.utc).replace(tzinfo=None)
        props.title = self._clean(meta.title)[:255]
        creator = meta.author or meta.byline or meta.publisher
        if creator:
            props.author = self._clean(creator)[:255]
        if meta.subject:
            props.subject = self._clean(meta.subject)[:255]
        if meta.keywords:
            props.keywords = self._clean(", ".join(meta.keywords))[:255]
        if meta.description:
            props.comments = self._clean(meta.description)[:255]
        if meta.identifier:
            props.identifier = self._clean(meta.identifier)[:255]
        props.language = meta.lang
        props.last_modified_by = f"publish {self.options.version}"
        props.revision = 1
        props.created = when
        props.modified = when

    def _app_properties(self) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        part = self.doc.part.package.part_related_by(RT.EXTENDED_PROPERTIES)
        company = self.document.meta.publisher
        xml = (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
            ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            "<Application>publish</Application><DocSecurity>0</DocSecurity>"
            + (f"<Company>{escape(self._clean(company))}</Company>" if company else "")
            + "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
            "<HyperlinksChanged>false</HyperlinksChanged></Properties>"
        )
        part._blob = xml.encode("utf-8")

    # ------------------------------------------------------------------ fonts

    def _family(self, face: Any) -> str:
        """The family name this document's styles and font table use for ``face``."""
        return self.family_of[face.sha256]

    def _embed_fonts(self) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        part = self.doc.part.part_related_by(RT.FONT_TABLE)
        package = part.package
        if part.content_type != CT_FONT_TABLE:  # pragma: no cover - template changed under us
            raise WriterError("docx writer: unexpected fontTable part in the python-docx template")
        entries = []
        n = 0
        for family, original, slots in self.font_plan:
            embeds = []
            for slot in ("Regular", "Bold", "Italic", "BoldItalic"):
                face = slots.get(slot)
                if face is None:
                    continue
                n += 1
                data = _renamed_font(face.data, family)  # bytes-level: cheaper than a cache read
                guid = font_guid(data)
                font_part = Part(PackURI(f"/word/fonts/font{n}.odttf"), CT_OBFUSCATED_FONT,
                                 obfuscate(data, guid), package)
                rid = part.relate_to(font_part, RT_FONT)
                embeds.append(f'<w:embed{slot} r:id="{rid}" w:fontKey="{guid}" w:subsetted="1"/>')
            first = next(iter(slots.values()))
            entries.append(
                f"<w:font w:name={quoteattr(family)}><w:altName w:val={quoteattr(original)}/>"
                f"{_font_description(first, self.lang)}{''.join(embeds)}</w:font>"
            )
        xml = (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            f'<w:fonts xmlns:w="{W_NS}" xmlns:r="{R_NS}">{"".join(entries)}</w:fonts>'
        )
        part._blob = xml.encode("utf-8")


def _slot(face: Any) -> str:
    slot = ("Bold" if face.weight >= 600 else "") + ("Italic" if face.style == "italic" else "")
    return slot or "Regular"


def _plan_fonts(faces: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(family name in this document, the face's own family, {slot: Face}) for every face to embed.

    Each family gets a suffix made from its subsets' hashes ("Noto Serif TC 1a2b3c4d"): LibreOffice
    registers embedded fonts for the whole session under their family name and the first one wins,
    so two articles embedding different subsets of "Noto Serif TC" would draw the second with the
    first's glyphs (empty boxes). A unique name per subset set keeps every document on its own
    glyphs; ``w:altName`` still names the real family. Regular and bold of one family share the
    name so ``w:b`` pairs them. A face whose family and slot are taken by a different subset (a
    fallback cut from the same source) becomes a family of its own.
    """
    import hashlib

    groups: dict[str, dict[str, Any]] = {}
    extra: list[Any] = []
    for face in (faces.body, faces.bold, faces.heading, faces.caption, *faces.fallbacks):
        slots = groups.setdefault(face.family, {})
        have = slots.get(_slot(face))
        if have is None:
            slots[_slot(face)] = face
        elif have.sha256 != face.sha256:
            extra.append(face)
    plan = []
    for family, slots in groups.items():
        digest = hashlib.sha256("".join(sorted(f.sha256 for f in slots.values())).encode()).hexdigest()
        plan.append((f"{family} {digest[:8]}", family, slots))
    seen = {f.sha256 for _, _, slots in plan for f in slots.values()}
    for face in extra:
        if face.sha256 not in seen:
            seen.add(face.sha256)
            plan.append((f"{face.family} {face.sha256[:8]}", face.family, {_slot(face): face}))
    return plan


_RENAMED: dict[tuple[str, str], bytes] = {}


def _renamed_font(data: bytes, family: str) -> bytes:
    """The font with its family names (name IDs 1, 4, 16) set to ``family``: LibreOffice and Word
    match an embedded font by the names inside it. Timestamps are kept, so bytes are stable."""
    import hashlib

    from pipeline import _sfnt

    key = (hashlib.sha256(data).hexdigest(), family)
    cached = _RENAMED.get(key)
    if cached is not None:
        return cached
    version, tables = _sfnt.split(data)
    sub = _sfnt.name(tables, 2) or "Regular"
    _sfnt.set_names(tables, {1: family, 2: sub, 4: family if sub == "Regular" else f"{family} {sub}"},
                    remove=(16, 17))
    result = _sfnt.join(version, tables)
    if len(_RENAMED) > 32:  # a batch reuses the same few subsets; keep memory bounded
        _RENAMED.clear()
    _RENAMED[key] = result
    return result


def _font_description(face: Any, lang: str) -> str:
    """panose1 / charset / family / pitch / sig for a face, read from its OS/2 table, so Word
    can pick a substitute that looks alike when embedding is refused."""
    from pipeline.fonts import os2_fields

    fields = os2_fields(face.data)
    panose = "00000000000000000000"
    sig = ""
    if fields is not None:
        panose = fields[0].hex().upper()
        (u0, u1, u2, u3), (c0, c1) = fields[1], fields[2]
        sig = (
            f'<w:sig w:usb0="{u0:08X}" w:usb1="{u1:08X}" w:usb2="{u2:08X}" w:usb3="{u3:08X}"'
            f' w:csb0="{c0:08X}" w:csb1="{c1:08X}"/>'
        )
    han = any(0x3400 <= cp <= 0x9FFF for cp in face.codepoints)
    _, east = word_languages(lang)
    charset = "00"
    if han:
        charset = "88" if east in ("zh-TW", "zh-HK", "zh-MO") else "86"
    family_kind = "swiss" if "sans" in face.family.lower() else "roman"
    return (
        f'<w:panose1 w:val="{panose}"/><w:charset w:val="{charset}"/>'
        f'<w:family w:val="{family_kind}"/><w:pitch w:val="variable"/>{sig}'
    )


# --------------------------------------------------------------------------- zip


def _zip_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    """ZIP can only say 1980..2107 in local-less DOS time; clamp to that."""
    epoch = max(315532800, min(epoch, 4354819199))
    t = time.gmtime(epoch)
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def _zip_package(doc: Any, epoch: int) -> bytes:
    """The package zipped once, reproducibly: fixed times and attributes, content types first.

    python-docx's own ``save`` deflates every part, and a reproducible zip needs another pass
    that deflates them again (the fonts twice: a fifth of a build); here its package writer's
    steps hand over the parts and only our zip compresses them. Should those private steps
    change, ``save`` and a rewrite still give the same bytes."""
    from docx.opc.pkgwriter import PackageWriter

    class Collect:
        def __init__(self) -> None:
            self.entries: list[tuple[str, bytes]] = []

        def write(self, uri: Any, blob: bytes) -> None:
            self.entries.append((uri.membername, blob))

    package = doc.part.package
    try:
        for part in package.parts:
            part.before_marshal()
        collect = Collect()
        PackageWriter._write_content_types_stream(collect, package.parts)
        PackageWriter._write_pkg_rels(collect, package.rels)
        PackageWriter._write_parts(collect, package.parts)
        entries = collect.entries
    except AttributeError:  # pragma: no cover - python-docx reorganised its writer
        raw = io.BytesIO()
        doc.save(raw)
        src = zipfile.ZipFile(raw)
        entries = [(name, src.read(name)) for name in src.namelist()]
    return _zip_entries(entries, epoch)


def _zip_entries(entries: list[tuple[str, bytes]], epoch: int) -> bytes:
    when = _zip_time(epoch)
    first = [e for n in ("[Content_Types].xml", "_rels/.rels") for e in entries if e[0] == n]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in first + [e for e in entries if e not in first]:
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dst.writestr(info, data, compresslevel=FONT_DEFLATE if name.endswith(".odttf") else 6)
    return out.getvalue()
