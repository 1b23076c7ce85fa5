"""Generate deterministic, realistic sample extracts for pcp (phase 1: Leicestershire Police).

Usage::

    python samples/make_samples.py [--out DIR]      # default: <repo>/samples/data

What is written (formats exactly as the publishers lay them out)::

    police-uk/YYYY-MM/YYYY-MM-leicestershire-street.csv          (CRLF)
    police-uk/YYYY-MM/YYYY-MM-leicestershire-outcomes.csv        (CRLF)
    police-uk/YYYY-MM/YYYY-MM-leicestershire-stop-and-search.csv (CRLF)
    counts/leicestershire-calls.csv       force,month,measure,value (LF)
    counts/leicestershire-incidents.csv   force,month,measure,value (LF)
    counts/leicestershire-crime-extra.csv force,month,measure,value (LF): hate and knife crime
    survey/leicestershire-survey.csv      force,period,measure,respondents,positive (LF)
    home-office/prc-pfa-sample-2016-17-to-2018-19.csv   Home Office PFA table, all forces (LF)
    population/pfa-population-2015-2019.csv             year + one column per force (LF)

for the 36 months April 2016 to March 2019 (financial years 2016/17 to 2018/19).

The national files (phase 2) are built around the home force (the profile with ``prc``
targets): its PRC quarters are its street quarters split into Home Office subgroups; the
other 42 territorial forces, British Transport Police and the fraud bodies are modelled
(population x crime rate x national offence mix, tilted by an urban index), and calibrated
so the home force ranks as its published MSG and national ranks say. The generator checks
those ranks itself and fails if they do not hold.

The model
---------
Every monthly series is ``level x season x days-in-month x noise``: the level is interpolated
log-linearly between financial-year midpoints (so there is a gentle trend, never a step inside
a year), the season is a Jan..Dec profile per series (burglary peaks in winter, ASB, cycle theft
and 999 calls in summer), and the noise is log-normal. The published figures the samples must
reproduce (seed papers 000 and 003) are imposed on top of that model:

* Crime (street rows other than ASB): per financial year, the expected months x crime types
  are aggregated into the year's target blocks (quarters or half years); iterative proportional
  fitting makes the blocks match both the block totals and the crime-type annual totals, an
  integer rounding keeps both margins exact, and each block cell is split into its months by the
  largest-remainder method using the noisy model as weights. Months with fully published counts
  (Q3 2018/19, from the real data.police.uk files) are fixed cells.
* ASB, stop and search and the counts measures: ``anchored_series`` scales the model so that
  each anchored period (a quarter, a year or a single month) hits its total exactly
  (largest-remainder split) and interpolates the scaling between anchors, so months around an
  anchor do not jump; months outside anchors are Poisson draws around the scaled model.
* Outcomes: each crime (plus six months of burn-in crimes before April 2016, whose IDs are not in
  any street file, as in real outcomes files) gets at most one outcome, with a type-specific
  probability, a lag of 0-6 months and a type-specific chance of being positive; outcomes after
  March 2019 are not published. In anchored quarters just enough outcome rows are switched between
  positive and non-positive types to hit the published number of positive outcomes exactly.
  Street rows carry a ``Last outcome category`` derived from that outcome ("Suspect charged"
  becomes a court result), else "Under investigation" (or, for some older crimes, "Status update
  unavailable").
* Quirks copied from the real files: Crime ID = 64 hex chars (empty for ASB, whose outcome is
  empty too); exact duplicate ASB rows; ~2% ``No Location`` crimes with empty coordinates and LSOA
  (outcomes files say ``No location``); a few Crime IDs republished in a later month's file;
  exact duplicate stop and search rows (people searched together); some empty coordinates and
  outcomes in stop and search.

Places are synthetic: LSOA codes and names follow the real pattern (``E01025631``,
``Blaby 002A``) for the nine Leicestershire districts, street names are drawn from a word list,
coordinates scatter around each district's centre. No real row is copied.

Randomness comes only from ``numpy.random.default_rng`` seeded with the force's seed and a
fixed stream number per component, so two runs give byte-identical files. Adding a force
(phase 2) means adding a ``ForceProfile``; ``generate`` loops over ``FORCES``.
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

# ---------------------------------------------------------------------------------------------
# Calendar: month index 0 = April 2016, 35 = March 2019.
# ---------------------------------------------------------------------------------------------

FIRST_YEAR, FIRST_MONTH = 2016, 4
N_MONTHS = 36
BURN_IN_MONTHS = 6  # crimes before April 2016 that only appear through their outcomes


def month_label(i: int) -> str:
    """``YYYY-MM`` of month index ``i`` (may be negative for burn-in months)."""
    y, m = divmod(FIRST_YEAR * 12 + FIRST_MONTH - 1 + i, 12)
    return f"{y:04d}-{m + 1:02d}"


def month_index(label: str) -> int:
    y, m = int(label[:4]), int(label[5:7])
    return y * 12 + m - 1 - (FIRST_YEAR * 12 + FIRST_MONTH - 1)


def calendar_month(i: np.ndarray | int) -> np.ndarray | int:
    """1..12 for month index ``i``."""
    return (np.asarray(i) + FIRST_MONTH - 1) % 12 + 1


def days_in_month(i: int) -> int:
    y, m = divmod(FIRST_YEAR * 12 + FIRST_MONTH - 1 + i, 12)
    return calendar.monthrange(y, m + 1)[1]


def fy_start_of(i: int) -> int:
    """Start year of the financial year containing month index ``i``."""
    return FIRST_YEAR + (i + FIRST_MONTH - 4) // 12


def month_span(first: str, last: str) -> range:
    return range(month_index(first), month_index(last) + 1)


# ---------------------------------------------------------------------------------------------
# Vocabularies (data.police.uk wording).
# ---------------------------------------------------------------------------------------------

ASB = "Anti-social behaviour"
CRIME_TYPES = (
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
)

STREET_HEADER = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
OUTCOMES_HEADER = (*STREET_HEADER[:9], "Outcome type")
STOP_SEARCH_HEADER = (
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)
COUNTS_HEADER = ("force", "month", "measure", "value")
COUNTS_DTYPES = (pl.String, pl.String, pl.String, pl.Int64)

POSITIVE_OUTCOMES = (
    "Suspect charged",
    "Suspect charged as part of another case",
    "Offender given a caution",
    "Offender given a drugs possession warning",
    "Offender given penalty notice",
    "Local resolution",
    "Awaiting court outcome",
)
NEGATIVE_OUTCOMES = (
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Formal action is not in the public interest",
    "Further investigation is not in the public interest",
    "Action to be taken by another organisation",
)
OUTCOME_TYPES = POSITIVE_OUTCOMES + NEGATIVE_OUTCOMES
OUTCOME_INDEX = {name: k for k, name in enumerate(OUTCOME_TYPES)}

# Positive outcome mixes: general, and the two crime types with their own disposals.
POSITIVE_MIX = {
    "general": (0.50, 0.03, 0.13, 0.0, 0.03, 0.30, 0.01),
    "Drugs": (0.30, 0.01, 0.12, 0.30, 0.04, 0.22, 0.01),
    "Shoplifting": (0.45, 0.02, 0.12, 0.0, 0.08, 0.33, 0.0),
}
# Non-positive mixes: volume crime is mostly "no suspect", crime against people "unable".
NEGATIVE_MIX = {
    "volume": (0.78, 0.14, 0.02, 0.04, 0.02),
    "people": (0.14, 0.62, 0.08, 0.09, 0.07),
}
PEOPLE_CRIME = {
    "Violence and sexual offences",
    "Public order",
    "Other crime",
    "Drugs",
    "Possession of weapons",
}
# What a street file says when the outcome was "Suspect charged": the court result.
COURT_RESULTS = {
    "Court result unavailable": 0.30,
    "Awaiting court outcome": 0.10,
    "Offender given community sentence": 0.12,
    "Offender sent to prison": 0.10,
    "Offender fined": 0.09,
    "Offender given suspended prison sentence": 0.07,
    "Defendant found not guilty": 0.07,
    "Offender given conditional discharge": 0.06,
    "Court case unable to proceed": 0.05,
    "Offender otherwise dealt with": 0.02,
    "Offender ordered to pay compensation": 0.02,
}
UNDER_INVESTIGATION = "Under investigation"
STATUS_UNAVAILABLE = "Status update unavailable"

# Generic data.police.uk map features used as locations ("On or near Supermarket").
FEATURES = (
    "Supermarket",
    "Shopping Area",
    "Petrol Station",
    "Parking Area",
    "Sports/Recreation Area",
    "Park/Open Space",
    "Nightclub",
    "Further/Higher Educational Building",
    "Hospital",
    "Bus/Coach Station",
    "Theatre/Concert Hall",
    "Police Station",
)
SHOP_FEATURES = {"Supermarket", "Shopping Area", "Petrol Station"}
STREET_STEMS = (
    "Ashby", "Belgrave", "Braunstone", "Narborough", "Hinckley", "Loughborough", "Melton",
    "Uppingham", "Oakham", "Humberstone", "Evington", "Aylestone", "Welford", "Saffron",
    "Granby", "Charles", "Gallowtree", "Thurmaston", "Syston", "Wigston", "Oadby", "Enderby",
    "Glenfield", "Anstey", "Birstall", "Groby", "Coalville", "Market", "Station", "Church",
    "Mill", "Park", "Victoria", "Albert", "Queens", "Kings", "London", "Forest", "Willoughby",
    "Hobill", "Mallard", "Yew", "Excalibur", "Cedar", "Oak", "Elm", "Beech", "Holly", "Linden",
    "Chestnut", "Rowan", "Willow", "Meadow", "Orchard", "Brook", "Manor", "Grange", "Windmill",
    "Chapel", "School", "Green", "Swan", "Cross", "Bridge", "Spinney", "Fosse", "Welland",
    "Soar", "Wreake", "Sence", "Bosworth", "Charnwood", "Bradgate", "Beaumont", "Hastings",
    "Ferrers", "Quorn", "Rothley", "Sileby", "Countesthorpe", "Kibworth", "Lutterworth",
    "Shepshed", "Ibstock", "Measham", "Castle", "Abbey", "Priory", "Tudor", "Stuart", "Nelson",
    "Wellington", "Gladstone", "Cromwell", "Hazel", "Ash", "Fern", "Heather", "Sycamore",
)  # fmt: skip
STREET_SUFFIXES = (
    "Road", "Street", "Close", "Avenue", "Lane", "Gardens", "Way", "Drive", "Crescent",
    "Place", "Walk", "Court", "Rise", "View", "Grove",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Force profiles: everything force-specific, including the published targets.
# ---------------------------------------------------------------------------------------------

Season = tuple[float, ...]  # 12 multipliers, January..December
FLAT: Season = (1.0,) * 12


@dataclass(frozen=True)
class District:
    name: str
    n_lsoa: int
    lon: float
    lat: float
    spread_lon: float
    spread_lat: float
    crime_share: float  # share of located street rows
    code_start: int  # first LSOA code number (E01 + 6 digits)


@dataclass(frozen=True)
class Series:
    """A monthly count: model (annual levels by FY start year, season, noise) plus anchors."""

    fy_levels: dict[int, float]
    season: Season = FLAT
    noise: float = 0.03
    anchors: tuple[tuple[str, str, int], ...] = ()  # (first month, last month, exact total)


@dataclass(frozen=True)
class CrimeModel:
    p_outcome: float  # chance of an outcome (eventually, within the lag window)
    p_positive: float  # chance that outcome is positive (before the recording-issue factor)
    p_no_location: float
    season: Season


@dataclass(frozen=True)
class SurveySeries:
    """Quarterly survey results: the share answering positively and the number asked.

    The share follows ``fy_levels`` (interpolated between financial-year midpoints) plus
    normal noise, kept inside ``bounds``; respondents scatter around ``respondents``.
    ``anchors`` fix (period, respondents, positive) exactly, e.g. ("2018/19 Q2", 300, 222).
    """

    fy_levels: dict[int, float]
    respondents: int
    noise: float = 0.015
    bounds: tuple[float, float] = (0.0, 1.0)
    anchors: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class PrcTargets:
    """A force's rows in the Home Office PFA table, built from its own street series.

    Every quarter, each police.uk crime type's street total is split into the Home Office
    offence subgroups published under it (``Subgroup.street_type``), so the force's PRC
    quarters equal its street quarters exactly; ``subgroup_totals`` fixes each subgroup's
    financial-year total and ``fixed_quarters`` single quarters. The other forces of the
    table are calibrated so that this force's rates rank as ``ranks`` says in ``rank_year``.
    """

    name: str  # Home Office "Force Name"
    subgroup_totals: dict[str, dict[int, int]]  # subgroup -> FY start year -> exact total
    fixed_quarters: dict[tuple[str, str], int]  # (subgroup, "2018/19 Q2") -> exact count
    msg: tuple[str, ...]  # Home Office names of the other Most Similar Group members
    all_crime_rank: tuple[int, int]  # (MSG rank, national rank), 1 = lowest rate per 1,000
    ranks: dict[str, tuple[int, int]]  # RANKED_CATEGORIES label -> (MSG rank, national rank)
    rank_year: int = 2017


@dataclass(frozen=True)
class ForceProfile:
    slug: str  # data.police.uk file-name slug
    police_uk_name: str  # "Reported by" / "Falls within"
    counts_name: str  # "force" column of the counts files
    seed: int
    districts: tuple[District, ...]
    # Crime (street rows excluding ASB).
    crime_fy_totals: dict[str, dict[int, int]]  # type -> FY start year -> exact total
    crime_blocks: tuple[tuple[str, str, int], ...]  # exact totals; cover every unfixed month
    crime_fixed_months: dict[str, dict[str, int]]  # month -> type -> exact count
    crime_models: dict[str, CrimeModel]
    republished_ids: int
    # Outcomes.
    positive_factor: tuple[tuple[str, float], ...]  # (outcome month, factor) knots
    positive_anchors: tuple[tuple[str, str, int], ...]
    # ASB, stop and search, counts.
    asb: Series
    asb_duplicate_share: float
    stop_search: Series
    stop_search_object_anchors: dict[str, tuple[str, int]]  # month -> (object, exact rows)
    counts: dict[str, dict[str, Series]]  # file stem -> measure -> series
    counts_sums: dict[str, dict[str, tuple[str, ...]]]  # file -> measure = sum of measures
    # Phase 2 (defaults keep phase-1 profiles valid): more counts files, a survey file and
    # the force's rows of the Home Office PFA table.
    extra_counts: dict[str, dict[str, Series]] = field(default_factory=dict)
    survey: dict[str, SurveySeries] = field(default_factory=dict)
    prc: PrcTargets | None = None


def by_type(*counts: int) -> dict[str, int]:
    """Counts given in CRIME_TYPES order, as a mapping."""
    return dict(zip(CRIME_TYPES, counts, strict=True))


def _season(*values: float) -> Season:
    assert len(values) == 12
    return tuple(values)


SEASON_CRIME = _season(0.95, 0.92, 1.0, 0.98, 1.02, 1.02, 1.05, 1.04, 1.0, 1.03, 1.0, 0.96)
SEASON_WINTER = _season(1.12, 1.0, 0.95, 0.9, 0.88, 0.87, 0.9, 0.92, 0.95, 1.08, 1.2, 1.22)
SEASON_SUMMER = _season(0.65, 0.65, 0.8, 0.95, 1.15, 1.25, 1.3, 1.3, 1.25, 1.15, 0.9, 0.65)
SEASON_VIOLENCE = _season(0.92, 0.9, 1.0, 1.0, 1.06, 1.06, 1.1, 1.05, 1.0, 1.0, 0.97, 0.98)
SEASON_SHOP = _season(0.98, 0.95, 1.0, 0.98, 1.0, 0.98, 0.98, 0.95, 0.97, 1.02, 1.06, 1.12)
SEASON_DAMAGE = _season(0.92, 0.9, 1.0, 1.0, 1.04, 1.03, 1.05, 1.03, 1.0, 1.08, 1.05, 0.93)
SEASON_ASB = _season(0.78, 0.76, 0.9, 1.0, 1.1, 1.12, 1.22, 1.2, 1.05, 1.05, 0.95, 0.82)
SEASON_999 = _season(0.93, 0.88, 0.95, 0.97, 1.03, 1.06, 1.12, 1.08, 1.0, 1.0, 0.97, 1.0)
SEASON_DEMAND = _season(0.96, 0.94, 1.0, 0.99, 1.02, 1.03, 1.05, 1.03, 1.0, 1.0, 0.98, 0.98)

LEICESTERSHIRE = ForceProfile(
    slug="leicestershire",
    police_uk_name="Leicestershire Police",
    counts_name="Leicestershire",
    seed=20160401,
    districts=(
        District("Blaby", 58, -1.2000, 52.5956, 0.034, 0.030, 0.064, 25610),
        District("Charnwood", 98, -1.1822, 52.7461, 0.062, 0.035, 0.138, 25670),
        District("Harborough", 53, -1.0538, 52.5115, 0.110, 0.055, 0.054, 25770),
        District("Hinckley and Bosworth", 66, -1.3512, 52.5771, 0.045, 0.050, 0.077, 25825),
        District("Leicester", 192, -1.1303, 52.6350, 0.031, 0.017, 0.481, 13565),
        District("Melton", 30, -0.8821, 52.7806, 0.041, 0.050, 0.039, 25892),
        District("North West Leicestershire", 58, -1.4077, 52.7386, 0.074, 0.040, 0.084, 25925),
        District("Oadby and Wigston", 36, -1.1027, 52.5885, 0.021, 0.009, 0.042, 25985),
        District("Rutland", 23, -0.6970, 52.6696, 0.067, 0.047, 0.021, 13785),
    ),
    # Seed 003 (rolling 12 months to March 2018 against the previous 12) gives seven
    # categories exactly and the totals 81,877 / 68,706; the rest are chosen to match the
    # Home Office 2017/18 table's mix. 2018/19 follows the real Q3 2018/19 street files.
    crime_fy_totals={
        "Bicycle theft": {2016: 1914, 2017: 1864, 2018: 2450},
        "Burglary": {2016: 8342, 2017: 9211, 2018: 9000},
        "Criminal damage and arson": {2016: 9092, 2017: 9476, 2018: 10600},
        "Drugs": {2016: 1250, 2017: 1564, 2018: 2050},
        "Other crime": {2016: 1300, 2017: 1700, 2018: 2000},
        "Other theft": {2016: 7300, 2017: 8300, 2018: 8600},
        "Possession of weapons": {2016: 524, 2017: 732, 2018: 800},
        "Public order": {2016: 2848, 2017: 4705, 2018: 7000},
        "Robbery": {2016: 700, 2017: 891, 2018: 1000},
        "Shoplifting": {2016: 6706, 2017: 6599, 2018: 6500},
        "Theft from the person": {2016: 1150, 2017: 1400, 2018: 1650},
        "Vehicle crime": {2016: 8700, 2017: 9900, 2018: 11600},
        "Violence and sexual offences": {2016: 18880, 2017: 25535, 2018: 28850},
    },
    crime_blocks=(
        # Apr-Sep 2016 = FY 2016/17 (68,706) minus Oct 2016-Mar 2017, where
        # Oct 2016-Sep 2017 = 76,233 (seed 002) and Apr-Sep 2017 = 20,215 + 21,327.
        ("2016-04", "2016-09", 34015),
        ("2016-10", "2017-03", 34691),
        ("2017-04", "2017-06", 20215),  # Q1 2017/18 (seed 000: FYTD 41,542)
        ("2017-07", "2017-09", 21327),  # Q2 2017/18 (seed 000)
        ("2017-10", "2018-03", 40335),  # rest of FY 2017/18 = 81,877 (seed 003)
        ("2018-04", "2018-06", 22909),  # Q1 2018/19 (seed 000: FYTD 46,025)
        ("2018-07", "2018-09", 23116),  # Q2 2018/19 (seed 000)
        ("2019-01", "2019-03", 22713),  # Q4 2018/19 (chosen; FY 2018/19 = 92,100)
    ),
    # Q3 2018/19 as published by data.police.uk (Leicestershire street files 2018-10..12).
    crime_fixed_months={
        "2018-10": by_type(242, 722, 917, 183, 175, 712, 58, 619, 95, 562, 128, 1085, 2409),
        "2018-11": by_type(252, 861, 872, 158, 175, 725, 75, 604, 85, 559, 134, 981, 2430),
        "2018-12": by_type(170, 705, 894, 197, 157, 688, 68, 566, 74, 483, 163, 880, 2499),
    },
    crime_models={
        "Bicycle theft": CrimeModel(0.66, 0.05, 0.01, SEASON_SUMMER),
        "Burglary": CrimeModel(0.70, 0.085, 0.01, SEASON_WINTER),
        "Criminal damage and arson": CrimeModel(0.68, 0.14, 0.01, SEASON_DAMAGE),
        "Drugs": CrimeModel(0.86, 0.80, 0.02, FLAT),
        "Other crime": CrimeModel(0.62, 0.28, 0.05, FLAT),
        "Other theft": CrimeModel(0.68, 0.075, 0.02, SEASON_CRIME),
        "Possession of weapons": CrimeModel(0.80, 0.58, 0.02, FLAT),
        "Public order": CrimeModel(0.66, 0.31, 0.02, SEASON_VIOLENCE),
        "Robbery": CrimeModel(0.66, 0.16, 0.01, SEASON_WINTER),
        "Shoplifting": CrimeModel(0.76, 0.34, 0.003, SEASON_SHOP),
        "Theft from the person": CrimeModel(0.66, 0.05, 0.02, SEASON_CRIME),
        "Vehicle crime": CrimeModel(0.72, 0.03, 0.01, SEASON_WINTER),
        "Violence and sexual offences": CrimeModel(0.62, 0.26, 0.035, SEASON_VIOLENCE),
    },
    republished_ids=8,
    # Seed 000: positive outcomes fell 27% in Q2 2018/19 ("a recording issue").
    positive_factor=(("2018-03", 1.0), ("2018-07", 0.66), ("2019-03", 0.72)),
    positive_anchors=(("2017-07", "2017-09", 2722), ("2018-07", "2018-09", 1998)),
    asb=Series(
        fy_levels={2016: 20500, 2017: 19200, 2018: 13000},
        season=SEASON_ASB,
        noise=0.04,
        anchors=(
            ("2017-07", "2017-09", 5514),  # seed 000
            ("2018-07", "2018-09", 4125),  # seed 000
            ("2018-10", "2018-10", 1049),  # real street files, Q3 2018/19
            ("2018-11", "2018-11", 969),
            ("2018-12", "2018-12", 836),
        ),
    ),
    asb_duplicate_share=0.03,
    stop_search=Series(
        fy_levels={2016: 1800, 2017: 1750, 2018: 1800},
        season=FLAT,
        noise=0.12,
        anchors=(
            ("2017-07", "2017-09", 430),  # seed 000
            ("2018-07", "2018-07", 194),
            ("2018-08", "2018-08", 355),
            ("2018-09", "2018-09", 344),
        ),
    ),
    # Seed 000: offensive-weapons searches 36, 68 and 76 in July-September 2018.
    stop_search_object_anchors={
        "2018-07": ("Offensive weapons", 36),
        "2018-08": ("Offensive weapons", 68),
        "2018-09": ("Offensive weapons", 76),
    },
    counts={
        "calls": {
            "calls_999": Series(
                {2016: 136000, 2017: 140000, 2018: 150000},
                SEASON_999,
                anchors=(("2017-07", "2017-09", 36000), ("2018-07", "2018-09", 38995)),
            ),
            "calls_101": Series(
                {2016: 490000, 2017: 470000, 2018: 420000},
                SEASON_DEMAND,
                anchors=(("2017-07", "2017-09", 119043), ("2018-07", "2018-09", 103919)),
            ),
        },
        "incidents": {
            # Seed 000 gives the Q2 changes by grade (+470, +105, -1,296, -5,499), which sum
            # to the -6,220 change in all incidents; the levels are chosen so that grades 1,
            # 3 and 4 also show the paper's +5%, -12% and -24% (grade 2 then shows +0%, not
            # +1%: no levels summing to 68,358 can show all four percentages).
            "incidents_grade1": Series(
                {2016: 38000, 2017: 40500, 2018: 42500},
                SEASON_999,
                anchors=(("2017-07", "2017-09", 10200), ("2018-07", "2018-09", 10670)),
            ),
            "incidents_grade2": Series(
                {2016: 92000, 2017: 94000, 2018: 94500},
                SEASON_DEMAND,
                anchors=(("2017-07", "2017-09", 23758), ("2018-07", "2018-09", 23863)),
            ),
            "incidents_grade3": Series(
                {2016: 45000, 2017: 44000, 2018: 39000},
                SEASON_DEMAND,
                anchors=(("2017-07", "2017-09", 11100), ("2018-07", "2018-09", 9804)),
            ),
            "incidents_grade4": Series(
                {2016: 95000, 2017: 91000, 2018: 72000},
                SEASON_DEMAND,
                anchors=(("2017-07", "2017-09", 23300), ("2018-07", "2018-09", 17801)),
            ),
            # Seed 003: 7,027 reported domestic incidents in 2017/18; seed 000: 1,930 in Q2.
            "domestic_incidents": Series(
                {2016: 6600, 2017: 7027, 2018: 7600},
                SEASON_DEMAND,
                noise=0.05,
                anchors=(("2017-04", "2018-03", 7027), ("2018-07", "2018-09", 1930)),
            ),
            "missing_persons": Series(
                {2016: 3700, 2017: 4000, 2018: 5400},
                FLAT,
                noise=0.06,
                anchors=(("2017-07", "2017-09", 971), ("2018-07", "2018-09", 1388)),
            ),
        },
    },
    counts_sums={
        "incidents": {
            "incidents": (
                "incidents_grade1",
                "incidents_grade2",
                "incidents_grade3",
                "incidents_grade4",
            )
        }
    },
    extra_counts={
        "crime-extra": {
            # Seed 003: hate crime 1,381 in 2017/18 against 1,227 in 2016/17 (July 2016 the
            # post-referendum peak); seed 000: Q2 2018/19 374 against 425 (-51, -12%),
            # "falling since May 18".
            "hate_crime": Series(
                {2016: 1227, 2017: 1381, 2018: 1400},
                SEASON_VIOLENCE,
                noise=0.05,
                anchors=(
                    ("2016-04", "2016-06", 290),
                    ("2016-07", "2016-07", 148),
                    ("2016-08", "2017-03", 789),
                    ("2017-04", "2017-06", 330),
                    ("2017-07", "2017-09", 425),
                    ("2017-10", "2018-03", 626),
                    ("2018-04", "2018-06", 410),
                    ("2018-07", "2018-09", 374),
                ),
            ),
            # Seed 000: 603 in Q2 2018/19 against 491 (+112, +23%); seed 003: "between 140
            # and 180 recorded knife crimes per month" in 2017/18 (1,938 chosen).
            "knife_crime": Series(
                {2016: 1700, 2017: 1938, 2018: 2300},
                SEASON_VIOLENCE,
                noise=0.025,
                anchors=(
                    ("2017-04", "2017-06", 470),
                    ("2017-07", "2017-09", 491),
                    ("2017-10", "2017-12", 500),
                    ("2018-01", "2018-02", 305),
                    ("2018-03", "2018-03", 172),
                    ("2018-07", "2018-09", 603),
                ),
            ),
        }
    },
    survey={
        # Seed 000: "stable at 74%"; seed 003: "some decline" during 2017/18.
        "victim_satisfaction": SurveySeries(
            {2016: 0.785, 2017: 0.76, 2018: 0.742},
            300,
            noise=0.012,
            anchors=(("2018/19 Q2", 300, 222),),
        ),
        # Seed 000: 61% now, highest 66%, lowest 58%; seed 003: 61.8% at March 2018.
        "public_confidence": SurveySeries(
            {2016: 0.63, 2017: 0.615, 2018: 0.61},
            400,
            noise=0.012,
            bounds=(0.585, 0.655),
            anchors=(
                ("2016/17 Q3", 400, 264),
                ("2017/18 Q1", 400, 232),
                ("2017/18 Q4", 400, 247),
                ("2018/19 Q2", 400, 244),
            ),
        ),
        # Seed 003: up in Q3 2017/18, down again in Q4; seed 000: 71.4% in Q2 2018/19.
        "asb_satisfaction": SurveySeries(
            {2016: 0.72, 2017: 0.705, 2018: 0.70},
            100,
            noise=0.02,
            anchors=(
                ("2017/18 Q3", 104, 76),
                ("2017/18 Q4", 98, 67),
                ("2018/19 Q1", 100, 68),
                ("2018/19 Q2", 105, 75),
            ),
        ),
    },
    prc=PrcTargets(
        name="Leicestershire",
        # Sums per police.uk type equal crime_fy_totals (checked). Seed 003 gives Violence
        # with injury, Violence without injury (the paper's figure, which includes stalking
        # and harassment, so that subgroup is kept small here), Rape, Robbery personal,
        # Theft of / from motor vehicle; the rest are chosen.
        subgroup_totals={
            "Homicide": {2016: 12, 2017: 13, 2018: 11},
            "Violence with injury": {2016: 5728, 2017: 7216, 2018: 6900},
            "Violence without injury": {2016: 10366, 2017: 14636, 2018: 17600},
            "Stalking and harassment": {2016: 1054, 2017: 1466, 2018: 1759},
            "Rape offences": {2016: 520, 2017: 754, 2018: 930},
            "Other sexual offences": {2016: 1200, 2017: 1450, 2018: 1650},
            "Robbery of business property": {2016: 87, 2017: 83, 2018: 95},
            "Robbery of personal property": {2016: 613, 2017: 808, 2018: 905},
            "Domestic burglary": {2016: 5700, 2017: 6250, 2018: 6150},
            "Non-domestic burglary": {2016: 2642, 2017: 2961, 2018: 2850},
            "Theft of a motor vehicle": {2016: 1485, 2017: 1727, 2018: 2050},
            "Theft from a vehicle": {2016: 6785, 2017: 7557, 2018: 8800},
            "Vehicle interference": {2016: 430, 2017: 616, 2018: 750},
            "Bicycle theft": {2016: 1914, 2017: 1864, 2018: 2450},
            "Shoplifting": {2016: 6706, 2017: 6599, 2018: 6500},
            "Theft from the person": {2016: 1150, 2017: 1400, 2018: 1650},
            "Other theft offences": {2016: 7300, 2017: 8300, 2018: 8600},
            "Criminal damage": {2016: 8780, 2017: 9140, 2018: 10230},
            "Arson": {2016: 312, 2017: 336, 2018: 370},
            "Possession of drugs": {2016: 880, 2017: 1120, 2018: 1480},
            "Trafficking of drugs": {2016: 370, 2017: 444, 2018: 570},
            "Possession of weapons offences": {2016: 524, 2017: 732, 2018: 800},
            "Public order offences": {2016: 2848, 2017: 4705, 2018: 7000},
            "Miscellaneous crimes": {2016: 1300, 2017: 1700, 2018: 2000},
        },
        # Seed 000 (Q2 2018/19 against Q2 2017/18): violence with injury -127 (-7%), rape
        # +34 (+16%), residential burglary -71.
        fixed_quarters={
            ("Violence with injury", "2017/18 Q2"): 1814,
            ("Violence with injury", "2018/19 Q2"): 1687,
            ("Rape offences", "2017/18 Q2"): 212,
            ("Rape offences", "2018/19 Q2"): 246,
            ("Domestic burglary", "2017/18 Q2"): 1520,
            ("Domestic burglary", "2018/19 Q2"): 1449,
        },
        msg=(
            "Sussex",
            "Hertfordshire",
            "Essex",
            "Bedfordshire",
            "Hampshire",
            "Nottinghamshire",
            "Kent",
        ),
        # Seed 003 table (12 months to March 2018): MSF rank, national rank.
        all_crime_rank=(5, 22),
        ranks={
            "Violence with Injury": (1, 7),
            "Violence without Injury": (5, 20),
            "Rape": (2, 6),
            "Burglary": (8, 34),
            "Robbery Personal": (4, 29),
            "Theft of Motor Vehicle": (4, 29),
            "Theft from Motor Vehicle": (8, 41),
            "Theft Cycle": (7, 35),
            "Shoplifting": (4, 17),
            "Criminal Damage": (5, 19),
            "Drug Offences": (1, 3),
            "Possession of Weapons": (4, 32),
            "Public Order": (2, 20),
        },
    ),
)

FORCES: tuple[ForceProfile, ...] = (LEICESTERSHIRE,)

# Random streams (one per component, so changing one component leaves the others unchanged).
S_GAZETTEER, S_CRIME_MODEL, S_CRIMES, S_OUTCOMES, S_ASB, S_STOP_SEARCH, S_COUNTS = range(7)
S_EXTRA_COUNTS, S_SURVEY = 7, 8


def rng_for(profile: ForceProfile, stream: int) -> np.random.Generator:
    return np.random.default_rng([profile.seed, stream])


# ---------------------------------------------------------------------------------------------
# Integer apportionment and monthly series.
# ---------------------------------------------------------------------------------------------


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (Hamilton's method)."""
    w = np.asarray(weights, dtype=float)
    if total == 0:
        return np.zeros(len(w), dtype=np.int64)
    if total < 0 or w.sum() <= 0:
        raise ValueError(f"cannot apportion {total} over weights summing to {w.sum()}")
    quota = total * w / w.sum()
    out = np.floor(quota).astype(np.int64)
    short = total - int(out.sum())
    # Stable order: largest remainder first, ties to the earlier index.
    order = np.argsort(-(quota - out), kind="stable")
    out[order[:short]] += 1
    return out


