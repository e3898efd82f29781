"""Interoperability with R through rpy2.

- :func:`to_r` / :func:`from_r`: pandas <-> R data frames (and vectors, matrices, lists)
  with missing values kept right in both directions. rpy2's default pandas converter turns
  a missing R integer into -2147483648 and a missing R logical into an object column; here
  an R integer or logical with NA becomes a pandas nullable ``Int64`` / ``boolean`` column
  with ``pd.NA``, a factor a ``Categorical``, and the other way round every pandas missing
  value (``NaN``, ``None``, ``pd.NA``, ``NaT``) becomes R's ``NA`` of the column's type.
- :func:`results_to_r`: fitted results as an R named list with named matrices.
- :func:`ctx_glm`: fits straight from an R data frame with an R formula
  ``y ~ x1 + x2 | c1 + c2``, expanded by R's own ``model.matrix`` (through the R package's
  ``ctx_design``), so the fit is the one the R package's ``ctx_glm`` gives.
- :func:`load_r_package`: attaches the R package ``ctxstats`` (``r-bindings/``).

Needs the ``r`` extra (rpy2; 3.5.17 is the version that loads with R 4.2 on Debian 12).
"""
from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np
import pandas as pd

from ctxstats import _options
from ctxstats.models import ContextualizedGLM, ContextualizedGLMResults

__all__ = ["to_r", "from_r", "results_to_r", "ctx_glm", "load_r_package"]

_INT_NA = np.int32(-(2**31))           # R's NA_integer_ (and NA_logical) storage
_REAL_NA_BITS = 0x7FF00000000007A2     # R's NA_real_: a NaN with payload 1954
_INT32_MAX = 2**31 - 1
# The model's options (the rest go to fit()), from the core's option table.
_ENCODER_OPTIONS = tuple(_options.names("glm", ("encoder", "spline")))


def _rpy2():
    try:
        import rpy2.rinterface as ri
        import rpy2.robjects as ro
    except Exception as exc:  # rpy2 missing, or R missing behind it
        raise ImportError("ctxstats.r needs R and rpy2: pip install 'ctxstats[r]'") from exc
    return ro, ri


@functools.lru_cache(maxsize=None)
def _r(code: str):
    """An R object (usually a small helper function) from R code, evaluated once."""
    ro, _ = _rpy2()
    return ro.r(code)


def _real_vector(values: np.ndarray, missing: np.ndarray):
    _, ri = _rpy2()
    arr = np.array(values, dtype=np.float64)
    arr.view(np.uint64)[missing] = _REAL_NA_BITS
    return ri.FloatSexpVector.from_memoryview(memoryview(np.ascontiguousarray(arr)))


def _int_vector(values: np.ndarray, missing: np.ndarray, logical: bool = False):
    _, ri = _rpy2()
    arr = np.zeros(len(values), dtype=np.int32)
    arr[~missing] = np.asarray(values)[~missing]
    arr[missing] = _INT_NA
    cls = ri.BoolSexpVector if logical else ri.IntSexpVector
    return cls.from_memoryview(memoryview(arr))


def _set_attributes(vec, **attrs):
    """vec with R attributes set (class, levels, tzone, ...), values given as R objects."""
    ro, _ = _rpy2()
    setter = _r("function(x, a) { attributes(x) <- c(attributes(x), a); x }")
    return setter(vec, ro.ListVector(attrs))


