"""Heteroskedastic contextualized regression (scale='context', ctxstats.location_scale):
against a direct maximum-likelihood fit of the same likelihood with scipy.optimize (and its
own analytic Hessian), against mgcv's gaulss (frozen numbers from
results/mgcv_gaulss_linear.R, re-run live through rpy2 where R is available), the
likelihood-ratio test against statsmodels' OLS, prediction-interval coverage, bad input and
save/load."""
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

import ctxstats as cs

RESULTS = Path(__file__).parent / "results"


def simulate(n, seed, hetero=True):
    rng = np.random.default_rng(seed)
    C = np.column_stack([rng.normal(size=n), rng.uniform(-1, 1, size=n)])
    x = rng.normal(size=n)
    log_sigma = -0.3 + 0.5 * C[:, 0] - 0.4 * C[:, 1] if hetero else np.full(n, -0.3)
    y = 1 + 0.5 * C[:, 0] + x * (0.8 - 0.6 * C[:, 1]) + np.exp(log_sigma) * rng.normal(size=n)
    return C, x[:, None], y, log_sigma


def design(C, X):
    """The mean's interaction design [1, c] (x) [1, x] in ctxstats' order and the scale's [1, c]."""
    B = np.column_stack([np.ones(len(C)), C])
    Xt = np.column_stack([np.ones(len(C)), X])
    Z = np.concatenate([Xt[:, [k]] * B for k in range(Xt.shape[1])], axis=1)
    return Z, B


def direct_mle(C, X, y):
    """Maximum likelihood of y ~ N(Z a, exp(B g)^2) by scipy.optimize (trust-region Newton with
    this function's own analytic gradient and Hessian), in the user's units."""
    Z, B = design(C, X)
    dm = Z.shape[1]

    def nll(t):
        a, g = t[:dm], t[dm:]
        r, z = y - Z @ a, B @ g
        return np.sum(0.5 * r ** 2 * np.exp(-2 * z) + z) + 0.5 * len(y) * np.log(2 * np.pi)

    def grad(t):
        a, g = t[:dm], t[dm:]
        r, e = y - Z @ a, np.exp(-2 * (B @ g))
        return np.concatenate([-Z.T @ (r * e), B.T @ (1 - r ** 2 * e)])

    def hess(t):
        a, g = t[:dm], t[dm:]
        r, e = y - Z @ a, np.exp(-2 * (B @ g))
        return np.block([[Z.T @ (Z * e[:, None]), Z.T @ (B * (2 * r * e)[:, None])],
                         [B.T @ (Z * (2 * r * e)[:, None]), B.T @ (B * (2 * r ** 2 * e)[:, None])]])

    a0 = np.linalg.lstsq(Z, y, rcond=None)[0]
    t0 = np.concatenate([a0, [np.log(np.std(y - Z @ a0))], np.zeros(B.shape[1] - 1)])
    opt = optimize.minimize(nll, t0, jac=grad, hess=hess, method="trust-exact", options={"gtol": 1e-9})
    t = opt.x
    for _ in range(10):  # polish with Newton steps (trust-exact stops near rounding with a warning status)
        if np.max(np.abs(grad(t))) < 1e-9:
            break
        t = t - np.linalg.solve(hess(t), grad(t))
    assert np.max(np.abs(grad(t))) < 1e-9, opt.message
    return t, np.linalg.inv(hess(t)), -nll(t), dm


def coefficients(res):
    """The linear encoder's coefficients in the user's units, read back from the per-sample
    parameters and log SDs (exactly linear in [1, c]): mean blocks then log sigma."""
    C = res.model.context
    B = np.column_stack([np.ones(len(C)), C])
    mean = np.linalg.lstsq(B, res.sample_params.to_numpy(), rcond=None)[0].T.ravel()
    scale = np.linalg.lstsq(B, np.log(res.sample_scale.to_numpy()), rcond=None)[0]
    return np.concatenate([mean, scale])


def test_linear_matches_a_direct_mle():
    C, X, y, _ = simulate(500, 1)
    res = cs.ContextualizedGLM(y, X, C, family="gaussian", encoder="linear", scale="context").fit()
    assert res.converged and res.cov_type == "nonrobust"
    theta, V, llf, dm = direct_mle(C, X, y)
    np.testing.assert_allclose(coefficients(res), theta, rtol=1e-7, atol=1e-8)
    assert res.llf == pytest.approx(llf, rel=1e-10)
    # average effects and their standard errors from the direct fit's inverse Hessian
    cbar = np.concatenate([[1.0], C.mean(axis=0)])
    L = np.zeros((2, dm))
    L[0, :3], L[1, 3:6] = cbar, cbar
    np.testing.assert_allclose(res.params.to_numpy(), L @ theta[:dm], rtol=1e-8)
    np.testing.assert_allclose(res.bse.to_numpy(), np.sqrt(np.diag(L @ V[:dm, :dm] @ L.T)), rtol=1e-6)
    ci = res.conf_int()
    np.testing.assert_allclose(ci.iloc[:, 1] - res.params, stats.norm.ppf(0.975) * res.bse, rtol=1e-10)
    assert res.sample_scale.shape == (500,) and (res.sample_scale > 0).all()
    # AIC counts the mean's six and the scale's three weights
    assert res.aic == pytest.approx(-2 * llf + 2 * 9, rel=1e-10)


