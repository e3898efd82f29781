"""Saving and loading fitted models in a documented, versioned file format.

    ctxstats.save(results, "fit.ctxstats")
    results = ctxstats.load("fit.ctxstats")

A contextualized GLM fit (``ContextualizedGLMResults``) is written to the C++ core's model
file, which the R package reads and writes as well (``ctx_load``/``ctx_save``; see
:mod:`ctxstats.model_file`); :func:`load` recognises it by its first bytes. Every other object
(unfitted models, personalized regressions, ``ctxstats.easy`` estimators) uses the format
below.

Everything a fitted ctxstats object holds is plain data: numpy arrays, numbers, strings,
lists and dicts, pandas labels, and other ctxstats objects built from the same. The C++
core keeps no state between calls: a fit is fully described by its encoder weights, the
scaling dict and the options dict, so a loaded object predicts bitwise identically.
Objects also pickle; this format exists so that a file can be read without unpickling
(no code runs on load) and so that files name their format version.

File format, version 1
----------------------
An uncompressed zip archive written by :func:`numpy.savez` and read with
``numpy.load(allow_pickle=False)``. It holds

``__header__``
    UTF-8 JSON as a uint8 array:
    ``{"format": "ctxstats", "format_version": 1, "ctxstats_version": "...", "root": NODE}``.
``a0``, ``a1``, ...
    The numpy arrays, each stored with its own dtype and shape (so bitwise exact).

``NODE`` is JSON (numbers, strings, booleans, null, and ``NaN``/``Infinity`` as Python's
``json`` writes them), a list of nodes, a dict with string keys, or a tagged dict:

- ``{"__array__": "a3"}``: the array stored under ``a3``;
- ``{"__tuple__": [NODE, ...]}``; ``{"__dict__": [[KEY_NODE, NODE], ...]}`` for dicts
  whose keys are not all strings;
- ``{"__object__": "ctxstats.models.ContextualizedGLMResults", "state": {name: NODE}}``:
  an instance of a ctxstats class, restored without calling its constructor (as pickle
  does: by its ``__setstate__`` when it has one, which also reads the state of files written
  by earlier versions), with its cache of derived values (``_cache``) empty. Only classes
  from the ctxstats package are accepted on load;
- ``{"__model__": {"__array__": "a4"}}``: a core fitted model, its model file's bytes as a
  uint8 array (read and checked by the core);
- ``{"__range__": [start, stop, step], "name": NODE}``, ``{"__index__": NODE, "name": NODE}``,
  ``{"__series__": ...}``, ``{"__frame__": ...}``: pandas labels, series and frames, by
  their values, index and names.

A reader refuses a file whose ``format_version`` it does not know, with an error that says
which versions it reads; readers of later versions keep reading version 1.
"""
from __future__ import annotations

import importlib
import json
import os
import zipfile

import numpy as np
import pandas as pd

from ctxstats import _core

__all__ = ["save", "load", "FORMAT_VERSION", "SUPPORTED_VERSIONS"]

FORMAT_NAME = "ctxstats"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
_TAGS = ("__array__", "__tuple__", "__dict__", "__object__", "__range__", "__index__", "__series__", "__frame__",
         "__model__")


