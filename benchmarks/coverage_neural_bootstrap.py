"""Monte Carlo check of the neural encoders' bootstrap replicate rules (issue 12, item 5).

    python -I benchmarks/coverage_neural_bootstrap.py [--n 2500] [--reps 40] [--B 50]
        [--encoder ngam] [--task reg] [--rule core]

Draws `reps` independent data sets from the public benchmark's generator
(benchmarks/vcm_data.py, data seeds 1..reps, training rows), fits each once (seed 0) and
bootstraps it with B replicates, and compares, for the average effects (the mean over the
samples of the per-sample coefficients) and for the per-sample coefficients at 40 fixed test
contexts:
  - the Monte Carlo SD of the point estimates over the data sets (the estimator's own spread)
    against the root mean square of the bootstrap SEs (ratio SE / SD; 1 is right, < 1 too narrow);
  - for the average effects, whose estimand (the average over the data set's own contexts) moves
    with the data set, also the SD of the error against that estimand;
  - how often the 95% percentile interval covers the Monte Carlo mean of the estimates (the
    estimator's expectation: a check of the intervals' width, free of the network's bias) and
    the true coefficient (which also carries the bias), each with its binomial standard error.

--rule core       the bootstrap of fit(n_bootstraps=B), whatever rule the core takes;
--rule converged  emulated: each replicate warm-started from the full fit, early stopping off,
                  run to the networks' log-likelihood criterion (max_iter 1000);
--rule cap:K      emulated: as converged, at most K iterations;
--rule budget     emulated: each replicate from the full fit's seeded start, early stopping off,
                  for the full fit's own all-rows iteration count.
Emulated replicates draw their own multinomial counts (numpy), so they are not the core's
replicates; they estimate the same thing. No assertion: a measurement.
"""
import argparse
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import ctxstats as cs  # noqa: E402
from ctxstats import _core  # noqa: E402
from vcm_data import _truth, make_data  # noqa: E402


def true_theta(C):
    a, b, d, e = _truth()
    basis = np.column_stack([C[:, 0], np.sin(2 * C[:, 1]), C[:, 2] ** 2 / 2])
    beta = basis @ np.vstack([a, b, d])
    mu = basis @ e
    return np.column_stack([mu, beta])


