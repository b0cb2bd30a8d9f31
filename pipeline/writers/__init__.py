"""Writer plugins: the protocol every edition format follows, and the registry that finds them.

Writers are discovered through the ``pipeline.writers`` entry-point group; the built-in pdf, epub
and docx writers are declared there exactly as a third party's would be (MkDocs does the same for
its own plugins). A writer is pure: ``render(document, options)`` returns the edition's bytes and
never touches the file system; :mod:`pipeline.outdir` owns the output directory.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

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
    #: the caption images judged usable before rendering (:mod:`pipeline.writers.images`), by the
    #: path the document gives; None: each writer has them judged as it meets them
    images: dict[str, bytes] | None = None

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


#: zlib level for fonts embedded in zip packages (DOCX, EPUB). Font data deflates poorly at any
#: level: level 1 leaves them about 5 % larger than level 6 in half the time, and deflating fonts
#: was a fifth of a new article's build.
FONT_DEFLATE = 1


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


def needs(*modules: tuple[str, str]) -> Callable[[Any], str | None]:
    """A writer's ``missing_dependency`` method from its (module, distribution) pairs."""

    def missing_dependency(self: Any) -> str | None:  # noqa: ARG001 - a method of the writer
        return missing_module(*modules)

    missing_dependency.__doc__ = "The library this writer lacks, or None."
    return missing_dependency


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


@dataclass(frozen=True)
class Plugin:
    """One ``pipeline.writers`` entry point: its name, ``module:attr`` value and distribution."""

    name: str
    value: str
    dist: str = ""

    def load(self) -> object:
        """What ``importlib.metadata.EntryPoint.load`` returns for this value."""
        import importlib

        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"malformed entry point value {self.value!r}")
        obj: object = importlib.import_module(match.group("module"))
        for attr in filter(None, (match.group("attr") or "").split(".")):
            obj = getattr(obj, attr)
        return obj


_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


@functools.lru_cache(maxsize=2)
def installed_plugins(fresh: bool = False) -> tuple[Plugin, ...]:
    """The writer entry points of every installed distribution.

    Finding them means importing importlib.metadata and reading every distribution's metadata, a
    tenth of a warm build's start-up, so the list is kept in the user cache under a key made of
    ``sys.path`` and each of its folders' modification times (installing, upgrading or removing a
    distribution changes its folder), the way stevedore caches OpenStack's plugins.
    ``fresh`` or $PUBLISH_NO_PLUGIN_CACHE=1 reads the metadata (``fresh`` stores what it read)."""
    cache = None if os.environ.get("PUBLISH_NO_PLUGIN_CACHE") else _plugin_cache()
    key = _path_key()
    if cache is not None and not fresh:
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            if data["key"] == key:
                return tuple(Plugin(*entry) for entry in data["plugins"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    from importlib.metadata import entry_points

    found = tuple(Plugin(ep.name, ep.value, ep.dist.name if ep.dist is not None else "")
                  for ep in entry_points(group=GROUP))
    if cache is not None:
        _write_quietly(cache, json.dumps({"key": key, "plugins": [
            [p.name, p.value, p.dist] for p in found]}))
        _forget_old(cache.parent)
    return found


def _forget_old(folder: Path, days: int = 30) -> None:
    """Drop the lists of interpreters and paths not used for a month (one file per ``sys.path``)."""
    import time

    limit = time.time() - days * 86400
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.name.endswith(".json") and entry.stat().st_mtime < limit:
                    os.unlink(entry.path)


def _path_key() -> str:
    """``sys.path``, each folder's time (a distribution installed or removed) and each
    distribution's entry-point file's time (one edited in place, as ``setup.py develop`` does)."""
    import hashlib

    h = hashlib.sha256()
    for entry in sys.path:
        try:
            h.update(f"{entry}\0{os.stat(entry or '.').st_mtime_ns}\0".encode("utf-8", "surrogateescape"))
            with os.scandir(entry or ".") as listing:
                infos = sorted(e.path for e in listing if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
        for info in infos:
            try:
                stamp = os.stat(os.path.join(info, "entry_points.txt")).st_mtime_ns
            except OSError:
                stamp = 0
            h.update(f"{info}\0{stamp}\0".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _plugin_cache() -> Path | None:
    """One file per ``sys.path`` (a console script and ``python -m`` see different paths), in
    the user cache folder."""
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if sys.platform == "win32":  # pragma: no cover
        base = os.environ.get("LOCALAPPDATA", base)
    elif sys.platform == "darwin":  # pragma: no cover
        base = os.path.join(os.path.expanduser("~"), "Library", "Caches")
    which = hashlib.sha256("\0".join(sys.path).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return Path(base) / "publish" / "plugins" / f"{which}.json"


def _write_quietly(path: Path, text: str) -> None:
    """Atomic and best effort: an unwritable cache only costs the next start-up a few ms."""
    import tempfile

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="plugins.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _load(ep: Plugin) -> Writer:
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
    try:
        return _registry(installed_plugins())
    except RegistryError:
        # the cached list may be stale (a plugin removed in a way no folder time shows): read
        # the installed metadata again before reporting the problem
        return _registry(installed_plugins(fresh=True))


def _registry(plugins: tuple[Plugin, ...]) -> Registry:
    eps = list(plugins)
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
    names = sorted({ep.name for ep in installed_plugins()}, key=lambda n: (order.get(n, 99), n))
    return tuple(n for n in names if n not in RESERVED_NAMES)


def load_image(writer: str, image: str, options: RenderOptions) -> bytes | None:
    """The bytes of a caption's image, or None when it is to be left out.

    One rule for every writer (:mod:`pipeline.writers.images`): a build has judged every image
    before rendering and warned once (``options.images``); a writer called on its own has the
    image judged here, and says why it left it out."""
    if options.images is not None:
        return options.images.get(image)
    from pipeline.writers.images import read_image

    data, why = read_image(options.base_dir, image)
    if data is None:
        options.warning(f"{writer}: image {image!r} {why}; left out")
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
