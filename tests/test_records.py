"""`pcp ingest --kind crime-records`: the force's own records, read canonical or through a
column map, pseudonymised, and counted by the hate crime, domestic abuse, Home Office code
and repeat victim KPIs."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import REPO, run_pcp, snapshot
from tests.records_data import (
    MAP_TOML,
    Record,
    make_records,
    write_canonical,
    write_export,
)

FORCE = "leicestershire"
Q1 = ("2021-04", "2021-05", "2021-06")  # Q1 2021/22
Q1_BEFORE = ("2020-04", "2020-05", "2020-06")


def ingest(store: Path, *args: str) -> None:
    result = run_pcp(["ingest", "--store", str(store), "--force", FORCE, *args])
    assert result.exit_code == 0, result.stderr


def compare(store: Path, kpis: str, period: str = "Q1 2021/22", *args: str) -> pl.DataFrame:
    result = run_pcp(
        ["compare", "--store", str(store), "--force", FORCE, "--kpi", kpis,
         "--period", period, "--format", "csv", *args]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(result.stdout_bytes)


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return make_records()


@pytest.fixture(scope="module")
def stores(records: list[Record], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The records ingested canonical into one store and as a mapped export into another."""
    base = tmp_path_factory.mktemp("records")
    canonical = write_canonical(base / "records.csv", records)
    export = write_export(base / "niche-export.csv", records)
    (base / "niche.toml").write_text(MAP_TOML, encoding="utf-8")
    ingest(base / "canonical", "--kind", "crime-records", str(canonical))
    ingest(base / "mapped", "--map", str(base / "niche.toml"), str(export))
    return {"canonical": base / "canonical", "mapped": base / "mapped", "base": base}


def count(records: list[Record], months: tuple[str, ...], keep: object) -> int:
    return sum(1 for r in records if r.month in months and keep(r))  # type: ignore[operator]


def test_canonical_and_mapped_give_the_same_figures(
    stores: dict[str, Path], records: list[Record]
) -> None:
    kpis = "hate-crime-race,domestic-abuse,hate-crime,rape"
    a = compare(stores["canonical"], kpis)
    b = compare(stores["mapped"], kpis)
    assert a.equals(b)
    got = {r["kpi"]: r for r in a.iter_rows(named=True)}
    expected = {
        "hate-crime-race": lambda r: "race" in r.strands,
        "domestic-abuse": lambda r: r.domestic,
        "hate-crime": lambda r: bool(r.strands),
        "rape": lambda r: r.ho_code in ("19C", "19D"),
    }
    for kpi, keep in expected.items():
        assert got[kpi]["source"] == "crime-records"
        assert got[kpi]["value"] == count(records, Q1, keep), kpi
        assert got[kpi]["baseline_value"] == count(records, Q1_BEFORE, keep), kpi
        assert got[kpi]["value"] > 0


def test_every_strand_counted(stores: dict[str, Path], records: list[Record]) -> None:
    strands = ["race", "religion", "sexual-orientation", "disability", "transgender"]
    frame = compare(stores["mapped"], ",".join(f"hate-crime-{s}" for s in strands))
    got = dict(zip(frame["kpi"], frame["value"], strict=True))
    for s in strands:
        assert got[f"hate-crime-{s}"] == count(records, Q1, lambda r, s=s: s in r.strands)


def test_victim_references_never_stored_in_plain(
    stores: dict[str, Path], records: list[Record]
) -> None:
    refs = {r.victim_ref for r in records if r.victim_ref}
    for name in ("canonical", "mapped"):
        store = stores[name]
        secret = store / ".records-secret"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        for path, data in snapshot(store).items():
            if path == ".records-secret":
                continue
            for ref in ("VIC00", "Person ", "CR/0"):
                assert ref.encode() not in data, (path, ref)
        raw = pl.read_parquet(sorted(store.glob("data/crime-records/**/*.parquet")))
        assert "victim_ref" not in raw.columns and "crime_ref" not in raw.columns
        assert raw["victim_key"].drop_nulls().str.len_chars().unique().to_list() == [64]
        assert raw["victim_key"].n_unique() - 1 == len(refs)  # null for no victim
    # Each store has its own key: the same victim hashes differently in the two.
    keys = [
        set(pl.read_parquet(sorted(stores[n].glob("data/crime-records/**/*.parquet")))
            ["victim_key"].drop_nulls())
        for n in ("canonical", "mapped")
    ]  # fmt: skip
    assert not keys[0] & keys[1]


