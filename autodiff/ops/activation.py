"""Activations on the engine: relu, softmax, log_softmax (stable at ±1000), hardshrink (torch
has it as a Tensor method; nn's F.hardshrink and Hardshrink call it); sigmoid and tanh are in
the pointwise table."""

import numpy as np

from ..errors import ArgumentError
from ..function import Function
from ..tensor import Tensor
from .complexes import refuse_complex
from .elementwise import masked, split_unary

__all__ = [
    "relu",
    "softmax",
    "log_softmax",
    "hardshrink",
]  # the public ops: autodiff exports these


class Relu(Function):
    node_name = "ReluBackward0"
    symbol = "ReLU"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        out = split_unary(np.maximum, input, 0)
        ctx.save_for_backward(out)  # as torch: no mask made (one pass and one array fewer)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        # relu'(0) = 0 and relu'(nan) = 1, as torch (it passes the gradient unless x <= 0;
        # out = max(x, 0) is never negative, so x <= 0 is out == 0); where x <= 0 even a NaN
        # or inf gradient stops (grad · 0 would be NaN)
        return masked(grad, out != 0)


def relu(input):
    """max(x, 0); gradient 0 at 0."""
    refuse_complex("relu", input)
    return Relu.apply(input)


class Softmax(Function):
    node_name = "SoftmaxBackward0"
    symbol = "softmax"
    array_backward = True

    @staticmethod
    def forward(ctx, input, dim):
        # initial=-inf: an empty dim (shape (2, 0)) has no max; its result is empty, as torch
        shifted = np.exp(input - input.max(axis=dim, keepdims=True, initial=-np.inf))
        out = np.asarray(shifted / shifted.sum(axis=dim, keepdims=True))  # 0-d stays an array
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        dim = ctx.options["dim"]
        # Jacobian-vector product: s ⊙ (g − Σ g·s)
        return out * (grad - (grad * out).sum(axis=dim, keepdims=True))


def softmax(input, dim, dtype=None):
    """exp(x) / Σ exp(x) along dim, shifted by the max so ±1000 stays finite; with dtype, of
    the input cast to it first (as torch: against overflow in float16 inputs)."""
    refuse_complex("softmax", input)
    input = input if dtype is None else input.to(dtype)
    return Softmax.apply(input, dim=_dim(input, dim, "softmax"))


class LogSoftmax(Function):
    node_name = "LogSoftmaxBackward0"
    symbol = "log_softmax"
    array_backward = True

    @staticmethod
    def forward(ctx, input, dim):
        if input.size == 0:  # nothing to normalise (shape (2, 0)): empty, as torch
            out = input.copy()
        else:
            shifted = input - input.max(axis=dim, keepdims=True)
            # asarray: on a 0-d input NumPy returns a scalar, which save_for_backward can't tag
            out = np.asarray(shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True)))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        dim = ctx.options["dim"]
        probs = out.exp() if isinstance(out, Tensor) else np.exp(out)  # Tensor or array
        return grad - probs * grad.sum(axis=dim, keepdims=True)


def log_softmax(input, dim, dtype=None):
    """x − logsumexp(x) along dim, stable; with dtype, of the input cast to it first."""
    refuse_complex("log_softmax", input)
    input = input if dtype is None else input.to(dtype)
    return LogSoftmax.apply(input, dim=_dim(input, dim, "log_softmax"))


def _dim(input, dim, op: str) -> int:
    ndim = max(input.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor of shape {tuple(input.shape)} "
            f"(expected -{ndim} <= dim < {ndim})"
        )
    return dim % ndim if input.ndim else None


class Hardshrink(Function):
    node_name = "HardshrinkBackward0"
    symbol = "hardshrink"
    array_backward = True

    @staticmethod
    def forward(ctx, input, lambd):
        outside = (input < -lambd) | (input > lambd)  # the kinks ±λ themselves: 0, as torch
        ctx.save_for_backward(outside)
        return np.where(outside, input, 0).astype(input.dtype)

    @staticmethod
    def backward(ctx, grad):
        (outside,) = ctx.saved_tensors
        return masked(grad, outside)  # 0 inside, a NaN or inf gradient too, as torch


def hardshrink(input, lambd: float = 0.5):
    """x where |x| > λ, else 0."""
    if not lambd >= 0:
        raise ArgumentError(
            f"hardshrink: lambda must be greater or equal to 0, but found to be {lambd}."
        )
    return Hardshrink.apply(input, lambd=lambd)
