"""KPI figures by local area: local-authority district, or the areas of a user's lookup.

data.police.uk rows carry an LSOA code and name; the name is the local authority district
plus a code (``Leicester 001A``), so districts need no lookup. A user's lookup
(``pcp ingest --kind areas``) groups LSOA codes into neighbourhood policing areas, wards
or partnerships, one set per ``area_type``.

Area figures are counted from the raw rows of the force's partitions for the months
asked (the aggregates hold no location), under the same KPI rule and from the same
dataset as the force's own figure, so the areas of a period add up to the force's total.
Rows with no location form the ``(no location)`` area; with a lookup, LSOAs it does not
list form ``(not in the lookup)``; LSOAs in other forces' districts are kept as such.

The ``--by`` options call :func:`values_by_area` (one row per area for a period) and
:func:`monthly_by_area` (one row per area and month, for charts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from pcp_cli.datasets import DATASETS
from pcp_cli.engine import Engine, condition_expr
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.kpis import CountRule, Kpi
from pcp_cli.periods import Month, Period, month_text
from pcp_cli.store import StoreReader

LOCAL_AUTHORITY = "local-authority"
AREA = "area"
NO_LOCATION = "(no location)"
NOT_IN_LOOKUP = "(not in the lookup)"
LOOKUP = "areas"
# 'Leicester 001A' -> 'Leicester': an LSOA name is its district and a 3-digit, 1-letter code.
_LSOA_SUFFIX = r"\s+\d{3}[A-Z]$"

AREA_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "area": pl.String,
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "population": pl.Int64,
}


def local_authority(lsoa_name: pl.Expr) -> pl.Expr:
    """The local authority district of an LSOA name; no name gives ``(no location)``."""
    text = lsoa_name.str.strip_chars()
    district = text.str.replace(_LSOA_SUFFIX, "").str.strip_chars()
    return (
        pl.when(text.is_null() | (text == ""))
        .then(pl.lit(NO_LOCATION))
        .otherwise(district)
        .alias("area")
    )


@dataclass(frozen=True)
class Lookup:
    """One area type of the store's lookup, and the file it came from."""

    area_type: str
    frame: pl.DataFrame  # lsoa_code, area, population
    source: dict[str, Any]  # path, sha256, ingested_at (as the manifest records them)


@dataclass(frozen=True)
class AreaValues:
    """A KPI's value per area for one force and period (see :func:`values_by_area`).

    ``frame`` columns: area, value, numerator and denominator (ratio KPIs; for counts the
    numerator is the count), population (from the lookup, when it gives populations).
    Areas are sorted by name, with ``(no location)`` and ``(not in the lookup)`` last.
    """

    kpi: Kpi
    force: str
    period: Period
    by: str  # "local-authority" or an area type of the lookup
    dataset: str
    frame: pl.DataFrame
    lookup: Lookup | None


def area_types(reader: StoreReader) -> list[str]:
    """The area types of the store's lookup (empty without one)."""
    if not reader.has(LOOKUP):
        return []
    types = reader.aggregate(LOOKUP).select(pl.col("area_type").unique()).collect()
    return sorted(str(t) for t in types.to_series().to_list())


def load_lookup(reader: StoreReader, by: str) -> Lookup:
    """The lookup for ``--by area`` (the only type, or type "area") or ``--by <area_type>``."""
    types = area_types(reader)
    if not types:
        raise NoDataError(
            "the store holds no lookup of areas",
            hint="ingest one: pcp ingest --kind areas FILE (header lsoa_code,area)",
        )
    wanted = by.casefold()
    if wanted == AREA and wanted not in types:
        if len(types) > 1:
            raise UsageError(
                f"the store's lookup has several area types: {', '.join(types)}",
                hint="name one, e.g. --by " + types[0],
            )
        wanted = types[0]
    if wanted not in types:
        raise UsageError(
            f"the store's lookup has no area type '{by}'",
            hint=f"known: {', '.join([LOCAL_AUTHORITY, AREA, *types])}",
        )
    rows = (
        reader.aggregate(LOOKUP)
        .filter(pl.col("area_type") == wanted)
        .select("lsoa_code", "area", "population")
        .collect()
    )
    part = reader.manifest.partitions(LOOKUP).get("all", {})
    raw = reader.raw(LOOKUP).filter(pl.col("area_type") == wanted)
    shas = raw.select(pl.col("source_sha256").unique()).collect().to_series().to_list()
    sha = str(shas[0]) if shas else next(iter(part.get("sources", [])), "")
    info = reader.manifest.sources.get(sha, {})
    source = {
        "path": info.get("path", "?"),
        "sha256": sha,
        "ingested_at": info.get("ingested_at", ""),
    }
    return Lookup(wanted, rows, source)


