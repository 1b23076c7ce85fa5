"""The datasets pcp stores and the extract formats they come from.

Each dataset declares its columns and types once. Readers rename source headers to
these snake_case names, parse to these types and refuse anything that does not fit;
nothing is inferred from the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Dtype = Literal["str", "int", "float", "date"]
Partitioning = Literal["force-month", "force", "single"]


@dataclass(frozen=True)
class Column:
    source: str  # header in the extract
    name: str  # snake_case name in the store
    dtype: Dtype = "str"
    required: bool = True


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    columns: tuple[Column, ...]
    # Columns KPI filters may use, and that the aggregate table keeps.
    dimensions: tuple[str, ...]
    # None: a KPI counts rows; otherwise the column summed.
    value_column: str | None
    partitioning: Partitioning
    # Row identity for replacement: a newer extract replaces rows with the same key.
    replace_key: tuple[str, ...]
    # Filter columns that also decide which months a KPI has data for (counts: measure).
    coverage_by: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def filterable(self) -> tuple[str, ...]:
        return self.dimensions


def _force_month(
    name: str,
    title: str,
    columns: tuple[Column, ...],
    dimensions: tuple[str, ...],
    value_column: str | None = None,
) -> DatasetSpec:
    """A dataset stored per force and month, where a newer extract replaces a force's month."""
    return DatasetSpec(
        name=name,
        title=title,
        columns=columns,
        dimensions=dimensions,
        value_column=value_column,
        partitioning="force-month",
        replace_key=("force", "month"),
    )


# The four columns every data.police.uk crime and outcome file starts with.
_POLICE_UK_CRIME_HEAD = (
    Column("Crime ID", "crime_id"),
    Column("Month", "month"),
    Column("Reported by", "reported_by"),
    Column("Falls within", "falls_within"),
)

_POLICE_UK_LOCATION = (
    Column("Longitude", "longitude", "float"),
    Column("Latitude", "latitude", "float"),
    Column("Location", "location"),
    Column("LSOA code", "lsoa_code"),
    Column("LSOA name", "lsoa_name"),
)

STREET = _force_month(
    "street",
    "data.police.uk street-level crime and ASB",
    (
        *_POLICE_UK_CRIME_HEAD,
        *_POLICE_UK_LOCATION,
        Column("Crime type", "crime_type"),
        Column("Last outcome category", "last_outcome_category"),
        Column("Context", "context", required=False),
    ),
    dimensions=("crime_type", "last_outcome_category"),
)

OUTCOMES = _force_month(
    "outcomes",
    "data.police.uk outcomes",
    (
        *_POLICE_UK_CRIME_HEAD,
        *_POLICE_UK_LOCATION,
        Column("Outcome type", "outcome_type"),
    ),
    dimensions=("outcome_type",),
)

STOP_SEARCH = _force_month(
    "stop-search",
    "data.police.uk stop and search",
    (
        Column("Type", "type"),
        Column("Date", "date"),
        Column("Part of a policing operation", "part_of_a_policing_operation", required=False),
        Column("Policing operation", "policing_operation", required=False),
        Column("Latitude", "latitude", "float"),
        Column("Longitude", "longitude", "float"),
        Column("Gender", "gender"),
        Column("Age range", "age_range"),
        Column("Self-defined ethnicity", "self_defined_ethnicity"),
        Column("Officer-defined ethnicity", "officer_defined_ethnicity"),
        Column("Legislation", "legislation"),
        Column("Object of search", "object_of_search"),
        Column("Outcome", "outcome"),
        Column(
            "Outcome linked to object of search",
            "outcome_linked_to_object_of_search",
            required=False,
        ),
        Column(
            "Removal of more than just outer clothing",
            "removal_of_more_than_just_outer_clothing",
            required=False,
        ),
    ),
    dimensions=("type", "object_of_search", "outcome", "legislation"),
)

PRC = _force_month(
    "prc",
    "Home Office police recorded crime (PFA open data table)",
    (
        Column("Financial Year", "financial_year"),
        Column("Financial Quarter", "financial_quarter"),
        Column("Force Name", "force_name"),
        Column("Offence Description", "offence_description"),
        Column("Offence Group", "offence_group"),
        Column("Offence Subgroup", "offence_subgroup"),
        Column("Offence Code", "offence_code"),
        Column("Number of Offences", "number_of_offences"),
    ),
    dimensions=("offence_code", "offence_description", "offence_group", "offence_subgroup"),
    value_column="number_of_offences",
)


