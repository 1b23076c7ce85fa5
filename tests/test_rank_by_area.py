"""`pcp rank --by`: the force's areas ranked per 1,000 residents, each rate with its 95%
interval and its funnel position against the force rate (the closing gap of issue 15).

The figures and ranks must be compare --by's; the intervals and funnel positions are
worked out here independently (scipy's chi-squared and normal quantiles) from each
area's count and population."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.stats import chi2, norm

from pcp_cli.analysis.peers.statistics import ForceFigure, group_statistics
from pcp_cli.areas import NO_LOCATION, NOT_IN_LOOKUP
from tests.conftest import run_pcp
from tests.test_by_area import THREE_AREAS, compare_csv, with_lookup
from tests.test_local_areas import FORCE, PERIOD, street, write_lookup

__all__ = ["street", "with_lookup"]  # module-scoped fixtures reused here

KPIS = "asb-incidents,all-crime"


def rank_csv(store: Path, *args: str) -> pl.DataFrame:
    result = run_pcp(["rank", "--store", str(store), "--format", "csv", "-q", *args])
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(io.StringIO(result.stdout))


def rank_by(store: Path, kpi: str = KPIS) -> pl.DataFrame:
    return rank_csv(store, "--kpi", kpi, "--period", PERIOD, "--force", FORCE, "--by", "area")


def exact(x: float, confidence: float) -> tuple[float, float]:
    """The exact Poisson interval of a count (Garwood), from scipy."""
    a = 1 - confidence
    lower = 0.0 if x == 0 else chi2.ppf(a / 2, 2 * x) / 2
    return lower, chi2.ppf(1 - a / 2, 2 * x + 2) / 2


def byars(x: float) -> tuple[float, float]:
    z = norm.ppf(0.975)
    lower = x * (1 - 1 / (9 * x) - z / (3 * math.sqrt(x))) ** 3
    x1 = x + 1
    return lower, x1 * (1 - 1 / (9 * x1) + z / (3 * math.sqrt(x1))) ** 3


def funnel(x: float, expected: float) -> str:
    """Where a count sits against its expected count on the exact Poisson funnel."""
    lo95, hi95 = exact(x, 0.95)
    lo998, hi998 = exact(x, 0.998)
    if hi998 < expected:
        return "below 99.8%"
    if hi95 < expected:
        return "below 95%"
    if x > 0 and lo998 > expected:
        return "above 99.8%"
    if x > 0 and lo95 > expected:
        return "above 95%"
    return "within 95%"


def test_area_figures_and_ranks_are_compare_by_s(with_lookup: tuple[Path, list, Path]) -> None:
    store, _, _ = with_lookup
    ranked = rank_by(store)
    compared = compare_csv(store, "--kpi", KPIS, "--period", PERIOD, "--force", FORCE,
                           "--by", "area")  # fmt: skip
    assert ranked.height == compared.height
    joined = ranked.join(compared, on=["kpi", "area"], how="inner", suffix="_cmp")
    assert joined.height == ranked.height
    assert joined["count"].to_list() == joined["value"].to_list()
    for column in ("population", "per_1000", "rank_per_1000", "areas_ranked"):
        assert joined[column].to_list() == joined[f"{column}_cmp"].to_list(), column
    assert set(ranked["kpi"].to_list()) == {"asb-incidents", "all-crime"}
    assert ranked.filter(pl.col("status") == "ranked").height == 2 * 3


def test_each_rate_has_its_exact_or_byars_interval(with_lookup: tuple[Path, list, Path]) -> None:
    """Exact Poisson below 10 crimes, Byar's from 10 (pcp rank's method), per 1,000."""
    store, _, _ = with_lookup
    ranked = rank_by(store).filter(pl.col("status") == "ranked")
    methods = set()
    for r in ranked.iter_rows(named=True):
        x, people = r["count"], r["population"]
        lower, upper = exact(x, 0.95) if x < 10 else byars(x)
        methods.add(r["ci_method"])
        assert r["ci_method"] == ("Exact" if x < 10 else "Byars")
        assert r["ci_lower"] == pytest.approx(lower * 1000 / people, rel=1e-9, abs=1e-12)
        assert r["ci_upper"] == pytest.approx(upper * 1000 / people, rel=1e-9)
        assert r["ci_lower"] <= r["per_1000"] <= r["ci_upper"]
    assert "Byars" in methods


def test_funnel_against_the_force_rate(with_lookup: tuple[Path, list, Path]) -> None:
    """The force rate is the ranked areas' pooled rate; each area's funnel position is its
    count's exact interval against the count expected at the force rate."""
    store, _, _ = with_lookup
    frame = rank_by(store)
    for kpi in ("asb-incidents", "all-crime"):
        rows = frame.filter((pl.col("kpi") == kpi) & (pl.col("status") == "ranked"))
        rate = rows["count"].sum() / rows["population"].sum() * 1000
        shown = frame.filter(pl.col("kpi") == kpi)["force_rate"].to_list()
        assert shown == pytest.approx([rate] * len(shown), rel=1e-12)
        for r in rows.iter_rows(named=True):
            assert r["funnel"] == funnel(r["count"], r["population"] * rate / 1000), r["area"]
        # The over-dispersed funnel is pcp rank's, with the areas as the group.
        figures = [
            ForceFigure(r["area"], r["count"], r["population"]) for r in rows.iter_rows(named=True)
        ]
        stats = group_statistics(
            figures, measure="per-population", polarity="lower-is-better", multiplier=1000.0
        )
        assert rows["funnel_overdispersed"].to_list() == [
            stats.placed[a].funnel_overdispersed for a in rows["area"]
        ]


