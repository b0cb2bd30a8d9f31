"""Project settings: ``[tool.publish]`` in pyproject.toml, overridden by command-line flags.

Each option validates itself and problems are collected, not raised one at a time, so a user sees
every mistake in one run (the MkDocs way). Precedence: built-in defaults < settings file < flags.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import Problems

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Page sizes in millimetres (width, height).
PAGE_SIZES: dict[str, tuple[float, float]] = {
    "A4": (210.0, 297.0),
    "A5": (148.0, 210.0),
    "B5": (176.0, 250.0),
    "Letter": (215.9, 279.4),
}
QUOTE_STYLES = ("keep", "corner")
#: Latin-script text: "smart" typographic quotes, dashes and ellipses, or "keep" the source's
LATIN_PUNCTUATION = ("smart", "keep")
#: who decides each line's role: the rules arbitrated by the line-role model, or the rules alone
LINE_ROLES = ("model", "rules")
#: settings that shape only the document (which editions' keys and IDs hold already), not its rendering
DOCUMENT_ONLY = ("latin_punctuation", "line_roles")
WRITING_MODES = ("horizontal-tb", "vertical-rl")
FONT_ROLES = ("body", "bold", "heading", "caption", "latin", "latin-bold")
#: how the font files publish reads begin: TrueType, OpenType (CFF), Apple TrueType, a collection
FONT_SIGNATURES = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf")
#: fields that say where settings came from (for messages), not what they are
_PROVENANCE = ("origin", "font_origins")

DEFAULT_MAX_INPUT_BYTES = 10 * 1024 * 1024


class SettingsError(Problems):
    """Invalid settings; ``problems`` holds one message per mistake."""


@dataclass(frozen=True)
class Settings:
    """Everything a build may be told without code. Lengths are in millimetres."""

    page_size: str = "A4"
    margin_top: float = 22.0
    margin_bottom: float = 22.0
    margin_inner: float = 20.0
    margin_outer: float = 20.0
    #: font role -> font file (".ttf", ".otf", or ".ttc#INDEX"); unset roles use the shipped faces
    fonts: dict[str, str] = field(default_factory=dict)
    #: where subset fonts are cached; default: $PUBLISH_FONT_CACHE, else the user cache dir
    font_cache: str | None = None
    quotes: str = "keep"
    latin_punctuation: str = "smart"
    line_roles: str = "model"
    writing_mode: str = "horizontal-tb"
    #: inputs larger than this are refused before decoding
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    #: text encoding of raw sources; None = detect
    encoding: str | None = None
    #: where the settings came from, for messages
    origin: str = "defaults"
    #: role -> where a font not from ``origin`` was chosen (``--font body``), for messages
    font_origins: dict[str, str] = field(default_factory=dict)

    def page_size_mm(self) -> tuple[float, float]:
        return PAGE_SIZES[self.page_size]

    def replace(self, **changes: Any) -> Settings:
        """A copy with the given options changed; ``None`` values are ignored (flag not given)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return self
        merged = {**self.to_dict(), **changes}
        if "fonts" in changes:
            merged["fonts"] = {**self.fonts, **changes["fonts"]}
        return dataclasses.replace(from_mapping(merged, origin=self.origin), font_origins=self.font_origins)

    def with_flags(self, fonts: dict[str, str] | None = None, **flags: Any) -> Settings:
        """Command-line flags over these settings; fonts given as ``--font ROLE=FILE`` remember it,
        so a message about one names the flag, not the settings file (:meth:`font_origin`)."""
        changed = self.replace(fonts=fonts or None, **flags)
        if not fonts:
            return changed
        origins = {**self.font_origins, **{role: f"--font {role}" for role in fonts}}
        return dataclasses.replace(changed, font_origins=origins)

    def font_origin(self, role: str) -> str:
        """Where the font for ``role`` was chosen, to begin a message about it."""
        return self.font_origins.get(role) or f"tool.publish.fonts.{role} ({self.origin})"

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for name in _PROVENANCE:
            data.pop(name)
        return data


def _check(problems: list[str], where: str, key: str, ok: bool, message: str) -> None:
    if not ok:
        problems.append(f"{where}: tool.publish.{key}: {message}")


