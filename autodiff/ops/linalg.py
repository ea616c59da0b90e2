"""Matrix products: matmul with NumPy's broadcasting and 1-D rules, einsum, norms."""

import string
import warnings

import numpy as np

from ..amp import cast_inputs
from ..errors import ArgumentError, DtypeError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .complexes import conj_of
from .decomposition import inv, svdvals
from .elementwise import where
from .reduction import normalize_dims

__all__ = [
    "frobenius_norm",
    "matrix_rank",
    "nuclear_norm",
    "matmul",
    "mm",
    "bmm",
    "dot",
    "outer",
    "mv",
    "addmm",
    "addmv",
    "baddbmm",
    "addbmm",
    "inner",
    "tensordot",
    "chain_matmul",
    "matrix_power",
    "dist",
    "renorm",
    "norm",
    "einsum",
]  # the public ops: autodiff exports these

_NAMES = {(2, 2): "MmBackward0", (1, 1): "DotBackward0", (2, 1): "MvBackward0"}


def _in_torch_order(ctx, pair: tuple) -> tuple:
    """(input, other) in the order torch saves them (saved_tensors_hooks see it): mm saves
    other first. The same swap turns what was saved back into (input, other)."""
    return pair[::-1] if ctx.node_name == "MmBackward0" else pair


class Matmul(Function):
    complex_grad = True  # dtype-blind or conjugated: torch's complex gradient
    node_name = "BmmBackward0"
    symbol = "@"
    array_backward = True

    @staticmethod
    def numpy_forward(input, other):
        return np.matmul

    @staticmethod
    def forward(ctx, input, other):
        ctx.node_name = _NAMES.get((input.ndim, other.ndim), "BmmBackward0")
        need = ctx.needs_input_grad
        kept = (input if need[1] else None, other if need[0] else None)
        ctx.save_for_backward(*_in_torch_order(ctx, kept))
        return np.matmul(input, other)

    @staticmethod
    def backward(ctx, grad):
        # each saved only if the other's gradient is needed
        input, other = _in_torch_order(ctx, ctx.saved_tensors)
        a_1d = _ndim(ctx, 0, input) == 1
        b_1d = _ndim(ctx, 1, other) == 1
        if a_1d:  # a as (1, n): grad (..., m) as (..., 1, m); 1-D @ 1-D: grad is 0-d
            grad = grad.reshape(grad.shape[:-1] + (1,) + grad.shape[-1:])
        if b_1d:
            grad = grad.reshape(grad.shape + (1,))
        grad_a = grad_b = None
        input, other = conj_of(input), conj_of(other)  # complex: grad @ b^H, a^H @ grad
        if other is not None:
            b = other.reshape(other.shape + (1,)) if b_1d else other
            grad_a = grad @ b.mT  # the engine sums broadcast batch dims away
            grad_a = grad_a.squeeze(-2) if a_1d else grad_a
        if input is not None:
            a = input.reshape((1,) + input.shape) if a_1d else input
            grad_b = a.mT @ grad
            grad_b = grad_b.squeeze(-1) if b_1d else grad_b
        return grad_a, grad_b


