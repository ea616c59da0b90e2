"""as_strided: a view by size, stride and storage offset over a tensor's storage (torch's
as_strided, the im2col idiom), its in-place form as_strided_ and as_strided_scatter.

The storage is the NumPy array that owns the tensor's memory (storage.root), so the view shares
memory with the tensor and with every other view of it, as torch's does. Its gradient is torch's
AsStridedBackward0: the output's gradient added into a zero storage (overlapping windows add),
read back at the input's positions. A view whose windows may overlap is read-only: a write
through it would change one memory location several times (torch leaves that undefined)."""

import numpy as np

from .. import storage, tracing
from ..device import contiguous_format, is_dense, stride_order
from ..function import Function
from ..tensor import Tensor
from .indexing import IndexAdd
from .inplace import reshape_
from .shape import Clone

__all__ = ["as_strided", "as_strided_", "as_strided_scatter"]


def _ints(op: str, name: str, values) -> tuple:
    try:
        values = tuple(values)
    except TypeError:
        raise TypeError(
            f"{op}(): argument '{name}' must be a tuple of ints, not {values!r}."
        ) from None
    return tuple(_int(op, v, name) for v in values)


def _int(op: str, value, name: str = "storage_offset") -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{op}(): argument '{name}' must be int(s), not {value!r}.")
    return int(value)


def _place(array: np.ndarray) -> tuple:
    """(storage, offset, strides) of array, in elements of its dtype."""
    root = storage.root(array)
    start = storage.data_ptr(array) - storage.data_ptr(root) if array.size else 0
    return root, start // array.itemsize, tuple(s // array.itemsize for s in array.strides)


def _check(op: str, array: np.ndarray, size: tuple, stride: tuple, offset: int) -> None:
    """torch's checks of the geometry, with torch's messages (RuntimeError)."""
    if len(size) != len(stride):
        raise RuntimeError(f"{op}: mismatch in length of strides and shape ({size}, {stride}).")
    if any(s < 0 for s in stride):
        raise RuntimeError(
            f"{op}: Negative strides are not supported at the moment, got strides: {list(stride)}"
        )
    if any(n < 0 for n in size):
        raise RuntimeError(f"{op}: Trying to create tensor with negative dimension: {list(size)}")
    if offset < 0:
        raise RuntimeError(f"{op}: Tensor: invalid storage offset {offset}")
    itemsize, have = array.itemsize, storage.root(array).nbytes
    need = 0 if 0 in size else (offset + 1 + sum((n - 1) * s for n, s in zip(size, stride)))
    if need * itemsize > have:
        raise RuntimeError(
            f"{op}: setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
            f"{offset}, and itemsize {itemsize} requiring a storage size of {need * itemsize} "
            f"are out of bounds for storage of size {have}"
        )


def may_overlap(size: tuple, stride: tuple) -> bool:
    """Whether two elements of the geometry may share a location: each stride, smallest first,
    must step over everything the smaller ones reach (a sufficient test, as torch's)."""
    reach = 0
    for s, n in sorted((s, n) for n, s in zip(size, stride) if n > 1):
        if s <= reach:
            return True
        reach += s * (n - 1)
    return False


def _indices(size: tuple, stride: tuple, offset: int) -> np.ndarray:
    """Each element's position in the storage."""
    index = np.full(size, offset, dtype=np.int64)
    for dim, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[dim] = n
        index = index + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return index


def _view(array: np.ndarray, size: tuple, stride: tuple, offset: int) -> np.ndarray:
    root, _, _ = _place(array)
    if not (root.flags.c_contiguous or root.flags.f_contiguous):
        raise NotImplementedError(
            "as_strided: this tensor's memory is not one contiguous block here (a NumPy "
            "array made by stride tricks?). Call .clone() first."
        )
    itemsize = array.itemsize
    if 0 in size:  # nothing to read: any strides (its offset is not kept)
        strides = tuple(s * itemsize for s in stride)
        return np.lib.stride_tricks.as_strided(np.empty(0, array.dtype), size, strides)
    view = np.ndarray(size, array.dtype, buffer=root, offset=offset * itemsize,
                      strides=tuple(s * itemsize for s in stride))  # fmt: skip
    if may_overlap(size, stride) or not array.flags.writeable:
        view.flags.writeable = False
    return view


class AsStrided(Function):
    """input's storage read by another geometry; the gradient is torch's as_strided_backward."""

    node_name = "AsStridedBackward0"
    view = True
    symbol = "as_strided"
    reads_storage = True  # a view of the storage, not of input's elements (CopySlices)

    @staticmethod
    def forward(ctx, input, size, stride, storage_offset):
        _, offset, strides = _place(input)
        ctx.input_geometry = (input.shape, strides, offset)
        return _view(input, size, stride, storage_offset)

    @staticmethod
    def backward(ctx, grad):
        o = ctx.options
        shape, strides, offset = ctx.input_geometry
        return _strided_backward(grad, (o["size"], o["stride"], o["storage_offset"]),
                                 (shape, strides, offset))  # fmt: skip


