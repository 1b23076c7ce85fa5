"""The few distribution functions pcp needs, cheap to import.

Importing ``scipy.stats`` costs over a second on a small machine and even
``scipy.special`` about a quarter of one, more than the work of a whole ``pcp compare``.
The normal distribution and the Poisson pmf come from the standard library here (the
same algorithms scipy uses: Wichura's AS241 for the normal quantile, erfc, lgamma);
chi-squared and t quantiles import ``scipy.special`` on first use only.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy costs 0.1 s to import; only the e-test needs it
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

_STANDARD_NORMAL = NormalDist()


def norm_ppf(p: float) -> float:
    return _STANDARD_NORMAL.inv_cdf(p)


def norm_sf(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def chi2_ppf(q: float, df: float) -> float:
    """Quantile of the chi-squared distribution (chdtri inverts the upper tail)."""
    from scipy.special import chdtri

    return float(chdtri(df, 1.0 - q))


def t_cdf(x: float, df: float) -> float:
    from scipy.special import stdtr

    return float(stdtr(df, x))


def t_sf(x: float, df: float) -> float:
    return t_cdf(-x, df)


def t_ppf(q: float, df: float) -> float:
    from scipy.special import stdtrit

    return float(stdtrit(df, q))


def poisson_pmf(k: ArrayLike, mu: float) -> NDArray[np.float64]:
    import numpy as np

    ks = np.asarray(k, dtype=float)
    if mu <= 0.0:
        return np.where(ks == 0.0, 1.0, 0.0)
    out: NDArray[np.float64] = np.exp(
        ks * math.log(mu) - mu - np.vectorize(math.lgamma, otypes=[float])(ks + 1.0)
    )
    return out
