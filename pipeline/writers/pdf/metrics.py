"""reportlab's TrueType character tables, read in bulk.

Registering a font with reportlab parses its cmap, hmtx and loca one ``struct.unpack`` per value
(``TTFontFile.extractInfo``): about 4 ms for an article's thousand-glyph face, and every new
article brings new faces, so it was the largest single cost of the PDF writer in a batch. The
replacement below lets reportlab read the header tables itself and then builds exactly the same
``charToGlyph``, ``glyphToChar``, ``charWidths``, ``hmetrics``, ``defaultWidth`` and
``glyphPos`` (tested against reportlab's own on our faces) from whole-table unpacks. Anything it
does not expect (another cmap format, a damaged table) goes back to reportlab's code, which
then gives its usual result or error.
"""

from __future__ import annotations

import struct
from typing import Any


def install(ttfonts: Any) -> None:
    """Replace ``ttfonts.TTFontFile.extractInfo`` (once per process)."""
    original = ttfonts.TTFontFile.extractInfo
    if getattr(original, "publish_bulk", False):
        return

    def extractInfo(self: Any, charInfo: int = 1) -> None:  # noqa: N802, N803 - reportlab's names
        original(self, 0)  # names, head, OS/2, post, hhea, maxp: reportlab's own reading
        if not charInfo:
            return
        try:
            char_info(self)
        except Exception:  # noqa: BLE001 - anything unexpected: reportlab's reading decides
            original(self, charInfo)

    extractInfo.publish_bulk = True  # type: ignore[attr-defined]
    extractInfo.__doc__ = original.__doc__
    ttfonts.TTFontFile.extractInfo = extractInfo


def char_info(face: Any) -> None:
    """Set the character tables of a reportlab ``TTFontFile`` whose header tables are read."""
    data = face._ttf_data
    head = face.get_table_pos("head")[0]
    index_to_loc, glyph_format = struct.unpack_from(">HH", data, head + 50)
    if glyph_format != 0:
        raise ValueError("glyph data format")
    longs = struct.unpack_from(">H", data, face.get_table_pos("hhea")[0] + 34)[0]
    count = face.numGlyphs
    char_to_glyph, glyph_to_char = _cmap(data, face.get_table_pos("cmap")[0])

    scale = face._pdfScale
    hmtx = face.get_table_pos("hmtx")[0]
    pairs = struct.unpack_from(f">{2 * longs}H", data, hmtx)
    hmetrics: list[tuple[Any, int]] = []
    widths: dict[int, Any] = {}
    width: Any = None
    default = None
    for glyph in range(longs):
        advance = pairs[2 * glyph]
        hmetrics.append((advance, pairs[2 * glyph + 1]))
        width = scale(advance)
        if glyph == 0:
            default = width
        for char in glyph_to_char.get(glyph, ()):
            widths[char] = width
    # glyphs past numberOfHMetrics repeat the last advance; reportlab keeps it scaled here
    for glyph, side in enumerate(struct.unpack_from(f">{count - longs}H", data, hmtx + 4 * longs), longs):
        hmetrics.append((width, side))
        for char in glyph_to_char.get(glyph, ()):
            widths[char] = width

    loca = face.get_table_pos("loca")[0]
    if index_to_loc == 0:
        positions = [v << 1 for v in struct.unpack_from(f">{count + 1}H", data, loca)]
    elif index_to_loc == 1:
        positions = list(struct.unpack_from(f">{count + 1}L", data, loca))
    else:
        raise ValueError("loca format")
    if 0x20 in char_to_glyph:
        char_to_glyph[0xA0] = char_to_glyph[0x20]
        widths[0xA0] = widths[0x20]
    elif 0xA0 in char_to_glyph:
        char_to_glyph[0x20] = char_to_glyph[0xA0]
        widths[0x20] = widths[0xA0]
    face.charToGlyph, face.glyphToChar = char_to_glyph, glyph_to_char
    face.charWidths, face.hmetrics, face.defaultWidth, face.glyphPos = widths, hmetrics, default, positions


def _cmap(data: Any, cmap: int) -> tuple[dict[int, int], dict[int, list[int]]]:
    """Character -> glyph and glyph -> characters from the subtable reportlab would choose (the
    last Windows, Unicode (not 0/5) or Mac (1/1) one; Mac Roman only if none of those comes
    before it); formats 4 and 12 only."""
    version, tables = struct.unpack_from(">HH", data, cmap)
    if tables == 0 and version != 0:
        tables = version
    chosen, kind = None, 0
    for n in range(tables):
        platform, encoding, offset = struct.unpack_from(">HHL", data, cmap + 4 + 8 * n)
        if platform == 3 or (platform == 1 and encoding == 1) or (platform == 0 and encoding != 5):
            chosen, kind = offset, 1
        elif platform == 1 and encoding == 0 and kind != 1:
            chosen, kind = offset, 2
    if chosen is None:
        raise ValueError("no cmap")
    at = cmap + chosen
    fmt = struct.unpack_from(">H", data, at)[0]
    to_glyph: dict[int, int] = {}
    to_chars: dict[int, list[int]] = {}
    if fmt == 4:
        limit = at + struct.unpack_from(">H", data, at + 2)[0]
        segments = struct.unpack_from(">H", data, at + 6)[0] // 2
        ends = struct.unpack_from(f">{segments}H", data, at + 14)
        starts = struct.unpack_from(f">{segments}H", data, at + 16 + 2 * segments)
        deltas = struct.unpack_from(f">{segments}h", data, at + 16 + 4 * segments)
        ranges_at = at + 16 + 6 * segments
        ranges = struct.unpack_from(f">{segments}H", data, ranges_at)
        for n in range(segments):
            start, delta, jump = starts[n], deltas[n], ranges[n]
            for char in range(start, ends[n] + 1):
                if jump == 0:
                    glyph = (char + delta) & 0xFFFF
                else:
                    offset = ranges_at + 2 * n + (char - start) * 2 + jump
                    if offset >= limit:
                        glyph = 0  # reportlab's workaround for broken fonts
                    else:
                        glyph = struct.unpack_from(">H", data, offset)[0]
                        if glyph:
                            glyph = (glyph + delta) & 0xFFFF
                to_glyph[char] = glyph
                to_chars.setdefault(glyph, []).append(char)
    elif fmt == 12:
        groups = struct.unpack_from(">L", data, at + 12)[0]
        values = struct.unpack_from(f">{3 * groups}L", data, at + 16)
        for n in range(groups):
            start, end, first = values[3 * n:3 * n + 3]
            for char in range(start, end + 1):
                glyph = char + first - start
                to_glyph[char] = glyph
                to_chars.setdefault(glyph, []).append(char)
    else:
        raise ValueError(f"cmap format {fmt}")
    return to_glyph, to_chars
