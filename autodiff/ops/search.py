"""Searching sorted values and counting: searchsorted, bucketize, bincount,
unique_consecutive. Their results are indices and counts (no gradient), but bincount's
weighted sums, which follow the weights' gradient."""

import numpy as np

from ..errors import ArgumentError, DtypeError, ShapeError
from ..tensor import Tensor
from .comparison import discrete
from .rearrange import index_add

__all__ = ["searchsorted", "bucketize", "bincount", "unique_consecutive", "unravel_index"]


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each value of input would go in sorted_sequence (sorted along its last dim) to
    keep it sorted: the first such place, or the last with right=True / side="right". A
    sequence of more dims searches row by row: its leading dims match input's."""
    if side not in (None, "left", "right"):
        raise ArgumentError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if right and side == "left":
        raise ArgumentError(
            f"searchsorted: side={side!r} and right=True contradict each other; give one"
        )
    seq = _tensor(sorted_sequence)
    values = _tensor(input)
    if seq.ndim == 0:
        raise ShapeError("searchsorted: the sorted sequence must have at least 1 dim, got 0-d")
    if seq.ndim > 1 and tuple(seq.shape[:-1]) != tuple(values.shape[:-1]):
        raise ShapeError(
            f"searchsorted: the sorted sequence must be 1-d or share its leading dims with "
            f"input, got shapes {tuple(seq.shape)} and {tuple(values.shape)}"
        )
    operands = [seq, values]
    if sorter is not None:
        order = _tensor(sorter)
        if tuple(order.shape) != tuple(seq.shape) or order.dtype.kind not in "iu":
            raise ShapeError(
                f"searchsorted: sorter must be integer indices of the sequence's shape "
                f"{tuple(seq.shape)}, got {order.dtype} of shape {tuple(order.shape)}"
            )
        operands.append(order)
    side = "right" if right or side == "right" else "left"
    dtype = np.int32 if out_int32 else np.int64
    return discrete(_search, *operands, side=side, dtype=dtype)


def _search(seq, values, sorter=None, *, side, dtype):
    if sorter is not None:
        if sorter.size and (sorter.min() < 0 or sorter.max() >= seq.shape[-1]):
            raise IndexError(
                f"searchsorted: sorter indices must lie in 0..{seq.shape[-1] - 1}, got "
                f"{sorter.min()}..{sorter.max()}"
            )
        seq = np.take_along_axis(seq, sorter, -1)
    if seq.ndim == 1:
        return np.searchsorted(seq, values, side).astype(dtype)
    out = np.empty(values.shape, dtype)
    for row in np.ndindex(seq.shape[:-1]):
        out[row] = np.searchsorted(seq[row], values[row], side)
    return out


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of input between 1-D sorted boundaries: i with
    boundaries[i-1] < x <= boundaries[i] (right=True: boundaries[i-1] <= x < boundaries[i])."""
    edges = _tensor(boundaries)
    if edges.ndim != 1:
        raise ShapeError(f"bucketize: boundaries must be 1-d, got shape {tuple(edges.shape)}")
    return searchsorted(edges, input, out_int32=out_int32, right=right)


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in a 1-d tensor of non-negative integers (int64),
    or the sum of weights at each (weights' float dtype; float64 for integer weights, as
    torch); at least minlength entries."""
    values = _tensor(input)
    if values.dtype.kind not in "iu":
        raise DtypeError(f"bincount: input must be integers, got dtype {values.dtype}")
    if minlength < 0:
        raise ArgumentError(f"bincount: minlength must be >= 0, got {minlength}")
    counts = values.numpy(force=True)  # the result's length depends on the values: a read
    if values.ndim != 1 or (counts.size and counts.min() < 0):
        raise ArgumentError(
            f"bincount: input must be a 1-d tensor of non-negative integers, got shape "
            f"{tuple(values.shape)}"
            + (f" with the value {counts.min()}" if values.ndim == 1 else "")
        )
    length = max(int(counts.max()) + 1 if counts.size else 0, minlength)
    if weights is None:
        return discrete(np.bincount, values, minlength=length)
    weights = _tensor(weights)
    if tuple(weights.shape) != tuple(values.shape):
        raise ShapeError(
            f"bincount: weights must be 1-d and as long as input ({values.shape[0]}), got "
            f"shape {tuple(weights.shape)}"
        )
    if weights.dtype.kind not in "f":
        weights = weights.double()
    zeros = Tensor._constant(np.zeros(length, weights.dtype))
    return index_add(zeros, 0, values, weights)  # the sums, differentiable in the weights


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """The values with each run of equal neighbours kept once (no gradient), and optionally
    the run each element is in (inverse, input's shape) and the runs' lengths (counts).
    With dim, runs of equal slices along dim."""
    values = _tensor(input)
    if dim is not None:
        if values.ndim == 0:
            raise IndexError(f"unique_consecutive: dim {dim} given for a 0-d tensor")
        if not -values.ndim <= dim < values.ndim:
            raise IndexError(
                f"unique_consecutive: dim {dim} is out of range for a tensor with "
                f"{values.ndim} dims"
            )
        dim %= values.ndim
    kept = discrete(_runs, values, dim=dim, part=0)
    out = [values.reshape(-1)[kept] if dim is None else values.index_select(dim, kept)]
    if return_inverse:
        out.append(discrete(_runs, values, dim=dim, part=1))
    if return_counts:
        out.append(discrete(_runs, values, dim=dim, part=2))
    out[0] = out[0].detach()  # as torch: no gradient flows back through the kept values
    return out[0] if len(out) == 1 else tuple(out)


def _runs(data, dim, part):
    """(first index of each run, run index of each element, run lengths)[part]."""
    rows = (
        data.reshape(1, -1)
        if dim is None
        else np.moveaxis(data, dim, 0).reshape(data.shape[dim], -1).T
    )
    n = rows.shape[1]
    starts = np.ones(n, bool)
    if n:
        starts[1:] = (rows[:, 1:] != rows[:, :-1]).any(axis=0)  # NaN != NaN: its own run
    if part == 0:
        return np.flatnonzero(starts).astype(np.int64)
    if part == 1:
        inverse = np.cumsum(starts) - 1
        return inverse.reshape(data.shape if dim is None else -1).astype(np.int64)
    return np.diff(np.append(np.flatnonzero(starts), n)).astype(np.int64)


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._of(np.asarray(x))


def unravel_index(indices, shape):
    """The coordinates of flat indices in a tensor of shape: one int64 tensor per dim, as
    torch (indices wrap around modulo the size, as torch's do)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
        what = indices.dtype if isinstance(indices, Tensor) else type(indices).__name__
        raise DtypeError(
            f"unravel_index: expected 'indices' to be integer dtype, but got {what}. Convert "
            "with .long()."
        )
    if any(n < 0 for n in shape):
        raise ArgumentError(f"unravel_index: 'shape' cannot have negative values, but got {shape}")
    return tuple(discrete(_coordinate, indices, shape=shape, dim=d) for d in range(len(shape)))


def _coordinate(flat: np.ndarray, shape: tuple, dim: int) -> np.ndarray:
    """The dim-th coordinate: (flat // the sizes after dim) mod the size of dim."""
    after = int(np.prod(shape[dim + 1 :], dtype=np.int64))
    size = shape[dim]
    if size == 0 or after == 0:  # an empty shape: no coordinate to give
        return np.zeros_like(flat, np.int64)
    return (flat.astype(np.int64) // after) % size
