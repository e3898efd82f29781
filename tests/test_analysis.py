"""ctxstats.analysis: contextualized.analysis's helpers on ctxstats.easy fits.

The p-values are checked against their definition computed here by hand, and on data with
known structure: a coefficient that varies with one context column gets the smallest
possible p-value from that column and not from the other.
"""
import numpy as np
import pandas as pd
import pytest

from ctxstats import _core
from ctxstats.analysis import (calc_heterogeneous_predictor_effects_pvals, calc_homogeneous_context_effects_pvals,
                               calc_homogeneous_predictor_effects_pvals, get_heterogeneous_predictor_effects,
                               get_homogeneous_context_effects, get_homogeneous_predictor_effects,
                               get_possible_pvals, plot_embedding_for_all_covars,
                               plot_heterogeneous_predictor_effects, plot_homogeneous_context_effects,
                               plot_homogeneous_predictor_effects, plot_lowdim_rep, print_acc_by_covars,
                               select_good_bootstraps)
from ctxstats import analysis
from ctxstats.analysis.accuracy_split import _auroc
from ctxstats.easy import ContextualizedClassifier, ContextualizedRegressor
from conftest import short_bootstraps, short_fits

pytestmark = [short_fits, short_bootstraps]


def reference_sign_pvalue(est, s=1.0):
    """The definition, written out."""
    mean = np.mean(est)
    if mean == 0 or np.isnan(mean):
        return 1.0
    opposite = np.sum(est * np.sign(mean) < 0)
    return min(1.0, (s + opposite) / (len(est) + s))


def test_core_sign_pvalues_match_the_definition():
    rng = np.random.default_rng(3)
    S = rng.normal(loc=[0.0, 0.3, -1.0, 5.0], size=(25, 4))
    S[:5, 0] = 0.0                                  # zeros count as neither sign
    S = np.column_stack([S, np.zeros(25), np.r_[np.ones(12), -np.ones(12), 0.0]])   # mean exactly 0
    for s in (0.0, 1.0, 2.5):
        got = _core.sign_pvalues(S, s)
        want = [reference_sign_pvalue(S[:, j], s) for j in range(S.shape[1])]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    assert _core.sign_pvalues(S, 1.0)[3] == pytest.approx(1 / 26)      # the floor 1 / (B + 1)
    assert list(_core.sign_pvalues(S, 1.0)[4:]) == [1.0, 1.0]


def test_core_sign_pvalues_refuse_bad_input():
    with pytest.raises(ValueError, match="laplace_smoothing"):
        _core.sign_pvalues(np.ones((3, 2)), -1.0)
    with pytest.raises(ValueError, match="NaN"):
        _core.sign_pvalues(np.array([[1.0], [np.nan]]), 1.0)
    with pytest.raises(ValueError, match="no bootstrap replicates"):
        _core.sign_pvalues(np.ones((0, 2)), 1.0)


def test_possible_pvals():
    assert get_possible_pvals(9) == [0.1, 0.9]
    with pytest.raises(ValueError, match="num_bootstraps"):
        get_possible_pvals(0)


def structured_data(n=400, seed=0):
    """x2's coefficient varies with c1 only; x1's is constant; c1 acts directly on y; c2 not."""
    rng = np.random.default_rng(seed)
    C = rng.uniform(-1, 1, size=(n, 2))
    X = rng.uniform(-1, 1, size=(n, 2))
    y = 1.0 * X[:, 0] + 2.0 * C[:, 0] * X[:, 1] + 1.5 * C[:, 0] + 0.3 * rng.normal(size=n)
    return C, X, y


@pytest.fixture(scope="module")
def linear_fit():
    C, X, y = structured_data()
    model = ContextualizedRegressor(encoder_type="linear", n_bootstraps=20, threads=1)
    model.fit(C, X, y)
    return model, C, X, y


def test_pvalues_find_the_structure(linear_fit):
    model, C, X, _ = linear_fit
    floor = get_possible_pvals(20)[0]
    het = calc_heterogeneous_predictor_effects_pvals(model, C, verbose=False)
    assert het.shape == (2, 2, 1)
    assert het[0, 1, 0] == pytest.approx(floor)          # x2 varies with c1
    assert min(het[0, 0, 0], het[1, 0, 0], het[1, 1, 0]) > 0.05
    ctx = calc_homogeneous_context_effects_pvals(model, C, verbose=False)
    assert ctx.shape == (2, 1)
    assert ctx[0, 0] == pytest.approx(floor) and ctx[1, 0] > 0.05
    hom = calc_homogeneous_predictor_effects_pvals(model, C, verbose=False)
    assert hom.shape == (2, 1)
    assert hom[0, 0] == pytest.approx(floor)             # x1's constant effect 1


