"""Reductions with PyTorch's dim/keepdim: sum, mean, var, std, max, min, amax, amin, aminmax,
nansum, nanmean, count_nonzero, var_mean, std_mean, logsumexp, argmax, histograms, trapezoid,
gradient."""

import builtins
from collections import namedtuple

import numpy as np

from .. import cascade, cpu_math
from ..dtypes import as_dtype, get_default_dtype
from ..errors import ArgumentError, DtypeError, IndexOutOfRangeError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .comparison import discrete
from .complexes import refuse_complex
from .shape import Expand
from .shape import cat as _cat

__all__ = [
    "sum",
    "trapezoid",
    "trapz",
    "cumulative_trapezoid",
    "gradient",
    "mean",
    "var",
    "std",
    "logsumexp",
    "max",
    "min",
    "argmax",
    "argmin",
    "histc",
    "histogram",
    "histogramdd",
]  # the public ops: autodiff exports these
__all__ += ["amax", "amin", "aminmax", "nansum", "nanmean", "count_nonzero", "var_mean", "std_mean"]


def return_type_repr(result: tuple, op: str) -> str:
    """How torch prints a named result: torch.return_types.max(\nvalues=...,\nindices=...)."""
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(result._fields, result))
    return f"torch.return_types.{op}(\n{fields})"


class ValuesIndices(namedtuple("ValuesIndices", ["values", "indices"])):
    """torch.return_types.max (min, sort, topk): (values, indices)."""

    def __new__(cls, values, indices, op: str = "max"):
        result = super().__new__(cls, values, indices)
        result.op = op
        return result

    def __repr__(self) -> str:
        return return_type_repr(self, self.op)


def normalize_dims(dim, ndim: int, op: str):
    """dim (None, int or tuple, negatives allowed) -> a sorted tuple of axes, or None."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    bound = builtins.max(ndim, 1)
    for d in dims:
        if not -bound <= d < bound:
            raise IndexError(
                f"{op}: dim {d} is out of range for a tensor with {ndim} dims "
                f"(expected -{bound} <= dim < {bound})"
            )
    return tuple(sorted({d % bound for d in dims})) if ndim else ()


def _expand_back(grad, ctx):
    """Broadcast a reduced gradient back over the reduced dims of the input."""
    shape, _ = ctx.input_meta[0]
    dims, keepdim = ctx.options["dim"], ctx.options["keepdim"]
    if not keepdim and dims is not None:  # a 0-d gradient (all dims reduced) broadcasts as is
        kept = list(shape)
        for d in dims:
            kept[d] = 1
        grad = grad.reshape(tuple(kept))
    if isinstance(grad, Tensor):
        return Expand.apply(grad, shape=shape)
    out = np.empty(shape, grad.dtype)  # first-order backward, an array: a fresh one is
    out[...] = grad  # faster to make than a broadcast view, and AccumulateGrad can keep it
    return out


def _count(ctx) -> int:
    shape, _ = ctx.input_meta[0]
    dims = ctx.options["dim"]
    return int(np.prod(shape if dims is None else [shape[d] for d in dims]))


class Sum(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "SumBackward1"
    symbol = "Σ"
    array_backward = True

    @staticmethod
    def forward(ctx, input, dim=None, keepdim=False, dtype=None):
        if dim is None and not keepdim:  # torch: sum() is 0, sum(dim=None, keepdim) is 1
            ctx.node_name = "SumBackward0"
        # torch's order where it sums every element (NumPy's reduce, without ndarray.sum's
        # Python wrapper, whose warnings would not be ours, elsewhere)
        return cascade.reduce_sum(input if dtype is None else input.astype(dtype), dim, keepdim)

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(grad, ctx)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over all elements or over dim (int or tuple); with dtype, of the input in that dtype
    (the gradient comes back in the input's)."""
    dims = normalize_dims(dim, input.ndim, "sum")
    if dtype is None:
        return Sum.apply(input, dim=dims, keepdim=keepdim)
    return Sum.apply(input, dim=dims, keepdim=keepdim, dtype=as_dtype(dtype, "sum"))


