"""A module's full backward hooks, as torch's register_full_backward_hook and
register_full_backward_pre_hook: hook(module, grad_input, grad_output) once the gradients with
respect to the module's inputs are known, pre_hook(module, grad_output) when those with respect
to its output arrive; either may return replacements.

As torch, the module's input and output pass through an identity op (its node is
BackwardHookFunctionBackward), and the hooks run where gradients reach those nodes: so they see
the gradients of this call of the module alone, not those of other uses of the same tensors.
Several input tensors that require grad pass through one torch-style Function (one node for
all, so the hooks see their gradients together); other positional arguments, tensors or not,
have None in grad_input, as in torch. Likewise the output: one tensor, or a tuple (a
namedtuple stays one) whose tensors that require grad pass through one node, grad_output
holding one entry per item (None for the others: an LSTM's (output, (h, c)) gives (g, None),
as torch; their grad_fn is a slice of that node's one packed output, where torch's is the node
itself). Other outputs (a list, a dict) are refused with a message saying what to use.
"""

import warnings

import numpy as np

import autodiff as ad
from autodiff.autograd.function import Function as TorchFunction


class BackwardHookFunction(ad.Function):
    """The identity (a copy: the hooked tensor and the module's never alias) whose node is
    where a module's backward hooks see a gradient."""

    node_name = "BackwardHookFunctionBackward"
    symbol = "hook"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        return np.array(input, copy=True)

    @staticmethod
    def backward(ctx, grad):
        return grad


class _HookIdentity(TorchFunction):
    """The identity on several tensors (copies), one node for all: arrived(grads) gets their
    gradients together (None for one that got none) and returns the ones to pass on."""

    @staticmethod
    def forward(ctx, arrived, *tensors):
        ctx.arrived = arrived
        ctx.set_materialize_grads(False)
        return tuple(t.clone() for t in tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.arrived(grads))


_HookIdentity.__name__ = "BackwardHookFunction"  # torch's node: BackwardHookFunctionBackward


def _packed(indices: tuple, grads: tuple, n: int) -> tuple:
    """grads as the hooks get them: n entries, grads at indices, None elsewhere."""
    packed = [None] * n
    for i, g in zip(indices, grads):
        packed[i] = g
    return tuple(packed)


