"""One DOCX rendering from start to finish: :class:`_Builder` and the order of its steps.

:class:`_Builder` gathers what one render needs (the document and options, the faces from
:mod:`pipeline.fonts`, metrics, style table, font plan and the epoch every date comes from) and
:meth:`_Builder.build` runs the steps in order: front matter and blocks, page size and margins,
header and footer, then the parts (styles, numbering, settings, properties, fonts), then the zip.
The steps are methods of the mixins it is made of, one a module: :mod:`.body`, :mod:`.styles`,
:mod:`.properties`, :mod:`.package` and :mod:`.embedding`. ``DocxWriter.preload`` leaves a fresh
python-docx document in :data:`_SPARE` for the next build to take.
"""

from __future__ import annotations

import time
from typing import Any

from pipeline.model import Caption, Document, Heading, ListBlock, Paragraph, Quote
from pipeline.settings import Settings
from pipeline.writers import RenderOptions, WriterError, unknown_block
from pipeline.writers.docx.body import _BodyMixin
from pipeline.writers.docx.embedding import _EmbeddingMixin, _plan_fonts
from pipeline.writers.docx.package import _PackageMixin, _zip_package
from pipeline.writers.docx.properties import _PropertiesMixin
from pipeline.writers.docx.styles import _Metrics, _style_table, _StylesMixin, word_languages

#: Characters the writer prints itself (list bullet, attribution dash, byline gap): subset them too.
_WRITER_CHARS = "\u2022\u2014\u3000"

_TWIPS_PER_MM = 1440 / 25.4
_EMU_PER_TWIP = 635


#: A fresh document made from python-docx's template by ``preload``, ready for the next render.
_SPARE: list[Any] = []


class _Builder(_BodyMixin, _StylesMixin, _PropertiesMixin, _PackageMixin, _EmbeddingMixin):
    """One rendering: keeps the document, faces and counters together."""

    def __init__(self, document: Document, options: RenderOptions):
        from pipeline.fonts import FontError, describe_missing, faces_for

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
        except (WriterError, FontError):  # the build reports an unusable font, once for every writer
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
