"""One article's build job: load (normalise) the source once, render each edition, return bytes.

A :class:`Job` is picklable and a :class:`Rendered` holds bytes only, so a job runs the same in
this process, a local process pool or a Dask worker (:mod:`pipeline.executors`); the caller
(:mod:`pipeline.build`) writes the files. Input keys (what an edition depends on) let an
incremental build skip the editions that would not change.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.model import Document
from pipeline.settings import DOCUMENT_ONLY, Settings
from pipeline.sources import Source, SourceError
from pipeline.writers import RenderOptions


@dataclass
class Rendered:
    """A worker's result: bytes only, so it can cross a process (or cluster) boundary."""

    name: str
    yaml: bytes = b""
    editions: dict[str, tuple[bytes, float]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


#: settings that change how sources are read or where fonts are cached, not what an edition holds
#: (and those that shape only the document, which the key holds already)
_NOT_IN_EDITIONS = ("font_cache", "max_input_bytes", "encoding", *DOCUMENT_ONLY)


def input_key(document_yaml: bytes, writer: str, settings: Settings, epoch: int | None,
              files: bytes = b"") -> str:
    """What an edition depends on: the document, the writer, the settings, the tool version, the
    build date (SOURCE_DATE_EPOCH) and the files it pulls in (``files``: see dependencies())."""
    chosen = {k: v for k, v in settings.to_dict().items() if k not in _NOT_IN_EDITIONS}
    h = hashlib.sha256()
    for part in (document_yaml, writer.encode(), json.dumps(chosen, sort_keys=True).encode(),
                 __version__.encode(), str(epoch).encode(), files):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


@dataclass(frozen=True)
class Job:
    """One source to build: everything a worker process needs, and nothing that cannot be pickled."""

    source: Source
    writers: tuple[str, ...]
    settings: Settings
    lang: str | None = None
    meta: tuple[tuple[str, str], ...] = ()
    source_date_epoch: int | None = None
    charset: str | None = None
    #: input keys of editions already in the output directory, to skip unchanged ones
    existing: tuple[tuple[str, str], ...] = ()
    #: processes that may render this source's editions at once
    edition_workers: int = 1


def load_document(job: Job) -> tuple[Document, list[str]]:
    from pipeline.sources import apply_meta, load

    document, notes = load(job.source, job.settings, job.lang)
    if job.meta:
        document = apply_meta(document, dict(job.meta))
    return document, notes


def dependencies(document: Document, base_dir: Path, settings: Settings) -> bytes:
    """A digest of the files editions read besides the document: caption images and configured
    fonts, so replacing one rebuilds the editions that use it."""
    from pipeline.model import Caption

    h = hashlib.sha256()
    paths = [base_dir / b.image for b in document.blocks if isinstance(b, Caption) and b.image]
    paths += [Path(spec.split("#", 1)[0]).expanduser() for _, spec in sorted(settings.fonts.items())]
    for path in paths:
        h.update(str(path).encode() + b"\0")
        try:
            st = path.stat()
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
        except OSError:
            h.update(b"missing")
    return h.digest()


def _with_images(options: RenderOptions, document: Document, job: Job, out: Rendered) -> RenderOptions:
    """``options`` with the document's usable images: judged once, before any edition renders,
    for every writer alike, with one warning per image left out (not one per edition)."""
    from pipeline.writers.images import caption_images, check_images

    if not caption_images(document):
        return replace(options, images={})
    images, problems = check_images(document, options.base_dir)
    out.warnings += [f"{job.source.path}: {message}" for message in problems]
    return replace(options, images=images)


def render_edition(name: str, document: Document, options: RenderOptions) -> Edited:
    """Render one edition; never raises for a writer's failure (the other editions go on)."""
    from pipeline.fonts import FontError
    from pipeline.writers import WriterError, discover

    warnings: list[str] = []
    options = replace(options, warn=warnings.append)
    writer = discover().get(name)
    missing = writer.missing_dependency()
    if missing:
        return Edited(None, 0.0, warnings, f"{name}: needs {missing}, which is not installed")
    started = time.perf_counter()
    try:
        data = writer.render(document, options)
    except (WriterError, FontError) as exc:  # an unusable font is the user's to fix, not a bug
        return Edited(None, 0.0, warnings, f"{name}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a writer bug must not lose the other editions
        return Edited(None, 0.0, warnings, f"{name}: internal error: {type(exc).__name__}: {exc}")
    return Edited(data, time.perf_counter() - started, warnings, None)


@dataclass
class Edited:
    data: bytes | None
    seconds: float
    warnings: list[str]
    problem: str | None
    #: the font cache's warnings, from an edition process
    cache_warnings: list[str] = field(default_factory=list)


def render_job(job: Job) -> Rendered:
    """Load (normalise) a source once and render each edition; runs in any process.

    With ``job.edition_workers`` > 1 (one article on a multi-core machine) every edition renders
    in its own forked process, started before the source is read so that the writers' imports
    overlap with normalising (:class:`pipeline.edition_processes.EditionProcesses`)."""
    children = _edition_processes(job)
    try:
        return _render_job(job, children)
    finally:
        if children is not None:
            children.close()


def _render_job(job: Job, children: Any) -> Rendered:
    from pipeline.writers import RegistryError, RenderOptions, discover
    from pipeline.yamlio import dump_document

    out = Rendered(job.source.name)
    _font_cache_warnings()  # met before this job (a caller of the fonts): not this job's to say
    try:
        document, out.notes = load_document(job)
    except SourceError as exc:
        out.problems = list(exc.problems)
        return out
    try:
        discover()
    except RegistryError as exc:
        out.problems = [str(exc)]
        return out
    options = RenderOptions(
        settings=job.settings, source_date_epoch=job.source_date_epoch, version=__version__,
        base_dir=job.source.path.parent, charset=job.charset,
    )
    existing = dict(job.existing)
    started = children is not None and not existing
    if started:  # nothing can be skipped: the editions start now, the YAML and keys meanwhile
        options = _with_images(options, document, job, out)
        _start_editions(list(job.writers), document, options, children)
    out.yaml = dump_document(document).encode("utf-8")
    files = dependencies(document, job.source.path.parent, job.settings)
    todo = []
    for name in job.writers:
        out.keys[name] = input_key(out.yaml, name, job.settings, job.source_date_epoch, files)
        if existing.get(name) != out.keys[name]:
            todo.append(name)
    if todo and not started:
        options = _with_images(options, document, job, out)
    if children is not None and not started:
        _start_editions(todo, document, options, children)
    cache_warnings: list[str] = []  # the font cache's, from edition processes
    for name, edited in zip(todo, _render_editions(todo, document, options, children), strict=True):
        for message in edited.warnings:
            line = f"{job.source.path}: {message}"
            if line not in out.warnings:
                out.warnings.append(line)
        if edited.problem:
            # the same failure in every writer (an unusable font, say) is said once
            cause = edited.problem.removeprefix(f"{name}: ")
            if not any(p.endswith(f": {cause}") for p in out.problems):
                out.problems.append(f"{job.source.path}: {edited.problem}")
        elif edited.data is not None:
            out.editions[name] = (edited.data, edited.seconds)
        cache_warnings += edited.cache_warnings
    for message in cache_warnings + _font_cache_warnings():  # about the cache, not the article
        if message not in out.warnings:
            out.warnings.append(message)
    return out


def _font_cache_warnings() -> list[str]:
    """What the font cache met in this thread since last asked (a damaged entry rebuilt, a folder
    it cannot use). They are about the cache, not the article, so they go without its name: the
    same line from every worker of a batch is the same line. Fonts not loaded, nothing to say: no
    import that a build whose editions were all up to date would pay for."""
    fonts = sys.modules.get("pipeline.fonts")
    return fonts.take_warnings() if fonts is not None else []


def _edition_processes(job: Job) -> Any:
    """Forked edition processes for ``job``, or None to render in this process (one worker, one
    edition, no fork on this platform, or every edition already up to date is not known yet:
    children that get no work are dismissed)."""
    import threading

    if job.edition_workers <= 1 or len(job.writers) <= 1 or not hasattr(os, "fork"):
        return None
    # fork only a process that runs nothing else (a child of a threaded process can deadlock on
    # a lock another thread held), and not on macOS, where system libraries are not fork-safe
    if threading.active_count() > 1 or sys.platform == "darwin":
        return None
    from pipeline.edition_processes import EditionProcesses

    try:
        return EditionProcesses(list(job.writers), preload_writer, _render_seeded)
    except OSError:  # no processes or pipes left: render here
        return None


def _render_seeded(name: str, document: Document, options: RenderOptions, memo: Any) -> Edited:
    """:func:`render_edition` in an edition process, with the faces its parent already has."""
    from pipeline.fonts import seed_memo

    seed_memo(memo)
    edited = render_edition(name, document, options)
    edited.cache_warnings = _font_cache_warnings()
    return edited


def preload_writer(name: str) -> None:
    """Import what writer ``name`` needs to render (its optional ``preload`` hook)."""
    from pipeline.writers import discover

    hook = getattr(discover().get(name), "preload", None)
    if callable(hook):
        hook()


def _start_editions(names: list[str], document: Document, options: RenderOptions, children: Any) -> None:
    """Hand the document to the edition processes of ``names`` (the others are dismissed).

    The faces are made (or read) here while the children still import their libraries, and
    sent with the document, so no child spends time on them."""
    from pipeline.fonts import FontError, faces_for, memo_snapshot

    if names:
        try:
            faces_for(document, options.settings, options.charset)
        except FontError:
            pass  # each writer reports it
    children.send(names, (document, options, memo_snapshot()))


def _render_editions(names: list[str], document: Document, options: RenderOptions,
                     children: Any) -> list[Edited]:
    if children is None or not names:
        return [render_edition(name, document, options) for name in names]
    results = children.collect(names)
    # a child that failed (killed, out of memory...) is redone here, where errors are reported
    return [results.get(name) or render_edition(name, document, options) for name in names]
