"""Sparse COO tensors (autodiff/sparse.py, coo.py): products with a dense matrix and
their gradients equal torch's bit for bit (hypothesis: repeated indices, empty rows, both
orders, float32 and float64), checked against finite differences in float64; conversions,
adding to a dense tensor, scaling and printing as torch's; every other op, NumPy, ad.compile
and a gradient for the sparse tensor itself are refused with a message."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.compile import CompileError


@st.composite
def sparse_case(draw, dtype=None):
    """(indices, values, shape, dense operand) of a sparse matrix that may repeat indices and
    leave rows empty, and a dense matrix to multiply it by."""
    rows, cols, width = (draw(st.integers(1, 9)) for _ in range(3))
    nnz = draw(st.integers(0, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = dtype or draw(st.sampled_from([np.float32, np.float64]))
    indices = np.stack([rng.integers(0, rows, nnz), rng.integers(0, cols, nnz)])
    values = rng.standard_normal(nnz).astype(dtype)
    dense = rng.standard_normal((cols, width)).astype(dtype)
    return indices, values, (rows, cols), dense


def _pair(indices, values, shape):
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ad.sparse_coo_tensor(indices, values, shape)
        theirs = torch.sparse_coo_tensor(torch.tensor(indices), torch.tensor(values), shape)
    return ours, theirs


def _same(ours, theirs) -> None:
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.view(f"u{a.itemsize}"), b.view(f"u{b.itemsize}"))


@settings(max_examples=60, deadline=None)
@given(sparse_case())
def test_products_and_their_gradients_are_torchs_bits(case):
    torch = pytest.importorskip("torch")
    indices, values, shape, dense = case
    ours, theirs = _pair(indices, values, shape)
    rng = np.random.default_rng(len(values))
    x, tx = ad.tensor(dense, requires_grad=True), torch.tensor(dense, requires_grad=True)
    out, tout = ad.mm(ours, x), torch.mm(theirs, tx)  # sparse @ dense
    _same(out, tout)
    seed = rng.standard_normal(out.shape).astype(dense.dtype)
    out.backward(ad.tensor(seed))
    tout.backward(torch.tensor(seed))
    _same(x.grad, tx.grad)
    left = rng.standard_normal((3, shape[0])).astype(dense.dtype)
    z, tz = ad.tensor(left, requires_grad=True), torch.tensor(left, requires_grad=True)
    out, tout = z @ ours, tz @ theirs  # dense @ sparse
    _same(out, tout)
    seed = rng.standard_normal(out.shape).astype(dense.dtype)
    out.backward(ad.tensor(seed))
    tout.backward(torch.tensor(seed))
    _same(z.grad, tz.grad)


@settings(max_examples=40, deadline=None)
@given(sparse_case(dtype=np.float64))
def test_the_dense_operands_gradient_against_finite_differences(case):
    indices, values, shape, dense = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = ad.sparse_coo_tensor(indices, values, shape)
    x = ad.tensor(dense, requires_grad=True)
    assert ad.gradcheck(lambda t: ad.mm(s, t), (x,), eps=1e-6, atol=1e-7)
    z = ad.tensor(np.arange(2.0 * shape[0]).reshape(2, shape[0]) / 7, requires_grad=True)
    assert ad.gradcheck(lambda t: t @ s, (z,), eps=1e-6, atol=1e-7)


@settings(max_examples=40, deadline=None)
@given(sparse_case())
def test_conversions_and_dense_plus_sparse_are_torchs(case):
    torch = pytest.importorskip("torch")
    indices, values, shape, dense = case
    ours, theirs = _pair(indices, values, shape)
    assert ours.is_coalesced() == theirs.is_coalesced() and ours._nnz() == theirs._nnz()
    _same(ours.to_dense(), theirs.to_dense())
    c, tc = ours.coalesce(), theirs.coalesce()
    assert c.is_coalesced() and tc.is_coalesced()
    _same(c.indices(), tc.indices())
    if len(values) <= 16:  # torch's sort keeps stored order up to 16 values (insertion sort)
        _same(c.values(), tc.values())
    else:  # beyond, a repeated index's values may be summed in another order
        np.testing.assert_allclose(c.values().numpy(), tc.values().numpy(), rtol=1e-5, atol=1e-5)
    back, tback = ad.tensor(tc.to_dense().numpy()).to_sparse(), tc.to_dense().to_sparse()
    _same(back.indices(), tback.indices())
    _same(back.values(), tback.values())
    base = np.random.default_rng(1).standard_normal(shape).astype(values.dtype)
    x, tx = ad.tensor(base, requires_grad=True), torch.tensor(base, requires_grad=True)
    total, ttotal = x + ours, tx + theirs
    _same(total, ttotal)
    _same(ad.add(x, ours, alpha=3), torch.add(tx, theirs, alpha=3))
    _same(ad.add(x, ours.coalesce(), alpha=0), torch.add(tx, theirs.coalesce(), alpha=0))
    same_c = ad.sparse_coo_tensor(
        tc.indices().numpy(), tc.values().numpy(), shape, is_coalesced=True
    )
    for alpha in (2, 3):  # coalesced: torch's other kernel
        _same(ad.add(x, same_c, alpha=alpha), torch.add(tx, tc, alpha=alpha))
    total.sum().backward()
    ttotal.sum().backward()
    _same(x.grad, tx.grad)
    _same((ours * 3).to_dense(), (theirs * 3).to_dense())
    _same((ours / 4).to_dense(), (theirs / 4).to_dense())
    # the stored values summed in NumPy's order (torch's vectorised one may differ in the last bit)
    np.testing.assert_allclose(ours.sum().numpy(), theirs.sum().numpy(), rtol=1e-6, atol=1e-6)
    assert repr(c) == repr(tc)
    assert repr(ours) == repr(theirs)


def test_torchs_spelling_of_a_graph_networks_adjacency():
    """gcn/gat's load_cora: int32 edge pairs from NumPy, float ones cast to int64, a repeated
    edge, self-loops added densely, the degree normalisation, sparse-dense-sparse products."""
    torch = pytest.importorskip("torch")
    edges = np.array([[0, 1], [1, 2], [0, 1], [3, 0]], dtype=np.int32)
    results = []
    for lib in (ad, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            adj = lib.sparse_coo_tensor(edges.T, lib.ones(4), (4, 4), dtype=lib.int64)
        adj = lib.eye(4) + adj
        degree = lib.sqrt(1 / lib.sum(adj, dim=1))
        degree = lib.diag(degree).to_sparse()
        adj = degree @ adj @ degree
        feats = lib.tensor([[1.0, 0, 2], [0, 0, 1], [3, 1, 0], [0, 2, 0]]).to_sparse()
        kernel = lib.tensor([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]], requires_grad=True)
        out = lib.spmm(adj.to_sparse(), lib.mm(feats, kernel))
        out.square().sum().backward()
        results.append((adj, out, kernel.grad))
    for ours, theirs in zip(*results):
        _same(ours, theirs)


def test_printing_matches_torch():
    torch = pytest.importorskip("torch")
    dense = [[0.0, 1.5], [2.0, 0.0]]
    cases = [
        lambda lib: lib.tensor(dense, dtype=lib.float64).to_sparse(),
        lambda lib: lib.zeros(2, 3).to_sparse(),
        lambda lib: lib.tensor([[1, 0], [0, 2]], dtype=lib.int32).to_sparse(),
        lambda lib: lib.tensor(dense).to_sparse(1),
        lambda lib: lib.tensor([1.0, 0, 2]).to_sparse(),
    ]
    for make in cases:
        assert repr(make(ad)) == repr(make(torch))


def test_sizes_dtypes_and_layouts_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = lib.sparse_coo_tensor([[0, 2, 1]], [[1.0, 2], [3, 4], [5, 6]], dtype=lib.int64)
        d = lib.ones(3)
        seen = [s.shape, s.numel(), len(s), s.dim(), s.sparse_dim(), s.dense_dim(), s._nnz()]
        seen += [str(s.dtype), str(s.layout), s.is_sparse, d.is_sparse, str(d.layout)]
        seen += [d.to_dense() is d, d.sparse_dim(), d.dense_dim(), s.is_coalesced()]
        seen += [s.to_sparse() is s, s.to_dense().tolist(), s.element_size()]
        seen += [lib.eye(2).to_sparse_coo().indices().tolist()]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            half = lib.sparse_coo_tensor([[0]], lib.ones(1, dtype=lib.bfloat16), (2,))
            floats = lib.sparse_coo_tensor([[0]], [1.5], (2,))  # Python floats: the default dtype
        seen += [str(half.dtype), str(s.float().dtype), str(s.coalesce().values().dtype)]
        seen += [str(floats.dtype)]
        if lib is ad:
            ours = seen
    assert ours == seen


def test_the_array_refuses_numpy_and_dense_only_code():
    """The guarantee behind every refusal: a sparse tensor's array is no ndarray, so a path
    that forgot the layout fails loudly instead of computing on it."""
    a = ad.tensor([[0.0, 1.0], [2.0, 0.0]]).to_sparse()._data
    with pytest.raises(NotImplementedError, match="NumPy's add cannot compute on a sparse"):
        np.add(a, 1)
    with pytest.raises(NotImplementedError, match="NumPy's concatenate cannot compute"):
        np.concatenate([a, a])
    with pytest.raises(NotImplementedError, match="'strides' was asked for"):
        _ = a.strides
    with pytest.raises(TypeError, match="to_dense"):
        np.asarray(a)


def test_what_sparse_tensors_refuse():
    s = ad.tensor([[0.0, 1.0], [2.0, 0.0]]).to_sparse()
    with pytest.raises(NotImplementedError, match="aten::exp.*SparseCPU.*to_dense"):
        ad.exp(s)
    with pytest.raises(NotImplementedError, match="to_dense"):
        s[0]
    with pytest.raises(TypeError, match="to_dense"):
        s.numpy()
    with pytest.raises(TypeError, match="to_dense"):
        np.asarray(s)
    assert not hasattr(s._data, "__array_interface__")  # a protocol probe: plainly absent
    with pytest.raises(NotImplementedError, match="no gradient"):
        s.requires_grad_()
    with pytest.raises(NotImplementedError, match="no gradient"):
        ad.sparse_coo_tensor([[0], [1]], [1.0], (2, 2), requires_grad=True)
    with pytest.raises(NotImplementedError, match="sparse @ sparse"):
        s @ s
    with pytest.raises(RuntimeError, match="add\\(dense, sparse\\)"):
        s + ad.ones(2, 2)
    twice = ad.sparse_coo_tensor([[0, 0], [1, 1]], [1.0, 2.0], (2, 2))
    with pytest.raises(RuntimeError, match="Cannot get indices on an uncoalesced"):
        twice.indices()
    with pytest.raises(RuntimeError, match="Cannot get values on an uncoalesced"):
        twice.values()
    assert twice._values().tolist() == [1.0, 2.0] and twice._indices().shape == (2, 2)
    with pytest.raises(NotImplementedError, match="sparse \\+ sparse"):
        s + s
    with pytest.raises(RuntimeError, match="expected sparse coordinate tensor layout"):
        ad.ones(2).coalesce()
    with pytest.raises(ad.errors.ShapeError, match="same nnz.*indices: 2, nnz from values: 1"):
        ad.sparse_coo_tensor([[0, 1]], [1.0])
    with pytest.raises(ad.errors.ShapeError, match=r"out of range.*span \[1, 0\] to \[2, 1\]"):
        ad.sparse_coo_tensor([[1, 2], [0, 1]], [1.0, 2.0], (2, 2))
    for indices, values, size in [([[0], [1]], [1.0], (2,)), ([[0]], [[1.0, 2.0]], (2, 3))]:
        with pytest.raises(ad.errors.ShapeError, match="does not fit"):
            ad.sparse_coo_tensor(indices, values, size)
    with pytest.raises(ad.errors.ShapeError, match="2-D integer"):
        ad.sparse_coo_tensor([0, 1], [1.0, 2.0])
    assert ad.sparse_coo_tensor(np.zeros((2, 0), np.int64), np.zeros(0)).shape == (0, 0)
    with pytest.raises(ad.errors.ShapeError, match="dense matrix or vector"):
        s @ ad.ones(2, 2, 2)
    cube = ad.sparse_coo_tensor([[0], [1]], [[1.0, 2.0, 3.0]], (2, 2, 3))
    with pytest.raises(RuntimeError, match="transposed dimensions must be sparse"):
        cube.transpose(1, 2)
    with pytest.raises(TypeError, match="only accepts sizes"):
        ad.sparse.FloatTensor((2, 3))
    with pytest.raises(TypeError, match=r"\(indices: Tensor, values: Tensor\[, size\]\)"):
        ad.sparse.FloatTensor([[0, 1]], [1.0, 2.0])
    with pytest.raises(RuntimeError, match="indices must be an int64 tensor"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's deprecation warning comes first
            ad.sparse.FloatTensor(ad.tensor([[0, 1]], dtype=ad.int32), ad.ones(2))
    with pytest.raises(RuntimeError, match="expects device type: cpu"):
        ad.sparse.FloatTensor(2, 2, device="meta")
    with pytest.raises(NotImplementedError, match="CPU's ordinary memory only"):
        ad.sparse_coo_tensor([[0], [1]], [1.0], (2, 2), device="meta")
    with pytest.raises(NotImplementedError, match="no pinned memory"):
        ad.sparse_coo_tensor([[0], [1]], [1.0], (2, 2), pin_memory=True)
    with pytest.raises(NotImplementedError, match="SparseCPU"):
        _ = s > 0  # an op class without a node name of its own
    with pytest.raises(ad.errors.ShapeError, match=r"no broadcasting.*\(1, 2\) and \(2, 2\)"):
        ad.ones(1, 2) + s
    with pytest.raises(NotImplementedError, match=r"only sparse \* a number"):
        s * ad.ones(2, 2)
    with pytest.raises(NotImplementedError, match="only sparse / a number"):
        s / ad.ones(2, 2)
    with pytest.raises(NotImplementedError, match="aten::div.*SparseCPU"):
        ad.div(s, 2, rounding_mode="floor")
    assert (s * ad.tensor(2.0)).to_dense().tolist() == [[0.0, 2.0], [4.0, 0.0]]
    with pytest.raises(ad.errors.DtypeError, match="same dtype"):
        s @ ad.ones(2, 2, dtype=ad.float64)
    with pytest.raises(NotImplementedError, match="keepdim"):
        s.sum(dim=0, keepdim=True)
    assert ad.sparse.sum(s).item() == 3.0
    assert ad.sparse.sum(s, dtype=ad.float64).dtype == ad.float64
    with pytest.raises(ad.errors.ShapeError, match="sparse_dim must be between 1 and 2"):
        ad.ones(2, 2).to_sparse(3)
    with pytest.raises(ad.errors.ShapeError, match="nnz from values: 0"):
        ad.sparse_coo_tensor([[0]], 1.0)
    with pytest.raises(NotImplementedError, match="no gradient"):
        ad.ones(2, 2, requires_grad=True).to_sparse()

    @ad.compile
    def product(a, b):
        return a @ b

    with pytest.raises(CompileError, match="sparse"):
        product(s, ad.ones(2, 2))

    @ad.compile
    def made_inside(x, w):  # a replay would keep the sparse tensor of the first call
        return (x.to_sparse() @ w).sum()

    @ad.compile
    def built_inside(indices, values):
        return ad.sparse_coo_tensor(indices, values, (2, 2)).to_dense().sum()

    with pytest.raises(CompileError, match="reads a tensor's values into Python"):
        made_inside(ad.ones(2, 2), ad.ones(2, 2))
    with pytest.raises(CompileError, match="reads a tensor's values into Python"):
        built_inside(ad.tensor([[0, 1], [1, 0]]), ad.ones(2))


def test_the_invariant_warning_is_torchs_and_given_once():
    import autodiff.sparse as sparse

    sparse._warned.clear()
    with pytest.warns(UserWarning, match="Sparse invariant checks are implicitly disabled"):
        ad.sparse_coo_tensor([[0], [1]], [1.0], (2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ad.sparse_coo_tensor([[0], [1]], [1.0], (2, 2))
        ad.sparse_coo_tensor([[0], [1]], [1.0], (2, 2), check_invariants=True)


def test_a_sum_on_a_float32_midpoint_rounds_once():
    """(1 + 2⁻²³) + (1 + 2⁻²³)·2⁻²⁴(1 − 2⁻²³) lies just below a float32 midpoint, but its
    float64 sum is the midpoint itself: rounding that again would go to even (up), torch's
    fused multiply-add rounds once (down). The product's float32 path must take its exact
    branch there."""
    v = np.float32(1 + 2.0**-23)
    d = np.float32(2.0**-24 * (1 - 2.0**-23))
    s = ad.tensor(np.array([[1.0, 1.0]], np.float32) * v).to_sparse()
    out = ad.mm(s, ad.tensor(np.array([[1.0], [d]], np.float32)))
    assert out.item() == v
    torch = pytest.importorskip("torch")
    theirs = torch.mm(torch.tensor([[v, v]]).to_sparse(), torch.tensor([[1.0], [d]]))
    assert theirs.item() == v


def test_a_subnormal_sum_rounds_once():
    """(2⁻¹³⁰ + 2⁻¹⁴⁹) + 2⁻⁷⁵(1 + 2⁻²⁰)·2⁻⁷⁵(1 − 2⁻²⁰): a float32 subnormal sum whose float64
    sum sits on a midpoint of the subnormals' wider spacing (no midpoint in a normal float32's
    bits): the exact branch again, as torch."""
    v1 = np.float32(2.0**-130 + 2.0**-149)
    v2, d2 = np.float32(2.0**-75 * (1 + 2.0**-20)), np.float32(2.0**-75 * (1 - 2.0**-20))
    s = ad.tensor(np.array([[v1, v2]], np.float32)).to_sparse()
    assert ad.mm(s, ad.tensor(np.array([[1.0], [d2]], np.float32))).item() == v1
    torch = pytest.importorskip("torch")
    theirs = torch.mm(torch.tensor([[v1, v2]]).to_sparse(), torch.tensor([[1.0], [d2]]))
    assert theirs.item() == v1


@settings(max_examples=40, deadline=None)
@given(sparse_case(dtype=np.float32), st.sampled_from([1.0, 2.0**-24, 2.0**-140]))
def test_the_float32_product_equals_the_generic_fused_path(case, scale):
    """coo's float32 fast path (float64 sums, the exact fma only near a tie) against the
    generic turns of cpu_math.fma, on values scaled into the subnormal range too."""
    from autodiff import coo

    indices, values, shape, dense = case
    a = coo.SparseCOO(indices, values * np.float32(scale), shape, coalesced=False)
    expected = np.zeros((shape[0], dense.shape[1]), np.float32)
    for take in coo._in_turns(indices[0]) if len(values) else ():
        r = indices[0][take]
        expected[r] = ad.cpu_math.fma(a.values[take][:, None], dense[indices[1][take]], expected[r])
    got = coo.matmul(a, dense)
    np.testing.assert_array_equal(got.view(np.uint32), expected.view(np.uint32))


def test_products_after_a_meta_tensor_was_made():
    """Once a meta tensor exists, Function.apply's meta seam probes every op's options with
    getattr(option, "_data", None): the sparse product's own option (its array) must answer
    with the default, not an error."""
    ad.empty(2, device="meta")
    s = ad.tensor([[0.0, 1.0], [2.0, 0.0]]).to_sparse()
    x = ad.ones(2, 2, requires_grad=True)
    ad.mm(s, x).sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [1.0, 1.0]]
    assert getattr(s._data, "_data", None) is None


def test_the_layout_of_turns_is_made_once_per_direction(monkeypatch):
    from autodiff import coo

    made = []
    real = coo._turn_major
    monkeypatch.setattr(coo, "_turn_major", lambda rows: made.append(1) or real(rows))
    s = ad.tensor([[1.0, 2.0, 0.0], [0.0, 3.0, 4.0]]).to_sparse()
    x = ad.ones(3, 2, requires_grad=True)
    for _ in range(3):
        ad.mm(s, x).sum().backward()  # the product, then its transpose for the gradient
    assert len(made) == 2


def test_a_product_after_the_indices_changed_in_place():
    """A product keeps its layout of turns with the sparse tensor for the next one (an
    adjacency meets every step); _indices() shares the indices, so a change there must give
    the new product, in both directions, not the old one."""
    s = ad.tensor([[1.0, 2.0, 0.0], [0.0, 3.0, 4.0]]).to_sparse()
    d, e = ad.arange(6.0).reshape(3, 2), ad.arange(4.0).reshape(2, 2)
    assert ad.mm(s, d).tolist() == [[4.0, 7.0], [22.0, 29.0]]
    assert (e.T @ s).tolist() == [[0.0, 6.0, 8.0], [1.0, 11.0, 12.0]]
    s._indices()[1, 0] = 2  # the value 1.0 moves from column 0 to column 2
    fresh = ad.tensor([[0.0, 2.0, 1.0], [0.0, 3.0, 4.0]])
    assert ad.mm(s, d).tolist() == (fresh @ d).tolist()
    assert (e.T @ s).tolist() == (e.T @ fresh).tolist()


@settings(max_examples=20, deadline=None)
@given(sparse_case(), st.integers(1, 40))
def test_a_product_a_few_columns_at_a_time_is_the_same(case, scratch):
    """coo.matmul bounds the dense rows it gathers (_SCRATCH values a pass): the columns are
    independent, so any number of passes gives the same bits."""
    from autodiff import coo

    indices, values, shape, dense = case
    a = coo.SparseCOO(indices, values, shape, coalesced=False)
    whole = coo.matmul(a, dense)
    kept, coo._SCRATCH = coo._SCRATCH, scratch
    widths = []
    turns = coo._turns32 if dense.dtype == np.float32 else coo._turns

    def spy(values, gathered, starts):
        widths.append(gathered.shape[1])
        return turns(values, gathered, starts)

    setattr(coo, turns.__name__, spy)
    try:
        parts = coo.matmul(coo.SparseCOO(indices, values, shape, coalesced=False), dense)
    finally:
        coo._SCRATCH = kept
        setattr(coo, turns.__name__, turns)
    np.testing.assert_array_equal(whole.view(np.uint8), parts.view(np.uint8))
    if len(values):  # each pass gathers at most _SCRATCH values (one column at least)
        assert sum(widths) == dense.shape[1]
        assert max(widths) == min(dense.shape[1], max(1, scratch // len(values)))


def test_a_small_product_takes_one_pass():
    from autodiff import coo

    a = coo.SparseCOO(np.array([[0, 1], [1, 0]]), np.ones(2, np.float32), (2, 2), False)
    widths = []
    real = coo._turns32

    def spy(values, gathered, starts):
        widths.append(gathered.shape[1])
        return real(values, gathered, starts)

    coo._turns32 = spy
    try:
        coo.matmul(a, np.ones((2, 7), np.float32))
    finally:
        coo._turns32 = real
    assert widths == [7]


def test_the_float32_product_goes_exact_only_where_it_rounded_twice(monkeypatch):
    """The fast path's afterwards check (_rounded_twice): a sum that is exact in float64 but no
    float32 (1 + 2⁻²⁴, a midpoint) rounds the same once or twice, so the product keeps the
    fast result; a sum near no midpoint is no candidate at all; the real double rounding of
    test_a_sum_on_a_float32_midpoint_rounds_once sends the product through the exact turns."""
    from autodiff import coo

    calls = []
    exact = coo._turns
    monkeypatch.setattr(coo, "_turns", lambda *args: calls.append(1) or exact(*args))
    s = ad.tensor(np.array([[1.0, 1.0]], np.float32)).to_sparse()
    assert ad.mm(s, ad.tensor(np.array([[1.0], [2.0**-24]], np.float32))).item() == 1.0
    one = ad.tensor(np.array([[1 + 2.0**-12]], np.float32))  # (1 + 2⁻¹²)²: at the first turn
    assert ad.mm(one.to_sparse(), one).item() == np.float32(1 + 2.0**-11)
    plain = ad.tensor(np.array([[0.3, 0.7]], np.float32)).to_sparse()
    assert ad.mm(plain, ad.tensor(np.array([[0.1], [0.2]], np.float32))).shape == (1, 1)
    assert calls == []
    v, d = np.float32(1 + 2.0**-23), np.float32(2.0**-24 * (1 - 2.0**-23))
    twice = ad.tensor(np.array([[1.0, 1.0]], np.float32) * v).to_sparse()
    assert ad.mm(twice, ad.tensor(np.array([[1.0], [d]], np.float32))).item() == v
    assert calls == [1]


@settings(max_examples=40, deadline=None)
@given(sparse_case())
def test_transposes_vectors_in_place_adds_and_sums_are_torchs(case):
    """t(), transpose, permute and .T of a sparse matrix (its index rows swapped, not
    coalesced) and products with the result; torch.mv and a vector on either side with the
    vector's gradient; dense.add_(sparse) with and without alpha, recorded; sums over each dim
    and over both: all torch's bits."""
    torch = pytest.importorskip("torch")
    indices, values, shape, dense = case
    ours, theirs = _pair(indices, values, shape)
    for flip, tflip in [
        (ours.t(), theirs.t()),
        (ours.transpose(0, 1), theirs.transpose(0, 1)),
        (ours.permute(1, 0), theirs.permute(1, 0)),
        (ours.T, theirs.T),
    ]:
        assert flip.shape == tflip.shape and flip.is_coalesced() == tflip.is_coalesced()
        _same(flip._indices(), tflip._indices())
        _same(flip._values(), tflip._values())
    left = np.random.default_rng(len(values)).standard_normal((shape[0], 2)).astype(dense.dtype)
    _same(ours.t() @ ad.tensor(left), theirs.t() @ torch.tensor(left))
    for vector, product in [(dense[:, 0], lambda m, v: m.mv(v)), (left[:, 0], lambda m, v: v @ m)]:
        v, tv = ad.tensor(vector, requires_grad=True), torch.tensor(vector, requires_grad=True)
        out, tout = product(ours, v), product(theirs, tv)
        _same(out, tout)
        assert out.grad_fn.name() == tout.grad_fn.name()
        seed = np.linspace(-1, 2, out.shape[0], dtype=dense.dtype)
        out.backward(ad.tensor(seed))
        tout.backward(torch.tensor(seed))
        _same(v.grad, tv.grad)
    base = np.random.default_rng(2).standard_normal(shape).astype(values.dtype)
    for alpha in (1, 3):
        x, tx = ad.tensor(base, requires_grad=True), torch.tensor(base, requires_grad=True)
        y, ty = x * 2, tx * 2
        y.add_(ours, alpha=alpha)
        ty.add_(theirs, alpha=alpha)
        _same(y, ty)
        assert y.grad_fn.name() == ty.grad_fn.name()
        y.sum().backward()
        ty.sum().backward()
        _same(x.grad, tx.grad)
        plain, tplain = ad.tensor(base), torch.tensor(base)
        _same(plain.add_(ours, alpha=alpha), tplain.add_(theirs, alpha=alpha))
    for dim in (0, 1):
        total, ttotal = ad.sparse.sum(ours, dim=dim), torch.sparse.sum(theirs, dim=dim)
        assert total.is_sparse and total.is_coalesced() and ttotal.is_coalesced()
        _same(total.indices(), ttotal.indices())
        if len(values) <= 16:  # as coalesce: torch's sort keeps stored order up to 16 values
            _same(total.values(), ttotal.values())
            _same(ours.sum(dim).to_dense(), ttotal.to_dense())
        else:
            np.testing.assert_allclose(
                total.values().numpy(), ttotal.values().numpy(), rtol=1e-5, atol=1e-5
            )
    both, tboth = ad.sparse.sum(ours, dim=(0, 1)), torch.sparse.sum(theirs, dim=(0, 1))
    assert not both.is_sparse and both.shape == ()  # the stored values' sum, in torch's order
    _same(both, tboth)
    if len(values) <= 16:
        _same(ad.sparse.sum(ours), torch.sparse.sum(theirs))


