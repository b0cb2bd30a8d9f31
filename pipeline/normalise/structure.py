"""Line classification: title, metadata, captions, headings, lists, paragraphs and page furniture.

Generic evidence only: a unit's position relative to the title and to the body (the run of real,
sentence-ending paragraphs), its length and final punctuation, what comes before and after it,
repetition of the title, and the furniture lexicons. The page is read in three regions: the *head*
(before the title: all furniture), the *article*, and the *tail* (from the first furniture line after
the last real paragraph to the end: related lists, share rows, comment widgets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.normalise import lexicon
from pipeline.normalise import meta as metamod
from pipeline.normalise.units import _BULLET, Unit, terminated

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


class Classifier:
    """Runs the passes over the units; each pass only decides units still undecided."""

    def __init__(self, units: list[Unit], zh: bool):
        self.a = Analysis(units=units, zh=zh)
        self.u = units
        self.zh = zh

    # ---------------------------------------------------------------- helpers
    def size(self, u: Unit) -> int:
        return _size(u, self.zh)

    def zhline(self, u: Unit) -> bool:
        return _zhline(u.text, self.zh)

    def strong(self, u: Unit) -> bool:
        """A real body paragraph: ends a sentence and is long."""
        if u.kind not in ("", "P") or not terminated(u.text) or u.text.endswith((":", "：")):
            return False
        if _TRUNCATED.search(u.text):  # a teaser cut off by the site ("…是否為「托市…"), not a paragraph
            return False
        return self.size(u) >= (25 if self.zhline(u) else 10)

    def heading_like(self, u: Unit) -> bool:
        """Short, no final punctuation (or an English question): a heading candidate."""
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
        if len(_SENT_END.findall(u.text)) > 1:
            return False
        return self.size(u) <= (30 if self.zhline(u) else 12)

    # ---------------------------------------------------------------- passes
    def run(self) -> Analysis:
        self.markup_pass()
        self.furniture_pass()
        self.repeat_pass()
        early = [i for i, u in enumerate(self.u) if self.strong(u)]
        self.meta_pass(early[0] if early else len(self.u))
        body = [i for i, u in enumerate(self.u) if self.strong(u)]
        first_body = body[0] if body else len(self.u)
        # no real paragraph at all: then nothing is "after the article" either
        last_body = body[-1] if body else len(self.u)
        title_i = self.title_pass(first_body)
        self.head_pass(title_i)
        tail = self.tail_pass(last_body)
        self.middle_pass(title_i + 1, tail, last_body, first_body)
        # passes find bylines in different orders: keep them in reading order
        self.a.bylines.sort(key=lambda b: b[0].line)
        return self.a

    def markup_pass(self) -> None:
        """Tags a scrape left at a line's edges (``<table> 標題``, ``/<table>``) are residue; tags and
        entities inside a sentence are the author's text and stay literal."""
        for u in self.u:
            stripped, tags = lexicon.markup(lexicon.entities(u.text))
            if tags or stripped != u.text:
                if not re.search(r"\w", stripped):
                    u.had_markup = True
                    u.decide("drop", "HTML tag or entity residue", "markup-residue")
                    continue
            text, edges = lexicon.edge_markup(u.text)
            if edges:
                u.had_markup = True
                u.removed.extend(edges)
                u.text = text

    def furniture_pass(self) -> None:
        for u in self.u:
            if u.kind or metamod.image_copyright(u.text):
                continue
            reason = lexicon.furniture(u.text)
            if reason:
                u.decide("drop", f"furniture lexicon ({reason})", reason)
            elif lexicon.foreign_chrome(u.text):
                u.decide("drop", "short line in a script the article does not use (site interface)",
                         "boilerplate")

    def repeat_pass(self) -> None:
        """A line that repeats the line just before it (a caption printed twice, a slideshow's text and
        its caption) is page furniture: the first copy is kept."""
        prev: Unit | None = None
        first = ""  # copies of the first line are the title pass's business (title repeats)
        for u in self.u:
            if u.kind == "drop":
                continue
            key = _norm(u.text)
            first = first or key
            if prev is not None and not u.kind and len(key) >= 8 and key == _norm(prev.text) and key != first:
                u.decide("drop", "repeats the line above" + (" inside markup" if u.had_markup else ""),
                         "markup-residue" if u.had_markup else "duplicate")
                continue
            prev = u

    def meta_pass(self, first_body: int) -> None:
        """Captions with markers, credits, bylines and date lines, wherever they are."""
        pending_credit: str | None = None
        prev: Unit | None = None
        for index, u in enumerate(self.u):
            if u.kind:
                if u.kind != "drop":
                    prev = u
                continue
            copyright_ = metamod.image_copyright(u.text)
            if copyright_:
                credit, rest = copyright_
                if rest:
                    u.removed.append(u.text[: len(u.text) - len(rest)].strip())
                    u.text = rest
                    u.credit = credit
                else:
                    pending_credit = credit
                    u.decide("meta", "image copyright line (credit of the next caption)", "credits")
                    self.a.credits.append((u, u.text, None))
                    continue
            if self.caption(u):
                if u.credit is None and pending_credit:
                    u.credit = pending_credit
                pending_credit = None
                prev = u
                continue
            pending_credit = None
            if metamod.photo_credit_line(u.text) and prev is not None and prev.kind in ("P", "caption") \
                    and prev.credit is None and self.size(prev) <= (80 if self.zhline(prev) else 40):
                # a photo credit on its own line: the line before it is the photo's caption
                prev.credit = u.text
                prev.lines = prev.lines + u.lines
                prev.source = f"{prev.source} {u.source}"
                prev.decide("caption", "followed by a photo credit line")
                u.decide("joined", "photo credit of the caption above")
                continue
            prev = u
            iso = metamod.date_only(u.text)
            if iso is not None and index > first_body:
                # a date line inside the body is a timeline head (or a related-list date in the tail)
                u.kind = "U"
                continue
            if iso is not None:
                u.decide("meta", "date line", "date")
                self.a.bylines.append((u, metamod.Byline(raw=u.text, date=iso)))
                continue
            if metamod.WIRE_TITLE.match(u.text) and len(u.text) <= 90:
                u.decide("meta", "wire dateline repeating the title", "byline")
                self.a.bylines.append((u, metamod.Byline(raw=u.text)))
                continue
            if re.match(r"^(?:原标题|原標題|原题|原題)\s*[:：]", u.text):
                u.decide("drop", "the reprinted story's original headline", "title-repeat")
                continue
            if lexicon.TIME_AGO.match(u.text) or re.fullmatch(r"\d{1,2}[:：]\d{2}(?:[:：]\d{2})?", u.text):
                u.decide("drop", "relative time (a related-list date)", "related-list")
                continue
            by = metamod.byline(u.text)
            if by:
                u.decide("meta", "byline pattern (reporter/source/date)", "byline")
                self.a.bylines.append((u, by))
                continue
            cr = metamod.credit(u.text)
            if cr:
                u.decide("meta", "editor/photo credit line", "credits")
                self.a.credits.append((u, cr[0], cr[1]))
                continue
            if self.tags(u):
                continue
            u.kind = "P" if terminated(u.text) else "U"

    def caption(self, u: Unit) -> bool:
        t = u.text
        m = metamod.CAPTION_MARKER.match(t)
        if m and t[m.end():].strip():
            u.removed.append(m.group(0).strip())
            u.text = t[m.end():].strip()
            body, credit = metamod.split_credit(u.text)
            u.text, u.credit = body, credit or u.credit
            u.decide("caption", "caption marker")
            return True
        if u.credit:  # had an "Image copyright …" prefix
            u.decide("caption", "image copyright + caption")
            return True
        if metamod.CAPTION_PREFIX.match(t) and len(t) <= 200:
            body, credit = metamod.split_credit(t)
            u.text, u.credit = body, credit
            u.decide("caption", "caption prefix (圖為/图为 …)")
            return True
        body, credit = metamod.split_credit(t)
        if credit and len(t) <= (200 if self.zhline(u) else 400) and body:
            u.text, u.credit = body, credit
            u.decide("caption", "ends with a photo credit")
            return True
        return False

    def tags(self, u: Unit) -> bool:
        t = u.text
        m = _TAG_PREFIX.match(t)
        sep = _TAG_SEP if not m else re.compile(r"[\s,，、;；﹒·・•|｜/／]+")
        parts = [p for p in sep.split(t[m.end():] if m else t) if p]
        short = all(len(p) <= 12 and not terminated(p) for p in parts)
        if (m and parts and short) or (len(parts) >= 3 and short and _TAG_SEP.search(t)):
            u.decide("drop", "tag list", "tags")
            self.a.keywords.extend(parts)
            return True
        return False

    def title_pass(self, first_body: int) -> int:
        """Index of the title: the first title-like unit before the body (a repeated one wins)."""
        limit = min(first_body, len(self.u))
        if limit == len(self.u):
            limit = min(len(self.u), 8)
        cands: list[int] = []
        for i in range(limit):
            u = self.u[i]
            if u.kind not in ("U", "P"):
                continue
            t = u.text
            n = self.size(u)
            if re.search(r"[。.；;:：,，]$", t) or len(_SENT_END.findall(t.rstrip("!！?？"))) > 1:
                continue
            if _TICKER_TIME.search(t):
                u.decide("drop", "ticker line (ends with a time) before the title", "ticker")
                continue
            if self.zhline(u) and not 2 <= n <= 60:
                continue
            if not self.zhline(u) and not 1 <= n <= 25:
                continue
            cands.append(i)
        if not cands:
            return -1
        # a run of three or more short lines is a menu or toolbar ("辅助功能设置", "色彩设置", "阅读工具" …):
        # the headline is not one of them
        menu = self.menu_runs(limit)
        if any(i not in menu for i in cands):
            cands = [i for i in cands if i not in menu]
        chosen = cands[0]
        rule = "first title-like line before the body"
        norms = {i: _norm(self.u[i].text) for i in cands[:6]}
        for i in cands[:6]:
            # short menu words ("观察员", "World") repeat in menus and footers: only a full-size line counts
            if self.size(self.u[i]) < (6 if self.zhline(self.u[i]) else 3):
                continue
            if any(_norm(v.text) == norms[i] and v is not self.u[i]
                   for v in self.u[i + 1:] if norms[i]):
                chosen, rule = i, "title-like line repeated later"
                break
        else:
            # very short lines first are section labels, site names, menu items ("港聞", "World news")
            full = [i for i in cands if self.size(self.u[i]) >= (6 if self.zhline(self.u[i]) else 3)]
            if full and full[0] != chosen:
                chosen, rule = full[0], "first title-like line after short section labels"
        # "Title | Site" (the page's <title>) before the headline itself: keep the headline
        key = _norm(self.u[chosen].text)
        for i in cands:
            other = _norm(self.u[i].text)
            if i > chosen and other and key.startswith(other) and len(other) >= 0.5 * len(key) \
                    and re.search(r"\s[|｜\-–—_]\s|[|｜]", self.u[chosen].text):
                self.u[chosen].decide("drop", "page title with the site name, before the headline",
                                      "title-repeat")
                chosen, rule = i, "headline after the page title"
                break
        u = self.u[chosen]
        u.decide("title", rule)
        self.a.title = u
        key = _norm(u.text)
        for v in self.u[chosen + 1:]:
            if key and v.kind in ("U", "P", "drop") and _norm(v.text) == key:
                if v.kind == "drop" and v.reason != "markup-residue":
                    continue
                reason = "markup-residue" if v.had_markup else "title-repeat"
                v.decide("drop", "repeats the title" + (" inside markup" if v.had_markup else ""), reason)
        return chosen

    def menu_runs(self, limit: int) -> set[int]:
        """Indexes of units in runs of 3+ consecutive short unpunctuated lines (dropped lines skipped)."""
        out: set[int] = set()
        run: list[int] = []
        for i in range(limit + 1):
            u = self.u[i] if i < limit else None
            if u is not None and u.kind == "drop":
                continue
            short = u is not None and u.kind in ("U", "P") and not re.search(r"[。！？.!?,，:：]$", u.text) \
                and self.size(u) <= (10 if self.zhline(u) else 3)
            if short:
                run.append(i)
                continue
            if len(run) >= 3:
                out.update(run)
            run = []
        return out

    def head_pass(self, title_i: int) -> None:
        for u in self.u[: max(title_i, 0)]:
            if u.kind in ("U", "P"):
                reason = "ticker" if _TICKER_TIME.search(u.text) else "navigation"
                u.decide("drop", "before the title", reason)

    def tail_pass(self, last_body: int) -> int:
        """Index where the tail starts: the first furniture/credit after the last real paragraph."""
        start = len(self.u)
        for i in range(last_body + 1, len(self.u)):
            u = self.u[i]
            # ads and stray boilerplate also sit between paragraphs, so they do not end the article
            ends = ("related-list", "comment-widget", "share-widget", "copyright", "navigation", "promotion")
            if (u.kind == "drop" and u.reason in ends) or (u.kind == "meta" and u.reason == "credits"):
                start = i
                break
        for u in self.u[start:]:
            if u.kind in ("U", "P", "caption"):
                u.decide("drop", "after the article (tail of the page)", "related-list")
            elif u.kind == "meta" and u.reason in ("date", "byline"):
                # dates in the tail belong to related stories
                u.decide("drop", "date in the tail of the page", "related-list")
                self.a.bylines = [b for b in self.a.bylines if b[0] is not u]
        return start

    def middle_pass(self, start: int, end: int, last_body: int, first_body: int) -> None:
        mid = list(range(max(start, 0), end))
        self.front(mid, first_body)
        # promotional links next to a dropped promo: "Five things we learned…" / "The … swerve"
        for k, i in enumerate(mid):
            u = self.u[i]
            if u.kind != "U" or k == 0:
                continue
            prev = self.u[mid[k - 1]]
            nxt = self.u[mid[k + 1]] if k + 1 < len(mid) else None
            label = prev.kind == "drop" and prev.reason == "related-list"  # "Related article", "相關新聞"
            promo = prev.kind == "drop" and prev.reason == "promotion" and (nxt is None or nxt.kind != "P")
            if (label or promo) and self.heading_like(u):
                u.decide("drop", "short link line after a related/promotion line", prev.reason)
        contiguous = True
        for i in mid:
            u = self.u[i]
            if i <= last_body or u.kind in ("meta", "caption"):
                continue
            headline = self.size(u) <= (20 if self.zhline(u) else 8) and re.search(r"[！？!?]$", u.text)
            if u.kind == "P" and not contiguous and headline:
                u.decide("drop", "short exclaiming line after the article (a headline)", "related-list")
            elif u.kind == "U" or (u.kind == "drop" and u.reason not in ("advertisement", "boilerplate")):
                contiguous = False
        flow = [self.u[i] for i in mid if self.u[i].kind in ("P", "U", "caption")]
        self.datelines(flow)
        flow = [u for u in flow if u.kind != "joined"]
        self.split_by_caption(flow)
        flow = [u for u in flow if u.kind != "joined"]
        self.lists(flow)
        self.headings(flow, last_body)
        flow = [u for u in flow if u.kind in ("P", "U", "caption", "heading", "list")]
        for u in flow:
            if u.kind == "P":
                u.decide("paragraph", "ends a sentence")
        self.roles(flow)

    def front(self, mid: list[int], first_body: int) -> None:
        """Between the title and the body: an English name line is the byline, a long line the deck."""
        seen_block = False
        for i in mid:
            if i >= first_body:
                break
            u = self.u[i]
            if u.kind in ("caption", "P"):
                seen_block = True
            if u.kind != "U":
                continue
            if metamod.author_line(u.text):
                u.decide("meta", "line ending in a job title between the title and the body", "byline")
                self.a.bylines.append((u, metamod.Byline(raw=u.text)))
                continue
            name = _NAME_LINE.match(u.text) if not self.zhline(u) else None
            if name and _NOT_A_NAME.search(u.text):
                name = None
            if name and len(u.text.split()) <= 9:
                u.decide("meta", "name line between the title and the body", "byline")
                self.a.bylines.append((u, metamod.Byline(raw=u.text, author=name.group(1))))
                continue
            big = self.size(u) >= (15 if self.zhline(u) else 6)
            if not seen_block and big and (self.zhline(u) or self.size(u) < 40):
                u.decide("heading", "long line right after the title (deck)")
                u.level = 2
            seen_block = True

    def datelines(self, flow: list[Unit]) -> None:
        """``Nairobi, Kenya CNN —`` on its own line opens the next paragraph: join them."""
        for k, u in enumerate(flow[:-1]):
            nxt = flow[k + 1]
            if u.kind == "U" and re.search(r"[—–-]$", u.text) and nxt.kind == "P" and self.size(u) <= 12:
                nxt.text = f"{u.text} {nxt.text}"
                nxt.lines = u.lines + nxt.lines
                nxt.source = f"{u.source} {nxt.source}"
                u.decide("joined", "dateline ending in a dash, joined to the next paragraph")

    def split_by_caption(self, flow: list[Unit]) -> None:
        """A paragraph that a photo cut in two (``… yesterday called for`` / caption / ``better
        communication …``): an English line that stops mid-sentence, one or more captions, then a line
        that starts in lower case. The halves are joined; the caption stays where it is."""
        for k, u in enumerate(flow):
            if u.kind not in ("U", "P") or self.zhline(u) or terminated(u.text) or self.size(u) < 6:
                continue
            j = k + 1
            while j < len(flow) and flow[j].kind == "caption":
                j += 1
            if j == k + 1 or j >= len(flow):
                continue
            nxt = flow[j]
            if nxt.kind in ("U", "P") and nxt.text[:1].islower():
                nxt.text = f"{u.text} {nxt.text}"
                nxt.lines = u.lines + nxt.lines
                nxt.source = f"{u.source} {nxt.source}"
                u.decide("joined", "first half of a paragraph split by a caption")

    def lists(self, flow: list[Unit]) -> None:
        n = len(flow)
        i = 0
        while i < n:
            u = flow[i]
            # explicit bullets / numbers
            if u.kind in ("P", "U") and _BULLET.match(u.text):
                j = i
                while j < n and flow[j].kind in ("P", "U") and _BULLET.match(flow[j].text):
                    j += 1
                if j - i >= 2:
                    for v in flow[i:j]:
                        m = _BULLET.match(v.text)
                        assert m
                        v.removed.append(m.group(0).strip())
                        v.ordered = bool(re.search(r"\d", m.group(0)))
                        v.text = v.text[m.end():].strip() or v.text
                        v.decide("list", "bulleted/numbered lines")
                    i = j
                    continue
            # English: three or more unterminated sentence-like lines between paragraphs (bullets lost)
            if u.kind == "U" and not self.zhline(u) and i > 0 and flow[i - 1].kind == "P":
                j = i
                while j < n and flow[j].kind == "U" and not self.zhline(flow[j]) \
                        and 4 <= self.size(flow[j]) <= 30 and flow[j].text[-1] not in ",;":
                    j += 1
                if j - i >= 3 and j < n and flow[j].kind == "P":
                    for v in flow[i:j]:
                        v.decide("list", "three or more unterminated lines between paragraphs")
                    i = j
                    continue
            # "… said:" followed by short unterminated lines
            if u.kind == "P" and u.text.endswith((":", "：")):
                j = i + 1
                limit = 80 if self.zhline(u) else 30
                while j < n and flow[j].kind == "U" and self.size(flow[j]) <= limit:
                    j += 1
                if j - i - 1 >= 2:
                    for v in flow[i + 1: j]:
                        m = _BULLET.match(v.text)
                        if m and v.text[m.end():].strip():
                            v.removed.append(m.group(0).strip())
                            v.ordered = bool(re.search(r"\d", m.group(0)))
                            v.text = v.text[m.end():].strip()
                        v.decide("list", "short unterminated lines after a line ending in a colon")
                    i = j
                    continue
            i += 1

    def headings(self, flow: list[Unit], last_body: int) -> None:
        n = len(flow)
        index = {id(u): k for k, u in enumerate(self.u)}
        i = 0
        while i < n:
            u = flow[i]
            if not self.heading_like(u):
                i += 1
                continue
            run = [u]
            j = i + 1
            while j < n and (self.heading_like(flow[j]) or self.question_sub(flow[j])):
                run.append(flow[j])
                j += 1
            k = j
            while k < n and flow[k].kind == "caption":
                k += 1
            followed = k < n and flow[k].kind == "P"
            if followed:
                heads = []
                for v in run:
                    if not self.zhline(v) and self.size(v) >= 9 and v.kind == "U":
                        v.decide("caption", "unterminated sentence-like line beside a heading")
                    else:
                        heads.append(v)
                for m, v in enumerate(heads):
                    v.decide("heading", "short line without final punctuation before a paragraph"
                             if m == 0 else "second line of a heading group (sub-heading)")
                    v.level = 1 if m == 0 else 2
            i = j
        # what is left undecided
        for u in flow:
            if u.kind != "U":
                continue
            after_body = index[id(u)] > last_body
            if self.zhline(u):
                if self.size(u) > 30:
                    u.decide("paragraph", "long line without final punctuation")
                elif after_body:
                    u.decide("drop", "short line after the last paragraph", "boilerplate")
                else:
                    u.decide("paragraph", "short line, not before a paragraph")
            else:
                words = self.size(u)
                if words >= 25:
                    u.decide("paragraph", "long line without final punctuation")
                elif words >= 8:
                    u.decide("caption", "unterminated sentence-like line outside running text")
                elif after_body:
                    u.decide("drop", "short line after the last paragraph", "boilerplate")
                else:
                    u.decide("paragraph", "short line, not before a paragraph")

    def roles(self, flow: list[Unit]) -> None:
        """Epigraphs (a motto opening a section) and run-in heads (short bold first sentences)."""
        for k, u in enumerate(flow):
            if u.kind != "heading" or k + 2 >= len(flow):
                continue
            p, nxt = flow[k + 1], flow[k + 2]
            if p.kind != "paragraph" or nxt.kind != "paragraph" or not terminated(p.text):
                continue
            sentences = len(_SENT_END.findall(p.text))
            short = self.size(p) <= 40 if self.zhline(p) else self.size(p) <= 10
            quoted = re.search("[「」『』“”‘’\"]", p.text) is not None
            if sentences == 1 and short and not quoted and self.size(nxt) >= 2 * self.size(p):
                p.role = "epigraph"
                p.rule = "one short sentence opening a section (motto)"
        cands: dict[int, tuple[str, str]] = {}
        for k, u in enumerate(flow):
            if u.kind != "paragraph" or u.role:
                continue
            if self.zhline(u):
                m = re.match(r"^([^。！？“”「」『』\"]{2,12}?[。！？])(.+)$", u.text)
                commas = m.group(1).count("，") + m.group(1).count(",") if m else 9
                if m and commas <= 1 and len(m.group(2)) >= 2 * len(m.group(1)):
                    cands[k] = (m.group(1), m.group(2))
            # English run-in heads are not detected: "Mr. Smith said." openings look the same
        for k, (head, rest) in cands.items():
            if k - 1 in cands or k + 1 in cands:
                u = flow[k]
                u.runin, u.text = head, rest.lstrip()
                u.rule = "short first sentence, as in the neighbouring paragraph (run-in head)"


def classify(units: list[Unit], zh: bool) -> Analysis:
    return Classifier(units, zh).run()
