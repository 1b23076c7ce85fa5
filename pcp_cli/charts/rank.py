"""Comparison charts of a group of forces (matplotlib): the MSG bar chart and the funnel plot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import polars as pl

from pcp_cli.charts.base import RED, Chart, num
from pcp_cli.charts.mpl import TEXT_PT, TITLE_PT, WIDTH_IN, legend_below, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from pcp_cli.stats.funnel import FunnelLimits


@dataclass(frozen=True)
class BarFigure:
    """Forces in rate order (lowest first), with optional CIs and ranks."""

    title: str
    forces: list[str]
    values: list[float]
    home: str
    lows: list[float | None]
    highs: list[float | None]
    ranks: list[int | None]
    lines: tuple[tuple[float | None, str, str | None], ...]
    upper: float | None
    rate_unit: str
    footnote: str


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
    ci_lower: Sequence[float | None] | None = None,
    ci_upper: Sequence[float | None] | None = None,
    ranks: Sequence[int | None] | None = None,
    group_label: str = "group",
    title: str | None = None,
    footnote: str = "",
) -> Chart:
    """Rates of a comparator group as bars (lowest at the bottom), with the group mean and
    the control lines (mean ± 1.96 SD); the home force is red and hatched.

    Optional 95% confidence intervals are drawn as error bars and ``ranks`` (1 = best by
    the KPI's polarity) are printed beside each rate.
    """
    order = sorted(range(len(forces)), key=lambda i: rates[i])
    bar = BarFigure(
        title=title or f"{kpi_label}, {period_label}: rate {rate_unit}",
        forces=[forces[i] for i in order],
        values=[float(rates[i]) for i in order],
        home=home,
        lows=[ci_lower[i] if ci_lower is not None else None for i in order],
        highs=[ci_upper[i] if ci_upper is not None else None for i in order],
        ranks=[ranks[i] if ranks is not None else None for i in order],
        lines=(
            (mean, "-", f"{group_label} mean"),
            (lower, "--", "control lines (mean ± 1.96 SD)"),
            (upper, "--", None),
        ),
        upper=upper,
        rate_unit=rate_unit,
        footnote=footnote,
    )
    data = _bar_data(bar, with_ci=ci_lower is not None and ci_upper is not None, ranks=ranks)
    if ranks is not None or ci_lower is not None:
        data = data.with_columns(
            pl.Series("home", [n == home for n in bar.forces]),
            pl.lit(mean, pl.Float64).alias("mean"),
            pl.lit(lower, pl.Float64).alias("lower_line"),
            pl.lit(upper, pl.Float64).alias("upper_line"),
        )
    alt = _bar_alt(bar, mean, lower, upper)
    return Chart(data, bar.title, alt, draw_figure=lambda: _draw_bar(bar), draw_svg=_svg_of(bar))


def _bar_data(bar: BarFigure, *, with_ci: bool, ranks: object) -> pl.DataFrame:
    columns: dict[str, list[object]] = {"force": list(bar.forces), "rate": list(bar.values)}
    schema: dict[str, pl.DataType | type[pl.DataType]] = {"force": pl.String, "rate": pl.Float64}
    if with_ci:
        columns["ci_lower"] = list(bar.lows)
        columns["ci_upper"] = list(bar.highs)
        schema.update({"ci_lower": pl.Float64, "ci_upper": pl.Float64})
    if ranks is not None:
        columns["rank"] = list(bar.ranks)
        schema["rank"] = pl.Int32
    return pl.DataFrame(columns, schema=schema)


def _bar_alt(bar: BarFigure, mean: float | None, lower: float | None, upper: float | None) -> str:
    parts = [f"Bar chart. {bar.title}. {len(bar.forces)} forces, lowest rate at the bottom."]
    if bar.home in bar.forces:
        k = bar.forces.index(bar.home)
        rank = f", rank {bar.ranks[k]}" if bar.ranks[k] is not None else ""
        parts.append(f"{bar.home}: {num(bar.values[k])} {bar.rate_unit}{rank}.")
    if mean is not None:
        parts.append(f"Group mean {num(mean)}.")
    if lower is not None and upper is not None:
        parts.append(f"Control lines {num(lower)} to {num(upper)}.")
    return " ".join(parts)


def _draw_bar(bar: BarFigure) -> Figure:
    many = len(bar.forces) > 15
    fig = new_figure(WIDTH_IN, (0.22 if many else 0.4) * len(bar.forces) + 2.2)
    ax = fig.add_subplot()
    colours = [RED if n == bar.home else "#8c8c8c" for n in bar.forces]
    bars = ax.barh(bar.forces, bar.values, color=colours, edgecolor="#333333", linewidth=0.4)
    for drawn, name in zip(bars, bar.forces, strict=True):
        if name == bar.home:
            drawn.set_hatch("//")
    _error_bars(ax, bar)
    _bar_labels(ax, bar)
    for line_at, style, line_label in bar.lines:
        if line_at is not None:
            ax.axvline(line_at, color="#000000", linestyle=style, linewidth=1, label=line_label)
    ax.set_title(bar.title, fontsize=TITLE_PT, loc="left", wrap=True)
    ax.set_xlabel(bar.rate_unit, fontsize=TEXT_PT + 1)
    ax.set_ylabel("force", fontsize=TEXT_PT + 1)
    highs = [h for h in bar.highs if h is not None]
    ax.set_xlim(0, max([*bar.values, bar.upper or 0.0, *highs]) * 1.3)
    ax.grid(axis="x", color="#eeeeee", zorder=0)
    legend_below(ax)
    if bar.footnote:
        fig.text(0.0, -0.01, bar.footnote, fontsize=TEXT_PT, color="#444444", va="top", wrap=True)
    return fig


def _error_bars(ax: Axes, bar: BarFigure) -> None:
    with_ci = [
        k for k in range(len(bar.forces)) if bar.lows[k] is not None and bar.highs[k] is not None
    ]
    if not with_ci:
        return
    ax.errorbar(
        [bar.values[k] for k in with_ci],
        list(with_ci),
        xerr=[
            [bar.values[k] - float(bar.lows[k] or 0.0) for k in with_ci],
            [float(bar.highs[k] or 0.0) - bar.values[k] for k in with_ci],
        ],
        fmt="none",
        ecolor="#000000",
        elinewidth=0.8,
        capsize=2,
        zorder=3,
        label="95% confidence interval",
    )


def _bar_labels(ax: Axes, bar: BarFigure) -> None:
    """Each rate (and rank) beside its bar; the home force's name in bold."""
    for k, value in enumerate(bar.values):
        text = num(value)
        if bar.ranks[k] is not None:
            text += f"  (rank {bar.ranks[k]})"
        ax.annotate(
            text,
            (max(value, float(bar.highs[k] or 0.0)), k),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=TEXT_PT,
            zorder=4,
        )
    for tick in ax.get_yticklabels():
        if tick.get_text() == bar.home:
            tick.set_fontweight("bold")
    ax.tick_params(axis="both", labelsize=TEXT_PT)


@dataclass(frozen=True)
class FunnelFigure:
    title: str
    forces: list[str]
    populations: list[float]
    rates: list[float]
    group_rate: float
    grid: list[float]
    limits: list[FunnelLimits]
    at_force: list[FunnelLimits]
    home: str
    off: list[int]
    named: set[int]
    log_x: bool
    population_label: str
    y_title: str
    footnote: str


def funnel_chart(
    *,
    kpi_label: str,
    period_label: str,
    forces: Sequence[str],
    counts: Sequence[float],
    populations: Sequence[float],
    home: str,
    multiplier: float = 1000.0,
    measure: Literal["rate", "proportion"] = "rate",
    population_label: str = "population",
    title: str | None = None,
    footnote: str = "",
) -> Chart:
    """Rate against population with 95% and 99.8% limits around the group rate.

    ``measure="rate"``: counts per ``multiplier`` population, exact Poisson limits around
    Σcounts/Σpopulations. ``measure="proportion"``: ``counts`` out of ``populations``
    (positives out of respondents, outcomes out of crimes) × ``multiplier``, Wilson
    ("inverted Wilson", PHE) limits around Σx/Σn. The home force is a red diamond; with
    more than 12 forces only the home force and forces outside the 99.8% limits are named.
    """
    group_rate, limits_at = _funnel_limits(counts, populations, multiplier, measure)
    rates = [c / p * multiplier for c, p in zip(counts, populations, strict=True)]
    lo_pop, hi_pop = min(populations) * 0.8, max(populations) * 1.2
    log_x = hi_pop / lo_pop > 40
    if log_x:
        grid = [lo_pop * (hi_pop / lo_pop) ** (i / 160) for i in range(161)]
    else:
        grid = [lo_pop + (hi_pop - lo_pop) * i / 160 for i in range(161)]
    off, named = _funnel_named(list(forces), rates, home, group_rate)
    if off:
        footnote = (
            "Off the scale: "
            + ", ".join(f"{forces[i]} ({num(rates[i])})" for i in off)
            + ". "
            + footnote
        ).strip()
    unit = "%" if measure == "proportion" and multiplier == 100 else f"per {multiplier:,.0f}"
    funnel = FunnelFigure(
        title=title or f"{kpi_label}, {period_label}: funnel plot against the group rate",
        forces=list(forces),
        populations=[float(p) for p in populations],
        rates=rates,
        group_rate=group_rate,
        grid=grid,
        limits=[limits_at(p) for p in grid],
        at_force=[limits_at(float(p)) for p in populations],
        home=home,
        off=off,
        named=named,
        log_x=log_x,
        population_label=population_label + (" (log scale)" if log_x else ""),
        y_title=unit if unit == "%" else f"rate {unit}",
        footnote=footnote,
    )
    data = _funnel_data(funnel, counts)
    alt = _funnel_alt(funnel)
    return Chart(
        data,
        funnel.title,
        alt,
        draw_figure=lambda: _draw_funnel(funnel),
        draw_svg=_svg_of(funnel),
    )


def _svg_of(figure: BarFigure | FunnelFigure) -> Callable[[str, str], str]:
    """The SVG drawer of a comparison chart (imported on use: it imports this module)."""

    def draw(prefix: str, alt: str) -> str:
        from pcp_cli.charts import svg_rank

        if isinstance(figure, BarFigure):
            return svg_rank.draw_bar(figure, alt, prefix)
        return svg_rank.draw_funnel(figure, alt, prefix)

    return draw


def _funnel_limits(
    counts: Sequence[float], populations: Sequence[float], multiplier: float, measure: str
) -> tuple[float, Callable[[float], FunnelLimits]]:
    """The group rate and the limits at a population (Poisson for rates, Wilson for
    proportions)."""
    from pcp_cli.stats.funnel import (
        proportion_funnel_average,
        proportion_funnel_limits,
        rate_funnel_average,
        rate_funnel_limits,
    )

    if measure == "proportion":
        group_rate = proportion_funnel_average(counts, populations) * multiplier
        return group_rate, lambda p: proportion_funnel_limits(
            p, group_rate / multiplier, multiplier
        )
    group_rate = rate_funnel_average(counts, populations, multiplier)
    return group_rate, lambda p: rate_funnel_limits(p, group_rate, multiplier)


def _funnel_named(
    forces: list[str], rates: list[float], home: str, group_rate: float
) -> tuple[list[int], set[int]]:
    """Forces left off the axis range, and forces named beside their point."""
    many = len(forces) > 12
    # Far outliers (City of London's crimes per resident) would squash everyone else: with
    # many forces, points beyond 3x (or under a third of) the group rate are left off the
    # axis range and named in a note instead.
    off = [
        i
        for i, r in enumerate(rates)
        if many
        and forces[i] != home
        and group_rate > 0
        and (r > 3 * group_rate or r < group_rate / 3)
    ]
    shown = [i for i in range(len(forces)) if i not in off]
    if not many:
        return off, set(shown)
    extremes = sorted(shown, key=lambda i: rates[i])
    return off, {*extremes[:3], *extremes[-3:]}


def _funnel_data(funnel: FunnelFigure, counts: Sequence[float]) -> pl.DataFrame:
    n = len(funnel.forces)
    return pl.DataFrame(
        {
            "force": funnel.forces,
            "count": [float(c) for c in counts],
            "population": funnel.populations,
            "rate": funnel.rates,
            "group_rate": [funnel.group_rate] * n,
            "lower_95": [lim.lower_95 for lim in funnel.at_force],
            "upper_95": [lim.upper_95 for lim in funnel.at_force],
            "lower_998": [lim.lower_998 for lim in funnel.at_force],
            "upper_998": [lim.upper_998 for lim in funnel.at_force],
            "home": [f == funnel.home for f in funnel.forces],
        },
        schema={
            "force": pl.String,
            "count": pl.Float64,
            "population": pl.Float64,
            "rate": pl.Float64,
            "group_rate": pl.Float64,
            "lower_95": pl.Float64,
            "upper_95": pl.Float64,
            "lower_998": pl.Float64,
            "upper_998": pl.Float64,
            "home": pl.Boolean,
        },
    )


def _funnel_alt(funnel: FunnelFigure) -> str:
    parts = [
        f"Funnel plot. {funnel.title}. {len(funnel.forces)} forces, {funnel.y_title} against "
        f"{funnel.population_label}. Group rate {num(funnel.group_rate)}."
    ]
    if funnel.home in funnel.forces:
        k = funnel.forces.index(funnel.home)
        lim = funnel.at_force[k]
        parts.append(
            f"{funnel.home}: {num(funnel.rates[k])}; 95% limits at its size "
            f"{num(lim.lower_95)} to {num(lim.upper_95)}, 99.8% limits {num(lim.lower_998)} "
            f"to {num(lim.upper_998)}."
        )
    return " ".join(parts)


def _draw_funnel(funnel: FunnelFigure) -> Figure:
    fig = new_figure(WIDTH_IN, 4.4)
    ax = fig.add_subplot()
    ax.axhline(funnel.group_rate, color="#000000", linewidth=1, label="group rate")
    for attr, style, colour, label in (
        ("upper_95", "--", "#555555", "95% limits"),
        ("lower_95", "--", "#555555", None),
        ("upper_998", ":", "#222222", "99.8% limits"),
        ("lower_998", ":", "#222222", None),
    ):
        ys = [getattr(lim, attr) for lim in funnel.limits]
        ax.plot(funnel.grid, ys, style, color=colour, label=label)
    _funnel_points(ax, funnel)
    if funnel.off:
        _funnel_range(ax, funnel)
    if funnel.log_x:
        ax.set_xscale("log")
    ax.set_title(funnel.title, fontsize=TITLE_PT, loc="left", wrap=True)
    ax.set_xlabel(funnel.population_label, fontsize=TEXT_PT + 1)
    ax.set_ylabel(funnel.y_title, fontsize=TEXT_PT + 1)
    from matplotlib.ticker import StrMethodFormatter

    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.tick_params(axis="both", labelsize=TEXT_PT)
    ax.grid(color="#eeeeee")
    legend_below(ax)
    if funnel.footnote:
        fig.text(
            0.0, -0.01, funnel.footnote, fontsize=TEXT_PT, color="#444444", va="top", wrap=True
        )
    return fig


def _funnel_points(ax: Axes, funnel: FunnelFigure) -> None:
    for i, (name, pop, rate) in enumerate(
        zip(funnel.forces, funnel.populations, funnel.rates, strict=True)
    ):
        if i in funnel.off:
            continue
        is_home = name == funnel.home
        ax.scatter(
            [pop],
            [rate],
            color=RED if is_home else "#8c8c8c",
            edgecolors="#000000",
            linewidths=0.6 if is_home else 0.3,
            marker="D" if is_home else "o",
            s=55 if is_home else 25,
            zorder=4 if is_home else 3,
            label=f"{funnel.home} (home force)" if is_home else None,
        )
        if is_home or i in funnel.named:
            ax.annotate(
                name,
                (pop, rate),
                fontsize=TEXT_PT,
                xytext=(4, 3),
                textcoords="offset points",
                fontweight="bold" if is_home else "normal",
            )


def _funnel_range(ax: Axes, funnel: FunnelFigure) -> None:
    """The y range of the forces on the scale and their 99.8% limits."""
    shown = [i for i in range(len(funnel.forces)) if i not in funnel.off]
    ys = [funnel.rates[i] for i in shown] + [funnel.group_rate]
    ys += [v for i in shown for v in (funnel.at_force[i].lower_998, funnel.at_force[i].upper_998)]
    pad = (max(ys) - min(ys)) * 0.08 or 1.0
    ax.set_ylim(min(ys) - pad, max(ys) + pad)
