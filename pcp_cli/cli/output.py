"""Renderers shared by every command: one DataFrame in, any format out.

Machine formats carry every column at full precision, conformed to the command's
published schema (pcp_cli.schemas); the table and markdown formats show a readable view.
Everything is rendered to bytes first, then written in one go to stdout (every write
checked) or to a file (atomically when it is a regular file, in place when it is a
device or a FIFO).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pcp_cli import text
from pcp_cli.cli.common import OutputOptions
from pcp_cli.errors import EXIT_BROKEN_PIPE, StoreError, UsageError

if TYPE_CHECKING:
    from rich.table import Table as RichTable


# pcp's own symbols, spelled in ASCII in CSV so Excel without a BOM shows them right.
_ASCII_MAP = {
    "±": "+/-",
    "−": "-",
    "–": "-",
    "—": "-",
    "×": "x",
    "§": "S.",
    "…": "...",
    "≥": ">=",
    "≤": "<=",
    "→": "->",
    "│": "|",
    "·": ".",
}
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?$")


@dataclass
class TableView:
    """A human view of a result: headers, formatted cells, and per-row emphasis."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    right_align: set[int] = field(default_factory=set)
    row_styles: list[str | None] = field(default_factory=list)
    cell_styles: dict[tuple[int, int], str] = field(default_factory=dict)
    caption: str | None = None


ViewBuilder = Callable[[pl.DataFrame], TableView]
Row = dict[str, Any]

#: A RAG (or check status) cell's colour on a terminal.
RAG_STYLES = {"RED": "red", "AMBER": "yellow", "GREEN": "green"}


@dataclass(frozen=True)
class RowsLayout:
    """How a frame's rows become a table: the cells of a row, its emphasis (None: plain),
    and the column coloured by the RAG named in a field of the row (as RAG_STYLES)."""

    headers: list[str]
    right_align: set[int]
    cells: Callable[[Row], list[str]]
    row_style: Callable[[Row], str | None]
    rag: tuple[str, str]  # (header of the coloured column, field holding the RAG)


def rows_view(frame: pl.DataFrame, layout: RowsLayout, title: str, caption: str) -> TableView:
    """One table row per frame row, laid out by ``layout``."""
    column = layout.headers.index(layout.rag[0])
    rows: list[list[str]] = []
    styles: list[str | None] = []
    colours: dict[tuple[int, int], str] = {}
    for i, r in enumerate(frame.iter_rows(named=True)):
        rows.append(layout.cells(r))
        styles.append(layout.row_style(r))
        if r[layout.rag[1]] in RAG_STYLES:
            colours[(i, column)] = RAG_STYLES[r[layout.rag[1]]]
    return TableView(title, layout.headers, rows, layout.right_align, styles, colours, caption)


def emit(
    frame: pl.DataFrame, out: OutputOptions, view: ViewBuilder, *, schema: str | None = None
) -> None:
    """Render a command's rows in the chosen format and write them.

    ``schema`` names the published schema (default: the running command's name).
    """
    fmt = out.resolved_format()
    _refuse_binary_on_terminal(fmt, out.output)
    name = schema or _command_name()
    data = render(frame, fmt, view, schema=name, bom=out.bom)
    write_output(out.output, data)


def _command_name() -> str | None:
    import click

    ctx = click.get_current_context(silent=True)
    while ctx is not None and ctx.parent is not None and ctx.parent.parent is not None:
        ctx = ctx.parent  # the top-level command (pcp kpis check: kpis)
    return ctx.info_name if ctx is not None else None


def _refuse_binary_on_terminal(fmt: str, output: Path | None) -> None:
    terminal = sys.stdout is not None and sys.stdout.isatty()
    if fmt in ("parquet", "xlsx") and is_stdout(output) and terminal:
        raise UsageError(
            f"refusing to write {'Parquet' if fmt == 'parquet' else 'a workbook'} to a terminal",
            hint=f"use -o FILE.{fmt} or pipe it to another program",
        )


def format_named(path: Path, formats: Mapping[str, str], what: str, hint: str) -> str:
    """The format the file's suffix names (any case), or a usage error saying so, with
    ``hint``: the names understood."""
    found = formats.get(path.suffix.lower())
    if found is None:
        raise UsageError(f"cannot tell the {what} format from '{path.name}'", hint=hint)
    return found


