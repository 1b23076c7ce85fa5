"""The CLI's shared helpers: options handed over as one value, the table rows laid out once,
a file's format from its name, the --check words, the XmR presets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import polars as pl
import pytest
from click.testing import CliRunner

from pcp_cli.analysis.check import parse_checks
from pcp_cli.cli import options as opt
from pcp_cli.cli.output import RowsLayout, format_named, rows_view
from pcp_cli.cli.xmr_options import XmrChoices
from pcp_cli.errors import UsageError
from pcp_cli.periods import parse_month


@dataclass(frozen=True)
class _Pair:
    first: str
    second: int


def test_bundled_options_reach_the_command_as_one_value() -> None:
    seen: dict[str, Any] = {}

    @click.command()
    @opt.bundled(
        _Pair,
        "pair",
        click.option("--first", default="a"),
        click.option("--second", type=int, default=1),
    )
    @click.option("--other", default="x")
    def command(pair: _Pair, other: str) -> None:
        seen.update(pair=pair, other=other)

    result = CliRunner().invoke(command, ["--second", "7", "--other", "y"])
    assert result.exit_code == 0, result.output
    assert seen == {"pair": _Pair("a", 7), "other": "y"}
    shown = CliRunner().invoke(command, ["--help"]).output
    assert shown.index("--first") < shown.index("--second") < shown.index("--other")


def test_question_carries_the_five_options() -> None:
    seen: list[opt.Question] = []

    @click.command()
    @opt.question(period_default="12m")
    def command(question: opt.Question) -> None:
        seen.append(question)

    args = ["--kpi", "burglary", "--vs", "previous", "--force", "kent", "--to", "2018-09"]
    assert CliRunner().invoke(command, args).exit_code == 0
    assert seen == [opt.Question("burglary", "12m", "previous", ("kent",), "2018-09")]


def test_rows_view_lays_out_cells_emphasis_and_rag_colours() -> None:
    frame = pl.DataFrame(
        {"name": ["a", "b", "c"], "rag": ["RED", "NONE", "GREEN"], "home": [True, False, False]}
    )
    layout = RowsLayout(
        ["Name", "RAG"],
        {1},
        cells=lambda r: [r["name"].upper(), r["rag"]],
        row_style=lambda r: "bold" if r["home"] else None,
        rag=("RAG", "rag"),
    )
    view = rows_view(frame, layout, "Title", "Caption")
    assert view.rows == [["A", "RED"], ["B", "NONE"], ["C", "GREEN"]]
    assert view.row_styles == ["bold", None, None]
    assert view.cell_styles == {(0, 1): "red", (2, 1): "green"}  # NONE: no colour
    assert (view.title, view.headers, view.right_align, view.caption) == (
        "Title",
        ["Name", "RAG"],
        {1},
        "Caption",
    )


def test_format_named_reads_the_suffix_in_any_case() -> None:
    formats = {".svg": "svg", ".png": "png"}
    assert format_named(Path("out/Chart.SVG"), formats, "chart", "hint") == "svg"
    with pytest.raises(UsageError) as caught:
        format_named(Path("out/chart.gif"), formats, "chart", "name the file .png or .svg")
    assert str(caught.value).startswith("cannot tell the chart format from 'chart.gif'")
    assert "name the file .png or .svg" in str(caught.value)


def test_parse_checks_words_once_in_order_any_case() -> None:
    assert parse_checks([]) == ("compare", "survey", "spc", "rank")
    assert parse_checks(["SPC, rank", "spc", "compare"]) == ("spc", "rank", "compare")
    with pytest.raises(UsageError) as caught:
        parse_checks(["spc,msg"])
    message = str(caught.value)
    assert message.startswith("--check msg: unknown check")
    assert "use one or more of compare, survey, spc, rank" in message
    assert "comma-separated" not in message


def test_xmr_presets_fill_what_is_not_given() -> None:
    given = XmrChoices("mdc-excel", None, None, "6", "ignore", 12, ("2020-04",), 100.0)
    options = given.spc_options(alpha=0.01)
    chart = options.chart
    assert (chart.screen_outliers, chart.two_in_three) == (False, "mdc2023")  # the preset's
    assert (chart.trend_length, chart.shift_length) == (6, 6)
    assert (chart.trend_ties, chart.fix_after_n_points) == ("ignore", 12)
    assert options.rebase == (parse_month("2020-04"),)
    assert (chart.target, options.alpha) == (100.0, 0.01)
    explicit = XmrChoices("nhsr", False, "mdc2023", "7", "break", None, (), None).spc_options()
    assert (explicit.chart.screen_outliers, explicit.chart.two_in_three) == (False, "mdc2023")
    assert explicit.chart.trend_length == 7
