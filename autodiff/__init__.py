"""autodiff: a define-by-run autograd engine on NumPy, with PyTorch's names."""

from .creation import (
    arange,
    eye,
    from_numpy,
    full,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool_,
    float16,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    set_default_dtype,
)
from .engine import backward, grad
from .compile import compile
from .function import Function
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import AccumulateGrad, Node
from . import ops, random
from .ops import *
from .random import manual_seed
from .tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "AccumulateGrad",
    "Function",
    "GradcheckError",
    "Node",
    "Tensor",
    "arange",
    "backward",
    "compile",
    "bool_",
    "detect_anomaly",
    "enable_grad",
    "eye",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "get_default_dtype",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "int32",
    "int64",
    "is_grad_enabled",
    "manual_seed",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "randn",
    "set_default_dtype",
    "set_grad_enabled",
    "tensor",
    "zeros",
    "zeros_like",
    "ops",
    "random",
    *ops.__all__,
]
