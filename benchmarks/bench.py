#!/usr/bin/env python3
"""Benchmark ``publish`` against the tools people would pick instead: pandoc and Typst.

    python benchmarks/bench.py [--quick] [--json FILE]

Run it with the Python of the environment ``publish`` is installed in (``.venv/bin/python ...``).
Everything is timed as a whole process (start-up and imports included), the way a user runs it:

* the source article (``source/article.txt``): ``publish all`` and each single edition
  (``publish pdf|epub|docx``), cold (an empty font cache: ``PUBLISH_FONT_CACHE`` = a new folder) and
  warm (the cache filled, ``--force`` so nothing is skipped); median of ``--runs`` runs, wall time and
  peak RSS (``ru_maxrss`` of the process and the children it waited for, from ``os.wait4``);
* a batch of ``--articles`` distinct articles of ``--paragraphs`` paragraphs dealt out from the corpus
  (``tests/cases/*/input.txt`` and the source article) with a fixed seed, so character sets differ:
  ``publish all --jobs J``, articles per second and peak RSS, cold and warm;
* the peers on the same inputs with the same parallelism, interleaved with ours run by run so the
  ratios are measured side by side: pandoc (PATH, else pypandoc-binary) for EPUB and DOCX, Typst
  (a ``typst`` CLI on PATH, else the ``typst`` PyPI package run as ``python -c``) for the PDF, with
  fonts-noto-cjk. A missing peer is reported and its ratios skipped.

Peers cannot read our scraped text, so they are fed what our normaliser made of it: the YAML
document turned into pandoc Markdown (title and language as metadata, headings, paragraphs with the
run-in head in bold, captions, lists, quotes; every ASCII punctuation mark backslash-escaped) and into
Typst markup (the same blocks, text as string literals, A4, justified, 2-em indent, Noto Serif CJK
for text and Noto Sans CJK for headings). The conversion is not timed: it stands for the user's own
preparation. Ratios are our time divided by theirs (< 1 means we are faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source" / "article.txt"
CASES = ROOT / "tests" / "cases"
NOTO_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto")
EDITIONS = ("pdf", "epub", "docx")

#: the issue's targets, as ratios of our time to the peers' (and MB for memory)
TARGETS = {"all-warm": 1.0, "all-cold": 3.0, "batch": 0.5, "rss-mb": 300.0, "help-s": 0.3}


# --- measuring one process ------------------------------------------------------------------------

@dataclass
class Run:
    """One whole-process run: wall seconds, peak RSS in MB, exit status, the end of stderr, and CPU
    seconds (user + system, children included: steadier than wall time on a shared machine)."""

    seconds: float
    rss_mb: float
    returncode: int
    error: str = ""
    cpu: float = 0.0


def measure(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 3600) -> Run:
    """Run ``cmd`` to completion; ``ru_maxrss`` covers the process and every child it reaped."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                env=env, cwd=cwd)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        error = ""
        if proc.returncode:
            err.seek(0)
            error = err.read().decode("utf-8", "replace")[-2000:].strip()
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, error, usage.ru_utime + usage.ru_stime)


@dataclass
class Case:
    """A measured case: its runs, median wall time and the largest peak RSS seen."""

    name: str
    runs: list[Run] = field(default_factory=list)
    items: int = 1  # articles per run (batch cases)

    def add(self, run: Run) -> None:
        self.runs.append(run)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.returncode == 0 for r in self.runs)

    @property
    def seconds(self) -> float | None:
        return statistics.median(r.seconds for r in self.runs) if self.ok else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(r.cpu for r in self.runs) if self.ok else None

    @property
    def rss_mb(self) -> float | None:
        return max(r.rss_mb for r in self.runs) if self.runs else None

    @property
    def rate(self) -> float | None:
        s = self.seconds
        return self.items / s if s else None

    def failure(self) -> str:
        bad = next((r for r in self.runs if r.returncode), None)
        return f"exit {bad.returncode}: {bad.error.splitlines()[-1] if bad.error else ''}" if bad else ""

    def to_json(self) -> dict[str, Any]:
        return {"median_s": self.seconds, "median_cpu_s": self.cpu, "peak_rss_mb": self.rss_mb,
                "items": self.items, "per_second": self.rate, "ok": self.ok,
                "runs": [asdict(r) for r in self.runs]}


