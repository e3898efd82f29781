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

__all__ = ["ContextualizedCorrelationNetworks", "ContextualizedMarkovNetworks", "ContextualizedBayesianNetworks"]

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
        """Save the network in the core's model file (:mod:`ctxstats.network_file`), which
        ``ctxstats.load`` and R's ``ctx_load`` read; a loaded network predicts bitwise
        identically. An unfitted estimator is saved in ctxstats' file format (:mod:`ctxstats.io`)."""
        from ctxstats.io import save

        save(self, path)

    def _check_loaded(self) -> None:
        """Called by ``ctxstats.load`` for an unfitted network (a fitted one is in the model
        file): every constructor parameter present, and no fitted state."""
        from ctxstats._state import fields

        fields(self, {name: object for name in self._get_param_names()}, optional={"model_": type(None)},
               others=True)
        if getattr(self, "model_", None) is not None:
            raise ValueError(f"{type(self).__name__}: a fitted network is read from the model file, not this format")

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
            ``client``: a ``distributed.Client`` (or ``"default"``, the active one) on whose
            workers the ``n_bootstraps`` replicates run as tasks, bitwise those of a local fit
            with the same ``random_state``. Any constructor parameter, for this fit only (as
            ``contextualized.easy`` allows).
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
        client = kwargs.pop("client", None)
        opts, B, train = self._options(kwargs)
        Cm, _ = as_matrix(C, "C", "c")
        Xm, self.feature_names_ = as_matrix(X, "X", "x")
        if Xm.shape[0] != Cm.shape[0]:
            raise ValueError(f"X has {Xm.shape[0]} rows but C has {Cm.shape[0]}")
        if client is not None and B >= 2 and train:
            from ctxstats.dask import network_bootstrap_on_cluster, resolve_client

            client = resolve_client(client)
            model = self._fit_core(Cm, Xm, opts, 0, train)  # the full-data fit, then its replicates as tasks
            if not model["interrupted"]:
                model = network_bootstrap_on_cluster(client, model, Cm, Xm, B)
        else:
            model = self._fit_core(Cm, Xm, opts, B, train)
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

    def _fit_core(self, Cm, Xm, opts, B, train):
        return _core.network_fit(self._type, Cm, Xm, None, opts, B if B >= 2 else 0, train)

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

    def subtypes(self, C, k: int | None = None, *, k_max: int = 8, n_starts: int = 10, seed: int = 0,
                 alpha: float = 0.05):
        """Samples clustered by their networks' edges (:mod:`ctxstats.subtypes`): the networks of
        contexts ``C`` (usually the training contexts); bootstrap stability and edge intervals
        per subtype when fitted with ``n_bootstraps >= 2``."""
        from ctxstats.subtypes import network_subtypes

        return network_subtypes(self, C, k, k_max=k_max, n_starts=n_starts, seed=seed, alpha=alpha)


    def edge_inference(self, C, alpha: float = 0.05, **kwargs) -> dict:
        """Bootstrap inference on every edge of every sample's network (needs ``n_bootstraps >= 2``).

        The edges are those of :meth:`predict_networks` (``betas``; Bayesian networks: the
        graphs, projected to DAGs unless ``project_to_dag=False``, with ``threshold``). All of it
        is computed by the core (``network_edge_inference``), the same in R.

        Returns
        -------
        dict
            ``estimate`` (n, x_dim, x_dim): the full-data fit's edges; ``se``, ``lower``, ``upper``
            (n, x_dim, x_dim): the standard deviation over replicates and the percentile interval
            at level 1 - alpha, per sample and edge; ``pvalue`` (n, x_dim, x_dim): the percentile
            p-value of "this sample's edge is 0" (never below ``pvalue_floor`` = 2 / (B + 1));
            ``het_statistic``, ``het_pvalue`` (x_dim, x_dim): the bootstrap test of "edge (i, j)
            does not vary with context" over the rows of C (as the GLM's heterogeneity test;
            NaN on the diagonal); ``sign_flip_share`` (x_dim, x_dim); ``n_bootstraps``.
        """
        project = bool(kwargs.pop("project_to_dag", self._type == "bayesian"))
        threshold = check_float(kwargs.pop("threshold", 0.0), "threshold", 0.0)
        _reject_unsupported(kwargs, "edge_inference")
        return _core.network_edge_inference(self.model_, self._C(C), check_float(alpha, "alpha", 0.0, 1.0),
                                            project, threshold)


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


