"""Arrays that other processes map too: Tensor.share_memory_() and torch.multiprocessing.

A shared array lives in an anonymous file (memfd on Linux, an unlinked temporary file
elsewhere) mapped into this process. Sending one to another process sends a duplicate of
the file's descriptor, which multiprocessing passes as it passes a pipe, and the receiver maps
the same pages: an in-place update in one process is seen by all of them, which is what
Hogwild training relies on. Nothing is named in the file system, so nothing is left behind: the
pages go when the last process that maps them lets go.
"""

import mmap
import os
import tempfile
import weakref

import numpy as np

from . import storage


class _Mapping(mmap.mmap):
    """A shared mapping that keeps its file's descriptor, to hand to another process."""


def _mapping(fd: int, size: int) -> _Mapping:
    mapping = _Mapping(fd, size)
    mapping.fd = fd
    weakref.finalize(mapping, os.close, fd)
    return mapping


def _anonymous_file(size: int) -> int:
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("autodiff-shared")
    else:  # no memfd: a temporary file, unlinked at once (only its descriptor refers to it)
        fd, path = tempfile.mkstemp(prefix="autodiff-shared-")
        os.unlink(path)
    os.ftruncate(fd, size)
    return fd


def _mapping_of(array: np.ndarray):
    """The mapping array's memory belongs to, if it is one of ours."""
    owner = storage.root(array).base
    return owner if isinstance(owner, _Mapping) else None


def is_shared(array: np.ndarray) -> bool:
    return _mapping_of(array) is not None


def _dense(array: np.ndarray) -> bool:
    """Whether array's elements fill exactly the memory from its first element on, in some
    order of its dimensions (row-major, channels_last, transposed)."""
    span = sum((n - 1) * s for n, s in zip(array.shape, array.strides)) + array.itemsize
    return array.size > 0 and min(array.strides, default=0) >= 0 and span == array.nbytes


def share(array: np.ndarray) -> np.ndarray:
    """array in shared memory. As torch moves a view's whole storage, the array that owns
    array's memory is copied (with its own strides) and array becomes the same view of the
    copy; memory no single dense array owns (a broadcast) is copied row-major instead."""
    root = storage.root(array)
    if not _dense(root):
        root = array = np.ascontiguousarray(array)
    size = max(root.nbytes, 1)  # a mapping cannot be empty
    mapping = _mapping(_anonymous_file(size), size)
    np.ndarray(root.shape, root.dtype, mapping, 0, root.strides)[...] = root
    offset = storage.data_ptr(array) - storage.data_ptr(root) if array.size else 0
    return np.ndarray(array.shape, array.dtype, mapping, offset, array.strides)


def reduce(array: np.ndarray):
    """How multiprocessing sends a shared array: the file's descriptor and where in it the
    array's elements lie."""
    from multiprocessing.reduction import DupFd  # imported only when processes are used

    mapping = _mapping_of(array)
    start = np.frombuffer(mapping, np.uint8).__array_interface__["data"][0]
    offset = array.__array_interface__["data"][0] - start
    layout = (array.dtype.str, array.shape, array.strides, offset)
    return rebuild, (DupFd(mapping.fd), len(mapping), *layout)


def rebuild(dup_fd, size, dtype, shape, strides, offset) -> np.ndarray:
    """The receiving side of reduce: the same pages, mapped into this process."""
    return np.ndarray(shape, dtype, _mapping(dup_fd.detach(), size), offset, strides)
