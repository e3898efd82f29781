"""Inference for the spline context encoder (``encoder="spline"``).

With the spline encoder every coefficient is an additive function of the context,

    theta_k(c) = w_k0 + sum_l f_kl(c_l) [+ sum_t g_kt(c_a, c_b)],

each ``f_kl`` a cubic B-spline with a second-difference (P-spline) penalty, centred over the
fitted data (mgcv's sum-to-zero constraint), and each smoothing parameter chosen by REML
(Wood 2011; the default) or GCV (``method="GCV"``, mgcv's "GCV.Cp") unless fixed by hand. The model is linear in its weights, so the fit is a
penalised GLM and mgcv's Bayesian covariance applies:

    Vp = (Z'WZ + S_lambda)^-1 * scale,

from which this module forms pointwise intervals for every coefficient function, Wald tests
of heterogeneity with an edf-based reference (after Wood 2013, as mgcv's ``summary.gam``
does), concurvity between context features and the identifiability report. Every function
takes a fitted :class:`~ctxstats.models.ContextualizedGLMResults` whose model used
``encoder="spline"``.

Nychka (1988) and Marra & Wood (2012) explain why pointwise intervals from ``Vp`` have close
to nominal coverage *averaged over the covariate values*, not at every single point.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ctxstats import _core
from ctxstats._validation import check_float, check_int

__all__ = [
    "smooth_terms",
    "coefficient_functions",
    "coefficient_surfaces",
    "sample_params_se",
    "sample_conf_int",
    "heterogeneity_tests",
    "concurvity",
    "identifiability",
    "cov_params",
    "summary_parts",
]


# ---- internals --------------------------------------------------------------------------------

def _fit(results) -> dict:
    fit = getattr(results, "spline_fit", None)
    if fit is None or "smoothing" not in fit:
        raise ValueError("these results are not from a model with encoder='spline' fitted by the exact solver")
    return fit


def _theta_map(results) -> np.ndarray:
    """G (q x q) with theta_user = G theta_internal + (y_mean on the intercept)."""
    sc = results.scaling
    q = len(results.model.param_names)
    ys = float(sc["y_scale"])
    xm, xs = np.asarray(sc["x_mean"]), np.asarray(sc["x_scale"])
    off = 1 if results.model.fit_intercept else 0
    G = np.zeros((q, q))
    for j in range(len(xs)):
        G[off + j, off + j] = ys / xs[j]
    if off:
        G[0, 0] = ys
        G[0, 1:] = -ys * xm / xs
    return G


def _layout(results):
    fit = _fit(results)
    terms = fit["layout"]["terms"]
    nb = int(fit["layout"]["size"])
    return terms, nb


def _term_label(results, term: dict) -> str:
    names = results.model.context_names
    if term["kind"] == "tensor":
        return f"{names[term['feature1']]}:{names[term['feature2']]}"
    if term["kind"] == "constant":
        return "(constant)"
    return names[term["feature1"]]


def _basis(results, context) -> np.ndarray:
    return _core.spline_basis(results.options, results.scaling, np.ascontiguousarray(context, dtype=float))


def _weights(results) -> np.ndarray:
    q = len(results.model.param_names)
    return np.asarray(results.weights).reshape(q, -1)


def _edf_matrices(results):
    """F = (H + S)^-1 H (so that tr(F) is the edf) from Vp and H."""
    sm = _fit(results)["smoothing"]
    Vp, H = np.asarray(sm["Vp"]), np.asarray(sm["H"])
    return Vp @ H / sm["scale"]


def cov_params(results, which: str = "Vp") -> np.ndarray:
    """The covariance of the encoder weights on the core's internal scale.

    Parameters
    ----------
    which : {"Vp", "Ve"}
        ``Vp`` = (Z'WZ + S)^-1 * scale, the Bayesian covariance (mgcv's ``Vp``), whose
        intervals include the smoothing bias; ``Ve`` = Vp Z'WZ Vp / scale, the frequentist
        covariance of the penalised estimator (mgcv's ``Ve``).
    """
    sm = _fit(results)["smoothing"]
    Vp = np.asarray(sm["Vp"])
    if which == "Vp":
        return Vp.copy()
    if which == "Ve":
        return Vp @ np.asarray(sm["H"]) @ Vp / sm["scale"]
    raise ValueError(f"which must be 'Vp' or 'Ve', not {which!r}")


def _reference(results):
    """(df_resid, use F) of the Wald tests: F with the residual df when the scale is estimated."""
    sm = _fit(results)["smoothing"]
    estimated = results.model.family == "gaussian"
    return max(sm["n"] - sm["edf_total"], 1.0), estimated


def _wald(gamma: np.ndarray, V: np.ndarray, rank: float, df_resid: float, use_f: bool):
    """Wald statistic gamma' V^{r-} gamma with V's pseudo-inverse truncated to rank r (an
    integer between 1 and len(gamma)), and its p-value."""
    r = int(min(max(round(rank), 1), len(gamma)))
    ev, U = np.linalg.eigh((V + V.T) / 2)
    order = np.argsort(ev)[::-1][:r]
    ev, U = ev[order], U[:, order]
    keep = ev > ev.max() * 1e-12 if ev.size and ev.max() > 0 else np.zeros(0, bool)
    if not keep.any():
        return np.nan, np.nan, r
    z = U[:, keep].T @ gamma
    stat = float(np.sum(z ** 2 / ev[keep]))
    if use_f:
        p = float(stats.f.sf(stat / r, r, df_resid))
        return stat / r, p, r
    return stat, float(stats.chi2.sf(stat, r)), r


def _contrast(results, k: int, terms: list):
    """The coefficients gamma of coefficient k's smooth terms in the user's units (a linear map
    L of the weights: gamma = sum_k' G[k, k'] W[k', cols]) and their covariance L Vp L'."""
    G = _theta_map(results)
    _, nb = _layout(results)
    q = G.shape[0]
    cols = np.concatenate([np.arange(t["offset"], t["offset"] + t["size"]) for t in terms])
    L = np.zeros((cols.size, q * nb))
    for kp in range(q):
        if G[k, kp] != 0.0:
            L[np.arange(cols.size), kp * nb + cols] = G[k, kp]
    return L @ np.asarray(results.weights), L @ cov_params(results, "Vp") @ L.T


# ---- public -----------------------------------------------------------------------------------

def smooth_terms(results) -> pd.DataFrame:
    """One row per smooth term (coefficient x context feature, or tensor interaction).

    Columns: ``coefficient``, ``context``, ``edf`` (effective degrees of freedom, the trace of
    the term's block of (Z'WZ + S)^-1 Z'WZ), ``ref_df`` (mgcv's alternative edf,
    tr(2F - F^2) over the block, used as the rank of the Wald test), ``smoothing`` (the
    smoothing parameter(s), on the core's standardised scale), ``statistic`` and ``p_value``
    of the Wald test that the term is zero (F with the residual df for gaussian, chi-square
    otherwise; see :func:`heterogeneity_tests`).

    This is the table to print in ``summary()`` under "Smooth terms".
    """
    fit = _fit(results)
    sm = fit["smoothing"]
    terms, nb = _layout(results)
    names = results.model.param_names
    F = _edf_matrices(results)
    F2 = F @ F
    lam = np.asarray(sm["smoothing"])
    pen_out, pen_term = np.asarray(sm["penalty_output"]), np.asarray(sm["penalty_term"])
    df_resid, use_f = _reference(results)
    rows = []
    for k, name in enumerate(names):
        for t, term in enumerate(terms):
            if term["kind"] not in ("smooth", "tensor"):
                continue
            idx = k * nb + np.arange(term["offset"], term["offset"] + term["size"])
            ref_df = float(np.trace(2 * F[np.ix_(idx, idx)] - F2[np.ix_(idx, idx)]))
            gamma, V = _contrast(results, k, [term])
            stat, p, _ = _wald(gamma, V, ref_df, df_resid, use_f)
            sp = lam[(pen_out == k) & (pen_term == t)]
            rows.append({
                "coefficient": name, "context": _term_label(results, term),
                "edf": float(np.asarray(sm["edf"])[k, t]), "ref_df": ref_df,
                "smoothing": float(sp[0]) if sp.size == 1 else tuple(float(v) for v in sp),
                "statistic": stat, "p_value": p,
            })
    return pd.DataFrame(rows)


def heterogeneity_tests(results) -> pd.DataFrame:
    """Does each coefficient vary with context at all?

    For coefficient k the null hypothesis is theta_k(c) = constant, i.e. every smooth term of
    coefficient k is zero. The Wald statistic gamma' Vp^{r-} gamma uses the rank-r
    pseudo-inverse of the terms' Bayesian covariance with r = round(sum of the terms'
    reference df) (Wood 2013 treats non-integer r exactly; rounding is the approximation made
    here). For gaussian fits the statistic divided by r is referred to F(r, n - edf), otherwise
    the statistic to chi-square(r). Per (coefficient, context feature) tests are the
    ``statistic`` and ``p_value`` columns of :func:`smooth_terms`.

    Returns
    -------
    pandas.DataFrame
        Indexed by coefficient: ``edf`` (of its smooth terms), ``ref_df``, ``statistic``,
        ``p_value``.
    """
    sm = _fit(results)["smoothing"]
    terms, nb = _layout(results)
    smooth = [(t, term) for t, term in enumerate(terms) if term["kind"] in ("smooth", "tensor")]
    F = _edf_matrices(results)
    F2 = F @ F
    df_resid, use_f = _reference(results)
    rows = {}
    for k, name in enumerate(results.model.param_names):
        idx = np.concatenate([k * nb + np.arange(term["offset"], term["offset"] + term["size"]) for _, term in smooth])
        ref_df = float(np.trace(2 * F[np.ix_(idx, idx)] - F2[np.ix_(idx, idx)]))
        gamma, V = _contrast(results, k, [term for _, term in smooth])
        stat, p, _ = _wald(gamma, V, ref_df, df_resid, use_f)
        edf = float(sum(np.asarray(sm["edf"])[k, t] for t, _ in smooth))
        rows[name] = {"edf": edf, "ref_df": ref_df, "statistic": stat, "p_value": p}
    return pd.DataFrame.from_dict(rows, orient="index")


def sample_params_se(results, context=None) -> pd.DataFrame:
    """Pointwise standard errors of every sample's coefficients theta_k(c_i) under Vp.

    Parameters
    ----------
    context : array_like or DataFrame, optional
        Contexts to evaluate at (default: the fitted samples).
    """
    _fit(results)
    if context is None:
        C, index = results.model.context, results.model.row_labels
    else:
        C, _ = results._new_context(context)
        index = context.index if isinstance(context, (pd.DataFrame, pd.Series)) else None
    B = _basis(results, C)
    G = _theta_map(results)
    q, nb = G.shape[0], B.shape[1]
    Vp = cov_params(results, "Vp").reshape(q, nb, q, nb)
    se = np.empty((B.shape[0], q))
    for k in range(q):
        ks = np.nonzero(G[k])[0]
        # Cov of sum_k' G[k,k'] W_k' b = sum_{k',k''} G G b' Vp[k',:,k'',:] b.
        M = np.zeros((nb, nb))
        for a in ks:
            for c in ks:
                M += G[k, a] * G[k, c] * Vp[a, :, c, :]
        se[:, k] = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", B, M, B), 0.0))
    return pd.DataFrame(se, columns=results.model.param_names, index=index)


def sample_conf_int(results, context=None, alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pointwise (1 - alpha) intervals theta_k(c_i) +- z se (Bayesian, from Vp).

    Returns the lower and upper bounds as two DataFrames shaped like ``sample_params``.
    """
    alpha = check_float(alpha, "alpha", 0.0, 1.0, low_open=True, high_open=True)
    se = sample_params_se(results, context)
    theta = results.sample_params if context is None else results.predict_params(context)
    z = stats.norm.ppf(1 - alpha / 2)
    return theta - z * se.to_numpy(), theta + z * se.to_numpy()


def coefficient_functions(results, n_points: int = 100, alpha: float = 0.05) -> pd.DataFrame:
    """Every coefficient's smooth function of every context feature, with pointwise bands.

    For coefficient k and context feature l this is f_kl (in the user's units, centred to mean
    zero over the fitted samples, as mgcv plots smooths) on ``n_points`` values spanning the
    fitted range of feature l, with pointwise (1 - alpha) Bayesian intervals. Tensor-product
    interaction terms are surfaces over their pair of features: see
    :func:`coefficient_surfaces`.

    Returns
    -------
    pandas.DataFrame
        Long format: ``coefficient``, ``context``, ``value`` (of the context feature),
        ``estimate``, ``se``, ``lower``, ``upper``. Plot one panel per (coefficient, context).
    """
    _fit(results)
    n_points = check_int(n_points, "n_points", 2)
    alpha = check_float(alpha, "alpha", 0.0, 1.0, low_open=True, high_open=True)
    z = stats.norm.ppf(1 - alpha / 2)
    terms, nb = _layout(results)
    G = _theta_map(results)
    q = G.shape[0]
    Vp = cov_params(results, "Vp")
    W = _weights(results)
    Cfit = results.model.context
    names = results.model.param_names
    out = []
    for term in terms:
        if term["kind"] != "smooth":
            continue
        l = term["feature1"]
        grid = np.linspace(Cfit[:, l].min(), Cfit[:, l].max(), n_points)
        C = np.tile(Cfit.mean(axis=0), (n_points, 1))
        C[:, l] = grid
        cols = np.arange(term["offset"], term["offset"] + term["size"])
        B = _basis(results, C)[:, cols]
        for k, name in enumerate(names):
            # f = sum_k' G[k,k'] B W[k', cols]; its Jacobian in the weights J (n_points x D).
            J = np.zeros((n_points, q * nb))
            for kp in range(q):
                if G[k, kp] != 0.0:
                    J[:, kp * nb + cols] = G[k, kp] * B
            est = J @ W.reshape(-1)
            se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, Vp, J), 0.0))
            out.append(pd.DataFrame({"coefficient": name, "context": results.model.context_names[l],
                                     "value": grid, "estimate": est, "se": se,
                                     "lower": est - z * se, "upper": est + z * se}))
    return pd.concat(out, ignore_index=True)


