"""Shape ops: reshape/view, flatten, transpose, permute, unsqueeze, squeeze, expand, cat, stack,
select, unbind."""

import math

import numpy as np

from .. import dtypes
from ..device import laid_out, preserve_format
from ..errors import ShapeError
from ..function import Function
from ..tensor import Tensor
from .comparison import discrete

__all__ = [
    "concat",
    "concatenate",
    "reshape",
    "view",
    "transpose",
    "permute",
    "unsqueeze",
    "squeeze",
    "expand",
    "cat",
    "stack",
    "clone",
    "flatten",
    "select",
    "unbind",
    "broadcast_to",
    "swapaxes",
    "swapdims",
    "movedim",
    "moveaxis",
    "hstack",
    "vstack",
    "ravel",
    "row_stack",
    "column_stack",
    "dstack",
    "broadcast_tensors",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
]  # the public ops: autodiff exports these


def _shape_arg(shape) -> tuple:
    """Accept reshape(2, 3) and reshape((2, 3)) alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class View(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "ViewBackward0"
    view = True
    symbol = "view"
    array_backward = True

    @staticmethod
    def forward(ctx, input, shape, strict=False):
        if input.size != math.prod(shape):
            raise ShapeError(
                f"view: shape {shape} is invalid for input of size {input.size} "
                f"(shape {tuple(input.shape)}). The element counts must match."
            )
        if not strict:  # reshape: a copy where the strides do not allow a view
            return input.reshape(shape)
        try:
            return np.reshape(input, shape, copy=False)
        except ValueError:  # torch's view never copies: a copy would not see later writes
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (at least one "
                f"dimension spans across two contiguous subspaces): shape {tuple(input.shape)}, "
                f"strides {tuple(s // input.itemsize for s in input.strides)}, view {shape}. "
                "Use .reshape(...) instead (it copies where it must), or .contiguous().view(...)."
            ) from None

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_meta[0][0])


def reshape(input, *shape):
    """The same elements in a new shape (one dim may be -1)."""
    shape = _resolve(_shape_arg(shape), input.numel(), "reshape", input.shape)
    return View.apply(input, shape=shape)


def view(input, *shape):
    """The same storage in a new shape; refused where the strides allow no view (torch's
    error: reshape copies there)."""
    shape = _resolve(_shape_arg(shape), input.numel(), "view", input.shape)
    return View.apply(input, shape=shape, strict=True)


class Transpose(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "TransposeBackward0"
    view = True
    symbol = "transpose"
    array_backward = True

    @staticmethod
    def forward(ctx, input, dim0, dim1):
        return np.swapaxes(input, dim0, dim1)

    @staticmethod
    def backward(ctx, grad):
        return grad.swapaxes(ctx.options["dim0"], ctx.options["dim1"])  # Tensor or array


class T(Transpose):
    """x.t(): a matrix's transpose (a 1-D tensor as it is), torch's own node for it."""

    node_name = "TBackward0"
    symbol = "t"


def transpose(input, dim0, dim1):
    """Swap two dims."""
    ndim = input.ndim
    return Transpose.apply(
        input, dim0=_check_dim(dim0, ndim, "transpose"), dim1=_check_dim(dim1, ndim, "transpose")
    )


class Permute(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "PermuteBackward0"
    view = True
    symbol = "permute"

    @staticmethod
    def forward(ctx, input, dims):
        return np.transpose(input, dims)

    @staticmethod
    def backward(ctx, grad):
        return grad.permute(tuple(np.argsort(ctx.options["dims"])))


def permute(input, *dims):
    """Reorder all dims."""
    dims = _shape_arg(dims)
    if sorted(d % max(input.ndim, 1) for d in dims) != list(range(input.ndim)):
        raise ShapeError(
            f"permute: dims {dims} are not a permutation of the {input.ndim} dims "
            f"of a tensor of shape {tuple(input.shape)}"
        )
    return Permute.apply(input, dims=tuple(d % input.ndim for d in dims))


class Unsqueeze(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "UnsqueezeBackward0"
    view = True
    symbol = "unsqueeze"
    array_backward = True

    @staticmethod
    def forward(ctx, input, dim):
        return np.expand_dims(input, dim)

    @staticmethod
    def backward(ctx, grad):
        return grad.squeeze(ctx.options["dim"])


def unsqueeze(input, dim):
    """Insert a dim of size 1."""
    return Unsqueeze.apply(input, dim=_check_dim(dim, input.ndim + 1, "unsqueeze"))


class Squeeze(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "SqueezeBackward1"
    view = True
    symbol = "squeeze"
    array_backward = True

    @staticmethod
    def forward(ctx, input, dim=None):
        if dim is None:
            ctx.node_name = "SqueezeBackward0"
            return np.squeeze(input)
        return np.squeeze(input, axis=dim) if input.shape[dim] == 1 else input

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_meta[0][0])


def squeeze(input, dim=None):
    """Remove dims of size 1 (all, or only dim)."""
    if dim is not None:
        dim = _check_dim(dim, max(input.ndim, 1), "squeeze") if input.ndim else None
    return Squeeze.apply(input, dim=dim)


def _broadcast_view(array: np.ndarray, shape: tuple) -> np.ndarray:
    """np.broadcast_to(array, shape), made directly where the array owns contiguous memory
    (broadcast_to costs 3.5 us, mostly Python; a sum's gradient is expanded on every step)."""
    lead = len(shape) - array.ndim
    if array.base is not None or not array.flags.c_contiguous or not array.size or lead < 0:
        return np.broadcast_to(array, shape)
    strides = [0] * lead
    for n, target, stride in zip(array.shape, shape[lead:], array.strides):
        if n != target and n != 1:
            return np.broadcast_to(array, shape)  # NumPy's error for shapes that do not fit
        strides.append(stride if n != 1 else 0)
    view = np.ndarray(shape, array.dtype, array, 0, tuple(strides))
    view.flags.writeable = False  # as broadcast_to's: its elements alias one another
    return view


class Expand(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "ExpandBackward0"
    view = True
    symbol = "expand"
    array_backward = True

    @staticmethod
    def forward(ctx, input, shape):
        return _broadcast_view(input, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad  # the engine's sum_to reduces it to the input's shape


def expand(input, *sizes):
    """Broadcast to a larger shape without copying (-1 keeps a dim)."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ShapeError(
            f"expand: the number of sizes {sizes} must be at least the number of "
            f"dims of the tensor, shape {tuple(input.shape)}"
        )
    shape = tuple(input.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    for i, n in enumerate(input.shape):
        if n != 1 and n != shape[lead + i]:
            raise ShapeError(
                f"expand: the expanded size {shape[lead + i]} must match the "
                f"existing size {n} at dim {lead + i} (shape {tuple(input.shape)} "
                f"to {sizes})"
            )
    return Expand.apply(input, shape=shape)


class Cat(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "CatBackward0"
    symbol = "cat"
    array_backward = True

    @staticmethod
    def forward(ctx, *inputs, dim=0):
        return np.concatenate(inputs, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.options["dim"]
        grads, start = [], 0
        for (shape, _), need in zip(ctx.input_meta, ctx.needs_input_grad):
            stop = start + shape[dim]
            index = (slice(None),) * dim + (slice(start, stop),)
            grads.append(grad[index] if need else None)
            start = stop
        return tuple(grads)


def cat(tensors, dim=0):
    """Join tensors along an existing dim."""
    tensors = _tensors_for("cat", tensors)
    dim = _check_dim(dim, tensors[0].ndim, "cat")
    ref = tensors[0].shape
    for t in tensors:
        if t.ndim != len(ref) or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, ref)) if i != dim
        ):
            raise ShapeError(
                f"cat: sizes of tensors must match except in dim {dim}; "
                f"got shapes {[tuple(x.shape) for x in tensors]}"
            )
    return Cat.apply(*tensors, dim=dim)


concat = concatenate = cat  # torch's aliases


class Stack(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "StackBackward0"
    symbol = "stack"
    array_backward = True

    @staticmethod
    def forward(ctx, *inputs, dim=0):
        return np.stack(inputs, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.options["dim"]
        index = (slice(None),) * dim
        return tuple(
            grad[index + (i,)] if need else None for i, need in enumerate(ctx.needs_input_grad)
        )


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dim."""
    tensors = _tensors_for("stack", tensors)
    if len({t.shape for t in tensors}) != 1:
        raise ShapeError(
            f"stack: expects each tensor to be equal size, got shapes {[tuple(t.shape) for t in tensors]}"
        )
    return Stack.apply(*tensors, dim=_check_dim(dim, tensors[0].ndim + 1, "stack"))


class ToCopy(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "ToCopyBackward0"
    symbol = "to"
    native_bfloat16 = True

    @staticmethod
    def forward(ctx, input, dtype):
        return dtypes.cast(input, dtype)

    @staticmethod
    def backward(ctx, grad):
        dtype = ctx.input_meta[0][1]
        if dtype.kind != "c" and grad.is_complex():  # complex from real: the real part
            grad = grad.real
        return grad.to(dtype)


def to_dtype(input, dtype):
    """A copy in another dtype (the same tensor when the dtype already matches)."""
    dtype = np.dtype(dtype)
    if input.dtype == dtype:
        return input
    if input.requires_grad and dtype.kind not in "fc" and not dtypes.is_float(dtype):
        return discrete(np.ndarray.astype, input, dtype=dtype)
    return ToCopy.apply(input, dtype=dtype)


class Clone(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "CloneBackward0"
    symbol = "clone"
    array_backward = True

    @staticmethod
    def forward(ctx, input, memory_format=None):
        return laid_out(input, memory_format or preserve_format)

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(input, *, memory_format=None):
    """A copy that stays in the graph, its elements in memory in the input's own order
    (torch.preserve_format, as torch) or in memory_format's."""
    if memory_format is None or memory_format is preserve_format:
        return Clone.apply(input)
    return Clone.apply(input, memory_format=memory_format)


def _check_dim(dim: int, ndim: int, op: str) -> int:
    if not -ndim <= dim < ndim:
        raise IndexError(f"{op}: dim {dim} is out of range (expected -{ndim} <= dim < {ndim})")
    return dim % ndim


def _resolve(shape: tuple, size: int, op: str, input_shape) -> tuple:
    """Fill in one -1 and check the element count."""
    if shape.count(-1) > 1:
        raise ShapeError(f"{op}: only one dimension can be -1, got {shape}")
    known = int(np.prod([n for n in shape if n != -1]))
    if -1 in shape:
        if known == 0 or size % known:
            raise ShapeError(
                f"{op}: shape {shape} is invalid for input of size {size} (shape {input_shape})"
            )
        shape = tuple(size // known if n == -1 else n for n in shape)
    if int(np.prod(shape)) != size:
        raise ShapeError(
            f"{op}: shape {shape} is invalid for input of size {size} (shape {input_shape}). "
            "The element counts must match."
        )
    return shape


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one."""
    if input.ndim == 0:
        return reshape(input, 1)
    start = _check_dim(start_dim, input.ndim, "flatten")
    end = _check_dim(end_dim, input.ndim, "flatten")
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = input.shape
    # the merged size written out, not -1, which a zero-size input leaves ambiguous
    merged = int(np.prod(shape[start : end + 1]))
    return reshape(input, shape[:start] + (merged,) + shape[end + 1 :])


def select(input, dim, index):
    """The slice at index along dim, that dim removed (input[:, index] for dim 1)."""
    axis = _check_dim(dim, input.ndim, "select")
    n = input.shape[axis]
    if not -n <= index < n:
        raise IndexError(f"select: index {index} is out of range for dim {dim} of size {n}")
    return input[(slice(None),) * axis + (int(index),)]


def unbind(input, dim=0):
    """The slices along dim, as a tuple (torch.unbind)."""
    axis = _check_dim(dim, input.ndim, "unbind")
    return tuple(select(input, axis, i) for i in range(input.shape[axis]))


def _tensors_for(op: str, tensors):
    tensors = list(tensors)
    if not tensors:
        raise ShapeError(f"{op}: expected a non-empty list of tensors")
    return [t if isinstance(t, Tensor) else Tensor._of(t) for t in tensors]


# --- torch's other names for the ops above (each records the op torch records) -------------
def broadcast_to(input, size):
    """torch.broadcast_to: expand to `size` (ExpandBackward0, as torch)."""
    return expand(input, size)  # expand takes a size tuple as one argument too


def ravel(input):
    """torch.ravel: the elements as one dim (ViewBackward0, after a CloneBackward0 where the
    layout needs a copy, as torch)."""
    return reshape(input.contiguous(), -1)


def swapaxes(input, axis0, axis1):
    """torch.swapaxes: transpose (TransposeBackward0, as torch)."""
    return transpose(input, axis0, axis1)


def swapdims(input, dim0, dim1):
    """torch.swapdims: transpose (TransposeBackward0, as torch)."""
    return transpose(input, dim0, dim1)


def movedim(input, source, destination):
    """torch.movedim: the dims in `source` moved to `destination`, the others in their order
    (PermuteBackward0, as torch)."""
    source = (source,) if isinstance(source, int) else tuple(source)
    destination = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(source) != len(destination):
        raise ShapeError(
            f"movedim: source {source} and destination {destination} must have the same number "
            "of dims"
        )
    ndim = input.ndim
    source = tuple(_check_dim(d, ndim, "movedim") for d in source)
    destination = tuple(_check_dim(d, ndim, "movedim") for d in destination)
    if len(set(source)) != len(source) or len(set(destination)) != len(destination):
        raise ShapeError(f"movedim: repeated dim in source {source} or destination {destination}")
    order = [d for d in range(ndim) if d not in source]
    for dst, src in sorted(zip(destination, source)):
        order.insert(dst, src)
    return permute(input, *order)


moveaxis = movedim


def hstack(tensors):
    """torch.hstack: cat along dim 1, or dim 0 for 1-d tensors (CatBackward0, as torch)."""
    tensors = [t if t.ndim else t.reshape(1) for t in _tensors_for("hstack", tensors)]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """torch.vstack: cat along dim 0, 0-d and 1-d tensors first made rows as torch makes them
    (a view, an unsqueeze), then CatBackward0."""
    tensors = _tensors_for("vstack", tensors)
    rows = [
        t.reshape(1, 1) if t.ndim == 0 else t.unsqueeze(0) if t.ndim == 1 else t for t in tensors
    ]
    return cat(rows, 0)


row_stack = vstack  # torch.row_stack: vstack's other name


def column_stack(tensors):
    """torch.column_stack: 0-d and 1-d tensors as columns (a view each), then cat along dim 1."""
    tensors = _tensors_for("column_stack", tensors)
    columns = [t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in tensors]
    return cat(columns, 1)


def dstack(tensors):
    """torch.dstack: each made at least 3-d (atleast_3d), then cat along dim 2."""
    return cat(atleast_3d(_tensors_for("dstack", tensors)), 2)


def broadcast_tensors(*tensors):
    """torch.broadcast_tensors: each expanded to the shape they broadcast to (ExpandBackward0);
    one already of that shape comes back as it is, as in torch."""
    tensors = _tensors_for("broadcast_tensors", tensors) if tensors else []
    try:
        shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    except ValueError:
        shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
        raise ShapeError(
            f"broadcast_tensors: shapes {shapes} do not broadcast (each dim must match or be 1)"
        ) from None
    return tuple(t if t.shape == shape else expand(t, shape) for t in tensors)


def atleast_1d(*tensors):
    """torch.atleast_1d: a 0-d tensor as shape (1,) (a view); others as they are. One tensor
    gives a tensor, several (or a list) a tuple."""
    return _at_least(tensors, lambda t: t.reshape(1) if t.ndim == 0 else t)


def atleast_2d(*tensors):
    """torch.atleast_2d: 0-d as (1, 1), 1-d as a row (1, n); others as they are."""
    return _at_least(
        tensors, lambda t: t.reshape(1, 1) if t.ndim == 0 else t.unsqueeze(0) if t.ndim == 1 else t
    )


def atleast_3d(*tensors):
    """torch.atleast_3d: 0-d as (1, 1, 1), 1-d (n) as (1, n, 1), 2-d (m, n) as (m, n, 1)."""

    def three(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.unsqueeze(0).unsqueeze(-1)
        return t.unsqueeze(-1) if t.ndim == 2 else t

    return _at_least(tensors, three)


def _at_least(tensors, grow):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(grow(t) for t in _tensors_for("atleast", tensors[0]))
    grown = tuple(grow(t if isinstance(t, Tensor) else Tensor._of(t)) for t in tensors)
    return grown[0] if len(grown) == 1 else grown
