"""What the app functions that compare a force with its peers read beside their request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from pcp_cli.analysis.peers.population import PopulationTable
from pcp_cli.engine import Engine
from pcp_cli.forces import ForceRegistry


@dataclass(frozen=True)
class PeerContext:
    """The store (through ``engine``), the forces, and pcp.toml's comparator ``groups``;
    the forces' populations are read from the store when first asked for."""

    engine: Engine
    registry: ForceRegistry
    groups: Mapping[str, Sequence[str]]

    @cached_property
    def populations(self) -> PopulationTable:
        return PopulationTable.from_reader(self.engine.reader)
