"""Fonts: the right faces per language, subset exactly, TrueType for reportlab, reproducible,
cached, and never failing on a character no face has."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import fonts
from pipeline.fonts import ALWAYS, FontError, catalogue, coverage, describe_missing, faces_for
from pipeline.fonts import cache as font_cache
from pipeline.fonts import faces as font_faces
from pipeline.fonts import subset as font_subset
from pipeline.model import Document, Heading, Meta, Paragraph
from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "source" / "article.txt"
SAMPLE_TC = "骨角直說話與復甦，鹽田「四個堅持」為抗疫提供組織保證。Noto 123"
SAMPLE_SC = "骨角直说话与复苏，盐田“四个坚持”为抗疫提供组织保证。Noto 123"


def doc(text: str, lang: str, title: str = "標題") -> Document:
    return Document(meta=Meta(title=title, lang=lang),
                    blocks=(Heading(text=title), Paragraph(text=text)))


def load(face: fonts.Face) -> TTFont:
    return TTFont(io.BytesIO(face.data))


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("font-cache")


@pytest.fixture(scope="module")
def tc(cache: Path) -> fonts.FaceSet:
    return faces_for(doc(SAMPLE_TC, "zh-Hant"), Settings(font_cache=str(cache)))


@pytest.fixture(scope="module")
def sc(cache: Path) -> fonts.FaceSet:
    return faces_for(doc(SAMPLE_SC, "zh-Hans"), Settings(font_cache=str(cache)))


@pytest.fixture(scope="module")
def en(cache: Path) -> fonts.FaceSet:
    return faces_for(doc("The quick brown fox — “naïve” café, 12 µs.", "en", "Title"),
                     Settings(font_cache=str(cache)))


def outline(face: fonts.Face, char: str) -> list:
    font = load(face)
    pen = RecordingPen()
    font.getGlyphSet()[font.getBestCmap()[ord(char)]].draw(pen)
    return pen.value


def test_traditional_and_simplified_body_faces_draw_different_glyph_forms(tc, sc):
    assert tc.body.family == "Noto Serif TC" and sc.body.family == "Noto Serif SC"
    for char in "骨角":  # (直 happens to share one form in Noto Serif TC and SC)
        assert outline(tc.body, char) != outline(sc.body, char), char
    # the same face drawn twice is identical: the difference above is the glyph form
    assert outline(tc.body, "骨") == outline(tc.body, "骨")


@pytest.mark.parametrize("name", ["tc", "sc", "en"])
def test_heading_face_is_bold_and_body_is_regular(name, request):
    faces = request.getfixturevalue(name)
    heading = load(faces.heading)
    assert heading["OS/2"].usWeightClass >= 600
    assert heading["OS/2"].fsSelection & (1 << 5)  # BOLD bit, so Word/browsers pair it as bold
    assert faces.heading.weight >= 600 and faces.bold.weight >= 600
    assert load(faces.body)["OS/2"].usWeightClass == 400
    assert load(faces.caption)["OS/2"].usWeightClass == 400
    # heavier strokes, not just a label: the bold "直"/"H" covers more ink than the regular one
    char = "H" if name == "en" else "直"
    assert _ink(faces.heading, char) > _ink(faces.caption, char) * 1.2


def _ink(face: fonts.Face, char: str) -> float:
    from fontTools.pens.areaPen import AreaPen

    font = load(face)
    pen = AreaPen(font.getGlyphSet())
    font.getGlyphSet()[font.getBestCmap()[ord(char)]].draw(pen)
    return abs(pen.value)


def test_every_face_is_truetype_with_glyf_outlines(tc, sc, en):
    for faces in (tc, sc, en):
        for face in faces.all_faces():
            font = load(face)
            assert "glyf" in font and "CFF " not in font and "CFF2" not in font
            assert "fvar" not in font and "gvar" not in font  # pinned to one weight


def test_subset_covers_exactly_the_needed_characters(tc):
    needed = {ord(c) for c in SAMPLE_TC + "標題"} | ALWAYS
    for face in (tc.body, tc.heading, tc.caption):
        cmap = set(load(face).getBestCmap())
        assert cmap == set(face.codepoints)
        assert {ord(c) for c in SAMPLE_TC + "標題"} <= cmap  # every document character
        assert cmap <= needed  # and nothing else: no 龍 unless asked for
        assert ord("龍") not in cmap
        # the always-set: digits, ASCII, CJK punctuation, vertical presentation forms
        for char in "0123456789AZaz。，、「」『』《》〈〉（）？！：；“”‘’—…·\ufe10\ufe19\ufe35\ufe43":
            assert ord(char) in cmap, f"U+{ord(char):04X}"


def test_vertical_text_features_and_metrics_are_kept(tc):
    font = load(tc.body)
    assert "vhea" in font and "vmtx" in font
    gsub = {r.FeatureTag for r in font["GSUB"].table.FeatureList.FeatureRecord}
    gpos = {r.FeatureTag for r in font["GPOS"].table.FeatureList.FeatureRecord}
    assert {"vert", "vrt2"} <= gsub
    assert {"kern", "palt", "halt", "vpal", "vhal"} <= gpos
    # the vertical form of 「 is reachable through 'vert'
    cmap = font.getBestCmap()
    vert = {lookup_index for r in font["GSUB"].table.FeatureList.FeatureRecord
            if r.FeatureTag == "vert" for lookup_index in r.Feature.LookupListIndex}
    mapping = {}
    for i in vert:
        for sub in font["GSUB"].table.LookupList.Lookup[i].SubTable:
            sub = getattr(sub, "ExtSubTable", sub)
            mapping.update(getattr(sub, "mapping", {}))
    assert cmap[ord("「")] in mapping


def test_reportlab_registers_and_draws_every_face(tc, sc, en):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont as RLTTFont
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for faces, text in ((tc, SAMPLE_TC), (sc, SAMPLE_SC), (en, "The quick brown fox")):
        for face in faces.all_faces():
            pdfmetrics.registerFont(RLTTFont(face.ps_name, io.BytesIO(face.data)))
            pdf.setFont(face.ps_name, 12)
            pdf.drawString(72, 720, text)
            assert pdfmetrics.stringWidth(text, face.ps_name, 12) > 0
    pdf.save()
    assert buf.getvalue().startswith(b"%PDF")


def test_subsets_made_at_different_times_are_byte_identical(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setenv("PUBLISH_FONT_JOBS", "1")  # in this process, where the clock is patched
    document = doc("時間骨直", "zh-Hant")
    made = []
    for n, now in enumerate((1_000_000_000.0, 1_900_000_000.0)):
        fonts.clear_memo()
        monkeypatch.setattr(time, "time", lambda now=now: now)
        made.append(faces_for(document, Settings(font_cache=str(tmp_path / str(n)))))
    # and made again by child processes, one weight each (the parallel cold path), on the real clock
    monkeypatch.undo()
    monkeypatch.setenv("PUBLISH_FONT_JOBS", "3")
    fonts.clear_memo()
    made.append(faces_for(document, Settings(font_cache=str(tmp_path / "parallel"))))
    first, second, third = made
    for a, b, c in zip(first.all_faces(), second.all_faces(), third.all_faces(), strict=True):
        assert a.data == b.data == c.data and a.ps_name == b.ps_name == c.ps_name
    # no face carries the build time: head.modified is the source font's, not "now"
    source = TTFont(str(catalogue._shipped("serif-tc").path), lazy=True)
    assert load(first.body)["head"].modified == source["head"].modified


def test_character_without_glyph_anywhere_is_reported_not_fatal(mixed):
    text = "骨😀\U0010fffd直"
    assert 0x1F600 in mixed.missing and 0x10FFFD in mixed.missing
    assert ord("骨") not in mixed.missing
    assert describe_missing(0x1F600) == "U+1F600 GRINNING FACE has no glyph"
    assert "U+1F600 GRINNING FACE has no glyph" in mixed.missing_messages()
    runs = mixed.runs(text, mixed.body)
    assert "".join(t for _, t in runs) == text  # kept, not dropped


def test_fallback_face_draws_what_the_primary_lacks(mixed):
    # Hangul in a Chinese document comes from a fallback (Noto Sans KR);
    # U+0F40 TIBETAN LETTER KA is in no shipped face: it stays with the body face and is reported.
    assert ord("ཀ") in mixed.missing
    hangul = [f for f in mixed.fallbacks if ord("한") in f.codepoints]
    assert hangul and hangul[0].family == "Noto Sans KR" and hangul[0].role == "fallback"
    runs = mixed.runs("骨한국ཀ", mixed.body)
    assert [(f.family, t) for f, t in runs] == [
        ("Noto Serif TC", "骨"), ("Noto Sans KR", "한국"), ("Noto Serif TC", "ཀ")]


def test_describe_missing_names_unnamed_code_points():
    assert describe_missing(0x20000) == "U+20000 CJK UNIFIED IDEOGRAPH-20000 has no glyph"
    assert describe_missing(0x10FFFD) == "U+10FFFD <private use character> has no glyph"
    assert describe_missing(0x0378).startswith("U+0378 <unassigned")


def test_configured_font_file_missing_raises_font_error_naming_it(tmp_path):
    missing = tmp_path / "nope" / "MyFont.ttf"
    with pytest.raises(FontError, match=r"fonts\.body.*MyFont\.ttf.*does not exist"):
        faces_for(doc("字", "zh-Hant"), Settings(fonts={"body": str(missing)}))


def test_configured_file_that_is_not_a_font_raises_font_error(tmp_path):
    junk = tmp_path / "junk.otf"
    junk.write_text("not a font")
    with pytest.raises(FontError, match="junk.otf.*not a TrueType/OpenType font"):
        faces_for(doc("字", "zh-Hant"), Settings(fonts={"heading": str(junk)}))


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small .ttc of two CFF fonts (SC then TC), like Debian's fonts-noto-cjk collections."""
    from fontTools import subset
    from fontTools.ttLib.ttCollection import TTCollection

    members = []
    for face_id in ("serif-sc", "serif-tc"):
        options = subset.Options()
        font = subset.load_font(str(catalogue._shipped(face_id).path), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="骨直字ab")
        subsetter.subset(font)
        members.append(font)
    ttc = TTCollection()
    ttc.fonts = members
    path = tmp_path_factory.mktemp("ttc") / "Test-CJK.ttc"
    ttc.save(str(path))
    return path


