"""How much of a rise in recorded crime is due to better recording: one computation for
`pcp cdi` and the report (seed 003's method, :func:`pcp_cli.stats.cdi.cdi_estimate`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pcp_cli.engine import Engine
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Period
from pcp_cli.stats.cdi import CdiEstimate, cdi_estimate


@dataclass(frozen=True)
class RecordingShare:
    """The estimate for ``kpi`` over ``period`` against ``baseline`` at the audits given."""

    kpi: Kpi
    period: Period
    baseline: Period
    compliance: tuple[float, ...]
    estimate: CdiEstimate


def recording_share(
    engine: Engine,
    kpi: Kpi,
    force: str,
    period: Period,
    baseline: Period,
    compliance: Sequence[float],
) -> RecordingShare:
    """Count ``kpi`` in both periods (one dataset, as compare does) and estimate the crimes
    attributable to the rise in recording compliance. Raises PcpError without the data,
    ValueError on impossible figures (as :func:`cdi_estimate`)."""
    current, previous = engine.values(kpi, force, [period, baseline])
    if current.value is None or previous.value is None:
        raise ValueError(f"{kpi.id}: no count for {period.label} or {baseline.label}")
    estimate = cdi_estimate(current.value, previous.value, compliance)
    return RecordingShare(kpi, period, baseline, tuple(compliance), estimate)
