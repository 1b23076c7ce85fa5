"""Charts for panel papers.

Every chart returns a :class:`Chart`: the data it plots (a polars DataFrame, so tests and
the report can check numbers rather than pixels), its title, its alt text
(:func:`chart_alt_text`) and its drawers. The report's simple charts (the year-on-year
trend and the XmR chart) are drawn as SVG straight from Python (:mod:`pcp_cli.charts.svg`);
PNG files and the comparison charts (MSG bars, funnel plots) use matplotlib's Agg backend.
Colours follow the seed papers (previous year blue, current red) and NHS Making Data Count
for SPC; line styles, marker shapes and letters differ too, so the charts read in greyscale.
"""

from pcp_cli.charts.alt import chart_alt_text
from pcp_cli.charts.base import (
    BLUE,
    MDC_COLOURS,
    MDC_LABELS,
    MDC_LETTERS,
    MDC_MARKERS,
    RED,
    TARGET_COLOUR,
    Chart,
    ChartError,
    ChartEvent,
    ChartFormat,
)
from pcp_cli.charts.rank import funnel_chart, rank_bar_chart
from pcp_cli.charts.rank_frame import RankStyle, rank_chart_from_frame
from pcp_cli.charts.spc import spc_chart, spc_chart_from_frame
from pcp_cli.charts.svg import min_font_size
from pcp_cli.charts.trend import trend_chart

__all__ = [
    "BLUE",
    "MDC_COLOURS",
    "MDC_LABELS",
    "MDC_LETTERS",
    "MDC_MARKERS",
    "RED",
    "TARGET_COLOUR",
    "Chart",
    "ChartError",
    "ChartEvent",
    "ChartFormat",
    "RankStyle",
    "chart_alt_text",
    "funnel_chart",
    "min_font_size",
    "rank_bar_chart",
    "rank_chart_from_frame",
    "spc_chart",
    "spc_chart_from_frame",
    "trend_chart",
]
