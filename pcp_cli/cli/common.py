"""Options shared by every command, defined once, and the application context they build."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pcp_cli.app.forces import choose_forces
from pcp_cli.cli import options as opt
from pcp_cli.cli import params
from pcp_cli.config import Settings, resolve_settings
from pcp_cli.forces import ForceRegistry, load_forces
from pcp_cli.kpis import Catalogue, load_catalogue
from pcp_cli.store import Store, StoreReader

if TYPE_CHECKING:
    from pcp_cli.app.context import Context
    from pcp_cli.areas import Lookup
    from pcp_cli.engine import Engine

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ["auto", "table", "csv", "tsv", "json", "jsonl", "parquet", "markdown", "xlsx"]


def warn(message: str) -> None:
    """A warning on stderr (control characters escaped; silenced by -q)."""
    from pcp_cli.cli.main import emit

    emit("warning", message)


def note(message: str) -> None:
    """A progress or summary line on stderr (silenced by -q)."""
    from pcp_cli.cli.main import emit

    emit("note", message)


def note_lookup(app: App, lookup: Lookup | None) -> None:
    """Say which areas lookup a --by answer used."""
    if lookup is not None and not app.quiet:
        source = lookup.source
        note(f"areas from the lookup {source['path']} (ingested {source['ingested_at']})")


@dataclass
class App:
    settings: Settings
    verbose: int = 0
    quiet: bool = False
    wait: float = 60.0
    _forces: ForceRegistry | None = field(default=None, repr=False)
    _catalogue: Catalogue | None = field(default=None, repr=False)
    _engines: list[Engine] = field(default_factory=list, repr=False)
    _said: set[str] = field(default_factory=set, repr=False)

    @property
    def forces(self) -> ForceRegistry:
        if self._forces is None:
            self._forces = load_forces(self.settings.forces_path)
        return self._forces

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = load_catalogue(self.settings.kpis_path)
        return self._catalogue

    @property
    def store(self) -> Store:
        return Store(self.settings.store_path)

    def engine(self, reader: StoreReader) -> Engine:
        """An engine over ``reader``; its warnings are printed when the command ends."""
        from pcp_cli.engine import Engine

        engine = Engine(reader, self.catalogue)
        self._engines.append(engine)
        return engine

    def context(self, reader: StoreReader) -> Context:
        """What the app functions answer from: an engine over ``reader`` (see
        :meth:`engine`), the forces and the settings."""
        from pcp_cli.app.context import Context

        return Context(self.engine(reader), self.forces, self.settings)

    def warn(self, message: str) -> None:
        """A warning on stderr, once per command."""
        if message not in self._said:
            self._said.add(message)
            warn(message)

    def print_diagnostics(self) -> None:
        """The engines' warnings (KPI filters matching nothing, …), each once."""
        for engine in self._engines:
            for message in engine.warnings:
                self.warn(message)

    def info(self, message: str) -> None:
        if self.verbose and not self.quiet:
            note(message)

    def report_settings(self) -> None:
        s = self.settings
        self.info(f"KPI file {s.kpis_path} (from {s.origins.get('kpis')})")
        self.info(f"forces file {s.forces_path} (from {s.origins.get('forces')})")
        self.info(f"store {s.store_path} (from {s.origins.get('store')})")
        if s.project_file:
            self.info(f"project file {s.project_file}")

    def resolve_forces(self, given: tuple[str, ...], reader: StoreReader) -> list[str]:
        """The forces of a command: one rule for all (:func:`pcp_cli.app.forces.choose_forces`)."""
        choice = choose_forces(given, self.settings.home_force, self.forces, reader)
        if choice.note:
            self.info(choice.note)
        return choice.forces


STORE_HELP = "Store folder. Default: $PCP_STORE, then pcp.toml, then ./pcp-store."
KPIS_HELP = "KPI definitions file. Default: $PCP_KPIS, pcp.toml, bundled config/kpis.toml."
FORCES_HELP = "Forces file. Default: $PCP_FORCES, pcp.toml, bundled config/forces.toml."


def common_options(func: F) -> F:
    """--store, --kpis, --forces, -v, -q, --debug, --wait: the same on every command."""

    @opt.settings_path("--store", STORE_HELP)
    @opt.settings_path("--kpis", KPIS_HELP)
    @opt.settings_path("--forces", FORCES_HELP)
    @click.option("-v", "--verbose", count=True, help="Say which files are used, and more.")
    @click.option("-q", "--quiet", is_flag=True, help="No progress or summaries on stderr.")
    @click.option(
        "--wait",
        type=params.NON_NEGATIVE,
        default=None,
        help="Seconds to wait for another pcp process using the store.  [default: 60]",
    )
    @click.option("--debug", is_flag=True, help="Show a traceback on errors.")
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        store_path: Path | None,
        kpis_path: Path | None,
        forces_path: Path | None,
        verbose: int,
        quiet: bool,
        wait: float | None,
        debug: bool,
        **kwargs: Any,
    ) -> Any:
        given = _before_the_command(click.get_current_context())
        store_path = store_path or given.get("store_path")
        kpis_path = kpis_path or given.get("kpis_path")
        forces_path = forces_path or given.get("forces_path")
        verbose += given.get("verbose") or 0
        quiet = quiet or bool(given.get("quiet"))
        wait = given["wait"] if wait is None and given.get("wait") is not None else wait
        _set_quiet(quiet)
        settings = resolve_settings(kpis=kpis_path, forces=forces_path, store=store_path)
        app = App(settings, verbose=verbose, quiet=quiet, wait=60.0 if wait is None else wait)
        app.report_settings()
        try:
            return func(app, *args, **kwargs)
        finally:
            app.print_diagnostics()

    return wrapper  # type: ignore[return-value]


def _before_the_command(ctx: click.Context) -> dict[str, Any]:
    """The common options given before the command (`pcp --store X check`)."""
    return ctx.find_root().params if ctx.find_root() is not ctx else {}


def _set_quiet(quiet: bool) -> None:
    if quiet:
        from pcp_cli.cli.main import LOG

        LOG["quiet"] = True


@dataclass(frozen=True)
class OutputOptions:
    format: str
    output: Path | None  # None or "-": standard output
    bom: bool = False

    def resolved_format(self) -> str:
        if self.format != "auto":
            return self.format
        if self.output is not None and str(self.output) != "-":
            return SUFFIX_FORMATS.get(self.output.suffix.lower(), "csv")
        return "table" if sys.stdout is not None and sys.stdout.isatty() else "csv"


#: --format auto with -o: the format the file's name asks for (CSV for any other name).
SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".parquet": "parquet",
    ".md": "markdown",
    ".txt": "table",
    ".xlsx": "xlsx",
}


def output_options(func: F) -> F:
    """--format and -o/--output for every command that prints data."""

    @opt.output_format(
        FORMATS,
        help="auto: a table on a terminal, CSV in a pipe (or from the -o suffix: .csv, "
        ".tsv, .json, .jsonl, .parquet, .xlsx, .md). xlsx: an Excel workbook.",
    )
    @opt.output_file(help="Write to this file (atomically; '-' is stdout) instead of stdout.")
    @click.option(
        "--bom",
        is_flag=True,
        help="CSV/TSV: start with a UTF-8 byte-order mark, so Excel reads the text right.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, fmt: str, output: Path | None, bom: bool, **kwargs: Any) -> Any:
        return func(*args, out=OutputOptions(fmt.lower(), output, bom), **kwargs)

    return wrapper  # type: ignore[return-value]
