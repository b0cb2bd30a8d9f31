"""The findings of one ``publish check`` run: problems fail it, notes are only said."""

from __future__ import annotations

from pathlib import Path


class Report:
    """Problems (the check fails) and notes (said, but not a failure), in the order found."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)
