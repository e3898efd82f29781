"""The spline context encoder: gradient, basis, exact penalised fit, REML, inference."""
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.interpolate import BSpline

import ctxstats as cs
from ctxstats import _core, spline
from conftest import make_vcm


def central_differences(model, w, h=1e-6, **options):
    g = np.empty_like(w)
    for k in range(w.size):
        e = np.zeros_like(w)
        e[k] = h
        g[k] = (model.objective(w + e, **options)[0] - model.objective(w - e, **options)[0]) / (2 * h)
    return g


# ---- an independent implementation of the model, from scipy's B-splines ------------------------

def margin_basis(x, t):
    """Cubic B-splines on knots t, continued linearly beyond the boundary knots t[3], t[-4]."""
    K = len(t) - 4
    lo, hi = t[3], t[K]
    B = BSpline.design_matrix(np.clip(x, lo, hi), t, 3).toarray()
    dB = np.stack([BSpline(t, np.eye(K)[a], 3).derivative()(np.array([lo, hi])) for a in range(K)], axis=1)
    B[x < lo] += (x[x < lo] - lo)[:, None] * dB[0]
    B[x > hi] += (x[x > hi] - hi)[:, None] * dB[1]
    return B


def reference_design(res, C, X):
    """(Z, penalties, term slices) on the core's internal scale, built from the fitted knots."""
    o, sc = res.options, res.scaling
    m, K, Kt = C.shape[1], o["n_knots"], o["interaction_knots"]
    Cs = (C - sc["c_mean"]) / sc["c_scale"]
    knots, centres = np.asarray(o["knots"]), np.asarray(o["centres"])
    margins = [(l, K) for l in range(m)] + [(f, Kt) for pr in o["interactions"] for f in pr]
    pos_k, pos_c, bases = 0, 0, []
    for l, k in margins:
        t = knots[pos_k:pos_k + k + 4]
        mean = centres[pos_c:pos_c + k - 1]
        pos_k, pos_c = pos_k + k + 4, pos_c + k - 1
        bases.append(margin_basis(Cs[:, l], t)[:, 1:] - mean)

    def dpen(k):
        D = np.diff(np.eye(k), 2, axis=0)
        return (D.T @ D)[1:, 1:]

    cols, pens = [np.ones((len(C), 1))], []
    off = 1
    for l in range(m):
        cols.append(bases[l])
        pens.append((off, dpen(K)))
        off += K - 1
    for t, _ in enumerate(o["interactions"]):
        B1, B2 = bases[m + 2 * t], bases[m + 2 * t + 1]
        cols.append((B1[:, :, None] * B2[:, None, :]).reshape(len(C), -1))
        S1, S2 = dpen(Kt), dpen(Kt)
        I1, I2 = np.eye(Kt - 1), np.eye(Kt - 1)
        pens.append((off, np.kron(S1, I2)))
        pens.append((off, np.kron(I1, S2)))
        off += (Kt - 1) ** 2
    B = np.hstack(cols)
    nb = B.shape[1]
    Xs = (X - sc["x_mean"]) / sc["x_scale"]
    if res.model.fit_intercept:
        Xs = np.column_stack([np.ones(len(X)), Xs])
    q = Xs.shape[1]
    Z = (Xs[:, :, None] * B[:, None, :]).reshape(len(C), -1)
    full = []  # one per (output, penalty), output major
    for k in range(q):
        for off, S in pens:
            P = np.zeros((q * nb, q * nb))
            P[k * nb + off:k * nb + off + S.shape[0], k * nb + off:k * nb + off + S.shape[0]] = S
            full.append(P)
    return Z, full, B


# ---- gradient ------------------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["gaussian", "binomial", "poisson"])
@pytest.mark.parametrize("opts", [{"n_knots": 5}, {"n_knots": 6, "interactions": [("c1", "c3")], "interaction_knots": 4},
                                  {"n_knots": 5, "knot_spacing": "quantile"}], ids=["main", "tensor", "quantile"])
@pytest.mark.parametrize("penalty", [{}, {"alpha": 0.3, "mu_ratio": 0.2, "weight_decay": 0.05}], ids=["none", "l2"])
def test_spline_gradient_matches_finite_differences(family, opts, penalty):
    d = make_vcm(n=40, p=2, m=3, family=family, seed=1)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, size=40)
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="spline", weights=weights, **opts)
    w = np.random.default_rng(3).normal(scale=0.4, size=model.n_weights())
    f, g = model.objective(w, **penalty)
    assert np.isfinite(f)
    g_fd = central_differences(model, w, **penalty)
    rel = np.linalg.norm(g - g_fd) / max(np.linalg.norm(g_fd), 1e-12)
    assert rel <= 1e-6, rel


# ---- the basis -------------------------------------------------------------------------------------

def test_spline_basis_matches_scipy_and_extrapolates_linearly():
    d = make_vcm(n=300, p=2, m=2, seed=3, nonlinear=True)
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=7).fit()
    C_new = np.concatenate([d["C"], d["C"][:5] * 3.0, [[-10.0, 10.0]]])  # also far outside the data
    B = _core.spline_basis(res.options, res.scaling, C_new)
    _, _, B_ref = reference_design(res, C_new, np.zeros((len(C_new), 2)))
    np.testing.assert_allclose(B, B_ref, atol=1e-12)
    # The fitted basis is centred over the data (sum-to-zero constraint).
    np.testing.assert_allclose(B[:300, 1:].mean(axis=0), 0.0, atol=1e-12)


