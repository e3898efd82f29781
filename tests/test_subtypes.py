"""Subtypes from sample models (ctxstats.subtypes, csrc/inference/subtypes.hpp): the adjusted
Rand index against scikit-learn's, recovery of well-separated clusters and of latent subgroups
from fitted models, determinism for any thread count, bootstrap stability, analytic intervals
for the linear encoder (against the average effects over each subtype's contexts), every kind
of results, bad input, the plot, and R == Python bitwise (marked ``against_r``)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from ctxstats import _core
from ctxstats.subtypes import Subtypes, adjusted_rand_index, find


def subgroup_data(n=600, seed=0, noise=0.3):
    """Four groups fixed by c1 > 0 and c2 > 0 (benchmarks/subgroups_personalized.py's design)."""
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 3))
    theta = (np.array([1.0, 2.0, -1.0]) + np.outer(C[:, 0] > 0, [-0.5, -1.0, 3.0])
             + np.outer(C[:, 1] > 0, [-2.0, -3.0, 2.0]))
    X = rng.normal(size=(n, 2))
    y = theta[:, 0] + (X * theta[:, 1:]).sum(axis=1) + noise * rng.normal(size=n)
    truth = 2 * (C[:, 0] > 0) + (C[:, 1] > 0)
    return (pd.Series(y, name="y"), pd.DataFrame(X, columns=["x1", "x2"]),
            pd.DataFrame(C, columns=["c1", "c2", "c3"]), truth)


def blobs(n=400, k=3, seed=0):
    rng = np.random.default_rng(seed)
    truth = np.arange(n) % k
    centres = rng.normal(scale=8.0, size=(k, 4))
    return centres[truth] + rng.normal(size=(n, 4)), truth


def test_adjusted_rand_index_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    for n, ka, kb in [(50, 2, 3), (300, 5, 5), (1000, 4, 7), (7, 1, 1), (10, 1, 3)]:
        a, b = rng.integers(0, ka, n), rng.integers(0, kb, n)
        assert adjusted_rand_index(a, b) == pytest.approx(metrics.adjusted_rand_score(a, b), abs=1e-12)
        b2 = np.where(rng.random(n) < 0.8, a, b)  # correlated labellings
        assert adjusted_rand_index(a, b2) == pytest.approx(metrics.adjusted_rand_score(a, b2), abs=1e-12)


def test_separated_clusters_are_recovered_with_their_k():
    theta, truth = blobs()
    s = find(theta, ["a", "b", "c", "d"], seed=0)
    assert s.k == 3
    assert adjusted_rand_index(truth, s.labels) == 1.0
    assert list(s.criterion.index) == list(range(2, 9))
    assert s.criterion.idxmax() == 3
    assert s.sizes.tolist() == [134, 133, 133]
    # each subtype's mean is its members' mean, in the units given
    for j in range(3):
        np.testing.assert_allclose(s.means.iloc[j].to_numpy(), theta[s.labels == j].mean(axis=0), rtol=1e-12)
    assert s.intervals.startswith("none")


def test_same_result_for_any_thread_count_and_seeded():
    theta, _ = blobs(n=3000, k=5, seed=2)   # > 2,000 samples: the silhouette's subsample is seeded
    one = _core.subtypes(theta, None, 0, 8, 10, 4, 0.05, 1)
    two = _core.subtypes(theta, None, 0, 8, 10, 4, 0.05, 2)
    for key in ("labels", "criterion", "means", "scores"):
        np.testing.assert_array_equal(one[key], two[key])


def test_no_structure_gives_one_subtype():
    s = find(np.full((30, 2), 1.5), ["a", "b"])
    assert s.k == 1 and (s.labels == 0).all() and len(s.criterion) == 0


def test_bootstrap_stability_and_intervals_spline():
    y, X, C, truth = subgroup_data(n=600)
    res = cs.ContextualizedRegression(y, X, C, encoder="spline").fit(n_bootstraps=8, seed=0, threads=2)
    s = res.subtypes(k=4)   # the silhouette prefers k = 6 here: the smooths blur the steps
    assert adjusted_rand_index(truth, s.labels) >= 0.85
    assert s.replicate_ari.shape == (8,) and s.stability >= 0.8
    assert s.coassignment.shape == (600,) and ((s.coassignment >= 0) & (s.coassignment <= 1)).all()
    assert {"mean", "std err", "lower", "upper"} <= set(s.table.columns)
    t = s.table
    assert (t["lower"] <= t["upper"]).all()
    # the intervals cover the true group averages of each parameter for most entries
    theta = res.sample_params.to_numpy()
    for j in range(s.k):
        np.testing.assert_allclose(t.loc[j, "mean"].to_numpy(), theta[s.labels == j].mean(axis=0), rtol=1e-12)
    assert s.intervals.startswith("bootstrap, B=8")
    # thread-invariant bootstrap part
    res2 = cs.ContextualizedRegression(y, X, C, encoder="spline").fit(n_bootstraps=8, seed=0, threads=1)
    s2 = res2.subtypes(k=4)
    np.testing.assert_array_equal(s.table.to_numpy(), s2.table.to_numpy())
    np.testing.assert_array_equal(s.coassignment.to_numpy(), s2.coassignment.to_numpy())


