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

from pcp_cli.analysis.judgement import judge_change
from pcp_cli.analysis.peers.statistics import OK
from pcp_cli.app.headlines import (
    FRONT_PAGE_HEADLINES,
    JUDGEMENT_WORDS,
    Z_CAP,
    change_text,
    direction,
    p_text,
    pct_text,
    ranked_headlines,
    spc_words,
)
from pcp_cli.app.report_build import CRIME_SECTION, period_words
from pcp_cli.app.report_model import KpiLine, Report, ReportPlan, SectionReport, Trend
from pcp_cli.app.window import year_to_date
from pcp_cli.errors import PcpError
from pcp_cli.events import KnownEvent
from pcp_cli.periods import Period, month_name, parse_month
from pcp_cli.text import level as level_text
from pcp_cli.text import number, sparkline
from pcp_cli.text import value as value_text

ChartChoice = Literal["notable", "all", "none"]


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
class ChartBlock:
    """A chart from :mod:`pcp_cli.charts` (HTML only): ``kind`` is "trend" or "spc"."""

    kind: str
    line: KpiLine
    force_name: str
    caption: str
    events: tuple[KnownEvent, ...] = ()  # pcp.toml's [[event]], marked on the chart


Block = Table | Paragraph | Bullets | ChartBlock


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
    """The document: a front page, the sections with data, data quality, then the annexes."""
    plan = report.plan
    prov = report.provenance
    subtitle = f"{period_words(plan.period)} against {period_words(plan.baseline)}"
    meta = (
        ("Force", report.force_name),
        ("Period", plan.period.label),
        ("Compared with", plan.baseline.label),
        ("Similar forces", prov.comparator),
        ("Produced (UTC)", prov.generated_text),
    )
    front = ranked_headlines(report.lines)
    charted = {line.kpi.id for line in front}
    parts = [
        Part("summary", "Performance summary", _summary(report), new_page=False),
        Part("headlines", "Headlines", _headlines(report, front), new_page=False),
    ]
    with_data = [s for s in report.sections if s.lines]
    for i, section in enumerate(with_data):
        parts.append(
            Part(
                f"section-{section.number}",
                f"{section.number}. {section.name}",
                _section(report, section, charts, charted, key=i == 0),
                new_page=i == 0,
            )
        )
    if report.crime is not None:
        parts.append(
            Part("crime-summary", "Recorded crime: rolling 12 months", _crime(report), False)
        )
    from pcp_cli.report.area_layout import area_parts  # late: it builds on this module

    parts += area_parts(report)
    parts.append(Part("data-quality", "Data quality", _quality(report), new_page=False))
    parts.append(Part("glossary", "Annex A: Glossary", _glossary(report)))
    parts.append(Part("methods", "Annex B: Methods", _methods(report), new_page=False))
    parts.append(Part("provenance", "Annex C: Sources", _provenance(report), new_page=False))
    return Document(report.title, subtitle, meta, tuple(parts))


# -- cells ------------------------------------------------------------------------------------
def trend_cell(trend: Trend | None) -> Cell:
    """Monthly trends as a sparkline; quarterly (two-value) series say "quarterly" in text
    (HTML draws them as two small bars)."""
    if trend is None:
        return Cell("")
    finite = [v for v in (*trend.previous, *trend.current) if v is not None and math.isfinite(v)]
    if not finite:
        return Cell("", trend=trend)
    if trend.kind != "year-on-year" and max(len(trend.previous), len(trend.current)) <= 1:
        title = f"{trend.previous_label} (blue) and {trend.current_label} (red), quarterly"
        return Cell("quarterly", trend=trend, title=title)
    lo, hi = min(finite), max(finite)
    text = sparkline(trend.previous, (lo, hi)) + "│" + sparkline(trend.current, (lo, hi))
    title = f"{trend.previous_label} (blue) and {trend.current_label} (red), monthly"
    return Cell(text, trend=trend, title=title)


_JUDGEMENT_TONE = {"better": "good", "worse": "bad", "neutral": ""}


def _change_tone(line: KpiLine) -> str:
    """Colour for a change only where the report judges it (and says so in words)."""
    return _JUDGEMENT_TONE[direction(line)] if line.headline else ""


def judgement_cell(line: KpiLine) -> Cell:
    """'▲ better', '▼ worse' or 'no judgement' for a notable KPI; '–' otherwise."""
    if not line.headline:
        return Cell("–", "muted")
    way = direction(line)
    return Cell(JUDGEMENT_WORDS[way], _JUDGEMENT_TONE[way])


