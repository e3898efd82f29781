"""The scripts in examples/ run as a user runs them (as __main__, figures in a temp dir)."""
import pathlib
import runpy
import sys

import pytest

import ctxstats

EXAMPLES = sorted((pathlib.Path(__file__).resolve().parent.parent / "examples").glob("*.py"))


# Every fit in the examples converges by its stated criterion (issue 12): a ConvergenceWarning
# is an error here (tests/conftest.py), as it is in the rest of the suite.
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path, monkeypatch, capsys):
    # In-process (a subprocess would inherit the LD_LIBRARY_PATH that rpy2 sets for R, which
    # can point a shared-library Python at another libpython); figures go to a temp dir.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setattr(sys, "argv", [str(script)])
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_examples_exist():
    names = {p.stem for p in EXAMPLES}
    assert {"heterogeneous_treatment_effects", "varying_coefficients_vs_statsmodels", "easy_api",
            "personalized_regression", "r_interop"} <= names


def test_demo_saves_figures(tmp_path):
    pytest.importorskip("matplotlib")
    import statsmodels.api as sm

    from ctxstats.demo import save_figures

    data = sm.datasets.fair.load_pandas().data.iloc[:400]
    y = (data["affairs"] > 0).astype(float)
    res = ctxstats.ContextualizedLogit(y, data[["rate_marriage", "religious"]],
                                   data[["age", "yrs_married", "educ"]], encoder="linear").fit()
    save_figures(res, "linear", folder=str(tmp_path / "demo_figures"))
    files = sorted(p.name for p in (tmp_path / "demo_figures").iterdir())
    assert files == ["linear_coefficients.png", "linear_effects.png", "linear_embedding.png", "linear_heatmap.png"]
