"""Personalized regression with distance matching: cost in n, and coefficient recovery.

Two tables, printed as Markdown:

1. Fit time for n = 1,000, 10,000, 100,000 -- per epoch (a fixed number of epochs, so the
   growth in n is visible on its own) and for a default fit with early stopping.
2. Recovery of the per-sample coefficients (RMSE against the truth, over all samples and
   parameters) by the population GLM (statsmodels OLS), personalized regression, and the
   contextualized GLM with the ``ngam`` and ``mlp`` encoders, on the same data.

Designs (y = mu_i + x_i . beta_i + N(0, 0.5^2), two predictors, five context columns):
  groups  coefficients jump between four groups fixed by two binary columns (the other
          three are noise): theta = t0 + sex * d1 + smoker * d2;
  smooth  coefficients change smoothly with two continuous columns (three noise):
          theta = t0 + tanh(1.5 c1) * d1 + 0.5 c2 * d2.

    python benchmarks/bench_personalized.py                 # everything (about 10 minutes on 2 cores)
    python benchmarks/bench_personalized.py --quick         # n = 1,000 and 10,000; no 10,000 for neural encoders
"""
from __future__ import annotations

import argparse
import os
import time

# On a machine shared with other jobs, OpenMP threads that spin while waiting at a barrier
# lose their time slice to the other jobs, and a 2-thread run can be many times slower than
# a 1-thread one. Waiting passively avoids that; set OMP_WAIT_POLICY yourself to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import ctxstats as cs  # noqa: E402

CONTEXT = ["sex", "smoker", "age", "bmi", "income"]
T0 = np.array([1.0, 2.0, -1.0])
D1 = np.array([-0.5, -1.0, 3.0])
D2 = np.array([-2.0, -3.0, 2.0])


def make_data(design: str, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, 5))
    if design == "groups":
        C[:, 0] = rng.integers(0, 2, size=n)
        C[:, 1] = rng.integers(0, 2, size=n)
        theta = T0 + np.outer(C[:, 0], D1) + np.outer(C[:, 1], D2)
    else:
        theta = T0 + np.outer(np.tanh(1.5 * C[:, 0]), D1) + np.outer(0.5 * C[:, 1], D2)
    X = rng.normal(size=(n, 2))
    y = theta[:, 0] + (X * theta[:, 1:]).sum(axis=1) + 0.5 * rng.normal(size=n)
    return (pd.Series(y, name="y"), pd.DataFrame(X, columns=["x1", "x2"]),
            pd.DataFrame(C, columns=CONTEXT), theta)


def rmse(est: np.ndarray, theta: np.ndarray) -> float:
    return float(np.sqrt(((est - theta) ** 2).mean()))


def population_ols(y, X) -> np.ndarray:
    import statsmodels.api as sm

    return sm.OLS(y, sm.add_constant(X)).fit().params.to_numpy()


def timed_fit(model, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    res = model.fit(**kwargs)
    return res, time.perf_counter() - wall, time.process_time() - cpu


def timing_table(sizes, threads, epochs):
    """Per-epoch cost from fixed-length fits (1 thread: CPU time, insensitive to other load;
    and `threads` threads: wall time), then a default fit with early stopping."""
    rows = []
    for n in sizes:
        y, X, C, theta = make_data("groups", n)
        model = cs.PersonalizedRegression(y, X, C, rank=2, categorical=["sex", "smoker"])
        # The epochs alone (sample_models="latent"): the local GLMs after them are a one-time
        # O(n^2) pass, timed in the default fit's column.
        fixed = dict(seed=0, max_iter=epochs, warmup=epochs // 2, patience=epochs, sample_models="latent")
        one, wall1, cpu1 = timed_fit(model, threads=1, **fixed)
        many, wall_many, _ = timed_fit(model, threads=threads, **fixed)
        assert np.array_equal(one.flat_params, many.flat_params)
        res, wall_full, _ = timed_fit(model, seed=0, threads=threads)
        rows.append({"n": n, "CPU ms/epoch (1 thread)": 1e3 * cpu1 / one.n_iter,
                     "wall ms/epoch (1 thread)": 1e3 * wall1 / one.n_iter,
                     f"wall ms/epoch ({threads} threads)": 1e3 * wall_many / many.n_iter,
                     "default fit wall (s)": wall_full, "epochs (early stop)": res.n_iter,
                     "coef RMSE": rmse(res.sample_params.to_numpy(), theta),
                     "population RMSE": rmse(res.population_params.to_numpy(), theta),
                     "top-2 metric": "+".join(res.metric_weights.sort_values(ascending=False).index[:2])})
        print(f"  timing n={n}: {rows[-1]}", flush=True)
    frame = pd.DataFrame(rows)
    per_epoch = frame["CPU ms/epoch (1 thread)"].to_numpy()
    frame["CPU growth vs previous n"] = np.r_[np.nan, per_epoch[1:] / per_epoch[:-1]]
    return frame


def recovery_table(sizes, threads, neural_max_n, designs):
    rows = []
    for design in designs:
        for n in sizes:
            y, X, C, theta = make_data(design, n)
            row = {"design": design, "n": n}
            row["population GLM"] = rmse(population_ols(y, X), theta)
            t = time.perf_counter()
            cat = ["sex", "smoker"] if design == "groups" else None
            res = cs.PersonalizedRegression(y, X, C, rank=2, categorical=cat).fit(seed=0, threads=threads)
            row["personalized"] = rmse(res.sample_params.to_numpy(), theta)
            row["personalized (s)"] = time.perf_counter() - t
            row["metric weights"] = " ".join(f"{v:.2f}" for v in res.metric_weights)
            for enc in ("ngam", "mlp"):
                if n > neural_max_n:
                    row[enc] = np.nan
                    row[f"{enc} (s)"] = np.nan
                    continue
                t = time.perf_counter()
                r = cs.ContextualizedRegression(y, X, C, encoder=enc).fit(seed=0, threads=threads)
                row[enc] = rmse(r.sample_params.to_numpy(), theta)
                row[f"{enc} (s)"] = time.perf_counter() - t
            rows.append(row)
            print(f"  recovery {design} n={n}: " + ", ".join(f"{k}={v:.3f}" for k, v in row.items()
                                                             if isinstance(v, float) and not np.isnan(v)), flush=True)
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "-" if np.isnan(v) else f"{v:.3g}"
        return str(v)
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule] + body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="n up to 10,000; neural encoders only at 1,000")
    parser.add_argument("--epochs", type=int, default=100, help="epochs for the per-epoch timing")
    parser.add_argument("--neural-max-n", type=int, default=10_000,
                        help="largest n for the ngam/mlp fits (they take minutes at 10,000)")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    neural_max_n = 1_000 if args.quick else args.neural_max_n
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"threads={args.threads}, cores={os.cpu_count()}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
          f"load average at start {load:.1f}\n", flush=True)

    timing = timing_table(sizes, args.threads, args.epochs)
    recovery = recovery_table([s for s in sizes if s <= 10_000] + ([100_000] if 100_000 in sizes else []),
                              args.threads, neural_max_n, ["groups", "smooth"])
    print("\n### Fit time (design 'groups', rank 2, 5 partners per sample)\n")
    print(markdown(timing))
    print("\n### Coefficient recovery: RMSE of per-sample coefficients against the truth\n")
    print(markdown(recovery))


if __name__ == "__main__":
    main()
