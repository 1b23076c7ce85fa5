"""Charts for the HTML report, inline: the panel paper's small trend cells and the charts of
:mod:`pcp_cli.charts` as self-contained ``<svg>`` elements (or base64 PNG images).

The charts draw their own inline SVG straight from Python (no matplotlib: fast), in plain
legend words, with the alt text of :func:`alt_text` as ``<desc>`` and ``aria-label``. PNG
goes through matplotlib and :func:`readable`. :func:`inline_svg` remains for a matplotlib
SVG document: such a file starts with an XML declaration, a DOCTYPE and RDF metadata that name
w3.org and purl.org addresses, and its element ids are only unique within the file. Inline
in one HTML page those go: no declaration, no namespaces (the HTML parser places ``<svg>``
in the SVG namespace), ``xlink:href`` becomes ``href``, and every id gets a per-chart prefix.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Sequence
from typing import Literal

from pcp_cli.app.report_model import Trend
from pcp_cli.charts import Chart, ChartEvent, spc_chart, trend_chart
from pcp_cli.periods import month_name, parse_month
from pcp_cli.report.layout import ChartBlock

ChartFormat = Literal["svg", "png"]

BLUE = "#1f4e9c"
RED = "#c8102e"


def mini_trend(trend: Trend, width: int = 120, height: int = 30) -> str:
    """A small inline chart like the papers' trend column: previous year blue, current red."""
    values = [v for v in (*trend.previous, *trend.current) if v is not None and math.isfinite(v)]
    if not values:
        return ""
    label = (
        f"{trend.previous_label} (blue, dashed): {_series_text(trend.previous)}; "
        f"{trend.current_label} (red): {_series_text(trend.current)}"
    )
    head = (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(label)}"><title>{html.escape(label)}</title>'
    )
    if max(len(trend.previous), len(trend.current)) == 1:
        return head + _bars(trend, width, height) + "</svg>"
    slots = max(len(trend.previous), len(trend.current), 12 if trend.kind == "year-on-year" else 2)
    lo, hi = min(values), max(values)
    pad = 3.0

    def xy(i: int, v: float) -> str:
        x = pad + i * (width - 2 * pad) / max(slots - 1, 1)
        y = height / 2 if hi == lo else pad + (hi - v) / (hi - lo) * (height - 2 * pad)
        return f"{x:.1f},{y:.1f}"

    def lines(series: Sequence[float], colour: str, extra: str) -> str:
        out = []
        run: list[str] = []
        for i, v in enumerate([*series, math.nan]):
            if v is not None and math.isfinite(v):
                run.append(xy(i, v))
                continue
            if len(run) == 1:
                x, y = run[0].split(",")
                out.append(f'<circle cx="{x}" cy="{y}" r="1.8" fill="{colour}"/>')
            elif run:
                out.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="1.6" stroke-linejoin="round"{extra}/>'
                )
            run = []
        return "".join(out)

    return (
        head
        + lines(trend.previous, BLUE, ' stroke-dasharray="3 2"')
        + lines(trend.current, RED, "")
        + "</svg>"
    )


def _bars(trend: Trend, width: int, height: int) -> str:
    """One value a side (quarterly data, surveys): two bars from zero, blue then red."""
    out = []
    values = [*trend.previous[:1], *trend.current[:1]]
    top = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    for i, (series, colour) in enumerate(((trend.previous, BLUE), (trend.current, RED))):
        if not series or series[0] is None or not math.isfinite(series[0]) or top == 0:
            continue
        h = max(1.0, abs(series[0]) / top * (height - 4))
        x = 4 + i * 26
        style = ' fill-opacity="0.35" stroke-dasharray="3 2"' if i == 0 else ""
        out.append(
            f'<rect x="{x}" y="{height - 2 - h:.1f}" width="20" height="{h:.1f}" '
            f'fill="{colour}" stroke="{colour}"{style}/>'
        )
    return "".join(out)


def _series_text(values: Sequence[float]) -> str:
    return ", ".join(
        f"{v:,.0f}"
        if v is not None and math.isfinite(v) and float(v).is_integer()
        else (f"{v:,.1f}" if v is not None and math.isfinite(v) else "no data")
        for v in values
    )


def _chart_events(figure: ChartBlock) -> list[ChartEvent]:
    return [ChartEvent(e.month, e.label, e.restart_limits) for e in figure.events]


def draw(figure: ChartBlock) -> Chart:
    """The :mod:`pcp_cli.charts` chart of a report figure (the caller closes it)."""
    line = figure.line
    kpi = line.kpi
    if figure.kind == "trend":
        trend = line.trend
        assert trend is not None
        return trend_chart(
            kpi_label=kpi.label,
            unit=kpi.unit,
            force_name=figure.force_name,
            current_label=trend.current_label,
            current=list(trend.current),
            previous_label=trend.previous_label,
            previous=list(trend.previous),
            events=_chart_events(figure),
        )
    frame = line.spc.frame
    assert frame is not None
    months = [parse_month(m) for m in frame["start"].to_list()]
    return spc_chart(
        kpi_label=kpi.label,
        unit=kpi.unit,
        force_name=figure.force_name,
        months=months,
        points=frame,
        legend_label=plain_label,
        events=_chart_events(figure),
        limit_restarts=line.spc.restarted,
        title=(
            f"{kpi.label}, {figure.force_name}: monthly, {month_name(months[0])} "
            f"to {month_name(months[-1])}"
        ),
    )


