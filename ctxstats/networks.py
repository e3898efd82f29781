"""Contextualized correlation and Markov networks with the interface of ``contextualized.easy``.

A network for every sample: the edges among the p columns of ``X`` are functions of the
sample's context ``C``. Everything statistical happens in the C++ core
(``csrc/networks/networks.hpp``, where the models are documented in full); this module checks
arguments and names the peer's keywords and shapes; the core also averages over replicates
(``individual_preds=False``), for both front ends.

    from ctxstats.easy import ContextualizedCorrelationNetworks   # was: from contextualized.easy

    ccn = ContextualizedCorrelationNetworks(n_bootstraps=20).fit(C, X)
    rho = ccn.predict_correlation(C, squared=False)      # (n_bootstraps, n, p, p)
    mse = ccn.measure_mses(C, X)                          # (n,)
"""
from __future__ import annotations

import warnings

import numpy as np

from ctxstats import _core
from ctxstats._options import SCHEMA as _SCHEMA
from ctxstats._validation import as_matrix, check_choice, check_float, check_int
from ctxstats.convergence import warn_at_caller
from ctxstats.easy import _EasyBase, _reject_unsupported

__all__ = ["ContextualizedCorrelationNetworks", "ContextualizedMarkovNetworks"]

NETWORK_ENCODERS = ("linear", "mlp", "ngam")
NETWORK_SOLVERS = ("auto", "exact", "lbfgs")
# contextualized.easy keywords of its Adam training that full-batch fits do not use.
_ADAM_ONLY = ("learning_rate", "val_split", "es_patience", "train_batch_size", "val_batch_size",
              "test_batch_size", "es_verbose", "checkpoint_path", "accelerator")


