"""A KPI's target, as the KPI file declares it (issue 12, item 4).

``target = { change = "-5%", vs = "2017/18", by = "2019-03" }``: 5% below the 2017/18 level
by March 2019; ``target = { value = 8000, by = "2022-09" }``: a level by a month. Optional
keys: ``series`` (``"rolling-12"``, the default: 12-month totals for counts, 12-month rates
for rates, as annual targets are set; ``"monthly"``: a month's value) and ``direction``
(``"at-most"`` or ``"at-least"``; required for a neutral KPI, else from its polarity).

Only reading and checking live here (the KPI file's loader calls :func:`read_target`); the
projection is :func:`pcp_cli.app.target.project_target`, the one ``pcp project`` uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pcp_cli.errors import UsageError
from pcp_cli.periods import Month, month_name, parse_month, parse_period

if TYPE_CHECKING:  # the statistics (numpy) are not loaded with the KPI file
    from pcp_cli.stats.projection import TargetDirection

TargetSeries = Literal["rolling-12", "monthly"]
SERIES: tuple[TargetSeries, ...] = ("rolling-12", "monthly")
DIRECTIONS = ("at-most", "at-least")
RELATIVE_BASELINES = ("previous", "last-year")
_KEYS = ("change", "value", "vs", "by", "series", "direction")
EXAMPLE = (
    'target = { change = "-5%", vs = "2017/18", by = "2019-03" } or '
    'target = { value = 8000, by = "2022-09" }'
)


@dataclass(frozen=True)
class KpiTarget:
    """``amount`` by the month ``by``: a level, or when ``relative`` a change in percent
    against ``vs`` (as :class:`pcp_cli.analysis.projection.Target`, a level unless said)."""

    amount: float
    by: Month
    relative: bool = False
    vs: str | None = None
    series: TargetSeries = "rolling-12"
    direction: TargetDirection | None = None  # None: the way the KPI's polarity says

    @property
    def rolling(self) -> bool:
        return self.series == "rolling-12"

    def words(self, unit: str = "") -> str:
        """'5.0% below 2017/18 by Mar 2019', '8,000 by Sep 2022' (plain words for the paper)."""
        by = month_name(self.by)
        if self.relative:
            way = "below" if self.amount < 0 else "above"
            return f"{abs(self.amount):g}% {way} {self.vs or 'the baseline'} by {by}"
        pct = "%" if unit == "%" else ""
        return f"{self.amount:,.{0 if float(self.amount).is_integer() else 1}f}{pct} by {by}"


def read_target(raw: Any, polarity: str) -> tuple[KpiTarget | None, list[str]]:
    """The target of a ``[kpi.<id>]`` table, or the problems found (each one line)."""
    if not isinstance(raw, dict):
        return None, [f"a target is a table: {EXAMPLE}"]
    problems = [f"unknown key '{k}' (allowed: {', '.join(_KEYS)})" for k in raw if k not in _KEYS]
    if ("change" in raw) == ("value" in raw):
        problems.append(f"give either 'change' or 'value': {EXAMPLE}")
    amount, relative = _amount(raw, problems)
    by = _by(raw.get("by"), problems)
    vs = _vs(raw.get("vs"), relative, problems)
    series = raw.get("series", "rolling-12")
    if series not in SERIES:
        problems.append(f"series must be one of {', '.join(SERIES)}, not {series!r}")
    direction = raw.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        problems.append(f"direction must be at-most or at-least, not {direction!r}")
    if direction is None and polarity == "neutral":
        problems.append('a neutral KPI\'s target needs direction = "at-most" or "at-least"')
    if problems or amount is None or by is None:
        return None, problems
    return KpiTarget(amount, by, relative, vs, series, direction), []


def _amount(raw: dict[str, Any], problems: list[str]) -> tuple[float | None, bool]:
    if "change" in raw:
        change = raw["change"]
        text = change.strip() if isinstance(change, str) else ""
        try:
            pct = float(text[:-1]) if text.endswith("%") else math.nan
        except ValueError:
            pct = math.nan
        if not math.isfinite(pct):
            problems.append(f'change must be a percentage such as "-5%", not {change!r}')
            return None, True
        return pct, True
    level = raw.get("value")
    if isinstance(level, bool) or not isinstance(level, int | float) or not math.isfinite(level):
        problems.append(f"value must be a finite number, not {level!r}")
        return None, False
    return float(level), False


def _by(raw: Any, problems: list[str]) -> Month | None:
    if raw is None:
        problems.append(f"'by' (the target month, YYYY-MM) is required: {EXAMPLE}")
        return None
    try:
        return parse_month(str(raw)) if isinstance(raw, str) else parse_month("")
    except UsageError:
        problems.append(f"by must be a month YYYY-MM, not {raw!r}")
        return None


def _vs(raw: Any, relative: bool, problems: list[str]) -> str | None:
    if raw is None:
        if relative:
            problems.append("a change target needs 'vs', the period it is measured against")
        return None
    if not isinstance(raw, str):
        problems.append(f'vs must be a period such as "2017/18", not {raw!r}')
        return None
    if raw.strip().lower() in RELATIVE_BASELINES:
        return raw.strip().lower()
    try:
        parse_period(raw)
    except UsageError:
        problems.append(
            f"vs must be a period such as \"2017/18\" or 'previous'/'last-year', not {raw!r}"
        )
        return None
    return raw.strip()
