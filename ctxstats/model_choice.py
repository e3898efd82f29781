"""Choosing an encoder (and its size: knots, width, number of archetypes) by held-out deviance.

``choose_encoder(model)`` refits the model's data and family with each candidate encoder on the
same deterministic folds (:func:`ctxstats.cross_validate`) and returns the comparison table of
:func:`ctxstats.compare_cross_validated`, best first. R: ``ctx_choose_encoder(fit)``, the same
numbers.
"""
from __future__ import annotations

import pandas as pd

from ctxstats import _options
from ctxstats.cross_validation import _model_of, compare_cross_validated

__all__ = ["choose_encoder", "DEFAULT_CANDIDATES"]

#: The candidates tried by default: the classical linear varying-coefficient model, additive
#: penalized splines, and a neural additive model (each at its option table's defaults).
DEFAULT_CANDIDATES = ("linear", "spline", "ngam")


def _candidates(candidates) -> dict[str, dict]:
    if isinstance(candidates, str):
        candidates = (candidates,)
    if isinstance(candidates, dict):
        out = {}
        for name, opts in candidates.items():
            if isinstance(opts, str):
                opts = {"encoder": opts}
            if not isinstance(opts, dict) or "encoder" not in opts:
                raise TypeError(f"candidate {name!r} must be an encoder name or a dict of options with 'encoder', "
                                f"not {opts!r}")
            out[str(name)] = dict(opts)
    else:
        out = {}
        for c in candidates:
            if not isinstance(c, str):
                raise TypeError(f"candidates must be encoder names or a dict of name -> options, not {c!r}")
            out[c] = {"encoder": c}
    if len(out) < 1:
        raise ValueError("candidates is empty")
    return out


def choose_encoder(model, candidates=DEFAULT_CANDIDATES, folds: int = 5, seed: int = 0,
                   **fit_options) -> pd.DataFrame:
    """Held-out deviance of the model's data under each candidate encoder, on the same folds.

    Parameters
    ----------
    model : ContextualizedGLM or its results
        The data (response, predictors, context, weights), family, intercept and dispersion are
        kept; the encoder and its options are replaced by each candidate's.
    candidates : sequence of encoder names, or dict of name -> options
        ``("linear", "spline", "ngam")`` by default. A dict compares sizes, e.g.
        ``{"spline k=6": {"encoder": "spline", "n_knots": 6}, "spline k=12": {"encoder":
        "spline", "n_knots": 12}, "mlp, 4 archetypes": {"encoder": "mlp", "archetypes": 4}}``
        (the number of archetypes is the rank of the sample models' mixture).
    folds, seed : int
        The cross-validation's folds and seed (the folds depend only on the number of rows and
        the seed: every candidate is scored on the same held-out rows).
    **fit_options
        Options of ``fit`` for every candidate's fits (``solver``, ``max_iter``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per candidate, best first: ``mean_deviance`` (held out, per unit of weight),
        ``se``, ``diff`` from the best with ``diff_se`` (paired over the folds), ``deviance``
        and ``folds_converged``. A difference within about two ``diff_se`` of 0 does not
        separate two candidates; prefer the simpler one.
    """
    from ctxstats.models import ContextualizedGLM

    m = _model_of(model)
    cands = _candidates(candidates)
    # what stays: options that are not the encoder's (family, intercept, dispersion, ...)
    keep = {k: v for k, v in m._given_options.items()
            if k in _options.SCHEMA and _options.SCHEMA[k]["group"] not in ("encoder", "spline")
            and k != "encoder"}
    index = pd.RangeIndex(m.nobs) if m.row_labels is None else m.row_labels
    endog = pd.Series(m.endog, index=index, name=m.endog_name)
    exog = pd.DataFrame(m.exog, index=index, columns=m.exog_names) if m.exog_names else None
    context = pd.DataFrame(m.context, index=index, columns=m.context_names)
    models = {name: ContextualizedGLM(endog, exog, context, weights=m.weights, **{**keep, **opts})
              for name, opts in cands.items()}
    return compare_cross_validated(models, folds=folds, seed=seed, **fit_options)
