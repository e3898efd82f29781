"""What a bootstrap costs against one fit, and how many of its replicates converge (issue 12,
item 5: B = 100 ngam replicates at n = 10,000 should cost at most ~10x one fit, with >= 95%
of the replicates converged).

    python -I benchmarks/bench_bootstrap.py [--n 10000] [--B 100] [--encoder ngam] [--task reg]

Fits the public benchmark data (benchmarks/vcm_data.py, training rows) once, then with
n_bootstraps=B, and prints seconds (wall and CPU), the ratio, and the share of converged
replicates. No assertion: a measurement.
"""
import argparse
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import ctxstats as cs  # noqa: E402
from vcm_data import make_data  # noqa: E402


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--B", type=int, default=100)
    ap.add_argument("--encoder", default="ngam")
    ap.add_argument("--task", default="reg", choices=["reg", "clf"])
    args = ap.parse_args()
    d = make_data(args.n, args.task)
    tr = d["train"]
    family = "gaussian" if args.task == "reg" else "binomial"
    model = cs.ContextualizedGLM(d["y"][tr], d["X"][tr], d["C"][tr], family=family, encoder=args.encoder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one, w1, c1 = timed(lambda: model.fit(seed=0))
        boot, wb, cb = timed(lambda: model.fit(seed=0, n_bootstraps=args.B))
    share = float(np.mean(boot.bootstrap_converged))
    iters = boot.bootstrap_n_iter
    print(f"n={args.n} task={args.task} encoder={args.encoder} load={os.getloadavg()[0]:.1f}")
    print(f"one fit:   {w1:7.2f} s wall, {c1:7.2f} s CPU, {one.n_iter} iterations, converged={one.converged}")
    print(f"B={args.B}:    {wb:7.2f} s wall, {cb:7.2f} s CPU (fit + replicates)")
    print(f"ratio:     {wb / w1:7.1f}x wall, {cb / c1:7.1f}x CPU")
    print(f"replicates converged: {share:.0%}; iterations median {np.median(iters):.0f}, max {np.max(iters)}; "
          f"rule {getattr(boot, 'bootstrap_rule', '?')}")
    # Where the time goes: the fit's L-BFGS iterations (the held-out split's run on 80% of the
    # rows counted as 0.8 of an all-rows iteration) against the replicates' (all rows each: a
    # resample's zero-count rows are still visited).
    es = one.early_stopping or {}
    fit_iters = 0.8 * es.get("split_iter", 0) + one.n_iter
    rep_iters = float(np.sum(iters))
    print(f"profile: the fit {fit_iters:.0f} all-rows iterations ({c1 / max(fit_iters, 1) * 1e3:.2f} ms CPU each); "
          f"the replicates {rep_iters:.0f} ({(cb - c1) / max(rep_iters, 1) * 1e3:.2f} ms CPU each, "
          f"{rep_iters / max(fit_iters, 1):.1f} fits' worth of iterations)")


if __name__ == "__main__":
    main()
