"""The LDLᵀ factorisation of symmetric matrices with Bunch-Kaufman pivoting, as LAPACK's sytf2
stores it (torch.linalg.ldl_factor, ldl_factor_ex, ldl_solve): L's multipliers below the
diagonal, D's 1 x 1 and 2 x 2 blocks on and next to it, pivots > 0 for a 1 x 1 block and a
pair of equal negative pivots for a 2 x 2 one. torch has no derivative for them."""

from collections import namedtuple

import numpy as np

from ..errors import DtypeError, LinAlgError, ShapeError
from ..function import Function
from .comparison import discrete
from .decomposition import _floating, _square
from .reduction import return_type_repr

__all__ = []

_ALPHA = (1 + np.sqrt(17.0)) / 8  # Bunch-Kaufman's bound on element growth


def _pivot(A, k: int):
    """sytf2's choice at column k: (kp, kstep, singular)."""
    n = A.shape[0]
    absakk = abs(A[k, k])
    imax, colmax = k, 0.0
    if k < n - 1:
        imax = k + 1 + int(np.argmax(np.abs(A[k + 1 :, k])))
        colmax = abs(A[imax, k])
    if max(absakk, colmax) == 0:
        return k, 1, True
    if absakk >= _ALPHA * colmax:
        return k, 1, False
    rowmax = np.max(np.abs(A[imax, k:imax]))
    if imax < n - 1:
        rowmax = max(rowmax, np.max(np.abs(A[imax + 1 :, imax])))
    if absakk >= _ALPHA * colmax * (colmax / rowmax):
        return k, 1, False
    if abs(A[imax, imax]) >= _ALPHA * rowmax:
        return imax, 1, False
    return imax, 2, False


def _interchange(A, kk: int, kp: int, k: int, kstep: int) -> None:
    """Swap rows and columns kk and kp of the trailing lower triangle."""
    A[kp + 1 :, [kk, kp]] = A[kp + 1 :, [kp, kk]]
    segment = A[kk + 1 : kp, kk].copy()
    A[kk + 1 : kp, kk] = A[kp, kk + 1 : kp]
    A[kp, kk + 1 : kp] = segment
    A[kk, kk], A[kp, kp] = A[kp, kp], A[kk, kk]
    if kstep == 2:
        A[k + 1, k], A[kp, k] = A[kp, k], A[k + 1, k]


def _eliminate(A, k: int, kstep: int) -> None:
    """The rank-1 (1 x 1 pivot) or rank-2 (2 x 2) update of the trailing lower triangle."""
    n = A.shape[0]
    if kstep == 1:
        if k < n - 1:
            column = A[k + 1 :, k] / A[k, k]
            A[k + 1 :, k + 1 :] -= np.tril(np.outer(A[k + 1 :, k], column))
            A[k + 1 :, k] = column
        return
    if k < n - 2:
        d21 = A[k + 1, k]
        d11, d22 = A[k + 1, k + 1] / d21, A[k, k] / d21
        d21 = 1 / (d11 * d22 - 1) / d21
        wk = d21 * (d11 * A[k + 2 :, k] - A[k + 2 :, k + 1])
        wkp1 = d21 * (d22 * A[k + 2 :, k + 1] - A[k + 2 :, k])
        update = np.outer(A[k + 2 :, k], wk) + np.outer(A[k + 2 :, k + 1], wkp1)
        A[k + 2 :, k + 2 :] -= np.tril(update)
        A[k + 2 :, k], A[k + 2 :, k + 1] = wk, wkp1


def _sytf2(A: np.ndarray):
    """(LD, pivots, info) of one symmetric matrix (its lower triangle is read)."""
    A = np.tril(A).astype(np.result_type(A, np.float32))
    n = A.shape[0]
    pivots, info, k = np.zeros(n, np.int32), 0, 0
    while k < n:
        kp, kstep, singular = _pivot(A, k)
        if singular:
            info = info or k + 1
        else:
            if kp != k + kstep - 1:
                _interchange(A, k + kstep - 1, kp, k, kstep)
            _eliminate(A, k, kstep)
        pivots[k : k + kstep] = kp + 1 if kstep == 1 else -(kp + 1)
        k += kstep
    return np.tril(A), pivots, info


def _each(A: np.ndarray, part: int):
    """One of sytf2's results for every matrix of the batch."""
    results = [_sytf2(m)[part] for m in A.reshape((-1,) + A.shape[-2:])]
    shape = {0: A.shape, 1: A.shape[:-1], 2: A.shape[:-2]}[part]
    dtype = (A.dtype if A.dtype.kind == "f" else np.float32) if part == 0 else np.int32
    return np.array(results, dtype=dtype).reshape(shape)


class LdlFactor(Function):
    """The compact LD of A = P L D Lᵀ Pᵀ; no derivative, as in torch."""

    node_name = "NotImplemented"  # torch's node for an op without a derivative
    symbol = "LDL"

    @staticmethod
    def forward(ctx, A, check_errors=False):
        if check_errors and np.any(_each(A, 2)):
            raise LinAlgError(
                "linalg.ldl_factor: the factorization could not be completed because the input "
                "is singular (a zero pivot). Use linalg.ldl_factor_ex and read info."
            )
        return _each(A, 0)

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError(
            "linalg.ldl_factor: the derivative is not implemented (nor in torch). "
            "Differentiate linalg.solve or linalg.cholesky instead."
        )


