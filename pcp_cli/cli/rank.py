"""`pcp rank`: a force against its Most Similar Group and nationally, per 1,000 population."""

from __future__ import annotations

import click
import polars as pl

from pcp_cli import text
from pcp_cli.analysis.peers.statistics import OK
from pcp_cli.analysis.peers.tables import RankResult
from pcp_cli.app.rank import RankRequest, run_rank
from pcp_cli.cli import options as opt
from pcp_cli.cli.common import App, OutputOptions, common_options, note, output_options, warn
from pcp_cli.cli.output import Row, RowsLayout, TableView, emit, fmt_number, fmt_value, rows_view
from pcp_cli.errors import UsageError
from pcp_cli.text import interval


@click.command()
@opt.kpi(help="KPI id (a row per force), or several ids, a section or all (a row per KPI).")
@opt.period(help="Q3, 'Q3 2018/19', 2017/18, FYTD, 12m, 2018-10..2018-12.")
@opt.force(help="The force to rank (id or any spelling). Default: home_force in pcp.toml.")
@opt.group(help="Comparator: msg, national, a [groups] name from pcp.toml, or forces a,b,c.")
@opt.weighted("Group mean = Σcount/Σpopulation instead of the unweighted mean of rates (HMIC).")
@opt.sd("SD of the group's rates: sample (n − 1) or population (n).")
@opt.vs(help="Baseline for the per-KPI table's 'previous' column: last-year, previous or a period.")
@opt.exclude_incomplete("Leave forces whose data look incomplete in the period out of the ranks.")
@opt.to(help="Anchor relative periods (Q3, FYTD, 12m) at this month instead of the latest.")
@opt.by(
    help="Rank the force's local areas per 1,000 residents instead: area (the store's lookup, "
    "with populations) or an area type of the lookup."
)
@output_options
@common_options
def rank(
    app: App,
    kpi_spec: str,
    period: str,
    force_name: str | None,
    group_spec: str,
    weighted: bool,
    sd_kind: str,
    vs: str,
    exclude_incomplete: bool,
    to_month: str | None,
    by: str | None,
    out: OutputOptions,
) -> None:
    """Rank a force in its Most Similar Group (MSG) and nationally, per 1,000 population.

    With one KPI: a row per force of the group with count, population, rate per 1,000,
    95% CI, MSG and national rank, z, RAG against the control lines and funnel position.
    With several KPIs (--kpi all, a section, a,b): a row per KPI for the force, as in the
    panel papers: latest and previous period, change, ranks and positive outcome rate.
    With --by area (or an area type of the lookup): the force's areas per 1,000 residents,
    each with its 95% CI and funnel position against the force rate.

    \b
    Examples:
      pcp rank --kpi all-crime --period "Q3 2018/19" --force leicestershire
      pcp rank --kpi all --period 12m --force leicestershire
      pcp rank --kpi burglary --period 2017/18 --group national --format csv
      pcp rank --kpi all-crime --period 12m --group sussex,kent,essex --weighted
      pcp rank --kpi asb-incidents --period Q2 --force leicestershire --by area
    """
    if by is not None:
        from pcp_cli.cli.rank_by_area import rank_areas

        rank_areas(app, kpi_spec, period, vs, to_month, force_name, by, out)
        return
    request = RankRequest(
        app.catalogue.select(kpi_spec),
        period,
        vs,
        to_month,
        group_spec,
        weighted,
        ddof=opt.ddof(sd_kind),
        exclude_incomplete=exclude_incomplete,
    )
    with app.store.reading(wait=app.wait) as reader:
        forces = app.resolve_forces((force_name,) if force_name else (), reader)
        if len(forces) != 1:
            raise UsageError("rank compares one force with its group: give one --force")
        outcome = run_rank(app.context(reader), forces[0], request)
    app.info(f"ranking {forces[0]} in {outcome.comparator.label} for {outcome.window.period.label}")
    for message in outcome.warnings:
        warn(message)
    result = outcome.result
    if not app.quiet:
        for message in result.notes:
            note(message)
    emit(result.frame, out, lambda frame: _view(frame, result))


def _view(frame: pl.DataFrame, result: RankResult) -> TableView:
    first = frame.row(0, named=True) if frame.height else {}
    kind = result.comparator.kind
    if result.mode == "forces":
        layout = _forces_layout(first, result.measure_label, kind)
    else:
        layout = _kpis_layout(first, kind)
    return rows_view(frame, layout, result.title, "\n".join(result.caption))


def _verdict(meaningful: bool | None) -> str:
    """Is the difference from the group mean statistically meaningful?"""
    if meaningful is None:
        return "–"
    return "meaningful" if meaningful else "not meaningful"


def _rank_header(kind: str) -> str:
    return {"msg": "MSG rank", "national": "National rank"}.get(kind, "Group rank")


