"""What is on disk is exactly what was built, or the build says so.

Drives the installed ``publish`` command: an edition damaged after it was built is rebuilt (and the
build says so), never re-hashed into ``SHA256SUMS``; a damaged manifest means nothing is known; a
file publish did not write is not trusted; names too long for the file system fail their own
article only; names holding a newline or backslash are listed the way GNU sha256sum lists them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import require_tool
from test_bad_inputs import PUBLISH, check_sums, temp_files

from pipeline.build import build
from pipeline.check import check_paths
from pipeline.outdir import MANIFEST_NAME, SUMS_NAME, sums_line, unescape_sums_name
from pipeline.settings import Settings
from pipeline.sources import Source

ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1585267200"}
EDITIONS = (".pdf", ".epub", ".docx")


def article(title: str) -> str:
    """A one-page YAML article (English: quick to typeset)."""
    return (f"format: 1\nmeta: {{title: {title}, lang: en}}\nblocks:\n"
            f"- {{type: heading, level: 1, text: About {title}}}\n"
            f"- {{type: paragraph, text: This is the text of {title} in plain words.}}\n")


def publish(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PUBLISH, *args], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=300)


def contents(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if not p.name.startswith(".")}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("built")
    (root / "src").mkdir()
    for name in ("a", "b"):
        (root / "src" / f"{name}.yaml").write_text(article(f"Article {name.upper()}"), "utf-8")
    run = publish("all", "src", "-o", "out", cwd=root)
    assert run.returncode == 0, run.stderr
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    shutil.copytree(built, tmp_path / "p")  # copied: new inodes, so the first build re-reads each file once
    return tmp_path / "p"


def flip(path: Path, keep_mtime: bool = False) -> None:
    """Flip one byte in the middle of ``path`` in place (same inode, same size)."""
    st = path.stat()
    with open(path, "r+b") as fh:
        fh.seek(st.st_size // 2)
        byte = fh.read(1)
        fh.seek(st.st_size // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    if keep_mtime:  # as `touch -r` or a careless tool would: only the ctime tells
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


DAMAGE = {
    "flip": flip,
    "flip-keep-mtime": lambda p: flip(p, keep_mtime=True),
    "truncate": lambda p: os.truncate(p, p.stat().st_size // 2),
    "replaced": lambda p: shutil.copyfile(p.with_name("b" + p.suffix), p),
}


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("suffix", [".pdf", ".epub"])
def test_a_damaged_edition_is_rebuilt_and_the_build_says_so(project: Path, damage: str, suffix: str) -> None:
    out = project / "out"
    before = contents(out)
    DAMAGE[damage](out / f"a{suffix}")

    run = publish("all", "src", "-o", "out", cwd=project)
    assert run.returncode == 0, run.stderr
    assert f"note: out/a{suffix}: changed on disk since it was built; rebuilt" in run.stderr, run.stderr
    assert not [line for line in run.stdout.splitlines() if line.startswith(f"out/a{suffix} ") and "unchanged" in line]
    assert run.stdout.count("unchanged") == 2 * len(EDITIONS) - 1, run.stdout  # the others are trusted
    assert contents(out) == before  # the edition holds the bytes built, and SHA256SUMS lists them
    problems, _ = check_paths([out / f"a{suffix}", out / SUMS_NAME])
    assert not problems, problems


def test_a_damaged_edition_not_rebuilt_keeps_its_built_checksum(project: Path) -> None:
    """Building only b: a's damage is not re-hashed into SHA256SUMS; the build and check say so."""
    out = project / "out"
    before = contents(out)
    flip(out / "a.pdf")

    run = publish("all", "src/b.yaml", "-o", "out", cwd=project)
    assert run.returncode == 0, run.stderr
    assert "warning: out/a.pdf: changed on disk since it was built" in run.stderr, run.stderr
    assert (out / SUMS_NAME).read_bytes() == before[SUMS_NAME]
    problems, _ = check_paths([out / SUMS_NAME])
    assert problems == [f"{out / SUMS_NAME}: line 3: a.pdf does not match its checksum "
                        f"(listed {hashlib.sha256(before['a.pdf']).hexdigest()[:12]}…, "
                        f"file {hashlib.sha256((out / 'a.pdf').read_bytes()).hexdigest()[:12]}…)"], problems

    again = publish("all", "src", "-o", "out", cwd=project)  # building a too repairs it
    assert again.returncode == 0 and "note: out/a.pdf: changed on disk since it was built; rebuilt" in again.stderr
    assert contents(out) == before


@pytest.mark.parametrize("manifest", [b"{\"format\": 2, \"editions\": {\"a.pdf\": {\"key\"", b"\x00" * 40, b"[]"],
                         ids=["truncated", "binary", "not-an-object"])
def test_an_unreadable_manifest_means_every_edition_is_rebuilt(project: Path, manifest: bytes) -> None:
    out = project / "out"
    before = contents(out)
    (out / MANIFEST_NAME).write_bytes(manifest)
    run = publish("all", "src", "-o", "out", cwd=project)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert f"note: out/{MANIFEST_NAME}: unreadable; every edition is rebuilt" in run.stderr, run.stderr
    assert "unchanged" not in run.stdout, run.stdout
    assert contents(out) == before
    assert json.loads((out / MANIFEST_NAME).read_text())["format"] == 2
    again = publish("all", "src", "-o", "out", cwd=project)
    assert again.stdout.count("unchanged") == 2 * len(EDITIONS) and "note:" not in again.stderr


