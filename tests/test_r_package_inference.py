"""Inference in the R package (r-bindings/) against the Python package: bootstrap replicates
and percentile intervals, analytic covariances (nonrobust, HC0-HC3), heterogeneity tests,
identifiability reports and the summary tables give the same numbers for the same fit.

The bootstrap replicates are fitted by the same core function with the same seed, and the
statistics (covariances, Wald statistics, bootstrap summaries) are computed by the same core
functions (csrc/inference/), so they agree to the bit; what each language computes itself --
p-values and critical values from its own t, F, chi-squared and normal functions -- is held
to 1e-10 (analytic) or 1e-12.
"""
import warnings

import numpy as np
import pytest

import ctxstats as cs
from conftest import short_bootstraps, short_fits
from rsupport import as_array, r_frame, r_options, r_package, vcm_frame

pytestmark = pytest.mark.against_r

ENCODER_OPTIONS = ("width", "depth", "archetypes", "activation")


@pytest.fixture(scope="module")
def ro():
    return r_package()


def fit_both(ro, encoder, family, options, seed=7, n=200, n_bootstraps=0, cov_type=None):
    df = vcm_frame(n=n, family=family, seed=3)
    model_opts = {k: v for k, v in options.items() if k in ENCODER_OPTIONS}
    fit_opts = {k: v for k, v in options.items() if k not in ENCODER_OPTIONS}
    with _no_check():  # an identifiability warning is not what these tests are about
        py = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], family=family, encoder=encoder,
                                  **model_opts).fit(seed=seed, n_bootstraps=n_bootstraps, cov_type=cov_type,
                                                    **fit_opts)
    ro.globalenv["d"] = r_frame(df)
    extra = r_options(**options) + (f', cov_type = "{cov_type}"' if cov_type else "")
    ro.r(f'f <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = "{family}", encoder = "{encoder}", '
         f'seed = {seed}, n_bootstraps = {n_bootstraps}{extra}))')
    return py, df


class _no_check:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._w.__exit__(*exc)


def close(r_expr, ro, expected, atol):
    got = as_array(ro.r(r_expr))
    np.testing.assert_allclose(got, np.asarray(expected, dtype=float), rtol=0, atol=atol, err_msg=r_expr)


BOOT_CASES = [
    ("mlp", "gaussian", {"width": 8, "max_iter": 60}),
    ("linear", "binomial", {}),
]


@pytest.mark.parametrize("encoder,family,options", BOOT_CASES)
def test_bootstrap_intervals_agree(ro, encoder, family, options):
    cov = "bootstrap"
    py, df = fit_both(ro, encoder, family, options, n_bootstraps=12, seed=5, cov_type=cov)
    assert int(ro.r("nrow(f$bootstrap$weights)")[0]) == py.n_bootstraps == 12
    close("f$bootstrap$weights", ro, py.bootstrap_weights, 1e-12)
    close("bootstrap_coef(f)", ro, py.bootstrap_params.to_numpy(), 0)  # the same core functions: to the bit
    close("confint(f)", ro, py.conf_int().to_numpy(), 0)
    close("confint(f, level = 0.8)", ro, py.conf_int(alpha=0.2).to_numpy(), 0)
    close("vcov(f)", ro, py.cov_params().to_numpy(), 0)
    tab = py.params_table()
    close("as.matrix(coef_table(f))", ro, tab.to_numpy(), 1e-12)  # coef: each language's mean of sample_coef
    close("as.matrix(coef_table(f))[, -1]", ro, tab.to_numpy()[:, 1:], 0)
    assert list(ro.r("names(coef_table(f))")) == list(tab.columns)
    lo, hi = py.sample_conf_int()
    close("sample_confint(f)$lower", ro, lo.to_numpy(), 0)
    close("sample_confint(f)$upper", ro, hi.to_numpy(), 0)
    new = vcm_frame(n=30, seed=11)
    ro.globalenv["nd"] = r_frame(new)
    lo_n, hi_n = py.sample_conf_int(alpha=0.1, context=new[["c1", "c2"]])
    close("sample_confint(f, level = 0.9, newdata = nd)$upper", ro, hi_n.to_numpy(), 1e-12)
    het = py.heterogeneity_test()
    close("as.matrix(heterogeneity_test(f))", ro, het.to_numpy(), 0)
    ident = py.identifiability()
    # The core computes the whole report for both languages: identical to the bit.
    close("identifiability(f)$checks$value", ro, ident.checks["value"].to_numpy(), 0)
    assert list(ro.r("identifiability(f)$checks$check")) == list(ident.checks["check"])
    assert list(ro.r("identifiability(f)$notes")) == ident.notes
    if encoder == "linear":
        close("as.matrix(context_effects(f))", ro, py.context_effects().to_numpy(), 0)
        close("interaction_vcov(f)", ro, py.interaction_cov_params().to_numpy(), 0)


