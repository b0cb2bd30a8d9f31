"""Typographic punctuation for Latin-script prose, as pandoc's ``smart`` extension and Typst set it.

Why: scraped articles were typed on keyboards, so quotations arrive as ``"`` and ``'``, dashes as
``--`` and ellipses as ``...``; every edition printed them so (the English corpus article's PDF had
47 straight quotes where Typst prints none). Doing it once here, per block, makes the YAML and all
editions agree, and each change is listed by ``publish normalize --explain``. Chinese text keeps its
own repair (:mod:`.punctuation`); ``latin-punctuation = "keep"`` keeps the source's characters.

Rules, for one block's text (a quotation open at a block's end is not carried to the next block):

* Quotes decide with a stack of open quotations, as Typst does, plus pandoc's one character of
  look-ahead: after the start, a space, an opening bracket, a dash or an opening quote a quote opens
  (unless its kind is open and nothing word-like follows: then it closes); elsewhere it closes the
  innermost open quotation of its kind, or opens one if a word follows at once (``said,"I``).
* Primes: right after a digit, with no quotation of its kind open, ``'`` and ``"`` are the primes
  ′ ″ (``5'10"``, ``12" pizza``), as Typst does; pandoc leaves them as typed, but an edition should
  show no straight quote. ``1990's`` keeps an apostrophe.
* Apostrophes ’: ``'`` between letters (don't, o'clock, rock'n'roll), after a letter with no single
  quotation open (the Joneses' house), before a decade (``'90s``, ``'92``) and in ``'n'``, ``'tis``,
  ``'twas``, ``'em``.
* Dashes as pandoc: ``--`` en dash –, ``---`` em dash —; not in runs of four or more (rules), not
  touching ``<``, ``!`` or ``>`` (``<!--``, ``-->``, ``<--``), not a command-line flag (``--help``:
  after a space or the start, before a lower-case letter). A single hyphen is never changed.
* Ellipsis …: exactly three dots, not touching a slash or backslash (``.../x``).
* Languages: English style “ ” ‘ ’ for en and any other Latin language; French « » with U+202F
  NARROW NO-BREAK SPACE inside (Typst's choice and the Imprimerie nationale's fine space; a space
  typed inside the quote becomes it) and “ ” within; German „ “ ‚ ‘; Swiss German « » ‹ ›.
* Never touched: URLs, e-mail addresses, HTML entities, tags and comments, ```code```, code-like
  runs (``a=b``, ``f('x')``, ``/usr/bin``, ``C:\\x``, ``a::b``, ``a->b``), and a mark whose nearest non-space
  neighbour is Chinese or Japanese; when one quote of a pair is left so, its partner is too.
* Typographic characters are never changed, so smartening twice is smartening once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.normalise.punctuation import HAN, Repairs

__all__ = ["ENGLISH", "FRENCH", "GERMAN", "Style", "guess_language", "smarten", "style_for"]


@dataclass(frozen=True)
class Style:
    """Opening and closing marks of a language's outer (double) and inner (single) quotations."""

    double: tuple[str, str]
    single: tuple[str, str]


ENGLISH = Style(("“", "”"), ("‘", "’"))
FRENCH = Style(("«\u202f", "\u202f»"), ("“", "”"))
GERMAN = Style(("„", "“"), ("‚", "‘"))
SWISS = Style(("«", "»"), ("‹", "›"))

#: Chinese and Japanese characters, CJK punctuation and full-width forms
_CJK = re.compile(f"[{HAN}\u3040-\u30ff\u3000-\u303f\uff00-\uffef]")
_CANDIDATE = re.compile(r"[\"']|--|\.\.\.")
#: URLs (trailing punctuation left out), e-mail, HTML entities, comments and tags, `code`
_PROTECT = re.compile(
    r"(?:(?:https?|ftp)://|www\.)[^\s\"<>]*[^\s\"<>.,;:!?)\]'’”]"
    r"|\w[\w.+'-]*@[\w-]+(?:\.[\w-]+)+"
    r"|&(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});"
    r"|<!--.*?-->|<!--|-->"
    r"|</?[A-Za-z][^<>]{0,200}>"
    r"|`[^`]*`")
