"""A force's own crime records: one row per recorded crime, read into the crime-records dataset.

Every records system exports its own headers and date format, so a column map
(``--map FILE.toml``) names each canonical column's header and the date format::

    date_format = "%d/%m/%Y"
    [columns]
    crime_ref = "Crime Number"
    recorded_date = "Date Recorded"

Crime records are personal data. Only what the KPIs need is stored: the crime reference
is checked (one row per crime) and dropped; the victim reference is replaced by a keyed
hash (HMAC-SHA256 with a secret kept beside the store, see :func:`store_secret`), so the
same victim can be counted twice without the reference itself ever being written.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pcp_cli.datasets import CRIME_RECORDS, HATE_STRANDS
from pcp_cli.errors import ConfigError, DataError, StoreError, UsageError
from pcp_cli.forces import ForceRegistry
from pcp_cli.ingest.readers import Parsed, ReadOptions, Source
from pcp_cli.ingest.rows import LINE, Rejects, read_text_table
from pcp_cli.tomlload import line_of, load_toml

ISO_DATE = "%Y-%m-%d"
SECRET_FILE = ".records-secret"  # in the store folder, mode 0600
_YES = {"y", "yes", "true", "1"}
_NO = {"n", "no", "false", "0"}
_LSOA_RE = r"^[EW]0\d{7}$"
_NO_STRAND = ("", "none", "n")  # how exports write "no hate crime strand"
# Canonical columns of an extract (the stored victim_key comes from victim_ref).
CANONICAL = (
    "crime_ref",
    "recorded_date",
    "ho_code",
    "lsoa_code",
    "domestic",
    "hate_strands",
    "victim_ref",
    "outcome",
    "outcome_date",
    "force",
)
_OPTIONAL = {"outcome", "outcome_date", "force"}


@dataclass(frozen=True)
class ColumnMap:
    """How one records system's export names the canonical columns."""

    columns: dict[str, str]  # canonical name -> the export's header
    date_format: str = ISO_DATE
    path: str | None = None
    sha256: str | None = None

    def header(self, canonical: str) -> str:
        return self.columns.get(canonical, canonical)


def load_map(path: str | Path) -> ColumnMap:
    """Read and check a column map; a ConfigError (exit 3) names the file, line and key."""
    path = Path(path)
    doc, text = load_toml(path, "column map")
    where = str(path)

    def fail(table: str, key: str | None, message: str) -> ConfigError:
        line = line_of(text, table, key) if table else None
        return ConfigError(f"{where}{f':{line}' if line else ''}: {message}")

    unknown = sorted(set(doc) - {"date_format", "columns"})
    if unknown:
        return_key = unknown[0]
        raise fail(return_key, None, f"unknown key '{return_key}' (allowed: date_format, columns)")
    date_format = doc.get("date_format", ISO_DATE)
    if not isinstance(date_format, str) or "%" not in date_format:
        raise fail("date_format", None, "date_format must be a strftime format like '%d/%m/%Y'")
    raw = doc.get("columns", {})
    if not isinstance(raw, dict):
        raise fail("columns", None, '[columns] must be a table of canonical_name = "Header"')
    for key, value in raw.items():
        if key not in CANONICAL:
            raise fail(
                "columns", key, f"'{key}' is not a canonical column (one of {', '.join(CANONICAL)})"
            )
        if not isinstance(value, str) or not value.strip():
            raise fail("columns", key, f"'{key}' must name the export's header as a string")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return ColumnMap(
        {k: str(v).strip() for k, v in raw.items()}, date_format, str(path.resolve()), sha
    )


