"""Tensor creation: tensor, zeros, ones, full, arange, eye, *_like, rand, randn, from_numpy."""

import numpy as np

from . import dtypes
from .random import generator
from .tensor import Tensor


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _finish(array, requires_grad: bool, name=None) -> Tensor:
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    if name is not None:
        t.name = name
    return t


def tensor(data, dtype=None, requires_grad=False, name=None) -> Tensor:
    """A new tensor (a copy). Floats -> the default dtype, ints -> int64, arrays keep theirs."""
    if isinstance(data, Tensor):
        data = data._data
    return _finish(dtypes.as_array(data, dtype), requires_grad, name)


def from_numpy(array: np.ndarray, requires_grad=False) -> Tensor:
    """A tensor that shares memory with the array (no copy): the public way to wrap one."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return Tensor._make(array) if not requires_grad else _finish(array, True)


def _dtype(dtype):
    return np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()


def zeros(*shape, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(_shape(shape), _dtype(dtype)), requires_grad)


def ones(*shape, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(_shape(shape), _dtype(dtype)), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False) -> Tensor:
    if dtype is None and isinstance(fill_value, (bool, int, np.integer)):
        dtype = np.bool_ if isinstance(fill_value, bool) else np.int64
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _finish(np.full(shape, fill_value, _dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else dtypes.get_default_dtype()
    return _finish(np.arange(start, end, step, dtype=np.dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def zeros_like(input, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.zeros(input.shape, dtype or input.dtype), requires_grad)


def ones_like(input, dtype=None, requires_grad=False) -> Tensor:
    return _finish(np.ones(input.shape, dtype or input.dtype), requires_grad)


def rand(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Uniform [0, 1) from the library's generator (ad.manual_seed)."""
    return _finish(generator().random(_shape(shape)).astype(_dtype(dtype)), requires_grad)


def randn(*shape, dtype=None, requires_grad=False) -> Tensor:
    """Standard normal from the library's generator (ad.manual_seed)."""
    data = generator().standard_normal(_shape(shape)).astype(_dtype(dtype))
    return _finish(data, requires_grad)
