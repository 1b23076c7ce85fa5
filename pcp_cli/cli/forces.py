"""`pcp forces`: the force ids pcp knows, with their names and the spellings it accepts;
`pcp forces check FILE`: validate a forces file."""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from pcp_cli.cli.common import App, OutputOptions, common_options, note, output_options
from pcp_cli.cli.output import TableView, emit


@click.group(invoke_without_command=True)
@click.option(
    "--all/--territorial",
    "show_all",
    default=True,
    show_default=True,
    help="Every force in the forces file, or only the territorial forces.",
)
@output_options
@common_options
@click.pass_context
def forces(ctx: click.Context, app: App, out: OutputOptions, show_all: bool) -> None:
    """List the force ids (for --force and home_force), names and aliases.

    \b
    Examples:
      pcp forces
      pcp forces --territorial --format csv
      pcp forces --format json -o forces.json
      pcp forces check my-forces.toml
    """
    if ctx.invoked_subcommand is not None:
        return
    registry = app.forces
    listed = [f for f in registry.forces.values() if show_all or f.territorial]
    frame = pl.DataFrame(
        {
            "force": [f.id for f in listed],
            "name": [f.name for f in listed],
            "territorial": [f.territorial for f in listed],
            "country": [f.country for f in listed],
            "region": [f.region for f in listed],
            "aliases": [list(f.aliases) for f in listed],
        },
        schema={
            "force": pl.String,
            "name": pl.String,
            "territorial": pl.Boolean,
            "country": pl.String,
            "region": pl.String,
            "aliases": pl.List(pl.String),
        },
    )
    emit(
        frame,
        out,
        lambda f: TableView(
            f"Forces in {registry.path}",
            ["Force", "Name", "Region", "Aliases"],
            [
                [r["force"], r["name"], r["region"], "; ".join(r["aliases"])]
                for r in f.iter_rows(named=True)
            ],
        ),
    )


@forces.command("check")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def check(path: Path) -> None:
    """Validate a forces file; report every problem with its force table; exit 3 if invalid."""
    from pcp_cli.cli.main import emit as emit_message
    from pcp_cli.errors import ConfigError
    from pcp_cli.forces import check_forces

    registry, problems = check_forces(path)
    for problem in problems:
        emit_message("error", problem)  # escaped, one line each, JSON on request
    if problems or registry is None:
        raise ConfigError(f"{path}: {len(problems)} problem(s) found")
    note(f"{path}: OK, {len(registry.forces)} forces")
