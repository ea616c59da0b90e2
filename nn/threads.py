"""Threads for training: how many (set_threads: training's policy on top of
autodiff.set_num_threads) and work split over a batch between them (over_batch, each_thread).

BLAS threads its large products itself. The memory-bound passes around them (im2col, col2im,
layout changes, pooling) are NumPy calls that release the GIL, so the convolution and pooling
kernels split them over the batch in a pool of threads() threads. An over_batch chunk never
calls BLAS (OpenBLAS serialises concurrent threaded calls). A pass of many small products
(col2im's, one per kernel tap) runs with each_thread instead: each thread its own part of the
batch, products included, with BLAS on one thread meanwhile. A part writes only its own slice
of the result, and a product's values do not depend on how its rows are split, so results are
bitwise the same whatever the thread count.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from autodiff.threads import blas_on_one_thread, chosen, set_num_threads

_pool = {"size": 0, "executor": None}
_pool_lock = threading.Lock()
_PREFIX = "autodiff-batch"  # the pool's thread names

# Below this many values a pass is not worth splitting between threads (handing a chunk to a
# thread costs tens of microseconds); a chunk of about CHUNK values stays in a core's cache.
WORTH_SPLITTING = 1 << 16
CHUNK = 1 << 18


def default_threads() -> int:
    """BLAS threads for training: AUTODIFF_THREADS if set, else the cores the load leaves free
    (at least 1): spinning BLAS threads on cores other processes use make a step several times
    slower, while one thread per free core never collapses."""
    value = os.environ.get("AUTODIFF_THREADS")
    if value:
        try:
            n = int(value)
        except ValueError:
            raise ValueError(
                f"AUTODIFF_THREADS: expected a positive integer, got {value!r}."
            ) from None
        if n < 1:
            raise ValueError(f"AUTODIFF_THREADS: expected a positive integer, got {n}.")
        return n
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:  # no load average on this system
        busy = 0.0
    return max(1, min(cores, int(cores - busy + 0.5)))


def set_threads(n=None) -> int:
    """Use n threads (None: default_threads()) for BLAS and the kernels' chunks for the rest of
    the process (autodiff.set_num_threads, which says when to call it); returns the count."""
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"set_threads: expected a positive int, got {n!r}.")
    n = default_threads() if n is None else n
    set_num_threads(n)
    return n


def threads():
    """The thread count set by set_threads() (or fit, or autodiff.set_num_threads), None if
    never set."""
    return chosen()


def over_batch(work, n: int, values: int) -> None:
    """Call work(start, stop) on consecutive chunks of range(n) that together cover it, each
    moving about CHUNK of the pass's `values` (so that it runs in cache), split between
    threads() threads at once (in this thread alone with one thread, or when the pass moves
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
    return min(threads() or 1, n) if values >= WORTH_SPLITTING else 1


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
