"""Police financial-year periods: every syntax, boundaries and errors."""

from __future__ import annotations

import pytest

from pcp_cli.errors import UsageError
from pcp_cli.periods import (
    Period,
    baseline_for,
    describe,
    financial_quarter,
    financial_year_start,
    month_index,
    month_text,
    parse_month,
    parse_period,
)

M = parse_month


def span(p: Period) -> tuple[str, str]:
    return month_text(p.start), month_text(p.end)


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("Q2 2018/19", ("2018-07", "2018-09"), "quarter"),
        ("2018/19 Q2", ("2018-07", "2018-09"), "quarter"),
        ("q3 18/19", ("2018-10", "2018-12"), "quarter"),
        ("Q4 2018/19", ("2019-01", "2019-03"), "quarter"),  # Q4 is January-March of the next year
        ("Q1 2019/20", ("2019-04", "2019-06"), "quarter"),
        ("2018/19", ("2018-04", "2019-03"), "financial-year"),
        ("FY2018/19", ("2018-04", "2019-03"), "financial-year"),
        ("2018/2019", ("2018-04", "2019-03"), "financial-year"),
        ("1999/00", ("1999-04", "2000-03"), "financial-year"),
        ("2018-07", ("2018-07", "2018-07"), "month"),
        ("2018-07..2018-09", ("2018-07", "2018-09"), "quarter"),
        ("2018-11..2019-02", ("2018-11", "2019-02"), "range"),
        ("12m to 2022-09", ("2021-10", "2022-09"), "rolling"),
        ("FYTD 2018/19 to 2018-09", ("2018-04", "2018-09"), "fytd"),
    ],
)
def test_explicit_periods(text: str, expected: tuple[str, str], kind: str) -> None:
    period = parse_period(text)
    assert span(period) == expected
    assert period.kind == kind


@pytest.mark.parametrize(
    ("text", "latest", "expected"),
    [
        # Q2 means the latest financial year whose Q2 is complete.
        ("Q2", "2018-09", ("2018-07", "2018-09")),
        ("Q2", "2018-08", ("2017-07", "2017-09")),
        ("Q2", "2019-03", ("2018-07", "2018-09")),
        ("Q4", "2019-03", ("2019-01", "2019-03")),
        ("Q4", "2019-02", ("2018-01", "2018-03")),
        ("Q1", "2019-04", ("2018-04", "2018-06")),
        ("Q3", "2019-01", ("2018-10", "2018-12")),
        ("12m", "2022-09", ("2021-10", "2022-09")),
        ("rolling-12", "2019-01", ("2018-02", "2019-01")),
        ("24m", "2019-03", ("2017-04", "2019-03")),
        ("FYTD", "2018-09", ("2018-04", "2018-09")),
        ("FYTD", "2019-01", ("2018-04", "2019-01")),  # January is still the 2018/19 year
        ("FYTD", "2019-04", ("2019-04", "2019-04")),  # April starts a new year
        ("FYTD", "2019-03", ("2018-04", "2019-03")),
        ("FYTD 2017/18", "2019-03", ("2017-04", "2018-03")),
    ],
)
def test_relative_periods(text: str, latest: str, expected: tuple[str, str]) -> None:
    assert span(parse_period(text, latest=M(latest))) == expected


def test_financial_year_boundaries() -> None:
    assert financial_year_start(M("2019-03")) == 2018
    assert financial_year_start(M("2019-04")) == 2019
    assert financial_year_start(M("2018-12")) == 2018
    assert financial_year_start(M("2019-01")) == 2018
    assert [financial_quarter(M(f"2018-{m:02d}")) for m in range(1, 13)] == [
        4,
        4,
        4,
        1,
        1,
        1,
        2,
        2,
        2,
        3,
        3,
        3,
    ]


def test_december_january_arithmetic() -> None:
    assert month_text(M("2018-12") + 1) == "2019-01"
    assert month_text(M("2019-01") - 1) == "2018-12"
    assert M("2019-01") - M("2018-12") == 1


def test_baselines() -> None:
    q2 = parse_period("Q2 2018/19")
    assert baseline_for(q2, "last-year").label == "Q2 2017/18"
    assert baseline_for(q2, "previous").label == "Q1 2018/19"
    q1 = parse_period("Q1 2018/19")
    assert baseline_for(q1, "previous").label == "Q4 2017/18"
    assert span(baseline_for(q2, "2016-07..2016-09")) == ("2016-07", "2016-09")
    r12 = parse_period("12m", latest=M("2022-09"))
    assert span(baseline_for(r12, "last-year")) == ("2020-10", "2021-09")
    assert span(baseline_for(r12, "previous")) == ("2020-10", "2021-09")
    fytd = parse_period("FYTD", latest=M("2018-09"))
    assert span(baseline_for(fytd, "last-year")) == ("2017-04", "2017-09")


def test_labels_round_trip() -> None:
    for text in [
        "Q2 2018/19",
        "Q4 2018/19",
        "2018/19",
        "2018-07",
        "2018-11..2019-02",
        "12m to 2022-09",
        "FYTD 2018/19 to 2018-09",
    ]:
        period = parse_period(text)
        assert period.label == text
        assert parse_period(period.label) == period
    assert describe(M("2018-07"), M("2018-09")) == "Q2 2018/19"
    # Three months not aligned with a quarter stay a range.
    assert describe(M("2018-08"), M("2018-10")) == "2018-08..2018-10"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Q5",
        "Q2 2018/20",
        "2018/20",
        "2018-13",
        "2018-00",
        "13m to 2018-13",
        "yesterday",
        "2018-09..2018-07",
        "0m",
        "121m",
        "FYTD 2018/19 to 2019-05",
        "Q0 2018/19",
    ],
)
def test_malformed_periods_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_period(text, latest=M("2019-03"))


def test_relative_period_without_data_says_so() -> None:
    with pytest.raises(UsageError, match="latest month"):
        parse_period("Q2")


def test_month_index_rejects_bad_month() -> None:
    with pytest.raises(UsageError):
        month_index(2018, 13)