def _column_to_r(s: pd.Series, name: str):
    """One pandas column as an R vector, its missing values as R's NA of the column's type."""
    ro, ri = _rpy2()
    dtype = s.dtype
    missing = s.isna().to_numpy()
    if isinstance(dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64) + 1
        vec = _int_vector(codes, missing)
        levels = ro.StrVector([str(c) for c in dtype.categories])
        cls = ro.StrVector(["ordered", "factor"] if dtype.ordered else ["factor"])
        return _set_attributes(vec, levels=levels, **{"class": cls})
    if pd.api.types.is_bool_dtype(dtype):
        values = s.to_numpy(dtype=object, na_value=False).astype(bool).astype(np.int32)
        return _int_vector(values, missing, logical=True)
    if pd.api.types.is_integer_dtype(dtype):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        present = values[~missing]
        if present.size and np.abs(present).max() > _INT32_MAX:
            return _real_vector(values, missing)  # R has no 64-bit integers
        return _int_vector(np.nan_to_num(values).astype(np.int64), missing)
    if pd.api.types.is_float_dtype(dtype):
        return _real_vector(s.to_numpy(dtype=np.float64, na_value=np.nan), missing)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        tz = getattr(dtype, "tz", None)
        naive = s.dt.tz_convert("UTC").dt.tz_localize(None) if tz is not None else s
        seconds = naive.to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
        vec = _real_vector(seconds, missing)
        return _set_attributes(vec, **{"class": ro.StrVector(["POSIXct", "POSIXt"]),
                                       "tzone": ro.StrVector([str(tz) if tz is not None else "UTC"])})
    if pd.api.types.is_string_dtype(dtype) or dtype == object:
        values = s.to_numpy(dtype=object)
        bad = [v for v, m in zip(values, missing) if not m and not isinstance(v, str)]
        if bad:
            raise TypeError(f"column {name!r} holds {type(bad[0]).__name__} values; R data frames take "
                            "numbers, booleans, strings, categoricals and datetimes")
        return ri.StrSexpVector([ri.NA_Character if m else v for v, m in zip(values, missing)])
    raise TypeError(f"column {name!r} has dtype {dtype}, which has no R counterpart here")


def _default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _frame_to_r(df: pd.DataFrame):
    ro, ri = _rpy2()
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        raise ValueError("the DataFrame has duplicate column names; R data frames need unique names")
    columns = [_column_to_r(df.iloc[:, j], names[j]) for j in range(df.shape[1])]
    row_names = ro.NULL if _default_index(df.index) else ro.StrVector([str(i) for i in df.index])
    make = _r("""function(cols, names, n, rn) {
        names(cols) <- names
        if (is.null(rn)) rn <- .set_row_names(n)
        structure(cols, class = "data.frame", row.names = rn)
    }""")
    return make(ri.ListSexpVector(columns), ro.StrVector(names), ri.IntSexpVector([len(df)]), row_names)


def _matrix_to_r(a: np.ndarray, rownames=None, colnames=None):
    ro, _ = _rpy2()
    a = np.asarray(a, dtype=np.float64)
    flat = np.asfortranarray(a).ravel(order="F")
    vec = _real_vector(flat, np.isnan(flat))
    make = _r("function(v, nr, nc, rn, cn) matrix(v, nr, nc, dimnames = list(rn, cn))")
    conv = lambda names: ro.NULL if names is None else ro.StrVector([str(x) for x in names])  # noqa: E731
    return make(vec, a.shape[0], a.shape[1], conv(rownames), conv(colnames))


def to_r(obj: Any):
    """A Python object as an R object.

    Parameters
    ----------
    obj : pandas.DataFrame, pandas.Series, numpy.ndarray, ContextualizedGLMResults, dict,
        str, bool, int, float or None
        A DataFrame becomes a data.frame (row names from a non-default index), a Series an
        R vector (named by a non-default index), a 2-D array a matrix, results an R list
        (:func:`results_to_r`), a dict a named list.

    Returns
    -------
    rpy2 R object
    """
    ro, _ = _rpy2()
    if isinstance(obj, ContextualizedGLMResults):
        return results_to_r(obj)
    if isinstance(obj, pd.DataFrame):
        return _frame_to_r(obj)
    if isinstance(obj, pd.Series):
        vec = _column_to_r(obj, str(obj.name))
        if not _default_index(obj.index):
            vec = _r("function(x, n) { names(x) <- n; x }")(vec, ro.StrVector([str(i) for i in obj.index]))
        return vec
    if isinstance(obj, np.ndarray):
        if obj.ndim == 2:
            return _matrix_to_r(obj)
        return _column_to_r(pd.Series(obj.reshape(-1)), "array")
    if isinstance(obj, dict):
        return ro.ListVector({str(k): to_r(v) for k, v in obj.items()})
    if obj is None:
        return ro.NULL
    if isinstance(obj, (bool, np.bool_)):
        return ro.BoolVector([bool(obj)])
    if isinstance(obj, (int, float, np.integer, np.floating)):
        return ro.FloatVector([float(obj)])
    if isinstance(obj, str):
        return ro.StrVector([obj])
    if isinstance(obj, (list, tuple)):
        return ro.ListVector({str(i + 1): to_r(v) for i, v in enumerate(obj)}) if obj else ro.NULL
    raise TypeError(f"cannot convert {type(obj).__name__} to R")


