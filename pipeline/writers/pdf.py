"""The print edition: a PDF typeset with reportlab's canvas and our own Chinese line breaker.

reportlab's Paragraph lets ``，`` start a line, leaves CJK lines short and falls back to an
unembedded Helvetica, so this writer does its own composition: :mod:`._cjk_linebreak` breaks and
justifies each paragraph (clreq kinsoku, Latin words kept whole), every line is drawn as one text
object whose justification lives in TJ position adjustments (copy-paste gets the exact text, no
inserted spaces), and a small page builder places blocks on a baseline grid with widow/orphan
control and headings kept with what follows. Fonts come from :mod:`pipeline.fonts` (subset TrueType,
embedded again as subsets by reportlab); nothing refers to a base-14 font.

reportlab is imported inside functions only, so ``publish --help`` stays fast.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pipeline.model import Caption, Document, Heading, ListBlock, Meta, Paragraph, Quote
from pipeline.writers import RenderOptions, WriterError, _rl_metrics, unknown_block
from pipeline.writers._cjk_linebreak import SPACES, ZERO_WIDTH, LineBreaker, compression

MM = 72.0 / 25.4
#: characters the writer prints itself (list markers, attribution dash, truncation)
EXTRA_CHARS = "0123456789.•—…·"
EXTRA_CJK = "・　〓"
#: drawn in place of a character no font has: the typesetter's geta mark, or U+FFFD in Latin faces
PLACEHOLDERS = ("〓", "\ufffd")
INK = (0.08, 0.08, 0.08)
GREY = (0.36, 0.36, 0.36)
LIGHT = (0.52, 0.52, 0.52)
ACCENT = (0.62, 0.11, 0.13)  # a restrained magazine red for rules
#: spaces drawn as a plain space plus an adjustment: character -> width in ems
_WIDE_SPACES = {"\u2002": 0.5, "\u2003": 1.0, "\u2009": 0.2}


# --------------------------------------------------------------------------------------------------
# Composition primitives


@dataclass(frozen=True)
class Style:
    """How a run of text is drawn: a registered reportlab font, a size and a colour."""

    font: str
    size: float
    color: tuple[float, float, float] = INK


@dataclass
class SetLine:
    """One composed line: characters with their styles, per-gap adjustments and an x offset."""

    text: str
    styles: list[Style]
    gaps: tuple[float, ...]
    x: float  # offset from the column's left edge
    width: float  # drawn width including adjustments


@dataclass
class Box:
    """Something of fixed height placed in the column; ``draw(ops, x, top)`` paints it."""

    height: float
    draw: Callable[[Any, float, float], None] | None = None
    is_line: bool = False


@dataclass
class Flow:
    """A block as the page builder sees it: boxes plus spacing and keep rules.

    ``splittable`` flows (paragraphs) break between line boxes, leaving at least two lines on
    each page (no widows or orphans); ``keep_with_next`` flows (headings, epigraphs) go to the
    next page unless the start of the following flow fits after them.
    """

    boxes: list[Box]
    before: float = 0.0
    after: float = 0.0
    keep_with_next: bool = False
    splittable: bool = False
    above_share: float = 0.5  # how much of the grid rounding goes above the content
    outline: tuple[str, int] | None = None

    @property
    def content(self) -> float:
        return sum(b.height for b in self.boxes)


# --------------------------------------------------------------------------------------------------
# The writer


class PdfWriter:
    """Print edition: A4/A5/B5/Letter PDF with embedded subset fonts, outline and metadata."""

    name = "pdf"
    suffix = ".pdf"
    description = "print edition (PDF, Chinese typeset with kinsoku and full justification)"

    def missing_dependency(self) -> str | None:
        from pipeline.writers import missing_module

        return missing_module(("reportlab", "reportlab"), ("PIL", "Pillow"), ("fontTools", "fonttools"))

    def preload(self) -> None:
        """Import reportlab ahead of the document (a build overlaps it with normalising)."""
        import reportlab.pdfbase.pdfmetrics  # noqa: F401
        import reportlab.pdfbase.ttfonts  # noqa: F401
        import reportlab.pdfgen.canvas  # noqa: F401

    def render(self, document: Document, options: RenderOptions) -> bytes:
        """The PDF bytes; identical input and ``source_date_epoch`` give identical bytes."""
        return _Renderer(document, options).render()


# --------------------------------------------------------------------------------------------------


_FONT_CACHE: dict[str, Any] = {}
#: Registered fonts kept per process (a document uses four to six).
_FONT_LIMIT = 24
_KNOWN_BLOCKS = (Heading, Paragraph, Caption, ListBlock, Quote)


def _tounicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with characters beyond the BMP written as UTF-16 surrogate
    pairs (reportlab prints ``<29E3D>``, which no reader accepts, so Ext-B ideographs and emoji
    would not copy) and at most 100 entries per bfchar block, as the CMap spec asks."""
    def utf16(v: int) -> str:
        if v <= 0xFFFF:
            return f"{v:04X}"
        v -= 0x10000
        return f"{0xD800 + (v >> 10):04X}{0xDC00 + (v & 0x3FF):04X}"

    entries = [f"<{i:02X}> <{utf16(v)}>" for i, v in enumerate(subset)]
    blocks = []
    for k in range(0, len(entries), 100):
        chunk = entries[k:k + 100]
        blocks += [f"{len(chunk)} beginbfchar", *chunk, "endbfchar"]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>", "endcodespacerange", *blocks, "endcmap",
        "CMapName currentdict /CMap defineresource pop", "end", "end"])


