"""Tests for pcp_cli.stats.iquanta against methods.md §2.2 (V2.1)."""

from __future__ import annotations

import math

import pytest

from pcp_cli.stats.common import InsufficientDataError
from pcp_cli.stats.iquanta import iquanta_compare

ABS = 1e-6
BASELINE = [100, 95, 105, 98, 102, 110, 90, 97, 103, 99, 101, 100]
RECENT = [112, 108, 115, 109, 111, 114]
SERIES = [float(v) for v in BASELINE + RECENT]


def test_v21_monthly_lines() -> None:
    r = iquanta_compare(SERIES, "lower-is-better")
    assert r.baseline_mean == pytest.approx(100.0, abs=ABS)
    assert r.baseline_sd == pytest.approx(5.0271988, abs=ABS)
    assert r.recent_mean == pytest.approx(111.5, abs=ABS)
    assert r.lower == pytest.approx(90.1466904, abs=ABS)
    assert r.upper == pytest.approx(109.8533096, abs=ABS)
    assert r.rag == "RED"
    assert r.line_method == "monthly"


def test_v21_population_sd() -> None:
    assert iquanta_compare(SERIES, ddof=0).baseline_sd == pytest.approx(4.8131764, abs=ABS)


def test_v21_mean_level_lines() -> None:
    r = iquanta_compare(SERIES, line_method="mean-level")
    assert r.lower == pytest.approx(95.9774032, abs=ABS)
    assert r.upper == pytest.approx(104.0225968, abs=ABS)


def test_v21_poisson_score() -> None:
    r = iquanta_compare(SERIES)
    assert r.score_z == pytest.approx(2.2571449, abs=ABS)
    assert r.score_p == pytest.approx(0.0239990, abs=ABS)


def test_rag_by_polarity() -> None:
    assert iquanta_compare(SERIES, "higher-is-better").rag == "GREEN"
    assert iquanta_compare(SERIES, "neutral").rag == "NONE"
    down = [*BASELINE, 90.0, 85.0, 88.0, 87.0, 86.0, 84.0]
    assert iquanta_compare(down, "lower-is-better").rag == "GREEN"
    flat = [*BASELINE, *[100.0] * 6]
    assert iquanta_compare(flat, "lower-is-better").rag == "AMBER"


def test_uses_only_last_18_months() -> None:
    longer = [1000.0, 2000.0, *SERIES]
    assert iquanta_compare(longer).baseline_mean == pytest.approx(100.0, abs=ABS)


def test_insufficient_data() -> None:
    with pytest.raises(InsufficientDataError, match="insufficient data: 17 months"):
        iquanta_compare(SERIES[1:])
    gappy = list(SERIES)
    gappy[5] = math.nan
    with pytest.raises(InsufficientDataError, match="missing"):
        iquanta_compare(gappy)


def test_zero_sd_warns() -> None:
    r = iquanta_compare([100.0] * 12 + [101.0] * 6)
    assert r.lower == r.upper == 100.0
    assert r.rag == "RED"
    assert r.warnings


def test_rates_skip_poisson_test() -> None:
    r = iquanta_compare(SERIES, counts=False)
    assert r.score_z is None
    assert r.score_p is None