#: a whitespace-free run is code-like when it holds one of these
_CODE = re.compile(r"\w=|=\w|\\|::|->|=>|\w\(|[{}]|^(?:\.{1,2}|~)?/\w|^[A-Za-z]:/|^\$\w")
_LEAD = "\"'“‘„‚«‹([{"
_TRAIL = ".,;:!?)]}»›”’“‘\"'"
#: words that begin with an elided letter or number: 'n', 'tis, '90s
_ELISION = re.compile(r"'(?:\d\ds?|n'|tis|twas|twere|em)(?![^\W_])", re.I)
_OPENING = set(" ([{<-–—/“‘„‚«‹\u00a0\u202f")
_SPACES = " \u00a0\u202f"
_STOPWORDS = {
    "en": frozenset("the and of to in is that for it with was on as by he be at are this have from".split()),
    "fr": frozenset("le la les des est et une dans pour qui que pas sur avec du au ce il elle nous "
                    "vous sont aux ces".split()),
    "de": frozenset("der die das und ist nicht mit von den dem ein eine zu auf für sich auch es im "
                    "wird sind".split()),
}


def style_for(lang: str) -> Style:
    """The quotation marks of a BCP 47 tag; English style for any language not listed."""
    parts = lang.lower().replace("_", "-").split("-")
    if parts[0] == "fr":
        return FRENCH
    if parts[0] == "de":
        return SWISS if {"ch", "li"} & set(parts[1:]) else GERMAN
    return ENGLISH


def guess_language(text: str) -> str:
    """``fr`` or ``de`` when their common words clearly outnumber the others' (20 at least, three
    times any other language's), else ``en``: only the quotation style hangs on it."""
    counts = dict.fromkeys(_STOPWORDS, 0)
    for word in re.findall(r"[^\W\d_]+", text.lower()):
        for lang, words in _STOPWORDS.items():
            counts[lang] += word in words
    best = max(counts, key=lambda k: counts[k])
    others = max(n for k, n in counts.items() if k != best)
    return best if best != "en" and counts[best] >= 20 and counts[best] >= 3 * others else "en"


def _protected(text: str) -> list[bool]:
    keep = [False] * len(text)
    for m in _PROTECT.finditer(text):
        keep[m.start():m.end()] = [True] * (m.end() - m.start())
    for m in re.finditer(r"\S+", text):
        start, end = m.span()
        while start < end and text[start] in _LEAD:
            start += 1
        while end > start and text[end - 1] in _TRAIL:
            # a straight quote closes the run only if the run holds its partner (``x="a"`` stays)
            if text[end - 1] in "\"'" and text.count(text[end - 1], start, end - 1) % 2:
                break
            end -= 1
        if _CODE.search(text[start:end]):
            keep[start:end] = [True] * (end - start)
    return keep


@dataclass
class _Open:
    double: bool
    change: int | None  # index of its change in _Smartener.changes; None: typographic already, or left
    straight: bool = False  # left as typed (next to Chinese): its partner stays straight too


