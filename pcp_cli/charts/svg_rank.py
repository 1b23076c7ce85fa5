"""The comparison charts (MSG bars, funnel plot) drawn as SVG straight from Python, with the
same frame, fonts and accessibility as :mod:`.svg`."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from pcp_cli.charts.base import RED, num
from pcp_cli.charts.rank import BarFigure, FunnelFigure
from pcp_cli.charts.svg import (
    LEFT,
    MEDIUM,
    SMALL,
    VIEW_WIDTH,
    Canvas,
    finish,
    legend,
    marker_path,
    nice_ticks,
    note,
    start,
    y_axis,
)

ROW = SMALL * 1.5  # one force per row of the bar chart


def _hatch(canvas: Canvas) -> str:
    p = escape(canvas.prefix)
    canvas.add(
        f'<defs><pattern id="{p}-home" width="5" height="5" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="5" height="5" fill="{RED}"/>'
        '<line x1="0" y1="0" x2="0" y2="5" stroke="#ffffff" stroke-width="1.4"/></pattern></defs>'
    )
    return f"url(#{p}-home)"


def x_value_axis(
    canvas: Canvas, ticks: Sequence[float], to_x: Callable[[float], float], title: str
) -> float:
    """A numeric x axis: vertical grid lines, tick labels and the axis title."""
    for tick in ticks:
        tx = to_x(tick)
        canvas.add(
            f'<line x1="{tx:.1f}" y1="{canvas.top:.1f}" x2="{tx:.1f}" y2="{canvas.bottom:.1f}" '
            'stroke="#e3e3e3" stroke-width="0.8"/>'
        )
        label = num(tick)
        past_edge = tx + len(label) * SMALL * 0.3 > VIEW_WIDTH
        canvas.text(
            min(tx, VIEW_WIDTH - 1) if past_edge else tx,
            canvas.bottom + 6 + SMALL,
            label,
            text_anchor="end" if past_edge else "middle",
        )
    canvas.add(
        f'<path d="M{canvas.left:.1f},{canvas.top:.1f}V{canvas.bottom:.1f}H{canvas.right:.1f}" '
        'fill="none" stroke="#333333" stroke-width="0.8"/>'
    )
    y = canvas.bottom + 10 + SMALL + MEDIUM
    mid = (canvas.left + canvas.right) / 2
    canvas.text(mid, y, title, MEDIUM, text_anchor="middle", class_="axis-title x")
    return y + 6


def draw_bar(bar: BarFigure, alt: str, prefix: str) -> str:
    widest = max((len(f) for f in bar.forces), default=4)
    canvas = Canvas(
        prefix, left=max(LEFT, widest * SMALL * 0.55 + 12), height=ROW * len(bar.forces)
    )
    start(canvas, bar.title, False)
    highs = [h for h in bar.highs if h is not None]
    ticks = nice_ticks(0.0, max([*bar.values, bar.upper or 0.0, *highs, 1e-9]) * 1.3)

    def to_x(value: float) -> float:
        return canvas.left + value / ticks[-1] * (canvas.right - canvas.left)

    y = x_value_axis(canvas, ticks, to_x, bar.rate_unit)
    home_fill = _hatch(canvas)
    for k, force in enumerate(bar.forces):
        _bar_row(canvas, bar, k, to_x, home_fill if force == bar.home else "#8c8c8c")
    for line_at, style, _label in bar.lines:
        if line_at is not None:
            dash = ' stroke-dasharray="6 3"' if style == "--" else ""
            lx = to_x(line_at)
            canvas.add(
                f'<line x1="{lx:.1f}" y1="{canvas.top:.1f}" x2="{lx:.1f}" y2="{canvas.bottom:.1f}" '
                f'stroke="#000000" stroke-width="1.1"{dash} class="group-line"/>'
            )
    items = [(f"{bar.home} (home force)", RED, "none", "s")] if bar.home else []
    if highs:
        items.append(("95% confidence interval", "#000000", "", ""))
    items += [
        (label, "#000000", "6 3" if s == "--" else "", "")
        for _v, s, label in bar.lines
        if label and _v is not None
    ]
    y = legend(canvas, items, y)
    y = note(canvas, bar.footnote, y) if bar.footnote else y
    return finish(canvas, bar.title, alt, y + 8)


def _bar_row(
    canvas: Canvas, bar: BarFigure, k: int, to_x: Callable[[float], float], fill: str
) -> None:
    """One force's bar (row 0 at the bottom), its CI, value and rank, and its name."""
    value = bar.values[k]
    top = canvas.bottom - (k + 1) * ROW + ROW * 0.15
    mid = top + ROW * 0.35
    canvas.add(
        f'<rect x="{canvas.left:.1f}" y="{top:.1f}" width="{to_x(value) - canvas.left:.1f}" '
        f'height="{ROW * 0.7:.1f}" fill="{fill}" stroke="#333333" stroke-width="0.4" class="bar"/>'
    )
    low, high = bar.lows[k], bar.highs[k]
    end = to_x(value)
    if low is not None and high is not None:
        a, b = to_x(low), to_x(high)
        canvas.add(
            f'<path d="M{a:.1f},{mid:.1f}H{b:.1f}M{a:.1f},{mid - 3:.1f}V{mid + 3:.1f}'
            f'M{b:.1f},{mid - 3:.1f}V{mid + 3:.1f}" stroke="#000000" stroke-width="0.8" '
            'fill="none" class="ci"/>'
        )
        end = max(end, b)
    label = num(value) + (f" (rank {bar.ranks[k]})" if bar.ranks[k] is not None else "")
    canvas.text(end + 4, mid + SMALL * 0.35, label)
    weight = "bold" if bar.forces[k] == bar.home else "normal"
    canvas.text(
        canvas.left - 5, mid + SMALL * 0.35, bar.forces[k], text_anchor="end", font_weight=weight
    )


