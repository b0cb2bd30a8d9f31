"""Benchmark the font pipeline: cold (empty cache) and warm (disk cache, fresh process memo).

    python benchmarks/bench_fonts.py [ARTICLE.txt] [--lang zh-Hant] [--jobs N] [--repeat 3]

Cold runs use a new temporary cache directory each time, so every face is subset, converted and
instanced; warm runs reuse the last cold run's cache after clearing the in-process memo, which is
what a second ``publish`` run sees. Prints wall and CPU time (CPU includes child processes used
for parallel subsetting) and each face's size.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import fonts  # noqa: E402
from pipeline.fonts.jobs import _workers  # noqa: E402
from pipeline.model import Document, Meta, Paragraph  # noqa: E402
from pipeline.settings import Settings  # noqa: E402


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("article", nargs="?", default=str(ROOT / "source" / "article.txt"))
    parser.add_argument("--lang", default="zh-Hant")
    parser.add_argument("--jobs", type=int, default=None, help="PUBLISH_FONT_JOBS (default: CPUs)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.jobs:
        os.environ["PUBLISH_FONT_JOBS"] = str(args.jobs)
    text = Path(args.article).read_text(encoding="utf-8")
    doc = Document(meta=Meta(title=text.splitlines()[0][:60], lang=args.lang),
                   blocks=tuple(Paragraph(text=line) for line in text.splitlines() if line.strip()))
    print(f"{args.article}: {len(set(text))} distinct characters, lang {args.lang}, "
          f"jobs {_workers()}")

    import fontTools.subset  # noqa: F401  (import time is not subsetting time)
    import fontTools.varLib.instancer  # noqa: F401

    cache = None
    for n in range(args.repeat):
        cache = tempfile.mkdtemp(prefix="publish-fonts-bench-")
        fonts.clear_memo()
        w, c = time.perf_counter(), cpu()
        faces = fonts.faces_for(doc, Settings(font_cache=cache))
        print(f"cold #{n + 1}: {time.perf_counter() - w:6.3f} s wall, {cpu() - c:6.3f} s CPU")
    for n in range(args.repeat):
        fonts.clear_memo()
        w = time.perf_counter()
        faces = fonts.faces_for(doc, Settings(font_cache=cache))
        print(f"warm #{n + 1}: {time.perf_counter() - w:6.3f} s wall (disk cache)")
    w = time.perf_counter()
    fonts.faces_for(doc, Settings(font_cache=cache))
    print(f"memo  : {time.perf_counter() - w:6.4f} s wall (same process, second writer)")
    for face in faces.all_faces():
        print(f"  {face.role:8} {face.family:16} {face.weight}  {len(face.data) / 1024:7.1f} KB  "
              f"{len(face.codepoints):5} code points  {face.ps_name}")
    for cp in faces.missing:
        print("  missing:", fonts.describe_missing(cp))


if __name__ == "__main__":
    main()
