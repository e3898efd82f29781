"""ctxstats.plotting: every plot renders to PNG, with and without bands, and reads what it should."""
import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")

import ctxstats as cs  # noqa: E402
from ctxstats import plotting  # noqa: E402
from ctxstats.easy import ContextualGAMRegressor  # noqa: E402
from conftest import make_vcm, short_bootstraps, short_fits  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# Plots of short neural fits (and easy estimators at a few epochs).
pytestmark = [short_fits, short_bootstraps]


@pytest.fixture(scope="module")
def fits():
    d = make_vcm(n=200, p=2, m=2, nonlinear=True, seed=2)
    X = pd.DataFrame(d["X"], columns=["dose", "weight"])
    C = pd.DataFrame(d["C"], columns=["age", "bmi"])
    linear = cs.ContextualizedRegression(d["y"], X, C, encoder="linear").fit()
    ngam = cs.ContextualizedRegression(d["y"], X, C, encoder="ngam", width=4, depth=1).fit(max_iter=60)
    easy = ContextualGAMRegressor(n_bootstraps=3, width=4, layers=1, solver="lbfgs", max_epochs=40,
                                  threads=1).fit(C, X, d["y"])
    return dict(linear=linear, ngam=ngam, easy=easy, C=C)


def render(fig, tmp_path, name):
    assert isinstance(fig, Figure)
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=50)
    assert path.stat().st_size > 1000
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def band_count(fig):
    from matplotlib.collections import PolyCollection

    return sum(isinstance(c, PolyCollection) for ax in fig.axes for c in ax.collections)


@pytest.mark.parametrize("which", ["linear", "ngam", "easy"])
def test_every_plot_renders_with_defaults(fits, which, tmp_path):
    res = fits[which]
    render(plotting.plot_coefficients(res), tmp_path, "coef")
    with pytest.warns(UserWarning, match="ngam") if which == "linear" else _no_warning():
        render(plotting.plot_ngam_effects(res), tmp_path, "ngam")
    render(plotting.plot_sample_heatmap(res), tmp_path, "heat")
    render(plotting.plot_embedding(res), tmp_path, "pca")


class _no_warning:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_coefficient_curve_is_the_fitted_slice_and_panels_follow_arguments(fits):
    res = fits["linear"]
    fig = plotting.plot_coefficients(res, context="bmi", params=["dose"], n_grid=11, show_samples=False)
    (ax,) = [a for a in fig.axes if a.get_visible()]
    assert ax.get_xlabel() == "bmi" and ax.get_ylabel() == "dose"
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "others at mean"]
    x, y = line.get_data()
    grid = pd.DataFrame({"age": np.full(11, fits["C"]["age"].mean()), "bmi": x})
    np.testing.assert_allclose(y, res.predict_params(grid)["dose"].to_numpy(), rtol=1e-12)
    assert len(plotting.plot_coefficients(res).axes) == 3            # all parameters by default
    assert band_count(fig) == 1                                       # analytic intervals (linear encoder)
    lower, upper = res.sample_conf_int(alpha=0.05, context=grid)
    ys = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(ys.min(), lower["dose"].min()) and np.isclose(ys.max(), upper["dose"].max())


def test_factor_contexts_are_held_at_a_level_and_plotted_at_their_levels():
    rng = np.random.default_rng(4)
    n = 300
    age = rng.uniform(20, 60, n)
    female = (rng.uniform(size=n) < 0.9).astype(float)        # mostly 1: its mean would be ~0.9
    x = rng.normal(size=n)
    y = x * (0.05 * age + 2.0 * female) + 0.3 * rng.normal(size=n)
    C = pd.DataFrame({"age": age, "female": female})
    res = cs.ContextualizedRegression(y, pd.DataFrame({"x": x}), C, encoder="linear").fit()
    fig = plotting.plot_coefficients(res, context="age", params="x", n_grid=5, show_samples=False)
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "others at most common value"]
    xs, ys = line.get_data()
    grid = pd.DataFrame({"age": xs, "female": np.ones(5)})              # held at the common level 1
    np.testing.assert_allclose(ys, res.predict_params(grid)["x"].to_numpy(), rtol=1e-12)
    assert not [ln for ln in fig.axes[0].get_lines() if np.all(ln.get_ydata() == 0)]   # no zero line
    fig = plotting.plot_coefficients(res, context="female", params="x", show_samples=False)
    ax = fig.axes[0]
    assert list(ax.get_xticks()) == [0.0, 1.0] and band_count(fig) == 0   # points with error bars
    one = cs.ContextualizedRegression(y, pd.DataFrame({"x": x}), C[["age"]], encoder="linear").fit()
    fig = plotting.plot_coefficients(one, params="x", show_samples=False)
    assert [ln.get_label() for ln in fig.axes[0].get_lines()] == ["fit"]


