"""Alt text: what a chart shows, in words, for a reader who cannot see it (a screen reader,
a text-only copy of the paper). It states the trend, the latest value and the limits."""

from __future__ import annotations

from collections.abc import Sequence

from pcp_cli.charts.base import MDC_LABELS, num
from pcp_cli.charts.figures import Marker, SpcFigure, TrendFigure


def chart_alt_text(figure: TrendFigure | SpcFigure) -> str:
    """The alt text of a prepared chart: its subject, the latest value, the trend, the
    limits (XmR charts), special-cause points and marked events, in plain sentences."""
    if isinstance(figure, TrendFigure):
        return _trend_alt(figure)
    return _spc_alt(figure)


def _value(value: float, unit: str) -> str:
    if unit == "%":
        return f"{num(value)}%"
    return f"{num(value)} {unit}" if unit else num(value)


def _change(now: float, before: float) -> str:
    if before == 0:
        return ""
    change = (now - before) / abs(before) * 100
    word = "up" if change > 0.05 else "down" if change < -0.05 else "level"
    return f" ({word} {abs(change):.1f}%)" if word != "level" else " (level)"


def _trend_alt(fig: TrendFigure) -> str:
    from pcp_cli.charts.base import FY_MONTHS

    parts = [
        f"Line chart. {fig.title}. Months April to March on the horizontal axis, "
        f"{fig.y_title} on the vertical axis; {fig.previous_label} dashed with circles, "
        f"{fig.current_label} solid with squares."
    ]
    have = [i for i, v in enumerate(fig.current) if v is not None]
    if have:
        last = have[-1]
        now, before = fig.current[last], fig.previous[last] if last < len(fig.previous) else None
        assert now is not None
        text = f"Latest month, {FY_MONTHS[last]} {fig.current_label}: {_value(now, fig.unit)}"
        if before is not None:
            text += f" against {num(before)} in {fig.previous_label}" + _change(now, before)
        parts.append(text + ".")
        both = [i for i in have if i < len(fig.previous) and fig.previous[i] is not None]
        if len(both) > 1 and fig.unit != "%":
            cur = sum(fig.current[i] or 0.0 for i in both)
            prev = sum(fig.previous[i] or 0.0 for i in both)
            parts.append(
                f"The {len(both)} months of {fig.current_label} with data so far total "
                f"{num(cur)} against {num(prev)} in the same months of {fig.previous_label}"
                + _change(cur, prev)
                + "."
            )
    else:
        parts.append(f"No data yet for {fig.current_label}.")
    parts += _markers_alt(fig.markers, FY_MONTHS)
    return " ".join(parts)


def _spc_alt(fig: SpcFigure) -> str:
    shown = [i for i in range(len(fig.names)) if fig.shown(i)]
    parts = [
        f"Control chart (XmR). {fig.title}. {len(shown)} points from {fig.names[0]} to "
        f"{fig.names[-1]}, {fig.y_title}."
    ]
    if not shown:
        return " ".join([*parts, "No point has data."])
    last = shown[-1]
    latest = fig.values[last]
    assert latest is not None
    parts.append(f"Latest value, {fig.names[last]}: {_value(latest, fig.unit)}.")
    parts += _limits_alt(fig, last)
    parts.append(_direction(fig, shown))
    parts.append(_special_alt(fig, shown))
    if fig.gaps:
        parts.append(f"No data for {len(fig.gaps)} point(s), shown hatched.")
    if fig.target is not None:
        parts.append(f"Target: {_value(fig.target, fig.unit)}.")
    parts += _markers_alt(fig.markers, fig.names)
    return " ".join(p for p in parts if p)


def _limits_alt(fig: SpcFigure, last: int) -> list[str]:
    mean, lpl, upl = (fig.limits[c][last] for c in ("mean", "lpl", "upl"))
    if mean is None or lpl is None or upl is None:
        return []
    text = f"Mean {num(mean)}, process limits {num(lpl)} to {num(upl)}"
    current = next((s for s in fig.segments if s[0] <= last < s[1]), None)
    if len(fig.segments) > 1 and current is not None:
        text += f" (worked out from {fig.names[current[0]]}; {len(fig.segments)} sets of limits)"
    return [text + "."]


def _direction(fig: SpcFigure, shown: Sequence[int]) -> str:
    """The trend in words: the first six points against the last six (or thirds when fewer)."""
    k = max(1, min(6, len(shown) // 3))
    first = [fig.values[i] or 0.0 for i in shown[:k]]
    last = [fig.values[i] or 0.0 for i in shown[-k:]]
    a, b = sum(first) / k, sum(last) / k
    if len(shown) < 4:
        return ""
    word = "rose" if b > a * 1.05 else "fell" if b < a * 0.95 else "stayed about level"
    return (
        f"Over the chart the values {word}: the first {k} average {num(round(a, 1))}, "
        f"the last {k} {num(round(b, 1))}."
    )


def _special_alt(fig: SpcFigure, shown: Sequence[int]) -> str:
    by_kind: dict[str, list[str]] = {}
    for i in shown:
        if fig.types[i] in MDC_LABELS and fig.types[i] != "common_cause":
            by_kind.setdefault(fig.types[i], []).append(fig.names[i])
    if not by_kind:
        return "Every point is common-cause variation (no special cause)."
    said = []
    for kind, names in by_kind.items():
        listed = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        said.append(f"{MDC_LABELS[kind].removeprefix('special cause: ')} at {listed}")
    return "Special-cause points: " + "; ".join(said) + "."


def _markers_alt(marks: Sequence[Marker], names: Sequence[str]) -> list[str]:
    if not marks:
        return []
    said = []
    for mark in marks:
        at = names[min(len(names) - 1, max(0, round(mark.position + 0.49)))]
        what = {"rebase": "limits rebased", "restart": "limits restart"}.get(mark.kind)
        said.append(f"{mark.label} ({at}{', ' + what if what and mark.label != 'rebase' else ''})")
    return ["Marked: " + "; ".join(said) + "."]
