"""`pcp check` as one call: every force, every KPI at its own latest month.

Each KPI is checked over the period anchored at the latest month IT has data for (or at
``--to``), so a newer month of street data is looked at as soon as it is ingested, even
when the Home Office table or a survey ends earlier. KPIs that share a window are checked
together (the MSG RAG reads several KPIs at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pcp_cli.analysis.check import (
    CHECKS,
    COLUMNS,
    CheckKind,
    CheckPlan,
    CheckResult,
    FailRule,
    FindingCollector,
    rag_rules,
)
from pcp_cli.analysis.check import finding_value as _num
from pcp_cli.analysis.peers.groups import Comparator, resolve_comparator
from pcp_cli.analysis.peers.population import PopulationTable
from pcp_cli.analysis.peers.ranking import measure_of
from pcp_cli.app.areas import check_by_area
from pcp_cli.app.context import Context
from pcp_cli.app.position import msg_positions
from pcp_cli.app.spc import spc_status
from pcp_cli.app.window import Window, kpi_windows
from pcp_cli.config import Settings
from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError
from pcp_cli.events import KnownEvent
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Period, month_text, parse_month


class _CheckRun(FindingCollector):
    """The findings of one force's checks: the analysis layer's compare findings, and the
    SPC and MSG-position findings read from the application's one answer for each."""

    # -- SPC -------------------------------------------------------------------------
    def spc(self, kpi: Kpi) -> None:
        """The one SPC status (:func:`pcp_cli.app.spc.spc_status`), read over the latest
        ``recent`` points of the period; "not charted" is a finding, never a breach."""
        plan = self.plan
        found = spc_status(
            self.engine,
            kpi,
            plan.force,
            self.registry.name(plan.force),
            plan.period,
            alpha=plan.alpha,
            months=plan.spc_months,
            recent=plan.recent,
            events=plan.events,
        )
        if found.frame is None or found.status == "not charted":
            self.add(kpi, "spc", "not charted", [], detail=found.note, source=found.source)
            return
        ok = found.frame.filter(pl.col("status") == "ok")
        rows = list(ok.tail(min(plan.recent, _points_in(ok, plan.period))).iter_rows(named=True))
        latest = rows[-1]
        unit = kpi.unit
        span = parse_month(latest["end"]) - parse_month(latest["start"]) + 1
        word = {1: "month", 3: "quarter"}.get(span, "point")
        rules: list[FailRule] = []
        if found.status.startswith("exceptional"):
            rules.append("exceptional")
        concern = [r for r in rows if r["point_type"] == "special_cause_concern"]
        if concern:
            rules.append("concern")
        self.add(
            kpi,
            "spc",
            found.status,
            rules,
            # The months the status reads (the latest --recent of the period): the report's
            # status for that period is this one, word for word.
            period=(found.read or plan.period).label,
            value=latest["value"],
            measure=f"{unit or 'count'} per {word}" if unit != "%" else "%",
            reference=latest["mean"],
            reference_label=f"SPC mean (limits {_num(latest['lpl'], unit)} to "
            f"{_num(latest['upl'], unit)}); latest point {latest['period']}",
            detail=_spc_detail(found.detail, rows, concern, word, unit),
            source=found.source,
        )

    # -- MSG RAG -----------------------------------------------------------------------
    def rank(self, kpis: list[Kpi]) -> None:
        """The RAG of the force's position (:func:`pcp_cli.app.position.msg_positions`, the
        report's), for KPIs compared as rates or proportions."""
        plan = self.plan
        comp = plan.comparator
        if comp is None or not self._wanted("rank"):
            return
        ranked = [k for k in kpis if measure_of(k)[0] != "count"]
        positions = msg_positions(
            self.engine, self.registry, self.populations, plan.force, plan.period,
            plan.baseline, comp, ranked,
        )  # fmt: skip
        for kpi in ranked:
            gp = positions.found.get(kpi.id)
            if gp is None:
                self.skip("rank", kpi, positions.reasons.get(kpi.id) or "not ranked")
                continue
            status, verdict = _rag_words(gp.rag, kpi.polarity)
            shown = "%" if gp.measure == "%" else ""
            value = f"{_num(gp.rate, shown)}{'' if shown else ' ' + gp.measure}"
            where = f"rank {gp.rank} of {gp.ranked} " + (
                "nationally" if comp.kind == "national" else f"in the {comp.short}"
            )
            lines = (
                f", control lines {_num(gp.lower, shown)} to {_num(gp.upper, shown)}"
                if gp.lower is not None and gp.upper is not None
                else ""
            )
            flag = f"; {plan.force} data probably incomplete" if gp.home_incomplete else ""
            self.add(
                kpi,
                "rank",
                status,
                rag_rules(gp.rag),
                value=gp.rate,
                measure=gp.measure,
                reference=gp.mean,
                reference_label=f"{comp.short} mean",
                rag=gp.rag if gp.rag != "NONE" else None,
                detail=f"{value}, {where}; {comp.short} mean {_num(gp.mean, shown)}"
                f"{lines}{verdict}{flag}",
                source=gp.dataset,
            )


