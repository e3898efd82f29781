"""Personalized regression's local GLMs shrunk towards a simpler model chosen by held-out loss
(issue 14): where the context acts linearly, or not at all, the fit falls back towards the
linear varying-coefficient GLM or the population GLM instead of losing to them; where it
carries steps, the local GLMs stay."""
import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from ctxstats._families import loglike


def linear_context(n, seed, slope=1.0):
    """theta(c) linear in c1 (c2, c3 irrelevant), gaussian noise SD 1."""
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 3))
    X = rng.normal(size=(n, 1))
    b0, b1 = 1.0 + slope * C[:, 0], 0.5 - 0.5 * slope * C[:, 0]
    y = b0 + b1 * X[:, 0] + rng.normal(size=n)
    return pd.Series(y), pd.DataFrame(X, columns=["x"]), pd.DataFrame(C, columns=["c1", "c2", "c3"])


def steps(n, seed):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 3))
    X = rng.normal(size=(n, 1))
    g = (C[:, 0] > 0).astype(float) + (C[:, 1] > 0)
    y = 1.0 + 2.0 * g + (0.5 - 1.5 * g) * X[:, 0] + 0.3 * rng.normal(size=n)
    return pd.Series(y), pd.DataFrame(X, columns=["x"]), pd.DataFrame(C, columns=["c1", "c2", "c3"])


def held_out_loglike(res, y, X, C):
    return loglike("gaussian", y.to_numpy(), res.predict(X, C))


def test_the_choice_is_reported():
    y, X, C = linear_context(600, 0)
    res = cs.PersonalizedRegression(y, X, C, rank=1).fit(seed=0, threads=1)
    grid = res.shrink_grid
    assert list(grid.columns) == ["target", "strength", "held-out mean loss"]
    # candidates: the local GLMs (population, 1), the population GLM, linear at 1 ... 1024 and itself
    assert list(grid["target"]) == ["population"] * 2 + ["linear"] * 7
    assert np.isinf(grid["strength"].iloc[1]) and np.isinf(grid["strength"].iloc[-1])
    # the one-standard-error rule keeps the least loss or a simpler candidate (here the linear fit is the truth)
    chosen = grid[(grid["target"] == res.shrink_target) & (grid["strength"] == res.shrinkage)]
    assert len(chosen) == 1 and res.held_out_loss == chosen["held-out mean loss"].iloc[0]
    assert res.shrink_target == "linear" and res.shrinkage >= 64
    assert "Shrinkage chosen by held-out deviance" in str(res.summary())


def test_a_linear_context_falls_back_to_the_linear_fit():
    y, X, C = linear_context(1600, 1)
    test = np.arange(len(y)) >= 1200
    fit = cs.PersonalizedRegression(y[~test], X[~test], C[~test]).fit(seed=0, threads=1)
    assert fit.shrink_target == "linear" and fit.shrinkage >= 16
    lin = cs.ContextualizedGLM(y[~test], X[~test], C[~test], encoder="linear").fit(seed=0)
    ll_lin = loglike("gaussian", y[test].to_numpy(), lin.predict(exog=X[test], context=C[test]))
    ll_pers = held_out_loglike(fit, y[test], X[test], C[test])
    assert ll_pers >= ll_lin - 0.01 * abs(ll_lin)


def test_no_context_information_is_no_worse_than_the_population_glm():
    y, X, C = linear_context(1600, 2, slope=0.0)
    test = np.arange(len(y)) >= 1200
    fit = cs.PersonalizedRegression(y[~test], X[~test], C[~test]).fit(seed=0, threads=1)
    theta = np.broadcast_to(fit.population_params.to_numpy(), (int(test.sum()), 2))
    ll_pop = loglike("gaussian", y[test].to_numpy(), theta[:, 0] + theta[:, 1] * X[test]["x"].to_numpy())
    assert held_out_loglike(fit, y[test], X[test], C[test]) >= ll_pop - 0.01 * abs(ll_pop)


