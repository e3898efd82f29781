"""Subtypes from sample models: samples grouped by their estimated models.

Contextualized models give every sample its own model; the seed paper's "analysis clusters"
(Lengerich et al. 2023, §2.3) group the samples by those models rather than by their
contexts, and summarise each group by its average model. ``results.subtypes(k=None)`` does
this for every encoder's results, for :class:`ctxstats.PersonalizedRegression` results and
(``estimator.subtypes(C)``) for the estimators of ``ctxstats.easy`` and the networks of
``ctxstats.networks``.

Everything is computed by the C++ core (``csrc/inference/subtypes.hpp``, the same code R's
``ctx_subtypes`` calls):

- the per-sample parameters are standardised column by column (centred at their mean over the
  samples, divided by their standard deviation, ddof 0; a parameter that does not vary is
  only centred), so every parameter weighs the same whatever its units -- a parameter that
  varies only by noise weighs as much as one with real structure, so leave such columns out
  with ``params=``;
- k-means (Lloyd) on the standardised parameters from ``n_starts`` k-means++ seedings, the
  start with the smallest within-cluster sum of squares kept; subtypes are numbered by
  decreasing size;
- without ``k``: k in 2 .. ``k_max`` maximising the mean silhouette width (Rousseeuw 1987;
  computed on a seeded subsample of 2,000 samples when there are more), and k = 1 when the
  best mean silhouette is below 0.25, "no substantial structure" (Kaufman & Rousseeuw 1990).
  The silhouette is chosen over the gap statistic and mixture BIC because it needs no
  reference distribution or Gaussian shape, and it is what a user checks by hand; it measures
  separation, so on a continuum of models (a linear encoder's) it still splits at k >= 2 and
  the subtypes are then a coarsening, not discrete groups;
- with bootstrap replicates: each replicate's per-sample parameters are standardised with the
  fit's centres and scales and re-clustered with the same k; reported are the adjusted Rand
  index of each replicate's clustering against the fit's (``replicate_ari``, its mean
  ``stability``), the replicates' clusters matched to the fit's by maximal overlap (Hungarian
  algorithm), per sample the share of replicates that keep it in its subtype
  (``coassignment``), and each subtype's average parameters with percentile intervals over
  the replicates (membership re-estimated in each replicate). Every replicate's per-sample
  parameters are evaluated at once (B x n x parameters doubles in memory);
- without replicates, from the fit's own covariance: the linear encoder with analytic
  covariances (each subtype's average parameters are U [1; cbar_s], cbar_s its members' mean
  context, so their covariance is exact given the membership) and the spline encoder's
  Bayesian covariance Vp (the average is linear in the basis weights, covariance L_s Vp L_s');
  intervals use the fit's t or normal quantile, and do not include the uncertainty of the
  assignment. Other fits without replicates: no intervals.

Random draws come from the core's counter-based generator (stream ``kSubtypes``) keyed by
``seed``: the result is bitwise the same for any thread count and in R.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ctxstats import _core
from ctxstats.inference import average_effect_covariance, critical_value

__all__ = ["Subtypes", "adjusted_rand_index"]


def adjusted_rand_index(a, b) -> float:
    """The adjusted Rand index of two labellings (Hubert & Arabie 1985), computed by the core."""
    a = pd.factorize(np.asarray(a))[0]
    b = pd.factorize(np.asarray(b))[0]
    return float(_core.adjusted_rand_index(a.tolist(), b.tolist()))


def _check_int(value, name: str, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be at least {low}, not {value}")
    return int(value)


class Subtypes:
    """Subtypes of the samples found from their models.

    Attributes
    ----------
    labels : ndarray of int, shape (n,)
        Each sample's subtype, 0 .. k-1 (0 the largest).
    k : int
        The number of subtypes (chosen by the silhouette when not given).
    criterion : pandas.Series
        The mean silhouette width of each candidate k (index ``k``).
    sizes : pandas.Series
        Samples per subtype.
    table : pandas.DataFrame
        Each subtype's average model: index (subtype, parameter), columns ``mean`` and, when
        there are intervals, ``std err``, ``lower`` and ``upper``.
    intervals : str
        Where the intervals come from ("bootstrap, B=...", "analytic ...", or "none").
    stability : float or None
        The mean adjusted Rand index between the fit's clustering and the replicates'.
    replicate_ari : ndarray or None
        Per replicate, its adjusted Rand index against the fit's clustering.
    coassignment : pandas.Series or None
        Per sample, the share of replicates that keep it in its subtype.
    scores : pandas.DataFrame
        The standardised parameters on their first two principal components (PC1, PC2).
    explained : ndarray
        The share of the standardised variance each of the two components carries.
    """

    def __init__(self, out: dict, param_names, row_labels=None, analytic=None):
        self._out = out
        self.param_names = list(param_names)
        self.k = int(out["k"])
        self.labels = np.asarray(out["labels"], dtype=int)
        self.n_bootstraps = int(out["n_bootstraps"])
        index = row_labels if row_labels is not None else pd.RangeIndex(len(self.labels))
        self.row_labels = index
        self.criterion = pd.Series(np.asarray(out["criterion"], dtype=float),
                                   index=pd.Index(np.asarray(out["candidates"], dtype=int), name="k"),
                                   name="mean silhouette")
        self.sizes = pd.Series(np.asarray(out["sizes"], dtype=int), index=pd.RangeIndex(self.k, name="subtype"),
                               name="size")
        self.scores = pd.DataFrame(out["scores"], columns=["PC1", "PC2"], index=index)
        self.explained = np.asarray(out["explained"], dtype=float)
        self.center = pd.Series(out["center"], index=self.param_names)
        self.scale = pd.Series(out["scale"], index=self.param_names)
        self.unconverged_starts = int(out["unconverged_starts"])
        rows = pd.MultiIndex.from_product([range(self.k), self.param_names], names=["subtype", "parameter"])
        table = {"mean": np.asarray(out["means"]).ravel()}
        if self.n_bootstraps > 0:
            table.update({"std err": out["se"].ravel(), "lower": out["lower"].ravel(), "upper": out["upper"].ravel()})
            self.intervals = f"bootstrap, B={self.n_bootstraps}, percentile, membership re-estimated per replicate"
            self.replicate_ari = np.asarray(out["replicate_ari"])
            self.stability = float(self.replicate_ari.mean())
            self.coassignment = pd.Series(out["coassignment"], index=index, name="coassignment")
        else:
            self.replicate_ari = None
            self.stability = None
            self.coassignment = None
            if analytic is not None:
                table.update({"std err": analytic["se"].ravel(), "lower": analytic["lower"].ravel(),
                              "upper": analytic["upper"].ravel()})
                self.intervals = analytic["caption"]
            else:
                self.intervals = "none (fit with n_bootstraps=B for bootstrap intervals and stability)"
        self.table = pd.DataFrame(table, index=rows)

    @property
    def means(self) -> pd.DataFrame:
        """k x parameters: each subtype's average parameters."""
        return pd.DataFrame(np.asarray(self._out["means"]), index=pd.RangeIndex(self.k, name="subtype"),
                            columns=self.param_names)

    def summary(self) -> str:
        lines = [f"Subtypes from sample models: k = {self.k} ({len(self.labels)} samples)"]
        if len(self.criterion) > 1:
            lines.append("k chosen by the mean silhouette width (k = 1 below 0.25):")
            lines.append("  " + "  ".join(f"k={k}: {v:.3f}" for k, v in self.criterion.items()))
        elif len(self.criterion) == 1:
            lines.append(f"k given; mean silhouette width {self.criterion.iloc[0]:.3f}")
        lines.append("sizes: " + ", ".join(f"{s}: {n}" for s, n in self.sizes.items()))
        if self.stability is not None:
            lines.append(f"bootstrap stability: mean adjusted Rand index {self.stability:.3f} over "
                         f"{self.n_bootstraps} replicates; median co-assignment "
                         f"{float(np.median(self.coassignment)):.3f}")
        lines.append(f"intervals: {self.intervals}")
        with pd.option_context("display.width", 120, "display.max_rows", 200):
            lines.append(self.table.to_string(float_format=lambda v: f"{v:.4g}"))
        if self.unconverged_starts:
            lines.append(f"note: {self.unconverged_starts} k-means starts stopped at 300 iterations")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, **kwargs):
        """The subtypes drawn by :func:`ctxstats.plotting.plot_subtypes`."""
        from ctxstats.plotting import plot_subtypes

        return plot_subtypes(self, **kwargs)


