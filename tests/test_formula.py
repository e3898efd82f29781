"""Formula fits: the same as the fit from arrays, categoricals and transforms as in
statsmodels, intercept removal, missing values, names, and prediction on new frames with the
fitted (stateful) transforms."""
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import ctxstats as cs
import ctxstats.formula.api as smf_ctx


@pytest.fixture
def df():
    rng = np.random.default_rng(0)
    n = 240
    out = pd.DataFrame({
        "x1": rng.normal(size=n), "x2": rng.uniform(1, 3, size=n), "g": rng.choice(["a", "b", "c"], n),
        "age": rng.normal(50, 10, size=n), "bmi": rng.normal(25, 4, size=n), "site": rng.choice(["n", "s"], n)})
    out["y"] = (out.x1 * (1 + (out.age - 50) / 10) + np.log(out.x2) + (out.g == "b") * 0.5
                + 0.2 * (out.site == "s") + rng.normal(size=n) * 0.3)
    out["k"] = rng.poisson(np.exp(0.3 * out.x1))
    out["z"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-out.x1))).astype(float)
    out.index = [f"r{i}" for i in range(n)]
    return out


def test_formula_fit_equals_array_fit(df):
    res_f = smf_ctx.ctx_ols("y ~ x1 + C(g) + np.log(x2) | age + bmi", df, encoder="linear").fit()
    X = pd.DataFrame({"x1": df.x1, "C(g)[T.b]": (df.g == "b") * 1.0, "C(g)[T.c]": (df.g == "c") * 1.0,
                      "np.log(x2)": np.log(df.x2)})
    res_a = cs.ContextualizedRegression(df.y, X, df[["age", "bmi"]], encoder="linear").fit()
    np.testing.assert_array_equal(res_f.sample_params.to_numpy(), res_a.sample_params.to_numpy())
    np.testing.assert_array_equal(res_f.bse.to_numpy(), res_a.bse.to_numpy())
    assert list(res_f.params.index) == ["Intercept", "x1", "C(g)[T.b]", "C(g)[T.c]", "np.log(x2)"]
    assert list(res_f.sample_params.index[:2]) == ["r0", "r1"]
    assert res_f.model.endog_name == "y" and res_f.model.context_names == ["age", "bmi"]


def test_average_effects_match_statsmodels_formula_on_the_interaction_model(df):
    # the linear encoder is the OLS of y on (predictors) * (1 + context), names included
    res = smf_ctx.ctx_ols("y ~ x1 + C(g) | age", df, encoder="linear").fit(cov_type="HC1")
    ref = smf.ols("y ~ (x1 + C(g)) * age", df).fit(cov_type="HC1")
    ip = res.interaction_params
    for name in ["Intercept", "x1", "C(g)[T.b]", "age", "x1:age", "C(g)[T.b]:age"]:
        assert ip[name] == pytest.approx(ref.params[name], rel=1e-8, abs=1e-10)
    cov = res.interaction_cov_params()
    assert cov.loc["x1:age", "x1:age"] == pytest.approx(ref.cov_params().loc["x1:age", "x1:age"], rel=1e-8)
    ce = res.context_effects()
    assert ce.loc[("x1", "age"), "coef"] == pytest.approx(ref.params["x1:age"], rel=1e-8)


def test_categorical_context_uses_reduced_coding(df):
    res = smf_ctx.ctx_ols("y ~ x1 | age + C(site)", df, encoder="linear").fit()
    assert res.model.context_names == ["age", "C(site)[T.s]"]
    assert res.identifiability().identifiable


