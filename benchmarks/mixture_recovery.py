"""Mixtures of contextualized regressions against R's flexmix (issue 18 item 2).

Simulated data from two contextualized regimes, c1, c2, x1, x2 ~ N(0, 1):

    P(regime B | c) = logistic(1.5 c1 - 0.5 c2),
    regime A: y =  gap/2 + x1 (1 + 0.8 c2) - 0.5 x2 + noise e,
    regime B: y = -gap/2 + x1 (-1 + 0.6 c1) + x2 (0.5 + 0.5 c2) + noise e.

Both fit the same model given the true K = 2: ctxstats
``ContextualizedMixture.from_formula("y ~ x1 + x2 | c1 + c2", n_components=2).fit(n_starts=10)``
and flexmix ``stepFlexmix(y ~ (x1 + x2) * (c1 + c2), k = 2, nrep = 10,
concomitant = FLXPmultinom(~ c1 + c2))`` (R through rpy2). Per replicate: the adjusted Rand
index of each fit's posterior (MAP) assignment against the true regimes, with that of the true
parameters' assignment (the best any fit can do: the regimes overlap where their regression
surfaces cross), the RMSE of the per-sample coefficients theta_k(c_i) (intercept, x1, x2 of
both components, components matched to the regimes by the better of the two pairings) against
the truth, the log-likelihoods and the wall times. Then the choice of K by BIC
(``n_components="bic"``, K in 1..4) on fresh replicates of the same design (truth K = 2) and of
its one-regime version (truth K = 1).

    python benchmarks/mixture_recovery.py [--n 1000] [--reps 20] [--bic-reps 20] [--gap 2] [--noise 0.5]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import ctxstats as cs
from ctxstats import _core

FORMULA = "y ~ x1 + x2 | c1 + c2"
NAMES = ["(Intercept)", "c1", "c2", "x1", "x1:c1", "x1:c2", "x2", "x2:c1", "x2:c2"]


def truth_coef(gap):
    """(2, 3, 3): regime A then B, rows Intercept/x1/x2, columns [1, c1, c2]."""
    a = np.array([[gap / 2, 0, 0], [1, 0, 0.8], [-0.5, 0, 0]])
    b = np.array([[-gap / 2, 0, 0], [-1, 0.6, 0], [0.5, 0, 0.5]])
    return np.stack([a, b])


def simulate(n, seed, gap, noise, k=2):
    rng = np.random.default_rng(seed)
    c1, c2, x1, x2 = rng.normal(size=(4, n))
    pb = 1 / (1 + np.exp(-(1.5 * c1 - 0.5 * c2)))
    z = (rng.uniform(size=n) < pb).astype(int) if k == 2 else np.zeros(n, int)
    B = np.column_stack([np.ones(n), c1, c2])
    X = np.column_stack([np.ones(n), x1, x2])
    coef = truth_coef(gap)
    means = np.column_stack([(X * (B @ coef[j].T)).sum(axis=1) for j in range(2)])
    y = means[np.arange(n), z] + noise * rng.normal(size=n)
    dens = np.exp(-(y[:, None] - means) ** 2 / (2 * noise ** 2)) * np.column_stack([1 - pb, pb])
    oracle = dens.argmax(axis=1)
    return pd.DataFrame(dict(y=y, x1=x1, x2=x2, c1=c1, c2=c2)), z, oracle, B


def coef_rmse(coef_hat, B, gap):
    """RMSE of theta_k(c_i) against the truth, the better of the two pairings of components."""
    truth = truth_coef(gap)
    th = [B @ truth[j].T for j in range(2)]
    est = [B @ coef_hat[j].T for j in range(2)]
    err = [np.sqrt(np.mean([(est[p[j]] - th[j]) ** 2 for j in range(2)])) for p in ((0, 1), (1, 0))]
    return min(err)


def flexmix_fit(ro, df, seed):
    from ctxstats.r import to_r

    ro.globalenv["d"] = to_r(df)
    t = time.perf_counter()
    ro.r(f"set.seed({seed}); fm <- stepFlexmix(y ~ (x1 + x2) * (c1 + c2), data = d, k = 2, nrep = 10, "
         "verbose = FALSE, concomitant = FLXPmultinom(~ c1 + c2), control = list(iter.max = 5000, tolerance = 1e-10))")
    elapsed = time.perf_counter() - t
    k = int(ro.r("fm@k")[0])
    rows = list(ro.r("rownames(parameters(fm))"))
    P = np.asarray(ro.r("as.vector(parameters(fm))"), dtype=float).reshape((len(rows), k), order="F")
    coef = np.stack([np.array([P[rows.index(f"coef.{nm}"), j] for nm in NAMES]).reshape(3, 3) for j in range(k)])
    post = np.asarray(ro.r("as.vector(posterior(fm))"), dtype=float).reshape((len(df), k), order="F")
    return coef, post.argmax(axis=1), float(ro.r("as.numeric(logLik(fm))")[0]), elapsed, k


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--bic-reps", type=int, default=20)
    ap.add_argument("--gap", type=float, default=2.0)
    ap.add_argument("--noise", type=float, default=0.5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    import rpy2.robjects as ro

    ro.r("suppressMessages(library(flexmix))")
    rows = []
    for rep in range(a.reps):
        df, z, oracle, B = simulate(a.n, 1000 + rep, a.gap, a.noise)
        t = time.perf_counter()
        res = cs.ContextualizedMixture.from_formula(FORMULA, df, n_components=2).fit(seed=rep, threads=a.threads)
        t_ours = time.perf_counter() - t
        ours = np.stack([res.params[c].to_numpy().reshape(3, 3) for c in res.component_names])
        f_coef, f_lab, f_ll, t_fm, f_k = flexmix_fit(ro, df, rep)
        row = dict(rep=rep, ari=_core.adjusted_rand_index(list(res.labels), list(z)),
                   ari_flexmix=_core.adjusted_rand_index(list(f_lab), list(z)),
                   ari_oracle=_core.adjusted_rand_index(list(oracle), list(z)),
                   rmse=coef_rmse(ours, B, a.gap),
                   rmse_flexmix=coef_rmse(f_coef, B, a.gap) if f_k == 2 else np.nan,
                   llf=res.llf, llf_flexmix=f_ll, time=t_ours, time_flexmix=t_fm)
        rows.append(row)
        print(f"rep {rep}: ARI {row['ari']:.3f} vs flexmix {row['ari_flexmix']:.3f} (true parameters "
              f"{row['ari_oracle']:.3f}); coef RMSE {row['rmse']:.4f} vs {row['rmse_flexmix']:.4f}; "
              f"loglik {row['llf']:.3f} vs {row['llf_flexmix']:.3f}; time {t_ours:.2f}s vs {t_fm:.2f}s", flush=True)
    r = pd.DataFrame(rows)
    ratio = r["rmse"] / r["rmse_flexmix"]
    print(f"\nn = {a.n}, gap = {a.gap}, noise = {a.noise}, {a.reps} replicates, K = 2 given:")
    print(f"  ARI: ctxstats median {r['ari'].median():.3f} (min {r['ari'].min():.3f}), flexmix median "
          f"{r['ari_flexmix'].median():.3f}, true parameters median {r['ari_oracle'].median():.3f}; "
          f"replicates with ARI >= 0.9: {(r['ari'] >= 0.9).sum()} of {len(r)}")
    print(f"  coef RMSE: ctxstats median {r['rmse'].median():.4f}, flexmix {r['rmse_flexmix'].median():.4f}; "
          f"ratio median {ratio.median():.3f}, max {ratio.max():.3f}; mean-RMSE ratio "
          f"{r['rmse'].mean() / r['rmse_flexmix'].mean():.3f}")
    print(f"  loglik ctxstats - flexmix: median {(r['llf'] - r['llf_flexmix']).median():.4f}, "
          f"min {(r['llf'] - r['llf_flexmix']).min():.4f}, max {(r['llf'] - r['llf_flexmix']).max():.4f}")
    print(f"  time: ctxstats median {r['time'].median():.2f}s, flexmix {r['time_flexmix'].median():.2f}s")

    for k_true in (2, 1):
        chosen = []
        for rep in range(a.bic_reps):
            df, *_ = simulate(a.n, 5000 + rep, a.gap, a.noise, k=k_true)
            res = cs.ContextualizedMixture.from_formula(FORMULA, df, n_components="bic").fit(
                seed=rep, k_range=(1, 4), threads=a.threads)
            chosen.append(res.k)
        chosen = np.array(chosen)
        print(f"BIC over K = 1..4, truth K = {k_true}: chosen {dict(zip(*np.unique(chosen, return_counts=True)))}; "
              f"correct in {(chosen == k_true).sum()} of {len(chosen)} ({(chosen == k_true).mean():.0%})")


if __name__ == "__main__":
    main()
