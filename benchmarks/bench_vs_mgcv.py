"""ctxstats' ngam encoder against mgcv's varying-coefficient GAM, one context variable.

Both fit y = mu(c) + x1 b1(c) + x2 b2(c) + noise on the same simulated data; the script
prints each fit's wall and CPU time (R runs embedded in this process, so the CPU time of
both is this process's) and its error against the true functions (RMSE over samples,
per function and pooled), and the ratios. mgcv runs in R through rpy2 (needs R, mgcv and
rpy2: `make test` installs them).

    python benchmarks/bench_vs_mgcv.py [--n 10000] [--threads 2] [--seed 0]

The ngam settings "test" are those of tests/test_vs_r.py (width 16, at most 300 L-BFGS
iterations); "default" are the package defaults (width 16, at most 1000 iterations).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

import ctxstats as cs  # noqa: E402
from ctxstats.r import to_r  # noqa: E402
from test_vs_r import simulate_one_context  # noqa: E402

GAM = ("g <- mgcv::gam(y ~ s(c, by = x1) + s(c, by = x2) + s(c), data = d, method = '{method}'); "
       "tm <- predict(g, data.frame(c = d$c, x1 = 1, x2 = 1), type = 'terms'); "
       "cbind(coef(g)[[1]] + tm[, 's(c)'], tm[, 's(c):x1'], tm[, 's(c):x2'])")


def errors(theta: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, float]:
    per = np.sqrt(np.mean((theta - truth) ** 2, axis=0))
    return per, float(np.sqrt(np.mean((theta - truth) ** 2)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import rpy2.robjects as ro

    df, truth = simulate_one_context(n=args.n, seed=args.seed)
    ro.globalenv["d"] = to_r(df)
    ro.r("invisible(loadNamespace('mgcv'))")
    rows = []
    for label, model_opts, fit_opts in [("ctxstats ngam (test)", {"width": 16}, {"max_iter": 300}),
                                         ("ctxstats ngam (default)", {}, {})]:
        t0, c0 = time.perf_counter(), time.process_time()
        res = cs.ContextualizedGLM(df["y"], df[["x1", "x2"]], df[["c"]], encoder="ngam", **model_opts).fit(
            seed=0, threads=args.threads, **fit_opts)
        rows.append((label, time.perf_counter() - t0, time.process_time() - c0, *errors(res.sample_params.to_numpy(), truth),
                     f"{res.n_iter} it, converged={res.converged}"))
    for method in ("GCV.Cp", "REML"):
        t0, c0 = time.perf_counter(), time.process_time()
        theta = np.asarray(ro.r(GAM.format(method=method)), dtype=float)
        rows.append((f"mgcv gam ({method})", time.perf_counter() - t0, time.process_time() - c0, *errors(theta, truth), ""))

    print(f"n = {args.n}, one context variable, threads = {args.threads or 'all'} "
          f"({os.cpu_count()} cores); RMSE against the true functions")
    print(f"{'':26}{'wall (s)':>9}{'cpu (s)':>9}{'mu(c)':>9}{'b1(c)':>9}{'b2(c)':>9}{'pooled':>9}  notes")
    for label, secs, cpu, per, pooled, note in rows:
        print(f"{label:26}{secs:9.2f}{cpu:9.2f}{per[0]:9.4f}{per[1]:9.4f}{per[2]:9.4f}{pooled:9.4f}  {note}")
    ref = rows[2]
    for label, secs, cpu, _, pooled, _ in rows[:2]:
        print(f"{label} / mgcv (GCV.Cp): wall time x{secs / ref[1]:.2f}, CPU time x{cpu / ref[2]:.2f}, "
              f"pooled RMSE x{pooled / ref[4]:.2f}")


if __name__ == "__main__":
    main()
