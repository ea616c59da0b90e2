"""Elementwise ops beyond the pointwise table: abs, clamp, maximum, minimum, fmax, fmin, where,
masked_fill."""

import numpy as np

from .. import threads
from ..dtypes import dimensioned_dtype
from ..errors import ArgumentError, DtypeError
from ..function import Function
from ..tensor import Tensor
from .complexes import refuse_complex
from .indexing import nonzero

__all__ = [
    "abs",
    "clamp",
    "clip",
    "clamp_min",
    "clamp_max",
    "maximum",
    "minimum",
    "where",
    "masked_fill",
    "fmax",
    "fmin",
    "absolute",
]  # the public ops: autodiff exports these


class Abs(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "AbsBackward0"
    symbol = "|x|"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        if input.dtype.kind == "c":  # sgn(z) = z/|z| varies with z: backward computes it
            ctx.save_for_backward(input)
            return np.abs(input)
        # abs'(0) = 0 and abs'(nan) = 0, as torch's sgn
        ctx.save_for_backward(np.nan_to_num(np.asarray(np.sign(input)), copy=False))
        return np.abs(input)

    @staticmethod
    def backward(ctx, grad):
        (sign,) = ctx.saved_tensors
        if sign.dtype.kind == "c":  # the complex input: torch's grad · z/|z| (0 at 0)
            return grad * complex_sign(sign)
        return grad * sign


def complex_sign(z):
    """z/|z| of a complex array or Tensor (recorded, for second order), 0 where z = 0."""
    r = np.abs(z) if isinstance(z, np.ndarray) else z.abs()
    nonzero = r != 0
    nonzero = nonzero.astype(r.dtype) if isinstance(z, np.ndarray) else nonzero.to(r.dtype)
    return z / (r + (1 - nonzero)) * nonzero


def abs(input):
    """|input| (gradient 0 at 0, as torch)."""
    return Abs.apply(input)


def absolute(input):
    """torch.absolute: abs (AbsBackward0)."""
    return abs(input)


class Clamp(Function):
    node_name = "ClampBackward1"
    symbol = "clamp"
    array_backward = True

    @staticmethod
    def forward(ctx, input, min=None, max=None):
        # the gradient passes where min <= x <= max, bounds included (torch's convention)
        inside = np.ones(input.shape, dtype=bool)
        if min is not None:
            inside &= input >= min
        if max is not None:
            inside &= input <= max
        ctx.save_for_backward(inside)
        return np.clip(input, min, max)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return masked(grad, inside)  # 0 outside, a NaN or inf gradient too, as torch


def clamp(input, min=None, max=None):
    """Limit values to [min, max]; either bound may be None."""
    refuse_complex("clamp", input)
    if min is None and max is None:
        raise ArgumentError("clamp: at least one of min and max must be given")
    return Clamp.apply(input, min=min, max=max)


clip = clamp  # torch's alias


class ClampMin(Clamp):
    node_name = "ClampMinBackward0"  # torch names clamp_min's node apart from clamp's


class ClampMax(Clamp):
    node_name = "ClampMaxBackward0"


def clamp_min(input, min):
    """max(input, min), elementwise; the gradient passes where input >= min."""
    refuse_complex("clamp_min", input)
    return ClampMin.apply(input, min=min)


def clamp_max(input, max):
    """min(input, max), elementwise; the gradient passes where input <= max."""
    refuse_complex("clamp_max", input)
    return ClampMax.apply(input, max=max)


class Maximum(Function):
    node_name = "MaximumBackward0"
    symbol = "max"
    array_backward = True
    broadcasts = "maximum"

    @staticmethod
    def forward(ctx, input, other):
        input, other = dimensioned_dtype(input, other)  # a 0-d tensor takes the dims' dtype
        # ties split the gradient in half between the two inputs, as torch does
        share = np.where(input > other, 1.0, np.where(input == other, 0.5, 0.0))
        ctx.save_for_backward(share.astype(np.result_type(input, other)))
        return np.maximum(input, other)

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return grad * share, grad * (1.0 - share)


def maximum(input, other):
    """Elementwise maximum, broadcasting (ties share the gradient)."""
    return Maximum.apply(input, other)


class Minimum(Function):
    node_name = "MinimumBackward0"
    symbol = "min"
    array_backward = True
    broadcasts = "minimum"

    @staticmethod
    def forward(ctx, input, other):
        input, other = dimensioned_dtype(input, other)  # a 0-d tensor takes the dims' dtype
        share = np.where(input < other, 1.0, np.where(input == other, 0.5, 0.0))
        ctx.save_for_backward(share.astype(np.result_type(input, other)))
        return np.minimum(input, other)

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved_tensors
        return grad * share, grad * (1.0 - share)


def minimum(input, other):
    """Elementwise minimum, broadcasting (ties share the gradient)."""
    return Minimum.apply(input, other)


class Fmax(Function):
    """The larger of two values, a NaN losing to a number (np.fmax); the gradient goes to
    input where input >= other or other is NaN, else to other (torch's formula: ties to
    input, unlike maximum)."""

    node_name = "FmaxBackward0"
    symbol = "fmax"
    array_backward = True
    broadcasts = "fmax"

    @staticmethod
    def forward(ctx, input, other):
        input, other = dimensioned_dtype(input, other)  # a 0-d tensor takes the dims' dtype
        with np.errstate(invalid="ignore"):
            to_input = (input >= other) | np.isnan(other)
        return _saving(ctx, to_input, np.fmax(input, other))

    @staticmethod
    def backward(ctx, grad):
        return _split(grad, ctx)


class Fmin(Function):
    """The smaller of two values, a NaN losing to a number (np.fmin); ties to input."""

    node_name = "FminBackward0"
    symbol = "fmin"
    array_backward = True
    broadcasts = "fmin"

    @staticmethod
    def forward(ctx, input, other):
        input, other = dimensioned_dtype(input, other)  # a 0-d tensor takes the dims' dtype
        with np.errstate(invalid="ignore"):
            to_input = (input <= other) | np.isnan(other)
        return _saving(ctx, to_input, np.fmin(input, other))

    @staticmethod
    def backward(ctx, grad):
        return _split(grad, ctx)


def _saving(ctx, to_input, out):
    """Save where the gradient goes to input, as a float mask (1 - mask is other's share)."""
    ctx.save_for_backward(to_input.astype(out.dtype if out.dtype.kind == "f" else np.float32))
    return out


def _split(grad, ctx):
    """grad to input where the saved mask holds, to other elsewhere."""
    (to_input,) = ctx.saved_tensors
    need = ctx.needs_input_grad
    return grad * to_input if need[0] else None, grad * (1 - to_input) if need[1] else None


def fmax(input, other):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    return Fmax.apply(input, other)


def fmin(input, other):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    return Fmin.apply(input, other)


class Where(Function):
    node_name = "WhereBackward0"
    symbol = "where"
    broadcasts = "where"

    @staticmethod
    def forward(ctx, input, other, condition):
        ctx.save_for_backward(condition)
        if isinstance(input, np.ndarray) and isinstance(other, np.ndarray):
            input, other = dimensioned_dtype(input, other)
        return _where_array(condition, input, other)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        cond = condition._data
        need = ctx.needs_input_grad
        return (  # the branch not taken gets 0, even where the gradient is NaN or inf
            where(cond, grad, 0.0) if need[0] else None,
            where(cond, 0.0, grad) if need[1] else None,
        )


def masked(grad, mask):
    """grad where mask is true and +0 elsewhere, even where grad is NaN or inf: torch's
    masked backward (relu below 0, clamp outside its bounds), where grad · mask would give
    NaN (inf · 0) or -0. On Tensors a recorded where; on arrays Where's kernel."""
    if isinstance(grad, Tensor):
        return where(mask, grad, 0.0)
    return _where_array(np.asarray(mask), grad, 0.0)


def _where_array(condition, input, other):
    """np.where(condition, input, other); where one side is the number 0 and the other a float
    array of condition's shape (a masked gradient: relu's backward, masked_fill(0)), the same
    bits about ten times faster than np.where's loop: the array's bits ANDed with all-ones
    where it is taken, all-zeros elsewhere. Eager code and ad.compile's replays both call it."""
    out = None
    if type(other) in (int, float) and other == 0:
        out = _keep_or_zero(condition, input, True)
    elif type(input) in (int, float) and input == 0:
        out = _keep_or_zero(condition, other, False)
    return np.where(condition, input, other) if out is None else out


def _keep_or_zero(condition, array, where_true):
    """array where condition == where_true, +0 elsewhere, as bits; None where that does not
    apply (not a float array, a condition that is not bool or that broadcasts). Large
    contiguous arrays are done in chunks between threads (autodiff.threads)."""
    if (
        type(array) is not np.ndarray
        or array.dtype.kind != "f"
        or condition.dtype != np.bool_
        or condition.shape != array.shape
    ):
        return None
    bits = array.view(f"u{array.itemsize}")
    keep = np.empty_like(condition, dtype=bits.dtype)
    if (
        array.size >= threads.WORTH_SPLITTING
        and condition.flags.c_contiguous
        and bits.flags.c_contiguous
    ):
        c, b, k = condition.reshape(-1), bits.reshape(-1), keep.reshape(-1)
        threads.over_batch(
            lambda s, e: _mask_bits(c[s:e], b[s:e], k[s:e], where_true), k.size, k.size
        )
    else:
        _mask_bits(condition, bits, keep, where_true)
    return keep.view(array.dtype)


def _mask_bits(condition, bits, out, where_true) -> None:
    """out = bits ANDed with all-ones where condition == where_true, all-zeros elsewhere."""
    np.copyto(out, condition)  # 1 where true, 0 elsewhere
    if where_true:
        np.negative(out, out=out)  # 1 -> all ones (unsigned wrap-around), 0 stays 0
    else:
        np.subtract(out, 1, out=out)  # 0 -> all ones, 1 -> 0
    np.bitwise_and(bits, out, out=out)


def split_unary(ufunc, array, *numbers):
    """ufunc(array, *numbers) for a float array and Python numbers (its result has the
    array's dtype: relu's np.maximum(x, 0)), in chunks between threads (autodiff.threads)
    when the array is large and contiguous: the same values, each chunk computed alone."""
    if (
        array.size < threads.WORTH_SPLITTING
        or array.dtype.kind != "f"
        or not array.flags.c_contiguous
    ):
        return ufunc(array, *numbers)
    out = np.empty_like(array)
    src, dst = array.reshape(-1), out.reshape(-1)
    threads.over_batch(lambda s, e: ufunc(src[s:e], *numbers, out=dst[s:e]), dst.size, dst.size)
    return out


def where(condition, input=None, other=None):
    """input where condition is true, else other (broadcasting); where(condition) alone is
    nonzero(condition, as_tuple=True), as torch."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: give both input and other, or neither (the indices)")
    cond = condition if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise DtypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    return Where.apply(input, other, condition=cond)


def masked_fill(input, mask, value):
    """input with value where mask is true (mask broadcasts), as torch's masked_fill."""
    cond = mask if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise DtypeError(f"masked_fill: mask must be a bool tensor, got dtype {cond.dtype}")
    return Where.apply(value, input, condition=cond)
