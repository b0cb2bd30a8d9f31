"""Peers' content-token F1 on the corpus: our article text beside readability-lxml's and trafilatura's.

    python training/peers.py --source waddle=PATH/TO/waddle-clone [--workers 2] [--timeout 120]
    python training/peers.py --ours FILE.jsonl [--name model]

Line roles do not apply to the peers (they read HTML, not our lines), so every system is scored by
the content tokens of the article text it prints against the reference text (title and article):
a bag of tokens with multiplicity, each Han, kana or hangul character one token, any other run of
word characters one lower-cased token (:func:`tokens`). Precision, recall and F1 are given
micro-averaged (token counts summed over the pages) and macro-averaged (mean of per-page figures),
overall and per language (``labels.jsonl``).

* ``rules``: today's normaliser on the page *text* (``training/data/pages``): the title and every
  printed block (paragraph with its run-in head, heading, list items, caption, quote).
* ``readability``: readability-lxml on the page's *HTML*, ``Document(html).summary()``, its text one
  line per block (:func:`training.corpus.page_lines`); ``readability+title`` adds ``short_title()``.
* ``trafilatura``: ``trafilatura.extract(html, include_comments=False)``, every other option at its
  default (so ``favor_precision`` and ``favor_recall`` are off); ``trafilatura+title`` adds the title
  of ``trafilatura.extract_metadata``. The peers print no title in their main output, which costs
  them the title's tokens of recall: the ``+title`` rows give it back.

Both peers get the same HTML the corpus was built from (the manifest's commit), decoded as the corpus
decodes it. Each extractor call runs in a worker process with a time limit; a call that fails or
runs out of time counts as empty output and is listed. Writes ``training/data/peers.jsonl`` (one
line per page: id, site, lang, the reference text, and per system the token counts), so a later
system is scored with ``--ours``: a JSONL of ``{"id": ..., "text": ...}``, scored on the same
references and added to the file under ``--name``. Deterministic: pages in id order, no clock.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

#: Han (with the compatibility and supplementary planes), kana, hangul: one token per character
_CJK = ("\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u3100-\u312f\u3130-\u318f"
        "\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
        "\uff66-\uff9f\uffa0-\uffdc\u1100-\u11ff\U00020000-\U0003ffff")
_TOKEN = re.compile(f"[{_CJK}]|(?:(?![{_CJK}])\\w)+")
SYSTEMS = ("rules", "readability", "readability+title", "trafilatura", "trafilatura+title")
GROUPS = ("all", "en", "zh-Hans", "zh-Hant")


def tokens(text: str) -> Counter:
    """Content tokens with multiplicity: each Han, kana or hangul character, else lower-cased ``\\w+``."""
    return Counter(_TOKEN.findall(text.lower()))


def f1(pred: Counter, gold: Counter) -> tuple[float, float, float]:
    """(precision, recall, F1) of a bag of tokens against the gold bag (an empty bag: 0, or 1 if both)."""
    return _prf(sum((pred & gold).values()), sum(pred.values()), sum(gold.values()))


def _prf(overlap: int, pred: int, gold: int) -> tuple[float, float, float]:
    p = overlap / pred if pred else float(gold == 0)
    r = overlap / gold if gold else float(pred == 0)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def counts(text: str, gold: Counter) -> dict:
    """What a record keeps of one system on one page: the three token counts."""
    pred = tokens(text)
    return {"pred": sum(pred.values()), "gold": sum(gold.values()), "overlap": sum((pred & gold).values())}


# -- the systems ----------------------------------------------------------------------------------

def document_text(doc) -> str:
    """The article text a Document prints: title, then every block's text, one per line."""
    from pipeline.model import Caption, Heading, ListBlock, Paragraph, Quote

    out = [doc.meta.title or ""]
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            out.append(f"{block.runin} {block.text}" if block.runin else block.text)
        elif isinstance(block, (Heading, Caption, Quote)):
            out.append(block.text)
        elif isinstance(block, ListBlock):
            out.extend(block.items)
    return "\n".join(t for t in out if t) + "\n"


