"""`pcp rank`: MSG and national comparison per 1,000 population (methods.md §2.3, §3)."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import polars as pl
import pytest

from pcp_cli.analysis.peer_figures import Figure, compare_figures
from pcp_cli.analysis.population import (
    PopulationTable,
    estimate_year,
    period_midpoint,
)
from pcp_cli.analysis.quality import check_completeness, spread_blocks
from pcp_cli.analysis.ranker import outcome_rate_applicable
from pcp_cli.engine import Engine, outcome_rate_kpis, restrict_kpi
from pcp_cli.errors import NoDataError
from pcp_cli.kpis import load_catalogue
from pcp_cli.periods import month_index, parse_period
from pcp_cli.stats.intervals import wilson_interval
from pcp_cli.store import Store
from tests.conftest import REPO, STREET_HEADER, real, run_pcp, street_row

TOL = 1e-6
CAUTION = "Offender given a caution"
OPEN = "Investigation complete; no suspect identified"


# -- fixtures --------------------------------------------------------------------------------
def _street_file(path: Path, month: str, force: str, rows: dict[tuple[str, str], int]) -> None:
    """A street file with ``rows[(crime type, last outcome)]`` rows of each kind."""
    lines = [STREET_HEADER]
    for (crime_type, outcome), n in rows.items():
        lines += [
            street_row(
                month,
                crime_type,
                crime_id=f"{month}-{crime_type}-{outcome}-{i}",
                force=force,
                outcome=outcome,
            )
            for i in range(n)
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def _months(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Leicestershire 2017-2018; Sussex, Essex and Bedfordshire 2018 only.

    Per month in 2018: Leicestershire 17 burglaries (4 cautioned) + 3 shoplifting = 20 crimes,
    population 1,000,000; Sussex 34 burglaries (6 cautioned) + 6 shoplifting = 40 crimes,
    population 2,000,000 (the same rate: a tie); Essex 12 burglaries (6 cautioned) + 3
    shoplifting = 15, population 1,000,000; Bedfordshire 10 burglaries, no population;
    Hampshire 5 burglaries in October and November 2018 only.
    Leicestershire 2017: 15 burglaries + 3 shoplifting = 18 a month. Plus 2 ASB rows a month.
    """
    base = tmp_path_factory.mktemp("rank")
    files = base / "files"
    plan = {
        ("Leicestershire Police", "leicestershire"): {
            2017: {("Burglary", OPEN): 15, ("Shoplifting", OPEN): 3},
            2018: {("Burglary", CAUTION): 4, ("Burglary", OPEN): 13, ("Shoplifting", OPEN): 3},
        },
        ("Sussex Police", "sussex"): {
            2018: {("Burglary", CAUTION): 6, ("Burglary", OPEN): 28, ("Shoplifting", OPEN): 6},
        },
        ("Essex Police", "essex"): {
            2018: {("Burglary", CAUTION): 6, ("Burglary", OPEN): 6, ("Shoplifting", OPEN): 3},
        },
        ("Bedfordshire Police", "bedfordshire"): {2018: {("Burglary", OPEN): 10}},
    }
    for month in ("2018-10", "2018-11"):  # Hampshire: December missing
        _street_file(
            files / month / f"{month}-hampshire-street.csv",
            month,
            "Hampshire Constabulary",
            {("Burglary", OPEN): 5},
        )
    for (force, slug), years in plan.items():
        for year, rows in years.items():
            for month in _months(year):
                _street_file(
                    files / month / f"{month}-{slug}-street.csv",
                    month,
                    force,
                    {**rows, ("Anti-social behaviour", ""): 2},
                )
    (files / "population.csv").write_text(
        "force,year,population\n"
        "Leicestershire,2017,1000000\nLeicestershire,2018,1000000\n"
        "Sussex,2018,2000000\nEssex,2018,1000000\n",
        encoding="utf-8",
    )
    store = base / "store"
    result = run_pcp(["ingest", "--store", str(store), str(files)])
    assert result.exit_code == 0, result.stderr
    return store


def rank_csv(store: Path, *args: str) -> tuple[pl.DataFrame, str]:
    result = run_pcp(["rank", "--store", str(store), "--format", "csv", *args])
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(io.BytesIO(result.stdout_bytes)), result.stderr


