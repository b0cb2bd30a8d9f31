"""Defects found by reviewing the integrity work, each as a user would meet it: a stray editor
lock file, hand edits beside the text, long titles, a damaged PDF
trailer, a damaged journal record, full-width digits in a date."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

PUBLISH = str(Path(sys.executable).parent / "publish")
ARTICLE = ROOT / "source" / "article.txt"
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1585267200"}


def publish(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([PUBLISH, *args], cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=timeout)


def test_an_editors_lock_file_in_the_source_folder_does_not_stop_the_build(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "article.txt").write_bytes(ARTICLE.read_bytes())
    os.symlink("user@host.1234:1700000000", src / ".#article.txt")  # what Emacs leaves while editing
    run = publish("pdf", "src", "-o", "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "article.pdf").is_file()


def test_hand_edits_to_the_yaml_beside_its_text_are_kept(tmp_path: Path) -> None:
    (tmp_path / "story.txt").write_bytes(ARTICLE.read_bytes())
    first = publish("pdf", "story.txt", "-o", ".", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    yaml = tmp_path / "story.yaml"
    edited = yaml.read_text("utf-8").replace("鹽田“四個堅持”為抗疫提供組織保證", "編輯改過的標題", 1)
    yaml.write_text(edited, "utf-8")
    again = publish("-q", "pdf", "story.txt", "-o", ".", cwd=tmp_path)
    assert yaml.read_text("utf-8") == edited  # the editor's work survives
    assert again.returncode == 1 and "story.yaml: edited since publish wrote it" in again.stderr
    assert (tmp_path / "story.pdf").is_file()


def test_a_seven_line_title_is_still_balanced(tmp_path: Path) -> None:
    """Balancing was skipped from 7 lines on (for page-long headings): a long but ordinary title
    ended with a two-character line on A5."""
    pdfplumber = pytest.importorskip("pdfplumber")
    title = ("鹽田區委組織部堅持把疫情防控一線作為檢驗幹部的考場，在抗擊疫情中識別幹部、"
             "考察幹部、使用幹部，為打贏疫情防控阻擊戰提供堅強組織保證，全區上下凝心聚力共克時艱部堅")
    (tmp_path / "t.yaml").write_text(
        f"format: 1\nmeta: {{title: {title}, lang: zh-Hant}}\nblocks:\n- {{type: paragraph, text: 正文。}}\n",
        "utf-8")
    run = publish("pdf", "t.yaml", "-o", "out", "--page-size", "A5", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    with pdfplumber.open(tmp_path / "out" / "t.pdf") as pdf:
        words = pdf.pages[0].extract_text_lines()
    lines = [w["text"] for w in words if w["chars"] and w["chars"][0]["size"] > 14]
    assert len(lines) >= 2, lines
    assert len(lines[-1]) >= len(lines[0]) // 2, lines  # no two-character last line


def test_check_of_a_pdf_claiming_millions_of_objects_finishes(tmp_path: Path) -> None:
    (tmp_path / "story.txt").write_bytes(ARTICLE.read_bytes())
    assert publish("pdf", "story.txt", "-o", "out", cwd=tmp_path).returncode == 0
    pdf = tmp_path / "out" / "story.pdf"
    data = pdf.read_bytes()
    damaged = re.sub(rb"/Size \d+", b"/Size 20000000", data)
    assert damaged != data
    pdf.write_bytes(damaged)
    code = ("import sys, builtins\nreal = builtins.__import__\n"
            "def imp(name, *a, **k):\n"
            "    if name.split('.')[0] == 'pikepdf': raise ImportError(name)\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = imp\n"
            "from pipeline.check import check_paths\n"
            f"problems, notes = check_paths([__import__('pathlib').Path({str(pdf)!r})])\n"
            "print(len(problems))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout.split()[-1]) <= 12  # a handful of lines, not one per claimed object


def test_a_damaged_journal_record_is_no_internal_error(tmp_path: Path) -> None:
    (tmp_path / "story.txt").write_bytes(ARTICLE.read_bytes())
    assert publish("pdf", "story.txt", "-o", "out", cwd=tmp_path).returncode == 0
    record = {"name": "story.pdf", "key": "k", "sha256": "0" * 64, "stamp": 5}
    (tmp_path / "out" / ".publish-journal").write_text("\n" + json.dumps(record))
    run = publish("pdf", "story.txt", "-o", "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "internal error" not in run.stderr


def test_a_date_in_full_width_digits_is_refused_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(
        'format: 1\nmeta: {title: 標題, lang: zh-Hant, date: "２０２０-０２-２８"}\nblocks:\n'
        "- {type: paragraph, text: 正文。}\n", "utf-8")
    run = publish("epub", "d.yaml", "-o", "out", cwd=tmp_path)
    assert run.returncode == 1
    assert "internal error" not in run.stderr and "d.yaml:2:" in run.stderr, run.stderr




@pytest.mark.parametrize("args, says", [
    (["--font", "body=~nosuchuser/x.ttf"], "font file '~nosuchuser/x.ttf' cannot be used"),
    (["-o", "o" * 300], "File name too long"),
    (["s" * 300 + ".txt"], "File name too long"),
], ids=["unknown-user-in-font", "long-output-name", "long-source-name"])
def test_odd_names_are_clear_errors_not_internal_ones(tmp_path: Path, args: list[str], says: str) -> None:
    (tmp_path / "a.txt").write_bytes(ARTICLE.read_bytes())
    sources = [] if any(a.endswith(".txt") for a in args) else ["a.txt"]
    run = publish("pdf", *sources, *args, cwd=tmp_path)
    assert run.returncode in (1, 2), run.stderr
    assert says in run.stderr and "internal error" not in run.stderr, run.stderr
