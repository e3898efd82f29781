"""Contextualized Bayesian networks (NOTMAD, issue 15) side by side with ContextualizedML.

    python -I benchmarks/bench_bayesian_networks.py [--peer .venv-bench/bin/python] [--n 2000]
        [--ps 6 10] [--threads 2] [--configs linear mlp-arch] [--factors K]
        [--peer-config defaults|fast] [--peer-cache DIR] [--peer-timeout SECONDS]

Data (network_sim.mixture_sem): a linear SEM whose DAG is a context-dependent mixture of two
random DAGs over one order, W(c) = (1 + c) / 2 A + (1 - c) / 2 B with c ~ U(-1, 1) and a noise
context column; x = x W(c) + e, e ~ N(0, I). Each fit runs once, in this process (ctxstats) or
in a fresh process of the peer's interpreter (--peer; --peer-config defaults:
ContextualizedBayesianNetworks().fit(C, X), 16 archetypes, mlp encoder, Adam with batch size 1
and early stopping of patience 1 on a 20% split; "fast": batch size 64, learning rate 1e-2, at
most 50 epochs). --peer-cache keeps the peer's results, whose defaults take tens of minutes. Both are scored on the graphs predict_networks returns
(projected to DAGs, the peer's default and ours) for every training sample:
  AUROC  edge recovery: |W_ij(c)| against the true support |W_ij(c)| > 0.1, all off-diagonal
         entries of all samples pooled;
  RMSE   root mean squared error of the off-diagonal weights;
  MSE    measure_mses (mean over rows of each row's mean squared reconstruction error);
and wall and CPU seconds of the fit (CPU: the fitting process's own, time.process_time).
--factors K: low-rank factor graphs, ctxstats' num_factors=K (configs "*-factors") and the
peer's (its constructor's num_factors=K), the peer's cache file named for K. --peer-timeout:
the peer's process is stopped after that many wall seconds and reported as timed out, with the
CPU seconds it had used.
Not run by `make test`; no assertion: a measurement.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from network_sim import auroc, is_dag, mixture_sem  # noqa: E402

CONFIGS = {
    "linear": {},
    "linear-arch": {"num_archetypes": 16},
    "mlp-arch": {"encoder_type": "mlp", "num_archetypes": 16, "width": 16, "layers": 1, "max_epochs": 500},
    # Factor graphs (--factors K sets num_factors): the linear encoder, and with 16 archetypes.
    "linear-factors": {},
    "linear-arch-factors": {"num_archetypes": 16},
}


# The peer's fits: its defaults (Adam, batch size 1, up to 1000 epochs with early stopping of
# patience 1), or "fast": batch size 64, learning rate 1e-2, at most 50 epochs.
PEER_CONFIGS = {"defaults": {}, "fast": {"train_batch_size": 64, "learning_rate": 1e-2, "max_epochs": 50}}


def peer_worker(path_in, path_out, threads, config, factors):
    """Runs in the peer's interpreter: fit, return the projected graphs."""
    import torch

    torch.set_num_threads(threads)
    from contextualized.easy import ContextualizedBayesianNetworks

    d = np.load(path_in)
    C, X = d["C"].astype(np.float32), d["X"].astype(np.float32)
    t0, c0 = time.perf_counter(), time.process_time()
    model = ContextualizedBayesianNetworks(**({"num_factors": factors} if factors else {}))
    model.fit(C, X, **PEER_CONFIGS[config])
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    W = model.predict_networks(C)
    mse = float(np.mean(model.measure_mses(C, X)))
    np.savez(path_out, W=np.asarray(W, dtype=float), secs=secs, cpu=cpu, mse=mse)


