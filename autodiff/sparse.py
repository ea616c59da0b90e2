"""Sparse COO tensors (torch.sparse_coo_tensor, Tensor.to_sparse) and torch.sparse's mm and
sum: what graph networks (pytorch/examples' gcn and gat) do with an adjacency matrix. The
array is autodiff/coo.py's; the ops here are the ones torch's layout has that such
programs use, and Function.apply sends every op on a sparse tensor to run() below, which
refuses any other with torch's words and what to do.

A sparse tensor takes no gradient itself (requires_grad is refused, not ignored); a dense
matrix multiplied by one, or added to one, gets its gradient as in torch, bit for bit."""

import numbers
import re
import warnings

import numpy as np

from . import cascade, coo, dtypes, tracing
from .device import CPU, check
from .errors import DtypeError, ShapeError
from .function import Function
from .tensor import Tensor

__all__ = [
    "BFloat16Tensor",
    "ByteTensor",
    "CharTensor",
    "DoubleTensor",
    "FloatTensor",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
    "mm",
    "sum",
]

_warned = set()  # the warnings given: torch gives each once a process


class SparseMm(Function):
    """sparse @ dense (sparse_first) or dense @ sparse: a dense result, a gradient for the
    dense matrix only. The sparse matrix is an option (a constant of the op)."""

    node_name = "MmBackward0"
    symbol = "@"
    takes_sparse = True

    @staticmethod
    def forward(ctx, dense, sparse, sparse_first, transpose=False):
        if dense.ndim == 1:  # torch.mv: the vector as one column, torch's node for it
            ctx.node_name = "MvBackward0"
            return coo.matmul(sparse, dense[:, None], transpose)[:, 0]
        if sparse_first:  # sparse (or its transpose) @ dense
            return coo.matmul(sparse, dense, transpose)
        return np.ascontiguousarray(coo.matmul(sparse, dense.T, not transpose).T)

    @staticmethod
    def backward(ctx, grad):
        # torch: d(S @ D)/dD = Sᵀ @ grad, d(D @ S)/dD = grad @ Sᵀ, each its sparse kernel
        options = ctx.options
        return SparseMm.apply(
            grad,
            sparse=options["sparse"],
            sparse_first=options["sparse_first"],
            transpose=not options.get("transpose", False),
        )


class AddSparse(Function):
    """dense + alpha·sparse: a dense result (coo.add_into: torch's roundings), the
    gradient passing to the dense operand."""

    node_name = "AddBackward0"
    symbol = "+"
    takes_sparse = True

    @staticmethod
    def forward(ctx, dense, sparse, alpha):
        dense, values = dtypes.promote(dense, sparse.values)
        out = np.array(dense)  # a copy (the shapes are equal: no broadcasting, as torch)
        coo.add_into(
            out, coo.SparseCOO(sparse.indices, values, sparse.shape, sparse.coalesced), alpha
        )
        return out

    @staticmethod
    def backward(ctx, grad):
        return (grad,)


# --- making and reading sparse tensors -------------------------------------------------------
def sparse_coo_tensor(
    indices,
    values,
    size=None,
    *,
    dtype=None,
    device=None,
    requires_grad=False,
    check_invariants=None,
    is_coalesced=None,
    pin_memory=False,
):
    """torch.sparse_coo_tensor: values at indices (sparse_dim x nnz integers) of a tensor of
    size (by default one past the largest index of each sparse dim, then the values' dense
    dims). Indices are always checked against size (torch checks only when asked; here an
    index out of range is an error, never memory read out of bounds)."""
    if check(device, "sparse_coo_tensor") != CPU or pin_memory:
        raise NotImplementedError(
            "sparse_coo_tensor: sparse tensors live in the CPU's ordinary memory only (no other "
            "device, no pinned memory)."
        )
    _refuse_grad(requires_grad, "sparse_coo_tensor")
    if check_invariants is None and "invariants" not in _warned:
        _warned.add("invariants")
        warnings.warn(
            "Sparse invariant checks are implicitly disabled. Memory errors (e.g. SEGFAULT) "
            "will occur when operating on a sparse tensor which violates the invariants, but "
            "checks incur performance overhead. To silence this warning, explicitly opt in or "
            "out. See `torch.sparse.check_sparse_tensor_invariants.__doc__` for guidance.",
            UserWarning,
            stacklevel=2,
        )
    return _made(indices, values, size, dtype, is_coalesced)


