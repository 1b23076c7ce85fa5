"""`pcp rank`'s two tables, built from the figures :mod:`.ranker` computes.

One KPI: a row per force of the comparator (count, population, rate and 95% CI, MSG and
national rank, z, RAG, funnel position). Several KPIs: a row per KPI for the home force,
in the shape of seed 003's table (latest and previous period, change, ranks, positive
outcome rate and its MSG rank). Warnings, notes and captions are returned, never printed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from pcp_cli import text
from pcp_cli.analysis.columns import Schema, fields_of
from pcp_cli.analysis.peers.completeness import (
    Completeness,
)
from pcp_cli.analysis.peers.groups import (
    Comparator,
)
from pcp_cli.analysis.peers.population import PopulationTable
from pcp_cli.analysis.peers.ranking import (
    DatasetChoice,
    KpiRanking,
    Ranker,
    RankPlan,
    measure_label,
)
from pcp_cli.analysis.peers.statistics import (
    OK,
    OUTCOME_LIST,
    ForceFigure,
    Measure,
)
from pcp_cli.datasets import DATASETS
from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Period, month_text
from pcp_cli.stats.peer import (
    MeanMethod,
)


@dataclass
class RankResult:
    """A ranking table, the warnings and notes for stderr, and the table's caption lines."""

    frame: pl.DataFrame
    title: str
    caption: list[str]
    warnings: list[str]
    notes: list[str]
    mode: Literal["forces", "kpis"]
    comparator: Comparator
    measure_label: str = ""


# -- the two output shapes -----------------------------------------------------------------
RANK_COLUMNS: Schema = {
    "group": pl.String,
    "group_rank": pl.Int32,
    "group_ranked": pl.Int32,
    "group_members": pl.Int32,
    "national_rank": pl.Int32,
    "national_ranked": pl.Int32,
    "national_total": pl.Int32,
    "group_mean": pl.Float64,
}
"""The home force's (or each force's) place: its group, MSG and national ranks, the group mean."""

FORCE_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "kpi": pl.String,
    "label": pl.String,
    "period": pl.String,
    "period_start": pl.String,
    "period_end": pl.String,
    "dataset": pl.String,
    "measure": pl.String,
    "polarity": pl.String,
    "force": pl.String,
    "force_name": pl.String,
    "home": pl.Boolean,
    "status": pl.String,
    "status_detail": pl.String,
    "count": pl.Float64,
    "denominator": pl.Float64,
    "denominator_kind": pl.String,
    "population_year": pl.Int32,
    "rate": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
    "ci_method": pl.String,
    **RANK_COLUMNS,
    "mean_method": pl.String,
    "sd": pl.Float64,
    "sd_ddof": pl.Int32,
    "lower_line": pl.Float64,
    "upper_line": pl.Float64,
    "z": pl.Float64,
    "rag": pl.String,
    "peer_mean_excl": pl.Float64,
    "z_excl": pl.Float64,
    "group_rate": pl.Float64,
    "funnel": pl.String,
    "funnel_overdispersed": pl.String,
    "difference": pl.String,
    "meaningful": pl.Boolean,
    "quality": pl.String,
}

KPI_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "force": pl.String,
    "force_name": pl.String,
    "section": pl.String,
    "kpi": pl.String,
    "label": pl.String,
    "unit": pl.String,
    "polarity": pl.String,
    "dataset": pl.String,
    "period": pl.String,
    "baseline_period": pl.String,
    "value": pl.Float64,
    "baseline_value": pl.Float64,
    "change": pl.Float64,
    "pct_change": pl.Float64,
    "measure": pl.String,
    "count": pl.Float64,
    "denominator": pl.Float64,
    "population_year": pl.Int32,
    "rate": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
    **RANK_COLUMNS,
    "sd": pl.Float64,
    "lower_line": pl.Float64,
    "upper_line": pl.Float64,
    "z": pl.Float64,
    "rag": pl.String,
    "funnel": pl.String,
    "difference": pl.String,
    "meaningful": pl.Boolean,
    "outcome_rate": pl.Float64,
    "outcome_rate_lower": pl.Float64,
    "outcome_rate_upper": pl.Float64,
    "outcome_rate_group_rank": pl.Int32,
    "outcome_rate_group_ranked": pl.Int32,
    "outcome_rate_source": pl.String,
    "status": pl.String,
    "quality": pl.String,
    "incomplete_peers": pl.String,
    "missing_peers": pl.String,
}


