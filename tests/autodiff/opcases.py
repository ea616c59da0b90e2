"""Strategies and NumPy references for the op table: shapes, kwargs, values away from kinks."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

MAX_SIDE = 3
MAX_ELEMENTS = 64


# --- values ---------------------------------------------------------------------------
def away(a: np.ndarray, kinks, gap: float) -> np.ndarray:
    """Push values at least gap from each kink, keeping their side."""
    for k in kinks:
        close = np.abs(a - k) < gap
        a = np.where(close, k + np.where(a >= k, gap, -gap), a)
    return a


def spread(a: np.ndarray, gap: float = 1e-2) -> np.ndarray:
    """Make every value distinct by at least gap (ranks keep their order)."""
    flat = a.ravel().copy()
    order = np.argsort(flat, kind="stable")
    for prev, here in zip(order[:-1], order[1:]):
        flat[here] = max(flat[here], flat[prev] + gap)
    return flat.reshape(a.shape)


def interleave(arrays, kwargs):
    """Two inputs on disjoint grids (k/100 and k/100 + 0.005): never tied, never close."""
    a, b = arrays
    return [np.round(a * 100) / 100, np.round(b * 100) / 100 + 0.005]


def float_arrays(shape, domain):
    lo, hi = domain
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi, allow_nan=False))


# --- shapes and kwargs --------------------------------------------------------------------
def small(shapes) -> bool:
    return all(int(np.prod(s)) <= MAX_ELEMENTS for s in shapes)


def one_shape(min_dims=0, max_dims=3, min_side=1):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=MAX_SIDE)  # fmt: skip


def unary(min_dims=0, max_dims=3):
    return one_shape(min_dims, max_dims).map(lambda s: ((s,), {}))


def elementwise(n=2):
    return hnp.mutually_broadcastable_shapes(num_shapes=n, max_dims=3, max_side=MAX_SIDE).map(
        lambda r: (r.input_shapes, {})
    )


def matmul_shapes():
    sig = "(m?,n),(n,p?)->(m?,p?)"
    return (
        hnp.mutually_broadcastable_shapes(signature=sig, max_dims=2, max_side=MAX_SIDE)
        .map(lambda r: r.input_shapes)
        .filter(small)
        .map(lambda s: (s, {}))
    )


@st.composite
def dims_of(draw, ndim: int, allow_none=True, allow_tuple=True):
    """None, an int (negative allowed) or a tuple of distinct dims."""
    options = ["int"] * (ndim > 0) + ["none"] * allow_none + ["tuple"] * (allow_tuple and ndim > 0)
    kind = draw(st.sampled_from(options))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(d - ndim if draw(st.booleans()) else d for d in picked)


def reduction(allow_none=True, allow_tuple=True, min_side=1):
    """(shape, {dim, keepdim}); dim is None, an int (negative too) or a tuple."""

    @st.composite
    def draw_case(draw):
        min_dims = 0 if allow_none and min_side == 1 else 1
        shape = draw(one_shape(min_dims=min_dims, min_side=min_side))
        dim = draw(dims_of(len(shape), allow_none, allow_tuple))
        return ((shape,), {"dim": dim, "keepdim": draw(st.booleans())})

    return draw_case()


@st.composite
def softmax_case(draw):
    shape = draw(one_shape())
    ndim = max(len(shape), 1)
    return ((shape,), {"dim": draw(st.integers(-ndim, ndim - 1))})


@st.composite
def cat_case(draw, stack=False):
    shape = draw(one_shape(min_dims=1))
    n = draw(st.integers(1, 3))
    if stack:
        return ((shape,) * n, {"dim": draw(st.integers(-len(shape) - 1, len(shape)))})
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    sizes = draw(st.lists(st.integers(1, MAX_SIDE), min_size=n, max_size=n))
    shapes = tuple(shape[: dim % len(shape)] + (k,) + shape[dim % len(shape) + 1 :] for k in sizes)
    return (shapes, {"dim": dim})


@st.composite
def movedim_case(draw):
    shape = draw(one_shape(min_dims=1))
    nd = len(shape)
    k = draw(st.integers(1, nd))
    source = draw(st.permutations(range(nd)))[:k]
    destination = draw(st.permutations(range(nd)))[:k]
    negative = draw(st.booleans())  # torch's negative dims too
    source = tuple(d - nd if negative else d for d in source)
    one = k == 1 and draw(st.booleans())  # an int, not a tuple
    return ((shape,), {"source": source[0] if one else source,
                       "destination": destination[0] if one else destination})  # fmt: skip


@st.composite
def stack_along_case(draw, rows: bool):
    """Shapes for hstack (rows=False: along dim 1, dim 0 for 1-d) or vstack (rows=True:
    along dim 0, 0-d and 1-d tensors made rows), their tensors of any rank up to 3."""
    shape = draw(one_shape(min_dims=0 if rows else 1))
    n = draw(st.integers(1, 3))
    if rows and len(shape) < 2:
        return ((shape,) * n, {})
    dim = 0 if rows or len(shape) == 1 else 1
    sizes = draw(st.lists(st.integers(1, MAX_SIDE), min_size=n, max_size=n))
    return (tuple(shape[:dim] + (k,) + shape[dim + 1 :] for k in sizes), {})


@st.composite
def where_case(draw):
    r = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=MAX_SIDE))
    cond_shape, *shapes = r.input_shapes
    return (tuple(shapes), {"condition": draw(hnp.arrays(np.bool_, cond_shape))})


@st.composite
def clamp_case(draw):
    lo = draw(st.sampled_from([None, -1.5, -0.5, 0.0]))
    hi = draw(st.sampled_from([None, 0.5, 1.5] if lo is not None else [0.5, 1.5]))
    return ((draw(one_shape()),), {"min": lo, "max": hi})


def clamp_prepare(arrays, kwargs):
    bounds = [b for b in (kwargs["min"], kwargs["max"]) if b is not None]
    return [away(arrays[0], bounds, 1e-3)]


@st.composite
def reshape_case(draw):
    shape = draw(one_shape())
    size = int(np.prod(shape))
    target = draw(st.sampled_from([(size,), (-1,), tuple(reversed(shape)), (1, *shape, 1)]))
    return ((shape,), {"shape": target})


@st.composite
def flatten_case(draw):
    shape = draw(one_shape(min_dims=1))
    nd = len(shape)
    start = draw(st.integers(-nd, nd - 1))
    end = draw(st.integers(start % nd, nd - 1))
    return ((shape,), {"start_dim": start, "end_dim": end - nd * draw(st.booleans())})


@st.composite
def transpose_case(draw):
    shape = draw(one_shape(min_dims=1))
    nd = len(shape)
    return (
        (shape,),
        {"dim0": draw(st.integers(-nd, nd - 1)), "dim1": draw(st.integers(-nd, nd - 1))},
    )


@st.composite
def permute_case(draw):
    shape = draw(one_shape())
    return ((shape,), {"dims": tuple(draw(st.permutations(range(len(shape)))))})


@st.composite
def unsqueeze_case(draw):
    shape = draw(one_shape())
    return ((shape,), {"dim": draw(st.integers(-len(shape) - 1, len(shape)))})


@st.composite
def squeeze_case(draw):
    shape = draw(one_shape(min_dims=0, max_dims=3))
    ones = draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    shape = tuple(1 if o else n for n, o in zip(shape, ones))
    dim = draw(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
    return ((shape,), {"dim": dim})


@st.composite
def expand_case(draw):
    target = draw(one_shape(min_dims=1))
    lead = draw(st.integers(0, len(target)))
    shape = tuple(1 if draw(st.booleans()) else n for n in target[lead:])
    sizes = tuple(-1 if n == t and draw(st.booleans()) else t for n, t in zip(shape, target[lead:]))
    return ((shape,), {"sizes": target[:lead] + sizes})


@st.composite
def basic_index_case(draw):
    shape = draw(one_shape(min_dims=1))
    items = []
    for n in shape[: draw(st.integers(1, len(shape)))]:
        if draw(st.booleans()):
            items.append(draw(st.integers(-n, n - 1)))
        else:
            start = draw(st.none() | st.integers(-n, n))
            stop, step = draw(st.none() | st.integers(-n, n)), draw(st.sampled_from([None, 1, 2]))
            items.append(slice(start, stop, step))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    return ((shape,), {"index": tuple(items)})


@st.composite
def advanced_index_case(draw):
    shape = draw(one_shape(min_dims=1))
    idx = np.array(draw(st.lists(st.integers(-shape[0], shape[0] - 1), min_size=1, max_size=5)))
    index = (
        (idx, slice(None, None, -1 if False else None))
        if len(shape) > 1 and draw(st.booleans())
        else idx
    )
    if len(shape) > 1 and draw(st.booleans()):
        second = np.array(
            draw(st.lists(st.integers(0, shape[1] - 1), min_size=len(idx), max_size=len(idx)))
        )
        index = (idx, second)
    return ((shape,), {"index": index})


@st.composite
def mask_case(draw):
    shape = draw(one_shape(min_dims=1))
    lead = draw(st.integers(1, len(shape)))
    return ((shape,), {"index": draw(hnp.arrays(np.bool_, shape[:lead]))})


def _torch_index(index):
    import torch

    def conv(i):
        return torch.as_tensor(i) if isinstance(i, np.ndarray) else i

    return tuple(conv(i) for i in index) if isinstance(index, tuple) else conv(index)


def _torch_where(a, b, condition):
    import torch

    return torch.where(torch.as_tensor(condition), a, b)


def _torch_dtype(dtype):
    import torch

    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
        np.dtype(dtype)
    ]


def _np_reduce(fn):
    return lambda x, dim, keepdim: fn(x, axis=dim, keepdims=keepdim)


def _np_var(x, dim, keepdim):
    return np.var(x, axis=dim, ddof=1, keepdims=keepdim)


def _np_max_dim(x, dim, keepdim, take=np.argmax):
    idx = np.expand_dims(take(x, axis=dim), dim) if x.ndim else np.asarray(0)
    values = np.take_along_axis(x, idx, axis=dim) if x.ndim else x
    return values if keepdim or not x.ndim else np.squeeze(values, axis=dim)


def _np_logsumexp(x, dim, keepdim):
    top = np.max(x, axis=dim, keepdims=True)
    out = np.log(np.sum(np.exp(x - top), axis=dim, keepdims=True)) + top
    return out if keepdim else np.squeeze(out, axis=dim)


def _np_softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _matmul_name(shapes, kwargs):
    return {(2, 2): "MmBackward0", (1, 1): "DotBackward0", (2, 1): "MvBackward0"}.get(
        tuple(len(s) for s in shapes), "BmmBackward0"
    )


def _index_name(shapes, kwargs):
    index = kwargs["index"]
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, np.ndarray) for i in items):
        return "IndexBackward0"
    return "SelectBackward0" if all(isinstance(i, int) for i in items) else "SliceBackward0"


def _squeeze_name(shapes, kwargs):
    return "SqueezeBackward0" if kwargs["dim"] is None else "SqueezeBackward1"


def _named(full, by_dim):
    return lambda shapes, kwargs: (
        full if kwargs["dim"] is None and not kwargs["keepdim"] else by_dim
    )


def _flattens(shapes, kwargs) -> bool:
    nd = max(len(shapes[0]), 1)
    return len(shapes[0]) == 0 or kwargs["start_dim"] % nd != kwargs["end_dim"] % nd


def _one_proper_slice_or_int(shapes, kwargs) -> bool:
    """torch names x[:] AliasBackward0 and chains several items; compare one real item only."""
    (item,) = kwargs["index"] if len(kwargs["index"]) == 1 else (None,)
    if isinstance(item, slice):
        n = shapes[0][0]
        return range(n)[item] != range(n)
    return isinstance(item, int)


def _torch_sum_float64(a, dim, keepdim):
    """torch's sum(dtype=float64): sum() when nothing is asked, else the dim overload."""
    float64 = type(a).double(a).dtype
    if dim is None and not keepdim:
        return a.sum(dtype=float64)
    return a.sum(dim=tuple(range(a.ndim)) if dim is None else dim, keepdim=keepdim, dtype=float64)


