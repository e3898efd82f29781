"""Saving and loading fitted models in a documented, versioned file format.

    ctxstats.save(results, "fit.ctxstats")
    results = ctxstats.load("fit.ctxstats")

A contextualized GLM fit (``ContextualizedGLMResults``) is written to the C++ core's model
file, which the R package reads and writes as well (``ctx_load``/``ctx_save``; see
:mod:`ctxstats.model_file`); so is a fitted ``ctxstats.easy`` network
(:mod:`ctxstats.network_file`); :func:`load` recognises the file by its first bytes and its
kind. Every other object (unfitted models and networks, personalized regressions, the other
``ctxstats.easy`` estimators) uses the format below.

Everything a fitted ctxstats object holds is plain data: numpy arrays, numbers, strings,
lists and dicts, pandas labels, and other ctxstats objects built from the same. The C++
core keeps no state between calls: a fit is fully described by its encoder weights, the
scaling dict and the options dict, so a loaded object predicts bitwise identically.
Objects also pickle, but unpickling runs code: pickle only for files you trust. This format
exists so that a file can be read without unpickling (no code runs on load; only classes
defined in ctxstats modules are rebuilt) and so that files name their format version.

File format, version 1
----------------------
An uncompressed zip archive written by :func:`numpy.savez` (members ``NAME.npy``, stored, not
deflated). The reader reads only the members the header references, checks each member's
``.npy`` header (no object dtypes; dtype x shape equal to the member's size) before it
allocates the array, refuses trees nested more than 100 deep, and reports every malformed file
as one ValueError. It holds

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
  from the ctxstats package that check their restored state (``_check_loaded``: every field
  present, of its type and shape, consistent with the others; see ``ctxstats._state``) are
  accepted on load;
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
    """Rebuilds the object tree of a header's ``root`` from the archive's members.

    Only the members the tree references are read, each at most once; before an array is
    allocated its ``.npy`` header (dtype, shape) is checked against the member's recorded
    size, and members must be stored uncompressed, so nothing the archive declares can make
    the reader allocate more than the file holds. The tree may nest at most ``MAX_DEPTH``
    levels. Every malformation raises :class:`_Malformed`, turned into one ValueError by
    :func:`load`.
    """

    MAX_DEPTH = 100

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.arrays: dict[str, np.ndarray] = {}

    def member(self, key) -> np.ndarray:
        if not isinstance(key, str):
            raise _Malformed(f"an __array__ reference is {type(key).__name__} {key!r}, not a member name")
        if key not in self.arrays:
            self.arrays[key] = _read_member(self.archive, key)
        return self.arrays[key]

    def node(self, value, depth: int = 0):
        if depth > self.MAX_DEPTH:
            raise _Malformed(f"the object tree nests deeper than {self.MAX_DEPTH} levels")
        d = depth + 1
        if isinstance(value, list):
            return [self.node(v, d) for v in value]
        if not isinstance(value, dict):
            return value
        if "__array__" in value:
            return self.member(value["__array__"])
        if "__model__" in value:
            raw = self.node(value["__model__"], d)
            if not isinstance(raw, np.ndarray) or raw.dtype != np.uint8 or raw.ndim != 1:
                raise _Malformed("the file's core model is not a byte array")
            return _core.FittedModel.from_bytes(raw.tobytes())
        if "__tuple__" in value:
            return tuple(self.node(v, d) for v in _expect(value["__tuple__"], list, "__tuple__"))
        if "__dict__" in value:
            out = {}
            for pair in _expect(value["__dict__"], list, "__dict__"):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise _Malformed("a __dict__ entry is not a [key, value] pair")
                key = self.node(pair[0], d)
                try:
                    hash(key)
                except TypeError:
                    raise _Malformed(f"a __dict__ key is a {type(key).__name__}, which cannot be a key") from None
                out[key] = self.node(pair[1], d)
            return out
        if "__range__" in value:
            bounds = _expect(value["__range__"], list, "__range__")
            if len(bounds) != 3 or not all(type(b) is int for b in bounds) or bounds[2] == 0:
                raise _Malformed(f"__range__ must be three integers with a non-zero step, not {bounds!r}")
            return pd.RangeIndex(*bounds, name=self.label(value.get("name"), d))
        if "__index__" in value:
            return pd.Index(self.sequence(value["__index__"], d, "__index__"), name=self.label(value.get("name"), d))
        if "__series__" in value:
            return pd.Series(self.sequence(value["__series__"], d, "__series__"), index=self.index(value, d),
                             name=self.label(value.get("name"), d))
        if "__frame__" in value:
            data = self.sequence(value["__frame__"], d, "__frame__")
            if np.ndim(data) != 2:
                raise _Malformed("the values of a __frame__ are not two-dimensional")
            return pd.DataFrame(data, index=self.index(value, d), columns=self.index(value, d, "columns"))
        if "__object__" in value:
            cls = _ctxstats_class(value["__object__"])
            state = _expect(value.get("state"), dict, "the state of " + value["__object__"])
            obj = cls.__new__(cls)
            state = {k: self.node(v, d) for k, v in state.items()}
            if hasattr(cls, "__setstate__"):  # the class reads its state as pickle does (older layouts too)
                obj.__setstate__(state)
            else:
                obj.__dict__.update(state)
            # Nothing a constructor checks has been checked: the class checks its fields
            # (ctxstats._state), so that a malformed object is refused here, not on use.
            if not hasattr(cls, "_check_loaded"):
                raise _Malformed(f"the file holds a {value['__object__']}, which ctxstats does not read from files")
            try:
                obj._check_loaded()
            except (ValueError, TypeError) as exc:
                raise _Malformed(f"{value['__object__']}: {exc}") from exc
            return obj
        return {k: self.node(v, d) for k, v in value.items()}

    def sequence(self, value, depth, what):
        out = self.node(value, depth)
        if not isinstance(out, (list, np.ndarray)):
            raise _Malformed(f"the values of a {what} are a {type(out).__name__}, not an array or list")
        return out

    def index(self, value, depth, field="index"):
        out = self.node(value.get(field), depth)
        if not isinstance(out, pd.Index):
            raise _Malformed(f"the {field} of a pandas object is a {type(out).__name__}, not an index")
        return out

    def label(self, value, depth):
        out = self.node(value, depth)
        try:
            hash(out)
        except TypeError:
            raise _Malformed(f"a pandas name is a {type(out).__name__}, which cannot be a name") from None
        return out


class _Malformed(Exception):
    """A malformation found while reading a file; load() reports it as a ValueError."""


def _expect(value, kind, what):
    if not isinstance(value, kind):
        raise _Malformed(f"{what} is a {type(value).__name__}, not a {kind.__name__}")
    return value


def _read_member(archive: zipfile.ZipFile, key: str) -> np.ndarray:
    """The array stored as member ``key`` (``key.npy``), its size checked before allocation."""
    try:
        info = archive.getinfo(key + ".npy")
    except KeyError:
        raise _Malformed(f"the header references the array {key!r}, which the archive does not hold") from None
    if info.compress_type != zipfile.ZIP_STORED:
        raise _Malformed(f"the member {key!r} is compressed; ctxstats files store their arrays uncompressed")
    with archive.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise _Malformed(f"the member {key!r} has .npy version {version}")
        if dtype.hasobject:
            raise _Malformed(f"the member {key!r} holds Python objects (dtype object), which ctxstats files never do")
        count = 1
        for s in shape:
            count *= s
        nbytes = count * dtype.itemsize
        header_len = fh.tell()
        if header_len + nbytes != info.file_size:
            raise _Malformed(f"the member {key!r} declares {nbytes} bytes of data ({dtype}, shape {shape}) but "
                             f"holds {info.file_size - header_len}")
        out = np.empty(count, dtype=dtype)
        if nbytes:
            got = fh.readinto(out.view(np.uint8))
            if got != nbytes:
                raise _Malformed(f"the member {key!r} ends after {got} of its {nbytes} bytes")
    return out.reshape(shape, order="F" if fortran else "C")


def _ctxstats_class(path) -> type:
    """The class a file's ``__object__`` names: a class defined in a ctxstats module, found
    by its module and qualified name (never an arbitrary attribute chain)."""
    if not isinstance(path, str):
        raise _Malformed(f"an __object__ names {path!r}, not a class path")
    module, _, name = path.rpartition(".")
    if module != "ctxstats" and not module.startswith("ctxstats."):
        raise _Malformed(f"the file names the class {path!r}, which is not a ctxstats class; refusing to load it")
    parts = module.split(".") + name.split(".")
    if not all(p.isidentifier() and not p.startswith("__") for p in parts):
        raise _Malformed(f"the file names {path!r}, which is not a ctxstats class; refusing to load it")
    try:
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise _Malformed(f"the file needs the class {path!r}, which this version of ctxstats does not have") from exc
    if not isinstance(obj, type) or obj.__module__ != module or obj.__qualname__ != name:
        raise _Malformed(f"the file names {path!r}, which is not a class defined in a ctxstats module; "
                         "refusing to load it")
    return obj


def _load_npz(path):
    """The object of a version-1 file (see the module docstring); every malformation of the
    file is one ValueError saying what is wrong."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except Exception as exc:  # BadZipFile, a truncated or foreign file, ...
        raise ValueError(f"{path!r} is not a ctxstats file: {type(exc).__name__}: {exc}") from exc
    with archive:
        try:
            if "__header__.npy" not in archive.namelist():
                raise ValueError(f"{path!r} is not a ctxstats file (no __header__ entry)")
            try:
                raw = _read_member(archive, "__header__")
                if raw.dtype != np.uint8 or raw.ndim != 1:
                    raise _Malformed(f"the header is {raw.dtype} of shape {raw.shape}, not bytes")
                header = json.loads(raw.tobytes().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, _Malformed) as exc:
                raise ValueError(f"{path!r} is not a ctxstats file (unreadable header: {exc})") from exc
            if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
                raise ValueError(f"{path!r} is not a ctxstats file (format {header.get('format')!r})"
                                 if isinstance(header, dict) else f"{path!r} is not a ctxstats file")
            version = header.get("format_version")
            if type(version) is not int or version not in SUPPORTED_VERSIONS:
                raise ValueError(
                    f"{path!r} has ctxstats file format version {version!r} (written by ctxstats "
                    f"{header.get('ctxstats_version', '?')}); this ctxstats reads version(s) "
                    f"{', '.join(map(str, SUPPORTED_VERSIONS))}. Upgrade ctxstats to read it.")
            if "root" not in header:
                raise _Malformed("the header has no root object")
            reader = _Reader(archive)
        except (ValueError, MemoryError):
            raise
        except Exception as exc:  # a damaged member table or header
            raise ValueError(f"{path!r} is not a ctxstats file: {type(exc).__name__}: {exc}") from exc
        try:
            return reader.node(header["root"])
        except MemoryError:
            raise
        except _Malformed as exc:
            raise ValueError(f"{path!r} is a malformed ctxstats file: {exc}") from exc
        except Exception as exc:  # anything else a damaged file provokes (pandas, __setstate__): one error type
            raise ValueError(f"{path!r} is a malformed ctxstats file: {type(exc).__name__}: {exc}") from exc


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
    from ctxstats.networks import _NetworkBase

    if isinstance(obj, _NetworkBase) and getattr(obj, "model_", None) is not None:  # the model file too
        from ctxstats.network_file import save_network

        save_network(obj, path)
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
        If the file is not a ctxstats file, has a format version this ctxstats does not read,
        or is malformed in any way (truncated, damaged, or naming a class that is not a ctxstats
        class); the message says what is wrong. Only the arrays the file's header references
        are read, each after its size is checked, so a hostile file cannot make ``load``
        allocate more memory than the file holds or run code.
    FileNotFoundError
        If ``path`` does not exist.
    """
    from ctxstats.model_file import is_model_file, load_results

    if is_model_file(path):
        return load_results(path)
    return _load_npz(path)
