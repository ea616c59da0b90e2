"""Functions of matrices and vectors: diag, diagonal, trace, kron, cross, cdist, and the
products of two vectors torch names apart: vdot, ger, addr."""

import builtins
import functools

import numpy as np

from ..amp import cast_inputs
from ..dtypes import get_default_dtype, promote_types
from ..errors import ArgumentError, DtypeError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .elementwise import where
from .linalg import outer
from .shape import cat

__all__ = ["diag", "diagonal", "diag_embed", "trace", "kron", "cross", "cdist", "block_diag"]
__all__ += ["vdot", "ger", "addr", "vander"]


class Diagonal(Function):
    """The offset-th diagonal of dims (dim1, dim2), as a new last dim."""

    node_name = "DiagonalBackward0"
    symbol = "diag"
    array_backward = True

    @staticmethod
    def forward(ctx, input, offset, dim1, dim2):
        return np.diagonal(input, offset, dim1, dim2).copy()  # NumPy's view is read-only

    @staticmethod
    def backward(ctx, grad):
        shape, _ = ctx.input_meta[0]
        return DiagonalEmbed.apply(grad, shape=shape, **ctx.options)


class DiagonalEmbed(Function):
    """Zeros of `shape` with the input's last dim written on the offset-th diagonal of
    (dim1, dim2): diag of a vector, and the gradient of Diagonal."""

    node_name = "DiagEmbedBackward0"
    symbol = "diag_embed"
    array_backward = True

    @staticmethod
    def forward(ctx, input, offset, dim1, dim2, shape):
        out = np.zeros(shape, dtype=input.dtype)
        n = input.shape[-1]
        rows = np.arange(n) + builtins.max(-offset, 0)
        cols = np.arange(n) + builtins.max(offset, 0)
        np.moveaxis(out, (dim1, dim2), (-2, -1))[..., rows, cols] = input
        return out

    @staticmethod
    def backward(ctx, grad):
        options = ctx.options
        return Diagonal.apply(grad, offset=options["offset"], dim1=options["dim1"],
                              dim2=options["dim2"])  # fmt: skip


def _dims(ndim: int, dims, op: str) -> tuple:
    out = []
    for d in dims:
        if not -ndim <= d < ndim:
            raise IndexError(f"{op}: dim {d} is out of range for {ndim} dims")
        out.append(d % ndim)
    if out[0] == out[1]:
        raise ArgumentError(f"{op}: dim1 and dim2 must differ, got {dims}")
    return tuple(out)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The offset-th diagonal of the (dim1, dim2) matrices, as the last dim."""
    dim1, dim2 = _dims(input.ndim, (dim1, dim2), "diagonal")
    return Diagonal.apply(input, offset=int(offset), dim1=dim1, dim2=dim2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices whose offset-th diagonal of (dim1, dim2) holds the input's last dim."""
    ndim = input.ndim + 1
    dim1, dim2 = _dims(ndim, (dim1, dim2), "diag_embed")
    n = input.shape[-1] + builtins.abs(offset) if input.ndim else 1
    shape = list(input.shape[:-1])
    for d in sorted((dim1, dim2)):
        shape.insert(d, n)
    return DiagonalEmbed.apply(input, offset=int(offset), dim1=dim1, dim2=dim2, shape=tuple(shape))


def diag(input, diagonal=0):
    """A 1-D input: the square matrix with it on the diagonal-th diagonal. A 2-D input: that
    diagonal."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return Diagonal.apply(input, offset=int(diagonal), dim1=0, dim2=1)
    raise ShapeError(f"diag: expects a 1-D or 2-D tensor, got shape {tuple(input.shape)}")


class Trace(Function):
    node_name = "TraceBackward0"
    symbol = "tr"
    array_backward = True

    @staticmethod
    def forward(ctx, input):
        return np.asarray(np.trace(input), dtype=input.dtype if input.dtype.kind in "fc" else None)

    @staticmethod
    def backward(ctx, grad):
        shape, dtype = ctx.input_meta[0]
        return grad * np.eye(*shape, dtype=dtype)  # d tr(A) / dA = I


@cast_inputs("fp32")
def trace(input):
    """The sum of the diagonal of a 2-D tensor."""
    if input.ndim != 2:
        raise ShapeError(f"trace: expects a 2-D tensor, got shape {tuple(input.shape)}")
    return Trace.apply(input)


def kron(input, other):
    """The Kronecker product: every element of input times the whole of other."""
    ndim = builtins.max(input.ndim, other.ndim)
    a = input.reshape(*(1,) * (ndim - input.ndim), *input.shape)
    b = other.reshape(*(1,) * (ndim - other.ndim), *other.shape)
    spread_a = [n for k in a.shape for n in (k, 1)]  # a_i b_j lands at i * len(b) + j
    spread_b = [n for k in b.shape for n in (1, k)]
    product = a.reshape(*spread_a) * b.reshape(*spread_b)
    return product.reshape(*(m * n for m, n in zip(a.shape, b.shape)))


class Cross(Function):
    node_name = "LinalgCrossBackward0"
    symbol = "×"
    broadcasts = "cross"
    array_backward = True

    @staticmethod
    def forward(ctx, input, other, dim):
        ctx.save_for_backward(input, other)
        return np.cross(input, other, axisa=dim, axisb=dim, axisc=dim)

    @staticmethod
    def backward(ctx, grad):
        input, other = ctx.saved_tensors
        dim, need = ctx.options["dim"], ctx.needs_input_grad
        return (
            Cross.apply(other, grad, dim=dim) if need[0] else None,  # a·(b × g) = g·(a × b)
            Cross.apply(grad, input, dim=dim) if need[1] else None,
        )


def cross(input, other, dim=None):
    """The cross product of 3-vectors along dim (None: the first dim of size 3, as torch)."""
    shape = np.broadcast_shapes(input.shape, other.shape)
    if dim is None:
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise ShapeError(f"cross: no dim of size 3 in shape {shape}. Pass dim=.")
    if not -len(shape) <= dim < len(shape) or shape[dim] != 3:
        raise ShapeError(f"cross: dim {dim} of shape {shape} must exist and have size 3")
    dim %= len(shape)
    return Cross.apply(_lead(input, len(shape)), _lead(other, len(shape)), dim=dim)


def _lead(t, ndim: int):
    """t with leading 1s up to ndim dims: NumPy's cross counts dims in the broadcast shape."""
    return t if t.ndim == ndim else t.reshape(*(1,) * (ndim - t.ndim), *t.shape)


