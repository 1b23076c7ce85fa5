"""Checks for scheduled jobs: does anything in the latest figures need attention?

For each KPI and force, four checks are run over the period (and its baseline):

* ``compare``: the significance verdict of the period against the baseline
  (:mod:`pcp_cli.analysis.compare`: Poisson E-test for counts, two-proportion z-test for
  rates and surveys);
* ``survey``: the seed-001 RAG of a survey proportion (RED: 95% confident it is worse than
  the baseline, AMBER: no evidence of change, GREEN: 95% confident it is better);
* ``spc``: the XmR chart of the KPI's series up to the period's end
  (:mod:`pcp_cli.analysis.spc`, MDC rules): are any of the latest ``recent`` points outside
  the process limits ("exceptional"), or special cause of concern;
* ``rank``: the RAG of the force's rate against its Most Similar Group's control lines
  (mean ± 1.96 SD; :mod:`pcp_cli.analysis.ranker`), for KPIs compared as rates per 1,000
  population or as proportions.

Each finding is matched against the rules in :data:`FAIL_RULES`; the ``--fail-on`` rules
that match make it a breach. Polarity is respected: "worse" is a significant increase of a
lower-is-better KPI or a significant decrease of a higher-is-better one, and a neutral KPI
never breaches a direction rule (significant-increase, significant-decrease, worse) and
has no RAG. ``exceptional`` is direction-free: an exceptional fall can be a missing upload.

Nothing here prints; warnings are returned to the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from pcp_cli import text
from pcp_cli.analysis.comparator import Comparator
from pcp_cli.analysis.compare import ComparePlan, compare
from pcp_cli.analysis.judgement import judge_verdict, verdict_sign
from pcp_cli.analysis.population import PopulationTable
from pcp_cli.analysis.ranker import measure_of
from pcp_cli.analysis.significance import DEFAULT_ALPHA
from pcp_cli.app.spc import spc_status
from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.events import KnownEvent
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Period, month_text, parse_month
from pcp_cli.report.model import DEFAULT_SPC_MONTHS

FailRule = Literal[
    "red",
    "amber",
    "exceptional",
    "concern",
    "worse",
    "significant-increase",
    "significant-decrease",
]
CheckKind = Literal["compare", "survey", "spc", "rank"]

FAIL_RULES: tuple[FailRule, ...] = (
    "red",
    "amber",
    "exceptional",
    "concern",
    "worse",
    "significant-increase",
    "significant-decrease",
)
DEFAULT_FAIL_ON: tuple[FailRule, ...] = ("red", "exceptional")
CHECKS: tuple[CheckKind, ...] = ("compare", "survey", "spc", "rank")
DEFAULT_RECENT = 3

RULE_HELP: dict[FailRule, str] = {
    "red": "a RED RAG: the rate is beyond the MSG control line on the bad side, or a "
    "survey proportion is significantly worse than the baseline",
    "amber": "an AMBER RAG: within the MSG control lines, or no evidence of change in a "
    "survey (give red,amber to fail on either)",
    "exceptional": "one of the latest --recent SPC points is outside the process limits "
    "(either side)",
    "concern": "one of the latest --recent SPC points is special cause of concern (any MDC "
    "rule, by polarity)",
    "worse": "a significant change in the bad direction for the KPI's polarity",
    "significant-increase": "a significant increase (not for neutral KPIs)",
    "significant-decrease": "a significant decrease (not for neutral KPIs)",
}

COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "force": pl.String,
    "force_name": pl.String,
    "section": pl.String,
    "kpi": pl.String,
    "label": pl.String,
    "polarity": pl.String,
    "check": pl.String,
    "period": pl.String,
    "status": pl.String,
    "breach": pl.Boolean,
    "rule": pl.String,
    "value": pl.Float64,
    "measure": pl.String,
    "reference": pl.Float64,
    "reference_label": pl.String,
    "change": pl.Float64,
    "pct_change": pl.Float64,
    "p_value": pl.Float64,
    # The compare finding of a count KPI: the dispersion its verdict allowed for, the plain
    # Poisson p (analysis/significance.count_verdict).
    "dispersion": pl.Float64,
    "p_value_poisson": pl.Float64,
    "rag": pl.String,
    "detail": pl.String,
    "source": pl.String,
}


def parse_fail_on(values: Iterable[str]) -> tuple[FailRule, ...]:
    """``--fail-on`` values, repeatable and comma-separated; none given: the default."""
    names = [n.strip().lower() for v in values for n in v.split(",") if n.strip()]
    if not names:
        return DEFAULT_FAIL_ON
    out: list[FailRule] = []
    for name in names:
        rule = next((r for r in FAIL_RULES if r == name), None)
        if rule is None:
            raise UsageError(
                f"--fail-on {name}: unknown rule",
                hint=f"use one or more of {', '.join(FAIL_RULES)} (comma-separated)",
            )
        if rule not in out:
            out.append(rule)
    return tuple(out)


@dataclass(frozen=True)
class CheckPlan:
    """What to check for one force; ``comparator`` None: no MSG check (not territorial)."""

    kpis: list[Kpi]
    force: str
    period: Period
    baseline: Period
    fail_on: tuple[FailRule, ...] = DEFAULT_FAIL_ON
    recent: int = DEFAULT_RECENT
    alpha: float = DEFAULT_ALPHA
    comparator: Comparator | None = None
    spc_months: int = DEFAULT_SPC_MONTHS
    checks: tuple[CheckKind, ...] = CHECKS
    events: tuple[KnownEvent, ...] = ()  # pcp.toml's [[event]]: restarts of the SPC limits


@dataclass
class CheckResult:
    """Every finding (``breach`` says which fail), and warnings for stderr."""

    frame: pl.DataFrame
    warnings: list[str]
    kpis_checked: int

    @property
    def breaches(self) -> pl.DataFrame:
        return self.frame.filter(pl.col("breach"))


def finding_value(value: float | None, unit: str = "") -> str:
    """Counts whole (and anything over 1,000), rates to 2 dp, percentages to 1 dp."""
    if value is not None and unit != "%" and abs(value) >= 1000:
        return text.number(value, 0)
    return text.value(value, unit)


_num = finding_value


def _p(p: float | None, alpha: float) -> str:
    shown = text.p_value(p, alpha)
    return f" ({shown})" if shown else ""


class _Checker:
    def __init__(
        self,
        engine: Engine,
        registry: ForceRegistry,
        populations: PopulationTable,
        plan: CheckPlan,
    ) -> None:
        self.engine = engine
        self.registry = registry
        self.populations = populations
        self.plan = plan
        self.rows: list[dict[str, object]] = []
        self.skipped: dict[str, list[str]] = {}  # check -> "kpi: reason"

    # -- one finding ---------------------------------------------------------------
    def add(
        self, kpi: Kpi, check: CheckKind, status: str, rules: Sequence[FailRule], **values: object
    ) -> None:
        breach = [r for r in FAIL_RULES if r in rules and r in self.plan.fail_on]
        row: dict[str, object] = dict.fromkeys(COLUMNS)
        row.update(
            {
                "force": self.plan.force,
                "force_name": self.registry.name(self.plan.force),
                "section": kpi.section,
                "kpi": kpi.id,
                "label": kpi.label,
                "polarity": kpi.polarity,
                "check": check,
                "period": self.plan.period.label,
                "status": status,
                "breach": bool(breach),
                "rule": ",".join(breach) or None,
                **values,
            }
        )
        self.rows.append(row)

    def skip(self, check: str, kpi: Kpi, reason: str) -> None:
        self.skipped.setdefault(check, []).append(f"{kpi.id} ({reason})")

    # -- compare and survey ----------------------------------------------------------
    def compare(self, kpi: Kpi) -> None:
        plan = self.plan
        try:
            frame = compare(
                self.engine,
                self.registry,
                ComparePlan([kpi], [plan.force], plan.period, plan.baseline, alpha=plan.alpha),
            )
        except NoDataError as exc:
            self.skip("compare", kpi, exc.message)
            return
        except UsageError as exc:  # a quarterly dataset cut by the period
            self.skip("compare", kpi, exc.message)
            return
        self.compare_findings(kpi, frame.row(0, named=True))

    def compare_findings(self, kpi: Kpi, r: dict[str, Any]) -> None:
        """The compare (and survey) findings of one compare row: the force's, or an area's
        (``pcp check --by``, from :func:`pcp_cli.app.areas.area_rows`)."""
        plan = self.plan
        verdict = r["verdict"] or "not tested"
        unit = kpi.unit
        direction = verdict_sign(verdict)
        judged = judge_verdict(verdict, kpi.polarity)
        rules: list[FailRule] = []
        if judged != "neutral":
            rules.append("significant-increase" if direction > 0 else "significant-decrease")
            if judged == "worse":
                rules.append("worse")
        judged_text = "" if judged == "neutral" else f", {judged}"
        pct = r["pct_change"]
        change_text = ""
        if unit == "%" and r["change"] is not None:
            change_text = f", {text.number(r['change'], 1, signed=True)} points"
        elif pct is not None:
            change_text = f", {text.percent_change(pct)}"
        detail = (
            f"{_num(r['value'], unit)} in {r['period']} against {_num(r['baseline_value'], unit)} "
            f"in {r['baseline_period']}{change_text}: {verdict}"
            f"{_p(r['p_value'], plan.alpha)}{judged_text}"
        )
        if self._wanted("compare"):
            self.add(
                kpi,
                "compare",
                verdict,
                rules,
                value=r["value"],
                measure=unit or "count",
                reference=r["baseline_value"],
                reference_label=r["baseline_period"],
                change=r["change"],
                pct_change=pct,
                p_value=r["p_value"],
                dispersion=r["dispersion"],
                p_value_poisson=r["p_value_poisson"],
                detail=detail,
                source=r["source"],
            )
        rag = r["rag"]
        if self._wanted("survey") and kpi.kind == "proportion" and rag in ("RED", "AMBER", "GREEN"):
            meaning = {
                "RED": "95% confident it is worse than the baseline",
                "AMBER": "no statistical evidence of change",
                "GREEN": "95% confident it is better than the baseline",
            }[rag]
            n = f" (n = {r['n']:,.0f})" if r["n"] is not None else ""
            self.add(
                kpi,
                "survey",
                rag,
                ["red"] if rag == "RED" else ["amber"] if rag == "AMBER" else [],
                value=r["value"],
                measure=unit or "%",
                reference=r["baseline_value"],
                reference_label=r["baseline_period"],
                change=r["change"],
                pct_change=pct,
                p_value=r["p_value"],
                rag=rag,
                detail=f"{_num(r['value'], unit)}{n} against {_num(r['baseline_value'], unit)} "
                f"in {r['baseline_period']}: {rag}, {meaning}",
                source=r["source"],
            )

    def _wanted(self, check: CheckKind) -> bool:
        return check in self.plan.checks

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
            value=latest["value"],
            measure=f"{unit or 'count'} per {word}" if unit != "%" else "%",
            reference=latest["mean"],
            reference_label=f"SPC mean (limits {_num(latest['lpl'], unit)} to "
            f"{_num(latest['upl'], unit)}); latest point {latest['period']}",
            detail=_spc_detail(rows, concern, word, unit),
            source=found.source,
        )

    # -- MSG RAG -----------------------------------------------------------------------
    def rank(self, kpis: list[Kpi]) -> None:
        """The RAG of the force's position (:func:`pcp_cli.app.position.msg_positions`, the
        report's), for KPIs compared as rates or proportions."""
        from pcp_cli.app.position import msg_positions  # the application's one answer

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
                ["red"] if gp.rag == "RED" else ["amber"] if gp.rag == "AMBER" else [],
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
    rows: list[dict[str, Any]], concern: list[dict[str, Any]], word: str, unit: str
) -> str:
    """What the latest points show, in words: outside the limits, or within them."""
    above = [r for r in rows if r["value"] > r["upl"]]
    below = [r for r in rows if r["value"] < r["lpl"]]
    latest = rows[-1]
    last_n = f"the last {len(rows)} {word}s" if len(rows) > 1 else f"the latest {word}"
    parts: list[str] = []
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
            f"{last_n.capitalize()} within the limits "
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
    checker = _Checker(engine, registry, populations, plan)
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


