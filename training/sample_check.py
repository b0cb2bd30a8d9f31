"""Print a seeded sample of labelled lines for hand-checking (training/README.md, "Label accuracy").

    python training/sample_check.py --lang zh-Hant --lines 30 [--seed 1]
    python training/sample_check.py --score     # the hand-checked lines (seed 1, 30 a language)

``--score`` scores the normaliser on the 90 hand-checked lines alone (all three languages, seed 1):
the rules, and the model's and the product's out-of-fold labels written by ``train.py cv``
(``data/oof.jsonl``).

The sample leans on the lines where automatic labels go wrong: every article run's neighbours,
titles, and short lines, plus random boilerplate. Each row: page id, line number, label, text.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sample(lang: str, lines: int, seed: int) -> list[tuple[dict, int, str]]:
    """(page, 0-based line, text) of the seeded sample for one language."""
    rng = random.Random(seed)
    pages = [json.loads(line) for line in open(HERE / "labels.jsonl", encoding="utf-8")]
    pages = [p for p in pages if "excluded" not in p and p["lang"] == lang]
    rng.shuffle(pages)
    rows = []
    for page in pages:
        text = (HERE / "data" / "pages" / f"{page['id']}.txt").read_text("utf-8").splitlines()
        labels = page["labels"]
        interesting = [i for i, lab in enumerate(labels)
                       if lab != "B" or (i + 1 < len(labels) and labels[i + 1] != "B")
                       or (i and labels[i - 1] != "B")]
        pick = rng.sample(interesting, min(2, len(interesting))) + [rng.randrange(len(labels))]
        rows += [(page, i, text[i]) for i in pick]
        if len(rows) >= lines:
            break
    return rows[:lines]


def score() -> None:
    """The rules and the product (out of fold) on the hand-checked lines, whose labels were all
    found right by hand."""
    oof = {}
    for line in open(HERE / "data" / "oof.jsonl", encoding="utf-8"):
        item = json.loads(line)
        oof[item["id"]] = item
    rules = {}
    import gzip

    with gzip.open(HERE / "features.jsonl.gz", "rt", encoding="utf-8") as fh:
        fh.readline()
        for line in fh:
            item = json.loads(line)
            rules[item["id"]] = item["rules"]
    total = {"rules": [0, 0, 0, 0], "model": [0, 0, 0, 0], "product": [0, 0, 0, 0]}
    for lang in ("en", "zh-Hans", "zh-Hant"):
        for page, i, _ in sample(lang, 30, 1):
            text = (HERE / "data" / "pages" / f"{page['id']}.txt").read_text("utf-8").split("\n")
            nb = sum(1 for line in text[:i] if line.strip())
            gold = page["labels"][i]
            for name, labels in (("rules", rules[page["id"]]), ("model", oof[page["id"]]["model"]),
                                 ("product", oof[page["id"]]["product"])):
                t = total[name]
                t[0] += 1
                t[1] += labels[nb] == gold
                if gold != "B":
                    t[2] += 1
                    t[3] += labels[nb] == gold
    for name, (n, right, art, art_right) in total.items():
        print(f"{name:8} hand-checked lines {right}/{n} = {right / n:.3f}   "
              f"article lines {art_right}/{art} = {art_right / max(1, art):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang")
    parser.add_argument("--lines", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--score", action="store_true")
    args = parser.parse_args()
    if args.score:
        score()
        return
    for page, i, text in sample(args.lang, args.lines, args.seed):
        print("\t".join(map(str, (page["id"], i + 1, page["labels"][i], text[:120]))))


if __name__ == "__main__":
    main()
