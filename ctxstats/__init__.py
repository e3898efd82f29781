"""ctxstats: a model for each sample.

Contextualized (varying-coefficient) generalized linear models whose coefficients are
functions of each sample's context, fitted by a C++/OpenMP core with analytic gradients.
"""
from ctxstats.models import (
    ContextualizedGLM,
    ContextualizedGLMResults,
    ContextualizedLogit,
    ContextualizedPoisson,
    ContextualizedRegression,
)
from ctxstats.io import load, save

__version__ = "0.1.0"

__all__ = [
    "ContextualizedGLM",
    "ContextualizedGLMResults",
    "ContextualizedRegression",
    "ContextualizedLogit",
    "ContextualizedPoisson",
    "save",
    "load",
]
