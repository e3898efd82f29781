"""R and Python fit bit for bit the same, for every encoder, family and solver the option
table offers, for both smoothing criteria of the spline encoder and for personalized
regression: the cases are generated from the core's option table, not picked by hand.

Both languages call the same core with the same options, so the encoder weights, the
per-sample parameters and the statistics computed from them (the analytic covariance of the
linear encoder, the spline encoder's smooth-term tests, the average effects) must be equal to
the last bit.
"""
import itertools

import numpy as np
import pytest

import ctxstats as cs
from ctxstats._options import SCHEMA
from rsupport import as_array, r_frame, r_package, vcm_frame
from conftest import short_fits

# R/Python parity of short fits over the option table (max_iter small on purpose).
pytestmark = [pytest.mark.against_r, short_fits]

ITERATIVE = {"lbfgs": 30, "varpro": 5, "adam": 5}
# The negative binomial exists for the linear encoder's exact fit only (tests/test_negbin.py
# checks the refusals); personalized regression refuses it too.
NEGBIN = "negativebinomial"  # few iterations: equality, not convergence, is the point


def applies(name: str, encoder: str | None = None, solver: str | None = None, family: str | None = None) -> bool:
    row = SCHEMA[name]
    return ((encoder is None or not row["encoders"] or encoder in row["encoders"])
            and (solver is None or not row["solvers"] or solver in row["solvers"])
            and (family is None or not row["families"] or family in row["families"]))


def glm_cases():
    """(encoder, family, solver, extra options) for every encoder x family x explicit solver
    of the table (the exact solver only where the encoder is linear in its weights), and the
    spline encoder once per smoothing criterion."""
    cases = []
    for encoder, family, solver in itertools.product(SCHEMA["encoder"]["choices"], SCHEMA["family"]["choices"],
                                                     SCHEMA["solver"]["choices"]):
        if solver == "auto" or (solver == "exact" and encoder not in ("linear", "spline")):
            continue
        if solver == "varpro" and encoder in ("linear", "spline"):  # networks only
            continue
        if family == NEGBIN and (encoder, solver) != ("linear", "exact"):  # the table refuses the others
            continue
        extra = {"max_iter": ITERATIVE[solver]} if solver in ITERATIVE else {}
        if encoder in ("mlp", "ngam"):
            extra["width"] = 4
        if encoder == "spline":
            extra["n_knots"] = 6
        cases.append((encoder, family, solver, extra))
    for method, family in itertools.product(SCHEMA["method"]["choices"], SCHEMA["family"]["choices"]):
        if family == NEGBIN:
            continue
        cases.append(("spline", family, "exact", {"n_knots": 6, "method": method}))
    # the gaussian networks' least-squares output start, with and without early stopping
    for encoder, early in itertools.product(("mlp", "ngam"), (True, False)):
        cases.append((encoder, "gaussian", "lbfgs", {"max_iter": ITERATIVE["lbfgs"], "width": 4, "output_start": True,
                                                     "early_stopping": early}))
    # networks with a linear skip path started at the exact linear fit
    for encoder, family in itertools.product(("mlp", "ngam"), ("gaussian", "binomial")):
        cases.append((encoder, family, "lbfgs", {"max_iter": ITERATIVE["lbfgs"], "width": 4, "linear_skip": True}))
    return cases


GLM_CASES = glm_cases()


@pytest.fixture(scope="module")
def ro():
    return r_package()


def r_literal(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


def split(options: dict) -> tuple[dict, dict]:
    """The constructor's options (model, encoder, spline groups) and fit()'s (the others)."""
    ctor = {k: v for k, v in options.items() if SCHEMA[k]["group"] in ("model", "encoder", "spline")}
    return ctor, {k: v for k, v in options.items() if k not in ctor}


# A spline fitted by a gradient solver warns that its smoothing penalties do not apply: expected.
@pytest.mark.filterwarnings("ignore:solver=.* fits the spline encoder without its smoothing penalties")
@pytest.mark.parametrize("encoder,family,solver,extra", GLM_CASES,
                         ids=[f"{e}-{f}-{s}" + "".join(f"-{v}" for k, v in x.items() if k == "method")
                              + "".join(f"-{k}-{v}" for k, v in x.items() if k in ("output_start", "early_stopping", "linear_skip"))
                              for e, f, s, x in GLM_CASES])
def test_glm_fits_are_bitwise_identical(ro, encoder, family, solver, extra):
    df = vcm_frame(n=150, family=family, seed=5)
    options = {"family": family, "encoder": encoder, "solver": solver, "seed": 3, **extra}
    ctor, fit = split(options)
    py = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], **ctor).fit(**fit)
    ro.globalenv["d"] = r_frame(df)
    args = "".join(f", {k} = {r_literal(v)}" for k, v in options.items())
    ro.r(f"f <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c1 + c2, d{args}))")  # the same cap warnings
    assert ro.r("f$solver")[0] == py.solver
    np.testing.assert_array_equal(as_array(ro.r("f$encoder_weights")), py.weights)
    np.testing.assert_array_equal(as_array(ro.r("unname(sample_coef(f))")), py.sample_params.to_numpy())
    np.testing.assert_array_equal(as_array(ro.r("unname(coef(f))")), py.params.to_numpy())  # the core's mean
    if py.inference.name == "analytic":
        np.testing.assert_array_equal(as_array(ro.r("unname(interaction_vcov(f))")),
                                      py.interaction_cov_params().to_numpy())
    if py.spline_fit is not None and "smoothing" in py.spline_fit:
        from ctxstats import spline

        terms = spline.smooth_terms(py)
        for col in ("edf", "ref_df", "rank", "statistic"):
            np.testing.assert_array_equal(as_array(ro.r(f"ctxstats:::smooth_terms(f)${col}")), terms[col].to_numpy())
        # p-values come from each language's own F and chi-square functions (scipy, R's pf):
        # equal statistics give p-values equal to rounding.
        np.testing.assert_allclose(as_array(ro.r("ctxstats:::smooth_terms(f)$p_value")), terms["p_value"], rtol=1e-12)


