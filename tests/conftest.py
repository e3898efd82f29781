import contextlib
import os

import numpy as np
import pytest

# Before rpy2 starts R in this process (pytest_collection_modifyitems): embedded R prepends its
# library folders to LD_LIBRARY_PATH, where Debian's libpython3.11 would then shadow the
# interpreter's own in any Python subprocess (dask's workers fail to import ssl).
_LD_LIBRARY_PATH_AT_START = os.environ.get("LD_LIBRARY_PATH")

# pyproject.toml turns ctxstats.ConvergenceWarning into an error. Tests that fit with a few
# iterations on purpose (speed, parity, shapes), or fit a default neural encoder that stops
# at its cap, say so with these markers; each quotes the start of the core's message.
short_fits = pytest.mark.filterwarnings(
    "ignore:(L-BFGS|Variable projection|Adam|personalized regression's Adam) reached max_iter=:"
    "ctxstats.ConvergenceWarning")
short_bootstraps = pytest.mark.filterwarnings(
    "ignore:[0-9]+ of [0-9]+ bootstrap replicates did not converge:ctxstats.ConvergenceWarning")


def pytest_collection_modifyitems(config, items):
    # CTXSTATS_SKIP_R: `make sanitize-python`, whose process preloads the ASan runtime, in
    # which embedded R (rpy2) crashes on start-up; the tests against R are skipped there.
    if os.environ.get("CTXSTATS_SKIP_R"):
        have_r = False
    else:
        try:
            import rpy2.robjects  # noqa: F401
            have_r = True
        except Exception:  # rpy2 missing, or R missing behind it
            have_r = False
    if not have_r:
        skip = pytest.mark.skip(reason="needs R and rpy2 (or CTXSTATS_SKIP_R is set)")
        for item in items:
            if "against_r" in item.keywords:
                item.add_marker(skip)


def make_vcm(n=400, p=2, m=2, family="gaussian", seed=0, nonlinear=False):
    """A varying-coefficient data set with known per-sample parameters."""
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(n, m))
    X = rng.normal(size=(n, p))
    if nonlinear:
        beta = np.stack([np.sin(2 * C[:, j % m]) + 0.5 * C[:, (j + 1) % m] ** 2 for j in range(p)], axis=1)
        mu = np.cos(C[:, 0])
    else:
        A = rng.normal(size=(m, p))
        beta = 0.5 + C @ A * 0.5
        mu = 0.3 * C[:, 0] - 0.2
    eta = mu + (X * beta).sum(axis=1)
    if family == "gaussian":
        y = eta + 0.3 * rng.normal(size=n)
    elif family == "binomial":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        eta = 0.3 * eta
        beta, mu = 0.3 * beta, 0.3 * mu
        y = rng.poisson(np.exp(eta)).astype(float)
    return dict(C=C, X=X, y=y, beta=beta, mu=mu)


@pytest.fixture
def vcm():
    return make_vcm


def pytest_configure(config):
    # `make sanitize-python` runs tests against an extension built with ASan/UBSan, staged on
    # PYTHONPATH; make sure that is the ctxstats imported (subprocesses inherit PYTHONPATH).
    import os

    expect = os.environ.get("CTXSTATS_EXPECT_CORE")
    if expect:
        import ctxstats

        assert ctxstats.__file__.startswith(expect), f"imported {ctxstats.__file__}, not the build in {expect}"


# A Dask cluster for the tests of ctxstats.dask (tests/test_dask*.py): 2 worker processes of
# one thread each, started once per session by the first test that asks for it, on this
# machine only (no external service), closed at the end. Startup and every connection are
# bounded by timeouts; the tests using it also arm a watchdog (tests/test_dask.py).
DASK_TIMEOUT = 120  # seconds


@contextlib.contextmanager
def local_dask_client(n_workers: int = 2):
    """A client of a new LocalCluster of ``n_workers`` worker processes (each under a nanny that
    restarts it if it dies), closed on exit."""
    import dask
    from distributed import Client, LocalCluster

    def set_library_path(value):
        if value is None:
            os.environ.pop("LD_LIBRARY_PATH", None)
        else:
            os.environ["LD_LIBRARY_PATH"] = value

    with dask.config.set({"distributed.comm.timeouts.connect": "30s", "distributed.comm.timeouts.tcp": "60s",
                          "distributed.scheduler.allowed-failures": 1}):
        now = os.environ.get("LD_LIBRARY_PATH")
        set_library_path(_LD_LIBRARY_PATH_AT_START)  # the worker processes start with it
        try:
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=":0", memory_limit="2GiB", silence_logs=40,
                                   timeout=DASK_TIMEOUT)
            client = Client(cluster, timeout=DASK_TIMEOUT)
            client.wait_for_workers(n_workers, timeout=DASK_TIMEOUT)
        finally:
            set_library_path(now)
        try:
            yield client
        finally:
            client.close(timeout=DASK_TIMEOUT)
            cluster.close(timeout=DASK_TIMEOUT)


@pytest.fixture(scope="session")
def dask_client():
    with local_dask_client(2) as client:
        yield client
