"""The stylesheet: one CSS file for the whole book, written as a string we control.

CJK-first typography (inter-character justification, strict line breaking, 2em indents), the
``@font-face`` rules of the faces :mod:`.typefaces` embedded, each stack ending in fonts readers
may have installed. The vertical edition (``writing_mode = "vertical-rl"``) gets the vertical
writing mode, margins on the physical sides of the logical start and end, and upright short
numbers (``.tcy``); the colophon stays horizontal (``html.horizontal``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pipeline.writers.epub.book import _Book
from pipeline.writers.epub.typefaces import _Fonts

if TYPE_CHECKING:  # pragma: no cover - typing only
    from pipeline.fonts import Face


# Installed families readers may have, tried when publisher fonts are off (or a glyph is missing).
_SERIF = {
    "zh-Hant": ('"Noto Serif TC"', '"Source Han Serif TC"', '"Songti TC"', '"PMingLiU"', '"MingLiU"'),
    "zh-Hans": ('"Noto Serif SC"', '"Source Han Serif SC"', '"Songti SC"', '"STSong"', '"SimSun"'),
    "ja": ('"Noto Serif JP"', '"Source Han Serif JP"', '"Hiragino Mincho ProN"', '"Yu Mincho"'),
    "ko": ('"Noto Serif KR"', '"Source Han Serif KR"', '"AppleMyungjo"', '"Batang"'),
    "en": ('"Noto Serif"', '"Charis SIL"', "Georgia", '"Times New Roman"'),
}
_SANS = {
    "zh-Hant": ('"Noto Sans TC"', '"Source Han Sans TC"', '"PingFang TC"', '"Microsoft JhengHei"'),
    "zh-Hans": ('"Noto Sans SC"', '"Source Han Sans SC"', '"PingFang SC"', '"Microsoft YaHei"'),
    "ja": ('"Noto Sans JP"', '"Source Han Sans JP"', '"Hiragino Sans"', '"Yu Gothic"'),
    "ko": ('"Noto Sans KR"', '"Source Han Sans KR"', '"Apple SD Gothic Neo"', '"Malgun Gothic"'),
    "en": ('"Noto Sans"', '"Helvetica Neue"', "Arial"),
}


def _css_family(face: Face) -> str:
    return '"' + face.ps_name.replace('"', "").replace("\\", "") + '"'


def _stack(fonts: _Fonts, roles: Iterable[str], system: tuple[str, ...], generic: str) -> str:
    names: list[str] = []
    for role in roles:
        face = fonts.faces.get(role)
        if face is not None and _css_family(face) not in names:
            names.append(_css_family(face))
    names += [_css_family(f) for f in fonts.fallbacks if _css_family(f) not in names]
    names += list(system)
    names.append(generic)
    return ", ".join(names)


def _stylesheet(book: _Book, fonts: _Fonts) -> str:
    """The book's CSS: CJK-first typography; vertical rules only in the vertical edition."""
    fam = book.family
    cjk = fam != "en"
    out: list[str] = ['@charset "UTF-8";', ""]
    seen: set[str] = set()
    for asset, face in fonts.embedded:
        family = _css_family(face)
        if (family, face.weight, face.style) in seen:
            continue
        seen.add((family, face.weight, face.style))
        fmt = "opentype" if asset.media_type == "font/otf" else "truetype"
        out.append(
            "@font-face {\n"
            f"  font-family: {family};\n"
            f'  src: url("../{asset.href}") format("{fmt}");\n'
            f"  font-weight: {face.weight};\n"
            f"  font-style: {face.style};\n"
            "}"
        )
    serif = _stack(fonts, ["body"], _SERIF[fam], "serif")
    sans_heading = _stack(fonts, ["heading"], _SANS[fam], "sans-serif")
    bold = _stack(fonts, ["bold", "heading"], _SANS[fam] if cjk else _SERIF[fam],
                  "sans-serif" if cjk else "serif")
    caption = _stack(fonts, ["caption"], _SANS[fam], "sans-serif")
    heading_face = fonts.faces.get("heading")
    heading_weight = heading_face.weight if heading_face is not None else 700
    bold_face = fonts.faces.get("bold") or heading_face
    bold_weight = bold_face.weight if bold_face is not None else 700
    indent = "2em" if cjk else "1.5em"
    line_height = "1.8" if cjk else "1.55"
    v = book.vertical
    mode_css = ("writing-mode: vertical-rl;\n  -epub-writing-mode: vertical-rl;\n"
                "  -webkit-writing-mode: vertical-rl;") if v else "writing-mode: horizontal-tb;"
    hyphens_css = "" if cjk else "hyphens: auto;\n  -epub-hyphens: auto;\n  -webkit-hyphens: auto;"
    # Physical sides of the logical start/end in this writing mode.
    start, end = ("top", "bottom") if v else ("left", "right")
    before, after = ("right", "left") if v else ("top", "bottom")
    out.append(f"""
html {{
  {mode_css}
}}
body {{
  font-family: {serif};
  font-weight: 400;
  line-height: {line_height};
  text-align: justify;
  {"text-justify: inter-character;" if cjk else ""}
  line-break: strict;
  -epub-line-break: strict;
  -webkit-line-break: strict;
  word-break: normal;
  overflow-wrap: break-word;
  {hyphens_css}
  margin: 0;
  padding: 0 0.5em;
}}
p {{
  margin: 0;
  text-indent: {indent};
  orphans: 2;
  widows: 2;
}}
{"" if cjk else "h1 + p, h2 + p, h3 + p, h4 + p, header + p, figure + p, blockquote + p, "
                "ul + p, ol + p { text-indent: 0; }"}
h1, h2, h3, h4 {{
  font-family: {sans_heading};
  font-weight: {heading_weight};
  line-height: 1.4;
  text-align: start;
  text-indent: 0;
  text-wrap: balance;
  hyphens: manual;
  page-break-after: avoid;
  break-after: avoid;
  page-break-inside: avoid;
  break-inside: avoid;
}}
h1 {{ font-size: 1.6em; margin-{before}: 0.5em; margin-{after}: 0.6em; }}
h2 {{ font-size: 1.3em; margin-{before}: 1.6em; margin-{after}: 0.6em; }}
h3 {{ font-size: 1.12em; margin-{before}: 1.2em; margin-{after}: 0.4em; }}
h4 {{ font-size: 1em; margin-{before}: 1em; margin-{after}: 0.3em; }}
header.article-head {{ margin-{after}: 1.2em; }}
header.article-head p {{ text-indent: 0; }}
p.subtitle {{ font-family: {sans_heading}; font-size: 1.1em; margin-{after}: 0.5em; }}
p.byline, p.dateline {{ font-family: {caption}; font-size: 0.85em; color: #555; }}
strong.runin {{
  font-family: {bold};
  font-weight: {bold_weight};
}}
p.epigraph {{
  font-family: {caption};
  font-size: 0.95em;
  text-indent: 0;
  margin-{start}: 4em;
  margin-{before}: 0.4em;
  margin-{after}: 0.9em;
  color: #3a3a3a;
}}
p.signature {{ text-align: end; text-indent: 0; margin-{before}: 0.6em; }}
p.note {{ font-size: 0.88em; text-indent: 0; margin-{before}: 0.6em; color: #444; }}
figure {{
  margin: 1.2em 0;
  page-break-inside: avoid;
  break-inside: avoid;
}}
figure img {{
  display: block;
  margin: 0 auto 0.5em auto;
  max-width: 100%;
  max-height: 90vh;
  height: auto;
}}
figcaption {{
  font-family: {caption};
  font-size: 0.85em;
  line-height: 1.6;
  text-align: justify;
  text-indent: 0;
  color: #444;
  padding-{start}: 0.8em;
  border-{start}: 0.2em solid #b5282e;
}}
small.credit {{
  display: block;
  font-size: 0.9em;
  text-align: end;
  color: #666;
}}
figure.quote {{ margin: 1em 2em; }}
figure.quote blockquote {{ margin: 0; }}
figure.quote blockquote p {{ text-indent: 0; }}
figure.quote figcaption {{ border: none; padding: 0; text-align: end; }}
blockquote {{ margin: 1em 2em; }}
ul, ol {{ margin: 0.6em 0; padding-{start}: 2.5em; }}
li {{ margin: 0.15em 0;{"" if cjk else " text-align: start;"} }}
.tcy {{
  text-combine-upright: all;
  -epub-text-combine: horizontal;
  -webkit-text-combine: horizontal;
}}
section.titlepage {{
  text-align: center;
  padding-{before}: 18%;
}}
section.titlepage h1 {{ font-size: 1.9em; text-align: center; margin-{after}: 1em; }}
section.titlepage p {{ text-indent: 0; text-align: center; margin: 0.3em 0; }}
section.titlepage p.publisher {{ font-family: {caption}; margin-{before}: 3em; }}
section.titlepage p.rights, section.titlepage p.credits {{
  font-family: {caption};
  font-size: 0.8em;
  color: #555;
}}
body.cover {{ margin: 0; padding: 0; text-align: center; }}
body.cover img {{ max-width: 100%; max-height: 100vh; height: auto; }}
nav ol {{ list-style: none; padding-{start}: 0; margin: 0; }}
nav ol ol {{ padding-{start}: 1.5em; }}
nav li {{ margin: 0.3em 0; }}
nav a {{ text-decoration: none; color: inherit; }}
nav h2 {{ margin-{before}: 0.5em; }}
nav#landmarks {{ display: none; }}
html.horizontal {{
  writing-mode: horizontal-tb;
  -epub-writing-mode: horizontal-tb;
  -webkit-writing-mode: horizontal-tb;
}}
section.colophon {{ font-family: {caption}; font-size: 0.85em; }}
section.colophon h2 {{ margin-top: 0.5em; }}
section.colophon p {{ text-indent: 0; text-align: left; margin: 0.5em 0; }}
pre.licence {{
  font-family: {caption};
  font-size: 0.8em;
  line-height: 1.45;
  white-space: pre-wrap;
  overflow-wrap: break-word;
}}
""")
    return "\n".join(line.rstrip() for line in "\n".join(out).splitlines() if line.strip()) + "\n"
