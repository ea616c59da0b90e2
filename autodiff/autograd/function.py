"""torch.autograd.function: Function, and once_differentiable for a backward written without
graph-recording ops (it cannot be differentiated again)."""

import functools

import numpy as np

from ..function import Function
from ..grad_mode import is_grad_enabled, no_grad
from ..tensor import Tensor

__all__ = ["Function", "once_differentiable"]

_TWICE = "trying to differentiate twice a function that was marked with @once_differentiable"


class _DelayedError(Function):
    """A once-differentiable backward's output under create_graph: passes it on, and refuses
    a gradient through it (torch's DelayedError)."""

    node_name = "DelayedError"

    @staticmethod
    def forward(ctx, grad):
        return np.array(grad, copy=True)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(_TWICE)


def once_differentiable(fn):
    """Decorate a custom Function's backward: it runs without recording a graph, and under
    create_graph=True its results are marked so that differentiating them again raises
    torch's error instead of giving a wrong (zero) second derivative."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not is_grad_enabled():
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        if not isinstance(outputs, tuple):
            return _delayed(outputs)
        return tuple(_delayed(o) for o in outputs)

    return wrapper


def _delayed(output):
    if output is None:
        return None
    return _DelayedError.apply(output.detach().requires_grad_(True))
