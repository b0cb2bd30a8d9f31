"""Making the faces of one source font: subset to a character set, pinned to a weight, TrueType
outlines, named.

Every face is subset to the characters the document needs (HarfBuzz's subsetter, which also pins
variable fonts to one weight), converted to TrueType outlines when it has CFF ones (reportlab
rejects CFF; :mod:`pipeline.fonts.outlines` converts each glyph once per machine) and named; no
timestamp is written, so the same input gives the same bytes. fontTools does what HarfBuzz cannot
(or everything, without uharfbuzz). fontTools and uharfbuzz are imported only when a subset has
to be made, so ``publish --help`` and warm builds stay fast.
"""

from __future__ import annotations

import contextlib
import copy
import io
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pipeline.fonts.sfnt as _sfnt
from pipeline.fonts.cache import FONTS_VERSION, STATS
from pipeline.fonts.catalogue import _Source
from pipeline.fonts.faces import Face, FontError


def _subfamily(weight: int, style: str) -> str:
    bold = weight >= 600
    if style == "italic":
        return "Bold Italic" if bold else "Italic"
    return "Bold" if bold else "Regular"


def _features(src: _Source) -> list[str]:
    """Layout features kept: fontTools' default list (kern, palt/halt, vert/vrt2, vhal/vpal,
    vkrn, liga, ccmp, locl, ...) plus vkna; no locl for fonts from a collection."""
    from fontTools import subset

    features = [*subset.Options().layout_features, "vkna"]
    return [f for f in features if f != "locl"] if src.collection else features


def _subset_options(src: _Source) -> Any:
    from fontTools import subset

    options = subset.Options()
    options.font_number = src.index
    options.layout_features = _features(src)
    options.glyph_names = False
    options.notdef_outline = True  # a visible box, not nothing, if a writer ever hits .notdef
    options.recalc_timestamp = False  # never stamp the current time: reproducible bytes
    options.recalc_bounds = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # copyright, licence description and URL
    options.name_languages = [0x409]
    options.drop_tables = [*options.drop_tables, "STAT", "meta", "DSIG"]
    return options


def _build_group(src: _Source, cps: frozenset[int], variants: list[tuple[int, str, str, str]],
                 glyphs: tuple[str | None, str] | None = None) -> list[bytes]:
    """Make one TrueType font per (weight, style, family, PostScript name) of ``src`` subset to
    ``cps``. HarfBuzz's subsetter (uharfbuzz, the one browsers and Google Fonts use) subsets
    and pins variable axes in milliseconds, where fontTools took a second or more per face; it
    leaves CFF outlines as they are, so those are drawn into quadratic glyf outlines here
    (reportlab reads only TrueType). Anything HarfBuzz cannot do (no uharfbuzz, a font it
    rejects, an axis left unpinned) falls back to, or is finished by, fontTools.

    ``glyphs`` is (glyph store path, source key): converted CFF glyphs are kept there by their
    id in the source, so the next character set converts only glyphs not seen before."""
    try:
        import uharfbuzz
    except ImportError:
        return _build_group_fonttools(src, cps, variants)
    from fontTools.ttLib import TTFont, TTLibError

    try:
        face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(src.path)), src.index)
        if not face.glyph_count:
            raise FontError(f"{src.origin}: font file {src.label()} has no glyphs")
        axes = {a.tag: a for a in face.axis_infos}
        # static CFF: HarfBuzz subsets everything but the outlines (the CFF subsetter is most of
        # its time), which are drawn from the source's glyphs or found in the store
        drawn_here = glyphs is not None and not axes and "CFF " in face.table_tags
        out = []
        for weight, style, family, ps_name in variants:
            subset = _hb_subset(uharfbuzz, face, src, cps, axes, weight, ("CFF ",) if drawn_here else ())
            if subset is None:
                return _build_group_fonttools(src, cps, variants)
            data, new_to_old = subset
            version, tables = _sfnt.split(data)
            if drawn_here and glyphs is not None:
                from pipeline.fonts.glyphdraw import HarfBuzzGlyphs
                from pipeline.fonts.glyphstore import shared_store
                from pipeline.fonts.outlines import truetype_tables

                store = shared_store(Path(glyphs[0]) if glyphs[0] else None)
                keys = [f"{glyphs[1]}:{new_to_old[gid]}" for gid in range(len(new_to_old))]
                STATS["glyphs drawn"] += truetype_tables(
                    tables, HarfBuzzGlyphs(uharfbuzz, face, new_to_old), keys, store)
                version = _sfnt.TRUETYPE
            elif "fvar" in tables or "CFF2" in tables or "CFF " in tables:
                # HarfBuzz left an axis unpinned (some CFF2) or a variable CFF: fontTools finishes
                font = TTFont(io.BytesIO(data), recalcBBoxes=False, recalcTimestamp=False)
                if "fvar" in font:
                    _instantiate(font, weight)
                if "CFF " in font or "CFF2" in font:
                    _to_truetype(font, font.getGlyphSet())
                buf = io.BytesIO()
                font.save(buf)
                version, tables = _sfnt.split(buf.getvalue())
            elif "wght" in axes and "OS/2" in tables:  # a pinned instance reports its weight
                _sfnt.put(tables, {"OS/2.usWeightClass": int(_clamp(axes["wght"], float(weight)))})
            _name(tables, family, weight, style, ps_name)
            out.append(_sfnt.join(version, tables))
    except (TTLibError, OSError, struct.error, KeyError, AssertionError, ValueError, TypeError) as exc:
        raise FontError(f"{src.origin}: font file {src.label()} could not be subset: {exc}") from None
    return out


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii"), "big")