def find(theta, param_names, replicates=None, *, k=None, k_max: int = 8, n_starts: int = 10, seed=0,
         alpha: float = 0.05, threads: int = 0, row_labels=None, analytic=None) -> Subtypes:
    """Subtypes of per-sample parameters ``theta`` (n x d); ``replicates`` (B x n x d) gives
    the bootstrap stability; ``analytic(labels, means, alpha)`` returns intervals given a labelling."""
    k = 0 if k is None else _check_int(k, "k", 1)
    k_max = _check_int(k_max, "k_max", 2)
    n_starts = _check_int(n_starts, "n_starts", 1)
    seed = _check_int(0 if seed is None else seed, "seed", 0)
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), not {alpha}")
    theta = np.ascontiguousarray(theta, dtype=float)
    if replicates is not None:
        replicates = np.ascontiguousarray(replicates, dtype=float)
    out = _core.subtypes(theta, replicates, k, k_max, n_starts, seed, float(alpha), int(threads or 0))
    extra = None
    if analytic is not None and replicates is None:
        extra = analytic(np.asarray(out["labels"]), np.asarray(out["means"]), float(alpha))
    return Subtypes(out, param_names, row_labels, extra)


def _select(theta, names, params):
    if params is None:
        return theta, list(names)
    params = [params] if isinstance(params, str) else list(params)
    unknown = [p for p in params if p not in names]
    if unknown or not params:
        raise ValueError(f"params must name parameters among {list(names)}; unknown: {unknown}")
    idx = [list(names).index(p) for p in params]
    return theta[..., idx], params


