"""Where the article is: markup residue, furniture and title repeats, metadata (bylines, credits,
tags), the title, and the *head* (before the title: all furniture) and the *tail* (from the first
furniture line after the last real paragraph: related lists, share rows, comment widgets).
"""

from __future__ import annotations

import re

from pipeline.normalise import lexicon
from pipeline.normalise import meta as metamod
from pipeline.normalise.evidence import _SENT_END, _TAG_PREFIX, _TAG_SEP, _TICKER_TIME, Evidence, _norm
from pipeline.normalise.units import Unit, terminated


class RegionPasses(Evidence):
    """The passes that decide the page's regions and the article's metadata."""

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
            if u.kind not in ("U", "P") or not self.display_sized(u):
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
