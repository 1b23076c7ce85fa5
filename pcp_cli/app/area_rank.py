"""``pcp rank --by``: the force's local areas ranked per 1,000 residents, with intervals.

One answer per question: each area's count, population, ``per_1000`` and rank are the
very columns ``pcp compare --by`` prints (:func:`pcp_cli.app.areas.compare_by_area`, its
rank from :func:`pcp_cli.app.areas.with_rank_per_1000`). The interval of each rate and its
funnel positions come from the function that places a force among its peers in
``pcp rank`` (:func:`pcp_cli.analysis.peers.statistics.group_statistics`, rates per
population): the rate's 95% interval (exact Poisson below 10 crimes, Byar's from 10), the
funnel position against the force-wide rate, and the over-dispersed (random-effects)
funnel's. An area ranked last may sit within the funnel: no different from the force.

The force-wide rate is the pooled rate of the ranked areas, Σcount / Σpopulation × 1,000:
the crimes without a location, or in an LSOA outside the lookup, have no residents to be a
rate of, so they are in neither side (each catch-all row says how many it holds).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import polars as pl

from pcp_cli.analysis.peers.statistics import ForceFigure, GroupStatistics, group_statistics
from pcp_cli.app.areas import PER, compare_by_area
from pcp_cli.app.compare import CompareRequest
from pcp_cli.app.context import Context
from pcp_cli.app.window import Window
from pcp_cli.areas import NO_LOCATION, NOT_IN_LOOKUP, Lookup
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.kpis import Kpi

RANKED = "ranked"
CATCH_ALL = "not an area"
NO_POPULATION = "no population"

AREA_RANK_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "area": pl.String,
    "area_type": pl.String,
    "force": pl.String,
    "force_name": pl.String,
    "kpi": pl.String,
    "label": pl.String,
    "unit": pl.String,
    "polarity": pl.String,
    "period": pl.String,
    "period_start": pl.String,
    "period_end": pl.String,
    "complete": pl.Boolean,
    "count": pl.Float64,
    "population": pl.Int64,
    "per_1000": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
    "ci_method": pl.String,
    "rank_per_1000": pl.Int32,
    "areas_ranked": pl.Int32,
    "force_rate": pl.Float64,
    "funnel": pl.String,
    "funnel_overdispersed": pl.String,
    "status": pl.String,
    "note": pl.String,
}
"""The rows of ``pcp rank --by`` (schema ``rank-by-area``), one per area and KPI."""


@dataclass
class AreaRankOutcome:
    """The ranked areas (:data:`AREA_RANK_COLUMNS`), the window, the lookup and warnings."""

    frame: pl.DataFrame
    window: Window
    lookup: Lookup | None
    warnings: list[str] = field(default_factory=list)


def rank_by_area(context: Context, force: str, request: CompareRequest, by: str) -> AreaRankOutcome:
    """Rank ``force``'s areas per 1,000 residents for each count KPI of ``request``.

    Raises :class:`UsageError` when no KPI is a count, :class:`NoDataError` when no area
    has a population (a lookup without a population column, or districts by LSOA name).
    """
    counts = [k for k in request.kpis if k.kind == "count"]
    if not counts:
        raise UsageError(
            f"rank --by ranks counts per 1,000 residents; {request.kpis[0].id} is a "
            f"{request.kpis[0].kind} KPI",
            hint="give a count KPI, e.g. --kpi all-crime",
        )
    warnings = []
    if len(counts) < len(request.kpis):
        others = ", ".join(k.id for k in request.kpis if k.kind != "count")
        warnings.append(f"only count KPIs are ranked per 1,000 residents; left out: {others}")
    outcome = compare_by_area(context, [force], replace(request, kpis=counts), by)
    frame = outcome.frame
    if frame["population"].is_null().all():
        raise NoDataError(_no_population(by, outcome.lookup), hint=_POPULATION_HINT)
    catalogue = context.engine.catalogue.kpis
    parts = [
        _ranked_areas(frame.filter(pl.col("kpi") == kpi_id), catalogue[kpi_id])
        for kpi_id in dict.fromkeys(frame["kpi"].to_list())
    ]
    rows = pl.concat(parts, how="vertical")
    return AreaRankOutcome(rows, outcome.window, outcome.lookup, [*warnings, *outcome.warnings])


_POPULATION_HINT = (
    "ingest a lookup with a population column: pcp ingest --kind areas FILE "
    "(header lsoa_code,area,population), then rank --by area"
)


def _no_population(by: str, lookup: Lookup | None) -> str:
    if lookup is None:
        return f"--by {by} has no populations to rank the areas by (districts come from LSOA names)"
    return f"the store's lookup ({lookup.area_type}) gives no area a population"


def _ranked_areas(compared: pl.DataFrame, kpi: Kpi) -> pl.DataFrame:
    """One KPI's rows: compare --by's figures and rank, with the interval and funnels of
    ``pcp rank``'s group statistics (the ranked areas as the group)."""
    ranked = compared.filter(pl.col("rank_per_1000").is_not_null())
    figures = [
        ForceFigure(r["area"], r["value"], float(r["population"]))
        for r in ranked.iter_rows(named=True)
    ]
    stats = group_statistics(
        figures, measure="per-population", polarity=kpi.polarity, multiplier=PER
    )
    rows = [_row(r, stats) for r in compared.iter_rows(named=True)]
    # A league table: best first; ties, the unranked and the catch-alls in compare's order.
    return pl.DataFrame(rows, schema=AREA_RANK_COLUMNS).sort(
        "rank_per_1000", nulls_last=True, maintain_order=True
    )


def _row(r: dict[str, object], stats: GroupStatistics) -> dict[str, object]:
    """An area's row; an unranked one keeps its count and says why it is not ranked."""
    out = {k: r.get(k) for k in AREA_RANK_COLUMNS if k in r}
    out["count"] = r["value"]
    out["force_rate"] = stats.group_rate
    place = stats.placed.get(str(r["area"])) if r["rank_per_1000"] is not None else None
    if place is not None:
        out.update(
            ci_lower=place.lower, ci_upper=place.upper, ci_method=place.ci_method,
            funnel=place.funnel, funnel_overdispersed=place.funnel_overdispersed,
            status=RANKED, note=None,
        )  # fmt: skip
        return out
    if r["area"] in (NO_LOCATION, NOT_IN_LOOKUP):
        out.update(
            status=CATCH_ALL, note="not a place with residents: in no area's rate or the force's"
        )
    else:
        out.update(status=NO_POPULATION, note="the lookup gives no population for every LSOA")
    return out