def by_force(frame: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {r["force"]: r for r in frame.iter_rows(named=True)}


# -- methods.md §2.3 (V2.2) and §3 through the analysis layer -------------------------------
V22_POP = [1200, 900, 1500, 1050, 800, 1300, 1000, 1100]
V22_COUNT = [95000, 60000, 120000, 70000, 52000, 98000, 69000, 80000]


def v22_figures() -> list[Figure]:
    return [
        Figure(force, count, pop * 1000.0)
        for force, count, pop in zip("ABCDEFGH", V22_COUNT, V22_POP, strict=True)
    ]


def test_v22_msg_statistics_through_compare_figures() -> None:
    comp = compare_figures(
        v22_figures(), measure="per-population", polarity="lower-is-better", multiplier=1000
    )
    rates = {f: p.value for f, p in comp.placed.items()}
    expected = {
        "A": 79.166667, "B": 66.666667, "C": 80.0, "D": 66.666667,
        "E": 65.0, "F": 75.384615, "G": 69.0, "H": 72.727273,
    }  # fmt: skip
    for force, rate in expected.items():
        assert rates[force] == pytest.approx(rate, abs=TOL)
    assert comp.summary is not None
    assert comp.summary.mean == pytest.approx(71.826486, abs=TOL)
    assert comp.summary.sd == pytest.approx(5.879671, abs=TOL)
    assert comp.summary.lower == pytest.approx(60.302332, abs=TOL)
    assert comp.summary.upper == pytest.approx(83.350641, abs=TOL)
    assert {p.rag for p in comp.placed.values()} == {"AMBER"}
    assert comp.placed["A"].z == pytest.approx(1.248400, abs=TOL)
    assert comp.placed["C"].z == pytest.approx(1.390131, abs=TOL)
    # Leave-one-out: A against its peers (mean 70.777889, SD 5.483590).
    assert comp.placed["A"].peer_mean_excl == pytest.approx(70.777889, abs=TOL)
    assert comp.placed["A"].z_excl == pytest.approx((80 - 5 / 6 - 70.777889) / 5.483590, abs=1e-5)
    # Lowest rate is rank 1; B and D tie on 66.666667 (competition ranking: 2, 2, then 4).
    ranks = {f: p.rank for f, p in comp.placed.items()}
    assert ranks == {"E": 1, "B": 2, "D": 2, "G": 4, "H": 5, "F": 6, "A": 7, "C": 8}
    # Funnel baseline is the weighted rate.
    assert comp.group_rate == pytest.approx(72.768362, abs=TOL)
    # Every force is AMBER and inside the lines: no difference is "meaningful".
    assert all(p.meaningful is False for p in comp.placed.values())


def test_v22_weighted_mean_and_population_sd() -> None:
    comp = compare_figures(
        v22_figures(),
        measure="per-population",
        polarity="lower-is-better",
        multiplier=1000,
        mean_method="weighted",
        ddof=0,
    )
    assert comp.summary is not None
    assert comp.summary.mean == pytest.approx(72.768362, abs=TOL)
    assert comp.summary.sd == pytest.approx(5.499928, abs=TOL)


@pytest.mark.parametrize(
    ("count", "population", "rate", "lower", "upper", "method"),
    [
        (150, 120000, 1.25, 1.057956, 1.466818, "Byars"),
        (7, 12000, 0.583333, 0.234530, 1.201890, "Exact"),
        (0, 12000, 0.0, 0.0, 0.307407, "Exact"),
        (9, 12000, 0.75, 0.342948, 1.423734, "Exact"),
        (10, 12000, 0.833333, 0.398954, 1.532622, "Byars"),
    ],
)
def test_v32_rate_intervals_through_compare_figures(
    count: int, population: int, rate: float, lower: float, upper: float, method: str
) -> None:
    comp = compare_figures(
        [Figure("X", count, population)],
        measure="per-population",
        polarity="lower-is-better",
        multiplier=1000,
    )
    placed = comp.placed["X"]
    assert placed.value == pytest.approx(rate, abs=TOL)
    assert placed.lower == pytest.approx(lower, abs=TOL)
    assert placed.upper == pytest.approx(upper, abs=TOL)
    assert placed.ci_method == method
    assert placed.rank == 1 and comp.summary is not None and comp.summary.sd is None


def test_v31_wilson_for_rates_of_a_count() -> None:
    comp = compare_figures(
        [Figure("X", 96, 105), Figure("Y", 0, 105), Figure("Z", 105, 105)],
        measure="proportion",
        polarity="higher-is-better",
        multiplier=100,
    )
    x, y, z = comp.placed["X"], comp.placed["Y"], comp.placed["Z"]
    assert (x.lower, x.upper) == pytest.approx((84.5077, 95.4251), abs=1e-4)
    assert (y.lower, y.upper) == pytest.approx((0.0, 3.5294), abs=1e-4)
    assert (z.lower, z.upper) == pytest.approx((96.4706, 100.0), abs=1e-4)
    assert x.ci_method == "Wilson"
    assert (z.rank, x.rank, y.rank) == (1, 2, 3)  # higher is better


def test_funnel_position_against_the_group_rate_v34() -> None:
    # Group rate 1000 × 100 / 5000 = 20 per 1,000: force A expects 20 events and saw 10.
    # V3.4: 10 observed sits on the lower 95% funnel at 18.390356 expected and on the lower
    # 99.8% funnel at 24.133972, so 20 expected puts A below 95% but not below 99.8%.
    comp = compare_figures(
        [Figure("A", 10, 1000), Figure("B", 90, 4000)],
        measure="per-population",
        polarity="lower-is-better",
        multiplier=1000,
    )
    assert comp.group_rate == pytest.approx(20.0, abs=1e-12)
    assert comp.placed["A"].funnel == "below 95%"
    assert comp.placed["B"].funnel == "within 95%"


def test_unranked_figures_do_not_count() -> None:
    comp = compare_figures(
        [Figure("A", 10, 1000), Figure("B", status="no data"), Figure("C", 30, 1000)],
        measure="per-population",
        polarity="lower-is-better",
        multiplier=1000,
    )
    assert comp.ranked == 2 and comp.members == 3
    assert set(comp.placed) == {"A", "C"}


# -- populations ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("period", "year"),
    [
        ("2018/19", 2018),  # a financial year uses the year it starts in
        ("2017/18", 2017),
        ("Q3 2018/19", 2018),  # Oct-Dec 2018: 15 November, nearer June 2018
        ("Q4 2018/19", 2019),  # Jan-Mar 2019: mid-February, nearer June 2019
        ("Q1 2018/19", 2018),
        ("2018-01..2018-12", 2018),
        ("2016-10..2017-09", 2017),  # 12 months to Sep 2017: midpoint 1 April 2017
    ],
)
def test_population_year_nearest_the_midpoint(period: str, year: int) -> None:
    assert estimate_year(parse_period(period)) == year


