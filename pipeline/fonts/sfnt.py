"""Fonts as tables of bytes: reading, patching and writing sfnt files with ``struct``.

Every new character set makes a few new faces, and the edits each needs (names, a weight class,
a style bit, metrics after outline conversion) touch a few bytes of small tables. fontTools
decompiles and recompiles whole tables for that (the cmap for OS/2's first and last character,
every checksum in pure Python): about ten milliseconds a face, a third of a new article's font
work. Here tables stay bytes, edits are packed in place, and checksums are summed in C
(reportlab's accelerator), so a face is written in well under a millisecond.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

TRUETYPE = b"\x00\x01\x00\x00"

#: (platform, encoding, language, name ID, encoded string): one record of a ``name`` table.
NameRecord = tuple[int, int, int, int, bytes]

#: Table data order recommended for TrueType files (OpenType spec, "Font Tables"); others follow
#: sorted by tag. The directory itself is always sorted by tag.
_ORDER = ("head", "hhea", "maxp", "OS/2", "hmtx", "LTSH", "VDMX", "hdmx", "cmap", "fpgm", "prep",
          "cvt ", "loca", "glyf", "kern", "name", "post", "gasp", "PCLT")

try:
    from _rl_accel import calcChecksum as _checksum  # reportlab's C accelerator (rl-accel)
except ImportError:  # pragma: no cover - rl-accel is a dependency; pure Python otherwise
    def _checksum(data: bytes) -> int:
        if len(data) % 4:
            data += b"\0" * (4 - len(data) % 4)
        return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def checksum(data: bytes) -> int:
    """The sum of ``data`` as big-endian 32-bit words, zero-padded, modulo 2**32."""
    return int(_checksum(data)) & 0xFFFFFFFF


def split(data: bytes) -> tuple[bytes, dict[str, bytes]]:
    """The sfnt version and every table's bytes by tag. Raises ValueError for data that is not
    one whole sfnt font (a table outside the file, no tables, a collection)."""
    try:
        version = bytes(data[:4])
        count = struct.unpack_from(">H", data, 4)[0]
        tables = {}
        for i in range(count):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            if offset + length > len(data):
                raise ValueError(f"table {tag!r} lies outside the file")
            tables[tag.decode("latin-1")] = bytes(data[offset:offset + length])
    except struct.error as exc:
        raise ValueError(f"truncated font: {exc}") from None
    if not tables or version == b"ttcf":
        raise ValueError("not a single sfnt font")
    return version, tables


def join(version: bytes, tables: dict[str, bytes]) -> bytes:
    """An sfnt file of ``tables``: the directory sorted by tag, each table 4-byte aligned, every
    checksum and head's checkSumAdjustment set as the OpenType spec asks."""
    if "head" in tables:
        head = bytearray(tables["head"])
        head[8:12] = b"\0\0\0\0"
        tables = {**tables, "head": bytes(head)}
    tags = sorted(tables, key=lambda t: t.encode("latin-1"))
    order = [t for t in _ORDER if t in tables] + [t for t in tags if t not in _ORDER]
    count = len(tags)
    power = 1 << (count.bit_length() - 1) if count else 0
    header = struct.pack(">4sHHHH", version, count, power * 16, max(power.bit_length() - 1, 0),
                         count * 16 - power * 16)
    offset = 12 + 16 * count
    where: dict[str, int] = {}
    for tag in order:
        where[tag] = offset
        offset += (len(tables[tag]) + 3) & ~3
    directory = b"".join(struct.pack(">4sIII", tag.encode("latin-1"), checksum(tables[tag]),
                                     where[tag], len(tables[tag])) for tag in tags)
    body = b"".join(tables[tag] + b"\0" * (-len(tables[tag]) % 4) for tag in order)
    out = bytearray(header + directory + body)
    if "head" in tables:
        total = (checksum(header + directory) + sum(checksum(t) for t in tables.values())) & 0xFFFFFFFF
        at = where["head"] + 8
        out[at:at + 4] = struct.pack(">I", (0xB1B0AFBA - total) & 0xFFFFFFFF)
    return bytes(out)


# ------------------------------------------------------------------------------------------------
# name


def read_names(table: bytes) -> list[NameRecord]:
    """The records of a ``name`` table (format 0 or 1; format 1's language-tag records, which
    only language IDs from 0x8000 use, are not kept and neither are those records)."""
    _, count, storage = struct.unpack_from(">HHH", table)
    records = []
    for i in range(count):
        platform, encoding, language, nid, length, at = struct.unpack_from(">6H", table, 6 + 12 * i)
        if language >= 0x8000:
            continue
        records.append((platform, encoding, language, nid, table[storage + at:storage + at + length]))
    return records