class _NetworkBase(_EasyBase):
    _type = "correlation"

    def __init__(self, *, n_bootstraps=1, encoder_type="linear", num_archetypes=0, alpha=0.0, l1_ratio=0.0,
                 mu_ratio=0.5, width=25, layers=3, max_epochs=1000, solver="auto", normalize=False,
                 random_state=0, threads=None, verbose=False, **peer_kwargs):
        self._peer_kwargs = self._split_peer(peer_kwargs, type(self).__name__)
        self.n_bootstraps = n_bootstraps
        self.encoder_type = encoder_type
        self.num_archetypes = num_archetypes
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.mu_ratio = mu_ratio
        self.width = width
        self.layers = layers
        self.max_epochs = max_epochs
        self.solver = solver
        self.normalize = normalize
        self.random_state = random_state
        self.threads = threads
        self.verbose = verbose

    @staticmethod
    def _split_peer(kwargs: dict, where: str) -> dict:
        """The peer's Adam-only keywords (accepted, no effect); anything else is refused."""
        kept = {k: v for k, v in kwargs.items() if k in _ADAM_ONLY}
        _reject_unsupported({k: v for k, v in kwargs.items() if k not in _ADAM_ONLY}, where)
        return kept

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False))

    def save(self, path) -> None:
        """Not available yet for networks: ctxstats' model file holds contextualized GLMs. A fitted
        network's state (``model_``) is plain arrays, so the estimator pickles."""
        raise NotImplementedError(f"{type(self).__name__} cannot be saved in ctxstats' model file yet; "
                                  "use pickle (the fitted state model_ is plain arrays)")

    # ---- fitting ---------------------------------------------------------------------------
    def _options(self, overrides: dict) -> tuple[dict, int, bool]:
        overrides = dict(overrides)
        self._split_peer({k: overrides.pop(k) for k in list(overrides) if k not in self._get_param_names()},
                         f"{type(self).__name__}.fit")
        s = {**self.get_params(), **overrides}
        encoder = check_choice(s["encoder_type"], NETWORK_ENCODERS, "encoder_type")
        solver = check_choice(s["solver"], NETWORK_SOLVERS, "solver")
        archetypes = check_int(s["num_archetypes"], "num_archetypes", 0)
        if not isinstance(s["normalize"], (bool, np.bool_)):
            raise TypeError("normalize must be True or False")
        B = check_int(s["n_bootstraps"], "n_bootstraps", 1)
        max_epochs = check_int(s["max_epochs"], "max_epochs", 0)
        opts = dict(family="gaussian", encoder=encoder, archetypes=archetypes, solver=solver,
                    alpha=check_float(s["alpha"], "alpha", 0.0),
                    l1_ratio=check_float(s["l1_ratio"], "l1_ratio", 0.0, 1.0),
                    mu_ratio=check_float(s["mu_ratio"], "mu_ratio", 0.0, 1.0),
                    seed=0 if s["random_state"] is None else check_int(s["random_state"], "random_state", 0),
                    max_iter=max_epochs)
        if s["threads"] is not None:
            opts["threads"] = check_int(s["threads"], "threads", 1)
        if encoder in _SCHEMA["width"]["encoders"]:  # width and depth shape the neural encoders only
            opts.update(width=check_int(s["width"], "width", 1), depth=check_int(s["layers"], "layers", 0))
        return opts, B, max_epochs > 0

    def fit(self, C, X, **kwargs):
        """Fit the network of every context.

        Parameters
        ----------
        C : array_like, shape (n, context_dim)
            Contexts.
        X : array_like, shape (n, x_dim)
            The features whose network is estimated (at least two columns).
        **kwargs
            Any constructor parameter, for this fit only (as ``contextualized.easy`` allows).
            ``max_epochs=0`` returns the untrained initial model (the encoder's seeded
            initialisation; the linear encoder starts at zero, so every regression predicts
            its feature's mean), ContextualizedML's reference error. The peer's Adam keywords
            (``learning_rate``, ``val_split``, ``es_patience``, ``train_batch_size``, ...) are
            accepted and change nothing: networks are fitted by the exact solver or by
            full-batch L-BFGS.

        Returns
        -------
        self

        Warns
        -----
        ConvergenceWarning
            An L-BFGS fit that stopped at ``max_epochs`` iterations without meeting its
            stopping criterion, or bootstrap replicates that did not.
        """
        opts, B, train = self._options(kwargs)
        Cm, _ = as_matrix(C, "C", "c")
        Xm, self.feature_names_ = as_matrix(X, "X", "x")
        if Xm.shape[0] != Cm.shape[0]:
            raise ValueError(f"X has {Xm.shape[0]} rows but C has {Cm.shape[0]}")
        model = _core.network_fit(self._type, Cm, Xm, None, opts, B if B >= 2 else 0, train)
        self.context_dim, self.x_dim = Cm.shape[1], Xm.shape[1]
        self.n_bootstraps_ = int(model["replicate_weights"].shape[0])
        self.model_ = model
        if train and not model["interrupted"]:
            if not model["converged"]:
                warn_at_caller(model["message"])
            elif model["bootstrap_message"]:
                warn_at_caller(model["bootstrap_message"])
        if model["rank_deficient"]:
            warnings.warn("some of the network's regressions have singular normal equations (a constant or "
                          "collinear feature, or too few rows for the context): their minimum-norm solutions are "
                          "used", UserWarning, stacklevel=2)
        return self

    # ---- prediction ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if getattr(self, "model_", None) is None:
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit(C, X) first")

    def _C(self, C) -> np.ndarray:
        self._check_fitted()
        Cm, _ = as_matrix(C, "C", "c")
        if Cm.shape[1] != self.context_dim:
            raise ValueError(f"C has {Cm.shape[1]} columns; the model was fitted with {self.context_dim}")
        return Cm

    def _CX(self, C, X) -> tuple[np.ndarray, np.ndarray]:
        Cm = self._C(C)
        Xm, _ = as_matrix(X, "X", "x")
        if Xm.shape[1] != self.x_dim:
            raise ValueError(f"X has {Xm.shape[1]} columns; the model was fitted with {self.x_dim}")
        if Xm.shape[0] != Cm.shape[0]:
            raise ValueError(f"X has {Xm.shape[0]} rows but C has {Cm.shape[0]}")
        return Cm, Xm

    def predict_params(self, C, individual_preds: bool = False, model_includes_mus: bool = True, **kwargs):
        """Each context's regressions: ``betas`` and ``mus`` (see :meth:`predict_networks`)."""
        Cm = self._C(C)
        betas, mus = _core.network_params(self.model_, Cm, bool(individual_preds))
        return (betas, mus) if model_includes_mus else betas

    def predict_networks(self, C, individual_preds: bool = False, with_offsets: bool = False, **kwargs):
        """Each context's network as the regression coefficients among the features.

        Parameters
        ----------
        C : array_like, shape (n, context_dim)
        individual_preds : bool
            Each bootstrap replicate's networks instead of their mean.
        with_offsets : bool
            Also return the intercepts ``mus``.

        Returns
        -------
        betas : ndarray, shape (n, x_dim, x_dim), or (n_bootstraps, n, x_dim, x_dim)
            ``betas[..., i, j]`` is the coefficient of feature j in the regression of
            feature i (correlation networks: the univariate regression, diagonal 1; Markov
            networks: the regression on all other features, diagonal 0).
        mus : ndarray
            Correlation networks: shape of ``betas`` (the intercept of each pair's regression,
            diagonal 0); Markov networks: (n, x_dim) or (n_bootstraps, n, x_dim).
        """
        betas, mus = self.predict_params(C, individual_preds=individual_preds)
        return (betas, mus) if with_offsets else betas

    def predict_X(self, C, X, individual_preds: bool = False, **kwargs):
        """X predicted by each context's network: correlation networks (n, x_dim, x_dim) with
        ``[.., i, j] = mu_ij + beta_ij x_j``; Markov networks (n, x_dim), each feature from all
        the others; a leading n_bootstraps axis with ``individual_preds``."""
        Cm, Xm = self._CX(C, X)
        return _core.network_predict_x(self.model_, Cm, Xm, bool(individual_preds))

    def measure_mses(self, C, X, individual_preds: bool = False):
        """Each row's mean squared error of the networks' regressions: shape (n,), or
        (n_bootstraps, n) with ``individual_preds`` (correlation networks: the mean over all
        x_dim^2 ordered pairs, the diagonal contributing 0; Markov networks: the mean over the
        features, each predicted from all the others)."""
        Cm, Xm = self._CX(C, X)
        return _core.network_mses(self.model_, Cm, Xm, bool(individual_preds))


