"""Shell completion of KPI ids, report sections and force ids.

click calls these while the user presses Tab (``_PCP_COMPLETE=bash_source pcp`` prints
the shell's hook; see the README). They read the same KPI and forces files the command
would, honour --kpis/--forces given before or after the command, and never raise: a
broken file just completes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem


def _given(ctx: click.Context, name: str) -> Path | None:
    value = ctx.params.get(name) or ctx.find_root().params.get(name)
    return Path(value) if value else None


def _catalogue(ctx: click.Context) -> Any:
    from pcp_cli.config import resolve_settings
    from pcp_cli.kpis import load_catalogue

    settings = resolve_settings(kpis=_given(ctx, "kpis_path"), forces=_given(ctx, "forces_path"))
    return load_catalogue(settings.kpis_path)


def _registry(ctx: click.Context) -> Any:
    from pcp_cli.config import resolve_settings
    from pcp_cli.forces import load_forces

    settings = resolve_settings(kpis=_given(ctx, "kpis_path"), forces=_given(ctx, "forces_path"))
    return load_forces(settings.forces_path)


def _last_part(incomplete: str) -> tuple[str, str]:
    """'all-crime,bur' -> ('all-crime,', 'bur'): lists complete their last item."""
    head, sep, tail = incomplete.rpartition(",")
    return head + sep, tail


def kpi_choices(ctx: click.Context) -> list[tuple[str, str]]:
    """(value, help) for every KPI id, every section and `all`."""
    catalogue = _catalogue(ctx)
    choices = [("all", "every KPI")]
    choices += [(k.id, k.label) for k in catalogue.in_section_order()]
    choices += [(s, "section") for s in catalogue.sections if s not in catalogue.kpis]
    return choices


def force_choices(ctx: click.Context) -> list[tuple[str, str]]:
    registry = _registry(ctx)
    return [(f.id, f.name) for f in registry.forces.values()]


def _complete(
    choices: list[tuple[str, str]], incomplete: str, *, lists: bool
) -> list[CompletionItem]:
    head, tail = _last_part(incomplete) if lists else ("", incomplete)
    folded = tail.casefold()
    return [
        CompletionItem(head + value, help=text)
        for value, text in choices
        if value.casefold().startswith(folded)
    ]


def complete_kpis(ctx: click.Context, _param: click.Parameter, incomplete: str) -> Any:
    """--kpi: ids, sections and `all`, the last item of a comma-separated list."""
    try:
        return _complete(kpi_choices(ctx), incomplete, lists=True)
    except Exception:  # completion must never print a traceback into the shell
        return []


def complete_forces(ctx: click.Context, _param: click.Parameter, incomplete: str) -> Any:
    """--force: force ids (the last item of a comma-separated list)."""
    try:
        return _complete(force_choices(ctx), incomplete, lists=True)
    except Exception:
        return []


def area_choices(ctx: click.Context) -> list[tuple[str, str]]:
    """(value, help) for --by: districts, the lookup, and each area type the store holds."""
    from pcp_cli.areas import AREA, LOCAL_AUTHORITY, area_types
    from pcp_cli.config import resolve_settings
    from pcp_cli.store import Store

    choices = [
        (LOCAL_AUTHORITY, "districts, from the LSOA names"),
        (AREA, "the areas of the store's lookup"),
    ]
    settings = resolve_settings(
        kpis=_given(ctx, "kpis_path"),
        forces=_given(ctx, "forces_path"),
        store=_given(ctx, "store_path"),
    )
    store = Store(settings.store_path)
    if store.exists():
        with store.reading(wait=0.5) as reader:  # Tab must not hang on a busy store
            choices += [(t, "area type of the lookup") for t in area_types(reader)]
    return list(dict(choices).items())


def complete_areas(ctx: click.Context, _param: click.Parameter, incomplete: str) -> Any:
    """--by: local-authority, area and the lookup's area types."""
    try:
        return _complete(area_choices(ctx), incomplete, lists=False)
    except Exception:
        return []
