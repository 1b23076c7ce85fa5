"""`pcp spc`: statistical process control charts of a KPI's monthly series."""

from __future__ import annotations

import click
import polars as pl

from pcp_cli import text
from pcp_cli.analysis.spc import SpcMethod, SpcOutcome
from pcp_cli.app.spc import SpcRequest, run_spc
from pcp_cli.cli import options as opt
from pcp_cli.cli.common import App, OutputOptions, common_options, note, output_options, warn
from pcp_cli.cli.output import RAG_STYLES, TableView, emit, fmt_number, fmt_value
from pcp_cli.cli.xmr_options import XmrChoices, xmr_options
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.periods import parse_month

# MDC colours (methods.md §1.6): improvement blue, concern orange, neutral purple.
POINT_STYLES = {
    "special_cause_improvement": "bold #00b0f0",
    "special_cause_concern": "bold #e46c0a",
    "special_cause_neutral_high": "bold #490092",
    "special_cause_neutral_low": "bold #490092",
    "missing": "dim",
    "undefined": "dim",
}


@click.command()
@opt.kpi(
    default=None, required=True, help="KPI id, several ids separated by commas, or a section name."
)
@opt.forces()
@click.option("--from", "from_month", metavar="YYYY-MM", help="First month (default: all data).")
@opt.to(help="Last month (default: the latest).")
@opt.choice(
    "--method",
    ["xmr", "iquanta"],
    "xmr",
    "xmr: NHS Making Data Count XmR chart; iquanta: recent 6 vs previous 12 months.",
)
@xmr_options()
@opt.choice(
    "--lines",
    ["monthly", "mean-level"],
    "monthly",
    "iquanta: lines at ±1.96 SD of the baseline months, or ±1.96 SD/√6 (mean-level).",
)
@opt.alpha(help="iquanta: significance level of the Poisson comparison of the two windows.")
@opt.by(
    help="One chart per area: local-authority, area or an area type of the lookup "
    "(count KPIs from street, outcomes or crime records)."
)
@output_options
@common_options
def spc(
    app: App,
    kpi_spec: str,
    force_names: tuple[str, ...],
    from_month: str | None,
    to_month: str | None,
    method: SpcMethod,
    xmr: XmrChoices,
    lines: str,
    alpha: float,
    by: str | None,
    out: OutputOptions,
) -> None:
    """Chart a KPI's monthly series: special cause or common cause variation?

    \b
    Examples:
      pcp spc --kpi all-crime --force city-of-london
      pcp spc --kpi all-crime --baseline 24 --no-screen --format csv
      pcp spc --kpi burglary --from 2018-01 --to 2021-06 --rebase 2020-04
      pcp spc --kpi all-crime --method iquanta --lines mean-level
      pcp spc --kpi burglary --by local-authority --format csv

    \b
    XmR (default): mean ± 2.66 × mean moving range, MDC rules in order: outside
    the limits, trend, 2 in 3 near a limit, run on one side of the mean. The
    KPI's polarity sets the improvement direction. A summary line per KPI and
    force goes to stderr. Gaps are reported and the chart restarts after them.
    Fewer than 12 points: trial limits (warning); fewer than 5: refused (exit 5).
    See docs/statistics.md.
    """
    start = parse_month(from_month) if from_month else None
    end = parse_month(to_month) if to_month else None
    if start is not None and end is not None and end < start:
        raise UsageError(f"--to {to_month} is before --from {from_month}")
    options = xmr.spc_options(
        lines="mean-level" if lines == "mean-level" else "monthly", alpha=alpha
    )
    kpis = app.catalogue.select(kpi_spec)
    with app.store.reading(wait=app.wait) as reader:
        forces = app.resolve_forces(force_names, reader)
        request = SpcRequest(kpis, forces, (start, end), method, options, by)
        found = run_spc(app.context(reader), request)
    for line in found.warnings:
        warn(line)
    _say(app, found.outcomes)
    frame = pl.concat([o.frame for o in found.outcomes], how="vertical")
    view = _iquanta_view if method == "iquanta" else _xmr_view
    emit(frame, out, view, schema="spc-by-area" if by is not None else None)


def _say(app: App, outcomes: list[SpcOutcome]) -> None:
    """Each chart's warnings and one-line summary on stderr (none: no data, exit 5)."""
    if not outcomes:
        raise NoDataError("none of the selected KPIs has enough data for a chart")
    for outcome in outcomes:
        for line in outcome.warnings:
            warn(line)
        if not app.quiet:
            note(outcome.summary)


