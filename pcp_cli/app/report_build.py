"""Build the panel report from the analyses (compare, SPC, rank, trend, quality, coverage).

Nothing is computed twice in a different way: the KPI rows are :func:`analysis.compare.compare`
rows, the SPC status reads :func:`analysis.spc.xmr` over :meth:`Engine.points`, the MSG rank
and RAG come from :class:`analysis.peers.ranking.Ranker`, the rolling-12-month crime table is
:func:`analysis.peers.tables.rank` for the Crime section (seed 003's shape), the trend is
:func:`analysis.trend.year_on_year`. Where a part cannot be worked out (a period the store
does not fully hold, no peers, no populations, a quarterly series) the report says why in a
note instead of failing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from pcp_cli import __version__
from pcp_cli.analysis.compare import COLUMNS as COMPARE_COLUMNS
from pcp_cli.analysis.compare import ComparePlan, compare
from pcp_cli.analysis.coverage import coverage
from pcp_cli.analysis.data_quality import data_quality
from pcp_cli.analysis.peers.groups import Comparator, resolve_comparator
from pcp_cli.analysis.peers.population import PopulationTable
from pcp_cli.analysis.peers.ranking import RankPlan
from pcp_cli.analysis.peers.tables import KPI_COLUMNS, RankResult, rank
from pcp_cli.analysis.trend import year_on_year
from pcp_cli.app.breakdown import Breakdown, BreakdownRequest, breakdown, report_period
from pcp_cli.app.headlines import headline
from pcp_cli.app.position import GroupPosition, msg_positions
from pcp_cli.app.recording import RecordingShare, recording_share
from pcp_cli.app.report_model import (
    CrimeSummary,
    KpiLine,
    Provenance,
    Report,
    ReportPlan,
    SectionReport,
    StoreUse,
    Trend,
)
from pcp_cli.app.spc import spc_status
from pcp_cli.app.target import target_status
from pcp_cli.app.ytd import year_to_date_values
from pcp_cli.datasets import DATASETS
from pcp_cli.engine import Engine
from pcp_cli.errors import PcpError
from pcp_cli.forces import ForceRegistry
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Period, month_name, month_text, parse_period

CRIME_SECTION = "Crime"


def build_report(
    engine: Engine,
    registry: ForceRegistry,
    populations: PopulationTable,
    plan: ReportPlan,
    *,
    forces_path: Path,
    store_path: Path,
    generated_at: datetime,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> Report:
    """The whole report for ``plan`` (see the module docstring)."""
    catalogue = engine.catalogue
    force = plan.force
    force_name = registry.name(force)
    # The engine's warnings are returned with the report (the CLI prints them).
    comparator, comparator_note = _comparator(registry, plan, groups or {})
    reported = [k for k in catalogue.in_section_order() if engine.has_data(k, force)]
    positions = msg_positions(
        engine, registry, populations, plan.force, plan.period, plan.baseline, comparator,
        reported,
    )  # fmt: skip
    peers, peer_notes = positions.found, positions.reasons
    sections = []
    for number, name in enumerate(_sections(catalogue.sections, reported), start=1):
        in_section = [k for k in catalogue.in_section_order() if k.section == name]
        lines: list[KpiLine] = []
        for kpi in in_section:
            if kpi not in reported:
                continue
            lines.append(
                _line(
                    engine,
                    registry,
                    plan,
                    kpi,
                    number,
                    f"{number}.{len(lines) + 1}",
                    peers.get(kpi.id),
                    peer_notes.get(kpi.id, comparator_note),
                )
            )
        without = tuple(k for k in in_section if k not in reported)
        sections.append(SectionReport(number, name, tuple(lines), without))
    crime_kpis = [k for k in reported if k.section == CRIME_SECTION]
    crime = (
        _crime_summary(engine, registry, populations, plan, comparator, crime_kpis)
        if crime_kpis
        else None
    )
    members = list(comparator.members) if comparator else [force]
    window_start = min(
        plan.baseline.start, plan.rolling_baseline.start, plan.period.end - plan.spc_months + 1
    )
    quality = data_quality(
        engine.reader, registry, members, Period(window_start, plan.period.end, "range")
    )
    provenance = _provenance(
        engine, registry, forces_path, store_path, generated_at, comparator, plan.spc_months
    )
    warnings = tuple(dict.fromkeys(engine.warnings))
    title = f"{force_name}: police performance report, {plan.period.label}"
    known = {f for use in provenance.store_contents for f in use.forces} | set(members)
    names = {f: registry.name(f) for f in sorted(known)}
    recording, recording_note = _recording(engine, plan)
    return Report(
        title,
        force,
        force_name,
        plan,
        tuple(sections),
        crime,
        quality,
        provenance,
        warnings,
        names,
        recording,
        recording_note,
    )


def _recording(engine: Engine, plan: ReportPlan) -> tuple[RecordingShare | None, str]:
    """Better recording's share of a rise, where pcp.toml declares audits (`pcp cdi`'s
    method): over their year against the one before, else the report's rolling year."""
    audits = plan.recording
    if audits is None:
        return None, ""
    kpi = engine.catalogue.kpis.get(audits.kpi)
    if kpi is None or kpi.kind != "count":
        return None, f"[recording] names {audits.kpi}, which is not a count KPI of the KPI file"
    period = parse_period(audits.period) if audits.period else plan.rolling
    try:
        share = recording_share(
            engine, kpi, plan.force, period, period.preceding(), audits.compliance
        )
    except (PcpError, ValueError) as exc:
        return None, f"no estimate of better recording: {getattr(exc, 'message', exc)}"
    return share, ""


