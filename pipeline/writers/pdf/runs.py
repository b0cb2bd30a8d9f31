"""Text runs: styled text composed into lines and drawn as PDF text objects.

:meth:`TextRuns.compose` flattens styled runs into characters (fallback faces by coverage, a
placeholder glyph for a character no face has, format and control characters dropped, en and em
spaces drawn as a space plus an adjustment), adds punctuation compression, has :mod:`.linebreak`
break and justify them, and puts right-to-left runs in visual order. :meth:`TextRuns.draw_line`
draws every line as one text object whose justification lives in TJ position adjustments, so
copy-paste gets the exact text with no inserted spaces (the ToUnicode map written with each font
subset, see :mod:`.registration`, gives every glyph its character back).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import Any

import pipeline.writers.pdf.registration as registration
from pipeline.writers.pdf.linebreak import SPACES, ZERO_WIDTH, LineBreaker, compression
from pipeline.writers.pdf.styles import Style

#: drawn in place of a character no font has: the typesetter's geta mark, or U+FFFD in Latin faces
PLACEHOLDERS = ("〓", "\ufffd")
#: spaces drawn as a plain space plus an adjustment: character -> width in ems
_WIDE_SPACES = {"\u2002": 0.5, "\u2003": 1.0, "\u2009": 0.2}
_KEEP_INVISIBLE = frozenset("\n\t\r\u200b\u00ad")
#: titles and headings of up to this many lines are balanced (:meth:`TextRuns.balanced`); a longer
#: one (a page-long heading) is set as it breaks, which is what balancing would cost minutes on
BALANCE_LINES = 40


@dataclass
class SetLine:
    """One composed line: characters with their styles, per-gap adjustments and an x offset."""

    text: str
    styles: list[Style]
    gaps: tuple[float, ...]
    x: float  # offset from the column's left edge
    width: float  # drawn width including adjustments


def _num(v: float) -> str:
    """A short, deterministic PDF number."""
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _rgb(color: tuple[float, float, float]) -> str:
    return " ".join(_num(c) for c in color)


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


class TextRuns:
    """Composition and drawing of text runs; a part of the renderer (:mod:`.document`), whose faces,
    fonts, canvas and caches it uses."""

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
            name = self.font_of[id(face)] = registration._register(face)
            self.fonts[name] = registration._FONT_CACHE[name]
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
        """Ragged lines of similar length (titles): the narrowest measure that keeps the count.

        A title or heading of more than a few lines is not display type any more: it is set
        as composed (balancing a page-long one would cost seconds and show nothing)."""
        lines = self.compose(runs, measure, justify=False)
        if not 2 <= len(lines) <= BALANCE_LINES:
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
