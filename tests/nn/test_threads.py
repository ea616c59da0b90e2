"""Threads for training: AUTODIFF_THREADS, the free cores, set_threads(), and work split over a
batch (the kernels' chunks give bitwise the results of one thread)."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import autodiff as ad
import nn
from autodiff import threads as engine_threads
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
        engine_threads._state["chosen"] = None


SPIN = """
import os, time, numpy as np
from nn import threads
threads.set_threads(2)
a = np.ones((512, 512), np.float32)
for _ in range(3):
    a @ a
began = time.process_time()
time.sleep(0.05)  # BLAS idle: does its second thread still burn a core?
print(os.environ["OPENBLAS_THREAD_TIMEOUT"], time.process_time() - began)
"""


@pytest.mark.parametrize("preset", [None, "28"])
def test_idle_blas_threads_sleep_soon_unless_the_user_says(preset):
    """OpenBLAS's idle threads spin about 0.1 s after a product (2**28 cycles): set_threads has
    them sleep after 2**16 cycles, so the kernels' chunks between products get the cores; a
    user's OPENBLAS_THREAD_TIMEOUT stays as set."""
    if not any(p["internal_api"] == "openblas" for p in threadpoolctl.threadpool_info()):
        pytest.skip("NumPy's BLAS is not OpenBLAS")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    env.update({"OPENBLAS_THREAD_TIMEOUT": preset} if preset else {})
    run = subprocess.run([sys.executable, "-c", SPIN], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    setting, idle_cpu = run.stdout.split()
    assert setting == (preset or engine_threads.BLAS_SPIN)
    if preset is None:  # spinning, the second thread would spend about the whole 0.05 s
        assert float(idle_cpu) < 0.02


def test_torch_names_set_and_get_the_thread_count():
    """torch.set_num_threads / get_num_threads (learners' scripts call them under `autodiff
    run`): the BLAS pool follows, and the kernels' chunks use the same count."""
    before = threadpoolctl.threadpool_info()
    try:
        ad.set_num_threads(1)
        assert ad.get_num_threads() == 1 and train.threads() == 1
        blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)
    finally:
        threadpoolctl.threadpool_limits(limits={p["prefix"]: p["num_threads"] for p in before})
        engine_threads._state["chosen"] = None
    blas = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert ad.get_num_threads() == max(blas)  # never set: BLAS's own count, as torch's default


@pytest.mark.parametrize(
    "value, words",
    [(0, "a positive integer, got 0"), (-2, "a positive integer, got -2"), (2.5, "an int, but got float"),
     ("2", "an int, but got str"), (True, "an int, but got bool")],
)  # fmt: skip
def test_set_num_threads_refuses_what_torch_refuses(value, words):
    with pytest.raises(RuntimeError, match=f"set_num_threads expects {words}"):
        ad.set_num_threads(value)
    assert engine_threads.chosen() is None


def test_set_threads_refuses_nonsense():
    with pytest.raises(ValueError, match="set_threads: expected a positive int"):
        train.set_threads(0)


def _one_step(seed=0):
    """Outputs and gradients of a conv-pool network on odd sizes: every chunked pass (im2col in
    both layouts, col2im, layout changes, max pooling forward and backward, relu and its
    masked gradient) takes part."""
    rng = np.random.default_rng(seed)
    x = ad.tensor(rng.standard_normal((7, 3, 13, 11)), requires_grad=True)
    ad.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1, dtype=ad.float64),  # 27 terms: per sample
        nn.ReLU(),
        nn.MaxPool2d(2, ceil_mode=True),
        nn.Conv2d(
            6, 8, (3, 2), stride=(1, 2), padding=(2, 1), dilation=(2, 1), groups=2, dtype=ad.float64
        ),  # fmt: skip
        nn.MaxPool2d(3, stride=2, padding=1),  # overlapping windows: the gradients add up
        nn.Conv2d(8, 16, 3, padding=1, dtype=ad.float64),  # 72 terms: rows over the batch
    )
    out = model(x)
    (out * out).sum().backward()
    return [out.detach().numpy(), x.grad.detach().numpy()] + [
        p.grad.detach().numpy() for p in model.parameters()
    ]


