"""Tests for pcp_cli.stats.intervals against methods.md §3.2–3.3 (V3.1, V3.2)."""

from __future__ import annotations

import math

import pytest
from scipy.stats import chi2

from pcp_cli.stats.intervals import (
    byars_interval,
    byars_lower,
    exact_poisson_interval,
    rate_interval,
    wilson_interval,
)

ABS = 1e-6

# V3.1: x, n, 95% lower, 95% upper, 99.8% lower, 99.8% upper
WILSON = [
    (65, 100, 0.5525444330, 0.7363575176, 0.4954946574, 0.7783540614),
    (1045, 5000, 0.1979554988, 0.2204913037, 0.1917938180, 0.2273156290),
    (0.445, 1, 0.0438174477, 0.9334621277, 0.0193470061, 0.9702259947),
    (1, 100, 0.0017674321, 0.0544861962, 0.0008730657, 0.1045544528),
    (96, 105, 0.845077, 0.954251, 0.791851, 0.967646),
    (0, 105, 0, 0.035294, 0, 0.083366),
    (105, 105, 0.964706, 1, 0.916634, 1),
]


@pytest.mark.parametrize(("x", "n", "lo95", "hi95", "lo998", "hi998"), WILSON)
def test_wilson_v31(
    x: float, n: float, lo95: float, hi95: float, lo998: float, hi998: float
) -> None:
    ci95 = wilson_interval(x, n)
    ci998 = wilson_interval(x, n, 0.998)
    assert ci95.lower == pytest.approx(lo95, abs=ABS)
    assert ci95.upper == pytest.approx(hi95, abs=ABS)
    assert ci998.lower == pytest.approx(lo998, abs=ABS)
    assert ci998.upper == pytest.approx(hi998, abs=ABS)


def test_wilson_exact_edges() -> None:
    assert wilson_interval(0, 105).lower == 0.0
    assert wilson_interval(105, 105).upper == 1.0
    assert wilson_interval(0, 105, 0.998).lower == 0.0
    assert wilson_interval(105, 105, 0.998).upper == 1.0


def test_wilson_multiplier_and_full_confidence() -> None:
    ci = wilson_interval(65, 100, multiplier=100)
    assert ci.lower == pytest.approx(55.25444330, abs=1e-6)
    assert ci.upper == pytest.approx(73.63575176, abs=1e-6)
    full = wilson_interval(3, 10, 1.0)
    assert (full.lower, full.upper) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("x", "n", "match"),
    [(-1, 10, "x must be >= 0"), (1, 0, "n must be > 0"), (11, 10, "must not exceed")],
)
def test_wilson_errors(x: float, n: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        wilson_interval(x, n)


def test_wilson_bad_confidence() -> None:
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 10, 95)


# V3.2 Byar's on a count: x, 95% lower, 95% upper, 99.8% lower (None = NA), 99.8% upper
BYARS = [
    (65, 50.1631877105, 82.8491385459, 42.8802614715, 94.0002908443),
    (1045, 982.5932018073, 1110.3312129856, 947.9407035610, 1148.8061609880),
    (1, 0.0130721329, 5.5637555825, None, 9.3621802179),
]


@pytest.mark.parametrize(("x", "lo95", "hi95", "lo998", "hi998"), BYARS)
def test_byars_v32(x: float, lo95: float, hi95: float, lo998: float | None, hi998: float) -> None:
    ci95 = byars_interval(x)
    ci998 = byars_interval(x, 0.998)
    assert ci95.lower == pytest.approx(lo95, abs=ABS)
    assert ci95.upper == pytest.approx(hi95, abs=ABS)
    if lo998 is None:
        assert ci998.lower is None
    else:
        assert ci998.lower == pytest.approx(lo998, abs=ABS)
    assert ci998.upper == pytest.approx(hi998, abs=ABS)


def test_byars_lower_negative_is_none() -> None:
    # the raw formula at 99.8% with x = 1 is about -0.0028
    z = 3.090232306167813
    raw = 1 * (1 - 1 / 9 - z / 3) ** 3
    assert raw == pytest.approx(-0.0028, abs=1e-4)
    assert byars_lower(1, 0.998) is None


# V3.2 rates: x, n, multiplier, value, lo95, hi95, lo998, hi998 (None = not given), method
RATES = [
    (1, 100, 100000, 1000, 25.3178079843, 5571.6433909389, 1.0005003336, 9233.4134764516, "Exact"),
    (
        9856, 12345, 100000, 79837.9910895, 78269.4905898, 81430.0165427, 77375.9054327,
        82354.4727710, "Byars",
    ),
    (150, 120000, 1000, 1.25, 1.057956, 1.466818, 0.958059, 1.598785, "Byars"),
    (7, 12000, 1000, 0.583333, 0.234530, 1.201890, 0.126695, 1.635515, "Exact"),
    (0, 12000, 1000, 0, 0, 0.307407, 0, 0.575646, "Exact"),
    (9, 12000, 1000, 0.75, 0.342948, 1.423734, None, None, "Exact"),
    (10, 12000, 1000, 0.833333, 0.398954, 1.532622, None, None, "Byars"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("x", "n", "mult", "value", "lo95", "hi95", "lo998", "hi998", "method"), RATES
)
def test_rate_interval_v32(
    x: float,
    n: float,
    mult: float,
    value: float,
    lo95: float,
    hi95: float,
    lo998: float | None,
    hi998: float | None,
    method: str,
) -> None:
    r95 = rate_interval(x, n, mult)
    assert r95.value == pytest.approx(value, abs=ABS)
    assert r95.lower == pytest.approx(lo95, abs=ABS)
    assert r95.upper == pytest.approx(hi95, abs=ABS)
    assert r95.method == method
    if lo998 is not None and hi998 is not None:
        r998 = rate_interval(x, n, mult, 0.998)
        assert r998.lower == pytest.approx(lo998, abs=ABS)
        assert r998.upper == pytest.approx(hi998, abs=ABS)
        assert r998.method == method


def test_rate_interval_jump_between_9_and_10() -> None:
    # exact below 10 and Byar's from 10: the lower limit moves by more than the value
    r9 = rate_interval(9, 12000)
    r10 = rate_interval(10, 12000)
    assert (r9.method, r10.method) == ("Exact", "Byars")
    assert r10.lower - r9.lower > 0.05


def test_exact_poisson_zero_is_not_nan() -> None:
    assert math.isnan(chi2.ppf(0.025, 0))  # the scipy trap the code must avoid
    ci = exact_poisson_interval(0)
    assert ci.lower == 0.0
    assert ci.upper == pytest.approx(3.688879, abs=ABS)


def test_rate_interval_errors() -> None:
    with pytest.raises(ValueError, match="population"):
        rate_interval(5, 0)
    with pytest.raises(ValueError, match="count"):
        rate_interval(-1, 100)