def test_period_midpoint() -> None:
    assert str(period_midpoint(parse_period("2018/19"))) == "2018-09-30"
    assert str(period_midpoint(parse_period("Q3 2018/19"))) == "2018-11-15"


def test_population_fallback_and_missing() -> None:
    table = PopulationTable({"leicestershire": {2016: 1.0e6, 2019: 1.1e6}, "kent": {2018: 1.8e6}})
    exact = table.lookup("kent", parse_period("2018/19"))
    assert (exact.year, exact.population, exact.warning()) == (2018, 1.8e6, None)
    # 2018/19 wants mid-2018: mid-2019 (273 days from 30 Sep 2018) is nearer than mid-2016.
    near = table.lookup("leicestershire", parse_period("2018/19"))
    assert (near.year, near.wanted_year, near.population) == (2019, 2018, 1.1e6)
    assert near.warning() == (
        "no mid-2018 population estimate for leicestershire; using mid-2019 "
        "(the nearest year in the store)"
    )
    assert table.find("essex", parse_period("2018/19")) is None
    with pytest.raises(NoDataError, match=r"no population estimate for Essex \(essex\)"):
        table.lookup("essex", parse_period("2018/19"), name="Essex")


# -- completeness ----------------------------------------------------------------------------
OCT, NOV, DEC = month_index(2018, 10), month_index(2018, 11), month_index(2018, 12)


def test_kent_q3_2018_rows_are_probably_incomplete() -> None:
    check = check_completeness({OCT: 19396, NOV: 13818, DEC: 8438}, [OCT, NOV, DEC])
    assert check.probably_incomplete
    assert check.months == (NOV, DEC)
    # December is compared with October only: November, itself flagged, is left out.
    assert [round(f.reference) for f in check.flagged] == [19396, 19396]
    assert check.flagged[0].ratio == pytest.approx(13818 / 19396, abs=1e-12)
    assert check.unchecked == (OCT,)
    assert check.describe() == (
        "probably incomplete: 2018-11 13,818 (−29% against 19,396), "
        "2018-12 8,438 (−56% against 19,396)"
    )


def test_ordinary_months_are_not_flagged() -> None:
    # Leicestershire Q3 2018/19 rows, and a 20% winter dip against six earlier months.
    assert not check_completeness({OCT: 8956, NOV: 8880, DEC: 8380}, [OCT, NOV, DEC]).flagged
    series = {month_index(2018, m): 1000.0 for m in range(4, 10)} | {OCT: 800.0}
    check = check_completeness(series, [OCT])
    assert not check.flagged and check.checked == (OCT,)
    series[OCT] = 740.0  # 26% down: flagged
    assert check_completeness(series, [OCT]).months == (OCT,)


def test_small_counts_need_a_significant_drop() -> None:
    # 12 -> 8 is a 33% fall but well within Poisson noise: not flagged.
    assert not check_completeness({NOV: 12, DEC: 8}, [DEC]).flagged
    # 1200 -> 800 is the same fall on a count where it cannot be chance.
    assert check_completeness({NOV: 1200, DEC: 800}, [DEC]).months == (DEC,)


def test_reference_months_before_the_period_and_quarterly_blocks() -> None:
    q2, q3 = month_index(2018, 7), OCT
    monthly = spread_blocks([(q2, 3, 3000.0), (q3, 3, 1500.0)])
    assert monthly[q3] == 500.0 and monthly[q2 + 2] == 1000.0
    check = check_completeness(monthly, range(q3, q3 + 3))
    assert check.months == (OCT, NOV, DEC)
    assert check.unchecked == ()