def _whole_or_dims(method: str):
    """torch's x.sum() (SumBackward0) when nothing is asked, else the dim overload."""

    def twin(a, dim, keepdim):
        if dim is None and not keepdim:
            return getattr(a, method)()
        return getattr(a, method)(dim=dim, keepdim=keepdim)

    return twin


# --- cases of the torch-surface rows ---------------------------------------------------------
@st.composite
def dim_case(draw, min_dims=1, **extra):
    """(shape, {dim}) with dim an int (negative too) of a shape with at least min_dims dims."""
    shape = draw(one_shape(min_dims=min_dims))
    ndim = max(len(shape), 1)
    return ((shape,), {"dim": draw(st.integers(-ndim, ndim - 1)), **extra})


@st.composite
def matrices_case(draw, batch=False):
    b, m, n, p = (draw(st.integers(1, MAX_SIDE)) for _ in range(4))
    lead = (b,) if batch else ()
    return ((lead + (m, n), lead + (n, p)), {})


@st.composite
def vectors_case(draw, same=True):
    n = draw(st.integers(1, MAX_SIDE))
    return (((n,), (n if same else draw(st.integers(1, MAX_SIDE)),)), {})


@st.composite
def addr_case(draw):
    """input (a shape that broadcasts to (n, m)), vec1 (n,), vec2 (m,), and beta, alpha."""
    n, m = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    input_shape = draw(st.sampled_from([(n, m), (m,), (1, m), (n, 1), ()]))
    scales = {
        "beta": draw(st.sampled_from([1, 0.5, -2.0])),
        "alpha": draw(st.sampled_from([1, 3.0])),
    }
    return ((input_shape, (n,), (m,)), scales)


