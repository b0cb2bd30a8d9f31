"""Building articles: jobs for every source, run by an executor, written into the output folder.

:func:`build` plans one :class:`~pipeline.jobs.Job` per source (skipping editions whose inputs have
not changed since they were built and whose bytes are still the ones built), has
:mod:`pipeline.executors` run them, and writes each result through
:class:`~pipeline.outdir.OutputDir` as it arrives, in source order, recording each edition in the
manifest as it lands. ``SHA256SUMS`` is brought up to date even when the build is interrupted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.jobs import Job, Rendered
from pipeline.outdir import CHANGED, INTACT, MANIFEST_NAME, SUMS_NAME, UNLISTED, OutputDir, OutputError
from pipeline.settings import Settings
from pipeline.sources import Source
from pipeline.writers import RenderOptions


@dataclass
class Edition:
    writer: str
    path: Path
    size: int
    seconds: float
    skipped: bool = False


@dataclass
class Outcome:
    """What building one source did: editions written, warnings, and problems (empty = success).
    With no ``source``, a message about the output folder (waiting for its lock, damage found)."""

    source: Source | None
    editions: list[Edition] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def build(
    sources: list[Source],
    writers: list[str],
    out_dir: Path,
    settings: Settings,
    *,
    lang: str | None = None,
    meta: dict[str, str] | None = None,
    force: bool = False,
    jobs: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    lock_timeout: float = 120.0,
    edition_workers: int = 1,
) -> list[Outcome]:
    """Build ``writers`` for every source into ``out_dir``; one source failing spares the others."""
    epoch = RenderOptions.epoch_from_env()
    output = OutputDir(out_dir)
    outcomes: list[Outcome] = []

    def tell(notes: list[str], warnings: list[str] | None = None) -> None:  # the folder's, no source's
        if on_outcome and (notes or warnings):
            on_outcome(Outcome(None, notes=notes, warnings=warnings or []))

    waiting = f"waiting for another publish building into {out_dir}{os.sep} ..."
    with output.locked(lock_timeout, on_wait=lambda: tell([waiting])):
        manifest = output.manifest()
        if output.manifest_unreadable and not force:
            tell([f"note: {out_dir / MANIFEST_NAME}: unreadable; every edition is rebuilt"])
        changed: set[str] = set()
        job_list = []
        for source in sources:
            existing: list[tuple[str, str]] = []
            copy = f"{source.name}.yaml"  # rewritten anyway; damage is still worth saying
            if not force and copy in manifest and output.verify(copy) == CHANGED:
                changed.add(copy)
            for writer in () if force else writers:
                name = f"{source.name}{_suffix(writer)}"
                built = manifest.get(name)
                state = output.verify(name) if built and built.key else None  # trust only its bytes
                if state == INTACT:
                    existing.append((writer, built.key))
                elif state == CHANGED:
                    changed.add(name)
            job_list.append(Job(source, tuple(writers), settings, lang, tuple(sorted((meta or {}).items())),
                                epoch, None, tuple(existing), edition_workers))
        try:
            for job, rendered in zip(job_list, _run(job_list, jobs, executor, scheduler), strict=True):
                outcome = _write(output, job, rendered, changed)
                outcomes.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
        finally:  # even when interrupted: the sums and manifest describe what is on disk
            damaged = output.update_sums()
            output.save_manifest()
    tell([], [f"{out_dir / name}: changed on disk since it was built; {SUMS_NAME} lists the bytes built "
              "(build its source again to restore them)" for name in damaged])
    return outcomes


def _suffix(writer: str) -> str:
    from pipeline.writers import discover

    return _SUFFIXES.setdefault(writer, discover().get(writer).suffix)


_SUFFIXES: dict[str, str] = {}


def _run(job_list: list[Job], jobs: int, executor: str = "local",
         scheduler: str | None = None) -> Iterator[Rendered]:
    """The jobs' results in order, from this process, a process pool or a Dask cluster."""
    from pipeline.executors import run_jobs

    return run_jobs(job_list, executor, jobs, scheduler)


def _write(output: OutputDir, job: Job, rendered: Rendered, changed: set[str]) -> Outcome:
    """Write one source's results, each edition recorded in the manifest as it lands; an edition
    found changed on disk since it was built is said to have been rebuilt."""
    outcome = Outcome(job.source, notes=rendered.notes, warnings=rendered.warnings,
                      problems=list(rendered.problems))
    if not rendered.yaml:
        return outcome
    path = output.path / f"{job.source.name}.yaml"
    existing = dict(job.existing)
    try:
        if path.resolve() == job.source.path.resolve():  # never overwrite a YAML source
            output.forget(path.name)
        elif (path.parent.resolve() == job.source.path.parent.resolve()
              and output.verify(path.name) in (CHANGED, UNLISTED)):
            # beside its own text, NAME.yaml is where the README says hand edits go: keep them
            outcome.problems.append(f"{path}: edited since publish wrote it, or not written by publish; "
                                    f"not overwritten (build from it: publish all {path})")
        else:
            output.write_edition(path.name, rendered.yaml, None)
            outcome.editions.append(Edition("yaml", path, len(rendered.yaml), 0.0))
            _say_if_repaired(outcome, path, changed)
        for writer in job.writers:
            path = output.path / f"{job.source.name}{_suffix(writer)}"
            if writer in rendered.editions:
                data, seconds = rendered.editions[writer]
                output.write_edition(path.name, data, rendered.keys[writer])
                outcome.editions.append(Edition(writer, path, len(data), seconds))
                _say_if_repaired(outcome, path, changed)
            elif writer in rendered.keys and existing.get(writer) == rendered.keys[writer]:
                outcome.editions.append(Edition(writer, path, path.stat().st_size, 0.0, skipped=True))
    except OutputError as exc:
        outcome.problems.append(str(exc))
    except OSError as exc:  # this source's files only: the other sources go on
        outcome.problems.append(f"{path}: {exc.strerror or exc}")
    return outcome


def _say_if_repaired(outcome: Outcome, path: Path, changed: set[str]) -> None:
    if path.name in changed:
        outcome.notes.append(f"note: {path}: changed on disk since it was built; rebuilt")
