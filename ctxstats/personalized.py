"""Low-rank personalized regression with distance matching (Lengerich, Aragam & Xing, 2019).

Every sample gets its own generalized linear model, tied to the others through a learned
metric on the covariates (the context) instead of through a parametric encoder:

    theta_i = theta_bar + Q' z_i                      (rank K: z_i in R^K)
    L = mean_i s_i [loss(y_i, x_i . theta_i) + psi(theta_i)]
        + gamma * mean over sampled pairs (i, j) of (||z_i - z_j||^2 - D_phi(c_i, c_j))^2
        + nu ||phi||^2 + weight_decay / 2 ||Q||^2
    D_phi(c, c') = sum_k phi_k d_k(c_k, c'_k),  phi >= 0, sum_k phi_k = 1.

The C++ core fits it with exact gradients in O(n r (K + m)) per epoch (r partners per
sample, drawn afresh each epoch): never the n x n distance matrix.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from ctxstats import _core, _options
from ctxstats._families import inverse_link, loglike
from ctxstats.convergence import bootstrap_message, bootstrap_share_note, warn_bootstrap, warn_if_unconverged
from ctxstats.inference import column_spread
from ctxstats._validation import (as_matrix, as_start_params, as_vector, check_aligned, check_choice, check_float,
                                  check_int, check_response, check_unique_columns, check_weights, select_columns)

__all__ = ["PersonalizedRegression", "PersonalizedRegressionResults", "BootstrapModesWarning"]


class BootstrapModesWarning(UserWarning):
    """The bootstrap replicates of a personalized regression fall into several separated modes
    (e.g. a metric weight near 0.03 in some replicates and near 0.97 in others): the fit's
    optimum is not unique, and its intervals span the modes. The message (the core's) names
    the quantities and the modes."""


def _is_categorical_dtype(dtype) -> bool:
    return not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


class _ContextEncoder:
    """Maps a context (array or DataFrame) to the float matrix the core compares.

    Numeric columns pass through. Categorical columns -- flagged by the caller, or
    DataFrame columns of non-numeric dtype -- become integer codes; only equality of codes
    matters (their distance is a mismatch indicator), and a category unseen in training
    gets code -1, so it differs from every training sample.
    """

    def __init__(self, context, categorical, n_rows: int):
        if isinstance(context, pd.Series):
            context = context.to_frame()
        if isinstance(context, pd.DataFrame):
            check_unique_columns(context, "context")
            self.names = [str(c) for c in context.columns]
            self.columns = list(context.columns)
        else:
            arr = np.asarray(context)
            if arr.ndim == 1:
                arr = arr[:, None]
            if arr.ndim != 2:
                raise ValueError(f"context must be one- or two-dimensional, not {arr.ndim}-dimensional")
            self.names = [f"c{j + 1}" for j in range(arr.shape[1])]
            self.columns = None
        m = len(self.names)
        if m == 0:
            raise ValueError("context must have at least one column")
        flags = np.zeros(m, dtype=bool)
        if categorical is not None:
            if isinstance(categorical, (str, int, np.integer)):
                categorical = [categorical]
            items = list(categorical)
            if len(items) == m and all(isinstance(v, (bool, np.bool_)) for v in items):
                flags[:] = items
            else:
                for v in items:
                    if isinstance(v, (bool, np.bool_)):
                        raise TypeError("categorical must be column names, column positions, or one bool per column")
                    if isinstance(v, (int, np.integer)):
                        if not 0 <= v < m:
                            raise ValueError(f"categorical names column position {v}, but context has {m} columns")
                        flags[int(v)] = True
                    elif str(v) in self.names:
                        flags[self.names.index(str(v))] = True
                    else:
                        raise ValueError(f"categorical names {v!r}, which is not a context column; "
                                         f"the columns are {self.names}")
        self.categories: dict[int, pd.Index] = {}
        if isinstance(context, pd.DataFrame):
            for j, col in enumerate(context.columns):
                series = context[col]
                if _is_categorical_dtype(series.dtype) or flags[j]:
                    flags[j] = True
                    if isinstance(series.dtype, pd.CategoricalDtype):
                        cats = pd.Index(series.cat.categories)
                    else:
                        values = series.dropna().unique()
                        try:
                            values = np.sort(values)
                        except TypeError:
                            values = np.array(sorted(values, key=str), dtype=object)
                        cats = pd.Index(values)
                    self.categories[j] = cats
        self.categorical = flags
        self.fitted, _ = self.transform(context, n_rows)

    def _check_loaded(self) -> None:
        _check_context_encoder(self)

    def transform(self, context, n_rows: int | None = None) -> tuple[np.ndarray, pd.Index | None]:
        index = context.index if isinstance(context, (pd.DataFrame, pd.Series)) else None
        if isinstance(context, pd.Series):
            context = context.to_frame()
        if isinstance(context, pd.DataFrame):
            if self.columns is not None:
                selected = select_columns(context, self.names, "context")
                if selected is None:
                    have = {str(c) for c in context.columns}
                    raise ValueError(f"context lacks the fitted column(s) {[n for n in self.names if n not in have]}")
                context = selected
            elif context.shape[1] != len(self.names):
                raise ValueError(f"context has {context.shape[1]} columns; the model was fitted with {len(self.names)}")
            cols = []
            for j, name in enumerate(self.names):
                series = context.iloc[:, j]
                if series.isna().any():
                    i = int(np.argmax(series.isna().to_numpy()))
                    raise ValueError(f"context column {name!r} contains a missing value at row {i}")
                if j in self.categories:
                    codes = self.categories[j].get_indexer(series.to_numpy())
                    cols.append(codes.astype(float))
                else:
                    if _is_categorical_dtype(series.dtype):
                        raise TypeError(f"context column {name!r} is not numeric (dtype {series.dtype}) but was "
                                        "numeric when the model was fitted")
                    cols.append(series.to_numpy(dtype=float))
            arr = np.column_stack(cols) if cols else np.zeros((len(context), 0))
            C, _ = as_matrix(arr, "context", "c", n_rows)
        else:
            C, _ = as_matrix(context, "context", "c", n_rows)
            if C.shape[1] != len(self.names):
                raise ValueError(f"context has {C.shape[1]} columns; the model was fitted with {len(self.names)}")
        return C, index


def _check_context_encoder(enc: "_ContextEncoder") -> None:
    """Called by ``ctxstats.load`` (``_ContextEncoder._check_loaded``): names, column labels,
    flags and categories of one context, consistent with each other."""
    from ctxstats._state import Array, ListOf, Opt, fields

    fields(enc, {"names": ListOf(str), "columns": Opt(list), "categories": dict, "categorical": Array(None, kind="b"),
                 "fitted": Array(None, None)})
    m = len(enc.names)
    fields(enc, {"names": ListOf(str, m), "columns": Opt(ListOf(object, m)), "categories": dict,
                 "categorical": Array(m, kind="b"), "fitted": Array(None, m)})
    if m == 0 or len(set(enc.names)) != m:
        raise ValueError("_ContextEncoder.names must be distinct, at least one")
    for j, cats in enc.categories.items():
        if type(j) is not int or not 0 <= j < m or not enc.categorical[j] or not isinstance(cats, pd.Index) \
                or enc.columns is None:
            raise ValueError(f"_ContextEncoder.categories has an entry {j!r} that is not a categorical column's")


class PersonalizedRegression:
    """A generalized linear model for every sample, tied together by a learned context metric.

    Low-rank personalized regression with distance matching (Lengerich, Aragam & Xing,
    NeurIPS 2019): sample i's parameters are ``theta_i = theta_bar + Q' z_i`` with latent
    coordinates ``z_i`` in R^K, and the squared distances between the ``z_i`` are matched
    to a learned weighted distance between the samples' contexts. Samples with similar
    contexts (under the learned metric) therefore get similar models; how much each context
    column matters is ``metric_weights``. By default (``sample_models="local"``) the
    reported sample models are local GLMs of each sample's nearest training samples under
    the learned metric, which can follow steps and curves that the latent models
    ``theta_bar + Q' z_i`` (``latent_params``), linear in each numeric context column,
    cannot.

    Parameters
    ----------
    endog : array_like or pandas.Series, shape (n,)
        The response. Binomial: values in [0, 1]; poisson: non-negative counts.
    exog : array_like or pandas.DataFrame, shape (n, p), or None
        Predictors whose coefficients are personal. Do not add a constant column: each
        sample has its own intercept when ``fit_intercept`` is true.
    context : array_like or pandas.DataFrame, shape (n, m)
        The covariates the metric is learned on. DataFrame columns of non-numeric dtype are
        categorical automatically.
    family : {"gaussian", "binomial", "poisson"}
        With the canonical links identity, logit and log.
    rank : int
        K, the dimension of the latent coordinates z_i (and the rank of the deviations of
        the sample models from ``theta_bar``). The metric can spread over at most about K
        context columns without distortion. 0 (the default) chooses K from the data: the
        model is fitted at K = 1, ..., min(4, context columns, max(2, parameters)) and the
        smallest K whose held-out mean loss (the local GLMs' on the validation rows or in
        leave-one-out; latent models: the validation loss) is within one standard error of
        the least is kept (the one-standard-error rule). The chosen K is ``results.rank``,
        the losses ``results.rank_grid``. Costs one fit per K tried.
    categorical : column names, positions, or one bool per column, optional
        Context columns whose distance is a mismatch indicator 1{c_ik != c_jk} rather than
        a squared difference.
    fit_intercept : bool
        Whether each sample has its own intercept.
    weights : array_like, shape (n,), optional
        Non-negative frequency weights on the data term.

    Notes
    -----
    Per-covariate distances: ``d_k = (c_ik - c_jk)^2 / g_k`` for numeric columns and
    ``1{c_ik != c_jk} / g_k`` for categorical ones, with ``g_k`` the column's mean of that
    quantity over all pairs (exact, O(n)), so each ``d_k`` averages one over pairs and
    ``metric_weights`` (on the simplex, parametrised by a softmax) are shares of the
    metric. Both sides of the matching are squared distances, as in classical
    multidimensional scaling: a weighted sum of squared coordinate differences is a squared
    Euclidean distance, so any metric on up to K columns can be matched exactly, and
    nothing biases the metric towards fewer columns.

    Inputs are standardised inside the core and all parameters are reported in the user's
    units; ``psi`` and ``weight_decay`` act on the standardised scale.
    """

    def __init__(self, endog, exog, context, family: str | None = None, rank: int | None = None, categorical=None,
                 fit_intercept: bool | None = None, weights=None):
        # None: the core's option table's default (ctxstats._options), as in R.
        self._given_options = _options.given(family=family, rank=rank, fit_intercept=fit_intercept)
        base = _options.resolve("personalized", self._given_options)
        self.family, self.rank, self.fit_intercept = base["family"], base["rank"], base["fit_intercept"]
        check_aligned(endog, exog=exog, context=context, weights=weights)
        self.endog, self.endog_name = as_vector(endog, "endog")
        n = self.endog.shape[0]
        if n < 2:
            raise ValueError("personalized regression needs at least two rows")
        if exog is None:
            self.exog, self.exog_names = np.zeros((n, 0)), []
        else:
            self.exog, self.exog_names = as_matrix(exog, "exog", "x", n)
        if context is None:
            raise ValueError("context is missing")
        self._context_encoder = _ContextEncoder(context, categorical, n)
        self.context = self._context_encoder.fitted
        self.context_names = self._context_encoder.names
        self.categorical = self._context_encoder.categorical.copy()
        check_response(self.endog, self.family)
        self.weights = check_weights(weights, n)
        if not self.fit_intercept and self.exog.shape[1] == 0:
            raise ValueError("the model has no parameters: exog is empty and fit_intercept is False")
        self.row_labels = endog.index if isinstance(endog, pd.Series) else None

    # ---- formula ------------------------------------------------------------------------------
    @classmethod
    def from_formula(cls, formula: str, data: pd.DataFrame, **kwargs) -> "PersonalizedRegression":
        """Build the model from ``"y ~ x1 + C(g) | age + C(site)"``.

        The part before ``|`` is an ordinary formulaic formula for the response and the
        predictors (its intercept column is dropped: the model has sample intercepts unless
        ``fit_intercept=False`` or the right-hand side contains ``0`` / ``-1``). The part
        after ``|`` lists context terms separated by ``+``: a column name (categorical when
        its dtype is not numeric), ``C(name)`` for a categorical column, or any formulaic
        expression of numeric columns such as ``np.log(income)``. Rows with a missing value
        in any variable used are dropped.
        """
        import formulaic

        if not isinstance(formula, str) or "~" not in formula:
            raise ValueError("formula must be a string like 'y ~ x1 + x2 | c1 + c2'")
        if not isinstance(data, pd.DataFrame):
            raise TypeError("data must be a pandas DataFrame")
        if formula.count("|") != 1:
            raise ValueError("formula must contain exactly one '|' separating the predictors from the context, "
                             "as in 'y ~ x1 + x2 | c1 + c2'")
        model_part, context_part = formula.split("|")
        terms = [t.strip() for t in context_part.split("+") if t.strip()]
        if not terms:
            raise ValueError("the formula has no context terms after '|'")
        context_cols, categorical, plain = [], [], []
        for term in terms:
            match = re.fullmatch(r"C\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)", term)
            if match:
                name = match.group(1)
                if name not in data.columns:
                    raise ValueError(f"context term {term!r} names {name!r}, which is not a column of data")
                context_cols.append(name)
                categorical.append(name)
            elif term in data.columns:
                context_cols.append(term)
            else:
                plain.append(term)
        used = [c for c in data.columns if c in context_cols]
        frame = data.dropna(subset=used) if used else data
        mm = formulaic.model_matrix(model_part, frame)
        if not hasattr(mm, "lhs"):
            raise ValueError("formula needs a response on the left of '~'")
        lhs, rhs = mm.lhs, mm.rhs
        index = rhs.index
        if lhs.shape[1] != 1:
            raise ValueError("the response must be a single column")
        endog = pd.Series(np.asarray(lhs.iloc[:, 0], dtype=float), index=index, name=str(lhs.columns[0]))
        has_intercept = "Intercept" in rhs.columns
        exog = pd.DataFrame(rhs, index=index).drop(columns=["Intercept"], errors="ignore")
        kwargs.setdefault("fit_intercept", has_intercept)
        pieces = [frame.loc[index, c] for c in context_cols]
        if plain:
            extra = formulaic.model_matrix("0 + " + " + ".join(plain), frame.loc[index], na_action="raise")
            pieces.append(pd.DataFrame(extra, index=index))
        context = pd.concat(pieces, axis=1)
        if categorical:
            extra_cat = kwargs.pop("categorical", None) or []
            if isinstance(extra_cat, str):
                extra_cat = [extra_cat]
            kwargs["categorical"] = list(categorical) + list(extra_cat)
        model = cls(endog, exog if exog.shape[1] else None, context, **kwargs)
        model.formula = formula
        return model

    def _check_loaded(self) -> None:
        """Called by ``ctxstats.load``: every field of its type and shape, and what the
        constructor derives (options, context codes and names, checks of endog and weights)
        consistent with the data."""
        from ctxstats._state import Array, ListOf, Opt, fields, same

        fields(self, {"endog": Array(None), "exog_names": ListOf(str), "_context_encoder": _ContextEncoder},
               others=True)
        n, p, enc = self.endog.shape[0], len(self.exog_names), self._context_encoder
        m = len(enc.names)
        fields(self, {"_given_options": dict, "family": str, "rank": int, "fit_intercept": bool,
                      "endog": Array(n), "endog_name": str, "exog": Array(n, p), "exog_names": ListOf(str),
                      "_context_encoder": _ContextEncoder, "context": Array(n, m), "context_names": ListOf(str, m),
                      "categorical": Array(m, kind="b"), "weights": Opt(Array(n)), "row_labels": Opt(pd.Index)},
               optional={"formula": str})
        base = _options.resolve("personalized", self._given_options)
        if (self.family, self.rank, self.fit_intercept) != (base["family"], base["rank"], base["fit_intercept"]):
            raise ValueError("PersonalizedRegression's family, rank and fit_intercept are not its options'")
        if not (same(self.context, enc.fitted) and self.context_names == enc.names
                and same(self.categorical, enc.categorical)):
            raise ValueError("PersonalizedRegression's context is not what its context encoder made")
        if n < 2 or (self.row_labels is not None and len(self.row_labels) != n):
            raise ValueError(f"PersonalizedRegression has {n} rows and {len(self.row_labels or ())} row labels")
        if not self.fit_intercept and p == 0:
            raise ValueError("the model has no parameters: exog is empty and fit_intercept is False")
        check_response(self.endog, self.family)
        if not same(check_weights(self.weights, n), self.weights):
            raise ValueError("PersonalizedRegression.weights are not valid weights")
        self._options()  # the option table checks the options against the data (rank <= p + 1, ...)

    # ---- sizes and options ------------------------------------------------------------------------
    @property
    def param_names(self) -> list[str]:
        return (["Intercept"] if self.fit_intercept else []) + list(self.exog_names)

    @property
    def nobs(self) -> int:
        return int(self.endog.shape[0])

    def n_params(self, rank: int | None = None) -> int:
        """Length of the flat parameter vector [theta_bar, Q, u, Z] the core optimises at
        ``rank`` (default: the model's, which must then be given: rank=0 is chosen in a fit)."""
        q, m = len(self.param_names), len(self.context_names)
        K = self.rank if rank is None else rank
        if K < 1:
            raise ValueError("the parameter vector needs a rank: create the model with rank=K "
                             "(rank=0 chooses it only in a fit)")
        return q + K * q + m + self.nobs * K

    def _options(self, **fit_options) -> dict:
        """Every option of a fit with these fit options (None: the default), checked and
        completed by the core's option table."""
        return _options.resolve("personalized", {**self._given_options, **_options.given(**fit_options),
                                                 "categorical": [int(v) for v in self.categorical]})

    def objective(self, params, epoch: int = 0, **fit_options) -> tuple[float, np.ndarray]:
        """The objective and its exact gradient at a flat parameter vector.

        ``params`` is laid out as [theta_bar (q), Q (K x q, row-major), u (m), Z (n x K,
        row-major)], all on the internal standardised scale, with ``metric_weights =
        softmax(u)``. ``epoch`` fixes the sampled pairs. Every row counts as a training row.
        ``fit_options`` are those of :meth:`fit` (gamma, n_partners, nu, weight_decay,
        alpha, l1_ratio, mu_ratio, seed).
        """
        params = np.ascontiguousarray(params, dtype=float)
        if params.ndim != 1 or params.shape[0] != self.n_params():
            raise ValueError(f"params must be a vector of length {self.n_params()}")
        return _core.personalized_objective(self.context, self.exog, self.endog, self.weights,
                                            self._options(**fit_options), params, check_int(epoch, "epoch", 0))

    # ---- fitting ----------------------------------------------------------------------------------
    def fit(self, gamma: float | None = None, n_partners: int | None = None, seed: int | None = None,
            threads: int | None = None, max_iter: int | None = None, nu: float | None = None,
            weight_decay: float | None = None, alpha: float | None = None, l1_ratio: float | None = None,
            mu_ratio: float | None = None, learning_rate: float | None = None, val_split: float | None = None,
            patience: int | None = None, warmup: int | None = None, tol: float | None = None,
            n_neighbors: int | None = None, n_bootstraps: int | None = None,
            sample_models: str | None = None, local_neighbors: int | None = None,
            refine_metric: bool | None = None, start_params=None, client=None) -> "PersonalizedRegressionResults":
        """Fit every sample's model by full-batch Adam with early stopping.

        Every option left at None takes the default of the core's option table, shared with R:

        {options}

        Parameters
        ----------
        gamma : float
            Weight of the distance-matching term. Larger values tie the sample models more
            tightly to the context metric.
        n_partners : int
            r, partners drawn for each sample in each epoch, each uniform among the other
            samples: the rows are put once in a seeded random order and each epoch draws r
            offsets o_t (from the counter-based generator keyed by seed and epoch), pairing
            position a with position a + o_t. Every sample is an end of 2r pairs, and the pass
            over pairs streams through memory. An epoch costs O(n r (K + m)).
        seed : int
            Keys the pair draws, the validation split, the initial latent coordinates and the
            bootstrap replicates.
        threads : int or None
            OpenMP threads; None uses all cores. Results are bitwise identical for any value.
        max_iter : int, optional
            Epochs (default 2000).
        nu : float
            nu ||phi||^2 on the metric weights (on the simplex, this favours spreading the
            metric over more columns).
        weight_decay : float
            weight_decay / 2 ||Q||^2. Besides damping the deviations from theta_bar, this is
            what makes the split of the metric informative: with it, the metric weight of a
            context column grows with how much the sample models change along that column.
        alpha, l1_ratio, mu_ratio : float
            Elastic net psi on every theta_i, on the standardised scale, as in
            :meth:`ContextualizedGLM.fit` (the L1 part smoothed as sqrt(t^2 + 1e-12) - 1e-6).
        learning_rate : float
            Adam step size (every parameter, per epoch).
        val_split : float
            Share of rows whose outcome is held out for early stopping. Their models are still
            estimated -- placed by distance matching alone, as a new sample's would be -- and
            their mean loss is the validation loss. 0 uses every row and stops on the training
            objective.
        patience : int
            Epochs without improvement of the validation loss before stopping; the best
            parameters are kept.
        warmup : int
            gamma rises linearly from 0 to its value over the first ``warmup`` epochs, so that
            the data shape the sample models before the metric binds them (started at full
            gamma, the matching locks the models into their initial, uninformed geometry).
            Early stopping starts after the warm-up.
        tol : float, optional
            Relative improvement of the validation loss that counts (default 1e-5): the fit has
            converged when ``patience`` epochs after the warm-up bring none. A fit that runs all
            ``max_iter`` epochs instead raises a ``ConvergenceWarning`` naming the cap; with
            ``n_bootstraps``, replicates that did not converge give one summarising warning.
        n_neighbors : int
            Training samples averaged by ``predict_params`` for a new context.
        sample_models : {"local", "latent"}
            ``"local"`` (default): each sample's model is a local GLM of its ``local_neighbors``
            nearest training samples under the learned metric, weighted ``s_j (1 - D_ij /
            (2 D_(k)))`` and shrunk towards the population GLM by ``1/2 ||theta -
            theta_pop||^2`` on the standardised scale (about one observation's worth).
            ``"latent"``: ``theta_bar + Q' z_i`` of the distance matching, the 2019 model. The
            latent models can vary only linearly with each numeric context column: an exact
            match of squared distances makes ``z_i`` an affine map of the weighted context (as
            in classical multidimensional scaling). The distance matching learns the metric;
            the local GLMs let the models follow steps and curves along it.
            ``latent_params`` always holds the latent models.

            After k, the shrinkage is chosen by the same held-out loss: the ridge becomes
            ``lambda/2 ||theta - t_i||^2`` with the target ``t_i`` the population GLM or the
            linear varying-coefficient GLM at the sample's context (fitted on the training
            rows only; numeric columns linear, categorical columns by level), among (population,
            1) -- the local GLMs above --, the population GLM itself, (linear, lambda) for lambda
            in 1, 4, ..., 1024 observations' worth, and the linear fit itself -- the simplest
            candidate whose loss exceeds the least by at most one standard error of the rows'
            paired differences (simplest first: the population GLM, the linear fit, the linear
            target from the strongest shrinkage down, the local GLMs). Where the context
            carries little information beyond a linear trend, the fit thus falls back towards
            the better simpler model instead of losing to it; the choice is ``shrink_target``,
            ``shrinkage`` and ``shrink_grid`` of the results, and ``summary()`` states it.
        local_neighbors : int
            k of the local GLMs; 0 (default) chooses it among 8, 16, ..., 4096 by the mean loss
            of the validation rows' local models (their outcomes are held out), or without a
            validation share by leave-one-out on the training rows -- at most 4,000
            validation or 2,000 training rows (seeded), trying every k up to 512 and larger
            ones until two doublings bring no lower loss; the choice and the loss of each candidate are ``local_neighbors`` and
            ``local_grid`` of the results. Neighbours come from an exact kd-tree under the learned metric (the
            same neighbours as a brute-force search, ties by row order): the local fits cost
            about O(n log n + n k q^2), once after the epochs.
        refine_metric : bool
            With ``sample_models="local"`` (default true): from two starts, the distance
            matching's weights (``matching_weights`` of the results) and uniform weights, a
            pattern search sets each column's weight to 0, or divides or multiplies it by 3
            (then by 1.5), renormalised, keeping a change when it lowers the held-out mean loss
            of the local GLMs (validation rows, or leave-one-out; at most 500 of them); the
            uniform start's end is kept unless the matching start's end is better by more than
            one standard error of the rows' paired loss differences (the uniform start does not
            depend on the rank, so the metric does not move between neighbouring ranks on
            noise). ``metric_weights`` and ``predict_params`` use the refined weights. The
            matching's own split of the metric between columns is unstable (it changes with
            the rank and the seed); the held-out loss is what a user cares for.
        n_bootstraps : int
            B > 0 refits the model on B multinomial resamples of the rows (as frequency
            weights; rank, k and the refined metric are chosen afresh in each) and gives
            percentile intervals re-centred on the estimate: ``conf_int``,
            ``metric_weights_conf_int``, ``sample_conf_int`` (the core's
            ``centred_intervals``: est + (q_{alpha/2} - median), est + (q_{1-alpha/2} -
            median) of the replicates; they keep the replicates' spread and skew but not
            their shift, and always contain the estimate). When the replicates of a metric
            weight or an average effect fall into two separated modes (a non-unique
            optimum), a :class:`BootstrapModesWarning` says so, as does ``summary()``.
            Costs B fits.
        start_params : array_like, optional
            A flat parameter vector (``results.flat_params``) to start from.
        client : distributed.Client or "default", optional
            Fit the bootstrap replicates as tasks on this Dask cluster (``"default"``: the
            active client): bitwise the replicates of a local fit (see :mod:`ctxstats.dask`).
        """
        opts = self._options(gamma=gamma, n_partners=n_partners, seed=seed, threads=threads, max_iter=max_iter,
                             nu=nu, weight_decay=weight_decay, alpha=alpha, l1_ratio=l1_ratio, mu_ratio=mu_ratio,
                             learning_rate=learning_rate, val_split=val_split, patience=patience, warmup=warmup,
                             tol=tol, n_neighbors=n_neighbors, n_bootstraps=n_bootstraps,
                             sample_models=sample_models, local_neighbors=local_neighbors,
                             refine_metric=refine_metric)
        n_neighbors, n_bootstraps = opts["n_neighbors"], opts["n_bootstraps"]
        if client is not None:  # checked before the full-data fit
            from ctxstats.dask import resolve_client

            client = resolve_client(client)
            if not n_bootstraps:
                raise ValueError("client= runs the bootstrap replicates on a Dask cluster; with n_bootstraps=0 "
                                 "there is nothing to send (the full-data fit runs locally)")
        init = None
        if start_params is not None:
            init = as_start_params(start_params, self.n_params())
        out = _core.personalized_fit(self.context, self.exog, self.endog, self.weights, opts, init)
        warn_if_unconverged(bool(out["converged"]), out["message"], stacklevel=2)
        boot = None
        if n_bootstraps:
            # The core refits every replicate and checks their modes (personalized_bootstrap).
            if client is not None:  # the same replicates, as tasks on a Dask cluster
                from ctxstats.dask import personalized_bootstrap_on_cluster

                boot = personalized_bootstrap_on_cluster(client, self.context, self.exog, self.endog, self.weights,
                                                         opts, init, n_bootstraps, self.param_names,
                                                         self.context_names)
            else:
                boot = _core.personalized_bootstrap(self.context, self.exog, self.endog, self.weights, opts,
                                                    n_bootstraps, init, self.param_names, self.context_names)
            boot["converged"] = np.asarray(boot["converged"], dtype=bool)
            boot["message"] = bootstrap_message(list(zip(boot["converged"], boot["messages"])))
            warn_bootstrap(boot["message"], stacklevel=2)
            if boot["modes_message"]:
                warnings.warn(BootstrapModesWarning(boot["modes_message"]), stacklevel=2)
        return PersonalizedRegressionResults(self, out, opts, n_neighbors, boot)


PersonalizedRegression.fit.__doc__ = PersonalizedRegression.fit.__doc__.replace(
    "{options}", _options.doc_lines("personalized").strip())


def _shrinkage_note(target: str, strength: float, n_candidates: int) -> str:
    what = ("the population GLM" if target == "population"
            else "the linear varying-coefficient GLM (chosen on the training rows, then refitted on every row)")
    how = (f"{what} itself" if np.isinf(strength)
           else f"local GLMs shrunk towards {what} with strength {strength:g} (observations' worth)")
    return (f"Shrinkage chosen by held-out deviance among {n_candidates} candidates (shrink_grid): {how}.")


class PersonalizedRegressionResults:
    """A fitted personalized regression.

    Attributes
    ----------
    sample_params : pandas.DataFrame, shape (n, q)
        Every sample's intercept and coefficients, in the user's units.
    params : pandas.Series
        Their average over samples (the average effects).
    population_params : pandas.Series
        The population GLM every sample model started from.
    metric_weights : pandas.Series
        phi, the learned share of the context metric carried by each context column.
    latent : pandas.DataFrame, shape (n, K)
        The latent coordinates z_i (internal scale).
    loadings : pandas.DataFrame, shape (K, q)
        Q in the user's units: sample_params = theta_bar + latent @ loadings.
    held_out : numpy.ndarray of bool
        Rows whose outcome was held out for early stopping and for choosing ``local_neighbors``.
    latent_params : pandas.DataFrame, shape (n, q)
        theta_bar + Q' z_i, the distance matching's own sample models.
    local_neighbors, local_grid
        k of the local GLMs (``sample_models="local"``) and the held-out mean loss of each
        k tried (empty when k was given).
    shrink_target, shrinkage, shrink_grid
        What the local GLMs are shrunk towards, chosen by held-out loss: ``"population"``
        (the population GLM) or ``"linear"`` (the linear varying-coefficient GLM, fitted on the
        training rows), the strength lambda of the ridge ``lambda/2 ||theta - target||^2``
        (in observations; ``inf``: the target itself), and every candidate with its held-out
        mean loss. Latent models: ``""`` and 0.
    flat_params : ndarray
        The core's parameter vector (for warm starts and :meth:`PersonalizedRegression.objective`).
    n_iter, best_epoch, converged, message, history, val_history
        What the solver reports: epochs run, the epoch whose parameters were kept, the
        objective per epoch and the validation loss per epoch.
    """

    def __init__(self, model: PersonalizedRegression, out: dict, options: dict, n_neighbors: int,
                 bootstrap: dict | None = None):
        self.model = model
        self.options = options
        self.n_neighbors = n_neighbors
        self.flat_params = np.asarray(out["params"])
        self._theta = np.asarray(out["theta"])
        self._theta_latent = np.asarray(out["theta_latent"])
        self.local_neighbors = int(out["local_neighbors"])
        self.rank = int(out["rank"])
        self.rank_grid = pd.DataFrame({"held-out mean loss": np.asarray(out["rank_loss"]),
                                       "se": np.asarray(out["rank_se"])},
                                      index=pd.Index(np.asarray(out["rank_grid"]).astype(int), name="rank"))
        self.held_out_loss = float(out["held_out_loss"])
        self.shrink_target = str(out["shrink_target"])
        self.shrinkage = float(out["shrinkage"])
        self._shrink_linear = np.asarray(out["shrink_linear"]) > 0.5
        self._shrink_grid = np.asarray(out["shrink_grid"], dtype=float)
        self._shrink_loss = np.asarray(out["shrink_loss"], dtype=float)
        self._target_map = np.asarray(out["target_map"], dtype=float)
        bias = np.asarray(out["smoothing_bias"])
        self._bias = bias if bias.size else None
        self.local_grid = pd.Series(np.asarray(out["local_loss"]), index=np.asarray(out["local_grid"]).astype(int),
                                    name="held-out mean loss")
        self.local_grid.index.name = "local_neighbors"
        self._theta_bar = np.asarray(out["theta_bar"])
        self._theta_pop = np.asarray(out["theta_pop"])
        self._Q = np.asarray(out["Q"])
        self._phi = np.asarray(out["phi"])
        self._phi_matching = np.asarray(out["phi_matching"])
        self.dist_scale = np.asarray(out["dist_scale"])
        self.held_out = np.asarray(out["validation"]) > 0.5
        self.scaling = out["scaling"]
        self.history = np.asarray(out["history"])
        self.val_history = np.asarray(out["val_history"])
        self.n_iter = int(out["n_iter"])
        self.best_epoch = int(out["best_epoch"])
        self.converged = bool(out["converged"])
        self.population_converged = bool(out["population_converged"])
        self.objective = float(out["objective"])
        self.message = out["message"]
        self._boot = bootstrap

    def _check_loaded(self) -> None:
        """Called by ``ctxstats.load``: options that the option table accepts and that are the
        model's, and every array of the fit shaped by the model's dimensions."""
        from ctxstats._state import Array, Opt, check, fields, same

        fields(self, {"model": PersonalizedRegression, "options": dict, "rank": int}, others=True)
        m = self.model
        # the fitted rank: the model's, or the one the fit chose from the data (model rank 0)
        n, q, K, mc, p = m.nobs, len(m.param_names), self.rank, len(m.context_names), m.exog.shape[1]
        if K < 1 or (m.rank > 0 and K != m.rank):
            raise ValueError(f"PersonalizedRegressionResults.rank is {K}; the model's rank is {m.rank}")
        fields(self, {"model": PersonalizedRegression, "options": dict, "n_neighbors": int, "rank": int,
                      "rank_grid": pd.DataFrame, "held_out_loss": float, "_bias": Opt(Array(n, q)),
                      "shrink_target": str, "shrinkage": float, "_shrink_linear": Array(None, kind="b"),
                      "_shrink_grid": Array(None), "_shrink_loss": Array(None), "_target_map": Array(None, q + 2),
                      "flat_params": Array(m.n_params(K)), "_theta": Array(n, q), "_theta_latent": Array(n, q),
                      "local_neighbors": int, "local_grid": pd.Series, "_theta_bar": Array(q), "_theta_pop": Array(q),
                      "_Q": Array(K, q), "_phi": Array(mc), "_phi_matching": Array(mc), "dist_scale": Array(mc),
                      "held_out": Array(n, kind="b"), "scaling": dict, "history": Array(None),
                      "val_history": Array(None), "n_iter": int, "best_epoch": int, "converged": bool,
                      "population_converged": bool, "objective": float, "message": str, "_boot": Opt(dict)})
        options = _options.resolve("personalized", self.options)
        if not same(options, self.options) or not same(options, m._options(**{
                k: v for k, v in options.items() if k not in ("family", "rank", "fit_intercept", "categorical")})):
            raise ValueError("PersonalizedRegressionResults.options are not resolved options of its model")
        local = options["sample_models"] == "local"
        if self.shrink_target not in (("population", "linear") if local else ("",)) \
                or (self._target_map.shape[0] > 0) != (self.shrink_target == "linear") \
                or not (self.shrinkage >= 1.0 if local else self.shrinkage == 0.0) \
                or not self._shrink_linear.shape == self._shrink_grid.shape == self._shrink_loss.shape:
            raise ValueError("PersonalizedRegressionResults' shrinkage (shrink_target, shrinkage, shrink_grid, "
                             "_target_map) is not that of a fit")
        if self.n_neighbors != options["n_neighbors"]:
            raise ValueError("PersonalizedRegressionResults.n_neighbors is not its options'")
        want = {"c_mean": Array(mc), "c_scale": Array(mc), "x_mean": Array(p), "x_scale": Array(p),
                "y_mean": float, "y_scale": float, "intercept": bool}
        if set(self.scaling) != set(want):
            raise ValueError(f"PersonalizedRegressionResults.scaling has the keys {sorted(self.scaling)}")
        for key, kind in want.items():
            check(self.scaling[key], kind, f"PersonalizedRegressionResults.scaling[{key!r}]")
        boot = self._boot
        if boot is not None:
            check(boot.get("theta"), Array(None, n, q), "PersonalizedRegressionResults._boot['theta']")
            B = boot["theta"].shape[0]
            want = {"theta": Array(B, n, q), "phi": Array(B, mc), "converged": Array(B, kind="b"), "message": str}
            if set(boot) != set(want) or B < 1:
                raise ValueError(f"PersonalizedRegressionResults._boot has the keys {sorted(boot)} and {B} "
                                 "replicates")
            for key, kind in want.items():
                check(boot[key], kind, f"PersonalizedRegressionResults._boot[{key!r}]")

    # ---- parameters -------------------------------------------------------------------------------
    def _frame(self, theta, index=None) -> pd.DataFrame:
        return pd.DataFrame(theta, columns=self.model.param_names, index=index)

    @property
    def sample_params(self) -> pd.DataFrame:
        return self._frame(self._theta, self.model.row_labels)

    @property
    def shrink_grid(self) -> pd.DataFrame:
        """The shrinkage candidates of the local GLMs with their held-out mean loss: target
        (population or linear), strength (observations' worth; inf: the target itself)."""
        return pd.DataFrame({"target": np.where(self._shrink_linear, "linear", "population"),
                             "strength": self._shrink_grid, "held-out mean loss": self._shrink_loss})

    @property
    def smoothing_bias(self) -> pd.DataFrame | None:
        """The core's estimate of each local GLM's bias, which the bootstrap does not see
        (None for latent models); it widens ``sample_conf_int``. The smoothing bias
        (theta_k - theta_(k/2)) / (1 - 2^(-1/d)), with d the context columns the metric uses,
        of the local GLMs shrunk with strength 1; with a stronger shrinkage chosen
        (``shrinkage``), plus its pull towards the target: the sample model minus that
        weakly shrunk one."""
        return None if self._bias is None else self._frame(self._bias, self.model.row_labels)

    @property
    def latent_params(self) -> pd.DataFrame:
        """theta_bar + Q' z_i, the sample models of the distance matching itself (the 2019
        model); equal to ``sample_params`` when ``sample_models="latent"``."""
        return self._frame(self._theta_latent, self.model.row_labels)

    @property
    def params(self) -> pd.Series:
        return column_spread(self._theta, self.model.param_names)["mean"].rename("params")

    @property
    def population_params(self) -> pd.Series:
        return pd.Series(self._theta_pop, index=self.model.param_names, name="population")

    @property
    def theta_bar(self) -> pd.Series:
        return pd.Series(self._theta_bar, index=self.model.param_names, name="theta_bar")

    @property
    def metric_weights(self) -> pd.Series:
        return pd.Series(self._phi, index=self.model.context_names, name="metric_weights")

    @property
    def latent(self) -> pd.DataFrame:
        m = self.model
        q, K = len(m.param_names), self.rank
        start = q + K * q + len(m.context_names)
        Z = self.flat_params[start:].reshape(m.nobs, K)
        return pd.DataFrame(Z, columns=[f"z{k + 1}" for k in range(K)], index=m.row_labels)

    @property
    def matching_weights(self) -> pd.Series:
        """The distance matching's own metric weights (before ``refine_metric``)."""
        return pd.Series(self._phi_matching, index=self.model.context_names, name="matching_weights")

    @property
    def loadings(self) -> pd.DataFrame:
        return pd.DataFrame(self._Q, columns=self.model.param_names, index=[f"z{k + 1}" for k in range(self.rank)])

    # ---- new samples ------------------------------------------------------------------------------
    def predict_params(self, context, n_neighbors: int | None = None) -> pd.DataFrame:
        """Models for new contexts: the weighted average of the nearest training samples' models.

        The ``n_neighbors`` training samples nearest under the learned metric D_phi are
        averaged with weights 1 / (D + 1e-8) (the metric averages one over pairs, so an
        exact match dominates). When the local GLMs were shrunk towards the linear
        varying-coefficient fit (``shrink_target == "linear"``), their deviations from it are
        averaged and added to the linear fit at the new context. An exact kd-tree search under the metric: about
        O(n log n) to build, O(log n + k) per row.
        """
        k = self.n_neighbors if n_neighbors is None else n_neighbors  # checked by the core's option table
        C, index = self.model._context_encoder.transform(context)
        theta = self._neighbour_theta(C, self._theta, k)
        return self._frame(theta, index)

    def _neighbour_theta(self, C: np.ndarray, theta_train: np.ndarray, k: int) -> np.ndarray:
        return _core.personalized_predict(C, self.model.context, np.ascontiguousarray(theta_train), self._phi,
                                          self.dist_scale, [int(v) for v in self.model.categorical], k,
                                          self.options.get("threads", 0), self._target_map)

    def _linear_predictor(self, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        if self.model.fit_intercept:
            return theta[:, 0] + np.einsum("ij,ij->i", X, theta[:, 1:])
        return np.einsum("ij,ij->i", X, theta)

    def predict(self, exog=None, context=None, which: str = "mean") -> np.ndarray:
        """Predicted mean (``which="mean"``) or linear predictor (``"linear"``).

        With neither argument, predicts for the fitted samples with their own models;
        otherwise both are needed (exog may be omitted when the model has no predictors)
        and the models come from :meth:`predict_params`.
        """
        check_choice(which, ("mean", "linear"), "which")
        m = self.model
        if exog is None and context is None:
            theta, X = self._theta, m.exog
        else:
            if context is None:
                raise ValueError("predict needs context for new samples")
            C, _ = m._context_encoder.transform(context)
            if exog is None:
                if m.exog.shape[1]:
                    raise ValueError("predict needs exog for new samples")
                X = np.zeros((C.shape[0], 0))
            else:
                if isinstance(exog, pd.DataFrame) and all(c in exog.columns for c in m.exog_names):
                    exog = exog[m.exog_names]
                X, _ = as_matrix(exog, "exog", "x", C.shape[0])
                if X.shape[1] != len(m.exog_names):
                    raise ValueError(f"exog has {X.shape[1]} columns; the model was fitted with {len(m.exog_names)}")
            theta = self._neighbour_theta(C, self._theta, self.n_neighbors)
        eta = self._linear_predictor(theta, X)
        return eta if which == "linear" else inverse_link(m.family, eta)

    @property
    def fittedvalues(self) -> np.ndarray:
        return self.predict()

    @property
    def resid(self) -> np.ndarray:
        """Response residuals y - fitted mean."""
        return self.model.endog - self.fittedvalues

    # ---- fit statistics ---------------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        return self.model.nobs

    @property
    def llf(self) -> float:
        """Log-likelihood of the sample models over all rows (held-out rows included)."""
        return loglike(self.model.family, self.model.endog, self.fittedvalues, self.model.weights)

    @property
    def llf_population(self) -> float:
        """Log-likelihood of the population GLM the fit started from."""
        m = self.model
        theta = np.broadcast_to(self._theta_pop, (m.nobs, self._theta_pop.shape[0]))
        mu = inverse_link(m.family, self._linear_predictor(theta, m.exog))
        return loglike(m.family, m.endog, mu, m.weights)

    @property
    def llf_held_out(self) -> float | None:
        """Log-likelihood of the held-out rows under the models distance matching gave them."""
        if not self.held_out.any():
            return None
        m, h = self.model, self.held_out
        mu = self.fittedvalues[h]
        w = None if m.weights is None else m.weights[h]
        return loglike(m.family, m.endog[h], mu, w)

    # No aic/bic: the n x K latent coordinates are shrunk by the distance matching and are not
    # free parameters, so no honest parameter count exists. llf_held_out is the honest measure.

    # ---- bootstrap --------------------------------------------------------------------------------
    def _require_bootstrap(self):
        if self._boot is None:
            raise ValueError("intervals need bootstrap replicates: fit with n_bootstraps > 0")

    @property
    def n_bootstraps(self) -> int:
        return 0 if self._boot is None else int(self._boot["theta"].shape[0])

    def _intervals(self, estimate, samples, alpha, bounds=(-np.inf, np.inf), bias=None) -> dict:
        """The core's percentile intervals centred on the estimate (centred_intervals)."""
        if samples.shape[0] < 2:
            raise ValueError("intervals need at least two bootstrap replicates: fit with n_bootstraps >= 2")
        alpha = check_float(alpha, "alpha", 0.0, 1.0, low_open=True, high_open=True)
        return _core.centred_intervals(np.ascontiguousarray(estimate, dtype=float),
                                       np.ascontiguousarray(samples, dtype=float), alpha, *bounds, bias)

    @property
    def bse(self) -> pd.Series:
        """Bootstrap standard errors of the average effects ``params``."""
        self._require_bootstrap()
        ci = self._intervals(self.params.to_numpy(), self._boot["means"], 0.05)
        return pd.Series(ci["se"], index=self.model.param_names, name="bse")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Bootstrap intervals for the average effects ``params``: percentile intervals of the
        replicates re-centred on the estimate (see :meth:`PersonalizedRegression.fit`)."""
        self._require_bootstrap()
        ci = self._intervals(self.params.to_numpy(), self._boot["means"], alpha)
        return pd.DataFrame({"lower": ci["lower"], "upper": ci["upper"]}, index=self.model.param_names)

    @property
    def metric_weights_bse(self) -> pd.Series:
        """Bootstrap standard errors of ``metric_weights``."""
        self._require_bootstrap()
        ci = self._intervals(self._phi, self._boot["phi"], 0.05, (0.0, 1.0))
        return pd.Series(ci["se"], index=self.model.context_names, name="bse")

    def metric_weights_conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Bootstrap intervals for ``metric_weights`` (centred percentile, within [0, 1])."""
        self._require_bootstrap()
        ci = self._intervals(self._phi, self._boot["phi"], alpha, (0.0, 1.0))
        return pd.DataFrame({"lower": ci["lower"], "upper": ci["upper"]}, index=self.model.context_names)

    @property
    def bootstrap_modes(self) -> str:
        """The core's description of replicates that fall into several modes ('' when none)."""
        self._require_bootstrap()
        return self._boot["modes_message"]

    def sample_conf_int(self, alpha: float = 0.05) -> dict[str, pd.DataFrame]:
        """Bootstrap intervals for every sample's parameters: {"lower", "upper"}.

        Centred percentile intervals whose half-widths are combined with the estimated
        bias of the local GLMs (``smoothing_bias``: their smoothing bias and the chosen
        shrinkage's pull; the bootstrap sees their variance, not their bias): each side
        sqrt(h^2 + bias^2). Latent models: centred
        percentile intervals.
        """
        self._require_bootstrap()
        B, n, q = self._boot["theta"].shape
        bias = None if self._bias is None else self._bias.reshape(n * q)
        ci = self._intervals(self._theta.reshape(n * q), self._boot["theta"].reshape(B, n * q), alpha, bias=bias)
        lo, hi = ci["lower"].reshape(n, q), ci["upper"].reshape(n, q)
        return {"lower": self._frame(lo, self.model.row_labels), "upper": self._frame(hi, self.model.row_labels)}

    # ---- presentation -----------------------------------------------------------------------------
    def summary(self, alpha: float = 0.05):
        """Header, the spread of each parameter over samples, the metric weights, notes."""
        from ctxstats.summary import Summary

        m = self.model
        s = Summary("Personalized Regression Results (distance matching)")
        held = self.llf_held_out
        s.add_header(
            [("Dep. Variable", m.endog_name), ("Family", m.family),
             ("Rank K", f"{self.rank} (chosen)" if not self.rank_grid.empty else str(self.rank)),
             ("gamma", f"{self.options['gamma']:.4g}"), ("Partners/sample", str(self.options["n_partners"])),
             ("No. Observations", str(self.nobs)), ("Held out", str(int(self.held_out.sum())))],
            [("Converged", str(self.converged)), ("Epochs", f"{self.n_iter} (kept {self.best_epoch})"),
             ("Log-Likelihood", f"{self.llf:.6g}"), ("LL population GLM", f"{self.llf_population:.6g}"),
             ("LL held-out rows", "-" if held is None else f"{held:.6g}"),
             ("Bootstraps", str(self.n_bootstraps))])
        spread = column_spread(self._theta, self.model.param_names)
        spread.insert(0, "population", self.population_params)
        if self._boot is not None:
            ci = self.conf_int(alpha)
            spread.insert(2, f"[{alpha / 2:g}", ci["lower"])
            spread.insert(3, f"{1 - alpha / 2:g}]", ci["upper"])
        s.add_table("Sample parameters: population GLM, average effect and spread over samples", spread)
        metric = pd.DataFrame({"weight": self.metric_weights,
                               "kind": ["categorical" if c else "numeric" for c in m.categorical]})
        if self._boot is not None:
            ci = self.metric_weights_conf_int(alpha)
            metric[f"[{alpha / 2:g}"] = ci["lower"]
            metric[f"{1 - alpha / 2:g}]"] = ci["upper"]
        s.add_table("Context metric weights (shares of D_phi, sum to one)", metric)
        local = self.options.get("sample_models", "local") == "local"
        if not self.rank_grid.empty:
            losses = ", ".join(f"{k}: {v:.5g}" for k, v in self.rank_grid["held-out mean loss"].items())
            s.add_note(f"Rank K={self.rank} chosen from the data: the smallest rank whose held-out mean loss is "
                       f"within one standard error of the least ({losses}).")
        if local:
            how = ("set by local_neighbors" if self.local_grid.empty else "chosen by held-out deviance among "
                   + ", ".join(str(k) for k in self.local_grid.index))
            s.add_note(f"Sample models: local GLMs of the {self.local_neighbors} training samples nearest under the "
                       f"learned metric ({how}); latent_params holds theta_bar + Q' z_i.")
            s.add_note(_shrinkage_note(self.shrink_target, self.shrinkage, len(self.shrink_grid)))
        if self.held_out.any():
            if local:
                s.add_note(f"{int(self.held_out.sum())} rows (val_split={self.options['val_split']:g}) were held out: "
                           "their outcomes enter neither the distance matching nor any local GLM.")
            else:
                s.add_note(f"{int(self.held_out.sum())} rows (val_split={self.options['val_split']:g}) were held out "
                           "for early stopping: their models are placed by distance matching alone.")
        if not self.converged:
            s.add_note(f"Early stopping did not trigger: {self.message}.")
        if self._boot is not None and "converged" in self._boot:
            s.add_note(bootstrap_share_note(self._boot["converged"]))
        if self._boot is not None:
            s.add_note("Intervals: bootstrap percentile intervals re-centred on the estimate (per-sample intervals "
                       "also allow for the local GLMs' estimated smoothing and shrinkage bias).")
            if self._boot["modes_message"]:
                s.add_note("Warning: " + self._boot["modes_message"][0].upper() + self._boot["modes_message"][1:])
        if not self.population_converged:
            s.add_note("The population GLM (the starting point) did not converge; in a binomial fit, complete "
                       "separation is a common cause.")
        n_active = int((self._phi_matching > 0.05).sum())
        if n_active > self.rank:
            s.add_note(f"{n_active} context columns carry more than 5% of the matching's metric with rank "
                       f"K={self.rank}; a metric over more than K columns cannot be matched exactly. Consider a "
                       "larger rank.")
        return s

    def __repr__(self) -> str:
        return (f"<{type(self).__name__}: {self.model.family} family, rank {self.rank}, nobs={self.nobs}, "
                f"epochs={self.n_iter}, converged={self.converged}>")

    def subtypes(self, k: int | None = None, *, params=None, k_max: int = 8, n_starts: int = 10,
                 seed: int | None = None, alpha: float = 0.05):
        """Subtypes of the samples found from their personalized models (:mod:`ctxstats.subtypes`;
        bootstrap stability when fitted with ``n_bootstraps``)."""
        from ctxstats.subtypes import personalized_subtypes

        return personalized_subtypes(self, k, params=params, k_max=k_max, n_starts=n_starts, seed=seed,
                                     alpha=alpha)
