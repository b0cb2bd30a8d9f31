"""A held-out batch from sites outside the corpus, with third-party oracles: build, score, sample.

    python training/heldout.py build --source aeb=PATH --source cwced=PATH --source hk=PATH
    python training/heldout.py score [--workers 2] [--timeout 120] [--ours FILE.jsonl --name NAME]
    python training/heldout.py sample --source aeb [--lines 30] [--seed 1]

``build`` reads each source of ``training/heldout.toml`` at its commit (a local clone each: ``PATH``),
leaves out every page whose registrable domain (:func:`training.build_corpus.site_of`) is a corpus
site, or shares its name with one under another suffix (``bbc.com`` for ``bbc.co.uk``), and builds
the rest exactly as the corpus is built: :func:`training.corpus.page_lines` for the scraper-style
text, :func:`training.corpus.label_lines` with the source's reference, the same 85 % found filter.
The references carry no headline except ``hk``'s, so the title oracle of ``aeb`` and ``cwced`` is
the publisher's own: ``og:title``, else ``<title>``; when no line holds it whole, its longest part
between separators (``Headline | Site``). Writes ``training/heldout_labels.jsonl`` (committed: the
format of ``labels.jsonl``) and, ignored by git, ``training/data/heldout/`` (page texts, decoded HTML
and reference texts: title found, then the body).

``score`` (nothing here is tuned on this batch) prints (1) line and article-line accuracy of what
``normalise_text`` decides today (``score_rules.rule_labels``, called at run time, so the same
command scores the model once the normaliser uses it) and (2) content-token F1 of its article text
beside readability-lxml's and trafilatura's on the HTML (:mod:`training.peers`), per language and
per source. ``sample`` prints a seeded sample of labelled lines for the hand check.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pipeline.normalise.lang import detect  # noqa: E402
from training.build_corpus import MIN_MATCHED, git_show, site_of  # noqa: E402
from training.corpus import decode, key, label_lines, page_lines  # noqa: E402

DATA = HERE / "data" / "heldout"
LABELS = HERE / "heldout_labels.jsonl"
_SPACE = re.compile(r"\s+")
_PARTS = re.compile(r"\s+[|\-\u2013\u2014_:·]\s+|_|\s*[|｜]\s*")


def paragraphs(text: str, split_spaces: bool = False) -> list[str]:
    """A plain reference's paragraphs: its lines (or, ``split_spaces``, its space-separated runs)."""
    parts = _SPACE.split(text) if split_spaces else text.splitlines()
    parts = [_SPACE.sub(" ", p).strip() for p in parts]
    return [unicodedata.normalize("NFC", p) for p in parts if p]


def meta_title(markup: str) -> str:
    """The publisher's headline: ``og:title``, else ``<title>``."""
    import html

    og = (re.search(r"""<meta[^>]+property=["']og:title["'][^>]*content=["']([^"']+)""", markup, re.I)
          or re.search(r"""<meta[^>]+content=["']([^"']+)["'][^>]*property=["']og:title""", markup, re.I))
    found = og or re.search(r"<title[^>]*>(.*?)</title>", markup, re.I | re.S)
    return _SPACE.sub(" ", html.unescape(found.group(1))).strip() if found else ""


def html_lang(markup: str) -> str:
    found = re.search(r"""<html[^>]*\slang=["']?([A-Za-z]{2,3})""", markup[:5000], re.I)
    return found.group(1).lower() if found else ""


def page_host(markup: str) -> str:
    """A page saved without its address: its canonical or og:url host, else the site it links most."""
    from collections import Counter

    found = (re.search(r"""<link[^>]+rel=["']?canonical["']?[^>]*href=["']?(?:https?:)?//([A-Za-z0-9.-]+)""",
                       markup, re.I)
             or re.search(r"""og:url["'][^>]*content=["'](?:https?:)?(?://)?([A-Za-z0-9.-]+\.[a-z]+)""",
                          markup, re.I))
    if found:
        return found.group(1).lower()
    links = [site_of(m) for m in re.findall(r"""(?:href|src)=["']?(?:https?:)?//([A-Za-z0-9.-]+)""", markup)]
    sites = Counter(links)  # the most linked site; a tie goes to the one linked first
    return min(sites, key=lambda h: (-sites[h], links.index(h))) if sites else ""


