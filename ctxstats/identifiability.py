"""Identifiability checks for contextualized GLMs (Lengerich et al. 2023, section 4).

A contextualized model is identifiable when the data pin down one encoder -- hence one model
per sample. The report checks what can be checked from the data and the fit:

- **counting** (n > d_g * d_s): conditional on the encoder's last representation h(c) of
  dimension d_g, every sample model is theta_i = B h(c_i), so the model is a GLM on the
  design [1, x] (x) h(c) with d_g * d_s coefficients (d_s = parameters per sample model).
  Fewer observations than that cannot determine it. d_g is m + 1 for the linear encoder
  ([1, c]), width + 1 for an mlp with hidden layers (last hidden layer and bias),
  m * width + 1 for an ngam (the m per-feature last layers, their biases summing to one),
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
so units do not affect them. Condition numbers are of column-normalised matrices.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg

from ctxstats import _core

__all__ = ["IdentifiabilityWarning", "IdentifiabilityReport", "identifiability_report"]

CONDITION_LIMIT = 1e3     # condition number of a column-normalised, standardised design
ALIAS_TOL = 1e-9          # residual norm (relative) below which a column is aliased
FLIP_RATE = 0.1           # a sample's sign "flips" when it differs in more than this share of replicates
SIGN_FLIP_LIMIT = 0.5     # the check fails when more than this share of samples flip


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
    """

    checks: pd.DataFrame
    notes: list[str] = field(default_factory=list)

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


# ----------------------------------------------------------------------------------------
# linear algebra helpers
# ----------------------------------------------------------------------------------------
def _r_factor(blocks) -> np.ndarray:
    """R of a thin QR of the row-stacked blocks, accumulated block by block (TSQR)."""
    R = None
    for Z in blocks:
        stacked = Z if R is None else np.vstack([R, Z])
        R = linalg.qr(stacked, mode="r", check_finite=False)[0]
        R = R[: min(R.shape)]
    return R


# Below this condition number (of the column-normalised matrix) the Gram matrix settles the
# diagnostics: its eigenvalues give the condition number to ~1e-16 * cond^2 relative error,
# and no column can be aliased (every residual is at least 1/cond >> ALIAS_TOL).
GRAM_FAST_COND = 1e4


def _diagnose(G: np.ndarray, make_blocks, names: list[str]):
    """Rank, condition number and aliased columns of a matrix given its Gram matrix ``G``.

    When ``G`` shows a well-conditioned matrix the answer is read off it; otherwise
    ``make_blocks()`` yields the matrix's rows block by block, a QR factor is computed (TSQR)
    and ``_design_diagnostics`` finds the aliased columns exactly.
    """
    D = len(names)
    norms = np.sqrt(np.diag(G))
    if D and np.all(norms > 0):
        ev = np.linalg.eigvalsh(G / np.outer(norms, norms))
        if ev[0] > 0:
            cond = float(np.sqrt(ev[-1] / ev[0]))
            if cond < GRAM_FAST_COND:
                return D, cond, []
    return _design_diagnostics(_r_factor(make_blocks()), names)


def _design_diagnostics(R: np.ndarray, names: list[str]):
    """Rank, condition number and aliased columns of a matrix given its R factor.

    Columns are normalised first. Column j is aliased when its residual on the columns
    before it is below ALIAS_TOL of its norm (so later columns are aliased on earlier ones,
    as in R's ``alias``); its partners are the earlier columns in its least-squares
    representation.
    """
    D = R.shape[1]
    if R.shape[0] < D:  # fewer rows than columns
        R = np.vstack([R, np.zeros((D - R.shape[0], D))])
    norms = np.sqrt((R ** 2).sum(axis=0))
    zero = norms <= 1e-300
    Rn = R / np.where(zero, 1.0, norms)
    diag = np.abs(np.diag(Rn))
    aliased = [j for j in range(D) if zero[j] or diag[j] < ALIAS_TOL]
    kept = [j for j in range(D) if j not in aliased]
    sv = np.linalg.svd(Rn[:, ~zero], compute_uv=False) if (~zero).any() else np.zeros(1)
    cond = float(sv[0] / sv[-1]) if sv[-1] > 0 else np.inf
    details = []
    for j in aliased:
        if zero[j]:
            details.append((names[j], []))
            continue
        prev = [k for k in kept if k < j]
        if prev:
            coef, *_ = np.linalg.lstsq(Rn[:, prev], Rn[:, j], rcond=None)
            big = np.abs(coef) > 1e-6 * max(1.0, np.abs(coef).max())
            partners = [names[prev[i]] for i in np.flatnonzero(big)]
        else:
            partners = []
        details.append((names[j], partners))
    return D - len(aliased), cond, details


