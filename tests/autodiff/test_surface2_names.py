"""torch's top-level names added for learners' code, each against torch on the same inputs:
poisson / binomial (seeded draws), gradient, frombuffer, set_default_tensor_type, the is_* /
resolve_* functions, nuclear_norm / frobenius_norm, matrix_rank (torch's removal message),
index_reduce, nonzero_static and empty_permuted."""

import array
import warnings

import numpy as np
import pytest

import autodiff as ad

RNG = np.random.default_rng(7)


def _same(ours, theirs, rtol=1e-12):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol)


def _error(call, lib):
    try:
        call(lib)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e)
    return None


def _same_error(call):
    torch = pytest.importorskip("torch")
    theirs = _error(call, torch)
    assert theirs is not None
    ours = _error(call, ad)
    assert ours is not None and issubclass(ours, theirs), (ours, theirs)


# --- poisson, binomial ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_poisson_and_binomial_draw_torchs_numbers(dtype):
    torch = pytest.importorskip("torch")
    rate = np.array([[0.0, 0.5, 3.0], [9.0, 10.0, 40.0]])
    count = np.array([0.0, 3.0, 10.0, 25.0, 100.0, 1000.0])
    prob = np.array([0.3, 0.9, 0.5, 0.05, 0.6, 0.99])
    results = []
    for lib in (ad, torch):
        t = getattr(lib, dtype)
        lib.manual_seed(3)
        drawn = lib.poisson(lib.tensor(rate, dtype=t))
        both = lib.binomial(lib.tensor(count, dtype=t), lib.tensor(prob, dtype=t))
        broadcast = lib.binomial(lib.tensor(count, dtype=t), lib.tensor(0.5, dtype=t))
        gen = lib.Generator().manual_seed(11)
        own = lib.poisson(lib.tensor(rate, dtype=t), generator=gen)
        results.append((drawn, both, broadcast, own))
    for ours, theirs in zip(*results):
        _same(ours, theirs)


def test_poisson_has_a_zero_gradient_and_binomial_none_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        rate = lib.tensor([1.0, 20.0], requires_grad=True)
        drawn = lib.poisson(rate)
        assert drawn.grad_fn.name() == "PoissonBackward0"
        drawn.sum().backward()
        assert rate.grad.tolist() == [0.0, 0.0]
        count = lib.tensor([3.0, 10.0], requires_grad=True)
        drawn = lib.binomial(count, lib.tensor([0.3, 0.9], requires_grad=True))
        with pytest.raises(RuntimeError, match="derivative for aten::binomial is not implemented"):
            drawn.sum().backward()


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.poisson(lib.tensor([3, 10])),
        lambda lib: lib.poisson(lib.tensor([-1.0])),
        lambda lib: lib.binomial(lib.tensor([3, 10]), lib.tensor([0.3, 0.9])),
        lambda lib: lib.binomial(lib.tensor([3.0, 10]), lib.tensor([0.3, 0.9], dtype=lib.float64)),
    ],
)
def test_poisson_and_binomial_refusals(call):
    _same_error(call)


# --- gradient ------------------------------------------------------------------------------------
VALUES = RNG.standard_normal((4, 5))
GRADIENTS = {
    "all dims": {},
    "one dim, spacing 2, edge order 2": {"spacing": 2.0, "dim": 1, "edge_order": 2},
    "a spacing per dim": {"spacing": [2.0, 0.5]},
    "dims in given order": {"dim": [1, 0], "spacing": [3, 2], "edge_order": 2},
    "negative dim": {"dim": -1},
    "coordinates": {"spacing": [(0.0, 1.0, 3.0, 3.5), (0.0, 0.5, 1.5, 1.75, 3.0)]},
    "coordinates, edge order 2": {
        "spacing": [(0.0, 1.0, 3.0, 3.5), (0.0, 0.5, 1.5, 1.75, 3.0)],
        "edge_order": 2,
    },
    "integer coordinates on one dim": {"spacing": [(0, 1, 3, 4)], "dim": 0},
    "a 0-d tensor spacing": {"spacing": "tensor 2.5"},
}


