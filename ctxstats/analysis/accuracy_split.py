"""Discrimination of a classifier within the groups of each covariate."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def _auroc(y_true: np.ndarray, score: np.ndarray) -> float:
    """The area under the ROC curve (Mann-Whitney, ties counted half); NaN with one class."""
    y = np.asarray(y_true, dtype=float)
    pos = y == 1
    n1, n0 = int(pos.sum()), int((y == 0).sum())
    if n1 == 0 or n0 == 0 or n1 + n0 != y.size:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def print_acc_by_covars(Y_true, Y_pred, covar_df, **kwargs) -> pd.DataFrame:
    """Print (and return) the AUROC of ``Y_pred`` for ``Y_true`` within each value of every
    covariate with at most ``max_classes`` (20) values; with ``train_idx`` and ``test_idx``
    (boolean masks) separately for the training and test rows.

    Returns
    -------
    pandas.DataFrame with columns covariate, value, and roc (or train_roc and test_roc).
    """
    y = np.squeeze(np.asarray(Y_true, dtype=float))
    score = np.squeeze(np.asarray(Y_pred, dtype=float))
    if y.ndim != 1 or score.shape != y.shape:
        raise ValueError(f"Y_true and Y_pred must be one outcome with one value per sample, not shapes "
                         f"{np.shape(Y_true)} and {np.shape(Y_pred)}")
    if not isinstance(covar_df, pd.DataFrame) or len(covar_df) != y.size:
        raise ValueError("covar_df must be a pandas DataFrame with one row per sample")
    split = kwargs.get("train_idx") is not None and kwargs.get("test_idx") is not None
    rows = []
    for i, covar in enumerate(covar_df.columns):
        labels = covar_df.iloc[:, i].to_numpy()
        if len(pd.unique(labels)) > kwargs.get("max_classes", 20):
            continue
        if kwargs.get("covar_stds") is not None:
            labels = labels * kwargs["covar_stds"][i]
        if kwargs.get("covar_means") is not None:
            labels = labels + kwargs["covar_means"][i]
        if kwargs.get("covar_encoders") is not None:
            labels = kwargs["covar_encoders"][i].inverse_transform(labels.astype(int))
        print("=" * 20)
        print(covar)
        print("-" * 10)
        for value in sorted(pd.unique(labels), key=str):
            idx = labels == value
            if split:
                tr = np.logical_and(idx, kwargs["train_idx"])
                te = np.logical_and(idx, kwargs["test_idx"])
                r = (covar, value, _auroc(y[tr], score[tr]), _auroc(y[te], score[te]))
                print(f"{value}:\t Train ROC: {r[2]:.2f}, Test ROC: {r[3]:.2f}")
            else:
                r = (covar, value, _auroc(y[idx], score[idx]))
                print(f"{value}:\t ROC: {r[2]:.2f}")
            rows.append(r)
        print("=" * 20)
    columns = ["covariate", "value", "train_roc", "test_roc"] if split else ["covariate", "value", "roc"]
    return pd.DataFrame(rows, columns=columns)
