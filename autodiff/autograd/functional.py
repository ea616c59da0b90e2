"""torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp, built on ad.grad.

Inputs and outputs may be one tensor or a tuple of them, as in torch; the results nest the
same way (a Jacobian block per (output, input) pair). Rows are computed one backward each.
"""

import numpy as np

from ..creation import ones_like, zeros_like
from ..grad_mode import enable_grad
from ..gradients import grad
from ..ops.shape import stack
from ..tensor import Tensor

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _as_tuple(x, what: str, op: str) -> tuple:
    single = isinstance(x, Tensor)
    items = (x,) if single else tuple(x)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {what} {i} must be a Tensor, got {type(t).__name__}")
    return items, single


def _fresh(inputs) -> tuple:
    """Leaves that require grad, sharing the inputs' values (the caller's tensors untouched)."""
    return tuple(t.detach().requires_grad_(t.is_floating_point()) for t in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph):
    used = [o for o in outputs if o.requires_grad]
    if not used:
        return tuple(zeros_like(t) for t in inputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    found = grad(
        [o for o, _ in pairs],
        inputs,
        [g for _, g in pairs],
        retain_graph=True,
        create_graph=create_graph,
        allow_unused=True,
    )
    return tuple(zeros_like(t) if g is None else g for t, g in zip(inputs, found))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·J): the vector-Jacobian product."""
    inputs, single_in = _as_tuple(inputs, "input", "vjp")
    with enable_grad():
        xs = _fresh(inputs)
        outputs, single_out = _as_tuple(func(*xs), "output", "vjp")
        if v is None:
            if any(o.numel() != 1 for o in outputs):
                raise RuntimeError("vjp: v can be omitted only for scalar outputs; pass v=")
            v = tuple(ones_like(o) for o in outputs)
        vs, _ = _as_tuple(v, "v", "vjp")
        result = _grads(outputs, xs, vs, create_graph)
    out = outputs[0] if single_out else outputs
    return _detach(out, create_graph), _single(result, single_in, create_graph)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J·v): the Jacobian-vector product, by the double-vjp trick."""
    inputs, single_in = _as_tuple(inputs, "input", "jvp")
    vs = _as_tuple(v, "v", "jvp")[0] if v is not None else tuple(ones_like(t) for t in inputs)
    with enable_grad():
        xs = _fresh(inputs)
        outputs, single_out = _as_tuple(func(*xs), "output", "jvp")
        dummies = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        g = _grads(outputs, xs, dummies, create_graph=True)  # linear in the dummies
        total = _dot(g, vs)
        if total is None:
            result = tuple(zeros_like(o) for o in outputs)
        else:
            result = _grads((total,), dummies, (None,), create_graph)
    out = outputs[0] if single_out else outputs
    return _detach(out, create_graph), _single(result, single_out, create_graph)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False):
    """∂func/∂inputs: for one input and one output a tensor of shape out.shape + in.shape."""
    inputs, single_in = _as_tuple(inputs, "input", "jacobian")
    with enable_grad():
        xs = _fresh(inputs)
        outputs, single_out = _as_tuple(func(*xs), "output", "jacobian")
        blocks = []
        for out in outputs:
            rows = [[] for _ in xs]
            for k in range(out.numel()):
                onehot = np.zeros(out.shape, dtype=out.dtype)
                onehot.flat[k] = 1
                found = _grads((out,), xs, (Tensor._make(onehot),), create_graph)
                for i, g in enumerate(found):
                    rows[i].append(g)
            blocks.append(tuple(_stack(r, out, x, create_graph) for r, x in zip(rows, xs)))
    if single_out:
        return blocks[0][0] if single_in else blocks[0]
    return tuple(b[0] for b in blocks) if single_in else tuple(blocks)


def _stack(rows, out, x, create_graph):
    if not rows:
        return Tensor._make(np.zeros(tuple(out.shape) + tuple(x.shape), x.dtype))
    block = stack(rows).reshape(*(tuple(out.shape) + tuple(x.shape)))
    return block if create_graph else block.detach()


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False):
    """The Hessian of a scalar func: the Jacobian of its gradient."""
    inputs, single_in = _as_tuple(inputs, "input", "hessian")

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("hessian: func must return a single-element tensor")
        found = _grads((out,), xs, (None,), create_graph=True)
        return found[0] if single_in else found

    return jacobian(gradient, inputs[0] if single_in else inputs, create_graph=create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·H) for a scalar func."""
    inputs, single_in = _as_tuple(inputs, "input", "vhp")
    vs, _ = _as_tuple(v, "v", "vhp")
    with enable_grad():
        xs = _fresh(inputs)
        out = func(*xs)
        g = _grads((out,), xs, (None,), create_graph=True)
        total = _dot(g, vs)
        result = (
            tuple(zeros_like(x) for x in xs)
            if total is None
            else _grads((total,), xs, (None,), create_graph)
        )
    return _detach(out, create_graph), _single(result, single_in, create_graph)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H·v); H is symmetric, so the same as vhp."""
    return vhp(func, inputs, v, create_graph, strict)


def _dot(grads, vs):
    """Σ_i <grads_i, v_i> over the gradients that depend on the inputs (None if none does)."""
    terms = [(g * v).sum() for g, v in zip(grads, vs) if g.requires_grad]
    total = terms[0] if terms else None
    for term in terms[1:]:
        total = total + term
    return total


def _detach(x, keep):
    if keep:
        return x
    return x.detach() if isinstance(x, Tensor) else tuple(t.detach() for t in x)


def _single(result, single, keep):
    result = result if keep else tuple(r.detach() for r in result)
    return result[0] if single else result