@st.composite
def flip_case(draw):
    shape = draw(one_shape(min_dims=1))
    return ((shape,), {"dims": draw(dims_of(len(shape), allow_none=False))})


@st.composite
def roll_case(draw):
    shape = draw(one_shape(min_dims=1))
    dims = draw(st.integers(-len(shape), len(shape) - 1))
    return ((shape,), {"shifts": draw(st.integers(-4, 4)), "dims": dims})


@st.composite
def repeat_case(draw):
    shape = draw(one_shape(max_dims=2))
    extra = draw(st.integers(0 if shape else 1, 1))  # torch wants at least one count
    reps = tuple(draw(st.integers(1, 2)) for _ in range(len(shape) + extra))
    return ((shape,), {"repeats": reps})


@st.composite
def narrow_case(draw):
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(0, len(shape) - 1))
    start = draw(st.integers(0, shape[dim] - 1))
    length = draw(st.integers(0, shape[dim] - start))
    return ((shape,), {"dim": dim, "start": start, "length": length})


@st.composite
def gather_case(draw):
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(
        draw(st.integers(1, MAX_SIDE)) if d == dim else draw(st.integers(1, n))
        for d, n in enumerate(shape)
    )
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    index = rng.integers(0, shape[dim], index_shape)
    return ((shape,), {"dim": dim, "index": index})


@st.composite
def scatter_case(draw):
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(0, len(shape) - 1))
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    index = np.argsort(rng.random(shape), axis=dim)  # a permutation: no two writes collide
    return ((shape, shape), {"dim": dim, "index": index})


@st.composite
def index_select_case(draw):
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    count = draw(st.integers(0, 4))
    index = np.array([draw(st.integers(0, shape[dim] - 1)) for _ in range(count)], dtype=np.int64)
    return ((shape,), {"dim": dim, "index": index})


@st.composite
def topk_case(draw):
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    k = draw(st.integers(0, shape[dim]))
    return ((shape,), {"k": k, "dim": dim, "largest": draw(st.booleans())})


@st.composite
def sort_case(draw):
    ((shape,), kwargs) = draw(dim_case())
    return ((shape,), {**kwargs, "descending": draw(st.booleans())})


@st.composite
def norm_case(draw):
    ((shape,), kwargs) = draw(reduction())
    return ((shape,), {**kwargs, "p": draw(st.sampled_from([1, 2, 3, 1.5]))})


@st.composite
def masked_fill_case(draw):
    shape = draw(one_shape())
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    return ((shape,), {"mask": np.asarray(rng.random(shape) < 0.5)})


def _np_prod(x, dim, keepdim):
    return np.prod(x, axis=dim, keepdims=keepdim)


def _np_norm(x, dim, keepdim, p):
    d = None if dim is None else tuple(dim) if isinstance(dim, tuple) else dim
    return np.sum(np.abs(x) ** p, axis=d, keepdims=keepdim) ** (1 / p)


def _np_scatter(x, src, dim, index):
    out = x.copy()
    np.put_along_axis(out, index, src, axis=dim)
    return out


def _np_topk(x, k, dim, largest):
    order = np.argsort(-x if largest else x, axis=dim, kind="stable")
    return np.take_along_axis(x, np.take(order, np.arange(k), axis=dim), axis=dim)


def _torch_prod(a, dim, keepdim):
    if dim is None:  # torch's prod() has no keepdim: reshape as NumPy's keepdims does
        return a.prod().reshape([1] * a.ndim) if keepdim else a.prod()
    return a.prod(dim, keepdim)


def _prod_name(shapes, kwargs) -> str:
    return "ProdBackward0" if kwargs["dim"] is None else "ProdBackward1"


def _not_reshaped(shapes, kwargs) -> bool:
    return not (kwargs["dim"] is None and kwargs["keepdim"])


def _torch_norm(a, dim, keepdim, p):
    return a.norm(p=p, dim=dim, keepdim=keepdim)


def _no(shapes, kwargs) -> bool:
    return False


# --- issue 22: einsum, matrix functions, linalg, masked_select, select ---------------------
EINSUMS = [  # (equation, shapes from sizes a, b, c)
    ("ij,jk->ik", lambda a, b, c: ((a, b), (b, c))),
    ("bij,bjk->bik", lambda a, b, c: ((2, a, b), (2, b, c))),
    ("...ij,...jk->...ik", lambda a, b, c: ((2, 1, a, b), (3, b, c))),
    ("ii->", lambda a, b, c: ((a, a),)),
    ("ii->i", lambda a, b, c: ((a, a),)),
    ("ij->j", lambda a, b, c: ((a, b),)),
    ("i,j->ij", lambda a, b, c: ((a,), (b,))),
    ("bi,bi->b", lambda a, b, c: ((a, b), (a, b))),
    ("ij,jk", lambda a, b, c: ((a, b), (b, c))),
    ("iij->j", lambda a, b, c: ((a, a, b),)),
    ("i...,i...->i", lambda a, b, c: ((a, b), (a, 1))),  # torch sums the "..." dims away
    ("ij,jk,kl->il", lambda a, b, c: ((a, b), (b, c), (c, a))),
]


@st.composite
def einsum_case(draw):
    equation, shapes = draw(st.sampled_from(EINSUMS))
    sizes = [draw(st.integers(1, MAX_SIDE)) for _ in range(3)]
    return (shapes(*sizes), {"equation": equation})


@st.composite
def diag_case(draw):
    n = draw(st.integers(1, MAX_SIDE))
    return (((n,),), {"diagonal": draw(st.integers(-2, 2))})


@st.composite
def diagonal_case(draw):
    shape = draw(one_shape(min_dims=2))
    dim1, dim2 = draw(st.permutations(range(-len(shape), len(shape))).map(lambda p: p[:2]))
    if dim1 % len(shape) == dim2 % len(shape):
        dim2 = (dim1 + 1) % len(shape)
    offset = draw(st.integers(-1, 1))
    return ((shape,), {"offset": offset, "dim1": dim1, "dim2": dim2})


@st.composite
def kron_case(draw):
    return ((draw(one_shape(0, 2)), draw(one_shape(0, 2))), {})


