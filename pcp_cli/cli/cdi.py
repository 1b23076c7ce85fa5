"""`pcp cdi`: how much of a rise in recorded crime is due to better recording (seed 003)."""

from __future__ import annotations

from collections.abc import Mapping

import click
import polars as pl

from pcp_cli.app.cdi import CdiRequest, StoreSide, run_cdi
from pcp_cli.cli import options as opt
from pcp_cli.cli import params
from pcp_cli.cli.common import App, OutputOptions, common_options, note, output_options, warn
from pcp_cli.cli.completion import complete_kpis
from pcp_cli.cli.output import TableView, emit, fmt_number
from pcp_cli.errors import UsageError


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
    request = CdiRequest(
        [
            *([_percent(from_pct, "--from")] if from_pct is not None else []),
            *(_percent(a, "--audit") for a in audits),
            *([_percent(to_pct, "--to")] if to_pct is not None else []),
        ],
        recorded,
        previous,
        kpi_id,
        period,
        vs,
    )
    if request.needs_store and len(request.points) >= 2:
        with app.store.reading(wait=app.wait) as reader:
            force = app.resolve_forces((force_name,) if force_name else (), reader)[0]
            store = StoreSide(app.engine(reader), force, app.forces.name(force))
            outcome = run_cdi(request, app.catalogue, store)
    else:
        outcome = run_cdi(request, app.catalogue)
    for message in outcome.warnings:
        warn(message)
    if not app.quiet:
        note(_summary(outcome.frame.row(0, named=True)))
    emit(outcome.frame, out, _view)


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
