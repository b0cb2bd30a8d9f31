"""The EPUB 3 edition: the one people read on phones and e-readers, so it must validate cleanly.

ebooklib packages the book: ``container.xml``, ``content.opf`` (metadata, manifest, spine) and the
NCX come from its :class:`~ebooklib.epub.EpubBook`. The XHTML, the navigation document and the
stylesheet are written here as strings we control and handed to ebooklib verbatim, so the text is
escaped exactly once and the navigation can never be empty. What ebooklib cannot do is patched on
its own lxml trees (``xml:lang`` on package and NCX, the NCX depth), and its zip, which stamps the
wall clock, is rewritten with ``mimetype`` first and stored and fixed order, times and modes, which
makes the bytes reproducible for a given input and ``SOURCE_DATE_EPOCH``. ebooklib and lxml are
imported only when rendering. The writer is pure: it returns bytes (ebooklib writes to memory,
so a failed write leaves no broken file) and reads only the images a document names (below
``options.base_dir``).

Parts: ``cover.xhtml`` (a PNG drawn with the book's own fonts), ``title.xhtml``, ``nav.xhtml``
(toc + landmarks), ``text.xhtml`` (the article), ``toc.ncx`` for EPUB 2 readers, one stylesheet
and the font subsets from :mod:`pipeline.fonts`. ``writing_mode = "vertical-rl"`` makes the
traditional vertical book: vertical CSS, right-to-left page progression, corner-bracket quotes and
upright two-digit numbers. ``colophon.xhtml`` carries the SIL OFL text the embedded fonts require.
The body face is embedded as :mod:`pipeline.fonts` made it; heading, bold and caption faces are
trimmed to the characters they print, which keeps a long CJK article far under the 1 MB budget.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.model import (
    META_TEXT_FIELDS,
    Block,
    Caption,
    Document,
    Heading,
    ListBlock,
    Paragraph,
    Quote,
)
from pipeline.settings import Settings
from pipeline.writers import (
    FONT_DEFLATE,
    RenderOptions,
    WriterError,
    date_in_byline,
    escape,
    unknown_block,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ebooklib.epub import EpubBook
    from ebooklib.epub import EpubWriter as _EbooklibWriter

    from pipeline.fonts import Face, FaceSet

#: Total bytes of embedded fonts we allow (the issue: "under 1 MB").
FONT_BUDGET = 1_000_000
#: Zip entries may not predate 1980; used when no SOURCE_DATE_EPOCH is given.
_ZIP_FLOOR = (1980, 1, 1, 0, 0, 0)

_UNTITLED = "—"
_IBOOKS = "http://vocabulary.itunes.apple.com/rdf/ibooks/vocabulary-extensions-1.0/"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NS_XHTML = "http://www.w3.org/1999/xhtml"
_NS_EPUB = "http://www.idpf.org/2007/ops"

# Characters XML 1.0 cannot hold at all; they are replaced (and reported) rather than dropped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# 1-2 digit runs not part of a longer number, word or decimal: set upright in vertical text.
_SHORT_DIGITS = re.compile(r"(?<![0-9A-Za-z.,:/-])[0-9]{1,2}(?![0-9A-Za-z]|[.,:/-][0-9])")
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")

_LABELS = {
    # lang family -> (contents, cover, title page, start of text, landmarks, colophon)
    "zh-Hant": ("目錄", "封面", "書名頁", "正文", "導覽", "版權與字型"),
    "zh-Hans": ("目录", "封面", "书名页", "正文", "导览", "版权与字体"),
    "ja": ("目次", "表紙", "扉", "本文", "ランドマーク", "奥付"),
    "ko": ("목차", "표지", "속표지", "본문", "랜드마크", "판권"),
    "en": ("Contents", "Cover", "Title page", "Start of text", "Landmarks", "Colophon"),
}

# Installed families readers may have, tried when publisher fonts are off (or a glyph is missing).
_SERIF = {
    "zh-Hant": ('"Noto Serif TC"', '"Source Han Serif TC"', '"Songti TC"', '"PMingLiU"', '"MingLiU"'),
    "zh-Hans": ('"Noto Serif SC"', '"Source Han Serif SC"', '"Songti SC"', '"STSong"', '"SimSun"'),
    "ja": ('"Noto Serif JP"', '"Source Han Serif JP"', '"Hiragino Mincho ProN"', '"Yu Mincho"'),
    "ko": ('"Noto Serif KR"', '"Source Han Serif KR"', '"AppleMyungjo"', '"Batang"'),
    "en": ('"Noto Serif"', '"Charis SIL"', "Georgia", '"Times New Roman"'),
}
_SANS = {
    "zh-Hant": ('"Noto Sans TC"', '"Source Han Sans TC"', '"PingFang TC"', '"Microsoft JhengHei"'),
    "zh-Hans": ('"Noto Sans SC"', '"Source Han Sans SC"', '"PingFang SC"', '"Microsoft YaHei"'),
    "ja": ('"Noto Sans JP"', '"Source Han Sans JP"', '"Hiragino Sans"', '"Yu Gothic"'),
    "ko": ('"Noto Sans KR"', '"Source Han Sans KR"', '"Apple SD Gothic Neo"', '"Malgun Gothic"'),
    "en": ('"Noto Sans"', '"Helvetica Neue"', "Arial"),
}


def _lang_family(lang: str) -> str:
    """Which label/font table a BCP 47 tag uses (the same grouping as :mod:`pipeline.fonts`)."""
    parts = [p.lower() for p in lang.replace("_", "-").split("-") if p]
    if not parts:
        return "en"
    if parts[0] in ("zh", "yue", "cmn", "lzh", "nan", "hak", "wuu"):
        if "hant" in parts or any(p in ("tw", "hk", "mo") for p in parts[1:]):
            return "zh-Hant"
        return "zh-Hant" if parts[0] == "yue" and "hans" not in parts else "zh-Hans"
    if parts[0] in ("ja", "ko"):
        return parts[0]
    return "en"


def _attr(value: str) -> str:
    """Escape for a double-quoted XML attribute."""
    return escape(value, {'"': "&quot;"})


def _corner_quotes(text: str) -> str:
    """Curly quotes to corner brackets (“”→「」, ‘’→『』); an unpaired ’ stays (an apostrophe)."""
    out: list[str] = []
    double = single = 0
    for ch in text:
        if ch == "“":
            double += 1
            out.append("「")
        elif ch == "”" and double:
            double -= 1
            out.append("」")
        elif ch == "‘":
            single += 1
            out.append("『")
        elif ch == "’" and single:
            single -= 1
            out.append("』")
        else:
            out.append(ch)
    return "".join(out)


def _normalise_date(value: str | None) -> str | None:
    """A W3CDTF date for dc:date from the usual ways articles write one; None when unsure (a
    malformed dc:date is an EPUBCheck warning, so an odd date stays on the title page only)."""
    if not value:
        return None
    value = value.strip()
    value = re.sub(r"^(\d{4}-\d{2}-\d{2}) (?=\d)", r"\1T", value)  # the schema allows a space
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?)?)?",
                     value)
    if m:
        year, month, day, time = int(m[1]), int(m[2] or 1), int(m[3] or 1), m[4] or ""
        if time and not (int(time[1:3]) < 24 and int(time[4:6]) < 60
                         and (len(time) < 9 or time[6] != ":" or int(time[7:9]) < 60)):
            return None
    else:
        m = re.fullmatch(r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?", value)
        if not m:
            return None
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        value = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        dt.date(year, month, day)
    except ValueError:
        return None
    return value


def book_identifier(document: Document) -> str:
    """The configured identifier, else a UUID derived from source, title and date (never the body,
    so fixing a typo keeps the book's identity; never random, so rebuilds keep it too)."""
    meta = document.meta
    if meta.identifier and meta.identifier.strip():
        return meta.identifier.strip()
    key = "\n".join([meta.source or "", meta.title, meta.date or ""])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'publish:' + key)}"


