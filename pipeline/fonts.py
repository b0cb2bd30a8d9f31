"""Faces for every edition: chosen by language, subset to the text, TrueType, cached, reproducible.

A Chinese edition is judged first by its faces, so the defaults come from pip packages (no system
font needed): Noto Serif TC/SC for reading (Traditional vs Simplified glyph forms), Noto Sans TC/SC
at weight 700 for headings and bold, Noto Sans at 400 for captions, Noto Serif/Sans for Latin text.
Every face is subset to the characters the document needs (HarfBuzz's subsetter, which also pins
variable fonts to one weight), converted to TrueType outlines when it has CFF ones (reportlab
rejects CFF; :mod:`pipeline._outlines` converts each glyph once per machine) and named. Results are
cached on disk, keyed by what went into them, and carry no timestamp, so identical input gives
identical bytes.

Writers call :func:`faces_for` and get a :class:`FaceSet`; characters no shipped face has are listed
in ``FaceSet.missing`` for the writer to report through :func:`describe_missing` (builds never fail
on a missing glyph). Only the standard library is imported at module level; fontTools and
uharfbuzz are imported when a subset has to be made, so ``publish --help`` and warm builds stay fast.

Cache (``settings.font_cache``, else $PUBLISH_FONT_CACHE, else the platformdirs user cache):
``sources/<stamp>.json`` (hash and coverage of a font file, by path + size + mtime),
``subsets/<key>.ttf`` (finished faces) and ``artifacts/`` (a writer's font-derived files), least
recently used pruned past $PUBLISH_FONT_CACHE_MAX_MB (default 512), ``glyphs-<stamp>.sqlite``
(converted CFF glyphs: at most one entry per glyph of each font used, replaced when the fonts code
or the font tools change), ``locks/`` (one process makes a subset, others wait). Without uharfbuzz,
fontTools does everything, in up to $PUBLISH_FONT_JOBS processes (default: the usable CPUs).
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import functools
import hashlib
import io
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline import __version__, _sfnt
from pipeline.model import META_TEXT_FIELDS, Document
from pipeline.settings import Settings, font_cache_dir
from pipeline.writers import WriterError

#: Bump when the way subsets are made changes: it is part of every cache key.
FONTS_VERSION = "7"
#: Part of every cache key: the fonts code, and the tool release it shipped in.
_CACHE_VERSION = f"{FONTS_VERSION}/{__version__}"

#: Labels the writers print that documents rarely hold (page and date words, EPUB landmarks and
#: colophon in every language the writers localise to).
WRITER_LABELS = ("第頁页共年月日目錄目录封面書名頁书名页正文導覽导览版權與字型版权与字体"
                 "目次表紙扉本文ランドマーク奥付목차표지속표지본문랜드마크판권")

#: Characters every subset carries when its face has them: ASCII for numbers, dates, URLs and page
#: numbers; the punctuation Chinese text and running heads use; bullets; full-width forms; the
#: vertical presentation forms so vertical-rl text (EPUB) finds its glyphs; the writers' labels.
#: Because they are always there, writers that add some of them to ``charset`` get the very same
#: subsets (one subsetting for PDF, EPUB and DOCX), and they never pull in a fallback face or
#: count as missing unless the document itself uses them.
ALWAYS: frozenset[int] = frozenset(
    list(range(0x20, 0x7F))
    + [0x3013, 0xFFFD]  # the geta mark and replacement character the PDF draws for missing glyphs
    + [ord(c) for c in "\u00a0\u00a9\u00b7\u2013\u2014\u2015\u2018\u2019\u201c\u201d\u2022\u2025"
       "\u2026\u2027\u2032\u2033\u203b\u3000、。〃〈〉《》「」『』【】〔〕〖〗〘〙〜〝〞・ー﹏"
       + WRITER_LABELS]
    + list(range(0x3001, 0x3004))
    + list(range(0xFF01, 0xFF5F))  # full-width ASCII forms
    + list(range(0xFE10, 0xFE1A))  # vertical forms
    + list(range(0xFE30, 0xFE50))  # CJK compatibility forms (vertical brackets, ...)
)

_LICENCE_DIR = "fonts_licenses"

#: Role -> CSS weight a shipped face is made at.
ROLE_WEIGHTS = {"body": 400, "bold": 700, "heading": 700, "caption": 400, "fallback": 400,
                "latin": 400, "latin-bold": 700}


class FontError(WriterError):
    """A font could not be used: a configured file is missing, unreadable or has no outlines."""


#: Counts of expensive work done in this process (``subset``, ``hash``); tests read it.
STATS: Counter[str] = Counter()


# --------------------------------------------------------------------------------------------------
# Public types


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


def licence_notice() -> str:
    """The SIL Open Font License text the shipped faces require to travel with them (EPUB/DOCX
    embed fonts; a PDF may print a one-line notice instead, see :func:`licence_summary`)."""
    try:
        return (resources.files("pipeline") / _LICENCE_DIR / "OFL.txt").read_text(encoding="utf-8")
    except OSError:  # package data left out of an install: the font packages carry the OFL too
        for package, rel in (("justmytype_intl_cjk", "fonts/ofl/notosanstc/OFL.txt"),
                             ("fontpkg_noto_serif", "LICENSE"), ("fontpkg_noto_sans", "LICENSE")):
            with contextlib.suppress(ModuleNotFoundError, OSError):
                return (resources.files(package) / rel).read_text(encoding="utf-8")
        raise FontError("the SIL Open Font License text is missing from the installation "
                        f"(pipeline/{_LICENCE_DIR}/OFL.txt)") from None


def licence_summary(faces: FaceSet | None = None) -> str:
    """One line naming the fonts and their licence, for colophons."""
    families = sorted({f.family for f in faces.all_faces()}) if faces else ["Noto Serif", "Noto Sans"]
    return (f"Fonts: {', '.join(families)}, licensed under the SIL Open Font License, Version 1.1 "
            "(https://openfontlicense.org).")


# --------------------------------------------------------------------------------------------------
# Sources: which file each face comes from


@dataclass(frozen=True)
class _Source:
    """A font file (or one font of a collection) and the family name faces from it carry."""

    path: Path
    index: int
    family: str | None  # None: read from the font's name table
    origin: str  # for messages: where this font was chosen
    #: one font of a .ttc collection: its 'locl' lookups reach every other language's glyphs
    #: (Noto CJK collections share all of them), so subsets drop 'locl' to stay small
    collection: bool = False

    def label(self) -> str:
        return f"{self.path}#{self.index}" if self.index else str(self.path)


#: Shipped faces: id -> (package, path inside it, family).
_SHIPPED: dict[str, tuple[str, str, str]] = {
    "serif-tc": ("pylopdf_fonts_zh_tw", "NotoSerifTC-Regular.otf", "Noto Serif TC"),
    "serif-sc": ("pylopdf_fonts_zh_cn", "NotoSerifSC-Regular.otf", "Noto Serif SC"),
    "sans-tc": ("justmytype_intl_cjk", "fonts/ofl/notosanstc/NotoSansTC[wght].ttf", "Noto Sans TC"),
    "sans-sc": ("justmytype_intl_cjk", "fonts/ofl/notosanssc/NotoSansSC[wght].ttf", "Noto Sans SC"),
    "sans-jp": ("justmytype_intl_cjk", "fonts/ofl/notosansjp/NotoSansJP[wght].ttf", "Noto Sans JP"),
    "sans-kr": ("justmytype_intl_cjk", "fonts/ofl/notosanskr/NotoSansKR[wght].ttf", "Noto Sans KR"),
    "serif-latin": ("fontpkg_noto_serif", "files/NotoSerif[wdth,wght].ttf", "Noto Serif"),
    "sans-latin": ("fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf", "Noto Sans"),
}

#: Language group -> (body, bold, heading, caption, fallbacks...) as (shipped id, weight).
_CHOICES: dict[str, dict[str, Any]] = {
    "zh-Hant": {
        "body": ("serif-tc", 400), "bold": ("sans-tc", 700), "heading": ("sans-tc", 700),
        "caption": ("sans-tc", 400),
        "fallbacks": ("serif-sc", "sans-sc", "sans-jp", "sans-kr", "serif-latin", "sans-latin"),
    },
    "zh-Hans": {
        "body": ("serif-sc", 400), "bold": ("sans-sc", 700), "heading": ("sans-sc", 700),
        "caption": ("sans-sc", 400),
        "fallbacks": ("serif-tc", "sans-tc", "sans-jp", "sans-kr", "serif-latin", "sans-latin"),
    },
    "ja": {
        "body": ("sans-jp", 400), "bold": ("sans-jp", 700), "heading": ("sans-jp", 700),
        "caption": ("sans-jp", 400),
        "fallbacks": ("serif-tc", "serif-sc", "sans-kr", "serif-latin", "sans-latin"),
    },
    "ko": {
        "body": ("sans-kr", 400), "bold": ("sans-kr", 700), "heading": ("sans-kr", 700),
        "caption": ("sans-kr", 400),
        "fallbacks": ("serif-tc", "serif-sc", "sans-jp", "serif-latin", "sans-latin"),
    },
    "latin": {
        "body": ("serif-latin", 400), "bold": ("serif-latin", 700), "heading": ("sans-latin", 700),
        "caption": ("sans-latin", 400),
        "fallbacks": ("sans-latin", "serif-tc", "serif-sc", "sans-jp", "sans-kr"),
    },
}


def language_group(lang: str) -> str:
    """Map a BCP 47 tag to the face choice: zh-Hant / zh-Hans / ja / ko / latin."""
    parts = [p.lower() for p in lang.replace("_", "-").split("-") if p]
    if not parts:
        return "latin"
    if parts[0] in ("zh", "yue", "cmn", "lzh", "nan", "hak", "wuu"):
        if "hant" in parts or any(p in ("tw", "hk", "mo") for p in parts[1:]):
            return "zh-Hant"
        if parts[0] == "yue" and "hans" not in parts:
            return "zh-Hant"
        return "zh-Hans"
    if parts[0] == "ja":
        return "ja"
    if parts[0] == "ko":
        return "ko"
    return "latin"


def _shipped(face_id: str) -> _Source:
    package, rel, family = _SHIPPED[face_id]
    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        raise FontError(
            f"the shipped font package {package.replace('_', '-')} is not installed "
            f"(needed for {family}); reinstall publish with its dependencies"
        ) from None
    path = Path(str(root / rel))
    if not path.is_file():
        raise FontError(f"{family}: {path} is missing from the installed package {package}")
    return _Source(path, 0, family, f"shipped package {package}")


def _configured(role: str, spec: str, settings: Settings) -> _Source:
    """A font file from ``tool.publish.fonts.<role>``: ``path.ttf``, ``path.otf``, ``path.ttc#N``."""
    where = f"tool.publish.fonts.{role} ({settings.origin})"
    raw, index = spec, 0
    if "#" in spec:
        raw, _, num = spec.rpartition("#")
        if not num.isdigit():
            raise FontError(f"{where}: {spec!r}: the part after '#' must be a font index, e.g. .ttc#0")
        index = int(num)
    path = Path(raw).expanduser()
    if not path.is_absolute():
        origin = Path(settings.origin)
        base = origin.parent if origin.suffix == ".toml" and origin.is_file() else Path.cwd()
        path = base / path
    if not path.exists():
        raise FontError(f"{where}: font file {path} does not exist")
    if not path.is_file():
        raise FontError(f"{where}: font file {path} is not a file")
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise FontError(f"{where}: font file {path} cannot be read: {exc.strerror or exc}") from None
    tag = head[:4]
    if tag == b"ttcf":
        count = struct.unpack(">I", head[8:12])[0] if len(head) >= 12 else 0
        if index >= count:
            raise FontError(f"{where}: font file {path} is a collection of {count} fonts; "
                            f"index #{index} does not exist (use #0..#{max(count - 1, 0)})")
    elif tag in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        if index:
            raise FontError(f"{where}: font file {path} is a single font, not a collection; drop '#{index}'")
    elif tag in (b"wOFF", b"wOF2"):
        raise FontError(f"{where}: font file {path} is a WOFF web font; give the .ttf/.otf it was made from")
    else:
        raise FontError(f"{where}: font file {path} is not a TrueType/OpenType font (.ttf, .otf, .ttc)")
    return _Source(path, index, None, where, collection=tag == b"ttcf")


