"""The report's data-quality section: months that look incomplete, and gaps.

A panel should not be shown a fall that is a missing upload. For the force and the members
of its comparator group that the store holds, over the months the report's figures use:

* every monthly series (each dataset's whole monthly volume; for the counts dataset each
  measure on its own) is checked with the sharp-drop rule of
  :func:`pcp_cli.analysis.peers.completeness.check_completeness` (more than 25% below the median of
  the previous 6 months, and beyond chance at 99.8%);
* gaps inside a series, and series that stop before the report period ends, come from
  :func:`pcp_cli.analysis.coverage.coverage`.

Survey windows overlap and population estimates are yearly, so neither is checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import polars as pl

from pcp_cli.analysis.coverage import coverage
from pcp_cli.analysis.peers.completeness import (
    DEFAULT_DROP,
    DEFAULT_LOOKBACK,
    PROBABLY_INCOMPLETE,
    check_completeness,
    spread_blocks,
)
from pcp_cli.datasets import DATASETS
from pcp_cli.forces import ForceRegistry
from pcp_cli.periods import Month, Period, month_text, parse_month
from pcp_cli.store import StoreReader


@dataclass(frozen=True)
class QualityFlag:
    """A month (or run of months) whose data look incomplete or are missing."""

    force: str
    force_name: str
    dataset: str
    measure: str | None
    months: str  # "2018-11" or "2018-11..2018-12"
    issue: str  # "probably incomplete", "gap", "no data after the last month"
    value: float | None = None
    reference: float | None = None
    ratio: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class DataQuality:
    forces: tuple[str, ...]
    window: Period
    flags: tuple[QualityFlag, ...]
    series_checked: int
    notes: tuple[str, ...] = ()


NOT_CHECKED = ("survey", "population", "areas")  # areas: a lookup, not monthly data
GAP = "gap: no data"
ENDS_EARLY = "no data after the last month held"


def data_quality(
    reader: StoreReader, registry: ForceRegistry, forces: Sequence[str], window: Period
) -> DataQuality:
    """Flags for ``forces`` (those the store holds) over the months of ``window``."""
    held = _forces_held(reader)
    chosen = [f for f in dict.fromkeys(forces) if f in held]
    flags: list[QualityFlag] = []
    checked = 0
    datasets = [
        d
        for d in sorted(reader.manifest.datasets)
        if d in DATASETS and d not in NOT_CHECKED and reader.manifest.aggregate_file(d)
    ]
    volumes = {d: _volumes(reader, d, chosen) for d in datasets}
    window = _held_part(window, [m for v in volumes.values() for s in v.values() for m in s])
    for dataset in datasets:
        for (force, measure), series in volumes[dataset].items():
            result = check_completeness(series, window.months)
            if result.checked:
                checked += 1
            for f in result.flagged:
                flags.append(
                    QualityFlag(
                        force=force,
                        force_name=registry.name(force),
                        dataset=dataset,
                        measure=measure,
                        months=month_text(f.month),
                        issue=PROBABLY_INCOMPLETE,
                        value=f.value,
                        reference=f.reference,
                        ratio=f.ratio,
                        detail=f.describe(),
                    )
                )
    if chosen and datasets:
        flags += _gaps(reader, registry, chosen, datasets, window)
    order = {f: i for i, f in enumerate(chosen)}
    flags.sort(key=lambda q: (order.get(q.force, len(order)), q.dataset, q.measure or "", q.months))
    notes = [
        f"A month is flagged probably incomplete when it is more than {DEFAULT_DROP:.0%} below "
        f"the median of the previous {DEFAULT_LOOKBACK} months (flagged months left out) and "
        "the shortfall is beyond chance for a Poisson count (99.8%). Quarterly tables are "
        "spread evenly over their months first. The flag means: check the extract before "
        "relying on the month.",
    ]
    absent = [registry.name(f) for f in dict.fromkeys(forces) if f not in held]
    if absent:
        notes.append(f"Not in the store, so not checked: {', '.join(absent)}.")
    return DataQuality(tuple(chosen), window, tuple(flags), checked, tuple(notes))


def _held_part(window: Period, months: Sequence[Month]) -> Period:
    """The part of ``window`` from the first month the store holds (the window itself when
    the store holds nothing in it): the section speaks only of months it could check."""
    first = min(months, default=window.start)
    if window.start < first <= window.end:
        return replace(window, start=first)
    return window


def _forces_held(reader: StoreReader) -> set[str]:
    return {
        key.split("/")[0]
        for ds in reader.manifest.datasets.values()
        for key in ds.get("partitions", {})
        if key != "all"
    }


def _volumes(
    reader: StoreReader, dataset: str, forces: list[str]
) -> dict[tuple[str, str | None], dict[Month, float]]:
    """Monthly volume per force (and per measure where a dataset holds several)."""
    spec = DATASETS[dataset]
    by = ["force", *spec.coverage_by]
    frame = (
        reader.aggregate(dataset)
        .filter(pl.col("force").is_in(forces))
        .group_by(*by, "month", "span")
        .agg(pl.col("n").sum())
        .collect()
    )
    blocks: dict[tuple[str, str | None], list[tuple[Month, int, float]]] = {}
    for row in frame.iter_rows(named=True):
        measure = str(row[spec.coverage_by[0]]) if spec.coverage_by else None
        key = (str(row["force"]), measure)
        blocks.setdefault(key, []).append(
            (parse_month(row["month"]), int(row["span"]), float(row["n"]))
        )
    return {key: spread_blocks(rows) for key, rows in sorted(blocks.items(), key=_key)}


def _key(item: tuple[tuple[str, str | None], object]) -> tuple[str, str]:
    (force, measure), _ = item
    return force, measure or ""


def _gaps(
    reader: StoreReader,
    registry: ForceRegistry,
    forces: list[str],
    datasets: list[str],
    window: Period,
) -> list[QualityFlag]:
    """Gaps inside the window, and series that stop before its end (coverage)."""
    out: list[QualityFlag] = []
    table = coverage(reader, registry, forces, datasets)
    for row in table.iter_rows(named=True):
        common = {
            "force": row["force"],
            "force_name": row["force_name"],
            "dataset": row["dataset"],
            "measure": row["measure"],
        }
        for first, last in _parse_ranges(row["gaps"]):
            a, b = max(first, window.start), min(last, window.end)
            if a <= b:
                out.append(
                    QualityFlag(
                        **common,
                        months=_range_text(a, b),
                        issue=GAP,
                        detail=f"no {row['dataset']} data for {_range_text(a, b)}",
                    )
                )
        last_held = parse_month(row["last_month"])
        if window.start <= last_held < window.end:
            a, b = last_held + 1, window.end
            out.append(
                QualityFlag(
                    **common,
                    months=_range_text(a, b),
                    issue=ENDS_EARLY,
                    detail=f"{row['dataset']} data end at {row['last_month']}",
                )
            )
    return out


def _parse_ranges(text: str | None) -> list[tuple[Month, Month]]:
    """'2017-10..2018-06 2018-09' -> [(2017-10, 2018-06), (2018-09, 2018-09)]."""
    out = []
    for part in (text or "").split():
        if ".." in part:
            a, b = part.split("..", 1)
            out.append((parse_month(a), parse_month(b)))
        else:
            m = parse_month(part)
            out.append((m, m))
    return out


def _range_text(a: Month, b: Month) -> str:
    return month_text(a) if a == b else f"{month_text(a)}..{month_text(b)}"
