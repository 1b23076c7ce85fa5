"""Faults: concurrent writers, SIGKILL mid-ingest, disk full, permissions, damaged stores, rebuild.

The kill tests run real `python -m pcp_cli` processes with PCP_TEST_PAUSE_AT, which makes
the writer stop (and say so on stderr) at a named point of its transaction, and kill them
there with SIGKILL.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.store import Store
from tests.conftest import (
    REPO,
    STREET_HEADER,
    logical,
    run_pcp,
    snapshot,
    write_street,
    write_two_forces,
)

PCP = [sys.executable, "-m", "pcp_cli"]


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PCP_") and k != "PYTHONPATH"}
    return {**base, "PYTHONPATH": str(REPO), "NO_COLOR": "1", **extra}


def start(args: list[str], **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*PCP, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(**extra),
    )


def wait_for_pause(proc: subprocess.Popen[bytes], point: str) -> None:
    assert proc.stderr is not None
    line = proc.stderr.readline().decode()
    assert f"test pause at {point}" in line, line + proc.stderr.read().decode()


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> int:
    """Kill (if still running) and reap, closing the pipes."""
    if proc.poll() is None:
        proc.send_signal(sig)
    proc.communicate(timeout=30)
    return proc.returncode


def run(args: list[str], timeout: float = 60, **extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*PCP, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env(**extra),
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def extracts(tmp_path: Path) -> dict[str, Path]:
    """July 2018 (original and republished), August 2018, for two forces."""
    d = tmp_path / "in"
    return {
        "jul": write_street(
            d / "a" / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 3}
        ),
        "jul_essex": write_street(
            d / "a" / "2018-07-essex-street.csv",
            "2018-07",
            {"Robbery": 2},
            force="Essex Police",
        ),
        "jul_new": write_street(
            d / "b" / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 5}
        ),
        "aug": write_street(d / "b" / "2018-08-leicestershire-street.csv", "2018-08", {"Drugs": 4}),
    }


def ingest_args(store: Path, *paths: Path) -> list[str]:
    return ["ingest", "--store", str(store), *map(str, paths)]


# -- two writers ---------------------------------------------------------------------
def test_second_writer_fails_clearly_when_it_cannot_wait(
    tmp_path: Path, extracts: dict[str, Path]
) -> None:
    store = tmp_path / "store"
    first = start(
        ingest_args(store, extracts["jul"]),
        PCP_TEST_PAUSE_AT="journal",
        PCP_TEST_PAUSE_SECONDS="30",
    )
    try:
        wait_for_pause(first, "journal")
        second = run([*ingest_args(store, extracts["aug"]), "--wait", "0.3"])
        assert second.returncode == 6
        err = second.stderr.decode()
        assert f"another pcp ingest is writing to the store {store}" in err
        assert "raise --wait" in err and "Traceback" not in err
    finally:
        stop(first)
    # The killed first writer is undone by the next one, which then works.
    ok = run(ingest_args(store, extracts["aug"]))
    assert ok.returncode == 0, ok.stderr
    manifest = Store(store).load_manifest()
    assert sorted(manifest.partitions("street")) == ["leicestershire/2018-08"]
    logical(store)


def test_second_writer_waits_and_both_land(tmp_path: Path, extracts: dict[str, Path]) -> None:
    store = tmp_path / "store"
    first = start(
        ingest_args(store, extracts["jul"]),
        PCP_TEST_PAUSE_AT="journal",
        PCP_TEST_PAUSE_SECONDS="1.5",
    )
    wait_for_pause(first, "journal")
    began = time.monotonic()
    second = run([*ingest_args(store, extracts["aug"]), "--wait", "30"])
    first.communicate(timeout=30)
    assert first.returncode == 0
    assert second.returncode == 0, second.stderr
    assert time.monotonic() - began > 0.5  # it really waited for the first
    manifest = Store(store).load_manifest()
    assert sorted(manifest.partitions("street")) == [
        "leicestershire/2018-07",
        "leicestershire/2018-08",
    ]
    assert not (store / "journal.json").exists()
    logical(store)


def test_reader_is_not_held_up_by_a_long_ingest(tmp_path: Path, extracts: dict[str, Path]) -> None:
    store = tmp_path / "store"
    assert run_pcp(ingest_args(store, extracts["jul"])).exit_code == 0
    writer = start(
        ingest_args(store, extracts["jul_new"]),
        PCP_TEST_PAUSE_AT="stage",
        PCP_TEST_PAUSE_SECONDS="30",
    )
    try:
        wait_for_pause(writer, "stage")
        result = run_pcp(["periods", "--store", str(store), "--format", "csv", "--wait", "0"])
        assert result.exit_code == 0, result.stderr
        assert "leicestershire,Leicestershire,2018-07,2018-07,1," in result.stdout
    finally:
        stop(writer)


# -- SIGKILL at every stage of a transaction -------------------------------------------
@pytest.mark.parametrize("point", ["stage", "journal", "rename", "manifest"])
def test_sigkill_leaves_before_or_after_state(
    tmp_path: Path, extracts: dict[str, Path], point: str
) -> None:
    store = tmp_path / "store"
    assert run_pcp(ingest_args(store, extracts["jul"], extracts["jul_essex"])).exit_code == 0
    before_files = snapshot(store)
    before = logical(store)
    # The reference after-state, built without interruption in another store.
    ref = tmp_path / "ref"
    assert run_pcp(ingest_args(ref, extracts["jul"], extracts["jul_essex"])).exit_code == 0
    assert run_pcp(ingest_args(ref, extracts["jul_new"], extracts["aug"])).exit_code == 0
    after = logical(ref)
    assert after != before

    proc = start(ingest_args(store, extracts["jul_new"], extracts["aug"]), PCP_TEST_PAUSE_AT=point)
    wait_for_pause(proc, point)
    assert stop(proc) == -signal.SIGKILL
    committed = point == "manifest"
    # Readers see one whole state, before any repair.
    periods = run_pcp(["periods", "--store", str(store), "--format", "csv"])
    assert periods.exit_code == 0, periods.stderr
    assert ("2018-08" in periods.stdout) == committed
    # The next writer repairs without help; here it has nothing to add.
    again = run_pcp(ingest_args(store, extracts["jul_essex"]))
    assert again.exit_code == 0, again.stderr
    if committed:
        assert logical(store) == after
    else:
        assert snapshot(store) == before_files
        assert logical(store) == before
    assert not (store / "journal.json").exists() and not (store / ".staging").exists()
    # And the interrupted run, repeated, gives exactly the uninterrupted result.
    redo = run_pcp(ingest_args(store, extracts["jul_new"], extracts["aug"]))
    assert redo.exit_code == 0, redo.stderr
    assert logical(store) == after


# -- disk full and permissions ---------------------------------------------------------
def _full(*args: object, **kwargs: object) -> None:
    raise pl.exceptions.ComputeError(
        "parquet: File out of specification: underlying IO error: No space left on device "
        "(os error 28)"
    )


def test_disk_full_while_staging(
    tmp_path: Path, extracts: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    assert run_pcp(ingest_args(store, extracts["jul"])).exit_code == 0
    before = snapshot(store)
    monkeypatch.setattr(pl.DataFrame, "write_parquet", _full)
    result = run_pcp(ingest_args(store, extracts["jul_new"], extracts["aug"]))
    assert result.exit_code == 6
    assert "the disk is full" in result.stderr and "the store is unchanged" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("code", "reason"), [(errno.ENOSPC, "the disk is full"), (errno.EACCES, "permission denied")]
)
def test_failure_writing_the_manifest_rolls_back(
    tmp_path: Path,
    extracts: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    reason: str,
) -> None:
    import pcp_cli.store as store_module

    store = tmp_path / "store"
    assert run_pcp(ingest_args(store, extracts["jul"])).exit_code == 0
    before = snapshot(store)
    real = store_module._write_json_atomic

    def failing(path: Path, doc: dict[str, object]) -> None:
        if path.name == "manifest.json":
            raise OSError(code, os.strerror(code))
        real(path, doc)

    monkeypatch.setattr(store_module, "_write_json_atomic", failing)
    result = run_pcp(ingest_args(store, extracts["jul_new"], extracts["aug"]))
    assert result.exit_code == 6
    assert reason in result.stderr and "unchanged" in result.stderr
    assert snapshot(store) == before


def test_failure_moving_files_into_place_rolls_back(
    tmp_path: Path, extracts: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    assert run_pcp(ingest_args(store, extracts["jul"])).exit_code == 0
    before = snapshot(store)
    real = os.replace
    moved: list[str] = []

    def failing(src: str | Path, dst: str | Path) -> None:
        if ".staging" in str(src) and "month=2018-08" in str(dst) and ".staging" not in str(dst):
            raise PermissionError(errno.EACCES, "Permission denied")
        if ".staging" in str(src) and ".staging" not in str(dst):
            moved.append(str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    result = run_pcp(ingest_args(store, extracts["jul_new"], extracts["aug"]))
    assert result.exit_code == 6 and "permission denied" in result.stderr
    assert moved  # some files had been moved before the failure, and were taken back
    assert snapshot(store) == before


def test_read_only_store_folder(tmp_path: Path, extracts: dict[str, Path]) -> None:
    """Run as its own process without root's power over permissions (setpriv), so it runs
    in CI as root too."""
    from tests.test_hostile import unprivileged

    store = tmp_path / "store"
    assert run_pcp(ingest_args(store, extracts["jul"])).exit_code == 0
    before = snapshot(store)
    store.chmod(0o555)
    try:
        result = subprocess.run(
            unprivileged([*PCP, *ingest_args(store, extracts["aug"])]),
            capture_output=True,
            env=env(),
            timeout=120,
        )
    finally:
        store.chmod(0o755)
    stderr = result.stderr.decode()
    assert result.returncode == 6, stderr
    assert "Traceback" not in stderr
    assert snapshot(store) == before


def test_rejects_file_is_written_only_after_commit(
    tmp_path: Path, extracts: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = extracts["aug"]
    bad.write_text(bad.read_text().replace("-1.13", "west", 1))
    store = tmp_path / "store"
    monkeypatch.setattr(pl.DataFrame, "write_parquet", _full)
    result = run_pcp([*ingest_args(store, bad), "--on-bad-rows", "skip"])
    assert result.exit_code == 6
    assert not list(tmp_path.glob("store-rejects-*.csv"))


# -- damaged stores and --rebuild ------------------------------------------------------
def _compare(store: Path) -> pl.DataFrame:
    result = run_pcp(
        [
            "compare",
            "--store",
            str(store),
            "--kpi",
            "burglary,robbery,drug-offences",
            "--force",
            "leicestershire",
            "--period",
            "2018-07..2018-08",
            "--vs",
            "2018-07..2018-08",
            "--format",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(result.stdout_bytes).select("kpi", "value")


@pytest.fixture
def built(tmp_path: Path, extracts: dict[str, Path]) -> Path:
    store = tmp_path / "store"
    assert run_pcp(ingest_args(store, extracts["jul"], extracts["jul_essex"])).exit_code == 0
    assert run_pcp(ingest_args(store, extracts["jul_new"], extracts["aug"])).exit_code == 0
    return store


def _agg_path(store: Path) -> Path:
    rel = Store(store).load_manifest().aggregate_file("street")
    assert rel is not None
    return store / rel


def _part_path(store: Path, key: str) -> Path:
    return store / Store(store).load_manifest().partitions("street")[key]["file"]


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_damaged_aggregate_is_named_and_rebuild_repairs_it(built: Path, damage: str) -> None:
    good = _compare(built)
    assert good.rows() == [("burglary", 5.0), ("robbery", 0.0), ("drug-offences", 4.0)]
    before = logical(built)
    agg = _agg_path(built)
    data = agg.read_bytes()
    if damage == "truncate":
        agg.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # same size, magic intact, footer garbled
        middle = len(data) - 40
        agg.write_bytes(
            data[:middle]
            + bytes(b ^ 0xFF for b in data[middle : middle + 30])
            + data[middle + 30 :]
        )
    else:
        agg.unlink()
    result = run_pcp(
        [
            "compare",
            "--store",
            str(built),
            "--kpi",
            "burglary",
            "--force",
            "leicestershire",
            "--period",
            "2018-07",
            "--vs",
            "2018-07",
        ]
    )
    assert result.exit_code == 6, result.stderr
    assert str(agg) in result.stderr and "pcp ingest --rebuild" in result.stderr
    assert "Traceback" not in result.stderr
    # An ordinary ingest refuses to build on a damaged store too, naming the file.
    before_files = snapshot(built)
    sep = write_street(
        built.parent / "sep" / "2018-09-leicestershire-street.csv", "2018-09", {"Drugs": 1}
    )
    refused = run_pcp(ingest_args(built, sep))
    assert refused.exit_code == 6 and str(agg) in refused.stderr
    assert snapshot(built) == before_files
    rebuilt = run_pcp(["ingest", "--store", str(built), "--rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert "rebuilt the store from 3 file(s), 11 rows" in rebuilt.stderr
    assert _compare(built).rows() == good.rows()
    assert logical(built) == before


def test_truncated_partition_found_by_raw_reads_and_rebuilt(built: Path) -> None:
    part = _part_path(built, "leicestershire/2018-08")
    part.write_bytes(part.read_bytes()[:-10])
    with Store(built).reading() as reader:
        with pytest.raises(Exception, match="truncated or not Parquet") as info:
            reader.raw("street")
        assert str(part) in str(info.value) and "--rebuild" in str(info.value)
        assert len(reader.verify()) == 1
    assert run_pcp(["ingest", "--store", str(built), "--rebuild"]).exit_code == 0
    with Store(built).reading() as reader:
        assert reader.verify() == []
        assert reader.raw("street").select(pl.len()).collect().item() == 11


def test_corrupt_manifest_is_a_clear_error(built: Path) -> None:
    (built / "manifest.json").write_text('{"format": 1, "datasets": ')
    for args in (
        ["periods", "--store", str(built)],
        ingest_args(built, built.parent / "in" / "b" / "2018-08-leicestershire-street.csv"),
        ["ingest", "--store", str(built), "--rebuild"],
    ):
        result = run_pcp(args)
        assert result.exit_code == 6, result.stderr
        assert f"the store manifest {built / 'manifest.json'} is unreadable" in result.stderr
        assert "ingest the extracts again into a new store" in result.stderr


def test_rebuild_refuses_missing_or_changed_sources(built: Path, extracts: dict[str, Path]) -> None:
    before = snapshot(built)
    extracts["aug"].rename(extracts["aug"].with_suffix(".bak"))
    result = run_pcp(["ingest", "--store", str(built), "--rebuild"])
    assert result.exit_code == 4
    assert f"cannot rebuild: recorded source {extracts['aug']} is missing" in result.stderr
    assert snapshot(built) == before
    extracts["aug"].with_suffix(".bak").rename(extracts["aug"])
    # Same size, different bytes: caught by the SHA-256.
    text = extracts["jul_new"].read_bytes()
    extracts["jul_new"].write_bytes(text.replace(b"Burglary", b"Burglarz", 1))
    result = run_pcp(["ingest", "--store", str(built), "--rebuild"])
    assert result.exit_code == 4
    assert f"{extracts['jul_new']}: changed since it was ingested" in result.stderr
    assert snapshot(built) == before


def test_rebuild_keeps_replacement_order_and_options(tmp_path: Path) -> None:
    store = tmp_path / "s"
    a = tmp_path / "calls.csv"
    a.write_text(
        "force,month,measure,value\nleicestershire,2018-07,calls_999,10\n"
        "leicestershire,2018-07,calls_101,20\n"
    )
    b = tmp_path / "calls-fix.csv"
    b.write_bytes(b"force,month,measure,value\nleicestershire,2018-07,calls_999,11\n")
    c = tmp_path / "cp.csv"
    c.write_bytes("force,month,measure,value\nLeicestershire,2018-07,cost_£,5\n".encode("cp1252"))
    assert run_pcp(["ingest", "--store", str(store), str(a)]).exit_code == 0
    assert run_pcp(["ingest", "--store", str(store), str(b)]).exit_code == 0
    assert run_pcp(["ingest", "--store", str(store), "--encoding", "cp1252", str(c)]).exit_code == 0
    before = logical(store)
    result = run_pcp(["ingest", "--store", str(store), "--rebuild", "-v"])
    assert result.exit_code == 0, result.stderr
    assert logical(store) == before
    manifest = Store(store).load_manifest()
    assert [s["path"] for s in manifest.sources_in_order()] == [str(a), str(b), str(c)]
    assert manifest.sources_in_order()[2]["encoding"] == "cp1252"


def test_rebuild_usage_errors(tmp_path: Path, extracts: dict[str, Path]) -> None:
    empty = run_pcp(["ingest", "--store", str(tmp_path / "none"), "--rebuild"])
    assert empty.exit_code == 5 and "nothing to rebuild" in empty.stderr
    both = run_pcp(["ingest", "--store", str(tmp_path / "s"), "--rebuild", str(extracts["jul"])])
    assert both.exit_code == 2 and "--rebuild takes no paths" in both.stderr
    neither = run_pcp(["ingest", "--store", str(tmp_path / "s")])
    assert neither.exit_code == 2 and "give the extracts to ingest" in neither.stderr
    stdin = run_pcp(
        ["ingest", "--store", str(tmp_path / "s"), "--kind", "counts", "-"],
        stdin="force,month,measure,value\nessex,2018-07,calls_999,4\n",
    )
    assert stdin.exit_code == 0, stdin.stderr
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), "--rebuild"])
    assert result.exit_code == 4 and "read from stdin" in result.stderr


def test_manifest_records_sizes_and_checks_them(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    part = manifest["datasets"]["street"]["partitions"]["leicestershire/2018-07"]
    assert part["bytes"] == (built / part["file"]).stat().st_size
    path = built / part["file"]
    path.write_bytes(path.read_bytes() + b"PAR1")  # longer, magic still at the end
    with Store(built).reading() as reader, pytest.raises(Exception, match="the manifest recorded"):
        reader.raw("street")


# -- progress and feedback -----------------------------------------------------------
def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    import pty
    import select

    files = [
        write_street(
            tmp_path / "in" / f"2018-{m:02d}-leicestershire-street.csv",
            f"2018-{m:02d}",
            {"Drugs": 2},
        )
        for m in range(1, 7)
    ]
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*PCP, "ingest", "--store", str(tmp_path / "s"), str(tmp_path / "in")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env(COLUMNS="160", PCP_TEST_PAUSE_AT="journal", PCP_TEST_PAUSE_SECONDS="0.5"),
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.communicate(timeout=30)
    os.close(master)
    screen = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, screen
    assert "6/6 files" in screen and "12 rows" in screen and "rows/s" in screen and "ETA" in screen
    assert "ingested 6 file(s), 12 rows" in screen
    assert len(files) == 6
    # Not a terminal: no bar, just the summary line.
    piped = run([*ingest_args(tmp_path / "s2", tmp_path / "in")])
    assert piped.returncode == 0
    assert piped.stderr.decode().splitlines() == [
        "pcp: ingested 6 file(s), 12 rows (street 12); 1 force(s): leicestershire, 2018-01..2018-06"
    ]


def test_verbose_lists_files_and_quiet_says_nothing(tmp_path: Path) -> None:
    a = write_street(tmp_path / "in" / "2018-01-leicestershire-street.csv", "2018-01", {"Drugs": 2})
    b = write_street(tmp_path / "in" / "2018-02-leicestershire-street.csv", "2018-02", {"Drugs": 3})
    verbose = run_pcp(["ingest", "--store", str(tmp_path / "s"), "-v", str(a), str(b)])
    assert verbose.exit_code == 0
    lines = [x for x in verbose.stderr.splitlines() if x.startswith("pcp: ingested: ")]
    assert lines == [
        f"pcp: ingested: {a} (street, 2 rows)",
        f"pcp: ingested: {b} (street, 3 rows)",
    ]
    again = run_pcp(["ingest", "--store", str(tmp_path / "s"), "-v", str(a)])
    assert f"pcp: unchanged: {a} (street, 2 rows)" in again.stderr
    quiet = run_pcp(["ingest", "--store", str(tmp_path / "q"), "-q", str(a), str(b)])
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_bar_draws_files_rows_rate_and_eta() -> None:
    import io

    from rich.console import Console

    from pcp_cli.cli.ingest import _Bar
    from pcp_cli.ingest.pipeline import FileResult

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=150, color_system=None)
    bar = _Bar(console=console)
    bar.start(4, 4000)
    for i in range(4):
        bar.advance(FileResult(f"f{i}.csv", "street", 1500, "ingested"), 1000)
    bar.bar.refresh()
    text = out.getvalue()
    bar.close()
    assert "4/4 files" in text and "6,000 rows" in text and "rows/s" in text and "ETA" in text


def test_batched_and_single_file_ingest_give_the_same_store(tmp_path: Path) -> None:
    """Many small files are read in one pass; the store must be what file-by-file gives."""
    d = tmp_path / "in"
    files = write_two_forces(d, ("2018-07", "2018-08", "2018-09"))
    # An awkward one: quoted newline in a Location, BOM, LF endings.
    odd = d / "2018-10" / "2018-10-essex-street.csv"
    odd.parent.mkdir()
    row = (
        'x1,2018-10,Essex Police,Essex Police,0.1,51.7,"On or near\nA Road",E01,Essex 001A,'
        "Robbery,Under investigation,"
    )
    odd.write_bytes(
        "\ufeff".encode()
        + "\n".join([STREET_HEADER, row, row.replace("x1", "x2")]).encode()
        + b"\n"
    )
    batched = tmp_path / "batched"
    assert run_pcp(ingest_args(batched, d)).exit_code == 0
    single = tmp_path / "single"
    for path in [*files, odd]:
        assert run_pcp(ingest_args(single, path)).exit_code == 0
    assert logical(batched) == logical(single)
    assert Store(batched).load_manifest().partitions("street")["essex/2018-10"]["rows"] == 2


@pytest.mark.slow
def test_sigkill_at_random_moments(tmp_path: Path) -> None:
    """Kill real ingests at random moments over a bigger input: before or after, never a mix."""
    import random

    rng = random.Random(7)
    d = tmp_path / "in"
    for m in range(1, 13):
        for slug, name in (("leicestershire", "Leicestershire Police"), ("essex", "Essex Police")):
            write_street(
                d / f"2018-{m:02d}" / f"2018-{m:02d}-{slug}-street.csv",
                f"2018-{m:02d}",
                {"Burglary": 3000 + m, "Drugs": 2000, "Anti-social behaviour": 1000},
                force=name,
            )
    base = write_street(
        tmp_path / "base" / "2017-12-essex-street.csv",
        "2017-12",
        {"Drugs": 5},
        force="Essex Police",
    )
    ref = tmp_path / "ref"
    assert run_pcp(ingest_args(ref, base)).exit_code == 0
    before = logical(ref)
    assert run_pcp(ingest_args(ref, d)).exit_code == 0
    after = logical(ref)
    seen = set()
    for attempt in range(8):
        store = tmp_path / f"s{attempt}"
        assert run_pcp(ingest_args(store, base)).exit_code == 0
        proc = start(ingest_args(store, d))
        time.sleep(rng.uniform(0.3, 3.0))
        stop(proc)
        assert run_pcp(ingest_args(store, base)).exit_code == 0  # repairs
        state = logical(store)
        assert state in (before, after)
        seen.add(state == after)
        assert run_pcp(ingest_args(store, d)).exit_code == 0
        assert logical(store) == after