def model_months(
    fy_levels: dict[int, float], season: Season, noise: float, rng: np.random.Generator
) -> np.ndarray:
    """Expected monthly values for every month: level x season x days x log-normal noise.

    The level interpolates log(annual / 12) between financial-year midpoints (flat outside).
    Burn-in months (negative indices) are included: the array covers
    ``-BURN_IN_MONTHS .. N_MONTHS - 1``.
    """
    idx = np.arange(-BURN_IN_MONTHS, N_MONTHS)
    years = sorted(fy_levels)
    mid = np.array([(y - FIRST_YEAR) * 12 + 5.5 for y in years])
    log_level = np.interp(idx, mid, np.log([fy_levels[y] / 12 for y in years]))
    s = np.asarray(season, dtype=float)
    s = s / s.mean()
    seasonal = s[calendar_month(idx) - 1]
    days = np.array([days_in_month(int(i)) for i in idx]) / (365.25 / 12)
    eps = rng.normal(0.0, noise, size=len(idx))
    return np.exp(log_level + eps) * seasonal * days


def anchored_series(model: np.ndarray, series: Series, rng: np.random.Generator) -> np.ndarray:
    """Integer counts for months 0..N_MONTHS-1 that hit every anchor total exactly.

    ``model`` holds expected values for months 0..N_MONTHS-1. Each anchor period gets a scale
    factor (target / model total); log factors are interpolated between anchor midpoints and
    held flat beyond the first and last anchor. Anchored months split their total by largest
    remainder; the others are Poisson draws around the scaled model.
    """
    anchors = [(month_span(a, b), total) for a, b, total in series.anchors]
    anchored = np.zeros(N_MONTHS, dtype=bool)
    for span, _ in anchors:
        if anchored[list(span)].any():
            raise ValueError("anchor periods overlap")
        anchored[list(span)] = True
    scaled = model.copy()
    if anchors:
        mids = np.array([(span.start + span.stop - 1) / 2 for span, _ in anchors])
        logs = np.array([np.log(total / model[list(span)].sum()) for span, total in anchors])
        order = np.argsort(mids)
        scaled = model * np.exp(np.interp(np.arange(N_MONTHS), mids[order], logs[order]))
    out = rng.poisson(scaled).astype(np.int64)
    for span, total in anchors:
        out[list(span)] = largest_remainder(total, scaled[list(span)])
    return out


