"""Character-level cleaning: line endings, NFC, XML-illegal controls and zero-width junk.

Nothing disappears silently: each removed character is reported per line so the caller can record
it in ``dropped`` (reason ``control-character``), and each change (NFC, cp1252 C1 repair) as a repair.
Bidi controls, ZWJ (emoji sequences), emoji and non-BMP characters are kept.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

#: C0 controls except tab/LF/CR, DEL, C1 controls, noncharacters U+FFFE/U+FFFF (XML-illegal or junk),
#: and invisible junk a scrape leaves: ZWSP, word joiner, BOM inside text, soft hyphen, Mongolian vowel
#: separator. Bidi controls and ZWJ/ZWNJ (emoji sequences, Persian) are kept.
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\u200b\u2060\ufeff\u00ad\u180e]")
_C1 = re.compile("[\x80-\x9f]")
#: whitespace that is not a line break (tabs, NBSP, ideographic space ...), collapsed inside lines.
_SPACES = re.compile(r"[^\S\n]+")


@dataclass
class Cleaned:
    """The cleaned text and what was changed, by 1-based line number."""

    text: str
    removed: dict[int, str] = field(default_factory=dict)  # line -> removed characters
    repairs: list[tuple[int, str, str, str]] = field(default_factory=list)  # (line, text, what, rule)


def _c1_fix(match: re.Match[str]) -> str:
    """A C1 control in decoded text is almost always a cp1252 byte decoded as Latin-1 (“ ” – …)."""
    ch = match.group(0)
    try:
        fixed = bytes([ord(ch)]).decode("cp1252")
    except UnicodeDecodeError:
        return ch
    return fixed


def clean(text: str) -> Cleaned:
    """Normalise line endings, repair cp1252 C1 quotes, strip controls/zero-width (recorded), NFC."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    out_lines: list[str] = []
    result = Cleaned("")
    for number, line in enumerate(text.split("\n"), start=1):
        if _C1.search(line):
            fixed = _C1.sub(_c1_fix, line)
            if fixed != line:
                result.repairs.append((number, fixed.strip()[:60], "C1 control → cp1252 character",
                                       "cp1252-c1"))
                line = fixed
        removed = "".join(_JUNK.findall(line))
        if removed:
            result.removed[number] = removed
            line = _JUNK.sub("", line)
        nfc = unicodedata.normalize("NFC", line)
        if nfc != line:
            result.repairs.append((number, nfc.strip()[:60], "NFC", "unicode-nfc"))
            line = nfc
        out_lines.append(line)
    result.text = "\n".join(out_lines)
    return result


def collapse_spaces(line: str) -> str:
    """Trim and collapse runs of spaces (incl. NBSP, U+3000, tabs) to one ASCII space."""
    return _SPACES.sub(" ", line).strip()


def describe(chars: str) -> str:
    """``U+200B ZERO WIDTH SPACE`` style names, for --explain."""
    names = []
    for ch in dict.fromkeys(chars):
        names.append(f"U+{ord(ch):04X} {unicodedata.name(ch, 'CONTROL')}")
    return ", ".join(names)
