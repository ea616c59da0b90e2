"""torch.linalg's eigh and eigvalsh (symmetric eigendecomposition), pinv, lstsq and
matrix_exp, with torch's gradients. As in decomposition.py, each result of a factorisation is
its own Function that recomputes the factors in backward through the differentiable
functions, so second order differentiates through them too."""

from collections import namedtuple

import numpy as np

from ..amp import cast_inputs
from ..errors import ArgumentError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .decomposition import _floating, _run, _square
from .reduction import return_type_repr
from .shape import cat

__all__ = ["matrix_exp", "pinverse"]  # torch's; the others are torch.linalg's only


class EighFactor(Function):
    """The eigenvalues (part 0, ascending) or eigenvectors (part 1, columns) of a symmetric
    matrix, read from its lower (UPLO='L') or upper triangle."""

    node_name = "LinalgEighBackward0"
    symbol = "eigh"

    @staticmethod
    def forward(ctx, A, part, UPLO):
        ctx.save_for_backward(A)
        return _run("eigh", np.linalg.eigh, A, UPLO)[part]

    @staticmethod
    def backward(ctx, grad):
        (A,) = ctx.saved_tensors
        L, V = eigh(A, ctx.options["UPLO"])
        if ctx.options["part"] == 0:  # gA = V diag(gL) Vᵀ
            return (V * grad.unsqueeze(-2)) @ V.mT
        # torch's formula: gA = V (skew(Vᵀ gV) / E) Vᵀ, E[i, j] = L[j] - L[i] (1 on the
        # diagonal, where the skew part is 0): unbounded where eigenvalues repeat
        VgV = V.mT @ grad
        n = L.shape[-1]
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + Tensor._make(np.eye(n, dtype=np.dtype(L.dtype)))
        return V @ ((VgV - VgV.mT) * 0.5 / E) @ V.mT


def eigh(A, UPLO="L"):
    """(eigenvalues, eigenvectors) of each symmetric matrix: eigenvalues ascending,
    eigenvectors as columns (torch.linalg.eigh; only the UPLO triangle is read)."""
    _check_symmetric_input("eigh", A, UPLO)
    parts = (EighFactor.apply(A, part=p, UPLO=UPLO) for p in range(2))
    return _Eigh(*parts)


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of each symmetric matrix, ascending (torch.linalg.eigvalsh)."""
    _check_symmetric_input("eigvalsh", A, UPLO)
    return EighFactor.apply(A, part=0, UPLO=UPLO)


def _check_symmetric_input(op: str, A, UPLO) -> None:
    _square(op, A)
    _floating(op, A)
    if UPLO not in ("L", "U"):
        raise ArgumentError(f"linalg.{op}: UPLO must be 'L' or 'U', got {UPLO!r}")


class _Eigh(namedtuple("Eigh", ["eigenvalues", "eigenvectors"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_eigh")


class Pinv(Function):
    """The Moore-Penrose pseudo-inverse: singular values at most max(atol, rtol·σ_max) count
    as zero."""

    node_name = "LinalgPinvBackward0"
    symbol = "A⁺"

    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        out = _pinv(A, atol, rtol, hermitian)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, pinvA = ctx.saved_tensors
        return _pinv_backward(grad, pinvA, A)


def _pinv(A, atol, rtol, hermitian):
    if hermitian:  # |eigenvalues| are the singular values; the lower triangle is read
        values, V = _run("pinv", np.linalg.eigh, A)
        size = np.abs(values)
        left, right = V * np.sign(values)[..., None, :], V
    else:
        left, size, Vh = _run("pinv", np.linalg.svd, A, False)
        right = np.swapaxes(Vh, -1, -2)
    largest = size.max(-1, keepdims=True) if size.shape[-1] else np.zeros(size.shape[:-1] + (1,))
    keep = size > np.maximum(atol, rtol * largest)
    inverse = np.where(keep, 1.0 / np.where(keep, size, 1.0), 0.0).astype(A.dtype)
    return (right * inverse[..., None, :]) @ np.swapaxes(left, -1, -2)


def _pinv_backward(grad, pinvA, A):
    """torch's pinv_backward (real case), in the order that keeps the products smallest."""
    m, n = A.shape[-2], A.shape[-1]
    pinvAh, gradh = pinvA.mT, grad.mT
    if m <= n:
        K = gradh @ pinvA
        KpinvAh = K @ pinvAh
        return (
            -(pinvA @ K).mT + KpinvAh - (A @ pinvA) @ KpinvAh + (pinvAh @ pinvA) @ (gradh - K @ A)
        )
    K = pinvA @ gradh
    pinvAhK = pinvAh @ K
    return -(K @ pinvA).mT + (gradh - A @ K) @ pinvA @ pinvAh + pinvAhK - pinvAhK @ pinvA @ A


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The pseudo-inverse of each matrix (torch.linalg.pinv). Singular values below
    max(atol, rtol·σ_max) are dropped; rtol defaults to eps·max(m, n) unless atol is given
    (then 0); rcond is rtol's older name."""
    if A.ndim < 2:
        raise ShapeError(f"linalg.pinv: expects matrices (..., m, n), got shape {tuple(A.shape)}")
    _floating("pinv", A)
    if hermitian:
        _square("pinv", A)
    rtol = rcond if rtol is None else rtol
    atol, rtol = _tolerances(A, atol, rtol)
    return Pinv.apply(A, atol=atol, rtol=rtol, hermitian=hermitian)


