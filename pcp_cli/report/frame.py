"""The whole report as one table, for JSON and Parquet (Power BI, Excel, scripts).

One row per item; the ``part`` column says which part of the report it belongs to:

* ``kpi``: one row per KPI of the report's sections, with every compare column, the SPC
  status, the MSG rank and RAG, the trend's monthly values and the headline;
* ``headline``: the front page's headlines, most important first (``kpi``, ``rank``,
  ``text``, ``direction``: better, worse or neutral);
* ``breakdown``: a KPI by its breakdown KPIs month by month (``item``: the KPI broken down;
  ``kpi``/``label``: the row's KPI, the KPI itself for the total row; ``period_start`` =
  ``period_end``: the month; ``value``; ``source``; ``status``: part or total), as
  ``pcp table`` gives them;
* ``crime_summary``: the rolling-12-month recorded crime table (rank's per-KPI columns);
* ``by_area`` (with ``--by`` or ``[report] by``): the by-area tables, one row per section,
  KPI and area, with the columns of ``pcp compare --by`` (``area``, ``area_type``, every
  compare column, ``population``, ``per_1000``, ``rank_per_1000``, ``areas_ranked``);
* ``home_office_monthly`` (when the store holds the force's crime records): one row per
  Home Office code and month of the last 12 (``ho_code``, ``category``, ``period_start`` =
  ``period_end``: the month; ``value``: crimes recorded; ``total``: the code's 12 months);
* ``data_quality``: one row per month (or run of months) that looks incomplete or is missing;
* ``provenance``: ``key``/``text`` pairs (generation time, pcp version, KPI file and its
  SHA-256, the areas lookup used, ...) and one row per dataset of the store (``dataset``,
  ``forces``, months, files).

Columns that do not apply to a part are null. Full precision throughout.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from pcp_cli.analysis.compare import COLUMNS as COMPARE_COLUMNS
from pcp_cli.app.areas import BY_AREA_COLUMNS
from pcp_cli.app.headlines import direction, ranked_headlines
from pcp_cli.app.report_model import KpiLine, LocalAreas, Report
from pcp_cli.app.target import TargetStatus
from pcp_cli.app.ytd import YearToDate
from pcp_cli.periods import month_text
from pcp_cli.report.area_layout import home_office_wide
from pcp_cli.report.layout import recording_words

_KPI_COMPARE = [c for c in COMPARE_COLUMNS if c not in ("force", "force_name", "rag", "rag_test")]

# The by-area columns of `pcp compare --by` that only by_area rows fill (types as there).
_AREA_ONLY = ("area", "area_type", "population", "per_1000", "rank_per_1000", "areas_ranked")

SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "part": pl.String,
    "force": pl.String,
    "force_name": pl.String,
    "section_number": pl.Int32,
    "item": pl.String,
    "quarterly_table": pl.Boolean,
    **{c: COMPARE_COLUMNS[c] for c in _KPI_COMPARE},
    "survey_rag": pl.String,
    "survey_rag_test": pl.String,
    "ytd_period": pl.String,
    "ytd_baseline_period": pl.String,
    "ytd_value": pl.Float64,
    "ytd_baseline_value": pl.Float64,
    "ytd_change": pl.Float64,
    "ytd_pct_change": pl.Float64,
    "target": pl.Float64,
    "target_text": pl.String,
    "target_by": pl.String,
    "target_series": pl.String,
    "projection": pl.Float64,
    "projection_lower": pl.Float64,
    "projection_upper": pl.Float64,
    "target_probability": pl.Float64,
    "target_rag": pl.String,
    "target_reason": pl.String,
    "target_note": pl.String,
    "spc_status": pl.String,
    "spc_signal": pl.Boolean,
    "spc_point_type": pl.String,
    "spc_detail": pl.String,
    "spc_source": pl.String,
    "spc_window": pl.String,
    "spc_points": pl.Int32,
    "spc_mean": pl.Float64,
    "spc_lower_limit": pl.Float64,
    "spc_upper_limit": pl.Float64,
    "spc_flagged": pl.String,
    "spc_note": pl.String,
    "spc_event": pl.String,
    "recording_compliance": pl.List(pl.Float64),
    "recording_average": pl.Float64,
    "recording_expected": pl.Float64,
    "recording_attributable": pl.Float64,
    "recording_share": pl.Float64,
    "spc_restarts": pl.String,
    "group": pl.String,
    "group_dataset": pl.String,
    "group_measure": pl.String,
    "group_rate": pl.Float64,
    "group_rank": pl.Int32,
    "group_ranked": pl.Int32,
    "group_members": pl.Int32,
    "national_rank": pl.Int32,
    "national_ranked": pl.Int32,
    "group_mean": pl.Float64,
    "group_lower_line": pl.Float64,
    "group_upper_line": pl.Float64,
    "group_rag": pl.String,
    "group_meaningful": pl.Boolean,
    "group_note": pl.String,
    "outcome_rate": pl.Float64,
    "outcome_rate_lower": pl.Float64,
    "outcome_rate_upper": pl.Float64,
    "outcome_rate_group_rank": pl.Int32,
    "outcome_rate_group_ranked": pl.Int32,
    "status": pl.String,
    "quality": pl.String,
    "incomplete_peers": pl.String,
    "missing_peers": pl.String,
    "trend_kind": pl.String,
    "trend_previous_label": pl.String,
    "trend_previous": pl.List(pl.Float64),
    "trend_current_label": pl.String,
    "trend_current": pl.List(pl.Float64),
    "headline": pl.String,
    "rank": pl.Int32,
    "direction": pl.String,
    "dataset": pl.String,
    "measure": pl.String,
    "months": pl.String,
    "issue": pl.String,
    "observed": pl.Float64,
    "reference": pl.Float64,
    "ratio": pl.Float64,
    "detail": pl.String,
    "key": pl.String,
    "text": pl.String,
    "forces": pl.Int32,
    "first_month": pl.String,
    "last_month": pl.String,
    "files": pl.Int32,
    # by_area and home_office_monthly: added at the end, so every earlier column keeps its place
    **{column: BY_AREA_COLUMNS[column] for column in _AREA_ONLY},
    "ho_code": pl.String,
    "category": pl.String,
    "total": pl.Int64,
}



def to_frame(report: Report) -> pl.DataFrame:
    """Every figure of the report in one DataFrame (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    quarterly = {line.kpi.id for line in report.quarterly}
    for line in report.lines:
        rows.append(_kpi_row(report, line, line.kpi.id in quarterly))
    for rank, line in enumerate(ranked_headlines(report.lines), 1):
        rows.append(
            {"part": "headline", "force": report.force, "force_name": report.force_name,
             "kpi": line.kpi.id, "item": line.number, "rank": rank, "text": line.headline,
             "direction": direction(line)}
        )  # fmt: skip
    for line in report.lines:
        rows += _breakdown_rows(report, line)
    if report.crime is not None:
        for r in report.crime.frame.iter_rows(named=True):
            rows.append(_crime_row(report, r))
    if report.recording is not None:
        rows.append(_recording_row(report))
    if report.local is not None:
        rows += _by_area_rows(report, report.local)
        if report.local.ho_monthly is not None:
            rows += _home_office_rows(report, report.local.ho_monthly)
    plan = report.plan
    for flag in report.quality.flags:
        rows.append(
            {
                "part": "data_quality",
                "force": flag.force,
                "force_name": flag.force_name,
                "period_start": month_text(report.quality.window.start),
                "period_end": month_text(report.quality.window.end),
                "dataset": flag.dataset,
                "measure": flag.measure,
                "months": flag.months,
                "issue": flag.issue,
                "observed": flag.value,
                "reference": flag.reference,
                "ratio": flag.ratio,
                "detail": flag.detail,
            }
        )
    prov = report.provenance
    head = {"part": "provenance", "force": report.force, "force_name": report.force_name}
    pairs = [
        ("title", report.title),
        ("period", plan.period.label),
        ("baseline_period", plan.baseline.label),
        ("rolling_period", plan.rolling.label),
        ("rolling_baseline_period", plan.rolling_baseline.label),
        ("alpha", f"{plan.alpha:g}"),
        ("spc_months", str(plan.spc_months)),
        ("comparator", prov.comparator),
        *((key, value) for key, _, value in prov.files()),
        ("store_updated_at", prov.store_updated_at),
        ("data_quality_window", report.quality.window.label),
        ("data_quality_series_checked", str(report.quality.series_checked)),
    ]
    rows += [{**head, "key": k, "text": v} for k, v in pairs]
    rows += [{**head, "key": "warning", "text": w} for w in report.warnings]
    if report.local is not None:
        rows += [{**head, "key": k, "text": v} for k, v in _area_provenance(report.local)]
    for use in prov.store_contents:
        rows.append(
            {
                **head,
                "key": "store_dataset",
                "text": use.title,
                "dataset": use.dataset,
                "forces": len(use.forces),
                "first_month": use.first,
                "last_month": use.last,
                "files": use.files,
            }
        )
    return pl.DataFrame(rows, schema=SCHEMA)


def _by_area_rows(report: Report, local: LocalAreas) -> list[dict[str, Any]]:
    """part = "by_area": the rows the paper's by-area tables are drawn from, as they are (the
    rows of `pcp compare --by`), with the KPI's section number and item as on its kpi row."""
    lines = {line.kpi.id: line for line in report.lines}
    rows = []
    for _, table in local.tables:
        for r in table.iter_rows(named=True):
            line = lines[r["kpi"]]
            rows.append(
                {
                    "part": "by_area",
                    "force": r["force"],
                    "force_name": r["force_name"],
                    "section_number": line.section_number,
                    "item": line.number,
                    **{c: r[c] for c in _KPI_COMPARE},
                    "monthly": r["monthly"] or [],
                    "baseline_monthly": r["baseline_monthly"] or [],
                    "survey_rag": r["rag"],
                    "survey_rag_test": r["rag_test"],
                    **{c: r[c] for c in _AREA_ONLY},
                }
            )
    return rows


def _home_office_rows(report: Report, monthly: pl.DataFrame) -> list[dict[str, Any]]:
    """part = "home_office_monthly": the paper's Home Office table, one row per cell (code
    and month, zero where none was recorded), in the table's order."""
    starts, wide = home_office_wide(monthly)
    head = {"part": "home_office_monthly", "force": report.force,
            "force_name": report.force_name}  # fmt: skip
    return [
        {**head, "ho_code": r["ho_code"], "category": r["category"],
         "period": month_text(start), "period_start": month_text(start),
         "period_end": month_text(start), "value": float(r[str(start)]), "total": r["total"]}
        for r in wide.iter_rows(named=True)
        for start in starts
    ]  # fmt: skip


def _area_provenance(local: LocalAreas) -> list[tuple[str, str]]:
    """Which areas the by-area rows are of and which lookup they came from (the paper
    names it), and what could not be broken down."""
    pairs = []
    if local.by is not None:
        pairs += [("areas_by", local.by), ("areas_type", local.area_type)]
    if local.lookup is not None:
        keys = (("path", ""), ("sha256", "_sha256"), ("ingested_at", "_ingested_at"))
        pairs += [(f"areas_lookup{tail}", str(local.lookup.get(k, ""))) for k, tail in keys]
    return pairs + [("areas_note", note) for note in local.notes]


def _breakdown_rows(report: Report, line: KpiLine) -> list[dict[str, Any]]:
    """part = "breakdown": one row per breakdown KPI (and the KPI itself) and month."""
    result = line.breakdown
    if result is None:
        return []
    head = {"part": "breakdown", "force": report.force, "force_name": report.force_name}
    return [
        {**head, "item": result.kpi.id, "kpi": row.kpi.id, "label": row.kpi.label,
         "section": row.kpi.section, "unit": row.kpi.unit, "source": row.source,
         "period": result.period.label, "period_start": month_text(month),
         "period_end": month_text(month), "value": value, "status": row.role}
        for row in result.rows
        for month, value in zip(result.months, row.values, strict=True)
    ]  # fmt: skip


def _kpi_row(report: Report, line: KpiLine, quarterly: bool) -> dict[str, Any]:
    row = line.row
    spc = line.spc
    peer = line.peer
    out: dict[str, Any] = {
        "part": "kpi",
        "force": report.force,
        "force_name": report.force_name,
        "section_number": line.section_number,
        "item": line.number,
        "quarterly_table": quarterly,
        **{c: row.get(c) for c in _KPI_COMPARE},
        "survey_rag": row.get("rag"),
        "survey_rag_test": row.get("rag_test"),
        "spc_status": spc.status,
        "spc_signal": spc.signal,
        "spc_point_type": spc.point_type,
        "spc_detail": spc.detail or None,
        "spc_source": spc.source,
        "spc_window": spc.window or None,
        "spc_points": spc.points or None,
        "spc_mean": spc.mean,
        "spc_lower_limit": spc.lower,
        "spc_upper_limit": spc.upper,
        "spc_flagged": " ".join(spc.flagged) or None,
        "spc_note": spc.note or None,
        "spc_event": spc.event or None,
        "spc_restarts": " ".join(month_text(m) for m in spc.restarted) or None,
        "group_note": line.peer_note or None,
        "headline": line.headline,
    }
    if not out.get("monthly"):
        out["monthly"] = []
    if not out.get("baseline_monthly"):
        out["baseline_monthly"] = []
    if peer is not None:
        out.update(
            {
                "group": peer.group,
                "group_dataset": peer.dataset,
                "group_measure": peer.measure,
                "group_rate": peer.rate,
                "group_rank": peer.rank,
                "group_ranked": peer.ranked,
                "group_members": peer.members,
                "national_rank": peer.national_rank,
                "national_ranked": peer.national_ranked,
                "group_mean": peer.mean,
                "group_lower_line": peer.lower,
                "group_upper_line": peer.upper,
                "group_rag": peer.rag,
                "group_meaningful": peer.meaningful,
                "incomplete_peers": " ".join(peer.incomplete_peers),
            }
        )
    if line.ytd is not None:
        out.update(_ytd_columns(line.ytd))
    if line.target is not None:
        out.update(_target_columns(line.target, line.kpi.unit))
    if line.trend is not None:
        out.update(
            {
                "trend_kind": line.trend.kind,
                "trend_previous_label": line.trend.previous_label,
                "trend_previous": list(line.trend.previous),
                "trend_current_label": line.trend.current_label,
                "trend_current": list(line.trend.current),
            }
        )
    return out


def _recording_row(report: Report) -> dict[str, Any]:
    """part = "recording": `pcp cdi`'s figures for the audits declared in pcp.toml."""
    share = report.recording
    assert share is not None
    est = share.estimate
    return {
        "part": "recording",
        "force": report.force,
        "force_name": report.force_name,
        "kpi": share.kpi.id,
        "label": share.kpi.label,
        "period": share.period.label,
        "baseline_period": share.baseline.label,
        "value": est.recorded,
        "baseline_value": est.previous,
        "change": est.increase,
        "recording_compliance": list(share.compliance),
        "recording_average": est.average_compliance,
        "recording_expected": est.expected_at_start,
        "recording_attributable": est.attributable,
        "recording_share": est.share_of_increase,
        "text": recording_words(report),
    }


def _ytd_columns(ytd: YearToDate) -> dict[str, Any]:
    return {
        "ytd_period": ytd.period.label,
        "ytd_baseline_period": ytd.baseline.label,
        "ytd_value": ytd.value,
        "ytd_baseline_value": ytd.baseline_value,
        "ytd_change": ytd.change,
        "ytd_pct_change": ytd.pct_change,
    }


def _target_columns(status: TargetStatus, unit: str) -> dict[str, Any]:
    """`pcp project`'s figures for the KPI file's target (the same function computes them)."""
    target = status.target
    row = status.row or {}
    return {
        "target": row.get("target"),
        "target_text": target.words(unit),
        "target_by": month_text(target.by),
        "target_series": target.series,
        "projection": row.get("projection"),
        "projection_lower": row.get("pi_lower"),
        "projection_upper": row.get("pi_upper"),
        "target_probability": row.get("probability"),
        "target_rag": row.get("rag"),
        "target_reason": row.get("rag_reason"),
        "target_note": status.note or None,
    }


def _crime_row(report: Report, r: dict[str, Any]) -> dict[str, Any]:
    crime = report.crime
    assert crime is not None
    return {
        "part": "crime_summary",
        "force": r["force"],
        "force_name": r["force_name"],
        "section": r["section"],
        "kpi": r["kpi"],
        "label": r["label"],
        "unit": r["unit"],
        "polarity": r["polarity"],
        "source": r["dataset"],
        "period": r["period"],
        "period_start": month_text(crime.period.start),
        "period_end": month_text(crime.period.end),
        "baseline_period": r["baseline_period"],
        "baseline_start": month_text(crime.baseline.start),
        "baseline_end": month_text(crime.baseline.end),
        "value": r["value"],
        "baseline_value": r["baseline_value"],
        "change": r["change"],
        "pct_change": r["pct_change"],
        "group": r["group"],
        "group_dataset": r["dataset"],
        "group_measure": r["measure"],
        "group_rate": r["rate"],
        "group_rank": r["group_rank"],
        "group_ranked": r["group_ranked"],
        "group_members": r["group_members"],
        "national_rank": r["national_rank"],
        "national_ranked": r["national_ranked"],
        "group_mean": r["group_mean"],
        "group_lower_line": r["lower_line"],
        "group_upper_line": r["upper_line"],
        "group_rag": r["rag"],
        "group_meaningful": r["meaningful"],
        "outcome_rate": r["outcome_rate"],
        "outcome_rate_lower": r["outcome_rate_lower"],
        "outcome_rate_upper": r["outcome_rate_upper"],
        "outcome_rate_group_rank": r["outcome_rate_group_rank"],
        "outcome_rate_group_ranked": r["outcome_rate_group_ranked"],
        "status": r["status"],
        "quality": r["quality"],
        "incomplete_peers": r["incomplete_peers"],
        "missing_peers": r["missing_peers"],
    }
