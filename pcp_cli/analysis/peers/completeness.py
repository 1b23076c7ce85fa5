"""Data-completeness checks: is a month's extract probably incomplete?

Published extracts are sometimes short: a force's upload for a month is cut off, or
late records are missing from the latest months. In the real data.police.uk files Kent's
street rows for Q3 2018/19 go 19,396 → 13,818 → 8,438 (October to December 2018), which
would rank Kent far better than it is. A ranking or a panel report must say so.

The rule (:func:`check_completeness`), applied to a monthly series of one force:

* A month's **reference level** is the median of the series over the (up to)
  ``lookback`` = 6 months before it that are present and not themselves flagged.
  Excluding flagged months keeps a collapse that lasts several months flagged against the
  last good months instead of against itself.
* The month is flagged **probably incomplete** when its value is more than ``drop`` = 25%
  below the reference level (value < 0.75 × reference) **and** the shortfall is beyond
  chance for a Poisson count (the PHE funnel test at 99.8%: the upper 99.8% limit of the
  month's count is below the reference; see :func:`pcp_cli.stats.funnel.ratio_significance`).
  The second test only matters for small counts, where a 25% dip is ordinary noise.
* A month with no earlier month to compare with is not checked (it is listed as unchecked).

The threshold was set on the real data: Kent November 2018 is 29% below October (all rows)
and December 56% below; the deepest dips in Leicestershire's 2020–2022 series, including
the first lockdown and winter months, are 19% below their reference and are not flagged.
A genuine shock (City of London in April 2020, −72%) is flagged too: the flag means
"check this month's data before relying on it", not proof of a fault.

The series checked by ``pcp rank`` is the force's whole monthly volume in the dataset the
KPI is counted from (every row of the street file, ASB included), because completeness is
a property of the extract, not of one crime category: small categories swing by more than
25% with the seasons (cycle theft in December). For datasets holding several measures
(counts, survey) it is the KPI's own series. Blocks longer than a month (quarterly Home
Office tables) are spread evenly over their months first (:func:`spread_blocks`).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from pcp_cli.datasets import DATASETS
from pcp_cli.periods import Month, month_text
from pcp_cli.stats.funnel import ratio_significance
from pcp_cli.store import StoreReader

DEFAULT_DROP = 0.25
"""Flag a month whose value is more than this fraction below its reference level."""

DEFAULT_LOOKBACK = 6
"""How many preceding months the reference level is taken from."""

PROBABLY_INCOMPLETE = "probably incomplete"


@dataclass(frozen=True)
class MonthCheck:
    """A flagged month: its value, the reference level and value / reference."""

    month: Month
    value: float
    reference: float
    ratio: float

    def describe(self) -> str:
        change = f"{(self.ratio - 1) * 100:+.0f}%".replace("-", "−")
        return (
            f"{month_text(self.month)} {self.value:,.0f} ({change} against {self.reference:,.0f})"
        )


@dataclass(frozen=True)
class Completeness:
    """The outcome of a completeness check over some months of one series."""

    flagged: tuple[MonthCheck, ...]
    checked: tuple[Month, ...]
    unchecked: tuple[Month, ...]  # months with no earlier month to compare with
    drop: float = DEFAULT_DROP

    @property
    def probably_incomplete(self) -> bool:
        return bool(self.flagged)

    @property
    def months(self) -> tuple[Month, ...]:
        return tuple(f.month for f in self.flagged)

    def describe(self) -> str:
        """'probably incomplete: 2018-11 13,818 (−29% against 19,396), ...' or ''."""
        if not self.flagged:
            return ""
        return f"{PROBABLY_INCOMPLETE}: " + ", ".join(f.describe() for f in self.flagged)


def check_completeness(
    series: Mapping[Month, float] | Sequence[tuple[Month, float]],
    months: Iterable[Month],
    *,
    drop: float = DEFAULT_DROP,
    lookback: int = DEFAULT_LOOKBACK,
) -> Completeness:
    """Flag the ``months`` of a monthly ``series`` that fall sharply below recent months.

    ``series`` maps month index -> value (counts, or per-month averages of longer blocks)
    and may hold months before the ones checked: they serve as the reference. Months of
    ``months`` absent from the series are ignored (missing data is a coverage question,
    not this one). See the module docstring for the rule.
    """
    if not 0 < drop < 1:
        raise ValueError(f"drop must be between 0 and 1; got {drop!r}")
    if lookback < 1:
        raise ValueError(f"lookback must be at least 1; got {lookback!r}")
    values = dict(series)
    wanted = set(months)
    last = max(wanted, default=None)
    flagged_all: set[Month] = set()
    flagged: list[MonthCheck] = []
    checked: list[Month] = []
    unchecked: list[Month] = []
    for month in sorted(values):
        if last is None or month > last:
            break
        reference_values = [
            values[m]
            for m in range(month - lookback, month)
            if m in values and m not in flagged_all
        ]
        if not reference_values:
            if month in wanted:
                unchecked.append(month)
            continue
        reference = float(statistics.median(reference_values))
        value = float(values[month])
        short = reference > 0 and value < (1 - drop) * reference
        if short and _significantly_low(value, reference):
            flagged_all.add(month)
            if month in wanted:
                flagged.append(MonthCheck(month, value, reference, value / reference))
        if month in wanted:
            checked.append(month)
    return Completeness(tuple(flagged), tuple(checked), tuple(unchecked), drop)


def _significantly_low(value: float, reference: float) -> bool:
    return ratio_significance(max(value, 0.0), reference) == "Low (0.001)"


def spread_blocks(rows: Iterable[tuple[Month, int, float]]) -> dict[Month, float]:
    """Turn (first month, span, value) blocks into per-month values (value / span each)."""
    out: dict[Month, float] = {}
    for start, span, value in rows:
        length = max(int(span), 1)
        for m in range(start, start + length):
            out[m] = out.get(m, 0.0) + float(value) / length
    return out


def dataset_volumes(
    reader: StoreReader, dataset: str, forces: Sequence[str]
) -> dict[str, dict[Month, float]]:
    """Each force's whole monthly volume in a dataset (rows, or the summed value column).

    Blocks longer than a month are spread evenly over their months. Datasets holding
    several measures (counts, survey) are summed across measures, which is rarely what a
    completeness check wants: check those on the KPI's own series instead.
    """
    if not forces or not reader.has(dataset) or dataset not in DATASETS:
        return {}
    frame = (
        reader.aggregate(dataset)
        .filter(pl.col("force").is_in(list(forces)))
        .group_by("force", "month", "span")
        .agg(pl.col("n").sum())
        .collect()
    )
    blocks: dict[str, list[tuple[Month, int, float]]] = {}
    for force, month, span, n in frame.iter_rows():
        m = int(month[:4]) * 12 + int(month[5:7]) - 1
        blocks.setdefault(str(force), []).append((m, int(span), float(n)))
    return {force: spread_blocks(rows) for force, rows in blocks.items()}


def measures_per_row(dataset: str) -> bool:
    """True for datasets whose rows carry different measures (check the KPI's own series)."""
    spec = DATASETS.get(dataset)
    return bool(spec and spec.coverage_by)
