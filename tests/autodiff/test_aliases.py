"""torch's other names for our ops, a tensor's facts, in-place changes of shape, logic and bits,
and the special values of the new math ops: each compared with torch (names4's group)."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

X = np.array([[0.5, -0.25, 0.75], [-0.6, 0.3, 0.1]])
Y = np.array([[1.5, 0.5, -2.0], [0.25, -1.0, 3.0]])

# (name, call): the same call on either library; gradients, values and nodes must match torch's
ALIASES = [
    ("Tensor.divide", lambda lib, x, y: x.divide(y)),
    ("divide", lambda lib, x, y: lib.divide(x, y)),
    ("Tensor.multiply", lambda lib, x, y: x.multiply(y)),
    ("multiply", lambda lib, x, y: lib.multiply(x, y)),
    ("Tensor.subtract", lambda lib, x, y: x.subtract(y, alpha=2)),
    ("subtract", lambda lib, x, y: lib.subtract(x, y)),
    ("Tensor.negative", lambda lib, x, y: x.negative()),
    ("negative", lambda lib, x, y: lib.negative(x)),
    ("Tensor.absolute", lambda lib, x, y: x.absolute()),
    ("absolute", lambda lib, x, y: lib.absolute(x)),
    ("Tensor.arccos", lambda lib, x, y: x.arccos()),
    ("arccos", lambda lib, x, y: lib.arccos(x)),
    ("Tensor.arcsin", lambda lib, x, y: x.arcsin()),
    ("arcsin", lambda lib, x, y: lib.arcsin(x)),
    ("Tensor.arctan", lambda lib, x, y: x.arctan()),
    ("arctan", lambda lib, x, y: lib.arctan(x)),
    ("Tensor.arctan2", lambda lib, x, y: x.arctan2(y)),
    ("arctan2", lambda lib, x, y: lib.arctan2(y, x)),
    ("Tensor.arccosh", lambda lib, x, y: (y * y + 1).arccosh()),
    ("arccosh", lambda lib, x, y: lib.arccosh(y * y + 1)),
    ("Tensor.arcsinh", lambda lib, x, y: x.arcsinh()),
    ("arcsinh", lambda lib, x, y: lib.arcsinh(x)),
    ("Tensor.arctanh", lambda lib, x, y: x.arctanh()),
    ("arctanh", lambda lib, x, y: lib.arctanh(x)),
    ("Tensor.ravel", lambda lib, x, y: x.t().ravel()),
    ("ravel", lambda lib, x, y: lib.ravel(x)),
    ("Tensor.where", lambda lib, x, y: x.where(y > 0, y)),
    ("Tensor.greater_", lambda lib, x, y: (x * 1).greater_(y)),
    ("Tensor.less_equal_", lambda lib, x, y: (x * 1).less_equal_(0.1)),
    ("Tensor.eq_", lambda lib, x, y: (x * 1).eq_(0.5)),
    ("Tensor.ne_", lambda lib, x, y: (x * 1).ne_(y)),
    ("Tensor.acosh", lambda lib, x, y: (y * y + 1).acosh()),
    ("Tensor.atanh", lambda lib, x, y: x.atanh()),
    ("Tensor.sgn", lambda lib, x, y: x.sgn()),
    ("Tensor.lgamma", lambda lib, x, y: y.lgamma()),
    ("Tensor.digamma", lambda lib, x, y: (y + 0.25).digamma()),
    ("Tensor.erfc", lambda lib, x, y: y.erfc()),
    ("Tensor.exp2", lambda lib, x, y: y.exp2()),
    ("Tensor.logaddexp2", lambda lib, x, y: x.logaddexp2(y)),
    ("Tensor.fmax", lambda lib, x, y: x.fmax(y)),
    ("Tensor.fmin", lambda lib, x, y: x.fmin(y)),
    ("hardshrink", lambda lib, x, y: lib.hardshrink(y, 0.6)),
    ("Tensor.cumsum_", lambda lib, x, y: (x * 1).cumsum_(1)),
    ("Tensor.cumprod_", lambda lib, x, y: (x * 1).cumprod_(-1)),
    ("Tensor.divide_", lambda lib, x, y: (x * 1).divide_(y)),
    ("Tensor.multiply_", lambda lib, x, y: (x * 1).multiply_(y)),
    ("Tensor.subtract_", lambda lib, x, y: (x * 1).subtract_(y, alpha=0.5)),
    ("Tensor.arctan2_", lambda lib, x, y: (x * 1).arctan2_(y)),
]


# torch records another node for these, and their op-table rows say so (torch_named)
NODE_DIFFERS = {"Tensor.cumprod_": "cumprod is a chain of products here (CatBackward0)"}


def _grad(t):
    """t.grad as an array (zeros for None and torch's ZeroTensor)."""
    g = t.grad
    if g is None or getattr(g, "_is_zerotensor", lambda: False)():
        return np.zeros(tuple(t.shape))
    return g.detach().numpy()


def _names(node):
    names = [None if n is None else n.name() for n, _ in node.next_functions]
    return [n and n.removeprefix("torch::autograd::") for n in names]


@pytest.mark.parametrize("name, call", ALIASES, ids=[a[0] for a in ALIASES])
def test_alias_matches_torch_in_values_gradients_and_nodes(name, call):
    ours = [ad.tensor(a, requires_grad=True) for a in (X, Y)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (X, Y)]
    out, expected = call(ad, *ours), call(torch, *theirs)
    np.testing.assert_allclose(
        out.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-15
    )
    assert out.dtype == ad.float64
    if name not in NODE_DIFFERS:
        assert out.grad_fn.name() == expected.grad_fn.name()
        assert _names(out.grad_fn) == _names(expected.grad_fn)
    weights = np.linspace(-1.0, 2.0, out.numel()).reshape(out.shape)
    (out * ad.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(_grad(a), _grad(b), rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(
    "name", ["greater", "greater_equal", "less", "less_equal", "not_equal", "isposinf"]
)
def test_comparison_aliases_match_torch_as_functions_and_methods(name):
    values = np.array([[0.5, -1.0, np.inf], [0.5, 2.0, -np.inf]])
    ours, theirs = ad.tensor(values), torch.tensor(values)
    args = () if name == "isposinf" else (ours.flip(0),)
    t_args = () if name == "isposinf" else (theirs.flip(0),)
    expected = getattr(torch, name)(theirs, *t_args).tolist()
    assert getattr(ad, name)(ours, *args).tolist() == expected
    assert getattr(ours, name)(*args).tolist() == expected


def test_aliases_refuse_what_torch_refuses():
    with pytest.raises(TypeError, match="positive: the `\\+` operator, on a bool tensor"):
        ad.positive(ad.tensor([True]))
    with pytest.raises(RuntimeError, match="alpha must not be a floating point"):
        ad.tensor([5, -5]).subtract(ad.tensor([1, 2]), alpha=1.5)
    with pytest.raises(ValueError, match="rounding_mode to be one of None, 'trunc', or 'floor'"):
        ad.divide(ad.tensor([5.0]), 2, rounding_mode="half")
    with pytest.raises(RuntimeError, match="hardshrink: lambda must be greater or equal to 0"):
        ad.tensor([1.0]).hardshrink(-0.5)


def test_positive_is_the_input_itself_as_torch():
    x = ad.tensor([1.0, -2.0], requires_grad=True)
    assert ad.positive(x) is x and x.positive() is x
    assert torch.positive(torch.ones(2)).grad_fn is None  # torch: no node either


def test_integer_subtract_with_alpha_stays_integer():
    ours = ad.subtract(ad.tensor([5, -5]), ad.tensor([2, 1]), alpha=3)
    theirs = torch.subtract(torch.tensor([5, -5]), torch.tensor([2, 1]), alpha=3)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == str(theirs.dtype)


# --- a tensor's facts ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "uint8", "bool"])
def test_facts_match_torch(dtype):
    ours, theirs = (
        ad.zeros(2, 3, dtype=getattr(ad, dtype)),
        torch.zeros(2, 3, dtype=getattr(torch, dtype)),
    )
    for fact in ("ndimension", "is_complex", "is_signed", "get_device"):
        assert getattr(ours, fact)() == getattr(theirs, fact)(), fact
    for fact in ("nbytes", "itemsize", "is_cpu"):
        assert getattr(ours, fact) == getattr(theirs, fact), fact
    assert ad.is_signed(ours) == torch.is_signed(theirs)
    assert ad.is_complex(ours) is False and ad.get_device(ours) == -1
    assert ad.is_same_size(ours, ad.ones(2, 3)) and not ours.is_same_size(ad.ones(3, 2))
    assert ad.zeros(0).nbytes == 0 and ad.tensor(1.0).ndimension() == 0


def test_a_real_tensor_is_its_own_conjugate_as_torch():
    ours = ad.tensor([1.0, -2.0], requires_grad=True) * 1
    theirs = torch.tensor([1.0, -2.0], requires_grad=True) * 1
    for name in ("conj", "resolve_conj", "resolve_neg"):
        assert getattr(ours, name)() is ours and getattr(theirs, name)() is theirs, name
    for name in ("is_conj", "is_neg", "is_inference", "is_pinned", "is_shared"):
        assert getattr(ours, name)() is False and getattr(theirs, name)() is False, name
    for name in ("is_sparse", "is_quantized", "is_meta", "is_mkldnn", "is_nested"):
        assert getattr(ours, name) is False and getattr(theirs, name) is False, name


def test_addcmul_addcdiv_and_concat_as_functions_match_torch():
    rng = np.random.default_rng(5)
    a, b, c = (rng.standard_normal((2, 3)) for _ in range(3))
    for lib in (ad, torch):
        x, y, z = (lib.tensor(v, requires_grad=True) for v in (a, b, c))
        out = lib.addcmul(x, y, z, value=0.5) + lib.addcdiv(x, y, z.abs() + 1, value=2)
        lib.concatenate([out, lib.concat((x, y), dim=0)], dim=0).sum().backward()
        got = [t.grad.detach().numpy() for t in (x, y, z)]
        if lib is ad:
            ours = got
    for mine, theirs in zip(ours, got):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


VIEWS = [
    lambda t: t,
    lambda t: t.t(),
    lambda t: t[1:],
    lambda t: t[:, 2:],
    lambda t: t[1, 1:],
    lambda t: t.unsqueeze(0).expand(2, 4, 6),
    lambda t: t.unfold(1, 2, 2),
    lambda t: t.reshape(2, 12)[:, ::3],
]


@pytest.mark.parametrize("view", VIEWS)
def test_stride_and_storage_offset_match_torch(view):
    ours = view(ad.tensor(np.arange(24.0).reshape(4, 6)))
    theirs = view(torch.arange(24.0, dtype=torch.float64).reshape(4, 6))
    assert ours.stride() == theirs.stride()
    assert ours.stride(-1) == theirs.stride(-1)
    assert ours.storage_offset() == theirs.storage_offset()


@pytest.mark.parametrize("values", [[1.0], 0.0, [[0]], [float("nan")], [[-2]]])
def test_is_nonzero_matches_torch(values):
    assert ad.is_nonzero(ad.tensor(values)) == torch.tensor(values).is_nonzero()
    assert ad.tensor(values).is_nonzero() == torch.is_nonzero(torch.tensor(values))


@pytest.mark.parametrize("values, what", [([1, 2], "more than one value"), ([], "no values")])
def test_is_nonzero_refuses_other_sizes_as_torch(values, what):
    with pytest.raises(RuntimeError, match=f"is_nonzero: Boolean value of Tensor with {what}"):
        ad.tensor(values).is_nonzero()
    with pytest.raises(RuntimeError, match=what):
        torch.tensor(values).is_nonzero()


# --- in-place changes of shape --------------------------------------------------------------
SHAPE_CHANGES = [
    ("squeeze_", lambda t: t.view(1, 2, 3).squeeze_()),
    ("squeeze_dim", lambda t: t.view(2, 1, 3).squeeze_(-2)),
    ("unsqueeze_", lambda t: t.unsqueeze_(1)),
    ("t_", lambda t: t.t_()),
    ("transpose_", lambda t: t.transpose_(0, 1)),
    ("swapaxes_", lambda t: t.unsqueeze(0).swapaxes_(0, 2)),
    ("swapdims_", lambda t: t.swapdims_(1, 0)),
    ("on_a_view", lambda t: t[0].unsqueeze_(0)),
]


@pytest.mark.parametrize("name, change", SHAPE_CHANGES, ids=[c[0] for c in SHAPE_CHANGES])
def test_inplace_shape_change_matches_torch(name, change):
    x, tx = ad.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    h, th = x * 2, tx * 2
    out, expected = change(h), change(th)
    assert tuple(out.shape) == tuple(expected.shape)
    assert out.grad_fn.name() == expected.grad_fn.name()
    if name not in ("squeeze_", "squeeze_dim", "swapaxes_", "on_a_view"):
        assert out is h and tuple(h.shape) == tuple(th.shape)  # the same tensor, reshaped
    weights = np.arange(out.numel(), dtype=np.float64).reshape(out.shape)
    (out * ad.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), tx.grad.detach().numpy(), rtol=1e-12)


def test_inplace_shape_change_bumps_the_version_and_refuses_a_leaf_that_requires_grad():
    t = ad.zeros(1, 3)
    before = t._counter()[0]
    assert t.squeeze_() is t and t.shape == (3,) and t._version[0] == before + 1
    w = ad.zeros(1, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="unsqueeze_: a leaf Variable that requires grad"):
        w.unsqueeze_(0)
    with ad.no_grad():
        w.squeeze_(0)
    assert w.shape == (3,) and w.is_leaf and w.requires_grad


def test_inplace_shape_change_of_a_view_keeps_sharing_storage():
    base = ad.zeros(2, 3)
    view = base[1]
    view.unsqueeze_(0)
    view.add_(1.0)
    assert view.shape == (1, 3) and base.detach().numpy().tolist() == [[0, 0, 0], [1, 1, 1]]
    with pytest.raises(IndexError, match="unsqueeze: dim 3 is out of range"):
        base.unsqueeze_(3)


def test_t_of_a_vector_in_place_keeps_its_node():
    # our t() of a vector is the vector itself (torch records TBackward1 on a view of it)
    h = ad.tensor([1.0, 2.0], requires_grad=True) * 2
    assert h.t_() is h and h.grad_fn.name() == "MulBackward0"


def test_t_on_a_three_dim_tensor_is_refused():
    with pytest.raises(ValueError, match="t: expects a tensor with <= 2 dims"):
        ad.zeros(1, 2, 3).t_()


def test_detach_in_place_as_torch():
    x = ad.tensor(X, requires_grad=True)
    h = x * 2
    assert h.detach_() is h and h.grad_fn is None and not h.requires_grad
    assert x.detach_() is x and not x.requires_grad  # a leaf may: torch allows it
    with pytest.raises(RuntimeError, match="can't detach views in-place"):
        (ad.tensor(X, requires_grad=True) * 1)[0].detach_()


# --- logic and bits --------------------------------------------------------------------------
A = np.array([5, -3, 0, 1, 127])
B = np.array([3, 1, 2, 0, 1])
BITS = [
    ("and", lambda x, y: x & y),
    ("rand", lambda x, y: 6 & x),
    ("or", lambda x, y: x | y),
    ("ror", lambda x, y: 6 | x),
    ("xor", lambda x, y: x ^ y),
    ("rxor", lambda x, y: 6 ^ x),
    ("invert", lambda x, y: ~x),
    ("invert_bool", lambda x, y: ~(x > 0)),
    ("bool_and", lambda x, y: (x > 0) & (y > 0)),
    ("bool_int", lambda x, y: (x > 0) | y),
    ("lshift", lambda x, y: x << y),
    ("rlshift", lambda x, y: 2 << y),
    ("rshift", lambda x, y: x >> y),
    ("rrshift", lambda x, y: 64 >> y),
    ("lshift_out_of_range", lambda x, y: x << (y * 40 - 1)),
    ("rshift_out_of_range", lambda x, y: x >> (y * 40 - 1)),
    ("uint8_wraps", lambda x, y: x.to(x.new_zeros(1, dtype=_uint8(x)).dtype) & 300),
    ("int8_shift", lambda x, y: (x.char() << 7) >> 2),
    ("broadcast", lambda x, y: x.reshape(5, 1) ^ y),
    ("bitwise_left_shift", lambda x, y: x.bitwise_left_shift(3)),
    ("iand", lambda x, y: _chain(x.clone(), "__iand__", y)),
    ("ior", lambda x, y: _chain(x.clone(), "__ior__", y)),
    ("ixor", lambda x, y: _chain(x.clone(), "__ixor__", y)),
    ("ilshift", lambda x, y: _chain(x.clone(), "__ilshift__", y)),
    ("irshift", lambda x, y: _chain(x.clone(), "__irshift__", y)),
    ("bitwise_and_", lambda x, y: x.clone().bitwise_and_(y)),
    ("bitwise_or_", lambda x, y: x.clone().bitwise_or_(y)),
    ("bitwise_xor_", lambda x, y: x.clone().bitwise_xor_(y)),
    ("bitwise_not_", lambda x, y: x.clone().bitwise_not_()),
    ("bitwise_left_shift_", lambda x, y: x.clone().bitwise_left_shift_(y)),
    ("bitwise_right_shift_", lambda x, y: x.clone().bitwise_right_shift_(y)),
    ("logical_and_", lambda x, y: x.float().logical_and_(y)),
    ("logical_or_", lambda x, y: x.clone().logical_or_(y * 0)),
    ("logical_xor_", lambda x, y: (x > 0).logical_xor_(y)),
    ("logical_not_", lambda x, y: x.double().logical_not_()),
    ("empty", lambda x, y: x[:0] & y[:0]),
    ("zero_dim", lambda x, y: x[0] << y[0]),
]


def _uint8(x):
    return ad.uint8 if isinstance(x, ad.Tensor) else torch.uint8


def _chain(x, method, y):
    out = getattr(x, method)(y)
    assert out is x  # in place: the same tensor
    return out


@pytest.mark.parametrize("name, call", BITS, ids=[b[0] for b in BITS])
def test_bits_and_logic_match_torch(name, call):
    ours = call(ad.tensor(A), ad.tensor(B))
    theirs = call(torch.tensor(A), torch.tensor(B))
    assert str(ours.dtype) == str(theirs.dtype) and not ours.requires_grad
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy(), err_msg=name)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.tensor([1.5]) & lib.tensor([1]),
        lambda lib: lib.bitwise_and(lib.tensor([1]), 1.5),
        lambda lib: ~lib.tensor([1.5]),
        lambda lib: lib.tensor([1.5]) << 1,
        lambda lib: lib.bitwise_right_shift(lib.tensor([2]), lib.tensor([1.0])),
    ],
)
def test_bits_of_floats_are_refused_as_torch(call):
    with pytest.raises((NotImplementedError, TypeError)):
        call(torch)
    with pytest.raises(TypeError, match="only integer and bool tensors have bits"):
        call(ad)