def _pair_grid(results, l1: int, l2: int, n_points: int):
    """n_points^2 contexts over the fitted ranges of features l1 x l2 (l1 varying slowest),
    every other feature at its mean."""
    Cfit = results.model.context
    g1 = np.linspace(Cfit[:, l1].min(), Cfit[:, l1].max(), n_points)
    g2 = np.linspace(Cfit[:, l2].min(), Cfit[:, l2].max(), n_points)
    C = np.tile(Cfit.mean(axis=0), (n_points * n_points, 1))
    C[:, l1] = np.repeat(g1, n_points)
    C[:, l2] = np.tile(g2, n_points)
    return C


def coefficient_surfaces(results, interactions=None, n_points: int = 30, alpha: float = 0.05,
                         kind: str = "term") -> pd.DataFrame:
    """Every coefficient over each pair of context features with a tensor-product term, with
    pointwise bands.

    Parameters
    ----------
    interactions : list of pairs of context columns, optional
        Which of the fitted ``interactions`` (default: all of them), e.g. ``[("c1", "c3")]``;
        the order within a pair does not matter.
    n_points : int
        Grid points per feature, spanning its fitted range: the surface has ``n_points**2``
        points.
    alpha : float
        The bands are pointwise (1 - alpha) Bayesian intervals (from Vp, as mgcv's).
    kind : {"term", "coefficient"}
        ``"term"``: the tensor-product interaction term g_kt(c_a, c_b) alone, in the user's
        units and centred as fitted (what mgcv's ``plot.gam`` shows for a ``ti`` term).
        ``"coefficient"``: the whole coefficient theta_k(c) over the pair -- its constant, both
        features' main smooths and the interaction -- with every other context feature held at
        its mean.

    Returns
    -------
    pandas.DataFrame
        Long format, one row per (coefficient, pair, grid point): ``coefficient``, ``context``
        (``"c1:c3"``), ``value1`` and ``value2`` (the two features' values, in the order of
        ``context``), ``estimate``, ``se``, ``lower``, ``upper``. Pivot ``estimate`` on
        (value1, value2) for a matrix to draw.
    """
    _fit(results)
    n_points = check_int(n_points, "n_points", 2)
    alpha = check_float(alpha, "alpha", 0.0, 1.0, low_open=True, high_open=True)
    if kind not in ("term", "coefficient"):
        raise ValueError(f"kind must be 'term' or 'coefficient', not {kind!r}")
    z = stats.norm.ppf(1 - alpha / 2)
    names = results.model.context_names
    terms, nb = _layout(results)
    tensors = [t for t in terms if t["kind"] == "tensor"]
    if not tensors:
        raise ValueError("this fit has no tensor-product terms (fit with interactions=[(...), ...])")
    if interactions is None:
        chosen = tensors
    else:
        if isinstance(interactions, tuple) and len(interactions) == 2 and not isinstance(interactions[0], (tuple, list)):
            interactions = [interactions]
        chosen = []
        for pair in interactions:
            if isinstance(pair, str) or not hasattr(pair, "__len__") or len(pair) != 2:
                raise TypeError(f"interactions must be a list of pairs of context columns; got {pair!r}")
            idx = []
            for col in pair:
                if isinstance(col, str) and col in names:
                    idx.append(names.index(col))
                elif isinstance(col, (int, np.integer)) and not isinstance(col, bool) and 0 <= col < len(names):
                    idx.append(int(col))
                else:
                    raise ValueError(f"interactions names {col!r}, which is not a context column ({', '.join(names)})")
            match = [t for t in tensors if {t["feature1"], t["feature2"]} == set(idx)]
            if not match:
                fitted = ", ".join(f"({names[t['feature1']]!r}, {names[t['feature2']]!r})" for t in tensors)
                raise ValueError(f"the fit has no tensor-product term for {tuple(pair)!r}; its interactions are {fitted}")
            chosen.append(match[0])
    G = _theta_map(results)
    q = G.shape[0]
    Vp = cov_params(results, "Vp")
    w = np.asarray(results.weights)
    out = []
    for term in chosen:
        l1, l2 = term["feature1"], term["feature2"]
        C = _pair_grid(results, l1, l2, n_points)
        B = _basis(results, C)
        cols = np.arange(term["offset"], term["offset"] + term["size"]) if kind == "term" else np.arange(nb)
        for k, name in enumerate(results.model.param_names):
            J = np.zeros((C.shape[0], q * nb))
            for kp in range(q):
                if G[k, kp] != 0.0:
                    J[:, kp * nb + cols] = G[k, kp] * B[:, cols]
            est = J @ w
            if kind == "coefficient" and k == 0 and results.model.fit_intercept:
                est = est + float(results.scaling["y_mean"])
            se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, Vp, J), 0.0))
            out.append(pd.DataFrame({"coefficient": name, "context": f"{names[l1]}:{names[l2]}",
                                     "value1": C[:, l1], "value2": C[:, l2], "estimate": est, "se": se,
                                     "lower": est - z * se, "upper": est + z * se}))
    frame = pd.concat(out, ignore_index=True)
    frame.attrs.update({"kind": kind, "alpha": alpha})
    return frame


