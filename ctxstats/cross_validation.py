"""K-fold cross-validation of contextualized GLMs: held-out deviance for choosing an encoder
or its options by prediction.

The folds and the fits are the core's (``csrc/glm/cross_validation.hpp``): a permutation of
the rows drawn by the counter-based generator keyed by ``seed`` assigns row ``perm[j]`` to
fold ``j mod K``, each fold's model is fitted on the other rows with the model's options (a
spline places its knots from those rows), and the held-out deviance sums ``w d(y, mu)`` over
the fold's rows. The same model, options and seed give the same folds and numbers in R
(``ctx_cv``) and for any thread count.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ctxstats import _core
from ctxstats._validation import check_int
from ctxstats.convergence import warn_at_caller

__all__ = ["cross_validate", "compare_cross_validated", "CrossValidationResults"]


class CrossValidationResults:
    """What :func:`cross_validate` returns.

    Attributes
    ----------
    folds : pandas.DataFrame
        One row per fold: ``rows``, ``weight`` (the held-out rows' total weight),
        ``deviance`` (held out), ``mean_deviance`` (deviance / weight) and ``converged``.
    deviance : float
        The held-out deviance summed over the folds.
    mean_deviance : float
        ``deviance`` per unit of weight (per row without weights): comparable across models
        fitted to the same rows.
    se : float
        The standard error of ``mean_deviance`` from the spread of the folds' mean deviances
        (their standard deviation over sqrt(K)).
    predicted_mean : pandas.Series
        Every row's prediction by the model fitted without its fold.
    fold_of_row : ndarray
    """

    def __init__(self, raw: dict, index, label: str):
        K = len(raw["fold_deviance"])
        self.folds = pd.DataFrame({"rows": np.asarray(raw["fold_rows"], dtype=int),
                                   "weight": raw["fold_weight"], "deviance": raw["fold_deviance"],
                                   "mean_deviance": np.asarray(raw["fold_deviance"]) / np.asarray(raw["fold_weight"]),
                                   "converged": np.asarray(raw["fold_converged"], dtype=bool)},
                                  index=pd.RangeIndex(1, K + 1, name="fold"))
        self.deviance = float(raw["deviance"])
        self.mean_deviance = self.deviance / float(np.sum(raw["fold_weight"]))
        self.se = float(np.std(self.folds["mean_deviance"], ddof=1) / np.sqrt(K)) if K > 1 else float("nan")
        self.predicted_mean = pd.Series(raw["predicted_mean"], index=index, name="predicted_mean")
        self.fold_of_row = np.asarray(raw["fold_of_row"])
        self.interrupted = bool(raw["interrupted"])
        self.label = label

    def __repr__(self) -> str:
        return (f"CrossValidationResults({self.label}: {len(self.folds)} folds, held-out mean deviance "
                f"{self.mean_deviance:.6g} (se {self.se:.3g}))")


def _model_of(obj):
    from ctxstats.models import ContextualizedGLM
    from ctxstats.results import ContextualizedGLMResults

    if isinstance(obj, ContextualizedGLMResults):
        return obj.model
    if isinstance(obj, ContextualizedGLM):
        return obj
    raise TypeError(f"cross_validate needs a ctxstats ContextualizedGLM (or its fitted results), not "
                    f"{type(obj).__name__}")


def cross_validate(model, folds: int = 5, seed: int = 0, **fit_options) -> CrossValidationResults:
    """K-fold cross-validated held-out deviance of ``model``.

    Parameters
    ----------
    model : ContextualizedGLM or its results
        The model (its data, family, encoder and encoder options); fitted results stand for
        their model.
    folds : int
        K >= 2 (at most the number of rows).
    seed : int
        Keys the fold assignment and each fold's fit (initialisation, shuffles).
    **fit_options
        Options of ``fit`` (``solver``, ``max_iter``, ``weight_decay``, ...) for every fold.

    Returns
    -------
    CrossValidationResults

    Warns
    -----
    ConvergenceWarning
        When some folds' fits did not meet their stopping criterion.
    """
    m = _model_of(model)
    folds = check_int(folds, "folds", 2)
    seed = check_int(seed, "seed", 0)
    if "seed" in fit_options or "n_bootstraps" in fit_options or "cov_type" in fit_options:
        raise TypeError("cross_validate takes seed itself, and no n_bootstraps or cov_type (held-out deviance "
                        "needs neither)")
    opts = m._options(seed=seed, **fit_options)
    raw = _core.cross_validate(m.context, m.exog, m.endog, m.weights, opts, folds, seed)
    out = CrossValidationResults(raw, m.row_labels, f"{m.family} {m.encoder}")
    bad = [k + 1 for k, ok in enumerate(raw["fold_converged"]) if not ok]
    if bad:
        first = raw["fold_message"][bad[0] - 1]
        warn_at_caller(f"{len(bad)} of {len(raw['fold_converged'])} cross-validation folds did not converge "
                       f"(folds {bad}); the first: {first}")
    return out


def compare_cross_validated(models, folds: int = 5, seed: int = 0, **fit_options) -> pd.DataFrame:
    """Cross-validate several models of the same rows with the same folds and compare them.

    Parameters
    ----------
    models : dict of name -> ContextualizedGLM (or results), or a list (named by encoder)

    Returns
    -------
    pandas.DataFrame
        One row per model, best first: ``mean_deviance`` (held out, per unit weight), ``se``,
        ``diff`` (from the best) and ``diff_se`` (the standard error of the per-fold
        differences from the best, over sqrt(K)), ``deviance`` and ``folds_converged``; computed
        by the core (``csrc/inference/cv_comparison.hpp``), as R's ``ctx_choose_encoder``.
    """
    if not isinstance(models, dict):
        names = [_model_of(mo).encoder for mo in models]
        if len(set(names)) != len(names):
            raise ValueError(f"models of the same encoder need names: pass a dict of name -> model, not encoders {names}")
        models = dict(zip(names, models))
    if len(models) < 1:
        raise ValueError("models is empty")
    results = {name: cross_validate(mo, folds, seed, **fit_options) for name, mo in models.items()}
    n = {len(r.fold_of_row) for r in results.values()}
    if len(n) != 1:
        raise ValueError("the models must be fitted to the same rows to be compared")
    names = list(results)
    cmp = _core.compare_cross_validation(np.array([results[k].folds["deviance"].to_numpy() for k in names]),
                                         results[names[0]].folds["weight"].to_numpy())
    table = pd.DataFrame({"mean_deviance": cmp["mean_deviance"], "se": cmp["se"], "diff": cmp["diff"],
                          "diff_se": cmp["diff_se"], "deviance": [results[k].deviance for k in names],
                          "folds_converged": [int(results[k].folds["converged"].sum()) for k in names]},
                         index=pd.Index(names, name="model"))
    return table.sort_values("mean_deviance")
