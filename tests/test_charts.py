"""Charts: valid PNG/SVG files of sensible size whose plotted data match the analysis."""

from __future__ import annotations

import re
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


# -- SVG drawn straight from Python: well-formed, accessible, legible in print -------------

SVG_NS = "{http://www.w3.org/2000/svg}"
APR_2018 = 2018 * 12 + 3


def svg_root(chart_svg: str) -> ET.Element:
    """An inline chart (no namespace) parsed as XML: fails if it is not well-formed."""
    return ET.fromstring(chart_svg)


def texts(root: ET.Element, cls: str | None = None) -> list[ET.Element]:
    found = [e for e in root.iter("text")]
    return [e for e in found if cls is None or cls in (e.get("class") or "").split()]


def sample_trend(**extra: object) -> object:
    from pcp_cli.charts import trend_chart

    return trend_chart(
        kpi_label='All crime <"Q2"> & more',
        unit="crimes",
        force_name="Leicestershire",
        current_label="2018/19",
        current=[7100.0, 7300.0, 7200.0, 7800.0, 7700.0, 7600.0],
        previous_label="2017/18",
        previous=[float(7000 + 10 * i) for i in range(12)],
        **extra,  # type: ignore[arg-type]
    )


def sample_spc(**extra: object) -> object:
    from pcp_cli.charts import spc_chart
    from pcp_cli.stats.spc import XmrOptions, xmr_analysis

    values = [10.0, 12, 11, 13, 12, 30, 11, 12, 10, 11, 12, 13, 5, 4, 3, 4, 5, 3, 4, 4]
    result = xmr_analysis(values, XmrOptions(improvement_direction="decrease"))
    return spc_chart(
        kpi_label="Burglary",
        unit="crimes",
        force_name="Leicestershire",
        months=list(range(APR_2018, APR_2018 + len(values))),
        points=result.points,
        method_note="XmR. Source: counts.",
        **extra,  # type: ignore[arg-type]
    )


def test_min_font_size_is_8pt_at_the_printed_width() -> None:
    from pcp_cli.charts import min_font_size

    # 640 viewBox units printed 165 mm wide: 165 mm = 467.7 pt, so 8 pt = 10.95 units.
    assert min_font_size() == pytest.approx(8 * 640 / (165 / 25.4 * 72))
    assert min_font_size() == pytest.approx(10.946, abs=1e-3)
    assert min_font_size(320, 165) == pytest.approx(min_font_size() / 2)


@pytest.mark.parametrize("make", [sample_trend, sample_spc])
def test_svg_chart_is_well_formed_accessible_and_legible(make: object) -> None:
    from pcp_cli.charts import Chart, min_font_size

    chart = make()  # type: ignore[operator]
    assert isinstance(chart, Chart)
    svg = chart.svg("c3")
    root = svg_root(svg)
    assert root.tag == "svg" and root.get("role") == "img"
    view = [float(v) for v in (root.get("viewBox") or "").split()]
    assert view[:3] == [0, 0, 640] and view[3] > 200
    # Alt text: <title> the chart's title, <desc> and aria-label the alt text.
    assert root.findtext("title") == chart.title
    assert root.findtext("desc") == chart.alt == root.get("aria-label")
    # Every id is prefixed, so several charts can share a page.
    assert all(e.get("id", "c3-").startswith("c3-") for e in root.iter())
    # Axis titles with units.
    axis = [t.text for t in texts(root, "axis-title")]
    assert "crimes per month" in axis and len(axis) == 2
    # No text under 8 pt on paper at the report's size.
    sizes = [float(t.get("font-size") or 0) for t in texts(root)]
    assert sizes and min(sizes) >= min_font_size()
    # A standalone file is an SVG document in the SVG namespace.
    doc = ET.fromstring(chart.render("svg"))
    assert doc.tag == f"{SVG_NS}svg"


def test_svg_text_is_escaped() -> None:
    chart = sample_trend()
    svg = chart.svg("c1")  # type: ignore[attr-defined]
    assert '<"Q2">' not in svg and "&lt;&quot;Q2&quot;&gt; &amp; more" in svg
    assert (
        svg_root(svg).findtext("title")
        == 'All crime <"Q2"> & more: 2018/19 against 2017/18, Leicestershire'
    )


def test_trend_alt_text_states_the_latest_month_and_the_trend() -> None:
    alt = sample_trend().alt  # type: ignore[attr-defined]
    # Sep 2018/19 7,600 against Sep 2017/18 7,050: up 7.8%.
    assert "Latest month, Sep 2018/19: 7,600 crimes against 7,050 in 2017/18 (up 7.8%)" in alt
    # Apr..Sep: 44,700 against 42,150 (up 6.0%).
    assert "total 44,700 against 42,150 in the same months of 2017/18 (up 6.0%)" in alt


