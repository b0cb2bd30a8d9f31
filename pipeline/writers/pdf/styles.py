"""The type palette: ink colours, :class:`Style` (how a run of text is drawn) and the styles of the
edition's roles (body, title, headings, captions, running heads...), derived from the body size and
the document's faces."""

from __future__ import annotations

from dataclasses import dataclass

INK = (0.08, 0.08, 0.08)
GREY = (0.36, 0.36, 0.36)
LIGHT = (0.52, 0.52, 0.52)
ACCENT = (0.62, 0.11, 0.13)  # a restrained magazine red for rules


@dataclass(frozen=True)
class Style:
    """How a run of text is drawn: a registered reportlab font, a size and a colour."""

    font: str
    size: float
    color: tuple[float, float, float] = INK


class Palette:
    """The renderer's role styles (``st_body``, ``st_title``...), set once its faces are registered
    and its body size is known; a part of the renderer (:mod:`.document`)."""

    def _styles(self) -> None:
        f, sz = self.faces, self.size
        body, bold = self.font_of[id(f.body)], self.font_of[id(f.bold)]
        heading, caption = self.font_of[id(f.heading)], self.font_of[id(f.caption)]
        self.st_body = Style(body, sz, INK)
        self.st_bold = Style(bold, sz, INK)
        self.st_title = Style(heading, round(sz * 2.1, 1), INK)
        self.st_subtitle = Style(body, round(sz * 1.3, 1), GREY)
        self.st_byline = Style(caption, round(sz * 0.82, 1), GREY)
        self.st_h1 = Style(heading, round(sz * 1.36, 1), INK)
        self.st_h2 = Style(heading, round(sz * 1.14, 1), INK)
        self.st_epigraph = Style(caption, round(sz * 0.95, 2), GREY)
        self.st_caption = Style(caption, round(sz * 0.82, 1), (0.25, 0.25, 0.25))
        self.st_credit = Style(caption, round(sz * 0.72, 1), LIGHT)
        self.st_note = Style(caption, round(sz * 0.86, 1), GREY)
        self.st_quote = Style(body, sz, (0.2, 0.2, 0.2))
        self.st_attrib = Style(caption, round(sz * 0.86, 1), GREY)
        self.st_head = Style(caption, round(sz * 0.75, 1), LIGHT)
        self.st_folio = Style(caption, round(sz * 0.8, 1), GREY)
        self.face_by_font = {self.font_of[id(x)]: x for x in (f.caption, f.heading, f.bold, f.body)}
