"""The XHTML pages, written as strings we control and handed to ebooklib verbatim, so the text is
escaped exactly once and the navigation can never be empty.

:class:`_Renderer` turns the document's blocks into the body of ``text.xhtml`` (one method per
block type; an unknown type raises). The pages: ``text.xhtml`` (the article), ``title.xhtml``,
``colophon.xhtml`` (rights, source and the SIL OFL text the embedded fonts require; always
horizontal), ``cover.xhtml`` (the PNG of :mod:`.cover`) and ``nav.xhtml`` (toc + landmarks, the
landmarks hidden so the contents page the spine shows does not print them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from pipeline.model import Block, Caption, Heading, ListBlock, Paragraph, Quote
from pipeline.writers import date_in_byline, escape, unknown_block
from pipeline.writers.epub.book import _Asset, _Book, _display_date, _normalise_date, _toc_tree

if TYPE_CHECKING:  # pragma: no cover - typing only
    from pipeline.fonts import FaceSet


_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NS_XHTML = "http://www.w3.org/1999/xhtml"
_NS_EPUB = "http://www.idpf.org/2007/ops"
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")


def _attr(value: str) -> str:
    """Escape for a double-quoted XML attribute."""
    return escape(value, {'"': "&quot;"})


def _xhtml(book: _Book, title: str, body: str, body_attrs: str = "", html_class: str = "") -> bytes:
    lang = _attr(book.lang)
    cls = f' class="{html_class}"' if html_class else ""
    return (
        _XML_DECL
        + "<!DOCTYPE html>\n"
        + f'<html xmlns="{_NS_XHTML}" xmlns:epub="{_NS_EPUB}" lang="{lang}" xml:lang="{lang}"{cls}>\n'
        + "<head>\n"
        + f"<title>{title}</title>\n"
        + '<link rel="stylesheet" type="text/css" href="css/book.css"/>\n'
        + "</head>\n"
        + f"<body{body_attrs}>\n{body}</body>\n</html>\n"
    ).encode("utf-8")


class _Renderer:
    """Blocks to XHTML, one method per block type (an unknown type raises)."""

    #: block class -> name of the method that renders it
    VISIT: dict[type, str] = {Heading: "heading", Paragraph: "paragraph", Caption: "caption",
                              ListBlock: "list", Quote: "quote"}

    def __init__(self, book: _Book, images: dict[str, _Asset]):
        self.book = book
        self.images = images
        self.count = 0

    def render(self, block: Block) -> str:
        name = self.VISIT.get(type(block))
        if name is None:
            raise unknown_block("epub", block)
        method: Callable[[Block], str] = getattr(self, name)
        return method(block)

    def heading(self, block: Heading) -> str:
        self.count += 1
        ident = f"h{self.count}"
        level = min(max(block.level, 1), 3) + 1
        self.book.headings.append((ident, block.level, block.text))
        return f'<h{level} id="{ident}">{self.book.inline(block.text)}</h{level}>\n'

    def paragraph(self, block: Paragraph) -> str:
        b = self.book
        runin = ""
        if block.runin:
            sep = "" if _CJK.search(block.runin[-1:]) or block.runin[-1:].isspace() else " "
            runin = f'<strong class="runin">{b.inline(block.runin)}</strong>{sep}'
        if block.role in ("epigraph", "lead", "signature", "note"):
            etype = ' epub:type="epigraph"' if block.role == "epigraph" else ""
            return f'<p class="{block.role}"{etype}>{runin}{b.inline(block.text)}</p>\n'
        return f"<p>{runin}{b.inline(block.text)}</p>\n"

    def caption(self, block: Caption) -> str:
        b = self.book
        img = ""
        asset = self.images.get(block.image or "")
        if asset is not None:
            alt = block.alt if block.alt is not None else block.text
            img = f'<img src="{_attr(asset.href)}" alt="{_attr(b.text(alt))}"/>\n'
        credit = f'<small class="credit">{b.inline(block.credit)}</small>' if block.credit else ""
        return f"<figure>\n{img}<figcaption>{b.inline(block.text)}{credit}</figcaption>\n</figure>\n"

    def list(self, block: ListBlock) -> str:
        tag = "ol" if block.ordered else "ul"
        items = "".join(f"<li>{self.book.inline(item)}</li>\n" for item in block.items)
        if not items:
            return ""
        return f"<{tag}>\n{items}</{tag}>\n"

    def quote(self, block: Quote) -> str:
        b = self.book
        quote = f"<blockquote>\n<p>{b.inline(block.text)}</p>\n</blockquote>\n"
        if not block.attribution:
            return quote
        dash = "——" if b.family != "en" else "— "
        return (f'<figure class="quote">\n{quote}'
                f"<figcaption>{dash}{b.inline(block.attribution)}</figcaption>\n</figure>\n")


def _text_page(book: _Book, renderer: _Renderer) -> bytes:
    meta = book.meta
    head = [f'<h1 id="title">{book.inline(meta.title)}</h1>\n']
    if meta.subtitle:
        head.append(f'<p class="subtitle">{book.inline(meta.subtitle)}</p>\n')
    who = meta.byline or meta.author
    if who:
        head.append(f'<p class="byline">{book.inline(who)}</p>\n')
    if meta.date and not date_in_byline(meta):
        iso = _normalise_date(meta.date)
        shown = book.inline(_display_date(book, meta.date))
        if iso:
            shown = f'<time datetime="{_attr(iso)}">{shown}</time>'
        head.append(f'<p class="dateline">{shown}</p>\n')
    body = "".join(renderer.render(block) for block in book.document.blocks)
    # A div, not a section: MuPDF (1.21) hoists figures inside sectioning elements to their start.
    section = (
        '<div class="chapter" epub:type="chapter" role="doc-chapter" aria-labelledby="title">\n'
        f'<header class="article-head">\n{"".join(head)}</header>\n{body}</div>\n'
    )
    return _xhtml(book, book.plain(meta.title), section, ' epub:type="bodymatter"')


def _title_page(book: _Book) -> bytes:
    """The formal title page: title, subtitle, author (else the byline), date, publisher."""
    meta = book.meta
    parts = [f"<h1>{book.inline(meta.title)}</h1>\n"]
    if meta.subtitle:
        parts.append(f'<p class="subtitle">{book.inline(meta.subtitle)}</p>\n')
    if meta.author:
        parts.append(f'<p class="author">{book.inline(meta.author)}</p>\n')
    elif meta.byline:
        parts.append(f'<p class="byline">{book.inline(meta.byline)}</p>\n')
    if meta.date:
        parts.append(f'<p class="date">{book.inline(_display_date(book, meta.date))}</p>\n')
    if meta.publisher or meta.source:
        parts.append(f'<p class="publisher">{book.inline(meta.publisher or meta.source or "")}</p>\n')
    if meta.credits:
        credits = "<br/>".join(book.inline(c) for c in meta.credits)
        parts.append(f'<p class="credits">{credits}</p>\n')
    if meta.rights:
        parts.append(f'<p class="rights">{book.inline(meta.rights)}</p>\n')
    body = (f'<section class="titlepage" epub:type="titlepage" aria-label="{_attr(book.labels[2])}">\n'
            f'{"".join(parts)}</section>\n')
    return _xhtml(book, book.plain(meta.title), body, ' epub:type="frontmatter"')


def _colophon_page(book: _Book, faceset: FaceSet) -> bytes:
    """Back matter: rights, source, and the font licence, which must travel with embedded fonts.

    Always horizontal: the licence is English prose set in lines."""
    from pipeline.fonts import licence_notice, licence_summary

    meta = book.meta
    parts = [f"<h2>{book.plain(book.labels[5])}</h2>\n"]
    if meta.rights:
        parts.append(f'<p class="rights">{book.inline(meta.rights)}</p>\n')
    if meta.source:
        source = book.plain(meta.source)
        if re.fullmatch(r"https?://[^\s<>\"]+", meta.source):
            source = f'<a href="{_attr(meta.source)}">{source}</a>'
        parts.append(f'<p class="source">{source}</p>\n')
    made = f"Made with publish {book.options.version}. {licence_summary(faceset)}"
    parts.append(f'<p class="made" lang="en" xml:lang="en">{escape(made)}</p>\n')
    licence = escape(book.text(licence_notice()))
    parts.append(f'<pre class="licence" lang="en" xml:lang="en">{licence}</pre>\n')
    body = (f'<section class="colophon" epub:type="colophon" role="doc-colophon">\n'
            f'{"".join(parts)}</section>\n')
    return _xhtml(book, book.plain(book.labels[5]), body, ' epub:type="backmatter"',
                  html_class="horizontal")


def _cover_page(book: _Book, cover_href: str) -> bytes:
    alt = _attr(book.text(book.meta.title))
    body = (f'<section epub:type="cover" aria-label="{_attr(book.labels[1])}">\n'
            f'<img src="{cover_href}" alt="{alt}" role="doc-cover"/>\n</section>\n')
    return _xhtml(book, _attr(book.labels[1]), body, ' class="cover"')


def _nav_page(book: _Book) -> bytes:
    items: list[str] = []
    for href, text, children in _toc_tree(book):
        sub = ""
        if children:
            sub = "\n<ol>\n" + "".join(
                f'<li><a href="{h}">{book.plain(t)}</a></li>\n' for h, t in children) + "</ol>\n"
        items.append(f'<li><a href="{href}">{book.plain(text)}</a>{sub}</li>\n')
    contents, cover, titlepage, start, landmarks, _ = (_attr(x) for x in book.labels)
    body = (
        f'<nav epub:type="toc" role="doc-toc" id="toc">\n<h2>{contents}</h2>\n<ol>\n'
        f'{"".join(items)}</ol>\n</nav>\n'
        f'<nav epub:type="landmarks" id="landmarks" hidden="hidden">\n<h2>{landmarks}</h2>\n<ol>\n'
        f'<li><a epub:type="cover" href="cover.xhtml">{cover}</a></li>\n'
        f'<li><a epub:type="titlepage" href="title.xhtml">{titlepage}</a></li>\n'
        f'<li><a epub:type="toc" href="nav.xhtml#toc">{contents}</a></li>\n'
        f'<li><a epub:type="bodymatter" href="text.xhtml">{start}</a></li>\n'
        "</ol>\n</nav>\n"
    )
    return _xhtml(book, contents, body, ' epub:type="frontmatter"')
