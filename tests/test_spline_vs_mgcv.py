"""The spline encoder against R's mgcv on one-context varying-coefficient data.

The model y = f0(c) + x1 f1(c) + x2 f2(c) + noise is mgcv's
    gam(y ~ s(c) + s(c, by = x1) + s(c, by = x2), method = "REML").
With mgcv's P-spline basis on the knots ctxstats placed (bs = "ps") the two models are the
same model (same basis span, same second-difference penalties, same REML criterion), so the
fits agree to optimisation precision; with mgcv's default thin-plate basis they are different
smoothers of the same data and agree within mgcv's own standard errors.
"""
import numpy as np
import pytest

import ctxstats as cs

pytestmark = pytest.mark.against_r


def one_context_data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=n)
    X = rng.normal(size=(n, 2))
    X -= X.mean(axis=0)  # centred exog: ctxstats' internal standardisation then leaves the penalties as mgcv's
    f0 = 0.5 * np.sin(2 * c)
    f1 = 1.0 + 0.5 * c
    f2 = np.cos(1.5 * c) - 0.3 * c ** 2
    y = f0 + X[:, 0] * f1 + X[:, 1] * f2 + 0.5 * rng.normal(size=n)
    return c, X, y, np.column_stack([f0, f1, f2])


@pytest.fixture(scope="module")
def r():
    ro = pytest.importorskip("rpy2.robjects")
    try:
        ro.r("suppressMessages(library(mgcv))")
    except Exception:  # mgcv missing
        pytest.skip("needs the R package mgcv")
    return ro


def mgcv_fit(ro, c, X, y, formula, knots=None):
    ro.globalenv["d"] = ro.DataFrame({"c": ro.FloatVector(c), "x1": ro.FloatVector(X[:, 0]),
                                      "x2": ro.FloatVector(X[:, 1]), "y": ro.FloatVector(y)})
    if knots is not None:
        ro.globalenv["kn"] = ro.FloatVector(knots)
        ro.r(f"fit <- gam({formula}, data = d, method = 'REML', knots = list(c = kn))")
    else:
        ro.r(f"fit <- gam({formula}, data = d, method = 'REML')")
    # Coefficient functions theta_k(c) = predictions at (x1, x2) = e_k minus at 0, with SEs from
    # the linear-predictor matrix and Vp.
    ro.r("""
        nd0 <- data.frame(c = d$c, x1 = 0, x2 = 0)
        X0 <- predict(fit, nd0, type = 'lpmatrix')
        out <- list(); ses <- list(); avg <- list()
        for (k in 0:2) {
          nd <- nd0; if (k == 1) nd$x1 <- 1; if (k == 2) nd$x2 <- 1
          Xk <- if (k == 0) X0 else predict(fit, nd, type = 'lpmatrix') - X0
          out[[k + 1]] <- drop(Xk %*% coef(fit))
          ses[[k + 1]] <- sqrt(rowSums((Xk %*% fit$Vp) * Xk))
          avg[[k + 1]] <- colMeans(Xk)
        }
        theta <- do.call(cbind, out); se <- do.call(cbind, ses)
        A <- do.call(rbind, avg)   # average effects: A beta, covariance A Vp A'
        avg_est <- drop(A %*% coef(fit)); avg_se <- sqrt(diag(A %*% fit$Vp %*% t(A)))
    """)
    return np.array(ro.r("theta")), np.array(ro.r("se")), np.array(ro.r("fit$edf")), ro