# -- engine helpers --------------------------------------------------------------------------
def test_preload_gives_the_same_series_as_one_force_at_a_time(store: Path) -> None:
    catalogue = load_catalogue(REPO / "config" / "kpis.toml")
    kpi = catalogue.kpis["all-crime"]
    forces = ["leicestershire", "sussex", "essex", "kent"]
    with Store(store).reading() as reader:
        single = Engine(reader, catalogue)
        batch = Engine(reader, catalogue)
        batch.preload(kpi, forces)
        for force in forces:
            a, b = single.series(kpi, force, "street"), batch.series(kpi, force, "street")
            if a is None:
                assert b is None
                continue
            assert b is not None
            assert a.covered == b.covered
            assert a.rows.equals(b.rows)


def test_preload_of_every_kpi_matches_counting_each_on_its_own(sample_store: Path) -> None:
    """The batched load (one group-by per dataset, survey measures on their own) gives, for
    every KPI, dataset and force, exactly the series counted one at a time."""
    catalogue = load_catalogue(REPO / "config" / "kpis.toml")
    forces = ["leicestershire", "sussex", "kent", "city-of-london", "dyfed-powys"]
    kpis = list(catalogue.kpis.values())
    with Store(sample_store).reading() as reader:
        single = Engine(reader, catalogue)
        batch = Engine(reader, catalogue)
        batch.preload(kpis, forces)
        loaded = 0
        for kpi in kpis:
            for base in batch.base_kpis(kpi):
                for rule in base.rules:
                    for force in forces:
                        a = single.series(base, force, rule.dataset)
                        b = batch.series(base, force, rule.dataset)
                        assert (a is None) == (b is None), (base.id, force, rule.dataset)
                        if a is None or b is None:
                            continue
                        loaded += 1
                        assert a.covered == b.covered, (base.id, force, rule.dataset)
                        assert a.rows.equals(b.rows), (base.id, force, rule.dataset)
    # Every dataset of the samples took part, surveys (counted per measure) included.
    assert loaded > 100


def test_outcome_rate_kpis_combine_the_street_rule_with_the_list() -> None:
    catalogue = load_catalogue(REPO / "config" / "kpis.toml")
    burglary = catalogue.kpis["burglary"]
    pair = outcome_rate_kpis(burglary, catalogue)
    assert pair is not None
    num, den = pair
    assert [r.dataset for r in num.rules] == ["street"] == [r.dataset for r in den.rules]
    assert [c.describe() for c in den.rules[0].conditions] == ["crime_type in [Burglary]"]
    cond = num.rules[0].conditions
    assert cond[0].describe() == "crime_type in [Burglary]"
    assert cond[1].column == "last_outcome_category" and CAUTION in cond[1].values
    assert num.id != den.id != burglary.id
    assert restrict_kpi(catalogue.kpis["rape"], "street") is None  # no street rule
    assert outcome_rate_applicable(burglary, catalogue)
    assert not outcome_rate_applicable(catalogue.kpis["asb-incidents"], catalogue)
    assert not outcome_rate_applicable(catalogue.kpis["positive-outcomes"], catalogue)
    assert not outcome_rate_applicable(catalogue.kpis["positive-outcome-rate"], catalogue)


# -- the command on a synthetic store ----------------------------------------------------------
def test_msg_table_ties_no_data_rows_and_missing_peer_population(store: Path) -> None:
    frame, stderr = rank_csv(
        store, "--kpi", "all-crime", "--period", "Q3 2018/19", "--force", "leicestershire"
    )
    rows = by_force(frame)
    # All eight MSG members are listed: none is silently dropped.
    assert set(rows) == {
        "leicestershire", "sussex", "hertfordshire", "essex",
        "bedfordshire", "hampshire", "nottinghamshire", "kent",
    }  # fmt: skip
    leics, sussex, essex = rows["leicestershire"], rows["sussex"], rows["essex"]
    assert (leics["count"], leics["denominator"], leics["population_year"]) == (60, 1e6, 2018)
    assert leics["rate"] == pytest.approx(0.06, abs=1e-12)
    assert sussex["rate"] == pytest.approx(0.06, abs=1e-12)
    # Ties share the better rank; the next rank is skipped (competition ranking).
    assert (essex["group_rank"], leics["group_rank"], sussex["group_rank"]) == (1, 2, 2)
    assert leics["group_ranked"] == 3 and leics["group_members"] == 8
    assert leics["national_rank"] == 2 and leics["national_ranked"] == 3
    assert leics["home"] is True and leics["dataset"] == "street"
    assert rows["kent"]["status"] == "no data" and rows["kent"]["group_rank"] is None
    assert rows["bedfordshire"]["status"] == "no population"
    assert rows["bedfordshire"]["count"] == 30
    assert rows["hampshire"]["status"] == "incomplete period"
    assert rows["hampshire"]["status_detail"] == (
        "part of the period missing: no street data for 2018-12"
    )
    assert "Hampshire: incomplete period for all-crime" in stderr
    # Mean of the three rates, sample SD, lines; z of Leicestershire.
    rates = [0.06, 0.06, 0.045]
    mean = sum(rates) / 3
    sd = math.sqrt(sum((r - mean) ** 2 for r in rates) / 2)
    assert leics["group_mean"] == pytest.approx(mean, abs=1e-12)
    assert leics["sd"] == pytest.approx(sd, abs=1e-12)
    assert leics["upper_line"] == pytest.approx(mean + 1.96 * sd, abs=1e-12)
    assert leics["z"] == pytest.approx((0.06 - mean) / sd, abs=1e-9)
    assert (leics["rag"], leics["mean_method"], leics["sd_ddof"]) == ("AMBER", "unweighted", 1)
    assert leics["meaningful"] is False
    assert "Kent: no data for all-crime" in stderr
    assert "ranks are over 3 of 8 forces" in stderr
    assert "Bedfordshire: no population for all-crime" in stderr
    assert "The difference from the MSG mean is not statistically meaningful" in stderr
    assert "counted from street" in stderr
    # Ranked forces first, in rank order.
    assert frame["force"].to_list()[:3] == ["essex", "leicestershire", "sussex"]


