"""The panel paper's content items (issue 12): year to date, targets, known events, ..."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pcp_cli.app.window import year_to_date
from pcp_cli.app.ytd import year_to_date_values
from pcp_cli.engine import Engine
from pcp_cli.kpis import load_catalogue
from pcp_cli.periods import month_text, parse_period
from pcp_cli.store import Store
from tests.conftest import REPO, run_pcp

FORCE = "leicestershire"
PERIOD = "Q2 2018/19"


@contextmanager
def engine(store: Path) -> Iterator[Engine]:
    catalogue = load_catalogue(REPO / "config" / "kpis.toml")
    with Store(store).reading() as reader:
        yield Engine(reader, catalogue)


def report_json(store: Path, *args: str) -> list[dict[str, Any]]:
    result = run_pcp(
        ["report", "--store", str(store), "--force", FORCE, "--period", PERIOD,
         "--charts", "none", "--format", "json", *args]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def kpi_rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["kpi"]: r for r in rows if r["part"] == "kpi"}


# -- year to date ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("period", "ytd", "baseline"),
    [
        ("Q2 2018/19", "2018-04..2018-09", "2017-04..2017-09"),
        ("Q4 2018/19", "2018-04..2019-03", "2017-04..2018-03"),  # January to March: same year
        ("2018-04", "2018-04..2018-04", "2017-04..2017-04"),
        ("12m to 2019-01", "2018-04..2019-01", "2017-04..2018-01"),
    ],
)
def test_year_to_date_is_april_to_the_periods_end(period: str, ytd: str, baseline: str) -> None:
    window = year_to_date(parse_period(period))
    assert f"{month_text(window.period.start)}..{month_text(window.period.end)}" == ytd
    assert f"{month_text(window.baseline.start)}..{month_text(window.baseline.end)}" == baseline


@pytest.fixture(scope="module")
def q2_report(sample_store: Path) -> dict[str, dict[str, Any]]:
    return kpi_rows(report_json(sample_store))


def test_seed_000_year_to_date_in_the_report(q2_report: dict[str, dict[str, Any]]) -> None:
    """Seed 000: all crime FYTD 46,025, +4,483 (April to September 2018 against 2017)."""
    crime = q2_report["all-crime"]
    assert crime["ytd_period"] == "FYTD 2018/19 to 2018-09"
    assert crime["ytd_baseline_period"] == "FYTD 2017/18 to 2017-09"
    assert (crime["ytd_value"], crime["ytd_baseline_value"]) == (46025, 41542)
    assert crime["ytd_change"] == 4483
    assert crime["ytd_pct_change"] == pytest.approx(100 * 4483 / 41542)


def test_year_to_date_equals_compare_of_the_fytd(
    sample_store: Path, q2_report: dict[str, dict[str, Any]]
) -> None:
    """The report's year to date is the figure `pcp compare --period FYTD` gives, for every
    KPI compare can work out (counts, ratios, quarterly Home Office tables)."""
    result = run_pcp(
        ["compare", "--store", str(sample_store), "--force", FORCE, "--kpi", "all",
         "--period", "FYTD 2018/19 to 2018-09", "--format", "csv"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    compared = pl.read_csv(io.BytesIO(result.stdout_bytes))
    checked = 0
    for row in compared.iter_rows(named=True):
        line = q2_report[row["kpi"]]
        if row["kpi"] in ("victim-satisfaction", "public-confidence", "asb-satisfaction"):
            assert line["ytd_value"] is None  # a survey is already a rolling year
            continue
        assert line["ytd_value"] == pytest.approx(row["value"]), row["kpi"]
        assert line["ytd_baseline_value"] == pytest.approx(row["baseline_value"]), row["kpi"]
        checked += 1
    assert checked >= 35
    # The quarterly Home Office figures are there too (Q1 + Q2).
    assert q2_report["violence-with-injury"]["ytd_value"] == 3477


def test_year_to_date_of_a_quarterly_series_cut_mid_quarter_is_not_shown(
    sample_store: Path,
) -> None:
    with engine(sample_store) as e:
        kpis = e.catalogue.kpis
        cut = year_to_date_values(e, kpis["violence-with-injury"], FORCE, parse_period("2018-08"))
        monthly = year_to_date_values(e, kpis["all-crime"], FORCE, parse_period("2018-08"))
    assert cut.value is None and cut.change is None
    assert monthly.value == 46025 - 7411  # April to August: September's 7,411 left out


# -- targets -----------------------------------------------------------------------------------
_KPI_FILE = """schema = 1
sections = ["Crime"]
[kpi.burglary]
label = "Burglary"
section = "Crime"
polarity = "{polarity}"
target = {target}
[kpi.burglary.count.street]
crime_type = "Burglary"
"""


@pytest.mark.parametrize(
    ("target", "polarity", "message"),
    [
        ('"-5%"', "lower-is-better", "a target is a table"),
        ('{ change = "five", vs = "2017/18", by = "2019-03" }', "lower-is-better",
         "change must be a percentage such as \"-5%\", not 'five'"),
        ('{ change = "-5%", by = "2019-03" }', "lower-is-better", "a change target needs 'vs'"),
        ('{ change = "-5%", value = 10, vs = "2017/18", by = "2019-03" }', "lower-is-better",
         "give either 'change' or 'value'"),
        ("{ value = nan, by = \"2019-03\" }", "lower-is-better",
         "value must be a finite number, not nan"),
        ("{ value = 10 }", "lower-is-better", "'by' (the target month, YYYY-MM) is required"),
        ('{ value = 10, by = "2019-13" }', "lower-is-better", "by must be a month YYYY-MM"),
        ('{ value = 10, by = "2019-03", vs = "Q9" }', "lower-is-better", "vs must be a period"),
        ('{ value = 10, by = "2019-03", series = "weekly" }', "lower-is-better",
         "series must be one of rolling-12, monthly"),
        ('{ value = 10, by = "2019-03", colour = "red" }', "lower-is-better",
         "unknown key 'colour'"),
        ('{ value = 10, by = "2019-03" }', "neutral", "a neutral KPI's target needs direction"),
    ],
)  # fmt: skip
def test_kpis_check_names_a_bad_target(
    tmp_path: Path, target: str, polarity: str, message: str
) -> None:
    path = tmp_path / "kpis.toml"
    path.write_text(_KPI_FILE.format(target=target, polarity=polarity), encoding="utf-8")
    result = run_pcp(["kpis", "check", str(path)])
    assert result.exit_code == 3
    assert f"{path}:7 [kpi.burglary.target]: {message}" in result.stderr
    assert "Traceback" not in result.stderr


def test_kpis_check_accepts_the_issues_two_forms(tmp_path: Path) -> None:
    for target in ('{ change = "-5%", vs = "2017/18", by = "2019-03" }',
                   '{ value = 8000, by = "2022-09", series = "monthly" }'):  # fmt: skip
        path = tmp_path / "kpis.toml"
        path.write_text(_KPI_FILE.format(target=target, polarity="lower-is-better"), "utf-8")
        result = run_pcp(["kpis", "check", str(path)])
        assert result.exit_code == 0, result.stderr


def _project(store: Path, kpi: str, *args: str) -> dict[str, Any]:
    result = run_pcp(
        ["project", "--store", str(store), "--force", FORCE, "--kpi", kpi, "--to", "2018-09",
         "--format", "json", *args]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    row: dict[str, Any] = json.loads(result.stdout)[0]
    return row


def test_the_reports_target_is_pcp_projects_answer(
    sample_store: Path, q2_report: dict[str, dict[str, Any]]
) -> None:
    """All crime's shipped target (5% below 2017/18 by March 2019): the report, `pcp project`
    with the KPI file's target and `pcp project` with the same target typed out agree."""
    typed = _project(sample_store, "all-crime", "--target", "-5%", "--by", "2019-03",
                     "--baseline", "2017/18", "--rolling-12")  # fmt: skip
    from_file = _project(sample_store, "all-crime")
    line = q2_report["all-crime"]
    assert from_file == typed
    # 2017/18's all crime, counted independently by compare, less 5%.
    year = run_pcp(["compare", "--store", str(sample_store), "--force", FORCE, "--kpi",
                    "all-crime", "--period", "2017/18", "--format", "json"])  # fmt: skip
    assert json.loads(year.stdout)[0]["value"] == 81877
    assert typed["target"] == pytest.approx(0.95 * 81877)
    assert line["target"] == pytest.approx(typed["target"])
    assert (line["projection"], line["projection_lower"], line["projection_upper"]) == (
        pytest.approx(typed["projection"]),
        pytest.approx(typed["pi_lower"]),
        pytest.approx(typed["pi_upper"]),
    )
    # Crime is rising: not improving, not on course.
    assert line["target_rag"] == typed["rag"] == "RED"
    assert line["target_text"] == "5% below 2017/18 by Mar 2019"
    assert line["projection_lower"] < line["projection"] < line["projection_upper"]
    assert line["projection_lower"] > line["target"]


