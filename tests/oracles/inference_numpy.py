"""The numpy implementations of ctxstats' inference, kept as independent test oracles.

These are the formulas the Python package computed before the statistics moved into the C++
core (csrc/inference/); the tests hold the core's numbers against them (and against
statsmodels). They form the interaction design explicitly, block by block, invert with
numpy's eigen-decomposition and pinv, and summarise replicates with numpy's quantile -- a
different route to the same numbers.
"""
from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import expit

# The interaction design itself, block by block (data layout, not a statistic).
from ctxstats.inference import design_blocks

ANALYTIC_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")
# A sample's sign "flips" when it differs from the fit's in more than this share of replicates.
FLIP_RATE = 0.1


def interaction_coefficients(weights: np.ndarray, scaling: dict, m: int, q: int) -> np.ndarray:
    """The linear encoder's weights mapped to the user's units: U (q x (m+1)) with
    theta_i = U [1; c_i] exactly as the core's predictions.

    The core stores W' for the standardised problem: theta'_i = W' [1; c'_i] with
    c' = (c - c_mean) / c_scale, and maps theta' to user units by theta_to_original (an
    affine map per sample). Both steps are affine in c, so U follows column by column.
    """
    W = np.asarray(weights, dtype=float).reshape(q, m + 1)
    cm = np.asarray(scaling["c_mean"], dtype=float)
    cs = np.asarray(scaling["c_scale"], dtype=float)
    A = np.empty_like(W)
    A[:, 1:] = W[:, 1:] / cs
    A[:, 0] = W[:, 0] - W[:, 1:] @ (cm / cs)
    xm = np.asarray(scaling["x_mean"], dtype=float)
    xs = np.asarray(scaling["x_scale"], dtype=float)
    ys, ym = float(scaling["y_scale"]), float(scaling["y_mean"])
    off = 1 if scaling["intercept"] else 0
    U = np.empty_like(A)
    B = A[off:] / xs[:, None]
    U[off:] = ys * B
    if off:
        U[0] = ys * (A[0] - xm @ B)
        U[0, 0] += ym
    return U


def _mean_and_variance(family: str, eta: np.ndarray):
    if family == "gaussian":
        return eta, np.ones_like(eta)
    if family == "binomial":
        mu = expit(eta)
        return mu, mu * (1.0 - mu)
    mu = np.exp(eta)
    return mu, mu


def _pinv_sym(H: np.ndarray) -> tuple[np.ndarray, int]:
    """Pseudo-inverse and rank of a symmetric positive semi-definite matrix."""
    ev, V = np.linalg.eigh(H)
    tol = ev.max(initial=0.0) * H.shape[0] * np.finfo(float).eps * 10
    keep = ev > tol
    inv = (V[:, keep] / ev[keep]) @ V[:, keep].T
    return inv, int(keep.sum())


def linear_covariance(X, C, y, weights, family: str, intercept: bool, b: np.ndarray,
                      cov_type: str) -> dict:
    """Covariance of the interaction coefficients b of a linear-encoder fit (the formulas:
    ``ctxstats.inference.linear_covariance``), forming the design block by block and
    inverting with numpy's eigh; returns a dict of the same fields as the core's."""
    if cov_type not in ANALYTIC_COV_TYPES:
        raise ValueError(f"cov_type must be one of {ANALYTIC_COV_TYPES}, not {cov_type!r}")
    n = X.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    D = b.shape[0]
    H = np.zeros((D, D))
    meat = np.zeros((D, D))
    ssr = 0.0
    def blocks():  # (Z, w, v, e) block by block
        for s, Z in design_blocks(X, C, intercept):
            mu, v = _mean_and_variance(family, Z @ b)
            yield Z, w[s:s + Z.shape[0]], v, y[s:s + Z.shape[0]] - mu

    # pass 1: the bread, and the plain meat
    for Z, ws, v, e in blocks():
        H += (Z * (ws * v)[:, None]).T @ Z
        ssr += float(np.sum(ws * e * e))
        if cov_type in ("HC0", "HC1"):
            u = Z * (ws * e)[:, None]
            meat += u.T @ u
    Hinv, rank = _pinv_sym(H)
    df_resid = float(n - rank)
    gaussian = family == "gaussian"
    scale = ssr / df_resid if (gaussian and df_resid > 0) else (np.nan if gaussian else 1.0)
    if cov_type == "nonrobust":
        cov = scale * Hinv
    else:
        if cov_type in ("HC2", "HC3"):
            power = 1.0 if cov_type == "HC2" else 2.0
            for Z, ws, v, e in blocks():
                h = ws * v * np.einsum("ij,ij->i", Z @ Hinv, Z)
                with np.errstate(divide="ignore", invalid="ignore"):
                    adj = np.where(h < 1.0, 1.0 / (1.0 - h) ** power, np.inf)
                u = Z * (ws * e * np.sqrt(adj))[:, None]
                meat += u.T @ u
        cov = Hinv @ meat @ Hinv
        if cov_type == "HC1":
            cov *= n / df_resid if df_resid > 0 else np.nan
    cov = 0.5 * (cov + cov.T)
    return dict(params=b, cov=cov, cov_type=cov_type, scale=float(scale), nobs=n, rank=rank,
                df_resid=df_resid, use_t=gaussian and cov_type == "nonrobust", use_f=gaussian)


