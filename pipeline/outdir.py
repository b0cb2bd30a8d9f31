"""The output folder: its names, its formats, and the only code that writes into it.

Writers return bytes; only :class:`OutputDir` touches ``outputs/``. Every file is written to a
recognisable temporary name and renamed into place, under a lock, so a failed or interrupted build
never leaves a half-written edition or clobbers the previous one, and two builds on the same
directory cannot interleave. The manifest records what each edition was built from (its input key)
and the SHA-256 of the bytes written, entry by entry as each edition lands (a journal, folded into
the manifest when the build ends), so an incremental build trusts a file only while it still holds
those bytes, and ``SHA256SUMS`` lists the bytes that were built. The names and formats here are
shared by :mod:`pipeline.build`, which writes the folder, and :mod:`pipeline.check`, which reads
it, so the two cannot disagree.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.dirlock import DirLock, LockError
from pipeline.signals import signals_held

TEMP_PREFIX = ".publish-tmp."
LOCK_NAME = ".publish.lock"
MANIFEST_NAME = ".publish-manifest.json"
#: one line per edition written since the manifest was last saved (a killed build loses none)
JOURNAL_NAME = ".publish-journal"
SUMS_NAME = "SHA256SUMS"
#: file stamps (size, mtime, ctime, inode) and the SHA-256 of the bytes that had them
SUMS_CACHE_NAME = ".publish-sums.json"
MANIFEST_FORMAT = 2
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


@dataclass(frozen=True)
class Built:
    """An edition as publish wrote it: the key of its inputs (``None`` for the YAML copy, which
    every build rewrites) and the SHA-256 of its bytes."""

    key: str | None
    sha256: str


#: what :meth:`OutputDir.verify` finds on disk for a built edition
INTACT, MISSING, CHANGED, UNLISTED = "intact", "missing", "changed", "unlisted"


def sums_line(digest: str, name: str) -> str:
    """One ``SHA256SUMS`` line as GNU sha256sum writes it: a name holding a backslash, newline or
    carriage return is escaped and the line starts with a backslash, so every name fits a line."""
    if any(c in name for c in "\\\n\r"):
        escaped = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return f"\\{digest}  {escaped}\n"
    return f"{digest}  {name}\n"


def unescape_sums_name(name: str) -> str | None:
    """The name a ``\\``-prefixed SHA256SUMS line stands for; None if it is not validly escaped."""
    out, i = [], 0
    while i < len(name):
        c = name[i]
        if c == "\\":
            code = {"\\": "\\", "n": "\n", "r": "\r"}.get(name[i + 1: i + 2])
            if code is None:
                return None
            out.append(code)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class OutputDir:
    """The output directory: created on demand, locked while a build writes, written atomically,
    with a manifest of what was built there (:meth:`manifest`, :meth:`write_edition`)."""

    def __init__(self, path: Path):
        self.path = path
        self._temps: set[Path] = set()
        self._built: dict[str, Built] | None = None
        #: name -> [size, mtime_ns, ctime_ns, inode, sha256]: a file's hash while its stamp holds
        self._stamps: dict[str, list] = {}
        self._journal: int | None = None
        #: the manifest is there but unreadable: nothing is known, so every edition is rebuilt
        self.manifest_unreadable = False

    def prepare(self) -> None:
        try:
            if self.path.exists() and not self.path.is_dir():
                raise OutputError(f"{self.path}: output path is a file, not a directory")
        except OSError as exc:  # a name the file system refuses (too long...)
            raise OutputError(f"{self.path}: cannot use as output directory: {exc.strerror}") from None
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
    def locked(self, timeout: float = 120.0,
               on_wait: Callable[[], None] | None = None) -> Iterator[OutputDir]:
        """Hold the directory's lock; a second build waits up to ``timeout`` s (``on_wait`` is
        called once when it starts waiting), then fails clearly."""
        self.prepare()
        lock = DirLock(self.path / LOCK_NAME)
        try:
            acquired = lock.acquire(timeout, on_wait)
        except LockError as exc:
            raise OutputError(str(exc)) from None
        if not acquired:
            raise OutputError(
                f"{self.path}: another publish is building into this directory "
                f"(waited {timeout:g} s for {LOCK_NAME}); try again when it has finished"
            )
        previous = _install_sigterm()
        try:
            self.sweep()
            yield self
        finally:
            self._close_journal()
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
        """Write ``name`` atomically: a temp file in the same directory, fsynced, then renamed.
        The temp name does not grow with ``name``, so a long name fails as itself, clearly."""
        target = self.path / name
        tmp = self.path / f"{TEMP_PREFIX}{os.getpid()}.{os.urandom(6).hex()}"
        self._temps.add(tmp)
        renamed = False
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            renamed = True
        except OSError as exc:
            raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
        finally:  # on any exception, Ctrl-C included
            if not renamed:
                with suppress(OSError):
                    tmp.unlink()
            self._temps.discard(tmp)
        return target

    # --- the manifest: what was built here, from what, and the bytes written ---

    def manifest(self) -> dict[str, Built]:
        """What publish built here, by file name: the saved manifest, then the journal of the
        editions written since (by a killed build too). Read once; later calls return the same."""
        if self._built is not None:
            return self._built
        self._built = {}
        try:
            data = json.loads((self.path / MANIFEST_NAME).read_bytes())
        except FileNotFoundError:
            data = {"format": MANIFEST_FORMAT, "editions": {}}
        except (OSError, ValueError):
            data = None
        editions = data.get("editions") if isinstance(data, dict) else None
        if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT and isinstance(editions, dict):
            for name, entry in editions.items():
                self._remember(name, entry)
        elif not (isinstance(data, dict) and all(isinstance(v, str) for v in data.values())):
            self.manifest_unreadable = True  # (format 1 held input keys only: known to be unknown)
        self._stamps = {n: s for n, s in _read_json(self.path / SUMS_CACHE_NAME, {}).items()
                        if _valid_stamp(s)}
        try:
            journal = (self.path / JOURNAL_NAME).read_text("utf-8", errors="replace")
        except OSError:
            journal = ""
        for line in journal.splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # a torn last line, or damage: that edition is rebuilt
                continue
            if isinstance(record, dict) and self._remember(record.get("name"), record):
                stamp = record.get("stamp")
                stamp = [*stamp, record["sha256"]] if isinstance(stamp, list) else None
                if stamp is not None and _valid_stamp(stamp):
                    self._stamps[record["name"]] = stamp
        return self._built

    def _remember(self, name: Any, entry: Any) -> bool:
        if not (isinstance(name, str) and isinstance(entry, dict)):
            return False
        key, digest = entry.get("key"), entry.get("sha256")
        if not ((key is None or isinstance(key, str)) and _is_sha256(digest)):
            return False
        self.manifest()[name] = Built(key, digest)
        return True

    def verify(self, name: str) -> str:
        """Whether the file ``name`` holds the bytes publish built: INTACT, CHANGED, MISSING or
        UNLISTED (no record of building it). The file is read only when its size, mtime, ctime or
        inode differ from those it had when it was written or last read."""
        actual = self._sha256(name)
        entry = self.manifest().get(name)
        if actual is None:
            return MISSING
        if entry is None:
            return UNLISTED
        return INTACT if actual == entry.sha256 else CHANGED

    def _sha256(self, name: str, st: os.stat_result | None = None) -> str | None:
        """The SHA-256 of the file ``name`` as it is now (None: no such file, or unreadable)."""
        path = self.path / name
        try:
            known = self._stamps.get(name)
            if known is not None and known[:4] == _stamp(st or os.stat(path)):
                return known[4]
            with open(path, "rb") as fh:
                stamp = _stamp(os.fstat(fh.fileno()))  # a change while reading changes the stamp
                digest = hashlib.sha256()
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError:
            return None
        self._stamps[name] = [*stamp, digest.hexdigest()]
        return digest.hexdigest()

    def write_edition(self, name: str, data: bytes, key: str | None) -> Path:
        """Write an edition and record it: its manifest entry is appended to the journal right
        after the file lands, so a build killed at any moment leaves the old entry (whose hash the
        new file does not match: rebuilt) or the new one."""
        digest = hashlib.sha256(data).hexdigest()
        with signals_held():  # Ctrl-C or SIGTERM lands before the file or after its record
            target = self.write(name, data)
            self.manifest()[name] = Built(key, digest)
            try:
                stamp = _stamp(os.stat(target))
                self._stamps[name] = [*stamp, digest]
                if self._journal is None:
                    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
                    self._journal = os.open(self.path / JOURNAL_NAME, flags, 0o644)
                # each record starts a line of its own: one torn by a killed build spoils only itself
                record = {"name": name, "key": key, "sha256": digest, "stamp": stamp}
                os.write(self._journal, ("\n" + json.dumps(record, sort_keys=True)).encode())
            except OSError as exc:
                journal = self.path / JOURNAL_NAME
                raise OutputError(f"{journal}: cannot record {name}: {exc.strerror}") from None
        return target

    def forget(self, name: str) -> None:
        """``name`` is no longer publish's to keep (a YAML source in the output folder)."""
        self.manifest().pop(name, None)

    def update_sums(self) -> list[str]:
        """Rewrite SHA256SUMS (sha256sum format) for every edition in the directory, third-party
        writers' included, from the hashes recorded when they were built (a file publish did not
        build is read once). Returns the built files whose bytes have changed since: they are
        listed with the hash that was built, so ``sha256sum -c`` and ``publish check`` flag them."""
        built = self.manifest()
        suffixes = edition_suffixes()
        lines, changed, present = [], [], set()
        with os.scandir(self.path) as found:
            entries = sorted(found, key=lambda e: e.name)
        for entry in entries:
            present.add(entry.name)
            if entry.name.startswith(".") or Path(entry.name).suffix not in suffixes:
                continue
            with suppress(OSError):
                if not entry.is_file():
                    continue
                actual = self._sha256(entry.name, entry.stat())
                if actual is not None:
                    record = built.get(entry.name)
                    if record is not None and record.sha256 != actual:
                        changed.append(entry.name)
                    lines.append(sums_line(record.sha256 if record else actual, entry.name))
        for gone in (set(built) | set(self._stamps)) - present:
            built.pop(gone, None)
            self._stamps.pop(gone, None)
        self.write(SUMS_NAME, "".join(lines).encode())
        return changed

    def save_manifest(self) -> None:
        """Fold the journal into the manifest (one atomic write), and save the stamps."""
        editions = {n: {"key": b.key, "sha256": b.sha256} for n, b in sorted(self.manifest().items())}
        data = {"format": MANIFEST_FORMAT, "editions": editions}
        self.write(MANIFEST_NAME, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())
        self.write(SUMS_CACHE_NAME, (json.dumps(self._stamps, sort_keys=True) + "\n").encode())
        self._close_journal()
        with suppress(FileNotFoundError):
            (self.path / JOURNAL_NAME).unlink()

    def _close_journal(self) -> None:
        if self._journal is not None:
            os.close(self._journal)
            self._journal = None


def _stamp(st: os.stat_result) -> list[int]:
    """What changes whenever a file's bytes do (an atomic write makes a new inode; ctime cannot be
    set back, as mtime can)."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _valid_stamp(stamp: Any) -> bool:
    return (isinstance(stamp, list) and len(stamp) == 5 and _is_sha256(stamp[4])
            and all(isinstance(n, int) for n in stamp[:4]))


def _is_sha256(digest: Any) -> bool:
    return isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)


def _read_json(path: Path, default: dict) -> dict:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return default
    return data if isinstance(data, dict) else default


def _install_sigterm():
    """SIGTERM unwinds like Ctrl-C, so temp files are removed and the lock released."""

    def handler(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        return signal.getsignal(signal.SIGTERM)
