"""Features of a page's lines for the line-role model: shallow, markup-free, with context.

Each non-blank line becomes a list of string features (hashed into the model's weight table at
training and at run time alike): its length in its natural unit, script mix, final punctuation,
digits and date shape, separators, the furniture lexicons' verdict, repetition, its position on the
page and relative to the densest run of prose (the article's body is one run of long,
sentence-ending lines; furniture sits before and after it), the same facts of its neighbours, and
what the rules decided for it (the model arbitrates the rules, it does not start from nothing).

Plain Python and the standard library only: features for a 200-line page take a few milliseconds.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.model import Caption, Document, Heading, ListBlock, Paragraph, Quote
from pipeline.normalise import lexicon
from pipeline.normalise.evidence import _HAN
from pipeline.normalise.evidence import _SENT_END as _SENT

#: the patterns a line's features look for
_RE = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
    "digit": re.compile(r"\d"),
    "date": re.compile(r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}|\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|"
        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\b", re.I),
    "time": re.compile(r"\b\d{1,2}:\d{2}\b"),
    "seps": re.compile(r"[|｜»›>·•・]"),
    "bullet": re.compile(r"^(?:[•●○■□◆◇▪▫‣⁃∙◦·\-\*–—]\s*|\(?\d{1,2}[.)、]\s*|[（(]\d{1,2}[）)]\s*)"),
}
_TERMINALS = {
    **dict.fromkeys("。！？!?.", "stop"), "…": "ellipsis", **dict.fromkeys("：:", "colon"),
    **dict.fromkeys("，,、", "comma"), **dict.fromkeys("；;", "semi"), **dict.fromkeys(")）", "paren"),
    **dict.fromkeys("」”\"』’", "quote"), **dict.fromkeys("]】", "bracket"), **dict.fromkeys("|｜>»", "sep"),
}
_CLOSERS = "”’」』）)】]\"'》〉"


def _bucket(n: float, edges: tuple[float, ...]) -> int:
    for i, edge in enumerate(edges):
        if n < edge:
            return i
    return len(edges)


class _Line:
    """The facts of one line that its own features and its neighbours' use."""

    __slots__ = ("text", "zh", "size", "size_b", "end", "prose", "furniture", "sents", "short")

    def __init__(self, text: str):
        self.text = text
        han = len(_HAN.findall(text))
        latin = len(_RE["latin"].findall(text))
        self.zh = han >= latin and han > 0
        self.size = len(re.sub(r"\s", "", text)) if self.zh else len(text.split())
        self.size_b = _bucket(self.size, (2, 3, 5, 8, 12, 20, 35, 60, 100, 200) if self.zh
                              else (2, 3, 4, 6, 9, 14, 22, 35, 60, 120))
        stripped = text.rstrip(_CLOSERS + " ") or text
        self.end = _TERMINALS.get(stripped[-1:], "other") if stripped else "none"
        self.sents = len(_SENT.findall(text))
        self.furniture = lexicon.furniture(text)
        long_enough = self.size >= (25 if self.zh else 12)
        self.prose = long_enough and self.end in ("stop", "quote", "ellipsis")
        self.short = self.size <= (12 if self.zh else 6)


def _main_run(lines: list[_Line]) -> tuple[int, int]:
    """The span (first, last) with the most prose: +1 a prose line, -0.4 any other (a maximum
    subarray); the article body on a scraped page."""
    best, best_span = 0.0, (0, -1)
    total, start = 0.0, 0
    for i, line in enumerate(lines):
        total += 1.0 if line.prose else -0.4
        if total <= 0:
            total, start = 0.0, i + 1
        elif total > best:
            best, best_span = total, (start, i)
    return best_span


def sparse_page(rows: list[list[str]]) -> bool:
    """Whether a page's features say it is mostly furniture (under a quarter of its lines prose); a
    text of a few lines is no web page, whatever its shape."""
    if len(rows) < 10:
        return False
    shape = next((name for name in rows[0] if name.startswith("page")), "")
    return shape[:5] in ("page0", "page1")


