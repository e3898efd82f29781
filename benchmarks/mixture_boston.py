"""A mixture of contextualized regressions on real data: MASS's Boston housing data (Debian
r-cran-mass, read through rpy2), 506 census tracts.

    log(medv) ~ rm + ptratio | lstat + nox

The price of a tract's homes by rooms and pupil-teacher ratio, with coefficients and mixing
weights that vary with the share of lower-status population (lstat) and the nitrogen-oxide
concentration (nox). K is chosen by BIC over 1..4 (``n_components="bic"``); flexmix fits the
chosen K from its own 10 starts (``stepFlexmix``) for comparison of the maximised
log-likelihood.

    python benchmarks/mixture_boston.py
"""
import numpy as np
import pandas as pd
import rpy2.robjects as ro

import ctxstats as cs
from ctxstats.r import to_r


def main():
    ro.r("suppressMessages({library(MASS); library(flexmix)})")
    cols = ["medv", "rm", "ptratio", "lstat", "nox"]
    df = pd.DataFrame({c: np.asarray(ro.r(f"Boston${c}"), dtype=float) for c in cols})
    df["logmedv"] = np.log(df["medv"])
    res = cs.ContextualizedMixture.from_formula("logmedv ~ rm + ptratio | lstat + nox", df,
                                                n_components="bic").fit(seed=0, k_range=(1, 4))
    print(res.summary())
    print("\nMean per-sample coefficients by MAP component:")
    for j, name in enumerate(res.component_names):
        rows = res.labels == j
        print(f"  {name}: {rows.sum()} tracts, median medv {df.loc[rows, 'medv'].median():.1f}, median lstat "
              f"{df.loc[rows, 'lstat'].median():.1f}, mean rm slope {res.sample_params[name]['rm'][rows].mean():.3f}, "
              f"sigma {res.sigma[name]:.3f}; tracts at the medv cap of 50: {(df.loc[rows, 'medv'] >= 50).sum()}")
    ro.globalenv["d"] = to_r(df)
    ro.r(f"set.seed(1); fm <- stepFlexmix(logmedv ~ (rm + ptratio) * (lstat + nox), data = d, k = {res.k}, "
         "nrep = 10, verbose = FALSE, concomitant = FLXPmultinom(~ lstat + nox), "
         "control = list(iter.max = 5000, tolerance = 1e-10))")
    print(f"\nflexmix, k = {res.k} (best of 10 starts): logLik {float(ro.r('as.numeric(logLik(fm))')[0]):.4f} "
          f"(components kept: {int(ro.r('fm@k')[0])}); ctxstats: {res.llf:.4f}")


if __name__ == "__main__":
    main()
