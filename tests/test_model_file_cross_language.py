"""One model file for both languages: a fit of every encoder saved in Python loads in R and
the reverse, and predicts bitwise identically (issue 11, item 3). Through rpy2 (marker
``against_r``); tests/test_io.py covers the Python side alone and tests/cpp/test_fitted_model
the core's reader."""
import warnings

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from conftest import short_bootstraps, short_fits
from rsupport import as_array, r_frame, r_options, r_package, vcm_frame

# Short neural fits on purpose: the file, not convergence, is the point.
pytestmark = [pytest.mark.against_r, short_fits, short_bootstraps]

CASES = [
    ("linear", "gaussian", {}),
    ("linear", "binomial", {"n_bootstraps": 4}),
    ("spline", "gaussian", {}),
    ("spline", "poisson", {"n_knots": 6}),
    ("ngam", "gaussian", {"width": 4, "max_iter": 30, "n_bootstraps": 3}),
    ("mlp", "binomial", {"width": 4, "max_iter": 30}),
]
MODEL_OPTIONS = ("width", "depth", "archetypes", "activation", "n_knots")
IDS = [f"{e}-{f}" for e, f, _ in CASES]


@pytest.fixture(scope="module")
def ro():
    return r_package()


def new_frame(df):
    new = df.iloc[:9].copy()
    new[["c1", "c2"]] = new[["c1", "c2"]] * 1.1 + 0.05
    new[["x1", "x2"]] = new[["x1", "x2"]] - 0.3
    return new.reset_index(drop=True)


@pytest.mark.parametrize("encoder,family,options", CASES, ids=IDS)
def test_python_fit_loads_in_r_and_predicts_identically(ro, encoder, family, options, tmp_path):
    df = vcm_frame(n=250, family=family, seed=5)
    model_opts = {k: v for k, v in options.items() if k in MODEL_OPTIONS}
    fit_opts = {k: v for k, v in options.items() if k not in MODEL_OPTIONS}
    with warnings.catch_warnings():  # a 4-replicate bootstrap's sign-flip check is not the point here
        warnings.simplefilter("ignore", cs.IdentifiabilityWarning)
        res = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], family=family, encoder=encoder,
                                   **model_opts).fit(seed=3, **fit_opts)
    path = tmp_path / "py.ctxm"
    cs.save(res, path)
    new = new_frame(df)
    ro.globalenv["newd"] = r_frame(new)
    back = ro.r(f'back <- ctx_load("{path}")')
    r_params = as_array(ro.r('predict(back, newd, type = "params")'))
    assert np.array_equal(r_params, res.predict_params(new[["c1", "c2"]]).to_numpy())
    r_fitted = as_array(ro.r("sample_coef(back)"))
    assert np.array_equal(r_fitted, res.sample_params.to_numpy())
    r_link = as_array(ro.r('predict(back, newd, type = "link")'))
    assert np.array_equal(r_link, res.predict(new[["x1", "x2"]], new[["c1", "c2"]], which="linear"))
    assert list(ro.r("back$param_names")) == res.param_names
    assert int(ro.r("NROW(back$bootstrap$weights)")[0]) == res.n_bootstraps
    # The statistics R recomputes from the loaded file are R's own, from the same numbers.
    assert np.array_equal(as_array(ro.r("coef(back)")), res.params.to_numpy())
    del back


