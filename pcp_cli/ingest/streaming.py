"""Clean data.police.uk files parsed, checked and written by one streaming polars query.

The query reads a batch of files, casts and maps them as the one-pass reader does
(:func:`pcp_cli.ingest.readers.police_uk_columns`) and writes each file's rows to its own
staged partition file, while the same scan yields the per-file counts (the aggregates)
and each text column's smallest value (the blank-text check). Nothing is held in memory
but the query's buffers, and both cores stay busy, as in a bare ``scan_csv →
sink_parquet``.

It only ever declines: whenever a file might not be clean (an unknown force, a value
that is not a number, blank-looking text, a file holding several force-months, or a
polars without partitioned sinks) its staged files are removed and the batch goes the
eager way, which gives the same rows or names the problem.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from pcp_cli.datasets import DATASETS
from pcp_cli.forces import ForceRegistry
from pcp_cli.ingest.readers import (
    FilePeek,
    PoliceUkColumns,
    ReadOptions,
    batch_kind,
    blank_looking_low,
    force_mapping,
    implausible_coordinates,
    is_month,
    police_uk_columns,
    rows_may_be_short,
    scan_extracts,
)
from pcp_cli.store import as_os_error

FILE = "_pcp_file"
_IMPLAUSIBLE = "_pcp_implausible"  # a coordinate that is nan, inf or off the Earth
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
_HEAD_ROWS_BYTES = 8192  # the rows whose forces are looked up before the query
_CSV_CHUNK_BYTES = 4 << 20
_LARGE_BYTES = 64 << 20  # a batch this large is counted first and written after
_ONE_LARGE_AT_A_TIME = threading.Lock()  # two workers with a large file each: twice the peak

# polars reads a CSV in chunks of 32 MiB and fetches several ahead of the parser: a bare
# scan of a 461 MB extract peaked at about 390 MiB, most of it raw text. Chunks of 4 MiB
# bring that to about 180 MiB and cost no measurable time (a national archive's files are mostly
# smaller than one chunk anyway). Set here, at import, before any query runs (no polars
# thread reads the environment meanwhile); a value the user set wins.
os.environ.setdefault("POLARS_CSV_CHUNK_SIZE", str(_CSV_CHUNK_BYTES))


@dataclass(frozen=True)
class StreamedFile:
    """One extract written whole to one staged partition file."""

    name: str
    path: Path
    force: str
    month: str
    rows: int
    agg: pl.DataFrame  # counts by force, month, span and dimensions; owns its memory


def counts_by_file(rows: FrameT, keys: list[str]) -> FrameT:
    """Each file's aggregate rows: counts by ``keys`` (force, month, span, dimensions)."""
    return rows.group_by([FILE, *keys]).agg(pl.len().cast(pl.Int64).alias("n"))


def available() -> bool:
    """Partitioned sinks arrived in polars 1.3x; older ones take the eager way."""
    return hasattr(pl, "PartitionBy")


def stream_batch(
    sources: Sequence[FilePeek],
    forces: ForceRegistry,
    options: ReadOptions,
    staged: Mapping[str, Path],
) -> tuple[str, list[StreamedFile]] | None:
    """Write each clean file of the batch to ``staged[name]``; None when any is not clean.

    An I/O error while writing (disk full, permissions) is raised as OSError: falling back
    would only meet it again.
    """
    if not available() or not sources:
        return None
    # A relative path from the provider would be taken as under the sink's base path.
    staged = {name: path.absolute() for name, path in staged.items()}
    kind = batch_kind(sources, options)
    mapping = None if kind is None else _forces_in_heads(sources, forces)
    if kind is None or mapping is None:
        return None
    typed = _typed_rows(sources, kind, mapping)
    if typed is None:
        return None
    plan, rows = typed
    keys = ["force", "month", "span", *DATASETS[kind].dimensions]
    written: list[Path] = []
    try:
        large = sum(s.size for s in sources) > _LARGE_BYTES
        with _ONE_LARGE_AT_A_TIME if large else contextlib.nullcontext():
            counts, lows = _write_and_count(rows, plan, keys, staged, written, large=large)
    except (pl.exceptions.PolarsError, OSError, AttributeError, TypeError) as exc:
        # AttributeError, TypeError: a polars whose partitioned sink changed shape (it is
        # marked unstable); the eager way still works, and the tests notice the change.
        _remove(written)
        error = as_os_error(exc)
        if isinstance(error, OSError) and error.errno is not None:
            raise error from None
        return None  # a bad value or an unknown force: the eager way names it
    files = _per_file(counts, keys, staged, written)
    if files is None or _not_clean(lows):
        _remove(written)
        return None
    return kind, files


def _typed_rows(
    sources: Sequence[FilePeek], kind: str, mapping: Mapping[str, str]
) -> tuple[PoliceUkColumns, pl.LazyFrame] | None:
    """The batch's rows typed and mapped as the one-pass reader does; None when the header
    repeats or lacks a column, or a row may be cut short (the eager way tells)."""
    scan = scan_extracts([s.name for s in sources], FILE)
    try:
        header = scan.collect_schema().names()
    except (pl.exceptions.PolarsError, OSError):
        return None
    stripped = [c.strip() if c != FILE else c for c in header]
    if len(set(stripped)) != len(stripped):
        return None  # a header that repeats a column
    plan = police_uk_columns(stripped, DATASETS[kind], (FILE,), strict=True)
    if plan is None or rows_may_be_short(sources, len(header) - 1):
        return None
    rows = scan.rename(dict(zip(header, stripped, strict=True))).select(
        *plan.exprs,
        _force_of(plan.falls_within, mapping).alias("force"),
        pl.lit(1, dtype=pl.Int32).alias("span"),
        FILE,
    )
    return plan, rows


