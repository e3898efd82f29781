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

ANALYTIC_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")
# Doubles per chunk of a block-wise computation (about 16 MB).
_CHUNK_DOUBLES = 1 << 21
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


def _chunk_rows(width: int, n: int) -> int:
    return int(max(1, min(n, _CHUNK_DOUBLES // max(1, width))))


def design_blocks(X: np.ndarray, C: np.ndarray, intercept: bool):
    """Yield (start, Z_block) of the interaction design [1, x] (x) [1, c], block by block."""
    n = X.shape[0]
    q = X.shape[1] + (1 if intercept else 0)
    D = q * (C.shape[1] + 1)
    step = _chunk_rows(D, n)
    for s in range(0, n, step):
        Xb, Cb = X[s:s + step], C[s:s + step]
        rows = Xb.shape[0]
        Xt = np.column_stack([np.ones(rows), Xb]) if intercept else Xb
        Ct = np.column_stack([np.ones(rows), Cb])
        yield s, (Xt[:, :, None] * Ct[:, None, :]).reshape(rows, D)


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
    """Covariance of the interaction coefficients b of a linear-encoder fit.

    With Z the interaction design, w the case weights, v_i the variance function at the fit
    (1 for gaussian), e_i = y_i - mu_i and H = Z' diag(w v) Z:

    - ``nonrobust``: scale * H^-1 (gaussian scale = sum w e^2 / (n - rank); GLM scale 1);
    - ``HC0``: H^-1 [sum_i w_i^2 e_i^2 z_i z_i'] H^-1 (White's sandwich; for the canonical
      links of the GLM families w_i e_i z_i is the score of row i);
    - ``HC1``: HC0 * n / (n - rank);
    - ``HC2``, ``HC3``: row i's term divided by (1 - h_i) and (1 - h_i)^2, with the leverage
      h_i = w_i v_i z_i' H^-1 z_i.

    Gaussian fits match statsmodels' ``OLS``/``WLS`` for every type. For the GLM families
    ``nonrobust`` and ``HC0`` match statsmodels' ``GLM(var_weights=w)``; statsmodels returns
    the HC0 matrix for HC1-HC3 as well, whereas here they carry the small-sample
    corrections above (as R's sandwich::vcovHC does for glm fits).
    """
    if cov_type not in ANALYTIC_COV_TYPES:
        raise ValueError(f"cov_type must be one of {ANALYTIC_COV_TYPES}, not {cov_type!r}")
    n = X.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    D = b.shape[0]
    H = np.zeros((D, D))
    meat = np.zeros((D, D))
    ssr = 0.0
    # pass 1: the bread, and the plain meat
    for s, Z in design_blocks(X, C, intercept):
        rows = Z.shape[0]
        eta = Z @ b
        mu, v = _mean_and_variance(family, eta)
        ws = w[s:s + rows]
        e = y[s:s + rows] - mu
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
            for s, Z in design_blocks(X, C, intercept):
                rows = Z.shape[0]
                eta = Z @ b
                mu, v = _mean_and_variance(family, eta)
                ws = w[s:s + rows]
                e = y[s:s + rows] - mu
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
    """Bootstrap test of H0 "coefficient k does not vary with context", for each k.

    With d_ik = theta_ik - mean_j theta_jk (the full-data fit's deviation of sample i's
    coefficient from the average) and d*_bik the same for replicate b, let s_ik be the
    bootstrap standard deviation of d*_bik over b. The statistic is

        T_k = mean_i (d_ik / s_ik)^2,

    and its null distribution is approximated by T*_bk = mean_i ((d*_bik - d_ik) / s_ik)^2:
    the bootstrap approximates the law of (d-hat - d) by that of (d* - d-hat), and under H0
    d = 0, so d-hat is distributed as d-hat - d. p = (1 + #{T*_b >= T}) / (B + 1).
    Samples with s_ik = 0 (no bootstrap variation) are left out.

    Why it is valid: the test is the bootstrap test of a (studentised, squared) distance of
    the fitted coefficient function from the constant functions. When the bootstrap
    distribution of d* - d-hat approximates the sampling distribution of d-hat - d -- true
    asymptotically for the linear encoder, a smooth finite-dimensional M-estimator -- T*
    approximates the null distribution of T and the p-value has the nominal level (with
    the linear encoder and m = 1, T reduces to w^2 / var*(w), a symmetric bootstrap test of
    the single interaction w). For neural encoders the bootstrap is a heuristic: the
    replicates start from the fit's weights (warm start) and keep optimising, so they move
    by optimisation as well as by resampling, and a flexible encoder fitted to a resample
    (with its tied rows) varies more between replicates than the fit does around the truth.
    Both make the test conservative, never liberal: in the simulations of
    tests/simstudies.py (mlp, width 8, one hidden layer, tanh, n = 200, B = 50) it rejected
    none of 100 null replicates at the 5% level, and its power was 21% against a slope of
    0.4 in one context feature and 97% against a slope of 0.8 (the linear encoder's Wald
    test has 90% power against 0.4 with n = 100). A permutation test was not used because
    permuting the contexts tests the global null that no coefficient varies, not the
    per-coefficient one.

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