def _fit_seed(options: dict, seed):
    if seed is not None:
        return seed
    s = options.get("seed") if isinstance(options, dict) else None
    return 0 if s is None else int(s)


def _intervals_given_assignment(res, C, sel):
    """Intervals for the subtypes' average parameters from the fit's own covariance, given
    the assignment, or None: the linear encoder's analytic covariance V of its interaction
    coefficients (a subtype's average is U [1; cbar_s], covariance L_s V L_s'), or the spline
    encoder's Bayesian Vp (a subtype's average is L_s w, covariance L_s Vp L_s', as mgcv)."""
    inf = res._inference
    q = len(res.param_names)
    if inf.name == "analytic":
        lc = inf.covariance(res)

        def cov_of(Cs):
            return average_effect_covariance(lc, Cs, q)
        caption = f"analytic, cov_type={lc.cov_type}, given the assignment (linear encoder)"
    elif inf.name == "spline_vp":
        from ctxstats.spline import _fit

        Vp = np.asarray(_fit(res)["smoothing"]["Vp"], dtype=float)
        W = np.asarray(res.weights, dtype=float)

        def cov_of(Cs):
            return _core.spline_average_effects(res.options, res.scaling, W, Vp, Cs)[1]
        caption = "Bayesian covariance Vp (mgcv), given the assignment (spline encoder)"
    else:
        return None
    use_t, df = inf.use_t(res), inf.df_resid(res)
    cols = list(range(q)) if sel is None else sel

    def intervals(labels, means, alpha):
        crit = critical_value(use_t, df, alpha)
        se = np.vstack([np.sqrt(np.diag(cov_of(np.ascontiguousarray(C[labels == s]))))[cols]
                        for s in range(means.shape[0])])
        return {"se": se, "lower": means - crit * se, "upper": means + crit * se, "caption": caption}
    return intervals