def test_bits_refuse_shapes_that_do_not_broadcast_and_a_float_result_in_place():
    with pytest.raises(ValueError, match="bitwise_and: shapes"):
        ad.tensor([1, 2]) & ad.tensor([1, 2, 3])
    with pytest.raises(ValueError, match="in place"):
        ad.tensor([1, 2]).bitwise_or_(ad.tensor([[1], [2]]))
    with pytest.raises(TypeError, match="can't be cast"):
        ad.tensor([1, 2]).logical_and_(ad.tensor([1.0, 0.0])).add_(0.5)


def test_isposinf_and_isneginf_as_torch():
    values = [1.0, float("inf"), -float("inf"), float("nan"), 0.0]
    for fn in ("isposinf", "isneginf"):
        ours = getattr(ad, fn)(ad.tensor(values))
        assert ours.tolist() == getattr(torch, fn)(torch.tensor(values)).tolist()
        assert getattr(ad.tensor([1, 2]), fn)().tolist() == [False, False]
    with pytest.raises(TypeError, match="isposinf: does not support complex"):
        ad.isposinf(ad.tensor(np.array([1 + 1j])))


# --- the special values of the new math ops --------------------------------------------------
SPECIAL = [-5.5, -2.0, -1.0, -0.5, 0.0, 1e-8, 0.1, 0.5, 1.0, 2.5, 9.9, 10.0, 50.0, 1e6]


