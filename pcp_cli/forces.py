"""The forces of England and Wales: canonical ids, names, spellings and peer groups."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcp_cli.errors import ConfigError, UsageError
from pcp_cli.periods import financial_year_label
from pcp_cli.tomlload import load_toml


def normalise_name(name: str) -> str:
    """Spelling-insensitive key: case, '&' versus 'and', punctuation and spaces ignored."""
    s = name.casefold().replace("&", " and ")
    return re.sub(r"[^0-9a-z]+", "", s)


@dataclass(frozen=True)
class PeerGroup:
    valid_from: int  # start year of the financial year from which the group applies
    members: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Force:
    id: str
    name: str
    territorial: bool
    country: str
    region: str
    aliases: tuple[str, ...]
    msg: tuple[PeerGroup, ...]

    def msg_for(self, financial_year: int) -> PeerGroup | None:
        """The Most Similar Group in force for a financial year (latest dated one before it)."""
        valid = [g for g in self.msg if g.valid_from <= financial_year]
        if valid:
            return max(valid, key=lambda g: g.valid_from)
        # A period before every dated group: use the earliest rather than nothing.
        return min(self.msg, key=lambda g: g.valid_from) if self.msg else None


class ForceRegistry:
    def __init__(self, forces: list[Force], path: Path) -> None:
        self.path = path
        self.forces = {f.id: f for f in forces}
        self._by_name: dict[str, str] = {}
        for f in forces:
            for spelling in (f.id, f.name, *f.aliases):
                key = normalise_name(spelling)
                other = self._by_name.get(key)
                if other is not None and other != f.id:
                    raise ConfigError(
                        f"{path}: the spelling '{spelling}' names both {other} and {f.id}"
                    )
                self._by_name[key] = f.id

    def resolve(self, name: str) -> str | None:
        """Canonical id for any known spelling, or None."""
        return self._by_name.get(normalise_name(name))

    def require(self, name: str) -> Force:
        """The force for a user-given name, or a usage error with the closest matches."""
        fid = self.resolve(name)
        if fid is None:
            raise UsageError(f"unknown force '{name}'", hint=self.suggest(name))
        return self.forces[fid]

    def suggest(self, name: str) -> str:
        candidates = {normalise_name(n): fid for n, fid in self._name_pairs()}
        close = difflib.get_close_matches(normalise_name(name), list(candidates), n=3, cutoff=0.5)
        ids = list(dict.fromkeys(candidates[c] for c in close))  # best match first
        if ids:
            return "did you mean " + ", ".join(ids) + "?"
        return "see config/forces.toml for the force ids"

    def _name_pairs(self) -> list[tuple[str, str]]:
        return [(s, f.id) for f in self.forces.values() for s in (f.id, f.name, *f.aliases)]

    @property
    def territorial(self) -> list[Force]:
        return [f for f in self.forces.values() if f.territorial]

    def name(self, fid: str) -> str:
        f = self.forces.get(fid)
        return f.name if f else fid


# A force id names folders in the store (data/<dataset>/force=<id>/): a slug, never a path.
FORCE_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_FORCE_KEYS = {"name", "territorial", "country", "region", "aliases", "msg"}
_MSG_KEYS = {"from", "members", "source"}


def _fy_start(text: str, where: str) -> int:
    m = re.fullmatch(r"(\d{4})/(\d{2})", text.strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ConfigError(f"{where}: 'from' must be a financial year such as 2018/19, not '{text}'")
    return int(m.group(1))


def load_forces(path: Path) -> ForceRegistry:
    """Load and validate a forces file; a ConfigError names the first problem."""
    registry, problems = check_forces(path)
    if problems or registry is None:
        first = problems[0] if problems else f"{path}: invalid"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{first}{more}")
    return registry


def check_forces(path: Path) -> tuple[ForceRegistry | None, list[str]]:
    """Every problem of a forces file, each naming the force table; the registry if none."""
    doc, _ = load_toml(path, "forces file")
    table = doc.get("force")
    if not isinstance(table, dict) or not table:
        return None, [f"{path}: no [force.<id>] tables found"]
    problems: list[str] = []
    forces: list[Force] = []
    for fid, body in table.items():
        where = f"{path}: [force.{_shown(fid)}]"
        if not FORCE_ID_RE.fullmatch(fid):
            problems.append(
                f"{where}: the id must be a lowercase slug of letters, digits and hyphens "
                "(e.g. city-of-london), as data.police.uk file names use it"
            )
            continue
        try:
            forces.append(_parse_force(fid, body, path))
        except ConfigError as exc:
            problems.append(exc.message)
    known = set(table)
    for force in forces:
        for i, group in enumerate(force.msg):
            unknown = [m for m in group.members if m not in known]
            if unknown:
                problems.append(
                    f"{path}: [force.{force.id}] msg[{i}]: unknown member force id(s) "
                    + ", ".join(_shown(m) for m in unknown)
                )
    if problems:
        return None, problems
    try:
        return ForceRegistry(forces, path), []
    except ConfigError as exc:
        return None, [exc.message]


def _shown(text: str) -> str:
    """An id as the file spells it, control characters escaped, cut to a readable length."""
    return repr(text[:60])[1:-1]


def _parse_force(fid: str, body: Any, path: Path) -> Force:
    where = f"{path}: [force.{fid}]"
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(body) - _FORCE_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key '{_shown(unknown[0])}' "
            f"(allowed: {', '.join(sorted(_FORCE_KEYS))})"
        )
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' is required")
    aliases = body.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ConfigError(f"{where}: 'aliases' must be a list of strings")
    territorial = body.get("territorial", True)
    if not isinstance(territorial, bool):
        raise ConfigError(f"{where}: 'territorial' must be true or false")
    for key in ("country", "region"):
        if not isinstance(body.get(key, ""), str):
            raise ConfigError(f"{where}: '{key}' must be text")
    return Force(
        id=fid,
        name=name,
        territorial=territorial,
        country=str(body.get("country", "")),
        region=str(body.get("region", "")),
        aliases=tuple(aliases),
        msg=_peer_groups(body.get("msg", []), where),
    )


def _peer_groups(raw: Any, where: str) -> tuple[PeerGroup, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: 'msg' must be a list of [[force.<id>.msg]] tables")
    groups = []
    for i, g in enumerate(raw):
        gw = f"{where} msg[{i}]"
        if not isinstance(g, dict) or set(g) - _MSG_KEYS:
            raise ConfigError(f"{gw}: must be a table of from, members and source")
        members = g.get("members")
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ConfigError(f"{gw}: 'members' must be a list of force ids")
        start = g.get("from", "2000/01")
        if not isinstance(start, str):
            raise ConfigError(f"{gw}: 'from' must be a financial year such as 2018/19")
        groups.append(
            PeerGroup(
                valid_from=_fy_start(start, gw),
                members=tuple(members),
                source=str(g.get("source", "")),
            )
        )
    return tuple(groups)


def describe_group(group: PeerGroup) -> str:
    return f"valid from {financial_year_label(group.valid_from)}"
