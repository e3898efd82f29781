"""Coverage of the mixture bootstrap's percentile intervals (issue 18: bootstrap of mixtures of
contextualized regressions, label switching handled by matching to the full fit).

    python benchmarks/mixture_coverage.py [--reps 100] [--B 200] [--n 500]

Simulates the two-regime design of tests/results/flexmix_mixture.R (regime 2 with probability
logistic(1.5 c1 - 0.5 c2); regime 1: y = 1 + x1 (1 + 0.8 c2) - 0.5 x2 + 0.4 e, regime 2:
y = -1 + x1 (-1 + 0.6 c1) + x2 (0.5 + 0.5 c2) + 0.4 e), fits K = 2 with n_bootstraps=B, and
prints how often the 95% percentile interval of each coefficient covers its true value (the
canonical order puts the regime with the lower mean response first), and the ratio of the
bootstrap SE to the SD of the estimates over the simulations. No assertion: a measurement.
"""
import argparse
import time

import numpy as np
import pandas as pd

import ctxstats as cs

TRUE = {  # rows in ContextualizedMixture's param_names order; columns Comp.1, Comp.2
    "(Intercept)": (-1.0, 1.0), "c1": (0.0, 0.0), "c2": (0.0, 0.0), "x1": (-1.0, 1.0), "x1:c1": (0.6, 0.0),
    "x1:c2": (0.0, 0.8), "x2": (0.5, -0.5), "x2:c1": (0.0, 0.0), "x2:c2": (0.5, 0.0)}


def simulate(n, rng):
    c1, c2, x1, x2 = (rng.normal(size=n) for _ in range(4))
    z = rng.uniform(size=n) < 1 / (1 + np.exp(-(1.5 * c1 - 0.5 * c2)))
    y = np.where(z, -1 + x1 * (-1 + 0.6 * c1) + x2 * (0.5 + 0.5 * c2), 1 + x1 * (1 + 0.8 * c2) - 0.5 * x2)
    return pd.DataFrame({"y": y + 0.4 * rng.normal(size=n), "x1": x1, "x2": x2, "c1": c1, "c2": c2})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--B", type=int, default=200)
    ap.add_argument("--n", type=int, default=500)
    a = ap.parse_args()
    truth = pd.DataFrame(TRUE, index=["Comp.1", "Comp.2"]).T
    covered, estimates, ses = [], [], []
    failed = relabelled = 0
    t0 = time.perf_counter()
    for rep in range(a.reps):
        d = simulate(a.n, np.random.default_rng(1000 + rep))
        res = cs.ContextualizedMixture.from_formula("y ~ x1 + x2 | c1 + c2", d, n_components=2).fit(
            n_bootstraps=a.B, seed=rep)
        ci = res.conf_int(0.05)
        lo = ci.xs("lower", axis=1, level=1)
        hi = ci.xs("upper", axis=1, level=1)
        covered.append(((lo <= truth) & (truth <= hi)).to_numpy())
        estimates.append(res.params.to_numpy())
        ses.append(res.bse.to_numpy())
        failed += res.bootstrap["failed"]
        relabelled += res.bootstrap["relabelled"]
    cover = np.mean(covered, axis=0)
    sd = np.std(estimates, axis=0, ddof=1)
    ratio = np.mean(ses, axis=0) / sd
    print(f"{a.reps} data sets, n = {a.n}, B = {a.B}: {time.perf_counter() - t0:.0f} s; "
          f"{failed} replicates lost a component, {relabelled} relabelled")
    print("coverage of the 95% percentile intervals:")
    print(pd.DataFrame(cover, index=truth.index, columns=truth.columns).round(3).to_string())
    print(f"overall {cover.mean():.3f} (range {cover.min():.2f}-{cover.max():.2f})")
    print("mean bootstrap SE / SD of the estimates over the data sets:")
    print(pd.DataFrame(ratio, index=truth.index, columns=truth.columns).round(3).to_string())


if __name__ == "__main__":
    main()
