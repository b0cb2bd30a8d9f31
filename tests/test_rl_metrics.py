"""The PDF writer reads reportlab's character tables in bulk (pipeline.writers.pdf.metrics); what
reportlab then measures and embeds must be exactly what its own reading gives."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from reportlab.pdfbase import ttfonts

from pipeline.fonts import catalogue, coverage, subset
from pipeline.writers.pdf import metrics

TEXT = "骨角直說話與復甦，鹽田「四個堅持」為抗疫提供組織保證。Hamburgefonstiv—“” 123\u00a0"
ATTRS = ("charToGlyph", "glyphToChar", "charWidths", "hmetrics", "defaultWidth", "glyphPos")


def reportlab_fonts() -> list[Path]:
    folder = Path(ttfonts.__file__).parent.parent / "fonts"
    return sorted(folder.glob("*.ttf"))


def our_faces() -> list[bytes]:
    out = []
    for face_id, weight in (("serif-tc", 400), ("sans-tc", 700), ("sans-latin", 400), ("serif-sc", 400)):
        src = catalogue._shipped(face_id)
        cps = coverage._source_info(src, None).coverage.select({ord(c) for c in TEXT + "𠮶"})
        out.append(subset._build_group(src, cps, [(weight, "normal", "T", "T-Regular")], (None, "k"))[0])
    return out


def with_format_12(data: bytes) -> bytes:
    """The face with a (3, 10) format 12 subtable as well, one astral character added: what
    HarfBuzz writes for a text with characters beyond the BMP (Cantonese, rare names)."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    font = TTFont(io.BytesIO(data))
    mapping = dict(font.getBestCmap())
    mapping[0x20BB6] = mapping[ord("H")]
    table = CmapSubtable.newSubtable(12)
    table.platformID, table.platEncID, table.language, table.cmap = 3, 10, 0, mapping
    font["cmap"].tables.append(table)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@pytest.mark.parametrize("data", [*our_faces(), with_format_12(our_faces()[2]),
                                  *(p.read_bytes() for p in reportlab_fonts())],
                         ids=lambda d: f"{len(d)}-bytes")
def test_bulk_reading_equals_reportlabs_own(data):
    metrics.install(ttfonts)
    fast = ttfonts.TTFontFile(io.BytesIO(data))
    plain = ttfonts.TTFontFile.__new__(ttfonts.TTFontFile)
    ttfonts.TTFontParser.__init__(plain, io.BytesIO(data))
    _original(ttfonts)(plain, 1)
    for attr in ATTRS:
        assert getattr(fast, attr) == getattr(plain, attr), attr
        if isinstance(getattr(plain, attr), dict):  # same order too
            assert list(getattr(fast, attr)) == list(getattr(plain, attr)), attr


def _original(module):
    method = module.TTFontFile.extractInfo
    return method.__closure__[0].cell_contents if getattr(method, "publish_bulk", False) else method


def test_unexpected_cmap_format_falls_back_to_reportlab(monkeypatch):
    metrics.install(ttfonts)
    data = our_faces()[2]

    def refuse(*args):
        raise ValueError("cmap format 99")

    monkeypatch.setattr(metrics, "_cmap", refuse)
    face = ttfonts.TTFontFile(io.BytesIO(data))
    assert face.charToGlyph[ord("H")] and face.charWidths[ord("H")] > 0
