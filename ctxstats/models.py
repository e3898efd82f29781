"""Contextualized generalized linear models: a GLM for every sample.

For sample i with context c_i and predictors x_i,

    theta_i = (mu_i, beta_i) = Phi_w(c_i),   eta_i = mu_i + x_i . beta_i,
    y_i ~ family(link^-1(eta_i)),

where the context encoder Phi_w is fitted by penalised maximum likelihood in the C++ core.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ctxstats import _core, _options
from ctxstats._validation import (
    as_start_params,
    check_response,
    check_spline_options,
    check_weights,
    model_arrays,
)
from ctxstats.convergence import warn_bootstrap, warn_if_unconverged
from ctxstats.covariance import choose_inference, make_inference
from ctxstats.identifiability import warn_if_unidentifiable
from ctxstats.inference import cluster_codes, resolve_cov_type
from ctxstats.results import ContextualizedGLMResults

__all__ = [
    "ContextualizedGLM",
    "ContextualizedGLMResults",
    "ContextualizedRegression",
    "ContextualizedLogit",
    "ContextualizedPoisson",
]

# Every option's default, bounds and doc live in the core's option table (ctxstats._options,
# csrc/options/schema.cpp), shared with the R package: None below means "the table's default".
_MODEL_GROUPS = ("model", "encoder", "spline")
# Other spellings of the negative binomial (R's glm.nb family name; statsmodels' class name).
_FAMILY_ALIASES = {"negbin": "negativebinomial", "NegativeBinomial": "negativebinomial",
                   "negative_binomial": "negativebinomial", "nb2": "negativebinomial"}


class ContextualizedGLM:
    """A generalized linear model whose parameters are a learned function of context.

    Parameters
    ----------
    endog : array_like or pandas.Series, shape (n,)
        The response. Binomial: values in [0, 1]; poisson: non-negative counts.
    exog : array_like or pandas.DataFrame, shape (n, p), or None
        The predictors whose coefficients vary with context. Do not add a constant column:
        the sample intercept is part of the model when ``fit_intercept`` is true.
    context : array_like or pandas.DataFrame, shape (n, m)
        The context each sample's model is a function of.
    family : {"gaussian", "binomial", "poisson", "negativebinomial"}
        With the canonical links identity, logit and log. For overdispersed binomial or
        poisson data give ``dispersion="pearson"`` (the quasibinomial / quasipoisson fit of R:
        the same estimates, standard errors scaled by the estimated dispersion; see the
        option table below). ``"negativebinomial"`` (also ``"negbin"``): NB2 counts with a log
        link, Var = mu + mu^2 / theta, theta estimated by maximum likelihood -- R's
        ``MASS::glm.nb``, statsmodels' ``NegativeBinomial`` (alpha = 1 / theta); linear
        encoder only (``results.theta``, ``theta_se``, ``alpha``, ``alpha_se``; see
        :mod:`ctxstats.negbin`).
    encoder : {"mlp", "ngam", "linear", "spline"}
        How parameters depend on context. ``linear``: theta_i = W [1; c_i], the classical
        linear varying-coefficient model (Hastie & Tibshirani 1993), solved exactly.
        ``mlp``: a dense ReLU (or tanh) network. ``ngam``: a neural additive model, one
        small network per context feature, summed. ``spline``: every parameter an additive
        function of the context features, cubic P-splines with smoothing parameters chosen by
        REML (mgcv's varying-coefficient model, ``y ~ s(c) + s(c, by = x)``), solved exactly;
        see :mod:`ctxstats.spline` for its intervals, tests and diagnostics.
    fit_intercept : bool
        Whether each sample has its own intercept mu_i.
    weights : array_like, shape (n,), optional
        Non-negative case weights (frequency weights).
    width, depth : int
        Hidden units per layer and number of hidden layers: mlp 16 and 2 (width 32 before 2026-11-30), ngam 16 and 1.
    archetypes : int
        K >= 2 puts an archetype head on the encoder: theta_i = softmax(z(c_i)) A, each
        sample model a convex mixture of K archetype models. 0 (default): no archetypes.
    activation : {"tanh", "relu"}
        Hidden-layer activation (default tanh).
    linear_skip : bool
        mlp, ngam: theta(c) = network(c) + B c, a linear path beside the network that starts at
        the exact linear varying-coefficient fit (the network's output layer at zero), so the
        network learns what the linear model misses. Default False (benchmarks/results_neural.md).
    n_knots : int
        spline: cubic B-spline basis functions per context feature (mgcv's ``k``), default 15;
        the knots are spread over each feature's range (``knot_spacing="even"``) or at its
        quantiles (``"quantile"``). Beyond the data the functions continue linearly.
    interactions : list of pairs of context columns, optional
        spline: tensor-product interaction terms (mgcv's ``ti``), e.g. ``[("c1", "c3")]``, each
        with ``interaction_knots`` (default 5) functions per margin and one smoothing
        parameter per margin.
    smoothing : float or array, optional
        spline: fixed smoothing parameters instead of REML's, one per (parameter, penalty)
        pair (shape (1 + p, m + 2 * len(interactions))) or one number for all, on the core's
        standardised scale in the criterion sum_i loss_i + 1/2 sum_j lambda_j w'S_j w.
    method : {"REML", "GCV"}
        spline: how the smoothing parameters are estimated when not fixed: ``"REML"``
        (default; mgcv's ``method = "REML"``) or ``"GCV"`` (mgcv's ``"GCV.Cp"``: generalised
        cross-validation for gaussian fits, UBRE/Mallows' Cp with scale 1 for binomial and
        poisson, there applied to each PQL working model). ``"GCV.Cp"`` is accepted as a synonym.

    Notes
    -----
    Inputs are standardised inside the core (context and predictors centred and scaled,
    gaussian responses too) and every reported parameter is mapped back to the user's units,
    so columns on very different scales fit as well as standardised ones. Penalties act on
    the standardised scale, as in glmnet.

    Options, their defaults (None: this default) and docs, from the core's option table
    (``ctxstats.option_schema()``, the same in R); an option that does not apply to the
    chosen encoder, solver or family is an error:

    {options}
    """

    _family_default = None  # the option table's default (gaussian); subclasses fix a family

    def __new__(cls, endog=None, exog=None, context=None, *args, **kwargs):
        # Data held as dask collections are fitted where they are (ctxstats.dask), never
        # computed into this process.
        from ctxstats.dask import DaskContextualizedGLM, is_dask_collection

        if any(is_dask_collection(a) for a in (endog, exog, context, kwargs.get("weights"))):
            if cls._family_default is not None:  # a subclass: (endog, exog, context, encoder, **kwargs)
                if "family" in kwargs:
                    raise TypeError(f"{cls.__name__} is the {cls._family_default} family; use ContextualizedGLM "
                                    "for others")
                if len(args) > 1:
                    raise TypeError(f"{cls.__name__} takes at most 4 positional arguments")
                if args:
                    kwargs["encoder"], args = args[0], ()
                kwargs["family"] = cls._family_default
            return DaskContextualizedGLM(endog, exog, context, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, endog, exog, context, family: str | None = None, encoder: str | None = None,
                 fit_intercept: bool | None = None, weights=None, **encoder_options):
        not_here = sorted(k for k in encoder_options if k in _options.names("glm", _options.GROUPS)
                          and _options.SCHEMA[k]["group"] not in _MODEL_GROUPS)
        if not_here:
            raise TypeError(f"{', '.join(not_here)}: option(s) of fit(), not of the model")
        family = self._family_default if family is None else family
        family = _FAMILY_ALIASES.get(family, family) if isinstance(family, str) else family
        given = _options.given(family=family, encoder=encoder, fit_intercept=fit_intercept, **encoder_options)
        model_level = {k: given[k] for k in ("family", "encoder", "fit_intercept") if k in given}
        base = _options.resolve("glm", model_level, solver_known=False)
        self.family, self.encoder, self.fit_intercept = base["family"], base["encoder"], base["fit_intercept"]

        (self.endog, self.endog_name, self.exog, self.exog_names, self.context,
         self.context_names) = model_arrays(endog, exog, context, weights)
        n = self.endog.shape[0]
        check_response(self.endog, self.family)
        if self.encoder == "spline":
            given = check_spline_options(given, self.context, self.context_names, len(self.param_names))
        # The options as given (what every later call re-reads through the core's parser) and
        # the encoder's, resolved: every one that applies, defaults filled.
        self._given_options = given
        resolved = _options.resolve("glm", given, solver_known=False)
        self.encoder_options = {k: v for k, v in resolved.items()
                                if _options.SCHEMA[k]["group"] in _MODEL_GROUPS[1:]}
        self.weights = check_weights(weights, n)
        if not self.fit_intercept and self.exog.shape[1] == 0:
            raise ValueError("the model has no parameters: exog is empty and fit_intercept is False")
        self.row_labels = endog.index if isinstance(endog, pd.Series) else None

    @classmethod
    def from_formula(cls, formula: str, data, missing: str = "drop", weights=None, groups=None, **kwargs):
        """A model from a two-part formula ``"y ~ predictors | context"`` evaluated on ``data``
        with formulaic (see ``ctxstats.formula``). ``weights``: a column name of ``data`` or
        one value per row of ``data``; ``groups``: the same, the clusters that
        ``fit(cov_type="cluster")`` then uses. Rows the formula drops (missing values) are
        dropped from both. Other keyword arguments go to the constructor (family, encoder,
        encoder options)."""
        from ctxstats.formula.parse import build_design

        if "fit_intercept" in kwargs:
            raise TypeError("fit_intercept is set by the formula: remove the intercept with '- 1' or '0 +'")
        from ctxstats.dask import is_dask_collection

        if is_dask_collection(data):  # evaluated partition by partition on the workers
            from ctxstats.formula.dask_design import build_dask_design

            d = build_dask_design(formula, data, missing, weights, groups)
            model = cls(d.endog, d.exog, d.context, fit_intercept=d.plan.fit_intercept, weights=d.weights, **kwargs)
            model.formula, model.formula_plan, model.cluster_groups = formula, d.plan, d.groups
            return model
        design = build_design(formula, data, missing)

        def per_row(value, name):
            if isinstance(value, str):
                if not hasattr(data, "columns") or value not in data.columns:
                    raise ValueError(f"{name}={value!r} is not a column of data")
                value = data[value]
            v = value.to_numpy() if isinstance(value, (pd.Series, pd.DataFrame)) else np.asarray(value)
            if v.ndim != 1 or v.shape[0] != len(data):
                raise ValueError(f"{name} must have one entry per row of data ({len(data)}), not shape {v.shape}")
            return pd.Series(v[design.rows], index=design.endog.index)

        if weights is not None:
            weights = per_row(weights, "weights")
        model = cls(design.endog, design.exog, design.context, fit_intercept=design.plan.fit_intercept,
                    weights=weights, **kwargs)
        model.formula = formula
        model.formula_plan = design.plan
        model.cluster_groups = None if groups is None else per_row(groups, "groups")
        return model

    @property
    def param_names(self) -> list[str]:
        return (["Intercept"] if self.fit_intercept else []) + list(self.exog_names)

    @property
    def nobs(self) -> int:
        return int(self.endog.shape[0])

    @property
    def quasi(self) -> bool:
        """Whether this is a quasi-likelihood fit: binomial or poisson with ``dispersion="pearson"``
        (R's quasibinomial / quasipoisson): the same estimates, the dispersion estimated."""
        return self._given_options.get("dispersion") == "pearson" and self.family != "gaussian"

    def _options(self, **fit_options) -> dict:
        """Every option of a fit with these fit options (None: the default), checked and
        completed by the core's option table."""
        return _options.resolve("glm", {**self._given_options, **_options.given(**fit_options)})

    def fit(self, solver: str | None = None, seed: int | None = None, threads: int | None = None,
            max_iter: int | None = None, tol: float | None = None, alpha: float | None = None,
            l1_ratio: float | None = None, mu_ratio: float | None = None, weight_decay: float | None = None,
            batch_size: int | None = None, learning_rate: float | None = None, val_split: float | None = None,
            patience: int | None = None, early_stopping: bool | None = None, output_start: bool | None = None,
            start_params=None,
            verbose: bool = False, callback=None,
            n_bootstraps: int | None = None, cov_type: str | None = None, groups=None,
            client=None, _train: bool = True) -> "ContextualizedGLMResults":
        """Fit the context encoder by penalised maximum likelihood.

        Parameters
        ----------
        solver : {None, "exact", "lbfgs", "varpro", "adam"}
            None picks ``exact`` for the linear encoder (unless there is an L1 penalty) and the
            spline encoder, and ``lbfgs`` otherwise. ``exact`` solves the normal equations (gaussian) or runs
            IRLS (binomial, poisson) on the interaction design [1, x] (x) [1, c].
            ``lbfgs`` is full-batch L-BFGS with a strong-Wolfe line search. ``varpro``
            (neural encoders, no L1) is variable projection: L-BFGS on the hidden weights with
            the linear output layer solved exactly at every step (fewer iterations, each
            costlier; unpenalised gaussian fits can overfit, so pair it with ``weight_decay``). ``adam`` uses
            mini-batches, holds out ``val_split`` of the rows and stops early after
            ``patience`` epochs without improvement, keeping the best weights.
        seed : int
            Keys the counter-based generator used for initialisation, shuffles and the
            validation split.
        threads : int or None
            OpenMP threads; None uses all cores. Results are bitwise identical for any value.
        max_iter : int, optional
            Iterations (exact 100, lbfgs 1000) or epochs (adam 500).
        tol : float, optional
            The stopping criterion's tolerance; ``converged`` is True only when it is met.
            exact: Newton decrement relative to max(1, |objective|) (1e-20; the spline's PQL:
            largest IRLS step relative to 1 + max|b|, with the smoothing parameters settled,
            1e-8); lbfgs: largest gradient component (1e-8); adam: relative improvement of the
            validation objective that resets ``patience`` (1e-6). Neural encoders (lbfgs,
            varpro) also converge when the log-likelihood rose by at most 0.5 over the last 10
            iterations (gaussian: the profile log-likelihood n/2 log(mean squared error)): the
            objective is non-convex and its gradient never reaches 1e-8 in practice.
        alpha, l1_ratio, mu_ratio : float
            Elastic net on the sample parameters, on the standardised scale:
            alpha * sum_k r_k [l1_ratio |theta_ik| + (1 - l1_ratio) theta_ik^2 / 2], averaged
            over samples, with r_k = mu_ratio for the intercept and 1 - mu_ratio for the
            coefficients. |t| is smoothed as sqrt(t^2 + 1e-12) - 1e-6 so that the objective
            stays differentiable; coefficients are shrunk, not set exactly to zero.
        weight_decay : float
            weight_decay / 2 * ||w||^2 on the encoder weights (default 0).
        batch_size, learning_rate, val_split, patience : adam settings.
        early_stopping : bool
            Neural encoders (mlp, ngam) with ``lbfgs``, default True: the number of L-BFGS
            iterations is chosen on a seeded 20% of the rows held out (the iteration of least
            held-out loss; that run stops max(100, k/2) iterations after the best k), then all
            rows are fitted from the same initial weights for k times (all rows / training
            rows) iterations; ``converged`` means this rule stopped the run before
            ``max_iter``. ``results.early_stopping`` holds ``best_iter``, the held-out loss per
            iteration (``val_loss``) and the training-rows iterations (``split_iter``). Fitted to
            convergence (False) networks overfit: on the public benchmark's binomial task
            (n = 10,000) the mlp's coefficient RMSE is 4.2, with early stopping 0.53.
        output_start : bool
            Gaussian networks with ``lbfgs`` (no L1 penalty) from the seeded start, default False:
            the output layer starts at its least-squares solution for the seeded hidden weights, on
            the rows being fitted (with early stopping: the training rows, then all rows for the
            all-rows fit), and L-BFGS usually stops a few iterations later -- in effect a
            random-feature fit. Public benchmark, ``ngam``: at n = 10,000 coefficient RMSE 0.036 at a
            tenth of the default's cost (default 0.024), but at n = 2,000 0.134 (default 0.077);
            ``mlp``: 0.21 (default 0.043).
        start_params : array_like, optional
            Initial encoder weights (a warm start), e.g. ``results.weights``.
        verbose : bool
            Show a progress bar (tqdm) of iterations and the objective.
        callback : callable, optional
            ``callback(iteration, objective)`` after each iteration (adam: epoch); returning
            False stops the fit, and the results then have ``interrupted=True``.

        Ctrl-C stops a fit cleanly between iterations and raises KeyboardInterrupt.
        n_bootstraps : int
            B > 0 refits the model on B bootstrap resamples of the rows (multinomial case
            weights multiplying ``weights``; the data are not copied), in parallel, each
            replicate starting from this fit's weights (a warm start). With early stopping, an
            ngam fit on the likelihood's plateau (10 more L-BFGS iterations from it raise the
            log-likelihood by at most 0.5, as gaussian networks usually are) warm-starts its
            replicates without early stopping, each converged by the networks' log-likelihood
            criterion; otherwise (early stopping ended the fit short of the plateau, as on
            binomial data) each replicate repeats the whole procedure from its own seeded
            start. The rule taken is ``results.bootstrap_rule`` ("warm_start", "plateau",
            "repeat"; kept in saved fits, worded by ``summary()``). The replicates'
            encoder weights are kept; bootstrap standard errors, percentile intervals for
            the average effects, per-sample intervals, predictions and the heterogeneity
            test derive from them. Results are identical for any ``threads``.
        client : distributed.Client or "default", optional
            Run the bootstrap replicates as tasks on this Dask cluster (``"default"``: the
            active client); the replicates are bitwise those of a local fit with the same seed.
            Without it the fit stays local even when a client is active. See :mod:`ctxstats.dask`.
        _train : bool
            Private (``ctxstats.easy``'s ``max_epochs=0``): False returns the initial weights
            unfitted (``results.trained`` False), with no covariance and no bootstrap.
        cov_type : {None, "nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster", "observed", "bootstrap"}
            The covariance behind ``bse``, ``conf_int`` and the tests. Analytic types need the
            unpenalised linear encoder without archetypes. None: "nonrobust" when analytic
            covariances exist, else "bootstrap" when ``n_bootstraps`` > 0, else none.
            "cluster": for the linear encoder the cluster-robust sandwich over ``groups`` (see
            ``ctxstats.inference.linear_covariance``), equal to statsmodels'
            ``cov_type="cluster"``; for the other encoders the cluster bootstrap (needs
            ``n_bootstraps``): each replicate draws as many clusters as there are, with
            replacement, and keeps all the rows of each drawn cluster, so the replicates carry
            the within-cluster dependence (as R's ``sandwich::vcovBS(cluster = )``); its
            inference is the bootstrap's. With replicates, a linear fit's replicates resample
            clusters too. "observed" (family "negativebinomial"): the inverse
            observed information of the coefficients and alpha jointly, statsmodels'
            ``NegativeBinomial`` standard errors (see :mod:`ctxstats.negbin`).
        groups : array_like, optional
            With ``cov_type="cluster"`` (or ``"bootstrap"``: the cluster bootstrap): one cluster
            label per row of the model's data (any hashable labels; at least 2 distinct).
            Default: the ``groups`` given to ``from_formula``.

        Notes
        -----
        A fit that stops without meeting its solver's stopping criterion (see ``tol``; usually
        at the cap ``max_iter``) raises a ``ConvergenceWarning`` whose message names the
        criterion, the cap and what to change; so does a bootstrap whose replicates did not
        all converge (one warning: "k of B bootstrap replicates did not converge ...").
        A fit stopped by ``callback`` has ``interrupted=True`` and does not warn; Ctrl-C
        raises KeyboardInterrupt. A fit whose identifiability checks fail
        (``results.identifiability()``) raises an ``IdentifiabilityWarning``. Every option left at None takes the core's option table's
        default (see the class docstring); the table checks every value and whether it applies.
        """
        opts = self._options(solver=solver, seed=seed, threads=threads, max_iter=max_iter, tol=tol, alpha=alpha,
                             l1_ratio=l1_ratio, mu_ratio=mu_ratio, weight_decay=weight_decay,
                             batch_size=batch_size, learning_rate=learning_rate, val_split=val_split,
                             patience=patience, early_stopping=early_stopping, output_start=output_start,
                             n_bootstraps=n_bootstraps)
        if self.encoder == "spline" and opts["solver"] in ("lbfgs", "adam"):
            import warnings
            warnings.warn(f"solver={opts['solver']!r} fits the spline encoder without its smoothing penalties "
                          "(only alpha and weight_decay apply); the exact solver (the default) applies them",
                          UserWarning, stacklevel=2)
        n_bootstraps = opts["n_bootstraps"]
        if client is not None:  # checked before the full-data fit, not after it
            from ctxstats.dask import resolve_client

            client = resolve_client(client)
            if not n_bootstraps:
                raise ValueError("client= runs the bootstrap replicates on a Dask cluster; with n_bootstraps=0 "
                                 "there is nothing to send (the full-data fit of in-memory data runs locally)")
        scale_context = opts.get("scale") == "context"
        if not _train:
            if n_bootstraps or cov_type is not None or client is not None or scale_context:
                raise ValueError("an untrained model (max_epochs=0) has no bootstrap, no covariance and no "
                                 "scale='context' fit")
        if scale_context:  # ctxstats.location_scale: analytic inference from the information
            from ctxstats.location_scale import check_fit_options

            check_fit_options(opts, n_bootstraps, cov_type)
        requested = cov_type
        cov_type = resolve_cov_type(cov_type, opts, n_bootstraps) if _train else None
        if groups is None and requested == "cluster":
            groups = getattr(self, "cluster_groups", None)       # from_formula(..., groups=)
        # Clusters: the analytic sandwich (linear encoder) and/or the cluster bootstrap, whose
        # replicates resample whole clusters (cov_type "cluster" on other encoders, or
        # "bootstrap" with groups).
        clustered = requested == "cluster" or (cov_type == "bootstrap" and groups is not None)
        groups = cluster_codes(groups, "cluster" if clustered else cov_type, self.endog.shape[0])
        boot_groups = groups if n_bootstraps else None
        if cov_type != "cluster":
            groups = None  # kept by the results for the analytic sandwich only
        init = None if start_params is None else as_start_params(
            start_params, _core.n_weights(opts, self.context.shape[1], len(self.param_names)))
        from ctxstats._progress import solver_callback

        default_iters = {"exact": 100, "lbfgs": 1000, "adam": 500}
        total = opts["max_iter"] or default_iters.get(opts["solver"], 1000)
        progress, close = solver_callback(verbose, total, f"{self.encoder} fit", callback)
        try:
            out = _core.fit(self.context, self.exog, self.endog, self.weights, opts, init, progress,
                            context_names=[str(c) for c in self.context_names], train=_train)
        finally:
            close()
        basis = out.get("spline") or out.get("location_scale")
        if basis is not None and self.encoder == "spline":  # the basis placed from the data travels with the options
            opts = {**opts, "knots": basis["knots"], "centres": basis["centres"]}
        boot = None
        if n_bootstraps and not out.get("interrupted", False):
            progress, close = solver_callback(verbose, n_bootstraps, "bootstrap replicates")
            try:
                if client is not None:  # the same replicates, as tasks on a Dask cluster
                    from ctxstats.dask import bootstrap_on_cluster

                    boot = bootstrap_on_cluster(client, self.context, self.exog, self.endog, self.weights, opts,
                                                out["weights"], n_bootstraps, progress=progress, groups=boot_groups)
                else:
                    boot = _core.bootstrap(self.context, self.exog, self.endog, self.weights, opts, out["weights"],
                                           n_bootstraps, progress, boot_groups)
            finally:
                close()
            if out.get("model") is not None:  # the core's model carries its replicates (summaries, file)
                out["model"] = out["model"].with_bootstrap(boot)
        elif n_bootstraps and cov_type == "bootstrap":  # stopped by the user: no replicates
            cov_type = resolve_cov_type(None, opts, 0)
        inference = (make_inference("location_scale") if scale_context
                     else choose_inference(cov_type, out.get("spline") if _train else None))  # ctxstats.covariance
        res = ContextualizedGLMResults(self, out, opts, inference=inference, bootstrap=boot, groups=groups)
        if not _train:
            return res
        warn_if_unconverged(res.converged, res.message, res.interrupted)
        if boot is not None:
            warn_bootstrap(boot.get("message", ""))
        warn_if_unidentifiable(res.identifiability())
        return res

    def objective(self, weights, **fit_options) -> tuple[float, np.ndarray]:
        """The penalised objective and its analytic gradient at encoder ``weights``."""
        return _core.objective(self.context, self.exog, self.endog, self.weights,
                               self._options(**fit_options), np.ascontiguousarray(weights, dtype=float))

    def n_weights(self) -> int:
        q = len(self.param_names)
        return _core.n_weights(self._options(), self.context.shape[1], q)

    def _check_loaded(self) -> None:
        """Called by :func:`ctxstats.load`: the fields read from a file are what the
        constructor builds from the file's data, names and options (ValueError otherwise)."""
        from ctxstats._state import Array, ListOf, Opt, fields, same_state
        from ctxstats.formula.parse import FormulaPlan

        fields(self, {"family": str, "encoder": str, "fit_intercept": bool, "endog": Array(None),
                      "endog_name": str, "exog": Array(None, None), "exog_names": ListOf(str),
                      "context": Array(None, None), "context_names": ListOf(str), "_given_options": dict,
                      "encoder_options": dict, "weights": Opt(Array(None)), "row_labels": Opt(pd.Index)},
               optional={"formula": str, "formula_plan": Opt(FormulaPlan)})
        n = self.endog.shape[0]
        index = pd.RangeIndex(n) if self.row_labels is None else self.row_labels
        for name, values, names in (("exog", self.exog, self.exog_names),
                                    ("context", self.context, self.context_names)):
            if values.shape != (n, len(names)):
                raise ValueError(f"{name} has shape {values.shape}, not (endog's {n} rows, {len(names)} names)")
        if len(index) != n:
            raise ValueError(f"row_labels has {len(index)} labels for {n} rows")
        rebuilt = type(self).__new__(type(self))
        ContextualizedGLM.__init__(rebuilt, pd.Series(self.endog, index=index, name=self.endog_name),
                                   pd.DataFrame(self.exog, index=index, columns=self.exog_names) if self.exog_names
                                   else None, pd.DataFrame(self.context, index=index, columns=self.context_names),
                                   weights=self.weights, **self._given_options)
        rebuilt.row_labels = self.row_labels
        same_state(self, rebuilt, skip=("formula", "formula_plan"))
        plan = getattr(self, "formula_plan", None)
        if plan is not None and (list(plan.exog_names) != self.exog_names
                                 or list(plan.context_names) != self.context_names):
            raise ValueError("the formula plan's columns are not the model's")

    def save(self, path) -> None:
        """Save to ``path`` in ctxstats' versioned file format (see :mod:`ctxstats.io`)."""
        from ctxstats.io import save

        save(self, path)


ContextualizedGLM.__doc__ = ContextualizedGLM.__doc__.replace("{options}", _options.doc_lines("glm").strip())


class ContextualizedRegression(ContextualizedGLM):
    """A contextualized linear regression (gaussian family)."""

    _family_default = "gaussian"  # also what ContextualizedGLM.__new__ passes for dask-held data

    def __init__(self, endog, exog, context, encoder: str | None = None, **kwargs):
        if "family" in kwargs:
            raise TypeError("ContextualizedRegression is the gaussian family; use ContextualizedGLM for others")
        super().__init__(endog, exog, context, family="gaussian", encoder=encoder, **kwargs)


class ContextualizedLogit(ContextualizedGLM):
    """A contextualized logistic regression (binomial family, logit link)."""

    _family_default = "binomial"  # also what ContextualizedGLM.__new__ passes for dask-held data

    def __init__(self, endog, exog, context, encoder: str | None = None, **kwargs):
        if "family" in kwargs:
            raise TypeError("ContextualizedLogit is the binomial family; use ContextualizedGLM for others")
        super().__init__(endog, exog, context, family="binomial", encoder=encoder, **kwargs)


class ContextualizedPoisson(ContextualizedGLM):
    """A contextualized Poisson regression (log link)."""

    _family_default = "poisson"  # also what ContextualizedGLM.__new__ passes for dask-held data

    def __init__(self, endog, exog, context, encoder: str | None = None, **kwargs):
        if "family" in kwargs:
            raise TypeError("ContextualizedPoisson is the poisson family; use ContextualizedGLM for others")
        super().__init__(endog, exog, context, family="poisson", encoder=encoder, **kwargs)


def _document_subclasses() -> None:
    # Every option of the core's table, by group, with what it applies to (ctxstats/_docs.py).
    from ctxstats._docs import with_options

    for cls in (ContextualizedRegression, ContextualizedLogit, ContextualizedPoisson):
        cls.__doc__ = with_options(cls.__doc__ + """

    The same model as :class:`ContextualizedGLM` with the family fixed; its parameters are
    ``ContextualizedGLM``'s but ``family``.""", skip=("family",))


_document_subclasses()