def test_reingest_is_idempotent(stores: dict[str, Path], tmp_path: Path) -> None:
    base = stores["base"]
    before = snapshot(stores["mapped"])
    result = run_pcp(
        ["ingest", "--store", str(stores["mapped"]), "--force", FORCE,
         "--map", str(base / "niche.toml"), str(base / "niche-export.csv")]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "nothing to do" in result.stderr
    assert snapshot(stores["mapped"]) == before


def test_newer_extract_replaces_the_same_months(records: list[Record], tmp_path: Path) -> None:
    store = tmp_path / "store"
    ingest(store, "--kind", "crime-records", str(write_canonical(tmp_path / "a.csv", records)))
    # A re-export of May 2021 only, with two crimes re-coded as domestic abuse.
    may = [r for r in records if r.month == "2021-05"]
    changed = [
        Record(r.crime_ref, r.recorded, r.ho_code, r.lsoa_code, True, r.strands, r.victim_ref)
        if i < 2 else r
        for i, r in enumerate(may[:-1])  # and one crime fewer
    ]  # fmt: skip
    ingest(store, "--kind", "crime-records", str(write_canonical(tmp_path / "b.csv", changed)))
    frame = compare(store, "domestic-abuse")
    newer = [*(r for r in records if r.month in ("2021-04", "2021-06")), *changed]
    assert frame["value"].item() == count(newer, Q1, lambda r: r.domestic)
    assert frame["value"].item() != count(records, Q1, lambda r: r.domestic)


def test_repeat_victims_is_the_12_month_stock(
    stores: dict[str, Path], records: list[Record]
) -> None:
    def repeat(end: str) -> int:
        y, m = int(end[:4]), int(end[5:])
        months = {f"{(y * 12 + m - 1 - i) // 12}-{(y * 12 + m - 1 - i) % 12 + 1:02d}"
                  for i in range(12)}  # fmt: skip
        seen: dict[str, int] = {}
        for r in records:
            if r.victim_ref and r.month in months:
                seen[r.victim_ref] = seen.get(r.victim_ref, 0) + 1
        return sum(1 for n in seen.values() if n >= 2)

    frame = compare(stores["mapped"], "repeat-victims", "Q4 2021/22", "--vs", "previous")
    row = frame.row(0, named=True)
    # A quarter's value is its last month's, not the sum of its months.
    assert row["value"] == repeat("2022-03") > 0
    assert row["baseline_value"] == repeat("2021-12") > 0
    monthly = [float(v) for v in str(row["monthly"]).split(";")]
    assert monthly == [repeat("2022-01"), repeat("2022-02"), repeat("2022-03")]
    # The first months have no 12 months of records before them: not held.
    early = run_pcp(
        ["compare", "--store", str(stores["mapped"]), "--force", FORCE, "--kpi",
         "repeat-victims", "--period", "Q1 2021/22", "--vs", "previous"]
    )  # fmt: skip
    assert early.exit_code == 5
    assert "2021-01, 2021-02" in early.stderr  # their windows start before 2020-04
    assert "records for all 12 months to it" in early.stderr


def test_spc_rape_from_records(stores: dict[str, Path], records: list[Record]) -> None:
    result = run_pcp(
        ["spc", "--store", str(stores["mapped"]), "--force", FORCE, "--kpi", "rape",
         "--format", "csv"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(result.stdout_bytes)
    assert frame.height == 24
    by_month = {r.month for r in records}
    first = frame.row(0, named=True)
    assert first["value"] == count(records, (min(by_month),), lambda r: r.ho_code in ("19C", "19D"))


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (
            "CR/9,31/02/2021,8N,E01025600,No,,V1",
            "Date Recorded",
            "not a date in the form dd/mm/yyyy",
        ),
        ("CR/9,01/02/2021,8N,E01025600,Maybe,,V1", "DA Flag", "not Y or N"),
        ("CR/9,01/02/2021,8N,E01025600,No,Race;Age,V1", "Hate Crime Strands", "unknown hate"),
        ("CR/9,01/02/2021,8N,E0102,No,,V1", "LSOA 2011", "not an LSOA code"),
        ("CR/1,01/02/2021,8N,E01025600,No,,V1", "Crime Number", "on an earlier line"),
        ("CR/9,01/02/2021,,E01025600,No,,V1", "HO Offence Code", "offence code is empty"),
    ],
)
def test_bad_rows_name_file_line_and_column(
    tmp_path: Path, row: str, column: str, reason: str
) -> None:
    (tmp_path / "map.toml").write_text(MAP_TOML, encoding="utf-8")
    header = (
        "Crime Number,Date Recorded,HO Offence Code,LSOA 2011,DA Flag,Hate Crime Strands,Victim URN"
    )
    good = "CR/1,01/01/2021,8N,E01025600,Yes,,V1"
    path = tmp_path / "export.csv"
    path.write_text(f"{header}\n{good}\n{row}\n", encoding="utf-8")
    store = tmp_path / "store"
    ingest(
        store,
        "--kind",
        "crime-records",
        str(write_canonical(tmp_path / "ok.csv", make_records(months=2))),
    )
    before = snapshot(store)
    result = run_pcp(
        ["ingest", "--store", str(store), "--force", FORCE, "--map", str(tmp_path / "map.toml"),
         str(path)]
    )  # fmt: skip
    assert result.exit_code == 4, result.stderr
    first = result.stderr.splitlines()[0]
    assert f"{path}, line 3, column '{column}'" in first and reason in first, first
    assert snapshot(store) == before


def test_map_problems_are_configuration_errors(tmp_path: Path) -> None:
    export = write_export(tmp_path / "export.csv", make_records(months=1))
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\ncrime_number = "Crime Number"\n', encoding="utf-8")
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), "--map", str(bad), str(export)])
    assert result.exit_code == 3
    assert (
        f"{bad}:2" in result.stderr and "'crime_number' is not a canonical column" in result.stderr
    )
    assert not (tmp_path / "s" / "manifest.json").exists()
    # Without a map the export's headers are named as missing, with the way out.
    result = run_pcp(
        ["ingest", "--store", str(tmp_path / "s"), "--kind", "crime-records", "--force", FORCE,
         str(export)]
    )  # fmt: skip
    assert result.exit_code == 4
    assert "missing column(s) 'crime_ref'" in result.stderr and "--map" in result.stderr


