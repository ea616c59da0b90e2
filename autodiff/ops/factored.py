"""Solves and inverses from a Cholesky factor (torch.cholesky_solve, torch.cholesky_inverse),
with torch's gradients: A = L Lᵀ (upper: Uᵀ U) is never formed."""

import numpy as np

from ..amp import cast_inputs
from ..errors import DtypeError, ShapeError
from ..function import Function
from .decomposition import _floating, _square
from .triangular import _trsm

__all__ = ["cholesky_solve", "cholesky_inverse"]


def _solve_factored(L, B, upper: bool):
    """A⁻¹B for A = L Lᵀ (upper: L is U and A = Uᵀ U): two triangular solves."""
    Lt = np.swapaxes(L, -1, -2)
    if upper:
        return _trsm(L, _trsm(Lt, B, False, False), True, False)
    return _trsm(Lt, _trsm(L, B, False, False), True, False)


def _through_factor(common, L, upper: bool):
    """torch's gradient of the factor from the symmetric gradient of A⁻¹: −L·C (upper) or −C·L."""
    return -(L @ common) if upper else -(common @ L)


class CholeskySolve(Function):
    """X = A⁻¹ B for A = L Lᵀ (upper: Uᵀ U) given its factor (torch's argument order: B, L)."""

    node_name = "CholeskySolveBackward0"
    symbol = "A⁻¹B"

    @staticmethod
    def forward(ctx, B, L, upper):
        out = _solve_factored(L, B, upper)
        ctx.save_for_backward(L, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        L, X = ctx.saved_tensors
        upper = ctx.options["upper"]
        grad_B = CholeskySolve.apply(grad, L, upper=upper)  # A is symmetric: A⁻ᵀ = A⁻¹
        grad_L = None
        if ctx.needs_input_grad[1]:
            common = grad_B @ X.mT
            grad_L = _through_factor(common + common.mT, L, upper)
        return (grad_B if ctx.needs_input_grad[0] else None), grad_L


@cast_inputs("fp32")
def cholesky_solve(B, L, upper: bool = False):
    """X with A X = B, A = L Lᵀ given its Cholesky factor L (upper: A = Uᵀ U)."""
    _square("cholesky_solve", L)
    _floating("cholesky_solve", L)
    if np.dtype(B.dtype) != np.dtype(L.dtype):
        raise DtypeError(
            f"cholesky_solve: B and L must have one dtype, got {B.dtype} and {L.dtype}. "
            "Convert one, e.g. B.to(L.dtype)."
        )
    if B.ndim < 2 or B.shape[-2] != L.shape[-1]:
        raise ShapeError(
            f"cholesky_solve: B {tuple(B.shape)} and L {tuple(L.shape)} do not fit: B must be "
            f"a matrix (..., {L.shape[-1]}, k)"
        )
    return CholeskySolve.apply(B, L, upper=upper)


class CholeskyInverse(Function):
    """A⁻¹ for A = L Lᵀ (upper: Uᵀ U) given its factor."""

    node_name = "CholeskyInverseBackward0"
    symbol = "A⁻¹"

    @staticmethod
    def forward(ctx, L, upper):
        eye = np.broadcast_to(np.eye(L.shape[-1], dtype=L.dtype), L.shape)
        out = _solve_factored(L, eye, upper)
        ctx.save_for_backward(L, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        L, inverse = ctx.saved_tensors
        common = inverse @ (grad + grad.mT) @ inverse
        return _through_factor(common, L, ctx.options["upper"])


@cast_inputs("fp32")
def cholesky_inverse(L, upper: bool = False):
    """The inverse of A = L Lᵀ (upper: Uᵀ U) from its Cholesky factor."""
    _square("cholesky_inverse", L)
    _floating("cholesky_inverse", L)
    return CholeskyInverse.apply(L, upper=upper)