def test_spline_predictions_use_the_fitted_basis():
    d = make_vcm(n=200, p=2, m=2, seed=4, nonlinear=True)
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=6).fit()
    np.testing.assert_allclose(res.predict_params(d["C"]).to_numpy(), res.sample_params.to_numpy(), atol=1e-12)
    # Refits on new weights keep the original knots (they travel in the options).
    assert len(res.options["knots"]) == 2 * (6 + 4)


# ---- exact fit at fixed smoothing parameters ------------------------------------------------------

@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("interactions", [None, [("c1", "c2")]])
def test_gaussian_fit_solves_the_penalised_normal_equations(intercept, interactions):
    d = make_vcm(n=500, p=2, m=2, seed=5, nonlinear=True)
    w = np.random.default_rng(6).uniform(0.5, 2.0, size=500)
    n_pen = 2 + 2 * (len(interactions) if interactions else 0)
    q = 3 if intercept else 2
    lam = np.random.default_rng(7).uniform(0.1, 20.0, size=q * n_pen)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=7, weights=w,
                                        fit_intercept=intercept, interactions=interactions, smoothing=lam,
                                        interaction_knots=5)
    res = model.fit()
    Z, pens, _ = reference_design(res, d["C"], d["X"])
    ys = (d["y"] - res.scaling["y_mean"]) / res.scaling["y_scale"]
    A = Z.T @ (w[:, None] * Z) + sum(l * P for l, P in zip(lam, pens))
    b = np.linalg.solve(A, Z.T @ (w * ys))
    np.testing.assert_allclose(res.weights, b, rtol=1e-8, atol=1e-10 * np.abs(b).max())
    sm = res.spline_fit["smoothing"]
    assert sm["method"] == "fixed"
    np.testing.assert_allclose(sm["smoothing"], lam)
    # Vp = A^-1 scale with the Pearson scale at fixed lambda, edf = tr(A^-1 Z'WZ).
    H = Z.T @ (w[:, None] * Z)
    F = np.linalg.solve(A, H)
    rss = np.sum(w * (ys - Z @ b) ** 2)
    scale = rss / (w.sum() - np.trace(F))
    np.testing.assert_allclose(sm["edf_total"], np.trace(F), rtol=1e-9)
    np.testing.assert_allclose(sm["Vp"], np.linalg.inv(A) * scale, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("family", ["binomial", "poisson"])
def test_glm_fit_minimises_the_penalised_likelihood(family):
    d = make_vcm(n=600, p=2, m=2, family=family, seed=8, nonlinear=True)
    lam = np.full(3 * 2, 3.0)
    res = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="spline", n_knots=6,
                               smoothing=lam).fit()
    assert res.converged
    Z, pens, _ = reference_design(res, d["C"], d["X"])
    S = sum(l * P for l, P in zip(lam, pens))
    # Independent Newton iterations on sum loss + b'Sb/2.
    b = np.zeros(Z.shape[1])
    for _ in range(100):
        eta = Z @ b
        mu = 1 / (1 + np.exp(-eta)) if family == "binomial" else np.exp(eta)
        v = mu * (1 - mu) if family == "binomial" else mu
        grad = Z.T @ (mu - d["y"]) + S @ b
        step = np.linalg.solve(Z.T @ (v[:, None] * Z) + S, grad)
        b -= step
        if np.abs(step).max() < 1e-13:
            break
    np.testing.assert_allclose(res.weights, b, rtol=1e-7, atol=1e-9 * np.abs(b).max())


def test_nearly_unpenalised_fit_equals_statsmodels_ols():
    sm_api = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(9)
    n = 400
    C = rng.uniform(size=(n, 1))
    X = rng.normal(size=(n, 2))
    y = np.sin(3 * C[:, 0]) + X[:, 0] * C[:, 0] ** 2 + 0.2 * rng.normal(size=n)
    res = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=5, smoothing=1e-9).fit()
    Z, _, _ = reference_design(res, C, X)
    ys = (y - res.scaling["y_mean"]) / res.scaling["y_scale"]
    ols = sm_api.OLS(ys, Z).fit()
    np.testing.assert_allclose(res.weights, ols.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.fittedvalues, y - ols.resid * res.scaling["y_scale"], atol=1e-8)


# ---- REML ---------------------------------------------------------------------------------------------

def reml_criterion(Z, ys, w, pens, rho):
    """-log restricted likelihood (constants dropped), the scale profiled out, from scratch."""
    S = sum(np.exp(r) * P for r, P in zip(rho, pens))
    H = Z.T @ (w[:, None] * Z)
    A = H + S
    b = np.linalg.solve(A, Z.T @ (w * ys))
    Dp = np.sum(w * (ys - Z @ b) ** 2) + b @ S @ b
    ranks = [np.linalg.matrix_rank(P) for P in pens]
    Mp = Z.shape[1] - sum(ranks)
    # log|S|_+ = sum_j rank_j rho_j + const for non-overlapping penalties.
    return 0.5 * (w.sum() - Mp) * np.log(Dp) + 0.5 * np.linalg.slogdet(A)[1] - 0.5 * np.dot(ranks, rho)


