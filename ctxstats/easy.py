"""scikit-learn style estimators with the call shapes of ContextualizedML's ``contextualized.easy``.

A script written for ``contextualized.easy`` runs after changing its import::

    from ctxstats.easy import ContextualizedRegressor      # was: from contextualized.easy import ...

    model = ContextualizedRegressor(num_archetypes=4, alpha=1e-2, n_bootstraps=10)
    model.fit(C, X, Y, max_epochs=50)
    betas, mus = model.predict_params(C)    # (n, y_dim, x_dim), (n, y_dim)
    Y_hat = model.predict(C, X)             # (n, y_dim)

The estimators are thin layers over :class:`ctxstats.ContextualizedGLM`; every fit is a
fit of that model by the C++ core. Where the two packages differ (see *Notes* of
:class:`ContextualizedRegressor`), the difference is stated, and keywords of
``contextualized.easy`` that ctxstats cannot honour raise a ``TypeError`` that says so
instead of being ignored.
"""
from __future__ import annotations

import inspect
import sys
import warnings

import numpy as np
import pandas as pd

from ctxstats._options import SCHEMA as _SCHEMA
from ctxstats._validation import as_matrix, check_choice, check_float, check_int, check_response
from ctxstats.convergence import ConvergenceWarning, bootstrap_message, warn_at_caller
from ctxstats.models import ContextualizedGLM

ENCODERS = tuple(_SCHEMA["encoder"]["choices"])
SOLVERS = tuple(c for c in _SCHEMA["solver"]["choices"] if c != "auto")

__all__ = [
    "ContextualizedRegressor",
    "ContextualizedClassifier",
    "ContextualGAMRegressor",
    "ContextualGAMClassifier",
]

# Keywords of contextualized.easy (0.2.9) that have no ctxstats counterpart, with the reason.
_UNSUPPORTED = {
    "loss_fn": "ctxstats fits likelihoods (gaussian or binomial here); use ContextualizedClassifier "
               "for the logistic loss, or ctxstats.ContextualizedGLM for the poisson family",
    "link_fn": "the link is the family's canonical link; use ContextualizedClassifier for the logit link",
    "model_regularizer": "use alpha, l1_ratio and mu_ratio",
    "encoder_link_fn": "encoders end in an identity (or, with archetypes, a softmax) output",
    "subtype_probabilities": "archetype weights are always softmax probabilities in ctxstats",
    "encoder_width": "use width",
    "encoder_layers": "use layers",
    "base_param_predictor": "fixed base predictors are not implemented",
    "base_y_predictor": "fixed base predictors are not implemented",
    "callbacks": "ctxstats does not use Lightning; early stopping is set by es_patience",
    "callback_constructors": "ctxstats does not use Lightning; early stopping is set by es_patience",
    "C_val": "give val_split instead: the validation rows are drawn from the data by the seed",
    "X_val": "give val_split instead: the validation rows are drawn from the data by the seed",
    "Y_val": "give val_split instead: the validation rows are drawn from the data by the seed",
    "check_val_every_n_epoch": "validation runs after every epoch",
    "val_check_interval": "validation runs after every epoch",
    "es_monitor": "early stopping always monitors the validation loss",
    "es_mode": "early stopping always minimises the validation loss",
    "es_min_delta": "early stopping uses a relative improvement of 1e-6",
}
# Keywords of contextualized.easy that change nothing in ctxstats; accepted and ignored.
_NO_EFFECT = ("val_batch_size", "test_batch_size", "es_verbose", "checkpoint_path")


def _reject_unsupported(kwargs: dict, where: str) -> None:
    for key in kwargs:
        if key in _UNSUPPORTED:
            raise TypeError(f"{where} does not support the contextualized.easy keyword {key!r}: {_UNSUPPORTED[key]}")
    if kwargs:
        raise TypeError(f"{where} got unexpected keyword argument(s) {', '.join(map(repr, sorted(kwargs)))}")


def _interactive() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


def _progress(total: int, verbose: bool, desc: str):
    """A tqdm bar when verbose and interactive (and tqdm installed), else None."""
    if not verbose or total <= 1 or not _interactive():
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, leave=False)


def _bootstrap_seed(random_state: int, replicate: int) -> int:
    """The core's seed for bootstrap replicate ``replicate`` (a pure function of both)."""
    return int(np.random.SeedSequence([random_state, replicate]).generate_state(1)[0])


