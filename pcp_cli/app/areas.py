"""Questions by local area (``--by``): compare rows, SPC series and report tables per area.

The figures come from :mod:`pcp_cli.areas` (the raw rows of the force's street, outcomes
or crime records, grouped by district or by the store's lookup); the verdicts come from
the very function that makes the force's own compare rows
(:func:`pcp_cli.analysis.compare.compare_row`), so an area's row is read the same way.

Rank within the force (``rank_per_1000``): where the lookup gives every LSOA of an area a
population, a count KPI's value per 1,000 residents, ranked among the force's areas
(competition ranks, rank 1 = best by the KPI's polarity: the fewest crimes per 1,000 for
a lower-is-better KPI; for a neutral KPI the lowest rate, as ``pcp rank`` ranks forces).
The catch-all rows ("(no location)", "(not in the lookup)") and areas without a
population are not ranked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from pcp_cli.analysis.check import CheckPlan, CheckResult, area_findings
from pcp_cli.analysis.compare import (
    COLUMNS,
    HISTORY_MONTHS,
    ComparePlan,
    compare_row,
    force_history,
)
from pcp_cli.analysis.peers.population import PopulationTable
from pcp_cli.analysis.significance import CountHistory
from pcp_cli.analysis.spc import SpcMethod, SpcOptions, SpcOutcome, drop_short_first_runs, run
from pcp_cli.app.compare import CompareRequest, run_comparison
from pcp_cli.app.context import Context
from pcp_cli.app.report_model import LocalAreas, Report
from pcp_cli.app.spc import with_event_restarts
from pcp_cli.app.window import Window
from pcp_cli.areas import (
    LOCAL_AUTHORITY,
    NO_LOCATION,
    NOT_IN_LOOKUP,
    AreaValues,
    Lookup,
    load_lookup,
    monthly_by_area,
    values_by_area,
)
from pcp_cli.engine import Engine, KpiPoints, PeriodValue
from pcp_cli.errors import NoDataError, PcpError, UsageError
from pcp_cli.events import KnownEvent
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Catalogue, Kpi
from pcp_cli.periods import Month, Period
from pcp_cli.recordrules import DATASET as RECORDS
from pcp_cli.recordrules import monthly_by_ho_code
from pcp_cli.stats.peer import rank_by_polarity

PER = 1000.0  # residents: the rate per 1,000 population

BY_AREA_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "area": pl.String,
    "area_type": pl.String,
    **COLUMNS,
    "population": pl.Int64,
    "per_1000": pl.Float64,
    "rank_per_1000": pl.Int32,
    "areas_ranked": pl.Int32,
}
"""``pcp compare --by``: the area and its type first, then every compare column, then the
population (from the lookup), the value per 1,000 residents and its rank in the force."""


@dataclass
class AreaOutcome:
    """Compare rows per area (:data:`BY_AREA_COLUMNS`), the lookup used and diagnostics."""

    frame: pl.DataFrame
    window: Window
    lookup: Lookup | None
    warnings: list[str] = field(default_factory=list)


def compare_by_area(
    context: Context,
    forces: Sequence[str],
    request: CompareRequest,
    by: str = LOCAL_AUTHORITY,
) -> AreaOutcome:
    """``pcp compare --by``: the force's comparison (window, KPIs with data), then one row
    per area and KPI; KPIs whose data have no location are left out with a warning (a
    single such KPI is an error)."""
    force_outcome = run_comparison(context, forces, request)
    engine, registry = context.engine, context.registry
    window = force_outcome.window
    plan = ComparePlan(
        [], list(forces), window.period, window.baseline, request.allow_partial, request.alpha
    )
    warnings = list(force_outcome.warnings)
    frames: list[pl.DataFrame] = []
    lookup: Lookup | None = None
    kpi_ids = list(dict.fromkeys(force_outcome.frame["kpi"].to_list()))
    kpis = [engine.catalogue.kpis[k] for k in kpi_ids]
    left_out: dict[str, None] = {}
    for force in forces:
        for kpi in kpis:
            try:
                rows, used = area_rows(engine, kpi, force, registry.name(force), plan, by)
            except UsageError:
                if len(kpis) == 1:
                    raise
                left_out[kpi.id] = None
                continue
            lookup = lookup or used
            frames.append(rows)
    if left_out:
        warnings.append(
            f"{len(left_out)} KPI(s) are not counted by area and are left out of --by {by} "
            f"(their data have no location, or a records rule): {', '.join(left_out)}"
        )
    if not frames:
        raise UsageError(
            f"none of the selected KPIs can be counted by {by}",
            hint="figures by area come from data.police.uk street or outcomes files or the "
            "force's crime records",
        )
    return AreaOutcome(pl.concat(frames, how="vertical"), window, lookup, warnings)


def area_rows(
    engine: Engine,
    kpi: Kpi,
    force: str,
    force_name: str,
    plan: ComparePlan,
    by: str,
) -> tuple[pl.DataFrame, Lookup | None]:
    """One compare row per area of ``force`` for ``kpi`` (:data:`BY_AREA_COLUMNS`)."""
    cur_force, base_force = engine.values(
        kpi, force, [plan.period, plan.baseline], allow_partial=plan.allow_partial
    )
    cur = values_by_area(engine, kpi, force, plan.period, by, allow_partial=plan.allow_partial)
    base = values_by_area(engine, kpi, force, plan.baseline, by, allow_partial=plan.allow_partial)
    monthly = _monthly(engine, kpi, force, plan, by)
    areas = _areas(cur.frame, base.frame, cur.lookup)
    area_type = cur.lookup.area_type if cur.lookup else LOCAL_AUTHORITY
    history = force_history(engine, kpi, force, cur_force.dataset, plan.period.end)
    rows = []
    for area in areas:
        months = monthly.get(area, {})
        now = _period_value(kpi, cur, area, cur_force, months, plan.period)
        then = _period_value(kpi, base, area, base_force, months, plan.baseline)
        own = _area_history(history, months, plan.period.end)
        row = compare_row(kpi, force, force_name, now, then, plan, own)
        rows.append({"area": area, "area_type": area_type, **row})
    schema = {k: v for k, v in BY_AREA_COLUMNS.items() if k not in _RANK_COLUMNS}
    frame = pl.DataFrame(rows, schema=schema)
    frame = frame.join(_populations(cur.lookup), on="area", how="left", maintain_order="left")
    return with_rank_per_1000(frame, kpi).select(list(BY_AREA_COLUMNS)), cur.lookup


def _area_history(
    force: CountHistory | None, months: dict[Month, float], end: Month
) -> CountHistory | None:
    """The area's own monthly history, with the force's gaps: an area's variation is its
    own (a district's counts vary less, in proportion, than the force's total)."""
    if force is None or force.stock:
        return force
    if force.span != 1 or not months:
        return CountHistory(())  # quarterly or no monthly split: the Poisson test, noted
    first = end - len(force.counts) + 1
    return CountHistory(
        tuple(None if n is None else months.get(first + i, 0.0) for i, n in enumerate(force.counts))
    )


_RANK_COLUMNS = ("population", "per_1000", "rank_per_1000", "areas_ranked")


def _populations(lookup: Lookup | None) -> pl.DataFrame:
    """Each area's population: known only when the lookup gives every LSOA in it one."""
    schema = {"area": pl.String, "population": pl.Int64}
    if lookup is None:
        return pl.DataFrame(schema=schema)
    return lookup.frame.group_by("area").agg(
        pl.when(pl.col("population").null_count() == 0)
        .then(pl.col("population").sum())
        .otherwise(None)
        .cast(pl.Int64)
        .alias("population")
    )


