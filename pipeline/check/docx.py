"""DOCX packages: the parts and styles Word needs, well-formed and typed, every relationship
resolved (a dangling one and LibreOffice cannot open the file), East Asian language for CJK text."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

from pipeline.check.report import Report
from pipeline.check.zips import open_zip, parse_xml

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
DC = "{http://purl.org/dc/elements/1.1/}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
#: attributes in this namespace (``r:id``, ``r:embed``...) name a relationship of their part
R_ATTR = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
DOCX_REQUIRED = ("[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml",
                 "docProps/core.xml")
#: style names Word ships (``w:name``, compared case-insensitively) the editions rely on
DOCX_STYLES = ("Normal", "heading 1", "Title")
#: languages whose text Word lays out with the East Asian font slot and rules
CJK_LANGS = {"zh": "zh", "cmn": "zh", "yue": "zh", "lzh": "zh", "ja": "ja", "ko": "ko"}
_CJK_CHAR = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
                       "\U00020000-\U0003134f]")


def check_docx(path: Path, report: Report) -> None:
    """The parts Word needs, well-formed, typed; its styles; East Asian language for CJK text."""
    archive = open_zip(path, report, "DOCX")
    if archive is None:
        return
    with archive:
        names = set(archive.namelist())
        for part in DOCX_REQUIRED:
            if part not in names:
                report.problem(path, f"required part {part} is missing")
        parsed: dict[str, ElementTree.Element] = {}
        for name in sorted(names):
            if name.endswith((".xml", ".rels")):
                root = parse_xml(archive, name, path, report)
                if root is not None:
                    parsed[name] = root
        types = parsed.get("[Content_Types].xml")
        if types is not None:
            defaults = {(e.get("Extension") or "").lower() for e in types.iter(f"{CT}Default")}
            overrides = {(e.get("PartName") or "").lstrip("/") for e in types.iter(f"{CT}Override")}
            for name in sorted(names):
                if name.endswith("/") or name == "[Content_Types].xml":
                    continue
                if name not in overrides and name.rsplit(".", 1)[-1].lower() not in defaults:
                    report.problem(path, f"part {name} has no content type in [Content_Types].xml")
        _check_relationships(path, names, parsed, report)
        document = parsed.get("word/document.xml")
        text = ""
        if document is not None:
            text = "".join(t.text or "" for t in document.iter(f"{W}t"))
            if not text.strip():
                report.problem(path, "word/document.xml has no text")
        styles = parsed.get("word/styles.xml")
        if styles is not None:
            _check_docx_styles(path, styles, parsed.get("docProps/core.xml"), text, report)


def _check_relationships(path: Path, names: set[str], parsed: dict[str, ElementTree.Element],
                         report: Report) -> None:
    """Every internal target of every ``_rels/*.rels`` part is in the package, and every
    relationship a part names (``r:id``, ``r:embed``...) is one of its own."""
    import posixpath
    from urllib.parse import unquote

    ids: dict[str, set[str]] = {}
    for rels in sorted(n for n in parsed if n.endswith(".rels")):
        folder, _, file = rels.rpartition("_rels/")
        source = folder + file.removesuffix(".rels")  # "" for the package's own _rels/.rels
        if source and source not in names:
            report.problem(path, f"{rels} describes the relationships of {source}, which is not in "
                                 "the package")
        ids[source] = set()
        for rel in parsed[rels].iter(f"{REL}Relationship"):
            rid = rel.get("Id") or "?"
            ids[source].add(rid)
            if rel.get("TargetMode") == "External":
                continue
            target = unquote((rel.get("Target") or "").split("#", 1)[0])
            if target.startswith("/"):
                resolved = posixpath.normpath(target.lstrip("/"))
            else:
                resolved = posixpath.normpath(posixpath.join(folder.rstrip("/"), target))
            if not target or resolved not in names:
                report.problem(path, f"{rels}: relationship {rid} points to {resolved or '(nothing)'}, "
                                     "which is not in the package")
    for name, root in sorted(parsed.items()):
        if name.endswith(".rels") or name == "[Content_Types].xml":
            continue
        used = {v for e in root.iter() for k, v in e.attrib.items() if k.startswith(R_ATTR)}
        unknown = sorted(used - ids.get(name, set()), key=lambda r: (len(r), r))
        if unknown:
            folder, _, file = name.rpartition("/")
            rels = f"{folder}/_rels/{file}.rels" if folder else f"_rels/{file}.rels"
            report.problem(path, f"{name} refers to relationship{'s' if len(unknown) > 1 else ''} "
                                 f"{', '.join(unknown)}, which {rels} does not define")


def _check_docx_styles(path: Path, styles: ElementTree.Element, core: ElementTree.Element | None,
                       text: str, report: Report) -> None:
    have = set()
    for style in styles.iter(f"{W}style"):
        name = style.find(f"{W}name")
        if name is not None:
            have.add((name.get(f"{W}val") or "").casefold())
        have.add((style.get(f"{W}styleId") or "").casefold())
    for wanted in DOCX_STYLES:
        if wanted.casefold() not in have and wanted.replace(" ", "").casefold() not in have:
            report.problem(path, f"word/styles.xml has no {wanted!r} style")

    lang = ""
    if core is not None:
        element = core.find(f"{DC}language")
        lang = (element.text or "").strip() if element is not None else ""
    primary = lang.replace("_", "-").split("-")[0].lower()
    cjk = CJK_LANGS.get(primary) if lang else ("zh" if _CJK_CHAR.search(text) else None)
    if cjk is None:
        return
    east = [e.get(f"{W}eastAsia") for e in styles.iter(f"{W}lang") if e.get(f"{W}eastAsia")]
    if not east:
        report.problem(path, f"word/styles.xml sets no East Asian language (w:lang w:eastAsia) for "
                             f"{lang or 'CJK'} text; Word will not apply CJK line breaking and fonts")
        return
    wrong = sorted({e for e in east if CJK_LANGS.get(e.split("-")[0].lower()) != cjk})
    if wrong:
        report.problem(path, f"word/styles.xml sets East Asian language {', '.join(wrong)} for "
                             f"{lang or 'CJK'} text")
