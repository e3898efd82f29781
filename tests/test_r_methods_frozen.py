"""The linear encoder against R's lm and glm methods, from numbers frozen by
tests/results/r_lm_glm_methods.R (re-run live where R is available): predictions with standard
errors and confidence / prediction intervals (``predict.lm``, ``predict.glm``), the analysis of
deviance of nested fits (``anova``), each residual type, deviance, residual df, log-likelihood,
AIC and BIC. The linear-encoder fit is the lm / glm of the interaction design, so everything
agrees to 1e-8 (relative) -- in Python without R; tests/test_fit_statistics.py holds the same
quantities against statsmodels."""
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs

RESULTS = Path(__file__).parent / "results"
RTOL = 1e-8


def fits(family):
    if family == "gaussian":
        d = pd.read_csv(RESULTS / "r_methods_airquality_data.csv")
        y, X = np.log(d["Ozone"]).rename("log_ozone"), d[["Wind", "Solar.R"]]
        big = cs.ContextualizedGLM(y, X, d[["Temp", "Month"]], encoder="linear").fit()
        small = cs.ContextualizedGLM(y, X, d[["Temp"]], encoder="linear").fit()
        new = pd.DataFrame({"Wind": [5.0, 10, 15], "Solar.R": [100.0, 200, 300], "Temp": [65.0, 80, 95],
                            "Month": [5.0, 7, 9]})
        return big, small, new[["Wind", "Solar.R"]], new[["Temp", "Month"]]
    d = pd.read_csv(RESULTS / "r_quasi_nmes_data.csv")
    kw = dict(family="poisson", encoder="linear")
    big = cs.ContextualizedGLM(d["visits"], d[["chronic", "hospital"]], d[["age"]], **kw).fit()
    small = cs.ContextualizedGLM(d["visits"], d[["chronic"]], d[["age"]], **kw).fit()
    new = pd.DataFrame({"chronic": [0.0, 2, 5], "hospital": [0.0, 1, 3], "age": [6.6, 7.5, 9]})
    return big, small, new[["chronic", "hospital"]], new[["age"]]


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_fit_statistics_and_anova_equal_r(family):
    ref = pd.read_csv(RESULTS / "r_methods_scalars.csv").set_index("family").loc[family]
    big, small, _, _ = fits(family)
    np.testing.assert_allclose([big.deviance, big.df_resid, big.llf, big.aic, big.bic],
                               ref[["deviance", "df_residual", "loglik", "aic", "bic"]].to_numpy(float), rtol=RTOL)
    if family == "poisson":
        np.testing.assert_allclose(big.null_deviance, ref["null_deviance"], rtol=RTOL)
    table = cs.compare(small, big)
    last = table.iloc[-1]
    np.testing.assert_allclose([last["df_diff"], last["dev_diff"], last["statistic"], last["p_value"]],
                               ref[["anova_df", "anova_change", "anova_statistic", "anova_pvalue"]].to_numpy(float),
                               rtol=RTOL)
    test = big.compare_f_test(small) if family == "gaussian" else big.compare_lr_test(small)
    np.testing.assert_allclose(test[:2], ref[["anova_statistic", "anova_pvalue"]].to_numpy(float), rtol=RTOL)


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_predictions_with_standard_errors_equal_r(family):
    ref = pd.read_csv(RESULTS / "r_methods_predictions.csv").query("family == @family")
    big, _, X_new, C_new = fits(family)
    frame = big.get_prediction(X_new, C_new).summary_frame(alpha=0.1)
    np.testing.assert_allclose(frame["mean"], ref["fit"], rtol=RTOL)
    np.testing.assert_allclose(frame["mean_se"], ref["se_fit"], rtol=RTOL)
    np.testing.assert_allclose(frame[["mean_ci_lower", "mean_ci_upper"]], ref[["lower", "upper"]], rtol=RTOL)
    if family == "gaussian":
        np.testing.assert_allclose(frame[["obs_ci_lower", "obs_ci_upper"]], ref[["obs_lower", "obs_upper"]],
                                   rtol=RTOL)


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_residuals_of_each_type_equal_r(family):
    ref = pd.read_csv(RESULTS / "r_methods_residuals.csv").query("family == @family")
    big, _, _, _ = fits(family)
    for kind in ("response", "pearson", "deviance", "working"):
        ours = np.asarray(getattr(big, f"resid_{kind}"), dtype=float)
        np.testing.assert_allclose(ours, ref[kind].to_numpy(), rtol=RTOL, atol=1e-10, err_msg=kind)


@pytest.mark.against_r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R")
def test_frozen_r_numbers_are_what_the_script_writes(tmp_path):
    subprocess.run(["Rscript", str(RESULTS / "r_lm_glm_methods.R"), str(tmp_path)], check=True, capture_output=True)
    for name in ("r_methods_scalars.csv", "r_methods_predictions.csv", "r_methods_residuals.csv",
                 "r_methods_airquality_data.csv"):
        live, frozen = pd.read_csv(tmp_path / name), pd.read_csv(RESULTS / name)
        num = frozen.select_dtypes("number").columns
        np.testing.assert_allclose(live[num].to_numpy(float), frozen[num].to_numpy(float), rtol=1e-10)
        assert live.drop(columns=num).equals(frozen.drop(columns=num))