def test_sums_over_dense_dims_and_with_a_dtype():
    """A hybrid tensor (values with a dense dim): summing the dense dim keeps the indices,
    summing the sparse ones leaves a dense result; dtype= casts first, as torch."""
    torch = pytest.importorskip("torch")
    indices, values = np.array([[0, 1, 1], [1, 0, 0]]), np.arange(9.0).reshape(3, 3) / 7
    ours = ad.sparse_coo_tensor(indices, values, (2, 2, 3), check_invariants=False)
    theirs = torch.sparse_coo_tensor(torch.tensor(indices), torch.tensor(values), (2, 2, 3))
    for dim in (2, (0, 2), (1, 2), (0, 1), 1):
        total, ttotal = ad.sparse.sum(ours, dim=dim), torch.sparse.sum(theirs, dim=dim)
        assert total.is_sparse == ttotal.is_sparse and total.shape == ttotal.shape
        _same(total.to_dense(), ttotal.to_dense())
    typed = ad.sparse.sum(ours, dim=2, dtype=ad.float32)
    _same(typed.to_dense(), torch.sparse.sum(theirs, dim=2, dtype=torch.float32).to_dense())
    assert ours.permute(1, 0, 2)._indices().tolist() == [[1, 0, 0], [0, 1, 1]]


