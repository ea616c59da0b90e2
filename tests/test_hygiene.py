"""The autouse fixture of conftest.py must notice each mode a test can leak (a check that cannot
fail is a defect): switch each one, ask the fixture's check, switch it back."""

import pytest
from conftest import _leaked_modes, _reset_modes

import autodiff as ad
from autodiff import grad_mode


def _grad_off():
    ad.set_grad_enabled(False)


def _anomaly_on():
    ad.detect_anomaly().__enter__()


def _formula_on():
    grad_mode._state.in_formula = True


def _trace_on():
    from autodiff import tracing

    tracing._state.tracer = object()


@pytest.mark.parametrize(
    "leak, named",
    [
        (_grad_off, "grad mode is off"),
        (_anomaly_on, "anomaly mode is on"),
        (_formula_on, "in_formula"),
        (_trace_on, "ad.compile trace"),
    ],
)
def test_each_leaked_mode_is_named_and_reset(leak, named):
    assert _leaked_modes() == []
    leak()
    try:
        leaks = _leaked_modes()
    finally:
        _reset_modes()
    assert len(leaks) == 1 and named in leaks[0]
    assert _leaked_modes() == []
