"""samples/make_samples.py: the published figures, the file formats and determinism.

The samples are generated once per module into a temporary folder; every number is counted
straight from the CSVs (all columns read as strings), never taken from the generator.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import re
import sys
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "samples" / "make_samples.py"
SLUG = "leicestershire"
FORCE = "Leicestershire Police"
MONTHS = [f"{y}-{m:02d}" for y in (2016, 2017, 2018, 2019) for m in range(1, 13)][3:39]

STREET_HEADER = (
    b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    b"Crime type,Last outcome category,Context\r\n"
)
OUTCOMES_HEADER = (
    b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    b"Outcome type\r\n"
)
STOP_SEARCH_HEADER = (
    b"Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,"
    b"Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,"
    b"Outcome,Outcome linked to object of search,Removal of more than just outer clothing\r\n"
)
COUNTS_HEADER = b"force,month,measure,value\n"

ASB = "Anti-social behaviour"
CRIME_TYPES = {
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
}
POSITIVE = {
    "Suspect charged",
    "Suspect charged as part of another case",
    "Offender given a caution",
    "Offender given a drugs possession warning",
    "Offender given penalty notice",
    "Local resolution",
    "Awaiting court outcome",
}
NEGATIVE = {
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Formal action is not in the public interest",
    "Further investigation is not in the public interest",
    "Action to be taken by another organisation",
}
COURT_RESULTS = {
    "Awaiting court outcome",
    "Court result unavailable",
    "Court case unable to proceed",
    "Defendant found not guilty",
    "Offender fined",
    "Offender given community sentence",
    "Offender given conditional discharge",
    "Offender given suspended prison sentence",
    "Offender ordered to pay compensation",
    "Offender otherwise dealt with",
    "Offender sent to prison",
}
PENDING = {"Under investigation", "Status update unavailable"}

Q2_1718 = ("2017-07", "2017-09")
Q2_1819 = ("2018-07", "2018-09")


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return load_generator()


@pytest.fixture(scope="module")
def out(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples")
    assert generator.main(["--out", str(folder)]) == 0
    return folder


def police_uk(out: Path, month: str, kind: str) -> Path:
    return out / "police-uk" / month / f"{month}-{SLUG}-{kind}.csv"


def read_all(out: Path, kind: str) -> pl.DataFrame:
    frames = [
        pl.read_csv(police_uk(out, m, kind), infer_schema_length=0).with_columns(
            pl.lit(m).alias("file_month")
        )
        for m in MONTHS
    ]
    return pl.concat(frames)


@pytest.fixture(scope="module")
def street(out: Path) -> pl.DataFrame:
    return read_all(out, "street")


@pytest.fixture(scope="module")
def crimes(street: pl.DataFrame) -> pl.DataFrame:
    return street.filter(pl.col("Crime type") != ASB)


@pytest.fixture(scope="module")
def outcomes(out: Path) -> pl.DataFrame:
    return read_all(out, "outcomes")


@pytest.fixture(scope="module")
def stop_search(out: Path) -> pl.DataFrame:
    return read_all(out, "stop-and-search")


@pytest.fixture(scope="module")
def counts(out: Path) -> pl.DataFrame:
    frames = [
        pl.read_csv(out / "counts" / f"{SLUG}-{stem}.csv", infer_schema_length=0)
        for stem in ("calls", "incidents")
    ]
    return pl.concat(frames).with_columns(pl.col("value").cast(pl.Int64))


def rows_between(df: pl.DataFrame, first: str, last: str, column: str = "Month") -> int:
    return df.filter(pl.col(column).is_between(pl.lit(first), pl.lit(last))).height


def measure_between(counts: pl.DataFrame, measure: str, first: str, last: str) -> int:
    sel = counts.filter(
        (pl.col("measure") == measure) & pl.col("month").is_between(pl.lit(first), pl.lit(last))
    )
    return int(sel["value"].sum())


def monthly(df: pl.DataFrame, column: str = "Month") -> dict[str, int]:
    return dict(df.group_by(column).len().iter_rows())


def assert_not_flat(values: list[int], min_distinct: int) -> None:
    """Noise: no two neighbouring months equal and most months different."""
    assert all(a != b for a, b in itertools.pairwise(values))
    assert len(set(values)) >= min_distinct


# --- layout and formats -----------------------------------------------------------------------


def test_every_month_has_street_outcomes_and_stop_search_files(out: Path) -> None:
    for month in MONTHS:
        for kind in ("street", "outcomes", "stop-and-search"):
            assert police_uk(out, month, kind).is_file(), (month, kind)
    assert sorted(p.name for p in (out / "police-uk").iterdir()) == MONTHS
    assert sorted(p.name for p in (out / "counts").iterdir()) == [
        f"{SLUG}-calls.csv",
        f"{SLUG}-incidents.csv",
    ]


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        ("street", STREET_HEADER),
        ("outcomes", OUTCOMES_HEADER),
        ("stop-and-search", STOP_SEARCH_HEADER),
    ],
)
def test_police_uk_files_have_exact_header_and_crlf(out: Path, kind: str, header: bytes) -> None:
    for month in MONTHS:
        raw = police_uk(out, month, kind).read_bytes()
        assert raw.startswith(header), (month, kind)  # no BOM, exact header
        assert raw.endswith(b"\r\n")
        assert raw.count(b"\n") == raw.count(b"\r\n")  # every line ends CRLF
        assert b'"' not in raw  # nothing needs quoting; empty fields are truly empty
        raw.decode("utf-8")


def test_counts_files_have_exact_header_and_lf(out: Path) -> None:
    for stem in ("calls", "incidents"):
        raw = (out / "counts" / f"{SLUG}-{stem}.csv").read_bytes()
        assert raw.startswith(COUNTS_HEADER)
        assert b"\r" not in raw and raw.endswith(b"\n")


def test_month_column_matches_the_file(street: pl.DataFrame, outcomes: pl.DataFrame) -> None:
    for df in (street, outcomes):
        assert (df["Month"] == df["file_month"]).all()
        assert set(df["Reported by"]) == {FORCE}
        assert set(df["Falls within"]) == {FORCE}
    assert street["Context"].is_null().all()


def test_street_values(street: pl.DataFrame) -> None:
    assert set(street["Crime type"]) == CRIME_TYPES | {ASB}
    located = street.filter(pl.col("Location") != "No Location")
    assert located["Location"].str.starts_with("On or near ").all()
    assert located["LSOA code"].str.contains(r"^E010\d{5}$").all()
    districts = located["LSOA name"].str.replace(r" \d{3}[A-Z]$", "").unique().to_list()
    assert sorted(districts) == [
        "Blaby",
        "Charnwood",
        "Harborough",
        "Hinckley and Bosworth",
        "Leicester",
        "Melton",
        "North West Leicestershire",
        "Oadby and Wigston",
        "Rutland",
    ]
    lon = located["Longitude"].cast(pl.Float64)
    lat = located["Latitude"].cast(pl.Float64)
    assert located["Longitude"].str.contains(r"^-\d\.\d{6}$").all()
    assert lon.is_between(-1.8, -0.4).all() and lat.is_between(52.3, 53.0).all()
    assert abs(lon.mean() - -1.1) < 0.15 and abs(lat.mean() - 52.63) < 0.1


def test_crime_id_is_empty_exactly_on_asb_rows(street: pl.DataFrame) -> None:
    is_asb = street["Crime type"] == ASB
    assert (street["Crime ID"].is_null() == is_asb).all()
    asb = street.filter(is_asb)
    assert asb["Last outcome category"].is_null().all()
    crimes = street.filter(~is_asb)
    assert crimes["Crime ID"].str.contains(r"^[0-9a-f]{64}$").all()
    assert crimes["Last outcome category"].is_not_null().all()


def test_street_quirks(street: pl.DataFrame, crimes: pl.DataFrame) -> None:
    asb = street.filter(pl.col("Crime type") == ASB)
    assert asb.is_duplicated().sum() > 1000  # identical ASB rows are separate incidents
    assert not crimes.is_duplicated().any()

    no_loc = crimes.filter(pl.col("Location") == "No Location")
    assert 0.01 < no_loc.height / crimes.height < 0.03
    for col in ("Longitude", "Latitude", "LSOA code", "LSOA name"):
        assert no_loc[col].is_null().all()

    months_per_id = crimes.group_by("Crime ID").agg(
        pl.len().alias("rows"), pl.col("Month").n_unique().alias("months")
    )
    repeated = months_per_id.filter(pl.col("rows") > 1)
    assert 3 <= repeated.height <= 20  # a handful re-published in a later month's file
    assert (repeated["rows"] == repeated["months"]).all()  # never twice in one month


# --- crime ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2017-04", "2017-06", 20_215),  # Q1 2017/18
        ("2017-07", "2017-09", 21_327),  # Q2 2017/18
        ("2018-04", "2018-06", 22_909),  # Q1 2018/19
        ("2018-07", "2018-09", 23_116),  # Q2 2018/19
        ("2018-10", "2018-12", 23_362),  # Q3 2018/19, as the real street files
        ("2016-04", "2017-03", 68_706),  # FY 2016/17
        ("2017-04", "2018-03", 81_877),  # FY 2017/18
        ("2016-10", "2017-09", 76_233),  # 12 months to September 2017 (seed 002)
        ("2016-04", "2016-09", 34_015),
        ("2018-04", "2019-03", 92_100),  # FY 2018/19 (chosen)
    ],
)
def test_all_crime_totals(crimes: pl.DataFrame, first: str, last: str, expected: int) -> None:
    assert rows_between(crimes, first, last) == expected


@pytest.mark.parametrize(
    ("crime_type", "fy1718", "fy1617"),
    [
        ("Burglary", 9_211, 8_342),
        ("Shoplifting", 6_599, 6_706),
        ("Criminal damage and arson", 9_476, 9_092),
        ("Drugs", 1_564, 1_250),
        ("Possession of weapons", 732, 524),
        ("Public order", 4_705, 2_848),
        ("Bicycle theft", 1_864, 1_914),
    ],
)
def test_crime_types_by_financial_year(
    crimes: pl.DataFrame, crime_type: str, fy1718: int, fy1617: int
) -> None:
    of_type = crimes.filter(pl.col("Crime type") == crime_type)
    assert rows_between(of_type, "2017-04", "2018-03") == fy1718
    assert rows_between(of_type, "2016-04", "2017-03") == fy1617


def test_crime_mix_is_plausible(crimes: pl.DataFrame) -> None:
    fy = crimes.filter(pl.col("Month").is_between(pl.lit("2017-04"), pl.lit("2018-03")))
    share = {t: n / fy.height for t, n in fy.group_by("Crime type").len().iter_rows()}
    assert max(share, key=share.__getitem__) == "Violence and sexual offences"
    assert 0.30 <= share["Violence and sexual offences"] <= 0.35
    assert 0.005 <= share["Robbery"] <= 0.02


def test_crime_series_looks_real(crimes: pl.DataFrame, street: pl.DataFrame) -> None:
    per_month = monthly(crimes)
    assert_not_flat([per_month[m] for m in MONTHS], 34)
    fy = [sum(per_month[m] for m in MONTHS[i : i + 12]) for i in (0, 12, 24)]
    assert fy[0] < fy[1] < fy[2]  # upward trend
    burglary = monthly(crimes.filter(pl.col("Crime type") == "Burglary"))
    asb = monthly(street.filter(pl.col("Crime type") == ASB))
    for year in (2016, 2017, 2018):
        winter = [f"{year}-11", f"{year}-12", f"{year + 1}-01"]
        summer = [f"{year}-05", f"{year}-06", f"{year}-07"]
        assert sum(burglary[m] for m in winter) > sum(burglary[m] for m in summer)
        assert asb[f"{year}-07"] + asb[f"{year}-08"] > asb[f"{year + 1}-01"] + asb[f"{year + 1}-02"]


# --- ASB --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (*Q2_1819, 4_125),
        (*Q2_1718, 5_514),
        ("2018-10", "2018-12", 2_854),  # as the real Q3 2018/19 street files
    ],
)
def test_asb_totals(street: pl.DataFrame, first: str, last: str, expected: int) -> None:
    asb = street.filter(pl.col("Crime type") == ASB)
    assert rows_between(asb, first, last) == expected


# --- outcomes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("span", "expected"), [(Q2_1819, 1_998), (Q2_1718, 2_722)])
def test_positive_outcomes(outcomes: pl.DataFrame, span: tuple[str, str], expected: int) -> None:
    positive = outcomes.filter(pl.col("Outcome type").is_in(list(POSITIVE)))
    assert rows_between(positive, *span) == expected


def test_outcome_rows(outcomes: pl.DataFrame, crimes: pl.DataFrame) -> None:
    assert set(outcomes["Outcome type"]) == POSITIVE | NEGATIVE
    assert outcomes["Crime ID"].str.contains(r"^[0-9a-f]{64}$").all()
    assert outcomes["Crime ID"].n_unique() == outcomes.height  # one outcome per crime
    no_loc = outcomes.filter(pl.col("Location") == "No location")
    assert no_loc.height > 0 and no_loc["Longitude"].is_null().all()
    assert "No Location" not in set(outcomes["Location"])

    first = crimes.group_by("Crime ID").agg(
        pl.col("Month").min().alias("crime_month"),
        pl.col("Location").first().str.replace("No Location", "No location").alias("loc"),
        pl.col("LSOA code").first().alias("lsoa"),
    )
    joined = outcomes.join(first, on="Crime ID", how="inner")
    # Most outcomes belong to published crimes; the rest to crimes before April 2016.
    assert joined.height > 0.9 * outcomes.height
    earlier = outcomes.join(first, on="Crime ID", how="anti")
    assert (earlier["Month"] <= "2016-09").all()
    assert (joined["Month"] >= joined["crime_month"]).all()
    assert (joined["Location"] == joined["loc"]).all()
    assert joined["LSOA code"].eq_missing(joined["lsoa"]).all()
    # 60-75% of crimes get an outcome (crimes of the last months not yet all).
    settled = first.filter(pl.col("crime_month") <= "2018-09")
    share = settled.join(outcomes, on="Crime ID", how="semi").height / settled.height
    assert 0.60 <= share <= 0.75


def test_last_outcome_category_is_consistent(crimes: pl.DataFrame, outcomes: pl.DataFrame) -> None:
    latest = crimes.sort("Month").group_by("Crime ID").last()
    joined = latest.join(outcomes, on="Crime ID", how="left", suffix="_outcome")
    with_outcome = joined.filter(pl.col("Outcome type").is_not_null())
    charged = with_outcome.filter(pl.col("Outcome type") == "Suspect charged")
    assert set(charged["Last outcome category"]) <= COURT_RESULTS
    others = with_outcome.filter(pl.col("Outcome type") != "Suspect charged")
    assert (others["Last outcome category"] == others["Outcome type"]).all()
    pending = joined.filter(pl.col("Outcome type").is_null())
    assert set(pending["Last outcome category"]) == PENDING
    assert (pending["Last outcome category"] == "Under investigation").mean() > 0.6


# --- stop and search --------------------------------------------------------------------------


def test_stop_search_volumes(stop_search: pl.DataFrame) -> None:
    per_month = monthly(stop_search, "file_month")
    assert [per_month["2018-07"], per_month["2018-08"], per_month["2018-09"]] == [194, 355, 344]
    assert sum(per_month[m] for m in ("2017-07", "2017-08", "2017-09")) == 430
    before = [per_month[m] for m in MONTHS if m < "2018-07"]
    assert all(100 <= n <= 250 for n in before)
    assert 130 <= sum(before) / len(before) <= 190  # "historic monthly levels of circa 150"
    assert_not_flat(before, 15)


def test_stop_search_offensive_weapons(stop_search: pl.DataFrame) -> None:
    weapons = stop_search.filter(pl.col("Object of search") == "Offensive weapons")
    per_month = monthly(weapons, "file_month")
    assert [per_month["2018-07"], per_month["2018-08"], per_month["2018-09"]] == [36, 68, 76]


def test_stop_search_values(stop_search: pl.DataFrame) -> None:
    df = stop_search
    pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$"
    assert df["Date"].str.contains(pattern).all()
    assert (df["Date"].str.slice(0, 7) == df["file_month"]).all()
    assert set(df["Type"]) <= {"Person search", "Person and Vehicle search", "Vehicle search"}
    for col in (
        "Part of a policing operation",
        "Outcome linked to object of search",
        "Removal of more than just outer clothing",
    ):
        assert set(df[col].drop_nulls()) == {"True", "False"}
    assert df["Policing operation"].is_null().all()
    assert df["Latitude"].is_null().sum() > 0
    assert df["Outcome"].is_null().sum() > 0
    assert (df["Latitude"].is_null() == df["Longitude"].is_null()).all()
    assert set(df["Age range"].drop_nulls()) <= {"under 10", "10-17", "18-24", "25-34", "over 34"}
    assert set(df["Officer-defined ethnicity"].drop_nulls()) <= {"White", "Asian", "Black", "Other"}
    outcomes = set(df["Outcome"].drop_nulls())
    assert {"A no further action disposal", "Arrest", "Community resolution"} <= outcomes
    positive = df.filter(
        pl.col("Outcome").is_not_null() & (pl.col("Outcome") != "A no further action disposal")
    )
    assert 0.25 <= positive.height / df.height <= 0.42  # "approximately a third"
    assert df.is_duplicated().sum() > 0  # people searched together share a row


# --- counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "q2_1819", "q2_1718"),
    [
        ("calls_999", 38_995, 36_000),
        ("calls_101", 103_919, 119_043),
        ("incidents", 62_138, 68_358),
        ("missing_persons", 1_388, 971),
        ("domestic_incidents", 1_930, None),
    ],
)
def test_counts_q2(counts: pl.DataFrame, measure: str, q2_1819: int, q2_1718: int | None) -> None:
    assert measure_between(counts, measure, *Q2_1819) == q2_1819
    if q2_1718 is not None:
        assert measure_between(counts, measure, *Q2_1718) == q2_1718


def test_incident_grades(counts: pl.DataFrame) -> None:
    wide = counts.pivot(on="measure", index="month", values="value")
    grades = [f"incidents_grade{g}" for g in (1, 2, 3, 4)]
    assert (wide["incidents"] == wide.select(grades).sum_horizontal()).all()
    change = [
        measure_between(counts, g, *Q2_1819) - measure_between(counts, g, *Q2_1718) for g in grades
    ]
    assert change == [470, 105, -1_296, -5_499]  # seed 000, summing to -6,220


def test_counts_layout(counts: pl.DataFrame) -> None:
    assert set(counts["force"]) == {"Leicestershire"}
    assert sorted(set(counts["month"])) == MONTHS
    assert set(counts["measure"]) == {
        "calls_999",
        "calls_101",
        "incidents",
        "incidents_grade1",
        "incidents_grade2",
        "incidents_grade3",
        "incidents_grade4",
        "domestic_incidents",
        "missing_persons",
    }
    assert counts.group_by("month", "measure").len()["len"].max() == 1
    assert (counts["value"] > 0).all()
    assert measure_between(counts, "domestic_incidents", "2017-04", "2018-03") == 7_027
    calls = counts.filter(pl.col("measure") == "calls_999")
    values = dict(zip(calls["month"], calls["value"], strict=True))
    assert_not_flat([values[m] for m in MONTHS], 34)
    for year in (2016, 2017, 2018):  # 999 calls peak in summer
        assert values[f"{year}-07"] > values[f"{year + 1}-02"]


# --- determinism ------------------------------------------------------------------------------


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_second_run_is_byte_identical(
    generator: ModuleType, out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generator.generate(tmp_path)
    assert digests(tmp_path) == digests(out)
    assert len(digests(out)) == 36 * 3 + 2
    capsys.readouterr()
    generator.main(["--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.match(r"make_samples: 110 files, [\d,]+ rows", captured.err)
    assert digests(tmp_path) == digests(out)
