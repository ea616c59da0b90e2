"""torch.autograd.Function as PyTorch programs write it (torch.autograd.function).

The project's ad.Function defines the engine's ops: its forward gets NumPy arrays and returns
one. A PyTorch program's Function is another contract: forward gets the Tensors (grad off) and
may return several, in the ctx style (forward(ctx, *args)) or the setup_context style
(forward(*args) and setup_context(ctx, inputs, output)); ctx has save_for_backward,
needs_input_grad, mark_non_differentiable and set_materialize_grads; backward may be
@once_differentiable. `autodiff run` gives this class for torch.autograd.Function.

One call records one engine node (_Node) whose inputs are the tensors that require grad. Its
output is the differentiable output itself, or, where there are several, their values packed
in one flat tensor that each output is a view of: the engine's nodes have one output.
"""

import functools
import inspect

import numpy as np

from .. import tracing
from ..function import Function as _EngineFunction
from ..grad_mode import is_grad_enabled, no_grad
from ..saved import check_versions, flat_versions, version_entry
from ..tensor import Tensor


class FunctionCtx:
    """The ctx a Function's forward/setup_context fills and its backward reads."""

    def __init__(self, needs_input_grad: tuple):
        self.needs_input_grad = needs_input_grad
        self.to_save = ()
        self.versions = ()  # the saved tensors' (counter, version at save, array), flat
        self.non_differentiable = ()
        self.materialize_grads = True
        self.node = None  # the engine's node of this call, once recorded

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (inputs, outputs or None) for backward: ctx.saved_tensors, which
        refuses one changed in place since (torch's version check)."""
        self.to_save = tensors
        self.versions = flat_versions(
            version_entry(t, t._data) for t in tensors if isinstance(t, Tensor)
        )

    @property
    def saved_tensors(self) -> tuple:
        """What save_for_backward kept; a saved output is the output, connected to this call's
        node (double backward goes through it). Freed by a backward without retain_graph."""
        if self.node is not None and self.node.released:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward."
            )
        if self.node is not None:
            check_versions(self.node)  # the node keeps this ctx's version entries
        return self.to_save

    def mark_non_differentiable(self, *tensors) -> None:
        """These outputs get no gradient (indices, masks): requires_grad False."""
        self.non_differentiable = tuple(map(id, tensors))

    def set_materialize_grads(self, value: bool) -> None:
        """False: backward gets None (not zeros) for an output that got no gradient."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors) -> None:
        raise NotImplementedError(
            "ctx.mark_dirty (a Function that modifies its inputs in place) is not supported by "
            "autodiff yet: return a new tensor from forward instead"
        )

    def save_for_forward(self, *tensors) -> None:
        raise NotImplementedError(
            "ctx.save_for_forward (forward-mode AD of a custom Function, jvp) is not supported "
            "by autodiff yet"
        )


class Function:
    """Subclass with static forward and backward (and optionally setup_context); call
    `MyFunction.apply(*args)`, as in PyTorch."""

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """forward with grad off; a node for backward when grad is on and a tensor input
        requires grad."""
        setup_style = cls.setup_context is not Function.setup_context
        if setup_style:  # torch binds forward's defaults: setup_context sees every input
            bound = inspect.signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args = bound.args
        elif kwargs:
            raise NotImplementedError(
                f"{cls.__name__}.apply: keyword arguments are not supported by autodiff yet "
                "for a forward(ctx, ...) Function; pass them positionally"
            )
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            if setup_style:
                output = cls.forward(*args)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args)
        output = _aliased(output, args)
        if not (is_grad_enabled() and True in needs):
            return output
        if tracing._state.tracer is not None:
            raise NotImplementedError(
                f"{cls.__name__}: a torch-style autograd.Function inside ad.compile is not "
                "supported by autodiff yet"
            )
        return _record(cls, ctx, args, output)


def _record(cls, ctx, args, output):
    """Connect forward's differentiable outputs to one new node; return them as forward did."""
    outputs = list(output) if isinstance(output, tuple) else [output]
    chosen = [
        i
        for i, out in enumerate(outputs)
        if isinstance(out, Tensor)
        and out.dtype.is_floating_point | out.dtype.is_complex
        and id(output[i] if isinstance(output, tuple) else output) not in ctx.non_differentiable
    ]
    if not chosen:
        return output
    state = _State(cls, ctx, args, outputs, chosen)
    core = _Node.apply(*[a for a in args if isinstance(a, Tensor) and a.requires_grad], state=state)
    if len(chosen) == 1:
        _attach(outputs[chosen[0]], core.grad_fn)
    else:
        offset = 0
        for i in chosen:
            out = outputs[i]
            piece = core[offset : offset + out.numel()].view(out.shape)
            piece.grad_fn.add_grad_hook(functools.partial(_received, state, i))
            _attach(out, piece.grad_fn)
            offset += out.numel()
    return tuple(outputs) if isinstance(output, tuple) else outputs[0]


