"""ctxstats on Dask distributed (ctxstats.dask), on a LocalCluster of 2 worker processes started
by the tests (conftest.dask_client): bootstrap replicates as tasks are bitwise those of a local
fit; exact fits of data held as dask collections equal the in-memory fits to 1e-10; a bad
partition fails with the in-memory fit's message, naming the partition."""
import faulthandler
import re

import dask
import dask.array as da  # test dependencies (the [test] extra): a missing install fails, never skips
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

import ctxstats as cs
from ctxstats.formula.api import ctx_glm
from conftest import DASK_TIMEOUT, local_dask_client, make_vcm, short_bootstraps, short_fits


@pytest.fixture(autouse=True)
def watchdog():
    """No test here can hang CI: past the limit, dump every thread's stack and exit."""
    faulthandler.dump_traceback_later(2 * DASK_TIMEOUT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


# ---- bootstrap replicates as tasks ----------------------------------------------------------------

@short_fits
@short_bootstraps
@pytest.mark.parametrize("encoder,solver,weighted", [("linear", "exact", False), ("mlp", "lbfgs", True)])
def test_cluster_bootstrap_is_bitwise_the_local_one(dask_client, encoder, solver, weighted):
    d = make_vcm(n=300, p=2, m=2, nonlinear=True, seed=3)
    w = np.random.default_rng(1).uniform(0.5, 1.5, size=300) if weighted else None
    neural = {} if encoder == "linear" else {"width": 4}
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder=encoder, weights=w, **neural)
    kw = dict(solver=solver, max_iter=15, seed=5, n_bootstraps=11)
    local = model.fit(threads=2, **kw)
    remote = model.fit(client=dask_client, **kw)
    assert np.array_equal(remote.weights, local.weights)
    assert np.array_equal(remote.bootstrap_weights, local.bootstrap_weights)
    assert np.array_equal(remote.bootstrap_n_iter, local.bootstrap_n_iter)
    assert np.array_equal(remote.bootstrap_converged, local.bootstrap_converged)
    # the results are the same objects: standard errors, intervals and tables agree to the bit
    assert np.array_equal(remote.bse.to_numpy(), local.bse.to_numpy())
    assert np.array_equal(remote.conf_int().to_numpy(), local.conf_int().to_numpy())
    lo_r, hi_r = remote.sample_conf_int()
    lo_l, hi_l = local.sample_conf_int()
    assert np.array_equal(lo_r.to_numpy(), lo_l.to_numpy()) and np.array_equal(hi_r.to_numpy(), hi_l.to_numpy())
    assert str(remote.summary()) == str(local.summary())


@pytest.mark.filterwarnings("ignore::ctxstats.ConvergenceWarning")  # this test is about faults
def test_a_worker_lost_mid_bootstrap_changes_nothing():
    """Issue 17, faults: a worker process killed (SIGKILL) while the replicate tasks run; the
    scheduler reruns its tasks on the other worker (the nanny restarts the dead one), and the
    replicates are bitwise those of a local fit. Its own cluster: the session's is not harmed."""
    import os
    import signal

    from ctxstats.dask import bootstrap_on_cluster

    d = make_vcm(n=1500, p=2, m=2, nonlinear=True, seed=4)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=8, depth=1)
    kw = dict(solver="lbfgs", max_iter=100, seed=2, early_stopping=False)
    local = model.fit(threads=1, n_bootstraps=16, **kw)
    opts = model._options(n_bootstraps=16, **kw)
    with local_dask_client(2) as client:
        pids = client.run(os.getpid)  # worker address -> process id
        killed = []

        def kill_one_worker_after_the_first_range(done, _):
            # Both single-threaded workers still hold ranges in flight (8 ranges of 2 replicates).
            if not killed:
                address, pid = sorted(pids.items())[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(address)

        boot = bootstrap_on_cluster(client, model.context, model.exog, model.endog, model.weights, opts,
                                    local.weights, 16, progress=kill_one_worker_after_the_first_range)
        survivors = client.run(os.getpid)
    assert killed and pids[killed[0]] not in survivors.values()
    assert np.array_equal(boot["weights"], local.bootstrap_weights)
    assert np.array_equal(boot["n_iter"], local.bootstrap_n_iter)
    assert np.array_equal(boot["converged"], local.bootstrap_converged)


@short_fits
@short_fits
def test_cluster_bootstrap_of_clusters_is_bitwise_the_local_one(dask_client):
    # the cluster bootstrap (replicates resampling groups) as tasks: the same replicates
    d = make_vcm(n=300, p=1, m=2, seed=6)
    groups = np.random.default_rng(1).integers(0, 15, 300)
    model = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="ngam", width=4)
    local = model.fit(n_bootstraps=6, seed=4, cov_type="cluster", groups=groups)
    remote = model.fit(n_bootstraps=6, seed=4, cov_type="cluster", groups=groups, client=dask_client)
    assert remote.bootstrap_clusters == local.bootstrap_clusters == 15
    assert np.array_equal(remote.bootstrap_weights, local.bootstrap_weights)


