"""benchmarks/vcm_data.py must reproduce the project's shared benchmark definition exactly."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "benchmarks" / "vcm_data.py"
SHARED = ROOT.parent / "shared" / "bench" / "vcm_data.py"


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/bench/vcm_data.py is not beside the repository")
@pytest.mark.parametrize("n, task, seed", [(1000, "reg", 0), (1000, "clf", 0), (2345, "reg", 7), (500, "clf", 3)])
def test_local_generator_reproduces_shared(n, task, seed):
    local = _load(LOCAL, "vcm_data_local").make_data(n, task=task, seed=seed)
    shared = _load(SHARED, "vcm_data_shared").make_data(n, task=task, seed=seed)
    assert sorted(local) == sorted(shared)
    for key in shared:
        assert local[key].dtype == shared[key].dtype, key
        np.testing.assert_array_equal(local[key], shared[key], err_msg=key)


def test_generator_shapes_and_split():
    data = _load(LOCAL, "vcm_data_local").make_data(1000, task="reg", seed=1)
    assert data["C"].shape == (1000, 3) and data["X"].shape == (1000, 5) and data["beta"].shape == (1000, 5)
    assert len(data["test"]) == 200 and len(data["train"]) == 800
    assert sorted(np.concatenate([data["train"], data["test"]])) == list(range(1000))
    eta = (data["X"] * data["beta"]).sum(axis=1) + data["mu"]
    np.testing.assert_allclose(data["eta"], eta)
    with pytest.raises(ValueError, match="task"):
        _load(LOCAL, "vcm_data_local").make_data(10, task="poisson")