@pytest.mark.parametrize("family", ["gaussian", "binomial", "poisson"])
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0", "HC1", "HC2", "HC3"])
def test_analytic_covariances_agree(ro, family, cov_type):
    py, _ = fit_both(ro, "linear", family, {}, cov_type=cov_type)
    assert ro.r("f$cov_type")[0] == py.cov_type == cov_type
    close("vcov(f)", ro, py.cov_params().to_numpy(), 0)  # the same core function: to the bit
    close("interaction_vcov(f)", ro, py.interaction_cov_params().to_numpy(), 0)
    close("confint(f)", ro, py.conf_int().to_numpy(), 1e-10)
    close("as.matrix(coef_table(f))", ro, py.params_table().to_numpy(), 1e-10)
    lo, hi = py.sample_conf_int()
    close("sample_confint(f)$lower", ro, lo.to_numpy(), 1e-10)
    close("as.matrix(context_effects(f))", ro, py.context_effects().to_numpy(), 1e-10)
    for by in ("coefficient", "context"):
        het = py.heterogeneity_test(by=by)
        close(f'as.matrix(heterogeneity_test(f, by = "{by}"))', ro, het.to_numpy(), 1e-10)
        close(f'heterogeneity_test(f, by = "{by}")$statistic', ro, het["statistic"].to_numpy(), 0)


def test_identifiability_names_the_same_aliased_terms(ro):
    df = vcm_frame(n=150, seed=4)
    df["c3"] = df["c1"] * 2.0 - df["c2"]
    df["x3"] = df["x1"]
    with _no_check():
        py = cs.ContextualizedGLM(df["y"], df[["x1", "x2", "x3"]], df[["c1", "c2", "c3"]],
                                  encoder="linear").fit()
    ro.globalenv["d"] = r_frame(df)
    ro.r("f <- suppressWarnings(ctx_glm(y ~ x1 + x2 + x3 | c1 + c2 + c3, d, encoder = 'linear'))")
    ident = py.identifiability()
    assert not ident.identifiable
    assert list(ro.r("identifiability(f)$checks$passed")) == list(ident.checks["passed"])
    assert list(ro.r("identifiability(f)$checks$check")) == list(ident.checks["check"])
    close("identifiability(f)$checks$value", ro, ident.checks["value"].to_numpy(), 0)
    close("identifiability(f)$checks$threshold", ro, ident.checks["threshold"].to_numpy(), 0)
    assert list(ro.r("identifiability(f)$notes")) == ident.notes
    msg = ro.r("tryCatch({ctx_glm(y ~ x1 + x2 + x3 | c1 + c2 + c3, d, encoder = 'linear'); ''}, "
               "warning = function(w) conditionMessage(w))")[0]
    assert "identifiability check(s) failed" in msg


@pytest.mark.parametrize("encoder,options", [("linear", {}), ("mlp", {"width": 4, "archetypes": 9, "max_iter": 20}),
                                             ("ngam", {"width": 3, "max_iter": 10})])
def test_identifiability_reports_are_identical(ro, encoder, options):
    """The core computes the report (values, thresholds, sentences) once for both languages: R
    and Python print the same report, constant, duplicated and near-collinear columns included."""
    df = vcm_frame(n=120, seed=5)
    df["c3"] = df["c1"]
    df["x3"] = 2.5
    df["x4"] = df["x1"] + 1e-5 * df["x2"]
    model_opts = {k: v for k, v in options.items() if k in ENCODER_OPTIONS}
    fit_opts = {k: v for k, v in options.items() if k not in ENCODER_OPTIONS}
    with _no_check():
        py = cs.ContextualizedGLM(df["y"], df[["x1", "x2", "x3", "x4"]], df[["c1", "c2", "c3"]], encoder=encoder,
                                  **model_opts).fit(seed=2, **fit_opts)
    ro.globalenv["d"] = r_frame(df)
    ro.r(f"f <- suppressWarnings(ctx_glm(y ~ x1 + x2 + x3 + x4 | c1 + c2 + c3, d, encoder = '{encoder}', seed = 2"
         f"{r_options(**options)}))")
    ident = py.identifiability()
    assert not ident.identifiable
    assert list(ro.r("identifiability(f)$checks$check")) == list(ident.checks["check"])
    close("identifiability(f)$checks$value", ro, ident.checks["value"].to_numpy(), 0)
    close("identifiability(f)$checks$threshold", ro, ident.checks["threshold"].to_numpy(), 0)
    assert list(ro.r("identifiability(f)$checks$passed")) == list(ident.checks["passed"])
    assert list(ro.r("identifiability(f)$notes")) == ident.notes
    for col in ("design", "kind", "column"):
        assert list(ro.r(f"identifiability(f)$findings${col}")) == list(ident.findings[col])
    assert [list(w) for w in ro.r("identifiability(f)$findings$with")] == list(ident.findings["with"])
    printed = "\n".join(ro.r("capture.output(print(identifiability(f)))"))
    assert printed.strip() == str(ident).strip()