def test_weighted_mean_and_population_sd(store: Path) -> None:
    frame, _ = rank_csv(
        store,
        "--kpi", "all-crime", "--period", "Q3 2018/19", "--force", "leicestershire",
        "--weighted", "--sd", "population",
    )  # fmt: skip
    leics = by_force(frame)["leicestershire"]
    assert leics["group_mean"] == pytest.approx(1000 * (60 + 120 + 45) / 4e6, abs=1e-12)
    assert (leics["mean_method"], leics["sd_ddof"]) == ("weighted", 0)
    rates = [0.06, 0.06, 0.045]
    mean = sum(rates) / 3
    assert leics["sd"] == pytest.approx(math.sqrt(sum((r - mean) ** 2 for r in rates) / 3))


def test_group_of_one(store: Path) -> None:
    frame, stderr = rank_csv(
        store, "--kpi", "burglary", "--period", "Q3 2018/19", "--force", "leicestershire",
        "--group", "leicestershire",
    )  # fmt: skip
    assert frame.height == 1
    row = frame.row(0, named=True)
    assert (row["group_rank"], row["group_ranked"], row["group"]) == (1, 1, "custom")
    assert row["group_mean"] == pytest.approx(row["rate"], abs=1e-15)
    assert row["sd"] is None and row["z"] is None and row["rag"] == "NONE"
    assert row["meaningful"] is None
    assert row["difference"] == "undetermined: no other force in the group has data"
    # Essex 36 per 1m; Leicestershire 51 per 1m ties with Sussex 102 per 2m.
    assert (row["national_rank"], row["national_ranked"]) == (2, 3)
    assert "rank 1 of 1" in stderr


