"""`pcp check`: breaches on stdout, a summary on stderr, and exit codes a cron job can use.

Exit 0: nothing breaches. Exit 10 (EXIT_BREACH): the numbers need attention. Exit 2-6:
the job itself failed. The figures are the samples' (Leicestershire, Apr 2016 - Mar 2019,
and the Home Office table for all 43 forces).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.analysis.check import DEFAULT_FAIL_ON, parse_fail_on
from pcp_cli.errors import EXIT_BREACH, UsageError
from tests.conftest import Result, run_pcp


def check(store: Path, *args: str, force: str = "leicestershire") -> Result:
    return run_pcp(["check", "--store", str(store), "--force", force, *args])


def rows(result: Result) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(result.stdout_bytes), infer_schema_length=None)


def test_breach_exits_10_with_one_line_per_breach(sample_store: Path) -> None:
    result = check(
        sample_store, "--kpi", "all-crime,missing-persons,domestic-incidents", "--format", "csv"
    )
    assert result.exit_code == EXIT_BREACH == 10, result.stderr
    found = rows(result)
    # Default --fail-on red,exceptional: the SPC of both rising KPIs is exceptional high.
    assert found.select("kpi", "check", "status", "rule").rows() == [
        ("all-crime", "spc", "exceptional high", "exceptional"),
        ("missing-persons", "spc", "exceptional high", "exceptional"),
    ]
    crime = found.row(0, named=True)
    assert crime["force"] == "leicestershire" and crime["breach"] is True
    assert crime["value"] == 7861  # Mar 2019, the latest month
    assert crime["reference"] == pytest.approx(6741.194444444, abs=1e-6)  # the SPC mean
    assert "2 of the last 3 months above the upper limit 7,790" in crime["detail"]
    assert "2019-01: 7,961; 2019-03: 7,861" in crime["detail"]
    assert "special cause concern" in crime["detail"]
    missing = found.row(1, named=True)
    assert "2019-01: 509; 2019-02: 489; 2019-03: 514" in missing["detail"]
    summary = [line for line in result.stderr.splitlines() if "pcp: check" in line]
    assert summary == [
        "pcp: check 12m to 2019-03, Leicestershire: 3 KPI(s), 7 checks, fail on "
        "red,exceptional: 2 breaches (exceptional 2)"
    ]


def test_no_breach_exits_0(sample_store: Path) -> None:
    result = check(sample_store, "--kpi", "domestic-incidents,incidents-grade-1", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert rows(result).height == 0
    assert result.stdout.startswith("force,force_name,section,kpi,")
    assert "fail on red,exceptional: no breaches" in result.stderr


def test_all_lists_every_finding_and_keeps_the_exit_code(sample_store: Path) -> None:
    result = check(
        sample_store,
        "--kpi",
        "all-crime,calls-999,asb-incidents",
        "--fail-on",
        "worse",
        "--fail-on",
        "significant-increase",
        "--check",
        "compare",
        "--all",
        "--format",
        "json",
    )
    assert result.exit_code == 10, result.stderr
    found = {r["kpi"]: r for r in json.loads(result.stdout)}
    crime = found["all-crime"]
    # 92,100 against 81,877: a significant increase of a lower-is-better KPI is worse.
    assert (crime["value"], crime["reference"]) == (92100.0, 81877.0)
    assert crime["change"] == 10223.0
    assert crime["status"] == "significant increase"
    assert crime["breach"] is True and crime["rule"] == "worse,significant-increase"
    # Allowing for all crime's own month-to-month variation, the p is far above the plain
    # Poisson one (< 1e-100) and still below 0.05.
    assert crime["p_value_poisson"] < 1e-100
    assert crime["dispersion"] > 1 and 1e-100 < crime["p_value"] < 0.05
    # 999 calls rose significantly too, but a neutral KPI never breaches on direction.
    calls = found["calls-999"]
    assert calls["status"] == "significant increase" and calls["breach"] is False
    assert calls["rule"] is None
    # ASB fell significantly: better for a lower-is-better KPI, and not an increase.
    asb = found["asb-incidents"]
    assert asb["status"] == "significant decrease" and asb["breach"] is False
    assert asb["detail"].endswith("better")


def test_significant_decrease_rule_respects_polarity(sample_store: Path) -> None:
    result = check(
        sample_store,
        "--kpi",
        "asb-incidents,positive-outcomes,incidents",
        "--fail-on",
        "significant-decrease",
        "--check",
        "compare",
        "--format",
        "csv",
    )
    assert result.exit_code == 10, result.stderr
    found = rows(result)
    # Incidents (neutral) fell significantly too but is not a breach.
    assert found["kpi"].to_list() == ["asb-incidents", "positive-outcomes"]
    outcomes = found.row(1, named=True)
    assert (outcomes["value"], outcomes["reference"]) == (8669, 10490)
    worse = check(
        sample_store,
        "--kpi",
        "asb-incidents,positive-outcomes",
        "--fail-on",
        "worse",
        "--check",
        "compare",
        "--format",
        "csv",
    )
    # Fewer positive outcomes is worse (higher is better); less ASB is not.
    assert worse.exit_code == 10
    assert rows(worse)["kpi"].to_list() == ["positive-outcomes"]


def test_survey_rag(sample_store: Path) -> None:
    amber = check(
        sample_store,
        "--kpi",
        "victim-satisfaction",
        "--check",
        "survey",
        "--fail-on",
        "amber",
        "--format",
        "csv",
    )
    assert amber.exit_code == 10, amber.stderr
    row = rows(amber).row(0, named=True)
    assert (row["check"], row["status"], row["rag"], row["rule"]) == (
        "survey",
        "AMBER",
        "AMBER",
        "amber",
    )
    assert row["value"] == pytest.approx(74.08041060735671, abs=1e-9)
    assert row["reference"] == pytest.approx(75.9349593495935, abs=1e-9)
    assert "no statistical evidence of change" in row["detail"]
    red = check(
        sample_store, "--kpi", "victim-satisfaction", "--check", "survey", "--fail-on", "red"
    )
    assert red.exit_code == 0, red.stderr


def test_msg_rag(sample_store: Path) -> None:
    amber = check(
        sample_store,
        "--kpi",
        "all-crime",
        "--check",
        "rank",
        "--fail-on",
        "red,amber",
        "--format",
        "csv",
    )
    assert amber.exit_code == 10, amber.stderr
    row = rows(amber).row(0, named=True)
    # The same figures as `pcp rank --kpi all-crime --period 12m` (prc, mid-2018 populations).
    assert row["value"] == pytest.approx(92100 / 1_093_200 * 1000, rel=1e-12)
    assert row["reference"] == pytest.approx(84.352, abs=5e-4)
    assert (row["status"], row["rule"], row["reference_label"]) == ("AMBER", "amber", "MSG mean")
    assert "rank 5 of 8 in the MSG" in row["detail"]
    assert check(sample_store, "--kpi", "all-crime", "--check", "rank").exit_code == 0
    # City of London has no MSG: national comparison, 737.6 per 1,000 is far above the line.
    city = check(
        sample_store,
        "--kpi",
        "all-crime",
        "--check",
        "rank",
        "--format",
        "csv",
        force="city-of-london",
    )
    assert city.exit_code == 10
    assert "no Most Similar Group" in city.stderr
    red = rows(city).row(0, named=True)
    assert (red["status"], red["rule"]) == ("RED", "red")
    assert "rank 43 of 43 nationally" in red["detail"]


# -- the job failed: usual exit codes, nothing on stdout ---------------------------------------


def test_bad_kpi_file_exits_3(sample_store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "kpis.toml"
    bad.write_text('schema = 1\n[kpi.x]\nlabel = ""\n')
    result = check(sample_store, "--kpis", str(bad))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "kpis.toml" in result.stderr


def test_empty_store_exits_5(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = check(tmp_path / "empty")
    assert result.exit_code == 5
    assert result.stdout == ""
    assert "empty or does not exist" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "purple"], "--fail-on purple: unknown rule"),
        (["--check", "vibes"], "--check vibes: unknown check"),
        (["--recent", "0"], "--recent"),
        (["--period", "Q7"], "Q7"),
        (["--kpi", "no-such-kpi"], "no-such-kpi"),
    ],
)
def test_bad_option_exits_2(sample_store: Path, args: list[str], message: str) -> None:
    result = check(sample_store, *args)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert message in result.stderr


def test_nothing_checkable_exits_5(sample_store: Path) -> None:
    # Only Leicestershire has 999 call figures: no MSG comparison is possible.
    result = check(sample_store, "--kpi", "calls-999", "--check", "rank")
    assert result.exit_code == 5
    assert "nothing to check" in result.stderr


def test_parse_fail_on() -> None:
    assert parse_fail_on([]) == DEFAULT_FAIL_ON == ("red", "exceptional")
    assert parse_fail_on(["Red, amber", "worse", "red"]) == ("red", "amber", "worse")
    with pytest.raises(UsageError):
        parse_fail_on(["red,orange"])
