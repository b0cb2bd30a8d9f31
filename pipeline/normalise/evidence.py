"""The evidence the line classifier weighs: a line's size in its natural unit, whether it is a
real body paragraph or looks like a heading, and the patterns for names, tickers, tags and
truncated teasers. :class:`Evidence` is the base of :class:`~pipeline.normalise.structure.Classifier`;
the passes in :mod:`.regions` and :mod:`.flow` ask it their questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.normalise import meta as metamod
from pipeline.normalise.units import Unit, terminated

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN = re.compile(r"[A-Za-z]")
_CAP = r"(?:[A-Z][a-z'’-]+|[A-Z][A-Z'’-]+|[A-Z]\.)"
_NAME_LINE = re.compile(
    rf"^(?:[Bb][Yy]\s+)?({_CAP}(?:\s+(?:{_CAP}|van|von|de|al|bin)){{1,3}}(?:\s*(?:,|and|&)\s*{_CAP}(?:\s+{_CAP}){{1,3}})*)"
    r"(?:\s+(?:in|at)\s+[A-Z][\w .'-]{1,30}|,?\s+[\w ]{0,30}(?:correspondent|editor|reporter|writer|"
    r"journalist|columnist))?$")
_NOT_A_NAME = re.compile(r"\b(?:News|Live|Updates?|Opinion|Analysis|Breaking|Video|World|Politics|Business|"
                         r"Sports?|Technology|Science|Health|Culture|Home|Menu|Section|Edition|Report|Review)\b")
_TICKER_TIME = re.compile(r"(?:^|\s)\d{1,2}:\d{2}$")
_TAG_SEP = re.compile(r"\s*[﹒·・•|｜]\s*")
_TAG_PREFIX = re.compile(r"^(?:文章|相關|相关)?(?:tags?|topics?|keywords?|標籤|标签|關鍵字|关键字|"
                         r"關鍵詞|关键词|相關標籤|相关标签)(?:\s*[:：]\s*|\s+)", re.I)
#: a single "…" or "..." at the end (not the author's "……"): the site cut a teaser short
_TRUNCATED = re.compile(r"(?<![…])…\s*$|(?<!\.)\.\.\.\s*$")
_SENT_END = re.compile(r"[。！？!?]|\.(?=\s|$)")
#: the longest line, in characters, that may be display type (a title, deck or heading), for
#: Chinese and for other lines: a longer one is text whatever its punctuation (a scraped page
#: that lost its line breaks is one line of 100,000 characters, not a headline)
DISPLAY_CHARS = (150, 300)



@dataclass
class Analysis:
    """What the classifier found, for the document builder."""

    units: list[Unit]
    zh: bool
    title: Unit | None = None
    bylines: list[tuple[Unit, metamod.Byline]] = field(default_factory=list)
    credits: list[tuple[Unit, str, str | None]] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)


def _zhline(text: str, zh: bool) -> bool:
    """Judge this line by Chinese measures (a Chinese document, and not mostly Latin letters)."""
    return zh and len(_HAN.findall(text)) >= len(_LATIN.findall(text))


def _size(u: Unit, zh: bool) -> int:
    """Length in the line's natural unit: characters for Chinese, words for English."""
    if _zhline(u.text, zh):
        return len(re.sub(r"\s", "", u.text))
    return len(u.text.split())


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


class Evidence:
    """The units, the analysis being built, and the questions every pass asks of a unit."""

    def __init__(self, units: list[Unit], zh: bool):
        self.a = Analysis(units=units, zh=zh)
        self.u = units
        self.zh = zh

    def size(self, u: Unit) -> int:
        return _size(u, self.zh)

    def zhline(self, u: Unit) -> bool:
        return _zhline(u.text, self.zh)

    def display_sized(self, u: Unit) -> bool:
        """Short enough to be a title, deck or heading (:data:`DISPLAY_CHARS`)."""
        n = len(u.text)
        return n <= DISPLAY_CHARS[0] or (n <= DISPLAY_CHARS[1] and not self.zhline(u))

    def strong(self, u: Unit) -> bool:
        """A real body paragraph: ends a sentence and is long."""
        if u.kind not in ("", "P") or not terminated(u.text) or u.text.endswith((":", "：")):
            return False
        if _TRUNCATED.search(u.text):  # a teaser cut off by the site ("…是否為「托市…"), not a paragraph
            return False
        return self.size(u) >= (25 if self.zhline(u) else 10)

    def heading_like(self, u: Unit) -> bool:
        """Short, no final punctuation (or an English question): a heading candidate."""
        if not self.display_sized(u):
            return False
        if u.kind == "P" and not self.zhline(u) and u.text.endswith("?") and self.size(u) <= 8 \
                and len(_SENT_END.findall(u.text)) == 1 and u.text[:1].isupper():
            return True
        if u.kind != "U":
            return False
        t = u.text
        if t[-1] in ",，、;；" or (not self.zhline(u) and t[:1].islower()):
            return False
        if self.zhline(u):
            return self.size(u) <= 30
        return self.size(u) <= 10 and len(t) <= 80

    def question_sub(self, u: Unit) -> bool:
        """A short one-sentence question/exclamation: a sub-deck when it follows a heading."""
        if u.kind != "P" or not re.search(r"[？?！!]$", u.text.rstrip("”」’』\"'")):
            return False
        if len(_SENT_END.findall(u.text)) > 1 or not self.display_sized(u):
            return False
        return self.size(u) <= (30 if self.zhline(u) else 12)
