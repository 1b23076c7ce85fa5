"""Ingest extracts into the store as one atomic transaction.

Files are read, checked and written one at a time (two at once, on two worker threads),
so memory stays flat however many files a run takes: each force-month partition goes to
the transaction's staging folder as soon as its file is parsed, and only its small
aggregate stays in memory until the commit. Any error leaves the store unchanged.
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from pcp_cli.datasets import DATASETS, DatasetSpec
from pcp_cli.errors import DataError, NoDataError, StoreError, UsageError
from pcp_cli.forces import ForceRegistry
from pcp_cli.ingest.readers import (
    FilePeek,
    ReadOptions,
    Source,
    fast_batch,
    first_line,
    parse,
    peek_file,
)
from pcp_cli.ingest.rows import BadRows
from pcp_cli.ingest.streaming import FILE, StreamedFile, counts_by_file, stream_batch
from pcp_cli.store import (
    Manifest,
    Store,
    StoreReader,
    Transaction,
    file_sha256,
    partition_key,
    write_parquet,
)
from pcp_cli.tomlload import path_kind

STDIN = "-"
WORKERS = int(os.environ.get("PCP_INGEST_WORKERS", "2"))  # files in work at once
BATCH_BYTES = 16 * 1024 * 1024  # files read together (also what bounds memory)
BATCH_FILES = 64
_SNIFF_BYTES = 64 * 1024  # where a NUL byte says stdin is not text


@dataclass
class FileResult:
    name: str
    kind: str
    rows: int
    status: str  # "ingested" or "unchanged"
    rejected: int = 0
    forces: tuple[str, ...] = ()
    months: tuple[str, str] | None = None


class Progress:
    """Receives progress events; the CLI draws a bar from them. The default does nothing."""

    def start(self, files: int, total_bytes: int) -> None:
        """Called once, before the first file is read, with the totals."""

    def advance(self, result: FileResult, nbytes: int) -> None:
        """Called after each file, in order."""


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)
    rejects_path: Path | None = None
    rebuilt: bool = False

    @property
    def ingested(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "ingested"]

    @property
    def unchanged(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "unchanged"]

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.ingested)

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
        verb = "rebuilt the store from" if self.rebuilt else "ingested"
        text = f"{verb} {len(self.ingested)} file(s), {rows:,} rows ({kinds})"
        if forces:  # a lookup of areas names no force
            text += f"; {len(forces)} force(s): {shown}{months}"
        if self.unchanged:
            text += f"; {len(self.unchanged)} unchanged file(s) skipped"
        if self.rejected:
            text += f"; {self.rejected:,} bad row(s) rejected to {self.rejects_path}"
        return text


def expand_paths(paths: Iterable[str], exclude: Sequence[str] = ()) -> list[str]:
    """Files, directories (recursively, *.csv) and globs, in a stable order.

    ``exclude`` patterns (shell globs) drop a file when they match its name or its path,
    so a folder can be ingested without the notes or lookup tables kept beside extracts.
    """
    out: list[str] = []
    for raw in paths:
        if raw == STDIN:
            out.append(STDIN)
            continue
        path = Path(raw)
        if path.is_dir():
            found = _csv_files_under(path)
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
            out.append(_not_a_file(raw))
    names = list(dict.fromkeys(out))
    if not exclude:
        return names
    kept = [n for n in names if n == STDIN or not _excluded(n, exclude)]
    if not kept:
        raise UsageError(
            f"--exclude {' '.join(repr(p) for p in exclude)} leaves no files to ingest"
        )
    return kept


def _csv_files_under(folder: Path) -> list[str]:
    """Every .csv file under a folder; a subfolder that cannot be read is an error, not a
    silent gap in the data."""

    def unreadable(exc: OSError) -> None:
        where = exc.filename or folder
        raise DataError(
            f"{where}: cannot read this folder ({exc.strerror})",
            hint="give pcp read access to it, or leave it out with --exclude",
        )

    found = []
    for top, _dirs, files in os.walk(folder, onerror=unreadable):
        for name in files:
            candidate = Path(top, name)
            if candidate.suffix.lower() == ".csv" and candidate.is_file():
                found.append(str(candidate))
    return sorted(found)


def _not_a_file(raw: str) -> str:
    """Say what a path that is neither a file nor a folder is (never "no such file")."""
    try:
        kind = path_kind(Path(raw))
    except FileNotFoundError:
        raise UsageError(f"{raw}: no such file or directory") from None
    except OSError as exc:
        raise DataError(f"{raw}: cannot read ({exc.strerror})") from None
    hint = "give the extract files, or a folder of them"
    if kind is not None and "FIFO" in kind:
        hint = f"pcp reads a pipe as stdin: pcp ingest - --kind KIND < {raw}"
    raise UsageError(f"{raw} is {kind}, not an extract file", hint=hint)


def _excluded(name: str, patterns: Sequence[str]) -> bool:
    path = Path(name)
    return any(
        fnmatch.fnmatchcase(path.name, pattern) or path.match(pattern) for pattern in patterns
    )


def _read_source(name: str, shown: str | None = None) -> Source:
    try:
        return Source(shown or name, Path(name).read_bytes())
    except OSError as exc:
        raise DataError(f"{shown or name}: cannot read ({exc.strerror})") from None


def _spool_stdin(tx: Transaction, index: int) -> Path:
    """Copy stdin to the staging folder in chunks, so it is read like any file: streamed,
    never held whole (the copy goes when the transaction ends)."""
    if sys.stdin is None:
        raise UsageError("stdin is closed: there is nothing to read from '-'")
    path = tx.staging_file(f"stdin-{index}.csv")
    try:
        with path.open("wb") as out:
            first = True
            while chunk := sys.stdin.buffer.read(1 << 20):
                if first and b"\x00" in chunk[:_SNIFF_BYTES]:
                    raise DataError(
                        "<stdin>: holds binary data (NUL bytes), not a CSV extract",
                        hint="is it /dev/zero, or a compressed file? pipe the CSV text",
                    )
                first = False
                out.write(chunk)
    except OSError as exc:
        raise _staging_error(exc, tx) from None
    return path


def aggregate(spec: DatasetSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """Counts by force, month, span and the KPI filter columns: what most questions need."""
    if spec.name == "population":
        return frame.select("force", "year", "population")
    if spec.name == "areas":  # a lookup: kept whole
        return frame.select("lsoa_code", "area", "area_type", "population")
    keys = ["force", "month", "span", *spec.dimensions]
    measure = (
        pl.len().cast(pl.Int64) if spec.value_column is None else pl.col(spec.value_column).sum()
    )
    extras = [pl.col(c).sum() for c in spec.extra_columns]
    return frame.group_by(keys).agg(measure.alias("n"), *extras).sort(keys)


# -- one file, on a worker thread --------------------------------------------------------
@dataclass
class _Item:
    """A file to read and the options to read it with."""

    name: str
    options: ReadOptions
    expected_sha256: str | None = None  # rebuild: the recorded hash
    shown: str | None = None  # the name in messages, if not the path (stdin's copy)

    @property
    def display(self) -> str:
        return self.shown or _display(self.name)


@dataclass
class _StagedPart:
    key: str
    path: Path
    rows: int
    agg: pl.DataFrame
    sha256: str | None = None  # taken on the worker that wrote it


@dataclass
class _Prepared:
    item: _Item
    size: int
    sha256: str
    kind: str = "?"
    result: FileResult | None = None  # None: unchanged (skipped)
    rejects: pl.DataFrame | None = None
    staged: list[_StagedPart] = field(default_factory=list)  # force-month datasets
    frame: pl.DataFrame | None = None  # other datasets: merged in memory (they are small)
    unchanged_info: dict[str, Any] | None = None


def _prepare(
    index: int,
    item: _Item,
    tx: Transaction,
    forces: ForceRegistry,
    known: Manifest,
) -> _Prepared:
    source = _read_source(item.name, item.shown)
    prepared = _check_source(item, source.sha256, source.size, known)
    if prepared.unchanged_info is None:
        _parse_and_stage(prepared, source, index, tx, forces)
    return prepared


def _peek(name: str) -> FilePeek:
    try:
        return peek_file(name)
    except OSError as exc:
        raise DataError(f"{name}: cannot read ({exc.strerror})") from None


def _check_source(item: _Item, sha: str, size: int, known: Manifest) -> _Prepared:
    """Is the file what a rebuild expects, and is it already in the store?"""
    if item.expected_sha256 is not None and sha != item.expected_sha256:
        raise DataError(
            f"{item.name}: changed since it was ingested (SHA-256 {sha[:12]}…, "
            f"recorded {item.expected_sha256[:12]}…)",
            hint="restore the original file, or move the store aside and ingest what you have",
        )
    prepared = _Prepared(item, size, sha)
    info = known.sources.get(sha)
    if item.expected_sha256 is None and info is not None and _same_context(info, item):
        prepared.unchanged_info = info
    return prepared


def _parse_and_stage(
    prepared: _Prepared, source: Source, index: int, tx: Transaction, forces: ForceRegistry
) -> None:
    parsed = parse(source, forces, prepared.item.options)
    frame = parsed.frame
    if parsed.kind == "crime-records":  # victim references never reach a file
        from pcp_cli.ingest.records import pseudonymise, store_secret

        frame = pseudonymise(frame, store_secret(tx.store.root))
    if parsed.rejects.height:
        prepared.rejects = parsed.rejects.with_columns(pl.lit(prepared.item.display).alias("file"))
    spec = DATASETS[parsed.kind]
    if spec.partitioning == "force-month":
        parts = list(_split(spec, frame))
        aggs = [_compact(aggregate(spec, part)) for _, part in parts]
        _stage_parts(prepared, parsed.kind, parts, aggs, index, tx)
        prepared.result = _file_result(prepared, parsed.kind, frame.height, parsed.rejects.height)
        return
    # Merged partitions (counts, survey, population) mix extracts: each row names its own.
    frame = frame.with_columns(pl.lit(prepared.sha256).alias("source_sha256"))
    prepared.kind = parsed.kind
    prepared.frame = frame
    span = None
    if "month" in frame.columns and frame.height:
        span = (str(frame.get_column("month").min()), str(frame.get_column("month").max()))
    prepared.result = FileResult(
        name=prepared.item.display,
        kind=parsed.kind,
        rows=frame.height,
        status="ingested",
        rejected=parsed.rejects.height,
        forces=(
            tuple(sorted(frame.get_column("force").unique().to_list()))
            if "force" in frame.columns  # a lookup of areas names no force
            else ()
        ),
        months=span,
    )


def _compact(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy that owns its memory.

    Polars strings are views into the buffers of the frame they came from, so a small
    aggregate kept until the commit would keep each whole extract alive with it.
    """
    return pl.DataFrame(frame.to_dict(as_series=False), schema=frame.schema)


