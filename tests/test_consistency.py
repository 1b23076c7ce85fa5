"""One answer per question: report, check, compare and rank agree for every KPI.

The report's SPC status is check's (`--all --check spc`), its verdict is compare's (and
check's compare finding), its MSG rank and RAG are rank's (and check's rank finding). Run on
the samples (Q2 2018/19) and on the real MSG street files with populations (Q3 2018/19).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.conftest import real, run_pcp

Rows = dict[str, dict[str, Any]]


def _json(store: Path, *args: str) -> list[dict[str, Any]]:
    result = run_pcp([*args, "--store", str(store), "--format", "json"])
    assert result.exit_code in (0, 10), result.stderr
    records: list[dict[str, Any]] = json.loads(result.stdout)
    return records


def _report(store: Path, period: str) -> Rows:
    records = _json(store, "report", "--force", "leicestershire", "--period", period)
    return {r["kpi"]: r for r in records if r["part"] == "kpi"}


def _check(store: Path, period: str, kind: str) -> Rows:
    records = _json(
        store, "check", "--force", "leicestershire", "--period", period, "--all", "--check", kind
    )
    return {r["kpi"]: r for r in records}


def _rank(store: Path, period: str) -> Rows:
    result = run_pcp(
        ["rank", "--store", str(store), "--force", "leicestershire", "--kpi", "all",
         "--period", period, "--format", "csv"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(io.BytesIO(result.stdout_bytes), infer_schema_length=None)
    return {r["kpi"]: r for r in frame.iter_rows(named=True)}


def _differences(left: Rows, right: Rows, lkey: str, rkey: str) -> list[tuple[str, Any, Any]]:
    return [
        (kpi, row[lkey], right[kpi][rkey] if kpi in right else "(absent)")
        for kpi, row in left.items()
        if kpi not in right or row[lkey] != right[kpi][rkey]
    ]


def test_samples_report_check_and_compare_agree(sample_store: Path) -> None:
    period = "Q2 2018/19"
    report = _report(sample_store, period)
    spc = _check(sample_store, period, "spc")
    assert len(report) >= 36 and set(report) == set(spc)  # every KPI of the samples
    assert _differences(report, spc, "spc_status", "status") == []
    # Not one vocabulary in name only: the statuses are the documented six words.
    assert {r["spc_status"] for r in report.values()} <= {
        "exceptional high", "exceptional low", "special cause high", "special cause low",
        "common cause", "not charted",
    }  # fmt: skip
    assert {r["spc_status"] for r in report.values()} >= {"exceptional high", "common cause"}
    compare = {r["kpi"]: r for r in _json(sample_store, "compare", "--force", "leicestershire",
                                           "--kpi", "all", "--period", period)}  # fmt: skip
    assert set(report) == set(compare)
    assert _differences(report, compare, "verdict", "verdict") == []
    # The verdicts allow for each count KPI's own variation, alike in all three.
    assert _differences(report, compare, "dispersion", "dispersion") == []
    checked = _check(sample_store, period, "compare")
    verdicts = {k: r for k, r in report.items() if r["verdict"] is not None}
    assert _differences(verdicts, checked, "verdict", "status") == []


def _msg_rank_agrees(store: Path, period: str) -> int:
    report = _report(store, period)
    ranked = {k: r for k, r in report.items() if r["group_rank"] is not None}
    rank = _rank(store, period)
    assert _differences(ranked, rank, "group_rank", "group_rank") == []
    assert _differences(ranked, rank, "group_ranked", "group_ranked") == []
    # And nothing rank ranks against another force is left without a rank in the report (a
    # force alone in its group (group_ranked 1; "–" in the tables) has no MSG position).
    unranked = [k for k, r in rank.items() if (r["group_ranked"] or 0) >= 2 and k not in ranked]
    assert unranked == []
    rag = _check(store, period, "rank")
    with_rag = {k: r for k, r in ranked.items() if r["group_rag"] in ("RED", "AMBER", "GREEN")}
    assert _differences(with_rag, rag, "group_rag", "rag") == []
    return len(ranked)


def test_samples_msg_rank_agrees(sample_store: Path) -> None:
    assert _msg_rank_agrees(sample_store, "Q2 2018/19") > 0


@pytest.mark.realdata
def test_real_msg_report_rank_and_check_agree(tmp_path_factory: pytest.TempPathFactory) -> None:
    street = real("policeuk-street-msg-2018q3")
    population = real("ons-pfa-population-2009-2019", "population_policeforces.csv")
    store = tmp_path_factory.mktemp("consistency") / "store"
    result = run_pcp(["ingest", "--store", str(store), str(street), str(population)])
    assert result.exit_code == 0, result.stderr
    assert _msg_rank_agrees(store, "Q3 2018/19") >= 14  # all crime and its street groups


def test_samples_survey_rag_is_one_answer(sample_store: Path) -> None:
    """The survey RAG: compare's ``rag`` is the report's ``survey_rag`` and check's status."""
    period = "Q2 2018/19"
    report = _report(sample_store, period)
    compare = {r["kpi"]: r for r in _json(sample_store, "compare", "--force", "leicestershire",
                                           "--kpi", "all", "--period", period)}  # fmt: skip
    surveys = {k: r for k, r in compare.items() if r["rag"] is not None}
    assert len(surveys) >= 3  # the samples' three surveys
    assert _differences(surveys, report, "rag", "survey_rag") == []
    assert _differences(surveys, report, "rag_test", "survey_rag_test") == []
    checked = _check(sample_store, period, "survey")
    assert _differences(surveys, checked, "rag", "status") == []


