"""`pcp kpis`: list the KPI definitions; `pcp kpis check FILE`: validate a KPI file."""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from pcp_cli.cli.common import App, OutputOptions, common_options, note, output_options
from pcp_cli.cli.main import emit as emit_message
from pcp_cli.cli.output import TableView, emit
from pcp_cli.errors import ConfigError
from pcp_cli.kpis import Kpi, check_catalogue


@click.group(invoke_without_command=True)
@output_options
@common_options
@click.pass_context
def kpis(ctx: click.Context, app: App, out: OutputOptions) -> None:
    """List the KPIs in the KPI file, in section order.

    \b
    Examples:
      pcp kpis
      pcp kpis --format csv
      pcp kpis check my-kpis.toml
    """
    if ctx.invoked_subcommand is not None:
        return
    catalogue = app.catalogue
    rows = [_describe(k) for k in catalogue.in_section_order()]
    frame = pl.DataFrame(
        rows,
        schema={
            "kpi": pl.String,
            "label": pl.String,
            "section": pl.String,
            "kind": pl.String,
            "polarity": pl.String,
            "unit": pl.String,
            "counted_from": pl.String,
        },
    )
    emit(
        frame,
        out,
        lambda f: TableView(
            f"KPIs in {catalogue.path}",
            ["KPI", "Label", "Section", "Kind", "Polarity", "Counted from"],
            [
                [r["kpi"], r["label"], r["section"], r["kind"], r["polarity"], r["counted_from"]]
                for r in f.iter_rows(named=True)
            ],
        ),
    )


def _describe(kpi: Kpi) -> dict[str, str]:
    if kpi.kind == "ratio":
        source = f"{kpi.numerator} / {kpi.denominator} × {kpi.scale:g}"
    else:
        source = "; ".join(
            f"{r.dataset}"
            + (f" where {' and '.join(c.describe() for c in r.conditions)}" if r.conditions else "")
            for r in kpi.rules
        )
    return {
        "kpi": kpi.id,
        "label": kpi.label,
        "section": kpi.section,
        "kind": kpi.kind,
        "polarity": kpi.polarity,
        "unit": kpi.unit,
        "counted_from": source,
    }


@kpis.command("check")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def check(path: Path) -> None:
    """Validate a KPI file; report every problem with its location; exit 3 if invalid."""
    catalogue, problems = check_catalogue(path)
    for problem in problems:
        emit_message("error", str(problem))  # escaped, one line each, JSON on request
    if problems or catalogue is None:
        raise ConfigError(f"{path}: {len(problems)} problem(s) found")
    note(f"{path}: OK, {len(catalogue.kpis)} KPIs in {len(catalogue.sections)} sections")
