"""Features of every training page, and cross-validation through the real normaliser.

:func:`extract_all` reads each page as the product does (cleaned, normalised by the rules alone,
then :func:`pipeline.normalise.roles.page_features`), so the features the model is trained on are
exactly those it sees at run time. :func:`product_cv` scores the normaliser itself, with each
fold's model arbitrating, on pages of sites that model never saw.
"""

from __future__ import annotations

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


def _product(args: tuple) -> tuple[str, str]:
    model, page = args
    text = clean(page["text"]).text
    doc = normalise_text(page["text"], name="page", roles=model).document
    physical = text.split("\n")
    labels = doc_labels(doc, len(physical))
    return page["id"], "".join(labels[i] for i, line in enumerate(physical) if line.strip())


def product_cv(feats: list[dict], folds: int, values: dict[str, float]) -> None:
    """Each fold's model inside the normaliser, on that fold's pages: the figures users get."""
    from training.train import _order, model_of, train

    texts = {p["id"]: p for p in all_pages()}
    tallies: dict[str, Tally] = defaultdict(Tally)
    for k in range(folds):
        test = [p for p in feats if fold_of(p["site"], folds) == k]
        model = model_of(train([p for p in feats if fold_of(p["site"], folds) != k]), values)
        with ProcessPoolExecutor(2) as pool:
            got = dict(pool.map(_product, [(model, texts[p["id"]]) for p in test], chunksize=8))
        for page in test:
            groups = ("cases",) if page["site"].startswith("case:") else ("all", page["lang"], f"fold {k}")
            for key in groups:
                tallies[f"{key}|rules"].add(page["labels"], page["rules"])
                tallies[f"{key}|product"].add(page["labels"], got[page["id"]])
        print(tallies[f"fold {k}|product"].row(f"fold {k}"), file=sys.stderr)
    for key in sorted({k.split("|")[0] for k in tallies}, key=_order):
        print(tallies[f"{key}|rules"].row(f"{key} rules"))
        print(tallies[f"{key}|product"].row(f"{key} product"))