def _comparable(lines):
    """The summary from its first rule on, with the R-specific wordings mapped to Python's."""
    text = "\n".join(lines[1:])
    return text.replace("(see identifiability(fit))", "(see results.identifiability())") \
               .replace("n_bootstraps = B", "n_bootstraps=B") \
               .replace("see sample_confint(fit) and coefficient_functions(fit);",
                        "see ctxstats.spline.sample_conf_int and coefficient_functions;")


@pytest.mark.parametrize("encoder,options,B", [("linear", {}, 0), ("mlp", {"width": 8, "max_iter": 40}, 10),
                                               ("mlp", {"width": 8, "max_iter": 40}, 0)])
def test_summary_prints_the_same_text(ro, encoder, options, B):
    py, _ = fit_both(ro, encoder, "gaussian", options, n_bootstraps=B)
    r_lines = list(ro.r("format(summary(f))"))
    py_lines = py.summary().as_text().split("\n")
    assert _comparable(r_lines) == _comparable(py_lines)


@short_bootstraps
def test_bootstrap_rule_is_the_same_and_printed(ro):
    # An early-stopped ngam: the core chooses the replicate rule once for both languages; both
    # record it, print the same note, and R's model file keeps it.
    py, _ = fit_both(ro, "ngam", "gaussian", {"width": 4}, n=300, n_bootstraps=4, seed=2)
    assert py.bootstrap_rule in ("plateau", "repeat")
    assert str(ro.r("f$bootstrap$rule")[0]) == py.bootstrap_rule
    close("f$bootstrap$weights", ro, py.bootstrap_weights, 0)
    note = cs._core.bootstrap_rule_note(py.bootstrap_rule)
    assert note and note in " ".join(py.summary().as_text().split())
    assert _comparable(list(ro.r("format(summary(f))"))) == _comparable(py.summary().as_text().split("\n"))
    ro.r("tf <- tempfile(fileext = '.ctx'); ctx_save(f, tf); g <- ctx_load(tf)")
    assert str(ro.r("g$bootstrap$rule")[0]) == py.bootstrap_rule


# ---- personalized regression ---------------------------------------------------------------------

def personalized_frame(n=160, seed=2):
    df = vcm_frame(n=n, seed=seed)
    rng = np.random.default_rng(seed)
    df["g"] = rng.choice(["a", "b", "c"], size=n)
    df["y"] = df["y"] + (df["g"] == "b") * 0.8
    return df


