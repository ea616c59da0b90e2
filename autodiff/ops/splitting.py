"""Splitting and windows: tensor_split, hsplit/vsplit/dsplit, split_with_sizes, unfold (sliding
windows as a view), unflatten, take, narrow_copy, diagflat, sum_to_size, adjoint. Pieces are
slices of the input (SliceBackward0, as torch's tensor_split records)."""

import builtins

import numpy as np

from ..errors import ArgumentError, DtypeError, IndexOutOfRangeError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .indexing import IndexAdd
from .matrix import diag_embed
from .rearrange import split
from .reduction import sum
from .shape import _check_dim, reshape, transpose

__all__ = ["tensor_split", "hsplit", "vsplit", "dsplit", "split_with_sizes", "unflatten"]
__all__ += [
    "take",
    "put",
    "narrow_copy",
    "diagflat",
    "adjoint",
]  # the public ops: autodiff exports these


def _slice(input, axis: int, start: int, stop: int):
    return input[(slice(None),) * axis + (slice(start, stop),)]


def tensor_split(input, indices_or_sections, dim=0):
    """Views along dim: `n` pieces as equal as can be (the first ones one longer), or the
    pieces between the indices listed (empty where an index is below the one before)."""
    axis = _check_dim(dim, builtins.max(input.ndim, 1), "tensor_split")
    n = input.shape[axis]
    split_at = indices_or_sections
    if isinstance(split_at, Tensor):
        if split_at.dtype.kind not in "iu" or split_at.ndim > 1:
            raise DtypeError(
                "tensor_split: a tensor of indices_or_sections must be a 0-d or 1-d integer "
                f"tensor (got {split_at.dtype}, shape {tuple(split_at.shape)})."
            )
        split_at = split_at.tolist()
    if isinstance(split_at, int):
        if split_at <= 0:
            raise ArgumentError(
                f"tensor_split: number of sections must be larger than 0, got {split_at}"
            )
        size, extra = divmod(n, split_at)
        bounds = np.cumsum([0] + [size + (i < extra) for i in range(split_at)]).tolist()
    else:
        bounds = [0, *split_at, n]
    return tuple(_slice(input, axis, a, b) for a, b in zip(bounds, bounds[1:]))


def _split_along(op: str, input, indices_or_sections, axis: int):
    """torch's hsplit/vsplit/dsplit: tensor_split, where a number of sections must divide."""
    if isinstance(indices_or_sections, int):
        n = input.shape[axis]
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ShapeError(
                f"{op}: attempted to split along dimension {axis}, but the size of the "
                f"dimension {n} is not divisible by the split_size {indices_or_sections}. "
                "Give a number that divides it, or a list of indices."
            )
    return tensor_split(input, indices_or_sections, axis)