def values_by_area(
    engine: Engine,
    kpi: Kpi,
    force: str,
    period: Period,
    by: str = LOCAL_AUTHORITY,
    *,
    allow_partial: bool = False,
) -> AreaValues:
    """The KPI's value in ``period`` for each area of ``force``.

    ``by``: ``local-authority`` (from the LSOA name, no lookup needed), ``area`` (the
    store's lookup) or an area type of the lookup. Count KPIs sum to the force's figure;
    ratio KPIs divide each area's numerator by its denominator. Raises UsageError when the
    KPI's data has no location (Home Office tables, counts, surveys) or is a records rule.
    """
    if kpi.kind == "ratio":
        assert kpi.numerator and kpi.denominator
        num = values_by_area(
            engine, engine.catalogue.kpis[kpi.numerator], force, period, by,
            allow_partial=allow_partial,
        )  # fmt: skip
        den = values_by_area(
            engine, engine.catalogue.kpis[kpi.denominator], force, period, by,
            allow_partial=allow_partial,
        )  # fmt: skip
        frame = _ratio_frame(kpi, num.frame, den.frame)
        dataset = num.dataset if num.dataset == den.dataset else f"{num.dataset}/{den.dataset}"
        return AreaValues(kpi, force, period, by, dataset, frame, num.lookup or den.lookup)
    dataset, rule = _area_rule(engine, kpi, force, [period], allow_partial)
    lookup = _lookup_for(engine.reader, by, dataset)
    counts = _area_counts(engine.reader, rule, force, list(period.months), lookup)
    totals = counts.group_by("area").agg(pl.col("n").sum().cast(pl.Float64).alias("n"))
    frame = totals.select(
        "area",
        pl.col("n").alias("value"),
        pl.col("n").alias("numerator"),
        pl.lit(None, dtype=pl.Float64).alias("denominator"),
    )
    frame = _with_population(frame, lookup)
    return AreaValues(kpi, force, period, by, dataset, _ordered(frame), lookup)


def monthly_by_area(
    engine: Engine,
    kpi: Kpi,
    force: str,
    start: Month,
    end: Month,
    by: str = LOCAL_AUTHORITY,
) -> pl.DataFrame:
    """A count KPI per area and month from ``start`` to ``end`` (month indices), for charts.

    Columns: area, start (month index), period ('YYYY-MM'), value. Every area has a row
    for every month the force's data holds in the range (zero where nothing was counted);
    months the store does not hold are left out (the caller shows them as gaps).
    """
    if kpi.kind != "count":
        raise UsageError(f"{kpi.id}: monthly figures by area are for count KPIs")
    series = engine.points(kpi, force, start, end)
    if series.span != 1:
        raise UsageError(f"{kpi.id} for {force} is not monthly ({series.dataset} data)")
    months = [int(m) for m in series.ok.get_column("start").to_list()]
    _, rule = _area_rule(engine, kpi, force, [], True, dataset=series.dataset)
    lookup = _lookup_for(engine.reader, by, series.dataset)
    counts = _area_counts(engine.reader, rule, force, months, lookup)
    grid = pl.DataFrame({"area": counts.get_column("area").unique()}).join(
        pl.DataFrame({"start": months}, schema={"start": pl.Int32}), how="cross"
    )
    frame = grid.join(counts.rename({"m": "start"}), on=["area", "start"], how="left")
    return (
        frame.select(
            "area",
            "start",
            pl.col("start").map_elements(month_text, return_dtype=pl.String).alias("period"),
            pl.col("n").fill_null(0).cast(pl.Float64).alias("value"),
        )
        .pipe(_ordered)
        .sort("area_order", "area", "start")
        .drop("area_order")
    )


def _area_rule(
    engine: Engine,
    kpi: Kpi,
    force: str,
    periods: list[Period],
    allow_partial: bool,
    *,
    dataset: str | None = None,
) -> tuple[str, CountRule]:
    """The dataset the force's own figure comes from, and the KPI's rule there."""
    if dataset is None:
        dataset = engine.choose(kpi, force, periods, allow_partial=allow_partial).dataset
    rule = next(r for r in kpi.rules if r.dataset == dataset)
    if rule.rule:
        raise UsageError(f"{kpi.id} ({rule.rule}) is not counted by area")
    if "lsoa_code" not in DATASETS[dataset].column_names:
        raise UsageError(
            f"{kpi.id} for {force} is counted from {dataset} data, which has no location",
            hint="figures by area come from data.police.uk street or outcomes files or the "
            "force's crime records",
        )
    return dataset, rule


