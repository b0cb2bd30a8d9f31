"""CFF outlines to TrueType glyf, glyph by glyph, remembered across builds.

reportlab and Word read only TrueType, and Noto Serif TC/SC ship with CFF outlines. Drawing one
glyph's charstring into quadratic curves and packing it costs about half a millisecond of pure
Python, so an article's thousand characters cost half a second, and every new article has a new
character set. The converted glyphs are therefore kept in a small SQLite store beside the font
cache, keyed by the source font, the glyph's id in it and the tools that converted it: each
glyph of a font is converted once per machine, and a new article's body face is assembled from
the store in milliseconds.

A face is always assembled from per-glyph records, whether they were just converted or read from
the store, and its metrics (maxp, head, hhea, vhea) are computed from those records, so a face is
byte-identical however warm the store was.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

#: SQLite parameters per statement stay under the oldest builds' limit (999).
_CHUNK = 900

#: Seconds before a store that would not open is tried again.
_RETRY_AFTER = 2.0


class GlyphStore:
    """Converted glyphs by key, in ``path`` (SQLite, shared by concurrent builds). Best effort:
    a store that cannot be opened, read or written behaves as an empty one; a damaged one is
    removed (with its journal), so the next build starts a new one.

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
            db.execute("CREATE TABLE IF NOT EXISTS glyphs (key TEXT PRIMARY KEY, data BLOB NOT NULL)"
                       " WITHOUT ROWID")
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
            self.close()
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(f"{self._path}{suffix}")
            _SHARED.pop(str(self._path), None)  # the next build starts a new one

    def get(self, keys: list[str]) -> dict[str, bytes]:
        import sqlite3

        found: dict[str, bytes] = {}
        with _STORE_LOCK:
            db = self._conn()
            if db is None:
                return found
            try:
                for i in range(0, len(keys), _CHUNK):
                    chunk = keys[i:i + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    found.update(db.execute(
                        f"SELECT key, data FROM glyphs WHERE key IN ({marks})", chunk))  # noqa: S608
            except sqlite3.Error as exc:
                self._fail(exc)
                return {}
        return found

    def put(self, items: dict[str, bytes]) -> None:
        import sqlite3

        with _STORE_LOCK:
            db = self._conn() if items else None
            if db is None:
                return
            try:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR IGNORE INTO glyphs VALUES (?, ?)", items.items())
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


class HarfBuzzGlyphs:
    """A glyph set (``glyphs[glyph_id].draw(pen)``) whose outlines HarfBuzz interprets from
    ``face``: its C charstring interpreter takes half the time of fontTools' Python one, same
    points. ``ids`` maps the ids asked for (a subset's) to ``face``'s own."""

    def __init__(self, hb: Any, face: Any, ids: dict[int, int] | None = None):
        self._font = hb.Font(face)
        self._ids = ids

    def __getitem__(self, gid: int) -> Any:
        font, gid = self._font, gid if self._ids is None else self._ids[gid]

        class Glyph:
            @staticmethod
            def draw(pen: Any) -> None:
                font.draw_glyph_with_pen(gid, pen)

        return Glyph


def to_truetype(font: Any, glyph_set: Any, keys: list[str] | None = None,
                store: GlyphStore | None = None) -> int:
    """Replace ``font``'s CFF/CFF2 outlines by quadratic glyf outlines drawn from ``glyph_set``
    (the fontTools otf2ttf recipe: Cu2QuPen with 1 unit error, reversed direction). ``keys``
    name each glyph (in glyph order) in ``store``; glyphs found there are not drawn again.
    Keeps each glyph's vertical origin (VORG -> vmtx top side bearing) so vertical text sits
    where the CFF font put it. Returns how many glyphs were drawn (not found in the store)."""
    from fontTools.ttLib import newTable
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    order = font.getGlyphOrder()
    records, drawn = _records(order, glyph_set, keys, store)

    vorg = font["VORG"] if "VORG" in font else None
    for tag in ("CFF ", "CFF2", "VORG"):
        if tag in font:
            del font[tag]
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {name: Glyph(data) for name, data in zip(order, records, strict=True)}
    bounds = {name: b for name, data in zip(order, records, strict=True) if (b := _bounds(data))}
    hmtx = font["hmtx"]
    vmtx = font["vmtx"] if "vmtx" in font else None
    for name, (_, x_min, _, _, y_max) in bounds.items():
        hmtx[name] = (hmtx[name][0], x_min)
        if vmtx is not None and vorg is not None and name in vmtx.metrics:
            origin_y = vorg.VOriginRecords.get(name, vorg.defaultVertOriginY)
            vmtx[name] = (vmtx[name][0], origin_y - y_max)
    maxp = font["maxp"] = newTable("maxp")
    maxp.decompile(_maxp(len(order), records), font)
    _set_extents(font, bounds)
    post = font["post"]
    post.formatType = 3.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"
    font.recalcBBoxes = False  # every extent is set above, from the records
    return drawn


def truetype_tables(tables: dict[str, bytes], glyph_set: Any, keys: list[str] | None = None,
                    store: GlyphStore | None = None) -> int:
    """:func:`to_truetype` on a font held as tables of bytes (:mod:`pipeline._sfnt`), in place,
    with ``glyph_set`` indexed by glyph id: the same glyphs, metrics and extents, without
    fontTools decompiling and recompiling the tables around them."""
    from pipeline import _sfnt

    count = struct.unpack_from(">H", tables["maxp"], 4)[0]
    records, drawn = _records(list(range(count)), glyph_set, keys, store)
    vorg = tables.pop("VORG", None)
    for tag in ("CFF ", "CFF2"):
        tables.pop(tag, None)
    bounds = [_bounds(data) for data in records]

    # as fontTools packs glyf: odd records padded only when that lets loca use short offsets
    padded = [data + b"\0" * (len(data) % 2) for data in records]
    short = sum(map(len, padded)) < 0x20000
    glyf = padded if short else records
    offsets = [0]
    for data in glyf:
        offsets.append(offsets[-1] + len(data))
    tables["glyf"] = b"".join(glyf) or b"\0"  # as fontTools: OTS and Windows refuse an empty glyf
    tables["loca"] = (struct.pack(f">{count + 1}H", *(o // 2 for o in offsets)) if short
                      else struct.pack(f">{count + 1}I", *offsets))
    tables["maxp"] = _maxp(count, records)
    tables["post"] = b"\x00\x03\x00\x00" + tables["post"][4:32]  # format 3: no glyph names

    longs = _sfnt.get(tables, "hhea.numberOfHMetrics")
    hmtx = _read_metrics(tables["hmtx"], longs, count)
    hmtx = [(advance, b[1]) if b else (advance, side)
            for (advance, side), b in zip(hmtx, bounds, strict=True)]
    tables["hmtx"] = _pack_metrics(hmtx, longs)
    sizes = {gid: (b[1], b[3] - b[1]) for gid, b in enumerate(bounds) if b}  # (xMin, width)
    fields = dict(zip(("hhea.advanceWidthMax", "hhea.minLeftSideBearing", "hhea.minRightSideBearing",
                       "hhea.xMaxExtent"), _extremes(dict(enumerate(hmtx)), sizes), strict=True))
    if "vhea" in tables and "vmtx" in tables:
        longs = _sfnt.get(tables, "vhea.numOfLongVerMetrics")
        vmtx = _read_metrics(tables["vmtx"], longs, count)
        if vorg is not None:
            default, origins = _read_vorg(vorg)
            vmtx = [(advance, origins.get(gid, default) - b[4]) if b else (advance, side)
                    for gid, ((advance, side), b) in enumerate(zip(vmtx, bounds, strict=True))]
        tables["vmtx"] = _pack_metrics(vmtx, longs)
        sizes = {gid: (0, b[4] - b[2]) for gid, b in enumerate(bounds) if b}  # (unused, height)
        fields.update(zip(("vhea.advanceHeightMax", "vhea.minTopSideBearing",
                           "vhea.minBottomSideBearing", "vhea.yMaxExtent"),
                          _extremes(dict(enumerate(vmtx)), sizes), strict=True))
    outlined = [b for b in bounds if b]
    fields.update({
        "head.xMin": min((b[1] for b in outlined), default=0),
        "head.yMin": min((b[2] for b in outlined), default=0),
        "head.xMax": max((b[3] for b in outlined), default=0),
        "head.yMax": max((b[4] for b in outlined), default=0),
        "head.indexToLocFormat": 0 if short else 1,
    })
    _sfnt.put(tables, fields)
    return drawn


def _records(names: list[Any], glyph_set: Any, keys: list[str] | None,
             store: GlyphStore | None) -> tuple[list[bytes], int]:
    """Every glyph's record (in order) and how many had to be drawn: the rest come from
    ``store`` under ``keys``, and the drawn ones are added to it."""
    known = store.get(keys) if store is not None and keys else {}
    missing = [gid for gid in range(len(names)) if not keys or keys[gid] not in known]
    drawn = _draw_all([names[gid] for gid in missing], glyph_set)
    records = [known[keys[gid]] if keys and keys[gid] in known else b"" for gid in range(len(names))]
    for gid, data in zip(missing, drawn, strict=True):
        records[gid] = data
    if store is not None and keys and missing:
        store.put({keys[gid]: records[gid] for gid in missing})
    return records, len(missing)


def _read_metrics(data: bytes, longs: int, count: int) -> list[tuple[int, int]]:
    """(advance, side bearing) per glyph from hmtx/vmtx: ``longs`` full pairs, then bearings
    only, the last advance repeated."""
    pairs = list(zip(*[iter(struct.unpack_from(f">{2 * longs}h", data))] * 2, strict=True))
    pairs = [(advance & 0xFFFF, side) for advance, side in pairs]  # advances are unsigned
    rest = struct.unpack_from(f">{count - longs}h", data, 4 * longs)
    last = pairs[-1][0] if pairs else 0
    return pairs + [(last, side) for side in rest]


def _pack_metrics(metrics: list[tuple[int, int]], longs: int) -> bytes:
    return (b"".join(struct.pack(">Hh", advance, side) for advance, side in metrics[:longs])
            + struct.pack(f">{len(metrics) - longs}h", *(side for _, side in metrics[longs:])))


def _read_vorg(data: bytes) -> tuple[int, dict[int, int]]:
    """VORG's default vertical origin and the per-glyph ones."""
    default, count = struct.unpack_from(">hH", data, 4)
    values = struct.unpack_from(">" + "Hh" * count, data, 8)
    return default, dict(zip(values[::2], values[1::2], strict=True))


#: Fewer glyphs to draw than this are not worth a second process.
_SPLIT_FROM = 240


def _draw_all(names: list[str], glyph_set: Any) -> list[bytes]:
    """The records of ``names``. Many glyphs (a cold store) are shared with one forked process
    when this one runs no other thread and has another CPU: drawing is pure Python, so that
    halves the wait for the first build on a machine."""
    with _signals_held():
        return _draw_all_held(names, glyph_set)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while glyphs are drawn, and deliver them right after. HarfBuzz
    calls back into Python for every segment of an outline and swallows exceptions raised
    there, so an interrupt in mid-glyph would silently drop part of the outline, and the store
    would keep the damaged glyph. Drawing a thousand glyphs takes a fraction of a second.

    The Python-level handlers are swapped for ones that only note the signal (masking it at the
    OS level is not enough: another thread may take it and the main thread still raises)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # Python runs signal handlers in the main thread only: nothing to hold here
        return
    pending: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, lambda signum, frame: pending.append(signum))
        except (ValueError, OSError):  # pragma: no cover - no such signal here
            pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for sig in dict.fromkeys(pending):
            signal.raise_signal(sig)


def _draw_all_held(names: list[str], glyph_set: Any) -> list[bytes]:

    if len(names) < _SPLIT_FROM or not _may_fork():
        return [_convert(glyph_set[name]) for name in names]
    half = len(names) // 2
    theirs, mine = names[:half], names[half:]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child leaves through os._exit
        code = 70
        try:
            os.close(read)
            import pickle

            payload = pickle.dumps([_convert(glyph_set[name]) for name in theirs])
            view = memoryview(payload)
            while view:
                view = view[os.write(write, view):]
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        ours = [_convert(glyph_set[name]) for name in mine]
        chunks = []
        while chunk := os.read(read, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(read)
        _, status = os.waitpid(pid, 0)
    import pickle

    got = None
    if status == 0:
        with contextlib.suppress(Exception):
            got = pickle.loads(b"".join(chunks))
    if not isinstance(got, list) or len(got) != len(theirs):
        got = [_convert(glyph_set[name]) for name in theirs]  # the child failed: here
    return got + ours


def _may_fork() -> bool:
    import threading

    if not hasattr(os, "fork") or threading.active_count() > 1:
        return False
    try:
        return len(os.sched_getaffinity(0)) > 1  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return (os.cpu_count() or 1) > 1


def _convert(glyph: Any) -> bytes:
    """One glyph's packed glyf record (no instructions), empty for a glyph without contours.

    The fontTools otf2ttf recipe (Cu2QuPen with 1 unit error and reversed direction into a
    TTGlyphPen, compiled with the greedy coordinate packing), without its chain of pen objects:
    the outline is collected once, curves converted by cu2qu's compiled routine, contours
    reversed by fontTools' own ``reversedContour``, and the record packed here. A test checks the
    bytes equal the pen chain's for every glyph of a font; this is twice as fast, and drawing was
    most of a new machine's first build."""
    from fontTools.pens.reverseContourPen import reversedContour

    pen = _Outline()
    glyph.draw(pen)
    points: list[tuple[float, float]] = []
    flags: list[int] = []
    ends: list[int] = []
    for contour in pen.contours:
        for op, args in reversedContour(contour):
            if op == "qCurveTo":
                points.extend(args[:-1])
                flags.extend([0] * (len(args) - 1))
                if args[-1] is not None:
                    points.append(args[-1])
                    flags.append(1)
            elif op in ("moveTo", "lineTo"):
                points.append(args[0])
                flags.append(1)
            elif op in ("closePath", "endPath"):  # as TTGlyphPen closes a contour
                end = len(points) - 1
                if end == 0 or (ends and end == ends[-1] + 1):  # a lone point: an anchor
                    points.pop()
                    flags.pop()
                    continue
                if points[ends[-1] + 1 if ends else 0] == points[end]:  # implied closing line
                    points.pop()
                    flags.pop()
                    end -= 1
                ends.append(end)
            else:
                raise ValueError(f"unexpected {op} in a quadratic outline")
    if not ends:
        return b""
    return _pack(ends, [(_round(x), _round(y)) for x, y in points], flags)


def _round(value: float) -> int:
    """fontTools' otRound: halves go up."""
    return int(math.floor(value + 0.5))


class _Outline:
    """A segment pen keeping each contour as (operator, points) tuples, cubic curves already
    converted to quadratic ones (the record ``reversedContour`` reads)."""

    def __init__(self) -> None:
        self.contours: list[list[tuple[str, tuple[Any, ...]]]] = []
        self._current: list[tuple[str, tuple[Any, ...]]] = []
        self._pt: Any = None

    def moveTo(self, pt: Any) -> None:  # noqa: N802 - the pen protocol's names
        self._current.append(("moveTo", (pt,)))
        self._pt = pt

    def lineTo(self, pt: Any) -> None:  # noqa: N802
        self._current.append(("lineTo", (pt,)))
        self._pt = pt

    def curveTo(self, *points: Any) -> None:  # noqa: N802
        from fontTools.cu2qu import curve_to_quadratic
        from fontTools.pens.basePen import decomposeSuperBezierSegment

        if len(points) < 3:
            self.qCurveTo(*points)
            return
        segments = [points] if len(points) == 3 else decomposeSuperBezierSegment(points)
        for segment in segments:
            self.qCurveTo(*curve_to_quadratic((self._pt, *segment), 1.0, True)[1:])

    def qCurveTo(self, *points: Any) -> None:  # noqa: N802
        self._current.append(("qCurveTo", points))
        self._pt = points[-1]

    def closePath(self) -> None:  # noqa: N802
        self._current.append(("closePath", ()))
        self.contours.append(self._current)
        self._current = []

    def endPath(self) -> None:  # noqa: N802
        self._current.append(("endPath", ()))
        self.contours.append(self._current)
        self._current = []

    def addComponent(self, name: str, transformation: Any) -> None:  # noqa: N802
        raise ValueError("components in a CFF outline")


def _pack(ends: list[int], coords: list[tuple[int, int]], flags: list[int]) -> bytes:
    """A simple glyph record: header with bounds, contour ends, no instructions, then flags and
    coordinate deltas packed greedily (fontTools' ``compileDeltasGreedy``, byte for byte)."""
    xs = [x for x, _ in coords]
    ys = [y for _, y in coords]
    out = bytearray(struct.pack(">hhhhh", len(ends), min(xs), min(ys), max(xs), max(ys)))
    out += struct.pack(f">{len(ends)}H", *ends) + b"\0\0"
    packed_flags, packed_x, packed_y = bytearray(), bytearray(), bytearray()
    last_flag, repeat = None, 0
    px = py = 0
    for flag, x, y in zip(flags, xs, ys, strict=True):
        dx, dy, px, py = x - px, y - py, x, y
        if dx == 0:
            flag |= 0x10  # x same
        elif -255 <= dx <= 255:
            flag |= 0x02 | (0x10 if dx > 0 else 0)  # x short, positive
            packed_x.append(dx if dx > 0 else -dx)
        else:
            packed_x += struct.pack(">h", dx)
        if dy == 0:
            flag |= 0x20  # y same
        elif -255 <= dy <= 255:
            flag |= 0x04 | (0x20 if dy > 0 else 0)
            packed_y.append(dy if dy > 0 else -dy)
        else:
            packed_y += struct.pack(">h", dy)
        if flag == last_flag and repeat != 255:
            repeat += 1
            if repeat == 1:
                packed_flags.append(flag)
            else:
                packed_flags[-2] = flag | 0x08  # repeat
                packed_flags[-1] = repeat
        else:
            repeat = 0
            packed_flags.append(flag)
        last_flag = flag
    return bytes(out + packed_flags + packed_x + packed_y)


def _bounds(data: bytes) -> tuple[int, int, int, int, int] | None:
    """(contours, xMin, yMin, xMax, yMax) from a simple glyph record's header; None if empty."""
    if len(data) < 10:
        return None
    return struct.unpack_from(">hhhhh", data)  # type: ignore[return-value]


def _maxp(count: int, records: Iterable[bytes]) -> bytes:
    """A version 1.0 maxp for ``count`` glyphs of simple outlines, no instructions."""
    max_points = max_contours = 0
    for data in records:
        if len(data) >= 12:
            contours = struct.unpack_from(">h", data)[0]
            if contours <= 0:
                continue
            points = struct.unpack_from(">H", data, 10 + 2 * (contours - 1))[0] + 1
            max_points, max_contours = max(max_points, points), max(max_contours, contours)
    # points, contours, composite points and contours, zones (1), then eight zero limits
    return struct.pack(">IH13H", 0x00010000, count, max_points, max_contours, 0, 0, 1, *[0] * 8)


def _set_extents(font: Any, bounds: dict[str, tuple[int, int, int, int, int]]) -> None:
    """head's bounding box and hhea/vhea's extremes, as fontTools' recalculation would set them."""
    head = font["head"]
    if bounds:
        head.xMin = min(b[1] for b in bounds.values())
        head.yMin = min(b[2] for b in bounds.values())
        head.xMax = max(b[3] for b in bounds.values())
        head.yMax = max(b[4] for b in bounds.values())
    else:
        head.xMin = head.yMin = head.xMax = head.yMax = 0
    if "hhea" in font and "hmtx" in font:
        hhea = font["hhea"]
        sizes = {name: (b[1], b[3] - b[1]) for name, b in bounds.items()}  # (xMin, width)
        (hhea.advanceWidthMax, hhea.minLeftSideBearing, hhea.minRightSideBearing,
         hhea.xMaxExtent) = _extremes(font["hmtx"].metrics, sizes)
    if "vhea" in font and "vmtx" in font:
        vhea = font["vhea"]
        sizes = {name: (0, b[4] - b[2]) for name, b in bounds.items()}  # (unused, height)
        (vhea.advanceHeightMax, vhea.minTopSideBearing, vhea.minBottomSideBearing,
         vhea.yMaxExtent) = _extremes(font["vmtx"].metrics, sizes)


def _extremes(metrics: dict[Any, tuple[int, int]],
              sizes: dict[Any, tuple[int, int]]) -> tuple[int, int, int, int]:
    """Largest advance, smallest bearing on each side and largest extent over the glyphs with
    outlines: hhea's (left/right) or vhea's (top/bottom) summary of hmtx or vmtx."""
    advance_max = max((advance for advance, _ in metrics.values()), default=0)
    before, after, extent = [], [], []
    for name, (_, size) in sizes.items():
        if name not in metrics:
            continue
        advance, bearing = metrics[name]
        before.append(bearing)
        after.append(advance - bearing - size)
        extent.append(bearing + size)
    return advance_max, min(before, default=0), min(after, default=0), max(extent, default=0)
