"""R and Python draw the same pictures: coefficient_curves_frame returns the numbers
plot_coefficients draws along a context feature (the grid, the fit with the other features held
fixed, the pointwise band), and R's plot(fit) returns the same numbers invisibly (live through
rpy2) -- for analytic, Vp (spline) and bootstrap bands, an indicator on the axis, and a fit
without bands."""
import matplotlib
import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from ctxstats.plotting import coefficient_curves_frame, plot_coefficients

matplotlib.use("Agg")


def curve_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "c1": rng.normal(size=n), "c2": rng.uniform(-1, 1, n),
                       "d": rng.choice(["no", "yes"], n, p=[0.3, 0.7])})
    df["y"] = np.sin(df.c1) + df.x1 * (1 + 0.5 * df.c2 ** 2 + 0.4 * (df.d == "yes")) + 0.5 * rng.normal(size=n)
    return df


def test_frame_is_the_fit_along_a_grid_with_others_held():
    df = curve_data()
    res = cs.ContextualizedGLM.from_formula("y ~ x1 | c1 + c2 + d", df, encoder="linear").fit()
    frame = coefficient_curves_frame(res, "c2", n_grid=7)
    assert list(frame["param"].unique()) == ["Intercept", "x1"] and len(frame) == 14
    lo, hi = np.quantile(df.c2, [0.01, 0.99])
    np.testing.assert_allclose(frame["x"][:7], np.linspace(lo, hi, 7), rtol=1e-12)
    held_d = float((df.d == "yes").mean() > 0.5)      # an indicator is held at its most common value
    rows = pd.DataFrame({"c1": df.c1.mean(), "c2": np.linspace(lo, hi, 7), "d[T.yes]": held_d})
    want = res.predict_params(rows)
    wlo, whi = res.sample_conf_int(context=rows)
    for k in ("Intercept", "x1"):
        sub = frame[frame["param"] == k]
        np.testing.assert_allclose(sub["estimate"], want[k], rtol=1e-12)
        np.testing.assert_allclose(sub["lower"], wlo[k], rtol=1e-12)
        np.testing.assert_allclose(sub["upper"], whi[k], rtol=1e-12)
    ind = coefficient_curves_frame(res, "d[T.yes]", params="x1")
    np.testing.assert_array_equal(ind["x"], [0.0, 1.0])


def test_plot_draws_the_frame():
    df = curve_data()
    res = cs.ContextualizedGLM.from_formula("y ~ x1 | c1 + c2", df, encoder="spline", n_knots=8).fit()
    frame = coefficient_curves_frame(res, "c1", params="x1", n_grid=30)
    fig = plot_coefficients(res, "c1", params="x1", n_grid=30, show_samples=False)
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), frame["x"])
    np.testing.assert_array_equal(line.get_ydata(), frame["estimate"])
    band = ax.collections[0].get_paths()[0].vertices      # fill_between's polygon: lower then upper
    assert np.isin(frame["lower"].to_numpy(), band[:, 1]).all() and np.isin(frame["upper"].to_numpy(), band[:, 1]).all()


def test_no_band_without_intervals_and_bad_grid_refused():
    df = curve_data(n=200)
    res = cs.ContextualizedGLM.from_formula("y ~ x1 | c1", df, encoder="ngam", width=4).fit(seed=0, max_iter=50)
    frame = coefficient_curves_frame(res, n_grid=5)
    assert frame["lower"].isna().all() and frame["upper"].isna().all() and np.isfinite(frame["estimate"]).all()
    with pytest.raises(ValueError, match="n_grid"):
        coefficient_curves_frame(res, n_grid=1)
    with pytest.raises(ValueError, match="context"):
        coefficient_curves_frame(res, "nope")


CASES = {
    "linear, analytic bands": ("y ~ x1 | c1 + c2 + d", {"encoder": "linear"}, {}),
    "spline, Vp bands": ("y ~ x1 | c1 + c2", {"encoder": "spline", "n_knots": 8}, {}),
    "linear, bootstrap bands": ("y ~ x1 | c1 + c2", {"encoder": "linear"}, {"n_bootstraps": 20, "seed": 3}),
}


@pytest.mark.against_r
@pytest.mark.parametrize("case", list(CASES))
def test_r_plot_draws_the_same_curves(case):
    from rsupport import as_array, r_frame, r_package

    formula, options, fit_args = CASES[case]
    ro = r_package()
    df = curve_data(seed=1)
    ro.globalenv["d"] = r_frame(df)
    r_args = "".join(f", {k} = {v!r}" if isinstance(v, str) else f", {k} = {v}L" for k, v in {**options, **fit_args}.items())
    ro.r(f'grDevices::pdf(NULL); f <- ctx_glm({formula}, data = d{r_args}); pan <- plot(f, n_grid = 25); grDevices::dev.off()')
    res = cs.ContextualizedGLM.from_formula(formula, df, **options).fit(**fit_args)
    n_panels = int(ro.r("length(pan)")[0])
    assert n_panels == len(res.model.context_names) * 2
    for i in range(1, n_panels + 1):
        context = str(ro.r(f"pan[[{i}]]$context")[0])
        param = str(ro.r(f"pan[[{i}]]$param")[0])
        r_context = context.replace("dyes", "d[T.yes]")
        frame = coefficient_curves_frame(res, r_context, params=param, n_grid=25)
        np.testing.assert_allclose(as_array(ro.r(f"pan[[{i}]]$x")), frame["x"], rtol=1e-12)
        for r_name, col in (("fit", "estimate"), ("lower", "lower"), ("upper", "upper")):
            np.testing.assert_allclose(as_array(ro.r(f"pan[[{i}]]${r_name}")), frame[col], rtol=1e-9, atol=1e-12,
                                       err_msg=f"{case}: {param} vs {context}, {r_name}")
