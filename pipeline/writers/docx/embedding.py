"""Fonts embedded in the DOCX edition: which faces, under which names, in which parts.

The subset faces from :mod:`pipeline.fonts` are embedded as obfuscated ``word/fonts/fontN.odttf``
parts (ECMA-376 Part 1 §17.8.1, see :mod:`.odttf`) referenced from ``fontTable.xml``, so Word and
LibreOffice draw our faces where they are not installed. Each family gets a name of its own per
set of subsets (:func:`_plan_fonts` says why) and the names inside each font are rewritten to
match (:func:`_renamed_font`); the font table also describes every face (panose, charset,
signature) so that Word can pick a look-alike when embedding is refused.
"""

from __future__ import annotations

from typing import Any

from pipeline.writers import WriterError, quoteattr
from pipeline.writers.docx.odttf import font_guid, obfuscate
from pipeline.writers.docx.styles import R_NS, W_NS, word_languages

RT_FONT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
CT_OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
CT_FONT_TABLE = "application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"


class _EmbeddingMixin:
    """The :class:`~.builder._Builder` steps that name the embedded faces and write fontTable.xml.

    They use the builder's ``doc``, ``lang``, ``family_of`` and ``font_plan`` (made by
    :func:`_plan_fonts`).
    """

    def _family(self, face: Any) -> str:
        """The family name this document's styles and font table use for ``face``."""
        return self.family_of[face.sha256]

    def _embed_fonts(self) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        part = self.doc.part.part_related_by(RT.FONT_TABLE)
        package = part.package
        if part.content_type != CT_FONT_TABLE:  # pragma: no cover - template changed under us
            raise WriterError("docx writer: unexpected fontTable part in the python-docx template")
        entries = []
        n = 0
        for family, original, slots in self.font_plan:
            embeds = []
            for slot in ("Regular", "Bold", "Italic", "BoldItalic"):
                face = slots.get(slot)
                if face is None:
                    continue
                n += 1
                data = _renamed_font(face.data, family)  # bytes-level: cheaper than a cache read
                guid = font_guid(data)
                font_part = Part(PackURI(f"/word/fonts/font{n}.odttf"), CT_OBFUSCATED_FONT,
                                 obfuscate(data, guid), package)
                rid = part.relate_to(font_part, RT_FONT)
                embeds.append(f'<w:embed{slot} r:id="{rid}" w:fontKey="{guid}" w:subsetted="1"/>')
            first = next(iter(slots.values()))
            entries.append(
                f"<w:font w:name={quoteattr(family)}><w:altName w:val={quoteattr(original)}/>"
                f"{_font_description(first, self.lang)}{''.join(embeds)}</w:font>"
            )
        xml = (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            f'<w:fonts xmlns:w="{W_NS}" xmlns:r="{R_NS}">{"".join(entries)}</w:fonts>'
        )
        part._blob = xml.encode("utf-8")


def _slot(face: Any) -> str:
    slot = ("Bold" if face.weight >= 600 else "") + ("Italic" if face.style == "italic" else "")
    return slot or "Regular"


def _plan_fonts(faces: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """(family name in this document, the face's own family, {slot: Face}) for every face to embed.

    Each family gets a suffix made from its subsets' hashes ("Noto Serif TC 1a2b3c4d"): LibreOffice
    registers embedded fonts for the whole session under their family name and the first one wins,
    so two articles embedding different subsets of "Noto Serif TC" would draw the second with the
    first's glyphs (empty boxes). A unique name per subset set keeps every document on its own
    glyphs; ``w:altName`` still names the real family. Regular and bold of one family share the
    name so ``w:b`` pairs them. A face whose family and slot are taken by a different subset (a
    fallback cut from the same source) becomes a family of its own.
    """
    import hashlib

    groups: dict[str, dict[str, Any]] = {}
    extra: list[Any] = []
    for face in (faces.body, faces.bold, faces.heading, faces.caption, *faces.fallbacks):
        slots = groups.setdefault(face.family, {})
        have = slots.get(_slot(face))
        if have is None:
            slots[_slot(face)] = face
        elif have.sha256 != face.sha256:
            extra.append(face)
    plan = []
    for family, slots in groups.items():
        digest = hashlib.sha256("".join(sorted(f.sha256 for f in slots.values())).encode()).hexdigest()
        plan.append((f"{family} {digest[:8]}", family, slots))
    seen = {f.sha256 for _, _, slots in plan for f in slots.values()}
    for face in extra:
        if face.sha256 not in seen:
            seen.add(face.sha256)
            plan.append((f"{face.family} {face.sha256[:8]}", face.family, {_slot(face): face}))
    return plan


_RENAMED: dict[tuple[str, str], bytes] = {}


def _renamed_font(data: bytes, family: str) -> bytes:
    """The font with its family names (name IDs 1, 4, 16) set to ``family``: LibreOffice and Word
    match an embedded font by the names inside it. Timestamps are kept, so bytes are stable."""
    import hashlib

    from pipeline.fonts import sfnt as _sfnt

    key = (hashlib.sha256(data).hexdigest(), family)
    cached = _RENAMED.get(key)
    if cached is not None:
        return cached
    version, tables = _sfnt.split(data)
    sub = _sfnt.name(tables, 2) or "Regular"
    _sfnt.set_names(tables, {1: family, 2: sub, 4: family if sub == "Regular" else f"{family} {sub}"},
                    remove=(16, 17))
    result = _sfnt.join(version, tables)
    if len(_RENAMED) > 32:  # a batch reuses the same few subsets; keep memory bounded
        _RENAMED.clear()
    _RENAMED[key] = result
    return result


def _font_description(face: Any, lang: str) -> str:
    """panose1 / charset / family / pitch / sig for a face, read from its OS/2 table, so Word
    can pick a substitute that looks alike when embedding is refused."""
    from pipeline.fonts import os2_fields

    fields = os2_fields(face.data)
    panose = "00000000000000000000"
    sig = ""
    if fields is not None:
        panose = fields[0].hex().upper()
        (u0, u1, u2, u3), (c0, c1) = fields[1], fields[2]
        sig = (
            f'<w:sig w:usb0="{u0:08X}" w:usb1="{u1:08X}" w:usb2="{u2:08X}" w:usb3="{u3:08X}"'
            f' w:csb0="{c0:08X}" w:csb1="{c1:08X}"/>'
        )
    han = any(0x3400 <= cp <= 0x9FFF for cp in face.codepoints)
    _, east = word_languages(lang)
    charset = "00"
    if han:
        charset = "88" if east in ("zh-TW", "zh-HK", "zh-MO") else "86"
    family_kind = "swiss" if "sans" in face.family.lower() else "roman"
    return (
        f'<w:panose1 w:val="{panose}"/><w:charset w:val="{charset}"/>'
        f'<w:family w:val="{family_kind}"/><w:pitch w:val="variable"/>{sig}'
    )
