"""Tests of the normaliser (issue 4): golden cases, corpus scores, one test per rule, robustness and
the no-loss property.

Golden files: ``tests/cases/<name>/expected.yaml`` is the YAML our normaliser makes from
``input.txt``. When a change is intended, accept the new output with

    UPDATE_GOLDEN=1 /work/venv/bin/pytest tests/test_normalise.py -k golden

and review the diff of the expected.yaml files before committing.
"""

from __future__ import annotations

import codecs
import os
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from score_corpus import oracle_roles, our_roles, score_case

from pipeline.model import Caption, Document, Heading, ListBlock, Paragraph
from pipeline.normalise import NormaliseError, decode, normalise_bytes, normalise_text
from pipeline.normalise.clean import clean
from pipeline.normalise.lang import detect
from pipeline.normalise.lexicon import entities, furniture
from pipeline.normalise.meta import byline, credit, date_only, split_credit
from pipeline.normalise.punctuation import Repairs, corner_quotes, remove_inner_spaces, repair_punctuation

CASES = Path(__file__).resolve().parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "input.txt").exists())
YANTIAN = CASES / "zh-hant_yantian" / "input.txt"


def _dump(doc: Document) -> str:
    from pipeline.yamlio import dump_document

    return dump_document(doc)


def norm(text: str, **kw) -> Document:
    return normalise_text(text, **kw).document


def kinds(doc: Document) -> str:
    """Reading order as letters: T title, C caption, H heading, S sub-heading, P paragraph, L list."""
    out = "T"
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += "H" if b.level == 1 else "S"
        elif isinstance(b, Caption):
            out += "C"
        elif isinstance(b, Paragraph):
            out += "P"
        elif isinstance(b, ListBlock):
            out += "L"
    return out


def reasons(doc: Document) -> dict[str, str]:
    return {d.text: d.reason for d in doc.dropped}


# ------------------------------------------------------------------------------------ golden cases

@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden(name: str) -> None:
    case = CASES / name
    result = normalise_bytes((case / "input.txt").read_bytes(), name=name)
    got = _dump(result.document)
    expected_path = case / "expected.yaml"
    if os.environ.get("UPDATE_GOLDEN") == "1" or not expected_path.exists():
        expected_path.write_text(got, encoding="utf-8")
    expected = expected_path.read_text(encoding="utf-8")
    assert got == expected, (
        f"{name}: output differs from {expected_path}. If the change is intended, accept it with "
        "`UPDATE_GOLDEN=1 /work/venv/bin/pytest tests/test_normalise.py -k golden` and review the diff."
    )


#: the cases the normaliser was first written on: the issue's acceptance thresholds apply
CORPUS = {"en_bbc_33646704", "en_synthetic_cnn", "zh-hans-cn_synthetic_thepaper", "zh-hans-cn_youth_20170310",
          "zh-hant-tw_synthetic_ettoday", "zh-hant-tw_udn_3705102", "zh-hant_yantian"}
#: real pages from other sites added later to measure generalisation (see tests/score_corpus.py): their
#: recorded scores (all lines, own lines) are floors, so a change that makes one worse is caught
UNSEEN_FLOORS: dict[str, tuple[float, float]] = {
    "en-tw_eyeontaiwan_mrt": (92.8, 100.0), "zh-hant-tw_twreporter_drugs": (86.6, 90.0),
    "zh-hans-cn_guancha_516891": (98.1, 93.7),
}


@pytest.mark.parametrize("name", CASE_NAMES)
def test_corpus_scores(name: str) -> None:
    case = CASES / name
    s = score_case(case / "input.txt", case / "expected.md")
    floor = (95.0, 90.0) if name in CORPUS else UNSEEN_FLOORS.get(name, (100.0, 100.0))
    assert s.all_pct >= floor[0], s.wrong
    assert s.own_pct >= floor[1], s.wrong


def test_yantian_acceptance() -> None:
    doc = normalise_bytes(YANTIAN.read_bytes()).document
    assert doc.meta.title == "鹽田“四個堅持”為抗疫提供組織保證"
    assert doc.meta.lang == "zh-Hant"
    assert kinds(doc) == "TCPPPPHPPPPPHPPPPPPPHPPPPPHPPPPP"
    captions = [b for b in doc.blocks if isinstance(b, Caption)]
    assert len(captions) == 1 and captions[0].credit == "受訪單位供圖"
    assert not captions[0].text.endswith("供圖")
    headings = [b.text for b in doc.blocks if isinstance(b, Heading)]
    assert headings == ["堅持突出黨委領導核心作用", "堅持突出黨員當先鋒作表率", "堅持突出專項考核和激勵", "堅持突出暖人心聚民心"]
    paragraphs = [b for b in doc.blocks if isinstance(b, Paragraph)]
    assert len(paragraphs) == 26
    assert [p.text for p in paragraphs if p.role == "epigraph"] == [
        "疫情就是命令，防控就是責任。", "一個黨員就是一面旗幟，一個支部就是一座堡壘。",
        "越是在緊急關頭、非常時期，越考驗黨員幹部的政治品格、擔當意識和能力水平。", "疫情防控是人民戰爭。"]
    assert [p.runin for p in paragraphs if p.runin] == [
        "專項考核在一線。", "注重考核結果運用。", "講好鹽田抗疫故事。", "政企合力，同心抗疫。", "守望相助隔離不隔愛。"]
    assert [(d.line, d.reason) for d in doc.dropped] == [
        (3, "markup-residue"), (7, "markup-residue"), (70, "share-widget"), (73, "related-list")]
    han = r"[\u4e00-\u9fff]"
    for text in doc.texts():
        assert not re.search(f"{han}[,:;?!]|[,:;?!]{han}", text), text