@pytest.mark.parametrize("encoder,family,options", CASES, ids=IDS)
def test_r_fit_loads_in_python_and_predicts_identically(ro, encoder, family, options, tmp_path):
    df = vcm_frame(n=250, family=family, seed=6)
    ro.globalenv["d"] = r_frame(df)
    new = new_frame(df)
    ro.globalenv["newd"] = r_frame(new)
    path = tmp_path / "r.ctxm"
    ro.r(f'fit <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, family = "{family}", '
         f'encoder = "{encoder}", seed = 3{r_options(**options)})); ctx_save(fit, "{path}")')
    res = cs.load(path)
    assert type(res).__name__ == "ContextualizedGLMResults"
    assert res.model.formula == "y ~ x1 + x2 | c1 + c2"
    assert np.array_equal(res.sample_params.to_numpy(), as_array(ro.r("sample_coef(fit)")))
    assert np.array_equal(res.predict_params(new[["c1", "c2"]]).to_numpy(),
                          as_array(ro.r('predict(fit, newd, type = "params")')))
    assert np.array_equal(res.predict(new[["x1", "x2"]], new[["c1", "c2"]], which="linear"),
                          as_array(ro.r('predict(fit, newd, type = "link")')))
    # The mean applies each language's own exp/plogis to identical linear predictors.
    np.testing.assert_allclose(res.predict(new[["x1", "x2"]], new[["c1", "c2"]]),
                               as_array(ro.r('predict(fit, newd, type = "response")')), rtol=1e-15, atol=0)
    assert res.param_names == list(ro.r("fit$param_names"))
    assert res.n_bootstraps == options.get("n_bootstraps", 0)
    str(res.summary())  # renders from the loaded data, replicates and reports


def test_r_formula_with_factor_survives_its_own_round_trip(ro, tmp_path):
    df = vcm_frame(n=200, seed=8)
    df["g"] = pd.Categorical(np.where(df["c2"] > 0, "hi", np.where(df["c2"] < -0.5, "lo", "mid")))
    ro.globalenv["d"] = r_frame(df)
    path = tmp_path / "f.ctxm"
    ro.r(f'fit <- ctx_glm(y ~ x1 + log(abs(x2) + 1) | c1 + g, data = d, encoder = "linear"); '
         f'ctx_save(fit, "{path}"); back <- ctx_load("{path}")')
    assert bool(ro.r('identical(predict(back, d[1:20, ]), predict(fit, d[1:20, ]))')[0])
    assert bool(ro.r('identical(back$xlevels, fit$xlevels)')[0])
    res = cs.load(path)  # R's transforms do not run in Python: the fitted columns do
    assert res.param_names == list(ro.r("fit$param_names"))
    assert np.array_equal(res.sample_params.to_numpy(), as_array(ro.r("sample_coef(fit)")))


def test_r_refuses_a_crafted_file(ro, tmp_path):
    import model_file_format as mff

    df = vcm_frame(n=120, seed=9)
    res = cs.ContextualizedRegression(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], encoder="linear").fit()
    path = tmp_path / "x.ctxm"
    cs.save(res, path)
    records = mff.parse(path.read_bytes())
    records["scaling/c_scale"] = mff.doubles([])
    path.write_bytes(mff.serialize(records))
    msg = ro.r(f'tryCatch(ctx_load("{path}"), error = function(e) conditionMessage(e))')[0]
    assert "c_scale" in msg


def test_cluster_covariance_travels_between_languages(ro, tmp_path):
    """A cluster fit keeps its groups through the model file both ways, and R and Python
    give the same cluster standard errors (the core's)."""
    df = vcm_frame(n=240, seed=4)
    df["firm"] = [f"f{k % 17}" for k in range(len(df))]
    res = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], encoder="linear").fit(
        cov_type="cluster", groups=df["firm"])
    path = tmp_path / "py.ctxm"
    cs.save(res, path)
    ro.globalenv["d"] = r_frame(df)
    back = as_array(ro.r(f'sqrt(diag(vcov(ctx_load("{path}"))))'))
    np.testing.assert_allclose(back, res.bse.to_numpy(), rtol=1e-13)
    rpath = tmp_path / "r.ctxm"
    ro.r(f'fit <- ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "linear", cov_type = "cluster", '
         f'groups = firm); ctx_save(fit, "{rpath}")')
    loaded = cs.load(rpath)
    assert loaded.cov_type == "cluster"
    np.testing.assert_allclose(loaded.bse.to_numpy(), as_array(ro.r("sqrt(diag(vcov(fit)))")), rtol=1e-13)
    np.testing.assert_allclose(loaded.bse.to_numpy(), res.bse.to_numpy(), rtol=1e-12)
