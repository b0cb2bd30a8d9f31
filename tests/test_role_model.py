"""The line-role model: shipped as package data, reproducible from the committed features, and
visible to an editor (``--explain``) wherever it overrides the rules."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import pytest

from pipeline.normalise import normalise_bytes
from pipeline.normalise.roles import RoleModel, shipped

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"


def test_retraining_from_the_committed_features_gives_the_shipped_model_byte_for_byte(tmp_path) -> None:
    """training/train.py fit, from training/features.jsonl.gz and params.toml, writes exactly the
    file the package ships: the model is reproducible, not a blob."""
    sys.path.insert(0, str(ROOT))
    try:
        from training import train
    finally:
        sys.path.remove(str(ROOT))
    out = tmp_path / "rolemodel.json"
    train.write_model(train.train(train.load_features()), train.params(), out)
    shipped_bytes = resources.files("pipeline.normalise").joinpath("rolemodel.json").read_bytes()
    assert out.read_bytes() == shipped_bytes


def test_the_model_file_is_package_data_and_small() -> None:
    data = resources.files("pipeline.normalise").joinpath("rolemodel.json").read_bytes()
    assert len(data) <= 2 * 1024 * 1024
    model = RoleModel.from_dict(json.loads(data))
    assert model.weights and 0 < model.drop < 1 and model.temperature > 0
    assert model.to_dict() == json.loads(data)
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert "normalise/rolemodel.json" in pyproject


def test_importing_the_cli_does_not_read_the_model() -> None:
    """``publish --help`` pays nothing for the model: it is read on the first normalisation."""
    code = ("import sys, pipeline.cli, pipeline.normalise; "
            "print('pipeline.normalise.roles' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "False"


PORTAL_PAGE = """首頁
新聞
財經
體育
娛樂
熱門新聞
颱風逼近 氣象局發布海上警報
立法院三讀通過長照新法
台股收盤漲逾百點
高鐵春節加開班次
本土疫情升溫 專家籲打第三劑
颱風逼近 氣象局發布海上警報
記者王小明／台北報導
2021年9月10日 14:30
中央氣象局今天上午發布海上颱風警報，預計颱風中心將於明天清晨通過台灣東南部海面，各地應嚴加防範強風豪雨。
氣象局表示，颱風暴風圈正逐漸接近，東部及南部地區今晚起風雨將明顯增強，山區可能出現超大豪雨，民眾應避免前往山區及海邊。
交通部也宣布，部分航班及渡輪將停駛，請旅客出發前留意最新資訊，並提早安排行程。
地方政府已開設災害應變中心，並預先撤離低窪地區及土石流潛勢區的居民，共計約三千人。
分享
相關新聞
台東縣政府宣布明天停班停課
"""


def test_the_headline_inside_a_most_read_list_loses_the_title_to_the_one_above_the_body() -> None:
    """The failure mode of the issue: the article's own headline first inside a "most read" list wins
    the title by the rules; the model moves it to the line followed by the byline and the body."""
    data = PORTAL_PAGE.encode()
    assert normalise_bytes(data, roles=False).document.meta.lines["title"] == (7,)
    result = normalise_bytes(data)
    assert result.document.meta.lines["title"] == (12,)
    assert result.document.meta.title == "颱風逼近 氣象局發布海上警報"
    assert {d.line: d.reason for d in result.document.dropped}[7] == "boilerplate"
    assert next(d for d in result.decisions if d.line == 7).rule.startswith(
        "line-role model prefers line 12 as the headline")


def test_other_stories_headlines_the_rules_print_are_dropped_with_the_models_reading() -> None:
    """Lines 9-11 of the portal page, the rest of the "most read" list: the rules print them as
    headings; the model drops them, and says why."""
    rules = normalise_bytes(PORTAL_PAGE.encode(), roles=False).document
    assert all(any(n in b.lines for b in rules.blocks) for n in (9, 10, 11))
    result = normalise_bytes(PORTAL_PAGE.encode())
    dropped = {d.line: d.reason for d in result.document.dropped}
    assert all(dropped.get(n) == "boilerplate" for n in (9, 10, 11))
    for n in (9, 10, 11):
        decision = next(d for d in result.decisions if d.line == n)
        assert decision.rule.startswith("line-role model: boilerplate 0.")
        assert decision.model.startswith("boilerplate 0.")


def test_a_hard_wrapped_paragraph_is_read_as_the_sentence_it_is() -> None:
    """The model reads a wrapped paragraph's lines as the joined paragraph, so it keeps it."""
    body = ("The council said it would review the fares after six months of operation, and that "
            "students and shift workers would get a reduced fare from the start of the next term. ") * 3
    wrapped = textwrap.wrap(body, 60)
    text = "Ferry fares under review\n\n" + "\n".join(wrapped[:4]) + "\n\n" + "\n".join(wrapped[4:])
    doc = normalise_bytes(text.encode()).document
    assert doc == normalise_bytes(text.encode(), roles=False).document
    assert len(doc.blocks) == 2


