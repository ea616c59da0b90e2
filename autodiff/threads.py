"""Intra-op threads, as torch.set_num_threads / torch.get_num_threads: how many threads BLAS
runs a product on, and how many the nn kernels split a memory-bound pass between
(nn.threads.over_batch). A setting of the whole process, made only when asked (training's
policy, AUTODIFF_THREADS or the free cores, is nn.threads.set_threads).

Between two products those chunks, and any NumPy work, need the cores BLAS's threads just
used, so setting the count also has OpenBLAS's idle threads sleep soon (short_blas_spin).
"""

import contextlib
import ctypes
import os

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
