"""Faces registered with reportlab: once per face and process, and not too many kept.

Fonts come from :mod:`pipeline.fonts` (subset TrueType, embedded again as subsets by reportlab).
:func:`_register` gives a face its reportlab font name; ``_FONT_CACHE`` is the process's registry,
the most recently used last, holding at most ``_FONT_LIMIT`` fonts, so a batch worker forgets
earlier articles' fonts (from reportlab's own registry too). Registering puts two replacements into
reportlab's ``ttfonts``: character tables read in bulk (:mod:`.metrics`) and
:func:`_tounicode_cmap`, a ToUnicode CMap that readers accept beyond the BMP.

reportlab is imported inside functions only.
"""

from __future__ import annotations

import io
from typing import Any

import pipeline.writers.pdf.metrics as metrics
from pipeline.writers import WriterError

_FONT_CACHE: dict[str, Any] = {}
#: Registered fonts kept per process (a document uses four to six).
_FONT_LIMIT = 24


def _tounicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with characters beyond the BMP written as UTF-16 surrogate
    pairs (reportlab prints ``<29E3D>``, which no reader accepts, so Ext-B ideographs and emoji
    would not copy) and at most 100 entries per bfchar block, as the CMap spec asks."""
    def utf16(v: int) -> str:
        if v <= 0xFFFF:
            return f"{v:04X}"
        v -= 0x10000
        return f"{0xD800 + (v >> 10):04X}{0xDC00 + (v & 0x3FF):04X}"

    entries = [f"<{i:02X}> <{utf16(v)}>" for i, v in enumerate(subset)]
    blocks = []
    for k in range(0, len(entries), 100):
        chunk = entries[k:k + 100]
        blocks += [f"{len(chunk)} beginbfchar", *chunk, "endbfchar"]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>", "endcodespacerange", *blocks, "endcmap",
        "CMapName currentdict /CMap defineresource pop", "end", "end"])


def _register(face: Any) -> str:
    """Register a pipeline.fonts Face with reportlab once per process; return its font name."""
    from reportlab.pdfbase import pdfmetrics, ttfonts
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    ttfonts.makeToUnicodeCMap = _tounicode_cmap  # see _tounicode_cmap: a bug fix, same output otherwise
    metrics.install(ttfonts)  # the same character tables, read in bulk

    name = f"{face.ps_name}-{face.sha256[:12]}"
    if name in _FONT_CACHE:  # used again: the most recent now, so never the one dropped
        _FONT_CACHE[name] = _FONT_CACHE.pop(name)
    else:
        try:
            font = TTFont(name, io.BytesIO(face.data), asciiReadable=True, shapable=False)
        except (TTFError, ValueError, KeyError) as exc:
            raise WriterError(f"pdf: font {face.family} ({face.role}) unusable: {exc}") from None
        pdfmetrics.registerFont(font)
        _FONT_CACHE[name] = font
        while len(_FONT_CACHE) > _FONT_LIMIT:  # a batch worker: forget earlier articles' fonts
            old = next(iter(_FONT_CACHE))
            dropped = _FONT_CACHE.pop(old)
            getattr(pdfmetrics, "_fonts", {}).pop(old, None)
            getattr(pdfmetrics, "_typefaces", {}).pop(getattr(dropped.face, "name", None), None)
    return name