def _made(indices, values, size, dtype=None, is_coalesced=None) -> Tensor:
    """sparse_coo_tensor's tensor, its arguments checked."""
    index = np.asarray(_array(indices) if isinstance(indices, Tensor) else indices)
    value = np.asarray(_array(values) if isinstance(values, Tensor) else values)
    if not isinstance(values, Tensor | np.ndarray) and value.dtype == np.float64:
        value = value.astype(dtypes.get_default_dtype().dtype)  # Python floats: the default
    if dtype is not None:
        value = dtypes.cast(value, dtypes.as_dtype(dtype, "sparse_coo_tensor"))
    if index.ndim != 2 or index.dtype.kind not in "iu":
        raise ShapeError(
            "sparse_coo_tensor: indices must be a 2-D integer tensor (sparse_dim x nnz), got "
            f"shape {index.shape} of dtype {index.dtype}."
        )
    if value.ndim == 0 or len(value) != index.shape[1]:
        raise ShapeError(
            f"sparse_coo_tensor: indices and values must have same nnz, but got nnz from "
            f"indices: {index.shape[1]}, nnz from values: {len(value) if value.ndim else 0} "
            "(values needs one entry, along its first dim, per index column)"
        )
    index = index.astype(np.int64)
    shape = _shape(index, value, size)
    coalesced = bool(is_coalesced) or index.shape[1] <= 1  # as torch flags a new tensor
    return Tensor._make(coo.SparseCOO(index, value, shape, coalesced))


def _shape(index: np.ndarray, value: np.ndarray, size) -> tuple:
    sparse_dim = len(index)
    if size is None:
        top = index.max(axis=1) + 1 if index.shape[1] else np.zeros(sparse_dim, np.int64)
        return tuple(int(n) for n in top) + value.shape[1:]
    shape = tuple(int(n) for n in size)
    if shape[sparse_dim:] != value.shape[1:] or len(shape) < sparse_dim:
        raise ShapeError(
            f"sparse_coo_tensor: size {shape} does not fit {sparse_dim} sparse dims with values "
            f"of shape {value.shape} (the dims after the sparse ones are the values' own)."
        )
    if index.shape[1] and ((index < 0).any() or (index.max(axis=1) >= shape[:sparse_dim]).any()):
        raise ShapeError(
            f"sparse_coo_tensor: an index is out of range for size {shape} (indices span "
            f"{index.min(axis=1).tolist()} to {index.max(axis=1).tolist()})."
        )
    return shape


class SparseTensorType(type):
    """torch.sparse.FloatTensor and the other legacy constructors, which older graph network
    code still uses: (indices, values[, size]) or a size; deprecated, as in torch. The values
    keep their dtype (torch's behaviour); isinstance asks for a sparse tensor of the type's."""

    def __instancecheck__(cls, obj) -> bool:
        return _is_sparse(obj) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None) -> Tensor:
        if check(device, cls.__name__) != CPU:
            raise RuntimeError(
                f"legacy constructor expects device type: cpu but device type: {device} was passed"
            )
        if len(args) in (2, 3) and all(isinstance(a, Tensor) for a in args[:2]):
            form = "indices, values, shape" if len(args) == 3 else "indices, values"
            _deprecated(f"{form}, *, device=", f"{form}, dtype=, device=")
            if args[0].dtype != dtypes.int64:
                raise RuntimeError("indices must be an int64 tensor")
            indices, values, *size = args
            return _made(indices, values, size[0] if size else None)
        if len(args) == 1 and isinstance(args[0], tuple | list):
            raise TypeError(  # torch's words
                "torch.sparse.SparseTensor(sequence) only accepts sizes.  Please use "
                "torch.sparse_coo_tensor() or construct a strided tensor and convert it to "
                "sparse via to_sparse."
            )
        if not all(isinstance(n, numbers.Integral) for n in args):
            raise TypeError(
                f"{cls!r}: expects (indices: Tensor, values: Tensor[, size]) or a size, got "
                f"({', '.join(type(a).__name__ for a in args)})."
            )
        if args:
            _deprecated("shape, *, device=", "shape, dtype=, device=")
        else:
            _deprecated("", "(0,), dtype=")
        shape = tuple(int(n) for n in args) or (0,)
        empty = np.zeros((len(shape), 0), np.int64)
        return Tensor._make(coo.SparseCOO(empty, np.zeros(0, cls.dtype), shape, True))

    def __repr__(cls) -> str:
        return f"<class 'torch.sparse.{cls.__name__}'>"


