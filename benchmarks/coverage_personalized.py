"""Coverage of personalized regression's per-sample bootstrap intervals (issue 14, item 3).

Simulation (stated): n = 500 rows, five N(0, 1) context columns of which two matter, two
predictors x ~ N(0, 1), gaussian noise SD 0.3, y = mu + x . beta + noise, with
  subgroups  theta = T0 + 1{c1 > 0} D1 + 1{c2 > 0} D2        (subgroups_personalized.py)
  smooth     theta = T0 + tanh(1.5 c1) D1 + 0.5 c2 D2          (bench_personalized.py's smooth design)
Default options (rank and k chosen from the data in the fit and in every replicate), B
bootstrap replicates, R data sets (seeds 0..R-1). Reported: the share of the n x 3 true
per-sample parameters inside their 95% and 90% intervals (sample_conf_int), the share of
average effects inside conf_int (truth: the mean of the true per-sample parameters), whether
every interval contains its estimate, and how often the modes warning was raised.

    python -I benchmarks/coverage_personalized.py               # R = 5, B = 40, both designs
    python -I benchmarks/coverage_personalized.py --R 2 --B 20 --design subgroups
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import ctxstats as cs  # noqa: E402

T0 = np.array([1.0, 2.0, -1.0])
D1 = np.array([-0.5, -1.0, 3.0])
D2 = np.array([-2.0, -3.0, 2.0])


def make(design: str, n: int, seed: int):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 5))
    if design == "subgroups":
        theta = T0 + np.outer(C[:, 0] > 0, D1) + np.outer(C[:, 1] > 0, D2)
    else:
        theta = T0 + np.outer(np.tanh(1.5 * C[:, 0]), D1) + np.outer(0.5 * C[:, 1], D2)
    X = rng.normal(size=(n, 2))
    y = theta[:, 0] + (X * theta[:, 1:]).sum(axis=1) + 0.3 * rng.normal(size=n)
    return (pd.Series(y, name="y"), pd.DataFrame(X, columns=["x1", "x2"]),
            pd.DataFrame(C, columns=[f"c{k + 1}" for k in range(5)]), theta)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--R", type=int, default=5)
    ap.add_argument("--first", type=int, default=0, help="the first data seed (seeds first .. first + R - 1)")
    ap.add_argument("--B", type=int, default=40)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--design", nargs="+", default=["subgroups", "smooth"])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    warnings.simplefilter("ignore", cs.ConvergenceWarning)
    print("| design | data seed | rank | k | shrinkage | per-sample 95% | per-sample 90% | average effects 95% | "
          "estimates inside | modes warning | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    totals = {}
    for design in args.design:
        for seed in range(args.first, args.first + args.R):
            y, X, C, theta = make(design, args.n, seed)
            t0 = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", cs.BootstrapModesWarning)
                res = cs.PersonalizedRegression(y, X, C).fit(seed=seed, threads=args.threads, n_bootstraps=args.B)
            modes = any(issubclass(w.category, cs.BootstrapModesWarning) for w in caught)
            cov = {}
            inside = True
            for level in (0.05, 0.10):
                ci = res.sample_conf_int(alpha=level)
                lo, hi = ci["lower"].to_numpy(), ci["upper"].to_numpy()
                cov[level] = float(((lo <= theta) & (theta <= hi)).mean())
                est = res.sample_params.to_numpy()
                inside &= bool(((lo <= est) & (est <= hi)).all())
            ci = res.conf_int()
            truth = theta.mean(axis=0)
            cov_avg = float(((ci["lower"].to_numpy() <= truth) & (truth <= ci["upper"].to_numpy())).mean())
            inside &= bool(((ci["lower"] <= res.params) & (res.params <= ci["upper"])).all())
            tot = totals.setdefault(design, [])
            tot.append((cov[0.05], cov[0.10], cov_avg))
            shrink = f"{res.shrink_target} {res.shrinkage:g}"
            print(f"| {design} | {seed} | {res.rank} | {res.local_neighbors} | {shrink} | {cov[0.05]:.3f} | "
                  f"{cov[0.10]:.3f} | "
                  f"{cov_avg:.2f} | {'yes' if inside else 'NO'} | {'yes' if modes else 'no'} | "
                  f"{time.perf_counter() - t0:.0f} |", flush=True)
    for design, rows in totals.items():
        a = np.array(rows)
        print(f"| **{design} mean** | | | | | **{a[:, 0].mean():.3f}** | **{a[:, 1].mean():.3f}** | "
              f"{a[:, 2].mean():.2f} | | | |")


if __name__ == "__main__":
    main()
