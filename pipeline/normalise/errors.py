"""The normaliser's one exception: every problem with the input, one message each."""

from __future__ import annotations

from pipeline.errors import Problems


class NormaliseError(Problems):
    """Input that cannot become a document; ``problems`` has one message per problem."""
