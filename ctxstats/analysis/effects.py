"""How context and predictors act on the outcome, per bootstrap replicate, and their plots.

The effects follow contextualized.analysis's definitions, so that its p-values and pictures
mean the same here:

* homogeneous context effect of context column j: the intercept ``mu(c)`` along a grid of
  column j with the other columns at 0;
* homogeneous predictor effect: each coefficient averaged over the grid of contexts;
* heterogeneous predictor effect of column j: the coefficients along column j's grid (other
  columns at 0) minus their average over that grid.

The grid spans each column of ``C`` from its minimum to its maximum (``n_vis`` points) unless
``C_vis`` is given. Setting the other columns to 0 assumes an additive encoder and centred
contexts; give ``C_vis`` on the data's manifold otherwise.
"""
from __future__ import annotations

import numpy as np

from ctxstats._validation import as_matrix
from ctxstats.analysis._common import column_names, context_grid, fitted_easy, only_column
from ctxstats.plotting import _figure


def _params(model, C, individual_preds: bool):
    betas, mus = model.predict_params(C, individual_preds=individual_preds)
    return betas, mus


def get_homogeneous_context_effects(model, C, **kwargs):
    """Intercepts along each context column's grid.

    Returns
    -------
    c_vis : ndarray, shape (n_vis, context_dim)
    effects : ndarray
        Shape (context_dim, n_bootstraps, n_vis, y_dim), or (context_dim, n_vis, y_dim)
        with ``individual_preds=False``.
    """
    fitted_easy(model, "get_homogeneous_context_effects")
    c_vis = context_grid(model, C, kwargs.get("n_vis", 1000), kwargs.get("C_vis"))
    individual = bool(kwargs.get("individual_preds", True))
    effects = [_params(model, only_column(c_vis, j), individual)[1] for j in range(c_vis.shape[1])]
    return c_vis, np.array(effects)


def get_homogeneous_predictor_effects(model, C, **kwargs):
    """Each coefficient averaged over the context grid.

    Returns
    -------
    c_vis : ndarray, shape (n_vis, context_dim)
    effects : ndarray
        Shape (x_dim, n_bootstraps, y_dim), or (x_dim, y_dim) with ``individual_preds=False``.
    """
    fitted_easy(model, "get_homogeneous_predictor_effects")
    c_vis = context_grid(model, C, kwargs.get("n_vis", 1000), kwargs.get("C_vis"))
    individual = bool(kwargs.get("individual_preds", True))
    betas, _ = _params(model, c_vis, individual)       # ([B,] n_vis, y_dim, x_dim)
    if individual:
        return c_vis, np.transpose(betas.mean(axis=1), (2, 0, 1))
    return c_vis, betas.mean(axis=0).T


def get_heterogeneous_predictor_effects(model, C, **kwargs):
    """Coefficients along each context column's grid, centred at their grid average.

    Returns
    -------
    c_vis : ndarray, shape (n_vis, context_dim)
    effects : ndarray
        Shape (context_dim, x_dim, n_bootstraps, n_vis, y_dim), or
        (context_dim, x_dim, n_vis, y_dim) with ``individual_preds=False``.
    """
    fitted_easy(model, "get_heterogeneous_predictor_effects")
    c_vis = context_grid(model, C, kwargs.get("n_vis", 1000), kwargs.get("C_vis"))
    individual = bool(kwargs.get("individual_preds", True))
    grid_axis = 1 if individual else 0
    effects = []
    for j in range(c_vis.shape[1]):
        betas, _ = _params(model, only_column(c_vis, j), individual)   # ([B,] n_vis, y, x)
        centred = betas - betas.mean(axis=grid_axis, keepdims=True)
        # -> (x, [B,] n_vis, y)
        effects.append(np.moveaxis(centred, -1, 0))
    return c_vis, np.array(effects)


# ---- plots ----------------------------------------------------------------------------------
def _band(replicates: np.ndarray, kwargs):
    """Mean over replicates (axis 0) and a percentile band, or the values alone."""
    if replicates.shape[0] < 2:
        return replicates[0], None, None
    lo = np.percentile(replicates, kwargs.get("lower_pct", 2.5), axis=0)
    hi = np.percentile(replicates, kwargs.get("upper_pct", 97.5), axis=0)
    return replicates.mean(axis=0), lo, hi


def _classification(model, kwargs) -> bool:
    return bool(kwargs.get("classification", getattr(model, "_family", "gaussian") == "binomial"))


