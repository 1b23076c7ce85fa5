"""Parse one extract into the canonical columns of its dataset.

Every column is read as text and then converted by its declared type, so a value that
does not fit is reported with its line and column instead of being guessed at.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from pcp_cli.datasets import DATASETS, DatasetSpec, detect_kind
from pcp_cli.errors import DataError, UsageError
from pcp_cli.forces import ForceRegistry
from pcp_cli.ingest.rows import LINE, BadRows, Rejects, blank_to_null, read_csv
from pcp_cli.periods import month_text, parse_period

_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
# What a police figure can be. Years: recorded crime series start in the 20th century and
# no extract is dated beyond this one; coordinates: anywhere on Earth (data.police.uk
# places points in England and Wales, but a wider box costs nothing and refuses what
# matters: nan, inf and numbers that are no coordinate). Counts: a billion is ten times
# every crime recorded in England and Wales in a year, and a sum of them cannot wrap.
FIRST_YEAR, LAST_YEAR = 1900, 2099
_PLAUSIBLE_MONTH_RE = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"
MAX_COUNT = 1_000_000_000
COORDINATE_RANGE = {"longitude": (-180.0, 180.0), "latitude": (-90.0, 90.0)}
_SLUG_RE = re.compile(r"^\d{4}-\d{2}-(?P<slug>.+)-(?:street|outcomes|stop-and-search)\.csv$", re.I)


@dataclass(frozen=True)
class Source:
    """An extract's bytes and where they came from."""

    name: str  # path as given, or <stdin>
    data: bytes

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def head(self) -> bytes:
        return self.data[: _HEADER_LIMIT + len(codecs.BOM_UTF8)]

    @property
    def has_body(self) -> bool:
        newline = self.data.find(b"\n")
        return newline >= 0 and _NON_SPACE.search(self.data, newline) is not None


_NON_SPACE = re.compile(rb"\S")


@dataclass(frozen=True)
class FilePeek:
    """A file on disk known by its hash, size and first bytes: enough to decide whether
    polars may read it in one pass, without holding its bytes (polars reads the file)."""

    name: str
    size: int
    sha256: str
    head: bytes  # the first _HEADER_LIMIT bytes (and a BOM's)
    has_body: bool  # anything but white space after the header line
    commas: int = -1  # in the whole file (-1: not counted)
    quotes: int = -1
    lines: int = -1

    def fields_add_up(self, width: int) -> bool | None:
        """Whether every line holds ``width`` fields, from the file's totals: with no quote
        in the file, a row cut short (or a blank line) leaves fewer commas than lines × (width
        - 1), and polars refuses rows with too many. None when quotes make the totals moot."""
        if self.quotes != 0 or self.lines < 0:
            return None
        return self.commas == self.lines * (width - 1)


def peek_file(name: str, chunk: int = 1 << 20) -> FilePeek:
    """Hash a file in chunks into one reused buffer (no copy of the whole file)."""
    digest = hashlib.sha256()
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    head = b""
    size = commas = quotes = newlines = 0
    last = b"\n"
    in_header, has_body = True, False
    with open(name, "rb") as fh:
        while n := fh.readinto(buffer):
            piece = view[:n]
            digest.update(piece)
            size += n
            # Counted on the buffer in place (C speed, no copy): see fields_add_up.
            commas += buffer.count(b",", 0, n)
            quotes += buffer.count(b'"', 0, n)
            newlines += buffer.count(b"\n", 0, n)
            last = bytes(piece[n - 1 :])
            if len(head) < _HEADER_LIMIT + len(codecs.BOM_UTF8):
                head += bytes(piece[: _HEADER_LIMIT + len(codecs.BOM_UTF8) - len(head)])
            if not has_body:
                start = 0
                if in_header:
                    newline = buffer.find(b"\n", 0, n)
                    if newline >= 0:
                        in_header, start = False, newline
                if not in_header:
                    has_body = _NON_SPACE.search(piece, start) is not None
    lines = newlines + (0 if last == b"\n" else 1)
    return FilePeek(name, size, digest.hexdigest(), head, has_body, commas, quotes, lines)


@dataclass
class Parsed:
    source: Source
    kind: str
    frame: pl.DataFrame  # canonical columns + force, month, span; no _line
    rejects: pl.DataFrame  # line, column, value, reason


