"""Pictures of fitted contextualized networks (matplotlib), the same as R's ``plot.ctx_network``.

Two pictures, each from numbers the core computes (so R and Python draw the same data):

* :func:`plot_network` -- one sample's network as a heat map of its edge weights: correlations
  (correlation networks), partial correlations (Markov networks), or the graph W projected to a
  DAG (Bayesian networks; rows are parents, columns children); ``what="coefficients"`` shows the
  regression coefficients ``betas`` of any network.
* :func:`plot_network_edge` -- how one edge (``betas[i, j]`` of ``predict_networks``) changes
  with one context feature: the edge along a grid of that feature with the other features held
  fixed (continuous ones at their mean, indicators at their most common value, as
  :func:`ctxstats.plotting.plot_coefficients`), each sample's own edge as a dot, and the
  bootstrap percentile band when the fit has replicates (``n_bootstraps >= 2``). The curve and
  the dots are the full-data fit's edges, as in ``edge_inference``.

Both take the fitted estimator and the contexts C it should be drawn for (usually the training
contexts), and return a :class:`matplotlib.figure.Figure` built without pyplot. Their data come
from :func:`network_edge_curve` and :func:`sample_network`, which return plain arrays.

    fig = plot_network_edge(ccn, C, edge=("x0", "x1"), context="age")
    fig.savefig("edge.png")
"""
from __future__ import annotations

import numpy as np

from ctxstats import _core
from ctxstats._validation import as_matrix, check_float, check_int
from ctxstats.plotting import _figure, _select

__all__ = ["plot_network", "plot_network_edge", "network_edge_curve", "sample_network"]

_WHAT = {"correlation": ("correlation", "coefficients"), "markov": ("partial_correlation", "precision", "coefficients"),
         "bayesian": ("dag", "coefficients")}


def _fitted(model):
    from ctxstats.networks import _NetworkBase

    if not isinstance(model, _NetworkBase):
        raise TypeError(f"model must be a fitted ctxstats network (ContextualizedCorrelationNetworks, "
                        f"ContextualizedMarkovNetworks or ContextualizedBayesianNetworks), not {type(model).__name__}")
    model._check_fitted()
    return model


def _contexts(model, C) -> tuple[np.ndarray, list[str]]:
    Cm, names = as_matrix(C, "C", "c")
    if Cm.shape[1] != model.context_dim:
        raise ValueError(f"C has {Cm.shape[1]} columns; the model was fitted with {model.context_dim}")
    return Cm, names


def _bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False")
    return bool(value)


def _edge(model, edge) -> tuple[int, int]:
    if isinstance(edge, str) or not hasattr(edge, "__len__") or len(edge) != 2:
        raise ValueError("edge must be a pair (i, j) of feature names or positions")
    names = list(model.feature_names_)
    (i,) = _select(edge[0], names, "edge")
    (j,) = _select(edge[1], names, "edge")
    if i == j:
        raise ValueError(f"edge must join two different features, not {names[i]!r} to itself")
    return i, j


