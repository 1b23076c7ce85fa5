"""CLI conventions: options before the command, one-line errors, JSON logs, -q, escaped
control characters, closed and broken standard streams, completion, `pcp forces`, and the
README's cron recipe."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import REPO, run_pcp, write_two_forces

PCP = [sys.executable, "-m", "pcp_cli"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("conventions")
    write_two_forces(base / "files", ("2017-07", "2017-08", "2018-07", "2018-08"))
    result = run_pcp(["ingest", "--store", str(base / "store"), str(base / "files")])
    assert result.exit_code == 0, result.stderr
    return base / "store"


def compare(*before: str, after: tuple[str, ...] = ()) -> list[str]:
    return [
        *before, "compare", "--force", "leicestershire", "--kpi", "all",
        "--period", "2018-07..2018-08", "--format", "csv", *after,
    ]  # fmt: skip


def shell(command: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PCP_")}
    full.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1", **env})
    return subprocess.run(
        ["bash", "-c", command], capture_output=True, env=full, timeout=120, check=False
    )


PCP_SH = " ".join(PCP)


# -- options before the command ------------------------------------------------------
def test_store_option_before_the_command_is_the_same(store: Path) -> None:
    after = run_pcp(compare(after=("--store", str(store))))
    before = run_pcp(compare("--store", str(store)))
    assert after.exit_code == before.exit_code == 0, before.stderr
    assert before.stdout == after.stdout
    assert "all-crime" in before.stdout


def test_the_option_after_the_command_wins(store: Path, tmp_path: Path) -> None:
    result = run_pcp(compare("--store", str(tmp_path / "empty"), after=("--store", str(store))))
    assert result.exit_code == 0, result.stderr


def test_verbosity_and_wait_before_the_command(store: Path) -> None:
    loud = run_pcp(compare("-v", "--wait", "0", "--store", str(store)))
    assert loud.exit_code == 0 and f"store {store}" in loud.stderr
    quiet = run_pcp(compare("-q", "--store", str(store)))
    assert quiet.exit_code == 0 and quiet.stderr == ""


# -- errors: one line, JSON on request, -q, escaped control characters ---------------
@pytest.mark.parametrize(
    "args",
    [
        ["compare", "--nope"],
        ["nocommand"],
        ["project", "--period", "12m"],  # a required option missing
        ["--wait", "soon", "kpis"],
        ["compare", "--period"],  # an option without its value
    ],
)
def test_usage_errors_are_one_pcp_error_line(args: list[str]) -> None:
    result = run_pcp(args)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pcp: error: ") and "--help" in lines[0]


def test_log_format_json(store: Path) -> None:
    result = run_pcp(["--log-format", "json", "--store", str(store), "compare", "--period", "x"])
    assert result.exit_code == 2
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert records and all(r["level"] == "error" for r in records)
    by_env = run_pcp(compare("--store", str(store)), env={"PCP_LOG_FORMAT": "json"})
    assert by_env.exit_code == 0
    warnings = [json.loads(line) for line in by_env.stderr.splitlines()]
    assert warnings and {w["level"] for w in warnings} <= {"warning", "note"}


def test_quiet_silences_warnings_but_not_errors(store: Path) -> None:
    noisy = run_pcp(compare("--store", str(store)))
    assert "pcp: warning:" in noisy.stderr  # KPIs left out for want of data
    for args in (
        compare("-q", "--store", str(store)),
        compare(after=("-q", "--store", str(store))),
    ):
        result = run_pcp(args)
        assert result.exit_code == 0 and result.stderr == ""
    failed = run_pcp(["-q", "--store", str(store), "compare", "--period", "nonsense"])
    assert failed.exit_code == 2 and failed.stderr.startswith("pcp: error:")


def test_control_characters_in_errors_are_escaped(store: Path, tmp_path: Path) -> None:
    evil = "\x1b[31mred\x1b]0;title\x07\rX"
    result = run_pcp(["--store", str(store), "compare", "--force", evil, "--period", "2018-07"])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b[31mred" in result.stderr and "\\x07\\rX" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    missing = run_pcp(["ingest", "--store", str(tmp_path / "s"), str(tmp_path / "a\x1bb.csv")])
    assert missing.exit_code in (2, 4)
    assert "\x1b" not in missing.stderr and "a\\x1bb.csv" in missing.stderr


def test_control_characters_in_warnings_are_escaped() -> None:
    from pcp_cli.cli.main import printable

    assert printable("a\x1b[2Jb\x9b\x7f\tc\nd") == "a\\x1b[2Jb\\x9b\\x7f\\tc\\nd"
    assert printable("Avon & Somerset – 23,116 ±") == "Avon & Somerset – 23,116 ±"


# -- closed and broken standard streams ----------------------------------------------
@pytest.mark.parametrize("command", ["kpis", "--help", "forces --format json"])
def test_closed_stdout_is_exit_6_in_one_line(command: str) -> None:
    done = shell(f"{PCP_SH} {command} >&-")
    assert done.returncode == 6, done.stderr
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pcp: error: cannot write to standard output")
    assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr


def test_closed_stdin_is_empty_input_not_a_crash(tmp_path: Path) -> None:
    done = shell(f"{PCP_SH} ingest --store {tmp_path / 's'} - --kind counts <&-")
    assert done.returncode == 4, done.stderr
    assert done.stderr.decode().startswith("pcp: error: <stdin>")


def test_ingest_error_with_closed_stderr_keeps_its_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("force,month,measure,value\nleicestershire,2018-0x,a,1\n", encoding="utf-8")
    done = shell(f"{PCP_SH} ingest --store {tmp_path / 's'} --kind counts {bad} 2>&-")
    assert done.returncode == 4


def test_broken_stderr_pipe_is_never_exit_1(store: Path) -> None:
    # compare --kpi all warns (KPIs without data) on stderr, then writes CSV.
    command = f"{PCP_SH} --store {store} " + " ".join(compare()).replace(
        "2018-07..2018-08", "'2018-07..2018-08'"
    )
    for _ in range(4):
        done = shell(f'{command} 2>&1 | head -c 1 >/dev/null; echo "${{PIPESTATUS[0]}}"')
        assert done.stdout.decode().strip() in ("0", "141"), done.stderr


# -- completion and `pcp forces` -----------------------------------------------------
def complete(words: str) -> list[str]:
    done = shell(
        PCP_SH,
        _PCP_COMPLETE="bash_complete",
        COMP_WORDS=f"pcp {words}",
        COMP_CWORD=str(len(words.split()) + words.endswith(" ")),
    )
    assert done.returncode == 0, done.stderr
    return [line.split(",", 1)[1] for line in done.stdout.decode().splitlines()]


def test_completion_of_kpis_sections_and_forces() -> None:
    assert complete("compare --kpi all-cr") == ["all-crime"]
    assert complete("spc --kpi burglary,shop") == ["burglary,shoplifting"]
    assert complete("rank --force leic") == ["leicestershire"]
    assert "forces" in complete("fo")
    every = complete("compare --force leicestershire --kpi ")
    assert {"all", "all-crime", "burglary"} <= set(every)
    from pcp_cli.kpis import load_catalogue

    sections = load_catalogue(REPO / "config" / "kpis.toml").sections
    assert set(sections) - {"all"} <= set(every)  # sections complete too


def test_forces_lists_ids_names_and_aliases() -> None:
    csv = run_pcp(["forces", "--format", "csv"])
    assert csv.exit_code == 0, csv.stderr
    frame = pl.read_csv(csv.stdout_bytes)
    assert frame.columns == ["force", "name", "territorial", "country", "region", "aliases"]
    leics = frame.filter(pl.col("force") == "leicestershire").row(0, named=True)
    assert leics["name"] == "Leicestershire" and "Leicestershire Police" in leics["aliases"]
    records = json.loads(run_pcp(["forces", "--format", "json"]).stdout)
    assert {r["force"] for r in records} == set(frame["force"])
    assert isinstance(records[0]["aliases"], list)
    territorial = pl.read_csv(run_pcp(["forces", "--territorial", "--format", "csv"]).stdout_bytes)
    assert territorial["territorial"].all() and territorial.height <= frame.height


# -- the README's cron recipe --------------------------------------------------------
def readme_recipe() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- recipe: pcp-monthly.sh -->\s*```sh\n(.*?)```", text, re.S)
    assert match, "the README's cron recipe is missing"
    return match.group(1)


def test_cron_recipe_never_mails_stale_breaches(store: Path, tmp_path: Path) -> None:
    job = tmp_path / "job"
    (job / "extracts").mkdir(parents=True)
    (job / "pcp-monthly.sh").write_text(readme_recipe(), encoding="utf-8")
    (job / "breaches.csv").write_text("kpi,force\nSTALE,last-month\n", encoding="utf-8")
    (job / "extracts" / "bad.csv").write_text("not,a,known,extract\n1,2,3,4\n", encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mail = bin_dir / "mail"  # records what it was asked to send
    mail.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/subject\ncat > {tmp_path}/body\n')
    mail.chmod(mail.stat().st_mode | stat.S_IEXEC)
    pcp = bin_dir / "pcp"
    pcp.write_text(f'#!/bin/sh\nexec {sys.executable} -m pcp_cli "$@"\n')
    pcp.chmod(pcp.stat().st_mode | stat.S_IEXEC)
    done = shell(
        f"sh {job / 'pcp-monthly.sh'}",
        PCP_JOB_DIR=str(job),
        PCP_STORE=str(store),
        PATH=f"{bin_dir}:{os.environ['PATH']}",
    )
    assert done.returncode not in (0, 10), done.stderr
    body = (tmp_path / "body").read_text()
    assert "STALE" not in body
    assert "pcp: error:" in body
    assert "failed" in (tmp_path / "subject").read_text()
    assert "pcp: error:" in (job / "pcp.log").read_text()  # every message kept


def test_kpi_file_problems_are_escaped_error_lines(tmp_path: Path) -> None:
    text = (REPO / "config" / "kpis.toml").read_text(encoding="utf-8")
    bad = tmp_path / "kpis.toml"
    bad.write_text(text + '\n[kpi."x\\u001b[2J"]\nlabel = "A"\n', encoding="utf-8")
    result = run_pcp(["kpis", "check", str(bad)])
    assert result.exit_code == 3
    assert "\x1b" not in result.stderr
    assert all(line.startswith("pcp: error: ") for line in result.stderr.splitlines())
    assert "\\x1b[2J" in result.stderr


# -- colour ------------------------------------------------------------------------------


def _table_through_a_pipe(store: Path, **env: str) -> bytes:
    args = " ".join(compare("--store", str(store), after=("--format", "table")))
    full = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    full.update({"PYTHONPATH": str(REPO), "COLUMNS": "120", **env})
    result = subprocess.run(
        ["bash", "-c", f"{PCP_SH} {args} | cat"],
        capture_output=True, env=full, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_force_color_colours_a_table_sent_through_a_pipe(store: Path) -> None:
    """FORCE_COLOR keeps styling in a pager; without it a pipe gets plain text; NO_COLOR wins."""
    assert b"\x1b[" in _table_through_a_pipe(store, FORCE_COLOR="1")
    assert b"\x1b[" not in _table_through_a_pipe(store)
    # NO_COLOR takes the colours away (bold and italic may stay, as the convention allows).
    no_colour = _table_through_a_pipe(store, FORCE_COLOR="1", NO_COLOR="1")
    assert not re.search(rb"\x1b\[(?:\d+;)*(?:3|9)[0-7](?:;|m)", no_colour)