@dataclass(frozen=True)
class ReadOptions:
    kind: str | None = None
    encoding: str = "utf-8-sig"
    force: str | None = None  # for extracts without a force column (stop and search from stdin)
    on_bad_rows: BadRows = "fail"
    map_file: str | None = None  # crime records: a column map (pcp_cli.ingest.records)


def decode(source: Source, encoding: str) -> bytes:
    """UTF-8 bytes of the extract, BOM removed; a clear error for the wrong encoding."""
    data = source.data
    for magic, what in _ARCHIVES.items():
        if data.startswith(magic):
            raise DataError(
                f"{source.name}: this is {what}, not a CSV file",
                hint="unpack or export it to CSV first",
            )
    enc = codecs.lookup(encoding).name if _known(encoding) else None
    if enc is None:
        raise UsageError(f"unknown encoding '{encoding}'", hint="e.g. utf-8, cp1252, latin-1")
    if enc in ("utf-8", "utf-8-sig"):
        data = data.removeprefix(codecs.BOM_UTF8)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise DataError(
                f"{source.name}, line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                hint="the file is probably Windows-1252; try --encoding cp1252",
            ) from None
        return data
    try:
        return data.decode(enc).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{source.name}: cannot be read as {encoding}: {exc.reason}") from None


def _known(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


def read_header(data: bytes) -> list[str]:
    end = data.find(b"\n", 0, _HEADER_LIMIT)
    first = data[: end if end >= 0 else _HEADER_LIMIT].rstrip(b"\r")
    text = first.decode("utf-8", errors="replace")
    try:
        return next(csv.reader([text]), [])
    except csv.Error:  # e.g. a field longer than the csv module allows: not a header
        return text.split(",")


_HEADER_LIMIT = 64 * 1024  # a header line is never longer than this
_ARCHIVES = {
    b"\x1f\x8b": "a gzip file",
    b"PK\x03\x04": "a zip archive",
    b"PAR1": "a Parquet file",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) workbook",
}


def parse(source: Source, forces: ForceRegistry, options: ReadOptions) -> Parsed:
    data = decode(source, options.encoding)
    if not data.strip():
        raise DataError(f"{source.name}: the file is empty")
    header = read_header(data)
    problem = header_problem(header)
    if problem is not None:
        raise DataError(
            f"{source.name}, line 1: {problem}", hint="rename or remove one of the two columns"
        )
    kind = options.kind or detect_kind(header)
    if kind is None:
        shown = ",".join(header)[:120]
        raise DataError(
            f"{source.name}: cannot tell what kind of extract this is from its header '{shown}'",
            hint="give --kind (street, outcomes, stop-search, prc, counts, survey, population, "
            "crime-records, areas)"
            + ("" if source.name == "<stdin>" else _exclude_hint(source.name)),
        )
    if kind not in DATASETS:
        raise UsageError(f"unknown --kind '{kind}'", hint="one of " + ", ".join(DATASETS))
    spec = DATASETS[kind]
    if kind in _OWN_READERS:
        return _OWN_READERS[kind](source, data, forces, options)
    text = read_csv(source, data)
    bad = Rejects(source, options.on_bad_rows)
    if kind in ("street", "outcomes"):
        fast = _fast_police_uk(text, spec, forces)
        if fast is not None:
            return Parsed(source, kind, fast, bad.frame())
    raw = blank_to_null(text)
    if kind == "population":
        frame = _population(raw, source, forces, bad)
    else:
        frame = _canonical(raw, spec, source, header)
        frame = _convert(frame, spec, bad)
        frame = _ADD_KEYS[kind](frame, source, forces, options, bad)
    frame = frame.drop(LINE)
    return Parsed(source, kind, frame, bad.frame())


def _exclude_hint(name: str) -> str:
    quoted = Path(name).name.replace("'", "'\\''")
    return f", or leave the file out with --exclude '{quoted}' if it is not an extract"


def _line_table(source: list[str]) -> pl.LazyFrame:
    """Each physical line as one text value: no quoting, a separator no CSV uses."""
    return pl.scan_csv(
        source,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        schema={"line": pl.String},
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )


def suspect_lines(width: int) -> pl.Expr:
    """Whether a line holds a record of another width than the header: its commas outside
    quotes do not add up. Blank lines are left to the parser, and so are the lines of a
    record with a quoted line break (an odd number of quotes), which only the careful
    way (:func:`short_record`) checks."""
    line = pl.col("line")
    quotes = line.str.count_matches('"', literal=True)
    plain = line.filter(quotes == 0)
    blank = plain.str.strip_chars(" \t\r") == ""
    bad_plain = (~blank & (plain.str.count_matches(",", literal=True) != width - 1)).any()
    paired = line.filter((quotes > 0) & (quotes % 2 == 0)).str.replace_all(r'"[^"]*"', "")
    bad_paired = (paired.str.count_matches(",", literal=True) != width - 1).any()
    return bad_plain | bad_paired


@dataclass(frozen=True)
class PoliceUkColumns:
    """How a data.police.uk extract's text columns become the stored columns.

    ``exprs`` give the stored columns in order (numbers cast, missing optional columns
    null); ``texts`` and ``numbers`` pair each extract column with its stored column, so
    blank-looking text and values that are not numbers can be found in either.
    """

    exprs: tuple[pl.Expr, ...]
    texts: tuple[tuple[str, str], ...]
    numbers: tuple[tuple[str, str], ...]
    falls_within: str
    month: str


def police_uk_columns(
    columns: Sequence[str], spec: DatasetSpec, keep: tuple[str, ...] = (), *, strict: bool = False
) -> PoliceUkColumns | None:
    """The stored columns from an extract's header; None when a required column is missing.

    ``strict`` casts raise on a value that is not a number (a lazy query then fails and
    the file goes the careful way); otherwise such a value becomes null and is found by
    comparing null counts.
    """
    present = {c.casefold(): c for c in columns if c not in keep}
    if any(c.required and c.source.casefold() not in present for c in spec.columns):
        return None
    exprs: list[pl.Expr] = []
    texts: list[tuple[str, str]] = []
    numbers: list[tuple[str, str]] = []
    for col in spec.columns:
        source_col = present.get(col.source.casefold())
        if source_col is None:
            exprs.append(pl.lit(None, dtype=pl.String).alias(col.name))
            continue
        value = pl.col(source_col)
        if col.dtype != "str":
            value = value.cast(pl.Float64 if col.dtype == "float" else pl.Int64, strict=strict)
            numbers.append((source_col, col.name))
        else:
            texts.append((source_col, col.name))
        exprs.append(value.alias(col.name))
    return PoliceUkColumns(
        tuple(exprs),
        tuple(texts),
        tuple(numbers),
        present["falls within"],
        present["month"],
    )


def force_mapping(names: Iterable[str | None], forces: ForceRegistry) -> dict[str, str] | None:
    """Each 'Falls within' spelling to its force id; None if any is blank or unknown."""
    mapping: dict[str, str] = {}
    for name in names:
        force = forces.resolve(name) if name is not None and name.strip(" \t") else None
        if name is None or force is None:
            return None
        mapping[name] = force
    return mapping


def is_month(value: str | None) -> bool:
    """A month in the form YYYY-MM within the plausible years."""
    return value is not None and re.match(_PLAUSIBLE_MONTH_RE, value) is not None


def implausible_coordinates(columns: Iterable[str]) -> pl.Expr:
    """True when any of these stored coordinate columns holds nan, inf or a number off the
    Earth (a null, a blank value, is allowed)."""
    checks = [
        ~pl.col(c).is_between(*COORDINATE_RANGE[c]).fill_null(True)
        for c in columns
        if c in COORDINATE_RANGE
    ]
    return pl.any_horizontal(checks).any() if checks else pl.lit(False)


def header_problem(header: Sequence[str]) -> str | None:
    """A header naming one column twice (case and spaces ignored, as columns are matched):
    which value would count is a guess, so the file is refused."""
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().casefold()
        if not key:
            continue
        if key in seen:
            return (
                f"the header names the column '{name.strip()[:60]}' twice "
                f"(columns {seen[key] + 1} and {i + 1})"
            )
        seen[key] = i
    return None


