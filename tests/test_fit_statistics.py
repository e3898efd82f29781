"""Deviance, null deviance, Pearson chi-square, scale and the four residual types (computed
once in the core, csrc/inference/fit_statistics) equal statsmodels' GLM on the linear
encoder's interaction design, with and without prior weights (statsmodels' var_weights, R's
glm weights)."""
import numpy as np
import pytest
import statsmodels.api as sm

import ctxstats as cs
from conftest import make_vcm
from test_vs_statsmodels import interaction_design

FAMILIES = {"gaussian": sm.families.Gaussian, "binomial": sm.families.Binomial, "poisson": sm.families.Poisson}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_fit_statistics_equal_statsmodels_glm(family, weighted):
    d = make_vcm(n=400, p=2, m=2, family=family, seed=21)
    w = np.random.default_rng(3).uniform(0.3, 2.5, size=400) if weighted else None
    Z, _ = interaction_design(d["X"], d["C"])
    ref = sm.GLM(d["y"], Z, family=FAMILIES[family](), var_weights=w).fit(tol=1e-14, maxiter=200)
    res = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear", weights=w).fit()
    for name in ["deviance", "null_deviance", "pearson_chi2", "scale"]:
        np.testing.assert_allclose(getattr(res, name), getattr(ref, name), rtol=1e-8, err_msg=name)
    for kind in ["response", "pearson", "deviance", "working"]:
        np.testing.assert_allclose(getattr(res, f"resid_{kind}"), getattr(ref, f"resid_{kind}"), rtol=1e-7,
                                   atol=1e-9, err_msg=kind)
    np.testing.assert_allclose(np.sum(res.resid_deviance ** 2), res.deviance, rtol=1e-12)
    if family != "gaussian":  # statsmodels' gaussian GLM llf uses the scale, not the ML variance
        np.testing.assert_allclose(res.llf, ref.llf, rtol=1e-8)


def test_null_deviance_without_intercept_uses_the_inverse_link_of_zero():
    d = make_vcm(n=300, p=2, m=1, family="poisson", seed=5)
    res = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family="poisson", encoder="linear",
                               fit_intercept=False).fit()
    y = d["y"]
    expected = 2 * np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0) - (y - 1.0))
    np.testing.assert_allclose(res.null_deviance, expected, rtol=1e-12)


def test_scale_is_nan_without_residual_degrees_of_freedom_and_bad_types_are_refused():
    from ctxstats import _core

    assert np.isnan(_core.dispersion("gaussian", 3.0, 0.0))
    assert _core.dispersion("poisson", 3.0, 10.0) == 1.0
    y = np.array([1.0, 2.0]), np.array([1.5, 1.5])
    with pytest.raises(ValueError, match="residual type"):
        _core.residuals("gaussian", "studentized", *y, None)
    with pytest.raises(ValueError, match="binomial mean"):
        _core.fit_statistics("binomial", np.array([1.0]), np.array([1.5]), None, True)
    with pytest.raises(ValueError, match="weights"):
        _core.fit_statistics("gaussian", *y, np.array([1.0, -1.0]), True)
