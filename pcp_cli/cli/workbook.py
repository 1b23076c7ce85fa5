"""Excel workbooks (xlsx) of pcp's rows, written with xlsxwriter (imported only here).

Numbers are numbers, whole counts integers, months dates (shown ``mmm yyyy``), lists
``;``-joined text; one sheet per table (a frame with a ``part`` column, like the report's,
gets one sheet per part, each with only the columns that part fills); column widths set
from the contents; the header row frozen and filtered.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable
from typing import Any

import polars as pl

_MAX_WIDTH = 60
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def workbook_bytes(frame: pl.DataFrame, name: str, *, cell_text: Callable[[str], str]) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    from pcp_cli.schemas import SCHEMA_VERSION

    book.set_properties({"title": f"pcp {name}", "comments": f"schema version {SCHEMA_VERSION}"})
    formats = {
        "month": book.add_format({"num_format": "mmm yyyy"}),
        "header": book.add_format({"bold": True}),
    }
    for title, part in _tables(frame, name):
        _sheet(book, title, part, formats, cell_text)
    book.close()
    return buf.getvalue()


def _tables(frame: pl.DataFrame, name: str) -> list[tuple[str, pl.DataFrame]]:
    if "part" not in frame.columns or frame.height == 0:
        return [(_sheet_name(name), frame)]
    out = []
    for (part,), rows in frame.group_by("part", maintain_order=True):
        filled = [c for c in rows.columns if rows[c].null_count() < rows.height]
        out.append((_sheet_name(str(part)), rows.select(filled)))
    return out


def _sheet_name(text: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    return _BAD_SHEET_CHARS.sub("-", text)[:31] or "Sheet1"


def _sheet(
    book: Any,
    title: str,
    frame: pl.DataFrame,
    formats: dict[str, Any],
    cell_text: Callable[[str], str],
) -> None:
    sheet = book.add_worksheet(title)
    widths = [len(c) for c in frame.columns]
    for col, name in enumerate(frame.columns):
        sheet.write_string(0, col, cell_text(name), formats["header"])
    for r, row in enumerate(frame.iter_rows(), start=1):
        for c, value in enumerate(row):
            widths[c] = max(widths[c], _write(sheet, r, c, value, formats, cell_text))
    for c, w in enumerate(widths):
        sheet.set_column(c, c, min(_MAX_WIDTH, w + 2))
    sheet.freeze_panes(1, 0)
    if frame.width:
        sheet.autofilter(0, 0, max(frame.height, 1), frame.width - 1)


def _write(
    sheet: Any,
    r: int,
    c: int,
    value: Any,
    formats: dict[str, Any],
    cell_text: Callable[[str], str],
) -> int:
    """Write one cell with its proper type; return its display width."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return 0
    if isinstance(value, bool):
        sheet.write_boolean(r, c, value)
        return 5
    if isinstance(value, int | float):
        number = int(value) if isinstance(value, float) and value.is_integer() else value
        sheet.write_number(r, c, number)
        return len(f"{number:,}" if isinstance(number, int) else f"{number:.6g}")
    if isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
        sheet.write_datetime(r, c, when, formats["month"])
        return 9
    if isinstance(value, list):
        text = ";".join("" if v is None else _plain(v) for v in value)
    else:
        text = str(value)
    text = cell_text(text)
    sheet.write_string(r, c, text)
    return len(text)


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    return str(value)