@pytest.mark.parametrize("fn", ["lgamma", "digamma", "erfc", "exp2", "sgn", "acosh", "atanh"])
def test_special_values_match_torch(fn):
    for dtype in ("float64", "float32"):
        ours = getattr(ad, fn)(ad.tensor(SPECIAL, dtype=getattr(ad, dtype)))
        theirs = getattr(torch, fn)(torch.tensor(SPECIAL, dtype=getattr(torch, dtype)))
        assert str(ours.dtype) == str(theirs.dtype)
        rtol = 1e-13 if dtype == "float64" else 1e-5  # torch's float32 kernels: ~2e-6
        np.testing.assert_allclose(
            ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, err_msg=fn
        )


@pytest.mark.parametrize("fn", ["lgamma", "digamma", "erfc", "exp2"])
def test_integer_inputs_give_the_default_float_as_torch(fn):
    ours, theirs = (
        getattr(ad, fn)(ad.tensor([1, 2, 3])),
        getattr(torch, fn)(torch.tensor([1, 2, 3])),
    )
    assert str(ours.dtype) == str(theirs.dtype) == "torch.float32"
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)


def test_digamma_gradient_near_the_poles_matches_torch():
    values = [-2.5, -0.9, 0.05, 0.3, 7.0, 12.0]
    x, tx = (
        ad.tensor(values, dtype=ad.float64, requires_grad=True),
        torch.tensor(values, dtype=torch.float64, requires_grad=True),
    )
    x.digamma().sum().backward()
    tx.digamma().sum().backward()
    # torch's polygamma(1, x) is good to ~1e-10; ours to 1e-15 (checked against mpmath)
    np.testing.assert_allclose(x.grad.detach().numpy(), tx.grad.detach().numpy(), rtol=1e-9)


