"""The R package (r-bindings/) against the Python package: the same core, the same numbers.

For the same data, options and seed, R's ctx_glm() and Python's ContextualizedGLM give the
same per-sample parameters -- bit for bit when both are compiled against the same Eigen
(see r-bindings/src/Makevars); the tests hold them to 1e-12.
"""
import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from rsupport import as_array, r_frame, r_options, r_package, vcm_frame
from conftest import short_fits

# R/Python parity of short neural fits.
pytestmark = [pytest.mark.against_r, short_fits]

ENCODER_OPTIONS = ("width", "depth", "archetypes", "activation")

CASES = [
    ("linear", "gaussian", {}),
    ("linear", "binomial", {}),
    ("linear", "poisson", {"alpha": 0.1}),
    ("mlp", "gaussian", {"width": 8, "max_iter": 200}),
    ("ngam", "poisson", {"width": 8, "max_iter": 150, "weight_decay": 1e-3}),
    ("mlp", "binomial", {"archetypes": 3, "width": 8, "max_iter": 150, "activation": "tanh"}),
    ("mlp", "gaussian", {"solver": "adam", "width": 8, "max_iter": 20, "batch_size": 64, "learning_rate": 1e-2}),
]


@pytest.fixture(scope="module")
def ro():
    return r_package()


def fit_both(ro, encoder, family, options, seed=7, n=300):
    df = vcm_frame(n=n, family=family, seed=3)
    model_opts = {k: v for k, v in options.items() if k in ENCODER_OPTIONS}
    fit_opts = {k: v for k, v in options.items() if k not in ENCODER_OPTIONS}
    py = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], family=family, encoder=encoder,
                              **model_opts).fit(seed=seed, **fit_opts)
    ro.globalenv["d"] = r_frame(df)
    ro.r(f'f <- ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = "{family}", encoder = "{encoder}", '
         f'seed = {seed}{r_options(**options)})')
    return py, df


