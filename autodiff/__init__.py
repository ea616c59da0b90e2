"""autodiff: a define-by-run autograd engine on NumPy, with PyTorch's names."""

from .creation import (arange, eye, from_numpy, full, ones, ones_like, rand, randn, tensor,
                       zeros, zeros_like)  # fmt: skip
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int32, int64,
                     set_default_dtype)  # fmt: skip
from .engine import backward, grad
from .function import Function
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import AccumulateGrad, Node
from .ops import (abs, argmax, argmin, cat, clamp, exp, flatten, log, log_softmax, logsumexp,
                  matmul, max, maximum, mean, min, minimum, permute, relu, reshape, sigmoid,
                  softmax, sqrt, squeeze, stack, sum, tanh, transpose, unsqueeze, var,
                  where)  # fmt: skip
from .random import manual_seed
from .tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "AccumulateGrad", "Function", "GradcheckError", "Node", "Tensor", "abs", "arange",
    "argmax", "argmin", "backward", "bool_", "cat", "clamp", "detect_anomaly", "enable_grad",
    "exp", "eye", "flatten", "float16", "float32", "float64", "from_numpy", "full",
    "get_default_dtype", "grad", "gradcheck", "gradgradcheck", "int32", "int64",
    "is_grad_enabled", "log", "log_softmax", "logsumexp", "manual_seed", "matmul", "max",
    "maximum", "mean", "min", "minimum", "no_grad", "ones", "ones_like", "permute", "rand",
    "randn", "relu", "reshape", "set_default_dtype", "set_grad_enabled", "sigmoid", "softmax",
    "sqrt", "squeeze", "stack", "sum", "tanh", "tensor", "transpose", "unsqueeze", "var",
    "where", "zeros", "zeros_like",
]  # fmt: skip