# ---------------------------------------------------------------------------------------------
# Crime counts by month and type.
# ---------------------------------------------------------------------------------------------


def ipf(seed: np.ndarray, row_totals: np.ndarray, col_totals: np.ndarray) -> np.ndarray:
    """Iterative proportional fitting of a positive matrix to row and column totals."""
    x = seed.astype(float).copy()
    for _ in range(500):
        x *= (row_totals / x.sum(axis=1))[:, None]
        x *= col_totals / x.sum(axis=0)
        if np.abs(x.sum(axis=1) - row_totals).max() < 1e-9:
            break
    return x


def round_with_margins(x: np.ndarray, col_totals: np.ndarray) -> np.ndarray:
    """Integer matrix close to ``x`` with x's (integer) row and column totals kept exactly.

    Every column but the last is rounded to its total by largest remainder; the last column
    takes what each row still needs (its total then holds because the margins balance).
    """
    out = np.zeros(x.shape, dtype=np.int64)
    for j in range(x.shape[1] - 1):
        out[:, j] = largest_remainder(int(col_totals[j]), x[:, j])
    out[:, -1] = np.rint(x.sum(axis=1)).astype(np.int64) - out[:, :-1].sum(axis=1)
    if (out < 0).any():
        raise ValueError("rounding produced a negative cell")
    return out


def crime_counts(profile: ForceProfile) -> np.ndarray:
    """Street crime rows (excluding ASB) by month index x crime type; shape (N_MONTHS, 13)."""
    rng = rng_for(profile, S_CRIME_MODEL)
    expected = model_expected_crime(profile, rng)[BURN_IN_MONTHS:]
    counts = np.zeros((N_MONTHS, len(CRIME_TYPES)), dtype=np.int64)
    fixed = {month_index(m): v for m, v in profile.crime_fixed_months.items()}
    for m, per_type in fixed.items():
        counts[m] = [per_type[t] for t in CRIME_TYPES]
    blocks = [(month_span(a, b), total) for a, b, total in profile.crime_blocks]
    for fy in sorted({fy_start_of(i) for i in range(N_MONTHS)}):
        fy_months = {i for i in range(N_MONTHS) if fy_start_of(i) == fy}
        fy_blocks = [(s, t) for s, t in blocks if set(s) <= fy_months]
        covered = [i for s, _ in fy_blocks for i in s] + [i for i in fixed if i in fy_months]
        if sorted(covered) != sorted(fy_months):
            raise ValueError(f"{profile.slug} FY {fy}: blocks and fixed months must tile the year")
        type_totals = np.array([profile.crime_fy_totals[t][fy] for t in CRIME_TYPES])
        type_totals = type_totals - sum(counts[i] for i in fixed if i in fy_months)
        block_totals = np.array([t for _, t in fy_blocks])
        if type_totals.sum() != block_totals.sum():
            raise ValueError(f"{profile.slug} FY {fy}: type totals and block totals differ")
        seed = np.stack([expected[list(s)].sum(axis=0) for s, _ in fy_blocks], axis=1)
        fitted = ipf(seed, type_totals.astype(float), block_totals.astype(float))
        cells = round_with_margins(fitted, block_totals)
        for b, (span, _) in enumerate(fy_blocks):
            for k in range(len(CRIME_TYPES)):
                counts[list(span), k] = largest_remainder(int(cells[k, b]), expected[list(span), k])
    return counts


