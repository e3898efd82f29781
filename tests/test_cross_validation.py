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
