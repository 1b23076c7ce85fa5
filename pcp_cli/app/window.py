"""The window of a command: the period asked for and its baseline, resolved once.

Every command resolves ``--period``, ``--vs`` and ``--to`` here. Relative periods (``12m``,
``Q2``, ``FYTD``) are anchored at ``--to`` when given, otherwise at the latest month the
selected KPIs have data for, so ``Q2`` is the latest Q2 the store holds in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Month, Period, baseline_for, parse_month, parse_period


@dataclass(frozen=True)
class Window:
    """A period, its baseline and the month relative periods were anchored at."""

    period: Period
    baseline: Period
    anchor: Month | None


def anchor_month(
    engine: Engine, kpis: Sequence[Kpi], forces: Sequence[str], to_month: str | None
) -> Month | None:
    """``--to`` when given, else the latest month every KPI with data has, over ``forces``
    (the earliest such month of the forces, so that every force is anchored alike)."""
    if to_month:
        return parse_month(to_month)
    ends = [engine.latest_month(list(kpis), f) for f in forces]
    held = [e for e in ends if e is not None]
    return min(held) if held else None


def month_range(from_month: str | None, to_month: str | None) -> tuple[Month | None, Month | None]:
    """``--from`` and ``--to`` as months (None where not given); a usage error when --to is
    before --from."""
    start = parse_month(from_month) if from_month else None
    end = parse_month(to_month) if to_month else None
    if start is not None and end is not None and end < start:
        raise UsageError(f"--to {to_month} is before --from {from_month}")
    return start, end


def resolve_window(
    engine: Engine,
    kpis: Sequence[Kpi],
    forces: Sequence[str],
    period: str,
    vs: str = "last-year",
    to_month: str | None = None,
    *,
    no_data: str = "",
) -> Window:
    """The window of ``period`` against ``vs`` for these KPIs and forces (see the module).

    ``no_data`` is the error when nothing anchors a relative period (the store holds none
    of these KPIs for these forces)."""
    anchor = anchor_month(engine, kpis, forces, to_month)
    if anchor is None and _relative(period, vs):
        raise NoDataError(
            no_data or f"the store holds no data for {', '.join(forces)} for the selected KPIs",
            hint="run 'pcp periods' to see what the store holds",
        )
    current = parse_period(period, latest=anchor)
    return Window(current, baseline_for(current, vs, latest=anchor), anchor)


def kpi_windows(
    engine: Engine,
    kpis: Sequence[Kpi],
    force: str,
    period: str,
    vs: str = "last-year",
    to_month: str | None = None,
) -> dict[Window, list[Kpi]]:
    """Each KPI's own window, anchored at ITS latest month (scheduled checks: a newer month
    of one dataset is looked at as soon as it is in the store); KPIs sharing a window are
    grouped, in KPI order. KPIs without data are left out."""
    grouped: dict[Window, list[Kpi]] = {}
    for kpi in kpis:
        if not to_month and engine.latest_month([kpi], force) is None:
            continue
        window = resolve_window(engine, [kpi], [force], period, vs, to_month)
        grouped.setdefault(window, []).append(kpi)
    return grouped


def _relative(period: str, vs: str) -> bool:
    try:
        baseline_for(parse_period(period), vs)
    except UsageError:  # a relative form needs the anchor (a malformed one fails again later)
        return True
    return False


def year_to_date(period: Period) -> Window:
    """The financial year to date at the end of ``period`` (April to its last month) against
    the same months a year earlier: seed 000's FYTD column beside every period KPI. The one
    place the report and the machine formats take their year to date from."""
    ytd = parse_period("FYTD", latest=period.end)
    return Window(ytd, ytd.year_earlier(), period.end)
