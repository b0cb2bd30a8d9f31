"""The font cache never makes a wrong edition: every entry (finished subsets, writers' artifacts,
what a font file covers, converted glyphs) is checked when read, and a damaged one is made again,
replaced and reported once as a warning; a cache folder that cannot be used is reported once and
the build goes on without it. ``publish`` is run as a user runs it, on a cache the test damages."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, require_tool

PUBLISH = str(Path(sys.executable).parent / "publish")
ARTICLE = ROOT / "source" / "article.txt"
EDITIONS = ("article.pdf", "article.epub", "article.docx")
EPOCH = "1585267200"


def publish(project: Path, cache: Path, wrap: tuple[str, ...] = ()) -> tuple[dict[str, bytes], list[str]]:
    """``publish all --force`` of the article in ``project`` with ``cache`` as the font cache (run
    through the ``wrap`` command if any): the editions' bytes and the warnings printed. The build
    must succeed."""
    source = project / "source" / "article.txt"
    if not source.exists():
        source.parent.mkdir(parents=True)
        shutil.copy(ARTICLE, source)
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PUBLISH_FONT_CACHE": str(cache)}
    run = subprocess.run([*wrap, PUBLISH, "all", "--force"], cwd=project, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    editions = {name: (project / "outputs" / name).read_bytes() for name in EDITIONS}
    return editions, [line for line in run.stderr.splitlines() if line.startswith("warning:")]


def cache_warnings(warnings: list[str]) -> list[str]:
    return [line for line in warnings if "font cache" in line]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The editions a sound cache gives (built twice: cold, then warm from the cache)."""
    where = tmp_path_factory.mktemp("clean")
    cold, _ = publish(where / "project", where / "cache")
    warm, warnings = publish(where / "project", where / "cache")
    assert warm == cold and not cache_warnings(warnings)
    return cold


@pytest.fixture
def warm_cache(tmp_path: Path, clean: dict[str, bytes]) -> Path:
    """A font cache filled by one build of the article."""
    editions, _ = publish(tmp_path / "first", tmp_path / "cache")
    assert editions == clean
    return tmp_path / "cache"


def flip(path: Path, offset: int, count: int = 50) -> None:
    data = bytearray(path.read_bytes())
    assert len(data) > offset, path
    for i in range(offset, min(offset + count, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def assert_repaired(project: Path, cache: Path, clean: dict[str, bytes], damaged: list[Path]) -> None:
    """The next build makes the clean editions and says once per damaged entry that it was
    rebuilt; the one after it has nothing to say (the entries were replaced)."""
    editions, warnings = publish(project, cache)
    assert editions == clean
    said = cache_warnings(warnings)
    for path in damaged:
        assert len([line for line in said if str(path) in line]) == 1, (path, said)
    assert all("damaged" in line for line in said), said
    editions, warnings = publish(project, cache)
    assert editions == clean and not cache_warnings(warnings)


def test_bit_rot_in_cached_subsets_is_rebuilt_and_reported_once(tmp_path, warm_cache, clean):
    damaged = sorted((warm_cache / "subsets").glob("*.ttf"))
    assert len(damaged) >= 3
    for path in damaged:
        flip(path, 2048)
    assert_repaired(tmp_path / "again", warm_cache, clean, damaged)


def test_truncated_artifacts_are_rebuilt_not_shipped(tmp_path, warm_cache, clean):
    damaged = sorted((warm_cache / "artifacts").iterdir())
    assert damaged  # the EPUB's cover image
    for path in damaged:
        path.write_bytes(path.read_bytes()[:7])
    assert_repaired(tmp_path / "again", warm_cache, clean, damaged)


def test_a_damaged_record_of_what_a_font_covers_is_not_believed(tmp_path, warm_cache, clean):
    """``sources/*.json`` names a font file's family and characters: a changed letter is still
    valid JSON, and would rename every face made from it."""
    damaged = sorted((warm_cache / "sources").glob("*.json"))
    assert damaged
    for path in damaged:
        data = path.read_bytes()
        at = data.index(b'"family": "') + len(b'"family": "')
        path.write_bytes(data[:at] + (b"X" if data[at:at + 1] != b"X" else b"Y") + data[at + 1:])
    shutil.rmtree(warm_cache / "subsets")  # the faces are made again from what is recorded
    assert_repaired(tmp_path / "again", warm_cache, clean, damaged)


def test_damaged_glyphs_in_the_glyph_store_are_drawn_again(tmp_path, warm_cache, clean):
    (store,) = warm_cache.glob("glyphs-*.sqlite")
    db = sqlite3.connect(store)
    changed = db.execute("UPDATE glyphs SET data = CAST(substr(data, 1, 10) || X'7F7F' || substr(data, 13)"
                         " AS BLOB) WHERE length(data) > 12").rowcount
    db.commit()
    db.close()
    assert changed > 100
    shutil.rmtree(warm_cache / "subsets")  # the faces are assembled from the store again
    editions, warnings = publish(tmp_path / "again", warm_cache)
    assert editions == clean
    said = cache_warnings(warnings)
    assert len(said) == 1 and str(store) in said[0] and "damaged glyphs" in said[0], said
    shutil.rmtree(warm_cache / "subsets")
    editions, warnings = publish(tmp_path / "again", warm_cache)  # the rows were replaced
    assert editions == clean and not cache_warnings(warnings)


def test_a_damaged_glyph_store_file_is_replaced_and_reported(tmp_path, warm_cache, clean):
    (store,) = warm_cache.glob("glyphs-*.sqlite")
    store.write_bytes(b"not a database" * 1000)
    shutil.rmtree(warm_cache / "subsets")
    editions, warnings = publish(tmp_path / "again", warm_cache)
    assert editions == clean
    said = cache_warnings(warnings)
    assert len(said) == 1 and str(store) in said[0] and "damaged" in said[0], said


def test_a_cache_folder_that_is_a_file_is_reported_once(tmp_path, clean):
    cache = tmp_path / "cache"
    cache.write_text("not a folder")
    editions, warnings = publish(tmp_path / "project", cache)
    assert editions == clean  # built without a cache, the same bytes
    said = cache_warnings(warnings)
    assert len(said) == 1 and f"{cache} cannot be used" in said[0], warnings
    assert cache.read_text() == "not a folder"


def test_a_read_only_cache_folder_is_reported_once(tmp_path, clean):
    cache = tmp_path / "cache"
    cache.mkdir()
    wrap: tuple[str, ...] = ()
    if os.geteuid() == 0:  # root writes anywhere: a read-only mount, in a mount namespace of its own
        mount = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"'
        wrap = (require_tool("unshare"), "-m", "sh", "-c", mount + ' && exec "$@"', str(cache))
        if subprocess.run([*wrap, "true"], capture_output=True, timeout=60).returncode != 0:
            pytest.skip("needs a read-only folder: root may not mount one here")
    else:
        cache.chmod(0o500)
    try:
        editions, warnings = publish(tmp_path / "project", cache, wrap)
    finally:
        cache.chmod(0o700)
    assert editions == clean
    said = cache_warnings(warnings)
    assert len(said) == 1 and f"{cache} cannot be used" in said[0], warnings