def combine(name: str, parts: list[Case]) -> Case:
    """Tools run one after another: run i of the whole is the sum of run i of each part."""
    out = Case(name, items=parts[0].items if parts else 1)
    for runs in zip(*(p.runs for p in parts), strict=True):
        out.add(Run(sum(r.seconds for r in runs), max(r.rss_mb for r in runs),
                    max((r.returncode for r in runs), key=abs), "\n".join(r.error for r in runs if r.error),
                    sum(r.cpu for r in runs)))
    return out


# --- the peers ------------------------------------------------------------------------------------

@dataclass
class Peers:
    pandoc: list[str] | None = None
    pandoc_version: str = ""
    typst: list[str] | None = None
    typst_version: str = ""
    fonts: str | None = None
    notes: list[str] = field(default_factory=list)

    def pandoc_cmd(self, src: Path, out: Path) -> list[str]:
        assert self.pandoc is not None
        return [*self.pandoc, "--from=markdown", str(src), "-o", str(out)]

    def typst_cmd(self, src: Path, out: Path) -> list[str]:
        assert self.typst is not None
        return [*self.typst, str(src), str(out)]


def find_peers(enabled: bool, pandoc: str | None) -> Peers:
    peers = Peers()
    if not enabled:
        peers.notes.append("peers skipped (--no-peers): no ratios")
        return peers
    path = pandoc or shutil.which("pandoc")
    if not path:
        try:
            import pypandoc  # pypandoc-binary ships a pandoc binary

            path = pypandoc.get_pandoc_path()
        except Exception:  # noqa: BLE001 - any failure means: no pandoc
            path = None
    if path:
        peers.pandoc = [path]
        first = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        peers.pandoc_version = first.strip()
    else:
        peers.notes.append("pandoc not found (apt-get install pandoc, or pip install pypandoc-binary): "
                           "EPUB and DOCX ratios skipped")
    peers.fonts = next((d for d in NOTO_DIRS if Path(d, "NotoSerifCJK-Regular.ttc").is_file()), None)
    cli = shutil.which("typst")
    if cli:
        font_args = ["--font-path", peers.fonts, "--ignore-system-fonts"] if peers.fonts else []
        peers.typst = [cli, "compile", *font_args]
        version = subprocess.run([cli, "--version"], capture_output=True, text=True)
        peers.typst_version = version.stdout.strip()
    else:
        try:
            import typst

            fonts = [peers.fonts] if peers.fonts else []
            code = ("import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], "
                    f"font_paths={fonts!r}, ignore_system_fonts={bool(fonts)!r})")
            peers.typst = [sys.executable, "-c", code]
            peers.typst_version = f"typst (PyPI) {getattr(typst, '__version__', '?')}, run as python -c"
        except ImportError:
            peers.notes.append("Typst not found (pip install typst): PDF ratios skipped")
    if peers.typst and not peers.fonts:
        peers.notes.append("fonts-noto-cjk not installed: Typst uses whatever fonts it finds "
                           "(apt-get install fonts-noto-cjk)")
    return peers


_MD_ESCAPE = re.compile(r"([!-/:-@\[-`{-~])")


def _md(text: str) -> str:
    return _MD_ESCAPE.sub(r"\\\1", " ".join(str(text).split()))


