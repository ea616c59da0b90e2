"""Comparisons and logic: eq, ne, lt, le, gt, ge, isclose, allclose, equal, any, all.
Their results are bool tensors that do not require grad."""

import numpy as np

from ..dtypes import check_broadcast
from ..tensor import Tensor

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "isclose", "allclose", "equal", "any", "all"]


def _array(x):
    return x._data if isinstance(x, Tensor) else x


def compare(ufunc, input, other):
    """A comparison: a bool tensor that does not require grad."""
    a, b = _array(input), _array(other)
    try:
        result = ufunc(a, b)
    except ValueError:
        check_broadcast(_NAMES.get(ufunc, ufunc.__name__), a, b)
        raise
    return Tensor._make(np.asarray(result))


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
    close = np.isclose(_array(input), _array(other), rtol=rtol, atol=atol, equal_nan=equal_nan)
    return Tensor._make(np.asarray(close))


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
    return Tensor._make(np.asarray(np.any(_array(input), axis=dim, keepdims=keepdim)))


def all(input, dim=None, keepdim=False):
    """True where every element (along dim) is nonzero."""
    return Tensor._make(np.asarray(np.all(_array(input), axis=dim, keepdims=keepdim)))