def concurvity(results) -> pd.DataFrame:
    """Concurvity between context features (mgcv's ``concurvity``), from the basis Gram matrix.

    For each smooth term (a context feature's spline, or a tensor interaction) ``worst`` is the
    largest share of any function in its span that the other terms' functions (and the
    constant) can reproduce over the fitted samples: the largest squared canonical
    correlation between the two spans, in [0, 1]. ``observed`` does the same for each
    coefficient's estimated function, reported as its maximum over coefficients. Values near
    1 mean the data cannot separate that feature's effect from the others'.
    """
    fit = _fit(results)
    M = np.asarray(fit["smoothing"]["gram"])
    terms, nb = _layout(results)
    W = _weights(results)
    rows = []
    for term in terms:
        if term["kind"] not in ("smooth", "tensor"):
            continue
        I = np.arange(term["offset"], term["offset"] + term["size"])
        R = np.setdiff1d(np.arange(nb), I)
        Mll, MlR, MRR = M[np.ix_(I, I)], M[np.ix_(I, R)], M[np.ix_(R, R)]
        Q = MlR @ np.linalg.pinv(MRR, rcond=1e-12, hermitian=True) @ MlR.T  # ||P f||^2 form
        ev, U = np.linalg.eigh(Mll)
        keep = ev > ev.max() * 1e-12
        Wh = U[:, keep] / np.sqrt(ev[keep])
        worst = float(np.clip(np.linalg.eigvalsh(Wh.T @ Q @ Wh).max(), 0.0, 1.0))
        obs = []
        for k in range(W.shape[0]):
            beta = W[k, I]
            den = beta @ Mll @ beta
            if den > 1e-14 * max(1.0, np.abs(Mll).max()):
                obs.append(float(np.clip(beta @ Q @ beta / den, 0.0, 1.0)))
        rows.append({"context": _term_label(results, term), "worst": worst,
                     "observed": max(obs) if obs else np.nan})
    return pd.DataFrame(rows).set_index("context")