def _stage_parts(
    prepared: _Prepared,
    kind: str,
    parts: list[tuple[str, pl.DataFrame]],
    aggs: list[pl.DataFrame],
    index: int,
    tx: Transaction,
) -> None:
    """Write a file's force-month partitions to the staging folder at once.

    A force-month partition always comes whole from one extract, which the manifest
    names, so its rows carry no source column.
    """
    prepared.kind = kind
    for n, ((key, part), agg) in enumerate(zip(parts, aggs, strict=True)):
        path = tx.staging_file(f"{index}-{n}.parquet")
        try:
            write_parquet(part, path, raw=True)
            sha = file_sha256(path)
        except OSError as exc:
            raise _staging_error(exc, tx) from None
        prepared.staged.append(_StagedPart(key, path, part.height, agg, sha))


def _file_result(prepared: _Prepared, kind: str, rows: int, rejected: int) -> FileResult:
    keys = [p.key for p in prepared.staged]
    months = sorted(k.split("/")[1] for k in keys)
    return FileResult(
        name=prepared.item.display,
        kind=kind,
        rows=rows,
        status="ingested",
        rejected=rejected,
        forces=tuple(sorted({k.split("/")[0] for k in keys})),
        months=(months[0], months[-1]) if months else None,
    )


def _prepare_batch(
    batch: list[tuple[int, _Item]],
    tx: Transaction,
    forces: ForceRegistry,
    known: Manifest,
) -> list[_Prepared]:
    """Clean data.police.uk files in one streaming pass (or one eager pass), anything else
    one by one."""
    if len(batch) == 1 and batch[0][1].name == STDIN:
        index, item = batch[0]
        spooled = _Item(str(_spool_stdin(tx, index)), item.options, shown="<stdin>")
        batch = [(index, spooled)]
    out: list[_Prepared] = []
    todo: list[tuple[int, _Prepared, FilePeek]] = []
    for index, item in batch:
        # Hashed in chunks: the bytes are only needed if polars cannot read the batch.
        peek = _peek(item.name)
        prepared = _check_source(item, peek.sha256, peek.size, known)
        out.append(prepared)
        if prepared.unchanged_info is None:
            todo.append((index, prepared, peek))
    todo = _stream_groups(todo, tx, forces, {p.item.name: p for p in out})
    options = {t[1].item.options for t in todo}
    fast = None
    if len(todo) > 1 and len(options) == 1:
        fast = fast_batch([t[2] for t in todo], forces, options.pop(), FILE)
    if fast is None:
        for index, prepared, _ in todo:
            source = _read_source(prepared.item.name, prepared.item.shown)
            if source.sha256 != prepared.sha256:
                raise DataError(
                    f"{prepared.item.display}: changed while it was being ingested",
                    hint="run the ingest again once the file is complete",
                )
            _parse_and_stage(prepared, source, index, tx, forces)
        return out
    _stage_batch(fast, {p.item.name: p for p in out}, batch, tx)
    return out


