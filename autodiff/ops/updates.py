"""Updates of a region of a tensor, out of place (each has an in-place `_` form in tensor.py):
index_copy, index_fill, index_put, index_reduce, masked_scatter, scatter_reduce, the diagonal, select and
slice scatters, and fill_diagonal_'s op. The gradient of the region goes to the values written
there; the rest of the input keeps its gradient."""

import builtins
import warnings

import numpy as np

from ..errors import ArgumentError, DtypeError, IndexOutOfRangeError, ShapeError
from ..function import Function
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor
from .indexing import Index, MaskedSelect, normalize_index
from .inplace import IndexPut
from .matrix import Diagonal, _dims
from .rearrange import Gather, _pad
from .shape import _check_dim, cat

__all__ = ["index_copy", "index_fill", "index_put", "index_reduce", "masked_scatter"]
__all__ += ["scatter_reduce"]
__all__ += ["diagonal_scatter", "select_scatter", "slice_scatter"]  # autodiff exports these


class RegionScatter(Function):
    """input with input[region] = src (a tensor, or a number given as value); with accumulate,
    input[region] += src (repeated positions add up)."""

    node_name = "IndexPutBackward0"
    symbol = "[ ]="

    @staticmethod
    def forward(ctx, input, src=None, *, region, node_name, value=None, accumulate=False):
        ctx.node_name = node_name
        out = input.copy()
        values = value if src is None else src
        try:
            if accumulate:
                np.add.at(out, region, np.broadcast_to(values, out[region].shape))
            else:
                out[region] = values
        except ValueError:
            raise ShapeError(
                f"{_op_name(node_name)}: values of shape {np.shape(values)} don't fit the region of "
                f"shape {out[region].shape} (tensor shape {tuple(input.shape)})."
            ) from None
        return out

    @staticmethod
    def backward(ctx, grad):
        region = ctx.options["region"]
        need = ctx.needs_input_grad
        grad_input = None
        if need[0]:
            keep = ctx.options.get("accumulate", False)  # added to, not overwritten
            grad_input = grad if keep else IndexPut.apply(grad, 0.0, index=region)
        if len(need) == 1:
            return grad_input
        return grad_input, Index.apply(grad, index=region) if need[1] else None


def _op_name(node_name: str) -> str:
    """IndexCopyBackward0 -> index_copy."""
    name = node_name.removesuffix("Backward0").removesuffix("Backward1")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _index_region(op: str, input, dim, index) -> tuple:
    """(slice(None), ..., index) for index_copy/index_fill: index a 0-d or 1-d long tensor whose
    entries are inside dim."""
    axis = _check_dim(dim, builtins.max(input.ndim, 1), op)
    if not isinstance(index, Tensor) or index.dtype != np.int64 or index.ndim > 1:
        got = f"{index.dtype}, {index.ndim}-d" if isinstance(index, Tensor) else type(index)
        raise DtypeError(f"{op}: index must be a 0-d or 1-d long tensor (got {got}).")
    return (slice(None),) * axis + (index.reshape(-1),)


def _checked(op: str, region, input) -> tuple:
    """The region with its index tensors as arrays, inside the input's bounds."""
    region = normalize_index(region)
    try:
        np.empty(input.shape, dtype=bool)[region]
    except IndexError as e:
        raise IndexOutOfRangeError(f"{op}: {e} (tensor shape {tuple(input.shape)})") from None
    return region


def index_copy(input, dim, index, source):
    """input with source's slices copied to the positions `index` along dim."""
    region = _checked("index_copy", _index_region("index_copy", input, dim, index), input)
    return RegionScatter.apply(input, source, region=region, node_name="IndexCopyBackward0")


def index_fill(input, dim, index, value):
    """input with value at the positions `index` along dim (value: a number or a 0-d tensor)."""
    region = _checked("index_fill", _index_region("index_fill", input, dim, index), input)
    if isinstance(value, Tensor):
        return RegionScatter.apply(input, value, region=region, node_name="IndexFillBackward1")
    return RegionScatter.apply(input, region=region, node_name="IndexFillBackward0", value=value)