@st.composite
def cross_case(draw):
    n = draw(st.integers(1, MAX_SIDE))
    shapes = draw(st.sampled_from([((n, 3), (n, 3)), ((n, 3), (3,)), ((3,), (2, n, 3))]))
    return (shapes, {"dim": -1})


@st.composite
def cdist_case(draw):
    p, r, m = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    lead = draw(st.sampled_from([(), (2,)]))
    return ((lead + (p, m), lead + (r, m)), {"p": draw(st.sampled_from([2.0, 1.0, 3.0, np.inf]))})


@st.composite
def masked_select_case(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=MAX_SIDE))
    shape, mask_shape = shapes.input_shapes
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    return ((shape,), {"mask": rng.random(mask_shape) < 0.5})


@st.composite
def select_case(draw):
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return ((shape,), {"dim": dim, "index": draw(st.integers(-shape[dim], shape[dim] - 1))})


@st.composite
def square_case(draw, batch=True, rhs=False):
    n = draw(st.integers(1, MAX_SIDE))
    lead = draw(st.sampled_from([(), (2,)])) if batch else ()
    shapes = (lead + (n, n),)
    if rhs:
        shapes += (draw(st.sampled_from([lead + (n, 2), lead + (n,), (n, 1)])),)
    return (shapes, {})


@st.composite
def tall_case(draw):
    n = draw(st.integers(1, MAX_SIDE))
    m = draw(st.integers(n, MAX_SIDE))
    return (((m, n),), {})


@st.composite
def any_matrix_case(draw, ords=(None,)):
    m, n = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    lead = draw(st.sampled_from([(), (2,)]))
    return ((lead + (m, n),), {"ord": draw(st.sampled_from(ords))})


@st.composite
def vector_norm_case(draw):
    ((shape,), kwargs) = draw(reduction())
    return ((shape,), {**kwargs, "ord": draw(st.sampled_from([2, 1, 3, 1.5, np.inf, -np.inf]))})


def distinct_magnitudes(arrays, kwargs):
    """Values with distinct |x| (0.1, 0.15, 0.2, ... in the order of the drawn |x|), each
    sign kept: away from the kink at 0 and from ties of the largest or smallest |x|."""
    (a,) = arrays
    flat = a.ravel()
    ranks = np.empty(flat.size)
    ranks[np.argsort(np.abs(flat), kind="stable")] = np.arange(flat.size)
    return [(np.where(flat < 0, -1.0, 1.0) * (0.1 + 0.05 * ranks)).reshape(a.shape)]


def well_conditioned(arrays, kwargs):
    """Square matrices made diagonally dominant (positive diagonal): far from singular and
    with a positive determinant, so inverses and their finite differences are accurate."""
    a = arrays[0]
    dominant = np.abs(a).sum(-1, keepdims=True) + 1.0  # each diagonal beats its row
    return [a + np.eye(a.shape[-1]) * dominant, *arrays[1:]]


def spread_singular_values(arrays, kwargs):
    """The matrix with its singular values replaced by well separated ones (1, 2.5, 4, ...):
    the gradients of U, V and the ±2/nuclear norms divide by their differences."""
    a = arrays[0]
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    k = s.shape[-1]
    return [(u * (1.0 + 1.5 * np.arange(k))[::-1]) @ vh]


def distinct_sums(arrays, kwargs):
    """spread_singular_values, then a small uneven tilt: no two |entries| (nor row or column
    sums of them) tie, as the ±1 and ±inf norms' max would at x = -y."""
    (a,) = spread_singular_values(arrays, kwargs)
    tilt = 0.02 * (1.0 + np.arange(a.size).reshape(a.shape) ** 1.5)
    return [a + np.where(a >= 0, tilt, -tilt)]


def apart(arrays, kwargs):
    """x2's coordinates at least 0.05 from every x1 coordinate of the same column, so no
    difference sits at the kink |d| = 0 of p = 1 and p = inf."""
    x1, x2 = arrays
    x2 = x2 + 0.0173 * (1 + np.arange(x2.shape[-1])) ** 1.5  # uneven per column: no two
    for k, index in enumerate(np.ndindex(x2.shape)):  # |differences| of a pair tie (p = inf)
        column = x1[..., index[-1]]
        while np.min(np.abs(column - x2[index])) < 0.05:
            x2[index] += 0.1 + 0.0137 * k
    return [x1, x2]


def _np_einsum(equation, *arrays):
    """np.einsum, also where torch sums "..." dims the output leaves out (NumPy refuses)."""
    inputs, _, output = equation.partition("->")
    if "..." in inputs and "->" in equation and "..." not in output:
        batch = max(x.ndim - len(t.replace("...", "")) for t, x in zip(inputs.split(","), arrays))
        letters = "".join(c for c in "ABCDEFGH" if c not in equation)[:batch]
        terms = [
            t.replace("...", letters[batch - (x.ndim - len(t.replace("...", ""))) :])
            for t, x in zip(inputs.split(","), arrays)
        ]
        equation = ",".join(terms) + "->" + output
    return np.einsum(equation, *arrays)


def _np_cdist(a, b, p):
    diff = np.abs(a[..., :, None, :] - b[..., None, :, :])
    return diff.max(-1) if p == np.inf else (diff**p).sum(-1) ** (1 / p)


def _np_vector_norm(a, dim, keepdim, ord):
    a = np.abs(a)
    if ord == np.inf:
        return a.max(axis=dim, keepdims=keepdim) if a.ndim else a
    if ord == -np.inf:
        return a.min(axis=dim, keepdims=keepdim) if a.ndim else a
    return ((a**ord).sum(axis=dim, keepdims=keepdim)) ** (1 / ord)


def _np_solve(a, b):
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    return np.linalg.solve(a, b[..., None])[..., 0] if vector else np.linalg.solve(a, b)


def _np_cholesky_of_gram(a):
    n = a.shape[-1]
    return np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + n * np.eye(n))


def _np_qr_parts(a):
    q, r = np.linalg.qr(a)
    return np.concatenate([q.reshape(-1), r.reshape(-1)])


