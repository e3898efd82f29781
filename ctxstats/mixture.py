"""Mixtures of contextualized regressions: ``ContextualizedMixture``.

The model (Lengerich et al. 2023, §2: uncertainty in the sample-specific parameters by a
mixture) is

    y_i | x_i, c_i ~ sum_k pi_k(c_i) N(x_i . theta_k(c_i), sigma_k^2),
    theta_k(c) = B_k [1, c]         (each component a linear varying-coefficient model),
    pi(c) = softmax(V [1, c])       (multinomial-logit mixing weights, first component the reference),

the model R's flexmix fits as ``flexmix(y ~ (x1 + x2) * (c1 + c2), k = K,
concomitant = FLXPmultinom(~ c1 + c2))``. With ``family="poisson"`` each component is a Poisson
regression with log link, log E(y | component k) = x_i . theta_k(c_i) (flexmix's
``model = FLXMRglm(family = "poisson")``), its M-step the exact solver's weighted IRLS. The C++ core fits it by EM from several seeded
starts and keeps the best log-likelihood (``csrc/glm/mixture.hpp``): each component's M-step
is the exact solver's weighted least squares with the posterior probabilities as weights,
sigma_k its weighted residual SD (floored at 1e-4 times the response's SD, with a warning),
and the mixing weights a few Newton steps of the multinomial logit. A start converges when
the relative change in log-likelihood is at most ``tol``; a fit whose best start stopped at
``max_iter`` warns (:class:`~ctxstats.ConvergenceWarning`). Starts in which a component keeps
less than ``min_share`` of the rows are abandoned (spurious maxima: a component that
interpolates a few rows with a tiny sigma; flexmix's ``minprior``).

Components are put in a canonical order -- ascending mean fitted response over the samples --
so that fits from other seeds or resampled data label their components alike.

``fit(n_bootstraps=B)`` adds bootstrap standard errors and percentile intervals, with the
replicates' components matched to the fit's (label switching; ``csrc/glm/mixture_bootstrap.hpp``).

Only ``family="gaussian"`` or ``"poisson"`` and ``encoder="linear"`` are available (a mixture of
logistic regressions of 0/1 responses is not identifiable from one response per row). A mixture fit cannot be
saved to a model file yet (``save`` raises ValueError). This module only converts data and
names things; everything else is computed by the core.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ctxstats import _core
from ctxstats._validation import as_matrix, as_vector, check_weights, model_arrays
from ctxstats.convergence import ConvergenceWarning
from ctxstats.inference import percentile_summary

__all__ = ["ContextualizedMixture", "ContextualizedMixtureResults"]


def _check_int(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be at least {low}, not {value}")
    return int(value)


class ContextualizedMixture:
    """A mixture of ``n_components`` contextualized (linear varying-coefficient) regressions
    with context-dependent mixing weights.

    Parameters
    ----------
    endog : array_like (n,)
    exog : array_like (n, p)
        Predictors (an intercept is added).
    context : array_like (n, m)
        Context features: both the components' coefficients and the mixing weights are linear
        in them.
    n_components : int or "bic"
        The number of components K, or ``"bic"``: fit K in ``k_range`` (``fit``'s argument,
        default 1..4) and keep the smallest BIC.
    family : "gaussian" or "poisson"
        Gaussian components with their own residual SD, or Poisson components with log link.
    encoder : "linear"
        The only encoder available (theta_k(c) = B_k [1, c]).
    weights : array_like (n,), optional
        Case weights (frequency weights multiply each row's log-likelihood).
    """

    def __init__(self, endog, exog, context, n_components=2, family: str = "gaussian", encoder: str = "linear",
                 weights=None):
        if not (isinstance(n_components, str) and n_components == "bic"):
            n_components = _check_int(n_components, "n_components", 1)
        if family not in ("gaussian", "poisson"):
            raise ValueError(f"family={family!r} is not available for mixtures of contextualized regressions; "
                             "use family='gaussian' or 'poisson' (a mixture of logistic regressions of 0/1 "
                             "responses is not identifiable from one response per row)")
        if encoder not in ("linear",):
            raise ValueError(f"encoder={encoder!r} is not available for mixtures of contextualized regressions; "
                             "use encoder='linear'")
        self.n_components, self.family, self.encoder = n_components, family, encoder
        (self.endog, self.endog_name, self.exog, self.exog_names, self.context,
         self.context_names) = model_arrays(endog, exog, context, weights)
        n = self.endog.shape[0]
        self.weights = check_weights(weights, n)
        self.row_labels = endog.index if isinstance(endog, pd.Series) else None
        self.formula = None

    @classmethod
    def from_formula(cls, formula: str, data, missing: str = "drop", weights=None, **kwargs):
        """A mixture from ``"y ~ predictors | context"`` (the formula of ``ctx_glm``); the
        intercept cannot be removed. Keyword arguments go to the constructor."""
        from ctxstats.formula.parse import build_design

        design = build_design(formula, data, missing)
        if not design.plan.fit_intercept:
            raise ValueError("a mixture of contextualized regressions needs the intercept; remove '- 1' / '0 +'")
        if isinstance(weights, str):
            if weights not in data.columns:
                raise ValueError(f"weights={weights!r} is not a column of data")
            weights = data[weights]
        if weights is not None:
            w = np.asarray(weights, dtype=float)
            if w.ndim != 1 or w.shape[0] != len(data):
                raise ValueError(f"weights must have one entry per row of data ({len(data)})")
            weights = pd.Series(w[design.rows], index=design.endog.index)
        model = cls(design.endog, design.exog, design.context, weights=weights, **kwargs)
        model.formula = formula
        return model

    @property
    def nobs(self) -> int:
        return int(self.endog.shape[0])

    @property
    def param_names(self) -> list[str]:
        """The names of one component's coefficients, as the interaction design
        ``y ~ (x1 + ...) * (c1 + ...)`` names them (R's and flexmix's order within a predictor)."""
        names = []
        for a in ["(Intercept)"] + list(self.exog_names):
            for j in ["(Intercept)"] + list(self.context_names):
                if a == "(Intercept)":
                    names.append(j)
                elif j == "(Intercept)":
                    names.append(a)
                else:
                    names.append(f"{a}:{j}")
        return names

    def fit(self, n_starts: int = 10, seed: int = 0, max_iter: int = 1000, tol: float = 1e-10,
            min_share: float = 0.05, threads: int | None = None, start_posterior=None,
            k_range=(1, 4), n_bootstraps: int = 0) -> "ContextualizedMixtureResults":
        """Fit by EM from ``n_starts`` random starts (random assignments of the rows, drawn from
        ``seed``), plus ``start_posterior`` (n x K probabilities) when given, and keep the
        largest log-likelihood. ``tol``: the relative change in log-likelihood at which a start
        has converged; ``max_iter``: EM iterations per start. ``min_share``: a start in which a
        component's share of the rows falls below it (or below its number of parameters) is
        abandoned -- such a component interpolates a few rows with a tiny sigma, a spurious
        maximum of the unbounded likelihood (flexmix's ``minprior``, also 0.05). ``threads`` (None: all) does not
        change the numbers. With ``n_components="bic"``, ``k_range=(k_min, k_max)``.

        ``n_bootstraps=B`` (B >= 2) adds the nonparametric bootstrap of the fitted K: B refits on
        resampled rows (drawn from ``seed``), each started at this fit's posterior, their components
        matched to this fit's by the agreement of the posterior probabilities (the core's
        ``bootstrap_mixture``), giving ``bse``, ``sigma_se``, ``gate_bse`` and ``conf_int()``."""
        n_starts = _check_int(n_starts, "n_starts", 0)
        n_bootstraps = _check_int(n_bootstraps, "n_bootstraps", 0)
        if n_bootstraps == 1:
            raise ValueError("n_bootstraps must be 0 (none) or at least 2")
        seed = _check_int(seed, "seed", 0)
        max_iter = _check_int(max_iter, "max_iter", 1)
        threads = 0 if threads is None else _check_int(threads, "threads", 0)
        for name, value in (("tol", tol), ("min_share", min_share)):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
                raise TypeError(f"{name} must be a number, not {type(value).__name__}")
        args = (np.ascontiguousarray(self.context, dtype=float), np.ascontiguousarray(self.exog, dtype=float),
                np.ascontiguousarray(self.endog, dtype=float), self.weights, self.family, self.encoder)
        table = None
        if self.n_components == "bic":
            if start_posterior is not None:
                raise ValueError("start_posterior needs a fixed n_components, not 'bic'")
            if (not isinstance(k_range, (tuple, list)) or len(k_range) != 2):
                raise ValueError("k_range must be (k_min, k_max)")
            k_min, k_max = (_check_int(k, "k_range", 1) for k in k_range)
            fits, chosen = _core.mixture_select(*args, k_min, k_max, n_starts, max_iter, float(tol),
                                                 float(min_share), seed, threads)
            table = pd.DataFrame({"k": [f["k"] for f in fits], "llf": [f["loglik"] for f in fits],
                                  "df": [f["df"] for f in fits], "aic": [f["aic"] for f in fits],
                                  "bic": [f["bic"] for f in fits],
                                  "converged": [f["converged"] for f in fits]}).set_index("k")
            out = fits[chosen]
        else:
            post = None
            if start_posterior is not None:
                post = np.ascontiguousarray(np.asarray(start_posterior, dtype=float))
            out = _core.mixture_fit(*args, self.n_components, n_starts, max_iter, float(tol),
                                   float(min_share), seed, threads, post)
        if out["message"]:
            warnings.warn(ConvergenceWarning(out["message"]), stacklevel=2)
        boot = None
        if n_bootstraps:
            boot = _core.mixture_bootstrap(*args, int(out["k"]), max_iter, float(tol), float(min_share), seed,
                                           threads, np.ascontiguousarray(out["posterior"]), n_bootstraps, 0.05)
            if boot["message"]:
                warnings.warn(ConvergenceWarning(boot["message"]), stacklevel=2)
        return ContextualizedMixtureResults(self, out, table, dict(n_starts=n_starts, seed=seed, max_iter=max_iter,
                                                                   tol=float(tol), min_share=float(min_share),
                                                                   n_bootstraps=n_bootstraps), boot)


class ContextualizedMixtureResults:
    """A fitted :class:`ContextualizedMixture`.

    Attributes
    ----------
    params : DataFrame
        Each component's coefficients (rows: the interaction design's terms, ``param_names``;
        columns ``Comp.1`` .. ``Comp.K``, the layout of flexmix's ``parameters()``).
    sigma : Series or None
        Each component's residual standard deviation.
    gate_params : DataFrame
        The multinomial logit of the mixing weights (rows ``(Intercept)`` and the context
        features; ``Comp.1``, the reference, is zero).
    posterior : DataFrame (n x K)
        Each sample's posterior component probabilities.
    prior : DataFrame (n x K)
        The mixing weights pi_k(c_i).
    labels : ndarray (n,)
        The most probable component of each sample (0-based, as ``subtypes().labels``).
    sample_params : DataFrame
        Per-component per-sample coefficients theta_k(c_i) (columns: (component, parameter)).
    llf, df_model, nobs, aic, bic, converged, n_iter, start_llf, bic_table
    bse, sigma_se, gate_bse : bootstrap standard errors (``fit(n_bootstraps=B)``; else None)
    bootstrap : dict or None
        The replicates (``coef`` B x K q (m + 1), ``sigma``, ``gate_coef``; rows of replicates in
        which a component lost its rows are NaN), ``failed``, ``unconverged`` and ``relabelled``
        counts (replicates whose own canonical order differed from the matched one).
    """

    def __init__(self, model: ContextualizedMixture, out: dict, bic_table, fit_args: dict, boot=None):
        self.model, self._out, self.bic_table, self.fit_args = model, out, bic_table, fit_args
        self.bootstrap = boot
        self.k = int(out["k"])
        self.component_names = [f"Comp.{k + 1}" for k in range(self.k)]
        index = model.row_labels if model.row_labels is not None else pd.RangeIndex(model.nobs)
        self._index = index
        K, q, m1 = self.k, len(model.exog_names) + 1, len(model.context_names) + 1
        self.params = pd.DataFrame(np.asarray(out["coef"]).reshape(K, q * m1).T, index=model.param_names,
                                   columns=self.component_names)
        # residual SDs of gaussian components (None for poisson ones)
        self.sigma = (pd.Series(out["sigma"], index=self.component_names, name="sigma")
                      if len(out["sigma"]) else None)
        self.gate_params = pd.DataFrame(np.asarray(out["gate_coef"]).T,
                                        index=["(Intercept)"] + list(model.context_names),
                                        columns=self.component_names)
        self.posterior = pd.DataFrame(out["posterior"], index=index, columns=self.component_names)
        self.prior = pd.DataFrame(out["prior"], index=index, columns=self.component_names)
        self.labels = np.asarray(out["posterior"]).argmax(axis=1)
        names = ["Intercept"] + list(model.exog_names)
        theta = np.asarray(out["theta"])  # K x n x q
        cols = pd.MultiIndex.from_tuples([(c, p) for c in self.component_names for p in names],
                                         names=["component", "parameter"])
        self.sample_params = pd.DataFrame(np.concatenate(list(theta), axis=1), index=index, columns=cols)
        self.llf = float(out["loglik"])
        self.df_model = float(out["df"])
        self.nobs = float(out["nobs"])
        self.aic, self.bic = float(out["aic"]), float(out["bic"])
        self.converged, self.n_iter = bool(out["converged"]), int(out["n_iter"])
        self.sigma_floored = bool(out["sigma_floored"])
        self.sizes = pd.Series(out["size"], index=self.component_names, name="size")
        self.start_llf = np.asarray(out["start_loglik"])
        self.start_status = np.asarray(out["start_status"])
        self.bse = self.sigma_se = self.gate_bse = None
        if boot is not None:
            self.bse = pd.DataFrame(np.asarray(boot["coef_summary"]["se"]).reshape(K, q * m1).T,
                                    index=self.params.index, columns=self.component_names)
            self.sigma_se = (pd.Series(boot["sigma_summary"]["se"], index=self.component_names, name="sigma_se")
                             if self.sigma is not None else None)
            self.gate_bse = pd.DataFrame(np.asarray(boot["gate_summary"]["se"]).reshape(K, m1).T,
                                         index=self.gate_params.index, columns=self.component_names)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Bootstrap percentile intervals of ``params`` (rows: the parameters; columns: (component,
        lower/upper)), from the core's summary of the replicates that were fitted."""
        if self.bootstrap is None:
            raise ValueError("intervals need the bootstrap: fit(n_bootstraps=B), B >= 200 for 95% intervals")
        reps = np.asarray(self.bootstrap["coef"])
        reps = np.ascontiguousarray(reps[~np.isnan(reps).any(axis=1)])
        s = percentile_summary(reps, float(alpha))
        K, P = self.k, len(self.params.index)
        lower, upper = np.asarray(s["lower"]).reshape(K, P).T, np.asarray(s["upper"]).reshape(K, P).T
        cols = pd.MultiIndex.from_tuples([(c, b) for c in self.component_names for b in ("lower", "upper")])
        return pd.DataFrame(np.stack([lower, upper], axis=2).reshape(P, 2 * K), index=self.params.index,
                            columns=cols)

    def _rows(self, exog, context):
        m = self.model
        if exog is None and context is None:
            return m.exog, m.context
        if exog is None or context is None:
            raise ValueError("give both exog and context (or neither, for the training samples)")
        X, _ = as_matrix(exog, "exog", "x")
        C, _ = as_matrix(context, "context", "c", X.shape[0])
        return X, C

    def _predict(self, exog, context, endog=None):
        X, C = self._rows(exog, context)
        y = None if endog is None else np.ascontiguousarray(as_vector(endog, "endog")[0], dtype=float)
        o = self._out
        return _core.mixture_predict(self.model.family, o["scaling"], np.ascontiguousarray(o["weights"]), np.ascontiguousarray(o["gate"]),
                                     np.ascontiguousarray(o["sigma"]), np.ascontiguousarray(X, dtype=float),
                                     np.ascontiguousarray(C, dtype=float), y)

    def predict(self, exog=None, context=None, which: str = "mean"):
        """``which="mean"``: the mixture mean sum_k pi_k(c) mu_k(c) (mu_k = x . theta_k(c), or its
        exponential for poisson components); ``"components"``:
        each component's mean (rows x K); ``"prior"``: the mixing weights pi_k(c)."""
        if which not in ("mean", "components", "prior"):
            raise ValueError(f"which must be 'mean', 'components' or 'prior', not {which!r}")
        p = self._predict(exog, context)
        if which == "mean":
            return p["mean"]
        return pd.DataFrame(p["means" if which == "components" else "prior"], columns=self.component_names)

    def predict_posterior(self, endog, exog, context) -> pd.DataFrame:
        """Posterior component probabilities of new rows (endog, exog, context)."""
        return pd.DataFrame(self._predict(exog, context, endog)["posterior"], columns=self.component_names)

    def save(self, path) -> None:
        raise ValueError("saving a mixture fit to a model file is not available yet; keep the fit's params, "
                         "gate_params and sigma, or refit from the same data and seed (the fit is deterministic)")

    def summary(self) -> str:
        """The fit's components, mixing model and information criteria as text."""
        lines = [f"Mixture of {self.k} contextualized regressions ({self.model.family}, linear encoder), fitted by EM",
                 f"Observations: {self.nobs:g}   Log-likelihood: {self.llf:.4f}   df: {self.df_model:g}   "
                 f"AIC: {self.aic:.4f}   BIC: {self.bic:.4f}",
                 f"Converged: {self.converged} after {self.n_iter} EM iterations (best of "
                 f"{len(self.start_llf)} starts)", "",
                 "Component sizes (sum of posterior probabilities)"
                 + (" and residual SDs:" if self.sigma is not None else ":"),
                 pd.DataFrame({"size": self.sizes} if self.sigma is None else
                              {"size": self.sizes, "sigma": self.sigma}).T.to_string(), "",
                 "Coefficients theta_k(c) = B_k [1, c]:", self.params.to_string(), ""]
        if self.bse is not None:
            b = self.bootstrap
            lines += [f"Bootstrap standard errors ({self.fit_args['n_bootstraps']} replicates; {b['failed']} lost "
                      f"a component, {b['unconverged']} unconverged, {b['relabelled']} relabelled):",
                      self.bse.to_string(), ""]
        lines += [
                 "Mixing weights: multinomial logit on the context (Comp.1 the reference):",
                 self.gate_params.to_string()]
        if self.bic_table is not None:
            lines += ["", "Number of components chosen by BIC:", self.bic_table.to_string()]
        lines += ["", "Notes:", "[1] Components are ordered by their mean fitted response (ascending)."]
        if self.sigma_floored:
            lines.append("[2] A component's residual SD reached the floor: it fits a few rows exactly.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()
