"""Personalized regression with distance matching: gradients, recovery, determinism, errors."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import spearmanr

import ctxstats as cs
from conftest import short_bootstraps, short_fits

# Determinism and API tests run few epochs.
pytestmark = [short_fits, short_bootstraps]

CONTEXT_NAMES = ["sex", "smoker", "age", "bmi", "income"]


def four_groups(n=1000, seed=0, noise=0.5):
    """Coefficients jump between four groups fixed by two binary context columns (of five)."""
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 5))
    C[:, 0] = rng.integers(0, 2, size=n)
    C[:, 1] = rng.integers(0, 2, size=n)
    base = np.array([1.0, 2.0, -1.0])
    theta = base + np.outer(C[:, 0], [-0.5, -1.0, 3.0]) + np.outer(C[:, 1], [-2.0, -3.0, 2.0])
    X = rng.normal(size=(n, 2))
    y = theta[:, 0] + (X * theta[:, 1:]).sum(axis=1) + noise * rng.normal(size=n)
    return (pd.Series(y, name="y"), pd.DataFrame(X, columns=["x1", "x2"]),
            pd.DataFrame(C, columns=CONTEXT_NAMES), theta)


def small_problem(family, n=14, seed=0):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 3))
    C[:, 2] = rng.integers(0, 3, size=n)
    X = rng.normal(size=(n, 2))
    eta = 0.3 + X @ np.array([0.5, -0.4]) + 0.3 * C[:, 0]
    if family == "gaussian":
        y = eta + 0.3 * rng.normal(size=n)
    elif family == "binomial":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(eta)).astype(float)
    return y, X, C


def central_differences(model, params, epoch, h=1e-6, **options):
    g = np.empty_like(params)
    for k in range(params.size):
        e = np.zeros_like(params)
        e[k] = h
        g[k] = (model.objective(params + e, epoch, **options)[0] - model.objective(params - e, epoch, **options)[0]) / (2 * h)
    return g


PENALTIES = [
    {"gamma": 0.7, "n_partners": 3},
    {"gamma": 2.0, "n_partners": 2, "nu": 0.3, "weight_decay": 0.4, "alpha": 0.2, "l1_ratio": 0.0, "mu_ratio": 0.3},
    {"gamma": 0.5, "n_partners": 4, "nu": 0.1, "weight_decay": 0.1, "alpha": 0.3, "l1_ratio": 0.6, "mu_ratio": 0.7},
]


@pytest.mark.parametrize("family", ["gaussian", "binomial", "poisson"])
@pytest.mark.parametrize("penalty", PENALTIES, ids=["matching", "l2", "elastic"])
def test_gradient_matches_finite_differences(family, penalty):
    y, X, C = small_problem(family)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, size=y.shape[0])
    model = cs.PersonalizedRegression(y, X, C, family=family, rank=2, categorical=[2], weights=weights)
    params = np.random.default_rng(2).normal(scale=0.5, size=model.n_params())
    for epoch in (0, 3):
        f, g = model.objective(params, epoch, seed=5, **penalty)
        assert np.isfinite(f)
        g_fd = central_differences(model, params, epoch, seed=5, **penalty)
        rel = np.linalg.norm(g - g_fd) / np.linalg.norm(g_fd)
        assert rel <= 1e-6, rel
        # Both ends of every pair and the metric weights receive gradient.
        q, K, m = 3, 2, 3
        assert np.all(np.abs(g[q + K * q:q + K * q + m]) > 0)


def test_gradient_without_intercept_rank_three():
    y, X, C = small_problem("gaussian", n=11, seed=3)
    model = cs.PersonalizedRegression(y, X, C[:, :2], rank=3, fit_intercept=False)
    params = np.random.default_rng(4).normal(scale=0.5, size=model.n_params())
    _, g = model.objective(params, 1, gamma=1.5, n_partners=3, weight_decay=0.2)
    g_fd = central_differences(model, params, 1, gamma=1.5, n_partners=3, weight_decay=0.2)
    assert np.linalg.norm(g - g_fd) / np.linalg.norm(g_fd) <= 1e-6


def test_pair_term_is_what_the_formula_says():
    """The objective at a parameter vector, recomputed in numpy from the documented formula."""
    y, X, C = small_problem("gaussian", n=12, seed=6)
    model = cs.PersonalizedRegression(y, X, C, rank=2, categorical=[2])
    params = np.random.default_rng(7).normal(scale=0.5, size=model.n_params())
    f_all, _ = model.objective(params, 2, gamma=1.3, n_partners=3)
    f_data, _ = model.objective(params, 2, gamma=0.0, n_partners=3)
    n, q, K, m = 12, 3, 2, 3
    u = params[q + K * q:q + K * q + m]
    phi = np.exp(u - u.max()) / np.exp(u - u.max()).sum()
    Z = params[q + K * q + m:].reshape(n, K)
    # g_k: mean squared difference (numeric) or mismatch share (categorical) over pairs i < j.
    iu = np.triu_indices(n, 1)
    d_num = [(C[:, k][:, None] - C[:, k][None, :]) ** 2 for k in range(2)]
    d_cat = (C[:, 2][:, None] != C[:, 2][None, :]).astype(float)
    dk = [d / d[iu].mean() for d in d_num + [d_cat]]
    D = sum(p * d for p, d in zip(phi, dk))
    rho = ((Z[:, None, :] - Z[None, :, :]) ** 2).sum(axis=2)
    err2 = (rho - D) ** 2
    # With the pair term's value known for every pair, the sampled mean is a mean of entries of
    # err2: check it is one (off-diagonal entries, n * r of them).
    pair_mean = (f_all - f_data) / 1.3
    assert err2[~np.eye(n, dtype=bool)].min() - 1e-12 <= pair_mean <= err2.max() + 1e-12
    # And the full formula holds in expectation: averaging over many epochs approaches the mean
    # over all ordered pairs.
    means = [(model.objective(params, e, gamma=1.3, n_partners=3)[0] - f_data) / 1.3 for e in range(300)]
    exact = err2[~np.eye(n, dtype=bool)].mean()
    assert abs(np.mean(means) - exact) < 4 * np.std(means) / np.sqrt(300) + 1e-9


def test_population_start_matches_statsmodels():
    y, X, C, _ = four_groups(n=400, seed=3)
    res = cs.PersonalizedRegression(y, X, C, rank=2).fit(max_iter=5, warmup=2, val_split=0.0, threads=1)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    np.testing.assert_allclose(res.population_params.to_numpy(), ols.params.to_numpy(), rtol=1e-8, atol=1e-10)
    yb = (y > y.median()).astype(float)
    resb = cs.PersonalizedRegression(yb, X, C, family="binomial", rank=2).fit(max_iter=5, warmup=2, val_split=0.0)
    logit = sm.Logit(yb, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(resb.population_params.to_numpy(), logit.params.to_numpy(), rtol=1e-7, atol=1e-9)


@pytest.fixture(scope="module")
def four_group_fit():
    y, X, C, theta = four_groups()
    model = cs.PersonalizedRegression(y, X, C, rank=2, categorical=["sex", "smoker"])
    return model.fit(gamma=1.0, seed=0, threads=1), theta


def test_four_groups_recovered_and_metric_finds_the_defining_columns(four_group_fit):
    res, theta = four_group_fit
    rmse = np.sqrt(((res.sample_params.to_numpy() - theta) ** 2).mean())
    rmse_pop = np.sqrt(((res.population_params.to_numpy() - theta) ** 2).mean())
    assert rmse <= 0.5 * rmse_pop, (rmse, rmse_pop)
    top2 = set(res.metric_weights.sort_values(ascending=False).index[:2])
    assert top2 == {"sex", "smoker"}
    assert res.metric_weights.sum() == pytest.approx(1.0)
    assert (res.metric_weights >= 0).all()
    # The held-out rows (models placed by distance matching alone) are recovered too.
    h = res.held_out
    assert 0.15 < h.mean() < 0.25
    rmse_held = np.sqrt(((res.sample_params.to_numpy()[h] - theta[h]) ** 2).mean())
    assert rmse_held <= 0.5 * rmse_pop
    assert res.llf > res.llf_population


def test_new_samples_through_the_learned_metric(four_group_fit):
    res, theta = four_group_fit
    C = res.model.context
    # A training context is its own nearest neighbour at distance 0 and dominates the average --
    # unless the metric rests on sex and smoker alone: then its whole group is at distance 0 and
    # the prediction averages the group's models, which differ by their local fits only.
    again = res.predict_params(pd.DataFrame(C[:20], columns=CONTEXT_NAMES))
    ties = res.metric_weights.drop(["sex", "smoker"]).max() == 0.0
    np.testing.assert_allclose(again.to_numpy(), res.sample_params.to_numpy()[:20], atol=0.1 if ties else 1e-3)
    # New samples in each group get that group's model (the noise columns barely matter).
    rng = np.random.default_rng(11)
    new = pd.DataFrame(rng.normal(size=(8, 5)), columns=CONTEXT_NAMES)
    new["sex"] = [0, 0, 1, 1, 0, 0, 1, 1]
    new["smoker"] = [0, 1, 0, 1, 0, 1, 0, 1]
    truth = np.array([1.0, 2.0, -1.0]) + np.outer(new["sex"], [-0.5, -1.0, 3.0]) + np.outer(new["smoker"], [-2.0, -3.0, 2.0])
    pred = res.predict_params(new)
    assert list(pred.columns) == ["Intercept", "x1", "x2"]
    assert np.sqrt(((pred.to_numpy() - truth) ** 2).mean()) < 0.3
    X_new = pd.DataFrame(rng.normal(size=(8, 2)), columns=["x1", "x2"])
    eta = pred["Intercept"] + (X_new.to_numpy() * pred[["x1", "x2"]].to_numpy()).sum(axis=1)
    np.testing.assert_allclose(res.predict(X_new, new), eta.to_numpy(), rtol=1e-12)
    assert "Context metric weights" in str(res.summary())


def test_sample_models_order_along_the_informative_column():
    rng = np.random.default_rng(5)
    n = 800
    C = rng.normal(size=(n, 4))
    X = rng.normal(size=(n, 2))
    t = np.tanh(1.5 * C[:, 0])
    theta = np.column_stack([0.5 * t, 1 + t, -1 + 0.5 * t])
    y = theta[:, 0] + (X * theta[:, 1:]).sum(axis=1) + 0.5 * rng.normal(size=n)
    res = cs.PersonalizedRegression(y, X, C, rank=1).fit(gamma=10.0, seed=1)
    z = res.latent["z1"].to_numpy()
    assert abs(spearmanr(z, C[:, 0])[0]) > 0.98
    assert res.metric_weights.idxmax() == "c1"
    assert abs(spearmanr(res.sample_params["x1"], C[:, 0])[0]) > 0.98


def test_binomial_groups_beat_the_population_model():
    rng = np.random.default_rng(8)
    n = 1500
    C = rng.normal(size=(n, 3))
    C[:, 0] = rng.integers(0, 2, size=n)
    X = rng.normal(size=(n, 1))
    theta = np.column_stack([np.where(C[:, 0] > 0.5, 1.0, -1.0), np.where(C[:, 0] > 0.5, -2.0, 2.0)])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(theta[:, 0] + X[:, 0] * theta[:, 1])))).astype(float)
    res = cs.PersonalizedRegression(y, X, C, family="binomial", rank=1, categorical=[0]).fit(seed=0)
    rmse = np.sqrt(((res.sample_params.to_numpy() - theta) ** 2).mean())
    rmse_pop = np.sqrt(((res.population_params.to_numpy() - theta) ** 2).mean())
    assert rmse <= 0.5 * rmse_pop
    assert res.metric_weights.idxmax() == "c1"
    assert np.all((res.fittedvalues > 0) & (res.fittedvalues < 1))


def test_bitwise_identical_for_any_thread_count():
    # Large enough that every parallel loop of an epoch runs on several threads.
    y, X, C, _ = four_groups(n=6000, seed=2)
    model = cs.PersonalizedRegression(y, X, C, rank=2, categorical=["sex"])
    # The epochs only (the local models are checked in test_local_models_and_refined_metric_...).
    fits = [model.fit(threads=t, seed=4, max_iter=12, warmup=4, n_partners=3, sample_models="latent")
            for t in (1, 2, 3)]
    for other in fits[1:]:
        assert np.array_equal(fits[0].flat_params, other.flat_params)
        assert np.array_equal(fits[0].history, other.history)
    params = fits[0].flat_params
    f1, g1 = model.objective(params, 7, threads=1, gamma=1.0)
    f2, g2 = model.objective(params, 7, threads=2, gamma=1.0)
    assert f1 == f2 and np.array_equal(g1, g2)
    # The same seed gives the same fit; another seed another one.
    again = dict(threads=2, max_iter=12, warmup=4, n_partners=3, sample_models="latent")
    assert np.array_equal(model.fit(seed=4, **again).flat_params, params)
    assert not np.array_equal(model.fit(seed=5, **again).flat_params, params)


def test_bootstrap_intervals():
    y, X, C, _ = four_groups(n=300, seed=4)
    res = cs.PersonalizedRegression(y, X, C, rank=2, categorical=[0, 1]).fit(
        n_bootstraps=3, max_iter=60, warmup=20, seed=2)
    assert res.n_bootstraps == 3
    ci = res.conf_int()
    assert list(ci.index) == ["Intercept", "x1", "x2"] and (ci["lower"] <= ci["upper"]).all()
    assert list(res.metric_weights_conf_int().index) == CONTEXT_NAMES
    s = res.sample_conf_int()
    assert s["lower"].shape == (300, 3) and (s["lower"] <= s["upper"]).all().all()
    assert (res.bse > 0).all()
    plain = cs.PersonalizedRegression(y, X, C, rank=2).fit(max_iter=5, warmup=1)
    with pytest.raises(ValueError, match="n_bootstraps"):
        plain.conf_int()


def test_formula_matches_arrays():
    y, X, C, _ = four_groups(n=300, seed=6)
    C["sex"] = np.where(C["sex"] > 0.5, "f", "m")
    df = pd.concat([y, X, C], axis=1)
    res_f = cs.PersonalizedRegression.from_formula("y ~ x1 + x2 | sex + C(smoker) + age + bmi + income", df,
                                                   rank=2).fit(max_iter=30, warmup=10, seed=1)
    model = cs.PersonalizedRegression(y, X, C, rank=2, categorical=["smoker"])
    assert list(model.categorical) == [True, True, False, False, False]
    res_a = model.fit(max_iter=30, warmup=10, seed=1)
    np.testing.assert_array_equal(res_f.flat_params, res_a.flat_params)
    assert list(res_f.metric_weights.index) == CONTEXT_NAMES
    # An unseen category differs from every training sample but still gets a model.
    new = C.iloc[:2].copy()
    new["sex"] = ["x", "f"]
    assert np.isfinite(res_a.predict_params(new).to_numpy()).all()


def test_bad_input_errors():
    y, X, C, _ = four_groups(n=50, seed=1)
    with pytest.raises(ValueError, match="rank"):
        cs.PersonalizedRegression(y, X, C, rank=-1)
    with pytest.raises(TypeError, match="rank"):
        cs.PersonalizedRegression(y, X, C, rank=1.5)
    with pytest.raises(ValueError, match="family"):
        cs.PersonalizedRegression(y, X, C, family="gamma")
    with pytest.raises(ValueError, match="categorical names 'height'"):
        cs.PersonalizedRegression(y, X, C, categorical=["height"])
    with pytest.raises(ValueError, match="position 7"):
        cs.PersonalizedRegression(y, X, C, categorical=[7])
    bad = C.copy()
    bad.loc[3, "bmi"] = np.nan
    with pytest.raises(ValueError, match="'bmi'"):
        cs.PersonalizedRegression(y, X, bad)
    with pytest.raises(ValueError, match="endog must lie in"):
        cs.PersonalizedRegression(y, X, C, family="binomial")
    with pytest.raises(ValueError, match="rows"):
        cs.PersonalizedRegression(y, X.iloc[:40], C)
    with pytest.raises(ValueError, match="at least two rows"):
        cs.PersonalizedRegression(y.iloc[:1], X.iloc[:1], C.iloc[:1])
    model = cs.PersonalizedRegression(y, X, C, rank=2)
    for kwargs, exc, word in [({"gamma": -1.0}, ValueError, "gamma"), ({"n_partners": 0}, ValueError, "n_partners"),
                              ({"val_split": 1.0}, ValueError, "val_split"), ({"n_bootstraps": -1}, ValueError, "n_bootstraps"),
                              ({"learning_rate": 0.0}, ValueError, "learning_rate"), ({"threads": "2"}, TypeError, "threads"),
                              ({"start_params": np.zeros(3)}, ValueError, "start_params"), ({"warmup": -1}, ValueError, "warmup")]:
        with pytest.raises(exc, match=word):
            model.fit(**kwargs)
    with pytest.raises(ValueError, match="params must be a vector"):
        model.objective(np.zeros(5))
    res = model.fit(max_iter=5, warmup=1)
    with pytest.raises(ValueError, match="lacks the fitted column"):
        res.predict_params(C.drop(columns="age"))
    with pytest.raises(ValueError, match="needs exog"):
        res.predict(context=C)
    with pytest.raises(ValueError, match="3 columns"):
        res.predict_params(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="'\\|'"):
        cs.PersonalizedRegression.from_formula("y ~ x1", pd.concat([y, X, C], axis=1))


def test_core_rejects_bad_arrays_without_crashing():
    from ctxstats import _core

    y, X, C = small_problem("gaussian")
    with pytest.raises(ValueError, match="categorical"):
        _core.personalized_fit(C, X, y, None, {"categorical": [1]})
    with pytest.raises(ValueError, match="rank"):
        _core.personalized_fit(C, X, y, None, {"rank": -1})
    C2 = C.copy()
    C2[0, 1] = np.inf
    with pytest.raises(ValueError, match="context column 1"):
        _core.personalized_fit(C2, X, y, None, {})


# ---- local sample models in the learned metric (issue 14) ---------------------------------------

def threshold_groups(n=1200, seed=0, noise=0.3):
    """Four groups fixed by thresholds of two continuous context columns (c1 > 0, c2 > 0) of five."""
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 5))
    theta = np.array([1.0, 2.0, -1.0]) + np.outer(C[:, 0] > 0, [-0.5, -1.0, 3.0]) + np.outer(C[:, 1] > 0,
                                                                                             [-2.0, -3.0, 2.0])
    X = rng.normal(size=(n, 2))
    y = theta[:, 0] + (X * theta[:, 1:]).sum(axis=1) + noise * rng.normal(size=n)
    return y, X, C, theta


@pytest.fixture(scope="module")
def threshold_fit():
    y, X, C, theta = threshold_groups()
    test = np.zeros(len(y), dtype=bool)
    test[np.random.default_rng(1).permutation(len(y))[:300]] = True
    res = cs.PersonalizedRegression(y[~test], X[~test], C[~test]).fit(seed=0, threads=1)
    return res, y, X, C, theta, test


def test_local_models_recover_threshold_subgroups(threshold_fit):
    res, y, X, C, theta, test = threshold_fit
    tr = ~test
    rmse = np.sqrt(((res.sample_params.to_numpy() - theta[tr]) ** 2).mean())
    rmse_latent = np.sqrt(((res.latent_params.to_numpy() - theta[tr]) ** 2).mean())
    rmse_pop = np.sqrt(((res.population_params.to_numpy() - theta[tr]) ** 2).mean())
    # The latent models are linear in the context: they cannot follow the steps.
    assert rmse <= 0.4 * rmse_pop and rmse < 0.75 * rmse_latent, (rmse, rmse_latent, rmse_pop)
    assert set(res.metric_weights.sort_values(ascending=False).index[:2]) == {"c1", "c2"}
    assert res.metric_weights.sum() == pytest.approx(1.0) and (res.metric_weights >= 0).all()
    # Held-out deviance of new samples beats the linear varying-coefficient model's.
    mse = np.mean((y[test] - res.predict(X[test], C[test])) ** 2)
    lin = cs.ContextualizedRegression(y[tr], X[tr], C[tr], encoder="linear").fit(seed=0)
    assert mse < np.mean((y[test] - lin.predict(exog=X[test], context=C[test])) ** 2)
    # k was chosen on the grid by the held-out loss, and the summary says so.
    assert res.local_neighbors == res.local_grid.idxmin()
    assert list(res.local_grid.index) == [8, 16, 32, 64, 128, 256, 512]
    assert "local GLMs of the" in str(res.summary())


def test_latent_sample_models_are_the_matching_s_own(threshold_fit):
    res, y, X, C, theta, test = threshold_fit
    latent = cs.PersonalizedRegression(y[~test], X[~test], C[~test], rank=res.rank).fit(seed=0, threads=1,
                                                                                        sample_models="latent")
    np.testing.assert_array_equal(latent.sample_params.to_numpy(), latent.latent_params.to_numpy())
    # The epochs are the same fit: the latent models and the matching's metric agree.
    np.testing.assert_array_equal(latent.latent_params.to_numpy(), res.latent_params.to_numpy())
    np.testing.assert_array_equal(latent.metric_weights.to_numpy(), res.matching_weights.to_numpy())
    assert latent.local_grid.empty and latent.local_neighbors == 0
    assert "placed by distance matching alone" in str(latent.summary())


def test_local_models_with_every_neighbour_are_the_population_glm():
    """With all rows as neighbours at distance 0 (a constant context), each local GLM has equal
    weights and its ridge pulls towards the population GLM, which already minimises the loss:
    every sample model is the population GLM."""
    rng = np.random.default_rng(3)
    n = 120
    X = rng.normal(size=(n, 2))
    C = np.ones((n, 2))
    for family in ("gaussian", "poisson", "binomial"):
        eta = 0.2 + X @ np.array([0.4, -0.3])
        y = {"gaussian": eta + rng.normal(size=n), "poisson": rng.poisson(np.exp(eta)).astype(float),
             "binomial": (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)}[family]
        res = cs.PersonalizedRegression(y, X, C, family=family).fit(seed=0, val_split=0.0, max_iter=20, warmup=5,
                                                                     local_neighbors=n, threads=1)
        np.testing.assert_allclose(res.sample_params.to_numpy(),
                                   np.broadcast_to(res.population_params.to_numpy(), (n, 3)), rtol=1e-7, atol=1e-9)
        assert res.local_grid.empty and res.local_neighbors == n


def test_local_models_and_refined_metric_do_not_depend_on_threads():
    y, X, C, _ = threshold_groups(n=700, seed=4)
    model = cs.PersonalizedRegression(y, X, C, family="gaussian")
    fits = [model.fit(threads=t, seed=2, max_iter=30, warmup=10) for t in (1, 2, 3)]
    for other in fits[1:]:
        np.testing.assert_array_equal(fits[0].sample_params.to_numpy(), other.sample_params.to_numpy())
        np.testing.assert_array_equal(fits[0].metric_weights.to_numpy(), other.metric_weights.to_numpy())
        np.testing.assert_array_equal(fits[0].local_grid.to_numpy(), other.local_grid.to_numpy())


def test_without_validation_rows_k_is_chosen_by_leave_one_out():
    y, X, C, theta = threshold_groups(n=500, seed=6)
    res = cs.PersonalizedRegression(y, X, C).fit(seed=1, val_split=0.0, max_iter=60, warmup=20, threads=1,
                                                 refine_metric=False)
    assert not res.held_out.any()
    assert res.local_neighbors in (8, 16, 32, 64, 128, 256) and res.local_neighbors == res.local_grid.idxmin()
    np.testing.assert_array_equal(res.metric_weights.to_numpy(), res.matching_weights.to_numpy())


def test_rank_is_chosen_from_the_data_by_the_one_standard_error_rule(threshold_fit):
    res = threshold_fit[0]
    grid = res.rank_grid
    # m = 5 context columns, q = 3 parameters: ranks 1 ... 3 are tried.
    assert list(grid.index) == [1, 2, 3]
    loss, se = grid["held-out mean loss"], grid["se"]
    best = loss.idxmin()
    assert res.rank == min(k for k in grid.index if loss[k] <= loss[best] + se[best])
    assert res.held_out_loss > 0 and res.latent.shape[1] == res.rank == res.loadings.shape[0]
    text = str(res.summary())
    assert f"{res.rank} (chosen)" in text and "one standard error" in text
    # A given rank is used as is and tries nothing.
    fixed = cs.PersonalizedRegression(*threshold_groups()[:3], rank=1).fit(seed=0, max_iter=30, warmup=10,
                                                                            local_neighbors=16)
    assert fixed.rank == 1 and fixed.rank_grid.empty


def test_rank_choice_needs_held_out_rows_for_latent_models():
    y, X, C, _ = four_groups(n=80, seed=2)
    with pytest.raises(ValueError, match="val_split"):
        cs.PersonalizedRegression(y, X, C).fit(sample_models="latent", val_split=0.0)
    with pytest.raises(ValueError, match="rank"):
        cs.PersonalizedRegression(y, X, C).objective(np.zeros(10))


@pytest.mark.filterwarnings("ignore::ctxstats.BootstrapModesWarning")
def test_bootstrap_intervals_contain_their_estimates():
    y, X, C, _ = four_groups(n=300, seed=5)
    res = cs.PersonalizedRegression(y, X, C, rank=2).fit(n_bootstraps=6, seed=3, local_neighbors=32)
    ci = res.conf_int()
    assert ((ci["lower"] <= res.params) & (res.params <= ci["upper"])).all()
    mw = res.metric_weights_conf_int()
    assert ((mw["lower"] <= res.metric_weights) & (res.metric_weights <= mw["upper"])).all()
    assert (mw["lower"] >= 0).all() and (mw["upper"] <= 1).all()
    sc = res.sample_conf_int(alpha=0.1)
    sp = res.sample_params
    assert ((sc["lower"] <= sp) & (sp <= sc["upper"])).all().all()
    assert (res.metric_weights_bse >= 0).all()
    assert "re-centred on the estimate" in str(res.summary())


def test_bimodal_bootstrap_replicates_warn_and_the_summary_says_so(monkeypatch):
    from ctxstats import _core

    # The core's modes check: two separated modes of a metric weight are found, one normal
    # cloud is not.
    phi = np.zeros((20, 5))
    phi[:12, 0], phi[:12, 1] = 0.97, 0.03
    phi[12:, 0], phi[12:, 1] = 0.03, 0.97
    phi[:, 0] += np.linspace(0, 0.01, 20)
    split = _core.bootstrap_modes(phi, 0.1)
    assert list(np.asarray(split["multimodal"], dtype=bool)) == [True, True, False, False, False]
    assert list(split["low_count"][:2]) == [8, 12] and list(split["high_count"][:2]) == [12, 8]
    unimodal = np.random.default_rng(0).normal(size=(200, 3))
    assert not np.asarray(_core.bootstrap_modes(unimodal, 0.0)["multimodal"], dtype=bool).any()
    # A fit whose replicates the core finds multimodal warns and says so in summary().
    real = _core.personalized_bootstrap

    def bimodal(*args, **kwargs):
        out = real(*args, **kwargs)
        out["modes_message"] = "the bootstrap replicates fall into several modes: metric weight of age: ..."
        return out

    monkeypatch.setattr(_core, "personalized_bootstrap", bimodal)
    y, X, C, _ = four_groups(n=120, seed=6)
    with pytest.warns(cs.BootstrapModesWarning, match="several modes"):
        res = cs.PersonalizedRegression(y, X, C, rank=2).fit(n_bootstraps=2, seed=1, local_neighbors=16)
    assert "Warning: The bootstrap replicates fall into several modes" in str(res.summary())
