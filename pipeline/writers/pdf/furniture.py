"""Page furniture: the title block, the running head and folio of every page, and the rules drawn
with them (and beside quotations and captions)."""

from __future__ import annotations

from dataclasses import replace

from pipeline.model import Meta
from pipeline.writers.pdf.layout import Box, Flow
from pipeline.writers.pdf.runs import _num, _rgb
from pipeline.writers.pdf.styles import ACCENT, LIGHT


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


class Furniture:
    """Title block, running heads and folios; a part of the renderer (:mod:`.document`)."""

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
