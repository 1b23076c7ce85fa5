"""The local Parquet store.

Layout (documented in docs/store.md so other Arrow engines can read it)::

    <store>/
      manifest.json                      the catalogue: partitions, aggregates, sources
      data/<dataset>/force=<id>/month=<YYYY-MM>/part-<txid>.parquet   raw rows
      data/<dataset>/force=<id>/part-<txid>.parquet                   (counts, survey)
      data/<dataset>/part-<txid>.parquet                              (population)
      agg/<dataset>/part-<txid>.parquet  counts by force, month and the KPI filter columns
      .lock, .write.lock                 lock files (readers / writers)
      journal.json, .staging/            only while a write is in progress (or was killed)

Every write is a transaction: new files are staged as they are produced, a journal lists
them, they are moved into place with fresh names (nothing is overwritten), and the
manifest is replaced atomically; that rename is the commit. Files the manifest no longer
names are deleted afterwards. A writer killed at any point leaves the previous manifest
in force; the next writer finishes or undoes the journal.

Locks: writers hold ``.write.lock`` exclusively for the whole run, so two ingests never
mix. Readers hold ``.lock`` shared; a writer takes it exclusively only to delete the
files its commit superseded, so readers are not held up by a long ingest and never see
a file vanish under them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import shutil
import stat
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from pcp_cli import locking
from pcp_cli.datasets import DATASETS, DatasetSpec
from pcp_cli.errors import NoDataError, StoreError

FORMAT = 1
MANIFEST = "manifest.json"
JOURNAL = "journal.json"
LOCK = ".lock"
WRITE_LOCK = ".write.lock"
STAGING = ".staging"
PAUSE_ENV = "PCP_TEST_PAUSE_AT"  # tests: stage|journal|rename|manifest -> stop there a while

REBUILD_HINT = "the store was damaged; rebuild it with 'pcp ingest --rebuild'"
JOURNAL_HINT = (
    "nothing was deleted; check the store's files against a backup, then move journal.json "
    "aside and run the ingest again"
)
MANIFEST_HINT = (
    "the store's catalogue is damaged: restore the store from a backup, or move it aside "
    "and ingest the extracts again into a new store ('pcp periods --sources' on a good "
    "copy lists them)"
)


DAMAGED_HINT = (
    "nothing was changed; restore the store from a backup, or move it aside and ingest "
    "the extracts again into a new store"
)
# A store file's path as its manifest or journal records it: under data/ or agg/, plain
# names only (no '..', no absolute path, no backslash), ending in .parquet.
_STORE_FILE_RE = re.compile(r"(?:data|agg)(?:/[A-Za-z0-9_][A-Za-z0-9_.=-]*)+\.parquet")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_KEY_RE = {
    "force-month": re.compile(r"[a-z0-9][a-z0-9-]*/\d{4}-(?:0[1-9]|1[0-2])"),
    "force": re.compile(r"[a-z0-9][a-z0-9-]*"),
    "single": re.compile(r"all"),
}
MAX_JSON_BYTES = 256 * 1024 * 1024  # a manifest of a national 15-year store is a few MB


def damaged(root: Path, what: str, hint: str = DAMAGED_HINT) -> StoreError:
    """The store's own records cannot be trusted: say so, and touch nothing."""
    return StoreError(f"the store {root} is damaged: {what}", hint=hint)


def is_store_file(rel: object) -> bool:
    """Whether a recorded path names a file inside the store's data or aggregates."""
    return isinstance(rel, str) and _STORE_FILE_RE.fullmatch(rel) is not None


