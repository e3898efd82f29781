"""The spline encoder's smooth-term and heterogeneity tests (Wood 2013, computed by the core):
power and size on binary, factor and skewed contexts, agreement with the linear encoder's
Wald test where both apply, with mgcv's summary.gam (frozen in tests/results/ by
mgcv_smooth_tests.R, and live through rpy2), and R against Python."""
import pathlib
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from ctxstats import spline

RESULTS = pathlib.Path(__file__).parent / "results"


def context(kind: str, rng, n: int) -> np.ndarray:
    if kind == "binary":
        return rng.integers(0, 2, n).astype(float)
    if kind == "factor3":
        return rng.integers(0, 3, n).astype(float)
    return rng.lognormal(0.0, 1.0, n)


def slope_change(kind: str, c: np.ndarray) -> np.ndarray:
    """Where the slope of x is 2 rather than 1: one binary value, one factor level, the upper
    half of the skewed context."""
    if kind == "binary":
        return c
    if kind == "factor3":
        return (c == 2).astype(float)
    return (c > np.median(c)).astype(float)


def fit(kind: str, n: int, varies: bool, seed: int):
    rng = np.random.default_rng(seed)
    c = context(kind, rng, n)
    x = rng.normal(size=n)
    y = 0.5 + x * (1.0 + (slope_change(kind, c) if varies else 0.0)) + rng.normal(size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rank-deficient bases of discrete contexts are reported, not the point
        return cs.ContextualizedRegression(y, x[:, None], c[:, None], encoder="spline").fit()


@pytest.mark.parametrize("kind", ["binary", "factor3", "lognormal"])
def test_power_on_discrete_and_skewed_contexts(kind):
    res = fit(kind, 3000, True, seed=1)
    het = spline.heterogeneity_tests(res)
    assert het.loc["x1", "p_value"] < 1e-6
    terms = spline.smooth_terms(res).set_index("coefficient")
    assert terms.loc["x1", "p_value"] < 1e-6
    # The intercept does not vary: no false alarm here.
    assert het.loc["Intercept", "p_value"] > 0.01


@pytest.mark.parametrize("kind", ["binary", "lognormal"])
def test_size_under_the_null(kind):
    p = np.array([spline.heterogeneity_tests(fit(kind, 400, False, seed=1000 + r))["p_value"].to_numpy()
                  for r in range(200)])
    rejected = (p < 0.05).mean(axis=0)  # intercept, x1
    assert ((0.02 <= rejected) & (rejected <= 0.08)).all(), rejected


def test_binary_context_equals_the_linear_encoders_wald_test():
    """A smooth of a binary context spans one contrast, so the test is the F test of the
    linear encoder's interaction (the fits coincide up to the smoothing penalty)."""
    rng = np.random.default_rng(0)
    n = 2000
    g = rng.integers(0, 2, n).astype(float)
    x = rng.normal(size=n)
    y = x * (1 + g) + rng.normal(size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sp = cs.ContextualizedRegression(y, x[:, None], g[:, None], encoder="spline").fit()
    lin = cs.ContextualizedRegression(y, x[:, None], g[:, None], encoder="linear").fit()
    het_s = sp.heterogeneity_test()
    het_l = lin.heterogeneity_test()
    assert het_s.attrs["method"] == "smooth" and het_s.attrs["distribution"] == "F"
    assert (het_s["df"] == 1).all()
    np.testing.assert_allclose(het_s["statistic"], het_l["statistic"], rtol=1e-3)
    assert het_s.loc["x1", "pvalue"] < 1e-90


def test_results_heterogeneity_test_is_the_summary_table():
    res = fit("lognormal", 800, True, seed=3)
    het = res.heterogeneity_test()
    tab = spline.heterogeneity_tests(res)
    np.testing.assert_array_equal(het["pvalue"], tab["p_value"])
    np.testing.assert_array_equal(het["statistic"], tab["statistic"])
    assert "smooth" in str(res.heterogeneity_test(method="smooth").attrs)
    text = str(res.summary())
    assert "Heterogeneity: does the coefficient vary with context at all?" in text
    with pytest.raises(ValueError, match="by='context'"):
        res.heterogeneity_test(by="context")
    rng = np.random.default_rng(0)
    lin = cs.ContextualizedRegression(rng.normal(size=50), rng.normal(size=(50, 1)), rng.normal(size=(50, 1)),
                                      encoder="linear").fit()
    with pytest.raises(ValueError, match="encoder='spline'"):
        lin.heterogeneity_test(method="smooth")


def test_binomial_and_poisson_use_chi_square():
    rng = np.random.default_rng(5)
    n = 1500
    c = rng.lognormal(size=n)
    x = rng.normal(size=n)
    eta = 0.3 * x * (1 + (c > 1))
    for family, y in [("binomial", rng.binomial(1, 1 / (1 + np.exp(-eta)))), ("poisson", rng.poisson(np.exp(eta)))]:
        res = cs.ContextualizedGLM(y, x[:, None], c[:, None], family=family, encoder="spline").fit()
        het = res.heterogeneity_test()
        assert het.attrs["distribution"] == "chi2" and het["df_denom"].isna().all()
        assert ((het["pvalue"] >= 0) & (het["pvalue"] <= 1)).all()


def mgcv_reference():
    data = pd.read_csv(RESULTS / "mgcv_smooth_tests_data.csv")
    ref = pd.read_csv(RESULTS / "mgcv_smooth_tests_results.csv", skipinitialspace=True)
    return data, ref


def ctxstats_pvalues(data: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for s, d in data.groupby("set"):
        res = cs.ContextualizedRegression(d["y"], d[["x1", "x2"]], d[["c"]], encoder="spline", n_knots=10).fit()
        terms = spline.smooth_terms(res)
        rows += [{"set": s, "coefficient": k, "p_value": p} for k, p in zip(terms["coefficient"], terms["p_value"])]
    return pd.DataFrame(rows)


def test_agrees_with_mgcv_summary_gam_frozen():
    """Within a factor of 2 on the log scale of mgcv's p-values (both its P-spline and its
    thin-plate fits of the same data), from the numbers mgcv_smooth_tests.R froze."""
    data, ref = mgcv_reference()
    ours = ctxstats_pvalues(data)
    for basis in ("ps", "tp"):
        r = ref[ref["basis"] == basis].merge(ours, on=["set", "coefficient"], suffixes=("_mgcv", ""))
        assert len(r) == 9 and (r["p_value_mgcv"] > 0).all()
        ratio = np.log(r["p_value"]) / np.log(r["p_value_mgcv"])
        assert ((0.5 <= ratio) & (ratio <= 2.0)).all(), (basis, ratio.to_numpy())
    # Against mgcv's P-spline fit, the matching smoother, the agreement is much closer than the
    # target (measured: log-ratios 0.97-1.03).
    r = ref[ref["basis"] == "ps"].merge(ours, on=["set", "coefficient"], suffixes=("_mgcv", ""))
    ratio = np.log(r["p_value"]) / np.log(r["p_value_mgcv"])
    assert ((0.9 <= ratio) & (ratio <= 1.1)).all(), ratio.to_numpy()


@pytest.mark.against_r
def test_frozen_mgcv_numbers_are_what_mgcv_gives(tmp_path):
    """Re-runs mgcv_smooth_tests.R into a scratch folder: the data and p-values it writes are
    the frozen ones."""
    if subprocess.run(["Rscript", "-e", "library(mgcv)"], capture_output=True).returncode != 0:
        pytest.skip("needs R with mgcv")
    subprocess.run(["Rscript", str(RESULTS / "mgcv_smooth_tests.R"), str(tmp_path)], check=True, capture_output=True)
    data, ref = mgcv_reference()
    live = pd.read_csv(tmp_path / "mgcv_smooth_tests_results.csv", skipinitialspace=True)
    np.testing.assert_allclose(pd.read_csv(tmp_path / "mgcv_smooth_tests_data.csv").to_numpy(), data.to_numpy())
    np.testing.assert_allclose(live["p_value"], ref["p_value"], rtol=1e-6)
    np.testing.assert_allclose(live["F"], ref["F"], rtol=1e-6)


@pytest.mark.against_r
def test_r_and_python_give_the_same_tests():
    from rsupport import r_package

    ro = r_package()
    data, _ = mgcv_reference()
    d = data[data["set"] == 1]
    res = cs.ContextualizedRegression(d["y"], d[["x1", "x2"]], d[["c"]], encoder="spline", n_knots=10).fit()
    ro.globalenv["d"] = ro.DataFrame({k: ro.FloatVector(d[k].to_numpy()) for k in ("c", "x1", "x2", "y")})
    ro.r("f <- suppressWarnings(ctx_glm(y ~ x1 + x2 | c, data = d, encoder = 'spline', n_knots = 10))")
    terms = spline.smooth_terms(res)
    for col in ("edf", "ref_df", "rank", "statistic", "p_value"):
        np.testing.assert_allclose(np.array(ro.r(f"ctxstats:::smooth_terms(f)${col}")), terms[col], rtol=1e-10)
    het = res.heterogeneity_test()
    np.testing.assert_allclose(np.array(ro.r("heterogeneity_test(f)$pvalue")), het["pvalue"], rtol=1e-10)
    assert list(ro.r("attr(heterogeneity_test(f), 'method')")) == ["smooth"]
