"""The output directory: atomic writes, a lock, swept temp files, checksums, clear errors."""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from pathlib import Path

import pytest

from pipeline.outdir import (
    CHANGED,
    INTACT,
    JOURNAL_NAME,
    MANIFEST_NAME,
    SUMS_CACHE_NAME,
    TEMP_PREFIX,
    UNLISTED,
    Built,
    OutputDir,
    OutputError,
)


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


def test_each_edition_is_recorded_as_it_lands_and_a_torn_record_spoils_only_itself(tmp_path: Path) -> None:
    """A build killed before it saves the manifest loses no entry: the journal holds each one."""
    out = OutputDir(tmp_path)
    with out.locked():
        out.write_edition("a.pdf", b"one", "key-a")
        out.write_edition("b.pdf", b"two", "key-b")
    with open(tmp_path / JOURNAL_NAME, "ab") as fh:  # SIGKILL in the middle of a record
        fh.write(b'\n{"name": "c.pdf", "key": "key-c", "sha2')
    out = OutputDir(tmp_path)  # the next build
    with out.locked():
        assert out.manifest() == {"a.pdf": Built("key-a", hashlib.sha256(b"one").hexdigest()),
                                  "b.pdf": Built("key-b", hashlib.sha256(b"two").hexdigest())}
        out.write_edition("c.pdf", b"three", "key-c")
        assert out.verify("a.pdf") == INTACT
        (tmp_path / "b.pdf").write_bytes(b"TWO")
        assert out.verify("b.pdf") == CHANGED
    assert OutputDir(tmp_path).manifest()["c.pdf"] == Built("key-c", hashlib.sha256(b"three").hexdigest())


def test_sums_list_the_bytes_built_and_the_manifest_is_saved_whole(tmp_path: Path) -> None:
    out = OutputDir(tmp_path)
    with out.locked():
        out.write_edition("a.pdf", b"built", "key")
        (tmp_path / "a.pdf").write_bytes(b"damaged")
        out.write("extra.pdf", b"not built here")
        assert out.update_sums() == ["a.pdf"]
        out.save_manifest()
    assert (tmp_path / "SHA256SUMS").read_text() == (
        f"{hashlib.sha256(b'built').hexdigest()}  a.pdf\n{hashlib.sha256(b'not built here').hexdigest()}  extra.pdf\n")
    assert not (tmp_path / JOURNAL_NAME).exists()
    assert OutputDir(tmp_path).manifest() == {"a.pdf": Built("key", hashlib.sha256(b"built").hexdigest())}


def test_a_damaged_manifest_or_stamp_cache_means_nothing_is_trusted(tmp_path: Path) -> None:
    out = OutputDir(tmp_path)
    with out.locked():
        out.write_edition("a.pdf", b"built", "key")
        out.update_sums()
        out.save_manifest()
    (tmp_path / SUMS_CACHE_NAME).write_text("{not json")
    (tmp_path / "a.pdf").write_bytes(b"damaged")
    assert OutputDir(tmp_path).verify("a.pdf") == CHANGED  # without stamps, the file is read again
    (tmp_path / MANIFEST_NAME).write_bytes(b"\xff\xfe garbage")
    damaged = OutputDir(tmp_path)
    assert damaged.manifest() == {} and damaged.manifest_unreadable
    assert damaged.verify("a.pdf") == UNLISTED


def test_an_interrupt_taken_by_another_thread_still_waits_for_the_record(tmp_path, monkeypatch) -> None:
    """With a process pool, its manager thread (started before any mask) takes Ctrl-C and Python
    raises it in the main thread: the edition must still not land without its record, or
    SHA256SUMS lists a hash the file does not have (seen in CI with -j 2)."""
    import hashlib
    import os
    import signal
    import threading

    out = OutputDir(tmp_path / "out")
    out.prepare()
    go = threading.Event()

    def interrupter() -> None:  # started before the write, so its signal mask is the default one
        go.wait(10)
        os.kill(os.getpid(), signal.SIGINT)

    helper = threading.Thread(target=interrupter)
    helper.start()
    real_write = OutputDir.write

    def write_then_interrupt(self, name, data):
        target = real_write(self, name, data)
        if name == "a.pdf":
            go.set()
            helper.join()
            for _ in range(1000):  # the main thread runs the Python handler between bytecodes
                pass
        return target

    monkeypatch.setattr(OutputDir, "write", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        out.write_edition("a.pdf", b"%PDF new", "key")
        pytest.fail("the interrupt was lost")
    assert out.manifest()["a.pdf"].sha256 == hashlib.sha256(b"%PDF new").hexdigest()
    assert (tmp_path / "out" / ".publish-journal").read_text().count("a.pdf") == 1
