"""Intra-op threads, as torch.set_num_threads / torch.get_num_threads: how many threads BLAS
runs a product on, and how many a memory-bound pass is split between. A setting of the whole
process, made only when asked (training's policy, AUTODIFF_THREADS or the free cores, is
nn.threads.set_threads).

BLAS threads its large products itself. The memory-bound passes around them (im2col, col2im,
layout changes, pooling, a large activation and its masked gradient) are NumPy calls that
release the GIL, so the kernels split them into chunks between chosen() threads (over_batch).
An over_batch chunk never calls BLAS (OpenBLAS serialises concurrent threaded calls). A pass of
many small products (col2im's, one per kernel tap) runs with each_thread instead: each thread
its own part of the batch, products included, with BLAS on one thread meanwhile. A part writes
only its own slice of the result, and a product's values do not depend on how its rows are
split, so results are bitwise the same whatever the thread count.

Between two products those chunks, and any NumPy work, need the cores BLAS's threads just
used, so setting the count also has OpenBLAS's idle threads sleep soon (short_blas_spin).
"""

import contextlib
import ctypes
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

_state = {"chosen": None, "limits": None, "interop": None, "controller": None}

# OpenBLAS's idle threads spin for 2**28 cycles (about 0.1 s) waiting for the next product
# before they sleep; what runs between two products then shares a core with a spinning
# thread. The seeds' CNN on 2 threads: 88 ms a step, 75 ms with 2**16 cycles (about 25 us;
# 2**13 and 2**20 cycles measured 77 and 78 ms); nanoGPT's CPU recipe on OpenBLAS's 2 default
# threads under `autodiff run`, the machine shared: 112-119 ms, 81-85 ms. The price:
# back-to-back products with little between them (an MLP step on 2 threads, the machine
# otherwise idle) wait for the thread to wake, 5-10 % slower.
BLAS_SPIN = "16"


def set_num_threads(n) -> None:
    """torch.set_num_threads: BLAS products and the nn kernels' chunks use n threads from now
    on (threadpoolctl; the limit holds for the rest of the process). Call it before training,
    while no other thread runs a BLAS product: it restarts OpenBLAS's threads."""
    if isinstance(n, bool) or not isinstance(n, int):  # RuntimeError, as torch raises
        raise RuntimeError(
            f"set_num_threads expects an int, but got {type(n).__name__} ({n!r}); pass a whole "
            "number of threads, e.g. torch.set_num_threads(2)."
        )
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}.")
    from threadpoolctl import threadpool_limits

    _state["limits"] = threadpool_limits(limits=n)  # kept: the limit holds until changed
    _state["chosen"] = n
    short_blas_spin()


def get_num_threads() -> int:
    """torch.get_num_threads: the count set_num_threads chose, else BLAS's own (by default
    every core, as torch's)."""
    if _state["chosen"] is not None:
        return _state["chosen"]
    from threadpoolctl import threadpool_info

    return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1)