def ytd_cell(line: KpiLine) -> Cell:
    """The financial year to date and its change on the same months a year earlier:
    '46,025 (+4,483)'; '–' where a year is not wholly held or the KPI is a survey."""
    ytd = line.ytd
    if ytd is None or ytd.value is None:
        return Cell("–", "muted")
    unit = line.kpi.unit
    text = value_text(ytd.value, unit)
    if ytd.change is not None:
        text += f" ({change_text(ytd.change, unit)})"
    title = f"{ytd.period.label}: {value_text(ytd.value, unit)}; {ytd.baseline.label}: " + (
        value_text(ytd.baseline_value, unit)
    )
    return Cell(text, title=title)


def significance_cell(line: KpiLine) -> Cell:
    """'yes' / 'no' / 'not tested' (survey RAG in words before it); p-value as a tooltip."""
    verdict = line.verdict
    if verdict is None:
        return Cell("not tested", "muted")
    text = "yes" if line.significant else "no"
    rag = line.rag
    tone = ""
    if isinstance(rag, str) and rag in ("RED", "AMBER", "GREEN"):
        text = f"{rag}: {text}"
        tone = rag.lower()
    alpha = line.alpha
    return Cell(text, tone, title=p_text(line.p_value, alpha or 0.05))


_SPC_TONE = {
    "special_cause_improvement": "improvement",
    "special_cause_concern": "concern",
    "special_cause_neutral_high": "neutral",
    "special_cause_neutral_low": "neutral",
}
_SPC_WORD = {"improvement": ", improvement", "concern": ", concern"}


def spc_cell(line: KpiLine) -> Cell:
    """The monthly pattern in words, with 'concern' / 'improvement' spelled out."""
    spc = line.spc
    if spc.status == "not charted":
        return Cell("–", "muted")
    tone = _SPC_TONE.get(spc.point_type or "", "") if spc.signal else ""
    event = f"; {spc.event}" if spc.event else ""
    return Cell(spc_words(spc) + _SPC_WORD.get(tone, "") + event, tone, title=spc.detail)


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
def _headlines(report: Report, front: list[KpiLine]) -> tuple[Block, ...]:
    plan = report.plan
    what = "most important change" if len(front) == 1 else f"{len(front)} most important changes"
    lead = Paragraph(
        f"The {what} in {plan.period.label} against "
        f"{plan.baseline.label}, largest first: changes larger than chance alone would make, "
        "and months outside the normal range. Better or worse is judged by whether the KPI "
        "should go up or down; some KPIs (calls, incidents) get no judgement."
        if front
        else f"Nothing in {plan.period.label} stands out: every change against "
        f"{plan.baseline.label} is within what chance would make, and no month is outside "
        "its normal range.",
        "lead",
    )
    if not front:
        return (lead,)
    rows = tuple(
        (Cell(line.number), judgement_cell(line), Cell(line.headline or "")) for line in front
    )
    return lead, Table(("No.", "Judgement", "Headline"), rows, kind="headlines")


def _figure_headers(plan: ReportPlan) -> tuple[str, ...]:
    """The first seven headings of the summary and section tables: the figures columns."""
    return (
        "No.",
        "KPI",
        plan.period.label,
        plan.baseline.label,
        "Volume change",
        "% change",
        "Year to date",
    )


def _figure_cells(line: KpiLine, label: Cell) -> tuple[Cell, ...]:
    """The cells under :func:`_figure_headers`: the KPI's figures, its change toned."""
    unit = line.kpi.unit
    tone = _change_tone(line)
    return (
        Cell(line.number),
        label,
        Cell(value_text(line.value, unit)),
        Cell(value_text(line.baseline_value, unit)),
        Cell(change_text(line.change, unit, line.change_basis), tone),
        Cell(pct_text(line.pct_change), tone),
        ytd_cell(line),
    )


