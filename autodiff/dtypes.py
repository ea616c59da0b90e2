"""Dtypes and the conversion of user data to arrays (PyTorch's promotion rules)."""

import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

_default = float32


def set_default_dtype(dtype) -> None:
    """Set the dtype that Python floats and lists of floats become (float32 or float64)."""
    global _default
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtype}")
    _default = dtype


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become."""
    return _default


def is_floating(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def as_array(data, dtype=None) -> np.ndarray:
    """Python numbers/lists -> default float or int64; arrays keep their dtype; always a copy."""
    if dtype is not None:
        return np.array(data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype.kind == "f":
        return arr.astype(_default)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "b":
        return arr
    raise TypeError(
        f"tensor: cannot make a tensor from {type(data).__name__} (numpy dtype {arr.dtype}). "
        "Pass numbers, nested lists of numbers or a NumPy array."
    )