def is_stdout(output: Path | None) -> bool:
    """No -o, or ``-o -``, means standard output."""
    return output is None or str(output) == "-"


def render(
    frame: pl.DataFrame,
    fmt: str,
    view: ViewBuilder,
    *,
    schema: str | None = None,
    bom: bool = False,
) -> bytes:
    frame = _nan_to_null(frame)
    if fmt == "table":
        return _rich_table(view(frame)).encode("utf-8")
    if fmt == "markdown":
        return _markdown(view(frame)).encode("utf-8")
    frame = _conform(frame, schema)
    if fmt in ("csv", "tsv"):
        text = _delimited(frame, "," if fmt == "csv" else "\t")
        return ("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8")
    if fmt == "json":
        return (json.dumps(_records(frame), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if fmt == "jsonl":
        lines = [json.dumps(r, ensure_ascii=False) for r in _records(frame)]
        return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
    if fmt == "parquet":
        return _parquet(frame, schema)
    if fmt == "xlsx":
        from pcp_cli.cli.workbook import workbook_bytes

        return workbook_bytes(frame, schema or "pcp", cell_text=safe_cell)
    raise UsageError(f"unknown format '{fmt}'")


def _conform(frame: pl.DataFrame, schema: str | None) -> pl.DataFrame:
    from pcp_cli.schemas import COMMANDS, conform

    return conform(frame, schema) if schema in COMMANDS else frame


def _parquet(frame: pl.DataFrame, schema: str | None) -> bytes:
    from pcp_cli.schemas import SCHEMA_VERSION

    buf = io.BytesIO()
    meta = {"pcp:schema": f"pcp-{schema}", "pcp:schema_version": SCHEMA_VERSION}
    frame.write_parquet(buf, metadata=meta if schema else None)
    return buf.getvalue()


def safe_cell(text: str) -> str:
    """A text cell a spreadsheet will never run as a formula: prefix ' unless a number."""
    if text.startswith(_FORMULA_START) and text != "-" and not _NUMBER.match(text):
        return "'" + text
    return text


def _month(value: Any) -> Any:
    return value.strftime("%Y-%m") if isinstance(value, dt.date) else value


def _json_value(v: Any) -> Any:
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        return int(v) if v.is_integer() and abs(v) < 2**53 else v
    if isinstance(v, list):
        return [_json_value(x) for x in v]
    return _month(v)


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _json_value(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def _delimited(frame: pl.DataFrame, sep: str) -> str:
    """CSV/TSV: whole numbers without '.0', months YYYY-MM, lists ';'-joined with empty
    slots, pcp's symbols in ASCII, and no cell a spreadsheet would run as a formula."""
    text = frame.select(_text_expr(pl.col(c), t).alias(c) for c, t in frame.schema.items())
    text = text.rename({c: safe_cell(c) for c in text.columns})
    return text.write_csv(separator=sep)


def _text_expr(col: pl.Expr, dtype: Any) -> pl.Expr:
    """One column as the text a spreadsheet reads (vectorised: exports can be large)."""
    if isinstance(dtype, pl.List):
        inner = _text_expr(pl.element(), dtype.inner).fill_null("")
        return col.list.eval(inner).list.join(";")
    if dtype.is_float():
        whole = col.is_finite() & (col == col.round(0)) & (col.abs() < 2**53)
        return (
            pl.when(whole)
            .then(col.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(col.cast(pl.String))
        )
    if dtype == pl.Date:
        return col.dt.strftime("%Y-%m")
    if dtype == pl.Datetime:
        return col.dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dtype == pl.String:
        plain = col.str.replace_many(list(_ASCII_MAP), list(_ASCII_MAP.values()))
        formula = plain.str.contains(r"^[=+\-@\t\r]") & ~plain.str.contains(_NUMBER.pattern)
        return pl.when(formula & (plain != "-")).then("'" + plain).otherwise(plain)
    return col.cast(pl.String)


def _nan_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    """An undefined figure (0/0) is written as missing, never as NaN."""
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype in (pl.Float32, pl.Float64):
            exprs.append(pl.col(name).fill_nan(None))
        elif isinstance(dtype, pl.List) and dtype.inner in (pl.Float32, pl.Float64):
            exprs.append(pl.col(name).list.eval(pl.element().fill_nan(None)))
    return frame.with_columns(exprs) if exprs else frame


def _width() -> int:
    cols = os.environ.get("COLUMNS")
    if cols and cols.isdigit():
        return int(cols)
    if sys.stdout is not None and sys.stdout.isatty():
        return shutil.get_terminal_size((120, 40)).columns
    return 160  # no terminal: wide enough that tables do not wrap in logs


# -- terminal tables that never cut a figure -------------------------------------------
_BORDER = 3  # rich's default box: one rule and a space either side per column


@dataclass
class FittedTable:
    """Cells wrapped to column widths that fit the terminal; dropped columns named."""

    keep: list[int]
    widths: list[int]
    cells: list[list[str]]  # rows of the kept columns, wrapped with newlines
    headers: list[str]
    dropped: list[str]


def _digit_words(text: str) -> int:
    return max((len(w) for w in text.split() if any(ch.isdigit() for ch in w)), default=0)


def _min_width(texts: list[str], natural: int) -> int:
    """A column may wrap at spaces, but never inside a word that holds a figure; words of
    up to 14 characters (RED, n/a, a sparkline, most labels' words) stay whole too."""
    figures = max((_digit_words(t) for t in texts), default=0)
    # Words up to 14 letters ("(appointment)", "National") are not broken either: a label
    # cut mid-word reads as a typo. Longer ones may break where there is no room.
    words = max((len(w) for t in texts for w in t.split() if len(w) <= 14), default=0)
    return max(figures, words, min(natural, 6))


def fit_columns(headers: list[str], rows: list[list[str]], width: int) -> FittedTable:
    """Widths that fit ``width``: wrap labels first, then drop columns from the right
    (never the first); a word holding a digit is never split or cut."""
    import textwrap

    columns = [[h, *(r[i] for r in rows)] for i, h in enumerate(headers)]
    natural = [max(len(line) for t in col for line in t.split("\n")) for col in columns]
    minimal = [_min_width(col, natural[i]) for i, col in enumerate(columns)]
    keep = list(range(len(headers)))
    while len(keep) > 1 and sum(minimal[i] + _BORDER for i in keep) + 1 > width:
        keep.pop()
    room = width - 1 - _BORDER * len(keep)

    def capped(cap: int) -> list[int]:
        return [max(minimal[i], min(natural[i], cap)) for i in keep]

    # The widest columns give way first: the largest cap that fits, so short columns
    # (ranks, names, RAG) stay whole and long text wraps.
    cap = max((natural[i] for i in keep), default=0)
    while cap > 1 and sum(capped(cap)) > room:
        cap -= 1
    widths = capped(cap)

    def wrap(text: str, w: int) -> str:
        return "\n".join(
            line
            for para in text.split("\n")
            for line in (
                textwrap.wrap(para, w, break_on_hyphens=False, break_long_words=True) or [""]
            )
        )

    cells = [[wrap(r[i], widths[k]) for k, i in enumerate(keep)] for r in rows]
    return FittedTable(
        keep,
        widths,
        cells,
        [wrap(headers[i], widths[k]) for k, i in enumerate(keep)],
        [headers[i] for i in range(len(headers)) if i not in keep],
    )


def dropped_caption(dropped: list[str]) -> str | None:
    if not dropped:
        return None
    return f"Not shown at this width: {', '.join(dropped)} (widen the terminal or use --format csv)"


def terminal_forced() -> bool | None:
    """True on a terminal; otherwise None, so that rich honours FORCE_COLOR (and NO_COLOR).

    False would switch colour off even when a user exports FORCE_COLOR to keep it in a pager.
    """
    return True if sys.stdout is not None and sys.stdout.isatty() else None


def fitted_rich_table(
    title: str | None, captions: list[str], fitted: FittedTable, right_align: Collection[int]
) -> RichTable:
    """An empty rich table with the fitted columns (figures right-aligned, never wrapped) and
    a caption naming any columns dropped for width; the caller adds the rows."""
    from rich.table import Table

    dropped = dropped_caption(fitted.dropped)
    table = Table(
        title=title,
        caption="\n".join([*captions, *([dropped] if dropped else [])]) or None,
        header_style="bold",
        title_justify="left",
        caption_justify="left",
    )
    for k, i in enumerate(fitted.keep):
        table.add_column(
            fitted.headers[k],
            justify="right" if i in right_align else "left",
            width=fitted.widths[k],
            no_wrap=True,
        )
    return table


def _rich_table(view: TableView) -> str:
    from rich.console import Console

    width = _width()
    fitted = fit_columns(view.headers, view.rows, width)
    captions = [view.caption] if view.caption else []
    table = fitted_rich_table(view.title, captions, fitted, view.right_align)
    for r, row in enumerate(fitted.cells):
        cells = [
            f"[{view.cell_styles[(r, i)]}]{_escape(v)}[/]"
            if (r, i) in view.cell_styles
            else _escape(v)
            for v, i in zip(row, fitted.keep, strict=True)
        ]
        style = view.row_styles[r] if r < len(view.row_styles) else None
        table.add_row(*cells, style=style)
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        force_terminal=terminal_forced(),
        highlight=False,
        soft_wrap=False,
    )
    console.print(table)
    return buf.getvalue()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _markdown(view: TableView) -> str:
    def cell(v: str) -> str:
        return v.replace("|", "\\|")

    lines = [f"**{view.title}**", ""] if view.title else []
    lines.append("| " + " | ".join(cell(h) for h in view.headers) + " |")
    lines.append(
        "|"
        + "|".join("---:" if i in view.right_align else "---" for i in range(len(view.headers)))
        + "|"
    )
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in view.rows]
    if view.caption:
        lines += ["", view.caption]
    return "\n".join(lines) + "\n"


# -- writing ---------------------------------------------------------------------------


def write_output(output: Path | None, data: bytes) -> None:
    """To stdout (no -o, or -o -), else to the file -o names."""
    if is_stdout(output):
        write_stdout(data)
    else:
        assert output is not None
        write_file(output, data)


def write_stdout(data: bytes) -> None:
    """Write all of it, checking every write: a closed pipe ends quietly with 141, a full
    disk is exit 6 with one line (never a silently short file)."""
    if sys.stdout is None:  # started with stdout closed (>&-)
        raise StoreError("cannot write to standard output: it is closed")
    try:
        sys.stdout.flush()
        fd = _stdout_fd()
        if fd is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except BrokenPipeError:
        # Silence the interpreter's own flush at exit, as the Python docs advise.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(EXIT_BROKEN_PIPE) from None
    except OSError as exc:
        raise StoreError(
            f"cannot write to standard output: {exc.strerror or exc}",
            hint="the output is incomplete",
        ) from None


def _stdout_fd() -> int | None:
    """The real descriptor behind sys.stdout, or None (a test harness's buffer)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return fd if fd == 1 or os.path.sameopenfile(fd, 1) else None


def write_file(path: Path, data: bytes) -> None:
    """Atomically replace a regular file (or the file a symlink points to); write in place
    onto what is not a regular file (a device, a FIFO), never replacing it."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISDIR(mode):
            raise UsageError(f"cannot write {path}: it is a folder")
        _write_in_place(path, target, data)
        return
    write_atomic(target, data)


def _write_in_place(shown: Path, target: Path, data: bytes) -> None:
    try:
        with open(target, "wb") as fh:
            fh.write(data)
            fh.flush()
    except BrokenPipeError:
        raise SystemExit(EXIT_BROKEN_PIPE) from None
    except OSError as exc:
        raise StoreError(f"cannot write {shown}: {exc.strerror or exc}") from None


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: an old file survives any failure."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror}") from None
    try:
        # mkstemp makes 0600 files; give the result the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StoreError(
            f"cannot write {path}: {exc.strerror}", hint="any old file is untouched"
        ) from None


# -- cell formatting shared by views ---------------------------------------------------
# The formatters live in pcp_cli.text (one module for every printed number); kept here
# under their old names for the callers of this module.
fmt_number = text.number
fmt_value = text.value
sparkline = text.sparkline
