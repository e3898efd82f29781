"""Fitted contextualized networks in the core's model file, the format R's ``ctx_save`` and
``ctx_load`` read and write for ``ctx_network`` fits.

    net.save("net.ctxm")              # or ctxstats.save(net, "net.ctxm"); R: ctx_load("net.ctxm")
    net = ctxstats.load("net.ctxm")   # R: ctx_save(fit, "net.ctxm") with a ctx_network fit

The core writes and reads the file (``csrc/model/network_file.hpp``): the network's options,
DAG options, scaling, encoder weights, bootstrap replicates and residual variances, solver
report, feature and context names, and annotations; it checks every record against the
network's dimensions and refuses a damaged, truncated or crafted file with ``ValueError``
naming what is wrong. A loaded network predicts bitwise identically to the one saved.

The estimator's constructor parameters travel as the annotation ``python/params`` (JSON); a
network saved in R gets the parameters its options imply (``encoder_type``, ``n_bootstraps``,
``random_state``; the rest at their defaults). R keeps a fit's training data in the file
(``data/C``, ``data/X``); Python networks keep none, so an R session predicting from a network
saved here passes ``newcontext`` explicitly.
"""
from __future__ import annotations

import json

from ctxstats import _core

__all__ = ["save_network", "load_network"]

_CLASS_OF_TYPE = {"correlation": "ContextualizedCorrelationNetworks", "markov": "ContextualizedMarkovNetworks",
                  "bayesian": "ContextualizedBayesianNetworks"}


def _json_params(est) -> str | None:
    """The constructor parameters as JSON, or None when one of them is not plain data."""
    try:
        return json.dumps(est.get_params(), allow_nan=False)
    except (TypeError, ValueError):
        return None


def save_network(est, path) -> None:
    """Write a fitted ``ctxstats.easy`` network estimator to ``path`` (a path or binary file)."""
    model = getattr(est, "model_", None)
    if model is None:
        raise ValueError(f"this {type(est).__name__} is not fitted yet; fit it before saving it in the model file")
    meta = {"language": "python", "python/model_class": type(est).__name__}
    params = _json_params(est)
    if params is None:
        raise TypeError(f"cannot save this {type(est).__name__}: a constructor parameter is not plain data "
                        "(numbers, strings, None, lists and dicts of them)")
    meta["python/params"] = params
    names = [str(v) for v in est.feature_names_]
    context_names = [f"c{j + 1}" for j in range(int(model["m"]))]
    data = _core.network_to_bytes(model, names, context_names, meta)
    if hasattr(path, "write"):
        path.write(data)
    else:
        with open(path, "wb") as fh:
            fh.write(data)


def _params_from(cls, saved: dict, meta: dict) -> dict:
    """The estimator's constructor parameters: the file's ``python/params`` when it has them,
    else what the network's options imply (a network saved in R)."""
    names = set(cls._get_param_names())
    if "python/params" in meta:
        try:
            params = json.loads(meta["python/params"])
        except ValueError as exc:
            raise ValueError(f"the model file's python/params are unreadable: {exc}") from exc
        if not isinstance(params, dict) or not set(params) <= names:
            unknown = sorted(set(params) - names) if isinstance(params, dict) else params
            raise ValueError(f"the model file's python/params name parameters {cls.__name__} does not have: {unknown}")
        return params
    opts = saved["model"]["options"]
    B = int(saved["model"]["replicate_weights"].shape[0])
    params = {"encoder_type": opts.get("encoder", "linear"), "n_bootstraps": B if B >= 2 else 1,
              "random_state": int(opts.get("seed", 0) or 0)}
    return {k: v for k, v in params.items() if k in names}


def load_network(raw: bytes):
    """The fitted network estimator a model file's bytes hold."""
    from ctxstats import networks

    saved = _core.network_from_bytes(raw)
    model, meta = saved["model"], saved["meta"]
    cls = getattr(networks, _CLASS_OF_TYPE[model["type"]])
    est = cls(**_params_from(cls, saved, meta))
    est.context_dim, est.x_dim = int(model["m"]), int(model["p"])
    est.feature_names_ = list(saved["feature_names"])
    est.n_bootstraps_ = int(model["replicate_weights"].shape[0])
    est.model_ = model
    return est