def _np_svd_parts(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([(u * u).reshape(-1), s.reshape(-1), (vh * vh).reshape(-1)])


# --- updates of a region (names4: index_copy, index_put, scatter_reduce, ...) --------------
def _long(draw, values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


@st.composite
def index_copy_case(draw):
    """(input, source) shapes and {dim, index}: distinct positions along dim (torch leaves
    repeated ones undefined)."""
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    index = draw(st.permutations(range(n)))[: draw(st.integers(0, n))]
    source = shape[: dim % len(shape)] + (len(index),) + shape[dim % len(shape) + 1 :]
    return ((shape, source), {"dim": dim, "index": _long(draw, index)})


@st.composite
def index_fill_case(draw):
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    index = draw(st.lists(st.integers(-shape[dim], shape[dim] - 1), max_size=3))
    return ((shape,), {"dim": dim, "index": _long(draw, index)})


@st.composite
def index_put_case(draw, accumulate: bool):
    """(input, values) shapes and {indices}: one or two index arrays (repeats only when
    accumulating); values broadcast to the indexed shape."""
    shape = draw(one_shape(min_dims=2))
    k = draw(st.integers(0, 4))
    count = draw(st.integers(1, 2))
    if accumulate:
        indices = tuple(
            _long(draw, draw(st.lists(st.integers(0, shape[d] - 1), min_size=k, max_size=k)))
            for d in range(count)
        )
    else:
        flat = draw(st.permutations(range(shape[0] * shape[1])))[: min(k, shape[0] * shape[1])]
        rows, cols = np.divmod(np.asarray(flat, dtype=np.int64), shape[1])
        indices = (rows,) if count == 1 else (rows, cols)
        indices = (np.unique(rows),) if count == 1 else indices
    picked = np.empty(shape)[indices].shape
    values = picked[draw(st.integers(0, len(picked))) :]
    return ((shape, values), {"indices": indices})


@st.composite
def masked_scatter_case(draw):
    shape = draw(one_shape(min_dims=0))
    mask = draw(hnp.arrays(np.bool_, shape))
    extra = draw(st.integers(0, 2))
    return ((shape, (int(mask.sum()) + extra,)), {"mask": mask})


@st.composite
def scatter_reduce_case(draw, reduces):
    """(input, src) shapes and {dim, index, reduce, include_self}."""
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(0, len(shape) - 1))
    index_shape = tuple(draw(st.integers(1 if d == dim else 1, n)) for d, n in enumerate(shape))
    index_shape = index_shape[:dim] + (draw(st.integers(0, 4)),) + index_shape[dim + 1 :]
    index = draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, shape[dim] - 1)))
    src = index_shape  # torch's backward refuses a larger src (its gradient's shape): ours pads
    kwargs = {"dim": dim, "index": index, "reduce": draw(st.sampled_from(reduces))}
    return ((shape, src), {**kwargs, "include_self": draw(st.booleans())})


@st.composite
def diagonal_scatter_case(draw):
    shape = draw(one_shape(min_dims=2))
    dims = draw(st.permutations(range(len(shape))))[:2]
    offset = draw(st.integers(-2, 2))
    length = np.diagonal(np.empty(shape), offset, *dims).shape
    return ((shape, length), {"offset": offset, "dim1": dims[0], "dim2": dims[1]})


@st.composite
def select_scatter_case(draw):
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    index = draw(st.integers(-shape[dim], shape[dim] - 1))
    src = shape[: dim % len(shape)] + shape[dim % len(shape) + 1 :]
    return ((shape, src), {"dim": dim, "index": index})


@st.composite
def slice_scatter_case(draw):
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    start = draw(st.none() | st.integers(-shape[dim], shape[dim]))
    end = draw(st.none() | st.integers(-shape[dim], shape[dim]))
    step = draw(st.integers(1, 2))
    src = np.empty(shape)[(slice(None),) * (dim % len(shape)) + (slice(start, end, step),)]
    return ((shape, src.shape), {"dim": dim, "start": start, "end": end, "step": step})


def np_scatter_reduce(a, src, dim, index, reduce, include_self):
    """A loop over index's positions: the reference for scatter_reduce."""
    out = a.copy()
    hits = {}
    for pos in np.ndindex(index.shape):
        target = pos[:dim] + (index[pos],) + pos[dim + 1 :]
        hits.setdefault(target, []).append(src[pos])
    for target, values in hits.items():
        values = ([a[target]] if include_self else []) + values
        fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
        out[target] = fn[reduce](values)
    return out


# --- statistics (names4: cov, corrcoef, quantile, nanmedian) ----------------------------------
@st.composite
def cov_case(draw, weights: bool = True, min_n: int = 2):
    """A (variables, observations) or (observations,) shape, a correction below the count,
    and sometimes frequency weights."""
    n = draw(st.integers(min_n, MAX_SIDE))
    shape = draw(st.sampled_from([(n,), (draw(st.integers(1, MAX_SIDE)), n)]))
    fweights = draw(st.none() | hnp.arrays(np.int64, (n,), elements=st.integers(1, 3)))
    kwargs = {"correction": draw(st.integers(0, 1))}
    return ((shape,), {**kwargs, "fweights": fweights if weights else None})


@st.composite
def quantile_case(draw):
    shape = draw(one_shape(min_dims=0))
    ndim = len(shape)
    dim = draw(st.none() | st.integers(-max(ndim, 1), max(ndim, 1) - 1))
    q = draw(
        st.sampled_from([0.0, 0.3, 0.5, 1.0])
        | st.lists(st.sampled_from([0.0, 0.25, 0.4, 0.5, 0.75, 1.0]), min_size=1, max_size=3)
    )
    interpolation = draw(st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]))
    return ((shape,), {"q": q, "dim": dim, "keepdim": draw(st.booleans()),
                       "interpolation": interpolation})  # fmt: skip


def np_quantile(a, q, dim, keepdim, interpolation):
    dim = None if a.ndim == 0 else dim
    out = np.quantile(a, q, axis=dim, keepdims=keepdim, method=interpolation)
    return np.asarray(out)


_PATTERNS = np.array([[0.0, 1.0, 0.2], [0.0, 0.3, 1.0], [0.5, 0.0, 1.0]])


def uncorrelated(arrays, kwargs):
    """Each variable plus its own bent pattern: never constant, never an exact line of another
    (a correlation of ±1 sits on corrcoef's clamp)."""
    a = arrays[0]
    return [a + _PATTERNS[: a.shape[0] if a.ndim == 2 else 1, : a.shape[-1]].reshape(a.shape)]


# --- names2: repeat_interleave, tile, scatter_add, index_add, take_along_dim ----------------
@st.composite
def repeat_interleave_case(draw, counts=False):
    """(shape, {repeats, dim}): repeats an int, or one count per element along dim (a 1-D
    int64 array); dim None flattens first."""
    shape = draw(one_shape())
    dim = draw(st.sampled_from([None] + list(range(-len(shape), len(shape)))))
    if not counts:
        return ((shape,), {"repeats": draw(st.integers(0, 3)), "dim": dim})
    n = int(np.prod(shape)) if dim is None else shape[dim]
    repeats = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.int64)
    return ((shape,), {"repeats": repeats, "dim": dim})


@st.composite
def tile_case(draw):
    shape = draw(one_shape())
    count = draw(st.integers(0, len(shape) + 1))
    return ((shape,), {"dims": tuple(draw(st.integers(1, 2)) for _ in range(count))})


