"""The negative binomial family (``family="negativebinomial"``: NB2, log link, theta
estimated) against R's MASS::glm.nb on AER's NMES1988 (frozen by tests/results/r_negbin.R,
re-run live where R is available) and statsmodels' NegativeBinomial (live). On the linear
encoder the fit is glm.nb of the interaction design: coefficients, standard errors, theta and
its standard error, the log-likelihood, AIC, BIC, deviance and anova's likelihood-ratio test
equal R's to 1e-8; with ``cov_type="observed"`` the standard errors (and alpha's) equal
statsmodels' to 1e-8, and the default (expected information) ones statsmodels' GLM at
alpha = 1 / theta."""
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ctxstats as cs

RESULTS = Path(__file__).parent / "results"
FULL = "visits ~ chronic + hospital + school | age + income"
RESTRICTED = "visits ~ chronic + hospital | age + income"


@pytest.fixture(scope="module")
def nmes():
    return pd.read_csv(RESULTS / "r_negbin_nmes_data.csv")


def fit(data, formula=FULL, weights=None, cov_type=None, **kwargs):
    model = cs.ContextualizedGLM.from_formula(formula, data, family="negativebinomial", encoder="linear",
                                              weights=weights, **kwargs)
    return model.fit(cov_type=cov_type)


def r_name(name: str) -> str:
    return "(Intercept)" if name == "Intercept" else name


@pytest.fixture(scope="module")
def fits(nmes):
    return {"full": fit(nmes), "restricted": fit(nmes, RESTRICTED), "weighted": fit(nmes, weights="w")}


@pytest.mark.parametrize("case", ["full", "restricted", "weighted"])
def test_negbin_fit_equals_glm_nb(fits, case):
    res = fits[case]
    coef = pd.read_csv(RESULTS / "r_negbin_coefficients.csv")
    r = coef[coef.fit == case].set_index("term")
    names = [r_name(n) for n in res.interaction_names]
    assert sorted(names) == sorted(r.index)
    r = r.loc[names]
    np.testing.assert_allclose(res.interaction_params.to_numpy(), r.estimate, rtol=1e-8)
    se = np.sqrt(np.diag(res.interaction_cov_params().to_numpy()))
    np.testing.assert_allclose(se, r.se, rtol=1e-8)
    s = pd.read_csv(RESULTS / "r_negbin_summary.csv").set_index("fit").loc[case]
    assert res.converged and not res.use_t and res.scale == 1.0
    assert res.theta == pytest.approx(s.theta, rel=1e-8)
    assert res.theta_se == pytest.approx(s.se_theta, rel=1e-8)
    assert res.alpha == pytest.approx(1 / s.theta, rel=1e-8)
    assert res.llf == pytest.approx(s.loglik, rel=1e-10)
    assert res.aic == pytest.approx(s.aic, rel=1e-10)
    assert res.bic == pytest.approx(s.bic, rel=1e-10)
    assert res.deviance == pytest.approx(s.deviance, rel=1e-8)
    assert res.null_deviance == pytest.approx(s.null_deviance, rel=1e-8)
    assert res.pearson_chi2 == pytest.approx(s.pearson_chi2, rel=1e-8)
    assert res.df_resid == s.df_resid
    # glm.nb's own (unpolished) numbers are within its stopping rule of these.
    assert res.theta == pytest.approx(s.glmnb_theta, rel=1e-9)
    np.testing.assert_allclose(res.interaction_params.to_numpy(), r.glmnb_estimate, rtol=1e-7, atol=1e-10)
    text = str(res.summary())
    assert "negativebinomial" in text and "Theta" in text


def test_negbin_residuals_are_glm_nb_residuals(fits):
    res = fits["weighted"]
    assert np.sum(res.resid_deviance ** 2) == pytest.approx(res.deviance, rel=1e-12)
    assert np.sum(res.resid_pearson ** 2) == pytest.approx(res.pearson_chi2, rel=1e-12)
    np.testing.assert_allclose(res.resid_working, res.resid_response / res.fittedvalues, rtol=1e-12)