def average_effect_matrix(C: np.ndarray, q: int) -> np.ndarray:
    """L (q x q(m+1)) with params = L b: the average over samples of theta_i = U [1; c_i]."""
    a = np.concatenate([[1.0], C.mean(axis=0)])
    return np.kron(np.eye(q), a[None, :])


def wald_table(b: np.ndarray, cov: np.ndarray, restrictions: list[np.ndarray], use_f: bool,
               df_resid: float) -> np.ndarray:
    """Wald tests of R b = 0 for each R: rows (statistic, df, df_denom, pvalue).

    The statistic is (R b)' (R V R')^+ (R b), divided by the number of restrictions J for the
    F form; as statsmodels' ``wald_test`` (``f_test`` when use_f)."""
    out = np.full((len(restrictions), 4), np.nan)
    for j, R in enumerate(restrictions):
        r = R @ b
        V = R @ cov @ R.T
        stat = float(r @ np.linalg.pinv(V) @ r)
        J = R.shape[0]
        if use_f:
            stat /= J
            p = stats.f.sf(stat, J, df_resid)
            out[j] = (stat, J, df_resid, p)
        else:
            out[j] = (stat, J, np.nan, stats.chi2.sf(stat, J))
    return out


def percentile_interval(samples: np.ndarray, alpha: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval: the alpha/2 and 1 - alpha/2 quantiles (linear interpolation
    between order statistics, numpy's default) of the replicates along ``axis``."""
    lo, hi = np.quantile(samples, [alpha / 2, 1 - alpha / 2], axis=axis)
    return lo, hi


def percentile_pvalue(samples: np.ndarray, null: float = 0.0) -> np.ndarray:
    """Two-sided p-value by inverting the percentile interval:
    p = min(1, 2 (1 + min(#{b* <= null}, #{b* >= null})) / (B + 1)).

    A percentile interval at level 1 - alpha excludes ``null`` about when p < alpha. The
    +1 terms keep the p-value away from an impossible 0: it is never below 2 / (B + 1).
    """
    B = samples.shape[0]
    below = (samples <= null).sum(axis=0)
    above = (samples >= null).sum(axis=0)
    return np.minimum(1.0, 2.0 * (1.0 + np.minimum(below, above)) / (B + 1.0))


def bootstrap_heterogeneity(theta: np.ndarray, chunks, replicate_means: np.ndarray) -> np.ndarray:
    """Bootstrap test of H0 "coefficient k does not vary with context", for each k (the
    statistic, its null distribution and why it is valid: ``ctxstats.inference.bootstrap_pass``).

    Returns rows (statistic, df = nan, df_denom = nan, pvalue).
    """
    B, q = replicate_means.shape
    full_mean = theta.mean(axis=0)
    scale = np.abs(theta).max(axis=0) + 1e-300
    num = np.zeros(q)
    num_b = np.zeros((B, q))
    used = np.zeros(q)
    for s, tb in chunks:
        rows = tb.shape[1]
        d = theta[s:s + rows] - full_mean                     # rows x q
        db = tb - replicate_means[:, None, :]                 # B x rows x q
        sd = db.std(axis=0, ddof=1)                           # rows x q
        ok = sd > 1e-12 * scale
        inv = np.where(ok, 1.0 / np.where(ok, sd, 1.0), 0.0)
        num += ((d * inv) ** 2).sum(axis=0)
        num_b += (((db - d[None]) * inv[None]) ** 2).sum(axis=1)
        used += ok.sum(axis=0)
    out = np.full((q, 4), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        T = num / used
        Tb = num_b / used
    for k in range(q):
        if used[k] > 0:
            out[k, 0] = T[k]
            out[k, 3] = (1.0 + np.sum(Tb[:, k] >= T[k])) / (B + 1.0)
    return out


def sign_flip_share(theta: np.ndarray, thetas: np.ndarray) -> np.ndarray:
    """Per coefficient, the share of samples whose sign differs from the fit's (theta, n x q)
    in more than FLIP_RATE of the replicates (thetas, B x n x q)."""
    return ((np.sign(thetas) != np.sign(theta)[None]).mean(axis=0) > FLIP_RATE).mean(axis=0)