def test_legacy_sparse_constructors_as_torch():
    """torch.sparse.FloatTensor(indices, values[, size]) and (sizes...), as older graph
    network code builds its adjacency: torch's deprecation warning once per form, the values'
    own dtype, isinstance and type() as torch."""
    import autodiff.sparse as sparse

    sparse._warned.clear()
    i, v = ad.tensor([[0, 1], [1, 0]]), ad.tensor([1.0, 2.0])
    with pytest.warns(UserWarning) as caught:
        s = ad.sparse.FloatTensor(i, v, ad.Size([2, 2]))
        empty = ad.sparse.FloatTensor(3, 4)
        nothing = ad.sparse.FloatTensor()
        inferred = ad.sparse.DoubleTensor(i, v.double())
    assert [str(w.message) for w in caught] == [
        "torch.sparse.SparseTensor(indices, values, shape, *, device=) is deprecated.  Please "
        "use torch.sparse_coo_tensor(indices, values, shape, dtype=, device=).",
        "torch.sparse.SparseTensor(shape, *, device=) is deprecated.  Please use "
        "torch.sparse_coo_tensor(shape, dtype=, device=).",
        "torch.sparse.SparseTensor() is deprecated.  Please use "
        "torch.sparse_coo_tensor((0,), dtype=).",
        "torch.sparse.SparseTensor(indices, values, *, device=) is deprecated.  Please use "
        "torch.sparse_coo_tensor(indices, values, dtype=, device=).",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per form
        again = ad.sparse.FloatTensor(i, v.double(), (2, 2))
    with pytest.raises(TypeError, match=r"expects \(indices: Tensor, values: Tensor"):
        ad.sparse.FloatTensor(i, [1.0, 2.0])  # values as a list: refused, as torch
    assert s.to_dense().tolist() == [[0.0, 1.0], [2.0, 0.0]] and not s.is_coalesced()
    assert again.dtype == ad.float64 and inferred.shape == (2, 2)  # the values' dtype, as torch
    assert empty.shape == (3, 4) and empty._nnz() == 0 and empty.sparse_dim() == 2
    assert nothing.shape == (0,) and nothing.is_coalesced()
    assert isinstance(s, ad.sparse.FloatTensor) and not isinstance(s, ad.sparse.DoubleTensor)
    assert not isinstance(s, ad.FloatTensor) and not isinstance(ad.ones(2), ad.sparse.FloatTensor)
    assert s.type() == "torch.sparse.FloatTensor" and ad.ones(2).type() == "torch.FloatTensor"
    assert repr(ad.sparse.LongTensor) == "<class 'torch.sparse.LongTensor'>"