_PARAMETERS_DOC = """
    Parameters
    ----------
    n_bootstraps : int
        1: one fit on all rows. B >= 2: B refits on bootstrap resamples of the rows
        (multinomial case weights keyed by ``random_state`` and the replicate number),
        warm-started from the full-data fit; predictions average them, or return each
        (``individual_preds``).
    encoder_type : {"linear", "mlp", "ngam"}
        The context encoder shared by all regressions. "linear" (the default here; the peer's
        is "mlp") is the linear varying-coefficient model, solved exactly from one pass over
        the data; "mlp" and "ngam" share their hidden layers across all regressions and are
        fitted by full-batch L-BFGS.
    num_archetypes : int
        0: none; K >= 2: each sample's parameters are a softmax mixture of K archetypes.
    alpha, l1_ratio, mu_ratio : float
        Elastic net on every regression's sample parameters (standardised scale), as in
        :class:`ctxstats.ContextualizedGLM`; averaged over the regressions.
    width, layers : int
        Hidden units per layer and hidden layers of "mlp" and "ngam".
    max_epochs : int
        L-BFGS's iteration cap. 0: the untrained initial model (the peer's reference).
    solver : {"auto", "exact", "lbfgs"}
        auto: exact for the linear encoder without archetypes or L1, else lbfgs.
    normalize : bool
        Accepted for compatibility; the core always standardises C and X internally and
        reports parameters in the original units.
    random_state : int or None
        Seed of the initialisation and the bootstrap resamples (None means 0). Results are
        bitwise identical for any ``threads``.
    threads : int or None
        OpenMP threads; None uses all cores.
    verbose : bool
        Accepted for compatibility.
"""