def test_custom_and_named_groups(store: Path, tmp_path: Path) -> None:
    frame, _ = rank_csv(
        store, "--kpi", "all-crime", "--period", "Q3 2018/19", "--force", "leicestershire",
        "--group", "Essex Police,sussex",
    )  # fmt: skip
    assert sorted(frame["force"].to_list()) == ["essex", "leicestershire", "sussex"]
    (tmp_path / "pcp.toml").write_text('[groups]\npair = ["essex"]\n', encoding="utf-8")
    result = run_pcp(
        ["rank", "--store", str(store), "--format", "csv", "--kpi", "all-crime",
         "--period", "Q3 2018/19", "--force", "leicestershire", "--group", "pair"],
        cwd=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    named = pl.read_csv(io.BytesIO(result.stdout_bytes))
    assert named["group"].unique().to_list() == ["pair"]
    assert sorted(named["force"].to_list()) == ["essex", "leicestershire"]
    bad = run_pcp(
        ["rank", "--store", str(store), "--kpi", "all-crime", "--period", "Q3 2018/19",
         "--force", "leicestershire", "--group", "nosuchgroup"],
    )  # fmt: skip
    assert bad.exit_code == 2 and "unknown group or force 'nosuchgroup'" in bad.stderr


def test_national_group(store: Path) -> None:
    frame, stderr = rank_csv(
        store, "--kpi", "all-crime", "--period", "Q3 2018/19", "--force", "leicestershire",
        "--group", "national",
    )  # fmt: skip
    assert frame.height == 43
    assert "btp" not in frame["force"].to_list()
    ranked = frame.filter(pl.col("group_rank").is_not_null())
    assert ranked["force"].to_list() == ["essex", "leicestershire", "sussex"]
    assert (ranked["group_rank"] == ranked["national_rank"]).all()
    assert "38 of 43 territorial forces are not ranked (no data)" in stderr
    assert "1 of 43 territorial forces are not ranked (incomplete period)" in stderr
    assert "1 of 43 territorial forces are not ranked (no population)" in stderr


def test_home_force_without_population_is_an_error(store: Path) -> None:
    result = run_pcp(
        ["rank", "--store", str(store), "--kpi", "all-crime", "--period", "Q3 2018/19",
         "--force", "bedfordshire"],
    )  # fmt: skip
    assert result.exit_code == 5
    assert "no population estimate for Bedfordshire (bedfordshire)" in result.stderr
    assert result.stdout == ""


def test_non_territorial_force_is_never_ranked(store: Path) -> None:
    result = run_pcp(
        ["rank", "--store", str(store), "--kpi", "all-crime", "--period", "Q3 2018/19",
         "--force", "British Transport Police"],
    )  # fmt: skip
    assert result.exit_code == 2 and "not a territorial police force" in result.stderr


def test_derived_rate_is_ranked_by_the_rate_with_wilson_intervals(store: Path) -> None:
    frame, _ = rank_csv(
        store, "--kpi", "positive-outcome-rate", "--period", "Q3 2018/19",
        "--force", "leicestershire",
    )  # fmt: skip
    rows = by_force(frame)
    leics = rows["leicestershire"]
    assert (leics["count"], leics["denominator"]) == (12, 60)
    assert leics["denominator_kind"] == "all-crime" and leics["measure"] == "%"
    assert leics["rate"] == pytest.approx(20.0, abs=1e-12)
    w = wilson_interval(12, 60, 0.95, 100)
    assert (leics["ci_lower"], leics["ci_upper"]) == pytest.approx((w.lower, w.upper), abs=1e-12)
    assert leics["ci_method"] == "Wilson" and leics["population_year"] is None
    # Higher is better: Essex 40% first, Leicestershire 20%, Sussex 15%.
    assert [rows[f]["group_rank"] for f in ("essex", "leicestershire", "sussex")] == [1, 2, 3]
    # Bedfordshire has crimes but no positive outcomes: 0%, ranked (no population needed).
    assert rows["bedfordshire"]["rate"] == 0.0 and rows["bedfordshire"]["group_rank"] == 4
    assert leics["group_rate"] == pytest.approx(100 * (12 + 18 + 18) / (60 + 120 + 45 + 30))


def test_kpi_table_has_the_seed_003_shape(store: Path) -> None:
    frame, stderr = rank_csv(
        store, "--kpi", "all-crime,burglary,shoplifting,asb-incidents,positive-outcome-rate",
        "--period", "12m", "--force", "leicestershire",
    )  # fmt: skip
    rows = {r["kpi"]: r for r in frame.iter_rows(named=True)}
    crime = rows["all-crime"]
    assert (crime["period"], crime["baseline_period"]) == ("12m to 2018-12", "12m to 2017-12")
    assert (crime["value"], crime["baseline_value"], crime["change"]) == (240, 216, 24)
    assert crime["pct_change"] == pytest.approx(24 / 216 * 100, abs=1e-9)
    assert (crime["group_rank"], crime["group_ranked"], crime["national_rank"]) == (2, 3, 2)
    assert crime["outcome_rate"] == pytest.approx(100 * 48 / 240, abs=1e-12)
    assert crime["outcome_rate_group_rank"] == 2 and crime["outcome_rate_group_ranked"] == 4
    burglary = rows["burglary"]
    assert burglary["outcome_rate"] == pytest.approx(100 * 48 / 204, abs=1e-12)
    # Essex 72/144 = 50%, Leicestershire 23.5%, Sussex 72/408 = 17.6%, Bedfordshire 0%.
    assert burglary["outcome_rate_group_rank"] == 2
    shoplifting = rows["shoplifting"]
    # Nobody's shoplifting has a positive outcome: a three-way tie at 0% (Bedfordshire has no
    # shoplifting, so its rate is undefined and it is not ranked).
    assert shoplifting["outcome_rate"] == 0.0 and shoplifting["outcome_rate_group_rank"] == 1
    assert shoplifting["outcome_rate_group_ranked"] == 3
    assert rows["asb-incidents"]["outcome_rate"] is None
    assert rows["asb-incidents"]["outcome_rate_source"] == "not available"
    rate = rows["positive-outcome-rate"]
    assert rate["value"] == pytest.approx(20.0) and rate["baseline_value"] == 0.0
    assert rate["change"] == pytest.approx(20.0) and rate["measure"] == "%"
    assert crime["missing_peers"] == "hertfordshire;bedfordshire;hampshire;nottinghamshire;kent"
    assert "Bedfordshire: no population for 4 KPI(s)" in stderr
    table = run_pcp(
        ["rank", "--store", str(store), "--format", "markdown", "--kpi",
         "all-crime,burglary", "--period", "12m", "--force", "leicestershire"],
    )  # fmt: skip
    header = table.stdout.splitlines()[2]
    assert header.startswith(
        "| Category | 12m to 2018-12 | 12m to 2017-12 | Change | % change | MSG rank | "
        "National rank | +ve outcome rate | MSG rank (+ve) |"
    )
    assert "| All crime | 240 | 216 | +24 | +11.1% | 2 of 3 | 2 of 3 | 20.0% | 2 of 4 |" in (
        table.stdout
    )


def test_home_row_is_highlighted_and_formats_parse(store: Path) -> None:
    args = ["rank", "--store", str(store), "--kpi", "all-crime", "--period", "Q3 2018/19",
            "--force", "leicestershire"]  # fmt: skip
    table = run_pcp([*args, "--format", "table"])
    assert table.exit_code == 0
    home = [line for line in table.stdout.splitlines() if "◀" in line]
    assert len(home) == 1 and "Leicestershire" in home[0] and "2 of 3" in home[0]
    rows = json.loads(run_pcp([*args, "--format", "json"]).stdout)
    assert len(rows) == 8 and sum(r["home"] for r in rows) == 1


def test_which_force(store: Path) -> None:
    args = ["rank", "--store", str(store), "--kpi", "burglary", "--period", "Q3", "--to", "2018-12"]
    result = run_pcp(args)
    assert result.exit_code == 2 and "which force?" in result.stderr
    result = run_pcp([*args, "--format", "csv"], env={"PCP_FORCE": "Leicestershire Police"})
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(io.BytesIO(result.stdout_bytes))
    assert frame.filter(pl.col("home"))["force"].to_list() == ["leicestershire"]
    assert frame["period"].unique().to_list() == ["Q3 2018/19"]


# -- dataset choice ----------------------------------------------------------------------------
PRC_HEADER = (
    "Financial Year,Financial Quarter,Force Name,Offence Description,Offence Group,"
    "Offence Subgroup,Offence Code,Number of Offences"
)


def _prc(forces: dict[str, int]) -> str:
    lines = [PRC_HEADER]
    for force, n in forces.items():
        lines.append(
            f"2018/19,3,{force},Burglary - residential,Theft offences,Domestic burglary,28E, {n} "
        )
    return "\n".join(lines) + "\n"


def test_one_dataset_for_every_force_chosen_by_coverage(tmp_path: Path) -> None:
    files = tmp_path / "files"
    for slug, name in (("leicestershire", "Leicestershire Police"), ("essex", "Essex Police")):
        for month in ("2018-10", "2018-11", "2018-12"):
            _street_file(files / f"{month}-{slug}-street.csv", month, name, {("Burglary", OPEN): 5})
    (files / "prc.csv").write_text(
        _prc({"Leicestershire": 100, "Essex": 90, "Kent": 300}), encoding="utf-8"
    )
    (files / "pop.csv").write_text(
        "year,Leicestershire,Essex,Kent\n2018,1000000,1800000,1850000\n", encoding="utf-8"
    )
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(files)]).exit_code == 0
    frame, stderr = rank_csv(
        store, "--kpi", "burglary", "--period", "Q3 2018/19", "--force", "leicestershire"
    )
    rows = by_force(frame)
    # prc covers three forces, street two: prc is used for all of them.
    assert frame["dataset"].unique().to_list() == ["prc"]
    assert (rows["leicestershire"]["count"], rows["kent"]["count"]) == (100, 300)
    assert "counted from prc" in stderr
    # With prc for one force only, street wins and the prc-only force is reported.
    (files / "prc.csv").write_text(_prc({"Kent": 300}), encoding="utf-8")
    store2 = tmp_path / "store2"
    assert run_pcp(["ingest", "--store", str(store2), str(files)]).exit_code == 0
    frame, stderr = rank_csv(
        store2, "--kpi", "burglary", "--period", "Q3 2018/19", "--force", "leicestershire"
    )
    rows = by_force(frame)
    assert frame["dataset"].unique().to_list() == ["street"]
    assert rows["leicestershire"]["count"] == 15
    assert rows["kent"]["status"] == "not comparable"
    assert "only prc data" in rows["kent"]["status_detail"]
    assert "Kent: not comparable for burglary" in stderr
    # A month period cuts the quarterly prc rows, so only street can answer it.
    frame, _ = rank_csv(
        store, "--kpi", "burglary", "--period", "2018-10", "--force", "leicestershire"
    )
    assert frame["dataset"].unique().to_list() == ["street"]


