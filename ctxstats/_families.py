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


def link_family(family: str) -> str:
    """The family whose link a family shares, for the core's link-scale computations
    (prediction intervals): the negative binomial has the poisson's log link."""
    return "poisson" if family == "negativebinomial" else family


def _arrays(y, mu, weights):
    w = None if weights is None else np.ascontiguousarray(weights, dtype=float)
    return np.ascontiguousarray(y, dtype=float), np.ascontiguousarray(mu, dtype=float), w


def fit_statistics(family: str, y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None,
                   intercept: bool = True, quasi: bool = False, theta: float | None = None) -> dict:
    """The core's log-likelihood (NaN for a quasi-likelihood fit), deviance, null deviance and
    Pearson chi-square of fitted means (csrc/inference/fit_statistics.hpp has the definitions;
    the negative binomial's, at its ``theta``, csrc/inference/negbin.hpp)."""
    if family == "negativebinomial":
        return _core.negbin_fit_statistics(_theta(theta), *_arrays(y, mu, weights), intercept)
    return _core.fit_statistics(family, *_arrays(y, mu, weights), intercept, quasi)


def residuals(family: str, kind: str, y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None,
              theta: float | None = None) -> np.ndarray:
    """The core's residuals of ``kind`` (response, pearson, deviance or working)."""
    if family == "negativebinomial":
        return _core.negbin_residuals(_theta(theta), kind, *_arrays(y, mu, weights))
    return _core.residuals(family, kind, *_arrays(y, mu, weights))


def _theta(theta: float | None) -> float:
    if theta is None:
        raise ValueError("the negative binomial family needs its theta (the fit's estimate)")
    return float(theta)


def loglike(family: str, y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Full log-likelihood. Gaussian uses the ML variance RSS/n, as statsmodels' OLS/WLS do."""
    return fit_statistics(family, y, mu, weights)["loglik"]
