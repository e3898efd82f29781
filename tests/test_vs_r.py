"""ctxstats against R's own estimators, through rpy2.

- The linear encoder (exact solver) is the GLM on the interaction design: its per-sample
  parameters equal those implied by R's lm(y ~ (x1 + x2) * (c1 + c2)) and glm(...) with the
  binomial and poisson families, to 1e-8.
- With one context variable the ngam encoder's coefficient functions come within 2x of
  mgcv::gam(y ~ s(c, by = x1) + s(c, by = x2) + s(c))'s error against the truth (n = 10,000).
  benchmarks/bench_vs_mgcv.py times the two fits.
"""
import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from conftest import short_fits
from rsupport import as_array, r_frame, r_package, vcm_frame

pytestmark = pytest.mark.against_r


@pytest.fixture(scope="module")
def ro():
    return r_package()


def theta_from_r_coefficients(coef: dict, df: pd.DataFrame) -> np.ndarray:
    """(Intercept, x1, x2) per sample from the coefficients of y ~ (x1 + x2) * (c1 + c2)."""
    def varying(lead, prefix):
        return coef[lead] + sum(coef[f"{prefix}{c}"] * df[c].to_numpy() for c in ("c1", "c2"))
    return np.column_stack([varying("(Intercept)", ""), varying("x1", "x1:"), varying("x2", "x2:")])


@pytest.mark.parametrize("family", ["gaussian", "binomial", "poisson"])
def test_linear_encoder_equals_lm_and_glm(ro, family):
    df = vcm_frame(n=800, family=family, seed=21, nonlinear=False)
    df["c2"] *= 100.0  # scales far apart: the core's standardisation must not show
    res = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], family=family,
                               encoder="linear").fit()
    assert res.solver == "exact" and res.converged
    ro.globalenv["d"] = r_frame(df)
    if family == "gaussian":
        ro.r("m <- lm(y ~ (x1 + x2) * (c1 + c2), data = d)")
    else:
        ro.r(f"m <- glm(y ~ (x1 + x2) * (c1 + c2), family = {family}(), data = d, "
             "control = glm.control(epsilon = 1e-14, maxit = 100))")
    coef = dict(zip(ro.r("names(coef(m))"), as_array(ro.r("coef(m)"))))
    theta_r = theta_from_r_coefficients(coef, df)
    theta = res.sample_params.to_numpy()
    scale = np.abs(theta_r).max(axis=0)
    assert np.all(np.abs(theta - theta_r) <= 1e-8 * np.maximum(scale, 1.0))
    np.testing.assert_allclose(res.fittedvalues, as_array(ro.r("fitted(m)")), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.llf, float(ro.r("as.numeric(logLik(m))")[0]), rtol=1e-10)
    np.testing.assert_allclose(res.aic, float(ro.r("AIC(m)")[0]), rtol=1e-10)


def simulate_one_context(n=10_000, seed=0):
    """One context variable c; smooth, non-linear intercept and coefficient functions."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(-2, 2, n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    truth = np.column_stack([0.5 * np.cos(2 * c), np.sin(1.5 * c), 0.5 * c**2 - 0.5])
    y = truth[:, 0] + x1 * truth[:, 1] + x2 * truth[:, 2] + 0.5 * rng.normal(size=n)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "c": c}), truth


# The ngam settings of this comparison (benchmarks/bench_vs_mgcv.py uses the same).
NGAM = {"width": 16}
NGAM_FIT = {"max_iter": 300, "seed": 0}
GAM = ("g <- mgcv::gam(y ~ s(c, by = x1) + s(c, by = x2) + s(c), data = d); "
       "tm <- predict(g, data.frame(c = d$c, x1 = 1, x2 = 1), type = 'terms'); "
       "cbind(coef(g)[[1]] + tm[, 's(c)'], tm[, 's(c):x1'], tm[, 's(c):x2'])")


@short_fits  # this ngam fit stops at its cap (issue 12) yet is within 2x of mgcv
def test_ngam_coefficient_functions_are_within_2x_of_mgcv(ro):
    if not bool(ro.r("isTRUE(requireNamespace('mgcv', quietly = TRUE))")[0]):
        pytest.fail("the R package mgcv is missing (Debian: r-cran-mgcv)")
    df, truth = simulate_one_context()
    res = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c"]], encoder="ngam", **NGAM).fit(**NGAM_FIT)
    ro.globalenv["d"] = r_frame(df)
    gam_theta = as_array(ro.r(GAM))
    rmse_ctx = np.sqrt(np.mean((res.sample_params.to_numpy() - truth) ** 2))
    rmse_gam = np.sqrt(np.mean((gam_theta - truth) ** 2))
    # both recover the functions (signal sd about 0.5), and ngam is within 2x of mgcv
    assert rmse_gam < 0.05
    assert rmse_ctx <= 2.0 * rmse_gam, f"ngam RMSE {rmse_ctx:.4f} vs mgcv {rmse_gam:.4f}"
