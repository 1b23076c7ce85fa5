"""The KPI engine: turns KPI definitions and the store into monthly series and period totals.

Counting reads the per-dataset aggregate tables, never raw rows, so a question costs
the same whether the store holds one force or forty-three.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pcp_cli.datasets import DATASETS
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.kpis import Catalogue, Condition, CountRule, Kpi
from pcp_cli.periods import Month, Period, month_text, parse_month
from pcp_cli.store import StoreReader


def condition_expr(cond: Condition) -> pl.Expr:
    hit = pl.col(cond.column).is_in(list(cond.values))
    # A missing value is never "in" a list, so it is always "not in" one.
    return (~hit).fill_null(True) if cond.negate else hit.fill_null(False)


def _month_int(col: str = "month") -> pl.Expr:
    return pl.col(col).str.slice(0, 4).cast(pl.Int32) * 12 + pl.col(col).str.slice(5, 2).cast(pl.Int32) - 1


@dataclass
class Series:
    """A KPI's counts for one force from one dataset: rows of (month index, span, value)."""

    kpi: Kpi
    force: str
    dataset: str
    rows: pl.DataFrame  # m (Int32 month index), span, n (and respondents for proportions)
    covered: set[Month] = field(default_factory=set)

    @property
    def latest(self) -> Month | None:
        return max(self.covered) if self.covered else None

    def missing(self, period: Period) -> list[Month]:
        return [m for m in period.months if m not in self.covered]

    def window(self, period: Period) -> pl.DataFrame:
        """Rows wholly inside the period; a quarterly row cut by the period is an error."""
        rows = self.rows.with_columns((pl.col("m") + pl.col("span") - 1).alias("m_end"))
        overlapping = rows.filter((pl.col("m") <= period.end) & (pl.col("m_end") >= period.start))
        cut = overlapping.filter((pl.col("m") < period.start) | (pl.col("m_end") > period.end))
        if cut.height:
            first = cut.row(0, named=True)
            raise UsageError(
                f"{self.kpi.id} for {self.force} comes from {self.dataset} data in blocks of "
                f"{first['span']} months (from {month_text(first['m'])}), which {period.label} cuts across",
                hint="use a period made of whole quarters, e.g. 'Q2 2018/19' or 12m ending in Mar/Jun/Sep/Dec",
            )
        return overlapping.drop("m_end").sort("m")


@dataclass(frozen=True)
class PeriodValue:
    value: float | None  # None: undefined (e.g. a ratio with a zero denominator)
    numerator: float | None
    denominator: float | None
    monthly: tuple[float, ...]
    missing: tuple[Month, ...]
    dataset: str