def sample_network(model, C, sample: int = 0, *, what: str | None = None, project_to_dag: bool = True,
                   threshold: float = 0.0) -> np.ndarray:
    """The network :func:`plot_network` draws for row ``sample`` of C: a (x_dim, x_dim) array.

    ``what``: "correlation" (correlation networks' default: signed correlations),
    "partial_correlation" (Markov networks' default), "precision" (Markov), "dag" (Bayesian
    networks' default: W projected to a DAG when ``project_to_dag``, edges with |w| <=
    ``threshold`` removed) or "coefficients" (``predict_networks``' betas). Averaged over
    bootstrap replicates as ``individual_preds=False``.
    """
    model = _fitted(model)
    Cm, _ = _contexts(model, C)
    sample = check_int(sample, "sample", 0)
    if sample >= Cm.shape[0]:
        raise ValueError(f"sample must be a row of C (0 to {Cm.shape[0] - 1}), not {sample}")
    kinds = _WHAT[model._type]
    what = kinds[0] if what is None else what
    if what not in kinds:
        raise ValueError(f"what must be one of {list(kinds)} for a {model._type} network, not {what!r}")
    row = Cm[sample:sample + 1]
    threshold = check_float(threshold, "threshold", 0.0)
    project = _bool(project_to_dag, "project_to_dag")
    if what == "correlation":
        return model.predict_correlation(row, individual_preds=False, squared=False)[0]
    if what == "partial_correlation":
        return model.predict_partial_correlations(row, individual_preds=False)[0]
    if what == "precision":
        return model.predict_precisions(row, individual_preds=False)[0]
    if model._type == "bayesian":
        return model.predict_networks(row, project_to_dag=project and what == "dag", threshold=threshold)[0]
    return model.predict_networks(row)[0]


def plot_network(model, C, sample: int = 0, *, what: str | None = None, project_to_dag: bool = True,
                 threshold: float = 0.0, annotate: bool | None = None, cmap: str = "RdBu_r", figsize=None):
    """One sample's network as a heat map of its edge weights.

    Parameters
    ----------
    model : fitted ContextualizedCorrelationNetworks, ContextualizedMarkovNetworks or ContextualizedBayesianNetworks
    C : array_like, shape (n, context_dim)
        Contexts; row ``sample`` is drawn.
    sample : int
        Which row of C.
    what, project_to_dag, threshold
        As :func:`sample_network` (the values drawn).
    annotate : bool, optional
        Write each value in its cell (default: with 12 features or fewer).
    cmap, figsize
        Colour map (centred at 0) and figure size.

    Returns
    -------
    matplotlib.figure.Figure
        The heat map's image holds the values (``fig.axes[0].images[0].get_array()``). Cell
        [i, j]: the edge i -> j of a Bayesian network (rows parents, columns children); the
        coefficient of feature j in feature i's regression for "coefficients"; a symmetric
        (partial) correlation otherwise. The diagonal is masked.
    """
    model = _fitted(model)
    values = sample_network(model, C, sample, what=what, project_to_dag=project_to_dag, threshold=threshold)
    kind = what if what is not None else _WHAT[model._type][0]
    names = list(model.feature_names_)
    p = len(names)
    annotate = p <= 12 if annotate is None else _bool(annotate, "annotate")
    shown = np.ma.masked_array(values, mask=np.eye(p, dtype=bool))
    fig, axes = _figure(1, figsize=figsize or (1.6 + 0.55 * p, 1.2 + 0.5 * p))
    ax = axes[0]
    off = values[~np.eye(p, dtype=bool)]
    vmax = float(np.max(np.abs(off))) if off.size and np.max(np.abs(off)) > 0 else 1.0
    image = ax.imshow(shown, cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.set_xticks(range(p), names, rotation=45 if p > 4 else 0, ha="right" if p > 4 else "center")
    ax.set_yticks(range(p), names)
    if model._type == "bayesian" and kind == "dag":
        ax.set_xlabel("to (child)")
        ax.set_ylabel("from (parent)")
    elif kind == "coefficients":
        ax.set_xlabel("predictor j")
        ax.set_ylabel("regression of feature i")
    if annotate:
        for i in range(p):
            for j in range(p):
                if i != j and values[i, j] != 0.0:
                    ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize="x-small",
                            color="w" if abs(values[i, j]) > 0.6 * vmax else "k")
    label = {"correlation": "correlation", "partial_correlation": "partial correlation", "precision": "precision",
             "dag": "edge weight", "coefficients": "coefficient"}[kind]
    fig.colorbar(image, ax=ax, label=label)
    ax.set_title(f"sample {sample}: {label}", fontsize="medium")
    return fig


