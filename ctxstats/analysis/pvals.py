"""Bootstrap p-values for the effects of :mod:`ctxstats.analysis.effects`.

Each p-value asks whether an effect's sign holds across the bootstrap replicates of a fitted
``ctxstats.easy`` model: with b*_1..b*_B the replicates' estimates and s the smoothing
(``laplace_smoothing``, default 1),

    p = (s + #{b : b*_b has the sign opposite to the replicates' mean}) / (B + s),

computed by the core (``_core.sign_pvalues``). It is one-sided in the direction of the
mean and never below s / (B + s) -- 1 / (B + 1) by default (:func:`get_possible_pvals`) --
so B = 10 replicates cannot give p < 0.09: use ``n_bootstraps`` of 100 or more for
publishable p-values. This is contextualized.analysis's definition, with one difference:
an effect whose mean is exactly 0 has p = 1 here (there it got the smallest p-value).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ctxstats import _core
from ctxstats.analysis._common import fitted_easy
from ctxstats.analysis.effects import (
    get_heterogeneous_predictor_effects,
    get_homogeneous_context_effects,
    get_homogeneous_predictor_effects,
)


def get_possible_pvals(num_bootstraps: int) -> list:
    """The smallest and largest p-value ``num_bootstraps`` replicates can give (smoothing 1)."""
    if isinstance(num_bootstraps, bool) or not isinstance(num_bootstraps, (int, np.integer)) or num_bootstraps < 1:
        raise ValueError(f"num_bootstraps must be a positive integer, not {num_bootstraps!r}")
    return [1 / (num_bootstraps + 1), num_bootstraps / (num_bootstraps + 1)]


def _replicates(model, verbose: bool, where: str) -> int:
    fitted_easy(model, where)
    B = int(model.n_bootstraps_)
    if B < 2:
        raise ValueError(f"{where}: p-values need bootstrap replicates; the model was fitted with "
                         f"n_bootstraps={B} (fit with n_bootstraps >= 2, ideally 100 or more)")
    if verbose:
        lo, _ = get_possible_pvals(B)
        print(f"{where}: {B} bootstrap replicates; the smallest possible p-value is {lo:.3g} "
              "(increase n_bootstraps for smaller ones)")
    return B


def sign_pvalues(estimates: np.ndarray, laplace_smoothing: float = 1.0) -> np.ndarray:
    """Bootstrap sign p-values of ``estimates`` shaped (..., B, k), the replicates on axis -2;
    returns shape (..., k)."""
    est = np.asarray(estimates, dtype=float)
    lead, B, k = est.shape[:-2], est.shape[-2], est.shape[-1]
    flat = np.moveaxis(est.reshape(-1, B, k), 1, 0).reshape(B, -1)   # B x (lead * k)
    p = _core.sign_pvalues(np.ascontiguousarray(flat), float(laplace_smoothing))
    return np.asarray(p).reshape(*lead, k)


def calc_homogeneous_context_effects_pvals(model, C, verbose: bool = True, **kwargs) -> np.ndarray:
    """P-values that each context column's direct effect on each outcome keeps its sign:
    the change of the intercept from the lowest to the highest grid value of the column.

    Returns
    -------
    ndarray, shape (context_dim, y_dim)
    """
    _replicates(model, verbose, "calc_homogeneous_context_effects_pvals")
    _, effects = get_homogeneous_context_effects(model, C, **{**kwargs, "individual_preds": True})
    diffs = effects[:, :, -1] - effects[:, :, 0]                 # (m, B, y)
    return sign_pvalues(diffs, kwargs.get("laplace_smoothing", 1))


def calc_homogeneous_predictor_effects_pvals(model, C, verbose: bool = True, **kwargs) -> np.ndarray:
    """P-values that each predictor's context-averaged coefficient keeps its sign.

    Returns
    -------
    ndarray, shape (x_dim, y_dim)
    """
    _replicates(model, verbose, "calc_homogeneous_predictor_effects_pvals")
    _, effects = get_homogeneous_predictor_effects(model, C, **{**kwargs, "individual_preds": True})
    return sign_pvalues(effects, kwargs.get("laplace_smoothing", 1))          # (x, B, y) -> (x, y)


def calc_heterogeneous_predictor_effects_pvals(model, C, verbose: bool = True, **kwargs) -> np.ndarray:
    """P-values that each coefficient's change along each context column (lowest to highest
    grid value, other columns at 0) keeps its sign: small when the coefficient varies with
    that column consistently across replicates.

    Returns
    -------
    ndarray, shape (context_dim, x_dim, y_dim)
    """
    _replicates(model, verbose, "calc_heterogeneous_predictor_effects_pvals")
    _, effects = get_heterogeneous_predictor_effects(model, C, **{**kwargs, "individual_preds": True})
    diffs = effects[:, :, :, -1] - effects[:, :, :, 0]           # (m, x, B, y)
    return sign_pvalues(diffs, kwargs.get("laplace_smoothing", 1))


def test_each_context(model_constructor, C, X, Y, verbose: bool = True, model_kwargs=None, fit_kwargs=None):
    """Fit a model with each context column alone and test every (context, predictor,
    outcome) coefficient for variation along it (:func:`calc_heterogeneous_predictor_effects_pvals`).

    Parameters
    ----------
    model_constructor : class
        ``ctxstats.easy.ContextualizedRegressor`` or ``ContextualizedClassifier``.
    C, X, Y : pandas.DataFrame
        Contexts, predictors and outcomes; their column names label the result.
    model_kwargs : dict, default ``{"encoder_type": "linear"}``
    fit_kwargs : dict, default ``{"max_epochs": 3, "learning_rate": 1e-2, "n_bootstraps": 20}``

    Returns
    -------
    pandas.DataFrame with columns Context, Predictor, Target, Pvals.
    """
    model_kwargs = {"encoder_type": "linear"} if model_kwargs is None else dict(model_kwargs)
    fit_kwargs = {"max_epochs": 3, "learning_rate": 1e-2, "n_bootstraps": 20} if fit_kwargs is None else dict(fit_kwargs)
    for name, frame in (("C", C), ("X", X), ("Y", Y)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"test_each_context needs {name} as a pandas DataFrame (its column names label "
                            f"the result), not {type(frame).__name__}")
    B = fit_kwargs.get("n_bootstraps", model_kwargs.get("n_bootstraps", 1))
    if isinstance(B, bool) or not isinstance(B, (int, np.integer)) or B < 2:
        raise ValueError(f"test_each_context needs n_bootstraps >= 2 in fit_kwargs, not {B!r}")
    if verbose:
        print(f"test_each_context: {B} bootstrap replicates per context; the smallest possible p-value is "
              f"{get_possible_pvals(int(B))[0]:.3g}")
    rows = []
    for context in C.columns:
        Cj = C[[context]]
        model = model_constructor(**model_kwargs)
        model.fit(Cj.to_numpy(), X.to_numpy(), Y.to_numpy(), **fit_kwargs)
        p = calc_heterogeneous_predictor_effects_pvals(model, Cj.to_numpy(), verbose=False)
        for i, predictor in enumerate(X.columns):
            for k, target in enumerate(Y.columns):
                rows.append((context, predictor, target, float(p[0, i, k])))
    return pd.DataFrame(rows, columns=["Context", "Predictor", "Target", "Pvals"])


test_each_context.__test__ = False     # a statistical test, not a unit test: keep pytest from collecting it