# --------------------------------------------------------------------------------------------------
# What a source font covers (read straight from its cmap: fast, and remembered on disk)


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
    entry: Path | None
    sha256: str | None = None

    def save(self) -> None:
        if self.entry is not None:
            _atomic_write(self.entry, json.dumps({
                "cmap": self.coverage.ranges(), "family": self.family, "tags": sorted(self.tags),
                "weight": self.weight, "sha256": self.sha256}).encode())


_LOCK = threading.RLock()
_SUBSET_MEMO: dict[str, bytes] = {}
#: Entries the in-process memos keep: a batch worker renders article after article, each with its
#: own subsets (about a megabyte each), so unbounded memos would grow without end.
_MEMO_LIMIT = {"subsets": 48, "facesets": 8}
_SOURCE_MEMO: dict[tuple[str, int, int, int], _SourceInfo] = {}
_FACESET_MEMO: dict[Any, FaceSet] = {}


def _remember(memo: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    """Put ``key`` in ``memo`` as its newest entry, dropping the oldest past ``limit``."""
    memo.pop(key, None)
    memo[key] = value
    while len(memo) > limit:
        del memo[next(iter(memo))]


def memo_snapshot() -> tuple[list[tuple[Any, FaceSet]], list[tuple[str, bytes]]]:
    """The faces this process has made or read, for a process it hands work to (:func:`seed_memo`)."""
    with _LOCK:
        return list(_FACESET_MEMO.items()), list(_SUBSET_MEMO.items())


def seed_memo(snapshot: tuple[list[tuple[Any, FaceSet]], list[tuple[str, bytes]]]) -> None:
    facesets, subsets = snapshot
    with _LOCK:
        for key, data in subsets:
            _remember(_SUBSET_MEMO, key, data, _MEMO_LIMIT["subsets"])
        for key, faces in facesets:
            _remember(_FACESET_MEMO, key, faces, _MEMO_LIMIT["facesets"])


def clear_memo() -> None:
    """Forget in-process results (tests; long-running processes after font files changed)."""
    with _LOCK:
        _SUBSET_MEMO.clear()
        _SOURCE_MEMO.clear()
        _FACESET_MEMO.clear()


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder + os.replace: readers never see half a file and
    two processes filling the cache at once both succeed (last writer wins, same bytes)."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass  # an unwritable cache only costs time
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


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
    stamp = hashlib.sha256(json.dumps([*memo_key, FONTS_VERSION]).encode()).hexdigest()
    entry = cache / "sources" / f"{stamp}.json" if cache else None
    info = None
    if entry is not None:
        try:
            raw = json.loads(entry.read_bytes())
            info = _SourceInfo(_Coverage(raw["cmap"]), raw["family"], frozenset(raw["tags"]),
                               int(raw["weight"]), entry, raw.get("sha256"))
        except (OSError, ValueError, KeyError, TypeError):
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


# --------------------------------------------------------------------------------------------------
# Making subsets


@dataclass(frozen=True)
class _Job:
    """One face to make: a source, the code points it will cover, a weight; ``key`` names it in
    the cache (source hash, code points, operations, module version)."""

    src: _Source
    cps: frozenset[int]
    weight: int
    style: str
    family: str
    key: str
    ps_name: str
    src_sha: str = ""


@functools.lru_cache(maxsize=1)
def _tools_stamp() -> str:
    """Part of every cache key: another fontTools or HarfBuzz may make other bytes. The installed
    releases are read from their ``*.dist-info`` folder names beside the packages (one folder
    listing, where reading their metadata costs milliseconds); a package installed some other
    way is told apart by its files' size and time instead."""
    import importlib.util

    parts = []
    for module, dist in (("fontTools", "fonttools"), ("uharfbuzz", "uharfbuzz")):
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin:
            parts.append(f"{module}:none")
            continue
        package = Path(spec.origin).parent
        try:
            infos = sorted(n for n in os.listdir(package.parent)
                           if n.lower().startswith(dist + "-") and n.endswith(".dist-info"))
        except OSError:
            infos = []
        if infos:
            parts.append(infos[-1])
            continue
        try:
            st = os.stat(spec.origin)
            parts.append(f"{module}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{module}:none")
    return "+".join(parts)


def _subfamily(weight: int, style: str) -> str:
    bold = weight >= 600
    if style == "italic":
        return "Bold Italic" if bold else "Italic"
    return "Bold" if bold else "Regular"


def _ps_safe(text: str) -> str:
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c == "-"))