PRINT_WIDTH_IN = 6.5
"""Charts are drawn at the width they print at (165 mm), so their text prints at its size."""

MIN_TEXT_PT = 8.5
"""No chart text smaller than this on paper (legends, tick labels, notes): the paper's floor
is 8 pt, and a chart slightly wider than the column is scaled down a little."""


_PLAIN_LEGEND = (
    ("process limits", "normal range"),
    ("near-limit bands", "close to the limits"),
    ("mean", "average"),
    ("common cause", "usual month"),
    ("special cause: improvement", "unusual: improvement"),
    ("special cause: concern", "unusual: concern"),
    ("special cause: neutral (high)", "unusually high"),
    ("special cause: neutral (low)", "unusually low"),
    ("special cause", "unusual"),
)
"""Chart legend words for a councillor (matched at the start of the label)."""


def plain_label(label: str) -> str:
    for start, words in _PLAIN_LEGEND:
        if label.startswith(start):
            return words
    return label


def readable(chart: Chart) -> None:
    """Fit the chart to the printed column: legend under the plot in plain words (the plot
    keeps the full width), and no text below :data:`MIN_TEXT_PT`."""
    from matplotlib.text import Text

    fig = chart.figure
    width, height = fig.get_size_inches()
    if width > PRINT_WIDTH_IN:
        fig.set_size_inches(PRINT_WIDTH_IN, height * PRINT_WIDTH_IN / width)
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        handles, labels = ax.get_legend_handles_labels()
        legend.remove()
        fig.legend(
            handles,
            [plain_label(label) for label in labels],
            loc="outside lower center",
            ncols=min(4, len(labels)),
            frameon=False,
            fontsize=MIN_TEXT_PT,
        )
    for text in fig.findobj(Text):
        if text.get_text() and float(text.get_fontsize()) < MIN_TEXT_PT:
            text.set_fontsize(MIN_TEXT_PT)


def render_figure(figure: ChartBlock, index: int, fmt: ChartFormat = "svg") -> str:
    """The figure as an inline ``<svg>`` (ids prefixed ``c<index>-``) or a base64 ``<img>``,
    with :func:`alt_text` as its accessible description."""
    chart = draw(figure)
    chart.alt = alt_text(figure, chart.title)
    if fmt != "png":
        return chart.svg(f"c{index}")
    try:
        readable(chart)
        encoded = base64.b64encode(chart.render("png")).decode("ascii")
    finally:
        chart.close()
    return (
        f'<img class="chart" alt="{html.escape(chart.alt)}" src="data:image/png;base64,{encoded}">'
    )


def alt_text(figure: ChartBlock, title: str) -> str:
    """What the chart shows, for a screen reader: its title, the latest value and, for a
    monthly (XmR) chart, the average and the normal range."""
    from pcp_cli.text import number
    from pcp_cli.text import value as value_text

    line = figure.line
    unit = line.kpi.unit

    def shown(value: float) -> str:
        return value_text(value, unit) if unit == "%" else number(value, 0)

    if figure.kind == "trend" and line.trend is not None:
        trend = line.trend
        values = [v for v in trend.current if v is not None and math.isfinite(v)]
        if not values:
            return f"{title}."
        return (
            f"{title}. {trend.current_label} in red, {trend.previous_label} in blue; the "
            f"latest month is {shown(values[-1])}."
        )
    spc = line.spc
    frame = spc.frame
    if frame is None or spc.mean is None or spc.lower is None or spc.upper is None:
        return f"{title}."
    ok = frame.filter(frame["status"] == "ok")
    latest = shown(float(ok["value"][-1])) if ok.height else "–"
    return (
        f"{title}. The latest month is {latest}; the average is {shown(spc.mean)} and the "
        f"normal range {shown(spc.lower)} to {shown(spc.upper)}. "
        f"{spc.detail[:1].upper()}{spc.detail[1:]}."
    )


_NAMESPACE = re.compile(r'\s+xmlns(?::[\w-]+)?="[^"]*"')
_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'\bhref="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")
_ROOT = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="([^"]+)"')
_WIDTH = re.compile(r'\swidth="([\d.]+pt)"')


def inline_svg(text: str, prefix: str, title: str) -> str:
    """A matplotlib SVG document made fit to sit inside an HTML page (see the module doc)."""
    start = text.find("<svg")
    if start < 0:
        raise ValueError("not an SVG document")
    body = text[start:]
    body = re.sub(r"<metadata>.*?</metadata>\s*", "", body, flags=re.S)
    body = re.sub(r"<!--.*?-->\s*", "", body, flags=re.S)
    body = body.replace("xlink:href=", "href=")
    body = _NAMESPACE.sub("", body)
    body = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', body)
    body = _HREF.sub(lambda m: f'href="#{prefix}-{m.group(1)}"', body)
    body = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", body)
    root = _ROOT.search(body)
    assert root is not None
    view = _VIEWBOX.search(root.group(0))
    view_box = f' viewBox="{view.group(1)}"' if view else ""
    width = _WIDTH.search(root.group(0))
    # Printed at its own size (text at its point size), narrower only on a narrow screen.
    size = f' style="width: {width.group(1)}"' if width else ""
    new_root = (
        f'<svg class="chart"{view_box}{size} role="img" aria-label="{html.escape(title)}">'
        f"<title>{html.escape(title)}</title>"
    )
    return body[: root.start()] + new_root + body[root.end() :].strip()