def anywhere(lines: list[str], body: list[str]) -> float:
    """Share of the reference found in the page in any order (to tell a failed alignment from a
    reference the page does not hold)."""
    page = "".join(key(line) for line in lines)
    keys = [key(p) for p in body]
    return sum(len(k) for k in keys if k in page) / max(1, sum(len(k) for k in keys))


def ls(repo: Path, commit: str, path: str) -> list[str]:
    run = subprocess.run(["git", "-C", str(repo), "ls-tree", "--name-only", commit, path.rstrip("/") + "/"],
                         capture_output=True, text=True, check=True)
    return sorted(run.stdout.split())


# -- the sources ----------------------------------------------------------------------------------

def aeb_pages(repo: Path, spec: dict) -> list[dict]:
    """scrapinghub/article-extraction-benchmark: html/<key>.html.gz with ground-truth.json's articleBody."""
    from urllib.parse import urlsplit

    truth = json.loads(git_show(repo, spec["commit"], spec["reference"]))
    out = []
    for digest in sorted(truth):
        data = git_show(repo, spec["commit"], f"{spec['path']}/{digest}.html.gz")
        markup = decode(gzip.decompress(data)) if data else ""
        host = urlsplit(truth[digest]["url"]).hostname or ""
        out.append({"id": f"aeb_{host}_{digest[:16]}", "host": host, "html": markup,
                    "title": meta_title(markup), "body": paragraphs(truth[digest]["articleBody"])})
    return out


def cwced_pages(repo: Path, spec: dict) -> list[dict]:
    """Chinese-Web-Content-Extraction-Dataset: original/<uuid>.html (enveloped) with cleaned/<uuid>.txt."""
    from urllib.parse import urlsplit

    out = []
    for path in ls(repo, spec["commit"], spec["path"]):
        uuid = path.rsplit("/", 1)[1].removesuffix(".html")
        markup = decode(git_show(repo, spec["commit"], path) or b"")
        url = re.match(r"""\s*<text\s+id=["']([^"']*)""", markup)
        markup = re.sub(r"^\s*<text\b[^>]*>|</text>\s*$", "", markup)  # the dataset's envelope
        reference = git_show(repo, spec["commit"], f"{spec['reference']}/{uuid}.txt") or b""
        host = (urlsplit(url.group(1)).hostname or "") if url else page_host(markup)
        out.append({"id": f"cwced_{host}_{uuid[:8]}", "host": host, "html": markup,
                    "title": meta_title(markup), "body": paragraphs(decode(reference))})
    return out


def hk_pages(repo: Path, spec: dict) -> list[dict]:
    """mitul-kalariya/scrapping-webs: test_article_N.json (raw_response, parsed_data) per site branch."""
    out = []
    for branch in spec["branch"]:
        for path in ls(repo, branch["commit"], branch["path"]):
            n = re.search(r"test_article_(\d+)\.json$", path)
            if not n:
                continue
            data = json.loads(git_show(repo, branch["commit"], path))
            data = data[0] if isinstance(data, list) else data
            parsed = data.get("parsed_data", {})
            text = " ".join(parsed.get("text") or [])
            out.append({"id": f"hk_{branch['host']}_{int(n.group(1)):02d}", "host": branch["host"],
                        "html": data.get("raw_response", {}).get("content", ""),
                        "title": " ".join(parsed.get("title") or []),
                        "body": paragraphs(text, split_spaces=True)})
    return out


READERS = {"aeb": aeb_pages, "cwced": cwced_pages, "hk": hk_pages}


def corpus_sites() -> tuple[set[str], set[str]]:
    """The corpus's registrable domains and their names without the suffix (``bbc`` of bbc.co.uk)."""
    sites = {json.loads(line)["site"] for line in open(HERE / "labels.jsonl", encoding="utf-8")}
    return sites, {s.split(".")[0] for s in sites}