def rank(
    engine: Engine,
    registry: ForceRegistry,
    populations: PopulationTable,
    plan: RankPlan,
) -> RankResult:
    """One KPI: a row per force of the comparator. Several KPIs: a row per KPI (seed 003)."""
    ranker = Ranker(engine, registry, populations, plan)
    if len(plan.kpis) == 1:
        return _forces_table(ranker, plan.kpis[0])
    return _kpis_table(ranker)


def _forces_table(ranker: Ranker, kpi: Kpi) -> RankResult:
    plan = ranker.plan
    comp = plan.comparator
    result = ranker.rank(kpi)
    if result is None:
        if ranker.cut_errors:
            raise ranker.cut_errors[0]
        reason = ranker.unavailable.get(kpi.id)
        raise NoDataError(
            f"no force in the comparison has {kpi.id} data for the whole of {plan.period.label}"
            + (f" ({ranker.registry.name(plan.home)}: {reason})" if reason else ""),
            hint=f"{kpi.id} is counted from: {', '.join(_datasets(ranker, kpi))}; "
            "see which months the store holds with 'pcp periods'",
        )
    rows = [_force_row(ranker, result, force) for force in comp.members]
    frame = pl.DataFrame(rows, schema=FORCE_COLUMNS).sort(
        pl.col("group_rank").is_null(), "group_rank", "force_name", maintain_order=True
    )
    warnings = [
        *_gap_lines(ranker, {kpi.id: result}),
        *_quality_lines(ranker, {kpi.id: result}),
        *_population_lines(ranker),
    ]
    statement = _home_statement(ranker, result)
    notes = [*_group_note(ranker), _source_note(result)]
    if comp.kind != "national":
        notes.append(_national_note(ranker, result))
    notes.append(statement)
    unit = measure_label(result.measure, kpi)
    title = f"{kpi.label} ({unit}), {plan.period.label}: {comp.label}"
    caption = [*_caption(ranker, result), statement]
    return RankResult(frame, title, caption, warnings, notes, "forces", comp, unit)


def _force_row(ranker: Ranker, result: KpiRanking, force: str) -> dict[str, object]:
    plan = ranker.plan
    kpi = result.kpi
    fig = result.figures[force]
    gp = result.group.placed.get(force)
    return {
        **_placement(ranker, result, force),
        "period_start": month_text(plan.period.start),
        "period_end": month_text(plan.period.end),
        "home": force == plan.home,
        "status": fig.status,
        "status_detail": fig.detail,
        "denominator_kind": _denominator_kind(kpi, result.measure),
        "ci_method": gp.ci_method if gp else None,
        "mean_method": plan.mean_method,
        "sd_ddof": plan.ddof,
        "peer_mean_excl": gp.peer_mean_excl if gp else None,
        "z_excl": gp.z_excl if gp else None,
        "group_rate": result.group.group_rate,
        "funnel_overdispersed": gp.funnel_overdispersed if gp else None,
    }