def _fast_police_uk(
    text: pl.DataFrame, spec: DatasetSpec, forces: ForceRegistry, keep: tuple[str, ...] = ()
) -> pl.DataFrame | None:
    """One pass for a clean data.police.uk file; None sends it the careful, row-by-row way.

    It gives exactly what the careful path gives when no row is bad, and declines (None)
    whenever any row would be rejected, so messages and rejects always come from one place.
    ``keep`` names extra columns to carry through (a batch of files keeps its file column).
    """
    plan = police_uk_columns(text.columns, spec, keep)
    if plan is None:
        return None
    names, months = text.select(
        pl.col(plan.falls_within).unique().implode(), pl.col(plan.month).unique().implode()
    ).row(0)
    mapping = force_mapping(names, forces)
    if mapping is None or not all(is_month(m) for m in months):
        return None
    if any_blank_looking(text, [c for c, _ in plan.texts]):
        return None
    frame = text.select(
        *plan.exprs,
        *keep,
        pl.col(plan.falls_within).replace_strict(mapping, return_dtype=pl.String).alias("force"),
        pl.lit(1, dtype=pl.Int32).alias("span"),
    )
    # A value that is not a number (blank text included) becomes null in the cast, so the
    # stored column has more nulls than the extract's text: that file goes the careful way.
    if plan.numbers:
        before = text.select(pl.col(c).null_count() for c, _ in plan.numbers).row(0)
        after = frame.select(pl.col(c).null_count() for _, c in plan.numbers).row(0)
        if before != after:
            return None
        if frame.select(implausible_coordinates(c for _, c in plan.numbers)).item():
            return None
    return frame


def blank_looking_low(low: str | None) -> bool:
    """Whether a column's smallest value says some value may be blank-looking."""
    return low is not None and low < "!"


def _blank_start(value: pl.Expr) -> pl.Expr:
    return value.str.starts_with(" ") | value.str.starts_with("\t") | (value.str.len_bytes() == 0)


def any_blank_looking(text: pl.DataFrame, columns: Sequence[str]) -> bool:
    """Whether a value of these columns is "" or starts with a space or tab (the careful
    way makes blank text missing, so such a file goes that way).

    A column's smallest value (in byte order) answers for the whole column at once: only
    when it starts below "!" (a space, a tab, any control character, or is "") are its
    values looked at one by one. That keeps the check at a fifth of its row-by-row cost.
    """
    if not columns:
        return False
    lows = text.select(pl.col(c).min().alias(str(i)) for i, c in enumerate(columns)).row(0)
    suspects = [c for c, low in zip(columns, lows, strict=True) if blank_looking_low(low)]
    if not suspects:
        return False
    found = text.select(pl.any_horizontal(_blank_start(pl.col(c)) for c in suspects).any())
    return bool(found.item())


FAST_KINDS = ("street", "outcomes")


def batch_kind(sources: Sequence[Source | FilePeek], options: ReadOptions) -> str | None:
    """The kind of a batch of files that may be read in one pass: UTF-8 data.police.uk
    files with one and the same header and rows after it; None otherwise."""
    if options.kind not in (None, *FAST_KINDS) or not _known(options.encoding):
        return None
    if codecs.lookup(options.encoding).name not in ("utf-8", "utf-8-sig"):
        return None
    first_lines = {first_line(source) if source.has_body else None for source in sources}
    if len(first_lines) != 1 or None in first_lines:
        return None
    header = first_lines.pop()
    assert header is not None
    if header_problem(read_header(header)) is not None:
        return None
    kind = options.kind or detect_kind(read_header(header))
    return kind if kind in FAST_KINDS else None


def first_line(source: Source | FilePeek) -> bytes | None:
    """The header line of a file (no BOM, no line end); None if there is no line end."""
    head = source.head.removeprefix(codecs.BOM_UTF8)
    end = head.find(b"\n", 0, _HEADER_LIMIT)
    return None if end < 0 else head[:end].rstrip(b"\r")


def scan_extracts(names: list[str], column: str) -> pl.LazyFrame:
    """Files with one header as text, ``column`` naming each row's file."""
    return pl.scan_csv(
        names, infer_schema=False, has_header=True, include_file_paths=column, raise_if_empty=False
    )


