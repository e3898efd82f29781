"""The core's inference (csrc/inference/) against the independent numpy formulas of
tests/oracles/inference_numpy.py: interaction coefficients, analytic covariances (every
cov_type, weighted or not, with and without an intercept), Wald heterogeneity tests,
average-effect covariances, per-sample and prediction standard errors, and the bootstrap
summaries (standard errors, percentile limits and p-values, the heterogeneity test, sign
flips); results do not depend on the thread count; bad input is a ValueError naming it."""
import numpy as np
import pytest

import ctxstats as cs
from conftest import make_vcm, short_bootstraps, short_fits
from ctxstats import _core
from oracles import inference_numpy as ref

COV_TYPES = ["nonrobust", "HC0", "HC1", "HC2", "HC3"]


def close(a, b, rtol=1e-9):
    a, b = np.asarray(a, float), np.asarray(b, float)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * max(np.abs(b).max(), 1e-300))


def linear_fit(family="gaussian", intercept=True, weighted=False, n=300, seed=3):
    d = make_vcm(n=n, p=2, m=2, family=family, seed=seed)
    d["C"][:, 1] = d["C"][:, 1] * 20 + 4
    w = np.random.default_rng(seed).uniform(0.5, 2.0, size=n) if weighted else None
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear", weights=w,
                                 fit_intercept=intercept)
    return model.fit(), d, w


@pytest.mark.parametrize("family", ["gaussian", "binomial", "poisson"])
@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_linear_covariances_equal_the_numpy_oracle(family, intercept, weighted):
    res, d, w = linear_fit(family, intercept, weighted)
    q, m = len(res.param_names), 2
    U = _core.interaction_coefficients(res.scaling, m, res.weights)
    close(U, ref.interaction_coefficients(res.weights, res.scaling, m, q), 1e-12)
    b = U.ravel()
    for cov_type in COV_TYPES:
        core = _core.linear_covariance(d["C"], d["X"], d["y"], w, family, intercept, b, cov_type, 0)
        want = ref.linear_covariance(d["X"], d["C"], d["y"], w, family, intercept, b, cov_type)
        close(core["cov"], want["cov"], 1e-8)
        assert core["rank"] == want["rank"] and core["df_resid"] == want["df_resid"]
        assert core["use_t"] == want["use_t"] and core["use_f"] == want["use_f"]
        close(core["scale"], want["scale"], 1e-10)
        # average effects: L V L'
        L = ref.average_effect_matrix(d["C"], q)
        close(_core.average_effect_covariance(core["cov"], d["C"], q), L @ want["cov"] @ L.T, 1e-8)
        # Wald heterogeneity tests, by coefficient and by context
        D = q * (m + 1)
        for by, Rs in (("coefficient", [np.eye(D)[[k * (m + 1) + l + 1 for l in range(m)]] for k in range(q)]),
                       ("context", [np.eye(D)[[k * (m + 1) + l + 1 for k in range(q)]] for l in range(m)])):
            tab = _core.heterogeneity_wald(b, core["cov"], q, m, by, core["use_f"], core["df_resid"])
            want_tab = ref.wald_table(b, want["cov"], Rs, want["use_f"], want["df_resid"])
            close(tab[:, 0], want_tab[:, 0], 1e-7)
            assert np.array_equal(tab[:, 1], want_tab[:, 1])
            np.testing.assert_array_equal(tab[:, 2], want_tab[:, 2])  # df_denom, NaN for chi-squared


def test_standard_errors_of_samples_and_predictions():
    res, d, _ = linear_fit("binomial")
    lc = res.inference.covariance(res)
    q, m1 = len(res.param_names), 3
    Ct = np.column_stack([np.ones(len(d["C"])), d["C"]])
    want = np.column_stack([np.sqrt(np.einsum("ij,ij->i", Ct @ lc.cov[k * m1:(k + 1) * m1, k * m1:(k + 1) * m1], Ct))
                            for k in range(q)])
    close(_core.sample_param_se(lc.cov, d["C"], q), want, 1e-10)
    Z = np.concatenate([Z for _, Z in ref.design_blocks(d["X"], d["C"], True)])
    close(_core.linear_predictor_se(lc.cov, d["X"], d["C"], True), np.sqrt(np.einsum("ij,ij->i", Z @ lc.cov, Z)),
          1e-10)