def inside(root: Path, rel: str, checked: set[str] | None = None) -> Path | None:
    """``root / rel`` when it stays inside the store, else None.

    ``rel`` is a checked store path (:func:`is_store_file`: no '..', not absolute), so only
    a symlink on the way can lead out; pcp never makes one, so any is refused. ``checked``
    remembers the folders already looked at (one lstat per folder, not a full resolve).
    """
    seen = checked if checked is not None else set()
    parts = rel.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        if prefix in seen:
            continue
        try:
            mode = os.lstat(root / prefix).st_mode
        except FileNotFoundError:
            return root / rel  # nothing further down exists yet
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            return None
        if depth < len(parts):
            seen.add(prefix)
    return root / rel


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def partition_key(spec: DatasetSpec, force: str | None, month: str | None) -> str:
    if spec.partitioning == "force-month":
        return f"{force}/{month}"
    if spec.partitioning == "force":
        return f"{force}"
    return "all"


def _partition_dir(spec: DatasetSpec, key: str) -> str:
    # Force ids are slugs (forces.py refuses others): a key is never a path.
    pattern = _KEY_RE.get(spec.partitioning)
    if pattern is not None and not pattern.fullmatch(key):
        raise StoreError(f"refusing to store a partition named {key!r}: not a force id")
    if spec.partitioning == "force-month":
        force, month = key.split("/")
        return f"data/{spec.name}/force={force}/month={month}"
    if spec.partitioning == "force":
        return f"data/{spec.name}/force={key}"
    return f"data/{spec.name}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pause_for_tests(point: str) -> None:
    """Test hook: with PCP_TEST_PAUSE_AT=<point>, say so on stderr and sleep, to be killed."""
    if os.environ.get(PAUSE_ENV) == point:
        sys.stderr.write(f"pcp: test pause at {point}\n")
        sys.stderr.flush()
        time.sleep(float(os.environ.get("PCP_TEST_PAUSE_SECONDS", "60")))


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
        problem = manifest_problem(doc)
        if problem is not None:
            raise damaged(path.parent, f"{path.name} {problem}", MANIFEST_HINT)
        sources, datasets = doc.get("sources", {}), doc.get("datasets", {})
        return cls(
            txid=str(doc.get("txid", "")),
            updated_at=str(doc.get("updated_at", "")),
            sources=dict(sources),
            datasets=dict(datasets),
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

    def file_hashes(self) -> dict[str, str]:
        """Recorded SHA-256 of the store's files (stores written before 0.2 lack them)."""
        return {name: str(sha) for name, sha in self._recorded("sha256").items()}

    def file_sizes(self) -> dict[str, int]:
        """Recorded byte sizes of the store's files (stores written before 0.1 lack them)."""
        return {name: int(size) for name, size in self._recorded("bytes").items()}

    def _recorded(self, fact: str) -> dict[str, Any]:
        """What the manifest records of each file under ``fact`` (an aggregate's under
        ``aggregate_<fact>``); files it is not recorded for are left out."""
        found: dict[str, Any] = {}
        for ds in self.datasets.values():
            for part in ds.get("partitions", {}).values():
                if part.get(fact) is not None:
                    found[part["file"]] = part[fact]
            if ds.get("aggregate") and ds.get(f"aggregate_{fact}") is not None:
                found[ds["aggregate"]] = ds[f"aggregate_{fact}"]
        return found

    def sources_in_order(self) -> list[dict[str, Any]]:
        """Recorded sources in the order they were ingested (later ones win on replacement)."""
        items = list(self.sources.items())
        return [
            {"sha256": sha, **info}
            for sha, info in sorted(
                items,
                key=lambda kv: (
                    int(kv[1].get("seq", 0)),
                    str(kv[1].get("ingested_at", "")),
                    str(kv[1].get("path", "")),
                ),
            )
        ]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _opt(entry: dict[str, Any], key: str, ok: Any) -> bool:
    """An optional entry: absent (or null), or one that passes ``ok``."""
    return entry.get(key) is None or bool(ok(entry[key]))


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and _SHA256_RE.fullmatch(value) is not None


def manifest_problem(doc: dict[str, Any]) -> str | None:
    """What is wrong with a manifest's shape, or None: every value pcp will use is of the
    type it expects and every path names a file inside the store."""
    if not _opt(doc, "txid", lambda v: isinstance(v, str)) or not _opt(
        doc, "updated_at", lambda v: isinstance(v, str)
    ):
        return "has a txid or updated_at that is not text"
    sources, datasets = doc.get("sources", {}), doc.get("datasets", {})
    if not isinstance(sources, dict) or not isinstance(datasets, dict):
        return "has 'sources' or 'datasets' that is not a table"
    for sha, info in sources.items():
        problem = _source_problem(sha, info)
        if problem:
            return f"records source {sha[:16]!r}: {problem}"
    for name, entry in datasets.items():
        problem = _dataset_problem(name, entry)
        if problem:
            return f"records dataset {name[:40]!r}: {problem}"
    return None


def _source_problem(sha: str, info: Any) -> str | None:
    if not _is_hash(sha) or not isinstance(info, dict):
        return "not a SHA-256 with a table of details"
    texts = (
        *("path", "kind", "ingested_at", "encoding", "force_option", "on_bad_rows"),
        *("map_file", "map_sha256"),
    )
    if not all(_opt(info, k, lambda v: isinstance(v, str)) for k in texts):
        return "a detail that should be text is not"
    if not all(_opt(info, k, _is_int) for k in ("size", "rows", "seq")):
        return "a size, row count or sequence number that is not a whole number"
    if not _opt(info, "sha256", lambda v: v == sha):
        return "a sha256 that differs from its key"
    forces = info.get("forces", [])
    if not isinstance(forces, list) or not all(isinstance(f, str) for f in forces):
        return "'forces' is not a list of force ids"
    return None


def _dataset_problem(name: str, entry: Any) -> str | None:
    spec = DATASETS.get(name)
    if spec is None:
        return "not a dataset this pcp knows"
    if not isinstance(entry, dict) or not isinstance(entry.get("partitions", {}), dict):
        return "not a table of partitions"
    if not _opt(entry, "aggregate", is_store_file):
        return f"the aggregate {str(entry.get('aggregate'))[:80]!r} is not a file of the store"
    if not _opt(entry, "aggregate_bytes", _is_int) or not _opt(entry, "aggregate_sha256", _is_hash):
        return "the aggregate's size or SHA-256 is malformed"
    key_ok = _KEY_RE.get(spec.partitioning)
    for key, part in entry.get("partitions", {}).items():
        if key_ok is not None and not key_ok.fullmatch(key):
            return f"partition {key[:80]!r} is not a force id (and month)"
        if not isinstance(part, dict) or not is_store_file(part.get("file")):
            shown = str(part.get("file") if isinstance(part, dict) else part)[:80]
            return f"partition {key!r} names {shown!r}, which is not a file of the store"
        if not all(_opt(part, k, _is_int) for k in ("rows", "bytes")):
            return f"partition {key!r} has a row count or size that is not a whole number"
        if not _opt(part, "sha256", _is_hash):
            return f"partition {key!r} has a malformed SHA-256"
        sources = part.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(x, str) for x in sources):
            return f"partition {key!r} has 'sources' that is not a list of SHA-256"
    return None


