"""Is a change better or worse? One rule for the KPI's polarity, used by every command.

A fall is better for a lower-is-better KPI (crime) and worse for a higher-is-better one
(satisfaction); a neutral KPI (calls, incidents) is never judged, nor is no change. A
verdict is judged only when it is significant: "no significant change" is neutral.
"""

from __future__ import annotations

from typing import Literal

from pcp_cli.kpis import Polarity

Judgement = Literal["better", "worse", "neutral"]


def judge_change(change: float | None, polarity: Polarity | str) -> Judgement:
    """better / worse / neutral for a change of this sign (see the module docstring)."""
    if change is None or change == 0 or change != change or polarity == "neutral":
        return "neutral"
    if polarity not in ("lower-is-better", "higher-is-better"):
        return "neutral"
    return "better" if (change < 0) == (polarity == "lower-is-better") else "worse"


def verdict_sign(verdict: str | None) -> int:
    """+1 for a significant increase, −1 for a significant decrease, 0 otherwise."""
    return {"significant increase": 1, "significant decrease": -1}.get(verdict or "", 0)


def judge_verdict(verdict: str | None, polarity: Polarity | str) -> Judgement:
    """The judgement of a significance verdict: only a significant change is judged."""
    return judge_change(verdict_sign(verdict), polarity)
