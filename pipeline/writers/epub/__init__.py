"""The EPUB 3 edition: the one people read on phones and e-readers, so it must validate cleanly.

ebooklib packages the book: ``container.xml``, ``content.opf`` (metadata, manifest, spine) and the
NCX come from its :class:`~ebooklib.epub.EpubBook`. The XHTML, the navigation document and the
stylesheet are written by this package as strings we control and handed to ebooklib verbatim, so
the text is escaped exactly once and the navigation can never be empty. What ebooklib cannot do
is patched on its own lxml trees, and its zip is rewritten, which makes the bytes reproducible for
a given input and ``SOURCE_DATE_EPOCH`` (details in :mod:`.package`). ebooklib and lxml are
imported only when rendering. The writer is pure: it returns bytes (ebooklib writes to memory,
so a failed write leaves no broken file) and reads only the images a document names (below
``options.base_dir``).

Parts: ``cover.xhtml`` (a PNG drawn with the book's own fonts), ``title.xhtml``, ``nav.xhtml``
(toc + landmarks), ``text.xhtml`` (the article), ``toc.ncx`` for EPUB 2 readers, one stylesheet
and the font subsets from :mod:`pipeline.fonts`. ``writing_mode = "vertical-rl"`` makes the
traditional vertical book: vertical CSS, right-to-left page progression, corner-bracket quotes and
upright two-digit numbers. ``colophon.xhtml`` carries the SIL OFL text the embedded fonts require.
The body face is embedded as :mod:`pipeline.fonts` made it; heading, bold and caption faces are
trimmed to the characters they print, which keeps a long CJK article far under the 1 MB budget.

Where things are:

- :mod:`.book`: the state of one render (language, labels, text treatment), assets, the
  identifier, dates and the table of contents;
- :mod:`.typefaces`: which faces are embedded, trimmed, within :data:`FONT_BUDGET`;
- :mod:`.css`: the stylesheet, horizontal and vertical;
- :mod:`.xhtml`: blocks to XHTML and the pages (text, title, colophon, cover page, nav);
- :mod:`.cover`: the cover PNG, horizontal and vertical;
- :mod:`.package`: OPF and NCX through ebooklib, the photos, the reproducible zip;
- here: :class:`EpubWriter`, the plugin that puts them together.
"""

from __future__ import annotations

from pipeline.model import Document
from pipeline.writers import RenderOptions, WriterError, needs, unknown_block
from pipeline.writers.epub.book import _Asset, _Book, book_identifier
from pipeline.writers.epub.cover import _cached_cover
from pipeline.writers.epub.css import _stylesheet
from pipeline.writers.epub.package import _load_images, _package
from pipeline.writers.epub.typefaces import FONT_BUDGET, _choose_fonts, _extra_chars
from pipeline.writers.epub.xhtml import (
    _colophon_page,
    _cover_page,
    _nav_page,
    _Renderer,
    _text_page,
    _title_page,
)

__all__ = ["FONT_BUDGET", "EpubWriter", "book_identifier"]


class EpubWriter:
    """EPUB 3 edition: valid, accessible, with embedded subset fonts; horizontal or vertical."""

    name = "epub"
    suffix = ".epub"
    description = "EPUB 3 e-book with embedded fonts (horizontal, or vertical with --writing-mode)"

    missing_dependency = needs(("ebooklib", "EbookLib"), ("lxml", "lxml"), ("PIL", "Pillow"),
                               ("fontTools", "fonttools"))

    def preload(self) -> None:
        """Import ebooklib and lxml ahead of the document (a build overlaps it with normalising)."""
        import ebooklib.epub  # noqa: F401
        import lxml.etree  # noqa: F401

    def render(self, document: Document, options: RenderOptions) -> bytes:
        from pipeline.fonts import describe_missing, faces_for

        for block in document.blocks:  # refuse an unknown block before any expensive work
            if type(block) not in _Renderer.VISIT:
                raise unknown_block("epub", block)
        book = _Book(document, options)
        if book.vertical and book.family not in ("zh-Hant", "zh-Hans", "ja", "ko"):
            options.warning(f"epub: vertical-rl is a CJK convention; this {book.lang} text is set sideways")
        faceset = faces_for(document, options.settings, (options.charset or "") + _extra_chars(book))
        for cp in faceset.missing:
            options.warning(describe_missing(cp))
        fonts = _choose_fonts(faceset, book)
        images = _load_images(book)
        renderer = _Renderer(book, images)
        text_page = _text_page(book, renderer)  # fills book.headings for the nav and NCX
        identifier = book_identifier(document)

        try:
            cover = _Asset("images/cover.png", "image/png", _cached_cover(book, faceset),
                           "cover-img")  # the id ebooklib's set_cover gives it
        except OSError as exc:  # a font Pillow cannot read: fail loudly, naming the cause
            raise WriterError(f"epub writer: cannot draw the cover: {exc}") from None
        pages = [
            ("cover", "cover.xhtml", _cover_page(book, cover.href)),
            ("titlepage", "title.xhtml", _title_page(book)),
            ("text", "text.xhtml", text_page),
            ("colophon", "colophon.xhtml", _colophon_page(book, faceset)),
        ]
        return _package(book, identifier, pages, _nav_page(book),
                        _stylesheet(book, fonts).encode("utf-8"), cover, fonts.assets,
                        list(images.values()))
