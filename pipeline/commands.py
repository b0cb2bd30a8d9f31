"""What each CLI command does, apart from argument parsing: returns problems, prints results.

Everything printed goes through :func:`emit`, so a reader that goes away (``| head``) or a full disk
(``> /dev/full``) is :class:`OutputLost`, never an internal error. For a build, what it prints is
progress, not the product: :class:`Console` carries on without it and the build finishes.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import TextIO

import click

from pipeline.settings import Settings


class OutputLost(Exception):
    """Standard output or error could not be written: its reader went away, or its disk is full."""

    def __init__(self, stream: str, error: OSError):
        super().__init__(f"{stream}: cannot write: {error.strerror or error}")
        self.stream = stream
        self.error = error

    @property
    def reader_gone(self) -> bool:
        """The other end of a pipe was closed (``| head -1``): most tools then end quietly."""
        return self.error.errno == errno.EPIPE

    @classmethod
    def wrap(cls, error: OSError, stream: str) -> OutputLost:
        """``error`` from writing ``stream``; the stream now leads to /dev/null, so what is still
        buffered or printed later (and the interpreter's last flush) fails no more."""
        target: TextIO = sys.stderr if stream == "standard error" else sys.stdout
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, target.fileno())
            os.close(null)
        except (OSError, ValueError, AttributeError):  # no file descriptor (captured, or None)
            pass
        return cls(stream, error)


def emit(message: str, *, err: bool = False, nl: bool = True) -> None:
    """Print and flush now, so a closed or full output is :class:`OutputLost` here, not an
    exception at the next write or at exit."""
    try:
        click.echo(message, err=err, nl=nl, color=True)  # color: as given, never stripped
    except OSError as exc:
        raise OutputLost.wrap(exc, "standard error" if err else "standard output") from None


class Console:
    """A build's printing: losing an output stops the printing, not the build. A reader that went
    away is no problem; a write that failed (a full disk) is, once the build is done."""

    def __init__(self) -> None:
        self.lost: dict[str, OutputLost] = {}

    def say(self, message: str, *, err: bool = False) -> None:
        stream = "standard error" if err else "standard output"
        if stream in self.lost:
            return
        try:
            emit(message, err=err)
        except OutputLost as exc:
            self.lost[stream] = exc

    def problems(self) -> list[str]:
        return [str(exc) for exc in self.lost.values() if not exc.reader_gone]


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        emit(message, err=True)


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.2f} MB"


def normalize(source: Path, output: Path | None, settings: Settings, *, lang: str | None,
              meta: dict[str, str], explain: bool, quiet: bool) -> list[str]:
    """Print (or write) the YAML form of one source; with ``explain``, the decisions on stderr."""
    from pipeline.outdir import OutputDir, OutputError
    from pipeline.sources import Source, SourceError, apply_meta, collect, load
    from pipeline.yamlio import dump_document

    try:
        sources = collect([source])
    except SourceError as exc:
        return exc.problems
    if len(sources) != 1 or source.is_dir():
        return [f"{source}: normalize takes one article file"]
    src: Source = sources[0]
    try:
        document, notes = load(src, settings, lang,
                               on_result=(lambda result: _explain(src.path, result)) if explain else None)
        for note in notes:
            _say(note, quiet)
    except SourceError as exc:
        return exc.problems
    document = apply_meta(document, meta)
    text = dump_document(document)
    if output is None:
        emit(text, nl=False)
        return []
    if output.is_dir():
        return [f"{output}: is a directory; -o takes a file name"]
    try:
        with OutputDir(output.parent).locked() as folder:  # a build there must not sweep our temp file
            folder.write(output.name, text.encode("utf-8"))
    except OutputError as exc:
        if any(p.is_file() for p in output.parents):
            return [f"{output}: a parent of the output path is a file"]
        return [str(exc)]
    _say(f"{output}  {_size(len(text.encode()))}", quiet)
    return []


def _explain(path: Path, result) -> None:
    """Print line -> decision -> rule for every line of a normalised text (with the line-role model's
    reading of it: role, probability and the features that weighed most), and every repair."""
    lines = [f"# {path}: decoded as {result.encoding}"]
    lines += [f"{path.name}:{d.line}: {d.decision:<22} {d.rule:<28} {_clip(d.text)}"
              + (f"\n    model: {d.model}" if d.model else "") for d in result.decisions]
    lines += [f"{path.name}:{d.line}: repair {d.decision:<15} {d.rule:<28} {_clip(d.text)}"
              for d in result.repairs]
    emit("\n".join(lines), err=True)


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def build(paths: list[Path], writers: list[str], out: Path, settings: Settings, *, force: bool,
          jobs: int, lang: str | None, meta: dict[str, str], quiet: bool, verbose: bool,
          executor: str = "local", scheduler: str | None = None) -> list[str]:
    """Build editions of every source; print one line per edition; return the problems."""
    from pipeline.build import Outcome
    from pipeline.build import build as run
    from pipeline.executors import ExecutorError
    from pipeline.outdir import OutputError
    from pipeline.sources import SourceError, collect
    from pipeline.writers import RegistryError, WriterError, discover

    try:
        discover()  # a broken plugin is one clear error before any work
    except RegistryError as exc:
        return [str(exc)]
    try:
        sources = collect(paths)
    except SourceError as exc:
        return exc.problems
    problems: list[str] = []
    console = Console()

    warned: set[str] = set()

    def report(outcome: Outcome) -> None:
        for note in outcome.notes:
            if not quiet:
                console.say(note, err=True)
        for warning in outcome.warnings:
            if warning not in warned:  # a cache warning from each of -j N workers is said once
                warned.add(warning)
                console.say(f"warning: {warning}", err=True)
        for edition in outcome.editions:
            if not quiet:
                state = "unchanged" if edition.skipped else f"{edition.seconds:.2f} s"
                console.say(f"{edition.path}  {_size(edition.size)}  {state}")
        problems.extend(outcome.problems)

    from pipeline.executors import default_workers

    workers = jobs or min(len(sources), default_workers())
    # one article: its editions render side by side instead (unless -j 1 asks for one process)
    edition_workers = (jobs or default_workers()) if len(sources) == 1 and executor == "local" else 1
    try:
        run(sources, writers, out, settings, lang=lang, meta=meta, force=force, jobs=workers,
            executor=executor, scheduler=scheduler, on_outcome=report, edition_workers=edition_workers)
    except (OutputError, ExecutorError, WriterError) as exc:  # WriterError: a bad SOURCE_DATE_EPOCH
        problems.append(str(exc))
    return problems + console.problems()


def list_writers() -> list[str]:
    from pipeline.writers import RegistryError, discover

    try:
        registry = discover()
    except RegistryError as exc:
        return [str(exc)]
    for writer in registry:
        missing = writer.missing_dependency()
        state = f"  (needs {missing})" if missing else ""
        emit(f"{writer.name:<8} {writer.suffix:<7} {writer.description}{state}")
    return []