def test_oracle_parser_reads_the_bold_label_form() -> None:
    roles = oracle_roles((CASES / "zh-hant_yantian" / "expected.md").read_text("utf-8"))
    assert roles[1] == "title" and roles[3] == "caption" and roles[9] == "heading"
    assert roles[2] == roles[35] == "DROP" and roles[10] == "paragraph"
    assert len(roles) == 36


def test_speed() -> None:
    """Well under 50 ms for the article (CPU time, so other jobs on a shared machine do not count)."""
    data = YANTIAN.read_bytes()
    normalise_bytes(data)
    best = min(_timed(normalise_bytes, data) for _ in range(5))
    assert best < 0.05


def _timed(fn, *args) -> float:  # noqa: ANN001
    start = time.process_time()
    fn(*args)
    return time.process_time() - start


# ------------------------------------------------------------------------------------ decoding

TEXT = YANTIAN.read_text("utf-8")


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "gb18030", "big5"])
def test_decode_encodings(codec: str) -> None:
    sample = TEXT if codec != "gb18030" else (CASES / "zh-hans-cn_youth_20170310" / "input.txt").read_text()
    if codec == "big5":
        sample = sample.encode("big5", "ignore").decode("big5")
    data = sample.encode(codec)
    text, used = decode(data)
    assert text == sample
    assert codecs.lookup(used).name.startswith(codecs.lookup(codec).name.split("-")[0][:3])


def test_decode_short_legacy_cjk() -> None:
    assert decode("政府宣布放寬防疫措施，下周一起生效。".encode("big5")) == ("政府宣布放寬防疫措施，下周一起生效。", "big5")
    assert decode("国务院常务会议部署推进新型城镇化建设。".encode("gb18030"))[1] == "gb18030"


def test_decode_utf16_without_bom_ascii_and_cjk() -> None:
    assert decode("Hello world\nsecond line\n".encode("utf-16-le")) == ("Hello world\nsecond line\n", "utf-16-le")
    assert decode("Hello world\n".encode("utf-16-be"))[1] == "utf-16-be"
    assert decode("鹽田區堅持突出黨委領導核心作用，疫情就是命令。".encode("utf-16-le"))[1] == "utf-16-le"


def test_decode_override_and_errors() -> None:
    assert decode("café".encode("latin-1"), "latin-1") == ("café", "iso8859-1")
    with pytest.raises(NormaliseError, match="cannot decode as utf-8"):
        decode(b"\xff\xfe\xfa", "utf-8")
    with pytest.raises(NormaliseError, match="unknown encoding"):
        decode(b"abc", "no-such-codec")
    with pytest.raises(NormaliseError) as err:
        decode(b"abc\x00\x01\x02\xff\xfe\x00\x00def")
    assert err.value.problems == ["binary data (NUL bytes) at byte 3"]
    with pytest.raises(NormaliseError, match="binary data"):
        normalise_bytes(b"Title\n\nText with a NUL\x00 byte in the middle of UTF-8.")
    with pytest.raises(NormaliseError) as err:
        decode(bytes([0x80, 0xFF, 0x81, 0xFE, 0xC0]))
    assert "pass --encoding" in err.value.problems[0]


def test_empty_and_oversized_inputs() -> None:
    for data in (b"", b"   \n\t\r\n  ", "\u3000\n".encode()):
        with pytest.raises(NormaliseError) as err:
            normalise_bytes(data)
        assert err.value.problems == ["empty input"]
    with pytest.raises(NormaliseError, match="more than the limit"):
        normalise_bytes(b"x" * 100, max_bytes=10)


def test_furniture_only_input() -> None:
    with pytest.raises(NormaliseError) as err:
        normalise_text("分享\n\nfacebook\n\n留言\n\n相關新聞\n\nShare this story\n")
    assert err.value.problems == ["no article text found"]


def test_encoding_is_reported() -> None:
    data = "標題\n\n這是一段正文，內容很長很長，足夠成為一個段落，而且以句號結束。\n".encode("big5")
    result = normalise_bytes(data)
    assert result.encoding == "big5"
    assert normalise_bytes(codecs.BOM_UTF8 + b"Title\n\nA paragraph.").encoding == "utf-8-sig"


# ------------------------------------------------------------------------------------ cleaning

def test_line_endings_mixed() -> None:
    doc = norm("Title line here\r\n\r\nFirst paragraph is here and it is long enough to count.\r"
               "Second paragraph ends properly and is also long enough.\n")
    assert doc.meta.title == "Title line here"
    assert [b.lines for b in doc.blocks] == [(3,), (4,)]


def test_controls_and_zero_width_are_removed_and_recorded() -> None:
    c = clean("a\x01b\u200bc\nok\x7f\n\u202bbidi\u202c 😀 𠀋 \u200d")
    assert c.text == "abc\nok\n\u202bbidi\u202c 😀 𠀋 \u200d"
    assert c.removed == {1: "\x01\u200b", 2: "\x7f"}
    doc = norm("Title\n\nThe text\x0b has a control character and is long enough to be a paragraph.")
    assert any(d.reason == "control-character" and d.text == "\x0b" for d in doc.dropped)


def test_nfc_and_cp1252_repairs() -> None:
    c = clean("Cafe\u0301 \x93quoted\x94")
    assert c.text == "Café “quoted”"
    assert {r[3] for r in c.repairs} == {"unicode-nfc", "cp1252-c1"}


def test_emoji_bidi_and_non_bmp_are_kept() -> None:
    doc = norm("標題在這裡\n\n這是正文😀，有𠀋字與\u202b右至左\u202c標記，還有更多內容讓它成為真正的段落。")
    text = doc.blocks[0].text
    assert "😀" in text and "𠀋" in text and "\u202b" in text


