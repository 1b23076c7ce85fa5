"""The KPI engine: turns KPI definitions and the store into monthly series and period totals.

Counting reads the per-dataset aggregate tables, never raw rows, so a question costs
the same whether the store holds one force or forty-three.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import pairwise

import polars as pl

from pcp_cli.datasets import DATASETS
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.kpis import Catalogue, Condition, CountRule, Kpi
from pcp_cli.periods import Month, Period, describe, month_text, parse_month
from pcp_cli.store import StoreReader


def condition_expr(cond: Condition) -> pl.Expr:
    hit = pl.col(cond.column).is_in(list(cond.values))
    # A missing value is never "in" a list, so it is always "not in" one.
    return (~hit).fill_null(True) if cond.negate else hit.fill_null(False)


def restrict_kpi(
    kpi: Kpi, dataset: str, extra: tuple[Condition, ...] = (), *, tag: str = ""
) -> Kpi | None:
    """``kpi`` counted only from ``dataset``: its own rule there plus ``extra`` conditions.

    None when the KPI is derived or has no rule for that dataset. The new KPI's id is
    ``<id>~<tag>`` so the engine never confuses it with the original in its cache.
    """
    if kpi.kind == "ratio":
        return None
    rule = next((r for r in kpi.rules if r.dataset == dataset), None)
    if rule is None:
        return None
    return replace(
        kpi,
        id=f"{kpi.id}~{tag or dataset}",
        rules=(CountRule(dataset, (*rule.conditions, *extra)),),
    )


def outcome_rate_kpis(
    kpi: Kpi,
    catalogue: Catalogue,
    list_name: str = "positive-outcomes",
    *,
    dataset: str = "street",
    column: str = "last_outcome_category",
) -> tuple[Kpi, Kpi] | None:
    """(numerator, denominator) KPIs for a category's outcome rate from one dataset.

    The denominator is the KPI counted from ``dataset`` under its own rule; the numerator
    adds ``column in [lists] <list_name>`` (for street data: crimes of the category whose
    last outcome is positive). None when the list, the column or the KPI's rule for the
    dataset is missing.
    """
    values = catalogue.lists.get(list_name)
    spec = DATASETS.get(dataset)
    if not values or spec is None or column not in spec.dimensions:
        return None
    denominator = restrict_kpi(kpi, dataset, tag=dataset)
    numerator = restrict_kpi(
        kpi, dataset, (Condition(column, False, tuple(values)),), tag=f"{dataset}+{list_name}"
    )
    if numerator is None or denominator is None:
        return None
    return numerator, denominator


def _covered(blocks: pl.DataFrame) -> set[Month]:
    """The months that blocks of (m, span) rows cover."""
    covered: set[Month] = set()
    for m, span in zip(blocks["m"].to_list(), blocks["span"].to_list(), strict=True):
        covered.update(range(m, m + span))
    return covered


def _month_index(frame: pl.LazyFrame) -> pl.LazyFrame:
    """'YYYY-MM' month column -> Int32 month index ``m``, in place. Applied after grouping:
    parsing the few grouped rows instead of every aggregate row halves a wide query."""
    return frame.with_columns(_month_int()).rename({"month": "m"})


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
    _lists: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)
    # A stock (repeat victims: a 12-month count as at each month): a period's value is
    # its last month's, never the sum of its months.
    stock: bool = False

    @property
    def latest(self) -> Month | None:
        return max(self.covered) if self.covered else None

    def missing(self, period: Period) -> list[Month]:
        return [m for m in period.months if m not in self.covered]

    def window(self, period: Period) -> pl.DataFrame:
        """Rows wholly inside the period; a quarterly row cut by the period is an error."""
        start, stop = self._picked(period)
        return self.rows.slice(start, stop - start)

    def totals(self, period: Period) -> tuple[float, float | None]:
        """The period's count (and respondents, for a proportion) as :meth:`window` sums."""
        start, stop = self._picked(period)
        n = float(sum(self._column("n")[start:stop]))
        if self.stock:
            n = float(self._column("n")[stop - 1]) if stop > start else 0.0
        if "respondents" not in self.rows.columns:
            return n, None
        return n, float(sum(self._column("respondents")[start:stop]))

    def _picked(self, period: Period) -> tuple[int, int]:
        """Plain Python over a few dozen rows: ranking asks this thousands of times, and a
        polars query per call cost more than all the counting. Rows are sorted by month,
        so the rows inside a period are consecutive."""
        months, spans = self._column("m"), self._column("span")
        first = last = -1
        for i, (m, span) in enumerate(zip(months, spans, strict=True)):
            end = m + span - 1
            if m > period.end or end < period.start:
                continue
            if m < period.start or end > period.end:
                raise UsageError(
                    f"{self.kpi.id} for {self.force} comes from {self.dataset} data in blocks "
                    f"of {span} months (from {month_text(m)}), which {period.label} cuts across",
                    hint="use whole quarters, e.g. 'Q2 2018/19' or 12m ending in Mar, Jun, Sep "
                    "or Dec",
                )
            if first < 0:
                first = i
            elif i != last + 1:
                raise AssertionError(f"{self.kpi.id} series for {self.force} is not sorted")
            last = i
        return (first, last + 1) if first >= 0 else (0, 0)

    def _column(self, name: str) -> list[int]:
        """A column as Python numbers (months, spans and counts are whole numbers)."""
        if name not in self._lists:
            values = self.rows.get_column(name)
            if not values.dtype.is_integer():
                raise AssertionError(f"{self.kpi.id}: column {name} is {values.dtype}, not counts")
            self._lists[name] = values.to_list()
        return self._lists[name]


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
        # Filter values never present in the data (a misspelt crime type counts zero).
        self.warnings: list[str] = []
        # Warnings are collected here and printed by the CLI (nothing in the engine prints).
        self._present: dict[tuple[str, str], list[str]] = {}
        self._checked: set[tuple[str, str]] = set()

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
            series = (
                self._from_rule_many(kpi, [force], rule).get(force)
                if self.reader.has(dataset)
                else None
            )
            self._cache[key] = series if series is not None and series.covered else None
        return self._cache[key]

    def candidates(self, kpi: Kpi, force: str) -> list[Series]:
        """The KPI's series in every dataset that has data, in the KPI file's order."""
        found = (self.series(kpi, force, r.dataset) for r in kpi.rules)
        return [s for s in found if s is not None]

    def preload(self, kpis: Kpi | Iterable[Kpi], forces: list[str]) -> None:
        """Load (possibly derived) KPIs' series for many forces with one query per dataset.

        Fills the same cache :meth:`series` uses, with the same result as loading each KPI
        and force on its own; ranking 36 KPIs across 43 forces needs it to stay fast.
        """
        wanted = [kpis] if isinstance(kpis, Kpi) else list(kpis)
        pending: dict[str, dict[tuple[str, str], tuple[Kpi, CountRule, list[str]]]] = {}
        for kpi in wanted:
            for base in self.base_kpis(kpi):
                for rule in base.rules:
                    todo = [
                        f
                        for f in dict.fromkeys(forces)
                        if (base.id, f, rule.dataset) not in self._cache
                    ]
                    if todo:
                        pending.setdefault(rule.dataset, {})[(base.id, rule.dataset)] = (
                            base,
                            rule,
                            todo,
                        )
        for dataset, jobs in pending.items():
            if not self.reader.has(dataset):
                for base, _, todo in jobs.values():
                    self._cache.update({(base.id, f, dataset): None for f in todo})
                continue
            coverage_by = DATASETS[dataset].coverage_by
            plain = []
            for base, rule, todo in jobs.values():
                if rule.rule or any(c.column in coverage_by for c in rule.conditions):
                    # Coverage depends on the filter (a survey measure): its own query.
                    self._store(base, rule, todo, self._from_rule_many(base, todo, rule))
                else:
                    plain.append((base, rule, todo))
            if plain:
                self._preload_plain(dataset, plain)

    def _store(
        self, kpi: Kpi, rule: CountRule, forces: list[str], found: dict[str, Series]
    ) -> None:
        for f in forces:
            series = found.get(f)
            self._cache[(kpi.id, f, rule.dataset)] = (
                series if series is not None and series.covered else None
            )

    def _preload_plain(self, dataset: str, jobs: list[tuple[Kpi, CountRule, list[str]]]) -> None:
        """Many KPIs whose filters do not decide coverage: one group-by, a column per KPI.

        Every (force, month, span) block in the data gets each KPI's sum (zero when no row
        matches), exactly what counting each KPI on its own gives.
        """
        forces = list(dict.fromkeys(f for _, _, todo in jobs for f in todo))
        sums: list[pl.Expr] = []
        for i, (kpi, rule, _) in enumerate(jobs):
            self.check_values(kpi, rule)
            hit = (
                pl.all_horizontal(condition_expr(c) for c in rule.conditions)
                if rule.conditions
                else pl.lit(True)
            )
            sums.append(pl.col("n").filter(hit).sum().cast(pl.Int64).alias(f"n{i}"))
            if kpi.kind == "proportion":
                sums.append(pl.col("respondents").filter(hit).sum().cast(pl.Int64).alias(f"r{i}"))
        wide = (
            self.reader.aggregate(dataset)
            .filter(pl.col("force").is_in(forces))
            .group_by("force", "month", "span")
            .agg(*sums)
            .pipe(_month_index)
            .sort("force", "m")
            .collect()
        )
        found: dict[str, pl.DataFrame] = {
            str(k[0]): v
            for k, v in wide.partition_by(
                "force", as_dict=True, include_key=False, maintain_order=True
            ).items()
        }
        covered = {force: _covered(frame) for force, frame in found.items()}
        for i, (kpi, _, todo) in enumerate(jobs):
            for force in todo:
                frame = found.get(force)
                if frame is None:
                    self._cache[(kpi.id, force, dataset)] = None
                    continue
                # Built from the frame's columns: a select per force and KPI costs 7x more.
                m, span = frame.get_column("m"), frame.get_column("span")
                columns = [frame.get_column(f"n{i}").alias("n")]
                if kpi.kind == "proportion":
                    columns.append(frame.get_column(f"r{i}").alias("respondents"))
                rows = pl.DataFrame([m, span, *columns])
                self._cache[(kpi.id, force, dataset)] = Series(
                    kpi, force, dataset, rows, covered[force]
                )

    def _from_rule_many(self, kpi: Kpi, forces: list[str], rule: CountRule) -> dict[str, Series]:
        """Count one KPI rule for several forces: a series per force that has data."""
        self.check_values(kpi, rule)
        if rule.rule:  # a records rule: from the raw crime records
            from pcp_cli.recordrules import records_rule_series

            return records_rule_series(self.reader, kpi, forces, rule)
        spec = DATASETS[rule.dataset]
        agg = self.reader.aggregate(rule.dataset).filter(pl.col("force").is_in(forces))
        coverage = agg
        for cond in rule.conditions:
            if cond.column in spec.coverage_by:
                coverage = coverage.filter(condition_expr(cond))
        blocks = coverage.select("force", "month", "span").unique().pipe(_month_index).collect()
        counted = agg
        for cond in rule.conditions:
            counted = counted.filter(condition_expr(cond))
        sums = [pl.col("n").sum()]
        if kpi.kind == "proportion":
            sums.append(pl.col("respondents").sum())
        rows = counted.group_by("force", "month", "span").agg(*sums).pipe(_month_index).collect()
        zero = blocks.join(
            rows.select("force", "m", "span"), on=["force", "m", "span"], how="anti"
        ).with_columns(
            pl.lit(0, dtype=pl.Int64).alias("n"),
            *([pl.lit(0, dtype=pl.Int64).alias("respondents")] if kpi.kind == "proportion" else []),
        )
        # One sort and one split for all forces: per-force frame operations cost a query each.
        rows = pl.concat([rows, zero], how="diagonal_relaxed").sort("force", "m")
        by_force = {
            str(k[0]): v
            for k, v in rows.partition_by(
                "force", as_dict=True, include_key=False, maintain_order=True
            ).items()
        }
        out: dict[str, Series] = {}
        for (force,), group in blocks.partition_by("force", as_dict=True).items():
            covered = _covered(group)
            own = by_force.get(str(force))
            frame = own if own is not None else rows.clear().drop("force")
            out[str(force)] = Series(kpi, str(force), rule.dataset, frame, covered)
        return out

    def check_values(self, kpi: Kpi, rule: CountRule) -> None:
        """Warn (once) when a filter names only values the dataset never holds.

        ``crime_type = "Burglery"`` is valid but matches nothing, so the KPI would silently
        count zero (and a misspelt ``not_in`` would exclude nothing).
        """
        if (kpi.id, rule.dataset) in self._checked:
            return
        self._checked.add((kpi.id, rule.dataset))
        for cond in rule.conditions:
            if cond.column in DATASETS[rule.dataset].coverage_by:
                continue  # an absent measure means no data (reported as such), not zero
            key = (rule.dataset, cond.column)
            if key not in self._present:
                values = self.reader.aggregate(rule.dataset).select(pl.col(cond.column).unique())
                self._present[key] = sorted(
                    str(v) for v in values.collect().to_series().drop_nulls().to_list()
                )
            present = self._present[key]
            known = set(present)
            if any(v in known for v in cond.values):
                continue
            shown = ", ".join(repr(v) for v in cond.values[:3])
            close = [m for v in cond.values for m in difflib.get_close_matches(v, present, n=1)]
            hint = (
                f"; did you mean {', '.join(repr(c) for c in dict.fromkeys(close))}?"
                if close
                else ""
            )
            effect = "excludes nothing" if cond.negate else "counts zero"
            message = (
                f"KPI {kpi.id}: no {rule.dataset} data in the store has {cond.column} "
                f"{shown}, so the filter {effect}{hint} (check {self.catalogue.path})"
            )
            self.warnings.append(message)

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

    def holds_any(self, kpi: Kpi, force: str, periods: list[Period]) -> bool:
        """Whether every count the KPI needs has at least one month of the periods."""
        wanted = {m for p in periods for m in p.months}
        return all(
            any(s.covered & wanted for s in self.candidates(base, force))
            for base in self.base_kpis(kpi)
        )

    def latest_month(self, kpis: list[Kpi], force: str) -> Month | None:
        """The latest month every selected KPI has data for (KPIs with no data are ignored)."""
        self.preload(kpis, [force])
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
            hint=(
                "a month counts only with records for all 12 months to it; " if best.stock else ""
            )
            + "ingest the missing months, choose another period, or use --allow-partial",
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

    # -- point series (charts and trends) ------------------------------------------------
    def points(
        self, kpi: Kpi, force: str, start: Month | None = None, end: Month | None = None
    ) -> KpiPoints:
        """The KPI's value per month (or per quarter or survey window), oldest first.

        One dataset serves the whole series: the one holding the most months of the range
        (KPI-file order on ties). Rows the range cuts are left out (noted). A missing month
        becomes a row with status "missing"; a zero denominator gives status "undefined";
        either starts a new ``segment``, so charts and trends never join across a gap.
        """
        if kpi.kind == "ratio":
            return self._ratio_points(kpi, force, start, end)
        found = self.candidates(kpi, force)
        if not found:
            raise NoDataError(
                f"no data for KPI {kpi.id} ({kpi.label}) for {force}",
                hint=f"it is counted from: {', '.join(kpi.datasets)}",
            )

        def held(s: Series) -> int:
            return sum(
                1 for m in s.covered if (start is None or m >= start) and (end is None or m <= end)
            )

        series = max(found, key=held)
        if not held(series):
            raise NoDataError(
                f"no data for KPI {kpi.id} for {force} in {_range_text(start, end)}",
                hint="see which months the store holds with 'pcp periods'",
            )
        rows = series.rows.with_columns((pl.col("m") + pl.col("span") - 1).alias("m_end"))
        lo = pl.lit(True) if start is None else pl.col("m") >= start
        hi = pl.lit(True) if end is None else pl.col("m_end") <= end
        inside = rows.filter(lo & hi)
        notes: list[str] = []
        touching = rows.filter(
            (pl.lit(True) if start is None else pl.col("m_end") >= start)
            & (pl.lit(True) if end is None else pl.col("m") <= end)
        ).height
        if touching > inside.height:
            notes.append(
                f"{touching - inside.height} {series.dataset} row(s) cut by "
                f"{_range_text(start, end)} left out"
            )
        if kpi.kind == "proportion":
            value = (
                pl.when(pl.col("respondents") > 0)
                .then(pl.col("n") / pl.col("respondents") * kpi.scale)
                .otherwise(None)
            )
            frame = inside.select(
                pl.col("m").alias("start"),
                "span",
                value.cast(pl.Float64).alias("value"),
                pl.col("n").cast(pl.Float64).alias("numerator"),
                pl.col("respondents").cast(pl.Float64).alias("denominator"),
            )
        else:
            frame = inside.select(
                pl.col("m").alias("start"),
                "span",
                pl.col("n").cast(pl.Float64).alias("value"),
                pl.lit(None, dtype=pl.Float64).alias("numerator"),
                pl.lit(None, dtype=pl.Float64).alias("denominator"),
            )
        return _assemble_points(kpi, force, series.dataset, frame, start, end, notes)

    def _ratio_points(
        self, kpi: Kpi, force: str, start: Month | None, end: Month | None
    ) -> KpiPoints:
        assert kpi.numerator and kpi.denominator
        num = self.points(self.catalogue.kpis[kpi.numerator], force, start, end)
        den = self.points(self.catalogue.kpis[kpi.denominator], force, start, end)
        if num.span != den.span:
            raise UsageError(
                f"{kpi.id}: {kpi.numerator} comes in blocks of {num.span} month(s) but "
                f"{kpi.denominator} in blocks of {den.span}",
                hint="ingest both from sources with the same frequency",
            )
        a = num.ok.select("start", "span", pl.col("value").alias("numerator"))
        b = den.ok.select("start", "span", pl.col("value").alias("denominator"))
        rows = a.join(b, on=["start", "span"], how="inner")
        if not rows.height:
            raise NoDataError(
                f"no month has both {kpi.numerator} and {kpi.denominator} for {force}",
                hint="see which months the store holds with 'pcp periods'",
            )
        frame = rows.select(
            "start",
            "span",
            pl.when(pl.col("denominator") != 0)
            .then(pl.col("numerator") / pl.col("denominator") * kpi.scale)
            .otherwise(None)
            .cast(pl.Float64)
            .alias("value"),
            "numerator",
            "denominator",
        )
        dataset = num.dataset if num.dataset == den.dataset else f"{num.dataset}/{den.dataset}"
        return _assemble_points(kpi, force, dataset, frame, start, end, [*num.notes, *den.notes])

    @staticmethod
    def _total(kpi: Kpi, series: Series, period: Period) -> PeriodValue:
        rows = series.window(period)
        total = float(rows["n"].sum())
        monthly = tuple(float(v) for v in rows["n"].to_list())
        if series.stock:
            total = monthly[-1] if monthly else 0.0
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