def glm_subtypes(res, k=None, *, params=None, k_max=8, n_starts=10, seed=None, alpha=0.05) -> Subtypes:
    """``ContextualizedGLMResults.subtypes``: see the module docstring."""
    names = list(res.param_names)
    theta = res.sample_params.to_numpy()
    C = np.ascontiguousarray(res.model.context, dtype=float)
    reps = None
    if res.n_bootstraps > 0:
        reps = np.asarray(_core.bootstrap_theta(res.options, res.scaling,
                                                np.ascontiguousarray(res.bootstrap_weights, dtype=float), C))
        reps = reps.reshape(res.n_bootstraps, theta.shape[0], theta.shape[1])
    sel = None if params is None else [names.index(p) for p in _select(theta, names, params)[1]]
    theta, chosen = _select(theta, names, params)
    if reps is not None and sel is not None:
        reps = reps[..., sel]
    analytic = _intervals_given_assignment(res, C, sel) if reps is None else None
    return find(theta, chosen, reps, k=k, k_max=k_max, n_starts=n_starts, seed=_fit_seed(res.options, seed),
                alpha=alpha, threads=res.options.get("threads", 0), row_labels=res.model.row_labels,
                analytic=analytic)


def personalized_subtypes(res, k=None, *, params=None, k_max=8, n_starts=10, seed=None, alpha=0.05) -> Subtypes:
    """``PersonalizedRegressionResults.subtypes``: see the module docstring."""
    names = list(res.model.param_names)
    theta, chosen = _select(res.sample_params.to_numpy(), names, params)
    reps = None
    if res.n_bootstraps > 0:
        reps, _ = _select(np.asarray(res._boot["theta"]), names, params)
    return find(theta, chosen, reps, k=k, k_max=k_max, n_starts=n_starts, seed=_fit_seed(res.options, seed),
                alpha=alpha, threads=res.options.get("threads", 0), row_labels=res.model.row_labels)


def easy_subtypes(est, C, k=None, *, k_max=8, n_starts=10, seed=0, alpha=0.05, threads=0) -> Subtypes:
    """``estimator.subtypes(C)`` of a ``ctxstats.easy`` estimator: samples clustered by their
    models at contexts ``C`` -- every outcome's intercept and coefficients, named ``"y1:intercept"``,
    ``"y1:x2"`` (with ``univariate=True`` one pair per outcome and predictor, ``"y1~x2:slope"``).
    The point estimate is the mean over the estimator's replicates, as ``predict_params``; with
    ``n_bootstraps >= 2`` the replicates give the stability and the intervals."""
    theta = np.asarray(est._theta(C))                  # (B, n, y_dim, 1 + x_dim) or (B, n, y_dim, x_dim, 2)
    B, n = theta.shape[:2]
    if est._univariate():
        names = [f"y{t + 1}~x{j + 1}:{part}" for t in range(est.y_dim) for j in range(est.x_dim)
                 for part in ("intercept", "slope")]
    else:
        names = [f"y{t + 1}:{'intercept' if j == 0 else f'x{j}'}" for t in range(est.y_dim)
                 for j in range(est.x_dim + 1)]
    flat = theta.reshape(B, n, len(names))
    return find(flat.mean(axis=0), names, flat if B >= 2 else None, k=k, k_max=k_max, n_starts=n_starts,
                seed=seed, alpha=alpha, threads=threads)


def network_subtypes(est, C, k=None, *, k_max=8, n_starts=10, seed=0, alpha=0.05, threads=0) -> Subtypes:
    """``estimator.subtypes(C)`` of the networks: samples clustered by their network edges
    (the off-diagonal entries of ``predict_networks(C)``, named ``"xi~xj"`` for the
    coefficient of feature j in the regression (or DAG weight) of feature i)."""
    nets = np.asarray(est.predict_networks(C))
    n, p = nets.shape[0], nets.shape[1]
    off = ~np.eye(p, dtype=bool)
    feats = list(getattr(est, "feature_names_", None) or [f"x{j + 1}" for j in range(p)])
    names = [f"{feats[i]}~{feats[j]}" for i in range(p) for j in range(p) if i != j]
    theta = nets[:, off]
    reps = None
    if getattr(est, "n_bootstraps_", 0) >= 2:
        reps = np.asarray(est.predict_networks(C, individual_preds=True))[:, :, off]
    return find(theta, names, reps, k=k, k_max=k_max, n_starts=n_starts, seed=seed, alpha=alpha, threads=threads)
