"""torch's %, //, fmod, the nan- and order-statistics reductions and the small math functions,
compared with torch where the op table cannot reach: integer and bool dtypes, ties, NaN and
infinities, empty and 0-d tensors, results without a derivative, and the error messages."""

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

INF, NAN = float("inf"), float("nan")


def _lib(t):
    return torch if isinstance(t, torch.Tensor) else ad


def _same(ours, theirs):
    """Equal values (floats to 2 ulps; NaN where torch has NaN, the sign of zeros), dtype and
    shape."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for field in getattr(ours, "_fields", ()):  # a named result: torch's field names
            _same(getattr(ours, field), getattr(theirs, field))
        for a, b in zip(ours, theirs):
            _same(a, b)
        return
    assert str(ours.dtype) == str(theirs.dtype), (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    mine, yours = ours.detach().numpy(), theirs.detach().numpy()
    if mine.dtype.kind != "f":
        np.testing.assert_array_equal(mine, yours)
        return
    # floats: to the last bit or two (libm's pow and torch's may round apart)
    np.testing.assert_allclose(mine, yours, rtol=2 * np.finfo(mine.dtype).eps, atol=0)
    same_sign = np.isnan(yours) | (np.signbit(mine) == np.signbit(yours))  # -0.0 as torch's
    assert same_sign.all(), (mine, yours)


def _both(fn, *arrays, dtype=None):
    """fn on our tensors and on torch's, made from the same arrays."""
    ours = fn(*(ad.tensor(np.array(a), dtype=dtype) for a in arrays))
    theirs = fn(*(torch.tensor(np.array(a), dtype=_torch_dtype(dtype)) for a in arrays))
    return ours, theirs


def _torch_dtype(dtype):
    return None if dtype is None else getattr(torch, str(dtype).split(".")[-1])


def _raises_like_torch(fn, *arrays, match: str, dtype=None):
    """torch refuses (any exception), and so do we, with our message."""
    with pytest.raises(Exception):  # noqa: B017 - torch's type varies; ours is checked below
        fn(*(torch.tensor(np.array(a), dtype=_torch_dtype(dtype)) for a in arrays))
    with pytest.raises((RuntimeError, ValueError, TypeError, IndexError), match=match):
        fn(*(ad.tensor(np.array(a), dtype=dtype) for a in arrays))


# --- %, //, fmod: values and dtypes ------------------------------------------------------
DIVIDENDS = [5.0, -5.0, 7.5, -7.5, 0.0, -0.0, 3.0, -3.0, INF, NAN, 1e-30]
DIVISORS = [3.0, -3.0, 2.5, -2.5, 0.0, 1.5, -1.5, INF, -INF, 1e30]
MODULO = {
    "remainder": lambda a, b: _lib(a).remainder(a, b),
    "mod": lambda a, b: a % b,
    "rmod": lambda a, b: 7 % b,
    "fmod": lambda a, b: a.fmod(b),
    "floor_divide": lambda a, b: _lib(a).floor_divide(a, b),
    "floordiv": lambda a, b: a // b,
    "rfloordiv": lambda a, b: 7.5 // b,
    "true_divide": lambda a, b: _lib(a).true_divide(a, b),
    "mod_number": lambda a, b: a % -2.5,
    "floordiv_number": lambda a, b: a // 2,
    "fmod_number": lambda a, b: a.fmod(-2),
}


@pytest.mark.parametrize("name", MODULO)
@pytest.mark.parametrize("dtype", [ad.float32, ad.float64])
def test_modulo_ops_match_torch_on_floats_signed_zeros_infinities_and_nan(name, dtype):
    a = np.repeat(DIVIDENDS, len(DIVISORS))
    b = np.tile(DIVISORS, len(DIVIDENDS))
    with np.errstate(all="ignore"):
        _same(*_both(MODULO[name], a, b, dtype=dtype))


@pytest.mark.parametrize("name", [n for n in MODULO if n != "true_divide"])
def test_modulo_ops_on_integers_give_integers_as_torch(name):
    a = np.array([7, -7, 0, 5, -5, 9])
    b = np.array([3, 3, 4, -2, -2, -3])
    ours, theirs = _both(MODULO[name], a, b)
    _same(ours, theirs)
    assert not ours.requires_grad