def _plan(src: _Source, weight: int, style: str, wanted: Iterable[int], cache: Path | None) -> _Job:
    info = _source_info(src, cache)
    cps = info.coverage.select(wanted)
    ops = {"weight": weight, "style": style, "index": src.index, "family": info.family,
           "outlines": "glyf", "features": "default+vkna" + ("-locl" if src.collection else ""),
           "post": 3}
    what = {"v": _CACHE_VERSION, "src": _source_sha(src, info), "ops": ops, "cps": _ranges_of(cps)}
    name_key = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()
    # the cache key also names the installed font tools, which may make other bytes; the font's
    # own name must not (it is in the output, and a reinstall must not change the output)
    key = hashlib.sha256(f"{name_key}/{_tools_stamp()}".encode()).hexdigest()
    ps_name = f"{_ps_safe(info.family)[:40]}-{_ps_safe(_subfamily(weight, style))}-{name_key[:8]}"
    return _Job(src, cps, weight, style, info.family, key, ps_name, what["src"])


#: Seconds to wait for another process making the same subsets before making them too.
_LOCK_TIMEOUT = 180


def _cached(key: str, cache: Path | None) -> bytes | None:
    with _LOCK:
        data = _SUBSET_MEMO.get(key)
    if data is None and cache is not None:
        entry = cache / "subsets" / f"{key}.ttf"
        try:
            data = entry.read_bytes()
        except OSError:
            return None
        if not _complete(data):
            return None  # damaged entry: make it again and overwrite
        with contextlib.suppress(OSError):
            os.utime(entry)  # recently used: pruned last
    return data


