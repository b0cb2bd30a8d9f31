"""The normaliser: any scraped article (bytes or text) becomes one clean, faithful Document.

Pipeline: :mod:`.decoding` (bytes → text) → :mod:`.clean` (line ends, controls, NFC) → :mod:`.units`
(lines → logical units, hard wraps joined) → :mod:`.structure` (title, meta, captions, headings,
lists, furniture), arbitrated by the line-role model (:mod:`.roles`) → :mod:`.punctuation` (Chinese
repairs) → :mod:`.smart` (typographic quotes, dashes and ellipses in Latin-script text) →
Document. Nothing is lost: every
character ends up in a block, in ``meta`` or in ``dropped``, up to whitespace and the repairs
listed in ``Result.repairs`` (what ``publish normalize --explain`` prints).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.model import Block, Caption, Document, Dropped, Heading, ListBlock, Meta, Paragraph
from pipeline.normalise.errors import NormaliseError

if TYPE_CHECKING:
    from pipeline.normalise.clean import Cleaned
    from pipeline.normalise.evidence import Analysis
    from pipeline.normalise.roles import RoleModel

__all__ = ["Decision", "NormaliseError", "Result", "decode", "normalise_bytes", "normalise_text"]


@dataclass
class Decision:
    """One line of the ``--explain`` audit: source line, its text, what was decided and by which rule."""

    line: int
    text: str
    decision: str
    rule: str
    #: the line-role model's reading of the line (role, probability, strongest features)
    model: str = ""


@dataclass
class Result:
    document: Document
    decisions: list[Decision]
    repairs: list[Decision]
    encoding: str


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding name): strict UTF-8, UTF-16/32 by BOM or NUL pattern, GB18030, Big5."""
    from pipeline.normalise.decoding import decode as _decode

    return _decode(data, encoding)


def normalise_bytes(data: bytes, *, encoding: str | None = None, lang: str | None = None,
                    quotes: str = "keep", max_bytes: int | None = None, name: str = "",
                    roles: RoleModel | bool = True, latin_punctuation: str = "smart") -> Result:
    """Decode and normalise raw bytes; NormaliseError for empty, oversized, binary or undecodable input."""
    if max_bytes is not None and len(data) > max_bytes:
        raise NormaliseError([f"input is {len(data)} bytes, more than the limit of {max_bytes}"])
    if not data:
        raise NormaliseError(["empty input"])
    text, used = decode(data, encoding)
    result = normalise_text(text, lang=lang, quotes=quotes, name=name, roles=roles,
                            latin_punctuation=latin_punctuation)
    result.encoding = used
    return result


def normalise_text(text: str, *, lang: str | None = None, quotes: str = "keep", name: str = "",
                   roles: RoleModel | bool = True, latin_punctuation: str = "smart") -> Result:
    """Normalise decoded text into a Document with the audit of every decision and repair.

    ``roles``: the line-role model that arbitrates the rules (True: the shipped one; False: the
    rules alone, as training measures them).
    """
    from pipeline.normalise import clean as cleanmod
    from pipeline.normalise import lang as langmod
    from pipeline.normalise import smart
    from pipeline.normalise.structure import classify
    from pipeline.normalise.units import build

    if quotes not in ("keep", "corner"):
        raise NormaliseError([f"unknown quote style {quotes!r} (keep or corner)"])
    if latin_punctuation not in ("smart", "keep"):
        raise NormaliseError([f"unknown latin punctuation {latin_punctuation!r} (smart or keep)"])
    if not text.strip():
        raise NormaliseError(["empty input"])
    cleaned = cleanmod.clean(text)
    units = build(cleaned.text)
    if not units:
        raise NormaliseError(["empty input"])
    guess = langmod.detect(cleaned.text)
    zh = (lang or guess).lower().startswith("zh")
    analysis = classify(units, zh)
    # typographic quotes, dashes, ellipses (.smart) in Latin-script text ("en" is detect's word for
    # it) not declared Chinese; the quotes follow --lang, else French or German common words
    latin = None
    if latin_punctuation == "smart" and guess == "en" and not zh:
        latin = lang or smart.guess_language(cleaned.text)
    result = _assemble(analysis, cleaned, lang=lang, quotes=quotes, name=name, latin=latin)
    if roles is not False:
        from pipeline.normalise import roles as rolemod

        model = rolemod.shipped() if roles is True else roles
        verdicts, sparse = rolemod.read(model, cleaned.text, result.document)
        if rolemod.arbitrate(analysis, verdicts, model, sparse):
            try:
                result = _assemble(analysis, cleaned, lang=lang, quotes=quotes, name=name, latin=latin)
            except NormaliseError:
                pass  # the model left nothing to print: the rules' reading stands
        for d in result.decisions:
            v = verdicts.get(d.line)
            if v is not None and not d.model:
                d.model = v.describe()
    return result


