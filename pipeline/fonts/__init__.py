"""Faces for every edition: chosen by language, subset to the text, TrueType, cached, reproducible.

A Chinese edition is judged first by its faces, so the defaults come from pip packages (no system
font needed): Noto Serif TC/SC for reading (Traditional vs Simplified glyph forms), Noto Sans TC/SC
at weight 700 for headings and bold, Noto Sans at 400 for captions, Noto Serif/Sans for Latin text.
Every face is subset to the characters the document needs (HarfBuzz's subsetter, which also pins
variable fonts to one weight), converted to TrueType outlines when it has CFF ones (reportlab
rejects CFF; :mod:`pipeline.fonts.outlines` converts each glyph once per machine) and named. Results
are cached on disk, keyed by what went into them, and carry no timestamp, so identical input gives
identical bytes.

Writers call :func:`faces_for` and get a :class:`FaceSet`; characters no shipped face has are listed
in ``FaceSet.missing`` for the writer to report through :func:`describe_missing` (builds never fail
on a missing glyph). Only the standard library is imported at module level; fontTools and
uharfbuzz are imported when a subset has to be made, so ``publish --help`` and warm builds stay fast.

The package's rooms, from the writers' side down:

* :mod:`~pipeline.fonts.choose`: the faces for a document (:func:`faces_for`), fallbacks and
  missing characters, :data:`ALWAYS` (what every subset carries).
* :mod:`~pipeline.fonts.faces`: :class:`Face`, :class:`FaceSet`, :class:`FontError`, and reading
  a finished face (PostScript name, OS/2 fields, :func:`describe_missing`).
* :mod:`~pipeline.fonts.catalogue`: the shipped faces, language groups and the faces each uses,
  configured font files, the licence notices.
* :mod:`~pipeline.fonts.jobs`: which subsets to make (cache keys, names) and making them, with
  worker processes when fontTools does the work.
* :mod:`~pipeline.fonts.subset`: one source's faces made by HarfBuzz or fontTools, and named;
  :func:`subset_face`.
* :mod:`~pipeline.fonts.coverage`: what a source font covers (its cmap), remembered.
* :mod:`~pipeline.fonts.cache`: cache keys, the in-process memos, the disk cache (its layout,
  checksums, pruning and locks), :func:`derived` and :func:`cached_artifact`, and
  :func:`take_warnings` (a damaged entry rebuilt, a cache folder that cannot be used).
* :mod:`~pipeline.fonts.outlines`, :mod:`~pipeline.fonts.glyphdraw`,
  :mod:`~pipeline.fonts.glyphstore`: CFF outlines to TrueType glyf, glyph by glyph, remembered
  across builds.
* :mod:`~pipeline.fonts.sfnt`: fonts as tables of bytes.

Submodules import from each other, never from this package, which only gathers the public names.
"""

from pipeline.fonts.cache import (
    FONTS_VERSION,
    STATS,
    cached_artifact,
    clear_memo,
    derived,
    memo_snapshot,
    seed_memo,
    take_warnings,
)
from pipeline.fonts.catalogue import ROLE_WEIGHTS, language_group, licence_notice, licence_summary
from pipeline.fonts.choose import (
    ALWAYS,
    WRITER_LABELS,
    document_chars,
    faces_for,
    required_codepoints,
)
from pipeline.fonts.faces import Face, FaceSet, FontError, describe_missing, os2_fields
from pipeline.fonts.subset import subset_face

__all__ = [
    "ALWAYS",
    "FONTS_VERSION",
    "ROLE_WEIGHTS",
    "STATS",
    "WRITER_LABELS",
    "Face",
    "FaceSet",
    "FontError",
    "cached_artifact",
    "clear_memo",
    "derived",
    "describe_missing",
    "document_chars",
    "faces_for",
    "language_group",
    "licence_notice",
    "licence_summary",
    "memo_snapshot",
    "os2_fields",
    "required_codepoints",
    "seed_memo",
    "subset_face",
    "take_warnings",
]