# -- point series ------------------------------------------------------------------------
POINT_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "start": pl.Int32,
    "end": pl.Int32,
    "span": pl.Int32,
    "period": pl.String,
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "status": pl.String,
    "segment": pl.Int32,
}


@dataclass(frozen=True)
class KpiPoints:
    """A KPI's values point by point, oldest first (see :meth:`Engine.points`).

    ``frame`` columns: start, end (month indices), span (months per point), period (label:
    ``2018-07``, ``Q2 2018/19``, ``2017-10..2018-09``), value, numerator and denominator
    (ratio and proportion KPIs), status ("ok", "missing": no data, "undefined": zero
    denominator) and segment (runs of "ok" points between gaps share a segment number).
    ``gaps`` lists the missing stretches as (first month, last month).
    """

    kpi: Kpi
    force: str
    dataset: str
    span: int
    frame: pl.DataFrame
    gaps: tuple[tuple[Month, Month], ...]
    notes: tuple[str, ...]

    @property
    def ok(self) -> pl.DataFrame:
        return self.frame.filter(pl.col("status") == "ok")


def _range_text(start: Month | None, end: Month | None) -> str:
    if start is None and end is None:
        return "any month"
    if start is None:
        return f"months to {month_text(end)}"  # type: ignore[arg-type]
    if end is None:
        return f"months from {month_text(start)}"
    return f"{month_text(start)}..{month_text(end)}"


