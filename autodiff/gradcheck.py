"""gradcheck and gradgradcheck: analytic Jacobians against central differences in float64."""

import numpy as np

from . import gradients
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """The analytic and numeric Jacobians differ; the message shows both."""


def _outputs(fn, inputs) -> tuple:
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def _differentiable(inputs, what: str) -> list:
    found = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not found:
        raise ValueError(f"{what}: no input requires grad; pass tensors with requires_grad=True")
    for t in found:
        if t.dtype != np.float64:
            raise TypeError(
                f"{what}: input of shape {tuple(t.shape)} is {t.dtype}; finite differences need "
                "float64 inputs (use .double() or dtype=ad.float64)"
            )
    return found


def _analytic(fn, inputs, wrt) -> list:
    """One Jacobian block per (output, input): rows = output elements."""
    outs = _outputs(fn, inputs)
    blocks = []
    for out in outs:
        rows = [np.zeros((out._data.size, t._data.size)) for t in wrt]
        if out.requires_grad:
            for j in range(out._data.size):
                seed = np.zeros(out._data.size, out.dtype)
                seed[j] = 1
                grads = gradients.grad(
                    out,
                    wrt,
                    Tensor._make(seed.reshape(out.shape)),
                    retain_graph=True,
                    allow_unused=True,
                )
                for row, g in zip(rows, grads):
                    if g is not None:
                        row[j] = g._data.ravel()
        blocks.append(rows)
    return blocks


def _numeric(fn, inputs, wrt, eps) -> list:
    outs = _outputs(fn, inputs)
    blocks = [[np.zeros((o._data.size, t._data.size)) for t in wrt] for o in outs]
    # not under no_grad: fn may itself differentiate (gradgradcheck's first derivative)
    for i, t in enumerate(wrt):
        array = t._data  # perturbed in place, element by element in C order (the rows')
        for k in range(array.size):
            # an index, not a flat view: reshape(-1) of a non-contiguous array is a copy, whose
            # perturbation the input would never see
            at = np.unravel_index(k, array.shape)
            orig = array[at]
            array[at] = orig + eps
            plus = [o._data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
            array[at] = orig - eps
            minus = [o._data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
            array[at] = orig
            for o_index, (p, m) in enumerate(zip(plus, minus)):
                blocks[o_index][i][:, k] = (p - m) / (2 * eps)
    return blocks


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True) -> bool:
    """True if fn's analytic gradients match central differences, else raise (or False)."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    wrt = _differentiable(inputs, "gradcheck")
    analytic = _analytic(fn, inputs, wrt)
    numeric = _numeric(fn, inputs, wrt, eps)
    for o, (a_rows, n_rows) in enumerate(zip(analytic, numeric)):
        for i, (a, n) in enumerate(zip(a_rows, n_rows)):
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                worst = np.unravel_index(np.argmax(np.abs(a - n)), a.shape)
                raise GradcheckError(
                    f"gradcheck: Jacobian mismatch for output {o} with respect to input {i} "
                    f"(worst at output element {worst[0]}, input element {worst[1]}: "
                    f"analytic {a[worst]:.10g}, numeric {n[worst]:.10g}).\n"
                    f"numerical:\n{n}\nanalytical:\n{a}"
                )
    return True


def gradgradcheck(
    fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True
) -> bool:
    """gradcheck of the first derivative (made with create_graph=True): checks second order."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    _differentiable(inputs, "gradgradcheck")  # raises when no input requires grad
    outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o.shape), True) for o in outs if o.requires_grad
        )
    grad_outputs = tuple(grad_outputs)
    n = len(inputs)

    def first_derivative(*args):
        outs = [o for o in _outputs(fn, args[:n]) if o.requires_grad]
        tensors = [t for t in args[:n] if isinstance(t, Tensor) and t.requires_grad]
        grads = gradients.grad(outs, tensors, args[n:], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps, atol, rtol, raise_exception)
