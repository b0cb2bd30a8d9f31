"""Build the labelled corpus from the sources in ``training/manifest.toml``.

    python training/build_corpus.py --source waddle=PATH/TO/rundimeco-waddle-checkout

For each source, each page is read from the repository *at the commit the manifest names* (``git
show COMMIT:PATH``, so a newer checkout gives the same corpus), turned into scraper-style text
(:func:`training.corpus.page_lines`) and labelled from its reference (:func:`label_lines`). Writes

* ``training/data/pages/<id>.txt`` — the page texts (not committed: the pages are the publishers'
  text; rebuild them with this script);
* ``training/labels.jsonl`` — one JSON object per page, in id order: ``id``, ``source``, ``site``
  (the registrable domain: the unit of the site-grouped folds), ``lang`` (detected zh-Hant, zh-Hans
  or en), ``labels`` (one letter per line: T title, A article, B boilerplate), ``matched`` (share of
  the reference found in the page), ``sha256`` of the page text (so a rebuilt text is known to be
  the one labelled), and ``excluded`` with the reason when a page is left out.

The same inputs give the same bytes: no clock, no randomness, sorted iteration.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pipeline.normalise.lang import detect  # noqa: E402
from training.corpus import decode, label_lines, page_lines, reference_paragraphs  # noqa: E402

#: second-level labels under which sites register (udn.com.tw, bbc.co.uk...)
_SECOND_LEVEL = {"com", "co", "org", "net", "gov", "edu", "ac", "gc", "nic"}
#: a page whose reference is not found in it (a different version of the page was saved) is left out
MIN_MATCHED = 0.85


def site_of(host: str) -> str:
    """The registrable domain: ``news.sina.com.cn`` → ``sina.com.cn``, ``www.bbc.co.uk`` → ``bbc.co.uk``."""
    parts = host.lower().split(".")
    if len(parts) >= 3 and parts[-2] in _SECOND_LEVEL and len(parts[-1]) == 2:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def git_show(repo: Path, commit: str, path: str) -> bytes | None:
    run = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True)
    return run.stdout if run.returncode == 0 else None


def waddle_pages(repo: Path, spec: dict) -> list[dict]:
    """Pages of Corpus_daniel (waddle): ``html/<id>`` with ``reference/<id>``, languages per doc_lg.json."""
    commit, base = spec["commit"], spec["path"].rstrip("/")
    langs = json.loads(git_show(repo, commit, f"{base}/doc_lg.json") or b"{}")
    listing = subprocess.run(["git", "-C", str(repo), "ls-tree", "--name-only", commit, f"{base}/html/"],
                             capture_output=True, text=True, check=True).stdout.split()
    wanted = set(spec["languages"])
    out = []
    for path in sorted(listing):
        page_id = path.rsplit("/", 1)[1]
        if langs.get(page_id) not in wanted:
            continue
        html = git_show(repo, commit, path)
        reference = git_show(repo, commit, f"{base}/reference/{page_id}")
        host = page_id.split("_")[1]
        out.append({"id": page_id, "site": site_of(host), "html": html, "reference": reference})
    return out


def build(sources: dict[str, Path], out_dir: Path) -> list[dict]:
    manifest = tomllib.loads((HERE / "manifest.toml").read_text("utf-8"))
    pages_dir = out_dir / "pages"
    pages_dir.mkdir(parents=True, exist_ok=True)
    records = []
    for name, spec in sorted(manifest["source"].items()):
        if name not in sources:
            print(f"skipped source {name}: give --source {name}=PATH", file=sys.stderr)
            continue
        for page in waddle_pages(sources[name], spec):
            record = {"id": page["id"], "source": name, "site": page["site"]}
            if page["html"] is None or page["reference"] is None:
                record["excluded"] = "no html or no reference"
                records.append(record)
                continue
            lines = page_lines(decode(page["html"]))
            labelled = label_lines(lines, reference_paragraphs(decode(page["reference"])))
            text = "\n".join(lines) + "\n"
            record.update(lang=detect(text), lines=len(lines), labels=labelled.labels,
                          matched=round(labelled.matched, 3),
                          sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())
            if labelled.matched < MIN_MATCHED:
                record["excluded"] = f"reference only {labelled.matched:.0%} found in the page"
            elif "A" not in labelled.labels:
                record["excluded"] = "no article line found"
            (pages_dir / f"{page['id']}.txt").write_text(text, "utf-8")
            records.append(record)
    records.sort(key=lambda r: r["id"])
    with open(HERE / "labels.jsonl", "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return records


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", action="append", default=[], metavar="NAME=PATH",
                        help="a local clone of a manifest source (pages are read at the manifest's commit)")
    parser.add_argument("--out", type=Path, default=HERE / "data")
    args = parser.parse_args()
    sources = dict(item.split("=", 1) for item in args.source)
    records = build({k: Path(v) for k, v in sources.items()}, args.out)
    kept = [r for r in records if "excluded" not in r]
    by_lang: dict[str, int] = {}
    for r in kept:
        by_lang[r["lang"]] = by_lang.get(r["lang"], 0) + 1
    print(f"{len(records)} pages, {len(kept)} kept ({by_lang}), "
          f"{len({r['site'] for r in kept})} sites; {sum(r['lines'] for r in kept)} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
