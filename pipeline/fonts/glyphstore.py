"""The glyph store: converted CFF glyphs, kept across builds in a small SQLite file.

Drawing one glyph's charstring into quadratic curves and packing it costs about half a
millisecond of pure Python, so an article's thousand characters cost half a second, and every new
article has a new character set. The converted glyphs are therefore kept in a small SQLite store
beside the font cache, keyed by the source font, the glyph's id in it and the tools that converted
it: each glyph of a font is converted once per machine, and a new article's body face is
assembled from the store in milliseconds. Each row carries a checksum of its key and bytes,
verified on every read: a damaged row is deleted, reported once, and its glyph drawn again.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from pipeline.fonts.cache import _checksum, _warn

#: SQLite parameters per statement stay under the oldest builds' limit (999).
_CHUNK = 900

#: Seconds before a store that would not open is tried again.
_RETRY_AFTER = 2.0


class GlyphStore:
    """Converted glyphs by key, in ``path`` (SQLite, shared by concurrent builds). Best effort:
    a store that cannot be opened, read or written behaves as an empty one; a damaged one is
    removed (with its journal, and reported), so the next build starts a new one.

    Use :func:`shared_store`: opening and closing SQLite for every new face made and removed its
    write-ahead log each time (a checkpoint, two files created and deleted per article). The
    connection is the opening process's only (see :meth:`_conn`)."""

    def __init__(self, path: Path | None):
        self._path = path
        self._db: Any = None
        self._pid = os.getpid()
        self._retry_at = float("inf") if path is None else 0.0

    def _conn(self) -> Any:
        """The connection, opened on first use. A store that would not open (busy, read-only,
        unreachable) is tried again after a while: two processes starting on an empty cache at
        once must not leave one without a store.

        In a forked child the parent's connection is set aside, never used nor closed (SQLite
        forbids both across a fork; closing could checkpoint the parent's journal), and the
        child opens its own."""
        if self._pid != os.getpid():
            if self._db is not None:
                _INHERITED.append(self._db)
            self._db, self._pid, self._retry_at = None, os.getpid(), 0.0
        if self._db is not None or time.monotonic() < self._retry_at:
            return self._db
        import sqlite3

        assert self._path is not None
        db = None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self._path), timeout=60, isolation_level=None,
                                 check_same_thread=False)
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            db.execute("CREATE TABLE IF NOT EXISTS glyphs (key TEXT PRIMARY KEY, data BLOB NOT NULL,"
                       " sum BLOB NOT NULL) WITHOUT ROWID")
            self._db = db
        except (sqlite3.Error, OSError) as exc:
            if db is not None:
                with contextlib.suppress(sqlite3.Error):
                    db.close()
            self._retry_at = time.monotonic() + _RETRY_AFTER
            self._fail(exc)
        return self._db

    def _fail(self, exc: Exception) -> None:
        """A damaged store is closed and removed; a busy, read-only or unreachable one is left
        alone."""
        if "malformed" in str(exc) or "not a database" in str(exc):
            _warn(f"font cache: {self._path} was damaged; removed (its glyphs are drawn again)")
            self.close()
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{self._path}{suffix}")
            _SHARED.pop(str(self._path), None)  # the next build starts a new one

    def get(self, keys: list[str]) -> dict[str, bytes]:
        """The stored glyphs of ``keys`` whose checksum holds; damaged rows are deleted."""
        import sqlite3

        found: dict[str, bytes] = {}
        damaged: list[str] = []
        with _STORE_LOCK:
            db = self._conn()
            if db is None:
                return found
            try:
                for i in range(0, len(keys), _CHUNK):
                    chunk = keys[i:i + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    for key, data, total in db.execute(
                            f"SELECT key, data, sum FROM glyphs WHERE key IN ({marks})", chunk):  # noqa: S608
                        if isinstance(data, bytes) and _checksum(key, data) == total:
                            found[key] = data
                        else:
                            damaged.append(key)
                if damaged:
                    db.executemany("DELETE FROM glyphs WHERE key = ?", [(k,) for k in damaged])
            except sqlite3.Error as exc:
                self._fail(exc)
                return {}
        if damaged:
            _warn(f"font cache: {self._path} had damaged glyphs; drawn again")
        return found

    def put(self, items: dict[str, bytes]) -> None:
        import sqlite3

        with _STORE_LOCK:
            db = self._conn() if items else None
            if db is None:
                return
            try:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR IGNORE INTO glyphs VALUES (?, ?, ?)",
                               [(key, data, _checksum(key, data)) for key, data in items.items()])
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                self._fail(exc)

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(Exception):
                self._db.close()
            self._db = None


_SHARED: dict[str, GlyphStore] = {}
_STORE_LOCK = threading.RLock()


def shared_store(path: Path | None) -> GlyphStore:
    """This process's store for ``path``, kept open between builds."""
    if path is None:
        return GlyphStore(None)
    with _STORE_LOCK:
        store = _SHARED.get(str(path))
        if store is None:
            store = _SHARED[str(path)] = GlyphStore(path)
        return store


#: Connections a forked child inherited: kept referenced so they are never closed from here
#: (the processes this project forks leave through ``os._exit``).
_INHERITED: list[Any] = []


def _fresh_lock() -> None:
    """In a forked child: a new lock (the parent's may have been held by a thread that the
    child does not have)."""
    global _STORE_LOCK
    _STORE_LOCK = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_lock)
