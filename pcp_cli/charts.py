"""Charts for panel papers, drawn with matplotlib's non-interactive Agg backend.

Every chart returns the figure together with the data it plots (a polars DataFrame), so
tests and the report can check the numbers rather than the pixels. Colours follow the
seed papers (previous year blue, current red) and NHS Making Data Count for SPC; line
styles and marker shapes differ too, so the charts still read when printed in greyscale.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import polars as pl

from pcp_cli.periods import Month, month_name

if TYPE_CHECKING:
    from matplotlib.axes import Axes
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
    "special_cause_neutral_low": "s",
}
_FY_MONTHS = ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]


@dataclass
class Chart:
    figure: Figure
    data: pl.DataFrame
    title: str

    def render(self, fmt: ChartFormat) -> bytes:
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
        import matplotlib.pyplot as plt

        plt.close(self.figure)


def _metadata(fmt: ChartFormat) -> dict[str, str | None]:
    # No creation dates in the files: the same data gives the same bytes.
    if fmt == "svg":
        return {"Date": None, "Creator": "pcp"}
    return {"Software": "pcp"}


def _figure(width: float = 8.0, height: float = 4.0) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=True)
    matplotlib.rcParams["svg.hashsalt"] = "pcp"
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def trend_chart(
    *,
    kpi_label: str,
    unit: str,
    force_name: str,
    current_label: str,
    current: Sequence[float | None],
    previous_label: str,
    previous: Sequence[float | None],
) -> Chart:
    """Monthly values of one financial year against the previous one (Apr..Mar on the x axis).

    ``current`` may be shorter than 12 months (a year in progress).
    """
    fig = _figure()
    ax = fig.add_subplot()
    x_prev = list(range(len(previous)))
    x_cur = list(range(len(current)))
    ax.plot(
        x_prev,
        _nan(previous),
        color=BLUE,
        linestyle="--",
        marker="o",
        markersize=4,
        label=previous_label,
    )
    ax.plot(
        x_cur,
        _nan(current),
        color=RED,
        linestyle="-",
        marker="s",
        markersize=4,
        linewidth=2,
        label=current_label,
    )
    ax.set_xticks(range(12), _FY_MONTHS)
    ax.set_xlim(-0.5, 11.5)
    title = f"{kpi_label}: {current_label} against {previous_label}, {force_name}"
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_ylabel(_per_month(unit))
    _thousands(ax)
    ax.grid(axis="y", color="#dddddd")
    ax.legend(frameon=False)
    ax.set_ylim(bottom=0)
    data = pl.DataFrame(
        {
            "month_of_year": _FY_MONTHS,
            "previous": _pad(previous),
            "current": _pad(current),
        },
        schema={"month_of_year": pl.String, "previous": pl.Float64, "current": pl.Float64},
    )
    return Chart(fig, data, title)


def spc_chart(
    *,
    kpi_label: str,
    unit: str,
    force_name: str,
    months: Sequence[Month],
    points: pl.DataFrame,
    rebase_months: Sequence[Month] = (),
    method_note: str = "",
) -> Chart:
    """An XmR chart from ``stats.spc.xmr_chart`` points: mean, limits, near-limit bands,
    special-cause points coloured by type, and any rebases marked."""
    fig = _figure(9.0, 4.2)
    ax = fig.add_subplot()
    x = list(range(points.height))
    for column, style, colour in (
        ("mean", "-", "#333333"),
        ("upl", "--", "#666666"),
        ("lpl", "--", "#666666"),
        ("upper_band", ":", "#999999"),
        ("lower_band", ":", "#999999"),
    ):
        _stepped(ax, x, points[column].to_list(), points["group"].to_list(), style, colour)
    ax.plot(x, points["value"].to_list(), color="#7f7f7f", linewidth=1, zorder=1)
    for kind, colour in MDC_COLOURS.items():
        chosen = [i for i, t in enumerate(points["point_type"].to_list()) if t == kind]
        if chosen:
            ax.scatter(
                chosen,
                [points["value"][i] for i in chosen],
                color=colour,
                marker=MDC_MARKERS[kind],
                s=28,
                zorder=3,
                label=kind.replace("_", " ").replace("special cause ", ""),
            )
    for m in rebase_months:
        if m in months:
            ax.axvline(list(months).index(m) - 0.5, color="#000000", linewidth=0.8)
    step = max(1, len(months) // 12)
    ax.set_xticks(
        x[::step],
        [month_name(m) for m in list(months)[::step]],
        rotation=45,
        ha="right",
        fontsize=8,
    )
    first, last = month_name(months[0]), month_name(months[-1])
    title = f"{kpi_label}, {force_name}: XmR chart {first} to {last}"
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_ylabel(_per_month(unit))
    _thousands(ax)
    if method_note:
        ax.annotate(method_note, (0, -0.32), xycoords="axes fraction", fontsize=7, color="#555555")
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    data = points.select(
        "value", "mean", "lpl", "upl", "lower_band", "upper_band", "point_type"
    ).with_columns(pl.Series("month", [month_name(m) for m in months], dtype=pl.String))
    return Chart(fig, data, title)


def rank_bar_chart(
    *,
    kpi_label: str,
    period_label: str,
    forces: Sequence[str],
    rates: Sequence[float],
    home: str,
    mean: float | None,
    lower: float | None,
    upper: float | None,
    rate_unit: str = "per 1,000 population",
) -> Chart:
    """Rates of a comparator group as bars, with the group mean and control lines."""
    fig = _figure(8.0, 0.45 * len(forces) + 1.6)
    ax = fig.add_subplot()
    order = sorted(range(len(forces)), key=lambda i: rates[i])
    names = [forces[i] for i in order]
    values = [rates[i] for i in order]
    colours = [RED if n == home else "#8c8c8c" for n in names]
    hatches = ["//" if n == home else "" for n in names]
    bars = ax.barh(names, values, color=colours)
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
    for value, style, label in (
        (mean, "-", "group mean"),
        (lower, "--", "mean − 1.96 SD"),
        (upper, "--", "mean + 1.96 SD"),
    ):
        if value is not None:
            ax.axvline(value, color="#000000", linestyle=style, linewidth=1, label=label)
    title = f"{kpi_label}, {period_label}: rate {rate_unit}"
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel(rate_unit)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    data = pl.DataFrame(
        {"force": names, "rate": values}, schema={"force": pl.String, "rate": pl.Float64}
    )
    return Chart(fig, data, title)


def funnel_chart(
    *,
    kpi_label: str,
    period_label: str,
    forces: Sequence[str],
    counts: Sequence[float],
    populations: Sequence[float],
    home: str,
    multiplier: float = 1000.0,
) -> Chart:
    """Rate against population with exact Poisson 95% and 99.8% limits around the group rate."""
    from pcp_cli.stats.funnel import rate_funnel_limits

    group_rate = sum(counts) / sum(populations) * multiplier
    rates = [c / p * multiplier for c, p in zip(counts, populations, strict=True)]
    lo_pop, hi_pop = min(populations) * 0.8, max(populations) * 1.2
    grid = [lo_pop + (hi_pop - lo_pop) * i / 80 for i in range(81)]
    limits = [rate_funnel_limits(p, group_rate, multiplier) for p in grid]
    fig = _figure(8.0, 4.5)
    ax = fig.add_subplot()
    ax.axhline(group_rate, color="#000000", linewidth=1, label="group rate")
    ax.plot(grid, [lim.upper_95 for lim in limits], "--", color="#555555", label="95% limits")
    ax.plot(grid, [lim.lower_95 for lim in limits], "--", color="#555555")
    ax.plot(grid, [lim.upper_998 for lim in limits], ":", color="#555555", label="99.8% limits")
    ax.plot(grid, [lim.lower_998 for lim in limits], ":", color="#555555")
    for name, pop, rate in zip(forces, populations, rates, strict=True):
        is_home = name == home
        ax.scatter(
            [pop],
            [rate],
            color=RED if is_home else "#8c8c8c",
            marker="D" if is_home else "o",
            s=50 if is_home else 25,
            zorder=3,
        )
        ax.annotate(name, (pop, rate), fontsize=7, xytext=(4, 3), textcoords="offset points")
    title = f"{kpi_label}, {period_label}: funnel plot against the group rate"
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel("population")
    ax.set_ylabel(f"rate per {multiplier:,.0f}")
    ax.legend(frameon=False, fontsize=8)
    data = pl.DataFrame(
        {
            "force": list(forces),
            "population": [float(p) for p in populations],
            "rate": rates,
            "group_rate": [group_rate] * len(forces),
        },
    )
    return Chart(fig, data, title)


def _per_month(unit: str) -> str:
    return "%" if unit == "%" else f"{unit or 'count'} per month"


def _thousands(ax: Axes) -> None:
    from matplotlib.ticker import StrMethodFormatter

    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _nan(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def _pad(values: Sequence[float | None]) -> list[float | None]:
    padded: list[float | None] = [None if v is None else float(v) for v in values]
    return (padded + [None] * 12)[:12]


def _stepped(
    ax: Axes, x: list[int], ys: list[float], groups: list[int], style: str, colour: str
) -> None:
    """Draw a limit line per rebase group, broken between groups."""
    start = 0
    for i in range(1, len(x) + 1):
        if i == len(x) or groups[i] != groups[start]:
            ax.plot(x[start:i], ys[start:i], linestyle=style, color=colour, linewidth=1)
            start = i
