"""Drawing CFF glyphs into TrueType glyf records, glyph by glyph.

reportlab and Word read only TrueType, and Noto Serif TC/SC ship with CFF outlines. Each glyph is
drawn (by HarfBuzz's charstring interpreter, :class:`HarfBuzzGlyphs`), its cubic curves converted
to quadratic ones and the record packed byte for byte as fontTools would pack it. Many glyphs (a
cold glyph store) are shared with one forked process, and signals are held while glyphs are drawn.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
from typing import Any

from pipeline.signals import signals_held


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


#: Fewer glyphs to draw than this are not worth a second process.
_SPLIT_FROM = 240


def _draw_all(names: list[str], glyph_set: Any) -> list[bytes]:
    """The records of ``names``. Many glyphs (a cold store) are shared with one forked process
    when this one runs no other thread and has another CPU: drawing is pure Python, so that
    halves the wait for the first build on a machine."""
    # HarfBuzz calls back into Python for every segment of an outline and swallows exceptions
    # raised there: an interrupt in mid-glyph would silently drop part of the outline, and the
    # store would keep the damaged glyph. Drawing a thousand glyphs takes a fraction of a second.
    with signals_held():
        return _draw_all_held(names, glyph_set)


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
