"""The benchmark runs with its one documented command and prints its table (a tiny, peerless run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import bench  # noqa: E402

BENCH = ROOT / "benchmarks" / "bench.py"


def test_quick_benchmark_prints_the_table_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--articles", "4", "--runs", "1", "--no-peers",
         "--json", str(out), "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for label in ("publish --help", "publish all, cold", "publish all, warm", "publish pdf, warm",
                  "publish epub, cold", "publish docx, warm", "batch: publish all -j2, cold",
                  "ratio (our time / theirs)", "peers skipped"):
        assert label in run.stdout, label
    data = json.loads(out.read_text("utf-8"))
    assert data["cases"]["all-warm"]["ok"] and data["cases"]["all-warm"]["median_s"] > 0
    assert data["cases"]["batch-cold"]["items"] == 4
    assert data["cases"]["batch-cold"]["per_second"] > 0
    assert all(row["ratio"] is None for row in data["ratios"])  # no peers, no ratios


def test_measure_reports_wall_time_rss_and_failures() -> None:
    ok = bench.measure([sys.executable, "-c", "b = bytearray(60 * 2**20)"])
    assert ok.returncode == 0 and ok.seconds > 0 and ok.rss_mb >= 60
    bad = bench.measure([sys.executable, "-c", "import sys; sys.exit('boom')"])
    assert bad.returncode == 1 and "boom" in bad.error


def test_batch_articles_are_distinct_and_reproducible(tmp_path: Path) -> None:
    files = bench.corpus_files([], ROOT / "source" / "article.txt")
    a = bench.make_batch(tmp_path / "a", 12, 8, 7, files)
    b = bench.make_batch(tmp_path / "b", 12, 8, 7, files)
    texts = [p.read_text("utf-8") for p in a]
    assert texts == [p.read_text("utf-8") for p in b]  # fixed seed: the same batch every time
    assert len({frozenset(t) for t in texts}) > 6  # character sets differ between articles
    assert all(t.count("\n\n") >= 9 for t in texts)  # title, a heading and 8 paragraphs


def test_peers_get_the_text_literally() -> None:
    doc = {"meta": {"title": 'A "t" #1', "lang": "zh-Hant"},
           "blocks": [{"type": "heading", "level": 1, "text": "*h*"},
                      {"type": "paragraph", "runin": "R.", "text": 'x <b> $1 \\ "q" #set'},
                      {"type": "list", "items": ["a_b"], "ordered": True},
                      {"type": "quote", "text": "q", "attribution": "w"},
                      {"type": "caption", "text": "c", "credit": "d"}]}
    md = bench.to_markdown(doc)
    assert 'title: "A \\"t\\" #1"' in md and "# \\*h\\*" in md
    assert "**R\\.**x \\<b\\> \\$1 \\\\ \\\"q\\\" \\#set" in md and "1. a\\_b" in md
    typ = bench.to_typst(doc)
    assert '= #"*h*"' in typ and '#strong("R.")#"x <b> $1 \\\\ \\"q\\" #set"' in typ
    assert '+ #"a_b"' in typ and "Noto Serif CJK TC" in typ
