"""Identifiability checks for contextualized GLMs (Lengerich et al. 2023, section 4).

A contextualized model is identifiable when the data pin down one encoder -- hence one model
per sample. The report checks what can be checked from the data and the fit:

- **counting** (n > d_g * d_s): conditional on the encoder's last representation h(c) of
  dimension d_g, every sample model is theta_i = B h(c_i), so the model is a GLM on the
  design [1, x] (x) h(c) with d_g * d_s coefficients (d_s = parameters per sample model).
  Fewer observations than that cannot determine it. d_g is m + 1 for the linear encoder
  ([1, c]), width + 1 for an mlp with hidden layers (last hidden layer and bias),
  m * width + 1 for an ngam (the m per-feature last layers, their biases summing to one),
  m more with ``linear_skip`` (the skip path's features c),
  m + 1 for networks without hidden layers, and K for an archetype head (the mixture
  weights).
- **predictors and context**: the rank of [1, X] and of [1, C] (the encoder always has a
  bias), naming aliased columns, and the condition number of their standardised versions
  (the core standardises both); constant and duplicated columns are named separately.
- **interaction design** (linear encoder): the rank and condition number of
  [1, x] (x) [1, c], naming the aliased predictor x context terms.
- **archetypes**: K convex-mixture archetypes in a d_s-dimensional parameter space are
  unique only if they are affinely independent, which needs K <= d_s + 1; the fitted
  archetypes are checked for affine independence as well.
- **stability** (with bootstrap replicates): for each coefficient, the share of samples
  whose sign flips across replicates -- differs from the full-data fit's in more than 10%
  of the replicates (computed by the core). The check fails only for a coefficient whose
  average effect is significant (its 95% bootstrap percentile interval excludes zero) while
  the signs of most samples' coefficients still flip: the data then determine the sign of
  the average but not of the individual samples' coefficients, so per-sample signs must
  not be read off the fit. A coefficient whose interval includes zero is expected to flip
  (it is near zero) and passes; its share is still reported.

Conditions are checked on the standardised data the core fits (columns centred and scaled),
so units do not affect them. Condition numbers are of column-normalised matrices. The C++
core computes every number and sentence of the report (csrc/inference/identifiability_report.*),
so Python and R print identical reports; this module only frames them and warns.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ctxstats import _core

__all__ = ["IdentifiabilityWarning", "IdentifiabilityReport", "identifiability_report"]

# The thresholds (condition number 1e3 of a column-normalised standardised design, aliasing
# below 1e-9 relative residual, sign flips in more than 10% of replicates for more than half
# of the samples) live in the core: csrc/inference/identifiability_report.hpp.


class IdentifiabilityWarning(UserWarning):
    """A fitted contextualized model failed an identifiability check (see
    ``results.identifiability()``)."""


@dataclass
class IdentifiabilityReport:
    """The identifiability checks of a fit.

    Attributes
    ----------
    identifiable : bool
        True when every check passed.
    checks : pandas.DataFrame
        One row per check: ``check`` (what), ``value`` (measured), ``threshold`` (limit),
        ``passed``. Counting checks pass when value > threshold, rank checks when value ==
        threshold, the others when value <= threshold.
    notes : list of str
        Sentences explaining each failed check, naming the columns or terms involved.
    findings : pandas.DataFrame
        Every constant, duplicated and aliased column, one row each: ``design`` ("exog",
        "context", "[1, X]", "[1, C]", "interaction design"), ``kind`` ("constant",
        "duplicated", "aliased"), ``column`` and ``with`` (the column it equals, or the columns
        it is a linear combination of).
    """

    checks: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    findings: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"design": [], "kind": [], "column": [], "with": []}, dtype=object))

    @property
    def identifiable(self) -> bool:
        return bool(self.checks["passed"].all())

    @property
    def failed(self) -> pd.DataFrame:
        return self.checks[~self.checks["passed"]]

    def __str__(self) -> str:
        from ctxstats.summary import frame_table

        head = "Identifiability: " + ("all checks passed" if self.identifiable else
                                      f"{int((~self.checks['passed']).sum())} check(s) failed")
        body = frame_table(self.checks.set_index("check"))
        notes = "".join(f"\n[{i}] {n}" for i, n in enumerate(self.notes, 1))
        return f"{head}\n{body}{notes}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (f"<p><b>Identifiable: {self.identifiable}</b></p>"
                + self.checks.to_html(index=False, float_format=lambda v: f"{v:.4g}")
                + (f"<ol>{notes}</ol>" if notes else ""))


def representation_dim(encoder: str, encoder_options: dict, m: int) -> int:
    """d_g: the dimension of the encoder's last representation h(c) (see the module doc;
    computed by the core)."""
    return int(_core.representation_dim({"encoder": encoder, **encoder_options}, m))


def identifiability_report(model, weights: np.ndarray | None = None, sign_flips: np.ndarray | None = None,
                           param_names: list[str] | None = None, *, scaling: dict, options: dict | None = None,
                           threads: int = 0, sign_determined: np.ndarray | None = None) -> IdentifiabilityReport:
    """Run the identifiability checks for ``model`` (a ContextualizedGLM).

    The C++ core computes the whole report -- the check table and a sentence per failed
    check (``_core.identifiability_report``); this function names and frames it.

    Parameters
    ----------
    model : ContextualizedGLM
    weights : ndarray, optional
        The fitted encoder weights (for the archetype check).
    sign_flips : ndarray (q,), optional
        Per coefficient, the share of samples whose sign differs from the full-data fit's in
        more than 10% of the bootstrap replicates (the stability check; skipped when
        None).
    sign_determined : ndarray of bool (q,), optional
        Per coefficient, whether the 95% bootstrap percentile interval of its average effect
        excludes zero; the stability check fails only for these (default: all).
    param_names : list of str, optional
        Names of the per-sample parameters (default: the model's).
    scaling : dict
        The fit's internal standardisation (``results.scaling``).
    options : dict, optional
        The fit's options (``results.options``; default: the model's encoder options).
    threads : int
        OpenMP threads for the pass over the data (0: all cores).
    """
    opts = options if options is not None else model._options()
    names = list(param_names or model.param_names)
    flips = None if sign_flips is None else np.asarray(sign_flips, dtype=float)
    determined = None if sign_determined is None else [int(bool(v)) for v in np.asarray(sign_determined)]
    out = _core.identifiability_report(model.context, model.exog, scaling, opts, names, list(model.exog_names),
                                       list(model.context_names), None if weights is None else np.asarray(weights),
                                       flips, determined, threads)
    checks = pd.DataFrame(out["checks"], columns=["check", "value", "threshold", "passed"])
    checks["passed"] = checks["passed"].astype(bool)
    findings = pd.DataFrame(out["findings"], columns=["design", "kind", "column", "with"], dtype=object)
    return IdentifiabilityReport(checks=checks, notes=list(out["notes"]), findings=findings)


def warn_if_unidentifiable(report: IdentifiabilityReport, stacklevel: int = 3) -> None:
    if not report.identifiable:
        failed = ", ".join(report.failed["check"])
        warnings.warn(IdentifiabilityWarning(
            f"identifiability check(s) failed: {failed}. " + " ".join(report.notes)
            + " See results.identifiability()."), stacklevel=stacklevel)
