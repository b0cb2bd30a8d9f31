"""What the writers get from the fonts: a :class:`FaceSet` of :class:`Face` objects, or a
:class:`FontError` when a font cannot be used.

Characters no face has are listed in ``FaceSet.missing`` for the writer to report through
:func:`describe_missing` (builds never fail on a missing glyph). The helpers here read a finished
face's bytes with struct (its PostScript name, its OS/2 fields), so a writer that only describes
a face never imports fontTools.
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

import pipeline.fonts.sfnt as _sfnt


class FontError(Exception):
    """A font could not be used: a configured file is missing, unreadable or has no outlines."""


@dataclass(frozen=True)
class Face:
    """One subset TrueType face, ready to embed (reportlab, EPUB @font-face, DOCX)."""

    role: str  # "body" | "bold" | "heading" | "caption" | "fallback"
    family: str  # family name for CSS / Word, e.g. "Noto Serif TC"
    weight: int  # CSS weight of this instance
    style: str  # "normal" | "italic"
    data: bytes = field(repr=False)  # subset TrueType (glyf) font file, reproducible bytes
    codepoints: frozenset[int] = field(repr=False)  # what the subset covers

    @cached_property
    def ps_name(self) -> str:
        """Unique PostScript name of this subset (name ID 6), e.g. ``NotoSerifTC-Regular-1a2b3c4d``."""
        return _read_ps_name(self.data)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def has(self, char: str) -> bool:
        return ord(char) in self.codepoints


@dataclass(frozen=True)
class FaceSet:
    """The faces of one document (or batch) and what none of them can draw."""

    lang: str
    body: Face
    bold: Face
    heading: Face
    caption: Face
    fallbacks: tuple[Face, ...] = ()
    missing: tuple[int, ...] = ()

    def runs(self, text: str, face: Face) -> list[tuple[Face, str]]:
        """Split ``text`` into runs by the face that draws each character: ``face`` when it has
        the character, else the run's current fallback, else the first fallback (then the other
        faces of the set) that has it. A character nobody has stays with ``face`` (it is listed
        in ``missing``). Invisible format characters (ZWJ, variation selectors, newlines) and
        combining marks stay with the run before them so clusters are not split. Never drops or
        reorders a character: ``"".join(t for _, t in runs) == text``."""
        out: list[tuple[Face, str]] = []
        others = [*self.fallbacks, *(f for f in self._primaries() if f is not face)]
        cur: Face | None = None
        buf: list[str] = []
        for ch in text:
            cp = ord(ch)
            if cur is not None and cur is not face and cp in cur.codepoints and (
                    cp not in face.codepoints or unicodedata.category(ch).startswith("M")):
                chosen = cur  # keep a fallback run (emoji sequence, combining mark) together
            elif cp in face.codepoints:
                chosen = face
            elif cur is not None and _invisible(cp):
                chosen = cur
            else:
                chosen = next((f for f in others if cp in f.codepoints), face)
            if chosen is not cur and buf:
                out.append((cur, "".join(buf)))  # type: ignore[arg-type]
                buf = []
            cur = chosen
            buf.append(ch)
        if buf:
            out.append((cur, "".join(buf)))  # type: ignore[arg-type]
        return out

    def _primaries(self) -> list[Face]:
        return [self.body, self.bold, self.heading, self.caption]

    def all_faces(self) -> list[Face]:
        """Every distinct face to embed: primaries then fallbacks, each font file once (bold and
        heading often share one subset; the first role listed wins)."""
        seen: set[str] = set()
        out = []
        for f in (*self._primaries(), *self.fallbacks):
            if f.sha256 not in seen:
                seen.add(f.sha256)
                out.append(f)
        return out

    def missing_messages(self) -> list[str]:
        return [describe_missing(cp) for cp in self.missing]


def describe_missing(cp: int) -> str:
    """``U+20000 CJK UNIFIED IDEOGRAPH-20000 has no glyph``: code point and name, for warnings."""
    return f"U+{cp:04X} {_char_name(cp)} has no glyph"


def _char_name(cp: int) -> str:
    try:
        name = unicodedata.name(chr(cp), "")
    except ValueError:  # outside Unicode
        return "<not a character>"
    if name:
        return name
    category = unicodedata.category(chr(cp))
    return {
        "Cc": "<control character>",
        "Co": "<private use character>",
        "Cs": "<surrogate>",
        "Cn": "<unassigned or noncharacter>",
    }.get(category, f"<unnamed character, category {category}>")


def _read_ps_name(data: bytes) -> str:
    """Name ID 6 of a font file, read with struct (no fontTools import on the warm path)."""
    try:
        found = _sfnt.name(_sfnt.split(data)[1], 6)
    except (ValueError, struct.error):
        found = None
    return found or "Font-" + hashlib.sha256(data).hexdigest()[:8]


def os2_fields(data: bytes) -> tuple[bytes, tuple[int, ...], tuple[int, int]] | None:
    """PANOSE, Unicode ranges and code-page ranges from a font's OS/2 table, read with struct
    (a writer that only describes a face need not load fontTools); None without an OS/2 table."""
    try:
        os2 = _sfnt.split(data)[1].get("OS/2", b"")
        if len(os2) < 58:
            return None
        version = struct.unpack_from(">H", os2)[0]
        pages = struct.unpack_from(">2I", os2, 78) if version >= 1 and len(os2) >= 86 else (0, 0)
        return bytes(os2[32:42]), struct.unpack_from(">4I", os2, 42), pages
    except (ValueError, struct.error):
        return None


def _invisible(cp: int) -> bool:
    """Characters that draw nothing: never reported missing, never split a run."""
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return True
    return unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp", "Cs")
