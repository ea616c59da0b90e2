"""Activations: fused kernels (leaky ReLU, PReLU, ELU/SELU, Softplus, SiLU, GELU), F forms, modules.

ReLU, Sigmoid, Tanh, Softmax and LogSoftmax kernels live in the engine (autodiff/ops/activation.py);
this file adds their modules. Backwards use Tensor ops on saved inputs/outputs, so second
derivatives work with create_graph=True.
"""

import math
import warnings

import numpy as np

import autodiff as ad
from autodiff.errors import ArgumentError, ShapeError
from autodiff.ops.inplace import apply_
from autodiff.ops.pointwise import Erf, erf_array

from .module import Module, Parameter, factory_dtype

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)  # torch's M_SQRT1_2
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def write_in_place(input, op: str, fn, *args):
    """fn(input, *args) written into input (torch's rules for in-place ops), its node named as
    torch names the in-place form: EluBackward1 for elu_, whose formula reads the result
    rather than the overwritten input."""
    before = input.grad_fn
    out = apply_(input, op, fn, *args)
    node = out.grad_fn
    if node is not None and node is not before:
        node.node_name = node.name().replace("Backward0", "Backward1")
    return out


def relu(input, inplace: bool = False):
    """max(x, 0); inplace=True writes into input (torch's rules: not on a leaf that needs grad)."""
    return input.relu_() if inplace else ad.relu(input)


def relu_(input):
    """relu written into input."""
    return input.relu_()


class ReLU(Module):
    """max(x, 0)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyRectify(ad.Function):
    node_name = "LeakyReluBackward0"
    symbol = "LeakyReLU"
    array_backward = True

    @staticmethod
    def forward(ctx, input, negative_slope):
        slope = np.where(input > 0, 1.0, negative_slope).astype(input.dtype)  # f'(0) = slope
        ctx.save_for_backward(slope)
        return input * slope

    @staticmethod
    def backward(ctx, grad):
        (slope,) = ctx.saved_tensors
        return grad * slope


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    """x if x > 0 else negative_slope·x."""
    if inplace:
        return write_in_place(input, "leaky_relu_", leaky_relu, negative_slope)
    return LeakyRectify.apply(input, negative_slope=negative_slope)


def leaky_relu_(input, negative_slope: float = 0.01):
    """leaky_relu written into input."""
    return leaky_relu(input, negative_slope, inplace=True)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope·x."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


def _channel_shape(channels: int, ndim: int) -> tuple:
    """(1, C, 1, ...) so a per-channel vector broadcasts over dim 1."""
    if channels == 1 or ndim < 2:
        return (channels,) if ndim >= 1 else ()
    return (1, channels) + (1,) * (ndim - 2)


def _channel_view(weight: np.ndarray, ndim: int) -> np.ndarray:
    return weight.reshape(_channel_shape(weight.shape[0], ndim))


class ParametricRectify(ad.Function):
    node_name = "PreluKernelBackward0"
    symbol = "PReLU"

    @staticmethod
    def forward(ctx, input, weight):
        ctx.save_for_backward(input, weight)
        w = _channel_view(weight, input.ndim)
        return np.where(input > 0, input, w * input)

    @staticmethod
    def backward(ctx, grad):
        input, weight = ctx.saved_tensors
        positive = input.numpy(force=True) > 0
        w = weight.reshape(_channel_shape(weight.shape[0], input.ndim))
        grad_input = ad.where(positive, grad, grad * w) if ctx.needs_input_grad[0] else None
        grad_weight = None
        if ctx.needs_input_grad[1]:
            per_elem = ad.where(positive, 0.0, grad * input)  # dL/da = Σ g·x over x ≤ 0
            if weight.shape[0] == 1:
                grad_weight = per_elem.sum().reshape(1)
            else:
                grad_weight = per_elem.sum(dim=tuple(d for d in range(input.ndim) if d != 1))
        return grad_input, grad_weight


@ad.amp.cast_inputs("lower")
def prelu(input, weight):
    """leaky ReLU with a learnable slope per channel (dim 1) or one shared slope."""
    channels = weight.shape[0]
    if channels != 1 and (input.ndim < 2 or input.shape[1] != channels):
        raise ShapeError(
            f"prelu: {channels} slopes do not match the {input.shape[1] if input.ndim > 1 else 0} "
            f"channels (dim 1) of the input {tuple(input.shape)}. Use num_parameters=1 or C."
        )
    return ParametricRectify.apply(input, weight)


class PReLU(Module):
    """Leaky ReLU whose slope is learned: one shared, or one per channel (num_parameters=C)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        dtype = factory_dtype(device, dtype, "PReLU")
        self.weight = Parameter(np.full(num_parameters, init, dtype=dtype))

    def forward(self, input):
        return prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ExponentialLinear(ad.Function):
    """scale·(x if x > 0 else alpha·(e^{input_scale·x} − 1)); SELU is the fixed (alpha, scale)
    case, CELU the input_scale = 1/alpha case."""

    node_name = "EluBackward0"
    symbol = "ELU"

    @staticmethod
    def forward(ctx, input, alpha, scale, input_scale=1.0, by_result=False):
        negative = scale * alpha * np.expm1(np.minimum(input, 0) * input_scale)
        out = np.where(input > 0, scale * input, negative).astype(input.dtype, copy=False)
        ctx.save_for_backward(None if by_result else input, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, out = ctx.saved_tensors
        alpha, scale = ctx.options["alpha"], ctx.options["scale"]
        input_scale = ctx.options.get("input_scale", 1.0)
        negative = grad * ((out + scale * alpha) * input_scale)
        # torch's branch test is x <= 0 (result <= 0 for the in-place form), so at a NaN input
        # the gradient is scale
        branch = out if ctx.options.get("by_result") else input
        return ad.where(branch.numpy(force=True) <= 0, negative, grad * scale)


def exponential_linear_(input, op: str, function, **options):
    """elu_, selu_, celu_ as torch records them (EluBackward1, CeluBackward1): the formula
    reads the result, so the overwritten input need not be kept, wherever the result's sign
    tells the branch (the negative branch never positive: scale·alpha·input_scale >= 0)."""
    sign = options["scale"] * options["alpha"] * options.get("input_scale", 1.0)
    options["by_result"] = sign >= 0
    return write_in_place(input, op, lambda x: function.apply(x, **options))


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """x if x > 0 else alpha·(e^x − 1)."""
    if inplace:
        return exponential_linear_(input, "elu_", ExponentialLinear, alpha=alpha, scale=1.0)
    return ExponentialLinear.apply(input, alpha=alpha, scale=1.0)


def elu_(input, alpha: float = 1.0):
    """elu written into input."""
    return elu(input, alpha, inplace=True)


class ELU(Module):
    """x if x > 0 else alpha·(e^x − 1)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


def selu(input, inplace: bool = False):
    """scale·elu(x, alpha) with the self-normalising constants of Klambauer et al."""
    if inplace:
        options = dict(alpha=_SELU_ALPHA, scale=_SELU_SCALE)
        return exponential_linear_(input, "selu_", ExponentialLinear, **options)
    return ExponentialLinear.apply(input, alpha=_SELU_ALPHA, scale=_SELU_SCALE)


def selu_(input):
    """selu written into input."""
    return selu(input, inplace=True)


class SELU(Module):
    """Scaled ELU with the self-normalising constants."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return selu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


sigmoid = ad.sigmoid


class Sigmoid(Module):
    """1 / (1 + e^-x)."""

    def forward(self, input):
        return ad.sigmoid(input)


tanh = ad.tanh


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, input):
        return ad.tanh(input)


