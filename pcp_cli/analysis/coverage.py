"""What the store holds: months per dataset and force, gaps, and the source files."""

from __future__ import annotations

import polars as pl

from pcp_cli.forces import ForceRegistry
from pcp_cli.periods import month_text, parse_month
from pcp_cli.store import Manifest


def coverage(
    manifest: Manifest, registry: ForceRegistry, forces: list[str], datasets: list[str]
) -> pl.DataFrame:
    rows = []
    for dataset in sorted(manifest.datasets):
        if datasets and dataset not in datasets:
            continue
        by_force: dict[str, set[int]] = {}
        for key in manifest.partitions(dataset):
            if "/" not in key:
                continue
            force, month = key.split("/")
            by_force.setdefault(force, set()).add(parse_month(month))
        for force, months in sorted(by_force.items()):
            if forces and force not in forces:
                continue
            first, last = min(months), max(months)
            gaps = [m for m in range(first, last + 1) if m not in months]
            rows.append(
                {
                    "dataset": dataset,
                    "force": force,
                    "force_name": registry.name(force),
                    "first_month": month_text(first),
                    "last_month": month_text(last),
                    "months": len(months),
                    "gaps": _ranges(gaps),
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "dataset": pl.String,
            "force": pl.String,
            "force_name": pl.String,
            "first_month": pl.String,
            "last_month": pl.String,
            "months": pl.Int64,
            "gaps": pl.String,
        },
    )


def _ranges(months: list[int]) -> str:
    out: list[str] = []
    for m in months:
        if out and out[-1].endswith(month_text(m - 1)) and ".." not in out[-1].split(" ")[-1]:
            out[-1] = f"{out[-1]}..{month_text(m)}"
        elif out and out[-1].endswith(month_text(m - 1)):
            out[-1] = out[-1][: -len(month_text(m - 1))] + month_text(m)
        else:
            out.append(month_text(m))
    return " ".join(out)


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
    return pl.DataFrame(
        rows,
        schema={
            "dataset": pl.String,
            "partition": pl.String,
            "path": pl.String,
            "size": pl.Int64,
            "sha256": pl.String,
            "ingested_at": pl.String,
        },
    )
