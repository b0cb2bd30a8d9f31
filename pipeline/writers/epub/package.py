"""The package: metadata, manifest, spine and NCX through ebooklib, the photos, and the zip.

ebooklib packages the book: ``container.xml``, ``content.opf`` (metadata, manifest, spine) and the
NCX come from its :class:`~ebooklib.epub.EpubBook`. The XHTML, the navigation document and the
stylesheet (:mod:`.xhtml`, :mod:`.css`) are handed to it verbatim. What ebooklib cannot do is
patched on its own lxml trees (``xml:lang`` on package and NCX, the NCX depth), and its zip, which
stamps the wall clock, is rewritten with ``mimetype`` first and stored and fixed order, times and
modes, which makes the bytes reproducible for a given input and ``SOURCE_DATE_EPOCH``. ebooklib
and lxml are imported only when rendering. ebooklib writes to memory, so a failed write leaves no
broken file. The only files read are the images a document names (below ``options.base_dir``).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import TYPE_CHECKING

from pipeline.writers import FONT_DEFLATE, WriterError
from pipeline.writers.epub.book import _XML_INVALID, _Asset, _Book, _normalise_date, _toc_tree

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ebooklib.epub import EpubBook
    from ebooklib.epub import EpubWriter as _EbooklibWriter


#: Zip entries may not predate 1980; used when no SOURCE_DATE_EPOCH is given.
_ZIP_FLOOR = (1980, 1, 1, 0, 0, 0)
_IBOOKS = "http://vocabulary.itunes.apple.com/rdf/ibooks/vocabulary-extensions-1.0/"


def _moment(epoch: int | None) -> dt.datetime:
    """When the book was last modified: SOURCE_DATE_EPOCH, else now; always UTC (ebooklib writes
    the value with a literal ``Z``, so it must not be local time)."""
    if epoch is None:
        return dt.datetime.now(dt.timezone.utc)
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def _toc(book: _Book) -> list:
    """:func:`_toc_tree` as ebooklib's ``book.toc`` (a ``(Section, [Link])`` pair for a heading
    with sub-headings), from which ebooklib writes the NCX. Titles are plain text: lxml escapes."""
    from ebooklib import epub

    toc: list = []
    n = 0
    for href, text, children in _toc_tree(book):
        n += 1
        if not children:
            toc.append(epub.Link(href, book.text(text), f"np{n}"))
            continue
        links = []
        for child_href, child_text in children:
            n += 1
            links.append(epub.Link(child_href, book.text(child_text), f"np{n}"))
        toc.append((epub.Section(book.text(text), href), links))
    return toc


def _metadata(book: _Book, pkg: EpubBook, identifier: str, has_images: bool) -> None:
    """Package metadata through ebooklib (lxml escapes every value; ``book.text`` has already
    replaced what XML cannot hold, which lxml would otherwise reject and ebooklib silently drop)."""
    meta = book.meta
    pkg.IDENTIFIER_ID = "pub-id"
    pkg.set_identifier(_XML_INVALID.sub("\ufffd", identifier))  # replaces ebooklib's random uuid4
    pkg.set_title(book.text(meta.title))
    pkg.set_language(book.lang)
    # ebooklib announces itself as the generator unless told otherwise.
    pkg.set_unique_metadata("OPF", "generator", "",
                            {"name": "generator", "content": f"publish {book.options.version}"})
    creator = meta.author  # a byline is a printed line (often a date), not a name
    if creator:
        pkg.add_author(book.text(creator), role="aut", uid="creator")
    if meta.editor:
        pkg.add_metadata("DC", "contributor", book.text(meta.editor), {"id": "editor"})
        pkg.add_metadata(None, "meta", "edt",
                         {"refines": "#editor", "property": "role", "scheme": "marc:relators"})
    if meta.publisher:
        pkg.add_metadata("DC", "publisher", book.text(meta.publisher))
    date = _normalise_date(meta.date)
    if date:
        pkg.add_metadata("DC", "date", date)
    if meta.rights:
        pkg.add_metadata("DC", "rights", book.text(meta.rights))
    subjects = [s for s in ([meta.subject] if meta.subject else []) + list(meta.keywords) if s.strip()]
    for subject in dict.fromkeys(subjects):
        pkg.add_metadata("DC", "subject", book.text(subject))
    if meta.description:
        pkg.add_metadata("DC", "description", book.text(meta.description))
    if meta.source:
        pkg.add_metadata("DC", "source", book.text(meta.source))

    def prop(name: str, value: str) -> None:
        pkg.add_metadata(None, "meta", value, {"property": name})

    # Apple Books ignores embedded fonts unless told the book specifies them.
    pkg.add_prefix("ibooks", _IBOOKS)
    prop("ibooks:specified-fonts", "true")
    if book.vertical:  # Kindle's converters read this to keep the book vertical
        pkg.add_metadata(None, "meta", "", {"name": "primary-writing-mode", "content": "vertical-rl"})
    # Accessibility: only what is true of every book this writer makes.
    prop("schema:accessMode", "textual")
    prop("schema:accessMode", "visual")  # the cover and any photos
    prop("schema:accessModeSufficient", "textual")
    for feature in ("structuralNavigation", "tableOfContents", "readingOrder",
                    "displayTransformability", "alternativeText"):
        prop("schema:accessibilityFeature", feature)
    prop("schema:accessibilityHazard", "none")
    summary = (
        "Reflowable text with a table of contents, headings that mark each section and a single "
        "logical reading order; readers may change the font, size and colours. The cover image "
        + ("and every photograph have" if has_images else "has")
        + " a text alternative. There are no flashing, motion or sound hazards."
    )
    if book.vertical:
        summary += " The text is set vertically, read top to bottom and right to left."
    prop("schema:accessibilitySummary", summary)


def _package_writer(book: _Book) -> type[_EbooklibWriter]:
    """ebooklib's writer with what it has no option for, done on lxml trees rather than on
    serialised bytes: ``xml:lang`` on ``<package>`` and ``<ncx>`` (the language of the metadata
    and labels, which readers use to pick a CJK font) and a true ``dtb:depth`` in the NCX
    (ebooklib always writes 0)."""
    from ebooklib import epub
    from lxml import etree

    lang = book.lang
    depth = "2" if any(children for _, _, children in _toc_tree(book)) else "1"

    class Writer(epub.EpubWriter):
        def _write_opf_file(self, root) -> None:
            root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
            super()._write_opf_file(root)

        def _get_ncx(self) -> bytes:
            root = etree.fromstring(super()._get_ncx())
            root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
            for element in root.iterfind("{*}head/{*}meta[@name='dtb:depth']"):
                element.set("content", depth)
            return etree.tostring(root, encoding="utf-8", xml_declaration=True)

    return Writer


def _package(book: _Book, identifier: str, pages: list[tuple[str, str, bytes]], nav: bytes,
             stylesheet: bytes, cover: _Asset, fonts: list[_Asset], images: list[_Asset]) -> bytes:
    """Assemble the EPUB with ebooklib: it writes container.xml, content.opf (metadata, manifest,
    spine with the page progression) and the NCX from ``book.toc``.

    Our XHTML goes in as plain :class:`~ebooklib.epub.EpubItem` parts, written verbatim:
    ``EpubHtml.get_content`` re-parses a page with lxml's HTML parser and rebuilds ``<head>`` and
    ``<body>``, which drops the attributes on ``<html>``/``<body>`` (``epub:type``, the
    ``horizontal`` class of the colophon) and the stylesheet link. The navigation document is ours
    for the same reason: ebooklib's ``EpubNav`` cannot mark the landmarks ``hidden``, so they
    would be printed in the contents page the spine shows."""
    from ebooklib import epub

    pkg = epub.EpubBook()
    _metadata(book, pkg, identifier, bool(images))
    if book.vertical:
        pkg.set_direction("rtl")  # spine page-progression-direction (not package dir)

    def xhtml(uid: str, href: str, data: bytes, properties: tuple[str, ...] = ()) -> epub.EpubItem:
        item = epub.EpubItem(uid=uid, file_name=href, media_type="application/xhtml+xml", content=data)
        item.properties = list(properties)  # ebooklib writes manifest properties from this
        return pkg.add_item(item)

    spine = {"nav": xhtml("nav", "nav.xhtml", nav, ("nav",))}
    pkg.add_item(epub.EpubNcx())
    pkg.add_item(epub.EpubItem(uid="css", file_name="css/book.css", media_type="text/css",
                               content=stylesheet))
    for uid, href, data in pages:
        spine[uid] = xhtml(uid, href, data)
    for font in fonts:
        pkg.add_item(epub.EpubItem(uid=font.id, file_name=font.href, media_type=font.media_type,
                                   content=font.data))
    # what set_cover(create_page=False) does (the cover-image property, <meta name="cover">),
    # with the media type given: ebooklib would guess it, reading the system's mime.types
    item = epub.EpubCover(file_name=cover.href)
    item.content, item.media_type = cover.data, cover.media_type
    pkg.add_item(item)
    pkg.add_metadata(None, "meta", "", {"name": "cover", "content": item.id})
    for image in images:
        pkg.add_item(epub.EpubImage(uid=image.id, file_name=image.href, media_type=image.media_type,
                                    content=image.data))
    pkg.spine = [spine[uid] for uid in ("cover", "titlepage", "nav", "text", "colophon")]
    pkg.toc = _toc(book)

    out = io.BytesIO()
    writer = _package_writer(book)(out, pkg, {
        "mtime": _moment(book.options.source_date_epoch),  # dcterms:modified
        "epub2_guide": False, "epub3_landmark": False, "epub3_pages": False,  # our nav has landmarks
        "play_order": {"enabled": True, "start_from": 1},  # NCX playOrder 1, 2, ...
        "compresslevel": 0,  # stored: the zip is deflated once, by _reproducible_zip
    })
    writer.process()
    try:
        writer.write()
    except (OSError, ValueError) as exc:  # write_epub would swallow this and return False
        raise WriterError(f"epub writer: ebooklib could not write the package: {exc}") from exc
    return _reproducible_zip(out.getvalue(), book.options.source_date_epoch)


def _load_images(book: _Book) -> dict[str, _Asset]:
    """The photos captions name that the one image check passed (``load_image``), as assets."""
    from pipeline.writers import load_image
    from pipeline.writers.images import caption_images, media_type

    extensions = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}
    images: dict[str, _Asset] = {}
    for image in caption_images(book.document):
        data = load_image("epub", image, book.options)
        if data is None:
            continue
        media = media_type(data)
        n = len(images) + 1
        images[image] = _Asset(f"images/photo-{n:03d}.{extensions[media]}", media, data, f"photo-{n:03d}")
    return images


def _reproducible_zip(data: bytes, epoch: int | None) -> bytes:
    """ebooklib's zip rewritten for reproducible bytes: its entries stamp the wall clock, so
    each is copied, in ebooklib's (deterministic) order with ``mimetype`` first and stored, with
    a fixed time from ``SOURCE_DATE_EPOCH``, fixed modes and deflate level 6 (level 9 saves
    0.3 % of a font-heavy book for 60 % more time)."""
    if epoch is not None:
        stamp = dt.datetime.fromtimestamp(max(epoch, 315532800), dt.timezone.utc)
        date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    else:
        date_time = _ZIP_FLOOR
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as archive:
        names = source.namelist()
        if names[:1] != ["mimetype"] or len(set(names)) != len(names):
            raise WriterError(f"epub writer: unexpected package layout from ebooklib: {names[:3]}")
        for name in names:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            stored = name == "mimetype"
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            level = None if stored else FONT_DEFLATE if name.startswith("EPUB/fonts/") else 6
            archive.writestr(info, source.read(name), compresslevel=level)
    return buffer.getvalue()
