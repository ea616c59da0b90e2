"""Matrix products: matmul with NumPy's broadcasting and 1-D rules."""

import numpy as np

from ..function import Function
from ..tensor import Tensor

__all__ = ["matmul"]  # the public ops: autodiff exports these

_NAMES = {(2, 2): "MmBackward0", (1, 1): "DotBackward0", (2, 1): "MvBackward0"}


class Matmul(Function):
    node_name = "BmmBackward0"
    symbol = "@"

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
        if a_1d:
            grad = grad.unsqueeze(-2 if grad.ndim else 0)  # 1-D @ 1-D: grad is 0-d
        if b_1d:
            grad = grad.unsqueeze(-1)
        grad_a = grad_b = None
        if other is not None:
            b = other.unsqueeze(-1) if b_1d else other
            grad_a = grad.matmul(b.mT)  # the engine sums broadcast batch dims away
            grad_a = grad_a.squeeze(-2) if a_1d else grad_a
        if input is not None:
            a = input.unsqueeze(0) if a_1d else input
            grad_b = a.mT.matmul(grad)
            grad_b = grad_b.squeeze(-1) if b_1d else grad_b
        return grad_a, grad_b


def matmul(input, other):
    """Matrix product with broadcasting batch dims; 1-D operands as in NumPy/PyTorch."""
    a = input if isinstance(input, Tensor) else Tensor._make(np.asarray(input))
    b = other if isinstance(other, Tensor) else Tensor._make(np.asarray(other))
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both arguments need at least 1 dimension, got shapes "
            f"{a.shape} @ {b.shape}. Use * for scalars."
        )
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: inner dimensions differ, {a.shape} @ {b.shape} ({inner_a} != {inner_b})"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: batch dimensions do not broadcast, {a.shape} @ {b.shape}"
        ) from None
    return Matmul.apply(input, other)


def _ndim(ctx, slot: int, saved) -> int:
    meta = ctx.input_meta[slot]
    return len(meta[0]) if meta is not None else np.ndim(saved._data)
