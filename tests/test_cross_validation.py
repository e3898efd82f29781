"""ctxstats.cross_validate: K-fold held-out deviance, checked against fits on the folds made
here by hand, deterministic, and able to tell a wrong encoder from a right one."""
import warnings

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from ctxstats import _core
from ctxstats._families import fit_statistics
from conftest import make_vcm, short_fits


def test_folds_are_balanced_seeded_and_cover_every_row():
    f = _core.cross_validate(np.zeros((23, 1)), np.zeros((23, 1)), np.zeros(23), None,
                             cs.ContextualizedGLM(np.zeros(23), np.zeros((23, 1)), np.zeros((23, 1)),
                                                  encoder="linear")._options(), 5, 3)["fold_of_row"]
    assert sorted(np.bincount(f)) == [4, 4, 5, 5, 5]


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_held_out_deviance_equals_fits_on_the_folds_by_hand(family):
    d = make_vcm(n=200, p=2, m=2, family=family, seed=1)
    w = np.random.default_rng(0).uniform(0.5, 2.0, 200)
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear", weights=w)
    cv = cs.cross_validate(model, folds=4, seed=7)
    total = 0.0
    for k in range(4):
        test = cv.fold_of_row == k
        fit = cs.ContextualizedGLM(d["y"][~test], d["X"][~test], d["C"][~test], family=family, encoder="linear",
                                   weights=w[~test]).fit()
        mu = fit.predict(d["X"][test], d["C"][test])
        np.testing.assert_allclose(cv.predicted_mean.to_numpy()[test], mu, rtol=1e-10)
        fold_dev = fit_statistics(family, d["y"][test], mu, w[test])["deviance"]
        assert cv.folds.loc[k + 1, "deviance"] == pytest.approx(fold_dev, rel=1e-10)
        total += fold_dev
    assert cv.deviance == pytest.approx(total, rel=1e-12)
    assert cv.mean_deviance == pytest.approx(total / w.sum(), rel=1e-12)
    assert cv.folds["converged"].all() and "4 folds" in repr(cv)


def test_deterministic_for_a_seed_and_any_thread_count():
    d = make_vcm(n=300, p=2, m=2, nonlinear=True, seed=2)
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="spline")
    a = cs.cross_validate(model, folds=3, seed=1, threads=1)
    b = cs.cross_validate(model, folds=3, seed=1, threads=2)
    c = cs.cross_validate(model, folds=3, seed=2, threads=1)
    assert a.deviance == b.deviance and np.array_equal(a.fold_of_row, b.fold_of_row)
    assert not np.array_equal(a.fold_of_row, c.fold_of_row)


def test_compare_prefers_the_right_encoder():
    d = make_vcm(n=600, p=2, m=1, nonlinear=True, seed=3)          # coefficients curve in the context
    models = {e: cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder=e) for e in ("linear", "spline")}
    table = cs.compare_cross_validated(models, folds=5, seed=0)
    assert list(table.index) == ["spline", "linear"]
    assert table.loc["spline", "diff"] == 0 and table.loc["linear", "diff"] > 3 * table.loc["linear", "diff_se"]
    with pytest.raises(ValueError, match="need names"):
        cs.compare_cross_validated([models["linear"], models["linear"]], folds=3)


@short_fits
def test_unconverged_folds_warn_and_bad_arguments_are_named():
    d = make_vcm(n=120, p=2, m=2, seed=4)
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="mlp", width=4)
    with pytest.warns(cs.ConvergenceWarning, match="of 3 cross-validation folds did not converge"):
        cs.cross_validate(model, folds=3, max_iter=2)
    lin = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="linear")
    with pytest.raises(ValueError, match="folds"):
        cs.cross_validate(lin, folds=1)
    with pytest.raises(ValueError, match="cannot exceed the number of rows"):
        cs.cross_validate(lin, folds=500)
    with pytest.raises(TypeError, match="ContextualizedGLM"):
        cs.cross_validate("model")
    with pytest.raises(TypeError, match="n_bootstraps"):
        cs.cross_validate(lin, n_bootstraps=5)
    res = lin.fit()
    assert cs.cross_validate(res, folds=3).deviance == cs.cross_validate(lin, folds=3).deviance


