"""The panel paper as a councillor reads it: only sections with data, plain words, annexes.

The browser test (tests/test_report_browser.py) checks the print: pages, blank pages and
font sizes. Here: what the words say, on the samples and on a store of street files only.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pcp_cli.app.headlines import direction, headline, importance, ranked_headlines
from pcp_cli.app.report_model import KpiLine
from pcp_cli.app.spc import SpcStatus
from pcp_cli.kpis import load_catalogue
from tests.conftest import REPO, run_pcp

PERIOD = "Q2 2018/19"
TOOL_WORDS = ("Poisson", "E-test", "XmR", "MR screened", "MDC", "SHA-256", "z-test", "p = ")


def report(store: Path, *args: str) -> str:
    result = run_pcp(
        ["report", "--store", str(store), "--force", "leicestershire", "--period", PERIOD,
         "-q", *args],
        env={"PCP_REPORT_TIME": "2018-11-05T09:00:00Z"},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def street_store(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Street files only, from April 2017: no calls, incidents counts, surveys or searches."""
    data = sample_store.parent / "data"
    base = tmp_path_factory.mktemp("street-only")
    for path in sorted(data.rglob("*-street.csv")):
        if path.parent.name >= "2017-04":
            target = base / "data" / path.parent.name
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target / path.name)
    store = base / "store"
    result = run_pcp(["ingest", "--store", str(store), str(base / "data"), "-q"])
    assert result.exit_code == 0, result.stderr
    return store


def body_of(markdown: str) -> str:
    """Everything before the annexes (where methods, paths and hashes belong)."""
    return markdown.split("## Annex A", 1)[0]


def test_body_speaks_plain_words(sample_store: Path) -> None:
    text = report(sample_store, "--format", "markdown")
    body = body_of(text)
    for word in TOOL_WORDS:
        assert word not in body, word
    assert str(sample_store) not in body and not re.search(r"\b[0-9a-f]{64}\b", body)
    # ... and the annexes, in this order, hold the detail.
    annexes = [h for h in re.findall(r"^## (.*)$", text, re.M) if h.startswith("Annex")]
    assert annexes == ["Annex A: Glossary", "Annex B: Methods", "Annex C: Sources"]
    assert "Poisson E-test" in text.split("## Annex B", 1)[1]
    assert str(sample_store) in text.split("## Annex C", 1)[1]
    for term in ("MSG", "SPC", "Positive outcome", "RAG", "CDI", "Rolling 12 months",
                 "Per 1,000 population", "Significant"):  # fmt: skip
        assert f"| {term} |" in text, term


