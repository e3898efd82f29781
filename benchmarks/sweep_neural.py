#!/usr/bin/env python3
"""Many small neural fits in one process: coefficient RMSE, CPU seconds, iterations and
convergence per (design, task, n, data seed, configuration) -- the table behind the defaults of
the neural encoders (benchmarks/results_neural.md). Configurations are benchmarks/run.py's
CTX_CONFIGS. CPU seconds are the process's CPU time of the fit (all threads), which a shared,
loaded machine inflates far less than wall time; each fit is timed once, after a warm-up fit.

    python benchmarks/sweep_neural.py --configs mlp mlp-skip --data vcm --tasks reg clf \
        --n 2000 10000 --seeds 0 1 2
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _measure as M  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", required=True)
    ap.add_argument("--data", default="vcm", choices=["vcm", "wide", "interaction"])
    ap.add_argument("--m", type=int, default=30, help="context columns of --data wide")
    ap.add_argument("--tasks", nargs="+", default=["reg"], choices=["reg", "clf"])
    ap.add_argument("--n", nargs="+", type=int, default=[10000])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    import warnings

    import numpy as np

    import ctxstats
    run = M.load_module(M.HERE / "run.py", "bench_run")
    if a.data == "vcm":
        make = M.load_module(M.HERE / "vcm_data.py", "vcm_data").make_data
    else:
        designs = M.load_module(M.HERE / "context_data.py", "context_data")
        make = getattr(designs, a.data)
        if a.data == "wide":
            def make(n, task, seed, _f=make):  # noqa: E306
                return _f(n, task=task, seed=seed, m=a.m)

    print("| design | task | n | seed | config | CPU s | it (split) | converged | coef RMSE | MSE / AUC |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    warmed = False
    for task in a.tasks:
        family = "binomial" if task == "clf" else "gaussian"
        for n in a.n:
            for seed in a.seeds:
                d = make(n, task=task, seed=seed)
                tr, te = d["train"], d["test"]
                C, X, y = (np.ascontiguousarray(d[k][tr]) for k in ("C", "X", "y"))
                Ct, Xt, yt = (np.ascontiguousarray(d[k][te]) for k in ("C", "X", "y"))
                for name in a.configs:
                    model_opts, fit_opts = run.CTX_CONFIGS[name]

                    def fit():
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            model = ctxstats.ContextualizedGLM(y, X, C, family=family, **model_opts)
                            return model.fit(threads=a.threads, seed=seed, **fit_opts)
                    if not warmed:
                        fit()
                        warmed = True
                    t0 = time.process_time()
                    res = fit()
                    cpu = time.process_time() - t0
                    beta = res.predict_params(Ct).to_numpy()[:, 1:]
                    rmse = float(np.sqrt(np.mean((beta - d["beta"][te]) ** 2)))
                    pred = np.asarray(res.predict(exog=Xt, context=Ct))
                    if task == "reg":
                        score = f"{float(np.mean((pred - yt) ** 2)):.3f}"
                    else:
                        score = f"AUC {M.auc(yt, pred):.3f}"
                    split = getattr(res, "early_stopping", None)
                    split_it = ""
                    if isinstance(split, dict) and "split_iter" in split:
                        split_it = f" ({split['split_iter']})"
                    print(f"| {a.data} | {task} | {n} | {seed} | {name} | {cpu:.3f} | {res.n_iter}{split_it} | "
                          f"{'yes' if res.converged else 'no'} | {rmse:.4f} | {score} |", flush=True)


if __name__ == "__main__":
    main()
