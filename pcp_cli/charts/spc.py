"""The XmR (SPC) chart: points, mean, process limits and near-limit bands per segment,
special-cause points as in Making Data Count, gaps, rebases, known events and a target."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import pairwise

import polars as pl

from pcp_cli.charts import mpl, svg
from pcp_cli.charts.alt import chart_alt_text
from pcp_cli.charts.base import Chart, EventLike, as_events, runs
from pcp_cli.charts.base import per as per_label
from pcp_cli.charts.figures import Marker, SpcFigure
from pcp_cli.periods import Month, month_name

LIMIT_COLUMNS = ("mean", "lpl", "upl", "lower_band", "upper_band")


def spc_chart(
    *,
    kpi_label: str,
    unit: str,
    force_name: str,
    months: Sequence[Month],
    points: pl.DataFrame,
    rebase_months: Sequence[Month] = (),
    method_note: str = "",
    labels: Sequence[str] | None = None,
    per: str = "month",
    target: float | None = None,
    title: str | None = None,
    events: Sequence[EventLike] | None = None,
    limit_restarts: Sequence[Month] = (),
    legend_label: Callable[[str], str] | None = None,
) -> Chart:
    """An XmR chart: mean, process limits, near-limit bands, special-cause points coloured
    (and shaped, and lettered) as in Making Data Count, rebases marked, gaps left as gaps.

    ``points`` is either the points of :func:`pcp_cli.stats.spc.xmr_analysis` (every row a
    point) or the per-point frame of :func:`pcp_cli.analysis.spc.xmr` (see
    :func:`spc_chart_from_frame`), whose rows with ``status`` "missing" or "undefined" have
    no value: those are shaded "no data" and neither the values nor the limits are joined
    across them. ``months`` is each row's first month; ``labels`` (default: "Jul 2018")
    names each point on the x axis; ``per`` is the time a point covers ("month", "quarter").

    ``events`` (:class:`~.base.ChartEvent` or (month, label)) are marked with a labelled
    vertical line; an event with ``restarts_limits`` and every month in ``limit_restarts``
    starts a new segment of limits (the limits in ``points`` are drawn as given, segment by
    segment: working them out afresh is the analysis's job). ``legend_label`` rewords the
    SVG legend's entries (the report's plain words: "normal range" for "process limits").
    """
    n = points.height
    if n != len(months):
        raise ValueError(f"spc_chart: {n} points but {len(months)} months")
    months = list(months)
    names = list(labels) if labels is not None else [month_name(m) for m in months]
    figure = _spc_figure(
        points,
        months,
        names,
        rebase_months=rebase_months,
        events=events,
        limit_restarts=limit_restarts,
        title=title or f"{kpi_label}, {force_name}: XmR chart, {names[0]} to {names[-1]}",
        y_title=per_label(unit, per),
        unit=unit,
        target=target,
        note=f"Process limits: mean ± 2.66 × mean moving range. {method_note}"
        if method_note
        else "",
        per_what=per,
    )
    figure = replace(figure, legend_label=legend_label)
    data = _spc_data(points, months, names, figure, rebase_months)
    alt = chart_alt_text(figure)
    return Chart(
        data,
        figure.title,
        alt,
        draw_figure=lambda: mpl.draw_spc(figure),
        draw_svg=lambda prefix, alt: svg.draw_spc(figure, alt, prefix),
    )


def _spc_figure(
    points: pl.DataFrame,
    months: list[Month],
    names: list[str],
    *,
    rebase_months: Sequence[Month],
    events: Sequence[EventLike] | None,
    limit_restarts: Sequence[Month],
    title: str,
    y_title: str,
    unit: str,
    target: float | None,
    note: str,
    per_what: str,
) -> SpcFigure:
    """The points, their joins, limit segments, gaps and marked months of an XmR chart."""
    n = points.height
    status = points["status"].to_list() if "status" in points.columns else ["ok"] * n
    groups = [
        g if s == "ok" else None for g, s in zip(points["group"].to_list(), status, strict=True)
    ]
    event_list = as_events(events)
    restarts = {*limit_restarts, *(e.month for e in event_list if e.restarts_limits)}
    segment_keys = _segment_keys(groups, months, restarts)
    marks = _marks(months, rebase_months, event_list, restarts)
    return SpcFigure(
        title=title,
        y_title=y_title,
        x_title=per_what if per_what != "month" else "month",
        unit=unit,
        names=names,
        values=[float(v) if v is not None else None for v in points["value"].to_list()],
        status=status,
        types=points["point_type"].to_list(),
        limits={c: points[c].to_list() for c in LIMIT_COLUMNS},
        segments=runs(segment_keys),
        value_runs=_value_runs(status, months),
        gaps=[i for i in range(n) if status[i] != "ok"],
        markers=marks,
        target=target,
        note=note,
    )


def _segment_keys(
    groups: Sequence[int | None], months: Sequence[Month], restarts: set[Month]
) -> list[tuple[int, int] | None]:
    """A key per point that changes wherever the limits change: a new group (a rebase, or
    data after a gap) or a month where the limits restart."""
    part = 0
    keys: list[tuple[int, int] | None] = []
    for month, group in zip(months, groups, strict=True):
        if month in restarts:
            part += 1
        keys.append(None if group is None else (group, part))
    return keys


def _value_runs(status: Sequence[str], months: Sequence[Month]) -> list[list[int]]:
    """Points joined by one line: never across a missing point or a jump in time (a rebase
    or restart the line does cross)."""
    step = min((b - a for a, b in pairwise(months) if b > a), default=1)
    found: list[list[int]] = []
    current: list[int] = []
    for i, s in enumerate(status):
        joined = bool(current) and months[i] - months[current[-1]] == step and current[-1] == i - 1
        if s != "ok" or not joined:
            if current:
                found.append(current)
            current = []
        if s == "ok":
            current.append(i)
    if current:
        found.append(current)
    return found


def _marks(
    months: list[Month],
    rebase_months: Sequence[Month],
    events: Sequence[EventLike],
    restarts: set[Month],
) -> list[Marker]:
    """Vertical lines at the start of the months of rebases, restarts and known events."""
    marks: dict[Month, Marker] = {}
    for m in rebase_months:
        if m in months:
            marks[m] = Marker(months.index(m) - 0.5, "rebase", "rebase")
    for m in sorted(restarts):
        if m in months and m not in marks:
            marks[m] = Marker(months.index(m) - 0.5, "limits restart", "restart")
    for event in as_events(events):
        if event.month in months:
            kind = "restart" if event.month in restarts else "event"
            marks[event.month] = Marker(months.index(event.month) - 0.5, event.label, kind)
    return [marks[m] for m in sorted(marks)]


def _spc_data(
    points: pl.DataFrame,
    months: list[Month],
    names: list[str],
    figure: SpcFigure,
    rebase_months: Sequence[Month],
) -> pl.DataFrame:
    groups = [
        g if s == "ok" else None
        for g, s in zip(points["group"].to_list(), figure.status, strict=True)
    ]
    return pl.DataFrame(
        {
            "period": names,
            "month": [month_name(m) for m in months],
            "status": figure.status,
            "group": groups,
            "value": figure.values,
            **{c: points[c].to_list() for c in LIMIT_COLUMNS},
            "rule": points["rule"].to_list(),
            "point_type": figure.types,
            "rebase": [m in rebase_months for m in months],
        },
        schema={
            "period": pl.String,
            "month": pl.String,
            "status": pl.String,
            "group": pl.Int32,
            "value": pl.Float64,
            **{c: pl.Float64 for c in LIMIT_COLUMNS},
            "rule": pl.String,
            "point_type": pl.String,
            "rebase": pl.Boolean,
        },
    )


def spc_chart_from_frame(
    frame: pl.DataFrame,
    *,
    rebase_months: Sequence[Month] | None = None,
    title: str | None = None,
    events: Sequence[EventLike] | None = None,
    limit_restarts: Sequence[Month] = (),
) -> Chart:
    """The XmR chart of one KPI and force from :func:`pcp_cli.analysis.spc.xmr` output
    (the rows ``pcp spc --format csv`` prints).

    Rebases are the months given, or, when ``rebase_months`` is None, every point that
    starts a new group straight after a point with data (a group that starts after a gap
    is the chart restarting, shaded "no data", not a rebase).
    """
    from pcp_cli.periods import parse_month

    if not frame.height:
        raise ValueError("spc_chart_from_frame: no rows")
    if frame["kpi"].n_unique() != 1 or frame["force"].n_unique() != 1:
        raise ValueError("spc_chart_from_frame: one KPI and one force per chart")
    first = frame.row(0, named=True)
    starts = [parse_month(s) for s in frame["start"].to_list()]
    ends = [parse_month(s) for s in frame["end"].to_list()]
    span = ends[0] - starts[0] + 1
    if rebase_months is None:
        rebase_months = inferred_rebases(frame, starts)
    targets = frame["target"].drop_nulls() if "target" in frame.columns else pl.Series([])
    return spc_chart(
        kpi_label=str(first["label"]),
        unit=str(first["unit"] or ""),
        force_name=str(first["force_name"]),
        months=starts,
        points=frame,
        rebase_months=rebase_months,
        method_note=f"{first['method']}. Source: {first['source']}.",
        labels=None if span == 1 else frame["period"].to_list(),
        per={1: "month", 3: "quarter", 12: "year"}.get(span, f"{span} months"),
        target=float(targets[0]) if targets.len() else None,
        title=title,
        events=events,
        limit_restarts=limit_restarts,
    )


def inferred_rebases(frame: pl.DataFrame, starts: Sequence[Month]) -> list[Month]:
    """Months where a new group starts straight after a point with data (not after a gap)."""
    status = frame["status"].to_list()
    group = frame["group"].to_list()
    step = min((b - a for a, b in pairwise(starts) if b > a), default=1)
    return [
        starts[i]
        for i in range(1, frame.height)
        if status[i] == status[i - 1] == "ok"
        and group[i] != group[i - 1]
        and starts[i] - starts[i - 1] == step
    ]
