"""Input checks with messages that name the argument or column at fault.

Everything here runs before the C++ core is called; the core checks again at its boundary.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

# The options' own choices and bounds are the core's option table's (ctxstats._options).


def check_choice(value, allowed: Sequence[str], name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {', '.join(map(repr, allowed))}; got {type(value).__name__}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, not {value!r}")
    return value


def check_int(value, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return int(value)


def check_float(value, name: str, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, not {value}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, not {value}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, not {value}")
    return v


def _column_names(obj, prefix: str, width: int) -> list[str]:
    if isinstance(obj, pd.DataFrame):
        return [str(c) for c in obj.columns]
    if isinstance(obj, pd.Series):
        return [str(obj.name) if obj.name is not None else f"{prefix}1"]
    return [f"{prefix}{j + 1}" for j in range(width)]


def as_start_params(value, n: int, name: str = "start_params") -> np.ndarray:
    """Initial weights: a finite numeric vector of the model's n weights."""
    raw = np.asarray(value.to_numpy() if isinstance(value, (pd.Series, pd.DataFrame)) else value)
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array of the model's {n} weights, not {type(value).__name__}"
                        + (f" of dtype {raw.dtype}" if raw.ndim else f" {value!r}"[:80]))
    arr = np.ascontiguousarray(raw, dtype=float).reshape(-1)
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} values; this model has {n} weights")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains a non-finite value (NaN or inf) at position {int(np.argmax(~np.isfinite(arr)))}")
    return arr


def check_unique_columns(frame: pd.DataFrame, name: str) -> None:
    """Column names are how ctxstats names parameters and finds columns in new data: two
    columns that print the same (``'x'`` twice, or ``0`` and ``'0'``) cannot be told apart."""
    labels = pd.Index([str(c) for c in frame.columns])
    if labels.has_duplicates:
        dups = sorted(set(labels[labels.duplicated()]))
        raise ValueError(f"{name} has duplicate column names {dups}; rename them (every column names a "
                         "parameter or a context feature)")


def check_aligned(endog, **others) -> None:
    """pandas inputs are paired by row label, as in statsmodels: an endog Series (or frame)
    and an exog, context or weights Series/DataFrame whose indexes differ are refused, not
    silently paired by position."""
    if not isinstance(endog, (pd.Series, pd.DataFrame)):
        return
    for name, obj in others.items():
        if isinstance(obj, (pd.Series, pd.DataFrame)) and len(obj) == len(endog) and not obj.index.equals(endog.index):
            raise ValueError(f"the index of {name} is not aligned with the index of endog (the rows would be paired "
                             f"by position); reorder {name} with .reindex(endog.index) or reset both indexes")


def select_columns(frame: pd.DataFrame, names, name: str = "context"):
    """``frame``'s columns in the fitted order ``names`` (strings; a fitted column 0 is named
    '0'), matched by their string form so integer labels round-trip; None if some are missing."""
    check_unique_columns(frame, name)
    by_text = {str(c): c for c in frame.columns}
    if any(n not in by_text for n in names):
        return None
    return frame[[by_text[n] for n in names]]


def missing_columns(frame: pd.DataFrame, names) -> list[str]:
    have = {str(c) for c in frame.columns}
    return [n for n in names if n not in have]


def as_matrix(obj, name: str, prefix: str, n_rows: int | None = None) -> tuple[np.ndarray, list[str]]:
    """A 2-D C-contiguous float64 array and its column names, or a clear error."""
    if obj is None:
        raise ValueError(f"{name} is missing")
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        frame = obj.to_frame() if isinstance(obj, pd.Series) else obj
        check_unique_columns(frame, name)
        for col in frame.columns:
            dtype = frame[col].dtype
            if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
                raise TypeError(f"{name} column {col!r} is not numeric (dtype {dtype}); "
                                "encode it first, or use the formula interface, which expands categoricals")
        names = _column_names(obj, prefix, frame.shape[1])
        arr = frame.to_numpy(dtype=float, na_value=np.nan)
    else:
        raw = np.asarray(obj)
        if raw.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric, not an array of dtype {raw.dtype}")
        arr = raw.astype(float, copy=False)  # float64 input is used in place, not copied
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(f"{name} must be one- or two-dimensional, not {arr.ndim}-dimensional")
        names = _column_names(obj, prefix, arr.shape[1])
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has zero rows")
    if n_rows is not None and arr.shape[0] != n_rows:
        raise ValueError(f"{name} has {arr.shape[0]} rows but endog has {n_rows}")
    bad = ~np.isfinite(arr)
    if bad.any():
        j = int(np.argmax(bad.any(axis=0)))
        i = int(np.argmax(bad[:, j]))
        raise ValueError(f"{name} column {names[j]!r} contains a non-finite value (NaN or inf) at row {i}")
    huge = np.abs(arr) > MAX_MAGNITUDE
    if huge.any():
        j = int(np.argmax(huge.any(axis=0)))
        raise ValueError(f"{name} column {names[j]!r} has values too large in magnitude to fit (above 1e150, where "
                         "squares overflow); rescale it")
    return np.ascontiguousarray(arr), names


# The core refuses values beyond this magnitude (csrc/common/data.cpp, validate_data); checking here
# too lets the message name the column.
MAX_MAGNITUDE = 1e150


