"""Bootstrap inference on network edges (the core's network_edge_inference, issue 15 item 4):
per-sample percentile intervals and p-values of every edge, and the test of whether an edge
varies with context, for correlation, Markov and Bayesian networks."""
import sys
from pathlib import Path

import numpy as np
import pytest

from ctxstats.easy import (
    ContextualizedBayesianNetworks,
    ContextualizedCorrelationNetworks,
    ContextualizedMarkovNetworks,
)
from conftest import short_bootstraps, short_fits

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from network_sim import mixture_sem, switching_gaussian  # noqa: E402


@pytest.mark.parametrize("cls", [ContextualizedCorrelationNetworks, ContextualizedMarkovNetworks])
def test_intervals_are_the_replicates_percentiles(cls):
    C, X, _, _ = switching_gaussian(600, 4, seed=2)
    model = cls(n_bootstraps=20).fit(C, X)
    e = model.edge_inference(C[:40], alpha=0.1)
    each = model.predict_networks(C[:40], individual_preds=True)
    assert e["n_bootstraps"] == 20
    assert np.allclose(e["lower"], np.quantile(each, 0.05, axis=0), rtol=0, atol=1e-13)
    assert np.allclose(e["upper"], np.quantile(each, 0.95, axis=0), rtol=0, atol=1e-13)
    assert np.allclose(e["se"], each.std(axis=0, ddof=1), rtol=0, atol=1e-13)
    full = cls(n_bootstraps=1).fit(C, X).predict_networks(C[:40])
    assert np.array_equal(e["estimate"], full)
    below = (each <= 0).sum(axis=0)
    above = (each >= 0).sum(axis=0)
    p = np.minimum(1, 2 * (1 + np.minimum(below, above)) / 21)
    assert np.array_equal(e["pvalue"], p)
    assert e["pvalue_floor"] == pytest.approx(2 / 21)


def test_the_heterogeneity_test_finds_edges_that_switch_with_context():
    # Chain edges (k, k+1): k % 3 == 2 always on, the others switch with c.
    C, X, _, _ = switching_gaussian(3000, 5, seed=3)
    model = ContextualizedMarkovNetworks(n_bootstraps=40).fit(C, X)
    e = model.edge_inference(C)
    assert e["het_pvalue"].shape == (5, 5)
    assert np.isnan(e["het_pvalue"][0, 0])
    for i, j in [(0, 1), (1, 2), (3, 4)]:       # switching edges, both regressions
        assert e["het_pvalue"][i, j] <= 0.05 and e["het_pvalue"][j, i] <= 0.05
    absent = [(i, j) for i in range(5) for j in range(5) if abs(i - j) > 1]
    assert all(e["het_pvalue"][i, j] > 0.05 for i, j in absent)   # no edge: constant 0


@short_fits
@short_bootstraps
def test_bayesian_edges_are_projected_dags_and_need_replicates():
    C, X, W = mixture_sem(800, 4, seed=5)
    model = ContextualizedBayesianNetworks(n_bootstraps=5).fit(C, X)
    e = model.edge_inference(C[:30])
    assert np.array_equal(e["estimate"], ContextualizedBayesianNetworks().fit(C, X).predict_networks(C[:30]))
    raw = model.edge_inference(C[:30], project_to_dag=False)
    assert e["lower"].shape == raw["lower"].shape == (30, 4, 4)
    kept = e["estimate"] != 0
    assert np.array_equal(e["estimate"][kept], raw["estimate"][kept])  # projection only removes edges
    assert (e["estimate"] == 0).sum() > (raw["estimate"] == 0).sum()
    with pytest.raises(ValueError, match="n_bootstraps"):
        ContextualizedBayesianNetworks().fit(C, X).edge_inference(C)
    with pytest.raises(ValueError, match="alpha"):
        model.edge_inference(C, alpha=1.5)