def _placement(ranker: Ranker, result: KpiRanking, force: str) -> dict[str, object]:
    """The fields both rank tables give a force for a KPI: its figure, rate and interval,
    its group and national ranks, the group's mean and lines, RAG, funnel and difference.
    (The frames are built against their column schemas, so the order here does not matter.)"""
    plan = ranker.plan
    kpi = result.kpi
    fig = result.figures[force]
    gp = result.group.placed.get(force)
    npl = result.national.placed.get(force)
    summary = result.group.summary
    return {
        "kpi": kpi.id,
        "label": kpi.label,
        "period": plan.period.label,
        "dataset": result.dataset,
        "measure": measure_label(result.measure, kpi),
        "polarity": kpi.polarity,
        "force": force,
        "force_name": ranker.registry.name(force),
        "count": fig.numerator,
        "denominator": fig.denominator,
        "population_year": result.population_years.get(force),
        "rate": gp.value if gp else _rate(fig, result),
        "ci_lower": gp.lower if gp else None,
        "ci_upper": gp.upper if gp else None,
        "group": plan.comparator.name,
        "group_rank": gp.rank if gp else None,
        "group_ranked": result.group.ranked,
        "group_members": len(plan.comparator.members),
        "national_rank": npl.rank if npl else None,
        "national_ranked": result.national.ranked,
        "national_total": len(ranker.national),
        "group_mean": summary.mean if summary else None,
        "sd": summary.sd if summary else None,
        "lower_line": summary.lower if summary else None,
        "upper_line": summary.upper if summary else None,
        "z": gp.z if gp else None,
        "rag": gp.rag if gp else None,
        "funnel": gp.funnel if gp else None,
        "difference": gp.difference if gp else None,
        "meaningful": gp.meaningful if gp else None,
        "quality": _quality_text(result.quality.get(force)),
    }


def _kpis_table(ranker: Ranker) -> RankResult:
    plan = ranker.plan
    comp = plan.comparator
    home = plan.home
    rows = []
    results: dict[str, KpiRanking] = {}
    left_out: list[str] = []
    not_meaningful: list[str] = []
    ranker.preload()
    for kpi in plan.kpis:
        result = ranker.rank(kpi)
        if result is None:
            left_out.append(kpi.id)
            continue
        results[kpi.id] = result
        gp = result.group.placed.get(home)
        if gp is not None and gp.meaningful is False:
            not_meaningful.append(kpi.id)
        rows.append(_kpi_row(ranker, result))
    reasons = [f"{k}: {ranker.unavailable[k]}" for k in left_out if ranker.unavailable.get(k)]
    example = f" (for example {reasons[0]})" if reasons else ""
    if not results:
        raise NoDataError(
            f"none of the selected KPIs has comparable data for {plan.period.label}{example}",
            hint="see which months the store holds with 'pcp periods'",
        )
    warnings: list[str] = []
    if left_out:
        warnings.append(
            f"{len(left_out)} KPI(s) have no comparable data for {plan.period.label} and are "
            f"left out: {', '.join(left_out)}{example}"
        )
    warnings += [
        *_gap_lines(ranker, results),
        *_quality_lines(ranker, results),
        *_population_lines(ranker),
    ]
    datasets: dict[str, list[str]] = {}
    for r in results.values():
        datasets.setdefault(r.dataset, []).append(r.kpi.id)
    notes = [
        *_group_note(ranker),
        "datasets used (one per KPI, the same for every force compared): "
        + "; ".join(f"{d} for {', '.join(ids)}" for d, ids in datasets.items()),
    ]
    if comp.kind != "national":
        sizes = sorted({r.national.ranked for r in results.values()})
        notes.append(
            "national ranks are over the territorial forces with data and a population "
            f"({' to '.join(str(s) for s in sizes[:: max(len(sizes) - 1, 1)])} of "
            f"{len(ranker.national)}; see national_ranked)"
        )
    statement = ""
    if not_meaningful:
        statement = (
            f"{ranker.registry.name(home)}: the difference from the {comp.short} mean is not "
            f"statistically meaningful for {', '.join(not_meaningful)} (the 95% CI includes "
            "the mean, or the rate is within the control lines); read those ranks with care."
        )
        notes.append(statement)
    frame = pl.DataFrame(rows, schema=KPI_COLUMNS)
    title = (
        f"{ranker.registry.name(home)}: {plan.period.label} against {plan.baseline.label}; "
        f"ranks in {comp.label}"
    )
    caption = [
        f"Ranks: 1 = best by the KPI's polarity, over the forces with data. {comp.short} mean: "
        f"{_mean_text(plan.mean_method)}; control lines ± 1.96 {_sd_text(plan.ddof)}.",
        "Positive outcome rate: crimes of the category recorded in the period whose last "
        "outcome (street data) is in the positive-outcomes list.",
    ]
    if statement:
        caption.append(statement)
    return RankResult(frame, title, caption, warnings, notes, "kpis", comp)


