"""The application layer: one window, one SPC status and one force for every command."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import run_pcp, write_street


@pytest.fixture(scope="module")
def newer_street_store(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples plus a 2019-04 street file: street data one month ahead of the rest."""
    base = tmp_path_factory.mktemp("newer")
    store = base / "store"
    shutil.copytree(sample_store, store)
    extract = write_street(
        base / "2019-04" / "2019-04-leicestershire-street.csv",
        "2019-04",
        {"Burglary": 700, "Shoplifting": 900, "Violence and sexual offences": 2600},
    )
    result = run_pcp(["ingest", "--store", str(store), str(extract)])
    assert result.exit_code == 0, result.stderr
    return store


def test_check_looks_at_each_kpi_to_its_own_latest_month(newer_street_store: Path) -> None:
    result = run_pcp(
        ["check", "--store", str(newer_street_store), "--force", "leicestershire",
         "--kpi", "all-crime,calls-999", "--period", "12m", "--check", "spc,compare",
         "--all", "--format", "csv"]
    )  # fmt: skip
    assert result.exit_code in (0, 10), result.stderr
    found = pl.read_csv(io.BytesIO(result.stdout_bytes))
    periods = dict(found.select("kpi", "period").unique().iter_rows())
    assert periods == {"all-crime": "12m to 2019-04", "calls-999": "12m to 2019-03"}
    crime_spc = found.filter((pl.col("kpi") == "all-crime") & (pl.col("check") == "spc"))
    assert "latest point 2019-04" in crime_spc["reference_label"][0]
    assert crime_spc["value"][0] == 4200  # the rows of the new file
    assert "each KPI to its latest month" in result.stderr
