"""Renderers shared by every command: one DataFrame in, any format out.

Machine formats carry every column at full precision; the table and markdown formats
show a readable view. Everything is rendered to bytes first, then written in one go to
stdout (pipe-safe) or atomically to a file.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pcp_cli import text
from pcp_cli.cli.common import OutputOptions
from pcp_cli.errors import EXIT_BROKEN_PIPE, StoreError, UsageError

SPARK = "▁▂▃▄▅▆▇█"


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


def emit(frame: pl.DataFrame, out: OutputOptions, view: ViewBuilder) -> None:
    fmt = out.resolved_format()
    if fmt == "parquet" and out.output is None and sys.stdout.isatty():
        raise UsageError(
            "refusing to write Parquet to a terminal",
            hint="use -o FILE.parquet or pipe it to another program",
        )
    data = render(frame, fmt, view)
    if out.output is None:
        write_stdout(data)
    else:
        write_atomic(out.output, data)


def render(frame: pl.DataFrame, fmt: str, view: ViewBuilder) -> bytes:
    frame = _nan_to_null(frame)
    if fmt == "table":
        return _rich_table(view(frame)).encode("utf-8")
    if fmt == "markdown":
        return _markdown(view(frame)).encode("utf-8")
    if fmt in ("csv", "tsv"):
        flat = _flatten_lists(frame)
        return flat.write_csv(separator="," if fmt == "csv" else "\t").encode("utf-8")
    if fmt == "json":
        return (json.dumps(_records(frame), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if fmt == "jsonl":
        lines = [json.dumps(r, ensure_ascii=False) for r in _records(frame)]
        return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
    if fmt == "parquet":
        buf = io.BytesIO()
        frame.write_parquet(buf)
        return buf.getvalue()
    raise UsageError(f"unknown format '{fmt}'")


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return [{k: clean(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def _flatten_lists(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists become ';'-joined text in CSV; a missing element stays an empty slot."""
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    return frame.with_columns(
        pl.col(c).list.eval(pl.element().cast(pl.String).fill_null("")).list.join(";").alias(c)
        for c in lists
    )


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
    if sys.stdout.isatty():
        return shutil.get_terminal_size((120, 40)).columns
    return 160  # no terminal: wide enough that tables do not wrap in logs


def _rich_table(view: TableView) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=view.title, caption=view.caption, header_style="bold", title_justify="left")
    for i, header in enumerate(view.headers):
        table.add_column(header, justify="right" if i in view.right_align else "left")
    for r, row in enumerate(view.rows):
        cells = [
            f"[{view.cell_styles[(r, c)]}]{_escape(v)}[/]"
            if (r, c) in view.cell_styles
            else _escape(v)
            for c, v in enumerate(row)
        ]
        style = view.row_styles[r] if r < len(view.row_styles) else None
        table.add_row(*cells, style=style)
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=_width(),
        force_terminal=sys.stdout.isatty(),
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


def write_stdout(data: bytes) -> None:
    """Write all of it or, if the reader has gone, let main() end quietly."""
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        # Silence the interpreter's own flush at exit, as the Python docs advise.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(EXIT_BROKEN_PIPE) from None


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