def test_configured_collection_font_is_used_and_converted(collection, cache, tc):
    settings = Settings(fonts={"body": f"{collection}#1"}, font_cache=str(cache))
    faces = faces_for(doc("骨直", "zh-Hant"), settings)
    assert faces.body.family == "Noto Serif TC"
    assert "glyf" in load(faces.body)
    assert outline(faces.body, "骨") == outline(tc.body, "骨")  # index 1 is the TC font
    with pytest.raises(FontError, match=r"collection of 2 fonts; index #5 does not exist"):
        faces_for(doc("骨", "zh-Hant"), Settings(fonts={"body": f"{collection}#5"}))


def test_second_build_uses_the_disk_cache(tmp_path):
    document = doc("快取骨直", "zh-Hant")
    settings = Settings(font_cache=str(tmp_path))
    fonts.clear_memo()
    before = fonts.STATS["subset"]
    first = faces_for(document, settings)
    assert fonts.STATS["subset"] > before
    assert list((tmp_path / "subsets").glob("*.ttf"))
    fonts.clear_memo()  # a new process: only the disk cache is left
    made = fonts.STATS["subset"]
    start = time.perf_counter()
    second = faces_for(document, settings)
    assert fonts.STATS["subset"] == made  # nothing subset again
    assert time.perf_counter() - start < 0.5
    assert [f.data for f in first.all_faces()] == [f.data for f in second.all_faces()]
    # and within one process the three writers share one result
    assert faces_for(document, settings) is second