def test_pvalues_are_the_definition_on_the_effects(linear_fit):
    model, C, _, _ = linear_fit
    _, eff = get_heterogeneous_predictor_effects(model, C, n_vis=50)
    diffs = eff[:, :, :, -1] - eff[:, :, :, 0]
    want = np.array([[[reference_sign_pvalue(diffs[i, j, :, k]) for k in range(1)] for j in range(2)]
                     for i in range(2)])
    got = calc_heterogeneous_predictor_effects_pvals(model, C, verbose=False, n_vis=50)
    np.testing.assert_array_equal(got, want)


def test_effect_shapes_and_meaning(linear_fit):
    model, C, X, _ = linear_fit
    c_vis, eff = get_homogeneous_context_effects(model, C, n_vis=7)
    assert c_vis.shape == (7, 2) and eff.shape == (2, 20, 7, 1)
    np.testing.assert_allclose(c_vis[[0, -1]], [C.min(0), C.max(0)])
    _, mus = model.predict_params(np.column_stack([c_vis[:, 0], np.zeros(7)]), individual_preds=True)
    np.testing.assert_array_equal(eff[0], mus)
    _, eff_avg = get_homogeneous_context_effects(model, C, n_vis=7, individual_preds=False)
    assert eff_avg.shape == (2, 7, 1)
    _, hom = get_homogeneous_predictor_effects(model, C, n_vis=7)
    assert hom.shape == (2, 20, 1)
    _, het = get_heterogeneous_predictor_effects(model, C, n_vis=7)
    assert het.shape == (2, 2, 20, 7, 1)
    np.testing.assert_allclose(het.mean(axis=3), 0.0, atol=1e-12)        # centred on the grid
    # the slope of x2's coefficient along c1 is about 2 (the truth)
    slope = (het[0, 1, :, -1, 0] - het[0, 1, :, 0, 0]) / (c_vis[-1, 0] - c_vis[0, 0])
    assert abs(slope.mean() - 2.0) < 0.15
    _, het_avg = get_heterogeneous_predictor_effects(model, C, n_vis=7, individual_preds=False)
    assert het_avg.shape == (2, 2, 7, 1)
    C_vis = np.zeros((5, 2))
    assert get_homogeneous_context_effects(model, C, C_vis=C_vis)[1].shape == (2, 20, 5, 1)


def test_bad_arguments_name_themselves(linear_fit):
    model, C, X, _ = linear_fit
    with pytest.raises(ValueError, match="C has 3 columns"):
        calc_heterogeneous_predictor_effects_pvals(model, np.ones((4, 3)), verbose=False)
    with pytest.raises(ValueError, match="n_vis"):
        get_homogeneous_context_effects(model, C, n_vis=1)
    with pytest.raises(TypeError, match="ctxstats.easy"):
        calc_homogeneous_context_effects_pvals(object(), C)
    one = ContextualizedRegressor(encoder_type="linear").fit(C, X, X[:, 0])
    with pytest.raises(ValueError, match="n_bootstraps=1"):
        calc_homogeneous_predictor_effects_pvals(one, C, verbose=False)
    with pytest.raises(ValueError, match="not fitted"):
        calc_homogeneous_predictor_effects_pvals(ContextualizedRegressor(), C, verbose=False)


def test_select_good_bootstraps_keeps_the_good_replicates():
    C, X, y = structured_data(n=120)
    model = ContextualizedRegressor(encoder_type="linear", n_bootstraps=4).fit(C, X, y)
    before = model.predict(C, X, individual_preds=True)
    assert len(model.models) == 4 and len(model.models[0]) == 1
    errs = np.ones((4, 120)) * np.array([0.3, 0.1, 0.15, 0.5])[:, None]
    out = select_good_bootstraps(model, errs, tol=2)
    assert out is model and model.n_bootstraps_ == 2 and len(model.models) == 2
    np.testing.assert_array_equal(model.predict(C, X, individual_preds=True), before[[1, 2]])
    with pytest.raises(ValueError, match="train_errs must have shape"):
        select_good_bootstraps(model, np.ones((3, 120)))
    with pytest.raises(AttributeError, match="not fitted"):
        ContextualizedRegressor().models