@cast_inputs("lower")
def matmul(input, other):
    """Matrix product with broadcasting batch dims; 1-D operands as in NumPy/PyTorch."""
    a = input if isinstance(input, Tensor) else Tensor._constant(np.asarray(input))
    b = other if isinstance(other, Tensor) else Tensor._constant(np.asarray(other))
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul: both arguments need at least 1 dimension, got shapes "
            f"{tuple(a.shape)} @ {tuple(b.shape)}. Use * for scalars."
        )
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ShapeError(
            f"matmul: inner dimensions differ, {tuple(a.shape)} @ {tuple(b.shape)} ({inner_a} != {inner_b})"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(
            f"matmul: batch dimensions do not broadcast, {tuple(a.shape)} @ {tuple(b.shape)}"
        ) from None
    return Matmul.apply(input, other)


def _ndim(ctx, slot: int, saved) -> int:
    meta = ctx.input_meta[slot]
    return len(meta[0]) if meta is not None else saved.ndim


@cast_inputs("lower")
def mm(input, mat2):
    """Matrix product of two 2-D tensors (torch.mm)."""
    _check_ndim("mm", (input, mat2), 2)
    return matmul(input, mat2)


@cast_inputs("lower")
def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors of the same batch size (torch.bmm)."""
    _check_ndim("bmm", (input, mat2), 3)
    if input.shape[0] != mat2.shape[0]:
        raise ShapeError(f"bmm: batch sizes differ, {tuple(input.shape)} @ {tuple(mat2.shape)}")
    return matmul(input, mat2)


def dot(input, other):
    """Inner product of two 1-D tensors."""
    _check_ndim("dot", (input, other), 1)
    return matmul(input, other)


def outer(input, vec2):
    """input[:, None] * vec2[None, :] for two 1-D tensors."""
    _check_ndim("outer", (input, vec2), 1)
    return input.unsqueeze(1) * vec2.unsqueeze(0)


def mv(input, vec):
    """Matrix-vector product of a 2-D and a 1-D tensor (torch.mv)."""
    _check_ndim("mv", (input,), 2)
    _check_ndim("mv", (vec,), 1)
    return matmul(input, vec)


_PRODUCT_NODES = {
    "addmm": "AddmmBackward0",
    "addmv": "AddmvBackward0",
    "baddbmm": "BaddbmmBackward0",
    "addbmm": "AddbmmBackward0",
}


class AddProduct(Function):
    """beta·input + alpha·(mat1 @ mat2): addmm and addmv, baddbmm (batched) and addbmm (the
    batch's products summed); input broadcasts to the product's shape."""

    node_name = "AddmmBackward0"
    symbol = "β·x+α·AB"
    array_backward = True

    @staticmethod
    def forward(ctx, input, mat1, mat2, op, beta, alpha):
        ctx.node_name = _PRODUCT_NODES[op]
        need = ctx.needs_input_grad
        ctx.save_for_backward(mat1 if need[2] else None, mat2 if need[1] else None)
        product = np.matmul(mat1, mat2)
        if op == "addbmm":
            product = product.sum(0)
        if alpha != 1:
            product = product * alpha
        if beta == 0:  # as torch: input is not read (its NaNs do not spread)
            return product
        return product + (input if beta == 1 else input * beta)

    @staticmethod
    def backward(ctx, grad):
        mat1, mat2 = ctx.saved_tensors  # each saved only if the other's gradient is needed
        beta, alpha = ctx.options["beta"], ctx.options["alpha"]
        vector = ctx.options["op"] == "addmv"
        need = ctx.needs_input_grad
        grad_input = (grad if beta == 1 else grad * beta) if need[0] else None
        if alpha != 1:
            grad = grad * alpha
        grad_mat1 = grad_mat2 = None
        if need[1]:  # addbmm's grad (n, p) broadcasts over the batch in these products
            grad_mat1 = grad.reshape(-1, 1) * mat2.reshape(1, -1) if vector else grad @ mat2.mT
        if need[2]:
            grad_mat2 = mat1.mT @ grad
        return grad_input, grad_mat1, grad_mat2


@cast_inputs("lower")
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta·input + alpha·(mat1 @ mat2) for 2-D mat1, mat2; input broadcasts (torch.addmm)."""
    return _add_product("addmm", input, mat1, mat2, beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta·input + alpha·(mat @ vec) for a 2-D mat and a 1-D vec (torch.addmv)."""
    return _add_product("addmv", input, mat, vec, beta, alpha)


@cast_inputs("lower")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta·input + alpha·(batch1 @ batch2), one product per batch entry (torch.baddbmm)."""
    return _add_product("baddbmm", input, batch1, batch2, beta, alpha)


@cast_inputs("lower")
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta·input + alpha·Σ_b batch1[b] @ batch2[b] (torch.addbmm)."""
    return _add_product("addbmm", input, batch1, batch2, beta, alpha)


_PRODUCT_DIMS = {"addmm": (2, 2), "addmv": (2, 1), "baddbmm": (3, 3), "addbmm": (3, 3)}


def _add_product(op: str, input, mat1, mat2, beta, alpha):
    """Check the shapes and dtypes as torch does, then the op."""
    input = input if isinstance(input, Tensor) else Tensor._of(input, dtype=mat1.dtype)
    for t, ndim in zip((mat1, mat2), _PRODUCT_DIMS[op]):
        _check_ndim(op, (t,), ndim)
    shapes = f"{tuple(mat1.shape)} and {tuple(mat2.shape)}"
    inner = mat2.shape[0] if mat2.ndim == 1 else mat2.shape[-2]
    if mat1.shape[-1] != inner:
        raise ShapeError(
            f"{op}: the shapes {shapes} cannot be multiplied ({mat1.shape[-1]} != {inner})"
        )
    if op in ("baddbmm", "addbmm") and mat1.shape[0] != mat2.shape[0]:
        raise ShapeError(f"{op}: batch sizes differ, {shapes}")
    out = tuple(mat1.shape[:-1]) + tuple(mat2.shape[-1:] if mat2.ndim > 1 else ())
    out = out[1:] if op == "addbmm" else out  # the batch summed away
    if _broadcast(input.shape, out) != out:
        raise ShapeError(
            f"{op}: input of shape {tuple(input.shape)} does not broadcast to the product's "
            f"shape {out}"
        )
    if len({input.dtype, mat1.dtype, mat2.dtype}) > 1:
        raise DtypeError(
            f"{op}: expects one dtype, got {input.dtype}, {mat1.dtype} and {mat2.dtype}. "
            "Convert them, e.g. with .float()."
        )
    if input.dtype.kind not in "fc":  # as torch: integer tensors take their integer parts
        beta, alpha = int(beta), int(alpha)
    return AddProduct.apply(input, mat1, mat2, op=op, beta=beta, alpha=alpha)


def _broadcast(a: tuple, b: tuple):
    try:
        return np.broadcast_shapes(tuple(a), tuple(b))
    except ValueError:
        return None


def inner(input, other):
    """The sum of products over the last dims (torch.inner): input * other for a 0-d one."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise ShapeError(
            f"inner: the last dims must match, got shapes {tuple(input.shape)} and "
            f"{tuple(other.shape)}"
        )
    return tensordot(input, other, ([-1], [-1]))


def tensordot(a, b, dims=2):
    """Sums of products over dims of a and b (torch.tensordot): dims an int (the last dims
    of a with the first of b) or two lists; as torch, permutes, reshapes to matrices and mm."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise ArgumentError(f"tensordot: expects dims >= 0, got {dims}")
        if dims > min(a.ndim, b.ndim):
            raise ShapeError(
                f"tensordot: dims {dims} is more than the dims of shapes {tuple(a.shape)} and "
                f"{tuple(b.shape)}"
            )
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise ShapeError(
            f"tensordot: both dim lists need the same length, got {dims_a} and {dims_b}"
        )
    dims_a = [_dim_of(d, a.ndim) for d in dims_a]
    dims_b = [_dim_of(d, b.ndim) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise ShapeError(
                f"tensordot: contracted dims differ in size, dim {da} of {tuple(a.shape)} and "
                f"dim {db} of {tuple(b.shape)}"
            )
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    size = int(np.prod([a.shape[d] for d in dims_a]))
    rows = int(np.prod([a.shape[d] for d in free_a]))
    cols = int(np.prod([b.shape[d] for d in free_b]))
    left = a.permute(*free_a, *dims_a)
    right = b.permute(*dims_b, *free_b)
    if rows == 1 and cols == 1:  # one number: torch's dot
        product = dot(left.reshape(size), right.reshape(size))
    else:
        product = left.reshape(rows, size) @ right.reshape(size, cols)
    return product.reshape(*[a.shape[d] for d in free_a], *[b.shape[d] for d in free_b])


def _dim_of(dim: int, ndim: int) -> int:
    if not -ndim <= dim < ndim:
        raise IndexError(f"tensordot: dim {dim} is out of range (expected -{ndim} <= dim < {ndim})")
    return dim % ndim


def chain_matmul(*matrices):
    """The product of 2-D tensors (torch.chain_matmul; deprecated there for linalg.multi_dot,
    which it warns about, as torch)."""
    warnings.warn(
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. "
        "Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors "
        "rather than multiple parameters.",
        UserWarning,
        stacklevel=2,
    )
    if not matrices:
        raise ArgumentError("chain_matmul: expects at least one matrix")
    _check_ndim("chain_matmul", matrices, 2)
    if len(matrices) == 1:
        return matrices[0].clone()
    out = matrices[0]
    for m in matrices[1:]:
        out = mm(out, m)
    return out


def matrix_power(A, n: int):
    """A multiplied by itself n times (n = 0: the identity; n < 0: powers of the inverse)."""
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(f"matrix_power: expects square matrices, got {tuple(A.shape)}")
    if n == 0:
        return A * 0 + Tensor._constant(np.eye(A.shape[-1], dtype=A.dtype))
    base = inv(A) if n < 0 else A
    out = A.clone() if n == 1 else base  # a new tensor, as torch's, never A itself
    for _ in range(abs(n) - 1):
        out = out @ base
    return out


def _check_ndim(op: str, tensors, ndim: int) -> None:
    for t in tensors:
        if t.ndim != ndim:
            shapes = " and ".join(str(tuple(x.shape)) for x in tensors)
            raise ShapeError(
                f"{op}: expects {ndim}-D tensors, got {shapes}. Use matmul for others."
            )


class VectorNorm(Function):
    """(Σ|x|^p)^(1/p) over dim (all dims when None); inf/-inf: the largest/smallest |x|, 0: the
    count of nonzeros. Where the norm is 0 the gradient is 0 (torch's subgradient); the
    largest |x| shares the gradient evenly between ties, as torch."""

    node_name = "LinalgVectorNormBackward0"
    symbol = "‖x‖"

    @staticmethod
    def forward(ctx, input, ord, dim, keepdim):
        out = _norm(input, ord, dim, keepdim)
        ctx.save_for_backward(input, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, out = ctx.saved_tensors
        return _norm_grad(grad, input, out, ctx.options["ord"], ctx.options["dim"])


def _norm(input, ord, dim, keepdim):
    a = np.abs(input)
    if ord == np.inf:
        out = np.max(a, axis=dim, keepdims=True)
    elif ord == -np.inf:
        out = np.min(a, axis=dim, keepdims=True)
    elif ord == 0:
        out = np.count_nonzero(a, axis=dim, keepdims=True)
    else:
        out = np.sum(a**ord, axis=dim, keepdims=True) ** (1.0 / ord)
    out = np.asarray(out, dtype=a.dtype)  # |x|'s: a complex input's norm is real, as torch's
    return out if keepdim else out.reshape(_without(input.shape, dim))


def _norm_grad(grad, input, out, ord, dim):
    """The gradient of the ord-norm `out` of input (over dim) for grad (torch's norm_backward)."""
    kept = _kept(input.shape, dim)
    grad, out = grad.reshape(kept), out.reshape(kept)
    if ord == 0:
        return grad * input * 0.0
    if ord in (np.inf, -np.inf):
        ties = Tensor._make(
            (np.abs(input.numpy(force=True)) == out.numpy(force=True)).astype(input.dtype)
        )
        return grad * input.sign() * ties / ties.sum(dim, keepdim=True)
    if ord == 1:
        return grad * input.sign()
    safe = np.asarray(out.numpy(force=True) != 0)  # an array also for 0-d (dist of 0-d tensors)
    denom = where(Tensor._make(safe), out, 1.0)  # differentiable: second order needs it
    scale = input if ord == 2 else input * input.abs() ** (ord - 2)
    return grad * scale / denom ** (ord - 1) * Tensor._make(safe.astype(input.dtype))


class Dist(Function):
    """The p-norm of input - other (broadcast): torch.dist."""

    node_name = "DistBackward0"
    symbol = "dist"
    broadcasts = "dist"

    @staticmethod
    def forward(ctx, input, other, p):
        out = _norm(input - other, p, None, False)
        ctx.save_for_backward(input, other, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        input, other, out = ctx.saved_tensors
        g = _norm_grad(grad, input - other, out, ctx.options["p"], None)
        need = ctx.needs_input_grad
        return g if need[0] else None, -g if need[1] else None


def dist(input, other, p=2):
    """The p-norm of input - other, broadcast (p = 0: the count of differences; ±inf: the
    largest / smallest |difference|)."""
    if isinstance(p, str) or not isinstance(p, (int, float)):
        raise ArgumentError(f"dist: p must be a number or ±inf, got {p!r}")
    return Dist.apply(input, other, p=float(p))


class Renorm(Function):
    """Each slice along dim whose p-norm exceeds maxnorm, scaled to norm maxnorm (torch's
    factor maxnorm / (norm + 1e-7)); the others unchanged."""

    node_name = "RenormBackward0"
    symbol = "renorm"

    @staticmethod
    def forward(ctx, input, p, dim, maxnorm):
        ctx.save_for_backward(input)
        norm = _norm(input, p, _other_dims(input.ndim, dim), True)
        return input * np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0).astype(norm.dtype)

    @staticmethod
    def backward(ctx, grad):
        (input,) = ctx.saved_tensors
        p, dim, maxnorm = ctx.options["p"], ctx.options["dim"], ctx.options["maxnorm"]
        others = _other_dims(input.ndim, dim)
        # the norms again, as an op: a second derivative then follows them
        norm = VectorNorm.apply(input, ord=p, dim=others, keepdim=True)
        over = Tensor._make((norm.numpy(force=True) > maxnorm).astype(input.dtype))
        factor = over * maxnorm / (norm + 1e-7) + (1 - over)
        # y = x·f(‖x‖): dy = f·g + x-direction term -maxnorm/(‖x‖+eps)² · ∂‖x‖/∂x · Σ g·x
        along = (grad * input).sum(others, keepdim=True)
        slope = over * -maxnorm / (norm + 1e-7) ** 2
        return factor * grad + _norm_grad(along * slope, input, norm, p, others)


def _other_dims(ndim: int, dim: int) -> tuple:
    return tuple(d for d in range(ndim) if d != dim)


def renorm(input, p, dim, maxnorm):
    """input with each slice along dim scaled down to p-norm maxnorm where it exceeds it
    (torch.renorm; nn's max_norm constraint)."""
    if input.ndim < 2:
        raise ShapeError(f"renorm: input needs at least 2 dims, got shape {tuple(input.shape)}")
    if not p > 0:
        raise ArgumentError(f"renorm: p must be positive, got {p}")
    if maxnorm < 0:
        raise ArgumentError(f"renorm: maxnorm must be >= 0, got {maxnorm}")
    (axis,) = normalize_dims(dim, input.ndim, "renorm")
    return Renorm.apply(input, p=float(p), dim=axis, maxnorm=float(maxnorm))


def _kept(shape, dims) -> tuple:
    return tuple(1 if dims is None or d in dims else n for d, n in enumerate(shape))


def _without(shape, dims) -> tuple:
    return () if dims is None else tuple(n for d, n in enumerate(shape) if d not in dims)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ord-norm of the elements (along dim): torch.linalg.vector_norm."""
    if isinstance(ord, str) or not isinstance(ord, (int, float)):
        raise ArgumentError(f"vector_norm: ord must be a number or ±inf, got {ord!r}")
    if dtype is not None:
        x = x.to(dtype)
    dims = normalize_dims(dim, x.ndim, "vector_norm")
    dims = (0,) if dims == () else dims  # a 0-d input's only dim, as torch takes dim 0 / -1
    if x.ndim == 0:
        return VectorNorm.apply(x.reshape(1), ord=float(ord), dim=None, keepdim=False)
    return VectorNorm.apply(x, ord=float(ord), dim=dims, keepdim=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A matrix norm of the (dim[0], dim[1]) matrices: 'fro', 'nuc', ±1 (column sums),
    ±inf (row sums), ±2 (singular values): torch.linalg.matrix_norm."""
    rows, cols = normalize_dims(dim[0], A.ndim, "matrix_norm") + normalize_dims(
        dim[1], A.ndim, "matrix_norm"
    )
    if rows == cols:
        raise ArgumentError(f"matrix_norm: dim must name two different dims, got {dim}")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return vector_norm(A, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        rest = [d for d in range(A.ndim) if d not in (rows, cols)]
        singular = svdvals(A.permute(*rest, rows, cols))
        out = (
            singular.sum(-1)
            if ord == "nuc"
            else singular.max(-1)[0]
            if ord == 2
            else (singular.min(-1)[0])
        )
    elif ord in (1, -1, np.inf, -np.inf):
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(summed, keepdim=True)
        out = sums.max(over, keepdim=True)[0] if ord > 0 else sums.min(over, keepdim=True)[0]
        out = out.squeeze(max(rows, cols)).squeeze(min(rows, cols))
    else:
        raise ArgumentError(f"matrix_norm: ord must be 'fro', 'nuc', ±1, ±2 or ±inf, got {ord!r}")
    if keepdim:
        out = out.unsqueeze(min(rows, cols)).unsqueeze(max(rows, cols))
    return out


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a vector norm for one dim (or a 1-D input), a matrix norm for two
    dims (or a 2-D input with ord given); ord=None is the 2-norm of every element."""
    if dim is None:
        if ord is None:
            return vector_norm(A, 2, None, keepdim, dtype=dtype)
        if A.ndim not in (1, 2):
            raise ArgumentError(
                f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-D or 2-D, got "
                f"shape {tuple(A.shape)}. Pass dim."
            )
        dim = tuple(range(A.ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) == 1:
        return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    if len(dims) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    raise ArgumentError(f"linalg.norm: dim must have 1 or 2 dims, got {dim!r}")


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: the p-norm of all elements (p='fro': 2), or along dim; 'nuc' for the
    nuclear norm of matrices."""
    if p == "nuc":
        return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    p = 2 if p == "fro" else p
    if not isinstance(p, (int, float)) or p <= 0:
        raise ArgumentError(f"norm: p must be a positive number, 'fro', 'nuc' or inf, got {p!r}")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def frobenius_norm(input, dim, keepdim=False):
    """The 2-norm of the elements along one or two dims (torch.frobenius_norm, deprecated)."""
    warnings.warn(
        "at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will be "
        "removed in a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, "
        "keepdim)` instead",
        UserWarning,
        stacklevel=2,
    )
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(f"frobenius_norm: Expected at most 2 dimensions, but got {len(dims)} "
                           "dimensions instead.")  # fmt: skip
    if input.dtype.kind not in "fc":
        raise DtypeError(f"frobenius_norm: norm(): input dtype should be either floating point "
                         f"or complex. Got {input.dtype} instead.")  # fmt: skip
    return vector_norm(input, 2, dims, keepdim)


def nuclear_norm(input, dim=None, keepdim=False):
    """The sum of the singular values of the matrices over dim (default the last two):
    torch.nuclear_norm(input, keepdim=False) or (input, dim, keepdim=False); deprecated."""
    warnings.warn(
        "at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be "
        "removed in a future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, "
        "keepdim)` instead",
        UserWarning,
        stacklevel=2,
    )
    if isinstance(dim, bool):  # torch's overload without dim: (input, keepdim)
        dim, keepdim = None, dim
    if dim is not None and len(tuple(dim)) != 2:
        raise RuntimeError(f"nuclear_norm: linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


def matrix_rank(input, tol=None, symmetric=False, *, out=None):
    """Removed from torch (1.9); torch 2.13 keeps this name to say so, as here."""
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed.\nPlease use the "
        "`torch.linalg.matrix_rank` function instead. The parameter 'symmetric' was renamed in "
        "`torch.linalg.matrix_rank()` to 'hermitian'."
    )


class Einsum(Function):
    """A sum of products over named subscripts. The gradient of each operand is an einsum of
    the output's gradient and the other operands, back to that operand's subscripts."""

    node_name = "EinsumBackward0"
    symbol = "einsum"

    @staticmethod
    def forward(ctx, *operands, equation):
        ctx.save_for_backward(*operands)
        return np.asarray(np.einsum(equation, *operands, optimize=True))

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        inputs, output = ctx.options["equation"].split("->")
        terms = inputs.split(",")
        return tuple(
            _einsum_grad(k, terms, output, grad, operands) if need else None
            for k, need in enumerate(ctx.needs_input_grad)
        )


def _einsum_grad(k: int, terms: list, output: str, grad, operands):
    """d/d operand k: einsum of grad and the other operands to operand k's subscripts. A
    repeated subscript (a diagonal) takes an identity matrix; ones of operand k's shape
    supply what the others lack (a dim summed inside x only, or broadcast from size 1);
    the engine sums dims where x had size 1 and the others more."""
    term, x = terms[k], operands[k]
    names = [output] + [t for j, t in enumerate(terms) if j != k]
    tensors = [grad] + [o for j, o in enumerate(operands) if j != k]
    sizes = {c: n for name, t in zip(names, tensors) for c, n in zip(name, t.shape) if n != 1}
    sizes.update({c: 1 for name in names for c in name if c not in sizes})
    free = iter(c for c in string.ascii_letters if c not in "".join(terms) + output)
    target, lacking = "", False
    for c, n in zip(term, x.shape):
        if c in target:  # x[i, i]: the gradient lives on the diagonal
            fresh = next(free)
            names.append(c + fresh)
            tensors.append(np.eye(n, dtype=x.dtype))
            c = fresh
        else:
            lacking = lacking or c not in sizes or (sizes[c] != n and n != 1)
        target += c
    if lacking:
        names.append(target)
        tensors.append(np.ones(x.shape, dtype=x.dtype))
    return einsum(",".join(names) + "->" + target, *tensors)


def einsum(equation: str, *operands):
    """Sums of products over named subscripts, e.g. einsum("bij,bjk->bik", a, b); with
    "..." for batch dims (summed when the output leaves them out) and the output inferred
    when "->" is left out (as torch)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    terms, output = _einsum_terms(equation, operands)
    dtypes = {np.dtype(o.dtype) for o in operands}
    if len(dtypes) > 1:
        raise DtypeError(
            f"einsum: operands must have one dtype, got {sorted(map(str, dtypes))}. Convert "
            "them first, e.g. x.float()."
        )
    return Einsum.apply(*operands, equation=",".join(terms) + "->" + output)


def _einsum_terms(equation: str, operands) -> tuple:
    """The input terms and the output term with "..." written out as letters (batch dims
    aligned from the right, as NumPy broadcasts them), and torch's output when no "->" is
    given: the batch dims, then the subscripts seen once in alphabetical order."""
    lhs, arrow, output = equation.replace(" ", "").partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ArgumentError(
            f"einsum: {equation!r} has {len(terms)} operand terms but {len(operands)} "
            "operands were given"
        )
    batch = 0
    for term, x in zip(terms, operands):
        named = term.replace("...", "")
        if (
            any(c not in string.ascii_letters for c in named)
            or term.count("...") > 1
            or (len(named) != x.ndim if "..." not in term else len(named) > x.ndim)
        ):
            raise ArgumentError(
                f"einsum: the term {term!r} does not fit an operand of shape {tuple(x.shape)} "
                "(one letter per dim, letters a-z A-Z, at most one '...')"
            )
        batch = max(batch, x.ndim - len(named))
    letters = "".join(c for c in string.ascii_letters if c not in equation)[:batch]
    if not arrow:
        joined = lhs.replace("...", "").replace(",", "")
        output = "..." * ("..." in lhs) + "".join(
            sorted(c for c in set(joined) if joined.count(c) == 1)
        )
    spelled = [
        t.replace("...", letters[batch - (x.ndim - len(t.replace("...", ""))) :])
        for t, x in zip(terms, operands)
    ]
    return spelled, output.replace("...", letters)