def _typ(text: str) -> str:
    """A Typst string literal: the text is printed as is, never read as markup."""
    body = " ".join(str(text).split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{body}"'


def to_markdown(doc: dict[str, Any]) -> str:
    """Pandoc Markdown for the document: metadata block, then the blocks in reading order."""
    meta = doc.get("meta", {})
    head = {"title": str(meta.get("title", "")), "lang": str(meta.get("lang", "und"))}
    if meta.get("author"):
        head["author"] = str(meta["author"])
    out = ["---", *(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in head.items()), "---", ""]
    for block in doc.get("blocks", []):
        kind = block.get("type")
        if kind == "heading":
            out.append("#" * int(block.get("level", 1)) + " " + _md(block["text"]))
        elif kind == "paragraph":
            runin = f"**{_md(block['runin'])}**" if block.get("runin") else ""
            out.append(runin + _md(block["text"]))
        elif kind == "caption":
            credit = f" ({_md(block['credit'])})" if block.get("credit") else ""
            out.append(f"*{_md(block['text'])}*{credit}")
        elif kind == "list":
            for n, item in enumerate(block.get("items", []), 1):
                out.append(f"{n}. {_md(item)}" if block.get("ordered") else f"- {_md(item)}")
        elif kind == "quote":
            out.append("> " + _md(block["text"]))
            if block.get("attribution"):
                out.append(">\n> — " + _md(block["attribution"]))
        out.append("")
    return "\n".join(out)


def to_typst(doc: dict[str, Any]) -> str:
    """Typst markup for the document, set much as our PDF is: A4, justified, indented, CJK fonts."""
    meta = doc.get("meta", {})
    lang = str(meta.get("lang", "zh-Hant"))
    region = "SC" if lang.startswith("zh-Hans") or lang in ("zh-CN", "zh-SG") else "TC"
    code = "zh" if lang.startswith("zh") else lang.split("-")[0]
    out = [
        f"#set document(title: {_typ(meta.get('title', ''))})",
        '#set page(paper: "a4", margin: (top: 22mm, bottom: 22mm, x: 20mm), numbering: "1")',
        f'#set text(font: ("Libertinus Serif", "Noto Serif CJK {region}"), size: 10.5pt, lang: "{code}")',
        "#set par(justify: true, first-line-indent: (amount: 2em, all: true))",
        f'#show heading: set text(font: ("Noto Sans CJK {region}"), weight: "bold")',
        f'#align(center, text(font: "Noto Sans CJK {region}", size: 18pt, weight: "bold", '
        f"{_typ(meta.get('title', ''))}))",
        "",
    ]
    for block in doc.get("blocks", []):
        kind = block.get("type")
        if kind == "heading":
            out.append("=" * int(block.get("level", 1)) + f" #{_typ(block['text'])}")
        elif kind == "paragraph":
            runin = f"#strong({_typ(block['runin'])})" if block.get("runin") else ""
            out.append(runin + f"#{_typ(block['text'])}")
        elif kind == "caption":
            credit = f"#h(1em)#{_typ(block['credit'])}" if block.get("credit") else ""
            out.append(f'#text(font: "Noto Sans CJK {region}", size: 9pt, {_typ(block["text"])}){credit}')
        elif kind == "list":
            mark = "+" if block.get("ordered") else "-"
            out.extend(f"{mark} #{_typ(item)}" for item in block.get("items", []))
        elif kind == "quote":
            attribution = f", attribution: {_typ(block['attribution'])}" if block.get("attribution") else ""
            out.append(f"#quote(block: true{attribution}, {_typ(block['text'])})")
        out.append("")
    return "\n".join(out)


def peer_inputs(yaml_files: Iterable[Path], folder: Path) -> list[tuple[Path, Path]]:
    """Write NAME.md and NAME.typ for each YAML document; the (markdown, typst) pairs."""
    import yaml  # a dependency of publish

    folder.mkdir(parents=True, exist_ok=True)
    pairs = []
    for path in sorted(yaml_files):
        doc = yaml.safe_load(path.read_text("utf-8"))
        md, typ = folder / f"{path.stem}.md", folder / f"{path.stem}.typ"
        md.write_text(to_markdown(doc), "utf-8")
        typ.write_text(to_typst(doc), "utf-8")
        pairs.append((md, typ))
    return pairs


# --- the batch ------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_HANS = set("这个们说对时国会来为发经产实现业动没从过还进开关")
_HANT = set("這個們說對時國會來為發經產實現業動沒從過還進開關")


def _group(text: str) -> str:
    if len(_CJK.findall(text)) < len(text) * 0.2:
        return "latin"
    hans = sum(c in _HANS for c in text)
    hant = sum(c in _HANT for c in text)
    return "hans" if hans > hant else "hant"


def corpus_files(extra: list[Path], source: Path) -> list[Path]:
    """tests/cases/*/input.txt, any --corpus folders' *.txt, and the source article."""
    files = sorted(CASES.glob("*/input.txt")) if CASES.is_dir() else []
    for folder in extra:
        files += sorted(p for p in folder.glob("*.txt") if not p.name.endswith(".expected.txt"))
    if source.is_file():
        files.append(source)
    return files


def paragraph_pools(files: list[Path]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Body paragraphs and heading-like short lines from UTF-8 texts, by script group."""
    bodies: dict[str, list[str]] = {}
    heads: dict[str, list[str]] = {}
    for path in files:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # a non-UTF-8 test case: the batch needs no decoding tests
        group = _group(text)
        for chunk in re.split(r"\n\s*\n", text):
            line = " ".join(chunk.split())
            if not line or "<" in line or "http" in line or "\ufffd" in line:
                continue
            cjk = group != "latin"
            if len(line) >= (40 if cjk else 160) and line[-1] in "。！？」”.!?\"'":
                bodies.setdefault(group, []).append(line)
            elif (4 if cjk else 12) <= len(line) <= (24 if cjk else 70) and line[-1] not in "。，,.:：":
                heads.setdefault(group, []).append(line)
    for pools in (bodies, heads):
        for key in pools:
            pools[key] = sorted(set(pools[key]))
    return bodies, heads


def make_batch(folder: Path, count: int, paragraphs: int, seed: int, files: list[Path]) -> list[Path]:
    """``count`` articles: a title, ``paragraphs`` paragraphs from one script group, one heading."""
    bodies, heads = paragraph_pools(files)
    bodies = {k: v for k, v in bodies.items() if len(v) >= 2}
    if not bodies:
        raise SystemExit(f"bench: no usable paragraphs in {', '.join(map(str, files)) or 'the corpus'}")
    rng = random.Random(seed)
    groups = sorted(bodies)
    weights = [len(bodies[g]) for g in groups]
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n in range(count):
        group = rng.choices(groups, weights)[0]
        pool = bodies[group]
        chosen = [pool[rng.randrange(len(pool))] for _ in range(paragraphs)] if len(pool) < paragraphs \
            else rng.sample(pool, paragraphs)
        titles = heads.get(group) or [p[:18] for p in pool]
        title = rng.choice(titles)
        lines = [title, ""]
        for i, para in enumerate(chosen):
            if i == paragraphs // 2 and heads.get(group):
                lines += [rng.choice(heads[group]), ""]
            lines += [para, ""]
        path = folder / f"art-{n:04d}.txt"
        path.write_text("\n".join(lines), "utf-8")
        out.append(path)
    return out


# --- the benchmark --------------------------------------------------------------------------------

class Bench:
    def __init__(self, args: argparse.Namespace, work: Path):
        self.args = args
        self.work = work
        self.publish = args.publish or str(Path(sys.executable).parent / "publish")
        if not Path(self.publish).exists():
            self.publish = shutil.which("publish") or self.publish
        self.env = {**os.environ, "SOURCE_DATE_EPOCH": "1585267200"}
        self.env.pop("PUBLISH_FONT_CACHE", None)
        # An installed package has its bytecode compiled; a development shell that disables writing
        # it would make every run compile publish from source, which no user's run does.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.cases: dict[str, Case] = {}
        self._fresh = 0

    def case(self, name: str, items: int = 1) -> Case:
        return self.cases.setdefault(name, Case(name, items=items))

    def fresh_cache(self) -> Path:
        self._fresh += 1
        path = self.work / "caches" / f"cold-{self._fresh}"
        path.mkdir(parents=True)
        return path

    def ours(self, edition: str, sources: Path, out: Path, cache: Path, jobs: int | None = None) -> Run:
        cmd = [self.publish, "-q", edition, str(sources), "-o", str(out), "--force"]
        if jobs:
            cmd += ["--jobs", str(jobs)]
        return measure(cmd, env={**self.env, "PUBLISH_FONT_CACHE": str(cache)}, cwd=self.work)

    def prepare(self, sources: Path, out: Path, cache: Path, jobs: int | None = None) -> None:
        """An untimed build: fills the warm cache and makes the YAML the peers are fed."""
        run = self.ours("all", sources, out, cache, jobs)
        if run.returncode:
            raise SystemExit(f"bench: publish all {sources} failed ({self.publish}):\n{run.error}")

    def single(self, peers: Peers) -> None:
        args = self.args
        src = self.work / "single" / "source"
        src.mkdir(parents=True)
        shutil.copy(args.source, src / args.source.name)
        warm = self.work / "caches" / "warm"
        self.prepare(src, self.work / "single" / "prep", warm)
        pairs = peer_inputs((self.work / "single" / "prep").glob("*.yaml"), self.work / "single" / "peer")
        md, typ = pairs[0]
        peer_out = self.work / "single" / "peer-out"
        peer_out.mkdir()
        steps: list[tuple[str, Callable[[], Run]]] = [
            ("help", lambda: measure([self.publish, "--help"], env=self.env, cwd=self.work)),
        ]
        for edition in ("all", *EDITIONS):
            steps.append((f"{edition}-cold", lambda e=edition: self.ours(
                e, src, self.work / "single" / f"out-cold-{self._fresh}", self.fresh_cache())))
            steps.append((f"{edition}-warm", lambda e=edition: self.ours(
                e, src, self.work / "single" / "out-warm", warm)))
        if peers.pandoc:
            for fmt in ("epub", "docx"):
                steps.append((f"pandoc-{fmt}", lambda f=fmt: measure(
                    peers.pandoc_cmd(md, peer_out / f"article.{f}"), cwd=self.work)))
        if peers.typst:
            steps.append(("typst-pdf", lambda: measure(peers.typst_cmd(typ, peer_out / "article.pdf"),
                                                       cwd=self.work)))
        for i in range(args.runs):  # interleaved: every case sees the same machine, run by run
            for name, step in steps:
                self.case(name).add(step())
            self.progress(f"article run {i + 1}/{args.runs}")

    def batch(self, peers: Peers) -> None:
        args = self.args
        if args.articles <= 0:
            return
        files = corpus_files(args.corpus, args.source)
        src = self.work / "batch" / "source"
        make_batch(src, args.articles, args.paragraphs, args.seed, files)
        self.progress(f"batch: {args.articles} articles from {len(files)} corpus files")
        jobs = args.jobs
        n = args.articles
        cold_out = self.work / "batch" / "out-cold"
        for i in range(args.batch_runs):
            cache = self.fresh_cache()
            out = cold_out if i == 0 else self.work / "batch" / f"out-cold-{i}"
            self.case("batch-cold", n).add(self.ours("all", src, out, cache, jobs))
            self.case("batch-warm", n).add(self.ours("all", src, out, cache, jobs))
            if i == 0:
                if not self.case("batch-cold").ok:
                    self.progress(f"batch failed: {self.case('batch-cold').failure()}")
                    return
                pairs = peer_inputs(cold_out.glob("*.yaml"), self.work / "batch" / "peer")
            if peers.pandoc or peers.typst:
                self.case("batch-peers", n).add(self.peer_batch(peers, pairs, jobs))
            self.progress(f"batch run {i + 1}/{args.batch_runs}")

    def peer_batch(self, peers: Peers, pairs: list[tuple[Path, Path]], jobs: int) -> Run:
        """Each article through each peer, one process per edition, ``jobs`` articles at a time."""
        out = self.work / "batch" / "peer-out"
        out.mkdir(exist_ok=True)

        def one(pair: tuple[Path, Path]) -> list[Run]:
            md, typ = pair
            runs = []
            if peers.pandoc:
                for fmt in ("epub", "docx"):
                    runs.append(measure(peers.pandoc_cmd(md, out / f"{md.stem}.{fmt}"), cwd=self.work))
            if peers.typst:
                runs.append(measure(peers.typst_cmd(typ, out / f"{typ.stem}.pdf"), cwd=self.work))
            return runs

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            runs = [r for rs in pool.map(one, pairs) for r in rs]
        seconds = time.perf_counter() - started
        bad = next((r for r in runs if r.returncode), None)
        return Run(seconds, max(r.rss_mb for r in runs), bad.returncode if bad else 0,
                   bad.error if bad else "", sum(r.cpu for r in runs))

    def progress(self, message: str) -> None:
        if not self.args.quiet:
            print(f"bench: {message}", file=sys.stderr, flush=True)


# --- reporting ------------------------------------------------------------------------------------

def _f(value: float | None, fmt: str = "{:.3f}") -> str:
    return fmt.format(value) if value is not None else "—"


def ratios(cases: dict[str, Case], peers: Peers) -> list[dict[str, Any]]:
    """Our time / theirs for each comparable pair; a missing peer gives a row saying so."""
    rows = []

    def add(ours: str, theirs: str, label: str, target: float | None) -> None:
        a, b = cases.get(ours), cases.get(theirs)
        if a is None:
            return
        ratio = a.seconds / b.seconds if (b is not None and a.seconds and b.seconds) else None
        cpu = a.cpu / b.cpu if (b is not None and a.cpu and b.cpu) else None
        rows.append({"ours": ours, "peer": theirs if b is not None else None, "label": label,
                     "ratio": ratio, "cpu_ratio": cpu, "target": target,
                     "met": None if ratio is None or target is None else ratio <= target})

    row_peers = [c for c in ("pandoc-epub", "pandoc-docx", "typst-pdf") if c in cases]
    if len(row_peers) == 3:
        cases["peers-in-a-row"] = combine("peers-in-a-row", [cases[c] for c in row_peers])
    add("all-warm", "peers-in-a-row", "publish all, warm / the three peers in a row", TARGETS["all-warm"])
    add("all-cold", "peers-in-a-row", "publish all, cold / the three peers in a row", TARGETS["all-cold"])
    for temp in ("warm", "cold"):
        add(f"pdf-{temp}", "typst-pdf", f"publish pdf, {temp} / typst", None)
        add(f"epub-{temp}", "pandoc-epub", f"publish epub, {temp} / pandoc", None)
        add(f"docx-{temp}", "pandoc-docx", f"publish docx, {temp} / pandoc", None)
    add("batch-cold", "batch-peers", "batch, cold cache: our time / peers' time", TARGETS["batch"])
    add("batch-warm", "batch-peers", "batch, warm cache: our time / peers' time", TARGETS["batch"])
    return rows


def report(bench: Bench, peers: Peers) -> dict[str, Any]:
    cases, args = bench.cases, bench.args
    rows = ratios(cases, peers)
    lines = [f"publish benchmark: {args.source.name}, median of {args.runs} run(s); batch of {args.articles} "
             f"articles x {args.paragraphs} paragraphs, --jobs {args.jobs}, {args.batch_runs} run(s); "
             f"{os.cpu_count()} cores", ""]
    lines.append(f"{'case':<34}{'median s':>10}{'cpu s':>8}{'peak MB':>9}{'articles/s':>12}  note")
    labels = {
        "help": "publish --help", "peers-in-a-row": "peers: pandoc x2 + typst in a row",
        "pandoc-epub": "peer: pandoc -> EPUB", "pandoc-docx": "peer: pandoc -> DOCX",
        "typst-pdf": "peer: typst -> PDF", "batch-peers": "batch: peers (3 processes/article)",
    }
    order = ["help", *(f"{e}-{t}" for e in ("all", *EDITIONS) for t in ("cold", "warm")),
             "pandoc-epub", "pandoc-docx", "typst-pdf", "peers-in-a-row", "batch-cold", "batch-warm",
             "batch-peers"]
    for name in order:
        c = cases.get(name)
        if c is None:
            continue
        if name in labels:
            label = labels[name]
        elif name.startswith("batch"):
            label = f"batch: publish all -j{args.jobs}, {name[6:]}"
        else:
            label = f"publish {name.replace('-', ', ')}"
        rate = _f(c.rate, "{:.2f}") if c.items > 1 else ""
        note = "" if c.ok else c.failure()
        if name == "help" and c.seconds is not None:
            note = "target < 0.3 s: " + ("met" if c.seconds < TARGETS["help-s"] else "NOT met")
        elif c.rss_mb is not None and not name.startswith(("pandoc", "typst", "peers", "batch-peers")):
            note = note or ("" if c.rss_mb < TARGETS["rss-mb"] else "peak RSS over 300 MB")
        lines.append(f"{label:<34}{_f(c.seconds):>10}{_f(c.cpu, '{:.2f}'):>8}{_f(c.rss_mb, '{:.0f}'):>9}"
                     f"{rate:>12}  {note}")
    lines += ["", f"{'ratio (our time / theirs)':<52}{'wall':>8}{'cpu':>8}{'target':>9}  "]
    for row in rows:
        target = f"<= {row['target']:g}" if row["target"] is not None else ""
        if row["peer"] is None:
            state = "peer missing: skipped"
        elif row["ratio"] is None:
            state = "a run failed: no ratio"
        else:
            state = "" if row["met"] is None else ("met" if row["met"] else "NOT met")
        lines.append(f"{row['label']:<52}{_f(row['ratio'], '{:.2f}x'):>8}{_f(row['cpu_ratio'], '{:.2f}x'):>8}"
                     f"{target:>9}  {state}")
    batch = [r for r in rows if r["ours"].startswith("batch") and r["ratio"]]
    for r in batch:
        lines.append(f"  {r['ours']}: {1 / r['ratio']:.2f}x the peers' throughput (target >= 2)")
    lines.append("")
    if peers.pandoc_version or peers.typst_version:
        lines.append(f"peers: {peers.pandoc_version or 'no pandoc'}; {peers.typst_version or 'no typst'}; "
                     f"fonts: {peers.fonts or 'no fonts-noto-cjk'}")
    lines += [f"note: {n}" for n in peers.notes]
    print("\n".join(lines))
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0],
                    "platform": platform.platform()},
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
                     if k not in ("json", "corpus")},
        "publish": bench.publish,
        "peers": {"pandoc": peers.pandoc, "pandoc_version": peers.pandoc_version, "typst": peers.typst,
                  "typst_version": peers.typst_version, "fonts": peers.fonts, "notes": peers.notes},
        "cases": {name: c.to_json() for name, c in cases.items()},
        "ratios": rows,
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="1 run, 20 articles (a smoke run, noisy figures)")
    p.add_argument("--runs", type=int, help="runs per single-article case (default 5; --quick 1)")
    p.add_argument("--articles", type=int, help="batch articles (default 200; --quick 20; 0 = none)")
    p.add_argument("--batch-runs", type=int, default=1, help="runs of the batch (default 1)")
    p.add_argument("--paragraphs", type=int, default=8, help="paragraphs per batch article (default 8)")
    p.add_argument("--jobs", type=int, default=2, help="batch parallelism, ours and peers' (default 2)")
    p.add_argument("--seed", type=int, default=20200327, help="seed for dealing out the batch")
    p.add_argument("--source", type=Path, default=SOURCE, help="single article (default source/article.txt)")
    p.add_argument("--corpus", type=Path, action="append", default=[],
                   help="another folder of *.txt articles to deal the batch from")
    p.add_argument("--no-peers", action="store_true", help="do not run pandoc and Typst (no ratios)")
    p.add_argument("--pandoc", help="the pandoc binary (default: PATH, else pypandoc-binary's)")
    p.add_argument("--publish", help="the publish command (default: beside this Python, else PATH)")
    p.add_argument("--json", type=Path, help="also write the figures here as JSON")
    p.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    args = p.parse_args(argv)
    args.runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    args.articles = args.articles if args.articles is not None else (20 if args.quick else 200)
    if args.runs < 1 or args.jobs < 1 or args.paragraphs < 1 or args.batch_runs < 1:
        p.error("--runs, --jobs, --paragraphs and --batch-runs must be at least 1")
    args.source = args.source.resolve()
    if not args.source.is_file():
        p.error(f"{args.source}: no such article")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    peers = find_peers(not args.no_peers, args.pandoc)
    for note in peers.notes:
        print(f"bench: {note}", file=sys.stderr)
    if args.keep:
        if args.keep.exists():
            shutil.rmtree(args.keep)
        args.keep.mkdir(parents=True)
        work = args.keep.resolve()
    else:
        work = Path(tempfile.mkdtemp(prefix="publish-bench-"))
    try:
        bench = Bench(args, work)
        bench.single(peers)
        bench.batch(peers)
        data = report(bench, peers)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return 0 if all(c.ok for c in bench.cases.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
