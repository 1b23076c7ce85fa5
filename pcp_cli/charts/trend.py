"""The year-on-year trend chart: this financial year's months against the previous year's."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pcp_cli.charts import mpl, svg
from pcp_cli.charts.alt import chart_alt_text
from pcp_cli.charts.base import FY_MONTHS, Chart, EventLike, as_events, fy_start, pad12, per
from pcp_cli.charts.figures import Marker, TrendFigure
from pcp_cli.periods import Month


def trend_chart(
    *,
    kpi_label: str,
    unit: str,
    force_name: str,
    current_label: str,
    current: Sequence[float | None],
    previous_label: str,
    previous: Sequence[float | None],
    events: Sequence[EventLike] | None = None,
    current_start: Month | None = None,
) -> Chart:
    """Monthly values of one financial year against the previous one (Apr..Mar on the x axis).

    ``current`` may be shorter than 12 months (a year in progress). ``events`` (month, label)
    that fall in the current year are marked with a labelled vertical line at the start of
    their month; the year is ``current_start`` (its April), else read from a label such as
    "2018/19".
    """
    title = f"{kpi_label}: {current_label} against {previous_label}, {force_name}"
    first = current_start if current_start is not None else fy_start(current_label)
    marks = [
        Marker(event.month - first - 0.5, event.label)
        for event in as_events(events)
        if first is not None and 0 <= event.month - first < 12
    ]
    figure = TrendFigure(
        title=title,
        y_title=per(unit, "month"),
        unit=unit,
        previous_label=previous_label,
        previous=[None if v is None else float(v) for v in previous],
        current_label=current_label,
        current=[None if v is None else float(v) for v in current],
        markers=marks,
    )
    data = pl.DataFrame(
        {"month_of_year": FY_MONTHS, "previous": pad12(previous), "current": pad12(current)},
        schema={"month_of_year": pl.String, "previous": pl.Float64, "current": pl.Float64},
    )
    alt = chart_alt_text(figure)
    return Chart(
        data,
        title,
        alt,
        draw_figure=lambda: mpl.draw_trend(figure),
        draw_svg=lambda prefix, alt: svg.draw_trend(figure, alt, prefix),
    )
