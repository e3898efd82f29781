#!/usr/bin/env python3
"""ctxstats on Dask distributed (issue 17): wall time for 1 and 2 workers next to the
single-process fit, and the client's memory during an out-of-core fit.

Part 1 -- a B-replicate bootstrap (default B = 200) of a linear exact fit of n rows held in
memory: ``fit(n_bootstraps=B, threads=...)`` in this process, then
``fit(n_bootstraps=B, client=client)`` on LocalClusters of 1 and 2 worker processes (one thread
each). The replicates are checked to be bitwise those of the local fit.

Part 2 -- an exact linear (or, with --encoder spline, spline) fit of N rows (default 4,000,000;
5 predictors, 3 context features)
written to 16 Parquet files and read with ``dask.dataframe.read_parquet``: the fit streams the
partitions through the workers (two passes for the scaling, two for the normal equations). The
client process's peak resident memory during the fit (VmHWM, benchmarks/_measure.py; the
LocalCluster's scheduler runs in it too) is reported as its growth over its resident set on
entry (target: < 200 MB). The single-process fit of the same rows held as numpy arrays is timed
for comparison (its data must fit in one process), and its weights are compared with the
cluster fits'.

Part 3 (--part neural) -- a default ``ngam`` fit (L-BFGS, early stopping) of n rows (default
--neural-rows 100,000) held as a dask array in 8 partitions, persisted on the workers, on
LocalClusters of 1, 2 and 4 worker processes: each objective evaluation is one task per
partition. Wall time next to the in-memory fit, the largest difference of the sample
parameters from it, and whether the 1-, 2- and 4-worker fits are bitwise equal.

Part 4 (--part poisson) -- the Poisson bootstrap of dask-held data (B = --bootstraps) against
the analytic HC0 sandwich and the in-memory multinomial bootstrap, on 4,000 rows with
heteroskedastic noise held in 8 partitions on 2 workers: the ratios of the standard errors.

    python benchmarks/bench_dask.py                       # parts 1 and 2, the defaults above
    python benchmarks/bench_dask.py --rows 1000000 --bootstraps 50
    python benchmarks/bench_dask.py --part exact --encoder spline
    python benchmarks/bench_dask.py --part neural
    python benchmarks/bench_dask.py --part poisson
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import PeakMemory  # noqa: E402  (the client's high-water mark: VmHWM on Linux)


def peak_rss_mb() -> float:
    """This process's peak resident memory (run on each worker by Client.run)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate(n: int, p: int, m: int, seed: int):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, m))
    X = rng.normal(size=(n, p))
    A = rng.normal(size=(m, p)) * 0.5
    beta = 0.5 + C @ A
    y = 0.3 * C[:, 0] - 0.2 + (X * beta).sum(axis=1) + 0.5 * rng.normal(size=n)
    return y, X, C


def write_parquet(folder: Path, rows: int, files: int, p: int, m: int) -> None:
    """`files` Parquet files of rows / files rows each, written one at a time (bounded memory)."""
    import pandas as pd

    per = rows // files
    for k in range(files):
        y, X, C = simulate(per, p, m, seed=100 + k)
        df = pd.DataFrame({"y": y, **{f"x{j}": X[:, j] for j in range(p)}, **{f"c{j}": C[:, j] for j in range(m)}})
        df.to_parquet(folder / f"part-{k:02d}.parquet", index=False)


def cluster(workers: int):
    from distributed import Client, LocalCluster

    lc = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=40)
    client = Client(lc)
    client.wait_for_workers(workers)
    client.run(lambda: __import__("ctxstats.dask"))  # warm: the timings exclude the workers' imports
    return lc, client