# ------------------------------------------------------------------------------------ language

@pytest.mark.parametrize(("text", "lang"), [
    ("鹽田區堅持突出黨委領導核心作用，這是一個測試。", "zh-Hant"),
    ("盐田区坚持突出党委领导核心作用，这是一个测试。", "zh-Hans"),
    ("The quick brown fox jumps over the lazy dog.", "en"),
    ("中中中", "zh"),
])
def test_detect_language(text: str, lang: str) -> None:
    assert detect(text) == lang


def test_lang_override() -> None:
    doc = norm("A title\n\nSome English paragraph text that ends with a period here.", lang="en-GB")
    assert doc.meta.lang == "en-GB"


# ------------------------------------------------------------------------------------ punctuation

@pytest.mark.parametrize(("src", "out"), [
    ("三月,經過新冠疫情", "三月，經過新冠疫情"),
    ("分享到:", "分享到："),
    ("他說:“好。”", "他說：“好。”"),
    ("真的?", "真的？"),
    ("桃機濺血! 夫將妻", "桃機濺血！夫將妻"),
    ("甲;乙", "甲；乙"),
    ("華為(Huawei)公司", "華為（Huawei）公司"),
    ("等待...然後", "等待……然後"),
    ("他--就是他", "他——就是他"),
    ("20:02 出發", "20:02 出發"),
    ("1,000元", "1,000元"),
    ("Hello, world: yes!", "Hello, world: yes!"),
    ("Wait... then -- go", "Wait... then -- go"),
    ("見 http://a.b/c?x=1,2 網址", "見 http://a.b/c?x=1,2 網址"),
])
def test_punctuation_repair(src: str, out: str) -> None:
    rep = Repairs()
    assert repair_punctuation(src, rep) == out
    assert bool(rep.items) == (src != out)


def test_inner_spaces_removed_in_paragraphs_kept_in_headings() -> None:
    assert remove_inner_spaces("他說 這是 真的。", Repairs()) == "他說這是真的。"
    assert remove_inner_spaces("使用 iPhone 手機", Repairs()) == "使用 iPhone 手機"
    doc = norm("血濺桃機 他把老婆丟下樓再跳樓\n\n樓梯吵架 抱起妻往下拋\n\n"
               "萬姓男子昨天凌晨準備搭機飛往美國前， 與張姓妻子在桃園機場第二航廈出境大廳爭吵，警方調查中。")
    assert doc.meta.title == "血濺桃機 他把老婆丟下樓再跳樓"
    assert doc.blocks[0] == Heading("樓梯吵架 抱起妻往下拋", 1, (3,))
    assert "前，與張姓" in doc.blocks[1].text


def test_corner_quotes() -> None:
    rep = Repairs()
    assert corner_quotes("他說“我‘不’知道”。", rep) == "他說「我『不』知道」。"
    assert corner_quotes("Obama's “view”", Repairs()) == "Obama's “view”"
    doc = norm("鹽田“四個堅持”為抗疫提供保證\n\n他說：“我們堅決貫徹落實中央決策部署，堅持抓重點、抓關鍵。”這是很長的一段話。",
               quotes="corner")
    assert doc.meta.title == "鹽田「四個堅持」為抗疫提供保證"
    assert "「我們" in doc.blocks[0].text
    result = normalise_text("鹽田“四個堅持”\n\n他說：“我們堅決貫徹落實中央決策部署，堅持抓重點。”這是很長的一段話吧。",
                            quotes="corner")
    assert any(r.rule == "corner-quotes" for r in result.repairs)


def test_every_repair_is_explained() -> None:
    result = normalise_bytes(YANTIAN.read_bytes())
    assert sum(1 for r in result.repairs if r.rule == "cjk-punctuation") == 132
    assert all(r.line >= 1 and r.decision and r.rule for r in result.repairs)
    assert {d.line for d in result.decisions} >= {1, 3, 5, 7, 9, 70, 73}


# ------------------------------------------------------------------------------------ meta lines

@pytest.mark.parametrize(("text", "iso"), [
    ("24 July 2015", "2015-07-24"),
    ("July 24, 2015", "2015-07-24"),
    ("2019-03-18 20:55", "2019-03-18T20:55"),
    ("2017年3月10日 08:42", "2017-03-10T08:42"),
    ("2024年3月1日 下午3:30", "2024-03-01T15:30"),
    ("Tue 14 Jun 2022 13.45 BST", "2022-06-14T13:45"),
    ("Updated 3 March 2020", "2020-03-03"),
])
def test_date_lines(text: str, iso: str) -> None:
    assert date_only(text) == iso


def test_date_in_a_sentence_is_not_a_date_line() -> None:
    assert date_only("He arrived on 24 July 2015 and left soon after.") is None
    assert date_only("2019-02-30") is None


def test_bylines() -> None:
    b = byline("2019-03-18 23:59聯合報 記者陳嘉寧／桃園機場報導")
    assert b and b.date == "2019-03-18T23:59" and b.author == "陳嘉寧"
    b = byline("发稿时间：2017-03-10 08:42:00 来源： 人民日报海外版 中国青年网")
    assert b and b.date == "2017-03-10T08:42:00" and b.source == "人民日报海外版 中国青年网"
    b = byline("By Jane Doe")
    assert b and b.author == "Jane Doe"
    assert byline("記者昨天到現場採訪時，發現民眾大排長龍。") is None


