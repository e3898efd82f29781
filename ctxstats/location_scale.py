"""Heteroskedastic contextualized regression: ``ContextualizedGLM(..., family="gaussian",
scale="context")``.

The model is y_i | x_i, c_i ~ N(x_i . beta(c_i) + mu(c_i), sigma(c_i)^2) with log sigma(c) a
second output of the encoder (linear: log sigma = g . [1, c]; spline: an additive smooth of
the context features). The C++ core fits both parts jointly by Newton's method on the exact
likelihood (a spline's smoothing parameters chosen by PQL-REML on each part's working model;
see ``csrc/glm/location_scale.hpp``) and returns the scale weights, the inverse (penalised)
observed information of all the weights, and the tests of whether sigma varies with context.

This module holds what the front end adds: the inference object (:class:`LocationScaleInference`),
the per-sample standard deviations and the scale test's p-values.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ctxstats import _core
from ctxstats.covariance import INFERENCE, Inference, PredictionResults
from ctxstats.inference import check_alpha, coefficient_table, critical_value

__all__ = ["LocationScaleInference", "LocationScalePrediction", "check_fit_options", "scale_test",
           "sample_scale", "predict_scale"]


def check_fit_options(opts: dict, n_bootstraps: int | None, cov_type: str | None) -> None:
    """The fit options that do not combine with scale='context' (ValueError naming them)."""
    if n_bootstraps:
        raise ValueError("n_bootstraps is not available with scale='context' yet: its standard errors come from "
                         "the inverse observed information; use n_bootstraps=0")
    if cov_type not in (None, "nonrobust"):
        raise ValueError(f"cov_type={cov_type!r} is not available with scale='context': its covariance is the "
                         "inverse observed information (cov_type=None or 'nonrobust')")


def _report(res) -> dict:
    ls = getattr(res, "location_scale", None)
    if ls is None:
        raise ValueError("this fit has a constant scale; refit with scale='context' (family='gaussian', encoder "
                         "'linear' or 'spline') for per-sample standard deviations")
    return ls


def predict_scale(res, exog: np.ndarray, context: np.ndarray) -> dict:
    """The core's mean, its standard error and sigma at rows (exog, context)."""
    return _core.location_scale_predict(res.options, res.scaling, res.weights, _report(res),
                                        np.ascontiguousarray(exog, dtype=float),
                                        np.ascontiguousarray(context, dtype=float))


def sample_scale(res, context=None) -> pd.Series:
    """sigma(c_i) for the training samples (or the rows of ``context``), in the response's units."""
    C, _, index = res._samples(context)
    X = np.zeros((C.shape[0], len(res.model.exog_names)))
    return pd.Series(predict_scale(res, X, C)["sigma"], index=index, name="sigma")


def scale_test(res) -> pd.DataFrame:
    """Whether sigma varies with context: the likelihood-ratio test against the same mean model
    with a constant sigma (linear encoder; df = context columns) and the Wald test of the scale
    weights beyond the constant (spline: on the scale smooth's rank from its edf), chi-squared."""
    ls = _report(res)
    df = float(ls["test_df"])
    rows = {}
    if np.isfinite(ls["lr_statistic"]):
        rows["likelihood ratio"] = [ls["lr_statistic"], df, stats.chi2.sf(ls["lr_statistic"], df)]
    rows["wald"] = [ls["wald_statistic"], df, stats.chi2.sf(ls["wald_statistic"], df)]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["statistic", "df", "pvalue"])
    out.attrs.update(distribution="chi2", hypothesis="sigma does not vary with context")
    return out


