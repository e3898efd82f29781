"""The linear encoder equals statsmodels OLS/GLM on the interaction design [1, x] (x) [1, c]."""
import numpy as np
import pytest
import statsmodels.api as sm

import ctxstats as cs
from conftest import make_vcm


def interaction_design(X, C):
    Xt = np.column_stack([np.ones(len(X)), X])
    Ct = np.column_stack([np.ones(len(C)), C])
    return np.einsum("ik,il->ikl", Xt, Ct).reshape(len(X), -1), Ct


def reference_fit(d, family):
    Z, Ct = interaction_design(d["X"], d["C"])
    if family == "gaussian":
        res = sm.OLS(d["y"], Z).fit()
    else:
        fam = sm.families.Binomial() if family == "binomial" else sm.families.Poisson()
        res = sm.GLM(d["y"], Z, family=fam).fit(tol=1e-14, maxiter=200)
    q = d["X"].shape[1] + 1
    W = res.params.reshape(q, -1)
    return Ct @ W.T, res


@pytest.mark.parametrize("family", ["gaussian", "binomial", "poisson"])
def test_exact_solver_equals_statsmodels(family):
    d = make_vcm(n=600, p=3, m=2, family=family, seed=7)
    # columns on very different scales: the internal standardisation must not show
    d["C"][:, 1] *= 1e3
    d["X"][:, 0] += 50.0
    ref_theta, ref = reference_fit(d, family)
    res = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear").fit()
    assert res.solver == "exact" and res.converged
    theta = res.sample_params.to_numpy()
    scale = np.abs(ref_theta).max(axis=0)
    np.testing.assert_allclose(theta, ref_theta, rtol=1e-8, atol=1e-8 * scale.max())
    np.testing.assert_allclose(res.fittedvalues, ref.fittedvalues, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.llf, ref.llf, rtol=1e-8)


@pytest.mark.parametrize("family", ["gaussian", "binomial", "poisson"])
def test_lbfgs_reaches_the_exact_answer(family):
    d = make_vcm(n=600, p=3, m=2, family=family, seed=8)
    ref_theta, _ = reference_fit(d, family)
    res = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear").fit(solver="lbfgs", tol=1e-10)
    assert res.solver == "lbfgs" and res.converged
    np.testing.assert_allclose(res.sample_params.to_numpy(), ref_theta, atol=1e-5)


def test_weighted_exact_equals_wls():
    d = make_vcm(n=300, p=2, m=2, seed=9)
    w = np.random.default_rng(1).uniform(0.2, 3.0, size=300)
    Z, Ct = interaction_design(d["X"], d["C"])
    ref = sm.WLS(d["y"], Z, weights=w).fit()
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear", weights=w).fit()
    ref_theta = Ct @ ref.params.reshape(3, -1).T
    np.testing.assert_allclose(res.sample_params.to_numpy(), ref_theta, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(res.llf, ref.llf, rtol=1e-8)


def test_no_intercept_equals_ols_without_constant():
    d = make_vcm(n=300, p=2, m=2, seed=10)
    Xt = d["X"]
    Ct = np.column_stack([np.ones(300), d["C"]])
    Z = np.einsum("ik,il->ikl", Xt, Ct).reshape(300, -1)
    ref = sm.OLS(d["y"], Z).fit()
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear", fit_intercept=False).fit()
    np.testing.assert_allclose(res.sample_params.to_numpy(), Ct @ ref.params.reshape(2, -1).T, rtol=1e-8, atol=1e-9)