def test_bands_from_bootstrap_replicates_of_an_easy_estimator(fits):
    est = fits["easy"]
    fig = plotting.plot_coefficients(est, params="dose", n_grid=9, show_samples=False, alpha=0.2)
    assert band_count(fig) == 1
    poly = [c for c in fig.axes[0].collections][0]
    verts = poly.get_paths()[0].vertices
    C = fits["C"]
    grid = np.column_stack([np.linspace(*np.quantile(C["age"], [0.01, 0.99]), 9), np.full(9, C["bmi"].mean())])
    reps = np.stack([r.predict_params(grid)["dose"].to_numpy() for r in est.results_[0]])
    lo, hi = np.quantile(reps, [0.1, 0.9], axis=0)
    ys = verts[:, 1]
    assert np.isclose(ys.min(), lo.min()) and np.isclose(ys.max(), hi.max())


def test_bands_from_results_that_carry_intervals(fits, tmp_path):
    # A bootstrap fit carries per-sample percentile intervals; the plot draws them.
    boot = fits["ngam"].model.fit(n_bootstraps=4, max_iter=30, seed=1)
    fig = plotting.plot_coefficients(boot, params=0, show_samples=False)
    assert band_count(fig) == 1
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "others at mean"]
    x, _ = line.get_data()
    C = fits["C"]
    grid = pd.DataFrame({"age": x, "bmi": np.full(len(x), C["bmi"].mean())})
    lower, upper = boot.sample_conf_int(alpha=0.05, context=grid)
    ys = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    name = boot.param_names[0]
    assert np.isclose(ys.min(), lower[name].min()) and np.isclose(ys.max(), upper[name].max())
    render(plotting.plot_ngam_effects(boot), tmp_path, "ngam_bands")


@pytest.mark.filterwarnings("ignore::ctxstats.IdentifiabilityWarning")  # a tiny bootstrap (B = 6)
def test_ngam_bands_are_those_of_the_centred_effect(fits):
    # Each replicate's curve is centred at its own value at the reference (the feature's mean),
    # so the band is that of the effect g_jk, not of the level: it closes to zero width there
    # and equals the percentile band of the replicates' centred curves.
    boot = fits["ngam"].model.fit(n_bootstraps=6, max_iter=30, seed=1)
    fig = plotting.plot_ngam_effects(boot, params=["dose"], context=["age"], n_grid=5)
    ys = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    x, _ = fig.axes[0].get_lines()[0].get_data()
    C = fits["C"]
    grid = np.column_stack([x, np.full(5, C["bmi"].mean())])
    ref = C.mean().to_numpy()[None, :]
    from ctxstats import _core
    k = boot.param_names.index("dose")
    curves = np.stack([_core.predict_theta(boot.options, boot.scaling, np.ascontiguousarray(w), grid)[:, k]
                       - _core.predict_theta(boot.options, boot.scaling, np.ascontiguousarray(w), ref)[0, k]
                       for w in np.asarray(boot.bootstrap_weights)])
    lo, hi = np.quantile(curves, [0.025, 0.975], axis=0)
    assert np.isclose(ys.min(), lo.min()) and np.isclose(ys.max(), hi.max())
    lo_ref, hi_ref = plotting._centred_bands(plotting._Fit(boot), np.vstack([ref, grid]), ref)
    assert np.all(lo_ref[0] == 0.0) and np.all(hi_ref[0] == 0.0)  # zero width at the reference


