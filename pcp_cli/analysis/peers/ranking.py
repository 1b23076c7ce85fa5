"""Peer comparison: the figures of a force against its Most Similar Group and nationally.

Methods (research/methods.md §2.3 and §3; the statistics live in :mod:`pcp_cli.stats`):

* Count KPIs are compared as rates per 1,000 population, using the mid-year estimate
  nearest the period's midpoint (:mod:`pcp_cli.analysis.peers.population`). Derived rate KPIs
  (positive outcome rate) and survey proportions are compared as the rate itself.
* Ranks are competition ranks ("1224"), rank 1 = best by the KPI's polarity (lowest crime
  rate, highest outcome rate; neutral KPIs rank the lowest first). The MSG rank is over the
  group's forces that have data; the national rank over the territorial forces with data.
* The group mean is the unweighted mean of the rates, the force included (HMIC), or the
  weighted mean Σcount/Σpopulation; the SD is the sample SD (n − 1) unless asked otherwise;
  control lines are mean ± 1.96 SD; z = (rate − mean)/SD; RAG by the seed 001 key. A
  leave-one-out mean and z are reported beside them.
* Every rate has a 95% CI (exact Poisson below 10 events, Byar's from 10; Wilson for
  proportions) and a funnel position against the group rate (Σcount/Σpopulation): the
  exact Poisson (or Wilson) funnel, and the over-dispersed random-effects funnel.
* The difference from the group mean is "not meaningful" when the 95% CI includes the mean
  or the rate lies within the control lines.

Every force in one comparison is counted from the same dataset: in the KPI's dataset order,
the first dataset that covers the whole period for the most forces. Forces without data,
with part of the period missing, with data only in another dataset, or without a
population get an explicit row and a warning, never a silent drop. A force whose monthly
volume collapses within the period is flagged probably incomplete (:mod:`.quality`).

The tables are built in :mod:`.rank`; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pcp_cli.analysis.peers.completeness import (
    Completeness,
    check_completeness,
    dataset_volumes,
    measures_per_row,
    spread_blocks,
)
from pcp_cli.analysis.peers.groups import (
    Comparator,
)
from pcp_cli.analysis.peers.population import PopulationTable
from pcp_cli.analysis.peers.statistics import (
    EXCLUDED,
    INCOMPLETE_PERIOD,
    NO_DATA,
    NO_POPULATION,
    NOT_CRIME_LIST,
    OK,
    OTHER_DATASET,
    OUTCOME_LIST,
    PER_POPULATION,
    UNDEFINED,
    ForceFigure,
    GroupStatistics,
    Measure,
    group_statistics,
)
from pcp_cli.engine import Engine, Series, outcome_rate_kpis
from pcp_cli.errors import UsageError
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Catalogue, Kpi
from pcp_cli.periods import Month, Period, month_text
from pcp_cli.stats.peer import (
    MeanMethod,
)


# -- gathering the figures -----------------------------------------------------------------
@dataclass(frozen=True)
class RankPlan:
    kpis: list[Kpi]
    home: str
    period: Period
    baseline: Period
    comparator: Comparator
    mean_method: MeanMethod = "unweighted"
    ddof: int = 1
    exclude_incomplete: bool = False


@dataclass
class DatasetChoice:
    """The dataset one base KPI is counted from, and how each force fares in it."""

    dataset: str | None
    totals: dict[str, tuple[float, float | None]]  # force -> (n, respondents)
    series: dict[str, Series]
    status: dict[str, tuple[str, str]]  # force -> (status, detail) for forces not covered
    cut: UsageError | None = None
    datasets: tuple[str, ...] = ()  # every dataset the base KPI can be counted from


@dataclass
class KpiRanking:
    """Everything known about one KPI's comparison."""

    kpi: Kpi
    measure: Measure
    multiplier: float
    dataset: str
    figures: dict[str, ForceFigure]
    quality: dict[str, Completeness]
    group: GroupStatistics
    national: GroupStatistics
    population_years: dict[str, int]
    choices: list[DatasetChoice]


