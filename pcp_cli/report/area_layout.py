"""The report's local parts laid out: a "by area" table per section and the force's
recorded crimes by Home Office category, month by month (:class:`model.LocalAreas`).

Each by-area table has a row per area and a column per KPI of the section; a cell is the
area's value in the period and its change against the baseline, coloured when the change
is significant (the same test as the force's own row). The part says which lookup the
areas came from (its file, SHA-256 and when it was ingested).
"""

from __future__ import annotations

import polars as pl

from pcp_cli.analysis.judgement import judge_verdict
from pcp_cli.app.headlines import pct_text
from pcp_cli.app.report_model import LocalAreas, Report
from pcp_cli.areas import LOCAL_AUTHORITY
from pcp_cli.periods import month_name
from pcp_cli.report.layout import Block, Cell, Paragraph, Part, Table
from pcp_cli.text import number
from pcp_cli.text import value as value_text

_TONE = {"better": "good", "worse": "bad"}


def area_parts(report: Report) -> list[Part]:
    """The by-area part (when the report is broken down) and the Home Office part (when
    the store holds the force's crime records); none without either."""
    local = report.local
    if local is None:
        return []
    parts = []
    if local.by is not None:
        parts.append(Part("by-area", f"By {_area_words(local)}", _by_area(report, local)))
    if local.ho_monthly is not None:
        parts.append(
            Part(
                "home-office-monthly",
                "Recorded crime by Home Office category, month by month",
                _home_office(local.ho_monthly),
                new_page=local.by is None,
            )
        )
    return parts


def _area_words(local: LocalAreas) -> str:
    if local.area_type == LOCAL_AUTHORITY:
        return "local authority district"
    return local.area_type


def lookup_sentence(local: LocalAreas) -> str:
    """Which lookup the areas came from (the report must say which it used)."""
    if local.lookup is None:
        return (
            "Districts are taken from the LSOA names of the data.police.uk rows (no lookup "
            "file). Rows without a location are shown as '(no location)'."
        )
    src = local.lookup
    sha = str(src.get("sha256", ""))[:12]
    return (
        f"Areas from the lookup {src.get('path', '?')} (SHA-256 {sha}…, "
        f"ingested {src.get('ingested_at', '?')}). LSOAs it does not list are shown as "
        "'(not in the lookup)'; rows without a location as '(no location)'."
    )


def _by_area(report: Report, local: LocalAreas) -> tuple[Block, ...]:
    blocks: list[Block] = [Paragraph(lookup_sentence(local), "note")]
    plan = report.plan
    for section, frame in local.tables:
        blocks.append(_section_table(section, frame, plan.period.label, plan.baseline.label))
    if not local.tables:
        blocks.append(Paragraph("No KPI of the report can be broken down by area.", "empty"))
    blocks += [Paragraph(note, "note") for note in local.notes]
    return tuple(blocks)


def _section_table(section: str, frame: pl.DataFrame, period: str, baseline: str) -> Table:
    kpis = list(dict.fromkeys(frame["kpi"].to_list()))
    labels = {r["kpi"]: r["label"] for r in frame.iter_rows(named=True)}
    areas = list(dict.fromkeys(frame["area"].to_list()))
    cells = {(r["area"], r["kpi"]): r for r in frame.iter_rows(named=True)}
    rows = []
    for area in areas:
        row = [Cell(area)]
        for kpi in kpis:
            r = cells.get((area, kpi))
            row.append(_cell(r) if r is not None else Cell("–"))
        rows.append(tuple(row))
    ranked = frame.filter(pl.col("rank_per_1000").is_not_null())
    caption = [
        f"{period} (change against {baseline}). Coloured: a significant change, green "
        "better and red worse by the KPI's polarity (the same test as the force's figures)."
    ]
    if ranked.height:
        caption.append(
            "Where the lookup gives populations, [rank] is the area's rank within the force "
            "by the KPI per 1,000 residents (1 = best by the KPI's polarity; 1 = the highest "
            "rate for a KPI with no right direction, such as hate crime)."
        )
    headers = ("Area", *(labels[k] for k in kpis))
    return Table(
        headers,
        tuple(rows),
        frozenset(range(1, len(headers))),
        tuple(caption),
        title=f"{section} by area",
        kind="areas",
    )


def _cell(r: dict[str, object]) -> Cell:
    unit = str(r["unit"])
    value = r["value"] if isinstance(r["value"], float) else None
    pct = r["pct_change"] if isinstance(r["pct_change"], float) else None
    text = f"{value_text(value, unit)} ({pct_text(pct)})" if pct is not None else value_text(
        value, unit
    )  # fmt: skip
    rank, of = r.get("rank_per_1000"), r.get("areas_ranked")
    if rank is not None:
        text += f" [{rank} of {of}]"
    verdict = r["verdict"] if isinstance(r["verdict"], str) else None
    tone = _TONE.get(judge_verdict(verdict, str(r["polarity"])), "")
    return Cell(text, tone, title=verdict or "")


def home_office_wide(frame: pl.DataFrame) -> tuple[list[int], pl.DataFrame]:
    """The months held and the table's rows: ho_code, category, a column per month (named
    by its month index, zero where none recorded) and ``total``, named codes first by
    category. The paper's table and the report's ``home_office_monthly`` rows both read it."""
    starts = sorted(int(s) for s in frame["start"].unique().to_list())
    wide = frame.pivot("start", index=["ho_code", "category"], values="n").fill_null(0)
    totals = wide.select(pl.sum_horizontal([str(s) for s in starts]).alias("total"))
    wide = wide.with_columns(totals["total"]).sort(
        pl.col("category").is_null(), "category", "ho_code"
    )
    return starts, wide


def _home_office(frame: pl.DataFrame) -> tuple[Block, ...]:
    starts, wide = home_office_wide(frame)
    headers = ("HO code", "Category", *(_short_month(s) for s in starts), "Total")
    rows = []
    for r in wide.iter_rows(named=True):
        rows.append(
            (
                Cell(str(r["ho_code"])),
                Cell(r["category"] or "–", "" if r["category"] else "muted"),
                *(Cell(number(float(r[str(s)]))) for s in starts),
                Cell(number(float(r["total"]))),
            )
        )
    caption = (
        f"Recorded crimes from the force's own records, {month_name(starts[0])} to "
        f"{month_name(starts[-1])}. Category: the KPI of the KPI file that counts the code "
        "(the narrowest where several do); '–' where no KPI names it.",
    )
    return (
        Table(
            headers,
            tuple(rows),
            frozenset(range(2, len(headers))),
            caption,
            kind="home-office",
        ),
    )


def _short_month(month: int) -> str:
    """``Jul 21``: twelve month columns must fit a printed page."""
    name = month_name(month)
    return f"{name[:3]} {name[-2:]}"
