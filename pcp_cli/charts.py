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
from itertools import pairwise
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
    "special_cause_neutral_low": "D",
}
MDC_LABELS = {
    "common_cause": "common cause",
    "special_cause_improvement": "special cause: improvement",
    "special_cause_concern": "special cause: concern",
    "special_cause_neutral_high": "special cause: neutral (high)",
    "special_cause_neutral_low": "special cause: neutral (low)",
}
TARGET_COLOUR = "#de1b1b"


class ChartError(ValueError):
    """The data cannot be drawn as asked (e.g. a funnel plot of counts); a usage problem."""


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
    _thousands(ax, unit)
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
    labels: Sequence[str] | None = None,
    per: str = "month",
    target: float | None = None,
    title: str | None = None,
) -> Chart:
    """An XmR chart: mean, process limits, near-limit bands, special-cause points coloured
    as in Making Data Count, rebases marked, and gaps left as gaps.

    ``points`` is either the points of :func:`pcp_cli.stats.spc.xmr_chart` (every row a
    point) or the per-point frame of :func:`pcp_cli.analysis.spc.xmr` (see
    :func:`spc_chart_from_frame`), whose rows with ``status`` "missing" or "undefined" have
    no value: those are shaded "no data" and neither the values nor the limits are joined
    across them. ``months`` is each row's first month; ``labels`` (default: "Jul 2018")
    names each point on the x axis; ``per`` is the time a point covers ("month", "quarter").
    """
    n = points.height
    if n != len(months):
        raise ValueError(f"spc_chart: {n} points but {len(months)} months")
    months = list(months)
    names = list(labels) if labels is not None else [month_name(m) for m in months]
    has_status = "status" in points.columns
    status = points["status"].to_list() if has_status else ["ok"] * n
    values = points["value"].to_list()
    groups: list[int | None] = [
        g if s == "ok" else None for g, s in zip(points["group"].to_list(), status, strict=True)
    ]
    step = min((b - a for a, b in pairwise(months) if b > a), default=1)
    # A value line never crosses a missing point or a jump in time; a rebase it does cross.
    joined = [False] + [
        status[i] == "ok" and status[i - 1] == "ok" and months[i] - months[i - 1] == step
        for i in range(1, n)
    ]
    fig = _figure(9.0, 4.4)
    ax = fig.add_subplot()
    x = list(range(n))
    group_runs = _runs(groups)
    for column, style, colour, label in (
        ("mean", "-", "#333333", "mean"),
        ("upl", "--", "#555555", "process limits (mean ± 2.66 × mean moving range)"),
        ("lpl", "--", "#555555", None),
        ("upper_band", ":", "#8c8c8c", "near-limit bands"),
        ("lower_band", ":", "#8c8c8c", None),
    ):
        ys = points[column].to_list()
        for k, (a, b) in enumerate(group_runs):
            ax.plot(
                x[a:b],
                ys[a:b],
                linestyle=style,
                color=colour,
                linewidth=1.2 if column == "mean" else 1,
                label=label if k == 0 else None,
                zorder=2,
            )
    start = 0
    for i in range(1, n + 1):
        if i == n or not joined[i]:
            seg = [j for j in range(start, i) if status[j] == "ok"]
            if seg:
                ax.plot(seg, [values[j] for j in seg], color="#7f7f7f", linewidth=1, zorder=1)
            start = i
    types = points["point_type"].to_list()
    for kind, colour in MDC_COLOURS.items():
        chosen = [i for i, t in enumerate(types) if t == kind and status[i] == "ok"]
        if chosen:
            ax.scatter(
                chosen,
                [values[i] for i in chosen],
                color=colour,
                edgecolors="#000000" if kind != "common_cause" else "none",
                linewidths=0.6,
                marker=MDC_MARKERS[kind],
                s=36 if kind != "common_cause" else 22,
                zorder=3,
                label=MDC_LABELS[kind],
            )
    gaps = [i for i in range(n) if status[i] != "ok"]
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
    for k, m in enumerate(m for m in rebase_months if m in months):
        pos = months.index(m) - 0.5
        ax.axvline(pos, color="#000000", linewidth=0.9, label="rebase" if k == 0 else None)
        ax.annotate(
            "rebase",
            (pos, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -10),
            textcoords="offset points",
            fontsize=7,
        )
    if target is not None:
        ax.axhline(target, color=TARGET_COLOUR, linestyle="-.", linewidth=1, label="target")
    tick_step = max(1, -(-n // 18))
    ax.set_xticks(x[::tick_step], names[::tick_step], rotation=45, ha="right", fontsize=8)
    ax.set_xlim(-0.6, n - 0.4)
    first, last = names[0], names[-1]
    title = title or f"{kpi_label}, {force_name}: XmR chart, {first} to {last}"
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_ylabel(_per(unit, per))
    _thousands(ax, unit)
    ax.grid(axis="y", color="#eeeeee")
    if method_note:
        fig.text(0.0, -0.02, method_note, fontsize=7, color="#444444", ha="left", va="top")
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    data = pl.DataFrame(
        {
            "period": names,
            "month": [month_name(m) for m in months],
            "status": status,
            "group": groups,
            "value": [float(v) if v is not None else None for v in values],
            "mean": points["mean"].to_list(),
            "lpl": points["lpl"].to_list(),
            "upl": points["upl"].to_list(),
            "lower_band": points["lower_band"].to_list(),
            "upper_band": points["upper_band"].to_list(),
            "rule": points["rule"].to_list(),
            "point_type": types,
            "rebase": [m in rebase_months for m in months],
        },
        schema={
            "period": pl.String,
            "month": pl.String,
            "status": pl.String,
            "group": pl.Int32,
            "value": pl.Float64,
            "mean": pl.Float64,
            "lpl": pl.Float64,
            "upl": pl.Float64,
            "lower_band": pl.Float64,
            "upper_band": pl.Float64,
            "rule": pl.String,
            "point_type": pl.String,
            "rebase": pl.Boolean,
        },
    )
    return Chart(fig, data, title)


def spc_chart_from_frame(
    frame: pl.DataFrame,
    *,
    rebase_months: Sequence[Month] | None = None,
    title: str | None = None,
) -> Chart:
    """The XmR chart of one KPI and force from :func:`pcp_cli.analysis.spc.xmr` output
    (the rows ``pcp spc --format csv`` prints).

    Rebases are the months given, or, when ``rebase_months`` is None, every point that
    starts a new group straight after a point with data (a group that starts after a gap
    is the chart restarting, shaded "no data", not a rebase).
    """
    from pcp_cli.periods import parse_month

    if not frame.height:
        raise ValueError("spc_chart_from_frame: no rows")
    if frame["kpi"].n_unique() != 1 or frame["force"].n_unique() != 1:
        raise ValueError("spc_chart_from_frame: one KPI and one force per chart")
    first = frame.row(0, named=True)
    starts = [parse_month(s) for s in frame["start"].to_list()]
    ends = [parse_month(s) for s in frame["end"].to_list()]
    span = ends[0] - starts[0] + 1
    if rebase_months is None:
        status = frame["status"].to_list()
        group = frame["group"].to_list()
        step = min((b - a for a, b in pairwise(starts) if b > a), default=1)
        rebase_months = [
            starts[i]
            for i in range(1, frame.height)
            if status[i] == status[i - 1] == "ok"
            and group[i] != group[i - 1]
            and starts[i] - starts[i - 1] == step
        ]
    targets = frame["target"].drop_nulls()
    return spc_chart(
        kpi_label=str(first["label"]),
        unit=str(first["unit"] or ""),
        force_name=str(first["force_name"]),
        months=starts,
        points=frame,
        rebase_months=rebase_months,
        method_note=f"{first['method']}. Source: {first['source']}.",
        labels=None if span == 1 else frame["period"].to_list(),
        per={1: "month", 3: "quarter", 12: "year"}.get(span, f"{span} months"),
        target=float(targets[0]) if targets.len() else None,
        title=title,
    )


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
    many = len(forces) > 15
    fig = _figure(8.0, (0.28 if many else 0.45) * len(forces) + 1.8)
    ax = fig.add_subplot()
    order = sorted(range(len(forces)), key=lambda i: rates[i])
    names = [forces[i] for i in order]
    values = [float(rates[i]) for i in order]
    colours = [RED if n == home else "#8c8c8c" for n in names]
    bars = ax.barh(names, values, color=colours, edgecolor="#333333", linewidth=0.4, zorder=2)
    for bar, name in zip(bars, names, strict=True):
        if name == home:
            bar.set_hatch("//")
    lows = [ci_lower[i] if ci_lower is not None else None for i in order]
    highs = [ci_upper[i] if ci_upper is not None else None for i in order]
    with_ci = [k for k in range(len(order)) if lows[k] is not None and highs[k] is not None]
    if with_ci:
        ax.errorbar(
            [values[k] for k in with_ci],
            [k for k in with_ci],
            xerr=[
                [values[k] - float(lows[k] or 0.0) for k in with_ci],
                [float(highs[k] or 0.0) - values[k] for k in with_ci],
            ],
            fmt="none",
            ecolor="#000000",
            elinewidth=0.8,
            capsize=2,
            zorder=3,
            label="95% confidence interval",
        )
    rank_list = [ranks[i] if ranks is not None else None for i in order]
    for k, value in enumerate(values):
        text = _num(value)
        if rank_list[k] is not None:
            text += f"  (rank {rank_list[k]})"
        ax.annotate(
            text,
            (max(value, float(highs[k] or 0.0)), k),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=6 if many else 7,
            zorder=4,
        )
    for tick in ax.get_yticklabels():
        if tick.get_text() == home:
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", labelsize=6 if many else 8)
    lines: tuple[tuple[float | None, str, str | None], ...] = (
        (mean, "-", f"{group_label} mean"),
        (lower, "--", "control lines (mean ± 1.96 SD)"),
        (upper, "--", None),
    )
    for line_at, style, line_label in lines:
        if line_at is not None:
            ax.axvline(
                line_at, color="#000000", linestyle=style, linewidth=1, label=line_label, zorder=3
            )
    title = title or f"{kpi_label}, {period_label}: rate {rate_unit}"
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel(rate_unit)
    ax.set_xlim(0, max([*values, upper or 0.0, *[h for h in highs if h is not None]]) * 1.18)
    ax.grid(axis="x", color="#eeeeee", zorder=0)
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if footnote:
        fig.text(0.0, -0.01, footnote, fontsize=7, color="#444444", ha="left", va="top", wrap=True)
    columns: dict[str, list[object]] = {"force": list(names), "rate": list(values)}
    schema: dict[str, pl.DataType | type[pl.DataType]] = {"force": pl.String, "rate": pl.Float64}
    if ci_lower is not None and ci_upper is not None:
        columns["ci_lower"] = list(lows)
        columns["ci_upper"] = list(highs)
        schema.update({"ci_lower": pl.Float64, "ci_upper": pl.Float64})
    if ranks is not None:
        columns["rank"] = list(rank_list)
        schema["rank"] = pl.Int32
    if ranks is not None or ci_lower is not None:
        columns["home"] = [n == home for n in names]
        columns["mean"] = [mean] * len(names)
        columns["lower_line"] = [lower] * len(names)
        columns["upper_line"] = [upper] * len(names)
        schema.update(
            {
                "home": pl.Boolean,
                "mean": pl.Float64,
                "lower_line": pl.Float64,
                "upper_line": pl.Float64,
            }
        )
    data = pl.DataFrame(columns, schema=schema)
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
    from pcp_cli.stats.funnel import (
        FunnelLimits,
        proportion_funnel_average,
        proportion_funnel_limits,
        rate_funnel_average,
        rate_funnel_limits,
    )

    if measure == "proportion":
        group_rate = proportion_funnel_average(counts, populations) * multiplier

        def limits_at(p: float) -> FunnelLimits:
            return proportion_funnel_limits(p, group_rate / multiplier, multiplier)

    else:
        group_rate = rate_funnel_average(counts, populations, multiplier)

        def limits_at(p: float) -> FunnelLimits:
            return rate_funnel_limits(p, group_rate, multiplier)

    rates = [c / p * multiplier for c, p in zip(counts, populations, strict=True)]
    lo_pop, hi_pop = min(populations) * 0.8, max(populations) * 1.2
    log_x = hi_pop / lo_pop > 40
    if log_x:
        grid = [lo_pop * (hi_pop / lo_pop) ** (i / 160) for i in range(161)]
    else:
        grid = [lo_pop + (hi_pop - lo_pop) * i / 160 for i in range(161)]
    limits = [limits_at(p) for p in grid]
    at_force = [limits_at(float(p)) for p in populations]
    fig = _figure(8.0, 4.8)
    ax = fig.add_subplot()
    ax.axhline(group_rate, color="#000000", linewidth=1, label="group rate")
    ax.plot(grid, [lim.upper_95 for lim in limits], "--", color="#555555", label="95% limits")
    ax.plot(grid, [lim.lower_95 for lim in limits], "--", color="#555555")
    ax.plot(grid, [lim.upper_998 for lim in limits], ":", color="#222222", label="99.8% limits")
    ax.plot(grid, [lim.lower_998 for lim in limits], ":", color="#222222")
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
    if many:
        extremes = sorted(shown, key=lambda i: rates[i])
        named = {*extremes[:3], *extremes[-3:]}
    else:
        named = set(shown)
    for i, (name, pop, rate) in enumerate(zip(forces, populations, rates, strict=True)):
        if i in off:
            continue
        is_home = name == home
        ax.scatter(
            [pop],
            [rate],
            color=RED if is_home else "#8c8c8c",
            edgecolors="#000000",
            linewidths=0.6 if is_home else 0.3,
            marker="D" if is_home else "o",
            s=55 if is_home else 25,
            zorder=4 if is_home else 3,
            label=f"{home} (home force)" if is_home else None,
        )
        if is_home or i in named:
            ax.annotate(
                name,
                (pop, rate),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
                fontweight="bold" if is_home else "normal",
            )
    if off:
        ys = [rates[i] for i in shown] + [group_rate]
        ys += [v for i in shown for v in (at_force[i].lower_998, at_force[i].upper_998)]
        pad = (max(ys) - min(ys)) * 0.08 or 1.0
        ax.set_ylim(min(ys) - pad, max(ys) + pad)
        footnote = (
            "Off the scale: "
            + ", ".join(f"{forces[i]} ({_num(rates[i])})" for i in off)
            + ". "
            + footnote
        ).strip()
    if log_x:
        ax.set_xscale("log")
        population_label += " (log scale)"
    unit = "%" if measure == "proportion" and multiplier == 100 else f"per {multiplier:,.0f}"
    title = title or f"{kpi_label}, {period_label}: funnel plot against the group rate"
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel(population_label)
    ax.set_ylabel(unit if unit == "%" else f"rate {unit}")
    from matplotlib.ticker import StrMethodFormatter

    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.grid(color="#eeeeee")
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if footnote:
        fig.text(0.0, -0.01, footnote, fontsize=7, color="#444444", ha="left", va="top", wrap=True)
    data = pl.DataFrame(
        {
            "force": list(forces),
            "count": [float(c) for c in counts],
            "population": [float(p) for p in populations],
            "rate": rates,
            "group_rate": [group_rate] * len(forces),
            "lower_95": [lim.lower_95 for lim in at_force],
            "upper_95": [lim.upper_95 for lim in at_force],
            "lower_998": [lim.lower_998 for lim in at_force],
            "upper_998": [lim.upper_998 for lim in at_force],
            "home": [f == home for f in forces],
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
    return Chart(fig, data, title)


RankStyle = Literal["bar", "funnel"]


def rank_chart_from_frame(
    frame: pl.DataFrame, *, style: RankStyle = "bar", title: str | None = None
) -> Chart:
    """The MSG (or national, or group) comparison of one KPI from
    :func:`pcp_cli.analysis.rank.rank` output with one KPI (a row per force: the rows
    ``pcp rank --kpi K --format csv`` prints).

    Only ranked forces (status "ok") are drawn; the others are named in a footnote.
    ``style="bar"``: rates, 95% CIs, group mean and control lines. ``style="funnel"``:
    rate against population (or against the base count for a rate such as the positive
    outcome rate or a survey proportion) with 95% and 99.8% limits.
    """
    if not frame.height:
        raise ValueError("rank_chart_from_frame: no rows")
    if frame["kpi"].n_unique() != 1:
        raise ValueError("rank_chart_from_frame: one KPI per chart")
    ranked = frame.filter((pl.col("status") == "ok") & pl.col("rate").is_not_null())
    if not ranked.height:
        raise ChartError(f"no force in the comparison has a rate for {frame['kpi'][0]}")
    first = ranked.row(0, named=True)
    homes = frame.filter(pl.col("home"))
    home = str(homes["force_name"][0]) if homes.height else ""
    measure = str(first["measure"])
    comparator = _comparator_text(str(first["group"]), home)
    left_out = [
        f"{r['force_name']} ({r['status']})"
        for r in frame.filter(pl.col("status") != "ok").iter_rows(named=True)
    ]
    notes = []
    if left_out:
        notes.append("Not ranked: " + ", ".join(left_out) + ".")
    notes.append(f"Source: {first['dataset']}.")
    label = str(first["label"])
    period = str(first["period"])
    if style == "funnel":
        kind = str(first["denominator_kind"] or "none")
        if kind == "none" or ranked["denominator"].null_count():
            raise ChartError(
                f"a funnel plot needs rates: {first['kpi']} is compared as counts "
                "(no population or base count)"
            )
        proportion = kind != "population"
        if proportion and (ranked["count"] > ranked["denominator"]).any():
            raise ChartError(
                f"a funnel plot of {first['kpi']} needs proportions, but a force's numerator "
                "exceeds its base count"
            )
        multiplier = 1000.0 if not proportion else _multiplier(measure)
        return funnel_chart(
            kpi_label=label,
            period_label=period,
            forces=ranked["force_name"].to_list(),
            counts=ranked["count"].to_list(),
            populations=ranked["denominator"].to_list(),
            home=home,
            multiplier=multiplier,
            measure="proportion" if proportion else "rate",
            population_label={"population": "population", "respondents": "respondents"}.get(
                kind, f"base: {kind}"
            ),
            title=title or f"{label} ({measure}), {period}: {comparator}, funnel plot",
            footnote=" ".join(
                [
                    "Limits: exact Poisson around the group rate Σcount/Σpopulation."
                    if not proportion
                    else "Limits: Wilson around the group rate Σx/Σn.",
                    *notes,
                ]
            ),
        )
    mean_text = (
        "weighted mean Σcount/Σpopulation"
        if first["mean_method"] == "weighted"
        else "unweighted mean of the rates"
    )
    sd_text = "sample SD" if first["sd_ddof"] == 1 else "population SD"
    return rank_bar_chart(
        kpi_label=label,
        period_label=period,
        forces=ranked["force_name"].to_list(),
        rates=ranked["rate"].to_list(),
        home=home,
        mean=first["group_mean"],
        lower=first["lower_line"],
        upper=first["upper_line"],
        rate_unit=measure,
        ci_lower=ranked["ci_lower"].to_list(),
        ci_upper=ranked["ci_upper"].to_list(),
        ranks=ranked["group_rank"].to_list(),
        group_label=_short_group(str(first["group"])),
        title=title or f"{label} ({measure}), {period}: {comparator}",
        footnote=" ".join(
            [
                f"Mean: {mean_text}; control lines mean ± 1.96 × {sd_text}. Rank 1 = best "
                f"by polarity ({first['polarity']}). Bars: 95% confidence intervals.",
                *notes,
            ]
        ),
    )


def _comparator_text(group: str, home: str) -> str:
    if group == "msg":
        return f"{home}'s Most Similar Group" if home else "Most Similar Group"
    if group == "national":
        return "all territorial forces"
    if group == "custom":
        return "custom group"
    return f"group {group}"


def _short_group(group: str) -> str:
    return {"msg": "MSG", "national": "national", "custom": "group"}.get(group, group)


def _multiplier(measure: str) -> float:
    """100 for "%", N for "per N" (the rank frame's measure label of a proportion)."""
    if measure.strip() == "%":
        return 100.0
    try:
        return float(measure.split()[-1].replace(",", ""))
    except ValueError:
        return 100.0


def _per_month(unit: str) -> str:
    return _per(unit, "month")


def _per(unit: str, per: str) -> str:
    """The y-axis label: "%" for percentages, else "crimes per month" (or per quarter)."""
    return "%" if unit == "%" else f"{unit or 'count'} per {per}"


def _num(value: float) -> str:
    """A number for a chart label: thousands separated, at most two decimals."""
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _thousands(ax: Axes, unit: str = "") -> None:
    from matplotlib.ticker import FuncFormatter

    suffix = "%" if unit == "%" else ""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _num(v) + suffix))


def _nan(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def _pad(values: Sequence[float | None]) -> list[float | None]:
    padded: list[float | None] = [None if v is None else float(v) for v in values]
    return (padded + [None] * 12)[:12]


def _runs(keys: Sequence[int | None]) -> list[tuple[int, int]]:
    """(start, stop) of each run of equal keys, skipping None: one limit line per run."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i in range(len(keys) + 1):
        key = keys[i] if i < len(keys) else None
        if start is not None and (key is None or key != keys[start]):
            runs.append((start, i))
            start = None
        if start is None and key is not None:
            start = i
    return runs