@pytest.mark.parametrize("encoder,family,options", CASES)
def test_r_and_python_give_the_same_sample_parameters(ro, encoder, family, options):
    py, _ = fit_both(ro, encoder, family, options)
    r_theta = as_array(ro.r("sample_coef(f)"))
    assert list(ro.r("colnames(sample_coef(f))")) == list(py.sample_params.columns)
    assert ro.r("f$solver")[0] == py.solver
    assert int(ro.r("f$n_iter")[0]) == py.n_iter
    eigen = ro.r("ctxstats:::build_info()$eigen")[0]
    diff = np.abs(r_theta - py.sample_params.to_numpy()).max()
    assert diff <= 1e-12, f"R and Python differ by {diff:g} (R package built with Eigen {eigen})"
    np.testing.assert_allclose(as_array(ro.r("f$encoder_weights")), py.weights, rtol=0, atol=1e-12)
    np.testing.assert_allclose(as_array(ro.r("coef(f)")), py.params.to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(as_array(ro.r("fitted(f)")), py.fittedvalues, rtol=0, atol=1e-12)
    np.testing.assert_allclose(float(ro.r("as.numeric(logLik(f))")[0]), py.llf, rtol=1e-12)
    np.testing.assert_allclose(float(ro.r("AIC(f)")[0]), py.aic, rtol=1e-12)
    np.testing.assert_allclose(float(ro.r("BIC(f)")[0]), py.bic, rtol=1e-12)


def test_predictions_for_new_data_agree(ro):
    py, df = fit_both(ro, "mlp", "binomial", {"width": 8, "max_iter": 100})
    new = vcm_frame(n=50, seed=11)
    ro.globalenv["nd"] = r_frame(new)
    np.testing.assert_allclose(as_array(ro.r('predict(f, nd, type = "params")')),
                               py.predict_params(new[["c1", "c2"]]).to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(as_array(ro.r("predict(f, nd)")),
                               py.predict(new[["x1", "x2"]], new[["c1", "c2"]]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(as_array(ro.r('predict(f, nd, type = "link")')),
                               py.predict(new[["x1", "x2"]], new[["c1", "c2"]], which="linear"), rtol=0, atol=1e-12)


@pytest.mark.parametrize("encoder,options", [("linear", {}), ("ngam", {"width": 8, "max_iter": 5})])
def test_summary_prints_the_same_tables(ro, encoder, options):
    py, _ = fit_both(ro, encoder, "gaussian", options)
    # The spread of the sample parameters, from its caption to the next rule (the whole
    # text, inference tables included, is compared in test_r_package_inference.py).
    r_lines = list(ro.r("format(summary(f))"))
    py_lines = py.summary().as_text().split("\n")
    assert "ctx_glm" in r_lines[0] and "Contextualized" in py_lines[0]

    def block(lines):
        start = lines.index("Sample parameters: spread over samples")
        end = next(i for i in range(start, len(lines)) if lines[i].startswith("===="))
        return lines[start:end]

    assert block(r_lines) == block(py_lines)


def test_core_errors_carry_the_same_message_in_both_languages(ro):
    from ctxstats import _core

    py, df = fit_both(ro, "linear", "gaussian", {})
    C = np.ascontiguousarray(df[["c1", "c2"]].to_numpy())
    X = np.ascontiguousarray(df[["x1", "x2"]].to_numpy())
    y = df["y"].to_numpy()

    def r_message(code):
        return str(ro.r(f"tryCatch({{{code}; 'no error'}}, error = function(e) conditionMessage(e))")[0])

    bad = dict(py.options, solver="newton")
    with pytest.raises(ValueError) as err:
        _core.fit(C, X, y, None, bad, None)
    assert r_message('o <- f$options; o$solver <- "newton"; ctxstats:::core_call(ctxstats:::ctxstats_fit_R, '
                     'f$context, f$x, f$y, NULL, o, NULL)') == str(err.value)

    with pytest.raises(ValueError) as err:
        _core.predict_theta(py.options, py.scaling, py.weights, C[:, :1].copy())
    assert r_message("ctxstats:::core_call(ctxstats:::ctxstats_predict_theta_R, f$options, f$scaling, "
                     "f$encoder_weights, f$context[, 1, drop = FALSE])") == str(err.value)

    y_bad = y.copy()
    y_bad[4] = -1.0
    bad = dict(py.options, family="poisson")
    with pytest.raises(ValueError) as err:
        _core.fit(C, X, y_bad, None, bad, None)
    assert r_message('o <- f$options; o$family <- "poisson"; yb <- f$y; yb[5] <- -1; '
                     "ctxstats:::core_call(ctxstats:::ctxstats_fit_R, f$context, f$x, yb, NULL, o, NULL)") \
        == str(err.value)


def test_fitting_from_an_r_data_frame_equals_the_r_package(ro):
    """ctxstats.r.ctx_glm: R's formula expansion (factors, transforms, NA rows), Python's fit."""
    from ctxstats.r import ctx_glm

    ro.r('set.seed(5); n <- 250; d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), c1 = rnorm(n), '
         'g = factor(sample(c("a", "b", "c"), n, TRUE)), w = runif(n)); '
         'd$y <- d$x1 * (1 + d$c1) + (d$g == "b") + rnorm(n); d$x2[9] <- NA')
    py = ctx_glm("y ~ x1 + log(abs(x2)) | c1 + g", ro.r("d"), encoder="mlp", width=8, seed=2, weights="w",
                 max_iter=100)
    r_theta = ro.r('f <- ctx_glm(y ~ x1 + log(abs(x2)) | c1 + g, d, encoder = "mlp", width = 8, seed = 2, '
                   'weights = w, max_iter = 100); sample_coef(f)')
    assert list(py.sample_params.columns) == ["Intercept", "x1", "log(abs(x2))"]
    assert py.model.context_names == ["c1", "gb", "gc"]
    assert py.nobs == 249 and "9" not in py.sample_params.index
    assert list(py.sample_params.index) == list(ro.r("rownames(sample_coef(f))"))
    np.testing.assert_allclose(as_array(r_theta), py.sample_params.to_numpy(), rtol=0, atol=1e-12)


def test_a_fit_from_an_r_data_frame_predicts_on_a_data_frame(ro):
    """ctxstats.r.ctx_glm's fit codes new rows with R's terms, levels and contrasts: the same
    predictions as the R package's predict(fit, newdata), NaN for a row with a missing value,
    and R's error for an unseen level; spline options (n_knots) pass through."""
    from ctxstats.r import ctx_glm, from_r

    ro.r('set.seed(6); n <- 300; d <- data.frame(x1 = rnorm(n), c1 = rnorm(n), '
         'g = factor(sample(c("a", "b", "c"), n, TRUE))); d$y <- d$x1 * (1 + sin(d$c1)) + (d$g == "b") + rnorm(n); '
         'nd <- data.frame(x1 = c(0.5, -1, 2), c1 = c(0, 1, NA), g = factor(c("c", "a", "b"), levels = c("a", "b", "c")))')
    py = ctx_glm("y ~ x1 | c1 + g", ro.r("d"), encoder="spline", n_knots=10)
    new = from_r(ro.r("nd"))
    r_pred = as_array(ro.r('f <- ctx_glm(y ~ x1 | c1 + g, d, encoder = "spline", n_knots = 10); '
                           'predict(f, nd)'))
    pred = py.predict(new)
    assert np.isnan(pred[2]) and np.isnan(r_pred[2])
    np.testing.assert_allclose(pred[:2], r_pred[:2], rtol=1e-10)
    np.testing.assert_allclose(py.predict_params(new.iloc[:2][["c1", "g"]]).to_numpy(),
                               as_array(ro.r('predict(f, nd[1:2, ], type = "params")')), rtol=1e-10)
    with pytest.raises(ValueError, match="factor g has new level"):
        py.predict(new.assign(g=["z", "a", "b"]))
