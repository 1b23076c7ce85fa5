"""Whom a force is compared with: its dated Most Similar Group, every territorial force,
a named group from pcp.toml, or a custom list. City of London has no MSG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pcp_cli.errors import ConfigError, UsageError
from pcp_cli.forces import Force, ForceRegistry, describe_group
from pcp_cli.periods import Period, financial_year_start

ComparatorKind = Literal["msg", "national", "named", "custom"]


@dataclass(frozen=True)
class Comparator:
    """The forces a force is compared with: its MSG, all territorial forces or a named group.

    ``members`` starts with the home force; ``short`` names it in prose ("MSG").
    """

    kind: ComparatorKind
    name: str
    label: str
    short: str
    members: tuple[str, ...]
    source: str = ""


def resolve_comparator(
    spec: str,
    home: Force,
    registry: ForceRegistry,
    groups: Mapping[str, Sequence[str]],
    period: Period,
) -> tuple[Comparator, list[str]]:
    """``msg`` | ``national`` | a ``[groups]`` name from pcp.toml | comma-separated forces.

    The home force is always a member (HMIC includes the force in its own group average).
    City of London has no MSG: the comparison falls back to national with a warning.
    """
    text = spec.strip()
    key = text.casefold()
    warnings: list[str] = []
    if key in ("msg", "msf", "most-similar"):
        fy = financial_year_start(period.end)
        group = home.msg_for(fy)
        if group is None:
            warnings.append(
                f"{home.name} has no Most Similar Group (MSG) in {registry.path}; "
                "comparing with all territorial forces instead"
            )
            return _national(home, registry), warnings
        members = _members(home, group.members, registry, f"{home.id}'s MSG in {registry.path}")
        label = f"{home.name}'s Most Similar Group ({describe_group(group)})"
        source = f"{registry.path}" + (f", {group.source}" if group.source else "")
        return Comparator("msg", "msg", label, "MSG", members, source), warnings
    if key in ("national", "all", "england-and-wales"):
        return _national(home, registry), warnings
    named = {name.casefold(): name for name in groups}
    if key in named:
        name = named[key]
        members = _members(home, groups[name], registry, f"group '{name}' in pcp.toml")
        return (
            Comparator("named", name, f"group '{name}' (pcp.toml)", f"group {name}", members),
            warnings,
        )
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--group is empty", hint="use msg, national, a group name or forces")
    if len(names) == 1 and registry.resolve(names[0]) is None:
        known = ", ".join(sorted(groups)) or "none defined"
        raise UsageError(
            f"unknown group or force '{names[0]}'",
            hint=f"use msg, national, a [groups] name from pcp.toml ({known}) "
            "or a comma-separated list of forces",
        )
    forces = [registry.require(n).id for n in names]
    members = _members(home, forces, registry, "--group")
    return Comparator("custom", "custom", "custom group", "group", members), warnings


def _national(home: Force, registry: ForceRegistry) -> Comparator:
    members = [f.id for f in registry.territorial]
    ordered = (home.id, *[m for m in members if m != home.id])
    label = f"all territorial forces of England and Wales ({len(members)})"
    return Comparator("national", "national", label, "national", ordered)


def _members(
    home: Force, given: Sequence[str], registry: ForceRegistry, where: str
) -> tuple[str, ...]:
    out = [home.id]
    for name in given:
        fid = registry.resolve(name)
        if fid is None:
            raise ConfigError(f"{where}: unknown force '{name}'", hint=registry.suggest(name))
        if not registry.forces[fid].territorial:
            raise UsageError(
                f"{where}: {registry.name(fid)} is not a territorial police force and is "
                "never ranked",
                hint="groups hold territorial forces only",
            )
        out.append(fid)
    return tuple(dict.fromkeys(out))