def model_expected_crime(profile: ForceProfile, rng: np.random.Generator) -> np.ndarray:
    """Expected street crimes by month (burn-in included) x type, before any target."""
    cols = []
    for t in CRIME_TYPES:
        levels = {fy: float(v) for fy, v in profile.crime_fy_totals[t].items()}
        base = model_months(levels, profile.crime_models[t].season, 0.0, rng)
        # Noise roughly Poisson-sized for small categories, a few per cent for large ones.
        sd = np.sqrt(1.0 / base + 0.035**2)
        cols.append(base * np.exp(rng.normal(0.0, 1.0, size=len(base)) * sd))
    return np.stack(cols, axis=1)


def burn_in_counts(profile: ForceProfile) -> np.ndarray:
    """Crimes in the BURN_IN_MONTHS before April 2016 (outcomes only); shape (BURN_IN, 13)."""
    rng = rng_for(profile, S_CRIME_MODEL + 100)
    expected = model_expected_crime(profile, rng)[:BURN_IN_MONTHS]
    return rng.poisson(expected * 0.97).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Places: a gazetteer of snap points (data.police.uk reports crimes "on or near" a point).
# ---------------------------------------------------------------------------------------------


@dataclass
class Gazetteer:
    table: pl.DataFrame  # Longitude, Latitude, Location, LSOA code, LSOA name (strings)
    lon: np.ndarray
    lat: np.ndarray
    weight: np.ndarray  # general crime weight, sums to 1
    shop_weight: np.ndarray  # shoplifting weight, sums to 1


def build_gazetteer(profile: ForceProfile) -> Gazetteer:
    rng = rng_for(profile, S_GAZETTEER)
    rows: dict[str, list] = {k: [] for k in ("lon", "lat", "loc", "code", "name", "w", "shop")}
    for d in profile.districts:
        lsoa_w = rng.lognormal(0.0, 0.7, size=d.n_lsoa)
        lsoa_w *= d.crime_share / lsoa_w.sum()
        msoa, letter = 1, 0
        for k in range(d.n_lsoa):
            if (letter >= 3 and rng.random() < 0.4) or letter >= 6:
                msoa, letter = msoa + 1, 0
            code = f"E01{d.code_start + k:06d}"
            name = f"{d.name} {msoa:03d}{chr(ord('A') + letter)}"
            letter += 1
            clon = d.lon + rng.normal(0, d.spread_lon)
            clat = d.lat + rng.normal(0, d.spread_lat)
            n_points = int(rng.integers(6, 15))
            point_w = rng.lognormal(0.0, 0.9, size=n_points)
            point_w *= lsoa_w[k] / point_w.sum()
            for p in range(n_points):
                if rng.random() < 0.12:
                    feature = FEATURES[int(rng.integers(len(FEATURES)))]
                    place = feature
                else:
                    feature = ""
                    stem = STREET_STEMS[int(rng.integers(len(STREET_STEMS)))]
                    place = f"{stem} {STREET_SUFFIXES[int(rng.integers(len(STREET_SUFFIXES)))]}"
                rows["lon"].append(clon + rng.normal(0, 0.004))
                rows["lat"].append(clat + rng.normal(0, 0.0025))
                rows["loc"].append(f"On or near {place}")
                rows["code"].append(code)
                rows["name"].append(name)
                rows["w"].append(point_w[p])
                rows["shop"].append(point_w[p] * (40.0 if feature in SHOP_FEATURES else 0.15))
    lon, lat = np.array(rows["lon"]), np.array(rows["lat"])
    table = pl.DataFrame(
        {
            "Longitude": [f"{x:.6f}" for x in lon],
            "Latitude": [f"{y:.6f}" for y in lat],
            "Location": rows["loc"],
            "LSOA code": rows["code"],
            "LSOA name": rows["name"],
        }
    )
    w, shop = np.array(rows["w"]), np.array(rows["shop"])
    return Gazetteer(table, lon, lat, w / w.sum(), shop / shop.sum())


def place_columns(gaz: Gazetteer, point: np.ndarray, no_location: str) -> pl.DataFrame:
    """Location columns for point indices (-1 = no location: empty coordinates and LSOA)."""
    located = point >= 0
    table = gaz.table[np.where(located, point, 0)].with_columns(pl.Series("_located", located))
    here = pl.col("_located")
    empty = pl.lit(None, dtype=pl.String)
    return table.select(
        pl.when(here).then(pl.col("Longitude")).otherwise(empty).alias("Longitude"),
        pl.when(here).then(pl.col("Latitude")).otherwise(empty).alias("Latitude"),
        pl.when(here).then(pl.col("Location")).otherwise(pl.lit(no_location)).alias("Location"),
        pl.when(here).then(pl.col("LSOA code")).otherwise(empty).alias("LSOA code"),
        pl.when(here).then(pl.col("LSOA name")).otherwise(empty).alias("LSOA name"),
    )


# ---------------------------------------------------------------------------------------------
# Crimes, outcomes and street rows.
# ---------------------------------------------------------------------------------------------


@dataclass
class Crimes:
    """One entry per distinct crime (burn-in months have negative month indices)."""

    month: np.ndarray
    ctype: np.ndarray
    point: np.ndarray  # -1: No Location
    crime_id: np.ndarray  # object array of 64-hex strings


def crime_ids(slug: str, month: np.ndarray) -> np.ndarray:
    keys = (f"{slug}|{month_label(int(m))}|{k}" for k, m in enumerate(month))
    return np.array([hashlib.sha256(k.encode()).hexdigest() for k in keys], dtype=object)


def simulate_crimes(profile: ForceProfile, counts: np.ndarray, gaz: Gazetteer) -> Crimes:
    rng = rng_for(profile, S_CRIMES)
    full = np.concatenate([burn_in_counts(profile), counts])
    months = np.arange(-BURN_IN_MONTHS, N_MONTHS)
    month = np.repeat(np.repeat(months, len(CRIME_TYPES)), full.ravel())
    ctype = np.repeat(np.tile(np.arange(len(CRIME_TYPES)), len(months)), full.ravel())
    point = np.empty(len(month), dtype=np.int64)
    n_points = len(gaz.weight)
    for k, name in enumerate(CRIME_TYPES):
        sel = ctype == k
        p = gaz.shop_weight if name == "Shoplifting" else gaz.weight
        point[sel] = rng.choice(n_points, size=int(sel.sum()), p=p)
        nowhere = rng.random(int(sel.sum())) < profile.crime_models[name].p_no_location
        point[np.flatnonzero(sel)[nowhere]] = -1
    return Crimes(month, ctype, point, crime_ids(profile.slug, month))


@dataclass
class Outcomes:
    """At most one outcome per crime: month index (-1 none/unpublished) and outcome type."""

    month: np.ndarray
    otype: np.ndarray  # index into OUTCOME_TYPES, -1 when none


LAG_PROBS = np.array([0.34, 0.26, 0.15, 0.10, 0.07, 0.05, 0.03])


def draw_from(rng: np.random.Generator, probs: Sequence[float], size: int) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def positive_type(rng: np.random.Generator, crime_type: str, size: int) -> np.ndarray:
    mix = POSITIVE_MIX.get(crime_type, POSITIVE_MIX["general"])
    return draw_from(rng, mix, size)


def negative_type(rng: np.random.Generator, crime_type: str, size: int) -> np.ndarray:
    mix = NEGATIVE_MIX["people" if crime_type in PEOPLE_CRIME else "volume"]
    return len(POSITIVE_OUTCOMES) + draw_from(rng, mix, size)


def simulate_outcomes(profile: ForceProfile, crimes: Crimes) -> Outcomes:
    rng = rng_for(profile, S_OUTCOMES)
    n = len(crimes.month)
    p_out = np.array([profile.crime_models[t].p_outcome for t in CRIME_TYPES])[crimes.ctype]
    p_pos = np.array([profile.crime_models[t].p_positive for t in CRIME_TYPES])[crimes.ctype]
    has = rng.random(n) < p_out
    lag = draw_from(rng, LAG_PROBS, n)
    month = np.where(has, crimes.month + lag, -1)
    month[(month < 0) | (month >= N_MONTHS)] = -1
    knots = [(month_index(m), f) for m, f in profile.positive_factor]
    factor = np.interp(month, [k for k, _ in knots], [f for _, f in knots])
    positive = rng.random(n) < p_pos * factor
    otype = np.full(n, -1, dtype=np.int64)
    for k, name in enumerate(CRIME_TYPES):
        for pos in (True, False):
            sel = np.flatnonzero((month >= 0) & (crimes.ctype == k) & (positive == pos))
            draw = positive_type if pos else negative_type
            otype[sel] = draw(rng, name, len(sel))
    for first, last, target in profile.positive_anchors:
        hit_positive_target(rng, crimes, month, otype, month_span(first, last), target)
    return Outcomes(month, otype)


def hit_positive_target(
    rng: np.random.Generator,
    crimes: Crimes,
    month: np.ndarray,
    otype: np.ndarray,
    span: range,
    target: int,
) -> None:
    """Switch outcome types in ``span`` between positive and not until ``target`` are positive."""
    in_span = (month >= span.start) & (month < span.stop)
    is_pos = (otype >= 0) & (otype < len(POSITIVE_OUTCOMES))
    excess = int((in_span & is_pos).sum()) - target
    pool = np.flatnonzero(in_span & (is_pos if excess > 0 else ~is_pos))
    if abs(excess) > len(pool):
        raise ValueError("positive outcome target out of reach")
    chosen = np.sort(rng.choice(pool, size=abs(excess), replace=False))
    for k, name in enumerate(CRIME_TYPES):
        sel = chosen[crimes.ctype[chosen] == k]
        draw = negative_type if excess > 0 else positive_type
        otype[sel] = draw(rng, name, len(sel))


def last_outcome_category(profile: ForceProfile, crimes: Crimes, outcomes: Outcomes) -> np.ndarray:
    """Street ``Last outcome category`` per crime, consistent with its outcome row."""
    rng = rng_for(profile, S_OUTCOMES + 100)
    n = len(crimes.month)
    cat = np.full(n, UNDER_INVESTIGATION, dtype=object)
    has = outcomes.otype >= 0
    cat[has] = np.array(OUTCOME_TYPES, dtype=object)[outcomes.otype[has]]
    charged = np.flatnonzero(outcomes.otype == OUTCOME_INDEX["Suspect charged"])
    court = np.array(list(COURT_RESULTS), dtype=object)
    result = court[draw_from(rng, list(COURT_RESULTS.values()), len(charged))]
    recent = outcomes.month[charged] >= N_MONTHS - 3
    result[recent & (rng.random(len(charged)) < 0.6)] = "Awaiting court outcome"
    cat[charged] = result
    stale = ~has & (crimes.month < N_MONTHS - 12) & (rng.random(n) < 0.25)
    cat[stale] = STATUS_UNAVAILABLE
    return cat


Copies = tuple[np.ndarray, np.ndarray]  # (index of the crime, month it reappears in)


def republish(profile: ForceProfile, crimes: Crimes) -> tuple[Crimes, Copies]:
    """Pick crimes that data.police.uk publishes again 1-2 months later.

    Each copy takes the place of a crime of the same type in the later month (that crime is
    removed), so the monthly counts by type stay exact. Returns the remaining crimes and, for
    each copy, the index of its crime (in the returned crimes) and the month it reappears in.
    """
    rng = rng_for(profile, S_CRIMES + 100)
    eligible = np.flatnonzero((crimes.month >= 0) & (crimes.month < N_MONTHS - 2))
    sources = np.sort(rng.choice(eligible, size=profile.republished_ids, replace=False))
    months, drop = [], []
    for src in sources:
        to = crimes.month[src] + int(rng.integers(1, 3))
        same = np.flatnonzero((crimes.month == to) & (crimes.ctype == crimes.ctype[src]))
        same = np.setdiff1d(same, np.concatenate([sources, drop]).astype(np.int64))
        drop.append(int(same[int(rng.integers(len(same)))]))
        months.append(to)
    keep = np.setdiff1d(np.arange(len(crimes.month)), drop)
    kept = Crimes(crimes.month[keep], crimes.ctype[keep], crimes.point[keep], crimes.crime_id[keep])
    return kept, (np.searchsorted(keep, sources), np.array(months, dtype=np.int64))


