"""Charts for the HTML report, inline: the panel paper's small trend cells and the charts of
:mod:`pcp_cli.charts` as self-contained ``<svg>`` elements (or base64 PNG images).

The charts draw their own inline SVG (no namespaces, ids prefixed per chart).
:func:`inline_svg` remains for a matplotlib SVG document, which starts with an XML
declaration, a DOCTYPE and RDF metadata naming w3.org and purl.org addresses, and whose ids
are only unique within the file. Inline in one HTML page those go: no declaration, no
namespaces (the HTML parser places ``<svg>`` in the SVG namespace), ``xlink:href`` becomes
``href``, and every id gets a per-chart prefix.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Sequence
from typing import Literal

from pcp_cli.charts import Chart, spc_chart, trend_chart
from pcp_cli.periods import parse_month
from pcp_cli.report.layout import Figure
from pcp_cli.report.model import Trend

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


def draw(figure: Figure) -> Chart:
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
        )
    frame = line.spc.frame
    assert frame is not None
    return spc_chart(
        kpi_label=kpi.label,
        unit=kpi.unit,
        force_name=figure.force_name,
        months=[parse_month(m) for m in frame["start"].to_list()],
        points=frame,
        method_note=f"{frame['method'][0]}. Source: {line.spc.source}.",
    )


def render_figure(figure: Figure, index: int, fmt: ChartFormat = "svg") -> str:
    """The figure as an inline ``<svg>`` (ids prefixed ``c<index>-``) or a base64 ``<img>``.

    SVG is drawn straight from Python (:mod:`pcp_cli.charts.svg`), with the chart's alt text
    as its ``<desc>`` and ``aria-label``; only PNG goes through matplotlib.
    """
    chart = draw(figure)
    try:
        if fmt == "png":
            data = chart.render("png")
            encoded = base64.b64encode(data).decode("ascii")
            return (
                f'<img class="chart" alt="{html.escape(chart.alt)}" '
                f'src="data:image/png;base64,{encoded}">'
            )
        return chart.svg(f"c{index}")
    finally:
        chart.close()


_NAMESPACE = re.compile(r'\s+xmlns(?::[\w-]+)?="[^"]*"')
_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'\bhref="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")
_ROOT = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="([^"]+)"')


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
    new_root = (
        f'<svg class="chart"{view_box} role="img" aria-label="{html.escape(title)}">'
        f"<title>{html.escape(title)}</title>"
    )
    return body[: root.start()] + new_root + body[root.end() :].strip()
