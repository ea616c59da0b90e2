"""Triangular solves and the LU factorisation with partial pivoting (torch.linalg's
solve_triangular, lu_factor, lu_factor_ex, lu, lu_solve and torch.lu_unpack), with torch's
gradients. NumPy has no LU: `_getrf` is LAPACK's getrf (the same pivots: the first largest
|entry| of each column), a loop over columns vectorised over the batch."""

from collections import namedtuple

import numpy as np

from ..errors import ArgumentError, DtypeError, LinAlgError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .comparison import discrete
from .decomposition import _floating, _square
from .reduction import return_type_repr
from .shape import cat

__all__ = ["lu", "lu_solve", "lu_unpack", "triangular_solve"]


def _getrf(A: np.ndarray):
    """(LU, pivots, info) of A (..., m, n) as LAPACK's getrf gives them: L's multipliers below
    the diagonal, U on and above it, 1-based int32 pivots (row i was swapped with pivots[i]),
    info the 1-based index of the first zero pivot (0: none)."""
    *batch, m, n = A.shape
    count = int(np.prod(batch, dtype=np.int64))
    LU = np.array(A, dtype=np.result_type(A, np.float32)).reshape(count, m, n)
    k, rows = min(m, n), np.arange(LU.shape[0])
    pivots = np.zeros((LU.shape[0], k), np.int32)
    info = np.zeros(LU.shape[0], np.int32)
    for j in range(k):
        p = j + np.argmax(np.abs(LU[:, j:, j]), axis=1)
        pivots[:, j] = p + 1
        LU[rows, [j]], LU[rows, p] = LU[rows, p], LU[rows, [j]].copy()
        pivot = LU[:, j, j]
        info[(pivot == 0) & (info == 0)] = j + 1
        LU[:, j + 1 :, j] /= np.where(pivot == 0, 1, pivot)[:, None]  # a zero column stays
        LU[:, j + 1 :, j + 1 :] -= LU[:, j + 1 :, j : j + 1] * LU[:, j : j + 1, j + 1 :]
    return LU.reshape(A.shape), pivots.reshape(*batch, k), info.reshape(batch)


def _permutation(pivots: np.ndarray, m: int, dtype) -> np.ndarray:
    """P (..., m, m) with A = P L U, from getrf's sequence of row swaps."""
    order = np.broadcast_to(np.arange(m), pivots.shape[:-1] + (m,)).copy()
    flat, swaps = order.reshape(-1, m), pivots.reshape(-1, pivots.shape[-1]) - 1
    rows = np.arange(flat.shape[0])
    for i in range(swaps.shape[-1]):
        flat[rows, i], flat[rows, swaps[:, i]] = flat[rows, swaps[:, i]], flat[rows, i].copy()
    # row i of P·A's rows is order[i], so P[order[i], i] = 1
    P = np.zeros(pivots.shape[:-1] + (m, m), dtype)
    np.put_along_axis(P, order[..., None, :], 1, axis=-2)
    return P


def _trsm(A: np.ndarray, B: np.ndarray, upper: bool, unitriangular: bool) -> np.ndarray:
    """X with tri(A) X = B by substitution, row by row over the batch (a zero diagonal gives
    inf or nan, as LAPACK's trtrs, not an error)."""
    A = np.triu(A) if upper else np.tril(A)
    batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    A = np.broadcast_to(A, batch + A.shape[-2:])
    X = np.zeros(batch + B.shape[-2:], np.result_type(A, B))
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in reversed(range(A.shape[-1])) if upper else range(A.shape[-1]):
            row = B[..., i, :] - (A[..., i : i + 1, :] @ X)[..., 0, :]
            X[..., i, :] = row if unitriangular else row / A[..., i, i, None]
    return X


def _triangle(M, upper: bool, unitriangular: bool):
    """The part of a gradient that lives where the triangular matrix does."""
    offset = int(unitriangular)
    return M.triu(offset) if upper else M.tril(-offset)


