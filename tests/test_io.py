"""Persistence: the versioned file format and pickle, both exact."""
import io
import json
import pickle

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from ctxstats.easy import ContextualGAMClassifier, ContextualizedRegressor
from conftest import make_vcm, short_bootstraps, short_fits
import model_file_format as mff

# Round trips of short neural fits and easy estimators at a few epochs.
pytestmark = [short_fits, short_bootstraps]


def same(a, b, where="obj"):
    """Deep, exact equality of two ctxstats objects' data (arrays bitwise, dtypes included)."""
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True), where
    elif isinstance(a, (pd.DataFrame, pd.Series, pd.Index)):
        assert a.equals(b), where
        if not isinstance(a, pd.Index):
            same(a.index, b.index, where + ".index")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, cs._core.FittedModel):
        assert a.to_bytes() == b.to_bytes(), where
    elif hasattr(a, "__dict__") and type(a).__module__.startswith("ctxstats"):
        # `_cache` holds derived values, recomputed on demand; files store it empty.
        same({k: v for k, v in vars(a).items() if k != "_cache"},
             {k: v for k, v in vars(b).items() if k != "_cache"}, where)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


def fits():
    d = make_vcm(n=150, p=2, m=2, nonlinear=True)
    b = make_vcm(n=150, p=2, m=2, family="binomial")
    y = pd.Series(d["y"], name="outcome", index=[f"s{i}" for i in range(150)])
    X = pd.DataFrame(d["X"], columns=["dose", "age"], index=y.index)
    C = pd.DataFrame(d["C"], columns=["bmi", "site"], index=y.index)
    yield "linear-exact", cs.ContextualizedRegression(y, X, C, encoder="linear").fit()
    # Short fits on purpose: saving and loading, not convergence, is the point.
    with pytest.warns(cs.ConvergenceWarning, match="L-BFGS reached max_iter=40"):
        mlp = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4).fit(max_iter=40)
    yield "mlp-lbfgs", mlp
    with pytest.warns(cs.ConvergenceWarning, match="Adam reached max_iter=5"):
        ngam = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="ngam", width=3, archetypes=3,
                                           weights=np.linspace(0.5, 2, 150)).fit(solver="adam", max_iter=5)
    yield "ngam-archetypes-adam", ngam
    with pytest.warns(cs.ConvergenceWarning, match="L-BFGS reached max_iter=30"):
        logit = cs.ContextualizedLogit(b["y"], b["X"], b["C"], width=4, activation="tanh").fit(max_iter=30)
    yield "logit-mlp", logit


FITS = list(fits())


def same_fit(res, back):
    """A fit loaded from the core's model file equals the original in everything it reports:
    the model's class, data, names and options, the fit's weights, scaling, solver report,
    replicates and inference, bit for bit."""
    assert type(back) is type(res) and type(back.model) is type(res.model)
    for name in ("endog", "exog", "context", "weights"):
        same(getattr(res.model, name), getattr(back.model, name), f"model.{name}")
    assert back.model.param_names == res.model.param_names
    assert back.model.context_names == res.model.context_names
    assert back.model.encoder_options == res.model.encoder_options
    for name in ("weights", "scaling", "solver", "n_iter", "converged", "objective", "history", "val_history",
                 "message", "rank_deficient", "interrupted", "spline_fit", "bootstrap_weights",
                 "bootstrap_converged", "bootstrap_n_iter", "n_bootstraps", "cov_type"):
        same(getattr(res, name), getattr(back, name), name)
    assert {k: np.asarray(v).tolist() for k, v in res.options.items()} == \
        {k: np.asarray(v).tolist() for k, v in back.options.items()}
    assert type(back.inference) is type(res.inference) and back.inference.config == res.inference.config
    assert back.sample_params.equals(res.sample_params)
    same(res.sample_params.index, back.sample_params.index)


@pytest.mark.parametrize("name,res", FITS, ids=[f[0] for f in FITS])
def test_saved_results_load_exactly_and_predict_bitwise(name, res, tmp_path):
    path = tmp_path / "fit.ctxstats"
    res.save(path)
    assert path.exists() and not (tmp_path / "fit.ctxstats.npz").exists()
    assert path.read_bytes()[:8] == b"CTXSTATS"  # the core's model file, which R reads too
    back = cs.load(path)
    same_fit(res, back)
    C_new = res.model.context[:7] * 1.1 + 0.05
    X_new = res.model.exog[:7] - 0.3
    assert np.array_equal(back.predict(X_new, C_new), res.predict(X_new, C_new))
    assert np.array_equal(back.predict_params(C_new).to_numpy(), res.predict_params(C_new).to_numpy())
    assert str(back.summary()) == str(res.summary())


@pytest.mark.parametrize("name,res", FITS, ids=[f[0] for f in FITS])
def test_results_pickle_exactly(name, res):
    back = pickle.loads(pickle.dumps(res))
    same(res, back)
    assert np.array_equal(back.fittedvalues, res.fittedvalues)