def _assemble(analysis: Analysis, cleaned: Cleaned, *, lang: str | None, quotes: str, name: str,
              latin: str | None) -> Result:
    """The Document the classified units make, with the audit (run again when the model changed
    units); ``latin``: the language whose typographic punctuation Latin-script text gets, if any."""
    from pipeline.normalise import clean as cleanmod
    from pipeline.normalise import lang as langmod
    from pipeline.normalise import punctuation as punct
    from pipeline.normalise import smart

    decisions: list[Decision] = []
    repairs: list[Decision] = [Decision(line, t, what, rule) for line, t, what, rule in cleaned.repairs]
    dropped: list[Dropped] = []
    for line, chars in cleaned.removed.items():
        dropped.append(Dropped(line=line, text=chars, reason="control-character"))
        decisions.append(Decision(line, cleanmod.describe(chars), "drop control-character",
                                  "XML-illegal control or zero-width character"))

    def repair(u_line: int, value: str, *, spaces: bool) -> str:
        rep = punct.Repairs()
        value = punct.repair_punctuation(value, rep)
        if spaces:
            value = punct.remove_inner_spaces(value, rep)
        if latin is not None:
            value = smart.smarten(value, latin, rep)
        if quotes == "corner":
            value = punct.corner_quotes(value, rep)
        for what, rule, ctx in rep.items:
            repairs.append(Decision(u_line, ctx, what, rule))
        return value

    blocks: list[Block] = []
    list_open = False  # the last kept block is a list that a list item may continue
    for u in analysis.units:
        label = u.kind
        if u.kind == "drop":
            dropped.append(Dropped(line=u.line, text=u.source, reason=u.reason))
            label = f"drop {u.reason}"
        elif u.kind == "meta":
            label = f"meta {u.reason}"
        elif u.kind == "title":
            label = "title"
        elif u.kind == "joined":
            label = "joined"
        elif u.kind == "heading":
            blocks.append(Heading(text=repair(u.line, u.text, spaces=False), level=u.level, lines=u.lines))
            label = f"heading {u.level}"
        elif u.kind == "caption":
            credit = repair(u.line, u.credit, spaces=False) if u.credit else None
            blocks.append(Caption(text=repair(u.line, u.text, spaces=True), credit=credit, lines=u.lines))
            label = "caption" + (" + credit" if u.credit else "")
        elif u.kind == "list":
            item = repair(u.line, u.text, spaces=True)
            last = blocks[-1] if blocks else None
            if isinstance(last, ListBlock) and last.ordered == u.ordered and list_open:
                blocks[-1] = ListBlock(items=last.items + (item,), ordered=u.ordered,
                                       lines=last.lines + u.lines)
            else:
                blocks.append(ListBlock(items=(item,), ordered=u.ordered, lines=u.lines))
            label = "list item"
            list_open = True
        elif u.kind == "paragraph":
            runin = repair(u.line, u.runin, spaces=True) if u.runin else None
            blocks.append(Paragraph(text=repair(u.line, u.text, spaces=True), runin=runin, role=u.role,
                                    lines=u.lines))
            label = "paragraph" + (f" {u.role}" if u.role else "") + (" runin" if u.runin else "")
        if u.kind in ("paragraph", "heading", "caption"):
            list_open = False
        for removed in u.removed if u.kind != "drop" else ():
            dropped.append(Dropped(line=u.line, text=removed, reason="markup-residue"))
        decisions.append(Decision(u.line, u.text, label, u.rule))

    if not blocks:
        raise NormaliseError(["no article text found"])

    fields: dict[str, object] = {}
    lines: dict[str, tuple[int, ...]] = {}
    if analysis.title is not None:
        title = repair(analysis.title.line, analysis.title.text, spaces=False)
        lines["title"] = analysis.title.lines
    else:
        title = Path(name).stem if name else _first_words(blocks)
        decisions.append(Decision(1, title, "title (made up)", "no title-like line before the body"))
    if analysis.bylines:
        fields["byline"] = "\n".join(b.raw for _, b in analysis.bylines)
        lines["byline"] = tuple(n for u, _ in analysis.bylines for n in u.lines)
        # an author named by "By …", 記者, 作者 wins over a bare name line guessed to be one
        explicit = sorted(analysis.bylines, key=lambda ub: not re.match(
            r"^[（(【〔\[]?\s*(?:by\b|文\s*[/／:：]|作者|撰文)|.*(?:記者|记者)", ub[1].raw, re.I))
        for key in ("date", "author", "source"):
            for u, b in (explicit if key == "author" else analysis.bylines):
                value = getattr(b, key)
                if value:
                    fields[key] = value
                    lines[key] = u.lines
                    break
    if analysis.credits:
        fields["credits"] = tuple(c for _, c, _ in analysis.credits)
        lines["credits"] = tuple(n for u, _, _ in analysis.credits for n in u.lines)
        for u, _, editor in analysis.credits:
            if editor:
                fields["editor"] = editor
                lines["editor"] = u.lines
                break
    if analysis.keywords:
        fields["keywords"] = tuple(dict.fromkeys(analysis.keywords))
    if latin is not None:  # the meta lines editions print are prose too
        for key in ("byline", "author", "source", "editor", "credits"):
            if key in fields:
                rep = punct.Repairs()
                value = fields[key]
                fields[key] = (tuple(smart.smarten(v, latin, rep) for v in value) if isinstance(value, tuple)
                               else smart.smarten(str(value), latin, rep))
                repairs.extend(Decision(lines[key][0], ctx, what, rule) for what, rule, ctx in rep.items)
    kept = " ".join([title] + [getattr(b, "text", "") or " ".join(getattr(b, "items", ())) for b in blocks])
    meta = Meta(title=title, lang=lang or langmod.detect(kept), lines=lines, **fields)  # type: ignore[arg-type]
    dropped.sort(key=lambda d: d.line)
    decisions.sort(key=lambda d: d.line)
    document = Document(meta=meta, blocks=tuple(blocks), dropped=tuple(dropped))
    return Result(document=document, decisions=decisions, repairs=repairs, encoding="str")


def _first_words(blocks: list[Block]) -> str:
    for b in blocks:
        text = getattr(b, "text", None)
        if text:
            return text[:30]
    return "Untitled"
