"""`pcp compare`: this period against a baseline, per KPI and force."""

from __future__ import annotations

from typing import Any

import click
import polars as pl

from pcp_cli import text
from pcp_cli.analysis.judgement import judge_change, judge_verdict
from pcp_cli.app.compare import CompareRequest, run_comparison
from pcp_cli.cli import options as opt
from pcp_cli.cli.common import (
    App,
    OutputOptions,
    common_options,
    note_lookup,
    output_options,
    warn,
)
from pcp_cli.cli.output import RAG_STYLES, TableView, emit, fmt_number, fmt_value, sparkline
from pcp_cli.text import p_value


@click.command()
@opt.question()
@opt.flag(
    "--allow-partial",
    "allow_partial",
    "Compare periods with missing months instead of stopping (rows are flagged).",
)
@opt.alpha(help="Significance level for the verdict (and the survey RAG: 0.05 = 95% confidence).")
@opt.by()
@output_options
@common_options
def compare(
    app: App,
    question: opt.Question,
    allow_partial: bool,
    alpha: float,
    by: str | None,
    out: OutputOptions,
) -> None:
    """Compare a period with the same period a year earlier (or --vs).

    \b
    Examples:
      pcp compare --kpi all-crime --period Q2
      pcp compare --kpi all --period "Q2 2018/19"
      pcp compare --kpi Crime --period 12m --vs previous --format csv
      pcp compare --kpi victim-satisfaction --period "12m to 2018-09" --alpha 0.01
      pcp compare --kpi all-crime --period Q2 --by local-authority
      pcp compare --kpi asb-incidents --period Q2 --by area

    \b
    Every row says whether the change is more than noise: counts compared as
    monthly rates allowing for the KPI's own month-to-month variation (dispersion
    from up to 36 months of history; the exact Poisson E-test with under 12),
    rates and survey proportions by the two-proportion z-test with the Newcombe
    interval for the difference; verdict at --alpha. Periods of different
    lengths are compared on their monthly averages (change_basis).
    Survey KPIs also get p, n, Wilson 95% intervals and the seed-001 RAG.
    With --by, one row per area (an `area` column first, every other column as
    without it), each with the same test; count KPIs also get the rate per 1,000
    residents and its rank among the force's areas where the lookup gives
    populations. See docs/statistics.md and docs/areas.md.
    """
    kpis = app.catalogue.select(question.kpi_spec)
    request = CompareRequest(
        kpis, question.period, question.vs, question.to_month, allow_partial, alpha
    )
    if by is not None:
        _compare_by_area(app, request, question.force_names, by, out)
        return
    with app.store.reading(wait=app.wait) as reader:
        forces = app.resolve_forces(question.force_names, reader)
        outcome = run_comparison(app.context(reader), forces, request)
    app.info(f"compared {outcome.window.period.label} with {outcome.window.baseline.label}")
    for message in outcome.warnings:
        warn(message)
    emit(outcome.frame, out, _view)


def _compare_by_area(
    app: App, request: CompareRequest, force_names: tuple[str, ...], by: str, out: OutputOptions
) -> None:
    from pcp_cli.app.areas import compare_by_area

    with app.store.reading(wait=app.wait) as reader:
        forces = app.resolve_forces(force_names, reader)
        outcome = compare_by_area(app.context(reader), forces, request, by)
    window = outcome.window
    app.info(f"compared {window.period.label} with {window.baseline.label} by {by}")
    note_lookup(app, outcome.lookup)
    for message in outcome.warnings:
        warn(message)
    emit(outcome.frame, out, _view, schema="compare-by-area")


def _view(frame: pl.DataFrame) -> TableView:
    multi_force = frame["force"].n_unique() > 1
    by_area = "area" in frame.columns
    ranked = bool(by_area and frame["rank_per_1000"].is_not_null().any())
    first = frame.row(0, named=True) if frame.height else {}
    offset = (2 if multi_force else 1) + int(by_area)
    rows = []
    styles: list[str | None] = []
    cell_styles: dict[tuple[int, int], str] = {}
    previous_section = None
    previous_kpi = None
    for i, r in enumerate(frame.iter_rows(named=True)):
        section = r["section"] if (r["section"], r["force"]) != previous_section else ""
        previous_section = (r["section"], r["force"])
        label = r["label"] if (r["kpi"], r["force"]) != previous_kpi or not by_area else ""
        previous_kpi = (r["kpi"], r["force"])
        rows.append(_row_cells(r, section, label, multi_force, by_area, ranked))
        styles.append(None if r["complete"] else "dim")
        cell_styles.update(_judged_styles(r, i, offset))
    extra = {offset + 7, offset + 8} if ranked else set()
    return TableView(
        _title(first, multi_force, by_area),
        _headers(first, multi_force, by_area, ranked),
        rows,
        right_align={offset + 1, offset + 2, offset + 3, offset + 4, *extra},
        row_styles=styles,
        cell_styles=cell_styles,
        caption=_caption(frame, first, ranked),
    )


