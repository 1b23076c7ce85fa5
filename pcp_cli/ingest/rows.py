"""An extract as a table of text, and the ledger of the rows refused: what every reader
shares (:mod:`pcp_cli.ingest.readers` for the published formats, :mod:`pcp_cli.ingest.records`
for crime records, :mod:`pcp_cli.ingest.areas` for area lookups)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Literal

import polars as pl

from pcp_cli.errors import DataError

if TYPE_CHECKING:  # readers reads through this module
    from pcp_cli.ingest.readers import Source

BadRows = Literal["fail", "skip"]
LINE = "_line"  # 1-based line of the record in the extract (header is line 1)
_TAIL_BYTES = 64 * 1024  # the end of a file looked at for blank lines


class Rejects:
    """Collects rejected rows; in 'fail' mode the first one stops the file."""

    def __init__(self, source: Source, mode: BadRows) -> None:
        self.source = source
        self.mode = mode
        self.rows: list[dict[str, object]] = []

    def add(
        self,
        frame: pl.DataFrame,
        mask: pl.Series,
        column: str,
        reason: str,
        value_of: str | None = None,
    ) -> pl.DataFrame:
        """Reject the rows where mask is true; return the frame without them.

        ``column`` is the extract's header (for the message), ``value_of`` the frame column
        holding the offending value.
        """
        mask = mask.fill_null(False)
        if not mask.any():
            return frame
        bad = frame.filter(mask)
        first = bad.row(0, named=True)
        value_of = value_of or column
        value = first.get(value_of)
        if self.mode == "fail":
            raise DataError(
                f"{self.source.name}, line {first[LINE]}, column '{column}': {reason}"
                + (f" (value {value!r})" if value is not None else ""),
                hint=f"{bad.height} row(s) affected; fix the extract or use --on-bad-rows skip",
            )
        values = bad[value_of] if value_of in bad.columns else pl.Series([None] * bad.height)
        for row in zip(bad[LINE], values, strict=True):
            self.rows.append({"line": row[0], "column": column, "value": row[1], "reason": reason})
        return frame.filter(~mask)

    def empty(
        self, frame: pl.DataFrame, reasons: dict[str, str], labels: dict[str, str] | None = None
    ) -> pl.DataFrame:
        """Reject the rows with no value in a column of ``reasons`` (column: reason), column by
        column; ``labels`` give the extract's header of each column when not its name."""
        for column, reason in reasons.items():
            label = labels[column] if labels else column
            frame = self.add(frame, frame[column].is_null(), label, reason, column)
        return frame

    def frame(self) -> pl.DataFrame:
        schema = {"line": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}
        if not self.rows:
            return pl.DataFrame(schema=schema)
        return pl.DataFrame(
            [{**r, "value": None if r["value"] is None else str(r["value"])} for r in self.rows],
            schema=schema,
        )


def read_csv(source: Source, data: bytes) -> pl.DataFrame:
    """Every column as text, headers stripped; a clear error for a malformed or empty file."""
    try:
        frame = pl.read_csv(
            data,
            infer_schema=False,
            has_header=True,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{source.name}: not a well-formed CSV file ({detail[:200]})",
            hint="check the delimiter is a comma and quotes are balanced",
        ) from None
    # Blank lines at the end of a file (an editor's, or Excel's) are not rows.
    frame = frame.head(frame.height - _trailing_blank_rows(frame, data))
    if frame.height == 0:
        raise DataError(f"{source.name}: has a header but no data rows")
    short = short_record(data, len(frame.columns), frame.height)
    if short is not None:
        line, fields = short
        raise DataError(
            f"{source.name}, line {line}: the row has {fields} of the header's "
            f"{len(frame.columns)} fields",
            hint="a row cut short (or a missing comma): fix the extract",
        )
    # Trailing spaces in headers are forgiven.
    return frame.rename({c: c.strip() for c in frame.columns})


def _trailing_blank_rows(frame: pl.DataFrame, data: bytes) -> int:
    """How many of the frame's last rows are blank lines at the end of the file."""
    lines = data[-_TAIL_BYTES:].split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the end of the last line
    blank = 0
    for line in reversed(lines[1:]):  # the first may be cut, or be the header
        if line.strip(b" \t\r"):
            break
        blank += 1
    blank = min(blank, frame.height)
    if (
        blank
        and frame.tail(blank)
        .select(pl.all_horizontal(pl.all().is_null() | (pl.all().str.strip_chars(" \t\r") == "")))
        .to_series()
        .all()
    ):
        return blank
    return 0


def short_record(data: bytes, width: int, rows: int) -> tuple[int, int] | None:
    """The line and field count of the first record with fewer fields than the header.

    polars pads a short row with empty values, so a row cut short would be stored with
    its last columns empty: the commas are counted first (C speed), and only a file whose
    totals do not settle it (quotes, blank lines) is read record by record.
    """
    if b'"' not in data:
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        if data.count(b",") == lines * (width - 1):
            return None  # every line has the header's commas (see FilePeek.fields_add_up)
    text = data.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for number, record in enumerate(reader):
            if number > rows:
                break
            if record and len(record) < width and any(f.strip() for f in record):
                return start, len(record)
            start = reader.line_num + 1
    except csv.Error:
        return None  # the parser has read it already; polars' reading stands
    return None


def _blank(column: str) -> pl.Expr:
    """Empty text, or only spaces and tabs, is a missing value."""
    col = pl.col(column)
    return pl.when(col.str.strip_chars(" \t") == "").then(None).otherwise(col)


def blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(_blank(c).alias(c) for c in frame.columns)
    return frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))


def read_text_table(source: Source, data: bytes) -> pl.DataFrame:
    """The extract's rows as text, blanks as nulls, each with its line number (:data:`LINE`)."""
    return blank_to_null(read_csv(source, data))