def test_cluster_bootstrap_warns_as_the_local_one(dask_client):
    d = make_vcm(n=200, p=1, m=1, seed=2)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="mlp", width=4)
    messages = []
    for client in (None, dask_client):
        with pytest.warns(cs.ConvergenceWarning) as record:
            model.fit(solver="lbfgs", max_iter=3, seed=1, n_bootstraps=5, client=client)
        messages.append([str(r.message) for r in record if "bootstrap replicates" in str(r.message)])
    assert messages[0] and messages[0] == messages[1]


def test_cluster_bootstrap_uses_the_active_client_only_when_asked(dask_client):
    d = make_vcm(n=200, p=1, m=1, seed=4)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    with dask_client.as_current():
        default = model.fit(n_bootstraps=4, client="default")
    local = model.fit(n_bootstraps=4)
    assert np.array_equal(default.bootstrap_weights, local.bootstrap_weights)


def test_cluster_bootstrap_errors(dask_client):
    d = make_vcm(n=40, p=1, m=1, seed=0)
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear")
    with pytest.raises(ValueError, match="nothing to send"):
        model.fit(client=dask_client)
    with pytest.raises(TypeError, match="client must be a distributed.Client"):
        model.fit(n_bootstraps=2, client="tcp://127.0.0.1:1")
    # a replicate that fails on a worker raises on the client with the local fit's message
    w = np.zeros(40)
    w[0] = 1.0
    model = cs.ContextualizedRegression(d["y"], d["X"], d["C"], encoder="linear", weights=w)
    with pytest.raises(ValueError) as local:
        model.fit(n_bootstraps=8)
    with pytest.raises(ValueError) as remote:
        model.fit(n_bootstraps=8, client=dask_client)
    assert "bootstrap replicate" in str(local.value) and str(remote.value) == str(local.value)


@pytest.mark.filterwarnings("ignore::ctxstats.ConvergenceWarning")
def test_cluster_personalized_bootstrap_is_bitwise_the_local_one(dask_client):
    rng = np.random.default_rng(6)
    C = rng.normal(size=(200, 2))
    X = rng.normal(size=(200, 2))
    y = X[:, 0] * (1 + C[:, 0]) + 0.5 * X[:, 1] + 0.3 * rng.normal(size=200)
    model = cs.PersonalizedRegression(y, X, C, rank=2)
    kw = dict(n_bootstraps=5, max_iter=30, warmup=10, seed=2, threads=1)
    local = model.fit(**kw)
    remote = model.fit(client=dask_client, **kw)
    assert np.array_equal(remote.flat_params, local.flat_params)
    for key in ("theta", "phi", "means", "rank"):
        assert np.array_equal(remote._boot[key], local._boot[key]), key
    assert remote._boot["modes_message"] == local._boot["modes_message"]
    assert np.array_equal(remote.conf_int().to_numpy(), local.conf_int().to_numpy())


@short_fits
@short_bootstraps
@pytest.mark.parametrize("kind,options", [("Correlation", {}),
                                          ("Markov", {"encoder_type": "mlp", "width": 3, "layers": 1, "max_epochs": 40}),
                                          ("Bayesian", {"num_archetypes": 2, "max_epochs": 20})])
def test_cluster_network_bootstrap_is_bitwise_the_local_one(dask_client, kind, options):
    from ctxstats import easy

    rng = np.random.default_rng(9)
    C = rng.normal(size=(240, 2))
    X = rng.normal(size=(240, 4))
    X[:, 1] += C[:, 0] * X[:, 0]
    cls = getattr(easy, f"Contextualized{kind}Networks")
    local = cls(n_bootstraps=7, random_state=4, **options).fit(C, X)
    remote = cls(n_bootstraps=7, random_state=4, **options).fit(C, X, client=dask_client)
    for key in ("weights", "replicate_weights", "residual_variance", "replicate_n_iter", "replicate_converged"):
        assert np.array_equal(remote.model_[key], local.model_[key]), key
    assert remote.model_["bootstrap_message"] == local.model_["bootstrap_message"]
    assert remote.n_bootstraps_ == 7
    assert np.array_equal(remote.predict_networks(C, individual_preds=True),
                          local.predict_networks(C, individual_preds=True))


# ---- data held as dask collections --------------------------------------------------------------

