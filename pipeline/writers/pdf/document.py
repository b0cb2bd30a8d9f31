"""The PDF document: the renderer that registers the document's faces, sets up reportlab's canvas,
places the pages and writes the file, with its document information, outline and, under
``SOURCE_DATE_EPOCH``, reproducible dates and file ID.

The renderer is assembled from the rooms of this package: :class:`.styles.Palette`,
:class:`.runs.TextRuns`, :class:`.layout.PageLayout`, :class:`.blocks.BlockFlows` and
:class:`.furniture.Furniture`. reportlab is imported inside functions only.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from typing import Any

import pipeline.writers.pdf.registration as registration
from pipeline.model import Document, Paragraph
from pipeline.settings import DOCUMENT_ONLY
from pipeline.writers import RenderOptions, unknown_block
from pipeline.writers.pdf.blocks import _KNOWN_BLOCKS, BlockFlows
from pipeline.writers.pdf.furniture import Furniture
from pipeline.writers.pdf.layout import PageLayout
from pipeline.writers.pdf.runs import TextRuns
from pipeline.writers.pdf.styles import Palette

#: characters the writer prints itself (list markers, attribution dash, truncation)
EXTRA_CHARS = "0123456789.•—…·"
EXTRA_CJK = "・　〓"


def _info(text: str) -> str:
    """A document-info string: one line, no lone surrogates (they cannot be encoded)."""
    return re.sub("[\ud800-\udfff]", "\ufffd", " ".join(text.split()))


class _Renderer(BlockFlows, Furniture, PageLayout, TextRuns, Palette):
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
            name = registration._register(face)
            self.font_of[id(face)] = name
            self.fonts[name] = registration._FONT_CACHE[name]
        self._geometry()
        self._styles()
        self._width_cache: dict[tuple[str, str], float] = {}

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
        # settings that shape the document (in the payload), not its rendering, are left out: the
        # file ID of every PDF whose document they do not change stays the same
        settings = {k: v for k, v in self.options.settings.to_dict().items() if k not in DOCUMENT_ONLY}
        sig.update(repr(settings).encode())
        doc.signature = sig
