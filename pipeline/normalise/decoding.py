"""Bytes to text: strict UTF-8 first, then UTF-16/32 (BOM or NUL pattern), then GB18030 / Big5.

Short texts are ambiguous between the legacy CJK encodings, so each candidate decoding is checked
for plausibility (share of frequent Han characters); charset-normalizer is only imported, lazily,
when that check cannot decide.
"""

from __future__ import annotations

import codecs

from pipeline.normalise.errors import NormaliseError
from pipeline.normalise.lang import common_han_ratio

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

FAIL = "cannot decode as UTF-8, UTF-16, GB18030 or Big5; pass --encoding"


def _strip_bom(data: bytes) -> tuple[bytes, str | None]:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom):], name
    return data, None


def _nul_pattern(data: bytes) -> str | None:
    """UTF-16 without BOM: mostly-ASCII text has a NUL in every other byte."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:4096]
    even = sample[0::2]
    odd = sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.3 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.3 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


def _binary_error(data: bytes) -> NormaliseError:
    return NormaliseError([f"binary data (NUL bytes) at byte {data.index(0)}"])


def _plausible_utf16(data: bytes) -> str | None:
    """UTF-16 CJK text without BOM has no NULs; accept it only if it decodes to frequent Han text."""
    if len(data) < 8 or len(data) % 2:
        return None
    for name in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
            continue
        han, ratio = common_han_ratio(text)
        if han * 3 >= len(text) and ratio > 0.5:
            return name
    return None


def _score(text: str) -> float:
    """Plausibility of a CJK decoding: share of frequent Han characters, penalising odd symbols."""
    han, ratio = common_han_ratio(text)
    if not han:
        return 0.0
    odd = sum(1 for ch in text if 0xE000 <= ord(ch) <= 0xF8FF or 0x80 <= ord(ch) < 0xA0)
    return ratio - odd / max(1, len(text))


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding name). ``encoding`` forces one; binary or undecodable input raises."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise NormaliseError([f"unknown encoding {encoding!r}"]) from None
        if codec in ("utf-8", "utf-8-sig") and data.startswith(codecs.BOM_UTF8):
            data, codec = data[3:], "utf-8-sig"
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as exc:
            raise NormaliseError(
                [f"cannot decode as {encoding}: invalid bytes at byte {exc.start}"]) from None
    body, bom = _strip_bom(data)
    if bom:
        try:
            return body.decode(bom), bom
        except UnicodeDecodeError as exc:
            raise NormaliseError([f"cannot decode as {bom} (it has a byte-order mark): "
                                  f"invalid bytes at byte {exc.start + len(data) - len(body)}"]) from None
    wide = _nul_pattern(data)
    if wide:
        try:
            return data.decode(wide), wide
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        wide = _plausible_utf16(data)  # CJK UTF-16 has few NULs, in no regular pattern
        if wide:
            return data.decode(wide), wide
        raise _binary_error(data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    wide = _plausible_utf16(data)
    if wide:
        return data.decode(wide), wide
    candidates: list[tuple[float, str, str]] = []
    for name in ("gb18030", "big5"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        candidates.append((_score(text), name, text))
    if len(candidates) == 1 and candidates[0][0] > 0.3:
        return candidates[0][2], candidates[0][1]
    if len(candidates) == 2:
        candidates.sort(reverse=True)
        (best, name, text), (second, _, _) = candidates
        if best > 0.5 and best - second > 0.15:
            return text, name
        guess = _detector(data)
        if guess in ("gb18030", "big5"):
            return next((c[2], c[1]) for c in candidates if c[1] == guess)
        if best > 0.3:
            return text, name
    raise NormaliseError([FAIL])


def _detector(data: bytes) -> str | None:
    """charset-normalizer's guess, mapped onto our two legacy CJK codecs (None if it has none)."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - it is a dependency
        return None
    best = from_bytes(data, cp_isolation=["gb18030", "big5"]).best()
    if best is None:
        return None
    name = codecs.lookup(best.encoding).name
    return {"gb18030": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "big5": "big5",
            "big5hkscs": "big5", "cp950": "big5"}.get(name)
