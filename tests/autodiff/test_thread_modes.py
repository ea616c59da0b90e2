"""Anomaly mode and viz.record() are per thread, like grad mode: one thread's switch never
reaches another, and a backward in one thread cannot leave the mode on for good."""

import threading

import numpy as np
import pytest

import autodiff as ad
import viz


def _in_thread(fn):
    result = {}

    def run():
        try:
            result["value"] = fn()
        except BaseException as e:  # handed back to the test's thread
            result["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_anomaly_mode_is_per_thread():
    x = ad.tensor([-1.0], requires_grad=True)
    with ad.detect_anomaly():
        with pytest.raises(RuntimeError, match="log"):
            ad.sqrt(x).log()
        assert _in_thread(ad.autograd.is_anomaly_enabled) is False
        assert _in_thread(
            lambda: bool(np.isnan(ad.sqrt(x).detach().numpy()).all())
        )  # no error there
    assert not ad.autograd.is_anomaly_enabled()


def test_a_thread_leaving_anomaly_mode_while_another_runs_backward():
    entered, leave = threading.Event(), threading.Event()

    def other():
        with ad.detect_anomaly():
            entered.set()
            leave.wait(5)

    t = threading.Thread(target=other)
    t.start()
    entered.wait(5)
    x = ad.tensor([2.0], requires_grad=True)
    (x * x).sum().backward()  # this thread's backward: its mode was never on
    assert not ad.autograd.is_anomaly_enabled()
    leave.set()
    t.join()
    assert not ad.autograd.is_anomaly_enabled()
    with ad.detect_anomaly():
        y = ad.tensor([1.0], requires_grad=True)
        (y.sqrt() * 2).sum().backward()  # the mode still works after the other thread left
    assert not ad.autograd.is_anomaly_enabled()


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # sqrt'(0): the point
def test_the_backward_node_is_blamed_and_the_mode_restored_after_an_error():
    x = ad.tensor([0.0], requires_grad=True)
    with ad.detect_anomaly():
        y = x.sqrt()
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            y.sum().backward()
        assert ad.autograd.is_anomaly_enabled()
    assert not ad.autograd.is_anomaly_enabled()


def test_viz_record_is_per_thread():
    big = ad.ones(100, requires_grad=True)
    with viz.record():
        kept = (big * 2).grad_fn.value
        elsewhere = _in_thread(lambda: (big * 2).grad_fn.value)
    assert kept is not None and elsewhere is None
