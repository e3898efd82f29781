"""cov_type="cluster": the cluster-robust covariance of the linear encoder against statsmodels'
cov_type="cluster" (OLS, WLS, GLM) on the interaction design, with its tests, its intervals,
its files and its errors."""
import io

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import ctxstats as cs
from conftest import make_vcm


def design(X, C):
    Xt = np.column_stack([np.ones(len(X)), X])
    Ct = np.column_stack([np.ones(len(C)), C])
    return np.einsum("ik,il->ikl", Xt, Ct).reshape(len(X), -1)


def data(family, seed=5, n=300, G=23):
    d = make_vcm(n=n, p=2, m=2, family=family, seed=seed)
    rng = np.random.default_rng(seed)
    d["g"] = np.array([f"firm{k}" for k in rng.integers(0, G, n)])      # string labels
    if family == "gaussian":                                              # a shared shock per group
        shock = rng.normal(size=G)
        d["y"] = d["y"] + shock[pd.factorize(d["g"])[0] % G]
    return d


def reference(d, family, weights=None):
    Z = design(d["X"], d["C"])
    kw = {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(d["g"])[0]}}
    if family == "gaussian":
        mod = sm.WLS(d["y"], Z, weights=weights) if weights is not None else sm.OLS(d["y"], Z)
        return mod.fit(**kw)
    fam = sm.families.Binomial() if family == "binomial" else sm.families.Poisson()
    return sm.GLM(d["y"], Z, family=fam).fit(tol=1e-14, maxiter=200, **kw)


def ours(d, family, weights=None, **kw):
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear", weights=weights)
    return model.fit(cov_type="cluster", groups=d["g"], **kw)


def close(a, b, rtol=1e-8):
    a, b = np.asarray(a, float), np.asarray(b, float)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())


@pytest.mark.parametrize("family,weighted", [("gaussian", False), ("gaussian", True), ("binomial", False),
                                             ("poisson", False)])
def test_cluster_covariance_equals_statsmodels(family, weighted):
    d = data(family)
    w = np.random.default_rng(1).uniform(0.3, 3.0, len(d["y"])) if weighted else None
    ref = reference(d, family, w)
    res = ours(d, family, w)
    tol = 1e-8 if family == "gaussian" else 1e-7
    close(res.interaction_params, ref.params, tol)
    close(res.interaction_cov_params(), ref.cov_params(), tol)
    assert res.cov_type == "cluster" and not res.use_t and not ref.use_t
    # average effects: statsmodels' t_test of the linear combination (normal, as cluster is)
    a = np.concatenate([[1.0], d["C"].mean(axis=0)])
    L = np.kron(np.eye(3), a[None, :])
    tt = ref.t_test(L)
    close(res.bse, tt.sd, tol)
    close(res.pvalues, tt.pvalue, 1e-6)
    close(res.conf_int(0.1), tt.conf_int(alpha=0.1), tol)


def test_cluster_heterogeneity_tests_use_g_minus_1_denominator_df():
    d = data("gaussian")
    ref = reference(d, "gaussian")
    res = ours(d, "gaussian")
    het = res.heterogeneity_test()
    G = len(np.unique(d["g"]))
    for k, name in enumerate(het.index):
        t = ref.f_test(np.eye(9)[[k * 3 + 1, k * 3 + 2]])
        assert het.loc[name, "df_denom"] == G - 1 == t.df_denom
        close(het.loc[name, "statistic"], t.statistic)
        close(het.loc[name, "pvalue"], t.pvalue, 1e-6)
    assert "cov_type=cluster (23 groups)" in res.summary().as_text()


def test_cluster_is_deterministic_for_any_thread_count_and_label_coding():
    d = data("gaussian", n=2000)
    a = ours(d, "gaussian", threads=1).interaction_cov_params().to_numpy()
    b = ours(d, "gaussian", threads=2).interaction_cov_params().to_numpy()
    assert np.array_equal(a, b)
    codes = pd.factorize(d["g"])[0] * 7 + 100                     # the same partition, other labels
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="linear")
    c = model.fit(cov_type="cluster", groups=codes, threads=1).interaction_cov_params().to_numpy()
    assert np.array_equal(a, c)


def test_cluster_fits_save_and_load_in_both_formats(tmp_path):
    d = data("poisson")
    res = ours(d, "poisson")
    buf = io.BytesIO()
    cs.save(res, tmp_path / "fit.zip")
    from ctxstats import model_file

    model_file.save_results(res, buf)
    for back in (cs.load(tmp_path / "fit.zip"), model_file.load_results(io.BytesIO(buf.getvalue()))):
        assert back.cov_type == "cluster"
        np.testing.assert_array_equal(back.bse, res.bse)


def test_cluster_errors_name_the_argument():
    d = data("gaussian")
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="linear")
    with pytest.raises(ValueError, match="needs groups"):
        model.fit(cov_type="cluster")
    with pytest.raises(ValueError, match="groups are used by cov_type='cluster'"):
        model.fit(groups=d["g"])
    with pytest.raises(ValueError, match="one label per row"):
        model.fit(cov_type="cluster", groups=d["g"][:10])
    with pytest.raises(ValueError, match="at least 2 distinct"):
        model.fit(cov_type="cluster", groups=np.zeros(len(d["y"])))
    g = d["g"].astype(object)
    g[3] = None
    with pytest.raises(ValueError, match="missing labels .*row 3"):
        model.fit(cov_type="cluster", groups=g)
    spline = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="spline")
    with pytest.raises(ValueError, match="linear encoder"):
        spline.fit(cov_type="cluster", groups=d["g"])
    plain = model.fit()
    with pytest.raises(ValueError, match="needs the fit's groups"):
        plain.interaction_cov_params("cluster")


def test_formula_api_takes_weights_and_groups_as_column_names(tmp_path):
    d = data("gaussian")
    df = pd.DataFrame({"y": d["y"], "x1": d["X"][:, 0], "x2": d["X"][:, 1], "c1": d["C"][:, 0], "c2": d["C"][:, 1],
                       "firm": d["g"], "w": np.random.default_rng(2).uniform(0.5, 2.0, len(d["y"]))})
    df.loc[4, "x1"] = np.nan                                          # dropped from weights and groups too
    from ctxstats.formula.api import ctx_glm

    res = ctx_glm("y ~ x1 + x2 | c1 + c2", df, encoder="linear", weights="w", groups="firm").fit(cov_type="cluster")
    keep = df.dropna()
    ref = sm.WLS(keep["y"].to_numpy(), design(keep[["x1", "x2"]].to_numpy(), keep[["c1", "c2"]].to_numpy()),
                 weights=keep["w"].to_numpy()).fit(cov_type="cluster",
                                                   cov_kwds={"groups": pd.factorize(keep["firm"])[0]})
    close(res.interaction_cov_params(), ref.cov_params())
    cs.save(res, tmp_path / "f.zip")
    np.testing.assert_array_equal(cs.load(tmp_path / "f.zip").bse, res.bse)
    with pytest.raises(ValueError, match="weights='v' is not a column"):
        ctx_glm("y ~ x1 | c1", df, encoder="linear", weights="v")
