"""Householder reflectors: the QR factorisation as LAPACK stores it (torch.geqrf: R on and
above the diagonal, the reflector vectors below it, their scales in tau) and the product of
the reflectors (torch.linalg.householder_product, torch.orgqr), with torch's gradient."""

from collections import namedtuple

import numpy as np

from ..errors import DtypeError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .decomposition import _floating
from .reduction import return_type_repr
from .shape import cat, stack

__all__ = ["geqrf", "orgqr", "ormqr"]


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


def _product(A, tau, n: int):
    """The first n columns of H_0 ⋯ H_(k−1) on arrays (A's batch kept when k = 0)."""
    m = A.shape[-2]
    first_columns = np.broadcast_to(np.eye(m, n, dtype=A.dtype), A.shape[:-2] + (m, n))
    return np.array(_householder(A, tau, np.eye(m, dtype=A.dtype), first_columns)[1])


def _product_vjp(A, tau, grad):
    """The gradients of A and tau from grad, that of the first n columns of H_0 ⋯ H_(k−1).
    Q = P_i H_i S_i (P_i: the reflectors before i, S_i: those after, then n columns):
    gH_i = P_iᵀ g S_iᵀ, and H_i = I − τ v vᵀ gives gτ = −vᵀ gH v, gv = −τ (gH + gHᵀ) v."""
    m, n = A.shape[-2], grad.shape[-1]
    eye = Tensor._make(np.eye(m, dtype=A.dtype))
    reflectors, _ = _householder(A, tau, eye, eye[:, :n])
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
    columns += [A[..., :, 0] * 0.0] * (A.shape[-1] - len(columns))
    return stack(columns, -1), (cat(scales, -1) if scales else tau * 0.0)  # k = 0: empty


class HouseholderProduct(Function):
    """Q (..., m, n): the first n columns of H_0 H_1 ⋯ H_(k−1)."""

    node_name = "LinalgHouseholderProductBackward0"
    symbol = "ΠH"

    @staticmethod
    def forward(ctx, A, tau):
        ctx.save_for_backward(A, tau)
        return _product(A, tau, A.shape[-1])

    @staticmethod
    def backward(ctx, grad):
        A, tau = ctx.saved_tensors
        return _product_vjp(A, tau, grad)


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


def _geqr2(A: np.ndarray):
    """LAPACK's unblocked QR (geqr2 with larfg's reflectors: β = −sign(α)‖(α, x)‖,
    τ = (β − α)/β, v = x/(α − β)), a loop over columns vectorised over the batch."""
    *batch, m, n = A.shape
    count = int(np.prod(batch, dtype=np.int64))
    a = np.array(A, dtype=np.result_type(A, np.float32)).reshape(count, m, n)
    tau = np.zeros((a.shape[0], min(m, n)), a.dtype)
    for i in range(min(m, n)):
        alpha, x = a[:, i, i], a[:, i + 1 :, i]
        xnorm = np.linalg.norm(x, axis=-1)
        beta = -np.copysign(np.hypot(alpha, xnorm), alpha)
        reflect = xnorm != 0  # else H = I: tau 0, the column left as it is
        safe = np.where(reflect, beta, 1.0)
        tau[:, i] = np.where(reflect, (safe - alpha) / safe, 0.0)
        x /= np.where(reflect, alpha - safe, 1.0)[:, None]
        a[:, i, i] = np.where(reflect, beta, alpha)
        v = np.concatenate([np.ones((a.shape[0], 1), a.dtype), x], axis=-1)[:, :, None]
        rest = a[:, i:, i + 1 :]
        rest -= tau[:, i, None, None] * v * (v.transpose(0, 2, 1) @ rest)
    return a.reshape(A.shape), tau.reshape(*batch, min(m, n))


class Geqrf(Function):
    """a (part 0) or tau (part 1) of LAPACK's QR; torch has no derivative for it."""

    node_name = "GeqrfBackward0"
    symbol = "qr"

    @staticmethod
    def forward(ctx, A, part):
        return _geqr2(A)[part]

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError(
            "geqrf: the derivative for 'geqrf' is not implemented (nor in torch). "
            "Differentiate linalg.qr instead."
        )


class _Geqrf(namedtuple("Geqrf", ["a", "tau"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "geqrf")


def geqrf(input):
    """(a, tau): the QR factorisation as LAPACK's geqrf stores it; Q is
    householder_product(a, tau), R the upper triangle of a."""
    if input.ndim < 2:
        raise ShapeError(f"geqrf: expects matrices (..., m, n), got shape {tuple(input.shape)}")
    _floating("geqrf", input)
    return _Geqrf(Geqrf.apply(input, part=0), Geqrf.apply(input, part=1))


class Ormqr(Function):
    """op(Q) C (left) or C op(Q), Q (mn, mn) = H_0 ⋯ H_(k−1) from geqrf's (input, tau),
    op(Q) = Qᵀ when transpose."""

    node_name = "OrmqrBackward0"
    symbol = "QC"

    @staticmethod
    def forward(ctx, input, tau, other, left, transpose):
        ctx.save_for_backward(input, tau, other)
        Q = _product(input, tau, input.shape[-2])
        Q = np.swapaxes(Q, -1, -2) if transpose else Q
        return Q @ other if left else other @ Q

    @staticmethod
    def backward(ctx, grad):
        A, tau, C = ctx.saved_tensors
        left, transpose = ctx.options["left"], ctx.options["transpose"]
        Q = Ormqr.apply(A, tau, Tensor._make(np.eye(A.shape[-2], dtype=A.dtype)), left=True,
                        transpose=False)  # fmt: skip
        opQ = Q.mT if transpose else Q
        grad_C = opQ.mT @ grad if left else grad @ opQ.mT
        grad_opQ = grad @ C.mT if left else C.mT @ grad
        grad_A, grad_tau = _product_vjp(A, tau, grad_opQ.mT if transpose else grad_opQ)
        return grad_A, grad_tau, grad_C


def ormqr(input, tau, other, left: bool = True, transpose: bool = False):
    """Q·other (left=False: other·Q; transpose: Qᵀ) for Q of geqrf's (input, tau), without
    forming more than Q itself."""
    if input.ndim < 2 or other.ndim < 2 or tau.ndim < 1:
        raise ShapeError(
            f"ormqr: expects input (..., mn, k), tau (..., k) and other matrices, got "
            f"{tuple(input.shape)}, {tuple(tau.shape)} and {tuple(other.shape)}"
        )
    mn = other.shape[-2] if left else other.shape[-1]
    if input.shape[-2] != mn or tau.shape[-1] != min(mn, input.shape[-1]):
        raise ShapeError(
            f"ormqr: input {tuple(input.shape)}, tau {tuple(tau.shape)} and other "
            f"{tuple(other.shape)} do not fit: input needs {mn} rows (other's "
            f"{'rows' if left else 'columns'}) and tau min({mn}, {input.shape[-1]}) entries, "
            "as geqrf gives them."
        )
    _floating("ormqr", input)
    if len({np.dtype(t.dtype) for t in (input, tau, other)}) > 1:
        raise DtypeError(
            f"ormqr: input, tau and other must have one dtype, got {input.dtype}, {tau.dtype} "
            f"and {other.dtype}. Convert them."
        )
    return Ormqr.apply(input, tau, other, left=left, transpose=transpose)
