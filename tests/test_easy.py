"""ctxstats.easy: shapes of contextualized.easy, agreement with the model API, sklearn protocol, errors."""
import pickle
import warnings

import numpy as np
import pytest
from scipy.special import expit

import ctxstats as cs
from ctxstats.easy import (ContextualGAMClassifier, ContextualGAMRegressor, ContextualizedClassifier,
                           ContextualizedRegressor)
from conftest import short_bootstraps, short_fits

# The estimators run a few epochs (FAST) to test shapes and the sklearn protocol.
pytestmark = [short_fits, short_bootstraps]

ESTIMATORS = [ContextualizedRegressor, ContextualizedClassifier, ContextualGAMRegressor, ContextualGAMClassifier]
FAST = dict(width=4, layers=1, max_epochs=3, train_batch_size=16, threads=1)


def data(n=120, y_dim=2, binary=False, seed=0):
    rng = np.random.default_rng(seed)
    C = rng.uniform(-1, 1, size=(n, 2))
    X = rng.uniform(-1, 1, size=(n, 3))
    eta = np.stack([X[:, 0] * C.sum(1) + C[:, 0], -X[:, 1] * C[:, 1] + 0.5 * C[:, 0]], 1)[:, :y_dim]
    if binary:
        Y = (rng.uniform(size=eta.shape) < expit(3 * eta)).astype(float)
    else:
        Y = eta + 0.1 * rng.normal(size=eta.shape)
    return C, X, Y


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("y_dim,one_d", [(1, True), (1, False), (2, False)])
def test_shapes_match_contextualized_easy(cls, y_dim, one_d):
    binary = "Classifier" in cls.__name__
    C, X, Y = data(y_dim=y_dim, binary=binary)
    if one_d:
        Y = Y[:, 0]
    n = C.shape[0]
    model = cls(**FAST)
    assert model.fit(C, X, Y) is model
    betas, mus = model.predict_params(C)
    assert betas.shape == (n, y_dim, 3) and mus.shape == (n, y_dim)
    assert model.predict_params(C, model_includes_mus=False).shape == (n, y_dim, 3)
    pred = model.predict(C, X)
    assert pred.shape == (n, y_dim) and pred.dtype == np.float64
    assert model.predict(C, X, individual_preds=True).shape == (1, n, y_dim)
    if binary:
        proba = model.predict_proba(C, X)
        assert proba.shape == (n, y_dim, 2)
        np.testing.assert_allclose(proba.sum(axis=-1), 1.0)
        assert set(np.unique(pred)) <= {0.0, 1.0}
        np.testing.assert_array_equal(pred, np.round(proba[..., 1]))
    assert (model.context_dim, model.x_dim, model.y_dim) == (2, 3, y_dim)


@pytest.mark.parametrize("cls", [ContextualizedRegressor, ContextualizedClassifier])
def test_bootstrap_shapes_and_averages(cls):
    binary = cls is ContextualizedClassifier
    C, X, Y = data(binary=binary)
    n, B = C.shape[0], 3
    model = cls(n_bootstraps=B, **FAST).fit(C, X, Y)
    b_ind, m_ind = model.predict_params(C, individual_preds=True)
    assert b_ind.shape == (B, n, 2, 3) and m_ind.shape == (B, n, 2)
    betas, mus = model.predict_params(C)
    np.testing.assert_allclose(betas, b_ind.mean(axis=0))
    np.testing.assert_allclose(mus, m_ind.mean(axis=0))
    assert not np.array_equal(b_ind[0], b_ind[1])          # replicates differ
    if binary:
        p_ind = model.predict_proba(C, X, individual_preds=True)
        assert p_ind.shape == (B, n, 2, 2)
        np.testing.assert_allclose(model.predict_proba(C, X), p_ind.mean(axis=0))
    else:
        y_ind = model.predict(C, X, individual_preds=True)
        assert y_ind.shape == (B, n, 2)
        np.testing.assert_allclose(model.predict(C, X), y_ind.mean(axis=0))


