"""Personalized regression on real data (issue 14, item 4): is the fit stable across ranks once
the rank is chosen from the data, and how does it predict held-out rows?

Data: AER's CPS1988 (R package AER, Debian r-cran-aer; read through Rscript), n = 28,155 men's
weekly wages, 1988. Model: ``log(wage) ~ education | experience + ethnicity + smsa + region +
parttime`` (gaussian; the four last context columns categorical), rows split 75/25 (seed 1).
Optionally AER's NMES1988 (``visits ~ chronic + school | age + income + health + gender +
insurance``, Poisson).

1. The default fit (rank chosen from the data) on the 75%: chosen rank and the held-out loss
   of each rank tried.
2. Fits at the chosen rank and its neighbours (K - 1, K + 1), each with B bootstrap
   replicates: metric weights and the average effects with their bootstrap SEs, and for each
   pair of neighbouring ranks the largest |difference| / SE.
3. Held-out log-likelihood (25%) of personalized regression (chosen rank), the linear and
   spline encoders and the population GLM.

    python -I benchmarks/stability_personalized.py                 # CPS1988, B = 20 (~20 min on 2 loaded cores)
    python -I benchmarks/stability_personalized.py --B 10 --data nmes1988
    python -I benchmarks/stability_personalized.py --data nmes1988 --held-out-only   # parts 1 and 3
"""
from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import ctxstats as cs  # noqa: E402
from ctxstats._families import loglike  # noqa: E402

SPECS = {
    "cps1988": dict(family="gaussian", y=lambda d: np.log(d["wage"]), exog=["education"],
                    context=["experience", "ethnicity", "smsa", "region", "parttime"]),
    "nmes1988": dict(family="poisson", y=lambda d: d["visits"].astype(float), exog=["chronic", "school"],
                     context=["age", "income", "health", "gender", "insurance"]),
}


def markdown(df: pd.DataFrame, index: bool = True) -> str:
    """A Markdown table (no tabulate dependency)."""
    if index:
        df = df.reset_index()
    fmt = lambda v: f"{v:.6g}" if isinstance(v, (float, np.floating)) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * df.shape[1]]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def load(name: str) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "d.csv")
        subprocess.run(["Rscript", "-e", f'suppressMessages(library(AER)); data({name.upper()}); '
                        f'write.csv({name.upper()}, "{path}", row.names = FALSE)'], check=True)
        return pd.read_csv(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="cps1988", choices=sorted(SPECS))
    ap.add_argument("--B", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--held-out-only", action="store_true", help="skip the fits at neighbouring ranks (part 2)")
    args = ap.parse_args()
    spec = SPECS[args.data]
    d = load(args.data)
    y = pd.Series(np.asarray(spec["y"](d), dtype=float), name="y")
    X = d[spec["exog"]].astype(float)
    C = d[spec["context"]].copy()
    for c in C.columns:
        if C[c].dtype == object:
            C[c] = C[c].astype("category")
    test = np.zeros(len(y), dtype=bool)
    test[np.random.default_rng(1).permutation(len(y))[: int(round(0.25 * len(y)))]] = True
    tr = ~test
    fam = spec["family"]
    print(f"## {args.data}: n = {len(y):,} ({tr.sum():,} fitted, {test.sum():,} held out), family {fam}\n")
    warnings.simplefilter("ignore", cs.ConvergenceWarning)

    t0 = time.perf_counter()
    model = cs.PersonalizedRegression(y[tr], X[tr], C[tr], family=fam)
    res = model.fit(seed=args.seed, threads=args.threads)
    t_fit = time.perf_counter() - t0
    print(f"Default fit: {t_fit:.1f} s, rank chosen {res.rank}, k = {res.local_neighbors}")
    print(markdown(res.rank_grid), "\n")
    if hasattr(res, "shrink_grid"):
        print(f"Shrinkage chosen: target {res.shrink_target}, strength {res.shrinkage:g}")
        print(markdown(res.shrink_grid, index=False), "\n")

    ranks = [k for k in (res.rank - 1, res.rank, res.rank + 1) if k in set(res.rank_grid.index)]
    if args.held_out_only:
        ranks = []
    rows, fits = [], {}
    for K in ranks:
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = cs.PersonalizedRegression(y[tr], X[tr], C[tr], family=fam, rank=K).fit(
                seed=args.seed, threads=args.threads, n_bootstraps=args.B)
        modes = [str(w.message) for w in caught if issubclass(w.category, cs.BootstrapModesWarning)]
        fits[K] = r
        row = {"rank": K, "seconds": round(time.perf_counter() - t0, 1), "k": r.local_neighbors,
               "modes warning": "yes" if modes else "no"}
        for c in r.metric_weights.index:
            row[f"phi {c}"] = f"{r.metric_weights[c]:.3f} ({r.metric_weights_bse[c]:.3f})"
        for p in r.params.index:
            row[f"avg {p}"] = f"{r.params[p]:.4f} ({r.bse[p]:.4f})"
        rows.append(row)
        print(f"rank {K} done ({row['seconds']} s)", flush=True)
    if rows:
        print("\nEstimates (bootstrap SE), B =", args.B)
        print(markdown(pd.DataFrame(rows), index=False), "\n")
        print("Neighbouring ranks: largest |difference| / SE (SE: the smaller of the two fits' bootstrap SEs)")
    for a, b in zip(ranks, ranks[1:]):
        ra, rb = fits[a], fits[b]
        dphi = np.abs(ra.metric_weights - rb.metric_weights) / np.minimum(ra.metric_weights_bse, rb.metric_weights_bse)
        deff = np.abs(ra.params - rb.params) / np.minimum(ra.bse, rb.bse)
        print(f"- ranks {a} vs {b}: metric weights {dphi.max():.2f} ({dphi.idxmax()}), "
              f"average effects {deff.max():.2f} ({deff.idxmax()})")

    print("\nHeld-out log-likelihood (25% of rows)")
    ll = {}
    ll["personalized (rank chosen)"] = loglike(fam, y[test].to_numpy(), res.predict(X[test], C[test]))
    Cd = pd.get_dummies(C, drop_first=True, dtype=float)
    for enc in ("linear", "spline"):
        try:
            m = cs.ContextualizedGLM(y[tr], X[tr], Cd[tr], family=fam, encoder=enc) if hasattr(cs, "ContextualizedGLM") \
                else None
            if m is None:
                raise RuntimeError("no ContextualizedGLM")
            f = m.fit(seed=0)
            ll[f"{enc} encoder"] = loglike(fam, y[test].to_numpy(), f.predict(exog=X[test], context=Cd[test]))
        except Exception as e:  # reported, not hidden
            ll[f"{enc} encoder"] = f"failed: {type(e).__name__}: {e}"[:120]
    import statsmodels.api as sm

    smfam = sm.families.Gaussian() if fam == "gaussian" else sm.families.Poisson()
    pop = sm.GLM(y[tr].to_numpy(), sm.add_constant(X[tr].to_numpy()), family=smfam).fit()
    ll["population GLM"] = loglike(fam, y[test].to_numpy(), pop.predict(sm.add_constant(X[test].to_numpy())))
    for k, v in ll.items():
        print(f"- {k}: {v if isinstance(v, str) else f'{v:,.1f}'}")


if __name__ == "__main__":
    main()
