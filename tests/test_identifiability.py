"""The identifiability report: it passes clean data, and flags and names duplicated, constant
and collinear columns, aliased interaction terms, too few observations, too many archetypes
and unstable signs, warning at fit time."""
import warnings

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from ctxstats.identifiability import representation_dim
from conftest import make_vcm, short_fits

# Identifiability checks on short neural fits.
pytestmark = [short_fits]


def frames(n=300, seed=0):
    d = make_vcm(n=n, p=3, m=3, seed=seed)
    y = pd.Series(d["y"], name="y")
    X = pd.DataFrame(d["X"], columns=["dose", "age", "bmi"])
    C = pd.DataFrame(d["C"], columns=["site", "year", "income"])
    return y, X, C


def fit_quietly(model, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.IdentifiabilityWarning)
        return model.fit(**kw)


@pytest.mark.parametrize("encoder", ["linear", "mlp"])
def test_clean_data_pass_without_warning(encoder):
    y, X, C = frames()
    with warnings.catch_warnings():
        warnings.simplefilter("error", cs.IdentifiabilityWarning)
        neural = {} if encoder == "linear" else {"width": 4}  # width: the neural encoders' option
        res = cs.ContextualizedRegression(y, X, C, encoder=encoder, **neural).fit(max_iter=30)
    report = res.identifiability()
    assert report.identifiable and report.notes == []
    assert list(report.checks.columns) == ["check", "value", "threshold", "passed"]
    checks = set(report.checks["check"])
    assert {"rank of [1, X]", "rank of [1, C]", "duplicated context columns", "constant exog columns"} <= checks
    assert ("rank of interaction design" in checks) == (encoder == "linear")
    assert "all checks passed" in str(report)


def test_duplicated_context_and_collinear_predictor_are_named():
    y, X, C = frames()
    C["site_copy"] = C["site"]
    X["dose_total"] = X["dose"] + 2 * X["age"]
    model = cs.ContextualizedRegression(y, X, C, encoder="linear")
    with pytest.warns(cs.IdentifiabilityWarning, match="site_copy"):
        res = model.fit()
    report = res.identifiability()
    assert not report.identifiable
    failed = set(report.failed["check"])
    assert {"duplicated context columns", "rank of [1, C]", "rank of [1, X]", "rank of interaction design"} <= failed
    text = " ".join(report.notes)
    assert "'site_copy' equals 'site'" in text
    assert "'dose_total' is a linear combination of 'dose', 'age'" in text
    assert "'site_copy' is a linear combination of 'site'" in text
    # aliased predictor x context terms are named
    assert "'dose_total:year' is a linear combination of" in text
    assert "'age:site_copy'" in text
    # the same findings, as a table
    f = report.findings.set_index(["design", "column"])
    assert f.loc[("context", "site_copy"), "kind"] == "duplicated" and f.loc[("context", "site_copy"), "with"] == ["site"]
    assert f.loc[("[1, X]", "dose_total"), "with"] == ["dose", "age"]
    assert f.loc[("interaction design", "dose_total:year"), "kind"] == "aliased"
    # the summary's notes carry the findings
    assert "site_copy" in str(res.summary())


def test_constant_columns_are_named():
    y, X, C = frames()
    X["ones"] = 1.0
    C["country"] = 3.0
    with pytest.warns(cs.IdentifiabilityWarning):
        res = cs.ContextualizedRegression(y, X, C, encoder="mlp", width=4).fit(max_iter=20)
    text = " ".join(res.identifiability().notes)
    assert "'ones' are constant and aliased with the intercept" in text
    assert "'country' are constant" in text
    # without an intercept a constant predictor is the intercept: not flagged
    res0 = fit_quietly(cs.ContextualizedRegression(y, X, C, encoder="mlp", width=4, fit_intercept=False),
                       max_iter=20)
    assert res0.identifiability().checks.set_index("check").loc["constant exog columns", "passed"]


def test_near_collinear_context_fails_the_condition_check():
    y, X, C = frames()
    C["year2"] = C["year"] + 1e-5 * np.random.default_rng(0).normal(size=len(C))
    res = fit_quietly(cs.ContextualizedRegression(y, X, C, encoder="mlp", width=4), max_iter=10)
    row = res.identifiability().checks.set_index("check").loc["condition number of C (standardised)"]
    assert not row["passed"] and row["value"] > 1e3