class Mean(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "MeanBackward1"
    symbol = "mean"
    array_backward = True

    @staticmethod
    def forward(ctx, input, dim=None, keepdim=False, dtype=None):
        if dim is None and not keepdim:  # torch: sum() is 0, sum(dim=None, keepdim) is 1
            ctx.node_name = "MeanBackward0"
        x = input if dtype is None else input.astype(dtype)
        if (dim is None or len(dim) == x.ndim) and x.dtype.char in "fd":  # torch's: sum() / n
            with np.errstate(divide="ignore", invalid="ignore"):  # no elements: 0/0, nan
                return cascade.reduce_sum(x, dim, keepdim) / x.size
        with np.errstate(invalid="ignore", over="ignore"):  # NumPy's own Python: not ours
            return np.mean(x, axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(grad / _count(ctx), ctx)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over all elements or over dim; with dtype, of the input in that dtype."""
    dims = normalize_dims(dim, input.ndim, "mean")
    if dtype is None:
        if input.dtype.kind not in "fc":
            raise DtypeError(
                f"mean: input dtype should be floating point, got {input.dtype}. Give a "
                "floating dtype, e.g. t.mean(dtype=torch.float32), or convert with t.float()."
            )
        return Mean.apply(input, dim=dims, keepdim=keepdim)
    dtype = as_dtype(dtype, "mean")
    if dtype.kind not in "fc":
        raise DtypeError(f"mean: dtype should be floating point, got {dtype}")
    return Mean.apply(input, dim=dims, keepdim=keepdim, dtype=dtype)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along dim: the integral of y at spacing dx (default 1) or at the
    sample points x (1-d along dim, or y's shape), built from torch's same ops."""
    if y.ndim == 0:
        raise IndexError("trapezoid: y is 0-d; it needs a dim to integrate along")
    (axis,) = normalize_dims(dim, y.ndim, "trapezoid")
    n = y.shape[axis]
    if x is None:
        step = 1 if dx is None else dx
        if n == 0:
            return y.sum(axis) * 0
        ends = y.select(axis, 0) + y.select(axis, -1)
        return (y.sum(axis) - ends * 0.5) * step
    if dx is not None:
        raise ArgumentError("trapezoid: give the sample points x or the spacing dx, not both")
    if x.ndim == 1:
        if x.shape[0] != n:
            raise ShapeError(
                f"trapezoid: x has {x.shape[0]} points for {n} samples of y along dim {axis}"
            )
        x = x.reshape(*[n if d == axis else 1 for d in range(y.ndim)])
    if n == 0:
        return y.sum(axis) * 0
    left, right = y.narrow(axis, 0, n - 1), y.narrow(axis, 1, n - 1)
    steps = x.narrow(axis, 1, n - 1) - x.narrow(axis, 0, n - 1)
    return ((right + left) * steps).sum(axis) / 2.0


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral of y along dim (one fewer value than y there), at
    spacing dx (default 1) or at the sample points x (1-d along dim, or y's shape)."""
    if y.ndim == 0:
        raise IndexError("cumulative_trapezoid: y is 0-d; it needs a dim to integrate along")
    (axis,) = normalize_dims(dim, y.ndim, "cumulative_trapezoid")
    n = y.shape[axis]
    if x is not None and dx is not None:
        raise ArgumentError("cumulative_trapezoid: give the sample points x or the spacing dx, "
                            "not both")  # fmt: skip
    if y.dtype.kind in "iub":
        y = y.to(get_default_dtype())
    if n == 0:  # nothing to integrate: y itself is the empty result
        return y.clone()
    pairs = y.narrow(axis, 1, n - 1) + y.narrow(axis, 0, n - 1)
    if x is None:
        return (pairs * ((1 if dx is None else dx) / 2)).cumsum(axis)
    if x.ndim == 1:
        if x.shape[0] != n:
            raise ShapeError(f"cumulative_trapezoid: x has {x.shape[0]} points for {n} samples "
                             f"of y along dim {axis}")  # fmt: skip
        x = x.reshape(*[n if d == axis else 1 for d in range(y.ndim)])
    steps = x.narrow(axis, 1, n - 1) - x.narrow(axis, 0, n - 1)
    return (pairs * steps).cumsum(axis) / 2.0


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """torch.gradient: each partial derivative of the function sampled by input, by central
    differences inside and one-sided ones of order edge_order (1 or 2) at the ends; spacing is
    a number, one number per dim, or one tensor of coordinates per dim. Built from torch's
    same ops, so gradients flow through input and coordinates."""
    op = "torch.gradient"
    if edge_order not in (1, 2) or isinstance(edge_order, bool):
        raise RuntimeError(f"{op} only supports edge_order=1 and edge_order=2, got {edge_order}.")
    dims = _gradient_dims(input.ndim, dim)
    steps = _gradient_spacing(input.ndim, dims, dim, spacing)
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError(
                f"{op} expected each dimension size to be at least edge_order+1: dim {d} has "
                f"{input.shape[d]} samples, edge_order={edge_order} needs {edge_order + 1}."
            )
    if input.dtype.kind in "iub":
        input = input.to(get_default_dtype())
    return tuple(_partial(input, d, h, edge_order) for d, h in zip(dims, steps))


def _gradient_dims(ndim: int, dim) -> tuple:
    dims = tuple(range(ndim)) if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
    for d in dims:
        if not -ndim <= d < builtins.max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                             f"{ndim - 1}], but got {d})")  # fmt: skip
    dims = tuple(d % ndim for d in dims)
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return dims


def _gradient_spacing(ndim: int, dims: tuple, dim, spacing) -> list:
    """One step per dim: a number, or a 1-d tensor of coordinates."""
    if isinstance(spacing, Tensor):
        if spacing.ndim:
            raise TypeError("gradient(): spacing must be a number, or a tuple of numbers or of "
                            "tensors (one per dim), not a tensor; wrap it: spacing=(t,).")  # fmt: skip
        spacing = spacing.item()
    if not isinstance(spacing, tuple | list):
        return [spacing] * len(dims)
    if len(spacing) != len(dims):
        expected = "len(dim)" if dim is not None else f"'self.dim() = {ndim}'"
        raise RuntimeError(
            "torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
            f"equal to {expected}, but got a list of length {len(spacing)}"
        )
    steps = []
    for h in spacing:
        if isinstance(h, Tensor) and h.ndim == 0:
            h = h.item()
        elif isinstance(h, Tensor) and h.ndim != 1:
            raise RuntimeError(f"torch.gradient expected each tensor of spacing to be 1-d, got "
                               f"shape {tuple(h.shape)}")  # fmt: skip
        steps.append(h)
    return steps


def _partial(f, d: int, h, edge_order: int):
    """The derivative along dim d at step h (a number) or at coordinates h (a 1-d tensor)."""

    def part(start, stop=None):
        return f[(slice(None),) * d + (slice(start, stop),)]

    if isinstance(h, Tensor):
        return _partial_at(f, d, h, edge_order, part)
    center = (part(2) - part(0, -2)) / h / 2
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / h
        last = (part(-1) - part(-2, -1)) / h
    else:
        first = (part(0, 1) * -1.5 + part(1, 2) * 2 - part(2, 3) * 0.5) / h
        last = (part(-3, -2) * 0.5 - part(-2, -1) * 2 + part(-1) * 1.5) / h
    return _cat((first, center, last), d)


def _partial_at(f, d: int, x, edge_order: int, part):
    """torch's second-order central differences for uneven coordinates x along d."""
    if x.shape[0] != f.shape[d]:
        raise RuntimeError(
            f"torch.gradient expected the coordinates along dim {d} to have {f.shape[d]} "
            f"values (one per sample), got {x.shape[0]}."
        )
    shape = [1] * f.ndim
    shape[d] = -1
    dx = x[1:] - x[:-1]
    dx1, dx2 = dx[:-1], dx[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * part(0, -2) + b * part(1, -1) + c * part(2)
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / dx[0]
        last = (part(-1) - part(-2, -1)) / dx[-1]
    else:
        h0, h1, hn, hm = dx[0], dx[1], dx[-1], dx[-2]
        first = (part(0, 1) * (-(2.0 * h0 + h1) / (h0 * (h0 + h1)))
                 + part(1, 2) * ((h0 + h1) / (h0 * h1))
                 + part(2, 3) * (-h0 / (h1 * (h0 + h1))))  # fmt: skip
        last = (part(-3, -2) * (hn / (hm * (hn + hm)))
                + part(-2, -1) * (-(hn + hm) / (hn * hm))
                + part(-1) * ((2 * hn + hm) / (hn * (hn + hm))))  # fmt: skip
    return _cat((first, center, last), d)


def trapz(y, x=None, *, dx=None, dim=-1):
    """torch.trapz: trapezoid's older name."""
    return trapezoid(y, x, dx=dx, dim=dim)


class Nansum(Function):
    """The sum of the values that are not NaN; NaNs get no gradient (torch's formula)."""

    node_name = "NansumBackward0"
    symbol = "Σ"
    array_backward = True

    @staticmethod
    def forward(ctx, input, dim=None, keepdim=False, dtype=None):
        values = input if dtype is None else input.astype(dtype)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(~np.isnan(input))
        with np.errstate(invalid="ignore"):  # inf + -inf is NaN, as torch
            return np.asarray(np.nansum(values, axis=dim, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        (kept,) = ctx.saved_tensors
        with np.errstate(invalid="ignore"):  # nanmean's inf (a slice of NaNs only) times 0
            return _expand_back(grad, ctx) * kept


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over all elements or over dim (int or tuple), NaN counted as 0."""
    refuse_complex("nansum", input, RuntimeError)
    dims = _listed_dims(input, dim, "nansum")
    dtype = None if dtype is None else as_dtype(dtype, "nansum")
    if dtype is None and input.dtype.kind in "bi":  # torch sums integers in int64
        dtype = np.dtype(np.int64)
    return Nansum.apply(input, dim=dims, keepdim=keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the values that are not NaN (torch's composition: nansum over the count of
    non-NaN values, so NaN where a slice holds none)."""
    if input.dtype.kind not in "fc":
        raise DtypeError(
            f"nanmean: expected input to have floating point dtype but got {input.dtype}. "
            "Convert first, e.g. t.float()."
        )
    dims = _listed_dims(input, dim, "nanmean")
    count = discrete(_count_not_nan, input, axis=dims, keepdims=keepdim)
    return nansum(input, dims, keepdim, dtype=dtype) / count


def _count_not_nan(data, axis, keepdims):
    return np.asarray(np.sum(~np.isnan(data), axis=axis, keepdims=keepdims), dtype=np.int64)


def count_nonzero(input, dim=None):
    """How many elements are not zero, over all of input or over dim (int or tuple); int64."""
    dims = _listed_dims(input, dim, "count_nonzero")
    return discrete(_count_nonzero, input, axis=dims)


def _count_nonzero(data, axis):
    return np.asarray(np.count_nonzero(data, axis=axis), dtype=np.int64)


def _listed_dims(input, dim, op):
    """dim (None, an int or a tuple; None or (): all dims) as sorted axes or None, a dim
    named twice refused as torch."""
    listed = () if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
    dim = listed or None
    dims = normalize_dims(dim, input.ndim, op)
    if dims and len(dims) < len(listed):
        raise ArgumentError(f"{op}: dim {listed} names a dim twice. List each dim once.")
    return dims


class Var(Function):
    node_name = "VarBackward0"
    symbol = "var"

    @staticmethod
    def forward(ctx, input, dim=None, correction=1, keepdim=False):
        ctx.save_for_backward(input)
        return np.var(input, axis=dim, ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        dims = ctx.options["dim"]
        centered = input - input.mean(dim=dims, keepdim=True)
        scale = 2.0 / (_count(ctx) - ctx.options["correction"])
        return _expand_back(grad, ctx) * centered * scale


def var(input, dim=None, unbiased=True, keepdim=False, correction=None):
    """Variance; unbiased (n − 1) by default, unbiased=False (or correction=0) for the
    population variance."""
    if input.dtype.kind not in "fc":
        raise DtypeError(
            f"var: std and var only support floating point dtypes, got {input.dtype}. "
            "Convert first, e.g. t.float()."
        )
    correction = int(unbiased) if correction is None else int(correction)
    dims = normalize_dims(dim, input.ndim, "var")
    return Var.apply(input, dim=dims, correction=correction, keepdim=keepdim)


def std(input, dim=None, unbiased=True, keepdim=False, correction=None):
    """Standard deviation: the square root of var (same arguments)."""
    return var(input, dim, unbiased, keepdim, correction).sqrt()


def var_mean(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """(var, mean) over the same dims, as a tuple (torch records one VarMeanBackward0 node
    for both; here var's and mean's own nodes)."""
    return var(input, dim, unbiased, keepdim, correction), _mean_of(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=True, keepdim=False, *, correction=None):
    """(std, mean) over the same dims, as a tuple (torch: one StdMeanBackward0 node)."""
    return std(input, dim, unbiased, keepdim, correction), _mean_of(input, dim, keepdim)


def _mean_of(input, dim, keepdim):
    return mean(input, normalize_dims(dim, input.ndim, "var_mean"), keepdim)


class MaxAll(Function):
    """max()/min() of all elements: ties share the gradient evenly, as torch."""

    node_name = "MaxBackward1"
    symbol = "max"
    array_backward = True

    @staticmethod
    def forward(ctx, input, largest=True):
        if not largest:
            ctx.node_name = "MinBackward1"
        out = input.max() if largest else input.min()
        ties = input == out
        if not ties.any():  # out is NaN: the gradient goes to the NaNs, as torch
            ties = np.isnan(input)
        ctx.save_for_backward((ties / ties.sum()).astype(input.dtype))
        return out

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return grad * share


class MaxDim(Function):
    """max(dim)/min(dim) values: the gradient goes to the index returned."""

    node_name = "MaxBackward0"
    symbol = "max"

    @staticmethod
    def forward(ctx, input, dim, keepdim=False, largest=True):
        if not largest:
            ctx.node_name = "MinBackward0"
        index = (np.argmax if largest else np.argmin)(input, axis=dim, keepdims=True)
        onehot = np.zeros_like(input)
        np.put_along_axis(onehot, index, 1, axis=dim)
        ctx.save_for_backward(onehot)
        values = np.take_along_axis(input, index, axis=dim)
        return values if keepdim else np.squeeze(values, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        (onehot,) = ctx.saved_tensors
        if not ctx.options.get("keepdim"):
            grad = grad.unsqueeze(ctx.options["dim"])
        return grad * onehot


class Logsumexp(Function):
    node_name = "LogsumexpBackward0"
    symbol = "logsumexp"

    @staticmethod
    def forward(ctx, input, dim, keepdim=False):
        top = np.max(input, axis=dim, keepdims=True, initial=-np.inf)
        if input.size == 0:  # the log of a sum over nothing: -inf, as torch
            out = top
        else:
            top = np.where(np.isfinite(top), top, 0)
            out = np.asarray(np.log(np.sum(np.exp(input - top), axis=dim, keepdims=True)) + top)
        out = out if keepdim else np.squeeze(out, axis=dim)
        ctx.save_for_backward(input, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, out = ctx.saved_tensors
        return _expand_back(grad, ctx) * (input - _expand_back(out, ctx)).exp()


def logsumexp(input, dim, keepdim=False):
    """log Σ exp(x) along dim, shifted by the max so ±1000 stays finite."""
    return Logsumexp.apply(input, dim=normalize_dims(dim, input.ndim, "logsumexp"), keepdim=keepdim)


def _extreme(input, dim, keepdim, largest: bool, op: str):
    if input.numel() == 0 and dim is None:
        raise RuntimeError(f"{op}: expected a non-empty tensor (shape {tuple(input.shape)})")
    if dim is None:
        return MaxAll.apply(input, largest=largest)
    (axis,) = normalize_dims(dim, input.ndim, op) or (None,)
    if axis is not None and input.shape[axis] == 0:  # other empty dims are fine, as torch
        raise IndexOutOfRangeError(
            f"{op}: expected reduction dim {axis} to have non-zero size (shape {tuple(input.shape)})"
        )
    values = MaxDim.apply(input, dim=axis, keepdim=keepdim, largest=largest)
    if not input.ndim:
        return ValuesIndices(values, discrete(np.zeros_like, input, dtype=np.int64), op)
    index = np.argmax if largest else np.argmin
    indices = discrete(_indices, input, fn_=index, axis=axis, keepdims=keepdim)
    return ValuesIndices(values, indices, op)


def _indices(data, fn_, axis, keepdims):
    """argmax/argmin as int64 (NumPy gives intp)."""
    found = fn_(data, axis=axis, keepdims=keepdims) if axis is not None else fn_(data)
    return np.asarray(found, dtype=np.int64)


def max(input, dim=None, keepdim=False):
    """max() -> 0-d tensor; max(dim) -> (values, indices) as in PyTorch."""
    refuse_complex("max", input)
    return _extreme(input, dim, keepdim, True, "max")


def min(input, dim=None, keepdim=False):
    """min() -> 0-d tensor; min(dim) -> (values, indices) as in PyTorch."""
    refuse_complex("min", input)
    return _extreme(input, dim, keepdim, False, "min")


class Amax(Function):
    """amax/amin: the largest (smallest) value over dims; ties share the gradient equally
    (torch's scale_grad_by_count), unlike max(dim)'s one index. A NaN is the extreme value
    and makes its slice's gradient NaN, as torch."""

    node_name = "AmaxBackward0"
    symbol = "max"
    array_backward = True

    @staticmethod
    def forward(ctx, input, dim, keepdim, largest, node_name=None):
        ctx.node_name = node_name or ("AmaxBackward0" if largest else "AminBackward0")
        out = (np.max if largest else np.min)(input, axis=dim, keepdims=True)
        if ctx.needs_input_grad[0]:
            ties = input == out
            with np.errstate(divide="ignore", invalid="ignore"):  # a NaN slice: 0/0
                share = ties / ties.sum(axis=dim, keepdims=True)
            ctx.save_for_backward(share.astype(input.dtype, copy=False))
        return out if keepdim else np.squeeze(out, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return _expand_back(grad, ctx) * share


def amax(input, dim=(), keepdim=False):
    """The largest value over dim (an int, a tuple; () or None: all dims); no indices, and
    ties share the gradient equally."""
    return _amax(input, dim, keepdim, True, "amax")


def amin(input, dim=(), keepdim=False):
    """The smallest value over dim (an int, a tuple; () or None: all dims); ties share the
    gradient equally."""
    return _amax(input, dim, keepdim, False, "amin")


def _amax(input, dim, keepdim, largest, op, node_name=None):
    dims = _extreme_dims(input, dim, op)
    return Amax.apply(input, dim=dims, keepdim=keepdim, largest=largest, node_name=node_name)


def _extreme_dims(input, dim, op):
    """dim as a sorted tuple (None: all), refused where torch refuses: twice, or over nothing."""
    shape = tuple(input.shape)
    dims = _listed_dims(input, dim, op)
    if dims is None and input.numel() == 0:
        raise IndexOutOfRangeError(
            f"{op}: Expected reduction dim to be specified for input.numel() == 0 (shape "
            f"{shape}). Pass dim= for an empty tensor, or check it is not empty."
        )
    for d in dims or ():
        if shape and shape[d] == 0:
            raise IndexOutOfRangeError(
                f"{op}: Expected reduction dim {d} to have non-zero size (shape {shape}). "
                "Reduce over a dim that holds values."
            )
    return dims


class MinMax(namedtuple("MinMax", ["min", "max"])):
    """torch.return_types.aminmax: (min, max)."""

    def __repr__(self) -> str:
        return return_type_repr(self, "aminmax")


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) over one dim (None: all), as amin and amax; each result's node is named
    AminmaxBackward0 as torch's one node for both."""
    if dim is not None and not isinstance(dim, int | np.integer):
        raise TypeError(f"aminmax: dim must be one int or None, got {dim!r}.")
    if input.numel() == 0 and (dim is None or input.shape[dim] == 0):
        raise IndexOutOfRangeError(
            f"aminmax: cannot compute aminmax over an empty dimension (shape "
            f"{tuple(input.shape)}): the operation has no identity. Reduce over a dim that "
            "holds values."
        )
    both = (_amax(input, dim, keepdim, largest, "aminmax", "AminmaxBackward0")
            for largest in (False, True))  # fmt: skip
    return MinMax(*both)


def argmax(input, dim=None, keepdim=False):
    """Index of the largest value (flattened when dim is None); int64, no gradient."""
    refuse_complex("argmax", input, RuntimeError)
    return _arg(np.argmax, input, dim, keepdim, "argmax")


def argmin(input, dim=None, keepdim=False):
    """Index of the smallest value; int64, no gradient."""
    refuse_complex("argmin", input, RuntimeError)
    return _arg(np.argmin, input, dim, keepdim, "argmin")


def _arg(fn, input, dim, keepdim, op: str):
    shape = tuple(input.shape)
    if dim is None:
        if input.numel() == 0:  # torch's phrase, so a search finds the fix
            raise IndexError(
                f"{op}: Expected reduction dim to be specified for input.numel() == 0 "
                f"(shape {shape}). Pass dim= for an empty tensor, or check it is not empty."
            )
        return discrete(_indices, input, fn_=fn, axis=None, keepdims=False)
    if not isinstance(dim, int | np.integer):
        raise TypeError(f"{op}: dim must be one int, got {dim!r}.")
    if not shape:  # torch: dim 0 or -1 of a 0-d tensor is its only element
        normalize_dims(dim, 0, op)
        return discrete(np.zeros_like, input, dtype=np.int64)
    (axis,) = normalize_dims(dim, len(shape), op)
    if shape[axis] == 0:
        raise IndexError(
            f"{op}: Expected reduction dim {axis} to have non-zero size (shape {shape}). "
            "Reduce over a dim that holds values."
        )
    return discrete(_indices, input, fn_=fn, axis=axis, keepdims=keepdim)


def histc(input, bins=100, min=0, max=0):
    """Counts of the elements in `bins` equal-width bins over [min, max] (min = max: the
    data's range); elements outside are not counted. No gradient, as in torch."""
    if input.dtype.kind != "f":
        raise DtypeError(f"histc: expects a floating tensor, got dtype {input.dtype}")
    if bins <= 0:
        raise ArgumentError(f"histc: bins must be positive, got {bins}")
    if min == max and input.numel():  # the data's range: read once, as torch does
        min, max = input.min().item(), input.max().item()
    if min == max:  # one value (or none): torch widens the range by 1 on each side
        min, max = min - 1, max + 1
    if not np.isfinite(min) or not np.isfinite(max) or min > max:
        raise ArgumentError(f"histc: the range [{min}, {max}] must be finite and ordered")
    counts = discrete(_bin_counts, input, bins=int(bins), low=min, high=max)
    return counts.to(input.dtype)


def _bin_counts(data, bins, low, high):
    """torch's binning: (x - min) * bins / (max - min) in the input's dtype, max in the last
    bin, values outside [min, max] left out."""
    low, high = data.dtype.type(low), data.dtype.type(high)
    inside = data[(data >= low) & (data <= high)]
    position = ((inside - low) * data.dtype.type(bins) / (high - low)).astype(np.int64)
    return np.bincount(np.minimum(position, bins - 1), minlength=bins).astype(np.int64)


class HistogramResult(namedtuple("HistogramResult", ["hist", "bin_edges"])):
    """torch.return_types.histogram: (hist, bin_edges)."""

    def __repr__(self) -> str:
        return return_type_repr(self, "histogram")


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges) of input's values, as torch.histogram. bins: a number of equal-width
    bins over `range` (default: the data's min to max; [0, 1] when empty; a single value v
    gets [v - 0.5, v + 0.5]) or a 1-d tensor of increasing edges. Every bin holds its left
    edge, the last one its right edge too; values outside and NaN are left out. weight: a
    tensor of input's shape whose entries are summed instead of counting 1; density=True
    divides by the total and by each bin's width. No gradient."""
    if input.dtype.kind != "f":
        raise DtypeError(
            f"histogram: expects a floating tensor, got dtype {input.dtype}. "
            "Convert it first, e.g. t.float()."
        )
    if weight is not None:
        _check_like(weight, input, "weight")
    if isinstance(bins, Tensor):
        if range is not None:
            raise ArgumentError("histogram: range= applies to a number of bins, not to edges.")
        _check_edges(bins, input)
        edges = bins.detach().clone()
    else:
        edges = _equal_width_edges(input, bins, range)
    arrays = (input, edges) if weight is None else (input, edges, weight)
    hist = HistogramCounts.apply(*(t.detach() for t in arrays), density=bool(density))
    return HistogramResult(hist, edges)


class HistogramddResult(namedtuple("HistogramddResult", ["hist", "bin_edges"])):
    """torch.return_types.histogramdd: (hist, bin_edges), one tensor of edges per dim."""

    def __repr__(self) -> str:
        return return_type_repr(self, "histogramdd")


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """The D-dimensional histogram of the points input[..., :] (its last dim is D): bins is a
    number of bins for every dim, one number per dim, or one tensor of edges per dim; range
    is (min_0, max_0, min_1, max_1, ...). Each dim is binned as torch.histogram bins it (the
    last bin holds its right edge; points outside any range are left out). No gradient."""
    op = "torch.histogramdd"
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor should have at least 2 dimensions, got shape "
                           f"{tuple(input.shape)} (points along the last dim).")  # fmt: skip
    if input.dtype.kind != "f":
        raise NotImplementedError(f'"histogramdd" not implemented for {input.dtype}: convert the '
                                  "points to floating point first (t.float()).")  # fmt: skip
    dims = input.shape[-1]
    points = input.detach().reshape(-1, dims)
    per_dim = [bins] * dims if isinstance(bins, int | np.integer) else list(bins)
    if len(per_dim) != dims:
        raise RuntimeError(f"histogramdd: The size of bins must be equal to the innermost "
                           f"dimension of the input ({dims}), got {len(per_dim)}.")  # fmt: skip
    if range is not None and len(range) != 2 * dims:
        raise RuntimeError(f"{op}: for a {dims}-dimensional histogram range should have "
                           f"{2 * dims} elements, but got {len(range)}")  # fmt: skip
    if weight is not None and tuple(weight.shape) != tuple(input.shape[:-1]):
        raise RuntimeError(
            f"{op}: if weight tensor is provided it should have the same shape as the input "
            "tensor excluding its innermost dimension, but got input with shape "
            f"{list(input.shape)} and weight with shape {list(weight.shape)}"
        )
    edges = []
    for d, b in enumerate(per_dim):
        column = points[:, d]
        if isinstance(b, Tensor):
            _check_edges(b, input)
            edges.append(b.detach().clone())
            continue
        if isinstance(b, bool) or not isinstance(b, int | np.integer) or b <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {b} for "
                               f"dimension {d}")  # fmt: skip
        pair = None if range is None else range[2 * d : 2 * d + 2]
        edges.append(_equal_width_edges(column, b, pair))
    arrays = (points,) if weight is None else (points, weight.detach().reshape(-1))
    every = tuple(e.numpy(force=True) for e in edges)
    hist = HistogramddCounts.apply(*arrays, edges=every, density=bool(density))
    return HistogramddResult(hist, tuple(edges))


class HistogramddCounts(Function):
    """Each point's bin in every dim (as HistogramCounts), counted or weighted; applied to
    detached inputs (no derivative, as torch)."""

    @staticmethod
    def forward(ctx, points, weights=None, *, edges, density):
        return _histogramdd_counts(points, edges, weights, density)


def _histogramdd_counts(points, edges, weights, density):
    shape = tuple(e.size - 1 for e in edges)
    inside = np.ones(len(points), dtype=bool)
    positions = []
    for d, e in enumerate(edges):
        column = points[:, d]
        inside &= (column >= e[0]) & (column <= e[-1])  # False for NaN
        positions.append(np.minimum(np.searchsorted(e, column, side="right") - 1, shape[d] - 1))
    flat = np.ravel_multi_index(tuple(np.clip(p[inside], 0, None) for p in positions), shape)
    weights = None if weights is None else np.asarray(weights)[inside]
    hist = np.bincount(flat, weights=weights, minlength=int(np.prod(shape)))
    hist = hist.astype(points.dtype).reshape(shape)
    if density:  # torch's order: by the total, then by each dim's widths
        with np.errstate(invalid="ignore", divide="ignore"):
            hist = hist / points.dtype.type(hist.sum())
            for d, e in enumerate(edges):
                width = np.diff(e).reshape(
                    [-1 if k == d else 1 for k in builtins.range(len(shape))]
                )
                hist = hist / width
    return hist


def _check_like(weight, input, what: str) -> None:
    if tuple(weight.shape) != tuple(input.shape):
        raise ShapeError(
            f"histogram: {what} must have input's shape {tuple(input.shape)}, got "
            f"{tuple(weight.shape)}."
        )
    if weight.dtype != input.dtype:
        raise DtypeError(
            f"histogram: {what} must have input's dtype {input.dtype}, got {weight.dtype}."
        )


def _check_edges(edges, input) -> None:
    if edges.ndim != 1 or edges.numel() < 2:
        raise ShapeError(
            f"histogram: bin edges must be a 1-d tensor of at least two edges, got shape "
            f"{tuple(edges.shape)}."
        )
    if edges.dtype != input.dtype:
        raise DtypeError(
            f"histogram: bin edges must have input's dtype {input.dtype}, got {edges.dtype}."
        )


def _equal_width_edges(input, bins, range) -> Tensor:
    """torch's outer edges (range, else the data's min and max read once), then linspace."""
    if not isinstance(bins, int | np.integer) or isinstance(bins, bool) or bins <= 0:
        raise ArgumentError(f"histogram: bins must be a positive int or a tensor, got {bins!r}.")
    if range is not None:
        low, high = (float(v) for v in range)
    elif input.numel():
        low, high = input.min().item(), input.max().item()
    else:
        low, high = 0.0, 1.0
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ArgumentError(
            f"histogram: the range [{low}, {high}] is not finite. Pass range=(min, max), or "
            "remove NaN and Inf from the input."
        )
    if low > high:
        raise ArgumentError(f"histogram: min should not exceed max, got range [{low}, {high}].")
    if low == high:  # as NumPy: a range of width 1 around the single value
        low, high = low - 0.5, high + 0.5
    return EqualWidthEdges.apply(input.detach(), low=low, high=high, steps=int(bins) + 1)


class EqualWidthEdges(Function):
    """steps edges from low to high in the input's dtype, as torch's linspace."""

    @staticmethod
    def forward(ctx, data, *, low, high, steps):
        return cpu_math.linspace(low, high, steps, data.dtype)


class HistogramCounts(Function):
    """Each value's bin by binary search over the edges (torch's upper_bound), the right edge
    in the last bin; sums in the input's dtype. Applied to detached inputs: torch's histogram
    has no derivative either."""

    @staticmethod
    def forward(ctx, data, edges, weight=None, *, density):
        data, bins = data.ravel(), edges.size - 1
        inside = (data >= edges[0]) & (data <= edges[-1])  # False for NaN
        position = np.minimum(np.searchsorted(edges, data[inside], side="right") - 1, bins - 1)
        weights = None if weight is None else weight.ravel()[inside]
        hist = np.bincount(position, weights=weights, minlength=bins).astype(data.dtype)
        if density:  # torch's order: by the total, then by each width (0/0 is NaN, as there)
            with np.errstate(invalid="ignore", divide="ignore"):
                hist = hist / data.dtype.type(hist.sum()) / np.diff(edges)
        return hist
