"""Inverses, determinants, solves and factorisations of (batches of) square or rectangular
matrices: what torch.linalg holds, with torch's gradients (torch.linalg's names; the
top-level torch names are the last functions of this file).

A factorisation with several results (svd, qr) is one Function per result, each recomputing
the factorisation from its input: their gradients add up to the gradient of the whole (the
formulas are linear in the results' gradients), and backward recomputes the factors through
the differentiable functions, so second order differentiates through them too."""

from collections import namedtuple

import numpy as np

from ..amp import cast_inputs
from ..errors import ArgumentError, DtypeError, LinAlgError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .comparison import discrete
from .reduction import return_type_repr

__all__ = ["inverse", "det", "logdet", "slogdet", "cholesky", "qr", "svd"]


def _run(op: str, compute, *arrays, check_errors: bool = True):
    """A NumPy factorisation, its LinAlgError as torch's (a RuntimeError) naming the op; with
    check_errors=False (the *_ex forms) a matrix it fails on gets nan instead (torch's result
    there is LAPACK's partial work; info says which)."""
    try:
        return compute(*arrays)
    except np.linalg.LinAlgError as e:
        if not check_errors:
            return _each_or_nan(compute, *arrays)
        raise LinAlgError(
            f"linalg.{op}: {e} (shapes {[a.shape for a in arrays]}). The matrix is singular "
            "or not what the factorisation needs; check it (e.g. add a small multiple of the "
            "identity)."
        ) from None


def _each_or_nan(compute, *arrays):
    """compute on each matrix of the batch, nan where it fails; the result has the last
    array's matrix shape (inv and cholesky: A's, solve: B's)."""
    batch = np.broadcast_shapes(*(a.shape[:-2] for a in arrays))
    out = np.full(batch + arrays[-1].shape[-2:], np.nan, arrays[-1].dtype)
    for index in np.ndindex(batch):
        parts = [np.broadcast_to(a, batch + a.shape[-2:])[index] for a in arrays]
        try:
            out[index] = compute(*parts)
        except np.linalg.LinAlgError:
            pass
    return out


def _square(op: str, A) -> None:
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(
            f"linalg.{op}: expects square matrices (..., n, n), got shape {tuple(A.shape)}"
        )


def _floating(op: str, A) -> None:
    if np.dtype(A.dtype).kind not in "fc":
        raise DtypeError(f"linalg.{op}: expects a floating tensor, got dtype {A.dtype}")


class Inv(Function):
    node_name = "LinalgInvExBackward0"
    symbol = "A⁻¹"
    array_backward = True

    @staticmethod
    def forward(ctx, A, check_errors=True):
        out = _run("inv", np.linalg.inv, A, check_errors=check_errors)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return -(out.mT @ grad @ out.mT)  # d(A⁻¹) = -A⁻¹ dA A⁻¹


def inv(A):
    """The inverse of each square matrix (..., n, n)."""
    _square("inv", A)
    _floating("inv", A)
    return Inv.apply(A)


class Det(Function):
    node_name = "LinalgDetBackward0"
    symbol = "det"

    @staticmethod
    def forward(ctx, A):
        out = np.asarray(_run("det", np.linalg.det, A))
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, out = ctx.saved_tensors
        grad = grad.unsqueeze(-1).unsqueeze(-1)
        if np.all(out.numpy(force=True) != 0):  # d det(A) / dA = det(A) A⁻ᵀ
            return grad * out.unsqueeze(-1).unsqueeze(-1) * inv(A).mT
        return grad * _cofactors(A)  # singular: the cofactor matrix, through the SVD


def _cofactors(A):
    """The cofactor matrix det(A) A⁻ᵀ, also for singular A: with A = U S Vh it is
    det(U) det(Vh) U diag(∏_{j≠i} s_j) Vh."""
    U, S, Vh = svd_factors(A, full_matrices=False)
    n = S.shape[-1]
    eye = Tensor._constant(np.eye(n, dtype=bool))
    others = S.unsqueeze(-2).expand(*S.shape[:-1], n, n).masked_fill(eye, 1.0).prod(-1)
    signs = np.linalg.det(U.numpy(force=True)) * np.linalg.det(Vh.numpy(force=True))
    return (U * (others * Tensor._make(signs[..., None])).unsqueeze(-2)) @ Vh


def det(A):
    """The determinant of each square matrix (..., n, n)."""
    _square("det", A)
    _floating("det", A)
    return Det.apply(A)


class LogAbsDet(Function):
    node_name = "LinalgSlogdetBackward0"
    symbol = "log|det|"

    @staticmethod
    def forward(ctx, A):
        _, out = _run("slogdet", np.linalg.slogdet, A)
        ctx.save_for_backward(A)
        return np.asarray(out, dtype=A.dtype)

    @staticmethod
    def backward(ctx, grad):
        (A,) = ctx.saved_tensors
        return grad.unsqueeze(-1).unsqueeze(-1) * inv(A).mT  # d log|det A| / dA = A⁻ᵀ


