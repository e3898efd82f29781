"""A two-part formula evaluated on a dask DataFrame, partition by partition, on the workers.

The in-memory formula API (``ctxstats.formula.parse``) evaluates the formula on all the rows at
once; a dask DataFrame never comes to the client, so here the formula's coding is learned
first and then applied to every partition where it lives:

- The coding is learned on the first non-empty partition, then every categorical factor gets
  the levels of the whole column (its distinct values over all partitions, sorted as formulaic
  sorts them; a categorical column keeps its categories), so that every partition is coded
  alike and exactly as the in-memory fit of all the rows would code it.
- Transforms whose state is learned from the data (``center``, ``scale``, ``bs``, ...) would
  learn it from one partition only: they are refused, naming them. Stateless ones
  (``np.log(x)``, ``I(x ** 2)``, interactions) work.
- Rows with a missing value in a variable of the formula are dropped (``missing="drop"``)
  or raise, per partition, as the in-memory fit does; a partition that cannot be coded fails
  with the in-memory message prefixed by ``partition k:``.

The design is one dask DataFrame with the response, predictors, context, weights and groups as
columns, so that all of them have the same partitions.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctxstats.formula.parse import (FormulaPlan, _check_variables, _is_namespace_name, coding_mismatch,
                                    parse_two_part, plain_strings)
from ctxstats.formula.spec_state import spec_from_state, spec_state


@dataclass
class DaskFormulaDesign:
    """What :func:`build_dask_design` returns: dask Series/DataFrames of one frame (same
    partitions) and the plan (the fitted coding, as the in-memory fit's)."""

    endog: object
    exog: object
    context: object
    weights: object
    groups: object
    plan: FormulaPlan


def _first_rows(data):
    """The first non-empty partition, as pandas (the only rows that come to the client)."""
    for k in range(data.npartitions):
        part = data.get_partition(k).compute()
        if len(part):
            return plain_strings(part)
    raise ValueError("data has no rows")


def _global_levels(data, sample: pd.DataFrame, categories: dict) -> dict:
    """variable -> its levels over all the partitions, for the categorical factors whose levels
    formulaic found from the data (sorted distinct values, or a categorical's categories)."""
    import dask

    pending = {}
    for variable, levels in categories.values():
        if variable in pending:
            continue
        column = sample[variable]
        if isinstance(column.dtype, pd.CategoricalDtype):
            continue  # its categories, the same in every partition of a dask categorical, are the coding
        if list(levels) != sorted(levels):
            continue  # levels given in the formula (C(x, levels=...)): new ones fail in their partition
        pending[variable] = data[variable].dropna().unique(split_out=1)  # a tree reduction, no shuffle
    computed = dict(zip(pending, dask.compute(*pending.values()))) if pending else {}
    return {v: sorted(np.asarray(u).tolist()) for v, u in computed.items()}


def _with_levels(state: dict, levels: dict) -> dict:
    categories = {factor: [variable, levels.get(variable, old)] for factor, (variable, old)
                  in state["categories"].items()}
    return {**state, "categories": categories}


def _refuse_learned_transforms(formula: str, states) -> None:
    learned = sorted({name for state in states for name in state["transform_state"]})
    if learned:
        raise ValueError(f"formula {formula!r} uses transforms that learn from the data ({', '.join(learned)}); on "
                         "a dask DataFrame they would learn from one partition only, so they are not available "
                         "there yet: compute those columns beforehand (e.g. with dask) and use them plainly")


def _design_partition(k, part, specs, required, missing, names, extra):
    """One partition's design: response, predictors and context under internal names, with the
    weights and groups columns; rows with a missing formula variable dropped (or raise)."""
    from formulaic.errors import DataMismatchWarning

    present = [v for v in required if v in part.columns]
    bad = part[present].isna().any(axis=1).to_numpy() if present else np.zeros(len(part), dtype=bool)
    if bad.any() and missing == "raise":
        raise ValueError(f"partition {k}: missing values with missing='raise' (first at row {int(np.flatnonzero(bad)[0])} "
                         "of the partition)")
    rows = plain_strings(part.iloc[np.flatnonzero(~bad)] if bad.any() else part)
    columns = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataMismatchWarning)
            for spec, internal in zip(specs, names):
                if not internal:
                    continue
                mm = pd.DataFrame(spec.get_model_matrix(rows, na_action="ignore"))
                if "Intercept" in mm.columns and len(internal) != mm.shape[1]:
                    mm = mm.drop(columns="Intercept")
                if mm.shape[1] != len(internal):
                    raise ValueError(f"the partition is coded into {mm.shape[1]} columns, not {len(internal)}")
                for j, name in enumerate(internal):
                    columns[name] = mm.iloc[:, j].to_numpy(dtype=float)
    except DataMismatchWarning as exc:
        raise ValueError(f"partition {k}: {coding_mismatch(spec, rows, exc)}") from None
    except ValueError as exc:
        raise ValueError(f"partition {k}: {exc}") from None
    out = pd.DataFrame(columns, index=rows.index)
    for name, column in extra.items():
        out[name] = rows[column].to_numpy()
    return out