def _headers(first: dict[str, Any], multi_force: bool, by_area: bool, ranked: bool) -> list[str]:
    return [
        *(["Force"] if multi_force else []),
        "Section",
        "KPI",
        *(["Area"] if by_area else []),
        f"{first.get('period', 'Current')}",
        f"{first.get('baseline_period', 'Baseline')}",
        "Volume change",
        "% change",
        "Significance",
        "Trend (baseline│current)",
        *(["Per 1,000", "Rank in force"] if ranked else []),
    ]


def _row_cells(
    r: dict[str, Any], section: str, label: str, multi_force: bool, by_area: bool, ranked: bool
) -> list[str]:
    """One compare row's cells; ``section`` and ``label`` blank when they repeat."""
    unit = r["unit"]
    pct = r["pct_change"]
    return [
        *([r["force_name"]] if multi_force else []),
        section,
        label,
        *([r["area"]] if by_area else []),
        _shown(r["value"], r["denominator"], unit),
        _shown(r["baseline_value"], r["baseline_denominator"], unit),
        text.change(r["change"], unit, r["change_basis"]),
        (fmt_number(pct, 1, signed=True) + "%") if pct is not None else "–",
        _significance_text(r),
        _trend(r),
        *(_rank_cells(r) if ranked else []),
    ]


def _judged_styles(r: dict[str, Any], i: int, offset: int) -> dict[tuple[int, int], str]:
    """Green/red change and significance cells by the KPI's polarity (a survey: its RAG)."""
    styles: dict[tuple[int, int], str] = {}
    change_judged = judge_change(r["change"], r["polarity"])
    if change_judged != "neutral":
        styles[(i, offset + 4)] = _JUDGEMENT_STYLE[change_judged]
    verdict_judged = judge_verdict(r["verdict"], r["polarity"])
    if r["rag"] in RAG_STYLES:
        styles[(i, offset + 5)] = RAG_STYLES[r["rag"]]
    elif verdict_judged != "neutral":
        styles[(i, offset + 5)] = _JUDGEMENT_STYLE[verdict_judged]
    return styles


def _title(first: dict[str, Any], multi_force: bool, by_area: bool) -> str:
    who = first.get("force_name", "") if not multi_force else "forces compared"
    title = f"{who}: {first.get('period', '')} against {first.get('baseline_period', '')}"
    if by_area:
        title += f", by {first.get('area_type', 'area')}"
    return title


def _caption(frame: pl.DataFrame, first: dict[str, Any], ranked: bool) -> str:
    alpha = first.get("alpha") or 0.05
    caption = (
        "Green/red: better/worse by the KPI's polarity. Dim rows have missing months. "
        f"Significance at {fmt_number(alpha * 100, 0 if (alpha * 100).is_integer() else 1)}%: "
        "counts allowing for each KPI's own month-to-month variation (dispersion; the Poisson "
        "E-test with under 12 months of history), two-proportion z-test for rates and surveys."
    )
    if ranked:
        caption += (
            " Rank in force: per 1,000 residents, 1 = best by the KPI's polarity"
            " (1 = highest where it has none)."
        )
    if "monthly average" in frame["change_basis"].to_list():
        caption += " Changes are on the monthly averages: the periods differ in length."
    return caption


_JUDGEMENT_STYLE = {"better": "green", "worse": "red"}


def _trend(r: dict[str, Any]) -> str:
    """Both periods' months as sparklines on one scale: ``baseline│current``."""
    points = [*r["baseline_monthly"], *r["monthly"]]
    finite = [p for p in points if p is not None and p == p]
    scale = (min(finite), max(finite)) if finite else None
    return sparkline(r["baseline_monthly"], scale) + "│" + sparkline(r["monthly"], scale)


def _rank_cells(r: dict[str, object]) -> list[str]:
    rate, rank, of = r.get("per_1000"), r.get("rank_per_1000"), r.get("areas_ranked")
    if not isinstance(rate, float) or rank is None:
        return ["–", "–"]
    return [fmt_number(rate, 2), f"{rank} of {of}"]


def _significance_text(r: dict[str, object]) -> str:
    verdict = r.get("verdict")
    if not isinstance(verdict, str):
        return "not tested"
    text = verdict
    p = r.get("p_value")
    if isinstance(p, float):
        alpha = r.get("alpha")
        shown = p_value(p, alpha if isinstance(alpha, float) else 0.05, prefix="p ")
        text += f" ({shown})"
    rag = r.get("rag")
    if isinstance(rag, str) and rag != "NONE":
        text = f"{rag}: {text}"
    return text


def _shown(value: float | None, denominator: float | None, unit: str) -> str:
    """A rate over nothing (0 crimes) is undefined, and says so rather than '–' or NaN."""
    if value is None and denominator == 0:
        return "undefined"
    return fmt_value(value, unit)
