"""torch's legacy tensor types, which older tutorials still use: `torch.FloatTensor([1, 2])`,
`torch.LongTensor(3, 4)`, `isinstance(t, torch.FloatTensor)`, `t.type(torch.FloatTensor)`;
and `torch.typename`."""

import warnings

import numpy as np

from . import dtypes
from .tensor import Tensor


class TensorType(type):
    """torch.tensortype: one class per dtype. Calling it makes a tensor of that dtype (from
    data, or of a shape given as integers: zeros here, uninitialised memory in torch), and
    isinstance asks whether a dense tensor has that dtype; no tensor's class is one of these."""

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and not obj.is_sparse

    def __call__(cls, *args, device=None) -> Tensor:
        return Tensor._make(np.zeros(0, cls.dtype)).new(*args, device=device, op=cls.__name__)

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


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


def set_default_tensor_type(t, /) -> None:
    """Deprecated in torch (2.1): set the default floating dtype from a floating tensor type
    (torch.DoubleTensor) or its name ('torch.DoubleTensor'). Use set_default_dtype."""
    warnings.warn(
        "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
        "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
        UserWarning,
        stacklevel=2,
    )
    if isinstance(t, str):
        t = _type_named(t)
    if not isinstance(t, TensorType):
        raise TypeError(
            f"set_default_tensor_type: invalid type object {t!r}: only floating-point tensor "
            "types are supported as the default type (torch.FloatTensor, torch.DoubleTensor). "
            "For a dtype, use torch.set_default_dtype."
        )
    if not t.dtype.is_floating_point:
        raise TypeError(
            f"set_default_tensor_type: only floating-point types are supported as the default "
            f"type, got {t!r}."
        )
    dtypes.set_default_dtype(t.dtype)


def _type_named(name: str):
    """torch imports the dotted name: torch.X is this module's X."""
    module, _, attr = name.rpartition(".")
    if module != "torch":
        raise ModuleNotFoundError(
            f"set_default_tensor_type: no module named {module or name!r}; give a name such "
            "as 'torch.DoubleTensor'."
        )
    if attr not in __all__ or attr == "typename":
        raise AttributeError(f"set_default_tensor_type: module 'torch' has no type {attr!r}.")
    return globals()[attr]


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
    "set_default_tensor_type",
    "typename",
]