def _bootstrap_rows(random_state: int, replicate: int, n: int) -> np.ndarray:
    """Row indices of one bootstrap resample (n draws with replacement), sorted."""
    rng = np.random.default_rng([random_state, replicate, 0x5EED])
    return np.sort(rng.integers(0, n, size=n))


class _EasyBase:
    """Shared machinery; the public classes below fix the family and the defaults."""

    _family = "gaussian"
    _gam = False

    # ---- scikit-learn parameter protocol -------------------------------------------------
    @classmethod
    def _get_param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))

    def get_params(self, deep: bool = True) -> dict:
        """The estimator's parameters, as scikit-learn's ``get_params``.

        Parameters
        ----------
        deep : bool
            Ignored (these estimators hold no sub-estimators); kept for scikit-learn.

        Returns
        -------
        dict
            Parameter name to value, exactly as given to the constructor or ``set_params``.
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set parameters by name, as scikit-learn's ``set_params``; returns the estimator."""
        valid = self._get_param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}; "
                                 f"the parameters are {', '.join(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if not (k in defaults and (defaults[k] is v or (type(defaults[k]) is type(v) and defaults[k] == v)))]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        # Only called by scikit-learn (>= 1.6), so importing it here adds no dependency.
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        is_clf = self._family == "binomial"
        tags = Tags(estimator_type="classifier" if is_clf else "regressor",
                    target_tags=TargetTags(required=True, multi_output=True))
        if is_clf:
            tags.classifier_tags = ClassifierTags(multi_class=False)
        else:
            tags.regressor_tags = RegressorTags()
        return tags

    def _check_loaded(self) -> None:
        """Called by ``ctxstats.load``: every constructor parameter present (their values are
        checked by ``fit``, as scikit-learn does), and a fitted estimator's fits one per outcome
        column and replicate, each of this estimator's family and shapes."""
        from ctxstats._state import Array, ListOf, fields
        from ctxstats.results import ContextualizedGLMResults

        params = {name: object for name in self._get_param_names()}
        if vars(self).get("results_") is None:
            fields(self, params, optional={"results_": type(None)})
            return
        fitted = {"context_dim": int, "x_dim": int, "y_dim": int, "n_bootstraps_": int,
                  "results_": ListOf(ListOf(ContextualizedGLMResults))}
        fields(self, {**params, **fitted}, others=True)
        d, p, k, B = self.context_dim, self.x_dim, self.y_dim, self.n_bootstraps_
        if min(d, k, B) < 1 or p < 0:
            raise ValueError(f"{type(self).__name__} has context_dim={d}, x_dim={p}, y_dim={k}, n_bootstraps_={B}")
        uni = self._univariate()
        fields(self, {**params, **fitted, "results_": ListOf(ListOf(ContextualizedGLMResults, B), k * p if uni else k),
                      "train_context_": Array(None, d)},
               optional={"univariate_": bool, **({"classes_": Array(2)} if self._family == "binomial" else {})})
        if self._family == "binomial" and not np.array_equal(getattr(self, "classes_", None), [0.0, 1.0]):
            raise ValueError(f"{type(self).__name__}.classes_ must be [0.0, 1.0]")
        for column in self.results_:
            for res in column:
                m = res.model
                cols = 1 if uni else p
                if (m.family, m.fit_intercept, m.context.shape[1], m.exog.shape[1]) != (self._family, True, d, cols):
                    raise ValueError(f"{type(self).__name__}.results_ holds a fit that is not a {self._family} "
                                     f"model with an intercept, {d} context and {cols} predictor columns")

    def save(self, path) -> None:
        """Save the estimator (fitted or not) in ctxstats' versioned file format; read it back
        with ``ctxstats.load``."""
        from ctxstats.io import save

        save(self, path)

    # ---- settings --------------------------------------------------------------------------
    def _settings(self, overrides: dict) -> dict:
        """Constructor parameters updated by fit keywords, validated; names the bad one."""
        overrides = dict(overrides)
        for key in _NO_EFFECT:
            overrides.pop(key, None)
        if "accelerator" in overrides:
            acc = overrides.pop("accelerator")
            if acc not in ("cpu", "auto"):
                raise ValueError(f"accelerator={acc!r}: ctxstats runs on the CPU (use threads= for cores)")
        names = self._get_param_names()
        unknown = {k: v for k, v in overrides.items() if k not in names}
        _reject_unsupported(unknown, f"{type(self).__name__}.fit")
        s = {**self.get_params(), **overrides}

        encoder = check_choice(s["encoder_type"], ENCODERS, "encoder_type")
        if self._gam and encoder != "ngam":
            warnings.warn(f"{type(self).__name__} always uses the ngam encoder; encoder_type={encoder!r} "
                          "is ignored", UserWarning, stacklevel=3)
            encoder = "ngam"
        solver = check_choice(s["solver"], SOLVERS, "solver")
        archetypes = check_int(s["num_archetypes"], "num_archetypes", 0)
        if archetypes == 1:
            raise ValueError("num_archetypes=1 gives every sample the same model in ctxstats (archetype "
                             "weights are softmax probabilities); use 0 (none) or K >= 2")
        if not isinstance(s["normalize"], (bool, np.bool_)):
            raise TypeError("normalize must be True or False")
        if not isinstance(s["verbose"], (bool, np.bool_, int)):
            raise TypeError("verbose must be True or False")
        if not isinstance(s["univariate"], (bool, np.bool_)):
            raise TypeError("univariate must be True or False")
        random_state = 0 if s["random_state"] is None else check_int(s["random_state"], "random_state", 0)
        patience = s["es_patience"]
        if isinstance(patience, float) and np.isinf(patience):
            patience = 2**31 - 1          # contextualized.easy's es_patience=float("inf"): never stop early
        out = dict(
            n_bootstraps=check_int(s["n_bootstraps"], "n_bootstraps", 1),
            encoder=encoder,
            solver=solver,
            archetypes=archetypes,
            width=check_int(s["width"], "width", 1),
            depth=check_int(s["layers"], "layers", 0),
            alpha=check_float(s["alpha"], "alpha", 0.0),
            l1_ratio=check_float(s["l1_ratio"], "l1_ratio", 0.0, 1.0),
            mu_ratio=check_float(s["mu_ratio"], "mu_ratio", 0.0, 1.0),
            max_epochs=check_int(s["max_epochs"], "max_epochs", 0),
            learning_rate=check_float(s["learning_rate"], "learning_rate", 0.0, low_open=True),
            val_split=check_float(s["val_split"], "val_split", 0.0, 1.0, high_open=True),
            es_patience=check_int(patience, "es_patience", 1),
            train_batch_size=check_int(s["train_batch_size"], "train_batch_size", 1),
            random_state=random_state,
            threads=None if s["threads"] is None else check_int(s["threads"], "threads", 1),
            verbose=bool(s["verbose"]),
            univariate=bool(s["univariate"]),
        )
        if solver == "exact" and (encoder != "linear" or archetypes):
            raise ValueError("solver='exact' needs encoder_type='linear' and num_archetypes=0")
        return out

    # ---- data ------------------------------------------------------------------------------
    def _check_CX(self, C, X, fitted: bool):
        Cm, c_names = as_matrix(C, "C", "c")
        Xm, x_names = as_matrix(X, "X", "x")
        if Xm.shape[0] != Cm.shape[0]:
            raise ValueError(f"X has {Xm.shape[0]} rows but C has {Cm.shape[0]}")
        if fitted:
            if Cm.shape[1] != self.context_dim:
                raise ValueError(f"C has {Cm.shape[1]} columns; the model was fitted with {self.context_dim}")
            if Xm.shape[1] != self.x_dim:
                raise ValueError(f"X has {Xm.shape[1]} columns; the model was fitted with {self.x_dim}")
        return Cm, Xm, c_names, x_names

    def _check_Y(self, Y, n: int) -> np.ndarray:
        if Y is None:
            raise ValueError("Y is missing: fit(C, X, Y) needs the outcomes")
        if isinstance(Y, pd.Series):
            Y = Y.to_frame()
        Ym, y_names = as_matrix(Y, "Y", "y")
        if Ym.shape[0] != n:
            raise ValueError(f"Y has {Ym.shape[0]} rows but C has {n}")
        for k in range(Ym.shape[1]):
            check_response(Ym[:, k], self._family, name=f"Y column {k}")
        return Ym, y_names

    def _check_fitted(self) -> None:
        if getattr(self, "results_", None) is None:
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit(C, X, Y) first")

    # ---- fitting ---------------------------------------------------------------------------
    def fit(self, C, X, Y, **kwargs):
        """Fit one contextualized model per outcome column (and per bootstrap replicate).

        Parameters
        ----------
        C : array_like, shape (n, context_dim)
            Contexts.
        X : array_like, shape (n, x_dim)
            Predictors.
        Y : array_like, shape (n,) or (n, y_dim)
            Outcomes; each column gets its own model (see Notes of the class).
        **kwargs
            Any constructor parameter (for instance ``max_epochs``, ``learning_rate``,
            ``n_bootstraps``, ``es_patience``), applied to this fit only, as
            ``contextualized.easy`` allows. ``val_batch_size``, ``test_batch_size``,
            ``es_verbose``, ``checkpoint_path`` and ``accelerator="cpu"`` are accepted
            and change nothing.

        Returns
        -------
        self

        Warns
        -----
        ConvergenceWarning
            A fit that stopped at ``max_epochs`` without meeting its stopping criterion (the
            core's message, once per distinct message); with ``n_bootstraps`` > 1, one
            warning: "k of B bootstrap replicates did not converge ...".
        """
        s = self._settings(kwargs)
        # Column names (of DataFrames, else c1.., x1.., y1..) label the per-outcome results;
        # new data is matched by position, as in contextualized.easy.
        Cm, Xm, c_names, x_names = self._check_CX(C, X, fitted=False)
        Ym, y_names = self._check_Y(Y, Cm.shape[0])
        n = Cm.shape[0]
        self.context_dim, self.x_dim, self.y_dim = Cm.shape[1], Xm.shape[1], Ym.shape[1]
        B = s["n_bootstraps"]
        self.univariate_ = s["univariate"]
        # One fit per outcome column, or with univariate=True per (outcome, predictor) pair,
        # outcome-major: y_k ~ mu_kj(c) + beta_kj(c) x_j.
        tasks = [(k, [j]) for k in range(self.y_dim) for j in range(self.x_dim)] if self.univariate_ \
            else [(k, list(range(self.x_dim))) for k in range(self.y_dim)]
        fit_kw = dict(solver=s["solver"], threads=s["threads"], alpha=s["alpha"], l1_ratio=s["l1_ratio"],
                      mu_ratio=s["mu_ratio"])
        if s["solver"] == "adam":
            fit_kw.update(learning_rate=s["learning_rate"], val_split=s["val_split"],
                          patience=s["es_patience"], batch_size=s["train_batch_size"])
        enc = dict(archetypes=s["archetypes"])
        if s["encoder"] in _SCHEMA["width"]["encoders"]:  # width and depth shape the neural encoders only
            enc.update(width=s["width"], depth=s["depth"])
        bar = _progress(len(tasks) * B, s["verbose"], type(self).__name__)
        results = []
        replicate_convergence = []
        try:
            for k, cols in tasks:
                column = []
                for b in range(B):
                    if B == 1:
                        rows, seed = slice(None), s["random_state"]
                    else:
                        rows = _bootstrap_rows(s["random_state"], b, n)
                        seed = _bootstrap_seed(s["random_state"], b)
                    model = ContextualizedGLM(
                        pd.Series(Ym[rows, k], name=y_names[k]),
                        pd.DataFrame(Xm[rows][:, cols], columns=[x_names[j] for j in cols]),
                        pd.DataFrame(Cm[rows], columns=c_names), family=self._family, encoder=s["encoder"], **enc)
                    # One fit: the core's own bar of iterations; several: one bar over the fits.
                    with warnings.catch_warnings():
                        # Said once below, at the caller's line: each fit's own warning would
                        # point inside this module, and replicates get one summary.
                        warnings.simplefilter("ignore", ConvergenceWarning)
                        res = model.fit(seed=seed, max_iter=s["max_epochs"] or None, **fit_kw,
                                        verbose=bool(s["verbose"] and len(tasks) * B == 1 and _interactive()),
                                        _train=s["max_epochs"] > 0)
                    column.append(res)
                    replicate_convergence.append((res.converged or res.interrupted or not res.trained, res.message))
                    if bar is not None:
                        bar.update(1)
                results.append(column)
        finally:
            if bar is not None:
                bar.close()
        if B > 1:
            message = bootstrap_message(replicate_convergence)
            if message:
                warn_at_caller(message)
        else:
            for message in dict.fromkeys(m for ok, m in replicate_convergence if not ok):
                warn_at_caller(message)
        self.n_bootstraps_ = B
        self.results_ = results
        self.train_context_ = Cm
        return self

    @property
    def models(self) -> list:
        """The bootstrap replicates' fits: one tuple per replicate of each outcome column's
        :class:`ctxstats.ContextualizedGLMResults` (contextualized.easy's ``models``)."""
        if getattr(self, "results_", None) is None:
            raise AttributeError(f"this {type(self).__name__} is not fitted yet; it has no models")
        return [tuple(column[b] for column in self.results_) for b in range(self.n_bootstraps_)]

    def _keep_replicates(self, keep) -> None:
        """Keep only the replicates ``keep`` (indices, in order); used by select_good_bootstraps."""
        self._check_fitted()
        keep = [int(b) for b in keep]
        if not keep:
            raise ValueError("no bootstrap replicate would be left")
        if any(not 0 <= b < self.n_bootstraps_ for b in keep):
            raise ValueError(f"replicate indices must lie in 0..{self.n_bootstraps_ - 1}")
        self.results_ = [[column[b] for b in keep] for column in self.results_]
        self.n_bootstraps_ = len(keep)

    # ---- prediction ------------------------------------------------------------------------
    def _univariate(self) -> bool:
        return bool(getattr(self, "univariate_", False))

    def _theta(self, C) -> np.ndarray:
        """Sample parameters, intercept first: shape (B, n, y_dim, 1 + x_dim), or with
        univariate=True (B, n, y_dim, x_dim, 2), one (intercept, slope) per pair."""
        self._check_fitted()
        Cm, _ = as_matrix(C, "C", "c")
        if Cm.shape[1] != self.context_dim:
            raise ValueError(f"C has {Cm.shape[1]} columns; the model was fitted with {self.context_dim}")
        shape = (self.x_dim, 2) if self._univariate() else (self.x_dim + 1,)
        out = np.empty((self.n_bootstraps_, Cm.shape[0], self.y_dim) + shape)
        flat = out.reshape(self.n_bootstraps_, Cm.shape[0], len(self.results_), shape[-1])
        for t, column in enumerate(self.results_):
            for b, res in enumerate(column):
                flat[b, :, t, :] = res.predict_params(Cm).to_numpy()
        return out

    def _predict_mean(self, C, X) -> np.ndarray:
        """Per-replicate predicted means, shape (B, n, y_dim), or (B, n, y_dim, x_dim) with
        univariate=True (each pair's regression on its one predictor)."""
        self._check_fitted()
        Cm, Xm, _, _ = self._check_CX(C, X, fitted=True)
        shape = (self.x_dim,) if self._univariate() else ()
        out = np.empty((self.n_bootstraps_, Cm.shape[0], self.y_dim) + shape)
        flat = out.reshape(self.n_bootstraps_, Cm.shape[0], len(self.results_))
        for t, column in enumerate(self.results_):
            cols = [t % self.x_dim] if self._univariate() else slice(None)
            for b, res in enumerate(column):
                flat[b, :, t] = res.predict(Xm[:, cols], Cm)
        return out

    def predict(self, C, X, individual_preds: bool = False):
        """Predicted outcomes for contexts ``C`` and predictors ``X``.

        Parameters
        ----------
        C : array_like, shape (n, context_dim)
        X : array_like, shape (n, x_dim)
        individual_preds : bool
            Return each bootstrap replicate's prediction instead of their average.

        Returns
        -------
        ndarray
            Shape (n, y_dim), or (n_bootstraps, n, y_dim) with ``individual_preds``; with
            ``univariate=True`` a trailing x_dim axis: each pair's prediction of y_k from x_j.
        """
        preds = self._predict_mean(C, X)
        return preds if individual_preds else preds.mean(axis=0)

    def predict_params(self, C, individual_preds: bool = False, model_includes_mus: bool = True):
        """Each context's model: coefficients ``betas`` and intercepts ``mus``.

        Parameters
        ----------
        C : array_like, shape (n, context_dim)
        individual_preds : bool
            Return each bootstrap replicate's parameters instead of their average.
        model_includes_mus : bool
            Return ``(betas, mus)`` (default) or ``betas`` alone.

        Returns
        -------
        betas : ndarray
            Shape (n, y_dim, x_dim), or (n_bootstraps, n, y_dim, x_dim) with ``individual_preds``.
        mus : ndarray
            Shape (n, y_dim), or (n_bootstraps, n, y_dim) with ``individual_preds``; with
            ``univariate=True`` the shape of ``betas`` (each pair's own intercept), as
            contextualized's univariate regression.
        """
        theta = self._theta(C)
        if not individual_preds:
            theta = theta.mean(axis=0)
        if self._univariate():
            betas, mus = theta[..., 1], theta[..., 0]
        else:
            betas, mus = theta[..., 1:], theta[..., 0]
        return (betas, mus) if model_includes_mus else betas


    def subtypes(self, C, k: int | None = None, *, k_max: int = 8, n_starts: int = 10, seed: int = 0,
                 alpha: float = 0.05):
        """Subtypes of the samples found from their models at contexts ``C`` (usually the training
        contexts; :mod:`ctxstats.subtypes`): k-means on the standardised intercepts and coefficients
        of every outcome, k by the mean silhouette when not given; with ``n_bootstraps >= 2`` the
        replicates give the assignment's stability and each subtype's intervals. Returns a
        :class:`ctxstats.subtypes.Subtypes` (``.labels``, ``.table``, ``.plot()``)."""
        from ctxstats.subtypes import easy_subtypes

        return easy_subtypes(self, C, k, k_max=k_max, n_starts=n_starts, seed=seed, alpha=alpha)

    def score(self, C, X, Y) -> float:
        """R^2 of the predictions (regressors) or accuracy (classifiers), averaged over outcomes."""
        Cm, Xm, _, _ = self._check_CX(C, X, fitted=True)
        Ym, _ = self._check_Y(Y, Cm.shape[0])
        pred = self.predict(Cm, Xm)
        if self._univariate():  # every pair's prediction scored against its outcome
            Ym = Ym[:, :, None]
        if self._family == "binomial":
            return float(np.mean(pred == Ym))
        ss_res = ((Ym - pred) ** 2).sum(axis=0)
        ss_tot = ((Ym - Ym.mean(axis=0)) ** 2).sum(axis=0)
        return float(np.mean(1.0 - ss_res / ss_tot))


