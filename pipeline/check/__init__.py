"""``publish check``: validate built editions the way a reader's software will meet them.

A release is only as good as its files, so this runs after every build in CI: EPUBs through
EPUBCheck (the reference validator reading systems and stores use), PDFs for structure, embedded
fonts, extractable text and an outline, DOCX packages for the parts and styles Word needs, YAML
against the schema, and ``SHA256SUMS`` against the files. Every problem is one line naming the
file; nothing here writes anything.

Heavy libraries (pypdf) and the JVM are only touched when a file of that kind is checked, so the
CLI stays fast.

One module per kind of file: :mod:`.sums`, :mod:`.document` (YAML), :mod:`.epub`, :mod:`.pdf`,
:mod:`.docx`; :mod:`.report` collects the lines. Which files are editions, and the name of the sums
file, come from :mod:`pipeline.outdir`, the module that writes them.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.check.document import check_yaml
from pipeline.check.docx import check_docx
from pipeline.check.epub import check_epub_container, run_epubcheck
from pipeline.check.pdf import check_pdf
from pipeline.check.report import Report
from pipeline.check.sums import check_sums
from pipeline.outdir import SUMS_NAME, edition_suffixes

DEFAULT_DIR = Path("outputs")


def check_paths(paths: list[Path]) -> tuple[list[str], list[str]]:
    """Check editions; ``(problems, notes)``, one line each. No paths means everything in outputs/.

    A directory means every edition in it plus its ``SHA256SUMS``; a file is checked by its suffix.
    """
    report = Report()
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


def _expand(paths: list[Path], report: Report) -> list[Path]:
    """Files to check, each once: directories contribute their editions and SHA256SUMS."""
    out: list[Path] = []
    suffixes = edition_suffixes()
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and _is_checkable(p))
            if not any(p.suffix in suffixes for p in found):
                report.problem(path, "no editions to check (build them with `publish all`)")
            out.extend(found)
        elif path.is_file():
            if _is_checkable(path):
                out.append(path)
            else:
                report.problem(path, f"cannot check this kind of file (editions are "
                                     f"{', '.join(suffixes)} and {SUMS_NAME})")
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
    """An edition of any installed writer (the same list ``SHA256SUMS`` is made from), or the sums."""
    return not path.name.startswith(".") and (path.name == SUMS_NAME or path.suffix in edition_suffixes())