class _Smartener:
    def __init__(self, text: str, style: Style) -> None:
        self.text, self.style, self.n = text, style, len(text)
        self.keep = _protected(text)
        self.curly = {m.strip() for m in (*style.double, *style.single)}
        self.stack: list[_Open] = []
        #: [start, end, replacement, rule, active]
        self.changes: list[list] = []

    def run(self) -> str:
        text, i = self.text, 0
        while i < self.n:
            ch = text[i]
            if self.keep[i]:
                i += 1
            elif ch in "\"'":
                self.quote(i, ch == '"')
                i += 1
            elif ch == "-" or ch == ".":
                i = self.run_of(i, ch)
            else:
                if ch in self.curly:
                    self.track(i, ch)
                i += 1
        out, last = [], 0
        for start, end, new, _, active in sorted(self.changes, key=lambda c: c[0]):
            if active and start >= last:
                out.append(text[last:start] + new)
                last = end
        return "".join(out) + text[last:]

    def change(self, start: int, end: int, new: str, rule: str) -> int:
        self.changes.append([start, end, new, rule, True])
        return len(self.changes) - 1

    def near_cjk(self, start: int, end: int) -> bool:
        i, j = start - 1, end
        while i >= 0 and self.text[i] in _SPACES:
            i -= 1
        while j < self.n and self.text[j] in _SPACES:
            j += 1
        return (i >= 0 and bool(_CJK.match(self.text[i]))) or (j < self.n and bool(_CJK.match(self.text[j])))

    def is_open(self, double: bool) -> bool:
        return any(o.double == double for o in self.stack)

    def close(self, double: bool) -> _Open | None:
        """Pop the innermost open quotation of this kind (and any left open inside it)."""
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k].double == double:
                found = self.stack[k]
                del self.stack[k:]
                return found
        return None

    def track(self, i: int, ch: str) -> None:
        """Typographic quotes already in the text open and close quotations too."""
        for double, (o, c) in ((True, self.style.double), (False, self.style.single)):
            if ch == o.strip():
                self.stack.append(_Open(double, None))
            elif ch == c.strip() and self.is_open(double):
                nxt = self.text[i + 1] if i + 1 < self.n else " "
                if double or not nxt.isalnum():
                    self.close(double)

    def role(self, i: int, double: bool) -> str:
        """open, close, apostrophe or prime for the straight quote at ``i``."""
        text = self.text
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < self.n else " "
        is_open = self.is_open(double)
        if not double and prev.isalpha() and nxt.isalpha():
            return "apostrophe"
        if prev.isdigit() and not is_open:
            if not double and nxt in "sS" and not text[i + 2: i + 3].isalpha():
                return "apostrophe"
            return "prime"
        if prev.isspace() or prev in _OPENING or not prev.isprintable():
            if not double and _ELISION.match(text, i):
                return "apostrophe"
            if is_open and (nxt.isspace() or nxt in ".,;:!?)]}…"):
                return "close"
            if double or not (nxt.isspace() or nxt in ")]},.;:!?-"):
                return "open"
            return "apostrophe"
        if is_open:
            return "close"
        if double:
            return "open" if nxt.isalnum() else "close"
        return "apostrophe"

    def quote(self, i: int, double: bool) -> None:
        role = self.role(i, double)
        left = self.near_cjk(i, i + 1)
        if role == "open":
            new = self.style.double[0] if double else self.style.single[0]
            ref = None if left else self.change(i, i + 1, new, "smart-quotes")
            if ref is not None and new.endswith("\u202f") and i + 1 < self.n and self.text[i + 1] in _SPACES:
                self.changes[ref][1] = i + 2  # French: the typed space becomes the narrow one
            self.stack.append(_Open(double, ref, straight=left))
            return
        if role == "close":
            opened = self.close(double)
            if opened is not None and (left or opened.straight):
                if opened.change is not None:  # one of a pair left straight: its partner stays too
                    self.changes[opened.change][4] = False
                return
            new = self.style.double[1] if double else self.style.single[1]
            start = i
            if new.startswith("\u202f") and i and self.text[i - 1] in _SPACES \
                    and all(c[1] < i for c in self.changes[-1:]):  # not the space an opening took
                start = i - 1
            if not left:
                self.change(start, i + 1, new, "smart-quotes")
            return
        if not left:
            new = "’" if role == "apostrophe" else ("″" if double else "′")
            self.change(i, i + 1, new, f"smart-{role}s")

    def run_of(self, i: int, ch: str) -> int:
        j = i
        while j < self.n and self.text[j] == ch:
            j += 1
        if any(self.keep[i:j]) or self.near_cjk(i, j):
            return j
        prev = self.text[i - 1] if i else " "
        nxt = self.text[j] if j < self.n else " "
        if ch == "-" and j - i in (2, 3) and prev not in "<!" and nxt != ">":
            last = self.changes[-1] if self.changes else None
            if last is not None and last[1] == i and last[4]:
                prev = last[2][-1]  # what the quote before became: a flag follows an opening one
            flag = j - i == 2 and (prev.isspace() or prev in "([=\"'“‘„‚«‹") and "a" <= nxt <= "z"
            if not flag:
                self.change(i, j, "–" if j - i == 2 else "—", "smart-dashes")
        elif ch == "." and j - i == 3 and prev not in "/\\" and nxt not in "/\\":
            self.change(i, j, "…", "smart-ellipsis")
        return j


def smarten(text: str, lang: str, rep: Repairs) -> str:
    """One block's text with typographic quotes, apostrophes, primes, dashes and ellipses for the
    language ``lang`` (a BCP 47 tag); every change is added to ``rep``. Chinese and Japanese
    documents are returned as they are (their punctuation is :mod:`.punctuation`'s)."""
    if not _CANDIDATE.search(text) or lang.lower().startswith(("zh", "ja")):
        return text
    worker = _Smartener(text, style_for(lang))
    out = worker.run()
    for start, end, new, rule, active in worker.changes:
        if active:
            rep.add(f"{text[start:end]!r} → {new!r}", rule, text[max(0, start - 6): end + 6])
    return out