@dataclass
class _Asset:
    """One file of the package besides the fixed ones."""

    href: str  # relative to the OPF
    media_type: str
    data: bytes
    id: str


@dataclass
class _Fonts:
    """What the stylesheet needs to know about the embedded faces."""

    faces: dict[str, Face | None] = field(default_factory=dict)  # role -> embedded face or None
    fallbacks: list[Face] = field(default_factory=list)
    assets: list[_Asset] = field(default_factory=list)
    embedded: list[tuple[_Asset, Face]] = field(default_factory=list)


class _Book:
    """The state of one render: options, language and text treatment for this edition."""

    def __init__(self, document: Document, options: RenderOptions):
        self.document = document
        self.options = options
        # Blank fields would make empty dc: elements, <title> or nav entries (all invalid): a blank
        # title becomes a dash, other blank fields count as absent.
        meta = document.meta
        blank = {name: None for name in META_TEXT_FIELDS
                 if getattr(meta, name) is not None and not getattr(meta, name).strip()}
        self.meta = replace(meta, **blank, title=meta.title if meta.title.strip() else _UNTITLED,
                            credits=tuple(c for c in meta.credits if c.strip()),
                            keywords=tuple(k for k in meta.keywords if k.strip()))
        self.lang = document.meta.lang or "und"
        self.family = _lang_family(self.lang)
        settings = options.settings
        self.vertical = settings.writing_mode == "vertical-rl"
        cjk = self.family != "en"
        self.corner = cjk and (self.vertical or settings.quotes == "corner")
        self._reported: set[str] = set()
        self.labels = _LABELS[self.family]
        self.headings: list[tuple[str, int, str]] = []  # (id, level, text)

    # -- text -------------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        """Plain text for this edition: XML-safe characters, corner quotes when wanted."""
        if "\r" in value:  # XML parsers turn CR into LF anyway; say so in the markup
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if _XML_INVALID.search(value):
            for ch in sorted(set(_XML_INVALID.findall(value))):
                if ch not in self._reported:
                    self._reported.add(ch)
                    self.options.warning(
                        f"epub: U+{ord(ch):04X} cannot appear in XML; replaced by U+FFFD")
            value = _XML_INVALID.sub("\ufffd", value)
        return _corner_quotes(value) if self.corner else value

    def plain(self, value: str) -> str:
        """Escaped text without inline markup (metadata, nav, titles)."""
        return escape(self.text(value))

    def inline(self, value: str) -> str:
        """Escaped text for the body; short digit runs become upright in vertical text."""
        value = escape(self.text(value))
        if self.vertical:
            value = _SHORT_DIGITS.sub(lambda m: f'<span class="tcy">{m[0]}</span>', value)
        return value


# -- fonts ----------------------------------------------------------------------------------------
def _font_ext(face: Face) -> tuple[str, str]:
    return ("otf", "font/otf") if face.data[:4] == b"OTTO" else ("ttf", "font/ttf")


#: Characters every trimmed face keeps: ASCII and the punctuation any line may carry.
_TRIM_KEEP = frozenset(range(0x20, 0x7F)) | frozenset(
    map(ord, "　、。，．：；！？「」『』（）《》〈〉…—–·・“”‘’%\ufffd"))


def _role_texts(book: _Book) -> dict[str, list[str]]:
    """What each non-body face prints, so those faces can be trimmed to it (the stylesheet
    sets headings, run-in heads and captions in them; everything else is in the body face)."""
    meta = book.meta
    heading = [meta.title, meta.subtitle or "", *book.labels]
    bold: list[str] = []
    caption = [meta.byline or "", meta.author or "", meta.editor or "", meta.publisher or "",
               meta.source or "", meta.rights or "", *meta.credits, "——"]
    if meta.date:
        caption.append(_display_date(book, meta.date))
    for block in book.document.blocks:
        if isinstance(block, Heading):
            heading.append(block.text)
        elif isinstance(block, Paragraph):
            bold.append(block.runin or "")
            if block.role == "epigraph":
                caption.append(block.text)
        elif isinstance(block, Caption):
            caption += [block.text, block.credit or ""]
        elif isinstance(block, Quote):
            caption.append(block.attribution or "")
    from pipeline.fonts import licence_notice

    caption.append(licence_notice())
    return {"heading": heading, "bold": bold, "caption": caption}


def _trim(face: Face, codepoints: frozenset[int], settings: Settings) -> bytes:
    """``face`` subset again to the code points one role prints (all layout features kept, so
    vertical alternates survive); reproducible: no timestamp is recalculated. Cached on disk
    with the font subsets, so a warm build does no fontTools work."""
    from pipeline.fonts import derived, subset_face

    wanted = codepoints & face.codepoints
    parameter = ",".join(f"{cp:x}" for cp in sorted(wanted))
    return derived("epub-trim", face, parameter, lambda: subset_face(face, wanted), settings)