def rule_roles(document: Document, count: int) -> list[str]:
    """What the rules decided for each physical line (1-based in the document, 0-based here)."""
    roles = ["none"] * count

    def put(lines: tuple[int, ...], role: str) -> None:
        for n in lines:
            if 1 <= n <= count and roles[n - 1] == "none":
                roles[n - 1] = role

    for block in document.blocks:
        if isinstance(block, Heading):
            put(block.lines, f"heading{block.level}")
        elif isinstance(block, Paragraph):
            put(block.lines, f"paragraph-{block.role or 'body'}")
        elif isinstance(block, (ListBlock, Caption, Quote)):
            put(block.lines, block.type)
    meta_lines = document.meta.lines
    put(meta_lines.get("title", ()), "title")
    for key in ("byline", "date", "author", "source", "credits", "editor", "subtitle"):
        put(meta_lines.get(key, ()), f"meta-{key}")
    for dropped in document.dropped:
        put((dropped.line,), f"drop-{dropped.reason}")
    return roles


def features(texts: list[str], roles: list[str] | None = None) -> list[list[str]]:
    """The features of each line of ``texts`` (non-blank lines; ``roles``: the rules' decisions)."""
    lines = [_Line(t) for t in texts]
    n = len(lines)
    counts = Counter(t.strip() for t in texts)
    first, last = _main_run(lines)
    prose_at = [i for i, line in enumerate(lines) if line.prose]
    # the page's shape: a scraper's text of one article is mostly prose, a whole web page mostly not
    page = f"page{_bucket(len(prose_at) / max(1, n), (0.1, 0.25, 0.5))}"
    out = []
    for i, line in enumerate(lines):
        script = "zh" if line.zh else "la"
        f = ["bias", f"size={script}{line.size_b}", f"end={line.end}", f"end-size={line.end}{line.size_b}",
             f"sents={min(line.sents, 4)}", f"prose={line.prose}"]
        digits = len(_RE["digit"].findall(line.text))
        f.append(f"digits={_bucket(digits / max(1, len(line.text)), (0.01, 0.1, 0.3, 0.6))}")
        if _RE["date"].search(line.text):
            f.append("date")
        if _RE["time"].search(line.text):
            f.append("time")
        seps = len(_RE["seps"].findall(line.text))
        if seps:
            f.append(f"seps={min(seps, 3)}")
        if line.furniture:
            f.append(f"furniture={line.furniture}")
        if lexicon.breadcrumb(line.text):
            f.append("breadcrumb")
        if _RE["bullet"].match(line.text):
            f.append("bullet")
        if "©" in line.text or "copyright" in line.text.lower() or "版權" in line.text or "版权" in line.text:
            f.append("copyright")
        if counts[line.text.strip()] > 1:
            f.append("repeated")
        f.append(f"pos={_bucket(i / max(1, n), (0.1, 0.25, 0.5, 0.75, 0.9))}")
        # where it stands relative to the body
        if first <= i <= last:
            where = "in"
        elif i < first:
            where = f"before{_bucket(first - i, (2, 4, 8, 16, 40))}"
        else:
            where = f"after{_bucket(i - last, (2, 4, 8, 16, 40))}"
        f += [f"run={where}", f"run-size={where}{line.size_b}", f"run-end={where}{line.end}",
              f"{page}:run={where[:2]}", f"{page}:prose={line.prose}"]
        near = sum(1 for j in prose_at if abs(j - i) <= 3 and j != i)
        f.append(f"near-prose={min(near, 4)}")
        for off in (-2, -1, 1, 2):
            j = i + off
            if 0 <= j < n:
                other = lines[j]
                f += [f"{off}:size={other.size_b}", f"{off}:end={other.end}", f"{off}:prose={other.prose}"]
                if other.furniture:
                    f.append(f"{off}:furniture")
                if other.short and line.short:
                    f.append(f"{off}:short-pair")
            else:
                f.append(f"{off}:edge")
        if roles is not None:
            role = roles[i]
            f += [f"rule={role}", f"rule-run={role}{where[:2]}", f"rule-size={role}{line.size_b}",
                  f"{page}:rule={role}"]
            for off in (-1, 1):
                j = i + off
                f.append(f"{off}:rule={roles[j] if 0 <= j < n else 'edge'}")
        out.append(f)
    return out
