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
    return (
        pl.col(col).str.slice(0, 4).cast(pl.Int32) * 12
        + pl.col(col).str.slice(5, 2).cast(pl.Int32)
        - 1
    )


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
                f"{first['span']} months (from {month_text(first['m'])}), "
                f"which {period.label} cuts across",
                hint="use whole quarters, e.g. 'Q2 2018/19' or 12m ending in Mar, Jun, Sep or Dec",
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
    def series(self, kpi: Kpi, force: str, dataset: str) -> Series | None:
        """The count series of a count or proportion KPI in one dataset (None: no data)."""
        key = (kpi.id, force, dataset)
        if key not in self._cache:
            rule = next((r for r in kpi.rules if r.dataset == dataset), None)
            if rule is None:
                raise UsageError(
                    f"KPI {kpi.id} cannot be counted from {dataset}",
                    hint=f"it is defined for: {', '.join(kpi.datasets)}",
                )
            series = self._from_rule(kpi, force, rule) if self.reader.has(dataset) else None
            self._cache[key] = series if series is not None and series.covered else None
        return self._cache[key]

    def candidates(self, kpi: Kpi, force: str) -> list[Series]:
        """The KPI's series in every dataset that has data, in the KPI file's order."""
        found = (self.series(kpi, force, r.dataset) for r in kpi.rules)
        return [s for s in found if s is not None]

    def _from_rule(self, kpi: Kpi, force: str, rule: CountRule) -> Series:
        spec = DATASETS[rule.dataset]
        agg = self.reader.aggregate(rule.dataset).filter(pl.col("force") == force)
        coverage = agg
        for cond in rule.conditions:
            if cond.column in spec.coverage_by:
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
        rows = counted.group_by(_month_int().alias("m"), "span").agg(*sums).collect()
        # Months with data but no matching rows count zero, not missing.
        zero = blocks.join(rows.select("m", "span"), on=["m", "span"], how="anti").with_columns(
            pl.lit(0, dtype=pl.Int64).alias("n"),
            *([pl.lit(0, dtype=pl.Int64).alias("respondents")] if kpi.kind == "proportion" else []),
        )
        rows = pl.concat([rows, zero], how="diagonal_relaxed").sort("m")
        return Series(kpi, force, rule.dataset, rows, covered)

    def base_kpis(self, kpi: Kpi) -> list[Kpi]:
        """The count KPIs a (possibly derived) KPI is computed from."""
        if kpi.kind != "ratio":
            return [kpi]
        assert kpi.numerator and kpi.denominator
        return [
            *self.base_kpis(self.catalogue.kpis[kpi.numerator]),
            *self.base_kpis(self.catalogue.kpis[kpi.denominator]),
        ]

    def has_data(self, kpi: Kpi, force: str) -> bool:
        return all(self.candidates(b, force) for b in self.base_kpis(kpi))

    def latest_month(self, kpis: list[Kpi], force: str) -> Month | None:
        """The latest month every selected KPI has data for (KPIs with no data are ignored)."""
        ends = []
        for kpi in kpis:
            for base in self.base_kpis(kpi):
                latest = [s.latest for s in self.candidates(base, force) if s.latest is not None]
                if latest:
                    ends.append(max(latest))
        return min(ends) if ends else None

    def choose(
        self, kpi: Kpi, force: str, periods: list[Period], *, allow_partial: bool = False
    ) -> Series:
        """The first dataset (in KPI-file order) holding every month of every period.

        One dataset serves all the periods of a comparison, so a quarter is never set
        against a baseline counted a different way.
        """
        found = self.candidates(kpi, force)
        if not found:
            raise NoDataError(
                f"no data for KPI {kpi.id} ({kpi.label}) for {force}",
                hint=f"it is counted from: {', '.join(kpi.datasets)}",
            )
        for series in found:
            if not any(series.missing(p) for p in periods):
                return series
        best = max(found, key=lambda s: sum(p.length - len(s.missing(p)) for p in periods))
        if allow_partial:
            return best
        missing = sorted({m for p in periods for m in best.missing(p)})
        labels = " and ".join(p.label for p in periods)
        raise NoDataError(
            f"{kpi.id} for {force}: {labels} incomplete; the store has no {best.dataset} "
            f"data for {_month_list(missing)}",
            hint="ingest the missing months, choose another period, or use --allow-partial",
        )

    # -- period values --------------------------------------------------------------
    def values(
        self, kpi: Kpi, force: str, periods: list[Period], *, allow_partial: bool = False
    ) -> list[PeriodValue]:
        """The KPI's value in each period, all counted from the same dataset."""
        if kpi.kind == "ratio":
            assert kpi.numerator and kpi.denominator
            nums = self.values(
                self.catalogue.kpis[kpi.numerator], force, periods, allow_partial=allow_partial
            )
            dens = self.values(
                self.catalogue.kpis[kpi.denominator], force, periods, allow_partial=allow_partial
            )
            return [self._ratio(kpi, n, d) for n, d in zip(nums, dens, strict=True)]
        series = self.choose(kpi, force, periods, allow_partial=allow_partial)
        return [self._total(kpi, series, p) for p in periods]

    def value(
        self, kpi: Kpi, force: str, period: Period, *, allow_partial: bool = False
    ) -> PeriodValue:
        return self.values(kpi, force, [period], allow_partial=allow_partial)[0]

    @staticmethod
    def _total(kpi: Kpi, series: Series, period: Period) -> PeriodValue:
        rows = series.window(period)
        total = float(rows["n"].sum())
        monthly = tuple(float(v) for v in rows["n"].to_list())
        missing = tuple(series.missing(period))
        if kpi.kind == "proportion":
            respondents = float(rows["respondents"].sum())
            value = total / respondents * kpi.scale if respondents else None
            return PeriodValue(value, total, respondents, monthly, missing, series.dataset)
        return PeriodValue(total, total, None, monthly, missing, series.dataset)

    @staticmethod
    def _ratio(kpi: Kpi, num: PeriodValue, den: PeriodValue) -> PeriodValue:
        value = None
        if num.value is not None and den.value:
            value = num.value / den.value * kpi.scale
        monthly = tuple(
            (n / d * kpi.scale) if d else float("nan")
            for n, d in zip(num.monthly, den.monthly, strict=False)
        )
        dataset = num.dataset if num.dataset == den.dataset else f"{num.dataset}/{den.dataset}"
        return PeriodValue(
            value,
            num.value,
            den.value,
            monthly,
            tuple(sorted(set(num.missing) | set(den.missing))),
            dataset,
        )


def _month_list(months: list[Month]) -> str:
    shown = ", ".join(month_text(m) for m in months[:6])
    return shown + (f" and {len(months) - 6} more" if len(months) > 6 else "")


def parse_to(text: str | None) -> Month | None:
    return parse_month(text) if text else None
