"""The XmR chart options, defined once for `pcp spc` and `pcp chart spc`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click

from pcp_cli.analysis.spc import SpcOptions
from pcp_cli.cli import options as opt
from pcp_cli.cli import params
from pcp_cli.periods import parse_month
from pcp_cli.stats.spc import TrendTies, TwoInThreeLogic, XmrOptions

# (screen moving ranges, 2-in-3 logic) per preset; explicit options override.
PRESETS: dict[str, tuple[bool, TwoInThreeLogic]] = {
    "pcp": (True, "mdc2023"),
    "mdc-excel": (False, "mdc2023"),
    "nhsr": (True, "nhsr"),
}


@dataclass(frozen=True)
class XmrChoices:
    """The XmR options as given (None: the preset decides); fields named as the options'."""

    preset: str
    screen: bool | None
    two_in_three: TwoInThreeLogic | None
    run_length: str
    trend_ties: TrendTies
    baseline: int | None
    rebase_months: tuple[str, ...]
    target: float | None

    def spc_options(self, **more: Any) -> SpcOptions:
        """The chart options: the preset, then what is given explicitly (``more``: the
        command's own, e.g. the iQuanta lines)."""
        screen_default, logic_default = PRESETS[self.preset]
        runs = int(self.run_length)
        chart = XmrOptions(
            screen_outliers=screen_default if self.screen is None else self.screen,
            fix_after_n_points=self.baseline,
            trend_length=runs,
            shift_length=runs,
            two_in_three=logic_default if self.two_in_three is None else self.two_in_three,
            trend_ties=self.trend_ties,
            target=self.target,
        )
        return SpcOptions(chart, tuple(parse_month(m) for m in self.rebase_months), **more)


def xmr_options(scope: str = "") -> opt.Decorator:
    """--preset, --screen, --two-in-three, --run-length, --trend-ties, --baseline, --rebase,
    --target, handed to the command as one ``xmr`` (:class:`XmrChoices`); ``scope`` prefixes
    the help (e.g. "spc: ") where a command has other kinds."""
    return opt.bundled(
        XmrChoices,
        "xmr",
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
