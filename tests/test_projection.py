"""best_linear_projection: every coefficient's least-squares projection on [1, c] over the
samples (grf's summary of heterogeneous effects), computed by the core, checked against numpy's
least squares; its inference against the linear encoder's analytic covariance, Vp by linearity,
and the bootstrap replicates' own projections."""
import numpy as np
import pytest

import ctxstats as cs
from ctxstats import _core, spline
from conftest import make_vcm, short_bootstraps, short_fits


def lstsq_projection(theta, C):
    Z = np.column_stack([np.ones(len(C)), C])
    return np.linalg.lstsq(Z, theta, rcond=None)[0].T.ravel()  # coefficient major: (k, [1, c])


def test_linear_encoder_projection_is_its_interaction_coefficients():
    d = make_vcm(n=400, p=2, m=2, seed=1)
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear").fit(cov_type="HC1")
    blp = res.best_linear_projection()
    assert list(blp.index) == res.interaction_names
    np.testing.assert_allclose(blp["coef"], res.interaction_params, rtol=1e-12)
    np.testing.assert_allclose(blp["std err"], np.sqrt(np.diag(res.interaction_cov_params())), rtol=1e-12)
    # and the core's projection of the per-sample coefficients gives them back
    np.testing.assert_allclose(_core.linear_projection(res.sample_params.to_numpy(), d["C"]).ravel(),
                               res.interaction_params.to_numpy(), rtol=1e-9, atol=1e-12)


def test_spline_projection_and_its_vp_covariance():
    d = make_vcm(n=500, p=2, m=2, nonlinear=True, seed=2)
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"] * [3.0, 50.0] + [1.0, 200.0], encoder="spline",
                                      n_knots=8).fit()
    C = res.model.context
    est, cov = spline.linear_projection(res)
    np.testing.assert_allclose(est, lstsq_projection(res.sample_params.to_numpy(), C), rtol=1e-8, atol=1e-10)
    # The projection is linear in the weights: its Jacobian column by column, then P Vp P'.
    w0 = np.asarray(res.weights, dtype=float)
    base = _core.predict_theta(res.options, res.scaling, w0, C)
    P = np.empty((est.size, w0.size))
    for j in range(w0.size):
        w = w0.copy()
        w[j] += 1.0
        P[:, j] = lstsq_projection(_core.predict_theta(res.options, res.scaling, w, C) - base, C)
    Vp = np.asarray(res.spline_fit["smoothing"]["Vp"])
    np.testing.assert_allclose(cov, P @ Vp @ P.T, rtol=1e-7, atol=1e-12 * np.abs(cov).max())
    blp = res.best_linear_projection(alpha=0.1)
    assert list(blp.columns) == ["coef", "std err", "t", "P>|t|", "[0.05", "0.95]"]
    np.testing.assert_allclose(blp["std err"], np.sqrt(np.diag(cov)), rtol=1e-12)


@short_fits
@short_bootstraps
def test_bootstrap_projection_is_each_replicates_projection():
    d = make_vcm(n=300, p=1, m=2, nonlinear=True, seed=3)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="ngam", width=4)
    res = model.fit(solver="lbfgs", max_iter=30, n_bootstraps=6, seed=1, threads=2)
    reps = _core.bootstrap_projections(res.options, res.scaling, res.bootstrap_weights, d["C"])
    thetas = _core.bootstrap_theta(res.options, res.scaling, res.bootstrap_weights, d["C"])
    for b in range(6):
        np.testing.assert_allclose(reps[b], lstsq_projection(thetas[b], d["C"]), rtol=1e-8, atol=1e-10)
    one = dict(res.options, threads=1)
    assert np.array_equal(_core.bootstrap_projections(one, res.scaling, res.bootstrap_weights, d["C"]), reps)
    blp = res.best_linear_projection()
    np.testing.assert_allclose(blp["coef"], lstsq_projection(res.sample_params.to_numpy(), d["C"]), rtol=1e-8)
    np.testing.assert_allclose(blp["std err"], reps.std(axis=0, ddof=1), rtol=1e-10)
    assert (blp["[0.025"] <= blp["0.975]"]).all() and "P>|b|" in blp


@short_fits
def test_projection_refuses_what_it_cannot_identify():
    theta = np.ones((10, 2))
    with pytest.raises(ValueError, match="context column 2 is constant"):
        _core.linear_projection(theta, np.column_stack([np.arange(10.0), np.ones(10)]))
    with pytest.raises(ValueError, match="collinear"):
        _core.linear_projection(theta, np.column_stack([np.arange(10.0), 2 * np.arange(10.0)]))
    with pytest.raises(ValueError, match="more than 3 samples"):
        _core.linear_projection(theta[:3], np.arange(6.0).reshape(3, 2))
    d = make_vcm(n=100, p=1, m=1, seed=4)
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4).fit(max_iter=5,
                                                                                           early_stopping=False)
    with pytest.raises(ValueError, match="n_bootstraps"):
        res.best_linear_projection()
