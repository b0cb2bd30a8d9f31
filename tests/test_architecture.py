"""The package's rooms: imports run one way, the fonts and the checker stand beneath what uses them,
and no module outgrows a room. A newcomer should find where a change goes from the module names;
a circle of imports or a 1,000-line module undoes that quietly, so these tests say so loudly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "pipeline"
#: aim for 400 lines a module; past this a module has become two rooms
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The pipeline modules ``name`` imports anywhere in its body (inside functions too). ``from
    pkg import sub`` depends on the submodule, not on the package's ``__init__``."""

    def known(dotted: str) -> str | None:
        while dotted and dotted not in MODULES:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.append(sub if sub in MODULES else base)
        for target in targets:
            module = known(target) if target.startswith("pipeline") else None
            if module and module != name:
                out.add(module)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_the_walker_sees_imports_inside_functions() -> None:
    # build imports its executors only when it runs: that import must still count
    assert "pipeline.executors" in GRAPH["pipeline.build"]
    assert "pipeline.edition_processes" in GRAPH["pipeline.jobs"]


def test_no_import_circle_between_modules() -> None:
    cycles = _cycles()
    assert not cycles, "import circles (move what both need into a module beneath them): " + "; ".join(
        " <-> ".join(c) for c in cycles)


def _reaches(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("below, above", [
    ("pipeline.check", "pipeline.build"),     # the checker reads what build writes, through outdir
    ("pipeline.fonts", "pipeline.writers"),   # the fonts serve every writer
    ("pipeline.outdir", "pipeline.build"),
    ("pipeline.executors", "pipeline.build"),
    ("pipeline.jobs", "pipeline.executors"),
    ("pipeline.model", "pipeline.normalise"),
])
def test_lower_rooms_import_nothing_from_higher_ones(below: str, above: str) -> None:
    inside = [m for m in MODULES if m == below or m.startswith(below + ".")]
    offending = sorted(m for m in inside for dep in GRAPH[m] if dep == above or dep.startswith(above + "."))
    assert not offending, f"{', '.join(offending)} import from {above}"
    reached = set().union(*(_reaches(m) for m in inside))
    assert not any(r == above or r.startswith(above + ".") for r in reached), f"{below} reaches {above}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_is_one_room(name: str) -> None:
    path = MODULES[name]
    lines = path.read_text("utf-8").count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by concern"
    tree = ast.parse(path.read_text("utf-8"))
    if tree.body:
        assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} does not say what it is for"
