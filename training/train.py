"""Train and evaluate the line-role model (training/README.md).

    python training/train.py features      # page texts -> training/features.jsonl.gz (committed)
    python training/train.py cv            # site-grouped cross-validation: model, rules, product
    python training/train.py fit           # features + params.toml -> pipeline/normalise/rolemodel.json
    python training/train.py product       # CV through the real normaliser (needs the page texts)

The model is an averaged perceptron over the features of :mod:`pipeline.normalise.linefeatures`
(three classes: T title, A article, B boilerplate), trained in a fixed order with a seeded shuffle
from the committed features file, so the same features and parameters give the same model bytes
(``tests/test_role_model.py`` retrains and compares). The parameters the product reads the scores
with (article bias, temperature, drop probability, title margin) are in ``params.toml``, chosen
with ``cv``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import random
import sys
from collections import defaultdict
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pipeline.normalise.linefeatures import sparse_page  # noqa: E402
from pipeline.normalise.roles import PARAMS, RoleModel  # noqa: E402
from training.score_rules import Tally, fold_of  # noqa: E402

CLASSES = "TAB"
EPOCHS = 8
SEED = 20261208
FEATURES = HERE / "features.jsonl.gz"
PARAMS_FILE = HERE / "params.toml"
MODEL = HERE.parent / "pipeline" / "normalise" / "rolemodel.json"
DROPS = (0.5, 0.7, 0.75, 0.8, 0.9)
TITLES = (0.0, 16.0, math.inf)
#: the product's out-of-fold labels (non-blank lines) at the chosen parameters, for sample_check
OOF = HERE / "data" / "oof.jsonl"


def params() -> dict[str, float]:
    return {k: float(v) for k, v in tomllib.loads(PARAMS_FILE.read_text("utf-8")).items()}


def load_features(path: Path = FEATURES) -> list[dict]:
    """Pages with ``rows`` (feature names per non-blank line), ``labels`` and the rules' ``rules``."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        vocab = json.loads(fh.readline())["vocab"]
        pages = []
        for line in fh:
            page = json.loads(line)
            page["rows"] = [[vocab[i] for i in row] for row in page["rows"]]
            pages.append(page)
    return pages


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

    def average(self, names: list[str]) -> dict[str, tuple[float, float, float]]:
        out = {}
        t = max(1, self.t)
        for f, name in enumerate(names):
            avg = [(self.total[f][c] + (t - self.stamp[f][c]) * self.w[f][c]) / t for c in range(3)]
            if any(abs(x) >= 1e-4 for x in avg):
                out[name] = (round(avg[0], 4), round(avg[1], 4), round(avg[2], 4))
        return out


def train(pages: list[dict]) -> dict[str, tuple[float, float, float]]:
    """Weights from ``pages`` (with ``rows`` and ``labels``), in id order with a seeded shuffle."""
    ids: dict[str, int] = {}
    data = []
    weight = int(params().get("case_weight", 1))
    for page in sorted(pages, key=lambda p: p["id"]):
        rows = [[ids.setdefault(name, len(ids)) for name in row] for row in page["rows"]]
        # the golden cases are scraped texts, the shape users bring, but 0.4 % of the lines
        copies = weight if page["site"].startswith("case:") else 1
        data += [(rows, [CLASSES.index(label) for label in page["labels"]])] * copies
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
    return model.average(sorted(ids, key=ids.__getitem__))


def model_of(weights: dict[str, tuple[float, float, float]], values: dict[str, float]) -> RoleModel:
    return RoleModel(weights=weights, **{k: values[k] for k in PARAMS})


def model_labels(model: RoleModel, rows: list[list[str]]) -> tuple[str, list[tuple[float, float, float]]]:
    """The model alone: A or B by score, and one title (the line with the best title margin)."""
    scored = [model.score(r) for r in rows]
    labels = ["A" if s[1] >= s[2] else "B" for s in scored]
    if scored:
        margins = [s[0] - max(s[1] - model.bias, s[2]) for s in scored]
        best = max(range(len(scored)), key=margins.__getitem__)
        labels[best] = "T"
    return "".join(labels), scored


def _kept_prose(row: list[str]) -> bool:
    """A sentence of prose the lexicon does not call furniture: the model never drops it."""
    return "prose=True" in row and not any(f.startswith("furniture=") for f in row)


def product_labels(model: RoleModel, rules: str, scored: list[tuple[float, float, float]],
                   rows: list[list[str]]) -> str:
    """What the normaliser prints when the model arbitrates the rules (line by line, as
    :func:`pipeline.normalise.roles.arbitrate` does unit by unit)."""
    out = list(rules)
    drop, title = model.thresholds(sparse_page(rows))
    probs = [model.probabilities(s) for s in scored]
    sure = [label == "A" and s[2] > s[1] and p[2] > drop and not _kept_prose(row)
            for label, s, p, row in zip(rules, scored, probs, rows, strict=True)]
    # a run of list items goes whole or stays whole, as the normaliser drops lists
    k = 0
    while k < len(rules):
        end = k + 1
        if "rule=list" in rows[k]:
            while end < len(rules) and "rule=list" in rows[end]:
                end += 1
        if all(sure[k:end]):
            for j in range(k, end):
                out[j] = "B"
        k = end
    margins = [s[0] - max(s[1] - model.bias, s[2]) for s in scored]
    if margins:
        best = max(range(len(margins)), key=margins.__getitem__)
        olds = [k for k, label in enumerate(out) if label == "T"]
        # the rules' title goes only when the model is as sure it is furniture as it must be to drop
        sure_old = all(scored[k][2] > scored[k][1] and probs[k][2] > drop for k in olds)
        if margins[best] > title and out[best] != "T" and sure_old:
            for k in olds:
                out[k] = "B"
            out[best] = "T"
    return "".join(out)