def _stage_batch(
    fast: tuple[str, pl.DataFrame],
    prepared_by_name: dict[str, _Prepared],
    batch: list[tuple[int, _Item]],
    tx: Transaction,
) -> None:
    """Split a batch frame into its files' partitions (zero-copy slices) and stage them."""
    kind, frame = fast
    spec = DATASETS[kind]
    keys = ["force", "month", "span", *spec.dimensions]
    counts = counts_by_file(frame, keys).sort(keys)
    aggs = _compact(counts).partition_by([FILE, "force", "month"], as_dict=True)
    # Rows come file by file, in input order (scan_csv keeps it): slice, don't copy.
    lengths = frame.group_by(FILE, maintain_order=True).len()
    offsets = dict(zip(lengths[FILE], lengths["len"], strict=True))
    index_of = {item.name: index for index, item in batch}
    start = 0
    for name in lengths[FILE].to_list():
        rows = int(offsets[name])
        piece = frame.slice(start, rows).drop(FILE)
        start += rows
        mine = [k for k in aggs if k[0] == name]
        if len(mine) == 1:
            _, force, month = mine[0]
            parts = [(partition_key(spec, str(force), str(month)), piece)]
        else:
            parts = list(_split(spec, piece))
        file_aggs = [aggs[(name, *key.split("/"))].drop(FILE) for key, _ in parts]
        prepared = prepared_by_name[name]
        _stage_parts(prepared, kind, parts, file_aggs, index_of[name], tx)
        prepared.result = _file_result(prepared, kind, rows, 0)


