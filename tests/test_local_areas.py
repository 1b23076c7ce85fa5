"""Figures by local area: local-authority districts from the LSOA name, and a user's lookup
of LSOA codes to areas (`pcp ingest --kind areas`)."""

from __future__ import annotations

import csv
import hashlib
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.areas import (
    NO_LOCATION,
    NOT_IN_LOOKUP,
    AreaValues,
    area_types,
    monthly_by_area,
    values_by_area,
)
from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.kpis import load_catalogue
from pcp_cli.periods import parse_month, parse_period
from pcp_cli.store import Store
from tests.conftest import REPO, STREET_HEADER, real, run_pcp

FORCE = "leicestershire"
PERIOD = "Q2 2018/19"
LSOAS = [
    ("E01025600", "Leicester 001A"),
    ("E01025601", "Leicester 001B"),
    ("E01025631", "Blaby 002A"),
    ("E01025700", "Charnwood 012C"),
    ("E01025800", "Hinckley and Bosworth 003D"),
    ("E01028000", "Rushcliffe 010A"),  # a Nottinghamshire district, just over the border
    ("", ""),  # no location
]
TYPES = ["Anti-social behaviour", "Burglary", "Shoplifting", "Violence and sexual offences"]


def write_month(path: Path, month: str, rng: random.Random) -> list[tuple[str, str, str]]:
    """A street file with random LSOAs and crime types; returns (code, name, type) per row."""
    rows = [(*rng.choice(LSOAS), rng.choice(TYPES)) for _ in range(rng.randint(60, 90))]
    lines = [STREET_HEADER]
    for i, (code, name, crime_type) in enumerate(rows):
        location = "On or near Main Street" if code else "No Location"
        lon_lat = "-1.13,52.63" if code else ","
        cid = "" if crime_type == "Anti-social behaviour" else f"{month}-{i}"
        outcome = "" if not cid else "Under investigation"
        lines.append(
            f"{cid},{month},Leicestershire Police,Leicestershire Police,{lon_lat},{location},"
            f"{code},{name},{crime_type},{outcome},"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return rows


@pytest.fixture(scope="module")
def street(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, ...]]]:
    base = tmp_path_factory.mktemp("areas")
    rng = random.Random(15)
    rows: list[tuple[str, ...]] = []
    for month in ("2017-07", "2017-08", "2017-09", "2018-07", "2018-08", "2018-09"):
        found = write_month(base / "data" / f"{month}-leicestershire-street.csv", month, rng)
        rows += [(month, *r) for r in found]
    result = run_pcp(["ingest", "--store", str(base / "store"), str(base / "data")])
    assert result.exit_code == 0, result.stderr
    return base, rows