def test_results_hold_only_plain_data():
    # Guard for new attributes: what a results object holds must stay numpy arrays, numbers,
    # strings, lists/dicts of those, pandas labels and ctxstats objects, so that both pickle
    # and the file format carry it exactly.
    def walk(value, where):
        if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic, pd.Index)):
            return
        if isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]")
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{where}[{k!r}]")
        elif isinstance(value, cs._core.FittedModel):  # the core's model: saved as its own file
            return
        elif type(value).__module__.startswith("ctxstats") and hasattr(value, "__dict__"):
            for k, v in vars(value).items():
                if k != "_cache":  # derived values, not saved
                    walk(v, f"{where}.{k}")
        else:
            raise AssertionError(f"{where} is a {type(value).__name__}, not plain data")

    for _, res in FITS:
        walk(res, "results")


def test_model_saves_and_refits_identically(tmp_path):
    d = make_vcm(n=120)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4)
    model.save(tmp_path / "model.ctxstats")
    back = cs.load(tmp_path / "model.ctxstats")
    same(model, back)
    a, b = model.fit(max_iter=20), back.fit(max_iter=20)
    assert np.array_equal(a.sample_params.to_numpy(), b.sample_params.to_numpy())


@pytest.mark.parametrize("fitted", [True, False])
def test_easy_estimators_save_and_pickle(tmp_path, fitted):
    d = make_vcm(n=100, family="binomial")
    est = ContextualGAMClassifier(n_bootstraps=2, width=3, layers=1, max_epochs=3, train_batch_size=16,
                                  es_patience=float("inf"), threads=1)
    if fitted:
        est.fit(d["C"], d["X"], d["y"])
    est.save(tmp_path / "est.ctxstats")
    for back in (cs.load(tmp_path / "est.ctxstats"), pickle.loads(pickle.dumps(est))):
        same(est, back)
        assert back.get_params() == est.get_params()
        if fitted:
            assert np.array_equal(back.predict_proba(d["C"], d["X"]), est.predict_proba(d["C"], d["X"]))


def test_file_like_targets():
    d = make_vcm(n=80)
    est = ContextualizedRegressor(width=3, layers=1, max_epochs=2, threads=1).fit(d["C"], d["X"], d["y"])
    buf = io.BytesIO()
    cs.save(est, buf)
    buf.seek(0)
    back = cs.load(buf)
    assert np.array_equal(back.predict(d["C"], d["X"]), est.predict(d["C"], d["X"]))


def _rewrite_header(src, dst, change):
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(arrays["__header__"].tobytes().decode())
    change(header)
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(dst, "wb") as fh:
        np.savez(fh, **arrays)


def test_unknown_versions_and_foreign_files_are_refused(tmp_path):
    res = FITS[0][1].model  # an unfitted model: this module's zip format
    res.save(tmp_path / "ok")
    header = json.loads(np.load(tmp_path / "ok")["__header__"].tobytes().decode())
    assert header["format"] == "ctxstats" and header["format_version"] == 1 and "ctxstats_version" in header

    _rewrite_header(tmp_path / "ok", tmp_path / "v99", lambda h: h.update(format_version=99))
    with pytest.raises(ValueError, match=r"format version 99.*reads version\(s\) 1.*Upgrade"):
        cs.load(tmp_path / "v99")
    _rewrite_header(tmp_path / "ok", tmp_path / "alien",
                    lambda h: h.update(root={"__object__": "subprocess.Popen", "state": {}}))
    with pytest.raises(ValueError, match="not a ctxstats class"):
        cs.load(tmp_path / "alien")
    _rewrite_header(tmp_path / "ok", tmp_path / "gone",
                    lambda h: h.update(root={"__object__": "ctxstats.models.NoSuchModel", "state": {}}))
    with pytest.raises(ValueError, match="does not have"):
        cs.load(tmp_path / "gone")
    np.savez(tmp_path / "plain.npz", x=np.arange(3))
    with pytest.raises(ValueError, match="not a ctxstats file"):
        cs.load(tmp_path / "plain.npz")
    (tmp_path / "text").write_text("hello")
    with pytest.raises(ValueError, match="not a ctxstats file"):
        cs.load(tmp_path / "text")
    with pytest.raises(FileNotFoundError):
        cs.load(tmp_path / "missing")


def test_unsavable_attribute_is_named(tmp_path):
    d = make_vcm(n=60)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    model.callback = lambda: None
    with pytest.raises(TypeError, match=r"ContextualizedRegression\.callback.*function"):
        model.save(tmp_path / "x")


@pytest.mark.parametrize("record,value,match", [
    ("scaling/c_scale", [], "c_scale"),
    ("scaling/x_scale", [], "x_scale"),
    ("scaling/c_scale", [1.0], "c_scale"),
    ("scaling/c_scale", [0.0, 1.0], "scale is not positive"),
    ("scaling/x_mean", [np.nan, 0.0], "not finite"),
    ("weights", [1.0, 2.0], "weights. is not a vector of length 9"),
])
def test_a_crafted_model_file_is_refused_not_read_past(record, value, match, tmp_path):
    """A model file whose arrays do not match the model (issue 13: an empty c_scale crashed
    predict(), a one-element one predicted NaN) is refused on load with a ValueError naming the
    part; the file is crafted with a valid checksum by an independent writer."""
    d = make_vcm(n=100, p=2, m=2, seed=2)
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear").fit()
    path = tmp_path / "crafted.ctx"
    res.save(path)
    records = mff.parse(path.read_bytes())
    assert mff.serialize(records) == path.read_bytes()  # the independent writer agrees with the core's
    records[record] = mff.doubles(value)
    path.write_bytes(mff.serialize(records))
    with pytest.raises(ValueError, match=match):
        cs.load(path)


