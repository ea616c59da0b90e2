"""The op table (TESTING.md): one row per op drives every generic test.

A row knows our function, a NumPy float64 reference, the torch twin, its arity, the
value domain of each input, its kinks, whether values must be tie-free, a strategy for
shapes and keyword arguments, PyTorch's node name, whether second order is checked and
any tolerance override with its reason. Adding an op adds a row.
"""

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from opcases import (  # issue 22
    TENSOR_INVERTIBLE,
    TENSOR_SYSTEMS,
    _flattens,
    _index_name,
    _matmul_name,
    _named,
    _no,
    _not_reshaped,
    _np_add_product,
    _np_block_diag,
    _np_cartesian,
    _np_cdist,
    _np_cholesky_of_gram,
    _np_column_stack,
    _np_combinations,
    _np_eigh_parts,
    _np_einsum,
    _np_expm,
    _np_householder_product,
    _np_index_add,
    _np_inner,
    _np_logsumexp,
    _np_lstsq,
    _np_lu_packed,
    _np_lu_parts,
    _np_lu_solve,
    _np_max_dim,
    _np_norm,
    _np_ormqr,
    _np_prod,
    _np_qr_parts,
    _np_reduce,
    _np_renorm,
    _np_scatter,
    _np_scatter_add,
    _np_softmax,
    _np_solve,
    _np_solve_triangular,
    _np_svd_parts,
    _np_take_along_dim,
    _np_tensordot,
    _np_topk,
    _np_trapezoid,
    _np_vander,
    _np_var,
    _np_vector_norm,
    _one_proper_slice_or_int,
    _prod_name,
    _squeeze_name,
    _torch_dtype,
    _torch_index,
    _torch_norm,
    _torch_prod,
    _torch_sum_float64,
    _torch_where,
    _whole_or_dims,
    add_product_case,
    addr_case,
    advanced_index_case,
    any_matrix_case,
    apart,
    away,
    basic_index_case,
    blocks_case,
    cat_case,
    cdist_case,
    cholesky_solve_case,
    clamp_case,
    clamp_prepare,
    columns_case,
    combinations_case,
    cond_case,
    cov_case,
    cross_case,
    diag_case,
    diagonal_case,
    diagonal_scatter_case,
    dim_case,
    dist_case,
    dist_prepare,
    distinct_magnitudes,
    distinct_sums,
    einsum_case,
    elementwise,
    expand_case,
    flatten_case,
    flip_case,
    float_arrays,
    gather_case,
    householder_case,
    index_add_case,
    index_copy_case,
    index_fill_case,
    index_put_case,
    index_select_case,
    inner_case,
    interleave,
    kron_case,
    legacy_triangular_case,
    lstsq_case,
    lu_ready,
    lu_solve_case,
    mask_case,
    masked_fill_case,
    masked_scatter_case,
    masked_select_case,
    matmul_shapes,
    matrices_case,
    movedim_case,
    narrow_case,
    norm_case,
    np_quantile,
    np_scatter_reduce,
    one_shape,
    ormqr_case,
    permute_case,
    quantile_case,
    reduction,
    renorm_case,
    renorm_prepare,
    repeat_case,
    repeat_interleave_case,
    reshape_case,
    roll_case,
    rot90_case,
    scatter_add_case,
    scatter_case,
    scatter_reduce_case,
    select_case,
    select_scatter_case,
    slice_scatter_case,
    softmax_case,
    sort_case,
    spread,
    spread_first,
    spread_singular_values,
    square_case,
    squeeze_case,  # fmt: skip
    stack_along_case,
    symmetric_spread,
    take_along_dim_case,
    tall_case,
    tensor_well_conditioned,
    tensordot_case,
    tile_case,
    topk_case,
    transpose_case,
    trapezoid_case,
    triangular_case,
    unary,
    uncorrelated,
    unsqueeze_case,
    vander_case,
    vector_norm_case,
    vectors_case,
    well_conditioned,
    where_case,
)

import autodiff as ad

VARIADIC = -1


@dataclass(frozen=True)
class Op:
    name: str
    fn: Callable  # (*tensors, **kwargs) -> Tensor
    ref: Callable  # (*float64 arrays, **kwargs) -> ndarray
    torch_fn: Callable  # (*torch tensors, **kwargs) -> torch.Tensor
    arity: int  # number of tensor inputs (VARIADIC for cat/stack)
    cases: st.SearchStrategy  # (input shapes, kwargs)
    node: object  # PyTorch's grad_fn name, or a function (shapes, kwargs) -> name
    domains: tuple = ((-3.0, 3.0),)  # one (lo, hi) per input; the last one repeats
    kinks: tuple = ()  # every input keeps at least `gap` away from these
    gap: float = 1e-3
    tie_free: bool = False  # values spread apart (max, min)
    prepare: Callable | None = None  # (arrays, kwargs) -> arrays: kinks that depend on both
    second_order: bool = True
    gradgrad: bool = False  # also run the (slower) gradgradcheck
    torch_second_order: bool = True  # False where torch's own double backward is NaN
    saves: bool = True  # saves values: a second backward without retain_graph must raise
    torch_edges: bool = True  # next_functions match torch's edge for edge
    rtol: float = 1e-5
    atol: float = 1e-7
    tol_reason: str = ""
    torch_rtol: float = 1e-10  # gradients against torch's (second order: 10x, at least 1e-9)
    torch_value_rtol: float = 1e-12  # values against torch's, where torch's own are less exact
    empty: tuple | None = None  # (shapes, kwargs) of a zero-size case; None: torch refuses
    torch_named: Callable | None = None  # (shapes, kwargs) -> whether torch's top node is ours
    covers: tuple = ()  # public names this row checks besides its own: ad.X / Tensor.X, linalg.X

    def node_name(self, shapes, kwargs) -> str:
        return self.node(shapes, kwargs) if callable(self.node) else self.node

    def same_name_as_torch(self, shapes, kwargs) -> bool:
        return self.torch_named is None or self.torch_named(shapes, kwargs)

    def domain(self, i: int) -> tuple:
        return self.domains[min(i, len(self.domains) - 1)]

    def __repr__(self):  # pytest ids
        return self.name


@st.composite
def case(draw, op: Op, shapes_kwargs=None):
    """(float64 input arrays, kwargs) for a row, inside its domains and away from kinks."""
    shapes, kwargs = draw(op.cases) if shapes_kwargs is None else shapes_kwargs
    arrays = []
    for i, s in enumerate(shapes):
        a = away(draw(float_arrays(s, op.domain(i))), op.kinks, op.gap)
        arrays.append(spread(a) if op.tie_free else a)
    if op.prepare is not None:
        arrays = op.prepare(arrays, kwargs)
    return [np.asarray(a, dtype=np.float64) for a in arrays], kwargs


POS = (0.1, 3.0)
ROUNDING = tuple(k / 2 for k in range(-7, 8))  # integers and halves: where rounding jumps
F32 = np.float32
_EMPTY1 = (((0, 3),), {})
_EMPTY2 = (((0, 3), (3,)), {})


def _torch():
    import torch

    return torch


def _np_diag_embed(a, offset):
    n = a.shape[-1] + abs(offset)
    out = np.zeros(a.shape[:-1] + (n, n))
    for i in range(a.shape[-1]):
        out[..., i + max(-offset, 0), i + max(offset, 0)] = a[..., i]
    return out


def _select_name(shapes, kwargs) -> str:
    return "SelectBackward0" if kwargs["dim"] % len(shapes[0]) == 0 else "SliceBackward0"


def _solve_name(shapes, kwargs) -> str:
    a, b = shapes
    vector = len(b) == 1 or (len(b) == len(a) - 1 and tuple(b) == tuple(a[:-1]))
    return "SqueezeBackward1" if vector else "LinalgSolveExBackward0"


def _torch_cond(a, p):
    """torch.linalg.cond, written out for the norms whose backward fails in torch 2.13 (its
    nan_to_num_ writes into the inverse that inv's backward saved); the same values
    (test_linalg_factorizations.py compares them with torch.linalg.cond itself)."""
    linalg = _torch().linalg
    if p in (None, 2, -2, "nuc"):
        return linalg.cond(a, p)
    return (linalg.matrix_norm(a, p) * linalg.matrix_norm(linalg.inv(a), p)).nan_to_num(np.inf)


def _factor(a, upper):
    """The Cholesky factor of _gram(a) in either library (upper: its transpose)."""
    lib = ad if isinstance(a, ad.Tensor) else _torch()
    L = lib.linalg.cholesky(_gram(a))
    return L.mT if upper else L


def _np_gram(a):
    return a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])


def _np_triangular_solve(b, a, upper, transpose, unitriangular):
    a = np.swapaxes(a, -1, -2) if transpose else a
    return _np_solve_triangular(a, b, upper != transpose, True, unitriangular)


def _conditioned_second(arrays, kwargs):
    """well_conditioned for the matrix in second place (torch.triangular_solve's A)."""
    return [arrays[0], well_conditioned([arrays[1]], kwargs)[0]]


def _cond_name(shapes, kwargs) -> str:
    p = kwargs["p"]
    if p in (None, 2, -2):
        return "SqueezeBackward1"
    return "MulBackward0" if p == "nuc" else "NanToNumBackward0"


def _matrix_norm_name(shapes, kwargs) -> str:
    ord = kwargs["ord"]
    if ord == "fro":
        return "LinalgVectorNormBackward0"
    if ord == "nuc":
        return "SumBackward1"
    return (
        "SqueezeBackward1"
        if ord in (1, -1, np.inf, -np.inf)
        else "MaxBackward0"
        if ord == 2
        else "MinBackward0"
    )


def _fro(shapes, kwargs) -> bool:
    return kwargs["ord"] == "fro"


def _gram(a):
    """a aᵀ + n I: symmetric positive-definite for any a (both libraries)."""
    n = a.shape[-1]
    eye = (
        ad.eye(n, dtype=ad.float64) if isinstance(a, ad.Tensor) else _torch().eye(n, dtype=a.dtype)
    )
    return a @ a.mT + n * eye


def _flat_parts(parts):
    cat = ad.cat if isinstance(parts[0], ad.Tensor) else _torch().cat
    return cat([p.reshape(-1) for p in parts])


def _svd_parts(usv):
    U, S, Vh = usv
    return _flat_parts([U * U, S, Vh * Vh])


def _like(shape):
    """A target tensor of this shape in either library (expand_as, reshape_as, view_as)."""
    return lambda a: (ad if isinstance(a, ad.Tensor) else _torch()).zeros(shape, dtype=a.dtype)


def _np_reshaped(a, shape):
    return np.empty(a.shape).reshape(shape).shape


def _split_case(draw_chunks):
    return dim_case(min_dims=1).flatmap(lambda c: st.integers(1, 3).map(
        lambda n: (c[0], {**c[1], draw_chunks: n})))  # fmt: skip


def _np_pieces(a, size, dim):
    """torch.split's pieces of `size` along dim (the last may be shorter), flattened."""
    n = a.shape[dim]
    return [np.take(a, range(i, min(i + size, n)), axis=dim) for i in range(0, n, size)]