def test_counting_heuristic_depends_on_the_encoder():
    assert representation_dim("linear", {}, 4) == 5
    assert representation_dim("mlp", {"width": 16, "depth": 2}, 4) == 17
    assert representation_dim("mlp", {"width": 16, "depth": 0}, 4) == 5
    assert representation_dim("ngam", {"width": 8, "depth": 1, "linear_skip": False}, 3) == 25
    assert representation_dim("ngam", {"width": 8, "depth": 1}, 3) == 28  # the gaussian ngam's default skip: + m
    assert representation_dim("mlp", {"width": 16, "depth": 2, "archetypes": 3}, 4) == 3
    y, X, C = frames(n=60)
    with pytest.warns(cs.IdentifiabilityWarning, match="counting"):
        res = cs.ContextualizedRegression(y, X, C, encoder="mlp", width=32).fit(max_iter=5)
    row = res.identifiability().checks.iloc[0]
    assert row["check"].startswith("n > d_g*d_s") and row["value"] == 60 and row["threshold"] == 33 * 4
    assert not row["passed"]


def test_archetype_checks():
    y, X, C = frames()
    q = 4  # intercept + 3 predictors
    with pytest.warns(cs.IdentifiabilityWarning, match="archetypes"):
        res = cs.ContextualizedRegression(y, X, C, encoder="linear", archetypes=q + 2).fit(max_iter=10)
    assert "cannot be affinely independent" in " ".join(res.identifiability().notes)
    ok = fit_quietly(cs.ContextualizedRegression(y, X, C, encoder="linear", archetypes=3), max_iter=30)
    checks = ok.identifiability().checks.set_index("check")
    assert checks.loc["archetypes K <= d_s + 1", "passed"]
    assert checks.loc["rank of fitted archetype differences", "value"] == 2


def test_an_insignificant_coefficient_flips_without_a_warning():
    # x2 has no effect: its per-sample coefficients are noise and their signs flip, as they
    # must for a coefficient whose interval includes zero -- reported, but no warning
    rng = np.random.default_rng(1)
    n = 200
    C = rng.normal(size=(n, 2))
    X = rng.normal(size=(n, 2))
    y = 1.0 + X[:, 0] * (1 + C[:, 0]) + rng.normal(size=n)
    model = cs.ContextualizedRegression(y, X, C, encoder="linear")
    with warnings.catch_warnings():
        warnings.simplefilter("error", cs.IdentifiabilityWarning)
        res = model.fit(n_bootstraps=60, seed=3, cov_type="bootstrap")
    flips = res.sign_flip_share
    assert flips["x2"] > 0.5 and flips["x1"] < 0.1 and flips["Intercept"] < 0.1
    assert res.conf_int().loc["x2", 0] < 0 < res.conf_int().loc["x2", 1]
    checks = res.identifiability().checks.set_index("check")
    assert checks.loc["sign flips across replicates: x2", "value"] > 0.5
    assert checks.loc["sign flips across replicates: x2", "passed"]


def test_a_significant_coefficient_with_unstable_signs_warns():
    # x1's average effect is clearly nonzero, but with eight noise context features each
    # sample's coefficient is estimated poorly: the sign of the average is determined, the
    # signs of the samples' coefficients are not
    rng = np.random.default_rng(2)
    n = 400
    C = rng.normal(size=(n, 8))
    X = rng.normal(size=(n, 1))
    y = 0.2 * X[:, 0] + rng.normal(size=n)
    model = cs.ContextualizedRegression(y, X, C, encoder="linear")
    with pytest.warns(cs.IdentifiabilityWarning, match="sign flips across replicates: x1") as rec:
        res = model.fit(n_bootstraps=60, seed=3, cov_type="bootstrap")
    message = str(rec[0].message)
    assert "average effect of 'x1' is significant" in message
    assert res.conf_int().loc["x1", 0] > 0 and res.sign_flip_share["x1"] > 0.5
    # the intercept flips even more, but its interval includes zero: no warning for it
    assert res.sign_flip_share["Intercept"] > 0.5 and "Intercept" not in message


