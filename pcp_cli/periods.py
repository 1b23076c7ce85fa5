"""Police financial-year periods.

A month is an ``int`` index, ``year * 12 + (month - 1)``, so arithmetic across
December/January is plain integer arithmetic. The police year runs April to March:
Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar, written ``2018/19``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pcp_cli.errors import UsageError

Month = int
PeriodKind = Literal["month", "range", "quarter", "financial-year", "fytd", "rolling"]

_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

SYNTAX_HELP = (
    "use Q2, 'Q2 2018/19', '2018/19 Q2', 2018/19, FYTD, 12m (or rolling-12), "
    "2018-07 or 2018-07..2018-09"
)


def month_index(year: int, month: int) -> Month:
    if not 1 <= month <= 12:
        raise UsageError(f"month {month} is not between 1 and 12")
    return year * 12 + month - 1


def parse_month(text: str) -> Month:
    """Parse ``YYYY-MM``."""
    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text)
    if not m:
        raise UsageError(f"'{text}' is not a month", hint="write months as YYYY-MM, e.g. 2018-07")
    return month_index(int(m.group(1)), int(m.group(2)))


def month_text(month: Month) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def month_name(month: Month) -> str:
    """``Jul 2018``: for prose and chart labels."""
    return f"{_MONTH_NAMES[month % 12]} {month // 12}"


def financial_year_start(month: Month) -> int:
    """The calendar year in which the month's financial year starts."""
    year, m = divmod(month, 12)
    return year if m >= 3 else year - 1


def financial_year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def financial_quarter(month: Month) -> int:
    return ((month % 12 - 3) % 12) // 3 + 1


def quarter_start(start_year: int, quarter: int) -> Month:
    return month_index(start_year, 4) + 3 * (quarter - 1)


@dataclass(frozen=True)
class Period:
    """An inclusive run of whole months with a label analysts recognise."""

    start: Month
    end: Month
    kind: PeriodKind

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise UsageError(
                f"period {month_text(self.start)}..{month_text(self.end)} ends before it starts"
            )

    @property
    def months(self) -> range:
        return range(self.start, self.end + 1)

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def label(self) -> str:
        if self.kind == "rolling":
            return f"{self.length}m to {month_text(self.end)}"
        if self.kind == "fytd":
            year = financial_year_label(financial_year_start(self.end))
            return f"FYTD {year} to {month_text(self.end)}"
        return describe(self.start, self.end)

    def shifted(self, months: int) -> Period:
        return Period(self.start + months, self.end + months, self.kind)

    def year_earlier(self) -> Period:
        return self.shifted(-12)

    def preceding(self) -> Period:
        """The immediately preceding period of equal length (Q2 -> Q1, 12m -> previous 12m)."""
        return self.shifted(-self.length)

    def __str__(self) -> str:
        return self.label


def describe(start: Month, end: Month) -> str:
    """Canonical text for a run of months: a quarter or financial year where aligned."""
    fy = financial_year_start(start)
    if end - start == 2 and start % 3 == 0 and financial_year_start(end) == fy:
        return f"Q{financial_quarter(start)} {financial_year_label(fy)}"
    if end - start == 11 and start % 12 == 3:
        return financial_year_label(fy)
    if start == end:
        return month_text(start)
    return f"{month_text(start)}..{month_text(end)}"


def _kind_of(start: Month, end: Month) -> PeriodKind:
    text = describe(start, end)
    if text.startswith("Q"):
        return "quarter"
    if "/" in text:
        return "financial-year"
    return "month" if start == end else "range"


_FY = r"(?:FY\s*)?(\d{4}|\d{2})\s*[/-]\s*(\d{4}|\d{2})"
_RE_QUARTER_FY = re.compile(rf"Q([1-4])\s+{_FY}", re.IGNORECASE)
_RE_FY_QUARTER = re.compile(rf"{_FY}\s+Q([1-4])", re.IGNORECASE)
_RE_FY = re.compile(_FY, re.IGNORECASE)
_RE_QUARTER = re.compile(r"Q([1-4])", re.IGNORECASE)
_RE_ROLLING = re.compile(
    r"(?:(\d{1,3})\s*m|rolling[-\s]?(\d{1,3}))(?:\s+to\s+(\d{4}-\d{1,2}))?", re.IGNORECASE
)
_RE_FYTD = re.compile(rf"FYTD(?:\s+{_FY})?(?:\s+to\s+(\d{{4}}-\d{{1,2}}))?", re.IGNORECASE)
_RE_RANGE = re.compile(r"(\d{4}-\d{1,2})\s*\.\.\s*(\d{4}-\d{1,2})")
_RE_MONTH = re.compile(r"\d{4}-\d{1,2}")


