"""The installed `publish` command, driven the way a user drives it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from pipeline.yamlio import load_document, loads

PUBLISH = str(Path(sys.executable).parent / "publish")
ARTICLE = ROOT / "source" / "article.txt"

SMALL = """\
format: 1
meta: {title: 標題, lang: zh-Hant}
blocks:
- {type: heading, level: 1, text: 小節}
- {type: paragraph, text: 正文，一段。}
"""


def publish(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([PUBLISH, *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "source").mkdir()
    shutil.copy(ARTICLE, tmp_path / "source" / "article.txt")
    return tmp_path


def test_publish_all_builds_every_edition_of_the_source_folder(project: Path) -> None:
    run = publish("all", cwd=project)
    assert run.returncode == 0, run.stderr
    out = project / "outputs"
    for suffix in (".yaml", ".pdf", ".epub", ".docx"):
        assert (out / f"article{suffix}").stat().st_size > 1000
        assert f"outputs/article{suffix}" in run.stdout
    assert (out / "SHA256SUMS").read_text().count("  article.") == 4
    doc = load_document(out / "article.yaml")
    assert doc.meta.title == "鹽田“四個堅持”為抗疫提供組織保證"
    assert loads((out / "article.yaml").read_text("utf-8")) == doc
    assert "Traceback" not in run.stderr


def test_a_single_edition_command_writes_only_that_edition(project: Path) -> None:
    run = publish("pdf", cwd=project)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (project / "outputs").iterdir() if not p.name.startswith(".")) == [
        "SHA256SUMS", "article.pdf", "article.yaml"]


def test_writers_lists_the_builtins() -> None:
    run = subprocess.run([PUBLISH, "writers"], capture_output=True, text=True, check=True)
    assert [line.split()[0] for line in run.stdout.splitlines()][:3] == ["pdf", "epub", "docx"]


def test_version_and_usage_errors(tmp_path: Path) -> None:
    from pipeline import __version__

    assert publish("--version", cwd=tmp_path).stdout.strip().endswith(__version__)
    run = publish("all", "--page-size", "A3", cwd=tmp_path)
    assert run.returncode == 2 and "A3" in run.stderr


def test_misspelt_block_type_fails_naming_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SMALL.replace("type: heading", "type: heding"), "utf-8")
    run = publish("all", "a.yaml", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr.strip() == (
        "error: a.yaml:4:10: blocks[0].type: 'heding' is not one of heading, paragraph, caption, list, quote")


def test_a_failed_build_keeps_the_earlier_editions(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SMALL, "utf-8")
    assert publish("all", "a.yaml", cwd=tmp_path).returncode == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "outputs").glob("[!.]*")}
    (tmp_path / "a.yaml").write_text(SMALL.replace("lang: zh-Hant", "lang: 1"), "utf-8")
    run = publish("all", "a.yaml", "--force", cwd=tmp_path)
    assert run.returncode == 1 and "a.yaml:2:" in run.stderr
    after = {p.name: p.read_bytes() for p in (tmp_path / "outputs").glob("[!.]*")}
    assert after == before


def test_one_bad_source_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "good.yaml").write_text(SMALL, "utf-8")
    (tmp_path / "src" / "bad.yaml").write_text("format: 1\nmeta: {}\nblocks: []\n", "utf-8")
    run = publish("epub", "src", cwd=tmp_path)
    assert run.returncode == 1
    assert (tmp_path / "outputs" / "good.epub").is_file()
    assert not (tmp_path / "outputs" / "bad.epub").exists()
    assert "src/bad.yaml:2:7: meta: missing required key" in run.stderr


def test_unchanged_editions_are_not_rebuilt_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SMALL, "utf-8")
    assert publish("docx", "a.yaml", cwd=tmp_path).returncode == 0
    again = publish("docx", "a.yaml", cwd=tmp_path)
    assert "unchanged" in again.stdout
    forced = publish("docx", "a.yaml", "--force", cwd=tmp_path)
    assert "unchanged" not in forced.stdout and " s\n" in forced.stdout


def test_a_yaml_beside_the_text_is_the_source_of_truth(project: Path) -> None:
    edited = SMALL.replace("標題", "編輯過的標題")
    (project / "source" / "article.yaml").write_text(edited, "utf-8")
    run = publish("pdf", cwd=project)
    assert run.returncode == 0, run.stderr
    assert "source/article.yaml is the source of truth; source/article.txt is not normalised again" in run.stderr
    assert load_document(project / "outputs" / "article.yaml").meta.title == "編輯過的標題"


def test_two_sources_with_the_same_name_are_an_error(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.yaml").write_text(SMALL, "utf-8")
    run = publish("all", "a", "b", cwd=tmp_path)
    assert run.returncode == 1
    assert "b/x.yaml: another source is also named 'x'" in run.stderr
    assert not (tmp_path / "outputs").exists()


def test_sidecar_metadata_and_flags_override_detection(project: Path) -> None:
    (project / "source" / "article.meta.yaml").write_text("author: 鹽田區委組織部\ndate: 2020-03-27\n", "utf-8")
    run = publish("normalize", "source/article.txt", "--meta", "publisher=深圳特區報", cwd=project)
    assert run.returncode == 0, run.stderr
    meta = loads(run.stdout).meta
    assert (meta.author, meta.date, meta.publisher) == ("鹽田區委組織部", "2020-03-27", "深圳特區報")


def test_settings_come_from_pyproject_and_bad_ones_are_listed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.publish]\npage-size = "A3"\nquotes = "fancy"\n')
    (tmp_path / "a.yaml").write_text(SMALL, "utf-8")
    run = publish("pdf", "a.yaml", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        f"error: {tmp_path / 'pyproject.toml'}: tool.publish.page-size: 'A3' is not one of A4, A5, B5, Letter",
        f"error: {tmp_path / 'pyproject.toml'}: tool.publish.quotes: 'fancy' is not one of keep, corner",
    ]


def test_normalize_writes_yaml_to_stdout_or_a_file(project: Path) -> None:
    run = publish("normalize", "source/article.txt", cwd=project)
    assert run.returncode == 0, run.stderr
    doc = loads(run.stdout)
    assert doc.meta.lang == "zh-Hant"
    assert publish("normalize", "source/article.txt", "-o", "x/a.yaml", cwd=project).returncode == 0
    assert load_document(project / "x" / "a.yaml") == doc


@pytest.mark.parametrize(("args", "says"), [
    (["--lang", "zz!!"], "meta.lang: 'zz!!' is not a BCP 47 language tag"),
    (["--meta", "date=yesterday"], "meta.date: 'yesterday' is not an ISO 8601 date"),
    (["--meta", "colour=red"], "meta.colour: unknown key 'colour'"),
    (["--font", "bogus=/etc/hostname"], "unknown font role 'bogus'"),
    (["--font", "body=/nonexistent.ttf"], "font file '/nonexistent.ttf' does not exist"),
])
def test_bad_flag_values_are_usage_errors(tmp_path: Path, args: list[str], says: str) -> None:
    (tmp_path / "a.yaml").write_text(SMALL, "utf-8")
    run = publish("pdf", "a.yaml", *args, cwd=tmp_path)
    assert run.returncode == 2 and says in run.stderr
    assert not (tmp_path / "outputs").exists()


def test_an_unusable_font_is_reported_once_not_per_edition(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.publish.fonts]\nbody = "missing.ttf"\n')
    (tmp_path / "a.yaml").write_text(SMALL, "utf-8")
    run = publish("all", "a.yaml", cwd=tmp_path)
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "missing.ttf does not exist" in errors[0]


def test_quiet_and_verbose_work_after_the_subcommand(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SMALL, "utf-8")
    run = publish("pdf", "a.yaml", "-q", cwd=tmp_path)
    assert run.returncode == 0 and run.stdout == ""


def test_a_replaced_image_rebuilds_the_editions_that_show_it(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (40, 20), (200, 30, 30)).save(tmp_path / "p.png")
    (tmp_path / "a.yaml").write_text(SMALL + "- {type: caption, text: 圖說, image: p.png}\n", "utf-8")
    assert publish("pdf", "a.yaml", cwd=tmp_path).returncode == 0
    Image.new("RGB", (40, 20), (30, 30, 200)).save(tmp_path / "p.png")
    again = publish("pdf", "a.yaml", cwd=tmp_path)
    assert again.returncode == 0 and "unchanged" not in again.stdout


# --- what a build prints is progress; where it goes may close or fill up ----------------------------


def publish_to(stdout, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`publish ARGS > stdout`: a pipe whose reader is gone, /dev/full..."""
    return subprocess.run([PUBLISH, *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True,
                          timeout=600)


@pytest.fixture
def closed_pipe():
    """The write end of a pipe whose reader has already gone (`| head -0`, deterministically)."""
    read, write = os.pipe()
    os.close(read)
    yield write
    os.close(write)


def test_a_closed_standard_output_does_not_stop_a_build(tmp_path: Path, closed_pipe: int) -> None:
    """`publish all -o O src | head -1`: the progress lines are lost, not the articles."""
    (tmp_path / "src").mkdir()
    for n in range(3):
        (tmp_path / "src" / f"a{n}.yaml").write_text(SMALL.replace("標題", f"標題{n}"), "utf-8")
    run = publish_to(closed_pipe, "all", "-o", "O", "src", cwd=tmp_path)
    assert (run.returncode, run.stderr) == (0, "")
    built = sorted(p.name for p in (tmp_path / "O").iterdir() if not p.name.startswith("."))
    assert built == ["SHA256SUMS"] + [f"a{n}{s}" for n in range(3) for s in (".docx", ".epub", ".pdf", ".yaml")]
    for line in (tmp_path / "O" / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((tmp_path / "O" / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("args", [["writers"], ["normalize", "a.yaml"], ["--help"], ["pdf", "--help"],
                                  ["--version"]], ids=" ".join)
def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path, closed_pipe: int,
                                                          args: list[str]) -> None:
    """`publish writers | head -0`: no message, the status a shell gives `yes | head -0` (141)."""
    (tmp_path / "a.yaml").write_text(SMALL, "utf-8")
    run = publish_to(closed_pipe, *args, cwd=tmp_path)
    assert (run.returncode, run.stderr) == (141, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_standard_output_is_a_write_error_not_an_internal_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SMALL, "utf-8")
    full = "error: standard output: cannot write: No space left on device\n"
    with open("/dev/full", "w") as out:
        for args in (["writers"], ["normalize", "a.yaml"]):
            run = publish_to(out, *args, cwd=tmp_path)
            assert (run.returncode, run.stderr) == (1, full), args
        build = publish_to(out, "epub", "a.yaml", cwd=tmp_path)
    assert (build.returncode, build.stderr) == (1, full)  # said once, and the build still finished
    assert (tmp_path / "outputs" / "a.epub").is_file()


# --- the output folder is not a source folder --------------------------------------------------------

STORY = "鹽田加快復甦\n\n三月，經過疫情大考的鹽田正在加快復甦。\n"


def test_an_output_folder_that_is_a_source_folder_is_refused(tmp_path: Path) -> None:
    """`publish all -o . .` would write story.yaml beside story.txt, and from then on the YAML is the
    source of truth: later edits to story.txt would be ignored."""
    (tmp_path / "story.txt").write_text(STORY, "utf-8")
    for out, src in ((".", "."), (str(tmp_path), "."), ("./", str(tmp_path))):
        run = publish("pdf", "-o", out, src, cwd=tmp_path)
        assert run.returncode == 2, run.stderr
        assert f"output folder '{Path(out)}' is also the source folder '{Path(src)}'" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["story.txt"]  # nothing written

    # a single file is what it names: building story.txt into its own folder reads story.txt again
    assert publish("pdf", "-o", ".", "story.txt", cwd=tmp_path).returncode == 0
    (tmp_path / "story.txt").write_text(STORY.replace("三月", "四月"), "utf-8")
    run = publish("pdf", "-o", ".", "story.txt", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "四月" in (tmp_path / "story.yaml").read_text("utf-8")
    # ...and a YAML source built into its own folder is never overwritten by its copy
    (tmp_path / "doc.yaml").write_text(SMALL, "utf-8")
    run = publish("pdf", "doc.yaml", "-o", ".", cwd=tmp_path)
    assert run.returncode == 0 and (tmp_path / "doc.pdf").is_file(), run.stderr
    assert (tmp_path / "doc.yaml").read_text("utf-8") == SMALL
    # an output folder inside the source folder is fine: subfolders are not scanned
    run = publish("pdf", "-o", "out", ".", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert publish("pdf", "-o", "out", ".", cwd=tmp_path).stdout.count("unchanged") == 2


# --- --font names the flag ---------------------------------------------------------------------------


def test_a_font_flag_that_is_not_a_font_is_the_flags_usage_error(tmp_path: Path) -> None:
    """Not a build failure blamed on pyproject.toml: the flag is wrong, and it says so before any work."""
    (tmp_path / "pyproject.toml").write_text('[tool.publish]\npage-size = "A5"\n')
    (tmp_path / "a.yaml").write_text(SMALL, "utf-8")
    (tmp_path / "notes.ttf").write_text("not a font\n")
    run = publish("pdf", "a.yaml", "--font", "body=notes.ttf", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "Invalid value for --font: font file 'notes.ttf' is not a TrueType/OpenType font" in run.stderr
    assert "pyproject" not in run.stderr
    assert not (tmp_path / "outputs").exists()


def test_settings_remember_which_fonts_came_from_flags(tmp_path: Path) -> None:
    from pipeline.settings import Settings, from_mapping

    base = from_mapping({"fonts": {"heading": "h.ttf"}}, origin=str(tmp_path / "pyproject.toml"))
    settings = base.with_flags({"body": "/fonts/b.ttf"}, page_size="A5")
    assert settings.font_origin("body") == "--font body"
    assert settings.font_origin("heading") == f"tool.publish.fonts.heading ({tmp_path / 'pyproject.toml'})"
    assert settings.replace(quotes="corner").font_origin("body") == "--font body"
    # where a font came from is not part of what an edition is built from
    assert settings.to_dict() == base.replace(fonts={"body": "/fonts/b.ttf"}, page_size="A5").to_dict()
    assert "font_origins" not in Settings().to_dict()
