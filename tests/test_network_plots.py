"""Pictures of contextualized networks (ctxstats.network_plots; R's plot.ctx_network).

The plotted data, not pixels: the heat map holds the sample's network as the estimator predicts
it; the edge curve runs over the context feature's 1st to 99th percentile with the other
features held at their mean (an indicator: its values; held indicators: the most common value),
its values are the core's edges on that grid, its band the bootstrap percentile interval of
edge_inference; bad arguments raise errors naming the argument; R draws the same numbers.
"""
import matplotlib
import numpy as np
import pytest

from ctxstats.easy import (
    ContextualizedBayesianNetworks,
    ContextualizedCorrelationNetworks,
    ContextualizedMarkovNetworks,
)
from ctxstats.network_plots import network_edge_curve, plot_network, plot_network_edge, sample_network
from conftest import short_bootstraps

matplotlib.use("Agg")


def data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    C = np.column_stack([rng.uniform(-1, 1, n), rng.integers(0, 2, n)])
    X = rng.normal(size=(n, 4))
    X[:, 1] += (0.5 + C[:, 0]) * X[:, 0]
    X[:, 2] += 0.7 * C[:, 1] * X[:, 3]
    return C, X


@pytest.fixture(scope="module")
def markov_boot():
    C, X = data()
    return ContextualizedMarkovNetworks(n_bootstraps=5).fit(C, X), C, X


@short_bootstraps
def test_edge_curve_data_is_the_cores_edges_on_the_documented_grid(markov_boot):
    model, C, _ = markov_boot
    d = network_edge_curve(model, C, edge=(1, 0), context=0, n_grid=25)
    lo, hi = np.quantile(C[:, 0], [0.01, 0.99])
    assert d["x"].shape == (25,) and not d["indicator"]
    assert np.allclose(d["x"], np.linspace(lo, hi, 25), rtol=0, atol=1e-14)
    # The other feature, an indicator, is held at its most common value.
    values, counts = np.unique(C[:, 1], return_counts=True)
    assert d["held"][1] == values[np.argmax(counts)] and d["held"][0] == pytest.approx(C[:, 0].mean(), abs=1e-14)
    G = np.tile(d["held"], (25, 1))
    G[:, 0] = d["x"]
    inf = model.edge_inference(G)
    assert np.array_equal(d["estimate"], inf["estimate"][:, 1, 0])
    assert np.array_equal(d["lower"], inf["lower"][:, 1, 0]) and np.array_equal(d["upper"], inf["upper"][:, 1, 0])
    assert np.array_equal(d["sample_edge"], model.edge_inference(C)["estimate"][:, 1, 0])
    assert np.array_equal(d["sample_x"], C[:, 0])
    # The edge grows with c0 as simulated (0.5 + c0 is x1's coefficient on x0).
    assert d["estimate"][-1] - d["estimate"][0] > 1.0
    fig = plot_network_edge(model, C, edge=(1, 0), context=0, n_grid=25)
    ax = fig.axes[0]
    assert np.array_equal(ax.lines[0].get_ydata(), d["estimate"])
    band = ax.collections[1].get_paths()[0].vertices[:, 1]
    assert np.isin(d["lower"], band).all() and np.isin(d["upper"], band).all()


@short_bootstraps
def test_an_indicator_context_is_drawn_at_its_values(markov_boot):
    model, C, _ = markov_boot
    d = network_edge_curve(model, C, edge=("x3", "x4"), context="c2")
    assert d["indicator"] and np.array_equal(d["x"], [0.0, 1.0])
    assert d["estimate"][1] - d["estimate"][0] > 0.3
    fig = plot_network_edge(model, C, edge=("x3", "x4"), context="c2")
    assert list(fig.axes[0].get_xticks()) == [0.0, 1.0]


