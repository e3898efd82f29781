"""Factor contexts plotted by level: plot_coefficients draws a multi-level factor as one
point with its interval per level (the baseline first), and factor_levels_frame returns those
numbers -- the fit's parameters and pointwise intervals at one context row per level, the other
features held fixed. R's plot(fit) draws the same numbers (live through rpy2)."""
import matplotlib
import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from ctxstats.plotting import factor_levels_frame, plot_coefficients

matplotlib.use("Agg")


def factor_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "c1": rng.normal(size=n), "g": rng.choice(list("abc"), n)})
    df["y"] = 0.3 * df.c1 + df.x1 * (1 + (df.g == "b") - (df.g == "c")) + rng.normal(size=n)
    return df


def test_levels_frame_is_the_fit_at_one_row_per_level():
    df = factor_data()
    res = cs.ContextualizedGLM.from_formula("y ~ x1 | c1 + g", df, encoder="linear").fit()
    frame = factor_levels_frame(res, "g")
    assert list(frame["level"][:3]) == ["a", "b", "c"] and list(frame["param"].unique()) == ["Intercept", "x1"]
    rows = pd.DataFrame({"c1": [df.c1.mean()] * 3, "g[T.b]": [0.0, 1.0, 0.0], "g[T.c]": [0.0, 0.0, 1.0]})
    want = res.predict_params(rows)
    lo, hi = res.sample_conf_int(context=rows)
    for k in ("Intercept", "x1"):
        sub = frame[frame["param"] == k]
        np.testing.assert_allclose(sub["estimate"], want[k], rtol=1e-12)
        np.testing.assert_allclose(sub["lower"], lo[k], rtol=1e-12)
        np.testing.assert_allclose(sub["upper"], hi[k], rtol=1e-12)
    # the truth: x1's slope is 1, 2 and 0 at levels a, b, c
    np.testing.assert_allclose(frame[frame["param"] == "x1"]["estimate"], [1, 2, 0], atol=0.25)


def test_plot_draws_levels_as_points_with_intervals():
    df = factor_data()
    res = cs.ContextualizedGLM.from_formula("y ~ x1 | g + c1", df, encoder="spline", n_knots=6).fit()
    fig = plot_coefficients(res, context="g", params="x1")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "g" and ax.get_title() == "x1 by g"
    frame = factor_levels_frame(res, "g", params="x1")
    line = [l for l in ax.lines if l.get_marker() == "o"][0]
    np.testing.assert_allclose(line.get_ydata(), frame["estimate"], rtol=1e-12)
    assert np.all(frame["lower"] < frame["estimate"]) and np.all(frame["estimate"] < frame["upper"])
    # the factor's first column comes first: the default panel is the factor
    assert plot_coefficients(res).axes[0].get_xlabel() == "g"
    # a continuous feature is still a curve over its range
    assert plot_coefficients(res, context="c1").axes[0].get_xlabel() == "c1"
    with pytest.raises(ValueError, match="factor"):
        factor_levels_frame(res, "c1")


@pytest.mark.against_r
def test_r_plot_draws_the_same_levels():
    from rsupport import as_array, r_frame, r_package

    ro = r_package()
    df = factor_data(seed=2)
    ro.globalenv["d"] = r_frame(df)
    ro.r('grDevices::pdf(NULL); f <- ctx_glm(y ~ x1 | c1 + g, data = d, encoder = "linear"); '
         'pan <- plot(f, context = "g"); grDevices::dev.off()')
    res = cs.ContextualizedGLM.from_formula("y ~ x1 | c1 + g", df, encoder="linear").fit()
    frame = factor_levels_frame(res, "g")
    for i, k in enumerate(("Intercept", "x1")):
        sub = frame[frame["param"] == k]
        assert list(ro.r(f"pan[[{i + 1}]]$labels")) == ["a", "b", "c"]
        for r_name, col in (("fit", "estimate"), ("lower", "lower"), ("upper", "upper")):
            np.testing.assert_allclose(as_array(ro.r(f"pan[[{i + 1}]]${r_name}")), sub[col], rtol=1e-10)