def derived(kind: str, face: Face, parameter: str, make: Callable[[], bytes],
            settings: Settings | None = None) -> bytes:
    """A font a writer derives from ``face`` (a tighter subset, renamed family...), cached like the
    subsets: in this process and on disk, keyed by the face's bytes, ``kind`` and ``parameter``.

    Writers call this instead of redoing fontTools work on every build (it is most of a warm
    build's time otherwise)."""
    h = hashlib.sha256()
    for part in (_CACHE_VERSION, _tools_stamp(), kind, face.sha256, parameter):
        h.update(part.encode("utf-8") + b"\0")
    key = f"derived-{h.hexdigest()[:40]}"
    try:
        cache: Path | None = font_cache_dir(settings or Settings())
    except Exception:  # noqa: BLE001 - no usable cache folder: work without one
        cache = None
    data = _cached(key, cache)
    if data is None:
        data = make()
        with _LOCK:
            _remember(_SUBSET_MEMO, key, data, _MEMO_LIMIT["subsets"])
        if cache is not None:
            _atomic_write(cache / "subsets" / f"{key}.ttf", data)
    return data


def cached_artifact(kind: str, parts: Iterable[str], make: Callable[[], bytes],
                    settings: Settings | None = None) -> bytes:
    """Bytes a writer makes from fonts and metadata only (the EPUB's cover image), cached on disk
    beside the subsets under a key of ``kind``, ``parts`` and this release; pruned with them."""
    h = hashlib.sha256()
    for part in (_CACHE_VERSION, kind, *parts):
        h.update(part.encode("utf-8") + b"\0")
    key = f"{kind}-{h.hexdigest()[:40]}"
    with _LOCK:
        data = _SUBSET_MEMO.get(key)
    if data is not None:
        return data
    try:
        cache: Path | None = font_cache_dir(settings or Settings())
    except Exception:  # noqa: BLE001 - no usable cache folder: work without one
        cache = None
    entry = cache / "artifacts" / f"{key}.bin" if cache is not None else None
    if entry is not None:
        with contextlib.suppress(OSError):
            data = entry.read_bytes() or None
    if data is None:
        data = make()
        if entry is not None:
            _atomic_write(entry, data)
    with _LOCK:
        _remember(_SUBSET_MEMO, key, data, _MEMO_LIMIT["subsets"])
    return data


