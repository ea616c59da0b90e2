"""torch.testing.assert_close: torch's default tolerances per dtype, its
comparison (isclose, in the values' dtype) and its failure messages, for tensors, NumPy arrays,
Python numbers, None, and sequences and mappings of them."""

import cmath
import collections.abc
import math

import numpy as np

from .. import dtypes
from ..tensor import Tensor

__all__ = ["assert_close"]

# (rtol, atol) per dtype, torch's; every other dtype (integers, bool) compares exactly
_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
    np.dtype(np.complex64): (1.3e-6, 1e-5),
    np.dtype(np.complex128): (1e-7, 1e-7),
}
_NUMBER_DTYPES = {
    int: np.dtype(np.int64),
    float: np.dtype(np.float64),
    complex: np.dtype(np.complex128),
}


class _Mismatch(Exception):
    """A failed comparison: the error type and torch's message (item ids added on the way up)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind, self.message = kind, message
        self.located = False  # the innermost item's id is added once


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg=None,
):
    """Raise AssertionError unless actual and expected are close: for each element
    |actual - expected| <= atol + rtol * |expected| (NaNs equal only with equal_nan). Without
    rtol and atol, torch's defaults for the dtype (float32: 1.3e-6 and 1e-5; float64: 1e-7
    and 1e-7; float16: 1e-3 and 1e-5; integers and bool: exact). msg, a string, replaces the
    message; a callable gets it and returns the one to raise."""
    if (rtol is None) != (atol is None):
        raise ValueError(
            "Both 'rtol' and 'atol' must be either specified or omitted, but got no "
            f"{'atol' if atol is None else 'rtol'}."
        )
    # every tensor here is a strided CPU one: check_device and check_layout always agree
    options = {
        "rtol": rtol,
        "atol": atol,
        "equal_nan": equal_nan,
        "check_dtype": check_dtype,
        "check_stride": check_stride,
        "allow_subclasses": allow_subclasses,
    }
    try:
        _compare(actual, expected, (), options)
    except _Mismatch as failure:
        message = failure.message
        if isinstance(msg, str):
            message = msg
        elif callable(msg):
            message = msg(message)
        raise failure.kind(message) from None


def _compare(actual, expected, path, options) -> None:
    """Compare one pair, recursing into sequences and mappings; a failure names its item."""
    try:
        _compare_pair(actual, expected, path, options)
    except _Mismatch as failure:
        if path and not failure.located:
            items = "".join(f"[{key!r}]" for key in path)
            failure.message += f"\n\nThe failure occurred for item {items}"
            failure.located = True
        raise


def _compare_pair(actual, expected, path, options) -> None:
    actual, expected = _python(actual), _python(expected)
    if actual is None or expected is None:
        if actual is not expected:
            raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}")
    elif _is_bool(actual) and _is_bool(expected):
        if bool(actual) is not bool(expected):
            raise _Mismatch(AssertionError, f"Booleans mismatch: {actual} is not {expected}")
    elif _is_number(actual) and _is_number(expected):
        _compare_numbers(actual, expected, options)
    elif _tensor_like(actual) and _same_kind(actual, expected, options["allow_subclasses"]):
        _compare_tensors(actual, expected, options)
    elif _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(
                AssertionError,
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
            )
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), options)
    elif isinstance(actual, collections.abc.Mapping) and isinstance(
        expected, collections.abc.Mapping
    ):
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            raise _Mismatch(
                AssertionError,
                (
                    "The keys of the mappings do not match:\n"
                    + (
                        f"Missing keys in the actual mapping: {sorted(missing)}\n"
                        if missing
                        else ""
                    )
                    + (f"Additional keys in the actual mapping: {sorted(extra)}" if extra else "")
                ).strip(),
            )
        for key in actual:
            _compare(actual[key], expected[key], path + (key,), options)
    else:
        raise _Mismatch(
            TypeError,
            f"No comparison pair was able to handle inputs of type {type(actual)} and "
            f"{type(expected)}.",
        )


def _python(x):
    """A NumPy scalar as the Python number it holds (torch compares them so)."""
    return x.item() if isinstance(x, np.generic) else x


def _is_bool(x) -> bool:
    return isinstance(x, bool)


def _is_number(x) -> bool:
    return isinstance(x, (int, float, complex)) and not isinstance(x, bool)


def _is_sequence(x) -> bool:
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str)


def _tensor_like(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray))


def _same_kind(actual, expected, allow_subclasses: bool) -> bool:
    """The same type, or (allow_subclasses) one a subclass of the other: an nn.Parameter and a
    Tensor compare, a Tensor and a NumPy array do not (as torch)."""
    if type(actual) is type(expected):
        return True
    return allow_subclasses and (
        isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    )


def _tolerances(dtype_a, dtype_e, options) -> tuple:
    if options["rtol"] is not None:
        return options["rtol"], options["atol"]
    a, e = _TOLERANCES.get(dtype_a, (0.0, 0.0)), _TOLERANCES.get(dtype_e, (0.0, 0.0))
    return max(a[0], e[0]), max(a[1], e[1])


def _number_dtype(x) -> np.dtype:
    return _NUMBER_DTYPES[
        complex if isinstance(x, complex) else float if isinstance(x, float) else int
    ]


def _compare_numbers(actual, expected, options) -> None:
    """Python (or NumPy) numbers: their types must agree under check_dtype, as torch's."""
    if options["check_dtype"] and type(actual) is not type(expected):
        raise _Mismatch(
            AssertionError,
            f"The (d)types do not match: {type(actual)} != {type(expected)}.",
        )
    rtol, atol = _tolerances(_number_dtype(actual), _number_dtype(expected), options)
    if actual == expected or (
        options["equal_nan"] and cmath.isnan(actual) and cmath.isnan(expected)
    ):
        return
    difference = abs(actual - expected)
    if cmath.isfinite(difference) and difference <= atol + rtol * abs(expected):
        return
    raise _Mismatch(AssertionError, _scalar_message(actual, expected, rtol, atol))


