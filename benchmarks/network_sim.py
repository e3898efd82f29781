"""Simulated data for contextualized networks, shared by the benchmarks (bench_networks.py,
bench_bayesian_networks.py) and the tests: a Gaussian whose precision edges switch on and off
with context, a linear SEM whose DAG is a context-dependent mixture of two DAGs, the AUROC of
edge scores, and a DAG check."""
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


def mixture_sem(n, p, seed=0, noise=1.0):
    """A linear SEM whose DAG is a context-dependent mixture of two DAGs: C = [c, noise] with
    c ~ U(-1, 1), W(c) = (1 + c) / 2 A + (1 - c) / 2 B, where A and B are random DAGs over the
    same random order (so every W(c) is a DAG) with about 1.5 p edges each, weights of magnitude
    U(0.5, 1.2) and random sign; some edges are in both (their weight moves with c), the others
    switch on towards one end of c. x = x W(c) + e, e ~ N(0, noise^2 I). Returns C, X and every
    sample's true W (n x p x p, W[i, j] the edge i -> j)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(p)
    pos = np.empty(p, dtype=int)
    pos[order] = np.arange(p)
    upper = pos[:, None] < pos[None, :]  # i before j in the order: i -> j allowed
    prob = min(1.0, 3.0 / (p - 1))

    def dag():
        mask = upper & (rng.uniform(size=(p, p)) < prob)
        return mask * rng.uniform(0.5, 1.2, size=(p, p)) * rng.choice([-1.0, 1.0], size=(p, p))

    A, B = dag(), dag()
    c = rng.uniform(-1, 1, size=n)
    C = np.column_stack([c, rng.normal(size=n)])
    a = (1 + c) / 2
    W = a[:, None, None] * A + (1 - a)[:, None, None] * B
    E = noise * rng.normal(size=(n, p))
    X = np.empty((n, p))
    for i in range(n):  # x = e (I - W)^-1
        X[i] = np.linalg.solve((np.eye(p) - W[i]).T, E[i])
    return C, X, W


def is_dag(W):
    """Whether the non-zero entries of W (W[i, j]: the edge i -> j) form a DAG (Kahn's algorithm)."""
    A = np.asarray(W) != 0
    indeg = A.sum(axis=0)
    queue = [j for j in range(len(A)) if indeg[j] == 0]
    done = 0
    while queue:
        i = queue.pop()
        done += 1
        for j in np.flatnonzero(A[i]):
            indeg[j] -= 1
            if indeg[j] == 0:
                queue.append(j)
    return done == len(A)
