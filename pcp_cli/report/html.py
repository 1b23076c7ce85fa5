"""The report as one self-contained HTML file a panel clerk can email.

Inline CSS, charts inline as SVG (or base64 PNG), no scripts, no external fonts, images or
links: the file opens the same offline as online. ``@media print`` lays it out for A4 with a
page break before each section, table headers repeated on each page and rows kept whole.
"""

from __future__ import annotations

import html

from pcp_cli.app.report_model import Report
from pcp_cli.report.layout import (
    Block,
    Bullets,
    Cell,
    ChartBlock,
    ChartChoice,
    Document,
    Paragraph,
    Table,
    layout,
)
from pcp_cli.report.svg import ChartFormat, mini_trend, render_figure

CSS = """
:root {
  --ink: #1a1a1a; --muted: #5f6368; --rule: #c8ccd2; --head: #1f3864; --band: #f3f5f8;
  --good: #1b6e2f; --bad: #a4001d; --improvement: #005f8f; --concern: #b34700;
  --neutral: #490092;
}
* { box-sizing: border-box; }
html { background: #fff; }
body {
  margin: 0 auto; padding: 24px 28px 40px; max-width: 1120px; color: var(--ink);
  font: 10.5pt/1.45 "Segoe UI", Arial, Helvetica, "Liberation Sans", sans-serif;
}
header.cover { border-bottom: 4px solid var(--head); padding-bottom: 10px; margin-bottom: 8px; }
.kicker { margin: 0; text-transform: uppercase; letter-spacing: 0.08em; font-size: 9pt;
  color: var(--muted); }
h1 { margin: 4px 0 2px; font-size: 21pt; line-height: 1.2; color: var(--head); }
.subtitle { margin: 0 0 10px; font-size: 12pt; }
dl.meta { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 14px;
  margin: 0; font-size: 9pt; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
nav.toc { margin: 10px 0 0; font-size: 9.5pt; }
nav.toc h2 { font-size: 10pt; border: 0; margin: 0 0 2px; padding: 0; }
nav.toc ol { margin: 0; padding-left: 20px; columns: 2; }
nav.toc a { color: var(--head); text-decoration: none; }
section.part { margin-top: 22px; }
h2 { margin: 0 0 8px; padding-bottom: 3px; font-size: 14.5pt; color: var(--head);
  border-bottom: 2px solid var(--head); }
h3 { margin: 12px 0 4px; font-size: 11pt; color: var(--head); }
p { margin: 4px 0 8px; }
p.lead { font-size: 10.5pt; }
p.empty { font-style: italic; }
p.note, p.caption { font-size: 8.5pt; color: var(--muted); margin: 2px 0; }
div.captions { margin: 2px 0 10px; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 4px; font-size: 9pt; }
th { background: var(--head); color: #fff; font-weight: 600; text-align: left;
  padding: 4px 6px; vertical-align: bottom; }
td { padding: 3px 6px; border-bottom: 1px solid var(--rule); vertical-align: middle; }
tbody tr:nth-child(even) td { background: var(--band); }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.trend { width: 128px; padding: 1px 4px; }
table.provenance td:first-child { width: 190px; color: var(--muted); }
table.provenance td { word-break: break-all; }
.tone-good { color: var(--good); font-weight: 600; }
.tone-bad { color: var(--bad); font-weight: 600; }
.tone-improvement { color: var(--improvement); font-weight: 600; }
.tone-concern { color: var(--concern); font-weight: 600; }
.tone-neutral { color: var(--neutral); font-weight: 600; }
.tone-muted { color: var(--muted); }
td.tone-red, td.tone-amber, td.tone-green { font-weight: 700; }
td.tone-red { color: #7d0014; }
td.tone-amber { color: #6b4a00; }
td.tone-green { color: #145224; }
tbody tr td.tone-red { background: #f6d2d5; }
tbody tr td.tone-amber { background: #fbe7b5; }
tbody tr td.tone-green { background: #d3ecd8; }
ul { margin: 4px 0 10px; padding-left: 20px; }
table.headlines td:nth-child(2) { white-space: nowrap; }
table.headlines { font-size: 9.5pt; }
table.glossary td:first-child { width: 170px; font-weight: 600; }
ul.methods, ul.warnings { font-size: 8.5pt; color: var(--muted); }
svg.spark { display: block; }
figure { margin: 14px 0 8px; break-inside: avoid; page-break-inside: avoid; }
figure svg.chart, figure img.chart { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: var(--muted); margin-top: 2px; }
footer { margin-top: 28px; padding-top: 6px; border-top: 1px solid var(--rule);
  font-size: 8pt; color: var(--muted); }
@page { size: A4 portrait; margin: 13mm 11mm 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9.5pt; }
  section.new-page { break-before: page; page-break-before: always; }
  section.part { margin-top: 0; }
  nav.toc { display: none; }
  table { font-size: 8pt; }
  table.kpis td:nth-child(2) { min-width: 26mm; }
  table.kpis td:nth-child(9) { min-width: 21mm; }
  table.kpis td:nth-child(10), table.kpis td:nth-child(12) { white-space: nowrap; }
  table.kpis td.trend, table.summary td.trend { width: 22mm; }
  td.trend svg.spark { width: 20mm; height: auto; }
  thead { display: table-header-group; }
  tr, figure, svg.spark { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  th, tbody tr td.tone-red, tbody tr td.tone-amber, tbody tr td.tone-green,
  tbody tr:nth-child(even) td {
    -webkit-print-color-adjust: exact; print-color-adjust: exact;
  }
}
"""


