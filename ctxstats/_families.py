"""Inverse links and log-likelihoods of the families, on numpy arrays."""
from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln


def inverse_link(family: str, eta: np.ndarray) -> np.ndarray:
    if family == "gaussian":
        return eta
    if family == "binomial":
        return expit(eta)
    return np.exp(eta)


def loglike(family: str, y: np.ndarray, mu: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Full log-likelihood. Gaussian uses the ML variance RSS/n, as statsmodels' OLS/WLS do."""
    w = np.ones_like(y) if weights is None else weights
    if family == "gaussian":
        nobs = y.shape[0]
        ssr = float(np.sum(w * (y - mu) ** 2))
        return -nobs / 2 * (np.log(2 * np.pi * ssr / nobs) + 1) + 0.5 * float(np.sum(np.log(w[w > 0])))
    if family == "binomial":
        p = np.clip(mu, 1e-300, 1 - 1e-16)
        return float(np.sum(w * (y * np.log(p) + (1 - y) * np.log1p(-p))))
    return float(np.sum(w * (y * np.log(np.maximum(mu, 1e-300)) - mu - gammaln(y + 1))))