def street_rows(
    profile: ForceProfile,
    crimes: Crimes,
    category: np.ndarray,
    copies: Copies,
    asb: np.ndarray,
    gaz: Gazetteer,
) -> pl.DataFrame:
    """All street rows (crimes, republished crimes and ASB), in data.police.uk order."""
    rng = rng_for(profile, S_ASB)
    copy_of, copy_month = copies
    published = np.flatnonzero(crimes.month >= 0)
    rows = np.concatenate([published, copy_of])
    row_month = np.concatenate([crimes.month[published], copy_month])
    row_cat = category[rows].copy()
    # The earlier publication of a republished crime often still shows an older status.
    earlier = np.flatnonzero(np.isin(published, copy_of))
    row_cat[earlier[rng.random(len(earlier)) < 0.6]] = UNDER_INVESTIGATION

    asb_month = np.repeat(np.arange(N_MONTHS), asb)
    asb_point = rng.choice(len(gaz.weight), size=len(asb_month), p=gaz.weight)
    # Exact duplicates: several reports of the same kind of incident at the same place.
    dup = np.flatnonzero(rng.random(len(asb_point)) < profile.asb_duplicate_share)
    dup = dup[(dup > 0) & (asb_month[dup] == asb_month[np.maximum(dup - 1, 0)])]
    for i in dup:  # sequential, so that runs of duplicates share one point
        asb_point[i] = asb_point[i - 1]

    n_asb = len(asb_month)
    month = np.concatenate([row_month, asb_month])
    point = np.concatenate([crimes.point[rows], asb_point])
    df = pl.DataFrame(
        {
            "Crime ID": np.concatenate([crimes.crime_id[rows], np.full(n_asb, None)]),
            "Month": [month_label(int(m)) for m in month],
            "Reported by": profile.police_uk_name,
            "Falls within": profile.police_uk_name,
        },
        schema={c: pl.String for c in STREET_HEADER[:4]},
    )
    types = np.array(CRIME_TYPES, dtype=object)[crimes.ctype[rows]]
    df = pl.concat([df, place_columns(gaz, point, "No Location")], how="horizontal")
    df = df.with_columns(
        pl.Series("Crime type", np.concatenate([types, np.full(n_asb, ASB)]), dtype=pl.String),
        pl.Series(
            "Last outcome category",
            np.concatenate([row_cat, np.full(n_asb, None)]),
            dtype=pl.String,
        ),
        pl.lit(None, dtype=pl.String).alias("Context"),
        pl.Series("_month", month),
        pl.Series("_point", np.where(point >= 0, point, len(gaz.weight))),
        pl.Series("_order", np.arange(len(month))),
    )
    # Points are numbered in LSOA-name order, so this sorts by LSOA then place, with the
    # No Location rows last (by crime type), as data.police.uk files are.
    return df.sort(["_month", "_point", "Crime type", "_order"]).select(*STREET_HEADER, "_month")


def outcome_rows(
    profile: ForceProfile, crimes: Crimes, outcomes: Outcomes, gaz: Gazetteer
) -> pl.DataFrame:
    sel = np.flatnonzero(outcomes.otype >= 0)
    df = pl.DataFrame(
        {
            "Crime ID": crimes.crime_id[sel],
            "Month": [month_label(int(m)) for m in outcomes.month[sel]],
            "Reported by": profile.police_uk_name,
            "Falls within": profile.police_uk_name,
        },
        schema={c: pl.String for c in OUTCOMES_HEADER[:4]},
    )
    df = pl.concat([df, place_columns(gaz, crimes.point[sel], "No location")], how="horizontal")
    return (
        df.with_columns(
            pl.Series(
                "Outcome type",
                np.array(OUTCOME_TYPES, dtype=object)[outcomes.otype[sel]],
                dtype=pl.String,
            ),
            pl.Series("_month", outcomes.month[sel]),
            pl.Series("_crime_month", crimes.month[sel]),
        )
        .sort(["_month", "_crime_month", "Crime ID"])
        .select(*OUTCOMES_HEADER, "_month")
    )


# ---------------------------------------------------------------------------------------------
# Stop and search.
# ---------------------------------------------------------------------------------------------

SS_TYPES = {"Person search": 0.78, "Person and Vehicle search": 0.21, "Vehicle search": 0.01}
SS_GENDER = {"Male": 0.88, "Female": 0.11, "Other": 0.002, None: 0.008}
SS_AGE = {
    "18-24": 0.42,
    "25-34": 0.21,
    "10-17": 0.18,
    "over 34": 0.14,
    "under 10": 0.002,
    None: 0.048,
}
SS_ETHNICITY = {  # self-defined -> (share, officer-defined)
    "White - English/Welsh/Scottish/Northern Irish/British": (0.48, "White"),
    "White - Any other White background": (0.06, "White"),
    "White - Irish": (0.005, "White"),
    "Other ethnic group - Not stated": (0.16, None),
    "Asian/Asian British - Indian": (0.07, "Asian"),
    "Asian/Asian British - Any other Asian background": (0.05, "Asian"),
    "Asian/Asian British - Pakistani": (0.015, "Asian"),
    "Asian/Asian British - Bangladeshi": (0.008, "Asian"),
    "Black/African/Caribbean/Black British - African": (0.045, "Black"),
    "Black/African/Caribbean/Black British - Caribbean": (0.035, "Black"),
    "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background": (0.02, "Black"),  # noqa: E501
    "Mixed/Multiple ethnic groups - White and Black Caribbean": (0.012, "Black"),
    "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background": (0.007, "Other"),
    "Mixed/Multiple ethnic groups - White and Black African": (0.003, "Black"),
    "Other ethnic group - Any other ethnic group": (0.005, "Other"),
    None: (0.02, None),
}  # fmt: skip
SS_OFFICER_ETHNICITY = {"White": 0.64, "Asian": 0.21, "Black": 0.14, "Other": 0.01}
SS_OBJECTS = {  # object -> (share, legislation)
    "Controlled drugs": (0.66, "Misuse of Drugs Act 1971 (section 23)"),
    "Offensive weapons": (0.11, "Police and Criminal Evidence Act 1984 (section 1)"),
    "Article for use in theft": (0.10, "Police and Criminal Evidence Act 1984 (section 1)"),
    "Stolen goods": (0.08, "Police and Criminal Evidence Act 1984 (section 1)"),
    "Articles for use in criminal damage": (0.02, "Police and Criminal Evidence Act 1984 (section 1)"),  # noqa: E501
    "Firearms": (0.01, "Firearms Act 1968 (section 47)"),
    "Psychoactive substances": (0.005, "Psychoactive Substances Act 2016 (s36(2))"),
    "Evidence of offences under the Act": (0.015, "Misuse of Drugs Act 1971 (section 23)"),
}  # fmt: skip
SS_OUTCOMES = {
    "A no further action disposal": 0.645,
    "Arrest": 0.16,
    "Community resolution": 0.11,
    "Khat or Cannabis warning": 0.03,
    "Summons / charged by post": 0.02,
    "Caution (simple or conditional)": 0.008,
    "Penalty Notice for Disorder": 0.007,
    None: 0.02,
}
SS_HOUR_WEIGHTS = np.array(
    [4, 3, 2.5, 2, 1.5, 1, 1, 1.2, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7, 6.5, 6, 5]
)


def _draw_labels(rng: np.random.Generator, mix: dict, size: int) -> np.ndarray:
    labels = np.array(list(mix), dtype=object)
    probs = [v[0] if isinstance(v, tuple) else v for v in mix.values()]
    return labels[draw_from(rng, probs, size)]


def _group_sizes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Split ``n`` searches into encounters (several people searched together share a row)."""
    sizes = draw_from(rng, [0.96, 0.03, 0.01], n) + 1
    cut = int(np.searchsorted(np.cumsum(sizes), n))
    sizes = sizes[: cut + 1]
    sizes[-1] -= int(sizes.sum()) - n
    return sizes


def stop_search_rows(profile: ForceProfile, gaz: Gazetteer) -> pl.DataFrame:
    rng = rng_for(profile, S_STOP_SEARCH)
    per_month = series_counts(profile, profile.stop_search, rng)
    frames = []
    for m in range(N_MONTHS):
        sizes = _group_sizes(rng, int(per_month[m]))
        frames.append(stop_search_month(profile, rng, gaz, m, sizes))
    return pl.concat(frames)


def stop_search_month(
    profile: ForceProfile,
    rng: np.random.Generator,
    gaz: Gazetteer,
    m: int,
    sizes: np.ndarray,
) -> pl.DataFrame:
    """One month's searches: encounter-level fields drawn once, then repeated per person."""
    g = len(sizes)
    day = rng.integers(0, days_in_month(m), size=g)
    minute = draw_from(rng, SS_HOUR_WEIGHTS, g) * 60 + rng.integers(0, 60, size=g)
    stamp = np.sort(day * 1440 + minute)
    base = np.datetime64(f"{month_label(m)}-01T00:00")
    dates = [f"{t}:00+00:00" for t in (base + stamp.astype("timedelta64[m]")).astype(str)]

    objects = _draw_labels(rng, SS_OBJECTS, g)
    anchor = profile.stop_search_object_anchors.get(month_label(m))
    if anchor is not None:
        objects = _objects_with_exact_rows(rng, anchor, sizes)
    legislation = np.array([SS_OBJECTS[o][1] for o in objects], dtype=object)

    stype = _draw_labels(rng, SS_TYPES, g)
    person = stype != "Vehicle search"
    self_eth = _draw_labels(rng, SS_ETHNICITY, g)
    officer = np.array([SS_ETHNICITY[e][1] for e in self_eth], dtype=object)
    unknown = np.array([o is None for o in officer]) & (rng.random(g) < 0.9)
    officer[unknown] = _draw_labels(rng, SS_OFFICER_ETHNICITY, int(unknown.sum()))
    outcome = _draw_labels(rng, SS_OUTCOMES, g)
    nfa = np.array([o in (None, "A no further action disposal") for o in outcome])
    linked = np.full(g, None, dtype=object)
    filled = rng.random(g) < 0.3
    linked[filled & ~nfa] = np.where(rng.random(int((filled & ~nfa).sum())) < 0.6, "True", "False")
    linked[filled & nfa] = "False"
    removal = np.where(rng.random(g) < 0.015, "True", "False").astype(object)
    removal[rng.random(g) < 0.03] = None
    operation = np.where(rng.random(g) < 0.08, "True", "False").astype(object)
    operation[rng.random(g) < 0.7] = None

    located = rng.random(g) < 0.75
    point = rng.choice(len(gaz.weight), size=g, p=gaz.weight)
    lat = np.where(located, gaz.lat[point] + rng.normal(0, 0.0008, g), np.nan)
    lon = np.where(located, gaz.lon[point] + rng.normal(0, 0.0012, g), np.nan)

    def text(v: np.ndarray, keep: np.ndarray | None = None) -> list:
        return [x if keep is None or keep[k] else None for k, x in enumerate(v)]

    encounters = pl.DataFrame(
        {
            "Type": text(stype),
            "Date": dates,
            "Part of a policing operation": text(operation),
            "Policing operation": [None] * g,
            "Latitude": [None if np.isnan(x) else f"{x:.6f}" for x in lat],
            "Longitude": [None if np.isnan(x) else f"{x:.6f}" for x in lon],
            "Gender": text(_draw_labels(rng, SS_GENDER, g), person),
            "Age range": text(_draw_labels(rng, SS_AGE, g), person),
            "Self-defined ethnicity": text(self_eth, person),
            "Officer-defined ethnicity": text(officer, person),
            "Legislation": text(legislation),
            "Object of search": text(objects),
            "Outcome": text(outcome),
            "Outcome linked to object of search": text(linked),
            "Removal of more than just outer clothing": text(removal),
        },
        schema={c: pl.String for c in STOP_SEARCH_HEADER},
    )
    return encounters[np.repeat(np.arange(g), sizes)].with_columns(pl.lit(m).alias("_month"))


def _objects_with_exact_rows(
    rng: np.random.Generator, anchor: tuple[str, int], sizes: np.ndarray
) -> np.ndarray:
    """Objects per encounter such that exactly ``anchor[1]`` rows search for ``anchor[0]``."""
    target_object, target_rows = anchor
    others = {k: v for k, v in SS_OBJECTS.items() if k != target_object}
    objects = _draw_labels(rng, others, len(sizes))
    need = target_rows
    for k in rng.permutation(len(sizes)):  # greedy; single-person encounters fill the rest
        if sizes[k] <= need:
            objects[k] = target_object
            need -= int(sizes[k])
        if need == 0:
            break
    if need:
        raise ValueError(f"cannot place {target_rows} {target_object} searches")
    return objects


# ---------------------------------------------------------------------------------------------
# Counts (force, month, measure, value).
# ---------------------------------------------------------------------------------------------