def test_same_model_as_mgcv_pspline_reml(r):
    c, X, y, _ = one_context_data()
    res = cs.ContextualizedRegression(y, X, c[:, None], encoder="spline", n_knots=10).fit()
    sc = res.scaling
    knots = np.asarray(res.options["knots"]) * sc["c_scale"][0] + sc["c_mean"][0]
    formula = "y ~ s(c, bs = 'ps', k = 10) + s(c, by = x1, bs = 'ps', k = 10) + s(c, by = x2, bs = 'ps', k = 10)"
    theta_r, se_r, edf_r, ro = mgcv_fit(r, c, X, y, formula, knots)
    theta = res.sample_params.to_numpy()
    # Same fit to REML-optimisation precision: differences far below the standard errors.
    assert np.max(np.abs(theta - theta_r) / se_r) < 5e-3
    # The same effective degrees of freedom per smooth (mgcv lists them per coefficient).
    sm = res.spline_fit["smoothing"]
    ours = np.array([sm["edf"][0, 1], sm["edf"][1].sum(), sm["edf"][2].sum()])
    theirs = np.array([edf_r[1:10].sum(), edf_r[10:20].sum(), edf_r[20:30].sum()])
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)
    # And the same Bayesian standard errors.
    from ctxstats import spline
    se = spline.sample_params_se(res).to_numpy()
    np.testing.assert_allclose(se, se_r, rtol=1e-3)
    # The average effects (each coefficient's mean over the samples) with Vp standard errors,
    # as mgcv gives that linear combination of its coefficients; and mgcv's deviance explained.
    avg_r, avg_se_r = np.array(ro.r("avg_est")), np.array(ro.r("avg_se"))
    assert np.max(np.abs(res.params.to_numpy() - avg_r) / avg_se_r) < 5e-3
    np.testing.assert_allclose(res.bse.to_numpy(), avg_se_r, rtol=1e-3)
    np.testing.assert_allclose(res.deviance_explained, float(ro.r("summary(fit)$dev.expl")[0]), rtol=1e-6)
    # Predictions at new rows with mgcv's predict.gam(se.fit = TRUE) standard errors.
    rng = np.random.default_rng(5)
    c_new, X_new = rng.uniform(c.min(), c.max(), 50), rng.normal(size=(50, 2))
    ro.globalenv["nd"] = ro.DataFrame({"c": ro.FloatVector(c_new), "x1": ro.FloatVector(X_new[:, 0]),
                                       "x2": ro.FloatVector(X_new[:, 1])})
    ro.r("pr <- predict(fit, nd, se.fit = TRUE)")
    pred = res.get_prediction(X_new, c_new[:, None])
    fit_r, se_r = np.array(ro.r("pr$fit")), np.array(ro.r("pr$se.fit"))
    assert np.max(np.abs(pred.predicted_mean - fit_r) / se_r) < 5e-3
    np.testing.assert_allclose(pred.se_mean, se_r, rtol=1e-3)
    # The basis check: mgcv's k.check k-index (residuals in the order of c; the p-values come
    # from random orderings, so they are compared only loosely).
    kc_r = np.array(ro.r("k.check(fit)"))
    kc = spline.k_check(res, warn=False)
    np.testing.assert_allclose(kc["k-index"], kc_r[:, 2], rtol=1e-3)
    # mgcv's uncentred s(c, by = x_k) also holds x_k's constant coefficient: one column more
    np.testing.assert_allclose(kc["k'"], kc_r[:, 0] - [0, 1, 1], atol=0)
    assert np.all(np.abs(kc["p-value"] - kc_r[:, 3]) < 0.15)
    # Model degrees of freedom, AIC and BIC count the total edf, as mgcv's at fixed smoothing
    # parameters (refitting mgcv at its REML estimate; its AIC of the REML fit adds edf2's
    # correction for smoothing-parameter uncertainty instead).
    ro.r("fx <- gam(formula(fit), data = d, sp = fit$sp, knots = list(c = kn))")
    df_r, aic_r, bic_r, ll_r = (float(ro.r(e)[0]) for e in ("sum(fx$edf)", "AIC(fx)", "BIC(fx)", "logLik(fx)"))
    np.testing.assert_allclose(res.df_model, df_r, rtol=1e-4)
    np.testing.assert_allclose(res.df_resid, len(y) - df_r, rtol=1e-6)
    np.testing.assert_allclose(res.llf, ll_r, rtol=1e-5)  # the two REML optima agree to ~1e-6
    np.testing.assert_allclose([res.aic, res.bic], [aic_r, bic_r], rtol=1e-5)
    # summary() lists each smooth's edf: mgcv's per-term sums (mgcv's s(c, by = x_k) is not
    # centred, so it also holds x_k's constant coefficient, edf 1, a separate term here).
    text = str(res.summary())
    table = spline.smooth_terms(res).set_index("coefficient")["edf"]
    for k, name in enumerate(["Intercept", "x1", "x2"]):
        assert f"{name}: s(c1)" in text and f"{table[name]:.4g}" in text
        np.testing.assert_allclose(table[name], theirs[k] - (k > 0), rtol=1e-4)


