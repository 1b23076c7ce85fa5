"""Period comparison: this period against a baseline period, per KPI and force."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pcp_cli.engine import Engine
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Period, month_text

COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "force": pl.String,
    "force_name": pl.String,
    "section": pl.String,
    "kpi": pl.String,
    "label": pl.String,
    "polarity": pl.String,
    "unit": pl.String,
    "source": pl.String,
    "period": pl.String,
    "period_start": pl.String,
    "period_end": pl.String,
    "value": pl.Float64,
    "baseline_period": pl.String,
    "baseline_start": pl.String,
    "baseline_end": pl.String,
    "baseline_value": pl.Float64,
    "change": pl.Float64,
    "pct_change": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "baseline_numerator": pl.Float64,
    "baseline_denominator": pl.Float64,
    "complete": pl.Boolean,
    "missing_months": pl.String,
    "monthly": pl.List(pl.Float64),
    "baseline_monthly": pl.List(pl.Float64),
}


@dataclass(frozen=True)
class ComparePlan:
    kpis: list[Kpi]
    forces: list[str]
    period: Period
    baseline: Period
    allow_partial: bool = False


def compare(engine: Engine, registry: ForceRegistry, plan: ComparePlan) -> pl.DataFrame:
    rows = []
    for force in plan.forces:
        for kpi in plan.kpis:
            cur, base = engine.values(
                kpi, force, [plan.period, plan.baseline], allow_partial=plan.allow_partial
            )
            change = pct = None
            if cur.value is not None and base.value is not None:
                change = cur.value - base.value
                pct = change / base.value * 100 if base.value else None
            missing = sorted(set(cur.missing) | set(base.missing))
            rows.append(
                {
                    "force": force,
                    "force_name": registry.name(force),
                    "section": kpi.section,
                    "kpi": kpi.id,
                    "label": kpi.label,
                    "polarity": kpi.polarity,
                    "unit": kpi.unit,
                    "source": cur.dataset,
                    "period": plan.period.label,
                    "period_start": month_text(plan.period.start),
                    "period_end": month_text(plan.period.end),
                    "value": cur.value,
                    "baseline_period": plan.baseline.label,
                    "baseline_start": month_text(plan.baseline.start),
                    "baseline_end": month_text(plan.baseline.end),
                    "baseline_value": base.value,
                    "change": change,
                    "pct_change": pct,
                    "numerator": cur.numerator if kpi.kind != "count" else None,
                    "denominator": cur.denominator if kpi.kind != "count" else None,
                    "baseline_numerator": base.numerator if kpi.kind != "count" else None,
                    "baseline_denominator": base.denominator if kpi.kind != "count" else None,
                    "complete": not missing,
                    "missing_months": " ".join(month_text(m) for m in missing),
                    "monthly": list(cur.monthly),
                    "baseline_monthly": list(base.monthly),
                }
            )
    return pl.DataFrame(rows, schema=COLUMNS)
