"""``pcp rank --by``: the force's local areas ranked per 1,000 residents (app.area_rank)."""

from __future__ import annotations

import polars as pl

from pcp_cli import text
from pcp_cli.app.area_rank import RANKED, rank_by_area
from pcp_cli.app.compare import CompareRequest
from pcp_cli.cli import options as opt
from pcp_cli.cli.common import App, OutputOptions, note_lookup, warn
from pcp_cli.cli.output import Row, TableView, emit, fmt_number
from pcp_cli.errors import UsageError

# pcp rank's options that choose or describe a group of forces: no meaning for areas.
FORCE_GROUP_OPTIONS = ("group_spec", "weighted", "sd_kind", "exclude_incomplete")
RATE_DECIMALS = 2


def rank_areas(
    app: App,
    kpi_spec: str,
    period: str,
    vs: str,
    to_month: str | None,
    force_name: str | None,
    by: str,
    out: OutputOptions,
) -> None:
    """Rank one force's areas (``--by``) and print them."""
    _refuse_group_options()
    request = CompareRequest(app.catalogue.select(kpi_spec), period, vs, to_month)
    with app.store.reading(wait=app.wait) as reader:
        forces = app.resolve_forces((force_name,) if force_name else (), reader)
        if len(forces) != 1:
            raise UsageError("rank --by ranks the areas of one force: give one --force")
        outcome = rank_by_area(app.context(reader), forces[0], request, by)
    app.info(f"ranking the areas of {forces[0]} by {by} for {outcome.window.period.label}")
    note_lookup(app, outcome.lookup)
    for message in outcome.warnings:
        warn(message)
    emit(outcome.frame, out, _view, schema="rank-by-area")


def _refuse_group_options() -> None:
    """--group and its kin choose peer forces; with --by the force itself is the reference."""
    for flag in opt.given(FORCE_GROUP_OPTIONS):
        raise UsageError(
            f"{flag} does not apply with --by: the areas are ranked against their force",
            hint="leave it out, or rank forces without --by",
        )


def _view(frame: pl.DataFrame) -> TableView:
    several = frame["kpi"].n_unique() > 1
    headers = [
        *(["KPI"] if several else []),
        "Rank", "Area", "Rate", "95% CI", "Funnel", "Funnel (OD)", "Count", "Residents",
    ]  # fmt: skip
    rows: list[list[str]] = []
    styles: list[str | None] = []
    previous = None
    for r in frame.iter_rows(named=True):
        label = r["label"] if r["kpi"] != previous else ""
        previous = r["kpi"]
        rows.append([*([label] if several else []), *_cells(r)])
        styles.append(None if r["status"] == RANKED else "dim")
    offset = int(several)
    right = {offset + i for i in (0, 2, 3, 6, 7)}
    return TableView(_title(frame), headers, rows, right, styles, {}, _caption(frame))


def _cells(r: Row) -> list[str]:
    """The cells; an unranked row says why in the funnel's place (it is on no funnel)."""
    ranked = r["status"] == RANKED
    return [
        f"{r['rank_per_1000']} of {r['areas_ranked']}" if ranked else "–",
        r["area"],
        fmt_number(r["per_1000"], RATE_DECIMALS) if r["per_1000"] is not None else "–",
        text.interval(r["ci_lower"], r["ci_upper"], RATE_DECIMALS),
        r["funnel"] if ranked else r["status"],
        r["funnel_overdispersed"] if ranked else "–",
        fmt_number(r["count"], 0) if r["count"] is not None else "–",
        fmt_number(r["population"], 0) if r["population"] is not None else "–",
    ]


def _title(frame: pl.DataFrame) -> str:
    if not frame.height:
        return "Areas per 1,000 residents"
    first = frame.row(0, named=True)
    what = first["label"] if frame["kpi"].n_unique() == 1 else "KPIs"
    return (
        f"{what} per 1,000 residents by {first['area_type']}, {first['force_name']}, "
        f"{first['period']}"
    )


def _caption(frame: pl.DataFrame) -> str:
    lines = []
    for r in frame.unique("kpi", keep="first", maintain_order=True).iter_rows(named=True):
        rate = r["force_rate"]
        shown = fmt_number(rate, RATE_DECIMALS) if rate is not None else "–"
        lines.append(f"{r['label']}: force rate {shown} per 1,000 (the ranked areas together).")
    lines.append(
        "Rate: per 1,000 residents; rank 1 = best by the KPI's polarity. 95% CI: exact Poisson "
        "below 10, Byar's from 10. Funnel: the rate against the force rate (95% and 99.8% "
        "limits); OD: allowing for the areas' over-dispersion. An area within 95% is not "
        "shown to differ from the force, whatever its rank. Rank –: not ranked."
    )
    return "\n".join(lines)
