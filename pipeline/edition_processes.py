"""The editions of one article, each rendered in its own forked process.

Started before the article is normalised, so that each writer's imports overlap with reading the
source; used by :mod:`pipeline.jobs` when one article is built on a multi-core machine. The
children only compute: they never touch the output folder.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any


class EditionProcesses:
    """One forked process per edition of a single article, started *before* the article is
    normalised: each imports its writer's libraries (reportlab, python-docx, ebooklib: most of a
    writer's start-up) while this process reads the source, then receives the document through
    a pipe, renders and sends the result back. On a two-core machine that hides the writers'
    start-up behind normalisation instead of paying it after.

    ``preload(name)`` runs in a child first; ``render(name, *payload)`` is the work. A
    child that fails (killed, unpicklable result) yields None for its edition; the caller renders
    it itself. Children never touch the output folder."""

    def __init__(self, names: list[str], preload: Callable[[str], None],
                 render: Callable[..., Any]):
        import gc

        # what exists now (modules, settings) lives as long as the build: the children's (and
        # this process's) collections need not walk it again, nor touch its pages after the fork
        gc.freeze()
        self._children: dict[str, tuple[int, int, int]] = {}
        try:
            for name in names:
                self._start(name, preload, render)
        except BaseException:  # out of processes or descriptors: none of them is left behind
            self.close()
            raise

    def _start(self, name: str, preload: Callable[[str], None], render: Callable[..., Any]) -> None:
        fds: list[int] = []
        try:
            to_child, from_parent = os.pipe()[::-1]
            fds += [to_child, from_parent]
            from_child, to_parent = os.pipe()
            fds += [from_child, to_parent]
            pid = os.fork()
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        if pid == 0:  # pragma: no cover - runs in the child, which leaves through os._exit
            os.close(to_child)
            os.close(from_child)
            for other in self._children.values():
                os.close(other[1])
                os.close(other[2])
            _edition_child(name, from_parent, to_parent, preload, render)
        os.close(from_parent)
        os.close(to_parent)
        self._children[name] = (pid, to_child, from_child)

    def render(self, names: list[str], payload: tuple[Any, ...]) -> dict[str, Any]:
        """Send ``payload`` (the arguments after the name) to the children of ``names``, dismiss
        the others, and collect every result (None for a child that failed)."""
        self.send(names, payload)
        return self.collect(names)

    def send(self, names: list[str], payload: tuple[Any, ...]) -> None:
        """Start the children of ``names`` on ``payload``; dismiss the others."""
        import pickle

        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        for name, (_, to_child, _) in self._children.items():
            if name in names:
                with contextlib.suppress(OSError):  # a dead child: its result will be None
                    _write_all(to_child, data)
            os.close(to_child)
        self._children = {n: (pid, -1, r) for n, (pid, _, r) in self._children.items()}

    def collect(self, names: list[str]) -> dict[str, Any]:
        """The results of the children of ``names`` (None for a child that failed)."""
        import pickle

        results: dict[str, Any] = {}
        for name in names:
            pid, _, from_child = self._children.pop(name)
            raw = _read_all(from_child)
            os.close(from_child)
            _, status = os.waitpid(pid, 0)
            result = None
            if status == 0 and raw:
                with contextlib.suppress(Exception):
                    result = pickle.loads(raw)
            results[name] = result
        return results

    def close(self) -> None:
        """Stop and reap every child still running (a build interrupted or with nothing to do)."""
        import signal

        for pid, to_child, from_child in self._children.values():
            for fd in (to_child, from_child):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
        self._children = {}


def _edition_child(name: str, from_parent: int, to_parent: int, preload: Callable[[str], None],
                   render: Callable[..., Any]) -> None:  # pragma: no cover - child
    import pickle
    import signal

    code = 70
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent cleans up; a child just stops
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with contextlib.suppress(OSError):  # yield the CPU to the parent's normalising first
            os.nice(5)
        with contextlib.suppress(Exception):
            preload(name)
        raw = _read_all(from_parent)
        if raw:
            _write_all(to_parent, pickle.dumps(render(name, *pickle.loads(raw)),
                                               protocol=pickle.HIGHEST_PROTOCOL))
        code = 0
    finally:
        os._exit(code)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)
