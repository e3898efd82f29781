"""Analytic inference for the linear encoder equals statsmodels on the interaction design
[1, x] (x) [1, c]: covariances (nonrobust, HC0-HC3), average effects (t_test of the linear
combination), heterogeneity tests (f_test / wald_test), per-sample intervals and
predictions."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import ctxstats as cs
from conftest import make_vcm

COV_TYPES = ["nonrobust", "HC0", "HC1", "HC2", "HC3"]


def design(X, C, intercept=True):
    Xt = np.column_stack([np.ones(len(X)), X]) if intercept else X
    Ct = np.column_stack([np.ones(len(C)), C])
    return np.einsum("ik,il->ikl", Xt, Ct).reshape(len(X), -1)


def reference(d, family, cov_type, weights=None, intercept=True):
    Z = design(d["X"], d["C"], intercept)
    if family == "gaussian":
        mod = sm.WLS(d["y"], Z, weights=weights) if weights is not None else sm.OLS(d["y"], Z)
        return mod.fit(cov_type=cov_type), Z
    fam = sm.families.Binomial() if family == "binomial" else sm.families.Poisson()
    mod = sm.GLM(d["y"], Z, family=fam, var_weights=weights)
    return mod.fit(cov_type=cov_type, tol=1e-14, maxiter=200), Z


def ours(d, family, cov_type, weights=None, intercept=True):
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear", weights=weights,
                                 fit_intercept=intercept)
    return model.fit(cov_type=cov_type)


def data(family, seed=11, n=250):
    d = make_vcm(n=n, p=2, m=2, family=family, seed=seed)
    d["C"][:, 1] = d["C"][:, 1] * 30 + 5     # units far from standardised
    d["X"][:, 0] += 3.0
    if family == "gaussian":  # heteroscedastic noise, so the HC types differ from nonrobust
        d["y"] = d["y"] + 0.5 * np.abs(d["C"][:, 0]) * np.random.default_rng(seed).normal(size=n)
    return d


def close(a, b, rtol=1e-8):
    a, b = np.asarray(a, float), np.asarray(b, float)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())


@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_gaussian_covariances_equal_ols_wls(cov_type, weighted):
    d = data("gaussian")
    w = np.random.default_rng(2).uniform(0.3, 3.0, size=len(d["y"])) if weighted else None
    ref, _ = reference(d, "gaussian", cov_type, w)
    res = ours(d, "gaussian", cov_type, w)
    close(res.interaction_params, ref.params)
    close(res.interaction_cov_params(), ref.cov_params())
    assert res.use_t == (cov_type == "nonrobust") == ref.use_t and res.df_resid == ref.df_resid


@pytest.mark.parametrize("family", ["binomial", "poisson"])
@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
@pytest.mark.parametrize("weighted", [False, True])
def test_glm_covariances_equal_statsmodels_glm(family, cov_type, weighted):
    d = data(family)
    w = np.random.default_rng(3).uniform(0.3, 3.0, size=len(d["y"])) if weighted else None
    ref, _ = reference(d, family, cov_type, w)
    res = ours(d, family, cov_type, w)
    close(res.interaction_params, ref.params, 1e-7)
    close(res.interaction_cov_params(), ref.cov_params(), 1e-7)
    assert not res.use_t


@pytest.mark.parametrize("family", ["binomial", "poisson"])
@pytest.mark.parametrize("cov_type", ["HC1", "HC2", "HC3"])
def test_glm_small_sample_corrections(family, cov_type):
    # statsmodels' GLM returns HC0 for every HCx; the corrections follow R's sandwich::vcovHC:
    # HC1 scales by n / (n - k); HC2/HC3 divide row i's score outer product by (1 - h_i)^1 or ^2
    # with h_i the GLM hat values. Built here from statsmodels' own scores and hat values.
    d = data(family)
    ref, Z = reference(d, family, "nonrobust")
    res = ours(d, family, cov_type)
    score = ref.model.score_obs(ref.params)
    bread = np.linalg.inv(-ref.model.hessian(ref.params))
    n, k = Z.shape
    if cov_type == "HC1":
        meat = score.T @ score * n / (n - k)
    else:
        h = ref.get_hat_matrix_diag()
        power = 1 if cov_type == "HC2" else 2
        meat = (score / (1 - h)[:, None] ** power).T @ score
    close(res.interaction_cov_params(), bread @ meat @ bread, 1e-7)


@pytest.mark.parametrize("family,cov_type", [("gaussian", "nonrobust"), ("gaussian", "HC3"),
                                             ("binomial", "nonrobust"), ("poisson", "HC0")])
def test_average_effects_equal_t_test_of_linear_combination(family, cov_type):
    d = data(family)
    ref, _ = reference(d, family, cov_type)
    res = ours(d, family, cov_type)
    q, m1 = 3, 3
    a = np.concatenate([[1.0], d["C"].mean(axis=0)])
    L = np.kron(np.eye(q), a[None, :])
    tt = ref.t_test(L)
    close(res.params, tt.effect)
    close(res.bse, tt.sd)
    close(res.tvalues, tt.tvalue)
    close(res.pvalues, tt.pvalue, 1e-6)
    close(res.conf_int(0.1), tt.conf_int(alpha=0.1))
    close(res.cov_params(), L @ ref.cov_params() @ L.T)
    assert list(res.conf_int().columns) == [0, 1]


@pytest.mark.parametrize("family,cov_type", [("gaussian", "nonrobust"), ("gaussian", "HC1"),
                                             ("binomial", "nonrobust"), ("poisson", "HC0")])
def test_heterogeneity_wald_equals_f_test_and_wald_test(family, cov_type):
    d = data(family)
    ref, _ = reference(d, family, cov_type)
    res = ours(d, family, cov_type)
    het = res.heterogeneity_test()
    assert list(het.index) == ["Intercept", "x1", "x2"]
    by_ctx = res.heterogeneity_test(by="context")
    assert list(by_ctx.index) == ["c1", "c2"]
    D = 9
    for k, name in enumerate(het.index):
        R = np.eye(D)[[k * 3 + 1, k * 3 + 2]]
        if family == "gaussian":
            t = ref.f_test(R)
            assert het.attrs["distribution"] == "F"
            assert het.loc[name, "df"] == 2 and het.loc[name, "df_denom"] == ref.df_resid
        else:
            t = ref.wald_test(R, scalar=True)
            assert het.attrs["distribution"] == "chi2"
        close(het.loc[name, "statistic"], t.statistic)
        close(het.loc[name, "pvalue"], t.pvalue, 1e-6)
    for l, name in enumerate(by_ctx.index):
        R = np.eye(D)[[k * 3 + l + 1 for k in range(3)]]
        t = ref.f_test(R) if family == "gaussian" else ref.wald_test(R, scalar=True)
        close(by_ctx.loc[name, "statistic"], t.statistic)


def test_context_effects_table_equals_interaction_rows():
    d = data("gaussian")
    ref, _ = reference(d, "gaussian", "HC2")
    res = ours(d, "gaussian", "HC2")
    ce = res.context_effects(alpha=0.1)
    rows = [k * 3 + l + 1 for k in range(3) for l in range(2)]
    close(ce["coef"], ref.params[rows])
    close(ce["std err"], ref.bse[rows])
    assert list(ce.columns[2:4]) == ["z", "P>|z|"]  # robust covariance: normal, as statsmodels
    close(ce["z"], ref.tvalues[rows])
    close(ce["P>|z|"], ref.pvalues[rows], 1e-6)
    close(ce.iloc[:, 4:].to_numpy(), ref.conf_int(alpha=0.1)[rows])
    assert ce.index[3] == ("x1", "c2")


def test_no_intercept_equals_statsmodels():
    d = data("gaussian")
    ref, _ = reference(d, "gaussian", "HC3", intercept=False)
    res = ours(d, "gaussian", "HC3", intercept=False)
    close(res.interaction_params, ref.params)
    close(res.interaction_cov_params(), ref.cov_params())
    assert res.interaction_names[:3] == ["x1", "x1:c1", "x1:c2"]


@pytest.mark.parametrize("family", ["gaussian", "binomial"])
def test_sample_intervals_and_predictions_equal_statsmodels(family):
    d = data(family)
    ref, Z = reference(d, family, "nonrobust")
    res = ours(d, family, "nonrobust")
    # per-sample coefficient of x1: row i of [1, c] times the x1 block of b
    rows = slice(0, 12)
    Ct = np.column_stack([np.ones(len(d["C"])), d["C"]])
    L = np.zeros((12, 9))
    L[:, 3:6] = Ct[rows]
    lo, hi = res.sample_conf_int(alpha=0.05)
    ci = ref.t_test(L).conf_int(alpha=0.05)
    close(lo["x1"].to_numpy()[rows], ci[:, 0])
    close(hi["x1"].to_numpy()[rows], ci[:, 1])
    assert lo.shape == res.sample_params.shape and list(lo.columns) == list(res.sample_params.columns)
    # predictions for new samples
    Xn, Cn = d["X"][:7] + 0.1, d["C"][:7] - 0.2
    ours_sf = res.get_prediction(Xn, Cn).summary_frame(alpha=0.1)
    ref_sf = ref.get_prediction(design(Xn, Cn)).summary_frame(alpha=0.1)
    for col in ref_sf.columns:
        close(ours_sf[col], ref_sf[col], 1e-7)
    assert list(ours_sf.columns) == list(ref_sf.columns)


def test_lbfgs_solution_gives_the_same_inference():
    d = data("gaussian")
    exact = ours(d, "gaussian", "HC1")
    lbfgs = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear").fit(
        solver="lbfgs", tol=1e-11, cov_type="HC1")
    np.testing.assert_allclose(lbfgs.bse, exact.bse, rtol=1e-4)


def test_cov_type_validation():
    d = data("gaussian")
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    with pytest.raises(ValueError, match="cov_type must be one of"):
        model.fit(cov_type="HC9")
    with pytest.raises(ValueError, match="n_bootstraps"):
        model.fit(cov_type="bootstrap")
    with pytest.raises(ValueError, match="unpenalised linear encoder"):
        model.fit(cov_type="HC0", alpha=0.1)
    assert model.fit(cov_type="hc3").cov_type == "HC3"
    mlp = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4)
    with pytest.raises(ValueError, match="unpenalised linear encoder"):
        mlp.fit(cov_type="nonrobust", max_iter=5)
    with pytest.warns(cs.ConvergenceWarning, match="L-BFGS reached max_iter=5"):
        res = mlp.fit(max_iter=5)
    assert res.cov_type is None
    for attr in ("bse", "pvalues"):
        with pytest.raises(ValueError, match="n_bootstraps"):
            getattr(res, attr)
    with pytest.raises(ValueError, match="n_bootstraps"):
        res.conf_int()
    with pytest.raises(ValueError, match="linear encoder"):
        res.context_effects()
    with pytest.raises(ValueError, match="alpha"):
        model.fit().conf_int(alpha=1.5)


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC3", "cluster"])
def test_context_far_from_zero_on_real_data(cov_type):
    """Grunfeld's investment panel (statsmodels' copy) with the calendar year as the context:
    in user units the columns x and x * year are nearly collinear (year ~ 1945), which once made
    the pseudo-inverse drop real directions (intercept SE 0.013 instead of 2,531). The core now
    computes the covariance in a centred parametrisation and maps it back."""
    import statsmodels.formula.api as smf

    df = sm.datasets.grunfeld.load_pandas().data
    groups = pd.factorize(df["firm"])[0]
    kw = {"cov_type": cov_type, **({"cov_kwds": {"groups": groups}} if cov_type == "cluster" else {})}
    ref = smf.ols("invest ~ (value + capital) * year", df).fit(**kw)
    res = cs.ContextualizedGLM.from_formula("invest ~ value + capital | year", df, encoder="linear",
                                            groups="firm").fit(cov_type=cov_type)
    ours = res.interaction_cov_params()            # the same names as the formula's terms
    close(ours.to_numpy(), ref.cov_params().loc[ours.index, ours.index].to_numpy())
    assert res.heterogeneity_test().loc["Intercept", "statistic"] == pytest.approx(ref.f_test("year = 0").statistic,
                                                                                  rel=1e-8)