class _Call:
    """One call of a hooked module: where its input tensors that require grad sit among the
    positional arguments (indices), where its output's do among the output's items (a single
    tensor: one item), and the output gradients between the two hooks."""

    def __init__(self, module, n_inputs: int, indices: tuple):
        self.module, self.n_inputs, self.indices = module, n_inputs, indices
        self.n_outputs, self.output_indices = 1, (0,)
        self.grad_output = None

    def output_arrived(self, grad):
        """A single output tensor's gradient (a pre-hook of the identity's node)."""
        return self.outputs_arrived((grad,))[0]

    def outputs_arrived(self, grads: tuple) -> tuple:
        """The output's gradients: the pre-hooks, then (no input requiring grad) the hooks;
        the ones to pass on."""
        grad_output = _packed(self.output_indices, grads, self.n_outputs)
        for hook in tuple(self.module._backward_pre_hooks.values()):
            result = hook(self.module, grad_output)
            if result is not None:
                grad_output = _checked(result, self.n_outputs, "pre hook", "grad_output")
        self.grad_output = grad_output
        if not self.indices:  # no input requires grad: the hooks run now, as torch's
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to "
                "module outputs since no inputs require gradients.",
                stacklevel=2,
            )
            for hook in tuple(self.module._backward_hooks.values()):
                result = hook(self.module, _packed((), (), self.n_inputs), grad_output)
                if result is not None and any(g is not None for g in result):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
            self.grad_output = None
        return tuple(grad_output[i] for i in self.output_indices)

    def input_arrived(self, grad):
        """One input's gradient (a pre-hook of the identity's node): the hooks, each may
        replace grad_input."""
        if self.grad_output is None:  # reached without passing the output (double backward)
            return None
        (replaced,) = self.inputs_arrived((grad,))
        # None from a hook: no gradient goes on (zeros here)
        return replaced if replaced is not None else grad.new_zeros(grad.shape)

    def inputs_arrived(self, grads: tuple) -> tuple:
        """The inputs' gradients: the hooks, each may replace grad_input; the ones to pass on."""
        if self.grad_output is None:  # reached without passing the output (double backward)
            return grads
        grad_input = _packed(self.indices, grads, self.n_inputs)
        for hook in tuple(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = _checked(result, self.n_inputs, "hook", "grad_input")
        self.grad_output = None
        return tuple(grad_input[i] for i in self.indices)


def _checked(result, expected: int, kind: str, what: str) -> tuple:
    result = tuple(result)
    if len(result) != expected:
        raise RuntimeError(
            f"Backward {kind} returned an invalid number of {what}, got {len(result)}, but "
            f"expected {expected}"
        )
    return result


def hooked_inputs(module, args: tuple):
    """args with the input that requires grad passed through the identity op, and the call's
    state (None when no gradient will flow: grad disabled, or no tensor requires grad)."""
    tensors = [i for i, a in enumerate(args) if isinstance(a, ad.Tensor)]
    needing = [i for i in tensors if args[i].requires_grad]
    if not ad.is_grad_enabled() or not needing:
        return args, _Call(module, len(args), ()) if ad.is_grad_enabled() else None
    call = _Call(module, len(args), tuple(needing))
    args = list(args)
    if len(needing) == 1:
        (index,) = needing
        args[index] = BackwardHookFunction.apply(args[index])
        args[index].grad_fn.add_grad_hook(call.input_arrived)
    else:
        wrapped = _HookIdentity.apply(call.inputs_arrived, *[args[i] for i in needing])
        for index, tensor in zip(needing, wrapped):
            args[index] = tensor
    return tuple(args), call


def hooked_output(module, out, call):
    """out passed through the identity op whose node runs the pre-hooks (and, without an input
    requiring grad, the hooks): a tensor, or a tuple's tensors that require grad."""
    if call is None:
        return out
    if isinstance(out, tuple):
        return _hooked_items(out, call)
    if not isinstance(out, ad.Tensor):
        raise NotImplementedError(
            f"{type(module).__name__}: a full backward hook on a module that returns "
            f"{type(out).__name__} is not supported (a tensor or a tuple is, as in torch). "
            "Register a hook on each output tensor instead (t.register_hook(fn))."
        )
    if not out.requires_grad:
        return out
    wrapped = BackwardHookFunction.apply(out)
    wrapped.grad_fn.add_grad_hook(call.output_arrived)
    return wrapped


def _hooked_items(out: tuple, call):
    """A tuple output's tensors that require grad through one identity node (torch's; the
    other items, nested tuples included, pass as they are)."""
    needing = [i for i, o in enumerate(out) if isinstance(o, ad.Tensor) and o.requires_grad]
    if not needing:
        return out
    call.n_outputs, call.output_indices = len(out), tuple(needing)
    items = list(out)
    for index, tensor in zip(
        needing, _HookIdentity.apply(call.outputs_arrived, *[out[i] for i in needing])
    ):
        items[index] = tensor
    return tuple(items) if type(out) is tuple else type(out)(*items)


def hook_output_node(module, args: tuple, out) -> None:
    """register_backward_hook's hooks, on the node that made out (torch's legacy hooks), with
    torch's warnings where that node's inputs are not the module's."""
    tensor = out
    while not isinstance(tensor, ad.Tensor):  # the first tensor of a structure, as torch
        if isinstance(tensor, dict):
            tensor = next(v for v in tensor.values() if isinstance(v, ad.Tensor))
        else:
            tensor = tensor[0]
    node = tensor.grad_fn
    if node is None:
        return
    for hook in module._backward_hooks.values():
        node.register_hook(
            lambda grad_input, grad_output, hook=hook: hook(module, grad_input, grad_output)
        )
    _warn_legacy(module, args, out, node)


def _warn_legacy(module, args: tuple, out, node) -> None:
    outputs = out if isinstance(out, tuple) else (out,)
    if not all(isinstance(o, ad.Tensor) for o in outputs):
        return _deprecated(
            "non-full backward hooks on a Module that does not return a single Tensor or a "
            "tuple of Tensors",
            "some of the grad_output",
        )
    if not all(isinstance(a, ad.Tensor) for a in args):
        return _deprecated(
            "non-full backward hooks on a Module that does not take as input a single Tensor "
            "or a tuple of Tensors",
            "some of the grad_input",
        )
    made = {o.grad_fn for o in outputs if o.grad_fn is not None}
    if len(made) > 1:
        return _deprecated(
            "a non-full backward hook when outputs are generated by different autograd Nodes",
            "some grad_output",
        )
    if {a.grad_fn for a in args if a.grad_fn is not None} != {c for c, _ in node.next_functions}:
        _deprecated(
            "a non-full backward hook when the forward contains multiple autograd Nodes",
            "some grad_input",
        )


def _deprecated(subject: str, missing: str) -> None:
    """torch's FutureWarning for a legacy backward hook that will miss some gradients."""
    warnings.warn(
        f"Using {subject} is deprecated and will be removed in future versions. This hook will "
        f"be missing {missing}. Please use register_full_backward_hook to get the documented "
        "behavior.",
        FutureWarning,
        stacklevel=5,  # the user's call of the module
    )
