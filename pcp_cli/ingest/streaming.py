"""Clean data.police.uk files parsed, checked and written by streaming polars queries.

The query reads a batch of files, casts and maps them as the one-pass reader does
(:func:`pcp_cli.ingest.readers.police_uk_columns`) and writes each file's rows to its own
staged partition file, while the same scan yields the per-file counts (the aggregates)
and each text column's smallest value (the blank-text check). Nothing is held in memory
but the query's buffers, and both cores stay busy, as in a bare ``scan_csv →
sink_parquet``. A large file is counted and checked first, then written, by force and
month when it holds several (a year of street files pasted into one CSV).

It only ever declines: whenever a file might not be clean (an unknown force, a value
that is not a number, blank-looking text, a small file holding several force-months, or
a polars without partitioned sinks) its staged files are removed and the batch goes the
eager way, which gives the same rows or names the problem.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import threading
from collections.abc import Callable, Mapping, Sequence
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
# A large file of several force-months is written this many at a time (each pass over the
# whole CSV), in row groups this small: about 4 MiB a partition open in a pass.
_PARTS_PER_PASS = 24
_PART_ROW_GROUP_ROWS = 8192
# Beyond this many passes (1,536 force-months: three national years in one file, or a file
# that is not what it claims) the eager way is quicker, and names what is wrong.
_MAX_PASSES = 64

# polars reads a CSV in chunks of 32 MiB and fetches several ahead of the parser: a bare
# scan of a 461 MB extract peaked at about 390 MiB, most of it raw text. Chunks of 4 MiB
# bring that to about 180 MiB and cost no measurable time (a national archive's files are mostly
# smaller than one chunk anyway). Set here, at import, before any query runs (no polars
# thread reads the environment meanwhile); a value the user set wins.
os.environ.setdefault("POLARS_CSV_CHUNK_SIZE", str(_CSV_CHUNK_BYTES))


@dataclass(frozen=True)
class StreamedPart:
    """One force-month of an extract, written to one staged partition file."""

    force: str
    month: str
    path: Path
    rows: int
    agg: pl.DataFrame  # counts by force, month, span and dimensions; owns its memory


@dataclass(frozen=True)
class StreamedFile:
    """One extract's rows, written by force and month (a data.police.uk file: one part)."""

    name: str
    parts: tuple[StreamedPart, ...]

    @property
    def rows(self) -> int:
        return sum(part.rows for part in self.parts)


# Where the n-th force-month partition of a file is staged: stage(file name, n).
Stage = Callable[[str, int], Path]
_PartKey = tuple[str, str, str]  # file, force, month
_FALLS_WITHIN = "falls_within"  # the stored column of the force's spelling


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
    stage: Stage,
) -> tuple[str, list[StreamedFile]] | None:
    """Write each clean file of the batch to its staged partition files; None when any
    file is not clean (nothing is then left staged).

    An I/O error while writing (disk full, permissions) is raised as OSError: falling back
    would only meet it again.
    """
    if not available() or not sources:
        return None
    kind = batch_kind(sources, options)
    if kind is None:
        return None

    def absolute(name: str, n: int) -> Path:
        # A relative path from the provider would be taken as under the sink's base path.
        return stage(name, n).absolute()

    written: list[Path] = []
    large = sum(s.size for s in sources) > _LARGE_BYTES
    try:
        with _ONE_LARGE_AT_A_TIME if large else contextlib.nullcontext():
            way = _count_then_write if large else _write_and_count
            files = way(sources, kind, forces, absolute, written)
    except (pl.exceptions.PolarsError, OSError, AttributeError, TypeError) as exc:
        # AttributeError, TypeError: a polars whose partitioned sink changed shape (it is
        # marked unstable); the eager way still works, and the tests notice the change.
        _remove(written)
        error = as_os_error(exc)
        if isinstance(error, OSError) and error.errno is not None:
            raise error from None
        return None  # a bad value or an unknown force: the eager way names it
    if files is None:
        _remove(written)
        return None
    return kind, files