class _Writer:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, a: np.ndarray, where: str) -> dict:
        if a.dtype.hasobject:
            raise TypeError(f"cannot save {where}: an array of Python objects (dtype object)")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = a
        return {"__array__": key}

    def node(self, value, where: str):
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (np.bool_,)):
            return bool(value)
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return float(value)
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, _core.FittedModel):  # the core's own file, checked by the core on load
            return {"__model__": self.array(np.frombuffer(value.to_bytes(), dtype=np.uint8), where)}
        if isinstance(value, tuple):
            return {"__tuple__": [self.node(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.node(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value) and not any(k in _TAGS for k in value):
                return {k: self.node(v, f"{where}[{k!r}]") for k, v in value.items()}
            return {"__dict__": [[self.node(k, f"{where} key"), self.node(v, f"{where}[{k!r}]")]
                                 for k, v in value.items()]}
        if isinstance(value, pd.RangeIndex):
            return {"__range__": [value.start, value.stop, value.step], "name": self.node(value.name, where)}
        if isinstance(value, pd.Index):
            if isinstance(value, pd.MultiIndex):
                raise TypeError(f"cannot save {where}: a pandas MultiIndex")
            return {"__index__": self.labels(value.to_numpy(), where), "name": self.node(value.name, where)}
        if isinstance(value, pd.Series):
            return {"__series__": self.node(value.to_numpy(), where), "index": self.node(value.index, where),
                    "name": self.node(value.name, where)}
        if isinstance(value, pd.DataFrame):
            return {"__frame__": self.node(value.to_numpy(), where), "index": self.node(value.index, where),
                    "columns": self.node(value.columns, where)}
        cls = type(value)
        if cls.__module__.split(".")[0] == "ctxstats" and hasattr(value, "__dict__"):
            if hasattr(value, "_check_savable"):
                value._check_savable()
            # `_cache` holds derived values (covariances, reports) that are recomputed on
            # demand; it is saved empty.
            state = {k: ({} if k == "_cache" else self.node(v, f"{where}.{k}")) for k, v in vars(value).items()}
            return {"__object__": f"{cls.__module__}.{cls.__qualname__}", "state": state}
        raise TypeError(f"cannot save {where}: values of type {cls.__module__}.{cls.__qualname__} "
                        "are not part of the ctxstats file format")

    def labels(self, values: np.ndarray, where: str):
        if values.dtype.hasobject:
            return [self.node(v, where) for v in values.tolist()]
        return self.array(values, where)


class _Reader:
    def __init__(self, arrays):
        self.arrays = arrays

    def node(self, value):
        if isinstance(value, list):
            return [self.node(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__array__" in value:
            return self.arrays[value["__array__"]]
        if "__model__" in value:
            raw = self.node(value["__model__"])
            if not isinstance(raw, np.ndarray) or raw.dtype != np.uint8 or raw.ndim != 1:
                raise ValueError("the file's core model is not a byte array")
            return _core.FittedModel.from_bytes(raw.tobytes())
        if "__tuple__" in value:
            return tuple(self.node(v) for v in value["__tuple__"])
        if "__dict__" in value:
            return {self.node(k): self.node(v) for k, v in value["__dict__"]}
        if "__range__" in value:
            return pd.RangeIndex(*value["__range__"], name=self.node(value["name"]))
        if "__index__" in value:
            return pd.Index(self.node(value["__index__"]), name=self.node(value["name"]))
        if "__series__" in value:
            return pd.Series(self.node(value["__series__"]), index=self.node(value["index"]),
                             name=self.node(value["name"]))
        if "__frame__" in value:
            return pd.DataFrame(self.node(value["__frame__"]), index=self.node(value["index"]),
                                columns=self.node(value["columns"]))
        if "__object__" in value:
            cls = _ctxstats_class(value["__object__"])
            obj = cls.__new__(cls)
            state = {k: self.node(v) for k, v in value["state"].items()}
            if hasattr(cls, "__setstate__"):  # the class reads its state as pickle does (older layouts too)
                obj.__setstate__(state)
            else:
                obj.__dict__.update(state)
            return obj
        return {k: self.node(v) for k, v in value.items()}


def _ctxstats_class(path: str) -> type:
    module, _, name = path.rpartition(".")
    if module != "ctxstats" and not module.startswith("ctxstats."):
        raise ValueError(f"the file names the class {path!r}, which is not a ctxstats class; refusing to load it")
    try:
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"the file needs the class {path!r}, which this version of ctxstats does not have") from exc
    if not isinstance(obj, type):
        raise ValueError(f"the file names {path!r}, which is not a class")
    return obj


def save(obj, path) -> None:
    """Save a fitted model, results object or ``ctxstats.easy`` estimator to ``path``.

    Parameters
    ----------
    obj : object
        Any ctxstats object holding plain data (every model, results and estimator class).
    path : str or os.PathLike or file-like
        Where to write. The file is a zip archive (see the module docstring for its format);
        no suffix is added.

    Raises
    ------
    TypeError
        If ``obj`` holds a value the format cannot represent; the message names the attribute.
    """
    from ctxstats.results import ContextualizedGLMResults

    if isinstance(obj, ContextualizedGLMResults):  # the core's model file, which R reads too
        from ctxstats.model_file import save_results

        save_results(obj, path)
        return
    _save_plain(obj, path)


def _save_plain(obj, path) -> None:
    """Writes any ctxstats object in the zip format of this module (what :func:`save` does for
    everything but a contextualized GLM fit)."""
    writer = _Writer()
    root = writer.node(obj, type(obj).__name__)
    from ctxstats import __version__

    header = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "ctxstats_version": __version__,
              "root": root}
    raw = np.frombuffer(json.dumps(header, allow_nan=True).encode("utf-8"), dtype=np.uint8)
    if isinstance(path, (str, os.PathLike)):
        with open(path, "wb") as fh:
            np.savez(fh, __header__=raw, **writer.arrays)
    else:
        np.savez(path, __header__=raw, **writer.arrays)


def load(path):
    """Load an object written by :func:`save`.

    Parameters
    ----------
    path : str or os.PathLike or file-like

    Returns
    -------
    object
        The saved object; fitted objects predict bitwise identically to the original.

    Raises
    ------
    ValueError
        If the file is not a ctxstats file, or has a format version this ctxstats does not read.
    """
    from ctxstats.model_file import is_model_file, load_results

    if is_model_file(path):
        return load_results(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{path!r} is not a ctxstats file: {exc}") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile) or "__header__" not in archive.files:
        raise ValueError(f"{path!r} is not a ctxstats file (no __header__ entry)")
    with archive:
        try:
            header = json.loads(archive["__header__"].tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path!r} is not a ctxstats file (unreadable header)") from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
            raise ValueError(f"{path!r} is not a ctxstats file (format {header.get('format')!r})"
                             if isinstance(header, dict) else f"{path!r} is not a ctxstats file")
        version = header.get("format_version")
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(
                f"{path!r} has ctxstats file format version {version!r} (written by ctxstats "
                f"{header.get('ctxstats_version', '?')}); this ctxstats reads version(s) "
                f"{', '.join(map(str, SUPPORTED_VERSIONS))}. Upgrade ctxstats to read it.")
        arrays = {k: archive[k] for k in archive.files if k != "__header__"}
    return _Reader(arrays).node(header["root"])