def write_lookup(path: Path, mapping: dict[str, str], **columns: dict[str, str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["lsoa_code", "area", *columns])
        for code, area in mapping.items():
            w.writerow([code, area, *(values[code] for values in columns.values())])
    return path


@contextmanager
def engine(store: Path) -> Iterator[Engine]:
    catalogue = load_catalogue(REPO / "config" / "kpis.toml")
    with Store(store).reading() as reader:
        yield Engine(reader, catalogue)


def by_area(store: Path, kpi: str, by: str = "local-authority", period: str = PERIOD) -> AreaValues:
    with engine(store) as e:
        return values_by_area(e, e.catalogue.kpis[kpi], FORCE, parse_period(period), by)


def as_dict(values: AreaValues) -> dict[str, float]:
    return dict(zip(values.frame["area"], values.frame["value"], strict=True))


Q2 = ("2018-07", "2018-08", "2018-09")


def test_local_authority_counts_equal_raw_rows_by_lsoa_name(street: tuple[Path, list]) -> None:
    base, rows = street
    values = by_area(base / "store", "all-crime")
    district = Counter(
        name.rsplit(" ", 1)[0] if name else NO_LOCATION
        for month, _, name, crime_type in rows
        if month in Q2 and crime_type != "Anti-social behaviour"
    )
    assert as_dict(values) == {k: float(v) for k, v in district.items()}
    assert "Rushcliffe" in district  # other forces' districts are kept, as such
    assert values.frame["area"].to_list()[-1] == NO_LOCATION  # the catch-all row last
    with engine(base / "store") as e:
        force_total = e.value(e.catalogue.kpis["all-crime"], FORCE, parse_period(PERIOD)).value
    assert values.frame["value"].sum() == force_total
    assert values.dataset == "street" and values.lookup is None


def test_lookup_areas_and_replacement(street: tuple[Path, list], tmp_path: Path) -> None:
    base, rows = street
    store = tmp_path / "store"
    result = run_pcp(["ingest", "--store", str(store), str(base / "data")])
    assert result.exit_code == 0, result.stderr
    first = {"E01025600": "City Centre", "E01025601": "City Centre", "E01025631": "South",
             "E01025700": "North", "E01025800": "South"}  # fmt: skip
    path_a = write_lookup(tmp_path / "npa-2018.csv", first)
    result = run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(path_a)])
    assert result.exit_code == 0, result.stderr

    def expected(mapping: dict[str, str]) -> dict[str, float]:
        got = Counter(
            (mapping.get(code, NOT_IN_LOOKUP) if code else NO_LOCATION)
            for month, code, _, crime_type in rows
            if month in Q2 and crime_type == "Anti-social behaviour"
        )
        return {k: float(v) for k, v in got.items()}

    values = by_area(store, "asb-incidents", "area")
    assert as_dict(values) == expected(first)
    assert {"City Centre", "North", "South", NOT_IN_LOOKUP, NO_LOCATION} == set(as_dict(values))
    assert values.lookup is not None and values.lookup.source["path"] == str(path_a)

    # A newer lookup replaces the older one whole (the Rushcliffe LSOA now in one).
    second = {**first, "E01025631": "Blaby", "E01025800": "West", "E01028000": "West"}
    path_b = write_lookup(tmp_path / "npa-2019.csv", second)
    result = run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(path_b)])
    assert result.exit_code == 0, result.stderr
    values = by_area(store, "asb-incidents", "area")
    assert as_dict(values) == expected(second)
    assert values.lookup is not None
    assert values.lookup.source["path"] == str(path_b)
    assert values.lookup.source["sha256"] == hashlib.sha256(path_b.read_bytes()).hexdigest()
    assert values.lookup.source["ingested_at"]
    manifest = (store / "manifest.json").read_text(encoding="utf-8")
    assert str(path_a) not in manifest  # the older lookup is no longer part of the store


def test_area_types_population_and_ratio(street: tuple[Path, list], tmp_path: Path) -> None:
    base, rows = street
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(base / "data")]).exit_code == 0
    codes = [c for c, _ in LSOAS if c]
    wards = tmp_path / "wards.csv"
    write_lookup(
        wards,
        {c: f"Ward {i % 2}" for i, c in enumerate(codes)},
        area_type={c: "ward" for c in codes},
        population={c: str(1000 + i) for i, c in enumerate(codes)},
    )
    npa = write_lookup(tmp_path / "npa.csv", {c: "All" for c in codes},
                       area_type={c: "NPA" for c in codes})  # fmt: skip
    for path in (wards, npa):
        result = run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(path)])
        assert result.exit_code == 0, result.stderr
    with engine(store) as e:
        assert area_types(e.reader) == ["npa", "ward"]
        with pytest.raises(UsageError, match="several area types"):
            values_by_area(e, e.catalogue.kpis["all-crime"], FORCE, parse_period(PERIOD), "area")
    values = by_area(store, "all-crime", "ward")
    people = dict(zip(values.frame["area"], values.frame["population"], strict=True))
    assert people["Ward 0"] == sum(1000 + i for i in range(0, len(codes), 2))
    assert people[NO_LOCATION] is None
    assert as_dict(by_area(store, "all-crime", "npa"))["All"] == sum(
        1 for m, code, _, t in rows if m in Q2 and code and t != "Anti-social behaviour"
    )
    # A ratio KPI: each area's numerator over its denominator.
    rate = by_area(store, "positive-outcome-rate", "ward")
    crimes = by_area(store, "all-crime", "ward")
    assert rate.frame["denominator"].to_list() == crimes.frame["value"].to_list()
    assert rate.frame["value"].to_list() == [0.0] * rate.frame.height  # all under investigation


