"""Size of the spline encoder's heterogeneity tests under the null (ctxstats.spline).

Simulates y = 0.5 x1 + x2 sin(2 c1) + e with two standard-normal contexts, so the coefficient
of x1 does not vary with context and x2's does not vary with c2, fits
ContextualizedRegression(encoder="spline") --replicates times and reports how often the joint
test "x1 does not vary with context" (heterogeneity_tests) and the term test "x2's smooth in c2
is zero" (smooth_terms) reject at the 1%, 5% and 10% levels.

With --context binary|factor3|lognormal the data are y = 0.5 + x (1 + d(c)) + e on one context
of that kind, d = 0 (size; the rejection rates of "the intercept / x varies with context") or,
with --power, d = 1 at one binary value, one of three levels or the upper half of the
lognormal context (the smallest p-value over the replicates is reported too).

    python benchmarks/size_spline.py                     # n = 400, 300 replicates
    python benchmarks/size_spline.py --context lognormal --replicates 1000
    python benchmarks/size_spline.py --context factor3 --power --n 3000 --replicates 20
"""
from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=400)
    p.add_argument("--replicates", type=int, default=300)
    p.add_argument("--n-knots", type=int, default=10)
    p.add_argument("--context", choices=["normal", "binary", "factor3", "lognormal"], default="normal")
    p.add_argument("--power", action="store_true", help="with --context: x's slope changes with the context")
    args = p.parse_args(argv)
    if args.context != "normal":
        return discrete(args)

    import ctxstats as cs
    from ctxstats import spline

    warnings.simplefilter("ignore")  # identifiability notes on small samples are not the point
    p_joint, p_term = [], []
    for rep in range(args.replicates):
        rng = np.random.default_rng(100 + rep)
        C = rng.normal(size=(args.n, 2))
        X = rng.normal(size=(args.n, 2))
        y = 0.5 * X[:, 0] + X[:, 1] * np.sin(2 * C[:, 0]) + rng.normal(size=args.n)
        res = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=args.n_knots).fit()
        p_joint.append(spline.heterogeneity_tests(res).loc["x1", "p_value"])
        terms = spline.smooth_terms(res).set_index(["coefficient", "context"])
        p_term.append(terms.loc[("x2", "c2"), "p_value"])
    print(f"n = {args.n}, {args.replicates} replicates, n_knots = {args.n_knots}")
    for name, pv in (("x1 varies with context (joint test)", p_joint), ("x2's smooth in c2 is zero", p_term)):
        pv = np.asarray(pv)
        print(f"{name}: rejection rate at 1% {np.mean(pv < 0.01):.3f}, 5% {np.mean(pv < 0.05):.3f}, "
              f"10% {np.mean(pv < 0.10):.3f}")
    return 0


def discrete(args) -> int:
    import ctxstats as cs
    from ctxstats import spline

    warnings.simplefilter("ignore")  # rank-deficient bases of discrete contexts are reported, not the point
    pv = []
    for rep in range(args.replicates):
        rng = np.random.default_rng(1000 + rep)
        n = args.n
        c = {"binary": lambda: rng.integers(0, 2, n).astype(float),
             "factor3": lambda: rng.integers(0, 3, n).astype(float),
             "lognormal": lambda: rng.lognormal(0.0, 1.0, n)}[args.context]()
        x = rng.normal(size=n)
        change = {"binary": c, "factor3": (c == 2).astype(float), "lognormal": (c > np.median(c)).astype(float)}
        y = 0.5 + x * (1.0 + (change[args.context] if args.power else 0.0)) + rng.normal(size=n)
        res = cs.ContextualizedRegression(y, x[:, None], c[:, None], encoder="spline", n_knots=args.n_knots).fit()
        pv.append(spline.heterogeneity_tests(res)["p_value"].to_numpy())
    pv = np.asarray(pv)
    print(f"{args.context} context, n = {args.n}, {args.replicates} replicates, n_knots = {args.n_knots}, "
          f"{'slope of x changes with the context' if args.power else 'no coefficient varies'}")
    for k, name in enumerate(("Intercept", "x")):
        print(f"{name} varies with context: rejection rate at 1% {np.mean(pv[:, k] < 0.01):.3f}, "
              f"5% {np.mean(pv[:, k] < 0.05):.3f}, 10% {np.mean(pv[:, k] < 0.10):.3f}; "
              f"largest p-value {pv[:, k].max():.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