def _aliased(output, args):
    """forward's result with each input returned as is replaced by a new tensor of its values
    (torch's alias: the output is never the input object)."""
    if isinstance(output, tuple):
        return tuple(_aliased(o, args) for o in output)
    if isinstance(output, Tensor) and any(output is a for a in args):
        return output.detach()
    return output


def _attach(out: Tensor, node) -> None:
    """forward's own tensor becomes the node's output (a saved output is then connected)."""
    out.grad_fn, out._requires_grad = node, True


def _received(state, i, grad):
    state.received.add(i)


class _State:
    """One call's user ctx, inputs and outputs, and which outputs a backward reached."""

    def __init__(self, cls, ctx, args, outputs, chosen):
        self.cls, self.ctx, self.args, self.outputs, self.chosen = cls, ctx, args, outputs, chosen
        self.received = set()


class _Node(_EngineFunction):
    """The engine's node of one call: output = the differentiable outputs (packed if several);
    backward splits the gradient per output and runs the user's backward."""

    @staticmethod
    def forward(ctx, *arrays, state):
        ctx.node_name = f"{state.cls.__name__}Backward"
        state.ctx.node = ctx
        ctx._versions = state.ctx.versions  # what saved_tensors checks, as the engine's nodes
        values = [state.outputs[i]._data for i in state.chosen]
        if len(values) == 1:
            return values[0]
        return np.concatenate([v.ravel() for v in values]).astype(np.result_type(*values))

    @staticmethod
    def backward(ctx, grad):
        state = ctx.options["state"]
        user = state.ctx
        grads, offset = [], 0
        for i, out in enumerate(state.outputs):
            g = None
            if i in state.chosen and (len(state.chosen) == 1 or i in state.received):
                g = grad[offset : offset + out.numel()].reshape(out.shape)
                if g.dtype != out.dtype:  # packed in the widest dtype: each its own again
                    g = g.to(out.dtype)
            if i in state.chosen:
                offset += out.numel()
            if g is None and user.materialize_grads and isinstance(out, Tensor):
                g = Tensor._make(np.zeros(out.shape, out._data.dtype))
            grads.append(g)
        state.received = set()
        returned = state.cls.backward(user, *grads)
        return _per_input(state, returned if isinstance(returned, tuple) else (returned,))


def _per_input(state, returned: tuple) -> tuple:
    """The user's gradients (one per forward argument, trailing Nones allowed) for the inputs
    that require grad, as the node's slots."""
    n = len(state.args)
    if len(returned) < n or any(g is not None for g in returned[n:]):
        raise RuntimeError(
            f"function {state.cls.__name__}Backward returned an incorrect number of gradients "
            f"(expected {n}, got {len(returned)})"
        )
    return tuple(
        g for a, g in zip(state.args, returned) if isinstance(a, Tensor) and a.requires_grad
    )


class _DelayedError(_EngineFunction):
    """Identity whose backward raises: the gradients of a once_differentiable backward."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


def once_differentiable(fn):
    """Decorate a Function's backward that is not itself differentiable: it runs with grad
    off, and differentiating its result (create_graph) raises."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not is_grad_enabled():
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        if not isinstance(outputs, tuple):
            return _delayed_error(outputs)
        return tuple(_delayed_error(o) for o in outputs)

    return wrapper


def _delayed_error(grad):
    """grad behind a node whose backward raises (on a leaf alias of it, as torch)."""
    if not isinstance(grad, Tensor):
        return grad
    return _DelayedError.apply(grad.detach().requires_grad_())


__all__ = ["Function", "FunctionCtx", "once_differentiable"]