def test_analytic_intervals_linear_encoder():
    y, X, C, _ = subgroup_data(n=400, seed=3)
    res = cs.ContextualizedRegression(y, X, C, encoder="linear").fit()
    s = res.subtypes(k=3)
    assert s.k == 3 and s.intervals.startswith("analytic")
    # a subtype's average model is the fit's average effects over its members' contexts:
    # the same as refitting the results' params on those rows' contexts
    lc = res._inference.covariance(res)
    from ctxstats.inference import average_effect_covariance
    for j in range(3):
        members = C.to_numpy()[s.labels == j]
        se = np.sqrt(np.diag(average_effect_covariance(lc, members, 3)))
        np.testing.assert_allclose(s.table.loc[j, "std err"].to_numpy(), se, rtol=1e-12)
    # over all samples (one subtype) the interval is the average effects' conf_int
    s1 = res.subtypes(k=1)
    np.testing.assert_allclose(s1.table["lower"].to_numpy(), res.conf_int()[0].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(s1.table["upper"].to_numpy(), res.conf_int()[1].to_numpy(), rtol=1e-10)


def test_vp_intervals_spline_encoder():
    y, X, C, _ = subgroup_data(n=400, seed=4)
    res = cs.ContextualizedRegression(y, X, C, encoder="spline").fit()
    s1 = res.subtypes(k=1)
    assert s1.intervals.startswith("Bayesian covariance Vp")
    np.testing.assert_allclose(s1.table["std err"].to_numpy(), res.bse.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(s1.table["lower"].to_numpy(), res.conf_int()[0].to_numpy(), rtol=1e-10)
    s = res.subtypes(k=4, params=["x2"])
    assert s.table.shape == (4, 4) and (s.table["lower"] < s.table["mean"]).all()


def test_params_subset_and_bad_input():
    y, X, C, _ = subgroup_data(n=200)
    res = cs.ContextualizedRegression(y, X, C, encoder="linear").fit()
    s = res.subtypes(k=2, params=["x1", "x2"])
    assert list(s.table.index.get_level_values("parameter").unique()) == ["x1", "x2"]
    with pytest.raises(ValueError, match="k must be at least 1"):
        res.subtypes(k=0)
    with pytest.raises(TypeError, match="k must be an integer"):
        res.subtypes(k="4")
    with pytest.raises(ValueError, match="params must name"):
        res.subtypes(params=["nope"])
    with pytest.raises(ValueError, match="k must not exceed"):
        res.subtypes(k=500)
    with pytest.raises(ValueError, match="k_max"):
        res.subtypes(k_max=1)
    with pytest.raises(ValueError, match="alpha"):
        res.subtypes(alpha=1.5)
    with pytest.raises(ValueError, match="non-finite"):
        find(np.array([[1.0, np.nan], [2.0, 3.0]]), ["a", "b"])


def test_mlp_results_and_summary():
    y, X, C, truth = subgroup_data(n=600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.ContextualizedRegression(y, X, C, encoder="mlp").fit(seed=0, threads=2)
    s = res.subtypes()
    assert isinstance(s, Subtypes) and len(s.labels) == 600
    assert s.k == 4 and adjusted_rand_index(truth, s.labels) >= 0.9
    text = s.summary()
    assert "mean silhouette" in text and "intervals: none" in text


def test_personalized_results():
    y, X, C, truth = subgroup_data(n=400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.PersonalizedRegression(y, X, C).fit(seed=0, threads=2, n_bootstraps=3)
    s = res.subtypes(k=4)
    assert s.k == 4 and s.replicate_ari.shape == (3,)
    assert adjusted_rand_index(truth, s.labels) > 0.5


def test_easy_estimators():
    """ctxstats.easy estimators: every outcome's intercept and coefficients, the replicates' mean
    as the point estimate (predict_params'), the replicates giving stability and intervals."""
    from ctxstats.easy import ContextualizedRegressor

    y, X, C, truth = subgroup_data(n=600)
    Y = np.column_stack([y, 0.5 * y])
    est = ContextualizedRegressor(n_bootstraps=3, encoder_type="ngam")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(C.to_numpy(), X.to_numpy(), Y)
    s = est.subtypes(C.to_numpy(), k=4)
    assert s.param_names == ["y1:intercept", "y1:x1", "y1:x2", "y2:intercept", "y2:x1", "y2:x2"]
    betas, mus = est.predict_params(C.to_numpy())
    point = np.column_stack([mus[:, 0], betas[:, 0], mus[:, 1], betas[:, 1]])
    for g in range(4):
        np.testing.assert_allclose(s.means.loc[g], point[s.labels == g].mean(axis=0), rtol=1e-10, atol=1e-12)
    assert s.replicate_ari.shape == (3,) and "bootstrap" in s.intervals
    # the groups are additive in c1 and c2, which the ngam encoder follows (measured ARI 0.92)
    assert adjusted_rand_index(truth, s.labels) >= 0.85
    uni = ContextualizedRegressor(univariate=True, encoder_type="linear").fit(C.to_numpy(), X.to_numpy(), y.to_numpy())
    u = uni.subtypes(C.to_numpy(), k=2)
    assert u.param_names == ["y1~x1:intercept", "y1~x1:slope", "y1~x2:intercept", "y1~x2:slope"]
    assert u.replicate_ari is None


def test_networks_cluster_by_edges():
    rng = np.random.default_rng(0)
    n = 400
    C = rng.normal(size=(n, 1))
    group = C[:, 0] > 0
    x0 = rng.normal(size=n)
    x1 = np.where(group, 0.9, -0.9) * x0 + 0.3 * rng.normal(size=n)
    X = np.column_stack([x0, x1, rng.normal(size=n)])
    from ctxstats.easy import ContextualizedMarkovNetworks

    est = ContextualizedMarkovNetworks(n_bootstraps=3, encoder_type="linear")
    est.fit(C, X)
    s = est.subtypes(C, k=2)
    assert len(s.param_names) == 6 and s.param_names[0] == "x1~x2"
    assert s.replicate_ari.shape == (3,)
    assert adjusted_rand_index(group, s.labels) > 0.5


def test_plot():
    pytest.importorskip("matplotlib")
    theta, _ = blobs()
    fig = find(theta, ["a", "b", "c", "d"]).plot()
    assert len(fig.axes) == 2
    with pytest.raises(TypeError):
        cs.plotting.plot_subtypes("no")


@pytest.mark.against_r
def test_r_and_python_give_the_same_subtypes():
    from rsupport import as_array, r_frame, r_package

    ro = r_package()
    y, X, C, _ = subgroup_data(n=300, seed=5)
    df = pd.concat([y, X, C], axis=1)
    ro.globalenv["d"] = r_frame(df)
    # spline with bootstrap replicates
    py = cs.ContextualizedRegression(y, X, C, encoder="spline").fit(seed=3, n_bootstraps=4)
    ro.r('f <- ctx_glm(y ~ x1 + x2 | c1 + c2 + c3, d, encoder = "spline", seed = 3, n_bootstraps = 4)')
    s = py.subtypes(seed=11)
    ro.r("s <- ctx_subtypes(f, seed = 11)")
    assert int(ro.r("s$k")[0]) == s.k
    np.testing.assert_array_equal(np.asarray(ro.r("s$labels")) - 1, s.labels)
    np.testing.assert_array_equal(as_array(ro.r("s$criterion")), s.criterion.to_numpy())
    for col, r_col in [("mean", "mean"), ("std err", "se"), ("lower", "lower"), ("upper", "upper")]:
        np.testing.assert_array_equal(as_array(ro.r(f"s$table${r_col}")), s.table[col].to_numpy())
    np.testing.assert_array_equal(as_array(ro.r("s$coassignment")), s.coassignment.to_numpy())
    np.testing.assert_array_equal(as_array(ro.r("s$replicate_ari")), s.replicate_ari)
    # linear encoder, analytic intervals, k given
    py = cs.ContextualizedRegression(y, X, C, encoder="linear").fit()
    ro.r('g <- ctx_glm(y ~ x1 + x2 | c1 + c2 + c3, d, encoder = "linear")')
    s = py.subtypes(k=3, seed=2)
    ro.r("sg <- ctx_subtypes(g, k = 3, seed = 2)")
    np.testing.assert_array_equal(np.asarray(ro.r("sg$labels")) - 1, s.labels)
    np.testing.assert_allclose(as_array(ro.r("sg$table$lower")), s.table["lower"].to_numpy(), rtol=0, atol=1e-12)
    assert "analytic" in ro.r("sg$intervals")[0]
    # spline without replicates (Vp), a subset of the parameters
    py = cs.ContextualizedRegression(y, X, C, encoder="spline").fit()
    ro.r('h <- ctx_glm(y ~ x1 + x2 | c1 + c2 + c3, d, encoder = "spline")')
    s = py.subtypes(k=2, params=["x1", "x2"], seed=1)
    ro.r('sh <- ctx_subtypes(h, k = 2, params = c("x1", "x2"), seed = 1)')
    np.testing.assert_array_equal(np.asarray(ro.r("sh$labels")) - 1, s.labels)
    np.testing.assert_allclose(as_array(ro.r("sh$table$se")), s.table["std err"].to_numpy(), rtol=1e-12, atol=0)
    assert "Vp" in ro.r("sh$intervals")[0]
