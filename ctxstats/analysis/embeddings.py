"""Scatter plots of low-dimensional representations of samples (e.g. of their models),
coloured by a covariate."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ctxstats.plotting import _figure


def plot_lowdim_rep(low_dim, labels, **kwargs):
    """Scatter the first two columns of ``low_dim`` coloured by ``labels``.

    Labels with fewer than ``max_classes_for_discrete`` (10) distinct values are drawn as
    classes with a legend (classes with at most ``min_samples`` samples are left out);
    otherwise as a continuous colour scale with a colour bar.

    Returns
    -------
    matplotlib.figure.Figure
    """
    Z = np.asarray(low_dim, dtype=float)
    if Z.ndim != 2 or Z.shape[1] < 2:
        raise ValueError(f"low_dim must have shape (n_samples, >= 2), not {Z.shape}")
    labels = np.asarray(labels)
    if labels.shape != (Z.shape[0],):
        raise ValueError(f"labels must have one value per row of low_dim ({Z.shape[0]}), not shape {labels.shape}")
    fig, (ax,) = _figure(1, figsize=kwargs.get("figsize", (6.0, 5.0)))
    values = pd.unique(labels)
    if len(values) < kwargs.get("max_classes_for_discrete", 10):
        for v in sorted(values, key=str):
            idx = labels == v
            if idx.sum() > kwargs.get("min_samples", 0):
                ax.scatter(Z[idx, 0], Z[idx, 1], s=kwargs.get("s", 12), alpha=kwargs.get("alpha", 1.0), label=str(v))
        ax.legend(title=kwargs.get("cbar_label"), fontsize="small")
    else:
        numeric = pd.to_numeric(pd.Series(labels), errors="coerce").to_numpy(dtype=float)
        if np.isnan(numeric).any():
            raise ValueError("labels with many distinct values must be numeric (or give fewer classes)")
        points = ax.scatter(Z[:, 0], Z[:, 1], c=numeric, s=kwargs.get("s", 12), alpha=kwargs.get("alpha", 1.0),
                            cmap=kwargs.get("cmap", "coolwarm"))
        bar = fig.colorbar(points, ax=ax)
        if kwargs.get("cbar_label") is not None:
            bar.set_label(kwargs["cbar_label"])
    ax.set_xlabel(kwargs.get("xlabel", "dimension 1"))
    ax.set_ylabel(kwargs.get("ylabel", "dimension 2"))
    ax.set_xticks([])
    ax.set_yticks([])
    if kwargs.get("title"):
        ax.set_title(kwargs["title"])
    if kwargs.get("figname"):
        fig.savefig(f"{kwargs['figname']}.pdf", bbox_inches="tight")
    return fig


def plot_embedding_for_all_covars(reps, covars_df, covars_stds=None, covars_means=None, covars_encoders=None,
                                  **kwargs):
    """:func:`plot_lowdim_rep` once per column of ``covars_df`` (a DataFrame), undoing a
    standardisation (``covars_stds``, ``covars_means``) or a label encoding
    (``covars_encoders``, objects with ``inverse_transform``) for the labels.

    ``dithering_pct`` > 0 jitters the points by that share of each axis' spread (seeded by
    ``random_state``, default 0; ``reps`` is not modified).

    Returns
    -------
    list of matplotlib.figure.Figure, one per covariate.
    """
    if not isinstance(covars_df, pd.DataFrame):
        raise TypeError(f"covars_df must be a pandas DataFrame, not {type(covars_df).__name__}")
    Z = np.array(reps, dtype=float)
    if Z.ndim != 2 or Z.shape[0] != len(covars_df):
        raise ValueError(f"reps must have one row per row of covars_df ({len(covars_df)}), not shape {Z.shape}")
    dither = kwargs.pop("dithering_pct", 0.0)
    if dither > 0:
        rng = np.random.default_rng(kwargs.pop("random_state", 0))
        Z[:, :2] += rng.normal(size=(Z.shape[0], 2)) * (dither * Z[:, :2].std(axis=0))
    figs = []
    for i, covar in enumerate(covars_df.columns):
        labels = covars_df.iloc[:, i].to_numpy()
        if covars_stds is not None:
            labels = labels * np.asarray(covars_stds)[i]
        if covars_means is not None:
            labels = labels + np.asarray(covars_means)[i]
        if covars_encoders is not None:
            labels = covars_encoders[i].inverse_transform(labels.astype(int))
        figs.append(plot_lowdim_rep(Z[:, :2], labels, **{**kwargs, "cbar_label": covar}))
    return figs
