"""Properties over generated input, end to end: any valid Document renders in every writer, and any
text goes through the `publish all` pipeline (normalise, then every writer) without a crash and
without silent loss.

The normaliser's own no-loss property lives in tests/test_normalise.py and the YAML round trip in
tests/test_document.py; these check the whole chain the CLI runs, on the writers found through the
entry points (so a third-party writer is held to the same rules).
"""

from __future__ import annotations

import collections
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_bad_inputs import HAN, READERS, squash

from pipeline.model import Document
from pipeline.settings import Settings
from pipeline.writers import RenderOptions, WriterError, discover
from pipeline.yamlio import dump_document, loads

sys.path.insert(0, str(Path(__file__).resolve().parent))
from strategies import documents  # noqa: E402

# Each CJK example costs seconds (fonts are subset to its characters), so few examples, no shrinking;
# derandomized, so later runs meet the same examples and the font cache makes them fast.
# PUBLISH_PROPERTY_EXAMPLES=200 explores further (random, with shrinking) for a deeper run.
_DEEP = int(os.environ.get("PUBLISH_PROPERTY_EXAMPLES", "0"))
SLOW = settings(max_examples=_DEEP or 6, deadline=None, derandomize=not _DEEP,
                phases=list(Phase) if _DEEP else [Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def render_all(document: Document) -> tuple[dict[str, str], list[str]]:
    """Every installed writer's edition of ``document``, read back as text; and the warnings."""
    warnings: list[str] = []
    options = RenderOptions(settings=Settings(), source_date_epoch=1585267200, version="test",
                            warn=warnings.append)
    texts = {}
    for writer in discover():
        if writer.missing_dependency():
            pytest.skip(f"{writer.name} writer needs {writer.missing_dependency()}")
        data = writer.render(document, options)
        assert isinstance(data, bytes) and data, writer.name
        reader = READERS.get(writer.suffix)
        texts[writer.name] = reader(data) if reader else ""
    for message in warnings:
        assert isinstance(message, str) and "\n" not in message, f"multi-line warning: {message!r}"
    return texts, warnings


#: Block fields every edition prints (``role``, ``image`` and ``lines`` are not text).
PRINTED_FIELDS = ("runin", "text", "credit", "attribution")


def printed_strings(document: Document) -> list[str]:
    """What every edition must print: the title and every block's text."""
    out = [document.meta.title]
    for block in document.blocks:
        out += [getattr(block, f) for f in PRINTED_FIELDS if getattr(block, f, None)]
        out += list(getattr(block, "items", ()))
    return out


@SLOW
@given(documents)
def test_any_valid_document_renders_in_every_writer(document: Document) -> None:
    assert loads(dump_document(document), "generated.yaml") == document  # it is a valid document
    texts, _ = render_all(document)
    for name in ("epub", "docx"):
        if name in texts:
            flat = squash(texts[name])
            for text in printed_strings(document)[1:]:
                assert squash(text) in flat, f"{name}: {text!r} is not printed literally"
    if "pdf" in texts:
        assert "\x00" not in texts["pdf"], "the PDF draws .notdef (tofu)"
        flat = squash(texts["pdf"])
        for block in document.blocks:
            body = getattr(block, "text", None)
            if body and len(squash(body)) >= 2:
                assert squash(body) in flat, f"pdf: {body!r} is not printed literally"


# Article-shaped text: a title, then lines of Chinese prose, furniture, markup, bylines and junk
# characters, separated by blank lines or single line breaks, with any line ending.
_prose = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.sampled_from(list("，。、；：？！「」“”（）")),
                 min_size=1, max_size=80)
_junk = st.sampled_from(["分享", "facebook", "相關新聞", "A-A+", "<table>", "</p>", "&amp;", "\x00", "\x1b",
                         "\u200b", "\u202e", "\ufeff", "😀", "𠀀", "記者陳嘉寧／桃園機場報導", "2019-03-18 23:59",
                         "https://example.com/a?b=c", "受訪單位供圖", "■", "\t", "\u3000", "]]>", "{ PAGE }"])
_line = st.one_of(_prose, _junk, st.lists(st.one_of(_prose, _junk), min_size=2, max_size=4).map("".join),
                  st.text(max_size=30))
articles = st.tuples(
    _prose,
    st.lists(_line, min_size=1, max_size=12),
    st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\r\n", "\r"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]),
).map(lambda t: (t[2].join([t[0], *t[1]]), t[3]))


@SLOW
@given(articles)
def test_any_text_goes_through_publish_all_without_crash_or_silent_loss(article: tuple[str, str]) -> None:
    from pipeline.normalise import NormaliseError, normalise_bytes

    text, encoding = article
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    try:
        result = normalise_bytes(data, max_bytes=Settings().max_input_bytes, name="generated.txt")
    except NormaliseError as exc:  # refusing is fine, as long as it says why, one line each
        assert exc.problems and all(p and "\n" not in p for p in exc.problems)
        return
    document = result.document
    assert loads(dump_document(document), "normalised.yaml") == document
    everything = "\n".join(document.texts() + [d.text for d in document.dropped])
    given_han = collections.Counter(HAN.findall(text))
    kept = collections.Counter(HAN.findall(everything))
    lost = {ch: n - kept[ch] for ch, n in given_han.items() if kept[ch] < n}
    assert not lost, f"Han characters lost without a record: {lost}"
    try:
        texts, _ = render_all(document)
    except WriterError as exc:  # a writer may refuse, with a message; never an unexpected exception
        assert str(exc) and "\n" not in str(exc)
        return
    for name in ("epub", "docx"):
        if name in texts:
            flat = visible(texts[name])
            for block in document.blocks:
                body = getattr(block, "text", None)
                if body:
                    assert visible(body) in flat, f"{name}: {body!r} is not printed"


def visible(text: str) -> str:
    """Printable characters only (writers may keep or drop invisible controls), whitespace squashed."""
    return squash("".join(ch for ch in text if ch.isprintable() or ch.isspace()))
