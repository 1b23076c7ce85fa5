"""The application layer: one window, one SPC status and one force for every command."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import run_pcp, write_street, write_two_forces


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
    compared = found.filter(pl.col("check") == "compare")
    periods = dict(compared.select("kpi", "period").iter_rows())
    assert periods == {"all-crime": "12m to 2019-04", "calls-999": "12m to 2019-03"}
    # The SPC rows name the latest --recent (3) months each KPI's status reads.
    spc = found.filter(pl.col("check") == "spc")
    read = dict(spc.select("kpi", "period").iter_rows())
    assert read == {"all-crime": "2019-02..2019-04", "calls-999": "Q4 2018/19"}
    crime_spc = found.filter((pl.col("kpi") == "all-crime") & (pl.col("check") == "spc"))
    assert "latest point 2019-04" in crime_spc["reference_label"][0]
    assert crime_spc["value"][0] == 4200  # the rows of the new file
    assert "each KPI to its latest month" in result.stderr


def test_design_card_command_works_as_typed_after_the_readme_set_up(sample_store: Path) -> None:
    """`pcp compare --kpi all-crime --period Q2`: no --force, no pcp.toml; Leicestershire is
    the only force with its own extracts, Q2 the latest Q2 held (2018/19)."""
    result = run_pcp(
        ["compare", "--kpi", "all-crime", "--period", "Q2", "--store", str(sample_store)]
    )
    assert result.exit_code == 0, result.stderr
    row = pl.read_csv(io.BytesIO(result.stdout_bytes)).row(0, named=True)
    assert (row["force"], row["period"], row["baseline_period"]) == (
        "leicestershire",
        "Q2 2018/19",
        "Q2 2017/18",
    )
    assert (row["value"], row["baseline_value"]) == (23116, 21327)
    table = run_pcp(
        ["compare", "--kpi", "all-crime", "--period", "Q2", "--store", str(sample_store),
         "--format", "table"]
    )  # fmt: skip
    assert "23,116" in table.stdout and "21,327" in table.stdout


def test_which_force_lists_the_forces_held_and_how_to_set_one(tmp_path: Path) -> None:
    store = tmp_path / "store"
    files = write_two_forces(tmp_path / "data", ("2019-01", "2019-02"))
    assert run_pcp(["ingest", "--store", str(store), *map(str, files)]).exit_code == 0
    result = run_pcp(
        ["compare", "--kpi", "all-crime", "--period", "2019-02", "--store", str(store)]
    )
    assert result.exit_code == 2
    assert "which force? give --force" in result.stderr
    assert "the store holds essex, leicestershire" in result.stderr
    assert 'home_force = "essex" in pcp.toml or $PCP_FORCE' in result.stderr


@pytest.mark.parametrize(
    ("change", "polarity", "judged"),
    [
        (-3.0, "lower-is-better", "better"),
        (3.0, "lower-is-better", "worse"),
        (-3.0, "higher-is-better", "worse"),
        (3.0, "higher-is-better", "better"),
        (3.0, "neutral", "neutral"),
        (0.0, "lower-is-better", "neutral"),
        (None, "higher-is-better", "neutral"),
    ],
)
def test_one_polarity_judgement(change: float | None, polarity: str, judged: str) -> None:
    from pcp_cli.analysis.judgement import judge_change, judge_verdict

    assert judge_change(change, polarity) == judged
    verdict = (
        "no significant change"
        if not change
        else ("significant increase" if change > 0 else "significant decrease")
    )
    assert judge_verdict(verdict, polarity) == judged
    assert judge_verdict("no significant change", polarity) == "neutral"