def rules_text(text: str, roles: bool = False) -> str:
    """The normaliser on a page text: the rules alone, or (``roles``) arbitrated by the shipped
    line-role model, as ``publish`` runs it."""
    from pipeline.normalise import NormaliseError, normalise_text

    try:
        return document_text(normalise_text(text, name="page", roles=roles).document)
    except NormaliseError:
        return ""


def readability_text(html: str, title: bool = False) -> str:
    from readability import Document

    from training.corpus import page_lines

    doc = Document(html)
    lines = page_lines(doc.summary())
    return "\n".join(([doc.short_title()] if title else []) + lines) + "\n"


def trafilatura_text(html: str, title: bool = False) -> str:
    import trafilatura

    body = trafilatura.extract(html, include_comments=False) or ""
    head = ""
    if title:
        meta = trafilatura.extract_metadata(html)
        head = (meta.title or "") if meta is not None else ""
    return (head + "\n" + body) if head else body


#: each system: (what it reads, function of that input)
RUNNERS: dict[str, tuple[str, Callable[[str], str]]] = {
    "rules": ("text", rules_text),
    # the shipped model was trained on the corpus: score it there out of fold (--ours), not with this
    "publish": ("text", lambda t: rules_text(t, roles=True)),
    "readability": ("html", readability_text),
    "readability+title": ("html", lambda h: readability_text(h, title=True)),
    "trafilatura": ("html", trafilatura_text),
    "trafilatura+title": ("html", lambda h: trafilatura_text(h, title=True)),
}


def _call(task: tuple[str, str, str]) -> tuple[str, str | None]:
    """Run one system on one input in a worker: (output, failure or None)."""
    system, _page, data = task
    try:
        return RUNNERS[system][1](data), None
    except Exception as exc:  # a peer failing on a page is a result, not a crash
        return "", f"{type(exc).__name__}: {str(exc)[:120]}"


def run_guarded(tasks: list[tuple[str, str, str]], workers: int, timeout: float,
                progress: bool = True) -> list[tuple[str, str | None]]:
    """Every task's (output, failure), in order; a task over ``timeout`` seconds is ended, output empty.

    Results are collected in order; when one runs out of time the pool is ended and the tasks not
    yet collected are started again in a fresh pool (each is a pure function of its input)."""
    results: list[tuple[str, str | None]] = []
    ctx = multiprocessing.get_context("fork")
    while len(results) < len(tasks):
        start = len(results)
        pool = ctx.Pool(workers, maxtasksperchild=200)
        try:
            futures = [pool.apply_async(_call, (task,)) for task in tasks[start:]]
            for i, fut in enumerate(futures):
                try:
                    results.append(fut.get(timeout=timeout))
                except multiprocessing.TimeoutError:
                    results.append(("", f"timeout after {timeout:g} s"))
                    break
                if progress and (start + i + 1) % 200 == 0:
                    print(f"  {start + i + 1}/{len(tasks)}", file=sys.stderr)
        finally:
            pool.terminate()
            pool.join()
    return results


def score_pages(pages: list[dict], systems: Iterable[str], workers: int, timeout: float) -> list[dict]:
    """Per-page records: id, site, lang, gold (the reference text) and each system's token counts.

    Each page needs ``id``, ``site``, ``lang``, ``gold``, ``text`` (the scraper-style page text) and
    ``html`` (the decoded HTML)."""
    systems = list(systems)
    tasks = [(s, p["id"], p[RUNNERS[s][0]]) for p in pages for s in systems]
    outputs = run_guarded(tasks, workers, timeout)
    records = []
    for n, page in enumerate(pages):
        gold = tokens(page["gold"])
        record = {"id": page["id"], "site": page["site"], "lang": page["lang"], "gold": page["gold"],
                  "systems": {}}
        for k, system in enumerate(systems):
            text, failure = outputs[n * len(systems) + k]
            record["systems"][system] = counts(text, gold)
            if failure:
                record["systems"][system]["failed"] = failure
        records.append(record)
    return records


