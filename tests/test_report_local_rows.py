"""The report's machine forms carry its local parts: the by-area tables (``part =
"by_area"``) and the monthly Home Office table (``part = "home_office_monthly"``), with the
same figures as the paper's tables and `pcp compare --by`, in JSON, Parquet and xlsx alike."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pcp_cli.areas import NO_LOCATION
from tests.conftest import run_pcp
from tests.test_by_area import (
    THREE_AREAS,
    domestic_by_area,
    md_table,
    records_store,
    with_lookup,
)
from tests.test_local_areas import FORCE, PERIOD, Q2, street

__all__ = ["records_store", "street", "with_lookup"]  # module-scoped fixtures, reused here

QUARTER = "Q1 2021/22"  # the records store's period (its baseline: Q1 2020/21)
HO_MONTHS = [f"2020-{m:02d}" for m in range(7, 13)] + [f"2021-{m:02d}" for m in range(1, 7)]
LOCAL_PARTS = {"by_area", "home_office_monthly"}
Rows = list[dict[str, Any]]


def report(store: Path, period: str, *args: str) -> str:
    result = run_pcp(["report", "--store", str(store), "--force", FORCE, "--period", period,
                      "-q", *args])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result.stdout


def report_rows(store: Path, period: str, *args: str) -> Rows:
    rows: Rows = json.loads(report(store, period, "--format", "json", *args))
    return rows


def part(rows: Rows, name: str) -> Rows:
    return [r for r in rows if r["part"] == name]


def number(cell: str) -> float:
    """The figure at the start of a paper cell: ``1,234 (+5.0%) [2 of 3]`` -> 1234."""
    return float(cell.split(" ")[0].replace(",", ""))


@pytest.fixture(scope="module")
def by_area_report(records_store: tuple[Path, list, dict, Path]) -> tuple[Rows, str]:
    """The records store's report with ``--by area``: its JSON rows and its markdown."""
    store = records_store[0]
    return (
        report_rows(store, QUARTER, "--by", "area"),
        report(store, QUARTER, "--by", "area", "--format", "markdown"),
    )


