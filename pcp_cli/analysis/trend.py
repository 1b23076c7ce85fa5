"""The seed papers' trend: this financial year's months against last year's."""

from __future__ import annotations

from dataclasses import dataclass

from pcp_cli.engine import Engine
from pcp_cli.errors import UsageError
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Month, Period, financial_year_label, financial_year_start, month_index


@dataclass(frozen=True)
class YearTrend:
    current_label: str
    current: tuple[float, ...]
    previous_label: str
    previous: tuple[float, ...]
    dataset: str


def year_on_year(engine: Engine, kpi: Kpi, force: str, latest: Month) -> YearTrend:
    """Monthly values from April of ``latest``'s financial year, and the whole year before."""
    fy = financial_year_start(latest)
    current = Period(month_index(fy, 4), latest, "fytd")
    previous = Period(month_index(fy - 1, 4), month_index(fy, 3), "financial-year")
    cur, prev = engine.values(kpi, force, [current, previous])
    if len(cur.monthly) != current.length or len(prev.monthly) != previous.length:
        raise UsageError(
            f"{kpi.id} for {force} comes from {cur.dataset} data that is not monthly",
            hint="a monthly trend needs monthly data (street, outcomes, counts by month)",
        )
    return YearTrend(
        financial_year_label(fy),
        cur.monthly,
        financial_year_label(fy - 1),
        prev.monthly,
        cur.dataset,
    )