def measure_of(kpi: Kpi) -> tuple[Measure, float]:
    """How a KPI is compared: per 1,000 population, as a proportion (× scale) or as counts."""
    if kpi.kind in ("ratio", "proportion"):
        return "proportion", kpi.scale
    if kpi.per_population:
        return "per-population", PER_POPULATION
    return "count", 1.0


def measure_label(measure: Measure, kpi: Kpi) -> str:
    if measure == "per-population":
        return "per 1,000 population"
    if measure == "proportion":
        return "%" if kpi.scale == 100 else f"per {kpi.scale:g}"
    return kpi.unit or "count"


def outcome_rate_counts(kpis: Sequence[Kpi], catalogue: Catalogue) -> list[Kpi]:
    """The counts behind the positive outcome rates of the crime categories among ``kpis``."""
    pairs = [
        pair
        for kpi in kpis
        if outcome_rate_applicable(kpi, catalogue)
        and (pair := outcome_rate_kpis(kpi, catalogue, OUTCOME_LIST)) is not None
    ]
    return [k for pair in pairs for k in pair]


class Ranker:
    """Computes :class:`KpiRanking` for the KPIs of a plan (one store read per dataset)."""

    def __init__(
        self,
        engine: Engine,
        registry: ForceRegistry,
        populations: PopulationTable,
        plan: RankPlan,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.populations = populations
        self.plan = plan
        self.national = [f.id for f in registry.territorial]
        self.universe = list(dict.fromkeys([*plan.comparator.members, *self.national]))
        self._volumes: dict[str, dict[str, dict[Month, float]]] = {}
        self._volume_checks: dict[tuple[str, str], Completeness] = {}
        self.population_fallbacks: dict[tuple[int, int], list[str]] = {}
        self.cut_errors: list[UsageError] = []
        self.unavailable: dict[str, str] = {}  # KPI id -> why no force could be compared

    # -- datasets ---------------------------------------------------------------------
    def choose(self, base: Kpi, forces: list[str] | None = None) -> DatasetChoice:
        """The dataset covering the whole period for the most forces (KPI-file order on ties)."""
        period = self.plan.period
        forces = forces or self.universe
        self.engine.preload(base, forces)
        best: DatasetChoice | None = None
        for rule in base.rules:
            choice = DatasetChoice(rule.dataset, {}, {}, {}, datasets=base.datasets)
            for force in forces:
                s = self.engine.series(base, force, rule.dataset)
                if s is None:
                    continue
                missing = s.missing(period)
                if len(missing) == period.length:
                    continue
                if missing:
                    shown = ", ".join(month_text(m) for m in missing[:6])
                    more = f" and {len(missing) - 6} more" if len(missing) > 6 else ""
                    choice.status[force] = (
                        INCOMPLETE_PERIOD,
                        f"part of the period missing: no {rule.dataset} data for {shown}{more}",
                    )
                    continue
                try:
                    choice.totals[force] = s.totals(period)
                except UsageError as exc:
                    choice.cut = exc
                    continue
                choice.series[force] = s
            if choice.cut is not None and not choice.totals:
                self.cut_errors.append(choice.cut)
            # Most forces covered wins; among datasets covering none, the one that holds
            # part of the period explains best why nothing can be compared.
            if (
                best is None
                or len(choice.totals) > len(best.totals)
                or (not best.totals and not choice.totals and len(choice.status) > len(best.status))
            ):
                best = choice
        if best is None or not best.totals:
            return DatasetChoice(None, {}, {}, best.status if best else {}, datasets=base.datasets)
        # Forces the chosen dataset leaves out but another dataset covers.
        for rule in base.rules:
            if rule.dataset == best.dataset:
                continue
            for force in forces:
                if force in best.totals or force in best.status:
                    continue
                s = self.engine.series(base, force, rule.dataset)
                if s is not None and not s.missing(period):
                    best.status[force] = (
                        OTHER_DATASET,
                        f"only {rule.dataset} data, while the others are counted from "
                        f"{best.dataset}",
                    )
        return best

    def volumes(self, dataset: str) -> dict[str, dict[Month, float]]:
        if dataset not in self._volumes:
            self._volumes[dataset] = dataset_volumes(self.engine.reader, dataset, self.universe)
        return self._volumes[dataset]

    def completeness(self, choice: DatasetChoice, force: str) -> Completeness | None:
        if choice.dataset is None or force not in choice.series:
            return None
        if measures_per_row(choice.dataset):
            rows = choice.series[force].rows
            series = spread_blocks(
                (int(m), int(span), float(n))
                for m, span, n in rows.select("m", "span", "n").iter_rows()
            )
            return check_completeness(series, self.plan.period.months)
        # Row volumes are the dataset's, the same for every KPI counted from it.
        key = (choice.dataset, force)
        if key not in self._volume_checks:
            self._volume_checks[key] = check_completeness(
                self.volumes(choice.dataset).get(force, {}), self.plan.period.months
            )
        return self._volume_checks[key]

    # -- one KPI ----------------------------------------------------------------------
    def rank(self, kpi: Kpi) -> KpiRanking | None:
        """The KPI's comparison, or None when no force in the comparison has data."""
        measure, multiplier = measure_of(kpi)
        period = self.plan.period
        home = self.plan.home
        if measure == "per-population":
            # The reported force must have a population: an error naming it otherwise.
            self.populations.lookup(home, period, name=self.registry.name(home))
        if kpi.kind == "ratio":
            assert kpi.numerator and kpi.denominator
            choices = [
                self.choose(self.engine.catalogue.kpis[kpi.numerator]),
                self.choose(self.engine.catalogue.kpis[kpi.denominator]),
            ]
        else:
            choices = [self.choose(kpi)]
        if any(c.dataset is None for c in choices):
            reasons = [c.status[home][1] for c in choices if home in c.status]
            others = [d for c in choices for _, d in c.status.values()]
            self.unavailable[kpi.id] = next(iter(reasons or others), "")
            return None
        dataset = "/".join(dict.fromkeys(str(c.dataset) for c in choices))
        figures: dict[str, ForceFigure] = {}
        quality: dict[str, Completeness] = {}
        years: dict[str, int] = {}
        for force in self.universe:
            fig = self._figure(kpi, measure, force, choices, years)
            checks = [c for c in (self.completeness(ch, force) for ch in choices) if c]
            flagged = [c for c in checks if c.probably_incomplete]
            if flagged:
                quality[force] = _merge(flagged)
            elif checks:
                quality[force] = checks[0]
            if fig.status == OK and self.plan.exclude_incomplete and flagged:
                fig = ForceFigure(
                    force, fig.numerator, fig.denominator, EXCLUDED, quality[force].describe()
                )
            figures[force] = fig
        if not any(f.status == OK for f in figures.values()):
            return None

        def compare(forces: Sequence[str], detail: bool) -> GroupStatistics:
            return group_statistics(
                [figures[f] for f in forces],
                measure=measure,
                polarity=kpi.polarity,
                multiplier=multiplier,
                mean_method=self.plan.mean_method,
                ddof=self.plan.ddof,
                detail=detail,
            )

        if self.plan.comparator.kind == "national":
            national = group = compare(self.national, True)
        else:
            national = compare(self.national, False)
            group = compare(self.plan.comparator.members, True)
        return KpiRanking(
            kpi, measure, multiplier, dataset, figures, quality, group, national, years, choices
        )

    def _figure(
        self,
        kpi: Kpi,
        measure: Measure,
        force: str,
        choices: list[DatasetChoice],
        years: dict[str, int],
    ) -> ForceFigure:
        for choice in choices:
            if force not in choice.totals:
                status, detail = choice.status.get(
                    force,
                    (
                        NO_DATA,
                        f"no {' or '.join(choice.datasets)} data for {self.plan.period.label}",
                    ),
                )
                return ForceFigure(force, status=status, detail=detail)
        den: float | None
        if kpi.kind == "ratio":
            num = choices[0].totals[force][0]
            den = choices[1].totals[force][0]
        else:
            num, respondents = choices[0].totals[force]
            den = respondents if kpi.kind == "proportion" else None
        if measure == "per-population":
            est = self.populations.find(force, self.plan.period)
            if est is None:
                return ForceFigure(
                    force,
                    num,
                    None,
                    NO_POPULATION,
                    "no population estimate in the store",
                )
            years[force] = est.year
            if est.fallback:
                self.population_fallbacks.setdefault((est.wanted_year, est.year), []).append(force)
            return ForceFigure(force, num, est.population)
        if measure == "proportion":
            if not den:
                return ForceFigure(force, num, den, UNDEFINED, "the denominator is 0")
            return ForceFigure(force, num, den)
        return ForceFigure(force, num, None)

    def preload(self) -> None:
        """Load every series the per-KPI table reads: one query per dataset, not per KPI
        (the outcome rates only for the group, whose ranks they are)."""
        self.engine.preload(self.plan.kpis, self.universe)
        pairs = outcome_rate_counts(self.plan.kpis, self.engine.catalogue)
        self.engine.preload(pairs, list(self.plan.comparator.members))

    # -- positive outcome rate of a crime category (street data) ------------------------
    def outcome_rate(self, kpi: Kpi) -> GroupStatistics | None:
        """The category's positive outcome rate in the group, from street data, or None."""
        if not outcome_rate_applicable(kpi, self.engine.catalogue):
            return None
        pair = outcome_rate_kpis(kpi, self.engine.catalogue, OUTCOME_LIST)
        if pair is None:
            return None
        members = list(self.plan.comparator.members)
        num_choice = self.choose(pair[0], members)
        den_choice = self.choose(pair[1], members)
        if num_choice.dataset is None or den_choice.dataset is None:
            return None
        figures = []
        for force in members:
            if force not in num_choice.totals or force not in den_choice.totals:
                figures.append(ForceFigure(force, status=NO_DATA))
                continue
            x, n = num_choice.totals[force][0], den_choice.totals[force][0]
            figures.append(ForceFigure(force, x, n, OK if n > 0 else UNDEFINED))
        if not any(f.status == OK for f in figures):
            return None
        return group_statistics(
            figures,
            measure="proportion",
            polarity="higher-is-better",
            multiplier=100.0,
            mean_method=self.plan.mean_method,
            ddof=self.plan.ddof,
        )


def outcome_rate_applicable(kpi: Kpi, catalogue: Catalogue) -> bool:
    """A crime category whose street rule does not already select outcomes or non-crime.

    ASB (the ``not-crime`` list) has no outcomes, and a KPI that already filters the
    outcome column (positive outcomes) would divide a set by itself.
    """
    if kpi.kind != "count":
        return False
    rule = next((r for r in kpi.rules if r.dataset == "street"), None)
    if rule is None:
        return False
    not_crime = set(catalogue.lists.get(NOT_CRIME_LIST, ()))
    for cond in rule.conditions:
        if cond.column == "last_outcome_category":
            return False
        if cond.column == "crime_type" and not cond.negate and set(cond.values) <= not_crime:
            return False
    return True


def _merge(flagged: list[Completeness]) -> Completeness:
    if len(flagged) == 1:
        return flagged[0]
    months = tuple(f for c in flagged for f in c.flagged)
    checked = tuple(sorted({m for c in flagged for m in c.checked}))
    unchecked = tuple(sorted({m for c in flagged for m in c.unchecked}))
    return Completeness(months, checked, unchecked, flagged[0].drop)
