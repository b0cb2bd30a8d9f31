"""Which font files the faces come from: the shipped faces, the faces of each language group,
fonts configured in ``tool.publish.fonts``, and the licence the shipped faces carry.

A Chinese edition is judged first by its faces, so the defaults come from pip packages (no system
font needed): Noto Serif TC/SC for reading (Traditional vs Simplified glyph forms), Noto Sans TC/SC
at weight 700 for headings and bold, Noto Sans at 400 for captions, Noto Serif/Sans for Latin text.
The licence text is package data (``pipeline/fonts_licenses/``).
"""

from __future__ import annotations

import contextlib
import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.fonts.faces import FaceSet, FontError
from pipeline.settings import Settings

_LICENCE_DIR = "fonts_licenses"

#: Role -> CSS weight a shipped face is made at.
ROLE_WEIGHTS = {"body": 400, "bold": 700, "heading": 700, "caption": 400, "fallback": 400,
                "latin": 400, "latin-bold": 700}


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
    where = settings.font_origin(role)  # the --font flag, or the settings file that named it
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
