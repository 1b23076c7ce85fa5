"""The XmR chart options, defined once for `pcp spc` and `pcp chart spc`."""

from __future__ import annotations

from typing import Any

import click

from pcp_cli.analysis.spc import SpcOptions
from pcp_cli.cli import options as opt
from pcp_cli.cli import params
from pcp_cli.periods import Month
from pcp_cli.stats.spc import TrendTies, TwoInThreeLogic

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
    return SpcOptions(
        screen=screen_default if screen is None else screen,
        two_in_three=logic_default if two_in_three is None else two_in_three,
        run_length=int(run_length),
        trend_ties=trend_ties,
        baseline=baseline,
        rebase=rebase,
        target=target,
        **more,
    )


def xmr_options(scope: str = "") -> opt.Decorator:
    """--preset, --screen, --two-in-three, --run-length, --trend-ties, --baseline, --rebase,
    --target; ``scope`` prefixes the help (e.g. "spc: ") where a command has other kinds."""
    return opt.together(
        opt.choice(
            "--preset", list(PRESETS), "pcp", f"{scope}pcp: screened, MDC 2023 2-in-3; "
            "mdc-excel: not screened (MDC Excel parity); nhsr: NHSRplotthedots v0.2.2 "
            "(screened, older 2-in-3).",
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
        opt.choice(
            "--run-length", ["6", "7"], "7",
            f"{scope}points in a trend or a shift (run on one side of the mean).",
        ),
        opt.choice(
            "--trend-ties", ["break", "ignore"], "break",
            f"{scope}a repeated value breaks a trend (NHSRplotthedots) or is ignored (MDC "
            "guidance).",
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
    )  # fmt: skip