_PARAMETERS_DOC = """
    Parameters
    ----------
    n_bootstraps : int
        Number of fits averaged by ``predict`` and ``predict_params``. 1: one fit on all
        rows. B > 1: B fits on bootstrap resamples of the rows (n rows drawn with
        replacement), each replicate's resample and initialisation a function of
        ``random_state`` and the replicate number only.
    encoder_type : {"mlp", "ngam", "linear"}
        The context encoder (see :class:`ctxstats.ContextualizedGLM`).
    num_archetypes : int
        0: the encoder outputs the parameters directly. K >= 2: each sample's model is a
        softmax-weighted mixture of K archetype models.
    alpha, l1_ratio, mu_ratio : float
        Elastic net on the sample parameters (strength, share of L1, share on the
        intercepts), as in :meth:`ctxstats.ContextualizedGLM.fit`. The defaults are
        those contextualized.easy 0.2.9 applies when ``alpha > 0`` (l1_ratio 1, mu_ratio 0.5).
    width, layers : int
        Hidden units per layer and number of hidden layers of the encoder (25 and 3, as
        contextualized.easy).
    max_epochs : int
        Adam: the most epochs; lbfgs: the most iterations. 0 returns the untrained initial
        model (the encoder's seeded initialisation, ``results_[k][b].trained`` False), the
        reference error contextualized.easy's tests compare a fit against.
    learning_rate, val_split, es_patience, train_batch_size
        Adam's step size, held-out share of rows for early stopping, epochs without
        improvement before stopping (``float("inf")`` never stops early) and mini-batch
        size. The defaults (1e-3, 0.2, 1, 1) are contextualized.easy's.
    normalize : bool
        Accepted for compatibility. ctxstats always standardises C, X (and a gaussian Y)
        inside the core and reports parameters in the original units, so ``normalize``
        changes nothing.
    solver : {"adam", "lbfgs", "exact"}
        "adam" (default) follows contextualized.easy's training. "lbfgs" is full-batch and
        usually reaches a better optimum faster on small and medium data (learning_rate,
        val_split, es_patience and train_batch_size then do not apply). "exact" is the
        exact solver of the linear varying-coefficient model (encoder_type="linear").
    random_state : int or None
        Seed of initialisation, shuffles, validation split and bootstrap resamples. None
        means 0: fits are always reproducible, bitwise, for any number of threads.
    threads : int or None
        OpenMP threads for the core; None uses all cores.
    verbose : bool
        Show a progress bar over the fits (outcome columns x bootstrap replicates) when
        the session is interactive.
    univariate : bool
        False (default): each outcome column is regressed on all predictors. True: every
        (outcome k, predictor j) pair gets its own contextualized univariate regression
        ``y_k ~ mu_kj(c) + beta_kj(c) x_j`` (contextualized's univariate regression, the
        building block of correlation networks); ``predict_params`` then returns betas and
        mus of shape (n, y_dim, x_dim) and ``predict`` a trailing x_dim axis.
"""

