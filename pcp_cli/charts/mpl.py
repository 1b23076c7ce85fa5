"""matplotlib drawers (Agg backend) for PNG output: the same prepared figures as :mod:`.svg`.

Figures are :data:`~.base.PRINT_WIDTH_MM` mm wide, the width the report prints a chart at,
so the font sizes below are sizes on paper; none is under 8 pt. Legends sit below the plot
so ``bbox_inches="tight"`` does not widen (and so shrink) the figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pcp_cli.charts import base
from pcp_cli.charts.figures import Marker, SpcFigure, TrendFigure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN = base.PRINT_WIDTH_MM / 25.4
TEXT_PT = 8.0
TITLE_PT = 10.0


def nan(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def new_figure(width: float = WIDTH_IN, height: float = 3.6) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=True)
    matplotlib.rcParams["svg.hashsalt"] = "pcp"
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def thousands(ax: Axes, unit: str = "") -> None:
    from matplotlib.ticker import FuncFormatter

    suffix = "%" if unit == "%" else ""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: base.num(v) + suffix))


def legend_below(ax: Axes, columns: int = 2) -> None:
    ax.legend(
        frameon=False,
        fontsize=TEXT_PT,
        loc="upper left",
        bbox_to_anchor=(0.0, -0.22),
        ncol=columns,
    )


def draw_markers(ax: Axes, marks: Sequence[Marker]) -> None:
    """Known events (dash-dot, brown), rebases (solid) and restarts (dotted), labelled."""
    for mark in marks:
        style = {"event": "-.", "rebase": "-", "restart": ":"}.get(mark.kind, "-")
        colour = base.EVENT_COLOUR if mark.kind == "event" else "#000000"
        ax.axvline(mark.position, color=colour, linestyle=style, linewidth=1.0, zorder=2)
        ax.annotate(
            mark.label,
            (mark.position, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, 2),
            textcoords="offset points",
            fontsize=TEXT_PT,
            color=colour,
        )


def _pad(marks: Sequence[Marker]) -> float:
    """Room between the title and the plot for the labels of marked events."""
    return 16.0 if marks else 6.0


def draw_trend(fig_data: TrendFigure) -> Figure:
    fig = new_figure()
    ax = fig.add_subplot()
    for values, colour, style, marker, label, width in (
        (fig_data.previous, base.BLUE, "--", "o", fig_data.previous_label, 1.4),
        (fig_data.current, base.RED, "-", "s", fig_data.current_label, 2.0),
    ):
        ys = nan(values)
        ax.plot(
            list(range(len(ys))),
            ys,
            color=colour,
            linestyle=style,
            marker=marker,
            markersize=4,
            linewidth=width,
            label=label,
        )
    draw_markers(ax, fig_data.markers)
    ax.set_xticks(range(12), base.FY_MONTHS, fontsize=TEXT_PT)
    ax.tick_params(axis="y", labelsize=TEXT_PT)
    ax.set_xlim(-0.5, 11.5)
    ax.set_title(
        fig_data.title, fontsize=TITLE_PT, loc="left", wrap=True, pad=_pad(fig_data.markers)
    )
    ax.set_ylabel(fig_data.y_title, fontsize=TEXT_PT + 1)
    ax.set_xlabel(fig_data.x_title, fontsize=TEXT_PT + 1)
    thousands(ax, fig_data.unit)
    ax.grid(axis="y", color="#dddddd")
    ax.set_ylim(bottom=0)
    legend_below(ax)
    return fig


def draw_spc(data: SpcFigure) -> Figure:
    fig = new_figure(height=4.2)
    ax = fig.add_subplot()
    _limit_lines(ax, data)
    for run in data.value_runs:
        ax.plot(run, nan([data.values[j] for j in run]), color="#7f7f7f", linewidth=1, zorder=1)
    _points(ax, data)
    _gap_shading(ax, data.gaps)
    draw_markers(ax, data.markers)
    if data.target is not None:
        ax.axhline(
            data.target, color=base.TARGET_COLOUR, linestyle="-.", linewidth=1, label="target"
        )
    n = len(data.names)
    step = max(1, -(-n // 18))
    ax.set_xticks(range(n)[::step], data.names[::step], rotation=45, ha="right", fontsize=TEXT_PT)
    ax.tick_params(axis="y", labelsize=TEXT_PT)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_title(data.title, fontsize=TITLE_PT, loc="left", wrap=True, pad=_pad(data.markers))
    ax.set_ylabel(data.y_title, fontsize=TEXT_PT + 1)
    ax.set_xlabel(data.x_title, fontsize=TEXT_PT + 1)
    thousands(ax, data.unit)
    ax.grid(axis="y", color="#eeeeee")
    legend_below(ax)
    if data.note:
        fig.text(0.0, -0.02, data.note, fontsize=TEXT_PT, color="#444444", va="top", wrap=True)
    return fig


def _limit_lines(ax: Axes, data: SpcFigure) -> None:
    for column, style, colour, label in (
        ("mean", "-", "#333333", "mean"),
        ("upl", "--", "#555555", "process limits (mean ± 2.66 × mean moving range)"),
        ("lpl", "--", "#555555", None),
        ("upper_band", ":", "#8c8c8c", "near-limit bands"),
        ("lower_band", ":", "#8c8c8c", None),
    ):
        ys = data.limits[column]
        for k, (a, b) in enumerate(data.segments):
            xs: list[float] = [float(i) for i in range(a, b)]
            ys_run = nan(ys[a:b])
            if b - a == 1:  # a one-point segment still shows its limit as a short step
                xs, ys_run = [a - 0.3, a + 0.3], ys_run * 2
            ax.plot(
                xs,
                ys_run,
                linestyle=style,
                color=colour,
                linewidth=1.2 if column == "mean" else 1,
                label=label if k == 0 else None,
                zorder=2,
            )


def _points(ax: Axes, data: SpcFigure) -> None:
    for kind, colour in base.MDC_COLOURS.items():
        chosen = [i for i, t in enumerate(data.types) if t == kind and data.shown(i)]
        if not chosen:
            continue
        ys = nan([data.values[i] for i in chosen])
        ax.scatter(
            chosen,
            ys,
            color=colour,
            edgecolors="#000000" if kind != "common_cause" else "none",
            linewidths=0.6,
            marker=base.MDC_MARKERS[kind],
            s=36 if kind != "common_cause" else 22,
            zorder=3,
            label=base.MDC_LABELS[kind]
            + (f" ({base.MDC_LETTERS[kind]})" if kind in base.MDC_LETTERS else ""),
        )
        letter = base.MDC_LETTERS.get(kind)
        for x, y in zip(chosen, ys, strict=True):
            if letter:
                below = base.MDC_MARKERS[kind] in ("v", "D")
                ax.annotate(
                    letter,
                    (x, y),
                    xytext=(0, -11 if below else 5),
                    textcoords="offset points",
                    ha="center",
                    fontsize=TEXT_PT,
                    fontweight="bold",
                )


def _gap_shading(ax: Axes, gaps: Sequence[int]) -> None:
    for k, i in enumerate(gaps):
        ax.axvspan(
            i - 0.5,
            i + 0.5,
            facecolor="#f0f0f0",
            edgecolor="#bbbbbb",
            hatch="///",
            linewidth=0,
            zorder=0,
            label="no data" if k == 0 else None,
        )