def _hb_subset(hb: Any, face: Any, src: _Source, cps: frozenset[int], axes: dict[str, Any],
               weight: int, drop: tuple[str, ...] = ()) -> tuple[bytes, dict[int, int]] | None:
    """HarfBuzz subset of ``face``: the same choices as :func:`_subset_options` (HarfBuzz's
    default layout features plus vkna, no locl for collections, the licence names, a visible
    .notdef, no glyph names) with every axis pinned: wght at ``weight``, wdth at 100, the rest at
    their defaults, without the tables in ``drop``. Returns the font and the map of its glyph
    ids to the source's; None when HarfBuzz gives up."""
    inp = hb.SubsetInput()
    inp.unicode_set.update(cps)
    features = inp.layout_feature_tag_set
    features.add(_tag("vkna"))
    if src.collection:
        features.discard(_tag("locl"))
    names = inp.name_id_set
    names.clear()
    names.update([0, 1, 2, 3, 4, 5, 6, 13, 14])
    inp.name_lang_id_set.clear()
    inp.name_lang_id_set.add(0x409)
    inp.drop_table_tag_set.update(_tag(t) for t in ("STAT", "meta", "DSIG", *drop))
    inp.flags = hb.SubsetFlags.NOTDEF_OUTLINE
    if axes:
        inp.pin_all_axes_to_default(face)
        for tag, value in (("wght", float(weight)), ("wdth", 100.0)):
            if tag in axes:
                inp.pin_axis_location(face, tag, _clamp(axes[tag], value))
    try:
        plan = hb.SubsetPlan(face, inp)
        new_to_old = dict(plan.new_to_old_glyph_mapping.items())
        data = bytes(plan.execute().blob.data)
    except Exception:  # noqa: BLE001 - any HarfBuzz refusal: fontTools gets a go
        return None
    return (data, new_to_old) if data else None


def _clamp(axis: Any, value: float) -> float:
    return max(axis.min_value, min(axis.max_value, value))