def test_reml_estimate_is_a_stationary_point_of_the_restricted_likelihood():
    d = make_vcm(n=800, p=2, m=2, seed=10, nonlinear=True)
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=8).fit()
    sm = res.spline_fit["smoothing"]
    assert sm["method"] == "REML" and sm["converged"]
    Z, pens, _ = reference_design(res, d["C"], d["X"])
    ys = (d["y"] - res.scaling["y_mean"]) / res.scaling["y_scale"]
    w = np.ones(len(ys))
    rho = np.log(sm["smoothing"])
    V0 = reml_criterion(Z, ys, w, pens, rho)
    assert sm["criterion"] == pytest.approx(V0, rel=1e-9)  # the same criterion
    h = 1e-4
    for j in range(len(rho)):
        e = np.zeros_like(rho)
        e[j] = h
        g = (reml_criterion(Z, ys, w, pens, rho + e) - reml_criterion(Z, ys, w, pens, rho - e)) / (2 * h)
        assert abs(g) < 1e-3, (j, g)
    # Moving any smoothing parameter away does not lower the criterion.
    for j in range(len(rho)):
        for step in (-0.5, 0.5):
            e = np.zeros_like(rho)
            e[j] = step
            assert reml_criterion(Z, ys, w, pens, rho + e) >= V0 - 1e-6 * abs(V0)
    # Vp = (Z'Z + S)^-1 * D_p / (n - M_p) and the per-smooth edf.
    S = sum(np.exp(r) * P for r, P in zip(rho, pens))
    A = Z.T @ Z + S
    b = np.linalg.solve(A, Z.T @ ys)
    Dp = np.sum((ys - Z @ b) ** 2) + b @ S @ b
    Mp = Z.shape[1] - sum(np.linalg.matrix_rank(P) for P in pens)
    np.testing.assert_allclose(sm["Vp"], np.linalg.inv(A) * Dp / (len(ys) - Mp), rtol=1e-6, atol=1e-12)
    F = np.linalg.solve(A, Z.T @ Z)
    nb = res.spline_fit["layout"]["size"]
    terms = res.spline_fit["layout"]["terms"]
    for k in range(3):
        for t, term in enumerate(terms):
            idx = k * nb + term["offset"] + np.arange(term["size"])
            assert sm["edf"][k, t] == pytest.approx(np.trace(F[np.ix_(idx, idx)]), rel=1e-6, abs=1e-8)


def test_reml_with_a_tensor_interaction_is_stationary():
    rng = np.random.default_rng(18)
    n = 1500
    C = rng.uniform(-1, 1, size=(n, 2))
    X = rng.normal(size=(n, 1))
    beta = np.sin(2 * C[:, 0]) * C[:, 1]            # an interaction of the two contexts
    y = X[:, 0] * beta + 0.3 * rng.normal(size=n)
    res = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=6, interactions=[("c1", "c2")],
                                      interaction_knots=5).fit()
    sm = res.spline_fit["smoothing"]
    assert sm["converged"] and len(sm["smoothing"]) == 2 * 4
    Z, pens, _ = reference_design(res, C, X)
    ys = (y - res.scaling["y_mean"]) / res.scaling["y_scale"]
    D = Z.shape[1]
    Mp = D - np.linalg.matrix_rank(sum(pens))

    def criterion(rho):  # log|S|_+ from the eigenvalues of the whole penalty: generic, from scratch
        S = sum(np.exp(r) * P for r, P in zip(rho, pens))
        A = Z.T @ Z + S
        b = np.linalg.solve(A, Z.T @ ys)
        Dp = np.sum((ys - Z @ b) ** 2) + b @ S @ b
        ev = np.sort(np.linalg.eigvalsh(S))[Mp:]
        return 0.5 * (n - Mp) * np.log(Dp) + 0.5 * np.linalg.slogdet(A)[1] - 0.5 * np.log(ev).sum()

    rho = np.log(sm["smoothing"])
    for j in range(len(rho)):
        e = np.zeros_like(rho)
        e[j] = 1e-4
        g = (criterion(rho + e) - criterion(rho - e)) / 2e-4
        assert abs(g) < 1e-3, (j, g)
    rmse = np.sqrt(np.mean((res.sample_params["x1"] - beta) ** 2))
    assert rmse < 0.1


def test_reml_recovers_smooth_and_linear_truth():
    rng = np.random.default_rng(11)
    n = 3000
    C = rng.normal(size=(n, 2))
    X = rng.normal(size=(n, 1))
    beta = np.sin(2 * C[:, 0]) + 0.5 * C[:, 1]   # wiggly in c1, linear in c2
    y = 1 + X[:, 0] * beta + 0.3 * rng.normal(size=n)
    res = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=12).fit()
    terms = spline.smooth_terms(res).set_index(["coefficient", "context"])
    assert terms.loc[("x1", "c1"), "edf"] > 4       # a wiggly function keeps its wiggles
    assert terms.loc[("x1", "c2"), "edf"] < 1.5     # a linear one is shrunk to its null space
    assert terms.loc[("Intercept", "c1"), "edf"] < 1.5
    rmse = np.sqrt(np.mean((res.sample_params["x1"] - beta) ** 2))
    assert rmse < 0.05


def gcv_criterion(Z, ys, pens, rho, known_scale=False):
    """GCV n rss / (n - tau)^2 (or UBRE rss / n + 2 tau / n - 1) from scratch."""
    S = sum(np.exp(r) * P for r, P in zip(rho, pens))
    A = Z.T @ Z + S
    b = np.linalg.solve(A, Z.T @ ys)
    rss = np.sum((ys - Z @ b) ** 2)
    tau = np.trace(np.linalg.solve(A, Z.T @ Z))
    n = len(ys)
    return rss / n + 2 * tau / n - 1 if known_scale else n * rss / (n - tau) ** 2


