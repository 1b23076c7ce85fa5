"""The datasets pcp stores and the extract formats they come from.

Each dataset declares its columns and types once. Readers rename source headers to
these snake_case names, parse to these types and refuse anything that does not fit;
nothing is inferred from the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Dtype = Literal["str", "int", "float", "date"]
Partitioning = Literal["force-month", "force", "single"]


def snake_case(header: str) -> str:
    """'Self-defined ethnicity' -> self_defined_ethnicity."""
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


@dataclass(frozen=True)
class Column:
    """A column of an extract: its header, its type, whether every extract has it, and its
    name in the store, by default the header in snake_case ('LSOA code': lsoa_code)."""

    source: str  # header in the extract
    dtype: Dtype = "str"
    required: bool = True
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", snake_case(self.source))


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


# The nine columns every data.police.uk crime and outcome file starts with.
_POLICE_UK_CRIME = (
    Column("Crime ID"),
    Column("Month"),
    Column("Reported by"),
    Column("Falls within"),
    Column("Longitude", "float"),
    Column("Latitude", "float"),
    Column("Location"),
    Column("LSOA code"),
    Column("LSOA name"),
)


def _police_uk_crimes(
    name: str, what: str, own_columns: tuple[Column, ...], dimensions: tuple[str, ...]
) -> DatasetSpec:
    """A data.police.uk crime or outcome file: the nine shared columns, then its own."""
    columns = (*_POLICE_UK_CRIME, *own_columns)
    return _force_month(name, f"data.police.uk {what}", columns, dimensions)


STREET = _police_uk_crimes(
    "street",
    "street-level crime and ASB",
    own_columns=(
        Column("Crime type"),
        Column("Last outcome category"),
        Column("Context", required=False),
    ),
    dimensions=("crime_type", "last_outcome_category"),
)

OUTCOMES = _police_uk_crimes(
    "outcomes",
    "outcomes",
    own_columns=(Column("Outcome type"),),
    dimensions=("outcome_type",),
)

STOP_SEARCH = _force_month(
    "stop-search",
    "data.police.uk stop and search",
    (
        Column("Type"),
        Column("Date"),
        Column("Part of a policing operation", required=False),
        Column("Policing operation", required=False),
        Column("Latitude", "float"),
        Column("Longitude", "float"),
        Column("Gender"),
        Column("Age range"),
        Column("Self-defined ethnicity"),
        Column("Officer-defined ethnicity"),
        Column("Legislation"),
        Column("Object of search"),
        Column("Outcome"),
        Column("Outcome linked to object of search", required=False),
        Column("Removal of more than just outer clothing", required=False),
    ),
    dimensions=("type", "object_of_search", "outcome", "legislation"),
)

PRC = _force_month(
    "prc",
    "Home Office police recorded crime (PFA open data table)",
    (
        Column("Financial Year"),
        Column("Financial Quarter"),
        Column("Force Name"),
        Column("Offence Description"),
        Column("Offence Group"),
        Column("Offence Subgroup"),
        Column("Offence Code"),
        Column("Number of Offences"),
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
        columns=(Column("force", name="force_name"), *columns),
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
        Column("month", required=False),
        Column("period", required=False),
        Column("measure"),
        Column("value", "int"),
    ),
    value_column="value",
)

SURVEY = _force_measures(
    "survey",
    "survey proportions (force, period, measure, respondents, positive)",
    (
        Column("period"),
        Column("measure"),
        Column("respondents", "int"),
        Column("positive", "int"),
    ),
    value_column="positive",
    extra_columns=("respondents",),
)

POPULATION = DatasetSpec(
    name="population",
    title="mid-year population estimates (force, year, population)",
    columns=(
        Column("force", name="force_name"),
        Column("year", "int"),
        Column("population", "int"),
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
        Column("recorded_date", "date"),
        Column("ho_code"),
        Column("lsoa_code"),
        Column("domestic"),
        Column("hate_strands", name="hate"),
        *(Column("hate_strands", name=flag) for flag in HATE_STRANDS.values()),
        Column("victim_ref", name="victim_key"),
        Column("outcome", required=False),
        Column("outcome_date", "date", required=False),
    ),
    dimensions=("ho_code", "domestic", "hate", *HATE_STRANDS.values()),
)

# A user's lookup of LSOA to local areas (neighbourhood policing areas, wards, ...).
AREAS = DatasetSpec(
    name="areas",
    title="lookup of LSOA codes to local areas (lsoa_code, area, area_type, population)",
    columns=(
        Column("lsoa_code"),
        Column("area"),
        Column("area_type", required=False),
        Column("population", "int", required=False),
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