_NOTES_DOC = """
    Notes
    -----
    Differences from contextualized.easy 0.2.9, which a user switching packages should know:

    * Outcome columns are fitted as separate models (one per column of ``Y``), each with its
      own encoder; contextualized.easy fits one encoder for all columns.
    * ``n_bootstraps`` resamples rows (a nonparametric bootstrap). contextualized.easy refits
      on the full data with a new random validation split and initialisation.
    * Archetype weights are softmax probabilities; contextualized.easy mixes archetypes with
      unconstrained weights. Adam moves them more slowly per epoch: give such fits more
      ``max_epochs`` (each epoch costs far less here), or use ``solver="lbfgs"``.
    * Hidden layers use ctxstats' default activation (tanh, smooth for L-BFGS) where
      contextualized.easy uses ReLU.
    * The penalty is averaged over samples on the standardised scale; contextualized.easy
      applies norms over each mini-batch on the user's scale, so equal ``alpha`` values are
      not equal penalties.
    * ``fit`` returns the estimator (contextualized.easy returns None), and keywords ctxstats cannot honour raise ``TypeError`` rather than being
      ignored with a printed message.
"""


class ContextualizedRegressor(_EasyBase):
    __doc__ = """Contextualized linear regression with the interface of ``contextualized.easy``.

    Fits ``y_ik = mu_k(c_i) + x_i . beta_k(c_i) + noise`` for each outcome column k.
    """ + _PARAMETERS_DOC + """
    Attributes
    ----------
    results_ : list of list of ContextualizedGLMResults
        ``results_[k][b]`` is the fit for outcome column k and bootstrap replicate b (with
        ``univariate=True``, ``results_[k * x_dim + j][b]`` is the pair (k, j)'s).
    context_dim, x_dim, y_dim : int
        Shapes seen by ``fit`` (the names contextualized.easy uses).
    n_bootstraps_ : int
        Replicates fitted.
    train_context_ : ndarray, shape (n, context_dim)
        The contexts of the training rows (bootstrap replicates hold resampled copies), used
        by :mod:`ctxstats.plotting`.
    """ + _NOTES_DOC

    _family = "gaussian"

    def __init__(self, *, n_bootstraps=1, encoder_type="mlp", num_archetypes=0, alpha=0.0, l1_ratio=1.0,
                 mu_ratio=0.5, width=25, layers=3, max_epochs=1000, learning_rate=1e-3, val_split=0.2,
                 es_patience=1, train_batch_size=1, normalize=False, solver="adam", random_state=0,
                 threads=None, verbose=True, univariate=False, **unsupported):
        _reject_unsupported(unsupported, type(self).__name__)
        self.n_bootstraps = n_bootstraps
        self.encoder_type = encoder_type
        self.num_archetypes = num_archetypes
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.mu_ratio = mu_ratio
        self.width = width
        self.layers = layers
        self.max_epochs = max_epochs
        self.learning_rate = learning_rate
        self.val_split = val_split
        self.es_patience = es_patience
        self.train_batch_size = train_batch_size
        self.normalize = normalize
        self.solver = solver
        self.random_state = random_state
        self.threads = threads
        self.verbose = verbose
        self.univariate = univariate


