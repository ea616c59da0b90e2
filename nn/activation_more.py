"""More activations: Mish, LogSigmoid, Softsign, Tanhshrink, GLU, CELU, Softmin and
F.gumbel_softmax; fused kernels where torch has a node, compositions where torch composes.
"""

import numpy as np

import autodiff as ad
from autodiff.errors import ShapeError
from autodiff.ops.inplace import apply_

from .activation import ExponentialLinear, exponential_linear_, softmax, softmax_dim, softplus
from .module import Module


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


class Mish(Module):
    """x·tanh(softplus(x))."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return mish(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


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


class LogSigmoid(Module):
    """log σ(x)."""

    def forward(self, input):
        return logsigmoid(input)


def softsign(input):
    """x / (1 + |x|); composed, as torch composes it."""
    return input / (input.abs() + 1)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input):
        return softsign(input)


def tanhshrink(input):
    """x − tanh(x); composed, as torch composes it."""
    return input - input.tanh()


class Tanhshrink(Module):
    """x − tanh(x)."""

    def forward(self, input):
        return tanhshrink(input)


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
        raise ShapeError("glu: glu does not support scalars because halving size must be even")
    dim = dim % input.ndim
    if input.shape[dim] % 2:
        raise ShapeError(
            f"glu: Halving dimension must be even, but dimension {dim} is size "
            f"{input.shape[dim]} (input {tuple(input.shape)})"
        )
    return GatedLinear.apply(input, dim=dim)


class GLU(Module):
    """Gated linear unit: a·σ(b) over the halves of dim."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class ContinuousExponentialLinear(ExponentialLinear):
    """ELU of x/α scaled by α: continuously differentiable at 0 for every α."""

    node_name = "CeluBackward0"
    symbol = "CELU"


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """max(0, x) + min(0, α·(e^{x/α} − 1))."""
    if alpha == 0:
        raise ValueError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    options = dict(alpha=alpha, scale=1.0, input_scale=1 / alpha)
    if inplace:
        return exponential_linear_(input, "celu_", ContinuousExponentialLinear, **options)
    return ContinuousExponentialLinear.apply(input, **options)


def celu_(input, alpha: float = 1.0):
    """celu written into input."""
    return celu(input, alpha, inplace=True)


class CELU(Module):
    """max(0, x) + min(0, α·(e^{x/α} − 1))."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


def softmin(input, dim=None, _stacklevel: int = 3, dtype=None):
    """softmax(−x) along dim; dtype casts −x first, as torch."""
    return ad.softmax(-input, softmax_dim("softmin", dim, input.ndim, _stacklevel), dtype)


class Softmin(Module):
    """softmax(−x) along dim."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels (dim -3) of each position of (C, H, W) or (N, C, H, W)."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ShapeError(
                f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead (shape "
                f"{tuple(input.shape)})"
            )
        return softmax(input, -3)


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim=-1):
    """softmax((logits + g)/τ) with Gumbel noise g = −log(E), E ~ Exp(1); hard=True gives the
    one-hot of its arg-max forward and the soft sample's gradient (straight-through)."""
    # E drawn as torch draws it (exponential_), so a seeded run samples torch's noise
    exponential = ad.empty_like(logits).exponential_()
    y_soft = ((logits - exponential.log()) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = ad.zeros_like(logits).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