# The peer's DAG-loss keywords of one part (archetype_ / sample_specific_), flattened.
_DAG_FIELDS = ("dag_loss_type", "alpha", "rho", "s", "l1")
# Keys of the peer's DAG-loss parameter dicts that configure its dynamic augmented-Lagrangian
# schedule (ignored when it is off, which is the peer's default).
_DAG_SCHEDULE = ("tol", "h_old", "rho_mult", "use_dynamic_alpha_rho")


def _dag_part(s: dict, part: str) -> dict:
    """One part's DAG penalty keywords for the core, from the flat keywords and the peer's
    nested dicts (``archetype_dag_params={"loss_type": .., "params": {..}}``,
    ``archetype_dag_loss_params={..}``, ``sample_specific_loss_params``,
    ``sample_specific_dag_loss_params``)."""
    out: dict = {}
    nested = s.get(f"{part}dag_params") if part == "archetype_" else s.get("sample_specific_loss_params")
    params = dict(s.get(f"{part}dag_loss_params") or {})
    if nested is not None:
        if not isinstance(nested, dict):
            raise TypeError(f"{'archetype_dag_params' if part == 'archetype_' else 'sample_specific_loss_params'} "
                            "must be a dict with 'loss_type' and 'params'")
        if nested.get("loss_type") is not None:
            out["dag_loss_type"] = nested["loss_type"]
        params = {**dict(nested.get("params") or {}), **params}
    for key, value in params.items():
        if key in _DAG_SCHEDULE:  # the schedule is dag_schedule's
            continue
        if key not in _DAG_FIELDS:
            raise TypeError(f"unknown DAG loss parameter {key!r}; the parameters are alpha, rho, s and l1")
        out[key] = value
    for field in _DAG_FIELDS:
        value = s.get(part + field)
        if value is not None:
            out[field] = value
    for field in ("alpha", "rho", "s", "l1"):
        if field in out:
            out[field] = check_float(out[field], part + field, 0.0)
    if "dag_loss_type" in out and not isinstance(out["dag_loss_type"], str):
        raise TypeError(f"{part}dag_loss_type must be 'NOTEARS', 'poly' or 'DAGMA'")
    return {part + k: v for k, v in out.items()}


