"""Recording-compliance audits declared in ``pcp.toml`` (issue 12, item 5): the report's
Crime section then states how much of a rise in recorded crime is estimated to be due to
better recording, by the method of ``pcp cdi`` (seed 003).

```toml
[recording]
compliance = [75.8, 87.4]   # crime data integrity audit results in time order (%)
period = "2017/18"          # the year they span (default: the report's rolling 12 months)
kpi = "all-crime"           # the count it applies to (default)
```
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcp_cli.errors import ConfigError, UsageError
from pcp_cli.periods import parse_period
from pcp_cli.tomlload import config_table

_KEYS = ("compliance", "period", "kpi")
EXAMPLE = '[recording] compliance = [75.8, 87.4], period = "2017/18"'


@dataclass(frozen=True)
class RecordingAudits:
    compliance: tuple[float, ...]
    period: str | None = None
    kpi: str = "all-crime"


def read_recording(raw: Any, source: Path | None) -> RecordingAudits | None:
    """``[recording]`` of ``pcp.toml``; ConfigError (exit 3) on the first problem."""
    if raw is None:
        return None
    where = f"{source}: [recording]"
    raw = config_table(raw, where, _KEYS, EXAMPLE)
    points = raw.get("compliance")
    if (
        not isinstance(points, list)
        or len(points) < 2
        or not all(
            not isinstance(p, bool) and isinstance(p, int | float) and math.isfinite(p)
            and 0 < p <= 100
            for p in points
        )
    ):  # fmt: skip
        raise ConfigError(
            f"{where}: compliance must list two or more audit results in time order, each a "
            f"percentage above 0 and up to 100, not {points!r}",
            hint=EXAMPLE,
        )
    period = raw.get("period")
    if period is not None:
        try:
            if not isinstance(period, str):
                raise UsageError("not text")
            parse_period(period)
        except UsageError:
            raise ConfigError(
                f'{where}: period must be a period such as "2017/18", not {period!r}',
                hint=EXAMPLE,
            ) from None
    kpi = raw.get("kpi", "all-crime")
    if not isinstance(kpi, str) or not kpi.strip():
        raise ConfigError(f"{where}: kpi must be a KPI id", hint=EXAMPLE)
    return RecordingAudits(tuple(float(p) for p in points), period, kpi)