def test_nullable_string_columns_are_categorical(df):
    # dtype "string" (what pyarrow and dask give; NA-valued) is coded as pandas' default string
    # dtype is -- by level -- and not read as numbers; the same for new data in predict
    nullable = df.astype({"g": "string", "site": "string"})
    a = smf_ctx.ctx_ols("y ~ x1 + g | age + site", df, encoder="linear").fit()
    b = smf_ctx.ctx_ols("y ~ x1 + g | age + site", nullable, encoder="linear").fit()
    assert b.model.exog_names == a.model.exog_names == ["x1", "g[T.b]", "g[T.c]"]
    np.testing.assert_array_equal(b.sample_params.to_numpy(), a.sample_params.to_numpy())
    np.testing.assert_array_equal(b.predict(nullable.iloc[:5]), a.predict(df.iloc[:5]))


def test_removing_the_intercept(df):
    res = smf_ctx.ctx_ols("y ~ x1 + C(g) - 1 | age", df, encoder="linear").fit()
    assert not res.model.fit_intercept
    assert list(res.params.index) == ["x1", "C(g)[a]", "C(g)[b]", "C(g)[c]"]
    res0 = smf_ctx.ctx_ols("y ~ 0 + x1 | age", df, encoder="linear").fit()
    assert list(res0.params.index) == ["x1"]


@pytest.mark.parametrize("fn,family,y", [(smf_ctx.ctx_logit, "binomial", "z"), (smf_ctx.ctx_poisson, "poisson", "k")])
def test_family_shortcuts(df, fn, family, y):
    res = fn(f"{y} ~ x1 | age", df, encoder="linear").fit()
    ref = smf_ctx.ctx_glm(f"{y} ~ x1 | age", df, family=family, encoder="linear").fit()
    assert res.model.family == family
    np.testing.assert_array_equal(res.sample_params.to_numpy(), ref.sample_params.to_numpy())


def test_missing_drop_and_raise(df):
    df.loc["r3", "x1"] = np.nan
    df.loc["r7", "bmi"] = np.nan
    m = smf_ctx.ctx_ols("y ~ x1 | age + bmi", df, encoder="linear")
    assert m.nobs == len(df) - 2 and "r3" not in m.row_labels and "r7" not in m.row_labels
    # a variable not in the formula does not drop rows
    assert smf_ctx.ctx_ols("y ~ x2 | age", df, encoder="linear").nobs == len(df)
    with pytest.raises(ValueError, match="missing='raise'.*(x1|bmi)"):  # names the first variable it meets
        smf_ctx.ctx_ols("y ~ x1 | age + bmi", df, missing="raise")
    with pytest.raises(ValueError, match="missing must be"):
        smf_ctx.ctx_ols("y ~ x1 | age", df, missing="ignore")


def test_weights_follow_the_dropped_rows(df):
    w = np.random.default_rng(1).uniform(0.5, 2, size=len(df))
    df.loc["r3", "x1"] = np.nan
    res = smf_ctx.ctx_ols("y ~ x1 | age", df, encoder="linear", weights=w).fit()
    keep = df.x1.notna().to_numpy()
    ref = cs.ContextualizedRegression(df.y[keep], df[["x1"]][keep], df[["age"]][keep], encoder="linear",
                                      weights=w[keep]).fit()
    np.testing.assert_array_equal(res.sample_params.to_numpy(), ref.sample_params.to_numpy())
    with pytest.raises(ValueError, match="one entry per row"):
        smf_ctx.ctx_ols("y ~ x1 | age", df, weights=w[:-1])


