"""The document model: what the YAML form holds, as small frozen dataclasses.

Everything downstream (writers, checks) sees only these types, so the YAML form can be edited by
hand and still drive every edition. ``to_dict``/``from_dict`` map to and from the plain data of
the YAML form (format 1); validation against the JSON Schema happens in :mod:`pipeline.yamlio`,
``from_dict`` assumes valid data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Union

FORMAT_VERSION = 1

#: Why a piece of the source was left out of the article (``dropped[].reason``).
DROP_REASONS: tuple[str, ...] = (
    "markup-residue",
    "title-repeat",
    "share-widget",
    "related-list",
    "comment-widget",
    "navigation",
    "advertisement",
    "promotion",
    "copyright",
    "credit",
    "byline",
    "tags",
    "ticker",
    "control-character",
    "duplicate",
    "boilerplate",
)

#: Special roles a paragraph may play (``blocks[].role``).
PARAGRAPH_ROLES: tuple[str, ...] = ("epigraph", "lead", "signature", "note")

#: Metadata fields that hold one string each.
META_TEXT_FIELDS: tuple[str, ...] = (
    "subtitle",
    "author",
    "byline",
    "date",
    "publisher",
    "source",
    "identifier",
    "rights",
    "subject",
    "description",
    "editor",
)

Lines = tuple[int, ...]


def _lines(value: Any) -> Lines:
    return tuple(int(v) for v in (value or ()))


@dataclass(frozen=True, slots=True)
class Meta:
    """Article metadata. ``title`` lives only here; ``lines`` maps a field to its source lines."""

    title: str
    lang: str
    subtitle: str | None = None
    author: str | None = None
    byline: str | None = None
    date: str | None = None
    publisher: str | None = None
    source: str | None = None
    identifier: str | None = None
    rights: str | None = None
    subject: str | None = None
    description: str | None = None
    editor: str | None = None
    keywords: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    lines: dict[str, Lines] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "lang": self.lang}
        for name in META_TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.keywords:
            out["keywords"] = list(self.keywords)
        if self.credits:
            out["credits"] = list(self.credits)
        if self.lines:
            out["lines"] = {k: list(v) for k, v in self.lines.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Meta:
        return cls(
            title=data["title"],
            lang=data["lang"],
            **{name: data.get(name) for name in META_TEXT_FIELDS},
            keywords=tuple(data.get("keywords", ())),
            credits=tuple(data.get("credits", ())),
            lines={k: _lines(v) for k, v in (data.get("lines") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class Heading:
    """A section heading: level 1 = section, level 2 = sub-heading or deck."""

    type: ClassVar[str] = "heading"
    text: str
    level: int = 1
    lines: Lines = ()

    def to_dict(self) -> dict[str, Any]:
        return _with_lines({"type": self.type, "level": self.level, "text": self.text}, self.lines)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Heading:
        return cls(text=data["text"], level=int(data.get("level", 1)), lines=_lines(data.get("lines")))


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Body text. ``runin`` is a head printed bold before ``text``; ``role`` marks e.g. an epigraph."""

    type: ClassVar[str] = "paragraph"
    text: str
    runin: str | None = None
    role: str | None = None
    lines: Lines = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.role is not None:
            out["role"] = self.role
        if self.runin is not None:
            out["runin"] = self.runin
        out["text"] = self.text
        return _with_lines(out, self.lines)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paragraph:
        return cls(
            text=data["text"],
            runin=data.get("runin"),
            role=data.get("role"),
            lines=_lines(data.get("lines")),
        )


@dataclass(frozen=True, slots=True)
class Caption:
    """A photo caption; the photo itself is optional (``image``, a path relative to the YAML)."""

    type: ClassVar[str] = "caption"
    text: str
    credit: str | None = None
    image: str | None = None
    alt: str | None = None
    lines: Lines = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "text": self.text}
        for name in ("credit", "image", "alt"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return _with_lines(out, self.lines)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Caption:
        return cls(
            text=data["text"],
            credit=data.get("credit"),
            image=data.get("image"),
            alt=data.get("alt"),
            lines=_lines(data.get("lines")),
        )


@dataclass(frozen=True, slots=True)
class ListBlock:
    """A list of short items; ``ordered`` lists are numbered."""

    type: ClassVar[str] = "list"
    items: tuple[str, ...]
    ordered: bool = False
    lines: Lines = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.ordered:
            out["ordered"] = True
        out["items"] = list(self.items)
        return _with_lines(out, self.lines)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ListBlock:
        return cls(
            items=tuple(data["items"]),
            ordered=bool(data.get("ordered", False)),
            lines=_lines(data.get("lines")),
        )


@dataclass(frozen=True, slots=True)
class Quote:
    """A block quotation, optionally attributed."""

    type: ClassVar[str] = "quote"
    text: str
    attribution: str | None = None
    lines: Lines = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "text": self.text}
        if self.attribution is not None:
            out["attribution"] = self.attribution
        return _with_lines(out, self.lines)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quote:
        return cls(
            text=data["text"],
            attribution=data.get("attribution"),
            lines=_lines(data.get("lines")),
        )


Block = Union[Heading, Paragraph, Caption, ListBlock, Quote]  # noqa: UP007 - runtime alias on 3.10

#: Block classes by their ``type`` tag, in the order the schema lists them.
BLOCK_TYPES: dict[str, type[Block]] = {
    cls.type: cls for cls in (Heading, Paragraph, Caption, ListBlock, Quote)
}


@dataclass(frozen=True, slots=True)
class Dropped:
    """A source line left out of the article, with the reason, so nothing is lost silently."""

    line: int
    text: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dropped:
        return cls(line=int(data["line"]), text=data["text"], reason=data["reason"])


@dataclass(frozen=True, slots=True)
class Document:
    """One article: metadata, blocks in reading order, and what was dropped from the source."""

    meta: Meta
    blocks: tuple[Block, ...] = ()
    dropped: tuple[Dropped, ...] = ()
    format: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": self.format,
            "meta": self.meta.to_dict(),
            "blocks": [b.to_dict() for b in self.blocks],
        }
        if self.dropped:
            out["dropped"] = [d.to_dict() for d in self.dropped]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            meta=Meta.from_dict(data["meta"]),
            blocks=tuple(block_from_dict(b) for b in data.get("blocks") or ()),
            dropped=tuple(Dropped.from_dict(d) for d in data.get("dropped") or ()),
            format=int(data.get("format", FORMAT_VERSION)),
        )

    def texts(self) -> list[str]:
        """Every printable string of the document, title first: what fonts must cover."""
        out = [self.meta.title]
        out += [getattr(self.meta, n) or "" for n in ("subtitle", "author", "byline", "date")]
        out += [getattr(self.meta, n) or "" for n in ("publisher", "rights", "description")]
        out += list(self.meta.credits) + list(self.meta.keywords)
        for block in self.blocks:
            for f in fields(block):
                value = getattr(block, f.name)
                if isinstance(value, str) and f.name not in ("image", "role"):
                    out.append(value)
                elif f.name == "items":
                    out.extend(value)
        return [t for t in out if t]


def block_from_dict(data: dict[str, Any]) -> Block:
    try:
        cls = BLOCK_TYPES[data["type"]]
    except KeyError:
        raise ValueError(f"unknown block type {data.get('type')!r}") from None
    return cls.from_dict(data)


def _with_lines(out: dict[str, Any], lines: Lines) -> dict[str, Any]:
    if lines:
        out["lines"] = list(lines)
    return out