def test_monthly_by_area_adds_up_to_the_force_series(street: tuple[Path, list]) -> None:
    base, rows = street
    with engine(base / "store") as e:
        kpi = e.catalogue.kpis["burglary"]
        start, end = parse_month("2018-07"), parse_month("2018-09")
        frame = monthly_by_area(e, kpi, FORCE, start, end)
        force = e.points(kpi, FORCE, start, end).ok
    totals = frame.group_by("start").agg(pl.col("value").sum()).sort("start")
    assert totals["value"].to_list() == force["value"].to_list()
    areas = frame["area"].unique().to_list()
    assert frame.height == 3 * len(areas)  # every area in every month, zeros included
    leicester = frame.filter(pl.col("area") == "Leicester")["value"].to_list()
    in_leicester = [(m, t) for m, _, n, t in rows if n.startswith("Leicester ")]
    assert leicester == [float(in_leicester.count((month, "Burglary"))) for month in Q2]


def test_no_location_data_is_refused(street: tuple[Path, list], tmp_path: Path) -> None:
    base, _ = street
    with engine(base / "store") as e, pytest.raises(NoDataError, match="no lookup of areas"):
        values_by_area(e, e.catalogue.kpis["all-crime"], FORCE, parse_period(PERIOD), "area")
    counts = tmp_path / "counts.csv"
    counts.write_text(
        "force,month,measure,value\n"
        + "".join(f"leicestershire,{m},calls_999,{n}\n" for n, m in enumerate(Q2, 10)),
        encoding="utf-8",
    )
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(counts)]).exit_code == 0
    with engine(store) as e, pytest.raises(UsageError, match="has no location"):
        values_by_area(e, e.catalogue.kpis["calls-999"], FORCE, parse_period(PERIOD))


def test_bad_lookup_rows_are_named(tmp_path: Path) -> None:
    path = tmp_path / "lookup.csv"
    path.write_text("lsoa_code,area\nE01025600,North\nE01025601,South\nE01025600,West\n",
                    encoding="utf-8")  # fmt: skip
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), "--kind", "areas", str(path)])
    assert result.exit_code == 4
    assert f"{path}, line 4, column 'lsoa_code'" in result.stderr
    assert not (tmp_path / "s" / "manifest.json").exists()
    path.write_text("lsoa_code,area,population\nE01025600,North,many\n", encoding="utf-8")
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), "--kind", "areas", str(path)])
    assert result.exit_code == 4 and "line 2, column 'population'" in result.stderr


def test_samples_by_district(sample_store: Path) -> None:
    """The bundled samples: districts equal a count of the raw CSV rows by LSOA name prefix."""
    data = sample_store.parent / "data"
    files = [p for p in data.rglob("*-street.csv") if p.name[:7] in Q2]
    assert files
    raw = pl.concat([pl.read_csv(f, infer_schema=False) for f in files])
    expected = (
        raw.filter(pl.col("Falls within") == "Leicestershire Police")
        .filter(pl.col("Crime type") != "Anti-social behaviour")
        .group_by(pl.col("LSOA name").str.replace(r" \d{3}[A-Z]$", "").fill_null(NO_LOCATION))
        .len()
    )
    values = by_area(sample_store, "all-crime")
    assert as_dict(values) == {str(k): float(v) for k, v in expected.iter_rows()}