def test_catch_alls_are_listed_unranked(with_lookup: tuple[Path, list, Path]) -> None:
    store, _, _ = with_lookup
    frame = rank_by(store, "all-crime")
    catch = frame.filter(pl.col("area").is_in([NO_LOCATION, NOT_IN_LOOKUP]))
    assert catch.height == 2
    assert catch["status"].to_list() == ["not an area", "not an area"]
    assert catch["rank_per_1000"].null_count() == 2 and catch["ci_lower"].null_count() == 2
    assert all(catch["note"].str.contains("residents"))
    assert catch["count"].sum() > 0  # its crimes are shown, not dropped


def test_table_fits_80_columns_and_json_names_the_columns(
    with_lookup: tuple[Path, list, Path],
) -> None:
    store, _, _ = with_lookup
    args = ["rank", "--store", str(store), "--kpi", "asb-incidents", "--period", PERIOD,
            "--force", FORCE, "--by", "area", "-q"]  # fmt: skip
    result = run_pcp([*args, "--format", "table"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    for area in ("City", "North", "South"):  # at 80 columns "City Centre" wraps
        assert area in result.stdout
    assert "force rate" in result.stdout and "per 1,000" in result.stdout
    records = json.loads(run_pcp([*args, "--format", "json"]).stdout)
    schema = json.loads(run_pcp(["schema", "rank-by-area"]).stdout)
    assert list(records[0]) == [f["name"] for f in schema["fields"]]


def test_rank_by_refusals(
    street: tuple[Path, list], with_lookup: tuple[Path, list, Path], tmp_path: Path
) -> None:
    """One clear line and the documented exit code for each."""
    base, _ = street
    lookup_store, _, _ = with_lookup

    def run(store: Path, *more: str) -> tuple[int, str]:
        result = run_pcp(["rank", "--store", str(store), "--kpi", "all-crime",
                          "--period", PERIOD, "--force", FORCE, *more])  # fmt: skip
        assert "Traceback" not in result.stderr
        return result.exit_code, result.stderr

    code, err = run(base / "store", "--by", "area")  # no lookup at all
    assert code == 5 and "no lookup of areas" in err
    code, err = run(base / "store", "--by", "local-authority")  # districts: no populations
    assert code == 5 and "pcp ingest --kind areas" in err and "population" in err
    code, err = run(lookup_store, "--by", "ward")
    assert code == 2 and "no area type 'ward'" in err
    code, err = run(lookup_store, "--by", "area", "--group", "national")
    assert code == 2 and "--group does not apply with --by" in err
    code, err = run(lookup_store, "--by", "area", "--kpi", "positive-outcome-rate")
    assert code == 2 and "positive-outcome-rate is a ratio KPI" in err
    assert len(err.strip().splitlines()) == 1

    # A lookup without populations.
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(base / "data")]).exit_code == 0
    lookup = write_lookup(tmp_path / "npa.csv", THREE_AREAS)
    assert run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(lookup)]).exit_code == 0
    code, err = run(store, "--by", "area")
    assert code == 5, err
    assert "gives no area a population" in err and "pcp ingest --kind areas" in err


