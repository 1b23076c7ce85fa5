"""Ingest of every kind on small fixtures, idempotency, replacement and atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.store import Store
from tests.conftest import STREET_HEADER, run_pcp, street_row, write_street


def store_files(store: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(store)): p.read_bytes()
        for p in sorted(store.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def compare_csv(store: Path, *args: str) -> pl.DataFrame:
    result = run_pcp(["compare", "--store", str(store), "--format", "csv", *args])
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(result.stdout_bytes)


def test_street_ingest_counts_crime_without_asb(tmp_path: Path) -> None:
    files = tmp_path / "x"
    for month in ("2018-07", "2018-08", "2018-09", "2017-07", "2017-08", "2017-09"):
        write_street(
            files / f"{month}-leicestershire-street.csv",
            month,
            {"Burglary": 3, "Shoplifting": 2, "Anti-social behaviour": 4},
        )
    store = tmp_path / "store"
    result = run_pcp(["ingest", "--store", str(store), str(files)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "ingested 6 file(s), 54 rows" in result.stderr
    frame = compare_csv(
        store, "--kpi", "all-crime,asb-incidents,burglary", "--period", "Q2 2018/19"
    )
    values = dict(zip(frame["kpi"], frame["value"], strict=True))
    # The four ASB rows per month are identical (empty Crime ID) and all count, as ASB only.
    assert values == {"asb-incidents": 12.0, "all-crime": 15.0, "burglary": 9.0}


def test_reingest_is_idempotent_and_says_so(tmp_path: Path) -> None:
    path = write_street(tmp_path / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 2})
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(path)]).exit_code == 0
    before = store_files(store)
    again = run_pcp(["ingest", "--store", str(store), str(path)])
    assert again.exit_code == 0
    assert "nothing to do: 1 file(s) already in the store, unchanged" in again.stderr
    assert store_files(store) == before


def test_republished_month_replaces_the_old_one(tmp_path: Path) -> None:
    store = tmp_path / "store"
    old = write_street(
        tmp_path / "a" / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 2}
    )
    new = write_street(
        tmp_path / "b" / "2018-07-leicestershire-street.csv",
        "2018-07",
        {"Burglary": 5, "Robbery": 1},
    )
    assert run_pcp(["ingest", "--store", str(store), str(old)]).exit_code == 0
    assert run_pcp(["ingest", "--store", str(store), str(new)]).exit_code == 0
    frame = compare_csv(
        store, "--kpi", "burglary,robbery", "--period", "2018-07", "--vs", "2018-07"
    )
    assert frame["value"].to_list() == [5.0, 1.0]
    manifest = Store(store).load_manifest()
    part = manifest.partitions("street")["leicestershire/2018-07"]
    assert part["rows"] == 6
    assert [manifest.sources[s]["path"] for s in part["sources"]] == [str(new)]
    # The superseded file is gone from disk, not just from the manifest.
    assert len(list((store / "data" / "street").rglob("*.parquet"))) == 1


def test_bad_row_names_file_line_column_and_stores_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    good = write_street(
        tmp_path / "in" / "2018-06-leicestershire-street.csv", "2018-06", {"Burglary": 2}
    )
    assert run_pcp(["ingest", "--store", str(store), str(good)]).exit_code == 0
    before = store_files(store)
    good2 = write_street(
        tmp_path / "in2" / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 2}
    )
    bad = tmp_path / "in2" / "2018-08-leicestershire-street.csv"
    rows = [
        STREET_HEADER,
        street_row("2018-08", "Burglary", crime_id="a"),
        street_row("2018-08", "Burglary", crime_id="b").replace("-1.13", "west"),
    ]
    bad.write_text("\n".join(rows) + "\n")
    result = run_pcp(["ingest", "--store", str(store), str(tmp_path / "in2")])
    assert result.exit_code == 4
    assert f"{bad}, line 3, column 'Longitude': not a valid number (value 'west')" in result.stderr
    assert "Traceback" not in result.stderr
    # Neither the bad file nor the good file of the same run reached the store.
    assert store_files(store) == before
    assert good2.exists()


def test_skip_bad_rows_writes_rejects(tmp_path: Path) -> None:
    bad = tmp_path / "2018-08-leicestershire-street.csv"
    rows = [
        STREET_HEADER,
        street_row("2018-08", "Burglary", crime_id="a"),
        street_row("2018-08", "Burglary", crime_id="b").replace("-1.13", "west"),
        street_row("2018-08", "Burglary", crime_id="c", force="Narnia Police"),
    ]
    bad.write_text("\n".join(rows) + "\n")
    store = tmp_path / "store"
    result = run_pcp(["ingest", "--store", str(store), "--on-bad-rows", "skip", str(bad)])
    assert result.exit_code == 0, result.stderr
    assert "2 bad row(s) rejected" in result.stderr
    rejects = list(tmp_path.glob("store-rejects-*.csv"))
    assert len(rejects) == 1
    frame = pl.read_csv(rejects[0])
    assert sorted(frame["line"].to_list()) == [3, 4]
    assert set(frame["reason"]) == {"not a valid number", "unknown force"}
    assert Store(store).load_manifest().partitions("street")["leicestershire/2018-08"]["rows"] == 1


def test_unknown_force_and_missing_column(tmp_path: Path) -> None:
    path = write_street(tmp_path / "f.csv", "2018-07", {"Burglary": 1}, force="Narnia Police")
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert result.exit_code == 4
    assert "line 2, column 'Falls within': unknown force 'Narnia Police'" in result.stderr
    path.write_text(
        "Crime ID,Month,Falls within,Crime type\nx,2018-07,Leicestershire Police,Burglary\n"
    )
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), "--kind", "street", str(path)])
    assert result.exit_code == 4
    assert "missing column(s)" in result.stderr and "'Reported by'" in result.stderr
    assert not (tmp_path / "s" / "manifest.json").exists()


def test_unrecognised_header(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("a,b,c\n1,2,3\n")
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert result.exit_code == 4
    assert "cannot tell what kind of extract" in result.stderr and "--kind" in result.stderr


def test_ids_stay_text_and_line_endings(tmp_path: Path) -> None:
    lines = [
        STREET_HEADER,
        street_row("2018-07", "Burglary", crime_id="0123"),
        street_row("2018-07", "Anti-social behaviour"),
    ]
    (tmp_path / "lf.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "crlf.csv").write_bytes(
        ("\r\n".join(lines).replace("0123", "0456") + "\r\n").encode()
    )
    store = tmp_path / "s"
    assert run_pcp(["ingest", "--store", str(store), str(tmp_path / "lf.csv")]).exit_code == 0
    raw = pl.read_parquet(next((store / "data").rglob("*.parquet")))
    assert raw.schema["crime_id"] == pl.String and raw.schema["lsoa_code"] == pl.String
    assert raw["crime_id"].to_list() == ["0123", None]
    assert run_pcp(["ingest", "--store", str(store), str(tmp_path / "crlf.csv")]).exit_code == 0
    raw = pl.read_parquet(next((store / "data").rglob("*.parquet")))
    assert raw["crime_id"].to_list() == ["0456", None]
    assert raw["context"].to_list() == [None, None]


def test_encoding_error_and_cp1252(tmp_path: Path) -> None:
    text = "force,month,measure,value\nLeicestershire,2018-07,cost_£,5\n"
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode("cp1252"))
    store = tmp_path / "s"
    result = run_pcp(["ingest", "--store", str(store), str(path)])
    assert result.exit_code == 4
    assert "line 2: not valid UTF-8" in result.stderr and "--encoding cp1252" in result.stderr
    ok = run_pcp(["ingest", "--store", str(store), "--encoding", "cp1252", str(path)])
    assert ok.exit_code == 0, ok.stderr
    raw = pl.read_parquet(next((store / "data").rglob("*.parquet")))
    assert raw["measure"].to_list() == ["cost_£"]


def test_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        "\ufeffforce,month,measure,value\nLeicestershire,2018-07,calls_999,5\n".encode("utf-8")
    )
    assert run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)]).exit_code == 0


def test_counts_months_quarters_and_stdin(tmp_path: Path) -> None:
    store = tmp_path / "s"
    monthly = "force,month,measure,value\n" + "".join(
        f"Leicestershire Police,2018-{m:02d},calls_999,{100 + m}\n" for m in range(4, 10)
    )
    result = run_pcp(["ingest", "--store", str(store), "--kind", "counts", "-"], stdin=monthly)
    assert result.exit_code == 0, result.stderr
    quarterly = (
        "force,period,measure,value\nleicestershire,2018/19 Q1,hate_crime,120\n"
        "leicestershire,2018/19 Q2,hate_crime,150\n"
    )
    path = tmp_path / "q.csv"
    path.write_text(quarterly)
    assert run_pcp(["ingest", "--store", str(store), str(path)]).exit_code == 0
    frame = compare_csv(
        store, "--kpi", "calls-999,hate-crime", "--period", "Q2 2018/19", "--vs", "previous"
    )
    assert frame["value"].to_list() == [107.0 + 108 + 109, 150.0]
    assert frame["baseline_value"].to_list() == [104.0 + 105 + 106, 120.0]
    # A quarterly measure cannot answer a month.
    cut = run_pcp(
        [
            "compare",
            "--store",
            str(store),
            "--kpi",
            "hate-crime",
            "--period",
            "2018-08",
            "--vs",
            "2018-05",
        ]
    )
    assert cut.exit_code == 2 and "cuts across" in cut.stderr


def test_counts_file_replaces_by_measure(tmp_path: Path) -> None:
    store = tmp_path / "s"
    a = tmp_path / "calls.csv"
    a.write_text(
        "force,month,measure,value\nleicestershire,2018-07,calls_999,10\n"
        "leicestershire,2018-07,calls_101,20\n"
    )
    b = tmp_path / "calls-fix.csv"
    b.write_text("force,month,measure,value\nleicestershire,2018-07,calls_999,11\n")
    assert run_pcp(["ingest", "--store", str(store), str(a)]).exit_code == 0
    assert run_pcp(["ingest", "--store", str(store), str(b)]).exit_code == 0
    frame = compare_csv(
        store, "--kpi", "calls-999,calls-101", "--period", "2018-07", "--vs", "2018-07"
    )
    assert frame["value"].to_list() == [11.0, 20.0]


def test_stdin_needs_kind(tmp_path: Path) -> None:
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), "-"], stdin="x")
    assert result.exit_code == 2 and "--kind" in result.stderr


def test_prc_quirks(tmp_path: Path) -> None:
    header = (
        "Financial Year,Financial Quarter,Force Name,Offence Description,Offence Group,"
        "Offence Subgroup,Offence Code,Number of Offences\n"
    )
    body = (
        "2017/18,1,Leicestershire,Burglary,Theft offences,Domestic burglary,28E, 1204 \n"
        "2017/18,1,Leicestershire,Bigamy,Miscellaneous crimes,Miscellaneous crimes,26,-00 \n"
        "2017/18,1,Leicestershire,Child abduction,Miscellaneous crimes,Miscellaneous crimes,"
        "13,-1 \n"
        '2017/18,1,"London, City of",Burglary,Theft offences,Domestic burglary,28E, 3 \n'
        "2017/18,1,British Transport Police,Burglary,Theft offences,Domestic burglary,28E, 7 \n"
        "2017/18,1,Action Fraud,Fraud offences recorded by Action Fraud,Fraud offences,"
        "Fraud: action fraud,AF, 66776 \n"
    )
    path = tmp_path / "prc.csv"
    path.write_text(header + body)
    store = tmp_path / "s"
    result = run_pcp(["ingest", "--store", str(store), str(path)])
    assert result.exit_code == 0, result.stderr
    raw = pl.read_parquet(list((store / "data" / "prc").rglob("*.parquet")))
    assert raw.schema["offence_code"] == pl.String
    leics = raw.filter(pl.col("force") == "leicestershire").sort("offence_code")
    assert leics["number_of_offences"].to_list() == [-1, 0, 1204]
    assert set(raw["force"]) == {"leicestershire", "city-of-london", "btp", "action-fraud"}
    assert set(raw["month"]) == {"2017-04"}
    frame = compare_csv(
        store,
        "--kpi",
        "all-crime",
        "--force",
        "leicestershire",
        "--period",
        "Q1 2017/18",
        "--vs",
        "Q1 2017/18",
    )
    assert frame["value"].to_list() == [1203.0]
    assert frame["source"].to_list() == ["prc"]


def test_outcomes_and_stop_search(tmp_path: Path) -> None:
    outcomes = tmp_path / "2018-07-leicestershire-outcomes.csv"
    outcomes.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
        "Outcome type\n"
        "a1,2018-07,Leicestershire Police,Leicestershire Police,,,No location,,,Local resolution\n"
        "a2,2018-07,Leicestershire Police,Leicestershire Police,,,No location,,,"
        "Unable to prosecute suspect\n"
        "a3,2018-07,Leicestershire Police,Leicestershire Police,,,No location,,,Suspect charged\n"
    )
    ss = tmp_path / "2018-07-leicestershire-stop-and-search.csv"
    ss.write_text(
        "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,"
        "Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,"
        "Outcome,Outcome linked to object of search,Removal of more than just outer clothing\n"
        "Person search,2018-07-01T01:48:53+00:00,False,,52.6,-1.1,Male,18-24,,,"
        "Misuse of Drugs Act 1971 (section 23),Controlled drugs,Arrest,True,False\n"
        "Person search,2018-07-02T01:48:53+00:00,False,,,,Male,18-24,,,"
        "Misuse of Drugs Act 1971 (section 23),Controlled drugs,,,\n"
    )
    store = tmp_path / "s"
    result = run_pcp(["ingest", "--store", str(store), str(outcomes), str(ss)])
    assert result.exit_code == 0, result.stderr
    frame = compare_csv(
        store,
        "--kpi",
        "positive-outcomes,stop-search,stop-search-arrests",
        "--period",
        "2018-07",
        "--vs",
        "2018-07",
    )
    assert frame["value"].to_list() == [2.0, 2.0, 1.0]
    # Without a force in its name or --force, a stop and search file cannot be placed.
    anon = tmp_path / "searches.csv"
    anon.write_text(ss.read_text())
    result = run_pcp(["ingest", "--store", str(store), str(anon)])
    assert result.exit_code == 4 and "--force" in result.stderr
    ok = run_pcp(["ingest", "--store", str(store), "--force", "essex", str(anon)])
    assert ok.exit_code == 0


def test_population_long_and_wide(tmp_path: Path) -> None:
    store = tmp_path / "s"
    wide = tmp_path / "wide.csv"
    wide.write_text("year,Leicestershire,City of London\n2018,1093183,8706\n2019,1100306,9721\n")
    long = tmp_path / "long.csv"
    long.write_text("force,year,population\nGwent,2018,590000\n")
    result = run_pcp(["ingest", "--store", str(store), str(wide), str(long)])
    assert result.exit_code == 0, result.stderr
    raw = pl.read_parquet(list((store / "data" / "population").rglob("*.parquet")))
    got = {(r["force"], r["year"]): r["population"] for r in raw.iter_rows(named=True)}
    assert got == {
        ("leicestershire", 2018): 1093183,
        ("city-of-london", 2018): 8706,
        ("leicestershire", 2019): 1100306,
        ("city-of-london", 2019): 9721,
        ("gwent", 2018): 590000,
    }


def test_manifest_records_sources(tmp_path: Path) -> None:
    path = write_street(tmp_path / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 2})
    store = tmp_path / "s"
    run_pcp(["ingest", "--store", str(store), str(path)])
    doc = json.loads((store / "manifest.json").read_text())
    ((sha, info),) = doc["sources"].items()
    assert info["size"] == path.stat().st_size and info["path"] == str(path)
    result = run_pcp(["periods", "--store", str(store), "--sources", "--format", "csv"])
    assert result.exit_code == 0
    assert sha in result.stdout and str(path) in result.stdout


@pytest.mark.parametrize("content", [b"", b"Crime ID,Month\n", b"\x00\x01\x02binary junk\xff\xfe"])
def test_junk_files_are_clear_errors(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(content)
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert result.exit_code == 4, result.stderr
    assert result.stderr.startswith("pcp: error: ")
    assert "Traceback" not in result.stderr


def test_exclude_leaves_out_files_beside_the_extracts(tmp_path: Path) -> None:
    files = tmp_path / "downloads"
    write_street(
        files / "2018-07" / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 2}
    )
    write_street(files / "old" / "2018-06-leicestershire-street.csv", "2018-06", {"Burglary": 5})
    (files / "CrimeCatMappings.csv").write_text(",Offence_Group,Offence_Code\n1,Theft,49\n")
    store = tmp_path / "store"
    # Without --exclude the lookup table stops the run, and the error says how to leave it out.
    refused = run_pcp(["ingest", "--store", str(store), str(files)])
    assert refused.exit_code == 4
    assert "CrimeCatMappings.csv: cannot tell what kind of extract" in refused.stderr
    assert "--exclude 'CrimeCatMappings.csv'" in refused.stderr
    assert not (store / "manifest.json").exists()
    # A name pattern and a path pattern (matched from the right, like a glob on the path).
    excludes = ["--exclude", "*Mappings.csv", "--exclude", "old/*.csv"]
    result = run_pcp(["ingest", "--store", str(store), "-v", *excludes, str(files)])
    assert result.exit_code == 0, result.stderr
    assert "ingested 1 file(s), 2 rows" in result.stderr
    sources = [s["path"] for s in Store(store).load_manifest().sources.values()]
    assert [Path(p).name for p in sources] == ["2018-07-leicestershire-street.csv"]


def test_exclude_of_every_file_is_a_usage_error(tmp_path: Path) -> None:
    path = write_street(tmp_path / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 1})
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), "--exclude", "*.csv", str(path)])
    assert result.exit_code == 2
    assert "--exclude '*.csv' leaves no files to ingest" in result.stderr
    rebuild = run_pcp(["ingest", "--store", str(tmp_path / "s"), "--rebuild", "--exclude", "x"])
    assert rebuild.exit_code == 2
    assert "--rebuild takes no paths or --exclude" in rebuild.stderr