@st.composite
def scatter_add_case(draw):
    """(input shape, src shape = index shape), index entries that may repeat (they add up)."""
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = tuple(
        draw(st.integers(1, MAX_SIDE)) if d == dim % len(shape) else draw(st.integers(1, n))
        for d, n in enumerate(shape)
    )
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    index = rng.integers(0, shape[dim], index_shape)
    return ((shape, index_shape), {"dim": dim, "index": index})


@st.composite
def index_add_case(draw):
    """(input shape, source shape), a 1-D index that may repeat, and alpha."""
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    count = draw(st.integers(0, 4))
    index = np.array([draw(st.integers(0, shape[dim] - 1)) for _ in range(count)], dtype=np.int64)
    source = list(shape)
    source[dim] = count
    alpha = draw(st.sampled_from([1, 2, -0.5]))
    return ((shape, tuple(source)), {"dim": dim, "index": index, "alpha": alpha})


@st.composite
def take_along_dim_case(draw):
    """(shape, {indices, dim}): indices of input's dims; in each other dim the two sizes
    match, or one of them is 1 (broadcast); along dim any count. dim None: flat indices."""
    shape = list(draw(one_shape(min_dims=1)))
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    dim = draw(st.sampled_from([None] + list(range(-len(shape), len(shape)))))
    if dim is None:
        size = int(np.prod(shape))
        return ((tuple(shape),), {"indices": rng.integers(0, size, draw(st.integers(0, 4))),
                                  "dim": None})  # fmt: skip
    index_shape = []
    for d, n in enumerate(shape):
        if d == dim % len(shape):
            index_shape.append(draw(st.integers(1, MAX_SIDE)))
            continue
        kind = draw(st.sampled_from(["same", "index 1", "input 1"]))
        if kind == "input 1":
            shape[d] = 1
        index_shape.append(1 if kind == "index 1" else draw(st.integers(1, MAX_SIDE)) if
                           kind == "input 1" else n)  # fmt: skip
    indices = rng.integers(0, shape[dim], tuple(index_shape))
    return ((tuple(shape),), {"indices": indices, "dim": dim})


def _np_scatter_add(a, src, dim, index):
    out = a.copy()
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim % a.ndim] = index
    np.add.at(out, tuple(grid), src)
    return out


def _np_index_add(a, source, dim, index, alpha):
    out = a.copy()
    np.add.at(out, (slice(None),) * (dim % a.ndim) + (index,), alpha * source)
    return out


def _np_take_along_dim(a, indices, dim):
    """NumPy's take_along_axis, each broadcast to the other's sizes but along dim."""
    if dim is None:
        return a.reshape(-1)[indices]
    d = dim % a.ndim
    sizes = [max(m, n) for m, n in zip(a.shape, indices.shape)]
    a_shape, index_shape = list(sizes), list(sizes)
    a_shape[d], index_shape[d] = a.shape[d], indices.shape[d]
    return np.take_along_axis(np.broadcast_to(a, a_shape), np.broadcast_to(indices, index_shape), d)


# --- names2: addmm, addmv, baddbmm, addbmm, inner, tensordot, chain_matmul ------------------
@st.composite
def add_product_case(draw, op):
    """(input shape, mat1 shape, mat2 shape) with input broadcasting to the product, and
    beta (0 too: input unread) and alpha."""
    b, n, m, p = (draw(st.integers(1, MAX_SIDE)) for _ in range(4))
    mat1, mat2, out = {
        "addmm": ((n, m), (m, p), (n, p)),
        "addmv": ((n, m), (m,), (n,)),
        "baddbmm": ((b, n, m), (b, m, p), (b, n, p)),
        "addbmm": ((b, n, m), (b, m, p), (n, p)),
    }[op]
    lead = draw(st.integers(0, len(out)))
    tail = tuple(draw(st.sampled_from([1, k])) for k in out[lead:])
    kwargs = {
        "beta": draw(st.sampled_from([1, 0.5, 0])),
        "alpha": draw(st.sampled_from([1, 2, -0.5])),
    }
    return ((tail, mat1, mat2), kwargs)


@st.composite
def tensordot_case(draw):
    """Two shapes sharing k contracted sizes, dims an int or two lists (negatives too)."""
    k = draw(st.integers(0, 2))
    shared = tuple(draw(st.integers(1, MAX_SIDE)) for _ in range(k))
    free_a = draw(one_shape(max_dims=2 if k else 1))
    free_b = draw(one_shape(max_dims=2 if k else 1))
    if draw(st.booleans()):
        return ((free_a + shared, shared + free_b), {"dims": k})
    a = list(free_a + shared)
    order = draw(st.permutations(range(len(free_b) + k)))
    b_dims = list(shared + free_b)
    b = [b_dims[i] for i in order]
    dims_a = [len(free_a) + i for i in range(k)]
    dims_b = [order.index(i) for i in range(k)]
    dims_a = [d - len(a) if draw(st.booleans()) else d for d in dims_a]
    return ((tuple(a), tuple(b)), {"dims": (dims_a, dims_b)})


@st.composite
def inner_case(draw):
    n = draw(st.integers(1, MAX_SIDE))
    a = draw(one_shape(max_dims=2)) + (n,)
    b = draw(one_shape(max_dims=2)) + (n,)
    scalar = draw(st.sampled_from([None, 0, 1]))
    if scalar is not None:
        return (((), b) if scalar == 0 else (a, ()), {})
    return ((a, b), {})


def _np_add_product(op):
    def ref(x, a, b, beta, alpha):
        product = np.matmul(a, b)
        product = product.sum(0) if op == "addbmm" else product
        return alpha * product + (0 if beta == 0 else beta * x)

    return ref


def _np_tensordot(a, b, dims):
    return np.tensordot(a, b, dims)


def _np_inner(a, b):
    return a * b if a.ndim == 0 or b.ndim == 0 else np.inner(a, b)


# --- names2: shape helpers ---------------------------------------------------------------------
@st.composite
def columns_case(draw, depth=False):
    """Tensors of 0-2 dims (0-3 for dstack) that column_stack (dstack) joins: the same leading
    size (and second size for dstack's 2-d and 3-d ones)."""
    n = draw(st.integers(1, MAX_SIDE))
    m = draw(st.integers(1, MAX_SIDE))
    shapes = []
    for _ in range(draw(st.integers(1, 3))):
        if depth:
            shapes.append(draw(st.sampled_from([(m,), (n, m), (n, m, draw(st.integers(1, 2)))])))
        else:
            shapes.append(draw(st.sampled_from([(n,), (n, draw(st.integers(1, 2)))])))
    if depth and any(len(s) > 1 for s in shapes):  # a 1-d one becomes (1, m, 1): n must be 1
        shapes = [s if len(s) > 1 else (n, m) for s in shapes]
    if not depth and n == 1 and draw(st.booleans()):
        shapes[0] = ()
    return (tuple(shapes), {})


