"""Known events declared in ``pcp.toml`` (issue 12, item 8): a lockdown, a change of
recording practice. They are marked on the charts, can restart the SPC limits from their
month, and the paper names the event that explains an unusual month.

```toml
[[event]]
month = "2020-03"
label = "First lockdown"
restart_limits = true   # new SPC limits from this month (default false)
```
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcp_cli.errors import ConfigError, UsageError
from pcp_cli.periods import Month, month_name, parse_month
from pcp_cli.tomlload import config_table

_KEYS = ("month", "label", "restart_limits")
EXAMPLE = '[[event]] month = "2020-03", label = "First lockdown", restart_limits = true'


@dataclass(frozen=True)
class KnownEvent:
    month: Month
    label: str
    restart_limits: bool = False

    @property
    def words(self) -> str:
        """'First lockdown (Mar 2020)'."""
        return f"{self.label} ({month_name(self.month)})"


def read_events(raw: Any, source: Path | None) -> tuple[KnownEvent, ...]:
    """The ``[[event]]`` tables of ``pcp.toml``, in month order; ConfigError (exit 3) naming
    the event and the fix on the first problem."""
    where = f"{source}: " if source else ""
    if not isinstance(raw, list):
        raise ConfigError(f"{where}'event' must be [[event]] tables", hint=EXAMPLE)
    events = []
    for number, body in enumerate(raw, start=1):
        what = f"{where}event {number}"
        body = config_table(body, what, _KEYS, EXAMPLE)
        month, label = body.get("month"), body.get("label")
        try:
            parsed = parse_month(month) if isinstance(month, str) else None
        except UsageError:
            parsed = None
        if parsed is None:
            raise ConfigError(f"{what}: month must be YYYY-MM, not {month!r}", hint=EXAMPLE)
        if not isinstance(label, str) or not label.strip():
            raise ConfigError(f"{what}: label must be a non-empty string", hint=EXAMPLE)
        restart = body.get("restart_limits", False)
        if not isinstance(restart, bool):
            raise ConfigError(f"{what}: restart_limits must be true or false", hint=EXAMPLE)
        events.append(KnownEvent(parsed, label.strip(), restart))
    return tuple(sorted(events, key=lambda e: e.month))


def restarts(events: Sequence[KnownEvent]) -> tuple[Month, ...]:
    return tuple(e.month for e in events if e.restart_limits)
