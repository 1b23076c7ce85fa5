"""`--by` in the commands: compare rows per area (issue 15's done-when checks), the rank of
areas per 1,000 residents, spc per area, check per area and the report's by-area table."""

from __future__ import annotations

import io
import json
from collections import Counter
from itertools import pairwise
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.analysis.significance import count_change
from pcp_cli.areas import NO_LOCATION, NOT_IN_LOOKUP
from tests.conftest import real, run_pcp
from tests.test_local_areas import FORCE, LSOAS, PERIOD, Q2, street, write_lookup

__all__ = ["street"]  # the module-scoped fixture of ingested street files, reused here

Q2_BEFORE = ("2017-07", "2017-08", "2017-09")
THREE_AREAS = {
    "E01025600": "City Centre",
    "E01025601": "City Centre",
    "E01025631": "South",
    "E01025700": "North",
    "E01025800": "South",
}


def compare_csv(store: Path, *args: str) -> pl.DataFrame:
    result = run_pcp(["compare", "--store", str(store), "--format", "csv", "-q", *args])
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(io.StringIO(result.stdout))


@pytest.fixture(scope="module")
def with_lookup(
    street: tuple[Path, list], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list, Path]:
    """The street files and a lookup of the LSOA codes to three areas, with populations."""
    base, rows = street
    tmp = tmp_path_factory.mktemp("by-area")
    store = tmp / "store"
    assert run_pcp(["ingest", "--store", str(store), str(base / "data")]).exit_code == 0
    people = {code: str(1500 + 250 * i) for i, code in enumerate(THREE_AREAS)}
    lookup = write_lookup(tmp / "npa.csv", THREE_AREAS, population=people)
    result = run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(lookup)])
    assert result.exit_code == 0, result.stderr
    return store, rows, lookup


def asb_by_area(rows: list, months: tuple[str, ...]) -> dict[str, int]:
    """ASB per area counted straight from the rows written to the CSV files."""
    return dict(
        Counter(
            (THREE_AREAS.get(code, NOT_IN_LOOKUP) if code else NO_LOCATION)
            for month, code, _, crime_type in rows
            if month in months and crime_type == "Anti-social behaviour"
        )
    )


def test_compare_by_area_gives_each_areas_asb_count(with_lookup: tuple[Path, list, Path]) -> None:
    """Issue 15: with a lookup of LSOA codes to three areas, compare --by area gives each
    area's ASB count, checked against the raw rows, in both periods."""
    store, rows, _ = with_lookup
    frame = compare_csv(store, "--kpi", "asb-incidents", "--period", PERIOD,
                        "--force", FORCE, "--by", "area")  # fmt: skip
    assert frame.columns[0] == "area"
    got = dict(zip(frame["area"], frame["value"], strict=True))
    assert got == {k: float(v) for k, v in asb_by_area(rows, Q2).items()}
    before = dict(zip(frame["area"], frame["baseline_value"], strict=True))
    assert before == {k: float(v) for k, v in asb_by_area(rows, Q2_BEFORE).items()}
    assert {"City Centre", "North", "South"} <= set(got)
    assert frame["area"].to_list()[-1] == NO_LOCATION  # catch-alls last
    # Every other column as in the force's compare output, in the same order.
    force = compare_csv(store, "--kpi", "asb-incidents", "--period", PERIOD, "--force", FORCE)
    assert frame.columns[2 : 2 + len(force.columns)] == force.columns
    assert frame["value"].sum() == force["value"][0]


def test_each_area_has_the_force_rows_verdict(with_lookup: tuple[Path, list, Path]) -> None:
    """The verdict of an area's row is the count test of its own two figures."""
    store, _, _ = with_lookup
    frame = compare_csv(store, "--kpi", "asb-incidents", "--period", PERIOD,
                        "--force", FORCE, "--by", "area")  # fmt: skip
    for r in frame.iter_rows(named=True):
        expected = count_change(r["value"], r["baseline_value"], 3, 3, 0.05)
        assert r["verdict"] == expected.verdict
        assert r["p_value"] == pytest.approx(expected.p_value, rel=1e-12)
        assert r["change"] == r["value"] - r["baseline_value"]
        months = [float(x) for x in str(r["monthly"]).split(";")]
        assert sum(months) == r["value"]


