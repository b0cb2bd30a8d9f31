"""Build every corpus case's editions under SOURCE_DATE_EPOCH and list their SHA-256 sums.

A refactoring that moves code must not change a single byte of any edition. Record the list before
the change and compare after it:

    python tests/tools/edition_hashes.py --record before.sha256
    python tests/tools/edition_hashes.py --compare before.sha256

Each case (``tests/cases/*/input.txt`` and ``source/article.txt``) is built with ``publish all`` in
two variants: the default settings, and a vertical, A5 build (the EPUB/DOCX vertical edition and
another page size). The sums depend on the installed library versions (reportlab, fontTools,
HarfBuzz...), so compare lists made on one machine with one set of libraries.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLISH = str(Path(sys.executable).parent / "publish")
EPOCH = "1585267200"
VARIANTS = {"default": [], "vertical-a5": ["--writing-mode", "vertical-rl", "--page-size", "A5"]}


def sources() -> dict[str, Path]:
    found = {p.parent.name: p for p in sorted((ROOT / "tests" / "cases").glob("*/input.txt"))}
    found["source-article"] = ROOT / "source" / "article.txt"
    return found


def build_all(workdir: Path) -> dict[str, str]:
    """Every variant of every source built into ``workdir``; ``variant/case/file`` → SHA-256."""
    cache = workdir / "font-cache"
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PUBLISH_FONT_CACHE": str(cache)}
    sums: dict[str, str] = {}
    for variant, flags in VARIANTS.items():
        src = workdir / variant / "source"
        src.mkdir(parents=True)
        for case, path in sources().items():
            shutil.copy(path, src / f"{case}.txt")
        out = workdir / variant / "outputs"
        run = subprocess.run([PUBLISH, "-q", "all", str(src), "-o", str(out), "-j", "2", *flags],
                             cwd=workdir / variant, env=env, capture_output=True, text=True)
        if run.returncode not in (0, 1):
            sys.exit(f"publish failed ({run.returncode}): {run.stderr}")
        for f in sorted(out.iterdir()):
            if f.is_file() and not f.name.startswith("."):
                sums[f"{variant}/{f.name}"] = hashlib.sha256(f.read_bytes()).hexdigest()
    return sums


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--record", type=Path, help="write the list to this file")
    group.add_argument("--compare", type=Path, help="compare with the list in this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sums = build_all(Path(tmp))
    lines = [f"{digest}  {name}\n" for name, digest in sorted(sums.items())]
    if args.record:
        args.record.write_text("".join(lines))
        print(f"{len(lines)} files recorded in {args.record}")
        return 0
    before = dict(reversed(line.rstrip("\n").split("  ", 1)) for line in args.compare.read_text().splitlines())
    changed = sorted(n for n in before.keys() | sums.keys() if before.get(n) != sums.get(n))
    for name in changed:
        print(f"differs: {name}")
    print(f"{len(sums)} files compared, {len(changed)} differ")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
