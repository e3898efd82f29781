"""Warnings for fits that stopped without meeting their stopping criterion.

Every iterative solver of the core (L-BFGS, Adam, the exact solver's IRLS/PQL, personalized
regression's Adam) states its criterion and reports ``converged`` only when it holds; when a
fit stops at its iteration cap instead, the core's message names the criterion, the cap and
what to change. Python raises that text as a :class:`ConvergenceWarning`; R's ``ctx_glm()``
and ``personalized_regression()`` give the same text through ``warning()``.
"""
from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from ctxstats import _core


class ConvergenceWarning(UserWarning):
    """A fit (or some of its bootstrap replicates) stopped without meeting its solver's stopping
    criterion, usually at the iteration cap ``max_iter``. Its estimates are not the optimum
    the model defines; the message says which option to change. (statsmodels' class name.)"""


def warn_if_unconverged(converged: bool, message: str, interrupted: bool = False, stacklevel: int = 3) -> None:
    """Warn with the core's message when a fit did not converge. A fit the user stopped
    (a callback returning False) is reported by ``interrupted``, not warned about."""
    if not converged and not interrupted:
        warnings.warn(ConvergenceWarning(message), stacklevel=stacklevel)


def bootstrap_message(converged) -> str:
    """The core's summary of replicates that did not converge ('' when all did); ``converged``
    holds one flag per replicate, or (flag, message) pairs to quote the first failure."""
    flags, messages = [], []
    for c in converged:
        flag, msg = (c if isinstance(c, tuple) else (c, ""))
        flags.append(bool(flag))
        messages.append(msg)
    failed = [m for f, m in zip(flags, messages) if not f]
    return _core.bootstrap_convergence_message(len(failed), len(flags), failed[0] if failed else "")


def warn_bootstrap(message: str, stacklevel: int = 3) -> None:
    """One warning for all the replicates that did not converge (the core's text)."""
    if message:
        warnings.warn(ConvergenceWarning(message), stacklevel=stacklevel)


def warn_at_caller(message: str) -> None:
    """Warn at the first frame outside the ctxstats package (the user's line), however many
    of its functions lie between (e.g. an easy estimator's fit calling its base class's)."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame, level = sys._getframe(0), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(ConvergenceWarning(message), stacklevel=level)


def bootstrap_share_note(converged) -> str:
    """The summary line on how many replicates converged."""
    flags = np.asarray(converged, dtype=bool)
    return (f"Bootstrap convergence: {int(flags.sum())} of {flags.size} replicate fits converged "
            "by the solver's stopping criterion.")
