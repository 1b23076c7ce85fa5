"""Population denominators: which mid-year estimate a period's rate per 1,000 uses.

ONS population estimates are for 30 June of each year ("mid-year"). A rate for a period
uses the estimate dated nearest the period's midpoint, so a financial year (April to
March, midpoint about 1 October) uses the estimate of the year it starts in, and
Q3 2018/19 (October to December 2018, midpoint mid-November) uses mid-2018. When the
store lacks that year the nearest available year is used instead and a warning says
which; a force with no estimate at all is an error that names it.

Nothing here prints: lookups return their warnings for the caller to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from pcp_cli.errors import NoDataError
from pcp_cli.periods import Period
from pcp_cli.store import StoreReader

MID_YEAR_MONTH = 6
MID_YEAR_DAY = 30

INGEST_HINT = (
    "ingest mid-year estimates with 'pcp ingest --kind population FILE' "
    "(force,year,population or a year column plus one column per force)"
)


def _first_day(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def period_midpoint(period: Period) -> date:
    """The middle day of the period (first day of its first month to last day of its last)."""
    start = _first_day(period.start).toordinal()
    end_exclusive = _first_day(period.end + 1).toordinal()
    return date.fromordinal(start + (end_exclusive - start - 1) // 2)


def _mid_year(year: int) -> date:
    return date(year, MID_YEAR_MONTH, MID_YEAR_DAY)


def _distance(year: int, midpoint: date) -> int:
    return abs((_mid_year(year) - midpoint).days)


def estimate_year(period: Period) -> int:
    """The year whose 30 June estimate lies nearest the period's midpoint (ties: earlier)."""
    mid = period_midpoint(period)
    return min((mid.year - 1, mid.year, mid.year + 1), key=lambda y: (_distance(y, mid), y))


@dataclass(frozen=True)
class PopulationEstimate:
    """The estimate used for one force and period."""

    force: str
    year: int  # the mid-year of the estimate used
    wanted_year: int  # the mid-year the period asks for
    population: float

    @property
    def fallback(self) -> bool:
        return self.year != self.wanted_year

    def warning(self) -> str | None:
        """A one-line warning when a year other than the wanted one was used."""
        if not self.fallback:
            return None
        return (
            f"no mid-{self.wanted_year} population estimate for {self.force}; "
            f"using mid-{self.year} (the nearest year in the store)"
        )


class PopulationTable:
    """Mid-year estimates by force and year."""

    def __init__(self, estimates: Mapping[str, Mapping[int, float]]) -> None:
        self._by_force = {f: dict(years) for f, years in estimates.items()}

    @classmethod
    def from_reader(cls, reader: StoreReader) -> PopulationTable:
        """The store's population dataset (an empty table when none was ingested)."""
        if not reader.has("population") or reader.manifest.aggregate_file("population") is None:
            return cls({})
        frame = (
            reader.aggregate("population")
            .group_by("force", "year")
            .agg(pl.col("population").last())
            .collect()
        )
        table: dict[str, dict[int, float]] = {}
        for force, year, population in frame.iter_rows():
            table.setdefault(str(force), {})[int(year)] = float(population)
        return cls(table)

    @property
    def empty(self) -> bool:
        return not self._by_force

    def years(self, force: str) -> list[int]:
        return sorted(self._by_force.get(force, {}))

    def find(self, force: str, period: Period) -> PopulationEstimate | None:
        """The estimate for the period (nearest year if the wanted one is absent), or None."""
        years = self._by_force.get(force)
        if not years:
            return None
        wanted = estimate_year(period)
        if wanted in years:
            return PopulationEstimate(force, wanted, wanted, years[wanted])
        mid = period_midpoint(period)
        used = min(years, key=lambda y: (_distance(y, mid), y))
        return PopulationEstimate(force, used, wanted, years[used])

    def lookup(self, force: str, period: Period, *, name: str | None = None) -> PopulationEstimate:
        """Like :meth:`find`, but a force without any estimate is a :class:`NoDataError`."""
        found = self.find(force, period)
        if found is None:
            shown = f"{name} ({force})" if name and name != force else force
            what = (
                "the store holds no population estimates at all"
                if self.empty
                else ("the store's population estimates do not include it")
            )
            raise NoDataError(
                f"no population estimate for {shown}, needed for rates per 1,000: {what}",
                hint=INGEST_HINT,
            )
        return found