@st.composite
def rot90_case(draw):
    shape = draw(one_shape(min_dims=2))
    dims = draw(st.permutations(range(-len(shape), 0)).map(lambda p: tuple(p[:2])))
    return ((shape,), {"k": draw(st.integers(-5, 5)), "dims": dims})


@st.composite
def blocks_case(draw):
    return (tuple(draw(one_shape(max_dims=2)) for _ in range(draw(st.integers(1, 3)))), {})


@st.composite
def combinations_case(draw):
    n = draw(st.integers(1, 4))
    return (((n,),), {"r": draw(st.integers(1, 3)), "with_replacement": draw(st.booleans())})


def _np_column_stack(*arrays):
    return np.column_stack(arrays)


def _np_block_diag(*arrays):
    blocks = [np.atleast_2d(a) for a in arrays]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)))
    r = c = 0
    for b in blocks:
        out[r : r + b.shape[0], c : c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def _np_combinations(a, r, with_replacement):
    import itertools

    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = list(pick(a.tolist(), r))
    return np.array(rows).reshape(len(rows), r)


def _np_cartesian(*arrays):
    import itertools

    rows = list(itertools.product(*[a.tolist() for a in arrays]))
    return np.array(rows).reshape(len(rows), len(arrays))


# --- names2: dist, renorm, trapezoid -----------------------------------------------------------
@st.composite
def dist_case(draw):
    """(a shape, b shape) with b broadcasting to a's shape, and p."""
    a = draw(one_shape())
    b = tuple(draw(st.sampled_from([1, n])) for n in a)[draw(st.integers(0, len(a))) :]
    return ((a, b), {"p": draw(st.sampled_from([2, 1, 3.5, np.inf, -np.inf]))})


def dist_prepare(arrays, kwargs):
    """a = b + differences of distinct magnitudes: away from |a - b| = 0 (p = 1) and from ties
    of the largest or smallest |a - b| (p = ±inf)."""
    a, b = arrays
    (spaced,) = distinct_magnitudes([a], kwargs)
    return [np.broadcast_to(b, a.shape) + spaced, b]


@st.composite
def renorm_case(draw):
    shape = draw(one_shape(min_dims=2))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return ((shape,), {"p": draw(st.sampled_from([1, 2, 3.5, np.inf])), "dim": dim,
                       "maxnorm": draw(st.sampled_from([0.3, 1.0, 2.5]))})  # fmt: skip


def renorm_prepare(arrays, kwargs):
    """Distinct magnitudes (p = 1's kink at 0, p = inf's ties), then each slice's norm kept
    at least 10% from maxnorm, where the scaling starts (a kink)."""
    (a,) = distinct_magnitudes(arrays, kwargs)
    a = np.moveaxis(a * 3, kwargs["dim"], 0).copy()
    for i in range(a.shape[0]):
        while abs(np.linalg.norm(a[i].ravel(), kwargs["p"]) / kwargs["maxnorm"] - 1) < 0.1:
            a[i] *= 1.3
    # C order: gradcheck perturbs an input in place through a flat view of it
    return [np.ascontiguousarray(np.moveaxis(a, 0, kwargs["dim"]))]


def _np_renorm(a, p, dim, maxnorm):
    moved = np.moveaxis(a, dim, 0)
    norms = np.array([np.linalg.norm(s.ravel(), p) for s in moved])
    factor = np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return np.moveaxis(moved * factor.reshape((-1,) + (1,) * (a.ndim - 1)), 0, dim)


@st.composite
def trapezoid_case(draw, points=False):
    """(y shape[, x shape], {dim[, dx]}): x 1-d along dim or of y's shape."""
    shape = draw(one_shape(min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    if not points:
        return ((shape,), {"dim": dim, "dx": draw(st.sampled_from([None, 0.5, 2]))})
    x = draw(st.sampled_from([shape, (shape[dim],)]))
    return ((shape, x), {"dim": dim})


def _np_trapezoid(y, x=None, dx=None, dim=-1):
    if x is not None and x.ndim == 1:
        x = x.reshape([-1 if d == dim % y.ndim else 1 for d in range(y.ndim)])
    return np.trapezoid(y, x, dx=1.0 if dx is None else dx, axis=dim)


# --- names2: eigh, pinv, lstsq, matrix_exp -----------------------------------------------------
def symmetric_spread(arrays, kwargs):
    """A symmetric matrix with well separated eigenvalues (-2, 0.5, 3, ...): the eigenvector
    gradients divide by their differences."""
    a = arrays[0]
    _, q = np.linalg.eigh(a + np.swapaxes(a, -1, -2))
    values = -2.0 + 2.5 * np.arange(a.shape[-1])
    return [(q * values) @ np.swapaxes(q, -1, -2), *arrays[1:]]


def spread_first(arrays, kwargs):
    """spread_singular_values on the first input (A of lstsq), the others as drawn."""
    return spread_singular_values(arrays[:1], kwargs) + list(arrays[1:])


@st.composite
def lstsq_case(draw):
    n = draw(st.integers(1, MAX_SIDE))
    m = draw(st.integers(n, MAX_SIDE))
    lead = draw(st.sampled_from([(), (2,)]))
    rhs = draw(st.sampled_from([lead + (m, draw(st.integers(1, 2))), lead + (m,)]))
    return ((lead + (m, n), rhs), {})


def _np_eigh_parts(a):
    values, vectors = np.linalg.eigh(a + np.swapaxes(a, -1, -2))
    return np.concatenate([values.reshape(-1), (vectors * vectors).reshape(-1)])


def _np_lstsq(a, b):
    vector = b.ndim == a.ndim - 1
    x = np.linalg.pinv(a) @ (b[..., None] if vector else b)
    return x[..., 0] if vector else x


def _np_expm(a):
    """exp(A) by its Taylor series (small matrices: 60 terms reach float64's precision)."""
    out = term = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy()
    for k in range(1, 60):
        term = term @ a / k
        out = out + term
    return out


# --- names7: torch.linalg's triangular solves and LU ------------------------------------------
@st.composite
def triangular_case(draw):
    """A (..., n, n) and B (..., n, k) (left=False: (..., k, n)), with solve_triangular's flags."""
    n, k = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, 3))
    lead, left = draw(st.sampled_from([(), (2,)])), draw(st.booleans())
    flags = {"upper": draw(st.booleans()), "left": left, "unitriangular": draw(st.booleans())}
    return ((lead + (n, n), lead + ((n, k) if left else (k, n))), flags)


@st.composite
def lu_solve_case(draw):
    """A (..., n, n) to factor and B (..., n, k) (left=False: (..., k, n)), left and adjoint."""
    n, k = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, 3))
    lead, left = draw(st.sampled_from([(), (2,)])), draw(st.booleans())
    kwargs = {"left": left, "adjoint": draw(st.booleans())}
    return ((lead + (n, n), lead + ((n, k) if left else (k, n))), kwargs)


