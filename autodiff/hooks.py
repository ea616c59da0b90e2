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


def post_hooks(node, grads: tuple, grad, arrays: bool) -> tuple:
    """torch's Node.register_hook: each hook(grad_inputs, grad_outputs) after the node's
    formula (Tensors, as torch gives them); a returned tuple replaces grad_inputs."""

    def tensor(g):
        return g if g is None or isinstance(g, Tensor) else _make(g)

    grad_inputs, grad_outputs = tuple(tensor(g) for g in grads), (tensor(grad),)
    for hook in tuple(node._post_hooks):
        result = hook(grad_inputs, grad_outputs)
        if result is None:
            continue
        result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        if len(result) != len(grad_inputs):
            raise RuntimeError(
                f"hook '{getattr(hook, '__name__', hook)}' has returned an incorrect number of "
                f"values (got {len(result)}, but expected {len(grad_inputs)})"
            )
        grad_inputs = tuple(
            g if g is None or isinstance(g, Tensor) else _make(np.asarray(g)) for g in result
        )
    return tuple(g if g is None or not arrays else g._data for g in grad_inputs)


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