def _rag_words(rag: str | None, polarity: str) -> tuple[str, str]:
    """The status and the words after the detail for a position's RAG."""
    if rag in ("RED", "AMBER", "GREEN"):
        return str(rag), f": {rag}"
    if polarity == "neutral":
        return "no RAG", ": no RAG (neutral KPI)"
    return "no RAG", ": no RAG (too few forces for control lines)"


def _points_in(ok: pl.DataFrame, period: Period) -> int:
    first, last = month_text(period.start), month_text(period.end)
    return ok.filter((pl.col("start") >= first) & (pl.col("end") <= last)).height


def _spc_detail(
    status_words: str,
    rows: list[dict[str, Any]],
    concern: list[dict[str, Any]],
    word: str,
    unit: str,
) -> str:
    """The status in the report's words, then what the latest points show against the
    limits (outside them, or within) and any special cause of concern."""
    above = [r for r in rows if r["value"] > r["upl"]]
    below = [r for r in rows if r["value"] < r["lpl"]]
    latest = rows[-1]
    last_n = f"the last {len(rows)} {word}s" if len(rows) > 1 else f"the latest {word}"
    parts: list[str] = [status_words[:1].upper() + status_words[1:]] if status_words else []
    if above or below:
        for side, found, limit in (
            ("above the upper limit", above, "upl"),
            ("below the lower limit", below, "lpl"),
        ):
            if found:
                where = "; ".join(f"{r['period']}: {_num(r['value'], unit)}" for r in found)
                parts.append(
                    f"{len(found)} of {last_n} {side} {_num(found[0][limit], unit)} ({where})"
                )
        kinds = sorted({_POINT_WORDS[r["point_type"]] for r in above + below})
        parts[-1] += ", " + " and ".join(kinds)
    else:
        parts.append(
            f"{last_n} within the limits "
            f"{_num(latest['lpl'], unit)} to {_num(latest['upl'], unit)}"
        )
    if concern:
        labels = sorted({r["rule"] for r in concern})
        parts.append(
            f"special cause of concern in {len(concern)} of {last_n} ({', '.join(labels)})"
        )
    return "; ".join(parts)


_POINT_WORDS = {
    "special_cause_improvement": "special cause improvement",
    "special_cause_concern": "special cause concern",
    "special_cause_neutral_high": "special cause (neutral KPI)",
    "special_cause_neutral_low": "special cause (neutral KPI)",
    "common_cause": "common cause",
}


_ORDER = {c: i for i, c in enumerate(CHECKS)}


def run_checks(
    engine: Engine,
    registry: ForceRegistry,
    populations: PopulationTable,
    plan: CheckPlan,
) -> CheckResult:
    """Run every check for the plan's force; a KPI without data is skipped with a warning.

    Raises :class:`NoDataError` when nothing at all could be checked.
    """
    checker = _CheckRun(engine, registry, populations, plan)
    present = [k for k in plan.kpis if engine.has_data(k, plan.force)]
    absent = [k.id for k in plan.kpis if k not in present]
    for kpi in present:
        if "compare" in plan.checks or "survey" in plan.checks:
            checker.compare(kpi)
        if "spc" in plan.checks:
            checker.spc(kpi)
    checker.rank(present)
    name = registry.name(plan.force)
    warnings: list[str] = []
    if absent and len(absent) < len(plan.kpis):
        warnings.append(
            f"{name}: {len(absent)} KPI(s) have no data in the store and are not checked: "
            + ", ".join(absent)
        )
    for check, items in checker.skipped.items():
        shown = "; ".join(items[:3]) + (f"; and {len(items) - 3} more" if len(items) > 3 else "")
        warnings.append(f"{name}: {check} not checked for {len(items)} KPI(s): {shown}")
    if not checker.rows:
        first = next((items[0] for items in checker.skipped.values()), "")
        reason = (
            "none of the selected KPIs has data in the store"
            if not present
            else f"no check could be run for {plan.period.label}"
            + (f" (for example {first})" if first else "")
        )
        raise NoDataError(
            f"{name}: nothing to check: {reason}",
            hint="see which months the store holds with 'pcp periods'",
        )
    order = {k.id: i for i, k in enumerate(plan.kpis)}
    rows = sorted(checker.rows, key=lambda r: (order[str(r["kpi"])], _ORDER[r["check"]]))  # type: ignore[index]
    return CheckResult(pl.DataFrame(rows, schema=COLUMNS), warnings, len(present))


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


def run_check(context: Context, forces: Sequence[str], request: CheckRequest) -> CheckOutcome:
    """Check every force (see the module docstring); NoDataError when a force has no data."""
    engine, registry, settings = context.engine, context.registry, context.settings
    populations = context.populations
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
