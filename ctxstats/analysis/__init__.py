"""Analysis helpers for fitted ``ctxstats.easy`` models, under contextualized.analysis's names.

A script written for ContextualizedML's ``contextualized.analysis`` keeps working after its
imports name ``ctxstats`` instead: the same functions, arguments and array shapes. They are
built on ctxstats' own pieces: the bootstrap replicates of :mod:`ctxstats.easy` (row
resamples drawn by the core's generator), the core's bootstrap sign p-values
(``_core.sign_pvalues``) and figures made without pyplot (:mod:`ctxstats.plotting`'s
convention), which are returned instead of shown.

For a statistics-first view of one fit (standard errors, intervals, the bootstrap test of
whether a coefficient varies with context) use :class:`ctxstats.ContextualizedGLM` and its
results' ``summary()``.
"""
from ctxstats.analysis.accuracy_split import print_acc_by_covars
from ctxstats.analysis.bootstraps import select_good_bootstraps
from ctxstats.analysis.effects import (
    get_heterogeneous_predictor_effects,
    get_homogeneous_context_effects,
    get_homogeneous_predictor_effects,
    plot_heterogeneous_predictor_effects,
    plot_homogeneous_context_effects,
    plot_homogeneous_predictor_effects,
)
from ctxstats.analysis.embeddings import plot_embedding_for_all_covars, plot_lowdim_rep
from ctxstats.analysis.pvals import (
    calc_heterogeneous_predictor_effects_pvals,
    calc_homogeneous_context_effects_pvals,
    calc_homogeneous_predictor_effects_pvals,
    get_possible_pvals,
    test_each_context,
)

__all__ = [
    "print_acc_by_covars",
    "select_good_bootstraps",
    "get_homogeneous_context_effects",
    "get_homogeneous_predictor_effects",
    "get_heterogeneous_predictor_effects",
    "plot_homogeneous_context_effects",
    "plot_homogeneous_predictor_effects",
    "plot_heterogeneous_predictor_effects",
    "plot_lowdim_rep",
    "plot_embedding_for_all_covars",
    "calc_homogeneous_context_effects_pvals",
    "calc_homogeneous_predictor_effects_pvals",
    "calc_heterogeneous_predictor_effects_pvals",
    "test_each_context",
    "get_possible_pvals",
]
