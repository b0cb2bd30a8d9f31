"""Line breaking and justification for mixed Chinese/Latin text, independent of any PDF library.

reportlab's own CJK wrapping lets ``，`` start a line and leaves lines short, so the PDF writer sets
text with this module instead. It works on a string plus one advance width per character and
returns line spans with per-gap adjustments, following clreq (Requirements for Chinese Text
Layout) and JIS X 4051:

* line-start prohibitions (closing punctuation, closing quotes, ``…``) and line-end prohibitions
  (opening brackets and quotes); ``——`` and ``……`` never split;
* Latin words and numbers are unbreakable inside Chinese text; spaces are break points and hang at
  line end; URLs and over-long words may break after ``/`` ``.`` ``-`` etc. or, as a last resort,
  anywhere the prohibitions allow;
* a line that overflows by closing punctuation either pulls it in by tightening the gaps a little
  (oikomi) or pushes the last character out (oidashi), whichever moves the gaps less;
* justification spreads the remainder over the line's gaps: between CJK characters and at
  CJK/Latin boundaries and after spaces, never inside a Latin word or a ``——`` pair. The last line
  of a paragraph, and a line ended by a forced break, stay ragged;
* a paragraph's last line is not left with a single character if the line above can give one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: Characters that must not begin a line (clreq 3.1.7, JIS X 4051 cl-02..cl-07 plus small kana).
LINE_START_PROHIBITED = frozenset(
    "，。、；：？！）」』》〉】〕｝］〙〗〞”’…‥·・ー々〻ゝゞヽヾ－～﹒﹐﹑﹔﹕﹖﹗﹚﹜﹞．％‰℃"
    ",.;:?!)]}%"
    "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
)
#: Characters that must not end a line (opening brackets and quotes, currency prefixes).
LINE_END_PROHIBITED = frozenset("（「『《〈【〔｛［〘〖〝“‘﹙﹛﹝([{$£¥€＄￡￥＃#")
#: Characters that come in unbreakable runs: ``——`` ``……`` ``‥‥``.
INSEPARABLE = frozenset("—―⸺…‥─")
#: Characters that are break points and hang at line end.
SPACES = frozenset(" \t\n\r\u2002\u2003\u2009\u200a")
#: Invisible break opportunities (drawn as nothing).
ZERO_WIDTH = frozenset("\u200b\u00ad")
#: After these a URL or long token may break.
URL_BREAK_AFTER = frozenset("/.-_?&=#~:")

EPS = 1e-6


def is_cjk(ch: str) -> bool:
    """Wide East Asian characters: ideographs, kana, hangul, CJK and full-width punctuation."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF  # radicals, CJK symbols/punctuation, kana, bopomofo, ideographs
        or 0xAC00 <= o <= 0xD7AF  # hangul
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0xFE10 <= o <= 0xFE1F  # vertical forms
        or 0xFE30 <= o <= 0xFE6F  # compatibility and small forms
        or 0xFF00 <= o <= 0xFF60  # full-width forms
        or 0xFFE0 <= o <= 0xFFE6
        or 0x20000 <= o <= 0x3FFFF  # ideograph extensions B..
        or ch in "“”‘’—…·"
    )


#: punctuation Chinese and Latin text share: wide in a paragraph that holds CJK characters, Latin in
#: one that does not (no break after the ’ of “BBC’s”, no justification gap beside a quote or dash)
SHARED_PUNCT = frozenset("“”‘’—…·")


def _latin_wide(ch: str) -> bool:
    return ch not in SHARED_PUNCT and is_cjk(ch)


def wide_test(text: str) -> Callable[[str], bool]:
    """:func:`is_cjk` for a paragraph holding CJK characters; for Latin text, is_cjk without the
    punctuation both scripts use."""
    return is_cjk if any(_latin_wide(c) for c in text) else _latin_wide


def _is_space(ch: str) -> bool:
    return ch in SPACES


def _url_spans(text: str) -> list[tuple[int, int]]:
    """Spans of URL-like tokens (``scheme://`` or ``www.``), which may break after punctuation."""
    spans = []
    for marker in ("://", "www."):
        pos = text.find(marker)
        while pos >= 0:
            a = pos
            while a > 0 and not _is_space(text[a - 1]) and not is_cjk(text[a - 1]):
                a -= 1
            b = pos
            while b < len(text) and not _is_space(text[b]) and not is_cjk(text[b]):
                b += 1
            spans.append((a, b))
            pos = text.find(marker, b)
    return spans


