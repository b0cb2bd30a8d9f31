"""Building editions, and the one module that writes to the output directory.

Writers return bytes; only this module touches ``outputs/``. Every file is written to a
recognisable temporary name and renamed into place, under a lock, so a failed or interrupted build
never leaves a half-written edition or clobbers the previous one, and two builds on the same
directory cannot interleave. ``SHA256SUMS`` and an input manifest (for incremental builds) are kept
current by every build.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.model import Document
from pipeline.settings import Settings
from pipeline.sources import Source, SourceError
from pipeline.writers import RenderOptions

TEMP_PREFIX = ".publish-tmp."
LOCK_NAME = ".publish.lock"
MANIFEST_NAME = ".publish-manifest.json"
SUMS_NAME = "SHA256SUMS"
SUMS_CACHE_NAME = ".publish-sums.json"
#: what SHA256SUMS lists at least (every installed writer's suffix is added)
EDITION_SUFFIXES = (".yaml", ".pdf", ".epub", ".docx")


def edition_suffixes() -> tuple[str, ...]:
    """The suffixes of every edition an installed writer makes, and the YAML copy."""
    from pipeline.writers import RegistryError, discover

    try:
        extra = tuple(w.suffix for w in discover())
    except RegistryError:
        extra = ()
    return tuple(dict.fromkeys(EDITION_SUFFIXES + extra))


class OutputError(Exception):
    """The output directory cannot be used."""


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


class _DirLock:
    """The output folder's lock: ``fcntl.flock`` on the lock file where there is one (the call
    filelock makes on POSIX too, so either tool sees the other's lock; importing filelock costs a
    build 10-40 ms), filelock elsewhere (Windows)."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self._other: Any = None

    def acquire(self, timeout: float) -> bool:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            from filelock import FileLock, Timeout

            self._other = FileLock(str(self.path))
            try:
                self._other.acquire(timeout=timeout)
            except Timeout:
                return False
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:  # someone else's lock file: a read-only descriptor locks too
            try:
                fd = os.open(self.path, os.O_RDONLY)
            except OSError as exc:
                raise OutputError(f"{self.path}: cannot open the lock file: {exc.strerror}") from None
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot open the lock file: {exc.strerror}") from None
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                busy = exc.errno in (errno.EAGAIN, errno.EACCES)
                if busy and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                os.close(fd)
                if busy:
                    return False
                if exc.errno in (errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP):
                    return self._soft(timeout)  # a file system without flock (some NFS, FUSE)
                raise OutputError(f"{self.path}: cannot lock: {exc.strerror}") from None
            self._fd = fd
            return True

    def _soft(self, timeout: float) -> bool:
        """filelock's own fallback where the file system has no locks."""
        from filelock import SoftFileLock, Timeout

        self._other = SoftFileLock(f"{self.path}.soft")
        try:
            self._other.acquire(timeout=timeout)
        except Timeout:
            return False
        return True

    def release(self) -> None:
        if self._other is not None:  # pragma: no cover - Windows
            self._other.release()
        elif self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class OutputDir:
    """The output directory: created on demand, locked while a build writes, written atomically."""

    def __init__(self, path: Path):
        self.path = path
        self._temps: set[Path] = set()

    def prepare(self) -> None:
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(f"{self.path}: output path is a file, not a directory")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except NotADirectoryError:
            raise OutputError(f"{self.path}: a parent of the output path is a file") from None
        except FileExistsError:
            raise OutputError(f"{self.path}: output path is a file, not a directory") from None
        except OSError as exc:
            if exc.errno == errno.ENOTDIR:
                raise OutputError(f"{self.path}: a parent of the output path is a file") from None
            raise OutputError(f"{self.path}: cannot create output directory: {exc.strerror}") from None

    @contextmanager
    def locked(self, timeout: float = 120.0) -> Iterator[OutputDir]:
        """Hold the directory's lock; a second build waits up to ``timeout`` s, then fails clearly."""
        self.prepare()
        lock = _DirLock(self.path / LOCK_NAME)
        if not lock.acquire(timeout):
            raise OutputError(
                f"{self.path}: another publish is building into this directory "
                f"(waited {timeout:g} s for {LOCK_NAME}); try again when it has finished"
            )
        previous = _install_sigterm()
        try:
            self.sweep()
            yield self
        finally:
            self.discard_temps()
            signal.signal(signal.SIGTERM, previous)
            lock.release()

    def sweep(self) -> list[Path]:
        """Remove temp files left by a build that was killed (we hold the lock, so none is live)."""
        removed = []
        for p in self.path.glob(TEMP_PREFIX + "*"):
            try:
                p.unlink()
                removed.append(p)
            except OSError:
                pass
        return removed

    def discard_temps(self) -> None:
        for p in list(self._temps):
            try:
                p.unlink()
            except FileNotFoundError:
                pass
            self._temps.discard(p)

    def write(self, name: str, data: bytes) -> Path:
        """Write ``name`` atomically: a temp file in the same directory, fsynced, then renamed."""
        target = self.path / name
        tmp = self.path / f"{TEMP_PREFIX}{name}.{os.getpid()}.{os.urandom(4).hex()}"
        self._temps.add(tmp)
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
        finally:
            if tmp.exists():
                tmp.unlink()
            self._temps.discard(tmp)
        return target

    # --- manifest (incremental builds) and checksums ---

    def manifest(self) -> dict[str, str]:
        try:
            data = json.loads((self.path / MANIFEST_NAME).read_text("utf-8"))
            return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def save_manifest(self, manifest: dict[str, str]) -> None:
        self.write(MANIFEST_NAME, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())

    def update_sums(self) -> Path:
        """Rewrite SHA256SUMS (sha256sum format) for every edition in the directory, third-party
        writers' included. A file whose size, mtime and inode are unchanged is not read again (an archive's
        output folder can hold gigabytes): its hash comes from the hidden ``.publish-sums.json``."""
        suffixes = edition_suffixes()
        try:
            known = json.loads((self.path / SUMS_CACHE_NAME).read_text("utf-8"))
            known = known if isinstance(known, dict) else {}
        except (OSError, ValueError):
            known = {}
        current: dict[str, list] = {}
        lines = []
        for p in sorted(self.path.iterdir()):
            if p.is_file() and p.suffix in suffixes and not p.name.startswith("."):
                st = p.stat()
                entry = known.get(p.name)
                stamp = [st.st_size, st.st_mtime_ns, st.st_ino]  # every atomic write makes a new inode
                if not (isinstance(entry, list) and len(entry) == 4 and entry[:3] == stamp):
                    entry = [*stamp, hashlib.sha256(p.read_bytes()).hexdigest()]
                current[p.name] = entry
                lines.append(f"{entry[3]}  {p.name}\n")
        self.write(SUMS_CACHE_NAME, (json.dumps(current, sort_keys=True) + "\n").encode())
        return self.write(SUMS_NAME, "".join(lines).encode())


