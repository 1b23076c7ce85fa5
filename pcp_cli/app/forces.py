"""Which force a command is about: one rule for every command.

1. ``--force`` (repeatable, comma-separated, ids, names or aliases);
2. ``home_force`` in ``pcp.toml`` or ``$PCP_FORCE``;
3. the only territorial force in the store;
4. the only territorial force with extracts of its own in the store (street, outcomes,
   stop and search or monthly counts): the Home Office table and the population estimates
   bring every force, but the force whose extracts were ingested is the one the store is
   kept for (the samples' Leicestershire).

Otherwise it is a usage error that lists the forces the store holds and how to set one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pcp_cli.errors import UsageError
from pcp_cli.forces import ForceRegistry
from pcp_cli.store import StoreReader

LOCAL_DATASETS = ("street", "outcomes", "stop-search", "counts")
"""Datasets a force's own extracts fill (the national tables fill every force)."""


@dataclass(frozen=True)
class ForceChoice:
    """The forces chosen and, when pcp chose them, why (a note for -v)."""

    forces: list[str]
    note: str = ""


def forces_in_store(reader: StoreReader, datasets: Sequence[str] | None = None) -> list[str]:
    """Every force with at least one partition in the store (of ``datasets`` if given)."""
    return sorted(
        {
            key.split("/")[0]
            for name, ds in reader.manifest.datasets.items()
            if datasets is None or name in datasets
            for key in ds.get("partitions", {})
            if key != "all"
        }
    )


def choose_forces(
    given: Sequence[str], home: str | None, registry: ForceRegistry, reader: StoreReader
) -> ForceChoice:
    """The forces of a command (see the module docstring)."""
    names = [n for g in given for n in split_names(g, registry)]
    if names:
        return ForceChoice(list(dict.fromkeys(registry.require(n).id for n in names)))
    if home:
        return ForceChoice([registry.require(home).id])
    held = _territorial(forces_in_store(reader), registry)
    if len(held) == 1:
        return ForceChoice(held, f"using {held[0]}, the only force in the store")
    local = _territorial(forces_in_store(reader, LOCAL_DATASETS), registry)
    if len(local) == 1:
        return ForceChoice(
            local,
            f"using {local[0]}, the only force with its own extracts in the store "
            "(set home_force in pcp.toml to choose another)",
        )
    raise UsageError("which force? give --force", hint=_which_hint(local or held))


def _territorial(ids: Sequence[str], registry: ForceRegistry) -> list[str]:
    return [f for f in ids if f in registry.forces and registry.forces[f].territorial]


def _which_hint(candidates: Sequence[str]) -> str:
    if not candidates:
        return "the store holds no force yet: ingest extracts first ('pcp ingest')"
    shown = ", ".join(candidates[:12]) + (
        f" and {len(candidates) - 12} more" if len(candidates) > 12 else ""
    )
    return (
        f'the store holds {shown}; set a default with home_force = "{candidates[0]}" in '
        "pcp.toml or $PCP_FORCE"
    )


def split_names(value: str, registry: ForceRegistry) -> list[str]:
    """Comma-separated force names, except that a whole known name ("London, City of") stays."""
    if registry.resolve(value) is not None:
        return [value]
    return [n.strip() for n in value.split(",") if n.strip()]