@pytest.mark.parametrize("intercept", [True, False])
def test_core_gram_matrices_equal_the_explicit_designs(intercept):
    """The report's one pass in the core gives the Gram matrices of the standardised [1, X],
    [1, C] and interaction design that forming them in numpy gives; constant columns are
    exactly zero once centred, whatever the rounding of their mean."""
    from ctxstats import _core
    from ctxstats.inference import design_blocks

    def standardise(A, centre):  # numpy's own, independent of the core
        mean = A.mean(axis=0) if centre else np.zeros(A.shape[1])
        sd = np.sqrt(((A - mean) ** 2).mean(axis=0))
        sd = np.where(sd > 1e-12 * (np.abs(mean) + 1e-300), sd, 1.0)
        out = (A - mean) / sd
        if centre:
            out[:, np.ptp(A, axis=0) == 0] = 0.0
        return out, mean, sd

    y, X, C = frames(n=1500)
    X["const"] = 0.1
    C["country"] = 0.1
    model = cs.ContextualizedRegression(y, X, C, encoder="linear", fit_intercept=intercept)
    Xs, x_mean, x_scale = standardise(model.exog, intercept)
    Cs, c_mean, c_scale = standardise(model.context, True)
    sc = {"x_mean": x_mean, "x_scale": x_scale, "c_mean": c_mean, "c_scale": c_scale,
          "y_mean": 0.0, "y_scale": 1.0, "intercept": intercept}
    g1 = _core.design_grams(model.context, model.exog, sc, True, 1)
    g2 = _core.design_grams(model.context, model.exog, sc, True, 2)
    for key in g1:
        assert np.array_equal(g1[key], g2[key]), key  # bitwise for any thread count
    Xd = np.column_stack([np.ones(len(Xs)), Xs]) if intercept else Xs
    Cd = np.column_stack([np.ones(len(Cs)), Cs])
    Z = np.vstack([Zb for _, Zb in design_blocks(Xs, Cs, intercept)])
    for key, A in (("gx", Xd), ("gc", Cd), ("gz", Z)):
        np.testing.assert_allclose(g1[key], A.T @ A, rtol=1e-12, atol=1e-9, err_msg=key)
    assert np.all(g1["gc"][-1] == 0.0)  # the constant context column
    if intercept:
        assert np.all(g1["gx"][-1] == 0.0)
    np.testing.assert_array_equal(g1["x_min"], model.exog.min(axis=0))
    np.testing.assert_array_equal(g1["c_max"], model.context.max(axis=0))
    with pytest.raises(ValueError, match="scaling"):
        _core.design_grams(model.context[:, :2], model.exog, sc, True, 1)


def test_duplicates_need_equal_values_not_only_equal_moments():
    """A permuted copy of a column has the same mean, scale, minimum and maximum but is not a
    duplicate; an exact copy is."""
    y, X, C = frames()
    X["dose_perm"] = X["dose"].to_numpy()[::-1]
    X["dose_copy"] = X["dose"]
    res = fit_quietly(cs.ContextualizedRegression(y, X, C, encoder="linear"))
    notes = " ".join(res.identifiability().notes)
    assert "'dose_copy' equals 'dose'" in notes
    assert "dose_perm' equals" not in notes


# ---- the core's report against the numpy oracle (tests/oracles/identifiability_numpy.py) ----