def with_rank_per_1000(frame: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    """Add ``per_1000``, ``rank_per_1000`` and ``areas_ranked`` (see the module docstring)."""
    rankable = (
        pl.col("population").is_not_null()
        & (pl.col("population") > 0)
        & ~pl.col("area").is_in([NO_LOCATION, NOT_IN_LOOKUP])
        & pl.col("value").is_not_null()
    )
    if kpi.kind != "count":
        rankable = pl.lit(False)
    rate = pl.when(rankable).then(pl.col("value") / pl.col("population") * PER)
    frame = frame.with_columns(rate.alias("per_1000"))
    # pcp rank's rule for forces, ties and direction alike (rank 1 best by polarity; a
    # neutral KPI's lowest rate first).
    rates: list[float | None] = frame["per_1000"].to_list()
    ranked_at = [i for i, r in enumerate(rates) if r is not None]
    ranks: list[int | None] = [None] * len(rates)
    placed = rank_by_polarity([float(r) for r in rates if r is not None], kpi.polarity)
    for i, place in zip(ranked_at, placed, strict=True):
        ranks[i] = place
    ranked = frame.with_columns(pl.Series("rank_per_1000", ranks, dtype=pl.Int32))
    count = len(ranked_at)
    return ranked.with_columns(
        pl.when(pl.col("rank_per_1000").is_not_null())
        .then(pl.lit(count, dtype=pl.Int32))
        .otherwise(None)
        .alias("areas_ranked")
    )


def _areas(cur: pl.DataFrame, base: pl.DataFrame, lookup: Lookup | None) -> list[str]:
    """The areas of either period and every area of the lookup (an area with no crimes
    has a row of zeros), in :mod:`pcp_cli.areas` order (catch-alls last)."""
    listed = lookup.frame["area"].to_list() if lookup is not None else []
    names = dict.fromkeys([*cur["area"].to_list(), *base["area"].to_list(), *listed])
    last = (NOT_IN_LOOKUP, NO_LOCATION)
    return sorted(a for a in names if a not in last) + [a for a in last if a in names]


def _period_value(
    kpi: Kpi,
    values: AreaValues,
    area: str,
    force_value: PeriodValue,
    monthly: dict[Month, float],
    period: Period,
) -> PeriodValue:
    """The area's figure as the engine's PeriodValue (months missing as for the force)."""
    row = values.frame.filter(pl.col("area") == area)
    missing = force_value.missing
    months = tuple(
        monthly.get(m, 0.0) for m in period.months if m not in missing
    ) if monthly else ()  # fmt: skip
    if not row.height:  # nothing counted in the area in this period
        zero_den = 0.0 if kpi.kind == "ratio" else None
        value = None if kpi.kind == "ratio" else 0.0
        return PeriodValue(value, 0.0, zero_den, months, missing, values.dataset)
    r = row.row(0, named=True)
    return PeriodValue(r["value"], r["numerator"], r["denominator"], months, missing,
                       values.dataset)  # fmt: skip


def _monthly(
    engine: Engine, kpi: Kpi, force: str, plan: ComparePlan, by: str
) -> dict[str, dict[Month, float]]:
    """Each area's monthly values over both periods and the history before them (for the
    trend and the verdict's dispersion); empty where the KPI is not a monthly count or a
    ratio of two."""
    # From the start of the history the verdict's dispersion is estimated from.
    first = min(plan.period.start, plan.baseline.start, plan.period.end - HISTORY_MONTHS + 1)
    last = max(plan.period.end, plan.baseline.end)
    try:
        if kpi.kind == "ratio" and kpi.numerator and kpi.denominator:
            num = _monthly_counts(
                engine, engine.catalogue.kpis[kpi.numerator], force, first, last, by
            )
            den = _monthly_counts(
                engine, engine.catalogue.kpis[kpi.denominator], force, first, last, by
            )
            return {
                area: {
                    m: (num.get(area, {}).get(m, 0.0) / d * kpi.scale) if d else float("nan")
                    for m, d in months.items()
                }
                for area, months in den.items()
            }
        return _monthly_counts(engine, kpi, force, first, last, by)
    except PcpError:
        return {}


def _monthly_counts(
    engine: Engine, kpi: Kpi, force: str, first: Month, last: Month, by: str
) -> dict[str, dict[Month, float]]:
    frame = monthly_by_area(engine, kpi, force, first, last, by)
    out: dict[str, dict[Month, float]] = {}
    for area, start, value in frame.select("area", "start", "value").iter_rows():
        out.setdefault(area, {})[int(start)] = float(value)
    return out


def spc_by_area(
    engine: Engine,
    kpi: Kpi,
    where: tuple[str, str],
    months: tuple[Month | None, Month | None],
    by: str,
    method: SpcMethod,
    options: SpcOptions,
    events: Sequence[KnownEvent] = (),
) -> list[SpcOutcome]:
    """``pcp spc --by``: one chart per area, the force's series split by area.

    Each area's points are the force's (same months, same gaps, so a chart restarts where
    the force's does) with the area's count as the value; count KPIs only. Each outcome's
    frame has an ``area`` column first; its summary names the area. pcp.toml's events that
    restart the limits restart each area's chart as they do the force's."""
    force, force_name = where
    start, end = months
    points = engine.points(kpi, force, start, end)
    if start is None and method == "xmr":
        points = drop_short_first_runs(points)
    held = [int(m) for m in points.ok["start"].to_list()]
    if not held:
        raise NoDataError(f"no months with data for {kpi.id} ({force})")
    frame = monthly_by_area(engine, kpi, force, min(held), max(held), by)
    outcomes = []
    for area in frame["area"].unique(maintain_order=True).to_list():
        values = frame.filter(pl.col("area") == area).select("start", "value")
        split, used = _area_series(points, values), options
        if method == "xmr":
            split, used = with_event_restarts(engine, split, options, events)
        outcome = run(split, method, used, f"{force_name}, {area}")
        rows = outcome.frame.with_columns(pl.lit(force_name).alias("force_name"))
        rows = rows.select(pl.lit(area).alias("area"), pl.all())
        outcomes.append(replace(outcome, frame=rows))
    return outcomes


def _area_series(points: KpiPoints, values: pl.DataFrame) -> KpiPoints:
    """The force's points with the area's monthly counts as their values."""
    joined = points.frame.join(
        values.rename({"value": "_area"}), on="start", how="left", maintain_order="left"
    )
    area_value = (
        pl.when(pl.col("status") == "ok").then(pl.col("_area").fill_null(0.0))
        .otherwise(pl.col("value"))
    )  # fmt: skip
    # Count KPIs only (monthly_by_area refuses others): no numerator to replace.
    return replace(points, frame=joined.with_columns(area_value.alias("value")).drop("_area"))


def check_by_area(
    engine: Engine,
    registry: ForceRegistry,
    populations: PopulationTable,
    plan: CheckPlan,
    by: str,
) -> CheckResult:
    """``pcp check --by``: the compare check of each KPI for each area of the force (the
    same finding, rules and words as the force's); KPIs whose data have no location are
    not checked (a warning names them). The SPC and MSG checks are the force's own and
    are not run by area."""
    compare_plan = ComparePlan([], [plan.force], plan.period, plan.baseline, False, plan.alpha)
    name = registry.name(plan.force)
    frames: list[pl.DataFrame] = []
    skipped: list[str] = []
    checked = 0
    for kpi in plan.kpis:
        try:
            rows, _ = area_rows(engine, kpi, plan.force, name, compare_plan, by)
        except PcpError:
            skipped.append(kpi.id)
            continue
        frames.append(area_findings(engine, registry, populations, plan, kpi, rows))
        checked += 1
    warnings = []
    if skipped:
        warnings.append(
            f"{name}: {len(skipped)} KPI(s) not checked by {by} (no location in their data, "
            f"or a month of the period missing): {', '.join(skipped)}"
        )
    if not frames:
        raise NoDataError(f"{name}: none of the selected KPIs can be checked by {by}")
    return CheckResult(pl.concat(frames, how="vertical"), warnings, checked)


def report_areas(engine: Engine, registry: ForceRegistry, report: Report,
                 by: str | None) -> LocalAreas | None:  # fmt: skip
    """The report's local parts: each section's KPIs by area (when ``by`` is set) and the
    force's recorded crimes by Home Office category, month by month for the last 12 months
    (when the store holds its crime records). None when there is neither."""
    plan = report.plan
    tables: list[tuple[str, pl.DataFrame]] = []
    notes: list[str] = []
    lookup: Lookup | None = None
    area_type = by or ""
    if by is not None:
        if by.casefold() != LOCAL_AUTHORITY:
            load_lookup(engine.reader, by)  # a misspelt --by is an error, not an empty part
        compare_plan = ComparePlan([], [plan.force], plan.period, plan.baseline, False, plan.alpha)
        left_out: list[str] = []
        for section in report.sections:
            frames = []
            for line in section.lines:
                try:
                    rows, used = area_rows(engine, line.kpi, plan.force, report.force_name,
                                           compare_plan, by)  # fmt: skip
                except PcpError:
                    left_out.append(line.kpi.id)
                    continue
                lookup = lookup or used
                area_type = str(rows["area_type"][0]) if rows.height else area_type
                frames.append(rows)
            if frames:
                tables.append((section.name, pl.concat(frames, how="vertical")))
        if left_out:
            notes.append(
                f"Not broken down by area ({len(left_out)} KPIs: their data have no location "
                f"or a month of the period is missing): {', '.join(left_out)}."
            )
    ho = home_office_monthly(engine, plan.force, plan.period.end)
    if not tables and ho is None:
        return None
    return LocalAreas(by, area_type, lookup.source if lookup else None, tuple(tables), ho,
                      tuple(notes))  # fmt: skip


def home_office_monthly(engine: Engine, force: str, end: Month) -> pl.DataFrame | None:
    """Recorded crimes per Home Office code and month, the 12 months to ``end``, each code
    with its category: the KPI file's name for it (see :func:`ho_categories`)."""
    frame = monthly_by_ho_code(engine.reader, force, end - 11, end)
    if not frame.height:
        return None
    names = ho_categories(engine.catalogue)
    category = pl.col("ho_code").replace_strict(names, default=None, return_dtype=pl.String)
    return frame.with_columns(category.alias("category")).select(
        "ho_code", "category", "start", "period", "n"
    )


def ho_categories(catalogue: Catalogue) -> dict[str, str]:
    """Home Office code -> the label of the KPI that counts it from crime records, the
    narrowest such KPI when several do (28E: residential burglary before burglary). Only
    KPIs whose records rule is a plain list of codes name codes."""
    best: dict[str, tuple[int, str]] = {}
    for kpi in catalogue.kpis.values():
        for rule in kpi.rules:
            if rule.dataset != RECORDS or rule.rule or len(rule.conditions) != 1:
                continue
            cond = rule.conditions[0]
            if cond.column != "ho_code" or cond.negate:
                continue
            for code in cond.values:
                if code not in best or len(cond.values) < best[code][0]:
                    best[code] = (len(cond.values), kpi.label)
    return {code: label for code, (_, label) in best.items()}
