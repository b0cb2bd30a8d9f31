"""The body of the DOCX edition: blocks into paragraphs and runs, and the page furniture.

The front matter (title, subtitle, byline) and then one paragraph a block, each pointing at a
named style of :mod:`.styles`; the style, not the run, carries fonts, sizes and indents. A run is
one stretch of text drawn by one face, and only a face other than the style's (a fallback for
emoji, Ext-B ...) is named on the run; each ordered list gets its own ``w:numId`` so that it
restarts at 1. Those two are the only direct formatting. Images are scaled to fit the text block
and described for screen readers; the header repeats the title (not on page 1, which opens with
it), the footer holds a PAGE field; the section is cleared of the template's rsids. Characters
XML 1.0 cannot hold are left out and counted.
"""

from __future__ import annotations

import io
import re
from typing import Any

from pipeline.model import Caption, Heading, ListBlock, Paragraph, Quote
from pipeline.writers import unknown_block
from pipeline.writers.docx.styles import _fonts

#: Characters XML 1.0 cannot hold at all; python-docx would raise on them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class _BodyMixin:
    """The :class:`~.builder._Builder` steps that write the document body and page furniture.

    They use the builder's ``doc``, ``document``, ``options``, ``settings``, ``faces``,
    ``role_face``, ``styles`` and ``metrics``, and count ``dropped_chars`` and ``ordered_lists``.
    """

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
