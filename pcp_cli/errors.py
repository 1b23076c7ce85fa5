"""Error classes and the exit-code contract.

Every error pcp reports on purpose is a :class:`PcpError`; its ``exit_code`` is the
process exit status documented in the README. Anything else escaping to the CLI is a
bug and exits with :data:`EXIT_INTERNAL`.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_DATA = 4
EXIT_NO_DATA = 5
EXIT_STORE = 6
EXIT_BREACH = 10
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as other Unix tools report a closed pipe


class PcpError(Exception):
    """An error with a one-line message meant for the user."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(PcpError):
    """A bad option value: unknown KPI or force, malformed period, impossible format."""

    exit_code = EXIT_USAGE


class ConfigError(PcpError):
    """The KPI file, forces file or pcp.toml is missing or invalid."""

    exit_code = EXIT_CONFIG


class DataError(PcpError):
    """An input extract does not fit its declared format."""

    exit_code = EXIT_DATA


class NoDataError(PcpError):
    """The store lacks data for the requested period, force or KPI."""

    exit_code = EXIT_NO_DATA


class StoreError(PcpError):
    """The store is locked, corrupt or could not be written."""

    exit_code = EXIT_STORE
