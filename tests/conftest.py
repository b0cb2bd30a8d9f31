"""Shared fixtures. A test that needs a system tool calls ``require_tool`` and skips, naming it;
with PUBLISH_NO_SKIP=1 (set by .ci/run) every skip is turned into a failure so CI runs everything."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipeline.model import Caption, Document, Dropped, Heading, ListBlock, Meta, Paragraph, Quote

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"


def require_tool(*names: str) -> str:
    """The path of the first tool found; skip the test naming the tool(s) otherwise."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"needs {' or '.join(names)} (not installed; .ci/run installs it)")


def require_java() -> str:
    return require_tool("java")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("PUBLISH_NO_SKIP") == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but PUBLISH_NO_SKIP=1 forbids skips: {reason}"


@pytest.fixture
def sample_document() -> Document:
    """A small zh-Hant document with every block type and the tricky characters writers meet."""
    return Document(
        meta=Meta(
            title="鹽田“四個堅持”為抗疫提供組織保證",
            lang="zh-Hant",
            byline="記者陳嘉寧／桃園機場報導",
            date="2020-03-26",
            publisher="深圳特區報",
            keywords=("抗疫", "鹽田"),
        ),
        blocks=(
            Caption(text="華大基因第一時間完成新冠病毒的基因組測序和數據組裝，僅用5天就設計完成武漢火眼實驗室。",
                    credit="受訪單位供圖", lines=(5,)),
            Paragraph(text="三月，經過新冠疫情“大考”的鹽田正在加快復甦。行走在山海鹽田，舉目四望，皆是一派生機和活力。"
                      * 3, lines=(9,)),
            Heading(text="堅持突出黨委領導核心作用", level=1, lines=(17,)),
            Paragraph(text="疫情就是命令，防控就是責任。", role="epigraph", lines=(19,)),
            Paragraph(runin="專項考核在一線。", text="在不干擾影響抗擊疫情工作的基礎上，組建專項考核組，以現場調研、"
                      "暗訪督查等形式深入一線開展幹部專項考核工作。全區規上企業復工率達97.77%。", lines=(51,)),
            Heading(text="小標題", level=2),
            ListBlock(items=("第一項", "第二項 <b>&amp;</b>")),
            Quote(text="“在距離病毒最近的地方，有我！”", attribution="白衣天使"),
            Paragraph(text="Markup stays literal: <script>alert(1)</script> &amp; ]]> <para> <font> {PAGE}"),
        ),
        dropped=(Dropped(line=3, text="<table> 鹽田", reason="markup-residue"),),
    )
