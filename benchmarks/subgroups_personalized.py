"""Personalized regression on latent subgroups and on RAND HIE (issue 14): recovery and held-out deviance.

Subgroup design (``subgroups``): five continuous context columns c1..c5 ~ N(0, 1); four
groups fixed by the thresholds c1 > 0 and c2 > 0 (c3..c5 are irrelevant); two predictors;
gaussian outcome with noise SD 0.3:

    theta = T0 + 1{c1 > 0} D1 + 1{c2 > 0} D2,    y = mu + x . beta + N(0, 0.3^2).

Rows are split 75/25 (seeded): fits use the 75%, the coefficient RMSE is over the fitted
rows (all parameters), the held-out mean deviance over the 25% (models for new contexts).

RAND HIE (statsmodels' bundled data): ``mdvis ~ lncoins + idp + lpi + fmde | physlm + disea +
hlthg + hlthf + hlthp``, Poisson; the same 75/25 split; mean Poisson deviance of the held-out
rows.

    python benchmarks/subgroups_personalized.py                  # both (a few minutes on 2 cores)
    python benchmarks/subgroups_personalized.py --only subgroups
    python benchmarks/subgroups_personalized.py --only randhie
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import ctxstats as cs  # noqa: E402

T0 = np.array([1.0, 2.0, -1.0])
D1 = np.array([-0.5, -1.0, 3.0])
D2 = np.array([-2.0, -3.0, 2.0])


def subgroups(n=2000, seed=0, noise=0.3):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 5))
    theta = T0 + np.outer(C[:, 0] > 0, D1) + np.outer(C[:, 1] > 0, D2)
    X = rng.normal(size=(n, 2))
    y = theta[:, 0] + (X * theta[:, 1:]).sum(axis=1) + noise * rng.normal(size=n)
    return (pd.Series(y, name="y"), pd.DataFrame(X, columns=["x1", "x2"]),
            pd.DataFrame(C, columns=[f"c{k + 1}" for k in range(5)]), theta)


def split(n, seed=1, share=0.25):
    test = np.zeros(n, dtype=bool)
    test[np.random.default_rng(seed).permutation(n)[: int(round(share * n))]] = True
    return ~test, test


def deviance(family, y, mu):
    y, mu = np.asarray(y, float), np.asarray(mu, float)
    if family == "gaussian":
        return float(np.mean((y - mu) ** 2))
    if family == "poisson":
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(y > 0, y * np.log(y / mu), 0.0)
        return float(np.mean(2 * (t - (y - mu))))
    raise ValueError(family)


def rmse(a, b):
    return float(np.sqrt(((np.asarray(a) - np.asarray(b)) ** 2).mean()))


def population(family, y, X):
    import statsmodels.api as sm

    fam = sm.families.Gaussian() if family == "gaussian" else sm.families.Poisson()
    return sm.GLM(np.asarray(y), sm.add_constant(np.asarray(X), has_constant="add"), family=fam).fit().params


def compare(family, y, X, C, theta=None, threads=2, encoders=("linear", "mlp"), pers_kwargs=None):
    tr, te = split(len(y))
    rows = []
    Xte = np.asarray(X)[te]
    pop = population(family, y[tr], X[tr])
    mu_pop = np.exp(pop[0] + Xte @ pop[1:]) if family == "poisson" else pop[0] + Xte @ pop[1:]
    rows.append({"method": "population GLM", "coef RMSE": rmse(pop, theta[tr]) if theta is not None else np.nan,
                 "held-out deviance": deviance(family, y[te], mu_pop), "seconds": np.nan, "metric": ""})
    for enc in encoders:
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = cs.ContextualizedGLM(y[tr], X[tr], C[tr], family=family, encoder=enc).fit(seed=0, threads=threads)
        rows.append({"method": f"{enc} encoder",
                     "coef RMSE": rmse(r.sample_params.to_numpy(), theta[tr]) if theta is not None else np.nan,
                     "held-out deviance": deviance(family, y[te], r.predict(exog=X[te], context=C[te])),
                     "seconds": time.perf_counter() - t, "metric": ""})
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cs.PersonalizedRegression(y[tr], X[tr], C[tr], family=family).fit(seed=0, threads=threads,
                                                                                **(pers_kwargs or {}))
    mw = res.metric_weights
    rows.append({"method": "personalized",
                 "coef RMSE": rmse(res.sample_params.to_numpy(), theta[tr]) if theta is not None else np.nan,
                 "held-out deviance": deviance(family, y[te], res.predict(exog=X[te], context=C[te])),
                 "seconds": time.perf_counter() - t,
                 "metric": " ".join(f"{k}={v:.2f}" for k, v in mw.items())})
    return pd.DataFrame(rows), res


def randhie():
    import statsmodels.api as sm

    d = sm.datasets.randhie.load_pandas().data
    y = d["mdvis"].astype(float)
    X = d[["lncoins", "idp", "lpi", "fmde"]].astype(float)
    C = d[["physlm", "disea", "hlthg", "hlthf", "hlthp"]].astype(float)
    return y, X, C


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["subgroups", "randhie"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 80)
    if args.only in (None, "subgroups"):
        y, X, C, theta = subgroups(args.n)
        frame, res = compare("gaussian", y, X, C, theta, args.threads)
        print(f"## subgroups (n = {args.n}, 75% fitted)\n{frame.to_string(index=False)}")
        print(f"personalized: epochs {res.n_iter}, {res.message}\n", flush=True)
    if args.only in (None, "randhie"):
        y, X, C = randhie()
        frame, res = compare("poisson", y, X, C, None, args.threads, encoders=("linear",))
        print(f"## RAND HIE (n = {len(y)}, 75% fitted)\n{frame.to_string(index=False)}")
        print(f"personalized: epochs {res.n_iter}, {res.message}\n", flush=True)


if __name__ == "__main__":
    main()