def _choose_fonts(faceset: FaceSet, book: _Book) -> _Fonts:
    """Embed body and heading always, then fallbacks, bold and caption while under the budget.

    The body face is embedded whole (it must draw anything); heading, bold and caption faces are
    trimmed to the characters they print, which roughly halves the payload of a CJK book."""
    chosen = _Fonts()
    by_hash: dict[str, _Asset] = {}
    total = 0
    wanted: list[tuple[str, Face]] = [("body", faceset.body), ("heading", faceset.heading)]
    wanted += [("fallback", f) for f in faceset.fallbacks]
    wanted += [("bold", faceset.bold), ("caption", faceset.caption)]
    texts = _role_texts(book)
    needs: dict[str, set[int]] = {}  # sha -> code points, for faces not shared with the body
    for role, face in wanted:
        if role in texts and face.sha256 != faceset.body.sha256:
            needs.setdefault(face.sha256, set(_TRIM_KEEP)).update(
                ord(c) for t in texts[role] for c in book.text(t))
    for role, face in wanted:
        key = f"{face.sha256}:{face.weight}:{face.style}"
        if key not in by_hash:
            data = (_trim(face, frozenset(needs[face.sha256]), book.options.settings)
                    if face.sha256 in needs else face.data)
            size = len(data)
            if role not in ("body", "heading") and total + size > FONT_BUDGET:
                book.options.warning(
                    f"epub: the {role} font ({face.family}, {size} bytes) is not embedded: "
                    f"it would take the font payload over {FONT_BUDGET} bytes")
                if role != "fallback":
                    chosen.faces[role] = None
                continue
            total += size
            ext, media = _font_ext(face)
            asset = _Asset(f"fonts/{role}-{face.sha256[:12]}.{ext}", media, data,
                           f"font-{role}-{face.sha256[:12]}")
            by_hash[key] = asset
            chosen.assets.append(asset)
            chosen.embedded.append((asset, face))
        if role == "fallback":
            chosen.fallbacks.append(face)
        else:
            chosen.faces[role] = face
    if total > FONT_BUDGET:
        book.options.warning(f"epub: embedded fonts take {total} bytes (budget {FONT_BUDGET})")
    return chosen


def _css_family(face: Face) -> str:
    return '"' + face.ps_name.replace('"', "").replace("\\", "") + '"'


def _stack(fonts: _Fonts, roles: Iterable[str], system: tuple[str, ...], generic: str) -> str:
    names: list[str] = []
    for role in roles:
        face = fonts.faces.get(role)
        if face is not None and _css_family(face) not in names:
            names.append(_css_family(face))
    names += [_css_family(f) for f in fonts.fallbacks if _css_family(f) not in names]
    names += list(system)
    names.append(generic)
    return ", ".join(names)


def _stylesheet(book: _Book, fonts: _Fonts) -> str:
    """The book's CSS: CJK-first typography; vertical rules only in the vertical edition."""
    fam = book.family
    cjk = fam != "en"
    out: list[str] = ['@charset "UTF-8";', ""]
    seen: set[str] = set()
    for asset, face in fonts.embedded:
        family = _css_family(face)
        if (family, face.weight, face.style) in seen:
            continue
        seen.add((family, face.weight, face.style))
        fmt = "opentype" if asset.media_type == "font/otf" else "truetype"
        out.append(
            "@font-face {\n"
            f"  font-family: {family};\n"
            f'  src: url("../{asset.href}") format("{fmt}");\n'
            f"  font-weight: {face.weight};\n"
            f"  font-style: {face.style};\n"
            "}"
        )
    serif = _stack(fonts, ["body"], _SERIF[fam], "serif")
    sans_heading = _stack(fonts, ["heading"], _SANS[fam], "sans-serif")
    bold = _stack(fonts, ["bold", "heading"], _SANS[fam] if cjk else _SERIF[fam],
                  "sans-serif" if cjk else "serif")
    caption = _stack(fonts, ["caption"], _SANS[fam], "sans-serif")
    heading_face = fonts.faces.get("heading")
    heading_weight = heading_face.weight if heading_face is not None else 700
    bold_face = fonts.faces.get("bold") or heading_face
    bold_weight = bold_face.weight if bold_face is not None else 700
    indent = "2em" if cjk else "1.5em"
    line_height = "1.8" if cjk else "1.55"
    v = book.vertical
    mode_css = ("writing-mode: vertical-rl;\n  -epub-writing-mode: vertical-rl;\n"
                "  -webkit-writing-mode: vertical-rl;") if v else "writing-mode: horizontal-tb;"
    hyphens_css = "" if cjk else "hyphens: auto;\n  -epub-hyphens: auto;\n  -webkit-hyphens: auto;"
    # Physical sides of the logical start/end in this writing mode.
    start, end = ("top", "bottom") if v else ("left", "right")
    before, after = ("right", "left") if v else ("top", "bottom")
    out.append(f"""
html {{
  {mode_css}
}}
body {{
  font-family: {serif};
  font-weight: 400;
  line-height: {line_height};
  text-align: justify;
  {"text-justify: inter-character;" if cjk else ""}
  line-break: strict;
  -epub-line-break: strict;
  -webkit-line-break: strict;
  word-break: normal;
  overflow-wrap: break-word;
  {hyphens_css}
  margin: 0;
  padding: 0 0.5em;
}}
p {{
  margin: 0;
  text-indent: {indent};
  orphans: 2;
  widows: 2;
}}
{"" if cjk else "h1 + p, h2 + p, h3 + p, h4 + p, header + p, figure + p, blockquote + p, "
                "ul + p, ol + p { text-indent: 0; }"}
h1, h2, h3, h4 {{
  font-family: {sans_heading};
  font-weight: {heading_weight};
  line-height: 1.4;
  text-align: start;
  text-indent: 0;
  text-wrap: balance;
  hyphens: manual;
  page-break-after: avoid;
  break-after: avoid;
  page-break-inside: avoid;
  break-inside: avoid;
}}
h1 {{ font-size: 1.6em; margin-{before}: 0.5em; margin-{after}: 0.6em; }}
h2 {{ font-size: 1.3em; margin-{before}: 1.6em; margin-{after}: 0.6em; }}
h3 {{ font-size: 1.12em; margin-{before}: 1.2em; margin-{after}: 0.4em; }}
h4 {{ font-size: 1em; margin-{before}: 1em; margin-{after}: 0.3em; }}
header.article-head {{ margin-{after}: 1.2em; }}
header.article-head p {{ text-indent: 0; }}
p.subtitle {{ font-family: {sans_heading}; font-size: 1.1em; margin-{after}: 0.5em; }}
p.byline, p.dateline {{ font-family: {caption}; font-size: 0.85em; color: #555; }}
strong.runin {{
  font-family: {bold};
  font-weight: {bold_weight};
}}
p.epigraph {{
  font-family: {caption};
  font-size: 0.95em;
  text-indent: 0;
  margin-{start}: 4em;
  margin-{before}: 0.4em;
  margin-{after}: 0.9em;
  color: #3a3a3a;
}}
p.signature {{ text-align: end; text-indent: 0; margin-{before}: 0.6em; }}
p.note {{ font-size: 0.88em; text-indent: 0; margin-{before}: 0.6em; color: #444; }}
figure {{
  margin: 1.2em 0;
  page-break-inside: avoid;
  break-inside: avoid;
}}
figure img {{
  display: block;
  margin: 0 auto 0.5em auto;
  max-width: 100%;
  max-height: 90vh;
  height: auto;
}}
figcaption {{
  font-family: {caption};
  font-size: 0.85em;
  line-height: 1.6;
  text-align: justify;
  text-indent: 0;
  color: #444;
  padding-{start}: 0.8em;
  border-{start}: 0.2em solid #b5282e;
}}
small.credit {{
  display: block;
  font-size: 0.9em;
  text-align: end;
  color: #666;
}}
figure.quote {{ margin: 1em 2em; }}
figure.quote blockquote {{ margin: 0; }}
figure.quote blockquote p {{ text-indent: 0; }}
figure.quote figcaption {{ border: none; padding: 0; text-align: end; }}
blockquote {{ margin: 1em 2em; }}
ul, ol {{ margin: 0.6em 0; padding-{start}: 2.5em; }}
li {{ margin: 0.15em 0;{"" if cjk else " text-align: start;"} }}
.tcy {{
  text-combine-upright: all;
  -epub-text-combine: horizontal;
  -webkit-text-combine: horizontal;
}}
section.titlepage {{
  text-align: center;
  padding-{before}: 18%;
}}
section.titlepage h1 {{ font-size: 1.9em; text-align: center; margin-{after}: 1em; }}
section.titlepage p {{ text-indent: 0; text-align: center; margin: 0.3em 0; }}
section.titlepage p.publisher {{ font-family: {caption}; margin-{before}: 3em; }}
section.titlepage p.rights, section.titlepage p.credits {{
  font-family: {caption};
  font-size: 0.8em;
  color: #555;
}}
body.cover {{ margin: 0; padding: 0; text-align: center; }}
body.cover img {{ max-width: 100%; max-height: 100vh; height: auto; }}
nav ol {{ list-style: none; padding-{start}: 0; margin: 0; }}
nav ol ol {{ padding-{start}: 1.5em; }}
nav li {{ margin: 0.3em 0; }}
nav a {{ text-decoration: none; color: inherit; }}
nav h2 {{ margin-{before}: 0.5em; }}
nav#landmarks {{ display: none; }}
html.horizontal {{
  writing-mode: horizontal-tb;
  -epub-writing-mode: horizontal-tb;
  -webkit-writing-mode: horizontal-tb;
}}
section.colophon {{ font-family: {caption}; font-size: 0.85em; }}
section.colophon h2 {{ margin-top: 0.5em; }}
section.colophon p {{ text-indent: 0; text-align: left; margin: 0.5em 0; }}
pre.licence {{
  font-family: {caption};
  font-size: 0.8em;
  line-height: 1.45;
  white-space: pre-wrap;
  overflow-wrap: break-word;
}}
""")
    return "\n".join(line.rstrip() for line in "\n".join(out).splitlines() if line.strip()) + "\n"


