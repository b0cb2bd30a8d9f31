"""One image check decides for every writer: a truncated JPEG, a 30000×30000 PNG, garbage behind a
PNG header, a FIFO or a file outside the document's folder is left out of the PDF, the EPUB and the
DOCX alike, with one warning per image, before anything renders; a good image is in all three."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from conftest import require_java

from pipeline.model import Caption, Document, Meta, Paragraph
from pipeline.writers import RenderOptions

PUBLISH = str(Path(sys.executable).parent / "publish")
BAD = {
    "truncated.jpg": "is not an image Pillow can read (image file is truncated",
    "huge.png": "pixels (a decompression bomb?)",
    "fake.png": "is not an image Pillow can read (no format it knows)",
    "fifo.png": "is not a regular file",
    "../outside.png": "lies outside ",
    "missing.png": "cannot be read (No such file or directory)",
    "photo.bmp": "is a BMP image; editions take PNG, JPEG or GIF",
}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_images(folder: Path) -> None:
    """good.png and one file of every kind the check refuses, in ``folder``."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 32), (200, 30, 30)).save(folder / "good.png")
    Image.new("RGB", (8, 8)).save(folder / "photo.bmp")
    Image.new("RGB", (8, 8)).save(folder.parent / "outside.png")
    jpeg = io.BytesIO()
    Image.effect_noise((256, 256), 50).convert("RGB").save(jpeg, "JPEG")
    (folder / "truncated.jpg").write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 2])
    (folder / "huge.png").write_bytes(  # 30000×30000: a decompression bomb of a few bytes
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + _chunk(b"IEND", b""))
    (folder / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    os.mkfifo(folder / "fifo.png")


def document(images: list[str]) -> Document:
    return Document(Meta(title="圖片", lang="zh-Hant"),
                    (Paragraph("正文。"), *(Caption(text=f"圖說{n}", image=name) for n, name in enumerate(images))))


def embedded(suffix: str, data: bytes) -> int:
    """Pictures an edition embeds (the EPUB's generated cover not counted)."""
    if suffix == ".pdf":
        from pypdf import PdfReader

        return sum(1 for page in PdfReader(io.BytesIO(data)).pages
                   for x in (page.get("/Resources", {}).get("/XObject") or {}).values()
                   if x.get_object().get("/Subtype") == "/Image")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        prefix = "word/media/" if suffix == ".docx" else "EPUB/images/photo-"
        return sum(1 for n in z.namelist() if n.startswith(prefix))


def test_the_check_keeps_good_images_and_says_why_each_bad_one_is_left_out(tmp_path: Path) -> None:
    from pipeline.writers.images import check_images

    make_images(tmp_path / "src")
    usable, warnings = check_images(document(["good.png", *BAD, "good.png"]), tmp_path / "src")
    assert list(usable) == ["good.png"]
    assert len(warnings) == len(BAD)
    for (name, why), warning in zip(BAD.items(), warnings, strict=True):
        assert warning.startswith(f"image {name!r} ") and why in warning, warning
        assert warning.endswith("; left out of every edition")


@pytest.mark.parametrize("jobs", ["1", "2"])  # in this process, and in forked edition processes
def test_a_build_warns_once_per_bad_image_and_every_edition_shows_the_same_pictures(
        tmp_path: Path, jobs: str) -> None:
    import yaml

    make_images(tmp_path / "src")
    names = ["good.png", *BAD]
    (tmp_path / "src" / "a.yaml").write_text(yaml.safe_dump(document(names).to_dict(), allow_unicode=True),
                                             "utf-8")
    run = subprocess.run([PUBLISH, "all", "-j", jobs, "-o", "out", "src"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == len(BAD), run.stderr  # one per image, not one per edition
    for name in BAD:
        assert sum(f"image {name!r}" in w for w in warnings) == 1, run.stderr
    for suffix in (".pdf", ".epub", ".docx"):
        assert embedded(suffix, (tmp_path / "out" / f"a{suffix}").read_bytes()) == 1, suffix


def test_a_writer_called_on_its_own_judges_images_by_the_same_rule(tmp_path: Path) -> None:
    from pipeline.writers.docx import DocxWriter
    from pipeline.writers.epub import EpubWriter
    from pipeline.writers.pdf import PdfWriter

    make_images(tmp_path / "src")
    doc = document(["good.png", *BAD])
    for writer, suffix in ((PdfWriter(), ".pdf"), (EpubWriter(), ".epub"), (DocxWriter(), ".docx")):
        warnings: list[str] = []
        data = writer.render(doc, RenderOptions(base_dir=tmp_path / "src", source_date_epoch=1585267200,
                                                warn=warnings.append))
        assert embedded(suffix, data) == 1, writer.name
        said = [w for w in warnings if "image" in w]
        assert len(said) == len(BAD) and all(w.startswith(f"{writer.name}: image ") for w in said), said


def test_the_epub_with_bad_images_passes_epubcheck(tmp_path: Path) -> None:
    from pipeline.check.epub import run_epubcheck
    from pipeline.check.report import Report
    from pipeline.writers.epub import EpubWriter

    require_java()
    make_images(tmp_path / "src")
    book = tmp_path / "a.epub"
    book.write_bytes(EpubWriter().render(document(["good.png", "fake.png", "truncated.jpg"]),
                                         RenderOptions(base_dir=tmp_path / "src", source_date_epoch=1585267200)))
    report = Report()
    run_epubcheck([book], report)
    assert report.problems == []
