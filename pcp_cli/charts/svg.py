"""The report's simple charts drawn as SVG text straight from Python (no matplotlib).

A chart is a ``<svg>`` element with a ``viewBox`` of :data:`VIEW_WIDTH` units across, an
accessible name (``role="img"``, ``aria-label``, ``<title>`` and ``<desc>`` holding the alt
text) and every text escaped. Sizes are chosen for print: the report places a chart
:data:`~.base.PRINT_WIDTH_MM` mm wide on A4, so one point on paper is
``VIEW_WIDTH / (165 mm in points)`` units, and no text is set below
:func:`min_font_size` (8 pt on paper). Ids start with the caller's prefix, so several
charts can sit in one HTML page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from pcp_cli.charts.base import (
    BLUE,
    EVENT_COLOUR,
    FY_MONTHS,
    MDC_COLOURS,
    MDC_LABELS,
    MDC_LETTERS,
    MDC_MARKERS,
    MIN_PRINT_PT,
    PRINT_WIDTH_MM,
    RED,
    TARGET_COLOUR,
    finite,
    num,
)
from pcp_cli.charts.figures import Marker, SpcFigure, TrendFigure

VIEW_WIDTH = 640.0
LEFT, RIGHT = 74.0, 14.0
PLOT_HEIGHT = 170.0


def min_font_size(view_width: float = VIEW_WIDTH, print_width_mm: float = PRINT_WIDTH_MM) -> float:
    """The smallest font size (in viewBox units) that prints at 8 pt when the chart is
    ``print_width_mm`` wide on paper."""
    print_width_pt = print_width_mm / 25.4 * 72
    return MIN_PRINT_PT * view_width / print_width_pt


SMALL = math.ceil(min_font_size() * 10) / 10  # ticks, legend, notes: 8 pt printed
MEDIUM = round(SMALL * 1.1, 1)  # axis titles
LARGE = round(SMALL * 1.3, 1)  # the chart title


@dataclass
class Canvas:
    """SVG elements in drawing order, with the plot area and y scale once they are known."""

    prefix: str
    top: float = 0.0
    lo: float = 0.0
    hi: float = 1.0
    slots: int = 1
    left: float = LEFT
    height: float = PLOT_HEIGHT
    parts: list[str] = field(default_factory=list)

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return VIEW_WIDTH - RIGHT

    def x(self, slot: float) -> float:
        """The centre of an x slot (a month or a point) ``slot`` from the left."""
        return self.left + (slot + 0.5) * (self.right - self.left) / self.slots

    def y(self, value: float) -> float:
        span = (self.hi - self.lo) or 1.0
        return self.bottom - (value - self.lo) / span * self.height

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(self, x: float, y: float, content: str, size: float = SMALL, **attrs: str) -> None:
        extra = "".join(
            f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items()
        )
        self.add(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}"{extra}>{escape(content)}</text>'
        )

    def polyline(self, points: Sequence[tuple[float, float]], stroke: str, **attrs: str) -> None:
        if len(points) < 2:
            return
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        extra = "".join(
            f' {k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items()
        )
        self.add(f'<polyline points="{coords}" fill="none" stroke="{stroke}"{extra}/>')


def wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` that fit ``width`` units at ``size`` (an average glyph is 0.55 em)."""
    most = max(10, int(width / (size * 0.55)))
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= most:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering lo..hi (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    value = first
    while value < hi + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def marker_path(symbol: str, cx: float, cy: float, r: float) -> str:
    """The outline of a marker shape (matplotlib's o ^ v s D) as SVG path data."""
    s = r * 0.85
    corners = {
        "^": [(0, -r), (r, r * 0.8), (-r, r * 0.8)],
        "v": [(0, r), (r, -r * 0.8), (-r, -r * 0.8)],
        "s": [(-s, -s), (s, -s), (s, s), (-s, s)],
        "D": [(0, -r), (r, 0), (0, r), (-r, 0)],
    }.get(symbol)
    if corners is not None:
        return "M" + "L".join(f"{cx + dx:.1f},{cy + dy:.1f}" for dx, dy in corners) + "Z"
    # A circle as two arcs keeps every marker a <path>.
    return (
        f"M{cx - r:.1f},{cy:.1f}a{r:.1f},{r:.1f} 0 1,0 {2 * r:.1f},0"
        f"a{r:.1f},{r:.1f} 0 1,0 {-2 * r:.1f},0Z"
    )


# -- the frame: title, axes, legend, note ---------------------------------------------------


def start(canvas: Canvas, title: str, has_markers: bool) -> None:
    """The title (wrapped) and the top of the plot area below it."""
    y = 4.0
    for line in wrap(title, LARGE, VIEW_WIDTH - 8):
        y += LARGE * 1.25
        canvas.text(4, y, line, LARGE, font_weight="bold")
    canvas.top = y + (SMALL * 2.8 if has_markers else SMALL)


def y_axis(canvas: Canvas, ticks: Sequence[float], title: str, unit: str) -> None:
    """Grid lines, tick labels and the rotated y-axis title."""
    suffix = "%" if unit == "%" else ""
    for tick in ticks:
        ty = canvas.y(tick)
        canvas.add(
            f'<line x1="{canvas.left:.1f}" y1="{ty:.1f}" x2="{canvas.right:.1f}" y2="{ty:.1f}" '
            'stroke="#e3e3e3" stroke-width="0.8"/>'
        )
        canvas.text(canvas.left - 5, ty + SMALL * 0.35, num(tick) + suffix, text_anchor="end")
    mid = (canvas.top + canvas.bottom) / 2
    canvas.text(
        MEDIUM,
        mid,
        title,
        MEDIUM,
        text_anchor="middle",
        transform=f"rotate(-90 {MEDIUM} {mid:.1f})",
        class_="axis-title y",
    )
    canvas.add(
        f'<path d="M{canvas.left:.1f},{canvas.top:.1f}V{canvas.bottom:.1f}H{canvas.right:.1f}" '
        'fill="none" stroke="#333333" stroke-width="0.8"/>'
    )


def x_axis(canvas: Canvas, names: Sequence[str], title: str) -> float:
    """Tick labels, level (every k-th when they would touch: k from 1, 2, 3, 4, 6, 12, …)
    and the x-axis title; returns the y below them."""
    widest = max((len(n) for n in names), default=1) * SMALL * 0.55 + 8
    slot = (canvas.right - canvas.left) / max(1, len(names))
    need = math.ceil(widest / slot)
    step = next((k for k in (1, 2, 3, 4, 6, 12) if k >= need), 12 * math.ceil(need / 12))
    for i in range(0, len(names), step):
        tx = canvas.x(i)
        canvas.add(
            f'<line x1="{tx:.1f}" y1="{canvas.bottom:.1f}" x2="{tx:.1f}" '
            f'y2="{canvas.bottom + 4:.1f}" stroke="#333333" stroke-width="0.8"/>'
        )
        canvas.text(tx, canvas.bottom + 6 + SMALL, names[i], text_anchor="middle")
    y = canvas.bottom + 10 + SMALL * 1.2 + MEDIUM
    canvas.text(
        (canvas.left + canvas.right) / 2,
        y,
        title,
        MEDIUM,
        text_anchor="middle",
        class_="axis-title x",
    )
    return y + 4


LegendItem = tuple[str, str, str, str]  # label, stroke colour, dash array, marker symbol


def legend(canvas: Canvas, items: Sequence[LegendItem], y: float) -> float:
    """Legend entries in rows below the axis: a line sample, its marker and the label."""
    x, y = canvas.left, y + SMALL * 1.3
    for label, colour, dash, symbol in items:
        width = 30 + len(label) * SMALL * 0.55 + 14
        if x + width > VIEW_WIDTH - RIGHT and x > canvas.left:
            x, y = canvas.left, y + SMALL * 1.5
        mid = y - SMALL * 0.35
        if dash != "none":
            dashes = f' stroke-dasharray="{dash}"' if dash else ""
            canvas.add(
                f'<line x1="{x:.1f}" y1="{mid:.1f}" x2="{x + 24:.1f}" y2="{mid:.1f}" '
                f'stroke="{colour}" stroke-width="1.5"{dashes}/>'
            )
        if symbol:
            fill = MDC_COLOURS.get(symbol, colour)
            canvas.add(_marker(symbol, x + 12, mid, 4.0, fill, "#000000"))
        canvas.text(x + 30, y, label, class_="legend")
        x += width
    return y + 6


def _marker(
    symbol: str, cx: float, cy: float, r: float, fill: str, stroke: str, cls: str = "key"
) -> str:
    shape = MDC_MARKERS.get(symbol, symbol)
    return (
        f'<path d="{marker_path(shape, cx, cy, r)}" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="0.6" class="{escape(cls)}"/>'
    )


def note(canvas: Canvas, text: str, y: float) -> float:
    for line in wrap(text, SMALL, VIEW_WIDTH - 8):
        y += SMALL * 1.3
        canvas.text(4, y, line, fill="#444444")
    return y


def markers(canvas: Canvas, marks: Sequence[Marker]) -> None:
    """Vertical lines for known events, rebases and restarts, each with its label above the
    plot (labels step down a line when two would overlap)."""
    last_end = -math.inf
    row = 0
    for mark in marks:
        mx = canvas.x(mark.position)
        dash = {"event": "6 3 1.5 3", "rebase": "", "restart": "2 2"}.get(mark.kind, "")
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        colour = EVENT_COLOUR if mark.kind == "event" else "#000000"
        canvas.add(
            f'<line x1="{mx:.1f}" y1="{canvas.top - SMALL * 2.6:.1f}" x2="{mx:.1f}" '
            f'y2="{canvas.bottom:.1f}" stroke="{colour}" stroke-width="1.1"{dashes} '
            f'class="marker {mark.kind}"/>'
        )
        row = 1 - row if mx < last_end else 0
        ty = canvas.top - SMALL * (1.7 - 1.3 * row)
        canvas.text(mx + 2, ty, mark.label, fill=colour, class_=f"marker-label {mark.kind}")
        last_end = mx + 2 + len(mark.label) * SMALL * 0.55


def finish(canvas: Canvas, title: str, alt: str, height: float) -> str:
    p = escape(canvas.prefix)
    head = (
        f'<svg class="chart" viewBox="0 0 {VIEW_WIDTH:.0f} {math.ceil(height):.0f}" '
        f'role="img" aria-label="{escape(alt)}" font-family="Arial, Helvetica, sans-serif">'
        f'<title id="{p}-title">{escape(title)}</title><desc id="{p}-desc">{escape(alt)}</desc>'
        f'<rect width="100%" height="100%" fill="#ffffff"/>'
    )
    return head + "".join(canvas.parts) + "</svg>"


# -- the trend chart ------------------------------------------------------------------------


def draw_trend(fig: TrendFigure, alt: str, prefix: str) -> str:
    canvas = Canvas(prefix, slots=12)
    start(canvas, fig.title, bool(fig.markers))
    values = [v for v in (*fig.previous, *fig.current) if v is not None and finite(v)]
    ticks = nice_ticks(0.0, max(values, default=1.0))
    canvas.lo, canvas.hi = 0.0, ticks[-1]
    y_axis(canvas, ticks, fig.y_title, fig.unit)
    markers(canvas, fig.markers)
    series = (
        (fig.previous, BLUE, "6 3", "o", fig.previous_label),
        (fig.current, RED, "", "s", fig.current_label),
    )
    for values_of, colour, dash, symbol, _label in series:
        _series(canvas, values_of, colour, dash, symbol)
    y = x_axis(canvas, FY_MONTHS, fig.x_title)
    items = [(label, colour, dash, symbol) for _v, colour, dash, symbol, label in series]
    y = legend(canvas, items, y)
    return finish(canvas, fig.title, alt, y + 6)


def _series(
    canvas: Canvas, values: Sequence[float | None], colour: str, dash: str, symbol: str
) -> None:
    run: list[tuple[float, float]] = []
    dashes = {"stroke_dasharray": dash} if dash else {}
    for i, v in enumerate([*values, None]):
        if v is not None and finite(v):
            run.append((canvas.x(i), canvas.y(v)))
            continue
        canvas.polyline(run, colour, stroke_width="1.8" if not dash else "1.4", **dashes)
        run = []
    for i, v in enumerate(values):
        if v is not None and finite(v):
            canvas.add(_marker(symbol, canvas.x(i), canvas.y(v), 3.2, colour, colour, "point"))


# -- the XmR chart --------------------------------------------------------------------------

LIMIT_STYLES = (
    ("mean", "#333333", "", "1.3"),
    ("upl", "#555555", "6 3", "1.1"),
    ("lpl", "#555555", "6 3", "1.1"),
    ("upper_band", "#8c8c8c", "1.5 2.5", "1"),
    ("lower_band", "#8c8c8c", "1.5 2.5", "1"),
)


def draw_spc(fig: SpcFigure, alt: str, prefix: str) -> str:
    canvas = Canvas(prefix, slots=max(1, len(fig.names)))
    start(canvas, fig.title, bool(fig.markers))
    _spc_scale(canvas, fig)
    _gaps(canvas, fig.gaps)
    y_axis(canvas, nice_ticks(canvas.lo, canvas.hi), fig.y_title, fig.unit)
    _limits(canvas, fig)
    for run in fig.value_runs:
        points = [(canvas.x(i), canvas.y(v)) for i in run if (v := fig.values[i]) is not None]
        canvas.polyline(points, "#7f7f7f", stroke_width="1", class_="values")
    _spc_points(canvas, fig)
    markers(canvas, fig.markers)
    y = x_axis(canvas, fig.names, fig.x_title)
    y = legend(canvas, _spc_legend(fig), y)
    y = note(canvas, fig.note, y) if fig.note else y
    return finish(canvas, fig.title, alt, y + 6)


def _spc_scale(canvas: Canvas, fig: SpcFigure) -> None:
    seen = [v for v in fig.values if v is not None and finite(v)]
    for column in ("lpl", "upl"):
        seen += [v for v in fig.limits[column] if v is not None and finite(v)]
    if fig.target is not None:
        seen.append(fig.target)
    lo, hi = (min(seen), max(seen)) if seen else (0.0, 1.0)
    margin = (hi - lo) * 0.06 or 1.0
    ticks = nice_ticks(lo - margin, hi + margin)
    canvas.lo, canvas.hi = ticks[0], ticks[-1]


def _gaps(canvas: Canvas, gaps: Sequence[int]) -> None:
    if not gaps:
        return
    p = escape(canvas.prefix)
    canvas.add(
        f'<defs><pattern id="{p}-nodata" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f0f0f0"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#bbbbbb" stroke-width="1.5"/></pattern></defs>'
    )
    half = (canvas.x(1) - canvas.x(0)) / 2
    for i in gaps:
        canvas.add(
            f'<rect x="{canvas.x(i) - half:.1f}" y="{canvas.top:.1f}" width="{2 * half:.1f}" '
            f'height="{canvas.height:.1f}" fill="url(#{p}-nodata)"/>'
        )


def _limits(canvas: Canvas, fig: SpcFigure) -> None:
    """Mean, process limits and near-limit bands, one line per segment (a rebase, a restart
    at a known event or a gap starts a new one)."""
    for column, colour, dash, width in LIMIT_STYLES:
        ys = fig.limits[column]
        for a, b in fig.segments:
            pts = [(canvas.x(i), canvas.y(v)) for i in range(a, b) if (v := ys[i]) is not None]
            if len(pts) == 1:  # a one-point segment still shows its limit as a short step
                pts = [(pts[0][0] - 4, pts[0][1]), (pts[0][0] + 4, pts[0][1])]
            dashes = {"stroke_dasharray": dash} if dash else {}
            canvas.polyline(pts, colour, stroke_width=width, class_=f"limit {column}", **dashes)
    if fig.target is not None:
        ty = canvas.y(fig.target)
        canvas.polyline(
            [(LEFT, ty), (VIEW_WIDTH - RIGHT, ty)],
            TARGET_COLOUR,
            stroke_width="1.1",
            stroke_dasharray="8 3 2 3",
            class_="target",
        )
        canvas.text(VIEW_WIDTH - RIGHT - 2, ty - 3, "target", fill=TARGET_COLOUR, text_anchor="end")


def _spc_points(canvas: Canvas, fig: SpcFigure) -> None:
    """Each point's marker: shape and colour by Making Data Count type, and a letter beside
    a special-cause point (I improvement, C concern, H/L neutral) so it reads in greyscale."""
    for i, kind in enumerate(fig.types):
        value = fig.values[i]
        if not fig.shown(i) or value is None:
            continue
        cx, cy = canvas.x(i), canvas.y(value)
        special = kind != "common_cause"
        fill = MDC_COLOURS.get(kind, "#a6a6a6")
        canvas.add(
            _marker(
                kind,
                cx,
                cy,
                4.2 if special else 3.0,
                fill,
                "#000000" if special else fill,
                f"point {kind}",
            )
        )
        letter = MDC_LETTERS.get(kind)
        if letter:
            below = kind in ("special_cause_neutral_low",) or MDC_MARKERS[kind] == "v"
            ty = cy + SMALL + 4 if below else cy - 6
            if ty > canvas.bottom - 2 or ty - SMALL < canvas.top:  # keep it inside the plot
                ty = cy - 6 if below else cy + SMALL + 4
            canvas.text(
                cx, ty, letter, text_anchor="middle", font_weight="bold", class_="point-letter"
            )


def _spc_legend(fig: SpcFigure) -> list[LegendItem]:
    items: list[LegendItem] = [
        (fig.legend("mean"), "#333333", "", ""),
        (fig.legend("process limits"), "#555555", "6 3", ""),
        (fig.legend("near-limit bands"), "#8c8c8c", "1.5 2.5", ""),
    ]
    present = {t for i, t in enumerate(fig.types) if fig.shown(i)}
    for kind, label in MDC_LABELS.items():
        if kind in present:
            letter = MDC_LETTERS.get(kind)
            words = fig.legend(label)
            items.append((f"{words} ({letter})" if letter else words, "#000000", "none", kind))
    if fig.gaps:
        items.append((fig.legend("no data (hatched)"), "#bbbbbb", "none", ""))
    if fig.target is not None:
        items.append((fig.legend("target"), TARGET_COLOUR, "8 3 2 3", ""))
    return items
