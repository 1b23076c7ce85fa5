"""The import rules of docs/architecture.md, read from the source (lazy imports included).

Data flows one way (extract → ingest → store → engine → analysis → app → renderers → CLI);
a module that imports a layer above its own would let that layer's answer leak back down,
which is how the report and ``pcp check`` once disagreed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pcp_cli"

# What each part of pcp must never import (pcp's own sub-packages and modules).
FORBIDDEN: dict[str, set[str]] = {
    "stats": {"analysis", "app", "cli", "report", "charts", "engine", "store", "ingest"},
    "analysis": {"app", "cli", "report", "charts", "ingest", "config"},
    "app": {"cli", "report", "charts", "ingest"},
    "report": {"cli", "ingest"},
    "engine": {"analysis", "app", "cli", "report", "charts", "ingest"},
    "store": {"analysis", "app", "cli", "report", "charts", "ingest", "engine"},
    "ingest": {"analysis", "app", "cli", "report", "charts", "engine"},
    "text": {"analysis", "app", "cli", "report", "charts", "engine", "store", "stats"},
}
TERMINAL_LIBRARIES = {"click", "rich"}  # the CLI's alone: the library core never prints


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> set[tuple[str, str]]:
    """(pcp sub-package or external top-level name, 'pcp' | 'ext') of every import."""
    found: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "pcp_cli" and len(parts) > 1:
                found.add((parts[1], "pcp"))
            elif parts[0] != "pcp_cli":
                found.add((parts[0], "ext"))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    part = _part(path)
    imports = _imports(path)
    forbidden = FORBIDDEN.get(part, set())
    wrong = sorted(name for name, kind in imports if kind == "pcp" and name in forbidden)
    assert not wrong, f"{path.relative_to(PACKAGE)} ({part}) imports {wrong}"
    if part not in {"cli", "__main__"}:
        terminal = sorted(
            name for name, kind in imports if kind == "ext" and name in TERMINAL_LIBRARIES
        )
        assert not terminal, f"{path.relative_to(PACKAGE)} imports {terminal} (only cli/ may)"


def test_the_rules_see_a_wrong_import(tmp_path: Path) -> None:
    """The reader finds a late import inside a function, as the old report-words one was."""
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from pcp_cli.report.layout import layout\n    import rich\n")
    assert {("report", "pcp"), ("rich", "ext")} <= _imports(module)


def test_the_report_package_only_renders() -> None:
    """The report's model is built in app/ (one answer); report/ holds renderers alone."""
    names = {p.stem for p in (PACKAGE / "report").glob("*.py")}
    assert not names & {"build", "model", "words", "dq"}


MAX_FUNCTION_LINES = 80  # issue 10: a function a reader can hold in mind


def test_no_function_is_longer_than_80_lines() -> None:
    long = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({lines})")
    assert long == []