def test_predict_reapplies_stateful_transforms(df):
    train, new = df.iloc[:200], df.iloc[200:].copy()
    res = smf_ctx.ctx_ols("y ~ center(x1) + C(g) + np.log(x2) | scale(age)", train, encoder="linear").fit()
    pred = res.predict(new)
    # by hand with the training mean of x1 and the training mean / sd of age
    X = np.column_stack([new.x1 - train.x1.mean(), new.g == "b", new.g == "c", np.log(new.x2)]).astype(float)
    C = ((new.age - train.age.mean()) / train.age.std(ddof=1)).to_numpy()[:, None]
    np.testing.assert_allclose(pred, res.predict(X, C), rtol=1e-12)
    np.testing.assert_allclose(res.predict(train), res.fittedvalues, rtol=1e-12)
    # new data with a level seen in training only, a missing value, and an unseen level
    one = new.iloc[:3].copy()
    one.loc[one.index[0], "g"] = "a"
    one.loc[one.index[1], "x2"] = np.nan
    p = res.predict(one)
    assert np.isfinite(p[0]) and np.isnan(p[1]) and np.isfinite(p[2])
    bad = new.iloc[:2].copy()
    bad["g"] = "zzz"
    with pytest.raises(ValueError, match=r"column 'g' has level\(s\) \['zzz'\] that the fitted data do not have") as err:
        res.predict(bad)
    assert "cast to nan" not in str(err.value)
    with pytest.raises(ValueError, match="x2"):
        res.predict(new.drop(columns="x2"))
    # parameters for new contexts from the context part's variables
    pp = res.predict_params(new[["age"]])
    np.testing.assert_allclose(pp.to_numpy(), res.predict_params(C).to_numpy(), rtol=1e-12)
    sf = res.get_prediction(new).summary_frame()
    np.testing.assert_allclose(sf["mean"], pred, rtol=1e-12)
    assert list(sf.index) == list(new.index)


def test_formula_errors_are_clear(df):
    with pytest.raises(ValueError, match="exactly one '\\|'"):
        smf_ctx.ctx_ols("y ~ x1 + age", df)
    with pytest.raises(ValueError, match="exactly one '\\|'"):
        smf_ctx.ctx_ols("y ~ x1 | age | bmi", df)
    with pytest.raises(ValueError, match="response"):
        smf_ctx.ctx_ols("~ x1 | age", df)
    with pytest.raises(TypeError, match="DataFrame"):
        smf_ctx.ctx_ols("y ~ x1 | age", df.to_numpy())
    with pytest.raises(TypeError, match="fit_intercept"):
        smf_ctx.ctx_ols("y ~ x1 | age", df, fit_intercept=False)
    with pytest.raises(Exception, match="nosuch"):
        smf_ctx.ctx_ols("y ~ nosuch | age", df)


def test_formula_model_pickles(df):
    import pickle

    res = smf_ctx.ctx_ols("y ~ center(x1) + C(g) | age", df, encoder="linear").fit()
    again = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(again.predict(df.iloc[:5]), res.predict(df.iloc[:5]))


def test_a_formula_fit_saves_and_predicts_new_data_identically(tmp_path):
    """The formula's fitted transforms travel as plain data (issue 11: saving any formula fit
    raised TypeError on formulaic's ModelSpec): categorical levels, center(), scale(), an
    interaction and a fit without intercept."""
    rng = np.random.default_rng(4)
    n = 300
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n),
                       "h": rng.choice(["u", "v"], n), "age": rng.normal(size=n) + 3})
    df["y"] = df["x"] * (1 + (df["g"] == "b")) + 0.5 * df["age"] + rng.normal(size=n)
    new = pd.DataFrame({"x": [0.1, -1.0, 2.0], "g": ["c", "a", "b"], "h": ["v", "u", "v"], "age": [1.0, 3.0, 5.0]})
    for formula in ("y ~ x + C(g) + center(age) + C(g):x | C(h)",
                    "y ~ 0 + C(g) + scale(x) | age + h"):
        res = smf_ctx.ctx_ols(formula, data=df, encoder="linear").fit()
        path = tmp_path / "formula.ctx"
        cs.save(res, path)
        back = cs.load(path)
        np.testing.assert_array_equal(back.predict(new), res.predict(new))
        np.testing.assert_array_equal(back.predict_params(new).to_numpy(), res.predict_params(new).to_numpy())
        with pytest.raises(ValueError, match="level"):
            back.predict(new.assign(g=["z", "a", "b"]))  # an unseen level, as before saving