def test_by_area_rows_equal_the_paper_and_compare_by(
    records_store: tuple[Path, list, dict, Path], by_area_report: tuple[Rows, str]
) -> None:
    """Every by-area row is `pcp compare --by area`'s row for that KPI and area, column for
    column; the paper's cell shows the same value and % change; and the domestic abuse
    figures equal a direct count of the records by area."""
    store, records, mapping, _ = records_store
    rows, markdown = by_area_report
    areas = part(rows, "by_area")
    kpis = list(dict.fromkeys(r["kpi"] for r in areas))
    assert "domestic-abuse" in kpis and len(kpis) > 5
    result = run_pcp(["compare", "--store", str(store), "--force", FORCE, "--period", QUARTER,
                      "--kpi", ",".join(kpis), "--by", "area", "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    compared = {(r["kpi"], r["area"]): r for r in json.loads(result.stdout)}
    assert [(r["kpi"], r["area"]) for r in areas] == list(compared)  # same rows, same order
    for row in areas:
        want = compared[(row["kpi"], row["area"])]
        # missing_months is text in the report's table (as on its kpi rows), a list in compare's
        same = {k: v for k, v in want.items() if k not in ("rag", "rag_test", "missing_months")}
        assert {k: row[k] for k in same} == same, (row["kpi"], row["area"])
        assert (row["survey_rag"], row["survey_rag_test"]) == (want["rag"], want["rag_test"])
    # The section number and item are the KPI's own, as on its kpi row.
    items = {r["kpi"]: (r["section_number"], r["item"]) for r in part(rows, "kpi")}
    assert all((r["section_number"], r["item"]) == items[r["kpi"]] for r in areas)

    # The paper: the Crime section's table has the same figure in each cell.
    crime = {(r["kpi"], r["area"]): r for r in areas if r["section"] == "Crime"}
    labels = {r["label"]: r["kpi"] for r in crime.values()}
    paper = md_table(markdown, "Crime by area")
    assert {p["Area"] for p in paper} == {area for _, area in crime}
    checked = 0
    for cells in paper:
        for label, cell in cells.items():
            if label == "Area" or cell == "–":
                continue
            row = crime[(labels[label], cells["Area"])]
            assert number(cell) == row["value"], (label, cells["Area"], cell)
            if row["pct_change"] is not None:
                assert f"{abs(row['pct_change']):.1f}%" in cell
            checked += 1
    assert checked >= 3 * len(labels)

    now = domestic_by_area(records, mapping, ("2021-04", "2021-05", "2021-06"))
    before = domestic_by_area(records, mapping, ("2020-04", "2020-05", "2020-06"))
    domestic = {r["area"]: r for r in areas if r["kpi"] == "domestic-abuse"}
    assert set(domestic) == set(now) | set(before)
    for area, row in domestic.items():
        assert (row["value"], row["baseline_value"]) == (now[area], before[area]), area
        assert row["area_type"] == "area"


def test_provenance_names_the_lookup(
    records_store: tuple[Path, list, dict, Path], by_area_report: tuple[Rows, str]
) -> None:
    _, _, _, lookup = records_store
    rows, markdown = by_area_report
    keys = {r["key"]: r["text"] for r in part(rows, "provenance") if r["key"].startswith("areas")}
    assert keys["areas_by"] == "area" and keys["areas_type"] == "area"
    assert keys["areas_lookup"] == str(lookup)
    assert keys["areas_lookup_sha256"] == hashlib.sha256(lookup.read_bytes()).hexdigest()
    assert keys["areas_lookup_ingested_at"] in markdown  # the paper names the same ingest
    assert "repeat-victims" in keys["areas_note"]  # not broken down, as the paper says


def test_home_office_rows_equal_the_paper(
    records_store: tuple[Path, list, dict, Path], by_area_report: tuple[Rows, str]
) -> None:
    """One row per cell of the paper's Home Office table (code and month), in its order,
    with its total and category, equal to a direct count of the records."""
    _, records, _, _ = records_store
    rows, markdown = by_area_report
    ho = part(rows, "home_office_monthly")
    paper = md_table(markdown, "Recorded crime by Home Office category, month by month")
    months = list(paper[0])[2:-1]
    assert len(months) == 12 and len(ho) == 12 * len(paper)
    assert [r["ho_code"] for r in ho[::12]] == [p["HO code"] for p in paper]
    direct = Counter((r.ho_code, r.month) for r in records if r.month in HO_MONTHS)
    for i, cells in enumerate(paper):
        cell_rows = ho[12 * i : 12 * i + 12]
        assert [r["period_start"] for r in cell_rows] == HO_MONTHS
        assert all(r["period_end"] == r["period_start"] for r in cell_rows)
        assert [r["value"] for r in cell_rows] == [number(cells[m]) for m in months]
        assert [r["value"] for r in cell_rows] == [direct[(cells["HO code"], m)] for m in HO_MONTHS]
        assert {r["total"] for r in cell_rows} == {number(cells["Total"])}
        assert {r["category"] or "–" for r in cell_rows} == {cells["Category"]}
    by_code = {r["ho_code"]: r["category"] for r in ho}
    assert by_code["19C"] == "Rape" and by_code["58A"] is None


def test_parquet_and_xlsx_carry_the_same_rows(
    records_store: tuple[Path, list, dict, Path], by_area_report: tuple[Rows, str], tmp_path: Path
) -> None:
    import openpyxl

    store = records_store[0]
    rows, _ = by_area_report
    parquet, xlsx = tmp_path / "paper.parquet", tmp_path / "paper.xlsx"
    report(store, QUARTER, "--by", "area", "-o", str(parquet))
    report(store, QUARTER, "--by", "area", "-o", str(xlsx))
    table = pl.read_parquet(parquet)
    book = openpyxl.load_workbook(xlsx, read_only=True)
    assert {"by_area", "home_office_monthly"} <= set(book.sheetnames)
    columns = {
        "by_area": ["kpi", "area", "area_type", "value", "baseline_value", "pct_change",
                    "verdict", "p_value"],
        "home_office_monthly": ["ho_code", "category", "period_start", "value", "total"],
    }  # fmt: skip
    for name, wanted in columns.items():
        expected = [[r[c] for c in wanted] for r in part(rows, name)]
        stored = table.filter(pl.col("part") == name).select(wanted).rows()
        assert [[_month(v) for v in r] for r in stored] == expected, name
        sheet = book[name].iter_rows(values_only=True)
        header = list(next(sheet))
        cells = [[_month(r[header.index(c)]) for c in wanted] for r in sheet]
        # xlsxwriter writes numbers to 16 significant digits: equal to that precision.
        want = [[None if v == "" else _approx(v) for v in r] for r in expected]
        assert cells == want, name


def _approx(value: object) -> object:
    return pytest.approx(value, rel=1e-15, abs=0) if isinstance(value, float) else value


def _month(value: object) -> object:
    """Parquet and xlsx hold months as dates; JSON writes ``YYYY-MM``."""
    return value.strftime("%Y-%m") if isinstance(value, dt.date) else value


def test_rank_per_1000_rows(with_lookup: tuple[Path, list, Path]) -> None:
    """With populations in the lookup, the by-area rows carry each area's rate per 1,000
    residents and its rank, as compare --by gives them and the paper prints them."""
    store, rows, _ = with_lookup
    got = report_rows(store, PERIOD, "--by", "area")
    asb = {r["area"]: r for r in part(got, "by_area") if r["kpi"] == "asb-incidents"}
    people: dict[str, int] = {}
    for i, area in enumerate(THREE_AREAS.values()):
        people[area] = people.get(area, 0) + 1500 + 250 * i
    counts = Counter(
        THREE_AREAS[code] for month, code, _, kind in rows
        if month in Q2 and kind == "Anti-social behaviour" and code in THREE_AREAS
    )  # fmt: skip
    order = sorted(people, key=lambda a: counts[a] / people[a])  # lower is better for ASB
    for area, population in people.items():
        row = asb[area]
        assert row["population"] == population and row["value"] == counts[area]
        assert row["per_1000"] == counts[area] / population * 1000
        assert (row["rank_per_1000"], row["areas_ranked"]) == (order.index(area) + 1, 3)
    assert asb[NO_LOCATION]["rank_per_1000"] is None
    paper = md_table(report(store, PERIOD, "--by", "area", "--format", "markdown"),
                     f"{asb['North']['section']} by area")  # fmt: skip
    label = asb["North"]["label"]
    shown = {p["Area"]: p[label] for p in paper}
    for area in people:
        assert shown[area].endswith(f"[{asb[area]['rank_per_1000']} of 3]"), shown[area]


def test_no_local_rows_without_a_lookup_or_records(
    with_lookup: tuple[Path, list, Path], records_store: tuple[Path, list, dict, Path],
    sample_store: Path,
) -> None:  # fmt: skip
    """No --by and no crime records: neither part, no areas provenance; records without
    --by: the Home Office rows only."""
    for store, period in ((sample_store, "Q2 2018/19"), (with_lookup[0], PERIOD)):
        rows = report_rows(store, period)
        assert not {r["part"] for r in rows} & LOCAL_PARTS
        assert not [r for r in rows if r["part"] == "provenance" and r["key"].startswith("areas")]
        assert not any(r.get(c) is not None for r in rows for c in ("area", "ho_code", "total"))
    records_only = report_rows(records_store[0], QUARTER)
    assert {r["part"] for r in records_only} & LOCAL_PARTS == {"home_office_monthly"}
