"""`pcp report`: the panel report on the samples and on real data.

Every format carries seed 000's figures with the correct arithmetic (−724, +463, where the
paper printed −734 and +467); the real Leicestershire files give the right quarter totals;
the data-quality section flags Kent's short November and December 2018 uploads; the HTML
is one self-contained file.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pcp_cli import __version__
from pcp_cli.errors import UsageError
from pcp_cli.report import generation_time
from tests.conftest import REPO, Result, real, run_pcp, write_street

PERIOD = "Q2 2018/19"
REPORT_TIME = "2018-11-05T09:00:00Z"
ENV = {"PCP_REPORT_TIME": REPORT_TIME}

# Seed 000 (Leicestershire, Q2 2018/19 against Q2 2017/18): (item, current, previous, change).
SEED_000 = {
    "calls-999": ("1.1", 38995, 36000, 2995),
    "calls-101": ("1.2", 103919, 119043, -15124),
    "incidents": ("2.1", 62138, 68358, -6220),
    "all-crime": ("3.1", 23116, 21327, 1789),
    "positive-outcomes": ("4.1", 1998, 2722, -724),
    "stop-search": ("5.1", 893, 430, 463),
}
# How the summary table prints them (true minus signs).
SEED_000_TEXT = {
    "calls-999": ("38,995", "36,000", "+2,995", "+8.3%"),
    "calls-101": ("103,919", "119,043", "−15,124", "−12.7%"),
    "incidents": ("62,138", "68,358", "−6,220", "−9.1%"),
    "all-crime": ("23,116", "21,327", "+1,789", "+8.4%"),
    "positive-outcomes": ("1,998", "2,722", "−724", "−26.6%"),
    "stop-search": ("893", "430", "+463", "+107.7%"),
}
LABELS = {
    "calls-999": "Number of 999 calls",
    "calls-101": "Number of 101 calls",
    "incidents": "Number of incidents",
    "all-crime": "All crime",
    "positive-outcomes": "Volume of positive outcomes",
    "stop-search": "Number of stop and searches",
}
SECTIONS = [
    "Performance summary",
    "Headlines",
    "1. Calls",
    "2. Incidents",
    "3. Crime",
    "4. Outcomes",
    "5. Prevent",
    "6. Confidence and satisfaction",
    "Recorded crime: rolling 12 months",
    "Data quality",
    "Annex A: Glossary",
    "Annex B: Methods",
    "Annex C: Sources",
]


def report(store: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return run_pcp(
        ["report", "--store", str(store), "--force", "leicestershire", "-q", *args],
        env={**ENV, **(env or {})},
    )


@pytest.fixture(scope="module")
def outputs(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The samples' Q2 2018/19 report in every format (HTML with its charts, to a file)."""
    out: dict[str, Any] = {}
    for fmt in ("json", "parquet", "markdown", "table"):
        result = report(sample_store, "--period", PERIOD, "--format", fmt)
        assert result.exit_code == 0, result.stderr
        out[fmt] = result
    path = tmp_path_factory.mktemp("report") / "panel.html"
    result = report(sample_store, "--period", PERIOD, "-o", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    out["html"] = path.read_text(encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def frame(outputs: dict[str, Any]) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(outputs["parquet"].stdout_bytes))


def kpi_rows(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {r["kpi"]: r for r in frame.filter(pl.col("part") == "kpi").iter_rows(named=True)}


# -- seed 000 in every format ----------------------------------------------------------------
def _check_records(records: list[dict[str, Any]]) -> None:
    rows = {r["kpi"]: r for r in records if r["part"] == "kpi"}
    for kpi, (item, current, previous, change) in SEED_000.items():
        r = rows[kpi]
        assert (r["item"], r["value"], r["baseline_value"], r["change"]) == (
            item,
            current,
            previous,
            change,
        ), kpi
        assert r["change"] == r["value"] - r["baseline_value"]
        assert r["quarterly_table"] is True
        assert (r["period"], r["baseline_period"]) == (PERIOD, "Q2 2017/18")
    assert {k for k, r in rows.items() if r["quarterly_table"]} == set(SEED_000)


def test_seed_000_in_json(outputs: dict[str, Any]) -> None:
    records = json.loads(outputs["json"].stdout)
    _check_records(records)
    assert {r["part"] for r in records} == {
        "kpi",
        "headline",
        "breakdown",
        "crime_summary",
        "provenance",
    }


def test_headline_rows_in_json(outputs: dict[str, Any]) -> None:
    """One row per front-page headline: rank 1..n, the KPI's own headline, its direction."""
    records = json.loads(outputs["json"].stdout)
    kpis = {r["kpi"]: r for r in records if r["part"] == "kpi"}
    heads = [r for r in records if r["part"] == "headline"]
    assert [r["rank"] for r in heads] == list(range(1, 9))
    assert all(r["text"] == kpis[r["kpi"]]["headline"] for r in heads)
    assert len({r["kpi"] for r in heads}) == 8
    # The positive outcome rate fell by a third (12.8% to 8.6% of about 20,000 crimes), every
    # recent month below the normal range: first, worse. Public order rose 48.7% but, allowing
    # for its month-to-month variation, with less certainty: still a headline, worse.
    assert (heads[0]["kpi"], heads[0]["direction"]) == ("positive-outcome-rate", "worse")
    directions = {r["kpi"]: r["direction"] for r in heads}
    assert directions["public-order"] == "worse"
    assert directions["positive-outcomes"] == "worse"  # higher is better, and it fell
    # Stop and search has no right direction in the KPI file.
    searches = {k: d for k, d in directions.items() if k.startswith("stop-search")}
    assert searches
    assert set(searches.values()) == {"neutral"}
    assert set(directions.values()) <= {"better", "worse", "neutral"}
    # Noise never makes the front page.
    assert not {"burglary", "robbery", "shoplifting"} & set(directions)


def test_seed_000_in_parquet(frame: pl.DataFrame) -> None:
    _check_records(frame.to_dicts())
    # The same frame as the JSON: every figure at full precision.
    pos = kpi_rows(frame)["positive-outcomes"]
    assert pos["pct_change"] == pytest.approx(-724 / 2722 * 100, rel=1e-12)


def _summary_rows_markdown(text: str) -> dict[str, list[str]]:
    part = text.split("## Performance summary", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and re.fullmatch(r"\d\.\d", cells[0]):
            rows[cells[1]] = cells
    return rows


def test_seed_000_in_markdown(outputs: dict[str, Any]) -> None:
    text = outputs["markdown"].stdout
    rows = _summary_rows_markdown(text)
    assert len(rows) == 6
    for kpi, expected in SEED_000_TEXT.items():
        cells = rows[LABELS[kpi]]
        assert (cells[0], *cells[2:6]) == (SEED_000[kpi][0], *expected), kpi
    # Seed 000's financial year to date: all crime 46,025, +4,483 on April to September 2017.
    assert rows[LABELS["all-crime"]][6] == "46,025 (+4,483)"
    # The paper's wrong arithmetic appears nowhere.
    assert "−734" not in text and "+467" not in text and "-734" not in text
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert headings == SECTIONS


def test_seed_000_in_table(outputs: dict[str, Any]) -> None:
    text = outputs["table"].stdout
    summary = text.split("Performance summary", 1)[1].split("1. Calls", 1)[0]
    for kpi, expected in SEED_000_TEXT.items():
        line = next(ln for ln in summary.splitlines() if LABELS[kpi] in ln)
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        assert cells[0] == SEED_000[kpi][0]
        assert cells[2:6] == list(expected), kpi
    assert "−734" not in text and "+467" not in text
    for heading in SECTIONS:
        assert heading in text


class _Tables(HTMLParser):
    """Rows of cell texts per table, with the id of the enclosing section; every id."""

    def __init__(self) -> None:
        super().__init__()
        self.section = ""
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.ids: list[str] = []
        self.headings: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._h2: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "section":
            self.section = str(a.get("id"))
        elif tag == "table":
            self.tables.append((self.section, []))
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "h2":
            self._h2 = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None
        elif tag == "h2" and self._h2 is not None:
            self.headings.append("".join(self._h2).strip())
            self._h2 = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._h2 is not None:
            self._h2.append(data)


def parse_html(text: str) -> _Tables:
    # Inline SVGs in trend cells carry a <title>; drop them so cells hold their text only.
    parser = _Tables()
    parser.feed(re.sub(r"<svg\b.*?</svg>", "", text, flags=re.S))
    return parser


def test_seed_000_in_html(outputs: dict[str, Any]) -> None:
    doc = parse_html(outputs["html"])
    summary = [rows for section, rows in doc.tables if section == "summary"]
    assert len(summary) == 1
    header, *rows = summary[0]
    assert header[:6] == ["No.", "KPI", "Q2 2018/19", "Q2 2017/18", "Volume change", "% change"]
    by_label = {r[1]: r for r in rows}
    for kpi, expected in SEED_000_TEXT.items():
        cells = by_label[LABELS[kpi]]
        assert (cells[0], *cells[2:6]) == (SEED_000[kpi][0], *expected), kpi
    assert "−734" not in outputs["html"] and "+467" not in outputs["html"]
    assert doc.headings == ["Contents", *SECTIONS]


# -- the KPI rows: significance, SPC, ranks, headlines ----------------------------------------
def test_every_kpi_in_section_order(frame: pl.DataFrame) -> None:
    from pcp_cli.kpis import load_catalogue

    catalogue = load_catalogue(REPO / "config" / "kpis.toml")
    rows = frame.filter(pl.col("part") == "kpi")
    # The samples hold no force crime records and none of these counts measures, so the
    # report leaves these KPIs out.
    no_sample_data = {
        "calls-999-answered-10s", "calls-999-answer-rate", "calls-101-abandoned",
        "calls-101-abandonment-rate", "missing-adults", "missing-children", "domestic-abuse",
        "repeat-victims", *(f"hate-crime-{s}" for s in (
            "race", "religion", "sexual-orientation", "disability", "transgender")),
    }  # fmt: skip
    expected = [k.id for k in catalogue.in_section_order() if k.id not in no_sample_data]
    assert rows["kpi"].to_list() == expected
    assert rows["item"].to_list()[:4] == ["1.1", "1.2", "2.1", "2.2"]
    assert rows.filter(pl.col("kpi") == "all-crime")["item"].item() == "3.1"


def test_headlines_only_where_notable(frame: pl.DataFrame) -> None:
    rows = kpi_rows(frame)
    for kpi, r in rows.items():
        notable = (r["verdict"] or "").startswith("significant") or r["spc_signal"]
        assert (r["headline"] is not None) == bool(notable), kpi
    # Noise: no significant change and common cause variation, so no headline.
    for kpi in ("burglary", "robbery", "shoplifting", "calls-101"):
        assert rows[kpi]["spc_status"] in ("common cause",), kpi
    for kpi in ("burglary", "robbery", "shoplifting"):
        assert rows[kpi]["verdict"] == "no significant change"
        assert rows[kpi]["headline"] is None
    assert rows["all-crime"]["headline"] == (
        "All crime rose 8.4% to 23,116 (21,327 in Q2 2017/18), a significant rise; "
        "2 of the 3 months of Q2 2018/19 were above the normal range."
    )
    assert rows["positive-outcomes"]["headline"] == (
        "Volume of positive outcomes fell 26.6% to 1,998 (2,722 in Q2 2017/18), a significant "
        "fall; each of the last 2 months was below the normal range."
    )
    assert rows["calls-101"]["headline"] == (
        "Number of 101 calls fell 12.7% to 103,919 (119,043 in Q2 2017/18), a significant fall."
    )
    # The quarter fell but the months ran above the long-run average: said with "but".
    assert rows["hate-crime"]["headline"] == (
        "Hate crime fell 12.0% to 374 (425 in Q2 2017/18), not a significant change; but 7 or "
        "more months in a row were above the long-run average, to Sep 2018."
    )


def test_spc_status_is_the_xmr_chart(sample_store: Path, frame: pl.DataFrame) -> None:
    """The report's SPC columns are pcp spc's XmR chart of the 30 months to the period end."""
    result = run_pcp(
        ["spc", "--store", str(sample_store), "--force", "leicestershire", "--kpi",
         "all-crime", "--from", "2016-04", "--to", "2018-09", "--format", "csv"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    chart = pl.read_csv(result.stdout_bytes)
    row = kpi_rows(frame)["all-crime"]
    assert (row["spc_window"], row["spc_points"]) == ("2016-04..2018-09", chart.height)
    assert row["spc_mean"] == pytest.approx(chart["mean"][-1], rel=1e-12)
    assert row["spc_upper_limit"] == pytest.approx(chart["upl"][-1], rel=1e-12)
    quarter = chart.filter(pl.col("period") >= "2018-07")
    above = quarter.filter(pl.col("rule") == "Above UCL")["period"].to_list()
    assert len(above) == 2 and row["spc_status"] == "exceptional high"
    special = quarter.filter(pl.col("special_cause"))["period"].to_list()
    assert row["spc_flagged"] == " ".join(special)
    assert row["spc_point_type"] == "special_cause_concern"
    # Quarterly Home Office series get no SPC status, with the reason.
    rape = kpi_rows(frame)["rape"]
    assert rape["spc_status"] == "not charted"
    assert "blocks of 3 months" in rape["spc_note"]


def test_msg_rank_is_pcp_rank(sample_store: Path, frame: pl.DataFrame) -> None:
    result = run_pcp(
        ["rank", "--store", str(sample_store), "--force", "leicestershire", "--kpi",
         "all-crime", "--period", PERIOD, "--format", "csv"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    home = pl.read_csv(result.stdout_bytes).filter(pl.col("home")).row(0, named=True)
    row = kpi_rows(frame)["all-crime"]
    assert (row["group_rank"], row["group_ranked"]) == (home["group_rank"], 8)
    assert (row["national_rank"], row["national_ranked"]) == (
        home["national_rank"],
        home["national_ranked"],
    )
    assert row["group_rate"] == pytest.approx(home["rate"], rel=1e-12)
    assert row["group_rag"] == home["rag"] == "AMBER"
    # Only Leicestershire has call counts: no rank, and the reason.
    calls = kpi_rows(frame)["calls-999"]
    assert calls["group_rank"] is None
    assert calls["group_note"] == "no other MSG force has counts data in the store"


def test_rolling_crime_summary_is_rank_crime_table(sample_store: Path, frame: pl.DataFrame) -> None:
    result = run_pcp(
        ["rank", "--store", str(sample_store), "--force", "leicestershire", "--kpi", "Crime",
         "--period", "12m to 2018-09", "--format", "csv"]
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    expected = pl.read_csv(result.stdout_bytes)
    crime = frame.filter(pl.col("part") == "crime_summary")
    assert crime["kpi"].to_list() == expected["kpi"].to_list()
    for got, want in zip(crime.iter_rows(named=True), expected.iter_rows(named=True), strict=True):
        assert (got["value"], got["baseline_value"], got["change"]) == (
            want["value"],
            want["baseline_value"],
            want["change"],
        )
        assert (got["group_rank"], got["national_rank"]) == (
            want["group_rank"],
            want["national_rank"],
        )
        assert got["outcome_rate"] == want["outcome_rate"]
    all_crime = crime.row(0, named=True)
    # The previous 12 months are seed 002's latest year: 76,233 to September 2017.
    assert (all_crime["value"], all_crime["baseline_value"]) == (86360, 76233)
    assert all_crime["change"] == 86360 - 76233
    assert (all_crime["period"], all_crime["baseline_period"]) == (
        "12m to 2018-09",
        "12m to 2017-09",
    )


def test_provenance(frame: pl.DataFrame) -> None:
    prov = frame.filter(pl.col("part") == "provenance")
    facts = dict(zip(prov["key"], prov["text"], strict=True))
    kpis = REPO / "config" / "kpis.toml"
    assert facts["kpi_file"] == str(kpis)
    assert facts["kpi_file_sha256"] == hashlib.sha256(kpis.read_bytes()).hexdigest()
    assert facts["pcp_version"] == __version__
    assert facts["generated_at"] == REPORT_TIME
    assert facts["period"] == PERIOD
    stores = {r["dataset"]: r for r in prov.filter(pl.col("key") == "store_dataset").to_dicts()}
    assert set(stores) == {
        "counts", "outcomes", "population", "prc", "stop-search", "street", "survey",
    }  # fmt: skip
    # Months are dates (the first of the month) in Parquet, as the published schema says.
    assert (stores["street"]["first_month"], stores["street"]["last_month"]) == (
        dt.date(2016, 4, 1),
        dt.date(2019, 3, 1),
    )
    assert stores["street"]["forces"] == 1 and stores["street"]["files"] == 36


# -- HTML: one self-contained file ------------------------------------------------------------
def test_html_is_self_contained(outputs: dict[str, Any]) -> None:
    text = outputs["html"]
    assert "http" not in text.lower()
    assert "<script" not in text.lower() and "<link" not in text.lower()
    assert "@import" not in text and "url(" not in text.replace("url(#", "")
    assert re.findall(r'\bsrc="(?!data:)', text) == []
    assert "@media print" in text and "break-before: page" in text and "size: A4" in text
    doc = parse_html(outputs["html"])
    assert len(doc.ids) == len(set(doc.ids)), "element ids must be unique across inline SVGs"
    # One chart per front-page headline, inline; a small trend chart in every KPI row.
    records = json.loads(outputs["json"].stdout)
    kpis = [r for r in records if r["part"] == "kpi"]
    notable = [r for r in kpis if r["headline"]]
    front = [r for r in records if r["part"] == "headline"]
    # The SPC chart where the headline cites special cause, else the year-on-year trend;
    # quarterly Home Office series have neither.
    by_kpi = {r["kpi"]: r for r in kpis}
    charted = [
        r for r in front
        if by_kpi[r["kpi"]]["spc_signal"] or by_kpi[r["kpi"]]["trend_kind"] == "year-on-year"
    ]  # fmt: skip
    assert len(re.findall(r'<svg class="chart"', text)) == len(charted) == 8
    assert len(kpis) > len(notable) > len(front) == 8
    # Each headline is said once: on the front page, not again in a caption or a list.
    for r in front:
        assert text.count(html.escape(r["text"])) == 1, r["text"]
    # Every KPI row, and the six rows of the summary table, has its trend cell.
    assert len(re.findall(r'<svg class="spark"', text)) == len(kpis) + len(SEED_000)


def test_html_charts_inline(sample_store: Path, tmp_path: Path) -> None:
    """A charts.py chart as an inline <svg> (ids prefixed, no namespaces) or a data: PNG."""
    from pcp_cli.app.report_model import KpiLine, Trend
    from pcp_cli.app.spc import SpcStatus
    from pcp_cli.kpis import load_catalogue
    from pcp_cli.report.layout import ChartBlock as Figure
    from pcp_cli.report.svg import mini_trend, render_figure

    kpi = load_catalogue(REPO / "config" / "kpis.toml").kpis["all-crime"]
    trend = Trend(
        "year-on-year", "2017/18", tuple(float(7000 + 10 * i) for i in range(12)),
        "2018/19", (7100.0, 7300.0, 7200.0, 7800.0, 7700.0, 7600.0),
    )  # fmt: skip
    line = KpiLine(kpi, 3, "3.1", {}, SpcStatus("common cause"), trend=trend)
    figure = Figure("trend", line, "Leicestershire", "All crime")
    svg = render_figure(figure, 7, "svg")
    assert svg.startswith('<svg class="chart" viewBox="0 0 ')
    assert "http" not in svg and "xmlns" not in svg and "xlink" not in svg
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(i.startswith("c7-") for i in ids)
    assert all(ref.startswith("c7-") for ref in re.findall(r'href="#([^"]+)"', svg))
    assert "All crime: 2018/19 against 2017/18, Leicestershire" in svg
    png = render_figure(figure, 8, "png")
    encoded = re.fullmatch(
        r'<img class="chart" alt="[^"]+" src="data:image/png;base64,([^"]+)">', png
    )
    assert encoded is not None
    assert base64.b64decode(encoded.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
    # The small trend cell: last year dashed blue, this year red; one value a side: bars.
    spark = mini_trend(trend)
    assert spark.count("<polyline") == 2 and 'stroke="#1f4e9c"' in spark
    assert "2018/19 (red): 7,100, 7,300, 7,200, 7,800, 7,700, 7,600" in spark
    bars = mini_trend(Trend("period", "Q2 2017/18", (212.0,), "Q2 2018/19", (246.0,)))
    assert bars.count("<rect") == 2 and "<polyline" not in bars


# -- reproducible output, formats and errors --------------------------------------------------
def test_reproducible_with_a_fixed_time(sample_store: Path, outputs: dict[str, Any]) -> None:
    # No --format and no -o in a pipe: markdown, byte for byte the same as before.
    again = report(sample_store, "--period", PERIOD)
    assert again.stdout_bytes == outputs["markdown"].stdout_bytes
    assert f"**Produced (UTC):** {REPORT_TIME}" in again.stdout


def test_generation_time() -> None:
    now = datetime(2020, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    assert generation_time({}, now) == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert generation_time({"SOURCE_DATE_EPOCH": "1541408400"}) == datetime(
        2018, 11, 5, 9, 0, tzinfo=UTC
    )
    assert generation_time(
        {"PCP_REPORT_TIME": "2018-11-05T10:00:00+01:00", "SOURCE_DATE_EPOCH": "0"}
    ) == datetime(2018, 11, 5, 9, 0, tzinfo=UTC)
    with pytest.raises(UsageError):
        generation_time({"PCP_REPORT_TIME": "yesterday"})
    with pytest.raises(UsageError):
        generation_time({"SOURCE_DATE_EPOCH": "soon"})


def test_bad_time_and_bad_suffix_are_usage_errors(sample_store: Path, tmp_path: Path) -> None:
    result = report(sample_store, "--period", PERIOD, env={"PCP_REPORT_TIME": "yesterday"})
    assert result.exit_code == 2 and "PCP_REPORT_TIME" in result.stderr
    result = report(sample_store, "--period", PERIOD, "-o", str(tmp_path / "r.docx"))
    assert result.exit_code == 2 and "r.docx" in result.stderr
    assert not (tmp_path / "r.docx").exists()


# -- data quality ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def short_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Leicestershire street data 2018-01..2018-09: June missing, August a short upload."""
    base = tmp_path_factory.mktemp("short")
    for month in range(1, 10):
        if month == 6:
            continue
        n = 120 if month == 8 else 400
        write_street(
            base / "files" / f"2018-{month:02d}-leicestershire-street.csv",
            f"2018-{month:02d}",
            {"Burglary": n // 4, "Shoplifting": n - n // 4, "Anti-social behaviour": 20},
        )
    store = base / "store"
    result = run_pcp(["ingest", "--store", str(store), str(base / "files")])
    assert result.exit_code == 0, result.stderr
    return store


def test_short_store_report_degrades_gracefully(short_store: Path) -> None:
    result = report(short_store, "--period", "2018-07..2018-09", "--vs", "previous", "--format",
                    "json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    flags = [r for r in records if r["part"] == "data_quality"]
    got = {(r["months"], r["issue"]) for r in flags}
    assert got == {
        ("2018-06", "gap: no data"),
        ("2018-08", "probably incomplete"),
    }
    august = next(r for r in flags if r["months"] == "2018-08")
    # 140 rows (120 crimes + 20 ASB) against the median of Feb-May and July (420).
    assert (august["observed"], august["reference"]) == (140, 420)
    assert august["force"] == "leicestershire" and august["dataset"] == "street"
    rows = {r["kpi"]: r for r in records if r["part"] == "kpi"}
    crime = rows["all-crime"]
    # The baseline (Apr-Jun) lacks June: never compared, the current quarter still shown.
    assert crime["value"] == 400 + 120 + 400
    assert crime["baseline_value"] is None and crime["change"] is None
    assert "not compared" in crime["notes"]
    assert crime["spc_status"] == "not charted"
    assert crime["headline"] is None


def test_no_data_for_the_force(short_store: Path) -> None:
    result = run_pcp(
        ["report", "--store", str(short_store), "--force", "kent", "--period", "Q2"], env=ENV
    )
    assert result.exit_code == 5
    assert "no data for Kent" in result.stderr and result.stdout == ""


# -- real data ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def leics_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = real("policeuk-street-leicestershire-2020-2022")
    store = tmp_path_factory.mktemp("report-real") / "store"
    result = run_pcp(["ingest", "--store", str(store), str(source)])
    assert result.exit_code == 0, result.stderr
    return store


@pytest.mark.realdata
def test_real_leicestershire_quarter_totals(leics_store: Path) -> None:
    result = report(leics_store, "--period", "Q2 2021/22", "--format", "json")
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    rows = {r["kpi"]: r for r in records if r["part"] == "kpi"}
    crime = rows["all-crime"]
    assert (crime["value"], crime["baseline_value"], crime["change"]) == (22919, 21874, 1045)
    assert crime["source"] == "street" and crime["item"] == "3.1"
    assert (rows["burglary"]["value"], rows["burglary"]["baseline_value"]) == (854, 1122)
    assert (rows["shoplifting"]["value"], rows["shoplifting"]["baseline_value"]) == (861, 730)
    # Leicestershire alone in this store: no ranks, and the report says why.
    assert crime["group_rank"] is None
    assert crime["group_note"] == "no other MSG force has street or prc data in the store"
    # Rolling 12 months to 2021-09: the previous 12 (from 2019-10) are not all in the store.
    summary = {r["kpi"]: r for r in records if r["part"] == "crime_summary"}
    assert summary["all-crime"]["baseline_value"] is None
    assert crime["spc_points"] == 21 and crime["spc_window"] == "2020-01..2021-09"


@pytest.fixture(scope="module")
def msg_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    street = real("policeuk-street-msg-2018q3")
    population = real("ons-pfa-population-2009-2019", "population_policeforces.csv")
    store = tmp_path_factory.mktemp("report-msg") / "store"
    result = run_pcp(["ingest", "--store", str(store), str(street), str(population)])
    assert result.exit_code == 0, result.stderr
    return store


@pytest.mark.realdata
def test_real_msg_flags_kent_november_december_2018(msg_store: Path, tmp_path: Path) -> None:
    result = report(msg_store, "--period", "Q3 2018/19", "--format", "json")
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    flags = [r for r in records if r["part"] == "data_quality"]
    incomplete = [
        (r["force"], r["months"], r["observed"], r["reference"])
        for r in flags
        if r["issue"] == "probably incomplete"
    ]
    assert incomplete == [
        ("kent", "2018-11", 13818, 19396),
        ("kent", "2018-12", 8438, 19396),
    ]
    rows = {r["kpi"]: r for r in records if r["part"] == "kpi"}
    crime = rows["all-crime"]
    assert crime["value"] == 23362 and crime["baseline_value"] is None
    assert (crime["group_rank"], crime["group_ranked"]) == (6, 8)
    assert round(crime["group_rate"], 3) == 21.371
    assert crime["incomplete_peers"] == "kent"
    # The same section in the HTML.
    path = tmp_path / "msg.html"
    result = report(msg_store, "--period", "Q3 2018/19", "--charts", "none", "-o", str(path))
    assert result.exit_code == 0, result.stderr
    doc = parse_html(path.read_text(encoding="utf-8"))
    quality = [rows for section, rows in doc.tables if section == "data-quality"]
    assert len(quality) == 1
    kent = [r for r in quality[0] if r[0] == "Kent"]
    assert [(r[2], r[3], r[4], r[5], r[6]) for r in kent] == [
        ("2018-11", "probably incomplete", "13,818", "19,396", "−28.8%"),
        ("2018-12", "probably incomplete", "8,438", "19,396", "−56.5%"),
    ]
