"""Where build jobs run: in this process, in a local process pool, or on a Dask cluster.

There is one code path. Every executor runs :func:`pipeline.jobs.render_job` on a picklable
:class:`~pipeline.jobs.Job` and hands back a :class:`~pipeline.jobs.Rendered` (bytes only), in the
order of the jobs; the caller (``pipeline.build``) writes the files, so a cluster build and a local
build write the same bytes the same way.

Dask is an optional extra (``pip install 'publish[dask]'``); ``distributed`` is imported only when
``executor == "dask"``, so local builds and ``publish --help`` never pay for it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.jobs import Job, Rendered, render_job

#: the executors ``--executor`` accepts
EXECUTORS = ("local", "dask")


class ExecutorError(Exception):
    """The executor cannot be used (unknown name, extra not installed, scheduler unreachable)."""


def run_jobs(jobs: list[Job], executor: str = "local", workers: int = 1,
             scheduler: str | None = None) -> Iterator[Rendered]:
    """Render every job and yield the results in the order of ``jobs``.

    ``workers`` is the number of local processes ("local"), or for "dask" a lower bound on how many
    jobs are kept in flight (the cluster's size decides the real parallelism).
    """
    if executor == "local":
        return _local(jobs, workers)
    if executor == "dask":
        return _dask(jobs, scheduler, workers)
    raise ExecutorError(f"unknown executor {executor!r} (choose from {', '.join(EXECUTORS)})")


# --- local ---------------------------------------------------------------------------------------

def _local(jobs: list[Job], workers: int) -> Iterator[Rendered]:
    """In this process for one job or one worker (no pool start-up cost), else a process pool."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield render_job(job)
        return
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)), initializer=_pool_worker)
    try:
        # a bounded window, not pool.map: finished articles waiting behind a slow one stay few
        yield from in_order(lambda job: pool.submit(render_job, job), jobs, window=4 * workers)
    except BaseException:
        # Ctrl-C, SIGTERM (raised as KeyboardInterrupt by pipeline.outdir) or the caller giving up:
        # stop now. `with ProcessPoolExecutor` would wait for every queued article to be built.
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def in_order(submit: Callable[[Job], Any], jobs: list[Job], window: int) -> Iterator[Rendered]:
    """Results in the order of ``jobs``, with at most ``window`` submitted and not yet yielded, so
    memory stays flat however long the archive (local pool and Dask alike)."""
    pending: deque[Any] = deque()
    queued = iter(jobs)
    for job in queued:
        pending.append(submit(job))
        if len(pending) >= window:
            break
    while pending:
        future = pending.popleft()
        result = future.result()
        release = getattr(future, "release", None)  # Dask futures hold the result on the cluster
        if release is not None:
            release()
        job = next(queued, None)
        if job is not None:
            pending.append(submit(job))
        yield result


def stop_pool(pool: Any) -> None:
    """Cancel queued jobs and kill the workers: they only compute (this process writes every file),
    and SIGTERM would not do, since a worker turns it into an exception the pool survives."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()


def _pool_worker() -> None:
    """The pool already keeps every core busy with articles, so a worker makes its font subsets
    itself instead of starting helper interpreters (pipeline.fonts does so when it has the machine
    to itself); an explicit PUBLISH_FONT_JOBS still wins."""
    os.environ.setdefault("PUBLISH_FONT_JOBS", "1")


# --- dask ----------------------------------------------------------------------------------------

def _dask(jobs: list[Job], scheduler: str | None, workers: int) -> Iterator[Rendered]:
    """Submit jobs to a Dask cluster, a bounded window at a time, and yield results in order.

    The window keeps the client's, scheduler's and workers' memory flat for an archive of millions of
    articles: at most ``window`` results wait to be written. Each job carries its source's bytes, so
    workers need not share the client's file system (when they do, the file is read there instead,
    and images next to a YAML source resolve as in a local build).
    """
    if not scheduler:
        raise ExecutorError("--executor dask needs --scheduler ADDRESS (e.g. tcp://scheduler:8786)")
    try:
        from distributed import Client
    except ImportError:
        raise ExecutorError(
            "--executor dask needs the dask extra: pip install 'publish[dask]'"
        ) from None
    if not jobs:
        return
    try:
        client = Client(scheduler, set_as_default=False, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        threads = _check_workers(client)
        window = max(4 * threads, workers, 8)
        # pure=False: a unique key per submission, so two identical jobs are both run and nothing
        # is served from a previous client's results.
        yield from in_order(lambda job: client.submit(render_shipped, job, _payload(job), pure=False),
                            jobs, window)
    finally:
        client.close()


def _worker_version() -> str:
    from pipeline import __version__

    return __version__


def _check_workers(client: Any) -> int:
    """Every worker must run this version of publish (editions embed it); return the thread count."""
    from pipeline import __version__

    try:
        versions = client.run(_worker_version)
    except Exception as exc:  # noqa: BLE001 - a worker without the package fails to unpickle
        raise ExecutorError(
            f"the Dask workers cannot run publish ({type(exc).__name__}: {exc}); "
            "install the same version of publish on every worker"
        ) from None
    if not versions:
        raise ExecutorError("the Dask cluster has no workers")
    wrong = {addr: v for addr, v in versions.items() if v != __version__}
    if wrong:
        listed = ", ".join(f"{addr} has {v}" for addr, v in sorted(wrong.items()))
        raise ExecutorError(f"Dask workers must run publish {__version__}: {listed}")
    return sum(client.nthreads().values()) or 1


def _payload(job: Job) -> dict[str, bytes]:
    """The files a worker needs to load the job's source: the source and its sidecar."""
    files = {"source": job.source.path.read_bytes()}
    if job.source.sidecar is not None:
        files["sidecar"] = job.source.sidecar.read_bytes()
    return files


def _same(path: Path | None, data: bytes | None) -> bool:
    if path is None or data is None:
        return path is None and data is None
    try:
        return hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest()
    except OSError:
        return False


def render_shipped(job: Job, files: dict[str, bytes]) -> Rendered:
    """Run on a worker: render ``job`` from the shipped bytes unless the worker sees the same files.

    Messages name the client's paths either way, so a cluster build reports exactly what a local one
    does.
    """
    if _same(job.source.path, files["source"]) and _same(job.source.sidecar, files.get("sidecar")):
        return render_job(job)
    import tempfile

    with tempfile.TemporaryDirectory(prefix="publish-job-") as tmp:
        folder = Path(tmp)
        source_path = folder / job.source.path.name
        source_path.write_bytes(files["source"])
        sidecar_path = None
        if "sidecar" in files and job.source.sidecar is not None:
            sidecar_path = folder / job.source.sidecar.name
            sidecar_path.write_bytes(files["sidecar"])
        local = replace(job, source=replace(job.source, path=source_path, sidecar=sidecar_path))
        rendered = render_job(local)
    return _rename(rendered, {str(source_path): str(job.source.path),
                              str(sidecar_path): str(job.source.sidecar)})


def _rename(rendered: Rendered, paths: dict[str, str]) -> Rendered:
    def fix(message: str) -> str:
        for temp, real in paths.items():
            if temp != "None":
                message = message.replace(temp, real)
        return message

    return replace(rendered, notes=[fix(m) for m in rendered.notes],
                   warnings=[fix(m) for m in rendered.warnings],
                   problems=[fix(m) for m in rendered.problems])


def default_workers() -> int:
    """``--jobs 0``: one worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
