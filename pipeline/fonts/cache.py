"""The font cache: what every cache key carries, the in-process memos, the disk cache with its
pruning and inter-process locks, and the fonts and files writers derive from faces.

Cache (``settings.font_cache``, else $PUBLISH_FONT_CACHE, else the platformdirs user cache):
``sources/<stamp>.json`` (hash and coverage of a font file, by path + size + mtime),
``subsets/<key>.ttf`` (finished faces) and ``artifacts/`` (a writer's font-derived files), least
recently used pruned past $PUBLISH_FONT_CACHE_MAX_MB (default 512), ``glyphs-<stamp>.sqlite``
(converted CFF glyphs: at most one entry per glyph of each font used, replaced when the fonts code
or the font tools change), ``locks/`` (one process makes a subset, others wait).

Entries are keyed by what went into them and carry no timestamp, so identical input gives
identical bytes. Every entry file (and every glyph store row) carries a checksum of its bytes and
its name, verified on every read (:func:`_read_entry`): a damaged entry is a miss, made again,
replaced and reported once through :func:`take_warnings`, never used. A cache folder that cannot
be used is reported once too; builds go on without it. This module is the only home of the fonts'
mutable process state (the memos and their lock, :data:`STATS`, :data:`_UNPRUNED`, the warnings):
the other modules use these very objects.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.fonts.faces import Face, FaceSet
from pipeline.settings import Settings, font_cache_dir

#: Bump when the way subsets are made changes: it is part of every cache key.
FONTS_VERSION = "7"
#: Part of every cache key: the fonts code, and the tool release it shipped in.
_CACHE_VERSION = f"{FONTS_VERSION}/{__version__}"
#: How entries are stored (a checksum header since "2"): part of every entry's key but not of the
#: faces' names, so entries of another layout are never read (they are pruned in time) and the
#: editions' bytes do not change with it.
_ENTRY_FORMAT = "2"
_KEY_VERSION = f"{_CACHE_VERSION}/{_ENTRY_FORMAT}"


#: Counts of expensive work done in this process (``subset``, ``hash``); tests read it.
STATS: Counter[str] = Counter()


_LOCK = threading.RLock()
_SUBSET_MEMO: dict[str, bytes] = {}
#: Entries the in-process memos keep: a batch worker renders article after article, each with its
#: own subsets (about a megabyte each), so unbounded memos would grow without end.
_MEMO_LIMIT = {"subsets": 48, "facesets": 8}
_SOURCE_MEMO: dict[tuple[str, int, int, int], Any] = {}  # coverage._SourceInfo by file stamp
_FACESET_MEMO: dict[Any, FaceSet] = {}


def _remember(memo: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    """Put ``key`` in ``memo`` as its newest entry, dropping the oldest past ``limit``."""
    memo.pop(key, None)
    memo[key] = value
    while len(memo) > limit:
        del memo[next(iter(memo))]


def memo_snapshot() -> tuple[list[tuple[Any, FaceSet]], list[tuple[str, bytes]]]:
    """The faces this process has made or read, for a process it hands work to (:func:`seed_memo`)."""
    with _LOCK:
        return list(_FACESET_MEMO.items()), list(_SUBSET_MEMO.items())


def seed_memo(snapshot: tuple[list[tuple[Any, FaceSet]], list[tuple[str, bytes]]]) -> None:
    facesets, subsets = snapshot
    with _LOCK:
        for key, data in subsets:
            _remember(_SUBSET_MEMO, key, data, _MEMO_LIMIT["subsets"])
        for key, faces in facesets:
            _remember(_FACESET_MEMO, key, faces, _MEMO_LIMIT["facesets"])


def clear_memo() -> None:
    """Forget in-process results (tests; long-running processes after font files changed)."""
    with _LOCK:
        _SUBSET_MEMO.clear()
        _SOURCE_MEMO.clear()
        _FACESET_MEMO.clear()


#: Messages already given in this process (each damaged entry, each unusable folder: once).
_WARNED: set[str] = set()
#: Messages not yet taken by the build running in this thread (:func:`take_warnings`).
_PENDING = threading.local()


def _warn(message: str) -> None:
    """Tell the user ``message`` once per process, through the build that met it."""
    with _LOCK:
        if message in _WARNED:
            return
        _WARNED.add(message)
    _PENDING.__dict__.setdefault("messages", []).append(message)


def take_warnings() -> list[str]:
    """What the font cache had to say since the last call in this thread (a damaged entry made
    again, a folder it could not use), for the build to print as warnings."""
    return _PENDING.__dict__.pop("messages", [])


def _forget_pending() -> None:
    """In a forked child: its parent reports what was pending at the fork, the child must not."""
    _PENDING.__dict__.pop("messages", None)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pending)


def _unusable(cache: Path, exc: OSError) -> None:
    """Say once that ``cache`` cannot be read or written: builds work without it, only slower."""
    reason = "not a folder" if cache.exists() and not cache.is_dir() else exc.strerror or str(exc)
    _warn(f"font cache: {cache} cannot be used ({reason}); fonts are made without caching them")


#: Every entry file starts with this, then the checksum of its name and bytes.
_MAGIC = b"publish\x02"
_SUM_SIZE = 16


def _checksum(name: str, data: bytes | memoryview) -> bytes:
    """Of ``name`` and ``data``: an entry copied to another name is as wrong as a flipped bit.
    SHA-256 runs at more than 1 GB/s (CPU instructions), a warm build reads a few megabytes."""
    h = hashlib.sha256(name.encode("utf-8") + b"\0")
    h.update(data)
    return h.digest()[:_SUM_SIZE]


def _read_entry(cache: Path, name: str) -> bytes | None:
    """The bytes stored as ``name`` (``subsets/<key>.ttf``...) in ``cache``, verified; None when
    there are none or they are damaged (then removed and reported: the caller makes them again)."""
    path = cache / name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:  # the folder is a file, unreadable...
        _unusable(cache, exc)
        return None
    head = len(_MAGIC) + _SUM_SIZE
    view = memoryview(raw)[head:]
    if raw[:len(_MAGIC)] != _MAGIC or raw[len(_MAGIC):head] != _checksum(name, view):
        _warn(f"font cache: {path} was damaged; rebuilt")
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: pruned last
    return bytes(view)


def _write_entry(cache: Path, name: str, data: bytes) -> int:
    """Store ``data`` as ``name`` in ``cache`` with its checksum, via a temp file in the same
    folder + os.replace: readers never see half a file and two processes filling the cache at
    once both succeed (last writer wins, same bytes). Returns the bytes written (0: not written,
    an unusable cache only costs time, and is reported once)."""
    path = cache / name
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(_MAGIC + _checksum(name, data))
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        _unusable(cache, exc)
        return 0
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return len(data)


def _cache_dir(settings: Settings) -> Path | None:
    """The cache folder for ``settings``, or None (reported) when there is no usable one."""
    try:
        return font_cache_dir(settings)
    except Exception as exc:  # noqa: BLE001 - no platformdirs or no home directory
        _warn(f"font cache: no folder for it ({exc}); fonts are made without caching them")
        return None


@functools.lru_cache(maxsize=1)
def _tools_stamp() -> str:
    """Part of every cache key: another fontTools or HarfBuzz may make other bytes. The installed
    releases are read from their ``*.dist-info`` folder names beside the packages (one folder
    listing, where reading their metadata costs milliseconds); a package installed some other
    way is told apart by its files' size and time instead."""
    import importlib.util

    parts = []
    for module, dist in (("fontTools", "fonttools"), ("uharfbuzz", "uharfbuzz")):
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin:
            parts.append(f"{module}:none")
            continue
        package = Path(spec.origin).parent
        try:
            infos = sorted(n for n in os.listdir(package.parent)
                           if n.lower().startswith(dist + "-") and n.endswith(".dist-info"))
        except OSError:
            infos = []
        if infos:
            parts.append(infos[-1])
            continue
        try:
            st = os.stat(spec.origin)
            parts.append(f"{module}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{module}:none")
    return "+".join(parts)