def test_one_fit_is_the_model_api_fit_bitwise():
    # The keyword mapping, checked against ContextualizedGLM called directly.
    C, X, Y = data(y_dim=2)
    easy = ContextualizedRegressor(encoder_type="ngam", width=5, layers=2, num_archetypes=3, alpha=0.01,
                                   l1_ratio=0.3, mu_ratio=0.2, max_epochs=7, learning_rate=3e-3, val_split=0.25,
                                   es_patience=2, train_batch_size=8, random_state=5, threads=1).fit(C, X, Y)
    betas, mus = easy.predict_params(C)
    for k in range(2):
        res = cs.ContextualizedRegression(Y[:, k], X, C, encoder="ngam", width=5, depth=2, archetypes=3).fit(
            solver="adam", seed=5, threads=1, max_iter=7, alpha=0.01, l1_ratio=0.3, mu_ratio=0.2,
            learning_rate=3e-3, val_split=0.25, patience=2, batch_size=8)
        theta = res.sample_params.to_numpy()
        assert np.array_equal(mus[:, k], theta[:, 0])
        assert np.array_equal(betas[:, k, :], theta[:, 1:])
        assert np.array_equal(easy.predict(C, X)[:, k], res.fittedvalues)


def test_predictions_are_the_sample_models():
    C, X, Y = data(y_dim=2, binary=True)
    model = ContextualizedClassifier(**FAST).fit(C, X, Y)
    betas, mus = model.predict_params(C)
    eta = mus + np.einsum("nkp,np->nk", betas, X)
    np.testing.assert_allclose(model.predict_proba(C, X)[..., 1], expit(eta), rtol=1e-12)
    C, X, Y = data(y_dim=2)
    model = ContextualizedRegressor(**FAST).fit(C, X, Y)
    betas, mus = model.predict_params(C)
    np.testing.assert_allclose(model.predict(C, X), mus + np.einsum("nkp,np->nk", betas, X), rtol=1e-12)


def test_bootstrap_replicate_is_a_fit_on_resampled_rows():
    from ctxstats.easy import _bootstrap_rows, _bootstrap_seed

    C, X, Y = data(y_dim=1)
    model = ContextualizedRegressor(n_bootstraps=2, random_state=3, **FAST).fit(C, X, Y)
    rows = _bootstrap_rows(3, 1, C.shape[0])
    assert len(np.unique(rows)) < C.shape[0]          # a resample, not a permutation
    res = cs.ContextualizedRegression(Y[rows, 0], X[rows], C[rows], encoder="mlp", width=4, depth=1).fit(
        solver="adam", seed=_bootstrap_seed(3, 1), threads=1, max_iter=3, alpha=0.0, l1_ratio=1.0, mu_ratio=0.5,
        learning_rate=1e-3, val_split=0.2, patience=1, batch_size=16)
    b_ind, m_ind = model.predict_params(C, individual_preds=True)
    assert np.array_equal(b_ind[1, :, 0, :], res.predict_params(C).to_numpy()[:, 1:])


