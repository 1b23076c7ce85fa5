"""Hostile input and misuse (issue 13): each test performs one attack through the CLI.

What pcp trusts and what it does not is written down in docs/store.md ("Threat model").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, STREET_HEADER, run_pcp, snapshot, street_row, write_street

PCP = [sys.executable, "-m", "pcp_cli"]
COUNTS_HEADER = "force,month,measure,value"


def counts_file(path: Path, rows: list[str], header: str = COUNTS_HEADER) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A store with two street months and a counts file, and a victim file beside it."""
    extracts = tmp_path / "in"
    write_street(extracts / "a" / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 3})
    write_street(extracts / "b" / "2018-08-leicestershire-street.csv", "2018-08", {"Drugs": 2})
    counts_file(extracts / "c.csv", ["Leicestershire,2018-07,calls,10"])
    root = tmp_path / "store"
    result = run_pcp(["ingest", "--store", str(root), str(extracts)])
    assert result.exit_code == 0, result.stderr
    (tmp_path / "victim.txt").write_text("precious")
    return root


def newer_july(tmp_path: Path) -> Path:
    """A republished July: ingesting it supersedes (deletes) the old July partition."""
    return write_street(
        tmp_path / "new" / "2018-07-leicestershire-street.csv", "2018-07", {"Burglary": 5}
    )


def edit_manifest(store: Path, change: object) -> None:
    path = store / "manifest.json"
    doc = json.loads(path.read_text())
    change(doc)  # type: ignore[operator]
    path.write_text(json.dumps(doc))


def street_july(doc: dict) -> dict:  # type: ignore[type-arg]
    part: dict = doc["datasets"]["street"]["partitions"]["leicestershire/2018-07"]  # type: ignore[type-arg]
    return part


# -- 3. paths from the store's own files must stay inside the store ------------------------
@pytest.mark.parametrize("planted", ["../victim.txt", "ABSOLUTE", "data/../../victim.txt"])
def test_tampered_manifest_path_deletes_nothing_outside(
    store: Path, tmp_path: Path, planted: str
) -> None:
    victim = tmp_path / "victim.txt"
    target = str(victim) if planted == "ABSOLUTE" else planted
    edit_manifest(store, lambda doc: street_july(doc).update(file=target))
    before = snapshot(store)
    result = run_pcp(["ingest", "--store", str(store), str(newer_july(tmp_path))])
    assert result.exit_code == 6, result.stderr
    assert "the store" in result.stderr and "is damaged" in result.stderr
    assert "Traceback" not in result.stderr
    assert victim.read_text() == "precious"
    assert snapshot(store) == before  # touched nothing


def test_planted_journal_deletes_nothing_outside(store: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    (store / "journal.json").write_text(
        json.dumps({"txid": "x", "new_files": ["../victim.txt", str(victim)], "old_files": []})
    )
    before = snapshot(store)
    result = run_pcp(["ingest", "--store", str(store), str(newer_july(tmp_path))])
    assert result.exit_code == 6 and "journal.json" in result.stderr, result.stderr
    assert victim.read_text() == "precious"
    assert snapshot(store) == before


def test_symlinked_partition_folder_is_not_followed_to_delete(store: Path, tmp_path: Path) -> None:
    """A partition folder swapped for a symlink to elsewhere: the superseded file there stays."""
    folder = store / "data" / "street" / "force=leicestershire" / "month=2018-07"
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(folder, elsewhere)
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere, target_is_directory=True)
    kept = sorted(p.name for p in elsewhere.iterdir())
    result = run_pcp(["ingest", "--store", str(store), str(newer_july(tmp_path))])
    assert result.exit_code == 6 and "leads outside the store" in result.stderr, result.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == kept  # nothing written or deleted


def test_planted_project_file_in_a_parent_folder(store: Path, tmp_path: Path) -> None:
    """pcp.toml is looked for in parent folders: one pointing at a tampered store is harmless."""
    edit_manifest(store, lambda doc: street_july(doc).update(file="../victim.txt"))
    (tmp_path / "pcp.toml").write_text('store = "store"\n')
    child = tmp_path / "deep" / "down"
    child.mkdir(parents=True)
    result = run_pcp(["ingest", str(newer_july(tmp_path))], cwd=child)
    assert result.exit_code == 6 and "damaged" in result.stderr
    assert (tmp_path / "victim.txt").read_text() == "precious"


