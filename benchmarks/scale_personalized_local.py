"""Personalized regression's default fit (local GLMs in the learned metric) against n (issue 14).

The subgroup design of subgroups_personalized.py (five N(0, 1) context columns, four groups
fixed by c1 > 0 and c2 > 0, two predictors, gaussian noise SD 0.3), n = 2,000 ... 100,000,
default options (rank chosen from the data when the option table's default asks for it),
seed 0, threads 2. For each n: wall time of the default fit (``sample_models="local"``),
of ``sample_models="latent"`` (the epochs alone), the local part's share, the chosen k and
the time divided by n log2 n (roughly constant when the fit is n log n).

    python -I benchmarks/scale_personalized_local.py                    # n = 2k, 10k, 50k, 100k
    python -I benchmarks/scale_personalized_local.py --sizes 2000 10000
    python -I benchmarks/scale_personalized_local.py --rank 2           # fixed rank (as before item 2)
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

import ctxstats as cs  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from subgroups_personalized import subgroups  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000, 50000, 100000])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rank", type=int, default=None)
    ap.add_argument("--skip-latent", action="store_true")
    args = ap.parse_args()
    print("| n | local (default) s | latent s | local part s | k | rank | s / (n log2 n) x 1e6 | coef RMSE |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        y, X, C, theta = subgroups(n=n, seed=0)
        kw = {} if args.rank is None else {"rank": args.rank}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cs.ConvergenceWarning)
            t0 = time.perf_counter()
            res = cs.PersonalizedRegression(y, X, C, **kw).fit(seed=0, threads=args.threads)
            t_local = time.perf_counter() - t0
            t_latent = float("nan")
            if not args.skip_latent:
                t0 = time.perf_counter()
                cs.PersonalizedRegression(y, X, C, **kw).fit(seed=0, threads=args.threads, sample_models="latent")
                t_latent = time.perf_counter() - t0
        rank = getattr(res, "rank", None)
        rmse = float(np.sqrt(((res.sample_params.to_numpy() - theta) ** 2).mean()))
        print(f"| {n:,} | {t_local:.2f} | {t_latent:.2f} | {t_local - t_latent:.2f} | {res.local_neighbors} | "
              f"{rank if rank is not None else res.model.rank} | {1e6 * t_local / (n * np.log2(n)):.2f} | {rmse:.3f} |",
              flush=True)


if __name__ == "__main__":
    main()