# -- XHTML ----------------------------------------------------------------------------------------
def _xhtml(book: _Book, title: str, body: str, body_attrs: str = "", html_class: str = "") -> bytes:
    lang = _attr(book.lang)
    cls = f' class="{html_class}"' if html_class else ""
    return (
        _XML_DECL
        + "<!DOCTYPE html>\n"
        + f'<html xmlns="{_NS_XHTML}" xmlns:epub="{_NS_EPUB}" lang="{lang}" xml:lang="{lang}"{cls}>\n'
        + "<head>\n"
        + f"<title>{title}</title>\n"
        + '<link rel="stylesheet" type="text/css" href="css/book.css"/>\n'
        + "</head>\n"
        + f"<body{body_attrs}>\n{body}</body>\n</html>\n"
    ).encode("utf-8")


class _Renderer:
    """Blocks to XHTML, one method per block type (an unknown type raises)."""

    #: block class -> name of the method that renders it
    VISIT: dict[type, str] = {Heading: "heading", Paragraph: "paragraph", Caption: "caption",
                              ListBlock: "list", Quote: "quote"}

    def __init__(self, book: _Book, images: dict[str, _Asset]):
        self.book = book
        self.images = images
        self.count = 0

    def render(self, block: Block) -> str:
        name = self.VISIT.get(type(block))
        if name is None:
            raise unknown_block("epub", block)
        method: Callable[[Block], str] = getattr(self, name)
        return method(block)

    def heading(self, block: Heading) -> str:
        self.count += 1
        ident = f"h{self.count}"
        level = min(max(block.level, 1), 3) + 1
        self.book.headings.append((ident, block.level, block.text))
        return f'<h{level} id="{ident}">{self.book.inline(block.text)}</h{level}>\n'

    def paragraph(self, block: Paragraph) -> str:
        b = self.book
        runin = ""
        if block.runin:
            sep = "" if _CJK.search(block.runin[-1:]) or block.runin[-1:].isspace() else " "
            runin = f'<strong class="runin">{b.inline(block.runin)}</strong>{sep}'
        if block.role in ("epigraph", "lead", "signature", "note"):
            etype = ' epub:type="epigraph"' if block.role == "epigraph" else ""
            return f'<p class="{block.role}"{etype}>{runin}{b.inline(block.text)}</p>\n'
        return f"<p>{runin}{b.inline(block.text)}</p>\n"

    def caption(self, block: Caption) -> str:
        b = self.book
        img = ""
        asset = self.images.get(block.image or "")
        if asset is not None:
            alt = block.alt if block.alt is not None else block.text
            img = f'<img src="{_attr(asset.href)}" alt="{_attr(b.text(alt))}"/>\n'
        credit = f'<small class="credit">{b.inline(block.credit)}</small>' if block.credit else ""
        return f"<figure>\n{img}<figcaption>{b.inline(block.text)}{credit}</figcaption>\n</figure>\n"

    def list(self, block: ListBlock) -> str:
        tag = "ol" if block.ordered else "ul"
        items = "".join(f"<li>{self.book.inline(item)}</li>\n" for item in block.items)
        if not items:
            return ""
        return f"<{tag}>\n{items}</{tag}>\n"

    def quote(self, block: Quote) -> str:
        b = self.book
        quote = f"<blockquote>\n<p>{b.inline(block.text)}</p>\n</blockquote>\n"
        if not block.attribution:
            return quote
        dash = "——" if b.family != "en" else "— "
        return (f'<figure class="quote">\n{quote}'
                f"<figcaption>{dash}{b.inline(block.attribution)}</figcaption>\n</figure>\n")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def _display_date(book: _Book, value: str) -> str:
    """The date as readers of this language write it (2020年3月26日 / 26 March 2020); the text
    as given when it is not an ISO date."""
    iso = _normalise_date(value)
    if not iso or len(iso) < 10:
        return value
    day = dt.date.fromisoformat(iso[:10])
    if book.family == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"  # not strftime: locale-free
    return f"{day.year}年{day.month}月{day.day}日"


