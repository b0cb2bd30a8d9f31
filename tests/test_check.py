"""``publish check``: passes on fresh editions, and names the file and the problem on broken ones."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, require_tool

from pipeline.check import check_paths

PUBLISH = str(Path(sys.executable).parent / "publish")
EDITIONS = ("article.yaml", "article.pdf", "article.epub", "article.docx")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """outputs/ of the installed ``publish all`` on the project's article, built once per module."""
    project = tmp_path_factory.mktemp("project")
    (project / "source").mkdir()
    shutil.copy(ROOT / "source" / "article.txt", project / "source" / "article.txt")
    run = subprocess.run([PUBLISH, "all", "-j", "1"], cwd=project, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    return project / "outputs"


@pytest.fixture
def outputs(fresh: Path, tmp_path: Path) -> Path:
    """A copy of the fresh outputs to break."""
    return Path(shutil.copytree(fresh, tmp_path / "outputs"))


@pytest.fixture
def no_java(monkeypatch, tmp_path: Path) -> None:
    """No Java on PATH: EPUBCheck is skipped (a note), for tests about other checks (it takes seconds)."""
    (tmp_path / "no-java").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-java"))
    monkeypatch.delenv("JAVA_HOME", raising=False)


def rezip(path: Path, drop: str = "", change: dict[str, bytes] | None = None) -> None:
    """Rewrite a zip package without ``drop`` and with ``change``d members, keeping the rest as is."""
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as dst:
        for info, data in members:
            if info.filename != drop:
                dst.writestr(info, (change or {}).get(info.filename, data))


def refresh_sums(folder: Path) -> None:
    """Rewrite SHA256SUMS, so a test sees only the problem it made."""
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
             for p in sorted(folder.iterdir()) if p.suffix in (".yaml", ".pdf", ".epub", ".docx")]
    (folder / "SHA256SUMS").write_text("".join(lines))


def problems_about(problems: list[str], path: Path) -> list[str]:
    return [p for p in problems if p.startswith(f"{path}: ") or p.startswith(f"{path}:")]


# --------------------------------------------------------------------------- fresh editions


@pytest.mark.slow
def test_fresh_outputs_pass_every_check(fresh: Path) -> None:
    require_tool("java")
    problems, notes = check_paths([fresh])
    assert problems == []
    assert not any("skipped" in n for n in notes), notes


def test_without_java_epubcheck_is_skipped_with_a_note(fresh: Path, no_java) -> None:
    problems, notes = check_paths([fresh / "article.epub"])
    assert problems == []
    assert any(n.startswith("EPUBCheck skipped: Java not found") for n in notes), notes


def test_no_paths_means_the_outputs_folder(fresh: Path, monkeypatch, tmp_path: Path, no_java) -> None:
    shutil.copytree(fresh, tmp_path / "outputs")
    (tmp_path / "outputs" / "SHA256SUMS").write_text("0" * 64 + "  article.pdf\n")
    monkeypatch.chdir(tmp_path)
    problems, _ = check_paths([])
    assert any(p.startswith("outputs/SHA256SUMS: ") and "article.pdf does not match" in p for p in problems)


def test_an_empty_or_missing_folder_is_a_problem(tmp_path: Path) -> None:
    problems, _ = check_paths([tmp_path, tmp_path / "missing"])
    assert problems == [f"{tmp_path}: no editions to check (build them with `publish all`)",
                        f"{tmp_path / 'missing'}: no such file or directory"]


# --------------------------------------------------------------------------- EPUB


