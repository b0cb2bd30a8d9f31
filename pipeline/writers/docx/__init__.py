"""The DOCX edition: a Word file an editor can keep working in, with Chinese set right.

Why it is built the way it is:

* **Styles, not direct formatting.** Every paragraph and run points at a named style (Title,
  Subtitle, Byline, Heading 1/2, Normal, Epigraph, Caption, Quote, List ...) and the styles carry
  the fonts (``w:rFonts`` ascii/hAnsi/eastAsia/cs: python-docx's ``font.name`` never sets the East
  Asian slot), the languages (``w:lang w:eastAsia``), 2-character first-line indents
  (``w:firstLineChars`` with a ``w:firstLine`` twips fallback for readers that ignore it), justified
  text, ``w:kinsoku`` line-break rules and CJK/Latin autospacing. The only direct formatting is a
  fallback font on the odd character the main face lacks, and restart numbering of ordered lists.
* **Embedded fonts.** The subset faces from :mod:`pipeline.fonts` are embedded as obfuscated
  ``word/fonts/fontN.odttf`` parts (ECMA-376 Part 1 §17.8.1, see :mod:`.odttf`) referenced from
  ``fontTable.xml``, so Word and LibreOffice draw our faces where they are not installed.
* **No template leftovers.** python-docx's default template brings 2013 dates, "python-docx" as
  author, a thumbnail, a theme, stylesWithEffects, webSettings, customXml, a Mac Word app.xml and
  hundreds of latent styles; all are dropped or rewritten.
* **Reproducible.** Every date comes from ``options.source_date_epoch`` and the zip is rewritten
  with fixed entry times and order, so identical input gives identical bytes.

Where things are (each module opens with what it holds):

* :mod:`.builder`: one rendering, the order of its steps (body, parts, fonts, zip).
* :mod:`.body`: blocks into paragraphs and runs; header, footer, page field, section.
* :mod:`.styles`: languages, the style table, pPr/rPr writing in schema order, styles.xml and
  numbering.xml.
* :mod:`.embedding`: which faces are embedded under which names, renaming, fontTable.xml.
* :mod:`.odttf`: the obfuscation of embedded fonts (ECMA-376 Part 1 §17.8.1).
* :mod:`.properties`: core and app properties, settings.xml.
* :mod:`.package`: template parts dropped or replaced, namespaces tidied, the reproducible zip.

Module top level imports only the standard library and pipeline: python-docx/lxml load on use.
"""

from __future__ import annotations

from pipeline.model import Document
from pipeline.writers import RenderOptions, WriterError, needs
from pipeline.writers.docx.builder import _SPARE, _Builder


class DocxWriter:
    """Word (.docx) edition with styles, embedded subset fonts and reproducible bytes."""

    name = "docx"
    suffix = ".docx"
    description = "Word document with named styles and embedded fonts, for editors"

    missing_dependency = needs(("docx", "python-docx"), ("lxml", "lxml"), ("fontTools", "fonttools"))

    def preload(self) -> None:
        """Import python-docx ahead of the document (a build overlaps it with normalising)."""
        import docx
        import docx.oxml.parser  # noqa: F401
        import docx.parts.hdrftr  # noqa: F401

        _SPARE.append(docx.Document())  # opening the template is a fifth of a render

    def render(self, document: Document, options: RenderOptions) -> bytes:
        try:
            import docx  # noqa: F401
        except ImportError:
            raise WriterError("docx writer: python-docx is not installed") from None
        return _Builder(document, options).build()