def test_ngam_curves_are_centred_additive_components(fits):
    res = fits["ngam"]
    fig = plotting.plot_ngam_effects(res, params=["dose"], context=["age", "bmi"], n_grid=7)
    assert len(fig.axes) == 2
    for ax, name in zip(fig.axes, ["age", "bmi"]):
        x, y = ax.get_lines()[0].get_data()
        C = fits["C"]
        grid = pd.DataFrame({c: np.full(7, C[c].mean()) for c in C})
        grid[name] = x
        centre = res.predict_params(C.mean().to_frame().T)["dose"].iloc[0]
        np.testing.assert_allclose(y, res.predict_params(grid)["dose"].to_numpy() - centre, rtol=1e-10, atol=1e-12)
    # Additivity: the two centred components add up to the joint change (exact for ngam).
    C = fits["C"]
    a, b = C["age"].quantile(0.8), C["bmi"].quantile(0.2)
    m = C.mean()
    f = lambda age, bmi: res.predict_params(pd.DataFrame({"age": [age], "bmi": [bmi]}))["dose"].iloc[0]  # noqa
    assert np.isclose(f(a, b) - f(m.age, m.bmi), (f(a, m.bmi) - f(m.age, m.bmi)) + (f(m.age, b) - f(m.age, m.bmi)))


def test_heatmap_orders_by_clustering(fits):
    from scipy.cluster.hierarchy import leaves_list, linkage

    res = fits["linear"]
    fig = plotting.plot_sample_heatmap(res, standardize=False)
    shown = fig.axes[0].images[0].get_array()
    theta = res.sample_params.to_numpy()
    np.testing.assert_array_equal(shown, theta[leaves_list(linkage(theta, method="average"))])
    small = plotting.plot_sample_heatmap(res, max_samples=50)
    assert small.axes[0].images[0].get_array().shape == (50, 3)


def test_embedding_is_the_pca_and_takes_colour_arrays(fits, tmp_path):
    res = fits["linear"]
    fig = plotting.plot_embedding(res, color_by="bmi", standardize=False)
    pts = fig.axes[0].collections[0]
    xy = pts.get_offsets()
    theta = res.sample_params.to_numpy()
    Z = theta - theta.mean(axis=0)
    _, S, Vt = np.linalg.svd(Z, full_matrices=False)
    np.testing.assert_allclose(np.abs(xy[:, 0]), np.abs(Z @ Vt[0]), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(pts.get_array(), fits["C"]["bmi"].to_numpy())
    groups = np.where(fits["C"]["age"] > 0, "older", "younger")
    render(plotting.plot_embedding(res, color_by=groups), tmp_path, "groups")


def test_spline_fits_get_vp_bands_and_surfaces(tmp_path):
    from ctxstats import spline

    d = make_vcm(n=400, p=1, m=2, nonlinear=True, seed=4)
    C = pd.DataFrame(d["C"], columns=["age", "bmi"])
    res = cs.ContextualizedRegression(d["y"], d["X"], C, encoder="spline", n_knots=6,
                                      interactions=[("age", "bmi")], interaction_knots=4).fit()
    fig = plotting.plot_coefficients(res, context="age", params="x1", n_grid=15)
    assert band_count(fig) == 1           # the Vp band
    render(fig, tmp_path, "spline_curve")
    fig = plotting.plot_coefficient_surface(res, n_grid=10)
    assert len([ax for ax in fig.axes if ax.get_label() != "<colorbar>"]) == 2 * 2
    render(fig, tmp_path, "spline_surface")
    # The drawn estimate is coefficient_surfaces' grid.
    frame = spline.coefficient_surfaces(res, n_points=10, kind="coefficient").query("coefficient == 'x1'")
    fig = plotting.plot_coefficient_surface(res, ("bmi", "age"), params="x1", n_grid=10)
    est = frame["estimate"].to_numpy()
    lo, hi = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"][0].get_ylim()  # the contour levels' span
    assert lo <= est.min() and hi >= est.max() and hi - lo < 1.5 * np.ptp(est)
    with pytest.raises(TypeError, match="encoder='spline'"):
        plotting.plot_coefficient_surface(fits_linear_stub())


def fits_linear_stub():
    d = make_vcm(n=60, p=1, m=1, seed=5)
    return cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear").fit()


def test_bad_arguments_are_named(fits):
    res = fits["linear"]
    with pytest.raises(ValueError, match="context 'height' is not one of"):
        plotting.plot_coefficients(res, context="height")
    with pytest.raises(ValueError, match="params index 7 is out of range"):
        plotting.plot_coefficients(res, params=7)
    with pytest.raises(ValueError, match="color_by must have one value per sample"):
        plotting.plot_embedding(res, color_by=np.ones(3))
    with pytest.raises(ValueError, match="output must be between 0 and 0"):
        plotting.plot_coefficients(fits["easy"], output=1)
    with pytest.raises(TypeError, match="expected fitted ctxstats results"):
        plotting.plot_sample_heatmap(np.ones((3, 3)))
