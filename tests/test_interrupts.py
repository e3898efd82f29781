"""Ctrl-C stops every fitting loop of the core within 2 seconds and leaves the process usable
(issue 13, item 4), in Python and in R: personalized regression's epochs, the spline
encoder's REML and GCV searches (gaussian), its PQL iterations (binomial, REML and UBRE), and
the neural solvers (L-BFGS, variable projection, Adam).

What is measured is the work a fit does after the signal: the process's CPU time from SIGINT
to the fit's return, with the fit on one thread (so CPU time is the fitting loop's own time).
Wall-clock time would also count the time other processes hold the CPU (a test of 0.6 s idle
took 2.2 s at load 8 on two cores), which says nothing about how often the loop checks for
the signal. The signal is sent once the fit has used 0.5 CPU seconds, so that it lands inside
the loop whatever the load; and when the process did have the CPU for the whole wait (the
machine was not contended), the wall-clock time must meet the bound as well.
"""
import os
import signal
import subprocess
import threading
import time
import warnings

import numpy as np
import pytest

import ctxstats as cs

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs POSIX signals and /proc")

BOUND = 2.0  # seconds from SIGINT to the fit's return (issue 13)
AFTER = 0.5  # CPU seconds into the fit when the signal is sent


def data(n=20000, m=6, p=3, seed=0, binary=False):
    rng = np.random.default_rng(seed)
    C, X = rng.normal(size=(n, m)), rng.normal(size=(n, p))
    eta = X.sum(axis=1) * np.sin(C[:, 0])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float) if binary else eta + rng.normal(size=n)
    return y, X, C


def check_latency(cpu: float, wall: float, waited_cpu: float, waited_wall: float, what: str) -> None:
    """The bound on the CPU time after the signal; on the wall-clock time too when the fit had
    the CPU to itself before the signal (CPU time at least 90% of the wall-clock wait)."""
    detail = f"{what}: {cpu:.2f} CPU s, {wall:.2f} wall s from SIGINT to return"
    print(detail, f"(before the signal: {waited_cpu:.2f} CPU s in {waited_wall:.2f} wall s)")  # pytest -s shows
    assert cpu < BOUND, detail
    if waited_cpu >= 0.9 * waited_wall:
        assert wall < BOUND, detail + " on an uncontended CPU"


def interrupt_latency(fit, what: str) -> None:
    """Runs ``fit()`` in this process, sends SIGINT once it has used AFTER CPU seconds, expects
    a KeyboardInterrupt and checks the time it took (check_latency)."""
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    sent: dict = {}
    stop = threading.Event()

    def send():
        while not stop.is_set() and time.process_time() - start_cpu < AFTER:
            time.sleep(0.01)
        if stop.is_set():
            return
        sent["cpu"], sent["wall"] = time.process_time(), time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fit()
    finally:
        stop.set()
        sender.join()
    cpu, wall = time.process_time() - sent["cpu"], time.perf_counter() - sent["wall"]
    check_latency(cpu, wall, sent["cpu"] - start_cpu, sent["wall"] - start_wall, what)


def still_usable():
    y, X, C = data(n=200)
    res = cs.ContextualizedRegression(y, X, C, encoder="linear").fit()
    assert np.isfinite(res.params).all()


# Every fitting loop, as (model, fit arguments): long enough that no fit ends before the signal.
LONG = {"max_iter": 10**6, "tol": 1e-300, "threads": 1}
PY_FITS = {
    "personalized": lambda: cs.PersonalizedRegression(*data()).fit(max_iter=10**6, patience=10**6, threads=1),
    # ~1,400 spline weights: seconds per smoothing-parameter step
    "spline-REML": lambda: cs.ContextualizedRegression(*data(), encoder="spline", n_knots=60).fit(threads=1),
    "spline-GCV": lambda: cs.ContextualizedRegression(*data(), encoder="spline", n_knots=60, method="GCV").fit(
        threads=1),
    "spline-PQL-REML": lambda: cs.ContextualizedGLM(*data(binary=True), family="binomial", encoder="spline",
                                                    n_knots=60).fit(max_iter=10**4, tol=1e-300, threads=1),
    "spline-PQL-UBRE": lambda: cs.ContextualizedGLM(*data(binary=True), family="binomial", encoder="spline",
                                                    n_knots=60, method="GCV").fit(max_iter=10**4, tol=1e-300,
                                                                                  threads=1),
    "mlp-lbfgs": lambda: cs.ContextualizedRegression(*data(), encoder="mlp", width=64).fit(solver="lbfgs", **LONG),
    "mlp-varpro": lambda: cs.ContextualizedRegression(*data(), encoder="mlp", width=64).fit(solver="varpro",
                                                                                           weight_decay=1e-3, **LONG),
    "mlp-adam": lambda: cs.ContextualizedRegression(*data(), encoder="mlp", width=64).fit(
        solver="adam", patience=10**6, **LONG),
}


