"""torch.svd_lowrank and torch.pca_lowrank: Halko, Martinsson and Tropp's randomized SVD, as
torch/_lowrank.py computes it (the same steps, so the same seeded numbers: the random
projection is ad.randn, torch's draw). Dense tensors only; gradients flow through the ops."""

from . import creation, dtypes, linalg
from .tensor import Tensor

__all__ = ["pca_lowrank", "svd_lowrank"]


def _approximate_basis(A, q: int, niter: int, M=None):
    """Q with q orthonormal columns whose span approximates A's range (niter power steps)."""
    dtype = A.dtype if A.dtype.is_floating_point else dtypes.float32
    R = creation.randn(A.shape[-1], q, dtype=dtype)
    X = A @ R if M is None else A @ R - M @ R
    Q = linalg.qr(X).Q
    for _ in range(niter):
        X = A.mH @ Q if M is None else A.mH @ Q - M.mH @ Q
        Q = linalg.qr(X).Q
        X = A @ Q if M is None else A @ Q - M @ Q
        Q = linalg.qr(X).Q
    return Q


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V) of rank q approximating A - M (M broadcast to A): A ≈ U diag(S) Vᴴ."""
    _dense("svd_lowrank", A, M)
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:  # the basis of the smaller side
        A = A.mH
        M = None if M is None else M.mH
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH @ A if M is None else Q.mH @ A - Q.mH @ M
    U, S, Vh = linalg.svd(B, full_matrices=False)
    V, U = Vh.mH, Q @ U
    return (V, S, U) if m < n else (U, S, V)


def pca_lowrank(A, q=None, center=True, niter=2):
    """svd_lowrank of A with its column means taken out (center=True); q defaults to
    min(6, m, n)."""
    _dense("pca_lowrank", A, None)
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(
            f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}"
        )
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter=niter)
    return svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter=niter)


def _dense(op: str, A, M) -> None:
    for name, t in (("A", A), ("M", M)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a tensor, got {type(t).__name__}.")
    if A.ndim < 2:
        raise ValueError(f"{op}: A must be a matrix or a batch of matrices, got shape "
                         f"{tuple(A.shape)}.")  # fmt: skip
