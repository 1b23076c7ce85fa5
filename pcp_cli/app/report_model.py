"""The panel report's model: every figure the renderers show, as plain data.

Built by :func:`pcp_cli.app.report_build.build_report` from the analyses (compare, SPC, rank,
data quality, coverage); turned into one flat table by :func:`pcp_cli.report.frame.to_frame`
and into HTML or markdown by the renderers. Nothing here computes or prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from pcp_cli.analysis.data_quality import DataQuality
from pcp_cli.analysis.significance import DEFAULT_ALPHA
from pcp_cli.app.breakdown import Breakdown
from pcp_cli.app.position import GroupPosition
from pcp_cli.app.recording import RecordingShare
from pcp_cli.app.spc import DEFAULT_SPC_MONTHS, SpcStatus
from pcp_cli.app.target import TargetStatus
from pcp_cli.app.ytd import YearToDate
from pcp_cli.events import KnownEvent
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Period
from pcp_cli.recording import RecordingAudits

QUARTERLY_TABLE_KPIS = (
    "calls-999",
    "calls-101",
    "incidents",
    "all-crime",
    "positive-outcomes",
    "stop-search",
)
"""Seed 000's quarterly table: the KPIs the panel paper opens with (those in the KPI file)."""


@dataclass(frozen=True)
class ReportPlan:
    """What to report: one force, a period against its baseline, and the rolling year."""

    force: str
    period: Period
    baseline: Period
    rolling: Period
    rolling_baseline: Period
    group: str = "msg"
    alpha: float = DEFAULT_ALPHA
    spc_months: int = DEFAULT_SPC_MONTHS
    quarterly_kpis: tuple[str, ...] = QUARTERLY_TABLE_KPIS
    events: tuple[KnownEvent, ...] = ()  # pcp.toml's [[event]]: charts and SPC restarts
    recording: RecordingAudits | None = None  # pcp.toml's [recording] audits


@dataclass(frozen=True)
class Trend:
    """Monthly values for the trend: last financial year (blue) and this one (red).

    ``kind`` is "year-on-year" (from :func:`analysis.trend.year_on_year`) or "period" (the
    baseline and current period's months, when the data is not monthly for both years).
    """

    kind: str
    previous_label: str
    previous: tuple[float, ...]
    current_label: str
    current: tuple[float, ...]
    dataset: str = ""


class _RowFigure:
    """A number of a :class:`KpiLine`'s compare row (the column of the attribute's name, or
    ``column``), None where it is missing."""

    def __init__(self, column: str | None = None) -> None:
        self.column = column or ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.column = self.column or name

    def __get__(self, line: KpiLine, owner: type | None = None) -> float | None:
        v = line.row.get(self.column)
        return None if v is None else float(v)


class _RowText(_RowFigure):
    """A text of a :class:`KpiLine`'s compare row (a period's label, the test's name)."""

    def __get__(self, line: KpiLine, owner: type | None = None) -> str | None:  # type: ignore[override]
        v = line.row.get(self.column)
        return None if v is None else str(v)


@dataclass(frozen=True)
class KpiLine:
    """One KPI of the report: the compare row plus SPC, peer position, trend and headline.

    ``row`` holds every column of :data:`pcp_cli.analysis.compare.COLUMNS` (``None`` where a
    period is incomplete and the change cannot be worked out).
    """

    kpi: Kpi
    section_number: int
    number: str
    row: dict[str, Any]
    spc: SpcStatus
    peer: GroupPosition | None = None
    peer_note: str = ""
    trend: Trend | None = None
    headline: str | None = None
    notes: tuple[str, ...] = ()
    ytd: YearToDate | None = None  # the financial year to date (app.ytd)
    target: TargetStatus | None = None  # the KPI file's target, projected (app.target)
    breakdown: Breakdown | None = None  # by its breakdown KPIs, month by month (app.breakdown)

    # The compare row's columns the paper reads, typed (None where missing: a period
    # incomplete, a KPI not tested). ``row`` itself is written out whole by report/frame.
    value = _RowFigure()
    baseline_value = _RowFigure()
    change = _RowFigure()
    pct_change = _RowFigure()
    p_value = _RowFigure()
    alpha = _RowFigure()
    ci_lower = _RowFigure()  # surveys: the Wilson interval and the number asked
    ci_upper = _RowFigure()
    respondents = _RowFigure("n")
    verdict = _RowText()
    change_basis = _RowText()  # "monthly average" when the periods differ in length
    test = _RowText()
    rag = _RowText()  # surveys: the seed-001 RAG (analysis.significance.proportion_rag)
    period = _RowText()
    baseline_period = _RowText()

    @property
    def significant(self) -> bool:
        return (self.verdict or "").startswith("significant")