def _kpi_row(ranker: Ranker, result: KpiRanking) -> dict[str, object]:
    plan = ranker.plan
    home = plan.home
    kpi = result.kpi
    fig = result.figures[home]
    value, base_value = _home_values(ranker, result)
    change = pct = None
    if value is not None and base_value is not None:
        change = value - base_value
        pct = change / base_value * 100 if base_value else None
    outcome = ranker.outcome_rate(kpi)
    op = outcome.placed.get(home) if outcome else None
    others = [f for f in plan.comparator.members if f != home]
    incomplete = [f for f in others if (c := result.quality.get(f)) and c.probably_incomplete]
    missing = [f for f in others if result.figures[f].status != OK]
    return {
        **_placement(ranker, result, home),
        "section": kpi.section,
        "unit": kpi.unit,
        "baseline_period": plan.baseline.label,
        "value": value,
        "baseline_value": base_value,
        "change": change,
        "pct_change": pct,
        **fields_of(
            op,
            outcome_rate="value",
            outcome_rate_lower="lower",
            outcome_rate_upper="upper",
            outcome_rate_group_rank="rank",
        ),
        "outcome_rate_group_ranked": outcome.ranked if outcome else None,
        "outcome_rate_source": (
            f"street: last outcome in {OUTCOME_LIST}" if op else "not available"
        ),
        "status": fig.status if fig.status == OK else f"{fig.status}: {fig.detail}",
        "incomplete_peers": " ".join(incomplete),
        "missing_peers": " ".join(missing),
    }


# -- helpers for the tables ----------------------------------------------------------------
def _datasets(ranker: Ranker, kpi: Kpi) -> list[str]:
    return list(dict.fromkeys(d for base in ranker.engine.base_kpis(kpi) for d in base.datasets))


def _denominator_kind(kpi: Kpi, measure: Measure) -> str:
    if measure == "per-population":
        return "population"
    if kpi.kind == "proportion":
        return "respondents"
    if kpi.kind == "ratio" and kpi.denominator:
        return kpi.denominator
    return "none"


def _rate(fig: ForceFigure, result: KpiRanking) -> float | None:
    """The rate of an unranked force where it can still be worked out (else None)."""
    if fig.numerator is None:
        return None
    if result.measure == "count":
        return fig.numerator
    if not fig.denominator:
        return None
    return result.multiplier * fig.numerator / fig.denominator


def _quality_text(check: Completeness | None) -> str:
    if check is None:
        return ""
    if check.probably_incomplete:
        return check.describe()
    return "ok" if check.checked else "not checked (no earlier month to compare)"


def _window_totals(
    choice: DatasetChoice, force: str, period: Period
) -> tuple[float, float | None] | None:
    series = choice.series.get(force)
    if series is None or series.missing(period):
        return None
    try:
        return series.totals(period)
    except UsageError:
        return None


def _home_values(ranker: Ranker, result: KpiRanking) -> tuple[float | None, float | None]:
    """The home force's KPI value now and in the baseline, from the datasets ranked."""
    kpi = result.kpi
    out: list[float | None] = []
    for period in (ranker.plan.period, ranker.plan.baseline):
        totals = [_window_totals(c, ranker.plan.home, period) for c in result.choices]
        clean = [t for t in totals if t is not None]
        if len(clean) < len(totals):
            out.append(None)
        elif kpi.kind == "ratio":
            num, den = clean[0][0], clean[1][0]
            out.append(num / den * kpi.scale if den else None)
        elif kpi.kind == "proportion":
            n, respondents = clean[0]
            out.append(n / respondents * kpi.scale if respondents else None)
        else:
            out.append(clean[0][0])
    return out[0], out[1]


