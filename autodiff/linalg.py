"""torch.linalg: norms, inverses, determinants, solves and factorisations of matrices (the
ops live in ops/decomposition.py, ops/linalg.py and ops/matrix.py)."""

from .errors import ArgumentError
from .ops.decomposition import cholesky, det, inv, qr, slogdet, solve, svdvals
from .ops.decomposition import svd_factors as svd
from .ops.linalg import linalg_norm as norm
from .ops.linalg import matmul, matrix_norm, matrix_power, vector_norm
from .ops.matrix import cross as _cross
from .ops.matrix import diagonal as _diagonal
from .ops.spectral import eigh, eigvalsh, lstsq, matrix_exp, pinv

__all__ = [
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "lstsq",
    "matmul",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vecdot",
    "vector_norm",
]


def cross(input, other, *, dim=-1):
    """The cross product along dim (the last by default, unlike torch.cross)."""
    return _cross(input, other, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of the last two dims (torch.diagonal with other defaults)."""
    return _diagonal(A, offset, dim1, dim2)


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