def _text_page(book: _Book, renderer: _Renderer) -> bytes:
    meta = book.meta
    head = [f'<h1 id="title">{book.inline(meta.title)}</h1>\n']
    if meta.subtitle:
        head.append(f'<p class="subtitle">{book.inline(meta.subtitle)}</p>\n')
    who = meta.byline or meta.author
    if who:
        head.append(f'<p class="byline">{book.inline(who)}</p>\n')
    if meta.date and not date_in_byline(meta):
        iso = _normalise_date(meta.date)
        shown = book.inline(_display_date(book, meta.date))
        if iso:
            shown = f'<time datetime="{_attr(iso)}">{shown}</time>'
        head.append(f'<p class="dateline">{shown}</p>\n')
    body = "".join(renderer.render(block) for block in book.document.blocks)
    # A div, not a section: MuPDF (1.21) hoists figures inside sectioning elements to their start.
    section = (
        '<div class="chapter" epub:type="chapter" role="doc-chapter" aria-labelledby="title">\n'
        f'<header class="article-head">\n{"".join(head)}</header>\n{body}</div>\n'
    )
    return _xhtml(book, book.plain(meta.title), section, ' epub:type="bodymatter"')


def _title_page(book: _Book) -> bytes:
    """The formal title page: title, subtitle, author (else the byline), date, publisher."""
    meta = book.meta
    parts = [f"<h1>{book.inline(meta.title)}</h1>\n"]
    if meta.subtitle:
        parts.append(f'<p class="subtitle">{book.inline(meta.subtitle)}</p>\n')
    if meta.author:
        parts.append(f'<p class="author">{book.inline(meta.author)}</p>\n')
    elif meta.byline:
        parts.append(f'<p class="byline">{book.inline(meta.byline)}</p>\n')
    if meta.date:
        parts.append(f'<p class="date">{book.inline(_display_date(book, meta.date))}</p>\n')
    if meta.publisher or meta.source:
        parts.append(f'<p class="publisher">{book.inline(meta.publisher or meta.source or "")}</p>\n')
    if meta.credits:
        credits = "<br/>".join(book.inline(c) for c in meta.credits)
        parts.append(f'<p class="credits">{credits}</p>\n')
    if meta.rights:
        parts.append(f'<p class="rights">{book.inline(meta.rights)}</p>\n')
    body = (f'<section class="titlepage" epub:type="titlepage" aria-label="{_attr(book.labels[2])}">\n'
            f'{"".join(parts)}</section>\n')
    return _xhtml(book, book.plain(meta.title), body, ' epub:type="frontmatter"')


def _colophon_page(book: _Book, faceset: FaceSet) -> bytes:
    """Back matter: rights, source, and the font licence, which must travel with embedded fonts.

    Always horizontal: the licence is English prose set in lines."""
    from pipeline.fonts import licence_notice, licence_summary

    meta = book.meta
    parts = [f"<h2>{book.plain(book.labels[5])}</h2>\n"]
    if meta.rights:
        parts.append(f'<p class="rights">{book.inline(meta.rights)}</p>\n')
    if meta.source:
        source = book.plain(meta.source)
        if re.fullmatch(r"https?://[^\s<>\"]+", meta.source):
            source = f'<a href="{_attr(meta.source)}">{source}</a>'
        parts.append(f'<p class="source">{source}</p>\n')
    made = f"Made with publish {book.options.version}. {licence_summary(faceset)}"
    parts.append(f'<p class="made" lang="en" xml:lang="en">{escape(made)}</p>\n')
    licence = escape(book.text(licence_notice()))
    parts.append(f'<pre class="licence" lang="en" xml:lang="en">{licence}</pre>\n')
    body = (f'<section class="colophon" epub:type="colophon" role="doc-colophon">\n'
            f'{"".join(parts)}</section>\n')
    return _xhtml(book, book.plain(book.labels[5]), body, ' epub:type="backmatter"',
                  html_class="horizontal")


def _cover_page(book: _Book, cover_href: str) -> bytes:
    alt = _attr(book.text(book.meta.title))
    body = (f'<section epub:type="cover" aria-label="{_attr(book.labels[1])}">\n'
            f'<img src="{cover_href}" alt="{alt}" role="doc-cover"/>\n</section>\n')
    return _xhtml(book, _attr(book.labels[1]), body, ' class="cover"')


