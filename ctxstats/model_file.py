"""Contextualized GLM fits in the core's model file, the format the R package reads and writes.

    ctxstats.save(results, "fit.ctxm")      # R: fit <- ctx_load("fit.ctxm")
    results = ctxstats.load("fit.ctxm")     # R: ctx_save(fit, "fit.ctxm")

The file is written and read by the C++ core (``csrc/model/``): typed, named records of
numbers and text with a checksum, nothing that runs. It holds the fit's options, scaling,
encoder weights, solver and smoothing reports, bootstrap replicates, names, the training data
(so that standard errors and tests are recomputed after loading, as in the session that fitted
it) and annotations: ``formula`` (both languages), ``cov_type``, and each language's own
(``python/...``, ``r/...``; the formula's fitted transforms). The reader checks every array
against the model's dimensions and refuses a damaged or crafted file with ``ValueError``.

A model saved in R loads here with its names, data, replicates and inference; a formula fitted
in R keeps its text (``results.model.formula``) but predicts from arrays or frames of the
fitted columns, since R's formula transforms do not run in Python; the same holds in R for a
Python formula fit.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ctxstats import _core

MAGIC = b"CTXSTATS"

__all__ = ["is_model_file", "save_results", "load_results"]


def is_model_file(path) -> bool:
    """Whether ``path`` (a path or a binary file object) starts with the model file's magic."""
    if hasattr(path, "read"):
        pos = path.tell()
        head = path.read(len(MAGIC))
        path.seek(pos)
        return head == MAGIC
    try:
        with open(path, "rb") as fh:
            return fh.read(len(MAGIC)) == MAGIC
    except (IsADirectoryError, PermissionError):
        return False


def _row_labels(index) -> str | None:
    if index is None or isinstance(index, pd.RangeIndex):
        return None
    values = index.tolist()
    if all(isinstance(v, str) for v in values) or all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                                       for v in values):
        return json.dumps([v if isinstance(v, str) else int(v) for v in values])
    return None


def save_results(results, path) -> None:
    """Write a ContextualizedGLMResults to ``path`` in the core's model file."""
    core_model = getattr(results, "_core_model", None)
    if core_model is None:
        raise TypeError("cannot save this fit in the model file: it was interrupted before its weights were valid, "
                        "or made by a ctxstats that kept no core model; refit it")
    model = results.model
    meta = {"language": "python", "python/model_class": type(model).__name__}
    formula = getattr(model, "formula", None)
    plan = getattr(model, "formula_plan", None)
    if formula is not None and plan is not None:
        plan._check_savable()
        meta["formula"] = formula
        meta["python/formula_plan"] = json.dumps({
            "formula": plan.formula, "endog_name": plan.endog_name, "fit_intercept": bool(plan.fit_intercept),
            "exog_names": list(plan.exog_names), "context_names": list(plan.context_names),
            "exog_state": plan.exog_state, "context_state": plan.context_state})
    if results.cov_type is not None:
        meta["cov_type"] = results.cov_type
    if results.cov_type == "cluster":           # both languages read the codes back
        meta["cluster_groups"] = json.dumps([int(g) for g in results.groups])
    labels = _row_labels(model.row_labels)
    if labels is not None:
        meta["python/row_labels"] = labels
    # The core model already holds the replicates (attached when the fit made them).
    annotated = core_model.annotated(list(model.param_names), list(model.context_names), str(model.endog_name),
                                     (model.context, model.exog, model.endog, model.weights), meta)
    data = annotated.to_bytes()
    if hasattr(path, "write"):
        path.write(data)
    else:
        with open(path, "wb") as fh:
            fh.write(data)


