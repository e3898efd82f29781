"""Formula functions, statsmodels style: ``ctx_glm(formula, data, ...)`` returns an unfitted
model; call ``.fit()``.

    import ctxstats.formula.api as smf_ctx
    res = smf_ctx.ctx_glm("y ~ x1 + C(group) | age + bmi", data=df, family="binomial").fit()

The part after ``|`` is the context. Categorical expansion, transforms (``np.log(x)``,
``center(x)``, ``bs(x, 4)``) and removing the intercept (``- 1``) work as in statsmodels'
formulas; ``results.predict(new_df)`` re-applies the fitted transforms.
"""
from __future__ import annotations

from ctxstats.models import (
    ContextualizedGLM,
    ContextualizedLogit,
    ContextualizedPoisson,
    ContextualizedRegression,
)

__all__ = ["ctx_glm", "ctx_ols", "ctx_logit", "ctx_poisson", "personalized", "ctx_mixture"]


def ctx_glm(formula: str, data, family: str = "gaussian", encoder: str = "mlp", missing: str = "drop",
            weights=None, **kwargs) -> ContextualizedGLM:
    """A contextualized GLM from a formula ``"y ~ predictors | context"``.

    Parameters
    ----------
    formula : str
    data : pandas.DataFrame
    family : {"gaussian", "binomial", "poisson", "negativebinomial"}
        ``"negativebinomial"`` (or ``"negbin"``): theta estimated, linear encoder only.
    encoder : {"mlp", "ngam", "linear", "spline"}
    missing : {"drop", "raise"}
        Rows with a missing value in any variable of the formula are dropped, or raise.
    weights : str or array_like, optional
        A column of ``data`` (``weights="w"``, as R's ``weights = w``) or one weight per row of
        ``data`` (rows dropped for missing values are dropped here too).
    groups : str or array_like, optional
        The clusters for ``fit(cov_type="cluster")``: a column of ``data`` or one label per row.
    **kwargs
        Model options (below): encoder options (width, depth, archetypes, activation; n_knots,
        interactions, smoothing, method for the spline encoder), dispersion, scale; fit options
        go to ``.fit()``.
    """
    return ContextualizedGLM.from_formula(formula, data, family=family, encoder=encoder, missing=missing,
                                          weights=weights, **kwargs)


def ctx_ols(formula: str, data, encoder: str = "mlp", missing: str = "drop", weights=None,
            **kwargs) -> ContextualizedRegression:
    """A contextualized linear regression (gaussian family) from a formula."""
    return ContextualizedRegression.from_formula(formula, data, encoder=encoder, missing=missing, weights=weights,
                                                 **kwargs)


def ctx_logit(formula: str, data, encoder: str = "mlp", missing: str = "drop", weights=None,
              **kwargs) -> ContextualizedLogit:
    """A contextualized logistic regression from a formula (the response coded 0/1)."""
    return ContextualizedLogit.from_formula(formula, data, encoder=encoder, missing=missing, weights=weights,
                                            **kwargs)


def ctx_poisson(formula: str, data, encoder: str = "mlp", missing: str = "drop", weights=None,
                **kwargs) -> ContextualizedPoisson:
    """A contextualized Poisson regression from a formula."""
    return ContextualizedPoisson.from_formula(formula, data, encoder=encoder, missing=missing, weights=weights,
                                              **kwargs)


def personalized(formula: str, data, **kwargs):
    """Personalized regression with distance matching from a formula ``"y ~ x1 + x2 | c1 + c2"``.

    The alias of :meth:`ctxstats.PersonalizedRegression.from_formula`; see it for the options.
    """
    from ctxstats.personalized import PersonalizedRegression

    return PersonalizedRegression.from_formula(formula, data, **kwargs)


def ctx_mixture(formula: str, data, n_components=2, missing: str = "drop", weights=None, **kwargs):
    """A mixture of contextualized regressions from ``"y ~ predictors | context"``
    (:class:`ctxstats.ContextualizedMixture`; flexmix's ``y ~ x * c`` with
    ``concomitant = FLXPmultinom(~ c)``)."""
    from ctxstats.mixture import ContextualizedMixture

    return ContextualizedMixture.from_formula(formula, data, missing=missing, weights=weights,
                                              n_components=n_components, **kwargs)


_FIXED_FAMILY_PARAMETERS = """
    Parameters
    ----------
    formula : str
        ``"y ~ predictors | context"``: the predictors whose coefficients vary, then the context
        they vary with (formulaic syntax: ``C(g)``, ``np.log(x)``, ``- 1`` for no intercept).
    data : pandas.DataFrame (or a dask DataFrame: see :mod:`ctxstats.dask`)
    encoder : {{"mlp", "ngam", "linear", "spline"}}
        How the coefficients depend on the context (see :class:`ctxstats.ContextualizedGLM`).
    missing : {{"drop", "raise"}}
        Rows with a missing value in any variable of the formula are dropped, or raise.
    weights : str or array_like, optional
        A column of ``data`` or one case weight per row of ``data``.
    groups : str or array_like, optional
        The clusters for ``fit(cov_type="cluster")``: a column of ``data`` or one label per row.
    **kwargs
        Model options (below); fit options go to ``.fit()``.

    Returns
    -------
    {cls}
        Unfitted; ``.fit()`` returns its results.
"""


def _document() -> None:
    # The parameters, and every option of the core's table by group with what it applies to
    # (ctxstats/_docs.py).
    from ctxstats._docs import with_options

    ctx_glm.__doc__ = with_options(ctx_glm.__doc__)
    for fn, cls in ((ctx_ols, ContextualizedRegression), (ctx_logit, ContextualizedLogit),
                    (ctx_poisson, ContextualizedPoisson)):
        doc = fn.__doc__ + "\n" + _FIXED_FAMILY_PARAMETERS.format(cls=cls.__name__)
        fn.__doc__ = with_options(doc, skip=("family",))


_document()