def index_put(input, indices, values, accumulate=False):
    """input with input[indices] = values (or += with accumulate, repeated positions adding
    up); indices: a tuple of long or bool tensors."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put: indices must be a tuple of tensors, got {type(indices)}.")
    region = _checked("index_put", tuple(indices), input)
    return RegionScatter.apply(
        input, values, region=region, node_name="IndexPutBackward0", accumulate=accumulate
    )


def select_scatter(input, src, dim, index):
    """input with src written at `index` along dim (src has the shape of input.select)."""
    axis = _check_dim(dim, builtins.max(input.ndim, 1), "select_scatter")
    n = input.shape[axis]
    if not -n <= index < n:
        raise IndexOutOfRangeError(
            f"select_scatter: index {index} is out of range for dim {axis} of size {n}"
        )
    return _exact(input, src, (slice(None),) * axis + (index,), "SelectScatterBackward0")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """input with src written at input[start:end:step] along dim."""
    axis = _check_dim(dim, builtins.max(input.ndim, 1), "slice_scatter")
    if step <= 0:
        raise ArgumentError(f"slice_scatter: slice step must be positive, got {step}")
    region = (slice(None),) * axis + (slice(start, end, step),)
    return _exact(input, src, region, "SliceScatterBackward0")


def _exact(input, src, region, node_name):
    """src must have the region's shape exactly (torch does not broadcast it here)."""
    op = _op_name(node_name)
    shape = np.empty(input.shape, dtype=bool)[region].shape
    if tuple(src.shape) != shape:
        raise ShapeError(
            f"{op}: expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(shape)}."
        )
    return RegionScatter.apply(input, src, region=region, node_name=node_name)


class DiagonalScatter(Function):
    node_name = "DiagonalScatterBackward0"
    symbol = "diagonal="
    array_backward = True

    @staticmethod
    def forward(ctx, input, src, offset, dim1, dim2):
        out = input.copy()
        shape = np.diagonal(input, offset, dim1, dim2).shape
        if shape != src.shape:
            raise ShapeError(
                f"diagonal_scatter: expected src to have the diagonal's shape {list(shape)}, "
                f"got {list(src.shape)}."
            )
        on_diagonal = np.zeros(input.shape, dtype=bool)
        n = shape[-1]
        rows, cols = np.arange(n) + builtins.max(-offset, 0), np.arange(n) + builtins.max(offset, 0)
        np.moveaxis(out, (dim1, dim2), (-2, -1))[..., rows, cols] = src
        np.moveaxis(on_diagonal, (dim1, dim2), (-2, -1))[..., rows, cols] = True
        ctx.save_for_backward((~on_diagonal).astype(input.dtype))
        return out

    @staticmethod
    def backward(ctx, grad):
        (off_diagonal,) = ctx.saved_tensors
        options, need = ctx.options, ctx.needs_input_grad
        grad_src = None
        if need[1]:
            grad_src = Diagonal.apply(
                grad, offset=options["offset"], dim1=options["dim1"], dim2=options["dim2"]
            )
        return grad * off_diagonal if need[0] else None, grad_src


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """input with src written on its offset-th diagonal of (dim1, dim2)."""
    dim1, dim2 = _dims(input.ndim, (dim1, dim2), "diagonal_scatter")
    return DiagonalScatter.apply(input, src, offset=int(offset), dim1=dim1, dim2=dim2)


class MaskedScatter(Function):
    """input with source's first elements, in order, where mask is true."""

    node_name = "MaskedScatterBackward0"
    symbol = "masked_scatter"

    @staticmethod
    def forward(ctx, input, source, mask):
        mask = np.broadcast_to(mask, input.shape)
        count = int(mask.sum())
        if source.size < count:
            raise ShapeError(
                f"masked_scatter: expected source to have at least {count} elements (the "
                f"mask's True count), got {source.size} (shape {tuple(source.shape)})."
            )
        out = input.copy()
        out[mask] = source.reshape(-1)[:count]
        return out

    @staticmethod
    def backward(ctx, grad):
        mask = np.broadcast_to(ctx.options["mask"], grad.shape)
        need = ctx.needs_input_grad
        grad_input = grad * Tensor._make(~mask) if need[0] else None
        grad_source = None
        if need[1]:
            shape = ctx.input_meta[1][0]
            picked = MaskedSelect.apply(grad, mask=mask)
            rest = Tensor._make(np.zeros(int(np.prod(shape)) - picked.shape[0], grad.dtype))
            grad_source = cat([picked, rest]).reshape(shape)
        return grad_input, grad_source


