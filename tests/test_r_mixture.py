"""The R package's ctx_mixture() against Python's ContextualizedMixture: the same core, the same
data and seed give the same numbers, bit for bit (see r-bindings/src/Makevars on Eigen)."""
import numpy as np
import pytest

import ctxstats.formula.api as smf_ctx
from rsupport import as_array, r_frame, r_package
from test_mixture import FORMULA, simulate

pytestmark = pytest.mark.against_r


@pytest.fixture(scope="module")
def ro():
    return r_package()


@pytest.mark.parametrize("k", [2, 3])
def test_r_and_python_give_the_same_mixture(ro, k):
    data, _ = simulate(400, 21)
    py = smf_ctx.ctx_mixture(FORMULA, data, n_components=k).fit(seed=4, n_starts=5)
    ro.globalenv["d"] = r_frame(data)
    ro.r(f"f <- ctx_mixture(y ~ x1 + x2 | c1 + c2, d, k = {k}, seed = 4, n_starts = 5)")
    assert float(ro.r("f$loglik")[0]) == py.llf
    assert list(ro.r("rownames(coef(f))")) == list(py.params.index)
    assert np.array_equal(as_array(ro.r("coef(f)")), py.params.to_numpy())
    assert np.array_equal(as_array(ro.r("f$posterior")), py.posterior.to_numpy())
    assert np.array_equal(as_array(ro.r("f$sigma")), py.sigma.to_numpy())
    assert np.array_equal(as_array(ro.r("f$gate")), py.gate_params.to_numpy())
    assert np.array_equal(as_array(ro.r("sample_coef(f)[[2]]")), py.sample_params["Comp.2"].to_numpy())
    assert np.array_equal(as_array(ro.r("predict(f)")), py.predict())


def test_bic_choice_agrees(ro):
    data, _ = simulate(300, 22)
    py = smf_ctx.ctx_mixture(FORMULA, data, n_components="bic").fit(seed=1, n_starts=3, k_range=(1, 3))
    ro.globalenv["d"] = r_frame(data)
    ro.r("f <- ctx_mixture(y ~ x1 + x2 | c1 + c2, d, k = 'bic', seed = 1, n_starts = 3, k_range = c(1, 3))")
    assert int(ro.r("f$k")[0]) == py.k
    np.testing.assert_array_equal(as_array(ro.r("f$bic_table$BIC")), py.bic_table["bic"].to_numpy())


def test_core_errors_carry_the_same_message(ro):
    data, _ = simulate(100, 23)
    ro.globalenv["d"] = r_frame(data)
    with pytest.raises(ValueError) as py_err:
        smf_ctx.ctx_mixture(FORMULA, data, n_components=8).fit()
    r_msg = ro.r("tryCatch(ctx_mixture(y ~ x1 + x2 | c1 + c2, d, k = 8), error = conditionMessage)")[0]
    assert r_msg == str(py_err.value)


def test_bootstrap_agrees(ro):
    data, _ = simulate(300, 23)
    py = smf_ctx.ctx_mixture(FORMULA, data, n_components=2).fit(seed=3, n_starts=3, n_bootstraps=20)
    ro.globalenv["d"] = r_frame(data)
    ro.r("f <- ctx_mixture(y ~ x1 + x2 | c1 + c2, d, k = 2, seed = 3, n_starts = 3, n_bootstraps = 20)")
    assert np.array_equal(as_array(ro.r("f$se")), py.bse.to_numpy())
    assert np.array_equal(as_array(ro.r("f$bootstrap$coef")), np.asarray(py.bootstrap["coef"]))
    ci = py.conf_int()
    r_ci = as_array(ro.r("confint(f)"))
    np.testing.assert_array_equal(r_ci[:, 0], np.concatenate([ci[(c, "lower")].to_numpy() for c in py.component_names]))