def _scalar_message(actual, expected, rtol, atol) -> str:
    difference = abs(actual - expected)
    relative = math.inf if expected == 0 else difference / abs(expected)
    return _message(
        "Scalars", f"Expected {expected} but got {actual}.", difference, None, relative, None,
        rtol, atol,
    )  # fmt: skip


def _message(kind, extra, absolute, abs_index, relative, rel_index, rtol, atol) -> str:
    """torch's text: what differs, then the greatest absolute and relative differences."""
    lines = [f"{kind} are not {'equal' if rtol == 0 and atol == 0 else 'close'}!", "", extra]
    for name, diff, index, tol in (
        ("absolute", absolute, abs_index, atol),
        ("relative", relative, rel_index, rtol),
    ):
        line = (
            f"{name.title()} difference: {diff}"
            if index is None
            else f"Greatest {name} difference: {diff} at index {index}"
        )
        lines.append(line + (f" (up to {tol} allowed)" if tol > 0 else ""))
    return "\n".join(lines)


def _compare_tensors(actual, expected, options) -> None:
    """Tensors (or NumPy arrays): shape, then dtype (check_dtype), then the values."""
    a, e = _array(actual), _array(expected)
    if a.shape != e.shape:
        raise _Mismatch(
            AssertionError,
            f"The values for attribute 'shape' do not match: {_shape(actual)} != {_shape(expected)}.",
        )
    if options["check_dtype"] and a.dtype != e.dtype:
        raise _Mismatch(
            AssertionError,
            f"The values for attribute 'dtype' do not match: {_dtype(actual)} != "
            f"{_dtype(expected)}.",
        )
    if options["check_stride"] and _strides(a) != _strides(e):
        raise _Mismatch(
            AssertionError,
            f"The values for attribute 'stride()' do not match: {_strides(a)} != {_strides(e)}.",
        )
    rtol, atol = _tolerances(a.dtype, e.dtype, options)
    common = np.promote_types(a.dtype, e.dtype)
    a, e = a.astype(common, copy=False), e.astype(common, copy=False)
    matches = _isclose(a, e, rtol, atol, options["equal_nan"])
    if matches.all():
        return
    if a.ndim == 0:
        raise _Mismatch(AssertionError, _scalar_message(a.item(), e.item(), rtol, atol))
    raise _Mismatch(AssertionError, _tensor_message(a, e, matches, rtol, atol))


def _strides(a: np.ndarray) -> tuple:
    """torch's strides, in elements."""
    return tuple(s // a.itemsize for s in a.strides)


def _array(x) -> np.ndarray:
    return x.detach().numpy(force=True) if isinstance(x, Tensor) else x


def _shape(x):
    return x.shape if isinstance(x, Tensor) else f"torch.Size({list(x.shape)})"


def _dtype(x):
    return x.dtype if isinstance(x, Tensor) else dtypes.as_dtype(x.dtype, "assert_close")


def _isclose(a, e, rtol, atol, equal_nan) -> np.ndarray:
    """torch.isclose: equal, or both finite and |a - e| <= atol + rtol·|e|, computed in the
    values' dtype (float32 arithmetic for float32, as torch's kernel)."""
    with np.errstate(invalid="ignore", over="ignore"):
        close = a == e
        if equal_nan and a.dtype.kind in "fc":
            close |= np.isnan(a) & np.isnan(e)
        if rtol == 0 and atol == 0:
            return close
        if a.dtype.kind not in "fc":  # integers with a tolerance: compared in float64
            a, e = a.astype(np.float64), e.astype(np.float64)
        real = np.abs(a).dtype.type
        allowed = real(atol) + np.abs(real(rtol) * e)
        error = np.abs(a - e)
        return close | (np.isfinite(error) & (error <= allowed))


def _tensor_message(a, e, matches, rtol, atol) -> str:
    """Mismatched elements, and the greatest differences among them with their index, in the
    values' dtype (integers and bools as int64, their relative difference in float32)."""
    shape, total = a.shape, matches.size
    mismatched = total - int(matches.sum())
    a, e, matches = a.ravel(), e.ravel(), matches.ravel()
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if a.dtype.kind in "fc":
            absolute = np.abs(a - e)
            absolute[matches] = 0
            relative = absolute / np.abs(e)
        else:  # torch's int64 differences, divided as its default float dtype
            absolute = np.abs(a.astype(np.int64) - e.astype(np.int64))
            absolute[matches] = 0
            relative = absolute.astype(np.float32) / np.abs(e.astype(np.int64)).astype(np.float32)
        relative[matches] = 0
    abs_at, rel_at = _greatest(absolute), _greatest(relative)
    return _message(
        "Tensor-likes",
        f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})",
        absolute[abs_at].item(), _index(abs_at, shape), relative[rel_at].item(),
        _index(rel_at, shape), rtol, atol,
    )  # fmt: skip


def _greatest(values) -> int:
    """The flat index of the greatest value (the first NaN if any: torch.max's NaN wins)."""
    nans = np.isnan(values)
    return int(np.argmax(nans)) if nans.any() else int(np.argmax(values))


def _index(flat: int, shape: tuple) -> tuple:
    return tuple(int(i) for i in np.unravel_index(flat, shape))