def test_damaged_cache_entry_is_rebuilt(tmp_path):
    document = doc("損壞", "zh-Hant")
    settings = Settings(font_cache=str(tmp_path))
    fonts.clear_memo()
    good = faces_for(document, settings).body.data
    for entry in (tmp_path / "subsets").glob("*.ttf"):
        entry.write_bytes(entry.read_bytes()[:1000])  # truncated, as by a full disk
    fonts.clear_memo()
    assert faces_for(document, settings).body.data == good


def test_bit_rot_in_a_cached_subset_is_never_served(tmp_path):
    """A header check passes a font whose glyphs are garbage: every entry is checksummed, so a
    flipped byte anywhere is a miss, the face is made again and the entry replaced."""
    document = doc("位元腐壞", "zh-Hant")
    settings = Settings(font_cache=str(tmp_path))
    fonts.clear_memo()
    good = [f.data for f in faces_for(document, settings).all_faces()]
    for entry in (tmp_path / "subsets").glob("*.ttf"):
        data = bytearray(entry.read_bytes())
        data[2048:2098] = bytes(b ^ 0xFF for b in data[2048:2098])
        entry.write_bytes(bytes(data))
    fonts.clear_memo()
    assert [f.data for f in faces_for(document, settings).all_faces()] == good
    made = fonts.STATS["subset"]
    fonts.clear_memo()
    assert [f.data for f in faces_for(document, settings).all_faces()] == good
    assert fonts.STATS["subset"] == made  # replaced on disk: nothing made the second time


