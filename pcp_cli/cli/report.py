"""`pcp report`: the panel paper for a period, as HTML, markdown, a table, JSON or Parquet."""

from __future__ import annotations

import io
import os
import shutil
import sys
from pathlib import Path
from typing import Literal

import click
import polars as pl

from pcp_cli.app.headlines import ranked_headlines
from pcp_cli.app.report import ReportRequest, make_report
from pcp_cli.app.report_model import Report
from pcp_cli.app.spc import DEFAULT_SPC_MONTHS
from pcp_cli.cli import options as opt
from pcp_cli.cli.common import App, common_options, note, warn
from pcp_cli.cli.output import (
    TableView,
    fit_columns,
    fitted_rich_table,
    format_named,
    render,
    terminal_forced,
    write_output,
)
from pcp_cli.errors import UsageError
from pcp_cli.optional import CHARTS_HINT, charts_available
from pcp_cli.report import (
    generation_time,
    layout,
    to_frame,
    to_html,
    to_markdown,
)
from pcp_cli.report.layout import Bullets, ChartChoice, Document, Paragraph, Table

FORMATS = ["auto", "table", "markdown", "html", "json", "parquet", "xlsx"]
SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".parquet": "parquet",
    ".xlsx": "xlsx",
    ".txt": "table",
}
TONE_STYLES = {
    "good": "green",
    "bad": "red",
    "improvement": "bold #00b0f0",
    "concern": "bold #e46c0a",
    "neutral": "bold magenta",
    "red": "bold red",
    "amber": "bold yellow",
    "green": "bold green",
    "muted": "dim",
}


@click.command()
@opt.period(help="The period reported: Q2, 'Q2 2018/19', 2018/19, FYTD, 12m, 2018-07..2018-09.")
@opt.force(help="The force reported (id or any spelling). Default: home_force in pcp.toml.")
@opt.vs()
@opt.to()
@opt.group(help="Peer group for ranks: msg, national, a [groups] name from pcp.toml, or a,b,c.")
@opt.alpha(help="Significance level for the verdicts (and so for the headlines).")
@click.option(
    "--spc-months",
    type=click.IntRange(min=12, max=120),
    default=DEFAULT_SPC_MONTHS,
    show_default=True,
    help="Months (to the period end) the XmR chart behind the SPC status uses.",
)
@opt.choice(
    "--charts",
    ["notable", "all", "none"],
    "notable",
    "HTML: a chart for each KPI with a headline, for every KPI, or none.",
)
@opt.choice(
    "--chart-format",
    ["svg", "png"],
    "svg",
    "HTML: charts inline as SVG (sharp in print) or as base64 PNG images.",
)
@opt.by(
    help="A 'by area' table per section: local-authority, area or an area type of the "
    "lookup. Default: [report] by in pcp.toml (none if unset)."
)
@opt.output_format(
    FORMATS,
    help="auto: from the -o suffix (.html, .md, .json, .parquet, .xlsx), else a table on a "
    "terminal and markdown in a pipe.",
)
@opt.output_file(help="Write to this file (atomically) instead of stdout.")
@common_options
def report(
    app: App,
    period: str,
    force_name: str | None,
    vs: str,
    to_month: str | None,
    group_spec: str,
    alpha: float,
    spc_months: int,
    charts: str,
    chart_format: str,
    by: str | None,
    fmt: str,
    output: Path | None,
) -> None:
    """The panel report: every KPI by section, with significance, SPC, MSG rank and trend.

    \b
    One document in the KPI file's section order. Per KPI: the period against its
    baseline, volume and % change, the significance verdict, the SPC status
    (exceptional high / low, special cause, common cause), MSG rank and RAG, and the
    trend. Then seed 000's quarterly table, the rolling-12-month recorded crime table
    with MSG and national ranks, a data-quality section (months that look incomplete,
    gaps) and the provenance (store contents, KPI file and SHA-256, pcp version, time).
    A plain-words headline is written only for significant changes or special causes.

    \b
    Examples:
      pcp report --period Q2 --format html -o panel-q2.html
      pcp report --period "Q2 2018/19" --force leicestershire --format markdown
      pcp report --period Q2 --format parquet -o q2.parquet    # for Power BI / Excel
      PCP_REPORT_TIME=2018-11-05T09:00:00Z pcp report --period Q2 -o q2.html
      pcp report --period Q2 --by local-authority -o q2-districts.html

    See docs/report.md.
    """
    output = None if output is not None and str(output) == "-" else output
    resolved = _resolve_format(fmt.lower(), output)
    if resolved in ("parquet", "xlsx") and output is None and sys.stdout.isatty():
        raise UsageError(
            "refusing to write Parquet to a terminal",
            hint="use -o FILE.parquet or pipe it to another program",
        )
    with app.store.reading(wait=app.wait) as reader:
        forces = app.resolve_forces((force_name,) if force_name else (), reader)
        if len(forces) != 1:
            raise UsageError("a report is for one force: give one --force")
        request = ReportRequest(
            forces[0], period, vs, to_month, group_spec, alpha, spc_months,
            generation_time(os.environ), by,
        )  # fmt: skip
        built = make_report(app.context(reader), request)
    app.info(
        f"reported {built.force} for {built.plan.period.label} against {built.plan.baseline.label}"
    )
    # built.warnings are the engine's: printed once when the command ends (cli/common.py).
    data = _rendered(built, resolved, charts, chart_format)
    write_output(output, data)
    if output is not None and not app.quiet:
        shown = len(ranked_headlines(built.lines))
        note(f"wrote {output} ({built.title}; {shown} headline(s) on the front page)")


