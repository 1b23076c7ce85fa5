"""Entry point: a lazily loaded click group and the one place errors become exit codes.

Subcommand modules (and polars with them) are imported only when that command runs,
so ``pcp --help`` and ``pcp --version`` start fast.
"""

from __future__ import annotations

import errno
import importlib
import io
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from pcp_cli.cli import params
from pcp_cli.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_STORE,
    EXIT_USAGE,
    PcpError,
)

# Each command is the function of its name in pcp_cli.cli.<name>, imported only when it runs;
# its one-line help is here so that `pcp --help` imports none of them.
COMMANDS: dict[str, str] = {
    "ingest": "Read extracts into the local Parquet store.",
    "compare": "Compare a period with the same period last year.",
    "kpis": "List the KPI definitions, or check a KPI file.",
    "periods": "Show which months the store holds, and gaps.",
    "rank": "Rank a force in its Most Similar Group and nationally, per 1,000.",
    "spc": "SPC: XmR chart (Making Data Count) or 6 vs 12 months.",
    "project": "Project a KPI's trend to a target date, with RAG.",
    "cdi": "Estimate how much of a crime rise is better recording.",
    "report": "The panel report for a period: HTML, markdown, table, JSON or Parquet.",
    "table": "A KPI by its breakdown KPIs, month by month, with totals.",
    "chart": "Draw a chart (trend, spc, rank) to PNG or SVG.",
    "schema": "Print the JSON schema of a command's rows.",
    "check": "Check for breaches; exit 10 if any (for scheduled jobs).",
    "forces": "List the force ids, names and aliases.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"pcp_cli.cli.{cmd_name}")
        command = getattr(module, cmd_name)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl(list(COMMANDS.items()))


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from pcp_cli import __version__

    click.echo(f"pcp, version {__version__}")
    ctx.exit()


def _global_options(func: Any) -> Any:
    """The store/KPI/forces/verbosity options, also accepted before the command.

    Given after the command they win; common_options reads these from the root context.
    """
    options = [
        click.option("--store", "store_path", type=click.Path(path_type=Path), default=None,
                     help="Store folder (as the command's --store)."),
        click.option("--kpis", "kpis_path", type=click.Path(path_type=Path), default=None,
                     help="KPI definitions file."),
        click.option("--forces", "forces_path", type=click.Path(path_type=Path), default=None,
                     help="Forces file."),
        click.option("-v", "--verbose", count=True, help="Say which files are used, and more."),
        click.option("-q", "--quiet", is_flag=True, help="No progress, summaries or warnings."),
        click.option("--wait", type=params.NON_NEGATIVE, default=None,
                     help="Seconds to wait for another pcp process using the store [60]."),
        click.option("--debug", is_flag=True, help="Show a traceback on errors."),
        click.option("--log-format", type=click.Choice(["text", "json"]), default=None,
                     help="Messages on stderr as text lines, or one JSON object each "
                     "(also $PCP_LOG_FORMAT)."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
@_global_options
def cli(**options: Any) -> None:
    """pcp: police performance reporting for Police and Crime Panels.

    Ingest data.police.uk, Home Office and in-house extracts into a local store, then
    compare periods, rank forces and report, driven by a TOML KPI file.

    \b
    Examples:
      pcp ingest samples/data
      pcp compare --kpi all --period "Q2 2018/19"
      pcp --store D:\\pcp-store kpis
    Exit codes: 0 ok, 1 internal error, 2 usage, 3 configuration, 4 input data,
    5 no data for the period, 6 store locked or damaged, 10 pcp check found a
    breach, 141 output pipe closed.
    """
    if options.get("log_format"):
        LOG["format"] = options["log_format"]
    if options.get("quiet"):
        LOG["quiet"] = True


#: How messages are printed: set once per run by main() and the group's options.
LOG: dict[str, Any] = {"format": "text", "quiet": False}

# C0 and C1 control characters, DEL included: never sent raw to a terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Control characters shown escaped (a force name holding ESC cannot drive the
    terminal), and a message kept to one line."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}
    return _CONTROL.sub(lambda m: named.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def emit(level: str, message: str) -> None:
    """The one message printer: `pcp: error: ...`, `pcp: warning: ...`, `pcp: ...`, or a
    JSON object per message with --log-format json. Never fails: a closed or broken
    stderr loses the message, not the exit code."""
    if LOG["quiet"] and level in ("warning", "note"):
        return
    if LOG["format"] == "json":
        import json

        line = json.dumps({"level": level, "message": message}, ensure_ascii=True)
    else:
        prefix = "pcp: " if level == "note" else f"pcp: {level}: "
        line = prefix + printable(message)
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        _silence_stream(2)


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or bool(os.environ.get("PCP_DEBUG"))


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = _debug_requested(args)
    LOG["format"] = "json" if os.environ.get("PCP_LOG_FORMAT") == "json" else "text"
    LOG["quiet"] = False
    _guard_closed_streams()
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
        _error(_usage_line(exc))
        code = exc.exit_code if exc.exit_code else EXIT_USAGE
    except click.exceptions.Abort:
        _error("aborted")
        code = 130
    except KeyboardInterrupt:
        _error("interrupted")
        code = 130
    except BrokenPipeError:
        code = _quiet_broken_pipe()
    except StdoutClosed as exc:  # text output (help, version) to a closed stdout
        _error(f"cannot write to standard output: {exc.strerror}")
        code = EXIT_STORE
    except Exception as exc:  # anything else is a bug: one line, traceback on request
        if debug:
            traceback.print_exc()
        _error(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)")
        code = EXIT_INTERNAL
    try:
        if sys.stdout is not None:  # None when started with stdout closed (>&-)
            sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        code = _quiet_broken_pipe()
    except OSError as exc:  # text output (help, version) to a closed or full stdout
        _error(f"cannot write to standard output: {exc.strerror or exc}")
        code = code or EXIT_STORE
    _silence_stream(2)  # nothing more for stderr: a reader gone by now cannot change the code
    sys.exit(code)


def _usage_line(exc: click.ClickException) -> str:
    """click's usage errors as one line, with where to look for help."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError):
        return f"{message} (see '{ctx.command_path if ctx else 'pcp'} --help')"
    return message


def _error(message: str) -> None:
    emit("error", message)


def _quiet_broken_pipe() -> int:
    # The reader went away (| head): silence the flush at exit, as the Python docs advise.
    _silence_stream(1)
    return EXIT_BROKEN_PIPE


def _silence_stream(fd: int) -> None:
    """Point a standard stream at the null device, so the interpreter's flush at exit cannot
    fail on a closed pipe (and turn the exit code into 120 or a message on stderr)."""
    stream = sys.stdout if fd == 1 else sys.stderr
    try:
        if stream is not None:
            stream.flush()
        return
    except (OSError, ValueError):
        pass
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass
    replacement = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives to exit)
    if fd == 1:
        sys.stdout = replacement
    else:
        sys.stderr = replacement


class StdoutClosed(OSError):
    """Raised by the stand-in for a standard output closed before pcp started."""


class _ClosedOutput(io.RawIOBase):
    """Standard output that was closed before pcp started: writing to it fails once with
    "it is closed" (exit 6, one line, as the output helpers report it); no descriptor is
    offered, so nothing is written past this object into whatever holds fd 1."""

    reported = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if not self.reported:  # once, so the exit code says it; then data is dropped
            self.reported = True
            raise StdoutClosed(errno.EBADF, "it is closed")
        return len(data)


def _guard_closed_streams() -> None:
    """`pcp kpis >&-`, `<&-`, `2>&-`: give each closed stream a stand-in, and keep its file
    descriptor taken so a store file opened later can never become stdout."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        try:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        except OSError:
            continue
        if fd == 0:
            sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 (closed: no input)
        elif fd == 1:
            sys.stdout = io.TextIOWrapper(io.BufferedWriter(_ClosedOutput()), encoding="utf-8")
        else:
            sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
