"""The bad-input corpus (tests/bad_inputs/cases.toml), driven through the installed `publish` command.

Every case checks what the issue asks of every bad input: the exit status; problems one per line as
``error: FILE...`` naming the file and the problem; no traceback without -v; no temp file left; the
earlier editions in the output folder byte-identical; and, when it builds, editions that parse and
that print the text literally. The edition readers here are shared with test_interrupt.py and
test_properties.py.
"""

from __future__ import annotations

import collections
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pipeline.outdir import TEMP_PREFIX
from pipeline.yamlio import load_document

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PUBLISH = str(Path(sys.executable).parent / "publish")
CORPUS = Path(__file__).resolve().parent / "bad_inputs"
EDITIONS = (".pdf", ".epub", ".docx")
#: Han ideographs (URO, Ext-A, Ext-B onwards): what the "no silent loss" checks count.
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef\U00030000-\U0003134f]")


# --- reading editions (shared with test_interrupt.py and test_properties.py) -----------------------


def squash(text: str) -> str:
    """Text without whitespace and invisible break hints, so line and page breaks don't matter."""
    return "".join(text.split()).replace("\u00ad", "").replace("\u200b", "")


def pdf_text(data: bytes) -> str:
    """Every page's text; raises if the PDF does not parse."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    assert len(reader.pages) >= 1
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _xml_text(data: bytes) -> str:
    return "\n".join(ET.fromstring(data).itertext())


def epub_text(data: bytes) -> str:
    """The text of every XHTML document; raises if the zip or any XML part does not parse."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[0] == "mimetype" and z.read("mimetype") == b"application/epub+zip"
        out = []
        for name in names:
            if name.endswith((".xhtml", ".html", ".opf", ".ncx", ".xml")):
                root = ET.fromstring(z.read(name))
                if name.endswith((".xhtml", ".html")):
                    made = [e.tag for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "script"
                            or e.get("src") in ("/etc/passwd", "x.png")]
                    assert not made, f"{name}: text became markup: {made}"
                    out.append(_xml_text(z.read(name)))
        return "\n".join(out)


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(data: bytes) -> str:
    """The text of document.xml, paragraph by paragraph; raises if any XML part does not parse."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                ET.fromstring(z.read(name))
        root = ET.fromstring(z.read("word/document.xml"))
    for instr in root.iter(f"{W}instrText"):
        assert "MERGEFIELD" not in (instr.text or ""), "text became a Word field"
    for simple in root.iter(f"{W}fldSimple"):
        assert "MERGEFIELD" not in (simple.get(f"{W}instr") or ""), "text became a Word field"
    paragraphs = []
    for p in root.iter(f"{W}p"):
        paragraphs.append("".join(t.text or "" for t in p.iter(f"{W}t")))
    return "\n".join(paragraphs)


READERS = {".pdf": pdf_text, ".epub": epub_text, ".docx": docx_text}


def embedded_images(path: Path) -> int:
    """How many pictures an edition embeds (the EPUB's generated cover not counted)."""
    data = path.read_bytes()
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        found = set()
        for page in PdfReader(io.BytesIO(data)).pages:
            for obj in (page.get("/Resources", {}).get("/XObject") or {}).values():
                if obj.get_object().get("/Subtype") == "/Image":
                    found.add(obj.idnum if hasattr(obj, "idnum") else id(obj))
        return len(found)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if path.suffix == ".docx":
            return len([n for n in z.namelist() if n.startswith("word/media/")])
        return len([n for n in z.namelist() if "/images/" in f"/{n}" and not Path(n).stem.startswith("cover")])


def edition_text(path: Path) -> str:
    return READERS[path.suffix](path.read_bytes())


def document_text(path: Path) -> tuple[str, str]:
    """What a YAML document prints (meta, blocks), and that plus the dropped lines: all it holds."""
    document = load_document(path)
    printed = "\n".join(document.texts())
    extra = [d.text for d in document.dropped] + [document.meta.source or "", document.meta.identifier or ""]
    return printed, "\n".join([printed, *extra])


def check_sums(out: Path) -> None:
    """SHA256SUMS lists the editions in the folder with their current hashes."""
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name


def temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(TEMP_PREFIX + "*")]


