"""Comparisons, logic and bits: eq, ne, lt, le, gt, ge (and torch's longer names), isclose,
allclose, equal, any, all, the tests of values (isnan, isposinf, ...), logical_* and bitwise_*
(the operators & | ^ ~ << >>). Their results do not require grad: bool tensors, or integers
for the bitwise ops.

Discrete is the op of every result without a gradient (masks, indices): a NumPy function of
the inputs' arrays, so ad.compile computes it again on each replay like any other op."""

import numpy as np

from ..dtypes import check_broadcast, dimensioned_dtype
from ..errors import DtypeError
from ..function import Function
from ..tensor import Tensor

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "isclose", "allclose", "equal", "any", "all"]
__all__ += ["isfinite", "isnan", "isinf", "isposinf", "isneginf", "signbit", "isin", "isreal"]
__all__ += ["greater", "greater_equal", "less", "less_equal", "not_equal"]
__all__ += ["logical_and", "logical_or", "logical_xor", "logical_not"]
__all__ += ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"]
__all__ += ["bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm"]


def _array(x):
    return x._data if isinstance(x, Tensor) else x


class Discrete(Function):
    """fn(*arrays, **kwargs) for a result without a gradient (bool or integer)."""

    @staticmethod
    def forward(ctx, *arrays, fn, **kwargs):
        out = np.asarray(fn(*arrays, **kwargs))
        if out.dtype.kind in "fc":
            raise TypeError(f"{fn.__name__}: Discrete is for bool and integer results")
        return out


class Comparison(Discrete):
    """A comparison, in torch's common dtype: a 0-d tensor takes the dims' dtype, and in
    bfloat16 a number meets the tensor as bfloat16 (x > 0.3 is x > 0.30078125)."""

    bfloat16_scalars = "all"

    @staticmethod
    def forward(ctx, input, other, fn):
        if isinstance(input, np.ndarray) and isinstance(other, np.ndarray):
            input, other = dimensioned_dtype(input, other)  # in the dims' dtype, as torch
        return Discrete.forward(ctx, input, other, fn=fn)


def discrete(fn, *inputs, **kwargs) -> Tensor:
    """fn of the inputs' arrays as a tensor without a gradient (an op: replayed by ad.compile)."""
    return Discrete.apply(*inputs, fn=fn, **kwargs)


def compare(ufunc, input, other):
    """A comparison: a bool tensor that does not require grad."""
    try:
        return Comparison.apply(input, other, fn=ufunc)
    except ValueError:
        check_broadcast(_NAMES.get(ufunc, ufunc.__name__), _array(input), _array(other))
        raise


_NAMES = {
    np.less: "lt",
    np.less_equal: "le",
    np.greater: "gt",
    np.greater_equal: "ge",
    np.equal: "eq",
    np.not_equal: "ne",
}


def eq(input, other):
    """input == other, elementwise."""
    return compare(np.equal, input, other)


def ne(input, other):
    """input != other, elementwise."""
    return compare(np.not_equal, input, other)


def lt(input, other):
    """input < other, elementwise."""
    return compare(np.less, input, other)


def le(input, other):
    """input <= other, elementwise."""
    return compare(np.less_equal, input, other)


def gt(input, other):
    """input > other, elementwise."""
    return compare(np.greater, input, other)


def ge(input, other):
    """input >= other, elementwise."""
    return compare(np.greater_equal, input, other)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input − other| <= atol + rtol·|other|, elementwise (torch's defaults)."""
    return discrete(np.isclose, input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """True when every element is close (a Python bool, as torch)."""
    return bool(
        np.allclose(_array(input), _array(other), rtol=rtol, atol=atol, equal_nan=equal_nan)
    )


def equal(input, other) -> bool:
    """True when both have the same shape and elements."""
    a, b = _array(input), _array(other)
    return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b))


def any(input, dim=None, keepdim=False):
    """True where some element (along dim) is nonzero."""
    return discrete(np.any, input, axis=dim, keepdims=keepdim)


def all(input, dim=None, keepdim=False):
    """True where every element (along dim) is nonzero."""
    return discrete(np.all, input, axis=dim, keepdims=keepdim)


