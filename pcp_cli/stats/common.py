"""Shared types and helpers for the statistics library (no I/O, no CLI imports)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

from pcp_cli.stats.dist import norm_ppf

Polarity = Literal["lower-is-better", "higher-is-better", "neutral"]
"""Which direction of change is good for a measure (crime counts: lower-is-better)."""

Rag = Literal["RED", "AMBER", "GREEN", "NONE"]
"""RAG rating. ``"NONE"`` means no rating is possible (neutral polarity or no usable lines)."""

POLARITIES: tuple[Polarity, ...] = ("lower-is-better", "higher-is-better", "neutral")


class InsufficientDataError(ValueError):
    """Raised when a series is too short (or has gaps) for the requested method."""


def check_polarity(polarity: str) -> Polarity:
    """Return ``polarity`` unchanged if valid, else raise ``ValueError``."""
    for p in POLARITIES:
        if polarity == p:
            return p
    raise ValueError(f"polarity must be one of {', '.join(POLARITIES)}; got {polarity!r}")


def z_for_confidence(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level, e.g. 0.95 -> 1.959964."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1; got {confidence!r}")
    return norm_ppf(0.5 + confidence / 2.0)


def check_finite(values: Iterable[float], what: str = "values") -> list[float]:
    """Return ``values`` as a list of floats, raising ``ValueError`` on NaN or infinity."""
    out = [float(v) for v in values]
    for i, v in enumerate(out):
        if not math.isfinite(v):
            raise ValueError(f"{what}[{i}] is {v!r}; missing or infinite values are not allowed")
    return out


def rag_from_position(position: int, polarity: Polarity) -> Rag:
    """Map a position (+1 above the upper line, -1 below the lower line, 0 between) to RAG.

    For lower-is-better: above is RED, below is GREEN. Higher-is-better is the reverse.
    Neutral measures get ``"NONE"``.
    """
    if polarity == "neutral":
        return "NONE"
    if position == 0:
        return "AMBER"
    good = position < 0 if polarity == "lower-is-better" else position > 0
    return "GREEN" if good else "RED"
