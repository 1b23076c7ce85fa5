"""Most Similar Group (MSG) statistics (methods.md §2.3–2.4).

iQuanta-style peer position: rates per 1,000, the MSG mean (unweighted and force-included
per HMIC "Crime and Policing Comparator – About the data", or weighted as an option),
control lines at mean ± 1.96 SD, z-value, RAG by polarity and competition ranks. §2.4 adds
Spiegelhalter (2005) over-dispersed funnels: multiplicative φ and additive
DerSimonian–Laird τ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pcp_cli.stats.common import Polarity, Rag, check_polarity, rag_from_position

MeanMethod = Literal["unweighted", "weighted"]
FunnelVariance = Literal["poisson", "binomial"]
"""Within-force variance of a funnel: θ/n for rates and counts, θ(1 − θ)/n for proportions."""

WINSORIZE = 0.1
"""Spiegelhalter (2005) winsorises the z-scores at 10% at each end before estimating φ."""

MIN_GROUP_FOR_SD = 3
"""Groups (or leave-one-out peer sets) smaller than this get no SD, lines or z-value."""

DEFAULT_LINE_Z = 1.96


@dataclass(frozen=True, slots=True)
class PeerSummary:
    """MSG mean, SD and control lines (rates per ``multiplier``).

    ``sd``, ``lower`` and ``upper`` are ``None`` when the group has fewer than 3 members;
    ``note`` then says why.
    """

    n: int
    mean: float
    mean_method: MeanMethod
    sd: float | None
    ddof: int
    line_z: float
    multiplier: float
    note: str | None

    @property
    def lower(self) -> float | None:
        """The lower control line, mean − ``line_z`` × SD."""
        return None if self.sd is None else self.mean - self.line_z * self.sd

    @property
    def upper(self) -> float | None:
        """The upper control line, mean + ``line_z`` × SD."""
        return None if self.sd is None else self.mean + self.line_z * self.sd


@dataclass(frozen=True, slots=True)
class PeerPosition:
    """One force's position in its MSG.

    ``rank`` is a competition rank (ties share the best rank, "1224") where rank 1 is the best
    by polarity (lowest rate for lower-is-better and neutral, highest for higher-is-better).
    ``z`` is (rate − mean)/SD against the peer set used (``leave_one_out`` drops the force
    itself from the mean and SD). ``rag`` is ``"NONE"`` for neutral polarity or when there are
    no lines; ``note`` explains a missing SD or z.
    """

    index: int
    rate: float
    rank: int
    n_group: int
    peers: PeerSummary
    z: float | None
    rag: Rag
    polarity: Polarity
    leave_one_out: bool
    note: str | None


@dataclass(frozen=True, slots=True)
class OverdispersionLimits:
    """Spiegelhalter (2005) over-dispersed funnel limits (rates per ``multiplier``).

    ``target`` is the weighted rate. ``phi`` is the multiplicative over-dispersion factor
    (mean of squared z-scores, winsorised as ``winsorize`` says); limits use max(φ, 1).
    ``tau`` is the DerSimonian–Laird between-force SD (per ``multiplier``, 0 if the moment
    estimate is negative). ``z_scores`` are before winsorising. Limit tuples are per
    force, in input order.
    """

    target: float
    phi: float
    tau: float
    z_scores: tuple[float, ...]
    multiplicative_lower: tuple[float, ...]
    multiplicative_upper: tuple[float, ...]
    random_effects_lower: tuple[float, ...]
    random_effects_upper: tuple[float, ...]
    multiplier: float
    variance: FunnelVariance = "poisson"
    winsorize: float = 0.0


def _check_inputs(counts: Sequence[float], populations: Sequence[float]) -> None:
    if len(counts) != len(populations):
        raise ValueError(
            f"counts ({len(counts)}) and populations ({len(populations)}) differ in length"
        )
    if not counts:
        raise ValueError("the group is empty")
    for i, (c, p) in enumerate(zip(counts, populations, strict=True)):
        if not math.isfinite(c) or c < 0:
            raise ValueError(f"count[{i}] must be a finite number >= 0; got {c!r}")
        if not math.isfinite(p) or p <= 0:
            raise ValueError(f"population[{i}] must be > 0 (missing or zero?); got {p!r}")


def msg_rates(
    counts: Sequence[float], populations: Sequence[float], multiplier: float = 1000.0
) -> list[float]:
    """Rates per ``multiplier`` (default 1,000): multiplier × count / population."""
    _check_inputs(counts, populations)
    return [multiplier * c / p for c, p in zip(counts, populations, strict=True)]


def sample_sd(values: Sequence[float], ddof: int = 1) -> float:
    """Standard deviation with ``ddof`` (1: n − 1 denominator, 0: n denominator)."""
    n = len(values)
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1; got {ddof!r}")
    if n - ddof <= 0:
        raise ValueError(f"need more than {ddof} values for an SD with ddof={ddof}")
    mean = math.fsum(values) / n
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - ddof))


def msg_summary(
    counts: Sequence[float],
    populations: Sequence[float],
    *,
    multiplier: float = 1000.0,
    mean_method: MeanMethod = "unweighted",
    ddof: int = 1,
    line_z: float = DEFAULT_LINE_Z,
) -> PeerSummary:
    """MSG mean, SD and control lines mean ± ``line_z`` × SD.

    Unweighted mean (HMIC): the mean of the members' rates, force included. Weighted mean:
    multiplier × Σcount / Σpopulation. The SD is always the SD of the members' rates.
    """
    if mean_method not in ("unweighted", "weighted"):
        raise ValueError(f"mean_method must be 'unweighted' or 'weighted'; got {mean_method!r}")
    rates = msg_rates(counts, populations, multiplier)
    n = len(rates)
    if mean_method == "weighted":
        mean = multiplier * math.fsum(counts) / math.fsum(populations)
    else:
        mean = math.fsum(rates) / n
    if n < MIN_GROUP_FOR_SD:
        sd = None
        note = f"group of {n} is too small for a usable SD (need {MIN_GROUP_FOR_SD} or more)"
    else:
        sd, note = sample_sd(rates, ddof), None
    return PeerSummary(n, mean, mean_method, sd, ddof, line_z, multiplier, note)


def competition_rank(
    values: Sequence[float], *, descending: bool = False, rel_tol: float = 1e-9
) -> list[int]:
    """Standard competition ranks ("1224"), as in league tables.

    Rank 1 is the smallest value (largest with ``descending``). Values equal within a relative
    tolerance ``rel_tol`` share the best rank and the next rank is skipped, so rates that are
    equal on paper (60000/900 and 70000/1050) tie despite floating-point noise.
    """
    ranks = []
    for v in values:
        better = 0
        for w in values:
            if math.isclose(v, w, rel_tol=rel_tol, abs_tol=0.0):
                continue
            if (w > v) if descending else (w < v):
                better += 1
        ranks.append(better + 1)
    return ranks


def rank_by_polarity(values: Sequence[float], polarity: Polarity) -> list[int]:
    """Competition ranks where rank 1 is best: highest first for higher-is-better.

    Lower-is-better and neutral measures rank the lowest value first.
    """
    check_polarity(polarity)
    return competition_rank(values, descending=polarity == "higher-is-better")


def rag_against_lines(
    value: float, lower: float | None, upper: float | None, polarity: Polarity
) -> Rag:
    """RAG of ``value`` against control lines (seed 001 key): for lower-is-better RED above
    the upper line, GREEN below the lower line, AMBER between (strict comparisons);
    reversed for higher-is-better; ``"NONE"`` for neutral or when the lines are missing."""
    check_polarity(polarity)
    if lower is None or upper is None:
        return "NONE"
    position = 1 if value > upper else -1 if value < lower else 0
    return rag_from_position(position, polarity)


def msg_position(
    index: int,
    counts: Sequence[float],
    populations: Sequence[float],
    polarity: Polarity = "lower-is-better",
    *,
    multiplier: float = 1000.0,
    mean_method: MeanMethod = "unweighted",
    ddof: int = 1,
    line_z: float = DEFAULT_LINE_Z,
    leave_one_out: bool = False,
) -> PeerPosition:
    """Position of member ``index`` (0-based) in its MSG: rate, rank, z and RAG.

    With ``leave_one_out`` the mean, SD and lines come from the other members only; the rank
    is always within the whole group.
    """
    check_polarity(polarity)
    rates = msg_rates(counts, populations, multiplier)
    if not 0 <= index < len(rates):
        raise ValueError(f"index {index} is outside the group of {len(rates)}")
    if leave_one_out:
        peer_counts = [c for i, c in enumerate(counts) if i != index]
        peer_pops = [p for i, p in enumerate(populations) if i != index]
        if not peer_counts:
            raise ValueError("leave-one-out needs at least one other member in the group")
    else:
        peer_counts, peer_pops = list(counts), list(populations)
    peers = msg_summary(
        peer_counts,
        peer_pops,
        multiplier=multiplier,
        mean_method=mean_method,
        ddof=ddof,
        line_z=line_z,
    )
    rate = rates[index]
    note = peers.note
    z: float | None = None
    if peers.sd is not None:
        if peers.sd > 0:
            z = (rate - peers.mean) / peers.sd
        else:
            note = "peer SD is 0 (all peer rates equal): z-value undefined, lines equal the mean"
    return PeerPosition(
        index=index,
        rate=rate,
        rank=rank_by_polarity(rates, polarity)[index],
        n_group=len(rates),
        peers=peers,
        z=z,
        rag=rag_against_lines(rate, peers.lower, peers.upper, polarity),
        polarity=polarity,
        leave_one_out=leave_one_out,
        note=note,
    )


def _quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile (R type 7, numpy's default), as FunnelPlotR uses."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (pos - lo) * (ordered[hi] - ordered[lo])


def winsorized(values: Sequence[float], fraction: float) -> list[float]:
    """``values`` with those below the ``fraction`` quantile raised to it and those above the
    1 − ``fraction`` quantile lowered to it (Spiegelhalter 2005: 10% at each end)."""
    if not 0.0 <= fraction < 0.5:
        raise ValueError(f"the winsorising fraction must be in [0, 0.5); got {fraction!r}")
    if fraction == 0.0:
        return list(values)
    low, high = _quantile(values, fraction), _quantile(values, 1.0 - fraction)
    return [min(max(v, low), high) for v in values]


def _within_variances(
    counts: Sequence[float], populations: Sequence[float], theta: float, variance: str
) -> list[float]:
    if variance == "poisson":
        return [theta / p for p in populations]
    if variance != "binomial":
        raise ValueError(f"variance must be 'poisson' or 'binomial'; got {variance!r}")
    if any(c > p for c, p in zip(counts, populations, strict=True)):
        raise ValueError("a proportion's numerator exceeds its denominator")
    if theta >= 1.0:
        raise ValueError("every member is at 100%: over-dispersion is undefined")
    return [theta * (1.0 - theta) / p for p in populations]


def overdispersion_limits(
    counts: Sequence[float],
    populations: Sequence[float],
    *,
    multiplier: float = 1000.0,
    z: float = DEFAULT_LINE_Z,
    variance: FunnelVariance = "poisson",
    winsorize: float = WINSORIZE,
) -> OverdispersionLimits:
    """Over-dispersed funnel limits around the weighted rate (Spiegelhalter 2005; §2.4, §9).

    θ = Σcount/Σpopulation; within-force variances s_i² = θ/n_i for rates (``"poisson"``)
    or θ(1 − θ)/n_i for proportions (``"binomial"``: numerators of denominators, such as
    the positive outcome rate or a survey's positive answers). z_i = (y_i − θ)/s_i;
    φ = mean of the z_i² after winsorising them at ``winsorize`` (10%) at each end, so a
    single outlying force does not widen the funnel it is judged against. Multiplicative
    limits θ ± z·√(max(φ, 1)·s_i²). DerSimonian–Laird with the same φ:
    τ² = max(0, (k·φ − (k − 1)) / (Σw − Σw²/Σw)), w_i = 1/s_i²; random-effects limits
    θ ± z·√(s_i² + τ²). With φ ≤ (k − 1)/k both equal the plain funnel. Everything is
    reported per ``multiplier``. ``winsorize=0`` reproduces the unwinsorised V2.2 figures.
    """
    _check_inputs(counts, populations)
    k = len(counts)
    if k < 2:
        raise ValueError("over-dispersion needs at least 2 members")
    theta = math.fsum(counts) / math.fsum(populations)
    if theta <= 0:
        raise ValueError("the group rate is 0: over-dispersion is undefined")
    variances = _within_variances(counts, populations, theta, variance)
    zs = [
        (c / p - theta) / math.sqrt(v)
        for c, p, v in zip(counts, populations, variances, strict=True)
    ]
    sum_z2 = math.fsum(zi * zi for zi in winsorized(zs, winsorize))
    phi = sum_z2 / k
    weights = [1.0 / v for v in variances]
    sw = math.fsum(weights)
    tau2 = max(0.0, (sum_z2 - (k - 1)) / (sw - math.fsum(w * w for w in weights) / sw))
    phi_used = max(phi, 1.0)
    m_half = [z * math.sqrt(phi_used * v) for v in variances]
    r_half = [z * math.sqrt(v + tau2) for v in variances]
    return OverdispersionLimits(
        target=theta * multiplier,
        phi=phi,
        tau=math.sqrt(tau2) * multiplier,
        z_scores=tuple(zs),
        multiplicative_lower=tuple((theta - h) * multiplier for h in m_half),
        multiplicative_upper=tuple((theta + h) * multiplier for h in m_half),
        random_effects_lower=tuple((theta - h) * multiplier for h in r_half),
        random_effects_upper=tuple((theta + h) * multiplier for h in r_half),
        multiplier=multiplier,
        variance=variance,
        winsorize=winsorize,
    )