def _typed_rows(
    sources: Sequence[FilePeek], kind: str
) -> tuple[PoliceUkColumns, pl.LazyFrame] | None:
    """The batch's rows typed as the one-pass reader does, without their force (see
    :func:`_with_force`); None when the header repeats or lacks a column, or a row may be
    cut short (the eager way tells)."""
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
    rows = scan.rename(dict(zip(header, stripped, strict=True))).select(*plan.exprs, FILE)
    return plan, rows


def _with_force(rows: pl.LazyFrame, mapping: Mapping[str, str] | None) -> pl.LazyFrame:
    """The rows with their force and span, in the columns' stored order; ``mapping`` None:
    the force is the 'Falls within' spelling, to be looked up once all are known."""
    spelling = pl.col(_FALLS_WITHIN)
    force = spelling if mapping is None else _force_of(spelling, mapping)
    return rows.select(
        pl.exclude(FILE), force.alias("force"), pl.lit(1, dtype=pl.Int32).alias("span"), FILE
    )


def _sink(
    rows: pl.LazyFrame,
    key: Mapping[str, pl.Expr],
    path_of: Callable[[tuple[Any, ...]], Path],
    base: Path,
    written: list[Path],
    **options: Any,
) -> pl.LazyFrame:
    """The rows of each ``key`` to their own staged Parquet file, ``path_of(key values)``.

    ``written`` lists what was made: a key's rows go whole to one file however large,
    or a second file (``.extra``) shows that polars split them.
    """

    def path_for(args: Any) -> Path:
        path = path_of(args.partition_keys.row(0))
        if args.index_in_partition:
            path = Path(f"{path}.extra")
        written.append(path)
        return path

    result: pl.LazyFrame = rows.sink_parquet(
        pl.PartitionBy(
            str(base),
            key=dict(key),
            include_key=False,
            file_path_provider=path_for,
            approximate_bytes_per_file=1 << 62,  # one file per key, however large
        ),
        compression="zstd",
        compression_level=1,
        statistics=False,
        sync_on_close="data",  # on the worker, so the commit's fsync finds nothing to do
        lazy=True,
        **options,
    )
    return result


def _sink_by_file(
    rows: pl.LazyFrame, staged: Mapping[str, Path], written: list[Path]
) -> pl.LazyFrame:
    """Each file's rows (one force-month each) to its own staged file."""
    base = next(iter(staged.values())).parent
    return _sink(rows, {FILE: pl.col(FILE)}, lambda key: staged[key[0]], base, written)


def _sink_by_part(
    rows: pl.LazyFrame, staged: Mapping[_PartKey, Path], written: list[Path]
) -> pl.LazyFrame:
    """Each force-month of each file to its own staged file; force and month stay columns.

    Every partition open at once holds a row group of rows until the end: small row
    groups keep that to a few MiB a partition. A force-month the counting pass did not
    see (the file changed in between) goes to a file of its own, which the caller finds
    among those written and refuses.
    """
    key = {FILE: pl.col(FILE), "_pcp_force": pl.col("force"), "_pcp_month": pl.col("month")}
    base = next(iter(staged.values())).parent

    def path_of(values: tuple[Any, ...]) -> Path:
        part = (str(values[0]), str(values[1]), str(values[2]))
        return staged.get(part) or base / f"unexpected-{len(written)}-{id(staged)}.parquet"

    return _sink(rows, key, path_of, base, written, row_group_size=_PART_ROW_GROUP_ROWS)


def _lows(rows: FrameT, plan: PoliceUkColumns) -> FrameT:
    """Each text column's smallest value and whether any coordinate is implausible."""
    return rows.select(
        *(pl.col(c).min() for _, c in plan.texts),
        implausible_coordinates(c for _, c in plan.numbers).alias(_IMPLAUSIBLE),
    )


