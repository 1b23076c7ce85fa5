"""The options several commands share (--kpi, --period, --vs, --force, --to, --alpha,
--group), each defined once; a command may word its help for what it does with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from pcp_cli.cli import params
from pcp_cli.cli.completion import complete_areas, complete_forces, complete_kpis

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

KPI_HELP = "KPI id, several ids separated by commas, a section name, or all."
PERIOD_HELP = "Q2, 'Q2 2018/19', 2018/19, FYTD, 12m, 2018-07 or 2018-07..2018-09."
VS_HELP = "Baseline: last-year (same period a year earlier), previous, or a period."
FORCES_HELP = "Force id or name; repeat or separate with commas. Default: home force."
FORCE_HELP = "Force id or name. Default: home force."
TO_HELP = "Anchor relative periods (Q2, FYTD, 12m) at this month instead of the latest."
ALPHA_HELP = "Significance level for the verdicts."
GROUP_HELP = "Comparator: msg, national, a [groups] name, or forces a,b,c."


def kpi(default: str | None = "all", help: str = KPI_HELP, **extra: Any) -> Decorator:
    shown = default is not None
    return click.option(
        "--kpi", "kpi_spec", default=default, show_default=shown, help=help,
        shell_complete=complete_kpis, **extra,
    )  # fmt: skip


def period(
    default: str | None = None, help: str = PERIOD_HELP, *, required: bool = True
) -> Decorator:
    """Required unless it has a default or ``required`` is False (then None when absent)."""
    if default is None:
        return click.option("--period", required=required, default=None, help=help)
    return click.option("--period", default=default, show_default=True, help=help)


def vs(help: str = VS_HELP) -> Decorator:
    return click.option("--vs", "vs", default="last-year", show_default=True, help=help)


def forces(help: str = FORCES_HELP) -> Decorator:
    return click.option(
        "--force", "force_names", multiple=True, help=help, shell_complete=complete_forces
    )


def force(help: str = FORCE_HELP) -> Decorator:
    return click.option(
        "--force", "force_name", default=None, help=help, shell_complete=complete_forces
    )


def to(help: str = TO_HELP) -> Decorator:
    return click.option("--to", "to_month", default=None, metavar="YYYY-MM", help=help)


def alpha(help: str = ALPHA_HELP) -> Decorator:
    return click.option(
        "--alpha",
        type=params.ALPHA,  # a finite number strictly between 0 and 1 (not nan)
        default=0.05,
        show_default=True,
        help=help,
    )


def group(help: str = GROUP_HELP) -> Decorator:
    return click.option("--group", "group_spec", default="msg", show_default=True, help=help)


BY_HELP = (
    "Break the figures down by local area: local-authority (districts, from the LSOA name), "
    "area (the store's lookup, pcp ingest --kind areas) or an area type of the lookup."
)


def by(help: str = BY_HELP, **extra: Any) -> Decorator:
    """--by; None when absent. Values are checked against the store (the lookup's types)."""
    return click.option(
        "--by", "by", default=None, metavar="AREAS", help=help, shell_complete=complete_areas,
        **extra,
    )  # fmt: skip
