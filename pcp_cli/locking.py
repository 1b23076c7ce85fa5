"""Advisory file locks for the store, the same on Linux, macOS and Windows.

portalocker does the platform work (``flock`` on POSIX, ``LockFileEx`` through pywin32 on
Windows), so no POSIX-only module is imported here or anywhere else in pcp. The lock is
tied to the open file: the operating system drops it when the process dies, so a killed
pcp never leaves the store locked.

A reader of a store it may not write (a shared network folder, a read-only mount) opens
the lock file read-only, which is enough for a shared lock; if it cannot even do that, it
reads without a lock: whoever can write there is someone else, and the manifest is only
ever replaced atomically.
"""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import IO

#: errno values meaning "you may not write here", as opposed to a missing folder.
NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
POLL_SECONDS = 0.05


class LockBusy(Exception):
    """Another process held a conflicting lock for the whole wait."""


class LockUnavailable(Exception):
    """The lock file cannot be opened, or this system offers no file locking."""

    def __init__(self, message: str, hint: str = "check the store folder exists and is writable"):
        super().__init__(message)
        self.hint = hint


@contextlib.contextmanager
def hold(path: Path, *, exclusive: bool, wait: float) -> Iterator[bool]:
    """Hold a shared or exclusive lock on ``path`` for the ``with`` block.

    Yields True when locked, False when a reader goes without (the lock file is neither
    readable nor creatable). Raises LockBusy after ``wait`` seconds of conflict.
    """
    handle = _open_lock_file(path, exclusive)
    if handle is None:
        yield False
        return
    try:
        portalocker = _portalocker()
        flags = portalocker.LockFlags.EXCLUSIVE if exclusive else portalocker.LockFlags.SHARED
        deadline = time.monotonic() + wait
        while True:
            try:
                portalocker.lock(handle, flags | portalocker.LockFlags.NON_BLOCKING)
                break
            except portalocker.AlreadyLocked:
                if time.monotonic() >= deadline:
                    raise LockBusy(str(path)) from None
                time.sleep(POLL_SECONDS)
            except portalocker.LockException as exc:
                raise LockUnavailable(f"cannot lock {path}: {exc}") from None
        try:
            yield True
        finally:
            with contextlib.suppress(Exception):
                portalocker.unlock(handle)
    finally:
        handle.close()


def _open_lock_file(path: Path, exclusive: bool) -> IO[bytes] | None:
    """Readers open the lock file read-only; writers (and a first reader) create it."""
    if not exclusive:
        try:
            return path.open("rb")
        except FileNotFoundError:
            pass
        except OSError as exc:
            if exc.errno in NOT_WRITABLE:
                return None
            raise LockUnavailable(f"cannot open the store lock {path}: {exc.strerror}") from None
    try:
        return path.open("a+b")
    except OSError as exc:
        if not exclusive and exc.errno in NOT_WRITABLE:
            return None
        raise LockUnavailable(f"cannot open the store lock {path}: {exc.strerror}") from None


def _portalocker() -> ModuleType:
    # Imported on first use: it is not needed for --help, and a system without any file
    # locking gets one clear error instead of failing at start-up.
    try:
        import portalocker
    except ImportError as exc:
        raise LockUnavailable(
            f"this system offers no file locking ({exc})",
            hint="reinstall pcp with its dependencies: pip install -e .",
        ) from None
    return portalocker
