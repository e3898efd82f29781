"""Simulation studies at CI size (the studies and their data live in simstudies.py; run
``python tests/simstudies.py`` to print the figures)."""
import numpy as np
import pytest

import simstudies as sims

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("cov_type,reps", [("nonrobust", 1000), ("HC3", 600)])
def test_analytic_intervals_of_average_effects_cover(cov_type, reps):
    coverage = sims.analytic_coverage(reps=reps, n=80, cov_type=cov_type, seed=0)
    assert np.all((coverage >= 0.92) & (coverage <= 0.98)), coverage


def test_bootstrap_percentile_intervals_of_sample_coefficients_cover():
    coverage = sims.bootstrap_coverage(reps=50, n=100, B=100, seed=1)
    assert 0.88 <= coverage.mean() <= 0.99, coverage


def test_wald_heterogeneity_test_size():
    size = sims.heterogeneity_rejections(sims.U_NULL, reps=400, n=100, seed=2)
    assert np.all((size >= 0.02) & (size <= 0.08)), size


def test_wald_heterogeneity_test_power():
    # effect size: x1's coefficient has slope 0.4 in c1 (x, c, noise standard normal), n = 100
    rej = sims.heterogeneity_rejections(sims.power_model(0.4), reps=200, n=100, seed=4)
    assert rej[1] >= 0.80, rej
    assert rej[0] <= 0.1 and rej[2] <= 0.1  # the other two coefficients are constant


def test_bootstrap_heterogeneity_test_size_with_the_linear_encoder():
    size = sims.heterogeneity_rejections(sims.U_NULL, reps=200, n=100, method="bootstrap", B=99,
                                         cov_type="bootstrap", seed=6)
    assert np.all((size >= 0.02) & (size <= 0.08)), size
