"""`pcp table`: a KPI by its breakdown KPIs, month by month, with totals (seeds 000, 002)."""

from __future__ import annotations

import click
import polars as pl

from pcp_cli.app.breakdown import Breakdown, TableRequest, run_table
from pcp_cli.cli import options as opt
from pcp_cli.cli.common import App, OutputOptions, common_options, output_options
from pcp_cli.cli.output import TableView, emit
from pcp_cli.errors import UsageError
from pcp_cli.periods import month_name, month_text, parse_month
from pcp_cli.text import number


@click.command()
@opt.kpi(default=None, help="The KPI to break down (its KPI file entry names the breakdown).")
@click.option(
    "--by",
    type=click.Choice(["month"]),
    default="month",
    show_default=True,
    help="Columns of the table: the months of the period.",
)
@opt.period(default="12m", help=f"The months shown. {opt.PERIOD_HELP}")
@opt.force()
@opt.to()
@output_options
@common_options
def table(
    app: App,
    kpi_spec: str | None,
    by: str,
    period: str,
    force_name: str | None,
    to_month: str | None,
    out: OutputOptions,
) -> None:
    """A KPI by its breakdown KPIs, month by month, with a total column and row.

    \b
    Examples:
      pcp table --kpi hate-crime --by month
      pcp table --kpi stop-search --period "Q2 2018/19" --format csv

    \b
    The rows are the KPIs named by breakdown = [...] in the KPI's [kpi.<id>] table;
    the Total row is the KPI itself, not the sum of the rows (a crime can carry two
    hate strands). A month the store does not hold is shown as "–".
    """
    if not kpi_spec:
        raise UsageError("pcp table needs --kpi", hint="for example: --kpi hate-crime")
    kpis = app.catalogue.select(kpi_spec)
    if len(kpis) != 1:
        raise UsageError("pcp table breaks down one KPI", hint="give one KPI id to --kpi")
    kpi = kpis[0]
    with app.store.reading(wait=app.wait) as reader:
        force = app.resolve_forces((force_name,) if force_name else (), reader)[0]
        result = run_table(app.context(reader), TableRequest(kpi, force, period, to_month))
    app.info(f"{kpi.id} by {by}, {result.period.label}")
    if not result.has_data:
        app.warn(f"the store holds none of {', '.join(kpi.breakdown)} in {result.period.label}")
    force_name = app.forces.name(force)
    emit(_frame(result, force_name), out, lambda _: _view(result, force_name))


def _frame(result: Breakdown, force_name: str) -> pl.DataFrame:
    rows = [
        {
            "force": result.force,
            "force_name": force_name,
            "breakdown_of": result.kpi.id,
            "kpi": row.kpi.id,
            "label": row.kpi.label,
            "role": row.role,
            "period": result.period.label,
            "month": month_text(month),
            "value": value,
            "source": row.source,
        }
        for row in result.rows
        for month, value in zip(result.months, row.values, strict=True)
    ]
    schema = {
        "force": pl.String, "force_name": pl.String, "breakdown_of": pl.String,
        "kpi": pl.String, "label": pl.String, "role": pl.String, "period": pl.String,
        "month": pl.String, "value": pl.Float64, "source": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


def _view(result: Breakdown, force_name: str) -> TableView:
    rows = [
        [
            "Total" if row.role == "total" else row.kpi.label,
            *(number(v) for v in row.values),
            number(row.total),
        ]
        for row in result.rows
    ]
    headers = ["", *(_short(month_text(m)) for m in result.months), "Total"]
    title = f"{force_name}: {result.kpi.label} by month, {result.period.label}"
    return TableView(
        title,
        headers,
        rows,
        right_align=set(range(1, len(headers))),
        row_styles=[None] * (len(rows) - 1) + ["bold"],
        caption=(
            "Total row: the KPI as a whole; the rows need not add up to it, as a crime or "
            "search can fall in more than one row or in none. –: no data."
        ),
    )


def _short(month: str) -> str:
    """'Oct 16', as seed 002 heads its months (twelve columns fit a page and 80 columns)."""
    name = month_name(parse_month(month))
    return f"{name[:3]} {name[-2:]}"
