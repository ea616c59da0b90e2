"""Ops that move or pick elements: gather, scatter, index_select, flip, roll, repeat, sort,
argsort, topk, cumsum, cumprod, diff, prod, and the view helpers built from the shape ops
(t, view_as, reshape_as, expand_as, chunk, split, narrow)."""

import builtins

import numpy as np

from ..errors import ArgumentError, DtypeError, IndexOutOfRangeError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .comparison import discrete
from .reduction import ValuesIndices, normalize_dims
from .shape import cat

__all__ = [
    "gather",
    "scatter",
    "index_select",
    "flip",
    "roll",
    "repeat",
    "sort",
    "argsort",
    "topk",
    "cumsum",
    "cumprod",
    "diff",
    "prod",
    "t",
    "chunk",
    "split",
    "narrow",
    "tril",
    "triu",
    "meshgrid",
    "lerp",
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
        # torch reads only the index's extent in the other dims (NumPy would broadcast)
        window = tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))
        return np.take_along_axis(input[window], index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        shape = ctx.input_meta[0][0]
        return ScatterAdd.apply(
            grad, dim=ctx.options["dim"], index=ctx.options["index"], shape=shape
        )


def gather(input, dim, index):
    """out[i][j] = input[index[i][j]][j] for dim=0 (torch.gather); index is an int64 tensor."""
    dim = _dim(dim, input.ndim, "gather")
    idx = _index(index, "gather", input, dim)
    if idx.ndim != input.ndim:
        raise ShapeError(
            f"gather: index must have as many dims as input, got {tuple(idx.shape)} for {tuple(input.shape)}"
        )
    return Gather.apply(input, dim=dim, index=idx)


class ScatterAdd(Function):
    """Zeros of `shape` with src added at index along dim (gather's gradient)."""

    node_name = "ScatterAddBackward0"
    symbol = "scatter_add"

    @staticmethod
    def forward(ctx, src, dim, index, shape):
        out = np.zeros(shape, dtype=src.dtype)
        _scatter_into(out, dim, index, src, add=True)
        return out

    @staticmethod
    def backward(ctx, grad):
        return Gather.apply(grad, dim=ctx.options["dim"], index=ctx.options["index"])


def _scatter_into(out, dim, index, src, add: bool) -> None:
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
        grad_src = None
        if need[1]:
            picked = Gather.apply(grad, dim=dim, index=index)
            src_shape = ctx.input_meta[1][0]
            pad = [(0, s - n) for s, n in zip(src_shape, index.shape)]
            grad_src = picked if not builtins.any(p[1] for p in pad) else _pad(picked, pad)
        return grad_input, grad_src


def _pad(t, pad):
    for axis, (_, extra) in enumerate(pad):
        if extra:
            shape = list(t.shape)
            shape[axis] = extra
            t = cat([t, Tensor._make(np.zeros(shape, t.dtype))], dim=axis)
    return t


def scatter(input, dim, index, src=None, value=None):
    """A copy of input with src (or value) written at index along dim (torch.scatter)."""
    dim = _dim(dim, input.ndim, "scatter")
    idx = _index(index, "scatter", input, dim)
    source = value if src is None else src
    if source is None:
        raise TypeError("scatter: give src= (a tensor) or value= (a number)")
    return Scatter.apply(input, source, dim=dim, index=idx)


def _index(index, op, input, dim: int):
    """The index as an integer tensor, each entry checked to be in 0..size-1 of input's dim on
    every call, an op (NumPy would wrap a negative one around silently; torch refuses it)."""
    idx = index if isinstance(index, Tensor) else Tensor(np.asarray(index))
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


def index_select(input, dim, index):
    """The entries of index along dim (a copy), like input[:, index] for dim=1."""
    dim = _dim(dim, input.ndim, "index_select")
    idx = _index(index, "index_select", input, dim)
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}")
    idx = idx.reshape(-1)  # a 0-d index selects one entry, as in torch
    return input[(slice(None),) * dim + (idx,)]


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


class Roll(Function):
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
    return Repeat.apply(input, repeats=tuple(int(r) for r in repeats))


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along dim; the gradient flows back through the indices."""
    dim = _dim(dim, input.ndim, "sort") if input.ndim else 0
    indices = argsort(input, dim, descending)
    if input.ndim == 0:
        return ValuesIndices(input * 1, indices, "sort")
    return ValuesIndices(gather(input, dim, indices), indices, "sort")


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort input along dim (int64, no gradient); ties keep their order."""
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
    order = argsort(input, axis, descending=largest)
    picked = discrete(np.take, order, np.arange(k), axis=axis)
    return ValuesIndices(gather(input, axis, picked), picked, "topk")


class Cumsum(Function):
    node_name = "CumsumBackward0"
    symbol = "cumsum"

    @staticmethod
    def forward(ctx, input, dim):
        return np.cumsum(input, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.options["dim"]
        return flip(Cumsum.apply(flip(grad, dim), dim=dim), dim)  # reversed cumulative sum


def cumsum(input, dim):
    """Running sums along dim."""
    return Cumsum.apply(input, dim=_dim(dim, input.ndim, "cumsum"))


def cumprod(input, dim):
    """Running products along dim (a chain of multiplications, so zeros are handled)."""
    dim = _dim(dim, input.ndim, "cumprod")
    parts = chunk(input, input.shape[dim], dim) if input.shape[dim] else [input]
    out, running = [], None
    for part in parts:
        running = part if running is None else running * part
        out.append(running)
    return cat(out, dim=dim)


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
    end = end if isinstance(end, Tensor) else Tensor._make(np.asarray(end))
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
    def forward(ctx, input, dim, keepdim):
        if dim is None:
            ctx.node_name = "ProdBackward0"
        ctx.save_for_backward(input)
        return np.asarray(np.prod(input, axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        dim, keepdim = ctx.options["dim"], ctx.options["keepdim"]
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


def prod(input, dim=None, keepdim=False):
    """The product of all elements, or along one dim."""
    axis = None if dim is None else _dim(dim, input.ndim, "prod")
    return Prod.apply(input, dim=axis, keepdim=keepdim)


def t(input):
    """Transpose of a matrix (0-d and 1-D tensors come back as they are), as torch.t."""
    if input.ndim > 2:
        raise ShapeError(
            f"t: expects a tensor with <= 2 dims, got shape {tuple(input.shape)}. Use .mT"
        )
    return input.transpose(0, 1) if input.ndim == 2 else input


def chunk(input, chunks, dim=0):
    """Split into `chunks` views of equal size along dim (the last may be smaller)."""
    if not isinstance(chunks, int) or chunks < 1:
        raise ArgumentError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    size = -(-input.shape[_dim(dim, input.ndim, "chunk")] // chunks)
    return split(input, builtins.max(size, 1), dim)


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
    if indexing == "xy" and len(grids) >= 2:
        grids = [g.transpose(0, 1) for g in grids]
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def lerp(input, end, weight):
    """input + weight·(end − input)."""
    return input + weight * (end - input)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values, sorted (no gradient), optionally with inverse indices and counts."""
    if dim is not None:
        raise NotImplementedError("unique: dim= is not supported yet; flatten first")
    # the result's shape depends on the values: a read (ad.compile refuses it inside fn)
    values, inverse, counts = np.unique(input.numpy(), return_inverse=True, return_counts=True)
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.reshape(input.shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)