def draw_funnel(funnel: FunnelFigure, alt: str, prefix: str) -> str:
    canvas = Canvas(prefix)
    start(canvas, funnel.title, False)
    _funnel_scale(canvas, funnel)
    lo, hi = funnel.grid[0], funnel.grid[-1]

    def to_x(pop: float) -> float:
        if funnel.log_x:
            share = (math.log(pop) - math.log(lo)) / (math.log(hi) - math.log(lo))
        else:
            share = (pop - lo) / ((hi - lo) or 1.0)
        return canvas.left + share * (canvas.right - canvas.left)

    y_axis(canvas, nice_ticks(canvas.lo, canvas.hi), funnel.y_title, "")
    ticks = _log_ticks(lo, hi) if funnel.log_x else [t for t in nice_ticks(lo, hi) if lo <= t <= hi]
    y = x_value_axis(canvas, ticks, to_x, funnel.population_label)
    _funnel_lines(canvas, funnel, to_x)
    _funnel_points(canvas, funnel, to_x)
    items = [
        ("group rate", "#000000", "", ""),
        ("95% limits", "#555555", "6 3", ""),
        ("99.8% limits", "#222222", "1.5 2.5", ""),
    ]
    if funnel.home:
        items.append((f"{funnel.home} (home force)", RED, "none", "D"))
    y = legend(canvas, items, y)
    y = note(canvas, funnel.footnote, y) if funnel.footnote else y
    return finish(canvas, funnel.title, alt, y + 8)


def _funnel_scale(canvas: Canvas, funnel: FunnelFigure) -> None:
    shown = [i for i in range(len(funnel.forces)) if i not in funnel.off]
    ys = [funnel.rates[i] for i in shown] + [funnel.group_rate]
    ys += [v for i in shown for v in (funnel.at_force[i].lower_998, funnel.at_force[i].upper_998)]
    pad = (max(ys) - min(ys)) * 0.08 or 1.0
    ticks = nice_ticks(min(ys) - pad, max(ys) + pad)
    canvas.lo, canvas.hi = ticks[0], ticks[-1]


def _log_ticks(lo: float, hi: float) -> list[float]:
    """1, 2 and 5 times powers of ten in lo..hi (only the powers when that would crowd)."""
    steps = (1, 2, 5) if math.log10(hi / lo) <= 2.2 else (1,)
    found = []
    for power in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        found += [m * 10**power for m in steps if lo <= m * 10**power <= hi]
    return found


def _funnel_lines(canvas: Canvas, funnel: FunnelFigure, to_x: Callable[[float], float]) -> None:
    """The group rate and the limits, clipped to the plot area."""
    p = escape(canvas.prefix)
    canvas.add(
        f'<defs><clipPath id="{p}-plot"><rect x="{canvas.left:.1f}" y="{canvas.top:.1f}" '
        f'width="{canvas.right - canvas.left:.1f}" height="{canvas.height:.1f}"/></clipPath></defs>'
        f'<g clip-path="url(#{p}-plot)">'
    )
    gy = canvas.y(funnel.group_rate)
    canvas.polyline([(canvas.left, gy), (canvas.right, gy)], "#000000", stroke_width="1.1")
    for attr, colour, dash in (
        ("upper_95", "#555555", "6 3"),
        ("lower_95", "#555555", "6 3"),
        ("upper_998", "#222222", "1.5 2.5"),
        ("lower_998", "#222222", "1.5 2.5"),
    ):
        pts = [
            (to_x(p), canvas.y(getattr(lim, attr)))
            for p, lim in zip(funnel.grid, funnel.limits, strict=True)
        ]
        canvas.polyline(
            pts, colour, stroke_width="1", stroke_dasharray=dash, class_=f"limit {attr}"
        )
    canvas.add("</g>")


def _funnel_points(canvas: Canvas, funnel: FunnelFigure, to_x: Callable[[float], float]) -> None:
    for i, (name, pop, rate) in enumerate(
        zip(funnel.forces, funnel.populations, funnel.rates, strict=True)
    ):
        if i in funnel.off:
            continue
        home = name == funnel.home
        cx, cy = to_x(pop), canvas.y(rate)
        shape = marker_path("D" if home else "o", cx, cy, 5.0 if home else 3.2)
        fill = RED if home else "#8c8c8c"
        canvas.add(
            f'<path d="{shape}" fill="{fill}" stroke="#000000" stroke-width="0.5" class="point"/>'
        )
        if home or i in funnel.named:
            # Near the right edge the name goes to the left of its point.
            left = cx + len(name) * SMALL * 0.55 + 8 > VIEW_WIDTH
            canvas.text(
                cx - 6 if left else cx + 6,
                cy - 4,
                name,
                font_weight="bold" if home else "normal",
                text_anchor="end" if left else "start",
            )