def _np_solve_triangular(a, b, upper, left, unitriangular):
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t - t * np.eye(a.shape[-1]) + np.eye(a.shape[-1])
    if left:
        return np.linalg.solve(t, b)
    return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


def _np_lu_one(a):
    """P, L, U of one square matrix by Doolittle's elimination with partial pivoting (the
    textbook loop, independent of the library's vectorised one)."""
    n = a.shape[0]
    U, L, order = a.astype(np.float64), np.eye(n), np.arange(n)
    for j in range(n):
        p = j + int(np.argmax(np.abs(U[j:, j])))
        U[[j, p]], L[[j, p], :j], order[[j, p]] = U[[p, j]], L[[p, j], :j], order[[p, j]]
        for i in range(j + 1, n):
            L[i, j] = U[i, j] / U[j, j]
            U[i, j:] -= L[i, j] * U[j, j:]
    return np.eye(n)[order].T, L, np.triu(U)


def _np_lu(a):
    """(P, L, U) of each square matrix of a batch."""
    parts = [_np_lu_one(m) for m in a.reshape(-1, *a.shape[-2:])]
    return [np.stack([p[i] for p in parts]).reshape(a.shape) for i in range(3)]


def _np_lu_packed(a):
    _, L, U = _np_lu(a)
    return np.tril(L, -1) + U


def _np_lu_parts(a):
    _, L, U = _np_lu(a)
    return np.concatenate([L.reshape(-1), U.reshape(-1)])


def _np_lu_solve(a, b, left, adjoint):
    a = np.swapaxes(a, -1, -2) if adjoint else a
    if left:
        return np.linalg.solve(a, b)
    return np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


def lu_ready(arrays, kwargs):
    """Columns made diagonally dominant, then the rows reversed: partial pivoting swaps rows
    on every step, and each pivot wins by a margin (finite differences never change it)."""
    a = arrays[0]
    dominant = np.abs(a).sum(-2, keepdims=True) + 1.0
    return [(a + np.eye(a.shape[-1]) * dominant)[..., ::-1, :].copy(), *arrays[1:]]


def tensor_well_conditioned(arrays, kwargs):
    """well_conditioned for a tensor whose leading dims and the rest hold n elements each."""
    a = arrays[0]
    n = int(np.sqrt(a.size))
    return [well_conditioned([a.reshape(n, n)], kwargs)[0].reshape(a.shape), *arrays[1:]]


@st.composite
def cond_case(draw):
    """Square matrices of 2 x 2 or more (torch's backward of cond of a 1 x 1 fails)."""
    ((shape,), _) = draw(square_case().filter(lambda c: c[0][0][-1] > 1))
    return ((shape,), {"p": draw(st.sampled_from([None, 2, -2, "fro", "nuc", 1, -1, np.inf]))})


@st.composite
def vander_case(draw):
    """x (..., n) and N >= 3 columns (N = 2 multiplies nothing, so saves nothing: its own test)."""
    n = draw(st.integers(3, 4))
    lead = draw(st.sampled_from([(), (2,)]))
    return ((lead + (n,),), {"N": draw(st.sampled_from([None, 3, 5]))})


def _np_vander(x, N):
    return x[..., None] ** np.arange(x.shape[-1] if N is None else N)


TENSOR_INVERTIBLE = [((2, 3, 6), 2), ((6, 2, 3), 1), ((2, 2, 2, 2), 2)]
TENSOR_SYSTEMS = [((2, 3, 6), (2, 3)), ((4, 2, 2), (4,))]


@st.composite
def householder_case(draw):
    """A (..., m, n) with m >= n and tau (..., k), k <= n (reflector vectors and scales)."""
    n = draw(st.integers(1, MAX_SIDE))
    m, k = draw(st.integers(n, MAX_SIDE)), draw(st.integers(1, n))
    lead = draw(st.sampled_from([(), (2,)]))
    return ((lead + (m, n), lead + (k,)), {})


def _np_householder_product(a, tau):
    """The first n columns of ∏ (I − τ_i v_i v_iᵀ), one reflector at a time."""
    m, n = a.shape[-2:]
    q = np.broadcast_to(np.eye(m), a.shape[:-2] + (m, m)).copy()
    for i in range(tau.shape[-1]):
        v = np.where(np.arange(m) > i, a[..., :, i], 0.0) + (np.arange(m) == i)
        q = q - (q @ v[..., :, None]) * tau[..., i, None, None] * v[..., None, :]
    return q[..., :, :n]


@st.composite
def legacy_triangular_case(draw):
    """torch.triangular_solve's (b (..., n, k), A (..., n, n)) and its flags."""
    n, k = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, 3))
    lead = draw(st.sampled_from([(), (2,)]))
    flags = {f: draw(st.booleans()) for f in ("upper", "transpose", "unitriangular")}
    return ((lead + (n, k), lead + (n, n)), flags)


@st.composite
def cholesky_solve_case(draw):
    """torch.cholesky_solve's (B (..., n, k), a matrix whose Gram matrix is factored)."""
    n, k = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, 3))
    lead = draw(st.sampled_from([(), (2,)]))
    return ((lead + (n, k), lead + (n, n)), {"upper": draw(st.booleans())})


@st.composite
def ormqr_case(draw):
    """geqrf's (input (..., m, r), tau (..., k)) and other (..., m, p) (left=False: (..., p, m))."""
    m = draw(st.integers(1, MAX_SIDE))
    r = k = draw(st.integers(1, m))  # torch: tau has min(m, r) entries, as geqrf gives
    p = draw(st.integers(1, 3))
    lead, left = draw(st.sampled_from([(), (2,)])), draw(st.booleans())
    shapes = (lead + (m, r), lead + (k,), lead + ((m, p) if left else (p, m)))
    return (shapes, {"left": left, "transpose": draw(st.booleans())})


def _np_ormqr(a, tau, other, left, transpose):
    q = (
        _np_householder_product(a, tau)
        if a.shape[-1] == a.shape[-2]
        else _np_householder_product(
            np.concatenate([a, np.zeros(a.shape[:-1] + (a.shape[-2] - a.shape[-1],))], -1), tau
        )
    )
    q = np.swapaxes(q, -1, -2) if transpose else q
    return q @ other if left else other @ q