def _stream_groups(
    todo: list[tuple[int, _Prepared, FilePeek]],
    tx: Transaction,
    forces: ForceRegistry,
    prepared_by_name: dict[str, _Prepared],
) -> list[tuple[int, _Prepared, FilePeek]]:
    """Stream the files of each header and options together (a data.police.uk month folder
    mixes street, outcomes and stop and search files); return those left for the eager
    ways, in input order."""
    groups: dict[tuple[bytes | None, ReadOptions], list[tuple[int, _Prepared, FilePeek]]] = {}
    for entry in todo:
        groups.setdefault((first_line(entry[2]), entry[1].item.options), []).append(entry)
    left = []
    for (_, options), group in groups.items():
        index_of = {p.item.name: i for i, p, _ in group}

        def stage(name: str, n: int, index_of: dict[str, int] = index_of) -> Path:
            return tx.staging_file(f"{index_of[name]}-{n}.parquet")

        try:
            streamed = stream_batch([t[2] for t in group], forces, options, stage)
        except OSError as exc:
            raise _staging_error(exc, tx) from None
        if streamed is None:
            left += group
        else:
            _stage_streamed(streamed, prepared_by_name)
    return sorted(left, key=lambda entry: entry[0])


def _stage_streamed(
    streamed: tuple[str, list[StreamedFile]], prepared_by_name: dict[str, _Prepared]
) -> None:
    kind, files = streamed
    spec = DATASETS[kind]
    for f in files:
        prepared = prepared_by_name[f.name]
        prepared.kind = kind
        for part in f.parts:
            key = partition_key(spec, part.force, part.month)
            sha = file_sha256(part.path)
            prepared.staged.append(_StagedPart(key, part.path, part.rows, part.agg, sha))
        prepared.result = _file_result(prepared, kind, f.rows, 0)


