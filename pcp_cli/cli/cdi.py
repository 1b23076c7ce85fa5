"""`pcp cdi`: how much of a rise in recorded crime is due to better recording (seed 003)."""

from __future__ import annotations

from collections.abc import Mapping

import click
import polars as pl

from pcp_cli.app.window import resolve_window
from pcp_cli.cli import options as opt
from pcp_cli.cli import params
from pcp_cli.cli.common import App, OutputOptions, common_options, note, output_options, warn
from pcp_cli.cli.completion import complete_kpis
from pcp_cli.cli.output import TableView, emit, fmt_number
from pcp_cli.errors import UsageError
from pcp_cli.stats.cdi import cdi_estimate

METHOD = (
    "seed 003 (crime data integrity): expected at the old compliance = recorded × "
    "start compliance / average compliance"
)

COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "force": pl.String,
    "force_name": pl.String,
    "kpi": pl.String,
    "counts_from": pl.String,
    "period": pl.String,
    "baseline_period": pl.String,
    "recorded": pl.Float64,
    "previous": pl.Float64,
    "increase": pl.Float64,
    "pct_increase": pl.Float64,
    "compliance": pl.List(pl.Float64),
    "compliance_start": pl.Float64,
    "compliance_end": pl.Float64,
    "average_compliance": pl.Float64,
    "expected_at_start": pl.Float64,
    "attributable": pl.Float64,
    "share_of_increase": pl.Float64,
    "method": pl.String,
}


def _percent(text: str, option: str) -> float:
    raw = text.strip().rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{option} '{text}' is not a percentage", hint="e.g. 75.8") from None
    if not 0 < value <= 100:
        raise UsageError(f"{option} {text}: compliance is a percentage above 0 and up to 100")
    return value


@click.command()
@click.option(
    "--from",
    "from_pct",
    default=None,
    metavar="PCT",
    help="Recording compliance at the start (%), e.g. 75.8 at inspection.",
)
@click.option(
    "--to",
    "to_pct",
    default=None,
    metavar="PCT",
    help="Recording compliance at the end (%), e.g. 87.4 at re-audit.",
)
@click.option(
    "--audit",
    "audits",
    multiple=True,
    metavar="PCT",
    help="An audit result in time order (repeatable); between --from and --to if given.",
)
@click.option(
    "--recorded",
    type=params.NON_NEGATIVE,
    default=None,
    help="Crimes recorded in the period (default: counted from the store).",
)
@click.option(
    "--previous",
    type=params.NON_NEGATIVE,
    default=None,
    help="Crimes recorded in the previous period (default: counted from the store).",
)
@click.option(
    "--kpi",
    "kpi_id",
    shell_complete=complete_kpis,
    default="all-crime",
    show_default=True,
    help="KPI counted from the store.",
)
@opt.force(help="Force id or name (store counts).")
@opt.period(
    default="12m", help="Period counted from the store, e.g. 12m, '12m to 2018-03', 2017/18."
)
@click.option(
    "--vs",
    default="previous",
    show_default=True,
    help="Previous period: previous, last-year, or a period.",
)
@output_options
@common_options
def cdi(
    app: App,
    from_pct: str | None,
    to_pct: str | None,
    audits: tuple[str, ...],
    recorded: float | None,
    previous: float | None,
    kpi_id: str,
    force_name: str | None,
    period: str,
    vs: str,
    out: OutputOptions,
) -> None:
    """Estimate how much of a rise in recorded crime is due to better recording.

    \b
    Examples:
      pcp cdi --recorded 81877 --previous 68706 --from 75.8 --to 87.4
      pcp cdi --period "12m to 2018-03" --from 75.8 --to 87.4
      pcp cdi --from 75.8 --audit 80.1 --to 87.4

    \b
    The average of the compliance points is the year's compliance; the count
    expected at the start compliance is recorded × start / average, and the
    rest of the recorded count is attributed to better recording (seed 003,
    paragraphs 40-46). Counts come from the store unless --recorded and
    --previous are given.
    """
    points = [
        *([_percent(from_pct, "--from")] if from_pct is not None else []),
        *(_percent(a, "--audit") for a in audits),
        *([_percent(to_pct, "--to")] if to_pct is not None else []),
    ]
    if len(points) < 2:
        raise UsageError(
            "give recording compliance at the start and the end",
            hint="--from 75.8 --to 87.4, or two or more --audit values in time order",
        )
    force = kpi_name = current_label = base_label = None
    force_display = None
    source = "given"
    if recorded is None or previous is None:
        source = "store"
        kpis = app.catalogue.select(kpi_id)
        if len(kpis) != 1:
            raise UsageError("pcp cdi counts one KPI", hint="give a single KPI id to --kpi")
        with app.store.reading(wait=app.wait) as reader:
            engine = app.engine(reader)
            forces = app.resolve_forces((force_name,) if force_name else (), reader)
            force = forces[0]
            kpi = kpis[0]
            if kpi.kind != "count":
                raise UsageError(f"{kpi.id} is not a count of crimes")
            window = resolve_window(
                engine, [kpi], [force], period, vs, no_data=f"no data for KPI {kpi.id} for {force}"
            )
            current, base = window.period, window.baseline
            cur_value, base_value = engine.values(kpi, force, [current, base])
            current_label, base_label = current.label, base.label
            if recorded is None:
                recorded = cur_value.value
            else:
                source = "given/store"
            if previous is None:
                previous = base_value.value
            else:
                source = "store/given"
            force_display = app.forces.name(force)
            kpi_name = kpi.id
    assert recorded is not None and previous is not None
    try:
        est = cdi_estimate(recorded, previous, points)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    row = {
        "force": force,
        "force_name": force_display,
        "kpi": kpi_name,
        "counts_from": source,
        "period": current_label,
        "baseline_period": base_label,
        "recorded": est.recorded,
        "previous": est.previous,
        "increase": est.increase,
        "pct_increase": est.increase / est.previous * 100 if est.previous else None,
        "compliance": points,
        "compliance_start": est.compliance_start,
        "compliance_end": points[-1],
        "average_compliance": est.average_compliance,
        "expected_at_start": est.expected_at_start,
        "attributable": est.attributable,
        "share_of_increase": est.share_of_increase,
        "method": METHOD,
    }
    frame = pl.DataFrame([row], schema=COLUMNS)
    if est.share_of_increase is None:
        warn("recorded crime did not rise, so no share of an increase can be attributed")
    if not app.quiet:
        note(_summary(row))
    emit(frame, out, _view)


