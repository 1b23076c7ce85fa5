"""`pcp spc` end to end: MDC XmR charts and the iQuanta-style comparison from the store.

The statistics themselves are tested against every methods.md vector in tests/stats/; these
tests check that the command feeds them the right series (gaps, baselines, rebases,
polarity) and reports the right figures, on the City of London real series and on small
counts/survey fixtures built from the methods.md vectors.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import Result, real, run_pcp

CITY = "policeuk-street-city-of-london-2018-2021"


def months(first_year: int, first_month: int, n: int) -> list[str]:
    out = []
    y, m = first_year, first_month
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def counts_store(
    tmp: Path, values: dict[str, float], measure: str = "knife_crime", name: str = "store"
) -> Path:
    lines = ["force,month,measure,value"] + [
        f"Leicestershire,{month},{measure},{int(v)}" for month, v in values.items()
    ]
    src = tmp / f"{name}-counts.csv"
    src.write_text("\n".join(lines) + "\n")
    store = tmp / name
    result = run_pcp(["ingest", "--store", str(store), str(src)])
    assert result.exit_code == 0, result.stderr
    return store


def survey_store(tmp: Path, rows: dict[str, tuple[int, int]], name: str = "survey") -> Path:
    lines = ["force,period,measure,respondents,positive"] + [
        f"Leicestershire,{period},victim_satisfaction,{n},{x}" for period, (n, x) in rows.items()
    ]
    src = tmp / f"{name}.csv"
    src.write_text("\n".join(lines) + "\n")
    store = tmp / name
    result = run_pcp(["ingest", "--store", str(store), "--kind", "survey", str(src)])
    assert result.exit_code == 0, result.stderr
    return store


def spc_run(store: Path, *args: str, kpi: str = "knife-crime") -> Result:
    return run_pcp(["spc", "--store", str(store), "--kpi", kpi, "--force", "leicestershire", *args])


def spc_csv(store: Path, *args: str, kpi: str = "knife-crime") -> tuple[pl.DataFrame, str]:
    result = spc_run(store, *args, "--format", "csv", kpi=kpi)
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(io.BytesIO(result.stdout_bytes)), result.stderr


# -- City of London, real data.police.uk series (SOURCE.md facts) ---------------------------


@pytest.fixture(scope="module")
def city_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = real(CITY)
    store = tmp_path_factory.mktemp("city") / "store"
    result = run_pcp(["ingest", "--store", str(store), str(source)])
    assert result.exit_code == 0, result.stderr
    return store


def city_spc(store: Path, *args: str) -> tuple[pl.DataFrame, str]:
    result = run_pcp(
        [
            "spc",
            "--store",
            str(store),
            "--kpi",
            "all-crime",
            "--force",
            "city-of-london",
            *args,
            "--format",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(io.BytesIO(result.stdout_bytes)), result.stderr


@pytest.mark.parametrize("screen", ["--no-screen", "--screen"])
def test_city_of_london_baseline_limits(city_store: Path, screen: str) -> None:
    frame, err = city_spc(city_store, "--baseline", "24", screen)
    assert frame.height == 45
    assert frame["value"].head(3).to_list() == [557.0, 505.0, 574.0]
    assert frame["value"].tail(1).to_list() == [676.0]
    first = frame.row(0, named=True)
    # SOURCE.md: mean 662.1667, average moving range 58.6087, limits 818.0658 / 506.2675.
    # Screening removes nothing here (largest MR 186 < 3.267 × 58.6087), so both agree.
    assert first["mean"] == pytest.approx(662.1666667, abs=1e-6)
    assert first["amr"] == pytest.approx(1348 / 23, abs=1e-9)
    assert first["amr"] == pytest.approx(58.6087, abs=1e-4)
    assert first["upl"] == pytest.approx(818.0658, abs=1e-4)
    assert first["lpl"] == pytest.approx(506.2675, abs=1e-4)
    assert frame["upl"].n_unique() == 1  # the fixed baseline carries to every month
    assert frame["in_baseline"].sum() == 24
    assert frame["screened"].to_list()[0] is (screen == "--screen")
    assert frame["mr_used"].sum() == 23
    below = frame.filter(pl.col("rule") == "Below LCL")["period"].to_list()
    lockdown = [*months(2020, 4, 15)]
    assert set(lockdown) <= set(below)
    assert below == ["2018-02", *lockdown]  # 505 < 506.2675 in the baseline too
    above = frame.filter(pl.col("rule") == "Above UCL")["period"].to_list()
    assert above == ["2019-06", "2019-11"]  # SOURCE.md: baseline points above the UCL
    assert frame.filter(pl.col("period").is_in(lockdown))["point_type"].unique().to_list() == [
        "special_cause_improvement"  # crime is lower-is-better
    ]
    for month in ("2020-03", "2021-07", "2021-08", "2021-09"):
        row = frame.filter(pl.col("period") == month).row(0, named=True)
        assert row["lpl"] < row["value"] < row["upl"]
    assert "15 months below the lower limit (2020-04..2021-06)" in err
    assert "2021-09, is within the limits" in err
    assert "XmR (NHS Making Data Count)" in frame["method"][0]


def test_city_of_london_latest_run_summary(city_store: Path) -> None:
    frame, err = city_spc(city_store, "--baseline", "24", "--to", "2021-06")
    assert frame.height == 42
    assert "statistically exceptional: 15 of the last 15 months below the lower limit" in err
    assert frame["variation"][0] == "improvement_low"


def test_city_of_london_without_baseline_uses_all_points(city_store: Path) -> None:
    frame, _ = city_spc(city_store, "--no-screen")
    values = frame["value"].to_list()
    mean = sum(values) / len(values)
    amr = sum(abs(b - a) for a, b in itertools.pairwise(values)) / 44
    row = frame.row(0, named=True)
    assert row["mean"] == pytest.approx(mean, abs=1e-9)
    assert row["upl"] == pytest.approx(mean + 2.66 * amr, abs=1e-9)
    assert frame["in_baseline"].all()


def test_city_of_london_rebase_and_iquanta(city_store: Path) -> None:
    frame, _ = city_spc(city_store, "--baseline", "24", "--rebase", "2020-04")
    after = frame.filter(pl.col("period") >= "2020-04")
    assert after["group"].unique().to_list() == [1]
    assert after["mean"][0] == pytest.approx(sum(after["value"]) / after.height, abs=1e-9)
    assert frame.filter(pl.col("period") == "2020-03")["group"][0] == 0
    iq, err = city_spc(city_store, "--method", "iquanta", "--to", "2019-12")
    assert iq.height == 18
    assert iq["window"].to_list() == ["baseline"] * 12 + ["recent"] * 6
    recent = [738.0, 807.0, 820.0, 797.0, 792.0, 764.0]
    assert sorted(iq.filter(pl.col("window") == "recent")["value"].to_list()) == sorted(recent)
    assert iq["recent_mean"][0] == pytest.approx(sum(recent) / 6, abs=1e-9)
    assert iq["poisson_test"][0] == "e-test"  # 13,093 events: exact at every count
    assert "iQuanta-style" in iq["method"][0] and "iQuanta-style" in err


# -- methods.md vectors through the command ------------------------------------------------


def test_v12_screening_on_a_survey_proportion(tmp_path: Path) -> None:
    """V1.2: y = 1,2,1,2,10,... as satisfaction % (x/100): screening changes the limits."""
    ys = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    store = survey_store(
        tmp_path, dict(zip(months(2018, 1, 18), [(100, y) for y in ys], strict=False))
    )
    frame, err = spc_csv(store, kpi="victim-satisfaction")
    row = frame.row(0, named=True)
    assert row["mean"] == pytest.approx(1.9444444, abs=1e-6)
    assert row["amr"] == pytest.approx(1.0, abs=1e-9)
    assert (row["lpl"], row["upl"]) == (
        pytest.approx(-0.7155556, abs=1e-6),
        pytest.approx(4.6044444, abs=1e-6),
    )
    assert frame["rule"][4] == "Above UCL"
    assert frame["point_type"][4] == "special_cause_improvement"  # higher is better
    assert frame["numerator"][4] == 10 and frame["denominator"][4] == 100
    unscreened, _ = spc_csv(store, "--no-screen", kpi="victim-satisfaction")
    assert unscreened["upl"][0] == pytest.approx(6.9515033, abs=1e-6)
    assert unscreened["lpl"][0] == pytest.approx(-3.0626144, abs=1e-6)
    preset, _ = spc_csv(store, "--preset", "mdc-excel", kpi="victim-satisfaction")
    assert preset["upl"][0] == pytest.approx(6.9515033, abs=1e-6)
    assert "1 month above the upper limit (2018-05)" in err


def test_two_in_three_mdc2023_against_nhsr(tmp_path: Path) -> None:
    """V1.3: 10,11 ×8 then 12.9, 15.0, 10.5: MDC 2023 counts the point beyond the limit."""
    ys = [10.0, 11.0] * 8 + [12.9, 15.0, 10.5]
    rows = {m: (1000, round(y * 10)) for m, y in zip(months(2018, 1, 19), ys, strict=True)}
    store = survey_store(tmp_path, rows)
    mdc, _ = spc_csv(store, kpi="victim-satisfaction")
    assert mdc["mean"][0] == pytest.approx(10.8631579, abs=1e-6)
    assert mdc["upper_band"][0] == pytest.approx(12.8451190, abs=1e-6)
    assert mdc["rule"].to_list()[16:] == ["2 in 3 Above CL", "Above UCL", "Common Cause"]
    assert mdc["two_in_three"][0] == "mdc2023"
    for option in (["--two-in-three", "nhsr"], ["--preset", "nhsr"]):
        old, _ = spc_csv(store, *option, kpi="victim-satisfaction")
        assert old["rule"].to_list()[16:] == ["Common Cause", "Above UCL", "Common Cause"]
        assert old["two_in_three"][0] == "nhsr"


def test_run_length_six_or_seven(tmp_path: Path) -> None:
    ys = [10, 11, 9, 10, 12, 9, 11, 10, 9, 11, 10, 12, 13, 12, 13, 14, 12, 13, 12]
    store = counts_store(tmp_path, dict(zip(months(2018, 1, 19), ys, strict=True)))
    seven, _ = spc_csv(store)
    assert seven["mean"][0] == pytest.approx(11.2105263, abs=1e-6)
    assert seven["upl"][0] == pytest.approx(15.0527485, abs=1e-6)
    labels = seven["rule"].to_list()
    assert labels[11:] == ["7 Points Above CL"] * 8 and set(labels[:11]) == {"Common Cause"}
    assert seven["point_type"][11] == "special_cause_concern"  # knife crime: lower is better
    six, _ = spc_csv(store, "--run-length", "6")
    assert six["rule"].to_list()[11:] == ["6 Points Above CL"] * 8
    assert six["run_length"][0] == 6


def test_gap_is_reported_and_splits_the_chart(tmp_path: Path) -> None:
    values = dict(zip(months(2018, 1, 20), [100 + (i % 3) for i in range(20)], strict=True))
    del values["2018-08"]
    store = counts_store(tmp_path, values)
    frame, err = spc_csv(store)
    assert frame.height == 20  # the missing month is a row, not silently dropped
    gap = frame.filter(pl.col("period") == "2018-08").row(0, named=True)
    assert gap["status"] == "missing" and gap["value"] is None and gap["rule"] == "No data"
    assert "no data for 2018-08" in err and "restarts after the gap" in err
    before = frame.filter(pl.col("period") < "2018-08")
    after = frame.filter(pl.col("period") > "2018-08")
    assert before["group"].unique().to_list() == [0] and after["group"].unique().to_list() == [1]
    assert after["moving_range"][0] is None  # no moving range across the gap
    assert before["mean"][0] == pytest.approx(sum(before["value"]) / 7, abs=1e-9)
    assert "limits rest on 7 points" in err


def test_short_series_warns_then_refuses(tmp_path: Path) -> None:
    store = counts_store(
        tmp_path, dict(zip(months(2018, 1, 8), [5, 7, 6, 8, 5, 6, 7, 6], strict=False))
    )
    frame, err = spc_csv(store)
    assert frame.height == 8
    assert "fewer than 12" in err and "trial limits" in err
    result = spc_run(store, "--from", "2018-05")
    assert result.exit_code == 5
    assert "only 4 months with data; an XmR chart needs at least 5" in result.stderr
    assert result.stdout == ""


def test_short_first_part_is_left_out_unless_from_asks_for_it(tmp_path: Path) -> None:
    values = dict(zip(months(2018, 1, 15), [10 + i % 2 for i in range(15)], strict=True))
    del values["2018-04"]
    store = counts_store(tmp_path, values)
    # No --from: the 3 months before the gap cannot carry limits; the chart starts after it.
    frame, err = spc_csv(store)
    assert frame["period"].to_list() == months(2018, 5, 11)
    assert frame["group"].unique().to_list() == [0]
    assert frame["mean"][0] == pytest.approx(sum(frame["value"]) / 11, abs=1e-9)
    assert "left out before the gap, too short for limits: 2018-01..2018-03 (3 months)" in err
    assert "the chart starts at 2018-05" in err
    # An explicit --from that takes in the short part is refused, naming it.
    result = spc_run(store, "--from", "2018-01")
    assert result.exit_code == 5
    assert "2018-01..2018-03 (3 points)" in result.stderr
    assert result.stdout == ""


def test_short_part_between_gaps_is_refused(tmp_path: Path) -> None:
    values = dict(zip(months(2018, 1, 20), [10 + i % 2 for i in range(20)], strict=True))
    del values["2018-07"]
    del values["2018-10"]  # 2018-08..2018-09: two points between two gaps
    store = counts_store(tmp_path, values)
    result = spc_run(store)
    assert result.exit_code == 5
    assert "2018-08..2018-09 (2 points)" in result.stderr
    assert "left out before the gap" not in result.stderr


def test_only_short_parts_are_refused_whole(tmp_path: Path) -> None:
    values = dict(zip(months(2018, 1, 9), [10 + i % 2 for i in range(9)], strict=True))
    del values["2018-05"]  # 4 points, gap, 4 points: nothing worth charting after the gap
    store = counts_store(tmp_path, values)
    result = spc_run(store)
    assert result.exit_code == 5
    assert "2018-01..2018-04 (4 points)" in result.stderr


def test_target_assurance_follows_polarity(tmp_path: Path) -> None:
    store = counts_store(
        tmp_path, dict(zip(months(2018, 1, 12), [20, 22, 21, 23] * 3, strict=False))
    )
    frame, err = spc_csv(store, "--target", "5")
    # Knife crime is lower-is-better: a target below the lower limit is never met.
    assert frame["assurance"][0] == "consistent_fail"
    assert frame["improvement_direction"][0] == "decrease"
    assert "assurance against target 5: consistent fail" in err
    frame, _ = spc_csv(store, "--target", "40")
    assert frame["assurance"][0] == "consistent_pass"
    frame, _ = spc_csv(store, "--target", "21")
    assert frame["assurance"][0] == "inconsistent"


def test_iquanta_v21(tmp_path: Path) -> None:
    """V2.1: baseline 100,95,...; recent 112..114: RED for lower-is-better, Poisson p."""
    base = [100, 95, 105, 98, 102, 110, 90, 97, 103, 99, 101, 100]
    recent = [112, 108, 115, 109, 111, 114]
    store = counts_store(tmp_path, dict(zip(months(2017, 1, 18), base + recent, strict=True)))
    frame, err = spc_csv(store, "--method", "iquanta")
    row = frame.row(0, named=True)
    assert row["baseline_mean"] == pytest.approx(100.0, abs=1e-9)
    assert row["baseline_sd"] == pytest.approx(5.0271988, abs=1e-6)
    assert row["recent_mean"] == pytest.approx(111.5, abs=1e-9)
    assert row["lower_line"] == pytest.approx(90.1466904, abs=1e-6)
    assert row["upper_line"] == pytest.approx(109.8533096, abs=1e-6)
    assert row["rag"] == "RED"
    assert (row["recent_total"], row["baseline_total"]) == (669.0, 1200.0)
    assert row["poisson_test"] == "e-test"
    assert row["poisson_p"] == pytest.approx(0.0239953, abs=1e-6)
    assert row["poisson_verdict"] == "significant increase"
    assert "RED" in err and "iQuanta-style" in err
    mean_level, _ = spc_csv(store, "--method", "iquanta", "--lines", "mean-level")
    assert mean_level["lower_line"][0] == pytest.approx(95.9774032, abs=1e-6)
    assert mean_level["upper_line"][0] == pytest.approx(104.0225968, abs=1e-6)
    assert "mean-level" in mean_level["method"][0]
    short = run_pcp(
        [
            "spc",
            "--store",
            str(store),
            "--kpi",
            "knife-crime",
            "--force",
            "leicestershire",
            "--method",
            "iquanta",
            "--from",
            "2017-02",
        ]
    )
    assert short.exit_code == 5 and "insufficient data" in short.stderr


def test_table_colours_special_cause_points(tmp_path: Path) -> None:
    from pcp_cli.cli.spc import POINT_STYLES, _xmr_view

    ys = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    store = survey_store(
        tmp_path, dict(zip(months(2018, 1, 18), [(100, y) for y in ys], strict=False))
    )
    frame, _ = spc_csv(store, kpi="victim-satisfaction")
    view = _xmr_view(frame)
    assert view.row_styles[4] == POINT_STYLES["special_cause_improvement"] == "bold #00b0f0"
    assert view.row_styles[0] is None
    table = run_pcp(
        [
            "spc",
            "--store",
            str(store),
            "--kpi",
            "victim-satisfaction",
            "--force",
            "leicestershire",
            "--format",
            "markdown",
        ]
    )
    assert table.exit_code == 0
    assert "| 2018-05 | 10.0% | 1.9 | −0.7 | 4.6 | Above UCL | special cause improvement |" in (
        table.stdout
    )


def test_bad_rebase_month_is_a_usage_error(tmp_path: Path) -> None:
    store = counts_store(
        tmp_path, dict(zip(months(2018, 1, 12), [20, 22, 21, 23] * 3, strict=False))
    )
    result = run_pcp(
        [
            "spc",
            "--store",
            str(store),
            "--kpi",
            "knife-crime",
            "--force",
            "leicestershire",
            "--rebase",
            "2019-05",
        ]
    )
    assert result.exit_code == 2
    assert "--rebase 2019-05: not a point" in result.stderr


@pytest.mark.parametrize("command", ["spc", "project", "cdi"])
def test_help_has_examples(command: str) -> None:
    top = run_pcp(["--help"])
    assert command in top.stdout
    result = run_pcp([command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert ("seed 003" if command == "cdi" else "docs/statistics.md") in result.stdout
