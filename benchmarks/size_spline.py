"""Size of the spline encoder's heterogeneity tests under the null (ctxstats.spline).

Simulates y = 0.5 x1 + x2 sin(2 c1) + e with two standard-normal contexts, so the coefficient
of x1 does not vary with context and x2's does not vary with c2, fits
ContextualizedRegression(encoder="spline") --replicates times and reports how often the joint
test "x1 does not vary with context" (heterogeneity_tests) and the term test "x2's smooth in c2
is zero" (smooth_terms) reject at the 1%, 5% and 10% levels.

    python benchmarks/size_spline.py                     # n = 400, 300 replicates
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
    args = p.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
