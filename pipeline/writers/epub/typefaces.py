"""The embedded typefaces: which faces of the :mod:`pipeline.fonts` FaceSet go into the book.

Body and heading faces are always embedded, then fallbacks, bold and caption while the font
payload stays under :data:`FONT_BUDGET`. The body face is embedded as :mod:`pipeline.fonts` made
it (it must draw anything); heading, bold and caption faces are trimmed to the characters they
print, which keeps a long CJK article far under the 1 MB budget. :func:`_extra_chars` names what
the edition prints beyond the document (labels, dates, the licence), so the font subsets and the
cover have those glyphs too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.model import Caption, Heading, Paragraph, Quote
from pipeline.settings import Settings
from pipeline.writers.epub.book import _MONTHS, _Asset, _Book, _display_date

if TYPE_CHECKING:  # pragma: no cover - typing only
    from pipeline.fonts import Face, FaceSet


#: Total bytes of embedded fonts we allow (the issue: "under 1 MB").
FONT_BUDGET = 1_000_000


@dataclass
class _Fonts:
    """What the stylesheet needs to know about the embedded faces."""

    faces: dict[str, Face | None] = field(default_factory=dict)  # role -> embedded face or None
    fallbacks: list[Face] = field(default_factory=list)
    assets: list[_Asset] = field(default_factory=list)
    embedded: list[tuple[_Asset, Face]] = field(default_factory=list)


def _font_ext(face: Face) -> tuple[str, str]:
    return ("otf", "font/otf") if face.data[:4] == b"OTTO" else ("ttf", "font/ttf")


#: Characters every trimmed face keeps: ASCII and the punctuation any line may carry.
_TRIM_KEEP = frozenset(range(0x20, 0x7F)) | frozenset(
    map(ord, "　、。，．：；！？「」『』（）《》〈〉…—–·・“”‘’%\ufffd"))


def _role_texts(book: _Book) -> dict[str, list[str]]:
    """What each non-body face prints, so those faces can be trimmed to it (the stylesheet
    sets headings, run-in heads and captions in them; everything else is in the body face)."""
    meta = book.meta
    heading = [meta.title, meta.subtitle or "", *book.labels]
    bold: list[str] = []
    caption = [meta.byline or "", meta.author or "", meta.editor or "", meta.publisher or "",
               meta.source or "", meta.rights or "", *meta.credits, "——"]
    if meta.date:
        caption.append(_display_date(book, meta.date))
    for block in book.document.blocks:
        if isinstance(block, Heading):
            heading.append(block.text)
        elif isinstance(block, Paragraph):
            bold.append(block.runin or "")
            if block.role == "epigraph":
                caption.append(block.text)
        elif isinstance(block, Caption):
            caption += [block.text, block.credit or ""]
        elif isinstance(block, Quote):
            caption.append(block.attribution or "")
    from pipeline.fonts import licence_notice

    caption.append(licence_notice())
    return {"heading": heading, "bold": bold, "caption": caption}


def _trim(face: Face, codepoints: frozenset[int], settings: Settings) -> bytes:
    """``face`` subset again to the code points one role prints (all layout features kept, so
    vertical alternates survive); reproducible: no timestamp is recalculated. Cached on disk
    with the font subsets, so a warm build does no fontTools work."""
    from pipeline.fonts import derived, subset_face

    wanted = codepoints & face.codepoints
    parameter = ",".join(f"{cp:x}" for cp in sorted(wanted))
    return derived("epub-trim", face, parameter, lambda: subset_face(face, wanted), settings)


def _choose_fonts(faceset: FaceSet, book: _Book) -> _Fonts:
    """Embed body and heading always, then fallbacks, bold and caption while under the budget.

    The body face is embedded whole (it must draw anything); heading, bold and caption faces are
    trimmed to the characters they print, which roughly halves the payload of a CJK book."""
    chosen = _Fonts()
    by_hash: dict[str, _Asset] = {}
    total = 0
    wanted: list[tuple[str, Face]] = [("body", faceset.body), ("heading", faceset.heading)]
    wanted += [("fallback", f) for f in faceset.fallbacks]
    wanted += [("bold", faceset.bold), ("caption", faceset.caption)]
    texts = _role_texts(book)
    needs: dict[str, set[int]] = {}  # sha -> code points, for faces not shared with the body
    for role, face in wanted:
        if role in texts and face.sha256 != faceset.body.sha256:
            needs.setdefault(face.sha256, set(_TRIM_KEEP)).update(
                ord(c) for t in texts[role] for c in book.text(t))
    for role, face in wanted:
        key = f"{face.sha256}:{face.weight}:{face.style}"
        if key not in by_hash:
            data = (_trim(face, frozenset(needs[face.sha256]), book.options.settings)
                    if face.sha256 in needs else face.data)
            size = len(data)
            if role not in ("body", "heading") and total + size > FONT_BUDGET:
                book.options.warning(
                    f"epub: the {role} font ({face.family}, {size} bytes) is not embedded: "
                    f"it would take the font payload over {FONT_BUDGET} bytes")
                if role != "fallback":
                    chosen.faces[role] = None
                continue
            total += size
            ext, media = _font_ext(face)
            asset = _Asset(f"fonts/{role}-{face.sha256[:12]}.{ext}", media, data,
                           f"font-{role}-{face.sha256[:12]}")
            by_hash[key] = asset
            chosen.assets.append(asset)
            chosen.embedded.append((asset, face))
        if role == "fallback":
            chosen.fallbacks.append(face)
        else:
            chosen.faces[role] = face
    if total > FONT_BUDGET:
        book.options.warning(f"epub: embedded fonts take {total} bytes (budget {FONT_BUDGET})")
    return chosen


def _extra_chars(book: _Book) -> str:
    """Characters this edition prints that the document does not hold (labels, the localised
    date, corner brackets, the licence), so the font subsets and the cover have their glyphs."""
    from pipeline.fonts import licence_notice

    extra = "".join(book.labels) + "——「」『』— " + "".join(_MONTHS) + "年月日"
    if book.meta.date:
        extra += _display_date(book, book.meta.date)
    extra += f"Made with publish {book.options.version}. " + licence_notice()
    return "".join(sorted(set(extra)))