def test_a_level_target_and_the_kpis_without_one(q2_report: dict[str, dict[str, Any]]) -> None:
    rate = q2_report["positive-outcome-rate"]
    assert rate["target"] == 12 and rate["target_by"] == "2019-03"
    assert rate["projection_lower"] < 12 < rate["projection_upper"]  # it may yet be met
    assert 0.05 < rate["target_probability"] < 0.95
    assert rate["target_rag"] in ("RED", "AMBER")
    assert q2_report["burglary"]["target"] is None
    assert q2_report["burglary"]["target_rag"] is None


def test_a_target_date_passed_is_said_not_projected(sample_store: Path) -> None:
    rows = kpi_rows(report_json(sample_store, "--period", "Q4 2018/19"))
    crime = rows["all-crime"]
    assert crime["projection"] is None and crime["target_rag"] is None
    assert crime["target_note"] == "the target date Mar 2019 has passed"


def test_the_paper_shows_the_target_in_plain_words(sample_store: Path) -> None:
    result = run_pcp(
        ["report", "--store", str(sample_store), "--force", FORCE, "--period", PERIOD,
         "--charts", "none", "--format", "markdown"]
    )  # fmt: skip
    crime = result.stdout.split("## 3. Crime", 1)[1].split("\n## ", 1)[0]
    targets = crime.split("### Targets", 1)[1]
    row = next(ln for ln in targets.splitlines() if ln.startswith("| 3.1 "))
    assert "5% below 2017/18 by Mar 2019: at most 77,783 over the 12 months to Mar 2019" in row
    assert "RED: not improving and not on course" in row
    assert "under 1%" in row
    assert "e-test" not in targets and "OLS" not in targets


