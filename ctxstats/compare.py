"""Comparing nested fits of the same rows: ``compare(res0, res1, ...)`` (R's ``anova`` of
several models) and the results' ``compare_f_test`` / ``compare_lr_test`` (statsmodels' names).

The statistics come from the core (``inference/fit_statistics``: F for gaussian with the
largest fit's dispersion, as R's ``anova.lm``, and for quasi-likelihood fits, as
``anova.glm(test="F")``; the deviance difference, chi-square, otherwise, as
``anova.glm(test="Chisq")``; for the negative binomial, whose fits each have their own theta,
the likelihood ratio 2 (llf1 - llf0), as ``anova.negbin``); here they get their p-values and a
table. Fits must be of the
same response and be ordered from the smallest model (most residual degrees of freedom) to
the largest; nesting of the models themselves cannot be checked and is the user's to ensure
(a linear encoder inside a larger linear one, any encoder inside a more flexible one of the
same kind). For the linear encoder every number equals ``anova`` of the ``lm``/``glm`` fits of
the interaction designs.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ctxstats import _core


def _check_same_rows(fits) -> None:
    y0 = np.asarray(fits[0].model.endog)
    for r in fits[1:]:
        y = np.asarray(r.model.endog)
        if y.shape != y0.shape or not np.array_equal(y, y0):
            raise ValueError("the fits to compare must be of the same response on the same rows")
        if r.model.family != fits[0].model.family or r.model.quasi != fits[0].model.quasi:
            raise ValueError("the fits to compare must be of one family (and all or none quasi-likelihood)")


def _test(family, r0, r1, big):
    if family == "negativebinomial":  # anova.negbin: the thetas differ, so compare likelihoods
        df = float(r0.df_resid - r1.df_resid)
        if not df > 0:
            raise ValueError("the fits must be ordered from the smallest model (most residual df) to the largest")
        lr = -2.0 * (r0.llf - r1.llf)
        return {"statistic": lr, "df": df, "use_f": False}, float(stats.chi2.sf(lr, df))
    t = _core.nested_test(family, float(r0.deviance), float(r0.df_resid), float(r1.deviance), float(r1.df_resid),
                          float(big.deviance), float(big.df_resid),
                          float(big.scale) if big.model.quasi else None)
    if t["not_nested"]:
        warnings.warn("the larger fit has the larger deviance: the fits are not nested, or one did not converge",
                      RuntimeWarning, stacklevel=3)
    if t["use_f"]:
        p = float(stats.f.sf(t["statistic"], t["df"], t["df_denom"]))
    else:
        p = float(stats.chi2.sf(t["statistic"], t["df"]))
    return t, p


def compare(*fits) -> pd.DataFrame:
    """Analysis of deviance of nested fits, smallest first (R's ``anova(fit0, fit1, ...)``).

    One row per fit: residual degrees of freedom and deviance; from the second row on, the
    change in degrees of freedom and deviance from the row before and its test (``F`` and
    ``Pr(>F)`` for gaussian, with the dispersion of the largest fit; ``Pr(>Chi)`` for the
    deviance difference otherwise).
    """
    if len(fits) < 2:
        raise ValueError("compare needs at least two fits")
    _check_same_rows(fits)
    family = fits[0].model.family
    big = min(fits, key=lambda r: r.df_resid)
    rows = []
    for k, r in enumerate(fits):
        row = {"df_resid": float(r.df_resid), "deviance": float(r.deviance), "df_diff": np.nan,
               "dev_diff": np.nan, "statistic": np.nan, "p_value": np.nan}
        if k > 0:
            prev = fits[k - 1]
            t, p = _test(family, prev, r, big)
            # (negative binomial fits each have their own theta: their deviances do not compare)
            dev_diff = np.nan if family == "negativebinomial" else float(prev.deviance - r.deviance)
            row.update(df_diff=t["df"], dev_diff=dev_diff, statistic=t["statistic"], p_value=p)
        rows.append(row)
    out = pd.DataFrame(rows, index=[f"model {k}" for k in range(len(fits))])
    out.attrs["test"] = ("F" if family == "gaussian" or fits[0].model.quasi
                         else "LR" if family == "negativebinomial" else "Chisq")
    return out


def compare_f_test(full, restricted) -> tuple[float, float, float]:
    """(F, p-value, df difference) of ``restricted`` against ``full`` (gaussian only), as
    statsmodels' ``OLSResults.compare_f_test``."""
    if full.model.family != "gaussian" and not full.model.quasi:
        raise ValueError("compare_f_test is for gaussian and quasi-likelihood fits; use compare_lr_test")
    _check_same_rows([restricted, full])
    t, p = _test(full.model.family, restricted, full, full)
    return t["statistic"], p, t["df"]


def compare_lr_test(full, restricted) -> tuple[float, float, float]:
    """(likelihood-ratio statistic, p-value, df difference) of ``restricted`` against ``full``,
    as statsmodels' ``compare_lr_test``: -2 (llf_restricted - llf_full) on the difference in
    residual degrees of freedom, chi-square (gaussian log-likelihoods with the ML variance)."""
    _check_same_rows([restricted, full])
    if full.model.quasi:
        raise ValueError("a quasi-likelihood fit has no likelihood to compare; use compare_f_test")
    df = float(restricted.df_resid - full.df_resid)
    if not df > 0:
        raise ValueError("the restricted fit must have more residual degrees of freedom than the full one")
    lr = -2.0 * (restricted.llf - full.llf)
    return lr, float(stats.chi2.sf(lr, df)), df
