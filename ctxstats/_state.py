"""Checks of an object's state as read from a file (:mod:`ctxstats.io`).

``load`` rebuilds objects without calling their constructors, so nothing a constructor or a
fit checks has been checked: each loadable class has a ``_check_loaded()`` that the reader
calls once the object's state is set, and that raises ValueError naming the field at fault
(missing, of the wrong type or shape, or inconsistent with the others). Where a constructor
can rebuild the object from its own fields, the check does that and compares
(:func:`same_state`); elsewhere it declares each field (:func:`fields`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


class Array:
    """A numpy array of one of the dtype kinds ``kind`` whose shape is ``shape`` (None: any
    length along that axis)."""

    def __init__(self, *shape, kind: str = "f"):
        self.shape, self.kind = shape, kind

    def check(self, value, where: str) -> None:
        if not isinstance(value, np.ndarray) or value.dtype.kind not in self.kind:
            what = f"an array of dtype {value.dtype}" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"
            raise ValueError(f"{where} is {what}, not an array of kind {self.kind!r}")
        if value.ndim != len(self.shape) or any(s is not None and s != d for s, d in zip(self.shape, value.shape)):
            want = tuple("any" if s is None else s for s in self.shape)
            raise ValueError(f"{where} has shape {value.shape}, not {want}")


class Opt:
    """None or what ``inner`` describes."""

    def __init__(self, inner):
        self.inner = inner

    def check(self, value, where: str) -> None:
        if value is not None:
            check(value, self.inner, where)


class ListOf:
    """A list (or tuple) of ``length`` (None: any number of) items, each what ``item``
    describes."""

    def __init__(self, item, length: int | None = None):
        self.item, self.length = item, length

    def check(self, value, where: str) -> None:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{where} is a {type(value).__name__}, not a list")
        if self.length is not None and len(value) != self.length:
            raise ValueError(f"{where} has {len(value)} entries, not {self.length}")
        for i, v in enumerate(value):
            check(v, self.item, f"{where}[{i}]")


def check(value, want, where: str) -> None:
    """``value`` is what ``want`` describes: a type (int and float exclude bool; float admits
    an int), a tuple of types, or an Array / Opt / ListOf."""
    if hasattr(want, "check"):
        want.check(value, where)
        return
    if want is int:
        ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    elif want is float:
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    elif want is bool:
        ok = isinstance(value, (bool, np.bool_))
    else:
        ok = isinstance(value, want)
    if not ok:
        name = getattr(want, "__name__", None) or " or ".join(t.__name__ for t in want)
        raise ValueError(f"{where} is a {type(value).__name__}, not a {name}")


def fields(obj, spec: dict, optional: dict | None = None, others: bool = False) -> None:
    """Every field of ``spec`` is present and as described; those of ``optional`` are as
    described when present; there are no others (unless ``others``)."""
    state, owner = vars(obj), type(obj).__name__
    optional = optional or {}
    for name, want in spec.items():
        if name not in state:
            raise ValueError(f"{owner}.{name} is missing")
        check(state[name], want, f"{owner}.{name}")
    for name, want in optional.items():
        if name in state:
            check(state[name], want, f"{owner}.{name}")
    extra = sorted(set(state) - set(spec) - set(optional))
    if extra and not others:
        raise ValueError(f"{owner} has unknown field(s) {extra}")


def same(a, b) -> bool:
    """Equal values, arrays and labels compared by value (NaN equal to NaN) and type."""
    if isinstance(a, (pd.Index, pd.Series, pd.DataFrame)) or isinstance(b, (pd.Index, pd.Series, pd.DataFrame)):
        return type(a) is type(b) and a.equals(b) and getattr(a, "name", None) == getattr(b, "name", None)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    numbers = (int, float, np.number)
    if isinstance(a, (bool, np.bool_)) != isinstance(b, (bool, np.bool_)):
        return False
    if type(a) is not type(b) and not (isinstance(a, numbers) and isinstance(b, numbers)):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def same_state(obj, rebuilt, skip=(), compare=None) -> None:
    """``obj`` (as loaded) holds exactly the fields of ``rebuilt`` (what its constructor builds
    from the same data and options), with equal values, plus those named in ``skip``.
    ``compare``: field name to a comparison used instead of :func:`same`."""
    mine, theirs, owner = vars(obj), vars(rebuilt), type(obj).__name__
    compare = compare or {}
    for name, value in theirs.items():
        if name in skip:
            continue
        if name not in mine:
            raise ValueError(f"{owner}.{name} is missing")
        if not compare.get(name, same)(mine[name], value):
            raise ValueError(f"{owner}.{name} does not match the object's other fields (its data and options)")
    extra = sorted(set(mine) - set(theirs) - set(skip))
    if extra:
        raise ValueError(f"{owner} has unknown field(s) {extra}")
