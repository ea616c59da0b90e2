"""Ops that move or pick elements: gather, scatter, index_select, flip, roll, repeat, sort,
argsort, topk, cumsum, cumprod, diff, prod, and the view helpers built from the shape ops
(t, view_as, reshape_as, expand_as, chunk, split, narrow)."""

import builtins

import numpy as np

from ..amp import cast_inputs
from ..dtypes import as_dtype
from ..errors import ArgumentError, DtypeError, IndexOutOfRangeError, ShapeError
from ..function import Function
from ..tensor import Tensor
from . import stl_sort
from .comparison import discrete
from .complexes import conj_of, refuse_complex
from .indexing import masked_select
from .reduction import ValuesIndices, normalize_dims
from .shape import T, cat, clone, stack

__all__ = [
    "gather",
    "scatter",
    "scatter_add",
    "index_select",
    "index_add",
    "take_along_dim",
    "flip",
    "fliplr",
    "flipud",
    "rot90",
    "roll",
    "repeat",
    "repeat_interleave",
    "tile",
    "sort",
    "argsort",
    "topk",
    "cumsum",
    "cumprod",
    "diff",
    "prod",
    "t",
    "chunk",
    "unsafe_chunk",
    "unsafe_split",
    "split",
    "narrow",
    "tril",
    "triu",
    "meshgrid",
    "cartesian_prod",
    "combinations",
    "unique",
]  # the public ops: autodiff exports these


def _dim(dim, ndim, op) -> int:
    (axis,) = normalize_dims(dim, ndim, op) or (0,)
    return axis