@dataclass(frozen=True)
class SectionReport:
    number: int
    name: str
    lines: tuple[KpiLine, ...]
    without_data: tuple[Kpi, ...] = ()


@dataclass(frozen=True)
class CrimeSummary:
    """Seed 002/003's rolling-12-month table: rank's per-KPI frame for the Crime section.

    ``frame`` has the columns of :data:`pcp_cli.analysis.peers.tables.KPI_COLUMNS`; without peers or
    populations it is built from compare and the rank columns are empty (``notes`` says so).
    """

    period: Period
    baseline: Period
    frame: pl.DataFrame
    group_label: str
    ranked: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreUse:
    """What the store holds for one dataset (for the provenance section)."""

    dataset: str
    title: str
    forces: tuple[str, ...]
    first: str | None
    last: str | None
    files: int


@dataclass(frozen=True)
class Provenance:
    generated_at: datetime
    pcp_version: str
    kpi_file: str
    kpi_sha256: str
    forces_file: str
    forces_sha256: str
    store: str
    store_updated_at: str
    store_contents: tuple[StoreUse, ...]
    comparator: str
    comparator_short: str = "Group"  # "MSG", "national", "group X": the rank column's name
    methods: tuple[str, ...] = ()

    @property
    def generated_text(self) -> str:
        return self.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    def files(self) -> tuple[tuple[str, str, str], ...]:
        """(key, label, value) of what made the paper: the JSON rows and the annex list these."""
        return (
            ("generated_at", "Generated (UTC)", self.generated_text),
            ("pcp_version", "pcp version", self.pcp_version),
            ("kpi_file", "KPI file", self.kpi_file),
            ("kpi_file_sha256", "KPI file SHA-256", self.kpi_sha256),
            ("forces_file", "Forces file", self.forces_file),
            ("forces_file_sha256", "Forces file SHA-256", self.forces_sha256),
            ("store", "Store", self.store),
        )


@dataclass(frozen=True)
class LocalAreas:
    """The report's local parts (built by :func:`pcp_cli.app.areas.report_areas`).

    ``tables``: per section, the compare rows of its KPIs by area
    (:data:`pcp_cli.app.areas.BY_AREA_COLUMNS`); ``lookup``: the lookup used (path, sha256,
    ingested_at), None for districts from LSOA names. ``ho_monthly``: recorded crimes per
    Home Office code and month for the last 12 months (ho_code, category, start, period, n),
    None without crime records. ``notes`` say what could not be broken down and why.
    """

    by: str | None
    area_type: str
    lookup: dict[str, Any] | None
    tables: tuple[tuple[str, pl.DataFrame], ...]
    ho_monthly: pl.DataFrame | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    force: str
    force_name: str
    plan: ReportPlan
    sections: tuple[SectionReport, ...]
    crime: CrimeSummary | None
    quality: DataQuality
    provenance: Provenance
    warnings: tuple[str, ...] = field(default=())
    names: dict[str, str] = field(default_factory=dict)  # force id -> display name
    recording: RecordingShare | None = None  # better recording's share of a rise (app)
    recording_note: str = ""  # why audits declared in pcp.toml give no estimate
    local: LocalAreas | None = None  # by-area tables and monthly Home Office categories

    def name(self, force: str) -> str:
        return self.names.get(force, force)

    @property
    def lines(self) -> list[KpiLine]:
        return [line for s in self.sections for line in s.lines]

    @property
    def quarterly(self) -> list[KpiLine]:
        """Seed 000's table: the plan's quarterly KPIs that are in the report, in that order."""
        by_id = {line.kpi.id: line for line in self.lines}
        return [by_id[k] for k in self.plan.quarterly_kpis if k in by_id]

    @property
    def headlines(self) -> list[KpiLine]:
        return [line for line in self.lines if line.headline]