def _alias_sentence(what: str, details) -> str:
    parts = []
    for name, partners in details:
        if partners:
            parts.append(f"{name!r} is a linear combination of {', '.join(map(repr, partners))}")
        else:
            parts.append(f"{name!r} is identically zero after standardisation (a constant column)")
    return f"{what} is rank deficient: " + "; ".join(parts) + "."


def _standardise(A: np.ndarray, mean, scale, lo, hi, centre: bool) -> np.ndarray:
    """A standardised on the core's scale (its ``scaling``; constant columns exactly zero when
    centred): the rows behind the exact (QR) diagnosis, needed only when a Gram matrix shows
    near-collinearity."""
    out = (A - np.asarray(mean)) / np.asarray(scale)
    if centre:
        out[:, np.asarray(lo) == np.asarray(hi)] = 0.0
    return out


def _row_blocks(A: np.ndarray, width: int):
    step = max(1, min(A.shape[0], (1 << 21) // max(1, width)))
    for s in range(0, A.shape[0], step):
        yield A[s:s + step]


def _constant_and_duplicate(A: np.ndarray, names: list[str], lo: np.ndarray, hi: np.ndarray,
                            mean: np.ndarray, scale: np.ndarray, G: np.ndarray, first: int):
    """Constant columns of ``A`` and duplicated pairs (later column, the first equal one).

    Equal columns have bitwise equal minimum, maximum, mean and scale (the same arithmetic on
    the same numbers) and equal standardised Gram entries up to rounding; only such
    candidates are compared element by element. ``G[first + j, first + j]`` is column j's
    entry of the Gram matrix.
    """
    const = [names[j] for j in range(A.shape[1]) if lo[j] == hi[j]]
    seen: dict[tuple, list[int]] = {}
    dups = []
    for j in range(A.shape[1]):
        gj = first + j
        earlier = seen.setdefault((lo[j], hi[j], mean[j], scale[j]), [])
        tol = 1e-10 * max(G[gj, gj], 1e-300)
        match = next((i for i in earlier if abs(G[first + i, gj] - G[gj, gj]) <= tol
                      and np.array_equal(A[:, i], A[:, j])), None)
        if match is None:
            earlier.append(j)
        else:
            dups.append((names[j], names[match]))
    return const, dups


def representation_dim(encoder: str, encoder_options: dict, m: int) -> int:
    """d_g: the dimension of the encoder's last representation h(c) (see the module doc)."""
    K = encoder_options.get("archetypes", 0)
    if K:
        return int(K)
    if encoder == "spline":  # its basis b(c): the constant, m centred splines, tensor terms (penalised)
        kt = encoder_options.get("interaction_knots", 5) - 1
        return 1 + m * (encoder_options.get("n_knots", 15) - 1) + len(encoder_options.get("interactions") or ()) * kt * kt
    width, depth = encoder_options.get("width", 32), encoder_options.get("depth", 2)
    if encoder == "linear" or depth == 0:
        return m + 1
    if encoder == "mlp":
        return width + 1
    return m * width + 1  # ngam


# ----------------------------------------------------------------------------------------
# the report
# ----------------------------------------------------------------------------------------
def identifiability_report(model, weights: np.ndarray | None = None, sign_flips: np.ndarray | None = None,
                           param_names: list[str] | None = None, *, scaling: dict,
                           threads: int = 0, sign_determined: np.ndarray | None = None) -> IdentifiabilityReport:
    """Run the identifiability checks for ``model`` (a ContextualizedGLM).

    Parameters
    ----------
    model : ContextualizedGLM
    weights : ndarray, optional
        The fitted encoder weights (for the archetype check).
    sign_flips : ndarray (q,), optional
        Per coefficient, the share of samples whose sign differs from the full-data fit's in
        more than FLIP_RATE of the bootstrap replicates (the stability check; skipped when
        None).
    sign_determined : ndarray of bool (q,), optional
        Per coefficient, whether the 95% bootstrap percentile interval of its average effect
        excludes zero; the stability check fails only for these (default: all).
    param_names : list of str, optional
        Names of the per-sample parameters (default: the model's).
    scaling : dict
        The fit's internal standardisation (``results.scaling``).
    threads : int
        OpenMP threads for the pass over the data (0: all cores).
    """
    X, C = model.exog, model.context
    n, p = X.shape
    m = C.shape[1]
    intercept = model.fit_intercept
    q = p + (1 if intercept else 0)
    names = param_names or model.param_names
    rows, notes = [], []

    def add(check, value, threshold, passed, note=None):
        rows.append((check, float(value), float(threshold), bool(passed)))
        if not passed and note:
            notes.append(note)

    # counting heuristic
    dg = representation_dim(model.encoder, model.encoder_options, m)
    ds = q
    add(f"n > d_g*d_s (d_g={dg}, d_s={ds})", n, dg * ds, n > dg * ds,
        f"The counting heuristic fails: {n} observations for a model that is, given the encoder's "
        f"{dg}-dimensional representation of context, a GLM with d_g*d_s = {dg * ds} coefficients; "
        "use a smaller encoder (width, archetypes), fewer predictors, or more data.")

    # One pass in the core: Gram matrices of the standardised [1, X], [1, C] and (linear
    # encoder) interaction design, column minima and maxima. No design is formed here unless
    # a Gram matrix shows near-collinearity, when the exact (QR) diagnosis needs the rows.
    K = model.encoder_options.get("archetypes", 0)
    interaction = model.encoder == "linear" and not K
    grams = _core.design_grams(C, X, scaling, interaction, threads)
    xm, xs = np.asarray(scaling["x_mean"]), np.asarray(scaling["x_scale"])
    cm, cs = np.asarray(scaling["c_mean"]), np.asarray(scaling["c_scale"])
    off = 1 if intercept else 0
    Xs = lambda: _standardise(X, xm, xs, grams["x_min"], grams["x_max"], intercept)  # noqa: E731  (QR fallback)
    Cs = lambda: _standardise(C, cm, cs, grams["c_min"], grams["c_max"], True)       # noqa: E731

    # predictors
    const_x, dup_x = _constant_and_duplicate(X, list(model.exog_names), grams["x_min"], grams["x_max"],
                                             xm, xs, grams["gx"], off)
    add("constant exog columns", len(const_x) if intercept else 0, 0, not (intercept and const_x),
        f"exog column(s) {', '.join(map(repr, const_x))} are constant and aliased with the intercept.")
    add("duplicated exog columns", len(dup_x), 0, not dup_x,
        "Duplicated exog column(s): " + "; ".join(f"{a!r} equals {b!r}" for a, b in dup_x) + ".")
    if q:
        def x_blocks():
            Xd = np.column_stack([np.ones(n), Xs()]) if intercept else Xs()
            return _row_blocks(Xd, q)

        rank, cond, details = _diagnose(grams["gx"], x_blocks, names)
        add("rank of [1, X]" if intercept else "rank of X", rank, q, rank == q,
            _alias_sentence("The predictor matrix [1, X]" if intercept else "The predictor matrix X", details))
        add("condition number of X (standardised)", cond, CONDITION_LIMIT,
            rank < q or cond <= CONDITION_LIMIT,
            f"The predictors are nearly collinear (condition number {cond:.3g} > {CONDITION_LIMIT:g}).")

    # context
    cnames = list(model.context_names)
    const_c, dup_c = _constant_and_duplicate(C, cnames, grams["c_min"], grams["c_max"], cm, cs, grams["gc"], 1)
    add("constant context columns", len(const_c), 0, not const_c,
        f"context column(s) {', '.join(map(repr, const_c))} are constant: they carry no information "
        "and are aliased with the encoder's bias.")
    add("duplicated context columns", len(dup_c), 0, not dup_c,
        "Duplicated context column(s): " + "; ".join(f"{a!r} equals {b!r}" for a, b in dup_c) + ".")
    rank, cond, details = _diagnose(grams["gc"], lambda: _row_blocks(np.column_stack([np.ones(n), Cs()]), m + 1),
                                    ["1"] + cnames)
    add("rank of [1, C]", rank, m + 1, rank == m + 1, _alias_sentence("The context matrix [1, C]", details))
    add("condition number of C (standardised)", cond, CONDITION_LIMIT, rank < m + 1 or cond <= CONDITION_LIMIT,
        f"The context features are nearly collinear (condition number {cond:.3g} > {CONDITION_LIMIT:g}).")

    # interaction design (linear encoder)
    if interaction:
        from ctxstats.inference import design_blocks, interaction_names

        inames = interaction_names(names, cnames)
        D = q * (m + 1)
        rank, cond, details = _diagnose(grams["gz"], lambda: (Z for _, Z in design_blocks(Xs(), Cs(), intercept)),
                                        inames)
        add("rank of interaction design", rank, D, rank == D,
            _alias_sentence("The interaction design [1, x] (x) [1, c]", details))
        add("condition number of interaction design", cond, CONDITION_LIMIT, rank < D or cond <= CONDITION_LIMIT,
            f"The interaction design is nearly collinear (condition number {cond:.3g} > {CONDITION_LIMIT:g}).")

    # archetypes
    if K:
        add("archetypes K <= d_s + 1", K, ds + 1, K <= ds + 1,
            f"{K} archetypes in a {ds}-dimensional parameter space cannot be affinely independent "
            f"(at most {ds + 1}), so the mixture weights are not unique; use archetypes <= {ds + 1}.")
        if weights is not None and K <= ds + 1:
            A = np.asarray(weights)[-K * ds:].reshape(K, ds)
            diffs = A[1:] - A[0]
            sv = np.linalg.svd(diffs, compute_uv=False)
            arank = int((sv > 1e-8 * max(sv.max(initial=0.0), 1e-300)).sum())
            add("rank of fitted archetype differences", arank, K - 1, arank == K - 1,
                f"The fitted archetypes span only {arank + 1} affinely independent points of {K}: "
                "some archetypes are mixtures of others, so their weights are not identified.")

    # stability across bootstrap replicates
    if sign_flips is not None:
        determined = np.ones(len(names), dtype=bool) if sign_determined is None else sign_determined
        for name, flip, det in zip(names, sign_flips, determined):
            add(f"sign flips across replicates: {name}", flip, SIGN_FLIP_LIMIT,
                not det or flip <= SIGN_FLIP_LIMIT,
                f"The average effect of {name!r} is significant (its 95% bootstrap interval excludes zero), "
                f"but its per-sample sign is unstable: for {100 * flip:.0f}% of the samples it differs from "
                f"the fit's in more than {100 * FLIP_RATE:.0f}% of the bootstrap replicates. The data determine "
                f"the sign of the average effect, not of each sample's coefficient: report the average effect, "
                "or use a smaller encoder or more data before reading per-sample signs.")

    checks = pd.DataFrame(rows, columns=["check", "value", "threshold", "passed"])
    return IdentifiabilityReport(checks=checks, notes=notes)


def warn_if_unidentifiable(report: IdentifiabilityReport, stacklevel: int = 3) -> None:
    if not report.identifiable:
        failed = ", ".join(report.failed["check"])
        warnings.warn(IdentifiabilityWarning(
            f"identifiability check(s) failed: {failed}. " + " ".join(report.notes)
            + " See results.identifiability()."), stacklevel=stacklevel)