def counts_tables(
    profile: ForceProfile,
    files: dict[str, dict[str, Series]] | None = None,
    stream: int = S_COUNTS,
) -> dict[str, pl.DataFrame]:
    """One table per counts file: ``profile.counts`` by default, or ``files``."""
    rng = rng_for(profile, stream)
    tables = {}
    for stem, measures in (profile.counts if files is None else files).items():
        values: dict[str, np.ndarray] = {}
        for measure, spec in measures.items():
            values[measure] = series_counts(profile, spec, rng)
        for total, parts in profile.counts_sums.get(stem, {}).items():
            values = {total: sum(values[p] for p in parts), **values}
        months = [month_label(m) for m in range(N_MONTHS)]
        tables[stem] = pl.DataFrame(
            {
                "force": profile.counts_name,
                "month": np.repeat(months, len(values)),
                "measure": np.tile(list(values), N_MONTHS),
                "value": np.stack(list(values.values()), axis=1).ravel(),
            },
            schema=dict(zip(COUNTS_HEADER, COUNTS_DTYPES, strict=True)),
        )
    return tables


# ---------------------------------------------------------------------------------------------
# Survey (force, period, measure, respondents, positive).
# ---------------------------------------------------------------------------------------------

SURVEY_HEADER = ("force", "period", "measure", "respondents", "positive")


def quarter_label(fy: int, q: int) -> str:
    """``2018/19 Q2`` for financial year ``fy`` (start year), quarter ``q`` (1..4)."""
    return f"{fy}/{(fy + 1) % 100:02d} Q{q}"


def survey_table(profile: ForceProfile) -> pl.DataFrame:
    """Quarterly survey rows for every quarter of the sample years (period-major order)."""
    rng = rng_for(profile, S_SURVEY)
    years = sorted({fy_start_of(i) for i in range(N_MONTHS)})
    quarters = [(fy, q) for fy in years for q in (1, 2, 3, 4)]
    mid = np.array([k * 4 + 1.5 for k in range(len(years))])
    values: dict[str, list[tuple[int, int]]] = {}
    for measure, spec in profile.survey.items():
        level = np.interp(np.arange(len(quarters)), mid, [spec.fy_levels[y] for y in years])
        share = np.clip(level + rng.normal(0.0, spec.noise, len(quarters)), *spec.bounds)
        asked = np.rint(spec.respondents * np.exp(rng.normal(0.0, 0.06, len(quarters))))
        rows = [(int(n), int(np.rint(n * p))) for n, p in zip(asked, share, strict=True)]
        for period, n, positive in spec.anchors:
            rows[[quarter_label(*fq) for fq in quarters].index(period)] = (n, positive)
        values[measure] = rows
    records = [
        (profile.counts_name, quarter_label(fy, q), measure, *values[measure][k])
        for k, (fy, q) in enumerate(quarters)
        for measure in profile.survey
    ]
    schema = dict(zip(SURVEY_HEADER, (pl.String,) * 3 + (pl.Int64,) * 2, strict=True))
    return pl.DataFrame(records, schema=schema, orient="row")


# ---------------------------------------------------------------------------------------------
# Home Office police recorded crime, Police Force Area open data table (all forces).
# ---------------------------------------------------------------------------------------------

PRC_HEADER = (
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Number of Offences",
)
PRC_YEARS = (2016, 2017, 2018)  # financial years 2016/17 .. 2018/19
NATIONAL_SEED = 20170401
# Random streams of the national table.
N_MIX, N_RANKS, N_GROWTH, N_QUARTERS, N_CODES, N_NEGATIVES, N_FRAUD = range(7)

VAP = "Violence against the person"
SEXUAL = "Sexual offences"
THEFT = "Theft offences"
CDA = "Criminal damage and arson"
DRUG_OFFENCES = "Drug offences"
WEAPONS = "Possession of weapons offences"
PUBLIC_ORDER = "Public order offences"
MISC = "Miscellaneous crimes"

Code = tuple[str, str, float]  # (offence code, description, weight within the subgroup)


@dataclass(frozen=True)
class Subgroup:
    """A Home Office offence subgroup and how the sample models it."""

    name: str
    group: str
    street_type: str  # the data.police.uk crime type it is published under
    share: float  # share of recorded crime (excluding fraud) in England and Wales, 2017/18
    season: Season
    urban: float  # slope of log share on a force's urban index (-1 rural .. 1 urban)
    growth: tuple[float, float]  # 2016/17 -> 2017/18 and 2017/18 -> 2018/19 multipliers
    codes: tuple[Code, ...]  # from 2017/18
    codes_2016: tuple[Code, ...] = ()  # 2016/17, where the classification differed


VSO = "Violence and sexual offences"
# Vocabulary (codes, descriptions, groups, subgroups) as in the Home Office table; a subset of
# the 132 codes. Burglary was reclassified in April 2017: the dwelling / building-other-than-
# a-dwelling codes became "(outcome only)" (always zero) and residential / business and
# community codes took over.
PRC_SUBGROUPS = (
    Subgroup("Homicide", VAP, VSO, 0.00015, SEASON_VIOLENCE, 0.3, (1.0, 1.01),
             (("1/4.1/4.10/4.2", "Homicide", 1.0),)),
    Subgroup("Violence with injury", VAP, VSO, 0.108, SEASON_VIOLENCE, 0.1, (1.14, 1.06), (
        ("8N", "Assault with injury", 0.9),
        ("5D", "Assault with intent to cause serious harm", 0.058),
        ("8S", "Assault with injury on a constable", 0.016),
        ("2", "Attempted murder", 0.0026),
    )),
    Subgroup("Violence without injury", VAP, VSO, 0.122, SEASON_VIOLENCE, 0.0, (1.22, 1.17), (
        ("105A", "Assault without injury", 0.87),
        ("3B", "Threats to kill", 0.046),
        ("104", "Assault without injury on a constable", 0.031),
    )),
    Subgroup("Stalking and harassment", VAP, VSO, 0.061, SEASON_VIOLENCE, -0.1, (1.3, 1.31), (
        ("8R", "Malicious Communications", 0.54),
        ("8L", "Harassment", 0.42),
        ("8Q", "Stalking", 0.035),
    )),
    Subgroup("Rape offences", SEXUAL, VSO, 0.011, SEASON_VIOLENCE, 0.0, (1.22, 1.13), (
        ("19C", "Rape of a female aged 16 and over", 0.66),
        ("19D", "Rape of a female child under 16", 0.14),
        ("19E", "Rape of a female child under 13", 0.1),
        ("19F", "Rape of a male aged 16 and over", 0.045),
    )),
    Subgroup("Other sexual offences", SEXUAL, VSO, 0.02, SEASON_VIOLENCE, 0.0, (1.18, 1.11), (
        ("20A", "Sexual assault on a female aged 13 and over", 0.38),
        ("22B", "Sexual activity involving child under 16", 0.15),
        ("88E", "Exposure and voyeurism", 0.1),
    )),
    Subgroup("Robbery of business property", "Robbery", "Robbery", 0.0016, SEASON_WINTER, 0.6,
             (1.15, 1.08), (("34A", "Robbery of business property", 1.0),)),
    Subgroup("Robbery of personal property", "Robbery", "Robbery", 0.0144, SEASON_WINTER, 1.2,
             (1.25, 1.15), (("34B", "Robbery of personal property", 1.0),)),
    Subgroup("Domestic burglary", THEFT, "Burglary", 0.064, SEASON_WINTER, 0.3, (1.08, 1.0), (
        ("28E", "Burglary Residential", 0.8),
        ("28F", "Attempted Burglary Residential", 0.175),
        ("29A", "Aggravated Burglary Residential", 0.011),
        ("28A", "Burglary in a dwelling(outcome only)", 0.0),
        ("28B", "Attempted burglary in a dwelling (outcome only)", 0.0),
        ("29", "Aggravated burglary in a dwelling (outcome only)", 0.0),
    ), (
        ("28A", "Burglary in a dwelling", 0.8),
        ("28B", "Attempted burglary in a dwelling", 0.18),
        ("29", "Aggravated burglary in a dwelling", 0.011),
    )),
    Subgroup("Non-domestic burglary", THEFT, "Burglary", 0.0265, SEASON_WINTER, -0.1,
             (1.06, 1.01), (
        ("30C", "Burglary Business and Community", 0.85),
        ("30D", "Attempted Burglary Business and Community", 0.14),
        ("30A", "Burglary in a building other than a dwelling (outcome only)", 0.0),
        ("30B", "Attempted burglary in a building other than a dwelling (outcome only)", 0.0),
    ), (
        ("30A", "Burglary in a building other than a dwelling", 0.85),
        ("30B", "Attempted burglary in a building other than a dwelling", 0.15),
    )),
    Subgroup("Theft of a motor vehicle", THEFT, "Vehicle crime", 0.023, SEASON_WINTER, 0.4,
             (1.12, 1.11), (
        ("48", "Theft or unauthorised taking of motor vehicle", 0.95),
        ("37.2", "Aggravated vehicle taking", 0.05),
    )),
    Subgroup("Theft from a vehicle", THEFT, "Vehicle crime", 0.058, SEASON_WINTER, 0.3,
             (1.1, 1.06), (("45", "Theft from vehicle", 1.0),)),
    Subgroup("Vehicle interference", THEFT, "Vehicle crime", 0.0135, SEASON_WINTER, 0.2,
             (1.05, 1.07), (("126", "Interfering with a motor vehicle", 1.0),)),
    Subgroup("Bicycle theft", THEFT, "Bicycle theft", 0.021, SEASON_SUMMER, 0.3, (1.02, 1.0),
             (("44", "Theft or unauthorised taking of a pedal cycle", 1.0),)),
    Subgroup("Shoplifting", THEFT, "Shoplifting", 0.079, SEASON_SHOP, 0.0, (1.05, 1.05),
             (("46", "Shoplifting", 1.0),)),
    Subgroup("Theft from the person", THEFT, "Theft from the person", 0.021, SEASON_CRIME, 1.2,
             (1.15, 1.13), (("39", "Theft from the person", 1.0),)),
    Subgroup("Other theft offences", THEFT, "Other theft", 0.111, SEASON_CRIME, 0.1, (1.07, 1.05), (
        ("49", "Other theft", 0.68),
        ("49A", "Making off without payment", 0.16),
        ("40", "Theft in a dwelling other than from an automatic machine or meter", 0.1),
    )),
    Subgroup("Criminal damage", CDA, "Criminal damage and arson", 0.117, SEASON_DAMAGE, 0.0,
             (1.05, 1.03), (
        ("58C", "Criminal damage to a vehicle", 0.41),
        ("58A", "Criminal damage to a dwelling", 0.25),
        ("58D", "Other criminal damage", 0.24),
        ("58B", "Criminal damage to a building other than a dwelling", 0.095),
    )),
    Subgroup("Arson", CDA, "Criminal damage and arson", 0.0056, SEASON_DAMAGE, 0.0, (1.08, 1.06), (
        ("56B", "Arson not endangering life", 0.85),
        ("56A", "Arson endangering life", 0.15),
    )),
    Subgroup("Possession of drugs", DRUG_OFFENCES, "Drugs", 0.023, FLAT, 0.3, (0.95, 1.0), (
        ("92E", "Possession of controlled drugs (Cannabis)", 0.75),
        ("92D", "Possession of controlled drugs (excl. Cannabis)", 0.25),
    )),
    Subgroup("Trafficking of drugs", DRUG_OFFENCES, "Drugs", 0.0055, FLAT, 0.2, (1.05, 1.11),
             (("92A", "Trafficking in controlled drugs", 1.0),)),
    Subgroup("Possession of weapons offences", WEAPONS, "Possession of weapons", 0.008, FLAT,
             0.5, (1.25, 1.13), (
        ("10D", "Possession of article with blade or point", 0.47),
        ("10C", "Possession of other weapons", 0.35),
        ("10A", "Possession of firearms with intent", 0.06),
    )),
    Subgroup("Public order offences", PUBLIC_ORDER, "Public order", 0.08, SEASON_VIOLENCE, 0.1,
             (1.35, 1.21), (
        ("9A", "Public fear, alarm or distress", 0.74),
        ("66", "Other offences against the State or public order", 0.15),
        ("9B", "Racially or religiously aggravated public fear, alarm or distress", 0.107),
    )),
    Subgroup("Miscellaneous crimes", MISC, "Other crime", 0.019, SEASON_CRIME, 0.1, (1.15, 1.09), (
        ("59", "Threat or possession with intent to commit criminal damage", 0.29),
        ("86", "Obscene publications etc", 0.25),
        ("99", "Other notifiable offences", 0.07),
        ("802", "Dangerous driving", 0.06),
        ("26", "Bigamy", 0.0008),
    )),
)  # fmt: skip
SUBGROUP_INDEX = {s.name: k for k, s in enumerate(PRC_SUBGROUPS)}

# The categories of the seed 003 table, as Home Office subgroups.
RANKED_CATEGORIES = {
    "Violence with Injury": ("Violence with injury",),
    "Violence without Injury": ("Violence without injury",),
    "Rape": ("Rape offences",),
    "Burglary": ("Domestic burglary", "Non-domestic burglary"),
    "Robbery Personal": ("Robbery of personal property",),
    "Theft of Motor Vehicle": ("Theft of a motor vehicle",),
    "Theft from Motor Vehicle": ("Theft from a vehicle",),
    "Theft Cycle": ("Bicycle theft",),
    "Shoplifting": ("Shoplifting",),
    "Criminal Damage": ("Criminal damage", "Arson"),
    "Drug Offences": ("Possession of drugs", "Trafficking of drugs"),
    "Possession of Weapons": ("Possession of weapons offences",),
    "Public Order": ("Public order offences",),
}

