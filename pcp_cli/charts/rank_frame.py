"""Comparison charts from the rows ``pcp rank --kpi K`` prints (one KPI, a row per force)."""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from pcp_cli.charts.base import Chart, ChartError
from pcp_cli.charts.rank import funnel_chart, rank_bar_chart

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
    left_out = [
        f"{r['force_name']} ({r['status']})"
        for r in frame.filter(pl.col("status") != "ok").iter_rows(named=True)
    ]
    notes = ["Not ranked: " + ", ".join(left_out) + "."] if left_out else []
    notes.append(f"Source: {first['dataset']}.")
    if style == "funnel":
        return _funnel_from_frame(ranked, first, home, notes, title)
    return _bar_from_frame(ranked, first, home, notes, title)


def _funnel_from_frame(
    ranked: pl.DataFrame, first: dict[str, Any], home: str, notes: list[str], title: str | None
) -> Chart:
    label, period, measure = str(first["label"]), str(first["period"]), str(first["measure"])
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
    comparator = _comparator_text(str(first["group"]), home)
    limits = (
        "Limits: Wilson around the group rate Σx/Σn."
        if proportion
        else "Limits: exact Poisson around the group rate Σcount/Σpopulation."
    )
    return funnel_chart(
        kpi_label=label,
        period_label=period,
        forces=ranked["force_name"].to_list(),
        counts=ranked["count"].to_list(),
        populations=ranked["denominator"].to_list(),
        home=home,
        multiplier=_multiplier(measure) if proportion else 1000.0,
        measure="proportion" if proportion else "rate",
        population_label={"population": "population", "respondents": "respondents"}.get(
            kind, f"base: {kind}"
        ),
        title=title or f"{label} ({measure}), {period}: {comparator}, funnel plot",
        footnote=" ".join([limits, *notes]),
    )


def _bar_from_frame(
    ranked: pl.DataFrame, first: dict[str, Any], home: str, notes: list[str], title: str | None
) -> Chart:
    label, period, measure = str(first["label"]), str(first["period"]), str(first["measure"])
    comparator = _comparator_text(str(first["group"]), home)
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