def fast_batch(
    sources: Sequence[Source | FilePeek], forces: ForceRegistry, options: ReadOptions, column: str
) -> tuple[str, pl.DataFrame] | None:
    """Many clean data.police.uk files read and checked in one pass (files on disk only).

    Returns the kind and one frame with ``column`` naming each row's file, exactly as
    :func:`parse` would give file by file; None when any file needs the careful way
    (another kind, another encoding, another header, an empty file or any bad row).
    """
    kind = batch_kind(sources, options)
    if kind is None:
        return None
    try:
        text = scan_extracts([s.name for s in sources], column).collect()
    except (pl.exceptions.PolarsError, OSError):
        return None  # the careful way names the file and the problem
    text = text.rename({c: c.strip() for c in text.columns})
    names = set(text.get_column(column).unique().to_list())
    if names != {s.name for s in sources} or len(set(text.columns)) != len(text.columns):
        return None  # a file without rows, or a header that repeats a column
    if rows_may_be_short(sources, len(text.columns) - 1):
        return None  # a row cut short, maybe: the careful way tells
    frame = _fast_police_uk(text, DATASETS[kind], forces, keep=(column,))
    return None if frame is None else (kind, frame)


def rows_may_be_short(sources: Sequence[Source | FilePeek], width: int) -> bool:
    """Whether a record of these files may have another width than the header: from the
    files' comma and line totals, and only where quotes make those moot, line by line."""
    unsure = []
    for source in sources:
        add_up = source.fields_add_up(width) if isinstance(source, FilePeek) else None
        if add_up is False:
            return True
        if add_up is None:
            unsure.append(source.name)
    return bool(unsure) and any_suspect_lines(unsure, width)


def any_suspect_lines(names: list[str], width: int) -> bool:
    """Whether a line of these files may be a record of another width (one fast scan)."""
    try:
        found = _line_table(names).select(suspect_lines(width)).collect().item()
    except (pl.exceptions.PolarsError, OSError):
        return True
    return bool(found)


def _canonical(
    raw: pl.DataFrame, spec: DatasetSpec, source: Source, header: list[str]
) -> pl.DataFrame:
    present = {c.casefold(): c for c in raw.columns if c != LINE}
    missing = [c.source for c in spec.columns if c.required and c.source.casefold() not in present]
    if spec.name == "counts" and not ({"month", "period"} & set(present)):
        missing.append("month or period")
    if missing:
        raise DataError(
            f"{source.name}: missing column(s) {', '.join(repr(m) for m in missing)} "
            f"for a {spec.name} extract",
            hint=f"expected header: {','.join(c.source for c in spec.columns)}",
        )
    exprs = [pl.col(LINE)]
    for col in spec.columns:
        if col.source.casefold() in present:
            exprs.append(pl.col(present[col.source.casefold()]).alias(col.name))
        else:
            exprs.append(pl.lit(None, dtype=pl.String).alias(col.name))
    return raw.select(exprs)


def _convert(frame: pl.DataFrame, spec: DatasetSpec, bad: Rejects) -> pl.DataFrame:
    for col in spec.columns:
        if col.dtype == "str":
            continue
        target = pl.Float64 if col.dtype == "float" else pl.Int64
        text = pl.col(col.name).str.strip_chars()
        if col.dtype == "int":
            text = text.str.replace_all(",", "")
        converted = frame.select(text.cast(target, strict=False)).to_series()
        failed = converted.is_null() & frame[col.name].is_not_null()
        kind = "number" if col.dtype == "float" else "whole number"
        frame = bad.add(frame, failed, col.source, f"not a valid {kind}", col.name)
        frame = frame.with_columns(text.cast(target, strict=False).alias(col.name))
        frame = _check_range(frame, col.name, col.source, bad)
    return frame


def _check_range(frame: pl.DataFrame, name: str, label: str, bad: Rejects) -> pl.DataFrame:
    """Numbers no police extract can hold: nan, inf, coordinates off the Earth, counts
    beyond any force's (whose sums could wrap)."""
    values = frame[name]
    if values.dtype == pl.Float64:
        low, high = COORDINATE_RANGE.get(name, (-float("inf"), float("inf")))
        frame = bad.add(frame, ~values.is_finite(), label, "not a finite number", name)
        values = frame[name]
        return bad.add(
            frame, ~values.is_between(low, high), label, f"outside {low:g} to {high:g}", name
        )
    too_big = values.abs() > MAX_COUNT
    return bad.add(frame, too_big, label, f"larger than any police figure ({MAX_COUNT:,})", name)


