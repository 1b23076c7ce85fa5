"""`pcp project`: OLS trend to a target date with the seed-001 RAG, on the methods.md V6 series."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import run_pcp

V6 = [120, 118, 125, 110, 115, 108, 112, 105, 109, 100, 104, 98]


def months(first_year: int, first_month: int, n: int) -> list[str]:
    out = []
    y, m = first_year, first_month
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def store_with(
    tmp: Path, values: list[int], first: tuple[int, int] = (2018, 1), measure: str = "knife_crime"
) -> Path:
    rows = zip(months(*first, len(values)), values, strict=True)
    lines = ["force,month,measure,value"] + [f"Leicestershire,{m},{measure},{v}" for m, v in rows]
    src = tmp / f"{measure}.csv"
    src.write_text("\n".join(lines) + "\n")
    store = tmp / "store"
    result = run_pcp(["ingest", "--store", str(store), str(src)])
    assert result.exit_code == 0, result.stderr
    return store


def project(store: Path, *args: str, kpi: str = "knife-crime") -> tuple[dict[str, object], str]:
    result = run_pcp(
        [
            "project",
            "--store",
            str(store),
            "--kpi",
            kpi,
            "--force",
            "leicestershire",
            *args,
            "--format",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(io.BytesIO(result.stdout_bytes))
    assert frame.height == 1
    return frame.row(0, named=True), result.stderr


@pytest.fixture
def v6(tmp_path: Path) -> Path:
    return store_with(tmp_path, V6)


def test_v6_fit_and_projection_at_h13(v6: Path) -> None:
    row, err = project(v6, "--target", "95", "--by", "2019-01")
    assert (row["fit_from"], row["fit_to"], row["points"], row["h"]) == (
        "2018-01",
        "2018-12",
        12,
        13,
    )
    assert row["intercept"] == pytest.approx(123.3787879, abs=1e-6)
    assert row["slope"] == pytest.approx(-2.0069930, abs=1e-6)
    assert row["se_slope"] == pytest.approx(0.3245865, abs=1e-6)
    assert row["r_squared"] == pytest.approx(0.7926702, abs=1e-6)
    assert row["sigma"] == pytest.approx(3.8814904, abs=1e-6)
    assert row["projection"] == pytest.approx(97.287879, abs=1e-6)
    assert row["mean_lower"] == pytest.approx(91.965095, abs=1e-6)
    assert row["mean_upper"] == pytest.approx(102.610662, abs=1e-6)
    assert row["pi_lower"] == pytest.approx(87.132655, abs=1e-6)
    assert row["pi_upper"] == pytest.approx(107.443102, abs=1e-6)
    assert row["probability"] == pytest.approx(0.313275, abs=1e-6)
    assert row["target_direction"] == "at-most"  # knife crime: lower is better
    assert row["projects_achievement"] is False
    assert row["reaches_target"] == "2019-03"  # the line reaches 95 at t = 14.14
    # No data for the default baseline (the 12 months before): no improvement, no trend: RED.
    assert row["change_test"] is None and row["significant_improvement"] is False
    assert row["rag"] == "RED"
    assert "no test against the baseline 12m to 2017-12" in err
    assert "fitting 12 months (2018-01..2018-12), not 24: the data starts there" in err
    assert "OLS linear trend" in row["method"]


def test_v6_at_h18_is_amber(v6: Path) -> None:
    row, err = project(
        v6,
        "--target",
        "95",
        "--by",
        "2019-06",
        "--current",
        "2018-07..2018-12",
        "--baseline",
        "2018-01..2018-06",
    )
    assert row["h"] == 18
    assert row["projection"] == pytest.approx(87.252914, abs=1e-6)
    assert row["pi_lower"] == pytest.approx(74.997168, abs=1e-6)
    assert row["pi_upper"] == pytest.approx(99.508660, abs=1e-6)
    assert row["probability"] == pytest.approx(0.905339, abs=1e-6)
    assert row["projects_achievement"] is True
    # 628 against 696 over six months each: not significant at 5%.
    assert (row["current_value"], row["baseline_value"]) == (628.0, 696.0)
    # The V6 months vary less than Poisson: dispersion 1, so the exact E-test decides.
    assert row["change_test"] == "Poisson E-test (Krishnamoorthy & Thomson 2004)"
    assert row["change_dispersion"] == 1.0
    assert row["change_p"] == row["change_p_poisson"]
    assert row["change_verdict"] == "no significant change"
    assert row["rag"] == "AMBER"
    assert row["rag_reason"].startswith("no significant improvement yet")
    assert "AMBER" in err


def test_h24_probability_and_green(tmp_path: Path) -> None:
    store = store_with(tmp_path, [v * 10 for v in V6])
    row, _ = project(
        store,
        "--target",
        "950",
        "--by",
        "2019-12",
        "--current",
        "2018-07..2018-12",
        "--baseline",
        "2018-01..2018-06",
    )
    assert row["h"] == 24
    assert row["projection"] == pytest.approx(752.10956, abs=1e-5)
    # Ten times V6 varies more than Poisson: the verdict allows for it and still finds
    # the fall (13,240 events).
    assert row["change_test"].startswith("quasi-Poisson")
    assert row["change_dispersion"] > 1
    assert row["change_p_poisson"] < row["change_p"] < 0.05
    assert row["change_verdict"] == "significant decrease"
    assert row["significant_improvement"] is True
    assert row["rag"] == "GREEN"
    row, _ = project(
        store,
        "--target",
        "500",
        "--by",
        "2019-01",
        "--current",
        "2018-07..2018-12",
        "--baseline",
        "2018-01..2018-06",
    )
    assert row["rag"] == "AMBER"
    assert "significant improvement now" in row["rag_reason"] and "missing" in row["rag_reason"]


def test_rolling_12_totals(tmp_path: Path) -> None:
    store = store_with(tmp_path, [100 + i for i in range(24)])
    row, _ = project(store, "--rolling-12", "--target", "1000", "--by", "2020-06")
    assert row["series"] == "rolling 12-month totals"
    assert (row["fit_from"], row["fit_to"], row["points"]) == ("2018-12", "2019-12", 13)
    assert row["slope"] == pytest.approx(12.0, abs=1e-9)  # a line of slope 1, summed over 12
    assert row["values"].split(";")[0] == str(sum(range(100, 112)))
    assert row["rag"] == "RED"
    bad = run_pcp(
        [
            "project",
            "--store",
            str(store),
            "--kpi",
            "knife-crime",
            "--force",
            "leicestershire",
            "--rolling-12",
            "--target",
            "1000",
            "--by",
            "2020-06",
            "--from",
            "2018-06",
        ]
    )
    assert bad.exit_code == 5 and "lack 12 months of data before it" in bad.stderr


def test_relative_target(tmp_path: Path) -> None:
    store = store_with(tmp_path, [100] * 12 + [90] * 12)
    row, _ = project(store, "--target", "-5%", "--by", "2020-03", "--baseline", "previous")
    assert row["baseline_value"] == 1200.0
    assert row["target"] == pytest.approx(95.0, abs=1e-9)  # monthly level of the baseline − 5%


def test_errors(tmp_path: Path) -> None:
    store = store_with(tmp_path, V6[:5])
    base = ["project", "--store", str(store), "--force", "leicestershire", "--target", "95"]
    few = run_pcp([*base, "--kpi", "knife-crime", "--by", "2019-01"])
    assert few.exit_code == 5 and "a projection needs at least 6" in few.stderr
    early = run_pcp([*base, "--kpi", "knife-crime", "--by", "2018-03"])
    assert early.exit_code == 2 and "is not after the fitting window" in early.stderr
    bad = run_pcp([*base[:-1], "lots", "--kpi", "knife-crime", "--by", "2019-01"])
    assert bad.exit_code == 2 and "is not a number" in bad.stderr


def test_neutral_kpi_needs_a_direction(tmp_path: Path) -> None:
    store = store_with(tmp_path, V6, measure="calls_999")
    base = ["project", "--store", str(store), "--kpi", "calls-999", "--force", "leicestershire"]
    result = run_pcp([*base, "--target", "95", "--by", "2019-06"])
    assert result.exit_code == 2 and "--direction" in result.stderr
    row, _ = project(
        store, "--target", "95", "--by", "2019-06", "--direction", "at-most", kpi="calls-999"
    )
    assert row["probability"] == pytest.approx(0.905339, abs=1e-6)


def test_gap_in_explicit_window(tmp_path: Path) -> None:
    rows = dict(zip(months(2018, 1, 12), V6, strict=True))
    del rows["2018-06"]
    lines = ["force,month,measure,value"] + [
        f"Leicestershire,{m},knife_crime,{v}" for m, v in rows.items()
    ]
    src = tmp_path / "c.csv"
    src.write_text("\n".join(lines) + "\n")
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(src)]).exit_code == 0
    base = ["project", "--store", str(store), "--kpi", "knife-crime", "--force", "leicestershire"]
    result = run_pcp([*base, "--target", "95", "--by", "2019-06", "--from", "2018-01"])
    assert result.exit_code == 5 and "2018-06" in result.stderr
    row, err = project(store, "--target", "95", "--by", "2019-06")
    assert (row["fit_from"], row["points"]) == ("2018-07", 6)  # after the gap
    assert "a gap before it" in err


def test_target_on_the_wrong_scale_is_warned(v6: Path) -> None:
    # V6's months are 98..125: 1,300 a year is a 12-month total, not a month's value.
    row, err = project(v6, "--target", "1300", "--by", "2019-01")
    assert row["projects_achievement"] is True  # met trivially: hence the warning
    assert "the target 1,300 is 10.4× the largest monthly value fitted (125)" in err
    assert "give --rolling-12" in err
    # A plausible monthly target says nothing about scale.
    _, quiet = project(v6, "--target", "95", "--by", "2019-01")
    assert "largest monthly value" not in quiet


def test_month_sized_target_with_rolling_12_is_warned(tmp_path: Path) -> None:
    store = store_with(tmp_path, [100 + i for i in range(24)])
    _, err = project(store, "--rolling-12", "--target", "110", "--by", "2020-06")
    assert "the target 110 is 0.09× the smallest 12-month total fitted (1,266)" in err
    assert "leave out --rolling-12" in err