def _cache_limit() -> int:
    """Bytes of subsets the cache may hold: $PUBLISH_FONT_CACHE_MAX_MB (default 512)."""
    env = os.environ.get("PUBLISH_FONT_CACHE_MAX_MB", "").strip()
    return (int(env) if env.isdigit() else 512) * 1024 * 1024


#: Bytes this process wrote to each cache since it last pruned it.
_UNPRUNED: dict[str, int] = {}
_STRIPE_FILE = re.compile(r"[0-9a-f]{3}\.lock")


def _maybe_prune(cache: Path, written: int) -> None:
    """:func:`_prune` on the first write to ``cache`` (by this process, or the one it was forked
    from), then after every 1/64 of the limit written: a batch writes new subsets for every
    article, and listing a full cache each time cost more than making a subset. The cache may
    overshoot its limit by that much per process."""
    with _LOCK:
        done = _UNPRUNED.get(str(cache))
        if done is not None and done + written < _cache_limit() // 64:
            _UNPRUNED[str(cache)] = done + written
            return
        _UNPRUNED[str(cache)] = 0
    _prune(cache)


def _prune(cache: Path) -> None:
    """Keep the subset cache under its limit by removing the least recently used entries (every
    distinct character set makes new subsets, so an unpruned cache only grows)."""
    current = Path(_glyph_store(cache) or "").name  # and its -wal and -shm companions
    week_ago = time.time() - 7 * 86400
    with contextlib.suppress(OSError):
        for entry in os.scandir(cache):
            # converted by another release or other font tools, and unused for a week (another
            # installation sharing this cache may still be using it)
            if (entry.name.startswith("glyphs-") and not entry.name.startswith(current)
                    and entry.stat().st_mtime < week_ago):
                os.unlink(entry.path)
    with contextlib.suppress(OSError):
        for entry in os.scandir(cache / "locks"):  # per-key lock files of earlier versions
            if not _STRIPE_FILE.fullmatch(entry.name):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
    entries = []
    for folder, suffix in (("subsets", ".ttf"), ("artifacts", ".bin")):
        with contextlib.suppress(OSError):
            entries += [(e.stat().st_mtime, e.stat().st_size, e.path)
                        for e in os.scandir(cache / folder) if e.name.endswith(suffix)]
    total, limit = sum(size for _, size, _ in entries), _cache_limit()
    if total <= limit:
        return
    for _, size, path in sorted(entries):
        if total <= limit * 0.8:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size