def journal_files(root: Path, journal: dict[str, Any], key: str) -> list[str]:
    """The files a journal lists under ``key``: every one inside the store, or damaged."""
    files = journal.get(key, [])
    if not isinstance(files, list):
        raise damaged(root, f"{JOURNAL} '{key}' is not a list", JOURNAL_HINT)
    checked: set[str] = set()
    for rel in files:
        if not is_store_file(rel) or inside(root, rel, checked) is None:
            raise damaged(
                root,
                f"{JOURNAL} names {str(rel)[:120]!r}, which is not a file of the store",
                JOURNAL_HINT,
            )
    return [str(f) for f in files]


def read_json(path: Path) -> Any:
    """A store record (manifest, journal); ValueError when it is not JSON pcp can use."""
    with path.open("rb") as fh:
        data = fh.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise ValueError(f"over {MAX_JSON_BYTES // (1 << 20)} MiB")
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply") from None


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.leftover: list[str] = []  # superseded files a recovery could not delete yet

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    # -- locking -------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self, name: str, exclusive: bool, wait: float, what: str) -> Iterator[None]:
        lock_path = self.root / name
        try:
            with locking.hold(lock_path, exclusive=exclusive, wait=wait):
                yield
        except locking.LockBusy:
            raise StoreError(
                f"{what} the store {self.root}",
                hint=f"waited {wait:g}s; try again later or raise --wait",
            ) from None
        except locking.LockUnavailable as exc:
            raise StoreError(str(exc), hint=exc.hint) from None

    def _read_lock(self, exclusive: bool, wait: float) -> contextlib.AbstractContextManager[None]:
        what = (
            "another pcp process is replacing files in"
            if not exclusive
            else ("another pcp process is reading")
        )
        return self._lock(LOCK, exclusive, wait, what)

    @contextlib.contextmanager
    def reading(self, wait: float = 60.0) -> Iterator[StoreReader]:
        if not self.exists():
            raise NoDataError(
                f"the store {self.root} is empty or does not exist",
                hint="run 'pcp ingest PATH' first, or point --store / PCP_STORE at your store",
            )
        with self._read_lock(exclusive=False, wait=wait):
            yield StoreReader(self.root, self.load_manifest())

    @contextlib.contextmanager
    def writing(self, wait: float = 60.0, *, fresh: bool = False) -> Iterator[Transaction]:
        """One writer at a time; ``fresh`` starts from an empty store (for a rebuild)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store {self.root}: {exc.strerror}") from None
        with self._lock(WRITE_LOCK, True, wait, "another pcp ingest is writing to"):
            self.recover(wait)
            manifest = self.load_manifest() if self.exists() else Manifest()
            tx = Transaction(self, manifest, fresh=fresh, wait=wait)
            try:
                yield tx
            finally:
                tx.discard_staging()

    def load_manifest(self) -> Manifest:
        try:
            doc = read_json(self.manifest_path)
        except FileNotFoundError:
            return Manifest()
        except (OSError, ValueError) as exc:
            raise StoreError(
                f"the store manifest {self.manifest_path} is unreadable ({exc})",
                hint=MANIFEST_HINT,
            ) from None
        if not isinstance(doc, dict):
            raise StoreError(
                f"the store manifest {self.manifest_path} is not a JSON object", hint=MANIFEST_HINT
            )
        return Manifest.from_json(doc, self.manifest_path)

    def recover(self, wait: float = 60.0) -> None:
        """Finish or undo a transaction a killed writer left behind (caller is the writer)."""
        journal_path = self.root / JOURNAL
        if journal_path.exists():
            # The journal is written atomically: one that is not what pcp writes was
            # written by something else, and is not obeyed.
            try:
                journal = read_json(journal_path)
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                raise damaged(self.root, f"{JOURNAL} is unreadable ({exc})", JOURNAL_HINT) from None
            if not isinstance(journal, dict):
                raise damaged(self.root, f"{JOURNAL} is not a JSON object", JOURNAL_HINT)
            old_files = journal_files(self.root, journal, "old_files")
            new_files = journal_files(self.root, journal, "new_files")
            current = self.load_manifest().txid if self.exists() else ""
            committed = bool(journal.get("txid")) and journal.get("txid") == current
            if committed:
                # Superseded files: a reader of the old manifest may still use them.
                try:
                    with self._read_lock(exclusive=True, wait=wait):
                        _unlink_all(self.root, old_files)
                except StoreError:
                    # A long reader holds them: this writer's commit deletes them later.
                    self.leftover = old_files
            else:
                # Never named by a committed manifest: no reader can be using them.
                _unlink_all(self.root, new_files)
            _prune_empty_dirs(self.root / "data")
            _prune_empty_dirs(self.root / "agg")
            if not self.leftover:
                journal_path.unlink(missing_ok=True)
        if (self.root / STAGING).exists():
            # A writer died: the partition folders it made for files it never moved in.
            _prune_empty_dirs(self.root / "data")
        shutil.rmtree(self.root / STAGING, ignore_errors=True)
        for tmp in self.root.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def _unlink_all(root: Path, rels: list[str]) -> None:
    """Delete store files; a path leading outside the store (checked again here, as a
    folder may have been swapped for a symlink since) is left alone."""
    checked: set[str] = set()
    for rel in rels:
        path = inside(root, rel, checked) if is_store_file(rel) else None
        if path is None:
            continue
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            path.unlink()


class StoreReader:
    """Read access under a shared lock: lazy scans of exactly the files the manifest names."""

    def __init__(self, root: Path, manifest: Manifest) -> None:
        self.root = root
        self.manifest = manifest
        self._sizes = manifest.file_sizes()
        self._hashes = manifest.file_hashes()
        self._aggregates: dict[str, pl.DataFrame] = {}
        self._folders_checked: set[str] = set()  # folders known not to be symlinks

    def has(self, dataset: str) -> bool:
        return bool(self.manifest.partitions(dataset))

    def _path(self, rel: str) -> Path:
        path = self.root / rel
        # The manifest's paths were checked when it was loaded; a folder swapped for a
        # symlink since would still lead outside (checked once per folder).
        if inside(self.root, rel, self._folders_checked) is None:
            raise damaged(self.root, f"{rel} leads outside the store", REBUILD_HINT)
        if not path.is_file():
            raise StoreError(
                f"the store file {path} named in the manifest is missing", hint=REBUILD_HINT
            )
        return path

    def _read_verified(self, rel: str) -> bytes:
        """A store file's bytes, checked against the size and SHA-256 the manifest records."""
        path = self._path(rel)
        _check_parquet(path, self._sizes.get(rel))
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StoreError(
                f"cannot read store file {path}: {exc.strerror}", hint=REBUILD_HINT
            ) from None
        _check_hash(path, hashlib.sha256(data).hexdigest(), self._hashes.get(rel))
        return data

    def _verify_file(self, rel: str) -> Path:
        """Check a raw partition in chunks (it may be large) before a scan reads it."""
        path = self._path(rel)
        _check_parquet(path, self._sizes.get(rel))
        expected = self._hashes.get(rel)
        if expected is not None:
            try:
                actual = file_sha256(path)
            except OSError as exc:
                raise StoreError(
                    f"cannot read store file {path}: {exc.strerror}", hint=REBUILD_HINT
                ) from None
            _check_hash(path, actual, expected)
        return path

    def aggregate(self, dataset: str) -> pl.LazyFrame:
        """The dataset's aggregate table, read once per reader and kept in memory.

        Columns: force, month ('YYYY-MM'), span, the dataset's dimension columns, n
        (and respondents for survey). Population: force, year, population.
        """
        if dataset not in self._aggregates:
            rel = self.manifest.aggregate_file(dataset)
            if rel is None:
                raise NoDataError(f"the store holds no {dataset} data")
            data = self._read_verified(rel)
            try:
                self._aggregates[dataset] = pl.read_parquet(io.BytesIO(data))
            except (pl.exceptions.PolarsError, OSError) as exc:
                raise _damaged(self.root / rel, exc) from None
        return self._aggregates[dataset].lazy()

    def raw(self, dataset: str, keys: list[str] | None = None) -> pl.LazyFrame:
        parts = self.manifest.partitions(dataset)
        if not parts:
            raise NoDataError(f"the store holds no {dataset} data")
        chosen = parts if keys is None else {k: parts[k] for k in keys if k in parts}
        if not chosen:
            raise NoDataError(f"the store holds no {dataset} data for that selection")
        paths = [self._verify_file(part["file"]) for part in chosen.values()]
        # Stores written before force-month partitions dropped their per-row source
        # column mix both shapes: read them as one.
        return pl.scan_parquet(paths, missing_columns="insert", extra_columns="ignore")

    def read_partition(self, dataset: str, key: str) -> pl.DataFrame | None:
        part = self.manifest.partitions(dataset).get(key)
        if part is None:
            return None
        data = self._read_verified(part["file"])
        try:
            return pl.read_parquet(io.BytesIO(data))
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _damaged(self.root / part["file"], exc) from None

    def verify(self) -> list[str]:
        """Read every file the manifest names in full; return one problem per bad file."""
        problems = []
        for rel in sorted(self.manifest.files()):
            path = self.root / rel
            try:
                if not path.is_file():
                    raise StoreError(f"the store file {path} named in the manifest is missing")
                _check_parquet(path, self._sizes.get(rel), full=True)
                self._verify_file(rel)
                pl.read_parquet(path)
            except StoreError as exc:
                problems.append(exc.message)
            except (pl.exceptions.PolarsError, OSError) as exc:
                problems.append(_damaged(path, exc).message)
        return problems


