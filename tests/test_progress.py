"""Progress callbacks, early stops requested by the user, and Ctrl-C."""
import os
import signal
import threading

import numpy as np
import pytest

import ctxstats as cs
from conftest import make_vcm


def test_callback_sees_every_iteration_and_can_stop():
    d = make_vcm(n=500)
    seen = []
    res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=8).fit(
        max_iter=200, callback=lambda it, f: seen.append((it, f)) or it < 7)
    assert res.interrupted and res.n_iter == 7 and not res.converged
    assert [it for it, _ in seen] == list(range(1, 8))
    assert np.all(np.diff([f for _, f in seen]) <= 0)  # L-BFGS never increases the objective


def test_callback_exception_propagates():
    d = make_vcm(n=200)

    def broken(it, f):
        raise RuntimeError("from the callback")

    with pytest.raises(RuntimeError, match="from the callback"):
        cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="ngam", width=4).fit(callback=broken)


def test_verbose_fit_runs():
    d = make_vcm(n=200)
    with pytest.warns(cs.ConvergenceWarning, match="L-BFGS reached max_iter=20"):
        res = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4).fit(max_iter=20,
                                                                                             verbose=True)
    assert res.n_iter <= 20


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_ctrl_c_stops_a_long_fit():
    d = make_vcm(n=4000, nonlinear=True)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=64)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            model.fit(max_iter=10**6, tol=1e-300)
    finally:
        timer.cancel()