class Gather(Function):
    node_name = "GatherBackward0"
    symbol = "gather"

    @staticmethod
    def forward(ctx, input, dim, index):
        if input.ndim == 0:  # index is 0 (checked): the one element
            return input.copy()
        # torch reads only the index's extent in the other dims (NumPy would broadcast)
        window = tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))
        return np.take_along_axis(input[window], index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return scattered(grad, ctx.options["dim"], ctx.options["index"], ctx.input_meta[0][0])


def gather(input, dim, index, *, sparse_grad=False):
    """out[i][j] = input[index[i][j]][j] for dim=0 (torch.gather); index is an int64 tensor."""
    if sparse_grad:
        raise ArgumentError(
            "gather: sparse_grad=True is not supported (autodiff has no sparse tensors); "
            "leave it False: the gradient has the same values, dense."
        )
    dim = _dim(dim, input.ndim, "gather")
    idx = _index(index, "gather", input, dim)
    if idx.ndim != input.ndim:
        raise ShapeError(
            f"gather: index must have as many dims as input, got {tuple(idx.shape)} for {tuple(input.shape)}"
        )
    return Gather.apply(input, dim=dim, index=idx)


class ScatterAdd(Function):
    """input with src added at index along dim (torch.scatter_add; gather's gradient)."""

    node_name = "ScatterAddBackward0"
    symbol = "scatter_add"

    @staticmethod
    def forward(ctx, input, src, dim, index):
        out = input.copy()
        _scatter_into(out, dim, index, src, add=True)
        return out

    @staticmethod
    def backward(ctx, grad):
        dim, index = ctx.options["dim"], ctx.options["index"]
        need = ctx.needs_input_grad
        grad_src = _gathered_back(grad, dim, index, ctx.input_meta[1][0]) if need[1] else None
        return grad if need[0] else None, grad_src


def scattered(grad, dim, index, shape):
    """Zeros of `shape` with grad added at index along dim: the gradient of picking values
    along a dim (gather, median, ...)."""
    zeros = Tensor._make(np.zeros(shape, grad.dtype))
    return ScatterAdd.apply(zeros, grad, dim=dim, index=index)


def _scatter_into(out, dim, index, src, add: bool) -> None:
    if out.ndim == 0:  # a 0-d tensor: its one element, a view that writes through
        out, index = out.reshape(1), np.reshape(index, 1)
        src = src if np.ndim(src) == 0 else np.reshape(src, 1)
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    values = (
        np.broadcast_to(src, index.shape)
        if np.ndim(src) == 0
        else src[tuple(slice(0, n) for n in index.shape)]
    )
    if add:
        np.add.at(out, tuple(grid), values)
    else:
        out[tuple(grid)] = values


class Scatter(Function):
    node_name = "ScatterBackward0"
    symbol = "scatter"

    @staticmethod
    def forward(ctx, input, src, dim, index):
        out = input.copy()
        _scatter_into(out, dim, index, src, add=False)
        return out

    @staticmethod
    def backward(ctx, grad):
        dim, index = ctx.options["dim"], ctx.options["index"]
        need = ctx.needs_input_grad
        grad_input = None
        if need[0]:
            keep = np.ones(ctx.input_meta[0][0], dtype=bool)
            _scatter_into(keep, dim, index, False, add=False)
            grad_input = grad * Tensor._make(keep)
        grad_src = _gathered_back(grad, dim, index, ctx.input_meta[1][0]) if need[1] else None
        return grad_input, grad_src


def _gathered_back(grad, dim, index, src_shape):
    """The gradient of a scatter's src: grad at the places index wrote, zeros where src
    reaches past index (torch reads only index's extent of src)."""
    picked = Gather.apply(grad, dim=dim, index=index)
    pad = [(0, s - n) for s, n in zip(src_shape, index.shape)]
    return picked if not builtins.any(p[1] for p in pad) else _pad(picked, pad)


def _pad(t, pad):
    for axis, (_, extra) in enumerate(pad):
        if extra:
            shape = list(t.shape)
            shape[axis] = extra
            t = cat([t, Tensor._constant(np.zeros(shape, t.dtype))], dim=axis)
    return t


def scatter(input, dim, index, src=None, value=None):
    """A copy of input with src (or value) written at index along dim (torch.scatter)."""
    source = value if src is None else src
    if source is None:
        raise TypeError("scatter: give src= (a tensor) or value= (a number)")
    dim, idx = _scatter_index("scatter", input, dim, index, source)
    return Scatter.apply(input, source, dim=dim, index=idx)


def scatter_add(input, dim, index, src):
    """A copy of input with src added at index along dim; repeated indices add up
    (torch.scatter_add: out[index[i][j]][j] += src[i][j] for dim=0)."""
    dim, idx = _scatter_index("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, src, dim=dim, index=idx)


def _scatter_index(op: str, input, dim, index, src) -> tuple:
    """(dim, index) for scatter and scatter_add, checked as torch checks them: index has
    input's dims, reaches no further than input (but along dim) nor than src, and src has
    input's dtype."""
    dim = _dim(dim, input.ndim, op)
    idx = _index(index, op, input, dim)
    if idx.ndim == 0 and input.ndim == 1:
        idx = idx.reshape(1)  # torch counts a 0-d index as 1-d (the tutorials' one-hot Lambda)
    if idx.ndim != input.ndim:
        raise ShapeError(
            f"{op}: index must have as many dims as input, got index shape {tuple(idx.shape)} "
            f"for input shape {tuple(input.shape)}"
        )
    if isinstance(src, Tensor):
        if src.dtype != input.dtype:
            raise DtypeError(
                f"{op}: src dtype {src.dtype} differs from input dtype {input.dtype}. Convert "
                "one, e.g. src.to(input.dtype)."
            )
        too_big = builtins.any(n > m for n, m in zip(idx.shape, src.shape))
        too_big = too_big or src.ndim != idx.ndim
    else:
        too_big = False
    too_big = too_big or builtins.any(
        n > m for d, (n, m) in enumerate(zip(idx.shape, input.shape)) if d != dim
    )
    if too_big:
        raise ShapeError(
            f"{op}: index shape {tuple(idx.shape)} must be no larger than input shape "
            f"{tuple(input.shape)} apart from dim {dim}, and no larger than src shape "
            f"{tuple(np.shape(src))}"
        )
    return dim, idx


def _index(index, op, input, dim: int):
    """The index as an integer tensor, each entry checked to be in 0..size-1 of input's dim on
    every call, an op (NumPy would wrap a negative one around silently; torch refuses it)."""
    idx = index if isinstance(index, Tensor) else Tensor._of(np.asarray(index))
    if idx.dtype.kind not in "iu":
        raise DtypeError(f"{op}: index must be an integer (int64) tensor, got dtype {idx.dtype}")
    size = input.shape[dim] if input.ndim else 1
    return discrete(_in_range, idx, op=op, dim=dim, size=size, shape=tuple(input.shape))


def _in_range(idx: np.ndarray, op: str, dim: int, size: int, shape: tuple) -> np.ndarray:
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexOutOfRangeError(
            f"{op}: index {bad} is out of bounds for dimension {dim} with size {size} "
            f"(input shape {shape}). Indices run from 0 to {size - 1}."
        )
    return idx


class IndexSelect(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "IndexSelectBackward0"
    symbol = "index_select"

    @staticmethod
    def forward(ctx, input, dim, index):
        return np.take(input, index, axis=dim) if input.ndim else input.copy()  # index is 0

    @staticmethod
    def backward(ctx, grad):
        zeros = Tensor._make(np.zeros(ctx.input_meta[0][0], grad.dtype))
        return IndexAdd.apply(zeros, grad, dim=ctx.options["dim"], index=ctx.options["index"])


def index_select(input, dim, index):
    """The entries of index along dim (a copy), like input[:, index] for dim=1."""
    dim = _dim(dim, input.ndim, "index_select")
    idx = _index(index, "index_select", input, dim)
    if idx.ndim > 1 or (input.ndim == 0 and idx.numel() != 1):
        raise ShapeError(
            f"index_select: index must be 1-D (one entry for a 0-d input), got shape "
            f"{tuple(idx.shape)} for input shape {tuple(input.shape)}"
        )
    return IndexSelect.apply(input, dim=dim, index=idx.reshape(-1))


class IndexAdd(Function):
    """input with alpha·source added at index along dim (torch.index_add)."""

    complex_grad = True  # dtype-blind but for alpha, conjugated

    node_name = "IndexAddBackward0"
    symbol = "index_add"

    @staticmethod
    def forward(ctx, input, source, dim, index, alpha=1):
        out = input.copy()
        scaled = source if alpha == 1 else source * alpha
        np.add.at(
            out.reshape(-1) if out.ndim == 0 else out,  # a 0-d input: its one element
            (slice(None),) * dim + (np.reshape(index, -1),),
            scaled.reshape(-1) if out.ndim == 0 else scaled,
        )
        return out

    @staticmethod
    def backward(ctx, grad):
        dim, index, alpha = ctx.options["dim"], ctx.options["index"], ctx.options["alpha"]
        need = ctx.needs_input_grad
        grad_source = None
        if need[1]:  # torch's formula: grad.index_select(dim, index) · alpha
            picked = IndexSelect.apply(grad, dim=dim, index=index)
            grad_source = picked.reshape(ctx.input_meta[1][0])
            grad_source = grad_source if alpha == 1 else grad_source * conj_of(alpha)
        return grad if need[0] else None, grad_source


def index_add(input, dim, index, source, *, alpha=1):
    """A copy of input with alpha·source[i] added at index[i] along dim; repeated indices add
    up (torch.index_add)."""
    dim = _dim(dim, input.ndim, "index_add")
    idx = _index(index, "index_add", input, dim)
    source = source if isinstance(source, Tensor) else Tensor._of(source, dtype=input.dtype)
    if idx.ndim > 1:
        raise ShapeError(f"index_add: index must be 1-D, got shape {tuple(idx.shape)}")
    if source.dtype != input.dtype:
        raise DtypeError(
            f"index_add: source dtype {source.dtype} differs from input dtype {input.dtype}. "
            "Convert one, e.g. source.to(input.dtype)."
        )
    expected = list(input.shape)
    if input.ndim:
        expected[dim] = idx.numel()
    if tuple(source.shape) != tuple(expected) and not (source.ndim == 0 and idx.numel() == 1):
        raise ShapeError(
            f"index_add: source shape {tuple(source.shape)} must be input's shape "
            f"{tuple(input.shape)} with dim {dim} the number of indices ({idx.numel()}): "
            f"{tuple(expected)}"
        )
    if input.dtype.kind not in "fc":
        alpha = int(alpha)  # as torch: an integer tensor takes alpha's integer part
    return IndexAdd.apply(input, source, dim=dim, index=idx, alpha=alpha)


def take_along_dim(input, indices, dim=None):
    """input's values at indices along dim (indices and input broadcast in the other dims),
    or at the flat indices when dim is None; pairs with argsort/argmax (torch.take_along_dim)."""
    idx = indices if isinstance(indices, Tensor) else Tensor._of(np.asarray(indices))
    if idx.dtype != np.int64:
        raise DtypeError(
            f"take_along_dim: indices must be int64 (long), got dtype {idx.dtype}. Use "
            "indices.long()."
        )
    if dim is None:
        return gather(input.reshape(-1), 0, idx.reshape(-1))
    if input.ndim != idx.ndim:
        raise ShapeError(
            f"take_along_dim: input and indices must have the same number of dims, got shapes "
            f"{tuple(input.shape)} and {tuple(idx.shape)}"
        )
    if input.ndim == 0:
        raise IndexError(f"take_along_dim: dim {dim} given for a 0-d tensor; use dim=None")
    dim = _dim(dim, input.ndim, "take_along_dim")
    # as torch: each broadcast with the other's sizes, but along dim, where each keeps its own
    index_shape = _broadcast_but(dim, idx.shape, input.shape)
    input_shape = _broadcast_but(dim, input.shape, idx.shape)
    return gather(input.expand(input_shape), dim, idx.expand(index_shape))


def _broadcast_but(dim: int, shape: tuple, other: tuple) -> tuple:
    """shape broadcast with other in every dim but dim, which keeps shape's size."""
    sizes = list(other)
    sizes[dim] = shape[dim]
    try:
        return np.broadcast_shapes(tuple(shape), tuple(sizes))
    except ValueError:
        raise ShapeError(
            f"take_along_dim: input and indices shapes {tuple(other)} and {tuple(shape)} do not "
            f"broadcast apart from dim {dim}"
        ) from None


class Flip(Function):
    node_name = "FlipBackward0"
    symbol = "flip"

    @staticmethod
    def forward(ctx, input, dims):
        return np.flip(input, axis=dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, dims=ctx.options["dims"])


def flip(input, dims):
    """Reverse the order of elements along dims."""
    return Flip.apply(input, dims=normalize_dims(dims, input.ndim, "flip"))


def fliplr(input):
    """Reverse the columns (dim 1) of a tensor of at least 2 dims (FlipBackward0, as torch)."""
    if input.ndim < 2:
        raise ShapeError(f"fliplr: input must be at least 2-d, got shape {tuple(input.shape)}")
    return flip(input, 1)


def flipud(input):
    """Reverse the rows (dim 0) of a tensor of at least 1 dim (FlipBackward0, as torch)."""
    if input.ndim < 1:
        raise ShapeError("flipud: input must be at least 1-d, got a 0-d tensor")
    return flip(input, 0)


class Rot90(Function):
    node_name = "Rot90Backward0"
    symbol = "rot90"

    @staticmethod
    def forward(ctx, input, k, dims):
        return np.rot90(input, k, axes=dims).copy()

    @staticmethod
    def backward(ctx, grad):
        return Rot90.apply(grad, k=-ctx.options["k"], dims=ctx.options["dims"])


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90° k times in the plane of dims, from the first dim toward the second."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise ArgumentError(f"rot90: expects two rotation dims, got {dims}")
    if input.ndim < 2:
        raise ShapeError(f"rot90: input must be at least 2-d, got shape {tuple(input.shape)}")
    first, second = (_dim(d, input.ndim, "rot90") for d in dims)
    if first == second:
        raise ArgumentError(f"rot90: the rotation dims must differ, got {dims}")
    return Rot90.apply(input, k=int(k) % 4, dims=(first, second))


class Roll(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "RollBackward0"
    symbol = "roll"

    @staticmethod
    def forward(ctx, input, shifts, dims):
        return np.roll(input, shifts, axis=dims)

    @staticmethod
    def backward(ctx, grad):
        shifts, dims = ctx.options["shifts"], ctx.options["dims"]
        back = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return Roll.apply(grad, shifts=back, dims=dims)


def roll(input, shifts, dims=None):
    """Shift elements along dims, wrapping around (flattened when dims is None)."""
    shifts = tuple(shifts) if isinstance(shifts, (list, tuple)) else shifts
    dims = tuple(dims) if isinstance(dims, (list, tuple)) else dims
    return Roll.apply(input, shifts=shifts, dims=dims)


class Repeat(Function):
    node_name = "RepeatBackward0"
    symbol = "repeat"

    @staticmethod
    def forward(ctx, input, repeats):
        lead = len(repeats) - input.ndim
        return np.tile(input.reshape((1,) * lead + input.shape), repeats)

    @staticmethod
    def backward(ctx, grad):
        repeats = ctx.options["repeats"]
        shape = ctx.input_meta[0][0]
        full = (1,) * (len(repeats) - len(shape)) + tuple(shape)
        split = [n for pair in zip(repeats, full) for n in pair]
        summed = grad.reshape(*split).sum(tuple(range(0, len(split), 2)))
        return summed.reshape(*shape)


def repeat(input, *repeats):
    """Tile input repeats[i] times along dim i (torch's Tensor.repeat)."""
    repeats = (
        tuple(repeats[0])
        if len(repeats) == 1 and isinstance(repeats[0], (tuple, list))
        else repeats
    )
    if len(repeats) < input.ndim:
        raise ShapeError(f"repeat: give at least one count per dim ({input.ndim}), got {repeats}")
    if builtins.any(r < 0 for r in repeats):
        raise ArgumentError(f"repeat: counts must be non-negative, got {tuple(repeats)}")
    return Repeat.apply(input, repeats=tuple(int(r) for r in repeats))


def tile(input, *dims):
    """Tile input dims[i] times along dim i; fewer counts than dims repeat the last dims
    (torch.tile: repeat with leading ones, RepeatBackward0)."""
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        raise TypeError(f"tile: dims must be a tuple of ints, got {dims[0]!r}")
    return repeat(input, *((1,) * (input.ndim - len(dims)) + tuple(dims)))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element repeated `repeats` times in place, along dim (flattened when dim is None);
    repeats is an int or a tensor of one count per element. torch.repeat_interleave(counts)
    alone gives the indices 0, 1, ... each repeated by its count."""
    if repeats is None:  # the one-argument form: input holds the counts
        return discrete(_repeated_indices, _counts_tensor(input), op="repeat_interleave")
    source = input if dim is not None or input.ndim == 1 else input.reshape(-1)
    axis = _dim(0 if dim is None else dim, input.ndim, "repeat_interleave")
    if isinstance(repeats, Tensor):
        counts = _counts_tensor(repeats)
        if counts.ndim > 1:
            raise ShapeError(
                f"repeat_interleave: repeats must be a 0-d or 1-d tensor, got shape "
                f"{tuple(counts.shape)}"
            )
        n = source.shape[axis] if source.ndim else 1
        if counts.numel() == 1:
            counts = counts.reshape(1).expand(n)
        elif counts.numel() != n:
            raise ShapeError(
                f"repeat_interleave: repeats must have one count per element along dim {axis} "
                f"({n}), got {counts.numel()} counts"
            )
        index = discrete(_repeated_indices, counts, op="repeat_interleave")
        out = index_select(source, axis, index)
    else:
        if repeats < 0:
            raise ArgumentError(f"repeat_interleave: repeats must be non-negative, got {repeats}")
        # as torch: a new dim after axis, expanded, copied, merged (no gather of indices)
        spread = source.unsqueeze(axis + 1)
        shape = list(spread.shape)
        shape[axis + 1] = int(repeats)
        out = spread.expand(*shape).clone().flatten(axis, axis + 1)
    if output_size is not None and out.shape[axis] != output_size:
        raise ArgumentError(
            f"repeat_interleave: output_size {output_size} differs from the result's size "
            f"{out.shape[axis]} along dim {axis}"
        )
    return out


def _counts_tensor(repeats) -> Tensor:
    counts = repeats if isinstance(repeats, Tensor) else Tensor._of(np.asarray(repeats))
    if counts.dtype.kind not in "iu":
        raise DtypeError(
            f"repeat_interleave: repeats must be an integer tensor, got dtype {counts.dtype}"
        )
    return counts


def _repeated_indices(counts: np.ndarray, op: str) -> np.ndarray:
    """0, 1, 2, ... each repeated by its count (the counts' dtype, as torch)."""
    if counts.ndim != 1:
        raise ShapeError(f"{op}: expects a 1-d tensor of counts, got shape {counts.shape}")
    if counts.size and counts.min() < 0:
        raise ArgumentError(f"{op}: repeats must be non-negative, got {counts.min()}")
    return np.repeat(np.arange(counts.size, dtype=counts.dtype), counts)


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along dim; the gradient flows back through the indices."""
    dim = _dim(dim, input.ndim, "sort") if input.ndim else 0
    indices = argsort(input, dim, descending)
    if input.ndim == 0:
        return ValuesIndices(input * 1, indices, "sort")
    return ValuesIndices(gather(input, dim, indices), indices, "sort")


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort input along dim (int64, no gradient); ties keep their order."""
    refuse_complex("sort", input, RuntimeError)
    if input.ndim == 0:
        return discrete(np.zeros_like, input, dtype=np.int64)
    return discrete(_order, input, axis=_dim(dim, input.ndim, "argsort"), descending=descending)


def _order(data, axis, descending):
    order = np.argsort(-data if descending else data, axis=axis, kind="stable")
    return order.astype(np.int64)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (or smallest) along dim."""
    axis = _dim(dim, input.ndim, "topk")
    if not 0 <= k <= input.shape[axis]:
        raise ArgumentError(
            f"topk: k={k} is out of range for dim {axis} of size {input.shape[axis]}"
        )
    picked = discrete(_topk_indices, input, k=k, axis=axis, largest=largest, sorted=sorted)
    return ValuesIndices(gather(input, axis, picked), picked, "topk")


def _topk_indices(array, k: int, axis: int, largest: bool, sorted: bool) -> np.ndarray:
    """torch's CPU topk indices: by value, in one vectorised selection over all rows; a row
    where equal values (or NaNs) reach its top k, or any row when unsorted, in the order
    torch's unstable selection leaves them (stl_sort, in Python: only those rows)."""
    rows = np.moveaxis(array, axis, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    n = flat.shape[1]
    out = np.empty((flat.shape[0], k), np.int64)
    if k > 0:
        m = min(k + 1, n)  # the top k and the next one: a tie at the boundary matters too
        if largest:
            picked = np.argpartition(flat, n - m, axis=1)[:, n - m :]
        else:
            picked = np.argpartition(flat, m - 1, axis=1)[:, :m]
        values = np.take_along_axis(flat, picked, 1)
        order = np.argsort(values, axis=1)  # NumPy sorts NaN last: as the largest, as torch
        order = order[:, ::-1] if largest else order
        picked, values = (np.take_along_axis(a, order, 1) for a in (picked, values))
        out[:] = picked[:, :k]
        exact = (values[:, 1:] == values[:, :-1]).any(1) | ((values != values).sum(1) > 1)
        for r in range(len(flat)) if not sorted else np.flatnonzero(exact):
            out[r] = stl_sort.topk_order(flat[r].tolist(), k, largest, sorted)
    return np.moveaxis(out.reshape(rows.shape[:-1] + (k,)), -1, axis)


class Cumsum(Function):
    node_name = "CumsumBackward0"
    symbol = "cumsum"

    @staticmethod
    def forward(ctx, input, dim, dtype=None):
        return np.cumsum(input, axis=dim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.options["dim"]
        return flip(Cumsum.apply(flip(grad, dim), dim=dim), dim)  # reversed cumulative sum


def cumsum(input, dim, *, dtype=None):
    """Running sums along dim; with dtype, of the input in that dtype."""
    dim = _dim(dim, input.ndim, "cumsum")
    if dtype is None:
        return Cumsum.apply(input, dim=dim)
    return Cumsum.apply(input, dim=dim, dtype=as_dtype(dtype, "cumsum"))


def cumprod(input, dim, *, dtype=None):
    """Running products along dim (a chain of multiplications, so zeros are handled); with
    dtype, of the input cast to it first (a ToCopyBackward0 node before the chain)."""
    input = input if dtype is None else input.to(dtype)
    dim = _dim(dim, input.ndim, "cumprod")
    parts = chunk(input, input.shape[dim], dim) if input.shape[dim] else [input]
    out, running = [], None
    for part in parts:
        running = part if running is None else running * part
        out.append(running)
    return cat(out, dim=dim)


def cumprod_of_copy(input, dim, dtype=None):
    """cumprod for cumprod_: of a copy, since the products save slices of their input, which
    the in-place write would change under them."""
    return cumprod(clone(input), dim, dtype=dtype)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along dim, out[i] = x[i + 1] − x[i] repeated n times, after
    prepend and append are joined on (torch's composition: slices and a subtraction, so
    SubBackward0 over two SliceBackward0; bool gives where neighbours differ)."""
    if input.ndim == 0:
        raise ShapeError("diff: expects input to be at least one-dimensional (shape ()).")
    if not isinstance(n, int) or n < 0:
        raise ArgumentError(f"diff: order n must be a non-negative int, got {n!r}.")
    axis = _dim(dim, input.ndim, "diff")
    ends = [
        _diff_end(t, input, axis, what) for t, what in ((prepend, "prepend"), (append, "append"))
    ]
    if any(end is not None for end in ends):
        input = cat(_torch_promoted([ends[0], input, ends[1]]), axis)
    if n == 0:  # a copy written into a new tensor, as torch's (CopyBackwards)
        return input.new_empty(input.shape).copy_(input)
    for _ in range(builtins.min(n, input.shape[axis])):
        length = input.shape[axis] - 1
        later, earlier = narrow(input, axis, 1, length), narrow(input, axis, 0, length)
        input = later != earlier if input.dtype == np.bool_ else later - earlier
    return input


def _torch_promoted(tensors) -> list:
    """The tensors given, integers and bools cast to the widest float among them where there is
    one (torch's rule: float32 with int64 stays float32; NumPy's would give float64)."""
    tensors = [t for t in tensors if t is not None]
    floats = [t.dtype for t in tensors if t.is_floating_point()]
    if not floats or len(floats) == len(tensors):
        return tensors
    wide = np.result_type(*(np.dtype(d) for d in floats))
    return [t if t.is_floating_point() else t.to(wide) for t in tensors]


def _diff_end(end, input, axis, what):
    """prepend or append as a tensor that joins input along axis, or None."""
    if end is None:
        return None
    end = end if isinstance(end, Tensor) else Tensor._constant(np.asarray(end))
    shape, given = tuple(input.shape), tuple(end.shape)
    if len(given) != len(shape) or any(
        a != b for i, (a, b) in enumerate(zip(shape, given)) if i != axis
    ):
        raise ShapeError(
            f"diff: {what} must have input's shape {shape} except along dim {axis}, got "
            f"{given}. Reshape it, e.g. {what}=t.unsqueeze({axis}) for a slice."
        )
    return end


class Prod(Function):
    node_name = "ProdBackward1"
    symbol = "Π"

    @staticmethod
    def forward(ctx, input, dim, keepdim, dtype=None):
        if dim is None:
            ctx.node_name = "ProdBackward0"
        ctx.save_for_backward(input)
        if dtype is not None:  # of the values in that dtype (backward casts its saved input too)
            input = input.astype(dtype)
        return np.asarray(np.prod(input, axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        dim, keepdim = ctx.options["dim"], ctx.options["keepdim"]
        if ctx.options.get("dtype") is not None:  # a cast that second order differentiates
            input = input.to(ctx.options["dtype"])
        flat = input.reshape(-1) if dim is None else input
        axis = 0 if dim is None else dim
        # ∂Π/∂x_i = Π_{j≠i} x_j: products to the left times products to the right (no division)
        others = _exclusive(flat, axis, reverse=False) * _exclusive(flat, axis, reverse=True)
        if dim is None:
            return grad * others.reshape(*input.shape)
        return (grad if keepdim else grad.unsqueeze(dim)) * others


def _exclusive(x, axis, reverse):
    x = flip(x, axis) if reverse else x
    ones = list(x.shape)
    ones[axis] = 1
    shifted = cat(
        [Tensor._make(np.ones(ones, x.dtype)), narrow(x, axis, 0, x.shape[axis] - 1)], dim=axis
    )
    out = cumprod(shifted, axis)
    return flip(out, axis) if reverse else out


@cast_inputs("fp32")
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """The product of all elements, or along one dim; with dtype, of the input in that dtype."""
    axis = None if dim is None else _dim(dim, input.ndim, "prod")
    if dtype is None:
        return Prod.apply(input, dim=axis, keepdim=keepdim)
    return Prod.apply(input, dim=axis, keepdim=keepdim, dtype=as_dtype(dtype, "prod"))


def t(input):
    """Transpose of a matrix (0-d and 1-D tensors come back as they are), as torch.t."""
    if input.ndim > 2:
        raise ShapeError(
            f"t: expects a tensor with <= 2 dims, got shape {tuple(input.shape)}. Use .mT"
        )
    if input.ndim == 0:
        return input
    return T.apply(input, dim0=0, dim1=input.ndim - 1)  # a vector: a view as it is, as torch


def chunk(input, chunks, dim=0):
    """Split into `chunks` views of equal size along dim (the last may be smaller)."""
    if not isinstance(chunks, int) or chunks < 1:
        raise ArgumentError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    size = -(-input.shape[_dim(dim, input.ndim, "chunk")] // chunks)
    return split(input, builtins.max(size, 1), dim)


def unsafe_chunk(input, chunks, dim=0):
    """chunk (torch's unsafe form skips the views' bookkeeping; these are chunk's own views)."""
    return chunk(input, chunks, dim)


def unsafe_split(input, split_size, dim=0):
    """split by one size (torch's unsafe form skips the views' bookkeeping; split's views)."""
    if not isinstance(split_size, (int, np.integer)):
        raise TypeError(
            f"unsafe_split: argument 'split_size' must be int, not {type(split_size).__name__}. "
            "Use split (or unsafe_split_with_sizes) for a list of sizes."
        )
    return split(input, split_size, dim)


def split(input, split_size_or_sections, dim=0):
    """Views of split_size each along dim, or of the sizes listed."""
    axis = _dim(dim, input.ndim, "split")
    n = input.shape[axis]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        sizes = [builtins.min(size, n - start) for start in range(0, n, size)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise ShapeError(f"split: sizes {sizes} do not add up to dim {axis}'s size {n}")
    parts, start = [], 0
    for size in sizes:
        parts.append(narrow(input, axis, start, size))
        start += size
    return tuple(parts)


def narrow(input, dim, start, length):
    """The view input[..., start:start+length, ...] along dim."""
    axis = _dim(dim, input.ndim, "narrow")
    if start < 0:
        start += input.shape[axis]
    if not 0 <= start <= start + length <= input.shape[axis]:
        raise ShapeError(
            f"narrow: start {start} + length {length} exceeds dim {axis} of size "
            f"{input.shape[axis]}"
        )
    return input[(slice(None),) * axis + (slice(start, start + length),)]


class Triangle(Function):
    """The lower (tril) or upper (triu) triangle of the last two dims; the rest zero."""

    node_name = "TrilBackward0"
    symbol = "tril"

    @staticmethod
    def forward(ctx, input, diagonal, upper):
        if upper:
            ctx.node_name = "TriuBackward0"
        return (np.triu if upper else np.tril)(input, diagonal)

    @staticmethod
    def backward(ctx, grad):
        return Triangle.apply(grad, **ctx.options)


def tril(input, diagonal=0):
    """Entries on and below the diagonal-th diagonal of the last two dims."""
    _matrix(input, "tril")
    return Triangle.apply(input, diagonal=diagonal, upper=False)


def triu(input, diagonal=0):
    """Entries on and above the diagonal-th diagonal of the last two dims."""
    _matrix(input, "triu")
    return Triangle.apply(input, diagonal=diagonal, upper=True)


def _matrix(input, op):
    if input.ndim < 2:
        raise ShapeError(f"{op}: input must have at least 2 dims, got shape {tuple(input.shape)}")


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids of 1-D tensors ('ij' as torch's default, or 'xy'), as expanded views."""
    tensors = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    order = list(tensors)
    if indexing == "xy" and len(order) >= 2:
        order[0], order[1] = order[1], order[0]
    shape = tuple(t.numel() for t in order)
    grids = []
    for i, t in enumerate(order):
        view = [1] * len(order)
        view[i] = -1
        grids.append(t.reshape(*view).expand(*shape))
    if indexing == "xy" and len(grids) >= 2:  # the first two swapped back: x varies along dim 1
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, one per row (torch's
    cartesian_prod: meshgrid, flattened, stacked); one tensor comes back as it is."""
    for t in tensors:
        if t.ndim != 1:
            raise ShapeError(f"cartesian_prod: expects 1-D tensors, got shape {tuple(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([grid.reshape(-1) for grid in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input, r=2, with_replacement=False):
    """The r-element combinations of a 1-D tensor's elements, one per row, in order (as
    torch: meshgrid of r copies, masked_select of increasing index tuples, stacked)."""
    if input.ndim != 1:
        raise ShapeError(f"combinations: expects a 1-D tensor, got shape {tuple(input.shape)}")
    if r < 0:
        raise ArgumentError(f"combinations: r must be non-negative, got {r}")
    if r == 0:
        return Tensor._constant(np.zeros(0, input.dtype))
    n = input.shape[0]
    order = np.indices((n,) * r)  # keep index tuples that never decrease (or increase)
    steps = np.diff(order, axis=0)
    mask = Tensor._constant(np.all(steps >= 0 if with_replacement else steps > 0, axis=0))
    return stack([masked_select(grid, mask) for grid in meshgrid(*[input] * r)], 1)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values, sorted (no gradient), optionally with inverse indices and counts."""
    if dim is not None:
        raise NotImplementedError("unique: dim= is not supported yet; flatten first")
    # the result's shape depends on the values: a read (ad.compile refuses it inside fn)
    values, inverse, counts = np.unique(
        input.numpy(force=True), return_inverse=True, return_counts=True
    )
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.reshape(input.shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)
