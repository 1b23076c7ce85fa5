"""`pcp chart KIND`: the panel paper's charts as PNG or SVG files."""

from __future__ import annotations

from pathlib import Path

import click

from pcp_cli.analysis.trend import year_on_year
from pcp_cli.charts import Chart, trend_chart
from pcp_cli.cli.common import App, common_options, note
from pcp_cli.cli.output import write_atomic
from pcp_cli.engine import Engine, parse_to
from pcp_cli.errors import NoDataError, UsageError


@click.command()
@click.argument("kind", type=click.Choice(["trend"]))
@click.option("--kpi", "kpi_id", required=True, help="The KPI to chart (one id).")
@click.option("--force", "force_names", multiple=True, help="Force (default: home force).")
@click.option(
    "--to",
    "to_month",
    default=None,
    metavar="YYYY-MM",
    help="Last month to show (default: the latest in the store).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="File to write: .png or .svg.",
)
@common_options
def chart(
    app: App,
    kind: str,
    kpi_id: str,
    force_names: tuple[str, ...],
    to_month: str | None,
    output: Path,
) -> None:
    """Draw a chart to a PNG or SVG file.

    \b
    trend: this financial year's months against last year's (previous blue, current red).

    \b
    Examples:
      pcp chart trend --kpi all-crime -o all-crime-trend.png
      pcp chart trend --kpi calls-999 --to 2018-09 -o calls.svg
    """
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise UsageError(
            f"cannot tell the chart format from '{output.name}'", hint="name the file .png or .svg"
        )
    (kpi,) = app.catalogue.select(kpi_id)
    with app.store.reading(wait=app.wait) as reader:
        engine = Engine(reader, app.catalogue)
        available = sorted(
            {
                k.split("/")[0]
                for ds in reader.manifest.datasets.values()
                for k in ds.get("partitions", {})
                if k != "all"
            }
        )
        (force,) = app.resolve_forces(force_names, available)[:1]
        latest = parse_to(to_month) or engine.latest_month([kpi], force)
        if latest is None:
            raise NoDataError(f"no data for KPI {kpi.id} for {force}")
        trend = year_on_year(engine, kpi, force, latest)
    drawn: Chart = trend_chart(
        kpi_label=kpi.label,
        unit=kpi.unit,
        force_name=app.forces.name(force),
        current_label=trend.current_label,
        current=trend.current,
        previous_label=trend.previous_label,
        previous=trend.previous,
    )
    try:
        write_atomic(output, drawn.render("png" if fmt == "png" else "svg"))
    finally:
        drawn.close()
    if not app.quiet:
        note(f"wrote {output} ({drawn.title})")
