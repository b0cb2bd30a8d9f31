"""Writer plugins: discovered from entry points, built-ins included; conflicts refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.model import Document
from pipeline.writers import Registry, RegistryError, RenderOptions, Writer, discover


class _Txt:
    name = "txt"
    suffix = ".txt"
    description = "plain text"

    def missing_dependency(self):
        return None

    def render(self, document: Document, options: RenderOptions) -> bytes:
        return document.meta.title.encode()


def make_plugin(root: Path, name: str = "txt", module: str = "txt_writer", body: str | None = None) -> Path:
    """A third-party writer installed the way pip would: a module and a dist-info with entry points."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(body or textwrap.dedent(f"""
        class Writer:
            name = {name!r}
            suffix = ".txt"
            description = "plain text, one block a paragraph"
            def missing_dependency(self):
                return None
            def render(self, document, options):
                lines = [document.meta.title] + [getattr(b, "text", "") for b in document.blocks]
                return "\\n\\n".join(lines).encode("utf-8")
    """))
    info = root / f"{module}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[pipeline.writers]\n{name} = {module}:Writer\n")
    return root


def test_builtin_writers_come_from_entry_points_in_order() -> None:
    assert discover().names()[:3] == ["pdf", "epub", "docx"]
    for writer in discover():
        assert isinstance(writer, Writer)


def test_duplicate_and_reserved_names_are_refused() -> None:
    registry = Registry()
    registry.add(_Txt())
    with pytest.raises(RegistryError, match="two writers are named 'txt'"):
        registry.add(_Txt())
    reserved = _Txt()
    reserved.name = "check"
    with pytest.raises(RegistryError, match="reserved"):
        registry.add(reserved)


def test_a_third_party_writer_becomes_a_subcommand(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(plugin)}
    listing = subprocess.run([sys.executable, "-m", "pipeline.cli", "writers"], env=env,
                             capture_output=True, text=True, check=True).stdout
    assert "txt" in listing and "plain text" in listing
    (tmp_path / "a.yaml").write_text("format: 1\nmeta: {title: 標題, lang: zh-Hant}\nblocks:\n"
                                     "- {type: paragraph, text: 正文}\n", "utf-8")
    run = subprocess.run([sys.executable, "-m", "pipeline.cli", "txt", str(tmp_path / "a.yaml"),
                          "-o", str(tmp_path / "out")], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "a.txt").read_text("utf-8") == "標題\n\n正文"


def test_check_verifies_a_third_party_writers_editions_like_the_build_lists_them(tmp_path: Path) -> None:
    """SHA256SUMS lists every installed writer's editions, and ``publish check`` reads the same list:
    a damaged plugin edition is reported, not passed over."""
    plugin = make_plugin(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(plugin)}
    (tmp_path / "a.yaml").write_text("format: 1\nmeta: {title: 標題, lang: zh-Hant}\nblocks:\n"
                                     "- {type: paragraph, text: 正文}\n", "utf-8")
    out = tmp_path / "out"
    cli = [sys.executable, "-m", "pipeline.cli"]
    run = subprocess.run([*cli, "txt", str(tmp_path / "a.yaml"), "-o", str(out)], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "a.txt" in (out / "SHA256SUMS").read_text()
    check = subprocess.run([*cli, "check", str(out)], env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    (out / "a.txt").write_text("damaged", "utf-8")
    check = subprocess.run([*cli, "check", str(out)], env=env, capture_output=True, text=True)
    assert check.returncode == 1 and "a.txt does not match its checksum" in check.stderr, check.stderr


def test_a_plugin_installed_after_a_run_is_found_by_the_next(tmp_path: Path) -> None:
    """The plugin list is cached between runs (start-up time); installing one must still show."""
    site = tmp_path / "site"
    site.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("PUBLISH_NO_PLUGIN_CACHE", None)

    def writers() -> str:
        return subprocess.run([sys.executable, "-m", "pipeline.cli", "writers"], env=env,
                              capture_output=True, text=True, check=True).stdout

    assert "txt" not in writers()
    assert list((tmp_path / "cache" / "publish" / "plugins").glob("*.json"))
    make_plugin(site)
    assert "txt" in writers()
    shutil.rmtree(site / "txt_writer-1.0.dist-info")  # uninstalled: gone again
    assert "txt" not in writers()


def test_a_plugin_clashing_with_a_builtin_is_an_error(tmp_path: Path) -> None:
    plugin = make_plugin(tmp_path / "site", name="pdf", module="fake_pdf")
    env = {**os.environ, "PYTHONPATH": str(plugin)}
    run = subprocess.run([sys.executable, "-m", "pipeline.cli", "writers"], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "two writer plugins are named 'pdf'" in run.stderr
    assert "Traceback" not in run.stderr


@given(st.text(alphabet=st.sampled_from(list("ab&<>\"'\n\r\t 中")), max_size=20))
def test_writers_xml_escaping_matches_the_standard_library(text):
    """Writers escape without importing xml.sax.saxutils (slow start-up); output must not change."""
    from xml.sax import saxutils

    from pipeline.writers import escape, quoteattr

    assert escape(text) == saxutils.escape(text)
    assert escape(text, {'"': "&quot;"}) == saxutils.escape(text, {'"': "&quot;"})
    assert quoteattr(text) == saxutils.quoteattr(text)


def test_a_plugin_removed_without_a_trace_in_folder_times_is_not_reported_broken(tmp_path: Path) -> None:
    """A cached plugin list that names a plugin no longer installed is read again, not trusted."""
    site = make_plugin(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PUBLISH_NO_PLUGIN_CACHE", None)
    cli = [sys.executable, "-m", "pipeline.cli", "writers"]
    assert "txt" in subprocess.run(cli, env=env, capture_output=True, text=True, check=True).stdout
    entry_points = site / "txt_writer-1.0.dist-info" / "entry_points.txt"
    times = {path: os.stat(path).st_mtime_ns for path in (site, entry_points)}
    (site / "txt_writer.py").unlink()  # the module gone and the entry point emptied...
    entry_points.write_text("")
    for path, ns in times.items():  # ...with every time as it was (a coarse or frozen clock)
        os.utime(path, ns=(ns, ns))
    run = subprocess.run(cli, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "txt" not in run.stdout.split()