def test_deterministic_and_seeded():
    C, X, Y = data()
    a = ContextualizedRegressor(n_bootstraps=2, **FAST).fit(C, X, Y).predict(C, X, individual_preds=True)
    b = ContextualizedRegressor(n_bootstraps=2, **FAST).fit(C, X, Y).predict(C, X, individual_preds=True)
    c = ContextualizedRegressor(n_bootstraps=2, random_state=1, **FAST).fit(C, X, Y).predict(C, X,
                                                                                             individual_preds=True)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_training_improves_fit_and_lbfgs_and_exact_solvers():
    C, X, Y = data(n=400)
    short = ContextualizedRegressor(width=8, layers=2, max_epochs=1, threads=1).fit(C, X, Y).score(C, X, Y)
    longer = ContextualizedRegressor(width=8, layers=2, max_epochs=50, es_patience=float("inf"),
                                     train_batch_size=8, threads=1).fit(C, X, Y).score(C, X, Y)
    lbfgs = ContextualizedRegressor(width=8, layers=2, solver="lbfgs", max_epochs=300, threads=1).fit(C, X, Y)
    assert longer > short and lbfgs.score(C, X, Y) > 0.9
    exact = ContextualizedRegressor(encoder_type="linear", solver="exact").fit(C, X, Y)
    ref = cs.ContextualizedRegression(Y[:, 1], X, C, encoder="linear").fit(solver="exact")
    np.testing.assert_allclose(exact.predict(C, X)[:, 1], ref.fittedvalues, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_max_epochs_zero_is_the_untrained_initial_model(cls, recwarn):
    """contextualized.easy's tests use max_epochs=0 as the reference error: the encoder's seeded
    initialisation, unfitted, with no warning; a fit from the same seed then does better."""
    binary = "Classifier" in cls.__name__
    C, X, Y = data(n=300, y_dim=1, binary=binary)
    untrained = cls(width=8, layers=1, threads=1).fit(C, X, Y, max_epochs=0)
    res = untrained.results_[0][0]
    assert not res.trained and res.n_iter == 0 and not res.converged
    assert "not trained" in res.message and "not estimates" in str(res.summary())
    assert not any(issubclass(w.category, cs.ConvergenceWarning) for w in recwarn)
    # The weights are the seeded initialisation the trained fit starts from, unmoved.
    model = cs.ContextualizedGLM(Y[:, 0], X, C, family="binomial" if binary else "gaussian",
                                 encoder=untrained.results_[0][0].model.encoder, width=8, depth=1)
    assert np.array_equal(res.weights, model.fit(solver="lbfgs", max_iter=1, seed=0, threads=1,
                                                 _train=False).weights)
    objective, _ = model.objective(res.weights)
    assert res.objective == pytest.approx(objective, rel=1e-12)
    trained = cls(width=8, layers=1, threads=1, solver="lbfgs", max_epochs=200).fit(C, X, Y)
    assert trained.score(C, X, Y) > untrained.score(C, X, Y)
    boot = cls(width=8, layers=1, threads=1, n_bootstraps=2).fit(C, X, Y, max_epochs=0)
    assert boot.predict_params(C, individual_preds=True)[0].shape[0] == 2
    with pytest.raises(ValueError, match="untrained"):
        model.fit(n_bootstraps=2, _train=False)


def test_untrained_model_round_trips_through_the_model_file(tmp_path):
    C, X, Y = data(n=100, y_dim=1)
    res = cs.ContextualizedGLM(Y[:, 0], X, C, encoder="mlp", width=4, depth=1).fit(threads=1, _train=False)
    res.save(tmp_path / "untrained.ctx")
    back = cs.load(tmp_path / "untrained.ctx")
    assert not back.trained and back.message == res.message
    assert np.array_equal(back.predict_params(C).to_numpy(), res.predict_params(C).to_numpy())
    fitted = cs.ContextualizedGLM(Y[:, 0], X, C, encoder="mlp", width=4, depth=1).fit(threads=1, max_iter=5)
    fitted.save(tmp_path / "fitted.ctx")
    assert cs.load(tmp_path / "fitted.ctx").trained


@pytest.mark.parametrize("cls", [ContextualizedRegressor, ContextualGAMClassifier])
def test_univariate_fits_every_outcome_predictor_pair_on_its_own(cls, tmp_path):
    """univariate=True: y_k ~ mu_kj(c) + beta_kj(c) x_j for every pair, each pair's fit the model
    API's fit of that one predictor, bitwise; shapes as contextualized's univariate regression."""
    binary = "Classifier" in cls.__name__
    C, X, Y = data(n=150, y_dim=2, binary=binary)
    n, p = X.shape
    model = cls(univariate=True, n_bootstraps=2, **FAST).fit(C, X, Y)
    betas, mus = model.predict_params(C)
    assert betas.shape == mus.shape == (n, 2, p)
    assert model.predict_params(C, individual_preds=True)[0].shape == (2, n, 2, p)
    pred = model.predict(C, X)
    assert pred.shape == (n, 2, p)
    k, j = 1, 2
    res = model.results_[k * p + j][1]
    assert res.model.exog_names == ["x3"]
    theta = res.predict_params(C).to_numpy()
    individual = model.predict_params(C, individual_preds=True)
    assert np.array_equal(individual[0][1, :, k, j], theta[:, 1])
    assert np.array_equal(individual[1][1, :, k, j], theta[:, 0])
    raw = model.predict(C, X, individual_preds=True)[1, :, k, j]
    mean = res.predict(X[:, [j]], C)
    assert np.array_equal(raw, np.round(mean) if binary else mean)
    if not binary:  # the slope of a pair is the univariate regression's, not the joint model's
        one = ContextualizedRegressor(univariate=True, **FAST).fit(C, X[:, [j]], Y[:, [k]])
        alone = cs.ContextualizedGLM(Y[:, k], X[:, [j]], C, encoder="mlp", width=4, depth=1).fit(
            solver="adam", max_iter=3, batch_size=16, seed=0, threads=1, learning_rate=1e-3, val_split=0.2,
            patience=1, alpha=0.0, l1_ratio=1.0, mu_ratio=0.5)
        np.testing.assert_array_equal(one.predict_params(C)[0][:, 0, 0], alone.predict_params(C).to_numpy()[:, 1])
    assert np.isfinite(model.score(C, X, Y)) and model.score(C, X, Y) <= 1.0
    model.save(tmp_path / "uni.ctx")
    back = cs.load(tmp_path / "uni.ctx")
    assert np.array_equal(back.predict(C, X), pred)
    with pytest.raises(ValueError, match="univariate=False"):
        from ctxstats.analysis import calc_homogeneous_context_effects_pvals
        calc_homogeneous_context_effects_pvals(model, C)
    with pytest.raises(TypeError, match="univariate"):
        cls(univariate="yes", **FAST).fit(C, X, Y)


def test_fit_keywords_override_for_that_fit_only():
    C, X, Y = data(y_dim=1)
    model = ContextualizedRegressor(**FAST)
    model.fit(C, X, Y, n_bootstraps=2, max_epochs=2, val_batch_size=4, test_batch_size=4, es_verbose=True,
              accelerator="cpu", checkpoint_path="unused")
    assert model.n_bootstraps == 1 and model.n_bootstraps_ == 2 and model.max_epochs == 3
    assert model.predict(C, X, individual_preds=True).shape == (2, C.shape[0], 1)


# ---- scikit-learn protocol --------------------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sklearn_clone_and_params(cls):
    from sklearn.base import clone

    est = cls(alpha=0.1, n_bootstraps=2, width=7)
    params = est.get_params()
    assert params["alpha"] == 0.1 and params["n_bootstraps"] == 2 and params["width"] == 7
    assert params["encoder_type"] == ("ngam" if "GAM" in cls.__name__ else "mlp")
    twin = clone(est)
    assert type(twin) is cls and twin.get_params() == params and twin is not est
    assert est.set_params(width=3, layers=1) is est and est.width == 3 and est.layers == 1
    with pytest.raises(ValueError, match="invalid parameter 'depth'"):
        est.set_params(depth=2)
    assert "alpha=0.1" in repr(est) and "max_epochs" not in repr(est)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_sklearn_estimator_checks_that_apply(cls):
    # The checks that do not call fit(X, y): fit(C, X, Y) takes three arrays, so the 2-D
    # checks do not apply. Their intent for fit is covered in test_fit_does_not_change_params.
    from sklearn.utils import estimator_checks as ec

    name = cls.__name__
    ec.check_parameters_default_constructible(name, cls())
    ec.check_no_attributes_set_in_init(name, cls())
    ec.check_get_params_invariance(name, cls())
    ec.check_set_params(name, cls())
    ec.check_estimator_cloneable(name, cls())
    ec.check_estimator_repr(name, cls())
    # check_do_not_raise_errors_in_init_or_set_params also passes the catch-all **unsupported
    # as a parameter; its intent, for the declared parameters:
    for key in cls().get_params():
        cls(**{key: -1})
        cls().set_params(**{key: "?"})
    ec.check_estimator_tags_renamed(name, cls())
    ec.check_valid_tag_types(name, cls())
    from sklearn.base import is_classifier, is_regressor
    assert is_classifier(cls()) == ("Classifier" in name) and is_regressor(cls()) == ("Regressor" in name)


def test_fit_does_not_change_params_and_sets_trailing_underscore_attributes():
    C, X, Y = data()
    est = ContextualizedRegressor(**FAST)
    before = {k: (v if not isinstance(v, np.ndarray) else v.copy()) for k, v in est.get_params().items()}
    attrs = set(vars(est))
    est.fit(C, X, Y, max_epochs=2)
    assert est.get_params() == before
    new = set(vars(est)) - attrs
    assert new == {"results_", "n_bootstraps_", "train_context_", "context_dim", "x_dim", "y_dim", "univariate_"}


def test_fitted_estimator_pickles_and_predicts_identically():
    C, X, Y = data(binary=True)
    est = ContextualGAMClassifier(n_bootstraps=2, **FAST).fit(C, X, Y)
    back = pickle.loads(pickle.dumps(est))
    assert np.array_equal(back.predict_proba(C, X), est.predict_proba(C, X))
    assert back.get_params() == est.get_params()


# ---- errors -----------------------------------------------------------------------------------
def test_unsupported_and_unknown_keywords_are_refused_clearly():
    with pytest.raises(TypeError, match="loss_fn.*ContextualizedClassifier"):
        ContextualizedRegressor(loss_fn=object())
    with pytest.raises(TypeError, match="'bogus'"):
        ContextualizedRegressor(bogus=1)
    C, X, Y = data()
    with pytest.raises(TypeError, match="C_val.*val_split"):
        ContextualizedRegressor(**FAST).fit(C, X, Y, C_val=C)
    with pytest.raises(TypeError, match="'bogus'"):
        ContextualizedRegressor(**FAST).fit(C, X, Y, bogus=2)
    with pytest.raises(ValueError, match="accelerator"):
        ContextualizedRegressor(**FAST).fit(C, X, Y, accelerator="gpu")


@pytest.mark.parametrize("params,match,exc", [
    (dict(encoder_type="transformer"), "encoder_type", ValueError),
    (dict(num_archetypes=1), "num_archetypes=1", ValueError),
    (dict(num_archetypes=-2), "num_archetypes", ValueError),
    (dict(max_epochs=-1), "max_epochs", ValueError),
    (dict(n_bootstraps=0), "n_bootstraps", ValueError),
    (dict(alpha=-1.0), "alpha", ValueError),
    (dict(l1_ratio=2.0), "l1_ratio", ValueError),
    (dict(val_split=1.0), "val_split", ValueError),
    (dict(learning_rate="fast"), "learning_rate", TypeError),
    (dict(normalize="yes"), "normalize", TypeError),
    (dict(solver="exact"), "solver='exact'", ValueError),
    (dict(random_state=-1), "random_state", ValueError),
])
def test_bad_parameters_name_themselves(params, match, exc):
    C, X, Y = data()
    with pytest.raises(exc, match=match):
        ContextualizedRegressor(**{**FAST, **params}).fit(C, X, Y)


def test_bad_data_and_unfitted_use():
    C, X, Y = data()
    est = ContextualizedRegressor(**FAST)
    with pytest.raises(ValueError, match="not fitted"):
        est.predict(C, X)
    with pytest.raises(ValueError, match="X has 119 rows"):
        est.fit(C, X[:-1], Y)
    with pytest.raises(ValueError, match="Y has 119 rows"):
        est.fit(C, X, Y[:-1])
    with pytest.raises(ValueError, match="Y is missing"):
        est.fit(C, X, None)
    bad = C.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="C column 'c2'.*row 3"):
        est.fit(bad, X, Y)
    est.fit(C, X, Y)
    with pytest.raises(ValueError, match="C has 3 columns"):
        est.predict_params(np.ones((4, 3)))
    with pytest.raises(ValueError, match="X has 2 columns"):
        est.predict(C, X[:, :2])
    with pytest.raises(ValueError, match=r"Y column 0 must lie in \[0, 1\]"):
        ContextualizedClassifier(**FAST).fit(C, X, Y)


def test_gam_ignores_other_encoders_with_a_warning():
    C, X, Y = data(y_dim=1)
    with pytest.warns(UserWarning, match="always uses the ngam encoder"):
        est = ContextualGAMRegressor(encoder_type="mlp", **FAST).fit(C, X, Y)
    assert est.results_[0][0].model.encoder == "ngam"
    # No other warning than the 3-epoch fit's ConvergenceWarning (none when the gaussian ngam's default
    # linear skip starts it at its optimum).
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        ContextualGAMRegressor(**FAST).fit(C, X, Y)
    assert all(issubclass(w.category, cs.ConvergenceWarning) for w in record)


def test_progress_bar_only_when_interactive_and_verbose(monkeypatch, capsys):
    from ctxstats import easy

    C, X, Y = data(y_dim=2)
    ContextualizedRegressor(**FAST).fit(C, X, Y)               # verbose=True but not a terminal
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(easy, "_interactive", lambda: True)
    ContextualizedRegressor(verbose=False, **FAST).fit(C, X, Y)
    assert capsys.readouterr().err == ""
    pytest.importorskip("tqdm")
    ContextualizedRegressor(**FAST).fit(C, X, Y)
    assert "ContextualizedRegressor" in capsys.readouterr().err
