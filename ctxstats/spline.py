"""Inference for the spline context encoder (``encoder="spline"``).

With the spline encoder every coefficient is an additive function of the context,

    theta_k(c) = w_k0 + sum_l f_kl(c_l) [+ sum_t g_kt(c_a, c_b)],

each ``f_kl`` a cubic B-spline with a second-difference (P-spline) penalty, centred over the
fitted data (mgcv's sum-to-zero constraint), and each smoothing parameter chosen by REML
(Wood 2011; the default) or GCV (``method="GCV"``, mgcv's "GCV.Cp") unless fixed by hand. The model is linear in its weights, so the fit is a
penalised GLM and mgcv's Bayesian covariance applies:

    Vp = (Z'WZ + S_lambda)^-1 * scale,

from which this module forms pointwise intervals for every coefficient function, tests of
every smooth term and of heterogeneity on the terms' fitted values (Wood 2013, as mgcv's
``summary.gam``; computed by the C++ core), concurvity between context features and the
identifiability report. Every function
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
    "average_effects",
    "k_check",
    "BasisDimensionWarning",
]


class BasisDimensionWarning(UserWarning):
    """A spline term may need a larger basis (``n_knots``): see :func:`k_check`."""


# ---- internals --------------------------------------------------------------------------------

def _fit(results) -> dict:
    fit = getattr(results, "spline_fit", None)
    if fit is None or "smoothing" not in fit:
        raise ValueError("these results are not from a model with encoder='spline' fitted by the exact solver")
    return fit


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


def _pointwise(results, C, term: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """The core's estimates and Vp standard errors (rows x q, user units) of the whole
    coefficients (term < 0) or of one basis term at contexts C."""
    sm = _fit(results)["smoothing"]
    return _core.spline_pointwise(results.options, results.scaling, np.asarray(results.weights, dtype=float),
                                  np.asarray(sm["Vp"], dtype=float), np.ascontiguousarray(C, dtype=float), term,
                                  int(results.options.get("threads", 0) or 0))


def linear_predictor_se(results, X, C) -> np.ndarray:
    """Standard errors of the linear predictor at rows (X, C) under Vp, from the core: eta is
    linear in the basis weights, eta = z' w, so se = sqrt(z' Vp z) -- mgcv's
    ``predict.gam(se.fit = TRUE)`` on the link scale."""
    sm = _fit(results)["smoothing"]
    return _core.spline_linear_predictor_se(results.options, results.scaling, np.asarray(results.weights, dtype=float),
                                            np.asarray(sm["Vp"], dtype=float), np.ascontiguousarray(X, dtype=float),
                                            np.ascontiguousarray(C, dtype=float),
                                            int(results.options.get("threads", 0) or 0))


def linear_projection(results) -> tuple[np.ndarray, np.ndarray]:
    """Every coefficient function's best linear projection on [1, c] over the fitted samples
    (q (m+1), coefficient major) and its covariance under Vp, from the core: the projection is
    linear in the basis weights, so its covariance is P Vp P' exactly."""
    sm = _fit(results)["smoothing"]
    return _core.spline_projection(results.options, results.scaling, np.asarray(results.weights, dtype=float),
                                   np.asarray(sm["Vp"], dtype=float),
                                   np.ascontiguousarray(results.model.context, dtype=float))


def average_effects(results) -> tuple[np.ndarray, np.ndarray]:
    """The average effects (the mean of every coefficient over the fitted samples) and their
    covariance (q x q) under Vp, from the core: the average effect is linear in the basis
    weights, a = L w, so its covariance is L Vp L' exactly -- what mgcv gives the same linear
    combination of its coefficients through ``predict(type = "lpmatrix")`` and ``Vp``."""
    sm = _fit(results)["smoothing"]
    return _core.spline_average_effects(results.options, results.scaling, np.asarray(results.weights, dtype=float),
                                        np.asarray(sm["Vp"], dtype=float),
                                        np.ascontiguousarray(results.model.context, dtype=float))


