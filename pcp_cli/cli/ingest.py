"""`pcp ingest`: read extracts into the store, all or nothing."""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from pcp_cli.cli import options as opt
from pcp_cli.cli.common import App, common_options, note
from pcp_cli.cli.completion import complete_forces
from pcp_cli.datasets import DATASETS
from pcp_cli.errors import UsageError
from pcp_cli.ingest.pipeline import FileResult, Progress
from pcp_cli.ingest.pipeline import ingest as run_ingest
from pcp_cli.ingest.pipeline import rebuild as run_rebuild
from pcp_cli.ingest.readers import ReadOptions


@click.command()
@click.argument("paths", nargs=-1, required=False)
@click.option(
    "--kind",
    type=click.Choice(list(DATASETS)),
    default=None,
    help="Extract format; detected from the header when omitted (required for -).",
)
@click.option(
    "--encoding",
    default="utf-8-sig",
    show_default=True,
    help="Text encoding of the extracts, e.g. cp1252 for Excel exports.",
)
@click.option(
    "--force",
    "force_name",
    shell_complete=complete_forces,
    default=None,
    help="Force for extracts with no force column (stop and search read from stdin).",
)
@opt.choice(
    "--on-bad-rows",
    ["fail", "skip"],
    "fail",
    "fail: stop and store nothing; skip: store the good rows, write the bad "
    "ones to a rejects CSV beside the store.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Leave out files whose name or path matches GLOB (repeatable), e.g. a lookup "
    "table kept beside the extracts in a folder.",
)
@click.option(
    "--map",
    "map_file",
    default=None,
    metavar="FILE.toml",
    help="Crime records: a column map naming the export's headers and date format "
    "(implies --kind crime-records; see README).",
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="Rebuild the whole store from the source files it records (path, size, SHA-256), "
    "e.g. after a damaged copy; the old store stays in force until the new one is complete.",
)
@common_options
def ingest(
    app: App,
    paths: tuple[str, ...],
    kind: str | None,
    encoding: str,
    force_name: str | None,
    on_bad_rows: str,
    exclude: tuple[str, ...],
    map_file: str | None,
    rebuild: bool,
) -> None:
    """Read extracts (files, folders, globs, or - for stdin) into the store.

    \b
    Kinds: street, outcomes, stop-search (data.police.uk), prc (Home Office
    recorded crime tables), counts (force,month,measure,value), survey, population,
    crime-records (the force's own records, one row per crime; --map for other
    headers and date formats), areas (a lookup lsoa_code,area[,area_type,population]).
    The same file twice changes nothing; a newer extract for the same dataset,
    force and month replaces the older one. If any file is bad, nothing is stored.
    A progress bar shows on a terminal; -v lists every file, -q says nothing.

    \b
    Examples:
      pcp ingest samples/data
      pcp ingest 'downloads/2018-*/*-street.csv'
      pcp ingest - --kind counts < calls.csv
      pcp ingest --exclude 'CrimeCatMappings.csv' downloads/home-office/
      pcp ingest --kind crime-records --force leicestershire records.csv
      pcp ingest --map niche.toml niche-export.csv
      pcp ingest --kind areas npa-lookup.csv
      pcp ingest --rebuild            # re-create the store from its recorded sources
    """
    kind = _check_options(paths, kind, exclude, map_file, rebuild)
    options = ReadOptions(
        kind=kind,
        encoding=encoding,
        force=force_name,
        on_bad_rows="skip" if on_bad_rows == "skip" else "fail",
        map_file=map_file,
    )
    if "-" in paths and sys.stdin.isatty() and not app.quiet:
        note("reading from stdin (end with Ctrl-D)…")
    progress = _feedback(app)
    try:
        if rebuild:
            summary = run_rebuild(app.store, app.forces, wait=app.wait, progress=progress)
        else:
            summary = run_ingest(
                app.store,
                list(paths),
                app.forces,
                options,
                exclude=exclude,
                wait=app.wait,
                progress=progress,
            )
    finally:
        progress.close()
    if not app.quiet:
        note(summary.line())


def _check_options(
    paths: tuple[str, ...],
    kind: str | None,
    exclude: tuple[str, ...],
    map_file: str | None,
    rebuild: bool,
) -> str | None:
    """Usage errors before anything is read; the kind (--map means crime records)."""
    if rebuild and (paths or exclude):
        raise UsageError(
            "--rebuild takes no paths or --exclude: it re-reads the files the store records",
            hint="run 'pcp periods --sources' to see them",
        )
    if not rebuild and not paths:
        raise UsageError(
            "give the extracts to ingest (files, folders, globs or -)",
            hint="e.g. pcp ingest downloads/ ; or pcp ingest --rebuild",
        )
    if map_file is not None:
        if kind not in (None, "crime-records"):
            raise UsageError(
                f"--map is for crime records, not --kind {kind}",
                hint="leave out --map, or use --kind crime-records",
            )
        kind = "crime-records"
        if rebuild:
            raise UsageError("--rebuild takes no --map: it re-reads the maps the store records")
        from pcp_cli.ingest.records import load_map

        load_map(map_file)  # a bad map is a configuration error before any file is read
    return kind


def _feedback(app: App) -> _Feedback:
    """A progress bar on a terminal, file lines with -v, nothing with -q."""
    if app.quiet:
        return _Feedback()
    if sys.stderr.isatty():
        return _Bar(verbose=bool(app.verbose))
    return _Feedback(verbose=bool(app.verbose))


def file_line(result: FileResult) -> str:
    """The -v line for one file."""
    text = f"{result.status}: {result.name} ({result.kind}, {result.rows:,} rows"
    if result.rejected:
        text += f", {result.rejected:,} rejected"
    return text + ")"


class _Feedback(Progress):
    """No bar: with -v, one line per file as it is done."""

    def __init__(self, verbose: bool = False) -> None:
        self.verbose = verbose

    def advance(self, result: FileResult, nbytes: int) -> None:
        if self.verbose:
            note(file_line(result))

    def close(self) -> None:
        pass


class _Bar(_Feedback):
    """A rich progress bar on stderr (only used when stderr is a terminal).

    Files done of the total, rows, rows per second and an ETA from bytes read, since
    files differ in size.
    """

    def __init__(self, verbose: bool = False, console: Any = None) -> None:
        super().__init__(verbose)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self.console = console or Console(stderr=True)
        self.rows = 0
        self.files = 0
        self.total_files = 0
        self.started = time.monotonic()
        self.bar = RichProgress(
            TextColumn("ingest"),
            BarColumn(),
            TextColumn("{task.fields[files]}"),
            TextColumn("{task.fields[rows]} rows"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.bar.add_task("ingest", total=None, files="", rows="0", rate="")
        self.bar.start()

    def start(self, files: int, total_bytes: int) -> None:
        self.total_files = files
        self.started = time.monotonic()
        self.bar.update(self.task, total=max(total_bytes, 1), files=f"0/{files} files")

    def advance(self, result: FileResult, nbytes: int) -> None:
        self.files += 1
        self.rows += result.rows if result.status == "ingested" else 0
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.bar.update(
            self.task,
            advance=nbytes,
            files=f"{self.files}/{self.total_files} files",
            rows=f"{self.rows:,}",
            rate=f"{self.rows / elapsed:,.0f} rows/s",
        )
        if self.verbose:
            self.bar.console.print(f"pcp: {file_line(result)}", markup=False, highlight=False)

    def close(self) -> None:
        self.bar.stop()