class Cdist(Function):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M)."""

    node_name = "CdistBackward0"
    symbol = "cdist"

    @staticmethod
    def forward(ctx, x1, x2, p):
        diff = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
        if p == 0:
            out = np.count_nonzero(diff, axis=-1).astype(x1.dtype)
        elif p == np.inf:
            out = diff.max(axis=-1, initial=0)
        else:
            out = (diff**p).sum(axis=-1) ** (1.0 / p)
        ctx.save_for_backward(x1, x2, out)
        return out.astype(x1.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x1, x2, out = ctx.saved_tensors
        p = ctx.options["p"]
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
        grad, out = grad.unsqueeze(-1), out.unsqueeze(-1)
        if p == 0:
            per_pair = diff * 0.0
        elif p == 1:
            per_pair = grad * diff.sign()
        elif p == np.inf:  # every coordinate that attains the max, as torch
            ties = Tensor._make(
                (np.abs(diff.numpy(force=True)) == out.numpy(force=True)).astype(diff.dtype)
            )
            per_pair = grad * diff.sign() * ties
        else:  # d/dx ‖x‖_p = x |x|^(p-2) / ‖x‖_p^(p-1); 0 where the distance is 0
            zero = Tensor._make(out.numpy(force=True) == 0)
            denom = where(zero, 1.0, out) ** (p - 1)
            scaled = diff if p == 2 else diff * diff.abs() ** (p - 2)
            per_pair = where(zero, 0.0, grad * scaled / denom)
        need = ctx.needs_input_grad
        return per_pair.sum(-2) if need[0] else None, -per_pair.sum(-3) if need[1] else None


@cast_inputs("fp32")
def cdist(x1, x2, p=2.0, compute_mode=None):
    """Distances between each row of x1 (..., P, M) and each row of x2 (..., R, M)."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(
            f"cdist: expects x1 (..., P, M) and x2 (..., R, M) with the same M, got "
            f"{tuple(x1.shape)} and {tuple(x2.shape)}"
        )
    if p < 0:
        raise ArgumentError(f"cdist: p must be non-negative, got {p}")
    return Cdist.apply(x1, x2, p=float(p))


class BlockDiag(Function):
    """The inputs (each as a matrix: 0-d as 1 x 1, 1-d as a row) on the diagonal of a zero
    matrix, one after another."""

    node_name = "BlockDiagBackward0"
    symbol = "block_diag"
    array_backward = True

    @staticmethod
    def forward(ctx, *inputs):
        blocks = [np.reshape(a, _block_shape(np.shape(a))) for a in inputs]
        rows = sum(b.shape[0] for b in blocks)
        dtype = functools.reduce(promote_types, [b.dtype for b in blocks])  # torch's rule
        out = np.zeros((rows, sum(b.shape[1] for b in blocks)), dtype)
        top = left = 0
        for b in blocks:
            out[top : top + b.shape[0], left : left + b.shape[1]] = b
            top, left = top + b.shape[0], left + b.shape[1]
        return out

    @staticmethod
    def backward(ctx, grad):
        grads, top, left = [], 0, 0
        for (shape, _), need in zip(ctx.input_meta, ctx.needs_input_grad):
            m, n = _block_shape(shape)
            grads.append(grad[top : top + m, left : left + n].reshape(shape) if need else None)
            top, left = top + m, left + n
        return tuple(grads)


def _block_shape(shape) -> tuple:
    return (1, 1) if len(shape) == 0 else (1, shape[0]) if len(shape) == 1 else tuple(shape)