# -- 4. force ids are slugs --------------------------------------------------------------
FORCE_TABLE = '[force."{fid}"]\nname = "Evil"\naliases = ["Evil Police"]\n'


@pytest.mark.parametrize("fid", ["../../../x", "a/b", "UPPER", "dots.", "", "-x", "sp ace"])
def test_force_id_that_is_a_path_is_refused(tmp_path: Path, fid: str) -> None:
    forces = tmp_path / "forces.toml"
    forces.write_text(FORCE_TABLE.format(fid=fid))
    extract = write_street(tmp_path / "in.csv", "2018-07", {"Burglary": 1}, force="Evil Police")
    store = tmp_path / "deep" / "a" / "b" / "store"
    result = run_pcp(["ingest", "--store", str(store), "--forces", str(forces), str(extract)])
    assert result.exit_code == 3, result.stderr
    assert "lowercase slug" in result.stderr
    assert not (tmp_path / "x").exists() and not list(tmp_path.rglob("*.parquet"))


def test_forces_file_problems_name_the_table(tmp_path: Path) -> None:
    forces = tmp_path / "forces.toml"
    forces.write_text(
        '[force.a]\nname = "A"\nterritorial = "yes"\n'
        '[force.b]\nname = "B"\n[[force.b.msg]]\nmembers = ["a", "nowhere"]\n'
    )
    extract = counts_file(tmp_path / "c.csv", ["A,2018-07,calls,5"])
    result = run_pcp(
        ["ingest", "--store", str(tmp_path / "s"), "--forces", str(forces), str(extract)]
    )
    assert result.exit_code == 3
    assert "[force.a]: 'territorial' must be true or false" in result.stderr
    assert "(and 1 more)" in result.stderr


# -- 5. silent corruption is found -------------------------------------------------------
def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_flipped_bit_in_an_aggregate_is_reported(store: Path) -> None:
    agg = next((store / "agg" / "street").glob("*.parquet"))
    compare = [
        "compare", "--store", str(store), "--kpi", "all-crime", "--force", "leicestershire",
        "--period", "2018-08", "--vs", "previous",
    ]  # fmt: skip
    before = run_pcp([*compare, "--format", "csv"])
    size = agg.stat().st_size
    for at in (size // 3, size // 2, 2 * size // 3):  # pages, not only the footer
        _flip(agg, at)
        result = run_pcp(compare)
        assert result.exit_code == 6, (before.stdout, result.stderr)
        assert str(agg) in result.stderr and "pcp ingest --rebuild" in result.stderr
        assert "has changed since it was written" in result.stderr
        _flip(agg, at)


def test_flipped_bit_in_a_raw_partition_is_reported_when_read(store: Path, tmp_path: Path) -> None:
    """A counts partition is read back when a newer counts file merges into it."""
    part = next((store / "data" / "counts").rglob("*.parquet"))
    _flip(part, part.stat().st_size // 2)
    newer = counts_file(tmp_path / "more.csv", ["Leicestershire,2018-08,calls,12"])
    before = snapshot(store)
    result = run_pcp(["ingest", "--store", str(store), str(newer)])
    assert result.exit_code == 6 and str(part) in result.stderr, result.stderr
    assert snapshot(store) == before


def test_manifest_records_a_hash_of_every_file(store: Path) -> None:
    import hashlib

    doc = json.loads((store / "manifest.json").read_text())
    for entry in doc["datasets"].values():
        agg = store / entry["aggregate"]
        assert hashlib.sha256(agg.read_bytes()).hexdigest() == entry["aggregate_sha256"]
        for part in entry["partitions"].values():
            data = (store / part["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == part["sha256"]


# -- 6. short rows and repeated header columns ------------------------------------------
def test_short_street_row_is_bad_input(tmp_path: Path) -> None:
    good = street_row("2018-07", "Burglary")
    short = ",".join(good.split(",")[:9])
    path = tmp_path / "2018-07-leicestershire-street.csv"
    path.write_text("\n".join([STREET_HEADER, good, short, good]) + "\n")
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert result.exit_code == 4, result.stderr
    assert f"{path}, line 3: the row has 9 of the header's 12 fields" in result.stderr
    assert not (tmp_path / "s" / "manifest.json").exists()


def test_short_row_in_a_batch_of_clean_files(tmp_path: Path) -> None:
    """The streaming and one-pass ways decline; the careful way names the line."""
    files = [
        write_street(tmp_path / f"2018-0{m}-leicestershire-street.csv", f"2018-0{m}", {"Drugs": 3})
        for m in (1, 2, 3)
    ]
    text = files[1].read_text().splitlines()
    text[2] = ",".join(text[2].split(",")[:10])
    files[1].write_text("\n".join(text) + "\n")
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), *map(str, files)])
    assert result.exit_code == 4 and f"{files[1]}, line 3" in result.stderr, result.stderr


def test_short_counts_row_is_bad_input(tmp_path: Path) -> None:
    path = counts_file(
        tmp_path / "c.csv", ["Leicestershire,2018-07,calls,5", "Leicestershire,2018-08,calls"]
    )
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert (
        result.exit_code == 4 and "line 3: the row has 3 of the header's 4 fields" in result.stderr
    )


@pytest.mark.parametrize(
    "header",
    [
        "force,month,measure,value,value",
        "force,month,month,measure,value",
        "Force,force,month,measure,value",
    ],
)
def test_repeated_header_column_is_bad_input(tmp_path: Path, header: str) -> None:
    width = len(header.split(","))
    row = ",".join(["Leicestershire", "2018-07", "calls", "5", "6"][:width])
    path = counts_file(tmp_path / "c.csv", [row], header=header)
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), "--kind", "counts", str(path)])
    assert result.exit_code == 4, result.stderr
    assert f"{path}, line 1: the header names the column" in result.stderr