def _kwargs(lib, kw):
    kw = dict(kw)
    spacing = kw.get("spacing")
    if spacing == "tensor 2.5":
        kw["spacing"] = lib.tensor(2.5, dtype=lib.float64)
    elif isinstance(spacing, list) and isinstance(spacing[0], tuple):
        kw["spacing"] = [lib.tensor(c) for c in spacing]
    return kw


@pytest.mark.parametrize("name", GRADIENTS)
def test_gradient_matches_torch_with_its_gradient(name):
    torch = pytest.importorskip("torch")
    results = []
    weights = RNG.standard_normal((2, *VALUES.shape))
    for lib in (ad, torch):
        x = lib.tensor(VALUES**3, requires_grad=True)
        parts = lib.gradient(x, **_kwargs(lib, GRADIENTS[name]))
        sum((p * lib.tensor(w)).sum() for p, w in zip(parts, weights)).backward()
        results.append((parts, x.grad))
    (ours, ours_grad), (theirs, theirs_grad) = results
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        _same(a, b, rtol=1e-10)
    np.testing.assert_allclose(ours_grad.detach().numpy(), theirs_grad.detach().numpy(), atol=1e-9)


def test_gradient_of_integers_and_floats_matches_torch():
    torch = pytest.importorskip("torch")
    ints = [[1, 2, 4, 8], [10, 20, 40, 80], [1, 1, 1, 1]]
    for kw in ({}, {"edge_order": 2, "spacing": 3}):
        for a, b in zip(
            ad.gradient(ad.tensor(ints), **kw), torch.gradient(torch.tensor(ints), **kw)
        ):
            _same(a, b, rtol=1e-6)
        x32 = np.float32(VALUES)
        for a, b in zip(ad.gradient(ad.tensor(x32), **kw), torch.gradient(torch.tensor(x32), **kw)):
            _same(a, b, rtol=1e-6)


def test_gradient_through_coordinates_is_checked():
    f = ad.tensor(VALUES[0] ** 2, requires_grad=True)
    x = ad.tensor([0.0, 0.7, 1.5, 1.9, 3.0], dtype=ad.float64, requires_grad=True)
    for order in (1, 2):
        partial = lambda f, x, order=order: ad.gradient(f, spacing=(x,), edge_order=order)[0]  # noqa: E731
        assert ad.gradcheck(partial, (f, x))


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.gradient(lib.ones(3, 4), edge_order=3),
        lambda lib: lib.gradient(lib.ones(3, 4), spacing=[1.0, 2.0, 3.0]),
        lambda lib: lib.gradient(lib.ones(3, 4), dim=(0, 0)),
        lambda lib: lib.gradient(lib.ones(3, 4), dim=2),
        lambda lib: lib.gradient(lib.ones(1, 4)),
        lambda lib: lib.gradient(lib.ones(2, 4), edge_order=2),
        lambda lib: lib.gradient(lib.ones(3, 4), spacing=lib.tensor([0.0, 1, 3])),
    ],
)
def test_gradient_refusals(call):
    _same_error(call)


def test_gradient_checks_only_the_dims_asked_for():
    torch = pytest.importorskip("torch")
    (ours,), (theirs,) = ad.gradient(ad.ones(1, 4), dim=1), torch.gradient(torch.ones(1, 4), dim=1)
    _same(ours, theirs)


