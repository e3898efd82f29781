"""Contextualized networks: the R package (ctx_network) against the Python package, the same
core, bit for bit, with the same data, options and seed."""
import numpy as np
import pytest

from conftest import short_bootstraps, short_fits
from ctxstats.easy import (
    ContextualizedBayesianNetworks,
    ContextualizedCorrelationNetworks,
    ContextualizedMarkovNetworks,
)
from rsupport import as_array, r_matrix, r_package

pytestmark = [pytest.mark.against_r, short_fits, short_bootstraps]


@pytest.fixture(scope="module")
def ro():
    return r_package()


CASES = [
    ("correlation", {}, {}),
    ("markov", {"n_bootstraps": 3}, {"n_bootstraps": 3}),
    ("markov", {"encoder_type": "mlp", "width": 6, "layers": 1, "max_epochs": 40},
     {"encoder": "mlp", "width": 6, "depth": 1, "max_iter": 40}),
    ("correlation", {"alpha": 0.2, "random_state": 5}, {"alpha": 0.2, "seed": 5}),
]


@pytest.mark.parametrize("kind,py_opts,r_opts", CASES)
def test_r_and_python_networks_are_identical(ro, kind, py_opts, r_opts):
    rng = np.random.default_rng(8)
    C = rng.normal(size=(250, 2))
    X = rng.normal(size=(250, 4))
    X[:, 1] += (0.5 + C[:, 0]) * X[:, 0]
    cls = ContextualizedCorrelationNetworks if kind == "correlation" else ContextualizedMarkovNetworks
    py = cls(**py_opts).fit(C, X)
    ro.globalenv["X"] = r_matrix(ro, X)
    ro.globalenv["C"] = r_matrix(ro, C)
    args = "".join(f", {k} = {v!r}" if not isinstance(v, str) else f', {k} = "{v}"' for k, v in r_opts.items())
    ro.r(f'net <- suppressWarnings(ctx_network(X, C, type = "{kind}"{args}))')
    betas = as_array(ro.r('predict(net, type = "networks", individual = TRUE)'))
    assert np.array_equal(betas, py.predict_networks(C, individual_preds=True))
    mus = as_array(ro.r('predict(net, type = "offsets", individual = TRUE)'))
    assert np.array_equal(mus, py.predict_networks(C, individual_preds=True, with_offsets=True)[1])
    mses = as_array(ro.r('predict(net, type = "mses", individual = TRUE)'))
    assert np.array_equal(mses, py.measure_mses(C, X, individual_preds=True))
    if kind == "markov":
        omega = as_array(ro.r('predict(net, type = "precision", individual = TRUE)'))
        assert np.array_equal(omega, py.predict_precisions(C))
    else:
        rho = as_array(ro.r('predict(net, type = "correlation", individual = TRUE)'))
        assert np.array_equal(rho, py.predict_correlation(C, squared=False))
    # The means over replicates come from the core in both languages: the same bits.
    assert np.array_equal(as_array(ro.r('predict(net, type = "networks")')), py.predict_networks(C))
    assert np.array_equal(as_array(ro.r('predict(net, type = "mses")')), py.measure_mses(C, X))
    assert np.array_equal(as_array(ro.r('predict(net, type = "squared")')),
                          (py.predict_correlation(C, individual_preds=False) if kind == "correlation"
                           else py.predict_partial_correlations(C, individual_preds=False, squared=True)))


BAYES_CASES = [
    ({}, {}, ""),
    ({"n_bootstraps": 3, "sample_specific_alpha": 0.5}, {"n_bootstraps": 3}, "list(sample_specific_alpha = 0.5)"),
    ({"encoder_type": "mlp", "width": 6, "layers": 1, "num_archetypes": 4, "max_epochs": 40,
      "archetype_dag_loss_type": "poly"},
     {"encoder": "mlp", "width": 6, "depth": 1, "archetypes": 4, "max_iter": 40},
     'list(archetype_dag_loss_type = "poly")'),
    ({"num_factors": 2, "factor_mat_l1": 0.01, "n_bootstraps": 2}, {"n_bootstraps": 2},
     "list(num_factors = 2, factor_mat_l1 = 0.01)"),
]


@pytest.mark.parametrize("py_opts,r_opts,dag", BAYES_CASES)
def test_r_and_python_bayesian_networks_are_identical(ro, py_opts, r_opts, dag):
    rng = np.random.default_rng(9)
    C = rng.uniform(-1, 1, size=(250, 2))
    X = rng.normal(size=(250, 4))
    X[:, 1] += 1.2 * C[:, 0] * X[:, 0]
    X[:, 2] += 0.8 * X[:, 1]
    py = ContextualizedBayesianNetworks(**py_opts).fit(C, X)
    ro.globalenv["X"] = r_matrix(ro, X)
    ro.globalenv["C"] = r_matrix(ro, C)
    args = "".join(f", {k} = {v!r}" if not isinstance(v, str) else f', {k} = "{v}"' for k, v in r_opts.items())
    if dag:
        args += f", dag = {dag}"
    ro.r(f"net <- suppressWarnings(ctx_bayesian_network(X, C{args}))")
    W = as_array(ro.r('predict(net, individual = TRUE)'))
    assert np.array_equal(W, py.predict_networks(C, individual_preds=True))
    raw = as_array(ro.r('predict(net, individual = TRUE, project_to_dag = FALSE)'))
    assert np.array_equal(raw, py.predict_networks(C, individual_preds=True, project_to_dag=False))
    assert np.array_equal(as_array(ro.r('predict(net, threshold = 0.1)')), py.predict_networks(C, threshold=0.1))
    assert np.array_equal(as_array(ro.r('predict(net, type = "mses")')), py.measure_mses(C, X))
    assert np.array_equal(as_array(ro.r('predict(net, type = "x", individual = TRUE)')),
                          py.predict_X(C, X, individual_preds=True))
