"""Print a seeded sample of labelled lines for hand-checking (training/README.md, "Label accuracy").

    python training/sample_check.py --lang zh-Hant --lines 30 [--seed 1]

The sample leans on the lines where automatic labels go wrong: every article run's neighbours,
titles, and short lines, plus random boilerplate. Each row: page id, line number, label, text.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", required=True)
    parser.add_argument("--lines", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pages = [json.loads(line) for line in open(HERE / "labels.jsonl", encoding="utf-8")]
    pages = [p for p in pages if "excluded" not in p and p["lang"] == args.lang]
    rng.shuffle(pages)
    rows = []
    for page in pages:
        text = (HERE / "data" / "pages" / f"{page['id']}.txt").read_text("utf-8").splitlines()
        labels = page["labels"]
        interesting = [i for i, lab in enumerate(labels)
                       if lab != "B" or (i + 1 < len(labels) and labels[i + 1] != "B")
                       or (i and labels[i - 1] != "B")]
        pick = rng.sample(interesting, min(2, len(interesting))) + [rng.randrange(len(labels))]
        for i in pick:
            rows.append((page["id"], i + 1, labels[i], text[i][:120]))
        if len(rows) >= args.lines:
            break
    for row in rows[: args.lines]:
        print("\t".join(map(str, row)))


if __name__ == "__main__":
    main()