def _rendered(built: Report, resolved: str, charts: str, chart_format: str) -> bytes:
    """The report in the chosen format, as bytes to write."""
    chosen: ChartChoice = "none" if charts == "none" else ("all" if charts == "all" else "notable")
    if resolved == "html":
        drawn: Literal["svg", "png"] = "png" if chart_format == "png" else "svg"
        if drawn == "png" and not charts_available():
            warn(f"PNG charts need matplotlib, not installed: SVG charts instead ({CHARTS_HINT})")
            drawn = "svg"
        return to_html(built, charts=chosen, chart_format=drawn).encode("utf-8")
    if resolved == "markdown":
        return to_markdown(built).encode("utf-8")
    if resolved == "table":
        return _terminal(layout(built, "none")).encode("utf-8")
    return render(to_frame(built), resolved, _no_view, schema="report")


def _resolve_format(fmt: str, output: Path | None) -> str:
    if fmt != "auto":
        return fmt
    if output is not None:
        hint = "name the file .html, .md, .json, .parquet or .xlsx, or give --format"
        return format_named(output, SUFFIXES, "report", hint)
    return "table" if sys.stdout.isatty() else "markdown"


def _no_view(frame: pl.DataFrame) -> TableView:
    return TableView("", list(frame.columns), [])


def _width() -> int:
    cols = os.environ.get("COLUMNS")
    if cols and cols.isdigit():
        return int(cols)
    if sys.stdout.isatty():
        return shutil.get_terminal_size((120, 40)).columns
    return 160


def _terminal(doc: Document) -> str:
    """The layout drawn with rich: headings, tables (sparklines for trends), bullets."""
    from rich.console import Console
    from rich.markup import escape

    buf = io.StringIO()
    console = Console(file=buf, width=_width(), force_terminal=terminal_forced(), highlight=False)
    console.print(f"[bold]{escape(doc.title)}[/]")
    console.print(escape(doc.subtitle))
    for key, value in doc.meta:
        console.print(f"[dim]{escape(key)}:[/] {escape(value)}")
    for part in doc.parts:
        console.print()
        console.rule(f"[bold]{escape(part.title)}[/]", align="left")
        for block in part.blocks:
            if isinstance(block, Paragraph):
                style = "dim" if block.kind == "note" else None
                console.print(escape(block.text), style=style)
            elif isinstance(block, Bullets):
                if block.title:
                    console.print(f"[bold]{escape(block.title)}[/]")
                for item in block.items:
                    console.print(f"• {escape(item)}")
            elif isinstance(block, Table):
                # Wrap labels or drop columns from the right so no figure is ever cut.
                texts = [[c.text for c in row] for row in block.rows]
                fitted = fit_columns(list(block.headers), texts, console.width)
                table = fitted_rich_table(
                    block.title or None, list(block.caption), fitted, block.numeric
                )
                for row, cells in zip(block.rows, fitted.cells, strict=True):
                    table.add_row(
                        *(
                            f"[{TONE_STYLES[row[i].tone]}]{escape(text)}[/]"
                            if row[i].tone in TONE_STYLES
                            else escape(text)
                            for text, i in zip(cells, fitted.keep, strict=True)
                        )
                    )
                console.print(table)
    return buf.getvalue()