def _column_from_r(vec, name: str):
    """One R vector as a numpy array or pandas extension array, NA as pandas' missing value."""
    ro, ri = _rpy2()
    classes = set(vec.rclass) if hasattr(vec, "rclass") else set()
    rtype = vec.typeof
    if "factor" in classes:
        codes = np.asarray(vec, dtype=np.int64) - 1
        codes[codes == int(_INT_NA) - 1] = -1
        levels = [str(x) for x in _r("levels")(vec)]
        return pd.Categorical.from_codes(codes, categories=levels, ordered="ordered" in classes)
    if rtype == ri.RTYPES.INTSXP or rtype == ri.RTYPES.LGLSXP:
        raw = np.asarray(vec, dtype=np.int32)
        missing = raw == _INT_NA
        logical = rtype == ri.RTYPES.LGLSXP
        if not missing.any():
            return raw.astype(bool) if logical else raw.astype(np.int64)
        values = raw.astype(bool) if logical else raw.astype(np.int64)
        return pd.arrays.BooleanArray(values, missing) if logical else pd.arrays.IntegerArray(values, missing)
    if rtype == ri.RTYPES.REALSXP:
        values = np.array(vec, dtype=np.float64)
        missing = np.isnan(values)
        values[missing] = np.nan  # R's NA_real_ and NaN both become pandas' missing NaN
        if "Date" in classes:
            return pd.to_datetime(pd.Series(values), unit="D").array
        if "POSIXct" in classes:
            tz = _r("function(x) { z <- attr(x, 'tzone'); if (is.null(z) || !nzchar(z[1])) 'UTC' else z[1] }")(vec)[0]
            return pd.to_datetime(pd.Series(values), unit="s", utc=True).dt.tz_convert(tz).array
        return values
    if rtype == ri.RTYPES.STRSXP:
        missing = np.asarray(_r("is.na")(vec), dtype=bool)
        return np.array([None if m else str(v) for v, m in zip(vec, missing)], dtype=object)
    raise TypeError(f"column {name!r} is an R {_r('typeof')(vec)[0]} vector, which has no pandas counterpart here")


def _r_names(obj):
    names = _r("names")(obj)
    return None if names is _rpy2()[0].NULL else [str(x) for x in names]


def from_r(obj: Any):
    """An R object as a Python object.

    A data.frame becomes a pandas DataFrame: integer and logical columns with NA become the
    nullable ``Int64`` and ``boolean`` dtypes (without NA: ``int64`` and ``bool``), factors
    ``Categorical``, ``Date``/``POSIXct`` datetimes, character columns ``object`` with None
    for NA, double columns ``float64`` with NaN for NA. Character row names become the index.
    A numeric matrix becomes a DataFrame labelled by its dimnames, a vector a Series (an
    array when unnamed), a list a dict (named) or a list, NULL None.
    """
    ro, ri = _rpy2()
    if obj is ro.NULL or obj is None:
        return None
    inherits = _r("function(x, what) inherits(x, what)")
    if bool(inherits(obj, "data.frame")[0]):
        names = _r_names(obj) or []
        data = {name: _column_from_r(obj[j], name) for j, name in enumerate(names)}
        rn = _r("function(x) { r <- attr(x, 'row.names'); if (is.character(r)) r else NULL }")(obj)
        index = None if rn is ro.NULL else pd.Index([str(x) for x in rn])
        n = int(_r("nrow")(obj)[0])
        return pd.DataFrame(data, index=index if index is not None else pd.RangeIndex(n), columns=names)
    if obj.typeof == ri.RTYPES.VECSXP:
        names = _r_names(obj)
        items = [from_r(obj[i]) for i in range(len(obj))]
        return dict(zip(names, items)) if names else items
    if bool(_r("is.matrix")(obj)[0]):
        dims = [int(x) for x in _r("dim")(obj)]
        values = _column_from_r(obj, "matrix")
        dn = _r("function(x) { d <- dimnames(x); list(if (is.null(d[[1]])) NULL else d[[1]], "
                "if (is.null(d[[2]])) NULL else d[[2]]) }")(obj)
        rows = None if dn[0] is ro.NULL else [str(x) for x in dn[0]]
        cols = None if dn[1] is ro.NULL else [str(x) for x in dn[1]]
        arr = np.asarray(values).reshape(dims, order="F")
        return pd.DataFrame(arr, index=rows, columns=cols)
    values = _column_from_r(obj, "vector")
    names = _r_names(obj)
    return pd.Series(values, index=names) if names else values


