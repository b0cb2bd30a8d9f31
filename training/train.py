"""Train and evaluate the line-role model on the labelled corpus (training/README.md).

    python training/train.py cv            # site-grouped cross-validation, next to today's rules
    python training/train.py fit --out F   # train on every page, write the model

The model is an averaged perceptron over the features of :mod:`pipeline.normalise.linefeatures`
(three classes: T title, A article, B boilerplate), trained in a fixed order with a seeded shuffle,
so the same corpus gives the same weights. One title per page: the line with the highest title
score, when it beats its own article and boilerplate scores.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pipeline.normalise import normalise_text  # noqa: E402
from pipeline.normalise.linefeatures import features, rule_roles  # noqa: E402
from training.score_rules import Tally, fold_of, pages, rule_labels  # noqa: E402

CLASSES = "TAB"
EPOCHS = 8
SEED = 20261208
#: added to the article score: the corpus is 93 % boilerplate, and a lost article line costs more
BIAS = 32.0
BIASES = (16.0, 24.0, 32.0, 48.0, 64.0)


def rules_cache(corpus: list[dict]) -> dict[str, dict]:
    """The rules' roles and labels for every page, computed once (they take minutes)."""
    path = HERE / "data" / "rules.jsonl"
    cached: dict[str, dict] = {}
    if path.exists():
        for line in open(path, encoding="utf-8"):
            item = json.loads(line)
            cached[item["sha256"]] = item
    changed = False
    for page in corpus:
        if page["sha256"] not in cached:
            text = page["text"]
            doc = normalise_text(text, name="page").document
            cached[page["sha256"]] = {"sha256": page["sha256"], "roles": rule_roles(doc, text.count("\n")),
                                      "labels": rule_labels(text)}
            changed = True
    if changed:
        with open(path, "w", encoding="utf-8") as fh:
            for key in sorted(cached):
                fh.write(json.dumps(cached[key], ensure_ascii=False) + "\n")
    return cached


class Perceptron:
    """Multi-class averaged perceptron over integer feature ids; one weight per feature and class."""

    def __init__(self, size: int) -> None:
        self.w = [[0.0, 0.0, 0.0] for _ in range(size)]
        self.total = [[0.0, 0.0, 0.0] for _ in range(size)]
        self.stamp = [[0, 0, 0] for _ in range(size)]
        self.t = 0

    def guess(self, feats: list[int]) -> int:
        s0 = s1 = s2 = 0.0
        w = self.w
        for f in feats:
            a, b, c = w[f]
            s0 += a
            s1 += b
            s2 += c
        return 0 if s0 > s1 and s0 > s2 else (1 if s1 >= s2 else 2)

    def update(self, feats: list[int], gold: int, guess: int) -> None:
        t = self.t
        for f in feats:
            w, total, stamp = self.w[f], self.total[f], self.stamp[f]
            for c, delta in ((gold, 1.0), (guess, -1.0)):
                total[c] += (t - stamp[c]) * w[c]
                stamp[c] = t
                w[c] += delta

    def average(self, names: list[str]) -> dict[str, list[float]]:
        out = {}
        t = max(1, self.t)
        for f, name in enumerate(names):
            avg = [(self.total[f][c] + (t - self.stamp[f][c]) * self.w[f][c]) / t for c in range(3)]
            if any(abs(x) >= 1e-4 for x in avg):
                out[name] = [round(x, 4) for x in avg]
        return out


def page_features(page: dict, cache: dict[str, dict]) -> list[list[str]]:
    texts = page["text"].splitlines()
    return features(texts, cache[page["sha256"]]["roles"])


def train(corpus: list[dict], feats: dict[str, list[list[str]]]) -> dict[str, list[float]]:
    """Weights from ``corpus`` (pages with labels; ``feats``: each page's features by id)."""
    ids: dict[str, int] = {}
    data = []
    for page in sorted(corpus, key=lambda p: p["id"]):
        rows = [[ids.setdefault(name, len(ids)) for name in f] for f in feats[page["id"]]]
        data.append((rows, [CLASSES.index(label) for label in page["labels"]]))
    model = Perceptron(len(ids))
    rng = random.Random(SEED)
    order = list(range(len(data)))
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for k in order:
            rows, labels = data[k]
            for row, gold in zip(rows, labels, strict=True):
                model.t += 1
                guess = model.guess(row)
                if guess != gold:
                    model.update(row, gold, guess)
    names = sorted(ids, key=ids.__getitem__)
    return model.average(names)


def predict(weights: dict[str, list[float]], feats: list[list[str]], bias: float = BIAS) -> str:
    """Labels for a page's lines: A or B by score (``bias`` added to A's), and one title, the line
    with the highest title score over its own other scores (a page always has a headline)."""
    labels = []
    best_title, best_margin = None, 0.0
    for i, f in enumerate(feats):
        s = [0.0, 0.0, 0.0]
        for name in f:
            w = weights.get(name)
            if w:
                s[0] += w[0]
                s[1] += w[1]
                s[2] += w[2]
        labels.append("A" if s[1] + bias >= s[2] else "B")
        margin = s[0] - max(s[1], s[2])
        if best_title is None or margin > best_margin:
            best_title, best_margin = i, margin
    if best_title is not None:
        labels[best_title] = "T"
    return "".join(labels)


def cross_validate(corpus: list[dict], cache: dict[str, dict], folds: int) -> None:
    """Train on all folds but one, test on it, for each fold; report the model (at each bias)
    beside the rules on the same lines."""
    model_t: dict[str, Tally] = defaultdict(Tally)
    rules_t: dict[str, Tally] = defaultdict(Tally)
    feats = {p["id"]: page_features(p, cache) for p in corpus}
    for k in range(folds):
        test = [p for p in corpus if fold_of(p["site"], folds) == k]
        weights = train([p for p in corpus if fold_of(p["site"], folds) != k], feats)
        for page in test:
            for bias in BIASES:
                guess = predict(weights, feats[page["id"]], bias)
                for key in ("all", page["lang"], f"fold {k}"):
                    model_t[f"{key} b={bias:g}"].add(page["labels"], guess)
            for key in ("all", page["lang"], f"fold {k}"):
                rules_t[key].add(page["labels"], cache[page["sha256"]]["labels"])
        print(model_t[f"fold {k} b={BIAS:g}"].row(f"fold {k}"), file=sys.stderr)
    for key in sorted(rules_t, key=lambda x: (x != "all", x.startswith("fold"), x)):
        print("rules", rules_t[key].row(key))
        for bias in BIASES:
            print("model", model_t[f"{key} b={bias:g}"].row(f"b={bias:g}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("cv", "fit"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    corpus = pages()
    cache = rules_cache(corpus)
    if args.command == "cv":
        cross_validate(corpus, cache, args.folds)
    else:
        weights = train(corpus, {p["id"]: page_features(p, cache) for p in corpus})
        args.out.write_text(json.dumps(weights, sort_keys=True, separators=(",", ":")) + "\n")
        print(f"{len(weights)} features written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
