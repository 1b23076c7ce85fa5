"""The CLI contract: formats, pipes, exit codes, stdout carrying data only."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.store import Store
from tests.conftest import REPO, Result, run_pcp, write_street

PCP = [sys.executable, "-m", "pcp_cli"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two years of a quarter for Leicestershire and Essex, ASB included."""
    base = tmp_path_factory.mktemp("cli")
    files = base / "files"
    for year, extra in (("2017", 0), ("2018", 2)):
        for i, month in enumerate(("07", "08", "09")):
            for force, slug in (
                ("Leicestershire Police", "leicestershire"),
                ("Essex Police", "essex"),
            ):
                write_street(
                    files / f"{year}-{month}-{slug}-street.csv",
                    f"{year}-{month}",
                    {"Burglary": 10 + i + extra, "Shoplifting": 5, "Anti-social behaviour": 3},
                    force=force,
                )
    store = base / "store"
    result = run_pcp(["ingest", "--store", str(store), str(files)])
    assert result.exit_code == 0, result.stderr
    return store


def compare_args(
    store: Path, *extra: str, kpi: str = "all-crime,burglary,asb-incidents"
) -> list[str]:
    return [
        "compare",
        "--store",
        str(store),
        "--kpi",
        kpi,
        "--force",
        "leicestershire",
        "--period",
        "Q2 2018/19",
        *extra,
    ]


def test_csv_round_trip_and_arithmetic(store: Path) -> None:
    result = run_pcp(compare_args(store, "--format", "csv"))
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(result.stdout_bytes)
    row = frame.filter(pl.col("kpi") == "burglary").row(0, named=True)
    assert (row["value"], row["baseline_value"], row["change"]) == (39.0, 33.0, 6.0)
    assert row["pct_change"] == pytest.approx(6 / 33 * 100, abs=1e-12)
    assert row["period"] == "Q2 2018/19" and row["baseline_period"] == "Q2 2017/18"
    assert row["monthly"] == "12;13;14"


@pytest.mark.parametrize("fmt", ["json", "jsonl", "tsv", "parquet", "markdown", "table"])
def test_every_format_parses_back(store: Path, fmt: str) -> None:
    result = run_pcp(compare_args(store, "--format", fmt))
    assert result.exit_code == 0, result.stderr
    out = result.stdout_bytes
    if fmt == "json":
        rows = json.loads(out)
        assert [r["kpi"] for r in rows] == ["all-crime", "burglary", "asb-incidents"]
        assert rows[1]["monthly"] == [12.0, 13.0, 14.0]
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.decode().splitlines()]
        assert [r["value"] for r in rows] == [54.0, 39.0, 9.0]
    elif fmt == "tsv":
        frame = pl.read_csv(out, separator="\t")
        assert frame["value"].to_list() == [54.0, 39.0, 9.0]
    elif fmt == "parquet":
        frame = pl.read_parquet(io.BytesIO(out))
        assert frame["baseline_value"].to_list() == [48.0, 33.0, 9.0]
        assert frame.schema["monthly"] == pl.List(pl.Float64)
    elif fmt == "markdown":
        text = out.decode()
        assert "|  | Burglary | 39 | 33 | +6 | +18.2% |" in text
    else:
        text = out.decode()
        assert "Burglary" in text and "+18.2%" in text and "Q2 2017/18" in text


def test_output_file_is_written_atomically(store: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    target.write_bytes(b"old")
    result = run_pcp(compare_args(store, "-o", str(target)))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert pl.read_parquet(target).height == 3  # format from the suffix
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]  # no temp file left
    missing = run_pcp(compare_args(store, "-o", str(tmp_path / "nope" / "x.csv")))
    assert missing.exit_code == 6
    assert "cannot write" in missing.stderr