def _dask_data(d, partitions=8, weights=None, frame=False):
    n = d["y"].shape[0]
    chunk = -(-n // partitions)
    if frame:
        df = pd.DataFrame({"y": d["y"], **{f"x{j + 1}": d["X"][:, j] for j in range(d["X"].shape[1])},
                           **{f"c{j + 1}": d["C"][:, j] for j in range(d["C"].shape[1])}})
        if weights is not None:
            df["w"] = weights
        ddf = dd.from_pandas(df, npartitions=partitions, sort=False)
        return (ddf["y"], ddf[[c for c in df if c.startswith("x")]], ddf[[c for c in df if c.startswith("c")]],
                None if weights is None else ddf["w"])
    return (da.from_array(d["y"], chunks=chunk), da.from_array(d["X"], chunks=(chunk, -1)),
            da.from_array(d["C"], chunks=(chunk, -1)), None if weights is None else da.from_array(weights, chunks=chunk))


@pytest.mark.parametrize("family,frame,weighted,alpha", [("gaussian", False, False, 0.0), ("gaussian", True, True, 0.1),
                                                         ("binomial", False, True, 0.0), ("poisson", True, False, 0.0)])
def test_dask_exact_fit_equals_in_memory(dask_client, family, frame, weighted, alpha):
    d = make_vcm(n=2000, p=2, m=3, family=family, seed=7)
    w = np.random.default_rng(2).uniform(0.2, 2.0, size=2000) if weighted else None
    y, X, C, wd = _dask_data(d, 8, w, frame)
    assert y.npartitions == 8 if frame else y.numblocks == (8,)
    local = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear", weights=w).fit(alpha=alpha)
    model = cs.ContextualizedGLM(y, X, C, family=family, encoder="linear", weights=wd)
    assert type(model).__name__ == "DaskContextualizedGLM" and model.npartitions == 8
    res = model.fit(client=dask_client, alpha=alpha)
    assert res.converged and res.n_iter == local.n_iter
    np.testing.assert_allclose(res.weights, local.weights, rtol=0, atol=1e-10)
    for key in ("c_mean", "c_scale", "x_mean", "x_scale", "y_mean", "y_scale"):
        np.testing.assert_allclose(res.scaling[key], local.scaling[key], rtol=1e-12, atol=1e-12)
    assert abs(res.objective - local.objective) < 1e-10
    np.testing.assert_allclose(res.params.to_numpy(), local.params.to_numpy(), rtol=0, atol=1e-10)
    assert list(res.params.index) == list(local.params.index)
    sp = res.sample_params
    sp = sp.compute().to_numpy() if frame else sp.compute()
    np.testing.assert_allclose(sp, local.sample_params.to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.predict().compute(), local.predict(), rtol=1e-10, atol=1e-10)


def test_dask_subclass_fixes_the_family(dask_client):
    d = make_vcm(n=400, p=1, m=1, family="poisson", seed=1)
    y, X, C, _ = _dask_data(d, 4)
    res = cs.ContextualizedPoisson(y, X, C, "linear").fit(client=dask_client)  # encoder given by position
    local = cs.ContextualizedPoisson(d["y"], d["X"], d["C"], encoder="linear").fit()
    assert res.model.family == "poisson"
    np.testing.assert_allclose(res.weights, local.weights, rtol=0, atol=1e-10)
    with pytest.raises(TypeError, match="poisson family"):
        cs.ContextualizedPoisson(y, X, C, family="gaussian")


def test_bad_partition_fails_like_the_in_memory_fit_naming_it(dask_client):
    d = make_vcm(n=800, p=2, m=2, seed=5)
    X = d["X"].copy()
    X[5 * 100 + 17, 1] = np.nan  # partition 5 of 8, its row 17
    with pytest.raises(ValueError) as local:
        cs.ContextualizedGLM(d["y"], X, d["C"], encoder="linear").fit()
    y, Xd, C, _ = _dask_data({**d, "X": X}, 8)
    with pytest.raises(ValueError) as remote:
        cs.ContextualizedGLM(y, Xd, C, encoder="linear").fit(client=dask_client)
    message = str(remote.value)
    assert message.startswith("partition 5: ")
    # the same words as in memory, the row counted within the partition
    assert re.sub(r"row \d+", "row N", message[len("partition 5: "):]) == re.sub(r"row \d+", "row N", str(local.value))
    assert "row 17" in message
    # a binomial response out of range, and partitions that do not line up
    yb = make_vcm(n=800, p=2, m=2, family="binomial", seed=5)["y"]
    yb[3 * 100] = 2.0
    with pytest.raises(ValueError, match=r"^partition 3: endog must lie in \[0, 1\]"):
        cs.ContextualizedGLM(da.from_array(yb, chunks=100), da.from_array(d["X"], chunks=(100, -1)), C,
                             family="binomial", encoder="linear").fit(client=dask_client)
    with pytest.raises(ValueError, match="endog, exog, context must have the same number of partitions"):
        cs.ContextualizedGLM(da.from_array(d["y"], chunks=200), Xd, C, encoder="linear")
    with pytest.raises(ValueError, match="same row chunks"):
        cs.ContextualizedGLM(da.from_array(d["y"], chunks=((50, 150) + (100,) * 6,)), Xd, C, encoder="linear")


def test_dask_fit_refuses_what_it_cannot_do(dask_client):
    d = make_vcm(n=200, p=1, m=1, seed=1)
    y, X, C, _ = _dask_data(d, 2)
    model = cs.ContextualizedGLM(y, X, C, encoder="mlp")
    with pytest.raises(ValueError, match="neural encoders, by L-BFGS"):
        model.fit(client=dask_client, solver="adam")
    with pytest.raises(ValueError, match="neural fit's standard errors come from bootstrap"):
        model.fit(client=dask_client, cov_type="HC0")
    with pytest.raises(ValueError, match="output_start is not available for data held in partitions"):
        model.fit(client=dask_client, output_start=True)
    with pytest.raises(ValueError, match="linear_skip is not available for data held in partitions"):
        cs.ContextualizedGLM(y, X, C, encoder="mlp", linear_skip=True).fit(client=dask_client)
    with pytest.raises(ValueError, match="fit the data .* in memory with fit\\(n_bootstraps=B"):
        cs.ContextualizedGLM(y, X, C, encoder="ngam").fit(client=dask_client, n_bootstraps=3)
    with pytest.raises(ValueError, match="0 \\(none\\) or at least 2"):
        cs.ContextualizedGLM(y, X, C, encoder="linear").fit(client=dask_client, n_bootstraps=1)
    with pytest.raises(ValueError, match="needs n_bootstraps"):
        cs.ContextualizedGLM(y, X, C, encoder="linear").fit(client=dask_client, cov_type="bootstrap")


def test_dask_fit_of_parquet_files_equals_in_memory(dask_client, tmp_path):
    # dask may partition a one-column selection (endog) unlike a wider one: the fit lines them up
    d = make_vcm(n=1600, p=2, m=2, family="binomial", seed=9)
    df = pd.DataFrame({"y": d["y"], "x1": d["X"][:, 0], "x2": d["X"][:, 1], "age": d["C"][:, 0],
                       "bmi": d["C"][:, 1]})
    for k in range(8):
        df.iloc[200 * k:200 * (k + 1)].to_parquet(tmp_path / f"part-{k}.parquet", index=False)
    ddf = dd.read_parquet(str(tmp_path / "*.parquet"))
    res = cs.ContextualizedLogit(ddf["y"], ddf[["x1", "x2"]], ddf[["age", "bmi"]], encoder="linear").fit(
        client=dask_client)
    local = cs.ContextualizedLogit(df["y"], df[["x1", "x2"]], df[["age", "bmi"]], encoder="linear").fit()
    assert res.model.npartitions == 8 and res.model.context_names == ["age", "bmi"]
    np.testing.assert_allclose(res.weights, local.weights, rtol=0, atol=1e-10)
    pd.testing.assert_series_equal(res.params, local.params, check_exact=False, rtol=0, atol=1e-10)
    sp = res.sample_params.compute()
    assert list(sp.columns) == ["Intercept", "x1", "x2"]
    np.testing.assert_allclose(sp.to_numpy(), local.sample_params.to_numpy(), rtol=0, atol=1e-10)


def test_dask_fit_without_intercept_equals_in_memory(dask_client):
    # no centring: the scaling's root mean squares come from the partitions' sums of squares
    d = make_vcm(n=900, p=2, m=2, seed=11)
    y, X, C, _ = _dask_data(d, 8)
    res = cs.ContextualizedGLM(y, X, C, encoder="linear", fit_intercept=False).fit(client=dask_client)
    local = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="linear", fit_intercept=False).fit()
    assert res.param_names == local.param_names == ["x1", "x2"]
    np.testing.assert_allclose(res.weights, local.weights, rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.predict(which="linear").compute(), local.predict(which="linear"),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("family,cov_type,weighted,frame", [
    ("gaussian", "nonrobust", False, False), ("gaussian", "HC1", True, True), ("gaussian", "HC3", False, True),
    ("binomial", "HC2", True, False), ("poisson", "cluster", False, True), ("gaussian", "cluster", True, False),
    ("poisson", "nonrobust", True, True)])
def test_dask_covariances_equal_in_memory(dask_client, family, cov_type, weighted, frame):
    # each partition's sums of the bread, meat and cluster scores, added on the client: the
    # in-memory fit's covariance up to the rounding of another summation order
    n = 1600
    d = make_vcm(n=n, p=2, m=2, family=family, seed=21)
    w = np.random.default_rng(4).uniform(0.3, 2.0, size=n) if weighted else None
    # 37 clusters, their rows spread over every partition (labels recur across partitions)
    labels = np.array([f"g{v}" for v in np.random.default_rng(5).integers(0, 37, size=n)]) if frame else \
        np.random.default_rng(5).integers(100, 137, size=n)
    groups = labels if cov_type == "cluster" else None
    local = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear", weights=w).fit(
        cov_type=cov_type, groups=groups)
    y, X, C, wd = _dask_data(d, 8, w, frame)
    dgroups = None
    if groups is not None:
        dgroups = (dd.from_pandas(pd.Series(labels), npartitions=8, sort=False) if frame
                   else da.from_array(labels, chunks=n // 8))
    res = cs.ContextualizedGLM(y, X, C, family=family, encoder="linear", weights=wd).fit(
        client=dask_client, cov_type=cov_type, groups=dgroups)
    assert res.cov_type == local.cov_type == cov_type
    scale = np.abs(local.cov_params().to_numpy()).max()
    np.testing.assert_allclose(res.cov_params().to_numpy(), local.cov_params().to_numpy(), rtol=0,
                               atol=1e-9 * scale)
    np.testing.assert_allclose(res.bse.to_numpy(), local.bse.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.pvalues.to_numpy(), local.pvalues.to_numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(res.conf_int(0.1).to_numpy(), local.conf_int(0.1).to_numpy(), rtol=1e-8, atol=1e-10)
    assert res.use_t == (family == "gaussian" and cov_type == "nonrobust")
    table, local_table = res.params_table(0.1), local.params_table(0.1)
    assert list(table.columns) == list(local_table.columns) and list(table.index) == list(local_table.index)
    np.testing.assert_allclose(table.to_numpy(), local_table.to_numpy(), rtol=1e-6, atol=1e-12)
    text = str(res.summary())
    assert "Partitions" in text and f"cov_type={cov_type}" in text


def test_dask_covariance_errors(dask_client):
    d = make_vcm(n=400, p=1, m=1, seed=3)
    y, X, C, _ = _dask_data(d, 4)
    model = cs.ContextualizedGLM(y, X, C, encoder="linear")
    with pytest.raises(ValueError, match="needs groups"):
        model.fit(client=dask_client, cov_type="cluster")
    with pytest.raises(ValueError, match="cluster' only"):
        model.fit(client=dask_client, groups=da.zeros(400, chunks=100))
    with pytest.raises(ValueError, match="cov_type must be one of"):
        model.fit(client=dask_client, cov_type="HC9")
    with pytest.raises(ValueError, match="4 partitions, not 2"):
        model.fit(client=dask_client, cov_type="cluster", groups=da.arange(400, chunks=200) % 5)
    with pytest.raises(ValueError, match="at least 2 distinct groups"):
        model.fit(client=dask_client, cov_type="cluster", groups=da.zeros(400, chunks=100))
    with pytest.raises(TypeError, match="dask Series or array"):
        model.fit(client=dask_client, cov_type="cluster", groups=np.arange(400) % 5)
    bad = pd.Series(np.arange(400) % 5, dtype=float)
    bad[250] = np.nan
    with pytest.raises(ValueError, match=r"^partition 2: groups has missing labels \(first at row 50\)"):
        model.fit(client=dask_client, cov_type="cluster", groups=dd.from_pandas(bad, npartitions=4, sort=False))


def _formula_frame(n=1200, seed=8):
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 70, n)
    region = np.array(["north", "south", "east", "west"])[rng.integers(0, 4, n)]
    region[: n // 8] = "north"  # the first partition meets one level only
    dose = rng.normal(size=n)
    eta = 0.3 + (0.5 + 0.02 * (age - 45)) * dose + 0.4 * (region == "west")
    df = pd.DataFrame({"y": eta + rng.normal(scale=0.5, size=n), "dose": dose, "age": age, "region": region,
                       "w": rng.uniform(0.5, 2.0, n), "site": rng.integers(0, 30, n)})
    df.loc[[5, 400, 777], "dose"] = np.nan  # dropped rows, in several partitions
    df.loc[901, "region"] = None
    return df


def test_dask_formula_fit_equals_in_memory(dask_client):
    # the formula is coded partition by partition with every level of the whole column, rows
    # with missing values dropped where they are; weights and cluster groups by column name
    df = _formula_frame()
    ddf = dd.from_pandas(df, npartitions=8, sort=False)
    formula = "y ~ dose + np.log(age) | age + region"
    local = ctx_glm(formula, df, encoder="linear", weights="w", groups="site").fit(cov_type="cluster")
    model = ctx_glm(formula, ddf, encoder="linear", weights="w", groups="site")
    assert type(model).__name__ == "DaskContextualizedGLM" and model.npartitions == 8
    assert model.context_names == list(local.model.context_names) == ["age", "region[T.north]", "region[T.south]",
                                                                       "region[T.west]"]
    assert model.exog_names == list(local.model.exog_names) and model.endog_name == "y"
    res = model.fit(client=dask_client, cov_type="cluster")
    assert res.nobs == local.nobs == len(df) - 4
    np.testing.assert_allclose(res.weights, local.weights, rtol=0, atol=1e-10)
    pd.testing.assert_series_equal(res.params, local.params, check_exact=False, rtol=1e-9, atol=0)
    np.testing.assert_allclose(res.bse.to_numpy(), local.bse.to_numpy(), rtol=1e-8)
    sp = res.sample_params.compute()
    assert list(sp.columns) == list(local.sample_params.columns)
    np.testing.assert_allclose(sp.to_numpy(), local.sample_params.to_numpy(), rtol=1e-9, atol=1e-12)
    # predictions on new rows through the fitted formula (every level, new partitions)
    new = dd.from_pandas(_formula_frame(seed=9).iloc[300:600].dropna(), npartitions=3, sort=False)
    np.testing.assert_allclose(res.predict(new).compute(), local.predict(new.compute()), rtol=1e-9, atol=1e-12)


def test_dask_formula_refuses_what_it_cannot_code(dask_client):
    df = _formula_frame().iloc[:400]
    ddf = dd.from_pandas(df, npartitions=4, sort=False)
    with pytest.raises(ValueError, match=r"learn from the data \(center\(dose\)\)"):
        ctx_glm("y ~ center(dose) | age", ddf, encoder="linear")
    with pytest.raises(ValueError, match="uses 'nope', which is not a column of data"):
        ctx_glm("y ~ nope | age", ddf, encoder="linear")
    with pytest.raises(ValueError, match="weights of a formula fit of a dask DataFrame must name a column"):
        ctx_glm("y ~ dose | age", ddf, encoder="linear", weights=np.ones(400))
    with pytest.raises(ValueError, match=r"^partition 0: missing values with missing='raise' \(first at row 5"):
        ctx_glm("y ~ dose | age", ddf, encoder="linear", missing="raise").fit(client=dask_client)


@pytest.mark.parametrize("family,weighted,frame,extra", [
    ("gaussian", False, False, {}), ("gaussian", True, True, {"interactions": [(0, 1)]}),
    ("binomial", True, False, {"n_knots": 8}), ("poisson", False, True, {}),
    ("poisson", True, False, {"dispersion": "pearson"})])
def test_dask_spline_fit_equals_in_memory(dask_client, family, weighted, frame, extra):
    # knots from the partitions' ranges, centres from their basis sums, REML (PQL) over the
    # partitions' penalised passes: the in-memory spline fit up to summation order
    n = 2400
    d = make_vcm(n=n, p=2, m=2, family=family, seed=13)
    w = np.random.default_rng(6).uniform(0.3, 2.0, size=n) if weighted else None
    local = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="spline", weights=w, **extra).fit()
    y, X, C, wd = _dask_data(d, 8, w, frame)
    res = cs.ContextualizedGLM(y, X, C, family=family, encoder="spline", weights=wd, **extra).fit(client=dask_client)
    assert res.converged and res.spline_fit is not None
    np.testing.assert_allclose(res.options["knots"], local.options["knots"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(res.options["centres"], local.options["centres"], rtol=0, atol=1e-12)
    lam, lam_local = res.smoothing["smoothing"], local.spline_fit["smoothing"]["smoothing"]
    # log smoothing parameters near 15 (terms smoothed to their null space, where REML is flat)
    # move with the summation order by up to 1e-4, as between ctxstats and mgcv
    np.testing.assert_allclose(np.log(lam), np.log(lam_local), rtol=0, atol=1e-3)
    np.testing.assert_allclose(res.smoothing["edf_total"], local.spline_fit["smoothing"]["edf_total"], rtol=1e-6)
    np.testing.assert_allclose(res.params.to_numpy(), local.params.to_numpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.bse.to_numpy(), local.bse.to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(res.conf_int().to_numpy(), local.conf_int().to_numpy(), rtol=1e-5, atol=1e-8)
    assert res.use_t == local.use_t
    assert "Bayesian covariance Vp" in str(res.summary())
    sp = res.sample_params.compute()
    np.testing.assert_allclose(np.asarray(sp), local.sample_params.to_numpy(), rtol=1e-5, atol=1e-7)


def test_dask_spline_refuses_what_needs_every_value(dask_client):
    d = make_vcm(n=400, p=1, m=2, seed=2)
    y, X, C, _ = _dask_data(d, 4)
    with pytest.raises(ValueError, match="knot_spacing='quantile' needs every value"):
        cs.ContextualizedGLM(y, X, C, encoder="spline", knot_spacing="quantile").fit(client=dask_client)
    with pytest.raises(ValueError, match="Vp"):
        cs.ContextualizedGLM(y, X, C, encoder="spline").fit(client=dask_client, cov_type="HC1")
    Cb = d["C"].copy()
    Cb[:, 1] = np.round(Cb[:, 1]) % 3  # three distinct values
    with pytest.raises(ValueError, match="n_knots=20 is more than the 3 distinct values of context column 'c2'"):
        cs.ContextualizedGLM(y, X, da.from_array(Cb, chunks=(100, -1)), encoder="spline", n_knots=20).fit(
            client=dask_client)


# ---- neural encoders: L-BFGS over the partitions' sums ----------------------------------------

def _uneven(d, w, frame):
    """d's rows in 5 uneven partitions (one of a single row), as dask arrays or DataFrame columns."""
    sizes = (130, 400, 1, 269, 400)
    if frame:
        df = pd.DataFrame({"y": d["y"], **{f"x{j + 1}": d["X"][:, j] for j in range(d["X"].shape[1])},
                           **{f"c{j + 1}": d["C"][:, j] for j in range(d["C"].shape[1])}})
        if w is not None:
            df["w"] = w
        df.index = np.repeat(np.arange(len(sizes)), sizes)  # divisions at the partitions' first rows
        ddf = dd.from_pandas(df, npartitions=len(sizes), sort=True)
        ddf = dd.from_delayed([dask.delayed(df.iloc[a:b].copy()) for a, b in
                               zip(np.cumsum((0,) + sizes[:-1]), np.cumsum(sizes))], meta=df.iloc[:0])
        return (ddf["y"], ddf[[c for c in df if c.startswith("x")]], ddf[[c for c in df if c.startswith("c")]],
                None if w is None else ddf["w"])
    chunks = (sizes,)
    return (da.from_array(d["y"], chunks=chunks), da.from_array(d["X"], chunks=(sizes, -1)),
            da.from_array(d["C"], chunks=(sizes, -1)), None if w is None else da.from_array(w, chunks=chunks))


@short_fits
@pytest.mark.parametrize("encoder,family,weighted,frame,options,fit_options", [
    ("mlp", "gaussian", True, False, {"width": 4, "depth": 1}, {}),
    ("ngam", "binomial", False, True, {"width": 4}, {}),
    ("mlp", "poisson", True, True, {"width": 3, "depth": 1}, {"early_stopping": False, "max_iter": 60}),
    ("linear", "gaussian", False, False, {"archetypes": 3}, {"weight_decay": 1e-3})])
def test_dask_network_fit_equals_in_memory(dask_client, encoder, family, weighted, frame, options, fit_options):
    # L-BFGS on the client over the partitions' sums of loss and gradient, the early-stopping
    # split drawn over the rows of positive weight in partition order: the in-memory fit, its
    # iterations and early-stopping choice, up to the rounding of summing in another order
    d = make_vcm(n=1200, p=2, m=2, family=family, seed=3)
    w = None
    if weighted:
        w = np.random.default_rng(1).uniform(0.0, 2.0, 1200)
        w[::17] = 0.0  # rows of zero weight are outside the split, as in memory
    y, X, C, wd = _uneven(d, w, frame)
    local = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder=encoder, weights=w,
                                 **options).fit(seed=1, **fit_options)
    res = cs.ContextualizedGLM(y, X, C, family=family, encoder=encoder, weights=wd, **options).fit(
        client=dask_client, seed=1, **fit_options)
    assert res.solver == "lbfgs" and res.neural
    assert (res.n_iter, res.converged) == (local.n_iter, local.converged)
    assert abs(res.objective - local.objective) <= 1e-10 * abs(local.objective)
    np.testing.assert_allclose(res.weights, local.weights, rtol=0, atol=1e-6)
    sp = res.sample_params.compute()
    np.testing.assert_allclose(np.asarray(sp), local.sample_params.to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(res.params.to_numpy(), local.params.to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(np.asarray(res.predict().compute()), local.predict(), rtol=0, atol=1e-8)
    text = str(res.summary())
    assert "no standard errors" in text and encoder in text
    with pytest.raises(ValueError, match="bootstrap replicates"):
        res.bse


def test_dask_network_fit_is_the_same_for_any_number_of_workers(dask_client):
    d = make_vcm(n=900, p=1, m=2, seed=4)
    y, X, C, _ = _dask_data(d, 6)
    fits = [cs.ContextualizedGLM(y, X, C, encoder="ngam", width=4).fit(client=dask_client, seed=2)]
    with local_dask_client(1) as one:
        fits.append(cs.ContextualizedGLM(y, X, C, encoder="ngam", width=4).fit(client=one, seed=2))
    assert np.array_equal(fits[0].weights, fits[1].weights)
    assert fits[0].n_iter == fits[1].n_iter and fits[0].objective == fits[1].objective


# ---- the Poisson bootstrap of dask-held data ------------------------------------------------------

@pytest.mark.parametrize("family,weighted", [("gaussian", True), ("binomial", False)])
def test_dask_poisson_bootstrap_replicates_are_weighted_refits(dask_client, family, weighted):
    # replicate r refits the rows weighted by Poisson(1) counts keyed (seed, r, row): the
    # in-memory fit with those weights, and the same for any partitioning
    from ctxstats import _core

    n = 1000
    d = make_vcm(n=n, p=2, m=2, family=family, seed=11)
    w = np.random.default_rng(3).uniform(0.5, 2.0, n) if weighted else None
    y, X, C, wd = _dask_data(d, 5, w)
    res = cs.ContextualizedGLM(y, X, C, family=family, encoder="linear", weights=wd).fit(
        client=dask_client, n_bootstraps=5, seed=3)
    assert res.cov_type == "bootstrap" and res.n_bootstraps == 5
    assert res.bootstrap_weights.shape == (5, len(res.weights)) and res.bootstrap_converged.all()
    counts = [_core.poisson_counts(3, r, 0, n) for r in range(5)]
    assert np.array_equal(counts[2][300:700], _core.poisson_counts(3, 2, 300, 400))  # any split draws the same
    assert 0.9 < np.mean(counts) < 1.1 and counts[0].min() == 0
    for r in (0, 4):
        local = cs.ContextualizedGLM(d["y"], d["X"], d["C"], family=family, encoder="linear",
                                     weights=counts[r] * (1.0 if w is None else w)).fit()
        theta = _core.predict_theta(res.options, res.scaling, res.bootstrap_weights[r], d["C"])
        np.testing.assert_allclose(theta, local.sample_params.to_numpy(), rtol=0, atol=1e-8)
    y3, X3, C3, wd3 = _dask_data(d, 3, w)
    other = cs.ContextualizedGLM(y3, X3, C3, family=family, encoder="linear", weights=wd3).fit(
        client=dask_client, n_bootstraps=5, seed=3)
    np.testing.assert_allclose(other.bootstrap_weights, res.bootstrap_weights, rtol=0, atol=1e-10)
    table = res.params_table()
    se = np.std(res._boot_means, axis=0, ddof=1)
    np.testing.assert_allclose(table["std err"].to_numpy(), se, rtol=1e-12)
    assert (table["[0.025"] <= table["0.975]"]).all()
    assert "Poisson bootstrap, B=5" in str(res.summary())


def test_dask_spline_poisson_bootstrap(dask_client):
    # a spline replicate: the full-data fit's knots and centres, the rows weighted by their
    # Poisson counts, REML again; its average effects are the mean over all rows (not the
    # parameters at the mean context); the same for any partitioning
    from ctxstats import _core

    n = 1200
    d = make_vcm(n=n, p=1, m=2, seed=17)
    y, X, C, _ = _dask_data(d, 4)
    res = cs.ContextualizedGLM(y, X, C, encoder="spline", n_knots=6).fit(client=dask_client, n_bootstraps=4, seed=2)
    assert res.cov_type == "bootstrap" and res.bootstrap_weights.shape == (4, len(res.weights))
    theta = [_core.predict_theta(res.options, res.scaling, w, d["C"]) for w in res.bootstrap_weights]
    np.testing.assert_allclose(res._boot_means, np.vstack([t.mean(axis=0) for t in theta]), rtol=0, atol=1e-12)
    counts = _core.poisson_counts(2, 1, 0, n)
    opts = {k: res.options[k] for k in ("knots", "centres")}
    local = cs.ContextualizedGLM(d["y"], d["X"], d["C"], encoder="spline", n_knots=6, weights=counts, **opts).fit()
    np.testing.assert_allclose(theta[1], local.sample_params.to_numpy(), rtol=0, atol=1e-6)
    y3, X3, C3, _ = _dask_data(d, 3)
    other = cs.ContextualizedGLM(y3, X3, C3, encoder="spline", n_knots=6).fit(client=dask_client, n_bootstraps=4,
                                                                              seed=2)
    np.testing.assert_allclose(other._boot_means, res._boot_means, rtol=0, atol=1e-8)
    se = np.std(res._boot_means, axis=0, ddof=1)
    np.testing.assert_allclose(res.bse.to_numpy(), se, rtol=1e-10)
    assert "Poisson bootstrap, B=4" in str(res.summary())
