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
        f"{SLUG}-crime-extra.csv",
        f"{SLUG}-incidents.csv",
    ]
    assert sorted(p.name for p in out.iterdir()) == [
        "counts",
        "home-office",
        "police-uk",
        "population",
        "survey",
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


# --- phase 2: Home Office PFA table, populations, hate/knife crime, survey --------------------

PRC_PATH = Path("home-office") / "prc-pfa-sample-2016-17-to-2018-19.csv"
POPULATION_PATH = Path("population") / "pfa-population-2015-2019.csv"
PRC_HEADER = (
    b"Financial Year,Financial Quarter,Force Name,Offence Description,Offence Group,"
    b"Offence Subgroup,Offence Code,Number of Offences\n"
)
FRAUD = "Fraud offences"
FRAUD_BODIES = {"Action Fraud", "CIFAS", "UK Finance", "Financial Fraud Action UK"}
BTP = "British Transport Police"
# Home Office spelling -> ONS-style population column.
SAME_NAME = (
    "Avon and Somerset", "Bedfordshire", "Cambridgeshire", "Cheshire", "Cleveland", "Cumbria",
    "Derbyshire", "Devon and Cornwall", "Dorset", "Durham", "Dyfed-Powys", "Essex",
    "Gloucestershire", "Greater Manchester", "Gwent", "Hampshire", "Hertfordshire",
    "Humberside", "Kent", "Lancashire", "Leicestershire", "Lincolnshire", "Merseyside",
    "Metropolitan Police", "Norfolk", "North Wales", "North Yorkshire", "Northamptonshire",
    "Northumbria", "Nottinghamshire", "South Wales", "South Yorkshire", "Staffordshire",
    "Suffolk", "Surrey", "Sussex", "Thames Valley", "Warwickshire", "West Mercia",
    "West Midlands", "West Yorkshire", "Wiltshire",
)  # fmt: skip
TERRITORIAL = {**{name: name for name in SAME_NAME}, "London, City of": "City of London"}
MSG = ("Leicestershire", "Sussex", "Hertfordshire", "Essex", "Bedfordshire", "Hampshire",
       "Nottinghamshire", "Kent")  # fmt: skip
# Every Offence Subgroup config/kpis.toml filters on (except the post-2019 burglary names).
KPI_SUBGROUPS = {
    "Violence with injury", "Violence without injury", "Stalking and harassment",
    "Rape offences", "Other sexual offences", "Domestic burglary", "Non-domestic burglary",
    "Robbery of personal property", "Robbery of business property", "Theft of a motor vehicle",
    "Theft from a vehicle", "Vehicle interference", "Bicycle theft", "Shoplifting",
    "Theft from the person", "Other theft offences", "Criminal damage", "Arson",
    "Possession of drugs", "Trafficking of drugs", "Possession of weapons offences",
    "Public order offences", "Miscellaneous crimes", "Homicide",
}  # fmt: skip
# Police.uk crime type each Home Office subgroup is published under.
STREET_TYPE = {
    "Homicide": "Violence and sexual offences",
    "Violence with injury": "Violence and sexual offences",
    "Violence without injury": "Violence and sexual offences",
    "Stalking and harassment": "Violence and sexual offences",
    "Rape offences": "Violence and sexual offences",
    "Other sexual offences": "Violence and sexual offences",
    "Domestic burglary": "Burglary",
    "Non-domestic burglary": "Burglary",
    "Robbery of personal property": "Robbery",
    "Robbery of business property": "Robbery",
    "Theft of a motor vehicle": "Vehicle crime",
    "Theft from a vehicle": "Vehicle crime",
    "Vehicle interference": "Vehicle crime",
    "Bicycle theft": "Bicycle theft",
    "Shoplifting": "Shoplifting",
    "Theft from the person": "Theft from the person",
    "Other theft offences": "Other theft",
    "Criminal damage": "Criminal damage and arson",
    "Arson": "Criminal damage and arson",
    "Possession of drugs": "Drugs",
    "Trafficking of drugs": "Drugs",
    "Possession of weapons offences": "Possession of weapons",
    "Public order offences": "Public order",
    "Miscellaneous crimes": "Other crime",
}
# Seed 003 table: category -> (Home Office subgroups, FY 2017/18, FY 2016/17, MSF, national).
SEED_003 = {
    "Violence with Injury": (("Violence with injury",), 7_216, 5_728, 1, 7),
    "Violence without Injury": (("Violence without injury",), 14_636, 10_366, 5, 20),
    "Rape": (("Rape offences",), 754, 520, 2, 6),
    "Burglary": (("Domestic burglary", "Non-domestic burglary"), 9_211, 8_342, 8, 34),
    "Robbery Personal": (("Robbery of personal property",), 808, 613, 4, 29),
    "Theft of Motor Vehicle": (("Theft of a motor vehicle",), 1_727, 1_485, 4, 29),
    "Theft from Motor Vehicle": (("Theft from a vehicle",), 7_557, 6_785, 8, 41),
    "Theft Cycle": (("Bicycle theft",), 1_864, 1_914, 7, 35),
    "Shoplifting": (("Shoplifting",), 6_599, 6_706, 4, 17),
    "Criminal Damage": (("Criminal damage", "Arson"), 9_476, 9_092, 5, 19),
    "Drug Offences": (("Possession of drugs", "Trafficking of drugs"), 1_564, 1_250, 1, 3),
    "Possession of Weapons": (("Possession of weapons offences",), 732, 524, 4, 32),
    "Public Order": (("Public order offences",), 4_705, 2_848, 2, 20),
}
FY_MONTHS = {"2016/17": MONTHS[:12], "2017/18": MONTHS[12:24], "2018/19": MONTHS[24:]}


def quarter_months(fy: str, quarter: int) -> list[str]:
    return FY_MONTHS[fy][(quarter - 1) * 3 : quarter * 3]


@pytest.fixture(scope="module")
def prc(out: Path) -> pl.DataFrame:
    df = pl.read_csv(out / PRC_PATH, infer_schema_length=0)
    number = pl.col("Number of Offences").str.strip_chars()
    return df.with_columns(
        pl.when(number == "-00").then(pl.lit("0")).otherwise(number).cast(pl.Int64).alias("n"),
        pl.col("Financial Quarter").cast(pl.Int64).alias("q"),
    )


@pytest.fixture(scope="module")
def crime_prc(prc: pl.DataFrame) -> pl.DataFrame:
    """Territorial forces' offences excluding fraud (what "all crime" counts)."""
    return prc.filter(
        pl.col("Force Name").is_in(list(TERRITORIAL)) & (pl.col("Offence Group") != FRAUD)
    )


@pytest.fixture(scope="module")
def population(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / POPULATION_PATH)


def per_thousand(
    crime_prc: pl.DataFrame, population: pl.DataFrame, subgroups: tuple[str, ...] | None = None
) -> dict[str, float]:
    """FY 2017/18 offences per 1,000 mid-2017 residents, by Home Office force name."""
    sel = crime_prc.filter(pl.col("Financial Year") == "2017/18")
    if subgroups is not None:
        sel = sel.filter(pl.col("Offence Subgroup").is_in(list(subgroups)))
    counts = dict(sel.group_by("Force Name").agg(pl.col("n").sum()).iter_rows())
    pop = population.filter(pl.col("year") == 2017).row(0, named=True)
    return {f: 1000 * counts.get(f, 0) / pop[TERRITORIAL[f]] for f in TERRITORIAL}


def ranks(rates: dict[str, float], force: str = "Leicestershire") -> tuple[int, int]:
    """(MSG rank, national rank) of ``force``; 1 = lowest rate."""
    mine = rates[force]
    return (
        1 + sum(rates[f] < mine for f in MSG),
        1 + sum(r < mine for r in rates.values()),
    )


def test_prc_file_format(out: Path, prc: pl.DataFrame) -> None:
    raw = (out / PRC_PATH).read_bytes()
    assert raw.startswith(PRC_HEADER)  # no BOM, exact header
    assert b"\r" not in raw and raw.endswith(b" \n")
    raw.decode("ascii")
    assert b'\n2017/18,2,"London, City of",' in raw
    assert b',"Public fear, alarm or distress",Public order offences,' in raw
    # Excel accounting text: " 123 ", zero "-00 ", adjustments "-1 ".
    assert prc["Number of Offences"].str.contains(r"^( [1-9]\d* |-00 |-[1-9]\d* )$").all()
    zeros = prc.filter(pl.col("n") == 0)
    assert (zeros["Number of Offences"] == "-00 ").all() and zeros.height > 500
    negative = prc.filter(pl.col("n") < 0)
    assert 3 <= negative.height <= 40 and negative["n"].min() >= -5
    assert set(negative["Offence Description"]) <= {
        "Bigamy",
        "Burglary in a dwelling(outcome only)",
        "Attempted burglary in a dwelling (outcome only)",
        "Aggravated burglary in a dwelling (outcome only)",
        "Burglary in a building other than a dwelling (outcome only)",
        "Attempted burglary in a building other than a dwelling (outcome only)",
    }
    # Home Office order: year, quarter, force and description (case-insensitive).
    key = prc.select(
        "Financial Year",
        "q",
        pl.col("Force Name").str.to_lowercase(),
        pl.col("Offence Description").str.to_lowercase(),
    )
    assert key.equals(key.sort(key.columns))
    assert not prc.select("Financial Year", "q", "Force Name", "Offence Code").is_duplicated().any()


def test_prc_coverage(prc: pl.DataFrame, crime_prc: pl.DataFrame) -> None:
    assert set(prc["Financial Year"]) == {"2016/17", "2017/18", "2018/19"}
    assert set(prc["Force Name"]) == set(TERRITORIAL) | {BTP} | FRAUD_BODIES
    quarters = (
        prc.filter(pl.col("Force Name").is_in([*TERRITORIAL, BTP]))
        .group_by("Force Name")
        .agg(pl.struct("Financial Year", "q").n_unique().alias("quarters"))
    )
    assert (quarters["quarters"] == 12).all() and quarters.height == 44
    # Fraud only under the national bodies, and they record nothing else.
    fraud = prc.filter(pl.col("Offence Group") == FRAUD)
    assert set(fraud["Force Name"]) == FRAUD_BODIES
    assert set(prc.filter(pl.col("Force Name").is_in(list(FRAUD_BODIES)))["Offence Group"]) == {
        FRAUD
    }
    assert set(crime_prc["Offence Subgroup"]) == KPI_SUBGROUPS
    codes = crime_prc["Offence Code"].n_unique()
    assert 30 <= codes <= 60
    groups = crime_prc.group_by("Offence Code").agg(
        pl.col("Offence Group").n_unique(), pl.col("Offence Subgroup").n_unique()
    )
    assert (groups["Offence Group"] == 1).all() and (groups["Offence Subgroup"] == 1).all()
    # Burglary reclassified in April 2017: new codes from 2017/18, old ones "outcome only".
    residential = crime_prc.filter(pl.col("Offence Code") == "28E")
    assert set(residential["Financial Year"]) == {"2017/18", "2018/19"}
    old = crime_prc.filter(
        (pl.col("Offence Code") == "28A") & (pl.col("Financial Year") != "2016/17")
    )
    assert old["n"].max() <= 0 and (old["Offence Description"].str.contains("outcome only")).all()


@pytest.mark.parametrize(
    ("fy", "quarter", "expected"),
    [
        ("2017/18", 1, 20_215),
        ("2017/18", 2, 21_327),
        ("2018/19", 1, 22_909),
        ("2018/19", 2, 23_116),
        ("2018/19", 3, 23_362),
        ("2018/19", 4, 22_713),
    ],
)
def test_leicestershire_prc_quarters(
    crime_prc: pl.DataFrame, fy: str, quarter: int, expected: int
) -> None:
    sel = crime_prc.filter(
        (pl.col("Force Name") == "Leicestershire")
        & (pl.col("Financial Year") == fy)
        & (pl.col("q") == quarter)
    )
    assert sel["n"].sum() == expected


def test_leicestershire_prc_equals_street_every_quarter(
    crime_prc: pl.DataFrame, crimes: pl.DataFrame
) -> None:
    le = crime_prc.filter(pl.col("Force Name") == "Leicestershire").with_columns(
        pl.col("Offence Subgroup").replace_strict(STREET_TYPE).alias("Crime type")
    )
    prc_by = {
        (fy, q, t): n
        for fy, q, t, n in le.group_by("Financial Year", "q", "Crime type")
        .agg(pl.col("n").sum())
        .iter_rows()
    }
    for fy in FY_MONTHS:
        for q in (1, 2, 3, 4):
            street = crimes.filter(pl.col("Month").is_in(quarter_months(fy, q)))
            by_type = dict(street.group_by("Crime type").len().iter_rows())
            assert {t: prc_by[fy, q, t] for t in CRIME_TYPES} == by_type, (fy, q)
    fy_totals = dict(le.group_by("Financial Year").agg(pl.col("n").sum()).iter_rows())
    assert fy_totals == {"2016/17": 68_706, "2017/18": 81_877, "2018/19": 92_100}


@pytest.mark.parametrize("category", list(SEED_003))
def test_leicestershire_prc_seed_003_categories(crime_prc: pl.DataFrame, category: str) -> None:
    subgroups, fy1718, fy1617, _, _ = SEED_003[category]
    le = crime_prc.filter(
        (pl.col("Force Name") == "Leicestershire") & pl.col("Offence Subgroup").is_in(subgroups)
    )
    totals = dict(le.group_by("Financial Year").agg(pl.col("n").sum()).iter_rows())
    assert (totals["2017/18"], totals["2016/17"]) == (fy1718, fy1617)


def test_leicestershire_prc_seed_000_quarter_changes(crime_prc: pl.DataFrame) -> None:
    le = crime_prc.filter((pl.col("Force Name") == "Leicestershire") & (pl.col("q") == 2))
    q2 = {
        (sub, fy): n
        for sub, fy, n in le.group_by("Offence Subgroup", "Financial Year")
        .agg(pl.col("n").sum())
        .iter_rows()
    }
    assert (q2["Violence with injury", "2018/19"], q2["Violence with injury", "2017/18"]) == (
        1_687,
        1_814,
    )  # -127, -7%
    assert (q2["Rape offences", "2018/19"], q2["Rape offences", "2017/18"]) == (246, 212)
    assert q2["Domestic burglary", "2018/19"] - q2["Domestic burglary", "2017/18"] == -71


def test_leicestershire_all_crime_ranks(crime_prc: pl.DataFrame, population: pl.DataFrame) -> None:
    rates = per_thousand(crime_prc, population)
    assert round(rates["Leicestershire"], 2) == 75.39  # 81,877 / 1,086,000
    assert ranks(rates) == (5, 22)  # seed 003: 5th of 8 in the MSF, 22nd nationally
    assert len(rates) == 43


@pytest.mark.parametrize("category", list(SEED_003))
def test_leicestershire_category_ranks(
    crime_prc: pl.DataFrame, population: pl.DataFrame, category: str
) -> None:
    subgroups, _, _, msf_rank, national_rank = SEED_003[category]
    assert ranks(per_thousand(crime_prc, population, subgroups)) == (msf_rank, national_rank)


def test_national_volumes(
    prc: pl.DataFrame, crime_prc: pl.DataFrame, population: pl.DataFrame
) -> None:
    rates = per_thousand(crime_prc, population)
    pop2017 = population.filter(pl.col("year") == 2017).drop("year").row(0)
    fy = dict(crime_prc.group_by("Financial Year").agg(pl.col("n").sum()).iter_rows())
    assert 80 <= 1000 * fy["2017/18"] / sum(pop2017) <= 90
    for before, after in (("2016/17", "2017/18"), ("2017/18", "2018/19")):
        assert 1.10 <= fy[after] / fy[before] <= 1.15
    assert 95 <= rates["Metropolitan Police"] <= 110
    assert rates["London, City of"] > 300  # few residents, many offences
    assert max(rates, key=rates.__getitem__) == "London, City of"
    for rural in ("Dyfed-Powys", "North Yorkshire", "Wiltshire", "Devon and Cornwall"):
        assert rates[rural] < 65
    btp = prc.filter((pl.col("Force Name") == BTP) & (pl.col("Financial Year") == "2017/18"))
    assert 40_000 <= btp["n"].sum() <= 80_000
    # Seasonality, nationally: burglary peaks in the winter quarters, cycle theft in summer.
    for year in FY_MONTHS:
        by_q = crime_prc.filter(pl.col("Financial Year") == year)
        burglary = dict(
            by_q.filter(pl.col("Offence Subgroup") == "Domestic burglary")
            .group_by("q")
            .agg(pl.col("n").sum())
            .iter_rows()
        )
        cycle = dict(
            by_q.filter(pl.col("Offence Subgroup") == "Bicycle theft")
            .group_by("q")
            .agg(pl.col("n").sum())
            .iter_rows()
        )
        assert burglary[3] + burglary[4] > burglary[1] + burglary[2]
        assert cycle[1] + cycle[2] > 1.3 * (cycle[3] + cycle[4])
    # A plausible mix: violence against the person the largest group everywhere but the City.
    mix = (
        crime_prc.filter(pl.col("Financial Year") == "2017/18")
        .group_by("Force Name", "Offence Group")
        .agg(pl.col("n").sum())
    )
    top = mix.sort("n", descending=True).group_by("Force Name").first()
    leaders = dict(zip(top["Force Name"], top["Offence Group"], strict=True))
    assert leaders.pop("London, City of") == "Theft offences"
    assert set(leaders.values()) <= {"Violence against the person", "Theft offences"}


def test_population(out: Path, population: pl.DataFrame) -> None:
    raw = (out / POPULATION_PATH).read_bytes()
    assert raw.startswith(b"year,Cleveland,") and b"\r" not in raw
    assert population.columns[0] == "year"
    assert sorted(population.columns[1:]) == sorted(TERRITORIAL.values())
    assert population["year"].to_list() == [2015, 2016, 2017, 2018, 2019]
    values = population.drop("year")
    assert all((values[c] % 100 == 0).all() and (values[c] > 0).all() for c in values.columns)
    by_year = {row["year"]: row for row in population.iter_rows(named=True)}
    assert by_year[2017]["Leicestershire"] == 1_086_000
    assert by_year[2018]["Leicestershire"] == 1_093_200
    assert by_year[2017]["City of London"] == 8_700
    assert 8_700_000 <= by_year[2017]["Metropolitan Police"] <= 8_900_000
    welsh = {"Dyfed-Powys": 515_000, "Gwent": 590_000, "North Wales": 700_000,
             "South Wales": 1_330_000}  # fmt: skip
    for force, expected in welsh.items():
        assert abs(by_year[2017][force] - expected) <= 0.02 * expected
    for force in values.columns:
        series = [by_year[y][force] for y in range(2015, 2020)]
        assert all(0 <= b / a - 1 <= 0.04 for a, b in itertools.pairwise(series)), force
    assert 57_000_000 <= sum(values.row(2)) <= 60_000_000  # England and Wales, mid-2017


@pytest.fixture(scope="module")
def extra(out: Path) -> pl.DataFrame:
    frame = pl.read_csv(out / "counts" / f"{SLUG}-crime-extra.csv", infer_schema_length=0)
    return frame.with_columns(pl.col("value").cast(pl.Int64))


def test_hate_and_knife_crime(out: Path, extra: pl.DataFrame) -> None:
    raw = (out / "counts" / f"{SLUG}-crime-extra.csv").read_bytes()
    assert raw.startswith(COUNTS_HEADER) and b"\r" not in raw
    assert set(extra["force"]) == {"Leicestershire"}
    assert set(extra["measure"]) == {"hate_crime", "knife_crime"}
    assert sorted(set(extra["month"])) == MONTHS and extra.height == 72
    assert measure_between(extra, "hate_crime", *Q2_1819) == 374  # seed 000: -51, -12%
    assert measure_between(extra, "hate_crime", *Q2_1718) == 425
    assert measure_between(extra, "hate_crime", "2017-04", "2018-03") == 1_381  # seed 003
    assert measure_between(extra, "hate_crime", "2016-04", "2017-03") == 1_227
    assert measure_between(extra, "knife_crime", *Q2_1819) == 603  # seed 000: +112, +23%
    assert measure_between(extra, "knife_crime", *Q2_1718) == 491
    for measure in ("hate_crime", "knife_crime"):
        sel = extra.filter(pl.col("measure") == measure)
        values = dict(zip(sel["month"], sel["value"], strict=True))
        assert_not_flat([values[m] for m in MONTHS], 25)
    knife = extra.filter(pl.col("measure") == "knife_crime")
    fy1718 = knife.filter(pl.col("month").is_in(FY_MONTHS["2017/18"]))["value"]
    assert fy1718.is_between(140, 180).all()  # seed 003: "between 140 and 180 ... per month"


@pytest.fixture(scope="module")
def survey(out: Path) -> pl.DataFrame:
    frame = pl.read_csv(out / "survey" / f"{SLUG}-survey.csv", infer_schema_length=0)
    return frame.with_columns(
        pl.col("respondents").cast(pl.Int64),
        pl.col("positive").cast(pl.Int64),
        (pl.col("positive").cast(pl.Int64) / pl.col("respondents").cast(pl.Int64)).alias("p"),
    )


def test_survey(out: Path, survey: pl.DataFrame) -> None:
    raw = (out / "survey" / f"{SLUG}-survey.csv").read_bytes()
    assert raw.startswith(b"force,period,measure,respondents,positive\n") and b"\r" not in raw
    periods = [f"{fy} Q{q}" for fy in FY_MONTHS for q in (1, 2, 3, 4)]
    assert survey["period"].unique(maintain_order=True).to_list() == periods
    assert survey.height == 36 and set(survey["force"]) == {"Leicestershire"}
    assert not survey.select("period", "measure").is_duplicated().any()
    q2 = {
        m: (n, k)
        for m, n, k in survey.filter(pl.col("period") == "2018/19 Q2")
        .select("measure", "respondents", "positive")
        .iter_rows()
    }
    assert q2 == {  # seed 000: 74%, 61%, 71.4%
        "victim_satisfaction": (300, 222),
        "public_confidence": (400, 244),
        "asb_satisfaction": (105, 75),
    }
    expected = {  # measure: (respondents range, share range)
        "victim_satisfaction": ((250, 350), (0.70, 0.82)),
        "public_confidence": ((350, 450), (0.58, 0.66)),
        "asb_satisfaction": ((80, 125), (0.62, 0.78)),
    }
    for measure, ((n_lo, n_hi), (p_lo, p_hi)) in expected.items():
        sel = survey.filter(pl.col("measure") == measure)
        assert sel["respondents"].is_between(n_lo, n_hi).all(), measure
        assert sel["p"].is_between(p_lo, p_hi).all(), measure
        assert (sel["positive"] <= sel["respondents"]).all()
    confidence = survey.filter(pl.col("measure") == "public_confidence")["p"]
    assert (round(confidence.min() * 100, 1), round(confidence.max() * 100, 1)) == (58.0, 66.0)


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
    assert len(digests(out)) == 36 * 3 + 6
    capsys.readouterr()
    generator.main(["--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.match(r"make_samples: 114 files, [\d,]+ rows", captured.err)
    assert digests(tmp_path) == digests(out)