def _toc_tree(book: _Book) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The table of contents: the title, then level-1 headings with their level-2 children."""
    tree: list[tuple[str, str, list[tuple[str, str]]]] = [("text.xhtml#title", book.meta.title, [])]
    for ident, level, text in book.headings:
        href = f"text.xhtml#{ident}"
        text = text if text.strip() else _UNTITLED
        if level >= 2 and len(tree) > 1:
            tree[-1][2].append((href, text))
        else:
            tree.append((href, text, []))
    return tree


def _nav_page(book: _Book) -> bytes:
    items: list[str] = []
    for href, text, children in _toc_tree(book):
        sub = ""
        if children:
            sub = "\n<ol>\n" + "".join(
                f'<li><a href="{h}">{book.plain(t)}</a></li>\n' for h, t in children) + "</ol>\n"
        items.append(f'<li><a href="{href}">{book.plain(text)}</a>{sub}</li>\n')
    contents, cover, titlepage, start, landmarks, _ = (_attr(x) for x in book.labels)
    body = (
        f'<nav epub:type="toc" role="doc-toc" id="toc">\n<h2>{contents}</h2>\n<ol>\n'
        f'{"".join(items)}</ol>\n</nav>\n'
        f'<nav epub:type="landmarks" id="landmarks" hidden="hidden">\n<h2>{landmarks}</h2>\n<ol>\n'
        f'<li><a epub:type="cover" href="cover.xhtml">{cover}</a></li>\n'
        f'<li><a epub:type="titlepage" href="title.xhtml">{titlepage}</a></li>\n'
        f'<li><a epub:type="toc" href="nav.xhtml#toc">{contents}</a></li>\n'
        f'<li><a epub:type="bodymatter" href="text.xhtml">{start}</a></li>\n'
        "</ol>\n</nav>\n"
    )
    return _xhtml(book, contents, body, ' epub:type="frontmatter"')


# -- package (ebooklib) ---------------------------------------------------------------------------
def _moment(epoch: int | None) -> dt.datetime:
    """When the book was last modified: SOURCE_DATE_EPOCH, else now; always UTC (ebooklib writes
    the value with a literal ``Z``, so it must not be local time)."""
    if epoch is None:
        return dt.datetime.now(dt.timezone.utc)
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def _toc(book: _Book) -> list:
    """:func:`_toc_tree` as ebooklib's ``book.toc`` (a ``(Section, [Link])`` pair for a heading
    with sub-headings), from which ebooklib writes the NCX. Titles are plain text: lxml escapes."""
    from ebooklib import epub

    toc: list = []
    n = 0
    for href, text, children in _toc_tree(book):
        n += 1
        if not children:
            toc.append(epub.Link(href, book.text(text), f"np{n}"))
            continue
        links = []
        for child_href, child_text in children:
            n += 1
            links.append(epub.Link(child_href, book.text(child_text), f"np{n}"))
        toc.append((epub.Section(book.text(text), href), links))
    return toc


def _metadata(book: _Book, pkg: EpubBook, identifier: str, has_images: bool) -> None:
    """Package metadata through ebooklib (lxml escapes every value; ``book.text`` has already
    replaced what XML cannot hold, which lxml would otherwise reject and ebooklib silently drop)."""
    meta = book.meta
    pkg.IDENTIFIER_ID = "pub-id"
    pkg.set_identifier(_XML_INVALID.sub("\ufffd", identifier))  # replaces ebooklib's random uuid4
    pkg.set_title(book.text(meta.title))
    pkg.set_language(book.lang)
    # ebooklib announces itself as the generator unless told otherwise.
    pkg.set_unique_metadata("OPF", "generator", "",
                            {"name": "generator", "content": f"publish {book.options.version}"})
    creator = meta.author  # a byline is a printed line (often a date), not a name
    if creator:
        pkg.add_author(book.text(creator), role="aut", uid="creator")
    if meta.editor:
        pkg.add_metadata("DC", "contributor", book.text(meta.editor), {"id": "editor"})
        pkg.add_metadata(None, "meta", "edt",
                         {"refines": "#editor", "property": "role", "scheme": "marc:relators"})
    if meta.publisher:
        pkg.add_metadata("DC", "publisher", book.text(meta.publisher))
    date = _normalise_date(meta.date)
    if date:
        pkg.add_metadata("DC", "date", date)
    if meta.rights:
        pkg.add_metadata("DC", "rights", book.text(meta.rights))
    subjects = [s for s in ([meta.subject] if meta.subject else []) + list(meta.keywords) if s.strip()]
    for subject in dict.fromkeys(subjects):
        pkg.add_metadata("DC", "subject", book.text(subject))
    if meta.description:
        pkg.add_metadata("DC", "description", book.text(meta.description))
    if meta.source:
        pkg.add_metadata("DC", "source", book.text(meta.source))

    def prop(name: str, value: str) -> None:
        pkg.add_metadata(None, "meta", value, {"property": name})

    # Apple Books ignores embedded fonts unless told the book specifies them.
    pkg.add_prefix("ibooks", _IBOOKS)
    prop("ibooks:specified-fonts", "true")
    if book.vertical:  # Kindle's converters read this to keep the book vertical
        pkg.add_metadata(None, "meta", "", {"name": "primary-writing-mode", "content": "vertical-rl"})
    # Accessibility: only what is true of every book this writer makes.
    prop("schema:accessMode", "textual")
    prop("schema:accessMode", "visual")  # the cover and any photos
    prop("schema:accessModeSufficient", "textual")
    for feature in ("structuralNavigation", "tableOfContents", "readingOrder",
                    "displayTransformability", "alternativeText"):
        prop("schema:accessibilityFeature", feature)
    prop("schema:accessibilityHazard", "none")
    summary = (
        "Reflowable text with a table of contents, headings that mark each section and a single "
        "logical reading order; readers may change the font, size and colours. The cover image "
        + ("and every photograph have" if has_images else "has")
        + " a text alternative. There are no flashing, motion or sound hazards."
    )
    if book.vertical:
        summary += " The text is set vertically, read top to bottom and right to left."
    prop("schema:accessibilitySummary", summary)


def _package_writer(book: _Book) -> type[_EbooklibWriter]:
    """ebooklib's writer with what it has no option for, done on lxml trees rather than on
    serialised bytes: ``xml:lang`` on ``<package>`` and ``<ncx>`` (the language of the metadata
    and labels, which readers use to pick a CJK font) and a true ``dtb:depth`` in the NCX
    (ebooklib always writes 0)."""
    from ebooklib import epub
    from lxml import etree

    lang = book.lang
    depth = "2" if any(children for _, _, children in _toc_tree(book)) else "1"

    class Writer(epub.EpubWriter):
        def _write_opf_file(self, root) -> None:
            root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
            super()._write_opf_file(root)

        def _get_ncx(self) -> bytes:
            root = etree.fromstring(super()._get_ncx())
            root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
            for element in root.iterfind("{*}head/{*}meta[@name='dtb:depth']"):
                element.set("content", depth)
            return etree.tostring(root, encoding="utf-8", xml_declaration=True)

    return Writer


def _package(book: _Book, identifier: str, pages: list[tuple[str, str, bytes]], nav: bytes,
             stylesheet: bytes, cover: _Asset, fonts: list[_Asset], images: list[_Asset]) -> bytes:
    """Assemble the EPUB with ebooklib: it writes container.xml, content.opf (metadata, manifest,
    spine with the page progression) and the NCX from ``book.toc``.

    Our XHTML goes in as plain :class:`~ebooklib.epub.EpubItem` parts, written verbatim:
    ``EpubHtml.get_content`` re-parses a page with lxml's HTML parser and rebuilds ``<head>`` and
    ``<body>``, which drops the attributes on ``<html>``/``<body>`` (``epub:type``, the
    ``horizontal`` class of the colophon) and the stylesheet link. The navigation document is ours
    for the same reason: ebooklib's ``EpubNav`` cannot mark the landmarks ``hidden``, so they
    would be printed in the contents page the spine shows."""
    from ebooklib import epub

    pkg = epub.EpubBook()
    _metadata(book, pkg, identifier, bool(images))
    if book.vertical:
        pkg.set_direction("rtl")  # spine page-progression-direction (not package dir)

    def xhtml(uid: str, href: str, data: bytes, properties: tuple[str, ...] = ()) -> epub.EpubItem:
        item = epub.EpubItem(uid=uid, file_name=href, media_type="application/xhtml+xml", content=data)
        item.properties = list(properties)  # ebooklib writes manifest properties from this
        return pkg.add_item(item)

    spine = {"nav": xhtml("nav", "nav.xhtml", nav, ("nav",))}
    pkg.add_item(epub.EpubNcx())
    pkg.add_item(epub.EpubItem(uid="css", file_name="css/book.css", media_type="text/css",
                               content=stylesheet))
    for uid, href, data in pages:
        spine[uid] = xhtml(uid, href, data)
    for font in fonts:
        pkg.add_item(epub.EpubItem(uid=font.id, file_name=font.href, media_type=font.media_type,
                                   content=font.data))
    # what set_cover(create_page=False) does (the cover-image property, <meta name="cover">),
    # with the media type given: ebooklib would guess it, reading the system's mime.types
    item = epub.EpubCover(file_name=cover.href)
    item.content, item.media_type = cover.data, cover.media_type
    pkg.add_item(item)
    pkg.add_metadata(None, "meta", "", {"name": "cover", "content": item.id})
    for image in images:
        pkg.add_item(epub.EpubImage(uid=image.id, file_name=image.href, media_type=image.media_type,
                                    content=image.data))
    pkg.spine = [spine[uid] for uid in ("cover", "titlepage", "nav", "text", "colophon")]
    pkg.toc = _toc(book)

    out = io.BytesIO()
    writer = _package_writer(book)(out, pkg, {
        "mtime": _moment(book.options.source_date_epoch),  # dcterms:modified
        "epub2_guide": False, "epub3_landmark": False, "epub3_pages": False,  # our nav has landmarks
        "play_order": {"enabled": True, "start_from": 1},  # NCX playOrder 1, 2, ...
        "compresslevel": 0,  # stored: the zip is deflated once, by _reproducible_zip
    })
    writer.process()
    try:
        writer.write()
    except (OSError, ValueError) as exc:  # write_epub would swallow this and return False
        raise WriterError(f"epub writer: ebooklib could not write the package: {exc}") from exc
    return _reproducible_zip(out.getvalue(), book.options.source_date_epoch)


# -- images ---------------------------------------------------------------------------------------
def _sniff_image(data: bytes) -> tuple[str, str] | None:
    """(extension, media type) of a core-media-type image, by its magic bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg", "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif", "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    return None