def _deprecated(old: str, new: str) -> None:
    """torch's deprecation warning of a legacy constructor's form, once a process each."""
    if old in _warned:
        return
    _warned.add(old)
    warnings.warn(
        f"torch.sparse.SparseTensor({old}) is deprecated.  Please use "
        f"torch.sparse_coo_tensor({new}).",
        UserWarning,
        stacklevel=3,
    )


def _legacy(name: str, dtype) -> SparseTensorType:
    return SparseTensorType(name, (), {"dtype": dtype, "is_cuda": False, "is_sparse": True})


FloatTensor = _legacy("FloatTensor", dtypes.float32)
DoubleTensor = _legacy("DoubleTensor", dtypes.float64)
HalfTensor = _legacy("HalfTensor", dtypes.float16)
BFloat16Tensor = _legacy("BFloat16Tensor", dtypes.bfloat16)
LongTensor = _legacy("LongTensor", dtypes.int64)
IntTensor = _legacy("IntTensor", dtypes.int32)
ShortTensor = _legacy("ShortTensor", dtypes.int16)
CharTensor = _legacy("CharTensor", dtypes.int8)
ByteTensor = _legacy("ByteTensor", dtypes.uint8)


def to_sparse(input: Tensor, sparse_dim=None) -> Tensor:
    """Tensor.to_sparse: the nonzero entries of the first sparse_dim dims (all by default)."""
    if _is_sparse(input):
        return input
    _refuse_grad(input.requires_grad, "to_sparse")
    n = input.ndim if sparse_dim is None else int(sparse_dim)
    if not 0 < n <= input.ndim:
        raise ShapeError(
            f"to_sparse: sparse_dim must be between 1 and {input.ndim} for a tensor of shape "
            f"{tuple(input.shape)}, got {sparse_dim}."
        )
    return Tensor._make(coo.from_dense(_array(input, "to_sparse()"), n))


def to_dense(input: Tensor) -> Tensor:
    """Tensor.to_dense: a new dense tensor (a dense one is returned as it is)."""
    if not _is_sparse(input):
        return input
    return Tensor._make(coo.to_dense(_array(input)))


def coalesce(input: Tensor) -> Tensor:
    return Tensor._make(coo.coalesce(_sparse_only(input, "coalesce")))


def stored(input: Tensor, part: str, coalesced_only: bool = True) -> Tensor:
    """Tensor.indices / values (coalesced tensors only, as torch) and _indices / _values: the
    stored array `part` ("indices" or "values"), shared."""
    a = _sparse_only(input, part)
    if coalesced_only and not a.coalesced:
        raise RuntimeError(
            f"Cannot get {part} on an uncoalesced tensor, please call .coalesce() first"
        )
    return Tensor._make(getattr(a, part))


def _array(t: Tensor, what: str = "a sparse tensor's arrays"):
    """t's array (a dense one, or a sparse one's indices and values), announced: a replay of
    ad.compile would not read it again, so a trace refuses it (tracing.read)."""
    tracing.read(t, what)
    return t._data


def _is_sparse(value) -> bool:
    return isinstance(value, Tensor) and coo.is_sparse(_array(value))


