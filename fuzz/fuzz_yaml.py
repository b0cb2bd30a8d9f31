"""Fuzz the YAML loader: any bytes either load as a Document that dumps and loads back equal, or
fail with DocumentError, one located line per problem. Anything else is a crash worth keeping.

    python fuzz/fuzz_yaml.py -max_total_time=60 /tmp/fuzz-yaml fuzz/seeds/yaml

Crashes found are kept as regression inputs in tests/bad_inputs/fuzz/ (see fuzz/README.md).
"""

from __future__ import annotations

import sys

from pipeline.yamlio import DocumentError, dump_document, loads

NAME = "fuzz.yaml"


def check(data: bytes) -> None:
    """The property the fuzzer checks; also run on every regression input by the tests."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return  # load_document refuses non-UTF-8 before parsing (tested in test_bad_inputs)
    try:
        document = loads(text, NAME)
    except DocumentError as exc:
        assert exc.problems, "DocumentError without a problem"
        for problem in exc.problems:
            assert isinstance(problem, str) and problem.startswith(NAME), problem
            assert "\n" not in problem, f"a problem spans lines: {problem!r}"
        return
    dumped = dump_document(document)
    assert loads(dumped, "dumped.yaml") == document, "dump then load changed the document"


def main() -> None:
    import atheris

    import pipeline.normalise  # noqa: F401 - load everything, then instrument it
    import pipeline.yamlio  # noqa: F401

    atheris.instrument_all()
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