def _load_images(book: _Book) -> dict[str, _Asset]:
    """Read the photos captions name, below ``base_dir`` only; a missing one is reported."""
    base = (book.options.base_dir or Path.cwd()).resolve()
    images: dict[str, _Asset] = {}
    for block in book.document.blocks:
        if not isinstance(block, Caption) or not block.image or block.image in images:
            continue
        path = (base / block.image).resolve()
        if not path.is_relative_to(base):
            book.options.warning(f"epub: image {block.image!r} is outside {base}; left out")
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            book.options.warning(f"epub: image {block.image!r} cannot be read ({exc.strerror}); left out")
            continue
        kind = _sniff_image(data)
        if kind is None:
            book.options.warning(f"epub: image {block.image!r} is not PNG, JPEG, GIF or WebP; left out")
            continue
        n = len(images) + 1
        images[block.image] = _Asset(f"images/photo-{n:03d}.{kind[0]}", kind[1], data, f"photo-{n:03d}")
    return images


# -- cover ----------------------------------------------------------------------------------------
_NO_LINE_START = set("，。、；：！？）」』》〉】〕…—・·,.;:!?)]}%\u201d\u2019\u30fc")
_NO_LINE_END = set("（「『《〈【〔([{\u201c\u2018")
_COVER_SIZE = (1200, 1800)
_INK, _PAPER, _RED, _GREY = (28, 28, 30), (246, 242, 233), (181, 40, 46), (95, 95, 100)


def _wrap(text: str, fits: Callable[[str], bool], cjk: bool) -> list[str]:
    """Greedy line breaking: by character for CJK (keeping closing punctuation off line
    starts), by word otherwise."""
    tokens = list(text) if cjk else re.findall(r"\S+\s*", text)
    lines: list[str] = []
    line = ""
    for tok in tokens:
        if not line or fits((line + tok).rstrip()):
            line += tok
            continue
        if cjk and tok in _NO_LINE_START and len(line) > 1:
            tok, line = line[-1] + tok, line[:-1]
        elif cjk and line[-1] in _NO_LINE_END and len(line) > 1:
            tok, line = line[-1] + tok, line[:-1]
        lines.append(line.rstrip())
        line = tok.lstrip() if not cjk else tok
    if line.strip():
        lines.append(line.rstrip())
    return lines


class _Pen:
    """Draws text in the book's faces, switching to a fallback face for characters the main face
    lacks (FaceSet.runs), so a title with a rare character is not drawn as tofu."""

    def __init__(self, draw, faceset: FaceSet):
        self.draw = draw
        self.faceset = faceset
        self._fonts: dict[tuple[str, int], object] = {}

    def font(self, face: Face, size: int):
        key = (face.sha256, size)
        if key not in self._fonts:
            from PIL import ImageFont

            self._fonts[key] = ImageFont.truetype(io.BytesIO(face.data), size)
        return self._fonts[key]

    def _args(self, ttb: bool) -> dict:
        return {"direction": "ttb", "features": ["vert"]} if ttb else {}

    def length(self, text: str, face: Face, size: int, ttb: bool = False) -> float:
        return sum(self.font(f, size).getlength(t, **self._args(ttb))
                   for f, t in self.faceset.runs(text, face))

    def text(self, xy: tuple[float, float], text: str, face: Face, size: int, fill, ttb: bool = False):
        x, y = xy
        for f, t in self.faceset.runs(text, face):
            font = self.font(f, size)
            if ttb:
                self.draw.text((x, y), t, font=font, fill=fill, anchor="mt", **self._args(True))
                y += font.getlength(t, **self._args(True))
            else:
                self.draw.text((x, y), t, font=font, fill=fill, anchor="ls")
                x += font.getlength(t)


def _cached_cover(book: _Book, faceset: FaceSet) -> bytes:
    """The cover PNG, made once per title, metadata, faces and mode (drawing it is a third of a
    warm EPUB build)."""
    import json

    from PIL import __version__ as pillow

    from pipeline.fonts import cached_artifact

    parts = [json.dumps(book.meta.to_dict(), sort_keys=True, ensure_ascii=False), book.lang,
             str(book.vertical), str(book.corner), pillow, book.options.version,
             *(face.sha256 for face in faceset.all_faces())]
    return cached_artifact("epub-cover-4", parts, lambda: _cover_png(book, faceset),
                           book.options.settings)


def _cover_png(book: _Book, faceset: FaceSet) -> bytes:
    """The cover: the title set in the book's heading face on paper, with a vermilion rule.

    The vertical edition sets the title in columns from the right, like a traditional book."""
    from PIL import Image, ImageDraw, features

    width, height = _COVER_SIZE
    img = Image.new("RGB", _COVER_SIZE, _PAPER)
    pen = _Pen(ImageDraw.Draw(img), faceset)
    meta = book.meta
    title = " ".join(book.text(meta.title).split()) or "—"
    cjk = book.family != "en"
    who = " ".join(book.text(meta.author or "").split())
    date = _display_date(book, meta.date) if meta.date else None
    pub = " ".join(book.text(" ".join(x for x in (meta.publisher or meta.source, date) if x)).split())
    heading, caption = faceset.heading, faceset.caption
    if book.vertical and cjk and features.check("raqm"):
        _cover_vertical(pen, faceset, title, who, pub)
    else:
        margin = 120
        box_w = width - 2 * margin
        size, lines = 132, [title]
        while size > 40:
            lines = _wrap(title, lambda s, n=size: pen.length(s, heading, n) <= box_w, cjk)
            if len(lines) * size * 1.35 <= height * 0.45:
                break
            size -= 8
        pen.draw.rectangle((margin, 300, margin + 160, 316), fill=_RED)
        y = 380 + size
        for line in lines[:12]:
            pen.text((margin, y), line, heading, size, _INK)
            y += int(size * 1.35)
        y += 40
        if meta.subtitle:
            subtitle = " ".join(book.text(meta.subtitle).split())
            for line in _wrap(subtitle, lambda s: pen.length(s, caption, 48) <= box_w, cjk)[:3]:
                pen.text((margin, y), line, caption, 48, _GREY)
                y += 68
        foot_lines = [line for text in (who, pub) if text
                      for line in _wrap(text, lambda s: pen.length(s, caption, 48) <= box_w, cjk)[:2]]
        foot = height - 110 - 72 * len(foot_lines)
        for line in foot_lines:
            foot += 72
            pen.text((margin, foot), line, caption, 48, _GREY)
    pen.draw.rectangle((0, height - 24, width, height), fill=_RED)
    out = io.BytesIO()
    # Three inks on paper: a palette of each ink's anti-aliasing ramp keeps the edges smooth in a
    # third of the bytes, and mapping to a known palette takes a fortieth of finding one. Rows of
    # one colour suit zlib's run-length strategy: half the time of the default, about 8 KB.
    img.quantize(palette=_cover_palette(), dither=Image.Dither.NONE).save(
        out, format="PNG", compress_level=9, compress_type=3)  # 3: Z_RLE
    return out.getvalue()