def _force_measures(
    name: str,
    title: str,
    columns: tuple[Column, ...],
    value_column: str,
    extra_columns: tuple[str, ...] = (),
) -> DatasetSpec:
    """A table of aggregated figures by force and measure: stored per force, a newer extract
    replacing a force's month of a measure, and a KPI's coverage judged per measure."""
    return DatasetSpec(
        name=name,
        title=title,
        columns=(Column("force", "force_name"), *columns),
        dimensions=("measure",),
        value_column=value_column,
        partitioning="force",
        replace_key=("force", "month", "measure"),
        coverage_by=("measure",),
        extra_columns=extra_columns,
    )


COUNTS = _force_measures(
    "counts",
    "generic aggregated counts (force, month or period, measure, value)",
    (
        Column("month", "month", required=False),
        Column("period", "period", required=False),
        Column("measure", "measure"),
        Column("value", "value", "int"),
    ),
    value_column="value",
)

SURVEY = _force_measures(
    "survey",
    "survey proportions (force, period, measure, respondents, positive)",
    (
        Column("period", "period"),
        Column("measure", "measure"),
        Column("respondents", "respondents", "int"),
        Column("positive", "positive", "int"),
    ),
    value_column="positive",
    extra_columns=("respondents",),
)

POPULATION = DatasetSpec(
    name="population",
    title="mid-year population estimates (force, year, population)",
    columns=(
        Column("force", "force_name"),
        Column("year", "year", "int"),
        Column("population", "population", "int"),
    ),
    dimensions=(),
    value_column="population",
    partitioning="single",
    replace_key=("force", "year"),
)

# The monitored hate crime strands, as written in a records extract's hate_strands column,
# and the stored flag column of each.
HATE_STRANDS: dict[str, str] = {
    "race": "hate_race",
    "religion": "hate_religion",
    "sexual-orientation": "hate_sexual_orientation",
    "disability": "hate_disability",
    "transgender": "hate_transgender",
}

# A force's own crime records: one row per recorded crime (read by pcp_cli.ingest.records).
# Only what the KPIs need is stored: no crime reference, the victim reference only as a
# keyed hash (victim_key), flags as "Y"/"N" (see docs/store.md).
CRIME_RECORDS = _force_month(
    "crime-records",
    "force crime records (one row per recorded crime)",
    # The stored columns (the extract's canonical columns: pcp_cli.ingest.records.CANONICAL).
    (
        Column("recorded_date", "recorded_date", "date"),
        Column("ho_code", "ho_code"),
        Column("lsoa_code", "lsoa_code"),
        Column("domestic", "domestic"),
        Column("hate_strands", "hate"),
        *(Column("hate_strands", flag) for flag in HATE_STRANDS.values()),
        Column("victim_ref", "victim_key"),
        Column("outcome", "outcome", required=False),
        Column("outcome_date", "outcome_date", "date", required=False),
    ),
    dimensions=("ho_code", "domestic", "hate", *HATE_STRANDS.values()),
)

# A user's lookup of LSOA to local areas (neighbourhood policing areas, wards, ...).
AREAS = DatasetSpec(
    name="areas",
    title="lookup of LSOA codes to local areas (lsoa_code, area, area_type, population)",
    columns=(
        Column("lsoa_code", "lsoa_code"),
        Column("area", "area"),
        Column("area_type", "area_type", required=False),
        Column("population", "population", "int", required=False),
    ),
    dimensions=(),
    value_column=None,
    partitioning="single",
    # A newer lookup replaces every row of the area types it holds.
    replace_key=("area_type",),
)

DATASETS: dict[str, DatasetSpec] = {
    d.name: d
    for d in (
        STREET,
        OUTCOMES,
        STOP_SEARCH,
        PRC,
        COUNTS,
        SURVEY,
        POPULATION,
        CRIME_RECORDS,
        AREAS,
    )
}

# Datasets a KPI can count (population is a denominator and areas a lookup, not KPI sources).
KPI_DATASETS = tuple(name for name in DATASETS if name not in ("population", "areas"))


def detect_kind(header: list[str]) -> str | None:
    """Recognise an extract from its header row; None when it matches no known format."""
    cols = {h.strip().lower() for h in header}
    if {"crime_ref", "recorded_date", "ho_code"} <= cols:
        return "crime-records"
    if {"lsoa_code", "area"} <= cols:
        return "areas"
    if {"crime type", "last outcome category", "falls within"} <= cols:
        return "street"
    if {"outcome type", "falls within"} <= cols:
        return "outcomes"
    if {"object of search", "legislation", "date"} <= cols:
        return "stop-search"
    if {"offence code", "number of offences", "force name"} <= cols:
        return "prc"
    if {"respondents", "positive", "measure"} <= cols:
        return "survey"
    if {"force", "measure", "value"} <= cols and ({"month", "period"} & cols):
        return "counts"
    if {"force", "year", "population"} <= cols or (
        "year" in cols and len(cols) > 2 and not cols & {"measure", "value", "month"}
    ):
        return "population"
    return None
