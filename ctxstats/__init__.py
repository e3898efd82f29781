"""ctxstats: a model for each sample.

Contextualized (varying-coefficient) generalized linear models whose coefficients are
functions of each sample's context, fitted by a C++/OpenMP core with analytic gradients.
"""
import os as _os

# OpenMP threads that spin while waiting make a loaded machine crawl; sleep instead, unless
# the user chose otherwise. (Must precede the first load of the OpenMP runtime.)
_os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from ctxstats.convergence import ConvergenceWarning  # noqa: E402
from ctxstats.identifiability import IdentifiabilityReport, IdentifiabilityWarning  # noqa: E402
from ctxstats.models import (  # noqa: E402
    ContextualizedGLM,
    ContextualizedGLMResults,
    ContextualizedLogit,
    ContextualizedPoisson,
    ContextualizedRegression,
)
from ctxstats.mixture import ContextualizedMixture, ContextualizedMixtureResults  # noqa: E402
from ctxstats.personalized import BootstrapModesWarning, PersonalizedRegression, PersonalizedRegressionResults
from ctxstats.io import load, save
from ctxstats.compare import compare
from ctxstats.cross_validation import compare_cross_validated, cross_validate
from ctxstats.calibration import calibration_test
from ctxstats.model_choice import choose_encoder
from ctxstats._options import option_schema

__version__ = "0.1.0"

__all__ = [
    "ContextualizedGLM",
    "ContextualizedGLMResults",
    "ContextualizedRegression",
    "ContextualizedLogit",
    "ContextualizedPoisson",
    "ContextualizedMixture",
    "ContextualizedMixtureResults",
    "PersonalizedRegression",
    "PersonalizedRegressionResults",
    "BootstrapModesWarning",
    "IdentifiabilityReport",
    "IdentifiabilityWarning",
    "ConvergenceWarning",
    "save",
    "load",
    "compare",
    "cross_validate",
    "compare_cross_validated",
    "calibration_test",
    "choose_encoder",
    "option_schema",
]