def _build_group_fonttools(src: _Source, cps: frozenset[int],
                           variants: list[tuple[int, str, str, str]]) -> list[bytes]:
    """:func:`_build_group` done by fontTools alone (slower; used when HarfBuzz is unavailable
    or gives up). Subsets ``src`` once to ``cps``, then makes each variant.
    Static CFF fonts are subset without their outlines (the CFF subsetter's charstring passes are
    the slow part) and the kept glyphs are drawn from the original CFF straight into quadratic
    glyf outlines. Variable fonts are subset first and instanced after: instancing 1 000 glyphs
    instead of 65 000."""
    from fontTools import subset
    from fontTools.ttLib import TTLibError

    options = _subset_options(src)
    try:
        font = subset.load_font(str(src.path), options, dontLoadGlyphNames=True)
        glyph_set = None
        if "CFF " in font and "fvar" not in font:
            font.getGlyphOrder()  # glyph names from the CFF charset, before the table goes
            glyph_set = font.getGlyphSet()  # keeps the CFF charstrings for _to_truetype
            del font["CFF "]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(cps))
        subsetter.subset(font)
        if glyph_set is not None:
            _to_truetype(font, glyph_set)
        variable = "fvar" in font
        out = []
        for n, (weight, style, family, ps_name) in enumerate(variants):
            pristine = copy.deepcopy(font) if n + 1 < len(variants) else None
            if variable:
                _instantiate(font, weight)
            if "CFF " in font or "CFF2" in font:
                _to_truetype(font, font.getGlyphSet())
            font.recalcTimestamp = False
            buf = io.BytesIO()
            font.save(buf)
            version, tables = _sfnt.split(buf.getvalue())
            _name(tables, family, weight, style, ps_name)
            out.append(_sfnt.join(version, tables))
            if pristine is not None:
                font = pristine
    except (TTLibError, OSError, struct.error, KeyError, AssertionError, ValueError, TypeError) as exc:
        raise FontError(f"{src.origin}: font file {src.label()} could not be subset: {exc}") from None
    return out


def subset_face(face: Face, codepoints: Iterable[int]) -> bytes:
    """``face`` subset again to ``codepoints`` (a writer's tighter subset for one role), keeping
    its layout features, names and metrics; reproducible bytes. HarfBuzz when available."""
    wanted = sorted(set(codepoints))
    try:
        import uharfbuzz as hb
    except ImportError:
        hb = None
    if hb is not None:
        inp = hb.SubsetInput()
        inp.unicode_set.update(wanted)
        inp.layout_feature_tag_set.add(_tag("vkna"))
        inp.name_id_set.update([13, 14])
        inp.name_lang_id_set.clear()
        inp.name_lang_id_set.add(0x409)
        inp.flags = hb.SubsetFlags.NOTDEF_OUTLINE
        with contextlib.suppress(Exception):
            result = hb.subset(hb.Face(face.data), inp)
            if result is not None and result.blob.data:
                return bytes(result.blob.data)
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.glyph_names = False
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.recalc_bounds = False
    font = TTFont(io.BytesIO(face.data), recalcTimestamp=False, recalcBBoxes=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _instantiate(font: Any, weight: int) -> None:
    """Pin every axis: wght at ``weight`` (clamped to the font's range), wdth at 100, others at
    their default, leaving a static font."""
    from fontTools.varLib import instancer

    location: dict[str, float] = {}
    for axis in font["fvar"].axes:
        if axis.axisTag == "wght":
            location["wght"] = max(axis.minValue, min(axis.maxValue, float(weight)))
        elif axis.axisTag == "wdth":
            location["wdth"] = max(axis.minValue, min(axis.maxValue, 100.0))
        else:
            location[axis.axisTag] = axis.defaultValue
    instancer.instantiateVariableFont(font, location, inplace=True)
    if "OS/2" in font:
        font["OS/2"].usWeightClass = int(location.get("wght", weight))


def _to_truetype(font: Any, glyph_set: Any, keys: list[str] | None = None,
                 store: Any = None) -> None:
    from pipeline.fonts.outlines import to_truetype

    STATS["glyphs drawn"] += to_truetype(font, glyph_set, keys, store)


def _name(tables: dict[str, bytes], family: str, weight: int, style: str, ps_name: str) -> None:
    """RIBBI names (family + Regular/Bold/Italic) so Word and browsers pair the faces of one
    family, and a PostScript name unique to this subset (tables of bytes, in place)."""
    sub = _subfamily(weight, style)
    full = family if sub == "Regular" else f"{family} {sub}"
    _sfnt.set_names(tables, {1: family, 2: sub, 3: f"{ps_name};publish-fonts-{FONTS_VERSION}",
                             4: full, 6: ps_name}, remove=(16, 17, 21, 22, 25))
    _sfnt.set_style(tables, weight, style)