def test_likelihood_ratio_test_against_statsmodels_ols():
    for hetero, seed in ((True, 2), (False, 3)):
        C, X, y, _ = simulate(800, seed, hetero)
        res = cs.ContextualizedGLM(y, X, C, encoder="linear", scale="context").fit()
        Z, _ = design(C, X)
        ols = sm.OLS(y, Z).fit()  # the constant-sigma fit of the same mean model
        t = res.scale_test()
        lr = t.loc["likelihood ratio"]
        assert lr["statistic"] == pytest.approx(2 * (res.llf - ols.llf), rel=1e-8, abs=1e-8)
        assert lr["df"] == 2
        assert lr["pvalue"] == pytest.approx(stats.chi2.sf(lr["statistic"], 2))
        if hetero:
            assert lr["pvalue"] < 1e-10 and t.loc["wald", "pvalue"] < 1e-10
        else:
            assert lr["pvalue"] > 0.01
    summary = str(res.summary())
    assert "sigma does not vary with context" in summary and "likelihood ratio" in summary


def gaulss_reference():
    data = pd.read_csv(RESULTS / "mgcv_gaulss_linear_data.csv")
    ref = pd.read_csv(RESULTS / "mgcv_gaulss_linear_results.csv", skipinitialspace=True).set_index("term")
    return data, ref


def test_linear_matches_mgcv_gaulss_frozen():
    """mgcv 1.8-41's gaulss(b = 0) on the same data and terms (results/mgcv_gaulss_linear.R)."""
    data, ref = gaulss_reference()
    res = cs.ContextualizedGLM(data["y"], data[["x"]], data[["c1", "c2"]], encoder="linear", scale="context").fit()
    terms = ["mu:1", "mu:c1", "mu:c2", "x:1", "x:c1", "x:c2", "logsigma:1", "logsigma:c1", "logsigma:c2"]
    np.testing.assert_allclose(coefficients(res), ref.loc[terms, "estimate"].to_numpy(), rtol=1e-5, atol=1e-6)
    assert res.llf == pytest.approx(ref.loc["loglik", "estimate"], rel=1e-8)
    np.testing.assert_allclose(res.params.to_numpy(), ref.loc[["avg:Intercept", "avg:x"], "estimate"], rtol=1e-6)
    np.testing.assert_allclose(res.bse.to_numpy(), ref.loc[["avg:Intercept", "avg:x"], "std_error"], rtol=1e-4)


@pytest.mark.against_r
def test_frozen_gaulss_numbers_are_what_mgcv_gives(tmp_path):
    if subprocess.run(["Rscript", "-e", "library(mgcv)"], capture_output=True).returncode != 0:
        pytest.skip("needs R with mgcv")
    subprocess.run(["Rscript", str(RESULTS / "mgcv_gaulss_linear.R"), str(tmp_path)], check=True, capture_output=True)
    data, ref = gaulss_reference()
    live = pd.read_csv(tmp_path / "mgcv_gaulss_linear_results.csv", skipinitialspace=True).set_index("term")
    np.testing.assert_allclose(pd.read_csv(tmp_path / "mgcv_gaulss_linear_data.csv").to_numpy(), data.to_numpy())
    np.testing.assert_allclose(live["estimate"], ref["estimate"], rtol=1e-8)


