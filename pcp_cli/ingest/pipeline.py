"""Ingest extracts into the store as one atomic transaction."""

from __future__ import annotations

import glob
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pcp_cli.datasets import DATASETS, DatasetSpec
from pcp_cli.errors import DataError, UsageError
from pcp_cli.forces import ForceRegistry
from pcp_cli.ingest.readers import Parsed, ReadOptions, Source, parse
from pcp_cli.store import Store, StoreReader, Transaction, partition_key

STDIN = "-"


@dataclass
class FileResult:
    name: str
    kind: str
    rows: int
    status: str  # "ingested" or "unchanged"
    rejected: int = 0
    forces: tuple[str, ...] = ()
    months: tuple[str, str] | None = None


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)
    rejects_path: Path | None = None

    @property
    def ingested(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "ingested"]

    @property
    def unchanged(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "unchanged"]

    def line(self) -> str:
        """One-line summary for stderr."""
        if not self.ingested:
            return f"nothing to do: {len(self.unchanged)} file(s) already in the store, unchanged"
        rows = sum(f.rows for f in self.ingested)
        by_kind: dict[str, int] = {}
        for f in self.ingested:
            by_kind[f.kind] = by_kind.get(f.kind, 0) + f.rows
        forces = sorted({x for f in self.ingested for x in f.forces})
        spans = [f.months for f in self.ingested if f.months]
        months = f", {min(s[0] for s in spans)}..{max(s[1] for s in spans)}" if spans else ""
        kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(by_kind.items()))
        shown = ", ".join(forces[:4]) + (f" +{len(forces) - 4} more" if len(forces) > 4 else "")
        text = (
            f"ingested {len(self.ingested)} file(s), {rows:,} rows ({kinds}); "
            f"{len(forces)} force(s): {shown}{months}"
        )
        if self.unchanged:
            text += f"; {len(self.unchanged)} unchanged file(s) skipped"
        rejected = sum(f.rejected for f in self.ingested)
        if rejected:
            text += f"; {rejected:,} bad row(s) rejected to {self.rejects_path}"
        return text


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Files, directories (recursively, *.csv) and globs, in a stable order."""
    out: list[str] = []
    for raw in paths:
        if raw == STDIN:
            out.append(STDIN)
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".csv"
            )
            if not found:
                raise UsageError(f"no .csv files found under {raw}")
            out += found
        elif path.is_file():
            out.append(str(path))
        elif any(ch in raw for ch in "*?["):
            matches = sorted(p for p in glob.glob(raw, recursive=True) if Path(p).is_file())
            if not matches:
                raise UsageError(f"no files match {raw}")
            out += matches
        else:
            raise UsageError(f"{raw}: no such file or directory")
    return list(dict.fromkeys(out))


def _read_source(name: str) -> Source:
    if name == STDIN:
        return Source("<stdin>", sys.stdin.buffer.read())
    try:
        return Source(name, Path(name).read_bytes())
    except OSError as exc:
        raise DataError(f"{name}: cannot read ({exc.strerror})") from None


def aggregate(spec: DatasetSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """Counts by force, month, span and the KPI filter columns: what most questions need."""
    if spec.name == "population":
        return frame.select("force", "year", "population")
    keys = ["force", "month", "span", *spec.dimensions]
    measure = (
        pl.len().cast(pl.Int64) if spec.value_column is None else pl.col(spec.value_column).sum()
    )
    extras = [pl.col(c).sum() for c in spec.extra_columns]
    return frame.group_by(keys).agg(measure.alias("n"), *extras).sort(keys)


def ingest(
    store: Store,
    paths: list[str],
    forces: ForceRegistry,
    options: ReadOptions,
    *,
    wait: float = 60.0,
    progress: Callable[[str, int], None] | None = None,
) -> IngestSummary:
    """Read every extract and commit them together; on any error the store is unchanged."""
    names = expand_paths(paths)
    if names.count(STDIN) and not options.kind:
        raise UsageError("reading from stdin needs --kind", hint="e.g. pcp ingest - --kind counts")
    summary = IngestSummary()
    rejects: list[pl.DataFrame] = []
    with store.writing(wait=wait) as tx:
        reader = tx.reader()
        pending: dict[str, dict[str, tuple[pl.DataFrame, list[str]]]] = {}
        known = reader.manifest.referenced_sources()
        for name in names:
            source = _read_source(name)
            info = reader.manifest.sources.get(source.sha256, {})
            if source.sha256 in known and _same_context(info, name, options):
                summary.files.append(
                    FileResult(
                        name, str(info.get("kind", "?")), int(info.get("rows", 0)), "unchanged"
                    )
                )
                if progress:
                    progress(name, 0)
                continue
            parsed = parse(source, forces, options)
            summary.files.append(_result(parsed))
            if parsed.rejects.height:
                rejects.append(parsed.rejects.with_columns(pl.lit(name).alias("file")))
            _stage(parsed, reader, pending)
            tx.add_source(
                source.sha256,
                {
                    "path": name if name != STDIN else "<stdin>",
                    "size": source.size,
                    "sha256": source.sha256,
                    "kind": parsed.kind,
                    "rows": parsed.frame.height,
                    "forces": sorted(parsed.frame["force"].unique().to_list()),
                    "ingested_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            )
            known.add(source.sha256)
            if progress:
                progress(name, parsed.frame.height)
        _write(tx, reader, pending)
        if rejects:
            summary.rejects_path = _write_rejects(store, rejects)
        tx.commit()
    return summary


def _same_context(info: dict[str, object], name: str, options: ReadOptions) -> bool:
    """Stop and search files take their force from the name or --force, not the content."""
    if info.get("kind") != "stop-search":
        return True
    slug = Path(name).name[8:].removesuffix("-stop-and-search.csv")
    wanted = (options.force or slug).casefold()
    return wanted in [str(f).casefold() for f in info.get("forces", [])]  # type: ignore[attr-defined]


def _result(parsed: Parsed) -> FileResult:
    frame = parsed.frame
    months = None
    if "month" in frame.columns and frame.height:
        months = (str(frame["month"].min()), str(frame["month"].max()))
    return FileResult(
        name=parsed.source.name,
        kind=parsed.kind,
        rows=frame.height,
        status="ingested",
        rejected=parsed.rejects.height,
        forces=tuple(sorted(frame["force"].unique().to_list())),
        months=months,
    )


def _stage(
    parsed: Parsed,
    reader: StoreReader,
    pending: dict[str, dict[str, tuple[pl.DataFrame, list[str]]]],
) -> None:
    """Merge a parsed file into the partitions this run will write."""
    spec = DATASETS[parsed.kind]
    frame = parsed.frame.with_columns(pl.lit(parsed.source.sha256).alias("source_sha256"))
    parts = pending.setdefault(spec.name, {})
    for key, part in _split(spec, frame):
        if spec.partitioning == "force-month":
            # A newer extract for a force and month replaces the older one whole.
            parts[key] = (part, [parsed.source.sha256])
            continue
        base, srcs = parts.get(key) or (reader.read_partition(spec.name, key), [])
        if base is not None and base.height:
            base = base.join(
                part.select(spec.replace_key).unique(),
                on=list(spec.replace_key),
                how="anti",
                nulls_equal=True,
            )
            part = pl.concat([base, part], how="diagonal_relaxed")
        parts[key] = (part, srcs)


def _split(spec: DatasetSpec, frame: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame]]:
    if spec.partitioning == "single":
        yield "all", frame
        return
    by = ["force", "month"] if spec.partitioning == "force-month" else ["force"]
    for values, part in frame.partition_by(by, as_dict=True, maintain_order=True).items():
        force = str(values[0])
        month = str(values[1]) if len(values) > 1 else None
        yield partition_key(spec, force, month), part


def _write(
    tx: Transaction,
    reader: StoreReader,
    pending: dict[str, dict[str, tuple[pl.DataFrame, list[str]]]],
) -> None:
    for dataset, parts in pending.items():
        spec = DATASETS[dataset]
        new_aggs = []
        for key, (frame, _srcs) in parts.items():
            sources = frame["source_sha256"].unique().to_list()
            tx.replace_partition(spec, key, frame, sources)
            new_aggs.append(aggregate(spec, frame))
        old = None
        if reader.manifest.aggregate_file(dataset):
            old = reader.aggregate(dataset).collect()
            old = _drop_partitions(spec, old, list(parts))
        combined = pl.concat([x for x in (old, *new_aggs) if x is not None], how="diagonal_relaxed")
        tx.set_aggregate(dataset, combined)


def _drop_partitions(spec: DatasetSpec, agg: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    if spec.partitioning == "single":
        return agg.clear()
    if spec.partitioning == "force":
        return agg.filter(~pl.col("force").is_in(keys))
    pairs = pl.DataFrame({"_key": keys})
    return (
        agg.with_columns((pl.col("force") + "/" + pl.col("month")).alias("_key"))
        .join(pairs, on="_key", how="anti")
        .drop("_key")
    )


def _write_rejects(store: Store, rejects: list[pl.DataFrame]) -> Path:
    """Rejected rows go beside the store, named by time, so a run never overwrites another's."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = store.root.parent / f"{store.root.name}-rejects-{stamp}.csv"
    frame = pl.concat(rejects).select("file", "line", "column", "value", "reason")
    frame.write_csv(path)
    return path
