"""Contextualized networks (issue 15): time, and how cost grows with p (pairs grow as p^2) and n,
plus edge recovery on a Gaussian whose precision edges switch with context.

    python -I benchmarks/bench_networks.py [--threads 2] [--reps 3] [--mlp]
    python -I benchmarks/bench_networks.py --peer PEER_PYTHON [--n 2000] [--ps 6 20] [--threads 1]
        [--peer-cache DIR] [--peer-timeout SECONDS] [--configs defaults mlp ngam]

Data: c ~ U(-1, 1) (one context column and one noise column); X | c ~ N(0, Omega(c)^-1) with a
chain of edges (k, k+1): even k switch on for c > 0, odd k for c < 0, every third is always on
(partial correlations about 0.4). For each size the best of --reps wall times of
ContextualizedCorrelationNetworks / ContextualizedMarkovNetworks (linear encoder, exact
solver; --mlp adds the mlp encoder with L-BFGS at n = 2,000) is printed with the edge-recovery
AUROC of |partial correlation| (Markov) or |correlation| (correlation networks, against the
true correlation's support) over all samples and pairs, and the log-log slope of time
against p and n. Not run by `make test`; no assertion: a measurement.

--peer: instead of the sweeps, each network side by side with ContextualizedML's defaults
(ContextualizedCorrelationNetworks().fit(C, X) / ContextualizedMarkovNetworks().fit(C, X): mlp
encoder, Adam with batch size 1, early stopping of patience 1 on a 20% split) run in a fresh
process of the peer's interpreter, against ctxstats' defaults, on the same data, one run each:
wall and CPU seconds of the fit (CPU: the fitting process's, time.process_time; for a peer run
stopped by --peer-timeout, the CPU seconds it had used), the AUROC and the RMSE against the
truth over all samples and pairs i < j. Estimates compared: correlation networks,
predict_correlation(C, individual_preds=False, squared=False) of both; Markov networks,
ctxstats' predict_partial_correlations and the peer's (beta + beta') / 2 from its
predict_networks, the partial correlation under the peer's stated assumption of equal
diagonal precisions (which holds for this simulation's truth).
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from network_sim import auroc, switching_gaussian  # noqa: E402

KINDS = {"correlation": 3, "markov": 2}  # which truth switching_gaussian returns: corr (3) or partial (2)
# ctxstats' fits in the side-by-side: its defaults (linear encoder, exact solver), and neural
# encoders by L-BFGS, which can follow edges that switch with context (the linear encoder
# cannot: every coefficient is linear in c).
CTX_CONFIGS = {"defaults": {}, "mlp": {"encoder_type": "mlp", "width": 16, "layers": 1},
               "ngam": {"encoder_type": "ngam", "width": 16, "layers": 1}}


def scores(est, truth):
    """AUROC of |est| against the support |truth| > 0.1, and RMSE, over all samples and pairs i < j."""
    iu = np.triu_indices(est.shape[-1], 1)
    e, t = est[:, iu[0], iu[1]], truth[:, iu[0], iu[1]]
    return auroc(np.abs(e).ravel(), (np.abs(t) > 0.1).ravel()), float(np.sqrt(np.mean((e - t) ** 2)))


def estimate(model, kind, C, peer):
    """The correlations or partial correlations a fitted model gives for every sample."""
    if kind == "correlation":
        return np.asarray(model.predict_correlation(C, individual_preds=False, squared=False), dtype=float)
    if peer:  # the peer's predict_networks: beta + beta' (zero diagonal)
        return np.asarray(model.predict_networks(C, individual_preds=False), dtype=float) / 2
    return model.predict_partial_correlations(C, individual_preds=False)


def peer_worker(kind, path_in, path_out, threads):
    """Runs in the peer's interpreter: fit its defaults, save the estimates."""
    import torch

    torch.set_num_threads(threads)
    from contextualized import easy

    cls = easy.ContextualizedCorrelationNetworks if kind == "correlation" else easy.ContextualizedMarkovNetworks
    d = np.load(path_in)
    C, X = d["C"].astype(np.float32), d["X"].astype(np.float32)
    t0, c0 = time.perf_counter(), time.process_time()
    model = cls()
    model.fit(C, X)  # the peer's fit returns None
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    np.savez(path_out, est=estimate(model, kind, C, True), secs=secs, cpu=cpu)