def _short_list(items: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _gap_lines(ranker: Ranker, results: Mapping[str, KpiRanking]) -> list[str]:
    """Warnings for comparator forces that are not ranked: one line per force and reason."""
    comp = ranker.plan.comparator
    gaps: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for kid, result in results.items():
        for force in comp.members:
            fig = result.figures[force]
            if fig.status != OK:
                gaps.setdefault((force, fig.status), []).append((kid, fig.detail))
    single = len(results) == 1
    lines = []
    if comp.kind == "national":
        by_status: dict[str, list[str]] = {}
        for force, status in gaps:
            by_status.setdefault(status, []).append(force)
        for status, forces in by_status.items():
            what = f"for {next(iter(results))}" if single else "for at least one KPI"
            where = f"shown as '{status}' rows" if single else "see missing_peers"
            lines.append(
                f"{len(forces)} of {len(comp.members)} territorial forces are not ranked "
                f"({status}) {what}: {_short_list(forces)}; {where}"
            )
        return lines
    for (force, status), items in gaps.items():
        name = ranker.registry.name(force)
        if single:
            kid, detail = items[0]
            ranked = results[kid].group.ranked
            lines.append(
                f"{name}: {status} for {kid} ({detail}); shown as a '{status}' row, the "
                f"{comp.short} ranks are over {ranked} of {len(comp.members)} forces"
            )
    if single:
        return lines
    # Several KPIs: one line per status and set of KPIs, naming the forces, so a KPI only
    # the home force collects (calls, hate crime) gives one warning, not one per peer.
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (force, status), items in gaps.items():
        ids = tuple(k for k, _ in items)
        grouped.setdefault((status, ids), []).append(ranker.registry.name(force))
    for (status, ids), names in grouped.items():
        lines.append(
            f"{_short_list(names)}: {status} for {len(ids)} KPI(s) ({_short_list(list(ids))}); "
            f"left out of those {comp.short} ranks (see missing_peers and status)"
        )
    return lines


def _quality_lines(ranker: Ranker, results: Mapping[str, KpiRanking]) -> list[str]:
    """One warning per comparator force and dataset whose data look incomplete."""
    seen: dict[tuple[str, str], str] = {}
    members = set(ranker.plan.comparator.members)
    for result in results.values():
        for force, check in result.quality.items():
            if force in members and check.probably_incomplete:
                seen.setdefault((force, result.dataset), check.describe())
    action = (
        "excluded from the ranks (--exclude-incomplete)"
        if ranker.plan.exclude_incomplete
        else "ranking it may flatter it"
    )
    return [
        f"{ranker.registry.name(force)}: {dataset} data {text} "
        f"in {ranker.plan.period.label}; {action}"
        for (force, dataset), text in seen.items()
    ]


def _population_lines(ranker: Ranker) -> list[str]:
    return [
        f"no mid-{wanted} population estimate for {_short_list(list(dict.fromkeys(forces)), 8)}; "
        f"using mid-{used}, the nearest year in the store"
        for (wanted, used), forces in sorted(ranker.population_fallbacks.items())
    ]


def _group_note(ranker: Ranker) -> list[str]:
    comp = ranker.plan.comparator
    if comp.kind == "national":
        return []
    names = ", ".join(ranker.registry.name(f) for f in comp.members)
    source = f" (from {comp.source})" if comp.source else ""
    return [f"{comp.label}: {names}{source}"]


def _source_note(result: KpiRanking) -> str:
    titles = [f"{d} ({DATASETS[d].title})" for d in result.dataset.split("/") if d in DATASETS]
    return (
        f"{result.kpi.id}: counted from {' and '.join(titles) or result.dataset} for every "
        "force compared"
    )


def _national_note(ranker: Ranker, result: KpiRanking) -> str:
    lacking = [f for f in ranker.national if result.figures[f].status != OK]
    if not lacking:
        return f"national rank is over all {len(ranker.national)} territorial forces"
    return (
        f"national rank is over the {result.national.ranked} of {len(ranker.national)} "
        f"territorial forces with {result.dataset} data for the period"
        + (" and a population" if result.measure == "per-population" else "")
        + f"; not ranked: {_short_list(lacking)}"
    )


def _fmt(value: float | None, decimals: int = 3) -> str:
    return text.number(value, decimals) if value is None or math.isfinite(value) else "–"


def _mean_text(mean_method: MeanMethod) -> str:
    if mean_method == "weighted":
        return "weighted, Σcount / Σpopulation"
    return "unweighted mean of the rates, force included, as HMIC"


def _sd_text(ddof: int) -> str:
    return "sample SD (n − 1)" if ddof == 1 else "population SD (n)"


def _caption(ranker: Ranker, result: KpiRanking) -> list[str]:
    plan = ranker.plan
    comp = plan.comparator
    summary = result.group.summary
    lines = []
    if summary is not None:
        spread = (
            f"{_sd_text(plan.ddof)} {_fmt(summary.sd)}; control lines "
            f"{_fmt(summary.lower)} to {_fmt(summary.upper)}"
            if summary.sd is not None
            else (summary.note or "no SD")
        )
        lines.append(
            f"{comp.short} mean {_fmt(summary.mean)} ({_mean_text(plan.mean_method)}); "
            f"{spread}. Ranked: {result.group.ranked} of {len(comp.members)}."
        )
    lines.append(_source_note(result) + ".")
    ci = (
        "Wilson"
        if result.measure == "proportion"
        else "exact Poisson below 10 events, Byar's from 10"
    )
    lines.append(
        f"Rank 1 = best by polarity ({result.kpi.polarity}). 95% CI: {ci}. "
        f"Funnel: exact limits around the group rate {_fmt(result.group.group_rate)}; "
        "OD: over-dispersed (random-effects) limits."
    )
    return lines


def _home_statement(ranker: Ranker, result: KpiRanking) -> str:
    """One sentence on the home force's position, saying whether the difference matters."""
    plan = ranker.plan
    comp = plan.comparator
    home = plan.home
    name = ranker.registry.name(home)
    gp = result.group.placed.get(home)
    summary = result.group.summary
    if gp is None or summary is None:
        fig = result.figures[home]
        return f"{name}: not ranked ({fig.status}: {fig.detail})."
    unit = measure_label(result.measure, result.kpi)
    unit = unit if unit == "%" else f" {unit}"
    ci = f" (95% CI {_fmt(gp.lower)} to {_fmt(gp.upper)})" if gp.lower is not None else ""
    national = result.national.placed.get(home)
    nat = f", {national.rank} of {result.national.ranked} nationally" if national else ""
    if comp.kind == "national":
        where, nat = "nationally", ""
    else:
        where = f"in the {comp.short}"
    text = (
        f"{name}: {_fmt(gp.value)}{unit}{ci}, rank {gp.rank} of {result.group.ranked} "
        f"{where}{nat}; {comp.short} mean {_fmt(summary.mean)}"
    )
    if gp.z is not None:
        text += f", z = {gp.z:+.2f}".replace("-", "−")
    if gp.rag != "NONE":
        text += f", {gp.rag}"
    reason = gp.difference.split(": ", 1)[-1]
    if gp.meaningful is False:
        verdict = f"is not statistically meaningful ({reason})"
    elif gp.meaningful:
        verdict = f"is statistically meaningful ({reason})"
    else:
        verdict = f"cannot be judged ({reason})"
    return f"{text}. The difference from the {comp.short} mean {verdict}."
