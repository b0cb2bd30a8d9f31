"""Line classification: title, metadata, captions, headings, lists, paragraphs and page furniture.

Generic evidence only: a unit's position relative to the title and to the body (the run of real,
sentence-ending paragraphs), its length and final punctuation, what comes before and after it,
repetition of the title, and the furniture lexicons. The page is read in three regions: the *head*
(before the title: all furniture), the *article*, and the *tail* (from the first furniture line after
the last real paragraph to the end: related lists, share rows, comment widgets).

The evidence is in :mod:`.evidence`, the passes that find the regions, metadata and title in
:mod:`.regions`, and those that type the article's own lines in :mod:`.flow`; this module runs them
in order.
"""

from __future__ import annotations

from pipeline.normalise.evidence import Analysis
from pipeline.normalise.flow import FlowPasses
from pipeline.normalise.regions import RegionPasses
from pipeline.normalise.units import Unit


class Classifier(RegionPasses, FlowPasses):
    """Runs the passes over the units; each pass only decides units still undecided."""

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


def classify(units: list[Unit], zh: bool) -> Analysis:
    return Classifier(units, zh).run()
