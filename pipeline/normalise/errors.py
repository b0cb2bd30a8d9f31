"""The normaliser's one exception: every problem with the input, one message each."""

from __future__ import annotations


class NormaliseError(Exception):
    """Input that cannot become a document; ``problems`` has one message per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)
