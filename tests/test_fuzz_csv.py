"""A corpus of broken and awkward extracts through `pcp ingest`.

Each case gives either a clear error (exit 4, the file named, no traceback, the store
untouched) or a correct ingest; never a partial store.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.store import Store
from tests.conftest import STREET_HEADER, run_pcp, street_row, write_street


def snapshot(store: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(store)): p.read_bytes()
        for p in sorted(store.rglob("*"))
        if p.is_file() and p.name not in (".lock", ".write.lock")
    }


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store that already holds June 2018, so 'unchanged' is a real check."""
    path = tmp_path / "store"
    good = write_street(
        tmp_path / "base" / "2018-06-leicestershire-street.csv", "2018-06", {"Burglary": 2}
    )
    assert run_pcp(["ingest", "--store", str(path), str(good)]).exit_code == 0
    return path


def street_text(n: int = 6, newline: str = "\r\n") -> str:
    rows = [
        street_row("2018-07", t, crime_id=f"c{i}")
        for i, t in enumerate(["Burglary", "Robbery", "Drugs"] * (n // 3))
    ]
    return newline.join([STREET_HEADER, *rows]) + newline


def expect_error(store: Path, path: Path, *fragments: str, args: tuple[str, ...] = ()) -> str:
    before = snapshot(store)
    result = run_pcp(["ingest", "--store", str(store), *args, str(path)])
    assert result.exit_code == 4, result.stderr
    assert result.stderr.startswith("pcp: error: ") and str(path) in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert len(result.stderr) < 1500
    for fragment in fragments:
        assert fragment in result.stderr
    assert snapshot(store) == before
    assert not (store / ".staging").exists() and not (store / "journal.json").exists()
    return result.stderr


def ingest_ok(store: Path, path: Path, *args: str) -> pl.DataFrame:
    result = run_pcp(["ingest", "--store", str(store), *args, str(path)])
    assert result.exit_code == 0, result.stderr
    manifest = Store(store).load_manifest()
    part = manifest.partitions("street")["leicestershire/2018-07"]
    return pl.read_parquet(store / part["file"])


CASES: dict[str, tuple[Callable[[], bytes], tuple[str, ...]]] = {
    "semicolons": (
        lambda: street_text().replace(",", ";").encode(),
        ("cannot tell what kind of extract", "--kind"),
    ),
    "header only": (lambda: (STREET_HEADER + "\r\n").encode(), ("has a header but no data rows",)),
    "empty": (lambda: b"", ("the file is empty",)),
    "blank lines": (lambda: b"\r\n\r\n  \r\n", ("the file is empty",)),
    "binary junk": (lambda: bytes(range(256)) * 40, ("not valid UTF-8",)),
    "gzip by mistake": (
        lambda: b"\x1f\x8b\x08\x00" + bytes(200),
        ("this is a gzip file, not a CSV file", "unpack"),
    ),
    "zip by mistake": (lambda: b"PK\x03\x04" + bytes(200), ("this is a zip archive",)),
    "cp1252 pound sign": (
        lambda: street_text().replace("High Street", "£1 Shop").encode("cp1252"),
        ("not valid UTF-8 (byte 0xa3)", "--encoding cp1252"),
    ),
    "missing columns": (
        lambda: (
            b"Crime ID,Month,Falls within,Crime type,Last outcome category\r\n"
            b"x,2018-07,Leicestershire Police,Burglary,\r\n"
        ),
        ("missing column(s)", "'Reported by'", "'Longitude'", "expected header"),
    ),
    "unclosed quote": (
        lambda: (
            street_text().replace("On or near High Street", '"On or near High Street', 1).encode()
        ),
        ("",),
    ),
    "wrong delimiter in one row": (
        lambda: (
            street_text() + street_row("2018-07", "Drugs").replace(",", ";") + "\r\n"
        ).encode(),
        ("",),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_extract_is_a_clear_error(store: Path, tmp_path: Path, case: str) -> None:
    make, fragments = CASES[case]
    path = tmp_path / "in" / "2018-07-leicestershire-street.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(make())
    expect_error(store, path, *fragments)


def test_cp1252_file_ingests_with_its_encoding(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_bytes(street_text().replace("High Street", "£1 Shop").encode("cp1252"))
    frame = ingest_ok(store, path, "--encoding", "cp1252")
    assert frame.height == 6
    assert set(frame["location"]) == {"On or near £1 Shop"}


def test_quoted_newlines_in_location_keep_the_row_count(store: Path, tmp_path: Path) -> None:
    rows = [
        street_row("2018-07", "Burglary", crime_id=f"c{i}").replace(
            "On or near High Street", f'"On or near\nHigh Street, flat {i}"'
        )
        for i in range(5)
    ]
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_text("\r\n".join([STREET_HEADER, *rows]) + "\r\n")
    frame = ingest_ok(store, path)
    assert frame.height == 5
    assert frame["location"].to_list() == [f"On or near\nHigh Street, flat {i}" for i in range(5)]
    assert frame["crime_type"].to_list() == ["Burglary"] * 5


def test_extra_columns_are_ignored(store: Path, tmp_path: Path) -> None:
    header = STREET_HEADER + ",Extra"
    rows = [street_row("2018-07", "Burglary", crime_id=f"c{i}") + ",whatever" for i in range(4)]
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    frame = ingest_ok(store, path)
    assert frame.height == 4 and "Extra" not in frame.columns and "extra" not in frame.columns


def test_missing_optional_context_column(store: Path, tmp_path: Path) -> None:
    header = STREET_HEADER.removesuffix(",Context")
    rows = [street_row("2018-07", "Robbery", crime_id=f"c{i}").removesuffix(",") for i in range(3)]
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    frame = ingest_ok(store, path)
    assert frame.height == 3 and frame["context"].null_count() == 3


@pytest.mark.parametrize("cut", [0.25, 0.5, 0.9, 0.999])
def test_truncated_file_is_an_error_or_a_shorter_correct_ingest(
    store: Path, tmp_path: Path, cut: float
) -> None:
    data = street_text(30).encode()
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_bytes(data[: int(len(data) * cut)])
    before = snapshot(store)
    result = run_pcp(["ingest", "--store", str(store), str(path)])
    assert result.exit_code in (0, 4), result.stderr
    assert "Traceback" not in result.stderr
    if result.exit_code == 4:
        assert str(path) in result.stderr and snapshot(store) == before
    else:
        part = Store(store).load_manifest().partitions("street")["leicestershire/2018-07"]
        complete_lines = data[: int(len(data) * cut)].count(b"\n") - 1
        assert complete_lines <= part["rows"] <= complete_lines + 1


def test_truncated_inside_a_quoted_field(store: Path, tmp_path: Path) -> None:
    text = street_text().replace("On or near High Street", '"On or near High Street"')
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_text(text[: text.rindex('"On or near') + 5])
    expect_error(store, path)


def test_ten_megabyte_single_line(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_bytes(b"x" * 10_000_000)
    err = expect_error(store, path, "cannot tell what kind of extract")
    assert len(err) < 1000


def test_ten_megabyte_location_in_one_row(store: Path, tmp_path: Path) -> None:
    huge = "A" * 10_000_000
    row = street_row("2018-07", "Burglary", crime_id="big").replace("On or near High Street", huge)
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_text(STREET_HEADER + "\n" + row + "\n")
    frame = ingest_ok(store, path)
    assert frame.height == 1 and len(frame["location"][0]) == 10_000_000


def test_bad_file_among_good_ones_stores_nothing(store: Path, tmp_path: Path) -> None:
    good = write_street(
        tmp_path / "in" / "2018-07-leicestershire-street.csv", "2018-07", {"Drugs": 3}
    )
    bad = tmp_path / "in" / "2018-08-leicestershire-street.csv"
    bad.write_bytes(bytes(range(256)))
    before = snapshot(store)
    result = run_pcp(["ingest", "--store", str(store), str(good), str(bad)])
    assert result.exit_code == 4 and str(bad) in result.stderr
    assert snapshot(store) == before


def test_skip_bad_rows_counts_match_the_rejects_file(store: Path, tmp_path: Path) -> None:
    rows_a = [
        street_row("2018-07", "Burglary", crime_id="a1"),
        street_row("2018-07", "Burglary", crime_id="a2").replace("-1.13", "west"),
        street_row("2018-07", "Burglary", crime_id="a3").replace("2018-07", "2018-13", 1),
        street_row("2018-07", "Burglary", crime_id="a4"),
    ]
    rows_b = [
        street_row("2018-08", "Drugs", crime_id="b1", force="Narnia Police"),
        street_row("2018-08", "Drugs", crime_id="b2"),
    ]
    a = tmp_path / "in" / "2018-07-leicestershire-street.csv"
    b = tmp_path / "in" / "2018-08-leicestershire-street.csv"
    a.parent.mkdir()
    a.write_text("\n".join([STREET_HEADER, *rows_a]) + "\n")
    b.write_text("\n".join([STREET_HEADER, *rows_b]) + "\n")
    result = run_pcp(
        ["ingest", "--store", str(store), "--on-bad-rows", "skip", "-v", str(a), str(b)]
    )
    assert result.exit_code == 0, result.stderr
    assert "ingested 2 file(s), 3 rows (street 3)" in result.stderr
    assert "3 bad row(s) rejected to" in result.stderr
    assert f"ingested: {a} (street, 2 rows, 2 rejected)" in result.stderr
    assert f"ingested: {b} (street, 1 rows, 1 rejected)" in result.stderr
    (rejects,) = tmp_path.glob("store-rejects-*.csv")
    frame = pl.read_csv(rejects).sort("file", "line")
    assert frame.select("file", "line", "column", "reason").rows() == [
        (str(a), 3, "Longitude", "not a valid number"),
        (str(a), 4, "Month", "not a month in the form YYYY-MM"),
        (str(b), 2, "Falls within", "unknown force"),
    ]
    manifest = Store(store).load_manifest()
    assert manifest.partitions("street")["leicestershire/2018-07"]["rows"] == 2
    assert manifest.partitions("street")["leicestershire/2018-08"]["rows"] == 1


# -- KPI files at run time -------------------------------------------------------------
KPI_FILE = """
schema = 1
sections = ["Crime"]
[kpi.burglary]
label = "Burglary"
section = "Crime"
polarity = "lower-is-better"
[kpi.burglary.count.street]
crime_type = "Burglary"
[kpi.robbery]
label = "Robbery"
section = "Crime"
polarity = "lower-is-better"
[kpi.robbery.count.street]
crime_type = "Robbery"
[kpi.burglery]
label = "Burglery (misspelt)"
section = "Crime"
polarity = "lower-is-better"
[kpi.burglery.count.street]
crime_type = "Burglery"
[kpi.crime]
label = "Crime (misspelt ASB exclusion)"
section = "Crime"
polarity = "lower-is-better"
[kpi.crime.count.street]
crime_type = { not_in = ["Anti-social behavior"] }
[kpi.burglary-per-robbery]
label = "Burglaries per robbery"
section = "Crime"
polarity = "neutral"
kind = "ratio"
numerator = "burglary"
denominator = "robbery"
"""


@pytest.fixture
def kpi_store(tmp_path: Path) -> tuple[Path, Path]:
    kpis = tmp_path / "kpis.toml"
    kpis.write_text(KPI_FILE)
    d = tmp_path / "in"
    write_street(
        d / "2018-07-leicestershire-street.csv",
        "2018-07",
        {"Burglary": 3, "Anti-social behaviour": 2},
    )
    write_street(d / "2017-07-leicestershire-street.csv", "2017-07", {"Burglary": 2, "Robbery": 1})
    store = tmp_path / "s"
    assert run_pcp(["ingest", "--store", str(store), str(d)]).exit_code == 0
    return store, kpis


def _compare_kpis(store: Path, kpis: Path, fmt: str) -> tuple[str, str]:
    result = run_pcp(
        ["compare", "--store", str(store), "--kpis", str(kpis), "--kpi", "all",
         "--period", "2018-07", "--format", fmt]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result.stdout, result.stderr


def test_filter_value_never_in_the_data_warns(kpi_store: tuple[Path, Path]) -> None:
    out, err = _compare_kpis(*kpi_store, "csv")
    assert (
        "pcp: warning: KPI burglery: no street data in the store has crime_type 'Burglery', "
        "so the filter counts zero; did you mean 'Burglary'?"
    ) in err
    assert (
        "KPI crime: no street data in the store has crime_type 'Anti-social behavior', "
        "so the filter excludes nothing; did you mean 'Anti-social behaviour'?"
    ) in err
    assert err.count("KPI burglery:") == 1  # once per KPI, not once per period or force
    # Correctly spelt filters, even one that counts zero this month (robbery), do not warn.
    assert "KPI burglary:" not in err and "KPI robbery:" not in err
    frame = pl.read_csv(out.encode())
    values = dict(zip(frame["kpi"], frame["value"], strict=True))
    assert values["burglery"] == 0.0 and values["crime"] == 5.0  # ASB wrongly counted: warned


def test_ratio_with_zero_denominator_is_undefined_not_inf(kpi_store: tuple[Path, Path]) -> None:
    out, _ = _compare_kpis(*kpi_store, "json")
    import json

    rows = {r["kpi"]: r for r in json.loads(out)}
    ratio = rows["burglary-per-robbery"]
    assert ratio["value"] is None and ratio["change"] is None and ratio["pct_change"] is None
    assert (ratio["numerator"], ratio["denominator"]) == (3.0, 0.0)
    assert ratio["baseline_value"] == 200.0  # 2 burglaries per robbery, scale 100
    assert ratio["monthly"] == [None]
    table, _ = _compare_kpis(*kpi_store, "table")
    line = next(x for x in table.splitlines() if "Burglaries per robbery" in x)
    assert "inf" not in line.lower() and "nan" not in line.lower()
    assert "200.0%" in line