#: Seconds to wait for another process making the same subsets before making them too.
_LOCK_TIMEOUT = 180


def _cached(key: str, cache: Path | None) -> bytes | None:
    with _LOCK:
        data = _SUBSET_MEMO.get(key)
    if data is None and cache is not None:
        data = _read_entry(cache, f"subsets/{key}.ttf")
    return data


def derived(kind: str, face: Face, parameter: str, make: Callable[[], bytes],
            settings: Settings | None = None) -> bytes:
    """A font a writer derives from ``face`` (a tighter subset, renamed family...), cached like the
    subsets: in this process and on disk, keyed by the face's bytes, ``kind`` and ``parameter``.

    Writers call this instead of redoing fontTools work on every build (it is most of a warm
    build's time otherwise)."""
    h = hashlib.sha256()
    for part in (_KEY_VERSION, _tools_stamp(), kind, face.sha256, parameter):
        h.update(part.encode("utf-8") + b"\0")
    key = f"derived-{h.hexdigest()[:40]}"
    cache = _cache_dir(settings or Settings())
    data = _cached(key, cache)
    if data is None:
        data = make()
        with _LOCK:
            _remember(_SUBSET_MEMO, key, data, _MEMO_LIMIT["subsets"])
        if cache is not None:
            _write_entry(cache, f"subsets/{key}.ttf", data)
    return data


