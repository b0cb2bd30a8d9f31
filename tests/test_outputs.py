"""The output directory: atomic writes, a lock, swept temp files, checksums, clear errors."""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from pathlib import Path

import pytest

from pipeline.outdir import TEMP_PREFIX, OutputDir, OutputError


def test_writes_replace_whole_files_and_leave_no_temp(tmp_path: Path) -> None:
    out = OutputDir(tmp_path / "new" / "outputs")
    with out.locked():
        out.write("a.pdf", b"old")
        out.write("a.pdf", b"new")
    assert (out.path / "a.pdf").read_bytes() == b"new"
    assert not list(out.path.glob(TEMP_PREFIX + "*"))


def test_temp_files_of_a_killed_build_are_swept(tmp_path: Path) -> None:
    stale = tmp_path / f"{TEMP_PREFIX}a.pdf.999.deadbeef"
    stale.write_bytes(b"half")
    with OutputDir(tmp_path).locked():
        pass
    assert not stale.exists()


def test_sums_list_every_edition(tmp_path: Path) -> None:
    out = OutputDir(tmp_path)
    with out.locked():
        out.write("a.pdf", b"pdf")
        out.write("a.yaml", b"yaml")
        out.update_sums()
    sums = (tmp_path / "SHA256SUMS").read_text()
    assert sums == (f"{hashlib.sha256(b'pdf').hexdigest()}  a.pdf\n"
                    f"{hashlib.sha256(b'yaml').hexdigest()}  a.yaml\n")


def test_output_path_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="output path is a file"):
        OutputDir(tmp_path / "file").prepare()
    with pytest.raises(OutputError, match="a parent of the output path is a file"):
        OutputDir(tmp_path / "file" / "sub").prepare()


def _hold(path: str, ready, release) -> None:
    with OutputDir(Path(path)).locked():
        ready.set()
        release.wait(10)


def test_a_second_build_waits_then_fails_clearly(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(str(tmp_path), ready, release))
    holder.start()
    try:
        assert ready.wait(20)
        started = time.perf_counter()
        with pytest.raises(OutputError, match="another publish is building into this directory"):
            with OutputDir(tmp_path).locked(timeout=0.5):
                pass
        assert time.perf_counter() - started < 5
    finally:
        release.set()
        holder.join(10)
    with OutputDir(tmp_path).locked(timeout=5):  # free again once the first build ends
        pass


def test_sums_are_not_recomputed_for_unchanged_files_but_are_for_replaced_ones(tmp_path: Path) -> None:
    out = OutputDir(tmp_path)
    with out.locked():
        out.write("a.pdf", b"one")
        out.write("b.pdf", b"two")
        out.update_sums()
        out.write("b.pdf", b"three")  # replaced atomically: a new inode
        out.update_sums()
    assert (tmp_path / "SHA256SUMS").read_text() == (
        f"{hashlib.sha256(b'one').hexdigest()}  a.pdf\n{hashlib.sha256(b'three').hexdigest()}  b.pdf\n")
