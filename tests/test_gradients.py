"""The analytic gradient of every encoder x family x penalty against central differences."""
import numpy as np
import pytest

import ctxstats as cs
from conftest import make_vcm

ENCODERS = [
    ("linear", {}),
    ("mlp", {"width": 4, "depth": 2}),
    ("mlp", {"width": 3, "depth": 1, "activation": "tanh"}),
    ("ngam", {"width": 3, "depth": 1}),
    ("ngam", {"width": 3, "depth": 2, "activation": "tanh"}),
    ("linear", {"archetypes": 3}),
    ("mlp", {"width": 3, "depth": 1, "archetypes": 4}),
    ("ngam", {"width": 2, "depth": 1, "archetypes": 2}),
]
PENALTIES = [
    {},
    {"alpha": 0.3, "l1_ratio": 0.0, "mu_ratio": 0.2},
    {"alpha": 0.2, "l1_ratio": 0.7, "mu_ratio": 0.6, "weight_decay": 0.05},
]


def central_differences(model, w, h=1e-6, **options):
    g = np.empty_like(w)
    for k in range(w.size):
        e = np.zeros_like(w)
        e[k] = h
        g[k] = (model.objective(w + e, **options)[0] - model.objective(w - e, **options)[0]) / (2 * h)
    return g


@pytest.mark.parametrize("family", ["gaussian", "binomial", "poisson"])
@pytest.mark.parametrize("encoder,opts", ENCODERS, ids=lambda v: str(v))
@pytest.mark.parametrize("penalty", PENALTIES, ids=["none", "l2", "elastic"])
def test_gradient_matches_finite_differences(family, encoder, opts, penalty):
    d = make_vcm(n=40, p=2, m=3, family=family, seed=1)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, size=40)
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder=encoder, weights=weights, **opts)
    w = np.random.default_rng(3).normal(scale=0.4, size=model.n_weights())
    f, g = model.objective(w, **penalty)
    assert np.isfinite(f)
    g_fd = central_differences(model, w, **penalty)
    rel = np.linalg.norm(g - g_fd) / max(np.linalg.norm(g_fd), 1e-12)
    assert rel <= 1e-6, rel


def test_gradient_without_intercept():
    d = make_vcm(n=30, seed=4)
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="mlp", fit_intercept=False, width=3, depth=1)
    w = np.random.default_rng(5).normal(scale=0.5, size=model.n_weights())
    _, g = model.objective(w, alpha=0.1)
    g_fd = central_differences(model, w, alpha=0.1)
    assert np.linalg.norm(g - g_fd) / np.linalg.norm(g_fd) <= 1e-6
