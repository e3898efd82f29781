"""Progress reporting for long fits: the core calls back after each iteration or epoch."""
from __future__ import annotations

from typing import Callable, Optional


def solver_callback(verbose: bool, total: int, description: str,
                    user_callback: Optional[Callable[[int, float], object]] = None):
    """A callback for the core and a function that closes the progress bar.

    With ``verbose`` a tqdm bar shows iterations and the objective (in a terminal or
    notebook; on a plain pipe the bar is not drawn). ``user_callback(iteration, objective)``
    may return False to stop the fit early.
    """
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        # disable=None: drawn in terminals and notebooks, silent on pipes and in CI logs.
        bar = tqdm(total=total, desc=description, leave=False, disable=None)

    if bar is None and user_callback is None:
        return None, lambda: None

    def callback(iteration: int, objective: float):
        if bar is not None:
            bar.update(iteration - bar.n)
            bar.set_postfix(objective=f"{objective:.6g}", refresh=False)
        if user_callback is not None:
            return user_callback(iteration, objective)
        return True

    return callback, (bar.close if bar is not None else (lambda: None))
