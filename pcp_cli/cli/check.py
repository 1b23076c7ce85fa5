"""`pcp check`: exit 10 when the latest figures need attention, for scheduled jobs."""

from __future__ import annotations

import click
import polars as pl

from pcp_cli.analysis.check import (
    CHECKS,
    DEFAULT_RECENT,
    FAIL_RULES,
    finding_value,
    parse_checks,
    parse_fail_on,
    summary_text,
)
from pcp_cli.app.check import CheckRequest, run_check
from pcp_cli.cli import options as opt
from pcp_cli.cli.common import App, OutputOptions, common_options, note, output_options, warn
from pcp_cli.cli.output import Row, RowsLayout, TableView, emit, rows_view
from pcp_cli.errors import EXIT_BREACH, EXIT_OK

FAIL_ON_HELP = (
    f"Rules that make a breach, comma-separated or repeated: {', '.join(FAIL_RULES)}. "
    "Default: red,exceptional."
)
CHECK_HELP = f"Run only these checks: {', '.join(CHECKS)} (comma-separated; default: all)."


@click.command()
@opt.question(
    period_default="12m",
    period_help="Period checked: 12m, Q2, 'Q2 2018/19', 2018/19, FYTD, 2018-07..2018-09.",
    vs_help="Baseline for the significance and survey checks: last-year, previous or a period.",
    to_help="Anchor relative periods (12m, Q2, FYTD) at this month instead of the latest.",
)
@opt.words("--fail-on", "fail_on", "RULES", FAIL_ON_HELP)
@opt.words("--check", "checks", "CHECKS", CHECK_HELP)
@click.option(
    "--recent",
    type=click.IntRange(1, 24),
    default=DEFAULT_RECENT,
    show_default=True,
    help="SPC: how many of the latest points are looked at.",
)
@opt.group(help="Comparator for the RAG: msg, national, a [groups] name, or forces a,b,c.")
@opt.alpha(help="Significance level for the compare verdict and the survey RAG.")
@opt.flag("--all", "show_all", "Print every finding (with a breach column), not only the breaches.")
@opt.by(
    help="The compare check per area: local-authority, area or an area type of the "
    "lookup (an area column first; SPC and MSG checks are not run by area)."
)
@output_options
@common_options
def check(
    app: App,
    question: opt.Question,
    fail_on: tuple[str, ...],
    checks: tuple[str, ...],
    recent: int,
    group_spec: str,
    alpha: float,
    show_all: bool,
    by: str | None,
    out: OutputOptions,
) -> int:
    """Check the latest figures for anything that needs attention (for cron jobs).

    Runs the period comparison (significance), the SPC chart of the latest months,
    the MSG RAG and the survey RAG for each KPI and force, and prints one line per
    breach: a finding that matches a --fail-on rule. A one-line summary goes to stderr.

    \b
    Exit codes: 0 nothing breaches; 10 something breaches (the numbers need
    attention); 2-6 the job itself failed (2 usage, 3 configuration, 4 input data,
    5 no data, 6 store), 1 internal error.

    \b
    Rules (--fail-on):
      red                   MSG RAG RED, or a survey significantly worse (seed 001 key)
      amber                 MSG RAG AMBER, or a survey with no evidence of change
      exceptional           one of the latest --recent SPC points outside the limits
      concern               one of the latest --recent SPC points special cause of concern
      worse                 a significant change in the bad direction (by polarity)
      significant-increase  a significant increase (never for neutral KPIs)
      significant-decrease  a significant decrease (never for neutral KPIs)

    \b
    Examples:
      pcp check --period 12m
      pcp check --period Q2 --fail-on red,amber,worse --force leicestershire
      pcp check --kpi Crime --fail-on exceptional --recent 1 --format csv
      pcp check --period 12m --all --format json -o status.json
      pcp check --kpi Crime --period Q2 --by local-authority --fail-on worse
    """
    rules = parse_fail_on(fail_on)
    wanted = parse_checks(checks)
    kpis = app.catalogue.select(question.kpi_spec)
    with app.store.reading(wait=app.wait) as reader:
        forces = app.resolve_forces(question.force_names, reader)
        request = CheckRequest(
            kpis, question.period, question.vs, question.to_month, rules, wanted, recent,
            group_spec, alpha, by,
        )  # fmt: skip
        outcome = run_check(app.context(reader), forces, request)
    for message in outcome.notes:
        app.info(message)
    for message in outcome.warnings:
        warn(message)
    frame = outcome.frame
    shown = frame if show_all else frame.filter(pl.col("breach"))
    schema = "check-by-area" if by is not None else None
    emit(shown, out, lambda f: _view(f, show_all, outcome.label), schema=schema)
    if not app.quiet:
        note(summary_text(frame, rules, outcome.label, outcome.kpis_checked, len(forces)))
    return EXIT_BREACH if frame["breach"].any() else EXIT_OK


def _view(frame: pl.DataFrame, show_all: bool, period: str) -> TableView:
    multi_force = frame.height > 0 and frame["force"].n_unique() > 1
    by_area = "area" in frame.columns
    headers = [
        *(["Force"] if multi_force else []),
        *(["Area"] if by_area else []),
        "KPI",
        "Check",
        "Value",
        "Status",
        *(["Breach"] if show_all else []),
        "Rule",
        "Finding",
    ]

    def cells(r: Row) -> list[str]:
        return [
            *([r["force_name"]] if multi_force else []),
            *([r["area"]] if by_area else []),
            r["label"],
            r["check"],
            finding_value(r["value"], r["measure"] or ""),
            r["status"] or "",
            *(["yes" if r["breach"] else ""] if show_all else []),
            r["rule"] or "",
            r["detail"] or "",
        ]

    def emphasis(r: Row) -> str | None:
        return "bold" if r["breach"] and show_all else None

    value_column = int(multi_force) + int(by_area) + 2
    layout = RowsLayout(headers, {value_column}, cells, emphasis, rag=("Status", "status"))
    if show_all:
        what = "every finding"
    else:
        what = f"{frame.height} breach(es)" if frame.height else "no breaches"
    caption = "Exit 10 when anything breaches a --fail-on rule; see docs/charts-and-checks.md."
    return rows_view(frame, layout, f"pcp check, {period}: {what}", caption)