class ContextualizedClassifier(ContextualizedRegressor):
    __doc__ = """Contextualized logistic regression with the interface of ``contextualized.easy``.

    Fits ``P(y_ik = 1) = sigmoid(mu_k(c_i) + x_i . beta_k(c_i))`` for each outcome column k
    (values in [0, 1]; 0/1 labels for classification).
    """ + _PARAMETERS_DOC + """
    Attributes
    ----------
    results_ : list of list of ContextualizedGLMResults
        ``results_[k][b]`` is the fit for outcome column k and bootstrap replicate b (with
        ``univariate=True``, ``results_[k * x_dim + j][b]`` is the pair (k, j)'s).
    classes_ : ndarray
        ``[0.0, 1.0]``.
    context_dim, x_dim, y_dim, n_bootstraps_
        As for :class:`ContextualizedRegressor`.
    """ + _NOTES_DOC

    _family = "binomial"

    def fit(self, C, X, Y, **kwargs):
        super().fit(C, X, Y, **kwargs)
        self.classes_ = np.array([0.0, 1.0])
        return self

    fit.__doc__ = _EasyBase.fit.__doc__

    def predict(self, C, X, individual_preds: bool = False):
        """Predicted labels (0.0 or 1.0): the averaged probability rounded.

        Returns
        -------
        ndarray
            Shape (n, y_dim), or (n_bootstraps, n, y_dim) of each replicate's rounded
            probability with ``individual_preds``.
        """
        return np.round(super().predict(C, X, individual_preds=individual_preds))

    def predict_proba(self, C, X, individual_preds: bool = False):
        """Class probabilities ``[P(y=0), P(y=1)]`` for each outcome.

        Returns
        -------
        ndarray
            Shape (n, y_dim, 2), or (n_bootstraps, n, y_dim, 2) with ``individual_preds``.
        """
        p = _EasyBase.predict(self, C, X, individual_preds=individual_preds)
        return np.stack([1.0 - p, p], axis=-1)