@pytest.mark.parametrize("interactions", [None, [("c1", "c2")]])
def test_gcv_estimate_is_a_stationary_point_of_the_gcv_score(interactions):
    d = make_vcm(n=800, p=2, m=2, seed=10, nonlinear=True)
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=8, method="GCV",
                                      interactions=interactions, interaction_knots=4).fit(threads=1)
    sm = res.spline_fit["smoothing"]
    assert sm["method"] == "GCV" and sm["converged"], sm["message"]
    Z, pens, _ = reference_design(res, d["C"], d["X"])
    ys = (d["y"] - res.scaling["y_mean"]) / res.scaling["y_scale"]
    rho = np.log(sm["smoothing"])
    V0 = gcv_criterion(Z, ys, pens, rho)
    assert sm["criterion"] == pytest.approx(V0, rel=1e-9)  # the same criterion
    for j in range(len(rho)):
        e = np.zeros_like(rho)
        e[j] = 1e-4
        g = (gcv_criterion(Z, ys, pens, rho + e) - gcv_criterion(Z, ys, pens, rho - e)) / 2e-4
        assert abs(g) < 1e-5 * V0, (j, g)
        for step in (-0.5, 0.5):
            e[j] = step
            assert gcv_criterion(Z, ys, pens, rho + e) >= V0 * (1 - 1e-9)
    # Scale: the Pearson estimate rss / (n - edf), as mgcv's for GCV; Vp = A^-1 scale.
    S = sum(np.exp(r) * P for r, P in zip(rho, pens))
    A = Z.T @ Z + S
    b = np.linalg.solve(A, Z.T @ ys)
    edf = np.trace(np.linalg.solve(A, Z.T @ Z))
    assert sm["edf_total"] == pytest.approx(edf, rel=1e-8)
    assert sm["scale"] == pytest.approx(np.sum((ys - Z @ b) ** 2) / (len(ys) - edf), rel=1e-8)
    np.testing.assert_allclose(res.weights, b, rtol=1e-6, atol=1e-9)
    # GCV and REML are different estimators of the same smooth: close fits here.
    reml = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=8,
                                       interactions=interactions, interaction_knots=4).fit()
    assert np.abs(res.sample_params - reml.sample_params).to_numpy().max() < 0.5 * d["y"].std()
    assert "GCV" in str(res.summary())
    again = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=8, method="GCV",
                                        interactions=interactions, interaction_knots=4).fit(threads=2)
    assert np.array_equal(again.weights, res.weights)  # bitwise, for any thread count


def test_ubre_for_glm_families_is_stationary_on_the_final_working_model():
    rng = np.random.default_rng(12)
    n = 2000
    C = rng.uniform(-2, 2, size=(n, 1))
    X = rng.normal(size=(n, 1))
    eta = 0.3 + 0.5 * np.sin(2 * C[:, 0]) + X[:, 0] * (0.5 + 0.3 * C[:, 0])
    y = rng.poisson(np.exp(eta)).astype(float)
    res = cs.ContextualizedGLM(y, X, C, family="poisson", encoder="spline", n_knots=10, method="GCV.Cp").fit()
    sm = res.spline_fit["smoothing"]
    assert res.converged and sm["converged"] and sm["method"] == "UBRE" and sm["scale"] == 1.0
    # The working model at the estimate: z = eta + (y - mu) / mu, weights mu.
    Z, pens, _ = reference_design(res, C, X)
    eta_hat = Z @ res.weights
    mu = np.exp(eta_hat)
    sw = np.sqrt(mu)
    Zw, zw = Z * sw[:, None], (eta_hat + (y - mu) / mu) * sw
    rho = np.log(sm["smoothing"])
    V0 = gcv_criterion(Zw, zw, pens, rho, known_scale=True)
    for j in range(len(rho)):
        e = np.zeros_like(rho)
        e[j] = 1e-4
        g = (gcv_criterion(Zw, zw, pens, rho + e, True) - gcv_criterion(Zw, zw, pens, rho - e, True)) / 2e-4
        assert abs(g) < 1e-4, (j, g)
    with pytest.raises(ValueError, match="method"):
        cs.ContextualizedGLM(y, X, C, family="poisson", encoder="spline", method="ML")


@pytest.mark.parametrize("family", ["binomial", "poisson"])
def test_pql_reml_for_glm_families(family):
    rng = np.random.default_rng(12)
    n = 3000
    C = rng.uniform(-2, 2, size=(n, 1))
    X = rng.normal(size=(n, 1))
    eta = 0.3 + 0.5 * np.sin(2 * C[:, 0]) + X[:, 0] * (0.5 + 0.3 * C[:, 0])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float) if family == "binomial" else rng.poisson(np.exp(eta)).astype(float)
    res = cs.ContextualizedGLM(y, X, C, family=family, encoder="spline", n_knots=10).fit()
    sm = res.spline_fit["smoothing"]
    assert res.converged and sm["converged"] and sm["outer_iter"] >= 2
    assert sm["scale"] == 1.0
    # At convergence, the smoothing parameters are REML on the final working model: refitting
    # with them fixed reproduces the fit.
    fixed = cs.ContextualizedGLM(y, X, C, family=family, encoder="spline", n_knots=10,
                                 smoothing=sm["smoothing"]).fit()
    np.testing.assert_allclose(fixed.weights, res.weights, rtol=1e-5, atol=1e-7)
    truth = 0.5 + 0.3 * C[:, 0]
    assert np.sqrt(np.mean((res.sample_params["x1"] - truth) ** 2)) < 0.1


@pytest.mark.parametrize("family", ["gaussian", "binomial"])
def test_results_are_identical_for_any_thread_count(family):
    d = make_vcm(n=3000, p=3, m=3, seed=13, nonlinear=True, family=family)
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="spline", n_knots=8)
    a, b = model.fit(threads=1), model.fit(threads=2)
    assert np.array_equal(a.weights, b.weights)
    assert np.array_equal(a.spline_fit["smoothing"]["Vp"], b.spline_fit["smoothing"]["Vp"])