def _sparse_only(input: Tensor, op: str) -> coo.SparseCOO:
    if not coo.is_sparse(_array(input)):
        raise RuntimeError(
            f"{op} expected sparse coordinate tensor layout but got Strided (make one with "
            ".to_sparse() or torch.sparse_coo_tensor)"
        )
    return _array(input)


def _refuse_grad(flag, op: str) -> None:
    if flag:
        raise NotImplementedError(
            f"{op}: autodiff's sparse tensors take no gradient themselves (a dense matrix "
            "multiplied by or added to one does); keep the tensor dense to train its values."
        )


# --- torch.sparse ----------------------------------------------------------------------------
def mm(mat1, mat2) -> Tensor:
    """torch.sparse.mm (and torch.spmm): a sparse matrix times a dense one, or the reverse."""
    from .ops import mm as product

    return product(mat1, mat2)


def sum(input, dim=None, dtype=None) -> Tensor:  # noqa: A001 (torch.sparse.sum)
    """torch.sparse.sum: over all elements (a dense 0-d tensor), or over dims (sparse while a
    sparse dim is left)."""
    from .ops import sum as total

    return total(input, dim) if dtype is None else total(input, dim, dtype=dtype)


# --- the ops a sparse tensor reaches (Function.apply sends them here) ------------------------
def run(cls, args, options):
    """The op cls on inputs that include a sparse tensor: its sparse form, or torch's
    refusal with what to do."""
    handler = _handlers().get(cls.__name__)
    if handler is None:
        name = re.sub(r"Backward\d*$", "", cls.node_name or cls.__name__).lower()
        raise NotImplementedError(
            f"Could not run 'aten::{name}' with arguments from the 'SparseCPU' backend: "
            f"{coo.LAYOUT_HELP}."
        )
    return handler(*args, **options)


def _handlers() -> dict:
    return {
        "Matmul": _matmul,
        "Add": _add,
        "Mul": lambda input, other: _scaled(input, other, np.multiply, "mul"),
        "Div": lambda input, other: _scaled(input, other, np.true_divide, "div"),
        "Neg": lambda input: _with_values(input, -_array(input).values),
        "Sum": _sum,
        "Transpose": _transpose,
        "T": _transpose,
        "Permute": _permute,
        "ToCopy": lambda input, dtype: _with_values(
            input, dtypes.cast(_array(input).values, dtype)
        ),
        "Clone": lambda input, memory_format=None: _with_values(input, _array(input).values.copy()),
    }


def _matmul(input, other):
    a, b = (_array(t) if isinstance(t, Tensor) else np.asarray(t) for t in (input, other))
    if coo.is_sparse(a) and coo.is_sparse(b):
        raise NotImplementedError(f"sparse @ sparse is not supported here: {coo.LAYOUT_HELP}.")
    sparse, dense = (a, other) if coo.is_sparse(a) else (b, input)
    if sparse.ndim != 2 or sparse.sparse_dim != 2 or np.ndim(dense) not in (1, 2):
        raise ShapeError(
            f"mm with a sparse tensor: a matrix with 2 sparse dims and a dense matrix or "
            f"vector, got shapes {tuple(a.shape)} and {tuple(b.shape)}."
        )
    if sparse.dtype != dense.dtype:
        raise DtypeError(
            f"mm: expected mat1 and mat2 to have the same dtype, but got: {dtypes.of(a.dtype)} "
            f"!= {dtypes.of(b.dtype)}. Convert one with .to(other.dtype)."
        )
    if np.ndim(dense) == 1 and not coo.is_sparse(a):  # vector @ sparse: as torch, a row
        out = SparseMm.apply(dense.unsqueeze(0), sparse=sparse, sparse_first=False).squeeze(0)
        if out.grad_fn is not None:
            out.grad_fn.node_name = "SqueezeBackward4"  # torch's squeeze of a list of dims
        return out
    return SparseMm.apply(dense, sparse=sparse, sparse_first=coo.is_sparse(a))