def label(lines: list[str], title: str, body: list[str]):
    """Labels from the reference; the title whole, else its longest part between separators."""
    labelled = label_lines(lines, [title] + body)
    parts = sorted((p.strip() for p in _PARTS.split(title)), key=len, reverse=True)
    if "T" not in labelled.labels and parts and parts[0] and parts[0] != title:
        retry = label_lines(lines, [parts[0]] + body)
        if "T" in retry.labels:
            return retry, parts[0]
    return labelled, title if "T" in labelled.labels else ""


def build(sources: dict[str, Path]) -> list[dict]:
    spec = tomllib.loads((HERE / "heldout.toml").read_text("utf-8"))["source"]
    sites, brands = corpus_sites()
    for sub in ("pages", "html", "gold"):
        (DATA / sub).mkdir(parents=True, exist_ok=True)
    records = []
    for name in sorted(spec):
        if name not in sources:
            print(f"skipped source {name}: give --source {name}=PATH", file=sys.stderr)
            continue
        for page in READERS[name](sources[name], spec[name]):
            site = site_of(page["host"])
            record = {"id": page["id"], "source": name, "site": site}
            if site in sites or site.split(".")[0] in brands:
                record["excluded"] = f"corpus site ({site})"
                records.append(record)
                continue
            lines = page_lines(page["html"])
            body = page["body"]
            if body and key(body[0]) and key(body[0]) in key(page["title"]):
                page["title"], body = body[0], body[1:]  # a reference that starts with the headline
            labelled, title = label(lines, page["title"], body)
            text = "\n".join(lines) + "\n"
            lang = detect(text)
            if lang == "en" and html_lang(page["html"]) not in ("", "en"):
                lang = html_lang(page["html"])  # Latin text that is not English
            record.update(lang=lang, lines=len(lines), labels=labelled.labels,
                          matched=round(labelled.matched, 3),
                          sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())
            if labelled.matched < MIN_MATCHED:
                record["excluded"] = (f"reference only {labelled.matched:.0%} found in the page in order "
                                      f"({anywhere(lines, body):.0%} in any order)")
            elif "A" not in labelled.labels:
                record["excluded"] = "no article line found"
            (DATA / "pages" / f"{page['id']}.txt").write_text(text, "utf-8")
            (DATA / "html" / f"{page['id']}.html").write_text(page["html"], "utf-8")
            gold = "\n".join(([title] if title else []) + body) + "\n"
            (DATA / "gold" / f"{page['id']}.txt").write_text(gold, "utf-8")
            records.append(record)
    records.sort(key=lambda r: r["id"])
    with open(LABELS, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return records


def summary(records: list[dict]) -> str:
    out = []
    for name in sorted({r["source"] for r in records}):
        mine = [r for r in records if r["source"] == name]
        kept = [r for r in mine if "excluded" not in r]
        langs = defaultdict(int)
        for r in kept:
            langs[r["lang"]] += 1
        reasons = defaultdict(int)
        for r in mine:
            if "excluded" in r:
                reasons[r["excluded"].split(" (")[0].split(" only")[0]] += 1
        out.append(f"{name}: {len(mine)} pages, {len(kept)} kept {dict(sorted(langs.items()))} from "
                   f"{len({r['site'] for r in kept})} sites; left out {dict(sorted(reasons.items()))}")
    return "\n".join(out)


# -- scoring --------------------------------------------------------------------------------------

def kept_pages() -> list[dict]:
    out = []
    for line in open(LABELS, encoding="utf-8"):
        page = json.loads(line)
        if "excluded" in page:
            continue
        page["text"] = (DATA / "pages" / f"{page['id']}.txt").read_text("utf-8")
        if hashlib.sha256(page["text"].encode("utf-8")).hexdigest() != page["sha256"]:
            raise SystemExit(f"{page['id']}: not the text that was labelled; run build again")
        page["html"] = (DATA / "html" / f"{page['id']}.html").read_text("utf-8")
        page["gold"] = (DATA / "gold" / f"{page['id']}.txt").read_text("utf-8")
        out.append(page)
    return out


MAIN = ("en", "zh-Hans", "zh-Hant")


def groups_of(records: list[dict]) -> list[str]:
    """all, the languages (any but English and Chinese as ``other``), then each source."""
    other = ["other"] if any(r["lang"] not in MAIN for r in records) else []
    return ["all", *(g for g in MAIN if any(r["lang"] == g for r in records)), *other,
            *sorted({f"source {r['source']}" for r in records})]


def in_group(record: dict, group: str) -> bool:
    lang = record["lang"] if record["lang"] in MAIN else "other"
    return group in ("all", lang, f"source {record['source']}")


def line_table(pages: list[dict], guesses: dict[str, str]) -> str:
    from training.score_rules import Tally

    rows = ["| | pages | lines | line accuracy | article lines | article-line accuracy |",
            "| --- | --- | --- | --- | --- | --- |"]
    for group in groups_of(pages):
        tally, n = Tally(), 0
        for page in pages:
            if in_group(page, group):
                tally.add(page["labels"], guesses[page["id"]])
                n += 1
        rows.append(f"| {group} | {n} | {tally.lines:,} | {tally.right / max(1, tally.lines):.3f} | "
                    f"{tally.article:,} | {tally.article_right / max(1, tally.article):.3f} |")
    return "\n".join(rows)


def score(args) -> int:
    from training import peers
    from training.score_rules import rule_labels

    pages = kept_pages()
    for name, roles in (("the rules alone", False),
                        ("publish: the rules arbitrated by the shipped model", True)):
        guesses = {page["id"]: rule_labels(page["text"], roles=roles) for page in pages}
        print(f"Line roles, {name}:\n")
        print(line_table(pages, guesses) + "\n")
    systems = [*peers.SYSTEMS, "publish"]
    records = peers.score_pages(pages, systems, args.workers, args.timeout)
    for record, page in zip(records, pages, strict=True):
        record["source"] = page["source"]
    if args.ours:
        missing = peers.add_system(records, args.name, peers.read_ours(args.ours))
        print(f"{args.name}: {missing} pages without text (scored as empty)", file=sys.stderr)
        systems.append(args.name)
    peers.write_records(DATA / "peers.jsonl", records)
    print("\nContent-token F1 of the article text:\n")
    print(peers.table(records, systems, groups_of(records), match=in_group))
    for row in peers.failures(records):
        print("failed:", row, file=sys.stderr)
    return 0


def sample(args) -> int:
    """Seeded sample of labelled lines, leaning on article runs' edges and titles (as sample_check)."""
    rng = random.Random(args.seed)
    pages = [p for p in map(json.loads, open(LABELS, encoding="utf-8"))
             if "excluded" not in p and p["source"] == args.source]
    rng.shuffle(pages)
    rows = []
    for page in pages:
        text = (DATA / "pages" / f"{page['id']}.txt").read_text("utf-8").splitlines()
        labels = page["labels"]
        edges = [i for i, lab in enumerate(labels) if lab != "B"
                 or (i + 1 < len(labels) and labels[i + 1] != "B") or (i and labels[i - 1] != "B")]
        for i in rng.sample(edges, min(2, len(edges))) + [rng.randrange(len(labels))]:
            rows.append((page["id"], i + 1, labels[i], text[i][:120]))
        if len(rows) >= args.lines:
            break
    for row in rows[: args.lines]:
        print("\t".join(map(str, row)))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="read the sources, label the pages")
    b.add_argument("--source", action="append", default=[], metavar="NAME=PATH")
    s = sub.add_parser("score", help="line accuracy and token F1 on the built batch")
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--timeout", type=float, default=120.0, help="seconds per extractor call")
    s.add_argument("--ours", type=Path, help="JSONL of {id, text}: score it beside the others")
    s.add_argument("--name", default="ours")
    m = sub.add_parser("sample", help="print labelled lines to check by hand")
    m.add_argument("--source", required=True)
    m.add_argument("--lines", type=int, default=30)
    m.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.command == "build":
        records = build({k: Path(v) for k, v in (item.split("=", 1) for item in args.source)})
        print(summary(records))
        return 0
    return score(args) if args.command == "score" else sample(args)


if __name__ == "__main__":
    sys.exit(main())
