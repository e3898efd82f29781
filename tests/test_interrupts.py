"""Ctrl-C stops every long fitting loop of the core within a couple of seconds and leaves the
process usable (issue 13, item 4): personalized regression's epochs, the spline encoder's
REML search (gaussian) and its PQL iterations (binomial). The L-BFGS case is in
test_progress.py."""
import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest

import ctxstats as cs

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")


def data(n=20000, m=6, p=3, seed=0, binary=False):
    rng = np.random.default_rng(seed)
    C, X = rng.normal(size=(n, m)), rng.normal(size=(n, p))
    eta = X.sum(axis=1) * np.sin(C[:, 0])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float) if binary else eta + rng.normal(size=n)
    return y, X, C


def interrupt_latency(fit, after=0.5) -> float:
    """Seconds from SIGINT (sent `after` seconds into `fit()`) to the KeyboardInterrupt."""
    sent = {}

    def send():
        sent["t"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(after, send)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fit()
    finally:
        timer.cancel()
    return time.perf_counter() - sent["t"]


def still_usable():
    y, X, C = data(n=200)
    res = cs.ContextualizedRegression(y, X, C, encoder="linear").fit()
    assert np.isfinite(res.params).all()


def test_personalized_regression_stops_on_ctrl_c():
    y, X, C = data()
    model = cs.PersonalizedRegression(y, X, C)
    latency = interrupt_latency(lambda: model.fit(max_iter=10**6, patience=10**6))
    assert latency < 2.0, latency
    still_usable()


def test_spline_reml_search_stops_on_ctrl_c():
    y, X, C = data()
    model = cs.ContextualizedRegression(y, X, C, encoder="spline", n_knots=60)  # ~1,400 weights: seconds per fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        latency = interrupt_latency(model.fit, after=0.5)
    assert latency < 2.0, latency
    still_usable()


def test_spline_pql_stops_on_ctrl_c():
    y, X, C = data(binary=True)
    model = cs.ContextualizedGLM(y, X, C, family="binomial", encoder="spline", n_knots=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        latency = interrupt_latency(lambda: model.fit(max_iter=10**4, tol=1e-300), after=0.5)
    assert latency < 2.0, latency
    still_usable()


R_FIT = r"""
suppressMessages(library(ctxstats))
set.seed(1); n <- 20000
d <- data.frame(c1 = rnorm(n), c2 = rnorm(n), c3 = rnorm(n), c4 = rnorm(n), c5 = rnorm(n), c6 = rnorm(n),
                x1 = rnorm(n), x2 = rnorm(n), x3 = rnorm(n))
d$y <- (d$x1 + d$x2 + d$x3) * sin(d$c1) + rnorm(n)
f <- y ~ x1 + x2 + x3 | c1 + c2 + c3 + c4 + c5 + c6
cat("started\n")
r <- tryCatch({FIT}, error = function(e) conditionMessage(e))
cat("result:", if (is.character(r)) r else "finished", "\n")
"""


@pytest.mark.against_r
@pytest.mark.parametrize("fit", [
    "personalized_regression(f, data = d, max_iter = 1000000, patience = 1000000)",
    "ctx_glm(f, data = d, encoder = 'spline', n_knots = 60)",
])
def test_r_fits_stop_on_an_interrupt(fit, tmp_path):
    import subprocess

    from rsupport import REPO

    lib = os.environ.get("CTXSTATS_R_LIB") or str(REPO / ".venv" / "R-lib")
    script = tmp_path / "fit.R"
    script.write_text(R_FIT.replace("{FIT}", fit))
    env = dict(os.environ, R_LIBS=lib)
    proc = subprocess.Popen(["Rscript", str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            text=True)
    assert proc.stdout.readline().strip() == "started"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    sent = time.perf_counter()
    out, _ = proc.communicate(timeout=60)
    latency = time.perf_counter() - sent
    assert "interrupted by the user" in out, out
    assert latency < 2.0, latency
