"""The DOCX package: its parts and relationships, the content types, and the reproducible zip.

No template leftovers: python-docx's default template brings a thumbnail, a theme,
stylesWithEffects, webSettings, customXml, namespace declarations nothing uses and hundreds of
latent styles. The relationships to the unwanted parts are dropped, the story parts' namespaces
tidied, and the styles, numbering and settings parts replaced by ours. Reproducible: the package
is zipped once, with fixed entry times and attributes, [Content_Types].xml and _rels/.rels first,
so identical input gives identical bytes.
"""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

from pipeline.writers import FONT_DEFLATE

#: Template parts nobody asked for (dropped from the document part's relationships).
_DROP_DOCUMENT_RELS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme",
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/webSettings",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml",
)
_DROP_PACKAGE_RELS = ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",)


class _PackageMixin:
    """The :class:`~.builder._Builder` steps that drop, replace and tidy the template's parts.

    They use the builder's ``doc`` and the part writers ``styles_xml``, ``numbering_xml``
    (:mod:`.styles`) and ``settings_xml`` (:mod:`.properties`).
    """

    def _tidy_namespaces(self) -> None:
        """Drop the template's unused namespace declarations (Mac Word, Word 2010 ink, canvas ...)
        from the story parts; ``mc:Ignorable`` goes too when nothing uses what it names."""
        from docx.parts.document import DocumentPart
        from docx.parts.hdrftr import FooterPart, HeaderPart
        from lxml import etree

        mc = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Ignorable"
        for part in self.doc.part.package.iter_parts():
            if not isinstance(part, (DocumentPart, HeaderPart, FooterPart)):
                continue
            root = part.element
            ignorable = (root.get(mc) or "").split()
            used = set()
            for el in root.iter():
                for name in (el.tag, *el.attrib):
                    if isinstance(name, str) and name.startswith("{"):
                        used.add(name[1:].split("}")[0])
            keep = [p for p in ignorable if root.nsmap.get(p) in used]
            if keep:
                root.set(mc, " ".join(keep))
            elif mc in root.attrib:
                del root.attrib[mc]
            etree.cleanup_namespaces(root, keep_ns_prefixes=keep or None)

    def _replace_part_element(self, part: Any, xml: str) -> None:
        from docx.oxml.parser import parse_xml

        part._element = parse_xml(xml.encode("utf-8"))

    def _replace_styles(self) -> None:
        self._replace_part_element(self.doc.part._styles_part, self.styles_xml())

    def _replace_numbering(self) -> None:
        self._replace_part_element(self.doc.part.numbering_part, self.numbering_xml())

    def _replace_settings(self) -> None:
        self._replace_part_element(self.doc.part._settings_part, self.settings_xml())

    def _drop_template_parts(self) -> None:
        part = self.doc.part
        for rid, rel in list(part.rels.items()):
            if rel.reltype in _DROP_DOCUMENT_RELS:
                del part.rels[rid]
        pkg_rels = part.package.rels
        for rid, rel in list(pkg_rels.items()):
            if rel.reltype in _DROP_PACKAGE_RELS:
                del pkg_rels[rid]


# --------------------------------------------------------------------------- zip


def _zip_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    """ZIP can only say 1980..2107 in local-less DOS time; clamp to that."""
    epoch = max(315532800, min(epoch, 4354819199))
    t = time.gmtime(epoch)
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def _zip_package(doc: Any, epoch: int) -> bytes:
    """The package zipped once, reproducibly: fixed times and attributes, content types first.

    python-docx's own ``save`` deflates every part, and a reproducible zip needs another pass
    that deflates them again (the fonts twice: a fifth of a build); here its package writer's
    steps hand over the parts and only our zip compresses them. Should those private steps
    change, ``save`` and a rewrite still give the same bytes."""
    from docx.opc.pkgwriter import PackageWriter

    class Collect:
        def __init__(self) -> None:
            self.entries: list[tuple[str, bytes]] = []

        def write(self, uri: Any, blob: bytes) -> None:
            self.entries.append((uri.membername, blob))

    package = doc.part.package
    try:
        for part in package.parts:
            part.before_marshal()
        collect = Collect()
        PackageWriter._write_content_types_stream(collect, package.parts)
        PackageWriter._write_pkg_rels(collect, package.rels)
        PackageWriter._write_parts(collect, package.parts)
        entries = collect.entries
    except AttributeError:  # pragma: no cover - python-docx reorganised its writer
        raw = io.BytesIO()
        doc.save(raw)
        src = zipfile.ZipFile(raw)
        entries = [(name, src.read(name)) for name in src.namelist()]
    return _zip_entries(entries, epoch)


def _zip_entries(entries: list[tuple[str, bytes]], epoch: int) -> bytes:
    when = _zip_time(epoch)
    first = [e for n in ("[Content_Types].xml", "_rels/.rels") for e in entries if e[0] == n]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name, data in first + [e for e in entries if e not in first]:
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dst.writestr(info, data, compresslevel=FONT_DEFLATE if name.endswith(".odttf") else 6)
    return out.getvalue()