def map_digest(path: str | None) -> str | None:
    """The SHA-256 of a column map file (None without one, or if it cannot be read)."""
    if not path:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def parse_records(
    source: Source, data: bytes, forces: ForceRegistry, options: ReadOptions
) -> Parsed:
    """Read a records extract into typed canonical columns (victim references still plain:
    :func:`pseudonymise` replaces them before anything is written)."""
    colmap = load_map(options.map_file) if options.map_file else ColumnMap({})
    raw = read_text_table(source, data)
    frame, labels = _canonical(raw, colmap, source)
    bad = Rejects(source, options.on_bad_rows)
    frame = _required_values(frame, labels, bad)
    frame = _dates(frame, labels, colmap.date_format, bad)
    frame = _flags(frame, labels, bad)
    frame = _lsoa(frame, labels, bad)
    frame = _unique_refs(frame, labels, bad)
    frame = _force(frame, labels, forces, options, bad, source)
    frame = frame.with_columns(
        pl.col("recorded_date").dt.strftime("%Y-%m").alias("month"),
        pl.lit(1, dtype=pl.Int32).alias("span"),
    )
    out = frame.select(
        "force",
        "month",
        "span",
        *(c.name for c in CRIME_RECORDS.columns if c.name != "victim_key"),
        "victim_ref",
    )
    return Parsed(source, "crime-records", out, bad.frame())


def _canonical(
    raw: pl.DataFrame, colmap: ColumnMap, source: Source
) -> tuple[pl.DataFrame, dict[str, str]]:
    """The canonical columns (with the line number); labels: canonical -> export header."""
    present = {c.casefold(): c for c in raw.columns if c != LINE}
    labels: dict[str, str] = {}
    missing = []
    for name in CANONICAL:
        header = colmap.header(name)
        if header.casefold() in present:
            labels[name] = present[header.casefold()]
        elif name not in _OPTIONAL:
            missing.append(repr(header) + ("" if header == name else f" (for {name})"))
    if missing:
        how = f" (column map {colmap.path})" if colmap.path else ""
        raise DataError(
            f"{source.name}: missing column(s) {', '.join(missing)} for a "
            f"crime-records extract{how}",
            hint="name the export's headers in a column map: pcp ingest --kind crime-records "
            "--map FILE.toml (see README)",
        )
    exprs = [pl.col(LINE)]
    for name in CANONICAL:
        if name in labels:
            exprs.append(pl.col(labels[name]).str.strip_chars().alias(name))
        else:
            exprs.append(pl.lit(None, dtype=pl.String).alias(name))
            labels[name] = colmap.header(name)
    return raw.select(exprs), labels


def _required_values(frame: pl.DataFrame, labels: dict[str, str], bad: Rejects) -> pl.DataFrame:
    required = {
        "crime_ref": "the crime reference is empty",
        "recorded_date": "the recorded date is empty",
        "ho_code": "the Home Office offence code is empty",
        "domestic": "the domestic abuse flag is empty (give Y or N)",
    }
    frame = bad.empty(frame, required, labels)
    return frame.with_columns(pl.col("ho_code").str.to_uppercase())


def _dates(frame: pl.DataFrame, labels: dict[str, str], fmt: str, bad: Rejects) -> pl.DataFrame:
    for name in ("recorded_date", "outcome_date"):
        parsed = frame.select(pl.col(name).str.strptime(pl.Date, fmt, strict=False)).to_series()
        failed = parsed.is_null() & frame[name].is_not_null()
        hint = "not a date in the form " + fmt.replace("%Y", "yyyy").replace("%m", "mm").replace(
            "%d", "dd"
        )
        frame = bad.add(frame, failed, labels[name], hint + " (set date_format in --map)", name)
        frame = frame.with_columns(pl.col(name).str.strptime(pl.Date, fmt, strict=False))
    return frame