#: Lock files in the cache's locks/ folder: each key takes the one its hash picks. A file per key
#: would leave one file behind for every subset ever made (an archive makes millions); with 4096,
#: two processes making different subsets rarely share one (an article locks about five).
_LOCK_STRIPES = 4096


def _cache_locks(keys: list[str], cache: Path | None) -> contextlib.ExitStack:
    """Inter-process locks on the subsets about to be made, taken in sorted order (no deadlock):
    when a batch runs several processes, one makes each subset and the others wait and read it.
    Keys share :data:`_LOCK_STRIPES` lock files, so two processes making different subsets may
    now and then wait for each other. Best effort: without filelock, or after a timeout, the
    work is simply done twice."""
    stack = contextlib.ExitStack()
    if cache is None:
        return stack
    try:
        from filelock import FileLock, Timeout
    except ImportError:
        return stack
    try:
        (cache / "locks").mkdir(parents=True, exist_ok=True)
        for stripe in sorted({int(key[:8], 16) % _LOCK_STRIPES for key in keys}):
            stack.enter_context(FileLock(str(cache / "locks" / f"{stripe:03x}.lock"),
                                         timeout=_LOCK_TIMEOUT))
    except (OSError, Timeout):
        pass  # proceed with whatever locks were taken
    return stack


def _realise(jobs: list[_Job], cache: Path | None) -> dict[str, bytes]:
    """The bytes of every job: from this process's memo, else the disk cache, else made. Jobs
    sharing a source and character set are made together (one variable subset, several weights)."""
    out: dict[str, bytes] = {}
    for job in jobs:
        data = _cached(job.key, cache)
        if data is not None:
            out[job.key] = data
    pending = [job for job in jobs if job.key not in out]
    if pending:
        with _cache_locks([job.key for job in pending], cache):
            todo: dict[tuple[_Source, frozenset[int]], list[_Job]] = {}
            for job in pending:
                data = _cached(job.key, cache)  # another process may have made it meanwhile
                if data is not None:
                    out[job.key] = data
                    continue
                group = todo.setdefault((job.src, job.cps), [])
                if all(j.key != job.key for j in group):
                    group.append(job)
            groups = list(todo.values())
            STATS["subset"] += len(groups)
            written = 0
            for group, datas in zip(groups, _build_groups(groups, cache), strict=True):
                for job, data in zip(group, datas, strict=True):
                    out[job.key] = data
                    if cache is not None:
                        _atomic_write(cache / "subsets" / f"{job.key}.ttf", data)
                        written += len(data)
            if cache is not None and groups:
                _maybe_prune(cache, written)
    with _LOCK:
        for key, data in out.items():
            _remember(_SUBSET_MEMO, key, data, _MEMO_LIMIT["subsets"])
    return out


def _complete(data: bytes) -> bool:
    """Cheap check that a cached font is whole: a TrueType header whose tables all lie inside."""
    try:
        return _sfnt.split(data)[0] == _sfnt.TRUETYPE
    except ValueError:
        return False


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


_WORKER_BOOT = (
    "import pickle, sys\n"
    "payload = pickle.load(sys.stdin.buffer)\n"
    "sys.path[:0] = payload['path']\n"
    "from pipeline.fonts import _worker_main\n"
    "_worker_main(payload)\n"
)


#: Seconds a child may take before its share is redone in this process.
_CHILD_TIMEOUT = 300


