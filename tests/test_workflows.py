"""The GitHub workflows: schema-valid, zizmor-clean, least privilege, and building the README's way.

A release workflow is trusted with write access to the repository, so its properties are tested
here rather than discovered on the first tag: both linters run offline (their schemas and rules
ship in their PyPI packages), and the release job's shape is checked step by step.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = WORKFLOWS / "release.yml"
CI = WORKFLOWS / "ci.yml"
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"
#: what `publish all` writes and a release ships
EDITION_GLOBS = ("*.yaml", "*.pdf", "*.epub", "*.docx", "SHA256SUMS")


def tool(name: str) -> str:
    """A linter from the test extras: beside this Python first, then on PATH; skip naming it."""
    local = Path(sys.executable).parent / name
    if local.is_file():
        return str(local)
    found = shutil.which(name)
    if found:
        return found
    pytest.skip(f"needs {name} (pip install '.[test]' installs it)")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text("utf-8"))


def triggers(workflow: dict[str, Any]) -> Any:
    """``on:`` (YAML 1.1 reads the bare key as True)."""
    return workflow.get("on", workflow.get(True))


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def runs(job: dict[str, Any]) -> list[str]:
    return [s["run"] for s in steps(job) if "run" in s]


def index_of(job: dict[str, Any], predicate) -> int:
    for i, step in enumerate(steps(job)):
        if predicate(step):
            return i
    raise AssertionError("no such step")


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0] == action


def running(text: str):
    return lambda step: text in str(step.get("run", ""))


def all_workflows() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


# --------------------------------------------------------------------------- linters


@pytest.mark.parametrize("workflow", all_workflows(), ids=lambda p: p.name)
def test_workflow_matches_the_github_workflow_schema(workflow: Path) -> None:
    run = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                          str(workflow)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_zizmor_finds_nothing() -> None:
    run = subprocess.run([tool("zizmor"), "--offline", "--no-progress", "--config", str(ZIZMOR_CONFIG),
                          str(WORKFLOWS)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No findings" in run.stdout + run.stderr


def test_zizmor_accepts_tag_pins_only_for_githubs_own_actions() -> None:
    policies = load(ZIZMOR_CONFIG)["rules"]["unpinned-uses"]["config"]["policies"]
    assert policies == {"actions/*": "ref-pin", "*": "hash-pin"}


# --------------------------------------------------------------------------- every workflow


@pytest.mark.parametrize("workflow", all_workflows(), ids=lambda p: p.name)
def test_actions_are_pinned_to_release_tags_or_full_shas(workflow: Path) -> None:
    for job in load(workflow)["jobs"].values():
        for step in steps(job):
            if "uses" not in step:
                continue
            action, _, ref = step["uses"].partition("@")
            if action.startswith("actions/"):
                assert re.fullmatch(r"v\d+(\.\d+){0,2}|[0-9a-f]{40}", ref), step["uses"]
            else:
                assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{step['uses']}: pin a verified commit SHA"


@pytest.mark.parametrize("workflow", all_workflows(), ids=lambda p: p.name)
def test_checkouts_do_not_persist_credentials(workflow: Path) -> None:
    for job in load(workflow)["jobs"].values():
        for step in steps(job):
            if uses(step, "actions/checkout"):
                assert (step.get("with") or {}).get("persist-credentials") is False, workflow.name


@pytest.mark.parametrize("workflow", all_workflows(), ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_shell_script(workflow: Path) -> None:
    """Template injection: values reach scripts through env, never pasted into the script text."""
    text = workflow.read_text("utf-8")
    for job in load(workflow)["jobs"].values():
        for script in runs(job):
            assert "${{" not in script, script
    assert not re.search(r"secrets\.(?!GITHUB_TOKEN\b)", text), "only the built-in token may be used"


# --------------------------------------------------------------------------- the release workflow


@pytest.fixture(scope="module")
def release() -> dict[str, Any]:
    return load(RELEASE)


def test_release_runs_on_pushed_version_tags_only(release) -> None:
    assert triggers(release) == {"push": {"tags": ["v*"]}}


def test_release_has_least_privilege(release) -> None:
    assert release["permissions"] == {}, "no permissions by default"
    jobs = release["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["release"]["permissions"] == {"contents": "write", "id-token": "write",
                                              "attestations": "write"}
    for name, job in jobs.items():
        attests = any(uses(s, "actions/attest-build-provenance") for s in steps(job))
        perms = job.get("permissions") or {}
        assert (perms.get("id-token") == "write") == attests, name
        assert (perms.get("attestations") == "write") == attests, name
        releases = any("gh release" in r for r in runs(job))
        assert (perms.get("contents") == "write") == releases, name


def test_one_release_job_after_the_build(release) -> None:
    jobs = release["jobs"]
    assert set(jobs) == {"build", "release"}
    job = jobs["release"]
    assert job["needs"] in ("build", ["build"])
    assert "strategy" not in job, "a matrix would race to create the same release"
    assert not any(uses(s, "actions/checkout") for s in steps(job)), "the release job runs no repository code"
    assert release["concurrency"]["cancel-in-progress"] is False


def test_release_job_drafts_uploads_attests_then_publishes(release) -> None:
    job = release["jobs"]["release"]
    assert job["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert job["env"]["TAG"] == "${{ github.ref_name }}"
    download = index_of(job, lambda s: uses(s, "actions/download-artifact")
                        and (s.get("with") or {}).get("name") == "editions")
    verify = index_of(job, running("sha256sum --check"))
    draft = index_of(job, running("gh release create"))
    upload = index_of(job, running("gh release upload"))
    attest = index_of(job, lambda s: uses(s, "actions/attest-build-provenance"))
    publish = index_of(job, running("gh release edit"))
    assert download < verify < draft < upload < attest < publish
    assert "--draft" in steps(job)[draft]["run"] and "--verify-tag" in steps(job)[draft]["run"]
    assert "--draft=false" in steps(job)[publish]["run"]
    dist = steps(job)[download]["with"]["path"]
    shipped = [f"{dist}/*", "meta/build-environment.txt"]
    assert steps(job)[upload]["run"].split()[4:6] == shipped
    assert steps(job)[attest]["with"]["subject-path"].split() == shipped, "attest everything shipped"


def test_build_job_tests_builds_reproducibly_checks_and_uploads(release) -> None:
    job = release["jobs"]["build"]
    assert "strategy" not in job
    tests = index_of(job, running("bash .ci/run"))
    epoch = index_of(job, running("SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)"))
    build = index_of(job, running("publish all"))
    check = index_of(job, running("publish check"))
    upload = index_of(job, lambda s: uses(s, "actions/upload-artifact")
                      and (s.get("with") or {}).get("name") == "editions")
    record = index_of(job, running("pip freeze"))
    meta = index_of(job, lambda s: uses(s, "actions/upload-artifact")
                    and (s.get("with") or {}).get("name") == "release-meta")
    assert tests < epoch < build < check < upload
    assert build < record < meta
    assert steps(job)[meta]["with"]["path"].split() == ["release-notes.md", "build-environment.txt"]
    assert '>> "$GITHUB_ENV"' in steps(job)[epoch]["run"]
    paths = steps(job)[upload]["with"]["path"].split()
    assert paths == [f"outputs/{g}" for g in EDITION_GLOBS]
    assert steps(job)[upload]["with"]["if-no-files-found"] == "error"
    python = next(s for s in steps(job) if uses(s, "actions/setup-python"))
    assert "cache" not in (python.get("with") or {}), "no caches in a release build (cache poisoning)"


def test_build_job_refuses_a_tag_that_is_not_the_version(release) -> None:
    script = next(r for r in runs(release["jobs"]["build"]) if "publish --version" in r)
    assert '"$TAG" != "v$version"' in script and "CHANGELOG.md" in script


# --------------------------------------------------------------------------- README commands


def readme_commands() -> tuple[str, str]:
    """The README's build and test commands (the first ``sh`` block: build line, then test line)."""
    text = (ROOT / "README.md").read_text("utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no sh block with the install commands"
    lines = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    build = next(line for line in lines if "publish all" in line)
    test = next(line for line in lines if "pytest" in line)
    return build, test


def same_command(readme: str, script_line: str) -> bool:
    """``script_line`` runs the README command, perhaps with extra options (``-q``, ``-p X``...).

    Each ``&&`` part of the README command must be a subsequence of the script's part.
    """
    want = [shlex.split(part) for part in readme.split("&&")]
    have = [shlex.split(part) for part in script_line.split("&&")]

    def subsequence(small: list[str], big: list[str]) -> bool:
        rest = iter(big)
        return all(token in rest for token in small)

    return len(want) == len(have) and all(
        w[:1] == h[:1] and subsequence(w, h) for w, h in zip(want, have, strict=True))


def test_release_builds_with_the_readmes_command(release) -> None:
    build, _ = readme_commands()
    scripts = [line.strip() for r in runs(release["jobs"]["build"]) for line in r.splitlines()]
    assert build in scripts, f"the release workflow should run the README's command: {build}"


def test_ci_script_runs_the_readmes_test_command(release) -> None:
    _, test = readme_commands()
    script = [line for line in (ROOT / ".ci" / "run").read_text("utf-8").splitlines() if "pytest" in line]
    assert any(same_command(test, line) for line in script), f".ci/run should run: {test}"
    assert "bash .ci/run" in runs(release["jobs"]["build"])


def test_release_installs_every_system_tool_ci_would(release) -> None:
    """.ci/run installs missing tools with apt-get, which needs root; the workflow does it first."""
    wanted = set()
    for group in re.findall(r"need\+=\(([^)]*)\)", (ROOT / ".ci" / "run").read_text("utf-8")):
        wanted.update(group.split())
    assert wanted, ".ci/run lists no packages"
    install = next(r for r in runs(release["jobs"]["build"]) if "apt-get install" in r)
    assert wanted <= set(install.split()), wanted - set(install.split())


def test_ci_uploads_the_editions_on_pushes() -> None:
    ci = load(CI)
    assert "push" in triggers(ci)
    job = next(iter(ci["jobs"].values()))
    assert any(running("publish all")(s) for s in steps(job))
    assert any(uses(s, "actions/upload-artifact") and (s.get("with") or {}).get("name") == "editions"
               for s in steps(job))


# --------------------------------------------------------------------------- versioning


def project_version() -> str:
    """The one version: ``pipeline.__version__``, which pyproject.toml reads (dynamic)."""
    assert 'version = { attr = "pipeline.__version__" }' in (ROOT / "pyproject.toml").read_text("utf-8")
    init = (ROOT / "pipeline" / "__init__.py").read_text("utf-8")
    return re.search(r'^__version__ = "([^"]+)"', init, re.M).group(1)


def test_changelog_has_an_entry_for_the_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert re.search(rf"^## \[{re.escape(project_version())}\] - \d{{4}}-\d\d-\d\d$", text, re.M)


def tag_check(tmp_path: Path, tag: str) -> subprocess.CompletedProcess:
    """The release workflow's tag/changelog step, run with bash on a stand-in ``publish``."""
    script = next(r for r in runs(load(RELEASE)["jobs"]["build"]) if "publish --version" in r)
    fake = tmp_path / ".venv" / "bin" / "publish"
    fake.parent.mkdir(parents=True)
    fake.write_text(f"#!/bin/sh\necho 'publish, version {project_version()}'\n")
    fake.chmod(0o755)
    shutil.copy(ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    return subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "TAG": tag}, timeout=60)


def test_release_notes_are_the_changelog_entry_of_the_tag(tmp_path: Path) -> None:
    run = tag_check(tmp_path, f"v{project_version()}")
    assert run.returncode == 0, run.stdout + run.stderr
    notes = (tmp_path / "release-notes.md").read_text("utf-8")
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    entry = text.split(f"## [{project_version()}]", 1)[1].split("\n", 1)[1].split("\n## [", 1)[0]
    assert notes.strip() == entry.strip() and notes.strip()


def test_a_tag_that_is_not_the_version_is_refused(tmp_path: Path) -> None:
    run = tag_check(tmp_path, "v99.0.0")
    assert run.returncode == 1
    assert "does not match the version" in run.stdout
