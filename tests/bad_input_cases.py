"""The bad-input battery of issue 13: every case is a call a user could make with a bad (or
boundary) argument, and what it must do -- raise a ValueError or TypeError whose message
names the argument or column, or succeed with finite, correct output. Never crash the
process, hang, raise another exception type, or return NaN parameters.

tests/test_bad_inputs_subprocess.py runs the cases in worker processes (a crash or a hang
fails the one case); `python tests/bad_input_cases.py [--python PY]` prints the outcome
counts, e.g. against another installation for a before/after comparison.

A case is ``Case(name, run, match)``: ``run()`` does the call; ``match`` is a regular
expression the error's message must contain (the argument's name), or None for a call that
must succeed (``run`` then asserts what a correct result is).
"""
from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[], object]
    match: str | None  # the message must name this; None: must succeed; "?...": either


CASES: list[Case] = []


def case(name, match):
    def deco(fn):
        CASES.append(Case(name, fn, match))
        return fn
    return deco


def data(n=60, p=2, m=2, seed=0, family="gaussian"):
    rng = np.random.default_rng(seed)
    C, X = rng.normal(size=(n, m)), rng.normal(size=(n, p))
    eta = X.sum(axis=1) * (1 + 0.5 * C[:, 0]) + 0.2
    if family == "binomial":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = eta + 0.3 * rng.normal(size=n)
    return y, X, C