def test_prediction_intervals_use_sigma_of_context():
    C, X, y, log_sigma = simulate(4000, 4)
    Cn, Xn, yn, log_sigma_n = simulate(4000, 5)
    het = cs.ContextualizedGLM(y, X, C, encoder="linear", scale="context").fit()
    hom = cs.ContextualizedGLM(y, X, C, encoder="linear").fit()
    pi = het.get_prediction(exog=Xn, context=Cn).conf_int(obs=True)
    pi_h = hom.get_prediction(exog=Xn, context=Cn).conf_int(obs=True)
    cover = (pi[:, 0] <= yn) & (yn <= pi[:, 1])
    cover_h = (pi_h[:, 0] <= yn) & (yn <= pi_h[:, 1])
    noisy = log_sigma_n > np.quantile(log_sigma_n, 0.8)
    assert 0.93 <= cover.mean() <= 0.97 and 0.93 <= cover[noisy].mean() <= 0.97
    assert cover_h[noisy].mean() < 0.88  # one residual variance is too small where the noise is large
    # the interval is eta -+ z sqrt(se^2 + sigma(c)^2)
    frame = het.get_prediction(exog=Xn[:5], context=Cn[:5]).summary_frame()
    sigma = het.predict_scale(Cn[:5]).to_numpy()
    half = stats.norm.ppf(0.975) * np.sqrt(frame["mean_se"] ** 2 + sigma ** 2)
    np.testing.assert_allclose(frame["obs_ci_upper"] - frame["mean"], half, rtol=1e-10)
    np.testing.assert_allclose(np.log(het.sample_scale), log_sigma, atol=0.15)


def test_spline_recovers_a_smooth_log_sigma():
    rng = np.random.default_rng(6)
    n = 3000
    c = rng.uniform(-2, 2, size=n)
    x = rng.normal(size=n)
    ls = 0.6 * np.sin(1.5 * c) - 0.2
    y = np.cos(c) + x * (1 + 0.5 * c ** 2 / 2) + np.exp(ls) * rng.normal(size=n)
    res = cs.ContextualizedGLM(y, x[:, None], c[:, None], encoder="spline", n_knots=10, scale="context").fit()
    assert res.converged
    assert np.sqrt(np.mean((np.log(res.sample_scale) - ls) ** 2)) < 0.08
    t = res.scale_test()
    assert list(t.index) == ["wald"] and t.loc["wald", "pvalue"] < 1e-10
    assert np.isfinite(res.bse).all()


def test_bad_input_names_the_argument():
    C, X, y, _ = simulate(100, 7)
    with pytest.raises(ValueError, match="scale"):
        cs.ContextualizedGLM((y > 1).astype(float), X, C, family="binomial", encoder="linear", scale="context").fit()
    with pytest.raises(ValueError, match="scale"):
        cs.ContextualizedGLM(y, X, C, encoder="linear", scale="sometimes")
    with pytest.raises(ValueError, match="encoder"):
        cs.ContextualizedGLM(y, X, C, encoder="mlp", scale="context").fit()
    model = cs.ContextualizedGLM(y, X, C, encoder="linear", scale="context")
    with pytest.raises(ValueError, match="n_bootstraps"):
        model.fit(n_bootstraps=5)
    with pytest.raises(ValueError, match="cov_type"):
        model.fit(cov_type="HC1")
    with pytest.raises(ValueError, match="alpha"):
        model.fit(alpha=0.1)
    with pytest.raises(ValueError, match="constant scale"):
        cs.ContextualizedGLM(y, X, C, encoder="linear").fit().sample_scale
    res = model.fit()
    for call in (res.heterogeneity_test, res.context_effects, res.sample_conf_int, res.best_linear_projection):
        with pytest.raises(ValueError, match="not available for a scale='context' fit yet"):
            call()


@pytest.mark.parametrize("encoder", ["linear", "spline"])
def test_save_and_load(tmp_path, encoder):
    C, X, y, _ = simulate(300, 8)
    res = cs.ContextualizedGLM(y, X, C, encoder=encoder, scale="context").fit()
    path = tmp_path / "fit.ctxm"
    cs.save(res, path)
    back = cs.load(path)
    np.testing.assert_array_equal(back.sample_scale, res.sample_scale)
    np.testing.assert_array_equal(back.bse, res.bse)
    pd.testing.assert_frame_equal(back.scale_test(), res.scale_test())
    # crafted scale records are refused by the core: tests/cpp/test_location_scale.cpp


@pytest.mark.against_r
def test_r_and_python_give_the_same_fit():
    from rsupport import r_package

    ro = r_package()
    data, _ = gaulss_reference()
    res = cs.ContextualizedGLM(data["y"], data[["x"]], data[["c1", "c2"]], encoder="linear", scale="context").fit()
    ro.globalenv["d"] = ro.DataFrame({k: ro.FloatVector(data[k].to_numpy()) for k in ("c1", "c2", "x", "y")})
    ro.r("f <- ctx_glm(y ~ x | c1 + c2, data = d, encoder = 'linear', scale = 'context')")
    np.testing.assert_array_equal(np.array(ro.r("unname(sample_scale(f))")), res.sample_scale.to_numpy())
    np.testing.assert_array_equal(np.array(ro.r("unname(sqrt(diag(vcov(f))))")), res.bse.to_numpy())
    np.testing.assert_array_equal(np.array(ro.r("scale_test(f)$statistic")), res.scale_test()["statistic"].to_numpy())
