"""Click parameter types that refuse what a number option can never mean.

``float('nan')`` parses, and NaN compares false with every bound, so
``click.FloatRange(0, 1)`` lets ``--alpha nan`` through; ``inf`` passes a plain
``float``. These types reject both as a usage error (exit 2).
"""

from __future__ import annotations

import math
from typing import Any

import click


class FiniteFloat(click.ParamType[float]):
    """A finite number: not nan, inf or -inf."""

    name = "number"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float) and math.isfinite(value):
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class FiniteFloatRange(FiniteFloat):
    """A finite number between ``low`` and ``high`` (bounds excluded when open)."""

    def __init__(
        self, low: float, high: float, *, min_open: bool = False, max_open: bool = False
    ) -> None:
        self.low, self.high = low, high
        self.min_open, self.max_open = min_open, max_open
        left, right = "(" if min_open else "[", ")" if max_open else "]"
        self.range = f"{left}{low:g}, {high:g}{right}"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        number = super().convert(value, param, ctx)
        too_low = number <= self.low if self.min_open else number < self.low
        too_high = number >= self.high if self.max_open else number > self.high
        if too_low or too_high:
            self.fail(f"{value!r} is not in the range {self.range}", param, ctx)
        return number


FINITE = FiniteFloat()
NON_NEGATIVE = FiniteFloatRange(0, math.inf)
# A significance level (or a confidence level): strictly between 0 and 1.
ALPHA = FiniteFloatRange(0, 1, min_open=True, max_open=True)
LEVEL = ALPHA
