"""Contextualized correlation and Markov networks (csrc/networks/, ctxstats.easy).

Correctness against independent computations: with the linear encoder every pair's (or every
feature's) regression is ordinary least squares on the interaction design [1, c, x, x*c]; with
a constant context the correlations are numpy's corrcoef and the Markov precision is the
inverse sample covariance. Then the peer's shapes, max_epochs=0, the bootstrap, determinism,
gradients, bad inputs, and recovery of networks that switch with context.
"""
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from ctxstats import _core
from ctxstats.convergence import ConvergenceWarning
from ctxstats.easy import ContextualizedCorrelationNetworks, ContextualizedMarkovNetworks
from conftest import short_bootstraps, short_fits

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from network_sim import auroc, switching_gaussian  # noqa: E402


def data(n=300, p=4, m=2, seed=0):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, m))
    A = rng.normal(size=(p, p)) * 0.5
    X = rng.normal(size=(n, p)) @ A + rng.normal(size=(n, p))
    X[:, 1] += X[:, 0] * C[:, 0]          # a context-dependent edge
    return C, X * np.arange(1, p + 1) + 3.0   # features on different scales and offsets


def ols(y, D):
    return np.linalg.lstsq(D, y, rcond=None)[0]


def interaction_design(C, Z):
    """[1, c, z_1, z_1 c, ..., z_k, z_k c]: the linear varying-coefficient model's design."""
    B = np.column_stack([np.ones(len(C)), C])
    return np.column_stack([B] + [B * Z[:, [k]] for k in range(Z.shape[1])])


def test_correlation_pairs_equal_ols_on_the_interaction_design():
    C, X = data()
    model = ContextualizedCorrelationNetworks().fit(C, X)
    betas, mus = model.predict_networks(C, with_offsets=True)
    B = np.column_stack([np.ones(len(C)), C])
    p = X.shape[1]
    for i in range(p):
        for j in range(p):
            if i == j:
                assert np.all(betas[:, i, i] == 1.0) and np.all(mus[:, i, i] == 0.0)
                continue
            b = ols(X[:, i], interaction_design(C, X[:, [j]]))
            np.testing.assert_allclose(betas[:, i, j], B @ b[3:], rtol=1e-8, atol=1e-10)
            np.testing.assert_allclose(mus[:, i, j], B @ b[:3], rtol=1e-8, atol=1e-10)


def test_markov_regressions_equal_ols_on_the_interaction_design():
    C, X = data(p=5)
    model = ContextualizedMarkovNetworks().fit(C, X)
    betas, mus = model.predict_networks(C, with_offsets=True)
    B = np.column_stack([np.ones(len(C)), C])
    for i in range(X.shape[1]):
        others = [j for j in range(X.shape[1]) if j != i]
        b = ols(X[:, i], interaction_design(C, X[:, others]))
        np.testing.assert_allclose(mus[:, i], B @ b[:3], rtol=1e-8, atol=1e-10)
        for k, j in enumerate(others):
            np.testing.assert_allclose(betas[:, i, j], B @ b[3 * (k + 1):3 * (k + 2)], rtol=1e-8, atol=1e-10)
        assert np.all(betas[:, i, i] == 0.0)
    # predict_X and measure_mses are the regressions' fitted values and mean squared residuals.
    pred = model.predict_X(C, X)
    np.testing.assert_allclose(pred, mus + np.einsum("nij,nj->ni", betas, X), rtol=1e-12)
    np.testing.assert_allclose(model.measure_mses(C, X), ((X - pred) ** 2).mean(axis=1), rtol=1e-10)


def constant_context_fit(cls, X):
    C = np.ones((len(X), 1))
    with pytest.warns(UserWarning, match="singular normal equations"):  # c is constant: aliased with 1
        return cls().fit(C, X), C


def test_constant_context_correlations_are_corrcoef():
    _, X = data(n=500, p=5, seed=1)
    model, C = constant_context_fit(ContextualizedCorrelationNetworks, X)
    R = np.corrcoef(X, rowvar=False)
    rho = model.predict_correlation(C, individual_preds=False, squared=False)
    np.testing.assert_allclose(rho, np.broadcast_to(R, rho.shape), rtol=1e-8, atol=1e-12)
    rho2 = model.predict_correlation(C[:3], squared=True)
    assert rho2.shape == (1, 3, 5, 5)
    np.testing.assert_allclose(rho2[0, 0], R ** 2, rtol=1e-8, atol=1e-12)


