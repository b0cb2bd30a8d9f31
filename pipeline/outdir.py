"""The output folder: its names, its formats, and the only code that writes into it.

Writers return bytes; only :class:`OutputDir` touches ``outputs/``. Every file is written to a
recognisable temporary name and renamed into place, under a lock, so a failed or interrupted build
never leaves a half-written edition or clobbers the previous one, and two builds on the same
directory cannot interleave. ``SHA256SUMS`` and an input manifest (for incremental builds) are kept
current by every build. The names and formats here are shared by :mod:`pipeline.build`, which
writes the folder, and :mod:`pipeline.check`, which reads it, so the two cannot disagree.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