def build_names(records: Iterable[NameRecord]) -> bytes:
    """A format 0 ``name`` table: records sorted by (platform, encoding, language, name ID),
    identical strings stored once (as fontTools writes them)."""
    ordered = sorted(records, key=lambda r: r[:4])
    storage = bytearray()
    offsets: dict[bytes, int] = {}
    entries = []
    for platform, encoding, language, nid, raw in ordered:
        at = offsets.get(raw)
        if at is None:
            at = offsets[raw] = len(storage)
            storage += raw
        entries.append(struct.pack(">6H", platform, encoding, language, nid, len(raw), at))
    return struct.pack(">HHH", 0, len(ordered), 6 + 12 * len(ordered)) + b"".join(entries) + storage


def decode_name(record: NameRecord) -> str:
    platform, encoding = record[0], record[1]
    if platform == 0 or (platform == 3 and encoding in (0, 1, 10)):
        return record[4].decode("utf-16-be", errors="replace")
    return record[4].decode("mac_roman" if platform == 1 else "latin-1", errors="replace")


def name(tables: dict[str, bytes], nid: int) -> str | None:
    """Name ``nid``: the Windows English record, else the Mac English one, else the first
    (our faces carry Windows names only)."""
    if "name" not in tables:
        return None
    found = [r for r in read_names(tables["name"]) if r[3] == nid]
    for want in ((3, 0x409), (1, 0)):
        for record in found:
            if (record[0], record[2]) == want:
                return decode_name(record)
    return decode_name(found[0]) if found else None


def set_names(tables: dict[str, bytes], values: dict[int, str], remove: Iterable[int] = ()) -> None:
    """Replace name IDs ``values`` (and drop ``remove``) on every platform by one Windows English
    record each, in place."""
    gone = set(values) | set(remove)
    kept = [r for r in read_names(tables["name"]) if r[3] not in gone]
    kept += [(3, 1, 0x409, nid, text.encode("utf-16-be")) for nid, text in values.items()]
    tables["name"] = build_names(kept)


# ------------------------------------------------------------------------------------------------
# fixed fields

_FIELDS = {  # (table, offset, struct format)
    "head.xMin": ("head", 36, ">h"), "head.yMin": ("head", 38, ">h"),
    "head.xMax": ("head", 40, ">h"), "head.yMax": ("head", 42, ">h"),
    "head.macStyle": ("head", 44, ">H"), "head.indexToLocFormat": ("head", 50, ">h"),
    "hhea.advanceWidthMax": ("hhea", 10, ">H"), "hhea.minLeftSideBearing": ("hhea", 12, ">h"),
    "hhea.minRightSideBearing": ("hhea", 14, ">h"), "hhea.xMaxExtent": ("hhea", 16, ">h"),
    "hhea.numberOfHMetrics": ("hhea", 34, ">H"),
    "vhea.advanceHeightMax": ("vhea", 10, ">H"), "vhea.minTopSideBearing": ("vhea", 12, ">h"),
    "vhea.minBottomSideBearing": ("vhea", 14, ">h"), "vhea.yMaxExtent": ("vhea", 16, ">h"),
    "vhea.numOfLongVerMetrics": ("vhea", 34, ">H"),
    "OS/2.usWeightClass": ("OS/2", 4, ">H"), "OS/2.fsSelection": ("OS/2", 62, ">H"),
}


def get(tables: dict[str, bytes], field: str) -> int:
    table, offset, fmt = _FIELDS[field]
    return int(struct.unpack_from(fmt, tables[table], offset)[0])


def put(tables: dict[str, bytes], fields: dict[str, int]) -> None:
    """Set fixed fields, named "table.field", in place."""
    for key, value in fields.items():
        table, offset, fmt = _FIELDS[key]
        data = bytearray(tables[table])
        struct.pack_into(fmt, data, offset, value)
        tables[table] = bytes(data)


def set_style(tables: dict[str, bytes], weight: int, style: str) -> None:
    """fsSelection's BOLD/ITALIC/REGULAR bits, head's macStyle, and the weight class when it is
    unset or more than 50 off ``weight``: what Word and browsers pair RIBBI faces by."""
    bold, italic = weight >= 600, style == "italic"
    if "OS/2" in tables and len(tables["OS/2"]) >= 64:
        sel = get(tables, "OS/2.fsSelection") & ~0b1100001  # clear ITALIC, BOLD, REGULAR
        sel |= (1 << 5 if bold else 0) | (1 if italic else 0) | (0 if bold or italic else 1 << 6)
        current = get(tables, "OS/2.usWeightClass")
        put(tables, {"OS/2.fsSelection": sel,
                     "OS/2.usWeightClass": weight if not current or abs(current - weight) > 50 else current})
    mac = get(tables, "head.macStyle")
    put(tables, {"head.macStyle": (mac & ~0b11) | (1 if bold else 0) | (2 if italic else 0)})
