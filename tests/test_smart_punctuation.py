"""Typographic punctuation for Latin-script text (pipeline/normalise/smart.py): quotes by language,
apostrophes, primes, dashes, ellipses; what is never touched; idempotence; the setting and flag that
keep the source's characters; ``--explain``; and line breaking of the curly marks in PDFs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CASES
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.model import Document
from pipeline.normalise import normalise_bytes, normalise_text
from pipeline.normalise.punctuation import Repairs
from pipeline.normalise.smart import guess_language, smarten, style_for
from pipeline.settings import SettingsError, from_mapping

PUBLISH = str(Path(sys.executable).parent / "publish")
BBC = CASES / "en_bbc_33646704" / "input.txt"
NNBSP = "\u202f"


def smart(text: str, lang: str = "en") -> str:
    return smarten(text, lang, Repairs())


# ------------------------------------------------------------------------------------ English

ENGLISH_CASES = [
    # opening and closing by the neighbours
    ('"Hello," she said.', "“Hello,” she said."),
    ("his 'biggest frustration'", "his ‘biggest frustration’"),
    ('("quoted")', "(“quoted”)"),
    ('he said—"no"', "he said—“no”"),
    ('said,"I agree"', "said,“I agree”"),
    ('"Are you sure?" "Yes."', "“Are you sure?” “Yes.”"),
    # nested quotes
    ("\"He said 'don't' to me\"", "“He said ‘don’t’ to me”"),
    ("\"I heard 'it's over,' he said\"", "“I heard ‘it’s over,’ he said”"),
    # apostrophes
    ("don't, it's, o'clock, O'Brien", "don’t, it’s, o’clock, O’Brien"),
    ("rock 'n' roll", "rock ’n’ roll"),
    ("the '90s and class of '92", "the ’90s and class of ’92"),
    ("'tis the season, 'twas late, get 'em", "’tis the season, ’twas late, get ’em"),
    ("the Joneses' house", "the Joneses’ house"),
    ("in the 1990's", "in the 1990’s"),
    # primes after digits, as Typst; a quotation ending in a number still closes
    ("He is 5'10\" tall", "He is 5′10″ tall"),
    ('a 12" pizza', "a 12″ pizza"),
    ('"since 2009" he said', "“since 2009” he said"),
    ("'in 1999'", "‘in 1999’"),
    # dashes
    ("pages 10--20", "pages 10–20"),
    ("he paused--then went on", "he paused–then went on"),
    ("yes --- no", "yes — no"),
    ("a---b", "a—b"),
    ("run foo --help or --no-cache", "run foo --help or --no-cache"),
    ("---- and -----", "---- and -----"),
    ("<!-- note --> and a <-- b --> c", "<!-- note --> and a <-- b --> c"),
    ("a well-known state-of-the-art idea", "a well-known state-of-the-art idea"),
    # ellipses
    ("Wait... what?", "Wait… what?"),
    ("and so on...", "and so on…"),
    ("four.... dots", "four.... dots"),
    ("see ../up and .../x", "see ../up and .../x"),
]


@pytest.mark.parametrize(("text", "want"), ENGLISH_CASES)
def test_english(text: str, want: str) -> None:
    assert smart(text) == want
    assert smart(want) == want  # idempotent


def test_other_latin_languages_use_english_quotes() -> None:
    for lang in ("en-GB", "nl", "es", "it", "pt-BR"):
        assert smart("\"Hola\" y 'adiós'", lang) == "“Hola” y ‘adiós’"


# ------------------------------------------------------------------------------------ French, German

@pytest.mark.parametrize(("text", "want"), [
    ('Il a dit "Bonjour" hier.', f"Il a dit «{NNBSP}Bonjour{NNBSP}» hier."),
    ('Il a dit " Bonjour " hier.', f"Il a dit «{NNBSP}Bonjour{NNBSP}» hier."),
    ('" Bonjour ".', f"«{NNBSP}Bonjour{NNBSP}»."),
    ("\"Il m'a dit 'non'\"", f"«{NNBSP}Il m’a dit “non”{NNBSP}»"),
    ("l'homme, aujourd'hui", "l’homme, aujourd’hui"),
])
def test_french(text: str, want: str) -> None:
    assert smart(text, "fr") == want
    assert smart(want, "fr") == want


@pytest.mark.parametrize(("lang", "text", "want"), [
    ("de", "Er sagte \"Hallo 'du' da\" und geht's", "Er sagte „Hallo ‚du‘ da“ und geht’s"),
    ("de-AT", '"Servus"', "„Servus“"),
    ("de-CH", "\"Grüezi 'mitenand'\"", "«Grüezi ‹mitenand›»"),
])
def test_german(lang: str, text: str, want: str) -> None:
    assert smart(text, lang) == want
    assert smart(want, lang) == want


def test_style_for_and_guess_language() -> None:
    assert style_for("fr-CA").double == (f"«{NNBSP}", f"{NNBSP}»")
    assert style_for("de").double == ("„", "“")
    assert style_for("en-US").double == style_for("sv").double == ("“", "”")
    french = "Le président a dit que la situation est grave et que les élus sont dans une impasse. " * 4
    german = "Der Präsident sagte, dass die Lage ernst ist und die Regierung nicht mit dem Plan auf dem Weg ist. " * 3
    english = "The president said that the situation is grave and that it is in the hands of the people. " * 4
    assert guess_language(french) == "fr"
    assert guess_language(german) == "de"
    assert guess_language(english) == "en"
    assert guess_language("Le monde. " + english) == "en"  # a few French words do not make French
    assert guess_language("La la la.") == "en"


def test_french_document_gets_guillemets() -> None:
    body = ("Le président a dit que la situation est \"grave\" et que les élus sont dans une impasse, "
            "selon le journal qui publie ce matin une enquête sur les dépenses. ")
    doc = normalise_text(f"Un titre\n\n{body * 3}\n\n{body * 2}").document
    assert f"«{NNBSP}grave{NNBSP}»" in doc.blocks[0].text
    doc = normalise_text(f"Un titre\n\n{body * 3}", lang="en").document  # --lang wins
    assert "“grave”" in doc.blocks[0].text


# ------------------------------------------------------------------------------------ never touched

@pytest.mark.parametrize("text", [
    "see http://example.com/a--b/c...d?x='1'&y=\"2\"",
    "www.example.com/it's--here",
    "mail jane.o'neil--x@example.com",
    "&quot; &#39; &#x27; stay",
    '<a href="x" title=\'y\'> and </a>',
    "<!-- a comment -->",
    "type `it's --all` here",
    'set x="foo" and y=\'bar\'',
    "open /usr/local/it's--x or ../up...one or ~/a'b",
    "C:\\Users\\bob's\\file...txt",
    "call a::b('x') or f('y') or a->'b'",
])
def test_protected_runs_are_untouched(text: str) -> None:
    assert smart(text) == text


def test_quotes_around_protected_runs_are_still_curly() -> None:
    assert smart('"http://example.com" said the "E=mc2" man') == "“http://example.com” said the “E=mc2” man"
    assert smart("'/usr/bin' is a path") == "‘/usr/bin’ is a path"


@pytest.mark.parametrize("text", [
    '他說"好"。', "他說'好'。", '中文"', '"中文', "中文 -- 中文", "中文...中文", "中文 ... 中文",
    '他说"hello"', '"hello"他说', "日本語の'引用'です",
])
def test_marks_next_to_chinese_are_left_to_the_chinese_repair(text: str) -> None:
    assert smart(text) == text


def test_mixed_paragraph_smartens_only_the_latin_part() -> None:
    assert smart('他说"hello" then "ok"') == '他说"hello" then “ok”'


def test_chinese_documents_are_left_alone() -> None:
    assert smart('He said "hi"...', "zh-Hant") == 'He said "hi"...'
    zh = "鹽田區委組織部召開會議，部署疫情防控工作。" * 8
    text = f"標題\n\n{zh}He said \"it's fine\" -- and left...{zh}\n\n{zh}"
    doc = normalise_text(text).document
    assert doc.meta.lang.startswith("zh")
    assert "He said \"it's fine\" -- and left" in doc.blocks[0].text


def test_already_typographic_text_is_unchanged() -> None:
    text = "“Already” curly ‘quotes’ don’t change — nor does this… or 5′10″."
    rep = Repairs()
    assert smarten(text, "en", rep) == text and rep.items == []
    assert smart("“Hello,\" he said") == "“Hello,” he said"  # a straight quote closes a curly one


# ------------------------------------------------------------------------------------ --explain

def test_every_change_is_recorded() -> None:
    rep = Repairs()
    assert smarten("It's 5'10\" -- \"he said\"...", "en", rep) == "It’s 5′10″ – “he said”…"
    assert [(what, rule) for what, rule, _ in rep.items] == [
        ("\"'\" → '’'", "smart-apostrophes"),
        ("\"'\" → '′'", "smart-primes"),
        ("'\"' → '″'", "smart-primes"),
        ("'--' → '–'", "smart-dashes"),
        ("'\"' → '“'", "smart-quotes"),
        ("'\"' → '”'", "smart-quotes"),
        ("'...' → '…'", "smart-ellipsis"),
    ]
    assert all(ctx for _, _, ctx in rep.items)


# ------------------------------------------------------------------------------------ properties

_LATIN = st.lists(st.sampled_from(list("ab Zé19\"'-.–—…“”‘’/:=@<>()!?,;`&#\\") + ["http://x.y/", "中", "\u00a0"]),
                  max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(_LATIN, st.sampled_from(["en", "fr", "de", "de-CH"]))
def test_smartening_twice_is_smartening_once(text: str, lang: str) -> None:
    once = smart(text, lang)
    assert smart(once, lang) == once


_MARKS = re.compile("[\"'.\\-–—…“”‘’„‚«»‹›′″]")


@settings(max_examples=400, deadline=None)
@given(_LATIN, st.sampled_from(["en", "fr", "de"]))
def test_only_marks_change(text: str, lang: str) -> None:
    out = smart(text, lang)

    def rest(s: str) -> str:
        s = _MARKS.sub("", s)
        return re.sub(r"\s", "", s) if lang == "fr" else s  # French swaps a typed space for U+202F

    assert rest(out) == rest(text)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_characters="\"'-.", blacklist_categories=("Cs",)), max_size=60),
       st.sampled_from(["en", "fr", "de"]))
def test_text_without_marks_is_unchanged(text: str, lang: str) -> None:
    rep = Repairs()
    assert smarten(text, lang, rep) == text and rep.items == []


_HAN_WORD = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=4)
_SEPARATOR = st.sampled_from(['"', "'", "--", "---", "...", ' " ', " ' ", " -- ", '"\'', "' ", ' "', "。\"", ""])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_HAN_WORD, _SEPARATOR), min_size=1, max_size=8), _HAN_WORD)
def test_chinese_text_is_untouched(parts: list[tuple[str, str]], last: str) -> None:
    text = "".join(word + sep for word, sep in parts) + last
    assert smart(text) == text


# ------------------------------------------------------------------------------------ documents

def _texts(doc: Document) -> list[str]:
    """Everything an edition prints of the article: title, the meta lines and every block."""
    meta = doc.meta
    out = [meta.title, *(getattr(meta, f) or "" for f in ("byline", "author", "source", "editor")), *meta.credits]
    for b in doc.blocks:
        out += [t for t in (getattr(b, n, None) for n in ("text", "runin", "credit", "attribution")) if t]
        out += list(getattr(b, "items", ()))
    return out


def test_english_case_has_no_straight_quote() -> None:
    result = normalise_bytes(BBC.read_bytes())
    texts = _texts(result.document)
    assert not [t for t in texts if '"' in t or "'" in t]
    assert result.document.meta.title == "Obama admits US gun laws are his ‘biggest frustration’"
    assert sum(1 for r in result.repairs if r.rule.startswith("smart-")) == 52
    kept = normalise_bytes(BBC.read_bytes(), latin_punctuation="keep").document
    assert sum(t.count('"') + t.count("'") for t in _texts(kept)) == 52
    assert not any(c in t for t in _texts(kept) for c in "“”‘’")


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if p.name.startswith("en")))
def test_no_english_case_keeps_a_straight_quote(name: str) -> None:
    doc = normalise_bytes((CASES / name / "input.txt").read_bytes(), name=name).document
    assert not [t for t in _texts(doc) if '"' in t or "'" in t]


def test_meta_lines_are_smartened_too() -> None:
    body = "The storm flooded the valley and thousands of people left their homes on Monday night. " * 3
    result = normalise_text(f"A title\n\nBy Conan O'Brien\n\n{body}\n\n{body}\n\n"
                            "CNN's Larry Madowo contributed to this report.")
    meta = result.document.meta
    assert meta.author == "Conan O’Brien" and meta.credits == ("CNN’s Larry Madowo contributed to this report.",)
    assert sum(1 for r in result.repairs if r.rule == "smart-apostrophes") >= 3


def test_the_setting_is_checked() -> None:
    assert from_mapping({"latin-punctuation": "keep"}).latin_punctuation == "keep"
    with pytest.raises(SettingsError) as info:
        from_mapping({"latin-punctuation": "fancy"}, origin="p.toml")
    assert info.value.problems == ["p.toml: tool.publish.latin-punctuation: 'fancy' is not one of smart, keep"]


def _normalize(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PUBLISH, "normalize", str(BBC), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_explain_lists_the_changes_and_the_flag_keeps_the_source(tmp_path: Path) -> None:
    run = _normalize("--explain", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    smart_lines = [line for line in run.stderr.splitlines() if " smart-" in line]
    assert len(smart_lines) == 52
    assert any("repair '\"' → '“'" in line and "smart-quotes" in line for line in smart_lines)
    assert "'biggest frustration'" not in run.stdout and "‘biggest frustration’" in run.stdout

    run = _normalize("--explain", "--latin-punctuation", "keep", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert " smart-" not in run.stderr
    assert "'biggest frustration'" in run.stdout


def test_the_settings_file_keeps_the_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.publish]\nlatin-punctuation = "keep"\n')
    run = _normalize(cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "'biggest frustration'" in run.stdout
    run = _normalize("--latin-punctuation", "smart", cwd=tmp_path)  # the flag wins
    assert "‘biggest frustration’" in run.stdout


# ------------------------------------------------------------------------------------ PDF lines

def test_curly_marks_in_latin_text_break_and_stretch_as_latin() -> None:
    from pipeline.writers.pdf.linebreak import _weights, break_opportunities, wide_test

    text = "the BBC’s North “wins” here — or not…"
    allowed = break_opportunities(text)
    assert allowed[text.index("’") + 1] < 2  # no ordinary break inside BBC’s
    assert not any(w for k, w in enumerate(_weights(text, 0, len(text), wide_test(text))) if text[k] != " ")
    zh = "他說“好”，然後走了。"  # in Chinese text the same marks stay wide
    assert wide_test(zh)("“") and _weights(zh, 0, len(zh), wide_test(zh))[zh.index("“")] == 1.0
