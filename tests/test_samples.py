"""The README's first command on the bundled samples reproduces seed 000's table, computed."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.conftest import run_pcp

# Seed 000 (Leicestershire, Q2 2018/19 against Q2 2017/18). The paper prints -734 and +467
# for two of the changes; the arithmetic gives -724 and +463, and so does pcp.
SEED_000 = {
    "calls-999": (38995, 36000, 2995),
    "calls-101": (103919, 119043, -15124),
    "incidents": (62138, 68358, -6220),
    "all-crime": (23116, 21327, 1789),
    "positive-outcomes": (1998, 2722, -724),
    "stop-search": (893, 430, 463),
}


def test_seed_000_table(sample_store: Path) -> None:
    result = run_pcp(
        [
            "compare",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            ",".join(SEED_000),
            "--period",
            "Q2 2018/19",
            "--format",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(result.stdout_bytes)
    got = {
        r["kpi"]: (r["value"], r["baseline_value"], r["change"])
        for r in frame.iter_rows(named=True)
    }
    assert got == SEED_000
    pct = dict(zip(frame["kpi"], frame["pct_change"], strict=True))
    assert round(pct["calls-999"]) == 8
    assert round(pct["stop-search"]) == 108
    assert round(pct["positive-outcomes"]) == -27


def test_seed_000_relative_quarter_and_fytd(sample_store: Path) -> None:
    # FYTD to September 2018 (seed 000 paragraph 3.1): 46,025 crimes, +4,483.
    result = run_pcp(
        [
            "compare",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            "all-crime",
            "--period",
            "FYTD",
            "--to",
            "2018-09",
            "--format",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.stderr
    row = pl.read_csv(result.stdout_bytes).row(0, named=True)
    assert (row["value"], row["change"]) == (46025, 4483)


def test_seed_003_rolling_year(sample_store: Path) -> None:
    # Seed 003: 12 months to March 2018, 81,877 against 68,706 (+13,171, +19.2%).
    result = run_pcp(
        [
            "compare",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            "all-crime",
            "--period",
            "12m",
            "--to",
            "2018-03",
            "--force",
            "leicestershire",
            "--format",
            "csv",
        ]
    )
    row = pl.read_csv(result.stdout_bytes).row(0, named=True)
    assert (row["value"], row["baseline_value"], row["change"]) == (81877, 68706, 13171)
    assert round(row["pct_change"], 1) == 19.2


def test_table_shows_correct_arithmetic(sample_store: Path) -> None:
    result = run_pcp(
        [
            "compare",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            "all",
            "--force",
            "leicestershire",
            "--period",
            "Q2 2018/19",
            "--format",
            "table",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert "−724" in result.stdout and "+463" in result.stdout
    assert "−734" not in result.stdout and "+467" not in result.stdout