def test_credits() -> None:
    assert credit("责任编辑：崔宁宁") == ("责任编辑：崔宁宁", "崔宁宁")
    assert credit("(Reporting by John Doe; Editing by Jane Roe)") is not None
    assert credit("編輯部今天表示將會調整版面，讀者可以留意。") is None


@pytest.mark.parametrize(("text", "body", "cred"), [
    ("華大基因完成實驗室。受訪單位供圖", "華大基因完成實驗室。", "受訪單位供圖"),
    ("萬姓男子被移送後聲押。 記者陳嘉寧／翻攝", "萬姓男子被移送後聲押。", "記者陳嘉寧／翻攝"),
    ("列車進站。（記者王小明攝）", "列車進站。", "（記者王小明攝）"),
    ("民眾排隊等候。圖／路透社", "民眾排隊等候。", "圖／路透社"),
    ("The BBC contrasts reactions. (Video by David Botti)", "The BBC contrasts reactions.", "(Video by David Botti)"),
    ("A worker checks a tower. Photograph: Fred Tanneau/AFP", "A worker checks a tower.", "Photograph: Fred Tanneau/AFP"),
    ("他說這是提供的服務。", "他說這是提供的服務。", None),
])
def test_caption_credit_split(text: str, body: str, cred: str | None) -> None:
    assert split_credit(text) == (body, cred)


# ------------------------------------------------------------------------------------ structure

LONG_ZH = "警方調閱監視畫面，兩人原站在四樓美食街講話，稍後準備搭電梯下樓，改走旁邊樓梯，在樓梯中段迴旋平台激烈爭吵。"
LONG_ZH2 = "桃園機場公司營運控制中心獲報，立即通報航警、消防和保全人員趕到將兩人送醫，張女昏迷指數一度只有三。"
LONG_EN = "President Barack Obama has admitted that his failure to pass gun safety laws is his greatest frustration."
LONG_EN2 = "In an interview with the BBC, Mr Obama said it was distressing not to have made progress on the issue."


def test_title_after_ticker_and_breadcrumb() -> None:
    doc = norm(f"颱風逼近 全台停班停課 20:02\n\nudn / 社會 / 焦點事件\n\n血濺桃機 他把老婆丟下樓\n\n{LONG_ZH}\n\n{LONG_ZH2}")
    assert doc.meta.title == "血濺桃機 他把老婆丟下樓"
    assert reasons(doc) == {"颱風逼近 全台停班停課 20:02": "ticker", "udn / 社會 / 焦點事件": "navigation"}


def test_title_repeats_dropped() -> None:
    doc = norm(f"鹽田四個堅持為抗疫提供保證\n\n<table> 鹽田四個堅持為抗疫提供保證\n\n鹽田四個堅持為抗疫提供保證\n\n"
               f"{LONG_ZH}\n\n/<table>")
    assert [(d.line, d.reason) for d in doc.dropped] == [(3, "markup-residue"), (5, "title-repeat"),
                                                          (9, "markup-residue")]


def test_markup_inside_text_is_stripped_and_recorded() -> None:
    doc = norm(f"A title for this\n\n<p>{LONG_EN}</p>\n\n他寫道：<script>x</script> 與 &amp; 都要照印，這是很長的一句話。"
               "\n\n&nbsp;")
    assert doc.blocks[0].text == LONG_EN
    assert doc.blocks[1].text == "他寫道：<script>x</script> 與 &amp; 都要照印，這是很長的一句話。"
    assert [(d.text, d.reason) for d in doc.dropped] == [
        ("<p>", "markup-residue"), ("</p>", "markup-residue"), ("&nbsp;", "markup-residue")]
    assert entities("a&nbsp;b&#12288;c") == "a\xa0b\u3000c"


def test_byline_and_date_to_meta() -> None:
    doc = norm(f"Some title here\n\n24 July 2015\n\nBy Jane Doe\n\n{LONG_EN}\n\n{LONG_EN2}")
    assert doc.meta.date == "2015-07-24" and doc.meta.author == "Jane Doe"
    assert doc.meta.byline == "24 July 2015\nBy Jane Doe"
    assert doc.meta.lines["date"] == (3,)
    assert kinds(doc) == "TPP"


def test_credits_to_meta() -> None:
    doc = norm(f"標題在這裡喔\n\n{LONG_ZH}\n\n{LONG_ZH2}\n\n责任编辑：崔宁宁\n\n返回首页>>\n\n相關新聞一\n\n相關新聞二")
    assert doc.meta.credits == ("责任编辑：崔宁宁",) and doc.meta.editor == "崔宁宁"
    assert kinds(doc) == "TPP"
    assert all(d.reason in ("navigation", "related-list") for d in doc.dropped)


@pytest.mark.parametrize("line", [
    "▲台北捷運列車進站。", "图为马素湘在澳大利亚悉尼游玩时的近影。", "图注：救援人员在现场搜救",
    "Media caption Mr Obama told the BBC that gun control was his biggest frustration",
    "Image copyright Getty Images Image caption Kenya is getting ready", "華大基因完成實驗室。受訪單位供圖",
    "列車進站。（記者王小明攝）",
])
def test_caption_markers(line: str) -> None:
    doc = norm(f"A title line\n\n{LONG_ZH}\n\n{line}\n\n{LONG_ZH2}")
    assert kinds(doc) == "TPCP", line
    cap = doc.blocks[1]
    assert not cap.text.startswith(("▲", "Media caption", "Image"))


def test_image_copyright_line_credits_next_caption() -> None:
    doc = norm(f"A title line\n\n{LONG_EN}\n\nImage copyright Reuters\n\nImage caption Troops patrol the city\n\n{LONG_EN2}")
    cap = doc.blocks[1]
    assert isinstance(cap, Caption) and cap.text == "Troops patrol the city" and cap.credit == "Reuters"


