"""Subtypes from sample models on latent-subgroup data (issue 18 item 3): recovery of the true groups.

Data: ``subgroups`` of ``benchmarks/subgroups_personalized.py`` -- five contexts c1..c5 ~ N(0, 1),
four groups fixed by the thresholds c1 > 0 and c2 > 0 (c3..c5 irrelevant), two predictors,
gaussian outcome with noise SD 0.3:

    theta = T0 + 1{c1 > 0} D1 + 1{c2 > 0} D2,    y = mu + x . beta + N(0, 0.3^2).

Every encoder (and personalized regression) is fitted to all n rows with its defaults; then
``results.subtypes()`` (k chosen by the silhouette) and ``results.subtypes(k=4)`` (the true k);
the figure is the adjusted Rand index (ARI) of the subtypes against the four true groups,
computed by ctxstats' core and checked here against scikit-learn's when it is installed.
``--bootstraps B`` also fits B replicates and reports the subtypes' bootstrap stability
(mean ARI between the fit's clustering and each replicate's).

    python benchmarks/subtypes_recovery.py            # mlp, spline (15 knots), spline-k30 (30 knots); seeds 0-2
    python benchmarks/subtypes_recovery.py --encoders linear mlp ngam spline personalized --seeds 0
    python benchmarks/subtypes_recovery.py --encoders spline --bootstraps 50 --seeds 0
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import ctxstats as cs  # noqa: E402
from ctxstats.subtypes import adjusted_rand_index  # noqa: E402
from subgroups_personalized import subgroups  # noqa: E402


def fit(encoder, y, X, C, seed, threads, B):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if encoder == "personalized":
            return cs.PersonalizedRegression(y, X, C).fit(seed=seed, threads=threads, n_bootstraps=B)
        options = {}
        if encoder.startswith("spline-k"):          # "spline-k30": the spline encoder with 30 knots
            encoder, options = "spline", {"n_knots": int(encoder[len("spline-k"):])}
        return cs.ContextualizedRegression(y, X, C, encoder=encoder, **options).fit(seed=seed, threads=threads,
                                                                                   n_bootstraps=B)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoders", nargs="+", default=["mlp", "spline", "spline-k30"],
                    help="linear, mlp, ngam, spline, spline-kK (K knots per context feature), personalized")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bootstraps", type=int, default=0)
    args = ap.parse_args()
    try:
        from sklearn.metrics import adjusted_rand_score
    except ImportError:  # pragma: no cover
        adjusted_rand_score = None
    rows = []
    for seed in args.seeds:
        y, X, C, _ = subgroups(args.n, seed=seed)
        truth = 2 * (C["c1"].to_numpy() > 0) + (C["c2"].to_numpy() > 0)
        for enc in args.encoders:
            t0 = time.perf_counter()
            res = fit(enc, y, X, C, seed, args.threads, args.bootstraps)
            t1 = time.perf_counter()
            auto = res.subtypes()
            t2 = time.perf_counter()
            given = res.subtypes(k=4)
            ari = adjusted_rand_index(truth, auto.labels)
            ari4 = adjusted_rand_index(truth, given.labels)
            if adjusted_rand_score is not None:
                assert abs(ari - adjusted_rand_score(truth, auto.labels)) < 1e-12
            rows.append({"encoder": enc, "seed": seed, "k chosen": auto.k,
                         "ARI (k chosen)": ari, "ARI (k=4)": ari4,
                         "silhouette at k=4": auto.criterion.get(4, np.nan),
                         "stability": np.nan if auto.stability is None else auto.stability,
                         "fit s": t1 - t0, "subtypes s": t2 - t1})
            print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1, float_format="%.3f"),
                  flush=True)
    frame = pd.DataFrame(rows)
    print(f"\n## subtypes on latent-subgroup data (n = {args.n}, B = {args.bootstraps})")
    print(frame.to_string(index=False, float_format="%.3f"))
    print("\nmean ARI by encoder:")
    print(frame.groupby("encoder")[["ARI (k chosen)", "ARI (k=4)"]].mean().to_string(float_format="%.3f"))


if __name__ == "__main__":
    main()