def _staging_error(exc: OSError, tx: Transaction) -> StoreError:
    from pcp_cli.store import _write_error

    return _write_error(exc, tx.staging)


def _display(name: str) -> str:
    return "<stdin>" if name == STDIN else name


def _split(spec: DatasetSpec, frame: pl.DataFrame) -> Iterator[tuple[str, pl.DataFrame]]:
    if spec.partitioning == "single":
        yield "all", frame
        return
    by = ["force", "month"] if spec.partitioning == "force-month" else ["force"]
    if frame.height and frame.select(pl.col(c).n_unique() == 1 for c in by).row(0) == (True,) * len(
        by
    ):
        # One partition (a data.police.uk file holds one force and month): no copy.
        first = frame.select(by).row(0)
        month = str(first[1]) if len(first) > 1 else None
        yield partition_key(spec, str(first[0]), month), frame
        return
    for values, part in frame.partition_by(by, as_dict=True, maintain_order=True).items():
        force = str(values[0])
        month = str(values[1]) if len(values) > 1 else None
        yield partition_key(spec, force, month), part


def _same_context(info: dict[str, Any], item: _Item) -> bool:
    """Stop and search files take their force from the name or --force, not the content."""
    if info.get("kind") == "crime-records" or item.options.map_file:
        # The same export read with another (or an edited) column map, or for another
        # force, gives other rows.
        from pcp_cli.ingest.records import map_digest

        same_force = (
            str(info.get("force_option") or "").casefold() == (item.options.force or "").casefold()
        )
        return same_force and info.get("map_sha256") == map_digest(item.options.map_file)
    if info.get("kind") != "stop-search":
        return True
    slug = Path(item.name).name[8:].removesuffix("-stop-and-search.csv")
    wanted = (item.options.force or slug).casefold()
    return wanted in [str(f).casefold() for f in info.get("forces", [])]


