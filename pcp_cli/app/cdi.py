"""`pcp cdi` as one call: the counts (given or from the store) and the seed 003 estimate."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pcp_cli.app.window import resolve_window
from pcp_cli.engine import Engine
from pcp_cli.errors import UsageError
from pcp_cli.kpis import Catalogue
from pcp_cli.stats.cdi import cdi_estimate

METHOD = (
    "seed 003 (crime data integrity): expected at the old compliance = recorded × "
    "start compliance / average compliance"
)

COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "force": pl.String,
    "force_name": pl.String,
    "kpi": pl.String,
    "counts_from": pl.String,
    "period": pl.String,
    "baseline_period": pl.String,
    "recorded": pl.Float64,
    "previous": pl.Float64,
    "increase": pl.Float64,
    "pct_increase": pl.Float64,
    "compliance": pl.List(pl.Float64),
    "compliance_start": pl.Float64,
    "compliance_end": pl.Float64,
    "average_compliance": pl.Float64,
    "expected_at_start": pl.Float64,
    "attributable": pl.Float64,
    "share_of_increase": pl.Float64,
    "method": pl.String,
}


@dataclass(frozen=True)
class CdiRequest:
    """Compliance points in time order; counts given, or counted for ``kpi_id`` over
    ``period`` against ``vs`` from the store."""

    points: list[float]
    recorded: float | None = None
    previous: float | None = None
    kpi_id: str = "all-crime"
    period: str = "12m"
    vs: str = "previous"

    @property
    def needs_store(self) -> bool:
        return self.recorded is None or self.previous is None


@dataclass(frozen=True)
class StoreSide:
    """Where store counts come from: the engine and the force (id and display name)."""

    engine: Engine
    force: str
    force_name: str


@dataclass
class CdiOutcome:
    """The one-row frame (:data:`COLUMNS`) and diagnostics."""

    frame: pl.DataFrame
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Counts:
    recorded: float
    previous: float
    source: str = "given"
    force: str | None = None
    force_name: str | None = None
    kpi: str | None = None
    period: str | None = None
    baseline_period: str | None = None


def run_cdi(
    request: CdiRequest, catalogue: Catalogue, store: StoreSide | None = None
) -> CdiOutcome:
    """The share of a rise in recorded crime due to better recording (seed 003, 40-46)."""
    if len(request.points) < 2:
        raise UsageError(
            "give recording compliance at the start and the end",
            hint="--from 75.8 --to 87.4, or two or more --audit values in time order",
        )
    counts = _store_counts(request, catalogue, store) if store else _given(request)
    try:
        est = cdi_estimate(counts.recorded, counts.previous, request.points)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    row = {
        "force": counts.force,
        "force_name": counts.force_name,
        "kpi": counts.kpi,
        "counts_from": counts.source,
        "period": counts.period,
        "baseline_period": counts.baseline_period,
        "recorded": est.recorded,
        "previous": est.previous,
        "increase": est.increase,
        "pct_increase": est.increase / est.previous * 100 if est.previous else None,
        "compliance": request.points,
        "compliance_start": est.compliance_start,
        "compliance_end": request.points[-1],
        "average_compliance": est.average_compliance,
        "expected_at_start": est.expected_at_start,
        "attributable": est.attributable,
        "share_of_increase": est.share_of_increase,
        "method": METHOD,
    }
    warnings = []
    if est.share_of_increase is None:
        warnings.append("recorded crime did not rise, so no share of an increase can be attributed")
    return CdiOutcome(pl.DataFrame([row], schema=COLUMNS), warnings)


def _given(request: CdiRequest) -> _Counts:
    assert request.recorded is not None and request.previous is not None
    return _Counts(request.recorded, request.previous)


def _store_counts(request: CdiRequest, catalogue: Catalogue, store: StoreSide) -> _Counts:
    """Counts from the store for whichever of recorded/previous was not given."""
    kpis = catalogue.select(request.kpi_id)
    if len(kpis) != 1:
        raise UsageError("pcp cdi counts one KPI", hint="give a single KPI id to --kpi")
    kpi = kpis[0]
    if kpi.kind != "count":
        raise UsageError(f"{kpi.id} is not a count of crimes")
    engine, force = store.engine, store.force
    window = resolve_window(
        engine,
        [kpi],
        [force],
        request.period,
        request.vs,
        no_data=f"no data for KPI {kpi.id} for {force}",
    )
    cur_value, base_value = engine.values(kpi, force, [window.period, window.baseline])
    source = "store"
    if request.recorded is not None:
        source = "given/store"
    if request.previous is not None:
        source = "store/given"
    recorded = request.recorded if request.recorded is not None else cur_value.value
    previous = request.previous if request.previous is not None else base_value.value
    assert recorded is not None and previous is not None  # a count is never undefined
    return _Counts(
        recorded,
        previous,
        source,
        force,
        store.force_name,
        kpi.id,
        window.period.label,
        window.baseline.label,
    )
