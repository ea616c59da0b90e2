"""Threads for training: how many (set_threads: training's policy on top of
autodiff.set_num_threads; AUTODIFF_THREADS, else the cores the load leaves free). The kernels
split their passes between that many threads with autodiff.threads.over_batch/each_thread.
"""

import os

from autodiff.threads import chosen, set_num_threads


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