def fit_temperature(oof: list[tuple[tuple[float, float, float], int]]) -> float:
    """The temperature that makes the softmax of out-of-fold scores best calibrated (least log loss)."""
    best, best_loss = 1.0, math.inf
    for temp in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32):
        loss = 0.0
        for s, gold in oof:
            top = max(s)
            z = sum(math.exp((x - top) / temp) for x in s)
            loss -= (s[gold] - top) / temp - math.log(z)
        if loss < best_loss:
            best, best_loss = float(temp), loss
    return best


def cross_validate(pages: list[dict], folds: int) -> None:
    """Train on all folds but one, test on it; print rules, model alone and the product (rules
    arbitrated by the model) at each drop probability and title margin, overall, per language,
    per fold and for the golden cases."""
    values = params()
    tallies: dict[str, Tally] = defaultdict(Tally)
    oof = []
    chosen_labels: dict[str, dict[str, str]] = {}
    for k in range(folds):
        test = [p for p in pages if fold_of(p["site"], folds) == k]
        model = model_of(train([p for p in pages if fold_of(p["site"], folds) != k]), values)
        for page in test:
            alone, scored = model_labels(model, page["rows"])
            oof += [(s, CLASSES.index(g)) for s, g in zip(scored, page["labels"], strict=True)]
            groups = ("cases",) if page["site"].startswith("case:") else ("all", page["lang"], f"fold {k}")
            product = product_labels(model, page["rules"], scored, page["rows"])
            chosen_labels[page["id"]] = {"product": product, "model": alone}
            for key in groups:
                tallies[f"{key}|rules"].add(page["labels"], page["rules"])
                tallies[f"{key}|model"].add(page["labels"], alone)
                tallies[f"{key}|chosen"].add(page["labels"], chosen_labels[page["id"]]["product"])
                for drop in DROPS:
                    for title in TITLES:
                        m = RoleModel(model.weights, model.bias, model.temperature, sparse_drop=drop,
                                      sparse_title=title)
                        tallies[f"{key}|d={drop:g} t={title:g}"].add(
                            page["labels"], product_labels(m, page["rules"], scored, page["rows"]))
        print(tallies[f"fold {k}|model"].row(f"fold {k} model"), file=sys.stderr)
    print(f"temperature (least log loss out of fold): {fit_temperature(oof):g}")
    OOF.parent.mkdir(exist_ok=True)
    OOF.write_text("".join(json.dumps({"id": k, **v}) + "\n" for k, v in sorted(chosen_labels.items())))
    chosen = "chosen"
    for key in sorted({k.split("|")[0] for k in tallies}, key=_order):
        print(tallies[f"{key}|rules"].row(f"{key} rules"))
        print(tallies[f"{key}|model"].row(f"{key} model"))
        print(tallies[f"{key}|{chosen}"].row(f"{key} {chosen}"))
    print("product at each setting for mostly-furniture pages (others at the chosen setting):")
    for drop in DROPS:
        for title in TITLES:
            name = f"d={drop:g} t={title:g}"
            print(tallies[f"all|{name}"].row(name), "|", tallies[f"cases|{name}"].row("cases"))


def _order(key: str) -> tuple:
    """all first, then languages and cases, then folds."""
    return key != "all", key.startswith("fold"), key


def write_model(weights: dict[str, tuple[float, float, float]], values: dict[str, float], out: Path) -> None:
    data = model_of(weights, values).to_dict()
    out.write_text(json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")


def write_features(pages: list[dict], path: Path = FEATURES) -> None:
    """Pages' features as one vocabulary line then one line per page (ids into it); gzip without a
    timestamp, so the same pages give the same bytes."""
    vocab: dict[str, int] = {}
    lines = []
    for page in sorted(pages, key=lambda p: p["id"]):
        rows = [[vocab.setdefault(name, len(vocab)) for name in row] for row in page["rows"]]
        lines.append(json.dumps({"id": page["id"], "site": page["site"], "lang": page["lang"],
                                 "labels": page["labels"], "rules": page["rules"], "rows": rows},
                                separators=(",", ":")))
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write((json.dumps({"vocab": list(vocab)}, ensure_ascii=False) + "\n").encode("utf-8"))
        gz.write(("\n".join(lines) + "\n").encode("utf-8"))
    path.write_bytes(buf.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("features", "cv", "fit", "product"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args()
    if args.command == "features":
        from training.extract import extract_all

        pages = extract_all()
        write_features(pages)
        print(f"{len(pages)} pages, {sum(len(p['rows']) for p in pages)} lines -> {FEATURES}")
    elif args.command == "cv":
        cross_validate(load_features(), args.folds)
    elif args.command == "fit":
        write_model(train(load_features()), params(), args.out)
        print(f"model written to {args.out}")
    else:
        from training.extract import product_cv

        product_cv(load_features(), args.folds, params())
    return 0


if __name__ == "__main__":
    sys.exit(main())
