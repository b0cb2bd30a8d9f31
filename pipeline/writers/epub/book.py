"""The book being made: the state of one render and what its parts share.

:class:`_Book` holds the options, the language (and the family that picks its label and font
tables), the metadata with blank fields dropped, and this edition's text treatment: characters
XML cannot hold are replaced (and reported), quotes become corner brackets in CJK when wanted
(always in the vertical edition) and short digit runs stand upright in vertical text. Here too:
the localised labels, the book's identifier, dates (``dc:date`` and as printed), the table of
contents that ``nav.xhtml`` and the NCX share, and :class:`_Asset`, one file of the package.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, replace

from pipeline.model import META_TEXT_FIELDS, Document
from pipeline.writers import RenderOptions, escape

_UNTITLED = "—"

# Characters XML 1.0 cannot hold at all; they are replaced (and reported) rather than dropped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# 1-2 digit runs not part of a longer number, word or decimal: set upright in vertical text.
_SHORT_DIGITS = re.compile(r"(?<![0-9A-Za-z.,:/-])[0-9]{1,2}(?![0-9A-Za-z]|[.,:/-][0-9])")


_LABELS = {
    # lang family -> (contents, cover, title page, start of text, landmarks, colophon)
    "zh-Hant": ("目錄", "封面", "書名頁", "正文", "導覽", "版權與字型"),
    "zh-Hans": ("目录", "封面", "书名页", "正文", "导览", "版权与字体"),
    "ja": ("目次", "表紙", "扉", "本文", "ランドマーク", "奥付"),
    "ko": ("목차", "표지", "속표지", "본문", "랜드마크", "판권"),
    "en": ("Contents", "Cover", "Title page", "Start of text", "Landmarks", "Colophon"),
}


def _lang_family(lang: str) -> str:
    """Which label/font table a BCP 47 tag uses: the grouping of :mod:`pipeline.fonts`, Latin as en."""
    from pipeline.fonts import language_group

    group = language_group(lang)
    return "en" if group == "latin" else group


def _corner_quotes(text: str) -> str:
    """Curly quotes to corner brackets (“”→「」, ‘’→『』); an unpaired ’ stays (an apostrophe)."""
    opening = {"“": "「", "‘": "『"}
    closing = {"”": ("“", "」"), "’": ("‘", "』")}
    depth = dict.fromkeys(opening, 0)
    out: list[str] = []
    for ch in text:
        if ch in opening:
            depth[ch] += 1
            out.append(opening[ch])
        elif ch in closing and depth[closing[ch][0]]:
            depth[closing[ch][0]] -= 1
            out.append(closing[ch][1])
        else:
            out.append(ch)
    return "".join(out)


def _normalise_date(value: str | None) -> str | None:
    """A W3CDTF date for dc:date from the usual ways articles write one; None when unsure (a
    malformed dc:date is an EPUBCheck warning, so an odd date stays on the title page only)."""
    if not value:
        return None
    value = value.strip()
    value = re.sub(r"^(\d{4}-\d{2}-\d{2}) (?=\d)", r"\1T", value)  # the schema allows a space
    value = re.sub(r"(T\d{2}:\d{2}(?::\d{2})?[+-]\d{2})(\d{2})$", r"\1:\2", value)  # and +0800
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?)?)?",
                     value)
    if m:
        year, month, day, time = int(m[1]), int(m[2] or 1), int(m[3] or 1), m[4] or ""
        if time and not (int(time[1:3]) < 24 and int(time[4:6]) < 60
                         and (len(time) < 9 or time[6] != ":" or int(time[7:9]) < 60)):
            return None
    else:
        m = re.fullmatch(r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?", value)
        if not m:
            return None
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        value = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        dt.date(year, month, day)
    except ValueError:
        return None
    return value


def book_identifier(document: Document) -> str:
    """The configured identifier, else a UUID derived from source, title and date (never the body,
    so fixing a typo keeps the book's identity; never random, so rebuilds keep it too)."""
    meta = document.meta
    if meta.identifier and meta.identifier.strip():
        return meta.identifier.strip()
    key = "\n".join([meta.source or "", meta.title, meta.date or ""])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'publish:' + key)}"


@dataclass
class _Asset:
    """One file of the package besides the fixed ones."""

    href: str  # relative to the OPF
    media_type: str
    data: bytes
    id: str


class _Book:
    """The state of one render: options, language and text treatment for this edition."""

    def __init__(self, document: Document, options: RenderOptions):
        self.document = document
        self.options = options
        # Blank fields would make empty dc: elements, <title> or nav entries (all invalid): a blank
        # title becomes a dash, other blank fields count as absent.
        meta = document.meta
        blank = {name: None for name in META_TEXT_FIELDS
                 if getattr(meta, name) is not None and not getattr(meta, name).strip()}
        self.meta = replace(meta, **blank, title=meta.title if meta.title.strip() else _UNTITLED,
                            credits=tuple(c for c in meta.credits if c.strip()),
                            keywords=tuple(k for k in meta.keywords if k.strip()))
        self.lang = document.meta.lang or "und"
        self.family = _lang_family(self.lang)
        settings = options.settings
        self.vertical = settings.writing_mode == "vertical-rl"
        cjk = self.family != "en"
        self.corner = cjk and (self.vertical or settings.quotes == "corner")
        self._reported: set[str] = set()
        self.labels = _LABELS[self.family]
        self.headings: list[tuple[str, int, str]] = []  # (id, level, text)

    # -- text -------------------------------------------------------------------------------------
    def text(self, value: str) -> str:
        """Plain text for this edition: XML-safe characters, corner quotes when wanted."""
        if "\r" in value:  # XML parsers turn CR into LF anyway; say so in the markup
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if _XML_INVALID.search(value):
            for ch in sorted(set(_XML_INVALID.findall(value))):
                if ch not in self._reported:
                    self._reported.add(ch)
                    self.options.warning(
                        f"epub: U+{ord(ch):04X} cannot appear in XML; replaced by U+FFFD")
            value = _XML_INVALID.sub("\ufffd", value)
        return _corner_quotes(value) if self.corner else value

    def plain(self, value: str) -> str:
        """Escaped text without inline markup (metadata, nav, titles)."""
        return escape(self.text(value))

    def inline(self, value: str) -> str:
        """Escaped text for the body; short digit runs become upright in vertical text."""
        value = escape(self.text(value))
        if self.vertical:
            value = _SHORT_DIGITS.sub(lambda m: f'<span class="tcy">{m[0]}</span>', value)
        return value


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def _display_date(book: _Book, value: str) -> str:
    """The date as readers of this language write it (2020年3月26日 / 26 March 2020); the text
    as given when it is not an ISO date."""
    iso = _normalise_date(value)
    if not iso or len(iso) < 10:
        return value
    day = dt.date.fromisoformat(iso[:10])
    if book.family == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"  # not strftime: locale-free
    return f"{day.year}年{day.month}月{day.day}日"


def _toc_tree(book: _Book) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The table of contents: the title, then level-1 headings with their level-2 children."""
    tree: list[tuple[str, str, list[tuple[str, str]]]] = [("text.xhtml#title", book.meta.title, [])]
    for ident, level, text in book.headings:
        href = f"text.xhtml#{ident}"
        text = text if text.strip() else _UNTITLED
        if level >= 2 and len(tree) > 1:
            tree[-1][2].append((href, text))
        else:
            tree.append((href, text, []))
    return tree
