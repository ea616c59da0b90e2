"""torch.linalg: norms, inverses, determinants, solves and factorisations of matrices (the ops
live in ops/: decomposition, triangular, householder, ldl, spectral, linalg and matrix); the
functions below are compositions of them."""

from collections import namedtuple

import numpy as np

from . import creation, grad_mode
from .amp import cast_inputs
from .errors import ArgumentError, DtypeError, LinAlgError, ShapeError
from .ops.comparison import discrete
from .ops.decomposition import (
    Cholesky,
    Inv,
    _floating,
    _square,
    cholesky,
    det,
    inv,
    qr,
    slogdet,
    solve,
    solve_checked,
    svdvals,
)
from .ops.decomposition import svd_factors as svd
from .ops.householder import householder_product
from .ops.ldl import ldl_factor, ldl_factor_ex, ldl_solve
from .ops.linalg import linalg_norm as norm
from .ops.linalg import matmul, matrix_norm, matrix_power, vector_norm
from .ops.matrix import cross as _cross
from .ops.matrix import diagonal as _diagonal
from .ops.reduction import return_type_repr
from .ops.shape import cat
from .ops.spectral import _tolerances, eigh, eigvalsh, lstsq, matrix_exp, pinv
from .ops.triangular import _info_of, lu_factor, lu_factor_ex, solve_triangular
from .ops.triangular import plu as lu
from .ops.triangular import solve_with_lu as lu_solve

__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "householder_product",
    "inv",
    "inv_ex",
    "ldl_factor",
    "ldl_factor_ex",
    "ldl_solve",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "vector_norm",
]