def _resolve_forces(
    frame: pl.DataFrame, column: str, label: str, forces: ForceRegistry, bad: Rejects
) -> pl.DataFrame:
    frame = bad.add(frame, frame[column].is_null(), label, "the force is empty", column)
    names = frame[column].unique().to_list()
    mapping = {n: forces.resolve(n) for n in names}
    unknown = [n for n, fid in mapping.items() if fid is None]
    if unknown:
        mask = frame[column].is_in(unknown)
        if bad.mode == "fail":
            first = frame.filter(mask).row(0, named=True)
            raise DataError(
                f"{bad.source.name}, line {first[LINE]}, column '{label}': unknown force "
                f"'{first[column]}'",
                hint=f"{forces.suggest(first[column])} (or add the spelling to the aliases in "
                f"{forces.path})",
            )
        frame = bad.add(frame, mask, label, "unknown force", column)
    return frame.with_columns(
        pl.col(column).replace_strict(mapping, return_dtype=pl.String, default=None).alias("force")
    )


def _check_month(frame: pl.DataFrame, column: str, label: str, bad: Rejects) -> pl.DataFrame:
    ok = frame[column].str.contains(_MONTH_RE)
    frame = bad.add(frame, ~ok.fill_null(False), label, "not a month in the form YYYY-MM", column)
    return _check_year(frame, frame[column].str.slice(0, 4).cast(pl.Int32), label, column, bad)


def _check_year(
    frame: pl.DataFrame, years: pl.Series, label: str, column: str, bad: Rejects
) -> pl.DataFrame:
    outside = ~years.is_between(FIRST_YEAR, LAST_YEAR)
    reason = f"the year is outside {FIRST_YEAR} to {LAST_YEAR}: not a plausible date"
    return bad.add(frame, outside, label, reason, column)


def _police_uk(
    frame: pl.DataFrame, source: Source, forces: ForceRegistry, options: ReadOptions, bad: Rejects
) -> pl.DataFrame:
    frame = _check_month(frame, "month", "Month", bad)
    frame = _resolve_forces(frame, "falls_within", "Falls within", forces, bad)
    return frame.with_columns(pl.lit(1, dtype=pl.Int32).alias("span"))


def _stop_search(
    frame: pl.DataFrame, source: Source, forces: ForceRegistry, options: ReadOptions, bad: Rejects
) -> pl.DataFrame:
    force: str | None
    if options.force:
        force = forces.require(options.force).id
    else:
        match = _SLUG_RE.match(Path(source.name).name)
        force = forces.resolve(match.group("slug")) if match else None
        if force is None:
            raise DataError(
                f"{source.name}: stop and search files have no force column and the file name "
                "does not name a known force",
                hint="name it like 2019-12-leicestershire-stop-and-search.csv or give --force",
            )
    month = pl.col("date").str.slice(0, 7)
    frame = frame.with_columns(month.alias("month"))
    frame = _check_month(frame, "month", "Date", bad)
    return frame.with_columns(pl.lit(force).alias("force"), pl.lit(1, dtype=pl.Int32).alias("span"))