def _add(input, other, alpha=1):
    if _is_sparse(input):
        if _is_sparse(other):
            raise NotImplementedError(f"sparse + sparse is not supported here: {coo.LAYOUT_HELP}.")
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
    _same_shape(input.shape if isinstance(input, Tensor) else np.shape(input), other.shape)
    return AddSparse.apply(input, sparse=_array(other), alpha=alpha)


def _same_shape(a, b) -> None:
    if tuple(a) != tuple(b):
        raise ShapeError(
            f"add with a sparse tensor: shapes must be equal (no broadcasting), got {tuple(a)} "
            f"and {tuple(b)}."
        )


def _scaled(input, other, ufunc, op):
    """sparse * number, sparse / number: the values scaled, the indices kept."""
    number = other.item() if isinstance(other, Tensor) and other.ndim == 0 else other
    if not _is_sparse(input) or not isinstance(number, numbers.Number):
        raise NotImplementedError(
            f"{op} with a sparse tensor: only sparse {'*' if op == 'mul' else '/'} a number is "
            f"supported here ({coo.LAYOUT_HELP})."
        )
    values, number = dtypes.promote(_array(input).values, number, divide=ufunc is np.true_divide)
    return _with_values(input, ufunc(values, number))


def _sum(input, dim, keepdim, dtype=None):
    """sum() (a dense 0-d tensor, of the coalesced values) and sum over dims, as torch: the
    dense dims summed in the values, the sparse ones dropped from the indices and the values
    of an index that then repeats summed in stored order (coalesce); a dense result once no
    sparse dim is left."""
    if keepdim:
        raise NotImplementedError(
            "sum of a sparse tensor with keepdim=True is not supported here; sum the dense "
            "tensor (input.to_dense().sum(dim, keepdim=True))."
        )
    if dim is None:  # as torch: a repeated index's values first, then its sum's order
        values = coo.coalesce(_array(input)).values
        values = values if dtype is None else dtypes.cast(values, dtype)
        return Tensor._make(np.asarray(cascade.reduce_sum(values, None, False)))
    a = _array(input)
    n, values = a.sparse_dim, a.values if dtype is None else dtypes.cast(a.values, dtype)
    dense_axes = tuple(d - n + 1 for d in dim if d >= n)
    values = np.add.reduce(values, axis=dense_axes) if dense_axes else values
    kept = [d for d in range(n) if d not in dim]
    if not kept:  # every sparse dim: the stored values' sum, as they are, in torch's order
        return Tensor._make(np.asarray(cascade.reduce_sum(values, (0,), False)))
    shape = tuple(m for d, m in enumerate(a.shape) if d not in dim)
    return Tensor._make(coo.coalesce(coo.SparseCOO(a.indices[kept], values, shape, False)))


def _transpose(input, dim0, dim1):
    """t() and transpose of two sparse dims (or of two dense ones): torch's result, the index
    rows swapped, the values in stored order, not coalesced."""
    dims = list(range(input.ndim))
    dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return _permute(input, tuple(dims), "transpose")


def _permute(input, dims, op="permute"):
    """The sparse dims reordered among themselves, the dense dims among themselves."""
    a = _array(input)
    n = a.sparse_dim
    if sorted(dims[:n]) != list(range(n)):
        raise RuntimeError(
            f"sparse {op}: transposed dimensions must be sparse, or both dense (sparse_dim "
            f"{n}, dims {dims}); call .to_dense() first to mix them."
        )
    if list(dims) == list(range(a.ndim)):
        return input
    values = a.values.transpose(0, *(d - n + 1 for d in dims[n:]))
    shape = tuple(a.shape[d] for d in dims)
    coalesced = op == "transpose" and a.nnz == 0  # torch's flags (t() of one value: False)
    return Tensor._make(coo.SparseCOO(a.indices[list(dims[:n])], values, shape, coalesced))


def _with_values(input, values) -> Tensor:
    a = _array(input)
    return Tensor._make(coo.SparseCOO(a.indices, np.asarray(values), a.shape, a.coalesced))


coo.ops.run = staticmethod(run)  # Function.apply's way here (coo.ops)