def _not_clean(lows: pl.DataFrame) -> bool:
    implausible = bool(lows.get_column(_IMPLAUSIBLE).item())
    return implausible or any(blank_looking_low(low) for low in lows.drop(_IMPLAUSIBLE).row(0))


def _keys(kind: str) -> list[str]:
    return ["force", "month", "span", *DATASETS[kind].dimensions]


def _write_and_count(
    sources: Sequence[FilePeek], kind: str, forces: ForceRegistry, stage: Stage, written: list[Path]
) -> list[StreamedFile] | None:
    """Write, count and check a batch of files of one force-month each in one pass over
    the CSV (both cores busy). The forces are those of the files' first rows: a file of
    several forces or months is found after writing, and written again by force and month
    (:func:`_count_then_write`).

    The scan feeds three consumers, and when the writer falls behind, polars holds the
    rows it has not written yet: a 461 MB extract peaked anywhere from 330 to 580 MiB.
    That is why a large batch takes :func:`_count_then_write` instead.
    """
    mapping = _forces_in_heads(sources, forces)
    typed = None if mapping is None else _typed_rows(sources, kind)
    if typed is None:
        return None
    plan, rows = typed[0], _with_force(typed[1], mapping)
    keys = _keys(kind)
    staged = {s.name: stage(s.name, 0) for s in sources}
    _, counts, lows = pl.collect_all(
        [_sink_by_file(rows, staged, written), counts_by_file(rows, keys), _lows(rows, plan)]
    )
    if _not_clean(lows):
        return None
    files = _per_file(counts, keys, staged, written)
    parts = counts.select(pl.struct(FILE, "force", "month").n_unique()).item()
    if files is None and parts > len(sources):
        # A file of several forces or months (or of a force its first rows do not name):
        # written again by force and month, each spelling looked up first.
        _remove(written)
        written.clear()
        return _count_then_write(sources, kind, forces, stage, written)
    return files


def _count_then_write(
    sources: Sequence[FilePeek], kind: str, forces: ForceRegistry, stage: Stage, written: list[Path]
) -> list[StreamedFile] | None:
    """A large batch (in practice one large file), or one found to hold a file of several
    force-months: count and check it in one pass, then, if clean, write it, by file, or by
    force and month when a file holds several (a year of street files pasted into one
    CSV, several forces' files).

    Two passes stay near 300 MiB for a 461 MB file of one force-month (one pass: 330 to
    580 MiB). The first pass counts by the 'Falls within' spelling as it is, so every
    spelling in the file is known (and looked up) before anything is written.
    """
    typed = _typed_rows(sources, kind)
    if typed is None:
        return None
    plan, spelled = typed[0], _with_force(typed[1], None)
    keys = _keys(kind)
    counts, lows = pl.collect_all(
        [counts_by_file(spelled, keys), _lows(spelled, plan)], engine="streaming"
    )
    if _not_clean(lows):
        return None
    mapped = _counts_by_force(counts, forces)
    if mapped is None or set(mapped[0][FILE]) != {s.name for s in sources}:
        return None  # an unknown force or month, or a file without rows: the eager way
    counts, mapping = mapped
    rows = _with_force(typed[1], mapping)
    parts = sorted(set(counts.select(FILE, "force", "month").iter_rows()))
    if len(parts) > _PARTS_PER_PASS * _MAX_PASSES:
        return None
    if len(parts) == len(sources):  # one force-month a file: the data.police.uk layout
        staged = {s.name: stage(s.name, 0) for s in sources}
        _sink_by_file(rows, staged, written).collect()
        return _per_file(counts, keys, staged, written)
    return _write_parts(rows, counts, keys, parts, stage, written)


