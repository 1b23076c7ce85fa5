"""`pcp cdi`: the seed 003 crime-data-integrity estimate, given or counted from the store."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import run_pcp

SEED = ["--recorded", "81877", "--previous", "68706", "--from", "75.8", "--to", "87.4"]


def test_seed_003_figures() -> None:
    result = run_pcp(["cdi", *SEED, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)[0]
    assert row["average_compliance"] == pytest.approx(81.6, abs=1e-9)
    assert row["expected_at_start"] == pytest.approx(81877 * 75.8 / 81.6, abs=1e-6)
    assert round(row["expected_at_start"]) == 76057
    assert row["attributable"] == pytest.approx(5819.688725, abs=1e-6)
    assert row["increase"] == 13171
    assert row["share_of_increase"] == pytest.approx(5819.688725 / 13171, abs=1e-9)
    assert row["compliance"] == [75.8, 87.4]
    assert row["counts_from"] == "given" and row["force"] is None
    assert (
        "81,877 crimes recorded at an average compliance of 81.6% would have been about 76,057 "
        "at 75.8%: about 5,820 of the 13,171 extra crimes (44.2%)" in result.stderr
    )


def test_table_view() -> None:
    result = run_pcp(["cdi", *SEED, "--format", "markdown"])
    assert result.exit_code == 0
    for line in (
        "| Average compliance | 81.6% |",
        "| Expected at 75.8% | 76,057 |",
        "| Attributable to better recording | 5,820 |",
        "| Increase | +13,171 |",
        "| Share of the increase | 44.2% |",
    ):
        assert line in result.stdout


def test_audit_points_and_percent_signs() -> None:
    result = run_pcp(
        [
            "cdi",
            "--recorded",
            "1000",
            "--previous",
            "900",
            "--from",
            "70%",
            "--audit",
            "80",
            "--to",
            "90",
            "--format",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.stderr
    row = pl.read_csv(io.BytesIO(result.stdout_bytes)).row(0, named=True)
    assert row["compliance"] == "70;80;90"
    assert row["average_compliance"] == pytest.approx(80.0)
    assert row["expected_at_start"] == pytest.approx(875.0)
    assert row["attributable"] == pytest.approx(125.0)
    only_audits = run_pcp(
        [
            "cdi",
            "--recorded",
            "1000",
            "--previous",
            "900",
            "--audit",
            "70",
            "--audit",
            "90",
            "--format",
            "csv",
        ]
    )
    assert only_audits.exit_code == 0
    assert "875" in only_audits.stdout


def test_counts_from_the_store(tmp_path: Path) -> None:
    # Monthly counts summing to seed 003's 68,706 (2016/17) and 81,877 (2017/18).
    rows = []
    for year, total in ((2016, 68706), (2017, 81877)):
        per = total // 12
        for i in range(12):
            y, m = (year, 4 + i) if i < 9 else (year + 1, i - 8)
            value = per + (total - per * 12 if i == 11 else 0)
            rows.append(f"Leicestershire,{y}-{m:02d},knife_crime,{value}")
    src = tmp_path / "counts.csv"
    src.write_text("force,month,measure,value\n" + "\n".join(rows) + "\n")
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(src)]).exit_code == 0
    base = ["cdi", "--store", str(store), "--kpi", "knife-crime", "--force", "leicestershire"]
    result = run_pcp([*base, "--from", "75.8", "--to", "87.4", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)[0]
    assert (row["recorded"], row["previous"]) == (81877, 68706)
    assert (row["period"], row["baseline_period"]) == ("12m to 2018-03", "12m to 2017-03")
    assert row["counts_from"] == "store" and row["kpi"] == "knife-crime"
    assert round(row["attributable"]) == 5820
    fy = run_pcp(
        [
            *base,
            "--period",
            "2017/18",
            "--vs",
            "2016/17",
            "--from",
            "75.8",
            "--to",
            "87.4",
            "--format",
            "json",
        ]
    )
    assert json.loads(fy.stdout)[0]["increase"] == 13171


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "75.8"], "compliance at the start and the end"),
        (["--from", "0", "--to", "87.4"], "above 0 and up to 100"),
        (["--from", "abc", "--to", "87.4"], "is not a percentage"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    result = run_pcp(["cdi", "--recorded", "10", "--previous", "5", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_no_increase_warns() -> None:
    result = run_pcp(
        [
            "cdi",
            "--recorded",
            "900",
            "--previous",
            "1000",
            "--from",
            "75.8",
            "--to",
            "87.4",
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["share_of_increase"] is None
    assert "did not rise" in result.stderr