def test_headings_subheadings_and_questions() -> None:
    doc = norm(f"海外留学生看两会：出国前后关注点大不同\n\n{LONG_ZH}\n\n出国前后关注点大不同\n\n出国前：政治科目会出啥考题？\n\n"
               f"{LONG_ZH2}\n\n法学专业热议法定婚龄\n\n{LONG_ZH}")
    assert kinds(doc) == "TPHSPHP"


def test_short_question_paragraph_not_after_heading_stays_paragraph() -> None:
    doc = norm(f"標題在這裡喔\n\n{LONG_ZH}\n\n為什麼？\n\n{LONG_ZH2}")
    assert kinds(doc) == "TPPP"


def test_epigraph_after_heading() -> None:
    doc = norm(f"標題在這裡喔\n\n{LONG_ZH}\n\n堅持突出黨委領導\n\n疫情就是命令，防控就是責任。\n\n{LONG_ZH2}")
    assert [getattr(b, "role", None) for b in doc.blocks] == [None, None, "epigraph", None]


def test_runin_heads_need_a_neighbour() -> None:
    doc = norm(f"標題在這裡喔\n\n{LONG_ZH}\n\n專項考核在一線。{LONG_ZH2}\n\n注重考核結果運用。{LONG_ZH}\n\n"
               f"{LONG_ZH2}\n\n單獨一句話。{LONG_ZH}")
    runins = [b.runin for b in doc.blocks if isinstance(b, Paragraph)]
    assert runins == [None, "專項考核在一線。", "注重考核結果運用。", None, None]


def test_lists_after_colon_and_bullets() -> None:
    doc = norm(f"A title line\n\n{LONG_EN}\n\nIn a wide-ranging interview, he also said:\n\nThe UK must stay in the EU\n\n"
               f"He is confident about the deal\n\nSyria needs a political solution\n\n{LONG_EN2}\n\n• one\n\n• two\n\n"
               f"{LONG_EN}\n\n1. first step\n\n2. second step\n\n{LONG_EN2}")
    lists = [b for b in doc.blocks if isinstance(b, ListBlock)]
    assert [lst.items for lst in lists] == [
        ("The UK must stay in the EU", "He is confident about the deal", "Syria needs a political solution"),
        ("one", "two"), ("first step", "second step")]
    assert [lst.ordered for lst in lists] == [False, False, True]


def test_hard_wrapped_lines_rejoined() -> None:
    words = ("The quick brown fox jumps over the lazy dog while the cat watches from the warm windowsill "
             "and the birds sing in the old oak tree near the river bank on a sunny day. ") * 4
    lines, line = [], ""
    for w in words.split():
        if len(line) + len(w) + 1 > 60:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    text = "A wrapped article\n\n" + "\n".join(lines[:5]) + "\n\n" + "\n".join(lines[5:])
    doc = norm(text)
    assert kinds(doc) == "TPP"
    assert doc.blocks[0].lines == (3, 4, 5, 6, 7)
    assert "  " not in doc.blocks[0].text and doc.blocks[0].text.startswith("The quick brown fox jumps")


def test_line_ending_in_comma_is_joined_without_wrap() -> None:
    doc = norm(f"標題在這裡喔\n\n萬姓男子昨天凌晨準備搭機飛往美國前，\n與張姓妻子在桃園機場第二航廈出境大廳爭吵，警方調查中。\n\n{LONG_ZH}")
    assert doc.blocks[0].lines == (3, 4)
    assert doc.blocks[0].text.startswith("萬姓男子昨天凌晨準備搭機飛往美國前，與張姓")


@pytest.mark.parametrize(("line", "reason"), [
    ("分享", "share-widget"), ("A-A+", "share-widget"), ("Share this story About sharing", "share-widget"),
    ("留言", "comment-widget"), ("941 comments", "comment-widget"), ("还没有评论，快来抢沙发吧！", "comment-widget"),
    ("相關新聞", "related-list"), ("More on this story", "related-list"), ("延伸閱讀", "related-list"),
    ("首页 >> 教育资讯 >> 正文", "navigation"), ("From the section US & Canada", "navigation"),
    ("Advertisement", "advertisement"), ("廣告", "advertisement"),
    ("Read the full transcript of his interview", "promotion"), ("BBC Africa Live updates from Kenya", "promotion"),
    ("© 2024 聯合報系 版權所有", "copyright"), ("Copyright 2015 BBC. All rights reserved.", "copyright"),
])
def test_furniture_lexicon(line: str, reason: str) -> None:
    assert furniture(line) == reason


@pytest.mark.parametrize("line", [
    "樓梯吵架 抱起妻往下拋", "Kenya trip", "分享經濟正在改變城市", "The share price rose sharply on Tuesday.",
    "Email is still the main way people work together", "網友留言痛批政府",
])
def test_not_furniture(line: str) -> None:
    assert furniture(line) is None


def test_tags_line_dropped_and_kept_as_keywords() -> None:
    doc = norm(f"標題在這裡喔\n\n{LONG_ZH}\n\n{LONG_ZH2}\n\n桃園機場﹒夫妻﹒家暴")
    assert doc.meta.keywords == ("桃園機場", "夫妻", "家暴")
    assert reasons(doc)["桃園機場﹒夫妻﹒家暴"] == "tags"


def test_no_title_line_uses_the_name() -> None:
    result = normalise_text(f"{LONG_EN}\n\n{LONG_EN2}", name="dir/story-1.txt")
    assert result.document.meta.title == "story-1"


