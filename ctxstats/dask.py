"""ctxstats on Dask ``distributed``: the core runs on the workers, only small results travel.

As in xgboost's and LightGBM's Dask integrations, nothing here is a cluster of its own: the
work is ordinary tasks on a ``distributed.Client``'s workers, each calling the same compiled
core as a local fit.

Bootstrap replicates as tasks
    ``model.fit(n_bootstraps=B, client=client)`` fits the full-data model on the client, sends
    the data to every worker once (``Client.scatter(..., broadcast=True)``) and submits the B
    replicates as tasks, each a consecutive range of replicates (``_core.bootstrap_range``).
    Replicate r's resample and solver seed come from the core's counter-based generator keyed
    (seed, r), and each replicate fit is bitwise identical for any thread count, so the merged
    replicates (``_core.bootstrap_merge``, in replicate order) are bitwise those of a local
    ``fit(n_bootstraps=B)`` with the same seed -- whatever the number of workers, their threads,
    the split into tasks or the order in which tasks finish. A task that fails raises on the
    client with the core's message for the lowest failing replicate (``bootstrap replicate r:
    ...``), as the local bootstrap does. A task lost with its worker is rerun by the scheduler
    (distributed's own retry) and, a pure function of its inputs, gives the same result
    (``tests/test_dask.py::test_a_worker_lost_mid_bootstrap_changes_nothing``). The cluster
    bootstrap (``cov_type="cluster"`` with ``groups``) sends the cluster codes with the data.
    ``PersonalizedRegression.fit(n_bootstraps=B, client=client)`` does the same with
    ``_core.personalized_bootstrap_range`` / ``_merge`` (the modes check runs on all the merged
    replicates).

Data held as dask collections
    ``ContextualizedGLM`` of dask arrays or DataFrames is a :class:`DaskContextualizedGLM`,
    fitted by passes over the partitions on the workers (the linear and spline encoders, with
    their covariances and Poisson bootstraps; the neural encoders by L-BFGS); see its
    docstring. Network bootstraps: ``ContextualizedCorrelationNetworks(n_bootstraps=B)``
    (and the Markov and Bayesian networks) ``.fit(C, X, client=client)``. ``ctxstats.formula.api.ctx_glm(formula, ddf)`` codes a
    formula on a dask DataFrame partition by partition (``ctxstats.formula.dask_design``).

Which client
    A fit of in-memory data uses a cluster only when given ``client=``: a ``distributed.Client``
    that happens to be active (for other work) does not move a plain ``fit()`` off the local
    machine, as it does not move xgboost's or LightGBM's scikit-learn estimators. Pass
    ``client=distributed.get_client()`` (or ``"default"``) to use the active one.
"""
from __future__ import annotations

import numpy as np

from ctxstats import _core

__all__ = ["resolve_client", "bootstrap_on_cluster", "personalized_bootstrap_on_cluster",
           "network_bootstrap_on_cluster", "replicate_ranges",
           "DaskContextualizedGLM", "DaskContextualizedGLMResults"]


def resolve_client(client):
    """``client`` itself, or the active ``distributed`` client for ``"default"``; TypeError for
    anything that is not a ``distributed.Client``."""
    try:
        from distributed import Client, default_client
    except ImportError as e:  # pragma: no cover - distributed is a test dependency
        raise ImportError("client= needs the 'distributed' package: pip install 'ctxstats[dask]'") from e
    if isinstance(client, str) and client == "default":
        try:
            return default_client()
        except ValueError as e:
            raise ValueError("client='default' needs an active distributed.Client; none was found") from e
    if not isinstance(client, Client):
        raise TypeError(f"client must be a distributed.Client (or 'default'), not {type(client).__name__}")
    return client


