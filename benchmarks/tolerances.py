"""Prints the tolerances the core reaches: the largest relative gradient error against central
differences over encoder x family x penalty, and the largest difference between the exact
solver and statsmodels on the interaction design. Run: python benchmarks/tolerances.py"""
import sys
from pathlib import Path

import numpy as np
import statsmodels.api as sm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import ctxstats as cs  # noqa: E402
from conftest import make_vcm  # noqa: E402
from test_gradients import ENCODERS, PENALTIES, central_differences  # noqa: E402
from test_vs_statsmodels import reference_fit  # noqa: E402

worst = 0.0
for family in ["gaussian", "binomial", "poisson"]:
    for encoder, opts in ENCODERS:
        for penalty in PENALTIES:
            d = make_vcm(n=40, p=2, m=3, family=family, seed=1)
            model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder=encoder,
                                         weights=np.random.default_rng(2).uniform(0.5, 2.0, size=40), **opts)
            w = np.random.default_rng(3).normal(scale=0.4, size=model.n_weights())
            _, g = model.objective(w, **penalty)
            g_fd = central_differences(model, w, **penalty)
            worst = max(worst, np.linalg.norm(g - g_fd) / np.linalg.norm(g_fd))
print(f"gradient checks: {3 * len(ENCODERS) * len(PENALTIES)} cases, largest relative error {worst:.2e}")

for family in ["gaussian", "binomial", "poisson"]:
    d = make_vcm(n=600, p=3, m=2, family=family, seed=7)
    d["C"][:, 1] *= 1e3
    d["X"][:, 0] += 50.0
    ref_theta, ref = reference_fit(d, family)
    res = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear").fit()
    rel = np.abs(res.sample_params.to_numpy() - ref_theta).max() / np.abs(ref_theta).max()
    lb = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear").fit(solver="lbfgs", tol=1e-10)
    print(f"{family:8s} exact vs statsmodels: max |diff| / max |param| = {rel:.1e}; "
          f"fitted values {np.abs(res.fittedvalues - ref.fittedvalues).max():.1e}; "
          f"lbfgs vs statsmodels max |diff| {np.abs(lb.sample_params.to_numpy() - ref_theta).max():.1e}")
