"""The cover image: a PNG drawn with the book's own fonts, the title in the heading face on paper
with a vermilion rule, cached on disk with the font subsets.

The vertical edition sets the title in columns from the right, like a traditional book (when
Pillow has raqm); otherwise it is set in lines, broken greedily (by character in CJK, keeping
closing punctuation off line starts). :class:`_Pen` switches to a fallback face for characters
the main face lacks. Pillow is imported only when a cover is drawn.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pipeline.writers.epub.book import _Book, _display_date

if TYPE_CHECKING:  # pragma: no cover - typing only
    from pipeline.fonts import Face, FaceSet


_NO_LINE_START = set("，。、；：！？）」』》〉】〕…—・·,.;:!?)]}%\u201d\u2019\u30fc")
_NO_LINE_END = set("（「『《〈【〔([{\u201c\u2018")
_COVER_SIZE = (1200, 1800)
_INK, _PAPER, _RED, _GREY = (28, 28, 30), (246, 242, 233), (181, 40, 46), (95, 95, 100)


def _wrap(text: str, fits: Callable[[str], bool], cjk: bool) -> list[str]:
    """Greedy line breaking: by character for CJK (keeping closing punctuation off line
    starts), by word otherwise."""
    tokens = list(text) if cjk else re.findall(r"\S+\s*", text)
    lines: list[str] = []
    line = ""
    for tok in tokens:
        if not line or fits((line + tok).rstrip()):
            line += tok
            continue
        if cjk and tok in _NO_LINE_START and len(line) > 1:
            tok, line = line[-1] + tok, line[:-1]
        elif cjk and line[-1] in _NO_LINE_END and len(line) > 1:
            tok, line = line[-1] + tok, line[:-1]
        lines.append(line.rstrip())
        line = tok.lstrip() if not cjk else tok
    if line.strip():
        lines.append(line.rstrip())
    return lines


class _Pen:
    """Draws text in the book's faces, switching to a fallback face for characters the main face
    lacks (FaceSet.runs), so a title with a rare character is not drawn as tofu."""

    def __init__(self, draw, faceset: FaceSet):
        self.draw = draw
        self.faceset = faceset
        self._fonts: dict[tuple[str, int], object] = {}

    def font(self, face: Face, size: int):
        key = (face.sha256, size)
        if key not in self._fonts:
            from PIL import ImageFont

            self._fonts[key] = ImageFont.truetype(io.BytesIO(face.data), size)
        return self._fonts[key]

    def _args(self, ttb: bool) -> dict:
        return {"direction": "ttb", "features": ["vert"]} if ttb else {}

    def length(self, text: str, face: Face, size: int, ttb: bool = False) -> float:
        return sum(self.font(f, size).getlength(t, **self._args(ttb))
                   for f, t in self.faceset.runs(text, face))

    def text(self, xy: tuple[float, float], text: str, face: Face, size: int, fill, ttb: bool = False):
        x, y = xy
        for f, t in self.faceset.runs(text, face):
            font = self.font(f, size)
            if ttb:
                self.draw.text((x, y), t, font=font, fill=fill, anchor="mt", **self._args(True))
                y += font.getlength(t, **self._args(True))
            else:
                self.draw.text((x, y), t, font=font, fill=fill, anchor="ls")
                x += font.getlength(t)


def _cached_cover(book: _Book, faceset: FaceSet) -> bytes:
    """The cover PNG, made once per title, metadata, faces and mode (drawing it is a third of a
    warm EPUB build)."""
    import json

    from PIL import __version__ as pillow

    from pipeline.fonts import cached_artifact

    parts = [json.dumps(book.meta.to_dict(), sort_keys=True, ensure_ascii=False), book.lang,
             str(book.vertical), str(book.corner), pillow, book.options.version,
             *(face.sha256 for face in faceset.all_faces())]
    return cached_artifact("epub-cover-4", parts, lambda: _cover_png(book, faceset),
                           book.options.settings)


def _cover_png(book: _Book, faceset: FaceSet) -> bytes:
    """The cover: the title set in the book's heading face on paper, with a vermilion rule.

    The vertical edition sets the title in columns from the right, like a traditional book."""
    from PIL import Image, ImageDraw, features

    width, height = _COVER_SIZE
    img = Image.new("RGB", _COVER_SIZE, _PAPER)
    pen = _Pen(ImageDraw.Draw(img), faceset)
    meta = book.meta
    title = " ".join(book.text(meta.title).split()) or "—"
    cjk = book.family != "en"
    who = " ".join(book.text(meta.author or "").split())
    date = _display_date(book, meta.date) if meta.date else None
    pub = " ".join(book.text(" ".join(x for x in (meta.publisher or meta.source, date) if x)).split())
    heading, caption = faceset.heading, faceset.caption
    if book.vertical and cjk and features.check("raqm"):
        _cover_vertical(pen, faceset, title, who, pub)
    else:
        margin = 120
        box_w = width - 2 * margin
        size, lines = 132, [title]
        while size > 40:
            lines = _wrap(title, lambda s, n=size: pen.length(s, heading, n) <= box_w, cjk)
            if len(lines) * size * 1.35 <= height * 0.45:
                break
            size -= 8
        pen.draw.rectangle((margin, 300, margin + 160, 316), fill=_RED)
        y = 380 + size
        for line in lines[:12]:
            pen.text((margin, y), line, heading, size, _INK)
            y += int(size * 1.35)
        y += 40
        if meta.subtitle:
            subtitle = " ".join(book.text(meta.subtitle).split())
            for line in _wrap(subtitle, lambda s: pen.length(s, caption, 48) <= box_w, cjk)[:3]:
                pen.text((margin, y), line, caption, 48, _GREY)
                y += 68
        foot_lines = [line for text in (who, pub) if text
                      for line in _wrap(text, lambda s: pen.length(s, caption, 48) <= box_w, cjk)[:2]]
        foot = height - 110 - 72 * len(foot_lines)
        for line in foot_lines:
            foot += 72
            pen.text((margin, foot), line, caption, 48, _GREY)
    pen.draw.rectangle((0, height - 24, width, height), fill=_RED)
    out = io.BytesIO()
    # Three inks on paper: a palette of each ink's anti-aliasing ramp keeps the edges smooth in a
    # third of the bytes, and mapping to a known palette takes a fortieth of finding one. Rows of
    # one colour suit zlib's run-length strategy: half the time of the default, about 8 KB.
    img.quantize(palette=_cover_palette(), dither=Image.Dither.NONE).save(
        out, format="PNG", compress_level=9, compress_type=3)  # 3: Z_RLE
    return out.getvalue()


def _cover_palette() -> Any:
    """Paper, then ten steps from paper to each of ink, grey and vermilion (31 colours)."""
    from PIL import Image

    colours = [_PAPER] + [tuple(round(p + (c - p) * k / 10) for p, c in zip(_PAPER, ink, strict=True))
                          for ink in (_INK, _GREY, _RED) for k in range(1, 11)]
    flat = [v for colour in colours for v in colour]
    palette = Image.new("P", (1, 1))
    palette.putpalette(flat + flat[:3] * (256 - len(colours)))
    return palette


def _cover_vertical(pen: _Pen, faceset: FaceSet, title: str, who: str, pub: str) -> None:
    """Title in columns from the right edge (with the font's vertical forms), author beside it."""
    width, height = _COVER_SIZE
    top, bottom = 220, height - 260
    heading, caption = faceset.heading, faceset.caption
    size, cols = 128, [title]
    while size > 40:
        cols = _wrap(title, lambda s, n=size: pen.length(s, heading, n, ttb=True) <= bottom - top, True)
        if len(cols) * size * 1.4 <= width * 0.6:
            break
        size -= 8
    x = width - 170 - size // 2
    pen.draw.rectangle((width - 120, top, width - 106, top + 200), fill=_RED)
    for col in cols[:8]:
        pen.text((x, top), col, heading, size, _INK, ttb=True)
        x -= int(size * 1.4)
    x -= 40
    for text in (who, pub):
        for col in _wrap(text, lambda s: pen.length(s, caption, 46, ttb=True) <= bottom - top - 300,
                         True)[:2] if text else []:
            if x > 80:
                pen.text((x, top + 300), col, caption, 46, _GREY, ttb=True)
                x -= 80
