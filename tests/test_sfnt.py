"""Fonts as tables of bytes (pipeline.fonts.sfnt): every face we write is the file fontTools would
write for the same tables, so it opens wherever fontTools' would; renaming a face for Word
touches its names and nothing else."""

from __future__ import annotations

import io
import struct

import pytest
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.sfnt import calcChecksum
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.fonts import catalogue, coverage, sfnt, subset
from pipeline.fonts.glyphdraw import HarfBuzzGlyphs
from pipeline.fonts.outlines import to_truetype, truetype_tables
from pipeline.writers.docx.embedding import _renamed_font

TEXT = "骨角直說話與復甦，鹽田「四個堅持」為抗疫提供組織保證。Hamburgefonstiv—“”123"


def build(face_id: str, weight: int = 400) -> bytes:
    src = catalogue._shipped(face_id)
    cps = coverage._source_info(src, None).coverage.select({ord(c) for c in TEXT})
    return subset._build_group(src, cps, [(weight, "normal", "Test", "Test-Regular")], (None, "k"))[0]


@pytest.fixture(scope="module", params=[("serif-tc", 400), ("sans-tc", 700), ("sans-latin", 400)],
                ids=["cff-serif", "variable-sans-bold", "latin"])
def face(request: pytest.FixtureRequest) -> bytes:
    return build(*request.param)


def test_checksums_and_directory_follow_the_spec(face):
    """Readers that verify fonts (browsers' sanitiser, Word) check these."""
    count, search, selector, shift = struct.unpack_from(">HHHH", face, 4)
    assert 2 ** selector * 16 == search and search <= count * 16 < 2 * search
    assert shift == count * 16 - search
    tags = []
    for i in range(count):
        tag, check, offset, length = struct.unpack_from(">4sIII", face, 12 + 16 * i)
        tags.append(tag)
        data = face[offset:offset + length]
        if tag == b"head":
            data = data[:8] + b"\0\0\0\0" + data[12:]
        assert offset % 4 == 0 and calcChecksum(data) == check, tag
    assert tags == sorted(tags)
    assert calcChecksum(face) == 0xB1B0AFBA  # head.checkSumAdjustment makes the file sum up


def test_faces_are_byte_for_byte_what_fonttools_writes(face):
    font = TTFont(io.BytesIO(face), recalcBBoxes=False, recalcTimestamp=False)
    out = io.BytesIO()
    font.save(out)
    assert out.getvalue() == face


def test_outlines_converted_as_tables_equal_fonttools_conversion():
    """The CFF -> glyf conversion on tables of bytes gives the font fontTools' object route gives
    (glyf, loca, metrics, extents, maxp, post), from the same drawn glyphs."""
    import uharfbuzz as hb

    src = catalogue._shipped("serif-tc")
    cps = coverage._source_info(src, None).coverage.select({ord(c) for c in TEXT})
    face = hb.Face(hb.Blob.from_file_path(str(src.path)), src.index)
    data, _ = subset._hb_subset(hb, face, src, cps, {}, 400)
    reference = TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False)
    assert "CFF " in reference and "VORG" in reference
    order = reference.getGlyphOrder()
    glyphs = HarfBuzzGlyphs(hb, hb.Face(data))
    to_truetype(reference, {name: glyphs[gid] for gid, name in enumerate(order)})
    out = io.BytesIO()
    reference.save(out)
    version, tables = sfnt.split(data)
    truetype_tables(tables, glyphs)
    assert sfnt.join(sfnt.TRUETYPE, tables) == out.getvalue()


def _fonttools_rename(data: bytes, family: str) -> bytes:
    """The DOCX writer's renaming as fontTools does it (the reference)."""
    font = TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
    name = font["name"]
    sub = name.getDebugName(2) or "Regular"
    for nid in (1, 4, 16, 17):
        name.removeNames(nameID=nid)
    name.setName(family, 1, 3, 1, 0x409)
    name.setName(sub, 2, 3, 1, 0x409)
    name.setName(family if sub == "Regular" else f"{family} {sub}", 4, 3, 1, 0x409)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def test_docx_renaming_changes_only_the_names(face):
    renamed = _renamed_font(face, "Noto Serif TC 1a2b3c4d")
    assert renamed == _fonttools_rename(face, "Noto Serif TC 1a2b3c4d")
    font = TTFont(io.BytesIO(renamed))
    assert font["name"].getDebugName(1) == "Noto Serif TC 1a2b3c4d"
    _, before = sfnt.split(face)
    _, after = sfnt.split(renamed)
    assert {t for t in before if before[t] != after[t]} <= {"name", "head"}
    assert before["head"][12:] == after["head"][12:]  # only the checksum adjustment moved


records = st.lists(st.tuples(
    st.sampled_from([(0, 3, 0), (1, 0, 0), (3, 1, 0x409), (3, 1, 0x804)]),
    st.integers(0, 300), st.text(st.characters(codec="utf-16", exclude_categories=["Cs"]), max_size=12),
), max_size=20, unique_by=lambda r: (r[0], r[1]))


@settings(max_examples=150, deadline=None)
@given(records)
def test_name_tables_are_written_as_fonttools_writes_them(items):
    encoded = [(*where, nid, text.encode("mac_roman", "replace") if where[0] == 1
                else text.encode("utf-16-be")) for where, nid, text in items]
    table = newTable("name")
    table.names = []
    for platform, encoding, language, nid, raw in encoded:
        table.setName(raw.decode("mac_roman") if platform == 1 else raw.decode("utf-16-be"),
                      nid, platform, encoding, language)
    ours = sfnt.build_names(encoded)
    assert ours == table.compile(None)
    assert sorted(sfnt.read_names(ours)) == sorted(encoded)


def test_damaged_fonts_are_refused_not_misread(face):
    with pytest.raises(ValueError):
        sfnt.split(face[:len(face) // 2])
    with pytest.raises(ValueError):
        sfnt.split(b"\0\1\0\0")


def _pen_chain(glyph) -> bytes:
    """The fontTools otf2ttf recipe, object by object: the reference for our glyph conversion."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    scratch = newTable("glyf")
    scratch.glyphs, scratch.glyphOrder = {}, []
    pen = TTGlyphPen(None)
    glyph.draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
    out = pen.glyph()
    return bytes(out.compile(scratch, recalcBBoxes=True)) if out.numberOfContours else b""


@pytest.mark.parametrize("face_id, step", [("serif-tc", 7), ("serif-sc", 11)])
def test_converted_glyphs_equal_the_fonttools_pen_chain(face_id, step):
    """Every 7th (11th) glyph of the CJK serif sources, drawn by HarfBuzz and by fontTools'
    charstring interpreter: our conversion packs the same bytes as the pen chain (so the glyph
    store's records do not depend on which wrote them)."""
    import uharfbuzz as hb

    from pipeline.fonts.glyphdraw import _convert

    src = catalogue._shipped(face_id)
    face = hb.Face(hb.Blob.from_file_path(str(src.path)), src.index)
    glyphs = HarfBuzzGlyphs(hb, face)
    reference = TTFont(str(src.path), fontNumber=src.index, lazy=True).getGlyphSet()
    order = TTFont(str(src.path), fontNumber=src.index, lazy=True).getGlyphOrder()
    checked = 0
    for gid in range(0, face.glyph_count, step):
        ours = _convert(glyphs[gid])
        assert ours == _pen_chain(glyphs[gid]), gid
        if gid % (step * 20) == 0:  # fontTools' own interpreter too: the same points
            assert ours == _pen_chain(reference[order[gid]]), gid
        checked += 1
    assert checked > 2000