def test_survey_rag_words_follow_alpha(tmp_path: Path) -> None:
    """check's words say the confidence the RAG was judged at (1 − alpha), not a fixed 95%."""
    from tests.test_significance import survey

    store = survey(tmp_path, [("2017-09", 1000, 800), ("2018-09", 1000, 740)])
    args = ["check", "--store", str(store), "--force", "leicestershire", "--kpi",
            "victim-satisfaction", "--period", "2018-09", "--all", "--check", "survey",
            "--format", "json"]  # fmt: skip
    for alpha, words in (("0.05", "RED, 95% confident"), ("0.1", "RED, 90% confident")):
        result = run_pcp([*args, "--alpha", alpha])
        assert result.exit_code == 10, result.stderr  # RED fails by default
        (finding,) = json.loads(result.stdout)
        assert finding["status"] == "RED" and words in finding["detail"], finding["detail"]


@pytest.mark.parametrize("period", ["12m", "FYTD"])
def test_check_spc_names_the_months_it_reads_and_the_report_agrees(
    sample_store: Path, period: str
) -> None:
    """check reads the latest --recent (3) months of a longer period and says which in its
    ``period`` column; the report of those months gives the same status for every KPI, and
    check's detail starts with the report's words."""
    spc = _check(sample_store, period, "spc")
    read = {r["period"] for r in spc.values() if r["status"] != "not charted"}
    assert read == {"Q4 2018/19"}  # the samples end in March 2019
    report = _report(sample_store, "Q4 2018/19")
    charted = {k: r for k, r in spc.items() if r["status"] != "not charted"}
    assert len(charted) >= 25
    assert _differences(charted, report, "status", "spc_status") == []
    for kpi, row in charted.items():
        words = str(report[kpi]["spc_detail"])
        assert str(row["detail"]).startswith(words[:1].upper() + words[1:]), kpi
    # Read over the whole period, check gives the report's status for that period.
    whole = _json(sample_store, "check", "--force", "leicestershire", "--period", period,
                  "--all", "--check", "spc", "--recent", "24")  # fmt: skip
    by_kpi = {r["kpi"]: r for r in whole}
    label = next(r["period"] for r in whole if r["status"] != "not charted")
    of_period = _report(sample_store, label)
    assert label != "Q4 2018/19"
    assert _differences(by_kpi, of_period, "status", "spc_status") == []
