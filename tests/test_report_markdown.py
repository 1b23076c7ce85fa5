"""The markdown report is safe to open in a viewer: text from data or config is text.

KPI labels and section names come from the KPI file, force names from the forces file and
measure names from the extracts: none may become HTML, an image or a link in markdown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pcp_cli.report.layout import Bullets, Cell, Document, Paragraph, Part, Table
from pcp_cli.report.markdown import md_text, render_markdown
from tests.conftest import REPO, run_pcp

SCRIPT = "<script>alert(1)</script>"
IMAGE = "![x](http://evil.example/x.png)"
LINK = "[click](javascript:alert(1))"
HOSTILE = f"{SCRIPT} {IMAGE} {LINK}"


def assert_inert(markdown: str) -> None:
    """No raw HTML, no image or link syntax, no scheme a viewer would autolink."""
    assert "<script" not in markdown.lower()
    assert "![" not in markdown and "](" not in markdown.replace("\\](", "")
    assert "javascript:" not in markdown.lower()
    assert "http://" not in markdown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SCRIPT, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        (IMAGE, "!\\[x\\](http&#58;//evil.example/x.png)"),
        (LINK, "\\[click\\](javascript&#58;alert(1))"),
        ("<https://evil.example>", "&lt;https&#58;//evil.example&gt;"),
        ("a | b\nc", "a \\| b c"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("1. item", "1\\. item"),
        ("**bold** _it_ `code`", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\`"),
        ("All crime (3.1) rose 8.4% to 23,116", "All crime (3.1) rose 8.4% to 23,116"),
    ],
)
def test_md_text_escapes(text: str, expected: str) -> None:
    assert md_text(text) == expected


def test_every_block_is_escaped() -> None:
    doc = Document(
        HOSTILE,
        HOSTILE,
        (("Force", HOSTILE),),
        (
            Part(
                "p",
                HOSTILE,
                (
                    Paragraph(HOSTILE),
                    Paragraph(HOSTILE, "note"),
                    Bullets((HOSTILE,), HOSTILE),
                    Table((HOSTILE,), ((Cell(HOSTILE),),), caption=(HOSTILE,), title=HOSTILE),
                ),
            ),
        ),
    )
    text = render_markdown(doc)
    assert_inert(text)
    assert text.count("&lt;script&gt;") == 12  # every one of the 12 texts, escaped


def test_report_escapes_kpi_file_and_forces_file(sample_store: Path, tmp_path: Path) -> None:
    """A hostile KPI label, section name and force name, through `pcp report`."""
    kpis = (REPO / "config" / "kpis.toml").read_text(encoding="utf-8")
    kpis = kpis.replace('"Calls"', '"Calls ' + HOSTILE.replace('"', '\\"') + '"')
    kpis = kpis.replace('label = "Number of 999 calls"', f'label = "999 {HOSTILE}"')
    forces = (REPO / "config" / "forces.toml").read_text(encoding="utf-8")
    forces = forces.replace('name = "Leicestershire"', f'name = "Leics {HOSTILE}"', 1)
    (tmp_path / "kpis.toml").write_text(kpis, encoding="utf-8")
    (tmp_path / "forces.toml").write_text(forces, encoding="utf-8")
    result = run_pcp(
        ["report", "--store", str(sample_store), "--force", "leicestershire", "--period",
         "Q2 2018/19", "--kpis", str(tmp_path / "kpis.toml"), "--forces",
         str(tmp_path / "forces.toml"), "--format", "markdown", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert_inert(text)
    assert "## 1. Calls &lt;script&gt;" in text  # the section heading, escaped
    assert "| 999 &lt;script&gt;alert(1)&lt;/script&gt; !\\[x\\]" in text  # the KPI label
    assert "- **Force:** Leics &lt;script&gt;" in text  # the force name
