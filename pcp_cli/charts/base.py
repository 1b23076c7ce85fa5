"""What every chart shares: the :class:`Chart` object, styles, known events and number labels.

A chart is drawn twice over, lazily: as SVG straight from Python (:mod:`.svg`, fast, used by
the HTML report and ``pcp chart … -o F.svg``) and with matplotlib's Agg backend (:mod:`.mpl`,
for PNG). Both drawers read the same prepared figures, so they show the same information.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import polars as pl

from pcp_cli.periods import Month, month_index

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ChartFormat = Literal["png", "svg"]

BLUE = "#1f4e9c"
RED = "#c8102e"
MDC_COLOURS = {
    "common_cause": "#a6a6a6",
    "special_cause_improvement": "#00b0f0",
    "special_cause_concern": "#e46c0a",
    "special_cause_neutral_high": "#490092",
    "special_cause_neutral_low": "#490092",
}
MDC_MARKERS = {
    "common_cause": "o",
    "special_cause_improvement": "^",
    "special_cause_concern": "v",
    "special_cause_neutral_high": "s",
    "special_cause_neutral_low": "D",
}
MDC_LABELS = {
    "common_cause": "common cause",
    "special_cause_improvement": "special cause: improvement",
    "special_cause_concern": "special cause: concern",
    "special_cause_neutral_high": "special cause: neutral (high)",
    "special_cause_neutral_low": "special cause: neutral (low)",
}
# A letter beside each special-cause point, so the kind reads without colour or legend.
MDC_LETTERS = {
    "special_cause_improvement": "I",
    "special_cause_concern": "C",
    "special_cause_neutral_high": "H",
    "special_cause_neutral_low": "L",
}
TARGET_COLOUR = "#de1b1b"
EVENT_COLOUR = "#5a3e00"

FY_MONTHS = ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]

# The report prints a chart 165 mm wide on A4 (pcp_cli/report/html.py: max-width 165mm inside
# 11 mm margins); matplotlib figures are drawn at that width too, so a font size is its size
# on paper.
PRINT_WIDTH_MM = 165.0
MIN_PRINT_PT = 8.0


class ChartError(ValueError):
    """The data cannot be drawn as asked (e.g. a funnel plot of counts); a usage problem."""


@dataclass(frozen=True)
class ChartEvent:
    """A known event marked on a chart: a lockdown, a change of recording practice.

    ``restarts_limits`` says the SPC limits were worked out afresh from this month; the
    chart then draws the limits before and after it as separate segments.
    """

    month: Month
    label: str
    restarts_limits: bool = False


EventLike = ChartEvent | tuple[Month, str]


def as_events(events: Sequence[EventLike] | None) -> list[ChartEvent]:
    """Events given as :class:`ChartEvent` or plain ``(month, label)`` pairs, in month order."""
    out = [e if isinstance(e, ChartEvent) else ChartEvent(e[0], e[1]) for e in events or ()]
    return sorted(out, key=lambda e: e.month)


@dataclass
class Chart:
    """A drawn chart: the data it plots (to check numbers, not pixels), its title, its alt
    text, and its drawers. The matplotlib figure is made only when asked for (PNG)."""

    data: pl.DataFrame
    title: str
    alt: str
    draw_figure: Callable[[], Figure]
    draw_svg: Callable[[str, str], str] | None = None
    _figure: Figure | None = field(default=None, repr=False)

    @property
    def figure(self) -> Figure:
        if self._figure is None:
            self._figure = self.draw_figure()
        return self._figure

    def svg(self, prefix: str = "chart") -> str:
        """The chart as an ``<svg>`` element for an HTML page (ids start ``prefix-``), with
        :attr:`alt` (which a caller may replace) as its description."""
        if self.draw_svg is None:
            raise ValueError("this chart has no direct SVG drawing")
        return self.draw_svg(prefix, self.alt)

    def render(self, fmt: ChartFormat) -> bytes:
        if fmt == "svg" and self.draw_svg is not None:
            element = self.svg("chart").replace(
                "<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1
            )
            return ('<?xml version="1.0" encoding="utf-8"?>\n' + element + "\n").encode()
        buf = io.BytesIO()
        self.figure.savefig(
            buf,
            format=fmt,
            dpi=150 if fmt == "png" else None,
            bbox_inches="tight",
            metadata=_metadata(fmt),
        )
        return buf.getvalue()

    def close(self) -> None:
        if self._figure is not None:
            import matplotlib.pyplot as plt

            plt.close(self._figure)
            self._figure = None


def _metadata(fmt: ChartFormat) -> dict[str, str | None]:
    # No creation dates in the files: the same data gives the same bytes.
    if fmt == "svg":
        return {"Date": None, "Creator": "pcp"}
    return {"Software": "pcp"}


def fy_start(label: str) -> Month | None:
    """April of a financial year label such as ``2018/19`` (None for other labels)."""
    m = re.fullmatch(r"\s*(\d{4})/\d{2}\s*", label)
    return month_index(int(m.group(1)), 4) if m else None


def per(unit: str, per_what: str) -> str:
    """The y-axis title: "%" for percentages, else "crimes per month" (or per quarter)."""
    return "%" if unit == "%" else f"{unit or 'count'} per {per_what}"


def num(value: float) -> str:
    """A number for a chart label: thousands separated, at most two decimals."""
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def pad12(values: Sequence[float | None]) -> list[float | None]:
    padded: list[float | None] = [None if v is None else float(v) for v in values]
    return (padded + [None] * 12)[:12]


def runs(keys: Sequence[object | None]) -> list[tuple[int, int]]:
    """(start, stop) of each run of equal keys, skipping None: one limit line per run."""
    found: list[tuple[int, int]] = []
    start: int | None = None
    for i in range(len(keys) + 1):
        key = keys[i] if i < len(keys) else None
        if start is not None and (key is None or key != keys[start]):
            found.append((start, i))
            start = None
        if start is None and key is not None:
            start = i
    return found
