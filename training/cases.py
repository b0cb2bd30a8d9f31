"""The golden cases of ``tests/cases/`` as training pages: scraped texts as users save them.

The corpus pages are whole web pages (93 % furniture); the cases are what a scraper usually keeps
(mostly article, some furniture). Both shapes must be read right, so the cases join the training
set, each its own site (so cross-validation scores them out of fold too). Labels come from each
case's hand-written oracle (``expected.md``: title ``T``; dropped, byline and credit lines ``B``;
printed lines ``A``); lines the oracle does not name take the rules' decision.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from pipeline.normalise import decode  # noqa: E402
from tests.score_corpus import oracle_roles  # noqa: E402

_ORACLE = {"title": "T", "DROP": "B", "byline/date": "B", "credit/metadata (not body)": "B"}


def _lang(name: str) -> str:
    head = name.split("_")[0].lower()
    if head.startswith("zh-hant"):
        return "zh-Hant"
    if head.startswith("zh-hans"):
        return "zh-Hans"
    return "en"


def case_pages() -> list[dict]:
    """One page per case with an oracle: id, site, lang, text (decoded) and ``oracle``: non-blank
    line number -> label letter, for the lines the oracle names."""
    out = []
    for case in sorted((ROOT / "tests" / "cases").iterdir()):
        txt, md = case / "input.txt", case / "expected.md"
        if not (txt.exists() and md.exists()):
            continue
        text, _ = decode(txt.read_bytes())
        oracle = {n: _ORACLE.get(role, "A") for n, role in oracle_roles(md.read_text("utf-8")).items()}
        out.append({"id": f"case-{case.name}", "site": f"case:{case.name}", "lang": _lang(case.name),
                    "source": "tests/cases", "text": text, "oracle": oracle})
    return out