def identifiability(results, warn: bool = True) -> dict:
    """Identifiability checks for a spline fit.

    Returns a dict with
      ``basis_size`` and ``basis_rank``: columns of the context basis b(c) and the numerical
      rank of its Gram matrix over the fitted samples (a feature with fewer distinct values than
      basis functions makes it rank deficient; the penalty then keeps the fit unique);
      ``rank_deficient_terms``: context terms whose own basis is rank deficient;
      ``design_size``, ``design_rank``: the same for the full design x~ (x) b(c) (Z'WZ);
      ``condition_number``: of Z'WZ + S_lambda (the penalised normal equations);
      ``edf``, ``nobs``: total effective degrees of freedom against the number of samples;
      ``concurvity``: :func:`concurvity`;
      ``warnings``: messages, also raised as UserWarning when ``warn``.
    """
    fit = _fit(results)
    sm = fit["smoothing"]
    M = np.asarray(sm["gram"])
    H = np.asarray(sm["H"])
    terms, nb = _layout(results)

    def rank(A):
        ev = np.linalg.eigvalsh((A + A.T) / 2)
        return int(np.sum(ev > max(ev.max(), 0) * 1e-10)), ev

    basis_rank, _ = rank(M)
    design_rank, _ = rank(H)
    Vp = np.asarray(sm["Vp"])
    evA = np.linalg.eigvalsh((Vp + Vp.T) / 2)
    cond = float(evA.max() / evA.min()) if evA.min() > 0 else np.inf
    deficient = []
    for term in terms:
        if term["kind"] in ("smooth", "tensor"):
            I = np.arange(term["offset"], term["offset"] + term["size"])
            r, _ = rank(M[np.ix_(I, I)])
            if r < term["size"]:
                deficient.append(_term_label(results, term))
    conc = concurvity(results)
    msgs = []
    if deficient:
        msgs.append(f"the spline basis of {', '.join(deficient)} is rank deficient on these data (some basis "
                    "functions see (almost) no samples: too few samples or distinct values for n_knots); the "
                    "smoothing penalty keeps the fit unique, but a smaller n_knots may suit")
    high = conc.index[conc["worst"] > 0.9].tolist()
    if high:
        msgs.append(f"high concurvity (worst > 0.9) for {', '.join(high)}: the data barely separate these context "
                    "features' effects")
    if sm["edf_total"] > 0.5 * sm["n"]:
        msgs.append(f"the fit uses {sm['edf_total']:.1f} effective degrees of freedom for {sm['n']:.0f} samples")
    if warn:
        for msg in msgs:
            warnings.warn(msg, UserWarning, stacklevel=2)
    return {"basis_size": nb, "basis_rank": basis_rank, "rank_deficient_terms": deficient,
            "design_size": H.shape[0], "design_rank": design_rank, "condition_number": cond,
            "edf": float(sm["edf_total"]), "nobs": float(sm["n"]), "concurvity": conc, "warnings": msgs}