AREA_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {"area": pl.String, **COLUMNS}
"""``pcp check --by``: the area first, then every finding column."""


def area_findings(
    engine: Engine,
    registry: ForceRegistry,
    populations: PopulationTable,
    plan: CheckPlan,
    kpi: Kpi,
    rows: pl.DataFrame,
) -> pl.DataFrame:
    """The compare findings of each area's compare row (``pcp check --by``), worded and
    judged as the force's own are (:data:`AREA_COLUMNS`)."""
    found: list[dict[str, object]] = []
    for r in rows.iter_rows(named=True):
        checker = _Checker(engine, registry, populations, plan)
        checker.compare_findings(kpi, r)
        found += [{"area": r["area"], **row} for row in checker.rows]
    return pl.DataFrame(found, schema=AREA_COLUMNS)


def summary_text(
    frame: pl.DataFrame, fail_on: Sequence[FailRule], period: str, kpis: int, forces: int
) -> str:
    """One line for stderr: how much was checked and what breached."""
    breaches = frame.filter(pl.col("breach"))
    who = f"{frame['force_name'][0]}" if forces == 1 and frame.height else f"{forces} forces"
    head = (
        f"check {period}, {who}: {kpis} KPI(s), {frame.height} checks, fail on "
        f"{','.join(fail_on)}: "
    )
    if not breaches.height:
        return head + "no breaches"
    counts: dict[str, int] = {}
    for rule in breaches["rule"].to_list():
        for r in str(rule).split(","):
            counts[r] = counts.get(r, 0) + 1
    detail = ", ".join(f"{r} {counts[r]}" for r in FAIL_RULES if r in counts)
    n = breaches.height
    return head + f"{n} breach{'es' if n != 1 else ''} ({detail})"
