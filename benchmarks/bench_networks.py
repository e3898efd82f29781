"""Contextualized networks (issue 15): time, and how cost grows with p (pairs grow as p^2) and n,
plus edge recovery on a Gaussian whose precision edges switch with context.

    python -I benchmarks/bench_networks.py [--threads 2] [--reps 3] [--mlp]

Data: c ~ U(-1, 1) (one context column and one noise column); X | c ~ N(0, Omega(c)^-1) with a
chain of edges (k, k+1): even k switch on for c > 0, odd k for c < 0, every third is always on
(partial correlations about 0.4). For each size the best of --reps wall times of
ContextualizedCorrelationNetworks / ContextualizedMarkovNetworks (linear encoder, exact
solver; --mlp adds the mlp encoder with L-BFGS at n = 2,000) is printed with the edge-recovery
AUROC of |partial correlation| (Markov) or |correlation| (correlation networks, against the
true correlation's support) over all samples and pairs, and the log-log slope of time
against p and n. Not run by `make test`; no assertion: a measurement.
"""
import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctxstats.easy import ContextualizedCorrelationNetworks, ContextualizedMarkovNetworks  # noqa: E402
from network_sim import auroc, switching_gaussian  # noqa: E402


def run(cls, C, X, truth, reps, threads, **opts):
    best = np.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = cls(threads=threads, **opts).fit(C, X)
        best = min(best, time.perf_counter() - t0)
    if cls is ContextualizedMarkovNetworks:
        est = model.predict_partial_correlations(C, individual_preds=False)
    else:
        est = model.predict_correlation(C, individual_preds=False, squared=False)
    iu = np.triu_indices(X.shape[1], 1)
    score = np.abs(est[:, iu[0], iu[1]]).ravel()
    label = (np.abs(truth[:, iu[0], iu[1]]) > 0.1).ravel()
    err = float(np.sqrt(np.mean((est[:, iu[0], iu[1]] - truth[:, iu[0], iu[1]]) ** 2)))
    return best, auroc(score, label), err


def slope(xs, ts):
    return float(np.polyfit(np.log(xs), np.log(ts), 1)[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--mlp", action="store_true")
    args = ap.parse_args()
    print(f"threads={args.threads}, best of {args.reps}, cores={os.cpu_count()}, python {sys.version.split()[0]}")
    kinds = [("correlation", ContextualizedCorrelationNetworks, 3), ("markov", ContextualizedMarkovNetworks, 2)]

    print("\n== cost against p (n = 2,000, linear encoder, exact) ==")
    print(f"{'network':12s} {'p':>3s} {'seconds':>9s} {'AUROC':>7s} {'RMSE':>7s}")
    ps = [6, 10, 14, 20]
    for name, cls, which in kinds:
        times = []
        for p in ps:
            C, X, partial, corr = switching_gaussian(2000, p)
            truth = partial if which == 2 else corr
            t, a, e = run(cls, C, X, truth, args.reps, args.threads)
            times.append(t)
            print(f"{name:12s} {p:3d} {t:9.4f} {a:7.3f} {e:7.3f}")
        print(f"{name:12s} time ~ p^{slope(ps, times):.2f}")

    print("\n== cost against n (p = 10, linear encoder, exact) ==")
    ns = [1000, 2000, 4000, 8000, 16000]
    for name, cls, which in kinds:
        times = []
        for n in ns:
            C, X, partial, corr = switching_gaussian(n, 10)
            t, a, e = run(cls, C, X, partial if which == 2 else corr, args.reps, args.threads)
            times.append(t)
            print(f"{name:12s} n={n:6d} {t:9.4f} {a:7.3f} {e:7.3f}")
        print(f"{name:12s} time ~ n^{slope(ns, times):.2f}")

    print("\n== bootstrap (n = 2,000, p = 10, B = 20) ==")
    C, X, partial, corr = switching_gaussian(2000, 10)
    for name, cls, which in kinds:
        t, a, e = run(cls, C, X, partial if which == 2 else corr, 1, args.threads, n_bootstraps=20)
        print(f"{name:12s} {t:9.4f} {a:7.3f} {e:7.3f}")

    if args.mlp:
        print("\n== mlp encoder, L-BFGS (n = 2,000, width 16, 1 layer, max 500 iterations) ==")
        for p in (6, 10):
            C, X, partial, corr = switching_gaussian(2000, p)
            for name, cls, which in kinds:
                t, a, e = run(cls, C, X, partial if which == 2 else corr, 1, args.threads, encoder_type="mlp",
                              width=16, layers=1, max_epochs=500)
                print(f"{name:12s} p={p:3d} {t:9.4f} {a:7.3f} {e:7.3f}")


if __name__ == "__main__":
    main()
