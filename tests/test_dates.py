"""Dates are real calendar dates: ``2020-13-45``, ``2020-02-30`` or ``T25:00`` are refused on
load, in a sidecar and in ``--meta``, one line naming the file, line and column; every date that
loads reaches the EPUB's ``dc:date``."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipeline.model import Document, Meta, Paragraph
from pipeline.yamlio import DocumentError, loads

PUBLISH = str(Path(sys.executable).parent / "publish")
ARTICLE = "鹽田四個堅持\n\n正文第一段，內容說明了鹽田區在疫情期間如何堅持黨委領導，並且加快復工復產。\n"
IMPOSSIBLE = ["2020-13-45", "2020-02-30", "2019-02-29", "2020-00", "2020-04-31",
              "2020-03-26T25:00", "2020-03-26 23:60", "2020-03-26T08:42:61", "2020-03-26T08:42+25:00"]
REAL = ["2020", "2020-03", "2020-02-29", "2020-03-26", "2020-03-26T23:59", "2020-03-26 08:42:59",
        "2020-03-26T08:42Z", "2020-03-26T08:42+08:00", "2020-03-26T08:42-0530"]


def document(date: str) -> str:
    return f"format: 1\nmeta:\n  title: 標題\n  lang: zh-Hant\n  date: '{date}'\nblocks:\n" \
           "- {type: paragraph, text: 正文。}\n"


@pytest.mark.parametrize("date", IMPOSSIBLE)
def test_an_impossible_date_is_refused_at_its_line_and_column(date: str) -> None:
    with pytest.raises(DocumentError) as exc:
        loads(document(date), "article.yaml")
    assert exc.value.problems == [
        f"article.yaml:5:9: meta.date: {date!r} is not a real date: " + exc.value.problems[0].split(": ")[-1]]
    assert re.search(r"no (month|day|hour|minute|second|time-zone)", exc.value.problems[0])


@pytest.mark.parametrize("date", REAL)
def test_every_real_date_loads_and_reaches_the_epub(date: str) -> None:
    from pipeline.writers import RenderOptions
    from pipeline.writers.epub import EpubWriter

    assert loads(document(date)).meta.date == date
    doc = Document(Meta(title="標題", lang="zh-Hant", date=date), (Paragraph("正文。"),))
    data = EpubWriter().render(doc, RenderOptions(source_date_epoch=1585267200))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        opf = z.read("EPUB/content.opf").decode()
    assert re.search(rf"<dc:date>{re.escape(date[:10])}[^<]*</dc:date>", opf), opf


def _publish(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PUBLISH, "epub", "-o", "out", *args, "src"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env={**os.environ})


def test_an_impossible_date_in_a_sidecar_is_one_line_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text(ARTICLE, "utf-8")
    (tmp_path / "src" / "a.meta.yaml").write_text("author: 記者\ndate: 2020-02-30\n", "utf-8")
    run = _publish(tmp_path)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "error: src/a.meta.yaml:2:7: date: '2020-02-30' is not a real date: 2020-02 has no day 30"]
    assert not (tmp_path / "out" / "a.epub").exists()


def test_an_impossible_date_in_meta_flag_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text(ARTICLE, "utf-8")
    run = _publish(tmp_path, "--meta", "date=2020-03-26T25:00")
    assert run.returncode == 2
    assert "meta.date: '2020-03-26T25:00' is not a real date: there is no hour 25" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_normaliser_keeps_only_a_real_time_of_day() -> None:
    from pipeline.normalise.meta import parse_date

    assert parse_date("2020年3月26日 08:42:15")[0] == "2020-03-26T08:42:15"  # type: ignore[index]
    assert parse_date("2020年3月26日 08:42:75")[0] == "2020-03-26"  # type: ignore[index]
