"""Fuzz the normaliser: any bytes either become a Document whose YAML form is valid and that keeps
every Han character of the input (in a block, the metadata or ``dropped``), or fail with
NormaliseError naming the problems. Anything else is a crash worth keeping.

    python fuzz/fuzz_normalise.py -max_total_time=60 /tmp/fuzz-normalise fuzz/seeds/normalise

Crashes found are kept as regression inputs in tests/bad_inputs/fuzz/ (see fuzz/README.md).
"""

from __future__ import annotations

import collections
import re
import sys

#: Han ideographs the normaliser must never change or lose (compatibility ideographs excluded: NFC
#: maps them to their unified twins, which is a recorded repair).
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef\U00030000-\U0003134f]")
#: Keep each run short, as the CLI's limit would for a real build.
MAX_BYTES = 64 * 1024


def check(data: bytes) -> None:
    """The property the fuzzer checks; also run on every regression input by the tests."""
    from pipeline.model import Document
    from pipeline.normalise import NormaliseError, normalise_bytes
    from pipeline.yamlio import dump_document, loads

    data = data[:MAX_BYTES]
    try:
        result = normalise_bytes(data, encoding=None, lang=None, quotes="keep", max_bytes=MAX_BYTES,
                                 name="fuzz.txt")
    except NormaliseError as exc:
        assert exc.problems and all(isinstance(p, str) and p and "\n" not in p for p in exc.problems), \
            exc.problems
        return
    document = result.document
    assert isinstance(document, Document)
    again = loads(dump_document(document), "normalised.yaml")  # the YAML it writes is valid
    assert again == document, "the normalised document does not survive its YAML form"
    try:
        text = data.decode(result.encoding)
    except (LookupError, UnicodeDecodeError, TypeError):
        return
    given = collections.Counter(HAN.findall(text))
    kept = collections.Counter(HAN.findall("\n".join(document.texts() + [d.text for d in document.dropped])))
    lost = {ch: n - kept[ch] for ch, n in given.items() if kept[ch] < n}
    assert not lost, f"Han characters lost without a record: {lost}"


def main() -> None:
    import atheris

    import pipeline.normalise  # noqa: F401 - load everything, then instrument it
    import pipeline.yamlio  # noqa: F401

    atheris.instrument_all()
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
