"""Simulation studies of ctxstats' inference: coverage of intervals, size and power of the
heterogeneity tests. The tests in test_simulations.py run them at CI size; run this file to
print the figures (optionally with more replicates):

    python tests/simstudies.py            # CI-size studies
    python tests/simstudies.py --large    # more replicates, and the neural bootstrap test

The data-generating model is the linear varying-coefficient model
    y_i = mu(c_i) + x_i . beta(c_i) + sigma e_i,   theta(c) = U [1; c],
with x_i, c_i, e_i independent standard normal (p = 2 predictors, m = 2 context features).
Every replicate draws new contexts, predictors and noise; the estimand of the average
effects is the average over that replicate's samples of theta(c_i) (what ``params``
estimates).
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import ctxstats as cs

U_TRUE = np.array([[-0.2, 0.3, 0.0],     # intercept: varies with c1
                   [0.5, 0.4, -0.3],     # x1: varies with c1, c2
                   [0.8, 0.0, 0.2]])     # x2: varies with c2
U_NULL = np.array([[-0.2, 0.0, 0.0],     # nothing varies with context
                   [0.5, 0.0, 0.0],
                   [0.8, 0.0, 0.0]])


def draw(rng, n, U, sigma=1.0, family="gaussian"):
    C = rng.normal(size=(n, 2))
    X = rng.normal(size=(n, 2))
    theta = np.column_stack([np.ones(n), C]) @ U.T          # n x 3
    eta = theta[:, 0] + (X * theta[:, 1:]).sum(axis=1)
    if family == "gaussian":
        y = eta + sigma * rng.normal(size=n)
    else:
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return y, X, C, theta


def _fit(y, X, C, family="gaussian", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.IdentifiabilityWarning)
        return cs.ContextualizedGLM(y, X, C, family=family, encoder="linear").fit(threads=1, **kw)


def analytic_coverage(reps=300, n=80, cov_type="nonrobust", family="gaussian", alpha=0.05, seed=0):
    """Share of replicates whose 1 - alpha interval for each average effect covers the truth."""
    rng = np.random.default_rng(seed)
    hits = np.zeros(3)
    for _ in range(reps):
        y, X, C, theta = draw(rng, n, U_TRUE, family=family)
        res = _fit(y, X, C, family, cov_type=cov_type)
        ci = res.conf_int(alpha).to_numpy()
        truth = theta.mean(axis=0)
        hits += (ci[:, 0] <= truth) & (truth <= ci[:, 1])
    return hits / reps


def bootstrap_coverage(reps=50, n=100, B=100, alpha=0.05, seed=1):
    """Average over replicates, samples and coefficients of the coverage of the per-sample
    percentile intervals (linear encoder, exact solver, B replicates); per coefficient too."""
    rng = np.random.default_rng(seed)
    cover = np.zeros(3)
    for r in range(reps):
        y, X, C, theta = draw(rng, n, U_TRUE)
        res = _fit(y, X, C, n_bootstraps=B, seed=r, cov_type="bootstrap")
        lo, hi = res.sample_conf_int(alpha)
        cover += ((lo.to_numpy() <= theta) & (theta <= hi.to_numpy())).mean(axis=0)
    return cover / reps


def heterogeneity_rejections(U, reps=400, n=100, cov_type="nonrobust", method="wald", B=0, level=0.05, seed=2):
    """Per coefficient, the share of replicates in which the heterogeneity test rejects at
    ``level``."""
    rng = np.random.default_rng(seed)
    rej = np.zeros(3)
    for r in range(reps):
        y, X, C, _ = draw(rng, n, U)
        kw = {"n_bootstraps": B, "seed": r} if B else {}
        res = _fit(y, X, C, cov_type=cov_type, **kw)
        rej += res.heterogeneity_test(method=method)["pvalue"].to_numpy() < level
    return rej / reps


POWER_DELTA = 0.4


def power_model(delta=POWER_DELTA):
    """Only x1's coefficient varies, with slope ``delta`` in c1 (noise sd 1, x and c
    standard normal): the effect size of the power study."""
    U = U_NULL.copy()
    U[1, 1] = delta
    return U


def neural_bootstrap_rejections(U=U_NULL, reps=100, n=200, B=50, width=8, seed=3, threads=None):
    """Rejection rates at 5% of the bootstrap heterogeneity test with an mlp encoder (width
    8, one hidden layer, weight decay 1e-3, L-BFGS): the size under U_NULL (nothing varies
    with context), the power under power_model()."""
    rng = np.random.default_rng(seed)
    rej = np.zeros(3)
    for r in range(reps):
        y, X, C, _ = draw(rng, n, U)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cs.IdentifiabilityWarning)
            res = cs.ContextualizedRegression(y, X, C, encoder="mlp", width=width, depth=1).fit(
                n_bootstraps=B, seed=r, max_iter=200, weight_decay=1e-3, threads=threads)
        rej += res.heterogeneity_test()["pvalue"].to_numpy() < 0.05
    return rej / reps


def main(large=False):
    k = 4 if large else 1
    t0 = time.time()
    print("Data: linear varying-coefficient model, p=2, m=2, x, c, noise ~ N(0, 1).")
    for cov in ("nonrobust", "HC3"):
        reps = (1000 if cov == "nonrobust" else 600) * k
        cov_rates = analytic_coverage(reps=reps, cov_type=cov)
        print(f"analytic 95% CI coverage of the average effects (gaussian, n=80, {reps} reps, {cov}): "
              f"{np.round(cov_rates, 3)}")
    glm = analytic_coverage(reps=200 * k, n=400, family="binomial", seed=5)
    print(f"analytic 95% CI coverage of the average effects (binomial, n=400, {200 * k} reps, nonrobust): "
          f"{np.round(glm, 3)}")
    bc = bootstrap_coverage(reps=50 * k)
    print(f"bootstrap percentile 95% CI coverage of per-sample coefficients (n=100, B=100, {50 * k} reps): "
          f"{np.round(bc, 3)}, average {bc.mean():.3f}")
    for cov in ("nonrobust", "HC3"):
        size = heterogeneity_rejections(U_NULL, reps=400 * k, cov_type=cov)
        print(f"Wald/F heterogeneity test size at 5% (n=100, {400 * k} null reps, {cov}): {np.round(size, 3)}")
    power = heterogeneity_rejections(power_model(), reps=200 * k, seed=4)
    print(f"Wald/F heterogeneity test power at 5% for x1, slope {POWER_DELTA} in c1 (sd 1 noise, n=100, "
          f"{200 * k} reps): {power[1]:.3f} (other coefficients, null: {np.round(power[[0, 2]], 3)})")
    bsize = heterogeneity_rejections(U_NULL, reps=200 * k, method="bootstrap", B=99, cov_type="bootstrap", seed=6)
    print(f"bootstrap heterogeneity test size at 5% (linear encoder, n=100, B=99, {200 * k} null reps): "
          f"{np.round(bsize, 3)}")
    bpower = heterogeneity_rejections(power_model(), reps=100 * k, method="bootstrap", B=99,
                                      cov_type="bootstrap", seed=7)
    print(f"bootstrap heterogeneity test power at 5% for x1, slope {POWER_DELTA} (n=100, B=99, {100 * k} reps): "
          f"{bpower[1]:.3f}")
    if large:
        ns = neural_bootstrap_rejections(threads=1)
        print(f"bootstrap heterogeneity test size at 5% (mlp width 8, depth 1, n=200, B=50, 100 null reps): "
              f"{np.round(ns, 3)}")
        for delta in (POWER_DELTA, 0.8):
            npow = neural_bootstrap_rejections(power_model(delta), threads=1, seed=8)
            print(f"bootstrap heterogeneity test power at 5% for x1, slope {delta} (mlp as above, n=200, B=50, "
                  f"100 reps): {npow[1]:.3f} (null coefficients: {np.round(npow[[0, 2]], 3)})")
    print(f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--large", action="store_true", help="4x the replicates, plus the neural bootstrap test")
    main(ap.parse_args().large)
