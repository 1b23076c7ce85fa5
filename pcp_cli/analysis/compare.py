"""Period comparison: this period against a baseline period, per KPI and force."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pcp_cli.analysis.significance import (
    DEFAULT_ALPHA,
    ChangeTest,
    count_change,
    proportion_change,
    proportion_rag,
    proportion_summary,
    small_sample_note,
)
from pcp_cli.engine import Engine, PeriodValue
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
    # Significance of the change (analysis/significance.py); see docs/statistics.md.
    "test": pl.String,
    "statistic": pl.Float64,
    "p_value": pl.Float64,
    "alpha": pl.Float64,
    "verdict": pl.String,
    "diff_lower": pl.Float64,
    "diff_upper": pl.Float64,
    # Proportion KPIs (surveys): p, n and the Wilson interval (in the value's unit) per period.
    "p": pl.Float64,
    "n": pl.Float64,
    "ci_lower": pl.Float64,
    "ci_upper": pl.Float64,
    "baseline_p": pl.Float64,
    "baseline_n": pl.Float64,
    "baseline_ci_lower": pl.Float64,
    "baseline_ci_upper": pl.Float64,
    "rag": pl.String,
    "rag_test": pl.String,
    "notes": pl.String,
}


@dataclass(frozen=True)
class ComparePlan:
    kpis: list[Kpi]
    forces: list[str]
    period: Period
    baseline: Period
    allow_partial: bool = False
    alpha: float = DEFAULT_ALPHA


def compare(engine: Engine, registry: ForceRegistry, plan: ComparePlan) -> pl.DataFrame:
    rows = []
    for force in plan.forces:
        for kpi in plan.kpis:
            cur, base = engine.values(
                kpi, force, [plan.period, plan.baseline], allow_partial=plan.allow_partial
            )
            rows.append(compare_row(kpi, force, registry.name(force), cur, base, plan))
    return pl.DataFrame(rows, schema=COLUMNS)


def compare_row(
    kpi: Kpi, force: str, force_name: str, cur: PeriodValue, base: PeriodValue, plan: ComparePlan
) -> dict[str, object]:
    """One compare row (:data:`COLUMNS`): the two values, the change and its verdict.

    The rows of ``pcp compare --by`` (one per area) are made by this same function."""
    change = pct = None
    if cur.value is not None and base.value is not None:
        change = cur.value - base.value
        pct = change / base.value * 100 if base.value else None
    missing = sorted(set(cur.missing) | set(base.missing))
    return {
        "force": force,
        "force_name": force_name,
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
        **significance_columns(kpi, cur, base, plan),
    }


SIGNIFICANCE_COLUMNS = (
    "test",
    "statistic",
    "p_value",
    "alpha",
    "verdict",
    "diff_lower",
    "diff_upper",
    "p",
    "n",
    "ci_lower",
    "ci_upper",
    "baseline_p",
    "baseline_n",
    "baseline_ci_lower",
    "baseline_ci_upper",
    "rag",
    "rag_test",
    "notes",
)


def significance_columns(
    kpi: Kpi, cur: PeriodValue, base: PeriodValue, plan: ComparePlan
) -> dict[str, object]:
    """The significance columns of one compare row (all ``None`` where they do not apply)."""
    out: dict[str, object] = dict.fromkeys(SIGNIFICANCE_COLUMNS)
    out["alpha"] = plan.alpha
    notes: list[str] = []
    change: ChangeTest | None = None
    if kpi.kind == "count":
        if cur.value is not None and base.value is not None:
            change = count_change(
                cur.value,
                base.value,
                plan.period.length - len(cur.missing),
                plan.baseline.length - len(base.missing),
                plan.alpha,
            )
    elif None not in (cur.numerator, cur.denominator, base.numerator, base.denominator):
        x1, n1 = float(cur.numerator), float(cur.denominator)  # type: ignore[arg-type]
        x2, n2 = float(base.numerator), float(base.denominator)  # type: ignore[arg-type]
        change = proportion_change(x1, n1, x2, n2, plan.alpha, kpi.scale)
        if kpi.kind == "proportion":
            for prefix, x, n in (("", x1, n1), ("baseline_", x2, n2)):
                summary = proportion_summary(x, n, kpi.scale)
                if summary is not None:
                    out[f"{prefix}p"] = summary.p
                    out[f"{prefix}n"] = summary.n
                    out[f"{prefix}ci_lower"] = summary.lower
                    out[f"{prefix}ci_upper"] = summary.upper
                note = small_sample_note(n)
                if note:
                    notes.append(("baseline " if prefix else "") + note)
            rag = proportion_rag(x1, n1, x2, n2, kpi.polarity, change)
            if rag is not None:
                out["rag"], out["rag_test"] = rag
    else:
        notes.append("no denominator in one period: not tested")
    if change is not None:
        out["test"] = change.test
        out["statistic"] = change.statistic
        out["p_value"] = change.p_value
        out["verdict"] = change.verdict
        out["diff_lower"] = change.diff_lower
        out["diff_upper"] = change.diff_upper
        notes = [*change.notes, *notes]
    out["notes"] = "; ".join(notes) or None
    return out