# --- frombuffer ----------------------------------------------------------------------------------
def test_frombuffer_shares_memory_as_torch():
    torch = pytest.importorskip("torch")
    data = array.array("i", [1, 2, 3, 4])
    ours = ad.frombuffer(data, dtype=ad.int32)
    theirs = torch.frombuffer(array.array("i", [1, 2, 3, 4]), dtype=torch.int32)
    _same(ours, theirs)
    data[0] = 9
    assert ours[0].item() == 9
    ours[1] = 7
    assert data[1] == 7
    raw = bytearray(b"\x01\x02\x03\x04\x05\x06\x07\x08\x09")
    for kw in ({"dtype": "uint8", "count": 2, "offset": 1}, {"dtype": "int16", "offset": 1},
               {"dtype": "float32", "count": 2}, {"dtype": "float32", "requires_grad": True}):  # fmt: skip
        kw_ours = {**kw, "dtype": getattr(ad, kw["dtype"])}
        kw_theirs = {**kw, "dtype": getattr(torch, kw["dtype"])}
        a, b = ad.frombuffer(raw[:8] if kw["dtype"] == "float32" else raw, **kw_ours), None
        b = torch.frombuffer(raw[:8] if kw["dtype"] == "float32" else raw, **kw_theirs)
        assert a.requires_grad == b.requires_grad
        _same(a, b)


def test_frombuffer_of_read_only_memory_warns_as_torch_and_refuses_writes():
    with pytest.warns(UserWarning, match="The given buffer is not writable"):
        t = ad.frombuffer(b"abcd", dtype=ad.uint8)
    assert t.tolist() == [97, 98, 99, 100]
    with pytest.raises(RuntimeError, match="read-only"):
        t.add_(1)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.frombuffer(bytearray(16), dtype=lib.int32, count=0),
        lambda lib: lib.frombuffer(bytearray(16), dtype=lib.int32, offset=20),
        lambda lib: lib.frombuffer(bytearray(16), dtype=lib.int32, count=5),
        lambda lib: lib.frombuffer(bytearray(16), dtype=lib.int64, offset=2),
        lambda lib: lib.frombuffer(bytearray(6), dtype=lib.int32),
        lambda lib: lib.frombuffer(bytearray(0), dtype=lib.int32),
        lambda lib: lib.frombuffer(bytearray(8)),
    ],
)
def test_frombuffer_refusals(call):
    _same_error(call)