def _prc(
    frame: pl.DataFrame, source: Source, forces: ForceRegistry, options: ReadOptions, bad: Rejects
) -> pl.DataFrame:
    # Counts are Excel accounting text: " 123 ", "-00 " for zero, "-1 " for adjustments.
    text = pl.col("number_of_offences").str.strip_chars().str.replace_all(r"[,\s]", "")
    text = pl.when(text.str.contains(r"^-0+$")).then(pl.lit("0")).otherwise(text)
    number = frame.select(text.cast(pl.Int64, strict=False)).to_series()
    frame = bad.add(
        frame,
        number.is_null() & frame["number_of_offences"].is_not_null(),
        "Number of Offences",
        "not a whole number",
    )
    frame = bad.add(
        frame, frame["number_of_offences"].is_null(), "Number of Offences", "the count is empty"
    )
    frame = frame.with_columns(text.cast(pl.Int64, strict=False).alias("number_of_offences"))
    frame = _check_range(frame, "number_of_offences", "Number of Offences", bad)
    fy = (
        frame["financial_year"]
        .str.extract(r"^\s*(\d{4})/(\d{2})\s*$", 1)
        .cast(pl.Int32, strict=False)
    )
    quarter = frame["financial_quarter"].str.strip_chars().cast(pl.Int32, strict=False)
    frame = bad.add(frame, fy.is_null(), "Financial Year", "not a financial year like 2017/18")
    frame = _check_year(
        frame,
        frame["financial_year"].str.extract(r"^\s*(\d{4})/", 1).cast(pl.Int32),
        "Financial Year",
        "financial_year",
        bad,
    )
    quarter = frame["financial_quarter"].str.strip_chars().cast(pl.Int32, strict=False)
    frame = bad.add(
        frame, ~quarter.is_between(1, 4).fill_null(False), "Financial Quarter", "not a quarter 1-4"
    )
    fy = frame["financial_year"].str.extract(r"^\s*(\d{4})/", 1).cast(pl.Int32)
    quarter = frame["financial_quarter"].str.strip_chars().cast(pl.Int32)
    start = fy * 12 + 3 + (quarter - 1) * 3
    frame = frame.with_columns(
        start.map_elements(month_text, return_dtype=pl.String).alias("month"),
        pl.lit(3, dtype=pl.Int32).alias("span"),
    )
    return _resolve_forces(frame, "force_name", "Force Name", forces, bad)


def _counts(
    frame: pl.DataFrame, source: Source, forces: ForceRegistry, options: ReadOptions, bad: Rejects
) -> pl.DataFrame:
    frame = bad.empty(frame, {"measure": "the measure is empty", "value": "the value is empty"})
    has_month = frame["month"].is_not_null()
    has_period = frame["period"].is_not_null()
    frame = bad.add(
        frame,
        ~(has_month ^ has_period),
        "month",
        "give exactly one of month (YYYY-MM) or period (e.g. 2018/19 Q2)",
    )
    frame = _periods_to_months(frame, bad, allow=("month", "quarter"))
    return _resolve_forces(frame, "force_name", "force", forces, bad)


def _survey(
    frame: pl.DataFrame, source: Source, forces: ForceRegistry, options: ReadOptions, bad: Rejects
) -> pl.DataFrame:
    frame = bad.empty(
        frame, {"respondents": "respondents is empty", "positive": "positive is empty"}
    )
    frame = bad.add(
        frame,
        frame["respondents"] <= 0,
        "respondents",
        "no respondents: a proportion needs at least one",
    )
    frame = bad.add(
        frame,
        (frame["positive"] < 0) | (frame["positive"] > frame["respondents"]),
        "positive",
        "must be between 0 and respondents",
    )
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("month"))
    frame = _periods_to_months(frame, bad, allow=("month", "quarter", "rolling", "financial-year"))
    return _resolve_forces(frame, "force_name", "force", forces, bad)


_MONTH_NAMES = {
    name: i + 1
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_EXCEL_MONTH = re.compile(r"^([A-Za-z]{3})[A-Za-z]*[-\s]'?(\d{2}|\d{4})$")  # May-19, May 2019
_EXCEL_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+0?0:00(?::00)?)?$")  # 01/05/2019
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-01(?:[T\s]00:00(?::00)?)?$")  # 2019-05-01


def excel_month(value: str) -> str | None:
    """A month as Excel re-saves one, as YYYY-MM; None if it is not one.

    ``May-19``/``May 2019`` (month name, 2- or 4-digit year), ``01/05/2019`` (the UK
    day/month/year Excel writes for the first of the month; any other day is a date, not a
    month, and is left for the caller to reject), ``2019-05-01`` (ISO, first of the month).
    """
    text = value.strip()
    if m := _EXCEL_MONTH.match(text):
        month = _MONTH_NAMES.get(m.group(1).lower())
        year = int(m.group(2)) + (2000 if len(m.group(2)) == 2 else 0)
        return f"{year:04d}-{month:02d}" if month else None
    if (m := _EXCEL_DATE.match(text)) and int(m.group(1)) == 1 and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(3)}-{int(m.group(2)):02d}"
    if m := _ISO_DATE.match(text):
        return f"{m.group(1)}-{m.group(2)}"
    return None


