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
    "autodiff's sparse COO tensors support mm/matmul/@ with a dense matrix or vector "
    "(torch.spmm, torch.sparse.mm, torch.mv), dense + sparse (add_ too), multiplying or "
    "dividing by a number, sum() and sum over dims, t()/transpose/permute of the sparse dims, "
    "coalesce(), to_dense() and a dtype change; call .to_dense() first for anything else"
)

NO_NUMPY = "can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first."  # torch's


class SparseCOO:
    """A sparse COO tensor's array (see the module's docstring)."""

    __slots__ = ("indices", "values", "shape", "coalesced", "_layouts")

    def __init__(self, indices: np.ndarray, values: np.ndarray, shape: tuple, coalesced: bool):
        dtypes.USED.sparse = dtypes.USED.special = True  # Function.apply now looks for these
        self.indices, self.values = indices, values
        self.shape = tuple(int(n) for n in shape)
        self.coalesced = bool(coalesced)
        self._layouts = {}  # matmul's turns, per product direction (see _layout)

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
    if a.nnz == 0:  # nothing to sum or sort
        return SparseCOO(a.indices.copy(), a.values.copy(), a.shape, coalesced=True)
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


def matmul(a: SparseCOO, dense: np.ndarray, transpose: bool = False) -> np.ndarray:
    """a @ dense for a sparse matrix a (aᵀ @ dense with transpose: torch's a.t(), its index
    rows swapped, its values in stored order), as torch's CPU kernel: each output row starts
    at zero and takes its stored values' products one after another in stored order (a
    repeated index is not summed first), each a fused multiply-add: out_row = fma(value,
    dense_row, out_row). Vectorised over rows in turns, a few columns of dense at a time."""
    rows, cols = a.indices[::-1] if transpose else a.indices
    shape = (a.shape[1] if transpose else a.shape[0], dense.shape[1])
    out = np.zeros(shape, np.result_type(a.values, dense))
    if a.nnz == 0:
        return out
    positions, starts, row_order = _layout(a, rows, transpose)
    values, cols = a.values[positions], cols[positions]
    turns = _turns32 if out.dtype == np.float32 else _turns
    width = max(1, _SCRATCH // a.nnz)  # columns per pass: the gathered rows stay bounded
    for lo in range(0, shape[1], width):
        part = slice(lo, lo + width)
        out[row_order, part] = turns(values, dense[cols, part], starts)
    return out


def _layout(a: SparseCOO, rows: np.ndarray, transpose: bool) -> tuple:
    """_turn_major(rows), kept with a for its next product (a graph's adjacency meets every
    step) while its indices stay those it was made for (_indices() shares them)."""
    kept = a._layouts.get(transpose)
    if kept is None or not np.array_equal(kept[0], rows):
        kept = a._layouts[transpose] = (rows.copy(), _turn_major(rows))
    return kept[1]


def _turn_major(rows: np.ndarray) -> tuple:
    """A product's stored positions laid out turn after turn: turn k holds the k-th stored
    value of every row that has more than k, its rows always in one order (the longest
    first), so turn k's rows are a prefix of that order and its values a contiguous block,
    positions[starts[k]:starts[k + 1]]. Returns (positions, starts, row_order)."""
    lengths = np.bincount(rows)
    row_order = np.argsort(-lengths, kind="stable")[: np.count_nonzero(lengths)]
    slot = np.empty_like(lengths)
    slot[row_order] = np.arange(len(row_order))
    by_row = np.argsort(rows, kind="stable")
    rank = np.empty(len(rows), np.int64)  # how many values of its row come before it
    rank[by_row] = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions = np.lexsort((slot[rows], rank))
    starts = np.concatenate(([0], np.cumsum(np.bincount(rank))))
    return positions, starts, row_order


def _turns(values, gathered, starts) -> np.ndarray:
    """The rows' sums, in row_order: turn k adds values·gathered of its block into the first
    rows, each sum an exact fused multiply-add (cpu_math.fma)."""
    dtype = np.result_type(values, gathered)
    sums = np.zeros((starts[1], gathered.shape[1]), dtype)
    for k in range(len(starts) - 1):
        block, rows = slice(starts[k], starts[k + 1]), sums[: starts[k + 1] - starts[k]]
        cpu_math.fma(values[block, None], gathered[block], rows, out=rows)
    return sums


def _turns32(values, gathered, starts) -> np.ndarray:
    """_turns for float32 at two NumPy calls a turn (a long row means many turns: the weight
    gradient of a feature matrix): every product at once in float64, where it is exact (24 +
    24 bits); each turn adds it to the float32 sums there and rounds once. Rounding a rounded
    float64 sum again can differ from fma's one rounding only where it lies on a float32
    midpoint, so those few are checked afterwards against cpu_math.fma32, and any difference
    sends the whole product through _turns."""
    wide = values.astype(np.float64)[:, None] * gathered  # becomes each turn's float64 sums
    sums = np.zeros((starts[1], gathered.shape[1]), np.float32)
    for k in range(len(starts) - 1):
        block, rows = wide[starts[k] : starts[k + 1]], sums[: starts[k + 1] - starts[k]]
        np.add(rows, block, out=block)
        rows[...] = block
    if _rounded_twice(values, gathered, starts, wide):
        return _turns(values, gathered, starts)
    return sums


def _rounded_twice(values, gathered, starts, wide) -> bool:
    """Whether some turn's float64 sum, rounded to float32, is not fma's value: only a sum
    whose low 28 bits are zero and that is not a float32 itself can be (cpu_math.fma32's
    test); fma32 recomputes those from the sum before them."""
    flat = wide.reshape(-1)
    maybe = np.flatnonzero((flat.view(np.int64) & _LOW_28) == 0)
    maybe = maybe[flat[maybe].astype(np.float32) != flat[maybe]]
    if not len(maybe):
        return False
    at, column = np.divmod(maybe, wide.shape[1])
    turn = np.searchsorted(starts, at, side="right") - 1
    first = turn == 0
    before = np.where(first, 0, starts[turn - 1] + at - starts[turn])  # the row's sum before
    previous = np.where(first, 0.0, wide[before, column]).astype(np.float32)
    exact = cpu_math.fma32(values[at], gathered[at, column], previous)
    return bool(np.any(exact != flat[maybe].astype(np.float32)))


_SCRATCH = 1 << 21  # values gathered per pass of matmul (16 MiB in float64)
_LOW_28 = (1 << 28) - 1


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
