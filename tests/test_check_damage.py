"""``publish check`` finds real damage: a DOCX relationship pointing at a part that is gone (the
file LibreOffice cannot open), a PDF whose cross-reference table or streams are broken (what
``qpdf --check`` rejects), with one problem line each and nothing from the PDF libraries leaking to
the terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import require_tool

from pipeline.check import check_paths
from pipeline.model import Document, Heading, Meta, Paragraph
from pipeline.writers import RenderOptions

PUBLISH = str(Path(sys.executable).parent / "publish")
DOC = Document(Meta(title="鹽田四個堅持", lang="zh-Hant"),
               (Heading("堅持突出黨委領導核心作用"),
                Paragraph("三月，經過新冠疫情大考的鹽田正在加快復甦。行走在山海鹽田，舉目四望，皆是一派生機和活力。" * 4)))
OPTS = RenderOptions(source_date_epoch=1585267200, version="9.8.7")


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    from pipeline.writers.pdf import PdfWriter

    return PdfWriter().render(DOC, OPTS)


@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    from pipeline.writers.docx import DocxWriter

    return DocxWriter().render(DOC, OPTS)


def rezip(data: bytes, path: Path, drop: str) -> Path:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            if info.filename != drop:
                dst.writestr(info, src.read(info))
    return path


def check(path: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([PUBLISH, "check", str(path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def no_pikepdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pikepdf", None)  # import pikepdf raises ImportError


# --------------------------------------------------------------------------- DOCX


def test_a_fresh_docx_passes(docx_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    path.write_bytes(docx_bytes)
    assert check_paths([path])[0] == []


def test_a_docx_whose_header_part_is_gone_fails(docx_bytes: bytes, tmp_path: Path) -> None:
    path = rezip(docx_bytes, tmp_path / "a.docx", "word/header1.xml")
    problems, _ = check_paths([path])
    assert problems == [f"{path}: word/_rels/document.xml.rels: relationship {rid} points to "
                        "word/header1.xml, which is not in the package"
                        for rid in re.findall(r"relationship (rId\d+) points", " ".join(problems))]
    assert len(problems) == 1


def test_a_docx_without_a_relationships_part_fails(docx_bytes: bytes, tmp_path: Path) -> None:
    path = rezip(docx_bytes, tmp_path / "a.docx", "word/_rels/document.xml.rels")
    problems, _ = check_paths([path])
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}: word/document.xml refers to relationships rId")
    assert problems[0].endswith("which word/_rels/document.xml.rels does not define")


def test_a_docx_whose_embedded_font_is_gone_fails(docx_bytes: bytes, tmp_path: Path) -> None:
    import io

    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as z:
        font = next(n for n in z.namelist() if n.startswith("word/fonts/"))
    path = rezip(docx_bytes, tmp_path / "a.docx", font)
    problems, _ = check_paths([path])
    assert any(p.endswith(f"points to {font}, which is not in the package") for p in problems), problems


def test_libreoffice_opens_what_check_passes_and_not_what_it_fails(docx_bytes: bytes, tmp_path: Path) -> None:
    soffice = require_tool("soffice", "libreoffice")
    good = tmp_path / "good.docx"
    good.write_bytes(docx_bytes)
    bad = rezip(docx_bytes, tmp_path / "bad.docx", "word/header1.xml")
    run = subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "lo"),
                          str(good), str(bad)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "HOME": str(tmp_path)})
    converted = {p.stem for p in (tmp_path / "lo").glob("*.pdf")}
    assert converted == {"good"}, run.stdout + run.stderr
    assert check_paths([good])[0] == [] and check_paths([bad])[0] != []


# --------------------------------------------------------------------------- PDF


def flip_xref_offset(data: bytes) -> bytes:
    """The PDF with one digit of the second cross-reference entry (object 1's offset) changed."""
    start = data.rindex(b"\nxref\n")
    entry = data.index(b" 00000 n", start) - 1  # the last digit of object 1's offset
    out = bytearray(data)
    out[entry] = ord("7") if out[entry] != ord("7") else ord("3")
    return bytes(out)


def flip_in_stream(data: bytes) -> bytes:
    """The PDF with the zlib header of its largest compressed stream (a font) changed."""
    starts = [m.end() for m in re.finditer(rb"(?<!end)stream\r?\n", data)]
    start = max(starts, key=lambda a: data.index(b"endstream", a) - a)
    out = bytearray(data)
    out[start] ^= 0x5A
    return bytes(out)


@pytest.mark.parametrize("damage", [flip_xref_offset, flip_in_stream])
def test_a_damaged_pdf_checked_alone_fails_and_nothing_leaks(damage, pdf_bytes: bytes, tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(damage(pdf_bytes))
    run = check(path)
    assert run.returncode == 1, run.stdout + run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert errors and all(line.startswith(f"error: {path}: damaged PDF structure: ") for line in errors)
    others = [line for line in run.stderr.splitlines() if not line.startswith("error: ")]
    assert all("has no outline" in line for line in others), others  # the only note: no YAML beside it


@pytest.mark.parametrize("damage", [flip_xref_offset, flip_in_stream])
def test_without_pikepdf_pypdf_finds_the_damage_and_says_qpdf_was_skipped(
        damage, pdf_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_pikepdf(monkeypatch)
    path = tmp_path / "x.pdf"
    path.write_bytes(damage(pdf_bytes))
    problems, notes = check_paths([path])
    assert problems and all(p.startswith(f"{path}: damaged PDF structure: pypdf: ") for p in problems)
    assert any("qpdf's check skipped (pikepdf is not installed" in n for n in notes), notes
    path.write_bytes(pdf_bytes)
    assert check_paths([path])[0] == []


def test_a_fresh_pdf_passes_with_and_without_pikepdf(pdf_bytes: bytes, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf_bytes)
    pytest.importorskip("pikepdf")
    problems, notes = check_paths([path])
    assert problems == [] and not any("skipped" in n for n in notes)
    no_pikepdf(monkeypatch)
    assert check_paths([path])[0] == []


def test_every_byte_flip_qpdf_rejects_is_a_problem(pdf_bytes: bytes, tmp_path: Path) -> None:
    """qpdf --check is the reference: whatever damage it sees, publish check sees too."""
    qpdf = require_tool("qpdf")
    pytest.importorskip("pikepdf")
    path = tmp_path / "x.pdf"
    missed, rejected = [], 0
    for at in range(0, len(pdf_bytes), 211):
        data = bytearray(pdf_bytes)
        data[at] ^= 0x5A
        path.write_bytes(bytes(data))
        if subprocess.run([qpdf, "--check", str(path)], capture_output=True).returncode == 0:
            continue
        rejected += 1
        if not check_paths([path])[0]:
            missed.append(at)
    assert rejected > 10
    assert missed == [], f"qpdf rejects, publish check passes: byte flips at {missed}"
