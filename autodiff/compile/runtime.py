"""What a replayed program calls besides the ops' own forward: the helpers `compiled.code`
imports. Each does on arrays what the eager engine does at the same point of the call."""

from sys import getrefcount

import numpy as np

from .. import grad_mode
from ..device import laid_out_like
from ..graph import NoContext, Node  # noqa: F401 (NoContext: what .code imports)
from ..tensor import Tensor

_make = Tensor._make


class CompileError(RuntimeError):
    """What ad.compile cannot replay faithfully: the message says what and what to do."""


class Ctx:
    """The ctx an op's forward and backward formula see on replay (no graph node)."""

    node_name = None

    def __init__(self, needs_input_grad: tuple, input_meta: tuple, **options):
        self.needs_input_grad = needs_input_grad
        self.input_meta = input_meta
        self.options = options
        self._saved = ()
        self.arrays = False  # the formula runs on arrays (its Function's array_backward)

    def save_for_backward(self, *values) -> None:
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        if self.arrays:
            return self._saved
        return tuple([_make(v) if type(v) is np.ndarray else v for v in self._saved])


def as_array(out) -> np.ndarray:
    """A forward's result as an array (np.exp of a 0-d array gives a NumPy scalar)."""
    if type(out) is np.ndarray:
        return out
    return out._data if isinstance(out, Tensor) else np.asarray(out)


def backward(function, ctx, grad: np.ndarray) -> tuple:
    """An op's backward formula run on the replayed ctx: array gradients per input (or None),
    computed as eager first-order backward computes them (grad mode off; on arrays where the
    Function says its formula runs on arrays, else on Tensors)."""
    state = grad_mode._state
    enabled, state.enabled = state.enabled, False
    try:
        if function.array_backward:
            ctx.arrays = True
            grads = function.backward(ctx, grad)
        else:
            grads = function.backward(ctx, _make(grad))
    finally:
        state.enabled = enabled
    if type(grads) is not tuple:
        grads = (grads,)
    return tuple([None if g is None else as_array(g) for g in grads])


def array_of(t: Tensor) -> np.ndarray:
    """A tensor argument's or captured tensor's array, read on every call."""
    return t._data


def grad_of(t: Tensor) -> np.ndarray:
    """A leaf's .grad array as it is when the program reads it."""
    return t.grad._data


def constant(value: np.ndarray) -> np.ndarray:
    """A tensor fn made from Python data: a fresh copy each call, as eager makes it anew."""
    return value.copy()


def ones_like(out: np.ndarray) -> np.ndarray:
    """backward()'s first gradient, d out / d out."""
    return np.array(1, out.dtype) if out.ndim == 0 else np.ones_like(out)


def set_grad(leaf: Tensor, grad: np.ndarray) -> np.ndarray:
    """leaf.grad = grad, a fresh array in the leaf's layout (as eager AccumulateGrad): the
    gradient never aliases another one. A buffer that only the program's last use holds
    becomes the gradient (as eager AccumulateGrad takes it)."""
    owned = getrefcount(grad) <= _OWNED and grad.base is None and grad.flags.writeable
    laid_out = laid_out_like(grad, leaf._data)
    if laid_out is grad and not owned:
        laid_out = grad.copy(order="K")
    leaf.grad = _make(laid_out)
    return leaf.grad._data


# references to a gradient array that only its last reader holds, as getrefcount counts them
# in set_grad: the program's local, the argument, getrefcount's own
_OWNED = 3


def add_grad(leaf: Tensor, grad: np.ndarray) -> np.ndarray:
    """leaf.grad += grad, in place as eager AccumulateGrad adds (out of place for a .grad
    that is itself in a graph)."""
    have = leaf.grad
    if have is None:
        raise CompileError(
            "compile: a leaf's .grad was None where the trace had one; something outside the "
            "program's calls set it. Zero gradients with zero_grad(), or call compiled.reset()."
        )
    if have.grad_fn is not None:
        leaf.grad = have + _make(grad)
    else:
        np.add(have._data, grad, out=have._data)
    return leaf.grad._data


def clear_grad(leaf: Tensor) -> None:
    """leaf.grad = None, as fn did after its backward."""
    leaf.grad = None


def bump(version) -> None:
    """A tensor's version counter moves, as the eager in-place write or update moved it."""
    version[0] += 1


def bump_tensor(t: Tensor) -> None:
    """The version counter of an argument written in place (this call's tensor)."""
    t._counter()[0] += 1


class ReplayedOutput:
    """The grad_fn of a replay's output that eager gives a graph: it shows the node's name,
    and backward through it is refused (a replay builds no graph)."""

    node_name = None
    array_backward = False

    @staticmethod
    def backward(ctx, grad):
        raise CompileError(
            f"compile: backward through {ctx.name()}, an output of a compiled replay: a replay "
            "builds no graph. Call backward inside the compiled function."
        )


def output_node(name: str) -> Node:
    """The (shared, released) grad_fn of a replayed output whose eager node had this name."""
    node = Node(ReplayedOutput)
    node.node_name = name
    node._saved = None
    node.children = ()
    node.input_meta = ()
    return node


def pack(*items) -> tuple:
    """A tuple option that holds arrays of the program (an index like (t5, slice(None)))."""
    return items


def pack_list(*items) -> list:
    return list(items)


def tensor(array: np.ndarray) -> Tensor:
    """An array handed to a replayed call (an optimizer step, a scheduler) as a Tensor."""
    return _make(array)


# steps of these functions have no effect but their result: dropped when nothing reads it
for _pure in (array_of, grad_of, constant, ones_like, pack, pack_list, Ctx):
    _pure.pure = True
