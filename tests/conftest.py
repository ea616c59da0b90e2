"""Hypothesis profiles (TESTING.md): dev by default, ci when CI is set, thorough on request;
and the hygiene fixture: no test may leave grad mode, anomaly mode, the formula flag or an
ad.compile trace switched; the lines_run fixture (operation counts instead of timers)."""

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


def _active_trace():
    """The ad.compile tracer running in this thread, or None. With _clear_trace, the one place
    the suite touches it: when the tracer moves (e.g. to a thread-local), change only these."""
    from autodiff import tracing

    return tracing.tracer()


def _clear_trace() -> None:
    from autodiff import tracing

    tracing._state.tracer = None


def _leaked_modes() -> list:
    """The global switches a test must leave as it found them, named where one is not."""
    import autodiff as ad
    from autodiff import grad_mode

    leaks = []
    if not ad.is_grad_enabled():
        leaks.append("grad mode is off (a no_grad or set_grad_enabled(False) was not undone)")
    if grad_mode.is_anomaly_enabled():
        leaks.append("anomaly mode is on (a detect_anomaly was not exited)")
    if grad_mode._state.in_formula:
        leaks.append("the engine's in_formula flag is set (a backward formula did not finish)")
    if _active_trace() is not None:
        leaks.append("an ad.compile trace is still active")
    return leaks


@pytest.fixture(autouse=True)
def _modes_restored():
    """After every test: grad mode on, anomaly off, no formula flag, no trace (TESTING.md,
    Test hygiene). A leak fails the test that made it, then is reset so others run clean."""
    yield
    leaks = _leaked_modes()
    if leaks:
        _reset_modes()
        pytest.fail("this test left a mode switched: " + "; ".join(leaks), pytrace=False)


def _reset_modes() -> None:
    from autodiff import grad_mode

    grad_mode._state.enabled = True
    grad_mode._state.anomaly = False
    grad_mode._state.in_formula = False
    _clear_trace()


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
