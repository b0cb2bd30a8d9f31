"""Reproducible builds: with SOURCE_DATE_EPOCH set, the same source gives the same bytes.

Readers verify a release by rebuilding it, so nothing but the source and the epoch may reach the
bytes: not the directory, the clock, the time zone, the hash seed, or whether the subset fonts
were already cached. The installed ``publish`` is run as a user would run it. When editions
differ, the failure says where (which zip member, which PDF object) so the writer can be fixed.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

PUBLISH = str(Path(sys.executable).parent / "publish")
ARTICLE = ROOT / "source" / "article.txt"
EDITIONS = ("article.yaml", "article.pdf", "article.epub", "article.docx", "SHA256SUMS")
EPOCH = "1585267200"  # 2020-03-27T00:00:00Z, the article's date


def build(project: Path, env: dict[str, str | None]) -> dict[str, bytes]:
    """``publish all`` in ``project`` (a fresh copy of the article); the built files' bytes."""
    (project / "source").mkdir(parents=True)
    shutil.copy(ARTICLE, project / "source" / "article.txt")
    environ = {**os.environ, **{k: v for k, v in env.items() if v is not None}}
    for key in [k for k, v in env.items() if v is None]:
        environ.pop(key, None)
    run = subprocess.run([PUBLISH, "all", "-j", "1"], cwd=project, env=environ, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    return {name: (project / "outputs" / name).read_bytes() for name in EDITIONS}


def zip_differences(a: bytes, b: bytes) -> list[str]:
    """Which members of two zip packages differ, and how (names, order, metadata, content)."""
    out: list[str] = []
    with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
        ia, ib = za.infolist(), zb.infolist()
        names_a, names_b = [i.filename for i in ia], [i.filename for i in ib]
        if names_a != names_b:
            out.append(f"member names/order differ: {names_a} vs {names_b}")
        by_b = {i.filename: i for i in ib}
        for info in ia:
            other = by_b.get(info.filename)
            if other is None:
                continue
            for attr in ("date_time", "compress_type", "external_attr", "create_system", "extra", "comment"):
                if getattr(info, attr) != getattr(other, attr):
                    out.append(f"{info.filename}: zip {attr} {getattr(info, attr)!r} vs {getattr(other, attr)!r}")
            da, db = za.read(info), zb.read(other)
            if da != db:
                out.append(f"{info.filename}: content differs: {first_difference(da, db)}")
    return out or ["same members and contents; the zip container bytes differ"]


def first_difference(a: bytes, b: bytes) -> str:
    """The first differing line of text, or the first differing byte with context (and PDF object)."""
    try:
        ta, tb = a.decode("utf-8"), b.decode("utf-8")
    except UnicodeDecodeError:
        ta = tb = None
    if ta is not None and tb is not None:
        diff = [line for line in difflib.unified_diff(ta.splitlines(), tb.splitlines(), lineterm="", n=0)
                if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        return " | ".join(d[:160] for d in diff[:4])
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    obj = re.findall(rb"\n(\d+ \d+) obj", a[:n])
    where = f" in object {obj[-1].decode()}" if obj else ""
    return (f"{len(a)} vs {len(b)} bytes; first difference at byte {n}{where}: "
            f"{a[max(0, n - 40):n + 40]!r} vs {b[max(0, n - 40):n + 40]!r}")


def describe(name: str, a: bytes, b: bytes) -> str:
    if name.endswith((".epub", ".docx")):
        return f"{name}:\n  " + "\n  ".join(zip_differences(a, b))
    return f"{name}: {first_difference(a, b)}"


def assert_identical(first: dict[str, bytes], second: dict[str, bytes]) -> None:
    differing = [describe(n, first[n], second[n]) for n in EDITIONS if first[n] != second[n]]
    assert not differing, "editions differ between the builds:\n" + "\n".join(differing)


@pytest.mark.slow
def test_builds_with_source_date_epoch_are_byte_identical(tmp_path: Path) -> None:
    """Different directories, clocks, time zones, hash seeds, locales; a cold and a warm font cache."""
    fonts = tmp_path / "font-cache"  # empty: the first build subsets every font, the second reuses them
    first = build(tmp_path / "one", {"SOURCE_DATE_EPOCH": EPOCH, "TZ": "UTC", "PYTHONHASHSEED": "1",
                                     "PUBLISH_FONT_CACHE": str(fonts), "LC_ALL": "C.UTF-8"})
    time.sleep(1.1)  # a different second on the clock
    second = build(tmp_path / "elsewhere" / "deeper dir", {
        "SOURCE_DATE_EPOCH": EPOCH, "TZ": "Asia/Taipei", "PYTHONHASHSEED": "4242",
        "PUBLISH_FONT_CACHE": str(fonts), "LC_ALL": None})
    assert_identical(first, second)


# PDF dates (D:YYYYMMDDHHmmSS+hh'mm'), XMP/OPF/Office ISO 8601 times, and the PDF /ID derived from them.
_TIMESTAMPS = [
    (re.compile(rb"D:\d{14}(?:Z(?:00\\?'00\\?')?|[+-]\d\d\\?'\d\d\\?'?)?"), b"D:TIMESTAMP"),
    (re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?"), b"TIMESTAMP"),
    (re.compile(rb"/ID\s*\[\s*<[0-9a-fA-F]+>\s*<[0-9a-fA-F]+>\s*\]"), b"/ID [<ID><ID>]"),
]


def without_timestamps(data: bytes) -> bytes:
    for pattern, replacement in _TIMESTAMPS:
        data = pattern.sub(replacement, data)
    return data


def unzip_without_timestamps(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(i.filename, without_timestamps(archive.read(i))) for i in archive.infolist()]


def pdf_objects_without_timestamps(data: bytes) -> list[tuple[str, bytes]]:
    """Every indirect object (streams decoded, so compressed XMP is seen too), timestamps masked."""
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject, StreamObject

    def plain(obj):
        if isinstance(obj, IndirectObject):
            return f"ref {obj.idnum} {obj.generation}"
        if hasattr(obj, "items"):
            return {str(k): plain(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [plain(v) for v in obj]
        return repr(obj)

    reader = PdfReader(io.BytesIO(data))
    out = []
    numbers = sorted({(num, gen) for gen, table in reader.xref.items() for num in table}
                     | {(num, 0) for num in reader.xref_objStm})
    for num, gen in numbers:
        obj = reader.get_object(IndirectObject(num, gen, reader))
        body = obj.get_data() if isinstance(obj, StreamObject) else b""
        head = repr(plain(obj)).encode()
        out.append((f"object {num} {gen}", without_timestamps(head + b"\n" + body)))
    trailer = {k: v for k, v in plain(reader.trailer).items() if k != "/ID"}
    out.append(("trailer", without_timestamps(repr(trailer).encode())))
    return out


def differing(name: str, a: list[tuple[str, bytes]], b: list[tuple[str, bytes]]) -> list[str]:
    if [n for n, _ in a] != [n for n, _ in b]:
        return [f"{name}: parts differ: {[n for n, _ in a]} vs {[n for n, _ in b]}"]
    return [f"{name}: {pa}: {first_difference(da, db)}" for (pa, da), (_, db) in zip(a, b, strict=True)
            if da != db]


@pytest.mark.slow
def test_without_source_date_epoch_builds_differ_only_in_timestamps(tmp_path: Path) -> None:
    """No random identifiers, no paths, no clock other than the recorded build time."""
    first = build(tmp_path / "one", {"SOURCE_DATE_EPOCH": None, "TZ": "UTC"})
    time.sleep(1.1)
    second = build(tmp_path / "two", {"SOURCE_DATE_EPOCH": None, "TZ": "America/New_York"})
    assert first["article.yaml"] == second["article.yaml"]
    problems = []
    for name in ("article.epub", "article.docx"):
        problems += differing(name, unzip_without_timestamps(first[name]), unzip_without_timestamps(second[name]))
    problems += differing("article.pdf", pdf_objects_without_timestamps(first["article.pdf"]),
                          pdf_objects_without_timestamps(second["article.pdf"]))
    assert not problems, "editions differ in more than their timestamps:\n" + "\n".join(problems)
