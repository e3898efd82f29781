"""The core's option table, read by both languages: a test per option of the table (not a
hand-picked list), in Python and in R through rpy2.

For every user option: (a) Python and R fill the same default, and it is the table's; (b) a
bad value gives the same message in both languages (TypeError / ValueError in Python, an R
error); (c) where the option does not apply to some encoder, solver or model, giving it there
is an error naming it, again with the same message.
"""
from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from ctxstats import _core, _options
from ctxstats.personalized import PersonalizedRegression
from rsupport import r_frame, r_package

SCHEMA = {row["name"]: row for row in _core.option_schema()}
USER = [name for name, row in SCHEMA.items() if not row["internal"]]
PY_MODEL_ARGS = {"glm": ("model", "encoder", "spline"), "personalized": ()}
PERSONALIZED_CTOR = ("family", "rank", "fit_intercept")


def where_it_applies(name: str) -> tuple[str, str | None, str | None]:
    """(model, encoder, solver) in which the option applies."""
    row = SCHEMA[name]
    model = "glm" if not row["models"] or "glm" in row["models"] else "personalized"
    if model == "personalized":
        return model, None, None
    encoder = row["encoders"][0] if row["encoders"] else "mlp"
    solver = row["solvers"][0] if row["solvers"] else None
    return model, encoder, solver


def frame(n=40, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "c1": rng.normal(size=n), "c2": rng.uniform(size=n)})
    df["y"] = df["x1"] * (1 + df["c1"]) + 0.1 * rng.normal(size=n)
    return df


DF = frame()


def response(family: str | None) -> pd.Series:
    """DF's response, made valid for the family (defaults may depend on it)."""
    if family == "binomial":
        return (DF["y"] > 0).astype(float)
    if family in ("poisson", "negativebinomial"):
        return DF["y"].abs().round()
    return DF["y"]


def py_call(model: str, encoder: str | None, solver: str | None, options: dict, resolve_only: bool):
    """What the Python front end does with these options: the constructor and fit() (or, with
    resolve_only, the options fit() sends to the core)."""
    if model == "glm":
        options = {"solver": solver, **options}
        fit_args = inspect.signature(cs.ContextualizedGLM.fit).parameters
        rest = {k: v for k, v in options.items() if k in fit_args}
        ctor = {"encoder": encoder, **{k: v for k, v in options.items() if k not in rest}}
        m = cs.ContextualizedGLM(response(ctor.get("family")), DF[["x1"]], DF[["c1", "c2"]], **ctor)
        if resolve_only:
            return m._options(**rest)
        return m.fit(**{"max_iter": 1, **rest})
    ctor = {k: v for k, v in options.items() if k in PERSONALIZED_CTOR}
    rest = {k: v for k, v in options.items() if k not in ctor}
    m = PersonalizedRegression(DF["y"], DF[["x1"]], DF[["c1", "c2"]], **ctor)
    if resolve_only:
        return m._options(**rest)
    return m.fit(**{"max_iter": 1, **rest})


