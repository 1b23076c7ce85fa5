"""The SPC status of a KPI for a period: one rule, one vocabulary, for every command.

The rule (docs/charts-and-checks.md, "SPC status"): an NHS Making Data Count XmR chart of
the KPI's monthly values over at most ``months`` months to the period end, with at least
:data:`SPC_MIN_POINTS` months and every month of the period held; series that come in
blocks (quarterly Home Office tables, survey windows) get no status. The status reads the
points of the period (in ``pcp check``, the latest ``--recent`` of them):

* ``exceptional high`` / ``exceptional low``: a point outside the process limits (the side
  of the latest such point);
* ``special cause high`` / ``special cause low``: a trend, a shift, or 2 of 3 points near a
  limit, and no point outside;
* ``common cause``: none of these;
* ``not charted``: not monthly, too few months, or a month of the period missing (``note``
  says why).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from pcp_cli.analysis.spc import DEFAULT_SPC_MONTHS as DEFAULT_SPC_MONTHS  # re-exported
from pcp_cli.analysis.spc import (
    SpcMethod,
    SpcOptions,
    SpcOutcome,
    drop_short_first_runs,
    exceptional_text,
    run,
    xmr,
)
from pcp_cli.app.context import Context
from pcp_cli.engine import Engine, KpiPoints
from pcp_cli.errors import NoDataError, PcpError
from pcp_cli.events import KnownEvent
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Month, Period, month_name, month_text, parse_month

STATUSES = (
    "exceptional high",
    "exceptional low",
    "special cause high",
    "special cause low",
    "common cause",
    "not charted",
)

SPC_MIN_POINTS = 12
"""Fewer points than this: no SPC status (MDC: limits from fewer points are trial limits)."""


@dataclass(frozen=True)
class SpcStatus:
    """The XmR chart of the KPI's series to the period end, read for the period.

    ``status`` is one of :data:`STATUSES` (see the module docstring; ``note`` says why a
    KPI is not charted). ``point_type`` is the MDC type of the signal (improvement, concern
    or neutral); ``frame`` the chart's rows (:data:`pcp_cli.analysis.spc.XMR_COLUMNS`).
    """

    status: str
    signal: bool = False
    point_type: str | None = None
    detail: str = ""
    source: str | None = None
    window: str = ""
    points: int = 0
    mean: float | None = None
    lower: float | None = None
    upper: float | None = None
    flagged: tuple[str, ...] = ()
    frame: pl.DataFrame | None = None
    note: str = ""
    restarted: tuple[Month, ...] = ()  # declared events' months the limits restart at
    event: str = ""  # the declared event that explains the signal: 'First lockdown (Mar 2020)'
    read: Period | None = None  # the months the status reads: the period, or its latest --recent


def spc_status(
    engine: Engine,
    kpi: Kpi,
    force: str,
    force_name: str,
    period: Period,
    *,
    alpha: float,
    months: int = DEFAULT_SPC_MONTHS,
    recent: int | None = None,
    events: Sequence[KnownEvent] = (),
) -> SpcStatus:
    """The status of ``kpi`` for ``force`` over ``period`` (see the module docstring).

    ``events`` (pcp.toml's ``[[event]]``): the limits restart at those that say so, as
    ``pcp spc --rebase`` does (:func:`restart_points`), and ``event`` names the declared
    event that explains a signal."""
    end = period.end
    try:
        points = _charted_points(engine, kpi, force, period, months)
        if isinstance(points, SpcStatus):
            return points
        restarted = restart_points(engine, points, period, events)
        if isinstance(restarted, SpcStatus):
            return restarted
        charted_from = int(points.ok["start"].min())  # type: ignore[arg-type]
        points, rebase = restarted
        outcome = xmr(points, SpcOptions(alpha=alpha, rebase=rebase), force_name)
        starts_at = int(points.ok["start"].min())  # type: ignore[arg-type]
        # The limits restart at the rebases, and where the chart now starts at an event.
        applied = (*((starts_at,) if starts_at != charted_from else ()), *rebase)
    except PcpError as exc:
        return SpcStatus("not charted", note=exc.message)
    looked_at = _looked_at(outcome.frame, period, recent)
    status = read_spc(outcome.frame, looked_at, points.dataset)
    if not status.window:
        return SpcStatus("not charted", note=f"no points with data to {month_text(end)}")
    return replace(
        status, restarted=applied, event=_explaining(status, looked_at, events), read=looked_at
    )


EVENT_REACH = 2
"""A declared event explains a signal of a period that starts up to this many months after it."""


def restart_points(
    engine: Engine, points: KpiPoints, period: Period, events: Sequence[KnownEvent]
) -> tuple[KpiPoints, tuple[Month, ...]] | SpcStatus:
    """The points to chart and the months the limits restart at, for the events that
    restart limits. A part before a restart too short for limits of its own is left out
    (the chart starts at the event); too few months since the latest restart: no status."""
    starts = [int(m) for m in points.ok["start"].to_list()]
    first = starts[0]
    rebase: list[Month] = []
    last: KnownEvent | None = None
    for event in events:
        if not event.restart_limits or event.month not in starts:
            continue  # a month without data: the chart restarts after the gap anyway
        if not first < event.month <= period.end:
            continue
        last = event
        segment_start = rebase[-1] if rebase else first
        if sum(1 for m in starts if segment_start <= m < event.month) < SPC_MIN_POINTS:
            first, rebase = event.month, []  # too short for limits of its own: start here
        else:
            rebase.append(event.month)
    if first != starts[0]:
        points = drop_short_first_runs(engine.points(points.kpi, points.force, first, period.end))
    since = rebase[-1] if rebase else first
    held = sum(1 for m in starts if since <= m <= period.end)
    if last is not None and held < SPC_MIN_POINTS:
        return SpcStatus(
            "not charted",
            source=points.dataset,
            points=held,
            note=f"the normal range restarts at {last.words}: {held} months since, "
            f"{SPC_MIN_POINTS} needed",
        )
    return points, tuple(rebase)


def _explaining(status: SpcStatus, period: Period, events: Sequence[KnownEvent]) -> str:
    """The latest declared event from ``EVENT_REACH`` months before the period to its end,
    when the status is a signal (the paper names it beside "unusually high/low")."""
    if not status.signal and not status.status.startswith("exceptional"):
        return ""
    near = [e for e in events if period.start - EVENT_REACH <= e.month <= period.end]
    return near[-1].words if near else ""


def _charted_points(
    engine: Engine, kpi: Kpi, force: str, period: Period, months: int
) -> KpiPoints | SpcStatus:
    """The points the chart is drawn from, or a "not charted" status saying why."""
    end = period.end
    whole = engine.points(kpi, force, None, end)
    if not whole.ok.height:
        return SpcStatus("not charted", note=f"no months with data to {month_text(end)}")
    if whole.span != 1:
        return SpcStatus(
            "not charted",
            source=whole.dataset,
            note=f"{whole.dataset} data come in blocks of {whole.span} months, not monthly",
        )
    first = int(whole.ok["start"].min())  # type: ignore[arg-type]
    points = drop_short_first_runs(engine.points(kpi, force, max(first, end - months + 1), end))
    ok = points.ok
    n = ok.height
    if n < SPC_MIN_POINTS:
        return SpcStatus(
            "not charted",
            source=points.dataset,
            points=n,
            note=f"only {n} months with data to {month_text(end)}; an XmR chart for the "
            f"status needs {SPC_MIN_POINTS}",
        )
    held = ok.filter((pl.col("start") >= period.start) & (pl.col("end") <= end))
    if int(held["span"].sum()) < period.length:
        return SpcStatus(
            "not charted",
            source=points.dataset,
            points=n,
            note=f"the series lacks months of {period.label}",
        )
    return points


def _looked_at(frame: pl.DataFrame, period: Period, recent: int | None) -> Period:
    """The period's points, or the latest ``recent`` of them, as a period to read."""
    if recent is None:
        return period
    ok = frame.filter(pl.col("status") == "ok")
    first, last = month_text(period.start), month_text(period.end)
    inside = ok.filter((pl.col("start") >= first) & (pl.col("end") <= last))
    if inside.height <= recent:
        return period
    start = str(inside["start"][inside.height - recent])
    return Period(parse_month(start), period.end, "range")


def with_event_restarts(
    engine: Engine, points: KpiPoints, options: SpcOptions, events: Sequence[KnownEvent]
) -> tuple[KpiPoints, SpcOptions]:
    """`pcp spc` and `pcp chart spc`: the declared events' restarts added to ``--rebase``, by
    the rule of :func:`restart_points` over the whole series (unchanged where the series is
    too short after a restart for limits of its own)."""
    ok = points.ok
    if not ok.height or not any(e.restart_limits for e in events):
        return points, options
    span = Period(int(ok["start"].min()), int(ok["end"].max()), "range")  # type: ignore[arg-type]
    restarted = restart_points(engine, points, span, events)
    if isinstance(restarted, SpcStatus):
        return points, options
    kept, months = restarted
    first = int(kept.ok["start"].min()) if kept.ok.height else span.start  # type: ignore[arg-type]
    rebase = tuple(sorted({m for m in (*options.rebase, *months) if m >= first}))
    return kept, replace(options, rebase=rebase)


# -- the status in plain words (the report's and check's) ------------------------------------
_UPPER = "above the normal range"
_LOWER = "below the normal range"


def read_spc(frame: pl.DataFrame, period: Period, source: str) -> SpcStatus:
    """The SPC status of ``period`` from an XmR frame (analysis.spc) ending at its last month.

    ``detail`` is in plain words ("2 of the 3 months of Q2 2018/19 above the normal range").
    """
    ok = frame.filter(pl.col("status") == "ok")
    first, last = month_text(period.start), month_text(period.end)
    inside = ok.filter((pl.col("start") >= first) & (pl.col("end") <= last))
    latest = ok.row(ok.height - 1, named=True)
    window = f"{ok['period'][0]}..{ok['period'][-1]}"
    common = {
        "source": source,
        "window": window,
        "points": ok.height,
        "mean": latest["mean"],
        "lower": latest["lpl"],
        "upper": latest["upl"],
        "frame": frame,
    }
    special = inside.filter(pl.col("special_cause"))
    if not special.height:
        return SpcStatus(
            "common cause",
            detail=f"normal variation: nothing unusual in {period.label}",
            **common,
        )
    flagged = tuple(special["period"].to_list())
    outside = inside.filter(pl.col("rule").is_in(["Above UCL", "Below LCL"]))
    if outside.height:
        row = outside.row(outside.height - 1, named=True)
        high = row["rule"] == "Above UCL"
        status = "exceptional high" if high else "exceptional low"
        detail = _exceptional_words(frame, inside, high, period)
    else:
        row = special.row(special.height - 1, named=True)
        rule = str(row["rule"])
        high = "Above" in rule or "Increasing" in rule
        status = "special cause high" if high else "special cause low"
        detail = _rule_words(rule, str(row["period"]))
    return SpcStatus(
        status,
        signal=True,
        point_type=row["point_type"],
        detail=detail,
        flagged=flagged,
        **common,
    )


def _exceptional_words(
    frame: pl.DataFrame, inside: pl.DataFrame, high: bool, period: Period
) -> str:
    text = exceptional_text(frame, 1)
    prefix = "statistically exceptional: "
    if text.startswith(prefix) and "; the latest," not in text:
        words = text.removeprefix(prefix)
        words = words.replace("above the upper limit", _UPPER).replace(
            "below the lower limit", _LOWER
        )
        return _with_verb(words)
    rule = "Above UCL" if high else "Below LCL"
    count = inside.filter(pl.col("rule") == rule).height
    where = _UPPER if high else _LOWER
    months = "month" if inside.height == 1 else "months"
    verb = "was" if count == 1 else "were"
    return f"{count} of the {inside.height} {months} of {period.label} {verb} {where}"


_RUN = re.compile(r"(\d+) of the last (\d+) (months?) (above|below) (.*)")


def _with_verb(words: str) -> str:
    """'5 of the last 5 months above ...' -> 'each of the last 5 months was above ...'."""
    m = _RUN.fullmatch(words)
    if not m:  # "the latest month is above ...": the paper speaks of a finished period
        return words.replace("the latest month is ", "the latest month was ")
    count, length, unit, side, rest = m.groups()
    if count == length:
        return f"each of the last {length} {unit} was {side} {rest}"
    verb = "was" if count == "1" else "were"
    return f"{count} of the last {length} {unit} {verb} {side} {rest}"


_TREND = re.compile(r"(\d+) Point Trend \((Increasing|Decreasing)\)")
_SHIFT = re.compile(r"(\d+) Points (Above|Below) CL")
_TWO = re.compile(r"2 in 3 (Above|Below) CL")


def _rule_words(rule: str, period: str) -> str:
    try:
        when = month_name(parse_month(period))
    except PcpError:
        when = period
    if m := _TREND.fullmatch(rule):
        way = "higher" if m.group(2) == "Increasing" else "lower"
        return f"{m.group(1)} or more months in a row were each {way} than the last, to {when}"
    if m := _SHIFT.fullmatch(rule):
        side = "above" if m.group(2) == "Above" else "below"
        return f"{m.group(1)} or more months in a row were {side} the long-run average, to {when}"
    if m := _TWO.fullmatch(rule):
        side = "top" if m.group(1) == "Above" else "bottom"
        return f"2 of 3 months were at or beyond the {side} of the normal range, to {when}"
    return f"an unusual pattern in the monthly figures, to {when}"


@dataclass(frozen=True)
class SpcRequest:
    """``pcp spc``: the KPIs and forces to chart, the months, the method and its options;
    ``by``: one chart per area of that kind."""

    kpis: Sequence[Kpi]
    forces: Sequence[str]
    months: tuple[Month | None, Month | None]
    method: SpcMethod
    options: SpcOptions
    by: str | None = None


@dataclass
class SpcRun:
    """Every chart drawn, and the warnings (KPIs left out, notes on their points) in the
    order they arose; the charts carry their own warnings and summary."""

    outcomes: list[SpcOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def run_spc(context: Context, request: SpcRequest) -> SpcRun:
    """One chart per KPI and force (or area); with a single KPI and force, no data raises
    :class:`NoDataError`, otherwise that chart is left out with a warning (the known events
    of pcp.toml mark the charts and may restart their limits)."""
    engine, registry, events = context.engine, context.registry, context.settings.events
    found = SpcRun()
    single = len(request.kpis) == 1 and len(request.forces) == 1
    for force in request.forces:
        where = (force, registry.name(force))
        for kpi in request.kpis:
            try:
                outcomes, notes = _charts(engine, events, request, kpi, where)
            except PcpError as exc:
                # By area, a KPI that cannot be split is left out too.
                if single or not (request.by is not None or isinstance(exc, NoDataError)):
                    raise
                found.warnings.append(_left_out(kpi, force, request.by, exc))
                continue
            found.warnings += [f"{kpi.id} ({force}): {line}" for line in notes]
            found.outcomes += outcomes
    return found


def _charts(
    engine: Engine,
    events: Sequence[KnownEvent],
    request: SpcRequest,
    kpi: Kpi,
    where: tuple[str, str],
) -> tuple[list[SpcOutcome], Sequence[str]]:
    """The KPI's chart for the force ``where`` (id, name), or with ``--by`` one per area; and
    the notes on the force's points. An XmR chart from all data drops a short first run
    and restarts its limits at pcp.toml's events."""
    if request.by is not None:
        from pcp_cli.app.areas import spc_by_area  # app.areas imports this module

        by_area = spc_by_area(
            engine, kpi, where, request.months, request.by, request.method, request.options,
            events,
        )  # fmt: skip
        return by_area, ()
    start, end = request.months
    points = engine.points(kpi, where[0], start, end)
    if start is None and request.method == "xmr":
        points = drop_short_first_runs(points)
    used = request.options
    if request.method == "xmr":  # pcp.toml's events that restart the limits
        points, used = with_event_restarts(engine, points, request.options, events)
    return [run(points, request.method, used, where[1])], points.notes


def _left_out(kpi: Kpi, force: str, by: str | None, exc: PcpError) -> str:
    """The warning for a chart left out of a run of several."""
    if by is None:
        return f"{kpi.id} ({force}) left out: {exc}"
    return f"{kpi.id} ({force}) left out of --by {by}: {exc.message}"
