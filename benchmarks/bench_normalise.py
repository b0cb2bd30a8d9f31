"""Normalising in-process, warm: what the line-role model adds to the rules, per article.

    python benchmarks/bench_normalise.py [--runs 50] [FILE ...]   (default: source/article.txt and
                                                                   every tests/cases/*/input.txt)

For each text: the median wall time of ``normalise_bytes`` with the rules alone (``roles=False``)
and with the shipped model (``roles=True``, what ``publish`` does), after one untimed warm-up call
of each; then the one-off cost of reading the model file (a fresh interpreter). The issue's budget:
the model adds at most 30 ms to normalising the source article.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(data: bytes, roles: bool, runs: int) -> float:
    from pipeline.normalise import normalise_bytes

    normalise_bytes(data, roles=roles)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        normalise_bytes(data, roles=roles)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def load_cost() -> float:
    """Milliseconds to import the arbitration module and read the model, in a fresh interpreter."""
    code = ("import time, pipeline.normalise.linefeatures; t = time.perf_counter(); "
            "from pipeline.normalise.roles import shipped; shipped(); "
            "print((time.perf_counter() - t) * 1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    files = args.files or [ROOT / "source" / "article.txt",
                           *sorted((ROOT / "tests" / "cases").glob("*/input.txt"))]
    print("| text | lines | rules alone (ms) | with the model (ms) | added (ms) |")
    print("| --- | --- | --- | --- | --- |")
    added = []
    for path in files:
        data = path.read_bytes()
        rules, model = timed(data, False, args.runs), timed(data, True, args.runs)
        added.append(model - rules)
        name = path.parent.name if path.name == "input.txt" else path.name
        lines = data.count(b"\n") + 1
        print(f"| {name} | {lines} | {rules:.1f} | {model:.1f} | {model - rules:+.1f} |")
    print(f"\nmedian added: {statistics.median(added):+.1f} ms; reading the model once: {load_cost():.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