@pytest.mark.parametrize("family", ["gaussian", "binomial"])
def test_the_per_family_default_skip_is_chosen_and_reported_alike(ro, family):
    """linear_skip is not given: the table's default (true for the gaussian ngam only) is what
    both languages fit, store in the fit's options and name in the summary's Encoder line."""
    df = vcm_frame(n=150, family=family, seed=5)
    py = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], family=family, encoder="ngam",
                              width=4).fit(seed=3, max_iter=30)
    ro.globalenv["d"] = r_frame(df)
    ro.r(f'f <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = "{family}", encoder = "ngam", '
         'width = 4, seed = 3, max_iter = 30))')
    skip = family == "gaussian"
    assert py.options["linear_skip"] is skip and bool(ro.r("f$options$linear_skip")[0]) is skip
    np.testing.assert_array_equal(as_array(ro.r("f$encoder_weights")), py.weights)
    np.testing.assert_array_equal(as_array(ro.r("unname(sample_coef(f))")), py.sample_params.to_numpy())
    r_summary = "\n".join(ro.r("capture.output(print(summary(f)))"))
    assert ("ngam + linear skip" in str(py.summary())) is skip
    assert ("ngam + linear skip" in r_summary) is skip


def test_the_poisson_mlps_default_weight_decay_is_chosen_alike(ro):
    """weight_decay is not given: the table's default for the poisson mlp (1e-4) is what both
    languages fit and store."""
    df = vcm_frame(n=150, family="poisson", seed=5)
    py = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], family="poisson", encoder="mlp",
                              width=4).fit(seed=3, max_iter=30)
    ro.globalenv["d"] = r_frame(df)
    ro.r('f <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c1 + c2, d, family = "poisson", encoder = "mlp", width = 4, '
         'seed = 3, max_iter = 30))')
    assert py.options["weight_decay"] == 1e-4 and float(ro.r("f$options$weight_decay")[0]) == 1e-4
    np.testing.assert_array_equal(as_array(ro.r("f$encoder_weights")), py.weights)


@pytest.mark.parametrize("family", [f for f in SCHEMA["family"]["choices"] if f != NEGBIN])
def test_personalized_fits_are_bitwise_identical(ro, family):
    df = vcm_frame(n=150, family=family, seed=5)
    py = cs.PersonalizedRegression(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], family=family).fit(seed=3,
                                                                                                     max_iter=40)
    ro.globalenv["d"] = r_frame(df)
    ro.r(f'p <- suppressWarnings(personalized_regression(y ~ x1 + x2 | c1 + c2, d, family = "{family}", seed = 3, '
         'max_iter = 40))')
    np.testing.assert_array_equal(as_array(ro.r("unname(sample_coef(p))")), py.sample_params.to_numpy())
    np.testing.assert_array_equal(as_array(ro.r("unname(p$metric_weights)")), py.metric_weights.to_numpy())
    # The local sample models' choices and the distance matching's own models and metric.
    np.testing.assert_array_equal(as_array(ro.r("unname(p$latent_coef)")), py.latent_params.to_numpy())
    np.testing.assert_array_equal(as_array(ro.r("unname(p$matching_weights)")), py.matching_weights.to_numpy())
    np.testing.assert_array_equal(as_array(ro.r("unname(p$local_grid)")), py.local_grid.to_numpy())
    assert int(ro.r("p$local_neighbors")[0]) == py.local_neighbors
    # The shrinkage chosen for the local GLMs, its candidates and target map (used by predict).
    assert str(ro.r("p$shrink_target")[0]) == py.shrink_target and float(ro.r("p$shrinkage")[0]) == py.shrinkage
    np.testing.assert_array_equal(as_array(ro.r("p$shrink_grid$loss")), py.shrink_grid["held-out mean loss"].to_numpy())
    np.testing.assert_array_equal(as_array(ro.r("p$target_map")).reshape(py._target_map.shape), py._target_map)
    np.testing.assert_array_equal(as_array(ro.r("unname(coef(p))")), py.params.to_numpy())
