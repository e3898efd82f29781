"""The negative binomial family (``family="negativebinomial"``): NB2 with a log link,
Var(y) = mu + mu^2 / theta, theta estimated by maximum likelihood with the coefficients --
R's ``MASS::glm.nb`` and statsmodels' ``NegativeBinomial(loglike_method="nb2")`` (whose
``alpha`` is 1 / theta) -- for the linear encoder (``csrc/glm/negbin.hpp``).

The core computes everything (``csrc/inference/negbin.hpp``): the fit alternates IRLS at
fixed theta with theta's maximum likelihood at fixed means until theta settles to 1e-11; the
covariances of the interaction coefficients are

- ``cov_type="nonrobust"`` (the default): the inverse expected information at the final
  theta, ``summary(glm.nb(...))``'s standard errors (and statsmodels' ``GLM`` with
  ``NegativeBinomial(alpha)``);
- ``"HC0"``-``"HC3"``, ``"cluster"``: sandwiches of the NB scores, as for the other GLMs;
- ``"observed"``: the inverse observed information of the coefficients and alpha jointly, the
  standard errors statsmodels' ``NegativeBinomial`` reports.

``results.theta`` with ``theta_se`` (glm.nb's ``SE.theta``) and ``results.alpha`` with
``alpha_se`` (statsmodels') are reported whatever the covariance. The other encoders and
bootstrap replicates are refused by the option table, with a message naming what works.
"""
from __future__ import annotations

import numpy as np

from ctxstats import _core
from ctxstats.inference import ANALYTIC_COV_TYPES, LinearCovariance

__all__ = ["negbin_covariance", "theta_ml"]


def _c(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=float)


def negbin_covariance(X, C, y, weights, intercept: bool, b, theta: float, cov_type: str, threads: int = 0,
                      groups=None) -> LinearCovariance:
    """The core's covariance of a negative binomial fit's interaction coefficients ``b`` at
    ``theta`` (see the module's docstring for the types)."""
    if cov_type not in ANALYTIC_COV_TYPES:
        raise ValueError(f"cov_type must be one of {ANALYTIC_COV_TYPES}, not {cov_type!r}")
    b = _c(b)
    out = _core.negbin_covariance(_c(C), _c(X), _c(y), weights, bool(intercept), b, float(theta), cov_type,
                                  int(threads), None if groups is None else np.ascontiguousarray(groups, dtype=np.int64))
    lc = LinearCovariance(params=b, cov=out["cov"], cov_type=out["cov_type"], scale=float(out["scale"]),
                          nobs=int(out["nobs"]), rank=int(out["rank"]), df_resid=float(out["df_resid"]),
                          use_t=bool(out["use_t"]), use_f=bool(out["use_f"]), df_denom=float(out["df_denom"]),
                          n_groups=int(out["n_groups"]))
    lc.theta_se = float(out["theta_se"])
    lc.alpha_se = float(out["alpha_se"])
    return lc


def theta_standard_errors(res) -> dict:
    """glm.nb's SE of theta and statsmodels' SE of alpha of a fit (``res.theta_se``,
    ``res.alpha_se``)."""
    m = res.model
    if not res._linear_encoder:
        raise ValueError("theta's standard error needs the linear encoder")
    lc = negbin_covariance(m.exog, m.context, m.endog, m.weights, m.fit_intercept,
                           res.interaction_params.to_numpy(), res.theta, "nonrobust",
                           res.options.get("threads", 0))
    return {"theta_se": lc.theta_se, "alpha_se": lc.alpha_se}


def theta_ml(y, mu, weights=None) -> dict:
    """The maximum-likelihood theta at fixed means ``mu`` (MASS's ``theta.ml`` solved to full
    precision): ``theta``, ``se``, ``n_iter``, ``converged``, ``message``."""
    return _core.negbin_theta_ml(_c(y), _c(mu), None if weights is None else _c(weights))
