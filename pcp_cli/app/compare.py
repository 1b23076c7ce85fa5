"""`pcp compare` as one call: which KPIs apply, the window, and the comparison rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from pcp_cli.analysis.compare import ComparePlan, compare
from pcp_cli.app.window import Window, resolve_window
from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Catalogue, Kpi


@dataclass(frozen=True)
class CompareRequest:
    """The options of one comparison."""

    kpis: list[Kpi]
    period: str
    vs: str = "last-year"
    to_month: str | None = None
    allow_partial: bool = False
    alpha: float = 0.05


@dataclass
class CompareOutcome:
    """The compare rows (analysis.compare.COLUMNS), the window and diagnostics."""

    frame: pl.DataFrame
    window: Window
    warnings: list[str] = field(default_factory=list)


def run_comparison(
    engine: Engine, registry: ForceRegistry, forces: Sequence[str], request: CompareRequest
) -> CompareOutcome:
    """Compare every KPI with data for every force; KPIs without data are left out with a
    warning (a single KPI without data is an error)."""
    warnings: list[str] = []
    engine.preload(request.kpis, list(forces))
    selected = _with_data(engine, request.kpis, forces, warnings)
    window = resolve_window(engine, selected, forces, request.period, request.vs, request.to_month)
    if len(selected) > 1:
        selected = _in_window(engine, selected, forces, window, warnings)
    frame = compare(
        engine,
        registry,
        ComparePlan(
            selected, list(forces), window.period, window.baseline, request.allow_partial,
            request.alpha,
        ),
    )  # fmt: skip
    if not frame["complete"].all():
        warnings.append(
            "some rows have missing months (see missing_months); their figures are partial"
        )
    for r in frame.filter(pl.col("notes").is_not_null()).iter_rows(named=True):
        warnings.append(f"{r['kpi']} ({r['force']}): {r['notes']}")
    return CompareOutcome(frame, window, warnings)


def _with_data(
    engine: Engine, kpis: Sequence[Kpi], forces: Sequence[str], warnings: list[str]
) -> list[Kpi]:
    selected: list[Kpi] = []
    left_out: list[Kpi] = []
    for kpi in kpis:
        lacking = [f for f in forces if not engine.has_data(kpi, f)]
        if lacking and len(kpis) == 1:
            raise NoDataError(
                f"no data for KPI {kpi.id} for {', '.join(lacking)}",
                hint=f"it is counted from: {', '.join(source_datasets(engine.catalogue, kpi.id))}",
            )
        (left_out if lacking else selected).append(kpi)
    if left_out:
        warnings.append(
            f"{len(left_out)} KPI(s) have no data in the store for "
            f"{', '.join(forces)} and are left out: {', '.join(k.id for k in left_out)}"
        )
    if not selected:
        raise NoDataError("none of the selected KPIs has data in the store")
    return selected


def _in_window(
    engine: Engine,
    selected: list[Kpi],
    forces: Sequence[str],
    window: Window,
    warnings: list[str],
) -> list[Kpi]:
    """Leave out KPIs whose data lie wholly outside both periods (a Home Office table of
    another year, say); a partly covered one is still an error, later."""
    current, baseline = window.period, window.baseline
    periods = [current, baseline]
    outside = [k for k in selected if not any(engine.holds_any(k, f, periods) for f in forces)]
    if outside:
        warnings.append(
            f"{len(outside)} KPI(s) have no data for {current.label} or "
            f"{baseline.label} and are left out: {', '.join(k.id for k in outside)} "
            "('pcp periods' shows the months the store holds)"
        )
    kept = [k for k in selected if k not in outside]
    if not kept:
        raise NoDataError(
            f"none of the selected KPIs has data for {current.label} or {baseline.label}",
            hint="'pcp periods' shows the months the store holds",
        )
    return kept


def source_datasets(catalogue: Catalogue, kpi_id: str) -> list[str]:
    """The datasets a KPI is counted from (both sides of a ratio)."""
    kpi = catalogue.kpis[kpi_id]
    if kpi.kind == "ratio" and kpi.numerator and kpi.denominator:
        return source_datasets(catalogue, kpi.numerator) + source_datasets(
            catalogue, kpi.denominator
        )
    return list(kpi.datasets)