def test_cache_is_pruned_to_its_size_limit(tmp_path, monkeypatch):
    subsets = tmp_path / "subsets"
    subsets.mkdir()
    for n in range(5):  # 5 old entries of 1 MB
        old = subsets / f"{n:064x}.ttf"
        old.write_bytes(b"\0" * 2**20)
        os.utime(old, (1_000_000 + n, 1_000_000 + n))
    monkeypatch.setenv("PUBLISH_FONT_CACHE_MAX_MB", "3")
    fonts.clear_memo()
    faces = faces_for(doc("剪", "zh-Hant"), Settings(font_cache=str(tmp_path)))
    left = sorted(p.name for p in subsets.glob("*.ttf"))
    assert sum(p.stat().st_size for p in subsets.glob("*.ttf")) <= 3 * 2**20
    assert f"{0:064x}.ttf" not in left  # the least recently used went first
    assert faces.body.data  # and the build itself is unaffected


def test_batch_charset_subsets_once_for_the_union(cache):
    settings = Settings(font_cache=str(cache))
    one = faces_for(doc("骨", "zh-Hant"), settings, charset="骨直龍")
    two = faces_for(doc("龍", "zh-Hant"), settings, charset="骨直龍")
    assert ord("龍") in one.body.codepoints and ord("直") in two.body.codepoints
    assert one.body.data == two.body.data


def test_writers_adding_their_labels_share_one_subset(cache):
    """PDF, EPUB and DOCX each add the labels they print; in one process that is one subsetting."""
    settings = Settings(font_cache=str(cache))
    document = doc("骨角", "zh-Hant")
    base = faces_for(document, settings)
    made = fonts.STATS["subset"]
    pdf = faces_for(document, settings, charset="0123456789.•・—…·　")
    epub = faces_for(document, settings, charset="目錄封面書名頁正文導覽版權與字型——「」『』年月日© Made with")
    assert fonts.STATS["subset"] == made
    assert [f.data for f in pdf.all_faces()] == [f.data for f in epub.all_faces()] == [
        f.data for f in base.all_faces()]
    assert pdf.fallbacks == () and pdf.missing == ()
    assert ord("錄") in epub.body.codepoints


