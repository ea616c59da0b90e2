"""Threads for training: AUTODIFF_THREADS, the free cores, set_threads(), and work split over a
batch (the kernels' chunks give bitwise the results of one thread)."""

import pytest

from nn import threads as settings
from nn import train

threadpoolctl = pytest.importorskip("threadpoolctl")


def test_environment_override(monkeypatch):
    monkeypatch.setenv("AUTODIFF_THREADS", "3")
    assert train.default_threads() == 3


@pytest.mark.parametrize("value", ["zero", "0", "-2"])
def test_bad_environment_value_is_refused(monkeypatch, value):
    monkeypatch.setenv("AUTODIFF_THREADS", value)
    with pytest.raises(ValueError, match="AUTODIFF_THREADS: expected a positive integer"):
        train.default_threads()


def test_default_leaves_loaded_cores_alone(monkeypatch):
    monkeypatch.delenv("AUTODIFF_THREADS", raising=False)
    monkeypatch.setattr(settings.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(settings.os, "getloadavg", lambda: (2.6, 0.0, 0.0))
    assert train.default_threads() == 1
    monkeypatch.setattr(settings.os, "getloadavg", lambda: (0.2, 0.0, 0.0))
    assert train.default_threads() == 4
    monkeypatch.setattr(settings.os, "getloadavg", lambda: (9.0, 0.0, 0.0))
    assert train.default_threads() == 1


def test_set_threads_limits_the_blas_pool():
    before = threadpoolctl.threadpool_info()
    try:
        assert train.set_threads(1) == 1 and train.threads() == 1
        blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)
    finally:
        threadpoolctl.threadpool_limits(limits={p["prefix"]: p["num_threads"] for p in before})
        settings._threads["chosen"] = None


def test_set_threads_refuses_nonsense():
    with pytest.raises(ValueError, match="set_threads: expected a positive int"):
        train.set_threads(0)