@pytest.mark.parametrize("name", ["remainder", "fmod", "floor_divide", "rmod"])
def test_modulo_ops_broadcast_and_take_empty_and_0d_tensors(name):
    fn = MODULO[name]
    _same(*_both(fn, [[5.5], [-4.0]], [2.0, -3.0, 1.5]))
    _same(*_both(fn, np.zeros((0, 3)), [2.0, -3.0, 1.5]))
    _same(*_both(fn, np.array(-5.5), np.array(2.0)))


def test_integer_and_float_operands_promote_as_torch():
    _same(*_both(lambda a: a % 2.5, [5, -7]))
    _same(*_both(lambda a: a // 2.5, [5, -7]))
    _same(*_both(lambda a, b: a // b, [5, -7], np.array([2.0, 2.0], np.float32)))
    _same(*_both(lambda a, b: a % b, np.array([5.0], np.float64), np.array([3.0], np.float32)))


def test_integer_division_by_zero_and_bool_operands_are_refused():
    for fn in (MODULO["remainder"], MODULO["floor_divide"], MODULO["fmod"], MODULO["rmod"]):
        _raises_like_torch(fn, [1, 2], [0, 1], match="integer division by zero")
    for fn in (MODULO["remainder"], MODULO["floor_divide"]):
        _raises_like_torch(fn, [True], [True], match="not implemented for bool")


def test_modulo_shapes_that_do_not_broadcast_name_the_op():
    for name in ("remainder", "fmod", "floor_divide"):
        with pytest.raises(ValueError, match=rf"^{name}: shapes \(2,\) and \(3,\) do not"):
            MODULO[name](ad.ones(2, requires_grad=True), ad.ones(3))


# --- gradients where the op table has no row -------------------------------------------------
def _grads(fn, *arrays):
    """fn's result and the gradients of its sum, in both libraries (float64 leaves)."""
    out = []
    for lib in (ad, torch):
        leaves = [lib.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
        result = fn(*leaves)
        result.backward(lib.ones_like(result))
        out.append((result, [leaf.grad for leaf in leaves]))
    return out


def test_floor_divide_and_number_mod_tensor_record_a_node_whose_backward_raises_as_torch():
    for name, op in (("floordiv", "floor_divide"), ("rfloordiv", "floor_divide"),
                     ("rmod", "remainder")):  # fmt: skip
        x = torch.tensor([1.5, -2.5], requires_grad=True)
        y = MODULO[name](x, x)
        assert y.requires_grad and y.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match=f"aten::{op} is not implemented"):
            y.sum().backward()
        ours = MODULO[name](*[ad.tensor([1.5, -2.5], requires_grad=True)] * 2)
        assert ours.requires_grad and ours.grad_fn.name() == "NotImplemented"
        with pytest.raises(RuntimeError, match=rf"^{op}: derivative for aten::{op} is not"):
            ours.sum().backward()


def test_floor_divide_without_grad_records_nothing():
    x = ad.tensor([1.5, -2.5], requires_grad=True)
    with ad.no_grad():
        assert (x // 2).grad_fn is None
    assert (x.detach() // ad.tensor([2.0])).grad_fn is None


# --- in-place forms and operators ---------------------------------------------------------------
INPLACE = {
    "imod": lambda t: t.__imod__(2.5),
    "ifloordiv": lambda t: t.__ifloordiv__(2),
    "floor_divide_": lambda t: t.floor_divide_(-2.0),
    "remainder_": lambda t: t.remainder_(-2.0),
    "fmod_": lambda t: t.fmod_(2.0),
}


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms_write_into_the_tensor_as_torch(name):
    values = [5.5, -4.25, 0.0, 7.0]
    ours, theirs = ad.tensor(values), torch.tensor(values)
    assert INPLACE[name](ours) is ours
    INPLACE[name](theirs)
    _same(ours, theirs)


def test_inplace_floor_divide_in_the_graph_records_not_implemented():
    h = ad.tensor([5.5, -4.25], requires_grad=True) * 1.0
    h.floor_divide_(2.0)
    assert h.grad_fn.name() == "NotImplemented"
    np.testing.assert_array_equal(h.detach().numpy(), [2.0, -3.0])


def test_inplace_modulo_of_an_integer_tensor_by_a_float_is_refused_as_torch():
    for op in (lambda t: t.__imod__(2.5), lambda t: t.__ifloordiv__(2.5)):
        _raises_like_torch(op, [5, 7], match="can't be cast to the tensor's dtype int64")


# --- amax, amin, aminmax ------------------------------------------------------------------------
EXTREMES = {
    "amax_dims": lambda t: t.amax((0, -1)),
    "amin_keepdim": lambda t: t.amin(1, keepdim=True),
    "amax_all": lambda t: _lib(t).amax(t),
    "aminmax": lambda t: _lib(t).aminmax(t),
    "aminmax_dim": lambda t: t.aminmax(dim=-1, keepdim=True),
}
# no -0.0 beside 0.0: which of the two a tie returns differs (NumPy's min gives -0.0)
TIES_AND_NAN = [[[1.0, NAN, 3.0], [2.0, 2.0, -INF]], [[0.0, 0.0, 5.0], [5.0, 1.0, 5.0]]]


@pytest.mark.parametrize("name", EXTREMES)
@pytest.mark.parametrize("dtype", [ad.float32, ad.int64, ad.bool])
def test_amax_amin_aminmax_match_torch_on_ties_nan_integers_and_bool(name, dtype):
    values = np.array(TIES_AND_NAN)
    values = np.where(np.isfinite(values), values, 0) if dtype != ad.float32 else values
    ours, theirs = _both(EXTREMES[name], values, dtype=dtype)
    _same(ours, theirs)
    assert repr(ours).splitlines()[0] == repr(theirs).splitlines()[0]


def test_amax_gradient_shares_ties_and_nan_poisons_its_slice_as_torch():
    for fn in (lambda x: x.amax(1), lambda x: x.amin(), lambda x: _lib(x).aminmax(x, dim=0).min):
        (out, grads), (t_out, t_grads) = _grads(fn, TIES_AND_NAN[0])
        _same(out, t_out)
        _same(grads[0], t_grads[0])


def test_amax_on_empty_and_0d_tensors_as_torch():
    _same(*_both(lambda t: t.amax(1), np.zeros((0, 3))))
    _same(*_both(lambda t: t.amin(-1, True), np.array(2.5)))
    _same(*_both(lambda t: t.aminmax(dim=0), np.array(2.5)))
    for fn, match in ((lambda t: t.amax(), "Expected reduction dim to be specified"),
                      (lambda t: t.amin(0), "Expected reduction dim 0 to have non-zero size"),
                      (lambda t: _lib(t).aminmax(t), "empty dimension"),
                      (lambda t: t.amax((1, 1)), "names a dim twice"),
                      (lambda t: t.amax(2), "dim 2 is out of range")):  # fmt: skip
        _raises_like_torch(fn, np.zeros((0, 3)), match=match)
    _raises_like_torch(lambda t: t.aminmax(dim=(0, 1)), np.ones((2, 2)), match="one int or None")


# --- nan_to_num, nansum, nanmean, count_nonzero, var_mean, std_mean ----------------------------
WITH_NAN = [[1.5, NAN, INF], [-INF, 2.0, 0.0], [NAN, NAN, NAN]]
NAN_OPS = {
    "nan_to_num": lambda t: t.nan_to_num(),
    "nan_to_num_given": lambda t: _lib(t).nan_to_num(t, nan=1.0, posinf=2.0, neginf=-3.0),
    "nansum": lambda t: t.nansum(),
    "nansum_dim": lambda t: t.nansum(1),
    "nansum_dims_keepdim": lambda t: _lib(t).nansum(t, (0, -1), keepdim=True),
    "nanmean_dim": lambda t: t.nanmean(-1, keepdim=True),
    "nanmean": lambda t: _lib(t).nanmean(t),
    "count_nonzero": lambda t: t.count_nonzero(),
    "count_nonzero_dim": lambda t: _lib(t).count_nonzero(t, -1),
}


@pytest.mark.parametrize("name", NAN_OPS)
@pytest.mark.parametrize("dtype", [ad.float16, ad.float32, ad.float64, ad.int32, ad.bool])
def test_nan_ops_match_torch_across_dtypes(name, dtype):
    if name.startswith("nanmean") and dtype.is_floating_point is False:
        _raises_like_torch(NAN_OPS[name], [[1, 2]], dtype=dtype, match="floating point")
        return
    values = np.array(WITH_NAN)
    values = np.where(np.isfinite(values), values, 0) if not dtype.is_floating_point else values
    _same(*_both(NAN_OPS[name], values, dtype=dtype))


@pytest.mark.parametrize("name", [n for n in NAN_OPS if not n.startswith("count")])
def test_nan_ops_gradients_skip_nan_and_infinities_as_torch(name):
    (out, grads), (t_out, t_grads) = _grads(NAN_OPS[name], WITH_NAN)
    _same(out, t_out)
    _same(grads[0], t_grads[0])


@pytest.mark.parametrize("name", NAN_OPS)
def test_nan_ops_on_empty_and_0d_tensors_as_torch(name):
    _same(*_both(NAN_OPS[name], np.zeros((2, 0)) if "dim" in name else np.array(NAN)))


def test_nan_op_dims_named_twice_or_out_of_range_are_refused():
    for fn in (lambda t: t.nansum((0, -2)), lambda t: t.count_nonzero((1, 1))):
        _raises_like_torch(fn, np.ones((2, 2)), match="names a dim twice")
    _raises_like_torch(lambda t: t.nanmean(2), np.ones((2, 2)), match="out of range")


MOMENTS = {
    "var_mean": lambda t: _lib(t).var_mean(t),
    "var_mean_dim": lambda t: _lib(t).var_mean(t, 1, keepdim=True),
    "var_mean_correction": lambda t: _lib(t).var_mean(t, (0, 1), correction=0),
    "std_mean": lambda t: _lib(t).std_mean(t, -1),
    "std_mean_unbiased": lambda t: _lib(t).std_mean(t, 0, False),
}


@pytest.mark.parametrize("name", MOMENTS)
def test_var_mean_and_std_mean_are_tuples_of_values_and_gradients_as_torch(name):
    values = [[1.5, -2.0, 0.25], [3.0, 1.0, -1.0]]
    (out, grads), (t_out, t_grads) = _grads(lambda t: _pair_sum(MOMENTS[name](t)), values)
    assert type(MOMENTS[name](ad.ones(2, 2))) is tuple
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(grads[0].detach().numpy(), t_grads[0].detach().numpy(), rtol=1e-12)
    ours, theirs = _both(MOMENTS[name], values)
    for mine, yours in zip(ours, theirs):
        np.testing.assert_allclose(mine.detach().numpy(), yours.detach().numpy(), rtol=1e-6)
        assert str(mine.dtype) == str(yours.dtype)
    _raises_like_torch(MOMENTS[name], [[1, 2], [3, 4]], match="floating point")


def _pair_sum(pair):
    """The two results weighted apart, so a swapped pair shows."""
    return pair[0].sum() * 3 + pair[1].sum()


# --- diff -----------------------------------------------------------------------------------------
DIFFS = {
    "default": lambda t: t.diff(),
    "n2_dim0": lambda t: _lib(t).diff(t, n=2, dim=0),
    "n_past_the_size": lambda t: t.diff(5, -1),
    "prepend": lambda t: t.diff(prepend=t[:, :1] * 2),
    "append_dim0": lambda t: t.diff(dim=-2, append=t[:1]),
}


@pytest.mark.parametrize("name", DIFFS)
@pytest.mark.parametrize("dtype", [ad.float32, ad.int64, ad.bool])
def test_diff_matches_torch_on_floats_integers_and_bool(name, dtype):
    _same(*_both(DIFFS[name], [[1, 4, 9, 0], [2, 2, 7, 1], [0, 5, 5, 5]], dtype=dtype))


def test_diff_ends_of_another_dtype_promote_as_torch():
    for dtype in ("int64", "float64"):
        append = lambda t, d=dtype: t.diff(append=_lib(t).ones(2, 1, dtype=getattr(_lib(t), d)))  # noqa: E731
        _same(*_both(append, np.ones((2, 3), np.float32)))
    _same(*_both(lambda t: t.diff(prepend=_lib(t).ones(2, 1)), np.ones((2, 3), np.int64)))


def test_diff_records_torchs_nodes():
    x = ad.tensor([[1.0, 4.0, 9.0]], requires_grad=True)
    y = x.diff(prepend=ad.zeros(1, 1))
    assert [n.name() for n, _ in y.grad_fn.next_functions] == ["SliceBackward0"] * 2
    assert y.grad_fn.next_functions[0][0].next_functions[0][0].name() == "CatBackward0"
    copied = x.diff(0)
    assert copied.grad_fn.name() == "CopyBackwards" and copied is not x


def test_diff_refuses_what_torch_refuses():
    for fn, values, match in (
        (lambda t: t.diff(), np.array(1.0), "at least one-dimensional"),
        (lambda t: t.diff(n=-1), [1.0, 2.0], "non-negative"),
        (lambda t: t.diff(dim=2), np.ones((2, 2)), "out of range"),
        (lambda t: t.diff(prepend=_lib(t).ones(2)), np.ones((2, 2)), "prepend must have"),
        (lambda t: t.diff(dim=0, append=_lib(t).ones(1, 3)), np.ones((2, 2)), "append must"),
    ):
        _raises_like_torch(fn, values, match=match)
    _same(*_both(lambda t: t.diff(dim=0), np.zeros((0, 3))))


# --- median, kthvalue, mode, cummax, cummin, logcumsumexp ----------------------------------------
# ties where torch's index is fixed (median's middle of a stable order, mode's last position,
# cummax's later equal value); kthvalue's quickselect may name any of equal values: no ties
TIED = [[1.0, 3.0, 1.0, 3.0, 2.0, 3.0, 1.0], [2.0, 2.0, 5.0, 5.0, 0.0, 0.0, 9.0],
        [1.0, NAN, 0.0, NAN, 4.0, 4.0, 4.0]]  # fmt: skip
DISTINCT = [[0.5, -1.0, 3.0, 2.0], [NAN, 1.0, -2.0, 0.0]]
ORDER_OPS = {
    "median": (lambda t: t.median(), TIED[:2]),
    "median_nan": (lambda t: _lib(t).median(t), TIED),
    "median_dim": (lambda t: t.median(1), TIED),
    "median_dim0_keepdim": (lambda t: _lib(t).median(t, 0, keepdim=True), TIED),
    "kthvalue": (lambda t: t.kthvalue(2), DISTINCT),
    "kthvalue_dim0": (lambda t: _lib(t).kthvalue(t, 2, 0, True), DISTINCT),
    "mode": (lambda t: t.mode(), TIED),
    "mode_dim0": (lambda t: _lib(t).mode(t, 0, keepdim=True), TIED),
    "cummax": (lambda t: t.cummax(1), TIED),
    "cummin": (lambda t: _lib(t).cummin(t, -1), TIED),
    "cummax_dim0": (lambda t: t.cummax(0), TIED),
    "logcumsumexp": (
        lambda t: t.logcumsumexp(-1),
        [[1.0, 500.0, -3.0, -INF], [2.0, -1e3, 800.0, NAN]],
    ),
}


@pytest.mark.parametrize("name", ORDER_OPS)
def test_order_statistics_values_indices_and_gradients_match_torch(name):
    fn, values = ORDER_OPS[name]
    ours, theirs = _both(fn, values, dtype=ad.float64)
    _same(ours, theirs)
    assert repr(ours).splitlines()[0] == repr(theirs).splitlines()[0]
    pick = (lambda r: r.values) if isinstance(theirs, tuple) else (lambda r: r)
    (out, grads), (t_out, t_grads) = _grads(lambda t: pick(fn(t)), values)
    assert out.grad_fn.name() == t_out.grad_fn.name()
    np.testing.assert_array_equal(grads[0].detach().numpy(), t_grads[0].detach().numpy())


@pytest.mark.parametrize("name", [n for n in ORDER_OPS if n != "logcumsumexp"])
def test_order_statistics_on_integers_give_integers_without_gradient(name):
    fn, values = ORDER_OPS[name]
    values = np.where(np.isnan(values), 7, values)
    ours, theirs = _both(fn, values, dtype=ad.int64)
    _same(ours, theirs)


@pytest.mark.parametrize("name", ORDER_OPS)
def test_order_statistics_of_0d_and_empty_tensors_as_torch(name):
    fn, _ = ORDER_OPS[name]
    _same_or_both_refuse(fn, np.array(2.5))  # dim 1 of a 0-d tensor: out of range
    _same_or_both_refuse(fn, np.zeros((0, 3)))  # a reduction over the empty dim: refused


def _same_or_both_refuse(fn, values):
    try:
        theirs = fn(torch.tensor(values))
    except (IndexError, RuntimeError):
        with pytest.raises((IndexError, RuntimeError), match="out of range|non-zero size"):
            fn(ad.tensor(values))
    else:
        _same(fn(ad.tensor(values)), theirs)


def test_order_statistics_refuse_what_torch_refuses():
    for fn, match in (
        (lambda t: t.median(0), "Expected reduction dim 0 to have non-zero size"),
        (lambda t: t.mode(0), "Expected reduction dim 0 to have non-zero size"),
        (lambda t: t.kthvalue(1, 0), "Expected reduction dim 0 to have non-zero size"),
    ):
        _raises_like_torch(fn, np.zeros((0, 3)), match=match)
    _raises_like_torch(lambda t: t.cummax(2), np.ones((2, 3)), match="out of range")
    _raises_like_torch(lambda t: t.kthvalue(4, 1), np.ones((2, 3)), match="k = 4 is out of range")
    _raises_like_torch(lambda t: t.kthvalue(0), np.ones(3), match="k = 0 is out of range")
    _raises_like_torch(lambda t: t.logcumsumexp(0), [1, 2], match="expects a floating tensor")
    _raises_like_torch(lambda t: t.median(), [True], match="bool")
    _same(*_both(lambda t: t.median(), np.zeros((0, 3))))  # NaN, as torch


# --- xlogy, copysign, logit, sinc, ldexp, degrees, float_power, fix, signbit, heaviside -----------
EDGES = [0.0, -0.0, 1.0, -2.5, 0.5, INF, -INF, NAN]
ELEMENTWISE = {
    "xlogy": lambda a, b: _lib(a).xlogy(a, b),
    "xlogy_number_input": lambda a, b: _lib(a).xlogy(2.0, b),
    "xlogy_number_other": lambda a, b: a.xlogy(0.0),
    "copysign": lambda a, b: a.copysign(b),
    "copysign_number": lambda a, b: _lib(a).copysign(a, -0.0),
    "logit": lambda a, b: a.logit(),
    "logit_eps": lambda a, b: _lib(a).logit(a, eps=0.25),
    "sinc": lambda a, b: a.sinc(),
    "ldexp": lambda a, b: _lib(a).ldexp(a, b),
    "deg2rad": lambda a, b: a.deg2rad(),
    "rad2deg": lambda a, b: _lib(a).rad2deg(a),
    "float_power": lambda a, b: a.float_power(2),
    "float_power_tensor": lambda a, b: _lib(a).float_power(a, b),
    "fix": lambda a, b: a.fix(),
    "signbit": lambda a, b: a.signbit(),
    "heaviside": lambda a, b: _lib(a).heaviside(a, b),
}


def _pairs():
    a = np.repeat(EDGES, len(EDGES))
    return a, np.tile(EDGES, len(EDGES))


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [ad.float32, ad.float64])
def test_elementwise_math_matches_torch_on_zeros_infinities_and_nan(name, dtype):
    with np.errstate(all="ignore"):
        _same(*_both(ELEMENTWISE[name], *_pairs(), dtype=dtype))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_math_on_integers_gives_torchs_dtype(name):
    a, b = np.array([[0, 1, -2, 3]]), np.array([[2], [0], [-1]])
    with np.errstate(all="ignore"):
        _same(*_both(ELEMENTWISE[name], a, b))


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if n not in ("signbit", "heaviside")])
def test_elementwise_math_gradients_at_zeros_and_edges_match_torch(name):
    a = [0.0, 0.0, 1.5, -2.0, 0.25, 0.9, 1.2, -0.1]
    b = [0.0, 2.0, -1.0, 0.5, 0.0, -3.0, 1.0, 2.0]
    with np.errstate(all="ignore"):
        (out, grads), (t_out, t_grads) = _grads(ELEMENTWISE[name], a, b)
    _same(out, t_out)
    for mine, yours in zip(grads, t_grads):
        if yours is None:
            assert mine is None
        else:
            _same(mine, yours)


def test_heaviside_has_no_derivative_and_wants_one_dtype_as_torch():
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    assert torch.heaviside(x, torch.tensor([0.5])).grad_fn.name().endswith("NotImplemented")
    ours = ad.heaviside(ad.tensor([-1.0, 0.0, 2.0], requires_grad=True), ad.tensor([0.5]))
    assert ours.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="^heaviside: derivative for aten::heaviside"):
        ours.sum().backward()
    _raises_like_torch(
        lambda a, b: _lib(a).heaviside(a.float(), b), [1.0], [0.5], match="one dtype"
    )
    _same(*_both(lambda a, b: a.heaviside(b), np.zeros((0, 2)), [0.5, 1.5]))


def test_inplace_elementwise_math_as_torch():
    for fn in (lambda t: t.xlogy_(2.0), lambda t: t.copysign_(-1.0), lambda t: t.fix_()):
        ours, theirs = ad.tensor([0.0, 1.5, -2.5]), torch.tensor([0.0, 1.5, -2.5])
        assert fn(ours) is ours
        fn(theirs)
        _same(ours, theirs)
    _raises_like_torch(lambda t: t.xlogy_(2.0), [1, 2], match="can't be cast")