def k_check(results, n_rep: int = 400, seed: int = 0, warn: bool = True) -> pd.DataFrame:
    """Is the basis large enough? mgcv's ``k.check`` (``gam.check``) for every smooth term.

    For each context feature, the deviance residuals are put in the order of that feature:
    with v = mean of (r_(i+1) - r_(i))^2 / 2, the k-index is v / mean(r^2), and the p-value
    the share of ``n_rep`` random orderings with a smaller v (the core's
    ``basis_dimension_check``; seeded, so the same in R and for any thread count). A pattern
    the fit missed makes neighbouring residuals alike: k-index below 1 with a small p-value.
    Tensor interaction terms get no check (NaN), as mgcv's k.check skips by-variable
    summation conventions.

    Returns
    -------
    pandas.DataFrame
        One row per smooth term: ``coefficient``, ``context``, ``k'`` (the term's basis
        columns), ``edf``, ``k-index`` and ``p-value``.

    Warns
    -----
    BasisDimensionWarning
        (``warn=True``) when a term has p-value < 0.05, k-index < 1 and edf above 80% of k':
        increase ``n_knots``.
    """
    n_rep = check_int(n_rep, "n_rep", 1)
    seed = check_int(seed, "seed", 0)
    terms, _ = _layout(results)
    table = smooth_terms(results)
    frame = _test_frame(results, "terms")
    k_index, p_value = _core.basis_dimension_check(np.ascontiguousarray(results.resid_deviance, dtype=float),
                                                   np.ascontiguousarray(results.model.context, dtype=float),
                                                   n_rep, seed)
    rows = []
    for i, t in enumerate(frame["term"]):
        term = terms[t]
        single = term["kind"] not in ("tensor", "constant")
        j = term.get("feature1", 0)
        rows.append((table.loc[i, "coefficient"], table.loc[i, "context"], int(term["size"]), float(table.loc[i, "edf"]),
                     float(k_index[j]) if single else np.nan, float(p_value[j]) if single else np.nan))
    out = pd.DataFrame(rows, columns=["coefficient", "context", "k'", "edf", "k-index", "p-value"])
    if warn:
        low = out[(out["p-value"] < 0.05) & (out["k-index"] < 1) & (out["edf"] > 0.8 * out["k'"])]
        if len(low):
            terms_text = ", ".join(f"{a}: s({b})" for a, b in zip(low["coefficient"], low["context"]))
            warnings.warn(f"the basis may be too small for {terms_text} (k-index below 1 with p < 0.05 and edf "
                          f"close to k'): refit with a larger n_knots", BasisDimensionWarning, stacklevel=2)
    return out


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


def _tests(results) -> dict:
    """The core's smooth-term tests of this fit (see :func:`smooth_terms`), computed once."""
    sm = _fit(results)["smoothing"]
    cache = getattr(results, "_cache", None)
    if cache is not None and "spline_tests" in cache:
        return cache["spline_tests"]
    tests = _core.spline_tests(results.options, results.scaling, np.asarray(results.weights, dtype=float), sm,
                               len(results.model.context_names))
    if cache is not None:
        cache["spline_tests"] = tests
    return tests


def _test_frame(results, part: str) -> pd.DataFrame:
    """One row per test of ``part`` ("terms" or "coefficients"): the core's statistic T and
    rank r, with the p-value from chi-square(r), or, when the scale is estimated (gaussian),
    the statistic T / r and its p-value from F(r, n - total edf). A term with no fitted values
    (rank 0) has statistic 0 and p-value 1."""
    tests = _tests(results)
    t = tests[part]
    stat, rank = np.asarray(t["statistic"], dtype=float), np.asarray(t["rank"], dtype=int)
    r = np.maximum(rank, 1)
    if tests["estimated_scale"]:
        stat = np.where(rank > 0, stat / r, 0.0)
        p = stats.f.sf(stat, r, tests["df_resid"])
    else:
        p = stats.chi2.sf(stat, r)
    p = np.where(rank > 0, p, 1.0)
    return pd.DataFrame({"output": np.asarray(t["output"], dtype=int), "term": np.asarray(t["term"], dtype=int),
                         "edf": np.asarray(t["edf"], dtype=float), "ref_df": np.asarray(t["ref_df"], dtype=float),
                         "rank": rank, "statistic": stat, "p_value": p})


# ---- public -----------------------------------------------------------------------------------

