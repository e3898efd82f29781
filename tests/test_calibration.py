"""ctxstats.calibration_test: grf's test_calibration on cross-fitted per-sample parameters.

The regression numbers are checked against statsmodels on the same constructed regressors
(WLS with HC0-HC3 and nonrobust covariances for gaussian, GLM with an offset for binomial and
poisson); calibrated simulations check that the differential coefficient is near 1 when the
heterogeneity is real and not significant when there is none; R's calibration_test gives the
same numbers (live through rpy2)."""
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import ctxstats as cs
from ctxstats import _core
from conftest import make_vcm


def regressors(model, held, k):
    """The calibration regression's offset, mean and differential regressors, built here."""
    X1 = np.column_stack([np.ones(len(model.endog)), model.exog])
    w = np.ones(len(model.endog)) if model.weights is None else np.asarray(model.weights)
    theta = np.asarray(held)
    bar = np.sum(w * theta[:, k]) / np.sum(w)
    eta = np.sum(X1 * theta, axis=1)
    # the predictor residualised on [1, C] by weighted least squares (the intercept's is 1)
    xt = X1[:, k] if k == 0 else sm.WLS(X1[:, k], sm.add_constant(model.context), weights=w).fit().resid
    offset = eta - xt * theta[:, k]
    return offset, np.column_stack([xt * bar, xt * (theta[:, k] - bar)]), w


@pytest.mark.parametrize("cov_type", ["HC3", "HC0", "HC1", "HC2", "nonrobust"])
def test_gaussian_equals_statsmodels_wls(cov_type):
    d = make_vcm(n=300, p=2, m=2, seed=4, nonlinear=True)
    w = np.random.default_rng(1).uniform(0.5, 2.0, 300)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=6, weights=w)
    cal = cs.calibration_test(model, folds=4, seed=2, cov_type=cov_type)
    assert cal.cov_type == cov_type and cal.use_t and cal.df_resid == 298
    for k, name in enumerate(model.param_names):
        offset, Z, w = regressors(model, cal.held_out_params, k)
        ref = sm.WLS(d["y"] - offset, Z, weights=w).fit(cov_type=cov_type)
        row = cal.table.loc[name]
        np.testing.assert_allclose(row["coef"], ref.params, rtol=1e-10)
        np.testing.assert_allclose(row["std err"], ref.bse, rtol=1e-9)
        # grf's one-sided p-values: P(T > t) on n - 2 df
        from scipy import stats
        np.testing.assert_allclose(row["P>t"], stats.t.sf(ref.tvalues, 298), rtol=1e-8, atol=1e-300)
        np.testing.assert_allclose(cal.mean_effect[name], np.average(cal.held_out_params[name], weights=w),
                                   rtol=1e-12)


@pytest.mark.parametrize("family,sm_family", [("binomial", sm.families.Binomial()),
                                               ("poisson", sm.families.Poisson())])
def test_glm_equals_statsmodels_glm_with_offset(family, sm_family):
    d = make_vcm(n=400, p=2, m=2, family=family, seed=5)
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear")
    for cov_type in ("nonrobust", "HC0"):
        cal = cs.calibration_test(model, folds=5, seed=1, cov_type=cov_type)
        assert not cal.use_t and "P>z" in cal.table.columns
        for k, name in enumerate(model.param_names):
            offset, Z, _ = regressors(model, cal.held_out_params, k)
            ref = sm.GLM(d["y"], Z, family=sm_family, offset=offset).fit(tol=1e-13, cov_type=cov_type)
            row = cal.table.loc[name]
            np.testing.assert_allclose(row["coef"], ref.params, rtol=1e-8)
            np.testing.assert_allclose(row["std err"], ref.bse, rtol=1e-7)


def test_results_method_and_held_out_parameters_are_the_cross_validations():
    d = make_vcm(n=200, p=1, m=2, seed=6)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    res = model.fit()
    a, b = res.calibration_test(folds=3, seed=9), cs.calibration_test(model, folds=3, seed=9)
    pd.testing.assert_frame_equal(a.table, b.table)
    cv = cs.cross_validate(model, folds=3, seed=9)
    assert np.array_equal(a.fold_of_row, cv.fold_of_row)
    # every row's held-out parameters are the fit without its fold's, predicting its context
    for k in range(3):
        train = cv.fold_of_row != k
        fk = cs.ContextualizedRegression(d["y"][train], d["X"][train], d["C"][train], encoder="linear").fit(seed=9)
        np.testing.assert_allclose(a.held_out_params.to_numpy()[~train], fk.predict_params(d["C"][~train]),
                                   rtol=1e-10, atol=1e-12)
    assert "Calibration test" in repr(a) and list(a.differential.index) == ["Intercept", "x1"]


