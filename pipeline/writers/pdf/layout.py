"""The page builder: page geometry, the baseline grid, and flows of boxes placed on pages.

For CJK text the measure is a whole number of ems, so a line of ideographs needs no adjustment
(the CJK grid, 版心); the frame holds a whole number of lines. Blocks reach the page builder as
flows (:class:`Flow`) of fixed-height boxes (:class:`Box`); it places them on the baseline grid with
widow/orphan control (a paragraph split leaves at least two lines on each page) and keeps headings
and epigraphs with what follows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.writers.pdf.runs import SetLine

MM = 72.0 / 25.4


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


class PageLayout:
    """Geometry, line boxes and pagination; a part of the renderer (:mod:`.document`)."""

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

    def _line_boxes(self, lines: list[SetLine], leading: float, size: float) -> list[Box]:
        """A box per line with the em box centred in the line (CJK convention)."""
        boxes = []
        for ln in lines:
            def draw(ops: list[str], x: float, top: float, ln: SetLine = ln) -> None:
                baseline = top - (leading - size) / 2 - size * 0.88
                self.draw_line(ops, ln, x, baseline)
            boxes.append(Box(leading, draw, True))
        return boxes

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
        if self._breaks(f):
            lo = 2 if len(f.boxes) >= 4 else 1
            return self._snap(f.before + sum(b.height for b in f.boxes[:lo]))
        h = self._height(f, False)
        if f.keep_with_next:
            h += self._min_head(flows, i + 1, depth + 1)
        return h

    def _breaks(self, flow: Flow) -> bool:
        """Whether ``flow`` may break between its boxes: a paragraph of four lines or more, and
        any flow taller than a whole page (a heading or title of a thousand lines), which would
        otherwise run off the page, cut, over the folio."""
        if flow.splittable and len(flow.boxes) >= 4:
            return True
        return len(flow.boxes) > 1 and self._height(flow, True) > self.frame_h + 1e-6

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
            if self._breaks(f):
                before = 0.0 if at_top else f.before
                k = 0
                while k < n and self._snap(before + sum(b.height for b in f.boxes[:k + 1])) + y <= H:
                    k += 1
                # no widows or orphans (two lines each side) where the flow has lines to spare
                lo, k = (2, min(k, n - 2)) if n >= 4 else (1, min(k, n - 1))
                if k >= lo or (at_top and k >= 1):
                    head = Flow(f.boxes[:k], f.before, 0.0, splittable=True, above_share=f.above_share,
                                outline=f.outline)
                    tail = Flow(f.boxes[k:], 0.0, f.after, f.keep_with_next, True, f.above_share)
                    pages[-1].append((head, y, at_top))
                    queue[i] = tail
                    pages.append([])
                    y = 0.0
                    continue
            if at_top:  # one box taller than a page: let it overflow rather than loop
                pages[-1].append((f, y, at_top))
                y += h
                i += 1
                continue
            pages.append([])
            y = 0.0
        if not pages[-1] and len(pages) > 1:
            pages.pop()
        return pages
