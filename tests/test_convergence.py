"""Fits that stop without meeting their stopping criterion warn, with the core's message
naming the criterion, the cap and what to change (DESIGN 1.3; STYLE "Warnings a user can act
on"); converged fits and fits the user stopped do not."""
import warnings

import numpy as np
import pytest

import ctxstats as cs
from ctxstats import ConvergenceWarning
from ctxstats.easy import ContextualizedRegressor
from conftest import make_vcm


def no_convergence_warning(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return fit()


def test_convergence_warning_is_exported_user_warning():
    assert issubclass(ConvergenceWarning, UserWarning)
    assert "ConvergenceWarning" in cs.__all__


def test_lbfgs_at_its_cap_warns_with_the_cap_and_what_to_change():
    d = make_vcm(n=300)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4)
    with pytest.warns(ConvergenceWarning, match=r"L-BFGS reached max_iter=5 ") as record:
        res = model.fit(max_iter=5, early_stopping=False)
    assert not res.converged and res.message == str(record[0].message)
    for advice in ("raise max_iter", "loosen tol", "weight_decay", 'encoder="spline"', "tol=1e-08"):
        assert advice in res.message
    assert "The solver did not converge: L-BFGS reached max_iter=5" in str(res.summary())


def test_early_stopping_at_its_cap_warns():
    d = make_vcm(n=300)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4)
    with pytest.warns(ConvergenceWarning, match=r"L-BFGS reached max_iter=5 on the training rows while the "
                                                r"held-out loss was still falling \(early stopping\)"):
        res = model.fit(max_iter=5)
    assert not res.converged and "raise max_iter" in res.message


def test_adam_at_its_cap_warns():
    d = make_vcm(n=300)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="ngam", width=4)
    with pytest.warns(ConvergenceWarning, match=r"Adam reached max_iter=3 epochs before early stopping"):
        res = model.fit(solver="adam", max_iter=3, patience=50)
    assert not res.converged and "patience=50" in res.message


def test_irls_at_its_cap_warns():
    d = make_vcm(n=300, family="binomial")
    model = cs.ContextualizedLogit(d["y"], d["X"], d["C"], encoder="linear")
    with pytest.warns(ConvergenceWarning, match=r"IRLS reached max_iter=1 before the Newton decrement"):
        res = model.fit(max_iter=1)
    assert not res.converged


def test_pql_at_its_cap_warns():
    d = make_vcm(n=300, family="binomial", m=1)
    model = cs.ContextualizedLogit(d["y"], d["X"], d["C"], encoder="spline")
    with pytest.warns(ConvergenceWarning, match=r"PQL/IRLS reached max_iter=1 "):
        res = model.fit(max_iter=1)
    assert not res.converged


def test_converged_fits_do_not_warn():
    d = make_vcm(n=300)
    res = no_convergence_warning(lambda: cs.ContextualizedRegression(d["y"], d["X"], d["C"],
                                                                     encoder="linear").fit())
    assert res.converged
    res = no_convergence_warning(lambda: cs.ContextualizedRegression(d["y"], d["X"], d["C"],
                                                                     encoder="linear").fit(solver="lbfgs"))
    assert res.converged
    b = make_vcm(n=300, family="binomial")
    res = no_convergence_warning(lambda: cs.ContextualizedLogit(b["y"], b["X"], b["C"], encoder="linear").fit())
    assert res.converged


def test_lbfgs_converged_on_the_last_allowed_iteration_is_converged():
    d = make_vcm(n=300)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    full = model.fit(solver="lbfgs")
    assert full.converged and full.n_iter >= 2
    # The cap's last step reaches the same point: the criterion holds there, so no warning.
    res = no_convergence_warning(lambda: model.fit(solver="lbfgs", max_iter=full.n_iter))
    assert res.converged and res.n_iter == full.n_iter


def test_a_fit_stopped_by_the_user_does_not_warn():
    d = make_vcm(n=300)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4)
    res = no_convergence_warning(lambda: model.fit(max_iter=200, callback=lambda it, f: it < 3))
    assert res.interrupted and not res.converged


def test_unconverged_bootstrap_replicates_give_one_summarising_warning():
    d = make_vcm(n=200)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4)
    with pytest.warns(ConvergenceWarning) as record:
        res = model.fit(max_iter=4, n_bootstraps=3, threads=1)
    texts = [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]
    assert len(texts) == 2 and texts[0].startswith("L-BFGS reached max_iter=4")
    assert texts[1].startswith("3 of 3 bootstrap replicates did not converge")
    assert "The first: L-BFGS reached max_iter=4" in texts[1]
    assert "Bootstrap convergence: 0 of 3 replicate fits converged" in str(res.summary())


def test_converged_bootstrap_does_not_warn_and_summary_gives_the_share():
    d = make_vcm(n=200)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    res = no_convergence_warning(lambda: model.fit(solver="lbfgs", n_bootstraps=4, threads=1))
    assert res.bootstrap_converged.all()
    assert "Bootstrap convergence: 4 of 4 replicate fits converged" in str(res.summary())


def test_personalized_regression_at_its_cap_warns():
    d = make_vcm(n=120, m=3)
    model = cs.PersonalizedRegression(d["y"], d["X"], d["C"])
    with pytest.warns(ConvergenceWarning, match=r"personalized regression's Adam reached max_iter=5 epochs"):
        res = model.fit(max_iter=5, warmup=0, patience=50)
    assert not res.converged


def test_personalized_bootstrap_warns_once():
    d = make_vcm(n=80, m=3)
    model = cs.PersonalizedRegression(d["y"], d["X"], d["C"])
    with pytest.warns(ConvergenceWarning) as record:
        res = model.fit(max_iter=5, warmup=0, patience=50, n_bootstraps=2)
    texts = [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]
    assert len(texts) == 2 and texts[1].startswith("2 of 2 bootstrap replicates did not converge")
    assert "Bootstrap convergence: 0 of 2 replicate fits converged" in str(res.summary())


def test_easy_estimator_warns_through_the_model_api():
    d = make_vcm(n=120)
    with pytest.warns(ConvergenceWarning, match="max_iter="):
        ContextualizedRegressor(width=4, layers=1, max_epochs=2, threads=1).fit(d["C"], d["X"], d["y"])


def test_core_bootstrap_message():
    from ctxstats import _core
    assert _core.bootstrap_convergence_message(0, 5, "") == ""
    assert _core.bootstrap_convergence_message(2, 5, "x").startswith("2 of 5 bootstrap replicates did not converge")


def test_easy_warnings_point_at_the_callers_line():
    from ctxstats.easy import ContextualGAMRegressor
    d = make_vcm(n=120)
    with pytest.warns(ConvergenceWarning) as record:
        ContextualGAMRegressor(width=4, layers=1, max_epochs=2, threads=1).fit(d["C"], d["X"], d["y"])
    with pytest.warns(ConvergenceWarning, match="^2 of 2 bootstrap replicates did not converge") as boot:
        ContextualGAMRegressor(width=4, layers=1, max_epochs=2, threads=1, n_bootstraps=2).fit(
            d["C"], d["X"], d["y"])
    assert [w.filename for w in [*record, *boot]] == [__file__] * (len(record) + len(boot))
