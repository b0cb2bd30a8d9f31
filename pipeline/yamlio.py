"""Reading and writing the YAML form, with every problem reported at its line and column.

The YAML is edited by hand, so loading is strict and helpful: it reports *all* problems at once as
``file:line:col: path: message``; unknown keys, duplicate keys and alias bombs are errors, and only
PyYAML's SafeLoader machinery is used (``compose`` for positions), so no Python object can ever be
built from a document. Dumping is stable: the same Document always gives the same bytes, with CJK
written as characters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import Problems
from pipeline.model import FORMAT_VERSION, Document

#: How many times aliases may be expanded in one document (a "billion laughs" guard).
MAX_ALIAS_EXPANSIONS = 100
#: How many YAML nodes one document may expand to.
MAX_NODES = 2_000_000

Path_ = tuple[Any, ...]


class DocumentError(Problems):
    """A YAML document that cannot be loaded; ``problems`` has one formatted line per problem."""


@dataclass(frozen=True)
class _Pos:
    line: int
    col: int


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema of format 1, shipped in the package."""
    text = resources.files("pipeline").joinpath("schema/document-1.json").read_text("utf-8")
    return json.loads(text)


def schema_path() -> Path:
    return Path(str(resources.files("pipeline").joinpath("schema/document-1.json")))


def format_path(path: Path_) -> str:
    """``('blocks', 3, 'type')`` -> ``blocks[3].type``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(document)"


def _line_col(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


#: Characters no edition can carry (XML 1.0 forbids them); only the audit of dropped text may hold them.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class _Converter:
    """Turns a composed node tree into plain data, recording positions and refusing abuse."""

    def __init__(self, name: str):
        self.name = name
        self.positions: dict[Path_, _Pos] = {}
        self.key_positions: dict[Path_, _Pos] = {}
        self.problems: list[tuple[int, int, str]] = []
        self.seen: set[int] = set()
        self.aliases = 0
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")

    def problem(self, node: yaml.Node, path: Path_, message: str) -> None:
        mark = node.start_mark
        self.problems.append((mark.line + 1, mark.column + 1, f"{format_path(path)}: {message}"))

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes += 1
        if id(node) in self.seen and not isinstance(node, yaml.ScalarNode):
            self.aliases += 1
            if self.aliases > MAX_ALIAS_EXPANSIONS:
                raise _Abort(node, f"more than {MAX_ALIAS_EXPANSIONS} alias expansions (an alias bomb?)")
        if self.nodes > MAX_NODES:
            raise _Abort(node, f"more than {MAX_NODES} YAML nodes")
        self.seen.add(id(node))
        self.positions.setdefault(path, _Pos(node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode) and node.tag != "tag:yaml.org,2002:map":
            raise _Abort(node, f"tag {node.tag!r} is not allowed")
        if isinstance(node, yaml.SequenceNode) and node.tag != "tag:yaml.org,2002:seq":
            raise _Abort(node, f"tag {node.tag!r} is not allowed")
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            self.constructor.flatten_mapping(node)
            for key_node, value_node in node.value:
                key = self.convert(key_node, path + ("<key>",))
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    self.problem(key_node, path, f"key {key!r} must be a string")
                    continue
                if key in out:
                    self.problem(key_node, path + (key,), f"duplicate key {key!r}")
                    continue
                self.key_positions[path + (key,)] = _Pos(
                    key_node.start_mark.line + 1, key_node.start_mark.column + 1
                )
                out[key] = self.convert(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # dates stay the strings the editor wrote
        if node.tag not in _SCALAR_TAGS:
            self.problem(node, path, f"tag {node.tag!r} is not allowed")
            return node.value
        value = self.constructor.construct_object(node, deep=True)
        if isinstance(value, str) and path[:1] != ("dropped",):
            bad = _ILLEGAL.search(value)
            if bad:
                self.problem(node, path, f"control character U+{ord(bad.group()):04X} is not allowed "
                                         "in text (editions cannot print it)")
        return value


_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "merge")
)


class _Abort(Exception):
    def __init__(self, node: yaml.Node, message: str):
        super().__init__(message)
        self.node = node


def _error_location(conv: _Converter, path: Path_) -> _Pos:
    while path:
        if path in conv.positions:
            return conv.positions[path]
        path = path[:-1]
    return conv.positions.get((), _Pos(1, 1))


_PATTERN_WORDS = {
    "date": "an ISO 8601 date (e.g. 2020-03-26 or 2020-03-26T08:42)",
    "lang": "a BCP 47 language tag (e.g. zh-Hant, zh-Hans, en)",
}


_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?"
                       r"(?:[+-](\d{2}):?(\d{2})|Z)?)?)?)?", re.ASCII)


def date_problem(value: str) -> str | None:
    """Why a date the schema's pattern admits is not a real one (``2020-02-30``, ``T25:00``), or
    None. Editions print and record only real dates: the EPUB would leave an impossible one out."""
    import datetime as dt

    m = _ISO_DATE.fullmatch(value)
    if m is None:
        return None  # the pattern reports its shape
    year, month, day, hour, minute, second, off_h, off_m = (
        None if g is None else int(g) for g in m.groups())
    if year == 0:
        return "year 0000 is not in the calendar"
    if month is not None and not 1 <= month <= 12:
        return f"there is no month {month:02d}"
    if day is not None:
        try:
            dt.date(year, month, day)  # type: ignore[arg-type]
        except ValueError:
            return f"{year:04d}-{month:02d} has no day {day:02d}"
    for number, top, what in ((hour, 23, "hour"), (minute, 59, "minute"), (second, 59, "second"),
                              (off_h, 23, "time-zone offset hour"), (off_m, 59, "time-zone offset minute")):
        if number is not None and number > top:
            return f"there is no {what} {number:02d}"
    return None


def _validator(root: dict[str, Any]) -> Any:
    """A validator of ``root`` that also checks the ``calendar-date`` format (real dates)."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())

    @checker.checks("calendar-date", raises=ValueError)
    def _calendar_date(value: object) -> bool:
        problem = date_problem(value) if isinstance(value, str) else None
        if problem:
            raise ValueError(problem)
        return True

    return Draft202012Validator(root, format_checker=checker)


