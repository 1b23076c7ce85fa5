"""The force's position in its comparator group (MSG, national, …): one function for the
report and `pcp check` (and the same Ranker as `pcp rank`).

A KPI compared as counts is not ranked; a KPI no other group member has data for has no
position (rank's table shows "1 of 1"; here it is a reason, not a rank).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pcp_cli.analysis.peers.groups import Comparator
from pcp_cli.analysis.peers.population import PopulationTable
from pcp_cli.analysis.peers.ranking import KpiRanking, Ranker, RankPlan, measure_label, measure_of
from pcp_cli.engine import Engine
from pcp_cli.errors import PcpError
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Period


@dataclass(frozen=True)
class GroupPosition:
    """The force's place in its comparator group (from :class:`analysis.peers.ranking.Ranker`)."""

    group: str
    dataset: str
    measure: str
    rate: float | None
    rank: int | None
    ranked: int
    members: int
    national_rank: int | None
    national_ranked: int
    mean: float | None
    lower: float | None
    upper: float | None
    rag: str | None
    meaningful: bool | None
    incomplete_peers: tuple[str, ...] = ()  # group members whose data look incomplete
    home_incomplete: bool = False  # the force's own data look incomplete


@dataclass(frozen=True)
class MsgPositions:
    """The positions found, by KPI id, and for the other KPIs why not (one line each)."""

    found: dict[str, GroupPosition]
    reasons: dict[str, str]


def msg_positions(
    engine: Engine,
    registry: ForceRegistry,
    populations: PopulationTable,
    force: str,
    period: Period,
    baseline: Period,
    comparator: Comparator | None,
    kpis: Sequence[Kpi],
) -> MsgPositions:
    """The force's rank and RAG in ``comparator`` for each KPI (see the module docstring)."""
    if comparator is None:
        return MsgPositions({}, {})
    ranker = Ranker(
        engine, registry, populations, RankPlan(list(kpis), force, period, baseline, comparator)
    )
    held = {
        (dataset, key.split("/")[0])
        for dataset, body in engine.reader.manifest.datasets.items()
        for key in body.get("partitions", {})
    }
    found: dict[str, GroupPosition] = {}
    reasons: dict[str, str] = {}
    for kpi in kpis:
        position = _position(ranker, kpi, held, force, period, comparator)
        if isinstance(position, str):
            reasons[kpi.id] = position
        else:
            found[kpi.id] = position
    return MsgPositions(found, reasons)


def _position(
    ranker: Ranker,
    kpi: Kpi,
    held: set[tuple[str, str]],
    force: str,
    period: Period,
    comparator: Comparator,
) -> GroupPosition | str:
    """The position of one KPI, or the reason there is none."""
    if measure_of(kpi)[0] == "count":
        return "compared as counts (population = false in the KPI file): not ranked"
    # A quick look at the manifest first: ranking costs a read per force.
    peers = [f for f in comparator.members if f != force]
    lacking = [
        b
        for b in ranker.engine.base_kpis(kpi)
        if not any((d, f) in held for d in b.datasets for f in peers)
    ]
    if lacking:
        datasets = " or ".join(dict.fromkeys(d for b in lacking for d in b.datasets))
        return f"no other {comparator.short} force has {datasets} data in the store"
    try:
        result = ranker.rank(kpi)
    except PcpError as exc:
        return exc.message
    if result is None:
        return ranker.unavailable.get(kpi.id) or "no force in the group has comparable data"
    placed = result.group.placed.get(force)
    if placed is None:
        fig = result.figures[force]
        return f"not ranked ({fig.status}: {fig.detail})"
    if result.group.ranked < 2:
        return f"no other {comparator.short} force has {result.dataset} data for {period.label}"
    return _placed(result, kpi, force, comparator)


def _placed(result: KpiRanking, kpi: Kpi, force: str, comparator: Comparator) -> GroupPosition:
    placed = result.group.placed[force]
    summary = result.group.summary
    national = result.national.placed.get(force)
    home_quality = result.quality.get(force)
    return GroupPosition(
        group=comparator.short,
        dataset=result.dataset,
        measure=measure_label(result.measure, kpi),
        rate=placed.value,
        rank=placed.rank,
        ranked=result.group.ranked,
        members=len(comparator.members),
        national_rank=national.rank if national else None,
        national_ranked=result.national.ranked,
        mean=summary.mean if summary else None,
        lower=summary.lower if summary else None,
        upper=summary.upper if summary else None,
        rag=placed.rag,
        meaningful=placed.meaningful,
        incomplete_peers=tuple(
            f
            for f in comparator.members
            if f != force
            and (check := result.quality.get(f)) is not None
            and check.probably_incomplete
        ),
        home_incomplete=home_quality is not None and home_quality.probably_incomplete,
    )
