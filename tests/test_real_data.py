"""pcp against real published extracts in ../shared/data/real (skipped when absent).

Expected figures come from the data's SOURCE.md/FACTS.md, computed independently of pcp.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.conftest import real, run_pcp

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def leics_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = real("policeuk-street-leicestershire-2020-2022")
    store = tmp_path_factory.mktemp("real") / "store"
    result = run_pcp(["ingest", "--store", str(store), str(source)])
    assert result.exit_code == 0, result.stderr
    assert "ingested 33 file(s), 283,944 rows" in result.stderr
    return store


def all_crime(store: Path, *args: str) -> dict[str, object]:
    result = run_pcp(
        ["compare", "--store", str(store), "--kpi", "all-crime", "--format", "csv", *args]
    )
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(result.stdout_bytes).row(0, named=True)


def test_quarter_against_same_quarter_last_year(leics_store: Path) -> None:
    row = all_crime(leics_store, "--period", "Q2 2021/22")
    assert (row["value"], row["baseline_value"]) == (22919.0, 21874.0)
    assert row["change"] == 1045.0
    assert row["source"] == "street"


def test_relative_quarter_resolves_to_latest_complete(leics_store: Path) -> None:
    # The store ends 2022-09, so Q2 is Q2 2022/23 (27,088) against Q2 2021/22.
    row = all_crime(leics_store, "--period", "Q2")
    assert (row["period"], row["value"], row["baseline_value"]) == ("Q2 2022/23", 27088.0, 22919.0)


def test_rolling_twelve_months(leics_store: Path) -> None:
    row = all_crime(leics_store, "--period", "12m")
    assert (row["period_start"], row["period_end"]) == ("2021-10", "2022-09")
    assert (row["value"], row["baseline_value"], row["change"]) == (102847.0, 85625.0, 17222.0)
    assert row["pct_change"] == pytest.approx(17222 / 85625 * 100, abs=1e-9)


def test_financial_year(leics_store: Path) -> None:
    row = all_crime(leics_store, "--period", "2021/22", "--vs", "2020/21")
    assert (row["value"], row["baseline_value"]) == (94597.0, 81356.0)


def test_every_quarter_and_asb(leics_store: Path) -> None:
    expected = {
        "Q4 2019/20": (22046, 2809),
        "Q1 2020/21": (19725, 4445),
        "Q3 2020/21": (20588, 2571),
        "Q4 2021/22": (24891, 2340),
    }
    for period, (crimes, asb) in expected.items():
        result = run_pcp(
            [
                "compare",
                "--store",
                str(leics_store),
                "--kpi",
                "all-crime,asb-incidents",
                "--period",
                period,
                "--vs",
                period,
                "--format",
                "csv",
            ]
        )
        assert result.exit_code == 0, result.stderr
        assert pl.read_csv(result.stdout_bytes)["value"].to_list() == [crimes, asb]


def test_category_figures(leics_store: Path) -> None:
    result = run_pcp(
        [
            "compare",
            "--store",
            str(leics_store),
            "--kpi",
            "burglary,violence-and-sexual-offences,vehicle-crime,shoplifting",
            "--period",
            "Q2 2021/22",
            "--format",
            "csv",
        ]
    )
    frame = pl.read_csv(result.stdout_bytes)
    assert frame["value"].to_list() == [854, 9978, 1150, 861]
    assert frame["baseline_value"].to_list() == [1122, 9433, 1473, 730]


def test_missing_months_are_named(leics_store: Path) -> None:
    result = run_pcp(
        ["compare", "--store", str(leics_store), "--kpi", "all-crime", "--period", "2020/21"]
    )
    assert result.exit_code == 5
    assert "2019-04, 2019-05, 2019-06" in result.stderr


def test_home_office_table_quarters(tmp_path: Path) -> None:
    table = real("homeoffice-prc-pfa-2017-18", "prc-pfa-mar2013-onwards-tables201718.csv")
    store = tmp_path / "store"
    result = run_pcp(["ingest", "--store", str(store), str(table)])
    assert result.exit_code == 0, result.stderr
    assert "23,068 rows" in result.stderr
    quarters = []
    for q in (1, 2, 3, 4):
        row = all_crime(
            store, "--force", "Leicestershire", "--period", f"Q{q} 2017/18", "--vs", f"Q{q} 2017/18"
        )
        quarters.append(row["value"])
        assert row["source"] == "prc"
    assert quarters == [20213, 21161, 21417, 21002]
    year = all_crime(store, "--force", "London, City of", "--period", "2017/18", "--vs", "2017/18")
    assert year["force"] == "city-of-london"
    # A period that cuts a quarter cannot be answered from quarterly data.
    cut = run_pcp(
        [
            "compare",
            "--store",
            str(store),
            "--kpi",
            "all-crime",
            "--force",
            "leicestershire",
            "--period",
            "2017-05..2017-07",
            "--vs",
            "2017-05..2017-07",
        ]
    )
    assert cut.exit_code == 2 and "cuts across" in cut.stderr


def test_other_real_extracts_ingest(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = run_pcp(
        [
            "ingest",
            "--store",
            str(store),
            str(real("policeuk-stop-and-search-2019-12_2020-02")),
            str(real("policeuk-thames-valley-2022-01")),
            str(real("ons-pfa-population-2009-2019")),
        ]
    )
    assert result.exit_code == 0, result.stderr
    ss = run_pcp(
        [
            "compare",
            "--store",
            str(store),
            "--kpi",
            "stop-search,stop-search-arrests",
            "--force",
            "leicestershire",
            "--period",
            "2020-01",
            "--vs",
            "2019-12",
            "--format",
            "csv",
        ]
    )
    frame = pl.read_csv(ss.stdout_bytes)
    assert frame["value"].to_list() == [336, 65]
    assert frame["baseline_value"].to_list() == [106, 1]
    tv = run_pcp(
        [
            "compare",
            "--store",
            str(store),
            "--kpi",
            "positive-outcomes,all-crime",
            "--force",
            "thames-valley",
            "--period",
            "2022-01",
            "--vs",
            "2022-01",
            "--format",
            "csv",
        ]
    )
    values = pl.read_csv(tv.stdout_bytes)["value"].to_list()
    # Outcomes file: charged 1,054 + as part of another case 13 + local resolution 860
    # + caution 245 + penalty notice 49; street: 15,691 rows less 1,456 ASB.
    assert values == [1054 + 13 + 860 + 245 + 49, 15691 - 1456]