def _describe(error: Any) -> list[tuple[Path_, str, bool]]:
    """(path, message, at_key) for one jsonschema error, worded for people editing YAML."""
    path = tuple(error.absolute_path)
    v, inst, sch = error.validator, error.instance, error.schema
    if v == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        return [(path, f"{inst!r} is not one of {choices}", False)]
    if v == "const":
        return [(path, f"{inst!r} must be {error.validator_value!r}", False)]
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [(path, f"missing required key {missing!r}", False)]
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = list(sch.get("properties", {}))
        extra = [k for k in inst if k not in allowed]
        return [
            (path + (k,), f"unknown key {k!r} (allowed: {', '.join(allowed)})", True) for k in extra
        ]
    if v == "type":
        return [(path, f"{inst!r} is not of type {error.validator_value}", False)]
    if v == "pattern" and path and path[-1] in _PATTERN_WORDS:
        return [(path, f"{inst!r} is not {_PATTERN_WORDS[path[-1]]}", False)]
    if v == "format" and error.cause is not None:
        return [(path, f"{inst!r} is not a real date: {error.cause}", False)]
    if v == "minLength" and inst == "":
        return [(path, "must not be empty", False)]
    if v == "minItems":
        return [(path, "must not be empty", False)]
    return [(path, error.message, False)]


