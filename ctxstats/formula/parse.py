"""From a two-part formula and a DataFrame to the arrays a contextualized GLM needs.

The formula ``"y ~ x1 + C(g) + np.log(x2) | c1 + c2"`` is handed to formulaic, which splits it
at ``|`` into the predictor part and the context part and evaluates both on the same rows
(missing values are dropped jointly or raise). Nothing here parses formulas.

- Predictors: formulaic's model matrix; its ``Intercept`` column becomes the model's sample
  intercept (``fit_intercept=True``) and is dropped from exog; removing it in the formula
  (``- 1`` or ``0 +``) fits without one, with full-rank coding of the first categorical, as
  in statsmodels.
- Context: the encoder always has a bias, so the context part keeps formulaic's intercept
  for the coding of categoricals (reduced rank: one level dropped) and the column itself is
  dropped.
- The fitted ``ModelSpec`` of each part is kept, so new data go through the same transforms,
  stateful ones included (categorical levels, ``center``, ``scale``), and so is its state as
  plain data (``spec_state``), from which a saved and reloaded fit rebuilds it.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ctxstats.formula.spec_state import spec_from_state, spec_state

MISSING = ("drop", "raise")


@dataclass(frozen=True)
class FormulaPlan:
    """A fitted formula: what its predictor and context parts learned from the data.

    Attributes
    ----------
    formula : str
    endog_name : str
    fit_intercept : bool
    exog_names, context_names : list of str
    exog_state, context_state : dict
        Each part's fitted transforms as plain data (``ctxstats.formula.spec_state``), so that
        a saved fit carries them as data; ``{"error": ...}`` when they cannot be kept that way.
    exog_spec, context_spec : formulaic.ModelSpec
        The specs themselves (held in ``_cache``, rebuilt from the states after loading).
    """

    formula: str
    endog_name: str
    fit_intercept: bool
    exog_names: tuple
    context_names: tuple
    exog_state: dict
    context_state: dict
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def _spec(self, part: str):
        if part not in self._cache:
            state = getattr(self, f"{part}_state")
            if "error" in state:
                raise TypeError(state["error"])
            self._cache[part] = spec_from_state(state)
        return self._cache[part]

    @property
    def exog_spec(self):
        return self._spec("exog")

    @property
    def context_spec(self):
        return self._spec("context")

    def _check_loaded(self):
        """Called by ``ctxstats.load``: typed fields, and both parts' transforms rebuilt from
        their states now, so that a malformed state is refused on load, not on predict."""
        from ctxstats._state import ListOf, fields

        fields(self, {"formula": str, "endog_name": str, "fit_intercept": bool, "exog_names": ListOf(str),
                      "context_names": ListOf(str), "exog_state": dict, "context_state": dict, "_cache": dict})
        if self._cache:
            raise ValueError("FormulaPlan._cache must be saved empty")
        self._check_savable()
        for part in ("exog", "context"):
            try:
                self._spec(part)
            except Exception as exc:  # noqa: BLE001 - whatever formulaic raises on a damaged state
                raise ValueError(f"the formula's {part} transforms cannot be rebuilt: {type(exc).__name__}: {exc}") \
                    from exc

    def _check_savable(self):
        """Called by ``ctxstats.save``: a fit whose formula transforms cannot be kept as data
        is refused when it is saved, not when a loaded copy predicts."""
        for state in (self.exog_state, self.context_state):
            if "error" in state:
                raise TypeError(state["error"])

    def _valid_rows(self, frame: pd.DataFrame, specs) -> np.ndarray:
        needed = set()
        for spec in specs:
            needed |= set(spec.required_variables)
        present = [v for v in needed if v in frame.columns]
        absent = sorted(v for v in needed - set(present) if not _is_namespace_name(v))
        if absent:
            raise ValueError(f"the new data lack the variable(s) {absent} used by the formula {self.formula!r}")
        if not present:
            return np.ones(len(frame), dtype=bool)
        return ~frame[present].isna().any(axis=1).to_numpy()

    def _matrix(self, spec, frame: pd.DataFrame, drop_intercept: bool) -> np.ndarray:
        from formulaic.errors import DataMismatchWarning

        with warnings.catch_warnings():
            warnings.simplefilter("error", DataMismatchWarning)
            try:
                mm = spec.get_model_matrix(plain_strings(frame), na_action="ignore")
            except DataMismatchWarning as exc:
                raise ValueError(coding_mismatch(spec, frame, exc)) from None
        mm = pd.DataFrame(mm)
        if drop_intercept and "Intercept" in mm.columns:
            mm = mm.drop(columns="Intercept")
        return np.ascontiguousarray(mm.to_numpy(dtype=float))

    def exog_context_matrices(self, frame: pd.DataFrame):
        """(X, C, valid) for new data: rows with a missing variable are marked invalid and
        filled with NaN; the others go through the fitted transforms."""
        _check_frame(frame, "exog")
        valid = self._valid_rows(frame, (self.exog_spec, self.context_spec))
        n = len(frame)
        X = np.full((n, len(self.exog_names)), np.nan)
        C = np.full((n, len(self.context_names)), np.nan)
        if valid.any():
            sub = frame.iloc[np.flatnonzero(valid)]
            X[valid] = self._matrix(self.exog_spec, sub, True).reshape(len(sub), -1)
            C[valid] = self._matrix(self.context_spec, sub, True)
        return X, C, valid

    def context_matrix(self, frame: pd.DataFrame):
        """(C, valid) for new contexts given as a DataFrame of the context part's variables."""
        _check_frame(frame, "context")
        valid = self._valid_rows(frame, (self.context_spec,))
        C = np.full((len(frame), len(self.context_names)), np.nan)
        if valid.any():
            C[valid] = self._matrix(self.context_spec, frame.iloc[np.flatnonzero(valid)], True)
        return C, valid