def test_spc_alt_text_states_latest_value_limits_trend_and_signals() -> None:
    from pcp_cli.stats.spc import XmrOptions, xmr_analysis

    chart = sample_spc()
    values = chart.data["value"].to_list()  # type: ignore[attr-defined]
    summary = xmr_analysis(values, XmrOptions(improvement_direction="decrease")).summary
    alt = chart.alt  # type: ignore[attr-defined]
    assert "Latest value, Nov 2019: 4 crimes." in alt
    lpl = chart.data["lpl"][-1]  # type: ignore[attr-defined]
    upl = chart.data["upl"][-1]  # type: ignore[attr-defined]
    assert f"Mean {summary.current.mean:.2f}".rstrip("0") in alt
    assert f"process limits {lpl:,.2f} to {upl:,.2f}" in alt
    assert "the values fell: the first 6 average 14.7, the last 6 3.8" in alt
    assert "concern at Apr 2018" in alt and "improvement at" in alt


def test_special_cause_points_read_without_colour() -> None:
    root = svg_root(sample_spc().svg("c1"))  # type: ignore[attr-defined]
    points = [e for e in root.iter("path") if "point" in (e.get("class") or "").split()]
    kinds = {(e.get("class") or "").split()[1] for e in points}
    assert {"special_cause_concern", "special_cause_improvement"} <= kinds
    # Concern and improvement differ in shape (the outline about its centre), not only in fill.
    shapes: dict[str, set[tuple[int, ...]]] = {}
    for e in points:
        corners = [
            (float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", e.get("d") or "")
        ]
        cx = sum(x for x, _ in corners) / len(corners)
        cy = sum(y for _, y in corners) / len(corners)
        outline = tuple(round(v) for x, y in corners for v in (x - cx, y - cy))
        shapes.setdefault((e.get("class") or "").split()[1], set()).add(outline)
    assert not shapes["special_cause_concern"] & shapes["special_cause_improvement"]
    # Improvement points up (apex above the centre), concern down.
    assert all(o[1] < 0 for o in shapes["special_cause_improvement"])
    assert all(o[1] > 0 for o in shapes["special_cause_concern"])
    letters = [t.text for t in texts(root, "point-letter")]
    n_special = sum(1 for e in points if "common_cause" not in (e.get("class") or ""))
    assert len(letters) == n_special and {"C", "I"} <= set(letters)
    legend = [t.text or "" for t in texts(root, "legend")]
    assert "special cause: concern (C)" in legend and "special cause: improvement (I)" in legend


def test_events_are_marked_on_trend_and_spc() -> None:
    from pcp_cli.charts import ChartEvent

    lockdown = ChartEvent(2018 * 12 + 6, "Lockdown")  # Jul 2018
    trend = sample_trend(events=[lockdown, (2019 * 12 + 1, "New system")])
    root = svg_root(trend.svg("t"))  # type: ignore[attr-defined]
    lines = [e for e in root.iter("line") if (e.get("class") or "") == "marker event"]
    labels = [t.text for t in texts(root, "marker-label")]
    assert labels == ["Lockdown", "New system"] and len(lines) == 2
    # At the start of July (slot 3 of Apr..Mar) and of February (slot 10): x = 74 + 3 * 46.
    assert float(lines[0].get("x1") or 0) == pytest.approx(74 + 3 * 552 / 12, abs=0.1)
    assert float(lines[1].get("x1") or 0) == pytest.approx(74 + 10 * 552 / 12, abs=0.1)
    assert "Marked: Lockdown (Jul); New system (Feb)." in trend.alt  # type: ignore[attr-defined]
    # An event outside the year is not drawn.
    other = sample_trend(events=[(2017 * 12 + 6, "Earlier")])
    assert not texts(svg_root(other.svg("o")), "marker-label")  # type: ignore[attr-defined]
    spc = sample_spc(events=[lockdown])
    root = svg_root(spc.svg("s"))  # type: ignore[attr-defined]
    assert [t.text for t in texts(root, "marker-label")] == ["Lockdown"]


def test_spc_limits_restart_per_segment() -> None:
    from pcp_cli.charts import ChartEvent

    restart = ChartEvent(APR_2018 + 12, "Lockdown", restarts_limits=True)  # Apr 2019
    chart = sample_spc(events=[restart])
    root = svg_root(chart.svg("s"))  # type: ignore[attr-defined]
    means = [e for e in root.iter("polyline") if e.get("class") == "limit mean"]
    assert len(means) == 2
    xs = [[float(p.split(",")[0]) for p in (m.get("points") or "").split()] for m in means]
    boundary = float(
        next(e for e in root.iter("line") if "restart" in (e.get("class") or "")).get("x1") or 0
    )
    assert max(xs[0]) < boundary < min(xs[1])
    assert len(xs[0]) == 12 and len(xs[1]) == 8
    for column in ("upl", "lpl", "upper_band", "lower_band"):
        assert sum(1 for e in root.iter("polyline") if e.get("class") == f"limit {column}") == 2
    # The same from limit_restarts alone; the alt text says so.
    again = sample_spc(limit_restarts=[APR_2018 + 12])
    assert "worked out from Apr 2019; 2 sets of limits" in again.alt  # type: ignore[attr-defined]
    assert "limits restart" in [
        t.text
        for t in texts(svg_root(again.svg("a")), "marker-label")  # type: ignore[attr-defined]
    ]
    # Without a restart: one segment.
    plain = svg_root(sample_spc().svg("p"))  # type: ignore[attr-defined]
    assert sum(1 for e in plain.iter("polyline") if e.get("class") == "limit mean") == 1


def test_png_charts_are_print_sized_with_events() -> None:
    from matplotlib.text import Text

    for chart in (
        sample_trend(events=[(2018 * 12 + 6, "Lockdown")]),
        sample_spc(events=[(2019 * 12 + 3, "Lockdown")], limit_restarts=[2019 * 12 + 3]),
    ):
        try:
            figure = chart.figure  # type: ignore[attr-defined]
            assert figure.get_figwidth() == pytest.approx(165 / 25.4)
            assert chart.render("png")[:4] == b"\x89PNG"  # type: ignore[attr-defined]
            shown = [t for t in figure.findobj(Text) if t.get_text() and t.get_visible()]
            assert "Lockdown" in [t.get_text() for t in shown]
            assert min(t.get_fontsize() for t in shown) >= 8
        finally:
            chart.close()  # type: ignore[attr-defined]


def test_report_charts_carry_alt_text(sample_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = run_pcp(
        [
            "report",
            "--store",
            str(sample_store),
            "--force",
            "leicestershire",
            "--period",
            "Q2 2018/19",
            "--charts",
            "all",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.stderr
    charts = re.findall(r'<svg class="chart".*?</svg>', out.read_text(), flags=re.S)
    assert len(charts) > 10
    for chart in charts:
        root = svg_root(chart)
        desc = root.findtext("desc") or ""
        # The report's own plain-words alt text (pcp_cli.report.svg.alt_text).
        assert root.get("aria-label") == desc and "the latest month is" in desc.lower()
        if ": monthly, " in (root.findtext("title") or ""):
            assert "the normal range" in desc
            assert "normal range" in [t.text for t in texts(root, "legend")]


def test_rank_charts_as_svg_are_accessible_and_legible() -> None:
    from pcp_cli.charts import min_font_size

    bars = rank_bar_chart(
        kpi_label="All crime",
        period_label="Q3 2018/19",
        forces=["Kent", "Essex", "Leicestershire & <Rutland>"],
        rates=[90.0, 70.0, 84.25],
        home="Leicestershire & <Rutland>",
        mean=81.4,
        lower=60.9,
        upper=101.9,
        ci_lower=[89.0, 69.0, 83.7],
        ci_upper=[91.0, 71.0, 84.8],
        ranks=[3, 1, 2],
    )
    funnel = funnel_chart(
        kpi_label="All crime",
        period_label="Q3 2018/19",
        forces=["A", "B", "C"],
        counts=[100, 300, 2000],
        populations=[10_000, 20_000, 150_000],
        home="A",
    )
    assert "Leicestershire & <Rutland>: 84.25 per 1,000 population, rank 2." in bars.alt
    assert "Control lines 60.9 to 101.9." in bars.alt
    assert "A: 10; 95% limits at its size" in funnel.alt
    assert f"Group rate {2400 / 180_000 * 1000:.2f}" in funnel.alt
    for chart, x_title in ((bars, "per 1,000 population"), (funnel, "population")):
        root = svg_root(chart.svg("r"))
        assert root.findtext("desc") == chart.alt == root.get("aria-label")
        assert [
            t.text for t in texts(root, "axis-title") if "x" in (t.get("class") or "").split()
        ] == [x_title]
        assert min(float(t.get("font-size") or 0) for t in texts(root)) >= min_font_size()
        assert all(e.get("id", "r-").startswith("r-") for e in root.iter())
    # One bar per force, the home force's hatched; its name is escaped and in bold.
    root = svg_root(bars.svg("b"))
    fills = [e.get("fill") for e in root.iter("rect") if e.get("class") == "bar"]
    assert fills.count("url(#b-home)") == 1 and len(fills) == 3
    assert any(
        t.text == "Leicestershire & <Rutland>" and t.get("font-weight") == "bold"
        for t in texts(root)
    )
    assert bars.render("png")[:4] == b"\x89PNG"
    bars.close()
