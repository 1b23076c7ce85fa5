"""The report as markdown, for a paper draft: headings, pipe tables, sparklines for trends."""

from __future__ import annotations

from pcp_cli.report.layout import Bullets, ChartChoice, Document, Paragraph, Table, layout
from pcp_cli.report.model import Report


def to_markdown(report: Report, *, charts: ChartChoice = "none") -> str:
    """Markdown of the report's layout (charts are HTML only; trends show as sparklines)."""
    return render_markdown(layout(report, charts))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: Document) -> str:
    out = [f"# {doc.title}", "", doc.subtitle, ""]
    out += [f"- **{k}:** {v}" for k, v in doc.meta]
    out.append("")
    for part in doc.parts:
        out += [f"## {part.title}", ""]
        for block in part.blocks:
            if isinstance(block, Paragraph):
                out += [f"_{block.text}_" if block.kind == "note" else block.text, ""]
            elif isinstance(block, Bullets):
                if block.title:
                    out += [f"**{block.title}**", ""]
                out += [f"- {item}" for item in block.items]
                out.append("")
            elif isinstance(block, Table):
                if block.title:
                    out += [f"### {block.title}", ""]
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