# -- known events ------------------------------------------------------------------------------
_EVENTS = """
[[event]]
month = "2020-03"
label = "First lockdown"
restart_limits = true
[[event]]
month = "2021-01"
label = "Third lockdown"
"""


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[event]]\nmonth = "2020-13"\nlabel = "x"\n', "event 1: month must be YYYY-MM"),
        ('[[event]]\nmonth = "2020-03"\n', "event 1: label must be a non-empty string"),
        ('[[event]]\nmonth = "2020-03"\nlabel = "x"\nrestart_limits = "yes"\n',
         "event 1: restart_limits must be true or false"),
        ('[[event]]\nmonth = "2020-03"\nlabel = "x"\nwhen = 1\n', "unknown key(s) when"),
        ('event = "2020-03"\n', "'event' must be [[event]] tables"),
    ],
)  # fmt: skip
def test_a_bad_event_in_pcp_toml_is_a_config_error(
    sample_store: Path, tmp_path: Path, toml: str, message: str
) -> None:
    (tmp_path / "pcp.toml").write_text(toml, encoding="utf-8")
    result = run_pcp(["spc", "--store", str(sample_store), "--force", FORCE, "--kpi",
                      "all-crime"], cwd=tmp_path)  # fmt: skip
    assert result.exit_code == 3
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def lockdown_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import real

    street = real("policeuk-street-leicestershire-2020-2022")
    store = tmp_path_factory.mktemp("lockdown") / "store"
    result = run_pcp(["ingest", "--store", str(store), str(street)])
    assert result.exit_code == 0, result.stderr
    return store


