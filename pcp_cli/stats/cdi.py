"""Crime data integrity: how much of an increase is due to better recording (seed 003).

Method of the Leicestershire panel paper (seed 003, paragraphs 40–46): compliance moved
from 75.8% to 87.4%, averaging 81.6% over the year; 81,877 crimes recorded at 81.6% would
have been 81,877 × 75.8 / 81.6 ≈ 76,057 at the old compliance, so about 5,820 of the 13,171
extra crimes are attributed to better recording.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CdiEstimate:
    """Recording-attributable share of a change in recorded crime.

    ``share_of_increase`` (attributable / increase) is ``None`` when the count did not rise.
    Compliance values are in whatever unit was given (percent in the paper).
    """

    recorded: float
    previous: float
    compliance_start: float
    average_compliance: float
    expected_at_start: float
    attributable: float
    increase: float
    share_of_increase: float | None


def cdi_estimate(recorded: float, previous: float, compliance: Sequence[float]) -> CdiEstimate:
    """Estimate crimes attributable to improved recording compliance.

    ``compliance`` lists audit results in time order: two values (start, end) as in the
    paper, or more audit points. The year's compliance is their mean; the expected count at
    the old compliance is recorded × start / average; attributable = recorded − expected.
    """
    for name, v in (("recorded", recorded), ("previous", previous)):
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a count >= 0; got {v!r}")
    points = [float(c) for c in compliance]
    if len(points) < 2:
        raise ValueError("give at least two compliance points (start and end)")
    for c in points:
        if not math.isfinite(c) or c <= 0:
            raise ValueError(f"compliance values must be > 0; got {c!r}")
    average = math.fsum(points) / len(points)
    expected = recorded * points[0] / average
    attributable = recorded - expected
    increase = recorded - previous
    return CdiEstimate(
        recorded=recorded,
        previous=previous,
        compliance_start=points[0],
        average_compliance=average,
        expected_at_start=expected,
        attributable=attributable,
        increase=increase,
        share_of_increase=attributable / increase if increase > 0 else None,
    )
