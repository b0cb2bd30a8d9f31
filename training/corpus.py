"""Labelled pages for the line-role model: HTML as a scraper saves it as text, each line labelled.

Two steps, both deterministic:

* :func:`page_lines` turns an HTML page into the text a scraper saves: one line per block element
  (paragraphs, headings, list items, table cells, divs that hold text directly), ``<br>`` breaking a
  line, every *visible* block kept (navigation, lists, footers included), scripts, styles and
  hidden elements left out.
* :func:`label_lines` labels each line from a reference extraction of the article (a hand-cleaned
  text): ``T`` the title, ``A`` a line of the article, ``B`` boilerplate. References are aligned in
  reading order, so a teaser repeating the article's first sentence in a "related" list further
  down, or the headline in a breadcrumb, stays boilerplate.

What a plain reference text can supply is article vs boilerplate, and the title when the reference
starts with it; finer roles (byline, caption, heading, list) need other sources or hand labels.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

#: elements whose start and end break a line
BLOCKS = frozenset("""
address article aside blockquote body caption center dd details dialog dir div dl dt fieldset
figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html legend li main menu nav noframes ol
option p pre section summary table tbody td tfoot th thead tr ul iframe select textarea title
""".split())
#: elements whose text a reader never sees
INVISIBLE = frozenset("script style noscript template head object embed svg math map applet".split())

_SPACE = re.compile(r"\s+")


def decode(data: bytes) -> str:
    """The page's text: the charset its markup declares, else UTF-8, else the detector's guess."""
    head = data[:4096].decode("ascii", "replace")
    declared = re.search(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", head, re.I)
    names = []
    if declared:
        name = declared.group(1).lower()
        # the web's labels: these encodings are read as their supersets by every browser
        names.append({"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs",
                      "x-gbk": "gb18030"}.get(name, name))
    names.append("utf-8")
    for name in names:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("utf-8", "replace")


def page_lines(markup: str) -> list[str]:
    """The visible text of a page, one line per block, in document order."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return []
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = _SPACE.sub(" ", "".join(current)).strip()
        current.clear()
        if text:
            lines.append(text)

    def hidden(el) -> bool:
        style = (el.get("style") or "").replace(" ", "").lower()
        return el.get("hidden") is not None or "display:none" in style or "visibility:hidden" in style

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if not tag or tag in INVISIBLE or hidden(el):
            if el.tail:
                current.append(el.tail)
            return
        block = tag in BLOCKS
        if block:
            flush()
        if tag == "br":
            flush()
        if tag == "img" and el.get("alt") is None:
            pass
        if el.text:
            current.append(el.text)
        for child in el:
            walk(child)
        if block:
            flush()
        if el.tail:
            current.append(el.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    flush()
    return [unicodedata.normalize("NFC", html.unescape(line)) for line in lines]


def reference_paragraphs(markup: str) -> list[str]:
    """The paragraphs of a reference extraction (``<p>…</p>`` per paragraph, or plain lines)."""
    parts = re.split(r"(?i)</?p[^>]*>|<br\s*/?>|\n", markup)
    out = []
    for part in parts:
        text = _SPACE.sub(" ", html.unescape(re.sub(r"<[^>]+>", " ", part))).strip()
        if text:
            out.append(unicodedata.normalize("NFC", text))
    return out


def key(text: str) -> str:
    """What two renderings of the same text share: letters and digits only, case-folded, NFKC."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


@dataclass
class Labelled:
    lines: list[str]
    labels: str  # one of T, A, B per line
    matched: float  # share of the reference's characters found in the page, in order


def label_lines(lines: list[str], reference: list[str], min_chars: int = 4) -> Labelled:
    """Label ``lines`` from the reference, in order (see the module docstring)."""
    keys = [key(line) for line in lines]
    labels = ["B"] * len(lines)
    if not reference:
        return Labelled(lines, "".join(labels), 0.0)
    title_key = key(reference[0])
    body = [key(p) for p in reference[1:] if key(p)]
    ref = "".join(body)
    found = 0
    pos = 0
    first_body_line = None
    for i, k in enumerate(keys):
        if not k:
            continue
        # a line of the article: found in the rest of the reference, in order; a short line must
        # be a whole paragraph (a lone "新聞" or "Share" occurs in any text by chance)
        at = ref.find(k, pos)
        whole = any(k == p for p in body)
        bounded = len(k) >= min_chars and _at_boundary(ref, at, k, body)
        if at >= 0 and (len(k) >= min_chars * 3 or whole or bounded):
            # a teaser far down the page repeats an early sentence: the reference moves forward only
            labels[i] = "A"
            found += len(k)
            pos = at + len(k)
            if first_body_line is None:
                first_body_line = i
            continue
        # a line that holds a paragraph plus a little more (a dateline glued to the first paragraph)
        inner = next((p for p in body if len(p) >= 12 and p in k and len(p) >= 0.7 * len(k)), None)
        if inner is not None and ref.find(inner, pos) >= 0:
            labels[i] = "A"
            at = ref.find(inner, pos)
            found += len(inner)
            pos = at + len(inner)
            if first_body_line is None:
                first_body_line = i
    # the title: the occurrence of the reference's first paragraph nearest before the body
    if title_key:
        limit = first_body_line if first_body_line is not None else len(lines)
        candidates = [i for i in range(limit) if keys[i] == title_key]
        if not candidates:  # "Headline | Section | Site" in a line of its own, or a longer h1
            candidates = [i for i in range(limit) if keys[i] and title_key in keys[i]
                          and len(title_key) >= 0.6 * len(keys[i])]
        if candidates:
            labels[candidates[-1]] = "T"
    total = sum(len(p) for p in body) or 1
    return Labelled(lines, "".join(labels), min(1.0, found / total))


def _at_boundary(ref: str, at: int, k: str, body: list[str]) -> bool:
    """Whether a short key found in the reference starts or ends one of its paragraphs."""
    return any(p.startswith(k) or p.endswith(k) for p in body if len(p) < 4 * len(k))