class ContextualGAMRegressor(ContextualizedRegressor):
    __doc__ = """A :class:`ContextualizedRegressor` with the neural additive (``ngam``) encoder.

    Each context feature's effect on the parameters is a separate curve, plotted by
    :func:`ctxstats.plotting.plot_ngam_effects`. ``encoder_type`` other than "ngam" is
    ignored with a warning, as in contextualized.easy.
    """ + _PARAMETERS_DOC + _NOTES_DOC

    _gam = True

    def __init__(self, *, n_bootstraps=1, encoder_type="ngam", num_archetypes=0, alpha=0.0, l1_ratio=1.0,
                 mu_ratio=0.5, width=25, layers=3, max_epochs=1000, learning_rate=1e-3, val_split=0.2,
                 es_patience=1, train_batch_size=1, normalize=False, solver="adam", random_state=0,
                 threads=None, verbose=True, univariate=False, **unsupported):
        ContextualizedRegressor.__init__(
            self, n_bootstraps=n_bootstraps, encoder_type=encoder_type, num_archetypes=num_archetypes,
            alpha=alpha, l1_ratio=l1_ratio, mu_ratio=mu_ratio, width=width, layers=layers,
            max_epochs=max_epochs, learning_rate=learning_rate, val_split=val_split,
            es_patience=es_patience, train_batch_size=train_batch_size, normalize=normalize,
            solver=solver, random_state=random_state, threads=threads, verbose=verbose, univariate=univariate,
            **unsupported)


class ContextualGAMClassifier(ContextualizedClassifier):
    __doc__ = """A :class:`ContextualizedClassifier` with the neural additive (``ngam``) encoder.

    ``encoder_type`` other than "ngam" is ignored with a warning, as in contextualized.easy.
    """ + _PARAMETERS_DOC + _NOTES_DOC

    _gam = True
    __init__ = ContextualGAMRegressor.__init__


# The networks live in ctxstats/networks.py and build on _EasyBase above; they are looked up on
# first use (PEP 562), so that either module can be imported first.
_NETWORKS = ("ContextualizedCorrelationNetworks", "ContextualizedMarkovNetworks", "ContextualizedBayesianNetworks")
__all__ += list(_NETWORKS)


def __getattr__(name):
    if name in _NETWORKS:
        from ctxstats import networks

        return getattr(networks, name)
    raise AttributeError(f"module 'ctxstats.easy' has no attribute {name!r}")
