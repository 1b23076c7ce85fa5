"""The panel paper's content items (issue 12): year to date, targets, known events, ..."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pcp_cli.app.window import year_to_date
from pcp_cli.app.ytd import year_to_date_values
from pcp_cli.engine import Engine
from pcp_cli.kpis import load_catalogue
from pcp_cli.periods import month_text, parse_period
from pcp_cli.store import Store
from tests.conftest import REPO, run_pcp

FORCE = "leicestershire"
PERIOD = "Q2 2018/19"


@contextmanager
def engine(store: Path) -> Iterator[Engine]:
    catalogue = load_catalogue(REPO / "config" / "kpis.toml")
    with Store(store).reading() as reader:
        yield Engine(reader, catalogue)


def report_json(store: Path, *args: str) -> list[dict[str, Any]]:
    result = run_pcp(
        ["report", "--store", str(store), "--force", FORCE, "--period", PERIOD,
         "--charts", "none", "--format", "json", *args]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def kpi_rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["kpi"]: r for r in rows if r["part"] == "kpi"}


# -- year to date ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("period", "ytd", "baseline"),
    [
        ("Q2 2018/19", "2018-04..2018-09", "2017-04..2017-09"),
        ("Q4 2018/19", "2018-04..2019-03", "2017-04..2018-03"),  # January to March: same year
        ("2018-04", "2018-04..2018-04", "2017-04..2017-04"),
        ("12m to 2019-01", "2018-04..2019-01", "2017-04..2018-01"),
    ],
)
def test_year_to_date_is_april_to_the_periods_end(period: str, ytd: str, baseline: str) -> None:
    window = year_to_date(parse_period(period))
    assert f"{month_text(window.period.start)}..{month_text(window.period.end)}" == ytd
    assert f"{month_text(window.baseline.start)}..{month_text(window.baseline.end)}" == baseline


@pytest.fixture(scope="module")
def q2_report(sample_store: Path) -> dict[str, dict[str, Any]]:
    return kpi_rows(report_json(sample_store))


def test_seed_000_year_to_date_in_the_report(q2_report: dict[str, dict[str, Any]]) -> None:
    """Seed 000: all crime FYTD 46,025, +4,483 (April to September 2018 against 2017)."""
    crime = q2_report["all-crime"]
    assert crime["ytd_period"] == "FYTD 2018/19 to 2018-09"
    assert crime["ytd_baseline_period"] == "FYTD 2017/18 to 2017-09"
    assert (crime["ytd_value"], crime["ytd_baseline_value"]) == (46025, 41542)
    assert crime["ytd_change"] == 4483
    assert crime["ytd_pct_change"] == pytest.approx(100 * 4483 / 41542)


def test_year_to_date_equals_compare_of_the_fytd(
    sample_store: Path, q2_report: dict[str, dict[str, Any]]
) -> None:
    """The report's year to date is the figure `pcp compare --period FYTD` gives, for every
    KPI compare can work out (counts, ratios, quarterly Home Office tables)."""
    result = run_pcp(
        ["compare", "--store", str(sample_store), "--force", FORCE, "--kpi", "all",
         "--period", "FYTD 2018/19 to 2018-09", "--format", "csv"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    compared = pl.read_csv(io.BytesIO(result.stdout_bytes))
    checked = 0
    for row in compared.iter_rows(named=True):
        line = q2_report[row["kpi"]]
        if row["kpi"] in ("victim-satisfaction", "public-confidence", "asb-satisfaction"):
            assert line["ytd_value"] is None  # a survey is already a rolling year
            continue
        assert line["ytd_value"] == pytest.approx(row["value"]), row["kpi"]
        assert line["ytd_baseline_value"] == pytest.approx(row["baseline_value"]), row["kpi"]
        checked += 1
    assert checked >= 35
    # The quarterly Home Office figures are there too (Q1 + Q2).
    assert q2_report["violence-with-injury"]["ytd_value"] == 3477


def test_year_to_date_of_a_quarterly_series_cut_mid_quarter_is_not_shown(
    sample_store: Path,
) -> None:
    with engine(sample_store) as e:
        kpis = e.catalogue.kpis
        cut = year_to_date_values(e, kpis["violence-with-injury"], FORCE, parse_period("2018-08"))
        monthly = year_to_date_values(e, kpis["all-crime"], FORCE, parse_period("2018-08"))
    assert cut.value is None and cut.change is None
    assert monthly.value == 46025 - 7411  # April to August: September's 7,411 left out