def break_opportunities(text: str) -> list[int]:
    """Break priority before each index: 0 = forbidden, 1 = last resort (inside a long token),
    2 = ordinary (CJK, spaces, URLs, hyphens). Index 0 and len(text) are line edges."""
    n = len(text)
    wide = wide_test(text)
    allowed = [0] * (n + 1)
    allowed[n] = 2
    in_url = [False] * n
    for a, b in _url_spans(text):
        for k in range(a, b):
            in_url[k] = True
    for i in range(1, n):
        a, b = text[i - 1], text[i]
        if _is_space(b):
            continue  # break after the spaces, never before them
        if b in LINE_START_PROHIBITED:
            continue
        if a in ZERO_WIDTH:
            allowed[i] = 2
            continue
        if _is_space(a):
            j = i - 1
            while j > 0 and _is_space(text[j - 1]):
                j -= 1
            if j > 0 and text[j - 1] in LINE_END_PROHIBITED:
                continue
            allowed[i] = 2
            continue
        if a in LINE_END_PROHIBITED:
            continue
        if a in INSEPARABLE and b in INSEPARABLE:
            continue
        if wide(a) or wide(b):
            allowed[i] = 2
        elif in_url[i - 1] and a in URL_BREAK_AFTER and b not in URL_BREAK_AFTER:
            allowed[i] = 2
        elif a == "-" and i >= 2 and text[i - 2].isalpha() and b.isalpha():
            allowed[i] = 2  # after the hyphen of a compound: well-known
        elif a in "—–" and b.isalnum():
            allowed[i] = 2
        else:
            allowed[i] = 1  # inside a word: only for words longer than the line
    return allowed


def _gap_weight(a: str, b: str, wide: Callable[[str], bool] = is_cjk) -> float:
    """How much of a line's justification remainder the gap between a and b takes."""
    if _is_space(a):
        return 1.0
    if _is_space(b) or a in ZERO_WIDTH or b in ZERO_WIDTH:
        return 0.0
    if a in INSEPARABLE and b in INSEPARABLE:
        return 0.0
    if wide(a) or wide(b):
        return 1.0
    return 0.0


@dataclass(frozen=True)
class Line:
    """Characters ``text[start:end]`` (trailing spaces excluded) set on one line.

    ``gaps[k]`` is the extra advance after character ``start + k`` (points; may be negative when
    punctuation was pulled in); ``width`` is the natural width; ``justified`` says whether the
    line was stretched to the full measure.
    """

    start: int
    end: int
    width: float
    gaps: tuple[float, ...]
    justified: bool
    last: bool


def _weights(text: str, start: int, end: int, wide: Callable[[str], bool] = is_cjk) -> list[float]:
    return [_gap_weight(text[k], text[k + 1], wide) for k in range(start, end - 1)]


def _spread(text: str, start: int, end: int, amount: float,
            wide: Callable[[str], bool] = is_cjk) -> tuple[float, ...]:
    """Distribute ``amount`` points over the gaps of text[start:end]."""
    if end - start < 2 or abs(amount) < EPS:
        return tuple([0.0] * max(0, end - start - 1))
    w = _weights(text, start, end, wide)
    total = sum(w)
    if total <= 0:  # one long Latin word: letter-space it rather than leave the line short
        w = [0.0 if text[start + k + 1] in ZERO_WIDTH else 1.0 for k in range(len(w))]
        total = sum(w) or 1.0
    return tuple(amount * x / total for x in w)