def _counts_by_force(
    counts: pl.DataFrame, forces: ForceRegistry
) -> tuple[pl.DataFrame, dict[str, str]] | None:
    """Counts by 'Falls within' spelling made counts by force (two spellings of one force
    add up), and the spellings' forces; None for a blank or unknown force or a month that
    is not one (the eager way names the line)."""
    mapping = force_mapping(counts.get_column("force").unique().to_list(), forces)
    if mapping is None or not all(map(is_month, counts.get_column("month").unique())):
        return None
    keys = [c for c in counts.columns if c != "n"]
    by_force = (
        counts.with_columns(pl.col("force").replace_strict(mapping, return_dtype=pl.String))
        .group_by(keys)
        .agg(pl.col("n").sum())
    )
    return by_force, mapping


def _write_parts(
    rows: pl.LazyFrame,
    counts: pl.DataFrame,
    keys: list[str],
    parts: list[_PartKey],
    stage: Stage,
    written: list[Path],
) -> list[StreamedFile] | None:
    """Write each force-month of each file to its own staged file, at most
    ``_PARTS_PER_PASS`` of them per pass over the CSV, so memory does not grow with the
    number of months or forces (a year of one force: one pass; a national year of 516
    force-months: 22, each as long as the first)."""
    staged: dict[_PartKey, Path] = {}
    for name in dict.fromkeys(name for name, _, _ in parts):
        mine = [p for p in parts if p[0] == name]
        staged.update((part, stage(name, n)) for n, part in enumerate(mine))
    for start in range(0, len(parts), _PARTS_PER_PASS):
        group = parts[start : start + _PARTS_PER_PASS]
        chosen = rows if len(group) == len(parts) else rows.filter(_one_of(group))
        _sink_by_part(chosen, {part: staged[part] for part in group}, written).collect()
    if sorted(map(str, written)) != sorted(str(p) for p in staged.values()):
        return None  # a part split over several files, or one not counted: the eager way
    aggs = _owned(counts.sort(keys)).partition_by([FILE, "force", "month"], as_dict=True)
    by_file: dict[str, list[StreamedPart]] = {}
    for name, force, month in parts:
        agg = aggs[(name, force, month)].drop(FILE)
        part = StreamedPart(force, month, staged[(name, force, month)], int(agg["n"].sum()), agg)
        by_file.setdefault(name, []).append(part)
    return [StreamedFile(name, tuple(found)) for name, found in by_file.items()]


def _one_of(parts: Sequence[_PartKey]) -> pl.Expr:
    """The rows of these force-months (of these files)."""
    months: dict[tuple[str, str], list[str]] = {}
    for name, force, month in parts:
        months.setdefault((name, force), []).append(month)
    return pl.any_horizontal(
        (pl.col(FILE) == name) & (pl.col("force") == force) & pl.col("month").is_in(chosen)
        for (name, force), chosen in months.items()
    )


def _owned(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of a few hundred counts out of the query's buffers (polars strings are
    views: a kept slice would keep the buffers alive)."""
    return pl.DataFrame(frame.to_dict(as_series=False), schema=frame.schema)


def _force_of(spelling: pl.Expr, mapping: Mapping[str, str]) -> pl.Expr:
    """Each row's force id; null for a spelling not in ``mapping`` (so ``_per_file`` finds
    two "forces" in the file and the batch goes the eager way, which names it).

    A when/then chain, not ``replace_strict``: that one is not streamed, and held a whole
    466 MB extract in memory (about 900 MiB at the peak instead of about 490).
    """
    value: Any = None
    for name, force in mapping.items():
        step = spelling == name
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
    aggs = _owned(counts.sort(keys)).partition_by(FILE, as_dict=True, include_key=False)
    out = []
    for name, forces, months, force, month, rows in per_file.iter_rows():
        if forces != 1 or months != 1 or force is None or not is_month(month):
            return None  # several forces or months in one file: split the eager way
        part = StreamedPart(force, month, staged[name], int(rows), aggs[(name,)])
        out.append(StreamedFile(name, (part,)))
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