class LocationScalePrediction(PredictionResults):
    """Predictions of a scale='context' fit: the mean's interval eta +- z se_eta (se_eta from
    the inverse observed information), and the interval for a new observation
    eta +- z sqrt(se_eta^2 + sigma(c)^2) with each row's own sigma(c), from the core's
    prediction_intervals."""

    def __init__(self, linpred, index, se_linpred, sigma):
        super().__init__(linpred, index, "gaussian", np.asarray(se_linpred))
        self.se_linpred = np.asarray(se_linpred)
        self.sigma = np.asarray(sigma)

    def _obs_available(self) -> bool:
        return True

    def conf_int(self, alpha: float = 0.05, obs: bool = False) -> np.ndarray:
        crit = critical_value(False, np.inf, check_alpha(alpha))
        scale = np.ascontiguousarray(self.sigma ** 2) if obs else float("nan")
        p = _core.prediction_intervals("gaussian", np.ascontiguousarray(self.linpred, dtype=float),
                                       np.ascontiguousarray(self.se_linpred, dtype=float), float(crit), scale, False)
        if obs:
            return np.column_stack([p["obs_lower"], p["obs_upper"]])
        return np.column_stack([p["lower"], p["upper"]])


class LocationScaleInference(Inference):
    """Inference of a scale='context' fit from the inverse (penalised) observed information V
    of all its weights, as the core returns it:

    - average effects params = A b (A: the average over the samples of the map from the mean
      weights b to each sample's parameters in the user's units): cov_params = A V_bb A',
      z statistics and normal intervals (the likelihood is exact, no t correction);
    - predictions: se_eta = sqrt(z' V_bb z); observation intervals with each row's sigma(c);
    - ``scale_test()``: whether sigma varies with context (likelihood ratio and Wald).
    """

    name = "location_scale"
    cov_type = "nonrobust"
    heterogeneity_method = None  # none yet: heterogeneity_test() says so (see _not_yet)
    reports_params = True
    reports_heterogeneity = False

    def caption(self, res) -> str:
        return "inverse observed information (scale='context'), normal"

    def cov_params(self, res) -> np.ndarray:
        return self._cached("avg_cov", lambda: _core.location_scale_average_cov(
            res.options, res.scaling, _report(res), np.ascontiguousarray(res.model.context, dtype=float)))

    def pvalues(self, res) -> np.ndarray:
        return coefficient_table(res.params.to_numpy(), res.bse.to_numpy(), False, np.inf, 0.05)[:, 3]

    def conf_int(self, res, alpha: float):
        crit = critical_value(False, np.inf, alpha)
        est, se = res.params.to_numpy(), res.bse.to_numpy()
        return est - crit * se, est + crit * se

    def test_columns(self, res) -> dict:
        return {"z": res.tvalues, "P>|z|": res.pvalues}

    def prediction(self, res, X, C, eta, index) -> LocationScalePrediction:
        p = predict_scale(res, X, C)
        return LocationScalePrediction(np.asarray(p["eta"]), index, p["se_eta"], p["sigma"])

    @staticmethod
    def _not_yet(what: str) -> ValueError:
        return ValueError(f"{what} is not available for a scale='context' fit yet (its inference is the inverse "
                          "observed information of the average effects and predictions); scale_test() tests "
                          "whether sigma varies with context")

    def heterogeneity_test(self, res, by: str):
        raise self._not_yet("heterogeneity_test()")

    def context_effects(self, res, sel, alpha):
        raise self._not_yet("context_effects()")

    def sample_limits(self, res, C, theta, alpha):
        raise self._not_yet("sample_conf_int()")

    def projection(self, res, alpha):
        raise self._not_yet("best_linear_projection()")

    def summary_note(self, res) -> str:
        t = scale_test(res)
        row = t.loc["likelihood ratio"] if "likelihood ratio" in t.index else t.loc["wald"]
        kind = "Likelihood-ratio" if "likelihood ratio" in t.index else "Wald"
        return (f"Heteroskedastic fit (scale='context'): log sigma(c) is fitted with the mean; "
                f"sample sigma from {res.sample_scale.min():.4g} to {res.sample_scale.max():.4g}. "
                f"{kind} test that sigma does not vary with context: chi2({row['df']:g}) = "
                f"{row['statistic']:.4g}, p = {row['pvalue']:.4g}.")


INFERENCE[LocationScaleInference.name] = LocationScaleInference