def score(W, W_true):
    p = W.shape[-1]
    off = ~np.eye(p, dtype=bool)
    a = auroc(np.abs(W[:, off]).ravel(), (np.abs(W_true[:, off]) > 0.1).ravel())
    rmse = float(np.sqrt(np.mean((W[:, off] - W_true[:, off]) ** 2)))
    return a, rmse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", help="the peer's python (ContextualizedML installed); omit to skip the peer")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--ps", type=int, nargs="+", default=[6, 10])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--configs", nargs="+", default=["linear", "mlp-arch"], choices=sorted(CONFIGS))
    ap.add_argument("--peer-config", default="defaults", choices=sorted(PEER_CONFIGS))
    ap.add_argument("--peer-cache", help="a folder keeping the peer's results (peer_p{p}_n{n}_s{seed}.npz): "
                    "reused when present, written after a peer run")
    ap.add_argument("--factors", type=int, default=0, help="num_factors of the *-factors configs and of the peer")
    ap.add_argument("--peer-timeout", type=float, default=None, help="stop the peer after this many wall seconds")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        peer_worker(*args.worker, args.threads, args.peer_config, args.factors)
        return
    from ctxstats.easy import ContextualizedBayesianNetworks

    print(f"n={args.n}, threads={args.threads}, cores={os.cpu_count()}, load={os.getloadavg()[0]:.1f}")
    print(f"{'p':>3s} {'fit':24s} {'seconds':>9s} {'CPU s':>8s} {'AUROC':>7s} {'W RMSE':>7s} {'MSE':>7s} {'DAGs':>5s} note")
    for p in args.ps:
        C, X, W_true = mixture_sem(args.n, p, seed=args.seed)
        print(f"{p:3d} {'(truth)':24s} {'':9s} {'':8s} {1.0:7.3f} {0.0:7.3f} "
              f"{np.mean((X - np.einsum('ni,nij->nj', X, W_true)) ** 2):7.3f}")
        for name in args.configs:
            t0, c0 = time.perf_counter(), time.process_time()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                factors = {"num_factors": args.factors} if name.endswith("-factors") else {}
                model = ContextualizedBayesianNetworks(threads=args.threads, **CONFIGS[name], **factors).fit(C, X)
            secs, cpu = time.perf_counter() - t0, time.process_time() - c0
            W = model.predict_networks(C)
            a, rmse = score(W, W_true)
            mse = float(np.mean(model.measure_mses(C, X)))
            note = "unconverged" if caught else f"{model.model_['n_iter']} it"
            print(f"{p:3d} {'ctxstats ' + name:24s} {secs:9.2f} {cpu:8.1f} {a:7.3f} {rmse:7.3f} {mse:7.3f} {'all':>5s} "
                  f"{note}")
        tag = f"_k{args.factors}" if args.factors else ""
        cached = (os.path.join(args.peer_cache, f"peer_{args.peer_config}{tag}_p{p}_n{args.n}_s{args.seed}.npz")
                  if args.peer_cache else None)
        d, from_cache = None, bool(cached and os.path.exists(cached))
        if from_cache:
            d = dict(np.load(cached))
        elif args.peer:
            with tempfile.TemporaryDirectory() as tmp:
                fin, fout = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
                np.savez(fin, C=C, X=X)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                try:
                    r = subprocess.run([args.peer, "-I", os.path.abspath(__file__), "--threads", str(args.threads),
                                        "--peer-config", args.peer_config, "--factors", str(args.factors),
                                        "--worker", fin, fout],
                                       capture_output=True, text=True, cwd=tmp, timeout=args.peer_timeout)
                except subprocess.TimeoutExpired:  # run() has killed and reaped the peer: its CPU is counted
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                    print(f"{p:3d} {'peer ' + args.peer_config + tag:24s} timed out after {args.peer_timeout:.0f} wall s, "
                          f"{cpu:.1f} CPU s", flush=True)
                    continue
                if r.returncode != 0:
                    print(f"{p:3d} peer failed:\n{r.stderr[-2000:]}")
                    continue
                d = dict(np.load(fout))
                if cached:
                    np.savez(cached, **d)
        if d is not None:
            W = d["W"]
            a, rmse = score(W, W_true)
            dags = sum(is_dag(w) for w in W)
            cpu = f"{float(d['cpu']):8.1f}" if "cpu" in d else f"{'':8s}"
            print(f"{p:3d} {'peer ' + args.peer_config + tag:24s} {float(d['secs']):9.2f} {cpu} {a:7.3f} {rmse:7.3f} "
                  f"{float(d['mse']):7.3f} {dags * 100 // len(W):4d}%" + (" (cached)" if from_cache else ""))


if __name__ == "__main__":
    main()