def build_dask_design(formula: str, data, missing: str = "drop", weights=None, groups=None) -> DaskFormulaDesign:
    """Evaluate ``"y ~ predictors | context"`` on the dask DataFrame ``data`` partition by
    partition (see the module docstring). ``weights``, ``groups``: column names of ``data``."""
    import dask.dataframe as dd
    from formulaic import model_matrix

    if not isinstance(data, dd.DataFrame):
        raise TypeError(f"data must be a dask DataFrame here, not {type(data).__name__}")
    parsed = parse_two_part(formula, missing)
    for name, value in (("weights", weights), ("groups", groups)):
        if value is not None and (not isinstance(value, str) or value not in data.columns):
            raise ValueError(f"{name} of a formula fit of a dask DataFrame must name a column of data, not {value!r}")
    _check_variables(formula, parsed, data)
    sample = _first_rows(data)
    try:
        mm = model_matrix(parsed, sample, na_action="drop")
    except Exception as exc:  # formulaic's evaluation errors: a ValueError naming the formula
        raise ValueError(f"cannot evaluate formula {formula!r} on data: {exc}") from None
    if pd.DataFrame(mm.lhs).shape[1] != 1:
        raise ValueError(f"the response of {formula!r} must be one numeric column (code a binary response as 0/1)")
    states = [spec_state(spec) for spec in mm.model_spec.rhs]
    _refuse_learned_transforms(formula, states)
    levels = _global_levels(data, sample, {k: v for s in states for k, v in s["categories"].items()})
    states = [_with_levels(s, levels) for s in states]
    specs = [spec_from_state(s) for s in states]
    x_columns, c_columns = (list(spec.column_names) for spec in specs)  # the rebuilt codings' columns
    fit_intercept = "Intercept" in x_columns
    exog_names = [str(c) for c in x_columns if c != "Intercept"]
    context_names = [str(c) for c in c_columns if c != "Intercept"]
    if not context_names:
        raise ValueError(f"the context part of {formula!r} has no columns")
    endog_name = str(pd.DataFrame(mm.lhs).columns[0])
    internal = (["__ctxstats_y0"], [f"__ctxstats_x{j}" for j in range(len(exog_names))],
                [f"__ctxstats_c{j}" for j in range(len(context_names))])
    extra = {f"__ctxstats_{k}": v for k, v in (("w", weights), ("g", groups)) if v is not None}
    required = sorted({str(v) for v in parsed.required_variables if not _is_namespace_name(str(v))} & set(data.columns))
    meta = pd.DataFrame({name: pd.Series(dtype=float) for names in internal for name in names})
    for name, column in extra.items():
        meta[name] = pd.Series(dtype=data[column].dtype)
    design = data.map_partitions(_partition_task, [mm.model_spec.lhs, *specs], required, missing, internal, extra,
                                 meta=meta, align_dataframes=False, enforce_metadata=False)
    endog = design[internal[0][0]].rename(endog_name)
    exog = design[internal[1]].rename(columns=dict(zip(internal[1], exog_names)))
    context = design[internal[2]].rename(columns=dict(zip(internal[2], context_names)))
    plan = FormulaPlan(formula=formula, endog_name=endog_name, fit_intercept=fit_intercept,
                       exog_names=tuple(exog_names), context_names=tuple(context_names),
                       exog_state=states[0], context_state=states[1],
                       _cache={"exog": specs[0], "context": specs[1]})
    return DaskFormulaDesign(endog=endog, exog=exog, context=context,
                             weights=design["__ctxstats_w"] if weights is not None else None,
                             groups=design["__ctxstats_g"] if groups is not None else None, plan=plan)


def _partition_task(part, specs, required, missing, names, extra, partition_info=None):
    k = partition_info["number"] if partition_info else 0
    return _design_partition(k, part, specs, required, missing, names, extra)


def new_data_design(plan: FormulaPlan, data):
    """(exog, context) of new rows held as a dask DataFrame, coded partition by partition by a
    fitted formula (``FormulaPlan.exog_context_matrices``: rows with a missing variable get
    NaN, as the in-memory ``predict`` gives them), with the data's partitions."""
    x_names = [f"__ctxstats_x{j}" for j in range(len(plan.exog_names))]
    c_names = [f"__ctxstats_c{j}" for j in range(len(plan.context_names))]
    meta = pd.DataFrame({name: pd.Series(dtype=float) for name in x_names + c_names})
    design = data.map_partitions(_new_rows_partition, plan, x_names, c_names, meta=meta, align_dataframes=False,
                                 enforce_metadata=False)
    return design[x_names], design[c_names]


def _new_rows_partition(part, plan, x_names, c_names, partition_info=None):
    k = partition_info["number"] if partition_info else 0
    try:
        X, C, _ = plan.exog_context_matrices(part)
    except ValueError as exc:
        raise ValueError(f"partition {k}: {exc}") from None
    return pd.DataFrame(np.hstack([X, C]), columns=x_names + c_names, index=part.index)