def test_agrees_with_mgcv_defaults_within_its_standard_errors(r):
    c, X, y, truth = one_context_data(seed=1)
    res = cs.ContextualizedRegression(y, X, c[:, None], encoder="spline").fit()
    theta_r, se_r, _, _ = mgcv_fit(r, c, X, y, "y ~ s(c) + s(c, by = x1) + s(c, by = x2)")
    z = np.abs(res.sample_params.to_numpy() - theta_r) / se_r
    assert np.mean(z) < 0.5 and np.quantile(z, 0.95) < 1.0, (np.mean(z), np.quantile(z, 0.95))
    # Both recover the truth comparably well.
    err = np.sqrt(np.mean((res.sample_params.to_numpy() - truth) ** 2))
    err_r = np.sqrt(np.mean((theta_r - truth) ** 2))
    assert err < 1.5 * err_r, (err, err_r)


PS_FORMULA = "y ~ s(c, bs = 'ps', k = 10) + s(c, by = x1, bs = 'ps', k = 10) + s(c, by = x2, bs = 'ps', k = 10)"


def user_knots(res, c):
    """The fitted knots in the user's units, the inner range widened by the rounding of the
    unit change so that mgcv accepts every data point."""
    sc = res.scaling
    kn = np.asarray(res.options["knots"]) * sc["c_scale"][0] + sc["c_mean"][0]
    kn[3], kn[-4] = min(kn[3], c.min()), max(kn[-4], c.max())
    return kn


def test_gcv_matches_mgcv_gcv_cp(r):
    # method="GCV" is mgcv's "GCV.Cp": on the same P-spline model, the same GCV score at the
    # optimum, the same edf per smooth, scale and fit.
    c, X, y, _ = one_context_data(seed=2)
    res = cs.ContextualizedRegression(y, X, c[:, None], encoder="spline", n_knots=10, method="GCV").fit()
    sm = res.spline_fit["smoothing"]
    assert sm["method"] == "GCV" and sm["converged"]
    sc = res.scaling
    knots = user_knots(res, c)
    r.globalenv["d"] = r.DataFrame({"c": r.FloatVector(c), "x1": r.FloatVector(X[:, 0]),
                                    "x2": r.FloatVector(X[:, 1]), "y": r.FloatVector(y)})
    r.globalenv["kn"] = r.FloatVector(knots)
    r.r(f"g <- gam({PS_FORMULA}, data = d, method = 'GCV.Cp', knots = list(c = kn))")
    gcv_r, sig2_r = float(r.r("g$gcv.ubre")[0]), float(r.r("g$sig2")[0])
    edf_r = np.asarray(r.r("g$edf"))
    # The GCV score in the user's units: both reach the same minimum (it is flat there, so
    # the smoothing parameters and edf agree less closely than the score).
    np.testing.assert_allclose(sm["criterion"] * sc["y_scale"] ** 2, gcv_r, rtol=1e-6)
    ours = np.array([sm["edf"][0, 1], sm["edf"][1].sum(), sm["edf"][2].sum()])
    theirs = np.array([edf_r[1:10].sum(), edf_r[10:20].sum(), edf_r[20:30].sum()])
    np.testing.assert_allclose(ours, theirs, rtol=2e-3)
    np.testing.assert_allclose(sm["scale"] * sc["y_scale"] ** 2, sig2_r, rtol=1e-3)
    fitted_r = np.asarray(r.r("fitted(g)"))
    se_fit = np.asarray(r.r("predict(g, se.fit = TRUE)$se.fit"))
    assert np.max(np.abs(res.fittedvalues - fitted_r) / se_fit) < 0.02


