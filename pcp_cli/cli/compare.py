"""`pcp compare`: this period against a baseline, per KPI and force."""

from __future__ import annotations

import click
import polars as pl

from pcp_cli.analysis.compare import ComparePlan
from pcp_cli.analysis.compare import compare as run_compare
from pcp_cli.cli import params
from pcp_cli.cli.common import App, OutputOptions, common_options, output_options, warn
from pcp_cli.cli.completion import complete_forces, complete_kpis
from pcp_cli.cli.output import TableView, emit, fmt_number, fmt_value, sparkline
from pcp_cli.engine import Engine, parse_to
from pcp_cli.errors import NoDataError
from pcp_cli.kpis import Kpi
from pcp_cli.periods import baseline_for, parse_period


@click.command()
@click.option(
    "--kpi",
    "kpi_spec",
    shell_complete=complete_kpis,
    default="all",
    show_default=True,
    help="KPI id, several ids separated by commas, a section name, or all.",
)
@click.option(
    "--period",
    required=True,
    help="Q2, 'Q2 2018/19', 2018/19, FYTD, 12m, 2018-07 or 2018-07..2018-09.",
)
@click.option(
    "--vs",
    "vs",
    default="last-year",
    show_default=True,
    help="Baseline: last-year (same period a year earlier), previous, or a period.",
)
@click.option(
    "--force",
    "force_names",
    shell_complete=complete_forces,
    multiple=True,
    help="Force id or name; repeat or separate with commas. Default: home force.",
)
@click.option(
    "--to",
    "to_month",
    default=None,
    metavar="YYYY-MM",
    help="Anchor relative periods (Q2, FYTD, 12m) at this month instead of the latest.",
)
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Compare periods with missing months instead of stopping (rows are flagged).",
)
@click.option(
    "--alpha",
    type=params.ALPHA,
    default=0.05,
    show_default=True,
    help="Significance level for the verdict (and the survey RAG: 0.05 = 95% confidence).",
)
@output_options
@common_options
def compare(
    app: App,
    kpi_spec: str,
    period: str,
    vs: str,
    force_names: tuple[str, ...],
    to_month: str | None,
    allow_partial: bool,
    alpha: float,
    out: OutputOptions,
) -> None:
    """Compare a period with the same period a year earlier (or --vs).

    \b
    Examples:
      pcp compare --kpi all-crime --period Q2
      pcp compare --kpi all --period "Q2 2018/19"
      pcp compare --kpi Crime --period 12m --vs previous --format csv
      pcp compare --kpi victim-satisfaction --period "12m to 2018-09" --alpha 0.01

    \b
    Every row says whether the change is more than noise: counts by the Poisson
    E-test (months as exposure), rates and survey proportions by the two-proportion
    z-test with the Newcombe interval for the difference; verdict at --alpha.
    Survey KPIs also get p, n, Wilson 95% intervals and the seed-001 RAG.
    See docs/statistics.md.
    """
    kpis = app.catalogue.select(kpi_spec)
    with app.store.reading(wait=app.wait) as reader:
        engine = Engine(reader, app.catalogue)
        forces = app.resolve_forces(force_names, reader)
        engine.preload(kpis, forces)
        selected: list[Kpi] = []
        left_out: list[Kpi] = []
        for kpi in kpis:
            lacking = [f for f in forces if not engine.has_data(kpi, f)]
            if lacking and len(kpis) == 1:
                raise NoDataError(
                    f"no data for KPI {kpi.id} for {', '.join(lacking)}",
                    hint=f"it is counted from: {', '.join(_datasets(app, kpi.id))}",
                )
            (left_out if lacking else selected).append(kpi)
        if left_out:
            warn(
                f"{len(left_out)} KPI(s) have no data in the store for "
                f"{', '.join(forces)} and are left out: {', '.join(k.id for k in left_out)}"
            )
        if not selected:
            raise NoDataError("none of the selected KPIs has data in the store")
        latest = parse_to(to_month)
        if latest is None:
            ends = [engine.latest_month(selected, f) for f in forces]
            latest = min(e for e in ends if e is not None)
        current = parse_period(period, latest=latest)
        baseline = baseline_for(current, vs, latest=latest)
        app.info(f"comparing {current.label} with {baseline.label}")
        if len(selected) > 1:
            # A KPI whose data lie wholly outside both periods (a Home Office table of
            # another year, say) does not apply here; a partly covered one is still an error.
            periods = [current, baseline]
            outside = [
                k for k in selected if not any(engine.holds_any(k, f, periods) for f in forces)
            ]
            if outside:
                warn(
                    f"{len(outside)} KPI(s) have no data for {current.label} or "
                    f"{baseline.label} and are left out: {', '.join(k.id for k in outside)} "
                    "('pcp periods' shows the months the store holds)"
                )
                selected = [k for k in selected if k not in outside]
            if not selected:
                raise NoDataError(
                    f"none of the selected KPIs has data for {current.label} or {baseline.label}",
                    hint="'pcp periods' shows the months the store holds",
                )
        frame = run_compare(
            engine,
            app.forces,
            ComparePlan(selected, forces, current, baseline, allow_partial, alpha),
        )
    if not frame["complete"].all():
        warn("some rows have missing months (see missing_months); their figures are partial")
    for r in frame.filter(pl.col("notes").is_not_null()).iter_rows(named=True):
        warn(f"{r['kpi']} ({r['force']}): {r['notes']}")
    emit(frame, out, _view)