def _summary(report: Report) -> tuple[Block, ...]:
    plan = report.plan
    lines = report.quarterly
    if not lines:
        return (Paragraph("None of the summary KPIs has data in the store.", "empty"),)
    trend = next((line.trend for line in lines if line.trend), None)
    trend_head = (
        f"Trend ({trend.previous_label} blue dashed, then {trend.current_label} red)"
        if trend
        else "Trend"
    )
    headers = (
        *_figure_headers(plan),
        "Judgement",
        trend_head,
    )
    rows = [
        (*_figure_cells(line, Cell(line.kpi.label)), judgement_cell(line), trend_cell(line.trend))
        for line in lines
    ]
    return (Table(headers, tuple(rows), frozenset({2, 3, 4, 5, 6}), (), kind="summary"),)


def _section(
    report: Report,
    section: SectionReport,
    charts: ChartChoice,
    charted: set[str],
    *,
    key: bool = False,
) -> tuple[Block, ...]:
    plan = report.plan
    blocks: list[Block] = []
    if key:
        blocks.append(Paragraph(_table_key(report), "note"))
    headers = (
        *_figure_headers(plan),
        "Significant?",
        "Monthly pattern",
        f"{_short(report)} rank",
        "RAG",
        "Judgement",
        "Trend",
    )
    rows = [
        (
            *_figure_cells(line, Cell(line.kpi.label, title=line.kpi.description)),
            significance_cell(line),
            spc_cell(line),
            rank_cell(line),
            rag_cell(line),
            judgement_cell(line),
            trend_cell(line.trend),
        )
        for line in section.lines
    ]
    blocks.append(
        Table(
            headers,
            tuple(rows),
            frozenset({2, 3, 4, 5, 6}),
            _section_caption(report, section),
            kind="kpis",
        )
    )
    targets = _targets(section)
    if targets is not None:
        blocks.append(targets)
    blocks += [breakdown_table(line) for line in section.lines if line.breakdown is not None]
    if section.name == CRIME_SECTION and (report.recording or report.recording_note):
        blocks.append(Paragraph(recording_words(report), "note" if not report.recording else ""))
    for line in section.lines:
        blocks += _figures(report, line, charts, charted)
    return tuple(blocks)


_TARGET_WORDS = {
    "GREEN": "improving now and on course",
    "AMBER-on-course": "on course, but no real improvement yet",
    "AMBER-improving": "improving now, but not on course",
    "RED": "not improving and not on course",
}


def recording_words(report: Report) -> str:
    """Seed 003's paragraph: the share of the rise estimated to be due to better recording."""
    share = report.recording
    if share is None:
        return f"Better recording: {report.recording_note}."
    est = share.estimate
    audits = " then ".join(f"{number(c, 1)}%" for c in share.compliance)
    head = (
        f"Better recording: audits found {audits} of crimes correctly recorded during "
        f"{share.period.label} (on average {number(est.average_compliance, 1)}%). At the "
        f"first audit's rate, the {number(est.recorded)} crimes recorded in "
        f"{share.period.label} would have been "
        f"about {number(est.expected_at_start)}"
    )
    if est.share_of_increase is None:
        return f"{head}. Recorded crime did not rise against {share.baseline.label}."
    return (
        f"{head}: so about {number(est.attributable)} of the {number(est.increase)} more "
        f"crimes than in {share.baseline.label} ({est.share_of_increase:.0%}) are estimated "
        "to be due to better recording rather than more crime."
    )


def _targets(section: SectionReport) -> Table | None:
    """The KPI file's targets of the section: the target, where the trend is heading by the
    target date (with its 95% range), the chance of meeting it and the seed 001 RAG."""
    lines = [line for line in section.lines if line.target is not None]
    if not lines:
        return None
    headers = ("No.", "KPI", "Target", "Projected", "Chance of meeting it", "Target RAG")
    caption = (
        "Projected: where the trend of up to the last two years is heading by the target "
        "date, with the range it falls in 95 times in 100. Target RAG: GREEN improving now (a "
        "real change on the baseline) and on course; AMBER one of the two; RED neither.",
    )
    rows = tuple(_target_row(line) for line in lines)
    return Table(headers, rows, frozenset({3, 4}), caption, "Targets", kind="targets")


