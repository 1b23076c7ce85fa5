"""Year to date: a KPI's value over the financial year so far against the same months a
year earlier (seed 000: all crime FYTD 46,025, +4,483 in Q2 2018/19).

The window is :func:`pcp_cli.app.window.year_to_date`; the values are the engine's, both
from one dataset as compare counts them. Surveys are left out: their figure is already a
rolling 12-month estimate, so a year to date of it means nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from pcp_cli.app.window import year_to_date
from pcp_cli.engine import Engine
from pcp_cli.errors import PcpError
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Period


@dataclass(frozen=True)
class YearToDate:
    """The year-to-date figures of one KPI; values are None where a year is not wholly held
    (a quarterly series cut mid-quarter, a month missing) or the value is undefined."""

    period: Period
    baseline: Period
    value: float | None = None
    baseline_value: float | None = None

    @property
    def change(self) -> float | None:
        if self.value is None or self.baseline_value is None:
            return None
        return self.value - self.baseline_value

    @property
    def pct_change(self) -> float | None:
        change = self.change
        if change is None or not self.baseline_value:
            return None
        return 100.0 * change / self.baseline_value


def year_to_date_values(engine: Engine, kpi: Kpi, force: str, period: Period) -> YearToDate:
    """``kpi``'s year to date for ``force`` at the end of ``period`` (see the module)."""
    window = year_to_date(period)
    empty = YearToDate(window.period, window.baseline)
    if kpi.kind == "proportion":  # a survey
        return empty
    try:
        current, baseline = engine.values(kpi, force, [window.period, window.baseline])
    except PcpError:
        try:  # the baseline year may not be held: the current one still is worth showing
            current = engine.value(kpi, force, window.period)
        except PcpError:
            return empty
        return YearToDate(window.period, window.baseline, current.value)
    return YearToDate(window.period, window.baseline, current.value, baseline.value)