def part_bootstrap(args) -> list[tuple]:
    import ctxstats as cs

    y, X, C = simulate(args.n, 5, 3, seed=1)
    model = cs.ContextualizedRegression(y, X, C, encoder="linear")
    rows = []
    for threads in sorted({1, args.threads}):
        t = time.perf_counter()
        local = model.fit(n_bootstraps=args.bootstraps, seed=3, threads=threads)
        rows.append(("single process", f"{threads} thread(s)", time.perf_counter() - t, ""))
    for workers in (1, 2):
        lc, client = cluster(workers)
        try:
            t = time.perf_counter()
            res = model.fit(n_bootstraps=args.bootstraps, seed=3, client=client)
            elapsed = time.perf_counter() - t
        finally:
            client.close()
            lc.close()
        same = np.array_equal(res.bootstrap_weights, local.bootstrap_weights)
        rows.append(("dask", f"{workers} worker(s) x 1 thread", elapsed, "bitwise equal" if same else "DIFFERENT"))
    return rows


def part_exact(args) -> list[tuple]:
    import dask.dataframe as dd
    import pandas as pd

    import ctxstats as cs

    p, m = 5, 3
    xs, cs_ = [f"x{j}" for j in range(p)], [f"c{j}" for j in range(m)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_parquet(folder, args.rows, 16, p, m)
        weights = {}
        for workers in (1, 2):
            lc, client = cluster(workers)
            try:
                ddf = dd.read_parquet(str(folder / "*.parquet"))
                with PeakMemory() as mem:
                    t = time.perf_counter()
                    model = cs.ContextualizedGLM(ddf["y"], ddf[xs], ddf[cs_], encoder=args.encoder)
                    res = model.fit(client=client)
                    elapsed = time.perf_counter() - t
                weights[workers] = res.weights
                worker_peaks = sorted(client.run(peak_rss_mb).values())
                rows.append(("dask, Parquet", f"{workers} worker(s) x 1 thread", elapsed,
                             f"client memory +{mem.peak / 2**20:.0f} MB ({mem.method}); worker peak "
                             + "/".join(f"{v:.0f}" for v in worker_peaks) + " MB"))
            finally:
                client.close()
                lc.close()
        df = pd.concat([pd.read_parquet(f) for f in sorted(folder.glob("*.parquet"))], ignore_index=True)
        y, X, C = df["y"].to_numpy(), df[xs].to_numpy(), df[cs_].to_numpy()
        del df
        t = time.perf_counter()
        local = cs.ContextualizedGLM(y, X, C, encoder=args.encoder).fit(threads=args.threads)
        rows.insert(0, ("single process, numpy", f"{args.threads} thread(s)", time.perf_counter() - t,
                        "data in memory (not read from Parquet)"))
        for workers, w in weights.items():
            diff = float(np.max(np.abs(w - local.weights)))
            rows[workers] = rows[workers][:3] + (rows[workers][3] + f"; max |w - local| {diff:.1e}",)
    return rows


def part_neural(args) -> list[tuple]:
    import dask.array as da

    import ctxstats as cs

    y, X, C = simulate(args.neural_rows, 5, 3, seed=2)
    t = time.perf_counter()
    local = cs.ContextualizedGLM(y, X, C, encoder="ngam").fit(seed=1, threads=args.threads)
    rows = [("single process, numpy", f"{args.threads} thread(s)", time.perf_counter() - t,
             f"{local.n_iter} iterations, converged {local.converged}")]
    chunk = -(-args.neural_rows // 8)
    fits = {}
    for workers in (1, 2, 4):
        lc, client = cluster(workers)
        try:
            yd, Xd, Cd = client.persist([da.from_array(y, chunks=chunk), da.from_array(X, chunks=(chunk, -1)),
                                         da.from_array(C, chunks=(chunk, -1))])
            t = time.perf_counter()
            res = cs.ContextualizedGLM(yd, Xd, Cd, encoder="ngam").fit(client=client, seed=1)
            elapsed = time.perf_counter() - t
            fits[workers] = res.weights
            diff = float(np.max(np.abs(res.sample_params.compute() - local.sample_params.to_numpy())))
            same = "" if workers == 1 else (", bitwise the 1-worker fit" if np.array_equal(res.weights, fits[1])
                                             else ", DIFFERS from the 1-worker fit")
            rows.append(("dask, 8 partitions", f"{workers} worker(s) x 1 thread", elapsed,
                         f"{res.n_iter} iterations; max |sample params - local| {diff:.1e}{same}"))
        finally:
            client.close()
            lc.close()
    return rows


def part_poisson(args) -> None:
    import dask.array as da

    import ctxstats as cs

    rng = np.random.default_rng(5)
    n = 4000
    C, X = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
    y = 1 + X[:, 0] * (0.5 + C[:, 0]) + 0.3 * X[:, 1] + (0.5 + np.abs(C[:, 1])) * rng.normal(size=n)
    hc0 = cs.ContextualizedGLM(y, X, C, encoder="linear").fit(cov_type="HC0").bse.to_numpy()
    multinomial = cs.ContextualizedGLM(y, X, C, encoder="linear").fit(
        n_bootstraps=args.bootstraps, cov_type="bootstrap", seed=1).bse.to_numpy()
    lc, client = cluster(2)
    try:
        t = time.perf_counter()
        res = cs.ContextualizedGLM(da.from_array(y, chunks=500), da.from_array(X, chunks=(500, -1)),
                                   da.from_array(C, chunks=(500, -1)), encoder="linear").fit(
            client=client, n_bootstraps=args.bootstraps, seed=1)
        elapsed = time.perf_counter() - t
    finally:
        client.close()
        lc.close()
    print(f"\nPart 4: B = {args.bootstraps}, n = {n}, 8 partitions on 2 workers ({elapsed:.1f} s)")
    print(f"{'':28s} " + " ".join(f"{name:>10s}" for name in res.param_names))
    print(f"{'HC0 SE':28s} " + " ".join(f"{v:10.5f}" for v in hc0))
    print(f"{'Poisson bootstrap (dask) / HC0':28s} " + " ".join(f"{v:10.3f}" for v in res.bse.to_numpy() / hc0))
    print(f"{'multinomial (in memory) / HC0':28s} " + " ".join(f"{v:10.3f}" for v in multinomial / hc0))


def table(title: str, rows: list[tuple]) -> None:
    base = rows[0][2]
    print(f"\n{title}")
    print(f"{'run':24s} {'resources':28s} {'seconds':>9s} {'speed-up':>9s}  notes")
    for name, res, sec, note in rows:
        print(f"{name:24s} {res:28s} {sec:9.2f} {base / sec:8.2f}x  {note}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="rows of the bootstrap part")
    ap.add_argument("--bootstraps", type=int, default=200)
    ap.add_argument("--rows", type=int, default=4_000_000, help="rows of the out-of-core part")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads of the single-process fits")
    ap.add_argument("--part", choices=("all", "bootstrap", "exact", "neural", "poisson"), default="all")
    ap.add_argument("--neural-rows", type=int, default=100_000, help="rows of the neural part")
    ap.add_argument("--encoder", choices=("linear", "spline"), default="linear",
                    help="the encoder of the out-of-core part (spline: REML over the partitions' passes)")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before")
    if args.part in ("all", "bootstrap"):
        table(f"Part 1: B = {args.bootstraps} bootstrap, linear exact gaussian, n = {args.n:,}, p = 5, m = 3",
              part_bootstrap(args))
    if args.part in ("all", "exact"):
        table(f"Part 2: exact {args.encoder} fit of {args.rows:,} rows in 16 Parquet files, p = 5, m = 3",
              part_exact(args))
    if args.part == "neural":
        table(f"Part 3: default ngam fit of {args.neural_rows:,} rows held as a dask array in 8 partitions, p = 5, m = 3",
              part_neural(args))
    if args.part == "poisson":
        part_poisson(args)
    print(f"\nload average {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