def test_files_publish_did_not_write_are_rebuilt_or_listed_as_they_are(project: Path) -> None:
    """An older release's folder (a manifest of input keys only), and a file copied in."""
    out = project / "out"
    before = contents(out)
    editions = json.loads((out / MANIFEST_NAME).read_text())["editions"]
    (out / MANIFEST_NAME).write_text(json.dumps({n: e["key"] or "" for n, e in editions.items()}))
    (out / "a.pdf").write_bytes(before["b.pdf"])  # not what a.yaml builds, and nothing recorded says so
    (out / "extra.pdf").write_bytes(b"%PDF-1.4 someone elses")

    run = publish("all", "src", "-o", "out", cwd=project)
    assert run.returncode == 0, run.stderr
    assert "unchanged" not in run.stdout and "note:" not in run.stderr, run.stderr  # nothing to trust, nothing damaged
    assert {n: d for n, d in contents(out).items() if n not in ("extra.pdf", SUMS_NAME)} == {
        n: d for n, d in before.items() if n != SUMS_NAME}
    sums = (out / SUMS_NAME).read_text()
    assert f"{hashlib.sha256(b'%PDF-1.4 someone elses').hexdigest()}  extra.pdf\n" in sums
    check_sums(out)


def test_a_long_source_name_fails_only_its_own_article(tmp_path: Path) -> None:
    """A temp name must not grow with the source name: a 236-byte name builds, and the articles
    after it too."""
    src = tmp_path / "src"
    src.mkdir()
    long = "0" * 236  # its editions' names fit (241 bytes); a temp name holding them did not
    (src / f"{long}.yaml").write_text(article("Long"), "utf-8")
    (src / "a.yaml").write_text(article("Article A"), "utf-8")

    run = publish("all", "src", "-o", "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = tmp_path / "out"
    for stem in (long, "a"):
        for suffix in (".yaml", *EDITIONS):
            assert (out / f"{stem}{suffix}").is_file(), (stem, suffix, run.stderr)
    assert not temp_files(tmp_path)
    check_sums(out)
    again = publish("all", "src", "-o", "out", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.count("unchanged") == 2 * len(EDITIONS), again.stdout


def test_a_name_the_file_system_refuses_fails_only_its_own_article(tmp_path: Path) -> None:
    """An output name past the file system's limit (255 bytes) is one clear problem for that
    article; the articles around it are built. (Built in-process: ``collect`` itself cannot
    name such a source, since its sidecar name is longer still.)"""
    src = tmp_path / "src"
    src.mkdir()
    for stem in ("a", "b"):
        (src / f"{stem}.yaml").write_text(article(f"Article {stem}"), "utf-8")
    too_long = "1" * 251  # 256 bytes with ".yaml", ".epub" or ".docx"
    sources = [Source("a", src / "a.yaml", "yaml"), Source(too_long, src / "b.yaml", "yaml"),
               Source("b", src / "b.yaml", "yaml")]
    out = tmp_path / "out"
    outcomes = build(sources, ["pdf", "epub"], out, Settings())
    assert [o.problems for o in outcomes] == [[], [f"{out / too_long}.yaml: cannot write: File name too long"], []]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        SUMS_NAME, "a.epub", "a.pdf", "a.yaml", "b.epub", "b.pdf", "b.yaml"]
    assert not temp_files(tmp_path)
    check_sums(out)


NAMES = ["a\nb", "back\\slash", "cr\rname", "both\\n\n", "plain"]


@pytest.mark.parametrize("name", NAMES)
def test_sums_lines_round_trip(name: str) -> None:
    line = sums_line("ab" * 32, name)
    assert line.count("\n") == 1 and line.endswith("\n")
    digest_part, _, listed = line[:-1].partition("  ")
    if digest_part.startswith("\\"):
        assert unescape_sums_name(listed) == name
    else:
        assert listed == name and name == "plain"


def test_names_with_a_newline_or_backslash_are_listed_as_sha256sum_lists_them(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for stem in ("a\nb", "c\\d"):
        (src / f"{stem}.yaml").write_text(article("Odd Name"), "utf-8")
    run = publish("all", "src", "-o", "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = tmp_path / "out"
    lines = (out / SUMS_NAME).read_text().split("\n")
    assert len(lines) == 8 + 1 and lines[-1] == "", lines  # one line per file
    assert all(line.startswith("\\") and ("a\\nb." in line or "c\\\\d." in line) for line in lines[:-1]), lines
    problems, _ = check_paths([out / SUMS_NAME])
    assert not problems, problems
    sha256sum = require_tool("sha256sum")
    verified = subprocess.run([sha256sum, "-c", SUMS_NAME], cwd=out, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_check_refuses_a_badly_escaped_name(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"x")
    (tmp_path / SUMS_NAME).write_text(f"\\{hashlib.sha256(b'x').hexdigest()}  a\\q.pdf\n")
    problems, _ = check_paths([tmp_path / SUMS_NAME])
    assert problems[0].endswith("line 1: the name is not validly escaped (\\\\, \\n, \\r)"), problems