def test_repeated_crime_type_column_in_street_files(tmp_path: Path) -> None:
    files = [
        write_street(tmp_path / f"2018-0{m}-leicestershire-street.csv", f"2018-0{m}", {"Drugs": 2})
        for m in (1, 2)
    ]
    for f in files:
        lines = f.read_text().splitlines()
        f.write_text(
            "\n".join([lines[0] + ",Crime type", *(x + ",Burglary" for x in lines[1:])]) + "\n"
        )
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), *map(str, files)])
    assert result.exit_code == 4 and "twice" in result.stderr and "Crime type" in result.stderr


# -- 7. sums that would wrap -------------------------------------------------------------
def test_counts_no_police_figure_can_have_are_refused(tmp_path: Path) -> None:
    huge = 2**62
    rows = [f"Leicestershire,2018-0{m},calls,{huge}" for m in (1, 2, 3)]
    path = counts_file(tmp_path / "c.csv", rows)
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert result.exit_code == 4, result.stderr
    assert "line 2, column 'value': larger than any police figure" in result.stderr
    over = counts_file(tmp_path / "d.csv", [f"Leicestershire,2018-01,calls,{2**63}"])
    assert run_pcp(["ingest", "--store", str(tmp_path / "s"), str(over)]).exit_code == 4


def test_the_largest_plausible_count_sums_exactly(tmp_path: Path) -> None:
    rows = [f"Leicestershire,2018-0{m},calls,1000000000" for m in (1, 2, 3)]
    path = counts_file(tmp_path / "c.csv", rows)
    assert run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)]).exit_code == 0
    import polars as pl

    agg = pl.read_parquet(next((tmp_path / "s" / "agg" / "counts").glob("*.parquet")))
    assert agg["n"].sum() == 3_000_000_000


# -- 9. implausible months and coordinates -----------------------------------------------
@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1899-12", "2100-01"])
def test_implausible_month_in_counts(tmp_path: Path, month: str) -> None:
    path = counts_file(tmp_path / "c.csv", [f"Leicestershire,{month},calls,5"])
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert result.exit_code == 4 and "within 1900 to 2099" in result.stderr, result.stderr