def _flags(frame: pl.DataFrame, labels: dict[str, str], bad: Rejects) -> pl.DataFrame:
    """domestic as Y/N; hate_strands split into one Y/N flag per strand and ``hate``."""
    low = pl.col("domestic").str.to_lowercase()
    ok = frame.select(low.is_in(sorted(_YES | _NO))).to_series()
    frame = bad.add(frame, ~ok, labels["domestic"], "not Y or N", "domestic")
    frame = frame.with_columns(
        pl.when(pl.col("domestic").str.to_lowercase().is_in(sorted(_YES)))
        .then(pl.lit("Y"))
        .otherwise(pl.lit("N"))
        .alias("domestic")
    )
    parts = (
        pl.col("hate_strands")
        .str.to_lowercase()
        .str.split(";")
        .list.eval(pl.element().str.strip_chars().str.replace_all(r"[\s_]+", "-"))
    )
    allowed = sorted(HATE_STRANDS)
    unknown = frame.select(
        parts.list.eval(pl.element().filter(~pl.element().is_in([*allowed, *_NO_STRAND])))
        .list.len()
        .fill_null(0)
        > 0
    ).to_series()
    frame = bad.add(
        frame,
        unknown,
        labels["hate_strands"],
        f"unknown hate crime strand (use ;-separated {', '.join(allowed)})",
        "hate_strands",
    )
    flags = [
        pl.when(parts.list.contains(strand).fill_null(False))
        .then(pl.lit("Y"))
        .otherwise(pl.lit("N"))
        .alias(column)
        for strand, column in HATE_STRANDS.items()
    ]
    frame = frame.with_columns(flags)
    any_strand = pl.any_horizontal(pl.col(c) == "Y" for c in HATE_STRANDS.values())
    return frame.with_columns(
        pl.when(any_strand).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("hate")
    )


def _lsoa(frame: pl.DataFrame, labels: dict[str, str], bad: Rejects) -> pl.DataFrame:
    frame = frame.with_columns(pl.col("lsoa_code").str.to_uppercase())
    wrong = frame["lsoa_code"].is_not_null() & ~frame["lsoa_code"].str.contains(_LSOA_RE)
    return bad.add(
        frame,
        wrong,
        labels["lsoa_code"],
        "not an LSOA code like E01025600 (leave it empty for no location)",
        "lsoa_code",
    )


def _unique_refs(frame: pl.DataFrame, labels: dict[str, str], bad: Rejects) -> pl.DataFrame:
    """One row per crime: a crime reference seen on an earlier line is an error."""
    repeated = frame.select(pl.col("crime_ref").is_first_distinct().not_()).to_series()
    return bad.add(
        frame,
        repeated,
        labels["crime_ref"],
        "the crime reference is on an earlier line too (one row per recorded crime)",
        "crime_ref",
    )


def _force(
    frame: pl.DataFrame,
    labels: dict[str, str],
    forces: ForceRegistry,
    options: ReadOptions,
    bad: Rejects,
    source: Source,
) -> pl.DataFrame:
    if options.force:
        force = forces.require(options.force).id
        return frame.with_columns(pl.lit(force).alias("force"))
    if frame["force"].is_null().all():
        raise UsageError(
            f"{source.name}: the records name no force",
            hint="give --force NAME (or a force column in the extract)",
        )
    from pcp_cli.ingest.readers import _resolve_forces

    frame = frame.rename({"force": "force_name"})
    return _resolve_forces(frame, "force_name", labels["force"], forces, bad).drop("force_name")


# -- pseudonymisation --------------------------------------------------------------------
def store_secret(root: Path) -> bytes:
    """The store's key for hashing victim references, made on first use (mode 0600).

    It never leaves the store folder and is never printed. Losing it only means victims of
    records ingested afterwards cannot be matched with earlier ones (repeat victims).
    """
    path = root / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError):
        raise StoreError(
            f"the store's records key {path} is unreadable",
            hint="restore it from the store's backup (repeat victims need the same key)",
        ) from None
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return store_secret(root)  # another writer made it first
    except OSError as exc:
        raise StoreError(f"cannot create the store's records key {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key.hex())
        fh.flush()
        os.fsync(fh.fileno())
    return key


def pseudonymise(frame: pl.DataFrame, key: bytes) -> pl.DataFrame:
    """Replace victim_ref by victim_key = HMAC-SHA256(key, reference), hex; empty stays null."""
    refs = frame.get_column("victim_ref").drop_nulls().unique().to_list()
    hashed = {ref: hmac.new(key, ref.encode("utf-8"), hashlib.sha256).hexdigest() for ref in refs}
    return frame.with_columns(
        pl.col("victim_ref")
        .replace_strict(hashed, default=None, return_dtype=pl.String)
        .alias("victim_key")
    ).drop("victim_ref")
