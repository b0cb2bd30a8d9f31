"""Building articles: jobs for every source, run by an executor, written into the output folder.

:func:`build` plans one :class:`~pipeline.jobs.Job` per source (skipping editions whose inputs have
not changed since the manifest was written), has :mod:`pipeline.executors` run them, and writes each
result through :class:`~pipeline.outdir.OutputDir` as it arrives, in source order. The manifest and
``SHA256SUMS`` are brought up to date even when the build is interrupted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.jobs import Job, Rendered
from pipeline.outdir import OutputDir, OutputError
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
    """What building one source did: editions written, warnings, and problems (empty = success)."""

    source: Source
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
    with output.locked(lock_timeout):
        manifest = output.manifest()
        job_list = []
        for source in sources:
            existing: tuple[tuple[str, str], ...] = ()
            if not force:
                existing = tuple(
                    (w, manifest[f"{source.name}{_suffix(w)}"]) for w in writers
                    if f"{source.name}{_suffix(w)}" in manifest
                    and (out_dir / f"{source.name}{_suffix(w)}").is_file()
                )
            job_list.append(Job(source, tuple(writers), settings, lang, tuple(sorted((meta or {}).items())),
                                epoch, None, existing, edition_workers))
        try:
            for job, rendered in zip(job_list, _run(job_list, jobs, executor, scheduler), strict=True):
                outcome = _write(output, job, rendered, manifest)
                outcomes.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
        finally:  # even when interrupted: the sums and manifest describe what is on disk
            output.save_manifest(manifest)
            output.update_sums()
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


def _write(output: OutputDir, job: Job, rendered: Rendered, manifest: dict[str, str]) -> Outcome:
    outcome = Outcome(job.source, notes=rendered.notes, warnings=rendered.warnings,
                      problems=list(rendered.problems))
    if not rendered.yaml:
        return outcome
    try:
        yaml_target = output.path / f"{job.source.name}.yaml"
        if yaml_target.resolve() != job.source.path.resolve():  # never overwrite a YAML source
            path = output.write(yaml_target.name, rendered.yaml)
            outcome.editions.append(Edition("yaml", path, len(rendered.yaml), 0.0))
        for writer in job.writers:
            name = f"{job.source.name}{_suffix(writer)}"
            if writer in rendered.editions:
                data, seconds = rendered.editions[writer]
                path = output.write(name, data)
                manifest[name] = rendered.keys[writer]
                outcome.editions.append(Edition(writer, path, len(data), seconds))
            elif writer in rendered.keys and manifest.get(name) == rendered.keys[writer]:
                path = output.path / name
                outcome.editions.append(Edition(writer, path, path.stat().st_size, 0.0, skipped=True))
    except OutputError as exc:
        outcome.problems.append(str(exc))
    return outcome