def test_records_need_a_force(tmp_path: Path) -> None:
    path = write_canonical(tmp_path / "r.csv", make_records(months=1))
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert result.exit_code == 2
    assert "name no force" in result.stderr and "--force" in result.stderr


def test_a_rule_only_on_crime_records(tmp_path: Path) -> None:
    text = (REPO / "config" / "kpis.toml").read_text(encoding="utf-8")
    text += (
        '\n[kpi.odd]\nlabel = "Odd"\nsection = "Crime"\npolarity = "neutral"\n'
        '[kpi.odd.count.street]\nrule = "repeat-victims"\n'
    )
    path = tmp_path / "kpis.toml"
    path.write_text(text, encoding="utf-8")
    result = run_pcp(["kpis", "check", str(path)])
    assert result.exit_code == 3
    assert "only crime-records counts take a rule" in result.stderr


def test_recorded_dates_typed(stores: dict[str, Path], records: list[Record]) -> None:
    raw = pl.read_parquet(sorted(stores["mapped"].glob("data/crime-records/**/*.parquet")))
    assert raw.schema["recorded_date"] == pl.Date
    assert raw["recorded_date"].min() == min(r.recorded for r in records)
    assert raw.height == len(records)
    assert isinstance(raw["recorded_date"].max(), date)


def test_rebuild_reads_the_export_through_its_map(records: list[Record], tmp_path: Path) -> None:
    export = write_export(tmp_path / "export.csv", records)
    (tmp_path / "niche.toml").write_text(MAP_TOML, encoding="utf-8")
    store = tmp_path / "store"
    ingest(store, "--map", str(tmp_path / "niche.toml"), str(export))
    before = compare(store, "domestic-abuse,hate-crime-race")
    result = run_pcp(["ingest", "--store", str(store), "--rebuild"])
    assert result.exit_code == 0, result.stderr
    assert compare(store, "domestic-abuse,hate-crime-race").equals(before)
    # An edited map would read the export differently: the rebuild refuses, store unchanged.
    (tmp_path / "niche.toml").write_text(MAP_TOML.replace("%d/%m/%Y", "%m/%d/%Y"), "utf-8")
    kept = snapshot(store)
    result = run_pcp(["ingest", "--store", str(store), "--rebuild"])
    assert result.exit_code == 4
    assert "column map" in result.stderr and "changed" in result.stderr
    assert snapshot(store) == kept


def test_monthly_home_office_codes(stores: dict[str, Path], records: list[Record]) -> None:
    from pcp_cli.periods import parse_month
    from pcp_cli.recordrules import monthly_by_ho_code
    from pcp_cli.store import Store

    with Store(stores["mapped"]).reading() as reader:
        frame = monthly_by_ho_code(reader, FORCE, parse_month("2021-04"), parse_month("2021-06"))
        assert monthly_by_ho_code(reader, "essex", 0, 10**6).height == 0
    codes = sorted({r.ho_code for r in records if r.month in Q1})
    assert frame["ho_code"].unique().sort().to_list() == codes
    assert frame.height == 3 * len(codes)
    for code, period, n in frame.select("ho_code", "period", "n").iter_rows():
        assert n == count(records, (period,), lambda r, c=code: r.ho_code == c), (code, period)


def test_no_strand_written_as_none(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "crime_ref,recorded_date,ho_code,lsoa_code,domestic,hate_strands,victim_ref\n"
        "A1,2021-04-01,8N,,N,None,V1\nA2,2021-04-02,8N,,N,Race ; Disability,V2\n"
        "A3,2021-04-03,8N,,n,,\n",
        encoding="utf-8",
    )
    ingest(tmp_path / "s", str(path))
    raw = pl.read_parquet(sorted((tmp_path / "s").glob("data/crime-records/**/*.parquet")))
    assert raw.sort("recorded_date")["hate"].to_list() == ["N", "Y", "N"]
    assert raw["hate_disability"].to_list().count("Y") == 1
    assert raw["victim_key"].null_count() == 1


def test_the_same_file_for_another_force_is_read_again(tmp_path: Path) -> None:
    path = write_canonical(tmp_path / "r.csv", make_records(months=3))
    store = tmp_path / "s"
    ingest(store, str(path))
    result = run_pcp(["ingest", "--store", str(store), "--force", "essex", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "ingested 1 file(s)" in result.stderr and "essex" in result.stderr
    result = run_pcp(["ingest", "--store", str(store), "--force", "essex", str(path)])
    assert "nothing to do" in result.stderr
