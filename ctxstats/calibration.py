"""The calibration test of the heterogeneity: grf's ``test_calibration`` for the per-sample
parameters of a contextualized GLM.

For every parameter k (the intercept, then each predictor) the core
(``csrc/inference/calibration.hpp``) cross-fits the model with the deterministic folds of
:func:`ctxstats.cross_validate`, so that every row has parameters theta_ik from a fit that did
not see it, and fits

    y_i ~ family(link^-1(o_i + a m_i + b d_i)),
    o_i = eta_i - x~_ik theta_ik,  m_i = x~_ik theta_bar_k,  d_i = x~_ik (theta_ik - theta_bar_k)

where x~_ik is predictor k residualised on the context (its weighted least-squares residual on
[1, c], grf's W - W.hat; the intercept's predictor is 1 and stays so), theta_bar_k the weighted
mean of the held-out theta_k, and eta_i the held-out linear predictor (gaussian: least squares
of the partial residual y_i - o_i on m_i and d_i without an intercept, as grf's regression of the
outcome residual on the mean and differential forest predictions). Without the residualising, a
predictor that is not centred would make d_i partly a function of the context alone.
``a`` (``mean``) near 1 says the average effect is right; ``b`` (``differential``) near 1 says
the way theta_k varies with the context is right in size, and a ``b`` significantly above 0
(one-sided p-value, as grf's) is evidence that theta_k varies with the context at all.
Standard errors are heteroskedasticity-consistent (``HC3`` by default, as grf's); p-values use
the t distribution on n - 2 degrees of freedom for gaussian and quasi-likelihood fits and the
normal otherwise. R: ``calibration_test(fit)``, the same numbers.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ctxstats import _core
from ctxstats._validation import check_int
from ctxstats.convergence import warn_at_caller
from ctxstats.cross_validation import _model_of

__all__ = ["calibration_test", "CalibrationTestResults"]

_COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")


def calibration_table(raw: dict, names: list[str]) -> pd.DataFrame:
    """The table of the core's calibration regressions: one row per (parameter, term)."""
    coef = np.asarray(raw["coef"])
    cov = np.asarray(raw["cov"])
    se = np.sqrt(np.column_stack([cov[:, 0], cov[:, 3]]))
    stat = coef / se
    if raw["use_t"]:
        p = stats.t.sf(stat, raw["df_resid"])
    else:
        p = stats.norm.sf(stat)
    index = pd.MultiIndex.from_tuples([(k, term) for k in names for term in ("mean", "differential")],
                                      names=["parameter", "term"])
    label = "t" if raw["use_t"] else "z"
    return pd.DataFrame({"coef": coef.ravel(), "std err": se.ravel(), label: stat.ravel(),
                         f"P>{label}": p.ravel()}, index=index)


class CalibrationTestResults:
    """What :func:`calibration_test` returns.

    Attributes
    ----------
    table : pandas.DataFrame
        Rows (parameter, ``mean``) and (parameter, ``differential``): the coefficients a and b,
        their standard errors, t (or z) statistics and one-sided p-values of H0: coef <= 0.
    mean_effect : pandas.Series
        theta_bar_k, the weighted mean of the held-out parameters.
    held_out_params : pandas.DataFrame
        Every row's parameters from the fit without its fold (n x q, named as ``params``).
    fold_of_row : ndarray
    cov_type, nobs, df_resid, use_t
    """

    def __init__(self, raw: dict, names: list[str], index):
        self.table = calibration_table(raw, names)
        self.mean_effect = pd.Series(raw["mean_effect"], index=names, name="mean_effect")
        self.held_out_params = pd.DataFrame(raw["held_out_theta"], index=index, columns=names)
        self.fold_of_row = np.asarray(raw["fold_of_row"])
        self.cov_type = raw["cov_type"]
        self.nobs = int(raw["nobs"])
        self.df_resid = float(raw["df_resid"])
        self.use_t = bool(raw["use_t"])

    @property
    def differential(self) -> pd.DataFrame:
        """The rows of the ``differential`` term: one per parameter (the heterogeneity test)."""
        return self.table.xs("differential", level="term")

    def __repr__(self) -> str:
        head = (f"Calibration test of the heterogeneity ({len(np.unique(self.fold_of_row))}-fold cross-fitted, "
                f"cov_type={self.cov_type}, one-sided p-values of H0: coef <= 0)")
        with pd.option_context("display.float_format", "{:.4g}".format):
            return head + "\n" + self.table.to_string()


