"""A fitted formulaic ``ModelSpec`` as plain data, and back.

A formula fit must re-apply its fitted transforms to new data -- the levels of every
categorical, the state of stateful transforms such as ``center`` and ``scale`` -- and a saved
fit must carry them as data a reader copies, not as objects it unpickles. :func:`spec_state`
keeps what the spec learned from the data:

- ``formula``: the part's formula text (formulaic's normalised form);
- ``categories``: for each categorical factor, its levels in their coding order, with the
  variable it is computed from;
- ``transform_state``: the stateful transforms' fitted values (numbers and lists of numbers);
- ``ensure_full_rank``, and the ``variables`` the part reads.

:func:`spec_from_state` rebuilds the spec by evaluating the formula once on a few synthetic
rows in which every categorical variable takes its stored levels (as a pandas Categorical in
the stored order) and the stored transform state is imposed, so the coding is the fitted one.
:func:`spec_state` checks, when it is taken, that the rebuilt spec codes new data exactly as
the original does; a formula whose state cannot be kept that way is refused (TypeError)
rather than saved wrongly.
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

__all__ = ["spec_state", "spec_from_state"]


def _plain(value, where: str):
    """Numbers, strings, None and (nested) lists/dicts of them; numpy scalars and arrays become
    Python numbers and lists."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Number):
        return float(value) if isinstance(value, (float, np.floating)) else int(value)
    if isinstance(value, np.ndarray):
        return [_plain(v, where) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    raise TypeError(f"cannot save the formula's fitted transform {where}: its state holds a "
                    f"{type(value).__name__}")


def _categorical_factors(spec) -> dict:
    """factor expression -> (variable, levels) for every categorical factor of the spec."""
    out = {}
    for factor, (kind, state) in spec.encoder_state.items():
        if getattr(kind, "value", kind) != "categorical":
            continue
        variables = [str(v) for v in spec.factor_variables.get(factor, ())] if hasattr(spec, "factor_variables") else []
        variables = [v for v in variables if v in {str(r) for r in spec.required_variables}]
        if len(variables) != 1:
            raise TypeError(f"cannot save the categorical factor {str(factor)!r}: it is computed from "
                            f"{len(variables)} variables (one is supported)")
        out[str(factor)] = (variables[0], _plain(list(state["categories"]), str(factor)))
    return out


def _synthetic_frame(required, categories: dict) -> pd.DataFrame:
    length = max([len(levels) for _, levels in categories.values()] + [2])
    columns = {}
    for variable, levels in categories.values():
        cycle = [levels[i % len(levels)] for i in range(length)]
        columns[variable] = pd.Categorical(cycle, categories=levels)
    for v in required:
        if v not in columns:
            columns[v] = np.arange(1.0, length + 1.0)  # positive: log and sqrt transforms stay defined
    return pd.DataFrame(columns)


def spec_from_state(state: dict):
    """The formulaic ``ModelSpec`` that :func:`spec_state` described."""
    from formulaic import Formula, ModelSpec

    categories = {k: (v[0], list(v[1])) for k, v in state["categories"].items()}
    probe = ModelSpec(formula=Formula(state["formula"]), ensure_full_rank=state["ensure_full_rank"],
                      transform_state={k: dict(v) for k, v in state["transform_state"].items()})
    frame = _synthetic_frame(state["variables"], categories)
    spec = probe.get_model_matrix(frame, na_action="ignore").model_spec
    return spec.update(transform_state={k: dict(v) for k, v in state["transform_state"].items()})


def spec_state(spec) -> dict:
    """``spec`` as plain data (see the module docstring); TypeError when it cannot be kept."""
    text = str(spec.formula)
    if "1" not in {str(term) for term in spec.formula}:
        text = "0 + " + text  # formulaic's text leaves out the intercept's removal
    state = {
        "formula": text,
        "categories": {k: [v, levels] for k, (v, levels) in _categorical_factors(spec).items()},
        "transform_state": _plain(dict(spec.transform_state), "state"),
        "ensure_full_rank": bool(spec.ensure_full_rank),
        "variables": sorted(str(v) for v in spec.required_variables),
    }
    rebuilt = spec_from_state(state)
    probe = _synthetic_frame([str(v) for v in spec.required_variables],
                             {k: (v, levels) for k, (v, levels) in state["categories"].items()})
    a = pd.DataFrame(spec.get_model_matrix(probe, na_action="ignore"))
    b = pd.DataFrame(rebuilt.get_model_matrix(probe, na_action="ignore"))
    if list(a.columns) != list(b.columns) or not np.array_equal(a.to_numpy(dtype=float), b.to_numpy(dtype=float),
                                                                  equal_nan=True):
        raise TypeError(f"cannot save the fitted transforms of the formula part {state['formula']!r}: they "
                        "could not be restored exactly from plain data")
    return state