def masked_scatter(input, mask, source):
    """input with the elements of source, in order, where mask (broadcast) is true."""
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise DtypeError(f"masked_scatter: mask must be a bool tensor (got {type(mask)}).")
    return MaskedScatter.apply(input, source, mask=mask)


# --- scatter_reduce --------------------------------------------------------------------------
_REDUCE = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
           "amin": np.minimum}  # fmt: skip


def _identity(reduce: str, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return -big if reduce == "amax" else big


class ScatterReduce(Function):
    """input with src's values reduced into the positions index names along dim."""

    node_name = "ScatterReduceBackward0"
    symbol = "scatter_reduce"
    # amax / amin with include_self=False: whether an input value equal to the result, though
    # left out, still takes a share of the gradient (torch's index_reduce: the share is lost)
    ties_with_left_out_self = False

    @staticmethod
    def forward(ctx, input, src, dim, index, reduce, include_self):
        if index.size and (index.min() < 0 or index.max() >= input.shape[dim]):
            bad = index[(index < 0) | (index >= input.shape[dim])].flat[0]
            raise IndexOutOfRangeError(
                f"scatter_reduce: index {bad} is out of bounds for dimension {dim} with size "
                f"{input.shape[dim]}"
            )
        grid = _grid(index, dim)
        values = src[tuple(slice(0, n) for n in index.shape)]
        counts = np.zeros(input.shape, dtype=np.int64)
        np.add.at(counts, grid, 1)
        out = input.copy()
        if not include_self:
            out[counts > 0] = _identity(reduce, input.dtype)
        _REDUCE[reduce].at(out, grid, values)
        if reduce == "mean":
            n = np.maximum(counts + include_self, 1)
            out = out / n if out.dtype.kind == "f" else out // n
        ctx.save_for_backward(input, src, out, counts)
        return out.astype(input.dtype, copy=False)

    @classmethod  # cls: ScatterReduce or IndexReduce (their ties differ); replays know no node
    def backward(cls, ctx, grad):
        input, src, out, counts = ctx.saved_tensors
        # their values (Tensors that may require grad under double backward, or arrays)
        input, src, out, counts = (
            v._data if isinstance(v, Tensor) else np.asarray(v) for v in (input, src, out, counts)
        )
        options = ctx.options
        reduce, include_self = options["reduce"], options["include_self"]
        grid, counts = _grid(options["index"], options["dim"]), np.asarray(counts)
        hit = counts > 0
        used = ~hit | include_self  # where the input's own value took part
        kept = Tensor._make(used.astype(grad.dtype))
        if reduce in ("sum", "mean"):
            n = np.where(hit, counts + include_self, 1) if reduce == "mean" else 1
            share = grad / Tensor._make(np.asarray(n, dtype=grad.dtype))
            return _to_inputs(ctx, share * kept, share)
        if reduce == "prod":
            if is_grad_enabled():
                raise NotImplementedError(
                    "scatter_reduce: second derivatives of reduce='prod' are not implemented."
                )
            others_self, others_src = _others(np.asarray(input), np.asarray(src), hit, ctx)
            return _to_inputs(ctx, grad * others_self * kept, grad, others_src)
        # amax, amin: the gradient is shared evenly among the values equal to the result
        result = np.asarray(out)
        at_self = np.asarray(input) == result
        ties_self = at_self if cls.ties_with_left_out_self else at_self & used
        at_self = at_self & used
        values = np.asarray(src)[tuple(slice(0, n) for n in options["index"].shape)]
        at_src = values == result[grid]
        ties = ties_self.astype(np.int64)
        np.add.at(ties, grid, at_src)
        share = grad / Tensor._make(np.maximum(ties, 1).astype(grad.dtype))
        return _to_inputs(ctx, share * Tensor._make(at_self.astype(grad.dtype)), share, at_src)


def _to_inputs(ctx, grad_input, share, src_factor=None):
    """(input's gradient, src's: share gathered at index, times src_factor, padded to src)."""
    need, options = ctx.needs_input_grad, ctx.options
    grad_src = None
    if need[1]:
        picked = Gather.apply(share, dim=options["dim"], index=options["index"])
        if src_factor is not None:
            picked = picked * Tensor._make(np.asarray(src_factor, dtype=picked.dtype))
        src_shape = ctx.input_meta[1][0]
        pad = [(0, s - n) for s, n in zip(src_shape, options["index"].shape)]
        grad_src = _pad(picked, pad) if builtins.any(p[1] for p in pad) else picked
    return grad_input if need[0] else None, grad_src


def _grid(index, dim) -> tuple:
    """The positions index names: index along dim, its own coordinates along the others."""
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


def _others(input, src, hit, ctx):
    """For each factor of a product: the product of the other factors at its position (zeros
    handled by counting them, as torch, not by dividing)."""
    options = ctx.options
    grid, include_self = _grid(options["index"], options["dim"]), options["include_self"]
    values = src[tuple(slice(0, n) for n in options["index"].shape)]
    own = np.where(~hit | include_self, input, 1)
    nonzero = np.where(own == 0, 1, own)
    zeros = (own == 0).astype(np.int64)
    np.multiply.at(nonzero, grid, np.where(values == 0, 1, values))
    np.add.at(zeros, grid, values == 0)

    def other_factors(x, total_nonzero, total_zeros):
        with np.errstate(divide="ignore", invalid="ignore"):
            without = np.where(x == 0, total_nonzero, total_nonzero / np.where(x == 0, 1, x))
        rest_zeros = total_zeros - (x == 0)
        return np.where(rest_zeros > 0, 0.0, without)

    return other_factors(own, nonzero, zeros), other_factors(values, nonzero[grid], zeros[grid])


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """input with src reduced into the positions index names along dim: reduce is "sum",
    "prod", "mean", "amax" or "amin"; include_self=False leaves input's own values out
    where something is scattered."""
    if reduce not in _REDUCE:
        raise ArgumentError(
            f"scatter_reduce: reduce argument must be either sum, prod, mean, amax or amin, "
            f"got {reduce!r}."
        )
    axis = _check_dim(dim, builtins.max(input.ndim, 1), "scatter_reduce")
    if not isinstance(index, Tensor) or index.dtype != np.int64:
        raise DtypeError("scatter_reduce: index must be a long tensor.")
    if not (index.ndim == input.ndim == src.ndim):
        raise ShapeError(
            f"scatter_reduce: index {tuple(index.shape)}, self {tuple(input.shape)} and src "
            f"{tuple(src.shape)} must have the same number of dimensions."
        )
    for d, n in enumerate(index.shape):
        if n > src.shape[d] or (d != axis and n > input.shape[d]):
            raise ShapeError(
                f"scatter_reduce: expected index {tuple(index.shape)} to be no larger than src "
                f"{tuple(src.shape)}, nor than self {tuple(input.shape)} apart from dim {axis}."
            )
    return ScatterReduce.apply(
        input, src, dim=axis, index=index, reduce=reduce, include_self=bool(include_self)
    )


class IndexReduce(ScatterReduce):
    """scatter_reduce with source's slices reduced whole into the positions index names along
    dim: the same forward and gradient, under torch's index_reduce node."""

    node_name = "IndexReduceBackward0"
    symbol = "index_reduce"
    ties_with_left_out_self = True


_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """input with source's slices reduced into the positions index names along dim: reduce is
    "prod", "mean", "amax" or "amin"; include_self=False leaves input's own values out where
    something lands (torch.index_reduce, a beta API in torch)."""
    warnings.warn("index_reduce() is in beta and the API may change at any time.", UserWarning,
                  stacklevel=2)  # fmt: skip
    op = "index_reduce"
    if reduce not in _INDEX_REDUCTIONS:
        raise RuntimeError(f"{op}(): Expected reduce to be one of prod, mean, amax or amin but "
                           f"got {reduce}.")  # fmt: skip
    axis = _check_dim(dim, builtins.max(input.ndim, 1), op)
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"{op}_(): Expected dtype int32/int64 for index but got: {got}")
    if index.ndim > 1:
        raise IndexError(f"{op}_(): Index is supposed to be a vector, but got dim: {index.ndim} "
                         f"with size: {list(index.shape)}")  # fmt: skip
    if source.dtype != input.dtype:
        raise RuntimeError(f"{op}_(): self ({input.dtype}) and source ({source.dtype}) must have "
                           "the same scalar type")  # fmt: skip
    positions = index.numpy(force=True).reshape(-1).astype(np.int64)
    along = source.shape[axis] if source.ndim else 1
    if len(positions) != along:
        raise RuntimeError(f"{op}_(): Number of indices ({len(positions)}) should be equal to "
                           f"source.size(dim): ({along}), for dim: {axis}")  # fmt: skip
    if source.ndim != input.ndim or builtins.any(
        n != m for d, (n, m) in enumerate(zip(source.shape, input.shape)) if d != axis
    ):
        raise ShapeError(f"{op}_(): source {tuple(source.shape)} must have self's shape "
                         f"{tuple(input.shape)} apart from dim {axis}.")  # fmt: skip
    if positions.size and (positions.min() < 0 or positions.max() >= input.shape[axis]):
        raise IndexError(f"{op}: index out of range in self (indices {positions.tolist()} for "
                         f"dim {axis} of size {input.shape[axis]})")  # fmt: skip
    shape = [1] * source.ndim
    shape[axis] = -1
    spread = np.broadcast_to(positions.reshape(shape), source.shape)
    return IndexReduce.apply(input, source, dim=axis, index=spread, reduce=reduce,
                             include_self=bool(include_self))  # fmt: skip


