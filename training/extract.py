"""Features of every training page, and cross-validation through the real normaliser.

:func:`extract_all` reads each page as the product does (cleaned, normalised by the rules alone,
then :func:`pipeline.normalise.roles.page_features`), so the features the model is trained on are
exactly those it sees at run time. :func:`product_cv` scores the normaliser itself, with each
fold's model arbitrating, on pages of sites that model never saw, and writes the article text it
prints for each page to ``data/ours.jsonl`` (for the content-token F1 against the peers).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pipeline.normalise import normalise_text  # noqa: E402
from pipeline.normalise.clean import clean  # noqa: E402
from pipeline.normalise.roles import page_features  # noqa: E402
from training.cases import case_pages  # noqa: E402
from training.score_rules import Tally, doc_labels, fold_of, pages  # noqa: E402

#: the article text each page gets out of fold (for training/peers.py --ours)
OURS = HERE / "data" / "ours.jsonl"


def _extract(page: dict) -> dict:
    text = page["text"]
    cleaned = clean(text).text
    doc = normalise_text(text, name="page", roles=False).document
    idx, rows = page_features(cleaned, doc)
    physical = cleaned.split("\n")
    rules_all = doc_labels(doc, len(physical))
    rules = "".join(rules_all[i] for i in idx)
    if "oracle" in page:
        labels = "".join(page["oracle"].get(k + 1, rules[k]) for k in range(len(idx)))
    else:
        labels = "".join(page["labels"][i] for i in idx)
    return {"id": page["id"], "site": page["site"], "lang": page["lang"], "labels": labels,
            "rules": rules, "rows": rows}


def all_pages() -> list[dict]:
    """The corpus pages (with their texts) and the golden cases, in id order."""
    return sorted(pages() + case_pages(), key=lambda p: p["id"])


def extract_all(workers: int = 2) -> list[dict]:
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(_extract, all_pages(), chunksize=8))


def article_text(doc) -> str:
    """What the editions print as the article: the title, then every block's text in order (the
    text the content-token F1 against the peers is measured on)."""
    parts = [doc.meta.title]
    for block in doc.blocks:
        parts += [getattr(block, "runin", None) or "", getattr(block, "text", "") or ""]
        parts += list(getattr(block, "items", ()))
    return "\n".join(p for p in parts if p)


def _product(args: tuple) -> tuple[str, str, str]:
    model, page = args
    text = clean(page["text"]).text
    doc = normalise_text(page["text"], name="page", roles=model).document
    physical = text.split("\n")
    labels = doc_labels(doc, len(physical))
    return (page["id"], "".join(labels[i] for i, line in enumerate(physical) if line.strip()),
            article_text(doc))


def product_cv(feats: list[dict], folds: int, values: dict[str, float]) -> None:
    """Each fold's model inside the normaliser, on that fold's pages: the figures users get."""
    from training.train import _order, model_of, train

    texts = {p["id"]: p for p in all_pages()}
    tallies: dict[str, Tally] = defaultdict(Tally)
    ours: dict[str, str] = {}
    for k in range(folds):
        test = [p for p in feats if fold_of(p["site"], folds) == k]
        model = model_of(train([p for p in feats if fold_of(p["site"], folds) != k]), values)
        with ProcessPoolExecutor(2) as pool:
            done = list(pool.map(_product, [(model, texts[p["id"]]) for p in test], chunksize=8))
        got = {pid: labels for pid, labels, _ in done}
        ours.update({pid: article for pid, _, article in done})
        for page in test:
            groups = ("cases",) if page["site"].startswith("case:") else ("all", page["lang"], f"fold {k}")
            for key in groups:
                tallies[f"{key}|rules"].add(page["labels"], page["rules"])
                tallies[f"{key}|product"].add(page["labels"], got[page["id"]])
        print(tallies[f"fold {k}|product"].row(f"fold {k}"), file=sys.stderr)
    for key in sorted({k.split("|")[0] for k in tallies}, key=_order):
        print(tallies[f"{key}|rules"].row(f"{key} rules"))
        print(tallies[f"{key}|product"].row(f"{key} product"))
    with open(OURS, "w", encoding="utf-8") as fh:
        for pid in sorted(ours):
            fh.write(json.dumps({"id": pid, "text": ours[pid]}, ensure_ascii=False) + "\n")
