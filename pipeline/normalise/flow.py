"""What each line of the article is: lead, datelines, captions, lists, headings (with their
levels), run-in heads and paragraph roles, decided over the article's flow once the regions are
known (:mod:`.regions`).
"""

from __future__ import annotations

import re

from pipeline.normalise import meta as metamod
from pipeline.normalise.evidence import _NAME_LINE, _NOT_A_NAME, _SENT_END, Evidence
from pipeline.normalise.units import _BULLET, Unit, terminated


class FlowPasses(Evidence):
    """The passes that type the article's own lines."""

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
            if not seen_block and big and self.display_sized(u) and (self.zhline(u) or self.size(u) < 40):
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
                if words >= 25 or not self.display_sized(u):
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