# --- set_default_tensor_type ---------------------------------------------------------------------
def test_set_default_tensor_type_warns_and_sets_the_dtype_as_torch():
    torch = pytest.importorskip("torch")
    try:
        for lib in (ad, torch):
            for t, dtype in ((lib.DoubleTensor, "float64"), ("torch.FloatTensor", "float32"),
                             ("torch.DoubleTensor", "float64")):  # fmt: skip
                if lib is ad:  # torch warns once a process
                    with pytest.warns(UserWarning, match="set_default_tensor_type.* deprecated"):
                        lib.set_default_tensor_type(t)
                else:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        lib.set_default_tensor_type(t)
                assert str(lib.get_default_dtype()) == f"torch.{dtype}"
                assert str(lib.tensor([1.5]).dtype) == f"torch.{dtype}"
    finally:
        ad.set_default_dtype(ad.float32)
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.set_default_tensor_type(lib.LongTensor),
        lambda lib: lib.set_default_tensor_type("torch.IntTensor"),
        lambda lib: lib.set_default_tensor_type(lib.float64),
        lambda lib: lib.set_default_tensor_type("foo"),
    ],
)
def test_set_default_tensor_type_refusals(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_error(call)
    assert ad.get_default_dtype() == ad.float32


# --- is_* / resolve_* ----------------------------------------------------------------------------
def test_is_and_resolve_functions_of_a_real_tensor_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (ad, torch):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        assert lib.is_conj(x) is False and lib.is_neg(x) is False
        assert lib.is_inference(x) is False
        assert lib.resolve_conj(x) is x and lib.resolve_neg(x) is x


# --- nuclear_norm, frobenius_norm, matrix_rank -----------------------------------------------------
NORMS = [
    lambda lib, x: lib.nuclear_norm(x[0]),
    lambda lib, x: lib.nuclear_norm(x[0], True),
    lambda lib, x: lib.nuclear_norm(x),
    lambda lib, x: lib.nuclear_norm(x, (1, 2)),
    lambda lib, x: lib.nuclear_norm(x, (0, 2), keepdim=True),
    lambda lib, x: lib.frobenius_norm(x, (0, 1)),
    lambda lib, x: lib.frobenius_norm(x, (2,), True),
    lambda lib, x: lib.frobenius_norm(x, 1),
    lambda lib, x: lib.frobenius_norm(x, (-1, 0)),
]


@pytest.mark.parametrize("norm", NORMS)
def test_nuclear_and_frobenius_norms_match_torch(norm):
    torch = pytest.importorskip("torch")
    values = RNG.standard_normal((3, 4, 5))
    results = []
    for lib in (ad, torch):
        x = lib.tensor(values, requires_grad=True)
        with warnings.catch_warnings():  # deprecated: torch warns once a process
            warnings.simplefilter("ignore")
            out = norm(lib, x)
        (
            out * lib.arange(1.0, out.numel() + 1, dtype=lib.float64).reshape(out.shape)
        ).sum().backward()
        results.append((out, x.grad))
    _same(results[0][0], results[1][0])
    np.testing.assert_allclose(
        results[0][1].detach().numpy(), results[1][1].detach().numpy(), rtol=1e-9
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.frobenius_norm(lib.ones(2, 2)),
        lambda lib: lib.frobenius_norm(lib.ones(2, 2, 2), (0, 1, 2)),
        lambda lib: lib.nuclear_norm(lib.ones(2, 2, 2), (1,)),
        lambda lib: lib.nuclear_norm(lib.ones(2, 2, dtype=lib.int32)),
        lambda lib: lib.frobenius_norm(lib.ones(2, 2, dtype=lib.int32), (0,)),
        lambda lib: lib.matrix_rank(lib.eye(2)),
    ],
)
def test_norm_refusals(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_error(call)


def test_the_deprecated_norms_warn_as_torch():
    with pytest.warns(UserWarning, match="at::nuclear_norm is deprecated"):
        ad.nuclear_norm(ad.eye(2))
    with pytest.warns(UserWarning, match="at::frobenius_norm is deprecated"):
        ad.frobenius_norm(ad.eye(2), (0, 1))


def test_matrix_rank_says_what_torch_says():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as theirs:
        torch.matrix_rank(torch.eye(2))
    with pytest.raises(RuntimeError) as ours:
        ad.matrix_rank(ad.eye(2))
    assert str(ours.value) == str(theirs.value)


# --- index_reduce --------------------------------------------------------------------------------
def _index_reduce_inputs():
    x = RNG.standard_normal((4, 3))
    x[1, 2] = 0.0
    s = RNG.standard_normal((5, 3))
    s[0, 0] = s[3, 1] = s[2, 1] = 0.0
    s[4, 2] = x[3, 2]  # a tie between input and source
    s[1, 0] = s[3, 0]  # a tie between two sources
    return x, s


X, S = _index_reduce_inputs()


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce_matches_torch_with_gradients(reduce, include_self):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ad, torch):
        x, s = lib.tensor(X, requires_grad=True), lib.tensor(S, requires_grad=True)
        with warnings.catch_warnings():  # torch warns once a process
            warnings.simplefilter("ignore")
            out = x.index_reduce(0, lib.tensor([0, 2, 0, 2, 3]), s, reduce,
                                 include_self=include_self)  # fmt: skip
        (out * lib.tensor(np.arange(12.0).reshape(4, 3) + 1)).sum().backward()
        results.append((out, x.grad, s.grad, out.grad_fn.name()))
    ours, theirs = results
    assert ours[3] == theirs[3] == "IndexReduceBackward0"
    for a, b in zip(ours[:3], theirs[:3]):
        _same(a, b, rtol=1e-10)


