"""Writer plugins: the protocol every edition format follows, and the registry that finds them.

Writers are discovered through the ``pipeline.writers`` entry-point group; the built-in pdf, epub
and docx writers are declared there exactly as a third party's would be (MkDocs does the same for
its own plugins). A writer is pure: ``render(document, options)`` returns the edition's bytes and
never touches the file system; :mod:`pipeline.build` owns the output directory.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable

from pipeline.model import Block, Document, Meta
from pipeline.settings import Settings

GROUP = "pipeline.writers"
#: Names taken by CLI commands that are not writers.
RESERVED_NAMES = frozenset({"all", "check", "normalize", "writers"})


class WriterError(Exception):
    """A writer could not render a document (an unknown block type, an unusable font...)."""


class RegistryError(Exception):
    """The installed writer plugins conflict (duplicate or reserved names, broken entry points)."""


@dataclass(frozen=True)
class RenderOptions:
    """What a writer may know besides the document."""

    settings: Settings = field(default_factory=Settings)
    #: seconds since the epoch for every date the edition records; None = now
    source_date_epoch: int | None = None
    #: the tool's version, for producer metadata
    version: str = "0"
    #: folder that relative image paths in the document are resolved against
    base_dir: Path | None = None
    #: characters to subset fonts for (a batch's union); None = the document's own
    charset: str | None = None
    #: called with a warning message (e.g. a character no font has); default: ignored
    warn: object = None

    def warning(self, message: str) -> None:
        if callable(self.warn):
            self.warn(message)

    @staticmethod
    def epoch_from_env() -> int | None:
        value = os.environ.get("SOURCE_DATE_EPOCH")
        if value is None or not value.strip():
            return None
        try:
            return int(value)
        except ValueError:
            raise WriterError(f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds") from None


@runtime_checkable
class Writer(Protocol):
    """An edition format. ``name`` equals the entry-point name and the CLI subcommand."""

    name: str
    suffix: str  # file suffix with the dot, e.g. ".pdf"
    description: str

    def missing_dependency(self) -> str | None:
        """The name of a library or tool this writer needs and cannot find, else None."""

    def render(self, document: Document, options: RenderOptions) -> bytes:
        """The edition's bytes; raise WriterError for documents it cannot render."""


def escape(data: str, entities: dict[str, str] | None = None) -> str:
    """``xml.sax.saxutils.escape``, same output: that module imports urllib.request (a tenth of
    a writer's start-up) for functions that are three replaces."""
    data = data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for char, entity in (entities or {}).items():
        data = data.replace(char, entity)
    return data