def _oracle_cases():
    y, X, C = frames()
    yield "clean linear", cs.ContextualizedRegression(y, X, C, encoder="linear"), {}
    Xa, Ca = X.copy(), C.copy()
    Ca["site_copy"] = Ca["site"]
    Xa["dose_total"] = Xa["dose"] + 2 * Xa["age"]
    yield "aliased linear", cs.ContextualizedRegression(y, Xa, Ca, encoder="linear"), {}
    Xc, Cc = X.copy(), C.copy()
    Xc["ones"] = 1.0
    Cc["country"] = 3.0
    Cc["year2"] = Cc["year"] + 1e-5 * np.random.default_rng(0).normal(size=len(Cc))
    yield "constant and near-collinear mlp", cs.ContextualizedRegression(y, Xc, Cc, encoder="mlp", width=4), \
        {"max_iter": 10}
    yield "no intercept", cs.ContextualizedRegression(y, Xa, Ca, encoder="linear", fit_intercept=False), {}
    yield "archetypes", cs.ContextualizedRegression(y, X, C, encoder="linear", archetypes=3), {"max_iter": 30}
    yield "too many archetypes", cs.ContextualizedRegression(y, X, C, encoder="mlp", width=4, archetypes=6), \
        {"max_iter": 10}
    yield "bootstrap", cs.ContextualizedRegression(y, X, C, encoder="linear"), \
        {"n_bootstraps": 20, "seed": 1, "cov_type": "bootstrap"}


@pytest.mark.parametrize("case", [c[0] for c in _oracle_cases()])
def test_core_report_equals_the_numpy_oracle(case):
    """The core's report (checks, thresholds, verdicts and sentences) is the numpy
    implementation's, computed by a different route (numpy eigvalsh, scipy QR, numpy SVD and
    least squares); the same for any thread count."""
    from oracles import identifiability_numpy as oracle

    from ctxstats.identifiability import identifiability_report

    _, model, kw = next(c for c in _oracle_cases() if c[0] == case)
    res = fit_quietly(model, **kw)
    report = res.identifiability()
    flips = determined = None
    if res.n_bootstraps:
        boot = res._bootstrap("the oracle comparison")
        flips = boot.replicate_pass(res)["sign_flip_share"]
        ps = boot.percentiles(res)
        determined = (ps["lower"] > 0) | (ps["upper"] < 0)
    checks, notes = oracle.identifiability_report(model, res.weights, flips, scaling=res.scaling,
                                                  sign_determined=determined)
    assert list(report.checks["check"]) == list(checks["check"])
    assert list(report.checks["passed"]) == list(checks["passed"])
    np.testing.assert_array_equal(report.checks["threshold"], checks["threshold"])
    # The condition number of a rank-deficient design is rounding noise (~1e16 or more, from
    # any route): both routes must find it huge; the others agree.
    got, want = report.checks["value"].to_numpy(), checks["value"].to_numpy()
    noise = want > 1e12
    assert np.all(got[noise] > 1e12)
    np.testing.assert_allclose(got[~noise], want[~noise], rtol=1e-7)
    assert report.notes == notes
    for threads in (1, 2):
        again = identifiability_report(model, res.weights, flips, scaling=res.scaling, options=res.options,
                                       threads=threads, sign_determined=determined)
        np.testing.assert_array_equal(again.checks["value"], report.checks["value"])
        assert again.notes == report.notes


def test_huge_values_give_a_clear_error_not_a_linalg_failure():
    """|x| ~ 1e155: squares overflow double precision. The identifiability check says which
    column and what to do, instead of numpy's "Eigenvalues did not converge" (issue 13, item 6)."""
    from ctxstats import _core

    y, X, C = frames()
    model = cs.ContextualizedRegression(y, X, C, encoder="linear")
    res = fit_quietly(model)
    huge = model.exog.copy()
    huge[:, 1] *= 1e155
    scaling = dict(res.scaling)
    with pytest.raises(ValueError, match=r"exog column 'age' has values too large in magnitude .*rescale"):
        _core.identifiability_report(model.context, huge, scaling, res.options, list(model.param_names),
                                     list(model.exog_names), list(model.context_names))
    huge_c = model.context.copy()
    huge_c[:, 0] *= -3e155
    with pytest.raises(ValueError, match=r"context column 'site' has values too large"):
        _core.identifiability_report(huge_c, model.exog, scaling, res.options, list(model.param_names),
                                     list(model.exog_names), list(model.context_names))


def test_huge_values_through_the_model_fail_clearly():
    """The same data through the public API end in a ValueError naming the column (from the
    fit or from its identifiability check), never in a LinAlgError."""
    y, X, C = frames()
    X["age"] = X["age"] * 1e155
    with pytest.raises(ValueError, match="age"):
        fit_quietly(cs.ContextualizedRegression(y, X, C, encoder="linear"))
