"""Contextualized generalized linear models: a GLM for every sample.

For sample i with context c_i and predictors x_i,

    theta_i = (mu_i, beta_i) = Phi_w(c_i),   eta_i = mu_i + x_i . beta_i,
    y_i ~ family(link^-1(eta_i)),

where the context encoder Phi_w is fitted by penalised maximum likelihood in the C++ core.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ctxstats import _core
from ctxstats._families import inverse_link, loglike
from ctxstats._validation import (
    ACTIVATIONS,
    ENCODERS,
    FAMILIES,
    SOLVERS,
    as_matrix,
    as_vector,
    check_choice,
    check_float,
    check_int,
    check_response,
)

__all__ = [
    "ContextualizedGLM",
    "ContextualizedGLMResults",
    "ContextualizedRegression",
    "ContextualizedLogit",
    "ContextualizedPoisson",
]

# tanh rather than ReLU: smooth coefficient functions fit better and L-BFGS's line search
# does not stall on kinks. ngam's per-feature networks need far less capacity than mlp's.
_ENCODER_DEFAULTS = {"width": 32, "depth": 2, "archetypes": 0, "activation": "tanh"}
_ENCODER_SPECIFIC_DEFAULTS = {"ngam": {"width": 16, "depth": 1}}


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
    family : {"gaussian", "binomial", "poisson"}
        With the canonical links identity, logit and log.
    encoder : {"mlp", "ngam", "linear"}
        How parameters depend on context. ``linear``: theta_i = W [1; c_i], the classical
        linear varying-coefficient model (Hastie & Tibshirani 1993), solved exactly.
        ``mlp``: a dense ReLU (or tanh) network. ``ngam``: a neural additive model, one
        small network per context feature, summed.
    fit_intercept : bool
        Whether each sample has its own intercept mu_i.
    weights : array_like, shape (n,), optional
        Non-negative case weights (frequency weights).
    width, depth : int
        Hidden units per layer and number of hidden layers: mlp 32 and 2, ngam 16 and 1.
    archetypes : int
        K >= 2 puts an archetype head on the encoder: theta_i = softmax(z(c_i)) A, each
        sample model a convex mixture of K archetype models. 0 (default): no archetypes.
    activation : {"tanh", "relu"}
        Hidden-layer activation (default tanh).

    Notes
    -----
    Inputs are standardised inside the core (context and predictors centred and scaled,
    gaussian responses too) and every reported parameter is mapped back to the user's units,
    so columns on very different scales fit as well as standardised ones. Penalties act on
    the standardised scale, as in glmnet.
    """

    _family_default = "gaussian"

    def __init__(self, endog, exog, context, family: str | None = None, encoder: str = "mlp",
                 fit_intercept: bool = True, weights=None, **encoder_options):
        family = self._family_default if family is None else family
        self.family = check_choice(family, FAMILIES, "family")
        self.encoder = check_choice(encoder, ENCODERS, "encoder")
        if not isinstance(fit_intercept, (bool, np.bool_)):
            raise TypeError("fit_intercept must be True or False")
        self.fit_intercept = bool(fit_intercept)
        unknown = set(encoder_options) - set(_ENCODER_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown encoder option(s): {', '.join(sorted(unknown))}; "
                            f"the options are {', '.join(_ENCODER_DEFAULTS)}")
        opts = {**_ENCODER_DEFAULTS, **_ENCODER_SPECIFIC_DEFAULTS.get(self.encoder, {}), **encoder_options}
        opts["width"] = check_int(opts["width"], "width", 1)
        opts["depth"] = check_int(opts["depth"], "depth", 0)
        opts["archetypes"] = check_int(opts["archetypes"], "archetypes", 0)
        if opts["archetypes"] == 1:
            raise ValueError("archetypes=1 gives every sample the same model; use 0 (none) or K >= 2")
        opts["activation"] = check_choice(opts["activation"], ACTIVATIONS, "activation")
        self.encoder_options = opts

        self.endog, self.endog_name = as_vector(endog, "endog")
        n = self.endog.shape[0]
        if exog is None:
            self.exog, self.exog_names = np.zeros((n, 0)), []
        else:
            self.exog, self.exog_names = as_matrix(exog, "exog", "x", n)
        self.context, self.context_names = as_matrix(context, "context", "c", n)
        check_response(self.endog, self.family)
        if weights is None:
            self.weights = None
        else:
            self.weights, _ = as_vector(weights, "weights")
            if self.weights.shape[0] != n:
                raise ValueError(f"weights has {self.weights.shape[0]} rows but endog has {n}")
            if (self.weights < 0).any():
                raise ValueError("weights must be non-negative")
            if not self.weights.sum() > 0:
                raise ValueError("weights sum to zero")
        if not self.fit_intercept and self.exog.shape[1] == 0:
            raise ValueError("the model has no parameters: exog is empty and fit_intercept is False")
        self.row_labels = endog.index if isinstance(endog, pd.Series) else None

    @property
    def param_names(self) -> list[str]:
        return (["Intercept"] if self.fit_intercept else []) + list(self.exog_names)

    @property
    def nobs(self) -> int:
        return int(self.endog.shape[0])

    def _options(self, **fit_options) -> dict:
        return {"family": self.family, "encoder": self.encoder, "fit_intercept": self.fit_intercept,
                **self.encoder_options, **fit_options}

    def fit(self, solver: str | None = None, seed: int = 0, threads: int | None = None,
            max_iter: int | None = None, tol: float | None = None, alpha: float = 0.0,
            l1_ratio: float = 0.0, mu_ratio: float = 0.5, weight_decay: float = 0.0,
            batch_size: int = 256, learning_rate: float = 1e-3, val_split: float = 0.2,
            patience: int = 10, start_params=None, verbose: bool = False,
            callback=None) -> "ContextualizedGLMResults":
        """Fit the context encoder by penalised maximum likelihood.

        Parameters
        ----------
        solver : {None, "exact", "lbfgs", "adam"}
            None picks ``exact`` for the linear encoder (unless there is an L1 penalty) and
            ``lbfgs`` otherwise. ``exact`` solves the normal equations (gaussian) or runs
            IRLS (binomial, poisson) on the interaction design [1, x] (x) [1, c].
            ``lbfgs`` is full-batch L-BFGS with a strong-Wolfe line search. ``adam`` uses
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
            exact: Newton decrement (1e-20); lbfgs: largest gradient component (1e-8);
            adam: relative improvement of the validation objective (1e-6).
        alpha, l1_ratio, mu_ratio : float
            Elastic net on the sample parameters, on the standardised scale:
            alpha * sum_k r_k [l1_ratio |theta_ik| + (1 - l1_ratio) theta_ik^2 / 2], averaged
            over samples, with r_k = mu_ratio for the intercept and 1 - mu_ratio for the
            coefficients. |t| is smoothed as sqrt(t^2 + 1e-12) - 1e-6 so that the objective
            stays differentiable; coefficients are shrunk, not set exactly to zero.
        weight_decay : float
            weight_decay / 2 * ||w||^2 on the encoder weights.
        batch_size, learning_rate, val_split, patience : adam settings.
        start_params : array_like, optional
            Initial encoder weights (a warm start), e.g. ``results.weights``.
        verbose : bool
            Show a progress bar (tqdm) of iterations and the objective.
        callback : callable, optional
            ``callback(iteration, objective)`` after each iteration (adam: epoch); returning
            False stops the fit, and the results then have ``interrupted=True``.

        Ctrl-C stops a fit cleanly between iterations and raises KeyboardInterrupt.
        """
        opts = self._options(
            solver="auto" if solver is None else check_choice(solver, SOLVERS, "solver"),
            seed=check_int(seed, "seed", 0),
            threads=0 if threads is None else check_int(threads, "threads", 1),
            max_iter=0 if max_iter is None else check_int(max_iter, "max_iter", 1),
            tol=0.0 if tol is None else check_float(tol, "tol", 0.0, low_open=True),
            alpha=check_float(alpha, "alpha", 0.0),
            l1_ratio=check_float(l1_ratio, "l1_ratio", 0.0, 1.0),
            mu_ratio=check_float(mu_ratio, "mu_ratio", 0.0, 1.0),
            weight_decay=check_float(weight_decay, "weight_decay", 0.0),
            batch_size=check_int(batch_size, "batch_size", 1),
            learning_rate=check_float(learning_rate, "learning_rate", 0.0, low_open=True),
            val_split=check_float(val_split, "val_split", 0.0, 1.0, high_open=True),
            patience=check_int(patience, "patience", 1),
        )
        if opts["solver"] == "exact" and (self.encoder != "linear" or self.encoder_options["archetypes"]):
            raise ValueError("solver='exact' needs encoder='linear' without archetypes")
        init = None if start_params is None else np.ascontiguousarray(start_params, dtype=float)
        from ctxstats._progress import solver_callback

        default_iters = {"exact": 100, "lbfgs": 1000, "adam": 500}
        total = opts["max_iter"] or default_iters.get(opts["solver"], 1000)
        progress, close = solver_callback(verbose, total, f"{self.encoder} fit", callback)
        try:
            out = _core.fit(self.context, self.exog, self.endog, self.weights, opts, init, progress)
        finally:
            close()
        return ContextualizedGLMResults(self, out, opts)

    def objective(self, weights, **fit_options) -> tuple[float, np.ndarray]:
        """The penalised objective and its analytic gradient at encoder ``weights``."""
        return _core.objective(self.context, self.exog, self.endog, self.weights,
                               self._options(**fit_options), np.ascontiguousarray(weights, dtype=float))

    def n_weights(self) -> int:
        q = len(self.param_names)
        return _core.n_weights(self._options(), self.context.shape[1], q)

    def save(self, path) -> None:
        """Save to ``path`` in ctxstats' versioned file format (see :mod:`ctxstats.io`)."""
        from ctxstats.io import save; save(self, path)  # noqa: E702


