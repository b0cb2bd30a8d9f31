"""The line-role model: shipped as package data, reproducible from the committed features, and
visible to an editor (``--explain``) wherever it overrides the rules."""

from __future__ import annotations

import json
import subprocess
import sys
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


def test_a_teaser_after_the_article_is_dropped_by_the_model_with_its_reading() -> None:
    """en-tw_eyeontaiwan: the rules printed another story's headline (line 27) as a caption."""
    data = (CASES / "en-tw_eyeontaiwan_mrt" / "input.txt").read_bytes()
    rules = normalise_bytes(data, roles=False).document
    model = normalise_bytes(data)
    assert any(27 in b.lines for b in rules.blocks)
    assert not any(27 in b.lines for b in model.document.blocks)
    dropped = {d.line: d.reason for d in model.document.dropped}
    assert dropped[27] == "boilerplate"
    decision = next(d for d in model.decisions if d.line == 27)
    assert decision.rule.startswith("line-role model: boilerplate 0.")
    assert decision.model.startswith("boilerplate")


def test_a_series_label_loses_the_title_to_the_headline_above_the_body() -> None:
    """zh-hant-tw_twreporter: the first line is the series name; the headline is line 5."""
    data = (CASES / "zh-hant-tw_twreporter_drugs" / "input.txt").read_bytes()
    assert normalise_bytes(data, roles=False).document.meta.lines["title"] == (1,)
    doc = normalise_bytes(data).document
    assert doc.meta.title == "有績效、沒成效？緝毒政策為何變成刑警和施用者的夢魘"
    assert doc.meta.lines["title"] == (5,)
    assert any(d.line == 1 for d in doc.dropped)


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
    src.write_bytes((CASES / "en-tw_eyeontaiwan_mrt" / "input.txt").read_bytes())
    out = CliRunner().invoke(main, ["normalize", str(src), "--explain"])
    assert out.exit_code == 0, out.output
    assert "a.txt:27: drop boilerplate" in out.output
    assert "    model: boilerplate 0." in out.output


def test_the_shipped_model_is_read_once() -> None:
    assert shipped() is shipped()