def to_html(
    report: Report, *, charts: ChartChoice = "notable", chart_format: ChartFormat = "svg"
) -> str:
    """The report as one self-contained HTML document (see the module docstring)."""
    return render_html(layout(report, charts), report, chart_format)


def render_html(doc: Document, report: Report, chart_format: ChartFormat = "svg") -> str:
    e = html.escape
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="pcp {e(report.provenance.pcp_version)}">',
        f"<title>{e(doc.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        '<header class="cover">',
        '<p class="kicker">Police and Crime Panel: performance report</p>',
        f"<h1>{e(doc.title)}</h1>",
        f'<p class="subtitle">{e(doc.subtitle)}</p>',
        '<dl class="meta">',
        *(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in doc.meta),
        "</dl>",
        '<nav class="toc"><h2>Contents</h2><ol>',
        *(f'<li><a href="#{e(p.id)}">{e(p.title)}</a></li>' for p in doc.parts),
        "</ol></nav>",
        "</header>",
        "<main>",
    ]
    counter = [0]
    for part in doc.parts:
        classes = "part new-page" if part.new_page else "part"
        out.append(f'<section id="{e(part.id)}" class="{classes}">')
        out.append(f"<h2>{e(part.title)}</h2>")
        for block in part.blocks:
            out.append(_block(block, counter, chart_format))
        out.append("</section>")
    prov = report.provenance
    out += [
        "</main>",
        f"<footer>Produced by pcp {e(prov.pcp_version)} at {e(prov.generated_text)} UTC; "
        "sources and methods in the annexes.</footer>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(out)


def _block(block: Block, counter: list[int], chart_format: ChartFormat) -> str:
    e = html.escape
    if isinstance(block, Paragraph):
        cls = f' class="{block.kind}"' if block.kind else ""
        return f"<p{cls}>{e(block.text)}</p>"
    if isinstance(block, Bullets):
        title = f"<h3>{e(block.title)}</h3>" if block.title else ""
        cls = f' class="{block.kind}"' if block.kind else ""
        items = "".join(f"<li>{e(item)}</li>" for item in block.items)
        return f"{title}<ul{cls}>{items}</ul>"
    if isinstance(block, ChartBlock):
        counter[0] += 1
        chart = render_figure(block, counter[0], chart_format)
        return f"<figure>{chart}<figcaption>{e(block.caption)}</figcaption></figure>"
    return _table(block)


def _table(table: Table) -> str:
    e = html.escape
    out = [f"<h3>{e(table.title)}</h3>"] if table.title else []
    cls = f' class="{table.kind}"' if table.kind else ""
    out.append(f"<table{cls}><thead><tr>")
    for i, header in enumerate(table.headers):
        num = ' class="num"' if i in table.numeric else ""
        out.append(f'<th scope="col"{num}>{e(header)}</th>')
    out.append("</tr></thead><tbody>")
    for row in table.rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            out.append(_cell(cell, i in table.numeric))
        out.append("</tr>")
    out.append("</tbody></table>")
    if table.caption:
        out.append('<div class="captions">')
        out += [f'<p class="caption">{e(c)}</p>' for c in table.caption]
        out.append("</div>")
    return "".join(out)


def _cell(cell: Cell, numeric: bool) -> str:
    e = html.escape
    classes = []
    if numeric:
        classes.append("num")
    if cell.tone:
        classes.append(f"tone-{cell.tone}")
    if cell.trend is not None:
        classes.append("trend")
    cls = f' class="{" ".join(classes)}"' if classes else ""
    title = f' title="{e(cell.title)}"' if cell.title else ""
    if cell.trend is not None:
        return f"<td{cls}{title}>{mini_trend(cell.trend)}</td>"
    return f"<td{cls}{title}>{e(cell.text)}</td>"
