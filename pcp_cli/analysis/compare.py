"""Period comparison: this period against a baseline period, per KPI and force."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pcp_cli import text
from pcp_cli.analysis.columns import FORCE_KPI, force_kpi
from pcp_cli.analysis.significance import (
    DEFAULT_ALPHA,
    ChangeTest,
    CountHistory,
    count_verdict,
    proportion_change,
    proportion_rag,
    proportion_summary,
    small_sample_note,
)
from pcp_cli.engine import Engine, PeriodValue
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Month, Period, month_text

HISTORY_MONTHS = 36
"""The months of a KPI's history (to the end of the current period) its dispersion is from."""

CHANGE_ON_TOTALS = "total"
CHANGE_ON_MONTHLY_AVERAGE = text.MONTHLY_AVERAGE

COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    **FORCE_KPI,
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
    # "total", or "monthly average" when the periods differ in length (3 months against 12).
    "change_basis": pl.String,
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
    # Counts: the KPI's dispersion φ (>= 1) the verdict allows for, and the plain Poisson p.
    "dispersion": pl.Float64,
    "p_value_poisson": pl.Float64,
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
    # (force, KPI id) pairs left out: a KPI one force has no data for (noted for that force).
    left_out: frozenset[tuple[str, str]] = frozenset()


def compare(engine: Engine, registry: ForceRegistry, plan: ComparePlan) -> pl.DataFrame:
    rows = []
    for force in plan.forces:
        for kpi in plan.kpis:
            if (force, kpi.id) in plan.left_out:
                continue
            cur, base = engine.values(
                kpi, force, [plan.period, plan.baseline], allow_partial=plan.allow_partial
            )
            history = force_history(engine, kpi, force, cur.dataset, plan.period.end)
            rows.append(compare_row(kpi, force, registry.name(force), cur, base, plan, history))
    return pl.DataFrame(rows, schema=COLUMNS)


def force_history(
    engine: Engine, kpi: Kpi, force: str, dataset: str, end: Month
) -> CountHistory | None:
    """The force's history of a count KPI for its dispersion (``None`` for other kinds)."""
    return count_history(engine, kpi, force, dataset, end) if kpi.kind == "count" else None


def compare_row(
    kpi: Kpi,
    force: str,
    force_name: str,
    cur: PeriodValue,
    base: PeriodValue,
    plan: ComparePlan,
    history: CountHistory | None,
) -> dict[str, object]:
    """One compare row (:data:`COLUMNS`): the two values, the change and its verdict.

    ``history`` is the KPI's monthly history to the end of the current period, from which
    the verdict's dispersion is estimated. The rows of ``pcp compare --by`` (one per area,
    each with the area's own history) are made by this same function."""
    change, pct, basis = _change(kpi, cur, base, plan, history)
    missing = sorted(set(cur.missing) | set(base.missing))
    return {
        **force_kpi(kpi, force, force_name),
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
        "change_basis": basis,
        "numerator": cur.numerator if kpi.kind != "count" else None,
        "denominator": cur.denominator if kpi.kind != "count" else None,
        "baseline_numerator": base.numerator if kpi.kind != "count" else None,
        "baseline_denominator": base.denominator if kpi.kind != "count" else None,
        "complete": not missing,
        "missing_months": " ".join(month_text(m) for m in missing),
        "monthly": list(cur.monthly),
        "baseline_monthly": list(base.monthly),
        **significance_columns(kpi, cur, base, plan, history),
    }


def _months_with_data(period: Period, value: PeriodValue) -> int:
    return period.length - len(value.missing)


def _change(
    kpi: Kpi,
    cur: PeriodValue,
    base: PeriodValue,
    plan: ComparePlan,
    history: CountHistory | None,
) -> tuple[float | None, float | None, str | None]:
    """Change, % change and their basis: totals, or monthly averages for a count KPI whose
    periods differ in length (818 in 3 months against 3,615 in 12 is −9.5%, not −77.4%).
    A 12-month stock (repeat victims: a period's value is its last month's) stays on totals."""
    if cur.value is None or base.value is None:
        return None, None, None
    now, before, basis = cur.value, base.value, CHANGE_ON_TOTALS
    stock = history is not None and history.stock
    if kpi.kind == "count" and plan.period.length != plan.baseline.length and not stock:
        months_now = _months_with_data(plan.period, cur)
        months_before = _months_with_data(plan.baseline, base)
        if months_now > 0 and months_before > 0:
            now, before = now / months_now, before / months_before
            basis = CHANGE_ON_MONTHLY_AVERAGE
    change = now - before
    return change, (change / before * 100 if before else None), basis


def count_history(engine: Engine, kpi: Kpi, force: str, dataset: str, end: Month) -> CountHistory:
    """The KPI's counts in ``dataset`` in the 36 months to ``end``, oldest first, ``None``
    for a month without data; quarterly (or longer) rows count as one point each."""
    series = engine.series(kpi, force, dataset)
    if series is None:
        return CountHistory(())
    if series.stock:
        return CountHistory((), stock=True)
    first = end - HISTORY_MONTHS + 1
    by_start: dict[int, tuple[int, float]] = {}
    for m, span, n in series.rows.select("m", "span", "n").iter_rows():
        if m >= first and m + span - 1 <= end:
            by_start[m] = (span, float(n))
    if not by_start:
        return CountHistory(())
    step = min(span for span, _ in by_start.values())
    counts = tuple(
        by_start[m][1] if m in by_start else None for m in range(min(by_start), end + 1, step)
    )
    return CountHistory(counts, step)


SIGNIFICANCE_COLUMNS = (
    "test",
    "statistic",
    "p_value",
    "dispersion",
    "p_value_poisson",
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
    kpi: Kpi,
    cur: PeriodValue,
    base: PeriodValue,
    plan: ComparePlan,
    history: CountHistory | None,
) -> dict[str, object]:
    """The significance columns of one compare row (all ``None`` where they do not apply)."""
    out: dict[str, object] = dict.fromkeys(SIGNIFICANCE_COLUMNS)
    out["alpha"] = plan.alpha
    notes: list[str] = []
    change: ChangeTest | None = None
    if kpi.kind == "count":
        if cur.value is not None and base.value is not None:
            change = count_verdict(
                cur.value,
                base.value,
                _months_with_data(plan.period, cur),
                _months_with_data(plan.baseline, base),
                history if history is not None else CountHistory(()),
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
        out["dispersion"] = change.dispersion
        out["p_value_poisson"] = change.p_value_poisson
        out["verdict"] = change.verdict
        out["diff_lower"] = change.diff_lower
        out["diff_upper"] = change.diff_upper
        notes = [*change.notes, *notes]
    out["notes"] = "; ".join(notes) or None
    return out
