"""The dispersion-aware verdict on the real Leicestershire street files (docs/statistics.md).

Monthly all-crime counts (every street row but anti-social behaviour) are counted here
straight from the CSV files with polars, independently of pcp's ingest; skipped when the
real data are absent.
"""

from __future__ import annotations

import polars as pl
import pytest

from pcp_cli.stats.dispersion import compare_counts, estimate_dispersion
from tests.conftest import real

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def monthly() -> dict[str, float]:
    folder = real("policeuk-street-leicestershire-2020-2022")
    frame = pl.concat(
        pl.read_csv(f, columns=["Month", "Crime type"], schema_overrides={"Month": pl.String})
        for f in sorted(folder.glob("*/*-street.csv"))
    )
    counts = (
        frame.filter(pl.col("Crime type") != "Anti-social behaviour")
        .group_by("Month")
        .len()
        .sort("Month")
    )
    return {m: float(n) for m, n in counts.iter_rows()}


def _total(monthly: dict[str, float], first: str, last: str) -> float:
    return sum(n for m, n in monthly.items() if first <= m <= last)


def test_q2_2021_22_against_q2_2020_21(monthly: dict[str, float]) -> None:
    assert len(monthly) == 33
    current = _total(monthly, "2021-07", "2021-09")
    baseline = _total(monthly, "2020-07", "2020-09")
    assert (current, baseline) == (22919.0, 21874.0)
    history = [n for m, n in monthly.items() if m <= "2021-09"]  # 2020-01..2021-09
    d = estimate_dispersion(history)
    assert d.months_used == 21
    assert d.moving_ranges_screened == 1  # 2021-02 → 2021-03, +1,392
    assert d.factor == pytest.approx(13.61, abs=0.005)
    assert d.degrees_of_freedom == pytest.approx(11.69, abs=0.005)
    c = compare_counts(current, 3, baseline, 3, d)
    assert c.p_value_poisson == pytest.approx(7.9035e-7, rel=1e-4)  # "significant increase"
    assert c.p_value == pytest.approx(0.2062, abs=5e-5)  # no significant change
    assert not c.significant
    assert c.rate_ratio == pytest.approx(1.0478, abs=5e-5)
    assert c.rate_ratio_lower == pytest.approx(0.9709, abs=5e-5)
    assert c.rate_ratio_upper == pytest.approx(1.1307, abs=5e-5)


def test_large_real_changes_stay_significant(monthly: dict[str, float]) -> None:
    d = estimate_dispersion(list(monthly.values()))  # 2020-01..2022-09
    assert d.factor == pytest.approx(19.73, abs=0.005)
    q2 = compare_counts(
        _total(monthly, "2022-07", "2022-09"), 3, _total(monthly, "2021-07", "2021-09"), 3, d
    )
    assert q2.p_value == pytest.approx(0.000463, abs=5e-7)
    assert q2.rate_ratio == pytest.approx(1.1819, abs=5e-5)
    year = compare_counts(
        _total(monthly, "2021-10", "2022-09"), 12, _total(monthly, "2020-10", "2021-09"), 12, d
    )
    assert (year.rate_ratio, year.significant) == (pytest.approx(1.2011, abs=5e-5), True)
    assert year.p_value == pytest.approx(2.47e-8, rel=0.01)
