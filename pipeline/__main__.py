"""The ``publish`` command's entry point (the console script, and ``python -m pipeline``).

It imports only :mod:`sys` before its ``try``: click and the command-line module take tens of
milliseconds to import, and a Ctrl-C or SIGTERM meanwhile must end like any other interrupt (one
line, status 130, no traceback), not as a traceback from inside an import.
"""

from __future__ import annotations

import sys

#: the exit status of an interrupted run (README's table), as a shell reports SIGINT
INTERRUPTED = 130


def main() -> None:
    """Run ``publish``: SIGTERM unwinds like Ctrl-C from the first instruction on."""
    try:
        import signal

        signal.signal(signal.SIGTERM, _terminate)
        from pipeline.cli import main as publish

        publish()
    except KeyboardInterrupt:  # before click took over (or after it let go)
        try:
            sys.stderr.write("publish: interrupted\n")
            sys.stderr.flush()
        except OSError:
            pass
        sys.exit(INTERRUPTED)


def _terminate(signum: int, frame: object) -> None:  # noqa: ARG001
    """SIGTERM becomes KeyboardInterrupt, so what a Ctrl-C cleans up (temp files, the lock, child
    processes such as EPUBCheck's Java) is cleaned up for ``kill`` too."""
    raise KeyboardInterrupt


if __name__ == "__main__":  # pragma: no cover - python -m pipeline
    main()
