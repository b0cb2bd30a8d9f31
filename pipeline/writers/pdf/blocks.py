"""Document blocks as flows for the page builder: headings, paragraphs (lead, epigraph, note,
signature, run-in heads), captions with their pictures, lists and quotations."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pipeline.model import Caption, Heading, ListBlock, Paragraph, Quote
from pipeline.writers import unknown_block
from pipeline.writers.pdf.furniture import _fill, _stroke
from pipeline.writers.pdf.layout import Box, Flow
from pipeline.writers.pdf.runs import SetLine
from pipeline.writers.pdf.styles import ACCENT, LIGHT, Style

_KNOWN_BLOCKS = (Heading, Paragraph, Caption, ListBlock, Quote)


class BlockFlows:
    """Blocks to flows; a part of the renderer (:mod:`.document`)."""

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