def publish(*args: str, cwd: Path, timeout: float = 600, memory_mb: int | None = None
            ) -> subprocess.CompletedProcess:
    def limit_memory() -> None:  # so a case that reads without bound cannot take the machine down
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024,) * 2)

    return subprocess.run([PUBLISH, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "SOURCE_DATE_EPOCH": "1585267200"},
                          preexec_fn=limit_memory if memory_mb else None)


# --- inputs generated at test time (too big to keep in git) -----------------------------------------


def twenty_megabytes(path: Path) -> None:
    """20 MiB: a sparse file, refused on its size before it is read."""
    with open(path, "wb") as fh:
        fh.truncate(20 * 1024 * 1024)


def twenty_megabyte_yaml(path: Path) -> None:
    head = "format: 1\nmeta: {title: 大, lang: zh-Hant}\nblocks:\n"
    line = "- {type: paragraph, text: " + "很長的文件" * 20 + "}\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(head + line * (20 * 1024 * 1024 // len(line.encode())))


def long_paragraph(path: Path) -> None:
    """A title, then one paragraph of 50,000 characters without any punctuation."""
    words = "鹽田區各級領導幹部帶頭奮戰在一線全區上下團結一心執行有力"
    body = (words * (50_000 // len(words) + 1))[:50_000]
    path.write_text(f"沒有標點的長段落\n\n{body}\n", "utf-8")


def many_paragraphs(path: Path) -> None:
    """A title, then 5,000 distinct paragraphs."""
    paras = [f"第{i}段：鹽田區在疫情防控中統籌推進第{i}項工作，全區上下團結一心。" for i in range(1, 5001)]
    path.write_text("五千段的文件\n\n" + "\n\n".join(paras) + "\n", "utf-8")


GENERATORS = {f.__name__: f for f in (twenty_megabytes, twenty_megabyte_yaml, long_paragraph, many_paragraphs)}


# --- the table -------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    input: str = ""
    generate: str | None = None
    args: list[str] = field(default_factory=lambda: ["all", "{input}", "-o", "out"])
    status: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_count: int | None = None
    names: str | None = None
    warnings: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)
    keep_han: bool = False
    encoding: str = "utf-8"
    print: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    drawn_or_warned: str = ""
    seconds: float | None = None
    pyproject: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)
    scripted: str | None = None
    xfail: str | None = None
    #: the article's name, when the input is a folder
    stem: str | None = None
    symlinks: dict[str, str] = field(default_factory=dict)
    memory_mb: int | None = None
    images: int | None = None

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> Case:
        table = dict(table)
        status = table.pop("status", [])
        case = cls(**table)
        case.status = status if isinstance(status, list) else [status]
        return case

    @property
    def source(self) -> str:
        return f"src/{self.input}"


def load_cases() -> list[Case]:
    with open(CORPUS / "cases.toml", "rb") as fh:
        return [Case.from_table(t) for t in tomllib.load(fh)["case"]]


CASES = load_cases()
TABLE_CASES = [c for c in CASES if not c.scripted]


def _params():
    for case in TABLE_CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        yield pytest.param(case, id=case.name, marks=marks)


def _out_dir(args: list[str]) -> str:
    for flag in ("-o", "--out", "--output"):
        if flag in args:
            return args[args.index(flag) + 1]
    return "outputs"


#: What the output folder held before the run: another article's editions (always), and this
#: article's earlier editions (when the run must fail, they must come through untouched).
EARLIER = {f"earlier{s}": f"earlier edition {s}\n".encode() for s in (".yaml", *EDITIONS)}


