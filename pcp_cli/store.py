"""The local Parquet store.

Layout (documented in the README so other Arrow engines can read it)::

    <store>/
      manifest.json                      the catalogue: partitions, aggregates, sources
      data/<dataset>/force=<id>/month=<YYYY-MM>/part-<txid>.parquet   raw rows
      data/<dataset>/force=<id>/part-<txid>.parquet                   (counts, survey)
      data/<dataset>/part-<txid>.parquet                              (population)
      agg/<dataset>/part-<txid>.parquet  counts by force, month and the KPI filter columns

Every write is a transaction: new files are staged, a journal lists them, they are
moved into place with fresh names (nothing is overwritten), and the manifest is
replaced atomically; that rename is the commit. Files the manifest no longer names
are deleted afterwards. A writer killed at any point leaves the previous manifest in
force; the next writer finishes or undoes the journal. Writers hold an exclusive
lock, readers a shared one, so readers never see a half-written state.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from pcp_cli.datasets import DATASETS, DatasetSpec
from pcp_cli.errors import NoDataError, StoreError

FORMAT = 1
MANIFEST = "manifest.json"
JOURNAL = "journal.json"
LOCK = ".lock"
STAGING = ".staging"


def partition_key(spec: DatasetSpec, force: str | None, month: str | None) -> str:
    if spec.partitioning == "force-month":
        return f"{force}/{month}"
    if spec.partitioning == "force":
        return f"{force}"
    return "all"


def _partition_dir(spec: DatasetSpec, key: str) -> str:
    if spec.partitioning == "force-month":
        force, month = key.split("/")
        return f"data/{spec.name}/force={force}/month={month}"
    if spec.partitioning == "force":
        return f"data/{spec.name}/force={key}"
    return f"data/{spec.name}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Manifest:
    txid: str = ""
    updated_at: str = ""
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, doc: dict[str, Any], path: Path) -> Manifest:
        if doc.get("format") != FORMAT:
            raise StoreError(
                f"{path}: store format {doc.get('format')!r} is not supported (expected {FORMAT})",
                hint="rebuild the store by ingesting the extracts again into a new --store",
            )
        return cls(
            txid=str(doc.get("txid", "")),
            updated_at=str(doc.get("updated_at", "")),
            sources=dict(doc.get("sources", {})),
            datasets=dict(doc.get("datasets", {})),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "txid": self.txid,
            "updated_at": self.updated_at,
            "sources": self.sources,
            "datasets": self.datasets,
        }

    def partitions(self, dataset: str) -> dict[str, dict[str, Any]]:
        parts: dict[str, dict[str, Any]] = self.datasets.get(dataset, {}).get("partitions", {})
        return parts

    def aggregate_file(self, dataset: str) -> str | None:
        name = self.datasets.get(dataset, {}).get("aggregate")
        return str(name) if name else None

    def referenced_sources(self) -> set[str]:
        used: set[str] = set()
        for ds in self.datasets.values():
            for part in ds.get("partitions", {}).values():
                used.update(part.get("sources", []))
        return used

    def files(self) -> set[str]:
        names: set[str] = set()
        for ds in self.datasets.values():
            names.update(p["file"] for p in ds.get("partitions", {}).values())
            if ds.get("aggregate"):
                names.add(ds["aggregate"])
        return names


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    # -- locking -------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self, exclusive: bool, wait: float) -> Iterator[None]:
        lock_path = self.root / LOCK
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot open the store lock {lock_path}: {exc.strerror}") from None
        try:
            mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        what = (
                            "another pcp process is writing to"
                            if not exclusive
                            else ("another pcp process is using")
                        )
                        raise StoreError(
                            f"{what} the store {self.root}",
                            hint=f"waited {wait:g}s; try again later or raise --wait",
                        ) from None
                    time.sleep(0.1)
            yield
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def reading(self, wait: float = 60.0) -> Iterator[StoreReader]:
        if not self.exists():
            raise NoDataError(
                f"the store {self.root} is empty or does not exist",
                hint="run 'pcp ingest PATH' first, or point --store / PCP_STORE at your store",
            )
        with self._lock(exclusive=False, wait=wait):
            yield StoreReader(self.root, self.load_manifest())

    @contextlib.contextmanager
    def writing(self, wait: float = 60.0) -> Iterator[Transaction]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store {self.root}: {exc.strerror}") from None
        with self._lock(exclusive=True, wait=wait):
            self.recover()
            manifest = self.load_manifest() if self.exists() else Manifest()
            tx = Transaction(self, manifest)
            try:
                yield tx
            finally:
                tx.discard_staging()

    def load_manifest(self) -> Manifest:
        try:
            doc = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Manifest()
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"the store manifest {self.manifest_path} is unreadable ({exc})",
                hint="the store was damaged; rebuild it with 'pcp ingest --rebuild'",
            ) from None
        if not isinstance(doc, dict):
            raise StoreError(f"the store manifest {self.manifest_path} is not a JSON object")
        return Manifest.from_json(doc, self.manifest_path)

    def recover(self) -> None:
        """Finish or undo a transaction a killed writer left behind (caller holds the lock)."""
        journal_path = self.root / JOURNAL
        if journal_path.exists():
            try:
                journal = json.loads(journal_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                journal = {}
            current = self.load_manifest().txid if self.exists() else ""
            committed = journal.get("txid") == current
            doomed = journal.get("old_files" if committed else "new_files", [])
            for rel in doomed:
                with contextlib.suppress(FileNotFoundError):
                    (self.root / rel).unlink()
            journal_path.unlink(missing_ok=True)
        shutil.rmtree(self.root / STAGING, ignore_errors=True)


class StoreReader:
    """Read access under a shared lock: lazy scans of exactly the files the manifest names."""

    def __init__(self, root: Path, manifest: Manifest) -> None:
        self.root = root
        self.manifest = manifest

    def has(self, dataset: str) -> bool:
        return bool(self.manifest.partitions(dataset))

    def _path(self, rel: str) -> Path:
        path = self.root / rel
        if not path.is_file():
            raise StoreError(
                f"the store file {path} named in the manifest is missing",
                hint="the store was damaged; rebuild it with 'pcp ingest --rebuild'",
            )
        return path

    def aggregate(self, dataset: str) -> pl.LazyFrame:
        rel = self.manifest.aggregate_file(dataset)
        if rel is None:
            raise NoDataError(f"the store holds no {dataset} data")
        return _checked_scan([self._path(rel)])

    def raw(self, dataset: str, keys: list[str] | None = None) -> pl.LazyFrame:
        parts = self.manifest.partitions(dataset)
        if not parts:
            raise NoDataError(f"the store holds no {dataset} data")
        chosen = parts if keys is None else {k: parts[k] for k in keys if k in parts}
        if not chosen:
            raise NoDataError(f"the store holds no {dataset} data for that selection")
        return _checked_scan([self._path(p["file"]) for p in chosen.values()])

    def read_partition(self, dataset: str, key: str) -> pl.DataFrame | None:
        part = self.manifest.partitions(dataset).get(key)
        if part is None:
            return None
        return _checked_scan([self._path(part["file"])]).collect()


def _checked_scan(paths: list[Path]) -> pl.LazyFrame:
    for path in paths:
        _check_parquet_footer(path)
    return pl.scan_parquet(paths)


def _check_parquet_footer(path: Path) -> None:
    """Cheap integrity check: a Parquet file starts and ends with the magic 'PAR1'."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4)
            fh.seek(max(size - 4, 0))
            tail = fh.read(4)
    except OSError as exc:
        raise StoreError(f"cannot read store file {path}: {exc.strerror}") from None
    if size < 12 or head != b"PAR1" or tail != b"PAR1":
        raise StoreError(
            f"the store file {path} is truncated or not Parquet",
            hint="the store was damaged; rebuild it with 'pcp ingest --rebuild'",
        )


