"""Records rules: KPI counts from the raw crime records that a filter cannot express.

``repeat-victims``: for each month, the victims (by their keyed hash) with two or more
recorded crimes, matching the rule's filters, in the 12 months to the end of that month.
It is a stock, not a flow: a period's value is its last month's value (the victims with
two or more crimes in the 12 months to the period's end), never a sum of months. A month
counts as held only when the store holds records for all 12 months of its window, so a
window that starts before the first extract is never under-counted silently.
"""

from __future__ import annotations

import polars as pl

from pcp_cli.engine import Series, condition_expr
from pcp_cli.kpis import CountRule, Kpi
from pcp_cli.periods import Month, month_text, parse_month
from pcp_cli.store import StoreReader

DATASET = "crime-records"
WINDOW = 12  # months


def records_rule_series(
    reader: StoreReader, kpi: Kpi, forces: list[str], rule: CountRule
) -> dict[str, Series]:
    """A series per force with records, computed by ``rule.rule``."""
    if rule.rule != "repeat-victims":
        raise AssertionError(f"unknown records rule {rule.rule!r}")  # the KPI check refuses it
    parts = reader.manifest.partitions(DATASET)
    out: dict[str, Series] = {}
    for force in dict.fromkeys(forces):
        keys = [k for k in parts if k.split("/")[0] == force]
        if keys:
            out[force] = _repeat_victims(reader, kpi, force, keys, rule)
    return out


def _repeat_victims(
    reader: StoreReader, kpi: Kpi, force: str, keys: list[str], rule: CountRule
) -> Series:
    held = {parse_month(k.split("/")[1]) for k in keys}
    covered = {m for m in held if all(m - i in held for i in range(WINDOW))}
    rows = reader.raw(DATASET, keys).filter(pl.col("victim_key").is_not_null())
    for cond in rule.conditions:
        rows = rows.filter(condition_expr(cond))
    month_index = (
        pl.col("month").str.slice(0, 4).cast(pl.Int32) * 12
        + pl.col("month").str.slice(5, 2).cast(pl.Int32)
        - 1
    )
    # Each victim's crimes in a month count towards the 12 windows ending then or later.
    counts = (
        rows.group_by("victim_key", month_index.alias("first"))
        .agg(pl.len().alias("crimes"))
        .with_columns(pl.int_ranges("first", pl.col("first") + WINDOW, dtype=pl.Int32).alias("m"))
        .explode("m")
        .group_by("m", "victim_key")
        .agg(pl.col("crimes").sum())
        .filter(pl.col("crimes") >= 2)
        .group_by("m")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .collect()
    )
    months = pl.DataFrame({"m": sorted(covered)}, schema={"m": pl.Int32})
    frame = (
        months.join(counts, on="m", how="left")
        .select(
            "m",
            pl.lit(1, dtype=pl.Int32).alias("span"),
            pl.col("n").fill_null(0).cast(pl.Int64),
        )
        .sort("m")
    )
    return Series(kpi, force, DATASET, frame, covered, stock=True)


def monthly_by_ho_code(reader: StoreReader, force: str, start: Month, end: Month) -> pl.DataFrame:
    """Recorded crimes per Home Office offence code and month, from the force's records.

    Columns: ho_code, start (month index), period ('YYYY-MM'), n. Every code recorded in the
    range has a row for every month the store holds records for (zero where none); months
    without records are left out. Empty when the store holds no records for the force.
    """
    schema = {"ho_code": pl.String, "start": pl.Int32, "period": pl.String, "n": pl.Int64}
    parts = reader.manifest.partitions(DATASET)
    held = sorted(
        m
        for m in (parse_month(k.split("/")[1]) for k in parts if k.split("/")[0] == force)
        if start <= m <= end
    )
    if not held:
        return pl.DataFrame(schema=schema)
    months = [month_text(m) for m in held]
    counts = (
        reader.aggregate(DATASET)
        .filter((pl.col("force") == force) & pl.col("month").is_in(months))
        .group_by("ho_code", "month")
        .agg(pl.col("n").sum().cast(pl.Int64))
        .collect()
    )
    grid = counts.select(pl.col("ho_code").unique()).join(
        pl.DataFrame({"month": months}), how="cross"
    )
    return (
        grid.join(counts, on=["ho_code", "month"], how="left")
        .select(
            "ho_code",
            pl.col("month").map_elements(parse_month, return_dtype=pl.Int32).alias("start"),
            pl.col("month").alias("period"),
            pl.col("n").fill_null(0),
        )
        .sort("ho_code", "start")
        .cast(schema)  # type: ignore[arg-type]
    )