def set_num_interop_threads(n) -> None:
    """torch.set_num_interop_threads: the number of threads torch would run independent ops
    on side by side, kept and reported back. Ops here run one after another on the calling
    thread, so the count changes nothing; torch's refusal once parallel work has started
    (a RuntimeError there) has no cause here."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(
            f"set_num_interop_threads expects an int, but got {type(n).__name__} ({n!r})"
        )
    if n < 1:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {n}")
    _state["interop"] = n


def get_num_interop_threads() -> int:
    """torch.get_num_interop_threads: the count set, else the cores (torch's default)."""
    return _state["interop"] or os.cpu_count() or 1


def chosen():
    """The count set_num_threads chose, None if it was never called."""
    return _state["chosen"]


@contextlib.contextmanager
def blas_on_one_thread():
    """Inside the block BLAS runs each product on its calling thread alone (several threads
    then run their own products side by side), after it on the count before. A setting of the
    process: a product another thread starts meanwhile runs on one thread too."""
    from threadpoolctl import ThreadpoolController

    if _state["controller"] is None:  # made once NumPy has loaded its BLAS
        _state["controller"] = ThreadpoolController()
    with _state["controller"].limit(limits=1, user_api="blas"):
        yield


def short_blas_spin() -> None:
    """OPENBLAS_THREAD_TIMEOUT=BLAS_SPIN unless the user set it. OpenBLAS reads it when it
    starts its threads, so it is read again and the threads restarted (as OpenBLAS's own fork
    handler restarts them; the next product starts them anew). Nothing where the OpenBLAS
    build lacks those entry points or another BLAS is loaded."""
    if "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return  # the user's, or already done
    from threadpoolctl import ThreadpoolController

    libraries = [
        ctypes.CDLL(c.filepath)
        for c in ThreadpoolController().lib_controllers
        if c.internal_api == "openblas"
    ]
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = BLAS_SPIN
    for lib in libraries:
        if hasattr(lib, "openblas_read_env") and hasattr(lib, "blas_thread_shutdown_"):
            lib.openblas_read_env()
            lib.blas_thread_shutdown_()


# --- passes split between threads ----------------------------------------------------------
_pool = {"size": 0, "executor": None}
_pool_lock = threading.Lock()
_PREFIX = "autodiff-batch"  # the pool's thread names

# Below this many values a pass is not worth splitting between threads (handing a chunk to a
# thread costs tens of microseconds); a chunk of about CHUNK values stays in a core's cache.
WORTH_SPLITTING = 1 << 16
CHUNK = 1 << 18


def over_batch(work, n: int, values: int) -> None:
    """Call work(start, stop) on consecutive chunks of range(n) that together cover it, each
    moving about CHUNK of the pass's `values` (so that it runs in cache), split between
    chosen() threads at once (in this thread alone with one thread, or when the pass moves
    fewer than WORTH_SPLITTING values). work must write only its own chunk's slice."""
    step = samples_per_chunk(n, values)

    def part(start, stop):
        for a in range(start, stop, step):
            work(a, min(a + step, stop))

    _in_parts(part, n, _count(n, values))


def samples_per_chunk(n: int, values: int) -> int:
    """How many of a pass's n samples make a chunk of about CHUNK of its `values` values (one
    that stays in a core's cache)."""
    return max(1, n * CHUNK // max(values, 1))


def each_thread(work, n: int, values: int) -> None:
    """Call work(start, stop) once per thread on consecutive parts of range(n) that together
    cover them, all at once, with BLAS on one thread meanwhile, so that each part's products
    run side by side with the others' (a product threaded by BLAS itself waits on its threads,
    which for many small products costs more than they save). In this thread alone with one
    thread, or for fewer than WORTH_SPLITTING values. work must write only its own part."""
    count = _count(n, values)
    if count == 1:
        work(0, n)
        return
    with blas_on_one_thread():
        _in_parts(work, n, count)


def _count(n: int, values: int) -> int:
    """How many threads a pass over n samples moving `values` values is split between."""
    if threading.current_thread().name.startswith(_PREFIX):
        return 1  # already a chunk: waiting on the pool from inside it could deadlock
    return min(chosen() or 1, n) if values >= WORTH_SPLITTING else 1


def _in_parts(part, n: int, count: int) -> None:
    """part(start, stop) on count consecutive parts of range(n), the first in this thread."""
    if count == 1:
        part(0, n)
        return
    bounds = [n * k // count for k in range(count + 1)]
    executor = _executor(count - 1)
    others = [executor.submit(part, a, b) for a, b in zip(bounds[1:-1], bounds[2:])]
    try:
        part(bounds[0], bounds[1])
    finally:  # no part may still be writing when the caller goes on, or handles an error
        wait(others)
    for chunk in others:
        chunk.result()  # a part's error, raised here


def _forget_pool() -> None:
    """In a forked child: the parent's pool threads do not exist there, so start afresh."""
    global _pool_lock
    _pool_lock = threading.Lock()
    _pool.update(size=0, executor=None)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _executor(size: int) -> ThreadPoolExecutor:
    """The pool's executor with `size` workers (this thread takes the first chunk itself)."""
    with _pool_lock:
        if _pool["size"] != size:
            if _pool["executor"] is not None:
                _pool["executor"].shutdown(wait=False)
            _pool["executor"] = ThreadPoolExecutor(size, thread_name_prefix=_PREFIX)
            _pool["size"] = size
        return _pool["executor"]