def results_to_r(results: ContextualizedGLMResults):
    """Fitted results as an R named list.

    Elements: ``sample_params`` (n x (1 + p) matrix with row and column names), ``params``
    (named vector), ``fittedvalues`` and ``resid`` (named by row), ``weights`` (encoder
    weights), ``scaling`` and ``options`` (lists, as the core reads them), and the scalars
    ``family``, ``encoder``, ``solver``, ``converged``, ``n_iter``, ``objective``,
    ``message``, ``rank_deficient``, ``nobs``, ``llf``, ``aic``, ``bic``, ``history``.
    """
    ro, _ = _rpy2()
    theta = results.sample_params
    labels = None if results.model.row_labels is None else [str(i) for i in theta.index]
    named = lambda v: to_r(pd.Series(np.asarray(v, dtype=float), index=labels) if labels else np.asarray(v, dtype=float))  # noqa: E731
    out = {
        "sample_params": _matrix_to_r(theta.to_numpy(), labels, theta.columns),
        "params": to_r(results.params),
        "fittedvalues": named(results.fittedvalues),
        "resid": named(results.resid),
        "weights": to_r(np.asarray(results.weights, dtype=float)),
        "scaling": to_r({k: (np.asarray(v, dtype=float) if isinstance(v, np.ndarray) else v)
                         for k, v in results.scaling.items()}),
        "options": to_r(dict(results.options)),
        "family": results.model.family, "encoder": results.model.encoder, "solver": results.solver,
        "converged": results.converged, "n_iter": results.n_iter, "objective": results.objective,
        "message": results.message, "rank_deficient": results.rank_deficient, "nobs": results.nobs,
        "llf": results.llf, "aic": results.aic, "bic": results.bic,
        "history": to_r(np.asarray(results.history, dtype=float)),
    }
    return ro.ListVector({k: (v if not isinstance(v, (str, bool, int, float, np.generic)) else to_r(v))
                          for k, v in out.items()})


def load_r_package(lib_loc: str | os.PathLike | None = None):
    """Attach the R package ctxstats and return it (an rpy2 package object).

    Parameters
    ----------
    lib_loc : path, optional
        The R library holding the package; default ``$CTXSTATS_R_LIB`` when set, otherwise
        R's library paths. ``make test`` installs the package into ``.venv/R-lib``.
    """
    ro, _ = _rpy2()
    from rpy2.robjects.packages import importr

    lib = os.fspath(lib_loc) if lib_loc is not None else os.environ.get("CTXSTATS_R_LIB")
    if lib:
        _r("function(p) .libPaths(c(p, .libPaths()))")(ro.StrVector([lib]))
    found = _r("function() requireNamespace('ctxstats', quietly = TRUE)")()[0]
    if not found:
        where = f" in {lib} or" if lib else ""
        raise ImportError(f"the R package ctxstats is not installed{where} in R's library paths; install it with "
                          "`R CMD INSTALL r-bindings` from the repository (make test installs it into .venv/R-lib)")
    # importr's library() call warns about empty library directories on the path: not ours.
    warn = _r("function() getOption('warn')")()
    _r("function(w) options(warn = w)")(-1)
    try:
        return importr("ctxstats")
    finally:
        _r("function(w) options(warn = w)")(warn)


def _is_r_object(obj) -> bool:
    try:
        from rpy2.rinterface_lib.sexp import Sexp
    except Exception:
        return False
    return isinstance(obj, Sexp)