class Log1pExp(ad.Function):
    node_name = "SoftplusBackward0"
    symbol = "softplus"

    @staticmethod
    def forward(ctx, input, beta, threshold):
        ctx.save_for_backward(input)
        z = input * beta
        # log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}) never overflows
        soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        return np.where(z > threshold, input, soft).astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        beta, threshold = ctx.options["beta"], ctx.options["threshold"]
        return ad.where(
            input.numpy(force=True) * beta > threshold, grad, grad * (input * beta).sigmoid()
        )


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    """log(1 + e^{βx}) / β, linear where βx > threshold."""
    return Log1pExp.apply(input, beta=beta, threshold=threshold)


class Softplus(Module):
    """log(1 + e^{βx}) / β, linear above threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Swish(ad.Function):
    node_name = "SiluBackward0"
    symbol = "SiLU"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        e = np.exp(-np.abs(input))
        sig = np.where(input >= 0, 1 / (1 + e), e / (1 + e))
        return (input * sig).astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        s = input.sigmoid()
        return grad * s * (1 + input * (1 - s))  # (xσ)' = σ(1 + x(1 − σ))


def silu(input, inplace: bool = False):
    """x·σ(x) (Swish)."""
    if inplace:
        return apply_(input, "silu_", silu)
    return Swish.apply(input)


class SiLU(Module):
    """x·σ(x), also called Swish."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return silu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class GaussianErrorLinear(ad.Function):
    node_name = "GeluBackward0"
    symbol = "GELU"

    @staticmethod
    def forward(ctx, input, approximate):
        if approximate == "tanh":
            ctx.save_for_backward(input)
            inner = _SQRT_2_OVER_PI * (input + 0.044715 * (input * input * input))  # torch's
            return 0.5 * input * (1 + np.tanh(inner))
        cdf = 0.5 * (1 + erf_array(input * _SQRT_HALF))
        ctx.save_for_backward(input, cdf)  # Φ(x) kept: erf is most of GELU's cost
        return input * cdf

    @staticmethod
    def backward(ctx, grad):
        x, *kept = ctx.saved_tensors
        if ctx.options["approximate"] == "tanh":
            t = (_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)).tanh()
            dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
        # create_graph: Φ(x) again as an op, so that second derivatives see its dependence on x
        cdf = 0.5 * (1 + Erf.apply(x * _SQRT_HALF)) if ad.is_grad_enabled() else kept[0]
        pdf = _INV_SQRT_2PI * (-0.5 * x * x).exp()
        return grad * (cdf + x * pdf)  # d/dx xΦ(x) = Φ(x) + xφ(x)


def gelu(input, approximate: str = "none"):
    """x·Φ(x) with the exact erf, or the tanh approximation with approximate='tanh'."""
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GaussianErrorLinear.apply(input, approximate=approximate)


class GELU(Module):
    """x·Φ(x) (approximate='none') or its tanh approximation."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


def softmax_dim(name: str, dim, ndim: int, stacklevel: int) -> int:
    """dim, or torch's legacy choice when it is not given (with torch's warning, at the caller's
    caller's stacklevel as torch's F functions take it)."""
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=stacklevel + 1,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel: int = 3, dtype=None):
    """exp(x) / Σ exp(x) along dim, stable at ±1000; dtype casts the input first."""
    return ad.softmax(input, softmax_dim("softmax", dim, input.ndim, _stacklevel), dtype)


class Softmax(Module):
    """Softmax along dim."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def log_softmax(input, dim=None, _stacklevel: int = 3, dtype=None):
    """x − logsumexp(x) along dim, stable; dtype casts the input first."""
    return ad.log_softmax(input, softmax_dim("log_softmax", dim, input.ndim, _stacklevel), dtype)


class LogSoftmax(Module):
    """log(softmax(x)) along dim, computed stably."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