def _damaged(path: Path, exc: BaseException) -> StoreError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(f"the store file {path} is damaged ({detail[:160]})", hint=REBUILD_HINT)


def _check_hash(path: Path, actual: str, expected: str | None) -> None:
    if expected is not None and actual != expected:
        raise StoreError(
            f"the store file {path} has changed since it was written (SHA-256 {actual[:12]}…, "
            f"the manifest recorded {expected[:12]}…)",
            hint=REBUILD_HINT,
        )


def _checked_scan(paths: list[Path]) -> pl.LazyFrame:
    for path in paths:
        _check_parquet(path, None)
    return pl.scan_parquet(paths)


def _check_parquet(path: Path, expected_size: int | None, *, full: bool = False) -> None:
    """Cheap integrity checks: recorded size, 'PAR1' at both ends, and (full) a readable footer."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4)
            fh.seek(max(size - 4, 0))
            tail = fh.read(4)
    except OSError as exc:
        raise StoreError(
            f"cannot read store file {path}: {exc.strerror}", hint=REBUILD_HINT
        ) from None
    if size < 12 or head != b"PAR1" or tail != b"PAR1":
        raise StoreError(f"the store file {path} is truncated or not Parquet", hint=REBUILD_HINT)
    if expected_size is not None and size != expected_size:
        raise StoreError(
            f"the store file {path} has {size:,} bytes, the manifest recorded {expected_size:,}",
            hint=REBUILD_HINT,
        )
    if full:
        try:
            pl.read_parquet_schema(path)
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise _damaged(path, exc) from None


_check_parquet_footer = _check_parquet  # older name


class Transaction:
    """Stage partition and aggregate replacements as they come, then commit them atomically.

    Partition files are written to the staging folder at once (so an ingest never holds
    more than one extract in memory); aggregates are kept per partition, in memory, and
    written at commit.
    """

    def __init__(
        self, store: Store, manifest: Manifest, *, fresh: bool = False, wait: float = 60.0
    ) -> None:
        self.store = store
        self.previous = manifest  # what is committed now
        self.manifest = Manifest() if fresh else manifest  # what this transaction builds on
        self.fresh = fresh
        self.wait = wait
        self.txid = uuid.uuid4().hex[:16]
        self.staging = store.root / STAGING / self.txid
        self._staged: dict[str, Path] = {}  # final relative path -> staged file
        self._parts: dict[str, dict[str, dict[str, Any]]] = {}
        self._aggs: dict[str, pl.DataFrame] = {}
        self._new_sources: dict[str, dict[str, Any]] = {}
        self._paused = False
        self._tmp_made = False
        self._folders: set[Path] = set()  # partition folders known to exist
        self._made: list[Path] = []  # folders this transaction made, parents first
        self._committed = False

    def reader(self) -> StoreReader:
        return StoreReader(self.store.root, self.manifest)

    def _stage(self, df: pl.DataFrame, final_rel: str, *, raw: bool = False) -> tuple[int, str]:
        """Write a store file to staging; its size and SHA-256 for the manifest."""
        staged = self.staging / final_rel
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
            write_parquet(df, staged, raw=raw)
            size = staged.stat().st_size
            sha = file_sha256(staged)
        except OSError as exc:
            raise _write_error(exc, staged) from None
        self._staged[final_rel] = staged
        if not self._paused:
            self._paused = True
            pause_for_tests("stage")
        return size, sha

    def staging_file(self, name: str) -> Path:
        """A scratch path in this transaction's staging folder (for workers)."""
        folder = self.staging / "tmp"
        if not self._tmp_made:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _write_error(exc, folder) from None
            self._tmp_made = True
        return folder / name

    def replace_partition(
        self,
        spec: DatasetSpec,
        key: str,
        df: pl.DataFrame | None,
        sources: list[str],
        *,
        staged: Path | None = None,
        rows: int | None = None,
        sha256: str | None = None,
    ) -> None:
        """Replace one partition whole, from a frame or from a Parquet file already staged
        (``sha256``: its hash, when the worker that wrote it took it)."""
        rel = f"{_partition_dir(spec, key)}/part-{self.txid}.parquet"
        if staged is not None:
            # It stays where the worker wrote it until the commit moves it into place.
            try:
                size = staged.stat().st_size
                sha = sha256 or file_sha256(staged)
                self._make_folder((self.store.root / rel).parent)
            except OSError as exc:
                raise _write_error(exc, staged) from None
            self._staged[rel] = staged
            height = int(rows or 0)
        else:
            assert df is not None
            size, sha = self._stage(df, rel, raw=True)
            height = df.height
        self._parts.setdefault(spec.name, {})[key] = {
            "file": rel,
            "rows": height,
            "bytes": size,
            "sha256": sha,
            "sources": sorted(set(sources)),
        }

    def _make_folder(self, folder: Path) -> None:
        """A partition's folder, made while the workers still parse, not in the commit.

        An empty folder is no part of the store (readers go by the manifest); those of a
        run that does not commit are removed by it, or by the next writer after a kill.
        """
        if folder not in self._folders:
            made = []
            missing = folder
            while missing != self.store.root and not missing.is_dir():
                made.append(missing)
                missing = missing.parent
            folder.mkdir(parents=True, exist_ok=True)
            self._folders.add(folder)
            self._made.extend(reversed(made))

    def remove_made_folders(self) -> None:
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty

    def set_aggregate(self, dataset: str, df: pl.DataFrame) -> None:
        self._aggs[dataset] = df

    def add_source(self, sha256: str, info: dict[str, Any]) -> None:
        self._new_sources[sha256] = info

    def next_seq(self) -> int:
        """Ingest order of a new source: later sources replace earlier ones on rebuild too."""
        seqs = [
            int(i.get("seq", 0))
            for i in (*self.manifest.sources.values(), *self._new_sources.values())
        ]
        return max(seqs, default=0) + 1

    @property
    def changed(self) -> bool:
        return bool(self._parts or self._aggs or (self.fresh and self.previous.files()))

    def commit(self) -> None:
        if not self.changed:
            return
        agg_sizes = {}
        for dataset, agg in self._aggs.items():
            agg_sizes[dataset] = self._stage(agg, f"agg/{dataset}/part-{self.txid}.parquet")
        new = self._build_manifest(agg_sizes)
        old_files = sorted((self.previous.files() | set(self.store.leftover)) - new.files())
        new_files = sorted(self._staged)
        root = self.store.root
        checked: set[str] = set()
        for rel in new_files:
            # A partition folder swapped for a symlink would take the file elsewhere.
            if inside(root, rel.rsplit("/", 1)[0], checked) is None:
                raise damaged(root, f"the folder of {rel} leads outside the store")
        journal = root / JOURNAL
        try:
            for staged in self._staged.values():
                _fsync_file(staged)
            _write_json_atomic(
                journal, {"txid": self.txid, "new_files": new_files, "old_files": old_files}
            )
            pause_for_tests("journal")
            for i, rel in enumerate(new_files):
                final = root / rel
                if final.parent not in self._folders:
                    final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self._staged[rel], final)
                if i == 0:
                    pause_for_tests("rename")
            _fsync_dirs(root, new_files)
            _write_json_atomic(root / MANIFEST, new.to_json())  # the commit point
        except OSError as exc:
            # Not committed: undo what was moved, keep the old manifest.
            for rel in new_files:
                with contextlib.suppress(OSError):
                    (root / rel).unlink()
            with contextlib.suppress(OSError):
                journal.unlink()
            raise _write_error(exc, root) from None
        self.manifest = self.previous = new
        self._committed = True
        pause_for_tests("manifest")
        # Delete superseded files once no reader of the old manifest is left.
        try:
            with self.store._read_lock(exclusive=True, wait=self.wait):
                _unlink_all(root, old_files)
        except StoreError:
            return  # committed; the journal stays and the next writer finishes the clean-up
        except OSError:
            return
        _prune_empty_dirs(root / "data")
        _prune_empty_dirs(root / "agg")
        with contextlib.suppress(OSError):
            journal.unlink()

    def _build_manifest(self, agg_sizes: dict[str, tuple[int, str]]) -> Manifest:
        datasets = json.loads(json.dumps(self.manifest.datasets))
        for dataset, parts in self._parts.items():
            datasets.setdefault(dataset, {}).setdefault("partitions", {}).update(parts)
        for dataset in self._aggs:
            entry = datasets.setdefault(dataset, {})
            entry["aggregate"] = f"agg/{dataset}/part-{self.txid}.parquet"
            entry["aggregate_bytes"], entry["aggregate_sha256"] = agg_sizes[dataset]
        new = Manifest(txid=self.txid, updated_at=_now(), datasets=datasets)
        sources = {**self.manifest.sources, **self._new_sources}
        used = new.referenced_sources()
        new.sources = {sha: info for sha, info in sources.items() if sha in used}
        return new

    def discard_staging(self) -> None:
        if not self._committed:
            self.remove_made_folders()
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            (self.store.root / STAGING).rmdir()