def _n(value: float | None) -> str:
    return fmt_number(value, 0)


def _pct(value: float | None) -> str:
    return fmt_number(value, 1) + "%" if value is not None else "–"


def _summary(r: Mapping[str, object]) -> str:
    def f(key: str) -> float:
        value = r[key]
        assert isinstance(value, float)
        return value

    text = (
        f"{_n(f('recorded'))} crimes recorded at an average compliance of "
        f"{_pct(f('average_compliance'))} would have been about {_n(f('expected_at_start'))} at "
        f"{_pct(f('compliance_start'))}"
    )
    share = r["share_of_increase"]
    if isinstance(share, float):
        text += (
            f": about {_n(f('attributable'))} of the {_n(f('increase'))} extra crimes "
            f"({share:.1%}) are attributable to better recording"
        )
    else:
        text += f": about {_n(f('attributable'))} crimes are attributable to better recording"
    return text


def _view(frame: pl.DataFrame) -> TableView:
    r = frame.row(0, named=True)
    share = r["share_of_increase"]
    where = f" ({r['force_name']}, {r['kpi']})" if r["force_name"] else ""
    rows = [
        ["Recorded" + (f", {r['period']}" if r["period"] else ""), _n(r["recorded"])],
        [
            "Previous" + (f", {r['baseline_period']}" if r["baseline_period"] else ""),
            _n(r["previous"]),
        ],
        ["Increase", fmt_number(r["increase"], 0, signed=True)],
        ["Compliance points", " → ".join(_pct(c) for c in r["compliance"])],
        ["Average compliance", _pct(r["average_compliance"])],
        [f"Expected at {_pct(r['compliance_start'])}", _n(r["expected_at_start"])],
        ["Attributable to better recording", _n(r["attributable"])],
        ["Share of the increase", f"{share:.1%}" if share is not None else "– (no increase)"],
    ]
    return TableView(
        f"Crime data integrity{where}",
        ["Measure", "Value"],
        rows,
        right_align={1},
        caption=r["method"],
    )
