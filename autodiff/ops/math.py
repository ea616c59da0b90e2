"""Elementwise math beyond the pointwise table: square, rounding (zero gradient), atan2,
hypot, logaddexp."""

import numpy as np

from ..function import Function
from ..tensor import Tensor

__all__ = [
    "square",
    "floor",
    "ceil",
    "round",
    "trunc",
    "frac",
    "atan2",
    "hypot",
    "logaddexp",
    "nan_to_num",
]  # the public ops: autodiff exports these


def square(input):
    """x², the same node as x ** 2 (PowBackward0), as torch."""
    return input**2


class Rounding(Function):
    """floor, ceil, round, trunc: piecewise constant, so a zero gradient (as torch)."""

    node_name = "FloorBackward0"
    symbol = "⌊x⌋"
    array_backward = True

    @staticmethod
    def forward(ctx, input, how):
        ctx.node_name = f"{how.capitalize()}Backward0"
        return {"floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc}[how](
            input
        )

    @staticmethod
    def backward(ctx, grad):
        return grad * 0.0


def floor(input):
    """Largest integer <= x (zero gradient)."""
    return Rounding.apply(input, how="floor")


def ceil(input):
    """Smallest integer >= x (zero gradient)."""
    return Rounding.apply(input, how="ceil")


def round(input, decimals: int = 0):
    """Round half to even, as torch (zero gradient)."""
    if decimals:
        scale = 10.0**decimals
        return Rounding.apply(input * scale, how="round") / scale
    return Rounding.apply(input, how="round")


def trunc(input):
    """Round toward zero (zero gradient)."""
    return Rounding.apply(input, how="trunc")


def frac(input):
    """x − trunc(x), gradient 1 (as torch)."""
    return input - trunc(input)


class Atan2(Function):
    node_name = "Atan2Backward0"
    symbol = "atan2"
    array_backward = True

    @staticmethod
    def forward(ctx, input, other):
        ctx.save_for_backward(input, other)
        return np.arctan2(input, other)

    @staticmethod
    def backward(ctx, grad):
        input, other = ctx.saved_tensors
        scale = grad / (input * input + other * other)
        need = ctx.needs_input_grad
        return scale * other if need[0] else None, -scale * input if need[1] else None


def atan2(input, other):
    """The angle of (other, input): arctan(input / other) in the right quadrant."""
    return Atan2.apply(input, _tensor(other))


class Hypot(Function):
    node_name = "HypotBackward0"
    symbol = "hypot"
    array_backward = True

    @staticmethod
    def forward(ctx, input, other):
        out = np.hypot(input, other)
        ctx.save_for_backward(input, other, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, other, out = ctx.saved_tensors
        scale = grad / out  # torch's formula: grad · x / hypot(x, y)
        need = ctx.needs_input_grad
        return scale * input if need[0] else None, scale * other if need[1] else None


def hypot(input, other):
    """sqrt(input² + other²) without overflow."""
    return Hypot.apply(input, _tensor(other))


class Logaddexp(Function):
    node_name = "LogaddexpBackward0"
    symbol = "logaddexp"
    array_backward = False  # its gradient calls exp(): a Tensor method

    @staticmethod
    def forward(ctx, input, other):
        ctx.save_for_backward(input, other)
        return np.logaddexp(input, other)

    @staticmethod
    def backward(ctx, grad):
        input, other = ctx.saved_tensors
        need = ctx.needs_input_grad  # torch's formula: grad / (1 + exp(y - x)), and swapped
        grad_input = grad / ((other - input).exp() + 1) if need[0] else None
        grad_other = grad / ((input - other).exp() + 1) if need[1] else None
        return grad_input, grad_other


def logaddexp(input, other):
    """log(exp(input) + exp(other)), stable."""
    return Logaddexp.apply(input, _tensor(other))


class NanToNum(Function):
    """NaN, +inf and -inf replaced by numbers (default 0 and the dtype's largest and smallest
    finite values); only the finite elements pass the gradient on (torch's formula)."""

    node_name = "NanToNumBackward0"
    symbol = "nan→0"
    array_backward = True

    @staticmethod
    def forward(ctx, input, nan, posinf, neginf):
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(np.isfinite(input))
        if input.dtype.kind not in "fc":  # integers and bool hold no NaN: a copy, as torch
            return input.copy()
        return np.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        (finite,) = ctx.saved_tensors
        return grad * finite


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """input with NaN, +inf and -inf replaced: nan by `nan`, the infinities by posinf and
    neginf (default: the dtype's largest and smallest finite values)."""
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x, dtype=np.float32))
