"""Chinese text repair: half-width punctuation in Chinese context, ellipses, dashes, stray spaces, quotes.

"Chinese context" (issue 4): a mark between Han characters, CJK punctuation or curly quotes, with a
Han character on at least one side. English text, numbers (``20:02``, ``1,000``) and URLs are left
alone. Every change is returned so ``--explain`` can list it.
"""

from __future__ import annotations

import re

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
#: CJK punctuation and full-width forms (、。「」《》，：… etc.)
CJK_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2026\u2014\ufe30-\ufe4f"
CURLY = r"\u201c\u201d\u2018\u2019"
_CTX = f"[{HAN}{CJK_PUNCT}{CURLY}]"
_HAN_RE = f"[{HAN}]"
_HAN_ANY = re.compile(_HAN_RE)

FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}

# a mark with a Han character on one side is Chinese punctuation, whatever is on the other side
# (``显示,5月份``, ``0.2%,农村``), except a Latin word after a space (``中文, English``); one space
# after the mark is swallowed (a scrape often puts one there).
_MARK_LEFT = re.compile(f"(?<={_HAN_RE})([,:;?!])(?: (?={_HAN_RE})|(?! [A-Za-z]))")
_MARK_RIGHT = re.compile(f"(?<=[^\\s])([,:;?!])(?= ?{_HAN_RE})")
_ELLIPSIS = re.compile(f"(?<={_CTX})\\.{{3,6}}|\\.{{3,6}}(?={_CTX})")
_DASH = re.compile(f"(?<={_CTX})-{{2,3}}|-{{2,3}}(?={_HAN_RE})")
_INNER_SPACE = re.compile(f"(?<={_CTX}) +(?={_CTX})")


#: URLs, HTML entities and tags: never repaired (``?a=b``, ``&amp;``, ``<a href=x>``)
_PROTECT = re.compile(r"(?:https?|ftp)://[^\s\u3000-\u303f\uff01-\uff5e]+|www\.[^\s\u3000-\u303f\uff01-\uff5e]+"
                      r"|&(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});|</?[A-Za-z][^<>]{0,200}>")


class Repairs:
    """Collects ``(what, rule, context)`` triples for one text."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def add(self, what: str, rule: str, context: str) -> None:
        self.items.append((what, rule, context))


def _ctx(text: str, start: int, end: int) -> str:
    return text[max(0, start - 6): end + 6]


def _parens(text: str, rep: Repairs) -> str:
    """Turn a () pair to （） when the pair touches or contains Han text."""
    out = list(text)
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            j = stack.pop()
            inner = text[j + 1: i]
            before = text[j - 1] if j else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            han_inside = _HAN_ANY.search(inner) is not None
            han_outside = _HAN_ANY.match(before) is not None or _HAN_ANY.match(after) is not None
            if han_inside or han_outside:
                if "://" in inner:
                    continue
                out[j], out[i] = "（", "）"
                rep.add("() → （）", "cjk-parentheses", _ctx(text, j, i + 1))
    return "".join(out)


def repair_punctuation(text: str, rep: Repairs) -> str:
    """ASCII , : ; ? ! ( ) ... -- in Chinese context to their full-width forms."""
    if not _HAN_ANY.search(text) or "\x00" in text:
        return text

    def mark(m: re.Match[str]) -> str:
        ch = m.group(1)
        rep.add(f"{ch!r} → {FULL[ch]!r}", "cjk-punctuation", _ctx(m.string, m.start(), m.end()))
        return FULL[ch]

    # URLs are masked so ``http://`` or ``?a=b`` inside them never change
    urls: list[str] = []

    def mask(m: re.Match[str]) -> str:
        urls.append(m.group(0))
        return f"\x00{len(urls) - 1}\x00"

    text = _PROTECT.sub(mask, text)
    for _ in range(2):  # runs like ",," and "?!" need a second pass
        text = _MARK_LEFT.sub(mark, text)
        text = _MARK_RIGHT.sub(mark, text)
    if "(" in text:
        text = _parens(text, rep)

    def ellipsis(m: re.Match[str]) -> str:
        rep.add(f"{m.group(0)!r} → '……'", "cjk-ellipsis", _ctx(m.string, m.start(), m.end()))
        return "……"

    text = _ELLIPSIS.sub(ellipsis, text)

    def dash(m: re.Match[str]) -> str:
        rep.add(f"{m.group(0)!r} → '——'", "cjk-dash", _ctx(m.string, m.start(), m.end()))
        return "——"

    text = _DASH.sub(dash, text)
    return re.sub("\x00(\\d+)\x00", lambda m: urls[int(m.group(1))], text)


def remove_inner_spaces(text: str, rep: Repairs) -> str:
    """Spaces between two Chinese characters/marks are scrape damage inside a sentence: remove them."""

    def sub(m: re.Match[str]) -> str:
        rep.add("space removed", "cjk-inner-space", _ctx(m.string, m.start(), m.end()))
        return ""

    return _INNER_SPACE.sub(sub, text)


_SINGLE = re.compile("\u2018(?=[^\u2019]*\u2019)[^\u2019]*\u2019")


def corner_quotes(text: str, rep: Repairs) -> str:
    """“”→「」 always; ‘’→『』 only for a pair holding Han text (so English apostrophes stay)."""
    if not _HAN_ANY.search(text):
        return text
    out = text
    if "\u201c" in out or "\u201d" in out:
        n = out.count("\u201c") + out.count("\u201d")
        out = out.replace("\u201c", "「").replace("\u201d", "」")
        rep.add(f"“” → 「」 ({n})", "corner-quotes", text[:12])

    def single(m: re.Match[str]) -> str:
        inner = m.group(0)
        if not _HAN_ANY.search(inner):
            return inner
        rep.add("‘’ → 『』", "corner-quotes", inner[:14])
        return "『" + inner[1:-1] + "』"

    return _SINGLE.sub(single, out)