def _register(face: Any) -> str:
    """Register a pipeline.fonts Face with reportlab once per process; return its font name."""
    from reportlab.pdfbase import pdfmetrics, ttfonts
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    ttfonts.makeToUnicodeCMap = _tounicode_cmap  # see _tounicode_cmap: a bug fix, same output otherwise
    _rl_metrics.install(ttfonts)  # the same character tables, read in bulk

    name = f"{face.ps_name}-{face.sha256[:12]}"
    if name in _FONT_CACHE:  # used again: the most recent now, so never the one dropped
        _FONT_CACHE[name] = _FONT_CACHE.pop(name)
    else:
        try:
            font = TTFont(name, io.BytesIO(face.data), asciiReadable=True, shapable=False)
        except (TTFError, ValueError, KeyError) as exc:
            raise WriterError(f"pdf: font {face.family} ({face.role}) unusable: {exc}") from None
        pdfmetrics.registerFont(font)
        _FONT_CACHE[name] = font
        while len(_FONT_CACHE) > _FONT_LIMIT:  # a batch worker: forget earlier articles' fonts
            old = next(iter(_FONT_CACHE))
            dropped = _FONT_CACHE.pop(old)
            getattr(pdfmetrics, "_fonts", {}).pop(old, None)
            getattr(pdfmetrics, "_typefaces", {}).pop(getattr(dropped.face, "name", None), None)
    return name


def _num(v: float) -> str:
    """A short, deterministic PDF number."""
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


_KEEP_INVISIBLE = frozenset("\n\t\r\u200b\u00ad")


def _invisible(ch: str) -> bool:
    o = ord(ch)
    if 0xFE00 <= o <= 0xFE0F or 0xE0100 <= o <= 0xE01EF:
        return True
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs")


def _visual_order(text: str, styles: list[Style]) -> tuple[str, list[Style]]:
    """Hebrew/Arabic runs inside a left-to-right line, put in visual order (a small part of UAX #9:
    runs of strong right-to-left characters with the neutrals between them are reversed, numbers
    and combining marks kept in their order), so the page and text extraction read correctly."""
    bidi = [unicodedata.bidirectional(c) for c in text]
    n = len(text)
    order: list[int] = []
    i = 0
    while i < n:
        if bidi[i] not in ("R", "AL"):
            order.append(i)
            i += 1
            continue
        last = i
        k = i + 1
        while k < n and bidi[k] != "L":
            if bidi[k] in ("R", "AL"):
                last = k
            k += 1
        units: list[list[int]] = []
        k = i
        while k <= last:
            m = k
            if bidi[k] in ("EN", "AN"):
                while m + 1 <= last and (bidi[m + 1] in ("EN", "AN") or (
                        bidi[m + 1] in ("CS", "ET") and m + 2 <= last and bidi[m + 2] in ("EN", "AN"))):
                    m += 1
            else:
                while m + 1 <= last and bidi[m + 1] == "NSM":
                    m += 1
            units.append(list(range(k, m + 1)))
            k = m + 1
        order += [x for unit in reversed(units) for x in unit]
        i = last + 1
    return "".join(text[j] for j in order), [styles[j] for j in order]


def _info(text: str) -> str:
    """A document-info string: one line, no lone surrogates (they cannot be encoded)."""
    return re.sub("[\ud800-\udfff]", "\ufffd", " ".join(text.split()))


def _rgb(color: tuple[float, float, float]) -> str:
    return " ".join(_num(c) for c in color)


def _stroke(color: tuple[float, float, float], width: float, x0: float, y0: float, x1: float,
            y1: float) -> str:
    """A rule, in its own graphics state."""
    return f"q {_rgb(color)} RG {_num(width)} w {_num(x0)} {_num(y0)} m {_num(x1)} {_num(y1)} l S Q"


def _fill(color: tuple[float, float, float], x: float, y: float, w: float, h: float) -> str:
    return f"q {_rgb(color)} rg {_num(x)} {_num(y)} {_num(w)} {_num(h)} re f Q"


def _display_date(meta: Meta) -> str | None:
    """The date for the title block, unless the byline already shows it."""
    from pipeline.writers import date_in_byline

    if not meta.date or date_in_byline(meta):
        return None
    return meta.date.replace("T", " ")


def _pdf_bytes(data: bytes) -> str:
    out = []
    for b in data:
        if b in (0x28, 0x29, 0x5C):
            out.append("\\" + chr(b))
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return "(" + "".join(out) + ")"


