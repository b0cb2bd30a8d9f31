"""Zip packages (EPUB, DOCX): every member's CRC checked, XML parts parsed, one problem each."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

from pipeline.check.report import Report


def open_zip(path: Path, report: Report, kind: str) -> zipfile.ZipFile | None:
    """The archive, after every member's CRC checked; None (and a problem) if it is damaged."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        report.problem(path, f"not a complete zip archive (truncated or damaged {kind})")
        return None
    except OSError as exc:
        report.problem(path, f"cannot read: {exc.strerror or exc}")
        return None
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        report.problem(path, f"damaged zip archive: {exc}")
        archive.close()
        return None
    if bad is not None:
        report.problem(path, f"damaged zip archive: {bad} fails its CRC check")
        archive.close()
        return None
    return archive


def parse_xml(archive: zipfile.ZipFile, name: str, path: Path,
               report: Report) -> ElementTree.Element | None:
    try:
        return ElementTree.fromstring(archive.read(name))
    except ElementTree.ParseError as exc:
        report.problem(path, f"{name} is not well-formed XML: {exc}")
    except KeyError:
        report.problem(path, f"{name} is missing")
    return None