def test_html_annexes_have_their_ids(sample_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "paper.html"
    report(sample_store, "--charts", "none", "-o", str(out))
    html = out.read_text(encoding="utf-8")
    ids = re.findall(r'<section id="([^"]+)"', html)
    assert ids[-3:] == ["glossary", "methods", "provenance"]
    footer = html.split("<footer>", 1)[1]
    assert str(sample_store) not in footer and "SHA-256" not in footer


def test_front_page_says_better_or_worse_in_words(sample_store: Path) -> None:
    text = report(sample_store, "--format", "markdown")
    front = text.split("## Headlines", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in front.splitlines() if re.match(r"\| \d+\.\d+ \|", line)]
    assert 1 <= len(rows) <= 8
    for row in rows:
        judgement = row.split("|")[2].strip()
        assert judgement in ("▲ better", "▼ worse", "no judgement"), row
    # Said once: no headline is repeated in a section.
    for row in rows:
        sentence = row.split("|")[3].strip()
        assert text.count(sentence) == 1, sentence


def test_street_only_store_shows_only_sections_with_data(street_store: Path) -> None:
    text = report(street_store, "--format", "markdown")
    headings = re.findall(r"^## (.*)$", text, re.M)
    assert "3. Crime" in headings
    for absent in ("1. Calls", "5. Prevent", "6. Confidence and satisfaction"):
        assert absent not in headings
    assert "No KPI of this section has data" not in text
    # The data-quality section speaks of the months the store holds (from April 2017).
    quality = text.split("## Data quality", 1)[1].split("\n## ", 1)[0]
    assert "We checked the months Apr 2017 to Sep 2018" in quality
    # The KPIs left out are named once, in the methods annex.
    methods = text.split("## Annex B", 1)[1]
    assert "Not reported (no data in the store): Number of 999 calls" in methods


def test_never_by_colour_alone(sample_store: Path) -> None:
    """Concern / improvement and better / worse are words in the cells, not only colours;
    quarterly Home Office figures say "quarterly" instead of a two-block sparkline."""
    text = report(sample_store, "--format", "markdown")
    rows = {
        cells[0]: cells
        for line in text.splitlines()
        if len(cells := [c.strip() for c in line.strip().strip("|").split("|")]) == 13
    }
    assert rows["3.1"][8:] == ["unusually high, concern", "5 of 8", "AMBER", "▼ worse",
                               rows["3.1"][12]]  # fmt: skip
    assert rows["2.8"][8] == "lower than usual, improvement" and rows["2.8"][11] == "▲ better"
    assert rows["3.2"][12] == "quarterly" and "█│▁" not in text


# -- judgement and ranking, on lines built by hand ----------------------------------------------
def _line(kpi_id: str, change: float, p: float | None, spc: str = "common cause",
          point_type: str | None = None) -> KpiLine:  # fmt: skip
    kpi = load_catalogue(REPO / "config" / "kpis.toml").kpis[kpi_id]
    verdict = None if p is None else "significant increase" if p < 0.05 else "no significant change"
    row = {"value": 100 + change, "baseline_value": 100.0, "change": change,
           "pct_change": change, "p_value": p, "verdict": verdict,
           "baseline_period": "Q2 2017/18", "period": "Q2 2018/19"}  # fmt: skip
    side = "below" if spc.endswith("low") else "above"
    status = SpcStatus(spc, signal=spc != "common cause", point_type=point_type,
                       detail=f"each of the last 3 months was {side} the normal range")  # fmt: skip
    line = KpiLine(kpi, 3, "3.1", row, status)
    return replace(line, headline=headline(line))


def test_direction_by_polarity_then_spc() -> None:
    assert direction(_line("burglary", 10, 0.001)) == "worse"  # lower is better, it rose
    assert direction(_line("burglary", -10, 0.001)) == "better"
    assert direction(_line("positive-outcomes", 10, 0.001)) == "better"  # higher is better
    assert direction(_line("calls-999", 10, 0.001)) == "neutral"  # no right direction
    # Not significant: the SPC signal's type decides.
    concern = _line("burglary", 2, 0.4, "exceptional high", "special_cause_concern")
    assert direction(concern) == "worse"
    assert direction(_line("burglary", 2, 0.4)) == "neutral"


def test_importance_ranks_size_then_signal() -> None:
    small = _line("burglary", 5, 0.01)  # z = 2.58
    large = _line("burglary", 5, 1e-6)  # z = 4.89
    huge = _line("burglary", 50, 1e-40)  # capped at 6
    huger = _line("burglary", 60, 1e-80)  # capped too: the larger % change wins the tie
    signal = _line("burglary", 5, 0.01, "exceptional high", "special_cause_concern")
    assert importance(small)[0] == pytest.approx(2.5758 + 0.5, abs=1e-4)
    assert importance(huge)[0] == importance(huger)[0] == 6.5
    order = ranked_headlines([small, large, huge, huger, signal], limit=4)
    # large 4.89 + 0.5 = 5.39 > signal 2.58 + 2 + 0.5 = 5.08 > small 3.08 (left out)
    assert order == [huger, huge, large, signal]
    noise = _line("robbery", 1, 0.6)
    assert noise.headline is None and ranked_headlines([noise]) == []


def test_chart_alt_text_says_what_it_shows(sample_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "paper.html"
    report(sample_store, "-o", str(out))
    labels = re.findall(r'<svg class="chart"[^>]* aria-label="([^"]+)"', out.read_text("utf-8"))
    assert len(labels) == 8
    # Public order in the sample street files: 526 in Sep 2018, mean 366 over Apr 2016..Sep
    # 2018, mean moving range (screened at 3.267x) 36.7, so 366 -+ 2.66 x 36.7 (all crime,
    # once here, is no headline since the verdicts allow for its normal variation).
    assert (
        "Public order, Leicestershire: monthly, Apr 2016 to Sep 2018. The latest month is 526; "
        "the average is 366 and the normal range 268 to 464. Each of the last 7 months was "
        "above the normal range."
    ) in labels
    assert all("The latest month is" in label for label in labels)


def test_headline_never_contradicts_itself() -> None:
    """A rise with months below the average says "but"; a rise with months above does not."""
    low = _line("burglary", 8, 0.01, "special cause low", "special_cause_improvement")
    assert low.headline == (
        "Burglary rose 8.0% to 108 (100 in Q2 2017/18), a significant rise; but each of the "
        "last 3 months was below the normal range."
    )
    high = _line("burglary", 8, 0.01, "exceptional high", "special_cause_concern")
    assert high.headline is not None and "; but " not in high.headline
    untested = replace(_line("burglary", 0, None, "exceptional high"), row={"period": "Q2"})
    untested = replace(untested, headline=headline(untested))
    assert untested.headline == (
        "Burglary has no figure for Q2; each of the last 3 months was above the normal range."
    )