def test_chunks_and_threads_give_bitwise_the_result_of_one_pass(monkeypatch):
    whole = _one_step()
    monkeypatch.setitem(engine_threads._state, "chosen", 3)  # the kernels' chunks only, not BLAS
    monkeypatch.setattr(engine_threads, "WORTH_SPLITTING", 0)
    monkeypatch.setattr(engine_threads, "CHUNK", 50)  # about one sample per chunk
    split = _one_step()
    assert len(whole) == len(split) == 8
    for a, b in zip(whole, split):
        assert np.array_equal(a, b)


def test_over_batch_covers_the_batch_once_and_raises_a_chunks_error(monkeypatch):
    monkeypatch.setitem(engine_threads._state, "chosen", 3)
    seen = []
    engine_threads.over_batch(lambda a, b: seen.extend(range(a, b)), 10, 10**6)
    assert sorted(seen) == list(range(10))

    def failing(a, b):
        if a > 0:
            raise ValueError(f"chunk {a}")

    with pytest.raises(ValueError, match="chunk"):
        engine_threads.over_batch(failing, 10, 10**6)


def test_over_batch_inside_a_chunk_runs_in_place(monkeypatch):
    """A pass started from a chunk (a worker of the pool) runs in that chunk's thread, never
    waiting on the pool it belongs to."""
    monkeypatch.setitem(engine_threads._state, "chosen", 2)
    seen = []

    def outer(a, b):
        here = threading.current_thread()
        inner = []
        engine_threads.over_batch(lambda c, d: inner.append((c, d, threading.current_thread())), 4,
                            10**6)  # fmt: skip
        seen.append(a)
        assert sorted(i for c, d, _ in inner for i in range(c, d)) == [0, 1, 2, 3]
        if here.name.startswith("autodiff-batch"):  # a worker of the pool
            assert all(thread is here for *_, thread in inner)

    runner = threading.Thread(target=engine_threads.over_batch, args=(outer, 2, 10**6), daemon=True)
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive(), "over_batch deadlocked: a chunk waited on its own pool"
    assert sorted(seen) == [0, 1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_splits_with_its_own_pool(monkeypatch):
    """The parent's pool threads do not exist in a forked child: it starts its own."""
    monkeypatch.setitem(engine_threads._state, "chosen", 2)
    engine_threads.over_batch(lambda a, b: None, 4, 10**6)  # the parent's pool exists now
    pid = os.fork()
    if pid == 0:  # the child: exit 0 if a split pass completes
        seen = []
        engine_threads.over_batch(lambda a, b: seen.extend(range(a, b)), 4, 10**6)
        os._exit(0 if sorted(seen) == [0, 1, 2, 3] else 1)
    for _ in range(300):  # at most 30 s: a hang is a failure, not a stuck test run
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("over_batch hung in a forked child")
    assert os.waitstatus_to_exitcode(status) == 0


def test_each_thread_runs_parts_side_by_side_with_blas_on_one_thread(monkeypatch):
    """each_thread covers the batch once, in one part per thread; inside the parts BLAS runs
    on one thread, after them on the count before; a part's error is raised."""
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    monkeypatch.setitem(engine_threads._state, "chosen", 3)
    with threadpoolctl.threadpool_limits(2, user_api="blas"):  # BLAS threaded, as in training
        _each_thread_checks(blas_threads)


def _each_thread_checks(blas_threads):
    before, seen, inside = blas_threads(), [], []
    assert before and all(count == 2 for count in before)

    def part(a, b):
        seen.append((a, b))
        inside.append(blas_threads())

    engine_threads.each_thread(part, 10, 10**6)
    assert sorted(seen) == [(0, 3), (3, 6), (6, 10)]
    assert all(counts == [1] * len(before) for counts in inside) and blas_threads() == before
    engine_threads.each_thread(part, 10, 10)  # too little to split: one part, BLAS untouched
    assert seen[-1] == (0, 10) and inside[-1] == before

    def failing(a, b):
        if a > 0:
            raise ValueError(f"part {a}")

    with pytest.raises(ValueError, match="part"):
        engine_threads.each_thread(failing, 10, 10**6)
    assert blas_threads() == before