def _several(frame: pl.DataFrame) -> tuple[bool, bool]:
    """Several forces (or areas: shown in the force column as "force, area") and KPIs."""
    several_areas = "area" in frame.columns
    return frame["force"].n_unique() > 1 or several_areas, frame["kpi"].n_unique() > 1


def _where(r: dict[str, object]) -> str:
    return f"{r['force_name']}, {r['area']}" if "area" in r else str(r["force_name"])


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return fmt_number(value, 1)


def _xmr_view(frame: pl.DataFrame) -> TableView:
    multi_force, multi_kpi = _several(frame)
    first = frame.row(0, named=True)
    headers = [
        *(["Force, area" if "area" in frame.columns else "Force"] if multi_force else []),
        *(["KPI"] if multi_kpi else []),
        "Period",
        "Value",
        "Mean",
        "Lower limit",
        "Upper limit",
        "Rule",
        "Point type",
    ]
    offset = int(multi_force) + int(multi_kpi)
    rows = []
    styles: list[str | None] = []
    for r in frame.iter_rows(named=True):
        unit = r["unit"]
        rows.append(
            [
                *([_where(r)] if multi_force else []),
                *([r["label"]] if multi_kpi else []),
                r["period"] + (" *" if r["in_baseline"] and r["baseline_points"] else ""),
                fmt_value(r["value"], unit) if r["value"] is not None else "no data",
                _num(r["mean"], unit),
                _num(r["lpl"], unit),
                _num(r["upl"], unit),
                r["rule"] or "",
                (r["point_type"] or "")
                .replace("special_cause_", "special cause ")
                .replace("_", " "),
            ]
        )
        styles.append(POINT_STYLES.get(r["point_type"] or ""))
    title = (
        f"SPC: {first['label']}, {first['force_name']}" if not (multi_force or multi_kpi) else "SPC"
    )
    caption = (
        f"{first['method']}. Limits: mean ± 2.66 × mean moving range. "
        "Blue: special cause improvement; orange: concern; purple: neutral special cause."
        + (" *: baseline points that fix the limits." if first["baseline_points"] else "")
    )
    return TableView(
        title,
        headers,
        rows,
        right_align={offset + 1, offset + 2, offset + 3, offset + 4},
        row_styles=styles,
        caption=caption,
    )


def _iquanta_view(frame: pl.DataFrame) -> TableView:
    multi_force, multi_kpi = _several(frame)
    headers = [
        *(["Force, area" if "area" in frame.columns else "Force"] if multi_force else []),
        *(["KPI"] if multi_kpi else []),
        "Month",
        "Window",
        "Value",
        "Baseline mean",
        "Lines",
        "Recent mean",
        "RAG",
        "Poisson test",
    ]
    offset = int(multi_force) + int(multi_kpi)
    rows = []
    cell_styles: dict[tuple[int, int], str] = {}
    for i, r in enumerate(frame.iter_rows(named=True)):
        unit = r["unit"]
        last = r["window"] == "recent" and (
            i + 1 == frame.height or frame["window"][i + 1] == "baseline"
        )
        poisson = ""
        if last and r["poisson_p"] is not None:
            poisson = (
                f"{r['poisson_verdict']} ({text.p_value(r['poisson_p'], prefix='p ')}, "
                f"{r['poisson_test']})"
            )
        rows.append(
            [
                *([_where(r)] if multi_force else []),
                *([r["label"]] if multi_kpi else []),
                r["period"],
                r["window"],
                fmt_value(r["value"], unit),
                _num(r["baseline_mean"], unit) if last else "",
                f"{_num(r['lower_line'], unit)} to {_num(r['upper_line'], unit)}" if last else "",
                _num(r["recent_mean"], unit) if last else "",
                r["rag"] if last else "",
                poisson,
            ]
        )
        if last and r["rag"] in RAG_STYLES:
            cell_styles[(i, offset + 6)] = RAG_STYLES[r["rag"]]
    first = frame.row(0, named=True)
    title = (
        f"SPC (iQuanta-style): {first['label']}, {first['force_name']}"
        if not (multi_force or multi_kpi)
        else "SPC (iQuanta-style)"
    )
    return TableView(
        title,
        headers,
        rows,
        right_align={offset + 2, offset + 3, offset + 5},
        cell_styles=cell_styles,
        caption=f"{first['method']}. RAG by the KPI's polarity (seed 001 key).",
    )
