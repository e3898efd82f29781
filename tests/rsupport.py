"""Shared by the tests that drive R through rpy2 (marker ``against_r``).

The R package is found through $CTXSTATS_R_LIB (``make test`` sets it after installing the
package into .venv/R-lib), else in .venv/R-lib of the repository, else in R's own library
paths. conftest.py skips these tests only where R or rpy2 are missing; a missing R package
is an error, with the command that installs it.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def r_package():
    """Attach the R package ctxstats; returns rpy2.robjects."""
    import rpy2.robjects as ro

    from ctxstats.r import load_r_package

    lib = os.environ.get("CTXSTATS_R_LIB")
    if not lib and (REPO / ".venv" / "R-lib" / "ctxstats").is_dir():
        lib = str(REPO / ".venv" / "R-lib")
    load_r_package(lib)
    return ro


def r_frame(df: pd.DataFrame):
    from ctxstats.r import to_r

    return to_r(df)


def vcm_frame(n=300, family="gaussian", seed=0, nonlinear=True):
    """make_vcm's data as a DataFrame with columns y, x1, x2, c1, c2."""
    from conftest import make_vcm

    d = make_vcm(n=n, p=2, m=2, family=family, seed=seed, nonlinear=nonlinear)
    return pd.DataFrame({"y": d["y"], "x1": d["X"][:, 0], "x2": d["X"][:, 1],
                         "c1": d["C"][:, 0], "c2": d["C"][:, 1]})


def r_options(**options) -> str:
    """Python keyword options as R arguments text (", width = 8, solver = \"adam\"")."""
    def lit(v):
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, str):
            return f'"{v}"'
        return repr(v)
    return "".join(f", {k} = {lit(v)}" for k, v in options.items())


def as_array(r_obj) -> np.ndarray:
    return np.asarray(r_obj, dtype=float)


def r_matrix(ro, a):
    """A numeric numpy matrix as an R matrix (rpy2's numpy converter)."""
    from rpy2.robjects import numpy2ri
    from rpy2.robjects.conversion import localconverter

    with localconverter(ro.default_converter + numpy2ri.converter) as cv:
        return cv.py2rpy(np.asarray(a, dtype=float))