@pytest.mark.realdata
def test_leicestershire_districts_q2_2021_22(tmp_path: Path) -> None:
    """Issue 15's check: per-district all crime for Q2 2021/22 equals a direct polars count of
    the raw CSV rows by LSOA name prefix (no location counted as such)."""
    source = real("policeuk-street-leicestershire-2020-2022")
    months = ["2021-07", "2021-08", "2021-09"]
    store = tmp_path / "store"
    files = [str(p) for m in months for p in (source / m).glob("*.csv")]
    result = run_pcp(["ingest", "--store", str(store), *files])
    assert result.exit_code == 0, result.stderr
    raw = pl.concat([pl.read_csv(f, infer_schema=False) for f in files])
    expected = (
        raw.filter(pl.col("Crime type") != "Anti-social behaviour")
        .group_by(pl.col("LSOA name").str.replace(r" \d{3}[A-Z]$", "").fill_null(NO_LOCATION))
        .len()
    )
    values = by_area(store, "all-crime", period="Q2 2021/22")
    got = as_dict(values)
    assert got == {str(k): float(v) for k, v in expected.iter_rows()}
    nine = {"Leicester", "Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton",
            "North West Leicestershire", "Oadby and Wigston", "Rutland"}  # fmt: skip
    assert nine <= set(got)
    assert sum(got.values()) == raw.filter(pl.col("Crime type") != "Anti-social behaviour").height


def test_a_lookup_in_the_store_leaves_the_other_commands_working(
    street: tuple[Path, list], tmp_path: Path
) -> None:
    base, _ = street
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(base / "data")]).exit_code == 0
    lookup = write_lookup(tmp_path / "npa.csv", {"E01025600": "North", "E01025631": "South"})
    result = run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(lookup)])
    assert result.exit_code == 0, result.stderr
    assert "ingested 1 file(s), 2 rows (areas 2)" in result.stderr
    assert "force(s)" not in result.stderr  # a lookup names no force
    for args in (
        ["report", "--force", FORCE, "--period", PERIOD, "--format", "json", "-q"],
        ["periods"],
        ["compare", "--force", FORCE, "--kpi", "all-crime", "--period", PERIOD],
    ):
        result = run_pcp([*args, "--store", str(store)])
        assert result.exit_code == 0, (args, result.stderr)


def test_crime_records_by_area_and_district(tmp_path: Path) -> None:
    """Records carry LSOA codes only: districts come from a local-authority lookup."""
    from tests.records_data import make_records, write_canonical

    records = make_records()
    store = tmp_path / "store"
    path = write_canonical(tmp_path / "records.csv", records)
    result = run_pcp(["ingest", "--store", str(store), "--force", FORCE, str(path)])
    assert result.exit_code == 0, result.stderr
    period = "Q1 2021/22"
    with engine(store) as e, pytest.raises(UsageError, match="no LSOA names"):
        values_by_area(e, e.catalogue.kpis["domestic-abuse"], FORCE, parse_period(period))
    codes = sorted({r.lsoa_code for r in records if r.lsoa_code})
    district = {c: ("Leicester" if i % 2 else "Blaby") for i, c in enumerate(codes[:-1])}
    lookup = write_lookup(tmp_path / "la.csv", district,
                          area_type={c: "local-authority" for c in district})  # fmt: skip
    result = run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(lookup)])
    assert result.exit_code == 0, result.stderr
    months = ("2021-04", "2021-05", "2021-06")
    expected = Counter(
        (district.get(r.lsoa_code, NOT_IN_LOOKUP) if r.lsoa_code else NO_LOCATION)
        for r in records
        if r.month in months and r.domestic
    )
    values = by_area(store, "domestic-abuse", "local-authority", period)
    assert values.dataset == "crime-records"
    assert as_dict(values) == {k: float(v) for k, v in expected.items()}
    assert NOT_IN_LOOKUP in expected and NO_LOCATION in expected
    # --by area is the only lookup type here: the same figures.
    assert as_dict(by_area(store, "domestic-abuse", "area", period)) == as_dict(values)