# Mix multipliers for the forces whose crime is unlike anyone's.
CITY_MIX = {
    "Domestic burglary": 0.05, "Non-domestic burglary": 2.0, "Vehicle interference": 0.3,
    "Theft of a motor vehicle": 0.2, "Theft from a vehicle": 0.4, "Bicycle theft": 2.0,
    "Shoplifting": 1.5, "Theft from the person": 6.0, "Other theft offences": 2.0,
    "Violence with injury": 0.7, "Violence without injury": 0.8, "Stalking and harassment": 0.3,
    "Rape offences": 0.4, "Criminal damage": 0.4, "Arson": 0.1, "Possession of drugs": 1.3,
    "Public order offences": 1.2, "Miscellaneous crimes": 1.5,
}  # fmt: skip
BTP_MIX = {
    "Homicide": 0.05, "Violence with injury": 0.6, "Violence without injury": 1.2,
    "Stalking and harassment": 0.2, "Rape offences": 0.1, "Robbery of business property": 0.2,
    "Robbery of personal property": 1.2, "Domestic burglary": 0.005, "Non-domestic burglary": 0.3,
    "Theft of a motor vehicle": 0.05, "Theft from a vehicle": 0.2, "Vehicle interference": 0.1,
    "Bicycle theft": 2.5, "Shoplifting": 0.3, "Theft from the person": 4.0,
    "Other theft offences": 2.5, "Criminal damage": 0.8, "Arson": 0.2, "Possession of drugs": 1.5,
    "Trafficking of drugs": 1.2, "Public order offences": 1.5, "Miscellaneous crimes": 1.2,
}  # fmt: skip
BTP_NAME = "British Transport Police"
BTP_TOTAL_2017 = 60_800


@dataclass(frozen=True)
class Pfa:
    """A territorial police force area: names, population model and crime level."""

    ho_name: str  # Home Office "Force Name"
    ons_name: str  # population column
    population_2017: int  # mid-2017
    growth: float  # yearly population growth
    rate_2017: float  # 2017/18 crime (excluding fraud) per 1,000; 0 for a force built from street
    urban: float  # -1 rural .. 1 urban
    population: tuple[tuple[int, int], ...] = ()  # explicit (year, population) instead


# Sample values (not ONS or Home Office figures), in the usual regional order. The crime rates
# put Leicestershire (75.4 per 1,000 in 2017/18) 22nd of 43 and 5th of its MSG of 8.
PFAS = (
    Pfa("Cleveland", "Cleveland", 566_700, 0.002, 113.0, 0.5),
    Pfa("Durham", "Durham", 629_400, 0.003, 86.0, 0.0),
    Pfa("Northumbria", "Northumbria", 1_463_000, 0.004, 84.0, 0.5),
    Pfa("Cheshire", "Cheshire", 1_056_000, 0.005, 80.0, 0.0),
    Pfa("Cumbria", "Cumbria", 498_000, 0.0, 70.0, -0.6),
    Pfa("Greater Manchester", "Greater Manchester", 2_798_800, 0.007, 112.0, 0.85),
    Pfa("Lancashire", "Lancashire", 1_490_800, 0.004, 92.0, 0.2),
    Pfa("Merseyside", "Merseyside", 1_416_800, 0.005, 88.0, 0.7),
    Pfa("Humberside", "Humberside", 927_600, 0.003, 95.0, 0.2),
    Pfa("North Yorkshire", "North Yorkshire", 818_000, 0.004, 56.0, -0.7),
    Pfa("South Yorkshire", "South Yorkshire", 1_399_000, 0.005, 98.0, 0.5),
    Pfa("West Yorkshire", "West Yorkshire", 2_320_200, 0.006, 118.0, 0.7),
    Pfa("Derbyshire", "Derbyshire", 1_044_400, 0.005, 71.0, 0.0),
    Pfa("Leicestershire", "Leicestershire", 1_086_000, 0.0066, 0.0, 0.3,
        ((2015, 1_071_700), (2016, 1_079_100), (2017, 1_086_000), (2018, 1_093_200),
         (2019, 1_100_300))),
    Pfa("Lincolnshire", "Lincolnshire", 751_200, 0.006, 68.0, -0.5),
    Pfa("Northamptonshire", "Northamptonshire", 741_200, 0.009, 82.0, 0.1),
    Pfa("Nottinghamshire", "Nottinghamshire", 1_154_000, 0.006, 78.0, 0.3),
    Pfa("Staffordshire", "Staffordshire", 1_126_000, 0.006, 74.0, 0.0),
    Pfa("Warwickshire", "Warwickshire", 563_000, 0.009, 67.0, -0.2),
    Pfa("West Mercia", "West Mercia", 1_280_000, 0.005, 69.0, -0.4),
    Pfa("West Midlands", "West Midlands", 2_897_300, 0.008, 97.0, 0.9),
    Pfa("Bedfordshire", "Bedfordshire", 666_000, 0.008, 72.0, 0.3),
    Pfa("Cambridgeshire", "Cambridgeshire", 847_000, 0.009, 77.0, 0.0),
    Pfa("Essex", "Essex", 1_820_000, 0.008, 73.5, 0.1),
    Pfa("Hertfordshire", "Hertfordshire", 1_180_000, 0.008, 70.5, 0.1),
    Pfa("Norfolk", "Norfolk", 899_000, 0.007, 66.0, -0.4),
    Pfa("Suffolk", "Suffolk", 757_000, 0.006, 65.5, -0.4),
    Pfa("London, City of", "City of London", 8_700, 0.02, 700.0, 1.0,
        ((2015, 8_100), (2016, 8_400), (2017, 8_700), (2018, 8_800), (2019, 9_000))),
    Pfa("Metropolitan Police", "Metropolitan Police", 8_825_000, 0.009, 102.0, 1.0),
    Pfa("Hampshire", "Hampshire", 1_975_000, 0.006, 81.0, 0.1),
    Pfa("Kent", "Kent", 1_840_000, 0.009, 96.0, 0.1),
    Pfa("Surrey", "Surrey", 1_186_000, 0.006, 61.0, 0.0),
    Pfa("Sussex", "Sussex", 1_696_000, 0.007, 67.0, 0.1),
    Pfa("Thames Valley", "Thames Valley", 2_395_000, 0.007, 72.5, 0.1),
    Pfa("Avon and Somerset", "Avon and Somerset", 1_670_000, 0.008, 84.0, 0.3),
    Pfa("Devon and Cornwall", "Devon and Cornwall", 1_750_000, 0.007, 62.0, -0.5),
    Pfa("Dorset", "Dorset", 770_000, 0.006, 68.0, -0.2),
    Pfa("Gloucestershire", "Gloucestershire", 630_000, 0.007, 66.5, -0.2),
    Pfa("Wiltshire", "Wiltshire", 712_000, 0.007, 60.0, -0.3),
    Pfa("Dyfed-Powys", "Dyfed-Powys", 515_000, 0.002, 52.0, -0.9),
    Pfa("Gwent", "Gwent", 590_000, 0.004, 90.0, 0.1),
    Pfa("North Wales", "North Wales", 700_000, 0.003, 74.5, -0.5),
    Pfa("South Wales", "South Wales", 1_330_000, 0.005, 91.0, 0.3),
)  # fmt: skip
POPULATION_YEARS = (2015, 2016, 2017, 2018, 2019)

# National fraud bodies: expected offences a quarter by financial year. Financial Fraud Action
# UK became UK Finance during 2017/18 (its last quarter here is 2017/18 Q1).
FRAUD_BODIES = (
    ("Action Fraud", "AF", "Fraud offences recorded by Action Fraud", "Fraud: action fraud",
     {2016: 62_000, 2017: 69_000, 2018: 74_500}, (2016, 1), (2018, 4)),
    ("CIFAS", "CIFAS", "Fraud offences recorded by CIFAS", "Fraud: CIFAS",
     {2016: 71_000, 2017: 69_500, 2018: 73_000}, (2016, 1), (2018, 4)),
    ("Financial Fraud Action UK", "FFA UK", "Fraud offences recorded by Financial Fraud Action UK",
     "Fraud: Financial Fraud Action UK", {2016: 26_000, 2017: 25_000}, (2016, 1), (2017, 1)),
    ("UK Finance", "UK Finance", "Fraud offences recorded by UK Finance", "Fraud: UK Finance",
     {2017: 20_500, 2018: 21_500}, (2017, 2), (2018, 4)),
)  # fmt: skip
RANK_GAP = 0.02  # no force's rate within 2% of the ranked force's (ranks survive rounding)


def population_of(pfa: Pfa, year: int) -> int:
    explicit = dict(pfa.population)
    if year in explicit:
        return explicit[year]
    return round(pfa.population_2017 * (1 + pfa.growth) ** (year - 2017) / 100) * 100


def population_table() -> pl.DataFrame:
    """Mid-year populations, wide: ``year`` then one column per force (ONS-style names)."""
    data: dict[str, list[int]] = {"year": list(POPULATION_YEARS)}
    for pfa in PFAS:
        data[pfa.ons_name] = [population_of(pfa, y) for y in POPULATION_YEARS]
    return pl.DataFrame(data, schema={c: pl.Int64 for c in data})


def national_rng(stream: int) -> np.random.Generator:
    return np.random.default_rng([NATIONAL_SEED, stream])


def fy_quarter_weights(season: Season, growth: float) -> np.ndarray:
    """Share of a financial year's offences in Q1..Q4: season x days x the year's trend."""
    s = np.asarray(season, dtype=float)
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
    w = np.roll(s / s.mean() * days, -3).reshape(4, 3).sum(axis=1)  # April first
    w = w * growth ** ((np.arange(4) - 1.5) / 4)
    return w / w.sum()


def home_subgroup_quarters(profile: ForceProfile) -> np.ndarray:
    """The force's PRC offences by year x quarter x subgroup, from its street series.

    Per police.uk type and financial year, a (subgroups x quarters) table is fitted to the
    street quarter totals and the subgroup targets (fixed quarters kept), as the street
    crime counts are fitted (IPF, then rounding that keeps both margins).
    """
    prc = profile.prc
    assert prc is not None
    per_month = crime_counts(profile)
    out = np.zeros((len(PRC_YEARS), 4, len(PRC_SUBGROUPS)), dtype=np.int64)
    for t, ctype in enumerate(CRIME_TYPES):
        subs = [k for k, s in enumerate(PRC_SUBGROUPS) if s.street_type == ctype]
        for y, fy in enumerate(PRC_YEARS):
            first = month_index(f"{fy}-04")
            cols = per_month[first : first + 12, t].reshape(4, 3).sum(axis=1)
            rows = np.array([prc.subgroup_totals[PRC_SUBGROUPS[k].name][fy] for k in subs])
            if rows.sum() != cols.sum():
                raise ValueError(f"{prc.name} {fy}: subgroups of {ctype} do not sum to street")
            fixed = np.zeros((len(subs), 4), dtype=np.int64)
            for r, k in enumerate(subs):
                for q in range(4):
                    key = (PRC_SUBGROUPS[k].name, quarter_label(fy, q + 1))
                    fixed[r, q] = prc.fixed_quarters.get(key, 0)
            seasons = [fy_quarter_weights(PRC_SUBGROUPS[k].season, 1.1) for k in subs]
            seed = rows[:, None] * np.array(seasons)
            seed[fixed > 0] = 0.0
            free_rows, free_cols = rows - fixed.sum(axis=1), cols - fixed.sum(axis=0)
            fitted = ipf(seed, free_rows.astype(float), free_cols.astype(float))
            cells = round_with_margins(fitted, free_cols) + fixed
            out[y][:, subs] = cells.T
    return out


