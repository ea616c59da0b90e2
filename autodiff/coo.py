"""A sparse COO tensor's array, as torch's layout=torch.sparse_coo: `indices` (int64, one row
per sparse dim, one column per stored value), `values` (one entry per column, each of the
dense dims' shape), the dense shape it stands for, and whether it is coalesced (indices
sorted row-major, none repeated; a repeated index means the sum of its values).

The array has a shape, a dtype and a size, but no elements: NumPy refuses it (its ufuncs,
its functions, np.asarray), and so does any attribute of an ndarray not listed here, so that
no op ever computes on it as if it were dense. The ops that know the layout are in
autodiff/sparse.py; Function.apply sends every op on such a tensor there.

The products are torch's CPU kernel: a sparse matrix times a dense one adds each stored
value's row of products into its output row one after another, in stored order, each rounded
once as its BLAS axpy rounds it (cpu_math.fma), so the results are torch's bit for bit."""

import numpy as np

from . import cpu_math, dtypes, printing

LAYOUT_HELP = (
    "autodiff's sparse COO tensors support mm/matmul/@ with a dense matrix (torch.spmm, "
    "torch.sparse.mm), dense + sparse, multiplying or dividing by a number, sum(), "
    "coalesce(), to_dense() and a dtype change; call .to_dense() first for anything else"
)

NO_NUMPY = "can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first."  # torch's


class SparseCOO:
    """A sparse COO tensor's array (see the module's docstring)."""

    __slots__ = ("indices", "values", "shape", "coalesced")

    def __init__(self, indices: np.ndarray, values: np.ndarray, shape: tuple, coalesced: bool):
        dtypes.USED.sparse = dtypes.USED.special = True  # Function.apply now looks for these
        self.indices, self.values = indices, values
        self.shape = tuple(int(n) for n in shape)
        self.coalesced = bool(coalesced) or indices.shape[1] <= 1  # as torch flags them

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self) -> int:
        return self.values.itemsize

    @property
    def sparse_dim(self) -> int:
        return len(self.indices)

    @property
    def nnz(self) -> int:
        return self.indices.shape[1]

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        raise TypeError(NO_NUMPY)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise NotImplementedError(
            f"NumPy's {ufunc.__name__} cannot compute on a sparse COO tensor: {LAYOUT_HELP}."
        )

    def __array_function__(self, func, types, args, kwargs):
        raise NotImplementedError(
            f"NumPy's {func.__name__} cannot compute on a sparse COO tensor: {LAYOUT_HELP}."
        )

    def __getattr__(self, name):  # an ndarray attribute a dense-only path asked for
        if name.startswith("__"):  # a protocol NumPy or Python probes for: not had
            raise AttributeError(name)
        raise NoDenseArray(
            f"a sparse COO tensor has no dense array (its {name!r} was asked for): {LAYOUT_HELP}."
        )


class NoDenseArray(NotImplementedError, AttributeError):
    """An ndarray attribute asked of a sparse tensor's array: not implemented for the layout,
    and an AttributeError too, so that getattr(x, name, default) still gives the default (the
    meta seam's probe of an op's options)."""


class ops:  # noqa: N801 (a namespace)
    """The ops that know the layout (autodiff/sparse.py, above the engine in the imports) put
    their dispatch here when they load, so that Function.apply can reach it."""

    @staticmethod
    def run(cls, args, options):
        raise NotImplementedError("sparse tensors need autodiff.sparse (import autodiff)")


def is_sparse(array) -> bool:
    return type(array) is SparseCOO


def among(args, options) -> bool:
    """Whether an op's inputs include a sparse tensor (only asked once one was made)."""
    for a in (*args, *options.values()):
        if type(getattr(a, "_data", a)) is SparseCOO:
            return True
    return False


# --- conversions -----------------------------------------------------------------------------
def from_dense(array: np.ndarray, sparse_dim: int) -> SparseCOO:
    """The nonzero entries of array's first sparse_dim dims (a slice of the rest is kept
    where any of its values is nonzero), coalesced: in row-major order, as torch's to_sparse."""
    nonzero = (array != 0).any(axis=tuple(range(sparse_dim, array.ndim)))
    where = np.nonzero(nonzero)
    return SparseCOO(np.array(where, np.int64), array[where], array.shape, coalesced=True)


def to_dense(a: SparseCOO) -> np.ndarray:
    """The dense array: each stored value added at its index, in index order (repeated
    indices sum, as torch's)."""
    out = np.zeros(a.shape, a.dtype)
    np.add.at(out, tuple(a.indices), a.values)
    return out


def coalesce(a: SparseCOO) -> SparseCOO:
    """a with sorted, unique indices, the values of a repeated index summed one after another
    in stored order: torch's roundings (its sort keeps that order for up to 16 stored values;
    beyond, equal indices may come in another order and the sums differ in the last bits)."""
    if a.coalesced:
        return a
    flat = np.ravel_multi_index(tuple(a.indices), a.shape[: a.sparse_dim])
    unique, slot = np.unique(flat, return_inverse=True)
    values = np.empty((len(unique),) + a.values.shape[1:], a.dtype)
    for k, take in enumerate(_in_turns(flat)):
        if k == 0:
            values[slot[take]] = a.values[take]  # copied: a lone -0.0 stays -0.0
        else:
            values[slot[take]] += a.values[take]
    indices = np.array(np.unravel_index(unique, a.shape[: a.sparse_dim]), np.int64)
    return SparseCOO(indices, values, a.shape, coalesced=True)


