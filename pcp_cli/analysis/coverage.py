"""What the store holds: months per dataset and force, gaps, and the source files."""

from __future__ import annotations

import polars as pl

from pcp_cli.analysis.columns import Schema
from pcp_cli.datasets import DATASETS
from pcp_cli.forces import ForceRegistry
from pcp_cli.periods import month_text, parse_month
from pcp_cli.store import Manifest, StoreReader

COVERAGE_COLUMNS: Schema = {
    "dataset": pl.String,
    "measure": pl.String,
    "force": pl.String,
    "force_name": pl.String,
    "first_month": pl.String,
    "last_month": pl.String,
    "months": pl.Int64,
    "gaps": pl.String,
}
"""A row per dataset, force (and measure): the first and last month held, how many, the gaps."""

SOURCE_COLUMNS: Schema = {
    "dataset": pl.String,
    "partition": pl.String,
    "path": pl.String,
    "size": pl.Int64,
    "sha256": pl.String,
    "ingested_at": pl.String,
}
"""A row per source file behind a store partition."""


def coverage(
    reader: StoreReader, registry: ForceRegistry, forces: list[str], datasets: list[str]
) -> pl.DataFrame:
    """Months held per dataset and force (and measure, for counts and surveys), with gaps.

    Read from the aggregates, so quarterly data (Home Office tables, quarterly counts)
    shows the months its quarters cover.
    """
    rows = []
    manifest = reader.manifest
    for dataset in sorted(manifest.datasets):
        if (datasets and dataset not in datasets) or not manifest.aggregate_file(dataset):
            continue
        spec = DATASETS[dataset]
        if "month" not in spec.column_names and spec.partitioning == "single":
            continue  # population: by year, not month
        by = ["force", *spec.coverage_by]
        blocks = reader.aggregate(dataset).select(*by, "month", "span").unique().collect()
        held: dict[tuple[str, ...], set[int]] = {}
        for row in blocks.iter_rows(named=True):
            key = tuple(str(row[c]) for c in by)
            start = parse_month(row["month"])
            held.setdefault(key, set()).update(range(start, start + int(row["span"])))
        for key, months in sorted(held.items()):
            force = key[0]
            if forces and force not in forces:
                continue
            first, last = min(months), max(months)
            gaps = [m for m in range(first, last + 1) if m not in months]
            rows.append(
                {
                    "dataset": dataset,
                    "measure": key[1] if len(key) > 1 else None,
                    "force": force,
                    "force_name": registry.name(force),
                    "first_month": month_text(first),
                    "last_month": month_text(last),
                    "months": len(months),
                    "gaps": _ranges(gaps),
                }
            )
    return pl.DataFrame(rows, schema=COVERAGE_COLUMNS)


def _ranges(months: list[int]) -> str:
    """Consecutive months as ranges: 2017-10..2018-06 2018-09."""
    runs: list[list[int]] = []
    for m in months:
        if runs and runs[-1][1] == m - 1:
            runs[-1][1] = m
        else:
            runs.append([m, m])
    return " ".join(
        month_text(a) if a == b else f"{month_text(a)}..{month_text(b)}" for a, b in runs
    )


def sources(manifest: Manifest, forces: list[str], datasets: list[str]) -> pl.DataFrame:
    rows = []
    for dataset in sorted(manifest.datasets):
        if datasets and dataset not in datasets:
            continue
        for key, part in sorted(manifest.partitions(dataset).items()):
            if forces and key.split("/")[0] not in forces:
                continue
            for sha in part.get("sources", []):
                info = manifest.sources.get(sha, {})
                rows.append(
                    {
                        "dataset": dataset,
                        "partition": key,
                        "path": info.get("path", "?"),
                        "size": int(info.get("size", 0)),
                        "sha256": sha,
                        "ingested_at": info.get("ingested_at", ""),
                    }
                )
    return pl.DataFrame(rows, schema=SOURCE_COLUMNS)
