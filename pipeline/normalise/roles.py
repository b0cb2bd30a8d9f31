"""The line-role model: a learned second opinion on the rules' decisions, for pages no rule was tuned on.

The rules (:mod:`.regions`, :mod:`.flow`) decide every line first. The model, an averaged perceptron
trained on some 800 labelled real pages (``training/``), then scores each non-blank line as title
(T), article (A) or boilerplate (B) from shallow features of the line, its neighbours and the rules'
own decisions (:mod:`.linefeatures`), and overrides the rules only where it is confident:

- a line the rules print (paragraph, heading, list item, caption) that the model calls boilerplate
  is dropped, with the furniture lexicon's reason when it has one, else ``boilerplate``;
- a title the model rejects in favour of another line it is confident is the headline is swapped
  (the article's own headline often comes first inside a related list).

What stays with the rules: markup residue, control characters, exact repeats, bylines, dates and
credits, the deck under the headline, and the finer role of every printed line. The model file is
package data (a few tens of kilobytes of JSON), read the first time a text is normalised; scoring
a page is a few milliseconds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.model import Document, ListBlock
from pipeline.normalise import lexicon
from pipeline.normalise.evidence import Analysis
from pipeline.normalise.linefeatures import _Line, features, rule_roles, sparse_page
from pipeline.normalise.units import Unit

MODEL_FILE = "rolemodel.json"
#: how the scores are read (RoleModel's fields besides the weights)
PARAMS = ("bias", "temperature", "drop", "title", "sparse_drop", "sparse_title")
CLASSES = ("title", "article", "boilerplate")
#: unit kinds the model may drop (what the editions print); titles and metadata are left to the rules
_PRINTED = ("paragraph", "heading", "list", "caption")
#: drop reasons of the schema that the lexicon may give a dropped line (else "boilerplate")
_REASONS = ("share-widget", "related-list", "comment-widget", "navigation", "advertisement",
            "promotion", "copyright", "tags", "ticker")


@dataclass(frozen=True)
class RoleModel:
    """Weights per feature and class (title, article, boilerplate) and how to read their scores.

    ``bias`` is added to the article score (the training pages are 93 % furniture, and a lost article
    line costs a reader more than a kept teaser); ``temperature`` turns score differences into
    probabilities (fitted on held-out folds); ``drop`` is the boilerplate probability above which a
    printed line is dropped, ``title`` the title margin a new headline must have. On a page that is
    mostly furniture (under a quarter of its lines prose: a whole web page rather than a scraper's
    text of one article), where the rules are known to fail, ``sparse_drop`` and ``sparse_title``
    apply instead: the model is trusted more.
    """

    weights: dict[str, tuple[float, float, float]]
    bias: float = 32.0
    temperature: float = 24.0
    drop: float = 0.9
    title: float = 16.0
    sparse_drop: float = 0.6
    sparse_title: float = 0.0

    @classmethod
    def from_dict(cls, data: dict) -> RoleModel:
        weights = {k: (float(v[0]), float(v[1]), float(v[2])) for k, v in data["weights"].items()}
        return cls(weights=weights, **{k: float(data[k]) for k in PARAMS if k in data})

    def to_dict(self) -> dict:
        return {"format": 1, "classes": list(CLASSES), **{k: getattr(self, k) for k in PARAMS},
                "weights": {k: list(v) for k, v in sorted(self.weights.items())}}

    def thresholds(self, sparse: bool) -> tuple[float, float]:
        """(drop probability, title margin) for a page of this shape."""
        return (self.sparse_drop, self.sparse_title) if sparse else (self.drop, self.title)

    def score(self, feats: list[str]) -> tuple[float, float, float]:
        """Raw class scores of one line (the article score with the bias added)."""
        t = a = b = 0.0
        get = self.weights.get
        for name in feats:
            w = get(name)
            if w is not None:
                t += w[0]
                a += w[1]
                b += w[2]
        return t, a + self.bias, b

    def probabilities(self, scores: tuple[float, float, float]) -> tuple[float, float, float]:
        top = max(scores)
        exps = [math.exp((s - top) / self.temperature) for s in scores]
        total = sum(exps)
        return exps[0] / total, exps[1] / total, exps[2] / total

    def reasons(self, feats: list[str], winner: int, other: int, count: int = 3) -> list[tuple[str, float]]:
        """The features that pushed hardest for ``winner`` over ``other`` (an editor's "why")."""
        pushes = []
        for name in dict.fromkeys(feats):
            w = self.weights.get(name)
            if w is not None and w[winner] - w[other] > 0:
                pushes.append((name, w[winner] - w[other]))
        pushes.sort(key=lambda p: (-p[1], p[0]))
        return pushes[:count]


@lru_cache(maxsize=1)
def shipped() -> RoleModel:
    """The model trained by ``training/train.py fit`` and shipped in the package (read once)."""
    # a plain path, not importlib.resources (10 ms of imports): the package is always files on disk
    data = Path(__file__).with_name(MODEL_FILE).read_text("utf-8")
    return RoleModel.from_dict(json.loads(data))


@dataclass(frozen=True)
class LineVerdict:
    """The model's reading of one line, for the decision and for ``--explain``."""

    line: int
    label: int  # 0 title, 1 article, 2 boilerplate (title only for the chosen headline)
    probs: tuple[float, float, float]
    title_margin: float
    why: tuple[tuple[str, float], ...]

    def describe(self) -> str:
        """``article 0.97: run=in +4.1, prose=True +2.0, rule=paragraph-body +1.3``."""
        role = CLASSES[self.label]
        why = ", ".join(f"{name} +{push:.1f}" for name, push in self.why)
        return f"{role} {self.probs[self.label]:.2f}" + (f": {why}" if why else "")


def page_features(text: str, document: Document) -> tuple[list[int], list[list[str]]]:
    """The 0-based indexes of the non-blank lines of ``text`` (the lines the model reads) and their
    features, given the rules' ``document`` of it; training reads pages through this same function."""
    physical = text.split("\n")
    idx = [i for i, line in enumerate(physical) if line.strip()]
    roles = rule_roles(document, len(physical))
    # a hard-wrapped paragraph is read as the rules joined it: each of its lines is that sentence
    logical = {}
    for block in document.blocks:
        if len(block.lines) > 1 and not isinstance(block, ListBlock):
            joined = " ".join(t for t in (getattr(block, "runin", None), getattr(block, "text", "")) if t)
            logical.update(dict.fromkeys(block.lines, joined))
    texts = [logical.get(i + 1, physical[i]) for i in idx]
    return idx, features(texts, [roles[i] for i in idx])


def read(model: RoleModel, text: str, document: Document) -> tuple[dict[int, LineVerdict], bool]:
    """The model's verdict on every non-blank line of ``text`` (by 1-based line number), given the
    rules' ``document`` of it, and whether the page is mostly furniture."""
    idx, feats = page_features(text, document)
    sparse = sparse_page(feats)
    _, title_margin = model.thresholds(sparse)
    scored = [model.score(f) for f in feats]
    margins = [s[0] - max(s[1] - model.bias, s[2]) for s in scored]
    best = max(range(len(scored)), key=margins.__getitem__, default=None)
    out = {}
    for k, (i, f, s) in enumerate(zip(idx, feats, scored, strict=True)):
        label = 1 if s[1] >= s[2] else 2
        if k == best and (margins[k] > title_margin or "rule=title" in f):
            label = 0
        runner = 2 if label != 2 else 1
        out[i + 1] = LineVerdict(i + 1, label, model.probabilities(s), margins[k],
                                 tuple(model.reasons(f, label, runner)))
    return out, sparse


def arbitrate(analysis: Analysis, verdicts: dict[int, LineVerdict], model: RoleModel,
              sparse: bool = False) -> list[int]:
    """Apply the model's confident disagreements to the rules' units; the lines of changed units."""
    drop, _ = model.thresholds(sparse)
    changed: list[int] = []

    def furniture(u: Unit) -> LineVerdict | None:
        if _Line(u.source).prose and lexicon.furniture(u.source) is None:
            return None  # a whole sentence of prose stays: losing one costs a reader more than a teaser
        seen = [verdicts[n] for n in u.lines if n in verdicts]
        if seen and all(v.label == 2 and v.probs[2] > drop for v in seen):
            return max(seen, key=lambda v: v.probs[2])
        return None

    # a list is one block: dropped whole, or kept whole (a list of headlines goes, a list in the
    # article stays even when one short item looks like furniture)
    groups: list[list[Unit]] = []
    after_title = False
    for u in analysis.units:
        if u is analysis.title:
            after_title = True
            continue
        if u.kind not in _PRINTED:
            continue
        deck, after_title = after_title and u.kind == "heading", False
        if deck:
            continue  # the deck under the headline: references leave it out, so the model never learned it
        if u.kind == "list" and groups and groups[-1][-1].kind == "list":
            groups[-1].append(u)
        else:
            groups.append([u])
    planned = [(group, found) for group in groups if all(found := [furniture(u) for u in group])]
    if len(planned) == len(groups):
        planned = []  # the model calls every line furniture: an article is there, keep the rules' reading
    for group, found in planned:
        for u, v in zip(group, found, strict=True):
            reason = lexicon.furniture(u.source)
            reason = reason if reason in _REASONS else "boilerplate"
            u.decide("drop", f"line-role model: {v.describe()}", reason)  # type: ignore[union-attr]
            changed.append(u.line)
    heads = [v for v in verdicts.values() if v.label == 0]
    if heads:
        _swap_title(analysis, verdicts, heads[0], drop, changed)
    return sorted(changed)


def _swap_title(analysis: Analysis, verdicts: dict[int, LineVerdict], head: LineVerdict, drop: float,
                changed: list[int]) -> None:
    """Make ``head`` the title when the rules found none, or when the model is as sure that the
    rules' title is furniture as it must be to drop a line (another story's headline in a list, a
    series label); a rules' title the model merely likes less (the deck under it) stays."""
    old = analysis.title
    if old is not None and head.line in old.lines:
        return
    unit = next((u for u in analysis.units if head.line in u.lines), None)
    if unit is None or unit.kind not in _PRINTED + ("drop",) or unit.reason in (
            "markup-residue", "control-character", "duplicate"):
        return
    if old is not None:
        old_v = verdicts.get(old.line)
        if old_v is None or old_v.label != 2 or old_v.probs[2] <= drop:
            return
        reason = lexicon.furniture(old.source)
        old.decide("drop", f"line-role model prefers line {head.line} as the headline ({old_v.describe()})",
                   reason if reason in _REASONS else "boilerplate")
        changed.append(old.line)
    unit.decide("title", f"line-role model: {head.describe()}")
    analysis.title = unit
    changed.append(unit.line)
