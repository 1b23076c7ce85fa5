"""The report laid out as a document: parts, tables of formatted cells, bullets, figures.

HTML, markdown and the terminal table all render this one layout, so they show the same
numbers in the same words. A :class:`Cell` carries its text, a tone for colour (``good``,
``bad``, ``improvement``, ``concern``, ``neutral``, ``red``, ``amber``, ``green``, ``muted``)
and, for trend cells, the monthly values: HTML draws them as a small chart, text formats
show the sparkline in ``text``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from pcp_cli.analysis.peer_figures import OK
from pcp_cli.periods import month_name, month_text
from pcp_cli.report.build import period_words
from pcp_cli.report.model import KpiLine, Report, SectionReport, Trend
from pcp_cli.report.words import (
    change_text,
    number,
    p_text,
    pct_text,
    value_text,
)

ChartChoice = Literal["notable", "all", "none"]
SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Cell:
    text: str
    tone: str = ""
    trend: Trend | None = None
    title: str = ""


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: frozenset[int] = frozenset()
    caption: tuple[str, ...] = ()
    title: str = ""
    kind: str = ""  # css class: kpis, summary, crime, quality, provenance


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: str = ""  # "note", "lead", "empty"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    title: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Figure:
    """A chart from :mod:`pcp_cli.charts` (HTML only): ``kind`` is "trend" or "spc"."""

    kind: str
    line: KpiLine
    force_name: str
    caption: str


Block = Table | Paragraph | Bullets | Figure


@dataclass(frozen=True)
class Part:
    id: str
    title: str
    blocks: tuple[Block, ...]
    new_page: bool = True


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    meta: tuple[tuple[str, str], ...]
    parts: tuple[Part, ...] = field(default=())


def layout(report: Report, charts: ChartChoice = "notable") -> Document:
    plan = report.plan
    prov = report.provenance
    subtitle = f"{period_words(plan.period)} against {period_words(plan.baseline)}"
    meta = (
        ("Force", report.force_name),
        ("Period", plan.period.label),
        ("Compared with", plan.baseline.label),
        ("Peer group", prov.comparator),
        ("Generated (UTC)", prov.generated_text),
        ("pcp", prov.pcp_version),
    )
    parts = [
        Part("headlines", "Headlines", _headlines(report), new_page=False),
        Part("summary", "Performance summary", _summary(report), new_page=False),
    ]
    for section in report.sections:
        parts.append(
            Part(
                f"section-{section.number}",
                f"{section.number}. {section.name}",
                _section(report, section, charts),
            )
        )
    if report.crime is not None:
        parts.append(Part("crime-summary", "Recorded crime: rolling 12 months", _crime(report)))
    parts.append(Part("data-quality", "Data quality", _quality(report)))
    parts.append(Part("provenance", "Provenance and methods", _provenance(report)))
    return Document(report.title, subtitle, meta, tuple(parts))


# -- cells ------------------------------------------------------------------------------------
def sparkline(values: tuple[float, ...], lo: float, hi: float) -> str:
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(" ")
        elif hi == lo:
            out.append(SPARK[len(SPARK) // 2])
        else:
            out.append(
                SPARK[min(len(SPARK) - 1, int((v - lo) / (hi - lo) * (len(SPARK) - 1) + 0.5))]
            )
    return "".join(out)


def trend_cell(trend: Trend | None) -> Cell:
    if trend is None:
        return Cell("")
    finite = [v for v in (*trend.previous, *trend.current) if v is not None and math.isfinite(v)]
    if not finite:
        return Cell("", trend=trend)
    lo, hi = min(finite), max(finite)
    text = sparkline(trend.previous, lo, hi) + "│" + sparkline(trend.current, lo, hi)
    title = f"{trend.previous_label} (blue) and {trend.current_label} (red), monthly"
    return Cell(text, trend=trend, title=title)


def _change_tone(line: KpiLine) -> str:
    change = line.change
    if change is None or change == 0 or line.kpi.polarity == "neutral":
        return ""
    good = (change < 0) == (line.kpi.polarity == "lower-is-better")
    return "good" if good else "bad"


def significance_cell(line: KpiLine) -> Cell:
    verdict = line.verdict
    if verdict is None:
        return Cell("not tested", "muted")
    p = p_text(line.get("p_value"))
    text = verdict + (f" ({p})" if p else "")
    rag = line.get("rag")
    tone = ""
    if isinstance(rag, str) and rag in ("RED", "AMBER", "GREEN"):
        text = f"{rag}: {text}"
        tone = rag.lower()
    elif line.significant and line.kpi.polarity != "neutral":
        tone = _change_tone(line)
    return Cell(text, tone, title=str(line.get("test") or ""))


_SPC_TONE = {
    "special_cause_improvement": "improvement",
    "special_cause_concern": "concern",
    "special_cause_neutral_high": "neutral",
    "special_cause_neutral_low": "neutral",
}


def spc_cell(line: KpiLine) -> Cell:
    spc = line.spc
    if spc.status == "not charted":
        return Cell("–", "muted", title=spc.note)
    return Cell(spc.status, _SPC_TONE.get(spc.point_type or "", ""), title=spc.detail)


def rank_cell(line: KpiLine) -> Cell:
    peer = line.peer
    if peer is None or peer.rank is None:
        return Cell("–", "muted", title=line.peer_note)
    title = f"{peer.measure}: {number(peer.rate, 3)}; national rank " + (
        f"{peer.national_rank} of {peer.national_ranked}" if peer.national_rank else "–"
    )
    return Cell(f"{peer.rank} of {peer.ranked}", title=title)


def rag_cell(line: KpiLine) -> Cell:
    peer = line.peer
    if peer is None or not peer.rag or peer.rag == "NONE":
        return Cell("–", "muted")
    return Cell(peer.rag, peer.rag.lower())


# -- parts ------------------------------------------------------------------------------------
def _headlines(report: Report) -> tuple[Block, ...]:
    plan = report.plan
    items = tuple(f"{line.number} {line.headline}" for line in report.headlines)
    lead = Paragraph(
        f"{report.force_name}, {period_words(plan.period)} against {plan.baseline.label}. "
        "Only statistically notable results are listed: a significant change against the "
        "baseline, or special cause variation in the SPC chart.",
        "lead",
    )
    if not items:
        return (
            lead,
            Paragraph(
                "Nothing in this period is statistically notable: every change is within what "
                "chance would produce and no SPC chart shows special cause variation.",
                "empty",
            ),
        )
    return lead, Bullets(items, kind="headlines")


def _summary(report: Report) -> tuple[Block, ...]:
    plan = report.plan
    lines = report.quarterly
    if not lines:
        return (Paragraph("None of the summary KPIs has data in the store.", "empty"),)
    trend = next((line.trend for line in lines if line.trend), None)
    trend_head = (
        f"Trend (blue {trend.previous_label}, red {trend.current_label})" if trend else "Trend"
    )
    headers = (
        "No.",
        "KPI",
        plan.period.label,
        plan.baseline.label,
        "Volume change",
        "% change",
        trend_head,
    )
    rows = []
    for line in lines:
        unit = line.kpi.unit
        tone = _change_tone(line)
        rows.append(
            (
                Cell(line.number),
                Cell(line.kpi.label),
                Cell(value_text(line.value, unit)),
                Cell(value_text(line.baseline_value, unit)),
                Cell(change_text(line.change, unit), tone),
                Cell(pct_text(line.pct_change), tone),
                trend_cell(line.trend),
            )
        )
    caption = (
        f"The opening table of the panel paper (seed 000): {plan.period.label} against "
        f"{plan.baseline.label}. Changes are computed from the figures shown.",
    )
    return (Table(headers, tuple(rows), frozenset({2, 3, 4, 5}), caption, kind="summary"),)


def _section(report: Report, section: SectionReport, charts: ChartChoice) -> tuple[Block, ...]:
    plan = report.plan
    blocks: list[Block] = []
    if section.lines:
        headers = (
            "No.",
            "KPI",
            plan.period.label,
            plan.baseline.label,
            "Volume change",
            "% change",
            "Significance",
            "SPC",
            f"{_short(report)} rank",
            "RAG",
            "Trend",
        )
        rows = []
        for line in section.lines:
            unit = line.kpi.unit
            tone = _change_tone(line)
            rows.append(
                (
                    Cell(line.number),
                    Cell(line.kpi.label, title=line.kpi.description),
                    Cell(value_text(line.value, unit)),
                    Cell(value_text(line.baseline_value, unit)),
                    Cell(change_text(line.change, unit), tone),
                    Cell(pct_text(line.pct_change), tone),
                    significance_cell(line),
                    spc_cell(line),
                    rank_cell(line),
                    rag_cell(line),
                    trend_cell(line.trend),
                )
            )
        blocks.append(
            Table(
                headers,
                tuple(rows),
                frozenset({2, 3, 4, 5}),
                _section_caption(report, section),
                kind="kpis",
            )
        )
    else:
        blocks.append(Paragraph("No KPI of this section has data in the store.", "empty"))
    notable = [line for line in section.lines if line.headline]
    if notable:
        blocks.append(
            Bullets(tuple(f"{line.number} {line.headline}" for line in notable), "Notable")
        )
    if section.without_data:
        names = ", ".join(k.label for k in section.without_data)
        blocks.append(Paragraph(f"Not reported (no data in the store): {names}.", "note"))
    for line in section.lines:
        blocks += _figures(report, line, charts)
    return tuple(blocks)


def _short(report: Report) -> str:
    """'MSG', 'National', 'Group': the name of the rank columns."""
    short = report.provenance.comparator_short
    return short if short.isupper() else short.split()[0].capitalize()


def _section_caption(report: Report, section: SectionReport) -> tuple[str, ...]:
    plan = report.plan
    alpha = plan.alpha * 100
    out = [
        f"Significance at {number(alpha, 0 if alpha.is_integer() else 1)}%: Poisson E-test for "
        "counts, two-proportion z-test for rates and surveys (survey RAG: seed 001 key). "
        f"SPC: XmR chart of up to {plan.spc_months} months to {month_name(plan.period.end)}. "
        f"{_short(report)} rank: 1 = best by the KPI's polarity; RAG against the group mean "
        "± 1.96 SD.",
    ]
    reasons: dict[str, list[str]] = {}
    for line in section.lines:
        if line.peer is None and line.peer_note:
            reasons.setdefault(line.peer_note, []).append(line.number)
    for reason, numbers in reasons.items():
        out.append(f"Not ranked ({', '.join(numbers)}): {reason}.")
    spc_notes: dict[str, list[str]] = {}
    for line in section.lines:
        if line.spc.status == "not charted" and line.spc.note:
            spc_notes.setdefault(line.spc.note, []).append(line.number)
    for note, numbers in spc_notes.items():
        out.append(f"No SPC status ({', '.join(numbers)}): {note}.")
    incomplete: dict[tuple[str, ...], list[str]] = {}
    for line in section.lines:
        if line.peer is not None and line.peer.incomplete_peers:
            incomplete.setdefault(line.peer.incomplete_peers, []).append(line.number)
    for forces, numbers in incomplete.items():
        names = ", ".join(report.name(f) for f in forces)
        out.append(
            f"Ranked although their data look incomplete in {plan.period.label} "
            f"({', '.join(numbers)}): {names}; see Data quality."
        )
    notes: dict[str, list[str]] = {}
    for line in section.lines:
        for note in line.notes:
            notes.setdefault(note, []).append(line.number)
    for note, numbers in notes.items():
        out.append(f"{', '.join(numbers)}: {note.rstrip('.')}.")
    return tuple(out)


def _figures(report: Report, line: KpiLine, charts: ChartChoice) -> list[Block]:
    if charts == "none":
        return []
    out: list[Block] = []
    has_spc = line.spc.frame is not None and line.spc.status != "not charted"
    has_trend = line.trend is not None and line.trend.kind == "year-on-year"
    caption = line.headline or f"{line.kpi.label}"
    if charts == "all":
        if has_trend:
            out.append(Figure("trend", line, report.force_name, caption))
        if has_spc:
            out.append(Figure("spc", line, report.force_name, line.spc.detail))
        return out
    if not line.headline:
        return []
    if line.spc.signal and has_spc:
        out.append(Figure("spc", line, report.force_name, caption))
    elif has_trend:
        out.append(Figure("trend", line, report.force_name, caption))
    return out


def _crime(report: Report) -> tuple[Block, ...]:
    crime = report.crime
    assert crime is not None
    short = _short(report)
    national = short != "National"  # else the group rank is the national rank
    headers = (
        "Category",
        crime.period.label,
        crime.baseline.label,
        "Change",
        "% change",
        f"{short} rank",
        *(["National rank"] if national else []),
        "Positive outcome rate",
        f"{short} rank (outcomes)",
    )
    rows = []
    for r in crime.frame.iter_rows(named=True):
        unit = r["unit"]
        change = r["change"]
        tone = ""
        if change and r["polarity"] != "neutral":
            tone = "good" if (change < 0) == (r["polarity"] == "lower-is-better") else "bad"
        muted = r["status"] != OK
        rows.append(
            (
                Cell(r["label"], "muted" if muted else "", title=r["status"] if muted else ""),
                Cell(value_text(r["value"], unit)),
                Cell(value_text(r["baseline_value"], unit)),
                Cell(change_text(change, unit), tone),
                Cell(pct_text(r["pct_change"]), tone),
                Cell(_of(r["group_rank"], r["group_ranked"])),
                *([Cell(_of(r["national_rank"], r["national_ranked"]))] if national else []),
                Cell(
                    number(r["outcome_rate"], 1) + "%" if r["outcome_rate"] is not None else "n/a"
                ),
                Cell(_of(r["outcome_rate_group_rank"], r["outcome_rate_group_ranked"])),
            )
        )
    caption = [
        f"Seeds 002 and 003: {crime.period.label} against {crime.baseline.label}. Ranks over "
        f"{crime.group_label} by rate per 1,000 population, 1 = lowest; positive outcome rate "
        "= crimes of the category whose last outcome (street data) is positive."
        if crime.ranked
        else f"{crime.period.label} against {crime.baseline.label}.",
        *crime.notes,
    ]
    return (
        Table(
            headers,
            tuple(rows),
            frozenset(range(1, len(headers))),
            tuple(caption),
            kind="crime",
        ),
    )


def _of(rank: int | None, of: int | None) -> str:
    """'5 of 8'; '–' without a rank or when only the force itself was ranked."""
    return "–" if rank is None or of is None or of < 2 else f"{rank} of {of}"


def _quality(report: Report) -> tuple[Block, ...]:
    dq = report.quality
    names = ", ".join(report.name(f) for f in dq.forces) if dq.forces else "none"
    lead = Paragraph(
        f"Months {month_text(dq.window.start)} to {month_text(dq.window.end)} checked for "
        f"{names}: {dq.series_checked} monthly series. A fall that is a missing upload must "
        "not be read as a fall in crime.",
        "lead",
    )
    blocks: list[Block] = [lead]
    if not dq.flags:
        blocks.append(Paragraph("No month looks incomplete and no series has a gap.", "empty"))
    else:
        headers = ("Force", "Dataset", "Months", "Issue", "Value", "Reference", "Change")
        rows = []
        for f in dq.flags:
            what = f.dataset + (f" ({f.measure})" if f.measure else "")
            rows.append(
                (
                    Cell(f.force_name),
                    Cell(what),
                    Cell(f.months),
                    Cell(f.issue, "bad"),
                    Cell(number(f.value, 0) if f.value is not None else "–"),
                    Cell(number(f.reference, 0) if f.reference is not None else "–"),
                    Cell(pct_text((f.ratio - 1) * 100) if f.ratio is not None else "–"),
                )
            )
        blocks.append(Table(headers, tuple(rows), frozenset({4, 5, 6}), (), kind="quality"))
    blocks += [Paragraph(n, "note") for n in dq.notes]
    return tuple(blocks)


def _provenance(report: Report) -> tuple[Block, ...]:
    prov = report.provenance
    plan = report.plan
    facts = (
        ("Generated (UTC)", prov.generated_text),
        ("pcp version", prov.pcp_version),
        ("KPI file", prov.kpi_file),
        ("KPI file SHA-256", prov.kpi_sha256),
        ("Forces file", prov.forces_file),
        ("Forces file SHA-256", prov.forces_sha256),
        ("Store", prov.store),
        ("Store last updated", prov.store_updated_at or "–"),
        ("Peer group", prov.comparator),
        ("Period", f"{plan.period.label} against {plan.baseline.label}"),
        ("Rolling year", f"{plan.rolling.label} against {plan.rolling_baseline.label}"),
    )
    blocks: list[Block] = [
        Table(
            ("Item", "Value"),
            tuple((Cell(k), Cell(v)) for k, v in facts),
            frozenset(),
            (),
            kind="provenance",
        )
    ]
    rows = []
    for use in prov.store_contents:
        forces = (
            ", ".join(report.name(f) for f in use.forces)
            if len(use.forces) <= 8
            else f"{len(use.forces)} forces"
        )
        months = f"{use.first}..{use.last}" if use.first and use.last else "–"
        rows.append(
            (Cell(use.dataset, title=use.title), Cell(forces), Cell(months), Cell(str(use.files)))
        )
    blocks.append(
        Table(
            ("Dataset", "Forces", "Months", "Source files"),
            tuple(rows),
            frozenset({3}),
            ("What the store held when the report was generated.",),
            title="Store contents",
            kind="provenance",
        )
    )
    if report.warnings:
        blocks.append(Bullets(report.warnings, "Warnings", "warnings"))
    blocks.append(Bullets(prov.methods, "Methods", "methods"))
    return tuple(blocks)
