"""Hypothesis strategies for valid Documents, shared by the round-trip and "any document renders" tests."""

from __future__ import annotations

from hypothesis import strategies as st

from pipeline.model import (
    DROP_REASONS,
    PARAGRAPH_ROLES,
    Caption,
    Document,
    Dropped,
    Heading,
    ListBlock,
    Meta,
    Paragraph,
    Quote,
)

# Printable text: CJK, Latin, punctuation, and characters that look like markup in some layer.
_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(list("，。、；：？！「」『』“”‘’（）《》——……")),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from(list("<>&\"']]>{}")),
)


def text(min_size: int = 1, max_size: int = 60) -> st.SearchStrategy[str]:
    """Non-blank single-line text, stripped (as the normaliser produces)."""
    return (
        st.text(_ALPHABET, min_size=min_size, max_size=max_size)
        .map(lambda s: " ".join(s.split()))
        .filter(lambda s: len(s) >= min_size)
    )


lines = st.lists(st.integers(min_value=1, max_value=500), max_size=3).map(tuple)

blocks = st.one_of(
    st.builds(Heading, text=text(max_size=30), level=st.sampled_from([1, 2]), lines=lines),
    st.builds(Paragraph, text=text(max_size=200), runin=st.none() | text(max_size=12),
              role=st.none() | st.sampled_from(PARAGRAPH_ROLES), lines=lines),
    st.builds(Caption, text=text(), credit=st.none() | text(max_size=12), lines=lines),
    st.builds(ListBlock, items=st.lists(text(max_size=30), min_size=1, max_size=4).map(tuple),
              ordered=st.booleans(), lines=lines),
    st.builds(Quote, text=text(max_size=100), attribution=st.none() | text(max_size=12), lines=lines),
)

metas = st.builds(
    Meta,
    title=text(max_size=40),
    lang=st.sampled_from(["zh-Hant", "zh-Hans", "en", "zh-Hant-HK"]),
    author=st.none() | text(max_size=20),
    date=st.none() | st.dates().map(lambda d: d.isoformat()),
    keywords=st.lists(text(max_size=10), max_size=3).map(tuple),
    credits=st.lists(text(max_size=10), max_size=2).map(tuple),
)

documents = st.builds(
    Document,
    meta=metas,
    blocks=st.lists(blocks, min_size=1, max_size=8).map(tuple),
    dropped=st.lists(
        st.builds(Dropped, line=st.integers(min_value=1, max_value=999), text=st.text(max_size=30),
                  reason=st.sampled_from(DROP_REASONS)),
        max_size=3,
    ).map(tuple),
)