def _n_workers(client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def replicate_ranges(n_bootstraps: int, n_tasks: int) -> list[tuple[int, int]]:
    """(first, count) of each task: n_bootstraps replicates in at most n_tasks consecutive
    ranges of near-equal size. The results do not depend on the split."""
    n_tasks = max(1, min(int(n_bootstraps), int(n_tasks)))
    edges = [n_bootstraps * k // n_tasks for k in range(n_tasks + 1)]
    return [(a, b - a) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _fit_range(C, X, y, weights, options, extra, first, count):
    """A worker's task: replicates first .. first + count - 1 (single-threaded fits; the
    worker's threads run other tasks); extra: (start, cluster codes or None)."""
    start, groups = extra
    return _core.bootstrap_range(C, X, y, weights, options, start, first, count, groups)


def _fit_personalized_range(C, X, y, weights, options, init, first, count):
    return _core.personalized_bootstrap_range(C, X, y, weights, options, first, count, init)


def _fit_network_range(C, X, weights, options, model, first, count):
    return _core.network_bootstrap_range(model, C, X, weights, first, count, options["threads"])


def _replicates_on_cluster(client, task, data: tuple, options: dict, extra, n_bootstraps: int,
                           tasks_per_worker: int, progress) -> list:
    """task(*data, options, extra, first, count) for ranges of replicates on the workers (the
    data arrays, None where absent, scattered once to each); the ranges' results, in any order.
    A failing range raises the error of the lowest failing replicate, as the local bootstrap
    does."""
    from distributed import as_completed

    client = resolve_client(client)
    if not (isinstance(n_bootstraps, (int, np.integer)) and n_bootstraps >= 1):
        raise ValueError("n_bootstraps must be a positive integer")
    arrays = [np.ascontiguousarray(a, dtype=float) for a in data if a is not None]
    # Once per worker, not once per task; hash=False: keys of this call's own, released with it.
    shared = iter(client.scatter(arrays, broadcast=True, hash=False))
    data = [None if a is None else next(shared) for a in data]
    task_options = {**options, "threads": 1}
    ranges = replicate_ranges(n_bootstraps, tasks_per_worker * _n_workers(client))
    futures = [client.submit(task, *data, task_options, extra, first, count, pure=False) for first, count in ranges]
    first_of = {f.key: first for f, (first, _) in zip(futures, ranges)}
    parts, errors = [], {}
    try:
        done = 0
        for future in as_completed(futures):
            first = first_of[future.key]
            if errors and first > min(errors):
                continue  # a replicate before it failed already
            try:
                part = future.result()
            except ValueError as e:  # the core's "bootstrap replicate r: ..."
                errors[first] = e
                client.cancel([f for f in futures if first_of[f.key] > first and not f.done()])
                continue
            parts.append(part)
            done += dict(ranges)[first]
            if progress is not None:
                progress(done, float("nan"))
    finally:
        client.cancel([f for f in futures if not f.done()])
    if errors:  # the first failing replicate, as the local bootstrap raises it
        raise errors[min(errors)]
    return parts


def bootstrap_on_cluster(client, C, X, y, weights, options: dict, start, n_bootstraps: int,
                         tasks_per_worker: int = 4, progress=None, groups=None) -> dict:
    """The dict ``_core.bootstrap`` returns, computed by tasks on ``client``'s workers.

    ``options`` are the fit's resolved options (the same that key the local bootstrap);
    ``start`` the full-data fit's weights; ``groups`` the cluster codes of a cluster bootstrap
    (None: rows are resampled). ``progress(done, nan)`` is called on the client as ranges
    finish (its return value is ignored: Ctrl-C cancels the tasks and raises).
    """
    start = np.ascontiguousarray(start, dtype=float)
    codes = None if groups is None else np.ascontiguousarray(groups, dtype=np.int64)
    parts = _replicates_on_cluster(client, _fit_range, (C, X, y, weights), options, (start, codes), n_bootstraps,
                                   tasks_per_worker, progress)
    return _core.bootstrap_merge(parts)


def personalized_bootstrap_on_cluster(client, C, X, y, weights, options: dict, init, n_bootstraps: int,
                                      param_names, context_names, tasks_per_worker: int = 4) -> dict:
    """The dict ``_core.personalized_bootstrap`` returns, computed by tasks on the workers:
    bitwise the same replicates, the modes checked over all of them on the client."""
    parts = _replicates_on_cluster(client, _fit_personalized_range, (C, X, y, weights), options, init, n_bootstraps,
                                   tasks_per_worker, None)
    return _core.personalized_bootstrap_merge(parts, list(param_names), list(context_names))


def network_bootstrap_on_cluster(client, model: dict, C, X, n_bootstraps: int, tasks_per_worker: int = 4) -> dict:
    """A network model (``_core.network_fit``'s dict) fitted without a bootstrap, with
    ``n_bootstraps`` replicates computed by tasks on the workers: bitwise the model a local
    fit with the same seed and ``n_bootstraps`` returns."""
    parts = _replicates_on_cluster(client, _fit_network_range, (C, X, None), model["options"], model, n_bootstraps,
                                   tasks_per_worker, None)
    return _core.network_bootstrap_merge(model, sorted(parts, key=lambda part: part["first"]))


# ---- data held as dask collections ------------------------------------------------------------

def is_dask_collection(x) -> bool:
    """True for a dask array, DataFrame or Series (without importing dask: an object can be a
    dask collection only once dask is imported)."""
    import sys

    if x is None or "dask" not in sys.modules:
        return False
    try:
        from dask.base import is_dask_collection as _is
    except ImportError:
        return False
    return _is(x)


def _partitions(x, name: str, default_prefix: str, ndim: int):
    """(delayed partitions, column names, row chunk sizes or None) of a dask collection along
    its rows; ``ndim`` 1 for endog and weights, 2 for exog and context."""
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(x, _ColumnsFrame):
        if ndim == 1 and len(x.columns_out) != 1:
            raise ValueError(f"{name} must be one column, not a DataFrame of {len(x.columns_out)}")
        if x.is_series:
            names = [str(x.name) if x.name is not None else (f"{default_prefix}1" if ndim == 2 else default_prefix)]
        else:
            names = list(x.columns_out)
        return x.to_delayed(), names, None
    if isinstance(x, (dd.DataFrame, dd.Series)):
        if isinstance(x, dd.Series):
            if ndim == 2:
                names = [str(x.name) if x.name is not None else f"{default_prefix}1"]
            else:
                names = [str(x.name) if x.name is not None else default_prefix]
        else:
            if ndim == 1:
                if len(x.columns) != 1:
                    raise ValueError(f"{name} must be one column, not a DataFrame of {len(x.columns)}")
            names = [str(c) for c in x.columns]
        return list(x.to_delayed()), names, None
    if isinstance(x, da.Array):
        if x.ndim != ndim and not (ndim == 1 and x.ndim == 2 and x.shape[1] == 1):
            raise ValueError(f"{name} must be {'one' if ndim == 1 else 'two'}-dimensional, not shape {x.shape}")
        if x.ndim == 2:
            x = x.rechunk({1: -1})  # every row chunk holds all the columns
            names = [f"{default_prefix}{j + 1}" for j in range(x.shape[1])] if ndim == 2 else [default_prefix]
            parts = list(x.to_delayed()[:, 0])
        else:
            names = [default_prefix]
            parts = list(x.to_delayed())
        return parts, names, tuple(x.chunks[0])
    raise TypeError(f"{name} must be a dask array, DataFrame or Series here, not {type(x).__name__}")


def _as_float(part, name: str, ndim: int, k: int) -> np.ndarray:
    """A partition as a C-contiguous float array, unchecked (contexts for predictions)."""
    import pandas as pd

    if isinstance(part, (pd.DataFrame, pd.Series)):
        frame = part.to_frame() if isinstance(part, pd.Series) else part
        a = frame.to_numpy(dtype=float, na_value=np.nan)
    else:
        a = np.asarray(part, dtype=float)
    if ndim == 1:
        a = a.reshape(-1)
    elif a.ndim == 1:
        a = a.reshape(-1, 1)
    return np.ascontiguousarray(a)


def _load(k, y, X, C, w, family):
    """Partition k as the float arrays the core reads (on a worker), checked by the in-memory
    model's own checks (the same messages; rows counted within the partition). An empty
    partition gives empty arrays."""
    from ctxstats._validation import as_matrix, as_vector, check_response

    if len(y) == 0:
        m = C.shape[1] if C.ndim == 2 else 1
        p = 0 if X is None else (X.shape[1] if X.ndim == 2 else 1)
        return np.zeros(0), np.zeros((0, p)), np.zeros((0, m)), None if w is None else np.zeros(0)
    y, _ = as_vector(y, "endog")
    n = y.shape[0]
    X = np.zeros((n, 0)) if X is None else as_matrix(X, "exog", "x", n)[0]
    C = as_matrix(C, "context", "c", n)[0]
    check_response(y, family)
    if w is not None:
        w, _ = as_vector(w, "weights")
        if w.shape[0] != n:
            raise ValueError(f"weights has {w.shape[0]} rows but endog has {n}")
        if (w < 0).any():
            raise ValueError("weights must be non-negative")
    return y, X, C, w


def _in_partition(k, fn, *args):
    """fn(*args) on a worker, with the core's ValueError prefixed by the partition it met."""
    try:
        return fn(*args)
    except (ValueError, TypeError) as e:
        message = str(e)
        if not message.startswith("partition "):
            message = f"partition {k}: {message}"
        raise type(e)(message) from None


def _sums_task(k, y, X, C, w, options, about):
    def run():
        y_, X_, C_, w_ = _load(k, y, X, C, w, options["family"])
        return _core.partition_sums(C_, X_, y_, w_, options, about)
    return _in_partition(k, run)


def _pass_task(k, y, X, C, w, options, scaling, b, hessian):
    def run():
        y_, X_, C_, w_ = _load(k, y, X, C, w, options["family"])
        return _core.exact_pass(C_, X_, y_, w_, options, scaling, b, hessian)
    return _in_partition(k, run)


def _covariance_task(k, y, X, C, w, g, options, scaling, b, cov_type, labels, bread_inverse):
    def run():
        y_, X_, C_, w_ = _load(k, y, X, C, w, options["family"])
        codes = None if g is None else _group_codes(g, labels, y_.shape[0])
        return _core.covariance_sums(C_, X_, y_, w_, options["family"], scaling, b, cov_type,
                                     options.get("threads", 1), codes, bread_inverse)
    return _in_partition(k, run)


def _load_task(k, y, X, C, w, family):
    return _in_partition(k, _load, k, y, X, C, w, family)


def _positive_task(k, part):
    y_, _, _, w_ = part
    return _in_partition(k, _core.positive_rows, y_.shape[0], w_)


def _network_task(k, part, held, options, scaling, weights, grad, rows):
    y_, X_, C_, w_ = part
    return _in_partition(k, _core.network_pass, C_, X_, y_, w_, options, scaling, weights, grad, rows, held)


def _replicate_sums_task(k, C, options, scaling, W):
    """Partition k's sums of every replicate's sample parameters (B x q), and its rows."""
    def run():
        C_ = _as_float(C, "context", 2, k)
        return np.vstack([_core.predict_theta(options, scaling, w, C_).sum(axis=0) for w in W]), C_.shape[0]
    return _in_partition(k, run)


def _each_held(task, items, args):
    """task(k, partition k, *extra, *args) for the (k, partition, extra) items a worker holds:
    (True, result) or (False, the ValueError/TypeError it raised), in the items' order."""
    out = []
    for k, part, extra in items:
        try:
            out.append((True, task(k, part, *extra, *args)))
        except (ValueError, TypeError) as e:
            out.append((False, e))
    return out


def _rows_task(k, part):
    return part[0].shape[0]


def _poisson_pass_task(k, part, first_row, options, scaling, b, hessian, seed, replicate):
    """An exact pass over partition k with its rows weighted by replicate `replicate`'s
    Poisson bootstrap counts (times the user's weights); first_row: its first row's index in
    the whole data."""
    y_, X_, C_, w_ = part

    def run():
        counts = _core.poisson_counts(seed, replicate, first_row, y_.shape[0])
        w = counts if w_ is None else counts * w_
        return _core.exact_pass(C_, X_, y_, w, options, scaling, b, hessian)
    return _in_partition(k, run)


def _group_codes(g, labels, n: int) -> np.ndarray:
    """A partition's cluster labels as their positions in ``labels`` (every partition's labels,
    gathered once on the client): the same code for the same label in every partition."""
    import pandas as pd

    values = pd.Series(g.to_numpy() if isinstance(g, pd.Series) else np.asarray(g).reshape(-1))
    if len(values) != n:
        raise ValueError(f"groups has {len(values)} rows but endog has {n}")
    missing = values.isna().to_numpy()
    if missing.any():
        raise ValueError(f"groups has missing labels (first at row {int(np.flatnonzero(missing)[0])})")
    return pd.Index(labels).get_indexer(values).astype(np.int64)


def _theta_sum_task(k, C, options, scaling, weights):
    """A partition's sums of the sample parameters and of the context columns (a spline fit:
    of its basis rows), and its rows."""
    def run():
        C_ = _as_float(C, "context", 2, k)
        theta = _core.predict_theta(options, scaling, weights, C_)
        c_sum = _core.spline_basis_sum(C_, options, scaling) if options["encoder"] == "spline" else C_.sum(axis=0)
        return theta.sum(axis=0), c_sum, theta.shape[0]
    return _in_partition(k, run)


def _spline_summary_task(k, y, X, C, w, options, scaling):
    def run():
        _, _, C_, _ = _load(k, y, X, C, w, options["family"])
        return _core.spline_column_summary(C_, options, scaling)
    return _in_partition(k, run)


def _spline_centre_task(k, y, X, C, w, options, scaling):
    def run():
        _, _, C_, w_ = _load(k, y, X, C, w, options["family"])
        return _core.spline_centre_sums(C_, w_, options, scaling)
    return _in_partition(k, run)


def _theta_block(C, options, scaling, weights):
    return _core.predict_theta(options, scaling, weights, np.ascontiguousarray(np.asarray(C, dtype=float)))


def _gather_in_order(client, futures):
    """The futures' results in order; when some failed, the first failing one's error (the
    lowest partition, as an in-memory fit meets the first bad row), whichever failed first."""
    from distributed import wait

    wait(futures)
    for future in futures:
        if future.status == "error":
            raise future.exception()
    return client.gather(futures)


class _Columns:
    """Partitions of one combined frame restricted to some of its columns under their own
    names (what _partitions reads from a dask DataFrame)."""

    def __init__(self, frame, columns, names, series_name=None):
        self.frame, self.columns, self.names, self.series_name = frame, columns, names, series_name

    def to_delayed(self):
        from dask import delayed

        return [delayed(_select, pure=True)(part, self.columns, self.names, self.series_name)
                for part in self.frame.to_delayed()]


def _select(part, columns, names, series_name):
    out = part[columns].set_axis(names, axis=1)
    if series_name is not None:
        out = out.iloc[:, 0].rename(series_name)
    return out


def _co_partitioned(endog, exog, context, weights):
    """endog, exog, context and weights (dask DataFrames or Series of one frame) as column
    selections of one combined frame, so that every partition holds the same rows of each
    (dask may partition a one-column selection differently from a wider one)."""
    import dask.dataframe as dd

    pieces, selections = [], {}
    for key, obj in (("y", endog), ("x", exog), ("c", context), ("w", weights)):
        if obj is None:
            selections[key] = None
            continue
        is_series = isinstance(obj, dd.Series)
        frame = obj.to_frame(name=f"__ctxstats_{key}") if is_series else obj
        internal = [f"__ctxstats_{key}{j}" for j in range(len(frame.columns))]
        pieces.append(frame.rename(columns=dict(zip(frame.columns, internal))))
        names = [str(obj.name)] if is_series and obj.name is not None else [str(c) for c in frame.columns]
        selections[key] = (internal, names, obj.name if is_series else None, is_series)
    combined = pieces[0]
    for piece in pieces[1:]:
        try:
            combined = combined.assign(**{c: piece[c] for c in piece.columns})
        except Exception as e:  # noqa: BLE001 - dask's own alignment error, reworded
            raise ValueError("endog, exog, context and weights must be columns of one dask DataFrame (or frames "
                             f"with the same partitions and known divisions): {e}") from None
    out = []
    for key in ("y", "x", "c", "w"):
        sel = selections[key]
        if sel is None:
            out.append(None)
            continue
        internal, names, series_name, is_series = sel
        out.append(_ColumnsFrame(combined, internal, names, series_name, is_series))
    return tuple(out)


class _ColumnsFrame(_Columns):
    """A _Columns that _partitions treats as a dask DataFrame or Series."""

    def __init__(self, frame, columns, names, series_name, is_series):
        super().__init__(frame, columns, names, series_name)
        self.is_series = is_series
        self.name = series_name
        self.columns_out = names


class DaskContextualizedGLM:
    """A :class:`ctxstats.ContextualizedGLM` of data held as dask arrays, DataFrames or Series.

    ``ContextualizedGLM(endog, exog, context, ...)`` returns one of these when any of its data
    is a dask collection. The data stay on the workers: ``fit(client=None)`` (None: the active
    ``distributed`` client, as in ``xgboost.dask``) runs every pass over the rows as one task
    per partition, and only small sums travel -- each partition's column sums (the
    standardisation, two passes), then, per solver iteration, its sums of the exact solver
    (Hessian, gradient, loss, context Gram matrix), added on the client in partition order and
    solved there by the core. The fit equals the in-memory fit of the same rows up to rounding
    (the sums are added in another order). Reading the partitions again for every pass is what
    keeps memory bounded (out of core); persist the collections first to keep them in the
    workers' memory instead.

    Available: the linear encoder with the exact solver (gaussian: one pass; binomial and
    poisson: one pass per IRLS iteration), with optional ``weights`` (a dask collection with
    the same partitions), and the in-memory linear fit's analytic covariances (``cov_type``
    "nonrobust", "HC0" .. "HC3", "cluster"; one more read of the partitions, two for
    HC2/HC3) behind ``bse``, ``pvalues`` and ``conf_int``. The spline encoder (even knot
    spacing): its knots from the partitions' ranges of each context feature, its centres
    from their basis sums, then the penalised passes with REML/GCV smoothing (PQL for binomial
    and poisson: passes per iteration), and the average effects' covariance from Vp at the
    partitions' mean basis row. The neural encoders (``mlp``, ``ngam``, archetypes) by
    L-BFGS: each objective evaluation returns every partition's sums of the loss and gradient
    (the partitions are read once into the workers' memory; one task per worker for the
    partitions it holds). The early-stopping
    split is the in-memory fit's and the fit is bitwise the same for any number of workers;
    against the in-memory fit, whose sums group the rows differently, the first iterations
    agree to rounding, and a long non-convex path (some hundred iterations) drifts apart as
    it does under any perturbation of one ulp (the tests' short fits agree to 1e-8; a default
    ngam fit of 20,000 rows, 185 iterations, to 3e-2 in the sample parameters). Bootstrap
    replicates of the linear and spline encoders (``fit(n_bootstraps=B)``, cov_type
    "bootstrap") by
    the Poisson bootstrap: each row's count in a replicate is a Poisson(1) draw keyed (seed,
    replicate, row), so every partition draws its own, whatever the partitioning -- not the
    in-memory fit's multinomial replicates, but the same distribution up to O(1/n). Not
    yet: bootstraps of the neural encoders and cluster bootstraps of dask-held data (fit
    them in memory, or on a sample), and so a neural fit's standard errors.

    All the collections must have the same partitions (the same number, each the same rows);
    a partition with bad values fails with the in-memory fit's ValueError prefixed by
    ``partition k:`` (its rows numbered within the partition).
    """

    def __init__(self, endog, exog, context, family=None, encoder=None, fit_intercept=None, weights=None,
                 **encoder_options):
        from ctxstats import _options

        given = _options.given(family=family, encoder=encoder, fit_intercept=fit_intercept, **encoder_options)
        base = _options.resolve("glm", given, solver_known=False)
        self.family, self.encoder, self.fit_intercept = base["family"], base["encoder"], base["fit_intercept"]
        self._given_options = given
        import dask.dataframe as dd

        self._context_collection, self._exog_collection = context, exog  # as given: per-sample outputs
        given_data = {"endog": endog, "exog": exog, "context": context, "weights": weights}
        frames = {k for k, v in given_data.items() if isinstance(v, (dd.DataFrame, dd.Series))}
        if frames and len(frames) != sum(v is not None for v in given_data.values()):
            raise TypeError("give endog, exog, context (and weights) all as dask DataFrames/Series, or all as dask "
                            f"arrays, not a mixture ({', '.join(sorted(frames))} are DataFrames or Series)")
        if frames:
            endog, exog, context, weights = _co_partitioned(endog, exog, context, weights)
        self._y, names, chunks = _partitions(endog, "endog", "y", 1)
        self.endog_name = names[0]
        self._C, self.context_names, c_chunks = _partitions(context, "context", "c", 2)
        if exog is None:
            self._X, self.exog_names, x_chunks = [None] * len(self._y), [], None
        else:
            self._X, self.exog_names, x_chunks = _partitions(exog, "exog", "x", 2)
        if weights is None:
            self._w, w_chunks = [None] * len(self._y), None
        else:
            self._w, _, w_chunks = _partitions(weights, "weights", "w", 1)
        counts = {"endog": len(self._y), "exog": len(self._X), "context": len(self._C)}
        if weights is not None:
            counts["weights"] = len(self._w)
        if len(set(counts.values())) != 1:
            raise ValueError(f"{', '.join(counts)} must have the same number of partitions, not "
                             + ", ".join(f"{a} {b}" for a, b in counts.items()))
        known = [c for c in (chunks, c_chunks, x_chunks, w_chunks) if c is not None]
        if any(c != known[0] for c in known):
            raise ValueError("the dask arrays must have the same row chunks (rechunk them alike)")
        if not self.fit_intercept and not self.exog_names:
            raise ValueError("the model has no parameters: exog is empty and fit_intercept is False")

    @property
    def npartitions(self) -> int:
        return len(self._y)

    @property
    def param_names(self) -> list[str]:
        return (["Intercept"] if self.fit_intercept else []) + list(self.exog_names)

    def _options(self, **fit_options) -> dict:
        from ctxstats import _options

        given = {**self._given_options, **_options.given(**fit_options)}
        opts = _options.resolve("glm", given)
        if opts.get("linear_skip") and "linear_skip" not in given:
            # The table's default skip (the gaussian ngam's) starts from an exact linear fit of every
            # row, which a fit over partitions does not have yet (the core refuses a given
            # linear_skip=True there): a partitioned fit keeps the network without the skip.
            opts = _options.resolve("glm", {**given, "linear_skip": False})
        return opts

    def _run(self, client, task, *args, extra=None):
        """task(k, y_k, X_k, C_k, w_k, [extra_k,] *args) for every partition k, results in
        partition order (extra: one more per-partition collection, e.g. the cluster labels)."""
        from dask import delayed

        tasks = [delayed(task, pure=True)(k, y, X, C, w, *([] if extra is None else [extra[k]]), *args)
                 for k, (y, X, C, w) in enumerate(zip(self._y, self._X, self._C, self._w))]
        return _gather_in_order(client, client.compute(tasks))

    def _cluster_labels(self, groups):
        """(per-partition delayed labels, every distinct label) of ``groups``, a dask Series
        or one-dimensional array with the data's partitions."""
        import dask.array as da
        import dask.dataframe as dd

        if isinstance(groups, dd.DataFrame):
            raise ValueError("groups must be one column (a dask Series or one-dimensional array), not a DataFrame")
        if isinstance(groups, dd.Series):
            parts = list(groups.to_delayed())
            labels = groups.dropna().unique(split_out=1).compute()
        elif isinstance(groups, da.Array):
            if groups.ndim != 1:
                raise ValueError(f"groups must be one-dimensional, not shape {groups.shape}")
            parts = list(groups.to_delayed().ravel())
            labels = da.unique(groups).compute()
        else:
            raise TypeError("groups of data held as dask collections must be a dask Series or array with the "
                            f"data's partitions, not {type(groups).__name__}")
        if len(parts) != self.npartitions:
            raise ValueError(f"groups must have the data's {self.npartitions} partitions, not {len(parts)}")
        labels = np.asarray(labels)
        if labels.dtype.kind == "f":
            labels = labels[~np.isnan(labels)]
        if len(labels) < 2:
            raise ValueError("cov_type='cluster' needs at least 2 distinct groups")
        return parts, labels

    def fit(self, client=None, n_bootstraps=None, cov_type=None, groups=None,
            **fit_options) -> "DaskContextualizedGLMResults":
        """Fit on the workers of ``client`` (None: the active ``distributed`` client).
        ``fit_options``: those of :meth:`ctxstats.ContextualizedGLM.fit` that apply to the exact
        solver (solver, threads, max_iter, tol, alpha, l1_ratio=0, mu_ratio, weight_decay);
        ``threads`` is each task's thread count (default 1: a worker runs one task per thread).

        ``cov_type``: the analytic covariance of the in-memory linear fit -- "nonrobust" (the
        default), "HC0" .. "HC3" or "cluster" with ``groups`` (a dask Series or array with the
        data's partitions; labels may repeat across partitions) -- summed over the partitions
        in one more read (HC2/HC3: two); None is "nonrobust", or "bootstrap" with
        ``n_bootstraps``.

        ``n_bootstraps`` (linear and spline encoders): B Poisson-bootstrap replicates, each the
        exact fit of the rows weighted by Poisson(1) counts keyed (seed, replicate, row index)
        (a spline replicate keeps the full-data fit's knots and centres and re-estimates its
        smoothing), with the partitions read into the workers' memory once;
        ``bootstrap_weights`` holds them and ``cov_type="bootstrap"`` gives the replicates'
        covariance, percentile intervals and p-values of the average effects."""
        from ctxstats.inference import ANALYTIC_COV_TYPES

        client = resolve_client("default" if client is None else client)
        fit_options.setdefault("threads", 1)
        opts = self._options(**fit_options)
        spline = opts["encoder"] == "spline"
        exact = (opts["encoder"] == "linear" and opts.get("archetypes", 0) == 0) or spline
        if exact and opts["solver"] not in ("auto", "exact") or not exact and opts["solver"] not in ("auto", "lbfgs"):
            raise ValueError("data held as dask collections are fitted by the exact solver (encoder='linear' or "
                             "'spline', solver='exact' or None) or, for the neural encoders, by L-BFGS (solver="
                             f"'lbfgs' or None); encoder={opts['encoder']!r} with solver={opts['solver']!r} is not "
                             "available for them")
        if n_bootstraps is not None:
            if not (isinstance(n_bootstraps, (int, np.integer)) and not isinstance(n_bootstraps, bool)
                    and n_bootstraps >= 0):
                raise ValueError(f"n_bootstraps must be a non-negative integer, not {n_bootstraps!r}")
            if n_bootstraps == 1:
                raise ValueError("n_bootstraps must be 0 (none) or at least 2")
        if n_bootstraps and (not exact or groups is not None):
            raise ValueError("bootstrap replicates of data held as dask collections are available for the linear "
                             "and spline encoders (rows resampled, the Poisson bootstrap); for the "
                             f"{'cluster bootstrap' if groups is not None else opts['encoder'] + ' encoder'}, fit the "
                             "data (or a sample of them) in memory with fit(n_bootstraps=B, client=client)")
        if n_bootstraps and cov_type is None:
            cov_type = "bootstrap"
        if cov_type == "bootstrap" and not n_bootstraps:
            raise ValueError("cov_type='bootstrap' needs n_bootstraps=B (e.g. 200)")
        if not exact:
            if cov_type is not None or groups is not None:
                raise ValueError("a neural fit's standard errors come from bootstrap replicates, which are not "
                                 "available for data held as dask collections yet; cov_type and groups apply to the "
                                 "linear encoder")
        elif spline:
            if cov_type not in (None, "bootstrap") or groups is not None:
                raise ValueError("a spline fit's standard errors come from its Bayesian covariance Vp (as mgcv's); "
                                 "cov_type and groups apply to the linear encoder")
        else:
            cov_type = "nonrobust" if cov_type is None else cov_type
            if cov_type not in ANALYTIC_COV_TYPES + ("bootstrap",):
                raise ValueError(f"cov_type must be one of {ANALYTIC_COV_TYPES} for data held as dask collections, "
                                 f"not {cov_type!r}")
            if groups is None and cov_type == "cluster":
                groups = getattr(self, "cluster_groups", None)  # from_formula(..., groups="column")
            if (groups is not None) != (cov_type == "cluster"):
                raise ValueError("cov_type='cluster' needs groups: one cluster label per row" if groups is None else
                                 f"groups are used by cov_type='cluster' only, not cov_type={cov_type!r}")
        cluster = self._cluster_labels(groups) if groups is not None else None
        scaling, plain = self._scaling(client, opts)
        if spline:
            opts = self._place_spline(client, opts, plain)
        out = self._fit_passes(client, opts, scaling, plain) if exact else \
            self._fit_network(client, opts, scaling, plain)
        res = DaskContextualizedGLMResults(self, out, opts, client)
        if spline and n_bootstraps and not res.interrupted:
            boot = self._bootstrap(client, opts, scaling, plain, int(n_bootstraps))
            res._set_bootstrap(boot, self._replicate_means(client, opts, res.scaling, boot["weights"]))
            res.cov_type = "bootstrap"
        if exact and not spline and not res.interrupted:
            if n_bootstraps:
                res._set_bootstrap(self._bootstrap(client, opts, scaling, plain, int(n_bootstraps)))
            res._set_covariance(self._covariance(client, res, opts, "nonrobust" if cov_type == "bootstrap"
                                                 else cov_type, cluster))
            if cov_type == "bootstrap":
                res.cov_type = "bootstrap"
        from ctxstats.convergence import warn_if_unconverged

        warn_if_unconverged(res.converged, res.message, res.interrupted)
        return res

    def _scaling(self, client, opts):
        """The scaling of all the rows from two passes of column sums: (with poisson_start and
        rows, without)."""
        sums = self._run(client, _sums_task, opts, None)
        means = _core.scaling_from_sums(sums, None, opts)
        about = {k: means[k] for k in ("c_mean", "c_scale", "x_mean", "x_scale", "y_mean", "y_scale", "intercept")}
        squares = self._run(client, _sums_task, opts, about)
        scaling = _core.scaling_from_sums(sums, squares, opts)
        self.nobs = int(scaling["rows"])
        return scaling, {k: scaling[k] for k in about}

    def _fit_passes(self, client, opts, scaling, plain):
        def passes(b, hessian):
            return self._run(client, _pass_task, opts, plain, np.asarray(b), bool(hessian))

        return _core.fit_exact_passes(opts, scaling, len(self.context_names), len(self.exog_names), passes)

    def _loaded(self, client, opts):
        """The partitions read into the workers' memory (futures, for fits that pass over them
        many times), and each(task, *args, per_partition=None): task(k, partition k,
        [per_partition[k],] *args) for every partition, results in partition order."""
        from dask import delayed

        from distributed import wait

        loaded = client.compute([delayed(_load_task, pure=True)(k, y, X, C, w, opts["family"])
                                 for k, (y, X, C, w) in enumerate(zip(self._y, self._X, self._C, self._w))])
        wait(loaded)
        first_error = next((f for f in loaded if f.status == "error"), None)
        if first_error is not None:  # the lowest bad partition, as an in-memory fit meets the first bad row
            raise first_error.exception()
        # One task per worker for all the partitions it holds: a pass is then one round trip
        # per worker rather than per partition (a fit makes hundreds of passes).
        holders: dict = {}
        for k, workers in enumerate(client.who_has(loaded)[f.key] for f in loaded):
            holders.setdefault(sorted(workers)[0] if workers else None, []).append(k)

        def each(task, *args, per_partition=None):
            extra = [()] * len(loaded) if per_partition is None else [(h,) for h in per_partition]
            futures = [client.submit(_each_held, task, [(k, loaded[k], extra[k]) for k in ks], args,
                                     workers=None if worker is None else [worker], allow_other_workers=True,
                                     pure=False)
                       for worker, ks in holders.items()]
            results = [None] * len(loaded)
            errors = {}
            for ks, out in zip(holders.values(), _gather_in_order(client, futures)):
                for k, (ok, value) in zip(ks, out):
                    if ok:
                        results[k] = value
                    else:
                        errors[k] = value
            if errors:  # the lowest failing partition's error, as in memory
                raise errors[min(errors)]
            return results
        return loaded, each

    def _bootstrap(self, client, opts, scaling, plain, n_bootstraps: int) -> dict:
        """Poisson bootstrap replicates of the linear encoder's exact fit (the core's
        glm/poisson_bootstrap.hpp): replicate r refits the rows weighted by their Poisson(1)
        counts, keyed (seed, r, row index in the whole data), so every partition draws its own
        counts and the replicates do not depend on the partitions' number or the workers'.
        The partitions are read into the workers' memory once; every replicate is the exact
        fit over passes, on the full-data fit's scaling."""
        loaded, each = self._loaded(client, opts)
        try:
            rows = each(_rows_task)
            starts = [int(v) for v in np.cumsum([0] + list(rows))[:-1]]
            seed = int(opts["seed"])
            m, p = len(self.context_names), len(self.exog_names)
            weights, converged, messages = [], [], []
            for r in range(n_bootstraps):
                def passes(b, hessian, r=r):
                    return each(_poisson_pass_task, opts, plain, np.asarray(b), bool(hessian), seed, r,
                                per_partition=starts)
                out = _core.fit_exact_passes(opts, scaling, m, p, passes)
                weights.append(np.asarray(out["weights"]))
                converged.append(bool(out["converged"]))
                messages.append(out["message"])
        finally:
            client.cancel(loaded)
        unconverged = [msg for ok, msg in zip(converged, messages) if not ok]
        return {"weights": np.vstack(weights), "converged": np.asarray(converged),
                "message": _core.bootstrap_convergence_message(len(unconverged), n_bootstraps,
                                                               unconverged[0] if unconverged else "")}

    def _replicate_means(self, client, opts, scaling, W) -> np.ndarray:
        """B x q: each replicate's average effects, the mean over all the rows of its sample
        parameters (the spline encoder's are not those at the mean context), summed per
        partition on the workers and added in partition order."""
        from dask import delayed

        W = np.ascontiguousarray(W, dtype=float)
        parts = [delayed(_replicate_sums_task, pure=True)(k, C, opts, scaling, W) for k, C in enumerate(self._C)]
        total, rows = 0.0, 0
        for s, n in _gather_in_order(client, client.compute(parts)):
            total = total + s
            rows += n
        return total / rows

    def _fit_network(self, client, opts, scaling, plain):
        """A neural encoder's L-BFGS fit (the core's glm/network_passes.hpp). The partitions are
        read once into the workers' memory (a few hundred passes follow); every objective
        evaluation then returns every partition's sums (one task per worker), added in
        partition order by the core. The early-stopping split is the in-memory fit's, over the rows of positive
        weight in partition order: each partition gets the ordinals of its held-out rows."""
        loaded, each = self._loaded(client, opts)
        split = []

        def held_out():
            if not split:
                counts = each(_positive_task)
                ordinals = _core.held_out_ordinals(int(opts["seed"]), int(sum(counts)))
                edges = np.cumsum([0] + list(counts))
                split.extend(ordinals[(ordinals >= a) & (ordinals < b)] - a for a, b in zip(edges[:-1], edges[1:]))
            return split

        def passes(w, grad, rows):
            held = [None] * len(loaded) if rows == 0 else held_out()
            return each(_network_task, opts, plain, np.asarray(w), bool(grad), int(rows), per_partition=held)

        try:
            return _core.fit_network_passes(opts, scaling, len(self.context_names), len(self.exog_names), passes)
        finally:
            client.cancel(loaded)

    def _place_spline(self, client, opts, plain) -> dict:
        """The spline encoder's basis from the partitions: its knots from every partition's range
        of each context feature (even spacing), its centres from their basis sums, both combined
        by the core in partition order; the fit then runs the penalised passes (REML/GCV; PQL
        for binomial and poisson) and its average effects use Vp at the partitions' mean basis
        row."""
        m = len(self.context_names)
        summaries = self._run(client, _spline_summary_task, opts, plain)
        opts = {**opts, "knots": list(_core.spline_knots(summaries, opts, m, [str(c) for c in self.context_names]))}
        centre_sums = self._run(client, _spline_centre_task, opts, plain)
        return {**opts, "centres": list(_core.spline_centres(centre_sums, opts, m))}

    def _covariance(self, client, res, opts, cov_type, cluster):
        """The core's covariance of the interaction coefficients from each partition's sums."""
        from ctxstats.inference import linear_covariance_from

        m = len(self.context_names)
        b = np.ascontiguousarray(_core.interaction_coefficients(res.scaling, m, res.weights).reshape(-1))
        parts, labels = ([None] * self.npartitions, None) if cluster is None else cluster

        def passes(bread_inverse):
            return self._run(client, _covariance_task, opts, res.scaling, b, cov_type, labels, bread_inverse,
                             extra=parts)

        quasi = opts.get("dispersion") == "pearson"
        return linear_covariance_from(_core.linear_covariance_passes(opts["family"], res.scaling, cov_type, quasi,
                                                                     passes), b)


class DaskContextualizedGLMResults:
    """The fit of a :class:`DaskContextualizedGLM`: the encoder weights and solver report (as
    :class:`ctxstats.ContextualizedGLMResults` has them), the average effects ``params``
    (computed on the workers), and per-sample outputs as dask collections with the input's
    partitions (``sample_params``, ``predict``)."""

    def __init__(self, model, core_out: dict, options: dict, client):
        from dask import delayed

        self.model = model
        self.options = options
        from ctxstats.results import set_solver_report

        set_solver_report(self, core_out)
        self.nobs = model.nobs
        parts = [delayed(_theta_sum_task, pure=True)(k, C, options, self.scaling, self.weights)
                 for k, C in enumerate(model._C)]
        total, c_total, rows = np.zeros(len(self.param_names)), 0.0, 0
        for s, c, n in _gather_in_order(client, client.compute(parts)):  # partition order
            total += s
            c_total = c_total + c
            rows += n
        import pandas as pd

        self.params = pd.Series(total / rows, index=self.param_names, name="params")
        self.spline_fit = core_out.get("spline")
        # the mean context (linear) or mean basis row (spline): the average effects' map
        self.context_mean = None if self.spline_fit else c_total / rows
        self._basis_mean = c_total / rows if self.spline_fit else None
        self.cov_type = None
        self._lc = None
        self.neural = self.solver == "lbfgs"  # a neural encoder's fit: no analytic covariance

    def _set_covariance(self, lc) -> None:
        self._lc = lc
        self.cov_type = lc.cov_type

    def _set_bootstrap(self, boot: dict, means=None) -> None:
        """The Poisson bootstrap's replicates (DaskContextualizedGLM._bootstrap): their weights,
        and their average effects (``means``; None: theta_r(mean context), the linear
        encoder's average over the rows), from which cov_type="bootstrap" takes its covariance,
        percentile intervals and p-values."""
        from ctxstats.convergence import warn_if_unconverged

        self.bootstrap_weights = boot["weights"]
        self.n_bootstraps = self.bootstrap_weights.shape[0]
        self.bootstrap_converged = boot["converged"]
        self.bootstrap_message = boot["message"]
        if means is None:
            c = np.ascontiguousarray(np.asarray(self.context_mean, dtype=float)[None, :])
            means = np.vstack([_core.predict_theta(self.options, self.scaling, w, c)[0] for w in self.bootstrap_weights])
        self._boot_means = np.asarray(means, dtype=float)
        if self.bootstrap_message:
            warn_if_unconverged(False, self.bootstrap_message, False)

    def _require_covariance(self):
        if self.neural:
            raise ValueError("a neural fit has no analytic covariance: its standard errors come from bootstrap "
                             "replicates, which are not available for data held as dask collections yet (fit the "
                             "data, or a sample of them, in memory with fit(n_bootstraps=B, client=client))")
        if self.spline_fit is not None:
            raise ValueError("a spline fit has no covariance of interaction coefficients; its average effects' "
                             "covariance is cov_params() (from Vp)")
        if self._lc is None:
            raise ValueError("this fit has no covariance (it was interrupted)")
        return self._lc

    def _spline_tests(self) -> dict:
        sm = self.spline_fit.get("smoothing") if self.spline_fit else None
        if sm is None:
            raise ValueError("this fit has no covariance (it was interrupted)")
        if not hasattr(self, "_tests"):
            self._tests = _core.spline_tests(self.options, self.scaling, np.asarray(self.weights, dtype=float), sm,
                                             len(self.model.context_names))
        return self._tests

    @property
    def smoothing(self) -> dict:
        """A spline fit's smoothing report: method, smoothing parameters, edf, scale, Vp."""
        if self.spline_fit is None:
            raise ValueError("smoothing is a spline fit's report")
        return self.spline_fit["smoothing"]

    @property
    def interaction_cov(self):
        """Covariance of the interaction coefficients b (theta_i = U [1; c_i], b = vec(U)
        row by row), in the user's units, as the in-memory linear fit's."""
        return self._require_covariance().cov

    @property
    def scale(self) -> float:
        """Residual variance (gaussian), the Pearson dispersion (quasi families) or 1."""
        if self.spline_fit is not None:
            return float(self.smoothing["scale"])
        return self._require_covariance().scale

    @property
    def df_resid(self) -> float:
        """n - rank (linear) or n - total edf (spline)."""
        if self.spline_fit is not None:
            return float(self._spline_tests()["df_resid"])
        return self._require_covariance().df_resid

    @property
    def use_t(self) -> bool:
        if self.cov_type == "bootstrap":
            return False
        if self.spline_fit is not None:
            return bool(self._spline_tests()["estimated_scale"])
        return self._require_covariance().use_t

    def cov_params(self):
        """Covariance of the average effects ``params``: L V L' with L = I (x) [1, mean context]
        (linear), or L Vp L' with L the mean basis row's map (spline, as the in-memory fit's)."""
        import pandas as pd

        if self.cov_type == "bootstrap":
            from ctxstats.inference import replicate_covariance

            cov = replicate_covariance(self._boot_means)
        elif self.spline_fit is not None:
            self._spline_tests()  # a fit without a smoothing report (interrupted) has none
            cov = _core.spline_average_effects_at(self.options, self.scaling, np.asarray(self.weights, dtype=float),
                                                  np.asarray(self.smoothing["Vp"], dtype=float),
                                                  np.asarray(self._basis_mean, dtype=float))[1]
        else:
            lc = self._require_covariance()
            cov = _core.average_effect_covariance(lc.cov, np.ascontiguousarray(self.context_mean[None, :]),
                                                  len(self.param_names))
        return pd.DataFrame(cov, index=self.param_names, columns=self.param_names)

    @property
    def bse(self):
        import pandas as pd

        return pd.Series(np.sqrt(np.diag(self.cov_params().to_numpy())), index=self.param_names, name="bse")

    def _table(self, alpha: float = 0.05) -> np.ndarray:
        from ctxstats.inference import check_alpha, coefficient_table, percentile_summary

        if self.cov_type == "bootstrap":  # the in-memory bootstrap's: percentile intervals and p-values
            ps = percentile_summary(self._boot_means, check_alpha(alpha))
            coef = self.params.to_numpy()
            return np.column_stack([coef, ps["se"], coef / ps["se"], ps["pvalue"], ps["lower"], ps["upper"]])
        return coefficient_table(self.params.to_numpy(), self.bse.to_numpy(), self.use_t, self.df_resid,
                                 check_alpha(alpha))

    @property
    def tvalues(self):
        import pandas as pd

        return pd.Series(self._table()[:, 2], index=self.param_names, name="tvalues")

    @property
    def pvalues(self):
        """Two-sided p-values for params = 0 (t for gaussian nonrobust fits, normal otherwise,
        as the in-memory linear fit's)."""
        import pandas as pd

        return pd.Series(self._table()[:, 3], index=self.param_names, name="pvalues")

    def conf_int(self, alpha: float = 0.05):
        """Confidence intervals for ``params`` (columns 0 and 1, as statsmodels)."""
        import pandas as pd

        t = self._table(alpha)
        return pd.DataFrame({0: t[:, 4], 1: t[:, 5]}, index=self.param_names)

    def params_table(self, alpha: float = 0.05):
        """The average effects with standard errors, t or z statistics, p-values and intervals
        (the in-memory fit's ``params_table`` columns)."""
        import pandas as pd

        from ctxstats.covariance import interval_names

        t = self._table(alpha)
        lo, hi = interval_names(alpha)
        stat = "t" if self.use_t else "z"
        return pd.DataFrame({"coef": t[:, 0], "std err": t[:, 1], stat: t[:, 2], f"P>|{stat}|": t[:, 3],
                             lo: t[:, 4], hi: t[:, 5]}, index=self.param_names)

    def summary(self, alpha: float = 0.05):
        """Header (the data's partitions, the solver's report) and the average effects."""
        from ctxstats.summary import Summary

        m = self.model
        spline = self.spline_fit is not None
        s = Summary("Contextualized GLM Results (data held as dask collections)")
        if self.neural:
            s.add_header(
                [("Dep. Variable", m.endog_name), ("Family", m.family), ("Encoder", m.encoder),
                 ("Context", ", ".join(m.context_names)), ("No. Observations", str(self.nobs)),
                 ("Partitions", str(m.npartitions))],
                [("Solver", f"{self.solver}, {self.n_iter} iter."), ("Converged", str(self.converged)),
                 ("Objective", f"{self.objective:.6g}")])
            s.add_table("Average effects (no standard errors: a neural fit's come from bootstrap replicates, not "
                        "available for dask-held data)", self.params.to_frame("coef"))
            if not self.converged:
                s.add_note(f"the fit did not converge: {self.message}")
            return s
        covariance = (f"Poisson bootstrap, B={self.n_bootstraps}, percentile intervals" if self.cov_type == "bootstrap"
                      else "Bayesian covariance Vp (mgcv)" if spline else f"analytic, cov_type={self.cov_type}")
        s.add_header(
            [("Dep. Variable", m.endog_name), ("Family", m.family), ("Encoder", m.encoder),
             ("Context", ", ".join(m.context_names)), ("No. Observations", str(self.nobs)),
             ("Partitions", str(m.npartitions))],
            [("Solver", f"{self.solver}, {self.n_iter} iter."), ("Converged", str(self.converged)),
             ("Objective", f"{self.objective:.6g}"), ("Df Residuals", f"{self.df_resid:.2f}"),
             ("Scale", f"{self.scale:.6g}"), ("Covariance", covariance)])
        s.add_table(f"Average effects ({covariance}, {'t' if self.use_t else 'normal'})", self.params_table(alpha))
        if not self.converged:
            s.add_note(f"the fit did not converge: {self.message}")
        return s

    @property
    def param_names(self) -> list[str]:
        return self.model.param_names

    def predict_params(self, context):
        """Per-sample parameters for contexts held as a dask array or DataFrame: a dask
        collection of the same kind and partitions (a DataFrame with the parameters' names)."""
        import dask.array as da
        import dask.dataframe as dd
        import pandas as pd

        names = self.param_names
        opts, scaling, weights = self.options, self.scaling, self.weights
        if isinstance(context, (dd.DataFrame, dd.Series)):
            frame = context.to_frame() if isinstance(context, dd.Series) else context
            meta = pd.DataFrame({n: pd.Series(dtype=float) for n in names})

            def block(part):
                theta = _theta_block(part.to_numpy(dtype=float, na_value=np.nan), opts, scaling, weights)
                return pd.DataFrame(theta, columns=names, index=part.index)

            return frame.map_partitions(block, meta=meta)
        if isinstance(context, da.Array):
            if context.ndim != 2:
                raise ValueError(f"context must be two-dimensional, not shape {context.shape}")
            context = context.rechunk({1: -1})
            return context.map_blocks(_theta_block, opts, scaling, weights, dtype=float,
                                      chunks=(context.chunks[0], (len(names),)))
        raise TypeError(f"context must be a dask array or DataFrame, not {type(context).__name__}")

    @property
    def sample_params(self):
        """Each fitted sample's parameters, a dask collection with the context's partitions."""
        return self.predict_params(self.model._context_collection)

    def predict(self, exog=None, context=None, which: str = "mean"):
        """Predicted mean (``which="mean"``) or linear predictor (``"linear"``) as a dask array
        with the context's row chunks; with neither argument, for the fitted samples. A formula
        fit also predicts for a dask DataFrame of the formula's variables (``predict(new)``),
        coded by the fitted formula partition by partition."""
        import dask.array as da
        import dask.dataframe as dd

        from ctxstats._families import inverse_link
        from ctxstats._validation import check_choice

        check_choice(which, ("mean", "linear"), "which")
        plan = getattr(self.model, "formula_plan", None)
        if plan is not None and context is None and isinstance(exog, dd.DataFrame):
            from ctxstats.formula.dask_design import new_data_design

            exog, context = new_data_design(plan, exog)  # the fitted formula's coding, on the workers
        if exog is None and context is None:
            exog, context = self.model._exog_collection, self.model._context_collection
        elif context is None:
            raise ValueError("predict needs both exog and context (or neither)")
        theta = self.predict_params(context)
        theta = theta.to_dask_array(lengths=True) if not isinstance(theta, da.Array) else theta
        if exog is None:
            X = da.zeros((theta.shape[0], 0), chunks=(theta.chunks[0], (0,)))
        else:
            X = exog.to_dask_array(lengths=True) if not isinstance(exog, da.Array) else exog
            if X.ndim == 1:
                X = X[:, None]
            X = X.astype(float).rechunk((theta.chunks[0], -1))
        off = 1 if self.model.fit_intercept else 0
        eta = (theta[:, off:] * X).sum(axis=1)
        if off:
            eta = eta + theta[:, 0]
        if which == "linear":
            return eta
        family = self.model.family
        return eta.map_blocks(lambda e: inverse_link(family, e), dtype=float)