@pytest.mark.parametrize("loop", list(PY_FITS))
def test_every_fitting_loop_stops_on_ctrl_c(loop):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interrupt_latency(PY_FITS[loop], loop)
    still_usable()


R_FIT = r"""
suppressMessages(library(ctxstats))
set.seed(1); n <- 20000
d <- data.frame(c1 = rnorm(n), c2 = rnorm(n), c3 = rnorm(n), c4 = rnorm(n), c5 = rnorm(n), c6 = rnorm(n),
                x1 = rnorm(n), x2 = rnorm(n), x3 = rnorm(n))
d$y <- (d$x1 + d$x2 + d$x3) * sin(d$c1) + rnorm(n)
d$b <- as.numeric(runif(n) < plogis((d$x1 + d$x2 + d$x3) * sin(d$c1)))
f <- y ~ x1 + x2 + x3 | c1 + c2 + c3 + c4 + c5 + c6
fb <- b ~ x1 + x2 + x3 | c1 + c2 + c3 + c4 + c5 + c6
cat("started\n")
r <- tryCatch({FIT}, error = function(e) conditionMessage(e))
cat("result:", if (is.character(r)) r else "finished", "\n")
"""
R_LONG = "max_iter = 1000000, tol = 1e-300, threads = 1"
R_FITS = {
    "personalized": "personalized_regression(f, data = d, max_iter = 1000000, patience = 1000000, threads = 1)",
    "spline-REML": "ctx_glm(f, data = d, encoder = 'spline', n_knots = 60, threads = 1)",
    "spline-GCV": "ctx_glm(f, data = d, encoder = 'spline', n_knots = 60, method = 'GCV', threads = 1)",
    "spline-PQL-REML": "ctx_glm(fb, data = d, family = 'binomial', encoder = 'spline', n_knots = 60, "
                       "max_iter = 10000, tol = 1e-300, threads = 1)",
    "spline-PQL-UBRE": "ctx_glm(fb, data = d, family = 'binomial', encoder = 'spline', n_knots = 60, "
                       "method = 'GCV', max_iter = 10000, tol = 1e-300, threads = 1)",
    "mlp-lbfgs": f"ctx_glm(f, data = d, encoder = 'mlp', width = 64, solver = 'lbfgs', {R_LONG})",
    "mlp-varpro": f"ctx_glm(f, data = d, encoder = 'mlp', width = 64, solver = 'varpro', weight_decay = 1e-3, "
                  f"{R_LONG})",
    "mlp-adam": f"ctx_glm(f, data = d, encoder = 'mlp', width = 64, solver = 'adam', patience = 1000000, {R_LONG})",
}


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.against_r
@pytest.mark.parametrize("loop", list(R_FITS))
def test_every_r_fitting_loop_stops_on_an_interrupt(loop, tmp_path):
    from rsupport import REPO

    lib = os.environ.get("CTXSTATS_R_LIB") or str(REPO / ".venv" / "R-lib")
    script = tmp_path / "fit.R"
    script.write_text(R_FIT.replace("{FIT}", R_FITS[loop]))
    env = dict(os.environ, R_LIBS=lib)
    proc = subprocess.Popen(["Rscript", str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "started"
        start_cpu, start_wall = _cpu_seconds(proc.pid), time.perf_counter()
        while _cpu_seconds(proc.pid) - start_cpu < AFTER:
            assert time.perf_counter() - start_wall < 300, "R did not start fitting"
            time.sleep(0.01)
        sent_cpu, sent_wall = _cpu_seconds(proc.pid), time.perf_counter()
        proc.send_signal(signal.SIGINT)
        out = proc.stdout.read()  # to the end: R has printed its result and is exiting
        wall = time.perf_counter() - sent_wall
        _, status, usage = os.wait4(proc.pid, 0)  # the child's total CPU time, as it exits
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
    assert "interrupted by the user" in out, out
    check_latency(usage.ru_utime + usage.ru_stime - sent_cpu, wall, sent_cpu - start_cpu, sent_wall - start_wall,
                  f"R {loop}")