class RDesign:
    """An R formula's coding kept for new data by :func:`ctx_glm`: new rows (a pandas DataFrame
    with the formula's variables) go through R's ``model.frame``/``model.matrix`` with the fitted
    terms, factor levels and contrasts (the R package's ``new_part_matrix``), so the fit predicts
    on a data frame as the R package's fit does. Not saved with the fit (``ctxstats.save``)."""

    def __init__(self, design, exog_names, context_names):
        self._design = design
        self.exog_names, self.context_names = list(exog_names), list(context_names)

    def _part(self, part: str, rdata, rows: int) -> np.ndarray:
        """One part's columns for rows already converted to an R data frame."""
        from rpy2.rinterface_lib.embedded import RRuntimeError

        try:
            M = _r("function(d, part, nd) ctxstats:::new_part_matrix(d, part, nd)")(self._design, part, rdata)
        except RRuntimeError as exc:  # R's own message, e.g. "factor g has new levels z"
            raise ValueError(f"the new data do not fit the R formula's coding: {str(exc).split(':', 1)[-1].strip()}") \
                from None
        out = np.asarray(from_r(M), dtype=float)
        names = self.exog_names if part == "exog" else self.context_names
        return out.reshape(rows, len(names))

    def exog_context_matrices(self, frame):
        """(X, C, valid) for new data; rows with a missing variable are invalid (NaN predictions)."""
        rdata = frame if _is_r_object(frame) else to_r(frame)
        X, C = self._part("exog", rdata, len(frame)), self._part("context", rdata, len(frame))
        return X, C, ~(np.isnan(X).any(axis=1) | np.isnan(C).any(axis=1))

    def context_matrix(self, frame):
        """(C, valid) for new contexts given as a DataFrame of the context part's variables."""
        C = self._part("context", frame if _is_r_object(frame) else to_r(frame), len(frame))
        return C, ~np.isnan(C).any(axis=1)


def ctx_glm(formula: str, data, family: str = "gaussian", encoder: str = "mlp", weights=None,
            lib_loc: str | os.PathLike | None = None, **options) -> ContextualizedGLMResults:
    """Fit a contextualized GLM straight from an R data frame with an R formula.

    The formula ``"y ~ x1 + x2 | c1 + c2"`` is split and expanded by R (the R package's
    ``ctx_design``: ``model.frame`` and ``model.matrix``, so factors, interactions and
    transforms expand as in ``lm``, and rows with NA are dropped), and the model is fitted
    by the Python package. The fit equals the R package's ``ctx_glm`` for the same options.

    Parameters
    ----------
    formula : str
        ``response ~ predictors | context``.
    data : R data.frame (rpy2) or pandas.DataFrame
        A pandas DataFrame is converted with :func:`to_r` first.
    family, encoder : str
        As in :class:`ctxstats.ContextualizedGLM`.
    weights : str or array_like, optional
        A column of ``data`` (by name) or a vector with one entry per row of ``data``.
    lib_loc : path, optional
        Where the R package is installed (see :func:`load_r_package`).
    **options
        Encoder options (``width``, ``depth``, ``archetypes``, ``activation``) and the
        options of :meth:`ctxstats.ContextualizedGLM.fit` (``solver``, ``seed``, ...).

    Returns
    -------
    ContextualizedGLMResults
        Labelled by the R data frame's row names and model.matrix's column names. Its
        ``predict``, ``predict_params`` and ``get_prediction`` take a pandas DataFrame with the
        formula's variables, coded by R as the fit was (:class:`RDesign`).
    """
    ro, _ = _rpy2()
    load_r_package(lib_loc)
    rdata = data if _is_r_object(data) else to_r(data)
    args = {"formula": ro.Formula(formula), "data": rdata, "family": family}
    if weights is not None:
        if isinstance(weights, str):
            args["weights"] = _r("function(d, n) { if (!n %in% names(d)) stop('weights: no column ', n, ' in data'); d[[n]] }")(
                rdata, weights)
        else:
            args["weights"] = to_r(np.asarray(weights, dtype=float))
    design = _r("ctxstats::ctx_design")(**args)
    d = {name: design.rx2(name) for name in ("y", "x", "context", "weights", "fit_intercept", "response_name",
                                              "row_names")}
    rows = pd.Index([str(r) for r in d["row_names"]])
    X, C = from_r(d["x"]), from_r(d["context"])
    X.index, C.index = rows, rows
    y = pd.Series(np.asarray(d["y"], dtype=float), index=rows, name=str(d["response_name"][0]))
    w = None if d["weights"] is ro.NULL else np.asarray(d["weights"], dtype=float)
    enc_opts = {k: options.pop(k) for k in list(options) if k in _ENCODER_OPTIONS}
    model = ContextualizedGLM(y, X if X.shape[1] else None, C, family=family, encoder=encoder,
                              fit_intercept=bool(d["fit_intercept"][0]), weights=w, **enc_opts)
    model.formula_plan = RDesign(design, X.columns, C.columns)
    return model.fit(**options)
