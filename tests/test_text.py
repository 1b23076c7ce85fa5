"""Formatting never misstates (pcp_cli.text): the cases of issue 11 and the basics."""

from __future__ import annotations

import math

import pytest

from pcp_cli import text
from pcp_cli.cli.output import fmt_number, fmt_value, sparkline


@pytest.mark.parametrize(
    ("p", "alpha", "shown"),
    [
        (0.04996, 0.05, "p = 0.04996"),  # significant: never "0.050"
        (0.0499958, 0.05, "p = 0.049996"),
        (0.0500245, 0.05, "p = 0.050"),  # not significant, and 0.050 says so
        (0.012, 0.05, "p = 0.012"),
        (0.00049, 0.05, "p < 0.001"),
        (0.0099951, 0.01, "p = 0.009995"),
        (0.5, 0.05, "p = 0.500"),
        (None, 0.05, ""),
        (math.nan, 0.05, ""),
    ],
)
def test_p_value_stays_on_its_side_of_alpha(p: float | None, alpha: float, shown: str) -> None:
    assert text.p_value(p, alpha) == shown
    if p is not None and math.isfinite(p) and p >= 0.001:
        printed = float(shown.removeprefix("p = "))
        assert (printed < alpha) == (p < alpha)


@pytest.mark.parametrize(
    ("pct", "shown"),
    [
        (-0.04, "−0.04%"),
        (0.004, "+0.004%"),
        (-0.0000001, "+0.000000%"),  # beyond six decimals: zero, and unsigned as zero
        (8.388427814507432, "+8.4%"),
        (-12.04, "−12.0%"),
        (0.0, "+0.0%"),
        (None, "–"),
    ],
)
def test_a_change_that_is_not_zero_is_not_printed_as_zero(pct: float | None, shown: str) -> None:
    assert text.percent_change(pct) == shown


def test_an_interval_has_the_decimals_of_its_rate() -> None:
    assert text.interval(2.3456, 3.1, 3) == "2.346–3.100"
    assert text.interval(None, 3.1, 3) == "–"
    assert text.number(-1234.5, 1) == "−1,234.5"
    assert text.value(23116.0, "crimes") == "23,116"
    assert text.value(61.25, "%") == "61.2%"


def test_rank_table_prints_the_interval_with_the_rates_decimals(sample_store) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import run_pcp

    result = run_pcp(
        ["rank", "--store", str(sample_store), "--force", "leicestershire", "--kpi",
         "all-crime", "--period", "Q2 2018/19", "--format", "table"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    import re

    rates = re.findall(r"\b\d+\.(\d+)–\d+\.(\d+)\b", result.stdout)
    assert rates and all(len(a) == 3 and len(b) == 3 for a, b in rates)


def test_the_cli_formatters_are_the_text_module() -> None:
    assert fmt_number is text.number and fmt_value is text.value and sparkline is text.sparkline
    assert sparkline([1.0, 2.0, float("nan"), 3.0]) == "▁▅ █"


def test_level_and_probability() -> None:
    """A projected level is shown as the KPI's values are; a chance never prints as nil or
    certain unless it is (the project summary once said 'P(target met) = 0.0%' for 2e-14)."""
    from pcp_cli.text import level, probability

    assert (level(8988.9, "crimes"), level(87.3, "crimes"), level(99.5, "")) == (
        "8,989", "87", "100",
    )  # fmt: skip
    assert (level(61.04, "%"), level(None, "%"), level(-0.4, "")) == ("61.0%", "–", "0")
    assert [probability(p) for p in (2.3e-14, 0.0004, 0.0005, 0.905, 0.9996, 1.0, 0.0)] == [
        "< 0.1%", "< 0.1%", "0.1%", "90.5%", "> 99.9%", "100.0%", "0.0%",
    ]  # fmt: skip
    assert probability(None) == "–"


def test_change_of_monthly_averages_reads_the_same_everywhere() -> None:
    """compare and the report print a change of monthly averages alike (they once printed
    '−24 a month' and '−23.67')."""
    from pcp_cli.text import MONTHLY_AVERAGE, change

    assert change(-23.67, "crimes", MONTHLY_AVERAGE) == "−24 a month"
    assert change(4.25, "crimes", MONTHLY_AVERAGE) == "+4.2 a month"
    assert change(-23.67, "crimes") == "−23.67"
    assert change(1.25, "%", MONTHLY_AVERAGE) == "+1.2 pts"