def _target_row(line: KpiLine) -> tuple[Cell, ...]:
    status = line.target
    assert status is not None
    target, row, unit = status.target, status.row, line.kpi.unit
    if row is None:
        muted = Cell("–", "muted")
        return (Cell(line.number), Cell(line.kpi.label), Cell(target.words(unit)),
                Cell(status.note, "muted"), muted, muted)  # fmt: skip
    rag = str(row["rag"])
    way = "at most" if row["target_direction"] == "at-most" else "at least"
    over = "over the 12 months to" if target.rolling else "in"
    level = f"{way} {level_text(row['target'], unit)} {over} {month_name(target.by)}"
    if rag == "AMBER":
        rag_words = _TARGET_WORDS["AMBER-on-course" if row["projects_achievement"] else
                                  "AMBER-improving"]  # fmt: skip
    else:
        rag_words = _TARGET_WORDS[rag]
    projected = (
        f"{level_text(row['projection'], unit)} ({level_text(row['pi_lower'], unit)} to "
        f"{level_text(row['pi_upper'], unit)})"
    )
    return (
        Cell(line.number),
        Cell(line.kpi.label),
        Cell(f"{target.words(unit)}: {level}" if target.relative else level),
        Cell(projected),
        Cell(_chance(float(row["probability"]))),
        Cell(f"{rag}: {rag_words}", rag.lower(), title=str(row["rag_reason"])),
    )


def _chance(probability: float) -> str:
    """'46%'; 'under 1%' and 'over 99%' rather than a 0% or 100% the trend cannot promise."""
    if probability < 0.005:
        return "under 1%"
    if probability > 0.995:
        return "over 99%"
    return f"{probability:.0%}"


def _table_key(report: Report) -> str:
    plan = report.plan
    return (
        f"Reading the tables: Significant? says whether the change against {plan.baseline.label} "
        "is larger than chance alone would make. Monthly pattern compares the months of "
        f"{plan.period.label} with their normal range, worked out from up to "
        f"{plan.spc_months} months to {month_name(plan.period.end)}. "
        f"Year to date: {_ytd_words(plan.period)}, with the change on the same months a "
        "year earlier. "
        f"{_short(report)} rank: 1 is best among similar forces. Judgement: ▲ better or "
        "▼ worse for a notable change, by whether the KPI should go up or down. Trend: last "
        "year blue and dashed, this year red. See the Glossary (Annex A)."
    )


def _ytd_words(period: Period) -> str:
    """'Apr 2018 to Sep 2018' (the financial year to date at the period's end)."""
    ytd = year_to_date(period).period
    return f"{month_name(ytd.start)} to {month_name(ytd.end)}"


def _short(report: Report) -> str:
    """'MSG', 'National', 'Group': the name of the rank columns."""
    short = report.provenance.comparator_short
    return short if short.isupper() else short.split()[0].capitalize()


def survey_words(line: KpiLine) -> str | None:
    """'74.0% (68.8% to 78.6%; 300 asked)': a survey result with the range the true figure
    lies in 95 times in 100 and the number of people asked (seed 001); None for other KPIs."""
    low, high, asked = line.ci_lower, line.ci_upper, line.respondents
    if line.kpi.kind != "proportion" or line.value is None or None in (low, high, asked):
        return None
    return (
        f"{value_text(line.value, '%')} ({value_text(low, '%')} to {value_text(high, '%')}; "
        f"{number(asked)} asked)"
    )


def _survey_notes(section: SectionReport) -> tuple[str, ...]:
    """One line for the section's survey results: interval and sample size (seed 001)."""
    said = [(line, survey_words(line)) for line in section.lines]
    parts = [f"{line.number} {line.kpi.label} {words}" for line, words in said if words]
    if not parts:
        return ()
    return (
        "Survey results, with the range the true figure lies in 95 times in 100 and the "
        "number of people asked: " + "; ".join(parts) + ".",
    )


def _section_caption(report: Report, section: SectionReport) -> tuple[str, ...]:
    """Short plain notes under a section table; the exact reasons are in the methods annex."""
    plan = report.plan
    out: list[str] = list(_survey_notes(section))
    unranked = [line.number for line in section.lines if line.peer is None]
    if unranked:
        out.append(f"No rank ({_numbers(unranked)}): the similar forces' figures are not held.")
    quarterly = [
        line.number
        for line in section.lines
        if line.spc.status == "not charted" and "3 months" in line.spc.note
    ]
    if quarterly:
        out.append(
            f"No monthly pattern ({_numbers(quarterly)}): these figures are published quarterly."
        )
    other = [
        line.number
        for line in section.lines
        if line.spc.status == "not charted" and line.number not in quarterly
    ]
    if other:
        out.append(f"No monthly pattern ({_numbers(other)}): too few months of data.")
    incomplete: dict[tuple[str, ...], list[str]] = {}
    for line in section.lines:
        if line.peer is not None and line.peer.incomplete_peers:
            incomplete.setdefault(line.peer.incomplete_peers, []).append(line.number)
    for forces, numbers in incomplete.items():
        names = ", ".join(report.name(f) for f in forces)
        out.append(
            f"The ranks ({_numbers(numbers)}) include {names}, whose {plan.period.label} "
            "figures look incomplete; see Data quality."
        )
    noted = [line.number for line in section.lines if line.notes]
    if noted:
        out.append(f"More on {_numbers(noted)} in Annex B.")
    return tuple(out)


