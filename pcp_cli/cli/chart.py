"""`pcp chart KIND`: the panel paper's charts as PNG or SVG files.

The figures come from the same analysis as the commands that print them (`pcp spc`,
`pcp rank`), and ``--data FILE`` writes the figures the chart plots, so a chart can always
be checked against a table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from pcp_cli.app.chart import ChartFigures, ChartRequest, chart_figures
from pcp_cli.app.rank import RankRequest
from pcp_cli.charts import (
    Chart,
    ChartError,
    RankStyle,
    rank_chart_from_frame,
    spc_chart_from_frame,
    trend_chart,
)
from pcp_cli.cli import options as opt
from pcp_cli.cli.common import App, common_options, note, warn
from pcp_cli.cli.completion import complete_kpis
from pcp_cli.cli.output import TableView, format_named, render, write_output
from pcp_cli.cli.xmr_options import XmrChoices, xmr_options
from pcp_cli.errors import ConfigError, UsageError
from pcp_cli.kpis import Kpi
from pcp_cli.optional import CHARTS_HINT, charts_available

Kind = Literal["trend", "spc", "rank"]

# Options that only make sense for some kinds: given for another kind, they are an error.
ONLY_FOR: dict[str, tuple[str, ...]] = {
    "spc": (
        "from_month",
        "preset",
        "screen",
        "two_in_three",
        "run_length",
        "trend_ties",
        "baseline",
        "rebase_months",
        "target",
    ),
    "rank": ("style", "group_spec", "weighted", "sd_kind", "exclude_incomplete"),
    "spc,rank": ("period",),
}

CHART_FORMATS = {".png": "png", ".svg": "svg"}
DATA_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".parquet": "parquet",
}


@click.command()
@click.argument("kind", type=click.Choice(["trend", "spc", "rank"]))
@click.option(
    "--kpi",
    "kpi_id",
    required=True,
    help="The KPI to chart (one id).",
    shell_complete=complete_kpis,
)
@opt.forces(help="Force (default: home force).")
@opt.period(
    required=False,
    help="rank: the period compared (default 12m). spc: the months charted, "
    "e.g. 2017/18 or 2017-04..2019-03 (instead of --from/--to).",
)
@click.option("--from", "from_month", metavar="YYYY-MM", help="spc: first month (default: all).")
@opt.to(
    help="Last month shown (spc, trend), or the month relative periods end at (rank). "
    "Default: the latest in the store."
)
@xmr_options(scope="spc: ")
@opt.choice(
    "--style",
    ["bar", "funnel"],
    "bar",
    "rank: bars of the rates with the mean and control lines, or a funnel plot.",
)
@opt.group(help="rank: msg, national, a [groups] name from pcp.toml, or forces a,b,c.")
@opt.weighted("rank: group mean Σcount/Σpopulation.")
@opt.sd("rank: SD of the group's rates.")
@opt.exclude_incomplete("rank: leave forces whose data look incomplete out of the ranks.")
@opt.written_file(
    "--data",
    "data_path",
    help="Also write the figures the chart plots to this file (.csv, .tsv, .json, "
    ".jsonl, .parquet).",
)
@opt.output_file(help="File to write: .png or .svg.", required=True)
@common_options
def chart(
    app: App,
    kind: Kind,
    kpi_id: str,
    force_names: tuple[str, ...],
    period: str | None,
    from_month: str | None,
    to_month: str | None,
    xmr: XmrChoices,
    style: RankStyle,
    group_spec: str,
    weighted: bool,
    sd_kind: str,
    exclude_incomplete: bool,
    data_path: Path | None,
    output: Path,
) -> None:
    """Draw a chart to a PNG or SVG file.

    \b
    trend: this financial year's months against last year's (previous blue, current red).
    spc:   the XmR chart of pcp spc: mean, process limits, near-limit bands, special
           cause points coloured as in Making Data Count (blue improvement, orange
           concern, purple neutral; shapes differ too), rebases marked, gaps shaded.
    rank:  the comparison of pcp rank: --style bar (rates, 95% CIs, group mean and
           control lines) or --style funnel (rate against population with 95% and
           99.8% limits); the home force highlighted.

    \b
    Examples:
      pcp chart trend --kpi all-crime -o all-crime-trend.png
      pcp chart spc --kpi all-crime --force city-of-london --baseline 24 -o col.svg
      pcp chart spc --kpi burglary --from 2018-01 --rebase 2020-04 -o burglary.png
      pcp chart rank --kpi all-crime --period "Q3 2018/19" -o msg.png
      pcp chart rank --kpi all-crime --period 2017/18 --group national --style funnel \\
          -o funnel.svg --data funnel.csv
    """
    fmt, data_fmt = _formats(output, data_path)
    _check_kind_options(kind)
    kpi = _one_kpi(app, kpi_id)
    spc = xmr.spc_options() if kind == "spc" else None
    ddof = opt.ddof(sd_kind)
    rank = None
    if kind == "rank":
        rank = RankRequest(
            [kpi], period or "12m", "last-year", to_month, group_spec, weighted, ddof,
            exclude_incomplete, must_hold_data=True,
        )  # fmt: skip
    with app.store.reading(wait=app.wait) as reader:
        forces = app.resolve_forces(force_names, reader)
        if len(forces) != 1:
            raise UsageError(
                f"a chart shows one force; {len(forces)} were given",
                hint="give one --force (one chart per force)",
            )
        request = ChartRequest(kpi, forces[0], period, from_month, to_month, spc, rank)
        figures = chart_figures(app.context(reader), request)
    for message in figures.warnings:
        warn(message)
    if not app.quiet and figures.summary:
        note(figures.summary)
    _write(app, _draw(app, request, figures, style), output, fmt, data_path, data_fmt)


def _write(
    app: App, drawn: Chart, output: Path, fmt: str, data_path: Path | None, data_fmt: str | None
) -> None:
    """The chart (and, with --data, the figures it plots) to their files."""
    try:
        write_output(output, drawn.render("png" if fmt == "png" else "svg"))
        if data_path is not None and data_fmt is not None:
            write_output(data_path, render(drawn.data, data_fmt, _no_view))
    finally:
        drawn.close()
    if not app.quiet:
        note(f"wrote {output} ({drawn.title})")


def _formats(output: Path, data_path: Path | None) -> tuple[str, str | None]:
    """The chart's format (from its name) and the --data file's, or a usage error."""
    fmt = format_named(output, CHART_FORMATS, "chart", "name the file .png or .svg")
    if fmt == "png" and not charts_available():
        raise ConfigError("PNG charts need matplotlib, which is not installed", hint=CHARTS_HINT)
    if data_path is None:
        return fmt, None
    hint = "name the --data file .csv, .tsv, .json, .jsonl or .parquet"
    return fmt, format_named(data_path, DATA_FORMATS, "data", hint)


def _one_kpi(app: App, kpi_id: str) -> Kpi:
    kpis = app.catalogue.select(kpi_id)
    if len(kpis) != 1:
        raise UsageError(
            f"a chart shows one KPI; '{kpi_id}' selects {len(kpis)}",
            hint="give one KPI id (see 'pcp kpis')",
        )
    return kpis[0]


def _draw(app: App, request: ChartRequest, figures: ChartFigures, style: RankStyle) -> Chart:
    if figures.trend is not None:
        trend = figures.trend
        return trend_chart(
            kpi_label=request.kpi.label,
            unit=request.kpi.unit,
            force_name=app.forces.name(request.force),
            current_label=trend.current_label,
            current=trend.current,
            previous_label=trend.previous_label,
            previous=trend.previous,
        )
    assert figures.frame is not None
    if figures.kind == "spc":
        assert request.spc is not None
        from pcp_cli.charts import ChartEvent

        events = [ChartEvent(e.month, e.label, e.restart_limits) for e in figures.events]
        return spc_chart_from_frame(
            figures.frame,
            rebase_months=request.spc.rebase,
            events=events,
            limit_restarts=list(figures.restarts),
        )
    try:
        return rank_chart_from_frame(figures.frame, style=style)
    except ChartError as exc:
        raise UsageError(str(exc), hint="use --style bar") from None


def _no_view(frame: object) -> TableView:  # pragma: no cover - machine formats only
    raise AssertionError("chart data is written in machine formats only")


def _check_kind_options(kind: str) -> None:
    for kinds, names in ONLY_FOR.items():
        if kind in kinds.split(","):
            continue
        for flag in opt.given(names):
            raise UsageError(
                f"{flag} does not apply to a {kind} chart",
                hint=f"it is an option of: {kinds.replace(',', ', ')} charts",
            )