def network_edge_curve(model, C, edge, context=0, *, alpha: float = 0.05, n_grid: int = 100,
                       project_to_dag: bool = True, threshold: float = 0.0) -> dict:
    """The data :func:`plot_network_edge` draws, computed by the core (``network_edge_curve``):
    ``x`` (the grid of the context feature), ``estimate`` (the edge along it), ``lower`` and
    ``upper`` (the bootstrap percentile band, None without replicates), ``held`` (where the
    other context features are held), ``indicator`` (the feature has two values at most),
    ``sample_x`` and ``sample_edge`` (every row of C), and the names ``context``, ``edge``."""
    model = _fitted(model)
    Cm, cnames = _contexts(model, C)
    i, j = _edge(model, edge)
    (k,) = _select(context, cnames, "context")
    alpha = check_float(alpha, "alpha", 0.0, 1.0, low_open=True, high_open=True)
    n_grid = check_int(n_grid, "n_grid", 2)
    project = _bool(project_to_dag, "project_to_dag") and model._type == "bayesian"
    out = _core.network_edge_curve(model.model_, Cm, k, i, j, n_grid, alpha, project,
                                   check_float(threshold, "threshold", 0.0))
    names = list(model.feature_names_)
    out.update(context=cnames[k], edge=(names[i], names[j]))
    return out


def plot_network_edge(model, C, edge, context=0, *, alpha: float = 0.05, n_grid: int = 100,
                      show_samples: bool = True, project_to_dag: bool = True, threshold: float = 0.0, figsize=None):
    """How one edge changes with one context feature.

    Parameters
    ----------
    model : fitted ctxstats network
    C : array_like, shape (n, context_dim)
        Contexts (usually the training contexts): they set the grid's range, where the other
        features are held, and the dots.
    edge : pair of feature names or positions
        (i, j): ``betas[i, j]`` of ``predict_networks`` -- the edge i -> j of a Bayesian
        network, the coefficient of feature j in feature i's regression otherwise.
    context : str or int
        The context feature on the horizontal axis (default the first).
    alpha : float
        The band is the (1 - alpha) bootstrap percentile interval (fits with n_bootstraps >= 2).
    n_grid : int
        Points on the curve.
    show_samples : bool
        Each sample's own edge as a dot (they scatter around the curve when other context
        features matter).
    project_to_dag, threshold
        Bayesian networks: the edges of the graphs projected to DAGs (as ``predict_networks``).
    figsize : tuple, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    d = network_edge_curve(model, C, edge, context, alpha=alpha, n_grid=n_grid, project_to_dag=project_to_dag,
                           threshold=threshold)
    show_samples = _bool(show_samples, "show_samples")
    fig, axes = _figure(1, figsize=figsize or (4.6, 3.4))
    ax = axes[0]
    a, b = d["edge"]
    name = f"{a} -> {b}" if model._type == "bayesian" else f"{a} ~ {b}"
    if show_samples:
        ax.scatter(d["sample_x"], d["sample_edge"], s=6, alpha=0.3, color="0.5", linewidths=0, label="samples")
    if d["indicator"]:
        err = None if d["lower"] is None else np.abs(np.vstack([d["estimate"] - d["lower"], d["upper"] - d["estimate"]]))
        ax.errorbar(d["x"], d["estimate"], yerr=err, fmt="o", color="C0", capsize=4, lw=2, label="fit")
        ax.set_xticks(d["x"])
    else:
        if d["lower"] is not None:
            ax.fill_between(d["x"], d["lower"], d["upper"], color="C0", alpha=0.25,
                            label=f"{100 * (1 - alpha):g}% bootstrap interval")
        ax.plot(d["x"], d["estimate"], color="C0", lw=2, label="fit")
    ax.set_xlabel(d["context"])
    ax.set_ylabel(f"edge {name}")
    ax.set_title(f"{name} vs {d['context']}", fontsize="medium")
    ax.legend(fontsize="small", loc="best")
    return fig