def _install_sigterm():
    """SIGTERM unwinds like Ctrl-C, so temp files are removed and the lock released."""

    def handler(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return signal.getsignal(signal.SIGTERM)


#: settings that change how sources are read or where fonts are cached, not what an edition holds
_NOT_IN_EDITIONS = ("font_cache", "max_input_bytes", "encoding")


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


def render_edition(name: str, document: Document, options: RenderOptions) -> Edited:
    """Render one edition; never raises for a writer's failure (the other editions go on)."""
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
    except WriterError as exc:
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


def render_job(job: Job) -> Rendered:
    """Load (normalise) a source once and render each edition; runs in any process.

    With ``job.edition_workers`` > 1 (one article on a multi-core machine) every edition renders
    in its own forked process, started before the source is read so that the writers' imports
    overlap with normalising (:class:`pipeline.executors.EditionProcesses`)."""
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
        _start_editions(list(job.writers), document, options, children)
    out.yaml = dump_document(document).encode("utf-8")
    files = dependencies(document, job.source.path.parent, job.settings)
    todo = []
    for name in job.writers:
        out.keys[name] = input_key(out.yaml, name, job.settings, job.source_date_epoch, files)
        if existing.get(name) != out.keys[name]:
            todo.append(name)
    if children is not None and not started:
        _start_editions(todo, document, options, children)
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
    return out


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
    from pipeline.executors import EditionProcesses

    try:
        return EditionProcesses(list(job.writers), preload_writer, _render_seeded)
    except OSError:  # no processes or pipes left: render here
        return None


def _render_seeded(name: str, document: Document, options: RenderOptions, memo: Any) -> Edited:
    """:func:`render_edition` in an edition process, with the faces its parent already has."""
    from pipeline.fonts import seed_memo

    seed_memo(memo)
    return render_edition(name, document, options)


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
