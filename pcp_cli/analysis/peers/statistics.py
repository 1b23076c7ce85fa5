"""The statistics of one peer comparison, from counts and denominators alone (no store):
rates with intervals, ranks, group mean, control lines, z, RAG, funnel positions and
whether a difference is meaningful (methods.md §2.3, §3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pcp_cli.stats.common import Polarity, z_for_confidence
from pcp_cli.stats.funnel import (
    FunnelPosition,
    funnel_position,
    proportion_funnel_average,
    proportion_significance,
    rate_funnel_average,
    significance_to_position,
)
from pcp_cli.stats.intervals import count_interval, rate_interval, wilson_interval
from pcp_cli.stats.peer import (
    DEFAULT_LINE_Z,
    FunnelVariance,
    MeanMethod,
    PeerPosition,
    PeerSummary,
    msg_position,
    msg_summary,
    overdispersion_limits,
    rank_by_polarity,
)

Measure = Literal["per-population", "proportion", "count"]

OK = "ok"
NO_DATA = "no data"
INCOMPLETE_PERIOD = "incomplete period"
OTHER_DATASET = "not comparable"
NO_POPULATION = "no population"
UNDEFINED = "undefined"
EXCLUDED = "excluded: probably incomplete"

PER_POPULATION = 1000.0
CONFIDENCE = 0.95
OUTCOME_LIST = "positive-outcomes"
NOT_CRIME_LIST = "not-crime"


@dataclass(frozen=True)
class ForceFigure:
    """One force's numbers for a KPI and period; ``status`` is OK or why it is not ranked."""

    force: str
    numerator: float | None = None
    denominator: float | None = None
    status: str = OK
    detail: str = ""


@dataclass(frozen=True)
class Placed:
    """A force's place in a comparison."""

    force: str
    value: float
    lower: float | None
    upper: float | None
    ci_method: str
    rank: int
    z: float | None
    rag: str
    peer_mean_excl: float | None
    z_excl: float | None
    funnel: str
    funnel_overdispersed: str
    difference: str
    meaningful: bool | None


@dataclass(frozen=True)
class GroupStatistics:
    """The group statistics and each ranked force's place (rates per ``multiplier``)."""

    measure: Measure
    polarity: Polarity
    multiplier: float
    members: int
    summary: PeerSummary | None
    group_rate: float | None
    placed: dict[str, Placed] = field(default_factory=dict)

    @property
    def ranked(self) -> int:
        return len(self.placed)


def group_statistics(
    figures: Sequence[ForceFigure],
    *,
    measure: Measure,
    polarity: Polarity,
    multiplier: float,
    mean_method: MeanMethod = "unweighted",
    ddof: int = 1,
    line_z: float = DEFAULT_LINE_Z,
    detail: bool = True,
) -> GroupStatistics:
    """Rank the figures with status OK and place each against the group.

    For ``per-population`` the denominator is the population and the rate is
    multiplier × count / population; for ``proportion`` it is the base count (crimes,
    respondents) and the rate multiplier × x / n; for ``count`` the value is the count.
    With ``detail=False`` only each force's value and rank are worked out (CI, z, funnel
    and the verdict are left empty): enough for a national rank column, and much faster.
    """
    usable = [f for f in figures if f.status == OK]
    if not usable:
        return GroupStatistics(measure, polarity, multiplier, len(figures), None, None)
    nums = [float(f.numerator or 0.0) for f in usable]
    if measure == "count":
        dens = [1.0] * len(usable)
        multiplier = 1.0
    else:
        dens = [float(f.denominator or 0.0) for f in usable]
    summary = msg_summary(
        nums, dens, multiplier=multiplier, mean_method=mean_method, ddof=ddof, line_z=line_z
    )
    group_rate = _group_rate(measure, nums, dens, multiplier)
    od = _overdispersed(measure, nums, dens, multiplier) if detail else None
    ranks = rank_by_polarity(
        [multiplier * n / d for n, d in zip(nums, dens, strict=True)], polarity
    )
    if not detail:
        placed = {
            fig.force: _value_and_rank(fig.force, multiplier * nums[i] / dens[i], ranks[i])
            for i, fig in enumerate(usable)
        }
        return GroupStatistics(
            measure, polarity, multiplier, len(figures), summary, group_rate, placed
        )
    group = _Group(
        measure, polarity, multiplier, mean_method, ddof, line_z, nums, dens, summary,
        group_rate, od,
    )  # fmt: skip
    placed = {fig.force: _place(group, i, fig.force, ranks[i]) for i, fig in enumerate(usable)}
    return GroupStatistics(measure, polarity, multiplier, len(figures), summary, group_rate, placed)


def _value_and_rank(force: str, value: float, rank: int) -> Placed:
    """A place with the value and rank only (``detail=False``)."""
    return Placed(force, value, None, None, "", rank, None, "NONE", None, None, "", "", "", None)


@dataclass(frozen=True)
class _Group:
    """The ranked forces' numbers and the group statistics one place is read against."""

    measure: Measure
    polarity: Polarity
    multiplier: float
    mean_method: MeanMethod
    ddof: int
    line_z: float
    nums: list[float]
    dens: list[float]
    summary: PeerSummary
    group_rate: float | None
    overdispersed: list[str] | None


