"""Simulated data for contextualized networks, shared by benchmarks/bench_networks.py and
tests/test_networks.py: a Gaussian whose precision edges switch on and off with context, and
the AUROC of edge scores."""
import numpy as np


def switching_gaussian(n, p, seed=0):
    """C = [c, noise] with c ~ U(-1, 1); X | c ~ N(0, Omega(c)^-1), Omega a chain with edges (k, k+1)
    of partial correlation 0.4: every third (k % 3 == 2) always on, the others even k on for c > 0,
    odd k for c < 0. Returns C, X and every sample's true partial correlations and correlations."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(-1, 1, size=n)
    C = np.column_stack([c, rng.normal(size=n)])
    X = np.empty((n, p))
    partial = np.empty((n, p, p))
    corr = np.empty((n, p, p))
    for i in range(n):
        O = np.eye(p)
        for k in range(p - 1):
            on = True if k % 3 == 2 else (c[i] > 0 if k % 2 == 0 else c[i] < 0)
            O[k, k + 1] = O[k + 1, k] = -0.4 * on
        S = np.linalg.inv(O)
        X[i] = rng.multivariate_normal(np.zeros(p), S)
        d = np.sqrt(np.diag(O))
        partial[i] = -O / np.outer(d, d)
        s = np.sqrt(np.diag(S))
        corr[i] = S / np.outer(s, s)
    return C, X, partial, corr


def auroc(scores, labels):
    """Area under the ROC curve by the rank-sum (Mann-Whitney) statistic."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels.astype(bool)
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
