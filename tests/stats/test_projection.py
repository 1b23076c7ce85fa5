"""Tests for pcp_cli.stats.projection against methods.md §6 (V6)."""

from __future__ import annotations

import pytest

from pcp_cli.stats.common import InsufficientDataError
from pcp_cli.stats.projection import (
    count_rag,
    fit_linear_trend,
    fit_poisson_trend,
    probability_of_meeting,
    project,
    projects_achievement,
    sum_projection,
    theil_sen_trend,
    time_to_reach,
)

ABS = 1e-6
Y = [120.0, 118, 125, 110, 115, 108, 112, 105, 109, 100, 104, 98]


def test_fit_v6() -> None:
    f = fit_linear_trend(Y)
    assert f.intercept == pytest.approx(123.3787879, abs=ABS)
    assert f.se_intercept == pytest.approx(2.3888922, abs=ABS)
    assert f.slope == pytest.approx(-2.0069930, abs=ABS)
    assert f.se_slope == pytest.approx(0.3245865, abs=ABS)
    assert f.p_slope == pytest.approx(1.037e-04, abs=1e-7)
    assert f.r_squared == pytest.approx(0.7926702, abs=ABS)
    assert f.sigma == pytest.approx(3.8814904, abs=ABS)
    assert f.df == 10


@pytest.mark.parametrize(
    ("h", "value", "mean_ci", "pi", "p_meet"),
    [
        (13, 97.287879, (91.965095, 102.610662), (87.132655, 107.443102), 0.313275),
        (18, 87.252914, (78.569207, 95.936621), (74.997168, 99.508660), 0.905339),
        (24, 75.210956, None, (59.679874, 90.742037), 0.991211),
    ],
)
def test_projection_v6(
    h: int,
    value: float,
    mean_ci: tuple[float, float] | None,
    pi: tuple[float, float],
    p_meet: float,
) -> None:
    f = fit_linear_trend(Y)
    p = project(f, h)
    assert p.value == pytest.approx(value, abs=ABS)
    if mean_ci is not None:
        assert p.mean_lower == pytest.approx(mean_ci[0], abs=ABS)
        assert p.mean_upper == pytest.approx(mean_ci[1], abs=ABS)
    assert p.pred_lower == pytest.approx(pi[0], abs=ABS)
    assert p.pred_upper == pytest.approx(pi[1], abs=ABS)
    assert probability_of_meeting(f, h, 95.0, "at-most") == pytest.approx(p_meet, abs=ABS)
    assert probability_of_meeting(f, h, 95.0, "at-least") == pytest.approx(1 - p_meet, abs=ABS)


def test_reach_and_sum_v6() -> None:
    f = fit_linear_trend(Y)
    assert time_to_reach(f, 95.0) == pytest.approx(14.139954, abs=ABS)
    assert sum_projection(f, 13, 18) == pytest.approx(553.622378, abs=ABS)
    assert sum_projection(f, 13, 18) == pytest.approx(
        sum(project(f, h).value for h in range(13, 19)), abs=1e-9
    )


def test_projects_achievement() -> None:
    f = fit_linear_trend(Y)
    assert not projects_achievement(f, 13, 95.0)
    assert projects_achievement(f, 15, 95.0)
    assert projects_achievement(f, 13, 95.0, "at-least")


def test_theil_sen_v6() -> None:
    ts = theil_sen_trend(Y)
    assert ts.slope == pytest.approx(-2.0, abs=ABS)
    assert ts.slope_lower == pytest.approx(-2.666667, abs=ABS)
    assert ts.slope_upper == pytest.approx(-1.285714, abs=ABS)
    assert ts.intercept == pytest.approx(122.5, abs=ABS)
    assert ts.kendall_tau == pytest.approx(-0.757576, abs=ABS)
    assert ts.kendall_p == pytest.approx(0.000240, abs=ABS)


def test_poisson_glm_v6() -> None:
    g = fit_poisson_trend(Y)
    assert g.slope == pytest.approx(-0.0182048, abs=ABS)
    assert g.rate_ratio == pytest.approx(0.981960, abs=ABS)
    assert g.predict(18) == pytest.approx(89.315640, abs=ABS)


def test_too_few_points() -> None:
    with pytest.raises(InsufficientDataError, match="at least 6"):
        fit_linear_trend(Y[:5])
    with pytest.raises(ValueError, match="at least 6"):
        fit_linear_trend(Y[:5])


def test_negative_projection_warns() -> None:
    f = fit_linear_trend([50.0, 40, 30, 20, 10, 5])
    assert project(f, 12).warnings == ("projection is negative",)


def test_flat_line_never_reaches() -> None:
    assert time_to_reach(fit_linear_trend([5.0] * 6), 4.0) is None


@pytest.mark.parametrize(
    ("improved", "projects", "rag"),
    [(True, True, "GREEN"), (False, True, "AMBER"), (False, False, "RED"), (True, False, "AMBER")],
)
def test_count_rag(improved: bool, projects: bool, rag: str) -> None:
    assert count_rag(improved, projects) == rag
