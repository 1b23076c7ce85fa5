"""What every question is answered from, handed to each app function beside its request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from pcp_cli.analysis.peers.population import PopulationTable
from pcp_cli.config import Settings
from pcp_cli.engine import Engine
from pcp_cli.forces import ForceRegistry


@dataclass(frozen=True)
class Context:
    """The store (through ``engine``, which holds the KPI catalogue), the forces, and the
    settings (pcp.toml: comparator groups, known events, recording audits, file paths); the
    forces' populations are read from the store when first asked for."""

    engine: Engine
    registry: ForceRegistry
    settings: Settings

    @property
    def groups(self) -> Mapping[str, Sequence[str]]:
        return self.settings.groups

    @cached_property
    def populations(self) -> PopulationTable:
        return PopulationTable.from_reader(self.engine.reader)
