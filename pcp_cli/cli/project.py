"""`pcp project`: project a KPI's trend to a target date, with the seed-001 RAG."""

from __future__ import annotations

import click
import polars as pl

from pcp_cli import text
from pcp_cli.analysis.projection import ProjectOutcome
from pcp_cli.app.project import ProjectRequest, check_request, run_projection
from pcp_cli.app.target import run_file_target
from pcp_cli.cli import options as opt
from pcp_cli.cli import params
from pcp_cli.cli.common import App, OutputOptions, common_options, note, output_options, warn
from pcp_cli.cli.completion import complete_kpis
from pcp_cli.cli.output import RAG_STYLES, TableView, emit, fmt_number
from pcp_cli.errors import UsageError
from pcp_cli.kpis import Kpi
from pcp_cli.stats.projection import TargetDirection


@click.command()
@click.option("--kpi", "kpi_id", required=True, help="One KPI id.", shell_complete=complete_kpis)
@opt.force()
@click.option(
    "--target",
    "target_text",
    default=None,
    help="Target value on the fitted scale (a month's value, or a 12-month total with "
    "--rolling-12), or a change against the baseline such as -5%. Default: the KPI's "
    "target in the KPI file (target = {...}), as the report projects it.",
)
@click.option("--by", "by_month", default=None, metavar="YYYY-MM", help="Target month.")
@click.option(
    "--from",
    "from_month",
    metavar="YYYY-MM",
    help="First month of the fitting window (default: 24 months back from --to).",
)
@opt.to(help="Last month of the fitting window (default: the latest month with data).")
@opt.flag(
    "--rolling-12",
    "rolling",
    "Fit rolling 12-month totals instead of monthly values (smooths seasonality).",
)
@click.option(
    "--direction",
    type=click.Choice(["at-most", "at-least"]),
    default=None,
    help="Target is a ceiling (at-most) or a floor (at-least). Default: from the polarity.",
)
@click.option(
    "--current",
    "current_text",
    default=None,
    help="Period tested against the baseline (default: the 12 months to the window's end).",
)
@click.option(
    "--baseline",
    "baseline_text",
    default="previous",
    show_default=True,
    help="Baseline: previous, last-year, or a period such as 2012/13.",
)
@opt.alpha(help="Significance level of the test against the baseline.")
@click.option(
    "--confidence",
    type=params.LEVEL,
    default=0.95,
    show_default=True,
    help="Level of the prediction interval.",
)
@output_options
@common_options
def project(
    app: App,
    kpi_id: str,
    force_name: str | None,
    target_text: str,
    by_month: str,
    from_month: str | None,
    to_month: str | None,
    rolling: bool,
    direction: TargetDirection | None,
    current_text: str | None,
    baseline_text: str,
    alpha: float,
    confidence: float,
    out: OutputOptions,
) -> None:
    """Project a KPI's linear trend to a target date and rate it (seed 001 RAG).

    \b
    Examples:
      pcp project --kpi all-crime --target 1800 --by 2019-03
      pcp project --kpi burglary --target -5% --by 2017-03 --baseline 2012/13
      pcp project --kpi all-crime --rolling-12 --target 21000 --by 2019-03
      pcp project --kpi all-crime --to 2018-09    # the KPI file's target

    \b
    Fits y = a + b·t (ordinary least squares, t = 1..K) to the fitting window and
    reports the projection at --by with its prediction interval and the
    probability of meeting the target. RAG (seed 001): GREEN significant
    improvement against the baseline now and the trend meets the target; AMBER
    one of the two; RED neither. See docs/statistics.md.
    """
    kpis = app.catalogue.select(kpi_id)
    if len(kpis) != 1:
        raise UsageError("pcp project takes one KPI", hint="give a single KPI id to --kpi")
    if target_text is None or by_month is None:
        _file_target(app, kpis[0], force_name, target_text, by_month, to_month, alpha, out)
        return
    request = ProjectRequest(
        kpis[0], target_text, by_month, from_month, to_month, rolling, direction,
        current_text, baseline_text, alpha, confidence,
    )  # fmt: skip
    check_request(request)  # before the store is opened
    with app.store.reading(wait=app.wait) as reader:
        forces = app.resolve_forces((force_name,) if force_name else (), reader)
        if len(forces) != 1:
            raise UsageError("pcp project takes one force", hint="give a single --force")
        outcome = run_projection(app.context(reader), forces[0], request)
    _emit(app, outcome, out)


def _emit(app: App, outcome: ProjectOutcome, out: OutputOptions) -> None:
    for line in outcome.warnings:
        warn(line)
    if not app.quiet:
        note(outcome.summary)
    emit(outcome.frame, out, _view)


def _file_target(
    app: App,
    kpi: Kpi,
    force_name: str | None,
    target_text: str | None,
    by_month: str | None,
    to_month: str | None,
    alpha: float,
    out: OutputOptions,
) -> None:
    """The projection to the KPI file's target: the report's (app.target.project_target)."""
    if target_text is not None or by_month is not None:
        given, missing = ("--target", "--by") if target_text is not None else ("--by", "--target")
        raise UsageError(f"{given} needs {missing}", hint="give both, or neither to use the "
                         "KPI file's target")  # fmt: skip
    with app.store.reading(wait=app.wait) as reader:
        forces = app.resolve_forces((force_name,) if force_name else (), reader)
        if len(forces) != 1:
            raise UsageError("pcp project takes one force", hint="give a single --force")
        outcome = run_file_target(app.context(reader), kpi, forces[0], to_month, alpha)
    _emit(app, outcome, out)


def _num(value: float | None, decimals: int = 1) -> str:
    return fmt_number(value, decimals)


def _view(frame: pl.DataFrame) -> TableView:
    r = frame.row(0, named=True)
    pct = "%" if r["unit"] == "%" else ""
    p_change = r["change_p"]
    rows = [
        ["Method", f"{r['method']}, {r['series']}"],
        ["Fitting window", f"{r['fit_from']}..{r['fit_to']} ({r['points']} points)"],
        [
            "Slope (per month)",
            f"{fmt_number(r['slope'], 3, signed=True)} ({text.p_value(r['p_slope'], prefix='p ')})",
        ],
        ["R²", _num(r["r_squared"], 3)],
        [
            "Target",
            f"{'≤' if r['target_direction'] == 'at-most' else '≥'} {_num(r['target'])}{pct} "
            f"by {r['by']}",
        ],
        ["Projection", f"{_num(r['projection'])}{pct}"],
        [
            f"{r['confidence']:.0%} prediction interval",
            f"{_num(r['pi_lower'])} to {_num(r['pi_upper'])}{pct}",
        ],
        ["Probability of meeting the target", text.probability(r["probability"])],
        ["Trend reaches the target", r["reaches_target"] or "–"],
        [
            "Against the baseline",
            f"{r['current_period']} vs {r['baseline_period']}: "
            + (r["change_verdict"] or "not tested")
            + (
                f" ({r['change_test']} {text.p_value(p_change, r['alpha'] or 0.05, prefix='p ')})"
                if p_change is not None
                else ""
            ),
        ],
        ["RAG", r["rag"]],
        ["Why", r["rag_reason"]],
    ]
    return TableView(
        f"Projection: {r['label']}, {r['force_name']}",
        ["Measure", "Value"],
        rows,
        cell_styles={(10, 1): RAG_STYLES[r["rag"]]} if r["rag"] in RAG_STYLES else {},
        caption="RAG key (seed 001): GREEN significant improvement now and the trend meets the "
        "target; AMBER one of the two; RED neither.",
    )
