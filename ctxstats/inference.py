"""Inference for contextualized GLMs: analytic covariances for the linear encoder, bootstrap
summaries for every encoder, and heterogeneity tests.

The statistics are computed by the C++ core (``csrc/inference/``), the same code the R
package calls: covariances, Wald statistics with their degrees of freedom, bootstrap standard
errors, percentile limits and percentile p-values, sign-flip shares and the bootstrap
heterogeneity test. This module names them and turns Wald statistics into p-values with
scipy's t, F, chi-squared and normal distributions; the results class formats the tables.
The numpy formulas the core replaced are kept as test oracles in
``tests/oracles/inference_numpy.py``.

Analytic inference (linear encoder)
-----------------------------------
With the linear encoder, theta_i = U [1; c_i] and the model is a GLM on the interaction
design z_i = [1; x_i] (x) [1; c_i] (Kronecker product; without an intercept [1; x_i] becomes
x_i) with coefficients b = vec(U) (row-major: b[k * (m+1) + l] multiplies x_ik * c_il).
Covariances of b are computed in the user's units on that design, read block by block, with
the conventions of statsmodels' ``OLS``/``WLS`` (gaussian; weights are precision weights) and
``GLM`` with ``var_weights`` (binomial, poisson; scale 1); see ``linear_covariance``.

The average effects are ``params = mean_i theta_i = (I_q (x) [1, cbar]) b`` with cbar the
mean context, a linear function of b, so their covariance follows exactly (the delta method
is exact for a linear map). They are conditional on the observed contexts, as statsmodels'
covariances are conditional on the design: the estimand is the average, over the samples at
hand, of each sample's coefficient.

Bootstrap inference (any encoder)
---------------------------------
``fit(n_bootstraps=B)`` refits the model on B multinomial resamples of the rows (see
``csrc/glm/bootstrap.hpp``) and keeps each replicate's encoder weights. Per-sample quantities
(intervals, the heterogeneity test, the sign-stability check) are derived on demand by the
core, which evaluates every replicate's encoder on chunks of samples, so memory stays
O(B x encoder weights + B x chunk).

Bootstrap p-values are percentile p-values, p = min(1, 2 (1 + min(#{b* <= 0}, #{b* >= 0}))
/ (B + 1)): they invert the percentile interval and are never below 2 / (B + 1). No z
statistic goes with them, so the bootstrap tables show none.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ctxstats import _core

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "bootstrap")
ANALYTIC_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster", "observed")

# Doubles per chunk of a block-wise computation (about 16 MB).
_CHUNK_DOUBLES = 1 << 21


@contextmanager
def blas_threads(threads: int, work: float):
    """Limit BLAS to ``threads`` (the fit's thread budget; 0 = all cores) while ``work``
    (a flop estimate) is large enough for BLAS to start threads of its own; the C++ core
    respects the same budget, so ctxstats never oversubscribes the cores."""
    # With a budget of every core, BLAS's own default (one thread per core) cannot
    # oversubscribe: skip threadpoolctl, whose scan of the loaded libraries costs milliseconds.
    if not threads or work < 1e7 or threads >= (os.cpu_count() or 1):
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(threads), user_api="blas"):
        yield


# ----------------------------------------------------------------------------------------
# choosing the kind of inference
# ----------------------------------------------------------------------------------------
def analytic_available(encoder: str, encoder_options: dict, options: dict) -> bool:
    """Analytic covariances exist for the unpenalised linear encoder without archetypes (the
    core decides, for both languages)."""
    return _core.analytic_available({**options, **encoder_options, "encoder": encoder})


def resolve_cov_type(cov_type, options: dict, n_bootstraps: int) -> str | None:
    """The covariance the results report: ``cov_type`` checked against what the fit with these
    (resolved) ``options`` allows.

    None picks "nonrobust" when analytic covariances exist, else "bootstrap" when there are
    replicates, else None (no standard errors). The core decides (``_core.resolve_cov_type``:
    the same rule and messages in R).
    """
    return _core.resolve_cov_type(cov_type, options, int(n_bootstraps))


# ----------------------------------------------------------------------------------------
# the interaction design and its coefficients in user units
# ----------------------------------------------------------------------------------------
def interaction_names(param_names: list[str], context_names: list[str]) -> list[str]:
    """Names of the interaction coefficients, in the order of b: for each parameter k, its
    value at zero context, then its slope in each context feature (formula-style names:
    ``x1``, ``x1:c1``; ``Intercept``, ``c1`` for the intercept)."""
    out = []
    for k in param_names:
        out.append(k)
        for c in context_names:
            out.append(c if k == "Intercept" else f"{k}:{c}")
    return out


def interaction_coefficients(weights: np.ndarray, scaling: dict, m: int, q: int) -> np.ndarray:
    """The linear encoder's weights mapped to the user's units by the core: U (q x (m+1))
    with theta_i = U [1; c_i] exactly as the core's predictions; for a B x n_weights matrix
    of replicate weights, B x q(m+1) (each row a replicate's vec(U))."""
    W = np.ascontiguousarray(weights, dtype=float)
    U = _core.interaction_coefficients(scaling, int(m), W)
    if W.ndim == 1 and U.shape != (q, m + 1):
        raise ValueError(f"the weights give U of shape {U.shape}, not ({q}, {m + 1})")
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


@dataclass
class LinearCovariance:
    """The covariance of the interaction coefficients b and what goes with it.

    Attributes
    ----------
    params : ndarray (D,)
        b = vec(U), user units.
    cov : ndarray (D, D)
        The covariance of b for ``cov_type``.
    cov_type : str
    scale : float
        Residual variance (gaussian: weighted SSR / df_resid) or 1.
    nobs, rank : int
        Rows and the rank of the interaction design.
    df_resid : float
        nobs - rank.
    df_denom : float
        Denominator degrees of freedom of F tests: df_resid, or G - 1 for ``cluster``.
    n_groups : int
        G, the number of clusters (``cluster``), else 0.
    use_t : bool
        t intervals and p-values (gaussian with nonrobust covariance) or normal ones (robust
        covariances and GLMs), as statsmodels' defaults.
    use_f : bool
        F rather than chi-squared Wald tests (gaussian, as statsmodels' ``f_test``).
    """

    params: np.ndarray
    cov: np.ndarray
    cov_type: str
    scale: float
    nobs: int
    rank: int
    df_resid: float
    use_t: bool
    use_f: bool
    df_denom: float = float("nan")
    n_groups: int = 0


def linear_covariance(X, C, y, weights, family: str, intercept: bool, b: np.ndarray,
                      cov_type: str, threads: int = 0, groups: np.ndarray | None = None,
                      quasi: bool = False) -> LinearCovariance:
    """Covariance of the interaction coefficients b of a linear-encoder fit, computed by the
    core (``csrc/inference/linear_inference.hpp``).

    With Z the interaction design, w the case weights, v_i the variance function at the fit
    (1 for gaussian), e_i = y_i - mu_i and H = Z' diag(w v) Z:

    - ``nonrobust``: scale * H^-1 (gaussian scale = sum w e^2 / (n - rank); GLM scale 1;
      ``quasi`` -- binomial or poisson fits with ``dispersion="pearson"`` -- the Pearson
      estimate sum w e^2 / v / (n - rank), t intervals and F tests, as R's ``summary.glm`` of a
      quasibinomial or quasipoisson fit);
    - ``HC0``: H^-1 [sum_i w_i^2 e_i^2 z_i z_i'] H^-1 (White's sandwich; for the canonical
      links of the GLM families w_i e_i z_i is the score of row i);
    - ``HC1``: HC0 * n / (n - rank);
    - ``HC2``, ``HC3``: row i's term divided by (1 - h_i) and (1 - h_i)^2, with the leverage
      h_i = w_i v_i z_i' H^-1 z_i;
    - ``cluster`` (``groups``: one integer code per row): H^-1 [sum_g s_g s_g'] H^-1 times
      G / (G - 1) * (n - 1) / (n - rank), s_g the sum of w_i e_i z_i over group g; normal
      intervals and F tests on G - 1 denominator degrees of freedom -- statsmodels'
      ``cov_type="cluster"`` with its defaults, for OLS/WLS and GLM alike.

    Gaussian fits match statsmodels' ``OLS``/``WLS`` for every type. For the GLM families
    ``nonrobust`` and ``HC0`` match statsmodels' ``GLM(var_weights=w)``; statsmodels returns
    the HC0 matrix for HC1-HC3 as well, whereas here they carry the small-sample
    corrections above (as R's sandwich::vcovHC does for glm fits).
    """
    if cov_type not in ANALYTIC_COV_TYPES:
        raise ValueError(f"cov_type must be one of {ANALYTIC_COV_TYPES}, not {cov_type!r}")
    b = np.ascontiguousarray(b, dtype=float)
    out = _core.linear_covariance(np.ascontiguousarray(C, dtype=float), np.ascontiguousarray(X, dtype=float),
                                  np.ascontiguousarray(y, dtype=float), weights, family, bool(intercept), b,
                                  cov_type, int(threads),
                                  None if groups is None else np.ascontiguousarray(groups, dtype=np.int64),
                                  bool(quasi))
    return linear_covariance_from(out, b)


def linear_covariance_from(out: dict, b: np.ndarray) -> LinearCovariance:
    """The core's covariance dict (``_core.linear_covariance`` or, for rows held in dask
    partitions, ``_core.linear_covariance_passes``) of interaction coefficients b."""
    return LinearCovariance(params=b, cov=out["cov"], cov_type=out["cov_type"], scale=float(out["scale"]),
                            nobs=int(out["nobs"]), rank=int(out["rank"]), df_resid=float(out["df_resid"]),
                            use_t=bool(out["use_t"]), use_f=bool(out["use_f"]), df_denom=float(out["df_denom"]),
                            n_groups=int(out["n_groups"]))


def cluster_codes(groups, cov_type: str | None, n: int) -> np.ndarray | None:
    """``groups`` (one cluster label per row) as integer codes for ``cov_type="cluster"``;
    None for other covariances, which take no groups. Names what is wrong."""
    if cov_type != "cluster":
        if groups is not None:
            raise ValueError(f"groups are used by cov_type='cluster' (or 'bootstrap' with replicates: the cluster "
                             f"bootstrap) only, not cov_type={cov_type!r}")
        return None
    if groups is None:
        raise ValueError("cov_type='cluster' needs groups: one cluster label per row")
    labels = groups if isinstance(groups, pd.Series) else pd.Series(np.asarray(groups).tolist()
                                                                    if np.ndim(groups) == 1 else [groups])
    if np.ndim(groups) != 1 or len(labels) != n:
        raise ValueError(f"groups must hold one label per row of the model's data ({n}), not shape {np.shape(groups)}")
    missing = labels.isna().to_numpy()
    if missing.any():
        raise ValueError(f"groups has missing labels (first at row {int(np.flatnonzero(missing)[0])})")
    codes, uniques = pd.factorize(labels, sort=False)
    if len(uniques) < 2:
        raise ValueError("cov_type='cluster' needs at least 2 distinct groups")
    return codes.astype(np.int64)


def average_effect_covariance(lc: LinearCovariance, C: np.ndarray, q: int) -> np.ndarray:
    """The covariance (q x q) of the average effects L b, L = I_q (x) [1, cbar]: L V L'."""
    return _core.average_effect_covariance(lc.cov, np.ascontiguousarray(C, dtype=float), int(q))


def heterogeneity_wald(lc: LinearCovariance, q: int, m: int, by: str) -> np.ndarray:
    """Wald tests that a coefficient's context interactions are all zero (``by="coefficient"``,
    one row per coefficient) or that a context feature modifies no coefficient
    (``by="context"``): rows (statistic, df, df_denom, pvalue).

    The core returns the statistic (R b)' (R V R')^+ (R b), divided by the number of
    restrictions J for the F form, with its degrees of freedom, as statsmodels' ``wald_test``
    (``f_test`` when ``use_f``); the p-value is scipy's F or chi-squared tail."""
    tab = _core.heterogeneity_wald(lc.params, lc.cov, int(q), int(m), by, lc.use_f, lc.df_denom)
    stat, df, df_denom = tab[:, 0], tab[:, 1], tab[:, 2]
    p = stats.f.sf(stat, df, df_denom) if lc.use_f else stats.chi2.sf(stat, df)
    return np.column_stack([stat, df, df_denom, p])


def coefficient_table(est: np.ndarray, se: np.ndarray, use_t: bool, df_resid: float, alpha: float) -> np.ndarray:
    """Columns: estimate, SE, statistic, p-value, lower, upper (t or normal)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    if use_t:
        p = 2 * stats.t.sf(np.abs(stat), df_resid)
        crit = stats.t.ppf(1 - alpha / 2, df_resid)
    else:
        p = 2 * stats.norm.sf(np.abs(stat))
        crit = stats.norm.ppf(1 - alpha / 2)
    return np.column_stack([est, se, stat, p, est - crit * se, est + crit * se])


def critical_value(use_t: bool, df_resid: float, alpha: float) -> float:
    return float(stats.t.ppf(1 - alpha / 2, df_resid) if use_t else stats.norm.ppf(1 - alpha / 2))


# ----------------------------------------------------------------------------------------
# bootstrap summaries
# ----------------------------------------------------------------------------------------
def check_alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"alpha must be a number in (0, 1), not {type(alpha).__name__}")
    a = float(alpha)
    if not 0.0 < a < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), not {alpha}")
    return a


def percentile_summary(samples: np.ndarray, alpha: float) -> dict:
    """Per column of ``samples`` (replicates in rows), from the core: ``se`` (standard
    deviation, ddof 1), ``lower`` and ``upper`` (the percentile interval: alpha/2 and
    1 - alpha/2 quantiles, numpy's linear interpolation), ``pvalue`` (the percentile p-value
    of "the quantity is 0", p = min(1, 2 (1 + min(#{b* <= 0}, #{b* >= 0})) / (B + 1)), which
    inverts the percentile interval) and ``pvalue_floor`` = 2 / (B + 1)."""
    return _core.percentile_summary(np.ascontiguousarray(samples, dtype=float), float(alpha))


def replicate_covariance(samples: np.ndarray) -> np.ndarray:
    """The covariance of the columns of ``samples`` over the replicates (ddof 1), from the core."""
    return _core.replicate_covariance(np.ascontiguousarray(samples, dtype=float))


def bootstrap_pass(options: dict, scaling: dict, replicate_weights: np.ndarray, C: np.ndarray,
                   theta: np.ndarray) -> dict:
    """One pass of the core over the samples: ``means`` (B x q, each replicate's average
    effects), ``sign_flip_share`` (per coefficient, the share of samples whose sign differs
    from the fit's in more than 10% of the replicates), and the bootstrap heterogeneity test
    (``het_statistic``, ``het_pvalue``).

    The heterogeneity test of H0 "coefficient k does not vary with context": with
    d_ik = theta_ik - mean_j theta_jk (the full-data fit's deviation of sample i's
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
    """
    return _core.bootstrap_pass(options, scaling, replicate_weights, np.ascontiguousarray(C, dtype=float),
                                np.ascontiguousarray(theta, dtype=float))


def column_spread(theta: np.ndarray, names) -> pd.DataFrame:
    """The spread of per-sample parameters over the samples, one row per parameter: ``mean``
    (the average effects), ``std`` (ddof 0), ``min``, ``25%``, ``50%``, ``75%``, ``max``
    (computed by the core, so R's ``coef`` and summary tables give the same numbers)."""
    spread = _core.column_spread(np.ascontiguousarray(theta, dtype=float))
    return pd.DataFrame(spread, index=list(names))
