"""Inference objects: where a contextualized GLM fit gets its standard errors, intervals,
p-values and heterogeneity tests.

Each kind of inference is one small class, with its formulas in its docstring, chosen once
at fit time by name from :data:`INFERENCE` (as linearmodels chooses its covariance
estimators in ``iv/covariance.py``):

============  ==========================  =================================================
name          class                       used when
============  ==========================  =================================================
analytic      :class:`AnalyticInference`  ``cov_type`` nonrobust or HC0-HC3 (the unpenalised
                                          linear encoder without archetypes)
bootstrap     :class:`BootstrapInference` ``cov_type="bootstrap"`` (any encoder, replicates)
spline_vp     :class:`SplineVpInference`  spline encoder, exact solver, no bootstrap
none          :class:`NoInference`        anything else: every request raises, naming the fix
============  ==========================  =================================================

The results object (:class:`ctxstats.results.ContextualizedGLMResults`) delegates
``cov_params``, ``bse``, ``pvalues``, ``conf_int``, ``sample_conf_int``,
``get_prediction``, ``heterogeneity_test``, ``context_effects`` and the summary's inference
tables to its inference object instead of branching on ``cov_type``.

The statistics are computed by the C++ core, through :mod:`ctxstats.inference` and
:mod:`ctxstats.spline`; these classes only decide which statistic applies and name it.
An inference object holds its settings (``cov_type``) and a cache of what it has computed
(``_cache``, saved empty by :mod:`ctxstats.io`); the fit it describes -- data, encoder
weights, bootstrap replicates, smoothing report -- is passed to every method as ``res``, so a
saved results file holds the data once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ctxstats import _core
from ctxstats._families import inverse_link, link_family
from ctxstats.inference import (
    ANALYTIC_COV_TYPES,
    LinearCovariance,
    average_effect_covariance,
    bootstrap_pass,
    check_alpha,
    coefficient_table,
    critical_value,
    heterogeneity_wald,
    interaction_coefficients,
    linear_covariance,
    percentile_summary,
    replicate_covariance,
)

__all__ = [
    "INFERENCE",
    "HETEROGENEITY_TESTS",
    "Inference",
    "AnalyticInference",
    "BootstrapInference",
    "SplineVpInference",
    "NoInference",
    "make_inference",
    "choose_inference",
    "inference_spec",
    "interval_names",
    "no_inference_error",
    "PredictionResults",
    "AnalyticPrediction",
    "BootstrapPrediction",
]

HETEROGENEITY_COLUMNS = ["statistic", "df", "df_denom", "pvalue"]
# heterogeneity_test(method=...): the inference object that runs each test
HETEROGENEITY_TESTS = {"wald": "analytic", "bootstrap": "bootstrap", "smooth": "spline_vp"}


def no_inference_error() -> ValueError:
    """The error of every inference request on a fit that has none."""
    return ValueError("this fit has no standard errors: analytic ones exist only for the unpenalised linear "
                      "encoder; for other models refit with n_bootstraps=B (e.g. 200)")


def interval_names(alpha: float) -> tuple[str, str]:
    """The column names of (1 - alpha) interval limits in the tables: ``[0.025``, ``0.975]``."""
    return f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"


class Cached:
    """Values derived on first use and kept in ``_cache`` (which files store empty)."""

    _cache: dict

    def _cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


class Inference(Cached):
    """What every inference object offers; by default, none of it (each method raises).

    Attributes
    ----------
    name : str
        The key in :data:`INFERENCE`.
    cov_type : str or None
        What ``results.cov_type`` reports.
    heterogeneity_method : str or None
        The ``method`` of ``results.heterogeneity_test()`` without arguments (and of the
        summary's heterogeneity table); None: no test of its own, and heterogeneity_test() raises
        the inference's reason.
    reports_params : bool
        Whether the average effects have standard errors (the summary's inference tables).
    reports_heterogeneity : bool
        Whether the summary shows this inference's heterogeneity table (a spline fit's Vp
        inference leaves it to the smooth-term tables).
    """

    name = ""
    cov_type: str | None = None
    heterogeneity_method = "bootstrap"
    reports_params = False
    reports_heterogeneity = False

    def __init__(self):
        self._cache: dict = {}

    @property
    def config(self) -> dict:
        """The keyword arguments that rebuild this object with :func:`make_inference`."""
        return {}

    def _check_loaded(self) -> None:
        """Called by ``ctxstats.load``: the object is what :func:`make_inference` builds from
        its name and config (with an empty cache)."""
        from ctxstats._state import same_state

        if not isinstance(vars(self).get("_cache"), dict):
            raise ValueError(f"{type(self).__name__}._cache is missing")
        same_state(self, make_inference(self.name, **self.config))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.config.items())})"

    # ---- average effects -------------------------------------------------------------------
    def caption(self, res) -> str:
        """How the summary's table of average effects says where its inference comes from."""
        raise no_inference_error()

    def use_t(self, res) -> bool:
        return False

    def df_resid(self, res) -> float | None:
        """Residual degrees of freedom of the inference (None: nobs - df_model applies)."""
        return None

    def cov_params(self, res) -> np.ndarray:
        """Covariance (q x q) of the average effects ``params``."""
        raise no_inference_error()

    def bse(self, res) -> np.ndarray:
        return np.sqrt(np.diag(self.cov_params(res)))

    def pvalues(self, res) -> np.ndarray:
        raise no_inference_error()

    def conf_int(self, res, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        raise no_inference_error()

    def test_columns(self, res) -> dict:
        """The columns of ``params_table`` between ``std err`` and the interval."""
        raise no_inference_error()

    # ---- per sample, predictions -----------------------------------------------------------
    def sample_conf_int(self, res, context, alpha: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(lower, upper) limits of every sample's parameters, shaped like ``sample_params``."""
        C, theta, index = res._samples(context)
        lo, hi = self.sample_limits(res, C, theta, alpha)
        return res._frame(lo, index), res._frame(hi, index)

    def sample_limits(self, res, C: np.ndarray, theta: np.ndarray, alpha: float):
        raise no_inference_error()

    def prediction(self, res, X: np.ndarray, C: np.ndarray, eta: np.ndarray, index) -> PredictionResults:
        """Predicted means at rows (X, C) with linear predictor ``eta``, with their standard
        errors and intervals."""
        raise no_inference_error()

    # ---- tests and the linear encoder's interactions -----------------------------------------
    def heterogeneity_test(self, res, by: str) -> pd.DataFrame:
        raise no_inference_error()

    def interaction_cov(self, res) -> np.ndarray:
        """Covariance of the linear encoder's interaction coefficients ``interaction_params``."""
        raise no_inference_error()

    def context_effects(self, res, sel: np.ndarray, alpha: float) -> dict:
        """The columns of ``context_effects`` for the interaction coefficients ``sel``."""
        raise no_inference_error()

    def projection(self, res, alpha: float) -> dict:
        """The columns of ``best_linear_projection`` (every coefficient's projection on [1, c])."""
        raise no_inference_error()

    def summary_note(self, res) -> str | None:
        """A note for the summary on what inference the fit has (None: nothing to add)."""
        return None


class AnalyticInference(Inference):
    """Analytic covariances of the linear encoder (``cov_type`` nonrobust, HC0-HC3, cluster).

    The linear encoder is a GLM on the interaction design z_i = [1; x_i] (x) [1; c_i] with
    coefficients b = vec(U), theta_i = U [1; c_i]. The core computes the covariance V of b
    (``ctxstats.inference.linear_covariance``: scale * H^-1, or the sandwich
    H^-1 [sum_i w_i^2 e_i^2 z_i z_i' / (1 - h_i)^k] H^-1 with its HC1 factor), and from it:

    - average effects params = L b, L = I_q (x) [1, cbar]: cov_params = L V L', bse its
      diagonal's root, t = params / bse, p-values and intervals from t(df_resid) when
      ``use_t`` (gaussian, nonrobust) and the normal otherwise, as statsmodels;
    - per-sample limits theta_ik +- crit * sqrt([1; c_i]' V_k [1; c_i]), V_k the block of
      row k of U;
    - predictions: the linear predictor's variance z' V z, its interval mapped through the
      inverse link (gaussian fits: also the observation interval, variance z' V z + scale);
    - the Wald heterogeneity test (R b)' (R V R')^+ (R b) of a coefficient's (or a context
      feature's) interactions, F (divided by J) for gaussian fits, chi-squared otherwise.
    """

    name = "analytic"
    heterogeneity_method = "wald"
    reports_params = True
    reports_heterogeneity = True

    def __init__(self, cov_type: str = "nonrobust"):
        super().__init__()
        if cov_type not in ANALYTIC_COV_TYPES:
            raise ValueError(f"AnalyticInference: cov_type must be one of {ANALYTIC_COV_TYPES}, not {cov_type!r}")
        self.cov_type = cov_type

    @property
    def config(self) -> dict:
        return {"cov_type": self.cov_type}

    def covariance(self, res) -> LinearCovariance:
        """The core's covariance of the interaction coefficients b, with scale and df."""
        def compute():
            m = res.model
            b = res.interaction_params.to_numpy()
            groups = None
            if self.cov_type == "cluster":
                groups = getattr(res, "groups", None)
                if groups is None:
                    raise ValueError("cov_type='cluster' needs the fit's groups: fit with cov_type='cluster', "
                                     "groups=...")
            if m.family == "negativebinomial":  # at the fit's theta (ctxstats.negbin)
                from ctxstats.negbin import negbin_covariance

                return negbin_covariance(m.exog, m.context, m.endog, m.weights, m.fit_intercept, b, res.theta,
                                         self.cov_type, res.options.get("threads", 0), groups)
            return linear_covariance(m.exog, m.context, m.endog, m.weights, m.family, m.fit_intercept, b,
                                     self.cov_type, res.options.get("threads", 0), groups, m.quasi)
        return self._cached("linear_cov", compute)

    def caption(self, res) -> str:
        lc = self.covariance(res)
        groups = f" ({lc.n_groups} groups)" if lc.cov_type == "cluster" else ""
        return f"analytic, cov_type={lc.cov_type}{groups}, {'t' if lc.use_t else 'normal'}"

    def use_t(self, res) -> bool:
        return bool(self.covariance(res).use_t)

    def df_resid(self, res) -> float:
        return self.covariance(res).df_resid

    def cov_params(self, res) -> np.ndarray:
        return average_effect_covariance(self.covariance(res), res.model.context, len(res.param_names))

    def pvalues(self, res) -> np.ndarray:
        lc = self.covariance(res)
        return coefficient_table(res.params.to_numpy(), res.bse.to_numpy(), lc.use_t, lc.df_resid, 0.05)[:, 3]

    def conf_int(self, res, alpha: float):
        lc = self.covariance(res)
        crit = critical_value(lc.use_t, lc.df_resid, alpha)
        est, se = res.params.to_numpy(), res.bse.to_numpy()
        return est - crit * se, est + crit * se

    def test_columns(self, res) -> dict:
        stat = "t" if self.use_t(res) else "z"
        return {stat: res.tvalues, f"P>|{stat}|": res.pvalues}

    def sample_limits(self, res, C, theta, alpha):
        lc = self.covariance(res)
        crit = critical_value(lc.use_t, lc.df_resid, alpha)
        se = _core.sample_param_se(lc.cov, np.ascontiguousarray(C), len(res.param_names))
        return theta - crit * se, theta + crit * se

    def prediction(self, res, X, C, eta, index) -> AnalyticPrediction:
        lc = self.covariance(res)
        se = _core.linear_predictor_se(lc.cov, np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(C),
                                       res.model.fit_intercept)
        family = link_family(res.model.family)
        return AnalyticPrediction(eta, index, family, se, lc.use_t, lc.df_resid,
                                  lc.scale if family == "gaussian" else None)

    def heterogeneity_test(self, res, by: str) -> pd.DataFrame:
        lc = self.covariance(res)
        names, cnames = res.param_names, res.model.context_names
        tab = heterogeneity_wald(lc, len(names), len(cnames), by)
        out = pd.DataFrame(tab, index=names if by == "coefficient" else cnames, columns=HETEROGENEITY_COLUMNS)
        out.attrs.update(method="wald", distribution="F" if lc.use_f else "chi2", cov_type=lc.cov_type)
        return out

    def interaction_cov(self, res) -> np.ndarray:
        return self.covariance(res).cov

    def context_effects(self, res, sel, alpha) -> dict:
        lc = self.covariance(res)
        b = res.interaction_params.to_numpy()[sel]
        tab = coefficient_table(b, np.sqrt(np.diag(lc.cov)[sel]), lc.use_t, lc.df_resid, alpha)
        stat = "t" if lc.use_t else "z"
        return dict(zip(["coef", "std err", stat, f"P>|{stat}|", *interval_names(alpha)], tab.T))

    def projection(self, res, alpha) -> dict:
        # The linear encoder's coefficients are linear in c: their projection is the fit itself.
        return self.context_effects(res, np.arange(res.interaction_params.shape[0]), alpha)


class BootstrapInference(Inference):
    """Bootstrap inference from the fit's replicates (``cov_type="bootstrap"``).

    With replicate b's average effects m*_b (the average over the observed samples of its
    per-sample parameters), computed by the core (``ctxstats.inference.bootstrap_pass``):

    - bse = sd_b(m*_b) (ddof 1), cov_params = cov_b(m*_b);
    - conf_int: the percentile interval, the alpha/2 and 1 - alpha/2 quantiles of m*_b;
    - pvalues: the percentile p-value min(1, 2 (1 + min(#{m*_b <= 0}, #{m*_b >= 0})) / (B + 1)),
      which inverts the percentile interval and is never below 2 / (B + 1) -- no statistic
      goes with it, so the tables show none (``tvalues`` is a descriptive ratio);
    - per-sample intervals and predictions: percentiles of the replicates' values, computed
      by the core in chunks of samples;
    - heterogeneity: T_k = mean_i (d_ik / s_ik)^2 against its replicates
      T*_bk = mean_i ((d*_bik - d_ik) / s_ik)^2, p = (1 + #{T* >= T}) / (B + 1);
    - context effects (linear encoder): the same summaries of the replicates' interaction
      coefficients.
    """

    name = "bootstrap"
    cov_type = "bootstrap"
    heterogeneity_method = "bootstrap"
    reports_params = True
    reports_heterogeneity = True

    @staticmethod
    def require(res, what: str) -> None:
        """Raise unless the fit has replicates."""
        if res.n_bootstraps == 0:
            raise ValueError(f"{what} needs bootstrap replicates: refit with n_bootstraps=B (e.g. 200)")

    def replicate_pass(self, res) -> dict:
        """The core's pass over the samples: ``means`` (B x q), ``sign_flip_share``,
        ``het_statistic`` and ``het_pvalue`` (see ``ctxstats.inference.bootstrap_pass``)."""
        return self._cached("pass", lambda: self._pass(res))

    @staticmethod
    def _model(res):
        """The core's model when it holds this fit's replicates (fits made before it did: None)."""
        core = getattr(res, "_core_model", None)
        return core if core is not None and core.n_bootstraps == res.n_bootstraps else None

    def _pass(self, res) -> dict:
        theta = res.sample_params.to_numpy()
        core = self._model(res)
        if core is not None:
            return core.bootstrap_pass(np.ascontiguousarray(res.model.context, dtype=float), theta)
        return bootstrap_pass(res.options, res.scaling, res.bootstrap_weights, res.model.context, theta)

    def percentiles(self, res, alpha: float = 0.05) -> dict:
        """Standard errors, percentile limits and p-values of the average effects."""
        return self._cached(("summary", alpha), lambda: percentile_summary(self.replicate_pass(res)["means"], alpha))

    def interactions(self, res) -> np.ndarray:
        """B x D: each replicate's interaction coefficients in user units (linear encoder)."""
        return self._cached("interactions", lambda: interaction_coefficients(
            res.bootstrap_weights, res.scaling, res.model.context.shape[1], len(res.param_names)))

    def caption(self, res) -> str:
        B, G = res.n_bootstraps, getattr(res, "bootstrap_clusters", 0)
        units = f", resampling {G} clusters" if G else ""
        return f"bootstrap, B={B}{units}, percentile intervals and p-values, p >= {2 / (B + 1):.3g}"

    def cov_params(self, res) -> np.ndarray:
        return replicate_covariance(self.replicate_pass(res)["means"])

    def bse(self, res) -> np.ndarray:
        return self.percentiles(res)["se"]

    def pvalues(self, res) -> np.ndarray:
        return self.percentiles(res)["pvalue"]

    def conf_int(self, res, alpha: float):
        ps = self.percentiles(res, alpha)
        return ps["lower"], ps["upper"]

    def test_columns(self, res) -> dict:
        return {"P>|b|": res.pvalues}

    def sample_limits(self, res, C, theta, alpha):
        core = self._model(res)
        if core is not None:
            return core.bootstrap_sample_limits(np.ascontiguousarray(C, dtype=float), alpha)
        return _core.bootstrap_sample_limits(res.options, res.scaling, res.bootstrap_weights,
                                             np.ascontiguousarray(C), alpha)

    def prediction(self, res, X, C, eta, index) -> BootstrapPrediction:
        mus = _core.bootstrap_predictions(res.options, res.scaling, res.bootstrap_weights,
                                          np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(C))
        return BootstrapPrediction(eta, index, res.model.family, mus)

    def heterogeneity_test(self, res, by: str) -> pd.DataFrame:
        self.require(res, "the bootstrap heterogeneity test")
        if by == "context":
            raise ValueError("by='context' is available for the Wald test of the linear encoder only")
        bp = self.replicate_pass(res)
        nan = np.full(len(res.param_names), np.nan)
        out = pd.DataFrame(np.column_stack([bp["het_statistic"], nan, nan, bp["het_pvalue"]]),
                           index=res.param_names, columns=HETEROGENEITY_COLUMNS)
        out.attrs.update(method="bootstrap", distribution="bootstrap", n_bootstraps=res.n_bootstraps)
        return out

    def interaction_cov(self, res) -> np.ndarray:
        return replicate_covariance(self.interactions(res))

    def projection(self, res, alpha) -> dict:
        m = res.model
        point = _core.linear_projection(np.ascontiguousarray(res.sample_params.to_numpy()),
                                        np.ascontiguousarray(m.context, dtype=float)).ravel()
        reps = self._cached("projections", lambda: _core.bootstrap_projections(
            res.options, res.scaling, np.ascontiguousarray(res.bootstrap_weights), np.ascontiguousarray(m.context,
                                                                                                      dtype=float)))
        ps = percentile_summary(reps, alpha)
        lo, hi = interval_names(alpha)
        return {"coef": point, "std err": ps["se"], "P>|b|": ps["pvalue"], lo: ps["lower"], hi: ps["upper"]}

    def context_effects(self, res, sel, alpha) -> dict:
        ps = percentile_summary(self.interactions(res)[:, sel], alpha)
        lo, hi = interval_names(alpha)
        return {"coef": res.interaction_params.to_numpy()[sel], "std err": ps["se"], "P>|b|": ps["pvalue"],
                lo: ps["lower"], hi: ps["upper"]}


class SplineVpInference(Inference):
    """The spline encoder's inference without replicates, from mgcv's Bayesian covariance
    Vp = (Z'WZ + S_lambda)^-1 * scale of the basis coefficients (:mod:`ctxstats.spline`).

    - per-sample intervals: theta_k(c_i) +- z_{1 - alpha/2} se_k(c_i), the pointwise
      Bayesian intervals of :func:`ctxstats.spline.sample_conf_int`;
    - heterogeneity (``method="smooth"``): the test that all of a coefficient's smooth terms
      are zero on their fitted values, with the rank r set from their edf (Wood 2013, as
      mgcv's ``summary.gam``; :func:`ctxstats.spline.heterogeneity_tests`): F = T / r on
      (r, n - total edf) degrees of freedom for gaussian fits, chi-squared(r) otherwise.

    - average effects (the mean of each coefficient over the samples): standard errors from
      L Vp L' (:func:`ctxstats.spline.average_effects`), t intervals and p-values on
      n - total edf degrees of freedom when the scale is estimated (gaussian), normal ones
      otherwise, as mgcv's ``summary.gam`` treats parametric terms. ``cov_type`` stays None
      (the covariance is Vp's, not a sandwich or the bootstrap's).
    """

    name = "spline_vp"
    heterogeneity_method = "smooth"
    reports_params = True

    def _effects(self, res):
        from ctxstats import spline

        return self._cached("average_effects", lambda: spline.average_effects(res))

    def _scale_df(self, res) -> tuple[bool, float]:
        from ctxstats.spline import _tests

        tests = _tests(res)
        return bool(tests["estimated_scale"]), float(tests["df_resid"])

    def caption(self, res) -> str:
        use_t, _ = self._scale_df(res)
        return f"Bayesian covariance Vp (mgcv), {'t' if use_t else 'normal'}"

    def use_t(self, res) -> bool:
        return self._scale_df(res)[0]

    def df_resid(self, res) -> float:
        return self._scale_df(res)[1]

    def cov_params(self, res) -> np.ndarray:
        return np.asarray(self._effects(res)[1])

    def pvalues(self, res) -> np.ndarray:
        use_t, df = self._scale_df(res)
        return coefficient_table(res.params.to_numpy(), res.bse.to_numpy(), use_t, df, 0.05)[:, 3]

    def conf_int(self, res, alpha: float):
        use_t, df = self._scale_df(res)
        crit = critical_value(use_t, df, alpha)
        est, se = res.params.to_numpy(), res.bse.to_numpy()
        return est - crit * se, est + crit * se

    def test_columns(self, res) -> dict:
        stat = "t" if self.use_t(res) else "z"
        return {stat: res.tvalues, f"P>|{stat}|": res.pvalues}

    @staticmethod
    def require(res) -> None:
        if res._spline_smoothing() is None:
            raise ValueError("method='smooth' needs a fit with encoder='spline' by the exact solver")

    def sample_conf_int(self, res, context, alpha):
        from ctxstats import spline

        return spline.sample_conf_int(res, context, alpha)

    def projection(self, res, alpha) -> dict:
        from ctxstats import spline

        est, cov = spline.linear_projection(res)
        use_t, df = self._scale_df(res)
        tab = coefficient_table(est, np.sqrt(np.diag(cov)), use_t, df, alpha)
        stat = "t" if use_t else "z"
        return dict(zip(["coef", "std err", stat, f"P>|{stat}|", *interval_names(alpha)], tab.T))

    def prediction(self, res, X, C, eta, index) -> "AnalyticPrediction":
        from ctxstats import spline

        use_t, df = self._scale_df(res)
        family = res.model.family
        return AnalyticPrediction(eta, index, family, spline.linear_predictor_se(res, X, C), use_t, df,
                                  res.scale if family == "gaussian" else None)

    def heterogeneity_test(self, res, by: str) -> pd.DataFrame:
        from ctxstats.spline import _tests, heterogeneity_tests

        self.require(res)
        if by == "context":
            raise ValueError("by='context' is not available for method='smooth'; ctxstats.spline.smooth_terms "
                             "tests each (coefficient, context feature) term")
        het = heterogeneity_tests(res)
        tests = _tests(res)
        use_f = bool(tests["estimated_scale"])
        out = pd.DataFrame({"statistic": het["statistic"], "df": het["rank"].astype(float),
                            "df_denom": float(tests["df_resid"]) if use_f else np.nan, "pvalue": het["p_value"]})
        out.attrs.update(method="smooth", distribution="F" if use_f else "chi2")
        return out

    def summary_note(self, res) -> str:
        return ("Spline intervals and tests use the Bayesian covariance Vp (mgcv's): see "
                "ctxstats.spline.sample_conf_int and coefficient_functions; AIC and BIC count the total edf.")


class NoInference(Inference):
    """No inference: a neural encoder (or a penalised linear one) fitted without bootstrap
    replicates. Every request for standard errors, intervals or tests raises a ValueError that
    says to refit with ``n_bootstraps=B``; ``heterogeneity_test()`` names the bootstrap test
    such a refit would give."""

    name = "none"

    def summary_note(self, res) -> str:
        return ("No standard errors: analytic ones exist for the unpenalised linear encoder only; "
                "refit with n_bootstraps=B for bootstrap intervals, p-values and heterogeneity tests.")


# ---- predictions --------------------------------------------------------------------------------
class PredictionResults:
    """Predicted means with standard errors and intervals (from ``get_prediction``), as
    statsmodels' ``PredictionResults``; the inference object of the fit makes the subclass
    (:class:`AnalyticPrediction`, :class:`BootstrapPrediction`).

    Attributes
    ----------
    predicted_mean : ndarray
    se_mean : ndarray
    """

    def __init__(self, linpred: np.ndarray, index, family: str, se_mean: np.ndarray):
        self.linpred = linpred
        self.predicted_mean = np.asarray(inverse_link(family, linpred))
        self.index = index
        self.family = family
        self.se_mean = se_mean

    def conf_int(self, alpha: float = 0.05, obs: bool = False) -> np.ndarray:
        """(n, 2) limits for the mean (``obs=True``: for a new observation; gaussian
        analytic fits only)."""
        raise NotImplementedError

    def _obs_available(self) -> bool:
        return False

    def summary_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Columns ``mean``, ``mean_se``, ``mean_ci_lower``, ``mean_ci_upper`` (and for
        analytic gaussian fits ``obs_ci_lower``, ``obs_ci_upper``), as statsmodels."""
        ci = self.conf_int(alpha)
        out = pd.DataFrame({"mean": self.predicted_mean, "mean_se": self.se_mean,
                            "mean_ci_lower": ci[:, 0], "mean_ci_upper": ci[:, 1]}, index=self.index)
        if self._obs_available():
            oc = self.conf_int(alpha, obs=True)
            out["obs_ci_lower"], out["obs_ci_upper"] = oc[:, 0], oc[:, 1]
        return out


def _no_obs_interval() -> ValueError:
    return ValueError("observation intervals are available for analytic gaussian fits only")


class AnalyticPrediction(PredictionResults):
    """Analytic prediction intervals (linear encoder, V the covariance of b; spline encoder,
    V its Bayesian covariance Vp, as mgcv's ``predict.gam``): the linear predictor eta = z' b
    has standard error se_eta = sqrt(z' V z); the mean's interval is link^-1(eta +- crit se_eta)
    and its standard error the delta method's se_eta * d mu / d eta (1, mu (1 - mu), mu for
    gaussian, binomial, poisson), as statsmodels' GLM. Gaussian fits also give the interval
    for a new observation, eta +- crit sqrt(se_eta^2 + scale), as OLS. crit: t(df_resid)
    when ``use_t``, else normal."""

    def __init__(self, linpred, index, family, se_linpred, use_t: bool, df_resid: float, scale: float | None):
        super().__init__(linpred, index, family, self._intervals(family, linpred, se_linpred, 0.0)["se_mean"])
        self.se_linpred = se_linpred
        self.use_t = use_t
        self.df_resid = df_resid
        self.scale = scale

    @staticmethod
    def _intervals(family, linpred, se_linpred, crit, scale=None) -> dict:
        return _core.prediction_intervals(family, np.ascontiguousarray(linpred, dtype=float),
                                          np.ascontiguousarray(se_linpred, dtype=float), float(crit),
                                          float("nan") if scale is None else float(scale), False)

    def _obs_available(self) -> bool:
        return self.scale is not None

    def conf_int(self, alpha: float = 0.05, obs: bool = False) -> np.ndarray:
        alpha = check_alpha(alpha)
        crit = critical_value(self.use_t, self.df_resid, alpha)
        if obs:
            if self.scale is None:
                raise _no_obs_interval()
            p = self._intervals(self.family, self.linpred, self.se_linpred, crit, self.scale)
            return np.column_stack([p["obs_lower"], p["obs_upper"]])
        p = self._intervals(self.family, self.linpred, self.se_linpred, crit)
        return np.column_stack([p["lower"], p["upper"]])


class BootstrapPrediction(PredictionResults):
    """Bootstrap prediction intervals: the replicates' predicted means (B x n), their
    standard deviation (``se_mean``) and their percentile interval."""

    def __init__(self, linpred, index, family, boot_means: np.ndarray):
        super().__init__(linpred, index, family, percentile_summary(boot_means, 0.05)["se"])
        self.boot_means = boot_means

    def conf_int(self, alpha: float = 0.05, obs: bool = False) -> np.ndarray:
        alpha = check_alpha(alpha)
        if obs:
            raise _no_obs_interval()
        ps = percentile_summary(self.boot_means, alpha)
        return np.column_stack([ps["lower"], ps["upper"]])


INFERENCE: dict[str, type[Inference]] = {cls.name: cls for cls in
                                         (AnalyticInference, BootstrapInference, SplineVpInference, NoInference)}


def make_inference(name: str, **config) -> Inference:
    """The inference object registered under ``name``, built with ``config``."""
    if name not in INFERENCE:
        raise ValueError(f"unknown inference {name!r}; the registered ones are {', '.join(map(repr, INFERENCE))}")
    return INFERENCE[name](**config)


def inference_spec(cov_type: str | None, spline_fit: dict | None = None) -> tuple[str, dict]:
    """(name, config) of the inference for a resolved ``cov_type`` (see
    ``ctxstats.inference.resolve_cov_type``): analytic for nonrobust and HC0-HC3, bootstrap,
    or, without a covariance, spline_vp for a penalised spline fit (``spline_fit`` with a
    smoothing report) and none otherwise."""
    if cov_type in ANALYTIC_COV_TYPES:
        return "analytic", {"cov_type": cov_type}
    if cov_type == "bootstrap":
        return "bootstrap", {}
    if cov_type is not None:
        raise ValueError(f"cov_type must be None, 'bootstrap' or one of {ANALYTIC_COV_TYPES}, not {cov_type!r}")
    return ("spline_vp" if isinstance(spline_fit, dict) and "smoothing" in spline_fit else "none"), {}


def choose_inference(cov_type: str | None, spline_fit: dict | None = None) -> Inference:
    """The inference object of a fit with the resolved ``cov_type`` (see :func:`inference_spec`)."""
    name, config = inference_spec(cov_type, spline_fit)
    return make_inference(name, **config)