@short_fits  # 60 epochs: R/Python equality, not convergence, is the point
@short_bootstraps
@pytest.mark.parametrize("family,B", [("gaussian", 3), ("binomial", 0)])
def test_personalized_regression_agrees(ro, family, B):
    df = personalized_frame()
    if family == "binomial":
        df["y"] = (df["y"] > df["y"].median()).astype(float)
    opts = dict(max_iter=60, warmup=20, patience=10, gamma=0.5)
    py = cs.PersonalizedRegression(df["y"], df[["x1", "x2"]], df[["c1", "c2", "g"]], family=family, rank=2) \
        .fit(seed=4, n_bootstraps=B, n_neighbors=5, **opts)
    ro.globalenv["d"] = r_frame(df)
    ro.r(f'p <- personalized_regression(y ~ x1 + x2 | c1 + c2 + g, d, family = "{family}", rank = 2, seed = 4, '
         f'n_bootstraps = {B}, n_neighbors = 5{r_options(**opts)})')
    assert list(ro.r("p$categorical")) == [False, False, True]
    close("sample_coef(p)", ro, py.sample_params.to_numpy(), 1e-12)
    close("coef(p)", ro, py.params.to_numpy(), 1e-12)
    close("p$metric_weights", ro, py.metric_weights.to_numpy(), 1e-12)
    close("p$population_coef", ro, py.population_params.to_numpy(), 1e-12)
    close("latent(p)", ro, py.latent.to_numpy(), 1e-12)
    close("fitted(p)", ro, py.fittedvalues, 1e-12)
    assert int(ro.r("p$n_iter")[0]) == py.n_iter
    np.testing.assert_allclose(float(ro.r("as.numeric(logLik(p))")[0]), py.llf, rtol=1e-12)
    new = personalized_frame(n=25, seed=9)
    new.loc[3, "g"] = "z"  # a level unseen in training
    ro.globalenv["nd"] = r_frame(new)
    close('predict(p, nd, type = "params")', ro,
          py.predict_params(new[["c1", "c2", "g"]]).to_numpy(), 1e-12)
    close("predict(p, nd)", ro, py.predict(new[["x1", "x2"]], new[["c1", "c2", "g"]]), 1e-12)
    close("predict(p, nd, n_neighbors = 2, type = 'params')", ro,
          py.predict_params(new[["c1", "c2", "g"]], n_neighbors=2).to_numpy(), 1e-12)
    r_lines = list(ro.r("format(summary(p))"))
    assert r_lines == py.summary().as_text().split("\n")
    if B:
        close("confint(p)", ro, py.conf_int().to_numpy(), 1e-12)
        close("metric_weights_confint(p)", ro, py.metric_weights_conf_int().to_numpy(), 1e-12)
        sc = py.sample_conf_int()
        close("sample_confint(p)$upper", ro, sc["upper"].to_numpy(), 1e-12)
        close("sqrt(diag(vcov(p)))", ro, py.bse.to_numpy(), 1e-12)


@short_fits
@short_bootstraps
@pytest.mark.filterwarnings("ignore::ctxstats.BootstrapModesWarning")
def test_personalized_rank_from_data_and_bootstrap_are_bitwise_equal(ro):
    """Default rank (chosen from the data), factor context, core bootstrap: R = Python to the bit."""
    df = personalized_frame(n=120, seed=3)
    opts = dict(max_iter=40, warmup=10, patience=5)
    py = cs.PersonalizedRegression(df["y"], df[["x1", "x2"]], df[["c1", "c2", "g"]]) \
        .fit(seed=6, n_bootstraps=4, **opts)
    ro.globalenv["d"] = r_frame(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ro.r(f'p <- suppressWarnings(personalized_regression(y ~ x1 + x2 | c1 + c2 + g, d, seed = 6, '
             f'n_bootstraps = 4{r_options(**opts)}))')
    assert int(ro.r("p$rank")[0]) == py.rank and len(py.rank_grid) == 3
    for expr, value in [("sample_coef(p)", py.sample_params), ("p$metric_weights", py.metric_weights),
                        ("p$rank_grid$loss", py.rank_grid["held-out mean loss"]),
                        ("confint(p)", py.conf_int()), ("metric_weights_confint(p)", py.metric_weights_conf_int()),
                        ("sample_confint(p)$lower", py.sample_conf_int()["lower"]),
                        ("aperm(p$bootstrap$theta, c(3L, 1L, 2L))", py._boot["theta"])]:
        assert np.array_equal(as_array(ro.r(expr)), np.asarray(value, dtype=float)), expr
    assert str(ro.r("p$bootstrap$modes_message")[0]) == py.bootstrap_modes
    assert list(ro.r("format(summary(p))")) == py.summary().as_text().split("\n")


# ---- the spline encoder ----------------------------------------------------------------------------

def fit_spline_both(ro, family, options):
    """The same spline fit in Python (returned) and in R (as `f`), on vcm_frame(n=300, seed=3)."""
    df = vcm_frame(n=300, family=family, seed=3)
    with _no_check():
        py = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], family=family, encoder="spline",
                                  **options).fit(seed=1)
    r_opts = dict(options)
    inter = r_opts.pop("interactions", None)
    extra = r_options(**r_opts)
    if inter:
        extra += ", interactions = list(" + ", ".join(f'c("{a}", "{b}")' for a, b in inter) + ")"
    ro.globalenv["d"] = r_frame(df)
    ro.r(f'f <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = "{family}", encoder = "spline", '
         f'seed = 1{extra}))')
    return py