def test_ubre_matches_mgcv_performance_iteration(r):
    # Binomial: UBRE on each PQL working model is mgcv's GCV.Cp with optimizer = "perf"
    # (mgcv's default outer iteration optimises the UBRE of the deviance instead, a different
    # criterion, within a few per cent of these edf).
    c, X, y, _ = one_context_data(seed=3)
    rng = np.random.default_rng(3)
    yb = (rng.uniform(size=len(y)) < 1 / (1 + np.exp(-(y - y.mean())))).astype(float)
    res = cs.ContextualizedLogit(yb, X, c[:, None], encoder="spline", n_knots=10, method="GCV").fit()
    sm = res.spline_fit["smoothing"]
    assert sm["method"] == "UBRE" and sm["converged"] and res.converged
    sc = res.scaling
    knots = user_knots(res, c)
    r.globalenv["d"] = r.DataFrame({"c": r.FloatVector(c), "x1": r.FloatVector(X[:, 0]),
                                    "x2": r.FloatVector(X[:, 1]), "y": r.FloatVector(yb)})
    r.globalenv["kn"] = r.FloatVector(knots)
    r.r(f"g <- suppressWarnings(gam({PS_FORMULA}, data = d, family = binomial, method = 'GCV.Cp', "
        "optimizer = 'perf', knots = list(c = kn)))")
    edf_r = np.asarray(r.r("g$edf"))
    ours = np.array([sm["edf"][0, :].sum(), sm["edf"][1].sum(), sm["edf"][2].sum()])
    theirs = np.array([edf_r[0:10].sum(), edf_r[10:20].sum(), edf_r[20:30].sum()])
    np.testing.assert_allclose(ours, theirs, rtol=2e-3)
    eta_r = np.asarray(r.r("g$linear.predictors"))
    np.testing.assert_allclose(res.predict(which="linear"), eta_r, atol=2e-3 * np.abs(eta_r).max())


@pytest.fixture(scope="module")
def r_comparison(r):
    """The one-context data and the mgcv call of the R comparison (tests/test_vs_r.py,
    n = 10,000, mgcv's defaults: thin-plate basis, GCV.Cp), with mgcv's coefficient functions
    and their pointwise standard errors (from Vp)."""
    from test_vs_r import simulate_one_context

    df, truth = simulate_one_context()
    r.globalenv["d"] = r.DataFrame({k: r.FloatVector(df[k].to_numpy()) for k in ("y", "x1", "x2", "c")})
    r.r("""
        g <- gam(y ~ s(c, by = x1) + s(c, by = x2) + s(c), data = d)
        nd0 <- data.frame(c = d$c, x1 = 0, x2 = 0)
        X0 <- predict(g, nd0, type = 'lpmatrix')
        th <- list(); se <- list()
        for (k in 0:2) {
          nd <- nd0; if (k == 1) nd$x1 <- 1; if (k == 2) nd$x2 <- 1
          Xk <- if (k == 0) X0 else predict(g, nd, type = 'lpmatrix') - X0
          th[[k + 1]] <- drop(Xk %*% coef(g)); se[[k + 1]] <- sqrt(rowSums((Xk %*% g$Vp) * Xk))
        }
        theta <- do.call(cbind, th); theta_se <- do.call(cbind, se)
    """)
    return df, truth, np.asarray(r.r("theta")), np.asarray(r.r("theta_se"))


@pytest.mark.parametrize("method", ["REML", "GCV"])
def test_agrees_with_mgcv_on_the_r_comparison_data(r_comparison, method):
    # The spline encoder's fit lies within mgcv's own pointwise standard errors of mgcv's fit
    # (measured: mean |z| 0.22 REML, 0.12 GCV; 95th percentile 0.59, 0.27), and is as close to
    # the truth.
    df, truth, theta_r, se_r = r_comparison
    res = cs.ContextualizedRegression(df["y"], df[["x1", "x2"]], df[["c"]], encoder="spline",
                                      method=method).fit()
    z = np.abs(res.sample_params.to_numpy() - theta_r) / se_r
    assert np.mean(z) < 0.5 and np.quantile(z, 0.95) < 1.0, (np.mean(z), np.quantile(z, 0.95))
    err = np.sqrt(np.mean((res.sample_params.to_numpy() - truth) ** 2))
    err_r = np.sqrt(np.mean((theta_r - truth) ** 2))
    assert err < 1.2 * err_r, (err, err_r)