def _sink(rows: pl.LazyFrame, staged: Mapping[str, Path], written: list[Path]) -> pl.LazyFrame:
    """Each file's rows to its own staged Parquet file (``written`` lists what was made)."""

    def path_for(args: Any) -> Path:
        name = str(args.partition_keys.item())
        path = staged[name] if args.index_in_partition == 0 else Path(f"{staged[name]}.extra")
        written.append(path)
        return path

    result: pl.LazyFrame = rows.sink_parquet(
        pl.PartitionBy(
            str(next(iter(staged.values())).parent),
            key=FILE,
            include_key=False,
            file_path_provider=path_for,
            approximate_bytes_per_file=1 << 62,  # one file per extract, however large
        ),
        compression="zstd",
        compression_level=1,
        statistics=False,
        sync_on_close="data",  # on the worker, so the commit's fsync finds nothing to do
        lazy=True,
    )
    return result


def _lows(rows: FrameT, plan: PoliceUkColumns) -> FrameT:
    """Each text column's smallest value and whether any coordinate is implausible."""
    return rows.select(
        *(pl.col(c).min() for _, c in plan.texts),
        implausible_coordinates(c for _, c in plan.numbers).alias(_IMPLAUSIBLE),
    )


def _not_clean(lows: pl.DataFrame) -> bool:
    implausible = bool(lows.get_column(_IMPLAUSIBLE).item())
    return implausible or any(blank_looking_low(low) for low in lows.drop(_IMPLAUSIBLE).row(0))


def _write_and_count(
    rows: pl.LazyFrame,
    plan: PoliceUkColumns,
    keys: list[str],
    staged: Mapping[str, Path],
    written: list[Path],
    *,
    large: bool,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Write, count and check the rows: in one pass over the CSV (both cores busy), or for a
    ``large`` batch, count and check first, then write (if clean), each a pass.

    In one pass the scan feeds three consumers, and when the writer falls behind, polars
    holds the rows it has not written yet: a 461 MB extract peaked anywhere from 330 to
    580 MiB. Two passes stay near 300 MiB, for about half as much time again, and only
    for files of more than 64 MiB (the archive's largest, the Met's, are about 20 MB).
    """
    if not large:
        _, counts, lows = pl.collect_all(
            [_sink(rows, staged, written), counts_by_file(rows, keys), _lows(rows, plan)]
        )
        return counts, lows
    counts, lows = pl.collect_all(
        [counts_by_file(rows, keys), _lows(rows, plan)], engine="streaming"
    )
    if not _not_clean(lows):
        _sink(rows, staged, written).collect()
    return counts, lows


def _force_of(column: str, mapping: Mapping[str, str]) -> pl.Expr:
    """Each row's force id; null for a spelling not in ``mapping`` (so ``_per_file`` finds
    two "forces" in the file and the batch goes the eager way, which names it).

    A when/then chain, not ``replace_strict``: that one is not streamed, and held a whole
    466 MB extract in memory (about 900 MiB at the peak instead of about 490).
    """
    value: Any = None
    for spelling, force in mapping.items():
        step = pl.col(column) == spelling
        value = pl.when(step) if value is None else value.when(step)
        value = value.then(pl.lit(force, dtype=pl.String))
    if value is None:
        return pl.lit(None, dtype=pl.String)
    result: pl.Expr = value.otherwise(pl.lit(None, dtype=pl.String))
    return result


def _per_file(
    counts: pl.DataFrame, keys: list[str], staged: Mapping[str, Path], written: list[Path]
) -> list[StreamedFile] | None:
    """One force-month per file, a valid month, every file written once."""
    if sorted(map(str, written)) != sorted(str(p) for p in staged.values()):
        return None  # a file without rows, or one split over several files
    per_file = counts.group_by(FILE).agg(
        pl.col("force").n_unique().alias("forces"),
        pl.col("month").n_unique().alias("months"),
        pl.col("force").first(),
        pl.col("month").first(),
        pl.col("n").sum(),
    )
    if per_file.height != len(staged):
        return None
    # The few hundred counts are copied out of the query's buffers once, then split.
    counts = counts.sort(keys)
    owned = pl.DataFrame(counts.to_dict(as_series=False), schema=counts.schema)
    aggs = owned.partition_by(FILE, as_dict=True, include_key=False)
    out = []
    for name, forces, months, force, month, rows in per_file.iter_rows():
        if forces != 1 or months != 1 or force is None or not is_month(month):
            return None  # several forces or months in one file: split the eager way
        path = staged[name]
        out.append(StreamedFile(name, path, force, month, int(rows), aggs[(name,)]))
    return out


def _forces_in_heads(sources: Sequence[FilePeek], forces: ForceRegistry) -> dict[str, str] | None:
    """The 'Falls within' spellings of the rows in the files' first bytes, mapped.

    A data.police.uk file names one force; a spelling not seen here leaves rows without a
    force (:func:`_force_of`) and the batch goes the eager way, which reads every value.
    """
    names: set[str | None] = set()
    for source in sources:
        head = source.head.removeprefix(codecs.BOM_UTF8)
        whole = len(source.head) >= source.size
        text = head[:_HEAD_ROWS_BYTES].decode("utf-8", errors="replace")
        if not whole or len(head) > _HEAD_ROWS_BYTES:  # the last line may be cut
            text = text[: text.rfind("\n") + 1]
        try:
            reader = csv.reader(io.StringIO(text))
            header = [c.strip().casefold() for c in next(reader, [])]
            if "falls within" not in header:
                return None
            column = header.index("falls within")
            names.update(row[column] if len(row) > column else None for row in reader if row)
        except csv.Error:
            return None  # a quoted field cut by the end of the head
    if not names:
        return None
    return force_mapping(names, forces)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
