"""The inference objects of ctxstats.covariance: the registry, the choice made at fit time,
and each class's formulas checked against numpy on the results' own quantities."""
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ctxstats as cs
from ctxstats import _core, spline
from ctxstats.covariance import (
    HETEROGENEITY_TESTS,
    INFERENCE,
    AnalyticInference,
    AnalyticPrediction,
    BootstrapPrediction,
    BootstrapInference,
    NoInference,
    SplineVpInference,
    choose_inference,
    inference_spec,
    make_inference,
)
from ctxstats.results import ContextualizedGLMResults
from conftest import make_vcm


def linear(cov_type=None, n_bootstraps=0, family="gaussian"):
    d = make_vcm(n=150, family=family, seed=3)
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear")
    return model.fit(cov_type=cov_type, n_bootstraps=n_bootstraps, seed=1)


def spline_fit(**fit_options):
    rng = np.random.default_rng(4)
    C = rng.uniform(size=(200, 1))
    X = rng.normal(size=(200, 1))
    y = X[:, 0] * (1 + np.sin(3 * C[:, 0])) + 0.3 * rng.normal(size=200)
    return cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=6).fit(**fit_options)


# ---- the registry ---------------------------------------------------------------------------------
def test_registry_names_one_class_each():
    from ctxstats.location_scale import LocationScaleInference

    assert INFERENCE == {"analytic": AnalyticInference, "bootstrap": BootstrapInference,
                         "spline_vp": SplineVpInference, "none": NoInference,
                         "location_scale": LocationScaleInference}
    for name, cls in INFERENCE.items():
        assert cls.name == name and cls.__doc__  # each with its formulas in its docstring
    assert set(HETEROGENEITY_TESTS.values()) <= set(INFERENCE)
    assert make_inference("analytic", cov_type="HC2").cov_type == "HC2"
    assert isinstance(make_inference("none"), NoInference)
    with pytest.raises(ValueError, match="unknown inference 'sandwich'.*'analytic'"):
        make_inference("sandwich")
    with pytest.raises(ValueError, match="cov_type must be one of"):
        AnalyticInference("HC9")
    assert repr(AnalyticInference("HC1")) == "AnalyticInference(cov_type='HC1')"


@pytest.mark.parametrize("cov_type,spline_report,name,config", [
    ("nonrobust", None, "analytic", {"cov_type": "nonrobust"}),
    ("HC3", None, "analytic", {"cov_type": "HC3"}),
    ("bootstrap", None, "bootstrap", {}),
    ("bootstrap", {"smoothing": {}}, "bootstrap", {}),
    (None, {"smoothing": {}}, "spline_vp", {}),
    (None, {"knots": []}, "none", {}),  # a spline fitted by a gradient solver: no Vp
    (None, None, "none", {}),
])
def test_inference_spec(cov_type, spline_report, name, config):
    assert inference_spec(cov_type, spline_report) == (name, config)
    inf = choose_inference(cov_type, spline_report)
    assert type(inf) is INFERENCE[name] and inf.config == config and inf.cov_type == cov_type


def test_inference_spec_refuses_unresolved_cov_types():
    with pytest.raises(ValueError, match="cov_type must be None, 'bootstrap' or one of"):
        inference_spec("hc1")


# ---- chosen once, at fit time ----------------------------------------------------------------------
def test_fit_chooses_the_inference_once():
    d = make_vcm(n=120)
    assert isinstance(linear().inference, AnalyticInference) and linear().cov_type == "nonrobust"
    assert linear("HC1").inference.config == {"cov_type": "HC1"}
    boot = linear("bootstrap", n_bootstraps=5)
    assert isinstance(boot.inference, BootstrapInference) and boot.cov_type == "bootstrap"
    with pytest.warns(cs.ConvergenceWarning, match="L-BFGS reached max_iter=5"):
        mlp = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=3).fit(max_iter=5)
    assert isinstance(mlp.inference, NoInference) and mlp.cov_type is None
    sp = spline_fit()
    assert isinstance(sp.inference, SplineVpInference) and sp.cov_type is None
    assert "smoothing" in sp.spline_fit  # from the constructor, not set from outside
    assert isinstance(spline_fit(n_bootstraps=3).inference, BootstrapInference)


def test_results_take_everything_through_the_constructor():
    d = make_vcm(n=100)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    opts = model._options(solver="auto", seed=0)  # what fit() sends: the table's defaults filled in
    out = _core.fit(model.context, model.exog, model.endog, model.weights, opts, None, None)
    default = ContextualizedGLMResults(model, out, opts)  # the inference the fit allows
    assert isinstance(default.inference, AnalyticInference) and default.cov_type == "nonrobust"
    assert default.spline_fit is None and default.n_bootstraps == 0
    hc = ContextualizedGLMResults(model, out, opts, inference=AnalyticInference("HC3"))
    np.testing.assert_array_equal(hc.bse, model.fit(cov_type="HC3").bse)


