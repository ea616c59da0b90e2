"""The C heap for training: freed arrays' memory kept for the next step (glibc only).

A training step allocates and frees the same large arrays every step. By default glibc hands
a freed heap top back to the kernel once twice its mmap threshold is free, and serves larger
requests with fresh pages, so every step faults its temporaries in again and the kernel
zeroes them: on this project's 2-core machine about 20,000 page faults and a third of a small
GPT's step (benchmarks/transformer_step.py), 6,000 faults and a tenth of the seeds' CNN step.
keep_freed_memory() serves requests up to 32 MiB (glibc's largest setting) from the heap and
keeps up to `limit` bytes of free heap top, so the next step reuses the same pages. The cost:
the resident size may stay up to `limit` above what is in use.

It is a setting of the whole process, so nothing here makes it on import: `autodiff run`,
`autodiff train` and nn.train.fit do (each says so), and a script calls it where it wants it.
"""

import ctypes
import sys

from autodiff.errors import ArgumentError

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
_HEAP_LARGEST = 32 * 2**20  # the largest mmap threshold glibc accepts on 64-bit systems
DEFAULT_LIMIT = 256 * 2**20


def keep_freed_memory(limit: int = DEFAULT_LIMIT) -> bool:
    """Keep up to `limit` bytes of freed memory in the heap for the next step. Returns whether
    the C library took the settings (False where it is not glibc: nothing changes there)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit < 2**31:
        raise ArgumentError(
            f"keep_freed_memory: limit must be a number of bytes from 0 to 2**31 - 1, got "
            f"{limit!r}."
        )
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # a C library without mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _HEAP_LARGEST)) and bool(
        mallopt(_M_TRIM_THRESHOLD, limit)
    )