def test_decisions_cover_every_line() -> None:
    text = (CASES / "zh-hant-tw_udn_3705102" / "input.txt").read_text("utf-8")
    result = normalise_text(text)
    lines = {n for n, t in enumerate(text.split("\n"), start=1) if t.strip()}
    assert {d.line for d in result.decisions} == lines


def test_scoring_roles_match_our_output() -> None:
    text = YANTIAN.read_text("utf-8")
    roles = our_roles(normalise_text(text).document, text)
    assert roles[1] == "title" and roles[3] == "caption" and roles[2] == "DROP"


# ------------------------------------------------------------------------------------ no-loss property

_FOLD = str.maketrans({"，": ",", "：": ":", "；": ";", "？": "?", "！": "!", "（": "(", "）": ")", "…": "...",
                       # corner quotes and typographic punctuation (smart.py) count as what was typed
                       "「": '"', "」": '"', "『": "'", "』": "'",
                       "—": "---", "–": "--", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "″": '"',
                       "‘": "'", "’": "'", "‚": "'", "′": "'"})


def _fold(text: str) -> Counter[str]:
    text = text.translate(_FOLD)  # "……" for "..." only adds dots; "… …" → "……" keeps all six
    return Counter(ch for ch in text if not ch.isspace())


def _all_output(doc: Document) -> str:
    meta = doc.meta
    parts = [meta.title, *(getattr(meta, f) or "" for f in ("byline", "subtitle", "author", "source", "editor")),
             *meta.credits, *meta.keywords]
    for b in doc.blocks:
        for name in ("text", "runin", "credit", "attribution"):
            parts.append(getattr(b, name, None) or "")
        parts.extend(getattr(b, "items", ()))
    parts.extend(d.text for d in doc.dropped)
    return "\n".join(parts)


def _check_no_loss(text: str, quotes: str = "keep") -> None:
    try:
        result = normalise_text(text, quotes=quotes)
    except NormaliseError as exc:
        assert exc.problems in (["empty input"], ["no article text found"])
        return
    source = clean(text).text
    have = _fold(_all_output(result.document))
    want = _fold(source)
    missing = want - have
    assert not missing, (missing, text)
    from pipeline.yamlio import loads

    assert loads(_dump(result.document)) == result.document  # schema-valid, round-trips


_LINE = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(["分享", "facebook", "相關新聞", "<table>", "/<table>", "2019-03-18 20:55", "Media caption x",
                     "責任編輯：王", "受訪單位供圖", "▲圖說", "• item", "1. one", "a:", "堅持突出黨委", "鹽田,三月:好?",
                     "他說...然後--好", "“引號”‘單’", "Advertisement", "&amp;", "By Jane Doe", "圖／路透"]),
    st.text(alphabet="鹽田區黨委，。,:;?!()“”‘’ abcXYZ.-…——\t", max_size=60),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=12), st.sampled_from(["\n", "\n\n", "\r\n", "\r"]), st.sampled_from(["keep", "corner"]))
def test_no_text_is_lost(lines: list[str], sep: str, quotes: str) -> None:
    _check_no_loss(sep.join(lines), quotes)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_no_text_is_lost_in_corpus(name: str) -> None:
    _check_no_loss((CASES / name / "input.txt").read_text("utf-8"))


# ------------------------------------------------------------------------------------ more layouts

def test_page_title_with_site_name_before_headline() -> None:
    doc = norm(f"血濺桃機 他把老婆丟下樓 | 聯合新聞網\n\nudn / 社會\n\n血濺桃機 他把老婆丟下樓\n\n{LONG_ZH}")
    assert doc.meta.title == "血濺桃機 他把老婆丟下樓"
    assert reasons(doc)["血濺桃機 他把老婆丟下樓 | 聯合新聞網"] == "title-repeat"


def test_short_section_labels_before_title() -> None:
    doc = norm(f"CNN\n\nWorld\n\nMassive floods displace thousands in Kenya\n\n{LONG_EN}\n\n{LONG_EN2}")
    assert doc.meta.title == "Massive floods displace thousands in Kenya"
    assert reasons(doc) == {"CNN": "navigation", "World": "navigation"}


def test_date_line_inside_the_body_is_a_heading() -> None:
    doc = norm(f"標題在這裡喔\n\n2019-03-18 23:59\n\n{LONG_ZH}\n\n2019年3月17日\n\n{LONG_ZH2}")
    assert doc.meta.date == "2019-03-18T23:59"
    assert kinds(doc) == "TPHP" and doc.blocks[1].text == "2019年3月17日"


def test_dateline_line_joins_its_paragraph() -> None:
    doc = norm(f"A title line\n\nNairobi, Kenya CNN —\n\n{LONG_EN}\n\n{LONG_EN2}")
    assert kinds(doc) == "TPP"
    assert doc.blocks[0].text.startswith("Nairobi, Kenya CNN — President") and doc.blocks[0].lines == (3, 5)


def test_photo_credit_line_makes_the_line_above_a_caption() -> None:
    doc = norm(f"A title line\n\n{LONG_EN}\n\nResidents wade through floodwaters in Nairobi on May 6.\n\n"
               f"Tony Karumba/AFP/Getty Images\n\n{LONG_EN2}")
    cap = doc.blocks[1]
    assert isinstance(cap, Caption) and cap.credit == "Tony Karumba/AFP/Getty Images" and cap.lines == (5, 7)


def test_link_after_a_related_label_is_dropped() -> None:
    doc = norm(f"A title line\n\n{LONG_EN}\n\nRelated article\n\nKenya's president declares national disaster\n\n"
               f"{LONG_EN2}")
    assert kinds(doc) == "TPP"
    assert reasons(doc)["Kenya's president declares national disaster"] == "related-list"