@pytest.mark.parametrize("month", ["0000-01", "9999-12"])
def test_implausible_month_in_street(tmp_path: Path, month: str) -> None:
    path = write_street(tmp_path / "x-street.csv", month, {"Drugs": 2})
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert result.exit_code == 4, result.stderr
    assert "column 'Month': the year is outside 1900 to 2099" in result.stderr


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("nan", "not a finite number"),
        ("inf", "not a finite number"),
        ("-Infinity", "not a finite"),
        ("181", "outside -180 to 180"),
    ],
)
def test_implausible_longitude(tmp_path: Path, value: str, reason: str) -> None:
    files = [
        write_street(tmp_path / f"2018-0{m}-leicestershire-street.csv", f"2018-0{m}", {"Drugs": 2})
        for m in (1, 2)
    ]
    files[1].write_text(files[1].read_text().replace("-1.13", value, 1))
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), *map(str, files)])
    assert result.exit_code == 4, result.stderr
    assert f"line 2, column 'Longitude': {reason}" in result.stderr


# -- 15. a manifest of the wrong shape ---------------------------------------------------
def _deep(n: int) -> str:
    return "[" * n + "]" * n


WRONG_SHAPES = {
    "datasets-null": lambda d: d.update(datasets=None),
    "partition-list": lambda d: d["datasets"]["street"].update(partitions=[1, 2]),
    "file-number": lambda d: street_july(d).update(file=7),
    "rows-text": lambda d: street_july(d).update(rows="many"),
    "unknown-dataset": lambda d: d["datasets"].update(weather={"partitions": {}}),
    "source-null": lambda d: d.update(sources={"a" * 64: None}),
    "sources-list": lambda d: d.update(sources=[]),
    "txid-object": lambda d: d.update(txid={"a": 1}),
    "key-path": lambda d: d["datasets"]["street"]["partitions"].update(
        {"../x/2018-07": street_july(d)}
    ),
}


@pytest.mark.parametrize("shape", sorted(WRONG_SHAPES))
def test_manifest_of_the_wrong_shape_is_damaged(store: Path, tmp_path: Path, shape: str) -> None:
    edit_manifest(store, WRONG_SHAPES[shape])
    for args in (
        ["ingest", "--store", str(store), str(newer_july(tmp_path))],
        ["periods", "--store", str(store)],
    ):
        result = run_pcp(args)
        assert result.exit_code == 6, (shape, args[0], result.stderr)
        assert "damaged" in result.stderr and "Traceback" not in result.stderr


def test_deeply_nested_manifest_is_damaged(store: Path) -> None:
    (store / "manifest.json").write_text(_deep(100_000))
    result = run_pcp(["periods", "--store", str(store)])
    assert result.exit_code == 6 and "manifest" in result.stderr


# -- 17. blank lines at the end are not rows ---------------------------------------------
@pytest.mark.parametrize("tail", ["\n", "\n\n\n", "\r\n  \r\n", "\n\t\n"])
def test_trailing_blank_lines_in_a_counts_file(tmp_path: Path, tail: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        f"{COUNTS_HEADER}\nLeicestershire,2018-07,calls,5\nLeicestershire,2018-08,calls,6\n{tail}"
    )
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert result.exit_code == 0, result.stderr
    assert "counts 2" in result.stderr


def test_blank_line_inside_a_counts_file_is_still_bad(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        f"{COUNTS_HEADER}\nLeicestershire,2018-07,calls,5\n\nLeicestershire,2018-08,calls,6\n"
    )
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(path)])
    assert result.exit_code == 4 and "line 3" in result.stderr