def _place(g: _Group, i: int, force: str, rank: int) -> Placed:
    """Force ``i``'s place: z and RAG against the group, against the group without it,
    its interval, funnel positions and whether its difference from the mean is meaningful."""

    def position(leave_one_out: bool) -> PeerPosition:
        return msg_position(
            i, g.nums, g.dens, g.polarity, multiplier=g.multiplier, mean_method=g.mean_method,
            ddof=g.ddof, line_z=g.line_z, leave_one_out=leave_one_out,
        )  # fmt: skip

    pos = position(False)
    loo = position(True) if len(g.nums) > 1 else None
    lower, upper, method = _interval(g.measure, g.nums[i], g.dens[i], g.multiplier)
    difference, meaningful = _difference(pos.rate, lower, upper, g.summary)
    return Placed(
        force=force,
        value=pos.rate,
        lower=lower,
        upper=upper,
        ci_method=method,
        rank=rank,
        z=pos.z,
        rag=pos.rag,
        peer_mean_excl=loo.peers.mean if loo else None,
        z_excl=loo.z if loo else None,
        funnel=_funnel(g.measure, g.nums[i], g.dens[i], g.group_rate, g.multiplier),
        funnel_overdispersed=g.overdispersed[i] if g.overdispersed else "not applicable",
        difference=difference,
        meaningful=meaningful,
    )


def _group_rate(
    measure: Measure, nums: list[float], dens: list[float], multiplier: float
) -> float | None:
    if measure == "per-population":
        return rate_funnel_average(nums, dens, multiplier)
    if measure == "proportion":
        return proportion_funnel_average(nums, dens) * multiplier
    return None


def _interval(
    measure: Measure, num: float, den: float, multiplier: float
) -> tuple[float | None, float | None, str]:
    if measure == "per-population":
        ci = rate_interval(num, den, multiplier, CONFIDENCE)
        return ci.lower, ci.upper, ci.method
    if measure == "proportion":
        if num > den:
            return None, None, "none (numerator exceeds denominator)"
        w = wilson_interval(num, den, CONFIDENCE, multiplier)
        return w.lower, w.upper, "Wilson"
    interval, method = count_interval(num, CONFIDENCE)
    return interval.lower, interval.upper, method


def _funnel(
    measure: Measure, num: float, den: float, group_rate: float | None, multiplier: float
) -> str:
    if group_rate is None or measure == "count":
        return "not applicable"
    if measure == "per-population":
        position: FunnelPosition = funnel_position(num, den, group_rate, multiplier)
        return position
    if num > den:
        return "not applicable"
    return significance_to_position(proportion_significance(num, den, group_rate / multiplier))


def _overdispersed(
    measure: Measure, nums: list[float], dens: list[float], multiplier: float
) -> list[str] | None:
    """Position against Spiegelhalter's random-effects funnel (95% and 99.8%), per force.

    A share of its denominator (positive outcome rate, survey answers) has binomial
    within-force variance θ(1 − θ)/n; a rate per population Poisson θ/n (Spiegelhalter
    2005). Poisson's for a share of 85% is 6.7 times too wide, and hid a force at 800 of
    1,000 among seven at 850 ("within 95%" instead of "below 99.8%")."""
    if measure == "count" or len(nums) < 2 or sum(nums) <= 0:
        return None
    if measure == "proportion" and any(n > d for n, d in zip(nums, dens, strict=True)):
        return None
    variance: FunnelVariance = "binomial" if measure == "proportion" else "poisson"
    wide = overdispersion_limits(
        nums, dens, multiplier=multiplier, z=DEFAULT_LINE_Z, variance=variance
    )
    outer = overdispersion_limits(
        nums, dens, multiplier=multiplier, z=z_for_confidence(0.998), variance=variance
    )
    out = []
    for i, (n, d) in enumerate(zip(nums, dens, strict=True)):
        rate = multiplier * n / d
        if rate > outer.random_effects_upper[i]:
            out.append("above 99.8%")
        elif rate > wide.random_effects_upper[i]:
            out.append("above 95%")
        elif rate < outer.random_effects_lower[i]:
            out.append("below 99.8%")
        elif rate < wide.random_effects_lower[i]:
            out.append("below 95%")
        else:
            out.append("within 95%")
    return out


def _difference(
    rate: float, lower: float | None, upper: float | None, summary: PeerSummary
) -> tuple[str, bool | None]:
    """Is the difference from the group mean statistically meaningful? (text, verdict)."""
    mean = summary.mean
    if summary.n < 2:
        return "undetermined: no other force in the group has data", None
    if lower is not None and upper is not None and lower <= mean <= upper:
        return "not meaningful: the 95% CI includes the group mean", False
    if summary.lower is None or summary.upper is None:
        return "undetermined: the group is too small for control lines", None
    if rate > summary.upper:
        return "meaningful: above the upper control line", True
    if rate < summary.lower:
        return "meaningful: below the lower control line", True
    return "not meaningful: within the control lines, mean ± 1.96 SD", False