# ---- inference -------------------------------------------------------------------------------------------

def test_pointwise_intervals_match_vp_and_the_theta_map():
    d = make_vcm(n=400, p=2, m=2, seed=14, nonlinear=True)
    d["X"] += 3.0  # non-centred exog: the intercept's interval involves every output's weights
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=6).fit()
    Vp = spline.cov_params(res)
    se = spline.sample_params_se(res).to_numpy()
    # Finite differences of theta_user in the weights give the Jacobian rows.
    w0 = res.weights
    J = np.empty((400, 3, w0.size))
    for k in range(w0.size):
        e = np.zeros_like(w0)
        e[k] = 1.0
        J[:, :, k] = _core.predict_theta(res.options, res.scaling, w0 + e, res.model.context) - res.sample_params.to_numpy()
    se_ref = np.sqrt(np.einsum("ikd,de,ike->ik", J, Vp, J))
    np.testing.assert_allclose(se, se_ref, rtol=1e-6)
    lo, hi = spline.sample_conf_int(res, alpha=0.1)
    np.testing.assert_allclose((hi - lo).to_numpy(), 2 * 1.6448536269514722 * se, rtol=1e-9)


def test_coefficient_functions_and_tables():
    d = make_vcm(n=1500, p=2, m=2, seed=15, nonlinear=True)
    X = pd.DataFrame(d["X"], columns=["dose", "age"])
    C = pd.DataFrame(d["C"], columns=["bmi", "income"])
    res = cs.ContextualizedRegression(pd.Series(d["y"], name="y"), X, C, encoder="spline", n_knots=8).fit()
    cf = spline.coefficient_functions(res, n_points=30)
    assert set(cf["coefficient"]) == {"Intercept", "dose", "age"} and set(cf["context"]) == {"bmi", "income"}
    assert len(cf) == 3 * 2 * 30
    assert (cf["lower"] <= cf["estimate"]).all() and (cf["estimate"] <= cf["upper"]).all()
    terms = spline.smooth_terms(res)
    assert list(terms.columns) == ["coefficient", "context", "edf", "ref_df", "rank", "smoothing", "statistic", "p_value"]
    assert ((terms["p_value"] >= 0) & (terms["p_value"] <= 1)).all()
    het = spline.heterogeneity_tests(res)
    assert list(het.index) == ["Intercept", "dose", "age"]
    conc = spline.concurvity(res)
    assert list(conc.index) == ["bmi", "income"] and (conc["worst"] < 0.2).all()


def test_coefficient_surfaces_of_tensor_terms():
    rng = np.random.default_rng(18)
    n = 1500
    C = rng.uniform(-1, 1, size=(n, 3))
    X = rng.normal(size=(n, 1))
    beta = np.sin(2 * C[:, 0]) * C[:, 1] + 0.5 * C[:, 2]     # c1 x c2 interaction, additive in c3
    y = 0.3 * C[:, 1] + X[:, 0] * beta + 0.3 * rng.normal(size=n)
    res = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=6, interactions=[("c1", "c2")],
                                      interaction_knots=5).fit()
    k = 12
    whole = spline.coefficient_surfaces(res, n_points=k, kind="coefficient")
    term = spline.coefficient_surfaces(res, [("c2", "c1")], n_points=k)    # order within the pair is free
    assert list(whole.columns) == ["coefficient", "context", "value1", "value2", "estimate", "se", "lower", "upper"]
    assert len(whole) == len(term) == 2 * k * k and set(whole["context"]) == {"c1:c2"}
    # The whole surface is the fitted coefficient there, with Vp's pointwise standard errors.
    grid = whole[whole["coefficient"] == "x1"]
    Cg = np.column_stack([grid["value1"], grid["value2"], np.full(k * k, C[:, 2].mean())])
    np.testing.assert_allclose(grid["estimate"], res.predict_params(Cg)["x1"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grid["se"], spline.sample_params_se(res, Cg)["x1"], rtol=1e-8)
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(grid["upper"] - grid["lower"], 2 * z * grid["se"], rtol=1e-12)
    # ... and it decomposes as constant + f_1(c1) + f_2(c2) + the interaction term.
    curves = spline.coefficient_functions(res, n_points=k).query("coefficient == 'x1'")
    f1 = curves.query("context == 'c1'")["estimate"].to_numpy()
    f2 = curves.query("context == 'c2'")["estimate"].to_numpy()
    g = term.query("coefficient == 'x1'")["estimate"].to_numpy().reshape(k, k)
    rest = grid["estimate"].to_numpy().reshape(k, k) - g - f1[:, None] - f2[None, :]
    assert np.ptp(rest) < 1e-8 and np.abs(g).max() > 0.3
    # It recovers the true surface within its bands.
    truth = np.sin(2 * grid["value1"]) * grid["value2"] + 0.5 * C[:, 2].mean()
    assert np.mean((grid["lower"] <= truth) & (truth <= grid["upper"])) > 0.85
    assert np.sqrt(np.mean((grid["estimate"] - truth) ** 2)) < 0.05
    # The interaction term's bands are narrower than the whole coefficient's.
    assert term.query("coefficient == 'x1'")["se"].mean() < grid["se"].mean()
    with pytest.raises(ValueError, match=r"no tensor-product term for \('c1', 'c3'\)"):
        spline.coefficient_surfaces(res, [("c1", "c3")])
    with pytest.raises(ValueError, match="kind"):
        spline.coefficient_surfaces(res, kind="total")
    plain = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=6).fit()
    with pytest.raises(ValueError, match="no tensor-product terms"):
        spline.coefficient_surfaces(plain)


