"""Breakdown tables (issue 12 item 7): a KPI by the breakdown KPIs its KPI file names, month
by month with totals, from one app function (app.breakdown) for `pcp table` and the report.

Every cell is checked against a direct count of the fixture's rows; the total row is the
KPI's own monthly series (the one `pcp compare` reports), not the sum of the parts: a crime
can carry two hate strands, so the strands add up to more than hate crime in some months.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import REPO, run_pcp
from tests.records_data import STRANDS, Record, make_records, write_canonical

FORCE = "leicestershire"
MONTHS = ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]
KPIS = REPO / "config" / "kpis.toml"


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return make_records()


@pytest.fixture(scope="module")
def records_store(records: list[Record], tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("breakdown")
    extract = write_canonical(base / "records.csv", records)
    result = run_pcp(
        ["ingest", "--store", str(base / "store"), "--force", FORCE,
         "--kind", "crime-records", str(extract)]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return base / "store"


def table(store: Path, *args: str) -> pl.DataFrame:
    result = run_pcp(["table", "--store", str(store), "--force", FORCE, *args, "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(result.stdout_bytes)


def test_hate_crime_by_strand_counts_the_records(
    records_store: Path, records: list[Record]
) -> None:
    frame = table(records_store, "--kpi", "hate-crime", "--by", "month",
                  "--period", "2021-01..2021-06")  # fmt: skip
    got = {(r["kpi"], r["month"]): r["value"] for r in frame.iter_rows(named=True)}
    assert len(got) == 6 * 6  # five strands and the total, six months
    for month in MONTHS:
        in_month = [r for r in records if r.month == month]
        for strand in STRANDS:
            assert got[(f"hate-crime-{strand}", month)] == sum(
                strand in r.strands for r in in_month
            )
        assert got[("hate-crime", month)] == sum(bool(r.strands) for r in in_month)
    assert set(frame.filter(pl.col("role") == "total")["kpi"]) == {"hate-crime"}
    assert set(frame["source"]) == {"crime-records"}
    # Not exhaustive: a crime with two strands is one hate crime but counted in two rows.
    parts = frame.filter(pl.col("role") == "part").group_by("month").agg(pl.col("value").sum())
    sums = dict(zip(parts["month"], parts["value"], strict=True))
    overlap = {m: sums[m] - got[("hate-crime", m)] for m in MONTHS}
    expected = {
        m: sum(len(r.strands) - 1 for r in records if r.month == m and r.strands) for m in MONTHS
    }
    assert overlap == expected
    assert any(v > 0 for v in overlap.values())


def test_total_row_is_the_kpis_monthly_series_as_compare_gives_it(records_store: Path) -> None:
    frame = table(records_store, "--kpi", "hate-crime", "--period", "Q1 2021/22")
    total = frame.filter(pl.col("role") == "total")["value"].to_list()
    result = run_pcp(
        ["compare", "--store", str(records_store), "--force", FORCE, "--kpi", "hate-crime",
         "--period", "Q1 2021/22", "--format", "json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)[0]
    assert total == row["monthly"]
    assert sum(total) == row["value"]


def test_table_view_has_a_total_column(records_store: Path, records: list[Record]) -> None:
    result = run_pcp(
        ["table", "--store", str(records_store), "--force", FORCE, "--kpi", "hate-crime",
         "--period", "2021-01..2021-06", "--format", "markdown"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert lines[0].split("|")[2].strip() == "Jan 21" and lines[0].split("|")[-2].strip() == "Total"
    race = next(line for line in lines if "race" in line)
    expected = sum("race" in r.strands for r in records if r.month in MONTHS)
    assert race.split("|")[-2].strip() == f"{expected:,}"


def test_stop_search_by_object_counts_the_sample_file(sample_store: Path) -> None:
    frame = table(sample_store, "--kpi", "stop-search", "--period", "Q2 2018/19")
    data = sample_store.parent / "data" / "police-uk"
    for r in frame.iter_rows(named=True):
        path = data / r["month"] / f"{r['month']}-leicestershire-stop-and-search.csv"
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        if r["role"] == "part":
            expected = sum(row["Object of search"] == "Offensive weapons" for row in rows)
        else:
            expected = len(rows)
        assert r["value"] == expected, (r["kpi"], r["month"])
    # Seed 000, 5.1: 194, 355 and 344 searches, 36, 68 and 76 for offensive weapons.
    assert frame["value"].to_list() == [36, 68, 76, 194, 355, 344]


def test_report_carries_the_breakdown_rows_and_table(sample_store: Path) -> None:
    args = ["report", "--store", str(sample_store), "--force", FORCE, "--period", "Q2 2018/19"]
    result = run_pcp([*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = [r for r in json.loads(result.stdout) if r["part"] == "breakdown"]
    direct = table(sample_store, "--kpi", "stop-search", "--period", "12m", "--to", "2018-09")
    assert [(r["kpi"], r["period_start"], r["value"], r["status"]) for r in rows] == list(
        direct.select("kpi", "month", "value", "role").iter_rows()
    )
    assert {r["item"] for r in rows} == {"stop-search"}  # hate crime: no strands in the samples
    markdown = run_pcp([*args, "--format", "markdown"]).stdout
    assert "### Number of stop and searches by month" in markdown
    assert "| Total: Number of stop and searches | 176 |" in markdown
    assert "Hate crime by month" not in markdown


@pytest.mark.parametrize(
    ("breakdown", "message"),
    [
        ('["hate-crime-race", "hate-crime-rac"]', "names KPI 'hate-crime-rac', which is not"),
        ('["hate-crime"]', "a KPI cannot break down itself"),
        ('"hate-crime-race"', "must be a list of KPI ids"),
    ],
)
def test_kpis_check_names_file_and_key(tmp_path: Path, breakdown: str, message: str) -> None:
    text = KPIS.read_text(encoding="utf-8")
    line = (
        'breakdown = ["hate-crime-race", "hate-crime-religion", "hate-crime-sexual-orientation",\n'
        '             "hate-crime-disability", "hate-crime-transgender"]\n'
    )
    assert line in text
    bad = tmp_path / "kpis.toml"
    bad.write_text(text.replace(line, f"breakdown = {breakdown}\n"), encoding="utf-8")
    result = run_pcp(["kpis", "check", str(bad)])
    assert result.exit_code == 3
    assert f"{bad}:" in result.stderr and "[kpi.hate-crime.breakdown]" in result.stderr
    assert message in result.stderr


def test_table_of_a_kpi_without_breakdown_is_a_usage_error(sample_store: Path) -> None:
    result = run_pcp(["table", "--store", str(sample_store), "--kpi", "all-crime"])
    assert result.exit_code == 2
    assert "has no breakdown" in result.stderr and "[kpi.all-crime]" in result.stderr


def test_report_shows_hate_crime_by_strand_for_12_months(
    records_store: Path, records: list[Record]
) -> None:
    result = run_pcp(
        ["report", "--store", str(records_store), "--force", FORCE, "--period", "Q1 2021/22",
         "--format", "markdown"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    head = lines.index("### Hate crime by month") + 2
    assert lines[head].split("|")[2].strip() == "Jul 20"  # the 12 months to June 2021
    months = [f"2020-{m:02d}" for m in range(7, 13)] + [f"2021-{m:02d}" for m in range(1, 7)]
    race = [c.strip() for c in lines[head + 2].split("|")[2:-1]]
    counts = [sum("race" in r.strands for r in records if r.month == m) for m in months]
    assert race == [*map(str, counts), str(sum(counts))]
    total = [c.strip() for c in lines[head + 7].split("|")[1:-1]]
    counts = [sum(bool(r.strands) for r in records if r.month == m) for m in months]
    assert total == ["Total: Hate crime", *map(str, counts), str(sum(counts))]
