"""`pcp periods`: which months the store holds per dataset and force, and the gaps."""

from __future__ import annotations

import click
import polars as pl

from pcp_cli.analysis.coverage import coverage, sources
from pcp_cli.app.forces import split_names
from pcp_cli.cli.common import App, OutputOptions, common_options, output_options
from pcp_cli.cli.completion import complete_forces
from pcp_cli.cli.output import TableView, emit


@click.command()
@click.option(
    "--force",
    "force_names",
    multiple=True,
    help="Only these forces.",
    shell_complete=complete_forces,
)
@click.option("--dataset", "datasets", multiple=True, help="Only these datasets.")
@click.option(
    "--sources",
    "show_sources",
    is_flag=True,
    help="List the source files (path, size, SHA-256) behind each partition.",
)
@output_options
@common_options
def periods(
    app: App,
    force_names: tuple[str, ...],
    datasets: tuple[str, ...],
    show_sources: bool,
    out: OutputOptions,
) -> None:
    """Show, per dataset and force, the months held and any gaps.

    \b
    Examples:
      pcp periods
      pcp periods --force leicestershire --sources
    """
    forces = [app.forces.require(n).id for g in force_names for n in split_names(g, app.forces)]
    with app.store.reading(wait=app.wait) as reader:
        if show_sources:
            frame = sources(reader.manifest, forces, list(datasets))
            emit(frame, out, _sources_view, schema="periods-sources")
            return
        frame = coverage(reader, app.forces, forces, list(datasets))
    emit(frame, out, _coverage_view)


def _coverage_view(frame: pl.DataFrame) -> TableView:
    rows = [
        [
            r["dataset"] + (f" ({r['measure']})" if r["measure"] else ""),
            r["force_name"],
            r["first_month"],
            r["last_month"],
            str(r["months"]),
            r["gaps"] or "none",
        ]
        for r in frame.iter_rows(named=True)
    ]
    styles: list[str | None] = [
        ("yellow" if r["gaps"] else None) for r in frame.iter_rows(named=True)
    ]
    return TableView(
        "Store contents",
        ["Dataset", "Force", "First", "Last", "Months", "Gaps"],
        rows,
        right_align={4},
        row_styles=styles,
    )


def _sources_view(frame: pl.DataFrame) -> TableView:
    rows = [
        [r["dataset"], r["partition"], r["path"], f"{r['size']:,}", r["sha256"][:12]]
        for r in frame.iter_rows(named=True)
    ]
    return TableView(
        "Source files",
        ["Dataset", "Partition", "Source file", "Bytes", "SHA-256"],
        rows,
        right_align={3},
    )