def test_constant_context_markov_precision_is_the_inverse_covariance():
    _, X = data(n=500, p=5, seed=2)
    model, C = constant_context_fit(ContextualizedMarkovNetworks, X)
    P = np.linalg.inv(np.cov(X, rowvar=False, bias=True))
    omega = model.predict_precisions(C[:4], individual_preds=False)
    assert omega.shape == (4, 5, 5)
    np.testing.assert_allclose(omega[2], P, rtol=1e-8, atol=1e-10)
    partial = -P / np.sqrt(np.outer(np.diag(P), np.diag(P)))
    np.fill_diagonal(partial, 1.0)
    pc = model.predict_partial_correlations(C[:2], individual_preds=False)
    np.testing.assert_allclose(pc[1], partial, rtol=1e-8, atol=1e-12)


def test_the_ridge_penalty_is_each_pairs_glm_penalty():
    """alpha > 0 with the linear encoder: each pair is ctxstats' own contextualized GLM fit."""
    import ctxstats as cs

    C, X = data(n=200, p=3)
    net = ContextualizedCorrelationNetworks(alpha=0.3, mu_ratio=0.2).fit(C, X)
    betas, mus = net.predict_networks(C, with_offsets=True)
    glm = cs.ContextualizedGLM(X[:, 2], X[:, [0]], C, encoder="linear").fit(alpha=0.3, mu_ratio=0.2)
    theta = glm.predict_params(C).to_numpy()
    np.testing.assert_allclose(mus[:, 2, 0], theta[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(betas[:, 2, 0], theta[:, 1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cls", [ContextualizedCorrelationNetworks, ContextualizedMarkovNetworks])
def test_lbfgs_on_the_linear_encoder_reaches_the_exact_solution(cls):
    C, X = data(n=300, p=4)
    exact = cls().fit(C, X).predict_networks(C)
    lbfgs = cls(solver="lbfgs").fit(C, X).predict_networks(C)
    np.testing.assert_allclose(lbfgs, exact, atol=2e-5)


@pytest.mark.parametrize("kind", ["correlation", "markov"])
@pytest.mark.parametrize("options", [
    dict(encoder="mlp", width=5, depth=1, alpha=0.1, l1_ratio=0.5, weight_decay=1e-2),
    dict(encoder="ngam", width=3, depth=1),
    dict(encoder="linear", archetypes=3, alpha=0.05),
])
def test_objective_gradient_matches_finite_differences(kind, options):
    C, X = data(n=120, p=3)
    opts = dict(family="gaussian", seed=3, **options)
    nw = _core.network_n_weights(kind, opts, C.shape[1], X.shape[1])
    w = np.random.default_rng(4).normal(scale=0.3, size=nw)
    f, g = _core.network_objective(kind, C, X, None, opts, w)
    h = 1e-6
    for k in np.random.default_rng(5).choice(nw, size=min(nw, 25), replace=False):
        e = np.zeros(nw)
        e[k] = h
        fd = (_core.network_objective(kind, C, X, None, opts, w + e)[0] -
              _core.network_objective(kind, C, X, None, opts, w - e)[0]) / (2 * h)
        assert abs(fd - g[k]) <= 1e-6 * max(1.0, abs(fd)), (k, fd, g[k])


@short_fits
@pytest.mark.parametrize("cls", [ContextualizedCorrelationNetworks, ContextualizedMarkovNetworks])
@pytest.mark.parametrize("encoder", ["linear", "mlp", "ngam"])
def test_shapes_and_max_epochs_zero_as_the_peers_tests(cls, encoder):
    """The peer's own quick test: max_epochs=0 gives the reference error, a fit lowers it."""
    rng = np.random.default_rng(0)
    C, X = rng.uniform(-0.5, 0.5, size=(100, 4)), rng.uniform(-0.5, 0.5, size=(100, 5))
    X[:, 1] += X[:, 0]
    model = cls(encoder_type=encoder, width=8, layers=1)
    model.fit(C, X, max_epochs=0)
    err_init = model.measure_mses(C, X)
    model.fit(C, X, max_epochs=30, learning_rate=1e-3, val_split=0.5)
    err_trained = model.measure_mses(C, X)
    assert err_init.shape == err_trained.shape == (100,)
    assert err_trained.mean() < err_init.mean()
    W = model.predict_networks(C)
    assert W.shape == (100, 5, 5)
    betas, mus = model.predict_networks(C, individual_preds=True, with_offsets=True)
    assert betas.shape == (1, 100, 5, 5)
    assert mus.shape == ((1, 100, 5, 5) if cls is ContextualizedCorrelationNetworks else (1, 100, 5))
    assert model.measure_mses(C, X, individual_preds=True).shape == (1, 100)
    xhat = model.predict_X(C, X)
    assert xhat.shape == ((100, 5, 5) if cls is ContextualizedCorrelationNetworks else (100, 5))
    if cls is ContextualizedCorrelationNetworks:
        rho = model.predict_correlation(C, squared=False)
        assert rho.shape == (1, 100, 5, 5) and rho.min() < 0
        assert model.predict_correlation(C, individual_preds=False, squared=False).shape == (100, 5, 5)
        rho2 = model.predict_correlation(C, squared=True)
        assert rho2.min() >= 0 and np.allclose(rho2, rho ** 2)
    else:
        assert model.predict_precisions(C, individual_preds=False).shape == (100, 5, 5)
        assert model.predict_precisions(C).shape == (1, 100, 5, 5)


def test_max_epochs_zero_is_the_untrained_model():
    C, X = data()
    model = ContextualizedMarkovNetworks().fit(C, X, max_epochs=0)
    betas, mus = model.predict_networks(C, with_offsets=True)
    assert np.all(betas == 0.0)
    np.testing.assert_allclose(mus, np.broadcast_to(X.mean(axis=0), mus.shape), rtol=1e-12)
    assert not model.model_["trained"]


@short_bootstraps
@pytest.mark.parametrize("cls", [ContextualizedCorrelationNetworks, ContextualizedMarkovNetworks])
def test_bootstrap_replicates(cls):
    C, X = data(n=200, p=4)
    model = cls(n_bootstraps=5, random_state=3).fit(C, X)
    betas = model.predict_networks(C[:7], individual_preds=True)
    assert betas.shape == (5, 7, 4, 4)
    assert np.ptp(betas[:, :, 0, 1], axis=0).min() > 0          # replicates differ
    np.testing.assert_allclose(model.predict_networks(C[:7]), betas.mean(axis=0), rtol=1e-14)
    assert model.measure_mses(C, X, individual_preds=True).shape == (5, 200)
    again = cls(n_bootstraps=5, random_state=3).fit(C, X).predict_networks(C[:7], individual_preds=True)
    assert np.array_equal(betas, again)
    other = cls(n_bootstraps=5, random_state=4).fit(C, X).predict_networks(C[:7], individual_preds=True)
    assert not np.array_equal(betas, other)


@short_fits
@short_bootstraps
@pytest.mark.parametrize("cls", [ContextualizedCorrelationNetworks, ContextualizedMarkovNetworks])
@pytest.mark.parametrize("options", [dict(), dict(encoder_type="mlp", width=6, layers=1, max_epochs=40),
                                     dict(n_bootstraps=3)])
def test_results_are_bitwise_identical_for_any_thread_count(cls, options):
    C, X = data(n=1500, p=4)
    fits = [cls(threads=t, **options).fit(C, X) for t in (1, 2, 4)]
    ref = fits[0].predict_networks(C, individual_preds=True, with_offsets=True)
    for f in fits[1:]:
        out = f.predict_networks(C, individual_preds=True, with_offsets=True)
        assert all(np.array_equal(a, b) for a, b in zip(ref, out))


def test_bad_inputs_raise_errors_that_name_the_argument():
    C, X = data(n=50, p=3)
    with pytest.raises(ValueError, match="X must have at least 2 columns"):
        ContextualizedCorrelationNetworks().fit(C, X[:, :1])
    bad = X.copy()
    bad[4, 2] = np.nan
    with pytest.raises(ValueError, match="X column"):
        ContextualizedMarkovNetworks().fit(C, bad)
    with pytest.raises(ValueError, match="rows but C has"):
        ContextualizedMarkovNetworks().fit(C[:10], X)
    with pytest.raises(ValueError, match="encoder_type"):
        ContextualizedMarkovNetworks(encoder_type="spline").fit(C, X)
    with pytest.raises(ValueError, match="solver"):
        ContextualizedMarkovNetworks(solver="adam").fit(C, X)
    with pytest.raises(ValueError, match="n_bootstraps"):
        ContextualizedMarkovNetworks(n_bootstraps=0).fit(C, X)
    with pytest.raises(TypeError, match="univariate"):
        ContextualizedCorrelationNetworks(univariate=True)
    with pytest.raises(TypeError, match="unexpected keyword"):
        ContextualizedCorrelationNetworks().fit(C, X, bogus=1)
    with pytest.raises(ValueError, match="not fitted yet"):
        ContextualizedCorrelationNetworks().predict_networks(C)
    model = ContextualizedCorrelationNetworks().fit(C, X)
    with pytest.raises(ValueError, match="columns; the model was fitted with"):
        model.predict_networks(C[:, :1])
    with pytest.raises(ValueError, match="X has 2 columns"):
        model.measure_mses(C, X[:, :2])
    # The core's own checks (what R and any other binding reach).
    opts = dict(family="gaussian", encoder="linear")
    with pytest.raises(ValueError, match="type must be 'correlation', 'markov' or 'bayesian'"):
        _core.network_fit("dag", C, X, None, opts)
    with pytest.raises(ValueError, match="family must be 'gaussian'"):
        _core.network_fit("markov", C, X, None, dict(opts, family="poisson"))
    with pytest.raises(ValueError, match="encoder 'spline' is not available"):
        _core.network_fit("markov", C, X, None, dict(opts, encoder="spline"))
    with pytest.raises(ValueError, match="C column 0 contains a non-finite"):
        _core.network_fit("markov", np.where(C == C[3, 0], np.inf, C), X, None, opts)
    with pytest.raises(ValueError, match="n_bootstraps must be 0"):
        _core.network_fit("markov", C, X, None, opts, n_bootstraps=1)
    with pytest.raises(ValueError, match="precision matrices come from markov"):
        _core.network_precisions(model.model_, C)
    with pytest.raises(ValueError, match="replicate weights"):
        _core.network_params(dict(model.model_, replicate_weights=np.zeros((1, 3))), C)


@pytest.mark.parametrize("encoder", ["linear", "mlp"])
def test_markov_networks_recover_edges_that_switch_with_context(encoder):
    """benchmarks/network_sim.py: edge (0, 1) is on for c > 0, edge (1, 2) for c < 0, (2, 3) always."""
    C, X, truth, _ = switching_gaussian(2000, 6)
    opts = dict(encoder_type=encoder) if encoder == "linear" else dict(encoder_type="mlp", width=16, layers=1,
                                                                       max_epochs=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # recovery is what is measured here
        model = ContextualizedMarkovNetworks(**opts).fit(C, X)
    est = model.predict_partial_correlations(C, individual_preds=False)
    iu = np.triu_indices(X.shape[1], 1)
    scores, labels = np.abs(est[:, iu[0], iu[1]]).ravel(), (np.abs(truth[:, iu[0], iu[1]]) > 0.1).ravel()
    assert auroc(scores, labels) > 0.9
    on, off = C[:, 0] > 0.3, C[:, 0] < -0.3
    assert np.abs(est[on, 0, 1]).mean() > 2 * np.abs(est[off, 0, 1]).mean()
    assert np.abs(est[off, 1, 2]).mean() > 2 * np.abs(est[on, 1, 2]).mean()
    assert np.abs(est[:, 2, 3]).mean() > 0.3


def test_correlation_networks_track_correlations_that_change_with_context():
    C, X, _, truth = switching_gaussian(2000, 5, seed=1)
    rho = ContextualizedCorrelationNetworks().fit(C, X).predict_correlation(C, individual_preds=False, squared=False)
    iu = np.triu_indices(5, 1)
    rmse = np.sqrt(np.mean((rho[:, iu[0], iu[1]] - truth[:, iu[0], iu[1]]) ** 2))
    assert rmse < 0.1
    on, off = C[:, 0] > 0.3, C[:, 0] < -0.3
    assert rho[on, 0, 1].mean() > rho[off, 0, 1].mean() + 0.2


def test_a_callback_stops_the_fit_and_its_bootstrap():
    C, X = data(n=200, p=3)
    opts = dict(family="gaussian", encoder="mlp", width=4, depth=1)
    m = _core.network_fit("markov", C, X, None, opts, 0, True, lambda it, f: it < 3)
    assert m["interrupted"] and m["n_iter"] <= 3
    seen = []
    m = _core.network_fit("correlation", C, X, None, dict(family="gaussian", encoder="linear", threads=1), 6, True,
                          lambda done, f: seen.append(done) or done < 2)
    # One thread: replicates run in rounds of 4, and the callback is asked between rounds.
    assert m["interrupted"] and m["replicate_weights"].shape[0] == 4 and seen == [4]
    assert "interrupted after 4 of 6 bootstrap replicates" in m["message"]