def test_pointwise_intervals_cover_the_truth():
    # 50 replicates of a small version of the public benchmark's model.
    rng = np.random.default_rng(19)
    a, b, e = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    cover = []
    for rep in range(50):
        r = np.random.default_rng(1000 + rep)
        n = 500
        C, X = r.normal(size=(n, 3)), r.normal(size=(n, 3))
        basis = np.column_stack([C[:, 0], np.sin(2 * C[:, 1]), C[:, 2] ** 2 / 2])
        beta = basis * a + basis[:, [1]] * b * 0.5
        mu = basis @ e
        y = mu + (X * beta).sum(axis=1) + 0.5 * r.normal(size=n)
        res = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=10).fit()
        lo, hi = spline.sample_conf_int(res)
        truth = np.column_stack([mu, beta])
        cover.append(((lo.to_numpy() <= truth) & (truth <= hi.to_numpy())).mean())
    assert 0.88 <= np.mean(cover) <= 0.99, np.mean(cover)


def test_heterogeneity_test_has_its_size_under_the_null():
    # Coefficient of x1 constant in context: p-values roughly uniform; x2 varies: tiny p-value.
    pvals = []
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        n = 400
        C = rng.normal(size=(n, 1))
        X = rng.normal(size=(n, 2))
        y = 0.5 * X[:, 0] + X[:, 1] * np.sin(2 * C[:, 0]) + rng.normal(size=n)
        res = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=8).fit()
        het = spline.heterogeneity_tests(res)
        pvals.append(het.loc["x1", "p_value"])
        assert het.loc["x2", "p_value"] < 1e-6
    assert np.mean(np.array(pvals) < 0.05) <= 0.2


def test_identifiability_report_flags_concurvity_and_few_distinct_values():
    rng = np.random.default_rng(16)
    n = 500
    c1 = rng.normal(size=n)
    C = np.column_stack([c1, c1 + 0.01 * rng.normal(size=n), rng.integers(0, 3, size=n)])
    X = rng.normal(size=(n, 1))
    y = X[:, 0] * c1 + rng.normal(size=n)
    res = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=6).fit()
    with pytest.warns(UserWarning) as record:
        rep = spline.identifiability(res)
    messages = " ".join(str(r.message) for r in record)
    assert "concurvity" in messages and "rank deficient" in messages
    assert rep["concurvity"].loc["c1", "worst"] > 0.9
    assert rep["rank_deficient_terms"] == ["c3"]
    assert rep["basis_rank"] < rep["basis_size"]


@pytest.mark.parametrize("interactions", [None, [("c1", "c2")]])
def test_core_spline_checks_equal_the_numpy_oracle(interactions):
    """Concurvity, ranks, the condition number of Vp and the warnings come from the core; the
    numpy implementation (tests/oracles/identifiability_numpy.py) gives the same numbers."""
    from oracles import identifiability_numpy as oracle

    rng = np.random.default_rng(16)
    n = 500
    c1 = rng.normal(size=n)
    C = pd.DataFrame({"c1": c1, "c2": c1 + 0.05 * rng.normal(size=n), "c3": rng.integers(0, 3, size=n)})
    X = rng.normal(size=(n, 2))
    y = X[:, 0] * c1 + rng.normal(size=n)
    opts = {"interactions": interactions, "interaction_knots": 4} if interactions else {}
    res = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=6, **opts).fit()
    core = spline.identifiability(res, warn=False)
    ref = oracle.spline_identifiability(res)
    for key in ("basis_size", "basis_rank", "design_size", "design_rank", "rank_deficient_terms", "warnings"):
        assert core[key] == ref[key], key
    np.testing.assert_allclose(core["condition_number"], ref["condition_number"], rtol=1e-6)
    assert list(core["concurvity"].index) == list(ref["concurvity"].index)
    # the other terms' Gram block is ill-conditioned: each eigensolver rounds its smallest
    # kept eigenvalues differently (as R's and numpy's did), so agreement is to ~1e-8
    np.testing.assert_allclose(core["concurvity"].to_numpy(), ref["concurvity"].to_numpy(), rtol=0, atol=1e-7)


# ---- options and errors ---------------------------------------------------------------------------------