def _draw(ax, x, mean, lo, hi, exponentiate: bool, shift: bool = True):
    offset = np.min(mean) if shift else 0.0
    f = np.exp if exponentiate else (lambda v: v)
    if lo is not None:
        ax.fill_between(x, f(lo - offset), f(hi - offset), alpha=0.2, linewidth=0)
    ax.plot(x, f(mean - offset))


def plot_homogeneous_context_effects(model, C, **kwargs):
    """The intercept along each context column (one panel per column and outcome), shifted
    so its minimum is 0, with percentile bands over the bootstrap replicates; exponentiated
    (odds ratios) for classifiers (``classification=`` overrides).

    Returns
    -------
    list of matplotlib.figure.Figure, one per outcome.
    """
    c_vis, effects = get_homogeneous_context_effects(model, C, **{**kwargs, "individual_preds": True})
    names = column_names(C, "C", c_vis.shape[1])
    expo = _classification(model, kwargs)
    figs = []
    for k in range(effects.shape[-1]):
        fig, axes = _figure(c_vis.shape[1], figsize=kwargs.get("figsize"))
        for j, ax in enumerate(axes):
            mean, lo, hi = _band(effects[j, :, :, k], kwargs)
            _draw(ax, c_vis[:, j], mean, lo, hi, expo)
            ax.set_xlabel(f"{kwargs.get('xlabel_prefix', '')}{names[j]}")
            ax.set_ylabel(kwargs.get("ylabel", "Odds ratio of outcome" if expo else "Effect on outcome"))
        figs.append(fig)
    return figs


def plot_homogeneous_predictor_effects(model, C, X, **kwargs):
    """Each predictor's context-averaged effect ``beta_j * x_j`` over the range of ``X``
    (one panel per predictor and outcome, largest effect first) with percentile bands.

    Returns
    -------
    list of matplotlib.figure.Figure, one per outcome.
    """
    c_vis, effects = get_homogeneous_predictor_effects(model, C, **{**kwargs, "individual_preds": True})
    Xm, _ = as_matrix(X, "X", "x")
    if Xm.shape[1] != model.x_dim:
        raise ValueError(f"X has {Xm.shape[1]} columns; the model was fitted with {model.x_dim}")
    names = column_names(X, "X", Xm.shape[1])
    n_vis = c_vis.shape[0]
    x_vis = Xm.min(axis=0) + np.linspace(0.0, 1.0, n_vis)[:, None] * np.ptp(Xm, axis=0)
    expo = _classification(model, kwargs)
    figs = []
    for k in range(effects.shape[-1]):
        avg = effects[:, :, k].mean(axis=1)                          # x_dim
        order = np.argsort(-np.abs(avg) * np.ptp(Xm, axis=0))
        fig, axes = _figure(len(order), figsize=kwargs.get("figsize"))
        for ax, j in zip(axes, order):
            curves = effects[j, :, k][:, None] * x_vis[:, j][None, :]  # B x n_vis
            mean, lo, hi = _band(curves, kwargs)
            _draw(ax, x_vis[:, j], mean, lo, hi, expo)
            ax.set_xlabel(f"{kwargs.get('xlabel_prefix', '')}{names[j]}")
            ax.set_ylabel(kwargs.get("ylabel", "Odds ratio of outcome" if expo else "Effect on outcome"))
        figs.append(fig)
    return figs


def plot_heterogeneous_predictor_effects(model, C, X, **kwargs):
    """How each predictor's coefficient moves with each context column (other columns at 0),
    centred at its average, with percentile bands over the bootstrap replicates.

    Returns
    -------
    list of matplotlib.figure.Figure, one per outcome and context column (panels: predictors).
    """
    c_vis, effects = get_heterogeneous_predictor_effects(model, C, **{**kwargs, "individual_preds": True})
    c_names = column_names(C, "C", c_vis.shape[1])
    x_names = column_names(X, "X", effects.shape[1])
    prefix = kwargs.get("y_prefix", "Influence of")
    figs = []
    for k in range(effects.shape[-1]):
        for j in range(c_vis.shape[1]):
            fig, axes = _figure(effects.shape[1], figsize=kwargs.get("figsize"))
            for i, ax in enumerate(axes):
                mean, lo, hi = _band(effects[j, i, :, :, k], kwargs)
                _draw(ax, c_vis[:, j], mean, lo, hi, False, shift=False)
                ax.axhline(0.0, color="0.6", linewidth=0.8)
                ax.set_xlabel(f"{kwargs.get('xlabel_prefix', '')}{c_names[j]}")
                ax.set_ylabel(f"{prefix} {x_names[i]}")
            figs.append(fig)
    return figs
