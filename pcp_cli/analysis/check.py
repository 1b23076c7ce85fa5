"""Checks for scheduled jobs: does anything in the latest figures need attention?

For each KPI and force, four checks are run over the period (and its baseline):

* ``compare``: the significance verdict of the period against the baseline
  (:mod:`pcp_cli.analysis.compare`: Poisson E-test for counts, two-proportion z-test for
  rates and surveys);
* ``survey``: the seed-001 RAG of a survey proportion (RED: confident at 1 − alpha, 95% by
  default, that it is worse than the baseline, AMBER: no evidence of change, GREEN: confident
  it is better), read from compare's ``rag`` column
  (:func:`~pcp_cli.analysis.significance.proportion_rag`);
* ``spc``: the XmR chart of the KPI's series up to the period's end
  (:mod:`pcp_cli.analysis.spc`, MDC rules): are any of the latest ``recent`` points outside
  the process limits ("exceptional"), or special cause of concern;
* ``rank``: the RAG of the force's rate against its Most Similar Group's control lines
  (mean ± 1.96 SD; :mod:`pcp_cli.analysis.peers.ranking`), for KPIs compared as rates per 1,000
  population or as proportions.

Each finding is matched against the rules in :data:`FAIL_RULES`; the ``--fail-on`` rules
that match make it a breach. Polarity is respected: "worse" is a significant increase of a
lower-is-better KPI or a significant decrease of a higher-is-better one, and a neutral KPI
never breaches a direction rule (significant-increase, significant-decrease, worse) and
has no RAG. ``exceptional`` is direction-free: an exceptional fall can be a missing upload.

Nothing here prints; warnings are returned to the CLI. The SPC and MSG-position findings
read the application's answers, so the run that makes them is :func:`pcp_cli.app.check.run_checks`;
this module imports no ``app``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args

import polars as pl

from pcp_cli import text
from pcp_cli.analysis.columns import FORCE_KPI, force_kpi
from pcp_cli.analysis.compare import ComparePlan, compare
from pcp_cli.analysis.judgement import judge_verdict, verdict_sign
from pcp_cli.analysis.peers.groups import Comparator
from pcp_cli.analysis.peers.population import PopulationTable
from pcp_cli.analysis.significance import DEFAULT_ALPHA, rag_meaning
from pcp_cli.analysis.spc import DEFAULT_SPC_MONTHS
from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.events import KnownEvent
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Period

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

FAIL_RULES: tuple[FailRule, ...] = get_args(FailRule)
DEFAULT_FAIL_ON: tuple[FailRule, ...] = ("red", "exceptional")
CHECKS: tuple[CheckKind, ...] = get_args(CheckKind)
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
    **FORCE_KPI,
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
    return parse_words(
        values, FAIL_RULES, DEFAULT_FAIL_ON, "--fail-on", "rule", " (comma-separated)"
    )


def parse_checks(values: Iterable[str]) -> tuple[CheckKind, ...]:
    """``--check`` values, as ``--fail-on``; none given: every check."""
    return parse_words(values, CHECKS, CHECKS, "--check", "check")


Word = TypeVar("Word", bound=str)


def parse_words(
    values: Iterable[str],
    known: tuple[Word, ...],
    default: tuple[Word, ...],
    option: str,
    noun: str,
    hint_end: str = "",
) -> tuple[Word, ...]:
    """Words of a fixed set, repeated or comma-separated, any case, each once in the order
    first given; none given: ``default``. An unknown word is a usage error naming it."""
    names = [n.strip().lower() for v in values for n in v.split(",") if n.strip()]
    if not names:
        return default
    chosen: list[Word] = []
    for name in names:
        word = next((k for k in known if k == name), None)
        if word is None:
            raise UsageError(
                f"{option} {name}: unknown {noun}",
                hint=f"use one or more of {', '.join(known)}{hint_end}",
            )
        chosen.append(word)
    return tuple(dict.fromkeys(chosen))


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


@dataclass
class FindingCollector:
    """The findings of one force's checks (``rows``, :data:`COLUMNS`) and the KPIs each check
    passed over, with why (``skipped``: check -> "kpi (reason)")."""

    engine: Engine
    registry: ForceRegistry
    populations: PopulationTable
    plan: CheckPlan
    rows: list[dict[str, object]] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)

    # -- one finding ---------------------------------------------------------------
    def add(
        self, kpi: Kpi, check: CheckKind, status: str, rules: Sequence[FailRule], **values: object
    ) -> None:
        breach = [r for r in FAIL_RULES if r in rules and r in self.plan.fail_on]
        row: dict[str, object] = dict.fromkeys(COLUMNS)
        row.update(
            {
                **force_kpi(kpi, self.plan.force, self.registry.name(self.plan.force)),
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
                measure=unit or "count",
                **_against_baseline(r),
                dispersion=r["dispersion"],
                p_value_poisson=r["p_value_poisson"],
                detail=detail,
                source=r["source"],
            )
        rag = r["rag"]
        if self._wanted("survey") and kpi.kind == "proportion" and rag in ("RED", "AMBER", "GREEN"):
            meaning = rag_meaning(rag, self.plan.alpha)
            n = f" (n = {r['n']:,.0f})" if r["n"] is not None else ""
            self.add(
                kpi,
                "survey",
                rag,
                rag_rules(rag),
                measure=unit or "%",
                **_against_baseline(r),
                rag=rag,
                detail=f"{_num(r['value'], unit)}{n} against {_num(r['baseline_value'], unit)} "
                f"in {r['baseline_period']}: {rag}, {meaning}",
                source=r["source"],
            )

    def _wanted(self, check: CheckKind) -> bool:
        return check in self.plan.checks


def rag_rules(rag: str | None) -> list[FailRule]:
    """The --fail-on rules a RAG trips: red, amber, or none."""
    return ["red"] if rag == "RED" else ["amber"] if rag == "AMBER" else []


def _against_baseline(r: Mapping[str, Any]) -> dict[str, object]:
    """A finding's figures from a compare row: the value against the baseline's."""
    return {
        "value": r["value"],
        "reference": r["baseline_value"],
        "reference_label": r["baseline_period"],
        "change": r["change"],
        "pct_change": r["pct_change"],
        "p_value": r["p_value"],
    }


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
        checker = FindingCollector(engine, registry, populations, plan)
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