def quoteattr(data: str) -> str:
    """``xml.sax.saxutils.quoteattr``, same output: an attribute value, escaped and quoted."""
    data = escape(data, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
    if '"' in data:
        return '"{}"'.format(data.replace('"', "&quot;")) if "'" in data else f"'{data}'"
    return f'"{data}"'


def missing_module(*modules: tuple[str, str]) -> str | None:
    """The distribution name of the first (module, distribution) pair that is not installed.

    Looks modules up without importing them, so listing writers stays fast."""
    import importlib.util

    for module, distribution in modules:
        if importlib.util.find_spec(module) is None:
            return distribution
    return None


def unknown_block(writer: str, block: Block) -> WriterError:
    """Writers dispatch on block type; one they do not know fails loudly, never silently."""
    return WriterError(f"{writer} writer: unknown block type {type(block).__name__!r}")


class Registry:
    """Writers by name; refuses duplicates and reserved names."""

    def __init__(self) -> None:
        self._writers: dict[str, Writer] = {}

    def add(self, writer: Writer, origin: str = "") -> None:
        name = getattr(writer, "name", None)
        if not isinstance(name, str) or not name.isidentifier():
            raise RegistryError(f"writer {origin or writer!r} has no usable name")
        if name in RESERVED_NAMES:
            raise RegistryError(f"writer name {name!r} ({origin}) is reserved for a command")
        if name in self._writers:
            raise RegistryError(f"two writers are named {name!r} ({origin}); names must be unique")
        if not isinstance(writer, Writer):
            raise RegistryError(f"writer {name!r} ({origin}) does not implement the Writer protocol")
        self._writers[name] = writer

    def names(self) -> list[str]:
        return list(self._writers)

    def get(self, name: str) -> Writer:
        return self._writers[name]

    def __iter__(self):
        return iter(self._writers.values())

    def __contains__(self, name: object) -> bool:
        return name in self._writers


#: Built-ins first, in this order; third-party writers follow alphabetically.
_BUILTIN_ORDER = ("pdf", "epub", "docx")


def _load(ep: EntryPoint) -> Writer:
    try:
        obj = ep.load()
    except Exception as exc:  # a broken plugin must not take the CLI down with a traceback
        raise RegistryError(f"writer plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from None
    writer = obj() if isinstance(obj, type) else obj
    if getattr(writer, "name", None) != ep.name:
        raise RegistryError(
            f"writer plugin {ep.name!r} ({ep.value}) calls itself {getattr(writer, 'name', None)!r}; "
            "the entry-point name must equal the writer's name"
        )
    return writer


@functools.lru_cache(maxsize=1)
def discover() -> Registry:
    """The registry of every installed writer plugin (found once per process)."""
    eps = list(entry_points(group=GROUP))
    counts: dict[str, int] = {}
    for ep in eps:
        counts[ep.name] = counts.get(ep.name, 0) + 1
    dupes = sorted(n for n, c in counts.items() if c > 1)
    if dupes:
        raise RegistryError(f"two writer plugins are named {', '.join(map(repr, dupes))}")
    order = {name: i for i, name in enumerate(_BUILTIN_ORDER)}
    eps.sort(key=lambda ep: (order.get(ep.name, len(order)), ep.name))
    registry = Registry()
    for ep in eps:
        registry.add(_load(ep), origin=ep.value)
    return registry


@functools.lru_cache(maxsize=1)
def entry_point_names() -> tuple[str, ...]:
    """Writer names without importing any writer module (for fast --help); read once."""
    order = {name: i for i, name in enumerate(_BUILTIN_ORDER)}
    names = sorted({ep.name for ep in entry_points(group=GROUP)}, key=lambda n: (order.get(n, 99), n))
    return tuple(n for n in names if n not in RESERVED_NAMES)


def load_image(writer: str, image: str, options: RenderOptions) -> bytes | None:
    """The bytes of a caption's image, or None after a warning saying why it was left out.

    One rule for every writer: the path is relative to the document's folder and may not leave it
    (a hand-edited YAML must not pull in arbitrary files), and the file must be an image PIL reads.
    """
    base = Path(options.base_dir or Path.cwd()).resolve()
    path = (base / image).resolve()
    if not path.is_relative_to(base):
        options.warning(f"{writer}: image {image!r} lies outside {base}; left out")
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        options.warning(f"{writer}: image {image!r} cannot be read ({exc.strerror or exc}); left out")
        return None
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        options.warning(f"{writer}: image {image!r} is not an image format it can read; left out")
        return None
    return data


def date_in_byline(meta: Meta) -> bool:
    """Whether the byline already prints the article's date (``2019-03-18 23:59聯合報 記者…``,
    ``24 July 2015``), so a title block shows the byline alone. One rule for every writer."""
    import re

    if not meta.byline or not meta.date:
        return False
    if meta.lines.get("date") and meta.lines.get("date") == meta.lines.get("byline"):
        return True  # the normaliser took both from one line
    if meta.date[:10] in meta.byline:
        return True
    ymd = re.findall(r"\d+", meta.date)[:3]
    if len(ymd) < 3:
        return False
    y, mo, d = ymd[0], ymd[1].lstrip("0"), ymd[2].lstrip("0")
    if re.search(rf"{y}\D{{1,3}}0?{mo}\D{{1,3}}0?{d}(?!\d)", meta.byline):
        return True
    months = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    month = months[int(mo) - 1] if 1 <= int(mo) <= 12 else "?"
    return bool(re.search(rf"(?<!\d)0?{d}(?!\d)", meta.byline) and y in meta.byline
                and month in meta.byline.lower())
