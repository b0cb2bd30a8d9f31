"""The output folder's lock, so two builds (or a build and ``publish normalize -o``) on one folder
take turns: ``fcntl.flock`` where there is one, filelock elsewhere or where the file system has no
locks. Used by :class:`pipeline.outdir.OutputDir`."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class LockError(Exception):
    """The lock file cannot be opened or locked (not: it is busy)."""


class DirLock:
    """The output folder's lock: ``fcntl.flock`` on the lock file where there is one (the call
    filelock makes on POSIX too, so either tool sees the other's lock; importing filelock costs a
    build 10-40 ms), filelock elsewhere (Windows)."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self._other: Any = None

    def acquire(self, timeout: float, on_wait: Callable[[], None] | None = None) -> bool:
        """Take the lock, waiting up to ``timeout`` s; ``on_wait`` is called once if it is busy."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            from filelock import FileLock

            return self._wait(FileLock(str(self.path)), timeout, on_wait)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:  # someone else's lock file: a read-only descriptor locks too
            try:
                fd = os.open(self.path, os.O_RDONLY)
            except OSError as exc:
                raise LockError(f"{self.path}: cannot open the lock file: {exc.strerror}") from None
        except OSError as exc:
            raise LockError(f"{self.path}: cannot open the lock file: {exc.strerror}") from None
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                busy = exc.errno in (errno.EAGAIN, errno.EACCES)
                if busy and on_wait is not None:
                    on_wait()
                    on_wait = None
                if busy and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                os.close(fd)
                if busy:
                    return False
                if exc.errno in (errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP):
                    # a file system without flock (some NFS, FUSE): filelock's own fallback
                    from filelock import SoftFileLock

                    return self._wait(SoftFileLock(f"{self.path}.soft"), timeout, on_wait)
                raise LockError(f"{self.path}: cannot lock: {exc.strerror}") from None
            self._fd = fd
            return True

    def _wait(self, lock: Any, timeout: float, on_wait: Callable[[], None] | None) -> bool:
        """Take a filelock lock: at once if it is free, else say so through ``on_wait`` and wait."""
        from filelock import Timeout

        self._other = lock
        for wait in (0.0, timeout):
            try:
                lock.acquire(timeout=wait)
                return True
            except Timeout:
                if on_wait is not None and wait == 0.0:
                    on_wait()
        return False

    def release(self) -> None:
        if self._other is not None:  # pragma: no cover - Windows
            self._other.release()
        elif self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
