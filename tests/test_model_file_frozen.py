"""Model files written by the R package (tests/results/r_model_files.R, frozen with R's own
predictions) load in Python and predict R's parameters exactly, without R: the file format is
one for both languages and stays readable. The live comparison in both directions is
tests/test_model_file_cross_language.py."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs

RESULTS = Path(__file__).parent / "results"


@pytest.mark.parametrize("name", ["linear", "spline", "ngam"])
def test_r_written_model_files_predict_rs_parameters(name):
    res = cs.load(RESULTS / f"r_model_{name}.ctxm")
    new = pd.read_csv(RESULTS / "r_model_new_context.csv", skipinitialspace=True)
    # R's treatment coding of the factor g: columns gb and gc after c1.
    C = np.column_stack([new["c1"], new["g"] == "b", new["g"] == "c"]).astype(float)
    assert res.model.context_names == ["c1", "gb", "gc"]
    expected = pd.read_csv(RESULTS / f"r_model_{name}_params.csv", skipinitialspace=True)
    got = res.predict_params(C)
    assert list(got.columns) == list(expected.columns)
    if name == "ngam":  # tanh comes from the C library, which may differ from the machine that froze these
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(dtype=float), rtol=1e-13, atol=1e-15)
    else:  # arithmetic only: exact on any IEEE machine
        assert np.array_equal(got.to_numpy(), expected.to_numpy(dtype=float))
    assert res.model.formula.startswith("y ~" if name != "ngam" else "count ~")
    str(res.summary())  # the loaded data, report and replicates are enough for the summary