def _workers() -> int:
    """How many processes may make subsets at once: $PUBLISH_FONT_JOBS, else the usable CPUs."""
    env = os.environ.get("PUBLISH_FONT_JOBS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return os.cpu_count() or 1


GroupArgs = tuple[_Source, frozenset[int], list[tuple[int, str, str, str]]]


def _glyph_store(cache: Path | None) -> str | None:
    """Where converted CFF glyphs are kept: one SQLite file per release of the fonts code and
    installed font tools (other ones are removed when the cache is pruned)."""
    if cache is None:
        return None
    stamp = hashlib.sha256(f"{_CACHE_VERSION}/{_tools_stamp()}".encode()).hexdigest()[:16]
    return str(cache / f"glyphs-{stamp}.sqlite")


def _build_groups(groups: list[list[_Job]], cache: Path | None = None) -> list[list[bytes]]:
    """Make every group's faces. With HarfBuzz that is quick work but for drawing CFF glyphs,
    which the glyph store remembers, so it is done here. Without it, fontTools is pure Python,
    so with several CPUs the work is shared with child interpreters (started with ``python -c``,
    not multiprocessing, so no ``__main__`` re-import and no fork of a threaded process); this
    process works on the first share itself. A child that fails is redone here, so errors
    surface as the usual FontError."""
    import importlib.util

    if importlib.util.find_spec("uharfbuzz") is not None:
        store = _glyph_store(cache)
        return [_build_group(g[0].src, g[0].cps, [(j.weight, j.style, j.family, j.ps_name) for j in g],
                             (store, f"{g[0].src_sha}:{g[0].src.index}")) for g in groups]
    args: list[GroupArgs] = [
        (g[0].src, g[0].cps, [(j.weight, j.style, j.family, j.ps_name) for j in g]) for g in groups]
    workers = min(_workers(), sum(len(a[2]) for a in args))
    if workers > len(args):  # more CPUs than groups: one weight per job (each subsets on its own)
        split = [(src, cps, [v]) for src, cps, variants in args for v in variants]
    else:
        split = args
    if workers < 2 or len(split) < 2 or not sys.executable or getattr(sys, "frozen", False):
        return [_build_group(*a) for a in args]
    # Heaviest jobs (most weights from one subset) first, the first share to this process, which
    # needs no interpreter start-up.
    shares: list[list[int]] = [[] for _ in range(min(workers, len(split)))]
    for i, n in enumerate(sorted(range(len(split)), key=lambda n: -len(split[n][2]))):
        shares[i % len(shares)].append(n)
    children = []
    for share in shares[1:]:
        payload = pickle.dumps({"path": [p for p in sys.path if p], "jobs": [split[n] for n in share]})
        try:
            child = subprocess.Popen([sys.executable, "-c", _WORKER_BOOT], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert child.stdin is not None
            child.stdin.write(payload)
            child.stdin.close()
            child.stdin = None  # so communicate() does not flush it again
        except OSError:
            child = None
        children.append((share, child))
    results: dict[int, list[bytes]] = {n: _build_group(*split[n]) for n in shares[0]}
    for share, child in children:
        got = None
        if child is not None:
            try:
                stdout, _ = child.communicate(timeout=_CHILD_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                stdout = b""
            if child.returncode == 0:
                with contextlib.suppress(Exception):
                    got = pickle.loads(stdout)
        for i, n in enumerate(share):
            results[n] = got[i] if got is not None else _build_group(*split[n])
    # reassemble per original group
    flat = iter(results[n] for n in range(len(split)))
    if split is args:
        return [next(flat) for _ in args]
    return [[next(flat)[0] for _ in variants] for _, _, variants in args]


def _worker_main(payload: dict[str, Any]) -> None:
    """Child side of :func:`_build_groups`: make the given groups, pickle the bytes to stdout."""
    out = [_build_group(*job) for job in payload["jobs"]]
    sys.stdout.buffer.write(pickle.dumps(out))
    sys.stdout.buffer.flush()


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
                from pipeline._outlines import HarfBuzzGlyphs, shared_store, truetype_tables

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
    from pipeline._outlines import to_truetype

    STATS["glyphs drawn"] += to_truetype(font, glyph_set, keys, store)


def _name(tables: dict[str, bytes], family: str, weight: int, style: str, ps_name: str) -> None:
    """RIBBI names (family + Regular/Bold/Italic) so Word and browsers pair the faces of one
    family, and a PostScript name unique to this subset (tables of bytes, in place)."""
    sub = _subfamily(weight, style)
    full = family if sub == "Regular" else f"{family} {sub}"
    _sfnt.set_names(tables, {1: family, 2: sub, 3: f"{ps_name};publish-fonts-{FONTS_VERSION}",
                             4: full, 6: ps_name}, remove=(16, 17, 21, 22, 25))
    _sfnt.set_style(tables, weight, style)


def _read_ps_name(data: bytes) -> str:
    """Name ID 6 of a font file, read with struct (no fontTools import on the warm path)."""
    try:
        found = _sfnt.name(_sfnt.split(data)[1], 6)
    except (ValueError, struct.error):
        found = None
    return found or "Font-" + hashlib.sha256(data).hexdigest()[:8]


# --------------------------------------------------------------------------------------------------
# Choosing faces for a document


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


def document_chars(document: Document) -> set[int]:
    """Every code point the document may print: its texts and every metadata field."""
    texts = list(document.texts())
    texts += [getattr(document.meta, n) or "" for n in META_TEXT_FIELDS]
    return _printable(ord(c) for t in texts for c in t)


def _printable(codepoints) -> set[int]:
    """Leave out control characters (line breaks in a licence text, say): no face draws them, and
    they must not make two writers' character sets (and so their subsets) differ."""
    return {cp for cp in codepoints if cp >= 0x20 and not 0x7F <= cp <= 0x9F}


def required_codepoints(document: Document, charset: str | None = None) -> frozenset[int]:
    """What the primary faces are subset to: the document's (or batch's) characters plus
    :data:`ALWAYS` (each face keeps those of them it has)."""
    needed = document_chars(document)
    if charset is not None:
        needed |= _printable(ord(c) for c in charset)
    return frozenset(needed | ALWAYS)


def faces_for(document: Document, settings: Settings | None = None,
              charset: str | None = None) -> FaceSet:
    """The faces for ``document``: chosen by ``document.meta.lang`` and ``settings.fonts``,
    subset to the document's characters (or ``charset`` too, for a batch: subset once for the
    union) plus :data:`ALWAYS`. Memoised in this process and cached on disk; raises
    :class:`FontError` when a configured font is unusable; never fails on a missing glyph (those
    are in ``FaceSet.missing``)."""
    settings = settings or Settings()
    own = frozenset(document_chars(document))
    extra = frozenset(_printable(ord(c) for c in charset or "")) - own - ALWAYS
    try:
        cache: Path | None = font_cache_dir(settings)
    except Exception:  # no platformdirs or no home directory: work without a disk cache
        cache = None
    group = language_group(document.meta.lang)
    memo_key = (group, document.meta.lang, own, extra, tuple(sorted(settings.fonts.items())),
                settings.origin, str(cache))
    with _LOCK:
        hit = _FACESET_MEMO.get(memo_key)
    if hit is not None:
        return hit
    # Fallbacks and `missing` follow what will be printed: the document's own characters and
    # the batch's/writer's extras, except extras from ALWAYS (labels a writer may not print).
    drivers = own | (extra - ALWAYS)
    result = _choose(document.meta.lang, group, own | extra, drivers, settings, cache)
    with _LOCK:
        _remember(_FACESET_MEMO, memo_key, result, _MEMO_LIMIT["facesets"])
    return result


def _choose(lang: str, group: str, needed: frozenset[int], drivers: frozenset[int],
            settings: Settings, cache: Path | None) -> FaceSet:
    choice = _CHOICES[group]
    configured = {k: v for k, v in settings.fonts.items() if v}
    if group == "latin":  # in Latin documents the latin roles are the body faces
        if "latin" in configured:
            configured.setdefault("body", configured.pop("latin"))
        if "latin-bold" in configured:
            configured.setdefault("bold", configured.pop("latin-bold"))
    wanted = needed | ALWAYS
    plans: dict[str, _Job] = {}
    for role in ("body", "bold", "heading", "caption"):
        face_id, weight = choice[role]
        if role in configured:
            src = _configured(role, configured[role], settings)
            weight = _configured_weight(src, role, cache)
        else:
            src = _shipped(face_id)
        plans[role] = _plan(src, weight, "normal", wanted, cache)

    # Fallbacks cover printed characters (not the ALWAYS extras) some primary face lacks.
    visible = [cp for cp in sorted(drivers) if not _invisible(cp)]
    uncovered = {cp for cp in visible if any(cp not in job.cps for job in plans.values())}
    sources = [_configured(r, configured[r], settings) for r in ("latin", "latin-bold") if r in configured]
    fallback_plans: list[_Job] = []
    for face_id in choice["fallbacks"]:
        if uncovered:
            with contextlib.suppress(FontError):  # a missing fallback package only loses coverage
                sources.append(_shipped(face_id))
    for src in sources:
        if not uncovered:
            break
        take = _source_info(src, cache).coverage.select(uncovered)
        if take:
            fallback_plans.append(_plan(src, 400, "normal", take, cache))
            uncovered -= take

    datas = _realise([*plans.values(), *fallback_plans], cache)

    def face(role: str, job: _Job) -> Face:
        return Face(role=role, family=job.family, weight=job.weight, style=job.style,
                    data=datas[job.key], codepoints=job.cps)

    primaries = {role: face(role, job) for role, job in plans.items()}
    fallbacks = tuple(face("fallback", job) for job in fallback_plans)
    anywhere = set().union(*(f.codepoints for f in (*primaries.values(), *fallbacks)))
    missing = tuple(cp for cp in visible if cp not in anywhere)
    return FaceSet(lang=lang, fallbacks=fallbacks, missing=missing, **primaries)


def _configured_weight(src: _Source, role: str, cache: Path | None) -> int:
    """A configured static font keeps its own weight; a variable one is pinned at the role's."""
    info = _source_info(src, cache)  # validates the file first, with a clear message
    if "fvar" in info.tags or not 1 <= info.weight <= 1000:
        return ROLE_WEIGHTS[role]
    return info.weight