def smooth_terms(results) -> pd.DataFrame:
    """One row per smooth term (coefficient x context feature, or tensor interaction).

    Columns: ``coefficient``, ``context``, ``edf`` (effective degrees of freedom, the trace of
    the term's block of (Z'WZ + S)^-1 Z'WZ), ``ref_df`` (mgcv's alternative edf,
    tr(2F - F^2) over the block), ``rank`` (the test's degrees of freedom), ``smoothing`` (the
    smoothing parameter(s), on the core's standardised scale), ``statistic`` and ``p_value``
    of the test that the term is zero.

    The test is Wood's (2013) test on the term's fitted values, as mgcv's ``summary.gam``
    computes it for ``s(c, by = x)``: with R'R the term's block of the weighted Gram matrix
    Z'WZ and V its Bayesian covariance, T = (R g)' (R V R')^{r-} (R g), the pseudo-inverse
    truncated at rank r = ref_df rounded as mgcv's ``testStat(type = 1)`` (down when within
    0.05 above an integer, else up; at most the numerical rank of R V R'). Directions the data
    do not see drop out, so the test keeps its size and power for binary, factor and skewed
    contexts. Gaussian fits (scale estimated) report F = T / r on (r, n - total edf) degrees
    of freedom; the others chi-square(r). The C++ core computes T, r and the edf; this
    function only names them and computes the p-values.

    This is the table to print in ``summary()`` under "Smooth terms".
    """
    sm = _fit(results)["smoothing"]
    terms, _ = _layout(results)
    names = results.model.param_names
    lam = np.asarray(sm["smoothing"])
    pen_out, pen_term = np.asarray(sm["penalty_output"]), np.asarray(sm["penalty_term"])
    frame = _test_frame(results, "terms")
    smoothing = []
    for k, t in zip(frame["output"], frame["term"]):
        sp = lam[(pen_out == k) & (pen_term == t)]
        smoothing.append(float(sp[0]) if sp.size == 1 else tuple(float(v) for v in sp))
    out = pd.DataFrame({"coefficient": [names[k] for k in frame["output"]],
                        "context": [_term_label(results, terms[t]) for t in frame["term"]]})
    out = pd.concat([out, frame[["edf", "ref_df", "rank"]]], axis=1)
    out["smoothing"] = smoothing
    out["statistic"] = frame["statistic"]
    out["p_value"] = frame["p_value"]
    return out


def heterogeneity_tests(results) -> pd.DataFrame:
    """Does each coefficient vary with context at all?

    For coefficient k the null hypothesis is theta_k(c) = constant, i.e. every smooth term of
    coefficient k is zero: the test of :func:`smooth_terms` applied to all of the
    coefficient's smooth terms together (their fitted values x_k (f_k1(c_1) + ... )).
    Per (coefficient, context feature) tests are the ``statistic`` and ``p_value`` columns of
    :func:`smooth_terms`.

    Returns
    -------
    pandas.DataFrame
        Indexed by coefficient: ``edf`` (of its smooth terms), ``ref_df``, ``rank``,
        ``statistic``, ``p_value``.
    """
    _fit(results)
    frame = _test_frame(results, "coefficients")
    frame.index = [results.model.param_names[k] for k in frame["output"]]
    return frame.drop(columns=["output", "term"])


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
    _, se = _pointwise(results, C)
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
    terms, _ = _layout(results)
    Cfit = results.model.context
    names = results.model.param_names
    out = []
    for t, term in enumerate(terms):
        if term["kind"] != "smooth":
            continue
        l = term["feature1"]
        grid = np.linspace(Cfit[:, l].min(), Cfit[:, l].max(), n_points)
        C = np.tile(Cfit.mean(axis=0), (n_points, 1))
        C[:, l] = grid
        est, se = _pointwise(results, C, t)
        for k, name in enumerate(names):
            out.append(pd.DataFrame({"coefficient": name, "context": results.model.context_names[l],
                                     "value": grid, "estimate": est[:, k], "se": se[:, k],
                                     "lower": est[:, k] - z * se[:, k], "upper": est[:, k] + z * se[:, k]}))
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
    out = []
    for term in chosen:
        l1, l2 = term["feature1"], term["feature2"]
        C = _pair_grid(results, l1, l2, n_points)
        est, se = _pointwise(results, C, terms.index(term) if kind == "term" else -1)
        for k, name in enumerate(results.model.param_names):
            out.append(pd.DataFrame({"coefficient": name, "context": f"{names[l1]}:{names[l2]}",
                                     "value1": C[:, l1], "value2": C[:, l2], "estimate": est[:, k], "se": se[:, k],
                                     "lower": est[:, k] - z * se[:, k], "upper": est[:, k] + z * se[:, k]}))
    frame = pd.concat(out, ignore_index=True)
    frame.attrs.update({"kind": kind, "alpha": alpha})
    return frame