def _ldl_pivots(A):
    return _each(A, 1)


def _ldl_info(A):
    return _each(A, 2)


class _LdlFactorEx(namedtuple("LdlFactorEx", ["LD", "pivots", "info"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_ldl_factor_ex")


class _LdlFactor(namedtuple("LdlFactor", ["LD", "pivots"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_ldl_factor")


def _check_hermitian(op: str, A, hermitian: bool) -> None:
    """Square floating matrices; hermitian changes nothing for real ones (the same
    factorisation), so it is accepted as torch accepts it."""
    _square(op, A)
    _floating(op, A)


def ldl_factor_ex(A, *, hermitian: bool = False, check_errors: bool = False):
    """(LD, pivots, info): A = P L D Lᵀ Pᵀ by Bunch-Kaufman pivoting (LAPACK's sytf2; A's
    lower triangle is read); info > 0 at the first zero pivot."""
    _check_hermitian("ldl_factor", A, hermitian)
    LD = LdlFactor.apply(A, check_errors=check_errors)
    return _LdlFactorEx(LD, discrete(_ldl_pivots, A), discrete(_ldl_info, A))


def ldl_factor(A, *, hermitian: bool = False):
    """(LD, pivots) of A = P L D Lᵀ Pᵀ; a zero pivot is an error (ldl_factor_ex: info)."""
    LD, pivots, _ = ldl_factor_ex(A, hermitian=hermitian, check_errors=True)
    return _LdlFactor(LD, pivots)


def _sytrs(LD: np.ndarray, pivots: np.ndarray, B: np.ndarray) -> np.ndarray:
    """X with A X = B from one matrix's sytf2 factors (LAPACK's sytrs, lower)."""
    A, B, n = LD, np.array(B, dtype=np.result_type(LD, B)), LD.shape[0]
    k = 0
    while k < n:  # L D Y = P B
        kp = abs(int(pivots[k])) - 1
        if pivots[k] > 0:
            B[[k, kp]] = B[[kp, k]]
            B[k + 1 :] -= np.outer(A[k + 1 :, k], B[k])
            B[k] /= A[k, k]
            k += 1
            continue
        B[[k + 1, kp]] = B[[kp, k + 1]]
        B[k + 2 :] -= np.outer(A[k + 2 :, k], B[k]) + np.outer(A[k + 2 :, k + 1], B[k + 1])
        akm1k = A[k + 1, k]
        akm1, ak = A[k, k] / akm1k, A[k + 1, k + 1] / akm1k
        bkm1, bk = B[k] / akm1k, B[k + 1] / akm1k
        denom = akm1 * ak - 1
        B[k], B[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
        k += 2
    k = n - 1
    while k >= 0:  # Lᵀ Pᵀ X = Y
        B[k] -= A[k + 1 :, k] @ B[k + 1 :]
        if pivots[k] > 0:
            kp = pivots[k] - 1
            B[[k, kp]] = B[[kp, k]]
            k -= 1
            continue
        B[k - 1] -= A[k + 1 :, k - 1] @ B[k + 1 :]
        kp = -pivots[k] - 1
        B[[k, kp]] = B[[kp, k]]
        k -= 2
    return B


class LdlSolve(Function):
    """X with A X = B from ldl_factor's (LD, pivots); no derivative, as in torch."""

    node_name = "NotImplemented"
    symbol = "A⁻¹B"

    @staticmethod
    def forward(ctx, LD, B, pivots):
        batch = np.broadcast_shapes(LD.shape[:-2], B.shape[:-2])
        LD, B = np.broadcast_to(LD, batch + LD.shape[-2:]), np.broadcast_to(B, batch + B.shape[-2:])
        pivots = np.broadcast_to(pivots, batch + pivots.shape[-1:])
        out = np.empty(batch + B.shape[-2:], np.result_type(LD, B))
        for index in np.ndindex(batch):
            out[index] = _sytrs(LD[index], pivots[index], B[index])
        return out

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError(
            "linalg.ldl_solve: the derivative is not implemented (nor in torch). "
            "Differentiate linalg.solve instead."
        )


def ldl_solve(LD, pivots, B, *, hermitian: bool = False):
    """X with A X = B from ldl_factor(A)'s (LD, pivots)."""
    _check_hermitian("ldl_solve", LD, hermitian)
    n = LD.shape[-1]
    if B.ndim < 2 or B.shape[-2] != n:
        raise ShapeError(
            f"linalg.ldl_solve: LD {tuple(LD.shape)} and B {tuple(B.shape)} do not fit: B must "
            f"be a matrix (..., {n}, k)"
        )
    if tuple(pivots.shape) != tuple(LD.shape[:-1]) or pivots.dtype.kind not in "iu":
        raise ShapeError(
            f"linalg.ldl_solve: pivots must be integers of shape {tuple(LD.shape[:-1])}, got "
            f"{tuple(pivots.shape)} ({pivots.dtype}). Pass the pivots ldl_factor returned."
        )
    if np.dtype(LD.dtype) != np.dtype(B.dtype):
        raise DtypeError(
            f"linalg.ldl_solve: LD and B must have one dtype, got {LD.dtype} and {B.dtype}."
        )
    return LdlSolve.apply(LD, B, pivots=pivots)
