"""Heteroskedastic fits (scale='context', spline encoder) against mgcv's location-scale family
gaulss, side by side (issue 18 item 1).

Simulated data where both the coefficients and the noise SD vary with one context c:

    c ~ U(-2, 2), x ~ N(0, 1),
    y = mu(c) + x beta(c) + sigma(c) e,   mu(c) = cos(c), beta(c) = 1 + sin(1.5 c),
    log sigma(c) = -0.5 + 0.7 sin(c) + 0.2 c^2.

Both fit the same model: ctxstats ``ContextualizedGLM(y, x, c, encoder="spline",
scale="context")`` (cubic P-splines, smoothing parameters by PQL-REML, see
csrc/glm/location_scale.hpp) and mgcv
``gam(list(y ~ s(c, by = x) + s(c), ~ s(c)), family = gaulss())`` (REML; its default
thin-plate basis, k = 10, and its default b = 0.01 in the scale link log(sigma - b), as a user
would call it). Per replicate the script reports each fit's wall time and its RMSE against the
true functions over the training samples: the coefficient functions (mu and beta pooled) and
log sigma; and the coverage of 95% prediction intervals on held-out rows (ctxstats: its
observation intervals with sigma(c); gaulss: mu +- 1.96 sigma from its predictions; and the
homoskedastic ctxstats spline fit, whose coverage fails where the noise is large). R runs
embedded through rpy2 (needs R, mgcv and rpy2).

    python benchmarks/bench_location_scale.py [--n 5000] [--reps 10] [--threads 1]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import ctxstats as cs


def simulate(n: int, seed: int) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    c = rng.uniform(-2, 2, size=n)
    x = rng.normal(size=n)
    mu, beta = np.cos(c), 1 + np.sin(1.5 * c)
    log_sigma = -0.5 + 0.7 * np.sin(c) + 0.2 * c ** 2
    y = mu + x * beta + np.exp(log_sigma) * rng.normal(size=n)
    return pd.DataFrame({"c": c, "x": x, "y": y}), {"theta": np.column_stack([mu, beta]), "log_sigma": log_sigma}


def rmse(a, b) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


GAULSS = ("g <- mgcv::gam(list(y ~ s(c, by = x) + s(c), ~ s(c)), family = mgcv::gaulss(), data = d, "
          "method = 'REML')")
# theta: (mu, beta) per training row; log sigma per row; and mean, sigma at the held-out rows
GAULSS_OUT = ("lp <- predict(g, data.frame(c = d$c, x = 1), type = 'terms'); "
              "eta <- predict(g, d); pn <- predict(g, dn); "
              "list(theta = cbind(coef(g)[[1]] + lp[, 's(c)'], lp[, 's(c):x']), "
              "log_sigma = log(0.01 + exp(eta[, 2])), mean_new = pn[, 1], sigma_new = 0.01 + exp(pn[, 2]))")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import rpy2.robjects as ro
    from rpy2.robjects import numpy2ri
    from ctxstats.r import to_r

    ro.r("invisible(loadNamespace('mgcv'))")
    rows = []
    for rep in range(args.reps):
        df, truth = simulate(args.n, 1000 + rep)
        new, truth_new = simulate(args.n, 2000 + rep)
        # ctxstats, heteroskedastic
        t0 = time.perf_counter()
        res = cs.ContextualizedGLM(df["y"], df[["x"]], df[["c"]], encoder="spline", n_knots=10,
                                   scale="context").fit(threads=args.threads)
        t_cs = time.perf_counter() - t0
        pi = res.get_prediction(exog=new[["x"]], context=new[["c"]]).conf_int(obs=True)
        cover_cs = np.mean((pi[:, 0] <= new["y"]) & (new["y"] <= pi[:, 1]))
        # ctxstats, homoskedastic (one residual variance): its prediction intervals
        hom = cs.ContextualizedGLM(df["y"], df[["x"]], df[["c"]], encoder="spline", n_knots=10).fit(
            threads=args.threads)
        eta = hom.predict(exog=new[["x"]], context=new[["c"]])
        half = 1.959963984540054 * np.sqrt(hom.scale)
        cover_hom = np.mean(np.abs(new["y"] - eta) <= half)
        noisy = truth_new["log_sigma"] > np.quantile(truth_new["log_sigma"], 0.8)
        cover_hom_noisy = np.mean((np.abs(new["y"] - eta) <= half)[noisy])
        cover_cs_noisy = np.mean(((pi[:, 0] <= new["y"]) & (new["y"] <= pi[:, 1]))[noisy])
        # mgcv gaulss
        ro.globalenv["d"] = to_r(df)
        ro.globalenv["dn"] = to_r(new[["c", "x"]])
        t0 = time.perf_counter()
        ro.r(GAULSS)
        t_g = time.perf_counter() - t0
        with (ro.default_converter + numpy2ri.converter).context():
            out = ro.r(GAULSS_OUT)
            g_theta, g_ls = np.asarray(out["theta"]), np.asarray(out["log_sigma"])
            g_mean, g_sigma = np.asarray(out["mean_new"]), np.asarray(out["sigma_new"])
        cover_g = np.mean(np.abs(new["y"] - g_mean) <= 1.959963984540054 * g_sigma)
        rows.append({
            "rep": rep, "time_ctxstats": t_cs, "time_gaulss": t_g,
            "coef_rmse_ctxstats": rmse(res.sample_params.to_numpy(), truth["theta"]),
            "coef_rmse_gaulss": rmse(g_theta, truth["theta"]),
            "logsd_rmse_ctxstats": rmse(np.log(res.sample_scale), truth["log_sigma"]),
            "logsd_rmse_gaulss": rmse(g_ls, truth["log_sigma"]),
            "cover_ctxstats": cover_cs, "cover_gaulss": cover_g, "cover_homoskedastic": cover_hom,
            "cover_ctxstats_noisy20": cover_cs_noisy, "cover_homoskedastic_noisy20": cover_hom_noisy,
            "converged": res.converged,
        })
        r = rows[-1]
        print(f"rep {rep}: time {t_cs:.3f}s vs {t_g:.3f}s; coef RMSE {r['coef_rmse_ctxstats']:.4f} vs "
              f"{r['coef_rmse_gaulss']:.4f}; log-SD RMSE {r['logsd_rmse_ctxstats']:.4f} vs "
              f"{r['logsd_rmse_gaulss']:.4f}; 95% PI coverage {cover_cs:.3f} (gaulss {cover_g:.3f}, "
              f"homoskedastic {cover_hom:.3f}; noisiest 20%: {cover_cs_noisy:.3f} vs {cover_hom_noisy:.3f})",
              flush=True)
    tab = pd.DataFrame(rows)
    print()
    print(f"n = {args.n}, {args.reps} replicates, threads = {args.threads}; medians:")
    med = tab.median(numeric_only=True)
    print(f"  time: ctxstats {med['time_ctxstats']:.3f}s, gaulss {med['time_gaulss']:.3f}s, "
          f"speed-up {med['time_gaulss'] / med['time_ctxstats']:.1f}x "
          f"(median of per-replicate ratios {np.median(tab['time_gaulss'] / tab['time_ctxstats']):.1f}x)")
    for what in ("coef", "logsd"):
        ratio = tab[f"{what}_rmse_ctxstats"] / tab[f"{what}_rmse_gaulss"]
        print(f"  {what} RMSE: ctxstats {med[f'{what}_rmse_ctxstats']:.4f}, gaulss {med[f'{what}_rmse_gaulss']:.4f}; "
              f"ratio median {ratio.median():.3f}, mean-RMSE ratio "
              f"{tab[f'{what}_rmse_ctxstats'].mean() / tab[f'{what}_rmse_gaulss'].mean():.3f}, max {ratio.max():.3f}")
    print(f"  95% PI coverage (mean): ctxstats {tab['cover_ctxstats'].mean():.3f}, gaulss "
          f"{tab['cover_gaulss'].mean():.3f}, homoskedastic {tab['cover_homoskedastic'].mean():.3f}; noisiest 20% "
          f"of contexts: ctxstats {tab['cover_ctxstats_noisy20'].mean():.3f}, homoskedastic "
          f"{tab['cover_homoskedastic_noisy20'].mean():.3f}")
    print(f"  converged: {int(tab['converged'].sum())} of {len(tab)}")


if __name__ == "__main__":
    main()
