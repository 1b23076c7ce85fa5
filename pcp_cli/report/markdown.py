"""The report as markdown, for a paper draft: headings, pipe tables, sparklines for trends.

Every text is escaped (:func:`md_text`): KPI labels, section names, measures and force names
come from files a user may not have written, and a markdown viewer renders raw HTML and
links. ``<script>``, ``![x](http://…)`` and ``[x](javascript:…)`` print as the characters
they are, never as markup.
"""

from __future__ import annotations

import re

from pcp_cli.app.report_model import Report
from pcp_cli.report.layout import Bullets, ChartChoice, Document, Paragraph, Table, layout


def to_markdown(report: Report, *, charts: ChartChoice = "none") -> str:
    """Markdown of the report's layout (charts are HTML only; trends show as sparklines)."""
    return render_markdown(layout(report, charts))


_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKUP = re.compile(r"([\\`*_\[\]|~])")
_LINE_START = re.compile(r"^(\s*)([-+=#]|\d+(?=[.)]))")
_SCHEME = re.compile(r"(?i)\b(javascript|vbscript|data|https?|ftp|file):")


def md_text(text: str, *, line_start: bool = True) -> str:
    """Text shown as itself in markdown: HTML and markdown markup escaped, one line.

    ``&``, ``<``, ``>`` become entities (no raw HTML, no autolink); markdown punctuation
    gets a backslash (no links, images, emphasis, code); a list, heading or quote marker at
    the start is escaped (``line_start``: the text begins a line or a list item; not after
    a heading's hashes or inside a table cell); a URL scheme's colon becomes an entity so
    no viewer autolinks it.
    """
    one_line = " ".join(text.split("\n"))
    out = "".join(_HTML.get(c, c) for c in one_line)
    out = _MARKUP.sub(r"\\\1", out)
    if line_start:
        out = _LINE_START.sub(_escape_start, out)
    return _SCHEME.sub(r"\1&#58;", out)


def _escape_start(m: re.Match[str]) -> str:
    lead, marker = m.group(1), m.group(2)
    if marker[0].isdigit():  # "1. x" is a list item; "1\\. x" is text
        return lead + marker + "\\"
    return lead + "\\" + marker


def _cell(text: str) -> str:
    return md_text(text, line_start=False)


def render_markdown(doc: Document) -> str:
    e = md_text
    out = [f"# {_cell(doc.title)}", "", e(doc.subtitle), ""]
    out += [f"- **{_cell(k)}:** {_cell(v)}" for k, v in doc.meta]
    out.append("")
    for part in doc.parts:
        out += [f"## {_cell(part.title)}", ""]
        for block in part.blocks:
            if isinstance(block, Paragraph):
                out += [f"_{e(block.text)}_" if block.kind == "note" else e(block.text), ""]
            elif isinstance(block, Bullets):
                if block.title:
                    out += [f"**{_cell(block.title)}**", ""]
                out += [f"- {e(item)}" for item in block.items]
                out.append("")
            elif isinstance(block, Table):
                if block.title:
                    out += [f"### {_cell(block.title)}", ""]
                out.append("| " + " | ".join(_cell(h) for h in block.headers) + " |")
                out.append(
                    "|"
                    + "|".join(
                        "---:" if i in block.numeric else "---" for i in range(len(block.headers))
                    )
                    + "|"
                )
                for row in block.rows:
                    out.append("| " + " | ".join(_cell(c.text) for c in row) + " |")
                out.append("")
                if block.caption:
                    out += [f"_{_cell(c)}_  " for c in block.caption]
                    out.append("")
    return "\n".join(out).rstrip() + "\n"