def other_forces_2017(home: ForceProfile, home_year: np.ndarray) -> dict[str, np.ndarray]:
    """Offences by subgroup in the rank year for every other force (and BTP).

    Each force gets its all-crime total (rate x population) split by the national mix,
    tilted by its urban index, with noise. For each ranked category all other forces' rates
    are scaled by one factor so the home force's national rank among non-MSG forces is
    right, then the few MSG (or non-MSG) forces on the wrong side are moved just across;
    the subgroups nobody ranks absorb the difference, so each all-crime total stays exact.
    """
    prc = home.prc
    assert prc is not None
    rng = national_rng(N_MIX)
    share = np.array([s.share for s in PRC_SUBGROUPS])
    urban = np.array([s.urban for s in PRC_SUBGROUPS])
    names = [s.name for s in PRC_SUBGROUPS]
    year = prc.rank_year
    pops = {p.ho_name: population_of(p, year) for p in PFAS}
    home_pop = pops[prc.name]
    others = [p for p in PFAS if p.ho_name != prc.name]
    totals: dict[str, int] = {}
    counts: dict[str, np.ndarray] = {}
    for p in others:
        city = p.ho_name == "London, City of"
        special = np.array([CITY_MIX.get(n, 1.0) if city else 1.0 for n in names])
        mix = share * special * np.exp(urban * p.urban + rng.normal(0.0, 0.12, len(share)))
        totals[p.ho_name] = round(p.rate_2017 * pops[p.ho_name] / 1000)
        counts[p.ho_name] = mix / mix.sum() * totals[p.ho_name]

    rng = national_rng(N_RANKS)
    ranked: list[int] = []
    for category, (msg_rank, nat_rank) in prc.ranks.items():
        subs = [SUBGROUP_INDEX[s] for s in RANKED_CATEGORIES[category]]
        ranked += subs
        home_rate = home_year[subs].sum() / home_pop * 1000
        rate = {f: counts[f][subs].sum() / pops[f] * 1000 for f in counts}
        msg = [f for f in rate if f in prc.msg]
        non = [f for f in rate if f not in prc.msg]
        below = nat_rank - msg_rank  # non-MSG forces with a lower rate
        r = sorted(rate[f] for f in non)
        if below == 0:
            scale = home_rate * 1.06 / r[0]
        elif below == len(non):
            scale = home_rate * 0.94 / r[-1]
        else:
            scale = home_rate / np.sqrt(r[below - 1] * r[below])
        new = {f: v * scale for f, v in rate.items()}
        for group, n_below in ((non, below), (msg, msg_rank - 1)):
            for i, f in enumerate(sorted(group, key=new.__getitem__)):
                if i < n_below and new[f] > home_rate * (1 - RANK_GAP):
                    new[f] = home_rate * (1 - rng.uniform(0.03, 0.12))
                elif i >= n_below and new[f] < home_rate * (1 + RANK_GAP):
                    new[f] = home_rate * (1 + rng.uniform(0.03, 0.12))
        for f in counts:
            counts[f][subs] *= new[f] / rate[f]

    free = [k for k in range(len(share)) if k not in ranked]
    out: dict[str, np.ndarray] = {}
    for f, c in counts.items():
        fixed = np.rint(c[ranked]).astype(np.int64)
        rest = totals[f] - int(fixed.sum())
        if rest < 0.12 * totals[f]:
            raise ValueError(f"{f}: ranked categories leave too little for the rest ({rest})")
        row = np.zeros(len(share), dtype=np.int64)
        row[ranked] = fixed
        row[free] = largest_remainder(rest, c[free])
        out[f] = row
    btp = share * np.array([BTP_MIX.get(n, 1.0) for n in names])
    out[BTP_NAME] = largest_remainder(BTP_TOTAL_2017, btp)
    return out


def check_ranks(home: ForceProfile, year_counts: dict[str, np.ndarray]) -> None:
    """Raise unless the home force ranks as its targets say (1 = lowest rate per 1,000)."""
    prc = home.prc
    assert prc is not None
    pops = {p.ho_name: population_of(p, prc.rank_year) for p in PFAS}
    targets = {"All crime": (prc.all_crime_rank, list(range(len(PRC_SUBGROUPS))))}
    for category, ranks in prc.ranks.items():
        targets[category] = (ranks, [SUBGROUP_INDEX[s] for s in RANKED_CATEGORIES[category]])
    for category, ((msg_rank, nat_rank), subs) in targets.items():
        rate = {f: year_counts[f][subs].sum() / pops[f] for f in pops}
        mine = rate[prc.name]
        got_nat = 1 + sum(v < mine for v in rate.values())
        got_msg = 1 + sum(rate[f] < mine for f in prc.msg)
        if (got_msg, got_nat) != (msg_rank, nat_rank):
            raise ValueError(f"{category}: ranks {got_msg}/{got_nat}, want {msg_rank}/{nat_rank}")


def prc_rows(home: ForceProfile) -> list[tuple[str, ...]]:
    """Every row of the national table (unsorted): territorial forces, BTP, fraud bodies."""
    prc = home.prc
    assert prc is not None
    home_q = home_subgroup_quarters(home)
    k_rank = PRC_YEARS.index(prc.rank_year)
    base = other_forces_2017(home, home_q[k_rank].sum(axis=0))
    check_ranks(home, {**base, prc.name: home_q[k_rank].sum(axis=0)})

    # Other years: the rank year scaled by each subgroup's national growth, with noise.
    rng = national_rng(N_GROWTH)
    yearly: dict[str, np.ndarray] = {}  # force -> years x subgroups
    back = np.array([s.growth[0] for s in PRC_SUBGROUPS])
    ahead = np.array([s.growth[1] for s in PRC_SUBGROUPS])
    for f, c in base.items():
        noise = np.exp(rng.normal(0.0, 0.04, (2, len(c))) + rng.normal(0.0, 0.03, (2, 1)))
        years = [c / back * noise[0], c.astype(float), c * ahead * noise[1]]
        yearly[f] = np.rint(np.stack(years)).astype(np.int64)

    rng_q = national_rng(N_QUARTERS)
    season = [fy_quarter_weights(s.season, s.growth[1]) for s in PRC_SUBGROUPS]
    quarters: dict[str, np.ndarray] = {prc.name: home_q}  # years x 4 x subgroups
    for f, per_year in yearly.items():
        q = np.zeros((len(PRC_YEARS), 4, len(PRC_SUBGROUPS)), dtype=np.int64)
        for y in range(len(PRC_YEARS)):
            for k in range(len(PRC_SUBGROUPS)):
                w = season[k] * np.exp(rng_q.normal(0, 0.03, 4))
                q[y, :, k] = largest_remainder(int(per_year[y, k]), w)
        quarters[f] = q

    rng_c = national_rng(N_CODES)
    rng_n = national_rng(N_NEGATIVES)
    rows: list[tuple[str, ...]] = []
    for f in sorted(quarters, key=str.lower):
        # A force's own code mix, fixed over time (recording practice differs by force).
        tilt = {s.name: np.exp(rng_c.normal(0.0, 0.15, 8)) for s in PRC_SUBGROUPS}
        for y, fy in enumerate(PRC_YEARS):
            fy_text = f"{fy}/{(fy + 1) % 100:02d}"
            for q in range(4):
                values: list[tuple[Subgroup, Code, int]] = []
                for k, s in enumerate(PRC_SUBGROUPS):
                    codes = s.codes_2016 if fy == 2016 and s.codes_2016 else s.codes
                    w = np.array([c[2] for c in codes]) * tilt[s.name][: len(codes)]
                    n = rng_c.multinomial(int(quarters[f][y, q, k]), w / w.sum())
                    values += [(s, c, int(v)) for c, v in zip(codes, n, strict=True)]
                if f != prc.name and f != BTP_NAME:
                    values = _adjustment(rng_n, values, fy)
                rows += [
                    (fy_text, str(q + 1), f, c[1], s.group, s.name, c[0], accounting(v))
                    for s, c, v in values
                ]
    rows += fraud_rows()
    return rows


def _adjustment(
    rng: np.random.Generator, values: list[tuple[Subgroup, Code, int]], fy: int
) -> list[tuple[Subgroup, Code, int]]:
    """Now and then a small negative count on a rare code (a reclassified offence), made up
    within the same subgroup so the subgroup total is unchanged."""
    if rng.random() >= 0.03:
        return values
    rare = [i for i, (_, c, _) in enumerate(values) if c[0] == "26" or (fy > 2016 and c[2] == 0)]
    i = rare[int(rng.integers(len(rare)))]
    s, code, v = values[i]
    target = -1 if rng.random() < 0.8 else -2
    same = [j for j, (t, _, _) in enumerate(values) if t is s and j != i]
    j = max(same, key=lambda j: values[j][2])
    values = list(values)
    values[i] = (s, code, target)
    values[j] = (values[j][0], values[j][1], values[j][2] + v - target)
    return values


def accounting(n: int) -> str:
    """Excel accounting text, as in the Home Office table: " 123 ", "-00 ", "-1 "."""
    if n > 0:
        return f" {n} "
    return "-00 " if n == 0 else f"{n} "


def fraud_rows() -> list[tuple[str, ...]]:
    rng = national_rng(N_FRAUD)
    rows = []
    for name, code, description, subgroup, levels, first, last in FRAUD_BODIES:
        for fy in PRC_YEARS:
            for q in range(1, 5):
                if not first <= (fy, q) <= last:
                    continue
                n = int(rng.poisson(levels[fy] * np.exp(rng.normal(0.0, 0.04))))
                fy_text = f"{fy}/{(fy + 1) % 100:02d}"
                rows.append((fy_text, str(q), name, description, "Fraud offences", subgroup, code,
                             accounting(n)))  # fmt: skip
    return rows


def csv_field(value: str) -> str:
    return f'"{value}"' if "," in value or '"' in value else value


def prc_text(home: ForceProfile) -> tuple[str, int]:
    """The national table as CSV text (LF, Home Office order) and its number of rows."""
    rows = sorted(prc_rows(home), key=lambda r: (r[0], int(r[1]), r[2].lower(), r[3].lower()))
    # Only force names and descriptions ever hold a comma ("London, City of").
    lines = [",".join(PRC_HEADER)] + [
        ",".join((r[0], r[1], csv_field(r[2]), csv_field(r[3]), *r[4:])) for r in rows
    ]
    return "\n".join(lines) + "\n", len(rows)


# ---------------------------------------------------------------------------------------------
# Writing.
# ---------------------------------------------------------------------------------------------


@dataclass
class Written:
    files: int = 0
    rows: int = 0
    bytes: int = 0

    def add(self, path: Path, df: pl.DataFrame, crlf: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        df.write_csv(path, line_terminator="\r\n" if crlf else "\n")
        self.files += 1
        self.rows += df.height
        self.bytes += path.stat().st_size

    def add_text(self, path: Path, text: str, rows: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        self.files += 1
        self.rows += rows
        self.bytes += path.stat().st_size


def write_monthly(
    out: Path, profile: ForceProfile, kind: str, df: pl.DataFrame, written: Written
) -> None:
    """One data.police.uk file per month (every month, even if it has no rows)."""
    by_month = {int(k[0]): v for k, v in df.partition_by("_month", as_dict=True).items()}
    for m in range(N_MONTHS):
        part = by_month.get(m, df.clear()).drop("_month")
        label = month_label(m)
        written.add(out / "police-uk" / label / f"{label}-{profile.slug}-{kind}.csv", part, True)


def series_counts(profile: ForceProfile, spec: Series, rng: np.random.Generator) -> np.ndarray:
    """Monthly integer counts of a ``Series`` for months 0..N_MONTHS-1."""
    model = model_months(spec.fy_levels, spec.season, spec.noise, rng)[BURN_IN_MONTHS:]
    return anchored_series(model, spec, rng)


def generate_force(profile: ForceProfile, out: Path, written: Written) -> None:
    gaz = build_gazetteer(profile)
    crimes, copies = republish(profile, simulate_crimes(profile, crime_counts(profile), gaz))
    outcomes = simulate_outcomes(profile, crimes)
    category = last_outcome_category(profile, crimes, outcomes)
    asb = series_counts(profile, profile.asb, rng_for(profile, S_ASB + 100))

    street = street_rows(profile, crimes, category, copies, asb, gaz)
    write_monthly(out, profile, "street", street, written)
    write_monthly(out, profile, "outcomes", outcome_rows(profile, crimes, outcomes, gaz), written)
    write_monthly(out, profile, "stop-and-search", stop_search_rows(profile, gaz), written)
    for stem, table in counts_tables(profile).items():
        written.add(out / "counts" / f"{profile.slug}-{stem}.csv", table, False)
    for stem, table in counts_tables(profile, profile.extra_counts, S_EXTRA_COUNTS).items():
        written.add(out / "counts" / f"{profile.slug}-{stem}.csv", table, False)
    if profile.survey:
        written.add(out / "survey" / f"{profile.slug}-survey.csv", survey_table(profile), False)


PRC_FILE = "home-office/prc-pfa-sample-2016-17-to-2018-19.csv"
POPULATION_FILE = "population/pfa-population-2015-2019.csv"


def generate_national(home: ForceProfile, out: Path, written: Written) -> None:
    """The Home Office PFA table (all forces, calibrated around ``home``) and populations."""
    text, rows = prc_text(home)
    written.add_text(out / PRC_FILE, text, rows)
    written.add(out / POPULATION_FILE, population_table(), False)


def write_samples(out_dir: Path, forces: Sequence[ForceProfile] = FORCES) -> Written:
    """Write every sample file for ``forces`` under ``out_dir``; return what was written."""
    written = Written()
    for profile in forces:
        generate_force(profile, Path(out_dir), written)
    home = next((p for p in forces if p.prc is not None), None)
    if home is not None:
        generate_national(home, Path(out_dir), written)
    return written


def generate(out_dir: Path) -> None:
    """Write the sample files under ``out_dir`` (byte-identical on every run)."""
    write_samples(out_dir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "data",
        help="output folder (default: samples/data next to this script)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    w = write_samples(args.out)
    print(
        f"make_samples: {w.files} files, {w.rows:,} rows, {w.bytes / 1e6:.1f} MB "
        f"in {args.out} ({time.perf_counter() - start:.1f} s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
