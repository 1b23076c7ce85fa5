"""TOML loading with errors that name the file and line."""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pcp_cli.errors import ConfigError

# A KPI file of every KPI a force reports is some tens of KB; the bundled forces file 20 KB.
MAX_BYTES = 4 * 1024 * 1024


def load_toml(path: Path, what: str) -> tuple[dict[str, Any], str]:
    """Return the parsed document and its text.

    Only a file (or a pipe) of a sensible size is read: ``--kpis /dev/zero`` would
    otherwise fill the memory.
    """
    try:
        kind = path_kind(path)
        if kind is not None and "FIFO" not in kind:  # <(...) is a pipe: fine, and bounded
            raise ConfigError(f"{what} {path} is {kind}, not a file", hint="give a TOML file")
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ConfigError(
                f"{what} {path} is larger than {MAX_BYTES // (1024 * 1024)} MB: not a {what}"
            )
        text = data.decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None


def path_kind(path: Path) -> str | None:
    """What a path is when it is not a regular file ("a directory", "a named pipe (FIFO)",
    ...); None for a regular file. FileNotFoundError when there is nothing there."""
    mode = path.stat().st_mode
    if stat.S_ISREG(mode):
        return None
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def line_of(text: str, table: str, key: str | None = None) -> int | None:
    """Best-effort line number of ``[table]`` (or of ``key`` inside it) in TOML text.

    tomllib keeps no positions, so this scans for the table header and then the key.
    """
    lines = text.splitlines()
    header_at = None
    parts = table.split(".")
    for i, raw in enumerate(lines):
        stripped = raw.strip()
        if stripped.startswith("[") and _header_name(stripped) == parts:
            header_at = i
            break
    if header_at is None:
        # Keys may be written dotted inside a parent table: look for the last part.
        for i, raw in enumerate(lines):
            if raw.strip().startswith(f"{parts[-1]} ") or raw.strip().startswith(f"{parts[-1]}="):
                return i + 1
        return None
    if key is None:
        return header_at + 1
    for j in range(header_at + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped.startswith("["):
            break
        name = stripped.split("=", 1)[0].strip().strip('"')
        if name == key or name.startswith(f"{key}."):
            return j + 1
    return header_at + 1


def _header_name(header: str) -> list[str]:
    inner = header.strip("[] \t")
    inner = inner.split("#", 1)[0].strip().rstrip("]").strip()
    return [p.strip().strip('"') for p in inner.split(".")]


def config_table(body: object, where: str, keys: Sequence[str], example: str) -> dict[str, Any]:
    """``body`` as a pcp.toml table holding only ``keys``; ConfigError (exit 3) naming ``where``
    and the allowed keys otherwise (so a misspelt key is never silently ignored)."""
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be a table", hint=example)
    unknown = sorted(set(body) - set(keys))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}",
                          hint=f"allowed: {', '.join(keys)}")  # fmt: skip
    return body
