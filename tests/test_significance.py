"""Significance columns in `pcp compare`: Poisson E-test for counts, two proportions for rates
and surveys (Newcombe interval, Wilson intervals, seed-001 RAG), verdicts at --alpha.

Expected p-values are the methods.md §4.1 (V4.1) and §5 (V5) vectors, reached through real
compare runs on small fixtures.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.analysis.significance import count_change, proportion_change, verdict_for
from pcp_cli.stats.proportions import fisher_exact_p
from tests.conftest import STREET_HEADER, run_pcp, street_row, write_street

# Fixtures with under 12 months of history: the plain exact E-test decides, and says so.
ETEST = "Poisson E-test (Krishnamoorthy & Thomson 2004)"


def assert_poisson_fallback(row: dict[str, object]) -> None:
    assert row["test"] == ETEST
    assert row["dispersion"] == 1.0 and row["p_value"] == row["p_value_poisson"]
    assert "fewer than 12" in str(row["notes"]) and "Poisson test is used" in str(row["notes"])


def ingest(store: Path, *paths: Path, kind: str | None = None) -> None:
    args = ["ingest", "--store", str(store), *([] if kind is None else ["--kind", kind])]
    result = run_pcp([*args, *(str(p) for p in paths)])
    assert result.exit_code == 0, result.stderr


def compare(store: Path, kpi: str, period: str, *extra: str) -> tuple[dict[str, object], str]:
    result = run_pcp(
        [
            "compare",
            "--store",
            str(store),
            "--force",
            "leicestershire",
            "--kpi",
            kpi,
            "--period",
            period,
            *extra,
            "--format",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(io.BytesIO(result.stdout_bytes))
    assert frame.height == 1
    return frame.row(0, named=True), result.stderr


def counts(tmp: Path, rows: list[tuple[str, int]], measure: str = "knife_crime") -> Path:
    path = tmp / "counts.csv"
    lines = ["force,month,measure,value"] + [f"Leicestershire,{m},{measure},{v}" for m, v in rows]
    path.write_text("\n".join(lines) + "\n")
    store = tmp / "store"
    ingest(store, path)
    return store


def survey(tmp: Path, rows: list[tuple[str, int, int]], name: str = "survey") -> Path:
    path = tmp / f"{name}.csv"
    lines = ["force,period,measure,respondents,positive"] + [
        f"Leicestershire,{period},victim_satisfaction,{n},{x}" for period, n, x in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    store = tmp / f"{name}-store"
    ingest(store, path, kind="survey")
    return store


# -- counts: Poisson E-test ---------------------------------------------------------------------


def test_street_counts_six_against_two(tmp_path: Path) -> None:
    files = tmp_path / "files"
    write_street(files / "2017-07-leicestershire-street.csv", "2017-07", {"Burglary": 2})
    write_street(files / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 6})
    store = tmp_path / "store"
    ingest(store, files)
    row, _ = compare(store, "burglary", "2018-07")
    assert (row["value"], row["baseline_value"], row["change"]) == (6.0, 2.0, 4.0)  # unchanged
    assert_poisson_fallback(row)
    assert row["p_value"] == pytest.approx(0.174875, abs=1e-6)  # V4.1 (6, 2, 1, 1)
    assert row["statistic"] == pytest.approx(2**0.5, abs=1e-12)
    assert row["verdict"] == "no significant change"
    assert row["alpha"] == 0.05
    assert row["diff_lower"] is None and row["p"] is None and row["rag"] is None
    table = run_pcp(
        [
            "compare",
            "--store",
            str(store),
            "--force",
            "leicestershire",
            "--kpi",
            "burglary",
            "--period",
            "2018-07",
            "--format",
            "markdown",
        ]
    )
    assert "| Burglary | 6 | 2 | +4 | +200.0% | no significant change (p 0.175) |" in table.stdout
    assert "Significance at 5%" in table.stdout


@pytest.mark.parametrize(
    ("current", "baseline", "expected", "verdict_05"),
    [
        ([0], [3], 0.088379, "no significant change"),  # V4.1 zero-count case
        ([20], [10], 0.068832, "no significant change"),
        ([25], [16], 0.164796, "no significant change"),
    ],
)
def test_counts_etest_vectors(
    tmp_path: Path, current: list[int], baseline: list[int], expected: float, verdict_05: str
) -> None:
    store = counts(tmp_path, [("2017-07", baseline[0]), ("2018-07", current[0])])
    row, _ = compare(store, "knife-crime", "2018-07")
    assert_poisson_fallback(row)
    assert row["p_value"] == pytest.approx(expected, abs=1e-6)
    assert row["verdict"] == verdict_05
    if current == [20]:
        loose, _ = compare(store, "knife-crime", "2018-07", "--alpha", "0.1")
        assert loose["verdict"] == "significant increase" and loose["alpha"] == 0.1


def test_unequal_exposures_use_months(tmp_path: Path) -> None:
    """V4.1 (30, 12, 12, 6): 30 crimes in 12 months against 12 in 6 months."""
    year = [(f"2019-{m:02d}", v) for m, v in zip(range(1, 13), [3, 2] * 6, strict=True)]
    half = [(f"2018-{m:02d}", 2) for m in range(7, 13)]
    store = counts(tmp_path, half + year)
    row, _ = compare(store, "knife-crime", "2019-01..2019-12", "--vs", "2018-07..2018-12")
    assert (row["value"], row["baseline_value"]) == (30.0, 12.0)
    assert row["p_value"] == pytest.approx(0.522130, abs=1e-6)
    assert row["verdict"] == "no significant change"


def test_zero_against_zero_is_no_change(tmp_path: Path) -> None:
    store = counts(tmp_path, [("2017-07", 0), ("2018-07", 0)])
    row, _ = compare(store, "knife-crime", "2018-07")
    assert row["p_value"] == 1.0 and row["p_value_poisson"] == 1.0
    assert row["verdict"] == "no significant change"
    assert "no events in either period" in str(row["notes"])


def test_large_counts_use_the_exact_etest(tmp_path: Path) -> None:
    store = counts(tmp_path, [("2017-07", 1200), ("2018-07", 1300)])
    row, _ = compare(store, "knife-crime", "2018-07")
    assert_poisson_fallback(row)  # no switch to the score z-test above 2,000 events
    assert row["p_value"] == pytest.approx(0.0455050, abs=1e-7)  # statsmodels etest
    z = (1300 - 1200) / (2500**0.5)
    assert row["statistic"] == pytest.approx(z, abs=1e-9)
    assert row["verdict"] == "significant increase"


# -- rates: positive outcome rate ---------------------------------------------------------------


def test_positive_outcome_rate_two_proportions(tmp_path: Path) -> None:
    """48 of 50 crimes with a positive outcome against 40 of 50 (V5 row 4)."""
    files = tmp_path / "files"
    files.mkdir()
    for month, positive in (("2017-07", 40), ("2018-07", 48)):
        rows = [
            street_row(
                month,
                "Burglary",
                crime_id=f"{month}-{i}",
                outcome="Suspect charged" if i < positive else "Unable to prosecute suspect",
            )
            for i in range(50)
        ]
        path = files / f"{month}-leicestershire-street.csv"
        path.write_text("\r\n".join([STREET_HEADER, *rows]) + "\r\n")
    store = tmp_path / "store"
    ingest(store, files)
    row, _ = compare(store, "positive-outcome-rate", "2018-07")
    assert (row["value"], row["baseline_value"]) == (96.0, 80.0)
    assert row["test"] == "two-proportion z-test"
    assert row["statistic"] == pytest.approx(2.461830, abs=1e-6)
    assert row["p_value"] == pytest.approx(0.013823, abs=1e-6)
    assert row["diff_lower"] == pytest.approx(3.1095, abs=1e-4)  # percentage points
    assert row["diff_upper"] == pytest.approx(29.3549, abs=1e-4)
    assert row["verdict"] == "significant increase"
    assert row["p"] is None and row["rag"] is None  # survey columns are for proportion KPIs


# -- surveys: proportion KPIs -------------------------------------------------------------------


def test_survey_proportion_p_n_wilson_rag(tmp_path: Path) -> None:
    store = survey(tmp_path, [("12m to 2017-09", 190, 160), ("12m to 2018-09", 105, 96)])
    row, err = compare(store, "victim-satisfaction", "12m to 2018-09")
    assert row["value"] == pytest.approx(96 / 105 * 100, abs=1e-9)
    assert (row["p"], row["n"]) == (pytest.approx(96 / 105, abs=1e-12), 105.0)
    assert row["ci_lower"] == pytest.approx(84.5077, abs=1e-4)  # Wilson 0.845077-0.954251
    assert row["ci_upper"] == pytest.approx(95.4251, abs=1e-4)
    assert row["baseline_n"] == 190.0
    assert row["baseline_ci_lower"] == pytest.approx(78.3547, abs=1e-4)
    assert row["baseline_ci_upper"] == pytest.approx(88.7104, abs=1e-4)
    assert row["test"] == "two-proportion z-test"
    assert row["p_value"] == pytest.approx(0.079694, abs=1e-6)
    assert row["diff_lower"] == pytest.approx(-1.0371, abs=1e-4)
    assert row["diff_upper"] == pytest.approx(14.3076, abs=1e-4)
    assert row["verdict"] == "no significant change"
    assert (row["rag"], row["rag_test"]) == ("AMBER", "z-test")
    assert "small sample" not in err


def test_survey_green_at_the_edge_and_small_n(tmp_path: Path) -> None:
    store = survey(tmp_path, [("2017/18", 1000, 842), ("2018/19", 105, 96)])
    row, _ = compare(store, "victim-satisfaction", "2018/19")
    assert row["p_value"] == pytest.approx(0.049150, abs=1e-6)  # V5 row 2
    assert row["diff_lower"] == pytest.approx(-0.0124, abs=1e-4)  # Newcombe just includes 0
    assert (row["rag"], row["verdict"]) == ("GREEN", "significant increase")
    small = survey(tmp_path, [("Q2 2017/18", 50, 40), ("Q2 2018/19", 50, 48)], name="small")
    row, err = compare(small, "victim-satisfaction", "Q2 2018/19")
    assert row["p_value"] == pytest.approx(0.013823, abs=1e-6)
    assert row["rag"] == "GREEN"
    assert "small sample: 50 respondents (under 100)" in err
    assert "baseline small sample" in row["notes"]
    worse, _ = compare(small, "victim-satisfaction", "Q2 2018/19", "--vs", "Q2 2018/19")
    assert worse["rag"] == "AMBER" and worse["p_value"] == 1.0


def test_survey_red_when_worse(tmp_path: Path) -> None:
    store = survey(tmp_path, [("2017-09", 600, 550), ("2018-09", 600, 500)])
    row, _ = compare(store, "victim-satisfaction", "2018-09")
    assert row["p_value"] == pytest.approx(0.000013, abs=1e-6)  # V5 row 5, reversed
    assert (row["rag"], row["verdict"]) == ("RED", "significant decrease")


def test_small_expected_cells_use_fisher(tmp_path: Path) -> None:
    store = survey(tmp_path, [("2017-09", 8, 7), ("2018-09", 8, 2)])
    row, _ = compare(store, "victim-satisfaction", "2018-09")
    assert row["test"] == "Fisher exact" and row["rag_test"] == "Fisher exact"
    assert row["p_value"] == pytest.approx(fisher_exact_p(2, 8, 7, 8), abs=1e-12)
    assert row["p_value"] == pytest.approx(0.040559, abs=1e-6)
    assert (row["rag"], row["verdict"]) == ("RED", "significant decrease")


def test_zero_respondents_rejected_at_ingest(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text(
        "force,period,measure,respondents,positive\nLeicestershire,2018-09,victim_satisfaction,0,0\n"
    )
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), "--kind", "survey", str(path)])
    assert result.exit_code == 4
    assert "no respondents" in result.stderr


# -- the helpers' edge cases ------------------------------------------------------------------


def test_helpers() -> None:
    assert verdict_for(0.01, -3.0, 0.05) == "significant decrease"
    assert verdict_for(0.01, 0.0, 0.05) == "no significant change"
    assert verdict_for(None, 1.0, 0.05) is None
    assert count_change(5, 5, 0, 3).test is None
    # Exposure scale does not matter for equal periods: a quarter tests like a month.
    assert count_change(6, 2, 3, 3).p_value == pytest.approx(0.174875, abs=1e-6)
    over = proportion_change(12, 10, 5, 10)
    assert over.test is None and "exceeds" in over.notes[0]
    assert proportion_change(96, 105, 160, 190).improved("higher-is-better") is False
    assert proportion_change(48, 50, 40, 50).improved("higher-is-better") is True
    assert proportion_change(48, 50, 40, 50).improved("lower-is-better") is False
    assert proportion_change(48, 50, 40, 50).improved("neutral") is False


def test_compare_keeps_its_columns_and_adds_significance() -> None:
    from pcp_cli.analysis.compare import COLUMNS, SIGNIFICANCE_COLUMNS

    names = list(COLUMNS)
    assert names[:3] == ["force", "force_name", "section"]
    assert {"value", "baseline_value", "change", "pct_change", "monthly"} <= set(names)
    assert set(SIGNIFICANCE_COLUMNS) <= set(names)
    assert names.index("verdict") > names.index("baseline_monthly")