def test_a_truncated_epub_fails(outputs: Path) -> None:
    epub = outputs / "article.epub"
    data = epub.read_bytes()
    epub.write_bytes(data[: len(data) // 2])
    refresh_sums(outputs)
    problems, _ = check_paths([outputs])
    assert problems == [f"{epub}: not a complete zip archive (truncated or damaged EPUB)"]


@pytest.mark.slow
def test_epubcheck_errors_are_problems(outputs: Path) -> None:
    require_tool("java")
    epub = outputs / "article.epub"
    with zipfile.ZipFile(epub) as archive:
        opf = next(n for n in archive.namelist() if n.endswith(".opf"))
        text = archive.read(opf)
    rezip(epub, change={opf: text.replace(b"<dc:title", b"<dc:titel", 1).replace(b"</dc:title>", b"</dc:titel>", 1)})
    problems, _ = check_paths([epub])
    assert problems and all(p.startswith(f"{epub}: EPUBCheck ") for p in problems), problems
    assert any("ERROR" in p or "FATAL" in p for p in problems)


def test_an_epub_without_its_mimetype_first_fails(outputs: Path) -> None:
    epub = outputs / "article.epub"
    rezip(epub, drop="mimetype")
    problems, _ = check_paths([epub])
    assert problems == [f"{epub}: the first zip entry is not 'mimetype'"]


# --------------------------------------------------------------------------- PDF


def test_a_pdf_with_an_unembedded_font_fails(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "article.pdf"
    page = canvas.Canvas(str(pdf), invariant=1)
    page.setFont("Helvetica", 12)  # one of the standard 14: reportlab never embeds it
    page.drawString(72, 720, "Hello")
    page.showPage()
    page.save()
    problems, _ = check_paths([pdf])
    assert problems == [f"{pdf}: font Helvetica is not embedded (page 1); readers will substitute another font"]


def test_a_pdf_with_an_unembedded_cjk_cid_font_fails(tmp_path: Path) -> None:
    """A Type0 font is embedded only if its descendant CID font carries a font file."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # Adobe's CJK font, left to the reader
    pdf = tmp_path / "article.pdf"
    page = canvas.Canvas(str(pdf), invariant=1, initialFontName="STSong-Light")
    page.drawString(72, 720, "鹽田區")
    page.showPage()
    page.save()
    problems, _ = check_paths([pdf])
    assert problems == [f"{pdf}: font STSong-Light is not embedded (page 1); readers will substitute another font"]


def test_a_built_pdf_whose_font_files_are_stripped_fails(fresh: Path, tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=fresh / "article.pdf")
    stripped = set()
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if font["/Subtype"] == "/Type0":
                font = font["/DescendantFonts"][0].get_object()
            descriptor = font["/FontDescriptor"].get_object()
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in descriptor:
                    del descriptor[key]
                    stripped.add(str(font["/BaseFont"]).lstrip("/"))
    pdf = tmp_path / "article.pdf"
    writer.write(pdf)
    problems, _ = check_paths([pdf])
    assert stripped and len(problems) == len(stripped)
    for name in stripped:
        assert any(p.startswith(f"{pdf}: font {name} is not embedded (page") for p in problems), problems


def test_a_pdf_missing_its_outline_and_text_fails(tmp_path: Path) -> None:
    """The document beside it has headings, so the PDF needs bookmarks; its title must extract."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    (tmp_path / "doc.yaml").write_text(
        "format: 1\nmeta: {title: A Title, lang: en}\nblocks:\n"
        "- {type: heading, level: 1, text: Section}\n- {type: paragraph, text: Body.}\n", "utf-8")
    pdfmetrics.registerFont(TTFont("Vera", str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")))
    pdf = tmp_path / "doc.pdf"
    page = canvas.Canvas(str(pdf), invariant=1, initialFontName="Vera")  # embedded (a TrueType subset)
    page.setFont("Vera", 12)
    page.drawString(72, 720, "Section Body.")
    page.showPage()
    page.save()
    problems, _ = check_paths([pdf])
    assert problems == [
        f"{pdf}: has no outline (bookmarks), but its document has 1 heading(s)",
        f"{pdf}: the extracted text does not contain the title; text extraction is broken "
        "(check the fonts' ToUnicode maps)",
    ]


def test_a_file_that_is_not_a_pdf_fails(tmp_path: Path) -> None:
    pdf = tmp_path / "article.pdf"
    pdf.write_bytes(b"%PDF-1.7\nnot really\n")
    problems, _ = check_paths([pdf])
    assert len(problems) == 1 and problems[0].startswith(f"{pdf}: not a valid PDF")


# --------------------------------------------------------------------------- DOCX


def test_a_docx_with_a_missing_part_fails(outputs: Path) -> None:
    docx = outputs / "article.docx"
    rezip(docx, drop="word/styles.xml")
    problems, _ = check_paths([docx])
    assert f"{docx}: required part word/styles.xml is missing" in problems
    assert all(p.startswith(f"{docx}: ") for p in problems)


def test_a_docx_with_malformed_xml_fails(outputs: Path) -> None:
    docx = outputs / "article.docx"
    with zipfile.ZipFile(docx) as archive:
        body = archive.read("word/document.xml")
    rezip(docx, change={"word/document.xml": body[: len(body) // 2]})
    problems, _ = check_paths([docx])
    assert len(problems) == 1 and problems[0].startswith(f"{docx}: word/document.xml is not well-formed XML")


def test_a_chinese_docx_without_an_east_asian_language_fails(outputs: Path) -> None:
    docx = outputs / "article.docx"
    with zipfile.ZipFile(docx) as archive:
        styles = archive.read("word/styles.xml")
    assert b"w:eastAsia=" in styles
    rezip(docx, change={"word/styles.xml": re.sub(rb'\sw:eastAsia="[^"]*"', b"", styles)})
    problems, _ = check_paths([docx])
    assert len(problems) == 1 and "sets no East Asian language (w:lang w:eastAsia)" in problems[0]


def test_a_docx_without_the_heading_style_fails(outputs: Path) -> None:
    docx = outputs / "article.docx"
    with zipfile.ZipFile(docx) as archive:
        styles = archive.read("word/styles.xml")
    renamed = styles.replace(b'w:val="heading 1"', b'w:val="heading one"').replace(
        b'w:styleId="Heading1"', b'w:styleId="HeadingOne"')
    rezip(docx, change={"word/styles.xml": renamed})
    problems, _ = check_paths([docx])
    assert problems == [f"{docx}: word/styles.xml has no 'heading 1' style"]


# --------------------------------------------------------------------------- YAML and SHA256SUMS


def test_an_invalid_yaml_document_fails_at_its_line(outputs: Path) -> None:
    yaml_path = outputs / "article.yaml"
    yaml_path.write_text(yaml_path.read_text("utf-8").replace("type: paragraph", "type: paragraf", 1), "utf-8")
    problems, _ = check_paths([yaml_path])
    assert problems and all(p.startswith(f"{yaml_path}:") for p in problems)
    assert "paragraf" in problems[0]


def test_sums_that_do_not_match_fail(outputs: Path, no_java) -> None:
    yaml_path = outputs / "article.yaml"
    yaml_path.write_bytes(yaml_path.read_bytes() + b"\n")  # still a valid document, not the listed bytes
    problems, _ = check_paths([outputs])
    assert len(problems) == 1
    assert problems[0].startswith(f"{outputs / 'SHA256SUMS'}: line ")
    assert "article.yaml does not match its checksum" in problems[0]


def test_sums_must_list_every_edition_and_only_files_that_exist(outputs: Path) -> None:
    sums = outputs / "SHA256SUMS"
    lines = sums.read_text().splitlines()
    pdf_line = next(line for line in lines if line.endswith("  article.pdf"))
    sums.write_text("\n".join([line for line in lines if line != pdf_line]
                              + ["0" * 64 + "  gone.epub", "not a checksum line"]) + "\n")
    problems, _ = check_paths([sums])
    assert sorted(problems) == sorted([
        f"{sums}: line {len(lines)}: gone.epub is listed but missing",
        f"{sums}: line {len(lines) + 1}: not in sha256sum format (HASH, two spaces, NAME)",
        f"{sums}: article.pdf is not listed (rebuild to refresh SHA256SUMS)",
    ])


def test_sums_verify_with_gnu_sha256sum(fresh: Path) -> None:
    """Readers run ``sha256sum -c SHA256SUMS``; the file must work with it as written."""
    tool = require_tool("sha256sum")
    run = subprocess.run([tool, "--check", "--strict", "SHA256SUMS"], cwd=fresh, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(line.split(":")[0] for line in run.stdout.splitlines()) == sorted(EDITIONS)


# --------------------------------------------------------------------------- the command


def test_publish_check_exits_1_naming_each_problem(outputs: Path, tmp_path: Path) -> None:
    docx = outputs / "article.docx"
    rezip(docx, drop="word/styles.xml")
    refresh_sums(outputs)
    (tmp_path / "bin").mkdir()
    env = {**os.environ, "PATH": str(tmp_path / "bin")}  # no Java: EPUBCheck is skipped, for speed
    env.pop("JAVA_HOME", None)
    run = subprocess.run([PUBLISH, "check", str(outputs)], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{docx}: required part word/styles.xml is missing" in run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    docx.unlink()
    refresh_sums(outputs)
    run = subprocess.run([PUBLISH, "check", str(outputs)], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
