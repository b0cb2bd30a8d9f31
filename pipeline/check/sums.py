"""``SHA256SUMS``: every listed file exists and matches, every edition beside it is listed."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pipeline.check.report import Report
from pipeline.outdir import SUMS_NAME, edition_suffixes, unescape_sums_name

_SUM_LINE = re.compile(r"^(\\?)([0-9a-fA-F]{64}) [ *](.+)$")


def check_sums(path: Path, report: Report) -> None:
    """Every listed file exists and matches; every edition beside the list is on it."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.problem(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}")
        return
    folder = path.parent
    listed: set[str] = set()
    # lines end at "\n" only (a name may hold any other character); a DOS "\r\n" is tolerated
    for number, line in enumerate((line.removesuffix("\r") for line in text.split("\n")), 1):
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if not match:
            report.problem(path, f"line {number}: not in sha256sum format (HASH, two spaces, NAME)")
            continue
        escaped, digest, name = match.groups()
        if escaped:  # GNU sha256sum escapes names holding a backslash, newline or carriage return
            name = unescape_sums_name(name)
            if name is None:
                report.problem(path, f"line {number}: the name is not validly escaped (\\\\, \\n, \\r)")
                continue
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
    suffixes = edition_suffixes()
    for edition in sorted(folder.iterdir()):
        if (edition.is_file() and edition.suffix in suffixes and not edition.name.startswith(".")
                and edition.name not in listed):
            report.problem(path, f"{edition.name} is not listed (rebuild to refresh {SUMS_NAME})")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