def test_arrow_links_and_single_level_crumbs() -> None:
    assert furniture("►你的台電帳單看懂了嗎？") == "promotion"
    assert furniture("> 生活") == "navigation"
    assert furniture("讀者迴響") == "comment-widget"


def test_english_question_heading_and_no_english_runins() -> None:
    doc = norm(f"A title line\n\n{LONG_EN}\n\nWhat comes next?\n\nMr. Smith said no. {LONG_EN}\n\n"
               f"Mr. Jones said yes. {LONG_EN2}")
    assert kinds(doc) == "TPHPP"
    assert all(getattr(b, "runin", None) is None for b in doc.blocks)


def test_english_name_line_and_deck() -> None:
    doc = norm("Heatwave pushes European power prices to record highs\n\n"
               "Electricity costs soar as demand for air conditioning peaks and rivers run warm\n\n"
               f"Jane Smith in Paris\n\nTue 14 Jun 2022 13.45 BST\n\n{LONG_EN}\n\n{LONG_EN2}")
    assert kinds(doc) == "TSPP"
    assert doc.meta.author == "Jane Smith" and doc.meta.date == "2022-06-14T13:45"


def test_epigraph_needs_a_short_unquoted_motto() -> None:
    doc = norm(f"標題在這裡喔\n\n{LONG_ZH}\n\n民眾怨聲載道\n\n不少民眾抱怨，「連電梯都停了」。\n\n{LONG_ZH2}")
    assert all(getattr(b, "role", None) is None for b in doc.blocks)


def test_short_lines_after_the_article_are_dropped() -> None:
    doc = norm(f"標題在這裡喔\n\n{LONG_ZH}\n\n{LONG_ZH2}\n\n記者會明天舉行。\n\n熱門新聞\n\n擠成人肉沙丁魚！\n\n颱風假怎麼放？")
    assert kinds(doc) == "TPPP"
    assert reasons(doc)["擠成人肉沙丁魚！"] == "related-list"


def test_hard_wrapped_chinese_rejoined_without_spaces() -> None:
    body = LONG_ZH * 3
    lines = [body[i:i + 30] for i in range(0, len(body), 30)]
    doc = norm("標題在這裡喔\n\n" + "\n".join(lines) + "\n\n" + LONG_ZH2)
    assert kinds(doc) == "TPP"
    assert doc.blocks[0].text == body and len(doc.blocks[0].lines) == len(lines)


def test_punctuation_next_to_digits_in_chinese() -> None:
    rep = Repairs()
    assert repair_punctuation("数据显示,5月份,城市上涨0.2%,农村", rep) == "数据显示，5月份，城市上涨0.2%，农村"
    assert repair_punctuation("中文, English words", Repairs()) == "中文, English words"


def test_three_unterminated_english_lines_between_paragraphs_are_a_list() -> None:
    doc = norm(f"A title line\n\n{LONG_EN}\n\nclean drinking water for families\n\ntemporary shelter in schools\n\n"
               f"medical teams to prevent cholera\n\n{LONG_EN2}")
    assert kinds(doc) == "TPLP" and len(doc.blocks[1].items) == 3


def test_credit_line_after_caption_nyt_style() -> None:
    doc = norm(f"A title line\n\n{LONG_EN}\n\nImage\n\nPresident Biden at the White House on Monday.\n\n"
               f"Credit...Doug Mills/The New York Times\n\n{LONG_EN2}")
    assert kinds(doc) == "TPCP" and doc.blocks[1].credit == "Credit…Doug Mills/The New York Times"


def test_cna_style_update_line_and_dated_editor_credit() -> None:
    doc = norm(f"中央社\n\n蔡總統：堅守民主價值 台灣不會屈服\n\n2019/03/18 20:30（3/18 21:05 更新）\n\n"
               f"（中央社記者王小明台北18日電）{LONG_ZH}\n\n{LONG_ZH2}\n\n（編輯：李大華）1080318")
    assert doc.meta.date == "2019-03-18T20:30" and doc.meta.editor == "李大華"
    assert kinds(doc) == "TPP"


def test_original_headline_and_prefixed_tags() -> None:
    doc = norm(f"两会代表建议延长产假至一年\n\n原标题：全国人大代表：建议将产假延长至一年\n\n{LONG_ZH}\n\n文章关键词：两会 产假")
    assert reasons(doc) == {"原标题：全国人大代表：建议将产假延长至一年": "title-repeat", "文章关键词：两会 产假": "tags"}
    assert doc.meta.keywords == ("两会", "产假")


def test_name_place_byline_without_reporter_word() -> None:
    b = byline("中國時報 王小明／台北報導")
    assert b is not None and b.author == "王小明"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_output_is_valid_yaml_form(name: str) -> None:
    """Every reason/role is one the model allows, and the YAML form round-trips through the loader."""
    from pipeline.model import DROP_REASONS, PARAGRAPH_ROLES
    from pipeline.yamlio import loads

    doc = normalise_bytes((CASES / name / "input.txt").read_bytes()).document
    assert {d.reason for d in doc.dropped} <= set(DROP_REASONS)
    assert {b.role for b in doc.blocks if isinstance(b, Paragraph) and b.role} <= set(PARAGRAPH_ROLES)
    assert loads(_dump(doc), name) == doc


def test_more_site_conventions() -> None:
    assert split_credit("蔡總統出席活動。中央社記者王小明攝 108年3月18日") == (
        "蔡總統出席活動。", "中央社記者王小明攝 108年3月18日")
    assert date_only("Mar 10 Fri 2017 22:10") == "2017-03-10T22:10"
    assert furniture("最HOT話題在這！想跟上時事，快點我加入TVBS新聞LINE好友！") == "promotion"
    assert furniture("全站分類：休閒旅遊") == "navigation"
    assert furniture("不用抽 不用搶 現在用APP看新聞 保證天天中獎") == "promotion"