def cached_artifact(kind: str, parts: Iterable[str], make: Callable[[], bytes],
                    settings: Settings | None = None) -> bytes:
    """Bytes a writer makes from fonts and metadata only (the EPUB's cover image), cached on disk
    beside the subsets under a key of ``kind``, ``parts`` and this release; pruned with them."""
    h = hashlib.sha256()
    for part in (_KEY_VERSION, kind, *parts):
        h.update(part.encode("utf-8") + b"\0")
    key = f"{kind}-{h.hexdigest()[:40]}"
    with _LOCK:
        data = _SUBSET_MEMO.get(key)
    if data is not None:
        return data
    cache = _cache_dir(settings or Settings())
    if cache is not None:
        data = _read_entry(cache, f"artifacts/{key}.bin")
    if data is None:
        data = make()
        if cache is not None:
            _write_entry(cache, f"artifacts/{key}.bin", data)
    with _LOCK:
        _remember(_SUBSET_MEMO, key, data, _MEMO_LIMIT["subsets"])
    return data


def _cache_limit() -> int:
    """Bytes of subsets the cache may hold: $PUBLISH_FONT_CACHE_MAX_MB (default 512)."""
    env = os.environ.get("PUBLISH_FONT_CACHE_MAX_MB", "").strip()
    return (int(env) if env.isdigit() else 512) * 1024 * 1024


#: Bytes this process wrote to each cache since it last pruned it.
_UNPRUNED: dict[str, int] = {}
_STRIPE_FILE = re.compile(r"[0-9a-f]{3}\.lock")


def _maybe_prune(cache: Path, written: int) -> None:
    """:func:`_prune` on the first write to ``cache`` (by this process, or the one it was forked
    from), then after every 1/64 of the limit written: a batch writes new subsets for every
    article, and listing a full cache each time cost more than making a subset. The cache may
    overshoot its limit by that much per process."""
    with _LOCK:
        done = _UNPRUNED.get(str(cache))
        if done is not None and done + written < _cache_limit() // 64:
            _UNPRUNED[str(cache)] = done + written
            return
        _UNPRUNED[str(cache)] = 0
    _prune(cache)


def _prune(cache: Path) -> None:
    """Keep the subset cache under its limit by removing the least recently used entries (every
    distinct character set makes new subsets, so an unpruned cache only grows)."""
    current = Path(_glyph_store(cache) or "").name  # and its -wal and -shm companions
    week_ago = time.time() - 7 * 86400
    with contextlib.suppress(OSError):
        for entry in os.scandir(cache):
            # converted by another release or other font tools, and unused for a week (another
            # installation sharing this cache may still be using it)
            if (entry.name.startswith("glyphs-") and not entry.name.startswith(current)
                    and entry.stat().st_mtime < week_ago):
                os.unlink(entry.path)
    with contextlib.suppress(OSError):
        for entry in os.scandir(cache / "locks"):  # per-key lock files of earlier versions
            if not _STRIPE_FILE.fullmatch(entry.name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
    entries = []
    for folder, suffix in (("subsets", ".ttf"), ("artifacts", ".bin")):
        with contextlib.suppress(OSError):
            entries += [(e.stat().st_mtime, e.stat().st_size, e.path)
                        for e in os.scandir(cache / folder) if e.name.endswith(suffix)]
    total, limit = sum(size for _, size, _ in entries), _cache_limit()
    if total <= limit:
        return
    for _, size, path in sorted(entries):
        if total <= limit * 0.8:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size


#: Lock files in the cache's locks/ folder: each key takes the one its hash picks. A file per key
#: would leave one file behind for every subset ever made (an archive makes millions); with 4096,
#: two processes making different subsets rarely share one (an article locks about five).
_LOCK_STRIPES = 4096


def _cache_locks(keys: list[str], cache: Path | None) -> contextlib.ExitStack:
    """Inter-process locks on the subsets about to be made, taken in sorted order (no deadlock):
    when a batch runs several processes, one makes each subset and the others wait and read it.
    Keys share :data:`_LOCK_STRIPES` lock files, so two processes making different subsets may
    now and then wait for each other. Best effort: without filelock, or after a timeout, the
    work is simply done twice."""
    stack = contextlib.ExitStack()
    if cache is None:
        return stack
    try:
        from filelock import FileLock, Timeout
    except ImportError:
        return stack
    try:
        (cache / "locks").mkdir(parents=True, exist_ok=True)
        for stripe in sorted({int(key[:8], 16) % _LOCK_STRIPES for key in keys}):
            stack.enter_context(FileLock(str(cache / "locks" / f"{stripe:03x}.lock"),
                                         timeout=_LOCK_TIMEOUT))
    except (OSError, Timeout):
        pass  # proceed with whatever locks were taken
    return stack


def _glyph_store(cache: Path | None) -> str | None:
    """Where converted CFF glyphs are kept: one SQLite file per release of the fonts code and
    installed font tools (other ones are removed when the cache is pruned)."""
    if cache is None:
        return None
    stamp = hashlib.sha256(f"{_KEY_VERSION}/{_tools_stamp()}".encode()).hexdigest()[:16]
    return str(cache / f"glyphs-{stamp}.sqlite")