def from_mapping(data: dict[str, Any], origin: str = "pyproject.toml") -> Settings:
    """Build Settings from a ``[tool.publish]`` table; raise SettingsError listing every problem."""
    problems: list[str] = []
    known = {f.name for f in dataclasses.fields(Settings)} - set(_PROVENANCE)
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in known:
            problems.append(f"{origin}: tool.publish.{key}: unknown setting")
            continue
        values[name] = value

    if "page_size" in values:
        size = str(values["page_size"])
        match = {k.lower(): k for k in PAGE_SIZES}.get(size.lower())
        _check(problems, origin, "page-size", match is not None,
               f"{size!r} is not one of {', '.join(PAGE_SIZES)}")
        values["page_size"] = match or "A4"
    for name in ("margin_top", "margin_bottom", "margin_inner", "margin_outer"):
        if name in values:
            value = values[name]
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 80
            _check(problems, origin, name.replace("_", "-"), ok,
                   f"{value!r} must be a number of millimetres from 0 to 80")
            values[name] = float(value) if ok else 20.0
    if "fonts" in values:
        fonts = values["fonts"]
        if not isinstance(fonts, dict):
            _check(problems, origin, "fonts", False, "must be a table of role = font file")
            values["fonts"] = {}
        else:
            for role, path in fonts.items():
                _check(problems, origin, f"fonts.{role}", role in FONT_ROLES,
                       f"unknown font role (roles: {', '.join(FONT_ROLES)})")
                _check(problems, origin, f"fonts.{role}", isinstance(path, str),
                       "must be a font file path")
            values["fonts"] = {str(k): str(v) for k, v in fonts.items()}
    for name, choices in (("quotes", QUOTE_STYLES), ("latin_punctuation", LATIN_PUNCTUATION),
                          ("line_roles", LINE_ROLES),
                          ("writing_mode", WRITING_MODES)):
        if name in values:
            _check(problems, origin, name.replace("_", "-"), values[name] in choices,
                   f"{values[name]!r} is not one of {', '.join(choices)}")
    if "max_input_bytes" in values:
        value = values["max_input_bytes"]
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        _check(problems, origin, "max-input-bytes", ok, f"{value!r} must be a positive integer")
    if "encoding" in values and values["encoding"] is not None:
        import codecs

        try:
            codecs.lookup(str(values["encoding"]))
        except LookupError:
            _check(problems, origin, "encoding", False, f"unknown encoding {values['encoding']!r}")
    if problems:
        raise SettingsError(problems)
    return Settings(**values, origin=origin)


def font_flag(item: str) -> tuple[str, str]:
    """``--font ROLE=FILE[#INDEX]`` as ``(role, spec)`` with the file's absolute path. Checked as soon
    as it is given: a wrong value is the flag's mistake, said before any work (ValueError)."""
    role, sep, spec = item.partition("=")
    if not sep or not spec:
        raise ValueError(f"{item!r} is not ROLE=FILE")
    if role not in FONT_ROLES:
        raise ValueError(f"unknown font role {role!r} (roles: {', '.join(FONT_ROLES)})")
    raw, mark, index = spec.partition("#")
    try:
        path = Path(raw).expanduser()
        is_file = path.is_file()
    except (RuntimeError, OSError) as exc:  # ~nosuchuser, or a name the file system refuses
        reason = getattr(exc, "strerror", None) or exc
        raise ValueError(f"font file {raw!r} cannot be used: {reason}") from None
    if not is_file:
        raise ValueError(f"font file {raw!r} " + ("is not a file" if path.exists() else "does not exist"))
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ValueError(f"font file {raw!r} cannot be read: {exc.strerror or exc}") from None
    if head not in FONT_SIGNATURES:
        raise ValueError(f"font file {raw!r} is not a TrueType/OpenType font (.ttf, .otf, .ttc)")
    return role, f"{path.resolve()}{mark}{index}"


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load(start: Path | None = None) -> Settings:
    """Settings from the nearest pyproject.toml's ``[tool.publish]``; defaults when there is none."""
    path = find_pyproject(start or Path.cwd())
    if path is None:
        return Settings()
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError([f"{path}: {exc}"]) from None
    section = table.get("tool", {}).get("publish")
    if section is None:
        return Settings(origin=str(path))
    if not isinstance(section, dict):
        raise SettingsError([f"{path}: tool.publish: must be a table"])
    return from_mapping(section, origin=str(path))


def font_cache_dir(settings: Settings) -> Path:
    """Where subset fonts are cached: settings, then $PUBLISH_FONT_CACHE, then the user cache."""
    if settings.font_cache:
        return Path(settings.font_cache).expanduser()
    env = os.environ.get("PUBLISH_FONT_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("publish")) / "fonts"
