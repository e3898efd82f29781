"""Inverse links of the families on numpy arrays, and the core's fit statistics."""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from ctxstats import _core


def inverse_link(family: str, eta: np.ndarray) -> np.ndarray:
    if family == "gaussian":
        return eta
    if family == "binomial":
        return expit(eta)
    return np.exp(eta)


def _arrays(y, mu, weights):
    w = None if weights is None else np.ascontiguousarray(weights, dtype=float)
    return np.ascontiguousarray(y, dtype=float), np.ascontiguousarray(mu, dtype=float), w


def fit_statistics(family: str, y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None,
                   intercept: bool = True, quasi: bool = False) -> dict:
    """The core's log-likelihood (NaN for a quasi-likelihood fit), deviance, null deviance and
    Pearson chi-square of fitted means (csrc/inference/fit_statistics.hpp has the definitions)."""
    return _core.fit_statistics(family, *_arrays(y, mu, weights), intercept, quasi)


def residuals(family: str, kind: str, y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The core's residuals of ``kind`` (response, pearson, deviance or working)."""
    return _core.residuals(family, kind, *_arrays(y, mu, weights))


def loglike(family: str, y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Full log-likelihood. Gaussian uses the ML variance RSS/n, as statsmodels' OLS/WLS do."""
    return fit_statistics(family, y, mu, weights)["loglik"]