def _periods_to_months(frame: pl.DataFrame, bad: Rejects, allow: tuple[str, ...]) -> pl.DataFrame:
    """Turn a ``period`` column (or ``month``) into the first month and a span of months."""
    if "period" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("period"))
    text = pl.coalesce(pl.col("month"), pl.col("period"))
    values = frame.select(text).to_series().unique().to_list()
    parsed: dict[str, tuple[str, int] | None] = {}
    for value in values:
        if value is None:
            continue
        try:
            p = parse_period(excel_month(value) or value)
        except UsageError:
            parsed[value] = None
            continue
        kind = "month" if p.kind in ("month",) else p.kind
        start = month_text(p.start)
        plausible = FIRST_YEAR <= int(start[:4]) <= LAST_YEAR
        parsed[value] = (start, p.length) if kind in allow and plausible else None
    frame = frame.with_columns(text.alias("_period_text"))
    invalid = frame["_period_text"].is_in([v for v, p in parsed.items() if p is None])
    from_month = frame["month"].is_not_null()
    # Name the column the bad value is in: a month column re-saved by Excel is 'month'.
    frame = bad.add(
        frame,
        invalid & from_month,
        "month",
        f"not a month (YYYY-MM, or as Excel saves one: May-19, 01/05/2019) within {FIRST_YEAR}"
        f" to {LAST_YEAR}",
        "_period_text",
    )
    frame = bad.add(
        frame,
        frame["_period_text"].is_in([v for v, p in parsed.items() if p is None]),
        "period",
        f"not a period ({', '.join(allow)}) within {FIRST_YEAR} to {LAST_YEAR}",
        "_period_text",
    )
    starts = {v: p[0] for v, p in parsed.items() if p}
    spans = {v: p[1] for v, p in parsed.items() if p}
    return frame.with_columns(
        pl.col("_period_text").replace_strict(starts, return_dtype=pl.String).alias("month"),
        pl.col("_period_text").replace_strict(spans, return_dtype=pl.Int32).alias("span"),
    ).drop("_period_text", "period")


def _population(
    raw: pl.DataFrame, source: Source, forces: ForceRegistry, bad: Rejects
) -> pl.DataFrame:
    cols = {c.casefold(): c for c in raw.columns if c != LINE}
    if {"force", "year", "population"} <= set(cols):
        long = raw.select(
            pl.col(LINE),
            pl.col(cols["force"]).alias("force_name"),
            pl.col(cols["year"]).alias("year"),
            pl.col(cols["population"]).alias("population"),
        )
    elif "year" in cols:
        # Wide layout: a year column and one column per force (ONS-derived tables).
        force_cols = [c for c in raw.columns if c not in (LINE, cols["year"])]
        long = raw.unpivot(
            index=[LINE, cols["year"]],
            on=force_cols,
            variable_name="force_name",
            value_name="population",
        )
        long = long.rename({cols["year"]: "year"})
    else:
        raise DataError(
            f"{source.name}: a population file needs force,year,population columns "
            "or a year column plus one column per force"
        )
    spec = DATASETS["population"]
    long = _convert(long, spec, bad)
    long = bad.empty(long, {"population": "population is empty"})
    long = bad.add(long, long["population"] <= 0, "population", "population must be positive")
    long = _check_year(long, long["year"], "year", "year", bad)
    long = _resolve_forces(long, "force_name", "force", forces, bad)
    return long.select(LINE, "force", "force_name", pl.col("year").cast(pl.Int32), "population")


def _records(source: Source, data: bytes, forces: ForceRegistry, options: ReadOptions) -> Parsed:
    from pcp_cli.ingest.records import parse_records

    return parse_records(source, data, forces, options)


def _areas(source: Source, data: bytes, forces: ForceRegistry, options: ReadOptions) -> Parsed:
    from pcp_cli.ingest.areas import parse_areas

    return parse_areas(source, data, options)


# Kinds read by their own module (they share only the CSV reading and the row checks).
_OWN_READERS = {"crime-records": _records, "areas": _areas}

_ADD_KEYS = {
    "street": _police_uk,
    "outcomes": _police_uk,
    "stop-search": _stop_search,
    "prc": _prc,
    "counts": _counts,
    "survey": _survey,
}
