"""Numbers as pcp prints them: one module for every table, caption and sentence.

Rules, each tested (tests/test_text.py):

* a figure that is not zero is never printed as zero: −0.04% is "−0.04%", not "−0.0%"
  (decimals are added, up to :data:`MAX_DECIMALS`, until a digit shows);
* a p-value is printed with enough digits to stay on its side of alpha: 0.04996 beside
  "significant" is "p = 0.04996", never "p = 0.050"; below 0.001 it is "p < 0.001";
* an interval has as many decimals as the value it belongs to;
* a true minus sign (−) and thousands separators; "–" for no value, "undefined" for NaN.
"""

from __future__ import annotations

import math

SPARK = "▁▂▃▄▅▆▇█"
MAX_DECIMALS = 6
NO_VALUE = "–"


def number(value: float | None, decimals: int = 0, *, signed: bool = False) -> str:
    """1,234 / +1,234 / −1,234; a non-zero value keeps a digit (see the module)."""
    if value is None:
        return NO_VALUE
    if not math.isfinite(value):
        return "undefined"
    shown = decimals
    while value != 0 and round(abs(value), shown) == 0 and shown < MAX_DECIMALS:
        shown += 1
    text = f"{value:+,.{shown}f}" if signed else f"{value:,.{shown}f}"
    if round(abs(value), shown) == 0:  # still zero at MAX_DECIMALS: no sign on a zero
        text = text.replace("-", "+" if signed else "")
    return text.replace("-", "−")


def value(amount: float | None, unit: str) -> str:
    """A KPI value: percentages to one decimal with '%', whole numbers whole, else 2 dp."""
    if unit == "%":
        return number(amount, 1) + ("%" if amount is not None else "")
    if amount is not None and float(amount).is_integer():
        return number(amount, 0)
    return number(amount, 2)


def level(amount: float | None, unit: str) -> str:
    """A level worked out rather than counted (a projection, its interval, a target), shown
    as the KPI's values are: percentages to one decimal, anything else whole."""
    if amount is None or not math.isfinite(amount):
        return value(amount, unit)
    return value(round(amount, 1) if unit == "%" else float(round(amount)), unit)


def probability(chance: float | None) -> str:
    """'12.3%'; a chance that is not nil or certain never prints as 0.0% or 100.0%."""
    if chance is None or not math.isfinite(chance):
        return NO_VALUE
    if 0 < chance < 0.0005:
        return "< 0.1%"
    if 0.9995 < chance < 1:
        return "> 99.9%"
    return f"{chance:.1%}"


def percent_change(pct: float | None, decimals: int = 1) -> str:
    """+8.4% / −0.04%; '–' for none."""
    return NO_VALUE if pct is None else number(pct, decimals, signed=True) + "%"


MONTHLY_AVERAGE = "monthly average"
"""A compare row's ``change_basis`` when periods of unequal length are set side by side."""


def change(amount: float | None, unit: str, basis: str | None = None) -> str:
    """A change in a KPI value: percentage points for percentages ('+1.2 pts'), whole
    numbers whole, else 2 dp, always signed; a difference of monthly averages (periods of
    unequal length) is '−24 a month' (whole unless under 10)."""
    if amount is None:
        return NO_VALUE
    if unit == "%":
        return number(amount, 1, signed=True) + " pts"
    if basis == MONTHLY_AVERAGE:
        return number(amount, 0 if abs(amount) >= 10 else 1, signed=True) + " a month"
    return number(amount, 0 if float(amount).is_integer() else 2, signed=True)


def interval(lower: float | None, upper: float | None, decimals: int, sep: str = "–") -> str:
    """'1.234–2.345': both ends with the decimals of the value they bound."""
    if lower is None or upper is None:
        return NO_VALUE
    return f"{number(lower, decimals)}{sep}{number(upper, decimals)}"


def p_value(p: float | None, alpha: float = 0.05, *, prefix: str = "p = ") -> str:
    """'p = 0.012', 'p = 0.04996' (not 0.050 beside a significant verdict), 'p < 0.001'."""
    if p is None or not math.isfinite(p):
        return ""
    if p < 0.001:
        return "p < 0.001"
    digits = 3
    while digits < 8 and (round(p, digits) < alpha) != (p < alpha):
        digits += 1
    return f"{prefix}{p:.{digits}f}"


def sparkline(
    values: list[float] | tuple[float, ...], scale: tuple[float, float] | None = None
) -> str:
    """One block character per value, scaled to ``scale`` or the values' own range;
    a gap for a missing value."""
    clean = [v for v in values if v is not None and math.isfinite(v)]
    if not clean:
        return ""
    lo, hi = scale if scale else (min(clean), max(clean))
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(" ")
        elif hi == lo:
            out.append(SPARK[len(SPARK) // 2])
        else:
            out.append(
                SPARK[min(len(SPARK) - 1, int((v - lo) / (hi - lo) * (len(SPARK) - 1) + 0.5))]
            )
    return "".join(out)
