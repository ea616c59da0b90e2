"""Hypothesis profiles (TESTING.md): dev by default, ci when CI is set, thorough on request;
the lines_run fixture (operation counts instead of timers)."""

import os
import sys

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile(
    "ci",
    parent=settings.get_profile("ci"),
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def lines_run():
    """Count the Python lines a call runs: an operation count for "linear, not quadratic" and
    "refused before any work" checks, which, unlike a timer, the machine's load cannot change.
    Returns count(fn, *args) -> (lines, result)."""

    def count(fn, *args):
        lines = 0

        def tracer(frame, event, arg):
            nonlocal lines
            lines += event == "line"
            return tracer

        sys.settrace(tracer)
        try:
            result = fn(*args)
        finally:
            sys.settrace(None)
        return lines, result

    return count