# ------------------------------------------------------------------------------------ generalisation rules
# (added while measuring the normaliser on real pages from other sites; see tests/score_corpus.py)

def test_repeated_line_is_dropped_once() -> None:
    cap = "警方昨晚拘捕2人及帶走10人調查。(港台圖片)"
    doc = norm(f"警方加強巡邏 拘捕2人\n\n{cap}\n\n{cap}\n\n{LONG_ZH}\n\n{LONG_ZH2}")
    assert kinds(doc) == "TCPP" and doc.blocks[0].credit == "（港台圖片）"  # ASCII brackets repaired
    assert reasons(doc) == {cap: "duplicate"}


def test_short_menu_words_repeated_in_the_footer_are_not_the_title() -> None:
    doc = norm(f"首页\n\n风闻\n\n观察员\n\n汽车\n\n王文：中美贸易持久战\n\n{LONG_ZH}\n\n{LONG_ZH2}\n\n观察员")
    assert doc.meta.title == "王文：中美贸易持久战"


def test_toolbar_run_before_the_headline() -> None:
    doc = norm(f"辅助功能设置\n\n色彩设置\n\n阅读工具\n\n深度报道精选:甘肃积石山震后72小时\n\n{LONG_ZH}\n\n{LONG_ZH2}")
    assert doc.meta.title == "深度报道精选：甘肃积石山震后72小时"  # the colon is repaired


def test_author_line_with_job_title_and_bracketed_byline() -> None:
    doc = norm(f"中美贸易持久战 斗志被激发\n\n王文中国人民大学重阳金融研究院执行院长\n\n【文/观察者网专栏作者 王文】\n\n"
               f"{LONG_ZH}\n\n{LONG_ZH2}")
    assert kinds(doc) == "TPP"
    assert byline("【文/观察者网专栏作者 王文】").author == "王文"


def test_reporters_list_and_wire_title_line() -> None:
    doc = norm(f"聚焦中国 瞩目盛会\n\n新华社北京10月17日电 题:聚焦中国瞩目盛会\n\n新华社记者 崔静、韩洁、刘羊旸\n\n"
               f"{LONG_ZH}\n\n{LONG_ZH2}")
    assert kinds(doc) == "TPP"
    assert doc.meta.lines["byline"] == (3, 5)


def test_truncated_teasers_after_a_related_label_are_the_tail() -> None:
    teaser = "回應「托市」 陳茂波:冀將樓市回復至未有「辣招」並由市場調節 崔蔚恩報道 新一份施政報告提出放寬住宅按揭成數上限…"
    doc = norm(f"標題在這裡喔\n\n{LONG_ZH}\n\n{LONG_ZH2}\n\n相关推荐\n\n{teaser}\n\n{teaser}2")
    assert kinds(doc) == "TPP"


def test_pagination_disclaimer_and_glued_promo() -> None:
    assert furniture("1 2 下一页 余下全文") == "navigation"
    assert furniture("本文仅代表作者个人观点。") == "boilerplate"
    assert furniture("Felony animal cruelty charge:A Florida woman drowned her dog, police say.") == "promotion"
    assert furniture("打开网易新闻 查看精彩图片") == "promotion"
    assert furniture("Posted on") == "boilerplate"
    assert furniture("分享工具 facebook") == "share-widget"
    assert furniture("[2016.08.20] 發表") is None  # a date is not a page number
    assert furniture("The 2 sides met on Tuesday") is None


def test_foreign_script_interface_lines() -> None:
    doc = norm(f"Toronto police officer killed near City Hall\n\n1 Просмотры\n\n{LONG_EN}\n\n{LONG_EN2}\n\n"
               "Комментариев нет.")
    assert kinds(doc) == "TPP"


def test_bracketed_photo_credits() -> None:
    assert split_credit("台灣的刑事警察展示破獲的毒品。(攝影/REUTERS/Ann Wang/達志影像)") == (
        "台灣的刑事警察展示破獲的毒品。", "(攝影/REUTERS/Ann Wang/達志影像)")
    assert split_credit("A video of the man is pictured on Youtube. Screengrab from Youtube")[1] == \
        "Screengrab from Youtube"


def test_paragraph_split_by_a_caption_is_joined() -> None:
    cap = "A viral video of a man who is accused of abuse on a train is pictured. Screengrab from Youtube"
    doc = norm(f"Abuse on MRT sparks criticism\n\n{LONG_EN}\n\nCouncilor Vivian Huang yesterday called for\n\n"
               f"{cap}\n\nbetter communication between police precincts in the city.\n\n{LONG_EN2}")
    assert kinds(doc) == "TPCPP"
    para = doc.blocks[2]
    assert isinstance(para, Paragraph) and para.lines == (5, 9)
    assert para.text.startswith("Councilor Vivian Huang yesterday called for better communication")


def test_a_long_see_line_with_a_url_is_read_in_a_blink() -> None:
    """A "See …" line with a long address once took the promotion pattern a minute of backtracking
    (a 250-line page normalised in 64 s); the alarm turns such a hang into a failure."""
    import signal

    from pipeline.normalise import lexicon

    line = "See provincially subsidized options at www. health.gov.bc.ca/pharmacare/stop-smoking" + "x" * 60 + "."
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("regex backtracking")))
    signal.alarm(10)
    try:
        assert lexicon.furniture(line) is None
        assert lexicon.furniture("Read more about the floods") == "promotion"
        assert lexicon.furniture("Read: the full report on the floods") == "promotion"
    finally:
        signal.alarm(0)
