"""The prepared figures of the report's simple charts: everything a drawer needs, worked out
once, so the SVG drawer (:mod:`.svg`) and the matplotlib drawer (:mod:`.mpl`) show the same."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Marker:
    """A vertical line at ``position`` (an x slot; rebases and restarts sit between two
    slots, at ``i - 0.5``) with a short label; ``kind`` is "event", "rebase" or "restart"."""

    position: float
    label: str
    kind: str = "event"


@dataclass(frozen=True)
class TrendFigure:
    """One financial year's months against the previous year's (Apr..Mar)."""

    title: str
    y_title: str
    unit: str
    previous_label: str
    previous: list[float | None]
    current_label: str
    current: list[float | None]
    markers: list[Marker] = field(default_factory=list)
    x_title: str = "month of the financial year (April to March)"


@dataclass(frozen=True)
class SpcFigure:
    """An XmR chart, point by point; ``limits`` maps mean/upl/lpl/upper_band/lower_band to
    their values; ``segments`` are the (start, stop) runs drawn with one set of limits;
    ``value_runs`` the points joined by one line (never across a gap or a jump in time)."""

    title: str
    y_title: str
    x_title: str
    unit: str
    names: list[str]
    values: list[float | None]
    status: list[str]
    types: list[str]
    limits: dict[str, list[float | None]]
    segments: list[tuple[int, int]]
    value_runs: list[list[int]]
    gaps: list[int]
    markers: list[Marker] = field(default_factory=list)
    target: float | None = None
    note: str = ""
    legend_label: Callable[[str], str] | None = None

    def legend(self, label: str) -> str:
        """A legend entry in the caller's words (the report's plain words), else as is."""
        return self.legend_label(label) if self.legend_label is not None else label

    def shown(self, i: int) -> bool:
        return self.status[i] == "ok" and self.values[i] is not None
