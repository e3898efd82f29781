"""Bayesian networks with low-rank factor graphs (``num_factors``; csrc/networks/factors.*).

The peer's factor test and shapes (feature graphs (n, p, p), factor graphs (n, k, k) with
``factors=True``), recovery of a factor-structured SEM, projected graphs that are DAGs, the
weights' layout (the gradient through the softmax assignment is checked in
test_bayesian_networks.py and the C++ tests), determinism
across thread counts, the fitted state surviving pickle, and bad inputs naming the argument.
"""
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from ctxstats import _core
from ctxstats.easy import ContextualizedBayesianNetworks
from conftest import short_bootstraps, short_fits

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from network_sim import is_dag  # noqa: E402

short_schedule = pytest.mark.filterwarnings(
    "ignore:the augmented Lagrangian stopped:ctxstats.ConvergenceWarning")


def factor_sem(n, seed=0):
    """Features {0, 1, 2} (factor A) drive {3, 4, 5} (factor B): x_j = (1 + c) mean(x_A) + e_j,
    so the feature graph has W[i, j] = (1 + c) / 3 for i in A, j in B and 0 elsewhere."""
    rng = np.random.default_rng(seed)
    C = rng.uniform(-1, 1, size=(n, 1))
    X = np.empty((n, 6))
    X[:, :3] = rng.normal(size=(n, 3))
    X[:, 3:] = (1 + C) * X[:, :3].mean(axis=1, keepdims=True) + 0.5 * rng.normal(size=(n, 3))
    W = np.zeros((n, 6, 6))
    W[:, :3, 3:] = ((1 + C[:, 0]) / 3)[:, None, None]
    return C, X, W


@short_fits
@short_schedule
def test_the_peers_factor_test_and_shapes():
    rng = np.random.default_rng(0)
    C = rng.uniform(-0.5, 0.5, size=(100, 4))
    X = rng.uniform(-0.5, 0.5, size=(100, 5))
    model = ContextualizedBayesianNetworks(encoder_type="ngam", num_archetypes=16, num_factors=2)
    model.fit(C, X, max_epochs=10)
    assert model.predict_networks(C, individual_preds=False).shape == (100, 5, 5)
    assert model.predict_networks(C, factors=True).shape == (100, 2, 2)
    model.fit(C, X, max_epochs=0)
    err_init = model.measure_mses(C, X)
    model.fit(C, X, max_epochs=10)
    assert np.mean(model.measure_mses(C, X)) < np.mean(err_init)


def test_recovers_a_factor_structured_sem_and_projects_to_dags():
    C, X, W_true = factor_sem(3000, seed=1)
    model = ContextualizedBayesianNetworks(num_factors=2).fit(C, X)
    W = model.predict_networks(C, project_to_dag=False)
    assert np.all(np.diagonal(W, axis1=1, axis2=2) == 0)
    assert np.max(np.abs(W - W_true)) < 0.08
    Wf = model.predict_networks(C, factors=True, project_to_dag=False)
    assert Wf.shape == (3000, 2, 2) and np.all(np.diagonal(Wf, axis1=1, axis2=2) == 0)
    # The factor graph's one edge, A -> B, is (1 + c) (each B feature averages A's three).
    a = int(np.argmax(np.abs(Wf[:, 0, 1]).mean() < np.abs(Wf[:, 1, 0]).mean()))
    assert np.max(np.abs(Wf[:, a, 1 - a] - (1 + C[:, 0]))) < 0.2
    projected = model.predict_networks(C[:200])
    assert all(is_dag(w) for w in projected)
    assert np.allclose(model.predict_X(C, X, project_to_dag=False), np.einsum("ni,nij->nj", X, W))


def test_the_weights_are_the_k_node_encoders_and_the_logits():
    opts = dict(family="gaussian", encoder="linear", archetypes=2)
    nw = _core.network_n_weights("bayesian", opts, 1, 6, {"num_factors": 3})
    assert nw == _core.network_n_weights("bayesian", opts, 1, 3) + 3 * 6


@short_fits
@short_schedule
@short_bootstraps
def test_bitwise_identical_for_any_thread_count_and_pickled():
    C, X, _ = factor_sem(900, seed=2)
    opts = dict(num_factors=2, encoder_type="mlp", num_archetypes=3, width=4, layers=1, max_epochs=30,
                n_bootstraps=2)
    a = ContextualizedBayesianNetworks(threads=1, **opts).fit(C, X)
    b = ContextualizedBayesianNetworks(threads=2, **opts).fit(C, X)
    assert np.array_equal(a.model_["replicate_weights"], b.model_["replicate_weights"])
    assert np.array_equal(a.predict_networks(C, individual_preds=True), b.predict_networks(C, individual_preds=True))
    c = pickle.loads(pickle.dumps(a))
    assert c.model_["dag"]["num_factors"] == 2
    assert np.array_equal(c.predict_networks(C, factors=True), a.predict_networks(C, factors=True))


def test_bad_inputs_name_the_argument():
    C, X, _ = factor_sem(60, seed=4)
    with pytest.raises(ValueError, match="num_factors"):
        ContextualizedBayesianNetworks(num_factors=6).fit(C, X)
    with pytest.raises(ValueError, match="num_factors"):
        ContextualizedBayesianNetworks(num_factors=1).fit(C, X)
    with pytest.raises(ValueError, match="num_factors"):
        ContextualizedBayesianNetworks(num_factors=-2).fit(C, X)
    with pytest.raises(TypeError, match="num_factors"):
        ContextualizedBayesianNetworks(num_factors=2.5).fit(C, X)
    with pytest.raises(ValueError, match="factor_mat_l1"):
        ContextualizedBayesianNetworks(num_factors=2, factor_mat_l1=-1.0).fit(C, X)
    plain = ContextualizedBayesianNetworks(max_epochs=0).fit(C, X)
    with pytest.raises(ValueError, match="num_factors"):
        plain.predict_networks(C, factors=True)
    with pytest.raises(TypeError, match="factors"):
        plain.predict_networks(C, factors="yes")