# -- real data -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    street = real("policeuk-street-msg-2018q3")
    population = real("ons-pfa-population-2009-2019", "population_policeforces.csv")
    prc = real("homeoffice-prc-pfa-2017-18", "prc-pfa-mar2013-onwards-tables201718.csv")
    store = tmp_path_factory.mktemp("rank-real") / "store"
    result = run_pcp(["ingest", "--store", str(store), str(street), str(population), str(prc)])
    assert result.exit_code == 0, result.stderr
    return store


@pytest.mark.realdata
def test_real_msg_q3_2018_crimes_per_1000(real_store: Path) -> None:
    frame, stderr = rank_csv(
        real_store, "--kpi", "all-crime", "--period", "Q3 2018/19", "--force", "leicestershire"
    )
    rows = by_force(frame)
    leics = rows["leicestershire"]
    assert leics["count"] == 23362 and leics["population_year"] == 2018
    assert round(leics["rate"], 3) == 21.371
    assert (leics["group_rank"], leics["group_ranked"]) == (6, 8)
    assert rows["sussex"]["group_rank"] == 1 and round(rows["sussex"]["rate"], 3) == 16.642
    assert rows["essex"]["group_rank"] == 8 and round(rows["essex"]["rate"], 3) == 22.502
    assert frame["dataset"].unique().to_list() == ["street"]
    assert rows["kent"]["quality"].startswith("probably incomplete: 2018-11 13,818")
    assert all(rows[f]["quality"] == "ok" for f in rows if f != "kent")
    assert "Kent: street data probably incomplete" in stderr
    excluded, _ = rank_csv(
        real_store, "--kpi", "all-crime", "--period", "Q3 2018/19", "--force",
        "leicestershire", "--exclude-incomplete",
    )  # fmt: skip
    rows = by_force(excluded)
    assert rows["kent"]["status"] == "excluded: probably incomplete"
    assert (rows["leicestershire"]["group_rank"], rows["leicestershire"]["group_ranked"]) == (5, 7)