class ContextualizedGLMResults:
    """The fitted model: per-sample parameters, their average, predictions and fit statistics.

    Attributes
    ----------
    sample_params : pandas.DataFrame, shape (n, 1 + p)
        Each sample's intercept and coefficients, in the user's units.
    params : pandas.Series
        The average of ``sample_params`` over samples (the average effects).
    weights : ndarray
        The encoder weights on the core's internal scale (for warm starts and persistence).
    converged, n_iter, history, val_history, solver, message
        What the solver reports; ``history`` is the objective per iteration (adam: mean
        training objective per epoch, with the validation objective in ``val_history``).
    """

    def __init__(self, model: ContextualizedGLM, core_out: dict, options: dict):
        self.model = model
        self.options = options
        self.weights = np.asarray(core_out["weights"])
        self.scaling = core_out["scaling"]
        self.solver = core_out["solver"]
        self.n_iter = int(core_out["n_iter"])
        self.converged = bool(core_out["converged"])
        self.objective = float(core_out["objective"])
        self.history = np.asarray(core_out["history"])
        self.val_history = np.asarray(core_out["val_history"])
        self.message = core_out["message"]
        self.rank_deficient = bool(core_out["rank_deficient"])
        self.interrupted = bool(core_out.get("interrupted", False))
        self._theta = self._predict_theta(model.context)

    # ---- parameters -------------------------------------------------------------------
    def _predict_theta(self, context: np.ndarray) -> np.ndarray:
        return _core.predict_theta(self.options, self.scaling, self.weights, context)

    def _frame(self, theta: np.ndarray, index=None) -> pd.DataFrame:
        return pd.DataFrame(theta, columns=self.model.param_names, index=index)

    @property
    def sample_params(self) -> pd.DataFrame:
        return self._frame(self._theta, self.model.row_labels)

    @property
    def params(self) -> pd.Series:
        return pd.Series(self._theta.mean(axis=0), index=self.model.param_names, name="params")

    def predict_params(self, context) -> pd.DataFrame:
        """Per-sample parameters for new contexts (array or DataFrame with the fitted columns)."""
        C, _ = self._new_context(context)
        index = context.index if isinstance(context, (pd.DataFrame, pd.Series)) else None
        return self._frame(self._predict_theta(C), index)

    def _new_context(self, context):
        if isinstance(context, pd.DataFrame):
            missing = [c for c in self.model.context_names if c not in context.columns]
            if missing:
                raise ValueError(f"context lacks the fitted column(s) {missing}")
            context = context[self.model.context_names]
        C, names = as_matrix(context, "context", "c")
        if C.shape[1] != len(self.model.context_names):
            raise ValueError(f"context has {C.shape[1]} columns; the model was fitted with "
                             f"{len(self.model.context_names)}")
        return C, names

    # ---- predictions --------------------------------------------------------------------
    def _linear_predictor(self, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        if self.model.fit_intercept:
            return theta[:, 0] + np.einsum("ij,ij->i", X, theta[:, 1:])
        return np.einsum("ij,ij->i", X, theta)

    def predict(self, exog=None, context=None, which: str = "mean") -> np.ndarray:
        """Predicted mean (``which="mean"``) or linear predictor (``"linear"``).

        With neither argument, predicts for the fitted samples; otherwise both are needed.
        """
        check_choice(which, ("mean", "linear"), "which")
        if exog is None and context is None:
            theta, X = self._theta, self.model.exog
        else:
            if context is None:
                raise ValueError("predict needs context for new samples")
            C, _ = self._new_context(context)
            if exog is None:
                if self.model.exog.shape[1]:
                    raise ValueError("predict needs exog for new samples")
                X = np.zeros((C.shape[0], 0))
            else:
                if isinstance(exog, pd.DataFrame) and all(c in exog.columns for c in self.model.exog_names):
                    exog = exog[self.model.exog_names]
                X, _ = as_matrix(exog, "exog", "x", C.shape[0])
                if X.shape[1] != len(self.model.exog_names):
                    raise ValueError(f"exog has {X.shape[1]} columns; the model was fitted with "
                                     f"{len(self.model.exog_names)}")
            theta = self._predict_theta(C)
        eta = self._linear_predictor(theta, X)
        return eta if which == "linear" else inverse_link(self.model.family, eta)

    @property
    def fittedvalues(self) -> np.ndarray:
        return self.predict()

    @property
    def resid(self) -> np.ndarray:
        """Response residuals y - fitted mean."""
        return self.model.endog - self.fittedvalues

    # ---- fit statistics -------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        return self.model.nobs

    @property
    def df_model(self) -> int:
        """Encoder weights (the parameter count used by AIC/BIC; for penalised neural
        encoders this overstates the effective degrees of freedom)."""
        return int(self.weights.shape[0])

    @property
    def llf(self) -> float:
        return loglike(self.model.family, self.model.endog, self.fittedvalues, self.model.weights)

    @property
    def aic(self) -> float:
        k = self.df_model + (1 if self.model.family == "gaussian" else 0)
        return -2 * self.llf + 2 * k

    @property
    def bic(self) -> float:
        k = self.df_model + (1 if self.model.family == "gaussian" else 0)
        return -2 * self.llf + np.log(self.nobs) * k

    def summary(self, alpha: float = 0.05):
        """Header, then the distribution of each parameter over samples."""
        from ctxstats.summary import Summary

        m = self.model
        s = Summary(f"Contextualized GLM Results ({type(m).__name__})")
        s.add_header(
            [("Dep. Variable", m.endog_name), ("Family", m.family), ("Encoder", m.encoder),
             ("Solver", self.solver), ("No. Observations", str(self.nobs)),
             ("Context", ", ".join(m.context_names) if len(", ".join(m.context_names)) <= 18 else f"{len(m.context_names)} columns")],
            [("Converged", str(self.converged)), ("Iterations", str(self.n_iter)),
             ("Log-Likelihood", f"{self.llf:.6g}"), ("AIC", f"{self.aic:.6g}"), ("BIC", f"{self.bic:.6g}"),
             ("Encoder weights", str(self.df_model))])
        theta = self.sample_params
        spread = pd.DataFrame({
            "mean": theta.mean(), "std": theta.std(ddof=0), "min": theta.min(),
            "25%": theta.quantile(0.25), "50%": theta.median(), "75%": theta.quantile(0.75), "max": theta.max()})
        s.add_table("Sample parameters: average effect and spread over samples", spread)
        if not self.converged:
            s.add_note(f"The solver did not converge: {self.message}")
        if self.rank_deficient:
            s.add_note("The interaction design is rank deficient; the minimum-norm solution is reported.")
        return s

    def __repr__(self) -> str:
        return (f"<{type(self).__name__}: {self.model.family} family, {self.model.encoder} encoder, "
                f"solver={self.solver}, nobs={self.nobs}, converged={self.converged}>")

    def save(self, path) -> None:
        """Save to ``path`` in ctxstats' versioned file format; read back with ``ctxstats.load``."""
        from ctxstats.io import save; save(self, path)  # noqa: E702


class ContextualizedRegression(ContextualizedGLM):
    """A contextualized linear regression (gaussian family)."""

    def __init__(self, endog, exog, context, encoder: str = "mlp", **kwargs):
        if "family" in kwargs:
            raise TypeError("ContextualizedRegression is the gaussian family; use ContextualizedGLM for others")
        super().__init__(endog, exog, context, family="gaussian", encoder=encoder, **kwargs)


class ContextualizedLogit(ContextualizedGLM):
    """A contextualized logistic regression (binomial family, logit link)."""

    def __init__(self, endog, exog, context, encoder: str = "mlp", **kwargs):
        if "family" in kwargs:
            raise TypeError("ContextualizedLogit is the binomial family; use ContextualizedGLM for others")
        super().__init__(endog, exog, context, family="binomial", encoder=encoder, **kwargs)


class ContextualizedPoisson(ContextualizedGLM):
    """A contextualized Poisson regression (log link)."""

    def __init__(self, endog, exog, context, encoder: str = "mlp", **kwargs):
        if "family" in kwargs:
            raise TypeError("ContextualizedPoisson is the poisson family; use ContextualizedGLM for others")
        super().__init__(endog, exog, context, family="poisson", encoder=encoder, **kwargs)