def _np_chunks(a, chunks, dim):
    return _np_pieces(a, -(-a.shape[dim] // chunks), dim)


def _np_flat(parts):
    return np.concatenate([np.reshape(p, -1) for p in parts])


def _matrix_power_name(shapes, kwargs) -> str:
    n = kwargs["n"]
    if n in (0, 1, -1):
        return {0: "AddBackward0", 1: "CloneBackward0", -1: "LinalgInvExBackward0"}[n]
    return "MmBackward0" if len(shapes[0]) == 2 else "BmmBackward0"


def _np_svd_v_parts(a):
    """torch.svd's (U, S, V), V = Vh's transpose, as _svd_parts flattens them."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    v = np.swapaxes(vh, -1, -2)
    return np.concatenate([(u * u).reshape(-1), s.reshape(-1), (v * v).reshape(-1)])


def _eigh_parts(lib, a):
    """eigh of the symmetric a + aᵀ: eigenvalues and the squared eigenvectors (their signs
    are LAPACK's choice), flattened."""
    values, vectors = lib.linalg.eigh(a + a.mT)
    return _flat_parts([values, vectors * vectors])


def _atleast_name(name: str, shapes) -> str:
    """atleast_Nd's node: a view of a 0-d tensor, else unsqueezes."""
    return "ViewBackward0" if len(shapes[0]) == 0 else "UnsqueezeBackward0"


def _tensordot_as_torch(shapes, kwargs) -> bool:
    """Where torch's tensordot records mm under its view as ours: a matrix results, and no
    contracted size is 1 (torch sums such dims first; and where one number results it
    multiplies and sums, or calls dot)."""
    a, b = shapes
    dims = kwargs["dims"]
    dims_a = range(len(a) - dims, len(a)) if isinstance(dims, int) else dims[0]
    contracted = [a[d] for d in dims_a]
    return (
        len(contracted) < max(len(a), len(b))
        and 1 not in contracted
        and (np.prod(a) > np.prod(contracted) or np.prod(b) > np.prod(contracted))
    )


def _chain_matmul(lib, *matrices):
    """lib.chain_matmul without its deprecation warning (test_names2.py checks it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return lib.chain_matmul(*matrices)


@st.composite
def _chain_case(draw):
    """Three matrices whose product is defined (multi_dot)."""
    a, b, c, d = (draw(st.integers(1, 3)) for _ in range(4))
    return (((a, b), (b, c), (c, d)), {})


INTEGERS = tuple(range(-4, 5))


def _unit_divisors(arrays, kwargs):
    """Divisors of ±1 and ±2 only: with the dividend away from integers (kinks=INTEGERS),
    input / other stays away from the jumps of % and fmod."""
    a, b = arrays
    return [a, np.where(b < 0, -1.0, 1.0) * np.where(np.abs(b) > 1.5, 2.0, 1.0)]


def _all_dims(dim):
    """torch's amax/amin take () for all dims (None too, since 2.x)."""
    return () if dim is None else dim


def _aminmax_case():
    return reduction(allow_tuple=False).flatmap(lambda c: st.sampled_from(["min", "max"]).map(
        lambda field: (c[0], {**c[1], "field": field})))  # fmt: skip


def _aminmax(a, dim, keepdim, field):
    lib = ad if isinstance(a, ad.Tensor) else _torch()
    return getattr(lib.aminmax(a, dim=dim, keepdim=keepdim), field)


def _diff_name(shapes, kwargs) -> str:
    return "CopyBackwards" if kwargs["n"] == 0 else "SubBackward0"


def _diff_case():
    return dim_case(min_dims=1).flatmap(lambda c: st.integers(0, 3).map(
        lambda n: (c[0], {**c[1], "n": n})))  # fmt: skip


@st.composite
def _diff_ends_case(draw):
    """input, prepend and append: one shape but along dim, where each has its own size."""
    (shape,), kwargs = draw(dim_case(min_dims=1))
    axis = kwargs["dim"] % len(shape)
    sizes = [draw(st.integers(1, 2)) for _ in range(2)]
    ends = [shape[:axis] + (k,) + shape[axis + 1 :] for k in sizes]
    return ((shape, *ends), kwargs)


def _np_diff_ends(a, before, after, dim):
    return np.diff(a, 1, axis=dim, prepend=before, append=after)


def _np_sorted_at(a, dim, keepdim, position):
    """The element at `position` of a sorted along dim (None: position of the dim's size)."""
    ranked = np.sort(a, axis=dim)
    at = position(ranked.shape[dim]) if callable(position) else position
    out = np.take(ranked, [at], axis=dim)
    return out if keepdim else np.squeeze(out, axis=dim)


def _lower_middle(n):
    return (n - 1) // 2


def _kth_case():
    return reduction(allow_none=False, allow_tuple=False).flatmap(
        lambda c: st.integers(1, 3).map(lambda k: (c[0], {**c[1], "k": k})).filter(
            lambda c: c[1]["k"] <= c[0][0][c[1]["dim"]]))  # fmt: skip


def _running(name):
    return lambda a, dim: getattr(a, name)(dim).values


def _np_xlogy(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a == 0, 0.0, a * np.log(b))


def _np_logit(p):
    return np.log(p / (1 - p))


def _vecdot_case():
    """Shapes of at least one dim; two vectors of one length (torch's vdot does not broadcast
    them, ours does)."""
    return elementwise(2).filter(lambda c: min(map(len, c[0])) >= 1 and (
        max(map(len, c[0])) > 1 or c[0][0] == c[0][1]))  # fmt: skip


@st.composite
def _unfold_case(draw):
    """(shape, {dimension, size, step}): windows that fit, overlapping or not."""
    ((shape,), kw) = draw(dim_case(min_dims=1))
    n = shape[kw["dim"]]
    size, step = draw(st.integers(0, n)), draw(st.integers(1, 3))
    return ((shape,), {"dimension": kw["dim"], "size": size, "step": step})


@st.composite
def _tensor_split_case(draw):
    """(shape, {dim, split}): a number of sections (more than the size too) or indices."""
    ((shape,), kw) = draw(dim_case(min_dims=1))
    n = shape[kw["dim"]]
    split = draw(st.integers(1, n + 2) | st.lists(st.integers(0, n + 1), max_size=3))
    return ((shape,), {"dim": kw["dim"], "split": split})


def _np_tensor_split(a, dim, split):
    return _np_flat(np.array_split(a, split, axis=dim))


@st.composite
def _sizes_case(draw):
    """(shape, {dim, sizes}): sizes that add up to the dim's size (zeros too)."""
    ((shape,), kw) = draw(dim_case(min_dims=1))
    n = shape[kw["dim"]]
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    return ((shape,), {"dim": kw["dim"], "sizes": np.diff([0, *cuts, n]).tolist()})


@st.composite
def _unflatten_case(draw):
    """(shape, {dim, sizes}): dim's size written as a product (one factor may be -1)."""
    ((shape,), kw) = draw(dim_case(min_dims=1))
    n = shape[kw["dim"]]
    sizes = draw(st.sampled_from([(n,), (1, n), (n, 1), (-1, 1), (1, -1, 1)]))
    return ((shape,), {"dim": kw["dim"], "sizes": sizes})


@st.composite
def _take_case(draw):
    shape = draw(one_shape(min_dims=0))
    n = int(np.prod(shape))
    index = draw(hnp.arrays(np.int64, draw(one_shape(min_dims=0)), elements=st.integers(-n, n - 1)))
    return ((shape,), {"index": index})


@st.composite
def _narrow_copy_case(draw):
    ((shape,), kw) = draw(dim_case(min_dims=1))
    n = shape[kw["dim"]]
    start = draw(st.integers(0, n))  # a negative start: test_aliases.py (torch's gradient is 0)
    length = draw(st.integers(0, n - start))
    return ((shape,), {**kw, "start": start, "length": length})


@st.composite
def _sum_to_size_case(draw):
    """(shape, {size}): a size the shape broadcasts from (leading dims dropped, dims 1)."""
    shape = draw(one_shape(min_dims=0))
    keep = shape[draw(st.integers(0, len(shape))) :]
    size = tuple(draw(st.sampled_from([n, 1])) for n in keep)
    return ((shape,), {"size": size})


def _np_sum_to_size(a, size):
    lead = a.ndim - len(size)
    out = a.sum(axis=tuple(range(lead))) if lead else a
    dims = tuple(i for i, s in enumerate(size) if s == 1 and out.shape[i] != 1)
    return out.sum(axis=dims, keepdims=True) if dims else out


def _np_unfold(a, dimension, size, step):
    windows = np.lib.stride_tricks.sliding_window_view(a, size, axis=dimension)
    return windows[(slice(None),) * (dimension % a.ndim) + (slice(None, None, step),)]


def _spread_jointly(arrays, kwargs):
    """Every value of every input distinct (amax/amin compare input's values with src's)."""
    flat = spread(np.concatenate([a.reshape(-1) for a in arrays]))
    cuts = np.cumsum([a.size for a in arrays])[:-1]
    return [part.reshape(a.shape) for part, a in zip(np.split(flat, cuts), arrays)]


def _q(lib, q):
    """A quantile case's q as the library takes it: a number, or a float64 tensor."""
    return q if isinstance(q, float) else lib.tensor(q, dtype=lib.float64)


def _quantile_name(shapes, kwargs) -> str:
    """The last op of our composition: the layout of _arrange."""
    if kwargs["keepdim"]:
        return "ViewBackward0" if kwargs["dim"] is None or not shapes[0] else "UnsqueezeBackward0"
    return "SqueezeBackward1" if isinstance(kwargs["q"], float) else "PermuteBackward0"


def _values(result):
    return result.values if isinstance(result, tuple) else result


def _np_lower_median(a, dim, keepdim):
    if dim is None:
        return np.sort(a.reshape(-1))[(a.size - 1) // 2]
    n = a.shape[dim]
    picked = np.take(np.sort(a, axis=dim), [(n - 1) // 2], axis=dim)
    return picked if keepdim else picked.squeeze(dim)


def _np_put(a, b, region):
    out = a.copy()
    out[region] = b
    return out


def _np_index_copy(a, b, dim, index):
    return _np_put(a, b, (slice(None),) * (dim % a.ndim) + (index,))


def _np_index_fill(a, dim, index, value):
    return _np_put(a, value, (slice(None),) * (dim % a.ndim) + (index,))


def _np_index_put(a, b, indices, accumulate):
    out = a.copy()
    if accumulate:
        np.add.at(out, indices, np.broadcast_to(b, out[indices].shape))
    else:
        out[indices] = b
    return out


def _np_masked_scatter(a, b, mask):
    out = a.copy()
    out[mask] = b[: int(mask.sum())]
    return out


def _np_diagonal_scatter(a, b, offset, dim1, dim2):
    out = a.copy()
    moved = np.moveaxis(out, (dim1, dim2), (-2, -1))
    n = b.shape[-1]
    rows, cols = np.arange(n) + max(-offset, 0), np.arange(n) + max(offset, 0)
    moved[..., rows, cols] = b
    return out


def _np_erfc(a):
    return np.vectorize(math.erfc, otypes=[float])(a)


def _np_ndtri(a):
    """Φ⁻¹ by bisection of Φ = erfc(−x/√2)/2 on [−10, 10]."""

    def one(p):
        lo, hi = -10.0, 10.0
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if 0.5 * math.erfc(-mid / math.sqrt(2)) < p else (lo, mid)
        return (lo + hi) / 2

    return np.vectorize(one, otypes=[float])(a)


def _np_i1(a):
    """I₁(x) = (1/π) ∫₀^π e^{x cos θ} cos θ dθ: the trapezoid rule, exact to rounding for this
    periodic integrand with 64 points."""
    theta = np.linspace(0, np.pi, 65)
    weights = np.full(65, np.pi / 64)
    weights[[0, -1]] /= 2
    a = np.asarray(a, dtype=np.float64)
    values = np.exp(a[..., None] * np.cos(theta)) * np.cos(theta)
    return (values * weights).sum(-1) / np.pi


def _np_erfinv(a):
    """erf⁻¹ by another route than ours: bisection of erf on [−6, 6]."""

    def one(x):
        lo, hi = -6.0, 6.0
        for _ in range(80):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if math.erf(mid) < x else (lo, mid)
        return (lo + hi) / 2

    return np.vectorize(one, otypes=[float])(a)


def _np_polygamma(a, n):
    """ψ⁽ⁿ⁾ by another route than ours: (−1)ⁿ⁺¹ n! Σₖ (x + k)⁻ⁿ⁻¹ summed to k = 20000, the rest
    by its integral and two correction terms; digamma by _np_digamma."""
    if n == 0:
        return _np_digamma(a)
    ks, end = np.arange(20000.0), a + 20000.0
    far = end**-n / n + end ** -(n + 1) / 2 + (n + 1) * end ** -(n + 2) / 12  # Σ past the end
    total = ((a[..., None] + ks) ** -(n + 1)).sum(-1) + far
    return (-1.0) ** (n + 1) * math.factorial(n) * total


@st.composite
def _vander_case(draw):
    n = draw(st.integers(1, 3))
    return (
        ((n,),),
        {"N": draw(st.sampled_from([None, 1, 2, 4])), "increasing": draw(st.booleans())},
    )


def _vander_name(shapes, kwargs) -> str:
    return "CatBackward0" if kwargs["increasing"] else "FlipBackward0"


def _torch_vander(a, N, increasing):
    torch = _torch()
    powers = torch.arange(a.shape[0] if N is None else N, dtype=a.dtype)
    out = a.unsqueeze(1) ** powers
    return out if increasing else out.flip(1)


def _np_put_flat(a, index, source, accumulate):
    out = a.copy().reshape(-1)
    for i, v in zip(index, source.reshape(-1)):
        out[i] = out[i] + v if accumulate else v
    return out.reshape(a.shape)


def _np_igamma(a, x):
    """P(a, x) by another route than ours: Σₙ x^(a+n) e^(−x) / Γ(a + n + 1), 200 terms, each
    from lgamma (ours: a ratio recursion for x < a + 1, a continued fraction beyond)."""

    def one(x):
        terms = [math.exp((a + n) * math.log(x) - x - math.lgamma(a + n + 1)) for n in range(200)]
        return math.fsum(terms)

    return np.vectorize(one, otypes=[float])(x)


def _np_mvlgamma(a, p):
    lgamma = np.vectorize(math.lgamma, otypes=[float])
    return sum(lgamma(a - i / 2) for i in range(p)) + p * (p - 1) / 4 * math.log(math.pi)


def _np_digamma(a):
    """ψ by another route than ours: the recurrence up to 30, then six terms of the series."""

    def one(x):
        acc = 0.0
        while x < 30:
            acc, x = acc - 1 / x, x + 1
        z = 1 / (x * x)
        tail = z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z / 132))))
        return acc + math.log(x) - 0.5 / x - tail

    return np.vectorize(one, otypes=[float])(a)


ROWS = [
    Op("add", lambda a, b: a + b, np.add, lambda a, b: a + b, 2, elementwise(2), "AddBackward0",
       saves=False, empty=_EMPTY2),
    Op("sub", lambda a, b: a - b, np.subtract, lambda a, b: a - b, 2, elementwise(2),
       "SubBackward0", saves=False, empty=_EMPTY2, covers=("subtract",)),
    Op("add_alpha", lambda a, b: ad.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b,
       lambda a, b: _torch().add(a, b, alpha=2.5), 2, elementwise(2), "AddBackward0",
       saves=False, empty=_EMPTY2),
    Op("sub_alpha", lambda a, b: a.sub(b, alpha=-0.5), lambda a, b: a + 0.5 * b,
       lambda a, b: a.sub(b, alpha=-0.5), 2, elementwise(2), "SubBackward0", saves=False,
       empty=_EMPTY2),
    Op("rsub_number", lambda a: 2.5 - a, lambda a: 2.5 - a, lambda a: 2.5 - a, 1, unary(),
       "RsubBackward1", saves=False, torch_edges=False, empty=_EMPTY1),
    Op("rsub", lambda a, b: ad.rsub(a, b, alpha=2.5), lambda a, b: b - 2.5 * a,
       lambda a, b: _torch().rsub(a, b, alpha=2.5), 2, elementwise(2), "RsubBackward0",
       saves=False, empty=_EMPTY2),
    Op("fill", lambda a, b: ad.fill(a, b.sum()), lambda a, b: np.full(a.shape, b.sum()),
       lambda a, b: _torch().fill(a, b.sum()), 2, elementwise(2), "FillBackward1", saves=False,
       empty=_EMPTY2),
    Op("fill_number", lambda a: ad.fill(a, 2.5), lambda a: np.full(a.shape, 2.5),
       lambda a: _torch().fill(a, 2.5), 1, unary(), "FillBackward0", saves=False,
       empty=_EMPTY1),
    Op("mul", lambda a, b: a * b, np.multiply, lambda a, b: a * b, 2, elementwise(2),
       "MulBackward0", empty=_EMPTY2, gradgrad=True, covers=("multiply",)),
    Op("div", lambda a, b: a / b, np.divide, lambda a, b: a / b, 2, elementwise(2),
       "DivBackward0", kinks=(0.0,), gap=0.5, empty=_EMPTY2, gradgrad=True, covers=("divide",)),
    Op("pow_number", lambda a, exponent: a**exponent,
       lambda a, exponent: np.power(a, exponent), lambda a, exponent: a**exponent,
       1, unary().flatmap(lambda c: st.sampled_from([2, 3, -1, 0.5, 1.5, 0, 1]).map(
           lambda e: (c[0], {"exponent": e}))), "PowBackward0", domains=(POS,), empty=(
           ((0, 3),), {"exponent": 2}), covers=("pow",)),
    Op("pow_int_negative_base", lambda a: a**3, lambda a: a**3, lambda a: a**3, 1, unary(),
       "PowBackward0", empty=_EMPTY1),
    Op("pow_tensor", lambda a, b: a**b, np.power, lambda a, b: a**b, 2, elementwise(2),
       "PowBackward1", domains=(POS, (-2.0, 2.0)), empty=_EMPTY2, kinks=(0.0,), gradgrad=True),
    # kinks: torch masks d/da at exponent 0, which makes its mixed second derivative 0 there
    Op("pow_number_base", lambda a: 1.7**a, lambda a: 1.7**a, lambda a: 1.7**a, 1, unary(),
       "PowBackward2", torch_edges=False, empty=_EMPTY1),
    Op("neg", lambda a: -a, np.negative, lambda a: -a, 1, unary(), "NegBackward0", saves=False,
       empty=_EMPTY1, covers=("negative",)),
    Op("exp", ad.exp, np.exp, lambda a: a.exp(), 1, unary(), "ExpBackward0", empty=_EMPTY1, gradgrad=True),
    Op("log", ad.log, np.log, lambda a: a.log(), 1, unary(), "LogBackward0", domains=(POS,),
       empty=_EMPTY1, gradgrad=True),
    Op("sqrt", lambda a: a.sqrt(), np.sqrt, lambda a: a.sqrt(), 1, unary(), "SqrtBackward0",
       domains=(POS,), empty=_EMPTY1, gradgrad=True),
    Op("abs", ad.abs, np.abs, lambda a: a.abs(), 1, unary(), "AbsBackward0", kinks=(0.0,),
       empty=_EMPTY1, covers=("absolute",)),
    Op("clamp", lambda a, min, max: a.clamp(min, max), lambda a, min, max: np.clip(a, min, max),
       lambda a, min, max: a.clamp(min, max), 1, clamp_case(), "ClampBackward1",
       prepare=clamp_prepare, empty=(((0, 3),), {"min": -1.0, "max": 1.0})),
    Op("sigmoid", ad.sigmoid, lambda a: 1 / (1 + np.exp(-a)), lambda a: a.sigmoid(), 1, unary(),
       "SigmoidBackward0", domains=((-6.0, 6.0),), empty=_EMPTY1, gradgrad=True),
    Op("tanh", lambda a: a.tanh(), np.tanh, lambda a: a.tanh(), 1, unary(), "TanhBackward0",
       empty=_EMPTY1, gradgrad=True),
    Op("relu", ad.relu, lambda a: np.maximum(a, 0), lambda a: a.relu(), 1, unary(),
       "ReluBackward0", kinks=(0.0,), empty=_EMPTY1),
    Op("softmax", lambda a, dim: a.softmax(dim), _np_softmax, lambda a, dim: a.softmax(dim), 1,
       softmax_case(), "SoftmaxBackward0", empty=(((0, 3),), {"dim": 1}), gradgrad=True),
    Op("log_softmax", lambda a, dim: ad.log_softmax(a, dim),
       lambda a, dim: np.log(_np_softmax(a, dim)), lambda a, dim: a.log_softmax(dim), 1,
       softmax_case(), "LogSoftmaxBackward0", empty=(((0, 3),), {"dim": 1}), gradgrad=True),
    Op("logsumexp", lambda a, dim, keepdim: a.logsumexp(dim, keepdim), _np_logsumexp,
       lambda a, dim, keepdim: a.logsumexp(dim, keepdim), 1, reduction(allow_none=False),
       "LogsumexpBackward0", empty=(((0, 3),), {"dim": 1, "keepdim": False}), gradgrad=True),
    Op("sum", lambda a, dim, keepdim: a.sum(dim, keepdim), _np_reduce(np.sum),
       _whole_or_dims("sum"), 1, reduction(),
       _named("SumBackward0", "SumBackward1"), saves=False,
       empty=(((0, 3),), {"dim": 0, "keepdim": True})),
    # dtype= (torch's cast inside the op: no extra node); float32 -> float64 in test_keywords
    Op("sum_dtype", lambda a, dim, keepdim: ad.sum(a, dim, keepdim, dtype=ad.float64),
       _np_reduce(np.sum), _torch_sum_float64, 1, reduction(),
       _named("SumBackward0", "SumBackward1"), saves=False),
    Op("mean", lambda a, dim, keepdim: ad.mean(a, dim, keepdim), _np_reduce(np.mean),
       _whole_or_dims("mean"), 1,
       reduction(), _named("MeanBackward0", "MeanBackward1"), saves=False,
       empty=(((0, 3),), {"dim": 1, "keepdim": False})),
    Op("var", lambda a, dim, keepdim: a.var(dim, keepdim=keepdim), _np_var,
       lambda a, dim, keepdim: a.var(dim=dim, keepdim=keepdim), 1,
       reduction(min_side=2), "VarBackward0", empty=(((0, 3),), {"dim": 1, "keepdim": False}), gradgrad=True),
    Op("max_all", lambda a: a.max(), np.max, lambda a: a.max(), 1, unary(), "MaxBackward1",
       tie_free=True, covers=("max",)),
    Op("min_all", lambda a: ad.min(a), np.min, lambda a: a.min(), 1, unary(), "MinBackward1",
       tie_free=True, covers=("min",)),
    Op("max_dim", lambda a, dim, keepdim: a.max(dim, keepdim)[0], _np_max_dim,
       lambda a, dim, keepdim: a.max(dim, keepdim)[0], 1,
       reduction(allow_none=False, allow_tuple=False), "MaxBackward0", tie_free=True,
       empty=(((0, 3),), {"dim": 1, "keepdim": False})),
    Op("min_dim", lambda a, dim, keepdim: a.min(dim, keepdim)[0],
       lambda a, dim, keepdim: _np_max_dim(a, dim, keepdim, np.argmin),
       lambda a, dim, keepdim: a.min(dim, keepdim)[0], 1,
       reduction(allow_none=False, allow_tuple=False), "MinBackward0", tie_free=True,
       empty=(((0, 3),), {"dim": 1, "keepdim": True})),
    Op("reshape", lambda a, shape: a.reshape(shape), lambda a, shape: a.reshape(shape),
       lambda a, shape: a.reshape(shape), 1, reshape_case(), "ViewBackward0", saves=False,
       empty=(((0, 3),), {"shape": (3, 0)})),
    Op("view", lambda a, shape: a.view(*shape), lambda a, shape: a.reshape(shape),
       lambda a, shape: a.reshape(shape), 1, reshape_case(), "ViewBackward0", saves=False,
       empty=(((0, 3),), {"shape": (-1,)})),
    Op("flatten", lambda a, start_dim, end_dim: a.flatten(start_dim, end_dim),
       lambda a, start_dim, end_dim: _np_flatten(a, start_dim, end_dim),
       lambda a, start_dim, end_dim: a.flatten(start_dim, end_dim), 1, flatten_case(),
       "ViewBackward0", saves=False, empty=(((0, 3),), {"start_dim": 0, "end_dim": -1}),
       torch_named=_flattens, covers=("ravel",)),
    # torch_named: torch returns the input itself when nothing is merged
    Op("transpose", lambda a, dim0, dim1: a.transpose(dim0, dim1),
       lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1),
       lambda a, dim0, dim1: a.transpose(dim0, dim1), 1, transpose_case(),
       "TransposeBackward0", saves=False, empty=(((0, 3),), {"dim0": 0, "dim1": 1})),
    Op("permute", lambda a, dims: a.permute(*dims), lambda a, dims: np.transpose(a, dims),
       lambda a, dims: a.permute(dims), 1, permute_case(), "PermuteBackward0", saves=False,
       empty=(((0, 3),), {"dims": (1, 0)})),
    # torch deprecates .T on other than 2 dims; it means the reversed permute, which is asked
    Op("T", lambda a: a.T, lambda a: a.T, lambda a: a.permute(tuple(range(a.ndim))[::-1]), 1,
       unary(max_dims=2),
       "PermuteBackward0", saves=False, empty=_EMPTY1),
    Op("unsqueeze", lambda a, dim: a.unsqueeze(dim), lambda a, dim: np.expand_dims(a, dim),
       lambda a, dim: a.unsqueeze(dim), 1, unsqueeze_case(), "UnsqueezeBackward0", saves=False,
       empty=(((0, 3),), {"dim": 1})),
    Op("squeeze", lambda a, dim: a.squeeze(dim), lambda a, dim: _np_squeeze(a, dim),
       lambda a, dim: a.squeeze() if dim is None else a.squeeze(dim), 1, squeeze_case(),
       _squeeze_name, saves=False, empty=(((0, 1),), {"dim": 1})),
    Op("expand", lambda a, sizes: a.expand(*sizes),
       lambda a, sizes: np.broadcast_to(a, _np_expand(a.shape, sizes)),
       lambda a, sizes: a.expand(*sizes), 1, expand_case(), "ExpandBackward0", saves=False,
       empty=(((1, 3),), {"sizes": (0, 3)})),
    Op("getitem_basic", lambda a, index: a[index], lambda a, index: a[index],
       lambda a, index: a[index], 1, basic_index_case(), _index_name, saves=False,
       torch_edges=False, empty=(((0, 3),), {"index": (slice(None), 1)}),
       torch_named=_one_proper_slice_or_int),
    Op("getitem_advanced", lambda a, index: a[index], lambda a, index: a[index],
       lambda a, index: a[_torch_index(index)], 1, advanced_index_case(), "IndexBackward0",
       saves=False, empty=(((3, 2),), {"index": np.zeros(0, dtype=np.int64)})),
    Op("getitem_mask", lambda a, index: a[index], lambda a, index: a[index],
       lambda a, index: a[_torch_index(index)], 1, mask_case(), "IndexBackward0", saves=False,
       empty=(((3, 2),), {"index": np.zeros((3, 2), dtype=bool)})),
    Op("matmul", lambda a, b: a @ b, np.matmul, lambda a, b: a @ b, 2, matmul_shapes(),
       _matmul_name, empty=(((0, 3), (3, 2)), {}),
       torch_named=lambda shapes, kw: _matmul_name(shapes, kw) != "BmmBackward0", gradgrad=True),
    Op("cat", lambda *ts, dim: ad.cat(ts, dim), lambda *xs, dim: np.concatenate(xs, dim),
       lambda *ts, dim: _torch().cat(ts, dim), VARIADIC, cat_case(), "CatBackward0",
       saves=False, empty=(((0, 3), (2, 3)), {"dim": 0}), covers=("concat", "concatenate")),
    Op("hstack", lambda *ts: ad.hstack(ts), lambda *xs: np.hstack(xs),
       lambda *ts: _torch().hstack(ts), VARIADIC, stack_along_case(rows=False), "CatBackward0",
       saves=False, empty=(((0,), (2,)), {})),
    Op("vstack", lambda *ts: ad.vstack(ts), lambda *xs: np.vstack(xs),
       lambda *ts: _torch().vstack(ts), VARIADIC, stack_along_case(rows=True), "CatBackward0",
       saves=False, covers=("row_stack",), empty=(((0, 3), (2, 3)), {})),
    Op("broadcast_to", lambda a, sizes: ad.broadcast_to(a, sizes),
       lambda a, sizes: np.broadcast_to(a, _np_expand(a.shape, sizes)),
       lambda a, sizes: _torch().broadcast_to(a, sizes), 1, expand_case(), "ExpandBackward0",
       saves=False, empty=(((1, 3),), {"sizes": (0, 3)})),
    Op("movedim", lambda a, source, destination: ad.movedim(a, source, destination),
       lambda a, source, destination: np.moveaxis(a, source, destination),
       lambda a, source, destination: _torch().movedim(a, source, destination), 1,
       movedim_case(), "PermuteBackward0", saves=False, covers=("moveaxis",),
       empty=(((0, 3),), {"source": 0, "destination": 1})),
    Op("stack", lambda *ts, dim: ad.stack(ts, dim), lambda *xs, dim: np.stack(xs, dim),
       lambda *ts, dim: _torch().stack(ts, dim), VARIADIC, cat_case(stack=True),
       "StackBackward0", saves=False, empty=(((0, 3), (0, 3)), {"dim": 1})),
    Op("where", lambda a, b, condition: ad.where(ad.tensor(condition), a, b),
       lambda a, b, condition: np.where(condition, a, b), _torch_where, 2, where_case(),
       "WhereBackward0", empty=(((0, 3), (3,)), {"condition": np.zeros((1, 3), dtype=bool)})),
    Op("maximum", ad.maximum, np.maximum, lambda a, b: _torch().maximum(a, b), 2,
       elementwise(2), "MaximumBackward0", prepare=interleave, empty=_EMPTY2),
    Op("minimum", ad.minimum, np.minimum, lambda a, b: _torch().minimum(a, b), 2,
       elementwise(2), "MinimumBackward0", prepare=interleave, empty=_EMPTY2),
    Op("to_float32", lambda a: a.to(F32), lambda a: a.astype(F32).astype(np.float64),
       lambda a: a.to(_torch_dtype(F32)), 1, unary(), "ToCopyBackward0", saves=False,
       rtol=0.1, atol=1e-4, second_order=False,
       tol_reason="a float32 forward quantizes the central difference: the step 2e-6 is "
       "only ~17 float32 ulps at |x| ~ 1", empty=_EMPTY1, covers=("to",)),
    Op("float", lambda a: a.float(), lambda a: a.astype(F32).astype(np.float64),
       lambda a: a.float(), 1, unary(), "ToCopyBackward0", saves=False, rtol=0.1, atol=1e-4,
       second_order=False, tol_reason="float32 forward (see to_float32)", empty=_EMPTY1),
    Op("double_of_float32", lambda a: a.float().double(), lambda a: a.astype(F32),
       lambda a: a.float().double(), 1, unary(), "ToCopyBackward0", saves=False, rtol=0.1,
       atol=1e-4, second_order=False, torch_edges=True, tol_reason="float32 in the middle",
       empty=_EMPTY1, covers=("double",)),
    Op("clone", lambda a: a.clone(), np.copy, lambda a: a.clone(), 1, unary(),
       "CloneBackward0", saves=False, empty=_EMPTY1),
    # --- the torch surface a tutorial reaches for (issue 13) ---
    Op("sin", ad.sin, np.sin, lambda a: a.sin(), 1, unary(), "SinBackward0", empty=_EMPTY1, gradgrad=True),
    Op("cos", lambda a: a.cos(), np.cos, lambda a: a.cos(), 1, unary(), "CosBackward0", empty=_EMPTY1),
    Op("tan", ad.tan, np.tan, lambda a: a.tan(), 1, unary(), "TanBackward0", domains=((-1.2, 1.2),),
       empty=_EMPTY1),
    Op("asin", ad.asin, np.arcsin, lambda a: a.asin(), 1, unary(), "AsinBackward0",
       domains=((-0.9, 0.9),), empty=_EMPTY1, covers=("arcsin",)),
    Op("acos", ad.acos, np.arccos, lambda a: a.acos(), 1, unary(), "AcosBackward0",
       domains=((-0.9, 0.9),), empty=_EMPTY1, covers=("arccos",)),
    Op("atan", ad.atan, np.arctan, lambda a: a.atan(), 1, unary(), "AtanBackward0", empty=_EMPTY1,
       covers=("arctan",)),
    Op("sinh", ad.sinh, np.sinh, lambda a: a.sinh(), 1, unary(), "SinhBackward0", empty=_EMPTY1),
    Op("cosh", ad.cosh, np.cosh, lambda a: a.cosh(), 1, unary(), "CoshBackward0", empty=_EMPTY1),
    Op("asinh", ad.asinh, np.arcsinh, lambda a: a.asinh(), 1, unary(), "AsinhBackward0",
       empty=_EMPTY1, covers=("arcsinh",)),
    Op("log2", ad.log2, np.log2, lambda a: a.log2(), 1, unary(), "Log2Backward0", domains=(POS,),
       empty=_EMPTY1),
    Op("log10", ad.log10, np.log10, lambda a: a.log10(), 1, unary(), "Log10Backward0",
       domains=(POS,), empty=_EMPTY1),
    Op("log1p", ad.log1p, np.log1p, lambda a: a.log1p(), 1, unary(), "Log1PBackward0",
       domains=((-0.5, 3.0),), empty=_EMPTY1),
    Op("expm1", ad.expm1, np.expm1, lambda a: a.expm1(), 1, unary(), "Expm1Backward0", empty=_EMPTY1),
    Op("square", ad.square, np.square, lambda a: a.square(), 1, unary(), "PowBackward0",
       empty=_EMPTY1),
    Op("reciprocal", ad.reciprocal, np.reciprocal, lambda a: a.reciprocal(), 1, unary(),
       "ReciprocalBackward0", domains=(POS,), empty=_EMPTY1, gradgrad=True),
    Op("rsqrt", ad.rsqrt, lambda a: 1 / np.sqrt(a), lambda a: a.rsqrt(), 1, unary(),
       "RsqrtBackward0", domains=(POS,), empty=_EMPTY1),
    Op("erf", ad.erf, lambda a: np.vectorize(math.erf, otypes=[float])(a), lambda a: a.erf(), 1, unary(),
       "ErfBackward0", empty=_EMPTY1),
    Op("floor", ad.floor, np.floor, lambda a: a.floor(), 1, unary(), "FloorBackward0",
       kinks=ROUNDING, gap=0.05, saves=False, empty=_EMPTY1),
    Op("ceil", ad.ceil, np.ceil, lambda a: a.ceil(), 1, unary(), "CeilBackward0", kinks=ROUNDING,
       gap=0.05, saves=False, empty=_EMPTY1),
    Op("round", ad.round, np.round, lambda a: a.round(), 1, unary(), "RoundBackward0",
       kinks=ROUNDING, gap=0.05, saves=False, empty=_EMPTY1),
    Op("trunc", ad.trunc, np.trunc, lambda a: a.trunc(), 1, unary(), "TruncBackward0",
       kinks=ROUNDING, gap=0.05, saves=False, empty=_EMPTY1),
    Op("frac", ad.frac, lambda a: a - np.trunc(a), lambda a: a.frac(), 1, unary(), "SubBackward0",
       kinks=ROUNDING, gap=0.05, saves=False, torch_named=_no, empty=_EMPTY1),
    Op("atan2", ad.atan2, np.arctan2, lambda a, b: a.atan2(b), 2, elementwise(2), "Atan2Backward0",
       domains=((-3.0, 3.0), POS), empty=_EMPTY2, covers=("arctan2",)),
    Op("hypot", ad.hypot, np.hypot, lambda a, b: a.hypot(b), 2, elementwise(2), "HypotBackward0",
       kinks=(0.0,), gap=0.1, empty=_EMPTY2),
    Op("logaddexp", ad.logaddexp, np.logaddexp, lambda a, b: a.logaddexp(b), 2, elementwise(2),
       "LogaddexpBackward0", empty=_EMPTY2),
    # --- torch names a learner's code reaches for (names4) ---
    Op("acosh", ad.acosh, np.arccosh, lambda a: a.acosh(), 1, unary(), "AcoshBackward0",
       domains=((1.1, 4.0),), empty=_EMPTY1, covers=("arccosh",)),
    Op("atanh", ad.atanh, np.arctanh, lambda a: a.atanh(), 1, unary(), "AtanhBackward0",
       domains=((-0.9, 0.9),), empty=_EMPTY1, covers=("arctanh",)),
    Op("exp2", ad.exp2, np.exp2, lambda a: a.exp2(), 1, unary(), "Exp2Backward0", empty=_EMPTY1),
    Op("erfc", ad.erfc, lambda a: np.vectorize(math.erfc, otypes=[float])(a),
       lambda a: a.erfc(), 1, unary(), "ErfcBackward0", empty=_EMPTY1),
    Op("lgamma", ad.lgamma, lambda a: np.vectorize(math.lgamma, otypes=[float])(a),
       lambda a: a.lgamma(), 1, unary(), "LgammaBackward0", domains=((-3.0, 4.0),),
       kinks=(-3.0, -2.0, -1.0, 0.0), gap=0.1, empty=_EMPTY1, torch_rtol=1e-9,
       tol_reason="second order: torch's polygamma(1, x) (see digamma)"),
    Op("digamma", ad.digamma, _np_digamma, lambda a: a.digamma(), 1, unary(),
       "DigammaBackward0", domains=((-3.0, 4.0),), kinks=(-3.0, -2.0, -1.0, 0.0), gap=0.1,
       empty=_EMPTY1, torch_rtol=1e-8,
       tol_reason="torch's polygamma(1, x) is good to ~1e-9 (ours: 1e-15 against mpmath)"),
    Op("polygamma", lambda a, n: ad.polygamma(n, a), _np_polygamma, lambda a, n: a.polygamma(n),
       1, unary().flatmap(lambda c: st.sampled_from([0, 2, 3]).map(lambda n: (c[0], {"n": n}))),
       "PolygammaBackward0", domains=((-3.0, 4.0),), kinks=(-3.0, -2.0, -1.0, 0.0), gap=0.1,
       empty=(((0, 3),), {"n": 2}), torch_rtol=1e-8, rtol=1e-4,
       tol_reason="torch's polygamma(1, x) is good to ~1e-9 (n = 1: digamma's gradient row, "
       "at torch_rtol); near the poles ψ⁽ⁿ⁾ is steep"),
    Op("i0", ad.i0, np.i0, lambda a: a.i0(), 1, unary(), "I0Backward0", empty=_EMPTY1,
       gradgrad=True),
    # torch.special's own ops (autodiff.special); references by other routes where one is short
    Op("special.entr", ad.special.entr, lambda a: -a * np.log(a),
       lambda a: _torch().special.entr(a), 1, unary(), "SpecialEntrBackward0", domains=(POS,),
       empty=_EMPTY1),
    Op("special.erfcx", ad.special.erfcx, lambda a: np.exp(a * a) * _np_erfc(a),
       lambda a: _torch().special.erfcx(a), 1, unary(), "SpecialErfcxBackward0", empty=_EMPTY1),
    Op("special.ndtr", ad.special.ndtr, lambda a: 0.5 * _np_erfc(-a / math.sqrt(2)),
       lambda a: _torch().special.ndtr(a), 1, unary(), "MulBackward0", empty=_EMPTY1,
       torch_named=_no,  # torch's composition ends in mul(Scalar), MulBackward1
       ),
    Op("special.log_ndtr", ad.special.log_ndtr, lambda a: np.log(0.5 * _np_erfc(-a / math.sqrt(2))),
       lambda a: _torch().special.log_ndtr(a), 1, unary(), "SpecialLogNdtrBackward0",
       domains=((-6.0, 3.0),), empty=_EMPTY1),
    Op("special.ndtri", ad.special.ndtri, _np_ndtri, lambda a: _torch().special.ndtri(a), 1,
       unary(), "SpecialNdtriBackward0", domains=((0.02, 0.98),), empty=_EMPTY1, rtol=1e-4,
       tol_reason="Φ⁻¹ is steep near 0 and 1: second order's finite differences lose digits"),
    Op("special.xlog1py", ad.special.xlog1py, lambda a, b: a * np.log1p(b),
       lambda a, b: _torch().special.xlog1py(a, b), 2, elementwise(2), "SpecialXlog1PyBackward0",
       domains=((-3.0, 3.0), (-0.9, 3.0)), empty=_EMPTY2, gradgrad=True),
    Op("special.i1", ad.special.i1, _np_i1, lambda a: _torch().special.i1(a), 1, unary(),
       "SpecialI1Backward0", kinks=(0.0,), gap=0.01, empty=_EMPTY1,
       tol_reason="near 0 the second derivative, I₁ − (I₀ − I₁/x)/x, is a difference of nearly "
       "equal terms in torch's formula and ours: inputs kept 0.01 away"),
    Op("special.i0e", ad.special.i0e, lambda a: np.exp(-np.abs(a)) * np.i0(a),
       lambda a: _torch().special.i0e(a), 1, unary(), "SpecialI0EBackward0", kinks=(0.0,),
       empty=_EMPTY1),
    Op("special.i1e", ad.special.i1e, lambda a: np.exp(-np.abs(a)) * _np_i1(a),
       lambda a: _torch().special.i1e(a), 1, unary(), "SpecialI1EBackward0", kinks=(0.0,),
       gap=0.01, empty=_EMPTY1, tol_reason="as special.i1"),
    # igamma's first argument has no gradient in torch: the rows hold it constant
    Op("igamma", lambda x: ad.igamma(ad.tensor(1.7, dtype=ad.float64), x),
       lambda x: _np_igamma(1.7, x),
       lambda x: _torch().igamma(_torch().tensor(1.7, dtype=_torch().float64), x),
       1, unary(), "IgammaBackward0", domains=(POS,), empty=_EMPTY1, torch_rtol=1e-8,
       tol_reason="torch's igamma is good to ~1e-9 (ours: 1e-14 against 60-digit sums)"),
    Op("igammac", lambda x: ad.igammac(ad.tensor(0.5, dtype=ad.float64), x),
       lambda x: 1 - _np_igamma(0.5, x),
       lambda x: _torch().igammac(_torch().tensor(0.5, dtype=_torch().float64), x), 1,
       unary(), "IgammacBackward0", domains=(POS,), empty=_EMPTY1, torch_rtol=1e-8,
       tol_reason="as igamma"),
    Op("frexp", lambda a: ad.frexp(a).mantissa, lambda a: np.frexp(a)[0],
       lambda a: a.frexp().mantissa, 1, unary(), "FrexpBackward0", domains=((0.3, 3.0),),
       kinks=(0.5, 1.0, 2.0), gap=0.02, saves=False, empty=_EMPTY1),
    Op("nextafter", ad.nextafter, np.nextafter, lambda a, b: a.nextafter(b), 2, elementwise(2),
       "NextafterBackward0", saves=False, prepare=interleave, empty=_EMPTY2),
    Op("mvlgamma", lambda a, p: ad.mvlgamma(a, p), _np_mvlgamma, lambda a, p: a.mvlgamma(p), 1,
       unary().flatmap(lambda c: st.integers(1, 3).map(lambda p: (c[0], {"p": p}))),
       "MvlgammaBackward0", domains=((1.2, 4.0),), empty=(((0, 3),), {"p": 2})),
    # second order: polygamma(2, x) is not implemented (digamma's gradient says so)
    Op("erfinv", ad.erfinv, _np_erfinv, lambda a: a.erfinv(), 1, unary(), "ErfinvBackward0",
       domains=((-0.95, 0.95),), empty=_EMPTY1, gradgrad=True),
    Op("sgn", ad.sgn, np.sign, lambda a: a.sgn(), 1, unary(), "SgnBackward0", kinks=(0.0,),
       saves=False, empty=_EMPTY1),
    Op("logaddexp2", ad.logaddexp2, np.logaddexp2, lambda a, b: a.logaddexp2(b), 2,
       elementwise(2), "Logaddexp2Backward0", empty=_EMPTY2),
    Op("fmax", ad.fmax, np.fmax, lambda a, b: _torch().fmax(a, b), 2, elementwise(2),
       "FmaxBackward0", prepare=interleave, empty=_EMPTY2),
    Op("fmin", ad.fmin, np.fmin, lambda a, b: a.fmin(b), 2, elementwise(2), "FminBackward0",
       prepare=interleave, empty=_EMPTY2),
    Op("hardshrink", lambda a: a.hardshrink(0.4), lambda a: np.where(np.abs(a) > 0.4, a, 0.0),
       lambda a: _torch().hardshrink(a, 0.4), 1, unary(), "HardshrinkBackward0",
       kinks=(-0.4, 0.4), empty=_EMPTY1),
    Op("unfold", lambda a, dimension, size, step: a.unfold(dimension, size, step), _np_unfold,
       lambda a, dimension, size, step: a.unfold(dimension, size, step), 1, _unfold_case(),
       "UnfoldBackward0", saves=False, empty=(((0, 3),), {"dimension": 1, "size": 2, "step": 1})),
    Op("unflatten", lambda a, dim, sizes: a.unflatten(dim, sizes),
       lambda a, dim, sizes: a.reshape(a.shape[:dim % a.ndim] + tuple(
           a.shape[dim] if s == -1 else s for s in sizes) + a.shape[dim % a.ndim + 1:]),
       lambda a, dim, sizes: a.unflatten(dim, sizes), 1, _unflatten_case(), "ViewBackward0",
       saves=False, empty=(((0, 3),), {"dim": 1, "sizes": (3, 1)})),
    Op("tensor_split", lambda a, dim, split: _flat_parts(ad.tensor_split(a, split, dim)),
       _np_tensor_split, lambda a, dim, split: _flat_parts(a.tensor_split(split, dim)), 1,
       _tensor_split_case(), "CatBackward0", saves=False, torch_named=_no),
    Op("hsplit", lambda a: _flat_parts(ad.hsplit(a, [1])),
       lambda a: _np_flat(np.array_split(a, [1], axis=min(1, a.ndim - 1))),
       lambda a: _flat_parts(a.hsplit([1])), 1, unary(min_dims=1), "CatBackward0",
       saves=False, torch_named=_no),
    Op("vsplit", lambda a: _flat_parts(a.vsplit([2])), lambda a: _np_flat(np.split(a, [2])),
       lambda a: _flat_parts(a.vsplit([2])), 1, unary(min_dims=2), "CatBackward0", saves=False,
       torch_named=_no),
    Op("dsplit", lambda a: _flat_parts(a.dsplit(1)), lambda a: a.reshape(-1),
       lambda a: _flat_parts(a.dsplit(1)), 1, unary(min_dims=3), "CatBackward0", saves=False,
       torch_named=_no),
    Op("split_with_sizes", lambda a, dim, sizes: _flat_parts(a.split_with_sizes(sizes, dim)),
       lambda a, dim, sizes: _np_flat(np.split(a, np.cumsum(sizes)[:-1], axis=dim)),
       lambda a, dim, sizes: _flat_parts(a.split_with_sizes(sizes, dim)), 1, _sizes_case(),
       "CatBackward0", saves=False, torch_named=_no),
    Op("take", lambda a, index: a.take(ad.tensor(index)),
       lambda a, index: a.reshape(-1)[index] if a.size else np.zeros(index.shape),
       lambda a, index: a.take(_torch().from_numpy(index)), 1,
       _take_case().filter(lambda c: np.prod(c[0][0]) > 0), "TakeBackward0", saves=False,
       torch_edges=False),
    Op("narrow_copy", lambda a, dim, start, length: a.narrow_copy(dim, start, length),
       lambda a, dim, start, length: np.take(a, range(start, start + length), axis=dim),
       lambda a, dim, start, length: a.narrow_copy(dim, start, length), 1, _narrow_copy_case(),
       "NarrowCopyBackward0", saves=False, torch_edges=False),
    Op("diagflat", lambda a: a.diagflat(-1), lambda a: np.diagflat(a, -1),
       lambda a: _torch().diagflat(a, -1), 1, unary(), "DiagEmbedBackward0", saves=False),
    Op("sum_to_size", lambda a, size: a.sum_to_size(size), _np_sum_to_size,
       lambda a, size: a.sum_to_size(size), 1,
       _sum_to_size_case().filter(lambda c: c[1]["size"] != c[0][0]),
       lambda shapes, kw: "SumBackward0" if not kw["size"] else "ViewBackward0"
       if len(kw["size"]) < len(shapes[0]) else "SumBackward1",
       saves=False),
    Op("adjoint", lambda a: ad.adjoint(a), lambda a: np.swapaxes(a, -1, -2),
       lambda a: a.adjoint(), 1, unary(min_dims=2), "TransposeBackward0", saves=False,
       covers=("mH",)),
    Op("H", lambda a: a.H, lambda a: a.T, lambda a: a.H, 1, unary(min_dims=2, max_dims=2),
       "TransposeBackward0", saves=False),
    Op("index_copy", lambda a, b, dim, index: a.index_copy(dim, ad.tensor(index), b),
       lambda a, b, dim, index: _np_index_copy(a, b, dim, index),
       lambda a, b, dim, index: a.index_copy(dim, _torch().from_numpy(index), b), 2,
       index_copy_case(), "IndexCopyBackward0", saves=False, torch_edges=False),
    Op("index_fill", lambda a, dim, index: a.index_fill(dim, ad.tensor(index), -1.5),
       lambda a, dim, index: _np_index_fill(a, dim, index, -1.5),
       lambda a, dim, index: a.index_fill(dim, _torch().from_numpy(index), -1.5), 1,
       index_fill_case(), "IndexFillBackward0", saves=False),
    Op("index_put", lambda a, b, indices: a.index_put(tuple(map(ad.tensor, indices)), b),
       lambda a, b, indices: _np_index_put(a, b, indices, False),
       lambda a, b, indices: a.index_put(tuple(map(_torch().from_numpy, indices)), b), 2,
       index_put_case(accumulate=False), "IndexPutBackward0", saves=False, torch_edges=False),
    Op("index_put_accumulate",
       lambda a, b, indices: a.index_put(tuple(map(ad.tensor, indices)), b, accumulate=True),
       lambda a, b, indices: _np_index_put(a, b, indices, True),
       lambda a, b, indices: a.index_put(tuple(map(_torch().from_numpy, indices)), b, True), 2,
       index_put_case(accumulate=True), "IndexPutBackward0", saves=False, torch_edges=False),
    Op("masked_scatter", lambda a, b, mask: a.masked_scatter(ad.tensor(mask), b),
       lambda a, b, mask: _np_masked_scatter(a, b, mask),
       lambda a, b, mask: a.masked_scatter(_torch().from_numpy(mask), b), 2,
       masked_scatter_case(), "MaskedScatterBackward0", saves=False, torch_edges=False),
    Op("scatter_reduce", lambda a, b, dim, index, reduce, include_self: a.scatter_reduce(
           dim, ad.tensor(index), b, reduce, include_self=include_self), np_scatter_reduce,
       lambda a, b, dim, index, reduce, include_self: a.scatter_reduce(
           dim, _torch().from_numpy(index), b, reduce, include_self=include_self), 2,
       scatter_reduce_case(("sum", "mean", "amax", "amin")), "ScatterReduceBackward0",
       prepare=_spread_jointly, torch_edges=False),
    Op("scatter_reduce_prod", lambda a, b, dim, index, reduce, include_self: a.scatter_reduce(
           dim, ad.tensor(index), b, reduce, include_self=include_self), np_scatter_reduce,
       lambda a, b, dim, index, reduce, include_self: a.scatter_reduce(
           dim, _torch().from_numpy(index), b, reduce, include_self=include_self), 2,
       scatter_reduce_case(("prod",)), "ScatterReduceBackward0", torch_edges=False,
       second_order=False, kinks=(0.0,), gap=0.05),
    # second order of prod: refused (its gradient's factors are computed as constants)
    Op("diagonal_scatter", lambda a, b, offset, dim1, dim2: ad.diagonal_scatter(
           a, b, offset, dim1, dim2), _np_diagonal_scatter,
       lambda a, b, offset, dim1, dim2: _torch().diagonal_scatter(a, b, offset, dim1, dim2), 2,
       diagonal_scatter_case(), "DiagonalScatterBackward0", saves=False),
    Op("select_scatter", lambda a, b, dim, index: a.select_scatter(b, dim, index),
       lambda a, b, dim, index: _np_put(a, b, (slice(None),) * (dim % a.ndim) + (index,)),
       lambda a, b, dim, index: _torch().select_scatter(a, b, dim, index), 2,
       select_scatter_case(), "SelectScatterBackward0", saves=False),
    Op("slice_scatter", lambda a, b, dim, start, end, step: ad.slice_scatter(
           a, b, dim, start, end, step),
       lambda a, b, dim, start, end, step: _np_put(
           a, b, (slice(None),) * (dim % a.ndim) + (slice(start, end, step),)),
       lambda a, b, dim, start, end, step: a.slice_scatter(b, dim, start, end, step), 2,
       slice_scatter_case(), "SliceScatterBackward0", saves=False),
    Op("cov", lambda a, correction, fweights: ad.cov(a, correction=correction,
           fweights=None if fweights is None else ad.tensor(fweights)),
       lambda a, correction, fweights: np.cov(a, ddof=correction, fweights=fweights),
       lambda a, correction, fweights: _torch().cov(a, correction=correction,
           fweights=None if fweights is None else _torch().from_numpy(fweights)), 1,
       cov_case(), "SqueezeBackward0", gradgrad=True),
    Op("corrcoef", ad.corrcoef, np.corrcoef, lambda a: _torch().corrcoef(a), 1,
       cov_case(weights=False, min_n=3).map(lambda c: (c[0], {})), lambda shapes, kw: "DivBackward0"
       if len(shapes[0]) == 1 or shapes[0][0] == 1 else "ClampBackward1", prepare=uncorrelated),
    Op("quantile", lambda a, q, dim, keepdim, interpolation: a.quantile(
           _q(ad, q), dim, keepdim, interpolation=interpolation), np_quantile,
       lambda a, q, dim, keepdim, interpolation: a.quantile(
           _q(_torch(), q), dim, keepdim, interpolation=interpolation), 1, quantile_case(),
       _quantile_name, tie_free=True, torch_named=_no, saves=False),
    Op("nanquantile", lambda a, q, dim, keepdim, interpolation: ad.nanquantile(
           a, _q(ad, q), dim, keepdim, interpolation=interpolation), np_quantile,
       lambda a, q, dim, keepdim, interpolation: _torch().nanquantile(
           a, _q(_torch(), q), dim, keepdim, interpolation=interpolation), 1, quantile_case(),
       _quantile_name, tie_free=True, torch_named=_no, saves=False),
    Op("nanmedian", lambda a, dim, keepdim: _values(a.nanmedian(dim, keepdim)),
       lambda a, dim, keepdim: _np_lower_median(a, dim, keepdim),
       lambda a, dim, keepdim: _values(a.nanmedian() if dim is None else a.nanmedian(
           dim, keepdim)), 1, reduction(allow_tuple=False).filter(lambda c: c[1]["dim"] is not None
           or not c[1]["keepdim"]), _named("NanmedianBackward0", "NanmedianBackward1"),
       tie_free=True, torch_edges=False, saves=False),
    Op("msort", lambda a: a.msort(), lambda a: np.sort(a, axis=0), lambda a: _torch().msort(a),
       1, unary(min_dims=1), "GatherBackward0", tie_free=True, saves=False, torch_named=_no),
    Op("std", lambda a, dim, keepdim: a.std(dim, keepdim=keepdim),
       lambda a, dim, keepdim: np.sqrt(_np_var(a, dim, keepdim)),
       lambda a, dim, keepdim: a.std(dim=dim, keepdim=keepdim), 1, reduction(min_side=2),
       "SqrtBackward0", torch_named=_no, tie_free=True, empty=(((0, 3),), {"dim": 1, "keepdim": False})),
    Op("prod", lambda a, dim, keepdim: a.prod(dim, keepdim), _np_prod, _torch_prod, 1,
       reduction(allow_tuple=False), _prod_name, torch_named=_not_reshaped, kinks=(0.0,), gap=0.1,
       empty=(((0, 3),), {"dim": 1, "keepdim": False})),
    Op("norm", lambda a, dim, keepdim, p: a.norm(p, dim, keepdim), _np_norm, _torch_norm, 1,
       norm_case(), "LinalgVectorNormBackward0", torch_named=lambda shapes, kw: len(shapes[0]) > 0,
       kinks=(0.0,), gap=0.05),
    Op("cumsum", lambda a, dim: a.cumsum(dim), lambda a, dim: np.cumsum(a, axis=dim),
       lambda a, dim: a.cumsum(dim), 1, dim_case(min_dims=1), "CumsumBackward0", saves=False,
       empty=(((0, 3),), {"dim": 1})),
    Op("cumsum_dtype", lambda a, dim: a.cumsum(dim, dtype=ad.float64),
       lambda a, dim: np.cumsum(a, axis=dim), lambda a, dim: a.cumsum(dim, dtype=a.dtype), 1,
       dim_case(min_dims=1), "CumsumBackward0", saves=False),
    Op("prod_dtype", lambda a, dim, keepdim: a.prod(dim, keepdim, dtype=ad.float64), _np_prod,
       _torch_prod, 1, reduction(allow_tuple=False), _prod_name, torch_named=_not_reshaped,
       kinks=(0.0,), gap=0.1),
    Op("cumprod", lambda a, dim: a.cumprod(dim), lambda a, dim: np.cumprod(a, axis=dim),
       lambda a, dim: a.cumprod(dim), 1, dim_case(min_dims=1), "CatBackward0", torch_named=_no, saves=False,
       kinks=(0.0,), gap=0.1, tol_reason="torch's cumprod double backward divides by x: 0 near 0"),
    Op("t", lambda a: a.t(), lambda a: a.T, lambda a: a.t(), 1, unary(min_dims=2, max_dims=2),
       "TBackward0", saves=False, empty=(((0, 3),), {})),
    Op("mm", ad.mm, np.matmul, lambda a, b: a.mm(b), 2, matrices_case(), "MmBackward0"),
    Op("bmm", ad.bmm, np.matmul, lambda a, b: a.bmm(b), 2, matrices_case(batch=True),
       "BmmBackward0"),
    Op("dot", ad.dot, np.dot, lambda a, b: a.dot(b), 2, vectors_case(), "DotBackward0"),
    Op("outer", ad.outer, np.outer, lambda a, b: a.outer(b), 2, vectors_case(same=False),
       "MulBackward0", torch_named=_no, covers=("ger",)),
    # torch 2.13's own vander cannot backward (its in-place cumprod trips the version check):
    # the twin is the same matrix from pow (whose second derivative at 0 is NaN)
    Op("vander", lambda a, N, increasing: ad.vander(a, N, increasing),
       lambda a, N, increasing: np.vander(a, N, increasing=increasing),
       lambda a, N, increasing: _torch_vander(a, N, increasing), 1, _vander_case(),
       _vander_name, torch_named=_no, torch_edges=False, saves=False, torch_second_order=False,
       empty=(((0,),), {"N": 2, "increasing": False})),
    Op("put", lambda a, s: ad.put(a, ad.tensor([0, -1, 2]), s),
       lambda a, s: _np_put_flat(a, [0, -1, 2], s, False),
       lambda a, s: a.put(_torch().tensor([0, -1, 2]), s), 2, st.just((((2, 3), (3,)), {})),
       "PutBackward0", saves=False, empty=None),
    Op("put_accumulate", lambda a, s: a.put(ad.tensor([[1, 1], [-2, 4]]), s, accumulate=True),
       lambda a, s: _np_put_flat(a, [1, 1, -2, 4], s, True),
       lambda a, s: a.put(_torch().tensor([[1, 1], [-2, 4]]), s, accumulate=True), 2,
       st.just((((3, 2), (2, 2)), {})), "PutBackward0", saves=False, empty=None),
    Op("cumulative_trapezoid", lambda a, dim: ad.cumulative_trapezoid(a, dx=0.5, dim=dim),
       lambda a, dim: np.cumsum((np.take(a, range(1, a.shape[dim]), dim) + np.take(
           a, range(a.shape[dim] - 1), dim)) * 0.25, axis=dim),
       lambda a, dim: _torch().cumulative_trapezoid(a, dx=0.5, dim=dim), 1,
       dim_case(min_dims=1), "CumsumBackward0", saves=False, torch_named=_no,
       empty=(((0, 3),), {"dim": 0})),  # the node below: torch's MulBackward1 (a scalar
    # overload), the engine's MulBackward0 with a constant edge (architecture: no twins)
    Op("vdot", ad.vdot, np.vdot, lambda a, b: a.vdot(b), 2, vectors_case(), "VdotBackward0"),
    Op("addr", lambda a, v1, v2, beta, alpha: ad.addr(a, v1, v2, beta=beta, alpha=alpha),
       lambda a, v1, v2, beta, alpha: beta * a + alpha * np.outer(v1, v2),
       lambda a, v1, v2, beta, alpha: a.addr(v1, v2, beta=beta, alpha=alpha), 3, addr_case(),
       "AddrBackward0", empty=(((0, 2), (0,), (2,)), {"beta": 1, "alpha": 1})),
    Op("flip", lambda a, dims: a.flip(dims), lambda a, dims: np.flip(a, dims),
       lambda a, dims: a.flip(dims if isinstance(dims, tuple) else (dims,)), 1, flip_case(),
       "FlipBackward0", saves=False),
    Op("roll", lambda a, shifts, dims: a.roll(shifts, dims),
       lambda a, shifts, dims: np.roll(a, shifts, dims),
       lambda a, shifts, dims: a.roll(shifts, dims), 1, roll_case(), "RollBackward0", saves=False),
    Op("repeat", lambda a, repeats: a.repeat(*repeats),
       lambda a, repeats: np.tile(a.reshape((1,) * (len(repeats) - a.ndim) + a.shape), repeats),
       lambda a, repeats: a.repeat(*repeats), 1, repeat_case(), "RepeatBackward0", saves=False),
    Op("narrow", lambda a, dim, start, length: a.narrow(dim, start, length),
       lambda a, dim, start, length: np.take(a, range(start, start + length), axis=dim),
       lambda a, dim, start, length: a.narrow(dim, start, length), 1, narrow_case(),
       "SliceBackward0", saves=False, torch_named=_no),
    Op("gather", lambda a, dim, index: a.gather(dim, ad.tensor(index)),
       lambda a, dim, index: np.take_along_axis(
           a[tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))],
           index, dim),
       lambda a, dim, index: a.gather(dim, _torch().from_numpy(index)), 1, gather_case(),
       "GatherBackward0", saves=False, torch_edges=False),
    Op("scatter", lambda a, b, dim, index: a.scatter(dim, ad.tensor(index), b), _np_scatter,
       lambda a, b, dim, index: a.scatter(dim, _torch().from_numpy(index), b), 2, scatter_case(),
       "ScatterBackward0", saves=False, torch_edges=False),
    Op("index_select", lambda a, dim, index: a.index_select(dim, ad.tensor(index)),
       lambda a, dim, index: np.take(a, index, axis=dim),
       lambda a, dim, index: a.index_select(dim, _torch().from_numpy(index)), 1,
       index_select_case(), "IndexSelectBackward0", saves=False),
    Op("sort", lambda a, dim, descending: a.sort(dim, descending).values,
       lambda a, dim, descending: np.take_along_axis(
           a, np.argsort(-a if descending else a, axis=dim, kind="stable"), dim),
       lambda a, dim, descending: a.sort(dim=dim, descending=descending).values, 1, sort_case(),
       "GatherBackward0", tie_free=True, saves=False, torch_named=_no),
    Op("topk", lambda a, k, dim, largest: a.topk(k, dim, largest).values, _np_topk,
       lambda a, k, dim, largest: a.topk(k, dim, largest).values, 1, topk_case(),
       "GatherBackward0", tie_free=True, saves=False, torch_named=_no),
    Op("tril", lambda a: a.tril(), np.tril, lambda a: a.tril(), 1, unary(min_dims=2),
       "TrilBackward0", saves=False, empty=(((0, 3),), {})),
    Op("triu", lambda a: ad.triu(a, 1), lambda a: np.triu(a, 1), lambda a: a.triu(1), 1,
       unary(min_dims=2), "TriuBackward0", saves=False, empty=(((0, 3),), {})),
    Op("lerp", lambda a, b: a.lerp(b, 0.3), lambda a, b: a + 0.3 * (b - a),
       lambda a, b: a.lerp(b, 0.3), 2, elementwise(2), "LerpBackward0", saves=False),
    Op("lerp_tensor", lambda a, b, w: a.lerp(b, w), lambda a, b, w: a + w * (b - a),
       lambda a, b, w: a.lerp(b, w), 3, elementwise(3), "LerpBackward1"),
    Op("masked_fill", lambda a, mask: a.masked_fill(ad.tensor(mask), 2.0),
       lambda a, mask: np.where(mask, 2.0, a),
       lambda a, mask: a.masked_fill(_torch().from_numpy(mask), 2.0), 1, masked_fill_case(),
       "WhereBackward0", saves=False, torch_named=_no),
    # --- issue 22: einsum, matrix functions, torch.linalg, masked_select, select ---
    Op("einsum", lambda *ts, equation: ad.einsum(equation, *ts),
       lambda *xs, equation: _np_einsum(equation, *xs),
       lambda *ts, equation: _torch().einsum(equation, *ts), VARIADIC, einsum_case(),
       "EinsumBackward0", torch_named=_no, gradgrad=True),
    Op("diag", lambda a, diagonal: ad.diag(a, diagonal), lambda a, diagonal: np.diag(a, diagonal),
       lambda a, diagonal: _torch().diag(a, diagonal), 1, diag_case(), "DiagEmbedBackward0",
       saves=False),
    Op("diagonal", lambda a, offset, dim1, dim2: a.diagonal(offset, dim1, dim2),
       lambda a, offset, dim1, dim2: np.diagonal(a, offset, dim1, dim2),
       lambda a, offset, dim1, dim2: a.diagonal(offset, dim1, dim2), 1, diagonal_case(),
       "DiagonalBackward0", saves=False),
    Op("diag_embed", lambda a: ad.diag_embed(a, 1), lambda a: _np_diag_embed(a, 1),
       lambda a: _torch().diag_embed(a, 1), 1, unary(min_dims=1, max_dims=2),
       "DiagEmbedBackward0", saves=False),
    Op("trace", lambda a: a.trace(), np.trace, lambda a: a.trace(), 1,
       unary(min_dims=2, max_dims=2), "TraceBackward0", saves=False),
    Op("kron", ad.kron, np.kron, lambda a, b: _torch().kron(a, b), 2, kron_case(),
       "ViewBackward0", torch_named=_no),
    Op("cross", lambda a, b, dim: ad.cross(a, b, dim), lambda a, b, dim: np.cross(a, b, axis=dim),
       lambda a, b, dim: _torch().linalg.cross(*_torch().broadcast_tensors(a, b), dim=dim), 2,
       cross_case(),
       "LinalgCrossBackward0", torch_named=lambda shapes, kw: len(set(map(len, shapes))) == 1,
       gradgrad=True),
    Op("cdist", lambda a, b, p: ad.cdist(a, b, p), _np_cdist,
       lambda a, b, p: _torch().cdist(a, b, p, compute_mode="donot_use_mm_for_euclid_dist"), 2,
       cdist_case(), "CdistBackward0", tie_free=True, prepare=apart, second_order=False),
    # second order: torch has no derivative of _cdist_backward to compare with
    Op("masked_select", lambda a, mask: a.masked_select(ad.tensor(mask)),
       lambda a, mask: np.broadcast_to(a, np.broadcast_shapes(a.shape, mask.shape))[
           np.broadcast_to(mask, np.broadcast_shapes(a.shape, mask.shape))],
       lambda a, mask: a.masked_select(_torch().from_numpy(np.asarray(mask))), 1,
       masked_select_case(),
       "MaskedSelectBackward0", saves=False),
    Op("select", lambda a, dim, index: a.select(dim, index),
       lambda a, dim, index: np.take(a, index, axis=dim),
       lambda a, dim, index: a.select(dim, index), 1, select_case(), _select_name, saves=False,
       torch_named=lambda shapes, kw: kw["dim"] % len(shapes[0]) == 0),
    Op("clip", lambda a: a.clip(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5),
       lambda a: a.clip(-0.5, 0.5), 1, unary(), "ClampBackward1", kinks=(-0.5, 0.5),
       empty=_EMPTY1),
    Op("contiguous", lambda a: a.transpose(0, 1).contiguous(), lambda a: np.swapaxes(a, 0, 1),
       lambda a: a.transpose(0, 1).contiguous(), 1, square_case(batch=False).filter(
           lambda c: c[0][0][0] > 1), "CloneBackward0", saves=False),
    Op("inv", ad.linalg.inv, np.linalg.inv, lambda a: _torch().linalg.inv(a), 1, square_case(),
       "LinalgInvExBackward0", prepare=well_conditioned, rtol=1e-4,
       tol_reason="finite differences through a matrix inverse", covers=("linalg.inv",)),
    Op("det", ad.linalg.det, np.linalg.det, lambda a: _torch().linalg.det(a), 1, square_case(),
       "LinalgDetBackward0", prepare=well_conditioned, rtol=1e-4,
       tol_reason="finite differences through an LU factorisation"),
    Op("slogdet", lambda a: ad.linalg.slogdet(a)[1], lambda a: np.linalg.slogdet(a)[1],
       lambda a: _torch().linalg.slogdet(a)[1], 1, square_case(), "LinalgSlogdetBackward0",
       prepare=well_conditioned, rtol=1e-4, tol_reason="see det"),
    Op("logdet", ad.logdet, lambda a: np.log(np.linalg.det(a)), lambda a: _torch().logdet(a), 1,
       square_case(), "AddBackward0", prepare=well_conditioned, torch_named=_no, rtol=1e-4,
       tol_reason="see det"),
    Op("solve", ad.linalg.solve, _np_solve, lambda a, b: _torch().linalg.solve(a, b), 2,
       square_case(rhs=True), _solve_name, prepare=well_conditioned, rtol=1e-4,
       tol_reason="see inv",
       torch_named=lambda shapes, kw: _solve_name(shapes, kw) == "LinalgSolveExBackward0",
       covers=("linalg.solve",)),
    Op("cholesky", lambda a: ad.linalg.cholesky(_gram(a)), _np_cholesky_of_gram,
       lambda a: _torch().linalg.cholesky(_gram(a)), 1, square_case(),
       "LinalgCholeskyExBackward0", rtol=1e-4, tol_reason="see inv"),
    Op("qr", lambda a: _flat_parts(ad.linalg.qr(a)), _np_qr_parts,
       lambda a: _flat_parts(_torch().linalg.qr(a)), 1, tall_case(), "CatBackward0",
       prepare=spread_singular_values, torch_named=_no, rtol=1e-4, kinks=(0.0,), gap=0.05,
       tol_reason="finite differences through a factorisation (LAPACK's signs flip where an "
       "entry below the diagonal is exactly 0: kept away from 0)"),
    Op("linalg_svd", lambda a, ord: _svd_parts(ad.linalg.svd(a, full_matrices=False)),
       lambda a, ord: _np_svd_parts(a),
       lambda a, ord: _svd_parts(_torch().linalg.svd(a, full_matrices=False)), 1,
       any_matrix_case(), "CatBackward0", prepare=spread_singular_values, torch_named=_no,
       rtol=1e-4, tol_reason="see qr", covers=("linalg.svd",)),
    Op("svdvals", lambda a, ord: ad.linalg.svdvals(a),
       lambda a, ord: np.linalg.svd(a, compute_uv=False),
       lambda a, ord: _torch().linalg.svdvals(a), 1, any_matrix_case(), "LinalgSvdBackward0",
       prepare=spread_singular_values, rtol=1e-4, tol_reason="see qr", covers=("linalg.svdvals",)),
    Op("vector_norm", lambda a, dim, keepdim, ord: ad.linalg.vector_norm(a, ord, dim, keepdim),
       lambda a, dim, keepdim, ord: _np_vector_norm(a, dim, keepdim, ord),
       lambda a, dim, keepdim, ord: _torch().linalg.vector_norm(a, ord, dim, keepdim), 1,
       vector_norm_case(), "LinalgVectorNormBackward0", prepare=distinct_magnitudes,
       torch_named=lambda shapes, kw: len(shapes[0]) > 0, covers=("linalg.vector_norm",)),
    Op("matrix_norm", lambda a, ord: ad.linalg.matrix_norm(a, ord),
       lambda a, ord: np.linalg.norm(a, ord, axis=(-2, -1)),
       lambda a, ord: _torch().linalg.matrix_norm(a, ord), 1,
       any_matrix_case(("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)), _matrix_norm_name,
       prepare=distinct_sums, torch_named=_fro,
       rtol=1e-4,
       tol_reason="see qr", covers=("linalg.matrix_norm",)),
    Op("linalg_norm", lambda a, ord: ad.linalg.norm(a, ord, dim=-1),
       lambda a, ord: np.linalg.norm(a, ord, axis=-1),
       lambda a, ord: _torch().linalg.norm(a, ord, dim=-1), 1, any_matrix_case((None, 1, 3)),
       "LinalgVectorNormBackward0", kinks=(0.0,), gap=0.05, covers=("linalg.norm",)),
    # --- every public op has a row (test_op_table_covers_the_public_surface) ---
    Op("sign", ad.sign, np.sign, lambda a: a.sign(), 1, unary(), "SignBackward0", kinks=(0.0,),
       saves=False, empty=_EMPTY1),
    Op("inverse", ad.inverse, np.linalg.inv, lambda a: _torch().inverse(a), 1, square_case(),
       "LinalgInvExBackward0", prepare=well_conditioned, rtol=1e-4, tol_reason="see inv"),
    Op("chunk", lambda a, dim, chunks: _flat_parts(a.chunk(chunks, dim)),
       lambda a, dim, chunks: _np_flat(_np_chunks(a, chunks, dim)),
       lambda a, dim, chunks: _flat_parts(a.chunk(chunks, dim)), 1, _split_case("chunks"),
       "CatBackward0", saves=False, torch_named=_no),
    Op("split", lambda a, dim, size: _flat_parts(ad.split(a, size, dim)),
       lambda a, dim, size: _np_flat(_np_pieces(a, size, dim)),
       lambda a, dim, size: _flat_parts(a.split(size, dim)), 1, _split_case("size"),
       "CatBackward0", saves=False, torch_named=_no),
    Op("unsafe_chunk", lambda a, dim, chunks: _flat_parts(ad.unsafe_chunk(a, chunks, dim)),
       lambda a, dim, chunks: _np_flat(_np_chunks(a, chunks, dim)),
       lambda a, dim, chunks: _flat_parts(_torch().unsafe_chunk(a, chunks, dim)), 1,
       _split_case("chunks"), "CatBackward0", saves=False, torch_named=_no),
    Op("unsafe_split", lambda a, dim, size: _flat_parts(a.unsafe_split(size, dim)),
       lambda a, dim, size: _np_flat(_np_pieces(a, size, dim)),
       lambda a, dim, size: _flat_parts(a.unsafe_split(size, dim)), 1, _split_case("size"),
       "CatBackward0", saves=False, torch_named=_no),
    Op("unbind", lambda a, dim: _flat_parts(a.unbind(dim)),
       lambda a, dim: _np_flat(np.moveaxis(a, dim, 0)),
       lambda a, dim: _flat_parts(a.unbind(dim)), 1, dim_case(min_dims=1), "CatBackward0",
       saves=False, torch_named=_no),
    Op("meshgrid", lambda a, b: _flat_parts(ad.meshgrid(a, b, indexing="ij")),
       lambda a, b: _np_flat(np.meshgrid(a, b, indexing="ij")),
       lambda a, b: _flat_parts(_torch().meshgrid(a, b, indexing="ij")), 2,
       vectors_case(same=False), "CatBackward0", saves=False, torch_named=_no),
    Op("svd", lambda a, ord: _svd_parts(ad.svd(a)), lambda a, ord: _np_svd_v_parts(a),
       lambda a, ord: _svd_parts(_torch().svd(a)), 1, any_matrix_case(), "CatBackward0",
       prepare=spread_singular_values, torch_named=_no, rtol=1e-4, tol_reason="see qr"),
    Op("linalg_cross", lambda a, b, dim: ad.linalg.cross(a, b, dim=dim),
       lambda a, b, dim: np.cross(a, b, axis=dim),
       lambda a, b, dim: _torch().linalg.cross(*_torch().broadcast_tensors(a, b), dim=dim), 2,
       cross_case(), "LinalgCrossBackward0",
       torch_named=lambda shapes, kw: len(set(map(len, shapes))) == 1, covers=("linalg.cross",)),
    Op("linalg_diagonal", lambda a, offset, dim1, dim2: ad.linalg.diagonal(
           a, offset=offset, dim1=dim1, dim2=dim2),
       lambda a, offset, dim1, dim2: np.diagonal(a, offset, dim1, dim2),
       lambda a, offset, dim1, dim2: _torch().linalg.diagonal(
           a, offset=offset, dim1=dim1, dim2=dim2), 1, diagonal_case(), "DiagonalBackward0",
       saves=False, covers=("linalg.diagonal",)),
    Op("matrix_power", lambda a, n: ad.linalg.matrix_power(a, n), np.linalg.matrix_power,
       lambda a, n: _torch().linalg.matrix_power(a, n), 1, square_case().flatmap(
           lambda c: st.sampled_from([2, 3, -1, -2]).map(lambda n: (c[0], {"n": n}))),
       _matrix_power_name, prepare=well_conditioned, rtol=1e-4, tol_reason="see inv",
       torch_named=lambda shapes, kw: len(shapes[0]) == 2 or kw["n"] == -1,
       covers=("linalg.matrix_power",)),
    Op("matrix_power_0_1", lambda a, n: ad.linalg.matrix_power(a, n), np.linalg.matrix_power,
       lambda a, n: _torch().linalg.matrix_power(a, n), 1, square_case().flatmap(
           lambda c: st.sampled_from([0, 1]).map(lambda n: (c[0], {"n": n}))),
       _matrix_power_name, saves=False, torch_named=lambda shapes, kw: kw["n"] == 1),
    Op("multi_dot", lambda a, b, c: ad.linalg.multi_dot([a, b, c]),
       lambda a, b, c: np.linalg.multi_dot([a, b, c]),
       lambda a, b, c: _torch().linalg.multi_dot([a, b, c]), 3, _chain_case(), "MmBackward0",
       torch_named=_no, covers=("linalg.multi_dot",)),
    Op("vecdot", lambda a, b: ad.linalg.vecdot(a, b), lambda a, b: (a * b).sum(-1),
       lambda a, b: _torch().linalg.vecdot(a, b), 2, _vecdot_case(), "SumBackward1",
       torch_named=lambda shapes, kw: max(map(len, shapes)) > 1, covers=("linalg.vecdot",)),
    Op("expand_as", lambda a, sizes: a.expand_as(_like(_np_expand(a.shape, sizes))(a)),
       lambda a, sizes: np.broadcast_to(a, _np_expand(a.shape, sizes)),
       lambda a, sizes: a.expand_as(_like(_np_expand(a.shape, sizes))(a)), 1, expand_case(),
       "ExpandBackward0", saves=False),
    Op("reshape_as", lambda a, shape: a.reshape_as(_like(_np_reshaped(a, shape))(a)),
       lambda a, shape: a.reshape(shape),
       lambda a, shape: a.reshape_as(_like(_np_reshaped(a, shape))(a)), 1, reshape_case(),
       "ViewBackward0", saves=False),
    Op("view_as", lambda a, shape: a.view_as(_like(_np_reshaped(a, shape))(a)),
       lambda a, shape: a.reshape(shape),
       lambda a, shape: a.view_as(_like(_np_reshaped(a, shape))(a)), 1, reshape_case(),
       "ViewBackward0", saves=False),
    Op("type_as", lambda a: a.type_as(ad.zeros(1, dtype=ad.float32)),
       lambda a: a.astype(F32).astype(np.float64),
       lambda a: a.type_as(_torch().zeros(1, dtype=_torch().float32)), 1, unary(),
       "ToCopyBackward0", saves=False, rtol=0.1, atol=1e-4, second_order=False,
       tol_reason="float32 forward (see to_float32)", empty=_EMPTY1),
    Op("swapaxes", lambda a, dim0, dim1: a.swapaxes(dim0, dim1),
       lambda a, dim0, dim1: np.swapaxes(a, dim0, dim1),
       lambda a, dim0, dim1: a.swapaxes(dim0, dim1), 1, transpose_case(), "TransposeBackward0",
       saves=False, covers=("swapdims",)),
    Op("mT", lambda a: a.mT, lambda a: np.swapaxes(a, -1, -2), lambda a: a.mT, 1,
       unary(min_dims=2), "TransposeBackward0", saves=False),
    Op("clamp_min", lambda a: ad.clamp_min(a, 0.2), lambda a: np.maximum(a, 0.2),
       lambda a: _torch().clamp_min(a, 0.2), 1, unary(), "ClampMinBackward0", kinks=(0.2,),
       empty=_EMPTY1),
    Op("clamp_min_method", lambda a: a.clamp_min(0.2), lambda a: np.maximum(a, 0.2),
       lambda a: a.clamp_min(0.2), 1, unary(), "ClampMinBackward0", kinks=(0.2,),
       empty=_EMPTY1),
    Op("clamp_max", lambda a: ad.clamp_max(a, 0.2), lambda a: np.minimum(a, 0.2),
       lambda a: _torch().clamp_max(a, 0.2), 1, unary(), "ClampMaxBackward0", kinks=(0.2,),
       empty=_EMPTY1),
    Op("clamp_max_method", lambda a: a.clamp_max(0.2), lambda a: np.minimum(a, 0.2),
       lambda a: a.clamp_max(0.2), 1, unary(), "ClampMaxBackward0", kinks=(0.2,),
       empty=_EMPTY1),
    Op("addcmul", lambda a, b, c: a.addcmul(b, c, value=0.5), lambda a, b, c: a + 0.5 * b * c,
       lambda a, b, c: a.addcmul(b, c, value=0.5), 3, elementwise(3), "AddcmulBackward0"),
    Op("addcdiv", lambda a, b, c: a.addcdiv(b, c, value=2), lambda a, b, c: a + 2 * b / c,
       lambda a, b, c: a.addcdiv(b, c, value=2), 3, elementwise(3), "AddcdivBackward0",
       domains=((-3.0, 3.0), (-3.0, 3.0), POS)),
    # --- names2: repeat_interleave, tile, scatter_add, index_add, take_along_dim ---
    Op("repeat_interleave", lambda a, repeats, dim: a.repeat_interleave(repeats, dim),
       lambda a, repeats, dim: np.repeat(a, repeats, dim),
       lambda a, repeats, dim: a.repeat_interleave(repeats, dim), 1, repeat_interleave_case(),
       "ViewBackward0", saves=False, empty=(((0, 3),), {"repeats": 2, "dim": 1})),
    Op("repeat_interleave_counts",
       lambda a, repeats, dim: ad.repeat_interleave(a, ad.tensor(repeats), dim),
       lambda a, repeats, dim: np.repeat(a, repeats, dim),
       lambda a, repeats, dim: _torch().repeat_interleave(a, _torch().from_numpy(repeats), dim),
       1, repeat_interleave_case(counts=True), "IndexSelectBackward0", saves=False,
       empty=(((0, 3),), {"repeats": np.array([2]), "dim": 1})),
    Op("tile", lambda a, dims: a.tile(dims), lambda a, dims: np.tile(a, dims),
       lambda a, dims: a.tile(dims), 1, tile_case(), "RepeatBackward0", saves=False,
       empty=(((0, 3),), {"dims": (2,)})),
    Op("scatter_add", lambda a, b, dim, index: a.scatter_add(dim, ad.tensor(index), b),
       _np_scatter_add,
       lambda a, b, dim, index: a.scatter_add(dim, _torch().from_numpy(index), b), 2,
       scatter_add_case(), "ScatterAddBackward0", saves=False,
       empty=(((0, 3), (0, 3)), {"dim": 0, "index": np.zeros((0, 3), dtype=np.int64)})),
    Op("index_add", lambda a, b, dim, index, alpha: a.index_add(dim, ad.tensor(index), b,
                                                                alpha=alpha),
       _np_index_add,
       lambda a, b, dim, index, alpha: a.index_add(dim, _torch().from_numpy(index), b,
                                                   alpha=alpha), 2,
       index_add_case(), "IndexAddBackward0", saves=False,
       empty=(((2, 3), (0, 3)), {"dim": 0, "index": np.zeros(0, dtype=np.int64), "alpha": 2})),
    Op("take_along_dim", lambda a, indices, dim: ad.take_along_dim(a, ad.tensor(indices), dim),
       _np_take_along_dim,
       lambda a, indices, dim: _torch().take_along_dim(a, _torch().from_numpy(indices), dim), 1,
       take_along_dim_case(), "GatherBackward0", saves=False,
       empty=(((0, 3),), {"indices": np.zeros((0, 1), dtype=np.int64), "dim": 1})),
    # --- names2: addmm, addmv, baddbmm, addbmm, mv, inner, tensordot, chain_matmul ---
    *[Op(op, lambda x, a, b, beta, alpha, op=op: getattr(ad, op)(x, a, b, beta=beta, alpha=alpha),
         _np_add_product(op),
         lambda x, a, b, beta, alpha, op=op: getattr(_torch(), op)(x, a, b, beta=beta,
                                                                   alpha=alpha),
         3, add_product_case(op), node, gradgrad=op == "addmm")
      for op, node in (("addmm", "AddmmBackward0"), ("addmv", "AddmvBackward0"),
                       ("baddbmm", "BaddbmmBackward0"), ("addbmm", "AddbmmBackward0"))],
    Op("mv", ad.mv, np.matmul, lambda a, b: _torch().mv(a, b), 2,
       matrices_case().map(lambda c: ((c[0][0], c[0][1][:1]), {})), "MvBackward0"),
    Op("inner", ad.inner, _np_inner, lambda a, b: _torch().inner(a, b), 2, inner_case(),
       lambda shapes, kw: "MulBackward0" if min(map(len, shapes)) == 0 else "ViewBackward0"),
    Op("tensordot", lambda a, b, dims: ad.tensordot(a, b, dims), _np_tensordot,
       lambda a, b, dims: _torch().tensordot(a, b, dims), 2, tensordot_case(), "ViewBackward0",
       torch_named=_tensordot_as_torch),
    Op("chain_matmul", lambda a, b, c: _chain_matmul(ad, a, b, c),
       lambda a, b, c: np.linalg.multi_dot([a, b, c]),
       lambda a, b, c: _chain_matmul(_torch(), a, b, c), 3, _chain_case(), "MmBackward0",
       torch_named=_no),  # torch multiplies in the cheapest order under a view
    # --- names2: shape helpers ---
    Op("broadcast_tensors", lambda a, b: _flat_parts(ad.broadcast_tensors(a, b)),
       lambda a, b: _np_flat(np.broadcast_arrays(a, b)),
       lambda a, b: _flat_parts(_torch().broadcast_tensors(a, b)), 2, elementwise(2),
       "CatBackward0", saves=False, torch_named=_no),
    *[Op(name, getattr(ad, name), lambda a, name=name: getattr(np, name)(a),
         lambda a, name=name: getattr(_torch(), name)(a), 1,
         unary(max_dims=int(name[-2]) - 1), lambda shapes, kw, name=name: _atleast_name(
             name, shapes), saves=False) for name in ("atleast_1d", "atleast_2d", "atleast_3d")],
    Op("column_stack", lambda *ts: ad.column_stack(ts), _np_column_stack,
       lambda *ts: _torch().column_stack(ts), VARIADIC, columns_case(), "CatBackward0",
       saves=False),
    Op("dstack", lambda *ts: ad.dstack(ts), lambda *xs: np.dstack(xs),
       lambda *ts: _torch().dstack(ts), VARIADIC, columns_case(depth=True), "CatBackward0",
       saves=False),
    Op("rot90", lambda a, k, dims: a.rot90(k, dims), lambda a, k, dims: np.rot90(a, k, dims),
       lambda a, k, dims: a.rot90(k, dims), 1, rot90_case(), "Rot90Backward0", saves=False),
    Op("fliplr", ad.fliplr, np.fliplr, lambda a: a.fliplr(), 1, unary(min_dims=2),
       "FlipBackward0", saves=False),
    Op("flipud", lambda a: a.flipud(), np.flipud, lambda a: _torch().flipud(a), 1,
       unary(min_dims=1), "FlipBackward0", saves=False),
    Op("block_diag", ad.block_diag, _np_block_diag, lambda *ts: _torch().block_diag(*ts),
       VARIADIC, blocks_case(), "BlockDiagBackward0", saves=False),
    Op("cartesian_prod", ad.cartesian_prod, _np_cartesian,
       lambda *ts: _torch().cartesian_prod(*ts), VARIADIC,
       st.integers(2, 3).flatmap(lambda n: st.tuples(*[st.integers(1, 3)] * n)).map(
           lambda sizes: (tuple((s,) for s in sizes), {})), "StackBackward0", saves=False,
       torch_named=_no),  # torch flattens the grids with a copy (UnsafeViewBackward0)
    Op("combinations", lambda a, r, with_replacement: ad.combinations(a, r, with_replacement),
       _np_combinations,
       lambda a, r, with_replacement: _torch().combinations(a, r, with_replacement), 1,
       combinations_case(), "StackBackward0", saves=False),
    # --- names2: dist, renorm, trapezoid ---
    Op("dist", lambda a, b, p: ad.dist(a, b, p),
       lambda a, b, p: np.linalg.norm((a - b).ravel(), p),
       lambda a, b, p: _torch().dist(a, b, p), 2, dist_case(), "DistBackward0",
       prepare=dist_prepare, gradgrad=True),
    Op("renorm", lambda a, p, dim, maxnorm: a.renorm(p, dim, maxnorm), _np_renorm,
       lambda a, p, dim, maxnorm: a.renorm(p, dim, maxnorm), 1, renorm_case(),
       "RenormBackward0", prepare=renorm_prepare, gradgrad=True),
    Op("trapezoid", lambda y, dim, dx: ad.trapezoid(y, dx=dx, dim=dim),
       lambda y, dim, dx: _np_trapezoid(y, dx=dx, dim=dim),
       lambda y, dim, dx: _torch().trapezoid(y, **({} if dx is None else {"dx": dx}), dim=dim),
       1, trapezoid_case(),
       "MulBackward0", saves=False, torch_named=_no, covers=("trapz",),
       empty=(((3, 0),), {"dim": -1, "dx": None})),  # torch: MulBackward1, a C++ scalar
    Op("trapezoid_x", lambda y, x, dim: ad.trapezoid(y, x, dim=dim),
       lambda y, x, dim: _np_trapezoid(y, x, dim=dim),
       lambda y, x, dim: _torch().trapezoid(y, x, dim=dim), 2, trapezoid_case(points=True),
       "DivBackward0", torch_named=_no),  # torch: DivBackward1
    # --- names2: torch.linalg's eigh, eigvalsh, pinv, lstsq, matrix_exp ---
    Op("eigh", lambda a: _eigh_parts(ad, a), _np_eigh_parts, lambda a: _eigh_parts(_torch(), a),
       1, square_case(), "CatBackward0", prepare=symmetric_spread, torch_named=_no, rtol=1e-4,
       tol_reason="see qr", covers=("linalg.eigh",)),
    Op("eigvalsh", lambda a: ad.linalg.eigvalsh(a + a.mT),
       lambda a: np.linalg.eigvalsh(a + np.swapaxes(a, -1, -2)),
       lambda a: _torch().linalg.eigvalsh(a + a.mT), 1, square_case(), "LinalgEighBackward0",
       prepare=symmetric_spread, rtol=1e-4, tol_reason="see qr", covers=("linalg.eigvalsh",)),
    Op("pinv", lambda a, ord: ad.linalg.pinv(a), lambda a, ord: np.linalg.pinv(a),
       lambda a, ord: _torch().linalg.pinv(a), 1, any_matrix_case(), "LinalgPinvBackward0",
       prepare=spread_singular_values, rtol=1e-4, tol_reason="see qr", covers=("linalg.pinv",)),
    Op("lstsq", lambda a, b: ad.linalg.lstsq(a, b).solution, _np_lstsq,
       lambda a, b: _torch().linalg.lstsq(a, b).solution, 2, lstsq_case(),
       "LinalgLstsqBackward0", prepare=spread_first, rtol=1e-4, tol_reason="see qr",
       covers=("linalg.lstsq",)),
    Op("matrix_exp", ad.matrix_exp, _np_expm, lambda a: _torch().linalg.matrix_exp(a), 1,
       square_case(), "LinalgMatrixExpBackward0", rtol=1e-4,
       tol_reason="finite differences through exp of entries up to 3 (values up to ~e^9); "
       "torch's Taylor approximant is off by up to ~1e-9 relative for small norms (exp of the "
       "2x2 matrix of 2^-6s: torch 0.0158717037373, exact and ours 0.0158717037496)",
       torch_value_rtol=1e-8, torch_rtol=1e-8, covers=("linalg.matrix_exp",)),
    # --- names7: torch.linalg's triangular solves, LU, the *_ex forms and compositions ---
    Op("solve_triangular", lambda a, b, **kw: ad.linalg.solve_triangular(a, b, **kw),
       _np_solve_triangular, lambda a, b, **kw: _torch().linalg.solve_triangular(a, b, **kw), 2,
       triangular_case(), "LinalgSolveTriangularBackward0", prepare=well_conditioned, rtol=1e-4,
       tol_reason="see inv", covers=("linalg.solve_triangular",)),
    Op("lu_factor", lambda a: ad.linalg.lu_factor(a).LU, _np_lu_packed,
       lambda a: _torch().linalg.lu_factor(a).LU, 1, square_case(), "LinalgLuFactorExBackward0",
       prepare=lu_ready, rtol=1e-4, tol_reason="see inv",
       covers=("linalg.lu_factor", "linalg.lu_factor_ex")),
    Op("linalg_lu", lambda a: _flat_parts(ad.linalg.lu(a)[1:]), _np_lu_parts,
       lambda a: _flat_parts(_torch().linalg.lu(a)[1:]), 1, square_case(), "CatBackward0",
       prepare=lu_ready, torch_named=_no, rtol=1e-4, tol_reason="see inv",
       covers=("linalg.lu",)),
    Op("lu_unpack", lambda a: _flat_parts(ad.lu_unpack(*ad.linalg.lu_factor(a))[1:]),
       _np_lu_parts, lambda a: _flat_parts(_torch().lu_unpack(*_torch().linalg.lu_factor(a))[1:]),
       1, square_case(), "CatBackward0", prepare=lu_ready, torch_named=_no, rtol=1e-4,
       tol_reason="see inv"),
    Op("linalg_lu_solve", lambda a, b, **kw: ad.linalg.lu_solve(*ad.linalg.lu_factor(a), b, **kw),
       _np_lu_solve,
       lambda a, b, **kw: _torch().linalg.lu_solve(*_torch().linalg.lu_factor(a), b, **kw), 2,
       lu_solve_case(), "LinalgLuSolveBackward0", prepare=lu_ready, rtol=1e-4,
       tol_reason="see inv", covers=("linalg.lu_solve",)),
    Op("inv_ex", lambda a: ad.linalg.inv_ex(a).inverse, np.linalg.inv,
       lambda a: _torch().linalg.inv_ex(a).inverse, 1, square_case(), "LinalgInvExBackward0",
       prepare=well_conditioned, rtol=1e-4, tol_reason="see inv", covers=("linalg.inv_ex",)),
    Op("solve_ex", lambda a, b: ad.linalg.solve_ex(a, b).result, _np_solve,
       lambda a, b: _torch().linalg.solve_ex(a, b).result, 2, square_case(rhs=True), _solve_name,
       prepare=well_conditioned, rtol=1e-4, tol_reason="see inv",
       torch_named=lambda shapes, kw: _solve_name(shapes, kw) == "LinalgSolveExBackward0",
       covers=("linalg.solve_ex",)),
    Op("cholesky_ex", lambda a: ad.linalg.cholesky_ex(_gram(a)).L, _np_cholesky_of_gram,
       lambda a: _torch().linalg.cholesky_ex(_gram(a)).L, 1, square_case(),
       "LinalgCholeskyExBackward0", rtol=1e-4, tol_reason="see inv",
       covers=("linalg.cholesky_ex",)),
    Op("cond", lambda a, p: ad.linalg.cond(a, p), lambda a, p: np.linalg.cond(a, p),
       _torch_cond, 1, cond_case(), _cond_name,
       prepare=distinct_sums, rtol=1e-4, tol_reason="see qr", covers=("linalg.cond",)),
    Op("linalg_vander", lambda a, N: ad.linalg.vander(a, N=N), _np_vander,
       lambda a, N: _torch().linalg.vander(a, N=N), 1, vander_case(), "CatBackward0",
       kinks=(0.0,), torch_named=_no, covers=("linalg.vander",)),  # torch's Cat has a Cumprod
    # under it, ours the chain of products our cumprod is
    Op("tensorinv", lambda a, ind: ad.linalg.tensorinv(a, ind), np.linalg.tensorinv,
       lambda a, ind: _torch().linalg.tensorinv(a, ind), 1,
       st.sampled_from(TENSOR_INVERTIBLE).map(lambda c: ((c[0],), {"ind": c[1]})),
       "ViewBackward0", prepare=tensor_well_conditioned, rtol=1e-4, tol_reason="see inv",
       torch_named=_no, covers=("linalg.tensorinv",)),  # torch: ReshapeAliasBackward0
    Op("tensorsolve", ad.linalg.tensorsolve, np.linalg.tensorsolve,
       lambda a, b: _torch().linalg.tensorsolve(a, b), 2,
       st.sampled_from(TENSOR_SYSTEMS).map(lambda shapes: (shapes, {})), "ViewBackward0",
       prepare=tensor_well_conditioned, rtol=1e-4, tol_reason="see inv",
       covers=("linalg.tensorsolve",)),
    Op("householder_product", ad.linalg.householder_product, _np_householder_product,
       lambda a, tau: _torch().linalg.householder_product(a, tau), 2, householder_case(),
       "LinalgHouseholderProductBackward0", covers=("linalg.householder_product", "orgqr"),
       kinks=(1.0,)),  # torch's second order is nan at tau = 1 for a 1 x 1 matrix (Q = 0)
    Op("ormqr", lambda a, tau, c, **kw: ad.ormqr(a, tau, c, **kw), _np_ormqr,
       lambda a, tau, c, **kw: _torch().ormqr(a, tau, c, **kw), 3, ormqr_case(),
       "OrmqrBackward0", kinks=(1.0,)),  # as householder_product: torch's nan at tau = 1
    # --- names7: torch's older linalg names (the Tensor methods share them) ---
    Op("lu", lambda a: ad.lu(a)[0], _np_lu_packed, lambda a: _torch().lu(a)[0], 1,
       square_case(), "LinalgLuFactorExBackward0", prepare=lu_ready, rtol=1e-4,
       tol_reason="see inv"),
    Op("lu_solve", lambda a, b: ad.lu_solve(b, *ad.lu(a)), lambda a, b: np.linalg.solve(a, b),
       lambda a, b: _torch().lu_solve(b, *_torch().lu(a)), 2,
       lu_solve_case().filter(lambda c: c[1]["left"]).map(lambda c: (c[0], {})),
       "LinalgLuSolveBackward0", prepare=lu_ready, rtol=1e-4, tol_reason="see inv"),
    Op("triangular_solve", lambda b, a, **kw: ad.triangular_solve(b, a, **kw)[0],
       _np_triangular_solve, lambda b, a, **kw: _torch().triangular_solve(b, a, **kw)[0], 2,
       legacy_triangular_case(), "TriangularSolveBackward0", prepare=_conditioned_second,
       rtol=1e-4, tol_reason="see inv"),
    Op("cholesky_solve", lambda b, a, upper: ad.cholesky_solve(b, _factor(a, upper), upper),
       lambda b, a, upper: np.linalg.solve(_np_gram(a), b),
       lambda b, a, upper: _torch().cholesky_solve(b, _factor(a, upper), upper), 2,
       cholesky_solve_case(), "CholeskySolveBackward0", rtol=1e-4, tol_reason="see inv"),
    Op("cholesky_inverse", lambda a, upper: ad.cholesky_inverse(_factor(a, upper), upper),
       lambda a, upper: np.linalg.inv(_np_gram(a)),
       lambda a, upper: _torch().cholesky_inverse(_factor(a, upper), upper), 1,
       square_case().flatmap(lambda c: st.booleans().map(lambda u: (c[0], {"upper": u}))),
       "CholeskyInverseBackward0", rtol=1e-4, tol_reason="see inv"),
    Op("pinverse", ad.pinverse, np.linalg.pinv, lambda a: _torch().pinverse(a), 1,
       any_matrix_case().map(lambda c: (c[0], {})), "LinalgPinvBackward0",
       prepare=spread_singular_values, rtol=1e-4, tol_reason="see qr"),
    Op("remainder", ad.remainder, np.remainder, lambda a, b: a % b, 2, elementwise(2),
       "RemainderBackward1", kinks=INTEGERS, gap=0.05, prepare=_unit_divisors, empty=_EMPTY2),
    Op("remainder_number", lambda a: a % -1.5, lambda a: np.remainder(a, -1.5),
       lambda a: a % -1.5, 1, unary(), "RemainderBackward0", kinks=ROUNDING, gap=0.05,
       torch_edges=False,
       saves=False, empty=_EMPTY1),
    Op("fmod", lambda a, b: a.fmod(b), np.fmod, lambda a, b: a.fmod(b), 2, elementwise(2),
       "FmodBackward1", kinks=INTEGERS, gap=0.05, prepare=_unit_divisors, empty=_EMPTY2),
    Op("fmod_number", lambda a: ad.fmod(a, 1.5), lambda a: np.fmod(a, 1.5),
       lambda a: a.fmod(1.5), 1, unary(), "FmodBackward0", kinks=ROUNDING, gap=0.05,
       torch_edges=False,
       saves=False, empty=_EMPTY1),
    Op("true_divide", ad.true_divide, np.divide, lambda a, b: a.true_divide(b), 2,
       elementwise(2), "DivBackward0", kinks=(0.0,), gap=0.5, empty=_EMPTY2),
    Op("amax", lambda a, dim, keepdim: a.amax(_all_dims(dim), keepdim), _np_reduce(np.max),
       lambda a, dim, keepdim: a.amax(_all_dims(dim), keepdim), 1, reduction(), "AmaxBackward0",
       tie_free=True, empty=(((0, 3),), {"dim": 1, "keepdim": False})),
    Op("amin", lambda a, dim, keepdim: ad.amin(a, dim, keepdim), _np_reduce(np.min),
       lambda a, dim, keepdim: a.amin(_all_dims(dim), keepdim), 1, reduction(), "AminBackward0",
       tie_free=True, empty=(((0, 3),), {"dim": -1, "keepdim": True})),
    Op("aminmax", _aminmax, lambda a, dim, keepdim, field: getattr(np, field)(
           a, axis=dim, keepdims=keepdim), _aminmax, 1, _aminmax_case(), "AminmaxBackward0",
       tie_free=True, empty=(((0, 3),), {"dim": 1, "keepdim": False, "field": "max"})),
    Op("nan_to_num", lambda a: a.nan_to_num(), np.nan_to_num, lambda a: a.nan_to_num(), 1,
       unary(), "NanToNumBackward0", empty=_EMPTY1),
    Op("nansum", lambda a, dim, keepdim: a.nansum(dim, keepdim), _np_reduce(np.nansum),
       lambda a, dim, keepdim: a.nansum(_all_dims(dim), keepdim), 1, reduction(),
       "NansumBackward0", empty=(((0, 3),), {"dim": 1, "keepdim": False})),
    Op("nanmean", lambda a, dim, keepdim: ad.nanmean(a, dim, keepdim), _np_reduce(np.nanmean),
       lambda a, dim, keepdim: a.nanmean(dim, keepdim), 1, reduction(), "DivBackward0",
       empty=(((0, 3),), {"dim": 1, "keepdim": True})),
    Op("var_mean", lambda a, dim, keepdim: _flat_parts(ad.var_mean(a, dim, keepdim=keepdim)),
       lambda a, dim, keepdim: _np_flat([_np_var(a, dim, keepdim),
                                         np.mean(a, axis=dim, keepdims=keepdim)]),
       lambda a, dim, keepdim: _flat_parts(_torch().var_mean(a, dim, keepdim=keepdim)), 1,
       reduction(min_side=2), "CatBackward0", torch_named=_no),
    Op("std_mean", lambda a, dim, keepdim: _flat_parts(ad.std_mean(a, dim, keepdim=keepdim)),
       lambda a, dim, keepdim: _np_flat([np.sqrt(_np_var(a, dim, keepdim)),
                                         np.mean(a, axis=dim, keepdims=keepdim)]),
       lambda a, dim, keepdim: _flat_parts(_torch().std_mean(a, dim, keepdim=keepdim)), 1,
       reduction(min_side=2), "CatBackward0", torch_named=_no, tie_free=True),
    Op("diff", lambda a, dim, n: a.diff(n, dim), lambda a, dim, n: np.diff(a, n, axis=dim),
       lambda a, dim, n: a.diff(n, dim), 1, _diff_case(), _diff_name, saves=False,
       torch_named=lambda shapes, kw: kw["n"] > 0,  # torch's prefixed torch::autograd::
       empty=(((0, 3),), {"dim": 1, "n": 1})),
    Op("diff_prepend_append", lambda a, b, c, dim: ad.diff(a, 1, dim, b, c), _np_diff_ends,
       lambda a, b, c, dim: a.diff(1, dim, b, c), 3, _diff_ends_case(), "SubBackward0",
       saves=False),
    Op("median", lambda a: a.median(), lambda a: np.sort(a, axis=None)[(a.size - 1) // 2],
       lambda a: a.median(), 1, unary(), "MedianBackward0", tie_free=True),
    Op("median_dim", lambda a, dim, keepdim: ad.median(a, dim, keepdim).values,
       lambda a, dim, keepdim: _np_sorted_at(a, dim, keepdim, _lower_middle),
       lambda a, dim, keepdim: a.median(dim, keepdim).values, 1,
       reduction(allow_none=False, allow_tuple=False), "MedianBackward1", tie_free=True,
       saves=False, empty=(((0, 3),), {"dim": 1, "keepdim": False})),
    Op("kthvalue", lambda a, dim, keepdim, k: a.kthvalue(k, dim, keepdim).values,
       lambda a, dim, keepdim, k: _np_sorted_at(a, dim, keepdim, k - 1),
       lambda a, dim, keepdim, k: a.kthvalue(k, dim, keepdim).values, 1, _kth_case(),
       "KthvalueBackward0", tie_free=True, saves=False),
    Op("mode", lambda a, dim, keepdim: ad.mode(a, dim, keepdim).values,
       lambda a, dim, keepdim: np.min(a, axis=dim, keepdims=keepdim),
       lambda a, dim, keepdim: a.mode(dim, keepdim).values, 1,
       reduction(allow_none=False, allow_tuple=False), "ModeBackward0", tie_free=True,
       saves=False, empty=(((0, 3),), {"dim": 1, "keepdim": True})),
    Op("cummax", _running("cummax"), lambda a, dim: np.maximum.accumulate(a, axis=dim),
       _running("cummax"), 1, dim_case(min_dims=1), "CummaxBackward0", tie_free=True,
       saves=False, empty=(((0, 3),), {"dim": 0})),
    Op("cummin", _running("cummin"), lambda a, dim: np.minimum.accumulate(a, axis=dim),
       _running("cummin"), 1, dim_case(min_dims=1), "CumminBackward0", tie_free=True,
       saves=False, empty=(((0, 3),), {"dim": 1})),
    Op("logcumsumexp", lambda a, dim: a.logcumsumexp(dim),
       lambda a, dim: np.logaddexp.accumulate(a, axis=dim),
       lambda a, dim: a.logcumsumexp(dim), 1, dim_case(min_dims=1), "LogcumsumexpBackward0",
       empty=(((0, 3),), {"dim": 0}), torch_second_order=False,
       tol_reason="torch 2.13's double backward of logcumsumexp is NaN everywhere (its log-space "
       "formula); ours is checked against finite differences of the first derivative"),
    Op("xlogy", ad.xlogy, _np_xlogy, lambda a, b: a.xlogy(b), 2,
       elementwise(2), "XlogyBackward0", domains=((-3.0, 3.0), POS), empty=_EMPTY2,
       gradgrad=True),
    Op("xlogy_number", lambda a: ad.xlogy(a, 2.5), lambda a: a * np.log(2.5),
       lambda a: _torch().xlogy(a, 2.5), 1, unary(), "XlogyBackward2", torch_edges=False,
       empty=_EMPTY1),
    Op("copysign", ad.copysign, np.copysign, lambda a, b: a.copysign(b), 2, elementwise(2),
       "CopysignBackward0", kinks=(0.0,), gap=0.05, empty=_EMPTY2),
    Op("copysign_number", lambda a: a.copysign(-1.0), lambda a: np.copysign(a, -1.0),
       lambda a: a.copysign(-1.0), 1, unary(), "CopysignBackward1", kinks=(0.0,), gap=0.05,
       torch_edges=False, empty=_EMPTY1),
    Op("logit", lambda a: a.logit(), lambda a: np.log(a / (1 - a)), lambda a: a.logit(), 1,
       unary(), "LogitBackward0", domains=((0.05, 0.95),), empty=_EMPTY1),
    Op("logit_eps", lambda a: ad.logit(a, eps=0.2), lambda a: _np_logit(np.clip(a, 0.2, 0.8)),
       lambda a: a.logit(eps=0.2), 1, unary(), "LogitBackward0", domains=((0.01, 0.99),),
       kinks=(0.2, 0.8), gap=0.02, empty=_EMPTY1),
    Op("sinc", ad.sinc, np.sinc, lambda a: a.sinc(), 1, unary(), "SincBackward0", kinks=(0.0,),
       gap=0.05, empty=_EMPTY1),
    Op("ldexp", ad.ldexp, lambda a, b: a * 2.0**b, lambda a, b: _torch().ldexp(a, b), 2,
       elementwise(2), "LdexpBackward0", empty=_EMPTY2),
    Op("deg2rad", lambda a: a.deg2rad(), np.deg2rad, lambda a: a.deg2rad(), 1, unary(),
       "Deg2RadBackward0", saves=False, empty=_EMPTY1),
    Op("rad2deg", ad.rad2deg, np.rad2deg, lambda a: a.rad2deg(), 1, unary(),
       "Rad2DegBackward0", saves=False, empty=_EMPTY1),
    Op("float_power", lambda a: a.float_power(3), lambda a: a**3, lambda a: a.float_power(3), 1,
       unary(), "PowBackward0", empty=_EMPTY1),
    Op("float_power_tensor", ad.float_power, np.power, lambda a, b: a.float_power(b), 2,
       elementwise(2), "PowBackward1", domains=(POS, (-2.0, 2.0)), empty=_EMPTY2,
       kinks=(0.0,)),  # see pow_tensor
    Op("fix", ad.fix, np.trunc, lambda a: a.fix(), 1, unary(), "TruncBackward0",
       kinks=ROUNDING, gap=0.05, saves=False, empty=_EMPTY1),
]  # fmt: skip
BY_NAME = {op.name: op for op in ROWS}
SECOND_ORDER = [op for op in ROWS if op.second_order]
SAVING = [op for op in ROWS if op.saves]


def _np_flatten(a, start_dim, end_dim):
    if a.ndim == 0:
        return a.reshape(1)
    start, end = start_dim % a.ndim, end_dim % a.ndim
    return a.reshape(a.shape[:start] + (-1,) + a.shape[end + 1 :])


def _np_squeeze(a, dim):
    if dim is None:
        return np.squeeze(a)
    return np.squeeze(a, dim) if a.ndim and a.shape[dim] == 1 else a


def _np_expand(shape, sizes):
    lead = len(sizes) - len(shape)
    return tuple(shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))


def leaves(arrays, dtype=np.float64) -> list:
    """Fresh leaf tensors (copies) that require grad."""
    return [ad.tensor(np.array(a, dtype=dtype), requires_grad=True) for a in arrays]


def call(op: Op, tensors, kwargs):
    return op.fn(*tensors, **kwargs)


def upstream(shape, seed: int, dtype=np.float64) -> np.ndarray:
    """A random upstream gradient (never ones: softmax's gradient under .sum() is zero)."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
