"""Styles of the DOCX edition: the style table, the languages, and styles.xml / numbering.xml.

Every paragraph and run of the body points at a style of :func:`_style_table` (Title, Subtitle,
Byline, Heading 1/2, Normal, Epigraph, Caption, Quote, List ...), so a change to how a kind of
block looks goes there. The styles carry the fonts in all four ``w:rFonts`` slots (python-docx's
``font.name`` never sets the East Asian one), the languages of :func:`word_languages` (Word wants
a region, and the Latin words of a Chinese article are English), first-line indents in
characters with a twips fallback (:class:`_Metrics`), justified text, ``w:kinsoku`` line-break
rules and CJK/Latin autospacing. pPr and rPr children are written in the schema's order
(:data:`_PPR_ORDER`, :data:`_RPR_ORDER`): Word rejects files that break it. The list bullet and
number formats are in numbering.xml, with one restarting ``w:num`` per ordered list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.writers import quoteattr

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# --------------------------------------------------------------------------- languages


def word_languages(tag: str) -> tuple[str, str | None]:
    """(``w:lang/@w:val``, ``w:lang/@w:eastAsia``) for a BCP 47 tag.

    Word wants a region: zh-Hant is zh-TW unless the tag names HK or MO, zh-Hans is zh-CN (zh-SG
    when said). In a Chinese article the Latin slot (``w:val``) holds English, which is what its
    Latin words are; an English article has no East Asian language.
    """
    parts = [p for p in tag.replace("_", "-").split("-") if p]
    primary = parts[0].lower() if parts else "und"
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    if primary in ("zh", "cmn", "yue", "lzh"):
        if script == "Hant" or (script is None and (region in ("TW", "HK", "MO") or primary == "yue")):
            east = {"HK": "zh-HK", "MO": "zh-MO"}.get(region or "", "zh-HK" if primary == "yue" else "zh-TW")
        else:
            east = "zh-SG" if region == "SG" else "zh-CN"
        return "en-US", east
    if primary == "ja":
        return "en-US", "ja-JP"
    if primary == "ko":
        return "en-US", "ko-KR"
    if primary == "en":
        return f"en-{region or 'US'}", None
    return (f"{primary}-{region}" if region else primary), None


def is_cjk_lang(tag: str) -> bool:
    return word_languages(tag)[1] is not None


# --------------------------------------------------------------------------- small XML helpers


def _attrs(values: dict[str, Any]) -> str:
    return "".join(f" w:{k}={quoteattr(str(v))}" for k, v in values.items() if v is not None)


def _el(name: str, values: dict[str, Any] | None = None) -> str:
    return f"<w:{name}{_attrs(values or {})}/>"


#: CT_PPrBase child order (ECMA-376 Part 1 §17.3.1.26); Word rejects files that break it.
_PPR_ORDER = (
    "keepNext", "keepLines", "pageBreakBefore", "widowControl", "numPr", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "adjustRightInd", "snapToGrid",
    "spacing", "ind", "contextualSpacing", "jc", "outlineLvl",
)
#: CT_RPr child order (§17.3.2.28), the part we use.
_RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "color", "kern", "sz", "szCs", "lang")


def _ppr(props: dict[str, Any]) -> str:
    unknown = set(props) - set(_PPR_ORDER)
    if unknown:  # a programming error, not a document problem
        raise ValueError(f"unknown pPr children {unknown}")
    return _properties("pPr", _PPR_ORDER, props)


def _rpr(props: dict[str, Any]) -> str:
    return _properties("rPr", _RPR_ORDER, props)


def _properties(tag: str, order: tuple[str, ...], props: dict[str, Any]) -> str:
    """``<w:pPr>``/``<w:rPr>`` with its children in schema order (Word rejects any other order)."""
    out = []
    for name in order:
        if name not in props:
            continue
        value = props[name]
        if name == "numPr":
            out.append(f'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="{int(value)}"/></w:numPr>')
        elif isinstance(value, dict):
            out.append(_el(name, value))
        elif value is True:
            out.append(_el(name))
        else:
            out.append(_el(name, {"val": value}))
    return f"<w:{tag}>{''.join(out)}</w:{tag}>" if out else ""


def _fonts(family: str) -> dict[str, str]:
    return {"ascii": family, "hAnsi": family, "eastAsia": family, "cs": family}


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Style:
    """One style of styles.xml; ``face`` is a FaceSet role whose font the style uses."""

    sid: str
    name: str
    kind: str = "paragraph"
    based_on: str | None = "Normal"
    next: str | None = None
    face: str = "body"
    size: float | None = None  # points
    color: str | None = None
    ppr: dict[str, Any] = field(default_factory=dict)
    custom: bool = False
    priority: int | None = None
    numbering: int | None = None


@dataclass(frozen=True)
class _Metrics:
    """Sizes in points and twips derived from the body size; chars = one body em."""

    body_pt: float
    cjk: bool

    @property
    def em(self) -> int:
        return round(self.body_pt * 20)

    def indent(self, chars: float) -> dict[str, Any]:
        """Left/first-line indent of ``chars`` body ems: Chars attributes for CJK, twips always."""
        return {"chars": round(chars * 100), "twips": round(chars * self.em)}

    def first_line(self, chars: float) -> dict[str, Any]:
        if not self.cjk:  # Western books indent about 1.5 em and have no character grid
            return {"firstLine": round(min(chars, 1.5) * self.em)} if chars else {"firstLine": 0}
        return {"firstLineChars": round(chars * 100), "firstLine": round(chars * self.em)}

    def no_first_line(self) -> dict[str, Any]:
        return {"firstLineChars": 0, "firstLine": 0} if self.cjk else {"firstLine": 0}

    def sides(self, left: float, right: float = 0.0) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cjk:
            out["leftChars"] = round(left * 100)
        out["left"] = round(left * self.em)
        if right:
            if self.cjk:
                out["rightChars"] = round(right * 100)
            out["right"] = round(right * self.em)
        return out

    def exact(self, size_pt: float, factor: float) -> dict[str, Any]:
        return {"line": round(size_pt * factor * 20), "lineRule": "exact"}


def _style_table(m: _Metrics) -> list[_Style]:
    """The styles every edition defines, in the order styles.xml lists them."""
    body = m.body_pt
    lead = 1.72 if m.cjk else 1.45  # CJK wants more air between lines than Latin
    auto = {"line": 240, "lineRule": "auto"}
    return [
        _Style("Normal", "Normal", based_on=None, size=body, priority=0, ppr={
            "widowControl": True, "kinsoku": True, "overflowPunct": True, "autoSpaceDE": True,
            "autoSpaceDN": True, "adjustRightInd": True, "snapToGrid": "0",
            "spacing": {"before": 0, "after": 0, **m.exact(body, lead)},
            "ind": m.first_line(2), "jc": "both"}),
        _Style("Title", "Title", next="Normal", face="heading", size=body * 2, priority=10, ppr={
            "keepNext": True, "keepLines": True, "spacing": {"before": 0, "after": 160, **auto},
            "ind": m.no_first_line(), "jc": "center"}),
        _Style("Subtitle", "Subtitle", next="Normal", face="caption", size=body * 1.15, priority=11,
               ppr={"keepNext": True, "keepLines": True, "spacing": {"before": 0, "after": 120, **auto},
                    "ind": m.no_first_line(), "jc": "center"}),
        _Style("Byline", "Byline", based_on="Subtitle", next="Normal", face="caption", size=body * 0.9,
               color="404040", custom=True, priority=11,
               ppr={"spacing": {"before": 0, "after": 480, **auto}}),
        _Style("Heading1", "heading 1", next="Normal", face="heading", size=body * 1.4, priority=9, ppr={
            "keepNext": True, "keepLines": True, "spacing": {"before": 480, "after": 160, **auto},
            "ind": m.no_first_line(), "jc": "left", "outlineLvl": 0}),
        _Style("Heading2", "heading 2", next="Normal", face="heading", size=body * 1.15, priority=9, ppr={
            "keepNext": True, "keepLines": True, "spacing": {"before": 320, "after": 120, **auto},
            "ind": m.no_first_line(), "jc": "left", "outlineLvl": 1}),
        _Style("Epigraph", "Epigraph", face="caption", size=body * 0.9, color="404040", custom=True,
               priority=29, ppr={"spacing": {"before": 120, "after": 360, **m.exact(body * 0.9, lead)},
                                 "ind": {**m.sides(4), **m.no_first_line()}}),
        _Style("Lead", "Lead", face="bold", custom=True, priority=29,
               ppr={"spacing": {"before": 0, "after": 160, **m.exact(body, lead)}}),
        _Style("Signature", "Signature", custom=False, priority=99, ppr={
            "spacing": {"before": 160, "after": 160, **m.exact(body, lead)},
            "ind": m.no_first_line(), "jc": "right"}),
        _Style("Note", "Note", face="caption", size=body * 0.85, custom=True, priority=29, ppr={
            "spacing": {"before": 160, "after": 0, **m.exact(body * 0.85, lead)},
            "ind": m.no_first_line()}),
        _Style("Quote", "Quote", next="Normal", priority=29, color="262626", ppr={
            "spacing": {"before": 160, "after": 160, **m.exact(body, lead)},
            "ind": {**m.sides(2, 2), **m.first_line(2)}}),
        _Style("QuoteAttribution", "Quote Attribution", based_on="Quote", next="Normal", face="caption",
               size=body * 0.9, custom=True, priority=29, ppr={
                   "keepLines": True, "spacing": {"before": 0, "after": 160},
                   "ind": m.no_first_line(), "jc": "right"}),
        _Style("List", "List", priority=99, ppr={
            "spacing": {"before": 0, "after": 0, **m.exact(body, lead)},
            "ind": {**m.sides(2), **m.no_first_line()}, "jc": "left"}),
        _Style("ListBullet", "List Bullet", based_on="List", priority=99, numbering=1),
        _Style("ListNumber", "List Number", based_on="List", priority=99, numbering=2),
        _Style("Figure", "Figure", next="Caption", custom=True, priority=29, ppr={
            "keepNext": True, "keepLines": True, "spacing": {"before": 240, "after": 80, **auto},
            "ind": m.no_first_line(), "jc": "center"}),
        _Style("Caption", "caption", next="Normal", face="caption", size=body * 0.82, color="262626",
               priority=35, ppr={"spacing": {"before": 80, "after": 320, **m.exact(body * 0.82, 1.6)},
                                 "ind": m.no_first_line(), "jc": "both"}),
        _Style("Header", "header", face="caption", size=body * 0.75, color="595959", priority=99, ppr={
            "spacing": {"before": 0, "after": 0, **auto}, "ind": m.no_first_line(), "jc": "center"}),
        _Style("Footer", "footer", face="caption", size=body * 0.75, color="595959", priority=99, ppr={
            "spacing": {"before": 0, "after": 0, **auto}, "ind": m.no_first_line(), "jc": "center"}),
        _Style("RuninHead", "Run-in Head", kind="character", based_on="DefaultParagraphFont",
               face="bold", custom=True, priority=21),
        _Style("Credit", "Credit", kind="character", based_on="DefaultParagraphFont", face="caption",
               color="595959", custom=True, priority=21),
    ]


class _StylesMixin:
    """The :class:`~.builder._Builder` steps that write styles.xml and numbering.xml.

    They use the builder's ``styles``, ``role_face``, ``metrics``, ``val_lang``, ``east_lang``
    and ``ordered_lists``, and name faces through ``_family`` (:mod:`.embedding`).
    """

    def _lang(self) -> dict[str, str]:
        out = {"val": self.val_lang}
        if self.east_lang:
            out["eastAsia"] = self.east_lang
        return out

    def _style_rpr(self, spec: _Style) -> str:
        face = self.role_face[spec.face]
        props: dict[str, Any] = {"rFonts": _fonts(self._family(face))}
        if face.weight >= 600:
            props["b"] = True
            props["bCs"] = True
        if spec.color:
            props["color"] = spec.color
        if spec.size:
            props["sz"] = round(spec.size * 2)
            props["szCs"] = round(spec.size * 2)
        props["lang"] = self._lang()
        return _rpr(props)

    def styles_xml(self) -> str:
        body = self.role_face["body"]
        size = round(self.metrics.body_pt * 2)
        defaults = _rpr({"rFonts": _fonts(self._family(body)), "kern": 0, "sz": size, "szCs": size,
                         "lang": self._lang()})
        out = [
            f'<w:styles xmlns:w="{W_NS}" xmlns:r="{R_NS}">',
            f"<w:docDefaults><w:rPrDefault>{defaults}</w:rPrDefault>"
            "<w:pPrDefault><w:pPr/></w:pPrDefault></w:docDefaults>",
            '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
            '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
            "<w:unhideWhenUsed/></w:style>",
        ]
        for spec in self.styles.values():
            attrs = f' w:type="{spec.kind}"'
            if spec.sid == "Normal":
                attrs += ' w:default="1"'
            if spec.custom:
                attrs += ' w:customStyle="1"'
            attrs += f" w:styleId={quoteattr(spec.sid)}"
            parts = [f"<w:name w:val={quoteattr(spec.name)}/>"]
            if spec.based_on:
                parts.append(f'<w:basedOn w:val="{spec.based_on}"/>')
            if spec.next:
                parts.append(f'<w:next w:val="{spec.next}"/>')
            if spec.priority is not None:
                parts.append(f'<w:uiPriority w:val="{spec.priority}"/>')
            parts.append("<w:qFormat/>")
            if spec.kind == "paragraph":
                ppr = dict(spec.ppr)
                if spec.numbering is not None:
                    ppr["numPr"] = spec.numbering
                parts.append(_ppr(ppr))
            parts.append(self._style_rpr(spec))
            out.append(f"<w:style{attrs}>{''.join(parts)}</w:style>")
        out.append("</w:styles>")
        return "".join(out)

    def numbering_xml(self) -> str:
        face = self.role_face["body"]
        bullet = next((c for c in ("\u2022", "\u30fb", "\u00b7", "-") if ord(c) in face.codepoints), "-")
        rpr = _rpr({"rFonts": _fonts(self._family(face))})
        m = self.metrics
        ind = _el("ind", {**m.sides(2), "hanging": 0})

        def abstract(num: int, fmt: str, text: str) -> str:
            return (
                f'<w:abstractNum w:abstractNumId="{num}"><w:multiLevelType w:val="singleLevel"/>'
                f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                f'<w:suff w:val="space"/><w:lvlText w:val={quoteattr(text)}/><w:lvlJc w:val="left"/>'
                f"<w:pPr>{ind}</w:pPr>{rpr}</w:lvl></w:abstractNum>"
            )

        out = [f'<w:numbering xmlns:w="{W_NS}">', abstract(0, "bullet", bullet),
               abstract(1, "decimal", "%1.")]
        out.append('<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>')
        out.append('<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>')
        for i in range(self.ordered_lists):
            out.append(
                f'<w:num w:numId="{3 + i}"><w:abstractNumId w:val="1"/>'
                '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
            )
        out.append("</w:numbering>")
        return "".join(out)