@pytest.mark.against_r
@pytest.mark.parametrize("encoder", ["linear", "spline"])
def test_r_ctx_cv_equals_python_bitwise(encoder):
    from rsupport import as_array, r_frame, r_package, vcm_frame

    ro = r_package()
    df = vcm_frame(n=240, seed=8)
    ro.globalenv["d"] = r_frame(df)
    r_dev = float(ro.r(f'ctx_cv(ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = "{encoder}"), folds = 4, '
                       f'seed = 5)$deviance')[0])
    r_fold = as_array(ro.r("ctx_cv(ctx_glm(y ~ x1 + x2 | c1 + c2, data = d, encoder = 'linear'), folds = 4, "
                           "seed = 5)$fold"))
    model = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]], encoder=encoder)
    cv = cs.cross_validate(model, folds=4, seed=5)
    assert cv.deviance == r_dev
    assert np.array_equal(cv.fold_of_row + 1, r_fold)


def test_choose_encoder_scores_candidates_on_the_same_folds():
    d = make_vcm(n=300, p=2, m=2, seed=3, nonlinear=True)
    w = np.random.default_rng(2).uniform(0.5, 2.0, 300)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear", weights=w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = cs.choose_encoder(model, candidates={"linear": "linear", "spline k=6": {"encoder": "spline",
                                                                                       "n_knots": 6}},
                                  folds=4, seed=2)
    assert list(table.columns) == ["mean_deviance", "se", "diff", "diff_se", "deviance", "folds_converged"]
    # each row is cross_validate of that encoder's model on the same folds
    spline = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=6, weights=w)
    cv_s, cv_l = cs.cross_validate(spline, folds=4, seed=2), cs.cross_validate(model, folds=4, seed=2)
    assert table.loc["spline k=6", "deviance"] == cv_s.deviance and table.loc["linear", "deviance"] == cv_l.deviance
    # the nonlinear truth: the spline wins, by more than two paired standard errors
    assert table.index[0] == "spline k=6"
    assert table.loc["linear", "diff"] > 2 * table.loc["linear", "diff_se"]
    # the comparison's numbers, by hand
    dl = cv_l.folds["mean_deviance"].to_numpy() - cv_s.folds["mean_deviance"].to_numpy()
    np.testing.assert_allclose(table.loc["linear", "diff_se"], np.std(dl, ddof=1) / 2, rtol=1e-12)
    np.testing.assert_allclose(table.loc["linear", "se"], cv_l.se, rtol=1e-12)
    np.testing.assert_allclose(table.loc["linear", "mean_deviance"], cv_l.mean_deviance, rtol=1e-12)
    assert table.loc["spline k=6", "diff"] == 0.0


def test_choose_encoder_defaults_and_refusals():
    d = make_vcm(n=150, p=1, m=1, family="poisson", seed=4)
    model = cs.ContextualizedPoisson(d["y"], d["X"], d["C"], encoder="spline", n_knots=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = cs.choose_encoder(model.fit(), folds=3, max_iter=30)
    assert set(table.index) == {"linear", "spline", "ngam"} and (table["diff"] >= 0).all()
    with pytest.raises(TypeError, match="candidate"):
        cs.choose_encoder(model, candidates={"a": {"n_knots": 5}})
    with pytest.raises(TypeError, match="candidates"):
        cs.choose_encoder(model, candidates=[3])
    with pytest.raises(ValueError, match="encoder"):
        cs.choose_encoder(model, candidates=["forest"])
    with pytest.raises(ValueError, match="fold"):
        _core.compare_cross_validation(np.ones((2, 1)), np.ones(1))


@pytest.mark.against_r
def test_r_choose_encoder_equals_python():
    from rsupport import as_array, r_frame, r_package, vcm_frame

    ro = r_package()
    df = vcm_frame(n=200, seed=9)
    ro.globalenv["d"] = r_frame(df)
    ro.r('ce <- ctx_choose_encoder(ctx_glm(y ~ x1 + x2 | c1 + c2, data = d), '
         'candidates = list(lin = "linear", sp = list(encoder = "spline", n_knots = 6)), folds = 4, seed = 3)')
    model = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c1", "c2"]])
    py = cs.choose_encoder(model, candidates={"lin": "linear", "sp": {"encoder": "spline", "n_knots": 6}},
                           folds=4, seed=3)
    assert list(ro.r("rownames(ce)")) == list(py.index)
    for col in ("mean_deviance", "se", "diff", "diff_se", "deviance"):
        assert np.array_equal(as_array(ro.r(f"ce${col}")), py[col].to_numpy()), col
