"""The XmR chart options, defined once for `pcp spc` and `pcp chart spc`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from pcp_cli.analysis.spc import SpcOptions
from pcp_cli.cli import params
from pcp_cli.periods import Month
from pcp_cli.stats.spc import TrendTies, TwoInThreeLogic, XmrOptions

F = TypeVar("F", bound=Callable[..., Any])

# (screen moving ranges, 2-in-3 logic) per preset; explicit options override.
PRESETS: dict[str, tuple[bool, TwoInThreeLogic]] = {
    "pcp": (True, "mdc2023"),
    "mdc-excel": (False, "mdc2023"),
    "nhsr": (True, "nhsr"),
}


def spc_options(
    preset: str,
    screen: bool | None,
    two_in_three: TwoInThreeLogic | None,
    run_length: int,
    trend_ties: TrendTies,
    baseline: int | None,
    rebase: tuple[Month, ...],
    target: float | None,
    **more: Any,
) -> SpcOptions:
    """The chart options from the XmR options: the preset, then what is given explicitly."""
    screen_default, logic_default = PRESETS[preset]
    chart = XmrOptions(
        screen_outliers=screen_default if screen is None else screen,
        fix_after_n_points=baseline,
        trend_length=int(run_length),
        shift_length=int(run_length),
        two_in_three=logic_default if two_in_three is None else two_in_three,
        trend_ties=trend_ties,
        target=target,
    )
    return SpcOptions(chart, rebase, **more)


def xmr_options(scope: str = "") -> Callable[[F], F]:
    """--preset, --screen, --two-in-three, --run-length, --trend-ties, --baseline, --rebase,
    --target; ``scope`` prefixes the help (e.g. "spc: ") where a command has other kinds."""
    options = [
        click.option(
            "--preset",
            type=click.Choice(list(PRESETS)),
            default="pcp",
            show_default=True,
            help=f"{scope}pcp: screened, MDC 2023 2-in-3; mdc-excel: not screened (MDC Excel "
            "parity); nhsr: NHSRplotthedots v0.2.2 (screened, older 2-in-3).",
        ),
        click.option(
            "--screen/--no-screen",
            default=None,
            help=f"{scope}screen moving ranges at 3.267 × mean MR before the limits (default: "
            "on; --no-screen matches the MDC Excel tools).",
        ),
        click.option(
            "--two-in-three",
            type=click.Choice(["mdc2023", "nhsr"]),
            default=None,
            help=f"{scope}2-in-3 rule: mdc2023 (points beyond the limits count; default) or "
            "nhsr (older).",
        ),
        click.option(
            "--run-length",
            type=click.Choice(["6", "7"]),
            default="7",
            show_default=True,
            help=f"{scope}points in a trend or a shift (run on one side of the mean).",
        ),
        click.option(
            "--trend-ties",
            type=click.Choice(["break", "ignore"]),
            default="break",
            show_default=True,
            help=f"{scope}a repeated value breaks a trend (NHSRplotthedots) or is ignored "
            "(MDC guidance).",
        ),
        click.option(
            "--baseline",
            type=click.IntRange(min=5),
            default=None,
            metavar="N",
            help=f"{scope}fix the limits on the first N points (of each group); MDC uses 12 to 20.",
        ),
        click.option(
            "--rebase",
            "rebase_months",
            multiple=True,
            metavar="YYYY-MM",
            help=f"{scope}start new limits at this month (repeatable); rebase once the cause "
            "is known.",
        ),
        click.option(
            "--target",
            type=params.FINITE,
            default=None,
            help=f"{scope}target value: the MDC assurance (consistent pass / fail / "
            "inconsistent) and a target line on charts.",
        ),
    ]

    def apply(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return apply
