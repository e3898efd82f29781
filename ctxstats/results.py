"""Results of a contextualized GLM fit: per-sample parameters, average effects with standard
errors (analytic for the linear encoder, bootstrap for every encoder), heterogeneity tests,
the identifiability report, predictions with intervals, and the summary.

The results hold the fit (encoder weights, scaling, replicates, the spline report) and one
inference object chosen at fit time (:mod:`ctxstats.covariance`), to which every standard
error, interval and test is delegated; what they derive is cached."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ctxstats import _core
from ctxstats._families import fit_statistics, inverse_link, residuals
from ctxstats._validation import as_matrix, check_choice, missing_columns, select_columns
from ctxstats.convergence import bootstrap_share_note
from ctxstats.covariance import (
    HETEROGENEITY_TESTS,
    BootstrapInference,
    Cached,
    Inference,
    PredictionResults,
    choose_inference,
    inference_spec,
    interval_names,
    make_inference,
)
from ctxstats.identifiability import IdentifiabilityReport, identifiability_report
from ctxstats import location_scale as _location_scale  # noqa: F401  (registers its inference)
from ctxstats.inference import (
    analytic_available,
    blas_threads,
    check_alpha,
    column_spread,
    interaction_coefficients,
    interaction_names,
    resolve_cov_type,
)

__all__ = ["ContextualizedGLMResults", "PredictionResults", "SampleConfInt"]


def _plain(options: dict) -> dict:
    """Option values as lists and scalars (the core returns arrays where a fit holds lists)."""
    return {k: np.asarray(v).tolist() if isinstance(v, (np.ndarray, list, tuple)) else v for k, v in options.items()}


class SampleConfInt(NamedTuple):
    """Per-sample confidence limits, each shaped like ``sample_params``."""

    lower: pd.DataFrame
    upper: pd.DataFrame


def set_solver_report(obj, core_out: dict) -> None:
    """The core's fit report as attributes of a results object (this module's, and the Dask
    fit's in :mod:`ctxstats.dask`)."""
    obj._core_model = core_out.get("model")  # the core's FittedModel: predictions and the model file
    obj.weights = np.asarray(core_out["weights"])
    obj.scaling = core_out["scaling"]
    obj.solver = core_out["solver"]
    obj.n_iter = int(core_out["n_iter"])
    obj.converged = bool(core_out["converged"])
    obj.objective = float(core_out["objective"])
    obj.history = np.asarray(core_out["history"])
    obj.message = core_out["message"]
    obj.rank_deficient = bool(core_out["rank_deficient"])
    obj.interrupted = bool(core_out.get("interrupted", False))
    obj.trained = bool(core_out.get("trained", True))  # False: the untrained initial model (max_epochs=0)


