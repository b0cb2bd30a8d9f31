"""Fault injection: whatever one thing is damaged between two builds, the next ``publish all`` (no
--force) leaves every edition byte-identical to a clean build's.

Twenty rounds with fixed seeds, under SOURCE_DATE_EPOCH, on three small corpus articles: each round
damages one thing (an edition: bytes flipped, truncated, deleted, flipped with its mtime put back; a
font-cache entry in ``subsets/`` or ``artifacts/``, or the glyph store; the manifest; its journal
or stamp cache; ``SHA256SUMS``), builds again, and compares the folder with the clean build. A round
that damages the font cache builds into an emptied output folder, so that the cache is read (and
one that damages the glyph store empties ``subsets/`` too, so that the glyphs are read). Every
round runs even when one fails; a failed round's folder and cache are put back to the clean ones,
so each failure is reported once, as ``round N (seed S, what was damaged): which editions differ``.
``publish check`` (EPUBCheck included) runs once at the end.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CASES, require_java
from test_bad_inputs import PUBLISH

from pipeline.outdir import JOURNAL_NAME, MANIFEST_NAME, SUMS_CACHE_NAME, SUMS_NAME

ARTICLES = ("en_synthetic_cnn", "zh-hant-hk_rthk_1807636", "zh-hans-cn_synthetic_thepaper")
ROUNDS = 20
EPOCH = "1585267200"
EDITION_SUFFIXES = (".yaml", ".pdf", ".epub", ".docx")


def run(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PUBLISH_FONT_CACHE": str(cache)}
    return subprocess.run([PUBLISH, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def visible(folder: Path) -> dict[str, bytes]:
    """The editions and SHA256SUMS: what a reader downloads."""
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


# --- ways to damage a file ----------------------------------------------------------------------------


def flip(path: Path, rng: random.Random) -> str:
    data = bytearray(path.read_bytes())
    if not data:
        path.write_bytes(b"\xff")
        return "a byte added to an empty file"
    offsets = sorted({rng.randrange(len(data)) for _ in range(rng.randint(1, 8))})
    for offset in offsets:
        data[offset] ^= rng.randint(1, 255)
    with open(path, "r+b") as fh:  # in place: same inode, same size
        fh.write(data)
    return f"{len(offsets)} byte(s) flipped at {offsets[:3]}"


def flip_keep_mtime(path: Path, rng: random.Random) -> str:
    st = path.stat()
    done = flip(path, rng)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    return done + ", mtime put back"


def truncate(path: Path, rng: random.Random) -> str:
    size = rng.randrange(path.stat().st_size) if path.stat().st_size else 0
    os.truncate(path, size)
    return f"truncated to {size} bytes"


def delete(path: Path, rng: random.Random) -> str:  # noqa: ARG001
    path.unlink()
    return "deleted"


def garbage(path: Path, rng: random.Random) -> str:
    path.write_bytes(bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))))
    return "replaced by random bytes"


def torn_record(path: Path, rng: random.Random) -> str:  # noqa: ARG001
    with open(path, "ab") as fh:  # a build SIGKILLed while recording an edition
        fh.write(b'\n{"key": "0000", "name": "')
    return "a torn record appended"


Damage = Callable[[Path, random.Random], str]

# what a round may damage: the files it picks from, and the ways to damage one
TARGETS: dict[str, tuple[Callable[[Path, Path], list[Path]], tuple[Damage, ...]]] = {
    "edition": (lambda out, cache: [p for p in sorted(out.iterdir()) if p.suffix in EDITION_SUFFIXES],
                (flip, flip_keep_mtime, truncate, delete)),
    "font-cache subset": (lambda out, cache: sorted((cache / "subsets").glob("*.ttf")), (flip, truncate, garbage)),
    "font-cache artifact": (lambda out, cache: sorted((cache / "artifacts").glob("*.bin")), (flip, truncate, garbage)),
    "glyph store": (lambda out, cache: sorted(cache.glob("glyphs-*.sqlite*")), (flip, truncate)),
    "manifest": (lambda out, cache: [out / MANIFEST_NAME], (flip, truncate, delete, garbage)),
    # the journal exists between builds only when one was killed
    "journal": (lambda out, cache: [out / JOURNAL_NAME], (torn_record, garbage)),
    "stamp cache": (lambda out, cache: [out / SUMS_CACHE_NAME], (flip, truncate, delete, garbage)),
    SUMS_NAME: (lambda out, cache: [out / SUMS_NAME], (flip, truncate, delete)),
}
#: the first rounds take these in turn (editions twice as often), the rest choose at random
SCHEDULE = ("edition", "font-cache subset", "font-cache artifact", "glyph store", "edition", "manifest",
            "journal", "stamp cache", SUMS_NAME)
CACHE_KINDS = ("font-cache subset", "font-cache artifact", "glyph store")


def damage_one(round_: int, out: Path, cache: Path) -> tuple[str, str]:
    """Damage one thing, chosen by this round's seed: ``(what was done, kind)``."""
    rng = random.Random(1000 + round_)
    kind = SCHEDULE[round_ % len(SCHEDULE)] if round_ < 2 * len(SCHEDULE) else rng.choice(SCHEDULE)
    candidates, ways = TARGETS[kind]
    files = candidates(out, cache)
    if kind == "journal":
        files[0].touch()
    assert files, f"round {round_}: nothing to damage for {kind} (the clean build made none?)"
    target = rng.choice(files)
    done = rng.choice(ways)(target, rng)
    where = target.relative_to(cache.parent) if kind in CACHE_KINDS else target.name
    return f"{kind} {where}: {done}", kind


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One clean build with a fresh font cache: the bytes every round must give back."""
    root = tmp_path_factory.mktemp("fault")
    (root / "src").mkdir()
    for case in ARTICLES:
        shutil.copyfile(CASES / case / "input.txt", root / "src" / f"{case}.txt")
    built = run("all", "src", "-o", "out", cwd=root, cache=root / "cache")
    assert built.returncode == 0, built.stderr
    return root


def test_every_damage_is_repaired_by_the_next_build(clean: Path, tmp_path: Path) -> None:
    require_java()
    reference = visible(clean / "out")
    assert len(reference) == 4 * len(ARTICLES) + 1
    work = tmp_path / "work"
    shutil.copytree(clean, work)  # a copy: new inodes, so the first round also re-reads every file
    out, cache = work / "out", work / "cache"
    failures: list[str] = []
    for round_ in range(ROUNDS):
        what, kind = damage_one(round_, out, cache)
        if kind in CACHE_KINDS:  # make the build read the cache: every edition must be made again
            shutil.rmtree(out)
        if kind == "glyph store":  # ...and every subset, from the converted glyphs
            shutil.rmtree(cache / "subsets")
        print(f"round {round_}: {what}")
        result = run("all", "src", "-o", "out", cwd=work, cache=cache)
        got = visible(out)
        wrong = sorted(name for name in reference.keys() | got.keys() if reference.get(name) != got.get(name))
        problems = []
        if result.returncode != 0 or "Traceback" in result.stderr:
            problems.append(f"publish exited {result.returncode}: {result.stderr.strip()[-600:]}")
        if wrong:
            problems.append("differ from the clean build: " + ", ".join(
                f"{name} ({'missing' if name not in got else 'extra' if name not in reference else 'other bytes'})"
                for name in wrong))
        said = "changed on disk since it was built; rebuilt" in result.stderr
        if kind == "edition" and "deleted" not in what and not said:
            problems.append(f"the build did not say it rebuilt a damaged edition: {result.stderr.strip()[-300:]}")
        if problems:
            failures.append(f"round {round_} (seed {1000 + round_}, {what}): " + "; ".join(problems))
            shutil.rmtree(out, ignore_errors=True)  # back to the clean state, so the next round stands alone
            shutil.rmtree(cache, ignore_errors=True)
            shutil.copytree(clean / "out", out)
            shutil.copytree(clean / "cache", cache)

    checked = run("check", "out", cwd=work, cache=cache)
    if checked.returncode != 0 or "EPUBCheck skipped" in checked.stderr:
        failures.append(f"publish check after round {ROUNDS - 1}: {checked.stdout}{checked.stderr}")
    assert not failures, "\n".join(failures)