def _is_namespace_name(v: str) -> bool:
    # formulaic lists module names used in calls (np in np.log) among required variables
    return v in {"np", "numpy", "pd", "pandas", "math"}


def coding_mismatch(spec, frame: pd.DataFrame, exc) -> str:
    """What a DataMismatchWarning means, by column: the levels of each categorical variable that
    the fit did not see (formulaic's own text says they "are being cast to nan", but ctxstats
    refuses such data instead)."""
    parts = []
    for var, state in (getattr(spec, "encoder_state", None) or {}).items():
        try:
            seen = [str(c) for c in state[1]["categories"]]
        except (KeyError, IndexError, TypeError):
            continue
        if var not in frame.columns:  # C(g), C(g, Treatment("b")): the variable inside
            inner = re.match(r"^C\(\s*([A-Za-z_][A-Za-z0-9_.]*)", var)
            if inner is None or inner.group(1) not in frame.columns:
                continue
            var = inner.group(1)
        new = sorted({str(v) for v in pd.unique(frame[var].dropna())} - set(seen))
        if new:
            parts.append(f"column {var!r} has level(s) {new} that the fitted data do not have (its levels: {seen})")
    if parts:
        return "; ".join(parts) + "; give the new data levels the model was fitted with"
    text = str(exc).split(" They are being")[0]
    return f"the data do not fit the formula's coding: {text}"


