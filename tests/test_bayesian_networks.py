"""Contextualized Bayesian networks (NOTMAD; csrc/networks/, ctxstats.easy).

The peer's interface and shapes (its quick test with max_epochs=0 as the reference error),
projected graphs that are DAGs, recovery of a DAG whose edges change with context (a mixture of
two DAGs), the objective's gradient against finite differences, determinism across thread
counts, the mean over bootstrap replicates, and bad inputs.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

from ctxstats import _core
from ctxstats.easy import ContextualizedBayesianNetworks
from conftest import short_bootstraps, short_fits

# Deliberately short fits (max_epochs of the peer's quick tests) may stop the augmented
# Lagrangian before the graphs are acyclic; the projection then removes the cycles.
short_schedule = pytest.mark.filterwarnings(
    "ignore:the augmented Lagrangian stopped:ctxstats.ConvergenceWarning")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from network_sim import auroc, is_dag, mixture_sem  # noqa: E402


@pytest.fixture(scope="module")
def sem():
    return mixture_sem(2000, 6, seed=1)


@short_fits
@short_schedule
@pytest.mark.parametrize("opts", [
    {},
    {"encoder_type": "mlp", "num_archetypes": 4, "width": 8, "layers": 1, "max_epochs": 60},
    {"encoder_type": "ngam", "num_archetypes": 4, "width": 4, "layers": 1, "max_epochs": 30,
     "archetype_dag_loss_type": "DAGMA"},
    {"sample_specific_dag_loss_type": "poly", "archetype_dag_loss_type": "poly", "num_archetypes": 3,
     "max_epochs": 60},
])
def test_the_peers_quick_test_and_shapes(opts):
    rng = np.random.default_rng(0)
    C = rng.uniform(-0.5, 0.5, size=(100, 4))
    X = rng.uniform(-0.5, 0.5, size=(100, 5))
    model = ContextualizedBayesianNetworks(**opts)
    model.fit(C, X, max_epochs=0)
    err_init = model.measure_mses(C, X)
    model.fit(C, X, learning_rate=1e-3)
    err_trained = model.measure_mses(C, X)
    W = model.predict_networks(C)
    assert W.shape == (100, 5, 5)
    assert np.mean(err_trained) < np.mean(err_init)
    assert np.isfinite(W).all() and np.all(np.diagonal(W, axis1=1, axis2=2) == 0)
    assert model.predict_networks(C, individual_preds=True).shape == (1, 100, 5, 5)
    assert model.predict_X(C, X).shape == (100, 5)
    assert err_trained.shape == (100,)


def test_projected_networks_are_dags_and_unprojected_ones_are_the_core_weights(sem):
    C, X, _ = sem
    model = ContextualizedBayesianNetworks(dag_schedule="fixed").fit(C, X)
    raw = model.predict_networks(C, project_to_dag=False)
    assert not all(is_dag(w) for w in raw[:50])  # the peer's fixed penalty leaves cycles
    W = model.predict_networks(C)
    assert all(is_dag(w) for w in W)
    kept = W != 0
    assert np.array_equal(W[kept], raw[kept])  # projection only removes edges
    t = model.predict_networks(C, threshold=0.3)
    assert np.all((t == 0) | (np.abs(t) > 0.3))


def test_recovers_a_dag_whose_edges_change_with_context(sem):
    C, X, W_true = sem
    model = ContextualizedBayesianNetworks().fit(C, X)
    W = model.predict_networks(C)
    off = ~np.eye(6, dtype=bool)
    score = np.abs(W[:, off]).ravel()
    label = (np.abs(W_true[:, off]) > 0.1).ravel()
    assert auroc(score, label) > 0.9
    rmse = np.sqrt(np.mean((W[:, off] - W_true[:, off]) ** 2))
    assert rmse < 0.15
    # X reconstructed from each row's own graph: x W.
    assert np.allclose(model.predict_X(C, X), np.einsum("ni,nij->nj", X, W))


@pytest.mark.parametrize("options,dag", [
    ({"encoder": "linear"}, {"sample_specific_l1": 0.05, "sample_specific_rho": 0.2}),
    ({"encoder": "mlp", "width": 3, "depth": 1, "archetypes": 3, "weight_decay": 0.01},
     {"archetype_alpha": 0.4, "archetype_rho": 0.3, "archetype_l1": 0.02}),
    ({"encoder": "linear", "archetypes": 2}, {"archetype_dag_loss_type": "poly", "sample_specific_dag_loss_type": "DAGMA",
                                              "sample_specific_s": 2.0}),
    # Factor graphs: through the softmax assignment too (its logits close the weights).
    ({"encoder": "linear", "archetypes": 2}, {"num_factors": 3, "factor_mat_l1": 0.05, "sample_specific_l1": 0.02,
                                              "archetype_rho": 0.2}),
])
def test_objective_gradient_matches_finite_differences(options, dag):
    C, X, _ = mixture_sem(40, 4, seed=3)
    opts = dict(family="gaussian", **options)
    nw = _core.network_n_weights("bayesian", opts, C.shape[1], X.shape[1], dag)
    w = np.random.default_rng(1).normal(scale=0.3, size=nw)
    _, g = _core.network_objective("bayesian", C, X, None, opts, w, dag)
    fd = np.empty(nw)
    for k in range(nw):
        e = np.zeros(nw)
        e[k] = 1e-6
        fd[k] = (_core.network_objective("bayesian", C, X, None, opts, w + e, dag)[0]
                 - _core.network_objective("bayesian", C, X, None, opts, w - e, dag)[0]) / 2e-6
    assert np.max(np.abs(fd - g) / np.maximum(1, np.abs(fd))) < 1e-6


@short_fits
@short_schedule
@short_bootstraps
@pytest.mark.parametrize("opts", [{"n_bootstraps": 3}, {"encoder_type": "mlp", "num_archetypes": 4, "width": 6,
                                                        "layers": 1, "max_epochs": 40, "n_bootstraps": 2}])
def test_bitwise_identical_for_any_thread_count_and_the_core_mean(sem, opts):
    C, X, _ = sem
    a = ContextualizedBayesianNetworks(threads=1, **opts).fit(C[:900], X[:900])
    b = ContextualizedBayesianNetworks(threads=2, **opts).fit(C[:900], X[:900])
    assert np.array_equal(a.model_["replicate_weights"], b.model_["replicate_weights"])
    each = a.predict_networks(C[:50], individual_preds=True)
    assert each.shape == (opts["n_bootstraps"], 50, 6, 6)
    assert np.allclose(a.predict_networks(C[:50]), each.mean(axis=0), rtol=0, atol=1e-14)
    assert np.allclose(a.measure_mses(C[:50], X[:50]), a.measure_mses(C[:50], X[:50], individual_preds=True).mean(0))


def test_bad_inputs_name_the_argument():
    C, X, _ = mixture_sem(60, 4, seed=2)
    with pytest.raises(ValueError, match="num_factors"):
        ContextualizedBayesianNetworks(num_factors=4).fit(C, X)  # not fewer than the 4 features
    with pytest.raises(ValueError, match="num_factors"):
        ContextualizedBayesianNetworks(num_factors=1).fit(C, X)
    with pytest.raises(ValueError, match="NOTEARS"):
        ContextualizedBayesianNetworks(archetype_dag_loss_type="cubic", num_archetypes=2).fit(C, X)
    with pytest.raises(ValueError, match="sample_specific_alpha"):
        ContextualizedBayesianNetworks(sample_specific_alpha=-1.0).fit(C, X)
    with pytest.raises(ValueError, match="dag_schedule"):
        ContextualizedBayesianNetworks(dag_schedule="annealed").fit(C, X)
    with pytest.raises(ValueError, match="init_mat"):
        ContextualizedBayesianNetworks(init_mat=np.zeros((4, 4)))
    with pytest.raises(ValueError, match="num_archetypes=1"):
        ContextualizedBayesianNetworks(num_archetypes=1).fit(C, X)
    with pytest.raises(ValueError, match="solver"):
        ContextualizedBayesianNetworks(solver="exact").fit(C, X)
    with pytest.raises(TypeError, match="unexpected"):
        ContextualizedBayesianNetworks(archetype_beta=1.0)
    with pytest.raises(ValueError, match="threshold"):
        ContextualizedBayesianNetworks().fit(C, X).predict_networks(C, threshold=-1)
    with pytest.raises(ValueError, match="not Bayesian"):
        _core.network_correlations(ContextualizedBayesianNetworks().fit(C, X).model_, C, False)
    with pytest.raises(ValueError, match="not fitted"):
        ContextualizedBayesianNetworks().predict_networks(C)
    with pytest.warns(UserWarning, match="no offsets"):
        ContextualizedBayesianNetworks().fit(C, X).predict_networks(C, with_offsets=True)


def test_the_peers_nested_dag_options_are_read():
    C, X, _ = mixture_sem(200, 4, seed=4)
    flat = ContextualizedBayesianNetworks(num_archetypes=2, archetype_dag_loss_type="poly", archetype_alpha=0.5,
                                          sample_specific_rho=0.2).fit(C, X)
    nested = ContextualizedBayesianNetworks(
        num_archetypes=2, archetype_dag_params={"loss_type": "poly", "params": {"alpha": 0.5}},
        sample_specific_loss_params={"loss_type": "NOTEARS", "params": {"rho": 0.2, "tol": 0.25}}).fit(C, X)
    assert np.array_equal(flat.model_["weights"], nested.model_["weights"])
