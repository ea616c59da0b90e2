"""More activations: the hard (piecewise) family, Mish, LogSigmoid, GLU, CELU and the shrinks;
fused kernels, F forms and modules, as torch.

A piecewise-linear kernel saves its slope: backward is grad·slope, and its second derivative is
zero, which is right away from the kinks. Kink conventions (the slope at a kink) are torch's.
"""

import numpy as np

import autodiff as ad
from autodiff.ops.inplace import apply_

from .activation import ExponentialLinear, softmax, softplus
from .module import Module


class _PiecewiseLinear(ad.Function):
    """Backward multiplies by the slope that forward saved."""

    array_backward = True

    @staticmethod
    def backward(ctx, grad):
        (slope,) = ctx.saved_tensors
        return grad * slope


def _slope(ctx, mask: np.ndarray, input: np.ndarray, value=1.0):
    ctx.save_for_backward(np.where(mask, value, 0.0).astype(input.dtype))


class ClampBetween(_PiecewiseLinear):
    node_name = "HardtanhBackward0"
    symbol = "hardtanh"

    @staticmethod
    def forward(ctx, input, min_val, max_val):
        _slope(ctx, (input > min_val) & (input < max_val), input)  # 0 at the bounds, as torch
        return np.clip(input, min_val, max_val).astype(input.dtype, copy=False)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """x clipped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not be above max_val {max_val}")
    if inplace:
        return apply_(input, "hardtanh_", hardtanh, min_val, max_val)
    return ClampBetween.apply(input, min_val=min_val, max_val=max_val)


def relu6(input, inplace: bool = False):
    """min(max(x, 0), 6): hardtanh between 0 and 6, as torch records it."""
    return hardtanh(input, 0.0, 6.0, inplace)


class LinearSigmoid(_PiecewiseLinear):
    node_name = "HardsigmoidBackward0"
    symbol = "hardsigmoid"

    @staticmethod
    def forward(ctx, input):
        # torch's backward multiplies by 1.0f/6.0f, the float32 sixth, also for float64
        _slope(ctx, (input > -3) & (input < 3), input, float(np.float32(1) / np.float32(6)))
        return np.clip(input / 6.0 + 0.5, 0.0, 1.0).astype(input.dtype, copy=False)


def hardsigmoid(input, inplace: bool = False):
    """0 below −3, 1 above 3, x/6 + 1/2 between."""
    if inplace:
        return apply_(input, "hardsigmoid_", hardsigmoid)
    return LinearSigmoid.apply(input)


class ClippedSwish(ad.Function):
    node_name = "HardswishBackward0"
    symbol = "hardswish"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return (input * np.clip(input + 3.0, 0.0, 6.0) / 6.0).astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        x = input.numpy()
        # x/3 + 1/2 inside (−3, 3), 0 at and below −3, 1 at and above 3 (torch's kinks)
        middle = grad * (input * (1.0 / 3.0) + 0.5)
        return ad.where(x <= -3, 0.0, ad.where(x < 3, middle, grad))


def hardswish(input, inplace: bool = False):
    """x·hardsigmoid(x) (MobileNetV3)."""
    if inplace:
        return apply_(input, "hardswish_", hardswish)
    return ClippedSwish.apply(input)


class SoftplusTanhGate(ad.Function):
    node_name = "MishBackward0"
    symbol = "mish"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        gate = np.tanh(np.maximum(input, 0) + np.log1p(np.exp(-np.abs(input))))
        return (input * gate).astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        t = softplus(x).tanh()
        return grad * (t + x * x.sigmoid() * (1 - t * t))  # (x·tanh(sp))' = t + x·σ·(1 − t²)


def mish(input, inplace: bool = False):
    """x·tanh(softplus(x))."""
    if inplace:
        return apply_(input, "mish_", mish)
    return SoftplusTanhGate.apply(input)


class LogLogistic(ad.Function):
    node_name = "LogSigmoidBackward0"
    symbol = "logsigmoid"

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        # log σ(x) = min(x, 0) − log1p(e^{−|x|}) never overflows
        return (np.minimum(input, 0) - np.log1p(np.exp(-np.abs(input)))).astype(input.dtype)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        return grad * (-input).sigmoid()  # d log σ(x)/dx = 1 − σ(x) = σ(−x)


def logsigmoid(input):
    """log(1 / (1 + e^−x)), stable at both ends."""
    return LogLogistic.apply(input)


def softsign(input):
    """x / (1 + |x|); composed, as torch composes it."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """x − tanh(x); composed, as torch composes it."""
    return input - input.tanh()


class SoftThreshold(_PiecewiseLinear):
    node_name = "SoftshrinkBackward0"
    symbol = "softshrink"

    @staticmethod
    def forward(ctx, input, lambd):
        outside = (input < -lambd) | (input > lambd)
        _slope(ctx, outside, input)
        return np.where(outside, input - np.sign(input) * lambd, 0.0).astype(input.dtype)


def softshrink(input, lambd: float = 0.5):
    """x − λ above λ, x + λ below −λ, 0 between."""
    _check_lambda("softshrink", lambd)
    return SoftThreshold.apply(input, lambd=lambd)


class HardThreshold(_PiecewiseLinear):
    node_name = "HardshrinkBackward0"
    symbol = "hardshrink"

    @staticmethod
    def forward(ctx, input, lambd):
        outside = (input < -lambd) | (input > lambd)
        _slope(ctx, outside, input)
        return np.where(outside, input, 0.0).astype(input.dtype)


def hardshrink(input, lambd: float = 0.5):
    """x where |x| > λ, else 0."""
    _check_lambda("hardshrink", lambd)
    return HardThreshold.apply(input, lambd=lambd)


def _check_lambda(op: str, lambd) -> None:
    if not lambd >= 0:
        raise ValueError(f"{op}: lambda must be greater or equal to 0, but found to be {lambd}.")


class ThresholdReplace(_PiecewiseLinear):
    node_name = "ThresholdBackward0"
    symbol = "threshold"

    @staticmethod
    def forward(ctx, input, threshold, value):
        above = input > threshold
        _slope(ctx, above, input)
        return np.where(above, input, value).astype(input.dtype)


def _threshold(input, threshold, value):
    return ThresholdReplace.apply(input, threshold=threshold, value=value)


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """x where x > threshold, else value."""
    if inplace:
        return apply_(input, "threshold_", _threshold, threshold, value)
    return _threshold(input, threshold, value)


class GatedLinear(ad.Function):
    node_name = "GluBackward0"
    symbol = "GLU"

    @staticmethod
    def forward(ctx, input, dim):
        ctx.save_for_backward(input)
        a, b = np.split(input, 2, axis=dim)
        e = np.exp(-np.abs(b))
        gate = np.where(b >= 0, 1 / (1 + e), e / (1 + e))
        return (a * gate).astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        dim, half = ctx.options["dim"], input.shape[ctx.options["dim"]] // 2
        a, b = input.narrow(dim, 0, half), input.narrow(dim, half, half)
        gate = b.sigmoid()
        return ad.cat([grad * gate, grad * a * gate * (1 - gate)], dim)  # σ' = σ(1 − σ)


def glu(input, dim: int = -1):
    """a·σ(b) where a and b are the two halves of input along dim."""
    if input.ndim == 0:
        raise ValueError("glu: glu does not support scalars because halving size must be even")
    dim = dim % input.ndim
    if input.shape[dim] % 2:
        raise ValueError(
            f"glu: Halving dimension must be even, but dimension {dim} is size "
            f"{input.shape[dim]} (input {tuple(input.shape)})"
        )
    return GatedLinear.apply(input, dim=dim)


class ContinuousExponentialLinear(ExponentialLinear):
    """ELU of x/α scaled by α: continuously differentiable at 0 for every α."""

    node_name = "CeluBackward0"
    symbol = "CELU"


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """max(0, x) + min(0, α·(e^{x/α} − 1))."""
    if alpha == 0:
        raise ValueError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return apply_(input, "celu_", celu, alpha)
    return ContinuousExponentialLinear.apply(input, alpha=alpha, scale=1.0, input_scale=1 / alpha)


def softmin(input, dim=None):
    """softmax(−x) along dim."""
    return softmax(-input, dim)


# --- modules -------------------------------------------------------------------------------
def _inplace(flag: bool) -> str:
    return ", inplace=True" if flag else ""


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} must not be above max_val {max_val}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace(self.inplace)}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class _Inplace(Module):
    """An activation whose only option is inplace."""

    _fn = None

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, self.inplace)


class Hardsigmoid(_Inplace):
    """0 below −3, 1 above 3, x/6 + 1/2 between."""

    _fn = staticmethod(hardsigmoid)


class Hardswish(_Inplace):
    """x·hardsigmoid(x)."""

    _fn = staticmethod(hardswish)


class Mish(_Inplace):
    """x·tanh(softplus(x))."""

    _fn = staticmethod(mish)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LogSigmoid(Module):
    """log σ(x)."""

    def forward(self, input):
        return logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input):
        return softsign(input)


class Tanhshrink(Module):
    """x − tanh(x)."""

    def forward(self, input):
        return tanhshrink(input)


class Softshrink(Module):
    """x − λ above λ, x + λ below −λ, 0 between."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """x where |x| > λ, else 0."""

    def forward(self, input):
        return hardshrink(input, self.lambd)


class Threshold(Module):
    """x where x > threshold, else value."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace(self.inplace)}"


class GLU(Module):
    """Gated linear unit: a·σ(b) over the halves of dim."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class CELU(Module):
    """max(0, x) + min(0, α·(e^{x/α} − 1))."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace(self.inplace)}"


class Softmin(Module):
    """softmax(−x) along dim."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim=-1):
    """softmax((logits + g)/τ) with Gumbel noise g = −log(E), E ~ Exp(1); hard=True gives the
    one-hot of its arg-max forward and the soft sample's gradient (straight-through)."""
    exponential = -(1 - ad.rand_like(logits)).log()  # inverse CDF of Exp(1)
    y_soft = ((logits - exponential.log()) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = ad.zeros_like(logits).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