@cast_inputs("fp32")
def pinverse(input, rcond: float = 1e-15):
    """torch.pinverse: linalg.pinv with singular values below rcond·σ_max dropped."""
    return pinv(input, rcond=rcond)


def _tolerances(A, atol, rtol) -> tuple:
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else _eps_rtol(A)
    return (0.0 if atol is None else float(atol)), float(rtol)


def _eps_rtol(A) -> float:
    return float(np.finfo(np.dtype(A.dtype)).eps) * max(A.shape[-2], A.shape[-1])


class LstsqSolution(Function):
    """The least-squares solution X of A X ≈ B of least norm: pinv(A) B (torch's gelsy cut
    off at rcond·σ_max); B a batch of vectors where vector (one dim fewer than A)."""

    node_name = "LinalgLstsqBackward0"
    symbol = "lstsq"

    @staticmethod
    def forward(ctx, A, B, rcond, vector):
        ctx.save_for_backward(A, B)
        X = _pinv(A, 0.0, rcond, False) @ (B[..., None] if vector else B)
        return X[..., 0] if vector else X

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.saved_tensors
        if ctx.options["vector"]:
            grad, B = grad.unsqueeze(-1), B.unsqueeze(-1)
        pinvA = pinv(A, ctx.options["rcond"])
        need = ctx.needs_input_grad
        grad_A = _pinv_backward(grad @ B.mT, pinvA, A) if need[0] else None
        grad_B = pinvA.mT @ grad if need[1] else None
        if grad_B is not None and ctx.options["vector"]:
            grad_B = grad_B.squeeze(-1)
        return grad_A, grad_B


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of the least-squares problem A X ≈ B, as
    torch.linalg.lstsq on the CPU: the solution of least norm; the residuals (squared, per
    column) where A is tall and of full rank and the driver is not gelsy; rank but for gels;
    singular values for gelsd and gelss. Only the solution has a gradient."""
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise ArgumentError(f"linalg.lstsq: driver must be one of {_DRIVERS}, got {driver!r}")
    if A.ndim < 2:
        raise ShapeError(f"linalg.lstsq: A must be matrices (..., m, n), got {tuple(A.shape)}")
    _floating("lstsq", A)
    vector = B.ndim == A.ndim - 1
    rhs = B.unsqueeze(-1) if vector else B
    if rhs.ndim < 2 or rhs.shape[-2] != A.shape[-2]:
        raise ShapeError(
            f"linalg.lstsq: A {tuple(A.shape)} and B {tuple(B.shape)} need the same number of rows"
        )
    rcond = _eps_rtol(A) if rcond is None else float(rcond)
    X = LstsqSolution.apply(A, B, rcond=rcond, vector=vector)
    S = np.linalg.svd(A.numpy(force=True), compute_uv=False)  # the facts beside the solution: reads
    rank = (S > rcond * S.max(-1, keepdims=True)).sum(-1) if S.shape[-1] else S.sum(-1) * 0
    empty = Tensor._make(np.zeros(0, np.dtype(A.dtype)))
    m, n = A.shape[-2], A.shape[-1]
    residuals = empty
    if driver != "gelsy" and m > n and np.all(rank == n):
        solution = X.detach().unsqueeze(-1) if vector else X.detach()
        residuals = ((A.detach() @ solution - rhs.detach()) ** 2).sum(-2)
    return _Lstsq(
        X,
        residuals,
        Tensor._make(np.zeros(0, np.int64) if driver == "gels" else np.asarray(rank, np.int64)),
        Tensor._make(S) if driver in ("gelsd", "gelss") else empty,
    )


class _Lstsq(namedtuple("Lstsq", ["solution", "residuals", "rank", "singular_values"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_lstsq")


class MatrixExp(Function):
    """exp(A) = Σ Aᵏ/k! of each square matrix (scaling and squaring with a degree-13 Padé
    approximant, Higham 2005)."""

    node_name = "LinalgMatrixExpBackward0"
    symbol = "exp(A)"

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        return _expm(A)

    @staticmethod
    def backward(ctx, grad):
        (A,) = ctx.saved_tensors
        # torch's formula: the upper right block of exp([[Aᵀ, g], [0, Aᵀ]]), built from ops
        zeros = Tensor._make(np.zeros(A.shape, np.dtype(A.dtype)))
        block = cat([cat([A.mT, grad], -1), cat([zeros, A.mT], -1)], -2)
        n = A.shape[-1]
        return MatrixExp.apply(block)[..., :n, n:]


_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)  # fmt: skip


def _expm(A: np.ndarray) -> np.ndarray:
    work = A.astype(np.float64)
    norm = np.abs(work).sum(-2).max() if work.size else 0.0  # the largest 1-norm
    theta = 5.371920351148152  # the largest 1-norm the approximant takes as it is
    squarings = int(np.ceil(np.log2(norm / theta))) if norm > theta else 0
    work = work / 2.0**squarings
    b = _PADE13
    eye = np.broadcast_to(np.eye(A.shape[-1]), work.shape)
    A2 = work @ work
    A4, A6 = A2 @ A2, A2 @ A2 @ A2
    U = work @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2)
                + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)  # fmt: skip
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    out = np.linalg.solve(V - U, V + U)
    for _ in range(squarings):
        out = out @ out
    return out.astype(A.dtype)


def matrix_exp(A):
    """The matrix exponential of each square matrix (torch.linalg.matrix_exp)."""
    _square("matrix_exp", A)
    _floating("matrix_exp", A)
    return MatrixExp.apply(A)
