"""What a source font covers, read straight from its cmap: fast, and remembered on disk.

A font file's coverage, family, tables and weight are read with struct (no fontTools import, a
few milliseconds even for a 12 MB CJK font) and remembered by path + size + mtime, in this process
and in the cache (``sources/<stamp>.json``, checksummed like every entry: a damaged one would name
the wrong characters or family), so warm builds never open the font file. Its SHA-256, part of
every subset's cache key, is computed only when a subset has to be made.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.fonts.cache import (
    _ENTRY_FORMAT,
    _LOCK,
    _SOURCE_MEMO,
    FONTS_VERSION,
    STATS,
    _read_entry,
    _write_entry,
)
from pipeline.fonts.catalogue import _Source
from pipeline.fonts.faces import FontError


class _Coverage:
    """Sorted, disjoint code point ranges with O(log n) membership: a CJK cmap has ~45 000
    code points, and building a set of them on every warm build would cost more than the build."""

    __slots__ = ("starts", "ends")

    def __init__(self, ranges: list[list[int]] | list[tuple[int, int]]):
        self.starts = [int(a) for a, _ in ranges]
        self.ends = [int(b) for _, b in ranges]

    def __contains__(self, cp: object) -> bool:
        if not isinstance(cp, int):
            return False
        i = bisect.bisect_right(self.starts, cp) - 1
        return i >= 0 and cp <= self.ends[i]

    def select(self, cps: Iterable[int]) -> frozenset[int]:
        starts, ends, right = self.starts, self.ends, bisect.bisect_right
        return frozenset(cp for cp in cps if (i := right(starts, cp) - 1) >= 0 and cp <= ends[i])

    def ranges(self) -> list[list[int]]:
        return [[a, b] for a, b in zip(self.starts, self.ends, strict=True)]


def _merge_ranges(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(pairs):
        if out and a <= out[-1][1] + 1:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _ranges_of(cps: Iterable[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for cp in sorted(cps):
        if out and cp == out[-1][1] + 1:
            out[-1][1] = cp
        elif not out or cp > out[-1][1]:
            out.append([cp, cp])
    return out


def _read_sfnt(path: Path, index: int) -> tuple[frozenset[str], list[tuple[int, int]], int]:
    """Table tags, cmap coverage and OS/2 weight of one font, read with struct: no fontTools
    import, no glyph names, a few milliseconds even for a 12 MB CJK font."""
    with path.open("rb") as fh:

        def read(offset: int, size: int) -> bytes:
            fh.seek(offset)
            data = fh.read(size)
            if len(data) != size:
                raise ValueError("file is truncated")
            return data

        base = 0
        if read(0, 4) == b"ttcf":
            count = struct.unpack(">I", read(8, 4))[0]
            if index >= count:
                raise ValueError(f"collection has {count} fonts, no index {index}")
            base = struct.unpack(">I", read(12 + 4 * index, 4))[0]
        num_tables = struct.unpack(">H", read(base + 4, 2))[0]
        directory = read(base + 12, 16 * num_tables)
        tables: dict[str, tuple[int, int]] = {}
        for i in range(num_tables):
            tag, _, offset, length = struct.unpack(">4sIII", directory[16 * i:16 * i + 16])
            tables[tag.decode("latin-1")] = (offset, length)
        weight = struct.unpack(">H", read(tables["OS/2"][0] + 4, 2))[0] if "OS/2" in tables else 400
        if "cmap" not in tables:
            return frozenset(tables), [], weight
        cmap = read(*tables["cmap"])
    return frozenset(tables), _cmap_ranges(cmap), weight


def _cmap_ranges(cmap: bytes) -> list[tuple[int, int]]:
    """Code point ranges mapped to a real glyph by the best Unicode subtable (format 12 or 4)."""
    _, count = struct.unpack_from(">HH", cmap, 0)
    best: tuple[int, int] | None = None  # (preference, offset)
    ranks = {(3, 10): 0, (0, 6): 1, (0, 4): 1, (3, 1): 2, (0, 3): 3, (0, 2): 4, (0, 1): 4, (0, 0): 4,
             (3, 0): 5}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", cmap, 4 + 8 * i)
        rank = ranks.get((platform, encoding))
        fmt = struct.unpack_from(">H", cmap, offset)[0]
        if rank is not None and fmt in (4, 12) and (best is None or rank < best[0]):
            best = (rank, offset)
    if best is None:
        return []
    offset = best[1]
    fmt = struct.unpack_from(">H", cmap, offset)[0]
    pairs: list[tuple[int, int]] = []
    if fmt == 12:
        groups = struct.unpack_from(">I", cmap, offset + 12)[0]
        for i in range(groups):
            start, end, glyph = struct.unpack_from(">III", cmap, offset + 16 + 12 * i)
            if glyph == 0:
                start += 1
            if start <= end:
                pairs.append((start, end))
    else:
        seg2 = struct.unpack_from(">H", cmap, offset + 6)[0]
        seg = seg2 // 2
        ends = struct.unpack_from(f">{seg}H", cmap, offset + 14)
        starts = struct.unpack_from(f">{seg}H", cmap, offset + 16 + seg2)
        deltas = struct.unpack_from(f">{seg}h", cmap, offset + 16 + 2 * seg2)
        ro_pos = offset + 16 + 3 * seg2
        range_offsets = struct.unpack_from(f">{seg}H", cmap, ro_pos)
        for i in range(seg):
            start, end, delta, ro = starts[i], ends[i], deltas[i], range_offsets[i]
            if start == 0xFFFF:
                continue
            if ro == 0:
                zero = (-delta) & 0xFFFF  # the one code point mapping to glyph 0, if in range
                if start <= zero <= end:
                    pairs += [(start, zero - 1), (zero + 1, end)]
                else:
                    pairs.append((start, end))
                continue
            at = ro_pos + 2 * i + ro
            glyphs = struct.unpack_from(f">{end - start + 1}H", cmap, at)
            for j, g in enumerate(glyphs):
                if g and (g + delta) & 0xFFFF:
                    pairs.append((start + j, start + j))
        pairs = [(a, b) for a, b in pairs if a <= b]
    return _merge_ranges(pairs)


@dataclass
class _SourceInfo:
    """What is known about one font file; ``sha256`` is filled in only when a subset needs it."""

    coverage: _Coverage
    family: str
    tags: frozenset[str]
    weight: int  # OS/2 usWeightClass
    entry: tuple[Path, str] | None  # (cache, name of the entry in it)
    sha256: str | None = None

    def save(self) -> None:
        if self.entry is not None:
            _write_entry(*self.entry, json.dumps({
                "cmap": self.coverage.ranges(), "family": self.family, "tags": sorted(self.tags),
                "weight": self.weight, "sha256": self.sha256}).encode())


def _source_info(src: _Source, cache: Path | None) -> _SourceInfo:
    """Coverage, family and tables of ``src``, remembered by path + size + mtime (in this process
    and on disk) so warm builds never open the font file."""
    try:
        st = src.path.stat()
    except OSError as exc:
        raise FontError(f"{src.origin}: font file {src.path} cannot be read: {exc.strerror}") from None
    memo_key = (str(src.path.resolve()), src.index, st.st_size, st.st_mtime_ns)
    with _LOCK:
        if memo_key in _SOURCE_MEMO:
            return _SOURCE_MEMO[memo_key]
    stamp = hashlib.sha256(json.dumps([*memo_key, FONTS_VERSION, _ENTRY_FORMAT]).encode()).hexdigest()
    entry = (cache, f"sources/{stamp}.json") if cache else None
    info = None
    data = _read_entry(*entry) if entry is not None else None
    if data is not None:
        try:
            raw = json.loads(data)
            info = _SourceInfo(_Coverage(raw["cmap"]), raw["family"], frozenset(raw["tags"]),
                               int(raw["weight"]), entry, raw.get("sha256"))
        except (ValueError, KeyError, TypeError):
            info = None
    if info is None:
        STATS["scan"] += 1
        try:
            tags, ranges, weight = _read_sfnt(src.path, src.index)
        except (OSError, ValueError, struct.error) as exc:
            raise FontError(f"{src.origin}: font file {src.label()} is unusable: {exc}") from None
        if not ranges:
            raise FontError(f"{src.origin}: font file {src.label()} has no Unicode character map")
        if not tags & {"glyf", "CFF ", "CFF2"}:
            raise FontError(f"{src.origin}: font file {src.label()} has no vector outlines "
                            "(bitmap or colour-bitmap font); choose a TrueType/OpenType outline font")
        info = _SourceInfo(_Coverage(ranges), src.family or _family_name(src), tags, weight, entry)
        info.save()
    with _LOCK:
        _SOURCE_MEMO[memo_key] = info
    return info


def _family_name(src: _Source) -> str:
    from fontTools.ttLib import TTFont, TTLibError

    try:
        name = TTFont(src.path, fontNumber=src.index, lazy=True)["name"]
        return str(name.getDebugName(16) or name.getDebugName(1) or src.path.stem)
    except (TTLibError, OSError, KeyError, struct.error, ValueError, AssertionError):
        return src.path.stem


def _source_sha(src: _Source, info: _SourceInfo) -> str:
    if info.sha256 is None:
        STATS["hash"] += 1
        digest = hashlib.sha256()
        with src.path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        info.sha256 = digest.hexdigest()
        info.save()
    return info.sha256