def as_vector(obj, name: str) -> tuple[np.ndarray, str]:
    if obj is None:
        raise ValueError(f"{name} is missing")
    label = str(obj.name) if isinstance(obj, pd.Series) and obj.name is not None else "y"
    if isinstance(obj, pd.DataFrame):
        if obj.shape[1] != 1:
            raise ValueError(f"{name} must have one column, not {obj.shape[1]}")
        label = str(obj.columns[0])
        obj = obj.iloc[:, 0]
    if isinstance(obj, pd.Series) and not (pd.api.types.is_numeric_dtype(obj.dtype) or pd.api.types.is_bool_dtype(obj.dtype)):
        raise TypeError(f"{name} is not numeric (dtype {obj.dtype})")
    raw = obj.to_numpy(dtype=float, na_value=np.nan) if isinstance(obj, pd.Series) else np.asarray(obj)
    if raw.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, not an array of dtype {raw.dtype}")
    arr = raw.astype(float).reshape(-1) if raw.ndim == 2 and 1 in raw.shape else raw.astype(float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has zero rows")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(f"{name} contains a non-finite value (NaN or inf) at row {int(np.argmax(bad))}")
    return np.ascontiguousarray(arr), label


def model_arrays(endog, exog, context, weights=None):
    """A model's data as the core reads them, checked and aligned: (endog, its name, exog,
    exog's names, context, context's names); exog None is no predictors (n x 0)."""
    check_aligned(endog, exog=exog, context=context, weights=weights)
    y, y_name = as_vector(endog, "endog")
    n = y.shape[0]
    X, x_names = (np.zeros((n, 0)), []) if exog is None else as_matrix(exog, "exog", "x", n)
    C, c_names = as_matrix(context, "context", "c", n)
    return y, y_name, X, x_names, C, c_names


def check_response(y: np.ndarray, family: str, name: str = "endog") -> None:
    if family == "binomial" and ((y < 0).any() or (y > 1).any()):
        i = int(np.argmax((y < 0) | (y > 1)))
        raise ValueError(f"{name} must lie in [0, 1] for the binomial family; row {i} is {y[i]}")
    if family in ("poisson", "negativebinomial") and (y < 0).any():
        i = int(np.argmax(y < 0))
        raise ValueError(f"{name} must be non-negative for the {family} family; row {i} is {y[i]}")


def check_weights(weights, n: int) -> np.ndarray | None:
    """Case or precision weights: None, or a finite non-negative vector of n values with a
    positive sum."""
    if weights is None:
        return None
    w, _ = as_vector(weights, "weights")
    if w.shape[0] != n:
        raise ValueError(f"weights has {w.shape[0]} rows but endog has {n}")
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    if not w.max() > 0:  # (non-negative weights: some positive; a sum could overflow)
        raise ValueError("weights sum to zero")
    return w


def check_spline_options(opts: dict, context: np.ndarray, context_names: list, n_outputs: int) -> dict:
    """The encoder='spline' options that name the data, turned into what the core reads:
    interactions given by column name or index become pairs of column indices, and
    ``smoothing`` (a number, or one value per (output, penalty) pair) a flat array. The core's
    option table checks every value (types, bounds) afterwards; a malformed value is passed
    on unchanged for it to report."""
    out = dict(opts)
    for j, name in enumerate(context_names):
        if np.ptp(context[:, j]) == 0:
            raise ValueError(f"context column {name!r} is constant; a spline in it needs at least two distinct values")
    pairs = []
    inter = opts.get("interactions")
    well_formed = isinstance(inter, (list, tuple)) and all(
        not isinstance(p, str) and hasattr(p, "__len__") and len(p) == 2 for p in inter)
    for pair in inter if well_formed else ():
        idx = []
        for col in pair:
            if isinstance(col, str):
                if col not in context_names:
                    raise ValueError(f"interactions names {col!r}, which is not a context column "
                                     f"({', '.join(map(repr, context_names))})")
                idx.append(context_names.index(col))
            elif isinstance(col, (int, np.integer)) and not isinstance(col, bool) and 0 <= col < len(context_names):
                idx.append(int(col))
            else:
                raise ValueError(f"interactions entries must be context column names or indices, not {col!r}")
        if idx[0] == idx[1]:
            raise ValueError(f"an interaction needs two different context columns, not {pair!r}")
        if any(set(idx) == set(p) for p in pairs):
            raise ValueError(f"interactions lists the pair {pair!r} twice")
        pairs.append(idx)
    if well_formed:
        out["interactions"] = pairs
    n_pen = len(context_names) + 2 * len(pairs)
    sp = opts.get("smoothing")
    arr = None if sp is None or isinstance(sp, (str, bool)) else np.asarray(sp)
    if arr is not None and arr.dtype.kind in "iuf":
        arr = arr.astype(float)
        if arr.ndim == 0:
            arr = np.full(n_outputs * n_pen, float(arr))
        elif arr.shape == (n_outputs, n_pen) or arr.shape == (n_outputs * n_pen,):
            arr = arr.reshape(-1)
        else:
            raise ValueError(f"smoothing must be a number or have one value per (coefficient, penalty) pair: "
                             f"shape ({n_outputs}, {n_pen}) or ({n_outputs * n_pen},), not {arr.shape}")
        out["smoothing"] = np.ascontiguousarray(arr)
    return out