def test_negbin_anova_is_glm_nb_likelihood_ratio(nmes, fits):
    ref = pd.read_csv(RESULTS / "r_negbin_anova.csv").iloc[0]
    small, full = fits["restricted"], fits["full"]
    lr, p, df = full.compare_lr_test(small)
    assert df == ref.df
    np.testing.assert_allclose([lr, p], [ref.lr, ref.p], rtol=1e-8)
    table = cs.compare(small, full)
    assert table.attrs["test"] == "LR"
    row = table.iloc[1]
    assert row.df_diff == ref.df
    np.testing.assert_allclose([row.statistic, row.p_value], [ref.lr, ref.p], rtol=1e-8)
    with pytest.raises(ValueError, match="one family"):
        cs.compare(small, cs.ContextualizedGLM.from_formula(FULL, nmes, family="poisson", encoder="linear").fit())


def test_negbin_equals_statsmodels_negative_binomial(nmes, fits):
    """statsmodels' discrete NegativeBinomial (nb2) on the interaction design: the same
    maximum-likelihood estimates, alpha = 1 / theta, and with cov_type="observed" its standard
    errors (the inverse observed information of the coefficients and alpha jointly)."""
    sm = pytest.importorskip("statsmodels.api")
    import statsmodels.formula.api as smf

    res = fits["full"]
    obs = fit(nmes, cov_type="observed")
    design = smf.negativebinomial("visits ~ (chronic + hospital + school) * (age + income)", nmes,
                                  loglike_method="nb2")
    names = design.exog_names[:-1]  # statsmodels' names are ctxstats' ("Intercept", "chronic:age")
    start = np.r_[res.interaction_params.reindex(names).to_numpy(), res.alpha]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = design.fit(start_params=start, method="newton", maxiter=100, tol=1e-14, disp=0)
    ours = res.interaction_params.reindex(names)
    np.testing.assert_allclose(ours.to_numpy(), ref.params[names].to_numpy(), rtol=1e-8, atol=1e-12)
    assert res.alpha == pytest.approx(ref.params["alpha"], rel=1e-8)
    assert res.llf == pytest.approx(ref.llf, rel=1e-12)
    assert res.aic == pytest.approx(ref.aic, rel=1e-12) and res.bic == pytest.approx(ref.bic, rel=1e-12)
    se = pd.Series(np.sqrt(np.diag(obs.interaction_cov_params().to_numpy())), index=obs.interaction_names)[names]
    np.testing.assert_allclose(se.to_numpy(), ref.bse[names].to_numpy(), rtol=1e-8)
    assert res.alpha_se == pytest.approx(ref.bse["alpha"], rel=1e-8)
    # GLM(NegativeBinomial(alpha)) at the same alpha: the expected-information standard errors.
    glm = sm.GLM(design.endog, design.exog,
                 family=sm.families.NegativeBinomial(alpha=res.alpha)).fit(tol=1e-14, maxiter=100)
    ours_se = pd.Series(np.sqrt(np.diag(res.interaction_cov_params().to_numpy())), index=res.interaction_names)
    np.testing.assert_allclose(ours_se[names].to_numpy(), glm.bse, rtol=1e-8)
    # The observed and expected informations differ by several percent here (8% at most).
    assert np.max(np.abs(se.to_numpy() / ours_se[names].to_numpy() - 1)) > 0.01


def test_negbin_robust_and_cluster_covariances(nmes, fits):
    res = fits["full"]
    hc0 = res.interaction_cov_params("HC0").to_numpy()
    hc1 = res.interaction_cov_params("HC1").to_numpy()
    n, k = res.nobs, len(res.interaction_names)
    np.testing.assert_allclose(hc1, hc0 * n / (n - k), rtol=1e-12)
    groups = np.arange(len(nmes)) % 40
    cl = fit(nmes, cov_type="cluster", groups=groups)
    assert cl.cov_type == "cluster" and np.all(np.isfinite(cl.bse))


def test_negbin_predictions_and_formula_spellings(nmes, fits):
    res = fits["full"]
    np.testing.assert_allclose(res.predict(), res.fittedvalues)
    pred = res.get_prediction().summary_frame()
    assert np.all(pred["mean_ci_lower"] < pred["mean"]) and np.all(pred["mean"] < pred["mean_ci_upper"])
    for name in ("negbin", "NegativeBinomial"):
        again = cs.ContextualizedGLM.from_formula(FULL, nmes, family=name, encoder="linear").fit()
        assert again.model.family == "negativebinomial"
        np.testing.assert_array_equal(again.weights, res.weights)
    import ctxstats.formula.api as smf_ctx
    api = smf_ctx.ctx_glm(FULL, nmes, family="negativebinomial", encoder="linear").fit(threads=1)
    np.testing.assert_array_equal(api.weights, res.weights)  # bitwise for any thread count


