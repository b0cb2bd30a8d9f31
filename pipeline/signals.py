"""Holding Ctrl-C and SIGTERM back for a moment that must not be cut in two.

Writing an edition and recording it, or drawing a glyph that a store will keep: an interrupt in the
middle would leave a file without its record, or a damaged glyph. :func:`signals_held` delivers
SIGINT and SIGTERM right after the block instead.

The Python-level handlers are swapped for ones that only note the signal. Masking the signal at
the OS level (``pthread_sigmask``) is not enough: in a process with other threads (a process
pool's manager, Dask's), another thread takes the signal and Python still raises
KeyboardInterrupt in the main thread, inside the block.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM during the block, and deliver them (once each) right after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # Python runs signal handlers in the main thread only: nothing to hold here
        return
    pending: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, lambda signum, frame: pending.append(signum))
        except (ValueError, OSError):  # pragma: no cover - no such signal here
            pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        for sig in dict.fromkeys(pending):
            signal.raise_signal(sig)