def parse(text: str, name: str = "<string>", definition: str | None = None) -> dict[str, Any]:
    """Parse and validate YAML text; return the plain data or raise DocumentError.

    ``definition`` validates against one of the schema's ``$defs`` instead of the whole document
    (``meta-override`` for metadata sidecars).
    """
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # its reader refuses unprintable characters right here
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise DocumentError([f"{where}: YAML syntax error: {exc.problem or exc.context}"]) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        raise DocumentError([
            f"{name}:{line}:{col}: character U+{exc.character:04X} is not allowed in YAML"
            if isinstance(exc.character, int) else f"{name}:{line}:{col}: {exc.reason}"
        ]) from None
    except (yaml.YAMLError, ValueError, OverflowError) as exc:  # e.g. an escape out of range
        if loader is None:
            raise DocumentError([f"{name}: YAML error: {exc}"]) from None
        mark = loader.get_mark()
        raise DocumentError([f"{name}:{mark.line + 1}:{mark.column + 1}: YAML error: {exc}"]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise DocumentError([f"{name}: empty document (expected a mapping with format, meta, blocks)"])
    conv = _Converter(name)
    try:
        data = conv.convert(node, ())
    except _Abort as exc:
        mark = exc.node.start_mark
        raise DocumentError([f"{name}:{mark.line + 1}:{mark.column + 1}: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise DocumentError([f"{name}: YAML error: {exc}"]) from None
    problems = sorted(conv.problems)
    if not isinstance(data, dict):
        raise DocumentError([f"{name}:1:1: (document): must be a mapping with format, meta, blocks"])
    fmt = data.get("format") if definition is None else None
    if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FORMAT_VERSION:
        pos = _error_location(conv, ("format",))
        raise DocumentError([
            f"{name}:{pos.line}:{pos.col}: format: format {fmt} is newer than this publish supports "
            f"({FORMAT_VERSION}); upgrade publish"
        ])
    found: list[tuple[int, int, str]] = []
    root = schema() if definition is None else {**schema(), "$ref": f"#/$defs/{definition}"}
    if definition is not None:
        root = {k: v for k, v in root.items() if k in ("$schema", "$id", "$defs", "$ref")}
    for error in _validator(root).iter_errors(data):
        for path, message, at_key in _describe(error):
            pos = conv.key_positions.get(path) if at_key else None
            pos = pos or _error_location(conv, path)
            found.append((pos.line, pos.col, f"{format_path(path)}: {message}"))
    problems += found
    if problems:
        unique = sorted(set(problems))
        raise DocumentError([f"{name}:{line}:{col}: {msg}" for line, col, msg in unique])
    return data


def validate_meta(overrides: dict[str, Any]) -> list[str]:
    """Problems with metadata given on the command line (``--meta``, ``--lang``), one per field."""
    root = {k: v for k, v in schema().items() if k in ("$schema", "$id", "$defs")}
    root["$ref"] = "#/$defs/meta-override"
    problems = []
    for error in _validator(root).iter_errors(overrides):
        for path, message, _ in _describe(error):
            problems.append(f"{format_path(('meta', *path))}: {message}")
    return sorted(problems)


def loads(text: str, name: str = "<string>") -> Document:
    return Document.from_dict(parse(text, name))


def read_limited(path: Path, max_bytes: int | None) -> bytes:
    """A file's bytes, refusing more than ``max_bytes`` without reading them all (a /dev/zero is safe)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(-1 if max_bytes is None else max_bytes + 1)
    except OSError as exc:
        raise DocumentError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    if max_bytes is not None and len(data) > max_bytes:
        try:
            size = path.stat().st_size if path.is_file() else 0
        except OSError:
            size = 0
        what = f"{size} bytes is more" if size > max_bytes else "more"
        raise DocumentError([
            f"{path}: {what} than the limit of {max_bytes} bytes "
            "(raise tool.publish.max-input-bytes to build it)"
        ])
    return data


def load_document(path: Path | str, max_bytes: int | None = None) -> Document:
    """Load, validate and build a Document from a YAML file; DocumentError lists every problem."""
    path = Path(path)
    raw = read_limited(path, max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError([f"{path}: not UTF-8 (byte {exc.start}); YAML documents are UTF-8"]) from None
    return loads(text, str(path))


class _Dumper(yaml.SafeDumper):
    """Block style, but short integer lists (``lines``) on one line."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = bool(data) and all(isinstance(x, int) and not isinstance(x, bool) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    """Plain where possible; double-quoted (escaped) for characters YAML would read differently."""
    if _SPECIAL.search(data):
        style: str | None = '"'
    else:
        style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)

HEADER = "# publish document, format 1 (schema: pipeline/schema/document-1.json)\n"


def dump_document(document: Document) -> str:
    """The YAML form of a document; stable, human-editable, CJK kept as characters."""
    body = yaml.dump(
        document.to_dict(),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=10_000,
        default_flow_style=False,
    )
    return HEADER + body
