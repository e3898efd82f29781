"""The bad-input battery of issue 13 (tests/bad_input_cases.py), each case run in a worker
process so that a crash or a hang fails that case only: every bad argument gives a ValueError
or TypeError naming it, and every boundary call that must work gives finite results.

The workers run all cases once per session (two at a time); each case is then one test.
`python tests/bad_input_cases.py [--python PY]` prints the outcome counts.
"""
import sys

import pytest

from bad_input_cases import CASES
from bad_input_runner import run_all


@pytest.fixture(scope="module")
def outcomes():
    return run_all([c.name for c in CASES], python=sys.executable, jobs=2)


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_bad_input(outcomes, name):
    outcome, detail = outcomes[name]
    assert outcome == "ok", f"{outcome}: {detail}"
