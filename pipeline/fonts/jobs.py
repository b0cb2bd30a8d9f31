"""Subsetting jobs: which faces to make and making them.

A job is one face: a source, the code points it will cover, a weight, and the cache key that
names all of these (with the fonts code and the installed font tools). Jobs are realised from
this process's memo, else the disk cache, else made, under the cache's inter-process locks; jobs
sharing a source and character set are made together (one variable subset, several weights).
Without uharfbuzz, fontTools does everything, in up to $PUBLISH_FONT_JOBS processes (default: the
usable CPUs): child interpreters started with ``python -c`` that run :func:`_worker_main`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.fonts.cache import (
    _CACHE_VERSION,
    _ENTRY_FORMAT,
    _LOCK,
    _MEMO_LIMIT,
    _SUBSET_MEMO,
    STATS,
    _cache_locks,
    _cached,
    _glyph_store,
    _maybe_prune,
    _remember,
    _tools_stamp,
    _write_entry,
)
from pipeline.fonts.catalogue import _Source
from pipeline.fonts.coverage import _ranges_of, _source_info, _source_sha
from pipeline.fonts.subset import _build_group, _subfamily


@dataclass(frozen=True)
class _Job:
    """One face to make: a source, the code points it will cover, a weight; ``key`` names it in
    the cache (source hash, code points, operations, module version)."""

    src: _Source
    cps: frozenset[int]
    weight: int
    style: str
    family: str
    key: str
    ps_name: str
    src_sha: str = ""


def _ps_safe(text: str) -> str:
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == "-"))


def _plan(src: _Source, weight: int, style: str, wanted: Iterable[int], cache: Path | None) -> _Job:
    info = _source_info(src, cache)
    cps = info.coverage.select(wanted)
    ops = {"weight": weight, "style": style, "index": src.index, "family": info.family,
           "outlines": "glyf", "features": "default+vkna" + ("-locl" if src.collection else ""),
           "post": 3}
    what = {"v": _CACHE_VERSION, "src": _source_sha(src, info), "ops": ops, "cps": _ranges_of(cps)}
    name_key = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()
    # the cache key also names the installed font tools, which may make other bytes, and how
    # entries are stored; the font's own name must not (it is in the output, and a reinstall
    # must not change the output)
    key = hashlib.sha256(f"{name_key}/{_tools_stamp()}/{_ENTRY_FORMAT}".encode()).hexdigest()
    ps_name = f"{_ps_safe(info.family)[:40]}-{_ps_safe(_subfamily(weight, style))}-{name_key[:8]}"
    return _Job(src, cps, weight, style, info.family, key, ps_name, what["src"])


def _realise(jobs: list[_Job], cache: Path | None) -> dict[str, bytes]:
    """The bytes of every job: from this process's memo, else the disk cache, else made. Jobs
    sharing a source and character set are made together (one variable subset, several weights)."""
    out: dict[str, bytes] = {}
    for job in jobs:
        data = _cached(job.key, cache)
        if data is not None:
            out[job.key] = data
    pending = [job for job in jobs if job.key not in out]
    if pending:
        with _cache_locks([job.key for job in pending], cache):
            todo: dict[tuple[_Source, frozenset[int]], list[_Job]] = {}
            for job in pending:
                data = _cached(job.key, cache)  # another process may have made it meanwhile
                if data is not None:
                    out[job.key] = data
                    continue
                group = todo.setdefault((job.src, job.cps), [])
                if all(j.key != job.key for j in group):
                    group.append(job)
            groups = list(todo.values())
            STATS["subset"] += len(groups)
            written = 0
            for group, datas in zip(groups, _build_groups(groups, cache), strict=True):
                for job, data in zip(group, datas, strict=True):
                    out[job.key] = data
                    if cache is not None:
                        written += _write_entry(cache, f"subsets/{job.key}.ttf", data)
            if cache is not None and groups:
                _maybe_prune(cache, written)
    with _LOCK:
        for key, data in out.items():
            _remember(_SUBSET_MEMO, key, data, _MEMO_LIMIT["subsets"])
    return out


_WORKER_BOOT = (
    "import pickle, sys\n"
    "payload = pickle.load(sys.stdin.buffer)\n"
    "sys.path[:0] = payload['path']\n"
    "from pipeline.fonts.jobs import _worker_main\n"
    "_worker_main(payload)\n"
)


#: Seconds a child may take before its share is redone in this process.
_CHILD_TIMEOUT = 300


def _workers() -> int:
    """How many processes may make subsets at once: $PUBLISH_FONT_JOBS, else the usable CPUs."""
    env = os.environ.get("PUBLISH_FONT_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return os.cpu_count() or 1


GroupArgs = tuple[_Source, frozenset[int], list[tuple[int, str, str, str]]]


def _build_groups(groups: list[list[_Job]], cache: Path | None = None) -> list[list[bytes]]:
    """Make every group's faces. With HarfBuzz that is quick work but for drawing CFF glyphs,
    which the glyph store remembers, so it is done here. Without it, fontTools is pure Python,
    so with several CPUs the work is shared with child interpreters (started with ``python -c``,
    not multiprocessing, so no ``__main__`` re-import and no fork of a threaded process); this
    process works on the first share itself. A child that fails is redone here, so errors
    surface as the usual FontError."""
    import importlib.util

    if importlib.util.find_spec("uharfbuzz") is not None:
        store = _glyph_store(cache)
        return [_build_group(g[0].src, g[0].cps, [(j.weight, j.style, j.family, j.ps_name) for j in g],
                             (store, f"{g[0].src_sha}:{g[0].src.index}")) for g in groups]
    args: list[GroupArgs] = [
        (g[0].src, g[0].cps, [(j.weight, j.style, j.family, j.ps_name) for j in g]) for g in groups]
    workers = min(_workers(), sum(len(a[2]) for a in args))
    if workers > len(args):  # more CPUs than groups: one weight per job (each subsets on its own)
        split = [(src, cps, [v]) for src, cps, variants in args for v in variants]
    else:
        split = args
    if workers < 2 or len(split) < 2 or not sys.executable or getattr(sys, "frozen", False):
        return [_build_group(*a) for a in args]
    # Heaviest jobs (most weights from one subset) first, the first share to this process, which
    # needs no interpreter start-up.
    shares: list[list[int]] = [[] for _ in range(min(workers, len(split)))]
    for i, n in enumerate(sorted(range(len(split)), key=lambda n: -len(split[n][2]))):
        shares[i % len(shares)].append(n)
    children = []
    for share in shares[1:]:
        payload = pickle.dumps({"path": [p for p in sys.path if p], "jobs": [split[n] for n in share]})
        try:
            child = subprocess.Popen([sys.executable, "-c", _WORKER_BOOT], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert child.stdin is not None
            child.stdin.write(payload)
            child.stdin.close()
            child.stdin = None  # so communicate() does not flush it again
        except OSError:
            child = None
        children.append((share, child))
    results: dict[int, list[bytes]] = {n: _build_group(*split[n]) for n in shares[0]}
    for share, child in children:
        got = None
        if child is not None:
            try:
                stdout, _ = child.communicate(timeout=_CHILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                stdout = b""
            if child.returncode == 0:
                with contextlib.suppress(Exception):
                    got = pickle.loads(stdout)
        for i, n in enumerate(share):
            results[n] = got[i] if got is not None else _build_group(*split[n])
    # reassemble per original group
    flat = iter(results[n] for n in range(len(split)))
    if split is args:
        return [next(flat) for _ in args]
    return [[next(flat)[0] for _ in variants] for _, _, variants in args]


def _worker_main(payload: dict[str, Any]) -> None:
    """Child side of :func:`_build_groups`: make the given groups, pickle the bytes to stdout."""
    out = [_build_group(*job) for job in payload["jobs"]]
    sys.stdout.buffer.write(pickle.dumps(out))
    sys.stdout.buffer.flush()
