"""torch.testing.make_tensor: a tensor of random values in [low, high), drawn as torch draws
them (uniform_ for floats, randint for integers and bools), so a seed gives torch's values."""

import math
import warnings

from .. import creation, dtypes

__all__ = ["make_tensor"]

_FLOATS = ("float16", "float32", "float64")
_INTEGERS = ("uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64")


def make_tensor(
    *shape,
    dtype,
    device=None,
    low=None,
    high=None,
    requires_grad: bool = False,
    noncontiguous: bool = False,
    exclude_zero: bool = False,
    memory_format=None,
):
    """Random values: floats uniform in [low, high) (default [-9, 9)), integers in [low, high)
    (default [-9, 10), clamped to the dtype), bools 0/1. noncontiguous gives a strided view,
    exclude_zero replaces zeros (by 1, or the dtype's smallest normal float)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    name = dtypes.as_dtype(dtype, "make_tensor").name
    if noncontiguous and memory_format is not None:
        raise ValueError(
            "The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
            f"noncontiguous={noncontiguous!r} and memory_format={memory_format!r}"
        )
    exact = name == "bool" or name in _INTEGERS
    if requires_grad and exact:
        raise ValueError(
            "`requires_grad=True` is not supported for boolean and integral dtypes, but got "
            f"dtype={dtype}"
        )
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:  # twice as long in the last dim, every other element from the second
        shape = (*shape[:-1], 2 * shape[-1])
    if name == "bool":
        low, high = _interval(low, high, dtype, 0, 2, 0, 2)
        result = creation.randint(low, high, shape, dtype=dtype)
    elif name in _INTEGERS:
        info = dtypes.iinfo(dtype)
        top = info.max + (1 if name != "int64" else 0)
        low, high = _interval(low, high, dtype, info.min, top, -9, 10)
        result = creation.randint(low, high, shape, dtype=dtype)
    elif name in _FLOATS:
        info = dtypes.finfo(dtype)
        low, high = _interval(low, high, dtype, info.min, info.max, -9, 9)
        result = creation.empty(shape, dtype=dtype)
        if high - low >= info.max:  # uniform_'s range must fit the dtype: drawn halved
            result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result.uniform_(low, high)
    else:
        raise TypeError(
            f"The requested dtype '{dtype}' is not supported by torch.testing.make_tensor() "
            "here (floats, integers and bool are)."
        )
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:  # a copy, as torch's clone(memory_format=...); row-major
        result = result.clone()
    if exclude_zero:
        result[result == 0] = 1 if exact else dtypes.finfo(dtype).tiny
    if not exact:
        result.requires_grad = requires_grad
    return result


def _interval(low, high, dtype, lowest, highest, default_low, default_high) -> tuple:
    """[low, high) checked and clamped to what dtype holds, as torch's make_tensor."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    exact = dtypes.as_dtype(dtype, "make_tensor").name not in _FLOATS
    if low == high and not exact:
        warnings.warn(
            "Passing `low==high` to `torch.testing.make_tensor` for floating or complex types "
            "is deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
            FutureWarning,
            stacklevel=3,
        )
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(
            f"The value interval specified by `low` and `high` is [{low}, {high}), but {dtype} "
            f"only supports [{lowest}, {highest})"
        )
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    return (math.ceil(low), math.ceil(high)) if exact else (low, high)
