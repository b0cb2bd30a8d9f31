"""Finding articles to build, and turning each into a Document.

A source is a scraped text (``NAME.txt``) or a YAML document (``NAME.yaml``). When both exist, the
YAML is the source of truth (it may have been edited by hand) and the text is not normalised again.
``NAME.meta.yaml`` beside either supplies metadata that overrides what was detected. A folder means
the articles directly in it (not in its subfolders), which is also why it must not be the output
folder: the YAML copies a build writes there would be the sources of the next (see
:func:`source_folder_of`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.errors import Problems
from pipeline.model import Document, Meta
from pipeline.settings import Settings

TEXT_SUFFIXES = (".txt", ".text")
YAML_SUFFIXES = (".yaml", ".yml")
META_SUFFIX = ".meta"


class SourceError(Problems):
    """A source that cannot be used; ``problems`` has one line per problem, naming the file."""


@dataclass(frozen=True)
class Source:
    name: str
    path: Path
    kind: str  # "text" | "yaml"
    sidecar: Path | None = None
    #: what happened when the source was chosen (e.g. a .txt shadowed by a .yaml)
    notes: tuple[str, ...] = field(default=())


def _kind(path: Path) -> str | None:
    if path.name.endswith(META_SUFFIX + path.suffix) and path.suffix in YAML_SUFFIXES:
        return None  # a sidecar, not an article
    if path.suffix.lower() in TEXT_SUFFIXES:
        return "text"
    if path.suffix.lower() in YAML_SUFFIXES:
        return "yaml"
    return None


def _sidecar(path: Path, name: str) -> Path | None:
    for suffix in YAML_SUFFIXES:
        candidate = path.parent / f"{name}{META_SUFFIX}{suffix}"
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # a sidecar name too long for the file system: there is none
            continue
    return None


def collect(paths: list[Path]) -> list[Source]:
    """The sources named by files and directories, in a stable order; SourceError lists problems."""
    problems: list[str] = []
    chosen: dict[str, Source] = {}
    for given in paths:
        try:
            if not given.exists():
                problems.append(_missing(given))
                continue
        except OSError as exc:  # a name the file system refuses (too long...)
            problems.append(f"{given}: {exc.strerror or exc}")
            continue
        if given.is_dir():
            files: list[Path] = []
            unusable: list[str] = []  # an article's name with no file behind it (a dangling link)
            for p in sorted(given.iterdir()):
                if p.name.startswith("."):  # hidden: an editor's lock or backup (.#story.txt)
                    continue
                if _kind(p) and p.is_file():
                    files.append(p)
                elif _kind(p) and not p.is_dir():
                    unusable.append(_missing(p))
            problems.extend(unusable)
            if not files:
                if not unusable:
                    problems.append(_no_articles(given))
                continue
            by_name: dict[str, list[Path]] = {}
            for p in files:
                by_name.setdefault(p.stem, []).append(p)
            candidates = []
            for name, group in by_name.items():
                yamls = [p for p in group if _kind(p) == "yaml"]
                texts = [p for p in group if _kind(p) == "text"]
                if len(yamls) > 1 or len(texts) > 1:
                    problems.append(
                        f"{given}: several files for article {name!r}: "
                        + ", ".join(p.name for p in group)
                    )
                    continue
                if yamls:
                    notes = tuple(
                        f"{yamls[0]} is the source of truth; {t} is not normalised again" for t in texts
                    )
                    candidates.append(Source(name, yamls[0], "yaml", _sidecar(yamls[0], name), notes))
                else:
                    candidates.append(Source(name, texts[0], "text", _sidecar(texts[0], name)))
        else:
            kind = _kind(given)
            if kind is None:
                problems.append(f"{given}: not an article (expected a .txt or .yaml file)")
                continue
            candidates = [Source(given.stem, given, kind, _sidecar(given, given.stem))]
        for source in candidates:
            if source.name in chosen and chosen[source.name].path.resolve() != source.path.resolve():
                problems.append(
                    f"{source.path}: another source is also named {source.name!r} "
                    f"({chosen[source.name].path}); editions would overwrite each other"
                )
                continue
            chosen.setdefault(source.name, source)
    if problems:
        raise SourceError(problems)
    return list(chosen.values())


def _missing(path: Path) -> str:
    """Why an article's name leads to no file: said, never skipped silently."""
    if path.is_symlink() and not path.exists():
        return f"{path}: broken symbolic link (its target {os.readlink(path)} does not exist)"
    if not path.exists():
        return f"{path}: no such file or directory"
    return f"{path}: not a regular file"