def write_parquet(df: pl.DataFrame, path: Path, *, raw: bool = False) -> None:
    """Write a store file; I/O failures (disk full, permissions) come out as OSError.

    Raw partitions are already split by force and month, so column statistics would not
    let a reader skip anything: they are left out, and a lighter zstd level is used.
    """
    try:
        if raw:
            df.write_parquet(path, compression="zstd", compression_level=1, statistics=False)
        else:
            df.write_parquet(path, compression="zstd", statistics=True)
    except pl.exceptions.PolarsError as exc:
        raise as_os_error(exc) from None


def as_os_error(exc: Exception) -> Exception:
    """Polars reports I/O failures as ComputeError '... (os error 28)': recover the errno."""
    match = re.search(r"os error (\d+)", str(exc))
    if match:
        code = int(match.group(1))
        return OSError(code, os.strerror(code))
    return exc


def _fsync_file(path: Path) -> None:
    # Windows flushes only a handle opened for writing (FlushFileBuffers needs write access).
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dirs(root: Path, rels: list[str]) -> None:
    """Make the renames durable before the manifest names the files."""
    for folder in sorted({(root / rel).parent for rel in rels}):
        with contextlib.suppress(OSError):
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _write_json_atomic(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        with contextlib.suppress(OSError):
            fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
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
    elif exc.errno == errno.EDQUOT:
        reason = "the disk quota is exceeded"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "permission denied"
    else:
        reason = exc.strerror or str(exc)
    return StoreError(
        f"cannot write to the store at {where}: {reason}",
        hint="nothing was committed; the store is unchanged",
    )


def dataset_spec(name: str) -> DatasetSpec:
    return DATASETS[name]
