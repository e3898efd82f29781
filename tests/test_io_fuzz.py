"""Hostile and damaged model files (issue 13, items 2 and 3): a seeded mutation fuzz of the
reader and the cases the audit found. Every outcome of ``load`` is a ValueError that says
what is wrong, or a load whose object can be used (its fields checked at load) -- never
another exception type, a crash, or an allocation beyond the file's size.

The fuzz runs in a subprocess, so that a crash fails the test with the seed that caused it:

    python tests/test_io_fuzz.py [N] [SEED]     # prints the outcome counts
"""
from __future__ import annotations

import collections
import copy
import io
import json
import pathlib
import random
import subprocess
import sys
import zipfile

import numpy as np
import pytest

HERE = pathlib.Path(__file__).resolve().parent
N_MUTANTS = 2400


def _seed_files() -> dict[str, bytes]:
    """Files of the zip format: an unfitted model with pandas labels, a fitted easy estimator
    (holding core models as ``__model__`` byte arrays) and a personalized regression fit.
    (Contextualized GLM fits are saved in the core's model file, which the core checks.)"""
    import warnings

    import pandas as pd

    import ctxstats as cs
    from ctxstats.easy import ContextualizedRegressor
    rng = np.random.default_rng(0)
    n = 40
    C, X = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
    y = X.sum(axis=1) * (1 + C[:, 0]) + rng.normal(size=n)
    idx = [f"s{i}" for i in range(n)]
    out = {}
    model = cs.ContextualizedRegression(pd.Series(y, index=idx, name="y"),
                                        pd.DataFrame(X, index=idx, columns=["a", "b"]),
                                        pd.DataFrame(C, index=idx, columns=["u", "v"]), encoder="linear")
    buf = io.BytesIO()
    cs.save(model, buf)
    out["linear-model"] = buf.getvalue()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = ContextualizedRegressor(encoder_type="linear", max_epochs=3, threads=1).fit(C, X, y)
        pers = cs.PersonalizedRegression(y, X, C).fit(max_iter=3)
    for name, obj in (("easy-fitted", est), ("personalized-fit", pers)):
        buf = io.BytesIO()
        cs.save(obj, buf)
        out[name] = buf.getvalue()
    assert all(zipfile.is_zipfile(io.BytesIO(raw)) for raw in out.values())
    return out


def _members(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, allow_pickle=False)
    return buf.getvalue()


JUNK = [None, True, False, 0, 1, -1, 1.0, 2**64, -2**63, 1e308, float("nan"), float("inf"), "", "x", "a0",
        "ctxstats.io", "ctxstats.io.__class__", "ctxstats.models", "builtins.object", "os.system",
        "ctxstats.models.ContextualizedGLMResults", [], [[]], {}, {"__array__": "a0"}, {"__array__": "zz"},
        {"__array__": 5}, {"__tuple__": 3}, {"__dict__": [[1]]}, {"__dict__": [[[1], 2]]},
        {"__range__": [0, 5, 0]}, {"__range__": ["a", 1, 1]}, {"__index__": 4, "name": None},
        {"__series__": [1, 2], "index": {"__range__": [0, 3, 1], "name": None}, "name": None},
        {"__frame__": [1, 2], "index": 1, "columns": 2}, {"__object__": 7, "state": {}},
        {"__object__": "ctxstats.results.ContextualizedGLMResults", "state": []},
        {"__object__": "ctxstats.results.ContextualizedGLMResults"}]


def _nodes(node, path=()):
    yield path, node
    if isinstance(node, list):
        for i, v in enumerate(node):
            yield from _nodes(v, path + (i,))
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _nodes(v, path + (k,))


def _set(root, path, value):
    if not path:
        return value
    node = root
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return root


