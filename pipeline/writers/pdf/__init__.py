"""The print edition: a PDF typeset with reportlab's canvas and our own Chinese line breaker.

reportlab's Paragraph lets ``，`` start a line, leaves CJK lines short and falls back to an
unembedded Helvetica, so this writer does its own composition: :mod:`.linebreak` breaks and
justifies each paragraph (clreq kinsoku, Latin words kept whole), every line is drawn as one text
object whose justification lives in TJ position adjustments (copy-paste gets the exact text, no
inserted spaces), and a small page builder places blocks on a baseline grid with widow/orphan
control and headings kept with what follows. Fonts come from :mod:`pipeline.fonts` (subset TrueType,
embedded again as subsets by reportlab); nothing refers to a base-14 font.

reportlab is imported inside functions only, so ``publish --help`` stays fast.

The rooms of the package (each imports its siblings, never this module):

* :mod:`.linebreak` - line breaking and justification, independent of any PDF library;
* :mod:`.metrics` - reportlab's TrueType character tables, read in bulk;
* :mod:`.registration` - faces registered with reportlab (a bounded registry per process) and the
  ToUnicode CMap written for their subsets;
* :mod:`.styles` - colours, :class:`~.styles.Style` and the styles of the edition's roles;
* :mod:`.runs` - text runs: composition into lines, one text object per line, TJ justification;
* :mod:`.layout` - page geometry, baseline grid, boxes and flows, pagination (widows, orphans,
  keeps);
* :mod:`.blocks` - the document's blocks as flows;
* :mod:`.furniture` - title block, running heads, folios, rules;
* :mod:`.document` - the renderer: canvas, metadata, outline, reproducible output.
"""

from __future__ import annotations

from pipeline.model import Document
from pipeline.writers import RenderOptions, needs
from pipeline.writers.pdf.document import _Renderer


class PdfWriter:
    """Print edition: A4/A5/B5/Letter PDF with embedded subset fonts, outline and metadata."""

    name = "pdf"
    suffix = ".pdf"
    description = "print edition (PDF, Chinese typeset with kinsoku and full justification)"

    missing_dependency = needs(("reportlab", "reportlab"), ("PIL", "Pillow"), ("fontTools", "fonttools"))

    def preload(self) -> None:
        """Import reportlab ahead of the document (a build overlaps it with normalising)."""
        import reportlab.pdfbase.pdfmetrics  # noqa: F401
        import reportlab.pdfbase.ttfonts  # noqa: F401
        import reportlab.pdfgen.canvas  # noqa: F401

    def render(self, document: Document, options: RenderOptions) -> bytes:
        """The PDF bytes; identical input and ``source_date_epoch`` give identical bytes."""
        return _Renderer(document, options).render()


__all__ = ["PdfWriter"]
