"""Pictures of fitted contextualized models (matplotlib).

Every function takes a fitted object first — a :class:`ctxstats.ContextualizedGLMResults`,
or a fitted ``ctxstats.easy`` estimator (then ``output`` picks the outcome column and its
bootstrap replicates supply the bands) — gives every other argument a default, and returns a
:class:`matplotlib.figure.Figure`. Figures are built without pyplot, so they work under any
backend (including Agg on a server) and leave pyplot's state alone; save them with
``fig.savefig("name.png")``, or let a notebook display them.

Bands: a results object that carries per-sample intervals (``sample_conf_int``: bootstrap
percentile intervals when the fit has ``bootstrap_weights``, or analytic ones for the linear
encoder) gets pointwise bands; an ``easy`` estimator fitted with ``n_bootstraps`` > 1 gets
percentile bands over its replicates; otherwise the point estimates alone are drawn.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

__all__ = ["plot_coefficients", "coefficient_curves_frame", "factor_levels_frame", "plot_ngam_effects", "plot_sample_heatmap", "plot_embedding",
           "plot_coefficient_surface", "plot_subtypes"]


# ---- access to fitted objects -------------------------------------------------------------------
class _Fit:
    """A uniform view of a results object or of one outcome of a fitted easy estimator."""

    def __init__(self, obj, output: int = 0, alpha: float = 0.05):
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), not {alpha}")
        self.alpha = alpha
        if hasattr(obj, "results_"):                      # a fitted ctxstats.easy estimator
            if obj.results_ is None:
                raise ValueError("the estimator is not fitted")
            if not 0 <= output < len(obj.results_):
                raise ValueError(f"output must be between 0 and {len(obj.results_) - 1}, not {output}")
            self.replicates = obj.results_[output]
            self.train_context = obj.train_context_
        elif hasattr(obj, "predict_params") and hasattr(obj, "model"):
            self.replicates = [obj]
            self.train_context = None
        else:
            raise TypeError(f"expected fitted ctxstats results or a fitted ctxstats.easy estimator, "
                            f"not {type(obj).__name__}")
        self.results = self.replicates[0]
        model = self.results.model
        self.model = model
        # Bootstrap replicates of an easy estimator were fitted on resampled rows: plot the
        # training rows, with each replicate's model evaluated at them.
        self.context = model.context if self.train_context is None else self.train_context
        self.context_names = list(model.context_names)
        self.param_names = list(model.param_names)

    @property
    def encoder(self) -> str:
        return self.model.encoder

    def sample_params(self) -> np.ndarray:
        if self.train_context is None:
            return self.results.sample_params.to_numpy()
        return self.params_at(self.context)[0]

    def params_at(self, C: np.ndarray):
        """Point estimates (n, q) at contexts C, and (lower, upper) bands or None."""
        frame = pd.DataFrame(C, columns=self.context_names)
        reps = np.stack([r.predict_params(frame).to_numpy() for r in self.replicates])
        point = reps.mean(axis=0)
        if len(self.replicates) > 1:
            lo, hi = np.quantile(reps, [self.alpha / 2, 1 - self.alpha / 2], axis=0)
            return point, (lo, hi)
        return point, self._results_bands(frame)

    def _results_bands(self, frame: pd.DataFrame):
        res = self.results
        if getattr(res, "bootstrap_weights", None) is None and "smoothing" in (getattr(res, "spline_fit", None) or {}):
            from ctxstats import spline                   # penalised spline fit: Vp intervals

            lower, upper = spline.sample_conf_int(res, context=frame, alpha=self.alpha)
            return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        if not hasattr(res, "sample_conf_int"):
            return None
        if getattr(res, "bootstrap_weights", None) is None and getattr(res, "cov_type", None) is None:
            return None
        try:
            lower, upper = res.sample_conf_int(alpha=self.alpha, context=frame)
        except ValueError:                                # no inference available for this fit
            return None
        return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)

    def select_params(self, params) -> list[int]:
        return _select(params, self.param_names, "params")

    def select_context(self, names) -> list[int]:
        return _select(names, self.context_names, "context")


def _select(chosen, names: list[str], what: str) -> list[int]:
    if chosen is None:
        return list(range(len(names)))
    if isinstance(chosen, (str, int, np.integer)):
        chosen = [chosen]
    out = []
    for c in chosen:
        if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            if not 0 <= c < len(names):
                raise ValueError(f"{what} index {c} is out of range (there are {len(names)})")
            out.append(int(c))
        elif c in names:
            out.append(names.index(c))
        else:
            raise ValueError(f"{what} {c!r} is not one of {names}")
    if not out:
        raise ValueError(f"{what} selects nothing")
    return out


def _figure(n_panels: int, ncols: int | None = None, size=(3.6, 2.9), figsize=None):
    from matplotlib.figure import Figure

    ncols = ncols or min(n_panels, 3)
    nrows = int(np.ceil(n_panels / ncols))
    fig = Figure(figsize=figsize or (size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    return fig, axes[:n_panels]


def _binary(col: np.ndarray) -> bool:
    """A context column with two values at most (an indicator, e.g. a factor's dummy)."""
    return np.unique(col).size <= 2


def _reference(C: np.ndarray) -> np.ndarray:
    """Where the other context features are held: continuous ones at their mean, indicator
    columns (two values at most, e.g. a factor's dummies) at their most common value -- so a
    binary factor is held at a level it takes, not at a share such as 0.92."""
    ref = C.mean(axis=0)
    for j in range(C.shape[1]):
        if _binary(C[:, j]):
            values, counts = np.unique(C[:, j], return_counts=True)
            ref[j] = values[np.argmax(counts)]
    return ref


def _grid(fit: _Fit, j: int, n_grid: int) -> np.ndarray:
    """Contexts along feature j (its values if it is an indicator, else n_grid points over its
    1st to 99th percentile) with the other features held as :func:`_reference` says."""
    C = fit.context
    if _binary(C[:, j]):
        x = np.unique(C[:, j])
    else:
        lo, hi = np.quantile(C[:, j], [0.01, 0.99]) if C.shape[0] > 20 else (C[:, j].min(), C[:, j].max())
        if lo == hi:
            lo, hi = C[:, j].min(), C[:, j].max()
        x = np.linspace(lo, hi, n_grid)
    G = np.tile(_reference(C), (x.size, 1))
    G[:, j] = x
    return G


def _held_label(fit: _Fit, j: int) -> str:
    """The legend of a slice: what the other features are held at."""
    others = [i for i in range(fit.context.shape[1]) if i != j]
    if not others:
        return "fit"
    kinds = {_binary(fit.context[:, i]) for i in others}
    return {frozenset([False]): "others at mean", frozenset([True]): "others at most common value"}.get(
        frozenset(kinds), "others at mean / most common value")


_DUMMY = re.compile(r"^(?P<factor>.+)\[(?:T\.)?(?P<level>.+)\]$")


def _factors(fit: _Fit) -> dict[str, dict]:
    """The context's factors with more than one indicator column, from their names (formulaic's
    ``region[T.b]`` / ``C(region)[T.b]``): factor -> {"columns": indices, "levels": the levels
    of those columns, "baseline": the level without a column (None when every level has one)}."""
    groups: dict[str, dict] = {}
    for j, name in enumerate(fit.context_names):
        m = _DUMMY.match(name)
        if m and _binary(fit.context[:, j]):
            g = groups.setdefault(m["factor"], {"columns": [], "levels": [], "baseline": None})
            g["columns"].append(j)
            g["levels"].append(m["level"])
    groups = {f: g for f, g in groups.items() if len(g["columns"]) > 1}
    plan = getattr(fit.model, "formula_plan", None)
    for f, g in groups.items():
        dummies = fit.context[:, g["columns"]]
        if np.all(dummies.sum(axis=1) == 1):      # every row has its level's column: no baseline
            continue
        g["baseline"] = "reference"
        try:
            cats = plan.context_spec.encoder_state[f][1]["categories"] if plan is not None else None
        except (KeyError, IndexError, TypeError, AttributeError):
            cats = None
        if cats:
            rest = [str(c) for c in cats if str(c) not in g["levels"]]
            if len(rest) == 1:
                g["baseline"] = rest[0]
    return groups


def _factor_grid(fit: _Fit, group: dict):
    """One context row per level of a factor (the others held as :func:`_reference` says), the
    level labels, and each sample's level position."""
    cols = group["columns"]
    ref = _reference(fit.context)
    ref[cols] = 0.0
    labels = ([group["baseline"]] if group["baseline"] is not None else []) + list(group["levels"])
    G = np.tile(ref, (len(labels), 1))
    offset = 1 if group["baseline"] is not None else 0
    for i, j in enumerate(cols):
        G[offset + i, j] = 1.0
    dummies = fit.context[:, cols]
    position = np.where(dummies.max(axis=1) > 0, np.argmax(dummies, axis=1) + offset, 0).astype(float)
    return G, labels, position


def factor_levels_frame(results, factor, params=None, *, alpha: float = 0.05, output: int = 0) -> pd.DataFrame:
    """The numbers :func:`plot_coefficients` draws for a factor in the context: for each level
    (the baseline first) and parameter, the fitted value with the other context features held
    fixed and its pointwise (1 - alpha) interval (``lower``/``upper``; NaN when the fit has no
    intervals). R's ``plot(fit, context = factor)`` draws the same numbers."""
    fit = _Fit(results, output, alpha)
    groups = _factors(fit)
    if factor not in groups:
        raise ValueError(f"factor {factor!r} is not one of the context's factors {list(groups)}")
    G, labels, _ = _factor_grid(fit, groups[factor])
    point, bands = fit.params_at(G)
    rows = []
    for k in fit.select_params(params):
        for i, lab in enumerate(labels):
            lo, hi = (np.nan, np.nan) if bands is None else (bands[0][i, k], bands[1][i, k])
            rows.append((fit.param_names[k], lab, point[i, k], lo, hi))
    return pd.DataFrame(rows, columns=["param", "level", "estimate", "lower", "upper"])


def coefficient_curves_frame(results, context=None, params=None, *, alpha: float = 0.05, n_grid: int = 100,
                             output: int = 0) -> pd.DataFrame:
    """The numbers :func:`plot_coefficients` draws for a context feature that is not a factor
    with several levels: for each parameter and grid point, the feature's value (``x``), the
    fitted parameter with the other context features held fixed (``estimate``) and its pointwise
    (1 - alpha) interval (``lower``/``upper``; NaN when the fit has no intervals). The grid is
    the feature's two values for an indicator, else ``n_grid`` points over its 1st to 99th
    percentile. R's ``plot(fit, context = feature)`` returns the same numbers (invisibly)."""
    fit = _Fit(results, output, alpha)
    (j,) = fit.select_context(context if context is not None else 0)
    return _curves(fit, j, fit.select_params(params), n_grid)


def _curves(fit: _Fit, j: int, ks: list[int], n_grid) -> pd.DataFrame:
    """coefficient_curves_frame of a _Fit along context column j for parameters ks."""
    if not isinstance(n_grid, (int, np.integer)) or isinstance(n_grid, bool) or n_grid < 2:
        raise ValueError(f"n_grid must be an integer >= 2, not {n_grid!r}")
    G = _grid(fit, j, int(n_grid))
    point, bands = fit.params_at(G)
    rows = []
    for k in ks:
        lo = np.full(G.shape[0], np.nan) if bands is None else bands[0][:, k]
        hi = np.full(G.shape[0], np.nan) if bands is None else bands[1][:, k]
        rows.append(pd.DataFrame({"param": fit.param_names[k], "context": fit.context_names[j], "x": G[:, j],
                                  "estimate": point[:, k], "lower": lo, "upper": hi}))
    return pd.concat(rows, ignore_index=True)


def plot_coefficients(results, context=None, params=None, *, alpha: float = 0.05, n_grid: int = 100,
                      show_samples: bool = True, output: int = 0, figsize=None):
    """Each sample's coefficients against one context feature.

    Parameters
    ----------
    results : ContextualizedGLMResults or fitted ctxstats.easy estimator
    context : str or int, optional
        The context feature on the horizontal axis (default: the first).
    params : str, int or list, optional
        Which parameters (names or positions in ``param_names``); default all, one panel each.
    alpha : float
        Bands are (1 - alpha) pointwise intervals, drawn when the fit carries them (see the
        module docstring).
    n_grid : int
        Points on the curve.
    show_samples : bool
        Draw each sample's estimate as a dot (they scatter around the curve when other
        context features matter).
    output : int
        Outcome column of an easy estimator.
    figsize : tuple, optional

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The curve is the fitted parameter along a grid of the chosen feature (its 1st to 99th
    percentile) with every other context feature held fixed -- continuous ones at their mean,
    indicator columns (two values at most, such as a factor's dummies) at their most common
    value: a slice of the fitted surface, not an average over the other features. An
    indicator on the horizontal axis is drawn at its two values, as points with intervals.
    A factor with several levels (its indicator columns named ``factor[T.level]``, as formulas
    make them) is drawn by level when ``context`` names the factor (or its first column comes
    first): one point with its interval per level, the baseline first, every other context
    feature held as above; :func:`factor_levels_frame` returns those numbers.
    No zero line is drawn: the vertical axis follows the estimates.
    """
    fit = _Fit(results, output, alpha)
    groups = _factors(fit)
    if isinstance(context, str) and context in groups:
        return _plot_factor(fit, context, groups[context], params, alpha, show_samples, figsize)
    if context is None:
        first = [f for f, g in groups.items() if 0 in g["columns"]]
        if first:
            return _plot_factor(fit, first[0], groups[first[0]], params, alpha, show_samples, figsize)
    (j,) = fit.select_context(context if context is not None else 0)
    ks = fit.select_params(params)
    curves = _curves(fit, j, ks, n_grid)
    theta = fit.sample_params() if show_samples else None
    fig, axes = _figure(len(ks), figsize=figsize)
    label = _held_label(fit, j)
    discrete = _binary(fit.context[:, j])
    for ax, k in zip(axes, ks):
        curve = curves[curves["param"] == fit.param_names[k]]
        x, est = curve["x"].to_numpy(), curve["estimate"].to_numpy()
        lo, hi = curve["lower"].to_numpy(), curve["upper"].to_numpy()
        has_band = not np.isnan(lo).all()
        if theta is not None:
            ax.scatter(fit.context[:, j], theta[:, k], s=6, alpha=0.3, color="0.5", linewidths=0,
                       label="samples")
        if discrete:                      # an indicator: its two values, each with its interval
            err = np.abs(np.vstack([est - lo, hi - est])) if has_band else None
            ax.errorbar(x, est, yerr=err, fmt="o", color="C0", capsize=4, lw=2, label=label)
            ax.set_xticks(x)
        else:
            if has_band:
                ax.fill_between(x, lo, hi, color="C0", alpha=0.25, label=f"{100 * (1 - alpha):g}% interval")
            ax.plot(x, est, color="C0", lw=2, label=label)
        ax.set_xlabel(fit.context_names[j])
        ax.set_ylabel(fit.param_names[k])
        ax.set_title(f"{fit.param_names[k]} vs {fit.context_names[j]}", fontsize="medium")
    axes[0].legend(fontsize="small", loc="best")
    return fig


def _plot_factor(fit: _Fit, factor: str, group: dict, params, alpha: float, show_samples: bool, figsize):
    """plot_coefficients for a factor: a point with its interval per level."""
    ks = fit.select_params(params)
    G, labels, position = _factor_grid(fit, group)
    point, bands = fit.params_at(G)
    theta = fit.sample_params() if show_samples else None
    fig, axes = _figure(len(ks), figsize=figsize)
    x = np.arange(len(labels), dtype=float)
    label = _held_label(fit, group["columns"][0]) if fit.context.shape[1] > len(group["columns"]) else "fit"
    for ax, k in zip(axes, ks):
        if theta is not None:
            ax.scatter(position, theta[:, k], s=6, alpha=0.3, color="0.5", linewidths=0, label="samples")
        err = None if bands is None else np.abs(np.vstack([point[:, k] - bands[0][:, k],
                                                           bands[1][:, k] - point[:, k]]))
        ax.errorbar(x, point[:, k], yerr=err, fmt="o", color="C0", capsize=4, lw=2, label=label)
        ax.set_xticks(x)
        ax.set_xticklabels(labels)
        ax.set_xlabel(factor)
        ax.set_ylabel(fit.param_names[k])
        ax.set_title(f"{fit.param_names[k]} by {factor}", fontsize="medium")
    axes[0].legend(fontsize="small", loc="best")
    return fig


# ---- 2. ngam effect curves ----------------------------------------------------------------------
def _centred_bands(fit: _Fit, G: np.ndarray, reference: np.ndarray):
    """Percentile bands of the centred curves theta(G) - theta(reference), replicate by
    replicate (each replicate's curve centred at its own value at the reference), or None when
    the fit has no replicates: a band of theta(G) shifted by the point estimate's centre would
    carry the uncertainty of the level as well as of the effect."""
    res = fit.results
    if len(fit.replicates) > 1:
        frames = [pd.DataFrame(A, columns=fit.context_names) for A in (G, reference)]
        curves = np.stack([r.predict_params(frames[0]).to_numpy() - r.predict_params(frames[1]).to_numpy()
                           for r in fit.replicates])
    elif getattr(res, "bootstrap_weights", None) is not None:
        from ctxstats import _core

        Gc, Rc = (np.ascontiguousarray(A, dtype=float) for A in (G, reference))
        curves = np.stack([_core.predict_theta(res.options, res.scaling, np.ascontiguousarray(w), Gc)
                           - _core.predict_theta(res.options, res.scaling, np.ascontiguousarray(w), Rc)
                           for w in np.asarray(res.bootstrap_weights)])
    else:
        return None
    lo, hi = np.quantile(curves, [fit.alpha / 2, 1 - fit.alpha / 2], axis=0)
    return lo, hi


def plot_ngam_effects(results, params=None, context=None, *, alpha: float = 0.05, n_grid: int = 100,
                      output: int = 0, figsize=None):
    """Per-feature effect curves of a neural additive (``ngam``) encoder.

    Panel (k, j) shows how parameter k changes with context feature j, all other features held
    as in :func:`plot_coefficients`, centred to 0 at feature j's mean (an indicator: its most
    common value).

    Parameters
    ----------
    results : ContextualizedGLMResults or fitted ctxstats.easy estimator
    params : str, int or list, optional
        Parameters, one row of panels each (default all).
    context : str, int or list, optional
        Context features, one column of panels each (default all).
    alpha, n_grid, output, figsize
        As in :func:`plot_coefficients`.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    For the ngam encoder without archetypes, theta_k(c) = sum_j g_jk(c_j) + b_k, so varying
    c_j with the others fixed traces g_jk exactly, up to an additive constant (the other
    features' terms): each curve is g_jk, shifted so that it is 0 at the mean of c_j. For other
    encoders (or with archetypes, whose softmax mixes the features) the curves are only slices
    of the fitted surface; a warning says so. Bands (fits with bootstrap replicates, or a
    bootstrapped easy estimator): the percentile band of each replicate's curve centred at its
    own value at the reference, so that the band is that of the effect, not of the level; fits
    without replicates are drawn without a band.
    """
    fit = _Fit(results, output, alpha)
    if fit.encoder != "ngam" or fit.model.encoder_options.get("archetypes", 0):
        warnings.warn("the curves isolate per-feature effects only for the ngam encoder without "
                      "archetypes; for this fit they are slices at the mean of the other features",
                      UserWarning, stacklevel=2)
    ks = fit.select_params(params)
    js = fit.select_context(context)
    reference = _reference(fit.context)[None, :]
    centre = fit.params_at(reference)[0][0]
    fig, axes = _figure(len(ks) * len(js), ncols=len(js), size=(3.2, 2.5), figsize=figsize)
    axes = axes.reshape(len(ks), len(js))
    for col, j in enumerate(js):
        G = _grid(fit, j, n_grid)
        point, _ = fit.params_at(G)
        bands = _centred_bands(fit, G, reference)
        x = G[:, j]
        rug = fit.context[:, j]
        for row, k in enumerate(ks):
            ax = axes[row, col]
            if bands is not None:
                ax.fill_between(x, bands[0][:, k], bands[1][:, k], color="C1", alpha=0.25)
            ax.plot(x, point[:, k] - centre[k], color="C1", lw=2)
            ax.axhline(0.0, color="0.7", lw=0.8, zorder=0)
            ax.plot(rug, np.full_like(rug, 0.0), "|", color="0.4", ms=4, alpha=0.3,
                    transform=ax.get_xaxis_transform())
            if row == len(ks) - 1:
                ax.set_xlabel(fit.context_names[j])
            if col == 0:
                ax.set_ylabel(f"effect on {fit.param_names[k]}")
    fig.suptitle("Per-feature effects (centred at each feature's mean)", fontsize="medium")
    return fig


# ---- 3. heat map of per-sample parameters -------------------------------------------------------
def plot_sample_heatmap(results, params=None, *, standardize: bool = True, method: str = "average",
                        max_samples: int = 2000, output: int = 0, cmap: str = "RdBu_r", figsize=None):
    """Heat map of the per-sample parameters, samples ordered by hierarchical clustering.

    Parameters
    ----------
    results : ContextualizedGLMResults or fitted ctxstats.easy estimator
    params : str, int or list, optional
        Columns to show (default all parameters).
    standardize : bool
        Show (and cluster) each parameter as a z-score across samples, so parameters on
        different scales share one colour scale. False shows raw values.
    method : str
        Linkage method of :func:`scipy.cluster.hierarchy.linkage` (Euclidean distances).
    max_samples : int
        With more samples, an evenly spaced subset of this many (in data order) is shown, to
        keep the clustering's O(n^2) memory bounded.
    output, cmap, figsize
        Outcome column of an easy estimator; colour map; figure size.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from scipy.cluster.hierarchy import leaves_list, linkage

    fit = _Fit(results, output)
    ks = fit.select_params(params)
    theta = fit.sample_params()[:, ks]
    n = theta.shape[0]
    if max_samples < 2:
        raise ValueError(f"max_samples must be at least 2, not {max_samples}")
    rows = np.arange(n) if n <= max_samples else np.unique(np.linspace(0, n - 1, max_samples).round().astype(int))
    values = theta[rows]
    if standardize:
        sd = values.std(axis=0)
        values = (values - values.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    order = leaves_list(linkage(values, method=method)) if values.shape[0] > 1 else np.arange(1)
    fig, axes = _figure(1, figsize=figsize or (1.2 + 0.9 * len(ks), 5.0))
    ax = axes[0]
    vmax = float(np.max(np.abs(values))) or 1.0
    image = ax.imshow(values[order], aspect="auto", interpolation="nearest", cmap=cmap, vmin=-vmax, vmax=vmax)
    ax.set_xticks(range(len(ks)), [fit.param_names[k] for k in ks], rotation=45, ha="right")
    ax.set_ylabel(f"samples ({len(rows)} of {n}, clustered)" if len(rows) < n else "samples (clustered)")
    ax.set_yticks([])
    fig.colorbar(image, ax=ax, label="z-score across samples" if standardize else "value")
    return fig


# ---- 4. 2-D embedding ---------------------------------------------------------------------------
def plot_embedding(results, color_by=None, params=None, *, standardize: bool = True, output: int = 0,
                   cmap: str = "viridis", figsize=None):
    """The samples' models in two dimensions: PCA of ``sample_params``, coloured by a context column.

    Parameters
    ----------
    results : ContextualizedGLMResults or fitted ctxstats.easy estimator
    color_by : str, int or array_like, optional
        A context feature (name or position; default the first), or any length-n array.
    params : str, int or list, optional
        Parameters entering the PCA (default all).
    standardize : bool
        Scale each parameter to unit variance before the PCA.
    output, cmap, figsize
        Outcome column of an easy estimator; colour map; figure size.

    Returns
    -------
    matplotlib.figure.Figure
        Axes titled with the share of variance each component explains.
    """
    fit = _Fit(results, output)
    ks = fit.select_params(params)
    theta = fit.sample_params()[:, ks]
    n = theta.shape[0]
    if color_by is None or isinstance(color_by, (str, int, np.integer)):
        (j,) = fit.select_context(color_by if color_by is not None else 0)
        colour, label = fit.context[:, j], fit.context_names[j]
    else:
        colour = np.asarray(color_by)
        label = getattr(color_by, "name", None) or "colour"
        if colour.shape != (n,):
            raise ValueError(f"color_by must have one value per sample ({n}), not shape {colour.shape}")
    Z = theta - theta.mean(axis=0)
    if standardize:
        sd = Z.std(axis=0)
        Z = Z / np.where(sd > 0, sd, 1.0)
    U, S, Vt = np.linalg.svd(Z, full_matrices=False)
    scores = U * S
    if scores.shape[1] < 2:
        scores = np.column_stack([scores, np.zeros(n)])
        S = np.append(S, 0.0)
    share = S ** 2 / max(float(np.sum(S ** 2)), np.finfo(float).tiny)
    fig, axes = _figure(1, figsize=figsize or (5.2, 4.2))
    ax = axes[0]
    numeric = np.issubdtype(colour.dtype, np.number) or colour.dtype == bool
    if numeric:
        pts = ax.scatter(scores[:, 0], scores[:, 1], c=colour.astype(float), cmap=cmap, s=10, alpha=0.8,
                         linewidths=0)
        fig.colorbar(pts, ax=ax, label=label)
    else:
        for i, level in enumerate(pd.unique(colour)):
            sel = colour == level
            ax.scatter(scores[sel, 0], scores[sel, 1], s=10, alpha=0.8, color=f"C{i % 10}", label=str(level),
                       linewidths=0)
        ax.legend(title=label, fontsize="small")
    ax.set_xlabel(f"PC1 ({100 * share[0]:.0f}% of variance)")
    ax.set_ylabel(f"PC2 ({100 * share[1]:.0f}% of variance)")
    ax.set_title("Sample models (PCA of sample_params)", fontsize="medium")
    return fig


# ---- 5. surfaces over a pair of context features (spline tensor-product terms) ------------------
def plot_coefficient_surface(results, interaction=None, params=None, *, kind: str = "coefficient",
                             alpha: float = 0.05, n_grid: int = 40, figsize=None):
    """Coefficients over a pair of context features with a tensor-product term (spline encoder).

    One row of two panels per parameter: the estimate as a filled contour map over the pair,
    and the half-width of its pointwise (1 - alpha) interval (Bayesian, from Vp), with the
    fitted samples' positions as dots.

    Parameters
    ----------
    results : ContextualizedGLMResults
        A fit with ``encoder="spline"`` and ``interactions``.
    interaction : pair of context columns, optional
        Which fitted interaction (default: the first).
    params : str, int or list, optional
        Which parameters; default all.
    kind : {"coefficient", "term"}
        The whole coefficient over the pair (other context features at their means), or the
        tensor-product term alone; see :func:`ctxstats.spline.coefficient_surfaces`.
    alpha : float
    n_grid : int
        Grid points per feature.
    figsize : tuple, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ctxstats import spline

    if not (hasattr(results, "model") and getattr(results.model, "encoder", None) == "spline"):
        raise TypeError("plot_coefficient_surface needs the results of a fit with encoder='spline'")
    frame = spline.coefficient_surfaces(results, None if interaction is None else [interaction], n_points=n_grid,
                                        alpha=alpha, kind=kind)
    pair = frame["context"].iloc[0]
    frame = frame[frame["context"] == pair]
    names = list(results.model.param_names)
    ks = _select(params, names, "params")
    a, b = pair.split(":")
    ctx = list(results.model.context_names)
    fig, axes = _figure(2 * len(ks), ncols=2, size=(4.2, 3.3), figsize=figsize)
    for row, k in enumerate(ks):
        sub = frame[frame["coefficient"] == names[k]]
        v1 = sub["value1"].to_numpy().reshape(n_grid, n_grid)
        v2 = sub["value2"].to_numpy().reshape(n_grid, n_grid)
        est = sub["estimate"].to_numpy().reshape(n_grid, n_grid)
        half = ((sub["upper"] - sub["lower"]) / 2).to_numpy().reshape(n_grid, n_grid)
        for ax, values, title in ((axes[2 * row], est, f"{names[k]}" + (" (term)" if kind == "term" else "")),
                                  (axes[2 * row + 1], half, f"{names[k]}: {100 * (1 - alpha):g}% half-width")):
            cs_ = ax.contourf(v1, v2, values, levels=12, cmap="viridis")
            fig.colorbar(cs_, ax=ax)
            ax.scatter(results.model.context[:, ctx.index(a)], results.model.context[:, ctx.index(b)], s=2,
                       color="w", alpha=0.3, linewidths=0)
            ax.set_xlabel(a)
            ax.set_ylabel(b)
            ax.set_title(title, fontsize="medium")
    return fig


# ---- subtypes -----------------------------------------------------------------------------------
def plot_subtypes(subtypes, params=None, *, max_params: int = 12, figsize=None):
    """Subtypes found from sample models (:meth:`ContextualizedGLMResults.subtypes`).

    Left: every sample's standardised parameters on their first two principal components,
    coloured by subtype. Right: each subtype's average parameters (``params``, at most
    ``max_params`` of them by default) with their intervals when the subtypes carry any
    (bootstrap percentile or analytic; see ``subtypes.intervals``).
    """
    from ctxstats.subtypes import Subtypes

    if not isinstance(subtypes, Subtypes):
        raise TypeError(f"expected ctxstats.subtypes.Subtypes, not {type(subtypes).__name__}")
    names = subtypes.param_names[:max_params] if params is None else params
    idx = _select(names, subtypes.param_names, "params")
    names = [subtypes.param_names[j] for j in idx]
    fig, (ax0, ax1) = _figure(2, 2, size=(4.6, 3.6), figsize=figsize)
    colors = [f"C{s % 10}" for s in range(subtypes.k)]
    sc = subtypes.scores.to_numpy()
    for s in range(subtypes.k):
        sel = subtypes.labels == s
        ax0.scatter(sc[sel, 0], sc[sel, 1], s=6, alpha=0.6, color=colors[s], label=f"subtype {s} (n={sel.sum()})")
    ax0.set_xlabel(f"PC1 ({100 * subtypes.explained[0]:.0f}%)")
    ax0.set_ylabel(f"PC2 ({100 * subtypes.explained[1]:.0f}%)")
    ax0.set_title("sample models, standardised")
    ax0.legend(fontsize="small", markerscale=2)
    table = subtypes.table
    width = 0.8 / subtypes.k
    x = np.arange(len(names))
    for s in range(subtypes.k):
        rows = table.loc[s].loc[names]
        pos = x - 0.4 + width * (s + 0.5)
        if "lower" in rows:
            err = np.vstack([rows["mean"] - rows["lower"], rows["upper"] - rows["mean"]])
            ax1.errorbar(pos, rows["mean"], yerr=np.clip(err, 0, None), fmt="o", ms=4, color=colors[s], capsize=2)
        else:
            ax1.plot(pos, rows["mean"], "o", ms=4, color=colors[s])
    ax1.axhline(0.0, color="0.6", lw=0.8)
    ax1.set_xticks(x)
    ax1.set_xticklabels(names, rotation=45 if len(names) > 4 else 0, ha="right" if len(names) > 4 else "center")
    ax1.set_title("average model per subtype" + ("" if "lower" in table else " (no intervals)"))
    return fig
