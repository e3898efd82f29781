"""Checks and context grids shared by the analysis helpers."""
from __future__ import annotations

import numpy as np

from ctxstats._validation import as_matrix


def fitted_easy(model, where: str):
    """The fitted ctxstats.easy regressor or classifier ``model``, or a clear error."""
    from ctxstats.easy import _EasyBase

    if not isinstance(model, _EasyBase):
        raise TypeError(f"{where} needs a fitted ctxstats.easy ContextualizedRegressor or ContextualizedClassifier, "
                        f"not {type(model).__name__}")
    model._check_fitted()
    if model._univariate():
        raise ValueError(f"{where} needs a model fitted with univariate=False: with univariate=True every "
                         "(outcome, predictor) pair has its own regression, not one model per outcome")
    return model


def context_grid(model, C, n_vis: int = 1000, C_vis=None) -> np.ndarray:
    """Contexts to evaluate effects at: ``C_vis`` if given, else ``n_vis`` points spanning each
    column of ``C`` from its minimum to its maximum (every column moves together; the effect
    helpers then keep one column and set the others to 0)."""
    if C_vis is not None:
        grid, _ = as_matrix(C_vis, "C_vis", "c")
    else:
        if isinstance(n_vis, bool) or not isinstance(n_vis, (int, np.integer)) or n_vis < 2:
            raise ValueError(f"n_vis must be an integer >= 2, not {n_vis!r}")
        Cm, _ = as_matrix(C, "C", "c")
        if Cm.shape[0] == 0:
            raise ValueError("C has no rows")
        if not np.isfinite(Cm).all():
            raise ValueError("C contains NaN or infinite values")
        lo, hi = Cm.min(axis=0), Cm.max(axis=0)
        grid = lo + np.linspace(0.0, 1.0, int(n_vis))[:, None] * (hi - lo)
    if grid.shape[1] != model.context_dim:
        raise ValueError(f"{'C_vis' if C_vis is not None else 'C'} has {grid.shape[1]} columns; "
                         f"the model was fitted with {model.context_dim} context columns")
    return grid


def only_column(grid: np.ndarray, j: int) -> np.ndarray:
    """The grid with every context column but ``j`` set to 0."""
    out = np.zeros_like(grid)
    out[:, j] = grid[:, j]
    return out


def column_names(obj, prefix: str, k: int) -> list[str]:
    columns = getattr(obj, "columns", None)
    if columns is not None and len(columns) == k:
        return [str(c) for c in columns]
    return [f"{prefix}{i}" for i in range(k)]