def plain_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its NA-valued string columns (dtype ``"string"``, what dask and pyarrow
    give) as pandas' default string dtype, which formulaic codes as categorical (it would
    take the former for numbers)."""
    nullable = [c for c in frame.columns
                if isinstance(frame[c].dtype, pd.StringDtype) and frame[c].dtype.na_value is pd.NA]
    if not nullable:
        return frame
    return frame.astype({c: pd.StringDtype(na_value=np.nan) for c in nullable})


def _check_frame(frame, name: str):
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame for a formula fit, not {type(frame).__name__}")


def _check_variables(formula: str, parsed, data: pd.DataFrame) -> None:
    """The formula's variables must be columns of ``data``, each once: a missing one is a
    ValueError naming it (not formulaic's FactorEvaluationError), and duplicate names
    (which formulaic cannot tell apart) are refused by name."""
    try:
        required = {str(v) for v in parsed.required_variables}
    except Exception:  # noqa: BLE001 - older formulaic: evaluation reports the problem
        return
    columns = pd.Index([str(c) for c in data.columns])
    dups = sorted(set(columns[columns.duplicated()]) & required)
    if dups:
        raise ValueError(f"data has duplicate column names {dups}, used by formula {formula!r}; rename them")
    import builtins

    missing = sorted(v for v in required - set(columns)
                     if not _is_namespace_name(v) and not hasattr(builtins, v) and v not in _FORMULA_FUNCTIONS)
    if missing:
        raise ValueError(f"formula {formula!r} uses {', '.join(map(repr, missing))}, which "
                         f"{'is not a column' if len(missing) == 1 else 'are not columns'} of data")


# Names formulaic evaluates as transforms, not data columns.
_FORMULA_FUNCTIONS = {"C", "center", "scale", "poly", "bs", "cr", "cc", "hashed", "lag", "I", "Q", "T", "contr",
                      "standardize", "log", "exp"}


def parse_two_part(formula: str, missing: str):
    """formulaic's parse of ``"y ~ predictors | context"``; a TypeError or ValueError naming
    what is wrong with it (or with ``missing``) otherwise."""
    from formulaic import Formula

    if not isinstance(formula, str):
        raise TypeError(f"formula must be a string, not {type(formula).__name__}")
    if missing not in MISSING:
        raise ValueError(f"missing must be 'drop' or 'raise', not {missing!r}")
    try:
        parsed = Formula(formula)
    except Exception as exc:  # formulaic's syntax errors
        raise ValueError(f"cannot parse formula {formula!r}: {exc}") from None
    lhs = getattr(parsed, "lhs", None)
    rhs = getattr(parsed, "rhs", None)
    if lhs is None or rhs is None:
        raise ValueError(f"formula {formula!r} needs a response: 'y ~ predictors | context'")
    if not isinstance(rhs, tuple) or len(rhs) != 2:
        parts = len(rhs) if isinstance(rhs, tuple) else 1
        raise ValueError(f"formula {formula!r} needs exactly one '|' separating the predictors from the context "
                         f"('y ~ x1 + x2 | c1 + c2'); it has {parts} part(s) after '~'")
    return parsed


@dataclass
class FormulaDesign:
    """What ``build_design`` returns: the arrays (as pandas objects carrying names) and the
    plan, plus the positions of the rows kept."""

    endog: pd.Series
    exog: pd.DataFrame
    context: pd.DataFrame
    plan: FormulaPlan
    rows: np.ndarray


def build_design(formula: str, data: pd.DataFrame, missing: str = "drop") -> FormulaDesign:
    """Evaluate a two-part formula on ``data`` with formulaic.

    Parameters
    ----------
    formula : str
        ``"y ~ predictors | context"``.
    data : pandas.DataFrame
    missing : {"drop", "raise"}
        Rows with a missing value in any variable of the formula are dropped, or raise.
    """
    from formulaic import model_matrix

    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    parsed = parse_two_part(formula, missing)
    _check_variables(formula, parsed, data)
    # Positions of the kept rows are recovered from a positional index.
    frame = data if isinstance(data.index, pd.RangeIndex) and data.index.start == 0 and data.index.step == 1 \
        else data.reset_index(drop=True)
    frame = plain_strings(frame)
    try:
        mm = model_matrix(parsed, frame, na_action=missing)
    except ValueError as exc:
        if missing == "raise":
            raise ValueError(f"missing values with missing='raise': {exc}") from None
        raise
    except Exception as exc:  # formulaic's evaluation errors (a failing transform): a ValueError naming it
        raise ValueError(f"cannot evaluate formula {formula!r} on data: {exc}") from None
    y = pd.DataFrame(mm.lhs)
    if y.shape[1] != 1:
        raise ValueError(f"the response of {formula!r} expands to {y.shape[1]} columns {list(y.columns)}; "
                         "it must be one numeric column (code a binary response as 0/1)")
    X = pd.DataFrame(mm.rhs[0])
    C = pd.DataFrame(mm.rhs[1])
    rows = np.asarray(y.index, dtype=np.int64)
    if len(rows) == 0:
        raise ValueError("no rows are left after dropping missing values")
    fit_intercept = "Intercept" in X.columns
    X = X.drop(columns="Intercept") if fit_intercept else X
    C = C.drop(columns="Intercept") if "Intercept" in C.columns else C
    if C.shape[1] == 0:
        raise ValueError(f"the context part of {formula!r} has no columns")
    labels = data.index[rows]
    endog = pd.Series(y.iloc[:, 0].to_numpy(dtype=float), index=labels, name=str(y.columns[0]))
    exog = pd.DataFrame(X.to_numpy(dtype=float), index=labels, columns=[str(c) for c in X.columns])
    context = pd.DataFrame(C.to_numpy(dtype=float), index=labels, columns=[str(c) for c in C.columns])
    states = []
    for spec in mm.model_spec.rhs:
        try:
            states.append(spec_state(spec))
        except TypeError as exc:  # the fit works; only saving it will not
            states.append({"error": str(exc)})
    plan = FormulaPlan(formula=formula, endog_name=endog.name, fit_intercept=fit_intercept,
                       exog_names=tuple(exog.columns), context_names=tuple(context.columns),
                       exog_state=states[0], context_state=states[1],
                       _cache={"exog": mm.model_spec.rhs[0], "context": mm.model_spec.rhs[1]})
    return FormulaDesign(endog=endog, exog=exog, context=context, plan=plan, rows=rows)