def _sections(declared: Sequence[str], kpis: Sequence[Kpi]) -> list[str]:
    """The KPI file's sections in order, then any section a KPI names that is not listed."""
    extra = [k.section for k in kpis if k.section not in declared]
    return list(dict.fromkeys([*declared, *extra]))


def _comparator(
    registry: ForceRegistry, plan: ReportPlan, groups: Mapping[str, Sequence[str]]
) -> tuple[Comparator | None, str]:
    home = registry.forces[plan.force]
    if not home.territorial:
        return None, f"{home.name} is not a territorial force: it has no peer group"
    comparator, warnings = resolve_comparator(plan.group, home, registry, groups, plan.period)
    return comparator, "; ".join(warnings)


# -- one KPI -----------------------------------------------------------------------------------
def _line(
    engine: Engine,
    registry: ForceRegistry,
    plan: ReportPlan,
    kpi: Kpi,
    section_number: int,
    number: str,
    peer: GroupPosition | None,
    peer_note: str,
) -> KpiLine:
    row, notes = compare_row(engine, registry, kpi, plan.force, plan.period, plan.baseline, plan)
    spc = spc_status(
        engine,
        kpi,
        plan.force,
        registry.name(plan.force),
        plan.period,
        alpha=plan.alpha,
        months=plan.spc_months,
        events=plan.events,
    )
    trend = _trend(engine, kpi, plan, row)
    line = KpiLine(
        kpi=kpi,
        section_number=section_number,
        number=number,
        row=row,
        spc=spc,
        peer=peer,
        peer_note="" if peer else peer_note,
        trend=trend,
        notes=notes,
        ytd=year_to_date_values(engine, kpi, plan.force, plan.period),
        target=target_status(
            engine, kpi, plan.force, registry.name(plan.force), plan.period.end, plan.alpha
        ),
        breakdown=_breakdown(engine, kpi, plan),
    )
    return replace(line, headline=headline(line))


def _breakdown(engine: Engine, kpi: Kpi, plan: ReportPlan) -> Breakdown | None:
    """The KPI by its breakdown KPIs over the 12 months to the period's end, where some
    breakdown KPI has figures in the store (app.breakdown, as ``pcp table``)."""
    if not kpi.breakdown:
        return None
    request = BreakdownRequest(kpi, plan.force, report_period(plan.period))
    result = breakdown(engine, request)
    return result if result.has_data else None