def _strided_backward(grad, out_geometry, in_geometry):
    """grad added into a zero storage at the output's positions, read at the input's; where
    the input itself overlaps, each location's sum is shared among its readers (torch's)."""
    out_index = _indices(*out_geometry)
    in_index = _indices(*in_geometry)
    length = int(max(out_index.max(initial=-1), in_index.max(initial=-1))) + 1
    buffer = IndexAdd.apply(grad, index=out_index, shape=(length,))
    if may_overlap(in_geometry[0], in_geometry[1]):
        count = np.bincount(in_index.reshape(-1), minlength=length).clip(min=1)
        buffer = buffer / Tensor._make(count.astype(grad.dtype))
    return buffer[in_index]


def as_strided(input, size, stride, storage_offset=None):
    """A view of input's storage with the given size and stride from storage_offset (default:
    input's own offset), as torch.as_strided."""
    size, stride = _ints("as_strided", "size", size), _ints("as_strided", "stride", stride)
    # the view's options come from where input's array sits in its storage, which a replay
    # would not look at again for its own input: ad.compile refuses it
    tracing.read(input, "as_strided()", "where a tensor's array sits in its storage")
    array = input._data
    offset = _place(array)[1] if storage_offset is None else _int("as_strided", storage_offset)
    _check("as_strided", array, size, stride, offset)
    view = AsStrided.apply(input, size=size, stride=stride, storage_offset=offset)
    base = view._base
    if base is not None and not _storage_laid(base._data):
        view._data.flags.writeable = False  # a write's CopySlices lays the base out in C order
    return view


def _storage_laid(array: np.ndarray) -> bool:
    """array is its whole storage in C order (a fresh array of its shape is laid out alike)."""
    root = storage.root(array)
    return array.flags.c_contiguous and array.nbytes == root.nbytes and (
        storage.data_ptr(array) == storage.data_ptr(root))  # fmt: skip


def as_strided_(input, size, stride, storage_offset=None):
    """input becomes the view as_strided(input, size, stride, storage_offset) of its storage
    (AsStridedBackward1, as torch)."""
    return reshape_(input, "as_strided_", "AsStridedBackward1", as_strided, size, stride,
                    storage_offset)  # fmt: skip


def _dense_order(array: np.ndarray) -> tuple:
    """The axes from the largest stride to the smallest where array is dense (torch's clone
    keeps such a layout), else the axes in order."""
    return stride_order(array.strides) if is_dense(array) else tuple(range(array.ndim))


def _inverse(order: tuple) -> tuple:
    return tuple(int(a) for a in np.argsort(order))


class AsStridedScatter(Function):
    """A copy of input (laid out as torch's clone) whose as_strided window holds src."""

    node_name = "AsStridedScatterBackward0"
    symbol = "as_strided="

    @staticmethod
    def forward(ctx, input, src, size, stride, storage_offset):
        order = _dense_order(input)
        ctx.order = order
        out = np.array(input.transpose(order), order="C").transpose(_inverse(order))
        window = _view(out, size, stride, storage_offset)
        if not window.flags.writeable:
            raise RuntimeError(
                f"as_strided_scatter: the window (size {list(size)}, stride {list(stride)}) "
                "has elements that share a memory location, so which value of src lands there "
                "is undefined. Use a geometry without overlap."
            )
        window[...] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        o = ctx.options
        geometry = (o["size"], o["stride"], o["storage_offset"])
        order = ctx.order
        # the gradient laid out as the output was: its storage positions are the output's
        laid = Clone.apply(grad.permute(order), memory_format=contiguous_format)
        laid = laid.permute(_inverse(order))
        need = ctx.needs_input_grad
        grad_input = AsStridedScatter.apply(laid, 0.0, **dict(zip(_GEOMETRY, geometry)))
        grad_src = as_strided(laid, *geometry) if need[1] else None
        return grad_input if need[0] else None, grad_src


_GEOMETRY = ("size", "stride", "storage_offset")


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """input with the elements of input.as_strided(size, stride, storage_offset) replaced by
    src, in fresh storage (as torch's: laid out as input.clone(), offset 0 by default)."""
    op = "as_strided_scatter"
    size, stride = _ints(op, "size", size), _ints(op, "stride", stride)
    offset = 0 if storage_offset is None else _int(op, storage_offset)
    if tuple(src.shape) != size:
        raise RuntimeError(
            f"{op}: expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(size)}"
        )
    scratch = np.empty(input.shape, input.dtype)  # the output's storage: input's elements
    _check(op, scratch, size, stride, offset)
    return AsStridedScatter.apply(input, src, size=size, stride=stride, storage_offset=offset)