def emulate(model_args, full, rule, B, rng):
    y, X, C, family, encoder = model_args
    n = len(y)
    W = []
    iters = []
    conv = []
    for _ in range(B):
        counts = rng.multinomial(n, np.full(n, 1.0 / n)).astype(float)
        m = cs.ContextualizedGLM(y, X, C, family=family, encoder=encoder, weights=counts)
        if rule == "budget":
            r = m.fit(seed=0, early_stopping=False, max_iter=max(1, full.n_iter), threads=1)
        else:
            cap = 1000 if rule == "converged" else int(rule.split(":")[1])
            r = m.fit(seed=0, early_stopping=False, max_iter=cap, start_params=full.weights, threads=1)
        W.append(np.asarray(r.weights))
        iters.append(r.n_iter)
        conv.append(r.converged)
    return np.vstack(W), np.array(iters), np.array(conv)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2500)
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--B", type=int, default=50)
    ap.add_argument("--encoder", default="ngam")
    ap.add_argument("--task", default="reg", choices=["reg", "clf"])
    ap.add_argument("--rule", default="core")
    args = ap.parse_args()
    family = "gaussian" if args.task == "reg" else "binomial"
    Ctest = np.random.default_rng(2026).normal(size=(40, 3))
    truth_test = true_theta(Ctest)
    est_avg, est_test, se_avg, se_test = [], [], [], []
    lo_avg, hi_avg, lo_test, hi_test, truth_avg = [], [], [], [], []
    rules, iters_all, conv_all = set(), [], []
    t_fit = t_boot = 0.0
    for s in range(1, args.reps + 1):
        d = make_data(args.n, args.task, seed=s)
        tr = d["train"]
        y, X, C = d["y"][tr], d["X"][tr], d["C"][tr]
        model = cs.ContextualizedGLM(y, X, C, family=family, encoder=args.encoder)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.process_time()
            full = model.fit(seed=0)
            t1 = time.process_time()
            if args.rule == "core":
                boot = model.fit(seed=0, n_bootstraps=args.B)
                W = np.asarray(boot.bootstrap_weights)
                iters, conv = np.asarray(boot.bootstrap_n_iter), np.asarray(boot.bootstrap_converged)
                rules.add(getattr(boot, "bootstrap_rule", "?"))
            else:
                W, iters, conv = emulate((y, X, C, family, args.encoder), full, args.rule, args.B,
                                         np.random.default_rng(1000 + s))
            t2 = time.process_time()
        t_fit += t1 - t0
        t_boot += t2 - t1
        iters_all.append(iters)
        conv_all.append(conv)
        W = np.ascontiguousarray(W, dtype=float)
        theta_full_train = full.sample_params.to_numpy()
        q = theta_full_train.shape[1]
        reps_train = np.asarray(_core.bootstrap_theta(full.options, full.scaling, W, np.ascontiguousarray(C)))
        reps_avg = reps_train.reshape(args.B, len(y), q).mean(axis=1)
        reps_test = np.asarray(_core.bootstrap_theta(full.options, full.scaling, W, Ctest)).reshape(args.B, 40, q)
        est_avg.append(theta_full_train.mean(axis=0))
        est_test.append(full.predict_params(Ctest).to_numpy())
        truth_avg.append(true_theta(C).mean(axis=0))
        se_avg.append(reps_avg.std(axis=0, ddof=1))
        se_test.append(reps_test.std(axis=0, ddof=1))
        lo_avg.append(np.quantile(reps_avg, 0.025, axis=0))
        hi_avg.append(np.quantile(reps_avg, 0.975, axis=0))
        lo_test.append(np.quantile(reps_test, 0.025, axis=0))
        hi_test.append(np.quantile(reps_test, 0.975, axis=0))
    est_avg, est_test = np.array(est_avg), np.array(est_test)
    se_avg, se_test = np.array(se_avg), np.array(se_test)
    R = args.reps

    def report(name, est, se, lo, hi, truth, conditional=False):
        lo, hi = np.array(lo), np.array(hi)
        # The average effects average over each data set's own contexts, so their estimand moves
        # with the data set: the spread to compare is that of the error against it.
        sd = (est - truth).std(axis=0, ddof=1) if conditional else est.std(axis=0, ddof=1)
        ratio = np.sqrt((se ** 2).mean(axis=0)) / sd
        centre = est.mean(axis=0)
        cov_c = ((lo <= centre) & (centre <= hi)).mean()
        cov_t = ((lo <= truth) & (truth <= hi)).mean()
        k = lo.size
        print(f"{name}: SE/SD median {np.median(ratio):.2f} (10%-90%: {np.quantile(ratio, 0.1):.2f}-"
              f"{np.quantile(ratio, 0.9):.2f}; the SD of an SD from {R} data sets: ~{1 / np.sqrt(2 * (R - 1)):.0%}); "
              f"coverage of the MC mean {cov_c:.3f}, of the truth {cov_t:.3f} "
              f"({k} intervals; binomial SE at 0.95 for {R} independent sets: {np.sqrt(0.0475 / R):.3f})")

    iters_all, conv_all = np.concatenate(iters_all), np.concatenate(conv_all)
    print(f"n={args.n} (training rows {int(0.8 * args.n)}) task={args.task} encoder={args.encoder} "
          f"rule={args.rule} core rule={sorted(rules)} data sets={R} B={args.B}")
    print(f"CPU s: fits {t_fit:.1f}, bootstraps {t_boot:.1f} (bootstrap / fit {t_boot / t_fit:.1f}x); "
          f"replicates converged {conv_all.mean():.0%}, iterations median {np.median(iters_all):.0f}")
    report("average effects (SD of the estimates)", est_avg, se_avg, lo_avg, hi_avg, np.array(truth_avg))
    report("average effects (SD of the error against each data set's own average)", est_avg, se_avg, lo_avg, hi_avg,
           np.array(truth_avg), conditional=True)
    report("per-sample coefficients at 40 test contexts", est_test, se_test, lo_test, hi_test,
           np.broadcast_to(truth_test, est_test.shape))


if __name__ == "__main__":
    main()
