"""Fitted networks in the core's model file (ctxstats.network_file, csrc/model/network_file.*):
every network estimator -- correlation, Markov, Bayesian with archetypes and with factor
graphs, bootstrapped or not -- saves and loads with every prediction bitwise equal; damaged,
truncated and crafted files (records of the wrong shape, values out of range) are refused with
a ValueError naming what is wrong. The C++ reader has its own tests (tests/cpp/test_network_file);
the other language's side is tests/test_network_file_vs_r.py."""
import io
import warnings

import numpy as np
import pytest

import ctxstats
from ctxstats.model_file import is_model_file
import model_file_format as mff
from conftest import short_bootstraps, short_fits
from ctxstats.easy import (
    ContextualizedBayesianNetworks,
    ContextualizedCorrelationNetworks,
    ContextualizedMarkovNetworks,
)

pytestmark = [short_fits, short_bootstraps]


def data(seed=4, n=160):
    rng = np.random.default_rng(seed)
    C = rng.uniform(-1, 1, size=(n, 2))
    X = rng.normal(size=(n, 4))
    X[:, 1] += (0.5 + C[:, 0]) * X[:, 0]
    X[:, 2] += 0.8 * X[:, 1]
    return C, X


CASES = {
    "correlation": (ContextualizedCorrelationNetworks, {"n_bootstraps": 3}),
    "correlation-mlp": (ContextualizedCorrelationNetworks, {"encoder_type": "mlp", "width": 4, "layers": 1,
                                                            "max_epochs": 20, "num_archetypes": 3}),
    "markov": (ContextualizedMarkovNetworks, {}),
    "markov-ngam": (ContextualizedMarkovNetworks, {"encoder_type": "ngam", "width": 4, "layers": 1,
                                                   "max_epochs": 20, "n_bootstraps": 2}),
    "bayesian-archetypes": (ContextualizedBayesianNetworks, {"num_archetypes": 3, "max_epochs": 30,
                                                             "n_bootstraps": 2, "archetype_dag_loss_type": "poly"}),
    "bayesian-factors": (ContextualizedBayesianNetworks, {"num_factors": 2, "factor_mat_l1": 0.01,
                                                          "max_epochs": 30, "dag_schedule": "fixed"}),
    "bayesian-untrained": (ContextualizedBayesianNetworks, {"max_epochs": 0}),
}


def fitted(name):
    cls, opts = CASES[name]
    C, X = data()
    with warnings.catch_warnings():  # short fits on purpose: the file, not convergence, is the point
        warnings.simplefilter("ignore")
        return cls(**opts).fit(C, X), C, X


def predictions(est, C, X):
    """Everything the estimator predicts, for bitwise comparison."""
    out = {"networks": est.predict_networks(C, individual_preds=True),
           "mean": est.predict_networks(C), "x": est.predict_X(C, X, individual_preds=True),
           "mses": est.measure_mses(C, X)}
    params = est.predict_params(C, individual_preds=True)
    for k, a in enumerate(params if isinstance(params, tuple) else (params,)):
        out[f"params{k}"] = a
    if isinstance(est, ContextualizedCorrelationNetworks):
        out["rho"] = est.predict_correlation(C, squared=False)
        out["offsets"] = est.predict_networks(C, with_offsets=True)[1]
    if isinstance(est, ContextualizedMarkovNetworks):
        out["omega"] = est.predict_precisions(C)
    if isinstance(est, ContextualizedBayesianNetworks):
        out["raw"] = est.predict_networks(C, individual_preds=True, project_to_dag=False)
        if est.num_factors:
            out["factors"] = est.predict_params(C, factors=True)
    if est.n_bootstraps_ >= 2:
        out["edges"] = est.edge_inference(C)["upper"]
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_round_trip_predicts_bitwise_identically(name, tmp_path):
    est, C, X = fitted(name)
    path = tmp_path / "net.ctxm"
    est.save(path)
    assert is_model_file(path)
    back = ctxstats.load(path)
    assert type(back) is type(est)
    assert back.get_params() == est.get_params()
    assert (back.context_dim, back.x_dim, back.n_bootstraps_, back.feature_names_) == \
        (est.context_dim, est.x_dim, est.n_bootstraps_, est.feature_names_)
    before, after = predictions(est, C, X), predictions(back, C, X)
    for key in before:
        assert np.array_equal(before[key], after[key]), key
    # Saving the loaded network writes the same bytes.
    buf = io.BytesIO()
    ctxstats.save(back, buf)
    assert buf.getvalue() == path.read_bytes()


