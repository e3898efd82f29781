"""Deviance, null deviance, Pearson chi-square, scale and the four residual types (computed
once in the core, csrc/inference/fit_statistics) equal statsmodels' GLM on the linear
encoder's interaction design, with and without prior weights (statsmodels' var_weights, R's
glm weights)."""
import numpy as np
import pytest
import statsmodels.api as sm

import ctxstats as cs
from conftest import make_vcm
from test_vs_statsmodels import interaction_design

FAMILIES = {"gaussian": sm.families.Gaussian, "binomial": sm.families.Binomial, "poisson": sm.families.Poisson}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_fit_statistics_equal_statsmodels_glm(family, weighted):
    d = make_vcm(n=400, p=2, m=2, family=family, seed=21)
    w = np.random.default_rng(3).uniform(0.3, 2.5, size=400) if weighted else None
    Z, _ = interaction_design(d["X"], d["C"])
    ref = sm.GLM(d["y"], Z, family=FAMILIES[family](), var_weights=w).fit(tol=1e-14, maxiter=200)
    res = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear", weights=w).fit()
    for name in ["deviance", "null_deviance", "pearson_chi2", "scale"]:
        np.testing.assert_allclose(getattr(res, name), getattr(ref, name), rtol=1e-8, err_msg=name)
    for kind in ["response", "pearson", "deviance", "working"]:
        np.testing.assert_allclose(getattr(res, f"resid_{kind}"), getattr(ref, f"resid_{kind}"), rtol=1e-7,
                                   atol=1e-9, err_msg=kind)
    np.testing.assert_allclose(np.sum(res.resid_deviance ** 2), res.deviance, rtol=1e-12)
    if family != "gaussian":  # statsmodels' gaussian GLM llf uses the scale, not the ML variance
        np.testing.assert_allclose(res.llf, ref.llf, rtol=1e-8)


def test_null_deviance_without_intercept_uses_the_inverse_link_of_zero():
    d = make_vcm(n=300, p=2, m=1, family="poisson", seed=5)
    res = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family="poisson", encoder="linear",
                               fit_intercept=False).fit()
    y = d["y"]
    expected = 2 * np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0) - (y - 1.0))
    np.testing.assert_allclose(res.null_deviance, expected, rtol=1e-12)


def test_scale_is_nan_without_residual_degrees_of_freedom_and_bad_types_are_refused():
    from ctxstats import _core

    assert np.isnan(_core.dispersion("gaussian", 3.0, 0.0))
    assert _core.dispersion("poisson", 3.0, 10.0) == 1.0
    y = np.array([1.0, 2.0]), np.array([1.5, 1.5])
    with pytest.raises(ValueError, match="residual type"):
        _core.residuals("gaussian", "studentized", *y, None)
    with pytest.raises(ValueError, match="binomial mean"):
        _core.fit_statistics("binomial", np.array([1.0]), np.array([1.5]), None, True)
    with pytest.raises(ValueError, match="weights"):
        _core.fit_statistics("gaussian", *y, np.array([1.0, -1.0]), True)


def _nested_designs(d):
    """The interaction designs of y ~ x1 | c1 (restricted) and y ~ x1 + x2 | c1 + c2."""
    small = {"X": d["X"][:, :1], "C": d["C"][:, :1]}
    return small, {"X": d["X"], "C": d["C"]}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_nested_comparisons_equal_statsmodels(family):
    d = make_vcm(n=400, p=2, m=2, family=family, seed=31)
    small, full = _nested_designs(d)
    fits, refs = [], []
    for part in (small, full):
        fits.append(cs.ContextualizedGLM(d["y"], part["X"], part["C"], family=family, encoder="linear").fit())
        Z, _ = interaction_design(part["X"], part["C"])
        refs.append(sm.GLM(d["y"], Z, family=FAMILIES[family]()).fit(tol=1e-14, maxiter=200) if family != "gaussian"
                    else sm.OLS(d["y"], Z).fit())
    lr, p, df = fits[1].compare_lr_test(fits[0])
    ref_lr = refs[1].compare_lr_test(refs[0]) if family == "gaussian" else None
    if ref_lr is not None:
        np.testing.assert_allclose([lr, p, df], ref_lr, rtol=1e-8)
        f, pf, dff = fits[1].compare_f_test(fits[0])
        np.testing.assert_allclose([f, pf, dff], refs[1].compare_f_test(refs[0]), rtol=1e-8)
    else:  # GLM: the deviance difference, chi-square
        np.testing.assert_allclose(lr, refs[0].deviance - refs[1].deviance, rtol=1e-8)
        np.testing.assert_allclose(df, refs[0].df_resid - refs[1].df_resid)
        with pytest.raises(ValueError, match="gaussian"):
            fits[1].compare_f_test(fits[0])
    table = cs.compare(*fits)
    assert list(table["df_resid"]) == [refs[0].df_resid, refs[1].df_resid]
    stat = table["statistic"].iloc[1]
    if family == "gaussian":
        np.testing.assert_allclose(stat, refs[1].compare_f_test(refs[0])[0], rtol=1e-8)
    else:
        np.testing.assert_allclose(stat, lr, rtol=1e-12)


def test_compare_refuses_other_rows_and_wrong_order():
    d = make_vcm(n=200, p=2, m=2, seed=32)
    small = cs.ContextualizedGLM(d["y"], d["X"][:, :1], d["C"][:, :1], encoder="linear").fit()
    full = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="linear").fit()
    with pytest.raises(ValueError, match="restricted"):
        cs.compare(full, small)
    other = cs.ContextualizedGLM(d["y"][::-1].copy(), d["X"], d["C"], encoder="linear").fit()
    with pytest.raises(ValueError, match="same response"):
        cs.compare(small, other)