def add_system(records: list[dict], name: str, texts: dict[str, str]) -> int:
    """Score ``texts`` (id → article text) on the records' references; a page with no text scores empty."""
    missing = 0
    for record in records:
        text = texts.get(record["id"])
        missing += text is None
        record["systems"][name] = counts(text or "", tokens(record["gold"]))
    return missing


# -- tables ---------------------------------------------------------------------------------------

def by_lang(record: dict, group: str) -> bool:
    return group in ("all", record["lang"])


def table(records: list[dict], systems: Iterable[str], groups: Iterable[str] = GROUPS,
          match: Callable[[dict, str], bool] = by_lang) -> str:
    """A markdown table: per group and system, micro and macro precision, recall and F1."""
    rows = ["| | system | pages | micro P | micro R | micro F1 | macro P | macro R | macro F1 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for group in groups:
        chosen = [r for r in records if match(r, group)]
        if not chosen:
            continue
        for system in systems:
            got = [r["systems"][system] for r in chosen if system in r["systems"]]
            if not got:
                continue
            micro = _prf(sum(c["overlap"] for c in got), sum(c["pred"] for c in got),
                         sum(c["gold"] for c in got))
            per = [_prf(c["overlap"], c["pred"], c["gold"]) for c in got]
            macro = [sum(x[i] for x in per) / len(per) for i in range(3)]
            cells = " | ".join(f"{v:.3f}" for v in (*micro, *macro))
            rows.append(f"| {group} | {system} | {len(got)} | {cells} |")
    return "\n".join(rows)


def failures(records: list[dict]) -> list[str]:
    return [f"{r['id']}\t{name}\t{c['failed']}" for r in records for name, c in r["systems"].items()
            if "failed" in c]


def write_records(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for record in sorted(records, key=lambda r: r["id"]):
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        raise SystemExit(f"{path} is missing: run this script with --source first")
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def read_ours(path: Path) -> dict[str, str]:
    return {row["id"]: row["text"] for row in map(json.loads, open(path, encoding="utf-8")) if row}


# -- the corpus -----------------------------------------------------------------------------------

def corpus_pages(sources: dict[str, Path]) -> list[dict]:
    """The kept corpus pages with their text, decoded HTML and reference (at the manifest's commit)."""
    import tomllib

    from training.build_corpus import waddle_pages
    from training.corpus import decode, reference_paragraphs
    from training.score_rules import pages as kept_pages

    manifest = tomllib.loads((HERE / "manifest.toml").read_text("utf-8"))
    raw = {}
    for name, spec in sorted(manifest["source"].items()):
        if name not in sources:
            raise SystemExit(f"give --source {name}=PATH (a clone of {spec['repository']})")
        raw.update({p["id"]: p for p in waddle_pages(sources[name], spec)})
    out = []
    for page in kept_pages():
        source = raw[page["id"]]
        gold = "\n".join(reference_paragraphs(decode(source["reference"]))) + "\n"
        out.append({"id": page["id"], "site": page["site"], "lang": page["lang"], "text": page["text"],
                    "html": decode(source["html"]), "gold": gold})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", action="append", default=[], metavar="NAME=PATH",
                        help="a local clone of a manifest source: score rules and the peers on it")
    parser.add_argument("--ours", type=Path, help="JSONL of {id, text}: score it beside the others")
    parser.add_argument("--name", default="ours", help="the --ours system's name in the tables")
    parser.add_argument("--out", type=Path, default=HERE / "data" / "peers.jsonl")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per extractor call")
    args = parser.parse_args()
    if args.source:
        sources = {k: Path(v) for k, v in (item.split("=", 1) for item in args.source)}
        records = score_pages(corpus_pages(sources), SYSTEMS, args.workers, args.timeout)
    else:
        records = read_records(args.out)
    systems = list(SYSTEMS)
    if args.ours:
        missing = add_system(records, args.name, read_ours(args.ours))
        print(f"{args.name}: {missing} pages without text (scored as empty)", file=sys.stderr)
        systems.append(args.name)
    systems += sorted({s for r in records for s in r["systems"]} - set(systems))
    write_records(args.out, records)
    print(table(records, systems))
    for row in failures(records):
        print("failed:", row, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