def _rank_text(rank: int | None, of: int | None) -> str:
    """'5 of 8'; '–' when only the force itself was ranked (as the report and check say)."""
    return "–" if rank is None or of is None or of < 2 else f"{rank} of {of}"


def _national_rank(r: Row, kind: str) -> list[str]:
    """The national rank cell, unless the group is national already."""
    return [_rank_text(r["national_rank"], r["national_ranked"])] if kind != "national" else []


def _rag_text(rag: str | None) -> str:
    return rag if rag and rag != "NONE" else "–"


def _forces_layout(first: Row, unit: str, kind: str) -> RowsLayout:
    """A row per force of the group, the home force in bold."""
    per_population = first.get("denominator_kind") == "population"
    headers = [
        _rank_header(kind),
        "Force",
        "Count",
        "Population" if per_population else str(first.get("denominator_kind", "Base")),
        f"Rate {unit}" if unit != "%" else "Rate %",
        "95% CI",
        *(["National rank"] if kind != "national" else []),
        "z",
        "RAG",
        "Funnel",
        "Funnel (OD)",
        "vs mean",
        "Note",
    ]

    def cells(r: Row) -> list[str]:
        note_text = r["quality"] if r["quality"].startswith("probably") else ""
        if r["status"] != OK:
            note_text = r["status_detail"] or r["status"]
        return [
            _rank_text(r["group_rank"], r["group_ranked"]),
            r["force_name"] + (" ◀" if r["home"] else ""),
            fmt_number(r["count"], 0) if r["count"] is not None else "–",
            fmt_number(r["denominator"], 0) if r["denominator"] is not None else "–",
            fmt_number(r["rate"], 3) if r["rate"] is not None else "–",
            interval(r["ci_lower"], r["ci_upper"], 3),
            *_national_rank(r, kind),
            fmt_number(r["z"], 2, signed=True) if r["z"] is not None else "–",
            _rag_text(r["rag"]),
            r["funnel"] or "–",
            r["funnel_overdispersed"] or "–",
            _verdict(r["meaningful"]),
            note_text,
        ]

    def emphasis(r: Row) -> str | None:
        return "bold" if r["home"] else (None if r["status"] == OK else "dim")

    right = {0, 2, 3, 4, 5, 6, 7} if kind != "national" else {0, 2, 3, 4, 5, 6}
    return RowsLayout(headers, right, cells, emphasis, rag=("RAG", "rag"))


def _rate_text(rate: float | None, measure: str) -> str:
    if rate is None:
        return "–"
    if measure == "%":
        return fmt_number(rate, 1) + "%"
    return fmt_number(rate, 3) + ("/1,000" if measure.startswith("per 1,000") else "")


def _kpi_notes(r: Row) -> str:
    notes = []
    if r["status"] != OK:
        notes.append(r["status"])
    if r["quality"].startswith("probably"):
        notes.append("probably incomplete")
    if r["incomplete_peers"]:
        notes.append(f"incomplete peers: {r['incomplete_peers']}")
    return "; ".join(notes)


def _kpis_layout(first: Row, kind: str) -> RowsLayout:
    """A row per KPI for the force, as in the panel papers."""
    short = _rank_header(kind).removesuffix(" rank")
    headers = [
        "Category",
        f"{first.get('period', 'Latest')}",
        f"{first.get('baseline_period', 'Previous')}",
        "Change",
        "% change",
        f"{short} rank",
        *(["National rank"] if kind != "national" else []),
        "+ve outcome rate",
        f"{short} rank (+ve)",
        "Rate",
        "RAG",
        "vs mean",
        "Note",
    ]

    def cells(r: Row) -> list[str]:
        unit = r["unit"]
        pct = r["pct_change"]
        outcome = r["outcome_rate"]
        return [
            r["label"],
            fmt_value(r["value"], unit),
            fmt_value(r["baseline_value"], unit),
            text.change(r["change"], unit),
            (fmt_number(pct, 1, signed=True) + "%") if pct is not None else "–",
            _rank_text(r["group_rank"], r["group_ranked"]),
            *_national_rank(r, kind),
            fmt_number(outcome, 1) + "%" if outcome is not None else "n/a",
            _rank_text(r["outcome_rate_group_rank"], r["outcome_rate_group_ranked"]),
            _rate_text(r["rate"], r["measure"]),
            _rag_text(r["rag"]),
            _verdict(r["meaningful"]),
            _kpi_notes(r),
        ]

    def dim_unranked(r: Row) -> str | None:
        return None if r["status"] == OK else "dim"

    numeric = set(range(1, headers.index("RAG")))
    return RowsLayout(headers, numeric, cells, dim_unranked, rag=("RAG", "rag"))
