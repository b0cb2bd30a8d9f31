"""The Dask executor sends the same build tasks to a cluster and gets the same bytes back.

Needs the ``dask`` extra (``pip install '.[dask]'``); without it every test here skips saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from pipeline.executors import ExecutorError, render_shipped, run_jobs
from pipeline.jobs import Job, Rendered
from pipeline.settings import Settings
from pipeline.sources import collect

pytest.importorskip("distributed", reason="needs the dask extra: pip install '.[dask]'")

EPOCH = "1585267200"  # 2020-03-27
ARTICLE = ROOT / "source" / "article.txt"
PUBLISH = str(Path(sys.executable).parent / "publish")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    """SOURCE_DATE_EPOCH and a shared font cache, set before the cluster's workers are spawned."""
    cache = tmp_path_factory.mktemp("font-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        mp.setenv("PUBLISH_FONT_CACHE", str(cache))
        yield


@pytest.fixture(scope="module")
def scheduler(env) -> str:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two distinct articles: the source article and a shorter one made from its second half."""
    folder = tmp_path_factory.mktemp("source")
    text = ARTICLE.read_text("utf-8")
    shutil.copy(ARTICLE, folder / "article.txt")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    half = paragraphs[len(paragraphs) // 2:]
    (folder / "second.txt").write_text("鹽田區復工復產紀實\n\n" + "\n\n".join(half) + "\n", "utf-8")
    return folder


def _jobs(folder: Path) -> list[Job]:
    from pipeline.writers import discover

    writers = tuple(discover().names())
    return [Job(source, writers, Settings(), source_date_epoch=int(EPOCH)) for source in collect([folder])]


def _same(a: Rendered, b: Rendered) -> None:
    assert not a.problems and not b.problems, (a.problems, b.problems)
    assert a.name == b.name
    assert a.yaml == b.yaml
    assert sorted(a.editions) == sorted(b.editions)
    for name in a.editions:
        assert a.editions[name][0] == b.editions[name][0], f"{a.name}: {name} differs"
    assert a.keys == b.keys
    assert a.warnings == b.warnings and a.notes == b.notes


def test_dask_editions_are_byte_identical_to_a_local_build(env, scheduler: str, sources: Path) -> None:
    jobs = _jobs(sources)
    assert len(jobs) == 2
    local = list(run_jobs(jobs, "local", workers=1))
    remote = list(run_jobs(jobs, "dask", workers=2, scheduler=scheduler))
    assert [r.name for r in remote] == [j.source.name for j in jobs]  # in order
    for a, b in zip(local, remote, strict=True):
        _same(a, b)
        assert set(a.editions) == set(jobs[0].writers)


def test_workers_that_cannot_see_the_source_render_the_shipped_bytes(env, sources: Path,
                                                                     tmp_path: Path) -> None:
    job = _jobs(sources)[1]
    files = {"source": job.source.path.read_bytes()}
    moved = tmp_path / "elsewhere" / job.source.path.name  # not on this "worker"'s disk
    from dataclasses import replace

    away = replace(job, source=replace(job.source, path=moved))
    shipped = render_shipped(away, files)
    _same(shipped, list(run_jobs([job], "local"))[0])
    assert not moved.exists()


def test_dask_needs_a_scheduler_address() -> None:
    with pytest.raises(ExecutorError, match="--scheduler"):
        list(run_jobs([], "dask", workers=1, scheduler=None))


def test_unknown_executor_is_refused() -> None:
    with pytest.raises(ExecutorError, match="unknown executor"):
        run_jobs([], "spark", workers=1)


def _cli_has_executor() -> bool:
    out = subprocess.run([PUBLISH, "all", "--help"], capture_output=True, text=True, timeout=60).stdout
    return "--executor" in out


def test_publish_all_on_a_dask_cluster_writes_what_a_local_build_writes(env, scheduler: str,
                                                                       sources: Path,
                                                                       tmp_path: Path) -> None:
    if not _cli_has_executor():
        pytest.skip("publish has no --executor option yet (pipeline/cli.py)")
    run = {"cwd": tmp_path, "capture_output": True, "text": True, "timeout": 600, "env": dict(os.environ)}
    local = subprocess.run([PUBLISH, "all", str(sources), "-o", "local", "-j", "1"], **run)
    assert local.returncode == 0, local.stderr
    remote = subprocess.run([PUBLISH, "all", str(sources), "-o", "dask", "--executor", "dask",
                             "--scheduler", scheduler], **run)
    assert remote.returncode == 0, remote.stderr
    # every edition, SHA256SUMS and the manifest; not the lock or the sums cache (inodes, mtimes)
    def listed(folder: str) -> list[str]:
        return sorted(p.name for p in (tmp_path / folder).iterdir()
                      if not p.name.endswith(".lock") and p.name != ".publish-sums.json")

    names = listed("local")
    assert names == listed("dask")
    for name in names:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