def test_spline_option_errors():
    d = make_vcm(n=50, p=1, m=2, seed=17)
    C = d["C"].copy()
    with pytest.raises(ValueError, match="n_knots"):
        cs.ContextualizedRegression(d["y"], d["X"], C, encoder="spline", n_knots=3)
    with pytest.raises(ValueError, match="not a context column"):
        cs.ContextualizedRegression(d["y"], d["X"], C, encoder="spline", interactions=[("c1", "zz")])
    with pytest.raises(ValueError, match="two different"):
        cs.ContextualizedRegression(d["y"], d["X"], C, encoder="spline", interactions=[("c1", "c1")])
    with pytest.raises(ValueError, match="smoothing"):
        cs.ContextualizedRegression(d["y"], d["X"], C, encoder="spline", smoothing=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="smoothing"):
        cs.ContextualizedRegression(d["y"], d["X"], C, encoder="spline", smoothing=-1.0)
    with pytest.raises(ValueError, match="knot_spacing"):
        cs.ContextualizedRegression(d["y"], d["X"], C, encoder="spline", knot_spacing="random")
    with pytest.raises(ValueError, match="archetypes"):
        cs.ContextualizedRegression(d["y"], d["X"], C, encoder="spline", archetypes=2)
    C[:, 1] = 2.0
    with pytest.raises(ValueError, match="'c2' is constant"):
        cs.ContextualizedRegression(d["y"], d["X"], C, encoder="spline")
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=5)
    with pytest.raises(ValueError, match="alpha and weight_decay"):
        model.fit(alpha=0.1)
    res = model.fit()
    with pytest.raises(ValueError, match="not from a model with encoder='spline'"):
        spline.smooth_terms(cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear").fit())
    assert res.solver == "exact"


def test_knots_refusals_name_the_context_column_as_given():
    """n_knots / interaction_knots above a feature's distinct values: the message names the
    column as the user passed it (DataFrame column, formula term), not by its position."""
    d = make_vcm(n=60, p=1, m=2, seed=3)
    C = pd.DataFrame(np.round(d["C"], 1), columns=["age", "dose"])
    C["age"] = np.arange(60) % 20  # 20 distinct values
    frame = pd.concat([C, pd.DataFrame({"y": d["y"], "x": d["X"][:, 0]})], axis=1)
    with pytest.raises(ValueError, match="n_knots=30 is more than the 20 distinct values of context column 'age'"):
        cs.ContextualizedRegression(d["y"], d["X"], C, encoder="spline", n_knots=30).fit()
    with pytest.raises(ValueError, match="distinct values of context column 'age'"):
        cs.ContextualizedRegression.from_formula("y ~ x | age + dose", frame, encoder="spline", n_knots=30).fit()
    C2 = pd.DataFrame({"u": np.arange(60) % 6, "v": (np.arange(60) + 1) % 6}).astype(float)  # 6 distinct pairs
    with pytest.raises(ValueError, match="interaction of context column 'u' and context column 'v' 36 basis"):
        cs.ContextualizedRegression(d["y"], d["X"], C2, encoder="spline", n_knots=5, interactions=[("u", "v")],
                                    interaction_knots=6).fit()


def test_gradient_solvers_can_fit_the_spline_encoder():
    rng = np.random.default_rng(20)
    C = rng.uniform(size=(300, 1))
    X = rng.normal(size=(300, 1))
    y = np.sin(3 * C[:, 0]) + X[:, 0] * C[:, 0] + 0.1 * rng.normal(size=300)
    model = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=4)
    with pytest.warns(UserWarning, match="without its smoothing penalties"):
        res = model.fit(solver="lbfgs", max_iter=5000, tol=1e-9)
    # Unpenalised, the regression spline is ordinary least squares on its design.
    ref = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=4, smoothing=1e-10).fit()
    np.testing.assert_allclose(res.fittedvalues, ref.fittedvalues, atol=1e-5)


def test_frequency_weights_equal_replicated_rows():
    # Every row twice, or every row once with weight 2 (the same standardisation either way):
    # REML counts sum(weights) observations, so the fits coincide.
    d = make_vcm(n=400, p=2, m=2, seed=21, nonlinear=True)
    rep = np.repeat(np.arange(400), 2)
    a = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=8,
                                    weights=np.full(400, 2.0)).fit()
    b = cs.ContextualizedRegression(d["y"][rep], d["X"][rep], d["C"][rep], encoder="spline", n_knots=8).fit()
    sa, sb = a.spline_fit["smoothing"], b.spline_fit["smoothing"]
    np.testing.assert_allclose(sa["smoothing"], sb["smoothing"], rtol=1e-6)
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(sa["Vp"], sb["Vp"], rtol=1e-6, atol=1e-9 * np.abs(sb["Vp"]).max())
    unweighted = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=8).fit()
    assert not np.allclose(unweighted.spline_fit["smoothing"]["smoothing"], sa["smoothing"], rtol=1e-3)


def test_summary_parts():
    d = make_vcm(n=600, p=2, m=2, seed=23, nonlinear=True)
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=8,
                                      interactions=[("c1", "c2")]).fit()
    parts = spline.summary_parts(res)
    assert dict(parts["header"])["Smoothing"].startswith("REML")
    (t1, terms), (t2, het) = parts["tables"]
    assert "x1: s(c1)" in terms.index and "x2: ti(c1,c2)" in terms.index
    assert list(het.index) == ["Intercept", "x1", "x2"]
    # summary() shows them, with the total edf as the model df behind AIC and BIC.
    text = str(res.summary())
    assert "x2: ti(c1,c2)" in text and "Heterogeneity: does the coefficient vary" in text
    sm = res.spline_fit["smoothing"]
    assert res.df_model == pytest.approx(sm["edf_total"]) and res.df_model < res.weights.size
    np.testing.assert_allclose(terms["edf"].sum() + 3, sm["edf_total"], rtol=1e-10)  # + the 3 constants
    assert f"{sm['edf_total']:.2f}" in text
    assert res.aic == pytest.approx(-2 * res.llf + 2 * (sm["edf_total"] + 1))
    assert res.bic == pytest.approx(-2 * res.llf + np.log(600) * (sm["edf_total"] + 1))
    assert res.df_resid == pytest.approx(600 - sm["edf_total"])


def test_large_designs_use_the_parallel_inverse_deterministically():
    # D = 12 outputs x 45 basis functions = 540 >= 512: the blocked inverse runs in parallel.
    d = make_vcm(n=2000, p=11, m=4, seed=24, nonlinear=True)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=12)
    a, b = model.fit(threads=1), model.fit(threads=2)
    assert a.spline_fit["smoothing"]["Vp"].shape == (540, 540)
    assert np.array_equal(a.weights, b.weights)
    assert np.array_equal(a.spline_fit["smoothing"]["Vp"], b.spline_fit["smoothing"]["Vp"])
    # And the blocked inverse is the inverse.
    sm = a.spline_fit["smoothing"]
    Z, pens, _ = reference_design(a, d["C"], d["X"])
    A = Z.T @ Z + sum(l * P for l, P in zip(sm["smoothing"], pens))
    np.testing.assert_allclose(sm["Vp"] / sm["scale"] @ A, np.eye(540), atol=1e-6)