def cross(input, other, *, dim=-1):
    """The cross product along dim (the last by default, unlike torch.cross)."""
    return _cross(input, other, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of the last two dims (torch.diagonal with other defaults)."""
    return _diagonal(A, offset, dim1, dim2)


@cast_inputs("lower")
def vecdot(x, y, *, dim=-1):
    """The dot product of vectors along dim (batch dims broadcast)."""
    return (x * y).sum(dim)


def multi_dot(tensors):
    """The product of a chain of matrices (the first and last may be vectors)."""
    if len(tensors) < 2:
        raise ArgumentError(f"linalg.multi_dot: expects at least 2 tensors, got {len(tensors)}")
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out


class _InvEx(namedtuple("InvEx", ["inverse", "info"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_inv_ex")


class _SolveEx(namedtuple("SolveEx", ["result", "info"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_solve_ex")


class _CholeskyEx(namedtuple("CholeskyEx", ["L", "info"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_cholesky_ex")


def inv_ex(A, *, check_errors: bool = False):
    """(inverse, info): info > 0 where A is singular (its inverse is then nan), instead of an
    error."""
    _square("inv_ex", A)
    _floating("inv_ex", A)
    return _InvEx(Inv.apply(A, check_errors=check_errors), discrete(_info_of, A))


def solve_ex(A, B, *, left: bool = True, check_errors: bool = False):
    """(result, info): X with A X = B, info > 0 where A is singular (X is then nan)."""
    _square("solve_ex", A)
    _floating("solve_ex", A)
    return _SolveEx(solve_checked(A, B, left, check_errors), discrete(_info_of, A))


def _cholesky_info(A):
    """The order of the first leading minor that is not positive-definite (0: none), per
    matrix, as LAPACK's potrf reports it."""
    info = np.zeros(A.shape[:-2], np.int32)
    for index in np.ndindex(A.shape[:-2]):
        for k in range(1, A.shape[-1] + 1):
            try:
                np.linalg.cholesky(A[index][:k, :k])
            except np.linalg.LinAlgError:
                info[index] = k
                break
    return info


def cholesky_ex(A, *, upper: bool = False, check_errors: bool = False):
    """(L, info): info > 0 where A is not positive-definite (the order of the first leading
    minor that is not; L is then nan), instead of an error."""
    _square("cholesky_ex", A)
    _floating("cholesky_ex", A)
    L = Cholesky.apply(A, check_errors=check_errors)
    return _CholeskyEx(L.mT if upper else L, discrete(_cholesky_info, A))


def _rank(A, atol, rtol, hermitian):
    if hermitian:
        S = np.abs(np.linalg.eigvalsh(A))
    else:
        S = np.linalg.svd(A, compute_uv=False)
    largest = S.max(-1, keepdims=True) if S.shape[-1] else np.zeros(S.shape[:-1] + (1,))
    return (S > np.maximum(atol, rtol * largest)).sum(-1).astype(np.int64)


def matrix_rank(A, tol=None, hermitian: bool = False, *, atol=None, rtol=None):
    """The number of singular values above max(atol, rtol·σ_max) of each matrix (int64);
    rtol defaults to eps·max(m, n) unless atol is given; tol is atol's older name."""
    if A.ndim < 2:
        raise ShapeError(
            f"linalg.matrix_rank: expects matrices (..., m, n), got shape {tuple(A.shape)}"
        )
    _floating("matrix_rank", A)
    if hermitian:
        _square("matrix_rank", A)
    atol, rtol = _tolerances(A, tol if atol is None else atol, rtol)
    return discrete(_rank, A, atol=atol, rtol=rtol, hermitian=hermitian)


_COND_NORMS = (None, 2, -2, "fro", "nuc", 1, -1, float("inf"), float("-inf"))


def cond(A, p=None):
    """The condition number of each matrix in the norm p: σ_max/σ_min for p None, 2 (and
    σ_min/σ_max for -2), else ‖A‖_p·‖A⁻¹‖_p for square A (inf where A is singular)."""
    if p not in _COND_NORMS:
        raise ArgumentError(
            f"linalg.cond: p must be one of None, 2, -2, 'fro', 'nuc', 1, -1, inf, -inf, got {p!r}"
        )
    if A.ndim < 2:
        raise ShapeError(f"linalg.cond: expects matrices (..., m, n), got shape {tuple(A.shape)}")
    _floating("cond", A)
    if p in (None, 2, -2):
        S = svdvals(A)
        ratio = S[..., :1] / S[..., -1:] if p != -2 else S[..., -1:] / S[..., :1]
        return ratio.squeeze(-1)
    _square("cond", A)
    if p == "nuc":  # ‖A⁻¹‖_nuc = Σ 1/σᵢ: inf for a singular A (torch: nan, from LAPACK's inverse)
        S = svdvals(A)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0·inf for the zero matrix: nan,
            return S.sum(-1) * S.reciprocal().sum(-1)  # quietly, as torch
    inverse = Inv.apply(A, check_errors=False)
    return (matrix_norm(A, p) * matrix_norm(inverse, p)).nan_to_num(nan=float("inf"))


def vander(x, N=None):
    """The Vandermonde matrix of x (..., n): columns x⁰, x¹, …, x^(N−1) (N = n by default),
    built as torch builds it: ones, then a cumulative product."""
    if x.ndim < 1:
        raise ShapeError("linalg.vander: x must have at least one dimension, got a 0-d tensor")
    N = x.shape[-1] if N is None else N
    if N <= 1:
        raise ArgumentError(
            f"linalg.vander: N must be greater than 1, got N={N} (x of shape {tuple(x.shape)}). "
            "Pass N >= 2 columns."
        )
    ones = creation.ones(*x.shape, 1, dtype=x.dtype)
    return cat([ones, x.unsqueeze(-1).expand(*x.shape, N - 1).cumprod(-1)], -1)


def tensorinv(A, ind: int = 2):
    """The tensor inverse: B with tensordot(A, B, ind) the identity, for A whose first ind
    dims hold as many elements as the rest."""
    if ind <= 0:
        raise ArgumentError(f"linalg.tensorinv: ind must be a positive integer, got {ind}")
    rows, cols = A.shape[:ind], A.shape[ind:]
    if int(np.prod(rows)) != int(np.prod(cols)):
        raise ShapeError(
            f"linalg.tensorinv: the first ind={ind} dims {tuple(rows)} and the rest "
            f"{tuple(cols)} must hold as many elements. Choose ind so that they do."
        )
    n = int(np.prod(rows))
    return inv(A.reshape(n, n)).reshape(*cols, *rows)


def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B: A's first B.ndim dims are B's (by element count, as
    torch), the rest X's shape; dims: dims of A moved to the end first."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        order = [d for d in range(A.ndim) if d not in dims] + dims
        A = A.permute(*order)
    rows, cols = A.shape[: B.ndim], A.shape[B.ndim :]
    if not int(np.prod(rows)) == int(np.prod(cols)) == B.numel():
        raise ShapeError(
            f"linalg.tensorsolve: A {tuple(A.shape)} and B {tuple(B.shape)} do not fit: A's "
            f"first B.ndim={B.ndim} dims, its other dims and B must hold as many elements."
        )
    n = int(np.prod(cols))
    if np.dtype(A.dtype) != np.dtype(B.dtype):
        raise DtypeError(
            f"linalg.tensorsolve: A and B must have one dtype, got {A.dtype} and {B.dtype}."
        )
    return solve(A.reshape(n, n), B.reshape(n, 1)).view(*cols)  # torch's graph: no squeeze


class _Eig(namedtuple("Eig", ["eigenvalues", "eigenvectors"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_eig")


def _complex_values(op: str, A):
    """A's array for eig/eigvals, whose results are complex: complex tensors here hold values
    but carry no gradient, so an A that needs one is refused (eigh has real results)."""
    _square(op, A)
    _floating(op, A)
    if A.requires_grad and grad_mode.is_grad_enabled():
        raise NotImplementedError(
            f"linalg.{op}: its results are complex, and complex tensors carry no gradient here "
            f"(A {tuple(A.shape)} requires grad). For a symmetric matrix use linalg.eigh or "
            f"linalg.eigvalsh (real results, with gradients); for the values alone call "
            f"linalg.{op}(A.detach())."
        )
    return A.numpy(force=True)


def _complex_dtype(A):
    return np.complex64 if np.dtype(A.dtype) == np.float32 else np.complex128


def eig(A):
    """(eigenvalues, eigenvectors) of each square matrix, complex (LAPACK's geev, as torch:
    each eigenvector of unit norm); no gradient (see eigh for symmetric matrices)."""
    values, vectors = np.linalg.eig(_complex_values("eig", A))
    kind = _complex_dtype(A)
    return _Eig(creation.from_numpy(values.astype(kind)), creation.from_numpy(vectors.astype(kind)))


def eigvals(A):
    """The eigenvalues of each square matrix, complex; no gradient (see eigvalsh)."""
    values = np.linalg.eigvals(_complex_values("eigvals", A))
    return creation.from_numpy(values.astype(_complex_dtype(A)))
