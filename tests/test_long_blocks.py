"""Blocks taller than a page: a heading, title, caption, quotation or list item of thousands of
characters breaks across pages like a paragraph, every character reaches every edition, and
nothing is printed over the folio. The normaliser reads a 100,000-character line as text, never
as a title or heading."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from pipeline.model import Caption, Document, Heading, ListBlock, Meta, Paragraph, Quote
from pipeline.settings import Settings
from pipeline.writers import RenderOptions

MM = 72.0 / 25.4
OPTS = RenderOptions(source_date_epoch=1585267200, version="9.8.7")
WORDS = {"zh-Hant": "鹽田區委組織部堅持突出黨委領導核心作用", "en": "organisation department "}


def long_text(lang: str, n: int) -> str:
    word = WORDS[lang]
    return (word * (n // len(word) + 1))[:n].strip()


def document(kind: str, text: str, lang: str) -> Document:
    title = text if kind == "title" else "標題" if lang != "en" else "Title"
    blocks = {
        "title": (),
        "heading": (Heading(text),),
        "subheading": (Heading("短標題"), Heading(text, level=2)),
        "caption": (Caption(text, credit="本報攝"),),
        "quote": (Quote(text, attribution="某人"),),
        "list": (ListBlock((text, "第二項")),),
        "epigraph": (Heading("短標題"), Paragraph(text, role="epigraph")),
    }[kind]
    return Document(Meta(title=title, lang=lang),
                    (Paragraph("開頭的段落。"), *blocks, Paragraph("結尾的段落。")))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def frame_text(data: bytes) -> tuple[str, list[str]]:
    """(the text printed inside the type area of every page, the pages whose bottom margin holds
    anything but their folio): what a reader sees, not what lies off the page."""
    import pdfplumber

    s = Settings()
    top, bottom = s.margin_top * MM, s.margin_bottom * MM
    inside: list[str] = []
    overprinted: list[str] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            foot = []
            for ch in page.chars:
                if ch["top"] >= top - 2 and ch["bottom"] <= page.height - bottom + 2:
                    inside.append(ch["text"])
                elif ch["top"] > top:
                    foot.append(ch["text"])
            if "".join(foot) != str(page.page_number):
                overprinted.append(f"page {page.page_number}: {''.join(foot)[:40]!r}")
    return "".join(inside), overprinted


@pytest.mark.parametrize(("kind", "lang", "n"), [
    ("heading", "zh-Hant", 6000), ("heading", "en", 20000), ("subheading", "zh-Hant", 6000),
    ("title", "zh-Hant", 6000), ("title", "en", 12000), ("caption", "zh-Hant", 6000),
    ("quote", "zh-Hant", 6000), ("list", "zh-Hant", 6000), ("epigraph", "zh-Hant", 6000),
])
def test_a_block_taller_than_a_page_breaks_across_pages_and_loses_nothing(kind: str, lang: str,
                                                                         n: int) -> None:
    from pipeline.writers.pdf import PdfWriter

    text = long_text(lang, n)
    data = PdfWriter().render(document(kind, text, lang), OPTS)
    printed, overprinted = frame_text(data)
    assert overprinted == [], "text runs over the folio"
    printed = squash(printed)
    assert squash(text) in printed, f"{len(printed)} characters printed of a {n}-character {kind}"
    assert printed.endswith("結尾的段落。")


def test_a_heading_broken_across_pages_keeps_its_outline_entry() -> None:
    from pypdf import PdfReader

    from pipeline.writers.pdf import PdfWriter

    text = long_text("zh-Hant", 6000)
    reader = PdfReader(io.BytesIO(PdfWriter().render(document("heading", text, "zh-Hant"), OPTS)))
    assert [item.title for item in reader.outline] == [text]


@pytest.mark.parametrize("kind", ["title", "heading", "caption", "quote", "list"])
def test_docx_and_epub_keep_every_character_of_a_page_long_block(kind: str) -> None:
    from pipeline.writers.docx import DocxWriter
    from pipeline.writers.epub import EpubWriter

    text = long_text("zh-Hant", 6000)
    doc = document(kind, text, "zh-Hant")
    for writer, part in ((DocxWriter(), "word/document.xml"), (EpubWriter(), "EPUB/text.xhtml")):
        with zipfile.ZipFile(io.BytesIO(writer.render(doc, OPTS))) as z:
            names = [name for name in z.namelist() if name.endswith(part.rsplit("/", 1)[1])]
            if kind == "title":  # the title page, not the body
                names = [name for name in z.namelist() if name.endswith(("title.xhtml", "document.xml"))]
            body = squash(re.sub(r"<[^>]+>", "", "".join(z.read(name).decode() for name in names)))
        assert squash(text) in body, f"{writer.name}: the {kind} lost characters"


@pytest.mark.parametrize("line", [
    "鹽田區委組織部" * 15000,                      # Chinese, no punctuation
    ("organisation department " * 4200).strip(),    # English words, no full stop
    "a" * 100000,                                   # one "word"
])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_100k_character_line_is_a_paragraph_never_a_title_or_heading(line: str, where: str) -> None:
    from pipeline.normalise import normalise_text

    body = ["正文第一段，內容說明了鹽田區在疫情期間如何堅持黨委領導，並且加快復工復產。",
            "正文第二段，內容說明了鹽田區在疫情期間如何堅持黨委領導，並且加快復工復產。"]
    lines = {"first": [line, *body], "middle": ["鹽田四個堅持", body[0], line, body[1]],
             "last": ["鹽田四個堅持", *body, line]}[where]
    doc = normalise_text("\n\n".join(lines) + "\n", name="article.txt").document
    assert len(doc.meta.title) < 1000
    assert not any(isinstance(b, Heading) and len(b.text) > 1000 for b in doc.blocks)
    assert [b for b in doc.blocks if isinstance(b, Paragraph) and b.text == line], \
        [(type(b).__name__, len(b.text)) for b in doc.blocks]