def test_each_context_finds_the_varying_coefficient():
    C, X, y = structured_data(n=300, seed=1)
    out = analysis.test_each_context(ContextualizedRegressor, pd.DataFrame(C, columns=["age", "dose"]),
                            pd.DataFrame(X, columns=["x1", "x2"]), pd.DataFrame({"y": y}), verbose=False,
                            model_kwargs={"encoder_type": "linear"}, fit_kwargs={"n_bootstraps": 20})
    assert list(out.columns) == ["Context", "Predictor", "Target", "Pvals"] and len(out) == 4
    p = out.set_index(["Context", "Predictor"])["Pvals"]
    assert p[("age", "x2")] == pytest.approx(1 / 21)
    assert p[("dose", "x2")] > 0.05 and p[("age", "x1")] > 0.05
    with pytest.raises(TypeError, match="DataFrame"):
        analysis.test_each_context(ContextualizedRegressor, C, X, y)
    with pytest.raises(ValueError, match="n_bootstraps"):
        analysis.test_each_context(ContextualizedRegressor, pd.DataFrame(C), pd.DataFrame(X), pd.DataFrame(y),
                          fit_kwargs={"n_bootstraps": 1})


def test_auroc_is_the_pairwise_share():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60).astype(float)
    s = np.round(rng.normal(size=60) + y, 1)                          # with ties
    pos, neg = s[y == 1], s[y == 0]
    want = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    assert _auroc(y, s) == pytest.approx(want, abs=1e-14)
    assert np.isnan(_auroc(np.ones(5), np.arange(5.0)))


def test_print_acc_by_covars(capsys):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 80).astype(float)
    s = y + rng.normal(size=80)
    cov = pd.DataFrame({"sex": rng.integers(0, 2, 80), "age": rng.normal(size=80)})
    table = print_acc_by_covars(y, s, cov)
    assert list(table["covariate"].unique()) == ["sex"]                # age has too many values
    for v in (0, 1):
        idx = cov["sex"].to_numpy() == v
        assert table.set_index("value").loc[v, "roc"] == pytest.approx(_auroc(y[idx], s[idx]))
    assert "sex" in capsys.readouterr().out
    split = print_acc_by_covars(y, s, cov, train_idx=np.arange(80) < 50, test_idx=np.arange(80) >= 50)
    assert list(split.columns) == ["covariate", "value", "train_roc", "test_roc"]


def test_plots_return_figures(linear_fit):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    model, C, X, _ = linear_fit
    figs = plot_homogeneous_context_effects(model, pd.DataFrame(C, columns=["a", "b"]), n_vis=20)
    assert len(figs) == 1 and isinstance(figs[0], Figure)
    assert [ax.get_xlabel() for ax in figs[0].axes] == ["a", "b"]
    assert len(plot_homogeneous_predictor_effects(model, C, X, n_vis=20)) == 1
    assert len(plot_heterogeneous_predictor_effects(model, C, pd.DataFrame(X, columns=["u", "v"]), n_vis=20)) == 2
    Z = np.random.default_rng(0).normal(size=(50, 3))
    assert isinstance(plot_lowdim_rep(Z[:, :2], np.arange(50) % 3), Figure)
    assert isinstance(plot_lowdim_rep(Z[:, :2], Z[:, 2]), Figure)
    figs = plot_embedding_for_all_covars(Z, pd.DataFrame({"g": np.arange(50) % 2, "z": Z[:, 2]}), dithering_pct=0.1)
    assert len(figs) == 2
    with pytest.raises(ValueError, match="labels"):
        plot_lowdim_rep(Z[:, :2], np.arange(10))


def test_classifier_effects_work():
    C, X, y = structured_data(n=200)
    yb = (y > np.median(y)).astype(float)
    model = ContextualizedClassifier(encoder_type="linear", n_bootstraps=3).fit(C, X, yb)
    assert calc_homogeneous_context_effects_pvals(model, C, verbose=False).shape == (2, 1)
    pytest.importorskip("matplotlib")
    assert len(plot_homogeneous_context_effects(model, C, n_vis=10)) == 1