class LineBreaker:
    """Greedy first-fit breaking with kinsoku, then per-line justification.

    ``widths[i]`` is the advance of ``text[i]`` in points; ``kerns[i]`` (optional) an adjustment
    between ``text[i]`` and ``text[i + 1]`` that applies only when both are on one line (punctuation
    compression). ``measures`` gives the available width of each line (the last value repeats),
    e.g. ``(measure - indent, measure)``.
    """

    #: largest tightening per gap, in ems of the body size, to pull closing punctuation in
    max_shrink_em = 0.05

    def __init__(self, text: str, widths: Sequence[float], em: float,
                 kerns: Sequence[float] | None = None):
        self.text = text
        self.widths = widths
        self.em = em
        self.kerns = list(kerns) if kerns is not None else [0.0] * len(text)
        self.allowed = break_opportunities(text)
        self.wide = wide_test(text)
        # prefix sums (each kern folded into the character before it) make widths a subtraction
        acc = [0.0]
        for w, k in zip(widths, self.kerns, strict=True):
            acc.append(acc[-1] + w + k)
        self.acc = acc

    def _span(self, start: int, end: int) -> float:
        """Width of text[start:end] as set: kerns inside the span, none after its last character."""
        if end <= start:
            return 0.0
        return self.acc[end] - self.acc[start] - self.kerns[end - 1]

    def width(self, start: int, end: int) -> float:
        """Natural width of text[start:end] without trailing spaces."""
        return self._span(start, self._trim(start, end))

    def _trim(self, start: int, end: int) -> int:
        while end > start and (_is_space(self.text[end - 1]) or self.text[end - 1] in ZERO_WIDTH):
            end -= 1
        return end

    def _skip(self, i: int) -> int:
        n = len(self.text)
        while i < n and (_is_space(self.text[i]) and self.text[i] != "\n"):
            i += 1
        return i

    def _gapsum(self, start: int, end: int) -> float:
        w = _weights(self.text, start, end, self.wide)
        return sum(w) if sum(w) > 0 else float(max(0, end - start - 1))

    def breaks(self, measures: Sequence[float]) -> list[tuple[int, int, bool]]:
        """Line spans (start, end, forced) with end excluding trailing spaces."""
        if self._word_spaced():
            best = self._optimal(measures)
            if best is not None:
                return best
        return self._greedy(measures)

    def _word_spaced(self) -> bool:
        """Text broken mostly at spaces (English) gains from total-fit breaking; CJK text, which
        may break almost anywhere, is set first-fit as Chinese typesetting does."""
        text = self.text
        if "\n" in text or len(text) < 20:
            return False
        spaces = sum(1 for c in text if c == " ")
        cjk = sum(1 for c in text if self.wide(c))
        return spaces * 12 >= len(text) and cjk * 4 < len(text)

    def _optimal(self, measures: Sequence[float]) -> list[tuple[int, int, bool]] | None:
        """Knuth-Plass style total fit over the ordinary break points: minimise the sum of squared
        per-gap adjustments so loose and tight lines are evened out. None if some word cannot fit."""
        text, n, allowed = self.text, len(self.text), self.allowed
        wsum = [0.0]
        for k in range(n - 1):
            wsum.append(wsum[-1] + _gap_weight(text[k], text[k + 1], self.wide))
        start0 = self._skip(0)
        ends = [k for k in range(start0 + 1, n + 1) if allowed[k] == 2 or k == n]
        origin: dict[int, int] = {}
        cost_at: dict[int, float] = {start0: 0.0}
        order = [start0]
        em = self.em
        for b in ends:
            e = self._trim(start0, b)
            best, best_from = None, -1
            for a in reversed(order):
                s = a if a == start0 else self._skip(a)
                if s >= e:
                    continue
                avail = measures[0] if a == start0 else measures[min(1, len(measures) - 1)]
                width = self._span(s, e)
                g = wsum[e - 1] - wsum[s] if e - 1 > s else 0.0
                if b == n:
                    if width > avail + EPS:
                        break
                    cost = 0.0
                else:
                    slack = avail - width
                    if g <= 0:
                        if slack < -EPS:
                            break
                        continue
                    adj = slack / g / em
                    if adj < -self.max_shrink_em:
                        break
                    cost = 1.0 + (adj * 100) ** 2 * (4 if adj < 0 else 1)
                total = cost_at[a] + cost
                if best is None or total < best:
                    best, best_from = total, a
            if best is not None:
                cost_at[b] = best
                origin[b] = best_from
                order.append(b)
        if n not in origin:
            return None
        spans: list[tuple[int, int, bool]] = []
        b = n
        while b != start0:
            a = origin[b]
            s = a if a == start0 else self._skip(a)
            spans.append((s, self._trim(s, b), False))
            b = a
        spans.reverse()
        return spans

    def _greedy(self, measures: Sequence[float]) -> list[tuple[int, int, bool]]:
        text, n = self.text, len(self.text)
        out: list[tuple[int, int, bool]] = []
        start = self._skip(0)
        while start < n:
            avail = measures[min(len(out), len(measures) - 1)]
            forced_at = text.find("\n", start)
            limit = n if forced_at < 0 else forced_at
            # first character that does not fit (spaces never overflow: they hang)
            i = start
            while i < limit:
                if not _is_space(text[i]) and self._span(start, i + 1) > avail + EPS:
                    break
                i += 1
            if i >= limit:
                out.append((start, self._trim(start, limit), forced_at >= 0))
                start = self._skip(limit + 1) if forced_at >= 0 else n
                continue
            b = self._choose(start, i, avail)
            out.append((start, self._trim(start, b), False))
            start = self._skip(b)
        self._avoid_lonely_last(out, measures)
        return out

    def _choose(self, start: int, i: int, avail: float) -> int:
        """Where to end a line whose character i overflows."""
        text, allowed = self.text, self.allowed
        b = i
        while b > start and allowed[b] < 2:
            b -= 1
        if b == start:  # no ordinary break: a word longer than the line
            b = i
            while b > start and allowed[b] < 1:
                b -= 1
            if b == start:
                return max(i, start + 1)
        # oikomi: pull a run of closing punctuation at i onto this line by tightening the gaps
        if b < i and text[i] in LINE_START_PROHIBITED:
            j = i
            while j < len(text) and text[j] in LINE_START_PROHIBITED:
                j += 1
            if j == len(text) or _is_space(text[j]) or allowed[j] == 2:
                over = self.width(start, j) - avail
                gaps_in = self._gapsum(start, self._trim(start, j))
                gaps_out = self._gapsum(start, self._trim(start, b))
                if gaps_in > 0 and gaps_out > 0:
                    shrink = over / gaps_in
                    stretch = (avail - self.width(start, b)) / gaps_out
                    if shrink <= self.max_shrink_em * self.em and shrink < stretch:
                        return j
        return b

    def _avoid_lonely_last(self, out: list[tuple[int, int, bool]], measures: Sequence[float]) -> None:
        """A paragraph's last line should hold more than one character plus punctuation."""
        if len(out) < 2 or out[-2][2]:
            return
        s, e, forced = out[-1]
        core = [c for c in self.text[s:e] if c not in LINE_START_PROHIBITED and not _is_space(c)]
        if len(core) != 1 or not self.wide(core[0]):
            return
        ps, pe, _ = out[-2]
        avail = measures[min(len(out) - 2, len(measures) - 1)]
        b = pe - 1
        while b > ps and self.allowed[b] < 2:
            b -= 1
        if b <= ps or self.width(ps, b) < 0.8 * avail:
            return
        last_avail = measures[min(len(out) - 1, len(measures) - 1)]
        if self.width(self._skip(b), e) > last_avail + EPS:
            return
        out[-2] = (ps, self._trim(ps, b), False)
        out[-1] = (self._skip(b), e, forced)

    def lines(self, measures: Sequence[float], justify: bool = True) -> list[Line]:
        """Break and justify: every line but the last (and lines ended by a newline) fills the
        measure exactly."""
        spans = self.breaks(measures)
        out = []
        for k, (s, e, forced) in enumerate(spans):
            last = k == len(spans) - 1
            avail = measures[min(k, len(measures) - 1)]
            nat = self._span(s, e)
            stretch = justify and not last and not forced
            # a line that overflows (pulled-in punctuation) is always tightened to the measure
            if nat > avail + EPS:
                stretch = True
            gaps = (_spread(self.text, s, e, avail - nat, self.wide) if stretch
                    else tuple([0.0] * max(0, e - s - 1)))
            out.append(Line(s, e, nat, gaps, stretch, last))
        return out