def calibration_test(model, folds: int = 5, seed: int = 0, cov_type: str = "HC3",
                     **fit_options) -> CalibrationTestResults:
    """Calibration test of the heterogeneity of every per-sample parameter (grf's
    ``test_calibration``), on parameters cross-fitted with ``folds`` deterministic folds.

    Parameters
    ----------
    model : ContextualizedGLM or its results
        Its data, family, encoder and options (results stand for their model; any encoder, any
        family but the negative binomial; not ``scale="context"``).
    folds : int
        K >= 2: every row's parameters come from the fit on the other K - 1 folds (the folds of
        :func:`ctxstats.cross_validate` with the same ``seed``).
    seed : int
        Keys the folds and each fold's fit.
    cov_type : {"HC3", "HC0", "HC1", "HC2", "nonrobust"}
        The covariance of the calibration coefficients (grf's default HC3).
    **fit_options
        Options of ``fit`` for every fold's fit (``solver``, ``max_iter``, ...).

    Returns
    -------
    CalibrationTestResults
        ``table`` holds, per parameter, the ``mean`` and ``differential`` coefficients with
        standard errors and one-sided p-values; a ``differential`` coefficient near 1 with a
        small p-value says the parameter's variation with the context is real and of the
        estimated size.

    Warns
    -----
    ConvergenceWarning
        When some folds' fits did not meet their stopping criterion.
    RuntimeWarning
        When a parameter's regression is not identified (its held-out values do not vary, or
        its predictor is 0) -- its row is NaN -- or its Newton iterations did not converge.
    """
    m = _model_of(model)
    folds = check_int(folds, "folds", 2)
    seed = check_int(seed, "seed", 0)
    if not isinstance(cov_type, str):
        raise TypeError(f"cov_type must be one of {_COV_TYPES}, not {type(cov_type).__name__}")
    if "seed" in fit_options or "n_bootstraps" in fit_options or "cov_type" in fit_options:
        raise TypeError("calibration_test takes seed and cov_type itself, and no n_bootstraps")
    if m.family == "negativebinomial":
        raise ValueError("calibration_test is not available for the negative binomial family (its cross-fitting "
                         "needs theta per fold); use family='poisson' with dispersion='pearson'")
    opts = m._options(seed=seed, **fit_options)
    raw = _core.calibration_test(m.context, m.exog, m.endog, m.weights, opts, folds, seed, cov_type)
    names = list(m.param_names)
    out = CalibrationTestResults(raw, names, m.row_labels)
    bad = [k + 1 for k, ok in enumerate(raw["fold_converged"]) if not ok]
    if bad:
        warn_at_caller(f"{len(bad)} of {folds} cross-fitting folds did not converge (folds {bad}); the first: "
                       f"{raw['fold_message'][bad[0] - 1]}")
    lost = [names[k] for k, ok in enumerate(raw["identified"]) if not ok]
    if lost:
        warnings.warn(f"the calibration regression is not identified for {lost} (their held-out values do not "
                      "vary, or their predictor is 0): their rows are NaN", RuntimeWarning, stacklevel=2)
    stuck = [names[k] for k, (ok, idf) in enumerate(zip(raw["converged"], raw["identified"])) if idf and not ok]
    if stuck:
        warnings.warn(f"the calibration regression's Newton iterations did not converge for {stuck} (separation "
                      "or extreme held-out predictions)", RuntimeWarning, stacklevel=2)
    return out
