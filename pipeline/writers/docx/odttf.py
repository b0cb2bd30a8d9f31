"""Embedded-font obfuscation for WordprocessingML (ECMA-376 Part 1, §17.8.1).

A font embedded in a DOCX is stored as an "obfuscated" part (``word/fonts/fontN.odttf``): the
first 32 bytes of the font file are XORed with the 16 bytes of a GUID taken in reverse order of
its written form (the GUID ``{001B70DC-AA60-4AD5-90EC-18A0948E1EAE}`` gives the key
``AE 1E 8E 94 A0 18 EC 90 D5 4A 60 AA DC 70 1B 00``), once over bytes 0-15 and once over 16-31.
The GUID is stored in ``w:fontKey`` of the ``fontTable.xml`` entry. Applying the same XOR again
recovers the font, which is how Word and LibreOffice read it.

The GUID is derived from the font's SHA-256 so identical fonts always give identical files.
"""

from __future__ import annotations

import hashlib
import uuid


def font_guid(data: bytes) -> str:
    """A deterministic GUID for a font file, written the way ``w:fontKey`` wants it: ``{...}``."""
    digest = hashlib.sha256(b"publish/docx font key\0" + data).digest()
    return "{" + str(uuid.UUID(bytes=digest[:16], version=4)).upper() + "}"


def _key(guid: str) -> bytes:
    hexdigits = guid.strip("{}").replace("-", "")
    raw = bytes.fromhex(hexdigits)
    if len(raw) != 16:
        raise ValueError(f"not a GUID: {guid!r}")
    return raw[::-1]


def obfuscate(data: bytes, guid: str) -> bytes:
    """The font bytes with the first 32 XORed by the reversed GUID (its own inverse)."""
    if len(data) < 32:
        raise ValueError("a font file is at least 32 bytes long")
    key = _key(guid)
    head = bytes(b ^ key[i % 16] for i, b in enumerate(data[:32]))
    return head + data[32:]


#: De-obfuscation is the same XOR.
deobfuscate = obfuscate
