"""Physical lines to logical units: blank-line blocks, with hard-wrapped lines joined back.

A scrape either puts one paragraph per line (often with blank lines between) or wraps text at a fixed
width. Wrapping is detected from the line-width distribution (many lines ending near one width, none
much longer); only then, or when a line visibly stops mid-sentence, are neighbouring lines joined.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from pipeline.normalise.clean import collapse_spaces

_TERMINAL = "。！？!?.…；;:："
_CLOSERS = "”’」』）)】]\"'》〉"
_BULLET = re.compile(r"^(?:[•●○■□◆◇▪▫‣⁃∙◦·\-\*–—]\s+|\(?\d{1,2}[.)、]\s*|[（(]\d{1,2}[）)]\s*)")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


@dataclass
class Unit:
    """One logical line (a paragraph candidate) and what the classifier decided about it."""

    lines: tuple[int, ...]
    text: str
    indented: bool = False
    kind: str = ""  # drop | meta | title | caption | heading | list | paragraph | P | U (undecided)
    reason: str = ""  # drop reason / meta field
    rule: str = ""  # the rule that decided, for --explain
    level: int = 1
    credit: str | None = None
    role: str | None = None
    runin: str | None = None
    ordered: bool = False
    had_markup: bool = False
    removed: list[str] = field(default_factory=list)  # text cut from the unit (markers, tags)
    source: str = ""  # the unit's text as read, what ``dropped`` records

    def __post_init__(self) -> None:
        self.source = self.source or self.text

    @property
    def line(self) -> int:
        return self.lines[0]

    def decide(self, kind: str, rule: str, reason: str = "") -> None:
        self.kind, self.rule, self.reason = kind, rule, reason


def width(text: str) -> int:
    """Display width (CJK counts 2), the unit that fixed-width wrappers use."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def terminated(text: str) -> bool:
    t = text.rstrip(_CLOSERS + " ")
    return bool(t) and t[-1] in _TERMINAL


def _wrap_width(lines: list[str]) -> int | None:
    """The fixed width a text was hard-wrapped at, or None when it was not wrapped.

    Only lines followed by another non-blank line are measured (a paragraph's last line is short):
    in a wrapped text they cluster just under one width; one-paragraph-per-line text varies widely.
    """
    pairs = zip(lines, lines[1:], strict=False)
    inner = sorted(width(t.strip()) for t, nxt in pairs if t.strip() and nxt.strip())
    if len(inner) < 2:
        return None
    top = inner[int(len(inner) * 0.9)] if len(inner) >= 10 else inner[-1]
    if top < 30 or top > 160 or inner[-1] > top * 1.15:
        return None
    near = sum(1 for w in inner if w >= 0.85 * top)
    if near < 0.6 * len(inner):
        return None
    return top


def _joins(prev: str, nxt: str, wrap: int | None, nxt_indented: bool, has_blanks: bool) -> bool:
    """Whether ``nxt`` continues the sentence of ``prev`` (a hard wrap, not a new paragraph)."""
    if nxt_indented or _BULLET.match(nxt):
        return False
    p = prev.rstrip()
    if not p:
        return False
    if wrap is not None and width(p) >= 0.7 * wrap:
        return not (terminated(p) and not has_blanks)
    if p[-1] in ",，、" or (p[-1] == "-" and len(p) > 1 and p[-2].isalpha()):
        return True
    if not terminated(p) and nxt[:1].islower() and len(p.split()) >= 12:
        return True
    return False


def build(text: str) -> list[Unit]:
    """Group the cleaned text's lines into units; line numbers are 1-based physical lines."""
    raw = text.split("\n")
    wrap = _wrap_width(raw)
    has_blanks = any(not t.strip() for t in raw) and sum(1 for t in raw if t.strip()) > 1
    units: list[Unit] = []
    prev_blank = True
    for number, line in enumerate(raw, start=1):
        if not line.strip():
            prev_blank = True
            continue
        indented = bool(re.match(r"^(?:\u3000|\s{2,})", line))
        body = collapse_spaces(line)
        if not prev_blank and units and _joins(units[-1].text, body, wrap, indented, has_blanks):
            last = units[-1]
            sep = "" if (_CJK.search(last.text[-1:]) or _CJK.match(body)) else " "
            if last.text.endswith("-") and body[:1].isalpha():
                sep = ""
            last.text = last.text + sep + body
            last.source = last.text
            last.lines = last.lines + (number,)
        else:
            units.append(Unit(lines=(number,), text=body, indented=indented))
        prev_blank = False
    return units