def _formula_plan(text: str):
    from ctxstats.formula.parse import FormulaPlan

    try:
        s = json.loads(text)
        return FormulaPlan(formula=s["formula"], endog_name=s["endog_name"], fit_intercept=bool(s["fit_intercept"]),
                           exog_names=tuple(s["exog_names"]), context_names=tuple(s["context_names"]),
                           exog_state=dict(s["exog_state"]), context_state=dict(s["context_state"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"the model file's formula plan is unreadable: {exc}") from exc


def load_results(path):
    """Read a ContextualizedGLMResults from the core's model file at ``path`` (or, when the file
    holds a network, the fitted ``ctxstats.easy`` network estimator)."""
    from ctxstats.covariance import choose_inference
    from ctxstats.inference import resolve_cov_type
    from ctxstats.results import ContextualizedGLMResults

    if hasattr(path, "read"):
        raw = path.read()
    else:
        with open(path, "rb") as fh:
            raw = fh.read()
    if _core.model_file_kind(raw) == "network":  # a fitted network (ctxstats.network_file)
        from ctxstats.network_file import load_network

        return load_network(raw)
    fm = _core.FittedModel.from_bytes(raw)
    data = fm.data()
    if data is None:
        raise ValueError(f"{path!r} holds a model without its training data, which ctxstats' results need")
    C, X, y, w = data
    opts = fm.options()
    meta = fm.meta()
    intercept = bool(opts["fit_intercept"])
    exog_names = fm.param_names[1:] if intercept else fm.param_names
    labels = None
    if "python/row_labels" in meta:
        try:
            labels = pd.Index(json.loads(meta["python/row_labels"]))
        except ValueError as exc:
            raise ValueError(f"the model file's row labels are unreadable: {exc}") from exc
        if len(labels) != len(y):
            raise ValueError("the model file's row labels do not match its training data")
    index = labels if labels is not None else pd.RangeIndex(len(y))
    from ctxstats import _options

    encoder_options = {k: v for k, v in opts.items()
                       if v is not None and k in _options.SCHEMA and not _options.SCHEMA[k]["internal"]
                       and _options.SCHEMA[k]["group"] in ("encoder", "spline")
                       and k != "encoder"}
    if opts.get("scale") == "context":  # a heteroskedastic fit (ctxstats.location_scale)
        encoder_options["scale"] = "context"
    from ctxstats import models

    fixed = {"ContextualizedRegression": "gaussian", "ContextualizedLogit": "binomial",
             "ContextualizedPoisson": "poisson"}  # classes that fix the family
    name = meta.get("python/model_class", "ContextualizedGLM")
    if fixed.get(name) != opts["family"]:
        name = "ContextualizedGLM"
    classes = {"ContextualizedGLM": {"family": opts["family"]}}
    if opts.get("dispersion") == "pearson":  # a quasi-likelihood fit (the default is not repeated)
        encoder_options["dispersion"] = "pearson"
    model = getattr(models, name)(pd.Series(y, index=index, name=fm.response_name or "y"),
                                  pd.DataFrame(X, columns=exog_names, index=index),
                                  pd.DataFrame(C, columns=fm.context_names, index=index),
                                  encoder=opts["encoder"], fit_intercept=intercept, weights=w,
                                  **classes.get(name, {}), **encoder_options)
    if labels is None:
        model.row_labels = None
    if "formula" in meta:
        model.formula = meta["formula"]
        model.formula_plan = _formula_plan(meta["python/formula_plan"]) if "python/formula_plan" in meta else None
    report = fm.report()
    report["model"] = fm
    boot = fm.bootstrap()
    # The core checks the stored cov_type against what the fit allows (as for a new fit).
    if "location_scale" in report:  # its covariance is the information's, whatever the file says
        cov_type = None
    else:
        cov_type = resolve_cov_type(meta.get("cov_type"), opts, fm.n_bootstraps)
    if "location_scale" in report:  # scale='context': inference from the information (ctxstats.location_scale)
        from ctxstats.covariance import make_inference

        inference = make_inference("location_scale")
    else:
        inference = choose_inference(cov_type, report.get("spline"))
    groups = None
    if cov_type == "cluster":
        from ctxstats.inference import cluster_codes

        try:
            stored = json.loads(meta["cluster_groups"])
        except (KeyError, ValueError) as exc:
            raise ValueError(f"the model file's cluster groups are missing or unreadable: {exc}") from exc
        if not isinstance(stored, list) or not all(isinstance(g, int) and not isinstance(g, bool) for g in stored):
            raise ValueError("the model file's cluster groups must be a list of integer codes")
        groups = cluster_codes(stored, cov_type, len(y))
    return ContextualizedGLMResults(model, report, opts, inference=inference, bootstrap=boot, groups=groups)