def _at_least(op: str, input, ndim: int) -> None:
    if input.ndim < ndim:
        raise ShapeError(
            f"{op}: requires a tensor with at least {ndim} dimensions, but got a tensor with "
            f"{input.ndim} dimensions (shape {tuple(input.shape)})."
        )


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 of a 1-d tensor)."""
    _at_least("hsplit", input, 1)
    return _split_along("hsplit", input, indices_or_sections, 0 if input.ndim == 1 else 1)


def vsplit(input, indices_or_sections):
    """Split along dim 0 (at least 2 dims)."""
    _at_least("vsplit", input, 2)
    return _split_along("vsplit", input, indices_or_sections, 0)


def dsplit(input, indices_or_sections):
    """Split along dim 2 (at least 3 dims)."""
    _at_least("dsplit", input, 3)
    return _split_along("dsplit", input, indices_or_sections, 2)


def split_with_sizes(input, split_sizes, dim=0):
    """Views of the sizes listed along dim, which must add up to its size."""
    axis = _check_dim(dim, builtins.max(input.ndim, 1), "split_with_sizes")
    if builtins.sum(split_sizes) != input.shape[axis]:
        raise ShapeError(
            f"split_with_sizes: expects split_sizes to sum exactly to {input.shape[axis]} "
            f"(the size of dim {axis}), but got split_sizes={list(split_sizes)}."
        )
    return split(input, list(split_sizes), axis)


def unflatten(input, dim, sizes):
    """Dim `dim` made into the dims `sizes` (one may be -1): a view (ViewBackward0)."""
    axis = _check_dim(dim, builtins.max(input.ndim, 1), "unflatten")
    sizes = tuple(sizes)
    if not sizes:
        raise ShapeError("unflatten: sizes must be non-empty")
    n = input.shape[axis]
    known = int(np.prod([s for s in sizes if s != -1]))
    resolved = tuple(n // known if s == -1 and known else s for s in sizes)
    if sizes.count(-1) > 1 or int(np.prod(resolved)) != n:
        raise ShapeError(
            f"unflatten: provided sizes {list(sizes)} don't multiply up to the size of dim "
            f"{axis} ({n}) in the input tensor (shape {tuple(input.shape)})."
        )
    return reshape(input, input.shape[:axis] + resolved + input.shape[axis + 1 :])


class Unfold(Function):
    """Windows of `size` every `step` along `dimension`, as a new last dim: a view."""

    node_name = "UnfoldBackward0"
    view = True
    symbol = "unfold"
    array_backward = True

    @staticmethod
    def forward(ctx, input, dimension, size, step):
        windows = np.lib.stride_tricks.sliding_window_view(input, size, axis=dimension)
        return windows[(slice(None),) * dimension + (slice(None, None, step),)]

    @staticmethod
    def backward(ctx, grad):
        shape, _ = ctx.input_meta[0]
        return UnfoldGrad.apply(grad, shape=shape, **ctx.options)


class UnfoldGrad(Function):
    """Zeros of the input's shape with each window's gradient added back where it came from."""

    node_name = "UnfoldBackwardBackward0"
    symbol = "unfold⁻¹"
    array_backward = True

    @staticmethod
    def forward(ctx, grad, shape, dimension, size, step):
        out = np.zeros(shape, dtype=grad.dtype)
        count = grad.shape[dimension]
        for k in range(size):  # the k-th element of every window
            at = (slice(None),) * dimension + (slice(k, k + step * (count - 1) + 1, step),)
            out[at] += grad[..., k]
        return out

    @staticmethod
    def backward(ctx, grad):
        options = ctx.options
        return Unfold.apply(
            grad, dimension=options["dimension"], size=options["size"], step=options["step"]
        )


def unfold(input, dimension, size, step):
    """Tensor.unfold: the slices of `size` every `step` along `dimension`, as a new last dim
    (a view; its windows overlap when step < size)."""
    if input.ndim == 0:
        raise ShapeError("unfold: a 0-d tensor has no dimension to unfold. Use t.reshape(1).")
    axis = _check_dim(dimension, input.ndim, "unfold")
    n = input.shape[axis]
    if not 0 <= size <= n:
        raise ShapeError(
            f"unfold: maximum size for tensor at dimension {axis} is {n} but size is {size}"
        )
    if step <= 0:
        raise ArgumentError(f"unfold: step is {step} but must be > 0")
    return Unfold.apply(input, dimension=axis, size=int(size), step=int(step))


class Take(Function):
    """The elements at the given positions of the flattened input."""

    node_name = "TakeBackward0"
    symbol = "take"
    array_backward = True

    @staticmethod
    def forward(ctx, input, index):
        size = input.size
        wrong = index[(index >= size) | (index < -size)]
        if wrong.size:
            raise IndexOutOfRangeError(
                f"take: out of range: tried to access index {wrong.flat[0]} on a tensor of "
                f"{size} elements."
            )
        return input.reshape(-1)[index]

    @staticmethod
    def backward(ctx, grad):
        shape, _ = ctx.input_meta[0]
        size = int(np.prod(shape))  # repeated positions add up, negative ones count from the
        # end (IndexAdd's np.add.at)
        flat = IndexAdd.apply(grad, index=ctx.options["index"], shape=(size,))
        return flat.reshape(shape)


def take(input, index):
    """input.flatten()[index]: the result has index's shape (negative positions count from
    the end)."""
    if not isinstance(index, Tensor) or index.dtype != np.int64:
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise DtypeError(f"take: expected a long tensor for index, but got {got}")
    return Take.apply(input, index=index)


class Put(Function):
    """input with source written at the given positions of its flattened form (added there
    with accumulate, repeated positions adding up)."""

    node_name = "PutBackward0"
    symbol = "put"

    @staticmethod
    def forward(ctx, input, source, index, accumulate=False):
        if index.size != source.size:
            raise IndexOutOfRangeError(
                f"put: Expected source and index to have the same number of elements, but got "
                f"source.numel() = {source.size}, index.numel() = {index.size}."
            )
        if source.dtype != input.dtype:
            raise DtypeError(f"put: self and source expected to have the same dtype, got "
                             f"{input.dtype} and {source.dtype}. Convert source first.")  # fmt: skip
        Take.forward(ctx, input, index)  # the same range check
        out = input.copy()
        flat = out.reshape(-1)
        if accumulate:
            np.add.at(flat, index.reshape(-1), source.reshape(-1))
        else:
            flat[index.reshape(-1)] = source.reshape(-1)
        return out

    @staticmethod
    def backward(ctx, grad):
        index, accumulate = ctx.options["index"], ctx.options.get("accumulate", False)
        need = ctx.needs_input_grad
        grad_input = grad_source = None
        if need[0]:  # the overwritten positions get nothing (unless added to)
            kept = np.ones(grad.shape, grad.dtype)
            kept.reshape(-1)[index.reshape(-1)] = 0
            grad_input = grad if accumulate else grad * kept
        if need[1]:
            source_shape, _ = ctx.input_meta[1]
            grad_source = Take.apply(grad, index=index).reshape(source_shape)
        return grad_input, grad_source


def put(input, index, source, accumulate=False):
    """input with source's values at index's positions of input.flatten() (torch.put)."""
    if not isinstance(index, Tensor) or index.dtype != np.int64:
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise DtypeError(f"put: Expected a long tensor for index, but got {got}")
    return Put.apply(input, source, index=index, accumulate=bool(accumulate))


class NarrowCopy(Function):
    node_name = "NarrowCopyBackward0"
    symbol = "narrow_copy"
    array_backward = True

    @staticmethod
    def forward(ctx, input, at):
        return input[at].copy()

    @staticmethod
    def backward(ctx, grad):
        shape, _ = ctx.input_meta[0]
        return IndexAdd.apply(grad, index=ctx.options["at"], shape=shape)


def narrow_copy(input, dim, start, length):
    """A copy of input.narrow(dim, start, length)."""
    axis = _check_dim(dim, builtins.max(input.ndim, 1), "narrow_copy")
    n = input.shape[axis]
    start = start + n if start < 0 else start
    if not 0 <= start <= start + length <= n:
        raise ShapeError(
            f"narrow_copy: start ({start}) + length ({length}) exceeds dimension size ({n})."
        )
    return NarrowCopy.apply(input, at=(slice(None),) * axis + (slice(start, start + length),))


def diagflat(input, offset=0):
    """The square matrix with the flattened input on its offset-th diagonal."""
    return diag_embed(reshape(input, -1), offset, 0, 1)


def sum_to_size(input, *size):
    """The sum of input down to `size`, a shape input broadcasts from (the gradient of a
    broadcast): SumBackward1 over those dims, then a view without the leading ones."""
    size = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
    shape = tuple(input.shape)
    lead = len(shape) - len(size)
    fits = lead >= 0 and all(s in (n, 1) for s, n in zip(size, shape[lead:]))
    if not fits:
        raise ShapeError(
            f"sum_to_size: size {list(size)} is not expandable to size {list(shape)}. Each "
            "dim must be 1 or the input's (aligned from the last)."
        )
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1
    )
    if not dims:
        return input
    if not size:
        return sum(input)
    out = sum(input, dims, keepdim=True)
    return reshape(out, size) if lead else out


def adjoint(input):
    """The conjugate transpose of the last two dims (the transpose, for real tensors)."""
    if input.ndim < 2:
        raise ShapeError(
            f"adjoint: expects a tensor of at least 2 dims, got shape {tuple(input.shape)}."
        )
    return transpose(input, -2, -1).conj()  # conj(): the tensor itself when it is real