def quiet(fn):
    """Fits stop early on purpose here; only the argument checks are the point."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def finite_fit(res):
    assert np.isfinite(np.asarray(res.sample_params, dtype=float)).all(), "NaN parameters"
    return res


# ---- options: every integer option past C++'s types, and wrong kinds (items 7, 8) ----------

def glm_fit(model_kw, fit_kw, n=60):
    import ctxstats as cs
    y, X, C = data(n=n)
    return quiet(lambda: cs.ContextualizedRegression(y, X, C, **model_kw).fit(**fit_kw))


def personalized_fit(model_kw, fit_kw, n=60):
    import ctxstats as cs
    y, X, C = data(n=n)
    return quiet(lambda: cs.PersonalizedRegression(y, X, C, **model_kw).fit(**fit_kw))


# option -> (where it goes: "model" | "fit", the model's other options, "glm" | "personalized")
INT_OPTIONS = {
    "width": ("model", {"encoder": "mlp"}, "glm"),
    "depth": ("model", {"encoder": "mlp"}, "glm"),
    "archetypes": ("model", {"encoder": "mlp"}, "glm"),
    "n_knots": ("model", {"encoder": "spline"}, "glm"),
    "interaction_knots": ("model", {"encoder": "spline", "interactions": [(0, 1)]}, "glm"),
    "max_iter": ("fit", {"encoder": "linear"}, "glm"),
    "batch_size": ("fit", {"encoder": "mlp", "solver": "adam"}, "glm"),
    "patience": ("fit", {"encoder": "mlp", "solver": "adam"}, "glm"),
    "threads": ("fit", {"encoder": "linear"}, "glm"),
    "n_bootstraps": ("fit", {"encoder": "linear"}, "glm"),
    "seed": ("fit", {"encoder": "linear"}, "glm"),
    "rank": ("model", {}, "personalized"),
    "n_partners": ("fit", {}, "personalized"),
    "warmup": ("fit", {}, "personalized"),
}
BAD_INTS = {
    "2**31": 2**31, "2**63": 2**63, "2**64": 2**64, "2**100": 2**100, "-2**63-1": -2**63 - 1, "-1": -1,
    "1e10": 1e10, "1.5": 1.5, "nan": math.nan, "inf": math.inf, "str": "abc", "list": [1, 2], "dict": {"a": 1},
}


def _option_case(option, label, value):
    where, others, model = INT_OPTIONS[option]

    def run():
        kw = dict(others)
        fit_kw = {}
        if where == "fit" and "solver" in kw:
            fit_kw["solver"] = kw.pop("solver")
        (kw if where == "model" else fit_kw)[option] = value
        if model == "glm":
            return glm_fit(kw, fit_kw)
        return personalized_fit(kw, fit_kw)

    return Case(f"int-{option}={label}", run, option)


for _opt in INT_OPTIONS:
    for _label, _value in BAD_INTS.items():
        if _opt == "seed" and _label in ("2**31", "2**63", "1e10"):  # valid seeds: integers below 2**64
            continue
        CASES.append(_option_case(_opt, _label, _value))

DOUBLE_OPTIONS = {
    "alpha": ("fit", {"encoder": "linear"}, "glm"),
    "l1_ratio": ("fit", {"encoder": "linear", "solver": "lbfgs"}, "glm"),
    "mu_ratio": ("fit", {"encoder": "linear"}, "glm"),
    "weight_decay": ("fit", {"encoder": "mlp"}, "glm"),
    "tol": ("fit", {"encoder": "linear"}, "glm"),
    "learning_rate": ("fit", {"encoder": "mlp", "solver": "adam"}, "glm"),
    "val_split": ("fit", {"encoder": "mlp", "solver": "adam"}, "glm"),
    "gamma": ("fit", {}, "personalized"),
    "nu": ("fit", {}, "personalized"),
}
BAD_DOUBLES = {"nan": math.nan, "inf": math.inf, "-1": -1.0, "1e400": 1e400, "str": "abc", "None-list": [None],
               "2**1100": 2**1100}


def _double_case(option, label, value):
    where, others, model = DOUBLE_OPTIONS[option]

    def run():
        kw = dict(others)
        fit_kw = {}
        if "solver" in kw:
            fit_kw["solver"] = kw.pop("solver")
        fit_kw[option] = value
        return glm_fit(kw, fit_kw) if model == "glm" else personalized_fit(kw, fit_kw)

    return Case(f"double-{option}={label}", run, option)


for _opt in DOUBLE_OPTIONS:
    for _label, _value in BAD_DOUBLES.items():
        CASES.append(_double_case(_opt, _label, _value))

CHOICE_OPTIONS = {"family": "model", "encoder": "model", "activation": "model", "knot_spacing": "model",
                  "method": "model", "solver": "fit"}
BAD_CHOICES = {"unknown": "foo", "int": 1, "bytes": b"mlp", "list": ["mlp"]}


def _choice_case(option, label, value):
    def run():
        kw = {"encoder": "spline"} if option in ("knot_spacing", "method") else {}
        if option == "activation":
            kw = {"encoder": "mlp"}
        if CHOICE_OPTIONS[option] == "model":
            kw[option] = value
            return glm_fit(kw, {})
        return glm_fit({"encoder": "linear"}, {option: value})

    return Case(f"choice-{option}={label}", run, option)


for _opt in CHOICE_OPTIONS:
    for _label, _value in BAD_CHOICES.items():
        CASES.append(_choice_case(_opt, _label, _value))


# ---- sizes that cannot be fitted (item 8) ---------------------------------------------------

@case("size-n_knots-above-distinct-values", "n_knots")
def _():
    return glm_fit({"encoder": "spline", "n_knots": 1000}, {}, n=200)


@case("size-n_knots-5000", "n_knots")
def _():
    return glm_fit({"encoder": "spline", "n_knots": 5000}, {}, n=200)


@case("size-interaction_knots-60", "interaction_knots")
def _():
    return glm_fit({"encoder": "spline", "interactions": [(0, 1)], "interaction_knots": 60}, {}, n=200)


@case("size-n_partners-1e6", "n_partners")
def _():
    return personalized_fit({}, {"n_partners": 10**6})


@case("size-n_partners-above-rows", "n_partners")
def _():
    return personalized_fit({}, {"n_partners": 100})


@case("size-width-30000", "width")
def _():
    return glm_fit({"encoder": "mlp", "width": 30000}, {})


@case("size-depth-100000", "depth")
def _():
    return glm_fit({"encoder": "mlp", "depth": 100000}, {})


@case("size-rank-1e6", "rank")
def _():
    return personalized_fit({"rank": 10**6}, {})


@case("size-rank-above-parameters", "rank")
def _():
    return personalized_fit({"rank": 50}, {})


@case("size-archetypes-1e6", "archetypes")
def _():
    return glm_fit({"encoder": "mlp", "archetypes": 10**6}, {})


@case("size-linear-design-too-large", "exog|context|columns|memory")
def _():
    import ctxstats as cs
    rng = np.random.default_rng(0)
    n = 20
    # (p + 1)(m + 1) = 4e5 interaction terms: its Gram matrix alone would need 1.3 TB.
    X, C = np.zeros((n, 999)), rng.normal(size=(n, 399))
    X[:, 0] = rng.normal(size=n)
    return quiet(lambda: cs.ContextualizedRegression(rng.normal(size=n), X, C, encoder="linear").fit())


@case("size-threads-1e6-is-capped", None)
def _():
    return finite_fit(glm_fit({"encoder": "linear"}, {"threads": 10**6}))


@case("size-n_bootstraps-1", "n_bootstraps")
def _():
    return glm_fit({"encoder": "linear"}, {"n_bootstraps": 1})


# ---- data: shapes, values, scales (items 5, 6) ----------------------------------------------

def _fit_with(y=None, X=None, C=None, weights=None, encoder="linear", family=None, n=60):
    import ctxstats as cs
    y0, X0, C0 = data(n=n)
    y = y0 if y is None else y
    X = X0 if X is None else X
    C = C0 if C is None else C
    kw = {"encoder": encoder}
    if family:
        kw["family"] = family
    return quiet(lambda: finite_fit(cs.ContextualizedGLM(y, X, C, weights=weights, **kw).fit()))


def _y():
    return data()[0]


def _X():
    return data()[1]


def _C():
    return data()[2]


DATA_CASES = {
    "endog-nan": (lambda: _fit_with(y=np.r_[np.nan, _y()[1:]]), "endog"),
    "endog-inf": (lambda: _fit_with(y=np.r_[np.inf, _y()[1:]]), "endog"),
    "endog-2d": (lambda: _fit_with(y=np.ones((60, 2))), "endog"),
    "endog-strings": (lambda: _fit_with(y=np.array(["a"] * 60)), "endog"),
    "endog-short": (lambda: _fit_with(y=_y()[:50]), "endog|exog|rows"),
    "endog-empty": (lambda: _fit_with(y=np.array([]), X=np.zeros((0, 2)), C=np.zeros((0, 2))), "endog"),
    "endog-binomial-out-of-range": (lambda: _fit_with(family="binomial"), "endog"),
    "endog-poisson-negative": (lambda: _fit_with(family="poisson"), "endog"),
    "endog-scaled-1e160": (lambda: _fit_with(y=_y() * 1e160), "endog"),
    "exog-nan": (lambda: _fit_with(X=np.where(np.eye(60, 2, dtype=bool), np.nan, _X())), "exog"),
    "exog-3d": (lambda: _fit_with(X=np.ones((60, 2, 2))), "exog"),
    "exog-object": (lambda: _fit_with(X=np.array([[object()] * 2] * 60)), "exog"),
    "exog-1e155": (lambda: _fit_with(X=_X() * 1e155), "exog"),
    "exog-wrong-rows": (lambda: _fit_with(X=_X()[:59]), "exog"),
    "context-nan": (lambda: _fit_with(C=np.where(np.eye(60, 2, dtype=bool), np.nan, _C())), "context"),
    "context-1e300-one-value": (lambda: _fit_with(C=np.where(np.eye(60, 2, dtype=bool), 1e300, _C())), "context"),
    "context-1e155": (lambda: _fit_with(C=_C() * 1e155), "context"),
    "context-wrong-rows": (lambda: _fit_with(C=_C()[:10]), "context"),
    "context-strings": (lambda: _fit_with(C=np.array([["a", "b"]] * 60)), "context"),
    "context-none": (lambda: _fit_with_none_context(), "context"),
    "weights-negative": (lambda: _fit_with(weights=-np.ones(60)), "weights"),
    "weights-zero": (lambda: _fit_with(weights=np.zeros(60)), "weights"),
    "weights-nan": (lambda: _fit_with(weights=np.r_[np.nan, np.ones(59)]), "weights"),
    "weights-short": (lambda: _fit_with(weights=np.ones(10)), "weights"),
    "weights-1e308": (lambda: _fit_with(weights=np.full(60, 1e308)), "weights|^$"),
    "weights-1e-320": (lambda: _fit_with(weights=np.full(60, 1e-320)), "weights|^$"),
    "spline-constant-context": (lambda: _fit_with(C=np.c_[np.ones(60), _C()[:, 1]], encoder="spline"), "context"),
}


def _fit_with_none_context():
    import ctxstats as cs
    y, X, _ = data()
    return cs.ContextualizedRegression(y, X, None, encoder="linear").fit()


for _name, (_run, _match) in DATA_CASES.items():
    if _name == "endog-binomial-out-of-range":
        _run = (lambda: _fit_with(y=_y() * 10, family="binomial"))
    if _name == "endog-poisson-negative":
        _run = (lambda: _fit_with(y=-np.abs(_y()), family="poisson"))
    CASES.append(Case(f"data-{_name}", _run, _match))


# ---- start_params, smoothing, results methods (items 10, 11) ---------------------------------

@case("start_params-string", "start_params")
def _():
    return glm_fit({"encoder": "mlp", "width": 3}, {"start_params": "abc"})


@case("start_params-wrong-length", "start_params|initial weights")
def _():
    return glm_fit({"encoder": "mlp", "width": 3}, {"start_params": np.zeros(3)})


@case("start_params-nan", "start_params")
def _():
    import ctxstats as cs
    y, X, C = data()
    model = cs.ContextualizedRegression(y, X, C, encoder="mlp", width=3)
    return quiet(lambda: model.fit(start_params=np.full(model.n_weights(), np.nan)))


@case("smoothing-string", "smoothing")
def _():
    return glm_fit({"encoder": "spline", "smoothing": "a"}, {})


@case("smoothing-negative", "smoothing")
def _():
    return glm_fit({"encoder": "spline", "smoothing": -1.0}, {})


@case("smoothing-wrong-shape", "smoothing")
def _():
    return glm_fit({"encoder": "spline", "smoothing": [1.0, 2.0, 3.0]}, {})


@case("interactions-unknown-column", "interactions")
def _():
    return glm_fit({"encoder": "spline", "interactions": [("c1", "nope")]}, {})


@case("interactions-string", "interactions")
def _():
    return glm_fit({"encoder": "spline", "interactions": "c1:c2"}, {})


@case("unknown-option", "nonsense")
def _():
    return glm_fit({"encoder": "linear", "nonsense": 1}, {})


@case("option-not-applying", "width")
def _():
    return glm_fit({"encoder": "linear", "width": 8}, {})


@case("predict-wrong-columns", "context|exog|columns")
def _():
    res = glm_fit({"encoder": "linear"}, {})
    return res.predict(np.ones((5, 3)), np.ones((5, 2)))


@case("predict-context-nan", "context")
def _():
    res = glm_fit({"encoder": "linear"}, {})
    return res.predict(np.ones((5, 2)), np.full((5, 2), np.nan))


@case("predict_params-wrong-columns", "context")
def _():
    res = glm_fit({"encoder": "linear"}, {})
    return res.predict_params(np.ones((5, 7)))


@case("conf_int-alpha-2", "alpha")
def _():
    return glm_fit({"encoder": "linear"}, {}).conf_int(alpha=2.0)


@case("conf_int-alpha-string", "alpha")
def _():
    return glm_fit({"encoder": "linear"}, {}).conf_int(alpha="x")


@case("cov_type-unknown", "cov_type")
def _():
    return glm_fit({"encoder": "linear"}, {"cov_type": "HC9"})


@case("personalized-n_neighbors-2**64", "n_neighbors")
def _():
    res = personalized_fit({}, {"max_iter": 5})
    return res.predict_params(data()[2][:3], n_neighbors=2**64)


@case("personalized-n_neighbors-zero", "n_neighbors")
def _():
    res = personalized_fit({}, {"max_iter": 5})
    return res.predict_params(data()[2][:3], n_neighbors=0)


# Small and degenerate fits: summary() always renders (item 10).

def _summary_renders(res):
    text = str(res.summary())
    assert "Notes" in text or len(text) > 0
    return text


@case("degenerate-n3-summary", None)
def _():
    import ctxstats as cs
    y, X, C = data(n=3)
    return _summary_renders(quiet(lambda: cs.ContextualizedRegression(y, X, C, encoder="linear").fit()))


@case("degenerate-p-above-n-summary", None)
def _():
    import ctxstats as cs
    y, X, C = data(n=8, p=12)
    return _summary_renders(quiet(lambda: cs.ContextualizedRegression(y, X, C, encoder="linear").fit()))


@case("degenerate-m-above-n-summary", None)
def _():
    import ctxstats as cs
    y, X, C = data(n=8, m=12)
    return _summary_renders(quiet(lambda: cs.ContextualizedRegression(y, X, C, encoder="linear").fit()))


@case("degenerate-spline-constant-y", "endog")
def _():
    import ctxstats as cs
    _, X, C = data(n=80)
    return _summary_renders(quiet(lambda: cs.ContextualizedRegression(np.ones(80), X, C, encoder="spline").fit()))


@case("degenerate-linear-constant-y-summary", None)
def _():
    import ctxstats as cs
    _, X, C = data(n=80)
    return _summary_renders(quiet(lambda: cs.ContextualizedRegression(np.ones(80), X, C, encoder="linear").fit()))


@case("degenerate-binomial-separated-summary", None)
def _():
    import ctxstats as cs
    _, X, C = data(n=40)
    y = (X[:, 0] > 0).astype(float)
    return _summary_renders(quiet(lambda: cs.ContextualizedLogit(y, X, C, encoder="linear").fit()))


@case("degenerate-mlp-n3-summary", None)
def _():
    import ctxstats as cs
    y, X, C = data(n=3)
    return _summary_renders(quiet(lambda: cs.ContextualizedRegression(y, X, C, encoder="mlp", width=2)
                                  .fit(max_iter=5, n_bootstraps=2)))


# ---- pandas inputs (item 9) ------------------------------------------------------------------

def frames(n=60):
    import pandas as pd
    y, X, C = data(n=n)
    idx = [f"r{i}" for i in range(n)]
    return (pd.Series(y, index=idx, name="y"), pd.DataFrame(X, index=idx, columns=["x1", "x2"]),
            pd.DataFrame(C, index=idx, columns=["c1", "c2"]))


@case("pandas-duplicate-exog-columns", "exog.*'x'|duplicate")
def _():
    import ctxstats as cs
    y, X, C = frames()
    X.columns = ["x", "x"]
    return cs.ContextualizedRegression(y, X, C, encoder="linear").fit()


@case("pandas-duplicate-context-columns", "context.*'c'|duplicate")
def _():
    import ctxstats as cs
    y, X, C = frames()
    C.columns = ["c", "c"]
    return cs.ContextualizedRegression(y, X, C, encoder="linear").fit()


@case("pandas-integer-context-labels-round-trip", None)
def _():
    import ctxstats as cs
    y, X, C = frames()
    C.columns = [0, 1]
    res = cs.ContextualizedRegression(y, X, C, encoder="linear").fit()
    out = res.predict_params(C)
    assert np.allclose(out.to_numpy(), res.sample_params.to_numpy())
    return out


@case("pandas-misaligned-index-exog", "index")
def _():
    import ctxstats as cs
    y, X, C = frames()
    X.index = X.index[::-1]
    return cs.ContextualizedRegression(y, X, C, encoder="linear").fit()


@case("pandas-misaligned-index-context", "index")
def _():
    import ctxstats as cs
    y, X, C = frames()
    C.index = [f"other{i}" for i in range(len(C))]
    return cs.ContextualizedRegression(y, X, C, encoder="linear").fit()


@case("pandas-misaligned-index-weights", "index")
def _():
    import pandas as pd

    import ctxstats as cs
    y, X, C = frames()
    w = pd.Series(np.linspace(1, 2, len(y)), index=y.index[::-1])
    return cs.ContextualizedRegression(y, X, C, encoder="linear", weights=w).fit()


@case("pandas-personalized-duplicate-context", "context.*'c'|duplicate")
def _():
    import ctxstats as cs
    y, X, C = frames()
    C.columns = ["c", "c"]
    return cs.PersonalizedRegression(y, X, C).fit(max_iter=3)


# ---- formulas (item 11) ----------------------------------------------------------------------

def frame(n=60):
    import pandas as pd
    y, X, C = data(n=n)
    return pd.DataFrame({"y": y, "x1": X[:, 0], "x2": X[:, 1], "c1": C[:, 0], "c2": C[:, 1]})


@case("formula-missing-variable", "nope")
def _():
    import ctxstats.formula.api as smf
    return smf.ctx_glm("y ~ x1 + nope | c1", data=frame()).fit()


@case("formula-missing-context-variable", "zz")
def _():
    import ctxstats.formula.api as smf
    return smf.ctx_glm("y ~ x1 | zz", data=frame()).fit()


@case("formula-duplicate-columns", "duplicate|'x1'")
def _():
    import ctxstats.formula.api as smf
    df = frame()
    df.columns = ["y", "x1", "x1", "c1", "c2"]
    return smf.ctx_glm("y ~ x1 | c1", data=df).fit()


@case("formula-no-context-part", "context|\\|")
def _():
    import ctxstats.formula.api as smf
    return smf.ctx_glm("y ~ x1", data=frame()).fit()


@case("formula-not-a-string", "formula")
def _():
    import ctxstats.formula.api as smf
    return smf.ctx_glm(42, data=frame()).fit()


@case("formula-data-not-a-frame", "data")
def _():
    import ctxstats.formula.api as smf
    return smf.ctx_glm("y ~ x1 | c1", data=[1, 2, 3]).fit()


# ---- files (items 1-3) -----------------------------------------------------------------------

def _saved(tmp):
    """A fit in the zip format of ctxstats.io (what save() wrote for every object before
    contextualized GLM fits moved to the core's model file; such files still load)."""
    import os

    import ctxstats.io as cio
    res = glm_fit({"encoder": "linear"}, {})
    path = os.path.join(tmp, "fit.ctxstats")
    getattr(cio, "_save_plain", cio.save)(res, path)
    return res, path


def _rewrite(path, change):
    import json
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(arrays["__header__"].tobytes().decode())
    change(header, arrays)
    nested = header.get("root") if isinstance(header.get("root"), _Nested) else None
    if nested is not None:
        header["root"] = "@@"
    text = json.dumps(header)
    if nested is not None:
        text = text.replace('"@@"', "[" * nested.depth + "0" + "]" * nested.depth)
    arrays["__header__"] = np.frombuffer(text.encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _file_case(change, then=None):
    def run():
        import tempfile

        import ctxstats as cs
        with tempfile.TemporaryDirectory() as tmp:
            res, path = _saved(tmp)
            _rewrite(path, change)
            back = cs.load(path)
            if then:
                return then(back, res)
            return back.predict(res.model.exog[:3], res.model.context[:3])
    return run


def _same_predictions(back, res):
    X, C = res.model.exog[:3], res.model.context[:3]
    out = back.predict(X, C)
    assert np.array_equal(out, res.predict(X, C)), "predictions changed"
    str(back.summary())
    return out


def _scaling_array(field, value):
    def change(header, arrays):
        ref = header["root"]["state"]["scaling"][field]["__array__"]
        arrays[ref] = value
    return change


CASES += [
    # The fit predicts through its core model, which the core checks; a damaged scaling copy
    # beside it must not crash or change predictions ("?": an error naming it is fine too).
    Case("file-empty-c_scale", _file_case(_scaling_array("c_scale", np.array([])), _same_predictions),
         "?c_scale|scaling|malformed"),
    Case("file-empty-x_scale", _file_case(_scaling_array("x_scale", np.array([])), _same_predictions),
         "?x_scale|scaling|malformed"),
    Case("file-short-c_scale", _file_case(_scaling_array("c_scale", np.array([1.0])), _same_predictions),
         "?c_scale|scaling|malformed"),
    Case("file-format_version-true", _file_case(lambda h, a: h.update(format_version=True)), "format version"),
    Case("file-format_version-1.0", _file_case(lambda h, a: h.update(format_version=1.0)), "format version"),
    Case("file-object-module", _file_case(lambda h, a: h.update(root={"__object__": "ctxstats.io.__class__",
                                                                     "state": {}})), "ctxstats class|not a class"),
    Case("file-object-foreign", _file_case(lambda h, a: h.update(root={"__object__": "os.system", "state": {}})),
         "not a ctxstats class"),
    Case("file-deep-nesting", _file_case(lambda h, a: h.update(root=_Nested(5000))), "malformed|nest|header"),
    Case("file-missing-array", _file_case(lambda h, a: a.pop(h["root"]["state"]["weights"]["__array__"])),
         "array|malformed"),
    Case("file-object-array", _file_case(lambda h, a: a.update(
        {h["root"]["state"]["weights"]["__array__"]: np.array([None], dtype=object)})), "object|malformed"),
]


class _Nested:
    """A header value written as `depth` nested lists (too deep for json.dumps to write)."""

    def __init__(self, depth):
        self.depth = depth


@case("file-truncated", "ctxstats file|malformed")
def _():
    import tempfile

    import ctxstats as cs
    with tempfile.TemporaryDirectory() as tmp:
        _, path = _saved(tmp)
        raw = open(path, "rb").read()
        open(path, "wb").write(raw[: len(raw) // 2])
        return cs.load(path)


@case("file-unreferenced-1GiB-member-is-not-read", None)
def _():
    import resource
    import tempfile
    import zipfile

    import ctxstats as cs
    with tempfile.TemporaryDirectory() as tmp:
        res, path = _saved(tmp)
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
            with z.open("bomb.npy", "w", force_zip64=True) as fh:
                header = np.lib.format.header_data_from_array_1_0(np.zeros(0, np.uint8))
                header["shape"] = (2**30,)
                np.lib.format.write_array_header_1_0(fh, header)
                block = bytes(2**24)
                for _ in range(64):
                    fh.write(block)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        back = cs.load(path)
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # KiB
        assert grown < 200 * 1024, f"load grew the peak RSS by {grown / 1024:.0f} MiB"
        assert np.array_equal(back.predict(res.model.exog[:3], res.model.context[:3]),
                              res.predict(res.model.exog[:3], res.model.context[:3]))
        return back


@case("file-referenced-bomb", "compressed|malformed|declares")
def _():
    import json
    import os
    import tempfile
    import zipfile

    import ctxstats as cs
    with tempfile.TemporaryDirectory() as tmp:
        _, path = _saved(tmp)
        with zipfile.ZipFile(path) as z:
            header = json.loads(np.lib.format.read_array(z.open("__header__.npy")).tobytes().decode())
            key = header["root"]["state"]["weights"]["__array__"] + ".npy"
            members = {i.filename: z.read(i) for i in z.infolist() if i.filename != key}
        os.remove(path)
        with zipfile.ZipFile(path, "w") as z:
            for name, raw in members.items():
                z.writestr(name, raw)
        # The weights re-added as a deflated member of 2**27 float64 values (1 GiB, 1 MB on disk).
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
            with z.open(key, "w", force_zip64=True) as fh:
                h = np.lib.format.header_data_from_array_1_0(np.zeros(0))
                h["shape"] = (2**27,)
                np.lib.format.write_array_header_1_0(fh, h)
                block = bytes(2**24)
                for _ in range(64):
                    fh.write(block)
        return cs.load(path)


# ---- a runner that prints counts (for before/after figures) ---------------------------------

def run_case(c: Case) -> tuple[str, str]:
    """(outcome, detail): ok | wrong-error | no-error | unclear-message | failed."""
    import re
    either = c.match is not None and c.match.startswith("?")
    match = c.match[1:] if either else c.match
    try:
        c.run()
    except (ValueError, TypeError) as exc:
        if match is None:
            return "failed", f"{type(exc).__name__}: {exc}"
        if re.search(match, str(exc)):
            return "ok", f"{type(exc).__name__}: {exc}"
        return "unclear-message", f"{type(exc).__name__}: {exc}"
    except AssertionError as exc:
        return "failed", f"AssertionError: {exc}"
    except Exception as exc:  # noqa: BLE001 - the point is to classify every outcome
        return "wrong-error", f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
    if match is None or either:
        return "ok", "succeeded"
    return "no-error", "returned without an error"


def by_name() -> dict[str, Case]:
    return {c.name: c for c in CASES}


if __name__ == "__main__":  # python tests/bad_input_cases.py [--python PY] [--jobs N]
    import argparse
    import collections
    import pathlib
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from bad_input_runner import run_all

    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    results = run_all([c.name for c in CASES], python=args.python, jobs=args.jobs)
    counts = collections.Counter(o for o, _ in results.values())
    for name, (outcome, detail) in results.items():
        if args.v or outcome != "ok":
            print(f"{outcome:16s} {name}: {detail[:300]}")
    print(f"{len(results)} cases:", ", ".join(f"{k} {v}" for k, v in counts.most_common()))