def test_without_replicates_the_curve_is_the_fit_and_has_no_band():
    C, X = data(seed=1)
    model = ContextualizedCorrelationNetworks().fit(C, X)
    d = network_edge_curve(model, C, edge=(0, 1), context=0, n_grid=10)
    assert d["lower"] is None and d["upper"] is None
    G = np.tile(d["held"], (10, 1))
    G[:, 0] = d["x"]
    assert np.array_equal(d["estimate"], model.predict_networks(G)[:, 0, 1])
    fig = plot_network_edge(model, C, edge=(0, 1), show_samples=False)
    assert len(fig.axes[0].collections) == 0


def test_the_heat_map_holds_the_samples_network():
    C, X = data(seed=2)
    corr = ContextualizedCorrelationNetworks().fit(C, X)
    want = corr.predict_correlation(C[7:8], individual_preds=False, squared=False)[0]
    image = plot_network(corr, C, sample=7).axes[0].images[0].get_array()
    assert np.array_equal(image.data, want) and image.mask.diagonal().all() and not image.mask[0, 1]
    markov = ContextualizedMarkovNetworks().fit(C, X)
    assert np.array_equal(sample_network(markov, C, 3), markov.predict_partial_correlations(C[3:4], False)[0])
    assert np.array_equal(sample_network(markov, C, 3, what="coefficients"), markov.predict_networks(C[3:4])[0])
    bayes = ContextualizedBayesianNetworks(max_epochs=0).fit(C, X)
    assert np.array_equal(sample_network(bayes, C, 0), bayes.predict_networks(C[:1])[0])
    assert plot_network(bayes, C, 0).axes[0].get_ylabel() == "from (parent)"


def test_bad_arguments_name_the_argument(markov_boot):
    model, C, _ = markov_boot
    with pytest.raises(ValueError, match="edge"):
        network_edge_curve(model, C, edge=(0, 9))
    with pytest.raises(ValueError, match="edge"):
        network_edge_curve(model, C, edge=(2, 2))
    with pytest.raises(ValueError, match="edge"):
        network_edge_curve(model, C, edge="x1")
    with pytest.raises(ValueError, match="context"):
        plot_network_edge(model, C, edge=(0, 1), context="age")
    with pytest.raises(ValueError, match="alpha"):
        plot_network_edge(model, C, edge=(0, 1), alpha=1.5)
    with pytest.raises(ValueError, match="n_grid"):
        plot_network_edge(model, C, edge=(0, 1), n_grid=1)
    with pytest.raises(TypeError, match="show_samples"):
        plot_network_edge(model, C, edge=(0, 1), show_samples="yes")
    with pytest.raises(ValueError, match="sample"):
        plot_network(model, C, sample=len(C))
    with pytest.raises(ValueError, match="what"):
        plot_network(model, C, what="dag")
    with pytest.raises(ValueError, match="C"):
        plot_network(model, C[:, :1])
    with pytest.raises(TypeError, match="model"):
        plot_network(object(), C)


@pytest.mark.against_r
@short_bootstraps
def test_r_draws_the_same_numbers(markov_boot):
    from rsupport import as_array, r_matrix, r_package

    ro = r_package()
    C, X = data()
    model = markov_boot[0]
    ro.globalenv["X"] = r_matrix(ro, X)
    ro.globalenv["C"] = r_matrix(ro, C)
    ro.r('net <- suppressWarnings(ctx_markov_network(X, C, n_bootstraps = 5))')
    ro.r('pdf(NULL)')
    try:
        ro.r('cur <- plot(net, type = "edge", edge = c(2, 1), context = 1, n_grid = 25)')
        d = network_edge_curve(model, C, edge=(1, 0), context=0, n_grid=25)
        for key in ("x", "estimate", "lower", "upper", "held", "sample_edge"):
            assert np.array_equal(as_array(ro.r(f"cur${key}")), d[key]), key
        values = as_array(ro.r('plot(net, sample = 4)$values'))
        assert np.array_equal(values, sample_network(model, C, 3))
    finally:
        ro.r('invisible(dev.off())')