def _setup(case: Case, folder: Path) -> dict[Path, bytes]:
    src = folder / "src"
    src.mkdir()
    if case.generate:
        GENERATORS[case.generate](src / case.input)
    elif case.input:
        origin = CORPUS / case.input
        (src / case.input).parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, src / case.input)
        else:
            shutil.copy(origin, src / case.input)
    for d in case.dirs:
        (folder / d).mkdir(parents=True)
    for name, text in case.files.items():
        (folder / name).write_text(text, "utf-8")
    for name, target in case.symlinks.items():
        (folder / name).symlink_to(target.replace("{corpus}", str(CORPUS)))
    if case.pyproject:
        (folder / "pyproject.toml").write_text(case.pyproject, "utf-8")
    before: dict[Path, bytes] = {folder / name: text.encode() for name, text in case.files.items()}
    out = folder / _out_dir(case.args)
    if _out_dir(case.args) == "out":  # cases about other output paths set up their own
        out.mkdir(parents=True)
        stem = case.stem or Path(case.input).stem
        seeds = dict(EARLIER)
        if 0 not in case.status:
            seeds.update({f"{stem}{s}": f"earlier {stem}{s}\n".encode() for s in (".yaml", *EDITIONS)})
        for name, data in seeds.items():
            (out / name).write_bytes(data)
            before[out / name] = data
    return before


@pytest.mark.parametrize("case", list(_params()))
def test_bad_input(case: Case, tmp_path: Path) -> None:
    before = _setup(case, tmp_path)
    args = [a.replace("{input}", case.source) for a in case.args]
    started = time.perf_counter()
    limit = case.seconds or 240
    try:
        run = publish(*args, cwd=tmp_path, timeout=limit + 5, memory_mb=case.memory_mb)
    except subprocess.TimeoutExpired:
        pytest.fail(f"publish {' '.join(args)} ran for more than {limit + 5} s (killed)")
    seconds = time.perf_counter() - started
    report = f"publish {' '.join(args)} -> {run.returncode} in {seconds:.1f} s\n{run.stderr[-3000:]}"

    assert run.returncode in case.status, report
    assert "Traceback" not in run.stderr + run.stdout, report
    assert "internal error" not in run.stderr, f"a bad input is not an internal error\n{report}"
    assert not temp_files(tmp_path), report
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} changed\n{report}"
    if case.seconds is not None:
        assert seconds < case.seconds, report

    lines = run.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    warnings = [line for line in lines if line.startswith("warning: ")]
    names = case.names or case.source
    if run.returncode == 2:  # usage errors: click's own format, naming the option
        usage = [line for line in lines if line.lower().startswith("error: ")]
        assert usage and all(names in u for u in usage), report
        for pattern in case.errors:
            assert any(re.search(pattern, u) for u in usage), f"no error matches {pattern!r}\n{report}"
        return
    for line in lines:  # one line per problem: nothing but errors, warnings and notes
        assert line.startswith(("error: ", "warning: ")) or "is the source of truth" in line, \
            f"stray line {line!r}\n{report}"
        assert not line.rstrip().endswith(":"), f"a message without its reason: {line!r}\n{report}"
    if run.returncode != 0:
        assert errors, report
        for line in errors:
            assert names in line, f"error line does not name {names}: {line}\n{report}"
        for pattern in case.errors:
            assert any(re.search(pattern, e) for e in errors), f"no error matches {pattern!r}\n{report}"
        if case.error_count is not None:
            assert len(errors) == case.error_count, report
        return

    assert not errors, report
    for line in warnings:
        assert names in line or case.source.split("/")[0] in line, f"warning does not name the file: {line}"
    for pattern in case.warnings:
        assert any(re.search(pattern, w) for w in warnings), f"no warning matches {pattern!r}\n{report}"
    _check_editions(case, tmp_path, tmp_path / _out_dir(args), warnings, report)