def test_negbin_refuses_what_it_cannot_do(nmes):
    small = nmes.iloc[:400]
    for encoder in ("spline", "mlp", "ngam"):
        with pytest.raises(ValueError, match="encoder 'linear' only"):
            cs.ContextualizedGLM.from_formula(FULL, small, family="negativebinomial", encoder=encoder)
    with pytest.raises(ValueError, match="not available with family 'negativebinomial'"):
        fit(small).model.fit(n_bootstraps=5)
    with pytest.raises(ValueError, match="'observed'.*negativebinomial"):
        cs.ContextualizedGLM.from_formula(FULL, small, family="poisson", encoder="linear").fit(cov_type="observed")
    with pytest.raises(ValueError, match="dispersion"):
        cs.ContextualizedGLM.from_formula(FULL, small, family="negativebinomial", encoder="linear",
                                          dispersion="pearson")
    bad = small.assign(visits=small.visits.astype(float))
    bad.loc[bad.index[3], "visits"] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        cs.ContextualizedGLM.from_formula(FULL, bad, family="negativebinomial", encoder="linear")
    with pytest.raises(ValueError, match="theta"):
        fit(small).save("never-written.ctx")
    with pytest.raises(ValueError, match="not for personalized regression"):
        cs.PersonalizedRegression.from_formula(FULL, small, family="negativebinomial").fit()


def test_negbin_without_overdispersion_warns(nmes):
    rng = np.random.default_rng(0)
    data = nmes.iloc[:2000].copy()
    data["visits"] = rng.poisson(np.exp(0.5 + 0.1 * data.chronic))
    with pytest.warns(cs.ConvergenceWarning, match="poisson"):
        fit(data, "visits ~ chronic | age")


@pytest.mark.against_r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R")
def test_frozen_r_numbers_are_what_the_script_writes(tmp_path):
    subprocess.run(["Rscript", str(RESULTS / "r_negbin.R"), str(tmp_path)], check=True, capture_output=True)
    for name in ("r_negbin_coefficients.csv", "r_negbin_summary.csv", "r_negbin_anova.csv", "r_negbin_poisson.csv",
                 "r_negbin_nmes_data.csv"):
        live, frozen = pd.read_csv(tmp_path / name), pd.read_csv(RESULTS / name)
        num = frozen.select_dtypes("number").columns
        np.testing.assert_allclose(live[num].to_numpy(), frozen[num].to_numpy(), rtol=1e-10)
        assert live.drop(columns=num).equals(frozen.drop(columns=num))


@pytest.mark.against_r
def test_r_package_negbin_equals_python_and_glm_nb(nmes, fits):
    """Live through rpy2: the R package's ctx_glm(family = "negbin") gives bitwise the Python
    fit, and MASS::glm.nb in the same session the same theta and 2 x log-likelihood."""
    from rsupport import as_array, r_frame, r_package

    ro = r_package()
    ro.globalenv["nmes"] = r_frame(nmes)
    ro.r('fit <- ctx_glm(visits ~ chronic + hospital + school | age + income, data = nmes, family = "negbin", '
         'encoder = "linear")')
    res = fits["full"]
    np.testing.assert_array_equal(as_array(ro.r("fit$encoder_weights")), res.weights)
    assert as_array(ro.r("fit$theta"))[0] == res.theta
    assert as_array(ro.r("fit$SE.theta"))[0] == pytest.approx(res.theta_se, rel=1e-12)
    ro.r("nb <- MASS::glm.nb(visits ~ (chronic + hospital + school) * (age + income), data = nmes)")
    assert as_array(ro.r("nb$theta"))[0] == pytest.approx(res.theta, rel=1e-9)
    assert as_array(ro.r("nb$twologlik"))[0] == pytest.approx(2 * res.llf, rel=1e-12)
    np.testing.assert_allclose(as_array(ro.r("sqrt(diag(vcov(fit)))")), res.bse, rtol=1e-12)