class ContextualizedGLMResults(Cached):
    """The fitted model: per-sample parameters, their average, inference, predictions and fit
    statistics.

    Attributes
    ----------
    sample_params : pandas.DataFrame, shape (n, 1 + p)
        Each sample's intercept and coefficients, in the user's units.
    params : pandas.Series
        The average of ``sample_params`` over samples (the average effects).
    bse, tvalues, pvalues, conf_int(), cov_params()
        Inference for ``params``, from the fit's inference object (``inference``, see
        :mod:`ctxstats.covariance`): analytic (linear encoder, ``cov_type`` nonrobust or
        HC0-HC3; exact for the average effects, which are linear in the interaction
        coefficients) or from the bootstrap (``cov_type="bootstrap"``: standard deviation,
        percentile intervals and percentile p-values of ``bootstrap_params``). Derived on
        first use and cached.
    cov_type : str or None
        The covariance in use; None when the fit has no standard errors for its average
        effects (a neural encoder fitted without bootstrap replicates; a spline fit without
        replicates, whose intervals and tests come from Vp).
    inference : ctxstats.covariance.Inference
        The inference object chosen at fit time.
    n_bootstraps : int
        Bootstrap replicates kept (``bootstrap_weights``, B x encoder weights).
    spline_fit : dict or None
        What the core reports for a spline fit (basis, smoothing parameters, edf, Vp; see
        :mod:`ctxstats.spline`); None for other encoders.
    weights : ndarray
        The encoder weights on the core's internal scale (for warm starts and persistence).
    converged, n_iter, history, val_history, solver, message
        What the solver reports; ``history`` is the objective per iteration (adam: mean
        training objective per epoch, with the validation objective in ``val_history``).

    Notes
    -----
    The average effects are the average over the observed samples of each sample's
    coefficient; their standard errors are conditional on the observed contexts (as
    statsmodels' are conditional on the design), both analytic and bootstrap ones: replicate
    b's average effect is the average of its per-sample parameters over the same samples.
    """

    def __init__(self, model, core_out: dict, options: dict, inference: Inference | None = None,
                 bootstrap: dict | None = None, groups: np.ndarray | None = None):
        """``core_out``: the core's fit (with ``spline`` for a spline fit); ``bootstrap``: the
        core's replicates; ``inference``: the inference object (default: the one the fit
        allows, as ``fit(cov_type=None)`` chooses); ``groups``: the cluster codes of a
        ``cov_type="cluster"`` fit."""
        self.model = model
        self.groups = None if groups is None else np.asarray(groups, dtype=np.int64)
        self.options = options
        set_solver_report(self, core_out)
        self.val_history = np.asarray(core_out["val_history"])
        self.spline_fit = core_out.get("spline")  # smoothing parameters, edf, Vp: see ctxstats.spline
        # Networks fitted with early stopping: the iterations chosen on the held-out rows
        # (best_iter, val_loss per iteration, split_iter); None otherwise.
        self.early_stopping = core_out.get("early_stopping")
        # scale='context': the scale weights, covariance and scale tests (ctxstats.location_scale).
        self.location_scale = core_out.get("location_scale")
        if bootstrap is None:
            self.bootstrap_weights = None
            self.bootstrap_converged = None
            self.bootstrap_n_iter = None
        else:
            self.bootstrap_weights = np.asarray(bootstrap["weights"])
            self.bootstrap_converged = np.asarray(bootstrap["converged"], dtype=bool)
            self.bootstrap_n_iter = np.asarray(bootstrap["n_iter"])
        self.n_bootstraps = 0 if bootstrap is None else int(self.bootstrap_weights.shape[0])
        # the cluster bootstrap: the number of clusters the replicates resampled (0: rows)
        self.bootstrap_clusters = 0 if bootstrap is None else int(bootstrap.get("clusters", 0))
        # the replicate rule the core chose (``_core.bootstrap_rule_note`` words it): "warm_start",
        # "plateau" or "repeat"; "" without replicates or when a saved fit did not record it
        self.bootstrap_rule = "" if bootstrap is None else str(bootstrap.get("rule", ""))
        if inference is None and self.location_scale is not None:
            inference = make_inference("location_scale")
        if inference is None:
            inference = choose_inference(resolve_cov_type(None, self.options, self.n_bootstraps), self.spline_fit)
        self._inference = inference
        self._cache: dict = {}
        # family negativebinomial: the dispersion theta estimated with the coefficients (None otherwise).
        self.theta = None if core_out.get("theta") is None else float(core_out["theta"])
        self._theta = self._predict_theta(model.context)

    def __setstate__(self, state: dict) -> None:
        """Restore a pickled or saved fit. A fit saved before inference objects existed holds
        ``cov_type`` (and ``_analytic``) instead of ``_inference``, and non-spline fits no
        ``spline_fit``: it gets the inference object its ``cov_type`` names."""
        state = dict(state)
        state.setdefault("_core_model", None)  # saved before the core held the fitted model
        state.setdefault("groups", None)       # saved before cluster covariances existed
        state.setdefault("early_stopping", None)  # saved before networks stopped early
        state.setdefault("location_scale", None)  # saved before scale='context' existed
        state.setdefault("bootstrap_clusters", 0)  # saved before the cluster bootstrap existed
        state.setdefault("bootstrap_rule", "")  # saved before the replicate rule was recorded
        state.setdefault("theta", None)  # saved before the negative binomial existed (it is never saved)
        if "_inference" not in state:
            state.setdefault("spline_fit", None)
            state.pop("_analytic", None)
            state["_inference"] = choose_inference(state.pop("cov_type", None), state["spline_fit"])
        self.__dict__.update(state)

    def _check_loaded(self) -> None:
        """Called by :func:`ctxstats.load` (the zip format; the model file is read by
        ``ctxstats.model_file``): the results are what the constructor builds from the core's
        fitted model (which the core has checked against its dimensions) and the loaded model,
        with the inference the fit allows. Files written before results held the core's model
        are checked field by field, their weights by the core's prediction."""
        from ctxstats._state import Opt, fields, same, same_state
        from ctxstats.models import ContextualizedGLM

        fields(self, {"model": ContextualizedGLM, "options": dict, "_core_model": Opt(_core.FittedModel),
                      "_inference": Inference, "_cache": dict}, others=True)
        m, fm = self.model, self._core_model
        if fm is not None:
            report = {**fm.report(), "model": fm}
            rebuilt = ContextualizedGLMResults(m, report, fm.options(), inference=self._inference,
                                               bootstrap=fm.bootstrap(), groups=self.groups)
            # The options as the fit resolved them; the core's copy holds the same values (lists
            # or arrays alike).
            same_state(self, rebuilt, compare={"options": lambda a, b: same(_plain(a), _plain(b)),
                                               "_inference": lambda a, b: a is b})
        else:
            self._check_loaded_fields()
        allowed = (("location_scale", {}) if self.location_scale is not None else
                   inference_spec(resolve_cov_type(self._inference.cov_type, self.options, self.n_bootstraps),
                                  self.spline_fit))
        if (self._inference.name, self._inference.config) != allowed:
            raise ValueError(f"the inference {self._inference!r} is not what the fit allows")
        if (self.cov_type == "cluster") != (self.groups is not None) or (
                self.groups is not None and (self.groups.ndim != 1 or self.groups.shape[0] != m.endog.shape[0])):
            raise ValueError("a cluster covariance needs one group code per row (and other fits none)")

    def _check_loaded_fields(self) -> None:
        """_check_loaded of a fit saved without the core's model: each field by type and shape."""
        from ctxstats._state import Array, Opt, fields, same
        from ctxstats.models import ContextualizedGLM

        m = self.model
        q, n = len(m.param_names), m.nobs
        fields(self, {"model": ContextualizedGLM, "options": dict, "_core_model": type(None),
                      "_inference": Inference, "_cache": dict, "weights": Array(None), "scaling": dict,
                      "solver": str, "n_iter": int, "converged": bool, "objective": float,
                      "history": Array(None), "val_history": Array(None), "message": str,
                      "rank_deficient": bool, "interrupted": bool, "trained": bool, "spline_fit": Opt(dict),
                      "early_stopping": Opt(dict), "theta": type(None),
                      "bootstrap_weights": Opt(Array(None, None)), "bootstrap_converged": Opt(Array(None, kind="b")),
                      "bootstrap_n_iter": Opt(Array(None, kind="iu")), "n_bootstraps": int, "bootstrap_clusters": int,
                      "bootstrap_rule": str,
                      "_theta": Array(n, q)})
        boot = self.bootstrap_weights
        if self.n_bootstraps != (0 if boot is None else boot.shape[0]):
            raise ValueError("ContextualizedGLMResults.n_bootstraps is not the number of bootstrap replicates")
        if self._cache:
            raise ValueError("ContextualizedGLMResults._cache must be saved empty")
        # The core checks the options, scaling and weights against each other as it predicts.
        if not same(self._theta, self._predict_theta(m.context)):
            raise ValueError("ContextualizedGLMResults._theta is not what the weights predict")

    @property
    def inference(self) -> Inference:
        """The inference object behind ``bse``, ``conf_int``, the tests and the summary."""
        return self._inference

    @property
    def cov_type(self) -> str | None:
        return self._inference.cov_type

    @property
    def _analytic(self) -> bool:
        """Whether analytic covariances exist for this fit (whatever its ``cov_type``)."""
        return analytic_available(self.model.encoder, self.model.encoder_options, self.options)

    def _inference_named(self, name: str, **config) -> Inference:
        """The fit's inference object if it is ``name`` with ``config``, else another one
        (cached), for the statistics a user asks for by name (``heterogeneity_test(method)``,
        ``interaction_cov_params(cov_type)``, the bootstrap checks of an analytic fit)."""
        inf = self._inference
        if inf.name == name and inf.config == config:
            return inf
        return self._cached(("inference", name, tuple(sorted(config.items()))), lambda: make_inference(name, **config))

    def _bootstrap(self, what: str) -> BootstrapInference:
        """The bootstrap inference over this fit's replicates (raising, naming ``what``, when
        there are none)."""
        BootstrapInference.require(self, what)
        return self._inference_named("bootstrap")

    # ---- parameters -------------------------------------------------------------------
    def _predict_theta(self, context: np.ndarray) -> np.ndarray:
        if self._core_model is not None:
            return self._core_model.predict_theta(np.ascontiguousarray(context, dtype=float))
        return _core.predict_theta(self.options, self.scaling, self.weights, context)

    def _frame(self, theta: np.ndarray, index=None) -> pd.DataFrame:
        return pd.DataFrame(theta, columns=self.model.param_names, index=index)

    @property
    def param_names(self) -> list[str]:
        return self.model.param_names

    @property
    def sample_params(self) -> pd.DataFrame:
        return self._frame(self._theta, self.model.row_labels)

    @property
    def params(self) -> pd.Series:
        return self._cached("params", lambda: self._spread()["mean"].rename("params"))

    def _spread(self) -> pd.DataFrame:
        """The per-sample parameters' spread over samples (its mean is ``params``)."""
        return self._cached("spread", lambda: column_spread(self._theta, self.model.param_names))

    def predict_params(self, context) -> pd.DataFrame:
        """Per-sample parameters for new contexts (array or DataFrame with the fitted columns;
        for a formula fit, a DataFrame with the variables of the context part)."""
        C, index = self._new_context(context)
        return self._frame(self._predict_theta(C), index)

    def _new_context(self, context):
        """(C, index) for new contexts."""
        plan = getattr(self.model, "formula_plan", None)
        index = context.index if isinstance(context, (pd.DataFrame, pd.Series)) else None
        if isinstance(context, pd.DataFrame):
            missing = missing_columns(context, self.model.context_names)
            if missing and plan is not None:
                C, valid = plan.context_matrix(context)
                if not valid.all():
                    raise ValueError(f"context has missing values in row(s) {list(np.asarray(index)[~valid][:5])}")
                return C, index
            if missing:
                raise ValueError(f"context lacks the fitted column(s) {missing}")
            context = select_columns(context, self.model.context_names, "context")
        C, _ = as_matrix(context, "context", "c")
        if C.shape[1] != len(self.model.context_names):
            raise ValueError(f"context has {C.shape[1]} columns; the model was fitted with "
                             f"{len(self.model.context_names)}")
        return C, index

    def _samples(self, context):
        """(C, theta, index) of the fitted samples (``context`` None) or of new contexts."""
        if context is None:
            return self.model.context, self._theta, self.model.row_labels
        C, index = self._new_context(context)
        return C, self._predict_theta(C), index

    def _new_data(self, exog, context):
        """(X, C, valid, index) for new samples; ``valid`` marks rows without missing values
        (formula fits: rows with missing variables get NaN predictions)."""
        plan = getattr(self.model, "formula_plan", None)
        if plan is not None and isinstance(exog, pd.DataFrame) and context is None:
            X, C, valid = plan.exog_context_matrices(exog)
            return X, C, valid, exog.index
        if context is None:
            raise ValueError("new samples need context (or, for a formula fit, one DataFrame with every variable)")
        C, index = self._new_context(context)
        if exog is None:
            if self.model.exog.shape[1]:
                raise ValueError("new samples need exog")
            X = np.zeros((C.shape[0], 0))
        else:
            if isinstance(exog, pd.DataFrame) and not missing_columns(exog, self.model.exog_names):
                exog = select_columns(exog, self.model.exog_names, "exog")
            X, _ = as_matrix(exog, "exog", "x", C.shape[0])
            if X.shape[1] != len(self.model.exog_names):
                raise ValueError(f"exog has {X.shape[1]} columns; the model was fitted with "
                                 f"{len(self.model.exog_names)}")
        return X, C, np.ones(C.shape[0], dtype=bool), index

    # ---- predictions --------------------------------------------------------------------
    def _linear_predictor(self, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        if self.model.fit_intercept:
            return theta[..., 0] + np.einsum("...ij,ij->...i", theta[..., 1:], X)
        return np.einsum("...ij,ij->...i", theta, X)

    def predict(self, exog=None, context=None, which: str = "mean") -> np.ndarray:
        """Predicted mean (``which="mean"``) or linear predictor (``"linear"``).

        With neither argument, predicts for the fitted samples; otherwise both are needed --
        except for a formula fit, where ``exog`` may be one DataFrame holding every variable
        of the formula; the fitted transforms (categorical levels, centring, splines) are
        re-applied and rows with missing values predict NaN.
        """
        check_choice(which, ("mean", "linear"), "which")
        if exog is None and context is None:
            eta = self._linear_predictor(self._theta, self.model.exog)
        else:
            X, C, valid, _ = self._new_data(exog, context)
            eta = np.full(C.shape[0], np.nan)
            if valid.any():
                eta[valid] = self._linear_predictor(self._predict_theta(np.ascontiguousarray(C[valid])), X[valid])
        return eta if which == "linear" else inverse_link(self.model.family, eta)

    @property
    def fittedvalues(self) -> np.ndarray:
        return self.predict()

    @property
    def resid(self) -> np.ndarray:
        """Response residuals y - fitted mean."""
        return self.model.endog - self.fittedvalues

    # ---- fit statistics -------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        return self.model.nobs

    def _spline_smoothing(self):
        """The smoothing report of a penalised spline fit (exact solver), else None."""
        return self.spline_fit.get("smoothing") if isinstance(self.spline_fit, dict) else None

    @property
    def df_model(self):
        """The parameter count used by AIC/BIC and ``df_resid``.

        Encoder weights (an int) in general; for penalised neural encoders this overstates
        the effective degrees of freedom. For the spline encoder fitted by the exact solver,
        the total effective degrees of freedom tr((Z'WZ + S)^-1 Z'WZ) (a float), as mgcv's
        ``sum(edf)``; then AIC and BIC are mgcv's at fixed smoothing parameters (mgcv's
        ``AIC`` of a REML fit adds a correction for smoothing-parameter uncertainty, ``edf2``,
        which is not made here).
        """
        sm = self._spline_smoothing()
        if sm is not None:
            return float(sm["edf_total"])
        if self.location_scale is not None:  # mean and scale weights (a spline's: their edf)
            ls = self.location_scale
            return float(ls["edf_mean"] + ls["edf_scale"])
        return int(self.weights.shape[0])

    @property
    def df_resid(self) -> float:
        """nobs minus the rank of the interaction design (linear encoder, analytic inference)
        or minus the number of encoder weights."""
        df = self._inference.df_resid(self)
        return df if df is not None else float(self.nobs - self.df_model)

    def _fit_statistics(self) -> dict:
        return self._cached("fit_statistics", lambda: fit_statistics(
            self.model.family, self.model.endog, self.fittedvalues, self.model.weights,
            self.model.fit_intercept, self.model.quasi, self.theta))

    @property
    def llf(self) -> float:
        """The log-likelihood; NaN for a quasi-likelihood fit (``dispersion="pearson"``), which
        has none (R's ``logLik`` of a quasi family is NA; so are AIC and BIC)."""
        if self.location_scale is not None:  # each sample's own sigma(c)
            return float(self.location_scale["loglik"])
        return self._fit_statistics()["loglik"]

    @property
    def deviance(self) -> float:
        """Sum of the weighted unit deviances (R's ``deviance``, statsmodels' ``deviance``)."""
        return self._fit_statistics()["deviance"]

    @property
    def null_deviance(self) -> float:
        """Deviance of the model with one mean for all rows (the weighted mean of endog with an
        intercept, else the inverse link of 0), as R's ``glm`` and statsmodels report it."""
        return self._fit_statistics()["null_deviance"]

    @property
    def deviance_explained(self) -> float:
        """1 - deviance / null_deviance, as mgcv's ``summary.gam`` reports it."""
        return self._fit_statistics()["deviance_explained"]

    @property
    def pearson_chi2(self) -> float:
        """sum of w (y - mu)^2 / V(mu)."""
        return self._fit_statistics()["pearson_chi2"]

    @property
    def scale(self) -> float:
        """The dispersion: ``pearson_chi2 / df_resid`` for gaussian (statsmodels' GLM scale,
        R's ``summary.glm`` dispersion) and quasi-likelihood fits (``dispersion="pearson"``: R's
        quasibinomial and quasipoisson), 1 for binomial and poisson."""
        if self.model.family == "negativebinomial":  # the dispersion is theta, estimated by ML
            return 1.0
        return _core.dispersion(self.model.family, self.pearson_chi2, float(self.df_resid), self.model.quasi)

    def _residuals(self, kind: str) -> np.ndarray:
        return residuals(self.model.family, kind, self.model.endog, self.fittedvalues, self.model.weights,
                         self.theta)

    # ---- the negative binomial's dispersion (family="negativebinomial") --------------------------
    def _negbin(self) -> dict:
        from ctxstats.negbin import theta_standard_errors

        if self.model.family != "negativebinomial":
            raise ValueError(f"theta and alpha belong to family 'negativebinomial', not {self.model.family!r}")
        return self._cached("negbin", lambda: theta_standard_errors(self))

    @property
    def alpha(self) -> float:
        """1 / theta: the negative binomial's dispersion as statsmodels' ``NegativeBinomial``
        reports it (Var = mu + alpha mu^2)."""
        self._negbin()
        return 1.0 / self.theta

    @property
    def theta_se(self) -> float:
        """glm.nb's ``SE.theta``: 1 / sqrt(-d2 loglik / d theta2) at the fitted means."""
        return self._negbin()["theta_se"]

    @property
    def alpha_se(self) -> float:
        """statsmodels' standard error of alpha: from the inverse observed information of the
        interaction coefficients and alpha jointly (whatever ``cov_type``)."""
        return self._negbin()["alpha_se"]

    def compare_f_test(self, restricted) -> tuple[float, float, float]:
        """(F, p-value, df difference) of a nested ``restricted`` fit against this one
        (gaussian), as statsmodels' ``compare_f_test``; see ``ctxstats.compare``."""
        from ctxstats.compare import compare_f_test

        return compare_f_test(self, restricted)

    def compare_lr_test(self, restricted) -> tuple[float, float, float]:
        """(likelihood ratio, p-value, df difference) of a nested ``restricted`` fit against
        this one, as statsmodels' ``compare_lr_test``; see ``ctxstats.compare``."""
        from ctxstats.compare import compare_lr_test

        return compare_lr_test(self, restricted)

    @property
    def resid_response(self) -> np.ndarray:
        """y - mu."""
        return self._residuals("response")

    @property
    def resid_pearson(self) -> np.ndarray:
        """(y - mu) sqrt(w / V(mu))."""
        return self._residuals("pearson")

    @property
    def resid_deviance(self) -> np.ndarray:
        """sign(y - mu) sqrt(w d(y, mu)): their squares sum to the deviance."""
        return self._residuals("deviance")

    @property
    def resid_working(self) -> np.ndarray:
        """(y - mu) d eta / d mu: the IRLS working residuals."""
        return self._residuals("working")

    @property
    def aic(self) -> float:
        k = self.df_model + (1 if self.model.family == "gaussian" and self.location_scale is None else 0)
        k += 1 if self.model.family == "negativebinomial" else 0  # theta (glm.nb's AIC, statsmodels')
        return -2 * self.llf + 2 * k

    @property
    def bic(self) -> float:
        k = self.df_model + (1 if self.model.family == "gaussian" and self.location_scale is None else 0)
        k += 1 if self.model.family == "negativebinomial" else 0
        return -2 * self.llf + np.log(self.nobs) * k

    # ---- inference for the average effects -------------------------------------------------
    @property
    def use_t(self) -> bool:
        """Whether intervals and p-values use the t distribution (analytic gaussian fits with
        ``cov_type="nonrobust"``) rather than the normal, as statsmodels' defaults."""
        return self._inference.use_t(self)

    def cov_params(self) -> pd.DataFrame:
        """Covariance of the average effects ``params``."""
        names = self.param_names
        return self._cached("cov_params", lambda: pd.DataFrame(self._inference.cov_params(self), index=names,
                                                               columns=names))

    @property
    def bse(self) -> pd.Series:
        """Standard errors of ``params`` (bootstrap: standard deviation of the replicates)."""
        return self._cached("bse", lambda: pd.Series(self._inference.bse(self), index=self.param_names, name="bse"))

    @property
    def tvalues(self) -> pd.Series:
        """params / bse. For bootstrap inference a descriptive ratio only: the bootstrap
        p-values are percentile p-values, not computed from it (and the tables omit it)."""
        return self._cached("tvalues", lambda: pd.Series(self.params.to_numpy() / self.bse.to_numpy(),
                                                         index=self.param_names, name="tvalues"))

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values for params = 0: t (analytic gaussian, df_resid), normal (other
        analytic fits) or the percentile bootstrap p-value (see
        ``ctxstats.inference.percentile_summary``)."""
        return self._cached("pvalues", lambda: pd.Series(self._inference.pvalues(self), index=self.param_names,
                                                         name="pvalues"))

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals for ``params`` (columns 0 and 1, as statsmodels): t or normal
        (analytic) or percentile (bootstrap)."""
        alpha = check_alpha(alpha)
        lo, hi = self._inference.conf_int(self, alpha)
        return pd.DataFrame({0: lo, 1: hi}, index=self.param_names)

    # ---- the linear encoder's interaction coefficients ------------------------------------------
    @property
    def _linear_encoder(self) -> bool:
        """The linear encoder without archetypes (interaction coefficients exist)."""
        return self.model.encoder == "linear" and not self.model.encoder_options.get("archetypes", 0)

    def _require_linear(self, what: str):
        if not self._linear_encoder:
            raise ValueError(f"{what} exists only for the linear encoder without archetypes "
                             f"(this fit uses encoder={self.model.encoder!r}"
                             + (", archetypes" if self.model.encoder_options.get("archetypes", 0) else "") + ")")

    def _design_work(self) -> float:
        """Flops of one pass of D x D products over the interaction design."""
        D = len(self.param_names) * (self.model.context.shape[1] + 1)
        return float(self.nobs) * D * D

    @property
    def interaction_names(self) -> list[str]:
        return interaction_names(self.param_names, self.model.context_names)

    @property
    def interaction_params(self) -> pd.Series:
        """Linear encoder: the coefficients b of the interaction design [1, x] (x) [1, c] in
        the user's units (``x1`` is x1's coefficient at zero context, ``x1:c1`` how it
        changes per unit of c1; ``Intercept`` and ``c1`` likewise for the intercept)."""
        self._require_linear("interaction_params")
        U = interaction_coefficients(self.weights, self.scaling, self.model.context.shape[1], len(self.param_names))
        return pd.Series(U.ravel(), index=self.interaction_names, name="params")

    def interaction_cov_params(self, cov_type: str | None = None) -> pd.DataFrame:
        """Covariance of ``interaction_params`` (analytic ``cov_type``; default the fit's)."""
        self._require_linear("interaction_cov_params")
        cov_type = resolve_cov_type(cov_type or self.cov_type, self.options, self.n_bootstraps)
        name, config = inference_spec(cov_type, self.spline_fit)
        inference = self._inference_named(name, **config)
        names = self.interaction_names
        return pd.DataFrame(inference.interaction_cov(self), index=names, columns=names)

    def context_effects(self, alpha: float = 0.05) -> pd.DataFrame:
        """How each context feature modifies each coefficient (linear encoder).

        One row per (coefficient, context feature): the slope of the coefficient in the
        feature (the interaction coefficient, user units), its standard error, statistic,
        p-value and confidence interval -- analytic (t for gaussian fits with the nonrobust
        covariance, normal otherwise, as statsmodels' defaults) or, with
        ``cov_type="bootstrap"``, bootstrap SE, percentile p-value ``P>|b|`` and percentile
        interval (no statistic column: the percentile p-value is not computed from one).
        """
        self._require_linear("context_effects")
        alpha = check_alpha(alpha)
        m = self.model.context.shape[1]
        names, cnames = self.param_names, self.model.context_names
        sel = np.array([k * (m + 1) + l + 1 for k in range(len(names)) for l in range(m)])
        index = pd.MultiIndex.from_tuples([(k, c) for k in names for c in cnames], names=["coefficient", "context"])
        return pd.DataFrame(self._inference.context_effects(self, sel, alpha), index=index)

    def best_linear_projection(self, alpha: float = 0.05) -> pd.DataFrame:
        """How each coefficient varies with the context, summarised linearly, for any encoder.

        For each coefficient k the least-squares projection of the per-sample coefficients
        theta_k(c_i) on [1, c_i] over the fitted samples (grf's ``best_linear_projection``
        summary of heterogeneous effects): the row ``k`` is the projection's value at c = 0 and
        ``k:c`` its slope in context feature c, in user units (names as
        ``interaction_params``). A non-linear coefficient function gets its linear trend.

        Inference (computed by the core): the linear encoder's functions are linear, so the
        projection is its interaction coefficients with their analytic covariance; a spline fit
        by the exact solver gets the projection's covariance P Vp P' (t on n - edf degrees of
        freedom for gaussian fits); ``cov_type="bootstrap"`` refits project every replicate's
        per-sample coefficients on the same samples and report the bootstrap SE, percentile
        p-value ``P>|b|`` and percentile interval.
        """
        alpha = check_alpha(alpha)
        return pd.DataFrame(self._inference.projection(self, alpha), index=self.interaction_names)

    def calibration_test(self, folds: int = 5, seed: int = 0, cov_type: str = "HC3", **fit_options):
        """The calibration test of the heterogeneity of every per-sample parameter (grf's
        ``test_calibration``) on parameters cross-fitted from this fit's model: see
        :func:`ctxstats.calibration_test`."""
        from ctxstats.calibration import calibration_test

        return calibration_test(self, folds=folds, seed=seed, cov_type=cov_type, **fit_options)

    # ---- bootstrap replicates ------------------------------------------------------------------
    @property
    def bootstrap_params(self) -> pd.DataFrame:
        """B x (1 + p): each replicate's average effects (the average over the samples of the
        replicate's per-sample parameters)."""
        means = self._bootstrap("bootstrap_params").replicate_pass(self)["means"]
        return pd.DataFrame(means, columns=self.param_names)

    @property
    def sign_flip_share(self) -> pd.Series:
        """Per coefficient, the share of samples whose coefficient has the opposite sign to the
        fit's in more than 10% of the bootstrap replicates (signs not determined at about the
        90% level). Expected to be large for a coefficient that is near zero; the
        identifiability check warns only when the coefficient's average effect is significant
        (its 95% percentile interval excludes zero) and most per-sample signs still flip."""
        share = self._bootstrap("sign_flip_share").replicate_pass(self)["sign_flip_share"]
        return pd.Series(share, index=self.param_names, name="sign_flip_share")

    # ---- per-sample intervals and predictions ---------------------------------------------------
    def sample_conf_int(self, alpha: float = 0.05, context=None) -> SampleConfInt:
        """Confidence limits for every sample's parameters (or for new ``context`` rows).

        Bootstrap (``cov_type="bootstrap"``): percentile intervals over the replicates,
        computed in chunks of samples. Linear encoder with an analytic ``cov_type``:
        theta_ik = U_k [1; c_i] +- crit * sqrt([1; c_i]' V_k [1; c_i]), V_k the covariance of
        row k of U (t quantile for gaussian fits, normal otherwise). Spline encoder without
        bootstrap: the pointwise Bayesian intervals of :func:`ctxstats.spline.sample_conf_int`
        (from mgcv's Vp, normal quantile).

        Returns
        -------
        SampleConfInt
            ``(lower, upper)``, DataFrames shaped like ``sample_params``.
        """
        alpha = check_alpha(alpha)
        return SampleConfInt(*self._inference.sample_conf_int(self, context, alpha))

    def get_prediction(self, exog=None, context=None) -> PredictionResults:
        """Predicted means with standard errors and intervals (``summary_frame(alpha)``).

        Analytic (linear encoder): the linear predictor's variance z' V z, intervals on the
        link scale mapped through the inverse link (as statsmodels' GLM; for gaussian fits
        also the observation interval with variance z' V z + scale, as OLS). Spline encoder:
        the same with V mgcv's Bayesian covariance Vp (mgcv's ``predict.gam(se.fit = TRUE)``;
        t intervals on n - total edf degrees of freedom for gaussian fits). Bootstrap: the
        replicates' predicted means, their standard deviation and percentile interval.
        """
        if exog is None and context is None:
            X, C, valid, index = self.model.exog, self.model.context, None, self.model.row_labels
        else:
            X, C, valid, index = self._new_data(exog, context)
        if valid is not None and not valid.all():
            raise ValueError("get_prediction: the new data have missing values in rows "
                             f"{list(np.flatnonzero(~valid)[:5])}; drop them first")
        eta = self._linear_predictor(self._predict_theta(np.ascontiguousarray(C)), X)
        return self._inference.prediction(self, X, C, eta, index)

    # ---- heterogeneity -------------------------------------------------------------------
    def heterogeneity_test(self, method: str | None = None, by: str = "coefficient") -> pd.DataFrame:
        """Tests of H0 "this coefficient does not vary with context" (``by="coefficient"``,
        one row per coefficient, intercept included) or, for the linear encoder, of H0
        "this context feature modifies no coefficient" (``by="context"``).

        Parameters
        ----------
        method : {None, "wald", "bootstrap", "smooth"}
            ``wald`` (linear encoder, analytic ``cov_type``): the Wald test that the
            coefficient's context interactions are all zero, with the fit's covariance --
            F (statistic / J on J and df_resid degrees of freedom) for gaussian fits, equal
            to statsmodels' ``f_test``; chi-squared on J degrees of freedom otherwise, equal
            to statsmodels' ``wald_test`` for GLMs. ``bootstrap`` (any encoder, needs
            replicates): see ``ctxstats.inference.bootstrap_pass``; the statistic
            compares each sample's deviation from the average coefficient with its bootstrap
            standard deviation and its null distribution is that of the replicates'
            deviations re-centred at the fit, which is valid to the extent that the
            bootstrap reproduces the sampling distribution of the fitted coefficient
            function (asymptotically so for the linear encoder; an approximation for
            neural encoders, conservative -- valid but with modest power -- in the
            simulations of tests/simstudies.py).
            ``smooth`` (spline encoder): the test of all of the coefficient's smooth terms
            on their fitted values (Wood 2013, as mgcv's ``summary.gam``; see
            ``ctxstats.spline.heterogeneity_tests``): F (statistic / rank on rank and
            n - total edf degrees of freedom) for gaussian fits, chi-squared otherwise.
            None: the fit's inference object's test (``inference.heterogeneity_method``):
            ``wald`` when analytic inference is available, ``smooth`` for a spline
            fit without bootstrap replicates, else ``bootstrap`` -- the test ``summary()``
            prints.
        by : {"coefficient", "context"}

        Returns
        -------
        pandas.DataFrame
            Columns ``statistic``, ``df``, ``df_denom`` (F tests; NaN otherwise) and
            ``pvalue``, with the method and distribution in ``.attrs``.
        """
        check_choice(by, ("coefficient", "context"), "by")
        if method is None:
            method = self._inference.heterogeneity_method
            if method is None:  # an inference without a test of its own says why
                return self._inference.heterogeneity_test(self, by)
        check_choice(method, ("wald", "smooth", "bootstrap"), "method")
        name = HETEROGENEITY_TESTS[method]
        if name == self._inference.name:
            return self._inference.heterogeneity_test(self, by)
        if name == "analytic":  # the Wald test uses the fit's own analytic covariance
            self._require_linear("the Wald heterogeneity test")
            raise ValueError("the Wald heterogeneity test needs an analytic cov_type (nonrobust, HC0-HC3, cluster) "
                             "and an unpenalised fit; use method='bootstrap'")
        return self._inference_named(name).heterogeneity_test(self, by)

    # ---- identifiability -----------------------------------------------------------------
    def identifiability(self) -> IdentifiabilityReport:
        """The identifiability report (see ``ctxstats.identifiability``): the counting
        heuristic, rank and conditioning of X, [1, C] and (linear encoder) the interaction
        design, constant and duplicated columns, archetypes, and with bootstrap replicates
        the stability of per-sample signs."""
        if "ident" not in self._cache:
            flips = determined = None
            if self.n_bootstraps:
                boot = self._bootstrap("the sign-stability check")
                flips = boot.replicate_pass(self)["sign_flip_share"]
                ps = boot.percentiles(self)
                determined = (ps["lower"] > 0) | (ps["upper"] < 0)
            with blas_threads(self.options.get("threads", 0), 2 * self._design_work()):
                self._cache["ident"] = identifiability_report(self.model, self.weights, flips, scaling=self.scaling,
                                                               options=self.options,
                                                               threads=self.options.get("threads", 0),
                                                               sign_determined=determined)
        return self._cache["ident"]

    # ---- summary ---------------------------------------------------------------------------
    def params_table(self, alpha: float = 0.05) -> pd.DataFrame:
        """The average effects with standard errors, statistics, p-values and intervals.

        Analytic inference: ``t`` or ``z`` and its p-value ``P>|t|``/``P>|z|``. Bootstrap
        inference: no statistic column -- the p-value ``P>|b|`` is the percentile p-value
        (it inverts the percentile interval and is never below 2/(B+1)), not a function of
        coef / std err."""
        alpha = check_alpha(alpha)
        ci = self.conf_int(alpha)
        lo, hi = interval_names(alpha)
        return pd.DataFrame({"coef": self.params, "std err": self.bse, **self._inference.test_columns(self),
                             lo: ci[0], hi: ci[1]})

    def summary(self, alpha: float = 0.05):
        """Header, average effects with SE and CI, heterogeneity tests, context effects
        (linear encoder) and numbered notes (identifiability findings, convergence)."""
        from ctxstats.summary import Summary

        alpha = check_alpha(alpha)
        m, inference = self.model, self._inference
        spline_sm = self._spline_smoothing()
        s = Summary(f"Contextualized GLM Results ({type(m).__name__})")
        ctx = ", ".join(m.context_names)
        s.add_header(
            [("Dep. Variable", m.endog_name), ("Model", type(m).__name__.replace("Contextualized", "") or "GLM"),
             ("Family", f"quasi{m.family}" if m.quasi else m.family),
             ("Encoder", m.encoder + (f" + {m.encoder_options['archetypes']} archetypes"
                                      if m.encoder_options.get("archetypes", 0) else "")
              + (" + linear skip" if self.options.get("linear_skip") else "")),
             ("Solver", self.solver), ("No. Observations", str(self.nobs)),
             ("Context", ctx if len(ctx) <= 18 else f"{len(m.context_names)} columns")],
            [("Converged", str(self.converged)), ("Iterations", str(self.n_iter)),
             ("Log-Likelihood", f"{self.llf:.6g}"), ("AIC", f"{self.aic:.6g}"), ("BIC", f"{self.bic:.6g}"),
             ("Encoder weights", str(self.weights.shape[0])),
             *([("Total edf", f"{self.df_model:.2f}"), ("Dev. explained", f"{100 * self.deviance_explained:.1f}%")]
               if spline_sm is not None else []),
             ("Covariance", "none" if self.cov_type is None else self.cov_type),
             *([("Theta", f"{self.theta:.6g} (SE {self.theta_se:.3g})")] if self.theta is not None else [])])
        def part(what, build):
            # A part that cannot be computed (a degenerate fit: n = 3, p > n, a constant
            # response) is a numbered note saying why; the summary itself always renders.
            try:
                build()
            except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
                s.add_note(f"{what} could not be computed: {exc}")

        if inference.reports_params:
            part("Average effects", lambda: s.add_table(f"Average effects ({inference.caption(self)})",
                                                         self.params_table(alpha)))
        part("The spread of the sample parameters",
             lambda: s.add_table("Sample parameters: spread over samples", self._spread()))
        if inference.reports_heterogeneity:
            def heterogeneity():
                het = self.heterogeneity_test()
                dist = het.attrs.get("distribution")
                s.add_table(f"Heterogeneity: H0 the coefficient does not vary with context ({het.attrs['method']}"
                            + (f", {dist}" if dist != "bootstrap" else f", B={self.n_bootstraps}") + ")",
                            het.dropna(axis=1, how="all"))

            part("The heterogeneity test", heterogeneity)
            if self._linear_encoder:
                def context_effects():
                    ce = self.context_effects(alpha)
                    ce.index = [f"{k}:{c}" for k, c in ce.index]
                    s.add_table("Context effects: change in each coefficient per unit of each context feature", ce)

                part("The context effects", context_effects)
        if self.location_scale is not None:
            part("The scale test", lambda: s.add_table("Scale: H0 sigma does not vary with context (chi2)",
                                                       self.scale_test()))
        if spline_sm is not None:  # smooth terms with their edf; Vp-based tests unless the inference's are shown
            from ctxstats.spline import summary_parts

            def smooth_terms():
                parts = summary_parts(self, alpha)
                for title, table in parts["tables"][:1] if inference.reports_heterogeneity else parts["tables"]:
                    s.add_table(title + f" [smoothing: {dict(parts['header'])['Smoothing']}]"
                                if title.startswith("Smooth terms") else title, table)
                for note in parts["notes"]:
                    s.add_note("Spline: " + note)

            part("The smooth-term tests", smooth_terms)

        def identifiability():
            report = self.identifiability()
            for note in report.notes:
                s.add_note("Identifiability: " + note)
            if report.identifiable:
                s.add_note(f"Identifiability: all {len(report.checks)} checks passed (see results.identifiability()).")

        part("The identifiability checks", identifiability)
        note = inference.summary_note(self)
        if note is not None:
            s.add_note(note)
        if m.quasi:
            s.add_note(f"Quasi-likelihood fit: dispersion estimated as Pearson chi2 / df_resid = {self.scale:.6g}; "
                       "standard errors are scaled by its square root; there is no likelihood (log-likelihood, "
                       "AIC and BIC are nan).")
        if not self.trained:
            s.add_note(f"The model is {self.message}; its parameters are not estimates.")
        elif not self.converged:
            s.add_note(f"The solver did not converge: {self.message}")
        if self.rank_deficient:
            s.add_note("The interaction design is rank deficient; the minimum-norm solution is reported.")
        if self.n_bootstraps:
            s.add_note(bootstrap_share_note(self.bootstrap_converged))
        if self.n_bootstraps:
            start = (_core.bootstrap_rule_note(self.bootstrap_rule) or
                     "by a replicate rule this saved fit did not record")
            s.add_note(f"Bootstrap: {self.n_bootstraps} refits on multinomial resamples of the rows, {start}. "
                       "P>|b| is the percentile p-value, "
                       "2 (1 + replicates on the far side of zero) / (B + 1): it inverts the percentile interval, "
                       "so no z statistic goes with it, and it cannot fall below 2/(B+1) = "
                       f"{2 / (self.n_bootstraps + 1):.3g} (heterogeneity tests: 1/(B+1) = "
                       f"{1 / (self.n_bootstraps + 1):.3g}).")
        return s

    @property
    def sample_scale(self) -> pd.Series:
        """scale='context': each sample's residual standard deviation sigma(c_i), in the
        response's units (see :mod:`ctxstats.location_scale`)."""
        from ctxstats.location_scale import sample_scale

        return self._cached("sample_scale", lambda: sample_scale(self))

    def predict_scale(self, context) -> pd.Series:
        """scale='context': sigma(c) at new contexts."""
        from ctxstats.location_scale import sample_scale

        return sample_scale(self, context)

    def scale_test(self) -> pd.DataFrame:
        """scale='context': whether sigma varies with context (likelihood ratio against constant
        sigma for the linear encoder, Wald), chi-squared p-values."""
        from ctxstats.location_scale import scale_test

        return scale_test(self)

    def __repr__(self) -> str:
        return (f"<{type(self).__name__}: {self.model.family} family, {self.model.encoder} encoder, "
                f"solver={self.solver}, nobs={self.nobs}, converged={self.converged}>")

    def save(self, path) -> None:
        """Save to ``path`` in ctxstats' versioned file format; read back with ``ctxstats.load``."""
        from ctxstats.io import save

        if self.model.family == "negativebinomial":
            raise ValueError("saving a negative binomial fit is not available yet: the model file does not carry "
                             "theta; refit it, or pickle the results")

        save(self, path)

    def subtypes(self, k: int | None = None, *, params=None, k_max: int = 8, n_starts: int = 10,
                 seed: int | None = None, alpha: float = 0.05):
        """Subtypes of the samples found from their models (:mod:`ctxstats.subtypes`): k-means
        on the standardised ``sample_params`` (``params`` picks columns), k by the silhouette
        when not given, bootstrap stability and each subtype's average model with intervals.
        ``seed`` defaults to the fit's. Returns a :class:`ctxstats.subtypes.Subtypes`."""
        from ctxstats.subtypes import glm_subtypes

        return glm_subtypes(self, k, params=params, k_max=k_max, n_starts=n_starts, seed=seed, alpha=alpha)
