"""Matrix products: matmul with NumPy's broadcasting and 1-D rules."""

import numpy as np

from ..errors import ArgumentError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .elementwise import where
from .reduction import normalize_dims

__all__ = ["matmul", "mm", "bmm", "dot", "outer", "norm"]  # the public ops: autodiff exports these

_NAMES = {(2, 2): "MmBackward0", (1, 1): "DotBackward0", (2, 1): "MvBackward0"}


class Matmul(Function):
    node_name = "BmmBackward0"
    symbol = "@"
    array_backward = True

    @staticmethod
    def forward(ctx, input, other):
        ctx.node_name = _NAMES.get((input.ndim, other.ndim), "BmmBackward0")
        need = ctx.needs_input_grad
        ctx.save_for_backward(input if need[1] else None, other if need[0] else None)
        return np.matmul(input, other)

    @staticmethod
    def backward(ctx, grad):
        input, other = ctx.saved_tensors  # each saved only if the other's gradient is needed
        a_1d = _ndim(ctx, 0, input) == 1
        b_1d = _ndim(ctx, 1, other) == 1
        if a_1d:  # a as (1, n): grad (..., m) as (..., 1, m); 1-D @ 1-D: grad is 0-d
            grad = grad.reshape(grad.shape[:-1] + (1,) + grad.shape[-1:])
        if b_1d:
            grad = grad.reshape(grad.shape + (1,))
        grad_a = grad_b = None
        if other is not None:
            b = other.reshape(other.shape + (1,)) if b_1d else other
            grad_a = grad @ b.mT  # the engine sums broadcast batch dims away
            grad_a = grad_a.squeeze(-2) if a_1d else grad_a
        if input is not None:
            a = input.reshape((1,) + input.shape) if a_1d else input
            grad_b = a.mT @ grad
            grad_b = grad_b.squeeze(-1) if b_1d else grad_b
        return grad_a, grad_b


def matmul(input, other):
    """Matrix product with broadcasting batch dims; 1-D operands as in NumPy/PyTorch."""
    a = input if isinstance(input, Tensor) else Tensor._make(np.asarray(input))
    b = other if isinstance(other, Tensor) else Tensor._make(np.asarray(other))
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul: both arguments need at least 1 dimension, got shapes "
            f"{a.shape} @ {b.shape}. Use * for scalars."
        )
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ShapeError(
            f"matmul: inner dimensions differ, {a.shape} @ {b.shape} ({inner_a} != {inner_b})"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(
            f"matmul: batch dimensions do not broadcast, {a.shape} @ {b.shape}"
        ) from None
    return Matmul.apply(input, other)


def _ndim(ctx, slot: int, saved) -> int:
    meta = ctx.input_meta[slot]
    return len(meta[0]) if meta is not None else saved.ndim


def mm(input, mat2):
    """Matrix product of two 2-D tensors (torch.mm)."""
    _check_ndim("mm", (input, mat2), 2)
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors of the same batch size (torch.bmm)."""
    _check_ndim("bmm", (input, mat2), 3)
    if input.shape[0] != mat2.shape[0]:
        raise ShapeError(f"bmm: batch sizes differ, {input.shape} @ {mat2.shape}")
    return matmul(input, mat2)


def dot(input, other):
    """Inner product of two 1-D tensors."""
    _check_ndim("dot", (input, other), 1)
    return matmul(input, other)


def outer(input, vec2):
    """input[:, None] * vec2[None, :] for two 1-D tensors."""
    _check_ndim("outer", (input, vec2), 1)
    return input.unsqueeze(1) * vec2.unsqueeze(0)


def _check_ndim(op: str, tensors, ndim: int) -> None:
    for t in tensors:
        if t.ndim != ndim:
            shapes = " and ".join(str(tuple(x.shape)) for x in tensors)
            raise ShapeError(
                f"{op}: expects {ndim}-D tensors, got {shapes}. Use matmul for others."
            )


class Norm(Function):
    """The p-norm (Σ|x|^p)^(1/p) with dims kept; at 0 the gradient is 0 (torch's subgradient).
    norm() drops the dims with a reshape, so the saved output is this node's own (second
    order differentiates through it)."""

    node_name = "NormBackward1"
    symbol = "‖x‖"

    @staticmethod
    def forward(ctx, input, p, dim):
        if dim is None:
            ctx.node_name = "NormBackward0"
        a = np.abs(input)
        if p == np.inf:
            out = np.max(a, axis=dim, keepdims=True)
        else:
            out = np.sum(a**p, axis=dim, keepdims=True) ** (1.0 / p)
        out = np.asarray(out, dtype=input.dtype)
        ctx.save_for_backward(input, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, out = ctx.saved_tensors
        p, dim = ctx.options["p"], ctx.options["dim"]
        safe = np.asarray(out.numpy() != 0)
        denom = where(Tensor._make(safe), out, 1.0)  # differentiable: second order needs it
        if p == np.inf:
            ties = Tensor._make((np.abs(input.numpy()) == out.numpy()).astype(input.dtype))
            share = ties / ties.sum(dim, keepdim=True) if dim is not None else ties / ties.sum()
            return grad * input.sign() * share
        scale = input if p == 2 else input.sign() if p == 1 else input * input.abs() ** (p - 2)
        return grad * scale / denom ** (p - 1) * Tensor._make(safe.astype(input.dtype))


def norm(input, p=2, dim=None, keepdim=False):
    """The p-norm of all elements (the Frobenius norm for p=2), or along dim."""
    p = {"fro": 2}.get(p, p)
    if not isinstance(p, (int, float)) or p <= 0:
        raise ArgumentError(f"norm: p must be a positive number, 'fro' or inf, got {p!r}")
    dims = normalize_dims(dim, input.ndim, "norm")
    dims = (0,) if dims == () else dims  # a 0-d input's only dim, as torch takes dim 0 / -1
    out = Norm.apply(input, p=float(p), dim=dims)
    if keepdim:
        return out
    kept = [] if dims is None else [n for d, n in enumerate(input.shape) if d not in dims]
    return out.reshape(*kept)