class ContextualizedBayesianNetworks(_NetworkBase):
    """Contextualized Bayesian networks (NOTMAD) with the interface of ``contextualized.easy``.

    For every sample a linear structural equation model ``x_j = sum_i x_i W_ij(c) + e_j`` whose
    weighted graph ``W(c)`` (``W[i, j]``: the edge i -> j) is pushed towards a DAG by a
    differentiable acyclicity penalty: NOTEARS ``h(W) = tr(exp(W o W)) - p`` (or "poly",
    ``tr((I + W o W / p)^p) - p``, or "DAGMA", ``-log det(s I - W o W) + p log s``), as
    ``alpha h + rho h^2 / 2``, on every sample's graph and on every archetype graph. With
    ``num_archetypes = K >= 2`` the graphs are ``W(c) = sum_k softmax(z(c))_k A_k``; with 0 the
    encoder's outputs are W itself (the linear encoder: every edge weight linear in the
    context). Fitted by full-batch L-BFGS on the analytic gradient (the core,
    ``csrc/networks/``); X is used in its own units, without intercepts.

    Parameters
    ----------
    n_bootstraps, encoder_type, width, layers, max_epochs, random_state, threads, verbose
        As :class:`ContextualizedCorrelationNetworks`.
    num_archetypes : int
        K >= 2 archetype graphs (the peer's default, 16), or 0: the encoder gives W directly.
    num_factors : int
        0 (none), or k >= 2 (fewer than the features): low-rank factor graphs (NOTMAD's). The
        encoder then gives a k x k graph ``W_f(c)`` among k latent factors, every feature is
        assigned to the factors by a learned softmax ``P`` (k x x_dim, each column summing to 1,
        shared by all samples), and the feature graph is ``W(c) = offdiag(P' W_f(c) Pn)`` with
        ``Pn`` each factor's row of P normalised to sum 1 (a feature in factor a and one in
        factor b get the edge ``W_f[a, b] / |b|`` when P is one-hot). The acyclicity and L1
        penalties act on the factor graphs. ``predict_networks(C, factors=True)`` returns the
        factor graphs, (n, k, k).
    factor_mat_l1 : float
        L1 (smoothed) on the assignment's logits, pulling the assignment towards uniform.
    archetype_dag_loss_type, sample_specific_dag_loss_type : {"NOTEARS", "poly", "DAGMA"} or None
        The acyclicity measure; None: the nested dict's, else "NOTEARS".
    archetype_alpha, archetype_rho, sample_specific_alpha, sample_specific_rho : float or None
        The acyclicity penalty ``alpha h + rho h^2 / 2``; None: the loss type's default
        (NOTEARS 0.1 and 0.01; poly and DAGMA 1 and 0), as the peer's.
    archetype_s, sample_specific_s : float or None
        DAGMA's scale s (default 1).
    archetype_l1, sample_specific_l1 : float
        L1 on the archetype graphs' and on the sample graphs' weights (smoothed; mean over
        samples for the sample graphs).
    archetype_dag_params, archetype_dag_loss_params, sample_specific_loss_params, sample_specific_dag_loss_params : dict or None
        The peer's nested forms of the same options.
    dag_schedule : {"augmented_lagrangian", "fixed"}
        "augmented_lagrangian" (default): NOTEARS' schedule -- L-BFGS solves from the previous
        solution, ``alpha += rho h`` after each and ``rho`` times 10 when h fell less than
        fourfold, until ``h <= dag_h_tol`` (the graphs are then DAGs up to edges of order
        sqrt(dag_h_tol), which the projection removes); alpha and rho above are the starting
        values. "fixed": alpha and rho as given throughout (the peer's default), so the graphs
        are only pushed towards DAGs and the projection removes whatever cycles remain.
    dag_h_tol : float
        The acyclicity the schedule stops at.
    weight_decay : float
        ``weight_decay / 2 ||w||^2`` on the encoder's weights.
    solver : {"auto", "lbfgs"}

    Notes
    -----
    Differences from contextualized.easy 0.2.9: full-batch L-BFGS instead of Adam (the peer's
    Adam keywords are accepted and change nothing); the archetype mixture is a softmax (the
    peer's is unconstrained); its "poly" and "DAGMA" losses reach its optimiser without a
    gradient, here they are differentiated; ``n_bootstraps`` resamples rows; the schedule
    is ``dag_schedule`` (the peer's per-epoch ``use_dynamic_alpha_rho`` and ``tol`` keywords
    are accepted and change nothing); ``predict_X`` works (the peer's fails). With factors,
    the feature graph has no self-loops (the peer's keeps the diagonal of ``P' W_f Pn``, so a
    feature partly predicts itself) and each sample's SEM loss uses its own factor graph (the
    peer's loss broadcasts every sample's x against every sample's graph in a batch);
    ``num_factors`` of 1 or at least x_dim is refused (the peer prints a note and fits without
    factors).
    """

    _type = "bayesian"

    def __init__(self, *, n_bootstraps=1, encoder_type="linear", num_archetypes=0, num_factors=0, factor_mat_l1=0.0,
                 archetype_dag_loss_type=None, archetype_alpha=None, archetype_rho=None, archetype_s=None,
                 archetype_l1=0.0, sample_specific_dag_loss_type=None, sample_specific_alpha=None,
                 sample_specific_rho=None, sample_specific_s=None, sample_specific_l1=0.0,
                 archetype_dag_params=None, archetype_dag_loss_params=None, sample_specific_loss_params=None,
                 sample_specific_dag_loss_params=None, dag_schedule="augmented_lagrangian", dag_h_tol=1e-8,
                 weight_decay=0.0, width=25, layers=3, max_epochs=1000,
                 solver="auto", random_state=0, threads=None, verbose=False, **peer_kwargs):
        self._peer_kwargs = self._split_peer(
            {k: v for k, v in peer_kwargs.items() if k not in self._ACCEPTED_SCHEDULE}, type(self).__name__)
        if peer_kwargs.get("init_mat") is not None:
            raise ValueError("init_mat is not available: archetype graphs start from the seeded initialisation")
        self.n_bootstraps = n_bootstraps
        self.encoder_type = encoder_type
        self.num_archetypes = num_archetypes
        self.num_factors = num_factors
        self.factor_mat_l1 = factor_mat_l1
        self.archetype_dag_loss_type = archetype_dag_loss_type
        self.archetype_alpha = archetype_alpha
        self.archetype_rho = archetype_rho
        self.archetype_s = archetype_s
        self.archetype_l1 = archetype_l1
        self.sample_specific_dag_loss_type = sample_specific_dag_loss_type
        self.sample_specific_alpha = sample_specific_alpha
        self.sample_specific_rho = sample_specific_rho
        self.sample_specific_s = sample_specific_s
        self.sample_specific_l1 = sample_specific_l1
        self.archetype_dag_params = archetype_dag_params
        self.archetype_dag_loss_params = archetype_dag_loss_params
        self.sample_specific_loss_params = sample_specific_loss_params
        self.sample_specific_dag_loss_params = sample_specific_dag_loss_params
        self.dag_schedule = dag_schedule
        self.dag_h_tol = dag_h_tol
        self.weight_decay = weight_decay
        self.width = width
        self.layers = layers
        self.max_epochs = max_epochs
        self.solver = solver
        self.random_state = random_state
        self.threads = threads
        self.verbose = verbose

    # The peer's keywords of its per-epoch schedule and initialisation: accepted, no effect
    # (the schedule is dag_schedule's; init_mat must be None).
    _ACCEPTED_SCHEDULE = ("archetype_tol", "sample_specific_tol", "archetype_use_dynamic_alpha_rho",
                          "sample_specific_use_dynamic_alpha_rho", "init_mat", "step")

    def _options(self, overrides: dict) -> tuple[dict, int, bool]:
        overrides = dict(overrides)
        for key in list(overrides):
            if key in self._ACCEPTED_SCHEDULE:
                value = overrides.pop(key)
                if key == "init_mat" and value is not None:
                    raise ValueError("init_mat is not available: archetype graphs start from the seeded "
                                     "initialisation")
        self._split_peer({k: overrides.pop(k) for k in list(overrides) if k not in self._get_param_names()},
                         f"{type(self).__name__}.fit")
        s = {**self.get_params(), **overrides}
        encoder = check_choice(s["encoder_type"], NETWORK_ENCODERS, "encoder_type")
        solver = check_choice(s["solver"], ("auto", "lbfgs"), "solver")
        archetypes = check_int(s["num_archetypes"], "num_archetypes", 0)
        if archetypes == 1:
            raise ValueError("num_archetypes=1 gives every sample the same graph; use 0 (none) or K >= 2")
        B = check_int(s["n_bootstraps"], "n_bootstraps", 1)
        max_epochs = check_int(s["max_epochs"], "max_epochs", 0)
        opts = dict(family="gaussian", encoder=encoder, archetypes=archetypes, solver=solver,
                    weight_decay=check_float(s["weight_decay"], "weight_decay", 0.0),
                    seed=0 if s["random_state"] is None else check_int(s["random_state"], "random_state", 0),
                    max_iter=max_epochs)
        if s["threads"] is not None:
            opts["threads"] = check_int(s["threads"], "threads", 1)
        if encoder in _SCHEMA["width"]["encoders"]:
            opts.update(width=check_int(s["width"], "width", 1), depth=check_int(s["layers"], "layers", 0))
        self._dag = {**_dag_part(s, "archetype_"), **_dag_part(s, "sample_specific_"),
                     "dag_schedule": check_choice(s["dag_schedule"], ("augmented_lagrangian", "fixed"), "dag_schedule"),
                     "dag_h_tol": check_float(s["dag_h_tol"], "dag_h_tol", 0.0),
                     "num_factors": check_int(s["num_factors"], "num_factors", 0),
                     "factor_mat_l1": check_float(s["factor_mat_l1"], "factor_mat_l1", 0.0)}
        return opts, B, max_epochs > 0

    def _fit_core(self, Cm, Xm, opts, B, train):
        return _core.network_fit(self._type, Cm, Xm, None, opts, B if B >= 2 else 0, train, None, self._dag)

    def predict_params(self, C, individual_preds: bool = False, project_to_dag: bool = False, threshold: float = 0.0,
                       **kwargs):
        """Each context's graph W: (n, x_dim, x_dim), or (n_bootstraps, n, x_dim, x_dim) with
        ``individual_preds``; ``W[..., i, j]`` is the weight of the edge i -> j. Bayesian networks
        have no offsets (as the peer's). ``factors=True`` (a fit with ``num_factors`` = k): the
        factor graphs ``W_f``, (n, k, k)."""
        factors = kwargs.pop("factors", False)
        if not isinstance(factors, (bool, np.bool_)):
            raise TypeError("factors must be True or False")
        _reject_unsupported({k: v for k, v in kwargs.items() if k not in ("uses_y", "model_includes_mus")},
                            "predict_params")
        Cm = self._C(C)
        if factors and not self.model_["dag"].get("num_factors"):
            raise ValueError("factors=True needs a fit with num_factors >= 2")
        betas, _ = _core.network_params(self.model_, Cm, bool(individual_preds), bool(project_to_dag),
                                        check_float(threshold, "threshold", 0.0), bool(factors))
        return betas

    def predict_networks(self, C, individual_preds: bool = False, with_offsets: bool = False,
                         project_to_dag: bool = True, threshold: float = 0.0, **kwargs):
        """Each context's DAG.

        Parameters
        ----------
        C : array_like, shape (n, context_dim)
        individual_preds : bool
            Each bootstrap replicate's graphs instead of their mean (the mean of DAGs need not
            be a DAG).
        with_offsets : bool
            Bayesian networks have no offsets; True warns and returns the graphs alone (as the
            peer).
        project_to_dag : bool
            Project every graph to a DAG (the core's ``project_to_dag``: edges in decreasing
            |weight|, each kept unless it closes a directed cycle; a DAG is unchanged).
        threshold : float
            Then set edges with |weight| <= threshold to 0.

        Returns
        -------
        ndarray, shape (n, x_dim, x_dim) or (n_bootstraps, n, x_dim, x_dim)
        """
        if with_offsets:
            warnings.warn("Bayesian networks have no offsets: with_offsets=True returns the graphs alone",
                          UserWarning, stacklevel=2)
        return self.predict_params(C, individual_preds=individual_preds, project_to_dag=project_to_dag,
                                   threshold=threshold, **kwargs)

    def predict_X(self, C, X, individual_preds: bool = False, project_to_dag: bool = True, threshold: float = 0.0,
                  **kwargs):
        """Each row of X reconstructed from its own graph, ``x W(c)``: (n, x_dim), or
        (n_bootstraps, n, x_dim) with ``individual_preds``."""
        Cm, Xm = self._CX(C, X)
        return _core.network_predict_x(self.model_, Cm, Xm, bool(individual_preds), bool(project_to_dag),
                                       check_float(threshold, "threshold", 0.0))

    def measure_mses(self, C, X, individual_preds: bool = False, project_to_dag: bool = True, threshold: float = 0.0,
                     **kwargs):
        """Each row's mean squared reconstruction error over the features, ``mean_j (x_j -
        (x W)_j)^2``, with the graphs projected to DAGs (as the peer's, whose measure_mses
        uses predict_networks): shape (n,), or (n_bootstraps, n) with ``individual_preds``."""
        Cm, Xm = self._CX(C, X)
        return _core.network_mses(self.model_, Cm, Xm, bool(individual_preds), bool(project_to_dag),
                                  check_float(threshold, "threshold", 0.0))