def summary_parts(results, alpha: float = 0.05) -> dict:
    """What ``summary()`` shows for a spline fit, ready to print.

    Returns a dict with ``header`` (pairs for the header block: smoothing method, total edf,
    scale), ``tables`` (a list of (title, DataFrame): the smooth terms with their edf and tests,
    and the per-coefficient heterogeneity tests) and ``notes`` (identifiability messages).
    """
    sm = _fit(results)["smoothing"]
    terms = smooth_terms(results)
    terms["smoothing"] = terms["smoothing"].map(
        lambda v: f"{v:.3g}" if not isinstance(v, tuple) else ", ".join(f"{x:.3g}" for x in v))
    het = heterogeneity_tests(results)
    ident = identifiability(results, warn=False)
    stat = "F" if _reference(results)[1] else "Chi.sq"
    header = [("Smoothing", f"{sm['method']}" + ("" if sm["method"] == "fixed" else f" ({sm['n_iter']} Newton steps)")),
              ("Total edf", f"{sm['edf_total']:.2f}"), ("Scale", f"{sm['scale'] * results.scaling['y_scale'] ** 2:.4g}")]
    terms.index = [f"{c}: {'ti' if ':' in x else 's'}({x.replace(':', ',')})"
                   for c, x in zip(terms["coefficient"], terms["context"])]
    tables = [
        (f"Smooth terms: effective degrees of freedom and Wald tests ({stat}) that the term is zero",
         terms.drop(columns=["coefficient", "context"]).rename(columns={"statistic": stat})),
        ("Heterogeneity: does the coefficient vary with context at all?",
         het.rename(columns={"statistic": stat})),
    ]
    notes = list(ident["warnings"])
    if not sm["converged"]:
        notes.append(f"the smoothing-parameter search did not converge: {sm['message']}")
    return {"header": header, "tables": tables, "notes": notes}