def test_model_file_refuses_foreign_and_damaged_bytes(tmp_path):
    res = FITS[0][1]
    res.save(tmp_path / "ok")
    raw = (tmp_path / "ok").read_bytes()
    for name, data, match in [("truncated", raw[:-9], "checksum|truncated|ends"),
                              ("flipped", raw[:100] + bytes([raw[100] ^ 1]) + raw[101:], "checksum"),
                              ("magic only", b"CTXSTATS", "not a valid ctxstats model file")]:
        (tmp_path / "bad").write_bytes(data)
        with pytest.raises(ValueError, match=match):
            cs.load(tmp_path / "bad")
    records = mff.parse(raw)
    records["model/kind"] = (3, (), ["forest"])  # "network" files are read (tests/test_network_file.py)
    (tmp_path / "bad").write_bytes(mff.serialize(records))
    with pytest.raises(ValueError, match="kind 'forest'"):
        cs.load(tmp_path / "bad")


@pytest.mark.parametrize("cov_type", ["HC1", "bootstrap", None])
def test_files_written_before_inference_objects_still_load(tmp_path, cov_type):
    # Until results delegated to an inference object, a saved fit held `cov_type` and
    # `_analytic` and (other than spline fits) no `spline_fit`. Such files are format version 1.
    d = make_vcm(n=80)
    encoder = {"encoder": "linear"} if cov_type else {"encoder": "mlp", "width": 3}
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], **encoder)
    res = model.fit(cov_type=cov_type, n_bootstraps=6 if cov_type == "bootstrap" else 0, max_iter=20)
    from ctxstats.io import _save_plain

    _save_plain(res, tmp_path / "new")  # results were written in this zip format before the model file

    def old_layout(header):
        state = header["root"]["state"]
        del state["_inference"], state["spline_fit"]
        state.update(cov_type=cov_type, _analytic=cov_type == "HC1")

    _rewrite_header(tmp_path / "new", tmp_path / "old", old_layout)
    back = cs.load(tmp_path / "old")
    assert type(back.inference) is type(res.inference) and back.cov_type == cov_type and back.spline_fit is None
    assert str(back.summary()) == str(res.summary())


@pytest.mark.parametrize("case,match", [
    ("weights_huge", "weights must have their largest value"),
    ("weights_tiny", "weights must have their largest value"),
    ("context_huge", "context column 'c1' has values too large"),
    ("endog_huge", "endog column 0 has a value of magnitude"),
])
def test_extreme_scales_are_refused_not_fitted_to_nan(case, match):
    """Weights of 1e308 or 1e-320, a context value of 1e300, y times 1e160 gave all-NaN
    parameters with converged=True (issue 13, item 5): now a ValueError naming the argument."""
    d = make_vcm(n=100, p=2, m=2, seed=3)
    y, X, C, w = d["y"].copy(), d["X"], d["C"].copy(), np.ones(100)
    if case == "weights_huge":
        w[:] = 1e308
    elif case == "weights_tiny":
        w[:] = 1e-320
    elif case == "context_huge":
        C[5, 0] = 1e300
    else:
        y = y * 1e160
    with pytest.raises(ValueError, match=match):
        cs.ContextualizedRegression(y, X, C, encoder="linear", weights=w).fit()


@pytest.mark.parametrize("first", ["ctxstats.networks", "ctxstats.easy", "ctxstats.analysis", "ctxstats.io"])
def test_every_module_imports_first_and_saving_works_in_a_fresh_process(first, tmp_path):
    """ctxstats.networks builds on ctxstats.easy, which offers the networks by name: either may be
    imported first. A fresh process that imported nothing else saves a personalized fit (save()
    looks at the network classes) -- this failed with a circular ImportError before."""
    import subprocess
    import sys

    code = (f"import {first}\n"
            "import numpy as np, ctxstats as cs\n"
            "from ctxstats.easy import ContextualizedMarkovNetworks\n"
            "rng = np.random.default_rng(0); C = rng.normal(size=(60, 2)); X = rng.normal(size=(60, 1))\n"
            "y = X[:, 0] * (1 + C[:, 0]) + 0.1 * rng.normal(size=60)\n"
            "res = cs.PersonalizedRegression(y, X, C).fit(seed=0, max_iter=5, threads=1)\n"
            f"cs.save(res, {str(tmp_path / 'p.ctx')!r}); print(type(cs.load({str(tmp_path / 'p.ctx')!r})).__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("PersonalizedRegressionResults")
