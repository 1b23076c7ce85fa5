"""When the report says it was generated: now (UTC), or fixed for reproducible output.

``PCP_REPORT_TIME`` (ISO 8601, e.g. ``2018-11-05T09:00:00Z``) wins, then the
reproducible-builds convention ``SOURCE_DATE_EPOCH`` (seconds since 1970), then the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from pcp_cli.errors import UsageError


def generation_time(environ: Mapping[str, str], now: datetime | None = None) -> datetime:
    """The generation time in UTC, to the second (see the module docstring)."""
    text = environ.get("PCP_REPORT_TIME", "").strip()
    if text:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"PCP_REPORT_TIME '{text}' is not an ISO 8601 time",
                hint="e.g. PCP_REPORT_TIME=2018-11-05T09:00:00Z",
            ) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(microsecond=0)
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            seconds = int(epoch)
        except ValueError:
            raise UsageError(
                f"SOURCE_DATE_EPOCH '{epoch}' is not a whole number of seconds",
                hint="e.g. SOURCE_DATE_EPOCH=1541408400",
            ) from None
        return datetime.fromtimestamp(seconds, UTC)
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
