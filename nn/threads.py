"""Threads for training: how many (set_threads: training's policy on top of
autodiff.set_num_threads) and work split over a batch, one chunk per thread (over_batch).

BLAS threads its large products itself. The memory-bound passes around them (im2col, col2im,
layout changes, pooling) are NumPy calls that release the GIL, so the convolution and pooling
kernels split them over the batch in a pool of threads() threads. A chunk never calls BLAS
(OpenBLAS serialises concurrent threaded calls, and some versions corrupt them) and writes only
its own slice of the result, so results are bitwise the same whatever the thread count.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from autodiff.threads import chosen, set_num_threads

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
    step = max(1, n * CHUNK // max(values, 1))
    count = min(threads() or 1, n) if values >= WORTH_SPLITTING else 1
    if threading.current_thread().name.startswith(_PREFIX):
        count = 1  # already a chunk: waiting on the pool from inside it could deadlock
    bounds = [n * k // count for k in range(count + 1)]

    def part(start, stop):
        for a in range(start, stop, step):
            work(a, min(a + step, stop))

    if count == 1:
        part(0, n)
        return
    executor = _executor(count - 1)
    others = [executor.submit(part, a, b) for a, b in zip(bounds[1:-1], bounds[2:])]
    try:
        part(bounds[0], bounds[1])
    finally:  # no chunk may still be writing when the caller goes on, or handles an error
        wait(others)
    for chunk in others:
        chunk.result()  # a chunk's error, raised here


def batch_chunks(n: int, values: int) -> list:
    """(start, stop) chunks of range(n) for a pass over `values` values that alternates with
    BLAS calls: each chunk about CHUNK values per thread, so that over_batch's share of it for
    every thread stays in cache."""
    step = max(1, n * CHUNK * (threads() or 1) // max(values, 1))
    return [(a, min(a + step, n)) for a in range(0, n, step)]


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