@pytest.mark.parametrize("family,options", [
    ("gaussian", {"n_knots": 8}),
    ("poisson", {"n_knots": 6, "interactions": [("c1", "c2")], "interaction_knots": 4}),
    ("gaussian", {"n_knots": 6, "knot_spacing": "quantile", "smoothing": 0.5}),
])
def test_spline_encoder_agrees(ro, family, options):
    py = fit_spline_both(ro, family, options)
    assert ro.r("f$solver")[0] == py.solver
    close("sample_coef(f)", ro, py.sample_params.to_numpy(), 1e-12)
    close("f$spline$knots", ro, py.spline_fit["knots"], 1e-12)
    sm = py.spline_fit["smoothing"]
    close("f$spline$smoothing$smoothing", ro, sm["smoothing"], 1e-10 * max(1.0, np.abs(sm["smoothing"]).max()))
    close("f$spline$smoothing$edf", ro, sm["edf"], 1e-10)
    new = vcm_frame(n=20, seed=12)
    ro.globalenv["nd"] = r_frame(new)
    close('predict(f, nd, type = "params")', ro, py.predict_params(new[["c1", "c2"]]).to_numpy(), 1e-12)
    assert _comparable(list(ro.r("format(summary(f))"))) == _comparable(py.summary().as_text().split("\n"))


@pytest.mark.parametrize("family,options", [
    ("gaussian", {"n_knots": 8}),
    ("poisson", {"n_knots": 6, "interactions": [("c1", "c2")], "interaction_knots": 4}),
])
def test_spline_inference_numbers_agree(ro, family, options):
    """The per-smooth edf and Wald tests, the heterogeneity tests, concurvity and the
    edf-based logLik df / AIC / BIC computed by R from the core's Vp and H equal Python's."""
    from ctxstats import spline

    py = fit_spline_both(ro, family, options)
    sm = py.spline_fit["smoothing"]
    close("f$spline$smoothing$Vp", ro, sm["Vp"], 1e-12)
    terms = spline.smooth_terms(py)
    assert list(ro.r("ctxstats:::smooth_terms(f)$context")) == list(terms["context"])
    # Statistics of order 100 come from each language's own eigendecomposition of V: held to
    # 1e-10 relative to the column's largest value (edf, ref_df and p-values: 1e-10 absolute).
    def scaled(v):
        return 1e-10 * max(1.0, float(np.abs(v).max()))

    for col in ("edf", "ref_df", "statistic", "p_value"):
        close(f"ctxstats:::smooth_terms(f)${col}", ro, terms[col].to_numpy(), scaled(terms[col].to_numpy()))
    het = spline.heterogeneity_tests(py)
    for j, col in enumerate(het.columns):
        close(f"ctxstats:::spline_heterogeneity(f)[[{j + 1}]]", ro, het[col].to_numpy(), scaled(het[col].to_numpy()))
    # Concurvity and the spline warnings come from the same core function: identical.
    conc = spline.concurvity(py)
    close("as.matrix(ctxstats:::spline_concurvity(f))", ro, conc.to_numpy(), 0)
    assert list(ro.r("ctxstats:::spline_warnings(f)")) == spline.identifiability(py, warn=False)["warnings"]
    close("attr(logLik(f), 'df')", ro, [py.df_model + (family == "gaussian")], 1e-12)
    close("AIC(f)", ro, [py.aic], 1e-10)
    close("BIC(f)", ro, [py.bic], 1e-10)


