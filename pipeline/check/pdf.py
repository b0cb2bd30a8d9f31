"""PDFs: the file structure is sound (cross-reference table, every stream decodes: qpdf's
judgement through pikepdf when installed, else pypdf's), every font is embedded, the text is
extractable, headings have an outline. Nothing the PDF libraries say leaks to the terminal: each
of their warnings is a problem line."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from pipeline.check.document import document_beside
from pipeline.check.report import Report

#: structure problems listed for one file; the rest are counted in one more line
MAX_STRUCTURE_LINES = 8


def check_pdf(path: Path, report: Report) -> None:
    """Sound structure; every font embedded; text extractable; an outline when the document has
    headings."""
    try:
        import pypdf  # noqa: F401
    except ImportError:
        report.problem(path, "cannot check PDFs: the pypdf package is not installed")
        return
    with _captured("pypdf", "pikepdf") as warned:
        reader = _check_pdf(path, report)
        if reader is not None:
            _check_structure(path, reader, warned, report)


def _check_pdf(path: Path, report: Report):
    """The pypdf reader after the checks of fonts, text and outline; None if it cannot parse."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path, strict=True)
        pages = list(reader.pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        report.problem(path, f"not a valid PDF: {exc or type(exc).__name__}")
        return None
    if not pages:
        report.problem(path, "has no pages")
    else:
        _check_content(path, reader, pages, report)
    return reader


def _check_content(path: Path, reader, pages: list, report: Report) -> None:
    """Every font embedded; text extractable; an outline when the document has headings."""
    unembedded: dict[str, list[int]] = {}
    text_parts: list[str] = []
    for number, page in enumerate(pages, 1):
        try:
            for name in _unembedded_fonts(page.get("/Resources"), set()):
                unembedded.setdefault(name, []).append(number)
            text_parts.append(page.extract_text() or "")
        except Exception as exc:  # noqa: BLE001 - a damaged page is one problem, not a crash
            report.problem(path, f"page {number} cannot be read: {type(exc).__name__}: {exc}")
            return
    for name, numbers in sorted(unembedded.items()):
        report.problem(path, f"font {name} is not embedded (page{'s' if len(numbers) > 1 else ''} "
                             f"{_ranges(numbers)}); readers will substitute another font")

    text = "".join("".join(text_parts).split())
    if not text:
        report.problem(path, "has no extractable text (its fonts lack ToUnicode maps, or the text is "
                             "drawn as images)")

    document = document_beside(path)
    try:
        outline = reader.outline
    except Exception:  # noqa: BLE001 - a broken outline is reported as missing
        outline = []
    if document is None:
        if not outline:
            report.note(f"{path}: has no outline (no {path.with_suffix('.yaml').name} beside it to say "
                        f"whether it should)")
        return
    headings = [b for b in document.blocks if getattr(b, "type", "") == "heading"]
    if headings and not outline:
        report.problem(path, f"has no outline (bookmarks), but its document has {len(headings)} heading(s)")
    title = "".join(document.meta.title.split())
    if text and title and title not in text:
        report.problem(path, "the extracted text does not contain the title; text extraction is broken "
                             "(check the fonts' ToUnicode maps)")


@contextlib.contextmanager
def _captured(*loggers: str) -> Iterator[list[str]]:
    """The warnings the named libraries log meanwhile, kept from the terminal (pypdf logs a
    repaired cross-reference table and carries on)."""
    found: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(" ".join(record.getMessage().split()))

    handler = _Keep(logging.WARNING)
    saved = []
    for name in loggers:
        logger = logging.getLogger(name)
        saved.append((logger, logger.propagate))
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield found
    finally:
        for logger, propagate in saved:
            logger.removeHandler(handler)
            logger.propagate = propagate


def _check_structure(path: Path, reader, warned: list[str], report: Report) -> None:
    """The cross-reference table and every stream: qpdf's verdict (``qpdf --check``, through
    pikepdf) when pikepdf is installed, else pypdf's, which decodes every stream itself. What
    either parser had to repair is damage."""
    found = _qpdf_problems(path)
    if found is None:
        report.note("PDF structure checked by pypdf only: qpdf's check skipped (pikepdf is not "
                    "installed; pip install 'publish[check]')")
        found = _undecodable_streams(reader)
    if not found:  # pypdf's words for damage qpdf has already described are left out
        found = list(dict.fromkeys(f"pypdf: {message}" for message in warned))
    for message in found[:MAX_STRUCTURE_LINES]:
        report.problem(path, f"damaged PDF structure: {message}")
    if len(found) > MAX_STRUCTURE_LINES:
        report.problem(path, f"damaged PDF structure: {len(found) - MAX_STRUCTURE_LINES} more problems")


def _qpdf_problems(path: Path) -> list[str] | None:
    """What qpdf finds wrong with the file (its ``--check``), or None without pikepdf."""
    try:
        import pikepdf
    except ImportError:
        return None
    prefix = f"WARNING: {path}"
    try:
        with pikepdf.open(path) as pdf:
            check = getattr(pdf, "check_pdf_syntax", None) or pdf.check  # its name before pikepdf 9
            messages = [*pdf.get_warnings(), *check()]
    except pikepdf.PdfError as exc:
        messages = [str(exc)]
    out = []
    for message in messages:
        message = " ".join(str(message).split())
        for cut in (prefix, str(path)):
            message = message.removeprefix(cut)
        out.append("qpdf: " + message.lstrip(": "))
    return out


def _undecodable_streams(reader) -> list[str]:
    """A line for every object pypdf cannot read and every stream it cannot decode."""
    out = []
    # the objects the cross-reference data lists (a damaged /Size could claim millions), and no
    # more failures than are reported
    numbers = {n for table in getattr(reader, "xref", {}).values() for n in table}
    numbers |= set(getattr(reader, "xref_objStm", {}))
    for number in sorted(numbers):
        try:
            obj = reader.get_object(number)
            if hasattr(obj, "get_data"):
                obj.get_data()
        except Exception as exc:  # noqa: BLE001 - any failure is damage to report, not a crash
            out.append(f"object {number} cannot be read: {type(exc).__name__}: {exc}")
            if len(out) > MAX_STRUCTURE_LINES:
                break
    return out


def _ranges(numbers: list[int]) -> str:
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


def _resolve(obj):
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _unembedded_fonts(resources, seen: set[tuple[str, int]]) -> Iterable[str]:
    """Names of fonts used through ``resources`` (and its form XObjects) without a font file."""
    resources = _resolve(resources)
    if not hasattr(resources, "get"):
        return
    fonts = _resolve(resources.get("/Font"))
    for font in _unseen(fonts, "font", seen):
        if not hasattr(font, "get"):
            continue
        name = _font_name(font)
        if not _font_embedded(font):
            yield name
        if font.get("/Subtype") == "/Type3":  # glyphs are content streams with their own resources
            yield from _unembedded_fonts(font.get("/Resources"), seen)
    for xobject in _unseen(_resolve(resources.get("/XObject")), "xobject", seen):
        if hasattr(xobject, "get") and xobject.get("/Subtype") == "/Form":
            yield from _unembedded_fonts(xobject.get("/Resources"), seen)


def _unseen(table, kind: str, seen: set[tuple[str, int]]) -> Iterable:
    """The resolved objects of a resource table (``/Font``, ``/XObject``) not met before: a form
    or font shared by many pages is walked once."""
    if not hasattr(table, "values"):
        return
    for ref in table.values():
        key = getattr(ref, "idnum", None)
        if key is not None:
            if (kind, key) in seen:
                continue
            seen.add((kind, key))
        yield _resolve(ref)


def _font_name(font) -> str:
    base = font.get("/BaseFont")
    return str(base).lstrip("/") if base is not None else "(unnamed font)"


def _font_embedded(font) -> bool:
    subtype = font.get("/Subtype")
    if subtype == "/Type3":
        return True  # drawn by the PDF's own procedures
    if subtype == "/Type0":
        descendants = _resolve(font.get("/DescendantFonts"))
        if not descendants:
            return False
        return all(_font_embedded(_resolve(d)) for d in descendants)
    descriptor = _resolve(font.get("/FontDescriptor"))
    if not hasattr(descriptor, "get"):
        return False  # e.g. one of the standard 14 fonts, left to the reader
    return any(descriptor.get(key) is not None for key in ("/FontFile", "/FontFile2", "/FontFile3"))
