"""Quasi-likelihood fits (``dispersion="pearson"``: R's quasipoisson and quasibinomial) against
R's glm on real data: AER's NMES1988 (overdispersed counts) and base R's esoph (binomial
proportions with prior weights). The R numbers are frozen by tests/results/r_quasi_families.R
(re-run live where R is available). On the linear encoder the fit is the glm of the interaction
design, so every coefficient, standard error, t value, p-value, the dispersion and anova's F
test equal R's to 1e-8."""
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs

RESULTS = Path(__file__).parent / "results"
CASES = {
    "quasipoisson": ("r_quasi_nmes_data.csv", "visits ~ chronic + hospital | age", "visits ~ chronic | age",
                     "poisson", None),
    "quasibinomial": ("r_quasi_esoph_data.csv", "share ~ alc | age + tob", "share ~ alc | age", "binomial", "n"),
}


def fit(case, restricted=False, **kwargs):
    path, full, small, family, weights = CASES[case]
    data = pd.read_csv(RESULTS / path)
    model = cs.ContextualizedGLM.from_formula(small if restricted else full, data, family=family, encoder="linear",
                                              weights=weights, **kwargs)
    return model.fit()


def r_name(name: str) -> str:
    return "(Intercept)" if name == "Intercept" else name


@pytest.mark.parametrize("case", list(CASES))
def test_quasi_fit_equals_r_glm(case):
    ref = pd.read_csv(RESULTS / "r_quasi_coefficients.csv")
    for restricted in (False, True):
        res = fit(case, restricted, dispersion="pearson")
        r = ref[ref.fit == case + ("_restricted" if restricted else "")].set_index("term")
        names = [r_name(n) for n in res.interaction_names]
        assert sorted(names) == sorted(r.index)
        r = r.loc[names]
        np.testing.assert_allclose(res.interaction_params.to_numpy(), r.estimate, rtol=1e-8)
        se = np.sqrt(np.diag(res.interaction_cov_params().to_numpy()))
        np.testing.assert_allclose(se, r.se, rtol=1e-8)
        assert res.use_t and res.model.quasi
        assert res.scale == pytest.approx(r.dispersion.iloc[0], rel=1e-8)
        assert res.deviance == pytest.approx(r.deviance.iloc[0], rel=1e-10)
        assert res.df_resid == r.df_resid.iloc[0]
        assert np.isnan(res.llf) and np.isnan(res.aic) and np.isnan(res.bic)
        assert f"Family:              {case}" in str(res.summary()) or case in str(res.summary())


@pytest.mark.parametrize("case", list(CASES))
def test_quasi_anova_is_r_anova_test_f(case):
    ref = pd.read_csv(RESULTS / "r_quasi_anova.csv").set_index("family").loc[case]
    small, full = fit(case, True, dispersion="pearson"), fit(case, False, dispersion="pearson")
    table = cs.compare(small, full)
    assert table.attrs["test"] == "F"
    row = table.iloc[1]
    assert row.df_diff == ref.df and row.df_resid == ref.df_resid
    np.testing.assert_allclose([row.dev_diff, row.statistic, row.p_value], [ref.dev_diff, ref.F, ref.p], rtol=1e-8)
    F, p, df = full.compare_f_test(small)
    np.testing.assert_allclose([F, p], [ref.F, ref.p], rtol=1e-8)
    with pytest.raises(ValueError, match="no likelihood"):
        full.compare_lr_test(small)
    with pytest.raises(ValueError, match="quasi"):
        cs.compare(fit(case, True), full)


@pytest.mark.parametrize("case", list(CASES))
def test_quasi_fit_has_the_family_fit_and_scaled_standard_errors(case):
    """The estimates are the family's (bitwise); the standard errors are sqrt(dispersion) times
    the family's, whose dispersion is 1; robust covariances do not involve the dispersion."""
    plain, quasi = fit(case), fit(case, dispersion="pearson")
    assert np.array_equal(plain.weights, quasi.weights)
    assert plain.scale == 1.0 and not plain.use_t and np.isfinite(plain.llf)
    np.testing.assert_allclose(quasi.bse, plain.bse * np.sqrt(quasi.scale), rtol=1e-12)
    np.testing.assert_allclose(quasi.interaction_cov_params("HC0"), plain.interaction_cov_params("HC0"), rtol=1e-12)


def test_dispersion_option_is_refused_where_it_does_not_apply():
    data = pd.read_csv(RESULTS / "r_quasi_nmes_data.csv").iloc[:300]
    gaussian = cs.ContextualizedGLM.from_formula("visits ~ chronic | age", data, encoder="linear", dispersion="pearson")
    assert not gaussian.quasi  # the gaussian dispersion is estimated anyway: the same fit
    np.testing.assert_array_equal(gaussian.fit().bse, cs.ContextualizedGLM.from_formula(
        "visits ~ chronic | age", data, encoder="linear").fit().bse)
    with pytest.raises(ValueError, match="dispersion"):
        cs.ContextualizedGLM.from_formula("visits ~ chronic | age", data, family="poisson", encoder="linear",
                                          dispersion="estimated")


@pytest.mark.filterwarnings("ignore::ctxstats.ConvergenceWarning")
def test_quasi_neural_fit_reports_the_estimated_dispersion():
    data = pd.read_csv(RESULTS / "r_quasi_nmes_data.csv").iloc[:1500]
    kw = dict(family="poisson", encoder="ngam", width=4)
    plain = cs.ContextualizedGLM.from_formula("visits ~ chronic | age", data, **kw).fit(threads=1, max_iter=50)
    quasi = cs.ContextualizedGLM.from_formula("visits ~ chronic | age", data, dispersion="pearson",
                                              **kw).fit(threads=1, max_iter=50)
    assert np.array_equal(plain.weights, quasi.weights)
    assert quasi.scale == pytest.approx(quasi.pearson_chi2 / quasi.df_resid) and quasi.scale > 2
    assert np.isnan(quasi.llf)


def test_quasi_model_round_trips_through_the_model_file(tmp_path):
    res = fit("quasibinomial", dispersion="pearson")
    res.save(tmp_path / "q.ctx")
    back = cs.load(tmp_path / "q.ctx")
    assert back.model.quasi and back.scale == res.scale
    np.testing.assert_array_equal(back.bse, res.bse)


@pytest.mark.against_r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R")
def test_frozen_r_numbers_are_what_the_script_writes(tmp_path):
    subprocess.run(["Rscript", str(RESULTS / "r_quasi_families.R"), str(tmp_path)], check=True, capture_output=True)
    for name in ("r_quasi_coefficients.csv", "r_quasi_anova.csv", "r_quasi_nmes_data.csv", "r_quasi_esoph_data.csv"):
        live, frozen = pd.read_csv(tmp_path / name), pd.read_csv(RESULTS / name)
        num = frozen.select_dtypes("number").columns
        np.testing.assert_allclose(live[num].to_numpy(), frozen[num].to_numpy(), rtol=1e-10)
        assert live.drop(columns=num).equals(frozen.drop(columns=num))