class SolveTriangular(Function):
    """X with M X = B (left) or X M = B, M = A (transpose: Aᵀ) read as upper or lower
    triangular; recorded as torch.triangular_solve's node when called for it."""

    node_name = "LinalgSolveTriangularBackward0"
    symbol = "A⁻¹B"

    @staticmethod
    def forward(ctx, A, B, upper, left, unitriangular, transpose=False, legacy=False):
        if legacy:
            ctx.node_name = "TriangularSolveBackward0"
        saved = A
        if transpose:
            A, upper = np.swapaxes(A, -1, -2), not upper
        if left:
            out = _trsm(A, B, upper, unitriangular)
        else:  # X A = B is Aᵀ Xᵀ = Bᵀ
            out = np.swapaxes(_trsm(np.swapaxes(A, -1, -2), np.swapaxes(B, -1, -2), not upper,
                                    unitriangular), -1, -2)  # fmt: skip
        ctx.save_for_backward(saved, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, X = ctx.saved_tensors
        options = ctx.options
        upper, left, unit = options["upper"], options["left"], options["unitriangular"]
        transpose = options.get("transpose", False)
        grad_B = SolveTriangular.apply(
            A, grad, upper=upper, left=left, unitriangular=unit, transpose=not transpose
        )
        grad_A = None
        if ctx.needs_input_grad[0]:  # M X = B: dM = -Mᵀ⁻¹ g Xᵀ; X M = B: dM = -Xᵀ g Mᵀ⁻¹
            grad_M = _triangle(-(grad_B @ X.mT if left else X.mT @ grad_B), upper != transpose,
                               unit)  # fmt: skip
            grad_A = grad_M.mT if transpose else grad_M
        return grad_A, (grad_B if ctx.needs_input_grad[1] else None)


def solve_triangular(A, B, *, upper: bool, left: bool = True, unitriangular: bool = False):
    """X with A X = B (left=False: X A = B) for triangular A (..., n, n); only A's upper or
    lower triangle is read; batch dims broadcast."""
    _check_triangular(A, B, left)
    return SolveTriangular.apply(A, B, upper=upper, left=left, unitriangular=unitriangular)


def _check_triangular(A, B, left: bool) -> None:
    _square("solve_triangular", A)
    _floating("solve_triangular", A)
    if np.dtype(A.dtype) != np.dtype(B.dtype):
        raise DtypeError(
            f"linalg.solve_triangular: A and B must have one dtype, got {A.dtype} and "
            f"{B.dtype}. Convert one, e.g. B.to(A.dtype)."
        )
    n = A.shape[-1]
    if B.ndim < 2 or B.shape[-2 if left else -1] != n:
        raise ShapeError(
            f"linalg.solve_triangular: A {tuple(A.shape)} and B {tuple(B.shape)} do not fit: "
            f"B must be a matrix (..., {n}, k)" + ("" if left else f" (left=False: (..., k, {n}))")
        )


def _lu_gradient(L, U, P, grad_L, grad_U):
    """torch's gradient of A = P L U for square A: gA = P L⁻ᵀ [tril₋₁(Lᵀ gL) + triu(gU Uᵀ)]
    U⁻ᵀ (a missing gradient counts as zero)."""
    inner = 0
    if grad_L is not None:
        inner = (L.mT @ grad_L).tril(-1)
    if grad_U is not None:
        inner = inner + (grad_U @ U.mT).triu()
    inner = solve_triangular(L.mT, inner, upper=True, unitriangular=True)
    return P @ solve_triangular(U.mT, inner, upper=False, left=False)


def _square_gradient(op: str, A) -> None:
    if A.shape[-1] != A.shape[-2]:
        raise NotImplementedError(
            f"linalg.{op}: the gradient of the LU of a non-square matrix "
            f"{tuple(A.shape[-2:])} is not supported yet. Differentiate a square one."
        )


class LuFactor(Function):
    """The packed LU (L's multipliers below the diagonal, U on and above) of A = P L U."""

    node_name = "LinalgLuFactorExBackward0"
    symbol = "LU"

    @staticmethod
    def forward(ctx, A, check_errors=False):
        LU, _, info = _getrf(A)
        if check_errors and info.any():  # in forward: ad.compile's replay checks again
            _singular("lu_factor", info)
        ctx.save_for_backward(A)
        return LU

    @staticmethod
    def backward(ctx, grad):
        (A,) = ctx.saved_tensors
        _square_gradient("lu_factor", A)
        P, L, U = plu(A)  # recomputed through the ops, so second order differentiates them
        return _lu_gradient(L, U, P, grad.tril(-1), grad.triu())


def _unit_lower(LU):
    """L of a packed square LU: its multipliers and a unit diagonal."""
    eye = Tensor._make(np.eye(LU.shape[-2], LU.shape[-1], dtype=LU.dtype))
    return LU.tril(-1) + eye


class _LuFactorEx(namedtuple("LuFactorEx", ["LU", "pivots", "info"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_lu_factor_ex")


class _LuFactor(namedtuple("LuFactor", ["LU", "pivots"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_lu_factor")


def lu_factor_ex(A, *, pivot: bool = True, check_errors: bool = False):
    """(LU, pivots, info): A = P L U packed as LAPACK's getrf; info > 0 where U has a zero on
    its diagonal (the factorisation still completes; solving with it does not)."""
    if A.ndim < 2:
        raise ShapeError(
            f"linalg.lu_factor: expects matrices (..., m, n), got shape {tuple(A.shape)}"
        )
    _floating("lu_factor", A)
    if not pivot:
        raise ArgumentError(
            "linalg.lu_factor: pivot=False is not supported on the CPU (torch says the same). "
            "Use pivot=True."
        )
    LU = LuFactor.apply(A, check_errors=check_errors)
    return _LuFactorEx(LU, discrete(_pivots_of, A), discrete(_info_of, A))


def _pivots_of(A):
    return _getrf(A)[1]


def _info_of(A):
    return _getrf(A)[2]


def _singular(op: str, info: np.ndarray) -> None:
    first = int(info[info > 0].flat[0])
    raise LinAlgError(
        f"linalg.{op}: the factorization could not be completed because the input matrix is "
        f"singular (U[{first - 1}, {first - 1}] is zero). Check the matrix, or use "
        f"linalg.lstsq / linalg.pinv for a singular one."
    )


def lu_factor(A, *, pivot: bool = True):
    """(LU, pivots) of A = P L U (packed as LAPACK's getrf); a singular A is an error
    (lu_factor_ex reports it in info instead)."""
    LU, pivots, _ = lu_factor_ex(A, pivot=pivot, check_errors=True)
    return _LuFactor(LU, pivots)


class LuPart(Function):
    """L (part 0) or U (part 1) of A = P L U: L (m, k) unit lower, U (k, n) upper."""

    node_name = "LinalgLuBackward0"
    symbol = "lu"

    @staticmethod
    def forward(ctx, A, part):
        LU = _getrf(A)[0]
        m, n = A.shape[-2:]
        k = min(m, n)
        ctx.save_for_backward(A)
        if part == 0:
            return np.tril(LU[..., :, :k], -1) + np.eye(m, k, dtype=LU.dtype)
        return np.triu(LU[..., :k, :])

    @staticmethod
    def backward(ctx, grad):
        (A,) = ctx.saved_tensors
        _square_gradient("lu", A)
        P, L, U = plu(A)
        part = ctx.options["part"]
        return _lu_gradient(L, U, P, grad if part == 0 else None, grad if part == 1 else None)


class _PLU(namedtuple("PLU", ["P", "L", "U"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_lu")


def plu(A, *, pivot: bool = True):
    """linalg.lu: (P, L, U) with A = P L U: P a permutation matrix (no gradient), L unit lower
    triangular, U upper triangular."""
    LU, pivots, _ = lu_factor_ex(A, pivot=pivot)
    P = _permutation_tensor(pivots, A.shape[-2], A.dtype)
    return _PLU(P, LuPart.apply(A, part=0), LuPart.apply(A, part=1))


def _permutation_tensor(pivots, m: int, dtype):
    """P as a tensor without a gradient: integers through `discrete` (an op), then dtype."""
    return discrete(_permutation, pivots, m=m, dtype=np.int64).to(dtype)


def lu_unpack(LU_data, LU_pivots, unpack_data: bool = True, unpack_pivots: bool = True):
    """(P, L, U) from lu_factor's packed LU and pivots (torch.lu_unpack); L and U follow LU's
    gradient, P has none. An unpacked part left out is an empty tensor, as torch."""
    if LU_data.ndim < 2:
        raise ShapeError(
            f"lu_unpack: LU_data must be matrices (..., m, n), got shape {tuple(LU_data.shape)}"
        )
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    if tuple(LU_pivots.shape) != tuple(LU_data.shape[:-2]) + (k,):
        raise ShapeError(
            f"lu_unpack: LU_pivots {tuple(LU_pivots.shape)} must have shape "
            f"{tuple(LU_data.shape[:-2]) + (k,)} for LU_data {tuple(LU_data.shape)}"
        )
    empty = LU_data.new_zeros(0)
    P = _permutation_tensor(LU_pivots, m, LU_data.dtype) if unpack_pivots else empty
    if not unpack_data:
        return _PLU(P, empty, empty)
    return _PLU(P, LuUnpack.apply(LU_data, part=0), LuUnpack.apply(LU_data, part=1))


class LuUnpack(Function):
    """L (part 0: the multipliers and a unit diagonal, (..., m, k)) or U (part 1: (..., k, n))
    of a packed LU; the gradient goes back to the entries each was read from."""

    node_name = "LuUnpackBackward0"
    symbol = "LU"

    @staticmethod
    def forward(ctx, LU, part):
        m, n = LU.shape[-2:]
        k = min(m, n)
        if part == 0:
            return np.tril(LU[..., :, :k], -1) + np.eye(m, k, dtype=LU.dtype)
        return np.triu(LU[..., :k, :])

    @staticmethod
    def backward(ctx, grad):
        m, n = ctx.input_meta[0][0][-2:]
        k = min(m, n)
        if ctx.options["part"] == 0:  # L (m, k) read LU's first k columns
            rest = Tensor._make(np.zeros(grad.shape[:-1] + (n - k,), grad.dtype))
            return cat([grad.tril(-1), rest], -1)
        rest = Tensor._make(np.zeros(grad.shape[:-2] + (m - k, n), grad.dtype))
        return cat([grad.triu(), rest], -2)  # U (k, n) read its first k rows


class LuSolve(Function):
    """X with A X = B from A's packed LU and pivots (adjoint: Aᵀ X = B; left=False: X A = B)."""

    node_name = "LinalgLuSolveBackward0"
    symbol = "A⁻¹B"

    @staticmethod
    def forward(ctx, LU, B, pivots, left, adjoint):
        P = _permutation(pivots, LU.shape[-1], LU.dtype)
        L = np.tril(LU, -1) + np.eye(LU.shape[-1], dtype=LU.dtype)
        U = np.triu(LU)
        out = _lu_solve_arrays(P, L, U, B, left, adjoint)
        ctx.save_for_backward(LU, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        LU, X = ctx.saved_tensors
        pivots, left, adjoint = (ctx.options[k] for k in ("pivots", "left", "adjoint"))
        grad_B = LuSolve.apply(LU, grad, pivots=pivots, left=left, adjoint=not adjoint)
        if not ctx.needs_input_grad[0]:
            return None, grad_B
        # the gradient for A = P L U, then through the product to the packed LU
        if left:
            grad_A = -(X @ grad_B.mT) if adjoint else -(grad_B @ X.mT)
        else:
            grad_A = -(grad_B.mT @ X) if adjoint else -(X.mT @ grad_B)
        P = Tensor._make(_permutation(pivots, LU.shape[-1], LU.dtype))
        L, U = _unit_lower(LU), LU.triu()
        PtgA = P.mT @ grad_A
        grad_LU = (PtgA @ U.mT).tril(-1) + (L.mT @ PtgA).triu()
        return grad_LU, (grad_B if ctx.needs_input_grad[1] else None)


def _lu_solve_arrays(P, L, U, B, left, adjoint):
    """A = P L U: A X = B is X = U⁻¹ L⁻¹ Pᵀ B; the other three forms by transposing."""
    mT = lambda M: np.swapaxes(M, -1, -2)  # noqa: E731
    if not left:  # X A = B is Aᵀ Xᵀ = Bᵀ
        return mT(_lu_solve_arrays(P, L, U, mT(B), True, not adjoint))
    if adjoint:  # Aᵀ = Uᵀ Lᵀ Pᵀ: X = P L⁻ᵀ U⁻ᵀ B
        return P @ _trsm(mT(L), _trsm(mT(U), B, False, False), True, True)
    return _trsm(U, _trsm(L, mT(P) @ B, False, True), True, False)


def solve_with_lu(LU, pivots, B, *, left: bool = True, adjoint: bool = False):
    """linalg.lu_solve: X with A X = B (adjoint: Aᵀ X = B; left=False: X A = B) from lu_factor(A)."""
    _square("lu_solve", LU)
    _floating("lu_solve", LU)
    n = LU.shape[-1]
    if B.ndim < 2 or B.shape[-2 if left else -1] != n:
        raise ShapeError(
            f"linalg.lu_solve: LU {tuple(LU.shape)} and B {tuple(B.shape)} do not fit: B must "
            f"be a matrix with {n} {'rows' if left else 'columns'}"
        )
    if tuple(pivots.shape) != tuple(LU.shape[:-1]) or pivots.dtype.kind not in "iu":
        raise ShapeError(
            f"linalg.lu_solve: pivots must be integers of shape {tuple(LU.shape[:-1])}, got "
            f"{tuple(pivots.shape)} ({pivots.dtype}). Pass the pivots lu_factor returned."
        )
    return LuSolve.apply(LU, B, pivots=pivots, left=left, adjoint=adjoint)


# --- the top-level torch names (torch.lu, torch.lu_solve, torch.triangular_solve) -------------
def lu(A, pivot: bool = True, get_infos: bool = False):
    """torch.lu: (LU, pivots), with info too when get_infos (linalg.lu_factor_ex); a singular
    A is no error (as torch's: info says so)."""
    LU, pivots, info = lu_factor_ex(A, pivot=pivot)
    return (LU, pivots, info) if get_infos else (LU, pivots)


def lu_solve(b, LU_data, LU_pivots):
    """torch.lu_solve(b, LU_data, LU_pivots): linalg.lu_solve with its arguments reordered."""
    return solve_with_lu(LU_data, LU_pivots, b)


class _TriangularSolve(namedtuple("TriangularSolve", ["solution", "cloned_coefficient"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "triangular_solve")


def triangular_solve(b, A, upper: bool = True, transpose: bool = False, unitriangular=False):
    """torch.triangular_solve: (X, a copy of A) with op(A) X = b, op(A) = Aᵀ if transpose;
    recorded as torch's TriangularSolveBackward0."""
    _check_triangular(A, b, True)
    X = SolveTriangular.apply(
        A, b, upper=upper, left=True, unitriangular=unitriangular, transpose=transpose,
        legacy=True,
    )  # fmt: skip
    return _TriangularSolve(X, A.clone())