def _lookup_for(reader: StoreReader, by: str, dataset: str) -> Lookup | None:
    """The lookup ``by`` needs for ``dataset`` (None: districts from the LSOA name).

    Crime records carry LSOA codes but no names: their districts come from a lookup of
    area type ``local-authority`` when the store holds one.
    """
    if by.casefold() != LOCAL_AUTHORITY:
        return load_lookup(reader, by)
    if "lsoa_name" in DATASETS[dataset].column_names:
        return None
    if LOCAL_AUTHORITY in area_types(reader):
        return load_lookup(reader, LOCAL_AUTHORITY)
    raise UsageError(
        f"{dataset} data has LSOA codes but no LSOA names to take the district from",
        hint="ingest a lookup with area_type local-authority (pcp ingest --kind areas), "
        "or use --by area",
    )


def _area_counts(
    reader: StoreReader,
    rule: CountRule,
    force: str,
    months: list[Month],
    lookup: Lookup | None,
) -> pl.DataFrame:
    """Rows of the rule counted by area and month: area, m (month index), n."""
    held = reader.manifest.partitions(rule.dataset)
    keys = [k for k in (f"{force}/{month_text(m)}" for m in months) if k in held]
    if not keys:
        return pl.DataFrame(schema={"area": pl.String, "m": pl.Int32, "n": pl.Int64})
    rows = reader.raw(rule.dataset, keys)
    for cond in rule.conditions:
        rows = rows.filter(condition_expr(cond))
    if lookup is None:
        area = local_authority(pl.col("lsoa_name"))
    else:
        rows = rows.join(
            lookup.frame.lazy().select("lsoa_code", pl.col("area").alias("_area")),
            on="lsoa_code",
            how="left",
        )
        code = pl.col("lsoa_code").str.strip_chars()
        area = (
            pl.when(code.is_null() | (code == ""))
            .then(pl.lit(NO_LOCATION))
            .when(pl.col("_area").is_null())
            .then(pl.lit(NOT_IN_LOOKUP))
            .otherwise(pl.col("_area"))
            .alias("area")
        )
    month = (
        pl.col("month").str.slice(0, 4).cast(pl.Int32) * 12
        + pl.col("month").str.slice(5, 2).cast(pl.Int32)
        - 1
    ).alias("m")
    return rows.group_by(area, month).agg(pl.len().cast(pl.Int64).alias("n")).collect()


def _with_population(frame: pl.DataFrame, lookup: Lookup | None) -> pl.DataFrame:
    if lookup is None or lookup.frame.get_column("population").null_count() == lookup.frame.height:
        return frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("population"))
    people = lookup.frame.group_by("area").agg(
        # An area's population is known only when every LSOA in it has one.
        pl.when(pl.col("population").null_count() == 0)
        .then(pl.col("population").sum())
        .otherwise(None)
        .cast(pl.Int64)
        .alias("population")
    )
    return frame.join(people, on="area", how="left")


def _ratio_frame(kpi: Kpi, num: pl.DataFrame, den: pl.DataFrame) -> pl.DataFrame:
    joined = num.select("area", pl.col("value").alias("numerator"), "population").join(
        den.select("area", pl.col("value").alias("denominator")), on="area", how="full",
        coalesce=True,
    )  # fmt: skip
    value = (
        pl.when(pl.col("denominator") > 0)
        .then(pl.col("numerator").fill_null(0) / pl.col("denominator") * kpi.scale)
        .otherwise(None)
    )
    frame = joined.select(
        "area",
        value.alias("value"),
        pl.col("numerator").fill_null(0.0),
        pl.col("denominator").fill_null(0.0),
        "population",
    )
    return _ordered(frame)


def _ordered(frame: pl.DataFrame) -> pl.DataFrame:
    """Areas by name, the catch-all rows last (``area_order`` kept for callers that sort)."""
    order = (
        pl.when(pl.col("area") == NO_LOCATION)
        .then(2)
        .when(pl.col("area") == NOT_IN_LOOKUP)
        .then(1)
        .otherwise(0)
        .alias("area_order")
    )
    out = frame.with_columns(order).sort("area_order", "area")
    if "value" in frame.columns and "start" not in frame.columns:
        return out.drop("area_order").select(list(AREA_COLUMNS)).cast(AREA_COLUMNS)  # type: ignore[arg-type]
    return out