def _cover_palette() -> Any:
    """Paper, then ten steps from paper to each of ink, grey and vermilion (31 colours)."""
    from PIL import Image

    colours = [_PAPER] + [tuple(round(p + (c - p) * k / 10) for p, c in zip(_PAPER, ink, strict=True))
                          for ink in (_INK, _GREY, _RED) for k in range(1, 11)]
    flat = [v for colour in colours for v in colour]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + flat[:3] * (256 - len(colours)))
    return palette


def _cover_vertical(pen: _Pen, faceset: FaceSet, title: str, who: str, pub: str) -> None:
    """Title in columns from the right edge (with the font's vertical forms), author beside it."""
    width, height = _COVER_SIZE
    top, bottom = 220, height - 260
    heading, caption = faceset.heading, faceset.caption
    size, cols = 128, [title]
    while size > 40:
        cols = _wrap(title, lambda s, n=size: pen.length(s, heading, n, ttb=True) <= bottom - top, True)
        if len(cols) * size * 1.4 <= width * 0.6:
            break
        size -= 8
    x = width - 170 - size // 2
    pen.draw.rectangle((width - 120, top, width - 106, top + 200), fill=_RED)
    for col in cols[:8]:
        pen.text((x, top), col, heading, size, _INK, ttb=True)
        x -= int(size * 1.4)
    x -= 40
    for text in (who, pub):
        for col in _wrap(text, lambda s: pen.length(s, caption, 46, ttb=True) <= bottom - top - 300,
                         True)[:2] if text else []:
            if x > 80:
                pen.text((x, top + 300), col, caption, 46, _GREY, ttb=True)
                x -= 80


# -- the zip --------------------------------------------------------------------------------------
def _reproducible_zip(data: bytes, epoch: int | None) -> bytes:
    """ebooklib's zip rewritten for reproducible bytes: its entries stamp the wall clock, so
    each is copied, in ebooklib's (deterministic) order with ``mimetype`` first and stored, with
    a fixed time from ``SOURCE_DATE_EPOCH``, fixed modes and deflate level 6 (level 9 saves
    0.3 % of a font-heavy book for 60 % more time)."""
    if epoch is not None:
        stamp = dt.datetime.fromtimestamp(max(epoch, 315532800), dt.timezone.utc)
        date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    else:
        date_time = _ZIP_FLOOR
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as archive:
        names = source.namelist()
        if names[:1] != ["mimetype"] or len(set(names)) != len(names):
            raise WriterError(f"epub writer: unexpected package layout from ebooklib: {names[:3]}")
        for name in names:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            stored = name == "mimetype"
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            level = None if stored else FONT_DEFLATE if name.startswith("EPUB/fonts/") else 6
            archive.writestr(info, source.read(name), compresslevel=level)
    return buffer.getvalue()


def _extra_chars(book: _Book) -> str:
    """Characters this edition prints that the document does not hold (labels, the localised
    date, corner brackets, the licence), so the font subsets and the cover have their glyphs."""
    from pipeline.fonts import licence_notice

    extra = "".join(book.labels) + "——「」『』— " + "".join(_MONTHS) + "年月日"
    if book.meta.date:
        extra += _display_date(book, book.meta.date)
    extra += f"Made with publish {book.options.version}. " + licence_notice()
    return "".join(sorted(set(extra)))


class EpubWriter:
    """EPUB 3 edition: valid, accessible, with embedded subset fonts; horizontal or vertical."""

    name = "epub"
    suffix = ".epub"
    description = "EPUB 3 e-book with embedded fonts (horizontal, or vertical with --writing-mode)"

    def missing_dependency(self) -> str | None:
        from pipeline.writers import missing_module

        return missing_module(("ebooklib", "EbookLib"), ("lxml", "lxml"), ("PIL", "Pillow"),
                              ("fontTools", "fonttools"))

    def preload(self) -> None:
        """Import ebooklib and lxml ahead of the document (a build overlaps it with normalising)."""
        import ebooklib.epub  # noqa: F401
        import lxml.etree  # noqa: F401

    def render(self, document: Document, options: RenderOptions) -> bytes:
        from pipeline.fonts import describe_missing, faces_for

        for block in document.blocks:  # refuse an unknown block before any expensive work
            if type(block) not in _Renderer.VISIT:
                raise unknown_block("epub", block)
        book = _Book(document, options)
        if book.vertical and book.family not in ("zh-Hant", "zh-Hans", "ja", "ko"):
            options.warning(f"epub: vertical-rl is a CJK convention; this {book.lang} text is set sideways")
        faceset = faces_for(document, options.settings, (options.charset or "") + _extra_chars(book))
        for cp in faceset.missing:
            options.warning(describe_missing(cp))
        fonts = _choose_fonts(faceset, book)
        images = _load_images(book)
        renderer = _Renderer(book, images)
        text_page = _text_page(book, renderer)  # fills book.headings for the nav and NCX
        identifier = book_identifier(document)

        try:
            cover = _Asset("images/cover.png", "image/png", _cached_cover(book, faceset),
                           "cover-img")  # the id ebooklib's set_cover gives it
        except OSError as exc:  # a font Pillow cannot read: fail loudly, naming the cause
            raise WriterError(f"epub writer: cannot draw the cover: {exc}") from None
        pages = [
            ("cover", "cover.xhtml", _cover_page(book, cover.href)),
            ("titlepage", "title.xhtml", _title_page(book)),
            ("text", "text.xhtml", text_page),
            ("colophon", "colophon.xhtml", _colophon_page(book, faceset)),
        ]
        return _package(book, identifier, pages, _nav_page(book),
                        _stylesheet(book, fonts).encode("utf-8"), cover, fonts.assets,
                        list(images.values()))
