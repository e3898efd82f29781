"""Personalized regression on the threshold subgroups of subgroups_personalized.py, over rank
K = 1..4 and two seeds: coefficient RMSE of the local sample models and of the latent ones
(theta_bar + Q' z_i), held-out deviance, chosen k, refined and matching metric weights.

    python benchmarks/ranks_personalized.py        # about a minute on 2 cores
"""
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctxstats as cs  # noqa: E402
from subgroups_personalized import deviance, rmse, split, subgroups  # noqa: E402


def main():
    warnings.simplefilter("ignore")
    y, X, C, theta = subgroups(2000)
    tr, te = split(2000)
    print("rank seed | RMSE local | RMSE latent | held-out deviance | k | metric (refined) | metric (matching)")
    for rank in (1, 2, 3, 4):
        for seed in (0, 1):
            r = cs.PersonalizedRegression(y[tr], X[tr], C[tr], rank=rank).fit(seed=seed)
            print(f"{rank} {seed} | {rmse(r.sample_params, theta[tr]):.3f} | {rmse(r.latent_params, theta[tr]):.3f} | "
                  f"{deviance('gaussian', y[te], r.predict(X[te], C[te])):.3f} | {r.local_neighbors} | "
                  f"{r.metric_weights.round(2).to_numpy()} | {r.matching_weights.round(2).to_numpy()}", flush=True)


if __name__ == "__main__":
    main()
