"""Coverage of the spline encoder's pointwise 95% intervals (Bayesian, from Vp).

Draws --replicates data sets of the public benchmark (gaussian task, n rows, a new seed each),
fits ContextualizedRegression(encoder="spline"), forms the pointwise intervals of every sample's
intercept and coefficients (ctxstats.spline.sample_conf_int) and counts how often they contain
the true values. Such intervals are designed to have close to nominal coverage averaged over
the covariate values (Nychka 1988; Marra & Wood 2012), which is what is reported: the share of
(sample, coefficient) points covered, per replicate, then averaged.

    python benchmarks/coverage_spline.py                      # n = 2,000, 50 replicates
    python benchmarks/coverage_spline.py --n 1000 --replicates 200 --alpha 0.1
    python benchmarks/coverage_spline.py --method GCV
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def load_data_module():
    for path in (HERE / "vcm_data.py", HERE.parent.parent / "shared" / "bench" / "vcm_data.py"):
        if path.exists():
            spec = importlib.util.spec_from_file_location("vcm_data", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod
    raise SystemExit("vcm_data.py not found (benchmarks/ or ../shared/bench/)")


def coverage(data_mod, n, seed, alpha, n_knots, threads, method="REML"):
    import ctxstats as cs
    from ctxstats import spline

    d = data_mod.make_data(n, "reg", seed)
    opts = {"method": method} if n_knots is None else {"n_knots": n_knots, "method": method}
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", **opts).fit(threads=threads)
    lo, hi = spline.sample_conf_int(res, alpha=alpha)
    truth = np.column_stack([d["mu"], d["beta"]])
    return ((lo.to_numpy() <= truth) & (truth <= hi.to_numpy())).mean(axis=0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--replicates", type=int, default=50)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--n-knots", type=int, default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--first-seed", type=int, default=1000)
    p.add_argument("--method", choices=("REML", "GCV"), default="REML", help="smoothing-parameter selection")
    args = p.parse_args(argv)
    data_mod = load_data_module()
    t0 = time.perf_counter()
    cov = np.array([coverage(data_mod, args.n, args.first_seed + r, args.alpha, args.n_knots, args.threads, args.method)
                    for r in range(args.replicates)])
    per_rep = cov.mean(axis=1)
    names = ["Intercept"] + [f"x{j}" for j in range(1, cov.shape[1])]
    print(f"pointwise {100 * (1 - args.alpha):.0f}% intervals, {args.method}, n = {args.n}, {args.replicates} replicates "
          f"({time.perf_counter() - t0:.1f} s)")
    print("coverage by coefficient (mean over replicates): " +
          ", ".join(f"{nm} {c:.3f}" for nm, c in zip(names, cov.mean(axis=0))))
    print(f"coverage over all points: mean {per_rep.mean():.4f} (replicate sd {per_rep.std(ddof=1):.4f}, "
          f"min {per_rep.min():.3f}, max {per_rep.max():.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