def break_text(text: str, widths: Sequence[float], measures: Sequence[float], em: float,
               justify: bool = True, kerns: Sequence[float] | None = None) -> list[Line]:
    """Convenience wrapper: the justified lines of one paragraph."""
    return LineBreaker(text, widths, em, kerns).lines(measures, justify)


#: closing brackets and quotes whose glyph sits in the left half of the em box
CLOSE_RIGHT_BLANK = frozenset("”’」』）》〉】〕〗〙｝］")
#: opening brackets and quotes whose glyph sits in the right half of the em box
OPEN_LEFT_BLANK = frozenset("“‘「『（《〈【〔〖〘｛［")
#: other full-width punctuation (centred in Taiwan/Hong Kong fonts)
PUNCT = frozenset("，。、；：？！")


def compression(a: str, b: str) -> float:
    """How much (in ems) adjacent full-width punctuation a, b may close up (JIS X 4051 / clreq
    punctuation adjustment): the blank half of a closing bracket before more punctuation, and the
    blank half of an opening bracket after punctuation, e.g. ``”“`` ``」，`` ``，「`` ``（「``."""
    if a in CLOSE_RIGHT_BLANK and (b in OPEN_LEFT_BLANK or b in CLOSE_RIGHT_BLANK or b in PUNCT):
        return 0.5
    if b in OPEN_LEFT_BLANK and (a in PUNCT or a in OPEN_LEFT_BLANK):
        return 0.5
    return 0.0
