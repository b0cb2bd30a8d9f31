"""The YAML document: it loads and validates against the shipped schema; editions find theirs beside them."""

from __future__ import annotations

from pathlib import Path

from pipeline.check.report import Report


def check_yaml(path: Path, report: Report) -> None:
    """The document loads and validates against the shipped schema."""
    from pipeline.yamlio import DocumentError, load_document

    try:
        load_document(path)
    except DocumentError as exc:
        # load_document's problems already start with the file name (file:line:col: ...)
        for line in exc.problems:
            report.problems.append(line if line.startswith(str(path)) else f"{path}: {line}")
    except Exception as exc:  # noqa: BLE001 - a loader crash is still one line about this file
        report.problem(path, f"cannot load: {type(exc).__name__}: {exc}")


def document_beside(path: Path):
    """The YAML document built with an edition (``NAME.yaml`` beside it), or None."""
    from pipeline.yamlio import load_document

    yaml_path = path.with_suffix(".yaml")
    if not yaml_path.is_file():
        return None
    try:
        return load_document(yaml_path)
    except Exception:  # noqa: BLE001 - its own check reports a bad YAML
        return None