def transposed(a: SparseCOO) -> SparseCOO:
    """The transpose of a sparse matrix: its index rows swapped, its values in stored order
    (torch's t(): not coalesced)."""
    return SparseCOO(a.indices[::-1].copy(), a.values, a.shape[::-1], coalesced=False)


# --- torch's kernels: adding into a dense array, the product ---------------------------------
def add_into(out: np.ndarray, a: SparseCOO, alpha) -> None:
    """out += alpha·a in place, as torch's CPU kernel: a coalesced a adds alpha·value (two
    roundings) at each index; an uncoalesced one adds its values one after another in stored
    order, each fma(value, alpha, out) (one rounding)."""
    index = tuple(a.indices)
    if a.coalesced or alpha == 1:  # unique indices, or each step one rounding anyway
        np.add.at(out, index, a.values if alpha == 1 else a.values * alpha)
        return
    flat = np.ravel_multi_index(index, a.shape[: a.sparse_dim])
    for take in _in_turns(flat):
        at = tuple(i[take] for i in index)
        out[at] = cpu_math.fma(a.values[take], alpha, out[at])


def _in_turns(keys: np.ndarray):
    """Positions of keys in turns: each turn takes the next not yet taken position of every
    key, in stored order (the k-th of each key at the k-th turn), so that a turn never holds
    one key twice and each key's positions come in stored order."""
    by_key = np.argsort(keys, kind="stable")
    sorted_keys = keys[by_key]
    rank = np.arange(len(keys)) - np.searchsorted(sorted_keys, sorted_keys, side="left")
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2))
    for k in range(len(bounds) - 1):
        yield by_key[by_rank[bounds[k] : bounds[k + 1]]]


def matmul(a: SparseCOO, dense: np.ndarray) -> np.ndarray:
    """a @ dense for a sparse matrix a, as torch's CPU kernel: each output row starts at zero
    and takes its stored values' products one after another in stored order (a repeated index
    is not summed first), each a fused multiply-add: out_row = fma(value, dense_row, out_row).
    Vectorised over rows: turn k adds every row's k-th stored value."""
    shape, dtype = (a.shape[0], dense.shape[1]), np.result_type(a.values, dense)
    if a.nnz == 0:
        return np.zeros(shape, dtype)
    rows, cols = a.indices
    if dtype == np.float32:
        return _matmul32(a.values, rows, cols, dense, shape)
    out = np.zeros(shape, dtype)
    for take in _in_turns(rows):
        r = rows[take]
        out[r] = cpu_math.fma(a.values[take][:, None], dense[cols[take]], out[r])
    return out


def _matmul32(values, rows, cols, dense, shape) -> np.ndarray:
    """matmul's turns for float32 with a turn's few NumPy calls (a long row means many turns
    of a few values each: the weight gradient of a feature matrix): the sums kept in float64,
    each product exact there (24 + 24 bits) and each sum rounded to float32 (cpu_math.fma32's
    argument); a turn where a float64 sum may lie on a float32 midpoint goes through fma32."""
    wide_values, wide_dense = values.astype(np.float64)[:, None], dense.astype(np.float64)
    sums = np.zeros(shape, np.float64)  # float32 values, held in float64
    for take in _in_turns(rows):
        r = rows[take]
        total = wide_values[take] * wide_dense[cols[take]]
        total += sums[r]
        rounded = total.astype(np.float32)
        if _near_a_tie(total):  # rounding twice may differ from once: exactly
            rounded = cpu_math.fma32(values[take][:, None], dense[cols[take]], sums[r])
        sums[r] = rounded
    return sums.astype(np.float32)


def _near_a_tie(sums: np.ndarray) -> bool:
    """Whether a float64 sum may round to float32 otherwise than its exact value: it lies on a
    float32 midpoint of normal floats (a one, then 28 zeros, in the bits a float32 drops), or
    in the subnormal range, where a float32 drops more bits."""
    midpoint = (sums.view(np.int64) & _DROPPED) == _HALF
    tiny = (np.abs(sums) < _SMALLEST_NORMAL) & (sums != 0)
    return bool(midpoint.any() or tiny.any())


_DROPPED, _HALF = (1 << 29) - 1, 1 << 28  # the float64 bits below a float32's, and its half
_SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)


# --- printing --------------------------------------------------------------------------------
def repr_of(a: SparseCOO) -> str:
    """torch's repr: the indices and values tensors, then size, nnz, the dtype where a dense
    tensor's repr would show it, and the layout."""
    tail = [f"size={tuple(a.shape)}", f"nnz={a.nnz}"]
    if a.dtype not in (dtypes.get_default_dtype().dtype, np.int64, np.bool_):
        tail.append(f"dtype={dtypes.of(a.dtype)!r}")
    tail.append("layout=torch.sparse_coo")
    indices = _inner(a.indices, len("tensor(indices="))
    values = _inner(a.values, len("       values="))
    return f"tensor(indices={indices},\n       values={values},\n       {', '.join(tail)})"


def _inner(array: np.ndarray, indent: int) -> str:
    """One of the two tensors inside the repr: its values only (no dtype), indented to sit
    after its label; an empty one shows its size."""
    if array.size == 0:
        return f"tensor([], size={tuple(array.shape)})"
    return "tensor(" + printing.array_str(array, indent + len("tensor(")) + ")"