def _numbers(numbers: list[str]) -> str:
    return ", ".join(numbers)


def _figures(report: Report, line: KpiLine, charts: ChartChoice, charted: set[str]) -> list[Block]:
    """A chart for each front-page headline (the monthly pattern where that is what stands
    out, else this year against last); every chart with ``charts="all"``."""
    if charts == "none":
        return []
    has_spc = line.spc.frame is not None and line.spc.status != "not charted"
    has_trend = line.trend is not None and line.trend.kind == "year-on-year"
    events = report.plan.events
    trend = (
        ChartBlock("trend", line, report.force_name, _trend_caption(line), events)
        if has_trend
        else None
    )
    spc = (
        ChartBlock("spc", line, report.force_name, _spc_caption(line), events) if has_spc else None
    )
    if charts == "all":
        return [f for f in (trend, spc) if f is not None]
    if line.kpi.id not in charted:
        return []
    chosen = spc if line.spc.signal and spc is not None else trend or spc
    return [chosen] if chosen is not None else []


def _trend_caption(line: KpiLine) -> str:
    trend = line.trend
    assert trend is not None
    return (
        f"{line.number} {line.kpi.label} by month: {trend.current_label} (red) against "
        f"{trend.previous_label} (blue, dashed)."
    )


def _spc_caption(line: KpiLine) -> str:
    spc = line.spc
    first, _, last = spc.window.partition("..")
    months = f" from {_month(first)} to {_month(last)}" if first and last else ""
    return (
        f"{line.number} {line.kpi.label} by month{months}, with the average (solid line) and "
        "the normal range (dashed lines)."
    )


def _month(text: str) -> str:
    try:
        return month_name(parse_month(text))
    except PcpError:
        return text


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
        tone = {"better": "good", "worse": "bad"}.get(judge_change(change, r["polarity"]), "")
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
        f"{crime.period.label} against {crime.baseline.label}. Ranks among "
        f"{crime.group_label} by crimes per 1,000 population, 1 = lowest. Positive outcome "
        "rate: the share of the category's crimes whose latest outcome is positive."
        if crime.ranked
        else f"{crime.period.label} against {crime.baseline.label}.",
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
    names = ", ".join(report.name(f) for f in dq.forces) if dq.forces else "no force"
    lead = Paragraph(
        f"We checked the months {month_name(dq.window.start)} to {month_name(dq.window.end)} "
        f"for {names} ({dq.series_checked} monthly series) for months that look incomplete "
        "and for gaps. A fall that is a missing upload must not be read as a fall in crime.",
        "lead",
    )
    blocks: list[Block] = [lead]
    if not dq.flags:
        blocks.append(Paragraph("No month looks incomplete and no series has a gap.", "empty"))
        return tuple(blocks)
    headers = ("Force", "Data", "Months", "Issue", "Value", "Usual level", "Change")
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
    return tuple(blocks)


GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Baseline",
        "The period the figures are compared with: usually the same period a year before.",
    ),
    (
        "Significant",
        "A change larger than chance alone would make in figures of this size. "
        "A change that is not significant may still be real, but the figures cannot show it.",
    ),
    (
        "Normal range",
        "The range the monthly figures stay in when nothing unusual happens, "
        "worked out from up to three years of months. A month outside it is unusual.",
    ),
    (
        "SPC",
        "Statistical process control: a chart of the monthly figures with their average "
        "and normal range, used to tell unusual months from ordinary ups and downs.",
    ),
    (
        "Concern, improvement",
        "An unusual monthly pattern in the direction that is worse "
        "(concern) or better (improvement) for the KPI.",
    ),
    (
        "Better, worse, no judgement",
        "Whether a notable change is good or bad, by whether the "
        "KPI should go down (crime) or up (outcomes, satisfaction). Some KPIs, such as calls and "
        "incidents, have no right direction and get no judgement.",
    ),
    (
        "MSG",
        "Most Similar Group: the forces the Home Office judges most like this one, "
        "compared with it.",
    ),
    ("Rank", "The force's place among the similar forces, 1 = best."),
    (
        "RAG",
        "Red, amber, green. Beside a rank: red is well worse than the similar forces' "
        "average, green well better, amber in between. For a survey: green is a significant "
        "improvement on the baseline, red a significant fall, amber no clear change.",
    ),
    (
        "Per 1,000 population",
        "Crimes for every 1,000 people living in the force area, so "
        "that forces of different sizes can be compared.",
    ),
    (
        "Rolling 12 months",
        "The 12 months to the end of the period, compared with the 12 "
        "months before: it smooths out the seasons.",
    ),
    (
        "Positive outcome",
        "A crime resolved with a charge, caution, penalty notice, community "
        "resolution or another sanction: the offender was dealt with.",
    ),
    (
        "CDI",
        "Crime data integrity: how completely the force records the crimes reported to "
        "it, as inspected by HMICFRS.",
    ),
    (
        "Quarterly",
        "Figures published for three months at a time (Home Office crime tables), "
        "so they have no monthly pattern.",
    ),
)


def _glossary(report: Report) -> tuple[Block, ...]:
    rows = tuple((Cell(term), Cell(meaning)) for term, meaning in GLOSSARY)
    return (Table(("Term", "Meaning"), rows, kind="glossary"),)


def _methods(report: Report) -> tuple[Block, ...]:
    """The statistical detail the body leaves out: tests, SPC rules, why a KPI has no rank."""
    plan = report.plan
    alpha = plan.alpha * 100
    items: list[str] = [
        *report.provenance.methods,
        f"Front page: at most {FRONT_PAGE_HEADLINES} headlines, ranked by the size of the "
        f"change in standard errors (capped at {Z_CAP:g}), plus 2 where months of the period "
        "are outside the SPC limits, 1 for another special cause and 0.5 where the change "
        "is judged better or worse; ties by the size of the % change.",
        f"Significance level: {number(alpha, 0 if alpha.is_integer() else 1)}%.",
        *report.quality.notes,
    ]
    grouped: dict[str, list[str]] = {}
    for line in report.lines:
        if line.test:
            grouped.setdefault(f"Test: {line.test}", []).append(line.number)
        if line.peer is None and line.peer_note:
            grouped.setdefault(f"No rank: {line.peer_note}", []).append(line.number)
        if line.spc.note:
            grouped.setdefault(f"No SPC status: {line.spc.note}", []).append(line.number)
        for note in line.notes:
            grouped.setdefault(note[:1].upper() + note[1:].rstrip("."), []).append(line.number)
    items += [f"{what} ({_numbers(numbers)})." for what, numbers in grouped.items()]
    missing = [k.label for s in report.sections for k in s.without_data]
    if missing:
        items.append(f"Not reported (no data in the store): {', '.join(missing)}.")
    return (Bullets(tuple(items), kind="methods"),)


def _provenance(report: Report) -> tuple[Block, ...]:
    prov = report.provenance
    plan = report.plan
    facts = (
        *((label, value) for _, label, value in prov.files()),
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
    return tuple(blocks)


def breakdown_table(line: KpiLine) -> Table:
    """The KPI by its breakdown KPIs month by month, with a total column and the KPI itself
    as the total row (seed 002's hate crime by strand; ``pcp table`` shows the same)."""
    result = line.breakdown
    assert result is not None
    headers = (
        line.kpi.label,
        *(f"{month_name(m)[:3]} {month_name(m)[-2:]}" for m in result.months),
        "Total",
    )
    rows = tuple(
        (
            Cell(f"Total: {row.kpi.label}" if row.role == "total" else row.kpi.label),
            *(Cell(number(v)) for v in row.values),
            Cell(number(row.total)),
        )
        for row in result.rows
    )
    caption = (
        f"{line.number} {line.kpi.label} month by month, the {result.period.length} months to "
        f"{month_name(result.period.end)}. The total row is the KPI as a whole; the rows above "
        "need not add up to it, as a crime or search can fall in more than one row or in "
        "none. –: not in the store.",
    )
    numeric = frozenset(range(1, len(headers)))
    return Table(headers, rows, numeric, caption, f"{line.kpi.label} by month", kind="breakdown")
