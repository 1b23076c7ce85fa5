"""`pcp chart spc` and `pcp chart rank`: valid files, and plotted data equal to the analysis.

The chart's data (written with --data, and returned as Chart.data) is compared with the
CSV that `pcp spc` / `pcp rank` print for the same options, never the pixels.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.charts import (
    MDC_COLOURS,
    MDC_MARKERS,
    funnel_chart,
    rank_chart_from_frame,
    spc_chart,
    spc_chart_from_frame,
)
from tests.conftest import real, run_pcp

PNG = b"\x89PNG\r\n\x1a\n"
CITY = "policeuk-street-city-of-london-2018-2021"
LIMIT_COLUMNS = ["value", "mean", "lpl", "upl", "lower_band", "upper_band"]


def csv_of(result_bytes: bytes) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(result_bytes))


def run_ok(args: list[str]) -> str:
    result = run_pcp(args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # charts write files; stdout stays clean
    return result.stderr


def spc_table(store: Path, force: str, kpi: str, *options: str) -> pl.DataFrame:
    result = run_pcp(
        [
            "spc",
            "--store",
            str(store),
            "--force",
            force,
            "--kpi",
            kpi,
            *options,
            "--format",
            "csv",
            "-q",
        ]
    )
    assert result.exit_code == 0, result.stderr
    return csv_of(result.stdout_bytes)


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG
    assert 20_000 < len(data) < 3_000_000


def assert_svg(path: Path) -> str:
    data = path.read_bytes()
    assert 10_000 < len(data) < 5_000_000
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    return data.decode("utf-8")


# -- spc ------------------------------------------------------------------------------------


def test_spc_chart_data_equals_pcp_spc(sample_store: Path, tmp_path: Path) -> None:
    out, data = tmp_path / "spc.png", tmp_path / "spc.csv"
    err = run_ok(
        [
            "chart",
            "spc",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            "all-crime",
            "-o",
            str(out),
            "--data",
            str(data),
        ]
    )
    assert_png(out)
    assert "wrote" in err and "All crime, Leicestershire: XmR chart, Apr 2016 to Mar 2019" in err
    chart = pl.read_csv(data)
    table = spc_table(sample_store, "leicestershire", "all-crime")
    assert chart.height == table.height == 36
    for column in LIMIT_COLUMNS:
        assert chart[column].to_list() == pytest.approx(table[column].to_list(), abs=1e-9)
    assert chart["point_type"].to_list() == table["point_type"].to_list()
    assert chart["rule"].to_list() == table["rule"].to_list()
    # The figures themselves (36 months Apr 2016..Mar 2019 of the samples).
    assert chart["mean"][0] == pytest.approx(6741.194444444, abs=1e-6)
    assert chart["lpl"][0] == pytest.approx(5692.470444444, abs=1e-6)
    assert chart["upl"][0] == pytest.approx(7789.918444444, abs=1e-6)
    counts = chart["point_type"].value_counts().sort("point_type").rows()
    assert counts == [
        ("common_cause", 10),
        ("special_cause_concern", 13),
        ("special_cause_improvement", 13),
    ]
    assert chart["month"][0] == "Apr 2016" and chart["month"][-1] == "Mar 2019"
    assert not chart["rebase"].any()


def test_spc_chart_city_of_london_baseline_and_rebase(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    source = real(CITY)
    base = tmp_path_factory.mktemp("city-chart")
    store = base / "store"
    result = run_pcp(["ingest", "--store", str(store), str(source)])
    assert result.exit_code == 0, result.stderr
    options = ["--baseline", "24", "--rebase", "2020-04"]
    out, data = base / "col.svg", base / "col.csv"
    run_ok(
        [
            "chart",
            "spc",
            "--store",
            str(store),
            "--force",
            "city-of-london",
            "--kpi",
            "all-crime",
            *options,
            "-o",
            str(out),
            "--data",
            str(data),
        ]
    )
    text = assert_svg(out)
    assert "City of London" in text and "rebase" in text
    chart = pl.read_csv(data)
    table = spc_table(store, "city-of-london", "all-crime", *options)
    assert chart.height == table.height == 45
    for column in LIMIT_COLUMNS:
        assert chart[column].to_list() == pytest.approx(table[column].to_list(), abs=1e-9)
    assert chart["point_type"].to_list() == table["point_type"].to_list()
    # SOURCE.md: limits from 2018-01..2019-12 are 506.2675 / 818.0658 around 662.1667.
    first = chart.row(0, named=True)
    assert first["mean"] == pytest.approx(662.1666667, abs=1e-6)
    assert first["lpl"] == pytest.approx(506.2675, abs=1e-4)
    assert first["upl"] == pytest.approx(818.0658, abs=1e-4)
    # The rebase is drawn at 2020-04, where the second group starts with its own limits.
    assert chart.filter(pl.col("rebase"))["period"].to_list() == ["Apr 2020"]
    assert chart["group"].to_list() == [0] * 27 + [1] * 18
    assert chart["mean"][27] != pytest.approx(first["mean"])
    types = set(chart["point_type"].to_list())
    assert {"special_cause_concern", "special_cause_improvement"} <= types


def test_spc_chart_leaves_gaps_unjoined(tmp_path: Path) -> None:
    months = [f"{y}-{m:02d}" for y in (2017, 2018) for m in range(1, 13)]
    values = [
        100,
        104,
        98,
        101,
        97,
        103,
        99,
        102,
        100,
        96,
        105,
        101,
        120,
        118,
        0,
        0,
        121,
        119,
        123,
        117,
        122,
        120,
        118,
        124,
    ]
    lines = ["force,month,measure,value"] + [
        f"Leicestershire,{m},knife_crime,{v}"
        for m, v in zip(months, values, strict=True)
        if m not in ("2018-03", "2018-04")
    ]
    src = tmp_path / "counts.csv"
    src.write_text("\n".join(lines) + "\n")
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(src)]).exit_code == 0
    out, data = tmp_path / "gap.png", tmp_path / "gap.csv"
    err = run_ok(
        [
            "chart",
            "spc",
            "--store",
            str(store),
            "--force",
            "leicestershire",
            "--kpi",
            "knife-crime",
            "-o",
            str(out),
            "--data",
            str(data),
        ]
    )
    assert "no data for 2018-03..2018-04" in err
    assert_png(out)
    chart = pl.read_csv(data)
    assert chart.height == 24
    gap = chart.filter(pl.col("status") == "missing")
    assert gap["period"].to_list() == ["Mar 2018", "Apr 2018"]
    assert gap["value"].null_count() == 2 and gap["mean"].null_count() == 2
    # Limits before and after the gap are worked out separately; a gap is not a rebase.
    assert chart["group"].to_list() == [0] * 14 + [None, None] + [1] * 8
    assert chart["mean"][0] == pytest.approx(sum(values[:14]) / 14)
    assert chart["mean"][-1] == pytest.approx(sum(values[16:]) / 8)
    assert not chart["rebase"].any()


def test_spc_chart_from_frame_infers_rebases_not_gaps() -> None:
    rows = []
    for i, (group, status) in enumerate(
        [(0, "ok")] * 5 + [(None, "missing")] + [(1, "ok")] * 5 + [(2, "ok")] * 5
    ):
        month = 2018 * 12 + i
        rows.append(
            {
                "force": "x",
                "force_name": "X",
                "kpi": "k",
                "label": "K",
                "unit": "crimes",
                "source": "counts",
                "method": "XmR",
                "period": f"{month // 12}-{month % 12 + 1:02d}",
                "start": f"{month // 12}-{month % 12 + 1:02d}",
                "end": f"{month // 12}-{month % 12 + 1:02d}",
                "value": None if status == "missing" else float(10 + i),
                "status": status,
                "group": group,
                "mean": None if group is None else 10.0 * (group + 1),
                "lpl": None if group is None else 5.0,
                "upl": None if group is None else 40.0,
                "lower_band": None if group is None else 6.0,
                "upper_band": None if group is None else 35.0,
                "rule": "Common Cause",
                "point_type": "common_cause" if status == "ok" else status,
                "target": None,
            }
        )
    chart = spc_chart_from_frame(pl.DataFrame(rows))
    try:
        # Group 1 starts after the gap (a restart); group 2 starts straight after data.
        assert chart.data.filter(pl.col("rebase"))["period"].to_list() == ["Dec 2018"]
        assert chart.render("png")[:8] == PNG
    finally:
        chart.close()


def test_spc_chart_keeps_the_stats_points_signature() -> None:
    from pcp_cli.stats.spc import XmrOptions, xmr_analysis

    values = [10.0, 12, 11, 13, 12, 30, 11, 12, 10, 11, 12, 13]
    result = xmr_analysis(values, XmrOptions(improvement_direction="decrease"))
    months = list(range(2018 * 12 + 3, 2018 * 12 + 15))
    chart = spc_chart(
        kpi_label="K", unit="crimes", force_name="F", months=months, points=result.points
    )
    try:
        assert chart.data["value"].to_list() == values
        assert chart.data["point_type"][5] == "special_cause_concern"
        assert chart.data["mean"][0] == pytest.approx(result.summary.current.mean)
        assert chart.title == "K, F: XmR chart, Apr 2018 to Mar 2019"
    finally:
        chart.close()


def test_mdc_styles_differ_without_colour() -> None:
    # Greyscale: every special-cause type has its own marker shape, not just a colour.
    assert len(set(MDC_MARKERS.values())) == len(MDC_MARKERS) == len(MDC_COLOURS)


# -- rank -----------------------------------------------------------------------------------


def rank_table(store: Path, *options: str) -> pl.DataFrame:
    result = run_pcp(
        [
            "rank",
            "--store",
            str(store),
            "--force",
            "leicestershire",
            "--kpi",
            "all-crime",
            *options,
            "--format",
            "csv",
            "-q",
        ]
    )
    assert result.exit_code == 0, result.stderr
    return csv_of(result.stdout_bytes)


def test_rank_bar_chart_rates_equal_pcp_rank(sample_store: Path, tmp_path: Path) -> None:
    out, data = tmp_path / "msg.png", tmp_path / "msg.csv"
    err = run_ok(
        [
            "chart",
            "rank",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            "all-crime",
            "--period",
            "12m",
            "-o",
            str(out),
            "--data",
            str(data),
        ]
    )
    assert_png(out)
    assert "12m to 2019-03: Leicestershire's Most Similar Group" in err
    chart = pl.read_csv(data)
    table = rank_table(sample_store, "--period", "12m")
    assert chart.height == 8
    joined = chart.join(table, left_on="force", right_on="force_name", suffix="_rank")
    assert joined.height == 8
    assert joined["rate"].to_list() == pytest.approx(joined["rate_rank"].to_list(), rel=1e-12)
    assert joined["rank"].to_list() == joined["group_rank"].to_list()
    assert joined["ci_lower"].to_list() == pytest.approx(joined["ci_lower_rank"].to_list())
    assert chart["mean"][0] == pytest.approx(table["group_mean"][0])
    assert chart["lower_line"][0] == pytest.approx(table["lower_line"][0])
    assert chart["upper_line"][0] == pytest.approx(table["upper_line"][0])
    # Bars bottom to top: lowest rate first; Leicestershire is the highlighted home force.
    assert chart["rate"].to_list() == sorted(chart["rate"].to_list())
    home = chart.filter(pl.col("home")).row(0, named=True)
    assert home["force"] == "Leicestershire"
    assert home["rate"] == pytest.approx(92100 / 1_093_200 * 1000)
    assert home["rank"] == 5
    assert chart["force"][-1] == "Kent" and chart["rank"][-1] == 8


def test_rank_funnel_chart_national_svg(sample_store: Path, tmp_path: Path) -> None:
    out, data = tmp_path / "funnel.svg", tmp_path / "funnel.json"
    run_ok(
        [
            "chart",
            "rank",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            "all-crime",
            "--period",
            "2017/18",
            "--group",
            "national",
            "--style",
            "funnel",
            "-o",
            str(out),
            "--data",
            str(data),
        ]
    )
    text = assert_svg(out)
    assert "funnel plot" in text and "population (log scale)" in text
    chart = pl.read_json(data)
    table = rank_table(sample_store, "--period", "2017/18", "--group", "national")
    assert chart.height == table.filter(pl.col("status") == "ok").height == 43
    joined = chart.join(table, left_on="force", right_on="force_name", suffix="_rank")
    assert joined["rate"].to_list() == pytest.approx(joined["rate_rank"].to_list(), rel=1e-12)
    assert joined["count"].to_list() == joined["count_rank"].to_list()
    assert joined["population"].to_list() == joined["denominator"].to_list()
    assert chart["group_rate"][0] == pytest.approx(table["group_rate"][0], rel=1e-12)
    assert chart["group_rate"][0] == pytest.approx(
        table["count"].sum() / table["denominator"].sum() * 1000, rel=1e-12
    )
    assert (chart["lower_998"] < chart["lower_95"]).all()
    assert (chart["lower_95"] < chart["group_rate"]).all()
    assert (chart["group_rate"] < chart["upper_95"]).all()
    assert (chart["upper_95"] < chart["upper_998"]).all()
    home = chart.filter(pl.col("home"))
    assert home["force"].to_list() == ["Leicestershire"]
    assert home["count"][0] == 81877


def test_proportion_funnel_matches_phe_vector() -> None:
    # methods.md V3.3: average 80.642448%; limits at N = 664 and N = 110000.
    p = 0.80642448
    chart = funnel_chart(
        kpi_label="Satisfaction",
        period_label="2018/19",
        forces=["A", "B"],
        counts=[p * 664, p * 110_000],
        populations=[664, 110_000],
        home="A",
        multiplier=100.0,
        measure="proportion",
        population_label="respondents",
    )
    try:
        d = chart.data
        assert d["group_rate"][0] == pytest.approx(80.642448, abs=1e-9)
        assert d["lower_95"].to_list() == pytest.approx([77.637263, 80.408963], abs=1e-5)
        assert d["upper_95"].to_list() == pytest.approx([83.647632, 80.875933], abs=1e-5)
        assert d["lower_998"].to_list() == pytest.approx([75.904239, 80.274317], abs=1e-5)
        assert d["upper_998"].to_list() == pytest.approx([85.380656, 81.010578], abs=1e-5)
    finally:
        chart.close()


def test_rank_chart_from_frame_refuses_a_funnel_of_counts() -> None:
    from pcp_cli.charts import ChartError

    frame = pl.DataFrame(
        {
            "kpi": ["k", "k"],
            "label": ["K", "K"],
            "period": ["2018/19", "2018/19"],
            "dataset": ["counts", "counts"],
            "measure": ["calls", "calls"],
            "polarity": ["neutral", "neutral"],
            "force": ["a", "b"],
            "force_name": ["A", "B"],
            "home": [True, False],
            "status": ["ok", "ok"],
            "count": [10.0, 20.0],
            "denominator": [None, None],
            "denominator_kind": ["none", "none"],
            "rate": [10.0, 20.0],
            "group": ["national", "national"],
        },
        schema_overrides={"denominator": pl.Float64},
    )
    with pytest.raises(ChartError, match="funnel plot needs rates"):
        rank_chart_from_frame(frame, style="funnel")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["spc", "--style", "funnel"], "--style does not apply to a spc chart"),
        (["rank", "--baseline", "12"], "--baseline does not apply to a rank chart"),
        (["trend", "--period", "12m"], "--period does not apply to a trend chart"),
        (["spc", "--kpi", "Crime"], "a chart shows one KPI"),
        (["spc", "--data", "x.xlsx"], "cannot tell the data format"),
        (["spc", "--period", "2017/18", "--from", "2017-01"], "give --period or --from"),
    ],
)
def test_chart_option_errors(
    sample_store: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    kind, *rest = args
    kpi = [] if "--kpi" in rest else ["--kpi", "all-crime"]
    result = run_pcp(
        [
            "chart",
            kind,
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            *kpi,
            *rest,
            "-o",
            str(tmp_path / "x.png"),
        ]
    )
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_spc_chart_period_sets_the_months(sample_store: Path, tmp_path: Path) -> None:
    data = tmp_path / "fy.csv"
    run_ok(
        [
            "chart",
            "spc",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            "all-crime",
            "--period",
            "2017/18",
            "-o",
            str(tmp_path / "fy.png"),
            "--data",
            str(data),
            "-q",
        ]
    )
    chart = pl.read_csv(data)
    table = spc_table(
        sample_store, "leicestershire", "all-crime", "--from", "2017-04", "--to", "2018-03"
    )
    assert chart["period"].to_list()[0] == "Apr 2017" and chart.height == 12
    assert chart["value"].sum() == 81877  # seed 003: FY 2017/18
    assert chart["upl"].to_list() == pytest.approx(table["upl"].to_list())
