"""`pcp compare` as one call: which KPIs apply, the window, and the comparison rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from pcp_cli.analysis.compare import ComparePlan, compare
from pcp_cli.analysis.significance import POISSON_FALLBACK
from pcp_cli.app.context import Context
from pcp_cli.app.window import Window, resolve_window
from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError
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
    context: Context, forces: Sequence[str], request: CompareRequest
) -> CompareOutcome:
    """Compare every KPI with data for every force; a KPI a force has no data for is left
    out for that force only, with a warning naming it (a KPI asked for alone that no force
    has data for is an error)."""
    engine, registry = context.engine, context.registry
    warnings: list[str] = []
    engine.preload(request.kpis, list(forces))
    selected, left_out = _with_data(engine, request.kpis, forces, warnings)
    window = resolve_window(engine, selected, forces, request.period, request.vs, request.to_month)
    if len(selected) > 1:
        selected, left_out = _in_window(engine, selected, forces, window, left_out, warnings)
    frame = compare(
        engine,
        registry,
        ComparePlan(
            selected, list(forces), window.period, window.baseline, request.allow_partial,
            request.alpha, frozenset(left_out),
        ),
    )  # fmt: skip
    if not frame["complete"].all():
        warnings.append(
            "some rows have missing months (see missing_months); their figures are partial"
        )
    for r in frame.filter(pl.col("notes").is_not_null()).iter_rows(named=True):
        # Too little history for the KPI's own variation is a choice of test, said in the
        # row's notes and test columns, not a problem with the data: no warning for it.
        notes = [n for n in r["notes"].split("; ") if POISSON_FALLBACK not in n]
        if notes:
            warnings.append(f"{r['kpi']} ({r['force']}): {'; '.join(notes)}")
    return CompareOutcome(frame, window, warnings)


def _left_out_warnings(
    left_out: set[tuple[str, str]], forces: Sequence[str], kpis: Sequence[Kpi], why: str
) -> list[str]:
    """One line per force naming the KPIs left out for it (in the KPI file's order)."""
    lines = []
    for force in forces:
        ids = [k.id for k in kpis if (force, k.id) in left_out]
        if ids:
            lines.append(f"{force}: {len(ids)} KPI(s) {why} and are left out: {', '.join(ids)}")
    return lines


def _with_data(
    engine: Engine, kpis: Sequence[Kpi], forces: Sequence[str], warnings: list[str]
) -> tuple[list[Kpi], set[tuple[str, str]]]:
    """The KPIs some force has data for, and the (force, KPI) pairs without data."""
    selected: list[Kpi] = []
    left_out: set[tuple[str, str]] = set()
    for kpi in kpis:
        lacking = [f for f in forces if not engine.has_data(kpi, f)]
        if len(kpis) == 1 and len(lacking) == len(forces):
            raise NoDataError(
                f"no data for KPI {kpi.id} for {', '.join(lacking)}",
                hint=f"it is counted from: {', '.join(source_datasets(engine.catalogue, kpi.id))}",
            )
        left_out |= {(f, kpi.id) for f in lacking}
        if len(lacking) < len(forces):
            selected.append(kpi)
    warnings += _left_out_warnings(left_out, forces, kpis, "have no data in the store")
    if not selected:
        raise NoDataError("none of the selected KPIs has data in the store")
    return selected, left_out


def _in_window(
    engine: Engine,
    selected: list[Kpi],
    forces: Sequence[str],
    window: Window,
    left_out: set[tuple[str, str]],
    warnings: list[str],
) -> tuple[list[Kpi], set[tuple[str, str]]]:
    """Leave out, force by force, KPIs whose data lie wholly outside both periods (a Home
    Office table of another year, say); a partly covered one is still an error, later."""
    current, baseline = window.period, window.baseline
    periods = [current, baseline]
    outside = {
        (f, k.id)
        for k in selected
        for f in forces
        if (f, k.id) not in left_out and not engine.holds_any(k, f, periods)
    }
    warnings += [
        line + " ('pcp periods' shows the months the store holds)"
        for line in _left_out_warnings(
            outside, forces, selected, f"have no data for {current.label} or {baseline.label}"
        )
    ]
    left_out = left_out | outside
    kept = [k for k in selected if any((f, k.id) not in left_out for f in forces)]
    if not kept:
        raise NoDataError(
            f"none of the selected KPIs has data for {current.label} or {baseline.label}",
            hint="'pcp periods' shows the months the store holds",
        )
    return kept, left_out


def source_datasets(catalogue: Catalogue, kpi_id: str) -> list[str]:
    """The datasets a KPI is counted from (both sides of a ratio)."""
    kpi = catalogue.kpis[kpi_id]
    if kpi.kind == "ratio" and kpi.numerator and kpi.denominator:
        return source_datasets(catalogue, kpi.numerator) + source_datasets(
            catalogue, kpi.denominator
        )
    return list(kpi.datasets)
