"""The calibration test's figures quoted in the README and tests/test_calibration.py:

1. the regression numbers against statsmodels on the same constructed regressors (WLS with
   HC0-HC3/nonrobust for a weighted gaussian spline fit; GLM with an offset, nonrobust and HC0,
   for binomial and poisson linear fits): the largest relative differences;
2. the one-sided 5% test of a slope's differential term without heterogeneity: its rejection
   rate over 200 simulated data sets (n = 300, linear encoder, 5 folds);
3. with heterogeneity (n = 2,000): the differential coefficients of the linear and spline fits.

Run from the repository root: python benchmarks/calibration_checks.py (a few minutes).
"""
import sys
from pathlib import Path

import numpy as np
import statsmodels.api as sm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import ctxstats as cs  # noqa: E402
from conftest import make_vcm  # noqa: E402
from test_calibration import regressors, simulate  # noqa: E402


def statsmodels_differences():
    worst = {}

    def note(key, got, ref):
        worst[key] = max(worst.get(key, 0.0), float(np.max(np.abs(np.asarray(got) / np.asarray(ref) - 1))))

    d = make_vcm(n=300, p=2, m=2, seed=4, nonlinear=True)
    w = np.random.default_rng(1).uniform(0.5, 2.0, 300)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="spline", n_knots=6, weights=w)
    for ct in ("HC3", "HC0", "HC1", "HC2", "nonrobust"):
        cal = cs.calibration_test(model, folds=4, seed=2, cov_type=ct)
        for k, name in enumerate(model.param_names):
            o, Z, ww = regressors(model, cal.held_out_params, k)
            ref = sm.WLS(d["y"] - o, Z, weights=ww).fit(cov_type=ct)
            note("gaussian coef", cal.table.loc[name, "coef"], ref.params)
            note("gaussian se", cal.table.loc[name, "std err"], ref.bse)
    for fam, smf in (("binomial", sm.families.Binomial()), ("poisson", sm.families.Poisson())):
        d = make_vcm(n=400, p=2, m=2, family=fam, seed=5)
        model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=fam, encoder="linear")
        for ct in ("nonrobust", "HC0"):
            cal = cs.calibration_test(model, folds=5, seed=1, cov_type=ct)
            for k, name in enumerate(model.param_names):
                o, Z, _ = regressors(model, cal.held_out_params, k)
                ref = sm.GLM(d["y"], Z, family=smf, offset=o).fit(tol=1e-14, cov_type=ct)
                note("glm coef", cal.table.loc[name, "coef"], ref.params)
                note("glm se", cal.table.loc[name, "std err"], ref.bse)
    for key, v in worst.items():
        print(f"{key}: largest relative difference from statsmodels {v:.1e}")


def null_and_alternative():
    p = []
    for seed in range(200):
        y, X, C = simulate(300, 100 + seed, False)
        cal = cs.calibration_test(cs.ContextualizedRegression(y, X, C, encoder="linear"), folds=5, seed=seed)
        p.append(cal.table.loc[("x1", "differential"), "P>t"])
    p = np.asarray(p)
    print(f"no heterogeneity, 200 data sets: rejection rate at 5% {np.mean(p < 0.05):.3f}, mean p {p.mean():.3f}")
    y, X, C = simulate(2000, 11, True)
    for enc, opts in (("linear", {}), ("spline", {"n_knots": 6})):
        cal = cs.calibration_test(cs.ContextualizedRegression(y, X, C, encoder=enc, **opts), folds=5)
        row = cal.table.loc[("x1", "differential")]
        print(f"heterogeneity, {enc}: differential {row['coef']:.4f} (se {row['std err']:.4f}, p {row['P>t']:.1e})")


if __name__ == "__main__":
    statsmodels_differences()
    null_and_alternative()
