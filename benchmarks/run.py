#!/usr/bin/env python3
"""ctxstats against ContextualizedML on the public varying-coefficient benchmark.

For each n, the data of benchmarks/vcm_data.py are drawn (seed 0), every model is fitted on
the same 80% of rows, and on the 20% test rows we report

* test MSE (task "reg") or test AUC (task "clf"),
* coefficient RMSE: sqrt(mean((beta_hat - beta)^2)) over the test rows and all five
  coefficients (the sample intercepts mu are not part of it),
* fit seconds (wall clock, and the process's CPU seconds summed over threads) of
  constructing the model and fitting it,
* peak memory of the fit: resident-set high-water mark during the fit minus the resident set
  before it, each fit in a fresh Python process.

The peer is ContextualizedML (``contextualized.easy.ContextualizedRegressor`` /
``ContextualizedClassifier``), run at its defaults and at its fastest setting
(``train_batch_size=256, learning_rate=1e-2``), seeded with the run's seed. ctxstats runs every
configuration in CTX_CONFIGS below (edit them to tune).

Targets (issue 2): coefficient RMSE at most half of the peer's best, and a fit at least 10x
faster than the peer's fastest setting. The best RMSE is the lowest of this run's and the
reference figures of the vcm_data docstring (REFERENCE below; the peer is seeded, so its
RMSEs reproduce those); the speed is judged against the peer's fastest fit in this run (same
machine, same load) and, in a last column, against the reference time taken on an idle machine.

    python benchmarks/run.py                      # n = 10,000 and 50,000, everything
    python benchmarks/run.py --quick              # n = 2,000, the peer's fast setting only
    python benchmarks/run.py --skip-peer --configs ngam-w16 --n 10000
    python benchmarks/run.py --data wide --m 30 --n 10000 --tasks reg --peer cml-fast
    python benchmarks/run.py --data interaction --n 10000 --tasks reg --peer cml-fast \
        --configs default ngam spline spline-c1c3

--data picks the design: "vcm" (the public benchmark, default), "wide" (--m context columns
whose effect runs through two directions) or "interaction" (a coefficient on c1 * c3); the
last two are benchmarks/context_data.py. Reference figures exist for "vcm" only.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _measure as M  # noqa: E402

# ---- ctxstats configurations: name -> (model options, fit options) -------------------------
# Model options go to ctxstats.ContextualizedGLM (encoder, width, depth, archetypes,
# activation); fit options to .fit (solver, max_iter, tol, batch_size, learning_rate, ...).
# "default" is the package's own defaults and follows whatever the core sets.
CTX_CONFIGS: dict[str, tuple[dict, dict]] = {
    "default": ({}, {}),
    # the package defaults with a small weight decay (binomial mlp's default before early stopping)
    "default-wd": ({}, {"weight_decay": 1e-3}),
    # the networks fitted to convergence, without early stopping (the default before it)
    "mlp-no-es": ({"encoder": "mlp"}, {"early_stopping": False}),
    "ngam-no-es": ({"encoder": "ngam"}, {"early_stopping": False}),
    "linear-exact": ({"encoder": "linear"}, {"solver": "exact"}),
    "spline": ({"encoder": "spline"}, {}),
    "ngam": ({"encoder": "ngam"}, {}),  # the package's ngam defaults (16 x 1 tanh, lbfgs, early stopping; gaussian: linear_skip)
    "ngam-noskip": ({"encoder": "ngam", "linear_skip": False}, {}),  # the gaussian ngam's default before 2026-12-01
    "ngam-w8-tanh": ({"encoder": "ngam", "width": 8, "depth": 1, "activation": "tanh"},
                     {"solver": "lbfgs", "max_iter": 300}),
    "ngam-w16": ({"encoder": "ngam", "width": 16, "depth": 1}, {"solver": "lbfgs", "max_iter": 300}),
    "ngam-w16-adam": ({"encoder": "ngam", "width": 16, "depth": 1},
                      {"solver": "adam", "batch_size": 256, "learning_rate": 1e-2}),
    "mlp-w16-d1": ({"encoder": "mlp", "width": 16, "depth": 1}, {"solver": "lbfgs", "max_iter": 300}),
    "mlp-w32-d2": ({"encoder": "mlp", "width": 32, "depth": 2}, {"solver": "lbfgs", "max_iter": 1000}),
    # the mlp default before 2026-11-30 (width 32; now 16), and the current default spelled out
    "mlp-w32": ({"encoder": "mlp", "width": 32}, {}),
    "mlp-w16": ({"encoder": "mlp", "width": 16}, {}),
    "mlp-w32-adam": ({"encoder": "mlp", "width": 32, "depth": 2},
                     {"solver": "adam", "batch_size": 256, "learning_rate": 1e-2}),
    # variable projection: L-BFGS on the hidden weights, the output layer solved exactly (issue 12)
    "mlp-varpro": ({"encoder": "mlp"}, {"solver": "varpro", "weight_decay": 1e-4}),
    "ngam-varpro": ({"encoder": "ngam"}, {"solver": "varpro", "weight_decay": 1e-4}),
    # gaussian networks starting at the least-squares output layer of the seeded hidden weights (issue 12)
    "ngam-os": ({"encoder": "ngam"}, {"output_start": True}),
    "ngam-os-no-es": ({"encoder": "ngam"}, {"output_start": True, "early_stopping": False}),
    "mlp-os": ({"encoder": "mlp"}, {"output_start": True}),
    # networks with a linear skip path started at the exact linear varying-coefficient fit (issue 12)
    "mlp-skip": ({"encoder": "mlp", "linear_skip": True}, {}),
    "ngam-skip": ({"encoder": "ngam", "linear_skip": True}, {}),
    "mlp-skip-varpro": ({"encoder": "mlp", "linear_skip": True}, {"solver": "varpro", "weight_decay": 1e-4}),
    "mlp-skip-w32": ({"encoder": "mlp", "width": 32, "linear_skip": True}, {}),
    "ngam-skip-os": ({"encoder": "ngam", "linear_skip": True}, {"output_start": True}),
    "mlp-skip-os": ({"encoder": "mlp", "linear_skip": True}, {"output_start": True}),
    # the spline with the tensor-product term of the --data interaction design
    "spline-c1c3": ({"encoder": "spline", "interactions": [(0, 2)]}, {}),
}
# Configurations also run on the binomial task (with family="binomial").
CLF_CONFIGS = ["default", "default-wd", "mlp-no-es", "ngam", "ngam-no-es", "ngam-w16", "spline", "mlp-varpro",
               "mlp-w32", "mlp-w16", "mlp-skip", "ngam-skip"]

# ---- the peer: name -> (constructor keywords, fit keywords) -------------------------------
PEER_SETTINGS: dict[str, tuple[dict, dict]] = {
    "cml-defaults": ({}, {}),
    "cml-fast": ({}, {"train_batch_size": 256, "learning_rate": 1e-2}),
}
PEER_CLF_SETTINGS = ["cml-defaults"]
QUICK_PEER_SETTINGS = ["cml-fast"]

# The peer's figures in the vcm_data docstring (2 cores, ContextualizedML 0.2.9, PyTorch 2.13
# CPU): n -> setting -> (fit s, coef RMSE, test MSE).
REFERENCE = {
    10000: {"cml-defaults": (32.1, 0.334, 0.839), "cml-fast": (1.26, 0.202, 0.479)},
    50000: {"cml-defaults": (312.0, 0.159, 0.430), "cml-fast": (5.26, 0.169, 0.437)},
}
RMSE_FACTOR = 0.5    # ctxstats RMSE <= RMSE_FACTOR * the peer's best RMSE
SPEED_FACTOR = 10.0  # ctxstats fit <= the peer's fastest fit / SPEED_FACTOR


# =========================================================================================
# The child: one fit in a fresh process
# =========================================================================================
def _child(job: dict) -> None:
    import numpy as np

    kind = job.get("data", "vcm")
    if kind == "vcm":
        vcm = M.load_module(M.HERE / "vcm_data.py", "vcm_data")
        data = vcm.make_data(job["n"], task=job["task"], seed=job["seed"])
    else:
        designs = M.load_module(M.HERE / "context_data.py", "context_data")
        extra = {"m": job["m"]} if kind == "wide" else {}
        data = getattr(designs, kind)(job["n"], task=job["task"], seed=job["seed"], **extra)
    tr, te = data["train"], data["test"]
    C, X, y = (np.ascontiguousarray(data[k][tr]) for k in ("C", "X", "y"))
    Ct, Xt, yt = (np.ascontiguousarray(data[k][te]) for k in ("C", "X", "y"))
    threads = job["threads"]

    if job["kind"] == "ctxstats":
        import ctxstats

        model_opts, fit_opts = job["model_options"], job["fit_options"]
        family = "binomial" if job["task"] == "clf" else "gaussian"
        with M.PeakMemory() as mem, M.Timer() as clock:
            model = ctxstats.ContextualizedGLM(y, X, C, family=family, **model_opts)
            res = model.fit(threads=threads, seed=job["seed"], **fit_opts)
        theta = res.predict_params(Ct).to_numpy()
        beta_hat = theta[:, 1:]
        pred = res.predict(exog=Xt, context=Ct)
        extra = {"solver": res.solver, "n_iter": res.n_iter, "converged": res.converged,
                 "n_weights": int(res.weights.shape[0]), "version": ctxstats.__version__}
    else:
        import random

        import torch
        from contextualized.easy import ContextualizedClassifier, ContextualizedRegressor

        torch.set_num_threads(threads)
        random.seed(job["seed"])
        np.random.seed(job["seed"])
        torch.manual_seed(job["seed"])
        init_kw, fit_kw = job["init"], job["fit"]
        cls = ContextualizedClassifier if job["task"] == "clf" else ContextualizedRegressor
        with M.PeakMemory() as mem, M.Timer() as clock:
            model = cls(**init_kw)
            model.fit(C, X, y, **fit_kw)
        betas, _mus = model.predict_params(Ct)          # (n, y_dim=1, p), (n, 1)
        beta_hat = np.asarray(betas).reshape(len(te), -1)
        if job["task"] == "clf":
            pred = np.asarray(model.predict_proba(Ct, Xt))[:, 0, 1]   # (n, y_dim, 2)
        else:
            pred = np.asarray(model.predict(Ct, Xt))[:, 0]            # (n, y_dim)
        import contextualized

        extra = {"version": getattr(contextualized, "__version__", "0.2.9"), "torch": torch.__version__}

    rmse = float(np.sqrt(np.mean((beta_hat - data["beta"][te]) ** 2)))
    if job["task"] == "clf":
        metric = M.auc(yt, pred)
    else:
        metric = float(np.mean((pred - yt) ** 2))
    M.emit({**job, "wall": clock.wall, "cpu": clock.cpu, "peak_mb": mem.peak / 2**20,
            "mem_method": mem.method, "rmse": rmse, "metric": metric, **extra})


# =========================================================================================
# The parent: plan, run, tabulate
# =========================================================================================
def _plan(args) -> list[dict]:
    jobs = []
    base = {"seed": args.seed, "threads": args.threads, "data": args.data, "m": args.m}
    for n in args.n:
        for task in args.tasks:
            if not args.skip_peer:
                settings = args.peer or (QUICK_PEER_SETTINGS if args.quick else list(PEER_SETTINGS))
                if task == "clf":
                    settings = [s for s in settings if s in PEER_CLF_SETTINGS] or settings[:1]
                for name in settings:
                    init, fit = PEER_SETTINGS[name]
                    jobs.append({**base, "kind": "peer", "name": name, "n": n, "task": task,
                                 "init": init, "fit": fit})
            configs = args.configs or list(CTX_CONFIGS)
            if task == "clf":
                configs = [c for c in configs if c in CLF_CONFIGS] or configs[:1]
            for name in configs:
                model_opts, fit_opts = CTX_CONFIGS[name]
                jobs.append({**base, "kind": "ctxstats", "name": name, "n": n, "task": task,
                             "model_options": model_opts, "fit_options": fit_opts})
    return jobs


def _fmt(x, spec):
    return "—" if x is None else format(x, spec)


def _describe(r: dict) -> str:
    if r["kind"] == "peer":
        kw = {**r["init"], **r["fit"]}
        return ", ".join(f"{k}={v}" for k, v in kw.items()) or "defaults"
    parts = [f"{k}={v}" for k, v in {**r["model_options"], **r["fit_options"]}.items()]
    return ", ".join(parts) or "package defaults"


def args_data(results: list[dict]) -> str:
    return results[0].get("data", "vcm") if results else "vcm"


def _targets(results: list[dict], n: int):
    """Thresholds at n: (best peer RMSE, its source, fastest peer seconds, its source).

    The best RMSE is the lowest of the peer's RMSEs in this run and in the reference figures
    (the peer is seeded, so its RMSE does not depend on the machine). The fastest fit is the
    peer's fastest in this run (same machine, same load), or the reference when it did not run.
    """
    peer = [r for r in results if r["kind"] == "peer" and r["n"] == n and r["task"] == "reg" and "error" not in r]
    ref = REFERENCE.get(n, {}) if args_data(results) == "vcm" else {}
    rmses = [(r["rmse"], f"{r['name']}, this run") for r in peer]
    rmses += [(v[1], f"{name}, vcm_data docstring") for name, v in ref.items()]
    times = [(r["wall"], f"{r['name']}, this run") for r in peer]
    if not times:
        times = [(v[0], f"{name}, vcm_data docstring") for name, v in ref.items()]
    if not rmses or not times:
        return None, "", None, ""
    best, fastest = min(rmses), min(times)
    return best[0], best[1], fastest[0], fastest[1]


def _report(results: list[dict], args) -> str:
    out = []
    out.append("## Results\n")
    out.append("| n | task | package | setting | fit s | CPU s | peak MB | test MSE / AUC | coef RMSE | details |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        pkg = "ContextualizedML" if r["kind"] == "peer" else "ctxstats"
        if "error" in r:
            out.append(f"| {r['n']:,} | {r['task']} | {pkg} | {r['name']} | FAILED | | | | | {r['error'][:120]} |")
            continue
        metric = f"AUC {r['metric']:.3f}" if r["task"] == "clf" else f"{r['metric']:.3f}"
        if r["kind"] == "ctxstats":
            details = f"{r['solver']}, {r['n_iter']} it, {'converged' if r['converged'] else 'not converged'}"
        else:
            details = ""
        out.append(f"| {r['n']:,} | {r['task']} | {pkg} | {r['name']} ({_describe(r)}) | {r['wall']:.3f} | "
                   f"{r['cpu']:.3f} | {r['peak_mb']:.1f} | {metric} | {r['rmse']:.3f} | {details} |")

    out.append("\n## Targets (task reg): RMSE <= %.1f x the peer's best, fit <= the peer's fastest / %g\n"
               % (RMSE_FACTOR, SPEED_FACTOR))
    for n in args.n:
        best, best_src, fastest, fastest_src = _targets(results, n)
        if best is None:
            continue
        line = (f"- n = {n:,}: peer's best RMSE {best:.3f} ({best_src}), fastest fit {fastest:.3f} s "
                f"({fastest_src}) => targets RMSE <= {RMSE_FACTOR * best:.3f}, fit <= {fastest / SPEED_FACTOR:.3f} s")
        if n in REFERENCE and "this run" in fastest_src and args.data == "vcm":
            rf = min(v[0] for v in REFERENCE[n].values())
            line += f"; against the reference speed (vcm_data docstring, idle machine): fit <= {rf / SPEED_FACTOR:.3f} s"
        out.append(line)
    out.append("")
    out.append("| n | ctxstats config | fit s | coef RMSE | time ratio ctxstats/peer fastest | "
               "RMSE ratio ctxstats/peer best | RMSE target | speed target | both | speed vs reference |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        if r["kind"] != "ctxstats" or r["task"] != "reg":
            continue
        best, _, fastest, _ = _targets(results, r["n"])
        if "error" in r:
            out.append(f"| {r['n']:,} | {r['name']} | FAILED | | | | | | | |")
            continue
        if best is None:
            out.append(f"| {r['n']:,} | {r['name']} | {r['wall']:.3f} | {r['rmse']:.3f} | | | "
                       f"no peer figures at this n | | | |")
            continue
        ok_rmse = r["rmse"] <= RMSE_FACTOR * best
        ok_time = r["wall"] <= fastest / SPEED_FACTOR
        ref_time = "—"
        if r["n"] in REFERENCE and args.data == "vcm":
            rf = min(v[0] for v in REFERENCE[r["n"]].values())
            ref_time = "PASS" if r["wall"] <= rf / SPEED_FACTOR else "FAIL"
        out.append(f"| {r['n']:,} | {r['name']} | {r['wall']:.3f} | {r['rmse']:.3f} | {r['wall'] / fastest:.4f} | "
                   f"{r['rmse'] / best:.3f} | {'PASS' if ok_rmse else 'FAIL'} | {'PASS' if ok_time else 'FAIL'} | "
                   f"{'PASS' if ok_rmse and ok_time else 'FAIL'} | {ref_time} |")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", help="sample sizes (default 10000 50000; --quick: 2000)")
    parser.add_argument("--tasks", nargs="+", choices=["reg", "clf"], default=["reg", "clf"])
    parser.add_argument("--configs", nargs="+", choices=list(CTX_CONFIGS), metavar="NAME",
                        help=f"ctxstats configurations to run (default all: {', '.join(CTX_CONFIGS)})")
    parser.add_argument("--peer", nargs="+", choices=list(PEER_SETTINGS), metavar="NAME",
                        help=f"peer settings to run (default all: {', '.join(PEER_SETTINGS)})")
    parser.add_argument("--skip-peer", action="store_true", help="do not run ContextualizedML")
    parser.add_argument("--data", choices=["vcm", "wide", "interaction"], default="vcm",
                        help="the design (benchmarks/vcm_data.py, or benchmarks/context_data.py)")
    parser.add_argument("--m", type=int, default=30, help="context columns of --data wide")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="n = 2000 and only the peer's fast setting (a smoke test)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per fit")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(json.loads(args.child))
        return 0
    if args.n is None:
        args.n = [2000] if args.quick else [10000, 50000]
    if not args.skip_peer:
        try:
            import contextualized  # noqa: F401
            import torch  # noqa: F401
        except ImportError as exc:
            parser.error(f"the peer is not installed here ({exc}); run `make bench`, or pass --skip-peer")

    print(M.machine_line(args.threads))
    if args.data == "vcm":
        print(M.check_data_against_shared(args.n, tasks=args.tasks, seed=args.seed))
    else:
        print(f"data: benchmarks/context_data.py {args.data}" + (f" m={args.m}" if args.data == "wide" else ""))
    jobs = _plan(args)
    results = []
    script = Path(__file__).resolve()
    with tempfile.TemporaryDirectory(prefix="ctxstats-bench-") as workdir:  # the peer's checkpoints
        for i, job in enumerate(jobs, 1):
            r = M.run_child(script, job, args.threads, args.timeout, workdir)
            results.append(r)
            if "error" in r:
                print(f"[{i}/{len(jobs)}] n={job['n']} {job['task']} {job['kind']} {job['name']}: FAILED {r['error']}",
                      flush=True)
            else:
                label = "AUC" if job["task"] == "clf" else "MSE"
                print(f"[{i}/{len(jobs)}] n={job['n']} {job['task']} {job['kind']} {job['name']}: "
                      f"{r['wall']:.3f} s (cpu {r['cpu']:.3f} s), peak {r['peak_mb']:.1f} MB, "
                      f"{label} {r['metric']:.4f}, coef RMSE {r['rmse']:.4f}", flush=True)
    print(M.machine_line(args.threads))
    print()
    print(_report(results, args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