def mutate(raw: bytes, rnd: random.Random) -> bytes:
    """One mutant of a saved file: byte-level damage or a structured change of its header
    or members."""
    kind = rnd.choice(["flip", "truncate", "insert", "header", "header", "header", "member", "npy", "deep"])
    if kind == "flip":
        b = bytearray(raw)
        for _ in range(rnd.randint(1, 8)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        return bytes(b)
    if kind == "truncate":
        return raw[:rnd.randrange(len(raw))]
    if kind == "insert":
        i = rnd.randrange(len(raw))
        return raw[:i] + bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16))) + raw[i:]
    members = _members(raw)
    header = json.loads(np.lib.format.read_array(io.BytesIO(members["__header__.npy"])).tobytes().decode())
    if kind == "header":
        paths = [p for p, _ in _nodes(header)]
        for _ in range(rnd.randint(1, 3)):
            path = rnd.choice(paths)
            try:
                header = _set(header, path, copy.deepcopy(rnd.choice(JUNK)))  # JUNK itself never changes
            except (KeyError, IndexError, TypeError):
                pass
            paths = [p for p, _ in _nodes(header)]
    elif kind == "deep":
        depth = rnd.choice([50, 101, 500, 5000])
        text = "[" * depth + "1" + "]" * depth
        members["__header__.npy"] = _npy(np.frombuffer(
            json.dumps(header).replace('"root": ', '"root": ' + text + ', "x": ', 1).encode(), dtype=np.uint8))
        return _zip(members)
    elif kind == "member":
        name = rnd.choice([n for n in members if n != "__header__.npy"] or ["a0.npy"])
        choice = rnd.randrange(4)
        if choice == 0:
            members.pop(name, None)
        elif choice == 1:
            members[name] = _npy(rnd.choice([np.array([]), np.array([1.0]), np.array(["s"]), np.zeros((2, 2, 2)),
                                             np.array([np.nan]), np.array([1e308] * 3), np.array([True])]))
        elif choice == 2:
            members[name] = members.get(name, b"")[: rnd.randrange(1, 200)]
        else:
            members["extra.npy"] = _npy(np.arange(10))
    elif kind == "npy":
        name = rnd.choice(list(members))
        data = bytearray(members[name])
        # Damage the .npy header's dict (shape, dtype, order) with a valid CRC.
        end = min(len(data), 128)
        for _ in range(rnd.randint(1, 4)):
            data[rnd.randrange(6, end)] = rnd.choice(b"0123456789(),' <>fiuObc9")
        members[name] = bytes(data)
    if kind == "header":
        members["__header__.npy"] = _npy(np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
    return _zip(members)


def run_fuzz(n: int, seed: int) -> collections.Counter:
    """Loads n mutants; returns the outcome counts. Raises AssertionError on an outcome
    that is not a ValueError or a usable load."""
    import ctxstats as cs
    seeds = _seed_files()
    names = sorted(seeds)
    rnd = random.Random(seed)
    counts: collections.Counter = collections.Counter()
    rng = np.random.default_rng(1)
    C_new, X_new = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    for i in range(n):
        name = names[i % len(names)]
        raw = mutate(seeds[name], rnd)
        try:
            obj = cs.load(io.BytesIO(raw))
        except ValueError as exc:
            assert str(exc), f"mutant {i} ({name}): a ValueError without a message"
            counts["ValueError"] += 1
            continue
        except Exception as exc:  # noqa: BLE001 - the point: nothing else may escape
            raise AssertionError(f"mutant {i} of {name} (seed {seed}): load raised "
                                 f"{type(exc).__name__}: {exc}") from exc
        counts["loaded"] += 1
        # A loaded object is used as a user would; its errors must be ValueError/TypeError.
        try:
            if hasattr(obj, "predict_params") and hasattr(obj, "model"):  # a personalized fit
                obj.predict_params(C_new)
            elif hasattr(obj, "predict") and hasattr(obj, "fit") and hasattr(obj, "results_"):  # an easy estimator
                obj.predict(C_new, X_new)
            elif hasattr(obj, "fit") and hasattr(obj, "endog"):  # an unfitted model
                obj.n_weights()
            counts["used"] += 1
        except (ValueError, TypeError):
            counts["use refused (ValueError/TypeError)"] += 1
        except Exception as exc:  # noqa: BLE001
            counts[f"use raised {type(exc).__name__}"] += 1
    return counts


def test_mutation_fuzz_of_the_reader_in_a_subprocess():
    proc = subprocess.run([sys.executable, str(pathlib.Path(__file__)), str(N_MUTANTS), "20261130"],
                          capture_output=True, text=True, timeout=600, cwd="/")
    assert proc.returncode == 0, f"the fuzz process ended with {proc.returncode}:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert counts["ValueError"] + counts["loaded"] == N_MUTANTS, counts
    assert counts["ValueError"] > N_MUTANTS // 2, counts
    # Objects that load are then used (predict): loading checks every field of every object
    # (types, shapes, consistency; ctxstats._state), so each one that loads can be used --
    # a malformed file is refused at load, not when it is used.
    assert counts["used"] == counts["loaded"], counts


# ---- the audit's cases, one by one --------------------------------------------------------

@pytest.fixture(scope="module")
def saved():
    return _seed_files()["linear-model"]


def _first_array_key(header) -> str:
    for _, node in _nodes(header["root"]):
        if isinstance(node, dict) and isinstance(node.get("__array__"), str):
            return node["__array__"] + ".npy"
    raise AssertionError("no array in the file")


def _with_header(raw: bytes, change) -> bytes:
    members = _members(raw)
    header = json.loads(np.lib.format.read_array(io.BytesIO(members["__header__.npy"])).tobytes().decode())
    change(header)
    members["__header__.npy"] = _npy(np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
    return _zip(members)


def _load(raw: bytes):
    import ctxstats as cs
    return cs.load(io.BytesIO(raw))


@pytest.mark.parametrize("version", [True, 1.0, "1", [1], None, 0, 2])
def test_format_version_must_be_the_integer_1(saved, version):
    with pytest.raises(ValueError, match="format version"):
        _load(_with_header(saved, lambda h: h.update(format_version=version)))


@pytest.mark.parametrize("path,match", [
    ("ctxstats.io.__class__", "not a class defined in a ctxstats module|not a ctxstats class"),
    ("ctxstats.io", "not a class"),
    ("ctxstats.io.np.ndarray", "does not have|not a class defined in a ctxstats module"),
    ("ctxstats.models.pd", "not a class"),
    ("ctxstats.__builtins__.object", "not a ctxstats class"),
    ("os.system", "not a ctxstats class"),
    ("ctxstats.models.NoSuchModel", "does not have"),
])
def test_object_must_be_a_class_defined_in_ctxstats(saved, path, match):
    with pytest.raises(ValueError, match=match):
        _load(_with_header(saved, lambda h: h.update(root={"__object__": path, "state": {}})))


def test_deep_nesting_is_refused_without_recursion_error(saved):
    for depth in (150, 5000, 100000):
        text = "[" * depth + "1" + "]" * depth
        members = _members(saved)
        members["__header__.npy"] = _npy(np.frombuffer(
            ('{"format": "ctxstats", "format_version": 1, "root": ' + text + "}").encode(), dtype=np.uint8))
        with pytest.raises(ValueError, match="nests deeper|unreadable header"):
            _load(_zip(members))


def test_unreferenced_deflated_gigabyte_is_not_read(saved, tmp_path):
    import resource

    path = tmp_path / "bomb.ctxstats"
    path.write_bytes(saved)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("bomb.npy", "w", force_zip64=True) as fh:
            h = np.lib.format.header_data_from_array_1_0(np.zeros(0, np.uint8))
            h["shape"] = (2**30,)
            np.lib.format.write_array_header_1_0(fh, h)
            block = bytes(2**24)
            for _ in range(64):
                fh.write(block)
    assert path.stat().st_size < 3 * 2**20
    proc = subprocess.run([sys.executable, "-c", (
        "import resource, sys, ctxstats as cs\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"cs.load({str(path)!r})\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")],
        capture_output=True, text=True, timeout=120, cwd="/")
    assert proc.returncode == 0, proc.stderr
    grown_kib = int(proc.stdout.split()[-1])
    assert grown_kib < 100 * 1024, f"peak RSS grew by {grown_kib / 1024:.0f} MiB"
    del resource


def test_referenced_member_larger_than_it_declares_is_refused_before_allocation(saved):
    members = _members(saved)
    header = json.loads(np.lib.format.read_array(io.BytesIO(members["__header__.npy"])).tobytes().decode())
    key = _first_array_key(header)
    # The member's .npy header claims 2**40 doubles (8 TiB); the member holds a few bytes.
    h = np.lib.format.header_data_from_array_1_0(np.zeros(0))
    h["shape"] = (2**40,)
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, h)
    members[key] = buf.getvalue() + bytes(64)
    with pytest.raises(ValueError, match="declares .* bytes"):
        _load(_zip(members))


def test_compressed_members_are_refused(saved):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in _members(saved).items():
            z.writestr(name, data)
    with pytest.raises(ValueError, match="compressed"):
        _load(buf.getvalue())


def test_object_arrays_are_refused(saved):
    members = _members(saved)
    header = json.loads(np.lib.format.read_array(io.BytesIO(members["__header__.npy"])).tobytes().decode())
    key = _first_array_key(header)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([None, 1], dtype=object), allow_pickle=True)
    members[key] = buf.getvalue()
    with pytest.raises(ValueError, match="dtype object"):
        _load(_zip(members))


@pytest.mark.parametrize("cut", [0, 10, 100, 1000, -100, -22, -1])
def test_truncated_files_are_value_errors(saved, cut):
    with pytest.raises(ValueError, match="ctxstats file"):
        _load(saved[:cut])


def test_the_reader_reads_only_referenced_members(saved, monkeypatch):
    import ctxstats.io as cio

    members = _members(saved)
    members["unreferenced.npy"] = b"garbage that is not even an npy file"
    read = []
    real = cio._read_member
    monkeypatch.setattr(cio, "_read_member", lambda archive, key: read.append(key) or real(archive, key))
    _load(_zip(members))
    assert "unreferenced" not in read and read.count("__header__") == 1


@pytest.mark.parametrize("seed,change,match", [
    ("linear-model", lambda st: st.update(exog_names=["a"]), "exog has shape .40, 2., not .endog's 40 rows, 1 names"),
    ("linear-model", lambda st: st.update(family=3), "ContextualizedRegression.family is a int, not a str"),
    ("linear-model", lambda st: st.update(family="poisson"), "ContextualizedRegression.family does not match"),
    ("linear-model", lambda st: st.pop("encoder_options"), "ContextualizedRegression.encoder_options is missing"),
    ("linear-model", lambda st: st.update(predict=1), r"unknown field\(s\) \['predict'\]"),
    ("easy-fitted", lambda st: st.update(results_=[["x"]]),
     r"results_\[0\]\[0\] is a str, not a ContextualizedGLMResults"),
    ("easy-fitted", lambda st: st["results_"][0][0]["state"].update(n_iter=7),
     "ContextualizedGLMResults.n_iter does not match"),
    ("personalized-fit", lambda st: st.update(n_iter="3"), "PersonalizedRegressionResults.n_iter is a str, not a int"),
    ("personalized-fit", lambda st: st["model"]["state"].update(rank=5), "rank"),
])
def test_loaded_objects_are_checked_field_by_field(seed, change, match):
    """Loading checks each object's fields (issue 13: 30 of 521 fuzzed loads failed only when
    used, with AttributeError or IndexError): a wrong type, shape or value is a ValueError at
    load naming the field."""
    raw = _seed_files()[seed]
    with pytest.raises(ValueError, match=match):
        _load(_with_header(raw, lambda h: change(h["root"]["state"])))


def test_a_class_without_a_load_check_is_refused(saved):
    root = {"__object__": "ctxstats.summary.Summary", "state": {}}
    with pytest.raises(ValueError, match="does not read from files"):
        _load(_with_header(saved, lambda h: h.update(root=root)))


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else N_MUTANTS
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20261130
    import warnings
    warnings.simplefilter("ignore")
    print(json.dumps(run_fuzz(n, seed)))