def _fy_start(first: str, second: str, text: str) -> int:
    start = int(first) if len(first) == 4 else 2000 + int(first)
    end = int(second) if len(second) == 4 else (start // 100) * 100 + int(second)
    if end != start + 1 and not (len(second) == 2 and (start + 1) % 100 == int(second)):
        raise UsageError(
            f"'{text}' is not a financial year",
            hint="a financial year is two consecutive years, e.g. 2018/19",
        )
    return start


def parse_period(text: str, *, latest: Month | None = None) -> Period:
    """Parse a period expression.

    ``latest`` is the most recent complete month available (from the store or ``--to``);
    it anchors the relative forms ``Q2``, ``FYTD`` and ``12m``.
    """
    s = " ".join(text.strip().split())
    if not s:
        raise UsageError("the period is empty", hint=SYNTAX_HELP)

    def need_latest() -> Month:
        if latest is None:
            raise UsageError(
                f"'{s}' is relative to the latest month, but there is no data to anchor it",
                hint="ingest data first or give --to YYYY-MM",
            )
        return latest

    if m := _RE_QUARTER_FY.fullmatch(s):
        q, fy = int(m.group(1)), _fy_start(m.group(2), m.group(3), s)
        return Period(quarter_start(fy, q), quarter_start(fy, q) + 2, "quarter")
    if m := _RE_FY_QUARTER.fullmatch(s):
        fy, q = _fy_start(m.group(1), m.group(2), s), int(m.group(3))
        return Period(quarter_start(fy, q), quarter_start(fy, q) + 2, "quarter")
    if m := _RE_QUARTER.fullmatch(s):
        last = need_latest()
        q = int(m.group(1))
        fy = financial_year_start(last)
        if quarter_start(fy, q) + 2 > last:
            fy -= 1
        return Period(quarter_start(fy, q), quarter_start(fy, q) + 2, "quarter")
    if m := _RE_FYTD.fullmatch(s):
        if m.group(3):
            end = parse_month(m.group(3))
        elif m.group(1):  # a named year: to its end, or to the latest month if sooner
            fy = _fy_start(m.group(1), m.group(2), s)
            end = month_index(fy + 1, 3) if latest is None else min(latest, month_index(fy + 1, 3))
        else:
            end = need_latest()
        if m.group(1) and financial_year_start(end) != _fy_start(m.group(1), m.group(2), s):
            raise UsageError(f"'{s}': {month_text(end)} is not in that financial year")
        return Period(month_index(financial_year_start(end), 4), end, "fytd")
    if m := _RE_ROLLING.fullmatch(s):
        n = int(m.group(1) or m.group(2))
        if not 1 <= n <= 120:
            raise UsageError(f"'{s}': a rolling window is 1 to 120 months")
        end = parse_month(m.group(3)) if m.group(3) else need_latest()
        return Period(end - n + 1, end, "rolling")
    if m := _RE_RANGE.fullmatch(s):
        start, end = parse_month(m.group(1)), parse_month(m.group(2))
        return Period(start, end, _kind_of(start, end))
    if _RE_MONTH.fullmatch(s) and 1 <= int(s[5:]) <= 12:
        month = parse_month(s)
        return Period(month, month, "month")
    if m := _RE_FY.fullmatch(s):
        fy = _fy_start(m.group(1), m.group(2), s)
        return Period(month_index(fy, 4), month_index(fy + 1, 3), "financial-year")
    raise UsageError(f"'{s}' is not a period", hint=SYNTAX_HELP)


def baseline_for(period: Period, vs: str, *, latest: Month | None = None) -> Period:
    """The comparison period: ``last-year`` (default), ``previous`` or an explicit period."""
    key = vs.strip().lower()
    if key in ("last-year", "year", "same-period-last-year", ""):
        return period.year_earlier()
    if key in ("previous", "prev", "preceding"):
        return period.preceding()
    return parse_period(vs, latest=latest)
