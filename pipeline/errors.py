"""The one shape of every user-facing failure: a list of problems, one line each, naming the file."""

from __future__ import annotations


class Problems(Exception):
    """Something the user must fix; ``problems`` holds one message per mistake, so all are shown."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)