@pytest.mark.parametrize("reduce", ["mean", "amax"])
def test_index_reduce_along_a_later_dim_and_in_place_match_torch(reduce):
    torch = pytest.importorskip("torch")
    values, source = RNG.standard_normal((2, 4, 3)), RNG.standard_normal((2, 2, 3))
    ints = (np.arange(24).reshape(2, 4, 3) - 5, np.arange(12).reshape(2, 2, 3) * 3)
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib in (ad, torch):
            x = lib.tensor(values, requires_grad=True)
            y = x * 1
            same = y.index_reduce_(1, lib.tensor([3, 3]), lib.tensor(source), reduce)
            y.sum().backward()
            whole = lib.index_reduce(lib.tensor(ints[0]), 1, lib.tensor([1, 0]),
                                     lib.tensor(ints[1]), reduce, include_self=False)  # fmt: skip
            results.append((same is y, y, x.grad, whole))
    ours, theirs = results
    assert ours[0] and theirs[0]
    for a, b in zip(ours[1:], theirs[1:]):
        _same(a, b)


def test_index_reduce_warns_that_it_is_beta_as_torch():
    with pytest.warns(UserWarning, match="index_reduce\\(\\) is in beta"):
        ad.ones(2).index_reduce(0, ad.tensor([1]), ad.ones(1), "amax")


