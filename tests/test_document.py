"""The YAML form: round-trips, stable dumps, and every mistake reported at its line and column."""

from __future__ import annotations

import json
import time

import jsonschema
import pytest
from hypothesis import given, settings
from strategies import documents

from pipeline.model import Document, Heading, Meta, Paragraph
from pipeline.yamlio import DocumentError, dump_document, load_document, loads, schema, schema_path

GOOD = """\
format: 1
meta:
  title: 鹽田“四個堅持”
  lang: zh-Hant
  date: 2020-03-26
blocks:
- type: heading
  level: 1
  text: 堅持突出黨委領導核心作用
- type: paragraph
  text: 疫情就是命令，防控就是責任。
"""


@settings(max_examples=150, deadline=None)
@given(documents)
def test_dump_then_load_gives_an_equal_document(doc: Document) -> None:
    assert loads(dump_document(doc)) == doc


@settings(max_examples=50, deadline=None)
@given(documents)
def test_dumps_validate_against_the_shipped_schema(doc: Document) -> None:
    import yaml

    jsonschema.Draft202012Validator(schema()).validate(yaml.safe_load(dump_document(doc)))


def test_dump_is_stable_and_keeps_cjk_as_characters(sample_document: Document) -> None:
    first = dump_document(sample_document)
    assert first == dump_document(Document.from_dict(sample_document.to_dict()))
    assert "鹽田“四個堅持”" in first and "\\u" not in first


def test_dates_written_by_hand_stay_strings() -> None:
    assert loads(GOOD).meta.date == "2020-03-26"


def test_schema_ships_with_the_package() -> None:
    assert schema_path().is_file()
    assert json.loads(schema_path().read_text("utf-8"))["properties"]["format"]["const"] == 1


def test_misspelt_block_type_names_file_line_and_field(tmp_path) -> None:
    path = tmp_path / "article.yaml"
    path.write_text(GOOD.replace("type: heading", "type: heding"), "utf-8")
    with pytest.raises(DocumentError) as err:
        load_document(path)
    assert err.value.problems == [
        f"{path}:7:9: blocks[0].type: 'heding' is not one of heading, paragraph, caption, list, quote"
    ]


def test_every_problem_is_reported_once_each() -> None:
    bad = GOOD.replace("  lang: zh-Hant\n", "  lnag: zh-Hant\n").replace("level: 1", "level: 7")
    bad += "- type: list\n  items: []\n- type: quote\n"
    with pytest.raises(DocumentError) as err:
        loads(bad, "a.yaml")
    problems = err.value.problems
    assert "a.yaml:3:3: meta: missing required key 'lang'" in problems
    assert any(p.startswith("a.yaml:4:3: meta.lnag: unknown key 'lnag'") for p in problems)
    assert "a.yaml:8:10: blocks[0].level: 7 is not one of 1, 2" in problems
    assert "a.yaml:13:10: blocks[2].items: must not be empty" in problems
    assert "a.yaml:14:3: blocks[3]: missing required key 'text'" in problems
    assert len(problems) == 5


def test_duplicate_keys_are_errors() -> None:
    with pytest.raises(DocumentError) as err:
        loads(GOOD.replace("  lang: zh-Hant\n", "  lang: zh-Hant\n  lang: en\n"), "d.yaml")
    assert err.value.problems == ["d.yaml:5:3: meta.lang: duplicate key 'lang'"]


def test_syntax_errors_give_line_and_column() -> None:
    with pytest.raises(DocumentError) as err:
        loads("format: 1\nmeta: [title\n", "s.yaml")
    assert err.value.problems[0].startswith("s.yaml:3:1: YAML syntax error:")


def test_a_format_from_the_future_is_a_clear_error() -> None:
    with pytest.raises(DocumentError) as err:
        loads(GOOD.replace("format: 1", "format: 2"), "f.yaml")
    assert err.value.problems == [
        "f.yaml:1:9: format: format 2 is newer than this publish supports (1); upgrade publish"
    ]


def test_alias_bombs_are_refused_fast() -> None:
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    started = time.perf_counter()
    with pytest.raises(DocumentError, match="alias expansions"):
        loads(bomb, "bomb.yaml")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("text", [
    "!!python/object/apply:os.system ['echo hacked']\n",
    "format: !!python/name:os.system 1\n",
    "format: 1\nmeta: !custom {title: x, lang: en}\nblocks: []\n",
])
def test_no_python_object_can_be_built(text: str) -> None:
    with pytest.raises(DocumentError, match="is not allowed"):
        loads(text, "evil.yaml")


def test_wrong_types_and_non_utf8_files(tmp_path) -> None:
    with pytest.raises(DocumentError, match=r"blocks\[1\].text: 2020 is not of type string"):
        loads(GOOD.replace("text: 疫情就是命令，防控就是責任。", "text: 2020"), "t.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.encode("utf-8").replace("title: 鹽田".encode(), b"title: \xe9"))
    with pytest.raises(DocumentError, match="not UTF-8"):
        load_document(path)


def test_texts_lists_everything_a_font_must_cover() -> None:
    doc = Document(meta=Meta(title="標題", lang="zh-Hant", byline="記者"),
                   blocks=(Heading(text="小節"), Paragraph(text="正文", runin="頭。")))
    assert doc.texts() == ["標題", "記者", "小節", "正文", "頭。"]
