"""CFF outlines to TrueType glyf, glyph by glyph, remembered across builds.

reportlab and Word read only TrueType, and Noto Serif TC/SC ship with CFF outlines. A face's CFF
outlines are replaced by glyf ones assembled from per-glyph records: those the glyph store
(:mod:`pipeline.fonts.glyphstore`) has, and those drawn now (:mod:`pipeline.fonts.glyphdraw`)
and added to it.

A face is always assembled from per-glyph records, whether they were just converted or read from
the store, and its metrics (maxp, head, hhea, vhea) are computed from those records, so a face is
byte-identical however warm the store was.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

from pipeline.fonts.glyphdraw import _draw_all
from pipeline.fonts.glyphstore import GlyphStore


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
    """:func:`to_truetype` on a font held as tables of bytes (:mod:`pipeline.fonts.sfnt`), in place,
    with ``glyph_set`` indexed by glyph id: the same glyphs, metrics and extents, without
    fontTools decompiling and recompiling the tables around them."""
    import pipeline.fonts.sfnt as _sfnt

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