def r_literal(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return repr(v).replace("'", '"')
    if isinstance(v, (list, tuple)):
        inner = ", ".join(r_literal(x) for x in v)
        return f"list({inner})" if any(isinstance(x, (list, tuple)) for x in v) else f"c({inner})"
    return repr(float(v)) if isinstance(v, float) else str(v)


def r_args(options: dict) -> str:
    return "".join(f", {k} = {r_literal(v)}" for k, v in options.items())


@pytest.fixture(scope="module")
def ro():
    ro = r_package()
    ro.globalenv["d"] = r_frame(DF)
    return ro


def r_resolved(ro, model, encoder, solver, family=None) -> dict:
    """The options the R front end sends to the core when none are given (but the family)."""
    if model == "glm":
        expr = ("ctxstats:::core_options(list(encoder = {e}, fit_intercept = TRUE, solver = {s}{f}), list(), "
                "as.matrix(d[, c('c1', 'c2')]), 2)").format(e=r_literal(encoder), s=r_literal(solver),
                                                           f="" if family is None else f", family = {r_literal(family)}")
    else:
        expr = "ctxstats:::resolve_options('personalized', list(fit_intercept = TRUE, categorical = c(0L, 0L)))"
    out = ro.r(expr)
    return {name: out.rx2(name) for name in out.names}


def r_error(ro, model, encoder, solver, options: dict) -> str:
    """The message of the error R's front end raises for these options ('' when none)."""
    cap = "" if "max_iter" in options else ", max_iter = 1"
    if "fit_intercept" in options:  # set by the formula in R: its value goes to the table directly
        first = f"encoder = {r_literal(encoder)}" if model == "glm" else "family = 'gaussian'"
        call = f"ctxstats:::resolve_options({r_literal(model)}, list({first}{r_args(options)}))"
    elif model == "glm":
        options = {"encoder": encoder, "solver": solver, **options}
        call = f"ctx_glm(y ~ x1 | c1 + c2, d{cap}{r_args(options)})"
    else:
        call = f"personalized_regression(y ~ x1 | c1 + c2, d{cap}{r_args(options)})"
    return str(ro.r(f"tryCatch({{{call}; ''}}, error = function(e) conditionMessage(e))")[0])


def same_value(py, r) -> bool:
    if py is None:
        return r is None or str(type(r).__name__) == "NULLType"
    vals = list(r)
    if isinstance(py, list) and not py:
        return not vals
    if isinstance(py, (list, tuple)):
        return list(map(float, py)) == list(map(float, vals))
    return len(vals) == 1 and (vals[0] == py if isinstance(py, (bool, str)) else float(vals[0]) == float(py))


# ---- (a) defaults ---------------------------------------------------------------------------

FAMILIES = ("gaussian", "binomial", "poisson", "negativebinomial")


def default_case(name: str, key: str):
    """(name, model, encoder, solver, family) where the default keyed ``key`` applies: a key
    names a model, an encoder or a family, or several joined by " & "."""
    parts = key.split(" & ")
    if "personalized" in parts:
        return name, "personalized", None, None, None
    _model, enc, solver = where_it_applies(name)
    encoder = next((p for p in parts if p not in FAMILIES and p != "glm"), enc)
    family = next((p for p in parts if p in FAMILIES), None)
    return name, "glm", encoder, solver, family


DEFAULT_CASES = []
for _name in USER:
    _model, _enc, _solver = where_it_applies(_name)
    DEFAULT_CASES.append((_name, _model, _enc, _solver, None))
    for _key in SCHEMA[_name]["default_for"]:  # a default that differs by model, encoder or family
        DEFAULT_CASES.append(default_case(_name, _key))


def with_family(family):
    return {} if family is None else {"family": family}


@pytest.mark.parametrize("name,model,encoder,solver,family", DEFAULT_CASES)
def test_python_fills_the_tables_default(name, model, encoder, solver, family):
    resolved = py_call(model, encoder, solver, with_family(family), resolve_only=True)
    assert resolved[name] == _options.default(name, model, encoder, resolved.get("family"))


@pytest.mark.against_r
@pytest.mark.parametrize("name,model,encoder,solver,family", DEFAULT_CASES)
def test_r_fills_the_same_default_as_python(ro, name, model, encoder, solver, family):
    py = py_call(model, encoder, solver, with_family(family), resolve_only=True)[name]
    r = r_resolved(ro, model, encoder, solver, family)[name]
    assert same_value(py, r), (name, py, list(r))


def test_a_default_per_encoder_and_family_wins_and_a_given_value_wins_over_it():
    """linear_skip: true for the gaussian ngam only (the table's "ngam & gaussian" key), false for
    the binomial ngam and the gaussian mlp, false where the encoder has no skip (depth 0,
    archetypes), and a given value always wins."""
    def skip(encoder, family, **options):  # what fit() sends to the core (the data do not matter)
        return _options.resolve("glm", {"encoder": encoder, "family": family, **options})["linear_skip"]

    assert SCHEMA["linear_skip"]["default_for"] == {"ngam & gaussian": True}
    assert skip("ngam", "gaussian") is True
    assert skip("ngam", "binomial") is False and skip("ngam", "poisson") is False
    assert skip("mlp", "gaussian") is False
    assert skip("ngam", "gaussian", depth=0) is False
    assert skip("ngam", "gaussian", archetypes=2) is False
    assert skip("ngam", "gaussian", linear_skip=False) is False
    assert skip("mlp", "binomial", linear_skip=True) is True
    assert _options.default("linear_skip", "glm", "ngam", "gaussian") is True
    assert _options.default("linear_skip", "glm", "ngam") is False  # family not known: the key does not hold
    assert _options.default("width", "glm", "ngam", "gaussian") == 16


def test_the_poisson_mlp_has_a_weight_decay_by_default():
    """weight_decay 1e-4 for the poisson mlp only (the table's "mlp & poisson" key); a given
    value wins, and the fit uses it."""
    def decay(encoder, family, **options):
        return _options.resolve("glm", {"encoder": encoder, "family": family, **options})["weight_decay"]

    assert SCHEMA["weight_decay"]["default_for"] == {"personalized": 0.01, "mlp & poisson": 1e-4}
    assert decay("mlp", "poisson") == 1e-4
    assert decay("mlp", "binomial") == 0.0 and decay("mlp", "gaussian") == 0.0 and decay("ngam", "poisson") == 0.0
    assert decay("linear", "poisson") == 0.0
    assert decay("mlp", "poisson", weight_decay=0.0) == 0.0
    m = cs.ContextualizedGLM(response("poisson"), DF[["x1"]], DF[["c1", "c2"]], family="poisson", encoder="mlp",
                             width=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.ConvergenceWarning)  # 20 iterations: the cap's warning
        res = m.fit(seed=0, max_iter=20)
        again = m.fit(seed=0, max_iter=20, weight_decay=1e-4)
        plain = m.fit(seed=0, max_iter=20, weight_decay=0.0)
    assert res.options["weight_decay"] == 1e-4
    assert np.array_equal(res.weights, again.weights) and not np.array_equal(res.weights, plain.weights)


def test_no_front_end_signature_holds_a_default_of_its_own():
    """The options among the front ends' arguments default to None: the table's default."""
    for fn in (cs.ContextualizedGLM.__init__, cs.ContextualizedGLM.fit, PersonalizedRegression.__init__,
               PersonalizedRegression.fit):
        for p in inspect.signature(fn).parameters.values():
            if p.name in SCHEMA:
                assert p.default is None, (fn.__qualname__, p.name, p.default)


@pytest.mark.against_r
def test_no_r_signature_holds_a_default_of_its_own(ro):
    for fn in ("ctx_glm", "personalized_regression", "ctx_design"):
        formals = ro.r(f"as.list(formals(ctxstats::{fn}))")
        for name in formals.names:
            if name in SCHEMA:
                assert ro.r(f"is.null(formals(ctxstats::{fn})[['{name}']])")[0], (fn, name)


@pytest.mark.against_r
def test_both_languages_read_one_table(ro):
    r_schema = ro.r("ctxstats::ctx_option_schema()")
    assert list(r_schema.names) == list(SCHEMA)
    for name, row in SCHEMA.items():
        r_row = r_schema.rx2(name)
        assert str(r_row.rx2("doc")[0]) == row["doc"]
        assert same_value(row["default"], r_row.rx2("default"))


# ---- (b) bad values -------------------------------------------------------------------------

def bad_value(name: str):
    row = SCHEMA[name]
    t = row["type"]
    if t == "bool":
        return "yes"
    if t == "choice":
        return "no-such-choice"
    if t == "int_pairs":
        return [[0, 1, 2]]
    if t == "double_list":
        return -1
    if t in ("int", "seed"):
        return int(row["low"]) - 1
    if row["low"] is not None:
        return row["low"] if row["low_open"] else row["low"] - 1
    return row["high"] + 1


BAD_CASES = [(name, bad_value(name)) for name in USER]


@pytest.mark.parametrize("name,value", BAD_CASES)
def test_a_bad_value_names_the_option_in_python(name, value):
    model, encoder, solver = where_it_applies(name)
    with pytest.raises((TypeError, ValueError)) as err:
        py_call(model, encoder, solver, {name: value}, resolve_only=False)
    assert name in str(err.value)


@pytest.mark.against_r
@pytest.mark.parametrize("name,value", BAD_CASES)
def test_a_bad_value_gives_the_same_message_in_r(ro, name, value):
    model, encoder, solver = where_it_applies(name)
    with pytest.raises((TypeError, ValueError)) as err:
        py_call(model, encoder, solver, {name: value}, resolve_only=False)
    assert r_error(ro, model, encoder, solver, {name: value}) == str(err.value)


def test_integers_out_of_range_name_the_option():
    for options, message in [({"seed": 2**64}, "seed must be a non-negative integer below 2^64, not 18446744073709551616"),
                             ({"width": 2**31}, "width must be at most 4096, not 2147483648"),
                             ({"max_iter": 2**31}, "max_iter must be at most 2147483647, not 2147483648"),
                             ({"threads": 2**64}, "threads must be at most 2147483647, not 18446744073709551616"),
                             ({"seed": 2**64 - 1}, None)]:
        if message is None:
            assert py_call("glm", "mlp", None, options, resolve_only=True)["seed"] == 2**64 - 1
            continue
        with pytest.raises(ValueError, match=message.replace("^", r"\^")):
            py_call("glm", "mlp", None, options, resolve_only=False)


# ---- (c) options that do not apply ----------------------------------------------------------

def not_applicable(name: str) -> list[tuple[str, str | None, str | None]]:
    """Every kind of (model, encoder, solver) in which the option does not apply: another
    encoder, another solver, the other model."""
    row = SCHEMA[name]
    out = []
    if row["encoders"]:
        out.append(("glm", next(e for e in ("mlp", "linear", "spline", "ngam") if e not in row["encoders"]), None))
    if row["solvers"] and (not row["models"] or "glm" in row["models"]):
        encoder = "spline" if "exact" in row["solvers"] else "mlp"
        out.append(("glm", encoder, "lbfgs" if "lbfgs" not in row["solvers"] else "adam"))
    if row["models"] == ["glm"]:
        out.append(("personalized", None, None))
    if row["models"] == ["personalized"]:
        out.append(("glm", "mlp", None))
    return out


NA_CASES = [(name, *case) for name in USER for case in not_applicable(name)]


@pytest.mark.parametrize("name,model,encoder,solver", NA_CASES)
def test_an_option_that_does_not_apply_is_an_error_naming_it(name, model, encoder, solver):
    value = _options.default(name, where_it_applies(name)[0], where_it_applies(name)[1])
    value = 1 if value is None and SCHEMA[name]["type"] == "double_list" else value
    if value is None or value == []:  # interactions: one pair
        value = [[0, 1]]
    with pytest.raises((TypeError, ValueError)) as err:
        py_call(model, encoder, solver, {name: value}, resolve_only=False)
    assert name in str(err.value)


@pytest.mark.against_r
@pytest.mark.parametrize("name,model,encoder,solver", NA_CASES)
def test_an_option_that_does_not_apply_gives_the_same_message_in_r(ro, name, model, encoder, solver):
    value = _options.default(name, where_it_applies(name)[0], where_it_applies(name)[1])
    value = 1 if value is None and SCHEMA[name]["type"] == "double_list" else value
    if value is None or value == []:
        value = [[1, 2]]  # one pair, by R's 1-based column positions
    r_message = r_error(ro, model, encoder, solver, {name: value})
    assert name in r_message
    if model == "personalized" and name not in PERSONALIZED_CTOR:
        return  # Python's own TypeError: fit() has no such keyword argument
    with pytest.raises((TypeError, ValueError)) as err:
        py_call(model, encoder, solver, {name: [[0, 1]] if name == "interactions" else value}, resolve_only=False)
    assert r_message == str(err.value)


def test_the_issues_examples():
    with pytest.raises(ValueError, match="n_knots does not apply to encoder 'linear'"):
        py_call("glm", "linear", None, {"n_knots": 5}, resolve_only=False)
    with pytest.raises(ValueError, match="width does not apply to encoder 'spline'"):
        py_call("glm", "spline", None, {"width": 5}, resolve_only=False)


def test_coverage_of_the_table():
    """Every user option is in (a) and (b); every one with a restriction in (c)."""
    assert {c[0] for c in DEFAULT_CASES} == set(USER) == {c[0] for c in BAD_CASES}
    restricted = {n for n in USER if SCHEMA[n]["encoders"] or SCHEMA[n]["solvers"] or SCHEMA[n]["models"]}
    assert {c[0] for c in NA_CASES} == restricted
    # each restriction of each option: its encoders, its solvers, its model
    for name in restricted:
        row = SCHEMA[name]
        kinds = {(c[1], c[3]) for c in NA_CASES if c[0] == name}
        assert bool(row["encoders"]) == any(m == "glm" and s is None and row["encoders"] for m, s in kinds)
        assert bool(row["solvers"] and "personalized" not in row["models"]) == any(s is not None for _, s in kinds)