def test_language_groups():
    assert fonts.language_group("zh-Hant") == "zh-Hant"
    assert fonts.language_group("zh-hant-tw") == "zh-Hant"
    assert fonts.language_group("zh-TW") == "zh-Hant"
    assert fonts.language_group("zh-HK") == "zh-Hant"
    assert fonts.language_group("zh-Hans") == "zh-Hans"
    assert fonts.language_group("zh-CN") == "zh-Hans"
    assert fonts.language_group("zh") == "zh-Hans"
    assert fonts.language_group("en-GB") == "latin"
    assert fonts.language_group("ja") == "ja"


def test_licence_notice_ships_the_ofl():
    text = fonts.licence_notice()
    assert "SIL OPEN FONT LICENSE Version 1.1" in text
    assert "Noto Serif TC" in text and "Adobe" in text
    assert "Open Font License" in fonts.licence_summary()


@pytest.mark.slow
def test_two_processes_filling_one_cache_at_once(tmp_path):
    code = ("import sys; from pipeline.fonts import faces_for; from pipeline.model import *;"
            "from pipeline.settings import Settings;"
            "d = Document(meta=Meta(title='同時', lang='zh-Hant'), blocks=(Paragraph(text='寫入'),));"
            "f = faces_for(d, Settings(font_cache=sys.argv[1]));"
            "sys.stdout.buffer.write(b''.join(x.data for x in f.all_faces()))")
    env = {**os.environ, "PUBLISH_FONT_JOBS": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                              env=env, cwd=ROOT) for _ in range(2)]
    outs = [p.communicate()[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0] == outs[1] and outs[0]
    assert not list((tmp_path / "subsets").glob("*.tmp"))


# runs(): random text, every character kept in order, each run drawn by a face that has it
ALPHABET = "骨直鹽田說话한국あア abcé—“”「」\n\u200d\ufe0f\u0301😀ཀ\U00020000\U0010fffd"


@pytest.fixture(scope="module")
def mixed(cache: Path) -> fonts.FaceSet:
    return faces_for(doc(ALPHABET, "zh-Hant"), Settings(font_cache=str(cache)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(ALPHABET), max_size=40))
def test_runs_never_drop_characters(text, mixed):
    for face in (mixed.body, mixed.heading, mixed.caption):
        runs = mixed.runs(text, face)
        assert "".join(t for _, t in runs) == text
        assert all(t for _, t in runs)
        for run_face, chunk in runs:
            for ch in chunk:
                cp = ord(ch)
                assert (cp in run_face.codepoints or font_faces._invisible(cp)
                        or (cp in mixed.missing and run_face is face)), (f"U+{cp:04X}", run_face.family)


@pytest.mark.parametrize("face_id, weight", [("serif-tc", 400), ("sans-tc", 700), ("sans-latin", 400)])
def test_harfbuzz_subsets_draw_what_fonttools_alone_draws(face_id, weight):
    """HarfBuzz makes the subsets (fast); fontTools alone is the fallback. Both must give the same
    characters, advances and outlines, bold where pinned bold: a reader cannot tell them apart."""
    src = catalogue._shipped(face_id)
    wanted = {ord(c) for c in SAMPLE_TC + "Hamburgefonstiv—“”"}
    cps = coverage._source_info(src, None).coverage.select(wanted)
    variant = [(weight, "normal", "Test", "Test-Regular")]
    fast = TTFont(io.BytesIO(font_subset._build_group(src, cps, variant)[0]))
    slow = TTFont(io.BytesIO(font_subset._build_group_fonttools(src, cps, variant)[0]))
    for font in (fast, slow):
        assert "glyf" in font and "fvar" not in font and "CFF " not in font
        assert font["OS/2"].usWeightClass == weight
    fast_cmap, slow_cmap = fast.getBestCmap(), slow.getBestCmap()
    assert set(fast_cmap) == set(slow_cmap) == set(cps)
    for cp in cps:
        a, b = fast_cmap[cp], slow_cmap[cp]
        assert fast["hmtx"][a][0] == slow["hmtx"][b][0], chr(cp)
        pa, pb = RecordingPen(), RecordingPen()
        fast.getGlyphSet()[a].draw(pa)
        slow.getGlyphSet()[b].draw(pb)
        # same contours; coordinates may differ by rounding when a variable font is instanced
        assert len(pa.value) == len(pb.value), chr(cp)
        for (op_a, args_a), (op_b, args_b) in zip(pa.value, pb.value, strict=True):
            assert op_a == op_b
            for pt_a, pt_b in zip(args_a, args_b, strict=True):
                assert abs(pt_a[0] - pt_b[0]) <= 1 and abs(pt_a[1] - pt_b[1]) <= 1, chr(cp)


def _fresh_faces(text: str, cache: Path) -> fonts.FaceSet:
    fonts.clear_memo()
    shutil.rmtree(cache / "subsets", ignore_errors=True)  # the finished faces, not the glyph store
    return faces_for(doc(text, "zh-Hant"), Settings(font_cache=str(cache)))


def test_a_new_article_draws_only_the_glyphs_no_earlier_build_drew(tmp_path):
    """Converting CFF outlines is most of a new article's font work; the glyph store keeps them,
    so the next article (a new character set) converts only its new characters."""
    fonts.STATS.clear()
    _fresh_faces(SAMPLE_TC, tmp_path)
    assert fonts.STATS["glyphs drawn"] > 100
    fonts.STATS.clear()
    warm = _fresh_faces(SAMPLE_TC + "港口貨櫃", tmp_path)
    assert 4 <= fonts.STATS["glyphs drawn"] <= 12  # the four new characters (and their alternates)
    # byte-identical to the faces an empty store gives
    cold = _fresh_faces(SAMPLE_TC + "港口貨櫃", tmp_path / "cold")
    assert [f.data for f in warm.all_faces()] == [f.data for f in cold.all_faces()]


def test_damaged_glyph_store_is_not_fatal(tmp_path):
    first = _fresh_faces(SAMPLE_TC, tmp_path)
    (store,) = tmp_path.glob("glyphs-*.sqlite")
    store.write_bytes(b"not a database" * 100)
    assert _fresh_faces(SAMPLE_TC, tmp_path).body.data == first.body.data
    assert _fresh_faces(SAMPLE_TC, tmp_path).body.data == first.body.data  # made again, usable


def test_a_long_batch_keeps_a_bounded_number_of_faces_in_memory(tmp_path, monkeypatch):
    """A batch worker renders article after article, each with its own subsets: the in-process
    memos (and reportlab's font registry) must forget old ones, or memory grows with the archive."""
    from pipeline.writers.pdf import registration

    monkeypatch.setitem(font_cache._MEMO_LIMIT, "subsets", 6)
    monkeypatch.setitem(font_cache._MEMO_LIMIT, "facesets", 2)
    monkeypatch.setattr(registration, "_FONT_LIMIT", 6)
    fonts.clear_memo()
    settings = Settings(font_cache=str(tmp_path))
    from reportlab.pdfbase import pdfmetrics

    registered: set[str] = set()
    latin = faces_for(doc("Plain Latin text", "en", "Title"), settings).body  # used by every article
    for n, char in enumerate("甲乙丙丁戊己庚辛"):
        faces = faces_for(doc(SAMPLE_TC + char * (n + 1), "zh-Hant"), settings)
        names = [registration._register(face) for face in (latin, *faces.all_faces())]
        # this document's fonts stay registered, the long-lived one included
        assert all(name in pdfmetrics.getRegisteredFontNames() for name in names)
        registered.update(names)
    assert len(registered) >= 16  # eight documents, new faces each time
    assert len(font_cache._SUBSET_MEMO) <= 6 and len(font_cache._FACESET_MEMO) <= 2
    assert len(registration._FONT_CACHE) <= 6
    assert len(registered & set(pdfmetrics.getRegisteredFontNames())) <= 6


def test_an_interrupt_while_glyphs_are_drawn_leaves_no_glyph_in_the_store(tmp_path, monkeypatch):
    """HarfBuzz swallows exceptions raised in its drawing callbacks, so Ctrl-C in mid-glyph would
    drop part of an outline: signals are held while drawing, delivered after, and nothing of the
    interrupted batch of glyphs is stored."""
    import signal

    from pipeline.fonts import glyphdraw

    real = glyphdraw._convert
    calls = []

    def convert(glyph):
        if not calls:
            os.kill(os.getpid(), signal.SIGINT)  # arrives while the first glyph is drawn
        calls.append(1)
        return real(glyph)

    monkeypatch.setattr(glyphdraw, "_convert", convert)
    monkeypatch.setattr(glyphdraw, "_SPLIT_FROM", 10**9)  # draw here, not in a forked helper
    fonts.clear_memo()
    with pytest.raises(KeyboardInterrupt):
        faces_for(doc(SAMPLE_TC, "zh-Hant"), Settings(font_cache=str(tmp_path)))
    assert len(calls) > 50  # every glyph was drawn whole before the interrupt was delivered
    (store,) = tmp_path.glob("glyphs-*.sqlite")
    import sqlite3

    assert sqlite3.connect(store).execute("SELECT count(*) FROM glyphs").fetchone() == (0,)


def test_a_store_that_would_not_open_is_tried_again(tmp_path, monkeypatch):
    """Two workers starting on an empty cache open the store at once, and one may find it busy.
    That worker must not draw every glyph of the batch again: it tries the store again later."""
    import sqlite3

    from pipeline.fonts import glyphstore

    real = sqlite3.connect
    refused = []

    def busy_once(*args, **kwargs):
        if not refused:
            refused.append(1)
            raise sqlite3.OperationalError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", busy_once)
    monkeypatch.setattr(glyphstore, "_RETRY_AFTER", 0.0)
    fonts.STATS.clear()
    _fresh_faces(SAMPLE_TC, tmp_path)  # the store refused once, then opened: glyphs kept
    assert refused and fonts.STATS["glyphs drawn"] > 100
    fonts.STATS.clear()
    _fresh_faces(SAMPLE_TC, tmp_path)
    assert fonts.STATS["glyphs drawn"] == 0


def test_lock_files_stay_few_however_many_subsets_are_made(tmp_path):
    """One lock file per subset would leave millions behind after an archive; keys share a fixed
    set of lock files, and those left by earlier versions are removed."""
    locks = tmp_path / "locks"
    locks.mkdir()
    (locks / f"{'ab' * 32}.lock").write_text("")  # an earlier version's per-key lock
    font_cache._UNPRUNED.clear()
    for n in range(12):
        fonts.clear_memo()
        faces_for(doc(SAMPLE_TC[: n + 2] + chr(0x4E00 + 37 * n), "zh-Hant"), Settings(font_cache=str(tmp_path)))
    names = [p.name for p in locks.iterdir()]
    assert names and len(names) <= font_cache._LOCK_STRIPES
    assert all(len(name) == len("000.lock") for name in names)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")
def test_a_forked_child_uses_its_own_store_connection_even_while_a_thread_holds_the_lock(tmp_path):
    """A batch worker forked from a process that has the glyph store open must neither use nor
    close the parent's SQLite connection, and must not wait on a lock a parent thread held."""
    import threading

    from pipeline.fonts import glyphstore

    path = tmp_path / "glyphs.sqlite"
    store = glyphstore.shared_store(path)
    store.put({"a": b"1"})
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with glyphstore._STORE_LOCK:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child leaves through os._exit
        code = 1
        try:
            import signal

            signal.alarm(20)  # a deadlock fails the test instead of hanging it
            child = glyphstore.shared_store(path)
            child.put({"b": b"2"})
            code = 0 if child.get(["a", "b"]) == {"a": b"1", "b": b"2"} else 2
        finally:
            os._exit(code)
    release.set()
    thread.join()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.get(["a", "b"]) == {"a": b"1", "b": b"2"}  # the parent's connection still works