def test_spline_results_bootstrap_and_persistence(tmp_path):
    import warnings

    from ctxstats import io

    d = make_vcm(n=600, p=2, m=2, seed=25, nonlinear=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # identifiability notes are not the point here
        res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=8).fit(
            n_bootstraps=4, seed=2)
    assert res.cov_type == "bootstrap" and res.n_bootstraps == 4
    # Replicates refit on the original basis (the knots travel in the options) with their own REML.
    assert np.isfinite(res.bootstrap_weights).all() and res.bootstrap_weights.shape == (4, res.weights.size)
    path = tmp_path / "spline.ctx"
    res.save(path)
    back = io.load(path)
    np.testing.assert_array_equal(back.predict_params(d["C"]).to_numpy(), res.predict_params(d["C"]).to_numpy())
    pd.testing.assert_frame_equal(spline.smooth_terms(back), spline.smooth_terms(res))


def test_results_sample_conf_int_falls_back_to_the_vp_intervals():
    """Without bootstrap replicates a spline fit's results.sample_conf_int() gives the
    pointwise Bayesian (Vp) intervals of spline.sample_conf_int, as R's sample_confint does."""
    d = make_vcm(n=400, p=2, m=2, seed=4)
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=8).fit()
    lo, hi = res.sample_conf_int(alpha=0.1)
    lo_s, hi_s = spline.sample_conf_int(res, alpha=0.1)
    pd.testing.assert_frame_equal(lo, lo_s)
    pd.testing.assert_frame_equal(hi, hi_s)
    assert (lo.to_numpy() < res.sample_params.to_numpy()).all() and (res.sample_params.to_numpy() < hi.to_numpy()).all()
    new = d["C"][:5] + 0.1
    lo_n, hi_n = res.sample_conf_int(context=new)
    lo_ns, hi_ns = spline.sample_conf_int(res, new)
    np.testing.assert_array_equal(lo_n.to_numpy(), lo_ns.to_numpy())
    np.testing.assert_array_equal(hi_n.to_numpy(), hi_ns.to_numpy())


def test_k_check_flags_a_basis_that_is_too_small():
    rng = np.random.default_rng(0)
    n = 1500
    c = rng.uniform(-3, 3, n)
    X = rng.normal(size=(n, 1))
    y = np.sin(4 * c) + X[:, 0] * np.cos(3 * c) + 0.3 * rng.normal(size=n)
    small = cs.ContextualizedRegression(y, X, c[:, None], encoder="spline", n_knots=6).fit()
    with pytest.warns(spline.BasisDimensionWarning, match="larger n_knots"):
        kc = spline.k_check(small)
    assert list(kc.columns) == ["coefficient", "context", "k'", "edf", "k-index", "p-value"]
    assert (kc["k-index"] < 0.8).all() and (kc["p-value"] == 0).all()
    big = cs.ContextualizedRegression(y, X, c[:, None], encoder="spline", n_knots=30).fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", spline.BasisDimensionWarning)
        kc = spline.k_check(big)
    assert (kc["k-index"] > 0.95).all() and (kc["p-value"] > 0.05).all()
    # the k-index by hand: residuals in the order of c
    r = big.resid_deviance[np.argsort(c, kind="stable")]
    assert kc["k-index"].iloc[0] == pytest.approx(np.mean(np.diff(r) ** 2) / 2 / np.mean(r ** 2), rel=1e-12)
    again = spline.k_check(big, warn=False)
    assert again.equals(kc)
    with pytest.raises(ValueError, match="n_rep"):
        spline.k_check(big, n_rep=0)


@pytest.mark.parametrize("family", ["gaussian", "binomial"])
def test_prediction_standard_errors_are_those_of_the_coefficient_functions(family):
    """get_prediction of a spline fit: se of eta = sqrt(z' Vp z) (the core). At x = 0 eta is the
    intercept function, whose Vp band sample_params_se gives; eta's se is one number for any
    thread count; intervals are link^-1(eta +- crit se), t on n - edf for gaussian."""
    d = make_vcm(n=600, p=2, m=2, family=family, nonlinear=True, seed=8)
    res = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="spline", n_knots=8).fit()
    C = d["C"][:40]
    at_zero = res.get_prediction(np.zeros((40, 2)), C)
    np.testing.assert_allclose(at_zero.se_linpred, spline.sample_params_se(res, C).to_numpy()[:, 0], rtol=1e-10)
    pred = res.get_prediction(d["X"][:40], C)
    again = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="spline", n_knots=8).fit(
        threads=1).get_prediction(d["X"][:40], C)
    assert np.array_equal(pred.se_linpred, again.se_linpred)
    frame = pred.summary_frame(alpha=0.1)
    crit = stats.t.ppf(0.95, res.df_resid) if family == "gaussian" else stats.norm.ppf(0.95)
    link = (lambda v: v) if family == "gaussian" else (lambda v: 1.0 / (1.0 + np.exp(-v)))
    np.testing.assert_allclose(frame["mean_ci_lower"], link(pred.linpred - crit * pred.se_linpred), rtol=1e-12)
    assert ("obs_ci_lower" in frame) == (family == "gaussian")