class Engine:
    def __init__(self, reader: StoreReader, catalogue: Catalogue) -> None:
        self.reader = reader
        self.catalogue = catalogue
        self._cache: dict[tuple[str, str, str | None], Series | None] = {}

    # -- series ----------------------------------------------------------------------
    def series(self, kpi: Kpi, force: str, dataset: str | None = None) -> Series | None:
        """The count series for a count or proportion KPI, from the first dataset with data."""
        key = (kpi.id, force, dataset)
        if key not in self._cache:
            self._cache[key] = self._series(kpi, force, dataset)
        return self._cache[key]

    def _series(self, kpi: Kpi, force: str, dataset: str | None) -> Series | None:
        if kpi.kind == "ratio":
            raise ValueError("ratio KPIs have no series of their own")
        rules = [r for r in kpi.rules if dataset is None or r.dataset == dataset]
        if dataset is not None and not rules:
            raise UsageError(f"KPI {kpi.id} cannot be counted from {dataset}",
                             hint=f"it is defined for: {', '.join(kpi.datasets)}")
        for rule in rules:
            if not self.reader.has(rule.dataset):
                continue
            series = self._from_rule(kpi, force, rule)
            if series.covered:
                return series
        return None

    def _from_rule(self, kpi: Kpi, force: str, rule: CountRule) -> Series:
        spec = DATASETS[rule.dataset]
        agg = self.reader.aggregate(rule.dataset).filter(pl.col("force") == force)
        coverage_conds = [c for c in rule.conditions if c.column in spec.coverage_by]
        coverage = agg
        for cond in coverage_conds:
            coverage = coverage.filter(condition_expr(cond))
        blocks = coverage.select(_month_int().alias("m"), "span").unique().collect()
        covered: set[Month] = set()
        for m, span in blocks.iter_rows():
            covered.update(range(m, m + span))
        counted = agg
        for cond in rule.conditions:
            counted = counted.filter(condition_expr(cond))
        sums = [pl.col("n").sum()]
        if kpi.kind == "proportion":
            sums.append(pl.col("respondents").sum())
        rows = (
            counted.group_by(_month_int().alias("m"), "span").agg(*sums).collect()
        )
        # Months with data but no matching rows count zero, not missing.
        zero = blocks.join(rows.select("m", "span"), on=["m", "span"], how="anti").with_columns(
            pl.lit(0, dtype=pl.Int64).alias("n"),
            *([pl.lit(0, dtype=pl.Int64).alias("respondents")] if kpi.kind == "proportion" else []),
        )
        rows = pl.concat([rows, zero], how="diagonal_relaxed").sort("m")
        return Series(kpi, force, rule.dataset, rows, covered)

    def latest_month(self, kpis: list[Kpi], force: str) -> Month | None:
        """The latest month every selected KPI has data for (KPIs with no data are ignored)."""
        ends = []
        for kpi in kpis:
            for base in self._base_kpis(kpi):
                s = self.series(base, force)
                if s is not None and s.latest is not None:
                    ends.append(s.latest)
        return min(ends) if ends else None

    def _base_kpis(self, kpi: Kpi) -> list[Kpi]:
        if kpi.kind != "ratio":
            return [kpi]
        assert kpi.numerator and kpi.denominator
        return [*self._base_kpis(self.catalogue.kpis[kpi.numerator]),
                *self._base_kpis(self.catalogue.kpis[kpi.denominator])]

    def has_data(self, kpi: Kpi, force: str) -> bool:
        return all(self.series(b, force) is not None for b in self._base_kpis(kpi))

    # -- period values --------------------------------------------------------------
    def value(self, kpi: Kpi, force: str, period: Period, *, allow_partial: bool = False) -> PeriodValue:
        if kpi.kind == "ratio":
            assert kpi.numerator and kpi.denominator
            num = self.value(self.catalogue.kpis[kpi.numerator], force, period, allow_partial=allow_partial)
            den = self.value(self.catalogue.kpis[kpi.denominator], force, period, allow_partial=allow_partial)
            value = None
            if num.value is not None and den.value:
                value = num.value / den.value * kpi.scale
            monthly = tuple(
                (n / d * kpi.scale) if d else float("nan") for n, d in zip(num.monthly, den.monthly, strict=False)
            )
            return PeriodValue(value, num.value, den.value, monthly,
                               tuple(sorted(set(num.missing) | set(den.missing))),
                               f"{num.dataset}/{den.dataset}")
        series = self.series(kpi, force)
        if series is None:
            raise NoDataError(f"no data for KPI {kpi.id} ({kpi.label}) for {force}",
                              hint=f"it is counted from: {', '.join(kpi.datasets)}")
        missing = series.missing(period)
        if missing and not allow_partial:
            raise NoDataError(
                f"{kpi.id} for {force}: {period.label} is incomplete; the store has no "
                f"{series.dataset} data for {_month_list(missing)}",
                hint="ingest the missing months, choose another period, or use --allow-partial",
            )
        rows = series.window(period)
        total = float(rows["n"].sum())
        monthly = tuple(float(v) for v in rows["n"].to_list())
        if kpi.kind == "proportion":
            respondents = float(rows["respondents"].sum())
            value = total / respondents * kpi.scale if respondents else None
            return PeriodValue(value, total, respondents, monthly, tuple(missing), series.dataset)
        return PeriodValue(total, total, None, monthly, tuple(missing), series.dataset)


def _month_list(months: list[Month]) -> str:
    shown = ", ".join(month_text(m) for m in months[:6])
    return shown + (f" and {len(months) - 6} more" if len(months) > 6 else "")


def parse_to(text: str | None) -> Month | None:
    return parse_month(text) if text else None
