"""NHS England "Making Data Count" XmR charts (methods.md §1).

Follows NHSRplotthedots v0.2.2 (``R/ptd_spc_standard.R``, ``R/ptd_calculate_point_type.R``,
``R/ptd_calculate_assurance_type.R``, ``R/geom_ptd_icon.R``), with the MDC November 2023
2-in-3 rule as the default (``two_in_three="nhsr"`` gives the package's older logic), 6 or 7
point trend/shift rules, and an option for ties in trends. Limits are mean ± 2.66 × AMR
(exactly 2.66), near-limit bands mean ± (2 × 2.66 / 3) × AMR, and moving ranges are
screened once at 3.267 × AMR (strict "<") unless ``screen_outliers=False`` (MDC Excel parity).

Deliberate differences from NHSRplotthedots, all documented on the functions: points are
given as a plain sequence (callers split series at gaps; NaN is an error); an all-equal
baseline gives AMR 0 without the NaN that R's screening produces; a point at the end of a
trend followed by a tie that starts another trend keeps its own trend's direction (R labels
it "Decreasing" because it reads the sign of the zero difference).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from pcp_cli.stats.common import InsufficientDataError, check_finite

ImprovementDirection = Literal["increase", "decrease", "neutral"]
TwoInThreeLogic = Literal["mdc2023", "nhsr"]
TrendTies = Literal["break", "ignore"]
PointType = Literal[
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
    "common_cause",
]
VariationIcon = Literal[
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neutral_high",
    "neutral_low",
]
AssuranceIcon = Literal["consistent_pass", "consistent_fail", "inconsistent"]

LIMIT_CONSTANT = 2.66
"""XmR limit constant used by MDC and NHSRplotthedots (not 3/1.128)."""
NEAR_LIMIT_CONSTANT = 2.0 * LIMIT_CONSTANT / 3.0
"""Near-limit ("2 sigma") band constant, 1.773333…"""
SCREEN_CONSTANT = 3.267
"""Moving ranges at or above 3.267 × AMR are dropped before recomputing AMR."""
MIN_POINTS = 5
"""Fewer points than this in a group (or baseline): limits are refused."""
WARN_BELOW_POINTS = 12
"""Fewer baseline points than this: limits are reported with a "trial limits" warning."""

_DIRECTION_SIGN: dict[ImprovementDirection, int] = {"increase": 1, "decrease": -1, "neutral": 0}

POINT_LIMITS: dict[str, pl.DataType | type[pl.DataType]] = {
    "lpl": pl.Float64,
    "upl": pl.Float64,
    "lower_band": pl.Float64,
    "upper_band": pl.Float64,
    "moving_range": pl.Float64,
    "mr_used": pl.Boolean,
}
"""The columns of a point's limits: the process limits, the near-limit bands, the point's
moving range and whether the AMR counted it (``pcp spc`` writes them as they are here)."""

_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "index": pl.Int64,
    "group": pl.Int64,
    "value": pl.Float64,
    "mean": pl.Float64,
    **POINT_LIMITS,
    "relative_to_mean": pl.Int8,
    "outside_limits": pl.Boolean,
    "close_to_limits": pl.Boolean,
    "rule": pl.String,
    "point_type": pl.String,
}


@dataclass(frozen=True, slots=True)
class SpcGroup:
    """Limits of one rebase group; ``start``/``end`` are 0-based positions, end exclusive.

    ``amr_raw`` is the AMR before screening, ``amr`` the one used for the limits;
    ``n_baseline`` points (the first ``fix_after_n_points``, or all) set the limits.
    ``screening_skipped``: screening was asked for but not done, because it would have
    dropped every non-zero moving range (rare events) and left an AMR of 0.
    """

    start: int
    end: int
    n_points: int
    n_baseline: int
    mean: float
    amr: float
    amr_raw: float
    n_mr_screened_out: int
    lpl: float
    upl: float
    lower_band: float
    upper_band: float
    screening_skipped: bool = False


@dataclass(frozen=True, slots=True)
class XmrOptions:
    """How the limits and signals of an XmR chart are found; the defaults are MDC's.

    ``improvement_direction`` is the KPI's ("neutral": no improvement or concern). Limits come
    from each group's first ``fix_after_n_points`` points (all if ``None``) at ± ``limit_constant``
    × AMR (MDC's 2.66; abspc and controlchartspy use 3/1.128), with moving ranges screened
    unless ``screen_outliers`` is false. The rules: a trend of ``trend_length`` points (ties as
    ``trend_ties`` says), 2 in 3 beyond the near-limit band (``two_in_three``: "mdc2023",
    points beyond the limits count; "nhsr", they do not), a shift of ``shift_length`` points
    on one side of the mean. ``target`` gives the assurance icon.
    """

    improvement_direction: ImprovementDirection = "increase"
    screen_outliers: bool = True
    fix_after_n_points: int | None = None
    trend_length: int = 7
    shift_length: int = 7
    two_in_three: TwoInThreeLogic = "mdc2023"
    trend_ties: TrendTies = "break"
    target: float | None = None
    limit_constant: float = LIMIT_CONSTANT


MDC_OPTIONS = XmrOptions()
"""MDC's chart: limits from every point, screened moving ranges, the 2023 2-in-3, runs of 7."""


@dataclass(frozen=True, slots=True)
class SpcSummary:
    """Chart summary: the groups' limits, the options they were found with, the icons.

    The current limits are those of the last group (``current``).
    ``variation`` comes from the last point's type (MDC, not abspc's last special cause);
    ``assurance`` is ``None`` without a target or for direction "neutral".
    """

    n_points: int
    groups: tuple[SpcGroup, ...]
    options: XmrOptions
    variation: VariationIcon
    assurance: AssuranceIcon | None
    warnings: tuple[str, ...]

    @property
    def current(self) -> SpcGroup:
        """The last group: its limits are the chart's current ones."""
        return self.groups[-1]


@dataclass(frozen=True, slots=True)
class SpcResult:
    """Per-point table (``points``) and chart ``summary``.

    ``points`` columns: index (0-based input position), group (0-based rebase group), value,
    mean, lpl, upl, lower_band, upper_band, moving_range (|y_i − y_{i−1}| within the group,
    null at a group's first point), mr_used (the MR counted in the AMR), relative_to_mean
    (−1/0/+1), outside_limits, close_to_limits (NHSRplotthedots definition: beyond a band
    but not beyond a limit), rule (e.g. "Above UCL", "7 Point Trend (Increasing)",
    "2 in 3 Above CL", "7 Points Above CL", "Common Cause") and point_type.
    """

    points: pl.DataFrame
    summary: SpcSummary


# --- rule helpers (public so they can be tested against the R unit vectors) -------------


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _monotone_runs(values: Sequence[float], length: int) -> list[tuple[int, int, int]]:
    """Maximal strictly monotone runs with at least ``length`` points: (start, end, sign)."""
    runs: list[tuple[int, int, int]] = []
    n = len(values)
    i = 1
    while i < n:
        s = _sign(values[i] - values[i - 1])
        if s == 0:
            i += 1
            continue
        j = i
        while j + 1 < n and _sign(values[j + 1] - values[j]) == s:
            j += 1
        start, end = i - 1, j
        if end - start + 1 >= length:
            runs.append((start, end, s))
        i = j + 1
    return runs


def trend_runs(
    values: Sequence[float], length: int = 7, ties: TrendTies = "break"
) -> list[tuple[int, int, int]]:
    """Trends of at least ``length`` points as (first, last, direction), 0-based inclusive.

    ``ties="break"`` (NHSRplotthedots): an equal pair ends a trend. ``ties="ignore"`` (MDC
    guidance): a repeated value neither counts towards nor breaks a trend; a trend then runs
    from the last copy of its first value to the first copy of its last value.
    """
    if length < 3:
        raise ValueError(f"trend length must be at least 3; got {length!r}")
    if ties == "break":
        return _monotone_runs(values, length)
    if ties != "ignore":
        raise ValueError(f"ties must be 'break' or 'ignore'; got {ties!r}")
    kept = [i for i in range(len(values)) if i == 0 or values[i] != values[i - 1]]
    compressed = [values[i] for i in kept]
    out = []
    for cs, ce, s in _monotone_runs(compressed, length):
        out.append((kept[cs + 1] - 1, kept[ce], s))
    return out


def trend_end_flags(
    values: Sequence[float], length: int = 7, ties: TrendTies = "break"
) -> list[int]:
    """+1/−1 at each point that ends an increasing/decreasing trend of ``length`` points.

    Mirrors R's ``ptd_seven_point_trend``: 1..7 gives 0,0,0,0,0,0,1; 1,2,3,3,4,5,6 gives all 0.
    """
    flags = [0] * len(values)
    for start, end, s in trend_runs(values, length, ties):
        if ties == "break":
            for i in range(start + length - 1, end + 1):
                flags[i] = s
        else:
            distinct = 1
            for i in range(start + 1, end + 1):
                if values[i] != values[i - 1]:
                    distinct += 1
                    if distinct >= length:
                        flags[i] = s
    return flags


def _sign_runs(signs: Sequence[int], length: int) -> list[tuple[int, int, int]]:
    runs: list[tuple[int, int, int]] = []
    n = len(signs)
    i = 0
    while i < n:
        j = i
        while j + 1 < n and signs[j + 1] == signs[i]:
            j += 1
        if signs[i] != 0 and j - i + 1 >= length:
            runs.append((i, j, signs[i]))
        i = j + 1
    return runs


def one_side_end_flags(signs: Sequence[int], length: int = 7) -> list[int]:
    """+1/−1 where a run of ``length`` same-side points ends (R ``ptd_seven_point_one_side_mean``).

    A point exactly on the mean (0) breaks the run. Eight +1 then −1 gives 0,0,0,0,0,0,1,1,0.
    """
    if length < 2:
        raise ValueError(f"shift length must be at least 2; got {length!r}")
    flags = [0] * len(signs)
    for start, end, s in _sign_runs(signs, length):
        for i in range(start + length - 1, end + 1):
            flags[i] = s
    return flags


def two_in_three_window_flags(close: Sequence[bool], side: Sequence[int]) -> list[bool]:
    """True for points in a window of 3 consecutive points where at least 2 are ``close`` and
    all 3 are strictly on the same side of the mean (R ``ptd_two_in_three``)."""
    n = len(close)
    if len(side) != n:
        raise ValueError("close and side must be the same length")
    out = [False] * n
    for j in range(n - 2):
        if sum(bool(c) for c in close[j : j + 3]) >= 2 and abs(sum(side[j : j + 3])) == 3:
            out[j] = out[j + 1] = out[j + 2] = True
    return out


def two_in_three_flags(close: Sequence[bool], side: Sequence[int]) -> list[bool]:
    """2-in-3 flags: the ``close`` points of qualifying windows (the third point is not)."""
    window = two_in_three_window_flags(close, side)
    return [w and bool(c) for w, c in zip(window, close, strict=True)]


def point_type_for(rule_sign: int, direction: ImprovementDirection) -> PointType:
    """Point type from a rule's sign (+1 Above/Increasing, −1 Below/Decreasing, 0 common)."""
    d = _DIRECTION_SIGN[direction]
    if d == 0:
        if rule_sign > 0:
            return "special_cause_neutral_high"
        if rule_sign < 0:
            return "special_cause_neutral_low"
        return "common_cause"
    v = rule_sign * d
    if v > 0:
        return "special_cause_improvement"
    if v < 0:
        return "special_cause_concern"
    return "common_cause"


def variation_icon(point_type: PointType, direction: ImprovementDirection) -> VariationIcon:
    """MDC variation icon from the last point's type (``R/geom_ptd_icon.R``)."""
    if point_type == "common_cause":
        return "common_cause"
    if point_type == "special_cause_neutral_high":
        return "neutral_high"
    if point_type == "special_cause_neutral_low":
        return "neutral_low"
    high = direction == "increase"
    if point_type == "special_cause_improvement":
        return "improvement_high" if high else "improvement_low"
    return "concern_low" if high else "concern_high"


def assurance_type(
    lpl: float, upl: float, target: float | None, direction: ImprovementDirection
) -> AssuranceIcon | None:
    """MDC assurance icon (``R/ptd_calculate_assurance_type.R``), strict comparisons.

    Increase: target > UPL is consistent_fail, target < LPL consistent_pass, otherwise
    inconsistent; decrease swaps pass and fail. ``None`` for no target or direction neutral.
    """
    if target is None or direction == "neutral":
        return None
    if target > upl:
        return "consistent_fail" if direction == "increase" else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if direction == "increase" else "consistent_fail"
    return "inconsistent"


# --- chart ---------------------------------------------------------------------------


def _group_limits(
    ys: Sequence[float], start: int, options: XmrOptions
) -> tuple[SpcGroup, list[float | None], list[bool]]:
    fix_after, screen = options.fix_after_n_points, options.screen_outliers
    limit = options.limit_constant
    n = len(ys)
    n_base = n if fix_after is None else min(fix_after, n)
    base = ys[:n_base]
    mean = base[0] if all(v == base[0] for v in base) else math.fsum(base) / n_base
    mrs: list[float | None] = [None] + [abs(ys[i] - ys[i - 1]) for i in range(1, n)]
    base_mrs = [abs(base[i] - base[i - 1]) for i in range(1, n_base)]
    amr_raw = math.fsum(base_mrs) / len(base_mrs)
    used = [False] + [i < n_base for i in range(1, n)]
    amr = amr_raw
    screened_out = 0
    cut = SCREEN_CONSTANT * amr_raw
    kept = [m for m in base_mrs if m < cut]
    # Screening that keeps only zero ranges (a few 1s among 0s) would give an AMR of 0 and
    # call every month special cause: the ranges are then kept as they are.
    skipped = screen and amr_raw > 0 and math.fsum(kept) == 0.0
    if screen and amr_raw > 0 and not skipped:
        screened_out = len(base_mrs) - len(kept)
        amr = math.fsum(kept) / len(kept)
        used = [False] + [i < n_base and base_mrs[i - 1] < cut for i in range(1, n)]
    group = SpcGroup(
        start=start,
        end=start + n,
        n_points=n,
        n_baseline=n_base,
        mean=mean,
        amr=amr,
        amr_raw=amr_raw,
        n_mr_screened_out=screened_out,
        lpl=mean - limit * amr,
        upl=mean + limit * amr,
        lower_band=mean - 2.0 * limit / 3.0 * amr,
        upper_band=mean + 2.0 * limit / 3.0 * amr,
        screening_skipped=skipped,
    )
    return group, mrs, used


def _group_warnings(gi: int, g: SpcGroup, baseline: Sequence[float]) -> list[str]:
    """What the reader must know about a group's limits (short baseline, rare events, ...)."""
    out = []
    if g.n_baseline < WARN_BELOW_POINTS:
        out.append(
            f"group {gi}: limits rest on {g.n_baseline} points (fewer than "
            f"{WARN_BELOW_POINTS}); treat them as trial limits"
        )
    if g.amr_raw == 0:  # only a baseline that really is constant
        out.append(
            f"group {gi}: average moving range is 0 (constant baseline); limits are "
            "degenerate and equal the mean"
        )
    if g.screening_skipped:
        out.append(
            f"group {gi}: moving ranges not screened: screening would drop every non-zero "
            "range and leave an average moving range of 0"
        )
    if g.mean > 0 and sorted(baseline)[len(baseline) // 2] == 0:
        out.append(
            f"group {gi}: most months are 0 (rare events, mean {g.mean:.3g}): every 0 is "
            "below the mean, so runs below it are expected; a chart of the time between "
            "events suits such data better"
        )
    return out


def _group_rules(
    ys: Sequence[float], g: SpcGroup, options: XmrOptions
) -> tuple[list[int], list[bool], list[bool], list[str], list[int]]:
    trend_length, shift_length = options.trend_length, options.shift_length
    n = len(ys)
    side = [_sign(y - g.mean) for y in ys]
    outside = [y > g.upl or y < g.lpl for y in ys]
    beyond_band = [y > g.upper_band or y < g.lower_band for y in ys]
    close = [b and not o for b, o in zip(beyond_band, outside, strict=True)]

    trend_dir = [0] * n
    for first, last, s in trend_runs(ys, trend_length, options.trend_ties):
        for i in range(first, last + 1):
            trend_dir[i] = s  # a later run overwrites: a shared point takes its right side
    counted = beyond_band if options.two_in_three == "mdc2023" else close
    two3 = two_in_three_flags(counted, side)
    shift = [0] * n
    for first, last, s in _sign_runs(side, shift_length):
        for i in range(first, last + 1):
            shift[i] = s

    rules: list[str] = []
    signs: list[int] = []
    for i in range(n):
        word = "Above" if side[i] > 0 else "Below"
        if outside[i]:
            rules.append("Above UCL" if side[i] > 0 else "Below LCL")
            signs.append(1 if side[i] > 0 else -1)
        elif trend_dir[i]:
            way = "Increasing" if trend_dir[i] > 0 else "Decreasing"
            rules.append(f"{trend_length} Point Trend ({way})")
            signs.append(trend_dir[i])
        elif two3[i]:
            rules.append(f"2 in 3 {word} CL")
            signs.append(side[i])
        elif shift[i]:
            rules.append(f"{shift_length} Points {word} CL")
            signs.append(shift[i])
        else:
            rules.append("Common Cause")
            signs.append(0)
    return side, outside, close, rules, signs


def _append_points(
    cols: dict[str, list[object]],
    gi: int,
    start: int,
    ys: Sequence[float],
    g: SpcGroup,
    ranges: tuple[list[float | None], list[bool]],
    ruled: tuple[list[int], list[bool], list[bool], list[str], list[int]],
    direction: ImprovementDirection,
) -> None:
    """Add one group's points to the column lists of the per-point table."""
    mrs, used = ranges
    side, outside, close, rules, signs = ruled
    for k, y in enumerate(ys):
        row: dict[str, object] = {
            "index": start + k,
            "group": gi,
            "value": y,
            "mean": g.mean,
            "lpl": g.lpl,
            "upl": g.upl,
            "lower_band": g.lower_band,
            "upper_band": g.upper_band,
            "moving_range": mrs[k],
            "mr_used": used[k],
            "relative_to_mean": side[k],
            "outside_limits": outside[k],
            "close_to_limits": close[k],
            "rule": rules[k],
            "point_type": point_type_for(signs[k], direction),
        }
        for key, value in row.items():
            cols[key].append(value)


def _check_options(options: XmrOptions) -> None:
    if options.improvement_direction not in _DIRECTION_SIGN:
        raise ValueError(
            "improvement_direction must be 'increase', 'decrease' or 'neutral'; "
            f"got {options.improvement_direction!r}"
        )
    if options.two_in_three not in ("mdc2023", "nhsr"):
        raise ValueError(f"two_in_three must be 'mdc2023' or 'nhsr'; got {options.two_in_three!r}")
    if options.trend_ties not in ("break", "ignore"):
        raise ValueError(f"trend_ties must be 'break' or 'ignore'; got {options.trend_ties!r}")
    if options.trend_length < 3 or options.shift_length < 3:
        raise ValueError("trend_length and shift_length must be at least 3 (MDC: 7, or 6)")
    fix_after = options.fix_after_n_points
    if fix_after is not None and fix_after < MIN_POINTS:
        raise ValueError(
            f"fix_after_n_points must be at least {MIN_POINTS} (MDC uses 12 to 20); "
            f"got {fix_after!r}"
        )
    limit = options.limit_constant
    if not (math.isfinite(limit) and limit > 0):
        raise ValueError(f"limit_constant must be > 0; got {limit!r}")


def _group_bounds(n: int, rebase_at: Sequence[int]) -> list[tuple[int, int]]:
    starts = {0}
    for r in rebase_at:
        if isinstance(r, bool) or int(r) != r or not 0 <= r < n:
            raise ValueError(f"rebase position {r!r} is not a 0-based position in 0..{n - 1}")
        starts.add(int(r))
    ordered = sorted(starts)
    return list(zip(ordered, [*ordered[1:], n], strict=True))


def xmr_analysis(
    values: Sequence[float], options: XmrOptions = MDC_OPTIONS, *, rebase_at: Sequence[int] = ()
) -> SpcResult:
    """The MDC XmR analysis of ``values`` (in time order, no gaps, no NaN): limits and each
    point's signal, found as ``options`` says; drawing is :mod:`pcp_cli.charts`.

    Each rebase group (new groups start at the 0-based positions in ``rebase_at``) gets its
    own limits from its first ``fix_after_n_points`` points (all if ``None``). Each point
    gets one rule label, first match wins: outside limits; trend of ``trend_length``;
    2 in 3 beyond the near-limit band on one side; ``shift_length`` points on one side of
    the mean. The near-limit bands are always 2/3 of the limits.

    Raises ``ValueError`` for NaN/infinite values, a group shorter than 5 points or invalid
    options. Warns (in ``summary.warnings``) when a group's limits rest on fewer than 12
    points and when AMR is 0 (degenerate limits).
    """
    _check_options(options)
    ys = check_finite(values)
    n = len(ys)
    if n < MIN_POINTS:
        raise InsufficientDataError(f"an XmR chart needs at least {MIN_POINTS} points; got {n}")
    bounds = _group_bounds(n, rebase_at)
    warnings: list[str] = []
    groups: list[SpcGroup] = []
    cols: dict[str, list[object]] = {k: [] for k in _SCHEMA}
    direction = options.improvement_direction
    for gi, (a, b) in enumerate(bounds):
        gy = ys[a:b]
        if len(gy) < MIN_POINTS:
            raise InsufficientDataError(
                f"rebase group {gi} (positions {a}..{b - 1}) has {len(gy)} points; "
                f"at least {MIN_POINTS} are needed for limits"
            )
        g, mrs, used = _group_limits(gy, a, options)
        groups.append(g)
        warnings += _group_warnings(gi, g, gy[: g.n_baseline])
        ruled = _group_rules(gy, g, options)
        _append_points(cols, gi, a, gy, g, (mrs, used), ruled, direction)
    points = pl.DataFrame(cols, schema=_SCHEMA)
    last_type: PointType = points["point_type"][-1]
    last = groups[-1]
    variation = variation_icon(last_type, direction)
    assurance = assurance_type(last.lpl, last.upl, options.target, direction)
    summary = SpcSummary(n, tuple(groups), options, variation, assurance, tuple(warnings))
    return SpcResult(points=points, summary=summary)