def block_diag(*tensors):
    """A block-diagonal matrix of the tensors (0-d, 1-d as a row, or 2-d), as torch."""
    tensors = [t if isinstance(t, Tensor) else Tensor._of(t) for t in tensors]
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise ShapeError(
                f"block_diag: input tensors must have 2 or fewer dims, input {i} has shape "
                f"{tuple(t.shape)}"
            )
    if not tensors:  # as torch: a 1 x 0 matrix
        return Tensor._constant(np.zeros((1, 0), get_default_dtype()))
    return BlockDiag.apply(*tensors)


def _vectors(op: str, a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(
            f"{op}: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors (shapes "
            f"{a.shape} and {b.shape}). Use matmul or tensordot for others."
        )


class Vdot(Function):
    """Σ conj(input)·other of two vectors of one dtype: dot for real tensors."""

    node_name = "VdotBackward0"
    symbol = "·"
    array_backward = True

    @staticmethod
    def forward(ctx, input, other):
        _vectors("vdot", input, other)
        if input.shape != other.shape or input.dtype != other.dtype:
            raise (ShapeError if input.shape != other.shape else DtypeError)(
                f"vdot: expected both vectors to have the same size and dtype, got {input.shape} "
                f"{input.dtype} and {other.shape} {other.dtype}. Convert one with .to(dtype)."
            )
        need = ctx.needs_input_grad
        ctx.save_for_backward(input if need[1] else None, other if need[0] else None)
        return np.vdot(input, other)

    @staticmethod
    def backward(ctx, grad):
        input, other = ctx.saved_tensors
        need = ctx.needs_input_grad
        return grad * other if need[0] else None, grad * input if need[1] else None


def vdot(input, other):
    """The dot product of two 1-D tensors (the first conjugated, for complex ones)."""
    return Vdot.apply(input, other)


def ger(input, vec2):
    """outer's old name, recorded as outer is."""
    return outer(input, vec2)


class Addr(Function):
    """beta·input + alpha·(vec1 ⊗ vec2); input broadcasts to (len(vec1), len(vec2))."""

    node_name = "AddrBackward0"
    symbol = "+⊗"
    array_backward = True

    @staticmethod
    def forward(ctx, input, vec1, vec2, beta=1, alpha=1):
        for name, v in (("vec1", vec1), ("vec2", vec2)):
            if v.ndim != 1:
                raise ShapeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D "
                                 f"(shape {v.shape}). Flatten it, or use addmm.")  # fmt: skip
        product = np.outer(vec1, vec2)
        _check_addr(input, product, beta, alpha)
        ctx.save_for_backward(vec1, vec2)
        scaled = product if alpha == 1 else alpha * product
        if beta == 0:  # input ignored, NaN and inf too, as torch
            return np.broadcast_to(np.zeros((), product.dtype), product.shape) + scaled
        return (input if beta == 1 else beta * input) + scaled

    @staticmethod
    def backward(ctx, grad):
        vec1, vec2 = ctx.saved_tensors
        beta, alpha = ctx.options.get("beta", 1), ctx.options.get("alpha", 1)
        need = ctx.needs_input_grad
        grad_input = (grad if beta == 1 else grad * beta) if need[0] else None
        grad = grad if alpha == 1 else grad * alpha
        grad_vec1 = grad @ vec2 if need[1] else None
        grad_vec2 = grad.mT @ vec1 if need[2] else None
        return grad_input, grad_vec1, grad_vec2


def _check_addr(input, product, beta, alpha) -> None:
    fits = len(input.shape) <= 2 and all(
        a in (1, b) for a, b in zip(input.shape[::-1], product.shape[::-1])
    )
    if not fits:
        raise ShapeError(
            f"addr: input of shape {input.shape} does not broadcast to the outer product's "
            f"{product.shape}. Give input that shape (or one that broadcasts to it)."
        )
    floats = isinstance(beta, float) or isinstance(alpha, float)
    if product.dtype.kind in "iub" and floats:
        raise DtypeError(
            f"addr: For integral input tensors, argument alpha (and beta) must not be a "
            f"floating point number (dtype {product.dtype}, beta={beta}, alpha={alpha}). Give "
            "integers, or float tensors."
        )


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta·input + alpha·(vec1 ⊗ vec2) (torch.addr); beta = 0 ignores input, NaN included."""
    return Addr.apply(input, vec1, vec2, beta=beta, alpha=alpha)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D x: columns x⁰, x¹, ... (x^(N−1) first unless increasing),
    as torch builds it (powers by a running product); integers and bools become int64."""
    if x.ndim != 1:
        raise ShapeError(f"vander: x must be a one-dimensional tensor, got shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise ArgumentError(f"vander: N must be non-negative, got {n}")
    if x.dtype.kind in "iub":
        x = x.long()
    ones = x.new_ones(x.shape[0], min(n, 1))
    powers = x.unsqueeze(1).expand(x.shape[0], max(n - 1, 0)).cumprod(1)
    out = cat([ones, powers], 1)
    return out if increasing else out.flip(1)