def test_derived_values_are_cached_and_saved_empty(tmp_path):
    res = linear()
    assert res.bse is res.bse and res.cov_params() is res.cov_params()
    res.save(tmp_path / "fit")
    back = cs.load(tmp_path / "fit")
    assert type(back.inference) is AnalyticInference and back.inference._cache == {} and back._cache == {}
    np.testing.assert_array_equal(back.bse, res.bse)
    again = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(again.pvalues, res.pvalues)


# ---- each class's formulas ---------------------------------------------------------------------------
@pytest.mark.parametrize("family,cov_type", [("gaussian", "nonrobust"), ("binomial", "HC1")])
def test_analytic_inference(family, cov_type):
    res = linear(cov_type, family=family)
    inf = res.inference
    lc = inf.covariance(res)
    q, m = len(res.param_names), res.model.context.shape[1]
    L = np.kron(np.eye(q), np.concatenate([[1.0], res.model.context.mean(axis=0)]))
    np.testing.assert_allclose(res.cov_params(), L @ lc.cov @ L.T, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res.bse, np.sqrt(np.diag(L @ lc.cov @ L.T)), rtol=1e-10)
    dist = stats.t(lc.df_resid) if family == "gaussian" else stats.norm()
    assert res.use_t == (family == "gaussian") and res.df_resid == lc.df_resid
    np.testing.assert_allclose(res.pvalues, 2 * dist.sf(np.abs(res.params / res.bse)), rtol=1e-10)
    ci = res.conf_int(0.1)
    np.testing.assert_allclose(ci[1] - res.params, dist.ppf(0.95) * res.bse, rtol=1e-10)
    assert np.array_equal(res.interaction_cov_params().to_numpy(), lc.cov)
    ce = res.context_effects()
    sel = [k * (m + 1) + l + 1 for k in range(q) for l in range(m)]
    np.testing.assert_allclose(ce["std err"], np.sqrt(np.diag(lc.cov)[sel]), rtol=1e-12)
    het = res.heterogeneity_test()
    assert het.attrs["method"] == "wald" and het.attrs["cov_type"] == cov_type
    assert inf.summary_note(res) is None and inf.caption(res).startswith(f"analytic, cov_type={cov_type}")