def test_file_objects_and_names(tmp_path):
    import pandas as pd

    C, X = data()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = ContextualizedMarkovNetworks().fit(C, frame)
    buf = io.BytesIO()
    est.save(buf)
    buf.seek(0)
    back = ctxstats.load(buf)
    assert back.feature_names_ == ["a", "b", "c", "d"]
    assert np.array_equal(back.predict_precisions(C), est.predict_precisions(C))


def test_unfitted_network_saves_in_the_plain_format(tmp_path):
    est = ContextualizedBayesianNetworks(num_archetypes=4, sample_specific_alpha=0.5)
    path = tmp_path / "unfitted.ctxstats"
    est.save(path)
    back = ctxstats.load(path)
    assert type(back) is ContextualizedBayesianNetworks and back.get_params() == est.get_params()
    with pytest.raises(ValueError, match="not fitted"):
        back.predict_networks(np.zeros((2, 2)))


@pytest.fixture(scope="module")
def saved_bytes(tmp_path_factory):
    est, _, _ = fitted("bayesian-archetypes")
    buf = io.BytesIO()
    est.save(buf)
    return buf.getvalue()


def load_bytes(raw, tmp_path):
    path = tmp_path / "bad.ctxm"
    path.write_bytes(raw)
    return ctxstats.load(path)


@pytest.mark.parametrize("cut", [9, 16, 40, 0.5, -9, -1])
def test_truncated_file_is_refused(saved_bytes, tmp_path, cut):
    n = int(len(saved_bytes) * cut) if isinstance(cut, float) else cut
    with pytest.raises(ValueError):
        load_bytes(saved_bytes[:n], tmp_path)


def test_damaged_byte_fails_the_checksum(saved_bytes, tmp_path):
    raw = bytearray(saved_bytes)
    raw[len(raw) // 2] ^= 0x55
    with pytest.raises(ValueError, match="checksum"):
        load_bytes(bytes(raw), tmp_path)


def crafted(raw, **changes):
    records = mff.parse(raw)
    for name, value in changes.items():
        if value is None:
            del records[name.replace("__", "/")]
        else:
            records[name.replace("__", "/")] = value
    return mff.serialize(records)


@pytest.mark.parametrize("changes,message", [
    ({"weights": mff.doubles(np.ones(5))}, "weights"),
    ({"replicates__weights": (1, (2, 3), np.ones(6))}, "replicates/weights"),
    ({"replicates__residual_variance": (1, (2, 3), np.ones(6))}, "replicates/residual_variance"),
    ({"scaling__x_mean": mff.doubles(np.zeros(3))}, "scaling/x_mean"),
    ({"names__features": (3, (2,), ["a", "b"])}, "feature names"),
    ({"model__p": (2, (), [5])}, "x_mean"),
    ({"model__p": (2, (), [10 ** 6])}, "x_mean"),
    ({"network__type": (3, (), ["tree"])}, "type"),
    ({"dag__archetype_alpha": (1, (), [-1.0])}, "alpha"),
    ({"dag__num_factors": (2, (), [9])}, "num_factors"),
    ({"replicates__converged": (2, (2,), [0, 7])}, "replicates/converged"),
    ({"network__fitted_dag": None}, "network/fitted_dag"),
    ({"weights": None}, "weights"),
])
def test_crafted_file_is_refused_naming_the_problem(saved_bytes, tmp_path, changes, message):
    with pytest.raises(ValueError, match=message):
        load_bytes(crafted(saved_bytes, **changes), tmp_path)


def test_nan_weight_is_refused(saved_bytes, tmp_path):
    records = mff.parse(saved_bytes)
    w = np.array(records["weights"][2], dtype=float)
    w[0] = np.nan
    records["weights"] = mff.doubles(w)
    with pytest.raises(ValueError, match="weights"):
        load_bytes(mff.serialize(records), tmp_path)


def test_glm_file_and_network_file_are_told_apart(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"y": rng.normal(size=80), "x": rng.normal(size=80), "c": rng.normal(size=80)})
    res = ctxstats.ContextualizedRegression(df["y"], df[["x"]], df[["c"]], encoder="linear").fit()
    path = tmp_path / "glm.ctxm"
    ctxstats.save(res, path)
    assert type(ctxstats.load(path)).__name__ == "ContextualizedGLMResults"
    with pytest.raises(ValueError, match="kind 'glm'"):
        ctxstats._core.network_from_bytes(path.read_bytes())