def _point_label(start: Month, span: int) -> str:
    """``2018-07``, ``Q2 2018/19``, ``2018/19``, or ``12m to 2018-09`` for other windows."""
    if span == 1:
        return month_text(start)
    text = describe(start, start + span - 1)
    return text if ".." not in text else f"{span}m to {month_text(start + span - 1)}"


def _assemble_points(
    kpi: Kpi,
    force: str,
    dataset: str,
    frame: pl.DataFrame,
    start: Month | None,
    end: Month | None,
    notes: list[str],
) -> KpiPoints:
    """Order the rows, keep one span, and make gaps explicit (rows and segment breaks)."""
    spans = frame.group_by("span").len().sort(["len", "span"], descending=[True, False])
    if not spans.height:
        raise NoDataError(
            f"no whole {dataset} rows for KPI {kpi.id} for {force} in {_range_text(start, end)}",
            hint="choose a range that does not cut quarters or survey windows",
        )
    span = int(spans["span"][0])
    if spans.height > 1:
        dropped = int(frame.height - spans["len"][0])
        notes.append(f"{dropped} {dataset} row(s) of another length than {span} month(s) left out")
    rows = frame.filter(pl.col("span") == span).sort("start").iter_rows(named=True)
    data = list(rows)
    out: list[dict[str, object]] = []
    gaps: list[tuple[Month, Month]] = []

    def missing_rows(first: Month, last: Month) -> None:
        gaps.append((first, last))
        if (last - first + 1) % span == 0:
            for s in range(first, last + 1, span):
                out.append(
                    {"start": s, "span": span, "value": None, "status": "missing", "brk": True}
                )

    overlapping = any(b["start"] <= a["start"] + span - 1 for a, b in pairwise(data))
    if not overlapping:
        expected = data[0]["start"] if start is None else start
        for r in data:
            if r["start"] > expected:
                missing_rows(expected, r["start"] - 1)
                if out and out[-1]["status"] != "missing":
                    out[-1]["brk_after"] = True
            out.append({**r, "status": "ok" if r["value"] is not None else "undefined"})
            expected = r["start"] + span
        last = data[-1]["start"] + span - 1 if end is None else end
        if last >= expected:
            missing_rows(expected, last)
    else:
        ends = [r["start"] + span - 1 for r in data]
        step = min(b - a for a, b in pairwise(ends))
        for i, r in enumerate(data):
            row = {**r, "status": "ok" if r["value"] is not None else "undefined"}
            if i and ends[i] - ends[i - 1] > step:
                gaps.append((ends[i - 1] + step, ends[i] - step))
                row["brk"] = True
            out.append(row)
        notes.append(
            f"{dataset} rows are overlapping {span}-month windows: neighbouring points share "
            "months and are not independent"
        )
    frame_out = pl.DataFrame(_point_records(out, span), schema=POINT_COLUMNS)
    return KpiPoints(kpi, force, dataset, span, frame_out, tuple(gaps), tuple(notes))


def _point_records(out: list[dict[str, object]], span: int) -> list[dict[str, object]]:
    """The point rows with their labels and segments: a gap, an undefined point or a
    break starts a new segment, so charts and trends never join across one."""
    segment = 0
    previous_ok = True
    records: list[dict[str, object]] = []
    for r in out:
        ok = r["status"] == "ok"
        if r.get("brk") or not ok or not previous_ok:
            segment += 1
        previous_ok = ok and not r.get("brk_after")
        s = int(r["start"])  # type: ignore[call-overload]
        records.append(
            {
                "start": s,
                "end": s + span - 1,
                "span": span,
                "period": _point_label(s, span),
                "value": r.get("value"),
                "numerator": r.get("numerator"),
                "denominator": r.get("denominator"),
                "status": r["status"],
                "segment": segment,
            }
        )
    return records
