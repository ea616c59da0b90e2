"""Comparisons and logic: eq, ne, lt, le, gt, ge, isclose, allclose, equal, any, all.
Their results are bool tensors that do not require grad.

Discrete is the op of every result without a gradient (masks, indices): a NumPy function of
the inputs' arrays, so ad.compile computes it again on each replay like any other op."""

import numpy as np

from ..dtypes import check_broadcast
from ..function import Function
from ..tensor import Tensor

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "isclose", "allclose", "equal", "any", "all"]
__all__ += ["isfinite", "isnan", "isinf", "signbit"]


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


def discrete(fn, *inputs, **kwargs) -> Tensor:
    """fn of the inputs' arrays as a tensor without a gradient (an op: replayed by ad.compile)."""
    return Discrete.apply(*inputs, fn=fn, **kwargs)


def compare(ufunc, input, other):
    """A comparison: a bool tensor that does not require grad."""
    try:
        return discrete(ufunc, input, other)
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


def signbit(input):
    """True where the sign bit is set (negative numbers, -0.0, a negative NaN)."""
    return discrete(np.signbit, input)


def isnan(input):
    """True where the element is nan."""
    return discrete(np.isnan, input)


def isinf(input):
    """True where the element is +inf or -inf."""
    return discrete(np.isinf, input)
