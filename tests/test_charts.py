"""Charts: valid PNG/SVG files of sensible size whose plotted data match the analysis."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.charts import funnel_chart, rank_bar_chart
from tests.conftest import run_pcp


def test_trend_chart_png_matches_compare(sample_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "trend.png"
    result = run_pcp(
        [
            "chart",
            "trend",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            "all-crime",
            "--to",
            "2018-09",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 20_000 < len(data) < 2_000_000
    assert result.stdout == ""

    from pcp_cli.analysis.trend import year_on_year
    from pcp_cli.engine import Engine
    from pcp_cli.kpis import load_catalogue
    from pcp_cli.periods import parse_month
    from pcp_cli.store import Store
    from tests.conftest import REPO

    catalogue = load_catalogue(REPO / "config" / "kpis.toml")
    with Store(sample_store).reading() as reader:
        trend = year_on_year(
            Engine(reader, catalogue),
            catalogue.kpis["all-crime"],
            "leicestershire",
            parse_month("2018-09"),
        )
    # Q2 2018/19 from the chart's data equals compare's figure for the quarter.
    assert sum(trend.current[3:6]) == 23116
    assert sum(trend.previous[3:6]) == 21327
    assert len(trend.previous) == 12 and len(trend.current) == 6


def test_trend_chart_svg(sample_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "trend.svg"
    result = run_pcp(
        [
            "chart",
            "trend",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            "calls-999",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.stderr
    root = ET.fromstring(out.read_bytes())
    assert root.tag.endswith("svg")
    text = out.read_text()
    assert "2018/19" in text and "2017/18" in text


def test_chart_needs_a_known_suffix(sample_store: Path, tmp_path: Path) -> None:
    result = run_pcp(
        [
            "chart",
            "trend",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--kpi",
            "all-crime",
            "-o",
            str(tmp_path / "x.gif"),
        ]
    )
    assert result.exit_code == 2 and ".png or .svg" in result.stderr


def test_rank_and_funnel_chart_data() -> None:
    bars = rank_bar_chart(
        kpi_label="All crime",
        period_label="Q3 2018/19",
        forces=["A", "B", "C"],
        rates=[3.0, 1.0, 2.0],
        home="C",
        mean=2.0,
        lower=0.5,
        upper=3.5,
    )
    assert bars.data["force"].to_list() == ["B", "C", "A"]
    assert bars.render("png")[:4] == b"\x89PNG"
    bars.close()
    funnel = funnel_chart(
        kpi_label="All crime",
        period_label="Q3 2018/19",
        forces=["A", "B"],
        counts=[100, 300],
        populations=[10_000, 20_000],
        home="A",
    )
    assert funnel.data["rate"].to_list() == pytest.approx([10.0, 15.0])
    assert funnel.data["group_rate"][0] == pytest.approx(400 / 30_000 * 1000)
    assert b"<svg" in funnel.render("svg")
    funnel.close()
    assert isinstance(funnel.data, pl.DataFrame)