def test_rank_per_1000_residents(with_lookup: tuple[Path, list, Path]) -> None:
    store, rows, _ = with_lookup
    frame = compare_csv(store, "--kpi", "asb-incidents", "--period", PERIOD,
                        "--force", FORCE, "--by", "area")  # fmt: skip
    people: dict[str, int] = {}
    for i, (_code, area) in enumerate(THREE_AREAS.items()):
        people[area] = people.get(area, 0) + 1500 + 250 * i
    counts = asb_by_area(rows, Q2)
    rate = {a: counts.get(a, 0) / people[a] * 1000 for a in people}
    # Lower is better for ASB: rank 1 is the lowest rate.
    order = sorted(rate, key=rate.__getitem__)
    ranked = frame.filter(pl.col("rank_per_1000").is_not_null())
    assert dict(zip(ranked["area"], ranked["per_1000"], strict=True)) == pytest.approx(rate)
    assert dict(zip(ranked["area"], ranked["rank_per_1000"], strict=True)) == {
        a: order.index(a) + 1 for a in order
    }
    assert set(ranked["areas_ranked"].to_list()) == {3}
    catch_alls = frame.filter(pl.col("area").is_in([NO_LOCATION, NOT_IN_LOOKUP]))
    assert catch_alls["rank_per_1000"].null_count() == catch_alls.height


def test_compare_by_district_on_the_synthetic_rows(street: tuple[Path, list]) -> None:
    base, rows = street
    frame = compare_csv(base / "store", "--kpi", "all-crime", "--period", PERIOD,
                        "--force", FORCE, "--by", "local-authority")  # fmt: skip
    expected = Counter(
        name.rsplit(" ", 1)[0] if name else NO_LOCATION
        for month, _, name, crime_type in rows
        if month in Q2 and crime_type != "Anti-social behaviour"
    )
    assert dict(zip(frame["area"], frame["value"], strict=True)) == {
        k: float(v) for k, v in expected.items()
    }
    assert set(frame["area_type"].to_list()) == {"local-authority"}
    assert frame["rank_per_1000"].null_count() == frame.height  # no populations: no rank
    assert {n.rsplit(" ", 1)[0] for _, n in LSOAS if n} <= set(frame["area"].to_list())


def test_by_refuses_a_kpi_without_location(street: tuple[Path, list], tmp_path: Path) -> None:
    base, _ = street
    result = run_pcp(["compare", "--store", str(base / "store"), "--kpi", "all-crime",
                      "--period", PERIOD, "--force", FORCE, "--by", "ward"])  # fmt: skip
    assert result.exit_code == 5 and "no lookup of areas" in result.stderr
    assert "Traceback" not in result.stderr