def _no_articles(folder: Path) -> str:
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    named = ", ".join(map(str, subfolders[:3])) + (", ..." if len(subfolders) > 3 else "")
    hint = f"; give them as SOURCE: {named}" if subfolders else ""
    return (f"{folder}: no articles here (expected *.txt or *.yaml files; subfolders are not "
            f"scanned{hint})")


def source_folder_of(out: Path, paths: list[Path]) -> Path | None:
    """The SOURCE folder that is also the output folder ``out``, if any. Refused: the build writes
    ``NAME.yaml`` beside ``NAME.txt`` there, and from then on the YAML is the source of truth, so
    later edits to the text would be ignored. A single file there is fine (it is named, so it is
    what is read), and so is an output folder inside a source folder (subfolders are not scanned)."""
    try:
        if not out.is_dir():
            return None
    except OSError:  # a name the file system refuses: the build says so when it makes the folder
        return None
    for path in paths:
        try:
            if path.is_dir() and os.path.samefile(path, out):
                return path
        except OSError:
            continue
    return None


def read_sidecar(path: Path) -> dict[str, Any]:
    """Metadata overrides from NAME.meta.yaml, validated against the schema's meta fields."""
    from pipeline.yamlio import DocumentError, parse

    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError([f"{path}: cannot read: {exc}"]) from None
    if not text.strip():
        return {}
    try:
        data = parse(text, str(path), definition="meta-override")
    except DocumentError as exc:
        raise SourceError(exc.problems) from None
    return data


def apply_meta(document: Document, overrides: dict[str, Any]) -> Document:
    """The document with metadata fields replaced (detected < sidecar < flags)."""
    if not overrides:
        return document
    merged = {**document.meta.to_dict(), **overrides}
    return replace(document, meta=Meta.from_dict(merged))


def load(source: Source, settings: Settings, lang: str | None = None,
         on_result: Callable[[Any], None] | None = None) -> tuple[Document, list[str]]:
    """The Document of a source and notes worth telling the user; SourceError on bad input.

    ``on_result`` receives the normaliser's Result (decisions, repairs) of a text source."""
    from pipeline.yamlio import DocumentError, load_document

    notes = list(source.notes)
    if source.kind == "yaml":
        try:
            document = load_document(source.path, settings.max_input_bytes)
        except DocumentError as exc:
            raise SourceError(exc.problems) from None
    else:
        result = _normalise_file(source.path, settings, lang)
        if on_result is not None:
            on_result(result)
        document = result.document
    if source.sidecar is not None:
        document = apply_meta(document, read_sidecar(source.sidecar))
    if lang:
        document = apply_meta(document, {"lang": lang})
    return document, notes


def _normalise_file(path: Path, settings: Settings, lang: str | None) -> Any:
    from pipeline.normalise import NormaliseError, normalise_bytes
    from pipeline.yamlio import DocumentError, read_limited

    try:
        data = read_limited(path, settings.max_input_bytes)
    except DocumentError as exc:
        raise SourceError(exc.problems) from None
    try:
        result = normalise_bytes(
            data, encoding=settings.encoding, lang=lang, quotes=settings.quotes,
            latin_punctuation=settings.latin_punctuation, max_bytes=settings.max_input_bytes, name=str(path),
            roles=settings.line_roles == "model",
        )
    except NormaliseError as exc:
        raise SourceError([f"{path}: {p}" for p in exc.problems]) from None
    return result