def test_bootstrap_inference():
    res = linear("bootstrap", n_bootstraps=30)
    inf = res.inference
    means = res.bootstrap_params.to_numpy()
    # replicate b's average effect is the mean of its per-sample parameters
    theta_b = np.stack([_core.predict_theta(res.options, res.scaling, w, res.model.context)
                        for w in res.bootstrap_weights])
    np.testing.assert_allclose(means, theta_b.mean(axis=1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.bse, means.std(axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(res.cov_params(), np.cov(means, rowvar=False), rtol=1e-10)
    lo, hi = np.quantile(means, [0.05, 0.95], axis=0)
    ci = res.conf_int(0.1)
    assert np.array_equal(ci[0], lo) and np.array_equal(ci[1], hi)
    far = np.minimum((means <= 0).sum(axis=0), (means >= 0).sum(axis=0))
    np.testing.assert_array_equal(res.pvalues, np.minimum(1.0, 2 * (1 + far) / 31))
    assert list(res.params_table().columns) == ["coef", "std err", "P>|b|", "[0.025", "0.975]"]
    inter = inf.interactions(res)
    np.testing.assert_allclose(res.interaction_cov_params(), np.cov(inter, rowvar=False), rtol=1e-10)
    assert res.heterogeneity_test().attrs["method"] == "bootstrap"
    assert "B=30" in inf.caption(res) and inf.summary_note(res) is None
    # an analytic fit with replicates runs the bootstrap statistics on request, not by default
    analytic = linear("nonrobust", n_bootstraps=30)
    assert isinstance(analytic.inference, AnalyticInference)
    np.testing.assert_array_equal(analytic.heterogeneity_test(method="bootstrap")["pvalue"],
                                  res.heterogeneity_test()["pvalue"])
    np.testing.assert_array_equal(analytic.interaction_cov_params("bootstrap"), res.interaction_cov_params())


def test_bootstrap_inference_needs_replicates():
    res = linear()
    with pytest.raises(ValueError, match="bootstrap heterogeneity test needs bootstrap replicates.*n_bootstraps"):
        BootstrapInference().heterogeneity_test(res, "coefficient")
    with pytest.raises(ValueError, match="sign_flip_share needs bootstrap replicates"):
        res.sign_flip_share


def test_spline_vp_inference():
    res = spline_fit()
    inf = res.inference
    lo, hi = res.sample_conf_int(0.1)
    ref_lo, ref_hi = spline.sample_conf_int(res, None, 0.1)
    assert lo.equals(ref_lo) and hi.equals(ref_hi)
    het = res.heterogeneity_test()
    tab = spline.heterogeneity_tests(res)
    np.testing.assert_array_equal(het["pvalue"], tab["p_value"])
    assert het.attrs == {"method": "smooth", "distribution": "F"}
    # average effects: L Vp L' (checked against mgcv in test_spline_vs_mgcv), t on n - edf
    est, cov = spline.average_effects(res)
    np.testing.assert_allclose(est, res.params.to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(res.bse.to_numpy(), np.sqrt(np.diag(cov)))
    assert res.use_t and res.cov_type is None
    crit = stats.t.ppf(0.95, spline._tests(res)["df_resid"])
    np.testing.assert_allclose(res.conf_int(0.1)[0], res.params - crit * res.bse, rtol=1e-12)
    # predictions: se of eta sqrt(z' Vp z) (checked against mgcv in test_spline_vs_mgcv), t on n - edf
    pred = res.get_prediction()
    assert pred.use_t and pred.df_resid == spline._tests(res)["df_resid"] and np.all(pred.se_linpred > 0)
    assert "Vp" in inf.summary_note(res) and "Bayesian covariance Vp (mgcv), t" in str(res.summary())
    with pytest.raises(ValueError, match="encoder='spline' by the exact solver"):
        SplineVpInference().heterogeneity_test(linear(), "coefficient")


def test_no_inference_raises_everywhere():
    d = make_vcm(n=100)
    with pytest.warns(cs.ConvergenceWarning, match="L-BFGS reached max_iter=5"):
        res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=3).fit(max_iter=5)
    calls = [lambda: res.bse, lambda: res.pvalues, lambda: res.tvalues, lambda: res.cov_params(),
             lambda: res.conf_int(), lambda: res.sample_conf_int(), lambda: res.get_prediction(),
             lambda: res.params_table()]
    for call in calls:
        with pytest.raises(ValueError, match="no standard errors.*n_bootstraps=B"):
            call()
    with pytest.raises(ValueError, match="bootstrap heterogeneity test needs bootstrap replicates"):
        res.heterogeneity_test()
    penalised = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear").fit(alpha=0.1)
    assert isinstance(penalised.inference, NoInference)
    with pytest.raises(ValueError, match="Wald heterogeneity test needs an analytic cov_type"):
        penalised.heterogeneity_test(method="wald")
    assert "refit with n_bootstraps=B" in res.inference.summary_note(res)
    assert "No standard errors" in str(res.summary())


# ---- predictions ----------------------------------------------------------------------------------
def test_analytic_prediction():
    eta, se = np.array([-1.0, 0.0, 2.0]), np.array([0.1, 0.2, 0.3])
    p = AnalyticPrediction(eta, None, "binomial", se, use_t=False, df_resid=50.0, scale=None)
    mu = 1 / (1 + np.exp(-eta))
    np.testing.assert_allclose(p.predicted_mean, mu, rtol=1e-15)
    np.testing.assert_allclose(p.se_mean, se * mu * (1 - mu), rtol=1e-15)  # delta method
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(p.conf_int(0.1), 1 / (1 + np.exp(-np.column_stack([eta - z * se, eta + z * se]))))
    assert list(p.summary_frame().columns) == ["mean", "mean_se", "mean_ci_lower", "mean_ci_upper"]
    with pytest.raises(ValueError, match="analytic gaussian fits only"):
        p.conf_int(obs=True)
    g = AnalyticPrediction(eta, None, "gaussian", se, use_t=True, df_resid=10.0, scale=4.0)
    t = stats.t(10.0).ppf(0.975)
    np.testing.assert_allclose(g.conf_int(obs=True)[:, 1], eta + t * np.sqrt(se ** 2 + 4.0))
    assert "obs_ci_upper" in g.summary_frame()


def test_bootstrap_prediction():
    rng = np.random.default_rng(0)
    reps = rng.normal(size=(40, 3)) + np.array([0.0, 1.0, 5.0])
    p = BootstrapPrediction(np.zeros(3), pd.Index(list("abc")), "gaussian", reps)
    np.testing.assert_allclose(p.se_mean, reps.std(axis=0, ddof=1), rtol=1e-12)
    assert np.array_equal(p.conf_int(0.2), np.quantile(reps, [0.1, 0.9], axis=0).T)
    assert list(p.summary_frame().index) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="analytic gaussian fits only"):
        p.conf_int(obs=True)


def test_get_prediction_comes_from_the_fits_inference():
    assert isinstance(linear().get_prediction(), AnalyticPrediction)
    assert isinstance(linear("bootstrap", n_bootstraps=5).get_prediction(), BootstrapPrediction)