def test_index_reduce_gradcheck():
    x = ad.tensor(X, requires_grad=True)
    s = ad.tensor(S + 0.5, requires_grad=True)  # away from ties and zeros
    index = ad.tensor([0, 2, 0, 2, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for reduce in ("prod", "mean"):
            for include_self in (True, False):
                assert ad.gradcheck(
                    lambda x, s, r=reduce, i=include_self: ad.index_reduce(
                        x, 0, index, s, r, include_self=i
                    ),
                    (x, s),
                )


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.ones(3, 2).index_reduce(0, lib.tensor([0, 0, 2]), lib.ones(3, 2), "sum"),
        lambda lib: lib.ones(3, 2).index_reduce(0, lib.tensor([0, 0]), lib.ones(3, 2), "prod"),
        lambda lib: lib.ones(3, 2).index_reduce(0, lib.tensor([0, 0, 3]), lib.ones(3, 2), "prod"),
        lambda lib: lib.ones(3, 2).index_reduce(0, lib.tensor([0, 0, -1]), lib.ones(3, 2), "amin"),
        lambda lib: lib.ones(3, 2).index_reduce(0, lib.tensor([0.0, 0, 1]), lib.ones(3, 2), "prod"),
        lambda lib: lib.ones(3, 2).index_reduce(2, lib.tensor([0, 0, 1]), lib.ones(3, 2), "prod"),
        lambda lib: lib.ones(3, 2).index_reduce(
            0, lib.tensor([0, 0, 1]), lib.ones(3, 2, dtype=lib.float64), "prod"
        ),
        lambda lib: lib.ones(3, 2).index_reduce(0, lib.tensor([[0, 0, 1]]), lib.ones(3, 2), "mean"),
    ],
)
def test_index_reduce_refusals(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_error(call)


# --- nonzero_static, empty_permuted ----------------------------------------------------------------
def test_nonzero_static_matches_torch():
    torch = pytest.importorskip("torch")
    values = [[0.0, 1.5, 0.0], [2.0, 0.0, 3.0]]
    for lib_call in (
        lambda lib: lib.nonzero_static(lib.tensor(values), size=5),
        lambda lib: lib.nonzero_static(lib.tensor(values), size=2, fill_value=7),
        lambda lib: lib.nonzero_static(lib.tensor(values), size=0),
        lambda lib: lib.nonzero_static(lib.tensor(3.0), size=2),
        lambda lib: lib.nonzero_static(lib.tensor([True, False, True]), size=3, fill_value=0),
    ):
        ours, theirs = lib_call(ad), lib_call(torch)
        _same(ours, theirs)
    _same_error(lambda lib: lib.nonzero_static(lib.ones(2), size=-1))


def test_empty_permuted_lays_memory_out_as_torch():
    torch = pytest.importorskip("torch")
    for size, layout, kw in (((2, 3, 4), (0, 2, 1), {}), ((2, 3, 4), (2, 0, 1), {"dtype": "int64"}),
                             ((2, 3), (1, 0), {"requires_grad": True})):  # fmt: skip
        kw_of = {lib: {**kw, **({"dtype": getattr(lib, kw["dtype"])} if "dtype" in kw else {})}
                 for lib in (ad, torch)}  # fmt: skip
        ours = ad.empty_permuted(size, layout, **kw_of[ad])
        theirs = torch.empty_permuted(size, layout, **kw_of[torch])
        assert ours.shape == theirs.shape and ours.stride() == theirs.stride()
        assert ours.dtype == getattr(ad, str(theirs.dtype).removeprefix("torch."))
        assert ours.requires_grad == theirs.requires_grad
    for bad in ((0, 1), (0, 1, 1), (0, 1, 3)):
        _same_error(lambda lib, bad=bad: lib.empty_permuted((2, 3, 4), bad))


# --- histogramdd ---------------------------------------------------------------------------------
POINTS = np.round(RNG.uniform(-2, 2, (40, 3)), 1)  # values on bin edges too
HISTOGRAMS = [
    lambda lib, x: lib.histogramdd(x, bins=4),
    lambda lib, x: lib.histogramdd(x, bins=[2, 3, 5], range=[-1.0, 1, -2, 0, 0, 2]),
    lambda lib, x: lib.histogramdd(x, bins=3, weight=x[:, 0] * 2, density=True),
    lambda lib, x: lib.histogramdd(x, bins=[2, 3, 4], range=[-2.0, 2, -1, 1, 0, 2], density=True),
    lambda lib, x: lib.histogramdd(
        x[:, :2], bins=[x.new_tensor([-2.0, 0, 0.5, 2]), x.new_tensor([-1.0, 1.0])]
    ),  # fmt: skip
    lambda lib, x: lib.histogramdd(x.reshape(2, 20, 3)[:, :, 1:], bins=2, density=True),
    lambda lib, x: lib.histogramdd(x[:1].expand(3, 3), bins=2),  # one point: ranges widened
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", HISTOGRAMS)
def test_histogramdd_matches_torch(case, dtype):
    torch = pytest.importorskip("torch")
    ours = case(ad, ad.tensor(POINTS, dtype=getattr(ad, dtype)))
    theirs = case(torch, torch.tensor(POINTS, dtype=getattr(torch, dtype)))
    _same(ours.hist, theirs.hist, rtol=1e-6)
    assert isinstance(ours.bin_edges, tuple) and len(ours.bin_edges) == len(theirs.bin_edges)
    for a, b in zip(ours.bin_edges, theirs.bin_edges):
        _same(a, b, rtol=1e-6)
    hist, edges = ours
    assert hist is ours.hist and edges is ours.bin_edges
    assert repr(ours).startswith("torch.return_types.histogramdd(\nhist=tensor(")


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.histogramdd(lib.ones(4, 2), bins=[2, 2, 2]),
        lambda lib: lib.histogramdd(lib.ones(4, 2), bins=2, range=[0.0, 1]),
        lambda lib: lib.histogramdd(lib.ones(4, 2, dtype=lib.int64), bins=2),
        lambda lib: lib.histogramdd(lib.ones(4, 2), bins=0),
        lambda lib: lib.histogramdd(lib.ones(2), bins=2),
        lambda lib: lib.histogramdd(lib.ones(4, 2), bins=2, weight=lib.ones(3)),
    ],
)
def test_histogramdd_refusals(call):
    _same_error(call)
