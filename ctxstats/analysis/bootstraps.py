"""Dropping bootstrap replicates that fitted badly."""
from __future__ import annotations

import numpy as np

from ctxstats.analysis._common import fitted_easy


def select_good_bootstraps(sklearn_wrapper, train_errs, tol: float = 2):
    """Keep the bootstrap replicates whose mean training error is below ``tol`` times the
    smallest replicate's.

    Parameters
    ----------
    sklearn_wrapper : fitted ctxstats.easy estimator
        Changed in place (and returned): its ``models`` and ``n_bootstraps_`` then hold the
        kept replicates, in their original order.
    train_errs : array_like, shape (n_bootstraps, n_samples) or (n_bootstraps, n_samples, y_dim)
        Each replicate's training errors, for example ``(Y - model.predict(C, X,
        individual_preds=True)) ** 2``.
    tol : float
        A replicate is kept when its mean error is below ``tol * min`` (strictly, as in
        contextualized.analysis; when the smallest error is 0, the replicates with error 0).
    """
    model = fitted_easy(sklearn_wrapper, "select_good_bootstraps")
    errs = np.asarray(train_errs, dtype=float)
    if errs.ndim == 2:
        errs = errs[:, :, None]
    if errs.ndim != 3 or errs.shape[0] != model.n_bootstraps_:
        raise ValueError(f"train_errs must have shape (n_bootstraps, n_samples[, y_dim]) with n_bootstraps = "
                         f"{model.n_bootstraps_}, not {np.shape(train_errs)}")
    if not np.isfinite(errs).all():
        raise ValueError("train_errs contains NaN or infinite values")
    if not (isinstance(tol, (int, float, np.integer, np.floating)) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, not {tol!r}")
    per_replicate = errs.mean(axis=(1, 2))
    best = per_replicate.min()
    keep = np.flatnonzero(per_replicate < best * tol if best > 0 else per_replicate == 0)
    model._keep_replicates(keep)
    return model