# -- the run ---------------------------------------------------------------------------
class _Run:
    """Applies prepared files to the transaction in input order."""

    def __init__(self, tx: Transaction, summary: IngestSummary, progress: Progress) -> None:
        self.tx = tx
        self.summary = summary
        self.progress = progress
        self.reader = tx.reader()
        self.seen: set[str] = set()
        # force-month datasets: partition key -> aggregate of the staged partition
        self.aggs: dict[str, dict[str, pl.DataFrame]] = {}
        # other datasets: partition key -> merged frame
        self.pending: dict[str, dict[str, pl.DataFrame]] = {}
        self.rejects: list[pl.DataFrame] = []
        self.seq = tx.next_seq()

    def apply(self, p: _Prepared) -> None:
        name = p.item.display
        if p.unchanged_info is not None or p.sha256 in self.seen:
            info = p.unchanged_info or {}
            result = FileResult(
                name, str(info.get("kind", p.kind)), int(info.get("rows", 0)), "unchanged"
            )
            self.summary.files.append(result)
            for part in p.staged:
                part.path.unlink(missing_ok=True)
            self.progress.advance(result, p.size)
            return
        assert p.result is not None
        self.seen.add(p.sha256)
        spec = DATASETS[p.kind]
        for part in p.staged:
            self.tx.replace_partition(
                spec,
                part.key,
                None,
                [p.sha256],
                staged=part.path,
                rows=part.rows,
                sha256=part.sha256,
            )
            self.aggs.setdefault(spec.name, {})[part.key] = part.agg
        if p.frame is not None:
            self._merge(spec, p.frame)
        if p.rejects is not None:
            self.rejects.append(p.rejects)
        options = p.item.options
        self.tx.add_source(
            p.sha256,
            {
                "path": name if name == "<stdin>" else os.path.abspath(name),
                "size": p.size,
                "sha256": p.sha256,
                "kind": p.kind,
                "rows": p.result.rows,
                "forces": list(p.result.forces),
                "ingested_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "seq": self.seq,
                "encoding": options.encoding,
                "force_option": options.force,
                "on_bad_rows": options.on_bad_rows,
                **_map_info(options),
            },
        )
        self.seq += 1
        self.summary.files.append(p.result)
        self.progress.advance(p.result, p.size)

    def _merge(self, spec: DatasetSpec, frame: pl.DataFrame) -> None:
        parts = self.pending.setdefault(spec.name, {})
        for key, part in _split(spec, frame):
            base = parts.get(key)
            if base is None:
                base = self.reader.read_partition(spec.name, key)
            if base is not None and base.height:
                base = base.join(
                    part.select(spec.replace_key).unique(),
                    on=list(spec.replace_key),
                    how="anti",
                    nulls_equal=True,
                )
                part = pl.concat([base, part], how="diagonal_relaxed")
            parts[key] = part

    def finish(self) -> None:
        """Stage merged partitions and every changed dataset's aggregate."""
        for dataset, parts in self.pending.items():
            spec = DATASETS[dataset]
            for key, frame in parts.items():
                sources = frame.get_column("source_sha256").unique().to_list()
                self.tx.replace_partition(spec, key, frame, sources)
                self.aggs.setdefault(dataset, {})[key] = aggregate(spec, frame)
        for dataset, by_key in self.aggs.items():
            spec = DATASETS[dataset]
            old = None
            if self.reader.manifest.aggregate_file(dataset):
                old = _drop_partitions(spec, self.reader.aggregate(dataset).collect(), list(by_key))
            frames = [x for x in (old, *by_key.values()) if x is not None]
            combined = pl.concat(frames, how="diagonal_relaxed")
            if spec.name not in ("population", "areas"):
                combined = combined.sort(["force", "month", "span", *spec.dimensions])
            self.tx.set_aggregate(dataset, combined)


def _map_info(options: ReadOptions) -> dict[str, Any]:
    """A records extract's column map, recorded so a rebuild reads the export the same way."""
    if not options.map_file:
        return {}
    from pcp_cli.ingest.records import map_digest

    return {
        "map_file": os.path.abspath(options.map_file),
        "map_sha256": map_digest(options.map_file),
    }