class Transaction:
    """Stage partition and aggregate replacements, then commit them atomically."""

    def __init__(self, store: Store, manifest: Manifest) -> None:
        self.store = store
        self.manifest = manifest
        self.txid = uuid.uuid4().hex[:16]
        self.staging = store.root / STAGING / self.txid
        self._staged: list[tuple[Path, str]] = []  # (staged file, final relative path)
        self._parts: dict[str, dict[str, dict[str, Any]]] = {}
        self._aggs: dict[str, pl.DataFrame] = {}
        self._new_sources: dict[str, dict[str, Any]] = {}

    def reader(self) -> StoreReader:
        return StoreReader(self.store.root, self.manifest)

    def _stage(self, df: pl.DataFrame, final_rel: str) -> None:
        staged = self.staging / final_rel
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
            df.write_parquet(staged, compression="zstd", statistics=True)
        except OSError as exc:
            raise _write_error(exc, staged) from None
        self._staged.append((staged, final_rel))

    def replace_partition(
        self, spec: DatasetSpec, key: str, df: pl.DataFrame, sources: list[str]
    ) -> None:
        rel = f"{_partition_dir(spec, key)}/part-{self.txid}.parquet"
        self._stage(df, rel)
        self._parts.setdefault(spec.name, {})[key] = {
            "file": rel,
            "rows": df.height,
            "sources": sorted(set(sources)),
        }

    def set_aggregate(self, dataset: str, df: pl.DataFrame) -> None:
        self._aggs[dataset] = df

    def add_source(self, sha256: str, info: dict[str, Any]) -> None:
        self._new_sources[sha256] = info

    @property
    def changed(self) -> bool:
        return bool(self._parts or self._aggs)

    def commit(self) -> None:
        if not self.changed:
            return
        for dataset, agg in self._aggs.items():
            self._stage(agg, f"agg/{dataset}/part-{self.txid}.parquet")
        new = self._build_manifest()
        old_files = sorted(self.manifest.files() - new.files())
        new_files = [rel for _, rel in self._staged]
        root = self.store.root
        journal = root / JOURNAL
        try:
            _write_json_atomic(
                journal, {"txid": self.txid, "new_files": new_files, "old_files": old_files}
            )
            for staged, rel in self._staged:
                final = root / rel
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, final)
            _write_json_atomic(root / MANIFEST, new.to_json())  # the commit point
        except OSError as exc:
            # Not committed: undo what was moved, keep the old manifest.
            for rel in new_files:
                with contextlib.suppress(OSError):
                    (root / rel).unlink()
            with contextlib.suppress(OSError):
                journal.unlink()
            raise _write_error(exc, root) from None
        for rel in old_files:
            with contextlib.suppress(OSError):
                (root / rel).unlink()
        _prune_empty_dirs(root / "data")
        with contextlib.suppress(OSError):
            journal.unlink()
        self.manifest = new

    def _build_manifest(self) -> Manifest:
        datasets = json.loads(json.dumps(self.manifest.datasets))
        for dataset, parts in self._parts.items():
            datasets.setdefault(dataset, {}).setdefault("partitions", {}).update(parts)
        for dataset in self._aggs:
            datasets.setdefault(dataset, {})["aggregate"] = (
                f"agg/{dataset}/part-{self.txid}.parquet"
            )
        new = Manifest(txid=self.txid, updated_at=_now(), datasets=datasets)
        sources = {**self.manifest.sources, **self._new_sources}
        used = new.referenced_sources()
        new.sources = {sha: info for sha, info in sources.items() if sha in used}
        return new

    def discard_staging(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            (self.store.root / STAGING).rmdir()


def _write_json_atomic(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _prune_empty_dirs(top: Path) -> None:
    if not top.is_dir():
        return
    for folder in sorted((p for p in top.rglob("*") if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _write_error(exc: OSError, where: Path) -> StoreError:
    if exc.errno == errno.ENOSPC:
        reason = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "permission denied"
    else:
        reason = exc.strerror or str(exc)
    return StoreError(
        f"cannot write to the store at {where}: {reason}", hint="the store is unchanged"
    )


def dataset_spec(name: str) -> DatasetSpec:
    return DATASETS[name]