# -- permissions: root ignores them, so the capabilities that let it are dropped ---------
def unprivileged(cmd: list[str]) -> list[str]:
    """The command, run without the capabilities that let root ignore file permissions."""
    if os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv (util-linux) is missing to drop capabilities")
    caps = "-dac_override,-dac_read_search"
    wrapped = [setpriv, "--bounding-set", caps, "--inh-caps", caps, *cmd]
    probe = subprocess.run([*wrapped[: -len(cmd)], "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"setpriv cannot drop capabilities here: {probe.stderr.decode()[:200]}")
    return wrapped


def pcp_process(
    args: list[str],
    *,
    stdin: bytes | None = None,
    stdin_file: object = None,
    drop_caps: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """`pcp ARGS` as a process of its own (for what happens on its standard streams)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCP_")}
    env.update(PYTHONPATH=str(REPO), NO_COLOR="1")
    cmd = [*PCP, *args]
    if drop_caps:
        cmd = unprivileged(cmd)
    streams: dict[str, object] = {"input": stdin} if stdin_file is None else {"stdin": stdin_file}
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        cmd, capture_output=True, env=env, timeout=120, **streams
    )


# -- 14. an unreadable subfolder ----------------------------------------------------------
def test_unreadable_subfolder_is_an_error_naming_it(tmp_path: Path) -> None:
    extracts = tmp_path / "in"
    write_street(extracts / "2018-07-leicestershire-street.csv", "2018-07", {"Drugs": 1})
    hidden = extracts / "2018-08"
    write_street(hidden / "2018-08-leicestershire-street.csv", "2018-08", {"Drugs": 1})
    hidden.chmod(0)
    try:
        result = pcp_process(
            ["ingest", "--store", str(tmp_path / "s"), str(extracts)], drop_caps=True
        )
    finally:
        hidden.chmod(0o755)
    err = result.stderr.decode()
    assert result.returncode == 4, err
    assert f"{hidden}: cannot read this folder (Permission denied)" in err
    assert not (tmp_path / "s" / "manifest.json").exists()


# -- 8. nan and inf where a number is expected ---------------------------------------------
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN"])
@pytest.mark.parametrize(
    "args",
    [
        ["compare", "--kpi", "burglary", "--period", "2018-08", "--vs", "previous", "--alpha"],
        ["check", "--kpi", "burglary", "--period", "2018-08", "--alpha"],
        ["report", "--period", "2018-08", "--alpha"],
        ["spc", "--kpi", "burglary", "--target"],
        ["project", "--kpi", "burglary", "--confidence"],
        ["cdi", "--kpi", "burglary", "--period", "2018-08", "--recorded"],
        ["compare", "--kpi", "burglary", "--period", "2018-08", "--wait"],
    ],
)
def test_non_finite_numbers_are_usage_errors(store: Path, args: list[str], value: str) -> None:
    result = run_pcp([*args, value, "--store", str(store), "--force", "leicestershire"])
    assert result.exit_code == 2, result.stderr
    assert "is not a finite number" in result.stderr


KPI_FILE = """
sections = ["Crime"]
[kpi.burglary]
label = "Burglary"
section = "Crime"
polarity = "lower-is-better"
count.street = {{ crime_type = "Burglary" }}
[kpi.per-drug]
label = "Burglary per drugs"
section = "Crime"
polarity = "neutral"
kind = "ratio"
numerator = "burglary"
denominator = "burglary"
scale = {scale}
"""


@pytest.mark.parametrize("scale", ["nan", "inf", "-inf", "0", "-1"])
def test_kpi_scale_must_be_a_positive_finite_number(tmp_path: Path, scale: str) -> None:
    kpis = tmp_path / "kpis.toml"
    kpis.write_text(KPI_FILE.format(scale=scale))
    result = run_pcp(["kpis", "check", str(kpis)])
    assert (
        result.exit_code == 3 and "[kpi.per-drug.scale]: must be a positive number" in result.stderr
    )
    kpis.write_text(KPI_FILE.format(scale="100"))
    assert run_pcp(["kpis", "check", str(kpis)]).exit_code == 0


# -- 20. KPI files built to exhaust the stack or the memory ------------------------------
def test_deeply_nested_kpi_file(tmp_path: Path) -> None:
    kpis = tmp_path / "kpis.toml"
    kpis.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = run_pcp(["kpis", "--kpis", str(kpis)])
    assert result.exit_code == 3 and "nested too deeply" in result.stderr, result.stderr


def test_a_3000_step_derived_chain(tmp_path: Path) -> None:
    lines = ['sections = ["S"]']
    lines += ['[kpi.k0]\nlabel = "k"\nsection = "S"\npolarity = "neutral"\ncount.street = {}']
    for i in range(1, 3001):
        lines.append(
            f'[kpi.k{i}]\nlabel = "k"\nsection = "S"\npolarity = "neutral"\nkind = "ratio"\n'
            f'numerator = "k{i - 1}"\ndenominator = "k0"'
        )
    kpis = tmp_path / "kpis.toml"
    kpis.write_text("\n".join(lines) + "\n")
    result = run_pcp(["kpis", "--kpis", str(kpis)])
    assert result.exit_code == 3, result.stderr
    assert "derived KPIs nest 51 deep (at most 50)" in result.stderr


def test_a_derived_cycle_is_still_found(tmp_path: Path) -> None:
    body = (
        '[kpi.{a}]\nlabel = "x"\nsection = "S"\npolarity = "neutral"\nkind = "ratio"\n'
        'numerator = "{b}"\ndenominator = "{b}"\n'
    )
    kpis = tmp_path / "kpis.toml"
    kpis.write_text(
        'sections = ["S"]\n'
        + body.format(a="a", b="b")
        + body.format(a="b", b="c")
        + body.format(a="c", b="a")
    )
    result = run_pcp(["kpis", "check", str(kpis)])
    assert result.exit_code == 3 and "derived KPIs form a cycle: a -> b -> c -> a" in result.stderr


@pytest.mark.parametrize("option", ["--kpis", "--forces"])
def test_dev_zero_as_a_config_file(option: str, tmp_path: Path) -> None:
    extract = counts_file(tmp_path / "c.csv", ["Leicestershire,2018-07,calls,5"])
    command = ["kpis"] if option == "--kpis" else ["ingest", str(extract)]
    result = pcp_process([*command, option, "/dev/zero", "--store", str(tmp_path / "s")])
    assert result.returncode == 3, result.stderr
    assert b"/dev/zero is a character device, not a file" in result.stderr


def test_a_huge_config_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "kpis.toml"
    big.write_text("# " + "x" * (5 * 1024 * 1024) + "\n")
    result = run_pcp(["kpis", "--kpis", str(big)])
    assert result.exit_code == 3 and "larger than 4 MB" in result.stderr


# -- 19. FIFOs and devices as extracts ----------------------------------------------------
def test_fifo_and_device_as_extracts_say_what_they_are(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(fifo)])
    assert result.exit_code == 2 and f"{fifo} is a named pipe (FIFO)" in result.stderr
    assert "pcp ingest - --kind KIND <" in result.stderr
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), "/dev/zero"])
    assert result.exit_code == 2 and "/dev/zero is a character device" in result.stderr


def test_dev_zero_on_stdin(tmp_path: Path) -> None:
    with open("/dev/zero", "rb") as zero:
        result = pcp_process(
            ["ingest", "--store", str(tmp_path / "s"), "-", "--kind", "counts"], stdin_file=zero
        )
    assert result.returncode == 4 and b"<stdin>: holds binary data (NUL bytes)" in result.stderr


# -- 18. stdin is streamed like a file ------------------------------------------------------
def test_stdin_is_read_like_a_file(tmp_path: Path) -> None:
    """stdin goes the same (streaming) way a file does, and the store is the same."""
    path = write_street(tmp_path / "2018-07-leicestershire-street.csv", "2018-07", {"Drugs": 40})
    from_file = pcp_process(["ingest", "--store", str(tmp_path / "a"), str(path)])
    from_stdin = pcp_process(
        ["ingest", "--store", str(tmp_path / "b"), "-", "--kind", "street"], stdin=path.read_bytes()
    )
    assert from_file.returncode == 0 and from_stdin.returncode == 0, from_stdin.stderr
    import polars as pl

    def rows(store: Path) -> pl.DataFrame:
        return pl.read_parquet(next((store / "data" / "street").rglob("*.parquet")))

    assert rows(tmp_path / "a").equals(rows(tmp_path / "b"))
    doc = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert [s["path"] for s in doc["sources"].values()] == ["<stdin>"]
    assert not (tmp_path / "b" / ".staging").exists()  # the copy is gone


def test_stdin_goes_the_streaming_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pcp_cli.ingest import pipeline

    streamed: list[str] = []
    real = pipeline.stream_batch

    def counting(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        if result is not None:
            streamed.extend(f.name for f in result[1])
        return result

    monkeypatch.setattr(pipeline, "stream_batch", counting)
    path = write_street(tmp_path / "x.csv", "2018-07", {"Drugs": 40})
    result = run_pcp(
        ["ingest", "--store", str(tmp_path / "s"), "-", "--kind", "street"], stdin=path.read_bytes()
    )
    assert result.exit_code == 0, result.stderr
    assert len(streamed) == 1 and streamed[0].endswith("stdin-0.csv")


# -- 11. the rejects file cannot carry formulas into Excel ---------------------------------
def test_rejects_file_cells_cannot_start_a_formula(tmp_path: Path) -> None:
    rows = [
        "Leicestershire,2018-07,calls,5",
        "=cmd|calc!A1,2018-07,calls,5",
        "Leicestershire,2018-07,calls,@SUM(A1)",
        "Leicestershire,+1+1,calls,7",
        "Leicestershire,2018-08,calls,-1x",
    ]
    path = counts_file(tmp_path / "=evil.csv", rows)
    store = tmp_path / "s"
    result = run_pcp(["ingest", "--store", str(store), "--on-bad-rows", "skip", str(path)])
    assert result.exit_code == 0, result.stderr
    rejects = next(tmp_path.glob("s-rejects-*.csv"))
    import csv

    with rejects.open(newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert all(_is_number(c) for c in risky), risky
    assert "'=cmd|calc!A1" in cells and "'@SUM(A1)" in cells and "'+1+1" in cells


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_short_row_in_files_with_quotes(tmp_path: Path) -> None:
    """Quotes make comma totals moot: those files are checked line by line."""
    files = [
        write_street(tmp_path / f"2018-0{m}-leicestershire-street.csv", f"2018-0{m}", {"Drugs": 3})
        for m in (1, 2, 3)
    ]
    for f in files:
        f.write_text(f.read_text().replace("On or near High Street", '"On or near High St, A"'))
    text = files[2].read_text().splitlines()
    text[3] = ",".join(text[3].split(",")[:10])  # cut after the quoted Location
    files[2].write_text("\n".join(text) + "\n")
    result = run_pcp(["ingest", "--store", str(tmp_path / "s"), *map(str, files)])
    assert result.exit_code == 4 and f"{files[2]}, line 4: the row has" in result.stderr, (
        result.stderr
    )


def test_a_store_without_recorded_hashes_is_still_read(store: Path, tmp_path: Path) -> None:
    """Stores written before the hashes: read as before, hashed at their next ingest."""

    def strip(doc: dict) -> None:  # type: ignore[type-arg]
        for entry in doc["datasets"].values():
            entry.pop("aggregate_sha256", None)
            for part in entry["partitions"].values():
                part.pop("sha256", None)

    edit_manifest(store, strip)
    assert run_pcp(["periods", "--store", str(store)]).exit_code == 0
    result = run_pcp(["ingest", "--store", str(store), str(newer_july(tmp_path))])
    assert result.exit_code == 0, result.stderr
    doc = json.loads((store / "manifest.json").read_text())
    assert "sha256" in street_july(doc) and "aggregate_sha256" in doc["datasets"]["street"]


def test_rebuild_from_a_source_path_that_is_a_device(store: Path) -> None:
    def to_dev_zero(doc: dict) -> None:  # type: ignore[type-arg]
        for info in doc["sources"].values():
            info.update(path="/dev/zero", size=0)

    edit_manifest(store, to_dev_zero)
    result = pcp_process(["ingest", "--rebuild", "--store", str(store)])
    assert result.returncode == 4, result.stderr
    assert b"/dev/zero is a character device, not a file" in result.stderr
