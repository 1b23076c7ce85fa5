"""The options several commands share (--kpi, --period, --vs, --force, --to, --alpha,
--group, --format, -o), each defined once; a command may word its help for what it does
with it. Also the shapes every command's own options take (a choice with a default, a file
written, a store or settings path), so each option is one line of what it means."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from pcp_cli.cli import params
from pcp_cli.cli.completion import complete_areas, complete_forces, complete_kpis

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def together(*options: Decorator) -> Decorator:
    """Several options as one decorator, shown in --help in the order given."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


def bundled(into: type[Any], name: str, *options: Decorator) -> Decorator:
    """``options`` handed to the command as one keyword argument ``name``: an ``into`` (a
    dataclass whose fields are named as the options' parameters) built from their values."""
    fields = [f.name for f in dataclasses.fields(into)]

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {field: kwargs.pop(field) for field in fields}
            return func(*args, **{name: into(**given)}, **kwargs)

        return together(*options)(wrapper)

    return apply


def choice(
    name: str,
    choices: Sequence[str],
    default: str,
    help: str,
    *,
    dest: str | None = None,
    case_sensitive: bool = True,
) -> Decorator:
    """One of a fixed set of words, with its default shown in --help (--method, --style, …)."""
    words = click.Choice(list(choices), case_sensitive=case_sensitive)
    decls = (name, dest) if dest else (name,)
    return click.option(*decls, type=words, default=default, show_default=True, help=help)


def written_file(*names: str, help: str, required: bool = False) -> Decorator:
    """A file the command writes (-o/--output, --data): a path, never a folder."""
    return click.option(
        *names, type=click.Path(path_type=Path, dir_okay=False), default=None,
        required=required, help=help,
    )  # fmt: skip


def output_file(help: str, *, required: bool = False) -> Decorator:
    """-o/--output (``output``): the file written instead of stdout."""
    return written_file("-o", "--output", help=help, required=required)


def output_format(formats: Sequence[str], help: str) -> Decorator:
    """--format (``fmt``): one of the command's formats, any case; auto by default."""
    return choice("--format", formats, "auto", help, dest="fmt", case_sensitive=False)


def flag(name: str, dest: str, help: str) -> Decorator:
    """An on/off option, off unless given (``dest``: True when given)."""
    return click.option(name, dest, is_flag=True, help=help)


def words(name: str, dest: str, metavar: str, help: str) -> Decorator:
    """Words of a fixed set, comma-separated or repeated (--fail-on, --check): the raw values,
    parsed by the command (analysis.check.parse_words) so a wrong one names its option."""
    return click.option(name, dest, multiple=True, metavar=metavar, help=help)


def settings_path(name: str, help: str) -> Decorator:
    """--store, --kpis, --forces (``store_path``, …): where the store and the settings files
    are; None when not given (the settings then find them)."""
    dest = name.removeprefix("--") + "_path"
    return click.option(name, dest, type=click.Path(path_type=Path), default=None, help=help)


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


@dataclass(frozen=True)
class Question:
    """What a period comparison is asked about: the KPIs (--kpi), the period (--period)
    against its baseline (--vs), the forces (--force), the month relative periods end at
    (--to)."""

    kpi_spec: str
    period: str
    vs: str
    force_names: tuple[str, ...]
    to_month: str | None


def question(
    *,
    period_default: str | None = None,
    period_help: str = PERIOD_HELP,
    vs_help: str = VS_HELP,
    to_help: str = TO_HELP,
) -> Decorator:
    """--kpi, --period, --vs, --force, --to, handed to the command as one ``question``."""
    return bundled(
        Question,
        "question",
        kpi(),
        period(period_default, period_help),
        vs(vs_help),
        forces(),
        to(to_help),
    )


def weighted(help: str) -> Decorator:
    return click.option("--weighted", is_flag=True, help=help)


def sd(help: str) -> Decorator:
    """--sd sample|population: the SD of the group's rates (``sd_kind``; see :func:`ddof`)."""
    return choice(
        "--sd", ["sample", "population"], "sample", help, dest="sd_kind", case_sensitive=False
    )


def ddof(sd_kind: str) -> int:
    """The delta degrees of freedom --sd names: 1 for the sample SD, 0 for the population's."""
    return 1 if sd_kind.lower() == "sample" else 0


def exclude_incomplete(help: str) -> Decorator:
    return click.option("--exclude-incomplete", is_flag=True, help=help)


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


def given(names: Sequence[str]) -> list[str]:
    """The flags (``--group``) of the options among ``names`` that the user gave, not left
    at their defaults: for refusing options that do not apply to what was asked."""
    ctx = click.get_current_context()
    found: list[str] = []
    for name in names:
        source = ctx.get_parameter_source(name)
        if source is not None and source != click.core.ParameterSource.DEFAULT:
            option = next(p for p in ctx.command.params if p.name == name)
            found.append(option.opts[0] if option.opts else name)
    return found