_NOTES_DOC = """
    Notes
    -----
    Differences from contextualized.easy 0.2.9:

    * The default encoder is "linear", solved exactly; ``encoder_type="mlp"`` gives the peer's.
    * Networks are fitted by the exact solver or full-batch L-BFGS, so the peer's Adam
      keywords (learning_rate, val_split, es_patience, train_batch_size) have no effect.
    * ``n_bootstraps`` resamples rows; the peer refits on all rows with a new split and seed.
    * ``predict_correlation(individual_preds=False, squared=False)`` is the mean correlation
      over replicates, shape (n, x_dim, x_dim).
"""


class ContextualizedCorrelationNetworks(_NetworkBase):
    __doc__ = """Contextualized correlation networks with the interface of ``contextualized.easy``.

    For every ordered pair of features (i, j), the contextualized univariate regression
    ``x_i = mu_ij(c) + beta_ij(c) x_j + e``; all pairs share one context encoder. The squared
    correlation of a context is ``rho_ij(c)^2 = beta_ij(c) beta_ji(c)``; the signed correlation
    takes the slopes' common sign (0 where the two slopes disagree in sign).
    """ + _PARAMETERS_DOC + _NOTES_DOC

    _type = "correlation"

    def predict_correlation(self, C, individual_preds: bool = True, squared: bool = True):
        """Each context's correlation matrix (diagonal 1).

        Returns
        -------
        ndarray
            (n_bootstraps, n, x_dim, x_dim) with ``individual_preds``; otherwise
            (n, x_dim, x_dim): the mean correlation over replicates, squared after averaging
            when ``squared`` (as the peer).
        """
        return _core.network_correlations(self.model_, self._C(C), bool(squared), bool(individual_preds))


class ContextualizedMarkovNetworks(_NetworkBase):
    __doc__ = """Contextualized Markov networks with the interface of ``contextualized.easy``.

    Neighbourhood regression: each feature regressed on all the others with contextualized
    coefficients, ``x_i = mu_i(c) + sum_j beta_ij(c) x_j + e_i``, one encoder for all. For a
    gaussian with precision Omega(c), ``beta_ij = -Omega_ij / Omega_ii`` and
    ``Var(e_i) = 1 / Omega_ii``; the precision is estimated as ``Omega_ii = 1 / sigma_i^2`` and
    ``Omega_ij = -(beta_ij / sigma_i^2 + beta_ji / sigma_j^2) / 2`` (symmetrised), with sigma_i^2
    regression i's mean squared residual over the training rows. With a constant context this
    is exactly the inverse of the sample covariance (divisor n).
    """ + _PARAMETERS_DOC + _NOTES_DOC + """
    * ``predict_networks`` returns the regression coefficients beta (the peer returns
      beta + beta' with a zero diagonal), and ``predict_precisions`` a precision matrix with
      its diagonal (the peer's has a zero diagonal and the sign of the coefficients).
    """

    _type = "markov"

    def predict_precisions(self, C, individual_preds: bool = True):
        """Each context's precision matrix: (n_bootstraps, n, x_dim, x_dim), or the mean over
        replicates (n, x_dim, x_dim)."""
        return _core.network_precisions(self.model_, self._C(C), bool(individual_preds))

    def predict_partial_correlations(self, C, individual_preds: bool = True, squared: bool = False):
        """Each context's partial correlations, ``sign(beta_ij) sqrt(beta_ij beta_ji)`` where
        the two slopes agree in sign, else 0 (diagonal 1); shapes as :meth:`predict_precisions`
        (the mean over replicates is squared after averaging, as :meth:`predict_correlation`)."""
        return _core.network_correlations(self.model_, self._C(C), bool(squared), bool(individual_preds))