def _batches(items: list[_Item]) -> Iterator[list[tuple[int, _Item]]]:
    """Consecutive files in groups of about BATCH_BYTES (stdin always alone)."""
    batch: list[tuple[int, _Item]] = []
    size = 0
    for index, item in enumerate(items):
        item_size = _size(item.name)
        if batch and (
            item.name == STDIN or size + item_size > BATCH_BYTES or len(batch) >= BATCH_FILES
        ):
            yield batch
            batch, size = [], 0
        batch.append((index, item))
        size += item_size
        if item.name == STDIN:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _process(
    tx: Transaction,
    items: list[_Item],
    forces: ForceRegistry,
    summary: IngestSummary,
    progress: Progress,
) -> _Run:
    run = _Run(tx, summary, progress)
    known = tx.manifest
    batches = list(_batches(items))
    if len(batches) == 1:
        for prepared in _prepare_batch(batches[0], tx, forces, known):
            run.apply(prepared)
        return run
    queue: deque[Future[list[_Prepared]]] = deque()
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pcp-ingest") as pool:
        try:
            for batch in batches:
                queue.append(pool.submit(_prepare_batch, batch, tx, forces, known))
                # Results are applied in input order; a batch queued behind the one
                # being waited for keeps a worker busy meanwhile (what is queued holds
                # no data, and a finished batch only its small aggregates).
                if len(queue) >= 2 * WORKERS:
                    for prepared in queue.popleft().result():
                        run.apply(prepared)
            while queue:
                for prepared in queue.popleft().result():
                    run.apply(prepared)
        finally:
            for future in queue:
                future.cancel()
    return run


def ingest(
    store: Store,
    paths: list[str],
    forces: ForceRegistry,
    options: ReadOptions,
    *,
    exclude: Sequence[str] = (),
    wait: float = 60.0,
    progress: Progress | None = None,
) -> IngestSummary:
    """Read every extract and commit them together; on any error the store is unchanged."""
    names = expand_paths(paths, exclude)
    if names.count(STDIN) and not options.kind:
        raise UsageError("reading from stdin needs --kind", hint="e.g. pcp ingest - --kind counts")
    items = [_Item(name, options) for name in names]
    return _ingest_items(store, items, forces, wait=wait, progress=progress or Progress())


def _ingest_items(
    store: Store,
    items: list[_Item],
    forces: ForceRegistry,
    *,
    wait: float,
    progress: Progress,
    fresh: bool = False,
) -> IngestSummary:
    summary = IngestSummary(rebuilt=fresh)
    sizes = [_size(i.name) for i in items]
    with store.writing(wait=wait, fresh=fresh) as tx:
        if fresh:
            items = _rebuild_items(tx.previous)
            sizes = [_size(i.name) for i in items]
        progress.start(len(items), sum(sizes))
        run = _process(tx, items, forces, summary, progress)
        run.finish()
        tx.commit()
    if run.rejects:
        summary.rejects_path = _write_rejects(store, run.rejects)
    return summary


def rebuild(
    store: Store,
    forces: ForceRegistry,
    *,
    wait: float = 60.0,
    progress: Progress | None = None,
) -> IngestSummary:
    """Re-ingest every recorded source into fresh files and swap them in with one commit.

    Every recorded file must still be there, unchanged (size and SHA-256); otherwise
    nothing changes. Older data the store no longer uses is not needed.
    """
    if not store.exists():
        raise NoDataError(
            f"the store {store.root} is empty or does not exist: nothing to rebuild",
            hint="run 'pcp ingest PATH' to create it",
        )
    return _ingest_items(store, [], forces, wait=wait, progress=progress or Progress(), fresh=True)


