"""Tests for pcp_cli.stats.spc against methods.md §1.9 (V1.1–V1.4)."""

from __future__ import annotations

import math

import polars as pl
import pytest

from pcp_cli.stats.common import InsufficientDataError
from pcp_cli.stats.spc import (
    XmrOptions,
    assurance_type,
    one_side_end_flags,
    point_type_for,
    trend_end_flags,
    trend_runs,
    two_in_three_flags,
    two_in_three_window_flags,
    variation_icon,
    xmr_analysis,
)

ABS = 1e-6

# R: set.seed(123); rnorm(20)
RNORM = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621,
    -1.26506123, -0.68685285, -0.44566197, 1.22408180, 0.35981383, 0.40077145,
    0.11068272, -0.55584113, 1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip
RNORM_15_IS_10 = [*RNORM[:14], 10.0, *RNORM[15:]]
V12 = [1.0, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def labels(values: list[float], **kwargs: object) -> list[str]:
    return list(xmr_analysis(values, XmrOptions(**kwargs)).points["rule"])  # type: ignore[arg-type]


def types(values: list[float], **kwargs: object) -> list[str]:
    return list(xmr_analysis(values, XmrOptions(**kwargs)).points["point_type"])  # type: ignore[arg-type]


# --- V1.1 limits (NHSRplotthedots snapshot) ---------------------------------------------


@pytest.mark.parametrize(
    ("values", "kwargs", "mean", "amr", "amr_raw", "lpl", "upl"),
    [
        (RNORM, {}, 0.1416238, 1.1853396, 1.1853396, -3.0113796, 3.2946272),
        (RNORM_15_IS_10, {}, 0.6694159, 1.1477750, 1.9797147, -2.3836656, 3.7224973),
        (
            RNORM_15_IS_10, {"screen_outliers": False}, 0.6694159, 1.9797147, 1.9797147,
            -4.5966252, 5.9354569,
        ),
        (
            RNORM, {"fix_after_n_points": 12}, 0.1941793, 1.0532252, None, -2.6073998,
            2.9957585,
        ),
    ],
)  # fmt: skip
def test_limits_v11(
    values: list[float],
    kwargs: dict[str, object],
    mean: float,
    amr: float,
    amr_raw: float | None,
    lpl: float,
    upl: float,
) -> None:
    s = xmr_analysis(values, XmrOptions(**kwargs)).summary  # type: ignore[arg-type]
    assert s.current.mean == pytest.approx(mean, abs=ABS)
    assert s.current.amr == pytest.approx(amr, abs=ABS)
    if amr_raw is not None:
        assert s.current.amr_raw == pytest.approx(amr_raw, abs=ABS)
    assert s.current.lpl == pytest.approx(lpl, abs=ABS)
    assert s.current.upl == pytest.approx(upl, abs=ABS)


def test_near_limit_bands_v11() -> None:
    r = xmr_analysis(RNORM)
    g = r.summary.groups[0]
    assert g.lower_band == pytest.approx(-1.9603785, abs=ABS)
    assert g.upper_band == pytest.approx(2.2436261, abs=ABS)
    assert r.points["lower_band"].to_list() == [g.lower_band] * 20


def test_screening_drops_the_big_moving_ranges() -> None:
    r = xmr_analysis(RNORM_15_IS_10)
    g = r.summary.groups[0]
    assert g.n_mr_screened_out == 2
    used = r.points["mr_used"].to_list()
    assert used[0] is False  # no MR at the first point
    assert used[14] is False
    assert used[15] is False
    assert sum(used) == 17


def test_fixed_baseline_applies_limits_to_later_points() -> None:
    r = xmr_analysis(RNORM, XmrOptions(fix_after_n_points=12))
    assert r.summary.groups[0].n_baseline == 12
    assert r.points["upl"].n_unique() == 1
    assert r.points["mr_used"].to_list()[12:] == [False] * 8
    assert not any("trial limits" in w for w in r.summary.warnings)


# --- V1.2 (vignettes/deviations.Rmd) ------------------------------------------------------


def test_v12_screened() -> None:
    r = xmr_analysis(V12)
    s = r.summary
    assert s.current.mean == pytest.approx(1.9444444, abs=ABS)
    assert s.current.amr == pytest.approx(1.0, abs=ABS)
    assert s.current.amr_raw == pytest.approx(1.8823529, abs=ABS)
    assert s.current.lpl == pytest.approx(-0.7155556, abs=ABS)
    assert s.current.upl == pytest.approx(4.6044444, abs=ABS)
    rules = r.points["rule"].to_list()
    assert rules[4] == "Above UCL"
    assert rules.count("Common Cause") == 17
    assert r.points["point_type"][4] == "special_cause_improvement"


def test_v12_not_screened() -> None:
    r = xmr_analysis(V12, XmrOptions(screen_outliers=False))
    s = r.summary
    assert s.current.amr == pytest.approx(1.8823529, abs=ABS)
    assert s.current.lpl == pytest.approx(-3.0626144, abs=ABS)
    assert s.current.upl == pytest.approx(6.9515033, abs=ABS)
    assert r.points["rule"][4] == "Above UCL"
    assert not s.options.screen_outliers


def test_v12_controlchartspy_constant() -> None:
    s = xmr_analysis(V12, XmrOptions(limit_constant=3 / 1.128)).summary
    assert s.current.amr == pytest.approx(1.0, abs=ABS)
    assert s.current.lpl == pytest.approx(-0.7151300, abs=ABS)
    assert s.current.upl == pytest.approx(4.6040189, abs=ABS)


# --- V1.3 rules -------------------------------------------------------------------------

T7I = "7 Point Trend (Increasing)"
T7D = "7 Point Trend (Decreasing)"


def test_v13_increasing_trend_issue_167() -> None:
    y = [float(i) for i in range(8)]
    r = xmr_analysis(y)
    s = r.summary
    assert [s.current.mean, s.current.amr] == pytest.approx([3.5, 1.0], abs=ABS)
    assert s.current.lpl == pytest.approx(0.84, abs=ABS)
    assert s.current.upl == pytest.approx(6.16, abs=ABS)
    assert labels(y) == ["Below LCL"] + [T7I] * 6 + ["Above UCL"]
    assert types(y) == ["special_cause_concern"] + ["special_cause_improvement"] * 7


def test_v13_decreasing_trend() -> None:
    y = [-float(i) for i in range(8)]
    s = xmr_analysis(y).summary
    assert s.current.mean == pytest.approx(-3.5, abs=ABS)
    assert s.current.lpl == pytest.approx(-6.16, abs=ABS)
    assert s.current.upl == pytest.approx(-0.84, abs=ABS)
    assert labels(y) == ["Above UCL"] + [T7D] * 6 + ["Below LCL"]
    assert types(y) == ["special_cause_improvement"] + ["special_cause_concern"] * 7


def test_v13_up_then_down_issue_200() -> None:
    y = [float(v) for v in [*range(8), 6, 5, 4, 3, 2, 1]]
    s = xmr_analysis(y).summary
    assert s.current.mean == pytest.approx(3.5, abs=ABS)
    assert s.current.amr == pytest.approx(1.0, abs=ABS)
    assert labels(y) == ["Below LCL"] + [T7I] * 6 + ["Above UCL"] + [T7D] * 6


def test_v13_close_points_on_opposite_sides() -> None:
    y = [1.0, -1.0] * 8
    y[14], y[15] = 5.5, -5.5
    r = xmr_analysis(y)
    g = r.summary.groups[0]
    assert g.mean == pytest.approx(0.0, abs=ABS)
    assert g.amr == pytest.approx(2.3214286, abs=ABS)
    assert g.amr_raw == pytest.approx(2.9, abs=ABS)
    assert [g.lpl, g.upl] == pytest.approx([-6.175, 6.175], abs=ABS)
    assert g.upper_band == pytest.approx(4.1166667, abs=ABS)
    assert g.lower_band == pytest.approx(-4.1166667, abs=ABS)
    assert r.points["close_to_limits"].to_list()[14:] == [True, True]
    assert set(labels(y)) == {"Common Cause"}
    assert set(labels(y, two_in_three="nhsr")) == {"Common Cause"}


def test_v13_shift() -> None:
    y = [10.0, 11, 9, 10, 12, 9, 11, 10, 9, 11, 10, 12, 13, 12, 13, 14, 12, 13, 12]
    s = xmr_analysis(y).summary
    assert s.current.mean == pytest.approx(11.2105263, abs=ABS)
    assert s.current.amr == pytest.approx(1.4444444, abs=ABS)
    assert s.current.lpl == pytest.approx(7.3683041, abs=ABS)
    assert s.current.upl == pytest.approx(15.0527485, abs=ABS)
    assert labels(y) == ["Common Cause"] * 11 + ["7 Points Above CL"] * 8
    assert types(y, improvement_direction="increase")[11:] == ["special_cause_improvement"] * 8
    assert types(y, improvement_direction="decrease")[11:] == ["special_cause_concern"] * 8


def test_v13_two_in_three() -> None:
    y = [10.0, 11] * 8 + [12.8, 11, 12.8]
    r = xmr_analysis(y)
    g = r.summary.groups[0]
    assert g.mean == pytest.approx(10.7684211, abs=ABS)
    assert g.amr == pytest.approx(1.1333333, abs=ABS)
    assert g.lpl == pytest.approx(7.7537544, abs=ABS)
    assert g.upl == pytest.approx(13.7830877, abs=ABS)
    assert g.upper_band == pytest.approx(12.7781988, abs=ABS)
    expected = ["Common Cause"] * 16 + ["2 in 3 Above CL", "Common Cause", "2 in 3 Above CL"]
    assert labels(y) == expected
    assert labels(y, two_in_three="nhsr") == expected
    neutral = types(y, improvement_direction="neutral")
    assert neutral[16] == neutral[18] == "special_cause_neutral_high"
    assert neutral[17] == "common_cause"


def test_v13_two_in_three_mdc2023_vs_older_logic() -> None:
    y = [10.0, 11] * 8 + [12.9, 15.0, 10.5]
    g = xmr_analysis(y).summary.groups[0]
    assert g.mean == pytest.approx(10.8631579, abs=ABS)
    assert g.amr == pytest.approx(1.1176471, abs=ABS)
    assert g.lpl == pytest.approx(7.8902170, abs=ABS)
    assert g.upl == pytest.approx(13.8360993, abs=ABS)
    assert g.upper_band == pytest.approx(12.8451190, abs=ABS)
    older = labels(y, two_in_three="nhsr")
    assert older[16:] == ["Common Cause", "Above UCL", "Common Cause"]
    assert older[:16] == ["Common Cause"] * 16
    mdc = labels(y)  # mdc2023 is the default
    assert mdc[16:] == ["2 in 3 Above CL", "Above UCL", "Common Cause"]


# --- V1.3 unit-level vectors (R tests) ------------------------------------------------------


def test_trend_detector_unit() -> None:
    assert trend_end_flags([1, 2, 3, 4, 5, 6, 7]) == [0, 0, 0, 0, 0, 0, 1]
    assert trend_end_flags([7, 6, 5, 4, 3, 2, 1]) == [0, 0, 0, 0, 0, 0, -1]
    assert trend_end_flags([1, 2, 3, 3, 4, 5, 6]) == [0] * 7
    assert trend_end_flags([1, 2, 3, 4, 5, 6]) == [0] * 6


def test_one_side_detector_unit() -> None:
    assert one_side_end_flags([1] * 8 + [-1]) == [0, 0, 0, 0, 0, 0, 1, 1, 0]
    assert one_side_end_flags([1, 1, 1, 0, 1, 1, 1, 1]) == [0] * 8


def test_two_in_three_detector_unit() -> None:
    close = [False, False, True, True, False, False, False]
    assert two_in_three_window_flags(close, [1] * 7) == [0, 1, 1, 1, 1, 0, 0]
    assert two_in_three_window_flags(close, [1, 1, 1, -1, 1, 1, 1]) == [0] * 7


def test_two_in_three_final_flags_unit() -> None:
    close = [True, False, False, True, True]
    assert two_in_three_flags(close, [1] * 5) == [0, 0, 0, 1, 1]


# --- options ---------------------------------------------------------------------------


def test_ties_option() -> None:
    y = [1.0, 2, 3, 3, 4, 5, 6, 7]
    assert trend_runs(y, 7) == []
    assert trend_runs(y, 7, "ignore") == [(0, 7, 1)]
    assert trend_end_flags(y, 7, "ignore") == [0] * 7 + [1]
    # repeats at either end are not part of the trend
    assert trend_runs([1.0, 1, 2, 3, 4, 5, 6, 7, 7], 7, "ignore") == [(1, 7, 1)]


def test_six_point_rules() -> None:
    assert trend_end_flags([1, 2, 3, 4, 5, 6], 6) == [0, 0, 0, 0, 0, 1]
    base = [0.0, 20.0] * 5
    y = [*base, 7, 8, 9, 10, 11, 12, 2.0]
    assert "6 Point Trend (Increasing)" in labels(y, trend_length=6)
    assert "7 Point Trend (Increasing)" not in labels(y)
    s = [*[20.0, 0.0] * 5, 12.0, 12.5, 12.0, 12.5, 12.0, 12.5, 2.0]
    assert labels(s, shift_length=6)[10:16] == ["6 Points Above CL"] * 6
    assert labels(s, shift_length=6)[9] == labels(s, shift_length=6)[16] == "Common Cause"
    assert "Points Above CL" not in "".join(labels(s))


def test_shared_trend_point_takes_the_right_hand_direction() -> None:
    y = [0.0, 20, 0, 20, 0, 20, 0, 20, 7, 8, 9, 10, 11, 12, 13, 12, 11, 10, 9, 8, 7]
    rules = labels(y)
    assert rules[8:14] == [T7I] * 6
    assert rules[14] == T7D  # the peak belongs to both trends
    assert rules[15:] == [T7D] * 6


def test_trend_end_keeps_its_direction() -> None:
    y = [0.0, 20, 0, 20, 0, 20, 0, 20, 7, 8, 9, 10, 11, 12, 13, 9]
    rules = labels(y)
    assert rules[8:15] == [T7I] * 7
    assert rules[15] == "Common Cause"


def test_rebase_groups_are_independent() -> None:
    y = [10.0, 12, 11, 13, 10, 12, 30, 32, 31, 33, 30, 32]
    r = xmr_analysis(y, rebase_at=[6])
    g0, g1 = r.summary.groups
    assert (g0.start, g0.end, g1.start, g1.end) == (0, 6, 6, 12)
    assert g0.mean == pytest.approx(68 / 6)
    assert g1.mean == pytest.approx(188 / 6)
    assert g0.amr == pytest.approx((2 + 1 + 2 + 3 + 2) / 5)
    assert r.points["group"].to_list() == [0] * 6 + [1] * 6
    assert r.points["moving_range"][6] is None  # no MR across the rebase
    assert set(r.points["rule"].to_list()) == {"Common Cause"}
    assert r.summary.current.mean == g1.mean
    # without the rebase the jump is special cause
    assert "Common Cause" not in set(labels(y)[6:])


def test_rebase_with_fixed_baseline() -> None:
    y = [10.0, 12, 11, 13, 10, 12, 11, 30, 32, 31, 33, 30, 32, 50]
    r = xmr_analysis(y, XmrOptions(fix_after_n_points=5), rebase_at=[7])
    g0, g1 = r.summary.groups
    assert g0.n_baseline == g1.n_baseline == 5
    assert g1.mean == pytest.approx((30 + 32 + 31 + 33 + 30) / 5)
    assert r.points["rule"][-1] == "Above UCL"


def test_rebase_validation() -> None:
    with pytest.raises(ValueError, match="rebase position"):
        xmr_analysis(RNORM, rebase_at=[20])
    with pytest.raises(InsufficientDataError, match="rebase group 1"):
        xmr_analysis(RNORM, rebase_at=[17])


# --- point types, icons, assurance ------------------------------------------------------


def test_point_type_mapping() -> None:
    assert point_type_for(1, "increase") == "special_cause_improvement"
    assert point_type_for(-1, "increase") == "special_cause_concern"
    assert point_type_for(1, "decrease") == "special_cause_concern"
    assert point_type_for(-1, "decrease") == "special_cause_improvement"
    assert point_type_for(1, "neutral") == "special_cause_neutral_high"
    assert point_type_for(-1, "neutral") == "special_cause_neutral_low"
    assert point_type_for(0, "increase") == "common_cause"


@pytest.mark.parametrize(
    ("point_type", "direction", "icon"),
    [
        ("common_cause", "increase", "common_cause"),
        ("special_cause_improvement", "increase", "improvement_high"),
        ("special_cause_improvement", "decrease", "improvement_low"),
        ("special_cause_concern", "increase", "concern_low"),
        ("special_cause_concern", "decrease", "concern_high"),
        ("special_cause_neutral_high", "neutral", "neutral_high"),
        ("special_cause_neutral_low", "neutral", "neutral_low"),
    ],
)
def test_variation_icon(point_type: str, direction: str, icon: str) -> None:
    assert variation_icon(point_type, direction) == icon  # type: ignore[arg-type]


def test_variation_icon_uses_last_point() -> None:
    y = [float(i) for i in range(8)]
    assert xmr_analysis(y).summary.variation == "improvement_high"
    decrease = XmrOptions(improvement_direction="decrease")
    assert xmr_analysis(y, decrease).summary.variation == "concern_high"
    # a special cause earlier but a common-cause last point: common_cause (not abspc's rule)
    assert xmr_analysis(V12).summary.variation == "common_cause"


@pytest.mark.parametrize(
    ("lpl", "upl", "increase", "decrease"),
    [
        (1, 3, "consistent_fail", "consistent_pass"),
        (5, 7, "consistent_pass", "consistent_fail"),
        (1, 5, "inconsistent", "inconsistent"),
    ],
)
def test_assurance_v14(lpl: float, upl: float, increase: str, decrease: str) -> None:
    assert assurance_type(lpl, upl, 4, "increase") == increase
    assert assurance_type(lpl, upl, 4, "decrease") == decrease
    assert assurance_type(lpl, upl, 4, "neutral") is None


def test_assurance_strict_and_from_last_group() -> None:
    assert assurance_type(1, 4, 4, "increase") == "inconsistent"
    assert assurance_type(4, 7, 4, "decrease") == "inconsistent"
    assert assurance_type(1, 3, None, "increase") is None
    y = [10.0, 12, 11, 13, 10, 12, 30, 32, 31, 33, 30, 32]
    s = xmr_analysis(y, XmrOptions(target=20.0), rebase_at=[6]).summary
    assert s.assurance == "consistent_pass"  # target below the latest group's LPL


# --- validation and warnings ------------------------------------------------------------


def test_nan_is_refused() -> None:
    with pytest.raises(ValueError, match="missing"):
        xmr_analysis([1.0, 2.0, math.nan, 3.0, 4.0, 5.0])


def test_fewer_than_five_points_refused() -> None:
    with pytest.raises(ValueError, match="at least 5"):
        xmr_analysis([1.0, 2.0, 3.0, 4.0])
    assert xmr_analysis([1.0, 2.0, 3.0, 2.0, 1.0]).summary.n_points == 5


def test_short_series_warns() -> None:
    assert any("trial limits" in w for w in xmr_analysis(RNORM[:11]).summary.warnings)
    assert xmr_analysis(RNORM[:12]).summary.warnings == ()


def test_constant_series_is_degenerate_but_quiet() -> None:
    r = xmr_analysis([5.1] * 15)
    s = r.summary
    assert s.current.amr == 0.0
    assert s.current.lpl == s.current.upl == s.current.mean == 5.1
    assert any("degenerate" in w for w in s.warnings)
    assert set(r.points["rule"].to_list()) == {"Common Cause"}


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="improvement_direction"):
        xmr_analysis(RNORM, XmrOptions(improvement_direction="up"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="two_in_three"):
        xmr_analysis(RNORM, XmrOptions(two_in_three="2019"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fix_after_n_points"):
        xmr_analysis(RNORM, XmrOptions(fix_after_n_points=3))


def test_points_frame_schema() -> None:
    df = xmr_analysis(RNORM).points
    assert df.columns == [
        "index", "group", "value", "mean", "lpl", "upl", "lower_band", "upper_band",
        "moving_range", "mr_used", "relative_to_mean", "outside_limits", "close_to_limits",
        "rule", "point_type",
    ]  # fmt: skip
    assert df.height == 20
    assert df["index"].to_list() == list(range(20))
    assert df.schema["relative_to_mean"] == pl.Int8
    assert df["moving_range"][1] == pytest.approx(abs(RNORM[1] - RNORM[0]))


def test_rare_events_are_not_screened_to_a_zero_amr_issue_11() -> None:
    # 24 months of 0 with two 1s: the four non-zero ranges (1 each, AMR 4/23) are all at or
    # above 3.267 × AMR, so screening would leave AMR 0, limits 0.083 to 0.083 and every
    # month special cause. Screening is skipped, said, and no "constant" warning is given.
    y = [0.0] * 24
    y[5] = y[17] = 1.0
    r = xmr_analysis(y)
    g = r.summary.groups[0]
    assert g.screening_skipped is True
    assert g.n_mr_screened_out == 0
    assert g.amr == g.amr_raw == pytest.approx(4 / 23)
    assert g.mean == pytest.approx(2 / 24)
    assert g.upl == pytest.approx(2 / 24 + 2.66 * 4 / 23)
    assert g.lpl < 0 < g.upl
    warnings = r.summary.warnings
    assert any("not screened" in w and "average moving range of 0" in w for w in warnings)
    assert not any("constant baseline" in w for w in warnings)
    assert any("rare events" in w for w in warnings)
    rules = r.points["rule"].to_list()
    assert rules[5] == rules[17] == "Above UCL"
    assert rules[0] == rules[23] == "Common Cause"
    assert all(r.points["mr_used"][1:])  # every range counts in the AMR


def test_screening_still_applies_when_some_ranges_remain() -> None:
    y = [10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 40.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0]
    g = xmr_analysis(y).summary.groups[0]
    assert g.screening_skipped is False
    assert g.n_mr_screened_out == 2
    assert g.amr == pytest.approx(1.0)


def test_constant_baseline_warning_only_when_constant() -> None:
    assert any("constant baseline" in w for w in xmr_analysis([0.0] * 12).summary.warnings)
    not_constant = xmr_analysis([0.0] * 11 + [1.0])
    assert not any("constant baseline" in w for w in not_constant.summary.warnings)
