"""The few distribution functions pcp needs, from ``scipy.special``.

Importing ``scipy.stats`` costs over a second on a small machine, more than a whole
``pcp compare``; ``scipy.special`` has the same functions (the ones ``scipy.stats`` calls
underneath) at a fraction of the import time. Rarely used tests import ``scipy.stats``
lazily where they are used.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import chdtri, gammaln, ndtr, ndtri, stdtr, stdtrit, xlogy


def norm_ppf(p: float) -> float:
    return float(ndtri(p))


def norm_sf(x: float) -> float:
    return float(ndtr(-x))


def chi2_ppf(q: float, df: float) -> float:
    """Quantile of the chi-squared distribution (chdtri inverts the upper tail)."""
    return float(chdtri(df, 1.0 - q))


def t_cdf(x: float, df: float) -> float:
    return float(stdtr(df, x))


def t_sf(x: float, df: float) -> float:
    return float(stdtr(df, -x))


def t_ppf(q: float, df: float) -> float:
    return float(stdtrit(df, q))


def poisson_pmf(k: ArrayLike, mu: float) -> NDArray[np.float64]:
    ks = np.asarray(k, dtype=float)
    out: NDArray[np.float64] = np.exp(xlogy(ks, mu) - mu - gammaln(ks + 1.0))
    return out