@pytest.mark.parametrize("family,options", [
    ("gaussian", {"n_knots": 8}),
    ("poisson", {"n_knots": 6, "interactions": [("c1", "c2")], "interaction_knots": 4}),
])
def test_spline_vp_intervals_agree(ro, family, options):
    """R's sample_se, sample_confint (no replicates: pointwise Vp intervals) and
    coefficient_functions equal ctxstats.spline's sample_params_se, sample_conf_int and
    coefficient_functions: the same basis from the core, the same Vp, the same formulas."""
    from ctxstats import spline

    py = fit_spline_both(ro, family, options)
    close("sample_se(f)", ro, spline.sample_params_se(py).to_numpy(), 1e-10)
    lo, hi = spline.sample_conf_int(py)
    close("sample_confint(f)$lower", ro, lo.to_numpy(), 1e-10)
    close("sample_confint(f)$upper", ro, hi.to_numpy(), 1e-10)
    new = vcm_frame(n=20, seed=12)
    ro.globalenv["nd"] = r_frame(new)
    close("sample_se(f, nd)", ro, spline.sample_params_se(py, new[["c1", "c2"]]).to_numpy(), 1e-10)
    lo_n, hi_n = spline.sample_conf_int(py, new[["c1", "c2"]], alpha=0.1)
    close("sample_confint(f, level = 0.9, newdata = nd)$lower", ro, lo_n.to_numpy(), 1e-10)
    close("sample_confint(f, level = 0.9, newdata = nd)$upper", ro, hi_n.to_numpy(), 1e-10)
    cf = spline.coefficient_functions(py, n_points=30, alpha=0.1)
    ro.r("cf <- coefficient_functions(f, n_points = 30, level = 0.9)")
    assert list(ro.r("names(cf)")) == list(cf.columns)
    assert list(ro.r("cf$coefficient")) == list(cf["coefficient"])
    assert list(ro.r("cf$context")) == list(cf["context"])
    for col in ("value", "estimate", "se", "lower", "upper"):
        close(f"cf${col}", ro, cf[col].to_numpy(), 1e-10)


@pytest.mark.parametrize("family,options", [("gaussian", {"n_knots": 8}), ("poisson", {"n_knots": 6})])
def test_spline_predictions_and_projection_agree(ro, family, options):
    """R's predict(se.fit = TRUE, interval = "confidence") and best_linear_projection of a spline
    fit equal Python's get_prediction and best_linear_projection (the same core functions)."""
    py = fit_spline_both(ro, family, options)
    new = vcm_frame(n=20, seed=13)
    ro.globalenv["nd"] = r_frame(new)
    pred = py.get_prediction(new[["x1", "x2"]], new[["c1", "c2"]])
    frame = pred.summary_frame(alpha=0.1)
    ro.r('pr <- predict(f, nd, se.fit = TRUE, interval = "confidence", level = 0.9)')
    close("pr$se.fit", ro, pred.se_mean, 1e-10)
    close("pr$fit[, 'lwr']", ro, frame["mean_ci_lower"], 1e-10)
    close("pr$fit[, 'upr']", ro, frame["mean_ci_upper"], 1e-10)
    blp = py.best_linear_projection()
    ro.r("blp <- best_linear_projection(f)")
    assert list(ro.r("rownames(blp)")) == list(blp.index)
    close("blp$coef", ro, blp["coef"], 1e-10)
    close("blp[['std err']]", ro, blp["std err"], 1e-10)


def test_bootstrap_projection_agrees(ro):
    py, _ = fit_both(ro, "mlp", "gaussian", {"width": 8, "max_iter": 60}, n_bootstraps=8)
    blp = py.best_linear_projection()
    ro.r("blp <- best_linear_projection(f)")
    for col in ("coef", "std err", "P>|b|", "[0.025", "0.975]"):
        close(f"blp[['{col}']]", ro, blp[col], 1e-12)


@short_fits
@short_bootstraps
def test_cluster_bootstrap_is_bitwise_the_same(ro):
    # cov_type = "cluster" on an encoder without an analytic covariance: the cluster bootstrap,
    # its replicates keyed (seed, replicate) by the core over the same first-appearance clusters
    df = vcm_frame(n=200, family="gaussian", seed=3)
    df["site"] = [f"s{k % 13}" for k in range(len(df))]
    with _no_check():
        py = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], encoder="ngam", width=4).fit(
            seed=5, n_bootstraps=6, cov_type="cluster", groups=df["site"])
    ro.globalenv["d"] = r_frame(df)
    ro.r('f <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c1 + c2, d, encoder = "ngam", width = 4, seed = 5, '
         'n_bootstraps = 6, cov_type = "cluster", groups = site))')
    assert str(ro.r("f$cov_type")[0]) == py.cov_type == "bootstrap"
    assert int(ro.r("f$bootstrap$clusters")[0]) == py.bootstrap_clusters == 13
    close("f$bootstrap$weights", ro, py.bootstrap_weights, 0)
    close("confint(f)", ro, py.conf_int().to_numpy(), 0)
    assert "resampling 13 clusters" in "\n".join(ro.r("capture.output(print(summary(f)))"))
    # the model file keeps the clusters
    ro.r("tf <- tempfile(fileext = '.ctx'); ctx_save(f, tf); g <- ctx_load(tf)")
    assert int(ro.r("g$bootstrap$clusters")[0]) == 13
