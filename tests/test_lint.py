"""The code stays ruff-clean (the project's style gate)."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import ROOT


def test_ruff_finds_nothing() -> None:
    ruff = shutil.which("ruff") or f"{sys.executable} -m ruff"
    run = subprocess.run([*ruff.split(), "check", "pipeline", "tests", "benchmarks"], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
