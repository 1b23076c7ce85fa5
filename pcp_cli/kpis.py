"""KPI definitions: a declarative TOML file, validated before anything is counted.

A KPI counts rows (or sums a value) of a dataset under a filter on its columns, and
may say how it is counted in each dataset it can come from. Derived KPIs divide one
KPI by another. There are no expressions: filters are column = value lists only.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pcp_cli.datasets import DATASETS, KPI_DATASETS
from pcp_cli.errors import ConfigError, UsageError
from pcp_cli.targets import KpiTarget, read_target
from pcp_cli.tomlload import line_of, load_toml

Polarity = Literal["lower-is-better", "higher-is-better", "neutral"]
KpiKind = Literal["count", "ratio", "proportion"]
POLARITIES: tuple[Polarity, ...] = ("lower-is-better", "higher-is-better", "neutral")
KINDS: tuple[KpiKind, ...] = ("count", "ratio", "proportion")

_KPI_KEYS = {
    "label",
    "section",
    "polarity",
    "kind",
    "unit",
    "description",
    "count",
    "numerator",
    "denominator",
    "scale",
    "population",
    "target",  # pcp_cli.targets
    "breakdown",  # KPI ids shown month by month under this KPI (app.breakdown)
}
_OPS = {"in", "not_in", "equals", "in_list", "not_in_list"}
# A ratio of ratios of ... : a real KPI file nests two or three deep.
MAX_DERIVED_DEPTH = 50
# Records rules: counts a filter cannot express, computed from the raw crime records
# (``rule = "<name>"`` in a [kpi.<id>.count.crime-records] table, with any filters).
RECORD_RULES = {
    "repeat-victims": "victims with two or more recorded crimes in the 12 months to each month",
}


@dataclass(frozen=True)
class Condition:
    column: str
    negate: bool
    values: tuple[str, ...]

    def describe(self) -> str:
        op = "not in" if self.negate else "in"
        return f"{self.column} {op} [{', '.join(self.values)}]"


@dataclass(frozen=True)
class CountRule:
    """How a KPI is counted in one dataset."""

    dataset: str
    conditions: tuple[Condition, ...]
    rule: str | None = None  # a records rule (RECORD_RULES); None: count the matching rows


@dataclass(frozen=True)
class Kpi:
    id: str
    label: str
    section: str
    polarity: Polarity
    kind: KpiKind
    unit: str
    description: str
    rules: tuple[CountRule, ...] = ()
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0
    per_population: bool = True
    target: KpiTarget | None = None  # from the KPI file's target = {...} (pcp_cli.targets)
    # KPIs that break this one down (hate crime -> its strands), shown month by month with
    # the KPI's own value as the total row (pcp table, the report): breakdown = ["id", ...]
    breakdown: tuple[str, ...] = ()

    @property
    def datasets(self) -> tuple[str, ...]:
        return tuple(r.dataset for r in self.rules)


@dataclass(frozen=True)
class Problem:
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True)
class Catalogue:
    path: Path
    sha256: str
    sections: tuple[str, ...]
    lists: dict[str, tuple[str, ...]]
    kpis: dict[str, Kpi]

    def in_section_order(self) -> list[Kpi]:
        order = {s: i for i, s in enumerate(self.sections)}
        return sorted(self.kpis.values(), key=lambda k: order.get(k.section, len(order)))

    def select(self, spec: str) -> list[Kpi]:
        """KPIs named by ``all``, a section name, or comma-separated ids."""
        text = spec.strip()
        if text.lower() == "all":
            return self.in_section_order()
        sections = {s.casefold(): s for s in self.sections}
        if text.casefold() in sections and text not in self.kpis:
            wanted = sections[text.casefold()]
            return [k for k in self.in_section_order() if k.section == wanted]
        chosen: list[Kpi] = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if part.casefold() in sections and part not in self.kpis:  # a KPI id wins
                chosen += [
                    k for k in self.in_section_order() if k.section == sections[part.casefold()]
                ]
                continue
            if part not in self.kpis:
                raise UsageError(f"unknown KPI '{part}' in {self.path}", hint=self.suggest(part))
            chosen.append(self.kpis[part])
        if not chosen:
            raise UsageError("no KPI selected", hint="give --kpi all, a section or KPI ids")
        return list(dict.fromkeys(chosen))

    def suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.kpis), n=3, cutoff=0.5)
        if close:
            return "did you mean " + ", ".join(close) + "?"
        return "run 'pcp kpis' to list the KPI ids"


def load_catalogue(path: Path) -> Catalogue:
    """Load and validate; raise ConfigError listing every problem."""
    catalogue, problems = check_catalogue(path)
    if problems or catalogue is None:
        first = problems[0] if problems else Problem(str(path), "invalid")
        more = (
            f" (and {len(problems) - 1} more; run 'pcp kpis check {path}')"
            if len(problems) > 1
            else ""
        )
        raise ConfigError(f"{first}{more}")
    return catalogue


def check_catalogue(path: Path) -> tuple[Catalogue | None, list[Problem]]:
    doc, text = load_toml(path, "KPI file")
    checker = _CatalogueValidator(path, text)
    catalogue = checker.check(doc)
    return (catalogue if not checker.problems else None), checker.problems


class _CatalogueValidator:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[Problem] = []

    def problem(self, table: str, key: str | None, message: str) -> None:
        line = line_of(self.text, table, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        dotted = f"{table}.{key}" if key else table
        self.problems.append(Problem(f"{where} [{dotted}]", message))

    def check(self, doc: dict[str, Any]) -> Catalogue:
        unknown = set(doc) - {"schema", "sections", "lists", "kpi"}
        for key in sorted(unknown):
            self.problem(key, None, "unknown top-level key (allowed: schema, sections, lists, kpi)")
        sections = doc.get("sections", [])
        if not isinstance(sections, list) or not all(isinstance(s, str) for s in sections):
            self.problem("sections", None, "must be a list of section names")
            sections = []
        lists = self._lists(doc.get("lists", {}))
        raw_kpis = doc.get("kpi", {})
        if not isinstance(raw_kpis, dict) or not raw_kpis:
            self.problem("kpi", None, "no [kpi.<id>] tables defined")
            raw_kpis = {}
        kpis: dict[str, Kpi] = {}
        for kid, body in raw_kpis.items():
            kpi = self._kpi(kid, body, sections, lists)
            if kpi is not None:
                kpis[kid] = kpi
        refs: dict[str, list[str]] = {
            kid: [
                str(body[role])
                for role in ("numerator", "denominator")
                if isinstance(body, dict) and isinstance(body.get(role), str)
            ]
            for kid, body in raw_kpis.items()
        }
        self._check_derived(refs)
        self._check_breakdowns(kpis, set(raw_kpis))
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        return Catalogue(self.path, digest, tuple(sections), lists, kpis)

    def _lists(self, raw: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(raw, dict):
            self.problem("lists", None, "must be a table of name = [values]")
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for name, values in raw.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                self.problem("lists", name, "must be a list of strings")
                continue
            out[name] = tuple(values)
        return out

    def _kpi(
        self, kid: str, body: Any, sections: list[str], lists: dict[str, tuple[str, ...]]
    ) -> Kpi | None:
        table = f"kpi.{kid}"
        if not isinstance(body, dict):
            self.problem(table, None, "must be a table")
            return None
        before = len(self.problems)
        for key in sorted(set(body) - _KPI_KEYS):
            close = difflib.get_close_matches(key, sorted(_KPI_KEYS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            self.problem(table, key, f"unknown key '{key}'{hint}")
        label = self._string(body, table, "label", required=True)
        section = self._string(body, table, "section", required=True)
        if section and sections and section not in sections:
            self.problem(table, "section", f"section '{section}' is not in the sections list")
        polarity = self._string(body, table, "polarity", required=True)
        if polarity and polarity not in POLARITIES:
            self.problem(table, "polarity", f"'{polarity}' is not one of {', '.join(POLARITIES)}")
        kind = self._string(body, table, "kind") or "count"
        if kind not in KINDS:
            self.problem(table, "kind", f"'{kind}' is not one of {', '.join(KINDS)}")
        scale = body.get("scale", 100.0 if kind == "ratio" else 1.0)
        if (
            isinstance(scale, bool)
            or not isinstance(scale, int | float)
            or not math.isfinite(scale)
            or scale <= 0
        ):
            self.problem(table, "scale", "must be a positive number")
            scale = 1.0
        per_population = body.get("population", kind == "count")
        if not isinstance(per_population, bool):
            self.problem(table, "population", "must be true or false")
            per_population = False
        rules: list[CountRule] = []
        numerator = denominator = None
        if kind == "ratio":
            numerator = self._string(body, table, "numerator", required=True)
            denominator = self._string(body, table, "denominator", required=True)
            if "count" in body:
                self.problem(
                    table, "count", "a ratio KPI takes numerator and denominator, not count"
                )
        else:
            for key in ("numerator", "denominator"):
                if key in body:
                    self.problem(table, key, f"only ratio KPIs take '{key}'")
            rules = self._rules(table, body.get("count"), lists, kind)
        target, target_problems = (
            read_target(body["target"], polarity) if "target" in body else (None, [])
        )
        for message in target_problems:
            self.problem(table, "target", message)
        breakdown = self._breakdown(table, body.get("breakdown", []))
        if len(self.problems) > before:
            return None
        return Kpi(
            id=kid,
            label=label or kid,
            section=section or "",
            polarity=polarity,  # type: ignore[arg-type]  # checked above
            kind=kind,  # type: ignore[arg-type]
            unit=self._string(body, table, "unit") or ("%" if kind != "count" else ""),
            description=self._string(body, table, "description") or "",
            rules=tuple(rules),
            numerator=numerator,
            denominator=denominator,
            scale=float(scale),
            per_population=per_population,
            target=target,
            breakdown=breakdown,
        )

    def _breakdown(self, table: str, raw: Any) -> tuple[str, ...]:
        """The ids' shape here; that each names another defined KPI: _check_breakdowns."""
        if not isinstance(raw, list) or not all(isinstance(k, str) and k for k in raw):
            self.problem(table, "breakdown", 'must be a list of KPI ids: breakdown = ["a", "b"]')
            return ()
        if len(set(raw)) < len(raw):
            self.problem(table, "breakdown", "names a KPI twice")
        return tuple(raw)

    def _check_breakdowns(self, kpis: dict[str, Kpi], defined: set[str]) -> None:
        """A breakdown names other KPIs the file defines (not the KPI itself)."""
        for kpi in kpis.values():
            for ref in kpi.breakdown:
                if ref == kpi.id:
                    self.problem(f"kpi.{kpi.id}", "breakdown", "a KPI cannot break down itself")
                elif ref not in defined:
                    hint = difflib.get_close_matches(ref, sorted(defined), n=1)
                    more = f"; did you mean '{hint[0]}'?" if hint else ""
                    message = f"names KPI '{ref}', which is not defined{more}"
                    self.problem(f"kpi.{kpi.id}", "breakdown", message)

    def _string(self, body: dict[str, Any], table: str, key: str, *, required: bool = False) -> str:
        value = body.get(key)
        if value is None:
            if required:
                self.problem(table, None, f"'{key}' is required")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problem(table, key, "must be a non-empty string")
            return ""
        return value

    def _rules(
        self, table: str, raw: Any, lists: dict[str, tuple[str, ...]], kind: str
    ) -> list[CountRule]:
        if not isinstance(raw, dict) or not raw:
            self.problem(table, None, "needs at least one [" + table + ".count.<dataset>] table")
            return []
        rules = []
        for dataset, filters in raw.items():
            sub = f"{table}.count.{dataset}"
            if dataset not in KPI_DATASETS:
                self.problem(
                    sub, None, f"unknown dataset '{dataset}' (known: {', '.join(KPI_DATASETS)})"
                )
                continue
            if kind == "proportion" and dataset != "survey":
                self.problem(sub, None, "a proportion KPI is counted from the survey dataset")
            if not isinstance(filters, dict):
                self.problem(sub, None, "must be a table of column = condition")
                continue
            spec = DATASETS[dataset]
            rule = self._record_rule(sub, dataset, filters)
            filters = {k: v for k, v in filters.items() if k != "rule"}
            conditions = []
            for column, cond in filters.items():
                if column not in spec.filterable:
                    self.problem(
                        sub,
                        column,
                        f"dataset '{dataset}' has no column '{column}' to filter on "
                        f"(filterable: {', '.join(spec.filterable) or 'none'})",
                    )
                    continue
                parsed = self._condition(sub, column, cond, lists)
                if parsed is not None:
                    conditions.append(parsed)
            missing_cov = [c for c in spec.coverage_by if c not in filters]
            if missing_cov:
                self.problem(sub, None, f"must say which {', '.join(missing_cov)} it counts")
            rules.append(CountRule(dataset, tuple(conditions), rule))
        return rules

    def _record_rule(self, table: str, dataset: str, filters: dict[str, Any]) -> str | None:
        if "rule" not in filters:
            return None
        name = filters["rule"]
        if dataset != "crime-records":
            self.problem(table, "rule", "only crime-records counts take a rule")
        elif not isinstance(name, str) or name not in RECORD_RULES:
            self.problem(
                table, "rule", f"unknown records rule {name!r} (known: {', '.join(RECORD_RULES)})"
            )
        return str(name)

    def _condition(
        self, table: str, column: str, cond: Any, lists: dict[str, tuple[str, ...]]
    ) -> Condition | None:
        if isinstance(cond, str):
            return Condition(column, False, (cond,))
        if isinstance(cond, list):
            if all(isinstance(v, str) for v in cond) and cond:
                return Condition(column, False, tuple(cond))
            self.problem(table, column, "a list condition must hold strings")
            return None
        if isinstance(cond, dict) and len(cond) == 1:
            ((op, value),) = cond.items()
            if op not in _OPS:
                self.problem(
                    table, column, f"unknown operator '{op}' (use {', '.join(sorted(_OPS))})"
                )
                return None
            negate = op.startswith("not_")
            if op.endswith("_list"):
                if not isinstance(value, str) or value not in lists:
                    self.problem(table, column, f"'{value}' is not a list defined under [lists]")
                    return None
                return Condition(column, negate, lists[value])
            values = [value] if isinstance(value, str) else value
            if (
                not isinstance(values, list)
                or not values
                or not all(isinstance(v, str) for v in values)
            ):
                self.problem(table, column, f"'{op}' takes a string or a list of strings")
                return None
            return Condition(column, negate, tuple(values))
        self.problem(
            table,
            column,
            "a condition is a string, a list, or {in|not_in|equals|in_list|not_in_list = ...}",
        )
        return None

    def _check_derived(self, refs: dict[str, list[str]]) -> None:
        """Every KPI a derived KPI names exists, and references never loop."""
        for kid, names in refs.items():
            for role, ref in zip(("numerator", "denominator"), names, strict=False):
                if ref not in refs:
                    self.problem(f"kpi.{kid}", role, f"refers to KPI '{ref}', which is not defined")
        self._check_chains(refs)

    def _check_chains(self, refs: dict[str, list[str]]) -> None:
        """Derived KPIs never loop, nor nest deeper than MAX_DERIVED_DEPTH (walked without
        recursion, so a 3,000-step chain is an error, not a crash)."""
        depth: dict[str, int] = {}
        for root in refs:
            if root in depth:
                continue
            trail: list[str] = []
            on_trail: set[str] = set()
            stack: list[tuple[str, int]] = [(root, 0)]
            while stack:
                kid, next_ref = stack.pop()
                if next_ref == 0:
                    trail.append(kid)
                    on_trail.add(kid)
                names = [r for r in refs.get(kid, []) if r in refs]
                if next_ref < len(names):
                    stack.append((kid, next_ref + 1))
                    ref = names[next_ref]
                    if ref in on_trail:
                        cycle = " -> ".join([*trail[trail.index(ref) :], ref])
                        self.problem(f"kpi.{ref}", None, f"derived KPIs form a cycle: {cycle}")
                        return
                    if ref not in depth:
                        stack.append((ref, 0))
                    continue
                depth[kid] = 1 + max((depth[r] for r in names), default=0)
                trail.pop()
                on_trail.discard(kid)
                if depth[kid] > MAX_DERIVED_DEPTH:
                    self.problem(
                        f"kpi.{kid}",
                        None,
                        f"derived KPIs nest {depth[kid]} deep (at most {MAX_DERIVED_DEPTH})",
                    )
                    return
