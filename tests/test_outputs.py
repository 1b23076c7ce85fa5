"""Machine outputs: published schemas, Excel workbooks, CSV for Excel, safe cells, writes
that are checked, and terminal tables that never cut a figure (issues 12, 13 and 14)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.schemas import COMMANDS, SCHEMA_VERSION, fields_of
from tests.conftest import run_pcp

PERIOD = "Q2 2018/19"
LEICS = ["--force", "leicestershire"]
# One invocation per published schema (on the bundled samples).
INVOCATIONS: dict[str, list[list[str]]] = {
    "compare": [["compare", "--kpi", "all", "--period", PERIOD, *LEICS]],
    "rank": [
        ["rank", "--kpi", "all", "--period", PERIOD, *LEICS],
        ["rank", "--kpi", "all-crime", "--period", PERIOD, *LEICS],
    ],
    "spc": [
        ["spc", "--kpi", "all", *LEICS],
        ["spc", "--kpi", "all-crime", "--method", "iquanta", *LEICS],
    ],
    "project": [["project", "--kpi", "all-crime", "--target", "20000", "--by", "2019-12", *LEICS]],
    "cdi": [["cdi", "--from", "75.8", "--to", "87.4", *LEICS]],
    "check": [["check", "--period", "12m", "--all", *LEICS]],
    "kpis": [["kpis"]],
    "periods": [["periods"]],
    "periods-sources": [["periods", "--sources"]],
    "table": [["table", "--kpi", "stop-search", "--period", PERIOD, *LEICS]],
    "report": [["report", "--period", PERIOD, *LEICS]],
    "compare-by-area": [
        ["compare", "--kpi", "all", "--period", PERIOD, *LEICS, "--by", "local-authority"]
    ],
    "rank-by-area": [["rank", "--kpi", "Crime", "--period", PERIOD, *LEICS, "--by", "area"]],
    "spc-by-area": [["spc", "--kpi", "burglary", *LEICS, "--by", "local-authority"]],
    "check-by-area": [
        ["check", "--kpi", "Crime", "--period", PERIOD, "--all", *LEICS, "--by", "local-authority"]
    ],
}
CASES = [(name, args) for name, runs in INVOCATIONS.items() for args in runs]
# Invocations that need the sample store with a lookup of areas with populations.
WITH_AREAS = {"rank-by-area"}
PARQUET_TYPES = {
    "string": pl.String,
    "integer": pl.Int64,
    "number": pl.Float64,
    "boolean": pl.Boolean,
    "date": pl.Date,
}


def _run(store: Path, args: list[str], *more: str) -> bytes:
    result = run_pcp([*args, "--store", str(store), "-q", *more])
    assert result.exit_code in (0, 10), result.stderr
    return result.stdout_bytes


def test_every_command_with_rows_has_a_schema() -> None:
    assert set(INVOCATIONS) == set(COMMANDS)


@pytest.mark.parametrize(("name", "args"), CASES, ids=[" ".join(a[:3]) for _, a in CASES])
def test_csv_header_is_the_schema_and_parquet_types_match(
    request: pytest.FixtureRequest, tmp_path: Path, name: str, args: list[str]
) -> None:
    fixture = "sample_store_with_areas" if name in WITH_AREAS else "sample_store"
    sample_store: Path = request.getfixturevalue(fixture)
    schema = json.loads(run_pcp(["schema", name]).stdout)
    names = [f["name"] for f in schema["fields"]]
    assert schema["version"] == SCHEMA_VERSION
    if name == "report":  # the report has no CSV form: its JSON records carry the fields
        header = list(json.loads(_run(sample_store, args, "--format", "json"))[0])
    else:
        text = _run(sample_store, args, "--format", "csv").decode()
        header = next(csv.reader(io.StringIO(text)))
    assert header == names
    out = tmp_path / "rows.parquet"
    _run(sample_store, args, "-o", str(out))
    frame = pl.read_parquet(out)
    assert frame.columns == names
    for f in fields_of(name):
        dtype = frame.schema[f.name]
        if f.type == "array":
            assert isinstance(dtype, pl.List), f.name
            assert dtype.inner == PARQUET_TYPES[f.item_type or "string"], f.name
        else:
            assert dtype == PARQUET_TYPES[f.type], (f.name, dtype)


def test_schema_is_frictionless_json() -> None:
    result = run_pcp(["schema", "compare"])
    schema = json.loads(result.stdout)
    by_name = {f["name"]: f for f in schema["fields"]}
    assert by_name["period_start"] == {
        "name": "period_start",
        "type": "date",
        "format": "%Y-%m",
        "description": "first month of the period",
    }
    assert by_name["monthly"]["type"] == "array"
    assert all(set(f) >= {"name", "type", "description"} for f in schema["fields"])
    assert run_pcp(["schema", "nonsense"]).exit_code == 2


def test_rank_header_does_not_depend_on_kpi(sample_store: Path) -> None:
    one = _run(sample_store, INVOCATIONS["rank"][1], "--format", "csv").split(b"\n")[0]
    every = _run(sample_store, INVOCATIONS["rank"][0], "--format", "csv").split(b"\n")[0]
    assert one == every


def test_counts_are_integers_in_every_format(sample_store: Path, tmp_path: Path) -> None:
    args = ["compare", "--kpi", "all-crime", "--period", PERIOD, *LEICS]
    row = next(csv.DictReader(io.StringIO(_run(sample_store, args, "--format", "csv").decode())))
    assert (row["value"], row["baseline_value"], row["change"]) == ("23116", "21327", "1789")
    assert row["monthly"] == "8005;7700;7411"
    record = json.loads(_run(sample_store, args, "--format", "json"))[0]
    assert record["value"] == 23116 and isinstance(record["value"], int)
    assert record["period_start"] == "2018-07"
    assert record["monthly"] == [8005, 7700, 7411] and record["missing_months"] == []
    out = tmp_path / "c.parquet"
    _run(sample_store, args, "-o", str(out))
    frame = pl.read_parquet(out)
    assert frame["period_start"].to_list() == [dt.date(2018, 7, 1)]
    assert frame["monthly"].to_list() == [[8005.0, 7700.0, 7411.0]]
    assert frame.schema["missing_months"] == pl.List(pl.Date)
    assert pl.read_parquet_metadata(out)["pcp:schema_version"] == SCHEMA_VERSION


def test_compare_xlsx_is_a_real_workbook(sample_store: Path, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "out.xlsx"
    _run(sample_store, ["compare", "--kpi", "all", "--period", PERIOD, *LEICS], "-o", str(out))
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["compare"]
    sheet = book["compare"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(2)]
    crime = next(r for r in rows if r["kpi"] == "all-crime")
    assert crime["value"] == 23116 and isinstance(crime["value"], int)
    assert crime["period_start"] == dt.datetime(2018, 7, 1)
    assert crime["complete"] is True
    assert crime["pct_change"] == pytest.approx((23116 - 21327) / 21327 * 100)
    assert sheet.column_dimensions["A"].width > 10  # widths set from the contents
    assert header == [f.name for f in fields_of("compare")]


def test_report_xlsx_has_one_sheet_per_part(sample_store: Path, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "report.xlsx"
    _run(sample_store, ["report", "--period", PERIOD, *LEICS], "-o", str(out))
    rows = json.loads(
        _run(sample_store, ["report", "--period", PERIOD, *LEICS, "--format", "json"])
    )
    expected = list(dict.fromkeys(r["part"] for r in rows))
    assert openpyxl.load_workbook(out).sheetnames == expected


def test_csv_for_excel_is_ascii_or_has_a_bom(sample_store: Path) -> None:
    for args in [*INVOCATIONS["rank"], *INVOCATIONS["check"], *INVOCATIONS["spc"]]:
        data = _run(sample_store, args, "--format", "csv")
        assert data.isascii(), bytes(b for b in data if b > 127)[:40]
    data = _run(sample_store, ["kpis"], "--format", "csv", "--bom")
    assert data.startswith(b"\xef\xbb\xbf") and data[3:].startswith(b"kpi,")


HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+1+1", "-2+3", "\tcmd", "=cmd|calc!A1"]


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["force", "month", "measure", "value"])
    months = ("2017-07", "2017-08", "2018-07", "2018-08")
    writer.writerows(["leicestershire", m, name, 5] for name in HOSTILE for m in months)
    (base / "c.csv").write_text(buf.getvalue())
    store = base / "store"
    result = run_pcp(["ingest", "--store", str(store), str(base / "c.csv")])
    assert result.exit_code == 0, result.stderr
    kpis = base / "kpis.toml"
    kpis.write_text(
        '[kpi.evil]\nlabel = "=HYPERLINK(\\"http://x\\")"\nsection = "@SUM(A1)"\n'
        'polarity = "neutral"\nunit = "-calls"\n[kpi.evil.count.counts]\n'
        'measure = "+1+1"\n'
    )
    return base


def _cells(data: bytes, sep: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode()), delimiter=sep) for c in row]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_no_cell_starts_a_formula(hostile_store: Path, fmt: str) -> None:
    store = hostile_store / "store"
    kpis = ["--kpis", str(hostile_store / "kpis.toml")]
    periods = _run(store, ["periods"], "--format", fmt)
    compare = _run(store, ["compare", "--kpi", "evil", "--period", "2018-08", *LEICS, *kpis],
                   "--format", fmt)  # fmt: skip
    sep = "," if fmt == "csv" else "\t"
    cells = _cells(periods, sep) + _cells(compare, sep)
    assert '\'=HYPERLINK("http://x","y")' in cells and "'@SUM(A1)" in cells
    assert "'+1+1" in cells and "'-2+3" in cells
    for cell in cells:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            assert re.fullmatch(r"[+-]?[\d.]+(e[+-]?\d+)?", cell), cell


def test_no_xlsx_cell_starts_a_formula(hostile_store: Path, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "p.xlsx"
    _run(hostile_store / "store", ["periods"], "-o", str(out))
    values = [c.value for row in openpyxl.load_workbook(out).active.iter_rows() for c in row]
    texts = [v for v in values if isinstance(v, str)]
    assert "'=cmd|calc!A1" in texts
    assert not [t for t in texts if t[:1] in ("=", "+", "-", "@", "\t", "\r")]


# -- writes: devices, FIFOs, symlinks, stdout (subprocesses: the defects are in the I/O) --
def _pcp(args: list[str], store: Path, **kw: object) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PCP_STORE": str(store), "PCP_FORCE": "leicestershire"}
    env.pop("PCP_KPIS", None)
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "pcp_cli", *args], env=env, check=False, **kw
    )


KPIS_CSV = ["kpis", "--format", "csv"]


def test_dash_is_stdout(sample_store: Path, tmp_path: Path) -> None:
    done = _pcp([*KPIS_CSV, "-o", "-"], sample_store, cwd=tmp_path, capture_output=True)
    assert done.returncode == 0 and done.stdout.startswith(b"kpi,label")
    assert not (tmp_path / "-").exists()


def test_output_onto_a_fifo_writes_into_it(sample_store: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    done = _pcp([*KPIS_CSV, "-o", str(fifo)], sample_store, capture_output=True, timeout=60)
    reader.join(60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not replaced by a file
    assert got and got[0].startswith(b"kpi,label")


def test_output_onto_a_symlink_writes_its_target(sample_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    done = _pcp([*KPIS_CSV, "-o", str(link)], sample_store, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and target.read_bytes().startswith(b"kpi,label")


def test_output_onto_a_character_device_keeps_it(sample_store: Path) -> None:
    done = _pcp([*KPIS_CSV, "-o", "/dev/null"], sample_store, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_full_disk_on_stdout_is_exit_6(sample_store: Path) -> None:
    args = ["compare", "--kpi", "all", "--period", PERIOD]
    with open("/dev/full", "wb") as full:
        done = _pcp(args, sample_store, stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 6
    lines = done.stderr.decode().strip().splitlines()
    assert lines[-1].startswith("pcp: error: cannot write to standard output")
    assert "internal error" not in done.stderr.decode()


def test_closed_stdout_is_one_line_not_a_traceback(sample_store: Path) -> None:
    done = _pcp(KPIS_CSV, sample_store, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                pass_fds=(), preexec_fn=lambda: os.close(1))  # fmt: skip
    assert done.returncode == 6
    lines = done.stderr.decode().splitlines()  # one line, whatever hint follows
    assert len(lines) == 1
    assert lines[0].startswith("pcp: error: cannot write to standard output: it is closed")


def test_closed_pipe_is_141_for_the_report(sample_store: Path) -> None:
    # 80 kB of HTML: more than a pipe holds, so the reader's going away is seen.
    args = ["report", "--period", PERIOD, "--format", "html", "--charts", "none", "-q"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pcp_cli", *args],
        env={**os.environ, "PCP_STORE": str(sample_store), "PCP_FORCE": "leicestershire"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert len(os.read(proc.stdout.fileno(), 1)) == 1  # as `| head -c1`
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read()
    assert proc.wait(120) == 141, err
    assert b"Traceback" not in err


# -- terminal tables never cut a figure ----------------------------------------------------
CUT = re.compile(r"\d…|…\d")


@pytest.mark.parametrize("columns", ["80", "60"])
@pytest.mark.parametrize(
    "args",
    [
        ["rank", "--kpi", "all", "--period", PERIOD, *LEICS],
        ["compare", "--kpi", "all", "--period", PERIOD, *LEICS],
        ["report", "--period", PERIOD, *LEICS],
    ],
    ids=["rank", "compare", "report"],
)
def test_terminal_tables_never_cut_a_figure(
    sample_store: Path, columns: str, args: list[str]
) -> None:
    result = run_pcp(
        [*args, "--store", str(sample_store), "-q", "--format", "table"],
        env={"COLUMNS": columns},
    )
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= int(columns)
    assert not CUT.search(result.stdout)
    if args[0] != "report":
        # Every count of the table is printed whole (wrapping happens at spaces only).
        csv_rows = json.loads(_run(sample_store, args, "--format", "json"))
        for row in csv_rows:
            value = row["value"]
            if isinstance(value, int) and row["unit"] not in ("%",):
                assert f"{value:,}" in result.stdout, (row["kpi"], value)


# -- a counts file re-saved by Excel ---------------------------------------------------
def test_counts_with_excel_months_are_read(tmp_path: Path) -> None:
    counts = tmp_path / "calls.csv"
    counts.write_text(
        "force,month,measure,value\nleicestershire,May-19,calls_999,5\n"
        "leicestershire,01/06/2019,calls_999,6\nleicestershire,2019-07-01,calls_999,7\n"
        "leicestershire,Aug 2019,calls_999,8\n"
    )
    store = tmp_path / "s"
    assert run_pcp(["ingest", "--store", str(store), str(counts)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(run_pcp(["periods", "--store", str(store)]).stdout)))
    assert [(r["first_month"], r["last_month"], r["months"]) for r in rows] == [
        ("2019-05", "2019-08", "4")
    ]


def test_a_bad_excel_month_names_the_month_column(tmp_path: Path) -> None:
    counts = tmp_path / "calls.csv"
    counts.write_text("force,month,measure,value\nleicestershire,13/06/2019,calls_999,6\n")
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(counts)])
    assert result.exit_code == 4
    assert "calls.csv, line 2, column 'month': not a month" in result.stderr
    assert "'13/06/2019'" in result.stderr


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("May-19", "2019-05"),
        ("May-2019", "2019-05"),
        ("September 2020", "2020-09"),
        ("01/05/2019", "2019-05"),
        ("1/12/2019", "2019-12"),
        ("2019-05-01", "2019-05"),
        ("2019-05-01 00:00:00", "2019-05"),
        ("05/01/2019", None),  # the 5th of January: a date, not a month
        ("Foo-19", None),
        ("2019-05-02", None),
    ],
)
def test_excel_month_forms(text: str, month: str | None) -> None:
    from pcp_cli.ingest.readers import excel_month

    assert excel_month(text) == month


def test_docs_list_every_schema() -> None:
    from pcp_cli.schemas import markdown_reference

    doc = (Path(__file__).resolve().parent.parent / "docs" / "schemas.md").read_text()
    assert markdown_reference() in doc, "regenerate the field tables of docs/schemas.md"
