"""One network model file for both languages: a network saved in Python loads in R as a
ctx_network and the reverse, and predicts bitwise identically (through rpy2, marker
``against_r``; tests/test_network_file.py covers the Python side alone)."""
import warnings

import numpy as np
import pytest

import ctxstats
from conftest import short_bootstraps, short_fits
from ctxstats import easy
from rsupport import as_array, r_matrix, r_package

pytestmark = [pytest.mark.against_r, short_fits, short_bootstraps]


@pytest.fixture(scope="module")
def ro():  # the R package, loaded once for the module
    return r_package()


def data():
    rng = np.random.default_rng(12)
    C = rng.uniform(-1, 1, size=(150, 2))
    X = rng.normal(size=(150, 4))
    X[:, 1] += (0.5 + C[:, 0]) * X[:, 0]
    X[:, 2] += 0.8 * X[:, 1]
    return C, X


PY_CASES = [
    (easy.ContextualizedCorrelationNetworks, {"n_bootstraps": 3}),
    (easy.ContextualizedMarkovNetworks, {"encoder_type": "mlp", "width": 4, "layers": 1, "max_epochs": 20}),
    (easy.ContextualizedBayesianNetworks, {"num_archetypes": 3, "max_epochs": 30, "n_bootstraps": 2}),
    (easy.ContextualizedBayesianNetworks, {"num_factors": 2, "max_epochs": 30, "dag_schedule": "fixed"}),
]


@pytest.mark.parametrize("cls,opts", PY_CASES, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(PY_CASES)])
def test_python_network_loads_in_r_and_predicts_identically(ro, tmp_path, cls, opts):
    C, X = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = cls(**opts).fit(C, X)
    path = tmp_path / "py.ctxm"
    net.save(path)
    ro.globalenv["C"] = r_matrix(ro, C)
    ro.globalenv["X"] = r_matrix(ro, X)
    ro.r(f'back <- ctx_load("{path}")')
    assert list(ro.r("class(back)")) == ["ctx_network"]
    bayes = cls is easy.ContextualizedBayesianNetworks
    assert np.array_equal(as_array(ro.r("predict(back, C, individual = TRUE)")),
                          net.predict_networks(C, individual_preds=True))
    assert np.array_equal(as_array(ro.r('predict(back, C, X, type = "mses")')), net.measure_mses(C, X))
    assert np.array_equal(as_array(ro.r('predict(back, C, X, type = "x", individual = TRUE)')),
                          net.predict_X(C, X, individual_preds=True))
    if not bayes:
        assert np.array_equal(as_array(ro.r('predict(back, C, type = "offsets", individual = TRUE)')),
                              net.predict_networks(C, individual_preds=True, with_offsets=True)[1])
    # A Python network keeps no training data: R asks for newcontext.
    with pytest.raises(Exception, match="newcontext"):
        ro.r("predict(back)")


R_CASES = [
    ('ctx_correlation_network(X, C, n_bootstraps = 3)', easy.ContextualizedCorrelationNetworks),
    ('ctx_markov_network(X, C, encoder = "ngam", width = 4, depth = 1, max_iter = 20)',
     easy.ContextualizedMarkovNetworks),
    ('ctx_bayesian_network(X, C, archetypes = 3, max_iter = 30, dag = list(sample_specific_alpha = 0.5))',
     easy.ContextualizedBayesianNetworks),
    ('ctx_bayesian_network(X, C, max_iter = 30, n_bootstraps = 2, dag = list(num_factors = 2))',
     easy.ContextualizedBayesianNetworks),
]


@pytest.mark.parametrize("call,cls", R_CASES, ids=[f"{c.__name__}-{i}" for i, (_, c) in enumerate(R_CASES)])
def test_r_network_loads_in_python_and_predicts_identically(ro, tmp_path, call, cls):
    C, X = data()
    ro.globalenv["C"] = r_matrix(ro, C)
    ro.globalenv["X"] = r_matrix(ro, X)
    path = tmp_path / "r.ctxm"
    ro.r(f'net <- suppressWarnings({call}); ctx_save(net, "{path}")')
    back = ctxstats.load(path)
    assert type(back) is cls
    assert np.array_equal(back.predict_networks(C, individual_preds=True),
                          as_array(ro.r("predict(net, individual = TRUE)")))
    assert np.array_equal(back.measure_mses(C, X), as_array(ro.r('predict(net, type = "mses")')))
    assert np.array_equal(back.predict_X(C, X, individual_preds=True),
                          as_array(ro.r('predict(net, type = "x", individual = TRUE)')))
    assert back.n_bootstraps_ == int(ro.r("nrow(net$model$replicate_weights)")[0])
    assert back.feature_names_ == list(ro.r("net$features"))
