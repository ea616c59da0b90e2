"""torch's legacy tensor types, which older tutorials still use: `torch.FloatTensor([1, 2])`,
`torch.LongTensor(3, 4)`, `isinstance(t, torch.FloatTensor)`, `t.type(torch.FloatTensor)`;
and `torch.typename`."""

import numpy as np

from . import dtypes
from .creation import tensor, zeros
from .errors import ArgumentError
from .size import Size
from .tensor import Tensor


class TensorType(type):
    """torch.tensortype: one class per dtype. Calling it makes a tensor of that dtype (from
    data, or of a shape given as integers: zeros here, uninitialised memory in torch), and
    isinstance asks whether a tensor has that dtype; no tensor's class is one of these."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None) -> Tensor:
        if not args:
            return zeros(0, dtype=cls.dtype, device=device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            return _same_dtype(cls, args[0])
        if isinstance(args[0], Size) or all(_is_int(n) for n in args):
            return zeros(*_sizes(cls, args), dtype=cls.dtype, device=device)
        if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
            return tensor(args[0], dtype=cls.dtype, device=device)
        raise TypeError(
            f"{cls.__name__}: data must be a sequence or sizes must be integers (got "
            f"{', '.join(type(a).__name__ for a in args)}). Pass a list such as [1, 2] or sizes "
            "such as 3, 4."
        )

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _is_int(n) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool)


def _sizes(cls, args) -> tuple:
    sizes = tuple(args[0]) if isinstance(args[0], Size) else args
    if any(n < 0 for n in sizes):
        raise ArgumentError(
            f"{cls.__name__}: Trying to create tensor with negative dimension ({sizes}). "
            "Sizes must be non-negative."
        )
    return sizes


def _same_dtype(cls, t: Tensor) -> Tensor:
    """torch.FloatTensor(t) is t itself when t is float32; torch refuses any other dtype."""
    if t.dtype != cls.dtype:
        raise TypeError(
            f"{cls.__name__}: expected a tensor of dtype {cls.dtype}, got {t.dtype}. Convert "
            f"it with t.type(torch.{cls.__name__}) or t.to({cls.dtype})."
        )
    return t


def _tensor_type(name: str, dtype) -> TensorType:
    return TensorType(name, (), {"dtype": dtype, "is_cuda": False, "is_sparse": False})


FloatTensor = _tensor_type("FloatTensor", dtypes.float32)
DoubleTensor = _tensor_type("DoubleTensor", dtypes.float64)
HalfTensor = _tensor_type("HalfTensor", dtypes.float16)
BFloat16Tensor = _tensor_type("BFloat16Tensor", dtypes.bfloat16)
LongTensor = _tensor_type("LongTensor", dtypes.int64)
IntTensor = _tensor_type("IntTensor", dtypes.int32)
ShortTensor = _tensor_type("ShortTensor", dtypes.int16)
CharTensor = _tensor_type("CharTensor", dtypes.int8)
ByteTensor = _tensor_type("ByteTensor", dtypes.uint8)
BoolTensor = _tensor_type("BoolTensor", dtypes.bool_)


def typename(obj) -> str:
    """A tensor's type name ('torch.FloatTensor'), else the dotted name of obj (a class or a
    function) or of obj's class, without 'builtins.'."""
    if isinstance(obj, Tensor):
        return obj.type()
    named = obj if hasattr(obj, "__qualname__") else type(obj)
    module = getattr(named, "__module__", None) or ""
    return named.__qualname__ if module in ("", "builtins") else f"{module}.{named.__qualname__}"


__all__ = [
    "BFloat16Tensor",
    "BoolTensor",
    "ByteTensor",
    "CharTensor",
    "DoubleTensor",
    "FloatTensor",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
    "typename",
]