class FillDiagonal(Function):
    """input with value on its main diagonal (the graph form of fill_diagonal_; torch writes
    through a diagonal view, so its node is CopySlices)."""

    node_name = "CopySlices"
    symbol = "fill_diagonal"
    array_backward = True

    @staticmethod
    def forward(ctx, input, value, wrap):
        positions = _diagonal_positions(input.shape, wrap)
        out = input.copy()
        out.reshape(-1)[positions] = value
        kept = np.ones(input.size, dtype=input.dtype)
        kept[positions] = 0
        ctx.save_for_backward(kept.reshape(input.shape))
        return out

    @staticmethod
    def backward(ctx, grad):
        (kept,) = ctx.saved_tensors
        return grad * kept


def _diagonal_positions(shape, wrap: bool) -> np.ndarray:
    """Flat positions of the main diagonal; a tall matrix with wrap starts again every
    columns + 1 rows, as torch."""
    size = int(np.prod(shape))
    if len(shape) == 2:
        rows, cols = shape
        step = cols + 1
        count = -(-size // step) if wrap else builtins.min(rows, cols)
        return np.arange(count) * step
    step = sum(int(np.prod(shape[d + 1 :])) for d in range(len(shape)))
    return np.arange(shape[0]) * step


def fill_diagonal(input, fill_value, wrap=False):
    """input with fill_value on its main diagonal (fill_diagonal_'s op)."""
    if input.ndim < 2:
        raise ShapeError(
            f"fill_diagonal_: dimensions must larger than 1 (got shape {tuple(input.shape)})."
        )
    if input.ndim > 2 and len(set(input.shape)) != 1:
        raise ShapeError(
            "fill_diagonal_: all dimensions of input must be of equal length (got shape "
            f"{tuple(input.shape)})."
        )
    return FillDiagonal.apply(input, value=fill_value, wrap=bool(wrap))
