"""Entry point: a lazily loaded click group and the one place errors become exit codes.

Subcommand modules (and polars with them) are imported only when that command runs,
so ``pcp --help`` and ``pcp --version`` start fast.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

import click

from pcp_cli.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_USAGE,
    PcpError,
)

# name -> (module, attribute, one-line help shown by `pcp --help` without importing it)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "ingest": ("pcp_cli.cli.ingest", "ingest", "Read extracts into the local Parquet store."),
    "compare": (
        "pcp_cli.cli.compare",
        "compare",
        "Compare a period with the same period last year.",
    ),
    "kpis": ("pcp_cli.cli.kpis", "kpis", "List the KPI definitions, or check a KPI file."),
    "periods": ("pcp_cli.cli.periods", "periods", "Show which months the store holds, and gaps."),
    "rank": (
        "pcp_cli.cli.rank",
        "rank",
        "Rank a force in its Most Similar Group and nationally, per 1,000.",
    ),
    "spc": ("pcp_cli.cli.spc", "spc", "SPC: XmR chart (Making Data Count) or 6 vs 12 months."),
    "project": (
        "pcp_cli.cli.project",
        "project",
        "Project a KPI's trend to a target date, with RAG.",
    ),
    "cdi": ("pcp_cli.cli.cdi", "cdi", "Estimate how much of a crime rise is better recording."),
    "report": (
        "pcp_cli.cli.report",
        "report",
        "The panel report for a period: HTML, markdown, table, JSON or Parquet.",
    ),
    "chart": ("pcp_cli.cli.chart", "chart", "Draw a chart (trend, spc, rank) to PNG or SVG."),
    "schema": ("pcp_cli.cli.schema", "schema", "Print the JSON schema of a command's rows."),
    "check": (
        "pcp_cli.cli.check",
        "check",
        "Check for breaches; exit 10 if any (for scheduled jobs).",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        command = getattr(module, entry[1])
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, entry[2]) for name, entry in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from pcp_cli import __version__

    click.echo(f"pcp, version {__version__}")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def cli() -> None:
    """pcp: police performance reporting for Police and Crime Panels.

    Ingest data.police.uk, Home Office and in-house extracts into a local store, then
    compare periods, rank forces and report, driven by a TOML KPI file.

    \b
    Examples:
      pcp ingest samples/data
      pcp compare --kpi all --period "Q2 2018/19"
      pcp kpis
    Exit codes: 0 ok, 1 internal error, 2 usage, 3 configuration, 4 input data,
    5 no data for the period, 6 store locked or damaged, 10 pcp check found a
    breach, 141 output pipe closed.
    """


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or bool(os.environ.get("PCP_DEBUG"))


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = _debug_requested(args)
    try:
        result: Any = cli.main(args=args, prog_name="pcp", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except PcpError as exc:
        if debug:
            traceback.print_exc()
        _error(str(exc))
        code = exc.exit_code
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code if exc.exit_code else EXIT_USAGE
    except click.exceptions.Abort:
        _error("aborted")
        code = 130
    except KeyboardInterrupt:
        _error("interrupted")
        code = 130
    except BrokenPipeError:
        code = _quiet_broken_pipe()
    except Exception as exc:  # anything else is a bug: one line, traceback on request
        if debug:
            traceback.print_exc()
        _error(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)")
        code = EXIT_INTERNAL
    try:
        if sys.stdout is not None:  # None when started with stdout closed (>&-)
            sys.stdout.flush()
    except BrokenPipeError:
        code = _quiet_broken_pipe()
    sys.exit(code)


def _error(message: str) -> None:
    try:
        sys.stderr.write(f"pcp: error: {message}\n")
        sys.stderr.flush()
    except OSError:
        pass


def _quiet_broken_pipe() -> int:
    # The reader went away (| head): silence the flush at exit, as the Python docs advise.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    return EXIT_BROKEN_PIPE