def slogdet(A):
    """(sign, log|det|) of each square matrix; the sign has no gradient."""
    _square("slogdet", A)
    _floating("slogdet", A)
    sign = discrete(_det_sign, A).to(A.dtype)
    return _SignLogAbsDet(sign, LogAbsDet.apply(A))


def _det_sign(A):
    return np.linalg.slogdet(A)[0].astype(np.int64)


class _SignLogAbsDet(namedtuple("SignLogAbsDet", ["sign", "logabsdet"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_slogdet")


def logdet(A):
    """log det(A): nan where the determinant is negative, -inf where it is 0."""
    sign, logabs = slogdet(A)
    return logabs + sign.log()  # log 1 = 0, log -1 = nan, log 0 = -inf


class Solve(Function):
    """X with A X = B for square A (..., n, n) and B (..., n, k); batch dims broadcast."""

    node_name = "LinalgSolveExBackward0"
    symbol = "A⁻¹B"
    array_backward = True

    @staticmethod
    def forward(ctx, A, B, check_errors=True):
        out = _run("solve", np.linalg.solve, A, B, check_errors=check_errors)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        A, X = ctx.saved_tensors
        grad_B = Solve.apply(A.mT, grad)  # A X = B: dB = Aᵀ⁻¹ g, dA = -dB Xᵀ
        need = ctx.needs_input_grad
        return (-(grad_B @ X.mT) if need[0] else None), (grad_B if need[1] else None)


def solve(A, B, *, left=True):
    """X with A X = B (left=False: X A = B). B is a batch of vectors (..., n) when it has one
    dim fewer than A and A's leading shape, as torch decides."""
    return solve_checked(A, B, left, check_errors=True)


def solve_checked(A, B, left: bool, check_errors: bool):
    """solve, and solve_ex's form of it (check_errors=False: nan for a singular A)."""
    _square("solve", A)
    _floating("solve", A)
    if not left:
        return solve_checked(A.mT, B.mT, True, check_errors).mT
    if np.dtype(A.dtype) != np.dtype(B.dtype):
        raise DtypeError(
            f"linalg.solve: A and B must have one dtype, got {A.dtype} and {B.dtype}. Convert "
            "one, e.g. B.to(A.dtype)."
        )
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rhs = B.unsqueeze(-1) if vector else B
    if rhs.shape[-2] != A.shape[-1]:
        raise ShapeError(
            f"linalg.solve: A {tuple(A.shape)} and B {tuple(B.shape)} do not fit: B needs "
            f"{A.shape[-1]} rows"
        )
    out = Solve.apply(A, rhs, check_errors=check_errors)
    return out.squeeze(-1) if vector else out


class Cholesky(Function):
    """L lower triangular with L Lᵀ = A, for symmetric positive-definite A (its lower
    triangle is read)."""

    node_name = "LinalgCholeskyExBackward0"
    symbol = "chol"

    @staticmethod
    def forward(ctx, A, check_errors=True):
        out = _run("cholesky", np.linalg.cholesky, A, check_errors=check_errors)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (L,) = ctx.saved_tensors
        # torch's symmetric gradient: L⁻ᵀ sym(Φ(Lᵀ g)) L⁻¹, Φ the lower triangle, half diagonal
        P = (L.mT @ grad).tril()
        S = 0.5 * (P + P.tril(-1).mT)
        return Solve.apply(L.mT, Solve.apply(L.mT, S).mT).mT


@cast_inputs("fp32")
def cholesky(A, *, upper=False):
    """The Cholesky factor of each symmetric positive-definite matrix: L (or Lᵀ if upper)."""
    _square("cholesky", A)
    _floating("cholesky", A)
    L = Cholesky.apply(A)
    return L.mT if upper else L


class QrFactor(Function):
    """Q or R (part 0 or 1) of the QR factorisation A = QR."""

    node_name = "LinalgQrBackward0"
    symbol = "qr"

    @staticmethod
    def forward(ctx, A, part, mode):
        ctx.save_for_backward(A)
        return _run("qr", np.linalg.qr, A, mode)[part]

    @staticmethod
    def backward(ctx, grad):
        (A,) = ctx.saved_tensors
        mode, part = ctx.options["mode"], ctx.options["part"]
        Q, R = qr(A, mode)
        m, n = A.shape[-2], A.shape[-1]
        if m < n:
            raise NotImplementedError(
                f"linalg.qr: the gradient of a wide matrix ({m} x {n}) is not supported yet. "
                "Differentiate the QR of its transpose instead."
            )
        if mode == "complete" and m > n:
            raise RuntimeError(
                f"linalg.qr: the QR decomposition is not differentiable when mode='complete' "
                f"and nrows > ncols ({m} x {n}), as in torch. Use mode='reduced'."
            )
        gQ, gR = (grad, None) if part == 0 else (None, grad)
        # torch's formula for m >= n: gA = (gQ + Q S) R⁻ᵀ, with S the upper triangle of
        # M = gR Rᵀ - Qᵀ gQ mirrored into the lower one
        M = (gR @ R.mT if gR is not None else 0) - (Q.mT @ gQ if gQ is not None else 0)
        upper = M.triu()
        S = upper + upper.triu(1).mT
        gA = Q @ S + (gQ if gQ is not None else 0)
        return Solve.apply(R, gA.mT).mT


def qr(A, mode="reduced"):
    """(Q, R) with A = QR, Q with orthonormal columns, R upper triangular; mode 'reduced'
    (k = min(m, n) columns) or 'complete'."""
    if A.ndim < 2:
        raise ShapeError(f"linalg.qr: expects matrices (..., m, n), got shape {tuple(A.shape)}")
    if mode not in ("reduced", "complete"):
        raise ArgumentError(f"linalg.qr: mode must be 'reduced' or 'complete', got {mode!r}")
    _floating("qr", A)
    return _QR(QrFactor.apply(A, part=0, mode=mode), QrFactor.apply(A, part=1, mode=mode))


class _QR(namedtuple("QR", ["Q", "R"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_qr")


class SvdFactor(Function):
    """U, S or Vh (part 0, 1, 2) of the singular value decomposition A = U diag(S) Vh."""

    node_name = "LinalgSvdBackward0"
    symbol = "svd"

    @staticmethod
    def forward(ctx, A, part, full_matrices):
        ctx.save_for_backward(A)
        if part == 1:
            return _run("svd", np.linalg.svd, A, False, False)
        return _run("svd", np.linalg.svd, A, full_matrices)[part]

    @staticmethod
    def backward(ctx, grad):
        (A,) = ctx.saved_tensors
        part = ctx.options["part"]
        if part != 1 and ctx.options["full_matrices"]:
            raise RuntimeError(
                "linalg.svd: the gradient of U or Vh with full_matrices=True is not defined "
                "(the extra singular vectors are not unique). Use full_matrices=False."
            )
        U, S, Vh = svd_factors(A, full_matrices=False)
        grads = [None, None, None]
        grads[part] = grad
        return _svd_backward(U, S, Vh, *grads)


def _svd_backward(U, S, Vh, gU, gS, gVh):
    """torch's svd_backward (real case) for the gradient of one of U, S, Vh."""
    m, n = U.shape[-2], Vh.shape[-1]
    if gS is not None:  # gA = U diag(gS) Vh
        return (U * gS.unsqueeze(-2)) @ Vh
    k = S.shape[-1]
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + Tensor._make(np.eye(k, dtype=np.dtype(S.dtype)))
    if gU is not None:
        UgU = U.mT @ gU
        inner = (UgU - UgU.mT) / E * S.unsqueeze(-2)
        gA = U @ inner
        if m > n:  # the part of gU outside U's columns: (I - UUᵀ) gU S⁻¹
            gUS = gU / S.unsqueeze(-2)
            gA = gA + gUS - U @ (U.mT @ gUS)
        return gA @ Vh
    VgV = Vh @ gVh.mT
    inner = S.unsqueeze(-1) * ((VgV - VgV.mT) / E)
    gA = inner @ Vh
    if m < n:
        SgV = gVh / S.unsqueeze(-1)
        gA = gA + SgV - (SgV @ Vh.mT) @ Vh
    return U @ gA


def svd_factors(A, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh (torch.linalg.svd)."""
    if A.ndim < 2:
        raise ShapeError(f"linalg.svd: expects matrices (..., m, n), got shape {tuple(A.shape)}")
    _floating("svd", A)
    parts = (SvdFactor.apply(A, part=p, full_matrices=full_matrices) for p in range(3))
    return _SVD(*parts)


class _SVD(namedtuple("SVD", ["U", "S", "Vh"])):
    def __repr__(self) -> str:
        return return_type_repr(self, "linalg_svd")


def svdvals(A):
    """The singular values of each matrix, in descending order."""
    if A.ndim < 2:
        raise ShapeError(f"linalg.svdvals: expects matrices, got shape {tuple(A.shape)}")
    _floating("svdvals", A)
    return SvdFactor.apply(A, part=1, full_matrices=False)


# --- the top-level torch names (torch.inverse, torch.svd, ...) --------------------------
@cast_inputs("fp32")
def inverse(input):
    """torch.inverse: linalg.inv."""
    return inv(input)


def svd(input, some=True, compute_uv=True, *, full_matrices=None):
    """torch.svd: (U, S, V) with V = Vhᵀ (some=False: full U and V). With full_matrices=
    (torch.linalg.svd's keyword) it is linalg.svd: (U, S, Vh)."""
    if full_matrices is not None:
        return svd_factors(input, full_matrices)
    U, S, Vh = svd_factors(input, full_matrices=not some)
    if not compute_uv:
        return U * 0.0, S, Vh.mT * 0.0  # torch returns zero-filled U and V
    return U, S, Vh.mT
