"""Score the normaliser (today's rules) on the labelled corpus: the "before" figure for the model.

    python training/score_rules.py [--folds 5] [--errors N]

Each page text (``training/data/pages``, rebuilt by ``build_corpus.py``) is normalised as a user's
source would be; each line then gets the label its decision implies: the title line ``T``; a line
in a block the editions print as the article (paragraph, heading, list, quote, caption) ``A``;
anything else (dropped, or kept only as metadata: byline, date, credit) ``B``. Line accuracy is over
every line; article-line accuracy over the lines whose reference label is ``T`` or ``A``. Figures
are given overall, per language, and per site-grouped fold (the folds the model is evaluated on:
no site in two folds), so the rules and the model are compared on the same pages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pipeline.model import Caption, Heading, ListBlock, Paragraph, Quote  # noqa: E402
from pipeline.normalise import normalise_text  # noqa: E402


def pages(require_text: bool = True) -> list[dict]:
    """The kept pages of ``labels.jsonl`` (with their text when it has been built)."""
    out = []
    for line in open(HERE / "labels.jsonl", encoding="utf-8"):
        page = json.loads(line)
        if "excluded" in page:
            continue
        path = HERE / "data" / "pages" / f"{page['id']}.txt"
        if path.exists():
            page["text"] = path.read_text("utf-8")
            if hashlib.sha256(page["text"].encode("utf-8")).hexdigest() != page["sha256"]:
                raise SystemExit(f"{path}: not the text that was labelled; rebuild with build_corpus.py")
        elif require_text:
            raise SystemExit(f"{path} is missing: run training/build_corpus.py first")
        out.append(page)
    return out


def fold_of(site: str, folds: int) -> int:
    """A site's fold: fixed by its name alone, so adding pages never moves a site."""
    return int(hashlib.sha256(site.encode("utf-8")).hexdigest(), 16) % folds


def rule_labels(text: str, roles: object = False) -> str:
    """The label each line gets from the normaliser (the rules alone unless ``roles`` says otherwise:
    True for the shipped model, or a :class:`~pipeline.normalise.roles.RoleModel`)."""
    result = normalise_text(text, name="page", roles=roles)  # type: ignore[arg-type]
    return doc_labels(result.document, text.count("\n"))


def doc_labels(doc, n: int) -> str:
    """T, A or B for each of the first ``n`` physical lines, from what ``doc`` prints."""
    labels = ["B"] * n
    for block in doc.blocks:
        if isinstance(block, (Paragraph, Heading, ListBlock, Quote, Caption)):
            for line in block.lines:
                if 1 <= line <= n:
                    labels[line - 1] = "A"
    for line in doc.meta.lines.get("title", ()):
        if 1 <= line <= n:
            labels[line - 1] = "T"
    return "".join(labels)


class Tally:
    def __init__(self) -> None:
        self.lines = self.right = self.article = self.article_right = 0

    def add(self, gold: str, guess: str) -> None:
        for g, p in zip(gold, guess, strict=True):
            self.lines += 1
            self.right += g == p
            if g != "B":
                self.article += 1
                self.article_right += g == p

    def row(self, name: str) -> str:
        return (f"{name:12s} {self.lines:7d} lines  line acc {self.right / max(1, self.lines):.3f}   "
                f"article lines {self.article:6d}  acc {self.article_right / max(1, self.article):.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--errors", type=int, default=0, help="print this many wrong lines")
    args = parser.parse_args()
    tallies: dict[str, Tally] = defaultdict(Tally)
    wrong = []
    for page in pages():
        guess = rule_labels(page["text"])
        gold = page["labels"]
        for key in ("all", page["lang"], f"fold {fold_of(page['site'], args.folds)}"):
            tallies[key].add(gold, guess)
        text = page["text"].splitlines()
        wrong += [(page["id"], i + 1, g, p, text[i][:80])
                  for i, (g, p) in enumerate(zip(gold, guess, strict=True)) if g != p]
    for key in sorted(tallies, key=lambda k: (k != "all", k.startswith("fold"), k)):
        print(tallies[key].row(key))
    for row in wrong[: args.errors]:
        print("\t".join(map(str, row)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