def test_compare_by_area_json_names_the_lookup(with_lookup: tuple[Path, list, Path]) -> None:
    store, _, lookup = with_lookup
    result = run_pcp(["compare", "--store", str(store), "--kpi", "asb-incidents,burglary",
                      "--period", PERIOD, "--force", FORCE, "--by", "area", "--format",
                      "json"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert {r["kpi"] for r in records} == {"asb-incidents", "burglary"}
    assert f"areas from the lookup {lookup}" in result.stderr


@pytest.mark.realdata
def test_leicestershire_compare_by_local_authority_q2_2021_22(tmp_path: Path) -> None:
    """Issue 15's done-when: `pcp compare --kpi all-crime --period "Q2 2021/22" --force
    leicestershire --by local-authority` on the real street files gives one row per district
    with an `area` column, equal to a count of the raw rows by LSOA name prefix (both
    periods)."""
    source = real("policeuk-street-leicestershire-2020-2022")
    store = tmp_path / "store"
    files = {
        m: [str(p) for p in (source / m).glob("*.csv")]
        for m in ("2020-07", "2020-08", "2020-09", "2021-07", "2021-08", "2021-09")
    }
    result = run_pcp(["ingest", "--store", str(store), *[f for fs in files.values() for f in fs]])
    assert result.exit_code == 0, result.stderr
    frame = compare_csv(store, "--kpi", "all-crime", "--period", "Q2 2021/22",
                        "--force", "leicestershire", "--by", "local-authority")  # fmt: skip

    def by_prefix(months: tuple[str, ...]) -> dict[str, float]:
        raw = pl.concat([pl.read_csv(f, infer_schema=False) for m in months for f in files[m]])
        counted = (
            raw.filter(pl.col("Crime type") != "Anti-social behaviour")
            .group_by(pl.col("LSOA name").str.replace(r" \d{3}[A-Z]$", "").fill_null(NO_LOCATION))
            .len()
        )
        return {str(k): float(v) for k, v in counted.iter_rows()}

    assert frame.columns[0] == "area"
    assert frame["area"].n_unique() == frame.height  # one row per district
    now = by_prefix(("2021-07", "2021-08", "2021-09"))
    then = by_prefix(("2020-07", "2020-08", "2020-09"))
    got = dict(zip(frame["area"], frame["value"], strict=True))
    # Districts of the baseline only (a few crimes over the border a year ago) show 0.
    assert set(now) <= set(got) and got == {a: now.get(a, 0.0) for a in got}
    assert sum(got.values()) == sum(now.values())
    got_then = {a: v for a, v in zip(frame["area"], frame["baseline_value"], strict=True)}
    assert got_then == {a: then.get(a, 0.0) for a in got_then}
    assert {"Leicester", "Charnwood", "Rutland", "Oadby and Wigston"} <= set(now)


# -- the report: a by-area table per section and monthly Home Office categories -----------
def md_table(markdown: str, title: str) -> list[dict[str, str]]:
    """The rows of the pipe table under the heading or bold title ``title``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip("#* ") == title)
    body = [line for line in lines[start + 1 :] if line.strip()]
    table = []
    for line in body:
        if not line.startswith("|"):
            break
        table.append([c.strip().replace("\\", "") for c in line.strip("|").split("|")])
    headers, rows = table[0], table[2:]
    return [dict(zip(headers, r, strict=True)) for r in rows]


@pytest.fixture(scope="module")
def records_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list, dict, Path]:
    """A force's crime records (2020-04..2022-03) and a lookup of its LSOAs to three areas
    (one LSOA left out of the lookup)."""
    from tests.records_data import make_records, write_canonical

    tmp = tmp_path_factory.mktemp("records-areas")
    records = make_records()
    store = tmp / "store"
    path = write_canonical(tmp / "records.csv", records)
    result = run_pcp(["ingest", "--store", str(store), "--force", FORCE, str(path)])
    assert result.exit_code == 0, result.stderr
    codes = sorted({r.lsoa_code for r in records if r.lsoa_code})
    mapping = {c: ("North", "South", "City")[i % 3] for i, c in enumerate(codes[:-1])}
    lookup = write_lookup(tmp / "npa.csv", mapping)
    result = run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(lookup)])
    assert result.exit_code == 0, result.stderr
    return store, records, mapping, lookup


def domestic_by_area(records: list, mapping: dict, months: tuple[str, ...]) -> Counter[str]:
    """Domestic abuse crimes by area counted straight from the records (the test's oracle)."""
    return Counter(
        (mapping.get(r.lsoa_code, NOT_IN_LOOKUP) if r.lsoa_code else NO_LOCATION)
        for r in records
        if r.month in months and r.domestic
    )


def report_md(store: Path, *args: str, cwd: Path | None = None) -> str:
    result = run_pcp(["report", "--store", str(store), "--force", FORCE, "--period",
                      "Q1 2021/22", "--format", "markdown", "-q", *args], cwd=cwd)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_report_has_a_by_area_table_from_the_lookup(
    records_store: tuple[Path, list, dict, Path],
) -> None:
    """Issue 15: the report of a force with records and a lookup has a by-area table; its
    domestic abuse figures equal a direct count of the records by area."""
    store, records, mapping, lookup = records_store
    text = report_md(store, "--by", "area")
    assert "## By area" in text
    assert f"Areas from the lookup {lookup}".replace("_", "\\_") in text  # which lookup
    rows = md_table(text, "Crime by area")
    got = {r["Area"]: r["Domestic abuse crimes"] for r in rows}

    now = domestic_by_area(records, mapping, ("2021-04", "2021-05", "2021-06"))
    before = domestic_by_area(records, mapping, ("2020-04", "2020-05", "2020-06"))
    assert set(got) == set(now) | set(before)
    for area, cell in got.items():
        value = now.get(area, 0)
        assert cell.startswith(f"{value:,}"), (area, cell)
        if before.get(area):
            pct = (value - before[area]) / before[area] * 100
            assert f"{abs(pct):.1f}%" in cell, (area, cell)


def test_report_html_has_both_local_parts(
    records_store: tuple[Path, list, dict, Path], tmp_path: Path
) -> None:
    store, _, _, _ = records_store
    out = tmp_path / "paper.html"
    args = ["--period", "Q1 2021/22", "--by", "area", "--charts", "none", "-o", str(out)]
    result = run_pcp(["report", "--store", str(store), "--force", FORCE, *args])
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert 'id="by-area"' in html and 'id="home-office-monthly"' in html
    assert "Domestic abuse crimes" in html


def test_report_has_monthly_home_office_categories(
    records_store: tuple[Path, list, dict, Path],
) -> None:
    store, records, _, _ = records_store
    text = report_md(store)  # without --by: no by-area part, but the Home Office table
    assert "## By area" not in text
    rows = md_table(text, "Recorded crime by Home Office category, month by month")
    months = [f"2020-{m:02d}" for m in range(7, 13)] + [f"2021-{m:02d}" for m in range(1, 7)]
    headers = list(rows[0])
    assert headers[2:] == [
        "Jul 20", "Aug 20", "Sep 20", "Oct 20", "Nov 20", "Dec 20",
        "Jan 21", "Feb 21", "Mar 21", "Apr 21", "May 21", "Jun 21", "Total",
    ]  # fmt: skip
    direct = Counter((r.ho_code, r.month) for r in records if r.month in months)
    codes = {code for code, _ in direct}
    assert {r["HO code"] for r in rows} == codes
    for r in rows:
        shown = [int(r[h].replace(",", "")) for h in headers[2:-1]]
        assert shown == [direct[(r["HO code"], m)] for m in months], r["HO code"]
        assert int(r["Total"].replace(",", "")) == sum(shown)
    category = {r["HO code"]: r["Category"] for r in rows}
    assert category["19C"] == "Rape" and category["28E"] == "Residential burglary"
    assert category["58A"] == "–"  # no KPI of the file counts it


def test_report_by_from_the_project_file(
    records_store: tuple[Path, list, dict, Path], tmp_path: Path
) -> None:
    store, _, _, _ = records_store
    (tmp_path / "pcp.toml").write_text('[report]\nby = "area"\n', encoding="utf-8")
    from_toml = report_md(store, cwd=tmp_path)
    assert md_table(from_toml, "Crime by area") == md_table(
        report_md(store, "--by", "area"), "Crime by area"
    )
    result = run_pcp(["report", "--store", str(store), "--force", FORCE, "--period",
                      "Q1 2021/22", "--by", "wards"])  # fmt: skip
    assert result.exit_code == 2 and "no area type 'wards'" in result.stderr
    (tmp_path / "pcp.toml").write_text("[report]\nby = 3\n", encoding="utf-8")
    result = run_pcp(["report", "--store", str(store), "--force", FORCE, "--period",
                      "Q1 2021/22"], cwd=tmp_path)  # fmt: skip
    assert result.exit_code == 3 and "report.by" in result.stderr


# -- spc --by: one chart per area ------------------------------------------------------------
def test_spc_by_district_charts_each_districts_own_months(sample_store: Path) -> None:
    args = ["spc", "--store", str(sample_store), "--kpi", "burglary", "--force", FORCE,
            "--no-screen", "--format", "csv", "-q"]  # fmt: skip
    result = run_pcp([*args, "--by", "local-authority"])
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(io.StringIO(result.stdout))
    force = pl.read_csv(io.StringIO(run_pcp(args).stdout))
    assert frame.columns[0] == "area"
    # The districts add up to the force, month by month.
    summed = frame.group_by("period").agg(pl.col("value").sum()).sort("period")
    assert summed["value"].to_list() == force.sort("period")["value"].to_list()
    for area in ("Leicester", "Rutland"):
        chart = frame.filter(pl.col("area") == area)
        values = chart["value"].to_list()
        mean = sum(values) / len(values)
        amr = sum(abs(b - a) for a, b in pairwise(values)) / (len(values) - 1)
        assert chart["mean"][0] == pytest.approx(mean, rel=1e-12)
        assert chart["upl"][0] == pytest.approx(mean + 2.66 * amr, rel=1e-12)
    # The districts' counts are the raw rows' (by LSOA name prefix) in a month.
    data = sample_store.parent / "data"
    raw = pl.concat(
        [pl.read_csv(f, infer_schema=False) for f in data.rglob("2018-07*-street.csv")]
    ).filter((pl.col("Falls within") == "Leicestershire Police")
             & (pl.col("Crime type") == "Burglary"))  # fmt: skip
    leicester = raw.filter(pl.col("LSOA name").str.starts_with("Leicester ")).height
    july = frame.filter((pl.col("area") == "Leicester") & (pl.col("period") == "2018-07"))
    assert july["value"].to_list() == [float(leicester)]


def test_spc_by_refuses_data_without_location(sample_store: Path) -> None:
    result = run_pcp(["spc", "--store", str(sample_store), "--kpi", "calls-999",
                      "--force", FORCE, "--by", "local-authority"])  # fmt: skip
    assert result.exit_code == 2 and "has no location" in result.stderr


# -- check --by: the compare finding per area --------------------------------------------------
def test_check_by_area_has_a_finding_per_area(with_lookup: tuple[Path, list, Path]) -> None:
    store, _, _ = with_lookup
    args = ["--kpi", "asb-incidents,burglary", "--period", PERIOD, "--force", FORCE,
            "--by", "area"]  # fmt: skip
    result = run_pcp(["check", "--store", str(store), *args, "--all", "--format", "csv", "-q",
                      "--fail-on", "significant-decrease"])  # fmt: skip
    assert result.exit_code in (0, 10), result.stderr
    findings = pl.read_csv(io.StringIO(result.stdout))
    rows = compare_csv(store, *args)
    assert findings.columns[0] == "area"
    assert set(findings["check"].to_list()) == {"compare"}
    joined = findings.join(rows, on=["area", "kpi"], how="inner")
    assert joined.height == rows.height == findings.height  # one finding per compare row
    assert joined["status"].to_list() == joined["verdict"].to_list()
    assert joined["value"].to_list() == joined["value_right"].to_list()
    breach = joined["verdict"] == "significant decrease"
    assert joined["breach"].to_list() == breach.to_list()
    assert result.exit_code == (10 if breach.any() else 0)


def test_completion_of_by_values(tmp_path: Path) -> None:
    from tests.test_conventions import complete

    store = tmp_path / "store"
    lookup = write_lookup(tmp_path / "npa.csv", {"E01025600": "North"},
                          area_type={"E01025600": "npa"})  # fmt: skip
    result = run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(lookup)])
    assert result.exit_code == 0, result.stderr
    assert complete(f"compare --store {store} --by ") == ["local-authority", "area", "npa"]
    assert complete(f"spc --store {store} --by n") == ["npa"]
    assert complete("report --by loc") == ["local-authority"]  # no store: still completes


def test_areas_rank_as_pcp_rank_ranks_forces() -> None:
    """One ranking rule: rank 1 is best by polarity, a neutral KPI's lowest rate first (as
    stats.peer.rank_by_polarity ranks forces), equal rates share a rank; catch-alls and
    areas without a population are not ranked."""
    from pcp_cli.app.areas import with_rank_per_1000
    from pcp_cli.areas import NO_LOCATION
    from pcp_cli.kpis import load_catalogue
    from tests.conftest import REPO

    catalogue = load_catalogue(REPO / "config" / "kpis.toml")
    frame = pl.DataFrame(
        {
            "area": ["A", "B", "C", "D", NO_LOCATION],
            "value": [30, 10, 20, 20, 5],
            "population": [1000, 1000, 2000, None, None],
        }
    )
    expected = {  # per 1,000: A 30, B 10, C 10, D none
        "lower-is-better": [3, 1, 1, None, None],
        "neutral": [3, 1, 1, None, None],
        "higher-is-better": [1, 2, 2, None, None],
    }
    kpis = {k.polarity: k for k in catalogue.kpis.values() if k.kind == "count"}
    for polarity, ranks in expected.items():
        ranked = with_rank_per_1000(frame, kpis[polarity])
        assert ranked["rank_per_1000"].to_list() == ranks, polarity
        assert ranked["areas_ranked"].to_list() == [3, 3, 3, None, None]
