"""`pcp check` as one call: every force, every KPI at its own latest month.

Each KPI is checked over the period anchored at the latest month IT has data for (or at
``--to``), so a newer month of street data is looked at as soon as it is ingested, even
when the Home Office table or a survey ends earlier. KPIs that share a window are checked
together (the MSG RAG reads several KPIs at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from pcp_cli.analysis.check import CheckKind, CheckPlan, FailRule, run_checks
from pcp_cli.analysis.comparator import Comparator, resolve_comparator
from pcp_cli.analysis.population import PopulationTable
from pcp_cli.app.areas import check_by_area
from pcp_cli.app.window import Window, kpi_windows
from pcp_cli.config import Settings
from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError
from pcp_cli.events import KnownEvent
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Kpi


@dataclass(frozen=True)
class CheckRequest:
    """The options of one check run."""

    kpis: list[Kpi]
    period: str
    vs: str
    to_month: str | None
    fail_on: tuple[FailRule, ...]
    checks: tuple[CheckKind, ...]
    recent: int
    group: str
    alpha: float
    by: str | None = None  # --by: the compare check per area (app.areas.check_by_area)


@dataclass
class CheckOutcome:
    """Every finding, the period label for the summary, and diagnostics for stderr."""

    frame: pl.DataFrame
    label: str
    kpis_checked: int
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_check(
    engine: Engine,
    registry: ForceRegistry,
    populations: PopulationTable,
    settings: Settings,
    forces: Sequence[str],
    request: CheckRequest,
) -> CheckOutcome:
    """Check every force (see the module docstring); NoDataError when a force has no data."""
    frames: list[pl.DataFrame] = []
    labels: list[str] = []
    warnings: list[str] = []
    notes: list[str] = []
    checked = 0
    for force in forces:
        windows = kpi_windows(
            engine, request.kpis, force, request.period, request.vs, request.to_month
        )
        if not windows:
            raise NoDataError(
                f"the store holds no data for {registry.name(force)} for the selected KPIs",
                hint="run 'pcp periods' to see what the store holds",
            )
        ran = 0
        for window, kpis in windows.items():
            comparator, said = _comparator(registry, settings, force, request, window)
            (warnings if comparator is not None else notes).extend(said)
            plan = _plan(request, force, window, kpis, comparator, settings.events)
            notes.append(
                f"checking {force}: {window.period.label} against {window.baseline.label} "
                f"({len(kpis)} KPI(s))"
            )
            try:
                result = (
                    run_checks(engine, registry, populations, plan)
                    if request.by is None
                    else check_by_area(engine, registry, populations, plan, request.by)
                )
            except NoDataError as exc:
                warnings.append(exc.message)
                continue
            warnings.extend(result.warnings)
            frames.append(result.frame)
            labels.append(window.period.label)
            ran += result.kpis_checked
        checked = max(checked, ran)
    if not frames:
        raise NoDataError(
            "nothing to check: " + (warnings[-1] if warnings else "no data"),
            hint="see which months the store holds with 'pcp periods'",
        )
    frame = _in_kpi_order(pl.concat(frames, how="vertical"), request.kpis)
    label = labels[0] if len(set(labels)) == 1 else "each KPI to its latest month"
    return CheckOutcome(
        frame, label, checked, list(dict.fromkeys(warnings)), list(dict.fromkeys(notes))
    )


def _plan(
    request: CheckRequest,
    force: str,
    window: Window,
    kpis: list[Kpi],
    comparator: Comparator | None,
    events: tuple[KnownEvent, ...] = (),
) -> CheckPlan:
    return CheckPlan(
        kpis=kpis,
        force=force,
        period=window.period,
        baseline=window.baseline,
        fail_on=request.fail_on,
        recent=request.recent,
        alpha=request.alpha,
        comparator=comparator,
        checks=request.checks,
        events=events,
    )


def _in_kpi_order(frame: pl.DataFrame, kpis: Sequence[Kpi]) -> pl.DataFrame:
    """Rows by force (as asked), then in the KPI order of the request (stable)."""
    order = {k.id: i for i, k in enumerate(kpis)}
    forces = list(dict.fromkeys(frame["force"].to_list()))
    ranks = {f: i for i, f in enumerate(forces)}
    return (
        frame.with_row_index("_row")
        .with_columns(
            pl.col("force").replace_strict(ranks, return_dtype=pl.Int64).alias("_force"),
            pl.col("kpi").replace_strict(order, return_dtype=pl.Int64).alias("_kpi"),
        )
        .sort("_force", "_kpi", "_row")
        .drop("_row", "_force", "_kpi")
    )


def _comparator(
    registry: ForceRegistry,
    settings: Settings,
    force: str,
    request: CheckRequest,
    window: Window,
) -> tuple[Comparator | None, list[str]]:
    """The MSG (or --group) of a territorial force; None for other forces (no RAG)."""
    home = registry.forces[force]
    if "rank" not in request.checks:
        return None, []
    if not home.territorial:
        return None, [f"{home.name} is not a territorial force: no MSG RAG"]
    comparator, messages = resolve_comparator(
        request.group, home, registry, settings.groups, window.period
    )
    return comparator, list(messages)