def run_peer(args, kind, C, X):
    """The peer's result (dict), from the cache or a fresh process; None when it failed, or
    {"timeout": wall, "cpu": cpu} when --peer-timeout stopped it."""
    cached = (os.path.join(args.peer_cache, f"peer_{kind}_p{X.shape[1]}_n{len(X)}.npz") if args.peer_cache else None)
    if cached and os.path.exists(cached):
        return {**dict(np.load(cached)), "cached": True}
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(fin, C=C, X=X)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.Popen([args.peer, "-I", os.path.abspath(__file__), "--threads", str(args.threads),
                                 "--worker", kind, fin, fout], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=tmp)
        try:
            _, err = proc.communicate(timeout=args.peer_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            return {"timeout": args.peer_timeout, "cpu": cpu}
        if proc.returncode != 0:
            print(f"peer {kind} failed:\n{err[-2000:]}")
            return None
        d = dict(np.load(fout))
    if cached:
        np.savez(cached, **d)
    return d


def side_by_side(args):
    from ctxstats.easy import ContextualizedCorrelationNetworks, ContextualizedMarkovNetworks

    classes = {"correlation": ContextualizedCorrelationNetworks, "markov": ContextualizedMarkovNetworks}
    print(f"n={args.n}, threads={args.threads}, cores={os.cpu_count()}, load={os.getloadavg()[0]:.1f}")
    print(f"{'network':12s} {'p':>3s} {'fit':18s} {'seconds':>9s} {'CPU s':>8s} {'AUROC':>7s} {'RMSE':>7s}")
    for p in args.ps:
        C, X, partial, corr = switching_gaussian(args.n, p)
        for kind, which in KINDS.items():
            truth = partial if which == 2 else corr
            for config in args.configs:
                t0, c0 = time.perf_counter(), time.process_time()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    model = classes[kind](threads=args.threads, **CTX_CONFIGS[config]).fit(C, X)
                secs, cpu = time.perf_counter() - t0, time.process_time() - c0
                a, e = scores(estimate(model, kind, C, False), truth)
                note = f"{model.model_['n_iter']} it" + (", unconverged" if caught else "")
                print(f"{kind:12s} {p:3d} {'ctxstats ' + config:18s} {secs:9.3f} {cpu:8.3f} {a:7.3f} {e:7.3f} {note}",
                      flush=True)
            if args.no_peer_run and not (args.peer_cache and os.path.exists(
                    os.path.join(args.peer_cache, f"peer_{kind}_p{p}_n{args.n}.npz"))):
                continue
            d = run_peer(args, kind, C, X)
            if d is None:
                continue
            if "timeout" in d:
                print(f"{kind:12s} {p:3d} {'peer defaults':18s} stopped after {d['timeout']:.0f} wall s, "
                      f"{d['cpu']:.1f} CPU s", flush=True)
                continue
            a, e = scores(d["est"], truth)
            print(f"{kind:12s} {p:3d} {'peer defaults':18s} {float(d['secs']):9.3f} {float(d['cpu']):8.3f} {a:7.3f} "
                  f"{e:7.3f}" + (" (cached)" if d.get("cached") else ""), flush=True)


def run(cls, C, X, truth, reps, threads, **opts):
    best = np.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = cls(threads=threads, **opts).fit(C, X)
        best = min(best, time.perf_counter() - t0)
    kind = "markov" if hasattr(model, "predict_partial_correlations") else "correlation"
    return (best, *scores(estimate(model, kind, C, False), truth))


def slope(xs, ts):
    return float(np.polyfit(np.log(xs), np.log(ts), 1)[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--mlp", action="store_true")
    ap.add_argument("--peer", help="the peer's python (ContextualizedML installed): the side-by-side instead of the sweeps")
    ap.add_argument("--n", type=int, default=2000, help="rows of the side-by-side")
    ap.add_argument("--ps", type=int, nargs="+", default=[6, 20], help="features of the side-by-side")
    ap.add_argument("--peer-cache", help="a folder keeping the peer's results, reused when present")
    ap.add_argument("--peer-timeout", type=float, default=None, help="stop the peer after this many wall seconds")
    ap.add_argument("--configs", nargs="+", default=["defaults"], choices=sorted(CTX_CONFIGS),
                    help="ctxstats' fits of the side-by-side")
    ap.add_argument("--no-peer-run", action="store_true", help="only the peer's cached results; run no peer")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        peer_worker(*args.worker, args.threads)
        return
    if args.peer:
        side_by_side(args)
        return
    from ctxstats.easy import ContextualizedCorrelationNetworks, ContextualizedMarkovNetworks

    print(f"threads={args.threads}, best of {args.reps}, cores={os.cpu_count()}, python {sys.version.split()[0]}")
    kinds = [("correlation", ContextualizedCorrelationNetworks, 3), ("markov", ContextualizedMarkovNetworks, 2)]

    print("\n== cost against p (n = 2,000, linear encoder, exact) ==")
    print(f"{'network':12s} {'p':>3s} {'seconds':>9s} {'AUROC':>7s} {'RMSE':>7s}")
    ps = [6, 10, 14, 20]
    for name, cls, which in kinds:
        times = []
        for p in ps:
            C, X, partial, corr = switching_gaussian(2000, p)
            truth = partial if which == 2 else corr
            t, a, e = run(cls, C, X, truth, args.reps, args.threads)
            times.append(t)
            print(f"{name:12s} {p:3d} {t:9.4f} {a:7.3f} {e:7.3f}")
        print(f"{name:12s} time ~ p^{slope(ps, times):.2f}")

    print("\n== cost against n (p = 10, linear encoder, exact) ==")
    ns = [1000, 2000, 4000, 8000, 16000]
    for name, cls, which in kinds:
        times = []
        for n in ns:
            C, X, partial, corr = switching_gaussian(n, 10)
            t, a, e = run(cls, C, X, partial if which == 2 else corr, args.reps, args.threads)
            times.append(t)
            print(f"{name:12s} n={n:6d} {t:9.4f} {a:7.3f} {e:7.3f}")
        print(f"{name:12s} time ~ n^{slope(ns, times):.2f}")

    print("\n== bootstrap (n = 2,000, p = 10, B = 20) ==")
    C, X, partial, corr = switching_gaussian(2000, 10)
    for name, cls, which in kinds:
        t, a, e = run(cls, C, X, partial if which == 2 else corr, 1, args.threads, n_bootstraps=20)
        print(f"{name:12s} {t:9.4f} {a:7.3f} {e:7.3f}")

    if args.mlp:
        print("\n== mlp encoder, L-BFGS (n = 2,000, width 16, 1 layer, max 500 iterations) ==")
        for p in (6, 10):
            C, X, partial, corr = switching_gaussian(2000, p)
            for name, cls, which in kinds:
                t, a, e = run(cls, C, X, partial if which == 2 else corr, 1, args.threads, encoder_type="mlp",
                              width=16, layers=1, max_epochs=500)
                print(f"{name:12s} p={p:3d} {t:9.4f} {a:7.3f} {e:7.3f}")


if __name__ == "__main__":
    main()