def isfinite(input):
    """True where the element is neither inf nor nan."""
    return discrete(np.isfinite, input)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an element of `elements` is among `test_elements` (a tensor or a number)."""
    return discrete(np.isin, elements, test_elements, assume_unique=assume_unique, invert=invert)


def isreal(input):
    """True where the element has no imaginary part: everywhere, for this library's real
    dtypes."""
    return discrete(np.isreal, input)


def signbit(input):
    """True where the sign bit is set (negative numbers, -0.0, a negative NaN)."""
    return discrete(np.signbit, input)


def isnan(input):
    """True where the element is nan."""
    return discrete(np.isnan, input)


def isinf(input):
    """True where the element is +inf or -inf."""
    return discrete(np.isinf, input)


def isposinf(input):
    """True where the element is +inf."""
    _real("isposinf", input)
    return discrete(np.isposinf, input)


def isneginf(input):
    """True where the element is -inf."""
    _real("isneginf", input)
    return discrete(np.isneginf, input)


def _real(op: str, input) -> None:
    if input.dtype.kind == "c":
        raise DtypeError(f"{op}: does not support complex inputs (got {input.dtype}).")


# --- torch's longer names for the comparisons (the same bool results) ----------------------
def greater(input, other):
    """torch.greater: gt."""
    return gt(input, other)


def greater_equal(input, other):
    """torch.greater_equal: ge."""
    return ge(input, other)


def less(input, other):
    """torch.less: lt."""
    return lt(input, other)


def less_equal(input, other):
    """torch.less_equal: le."""
    return le(input, other)


def not_equal(input, other):
    """torch.not_equal: ne."""
    return ne(input, other)


class CompareAsSelf(Function):
    """A comparison written as 1 and 0 in the input's dtype (the graph form of eq_, lt_, ...):
    a zero gradient, as torch's EqBackward0 (with a number: one edge) and EqBackward1 (with a
    tensor: two edges)."""

    node_name = "EqBackward1"
    symbol = "=="
    array_backward = True

    @staticmethod
    def forward(ctx, input, other=None, *, ufunc, value=None):
        ctx.node_name = f"{_NAMES[ufunc].capitalize()}Backward{int(value is None)}"
        return ufunc(input, other if value is None else value).astype(input.dtype)

    @staticmethod
    def backward(ctx, grad):
        return tuple(grad * 0.0 if need else None for need in ctx.needs_input_grad)


def compare_as_self(input, ufunc, other):
    """ufunc(input, other) as 1 and 0 in input's dtype."""
    if isinstance(other, Tensor):
        return CompareAsSelf.apply(input, other, ufunc=ufunc)
    return CompareAsSelf.apply(input, ufunc=ufunc, value=other)


# --- logic: any dtype in, bool out ------------------------------------------------------
def logical_and(input, other):
    """True where both are nonzero."""
    return discrete(np.logical_and, input, other)


def logical_or(input, other):
    """True where either is nonzero."""
    return discrete(np.logical_or, input, other)


def logical_xor(input, other):
    """True where exactly one is nonzero."""
    return discrete(np.logical_xor, input, other)


def logical_not(input):
    """True where the element is zero."""
    return discrete(np.logical_not, input)


# --- bits: integer and bool tensors only, as torch -------------------------------------------
def _integral(op: str, *operands) -> None:
    for x in operands:
        kind = np.asarray(_array(x)).dtype.kind
        if kind not in "iub":
            dtype = x.dtype if isinstance(x, Tensor) else type(x).__name__
            raise DtypeError(
                f"{op}: only integer and bool tensors have bits to operate on (got {dtype}). "
                "Convert first, e.g. t.long(), or use logical_* on masks."
            )


def _same_kind(x, y):
    """A Python number takes the tensor's dtype, wrapping as torch casts it (uint8 & 300)."""
    if isinstance(x, np.ndarray) and not isinstance(y, np.ndarray):
        return x, np.asarray(y).astype(np.result_type(x, type(y)(0)))
    if isinstance(y, np.ndarray) and not isinstance(x, np.ndarray):
        return np.asarray(x).astype(np.result_type(y, type(x)(0))), y
    return x, y


def _bitwise(op: str, ufunc, input, other):
    _integral(op, input, other)
    try:
        return discrete(_on_same_kind, input, other, ufunc=ufunc)
    except ValueError:
        check_broadcast(op, _array(input), _array(other))
        raise


def _on_same_kind(x, y, ufunc):
    # for the shifts NumPy gives torch's answers where C leaves them undefined: 0 for a shift
    # < 0 or past the width (and the sign bit everywhere for a right shift); test_aliases.py
    return ufunc(*_same_kind(x, y))


def bitwise_and(input, other):
    """input & other, bit by bit (integers and bools)."""
    return _bitwise("bitwise_and", np.bitwise_and, input, other)


def bitwise_or(input, other):
    """input | other, bit by bit (integers and bools)."""
    return _bitwise("bitwise_or", np.bitwise_or, input, other)


def bitwise_xor(input, other):
    """input ^ other, bit by bit (integers and bools)."""
    return _bitwise("bitwise_xor", np.bitwise_xor, input, other)


def bitwise_not(input):
    """~input: each bit flipped (integers), or logical not (bools)."""
    _integral("bitwise_not", input)
    return discrete(np.invert, input)


def bitwise_left_shift(input, other):
    """input << other: input · 2^other, wrapping (integers)."""
    return _bitwise("bitwise_left_shift", np.left_shift, input, other)


def bitwise_right_shift(input, other):
    """input >> other: input // 2^other (integers)."""
    return _bitwise("bitwise_right_shift", np.right_shift, input, other)


# --- divisors: integer tensors only, as torch ---------------------------------------------------
def _divisors(op: str, ufunc, input, other):
    for x in (input, other):
        if not isinstance(x, Tensor) or x.dtype.kind not in "iu":
            what = x.dtype if isinstance(x, Tensor) else type(x).__name__
            raise DtypeError(
                f"{op}: not implemented for {what}; it takes two integer tensors. Convert "
                "first, e.g. t.long()."
            )
    try:
        return discrete(ufunc, input, other)
    except ValueError:
        check_broadcast(op, _array(input), _array(other))
        raise


def gcd(input, other):
    """The greatest common divisor, element by element (non-negative; gcd(0, 0) = 0)."""
    return _divisors("gcd", np.gcd, input, other)


def lcm(input, other):
    """The least common multiple, element by element (non-negative; 0 where either is 0)."""
    return _divisors("lcm", np.lcm, input, other)