def _independent_prc_2017_18() -> pl.DataFrame:
    """All crime (fraud excluded) 2017/18 per force and mid-2017 population, by plain polars."""
    prc = pl.read_csv(
        real("homeoffice-prc-pfa-2017-18", "prc-pfa-mar2013-onwards-tables201718.csv"),
        infer_schema_length=0,
    )
    counts = (
        prc.filter(pl.col("Offence Group") != "Fraud offences")
        .with_columns(
            pl.col("Number of Offences")
            .str.strip_chars()
            .str.replace(r"^-0+$", "0")
            .cast(pl.Int64)
            .alias("n")
        )
        .group_by("Force Name")
        .agg(pl.col("n").sum())
        .with_columns(pl.col("Force Name").replace({"London, City of": "City of London"}))
    )
    pop = (
        pl.read_csv(real("ons-pfa-population-2009-2019", "population_policeforces.csv"))
        .filter(pl.col("year") == 2017)
        .drop("year")
        .unpivot(variable_name="Force Name", value_name="pop")
    )
    return counts.join(pop, on="Force Name", how="inner").with_columns(
        (pl.col("n") * 1000 / pl.col("pop")).alias("rate")
    )


@pytest.mark.realdata
def test_real_home_office_2017_18_all_crime(real_store: Path) -> None:
    independent = _independent_prc_2017_18()
    assert independent.height == 39  # the English forces: ONS has no Welsh populations
    leics_rate = independent.filter(pl.col("Force Name") == "Leicestershire")["rate"].item()
    msg = ["Leicestershire", "Sussex", "Hertfordshire", "Essex", "Bedfordshire", "Hampshire",
           "Nottinghamshire", "Kent"]  # fmt: skip
    msg_rates = independent.filter(pl.col("Force Name").is_in(msg))["rate"]
    msg_rank = 1 + int((msg_rates < leics_rate).sum())
    national_rank = 1 + int((independent["rate"] < leics_rate).sum())

    frame, stderr = rank_csv(
        real_store, "--kpi", "all-crime", "--period", "2017/18", "--force", "Leicestershire"
    )
    leics = by_force(frame)["leicestershire"]
    assert leics["count"] == 83793 and leics["dataset"] == "prc"
    assert leics["population_year"] == 2017
    assert leics["rate"] == pytest.approx(leics_rate, rel=1e-12)
    assert (leics["group_rank"], leics["group_ranked"]) == (msg_rank, 8)
    assert (leics["national_rank"], leics["national_ranked"]) == (national_rank, 39)
    assert (msg_rank, national_rank) == (6, 22)
    assert "39 of 43 territorial forces" in stderr
    assert "not ranked: dyfed-powys, gwent, north-wales, south-wales" in stderr


@pytest.mark.realdata
def test_real_city_of_london_spelt_the_home_office_way(real_store: Path) -> None:
    frame, stderr = rank_csv(
        real_store, "--kpi", "all-crime", "--period", "2017/18", "--force", "London, City of"
    )
    assert "City of London has no Most Similar Group" in stderr
    assert frame["group"].unique().to_list() == ["national"]
    city = by_force(frame)["city-of-london"]
    independent = _independent_prc_2017_18()
    expected = independent.filter(pl.col("Force Name") == "City of London").row(0, named=True)
    assert city["count"] == expected["n"] and city["denominator"] == expected["pop"]
    assert city["group_rank"] == 39 and city["national_rank"] == 39
    assert frame.filter(pl.col("status") == "no population")["force"].sort().to_list() == [
        "dyfed-powys", "gwent", "north-wales", "south-wales",
    ]  # fmt: skip


def test_a_force_ranked_alone_shows_no_rank_in_the_table() -> None:
    """'1 of 1' would read as top of the group: the table says '–', as the report does."""
    from pcp_cli.cli.rank import _rank_text
    from pcp_cli.report.layout import _of

    for rank, of in [(1, 1), (None, None), (3, 8), (1, None)]:
        assert _rank_text(rank, of) == _of(rank, of)
    assert _rank_text(1, 1) == "–"
    assert _rank_text(3, 8) == "3 of 8"