def _rebuild_items(manifest: Manifest) -> list[_Item]:
    recorded = manifest.sources_in_order()
    if not recorded:
        raise NoDataError("the store records no source files to rebuild from")
    items: list[_Item] = []
    problems: list[str] = []
    for rec in recorded:
        path = str(rec.get("path", ""))
        if path == "<stdin>" or not path:
            problems.append(f"a {rec.get('kind', '?')} extract was read from stdin")
            continue
        try:
            size = Path(path).stat().st_size
            kind = path_kind(Path(path))
        except OSError:
            problems.append(f"{path} is missing")
            continue
        if kind is not None:  # a tampered manifest could name /dev/zero or a FIFO
            problems.append(f"{path} is {kind}, not a file")
            continue
        if size != int(rec.get("size", -1)):
            problems.append(f"{path} has changed ({size:,} bytes, recorded {rec.get('size')})")
            continue
        map_problem = _map_problem(rec) if rec.get("map_file") else None
        if map_problem is not None:
            problems.append(f"the column map {rec['map_file']} of {path} {map_problem}")
            continue
        on_bad: BadRows = "skip" if rec.get("on_bad_rows") == "skip" else "fail"
        options = ReadOptions(
            kind=rec.get("kind"),
            encoding=str(rec.get("encoding") or "utf-8-sig"),
            force=rec.get("force_option"),
            on_bad_rows=on_bad,
            map_file=rec.get("map_file"),
        )
        items.append(_Item(path, options, expected_sha256=str(rec["sha256"])))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DataError(
            f"cannot rebuild: recorded source {problems[0]}{more}",
            hint="restore the recorded files ('pcp periods --sources' lists them), or move "
            "the store aside and ingest the extracts you have into a new store",
        )
    return items


def _map_problem(rec: dict[str, Any]) -> str | None:
    """Why a records source's recorded column map cannot be used; None when it can.

    Checked like the source paths before it is hashed: a tampered manifest naming
    /dev/zero would be read for ever, a FIFO would wait for ever.
    """
    from pcp_cli.ingest.records import map_digest

    map_file = str(rec["map_file"])
    try:
        kind = path_kind(Path(map_file))
    except OSError:
        return "is missing"
    if kind is not None:
        return f"is {kind}, not a file"
    digest = map_digest(map_file)
    if digest is None:
        return "cannot be read"
    return None if digest == rec.get("map_sha256") else "has changed"


def _size(name: str) -> int:
    if name == STDIN:
        return 0
    try:
        return Path(name).stat().st_size
    except OSError:
        return 0


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


def spreadsheet_safe(column: str) -> pl.Expr:
    """A text cell Excel would run as a formula (=, +, -, @, tab or CR first) gets a
    leading apostrophe, unless it is a number (-1 stays -1); other cells as they are.

    The rejects file holds whatever a hostile extract put in it, and analysts open it
    in Excel.
    """
    text = pl.col(column).cast(pl.String)
    risky = (
        text.str.contains(r"^[=+\-@\t\r]")
        & text.str.strip_chars().cast(pl.Float64, strict=False).is_null()
    )
    return pl.when(risky.fill_null(False)).then("'" + text).otherwise(text).alias(column)


def _write_rejects(store: Store, rejects: list[pl.DataFrame]) -> Path:
    """Rejected rows go beside the store, named by time, so a run never overwrites another's."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = store.root.parent / f"{store.root.name}-rejects-{stamp}.csv"
    n = 1
    while path.exists():
        n += 1
        path = store.root.parent / f"{store.root.name}-rejects-{stamp}-{n}.csv"
    frame = pl.concat(rejects).select(
        *(spreadsheet_safe(c) for c in ("file", "line", "column", "value", "reason"))
    )
    with contextlib.suppress(OSError):
        frame.write_csv(path)
        return path
    raise StoreError(
        f"the data was stored, but the rejected rows could not be written to {path}",
        hint="check that the folder beside the store is writable",
    )


__all__ = [
    "FileResult",
    "IngestSummary",
    "Progress",
    "StoreReader",
    "aggregate",
    "expand_paths",
    "ingest",
    "rebuild",
]