def test_an_area_without_a_population_is_listed_unranked(
    street: tuple[Path, list], tmp_path: Path
) -> None:
    """North's one LSOA has no population: North is listed with its count, not ranked, and
    the force rate is City Centre's and South's together."""
    base, _ = street
    store = tmp_path / "store"
    assert run_pcp(["ingest", "--store", str(store), str(base / "data")]).exit_code == 0
    people = {code: ("" if area == "North" else "2000") for code, area in THREE_AREAS.items()}
    lookup = write_lookup(tmp_path / "npa.csv", THREE_AREAS, population=people)
    result = run_pcp(["ingest", "--store", str(store), "--kind", "areas", str(lookup)])
    assert result.exit_code == 0, result.stderr
    frame = rank_by(store, "all-crime")
    north = frame.filter(pl.col("area") == "North").row(0, named=True)
    assert north["status"] == "no population" and north["rank_per_1000"] is None
    assert north["count"] > 0 and north["population"] is None
    ranked = frame.filter(pl.col("status") == "ranked")
    assert sorted(ranked["area"].to_list()) == ["City Centre", "South"]
    assert set(ranked["areas_ranked"].to_list()) == {2}
    rate = ranked["count"].sum() / ranked["population"].sum() * 1000
    assert frame["force_rate"].to_list() == pytest.approx([rate] * frame.height, rel=1e-12)
    assert frame["rank_per_1000"].to_list()[:2] == [1, 2]  # best first, unranked after


def random_effects_funnel(counts: list[float], people: list[float]) -> list[str]:
    """Spiegelhalter's (2005) random-effects funnel: z-scores winsorised at 10% each end
    (numpy's linear quantiles), DerSimonian-Laird tau², limits theta ± z·√(theta/n + tau²)
    at z = 1.96 and the 99.8% normal quantile."""
    c, n = np.array(counts, dtype=float), np.array(people, dtype=float)
    theta = c.sum() / n.sum()
    var = theta / n
    z = (c / n - theta) / np.sqrt(var)
    zw = np.clip(z, np.quantile(z, 0.1), np.quantile(z, 0.9))
    w = 1 / var
    tau2 = max(0.0, ((zw**2).sum() - (len(c) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    out = []
    for rate, v in zip(c / n, var, strict=True):
        wide, outer = 1.96 * math.sqrt(v + tau2), norm.ppf(0.999) * math.sqrt(v + tau2)
        if rate > theta + outer:
            out.append("above 99.8%")
        elif rate > theta + wide:
            out.append("above 95%")
        elif rate < theta - outer:
            out.append("below 99.8%")
        elif rate < theta - wide:
            out.append("below 95%")
        else:
            out.append("within 95%")
    return out


def test_samples_districts_funnels_by_an_independent_oracle(sample_store_with_areas: Path) -> None:
    """On the samples' nine districts (made-up populations) burglary is over-dispersed: the
    plain funnel puts most districts outside 95%, the random-effects funnel only Leicester.
    Both positions, the intervals and the ranks are worked out here from count and population."""
    frame = rank_csv(sample_store_with_areas, "--kpi", "burglary", "--period", PERIOD,
                     "--force", FORCE, "--by", "area")  # fmt: skip
    compared = compare_csv(sample_store_with_areas, "--kpi", "burglary", "--period", PERIOD,
                           "--force", FORCE, "--by", "area")  # fmt: skip
    ranked = frame.filter(pl.col("status") == "ranked")
    assert ranked.height == 9
    counts, people = ranked["count"].to_list(), ranked["population"].to_list()
    rate = sum(counts) / sum(people) * 1000
    assert ranked["funnel"].to_list() == [
        funnel(x, p * rate / 1000) for x, p in zip(counts, people, strict=True)
    ]
    od = random_effects_funnel(counts, people)
    assert ranked["funnel_overdispersed"].to_list() == od
    assert od.count("within 95%") == 8 and ranked["funnel"].to_list().count("within 95%") < 8
    for r in ranked.iter_rows(named=True):
        lower, upper = byars(r["count"]) if r["count"] >= 10 else exact(r["count"], 0.95)
        assert r["ci_lower"] == pytest.approx(lower * 1000 / r["population"], rel=1e-9)
        assert r["ci_upper"] == pytest.approx(upper * 1000 / r["population"], rel=1e-9)
    by_area = dict(zip(compared["area"], compared["rank_per_1000"], strict=True))
    assert {a: by_area[a] for a in ranked["area"]} == dict(
        zip(ranked["area"], ranked["rank_per_1000"], strict=True)
    )
    assert ranked["rank_per_1000"].to_list() == sorted(ranked["rank_per_1000"].to_list())
