"""Tests for pcp_cli.stats.cdi on the seed 003 figures."""

from __future__ import annotations

import pytest

from pcp_cli.stats.cdi import cdi_estimate


def test_seed_003_figures() -> None:
    e = cdi_estimate(81877, 68706, [75.8, 87.4])
    assert e.average_compliance == pytest.approx(81.6, abs=1e-9)
    assert e.expected_at_start == pytest.approx(81877 * 75.8 / 81.6, abs=1e-6)
    assert round(e.expected_at_start) == 76057
    assert round(e.attributable) == 5820
    assert e.increase == 13171
    assert e.share_of_increase == pytest.approx(5819.688725 / 13171, abs=1e-6)


def test_audit_points_are_averaged() -> None:
    e = cdi_estimate(1000, 900, [70.0, 80.0, 90.0])
    assert e.average_compliance == pytest.approx(80.0)
    assert e.compliance_start == 70.0
    assert e.expected_at_start == pytest.approx(875.0)
    assert e.attributable == pytest.approx(125.0)
    assert e.share_of_increase == pytest.approx(1.25)


def test_no_increase_has_no_share() -> None:
    assert cdi_estimate(900, 1000, [75.8, 87.4]).share_of_increase is None


def test_errors() -> None:
    with pytest.raises(ValueError, match="two compliance points"):
        cdi_estimate(1, 1, [75.8])
    with pytest.raises(ValueError, match="> 0"):
        cdi_estimate(1, 1, [0.0, 87.4])