@pytest.mark.parametrize("alpha", [0.05, 0.2, 0.5])
def test_percentile_summary_equals_numpy(alpha):
    rng = np.random.default_rng(0)
    S = rng.normal(size=(37, 5)) + np.array([0.0, 0.5, 3.0, -0.2, 0.0])
    S[:, 4] = 0.0  # ties at the null
    ps = _core.percentile_summary(S, alpha)
    lo, hi = ref.percentile_interval(S, alpha)
    assert np.array_equal(ps["lower"], lo) and np.array_equal(ps["upper"], hi)  # numpy's quantile, to the bit
    close(ps["se"][:4], S[:, :4].std(axis=0, ddof=1), 1e-12)
    assert ps["se"][4] == 0.0
    assert np.array_equal(ps["pvalue"], ref.percentile_pvalue(S))
    assert ps["pvalue_floor"] == 2 / 38
    close(_core.replicate_covariance(S[:, :4]), np.cov(S[:, :4], rowvar=False), 1e-12)


@short_fits  # 30 iterations and replicates from them: the pass's arithmetic is the point
@short_bootstraps
def test_bootstrap_pass_equals_the_oracle():
    d = make_vcm(n=700, p=2, m=2, seed=5)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4, depth=1)
    res = model.fit(max_iter=30, n_bootstraps=9, seed=1, cov_type="bootstrap")
    thetas = np.stack([_core.predict_theta(res.options, res.scaling, w, d["C"]) for w in res.bootstrap_weights])
    theta = res.sample_params.to_numpy()
    bp = _core.bootstrap_pass(res.options, res.scaling, res.bootstrap_weights, d["C"], theta)
    close(bp["means"], thetas.mean(axis=1), 1e-12)
    assert np.array_equal(bp["sign_flip_share"], ref.sign_flip_share(theta, thetas))
    het = ref.bootstrap_heterogeneity(theta, [(0, thetas)], thetas.mean(axis=1))
    close(bp["het_statistic"], het[:, 0], 1e-10)
    assert np.array_equal(bp["het_pvalue"], het[:, 3])
    lo, hi = _core.bootstrap_sample_limits(res.options, res.scaling, res.bootstrap_weights, d["C"], 0.1)
    assert np.array_equal(lo, np.quantile(thetas, 0.05, axis=0))
    assert np.array_equal(hi, np.quantile(thetas, 0.95, axis=0))
    # the same numbers for any thread count
    for t in (1, 3):
        opts = dict(res.options, threads=t)
        again = _core.bootstrap_pass(opts, res.scaling, res.bootstrap_weights, d["C"], theta)
        assert all(np.array_equal(again[k], bp[k], equal_nan=True) for k in bp)


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_linear_covariance_is_identical_for_any_thread_count(cov_type):
    d = make_vcm(n=3000, p=2, m=3, family="poisson", seed=2)
    res = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family="poisson", encoder="linear").fit()
    b = _core.interaction_coefficients(res.scaling, 3, res.weights).ravel()
    covs = [_core.linear_covariance(d["C"], d["X"], d["y"], None, "poisson", True, b, cov_type, t)["cov"]
            for t in (1, 2, 3)]
    assert np.array_equal(covs[0], covs[1]) and np.array_equal(covs[0], covs[2])


def test_bad_input_names_the_argument():
    d = make_vcm(n=50, seed=1)
    b = np.zeros(9)
    with pytest.raises(ValueError, match="cov_type"):
        _core.linear_covariance(d["C"], d["X"], d["y"], None, "gaussian", True, b, "HC9", 0)
    with pytest.raises(ValueError, match="params"):
        _core.linear_covariance(d["C"], d["X"], d["y"], None, "gaussian", True, np.zeros(4), "HC0", 0)
    X = d["X"].copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="exog"):
        _core.linear_covariance(d["C"], X, d["y"], None, "gaussian", True, b, "HC0", 0)
    with pytest.raises(ValueError, match="alpha"):
        _core.percentile_summary(np.zeros((5, 2)), 1.5)
    with pytest.raises(ValueError, match="samples"):
        _core.percentile_summary(np.zeros(5), 0.05)
    with pytest.raises(ValueError, match="by"):
        _core.heterogeneity_wald(b, np.eye(9), 3, 2, "row", False, 10.0)
    with pytest.raises(ValueError, match="cov"):
        _core.average_effect_covariance(np.eye(4), d["C"], 3)