def _spc_rows(store: Path, period: str, cwd: Path) -> dict[str, dict[str, Any]]:
    result = run_pcp(
        ["report", "--store", str(store), "--force", FORCE, "--period", period,
         "--charts", "none", "--format", "json"], cwd=cwd,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return kpi_rows(json.loads(result.stdout))


def _check_spc(store: Path, period: str, cwd: Path) -> dict[str, str]:
    result = run_pcp(
        ["check", "--store", str(store), "--force", FORCE, "--kpi", "all", "--period", period,
         "--check", "spc", "--all", "--format", "json"], cwd=cwd,
    )  # fmt: skip
    assert result.exit_code in (0, 10), result.stderr
    return {r["kpi"]: r["status"] for r in json.loads(result.stdout)}


@pytest.mark.slow
def test_lockdown_months_are_not_an_improvement_without_the_event_named(
    lockdown_store: Path, tmp_path: Path
) -> None:
    """Real Leicestershire street files: without events, shoplifting in Oct to Dec 2020 (the
    second lockdown) is "unusually low, improvement" on limits from the months before the
    first lockdown. With the first lockdown declared as restarting the limits, it is not;
    where a 2020/21 month is still an improvement, the declared event is named; check and
    the report read the same status."""
    plain, declared = tmp_path / "plain", tmp_path / "declared"
    plain.mkdir()
    declared.mkdir()
    (declared / "pcp.toml").write_text(_EVENTS, encoding="utf-8")
    before = _spc_rows(lockdown_store, "Q3 2020/21", plain)
    assert before["shoplifting"]["spc_point_type"] == "special_cause_improvement"
    assert before["shoplifting"]["spc_status"] == "exceptional low"
    # Oct to Dec 2020: 10 months since the restart, too few for a normal range of their own.
    q3 = _spc_rows(lockdown_store, "Q3 2020/21", declared)
    assert q3["shoplifting"]["spc_status"] == "not charted"
    assert q3["shoplifting"]["spc_note"] == (
        "the normal range restarts at First lockdown (Mar 2020): 10 months since, 12 needed"
    )
    assert not [k for k, r in q3.items() if r["spc_point_type"] == "special_cause_improvement"]
    assert _check_spc(lockdown_store, "Q3 2020/21", declared)["shoplifting"] == "not charted"
    # Jan to Mar 2021: limits from Mar 2020 on; an improvement names the third lockdown.
    q4 = _spc_rows(lockdown_store, "Q4 2020/21", declared)
    assert q4["shoplifting"]["spc_restarts"] == "2020-03"
    improving = [k for k, r in q4.items() if r["spc_point_type"] == "special_cause_improvement"]
    assert improving
    for kpi in improving:
        assert q4[kpi]["spc_event"] == "Third lockdown (Jan 2021)", kpi
        if q4[kpi]["headline"]:
            assert "after Third lockdown (Jan 2021)" in q4[kpi]["headline"], kpi
    checked = _check_spc(lockdown_store, "Q4 2020/21", declared)
    assert checked == {k: r["spc_status"] for k, r in q4.items() if k in checked}
    assert len(checked) >= 10


# -- better recording --------------------------------------------------------------------------
def test_seed_003_better_recording_in_the_crime_section(sample_store: Path, tmp_path: Path) -> None:
    """Seed 003: compliance 75.8% then 87.4% in 2017/18 (average 81.6%); 81,877 crimes
    recorded would have been about 76,057 at 75.8%, so about 5,820 of the 13,171 more than
    in 2016/17 are due to better recording. The report's figures are `pcp cdi`'s."""
    (tmp_path / "pcp.toml").write_text(
        '[recording]\ncompliance = [75.8, 87.4]\nperiod = "2017/18"\n', encoding="utf-8"
    )
    rows = json.loads(
        run_pcp(
            ["report", "--store", str(sample_store), "--force", FORCE, "--period", PERIOD,
             "--charts", "none", "--format", "json"], cwd=tmp_path,
        ).stdout
    )  # fmt: skip
    (row,) = [r for r in rows if r["part"] == "recording"]
    assert (row["value"], row["baseline_value"], row["change"]) == (81877, 68706, 13171)
    assert row["recording_average"] == pytest.approx(81.6)
    assert round(row["recording_expected"]) == 76057
    assert round(row["recording_attributable"]) == 5820
    cdi = run_pcp(
        ["cdi", "--store", str(sample_store), "--force", FORCE, "--period", "2017/18",
         "--from", "75.8", "--to", "87.4", "--format", "json"]
    )  # fmt: skip
    assert cdi.exit_code == 0, cdi.stderr
    expected = json.loads(cdi.stdout)[0]
    assert row["recording_attributable"] == pytest.approx(expected["attributable"])
    assert row["recording_share"] == pytest.approx(expected["share_of_increase"])
    markdown = run_pcp(
        ["report", "--store", str(sample_store), "--force", FORCE, "--period", PERIOD,
         "--charts", "none", "--format", "markdown"], cwd=tmp_path,
    ).stdout  # fmt: skip
    crime = markdown.split("## 3. Crime", 1)[1].split("\n## ", 1)[0]
    assert (
        "about 5,820 of the 13,171 more crimes than in 2016/17 (44%) are estimated to be due "
        "to better recording rather than more crime." in crime
    )
    # Without audits in pcp.toml there is no such part.
    assert not [r for r in json.loads(report_json_text(sample_store)) if r["part"] == "recording"]


def report_json_text(store: Path) -> str:
    return run_pcp(["report", "--store", str(store), "--force", FORCE, "--period", PERIOD,
                    "--charts", "none", "--format", "json"]).stdout  # fmt: skip


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[recording]\ncompliance = [75.8]\n", "compliance must list two or more audit results"),
        ("[recording]\ncompliance = [75.8, 187.4]\n", "compliance must list two or more"),
        ('[recording]\ncompliance = [75.8, 87.4]\nperiod = "Q9"\n', "period must be a period"),
        ("[recording]\ncompliance = [75.8, 87.4]\nwhen = 1\n", "unknown key(s) when"),
    ],
)
def test_bad_recording_audits_are_a_config_error(
    sample_store: Path, tmp_path: Path, toml: str, message: str
) -> None:
    (tmp_path / "pcp.toml").write_text(toml, encoding="utf-8")
    result = run_pcp(["report", "--store", str(sample_store), "--force", FORCE, "--period",
                      PERIOD, "--charts", "none", "--format", "json"], cwd=tmp_path)  # fmt: skip
    assert result.exit_code == 3
    assert message in result.stderr and "Traceback" not in result.stderr


# -- surveys -----------------------------------------------------------------------------------
def test_survey_results_with_their_interval_and_sample_size(
    sample_store: Path, q2_report: dict[str, dict[str, Any]]
) -> None:
    """Seed 001: a survey result with its 95% interval and the number asked; the interval is
    Wilson's (statsmodels as the oracle)."""
    from statsmodels.stats.proportion import proportion_confint

    row = q2_report["victim-satisfaction"]
    asked = row["n"]
    low, high = proportion_confint(round(row["p"] * asked), asked, alpha=0.05, method="wilson")
    assert (row["ci_lower"], row["ci_upper"]) == (
        pytest.approx(100 * low),
        pytest.approx(100 * high),
    )
    result = run_pcp(
        ["report", "--store", str(sample_store), "--force", FORCE, "--period", PERIOD,
         "--charts", "none", "--format", "markdown"]
    )  # fmt: skip
    section = result.stdout.split("## 6. Confidence and satisfaction", 1)[1]
    expected = f"{100 * low:.1f}% to {100 * high:.1f}%; {asked} asked"
    assert asked == 300 and expected == "68.8% to 78.6%; 300 asked"
    assert f"6.1 {row['label']} 74.0% ({expected})" in section
    assert "the number of people asked" in section