def test_digamma_third_derivative_is_polygamma_2_as_torch():
    x = ad.tensor([1.5, -0.5], dtype=ad.float64, requires_grad=True)
    tx = torch.tensor([1.5, -0.5], dtype=torch.float64, requires_grad=True)
    (g,), (tg,) = ad.grad(x.digamma().sum(), x, create_graph=True), torch.autograd.grad(
        tx.digamma().sum(), tx, create_graph=True)  # fmt: skip
    g.sum().backward()
    tg.sum().backward()
    assert g.grad_fn.name() == type(tg.grad_fn).__name__
    np.testing.assert_allclose(x.grad.detach().numpy(), tx.grad.detach().numpy(), rtol=1e-9)


def test_fmax_fmin_nan_rules_and_ties_match_torch():
    nan = float("nan")
    a, b = [1.0, nan, 2.0, nan, 3.0], [nan, 3.0, 2.0, nan, -1.0]
    for fn in ("fmax", "fmin"):
        x, y = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
        tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
        out, expected = getattr(ad, fn)(x, y), getattr(torch, fn)(tx, ty)
        np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
        out.backward(ad.ones(5))
        expected.backward(torch.ones(5))
        np.testing.assert_array_equal(
            x.grad.detach().numpy(), tx.grad.detach().numpy()
        )  # ties go to input
        np.testing.assert_array_equal(y.grad.detach().numpy(), ty.grad.detach().numpy())
    assert ad.fmax(ad.tensor([1, 5]), ad.tensor([3, 2])).tolist() == [3, 5]


def test_nn_hardshrink_is_the_engine_op():
    import nn

    x = ad.tensor([-1.0, -0.5, 0.2, 0.5, 0.7], requires_grad=True)
    out = nn.Hardshrink(0.5)(x)
    assert out.grad_fn.name() == "HardshrinkBackward0"
    assert out.tolist() == torch.nn.Hardshrink(0.5)(torch.tensor(x.tolist())).tolist()