def _identifiability_core(results) -> dict:
    """The core's spline checks of this fit (concurvity, ranks, warnings), computed once."""
    fit = _fit(results)
    cache = getattr(results, "_cache", None)
    if cache is not None and "spline_ident" in cache:
        return cache["spline_ident"]
    terms, nb = _layout(results)
    blocks = [(int(t["offset"]), int(t["size"]), _term_label(results, t)) for t in terms
              if t["kind"] in ("smooth", "tensor")]
    out = _core.spline_identifiability(fit["smoothing"], blocks, nb, np.asarray(results.weights, dtype=float))
    out["labels"] = [b[2] for b in blocks]
    if cache is not None:
        cache["spline_ident"] = out
    return out


def concurvity(results) -> pd.DataFrame:
    """Concurvity between context features (mgcv's ``concurvity``), from the basis Gram matrix.

    For each smooth term (a context feature's spline, or a tensor interaction) ``worst`` is the
    largest share of any function in its span that the other terms' functions (and the
    constant) can reproduce over the fitted samples: the largest squared canonical
    correlation between the two spans, in [0, 1]. ``observed`` does the same for each
    coefficient's estimated function, reported as its maximum over coefficients. Values near
    1 mean the data cannot separate that feature's effect from the others'. Computed by the
    C++ core (``_core.spline_identifiability``).
    """
    core = _identifiability_core(results)
    return pd.DataFrame({"context": core["labels"], "worst": np.asarray(core["worst"], dtype=float),
                         "observed": np.asarray(core["observed"], dtype=float)}).set_index("context")


def identifiability(results, warn: bool = True) -> dict:
    """Identifiability checks for a spline fit (computed by the C++ core).

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
    sm = _fit(results)["smoothing"]
    core = _identifiability_core(results)
    msgs = list(core["warnings"])
    if warn:
        for msg in msgs:
            warnings.warn(msg, UserWarning, stacklevel=2)
    return {"basis_size": core["basis_size"], "basis_rank": core["basis_rank"],
            "rank_deficient_terms": [core["labels"][t] for t in core["rank_deficient"]],
            "design_size": core["design_size"], "design_rank": core["design_rank"],
            "condition_number": float(core["condition_number"]), "edf": float(sm["edf_total"]),
            "nobs": float(sm["n"]), "concurvity": concurvity(results), "warnings": msgs}


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
    stat = "F" if _tests(results)["estimated_scale"] else "Chi.sq"
    header = [("Smoothing", f"{sm['method']}" + ("" if sm["method"] == "fixed" else f" ({sm['n_iter']} Newton steps)")),
              ("Total edf", f"{sm['edf_total']:.2f}"), ("Scale", f"{sm['scale'] * results.scaling['y_scale'] ** 2:.4g}")]
    terms.index = [f"{c}: {'ti' if ':' in x else 's'}({x.replace(':', ',')})"
                   for c, x in zip(terms["coefficient"], terms["context"])]
    tables = [
        (f"Smooth terms: effective degrees of freedom and tests ({stat}) that the term is zero",
         terms.drop(columns=["coefficient", "context"]).rename(columns={"statistic": stat})),
        ("Heterogeneity: does the coefficient vary with context at all?",
         het.rename(columns={"statistic": stat})),
    ]
    notes = list(ident["warnings"])
    if not sm["converged"]:
        notes.append(f"the smoothing-parameter search did not converge: {sm['message']}")
    return {"header": header, "tables": tables, "notes": notes}
