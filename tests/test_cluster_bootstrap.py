"""The cluster bootstrap: replicates that resample whole clusters (cov_type="cluster" for the
encoders without an analytic covariance, or "bootstrap" with groups), checked through the
replicate counts, through the exact solver's refits on those counts, and against the analytic
cluster-robust covariance on data with a shared shock per cluster."""
import io

import numpy as np
import pytest

import ctxstats as cs
from ctxstats import _core
from conftest import make_vcm


def clustered(n=600, G=30, seed=4, shock=1.0):
    """Gaussian data whose clusters share a shock in the intercept and in x1's slope."""
    d = make_vcm(n=n, p=2, m=2, seed=seed)
    rng = np.random.default_rng(seed)
    g = rng.integers(0, G, n)
    a, b = rng.normal(scale=shock, size=G), rng.normal(scale=shock, size=G)
    d["y"] = d["y"] + a[g] + b[g] * d["X"][:, 0]
    d["g"] = np.array([f"site{k:02d}" for k in g])
    return d


def test_counts_resample_whole_clusters():
    labels = np.repeat(np.array([7, 3, 9, 3, 5]), [4, 2, 3, 1, 2])  # 4 clusters, one split in two runs
    for r in range(20):
        counts = _core.bootstrap_counts(11, r, len(labels), labels)
        assert np.array_equal(counts, _core.bootstrap_counts(11, r, len(labels), labels))  # keyed (seed, r)
        per_cluster = {lab: set(counts[labels == lab]) for lab in np.unique(labels)}
        assert all(len(v) == 1 for v in per_cluster.values())  # a cluster's rows share one count
        assert sum(v.pop() for v in per_cluster.values()) == 4  # G draws of G clusters
    rows = _core.bootstrap_counts(11, 0, len(labels))
    assert rows.sum() == len(labels)  # without groups: the multinomial over rows, as before
    with pytest.raises(ValueError, match="at least 2 groups"):
        _core.bootstrap_counts(11, 0, 3, np.zeros(3, dtype=np.int64))


def test_linear_replicates_are_refits_on_cluster_counts():
    # the exact solver does not depend on its start: replicate r is the weighted fit on its counts
    d = clustered(n=300, G=12)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    res = model.fit(n_bootstraps=5, seed=3, cov_type="cluster", groups=d["g"], threads=1)
    assert res.cov_type == "cluster" and res.bootstrap_clusters == 12
    codes = np.unique(d["g"], return_inverse=True)[1]
    for r in range(5):
        counts = _core.bootstrap_counts(3, r, 300, codes)
        refit = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear", weights=counts).fit(threads=1)
        np.testing.assert_allclose(res.bootstrap_weights[r], refit.weights, rtol=0, atol=1e-10)


def test_neural_cluster_covariance_is_the_cluster_bootstrap():
    d = clustered(n=400, G=20)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="ngam", width=4)
    res = model.fit(n_bootstraps=8, seed=2, cov_type="cluster", groups=d["g"])
    assert res.cov_type == "bootstrap" and res.bootstrap_clusters == 20
    assert "resampling 20 clusters" in str(res.summary())
    buffer = io.BytesIO()
    cs.save(res, buffer)
    loaded = cs.load(io.BytesIO(buffer.getvalue()))
    assert loaded.bootstrap_clusters == 20 and np.array_equal(loaded.bse.to_numpy(), res.bse.to_numpy())
    same = model.fit(n_bootstraps=8, seed=2, cov_type="bootstrap", groups=d["g"])
    assert np.array_equal(same.bootstrap_weights, res.bootstrap_weights)  # "bootstrap" with groups: the same
    rows = model.fit(n_bootstraps=8, seed=2, cov_type="bootstrap")
    assert rows.bootstrap_clusters == 0 and not np.array_equal(rows.bootstrap_weights, res.bootstrap_weights)
    with pytest.raises(ValueError, match="cluster bootstrap .* pass n_bootstraps"):
        model.fit(cov_type="cluster", groups=d["g"])
    with pytest.raises(ValueError, match="groups are used by cov_type='cluster'"):
        model.fit(groups=d["g"])


def test_cluster_bootstrap_tracks_the_cluster_sandwich_not_the_rows():
    # With a strong shared shock per cluster the row bootstrap understates the standard errors
    # of the average effects; resampling clusters recovers the cluster-robust sandwich's.
    d = clustered(n=1200, G=40, seed=8, shock=1.0)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    sandwich = model.fit(cov_type="cluster", groups=d["g"]).bse.to_numpy()
    boot_clusters = model.fit(n_bootstraps=300, seed=1, cov_type="bootstrap", groups=d["g"]).bse.to_numpy()
    boot_rows = model.fit(n_bootstraps=300, seed=1, cov_type="bootstrap").bse.to_numpy()
    ratio = boot_clusters / sandwich
    assert np.all((ratio > 0.75) & (ratio < 1.3)), ratio
    # the intercept and x1, which the clusters' shocks move (x2 has none: all three agree)
    assert np.all(boot_rows[:2] < 0.6 * sandwich[:2]), boot_rows / sandwich