def _datasets(app: App, kpi_id: str) -> list[str]:
    kpi = app.catalogue.kpis[kpi_id]
    if kpi.kind == "ratio" and kpi.numerator and kpi.denominator:
        return _datasets(app, kpi.numerator) + _datasets(app, kpi.denominator)
    return list(kpi.datasets)


def _view(frame: pl.DataFrame) -> TableView:
    rows = []
    styles: list[str | None] = []
    cell_styles: dict[tuple[int, int], str] = {}
    multi_force = frame["force"].n_unique() > 1
    first = frame.row(0, named=True) if frame.height else {}
    headers = [
        *(["Force"] if multi_force else []),
        "Section",
        "KPI",
        f"{first.get('period', 'Current')}",
        f"{first.get('baseline_period', 'Baseline')}",
        "Volume change",
        "% change",
        "Significance",
        "Trend (baseline│current)",
    ]
    offset = 2 if multi_force else 1
    previous_section = None
    for i, r in enumerate(frame.iter_rows(named=True)):
        unit = r["unit"]
        change = r["change"]
        pct = r["pct_change"]
        points = [*r["baseline_monthly"], *r["monthly"]]
        finite = [p for p in points if p is not None and p == p]
        scale = (min(finite), max(finite)) if finite else None
        trend = sparkline(r["baseline_monthly"], scale) + "│" + sparkline(r["monthly"], scale)
        change_text = (
            (fmt_number(change, 1, signed=True) + " pts")
            if unit == "%"
            else fmt_number(
                change, 0 if change is None or float(change).is_integer() else 2, signed=True
            )
        )
        section = r["section"] if (r["section"], r["force"]) != previous_section else ""
        previous_section = (r["section"], r["force"])
        row = [
            *([r["force_name"]] if multi_force else []),
            section,
            r["label"],
            _shown(r["value"], r["denominator"], unit),
            _shown(r["baseline_value"], r["baseline_denominator"], unit),
            change_text,
            (fmt_number(pct, 1, signed=True) + "%") if pct is not None else "–",
            _significance_text(r),
            trend,
        ]
        rows.append(row)
        styles.append(None if r["complete"] else "dim")
        if change is not None and r["polarity"] != "neutral" and change != 0:
            good = (change < 0) == (r["polarity"] == "lower-is-better")
            cell_styles[(i, offset + 4)] = "green" if good else "red"
        if r["rag"] in _RAG_STYLE:
            cell_styles[(i, offset + 5)] = _RAG_STYLE[r["rag"]]
        elif (r["verdict"] or "").startswith("significant") and r["polarity"] != "neutral":
            good = (r["verdict"] == "significant decrease") == (r["polarity"] == "lower-is-better")
            cell_styles[(i, offset + 5)] = "green" if good else "red"
    who = first.get("force_name", "") if not multi_force else "forces compared"
    title = f"{who}: {first.get('period', '')} against {first.get('baseline_period', '')}"
    alpha = first.get("alpha") or 0.05
    caption = (
        "Green/red: better/worse by the KPI's polarity. Dim rows have missing months. "
        f"Significance at {fmt_number(alpha * 100, 0 if (alpha * 100).is_integer() else 1)}%: "
        "Poisson E-test for counts, two-proportion z-test for rates and surveys."
    )
    return TableView(
        title,
        headers,
        rows,
        right_align={offset + 1, offset + 2, offset + 3, offset + 4},
        row_styles=styles,
        cell_styles=cell_styles,
        caption=caption,
    )


_RAG_STYLE = {"GREEN": "green", "AMBER": "yellow", "RED": "red"}


def _significance_text(r: dict[str, object]) -> str:
    verdict = r.get("verdict")
    if not isinstance(verdict, str):
        return "not tested"
    text = verdict
    p = r.get("p_value")
    if isinstance(p, float):
        text += f" (p {p:.3f})" if p >= 0.001 else " (p < 0.001)"
    rag = r.get("rag")
    if isinstance(rag, str) and rag != "NONE":
        text = f"{rag}: {text}"
    return text


def _shown(value: float | None, denominator: float | None, unit: str) -> str:
    """A rate over nothing (0 crimes) is undefined, and says so rather than '–' or NaN."""
    if value is None and denominator == 0:
        return "undefined"
    return fmt_value(value, unit)
