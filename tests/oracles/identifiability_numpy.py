"""The numpy implementations of ctxstats' identifiability checks, kept as independent test
oracles.

These are the formulas the Python package computed before the identifiability report and the
spline encoder's concurvity and rank checks moved into the C++ core
(csrc/inference/identifiability_report.*); the tests hold the core's report against them.
They diagnose designs with numpy's eigen-decomposition, scipy's QR and numpy's SVD and
least squares -- a different route to the same numbers and sentences.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import linalg

from ctxstats import _core
from ctxstats.spline import _fit, _layout, _term_label


def _weights(results) -> np.ndarray:
    q = len(results.model.param_names)
    return np.asarray(results.weights).reshape(q, -1)

CONDITION_LIMIT = 1e3
ALIAS_TOL = 1e-9
FLIP_RATE = 0.1
SIGN_FLIP_LIMIT = 0.5


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
    width, depth = encoder_options.get("width", 16), encoder_options.get("depth", 2)
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
                           threads: int = 0, sign_determined: np.ndarray | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The numpy report of ``model``: (checks frame, notes); the arguments as
    ``ctxstats.identifiability.identifiability_report``'s."""
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
    return checks, notes



# ---- the spline encoder ----
def spline_concurvity(results) -> pd.DataFrame:
    """numpy's concurvity per smooth term: worst and observed (``ctxstats.spline.concurvity``)."""
    fit = _fit(results)
    M = np.asarray(fit["smoothing"]["gram"])
    terms, nb = _layout(results)
    W = _weights(results)
    rows = []
    for term in terms:
        if term["kind"] not in ("smooth", "tensor"):
            continue
        I = np.arange(term["offset"], term["offset"] + term["size"])
        R = np.setdiff1d(np.arange(nb), I)
        Mll, MlR, MRR = M[np.ix_(I, I)], M[np.ix_(I, R)], M[np.ix_(R, R)]
        Q = MlR @ np.linalg.pinv(MRR, rcond=1e-12, hermitian=True) @ MlR.T  # ||P f||^2 form
        ev, U = np.linalg.eigh(Mll)
        keep = ev > ev.max() * 1e-12
        Wh = U[:, keep] / np.sqrt(ev[keep])
        worst = float(np.clip(np.linalg.eigvalsh(Wh.T @ Q @ Wh).max(), 0.0, 1.0))
        obs = []
        for k in range(W.shape[0]):
            beta = W[k, I]
            den = beta @ Mll @ beta
            if den > 1e-14 * max(1.0, np.abs(Mll).max()):
                obs.append(float(np.clip(beta @ Q @ beta / den, 0.0, 1.0)))
        rows.append({"context": _term_label(results, term), "worst": worst,
                     "observed": max(obs) if obs else np.nan})
    return pd.DataFrame(rows).set_index("context")


def spline_identifiability(results) -> dict:
    """numpy's spline checks: the dict of ``ctxstats.spline.identifiability``."""
    fit = _fit(results)
    sm = fit["smoothing"]
    M = np.asarray(sm["gram"])
    H = np.asarray(sm["H"])
    terms, nb = _layout(results)

    def rank(A):
        ev = np.linalg.eigvalsh((A + A.T) / 2)
        return int(np.sum(ev > max(ev.max(), 0) * 1e-10)), ev

    basis_rank, _ = rank(M)
    design_rank, _ = rank(H)
    Vp = np.asarray(sm["Vp"])
    evA = np.linalg.eigvalsh((Vp + Vp.T) / 2)
    cond = float(evA.max() / evA.min()) if evA.min() > 0 else np.inf
    deficient = []
    for term in terms:
        if term["kind"] in ("smooth", "tensor"):
            I = np.arange(term["offset"], term["offset"] + term["size"])
            r, _ = rank(M[np.ix_(I, I)])
            if r < term["size"]:
                deficient.append(_term_label(results, term))
    conc = spline_concurvity(results)
    msgs = []
    if deficient:
        msgs.append(f"the spline basis of {', '.join(deficient)} is rank deficient on these data (some basis "
                    "functions see (almost) no samples: too few samples or distinct values for n_knots); the "
                    "smoothing penalty keeps the fit unique, but a smaller n_knots may suit")
    high = conc.index[conc["worst"] > 0.9].tolist()
    if high:
        msgs.append(f"high concurvity (worst > 0.9) for {', '.join(high)}: the data barely separate these context "
                    "features' effects")
    if sm["edf_total"] > 0.5 * sm["n"]:
        msgs.append(f"the fit uses {sm['edf_total']:.1f} effective degrees of freedom for {sm['n']:.0f} samples")
    return {"basis_size": nb, "basis_rank": basis_rank, "rank_deficient_terms": deficient,
            "design_size": H.shape[0], "design_rank": design_rank, "condition_number": cond,
            "edf": float(sm["edf_total"]), "nobs": float(sm["n"]), "concurvity": conc, "warnings": msgs}
