"""Tensor hooks and retain_grad(): the Python callbacks backward runs on a gradient, on
either kind the engine passes (an array in first order, a Tensor under create_graph)."""

import numpy as np

from . import grad_mode
from .graph import AccumulateGrad
from .tensor import Tensor

_make = Tensor._make


def _call(hooks, grad: Tensor) -> Tensor:
    for hook in hooks:
        result = hook(grad)
        if result is not None:
            grad = result if isinstance(result, Tensor) else _make(np.asarray(result))
    return grad


def hooked(hooks, grad, arrays: bool):
    """Tensor hooks on a gradient of either kind; the result is of the same kind."""
    grad = _call(hooks, _make(grad) if arrays else grad)
    return grad._data if arrays else grad


def captured(node, grad, arrays: bool):
    """ad.grad's result for a target: after the leaf's own hooks, as backward would run them."""
    if type(node) is AccumulateGrad and node.variable._hooks:
        return hooked(node.variable._hooks, grad, arrays)
    return grad


def pre_hooks(node, grad, arrays: bool):
    """A node's gradient after its tensor's hooks; retain_grad() keeps a copy on the tensor."""
    if node._pre_hooks:
        grad = hooked(node._pre_hooks, grad, arrays)
    tensor = node._retain() if node._retain is not None else None
    if tensor is not None:
        data = grad if arrays else grad._data
        create_graph = grad_mode._state.enabled  # the drain runs with it as grad mode
        tensor.grad = grad if create_graph else _make(np.array(data, copy=True))
    return grad