def _check_editions(case: Case, folder: Path, out: Path, warnings: list[str], report: str) -> None:
    stem = case.stem or Path(case.input).stem
    printed, document = document_text(out / f"{stem}.yaml")
    if Path(case.input).suffix == ".txt":  # the normaliser's output (a YAML source is copied as is)
        for unwanted in case.absent:
            assert unwanted not in printed, f"{unwanted!r} is in the document's printed text"
    for text in case.keep:
        assert squash(text) in squash(document), f"{text!r} was lost from the YAML document"
    if case.keep_han:
        origin = folder / case.source
        given = collections.Counter(HAN.findall(origin.read_bytes().decode(case.encoding, errors="ignore")))
        found = collections.Counter(HAN.findall(document))
        lost = {ch: n - found[ch] for ch, n in given.items() if found[ch] < n}
        assert not lost, f"Han characters lost without a record: {lost}"
    texts = {}
    for suffix in EDITIONS:
        path = out / f"{stem}{suffix}"
        assert path.is_file() and path.stat().st_size > 0, f"{path} missing\n{report}"
        texts[suffix] = edition_text(path)
    check_sums(out)
    if case.images is not None:
        for suffix in EDITIONS:
            assert embedded_images(out / f"{stem}{suffix}") == case.images, f"{suffix}: pictures embedded"
    assert "\x00" not in texts[".pdf"], "the PDF draws glyph 0 (.notdef, tofu) for some character"
    for suffix, text in texts.items():
        flat = squash(text)
        for wanted in case.print:
            assert squash(wanted) in flat, f"{suffix}: {wanted!r} is not printed literally"
        for unwanted in case.absent:
            assert unwanted not in text, f"{suffix}: {unwanted!r} reached the edition"
    for ch in dict.fromkeys(case.drawn_or_warned):
        if ord(ch) < 0x10000:
            continue
        code = f"U+{ord(ch):04X}"
        assert ch in texts[".pdf"] or any(code in w for w in warnings), \
            f"{code} is neither in the PDF text nor named by a warning"
        assert ch in texts[".epub"] and ch in texts[".docx"], f"{code} was dropped from an edition"


def test_every_case_has_an_input_and_a_test() -> None:
    """The table is the catalogue: table cases name an existing input, scripted ones a real test."""
    here = Path(__file__).resolve().parent
    for case in CASES:
        if case.scripted:
            module, _, func = case.scripted.partition("::")
            assert f"def {func}(" in (here / module).read_text("utf-8"), case.scripted
            continue
        assert case.status, case.name
        assert case.generate in GENERATORS if case.generate else (CORPUS / case.input).exists(), case.name
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


def test_failing_cases_run_with_v_print_no_traceback_either_for_input_errors(tmp_path: Path) -> None:
    """-v adds tracebacks for internal errors only; a bad input is never an internal error."""
    (tmp_path / "src").mkdir()
    for name in ("schema_violations.yaml", "furniture.txt", "binary.txt"):
        shutil.copy(CORPUS / name, tmp_path / "src" / name)
    run = publish("-v", "all", "src", "-o", "out", cwd=tmp_path)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert {"schema_violations.yaml", "furniture.txt", "binary.txt"} <= {
        Path(line.split(":")[1].strip()).name for line in run.stderr.splitlines() if line.startswith("error: ")}


def _fuzz_inputs() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "cases.toml")


@pytest.mark.parametrize("path", _fuzz_inputs(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_fuzz_properties_hold_on_the_corpus_and_kept_crashes(path: Path) -> None:
    """Every corpus file, and every crash the fuzzers found (bad_inputs/fuzz/), through both checks."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fuzz"))
    try:
        import fuzz_normalise
        import fuzz_yaml
    finally:
        sys.path.pop(0)
    data = path.read_bytes()
    fuzz_yaml.check(data)
    fuzz_normalise.check(data)