def test_a_deck_under_the_headline_keeps_both() -> None:
    """The model likes the line above the byline as a headline, but the rules' title is no furniture:
    the headline stays the title and the deck stays under it."""
    long1 = "President Barack Obama has admitted that his failure to pass gun safety laws is his greatest frustration."
    long2 = "In an interview with the BBC, Mr Obama said it was distressing not to have made progress on the issue."
    text = ("Heatwave pushes European power prices to record highs\n\n"
            "Electricity costs soar as demand for air conditioning peaks and rivers run warm\n\n"
            f"Jane Smith in Paris\n\nTue 14 Jun 2022 13.45 BST\n\n{long1}\n\n{long2}")
    doc = normalise_bytes(text.encode()).document
    assert doc.meta.title.startswith("Heatwave")
    assert doc.blocks[0].text.startswith("Electricity costs soar")


def test_the_source_article_is_read_exactly_with_the_model() -> None:
    """The seed article: the model agrees with every decision of the rules."""
    data = (ROOT / "source" / "article.txt").read_bytes()
    assert normalise_bytes(data).document == normalise_bytes(data, roles=False).document


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if (p / "input.txt").exists()))
def test_every_line_has_the_models_reading_in_explain(case: str) -> None:
    data = (CASES / case / "input.txt").read_bytes()
    result = normalise_bytes(data)
    text_lines = {n for n, line in enumerate(data.decode("utf-8-sig").splitlines(), 1) if line.strip()}
    explained = {d.line for d in result.decisions if d.model}
    assert explained and explained <= text_lines
    for d in result.decisions:
        if d.model:
            role, rest = d.model.split(" ", 1)
            assert role in ("title", "article", "boilerplate")
            assert 0.0 <= float(rest.split(":")[0]) <= 1.0


def test_explain_prints_the_model_line(tmp_path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    src = tmp_path / "a.txt"
    src.write_bytes(PORTAL_PAGE.encode())
    out = CliRunner().invoke(main, ["normalize", str(src), "--explain"])
    assert out.exit_code == 0, out.output
    assert "a.txt:9: drop boilerplate       line-role model: boilerplate 0." in out.output
    assert "    model: boilerplate 0." in out.output


def test_the_shipped_model_is_read_once() -> None:
    assert shipped() is shipped()


def test_line_roles_rules_turns_the_model_off_from_the_flag_and_the_settings(tmp_path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    src = tmp_path / "source" / "portal.txt"
    src.parent.mkdir()
    src.write_bytes(PORTAL_PAGE.encode())
    runner = CliRunner()
    with_model = runner.invoke(main, ["normalize", str(src)])
    rules = runner.invoke(main, ["normalize", str(src), "--line-roles", "rules"])
    assert with_model.exit_code == rules.exit_code == 0
    assert "reason: boilerplate" in with_model.output and "reason: boilerplate" not in rules.output
    (tmp_path / "pyproject.toml").write_text('[tool.publish]\nline-roles = "none"\n', "utf-8")
    bad = subprocess.run([sys.executable, "-m", "pipeline", "all"], cwd=tmp_path, capture_output=True,
                         text=True)
    assert bad.returncode != 0
    assert "tool.publish.line-roles: 'none' is not one of model, rules" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_the_model_setting_leaves_the_pdf_of_an_unchanged_document_byte_identical(tmp_path) -> None:
    """--line-roles shapes the document, not its rendering: the source article (which the model
    reads exactly as the rules do) gives the same PDF bytes either way."""
    import os

    src = tmp_path / "source"
    src.mkdir()
    (src / "article.txt").write_bytes((ROOT / "source" / "article.txt").read_bytes())
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1585267200", "PUBLISH_FONT_CACHE": str(tmp_path / "cache")}
    outs = []
    for choice in ("model", "rules"):
        out = tmp_path / choice
        subprocess.run([sys.executable, "-m", "pipeline", "pdf", str(src), "-o", str(out), "-q",
                        "--line-roles", choice], check=True, env=env, capture_output=True)
        outs.append((out / "article.pdf").read_bytes())
    assert outs[0] == outs[1]