def compare_row(
    engine: Engine,
    registry: ForceRegistry,
    kpi: Kpi,
    force: str,
    period: Period,
    baseline: Period,
    plan: ReportPlan,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The compare row of one KPI; where a period is incomplete, the current value only.

    A period with a missing month is never compared: the value is shown only when its
    own period is complete, and the note says what is missing.
    """
    try:
        frame = compare(
            engine, registry, ComparePlan([kpi], [force], period, baseline, alpha=plan.alpha)
        )
        row = frame.row(0, named=True)
        return row, ((row["notes"],) if row.get("notes") else ())
    except PcpError as exc:
        notes = [f"not compared: {exc.message.removeprefix(f'{kpi.id} for {force}: ')}"]
    row = dict.fromkeys(COMPARE_COLUMNS)
    row.update(
        {
            "force": force,
            "force_name": registry.name(force),
            "section": kpi.section,
            "kpi": kpi.id,
            "label": kpi.label,
            "polarity": kpi.polarity,
            "unit": kpi.unit,
            "period": period.label,
            "period_start": month_text(period.start),
            "period_end": month_text(period.end),
            "baseline_period": baseline.label,
            "baseline_start": month_text(baseline.start),
            "baseline_end": month_text(baseline.end),
            "alpha": plan.alpha,
            "complete": False,
            "monthly": [],
            "baseline_monthly": [],
        }
    )
    try:
        cur = engine.value(kpi, force, period)
    except PcpError:
        notes.append(f"no complete data for {period.label} either")
    else:
        row.update(
            {
                "source": cur.dataset,
                "value": cur.value,
                "numerator": cur.numerator if kpi.kind != "count" else None,
                "denominator": cur.denominator if kpi.kind != "count" else None,
                "monthly": list(cur.monthly),
            }
        )
    row["notes"] = "; ".join(notes)
    return row, tuple(notes)


def _trend(engine: Engine, kpi: Kpi, plan: ReportPlan, row: Mapping[str, Any]) -> Trend | None:
    try:
        yt = year_on_year(engine, kpi, plan.force, plan.period.end)
    except PcpError:
        current = tuple(float(v) for v in row.get("monthly") or ())
        previous = tuple(float(v) for v in row.get("baseline_monthly") or ())
        if not current and not previous:
            return None
        return Trend(
            "period",
            str(row.get("baseline_period") or ""),
            previous,
            str(row.get("period") or ""),
            current,
            str(row.get("source") or ""),
        )
    return Trend(
        "year-on-year", yt.previous_label, yt.previous, yt.current_label, yt.current, yt.dataset
    )


# -- peers -------------------------------------------------------------------------------------
# -- the rolling-12-month crime table ----------------------------------------------------------
def _crime_summary(
    engine: Engine,
    registry: ForceRegistry,
    populations: PopulationTable,
    plan: ReportPlan,
    comparator: Comparator | None,
    kpis: list[Kpi],
) -> CrimeSummary:
    period, baseline = plan.rolling, plan.rolling_baseline
    if comparator is not None:
        try:
            result = rank(
                engine,
                registry,
                populations,
                RankPlan(kpis, plan.force, period, baseline, comparator),
            )
        except PcpError as exc:
            reason = exc.message
        else:
            return CrimeSummary(
                period, baseline, result.frame, comparator.label, True, _crime_notes(result)
            )
    else:
        reason = f"{registry.name(plan.force)} has no peer group"
    rows = []
    for kpi in kpis:
        row, notes = compare_row(engine, registry, kpi, plan.force, period, baseline, plan)
        rows.append(
            {
                "force": plan.force,
                "force_name": registry.name(plan.force),
                "section": kpi.section,
                "kpi": kpi.id,
                "label": kpi.label,
                "unit": kpi.unit,
                "polarity": kpi.polarity,
                "dataset": row["source"],
                "period": period.label,
                "baseline_period": baseline.label,
                "value": row["value"],
                "baseline_value": row["baseline_value"],
                "change": row["change"],
                "pct_change": row["pct_change"],
                "status": "not ranked" + (f"; {'; '.join(notes)}" if notes else ""),
                "quality": "",
                "incomplete_peers": "",
                "missing_peers": "",
            }
        )
    frame = pl.DataFrame(rows, schema=KPI_COLUMNS)
    label = comparator.label if comparator else "no peer group"
    return CrimeSummary(period, baseline, frame, label, False, (f"No ranks: {reason}.",))


def _crime_notes(result: RankResult) -> tuple[str, ...]:
    """Rank's notes, its warnings about incomplete data and populations, and one line for
    the KPIs no other group member has data for (their ranks are not shown)."""
    frame = result.frame
    alone = frame.filter(pl.col("group_ranked") < 2)["label"].to_list()
    notes = [
        *result.notes,
        *(w for w in result.warnings if "incomplete" in w or "population" in w),
    ]
    if alone:
        notes.append(
            f"No {result.comparator.short} rank for {', '.join(alone)}: no other force of the "
            "group has data for them."
        )
    return tuple(notes)


# -- provenance --------------------------------------------------------------------------------
def file_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _provenance(
    engine: Engine,
    registry: ForceRegistry,
    forces_path: Path,
    store_path: Path,
    generated_at: datetime,
    comparator: Comparator | None,
    spc_months: int,
) -> Provenance:
    reader = engine.reader
    manifest = reader.manifest
    table = coverage(reader, registry, [], [])
    uses = []
    for dataset in sorted(manifest.datasets):
        files = {
            sha for part in manifest.partitions(dataset).values() for sha in part.get("sources", [])
        }
        title = DATASETS[dataset].title if dataset in DATASETS else dataset
        rows = table.filter(pl.col("dataset") == dataset)
        first: str | None
        last: str | None
        if rows.height:
            forces = tuple(sorted(set(rows["force"].to_list())))
            first, last = str(rows["first_month"].min()), str(rows["last_month"].max())
        elif dataset == "population" and manifest.aggregate_file(dataset):
            held = reader.aggregate(dataset).select("force", "year").unique().collect()
            forces = tuple(sorted(set(held["force"].to_list())))
            years = sorted(set(held["year"].to_list()))
            first = f"mid-{years[0]}" if years else None
            last = f"mid-{years[-1]}" if years else None
        else:
            forces = tuple(sorted({k.split("/")[0] for k in manifest.partitions(dataset)}))
            first = last = None
        uses.append(StoreUse(dataset, title, forces, first, last, len(files)))
    catalogue = engine.catalogue
    methods = (
        "Change against the baseline: Poisson E-test for counts (months as exposure), "
        "two-proportion z-test for rates and survey proportions; significant at the report's "
        "alpha (docs/statistics.md).",
        f"SPC status: NHS Making Data Count XmR chart of the points of up to the last "
        f"{spc_months} months to the period end (mean ± 2.66 × mean moving range, moving "
        "ranges screened; at least 12 points; quarterly series by quarter); exceptional = a "
        "point of the period outside the limits; special cause = a trend, a shift or 2 of 3 "
        "points near a limit. pcp check uses the same chart and words.",
        "Ranks: rate per 1,000 population (rates and surveys as themselves), rank 1 = best by "
        "the KPI's polarity; RAG against the group mean ± 1.96 SD (seed 001 key); see "
        "docs/rank.md.",
        "Headlines are written only for significant changes or special cause variation.",
    )
    return Provenance(
        generated_at=generated_at,
        pcp_version=__version__,
        kpi_file=str(catalogue.path),
        kpi_sha256=file_sha256(Path(catalogue.path)),
        forces_file=str(forces_path),
        forces_sha256=file_sha256(forces_path),
        store=str(store_path),
        store_updated_at=manifest.updated_at,
        store_contents=tuple(uses),
        comparator=comparator.label if comparator else "none",
        comparator_short=comparator.short if comparator else "Group",
        methods=methods,
    )


def period_words(period: Period) -> str:
    """'Q2 2018/19 (Jul 2018 to Sep 2018)'."""
    if period.start == period.end:
        return f"{period.label} ({month_name(period.start)})"
    return f"{period.label} ({month_name(period.start)} to {month_name(period.end)})"