def simulate(n, seed, slope_varies):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 2))
    X = rng.normal(size=(n, 1))
    beta = 1.0 + (0.8 * C[:, 0] if slope_varies else 0.0)
    y = 0.5 + X[:, 0] * beta + rng.normal(size=n)
    return y, X, C


@pytest.mark.parametrize("encoder,options", [("linear", {}), ("spline", {"n_knots": 6})])
def test_real_heterogeneity_is_calibrated(encoder, options):
    y, X, C = simulate(2000, 11, True)
    cal = cs.calibration_test(cs.ContextualizedRegression(y, X, C, encoder=encoder, **options), folds=5)
    row = cal.table.loc[("x1", "differential")]
    assert abs(row["coef"] - 1.0) < 0.1, row
    assert row["P>t"] < 1e-10
    assert abs(cal.table.loc[("x1", "mean"), "coef"] - 1.0) < 0.05


def test_no_heterogeneity_is_not_significant():
    # 40 data sets without heterogeneity: the one-sided 5% test of the slope's differential
    # term rejects no more often than it should (Binomial(40, 0.05): P(>= 7) < 0.01). Like
    # grf's, the test is conservative under the null: cross-fitted slope noise comes with the
    # opposite error in the held-out intercept, so b leans below 0 and p-values above 1/2.
    pvals = []
    for seed in range(40):
        y, X, C = simulate(300, 100 + seed, False)
        cal = cs.calibration_test(cs.ContextualizedRegression(y, X, C, encoder="linear"), folds=5, seed=seed)
        pvals.append(cal.table.loc[("x1", "differential"), "P>t"])
    pvals = np.asarray(pvals)
    assert np.sum(pvals < 0.05) <= 6, np.sort(pvals)[:8]
    assert np.mean(pvals) > 0.4         # not anti-conservative


def test_bad_arguments_are_named():
    d = make_vcm(n=60, p=1, m=1, seed=1)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    with pytest.raises(ValueError, match="folds"):
        cs.calibration_test(model, folds=1)
    with pytest.raises(ValueError, match="cov_type"):
        cs.calibration_test(model, cov_type="cluster")
    with pytest.raises(ValueError, match="cov_type"):
        cs.calibration_test(model, cov_type="HC9")
    with pytest.raises(TypeError, match="cov_type"):
        cs.calibration_test(model, cov_type=3)
    with pytest.raises(TypeError, match="n_bootstraps"):
        cs.calibration_test(model, n_bootstraps=3)
    with pytest.raises(TypeError, match="ContextualizedGLM"):
        cs.calibration_test("model")
    counts = np.random.default_rng(0).poisson(2.0, 60).astype(float)
    nb = cs.ContextualizedGLM(counts, d["X"], d["C"], family="negativebinomial", encoder="linear")
    with pytest.raises(ValueError, match="negative binomial"):
        cs.calibration_test(nb)
    with pytest.raises(ValueError, match="theta"):
        _core.calibration_regression("gaussian", False, d["y"], d["X"], d["C"], True, np.zeros((60, 3)))


def test_a_constant_parameter_is_flagged_not_an_error():
    d = make_vcm(n=80, p=1, m=1, seed=2)
    theta = np.column_stack([np.full(80, 0.3), 1.0 + d["C"][:, 0]])
    out = _core.calibration_regression("gaussian", False, d["y"], d["X"], d["C"], True, theta)
    assert list(out["identified"]) == [0, 1]
    assert np.all(np.isnan(out["coef"][0])) and np.all(np.isfinite(out["coef"][1]))


@pytest.mark.against_r
@pytest.mark.parametrize("family,encoder", [("gaussian", "linear"), ("binomial", "spline")])
def test_r_calibration_test_equals_python(family, encoder):
    from rsupport import as_array, r_frame, r_package, vcm_frame

    ro = r_package()
    df = vcm_frame(n=240, family=family, seed=8)
    ro.globalenv["d"] = r_frame(df)
    ro.r(f'ct <- calibration_test(ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, family = "{family}", '
             f'encoder = "{encoder}"), folds = 4, seed = 5)')
    model = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], family=family, encoder=encoder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        py = cs.calibration_test(model, folds=4, seed=5)
    assert np.array_equal(as_array(ro.r("ct$table$Estimate")), py.table["coef"].to_numpy())
    assert np.array_equal(as_array(ro.r("ct$table[['Std. Error']]")), py.table["std err"].to_numpy())
    p_col = "P>t" if family == "gaussian" else "P>z"
    r_col = "Pr(>t)" if family == "gaussian" else "Pr(>z)"
    np.testing.assert_allclose(as_array(ro.r(f"ct$table[['{r_col}']]")), py.table[p_col], rtol=1e-12, atol=1e-300)
    assert list(ro.r("rownames(ct$table)"))[:2] == ["Intercept:mean", "Intercept:differential"]
