"""`pcp ingest`: read extracts into the store, all or nothing."""

from __future__ import annotations

import sys

import click

from pcp_cli.cli.common import App, common_options, note
from pcp_cli.datasets import DATASETS
from pcp_cli.ingest.pipeline import ingest as run_ingest
from pcp_cli.ingest.readers import ReadOptions


@click.command()
@click.argument("paths", nargs=-1, required=True)
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
    default=None,
    help="Force for extracts with no force column (stop and search read from stdin).",
)
@click.option(
    "--on-bad-rows",
    type=click.Choice(["fail", "skip"]),
    default="fail",
    show_default=True,
    help="fail: stop and store nothing; skip: store the good rows, write the bad "
    "ones to a rejects CSV beside the store.",
)
@common_options
def ingest(
    app: App,
    paths: tuple[str, ...],
    kind: str | None,
    encoding: str,
    force_name: str | None,
    on_bad_rows: str,
) -> None:
    """Read extracts (files, folders, globs, or - for stdin) into the store.

    \b
    Kinds: street, outcomes, stop-search (data.police.uk), prc (Home Office
    recorded crime tables), counts (force,month,measure,value), survey, population.
    The same file twice changes nothing; a newer extract for the same dataset,
    force and month replaces the older one. If any file is bad, nothing is stored.

    \b
    Examples:
      pcp ingest samples/data
      pcp ingest 'downloads/2018-*/*-street.csv'
      pcp ingest - --kind counts < calls.csv
    """
    options = ReadOptions(
        kind=kind,
        encoding=encoding,
        force=force_name,
        on_bad_rows="skip" if on_bad_rows == "skip" else "fail",
    )
    if "-" in paths and sys.stdin.isatty() and not app.quiet:
        note("reading from stdin (end with Ctrl-D)…")
    progress = _Progress(app) if sys.stderr.isatty() and not app.quiet else None
    try:
        summary = run_ingest(
            app.store,
            list(paths),
            app.forces,
            options,
            wait=app.wait,
            progress=progress.update if progress else None,
        )
    finally:
        if progress:
            progress.close()
    if app.verbose:
        for f in summary.files:
            note(f"{f.status}: {f.name} ({f.kind}, {f.rows:,} rows)")
    if not app.quiet:
        note(summary.line())


class _Progress:
    """A rich progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, app: App) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.rows = 0
        self.progress = Progress(
            TextColumn("ingest"),
            BarColumn(),
            TextColumn("{task.completed} files"),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("ingest", total=None, rows=0)
        self.progress.start()

    def update(self, name: str, rows: int) -> None:
        self.rows += rows
        self.progress.update(self.task, advance=1, rows=self.rows)

    def close(self) -> None:
        self.progress.stop()
