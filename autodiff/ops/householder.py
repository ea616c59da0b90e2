"""Products of Householder reflectors (torch.linalg.householder_product, torch.orgqr): the Q of
a QR factorisation stored as LAPACK stores it, reflector vectors below A's diagonal and their
scales in tau, with torch's gradient."""

import numpy as np

from ..errors import DtypeError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .decomposition import _floating
from .shape import cat, stack

__all__ = ["orgqr"]


def _below(m: int, i: int, dtype) -> np.ndarray:
    """The rows of reflector i that A stores (those below row i)."""
    return (np.arange(m) > i).astype(dtype)


def _unit(m: int, i: int, dtype) -> np.ndarray:
    return (np.arange(m) == i).astype(dtype)


def _reflector(A, i: int):
    """v_i = (0, …, 0, 1, A[i+1:, i]): array or Tensor, as A is."""
    m = A.shape[-2]
    below, unit = _below(m, i, A.dtype), _unit(m, i, A.dtype)
    if isinstance(A, Tensor):
        below, unit = Tensor._make(below), Tensor._make(unit)
    return A[..., :, i] * below + unit


def _householder(A, tau, eye, first_columns):
    """The reflectors H_i = I − τ_i v_i v_iᵀ and the first columns of H_0 ⋯ H_(k−1), from the
    last reflector to the first; arrays or Tensors alike."""
    reflectors = []
    for i in range(tau.shape[-1]):
        v = _reflector(A, i)
        scale = tau[..., i : i + 1, None]
        reflectors.append(eye - scale * (v[..., :, None] * v[..., None, :]))
    Q = first_columns
    for H in reversed(reflectors):
        Q = H @ Q
    return reflectors, Q


class HouseholderProduct(Function):
    """Q (..., m, n): the first n columns of H_0 H_1 ⋯ H_(k−1)."""

    node_name = "LinalgHouseholderProductBackward0"
    symbol = "ΠH"

    @staticmethod
    def forward(ctx, A, tau):
        ctx.save_for_backward(A, tau)
        m, n = A.shape[-2:]
        first_columns = np.broadcast_to(np.eye(m, n, dtype=A.dtype), A.shape)  # k = 0: these
        return np.array(_householder(A, tau, np.eye(m, dtype=A.dtype), first_columns)[1])

    @staticmethod
    def backward(ctx, grad):
        A, tau = ctx.saved_tensors
        m, n = A.shape[-2:]
        eye = Tensor._make(np.eye(m, dtype=A.dtype))
        reflectors, _ = _householder(A, tau, eye, eye[:, :n])
        # Q = P_i H_i S_i (P_i: the reflectors before i, S_i: those after, then n columns):
        # gH_i = P_iᵀ g S_iᵀ; H_i = I − τ v vᵀ gives gτ = −vᵀ gH v, gv = −τ (gH + gHᵀ) v
        suffixes, S = [], eye[:, :n]
        for H in reversed(reflectors):
            suffixes.insert(0, S)
            S = H @ S
        columns, scales, P = [], [], eye
        for i, (H, S) in enumerate(zip(reflectors, suffixes)):
            gH = P.mT @ grad @ S.mT
            v = _reflector(A, i)[..., :, None]
            scales.append(-(v.mT @ gH @ v)[..., 0])
            gv = -tau[..., i : i + 1] * ((gH + gH.mT) @ v)[..., 0]
            columns.append(gv * Tensor._make(_below(m, i, A.dtype)))
            P = P @ H
        columns += [A[..., :, 0] * 0.0] * (n - len(columns))
        return stack(columns, -1), (cat(scales, -1) if scales else tau * 0.0)  # k = 0: empty


def householder_product(A, tau):
    """The first n columns of the product of the Householder reflectors I − τ_i v_i v_iᵀ whose
    vectors v_i (unit i-th entry) lie below A's diagonal (LAPACK's orgqr)."""
    op = "linalg.householder_product"
    if A.ndim < 2 or tau.ndim < 1:
        raise ShapeError(
            f"{op}: expects A (..., m, n) and tau (..., k), got {tuple(A.shape)} and "
            f"{tuple(tau.shape)}"
        )
    m, n, k = A.shape[-2], A.shape[-1], tau.shape[-1]
    if m < n or k > n or tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise ShapeError(
            f"{op}: A {tuple(A.shape)} and tau {tuple(tau.shape)} do not fit: it needs m >= n "
            "for A (..., m, n) and tau (..., k) with A's batch dims and k <= n."
        )
    _floating("householder_product", A)
    if np.dtype(A.dtype) != np.dtype(tau.dtype):
        raise DtypeError(
            f"{op}: A and tau must have one dtype, got {A.dtype} and {tau.dtype}. Convert one."
        )
    return HouseholderProduct.apply(A, tau)


def orgqr(input, tau):
    """torch.orgqr: linalg.householder_product under its LAPACK name."""
    return householder_product(input, tau)