class _Renderer:
    def __init__(self, document: Document, options: RenderOptions):
        from pipeline.fonts import describe_missing, faces_for

        for block in document.blocks:  # fail before any expensive work
            if not isinstance(block, _KNOWN_BLOCKS):
                raise unknown_block("pdf", block)
        self.doc = document
        self.options = options
        settings = options.settings
        if settings.writing_mode != "horizontal-tb":
            options.warning("pdf: vertical writing is not supported yet; set horizontally")
        self.lang = document.meta.lang or "und"
        self.cjk = self.lang.split("-")[0].lower() in ("zh", "ja", "ko", "yue", "lzh", "wuu", "cmn")
        extra = EXTRA_CHARS + (EXTRA_CJK if self.cjk else "\ufffd")
        self.faces = faces_for(document, settings, (options.charset or "") + extra)
        for cp in self.faces.missing:
            options.warning(describe_missing(cp))
        self.missing = frozenset(self.faces.missing)
        # reportlab font name of every face (bold and heading often share one subset)
        self.font_of: dict[int, str] = {}
        self.fonts: dict[str, Any] = {}
        for face in (self.faces.body, self.faces.bold, self.faces.heading, self.faces.caption,
                     *self.faces.fallbacks):
            name = _register(face)
            self.font_of[id(face)] = name
            self.fonts[name] = _FONT_CACHE[name]
        self._geometry()
        self._styles()
        self._width_cache: dict[tuple[str, str], float] = {}

    # ---------------------------------------------------------------- geometry and styles

    def _geometry(self) -> None:
        s = self.options.settings
        w_mm, h_mm = s.page_size_mm()
        self.page_w, self.page_h = w_mm * MM, h_mm * MM
        inner, outer = s.margin_inner * MM, s.margin_outer * MM
        top, bottom = s.margin_top * MM, s.margin_bottom * MM
        avail = max(72.0, self.page_w - inner - outer)
        if self.cjk:
            # about 40 characters a line at 10.5-11pt; the measure is a whole number of ems so a
            # line of ideographs needs no adjustment (the CJK grid, 版心)
            size = min(11.0, max(10.5, avail / 42.0))
            size = min(size, avail / 12.0)
            chars = max(8, math.floor(avail / size + 1e-6))
            measure = chars * size
            leading = round(size * 1.75, 2)
        else:
            size = min(11.5, max(10.0, avail / 42.0))
            size = min(size, avail / 12.0)
            measure = avail
            leading = round(size * 1.45, 2)
        spare = avail - measure
        self.size, self.leading, self.measure = size, leading, measure
        self.inner, self.outer = inner + spare / 2, outer + spare / 2
        height = max(leading * 4, self.page_h - top - bottom)
        self.lines_per_page = math.floor(height / leading + 1e-6)
        self.frame_h = self.lines_per_page * leading
        self.top = top

    def _styles(self) -> None:
        f, sz = self.faces, self.size
        body, bold = self.font_of[id(f.body)], self.font_of[id(f.bold)]
        heading, caption = self.font_of[id(f.heading)], self.font_of[id(f.caption)]
        self.st_body = Style(body, sz, INK)
        self.st_bold = Style(bold, sz, INK)
        self.st_title = Style(heading, round(sz * 2.1, 1), INK)
        self.st_subtitle = Style(body, round(sz * 1.3, 1), GREY)
        self.st_byline = Style(caption, round(sz * 0.82, 1), GREY)
        self.st_h1 = Style(heading, round(sz * 1.36, 1), INK)
        self.st_h2 = Style(heading, round(sz * 1.14, 1), INK)
        self.st_epigraph = Style(caption, round(sz * 0.95, 2), GREY)
        self.st_caption = Style(caption, round(sz * 0.82, 1), (0.25, 0.25, 0.25))
        self.st_credit = Style(caption, round(sz * 0.72, 1), LIGHT)
        self.st_note = Style(caption, round(sz * 0.86, 1), GREY)
        self.st_quote = Style(body, sz, (0.2, 0.2, 0.2))
        self.st_attrib = Style(caption, round(sz * 0.86, 1), GREY)
        self.st_head = Style(caption, round(sz * 0.75, 1), LIGHT)
        self.st_folio = Style(caption, round(sz * 0.8, 1), GREY)
        self.face_by_font = {self.font_of[id(x)]: x for x in (f.caption, f.heading, f.bold, f.body)}

    # ---------------------------------------------------------------- composition

    def _char_width(self, font: str, size: float, ch: str) -> float:
        key = (font, ch)
        w = self._width_cache.get(key)
        if w is None:
            if ch in ZERO_WIDTH or ch == "\n":
                w = 0.0
            else:
                face = self.fonts[font].face
                cp = 32 if ch in SPACES else ord(ch)
                w = face.charWidths.get(cp, face.defaultWidth) / 1000.0
            self._width_cache[key] = w
        return w * size

    def _chars(self, runs: list[tuple[str, Style]]) -> tuple[str, list[Style], list[float], dict[int, float]]:
        """Flatten styled runs into characters, splitting by font coverage (fallback faces).

        En and em spaces are drawn as the font's space plus a position adjustment (``extra``), so
        no font needs those glyphs and copy-paste yields a plain space. A character no face has is
        drawn as a placeholder glyph, never as glyph 0 (see :meth:`_placeholder`)."""
        text: list[str] = []
        styles: list[Style] = []
        widths: list[float] = []
        extra: dict[int, float] = {}
        for run_text, style in runs:
            face = self.face_by_font[style.font]
            for sub_face, sub in self.faces.runs(run_text, face):
                st = style if sub_face is face else replace(style, font=self._font_name(sub_face))
                for ch in sub:
                    if ch not in _KEEP_INVISIBLE and _invisible(ch):
                        continue  # format and control characters draw nothing (no .notdef boxes)
                    if ord(ch) in self.missing and not self._placeholder(st.font, ch):
                        continue
                    wide = _WIDE_SPACES.get(ch)
                    if ch in "\t\r" or wide is not None:
                        ch = " "
                    w = self._char_width(st.font, st.size, ch)
                    if wide is not None:
                        extra[len(text)] = wide * st.size - w
                        w = wide * st.size
                    text.append(ch)
                    styles.append(st)
                    widths.append(w)
        return "".join(text), styles, widths, extra

    def _font_name(self, face: Any) -> str:
        name = self.font_of.get(id(face))
        if name is None:
            name = self.font_of[id(face)] = _register(face)
            self.fonts[name] = _FONT_CACHE[name]
        return name

    def _placeholder(self, font: str, ch: str) -> bool:
        """Let ``font`` draw a character it lacks with the geta mark 〓 (or U+FFFD): the page shows
        the typesetter's sign for a missing glyph, while the ToUnicode map, built from the
        characters, still gives the real character to copy-paste and search."""
        face = self.fonts[font].face
        cp = ord(ch)
        if cp in face.charToGlyph:
            return True
        mark = next((ord(m) for m in PLACEHOLDERS if ord(m) in face.charToGlyph), None)
        if mark is None:
            return False
        face.charToGlyph[cp] = face.charToGlyph[mark]
        face.charWidths[cp] = face.charWidths.get(mark, face.defaultWidth)
        return True

    def compose(self, runs: list[tuple[str, Style]], measure: float, *, indent: float = 0.0,
                left: float = 0.0, justify: bool = True, align: str = "left") -> list[SetLine]:
        """Break and justify styled text into lines ``measure`` wide, the first indented."""
        text, styles, widths, extra = self._chars(runs)
        if not text.strip():
            return []
        em = max(st.size for st in styles)
        rtl = any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)
        kerns = self._kerns(text, styles, widths)
        lines = LineBreaker(text, widths, em, kerns).lines((measure - indent, measure), justify=justify)
        out = []
        for k, ln in enumerate(lines):
            x = left + (indent if k == 0 else 0.0)
            avail = measure - (indent if k == 0 else 0.0)
            gaps = ln.gaps
            if extra or kerns:
                gaps = tuple(g + extra.get(ln.start + j, 0.0) + (kerns[ln.start + j] if kerns else 0.0)
                             for j, g in enumerate(gaps))
            drawn = ln.width + sum(ln.gaps)
            if not ln.justified and align == "right":
                x += avail - drawn
            elif not ln.justified and align == "center":
                x += (avail - drawn) / 2
            lt, ls = text[ln.start:ln.end], styles[ln.start:ln.end]
            if rtl:
                lt, ls = _visual_order(lt, ls)
            out.append(SetLine(lt, ls, gaps, x, drawn))
        return out

    @staticmethod
    def _kerns(text: str, styles: list[Style], widths: list[float]) -> list[float] | None:
        """Punctuation compression between adjacent full-width marks (``”“`` ``」，`` ``，「``),
        as a negative adjustment that only applies when both stay on one line."""
        kerns = None
        for i in range(len(text) - 1):
            c = compression(text[i], text[i + 1])
            full = abs(widths[i] - styles[i].size) < 0.01 and abs(widths[i + 1] - styles[i + 1].size) < 0.01
            if c and full:
                if kerns is None:
                    kerns = [0.0] * len(text)
                kerns[i] = -c * min(styles[i].size, styles[i + 1].size)
        return kerns

    def balanced(self, runs: list[tuple[str, Style]], measure: float) -> list[SetLine]:
        """Ragged lines of similar length (titles): the narrowest measure that keeps the count."""
        lines = self.compose(runs, measure, justify=False)
        if len(lines) < 2:
            return lines
        lo, hi = measure * 0.5, measure
        best = lines
        for _ in range(8):
            mid = (lo + hi) / 2
            trial = self.compose(runs, mid, justify=False)
            if len(trial) <= len(lines):
                best, hi = trial, mid
            else:
                lo = mid
        return best

    # ---------------------------------------------------------------- drawing primitives

    def draw_line(self, ops: list[str], line: SetLine, x: float, baseline: float) -> None:
        """One text object per line; justification as TJ adjustments so extraction adds nothing."""
        parts = ["q BT", f"1 0 0 1 {_num(x + line.x)} {_num(baseline)} Tm"]
        cur_font: tuple[str, int, float] | None = None
        cur_color: tuple[float, float, float] | None = None
        tj: list[str] = []
        buf = bytearray()
        text, styles, gaps = line.text, line.styles, line.gaps
        last = len(text) - 1
        pending = 0.0

        def flush_buf() -> None:
            if buf:
                tj.append(_pdf_bytes(bytes(buf)))
                buf.clear()

        def flush_tj() -> None:
            flush_buf()
            if tj:
                parts.append("[" + " ".join(tj) + "] TJ")
                tj.clear()

        for k, ch in enumerate(text):
            st = styles[k]
            gap = gaps[k] if k < last else 0.0
            if ch in ZERO_WIDTH or ch == "\n":
                pending += gap
                continue
            subset, code = self._encode(st.font, ch)
            key = (st.font, subset, st.size)
            if key != cur_font or st.color != cur_color:
                if pending and cur_font is not None:
                    flush_buf()
                    tj.append(_num(-pending * 1000.0 / cur_font[2]))
                    pending = 0.0
                flush_tj()
                if st.color != cur_color:
                    parts.append(f"{_rgb(st.color)} rg")
                    cur_color = st.color
                if key != cur_font:
                    parts.append(f"{self._subset_name(st.font, subset)} {_num(st.size)} Tf")
                    cur_font = key
                if pending:  # adjustment before the first glyph of a line: move instead
                    parts.append(f"{_num(pending)} 0 Td")
                    pending = 0.0
            elif pending:
                flush_buf()
                tj.append(_num(-pending * 1000.0 / st.size))
                pending = 0.0
            buf.append(code)
            pending += gap
        flush_tj()
        parts.append("ET Q")
        ops.append("\n".join(parts))

    def _encode(self, font: str, ch: str) -> tuple[int, int]:
        key = (font, ch)
        hit = self._enc_cache.get(key)
        if hit is None:
            chunks = self.fonts[font].splitString(ch, self.canvas._doc)
            subset, data = chunks[0]
            hit = (subset, data[0])
            self._enc_cache[key] = hit
        return hit

    def _subset_name(self, font: str, subset: int) -> str:
        key = (font, subset)
        name = self._names.get(key)
        if name is None:
            name = self.fonts[font].getSubsetInternalName(subset, self.canvas._doc)
            self._names[key] = name
        return name

    def _line_boxes(self, lines: list[SetLine], leading: float, size: float) -> list[Box]:
        """A box per line with the em box centred in the line (CJK convention)."""
        boxes = []
        for ln in lines:
            def draw(ops: list[str], x: float, top: float, ln: SetLine = ln) -> None:
                baseline = top - (leading - size) / 2 - size * 0.88
                self.draw_line(ops, ln, x, baseline)
            boxes.append(Box(leading, draw, True))
        return boxes

    # ---------------------------------------------------------------- blocks to flows

    def _flows(self) -> list[Flow]:
        flows = [self._title_block()]
        prev: Any = None
        for block in self.doc.blocks:
            if isinstance(block, Heading):
                flows.append(self._heading(block, prev))
            elif isinstance(block, Paragraph):
                flows.append(self._paragraph(block, prev))
            elif isinstance(block, Caption):
                flows.extend(self._caption(block))
            elif isinstance(block, ListBlock):
                flows.extend(self._list(block))
            elif isinstance(block, Quote):
                flows.extend(self._quote(block))
            else:
                raise unknown_block("pdf", block)
            prev = block
        return flows

    def _title_block(self) -> Flow:
        m = self.doc.meta
        boxes: list[Box] = []
        st = self.st_title
        lines = self.balanced([(m.title, st)], self.measure)
        boxes += self._line_boxes(lines, round(st.size * 1.38, 2), st.size)
        if m.subtitle:
            s2 = self.st_subtitle
            boxes.append(Box(self.leading * 0.35))
            boxes += self._line_boxes(self.compose([(m.subtitle, s2)], self.measure, justify=False),
                                      round(s2.size * 1.5, 2), s2.size)
        sep = "\u3000" if self.cjk else "  ·  "
        parts = [p for p in (m.byline or m.author, _display_date(m),
                             m.publisher if not m.byline else None) if p]
        if parts:
            sb = self.st_byline
            boxes.append(Box(self.leading * 0.45))
            boxes += self._line_boxes(self.compose([(sep.join(parts), sb)], self.measure, justify=False),
                                      round(sb.size * 1.6, 2), sb.size)
        boxes.append(Box(self.leading * 0.5))

        def rule(ops: list[str], x: float, top: float) -> None:
            ops.append(_stroke(ACCENT, 0.8, x, top, x + self.size * 3, top))
        boxes.append(Box(0.0, rule))
        return Flow(boxes, 0.0, self.leading * 0.6, keep_with_next=True, above_share=0.0)

    def _heading(self, block: Heading, prev: Any) -> Flow:
        st = self.st_h1 if block.level <= 1 else self.st_h2
        lines = self.balanced([(block.text, st)], self.measure)
        boxes = self._line_boxes(lines, round(st.size * 1.45, 2), st.size)
        before = self.leading * (1.3 if block.level <= 1 else 0.9)
        if isinstance(prev, Heading):  # a sub-heading right under its heading
            before = self.leading * 0.2
        return Flow(boxes, before, self.leading * 0.3, keep_with_next=True, above_share=0.7,
                    outline=(block.text, block.level))

    def _paragraph(self, block: Paragraph, prev: Any) -> Flow:
        em = self.size
        role = block.role
        runs: list[tuple[str, Style]] = []
        if role == "epigraph":
            st = self.st_epigraph
            lines = self.compose(self._with_runin(block, st), self.measure - 4 * em, left=2 * em)
            boxes = self._line_boxes(lines, round(st.size * 1.7, 2), st.size)
            return Flow(boxes, 0.0, self.leading * 0.3, keep_with_next=True, splittable=True,
                        above_share=0.3)
        if role == "note":
            st = self.st_note
            lines = self.compose(self._with_runin(block, st), self.measure, indent=2 * st.size)
            boxes = self._line_boxes(lines, round(st.size * 1.7, 2), st.size)
            return Flow(boxes, self.leading * 0.5, self.leading * 0.25, splittable=True)
        st = self.st_bold if role == "lead" else self.st_body
        if block.runin:
            runs.append((block.runin, self.st_bold))
        runs.append((block.text, st))
        if role == "signature":
            lines = self.compose(runs, self.measure, justify=False, align="right")
        else:
            indent = 2 * em if self.cjk or not isinstance(prev, (Heading, type(None))) else 0.0
            if not self.cjk:
                indent = 1.5 * em if indent else 0.0
            lines = self.compose(runs, self.measure, indent=indent)
        return Flow(self._line_boxes(lines, self.leading, self.size), splittable=True)

    def _with_runin(self, block: Paragraph, st: Style) -> list[tuple[str, Style]]:
        """The paragraph's runs: a run-in head in the bold face at the paragraph's size first."""
        runs = []
        if block.runin:
            runs.append((block.runin, replace(st, font=self.st_bold.font)))
        runs.append((block.text, st))
        return runs

    def _caption(self, block: Caption) -> list[Flow]:
        st, sc = self.st_caption, self.st_credit
        boxes: list[Box] = []
        image = self._image_box(block) if block.image else None
        bar = image is None
        left = st.size * 1.2 if bar else 0.0
        runs = [(block.text, st)]
        if block.credit:
            runs.append(("\u2002" if self.cjk else " ", st))
            runs.append((block.credit, sc))
        lines = self.compose(runs, self.measure - left, left=left)
        lead = round(st.size * 1.6, 2)
        text_boxes = self._line_boxes(lines, lead, st.size)
        if image is not None:
            # the picture and its first caption line travel together
            first = text_boxes[0] if text_boxes else Box(0.0)
            gap = st.size * 0.6

            def draw_pic(ops: list[str], x: float, top: float, first: Box = first) -> None:
                image.draw(ops, x, top)  # type: ignore[misc]
                if first.draw is not None:
                    first.draw(ops, x, top - image.height - gap)
            boxes.append(Box(image.height + gap + first.height, draw_pic))
            text_boxes = text_boxes[1:]
        elif bar:
            pad = (lead - st.size) / 2
            n = len(text_boxes)
            for k in range(n):  # a bar beside the caption, drawn line by line so it may split
                inner = text_boxes[k].draw

                def draw(ops: list[str], x: float, top: float, inner: Any = inner, k: int = k) -> None:
                    y0 = top - (pad if k == 0 else 0.0)
                    y1 = top - lead + (pad if k == n - 1 else 0.0)
                    ops.append(_fill(ACCENT, x, y1, 1.6, y0 - y1))
                    inner(ops, x, top)
                text_boxes[k] = Box(lead, draw, True)
        boxes += text_boxes
        return [Flow(boxes, self.leading * 0.5, self.leading * 0.6, splittable=True)]

    def _image_box(self, block: Caption) -> Box | None:
        import io

        from pipeline.writers import load_image

        data = load_image("pdf", str(block.image), self.options)
        if data is None:
            return None
        try:
            from reportlab.lib.utils import ImageReader

            reader = ImageReader(io.BytesIO(data))
            iw, ih = reader.getSize()
        except Exception as exc:  # noqa: BLE001 - unreadable image: the caption still prints
            reason = type(exc).__name__
            self.options.warning(f"pdf: image {block.image!r} cannot be read ({reason}); left out")
            return None
        w = self.measure
        h = w * ih / max(1, iw)
        max_h = self.frame_h * 0.55
        if h > max_h:
            h, w = max_h, max_h * iw / max(1, ih)

        def draw(ops: list[str], x: float, top: float) -> None:
            self._flush(ops)
            self.canvas.drawImage(reader, x, top - h, w, h, mask="auto")
        return Box(h, draw)

    def _list(self, block: ListBlock) -> list[Flow]:
        em = self.size
        out = []
        dot = "•" if self.faces.body.has("•") or not self.cjk else "・"
        for n, item in enumerate(block.items, 1):
            lines = self.compose([(item, self.st_body)], self.measure - 2 * em, left=2 * em)
            boxes = self._line_boxes(lines, self.leading, self.size)
            if not boxes:
                continue
            marker = f"{n}." if block.ordered else dot
            mk = self.compose([(marker, self.st_body)], 2 * em)
            if mk:
                mk[0].x = 2 * em - 0.5 * em - mk[0].width
                first = boxes[0].draw
                mline = mk[0]

                def draw(ops: list[str], x: float, top: float, first: Any = first, mline: SetLine = mline
                         ) -> None:
                    baseline = top - (self.leading - self.size) / 2 - self.size * 0.88
                    self.draw_line(ops, mline, x, baseline)  # first, so it is copied first
                    first(ops, x, top)
                boxes[0] = Box(boxes[0].height, draw, True)
            out.append(Flow(boxes, splittable=True))
        return out

    def _quote(self, block: Quote) -> list[Flow]:
        em = self.size
        st = self.st_quote
        lines = self.compose([(block.text, st)], self.measure - 4 * em, left=2 * em)
        boxes = self._line_boxes(lines, self.leading, self.size)
        if block.attribution:
            sa = self.st_attrib
            dash = "——" if self.cjk else "— "
            att = self.compose([(dash + block.attribution, sa)], self.measure - 4 * em, left=2 * em,
                               justify=False, align="right")
            boxes += self._line_boxes(att, round(sa.size * 1.7, 2), sa.size)
        if not boxes:
            return []
        pad = (self.leading - self.size) / 2
        n = len(lines)
        for k in range(n):  # the rule is drawn line by line so a split quote keeps it
            inner = boxes[k].draw

            def draw(ops: list[str], x: float, top: float, inner: Any = inner, k: int = k) -> None:
                y0 = top - (pad if k == 0 else 0.0)
                y1 = top - self.leading + (pad if k == n - 1 else 0.0)
                ops.append(_stroke(LIGHT, 0.6, x + em, y0, x + em, y1))
                inner(ops, x, top)
            boxes[k] = Box(boxes[k].height, draw, True)
        return [Flow(boxes, self.leading * 0.5, self.leading * 0.5, splittable=True)]

    # ---------------------------------------------------------------- pages

    def _snap(self, h: float) -> float:
        """Round a height up to whole grid lines so body text stays on the baseline grid."""
        g = self.leading
        return math.ceil(h / g - 1e-6) * g

    def _height(self, flow: Flow, at_top: bool) -> float:
        return self._snap((0.0 if at_top else flow.before) + flow.content + flow.after)

    def _min_head(self, flows: list[Flow], i: int, depth: int = 0) -> float:
        """Height the start of flows[i] needs on a page (with what it must keep company with)."""
        if i >= len(flows) or depth > 4:
            return 0.0
        f = flows[i]
        n = len(f.boxes)
        if f.splittable and n >= 4:
            part = self._snap(f.before + sum(b.height for b in f.boxes[:2]))
            return part
        h = self._height(f, False)
        if f.keep_with_next:
            h += self._min_head(flows, i + 1, depth + 1)
        return h

    def paginate(self, flows: list[Flow]) -> list[list[tuple[Flow, float, bool]]]:
        """Place flows on pages: (flow, y offset from frame top, at_top) per page."""
        pages: list[list[tuple[Flow, float, bool]]] = [[]]
        y = 0.0
        H = self.frame_h + 1e-6
        queue = list(flows)
        i = 0
        while i < len(queue):
            f = queue[i]
            at_top = not pages[-1]
            h = self._height(f, at_top)
            need = h + (self._min_head(queue, i + 1) if f.keep_with_next else 0.0)
            if f.keep_with_next and i + 1 < len(queue) and y + need > H and not at_top:
                pages.append([])
                y = 0.0
                continue
            if y + h <= H:
                pages[-1].append((f, y, at_top))
                y += h
                i += 1
                continue
            n = len(f.boxes)
            if f.splittable and n >= 4:
                before = 0.0 if at_top else f.before
                k = 0
                while k < n and self._snap(before + sum(b.height for b in f.boxes[:k + 1])) + y <= H:
                    k += 1
                k = min(k, n - 2)
                if k >= 2:
                    head = Flow(f.boxes[:k], f.before, 0.0, splittable=True, above_share=f.above_share)
                    tail = Flow(f.boxes[k:], 0.0, f.after, f.keep_with_next, True, f.above_share)
                    pages[-1].append((head, y, at_top))
                    queue[i] = tail
                    pages.append([])
                    y = 0.0
                    continue
            if at_top:  # taller than a page and cannot split: let it overflow rather than loop
                pages[-1].append((f, y, at_top))
                y += h
                i += 1
                continue
            pages.append([])
            y = 0.0
        if not pages[-1] and len(pages) > 1:
            pages.pop()
        return pages

    # ---------------------------------------------------------------- output

    def _flush(self, ops: list[str]) -> None:
        """Hand raw operators to the canvas before it paints something itself."""
        if ops:
            self.canvas._code.append("\n".join(ops))
            ops.clear()

    def render(self) -> bytes:
        from reportlab import Version as rl_version
        from reportlab.pdfgen.canvas import Canvas

        m = self.doc.meta
        opts = self.options
        epoch = opts.source_date_epoch
        buf = io.BytesIO()
        body_font = self.st_body.font
        self.canvas = c = Canvas(buf, pagesize=(self.page_w, self.page_h), invariant=1 if epoch is not None
                                 else 0, pageCompression=1, lang=self.lang, initialFontName=body_font,
                                 initialFontSize=self.size)
        self._enc_cache: dict[tuple[str, str], tuple[int, int]] = {}
        self._names: dict[tuple[str, int], str] = {}
        self._stamp(epoch)
        c.setTitle(_info(m.title))
        c.setAuthor(_info(m.author or m.byline or m.publisher or ""))
        c.setSubject(_info(m.subject or m.description or m.subtitle or self._summary()))
        c.setKeywords(_info(", ".join(m.keywords)))
        c.setCreator(f"publish {opts.version}")
        c.setProducer(f"publish {opts.version} (ReportLab {rl_version})")

        flows = self._flows()
        pages = self.paginate(flows)
        level_prev = -1
        outlines = 0
        ops: list[str] = []
        for pno, placed in enumerate(pages, 1):
            recto = pno % 2 == 1
            x = self.inner if recto else self.outer
            frame_top = self.page_h - self.top
            for flow, y, at_top in placed:
                h = self._height(flow, at_top)
                before = 0.0 if at_top else flow.before
                extra = h - (before + flow.content + flow.after)
                top = frame_top - y - before - (0.0 if at_top else extra * flow.above_share)
                if flow.outline is not None:
                    self._flush(ops)
                    title, level = flow.outline
                    lvl = min(max(0, level - 1), level_prev + 1)
                    outlines += 1
                    key = f"heading-{outlines}"
                    c.bookmarkPage(key, fit="XYZ", left=0, top=top + self.leading)
                    c.addOutlineEntry(_info(title), key, level=lvl, closed=False)
                    level_prev = lvl
                for box in flow.boxes:
                    if box.draw is not None:
                        box.draw(ops, x, top)
                    top -= box.height
            self._furniture(ops, pno, recto)
            self._flush(ops)
            c.showPage()
        if level_prev >= 0:
            c.showOutline()
        c.save()
        return buf.getvalue()

    def _summary(self, limit: int = 100) -> str:
        """The opening of the first paragraph, for the Subject field when the document has none."""
        for block in self.doc.blocks:
            if isinstance(block, Paragraph) and block.role is None:
                text = " ".join(block.text.split())
                return text if len(text) <= limit else text[:limit].rstrip() + "…"
        return ""

    def _furniture(self, ops: list[str], pno: int, recto: bool) -> None:
        """Running head (the title, from page 2) and folio, outer side, in the caption face; left
        out when a margin is too small to hold them."""
        x0 = self.inner if recto else self.outer
        sf, sh = self.st_folio, self.st_head
        bottom = self.page_h - self.top - self.frame_h
        if bottom >= sf.size * 2:
            folio = self.compose([(str(pno), sf)], self.measure, justify=False,
                                 align="right" if recto else "left")
            if folio:
                self.draw_line(ops, folio[0], x0, bottom * 0.5)
        if pno == 1 or self.top < sh.size * 3.5:
            return
        if not hasattr(self, "_head_line"):
            lines = self.compose([(self.doc.meta.title, sh)], self.measure * 0.8, justify=False)
            if len(lines) > 1:
                text = self.doc.meta.title[:len(lines[0].text)].rstrip()
                lines = self.compose([(text + "…", sh)], self.measure * 0.85, justify=False)[:1]
            self._head_line = lines[0] if lines else None
        ln = self._head_line
        if ln is None:
            return
        ln = replace(ln, x=(self.measure - ln.width) if recto else 0.0)
        base = self.page_h - self.top + min(self.size * 1.6, self.top * 0.5)
        self.draw_line(ops, ln, x0, base)
        y = base - sh.size * 0.7
        ops.append(_stroke(LIGHT, 0.3, x0, y, x0 + self.measure, y))

    def _stamp(self, epoch: int | None) -> None:
        """Dates and file ID from SOURCE_DATE_EPOCH and the document, so builds are reproducible."""
        if epoch is None:
            return
        doc = self.canvas._doc
        ts = doc._timeStamp
        lt = time.gmtime(int(epoch))
        ts.t, ts.lt, ts.YMDhms = int(epoch), lt, tuple(lt)[:6]
        ts.dhh = ts.dmm = 0
        ts.tzname = "UTC"
        sig = hashlib.md5(usedforsecurity=False)
        sig.update(b"publish pdf")
        sig.update(str(int(epoch)).encode())
        payload = json.dumps(self.doc.to_dict(), ensure_ascii=True, sort_keys=True)
        sig.update(payload.encode())
        sig.update(repr(self.options.settings.to_dict()).encode())
        doc.signature = sig


__all__ = ["PdfWriter"]