def test_steps_keep_the_local_glms():
    y, X, C = steps(1600, 3)
    fit = cs.PersonalizedRegression(y, X, C).fit(seed=0, threads=1)
    assert np.isfinite(fit.shrinkage) and fit.shrinkage <= 16


def test_predictions_add_the_linear_target_at_the_new_context():
    y, X, C = linear_context(800, 4)
    fit = cs.PersonalizedRegression(y, X, C, rank=1).fit(seed=0, threads=1)
    if fit.shrink_target != "linear":
        pytest.skip("the linear target was not chosen on these data")
    new = pd.DataFrame({"c1": [-2.0, 0.0, 2.0], "c2": 0.0, "c3": 0.0})
    theta = fit.predict_params(new)
    # the intercept follows c1 with the linear fit's slope (about 1), far beyond the neighbours' mean
    assert theta["Intercept"].iloc[2] - theta["Intercept"].iloc[0] > 2.5


@pytest.mark.filterwarnings("ignore::ctxstats.ConvergenceWarning")
def test_latent_models_have_no_shrinkage():
    y, X, C = linear_context(300, 5)
    lat = cs.PersonalizedRegression(y, X, C, rank=1).fit(seed=0, threads=1, sample_models="latent", max_iter=30)
    assert lat.shrink_target == "" and lat.shrinkage == 0.0
    assert lat.shrink_grid.empty and lat._target_map.shape == (0, 4)


def test_the_model_file_keeps_the_shrinkage(tmp_path):
    y, X, C = linear_context(400, 6)
    fit = cs.PersonalizedRegression(y, X, C, rank=1).fit(seed=0, threads=1)
    path = tmp_path / "fit.ctxstats"
    cs.save(fit, path)
    back = cs.load(path)
    assert (back.shrink_target, back.shrinkage) == (fit.shrink_target, fit.shrinkage)
    pd.testing.assert_frame_equal(back.shrink_grid, fit.shrink_grid)
    new = C.iloc[:5] + 0.1
    pd.testing.assert_frame_equal(back.predict_params(new), fit.predict_params(new))
    back.shrink_target = "linear" if fit.shrink_target == "population" else "population"  # contradicts the map
    with pytest.raises(ValueError, match="shrinkage"):
        back._check_loaded()


@pytest.mark.filterwarnings("ignore::ctxstats.ConvergenceWarning")
@pytest.mark.parametrize("refine", [True, False])
def test_the_chosen_rank_is_fitted_as_if_it_were_given(refine):
    # Choosing the rank judges every rank without fitting its sample models; the chosen rank's
    # are fitted afterwards, bitwise as a fit at that rank would.
    y, X, C = steps(400, 6)
    kw = dict(seed=0, threads=1, max_iter=80, warmup=20, refine_metric=refine)
    chosen = cs.PersonalizedRegression(y, X, C).fit(**kw)
    given = cs.PersonalizedRegression(y, X, C, rank=chosen.rank).fit(**kw)
    np.testing.assert_array_equal(chosen.sample_params.to_numpy(), given.sample_params.to_numpy())
    np.testing.assert_array_equal(chosen.smoothing_bias.to_numpy(), given.smoothing_bias.to_numpy())
    assert chosen.held_out_loss == given.held_out_loss and chosen.local_neighbors == given.local_neighbors


def test_the_bias_allowance_sees_the_shrinkage():
    # A noisy linear trend: a strong shrinkage towards the linear fit (or the fit itself) is
    # chosen. Its pull, which the bootstrap does not see, enters the bias allowance: without it
    # (the allowance of the local GLMs' smoothing alone) the linear fit itself had none at all.
    y, X, C = linear_context(600, 0)
    res = cs.PersonalizedRegression(y, X, C, rank=1).fit(seed=0, threads=1)
    assert res.shrink_target == "linear" and res.shrinkage >= 64
    bias = res.smoothing_bias.to_numpy()
    assert np.isfinite(bias).all() and np.abs(bias).mean() > 0.01
