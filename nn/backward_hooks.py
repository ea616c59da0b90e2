"""A module's full backward hooks, as torch's register_full_backward_hook and
register_full_backward_pre_hook: hook(module, grad_input, grad_output) once the gradients with
respect to the module's inputs are known, pre_hook(module, grad_output) when those with respect
to its output arrive; either may return replacements.

As torch, the module's input and output pass through an identity op (its node is
BackwardHookFunctionBackward), and the hooks run where gradients reach those nodes: so they see
the gradients of this call of the module alone, not those of other uses of the same tensors.
The engine's nodes have one output each, so a call may give the hooks one input tensor that
requires grad (other positional arguments, tensors or not, have None in grad_input, as in torch)
and must return one tensor; other calls are refused with a message saying what to use instead.
"""

import warnings

import numpy as np

import autodiff as ad


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


class _Call:
    """One call of a hooked module: where its input tensor sits among the positional
    arguments, and the output gradients between the two hooks."""

    def __init__(self, module, n_inputs: int, index):
        self.module, self.n_inputs, self.index = module, n_inputs, index
        self.grad_output = None

    def packed(self, grad) -> tuple:
        """grad_input as the hooks get it: one entry per positional argument."""
        grads = [None] * self.n_inputs
        if self.index is not None:
            grads[self.index] = grad
        return tuple(grads)

    def output_arrived(self, grad):
        """The output's gradient: the pre-hooks, then (no input requiring grad) the hooks."""
        grad_output = (grad,)
        for hook in tuple(self.module._backward_pre_hooks.values()):
            result = hook(self.module, grad_output)
            if result is not None:
                grad_output = _checked(result, 1, "pre hook", "grad_output")
        self.grad_output = grad_output
        if self.index is None:  # no input requires grad: the hooks run now, as torch's
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to "
                "module outputs since no inputs require gradients.",
                stacklevel=2,
            )
            for hook in tuple(self.module._backward_hooks.values()):
                result = hook(self.module, self.packed(None), grad_output)
                if result is not None and any(g is not None for g in result):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
            self.grad_output = None
        return grad_output[0]

    def input_arrived(self, grad):
        """The input's gradient: the hooks, each may replace grad_input."""
        if self.grad_output is None:  # reached without passing the output (double backward)
            return None
        grad_input = self.packed(grad)
        for hook in tuple(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                grad_input = _checked(result, self.n_inputs, "hook", "grad_input")
        self.grad_output = None
        replaced = grad_input[self.index]  # None from a hook: no gradient goes on (zeros here)
        return replaced if replaced is not None else grad.new_zeros(grad.shape)


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
        return args, _Call(module, len(args), None) if ad.is_grad_enabled() else None
    if len(needing) > 1:
        raise NotImplementedError(
            f"{type(module).__name__}: a full backward hook on a call with {len(needing)} input "
            "tensors that require grad is not supported (one is). Register a hook on each "
            "input instead: x.register_hook(fn) gets that input's gradient."
        )
    (index,) = needing
    call = _Call(module, len(args), index)
    wrapped = BackwardHookFunction.apply(args[index])
    wrapped.grad_fn.register_prehook(call.input_arrived)
    return args[:index] + (wrapped,) + args[index + 1 :], call


def hooked_output(module, out, call):
    """out passed through the identity op whose node runs the pre-hooks (and, without an input
    requiring grad, the hooks)."""
    if call is None:
        return out
    if not isinstance(out, ad.Tensor):
        raise NotImplementedError(
            f"{type(module).__name__}: a full backward hook on a module that returns "
            f"{type(out).__name__} is not supported (a single tensor is). Register a hook on "
            "each output tensor instead (t.register_hook(fn))."
        )
    if not out.requires_grad:
        return out
    wrapped = BackwardHookFunction.apply(out)
    wrapped.grad_fn.register_prehook(call.output_arrived)
    return wrapped