def test_warnings_go_to_stderr_only(store: Path) -> None:
    result = run_pcp(
        [
            "compare",
            "--store",
            str(store),
            "--kpi",
            "all",
            "--force",
            "leicestershire",
            "--period",
            "Q2 2018/19",
            "--format",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert "left out" in result.stderr
    frame = pl.read_csv(result.stdout_bytes)  # stdout is pure CSV
    assert set(frame["kpi"]) >= {"all-crime", "burglary", "shoplifting", "positive-outcome-rate"}


def test_several_forces(store: Path) -> None:
    result = run_pcp(
        [
            "compare",
            "--store",
            str(store),
            "--kpi",
            "burglary",
            "--force",
            "leicestershire,Essex Police",
            "--period",
            "Q2 2018/19",
            "--format",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(result.stdout_bytes)["force"].to_list() == ["leicestershire", "essex"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--period", "Q9"], 2, "'Q9' is not a period"),
        (["--period", "Q2 2018/19", "--kpi", "all-crme"], 2, "did you mean all-crime"),
        (["--period", "Q2 2018/19", "--force", "leicester"], 2, "did you mean leicestershire"),
        (["--period", "Q2 2019/20"], 5, "no street data for 2019-07"),
        (["--period", "Q2 2018/19", "--format", "xml"], 2, "Invalid value for '--format'"),
    ],
)
def test_exit_codes(store: Path, args: list[str], code: int, message: str) -> None:
    base = ["compare", "--store", str(store), "--kpi", "burglary", "--force", "leicestershire"]
    if "--kpi" in args:
        base = base[:4] + base[6:]
    result = run_pcp([*base, *args])
    assert result.exit_code == code, result.stderr
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_config_error_exit_code(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "kpis.toml"
    bad.write_text("[kpi.x]\nlabel = 1\n")
    result = run_pcp(compare_args(store, "--kpis", str(bad)))
    assert result.exit_code == 3
    assert str(bad) in result.stderr


def test_empty_store_is_no_data(tmp_path: Path) -> None:
    result = run_pcp(["compare", "--store", str(tmp_path / "none"), "--period", "Q2"])
    assert result.exit_code == 5
    assert "run 'pcp ingest PATH' first" in result.stderr


def test_partial_period_allowed_on_request(store: Path) -> None:
    result = run_pcp(
        [
            "compare",
            "--store",
            str(store),
            "--kpi",
            "burglary",
            "--force",
            "leicestershire",
            "--period",
            "2018-08..2018-10",
            "--allow-partial",
            "--format",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.stderr
    row = pl.read_csv(result.stdout_bytes).row(0, named=True)
    assert row["complete"] is False
    assert row["missing_months"] == "2017-10;2018-10"
    # One slot per month of the period: the missing month is an empty slot, not dropped.
    assert len(row["monthly"].split(";")) == 3 and row["monthly"].endswith(";")
    assert len(row["baseline_monthly"].split(";")) == 3 and row["baseline_monthly"].endswith(";")
    assert "partial" in result.stderr


def test_corrupt_store_file_is_a_store_error(store: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    agg = copy / Store(copy).load_manifest().aggregate_file("street")  # type: ignore[operator]
    agg.write_bytes(agg.read_bytes()[:100])
    result = run_pcp(compare_args(copy))
    assert result.exit_code == 6
    assert "truncated or not Parquet" in result.stderr and str(agg) in result.stderr


def _shell(command: str) -> tuple[int, str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode()


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl", "parquet", "markdown", "table"])
def test_pipe_to_head_is_quiet(store: Path, fmt: str) -> None:
    cmd = " ".join([*PCP, *compare_args(store, "--format", fmt)][:])
    quoted = cmd.replace("Q2 2018/19", "'Q2 2018/19'")
    code, _, err = _shell(f"{quoted} | head -n 1")
    assert code == 0
    assert err == ""
    # A reader that has gone before pcp writes: a broken pipe, met quietly.
    _, out, err = _shell(f'{quoted} | true; echo "status=${{PIPESTATUS[0]}}"')
    assert err == ""
    assert out.strip() in ("status=0", "status=141")


def test_python_m_and_version() -> None:
    result = subprocess.run(
        [*PCP, "--version"], capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0
    assert result.stdout.startswith("pcp, version ")


def test_help_lists_every_command() -> None:
    result = run_pcp(["--help"])
    for command in ("ingest", "compare", "kpis", "periods"):
        assert command in result.stdout
    for command in ("ingest", "compare", "kpis", "periods"):
        sub = run_pcp([command, "--help"])
        assert sub.exit_code == 0 and "Example" in sub.stdout


def test_debug_shows_traceback(tmp_path: Path) -> None:
    result = run_pcp(["compare", "--store", str(tmp_path / "none"), "--period", "Q2", "--debug"])
    assert result.exit_code == 5
    assert "Traceback" in result.stderr


def test_periods_shows_gaps(store: Path) -> None:
    result = run_pcp(["periods", "--store", str(store), "--format", "csv"])
    assert result.exit_code == 0
    frame = pl.read_csv(result.stdout_bytes)
    row = frame.filter(pl.col("force") == "leicestershire").row(0, named=True)
    assert (row["first_month"], row["last_month"], row["months"]) == ("2017-07", "2018-09", 6)
    assert row["gaps"] == "2017-10..2018-06"


def test_periods_counts_by_measure_and_quarters(tmp_path: Path) -> None:
    counts = tmp_path / "c.csv"
    counts.write_text(
        "force,month,measure,value\nleicestershire,2018-04,calls_999,1\n"
        "leicestershire,2018-06,calls_999,1\nleicestershire,2018-09,calls_999,1\n"
        "leicestershire,2018-04,calls_101,1\n"
    )
    quarterly = tmp_path / "q.csv"
    quarterly.write_text("force,period,measure,value\nessex,2018/19 Q2,hate_crime,9\n")
    store = tmp_path / "s"
    assert run_pcp(["ingest", "--store", str(store), str(counts), str(quarterly)]).exit_code == 0
    result = run_pcp(["periods", "--store", str(store), "--format", "csv"])
    frame = pl.read_csv(result.stdout_bytes)
    rows = {
        (r["measure"], r["force"]): (r["months"], r["gaps"]) for r in frame.iter_rows(named=True)
    }
    assert rows[("calls_999", "leicestershire")] == (3, "2018-05;2018-07..2018-08")
    assert rows[("calls_101", "leicestershire")] == (1, "")
    assert rows[("hate_crime", "essex")] == (3, "")


def test_zero_denominator_is_undefined(tmp_path: Path) -> None:
    # Outcomes but no crimes in one month: the positive outcome rate is 0/0 there.
    files = tmp_path / "f"
    write_street(files / "2018-07-x-street.csv", "2018-07", {"Anti-social behaviour": 2})
    write_street(files / "2017-07-x-street.csv", "2017-07", {"Burglary": 4})
    store = tmp_path / "s"
    assert run_pcp(["ingest", "--store", str(store), str(files)]).exit_code == 0
    args = [
        "compare",
        "--store",
        str(store),
        "--kpi",
        "positive-outcome-rate",
        "--period",
        "2018-07",
    ]
    table = run_pcp([*args, "--format", "table"])
    assert table.exit_code == 0, table.stderr
    assert "undefined" in table.stdout
    csv = run_pcp([*args, "--format", "csv"])
    assert "NaN" not in csv.stdout and "inf" not in csv.stdout
    row = pl.read_csv(csv.stdout_bytes).row(0, named=True)
    assert row["value"] is None and row["denominator"] == 0
    assert row["baseline_value"] == 0.0
    parquet = run_pcp([*args, "--format", "parquet"])
    frame = pl.read_parquet(io.BytesIO(parquet.stdout_bytes))
    assert frame["monthly"].to_list() == [[None]]


def _with_knife_crime(store: Path, tmp_path: Path, months: list[str]) -> Path:
    """A copy of the module store plus knife crime counts (a KPI only counts give) for months."""
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    counts = tmp_path / "knife-counts.csv"
    rows = [f"Leicestershire,{m},knife_crime,4" for m in months]
    counts.write_text("\n".join(["force,month,measure,value", *rows]) + "\n")
    result = run_pcp(["ingest", "--store", str(copy), str(counts)])
    assert result.exit_code == 0, result.stderr
    return copy


def _compare(store: Path, kpi: str) -> Result:
    return run_pcp(compare_args(store, "--format", "csv", kpi=kpi))


def test_kpi_with_data_only_outside_both_periods_is_left_out_of_all(
    store: Path, tmp_path: Path
) -> None:
    copy = _with_knife_crime(store, tmp_path, ["2016-01", "2016-02"])
    result = _compare(copy, "all")
    assert result.exit_code == 0, result.stderr
    assert (
        "have no data for Q2 2018/19 or Q2 2017/18 and are left out: knife-crime" in result.stderr
    )
    frame = pl.read_csv(result.stdout_bytes)
    assert "knife-crime" not in frame["kpi"].to_list()
    assert frame.filter(pl.col("kpi") == "burglary")["value"].to_list() == [39.0]
    # Asked for by itself, the same KPI is an error that names the missing months.
    alone = _compare(copy, "knife-crime")
    assert alone.exit_code == 5
    assert "no counts data for 2017-07, 2017-08, 2017-09, 2018-07" in alone.stderr


def test_kpi_partly_covering_the_periods_still_fails_all(store: Path, tmp_path: Path) -> None:
    copy = _with_knife_crime(store, tmp_path, ["2018-07"])
    result = _compare(copy, "all")
    assert result.exit_code == 5
    assert "knife-crime for leicestershire" in result.stderr
    assert "2017-07" in result.stderr and "--allow-partial" in result.stderr
    assert result.stdout == ""
