"""torch names added together (the legacy tensor types, torch.typename, the top-level in-place
forms, ...): what has no gradient, their edge cases and errors, against torch. Values and
gradients of the float ops are the op table's (optable.py)."""

import numpy as np
import pytest
from torch_pairs import both, refused_as_by_torch, same

import autodiff as ad

torch = pytest.importorskip("torch")


def _refused_as_by_torch(call, error, words, theirs=(RuntimeError, TypeError, ValueError)):
    refused_as_by_torch(call, torch, error, words, theirs)


def _both(call):
    both(call, torch)


TYPES = [n for n in dir(torch) if n.endswith("Tensor") and n not in ("Tensor", "BFloat16Tensor")]


# --- legacy tensor types ------------------------------------------------------------------------
def test_every_legacy_type_of_torch_is_here():
    assert TYPES and all(hasattr(ad, n) for n in TYPES + ["BFloat16Tensor"])


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize(
    "args",
    [([1, 2],), ([[1, 0], [3, 4]],), ((2, 3),), ([],), (), ([True, 2.7],), (np.arange(3.0),)],
)
def test_legacy_type_from_data_as_torch(name, args):
    same(getattr(ad, name)(*args), getattr(torch, name)(*args))


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("sizes", [(3, 4), (0,), (2,)])
def test_legacy_type_from_sizes_has_torchs_shape_and_dtype(name, sizes):
    ours, theirs = getattr(ad, name)(*sizes), getattr(torch, name)(*sizes)
    assert (ours.shape, str(ours.dtype)) == (tuple(theirs.shape), str(theirs.dtype))
    assert not ours.detach().numpy().any()  # zeros: torch's memory is uninitialised
    assert getattr(ad, name)(ad.Size(sizes)).shape == getattr(torch, name)(torch.Size(sizes)).shape


def test_legacy_type_of_a_tensor_of_its_dtype_shares_its_storage():
    for lib in (ad, torch):
        t = lib.zeros(2, requires_grad=True)
        alias = lib.FloatTensor(t)
        assert alias is not t and alias.requires_grad
        with lib.no_grad():
            t[0] = 3.0
        assert alias[0].item() == 3.0
    _refused_as_by_torch(lambda lib: lib.FloatTensor(lib.zeros(2, dtype=lib.float64)),
                         TypeError, r"FloatTensor: expected a tensor of dtype torch.float32, got "
                         r"torch.float64.*t.type\(torch.FloatTensor\)")  # fmt: skip


# --- torch.Tensor(...), the constructor older code and the micrograd lecture call ----------------
@pytest.mark.parametrize(
    "args",
    [([1, 2, 3],), ([[1, 2], [3, 4]],), ((2, 3),), ([True, False],), ([],), (), (np.arange(3),),
     (np.array(3.0),), ([np.float64(1), 2],)],
)  # fmt: skip
def test_Tensor_from_data_is_in_the_default_dtype_as_torch(args):
    same(ad.Tensor(*args), torch.Tensor(*args))
    ad.set_default_dtype(ad.float64)
    try:
        assert ad.Tensor(*args).dtype == ad.float64
    finally:
        ad.set_default_dtype(ad.float32)


@pytest.mark.parametrize("sizes", [(3,), (2, 3), (0,), (np.int64(2), 1)])
def test_Tensor_from_sizes_has_torchs_shape_and_dtype(sizes):
    ours, theirs = ad.Tensor(*sizes), torch.Tensor(*sizes)
    assert (ours.shape, str(ours.dtype)) == (tuple(theirs.shape), str(theirs.dtype))
    assert not ours.detach().numpy().any()  # zeros: torch's memory is uninitialised
    assert ad.Tensor(ad.Size(sizes)).shape == torch.Tensor(torch.Size(sizes)).shape


def test_Tensor_of_a_tensor_is_an_alias_with_its_dtype_and_history():
    for lib in (ad, torch):
        x = lib.ones(2, requires_grad=True)
        alias = lib.Tensor(x)
        assert alias is not x and alias.requires_grad and alias.grad_fn is not None
        (alias * 3).sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]
        t = lib.zeros(3, dtype=lib.int64)
        shared = lib.Tensor(t)
        shared[0] = 5
        assert t.tolist() == [5, 0, 0] and shared.dtype == lib.int64
    t = ad.zeros(3)
    saved = ad.ones(3, requires_grad=True) * ad.Tensor(t)
    t.add_(1)  # the alias shares t's version counter: a backward through it refuses
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved.sum().backward()


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.Tensor(2.5), TypeError, r"data must be a sequence.*\(got float\)"),
        (lambda lib: lib.Tensor(True), TypeError, r"\(got bool\)"),
        (lambda lib: lib.Tensor("ab"), TypeError, "data must be a sequence"),
        (lambda lib: lib.Tensor(2, 3.0), TypeError, "sizes must be integers"),
        (lambda lib: lib.Tensor(-1), RuntimeError, r"negative dimension -1"),
        (lambda lib: lib.Tensor([[1, 2], [3]]), ValueError, "ragged"),
    ],
)
def test_Tensor_refuses_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


def test_a_node_prints_as_torchs():
    """print(o.grad_fn) and its next_functions, as the micrograd lecture shows them."""
    import re

    for lib in (ad, torch):
        x = lib.ones(2, requires_grad=True)
        node = lib.tanh(x + 1).grad_fn
        text = repr((node, node.next_functions))
        assert re.fullmatch(
            r"\(<TanhBackward0 object at 0x[0-9a-f]+>, \(\(<AddBackward0 object at 0x[0-9a-f]+>, "
            r"0\),\)\)",
            text,
        ), text
        assert re.fullmatch(
            r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(x.sum().grad_fn.next_functions[0][0])
        )


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.FloatTensor(2.5), TypeError, r"data must be a sequence.*\(got float\)"),
        (lambda lib: lib.FloatTensor("ab"), TypeError, "data must be a sequence"),
        (lambda lib: lib.LongTensor(2, -1), RuntimeError, r"negative dimension \(\(2, -1\)\)"),
        (lambda lib: lib.FloatTensor(2, requires_grad=True), TypeError, "requires_grad"),
        (lambda lib: lib.arange(3).type("torch.Foo"), ValueError, "invalid type: 'torch.Foo'"),
    ],
)
def test_legacy_types_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


@pytest.mark.parametrize("name", TYPES)
def test_isinstance_asks_for_the_dtype_as_torch(name):
    for dtype in ("float32", "float64", "float16", "int64", "int32", "uint8", "bool"):
        ours, theirs = ad.zeros(2, dtype=getattr(ad, dtype)), torch.zeros(2, dtype=getattr(
            torch, dtype))  # fmt: skip
        assert isinstance(ours, getattr(ad, name)) == isinstance(theirs, getattr(torch, name))
    assert not isinstance(3, getattr(ad, name)) and not isinstance(np.zeros(2), getattr(ad, name))
    assert str(getattr(ad, name).dtype) == str(getattr(torch, name).dtype)
    assert repr(getattr(ad, name)) == repr(getattr(torch, name))


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("source", ["float32", "int64", "bool"])
def test_type_converts_to_a_legacy_type_or_its_name_as_torch(name, source):
    def call(lib, target):
        return lib.tensor([0, 1, 2], dtype=getattr(lib, source)).type(target)

    same(call(ad, getattr(ad, name)), call(torch, getattr(torch, name)))
    same(call(ad, f"torch.{name}"), call(torch, f"torch.{name}"))
    assert call(ad, getattr(ad, name)).type() == call(torch, getattr(torch, name)).type()


def test_type_to_its_own_type_is_the_tensor_itself():
    t = ad.arange(3.0)
    assert t.type(ad.FloatTensor) is t and t.type("torch.FloatTensor") is t


def test_typename_as_torch():
    for dtype in ("float32", "float64", "int64", "int8", "bool", "complex64"):
        assert ad.typename(ad.zeros(1, dtype=getattr(ad, dtype))) == torch.typename(
            torch.zeros(1, dtype=getattr(torch, dtype)))  # fmt: skip
    for obj in (3, object(), "s", None, [1]):
        assert ad.typename(obj) == torch.typename(obj)
    assert ad.typename(ad.Tensor) == "autodiff.tensor.Tensor"
    assert ad.typename(np.zeros(1)) == torch.typename(np.zeros(1)) == "numpy.ndarray"


# --- torch's function spelling of Tensor methods ------------------------------------------------
X = np.array([[0.5, -0.25, 0.75], [0.125, 0.3, -0.6]], dtype=np.float32)
# each in-place function of torch's top level: its arguments after the tensor
IN_PLACE = {
    "abs_": (), "acos_": (), "acosh_": (), "arccos_": (), "arccosh_": (), "arcsin_": (),
    "arcsinh_": (), "arctan_": (), "arctanh_": (), "asin_": (), "asinh_": (), "atan_": (),
    "atanh_": (), "ceil_": (), "clamp_": (-0.3, 0.4), "clamp_max_": (0.2,),
    "clamp_min_": (0.1,), "clip_": (None, 0.4), "cos_": (), "cosh_": (), "detach_": (),
    "erf_": (), "erfc_": (), "exp2_": (), "exp_": (), "expm1_": (), "fill_": (2.5,), "fix_": (),
    "floor_": (), "frac_": (), "log10_": (), "log1p_": (), "log2_": (), "log_": (),
    "nan_to_num_": (0.5,), "neg_": (), "negative_": (), "reciprocal_": (), "relu_": (),
    "round_": (), "rsqrt_": (), "sigmoid_": (), "sin_": (), "sinh_": (), "sqrt_": (),
    "square_": (), "tan_": (), "tanh_": (), "trunc_": (), "xlogy_": (3.0,), "zero_": (),
    "deg2rad_": (), "rad2deg_": (), "sinc_": (), "logit_": (0.2,), "i0_": (),
}  # fmt: skip


def test_every_in_place_function_is_listed():
    listed = set(IN_PLACE) | {"addmv_", "index_put_", "ldexp_", "gcd_", "lcm_"}  # below
    assert listed == {n for n in ad.ops.methods.__all__ if n.endswith("_")}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_function_is_the_method_as_torch(name):
    args = IN_PLACE[name]
    ours, theirs = ad.tensor(X), torch.tensor(X)
    with np.errstate(all="ignore"):
        assert getattr(ad, name)(ours, *args) is ours
        assert getattr(torch, name)(theirs, *args) is theirs
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, equal_nan=True
    )
    by_method = ad.tensor(X)
    with np.errstate(all="ignore"):
        getattr(by_method, name)(*args)
    np.testing.assert_array_equal(
        ours.detach().numpy(), by_method.detach().numpy()
    )  # the method's op


def test_in_place_function_records_the_methods_node_and_bumps_the_version():
    for lib in (ad, torch):
        x = lib.tensor(X, requires_grad=True) * 1
        saved = x.sigmoid()  # saves its output, not x: only x's version moves
        assert lib.exp_(x) is x and x.grad_fn.name() == "ExpBackward0"
        y = x * 2
        lib.exp_(x)  # the first exp_'s node saved x as it left it; this exp_ changes it
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        saved.sum().backward()
    _refused_as_by_torch(lambda lib: lib.exp_(lib.tensor(X, requires_grad=True)), RuntimeError,
                         "leaf Variable that requires grad")  # fmt: skip


def test_ldexp_and_heaviside_in_place_as_torch():
    _both(lambda lib: lib.ldexp_(lib.tensor(X), lib.tensor([[1], [-2]])))
    _both(lambda lib: lib.tensor([[-1.0, 0.0, 2.0]]).heaviside_(lib.tensor([0.5, 0.25, 0.75])))
    with pytest.raises(RuntimeError, match="heaviside: derivative for aten::heaviside"):
        (ad.tensor(X, requires_grad=True) * 1).heaviside_(ad.tensor(0.5)).sum().backward()


def test_float_power_in_place_needs_a_float64_tensor_as_torch():
    _both(lambda lib: lib.tensor([1.5, 2.0], dtype=lib.float64).float_power_(2))
    _refused_as_by_torch(lambda lib: lib.tensor([1.5, 2.0]).float_power_(2), TypeError,
                         r"float_power_: .* has dtype torch.float32 .* requires dtype "
                         r"torch.float64")  # fmt: skip


def test_index_put_and_addmv_functions_as_torch():
    def index_put(lib):
        return lib.index_put_(lib.zeros(3), (lib.tensor([0, 2]),), lib.tensor(1.5), True)

    def addmv(lib):
        return lib.addmv_(lib.ones(2), lib.tensor(X), lib.ones(3), beta=0.5, alpha=2)

    _both(index_put)
    _both(addmv)


def test_detach_conj_real_as_torch():
    for lib in (ad, torch):
        x = lib.tensor(X, requires_grad=True)
        assert lib.conj(x) is x and lib.real(x) is x and x.real is x
        d = lib.detach(x)
        assert not d.requires_grad and d.grad_fn is None and d is not x
        d[0, 0] = 7.0  # shares the storage, as torch
        assert x[0, 0].item() == 7.0
        y = x * 1
        assert lib.detach_(y) is y and not y.requires_grad


@pytest.mark.parametrize(
    "call", [lambda lib: lib.imag(lib.tensor(X)), lambda lib: lib.tensor(X).imag]
)
def test_imag_of_a_real_tensor_is_refused_as_by_torch(call):
    _refused_as_by_torch(call, RuntimeError, r"imag: imag is not implemented for tensors with "
                         r"non-complex dtypes \(torch.float32\)")  # fmt: skip


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.fill(lib.tensor(X), 2.5),
        lambda lib: lib.fill(lib.arange(3), 2.5),
        lambda lib: lib.fill(lib.zeros(0, 2), 1.0),
        lambda lib: lib.fill(lib.tensor(1.0), lib.tensor(3)),
        lambda lib: lib.rsub(lib.arange(3), 1),
        lambda lib: lib.rsub(lib.arange(3), 1.5),
        lambda lib: lib.rsub(lib.arange(3), lib.arange(6).reshape(2, 3), alpha=2),
        lambda lib: lib.rsub(lib.tensor(X), lib.tensor(2.0)),
        lambda lib: lib.rsub(lib.zeros(0), 1),
    ],
)
def test_fill_and_rsub_values_and_dtypes_as_torch(call):
    _both(call)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.rsub(lib.ones(2, dtype=lib.bool), lib.ones(2, dtype=lib.bool)),
         RuntimeError, r"rsub: Subtraction.*two bool tensors.*logical_xor"),
        (lambda lib: lib.rsub(lib.ones(2), lib.ones(3)), RuntimeError, r"rsub: shapes \(2,\)"),
        (lambda lib: lib.fill(lib.ones(2), lib.ones(2)), RuntimeError,
         r"fill: the value must be a number or a 0-d tensor.*\(2,\)"),
    ],
)  # fmt: skip
def test_fill_and_rsub_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


# --- erfinv: values to the last digits (gradients: the op table) ---------------------------------
def test_erfinv_matches_torch_to_the_last_digits_tails_included():
    tails = 1 - np.logspace(-16, -1, 60)
    x = np.concatenate([np.linspace(-1, 1, 401), tails, -tails, [1 - 2**-52, -1 + 2**-53, 0.5]])
    np.testing.assert_allclose(ad.erfinv(ad.tensor(x)).detach().numpy(), torch.erfinv(torch.tensor(x)),
                               rtol=1e-13)  # fmt: skip
    x32 = np.linspace(-0.999, 0.999, 301, dtype=np.float32)
    same(ad.tensor(x32).erfinv(), torch.tensor(x32).erfinv())


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.erfinv(lib.tensor([1.0, -1.0, 1.5, -2.0, float("nan"), 0.0, -0.0])),
        lambda lib: lib.erfinv(lib.arange(-1, 3)),
        lambda lib: lib.erfinv(lib.tensor([True, False])),
        lambda lib: lib.erfinv(lib.zeros(0, 3)),
        lambda lib: lib.erfinv(lib.tensor(0.25)),
        lambda lib: lib.tensor([0.5, -0.25]).erfinv_(),
    ],
)
def test_erfinv_edges_and_dtypes_as_torch(call):
    _both(call)
    assert np.signbit(ad.erfinv(ad.tensor(-0.0)).item())


# --- vdot, ger, addr: integer results and errors (gradients: the op table) ----------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.vdot(lib.arange(3), lib.arange(3)),
        lambda lib: lib.vdot(lib.zeros(0), lib.zeros(0)),
        lambda lib: lib.arange(3).ger(lib.arange(2)),
        lambda lib: lib.addr(
            lib.zeros(2, 2, dtype=lib.long), lib.arange(2), lib.arange(2), alpha=2
        ),
        lambda lib: lib.addr(lib.full((3, 2), float("nan")), lib.ones(3), lib.ones(2), beta=0),
        lambda lib: lib.addr(lib.ones(2), lib.ones(3), lib.arange(2.0), beta=2, alpha=0.5),
        lambda lib: lib.ones(3, 2).addr_(lib.ones(3), lib.arange(2.0), alpha=-1),
    ],
)
def test_vdot_ger_addr_as_torch(call):
    _both(call)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.vdot(lib.ones(3), lib.ones(2)), RuntimeError, r"vdot: .*same size"),
        (lambda lib: lib.vdot(lib.ones(2, 2), lib.ones(2, 2)), RuntimeError,
         "1D tensors expected, but got 2D and 2D"),
        (lambda lib: lib.vdot(lib.ones(2), lib.ones(2, dtype=lib.float64)), RuntimeError,
         r"vdot: .*same size and dtype"),
        (lambda lib: lib.addr(lib.ones(3, 2), lib.ones(3, 1), lib.ones(2)), RuntimeError,
         "Expected 1-D argument vec1, but got 2-D"),
        (lambda lib: lib.addr(lib.ones(4), lib.ones(3), lib.ones(2)), RuntimeError,
         r"addr: input of shape \(4,\) does not broadcast"),
        (lambda lib: lib.addr(lib.zeros(2, 2, dtype=lib.long), lib.arange(2), lib.arange(2),
                              alpha=2.5), RuntimeError, "For integral input tensors"),
    ],
)  # fmt: skip
def test_vdot_addr_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


# --- gcd, lcm: integer tensors only -------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.gcd(lib.tensor([12, -8, 0, 7]), lib.tensor([18, 4, 0, -21])),
        lambda lib: lib.lcm(lib.tensor([4, -6, 0, 5]), lib.tensor([6, 4, 3, -5])),
        lambda lib: lib.gcd(lib.tensor([[4], [6]]), lib.tensor([6, 9])),
        lambda lib: lib.gcd(lib.tensor([4], dtype=lib.int32), lib.tensor([6])),
        lambda lib: lib.lcm(lib.tensor(4, dtype=lib.uint8), lib.tensor(6, dtype=lib.uint8)),
        lambda lib: lib.gcd(lib.zeros(0, dtype=lib.long), lib.tensor(3)),
        lambda lib: lib.gcd_(lib.tensor([4, 6]), lib.tensor([6, 4])),
        lambda lib: lib.lcm_(lib.tensor([4, 6]), lib.tensor([6, 4])),
        lambda lib: lib.tensor([9, 6]).gcd_(lib.tensor(3)),
    ],
)
def test_gcd_lcm_as_torch(call):
    _both(call)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda lib: lib.gcd(lib.tensor([1.0]), lib.tensor([2.0])), r"gcd: not implemented for "
         r"torch.float32"),
        (lambda lib: lib.lcm(lib.tensor([True]), lib.tensor([True])), "lcm: not implemented"),
        (lambda lib: lib.gcd(lib.tensor([4]), 6), "gcd: not implemented for int"),
        (lambda lib: lib.gcd(lib.ones(2, dtype=lib.long), lib.ones(3, dtype=lib.long)),
         r"gcd: shapes \(2,\) and \(3,\)"),
    ],
)  # fmt: skip
def test_gcd_lcm_refuse_what_torch_refuses(call, words):
    _refused_as_by_torch(call, (TypeError, ValueError), words,
                         theirs=(RuntimeError, TypeError, NotImplementedError))  # fmt: skip


# --- polygamma, mvlgamma: values where torch has them, dtypes, errors ---------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.polygamma(2, lib.arange(3)),
        lambda lib: lib.polygamma(3, lib.tensor([0.5, -1.5, -0.25, 0.0, -2.0, 30.0, 1e-3])),
        lambda lib: lib.tensor([0.5, 2.0]).polygamma(4),
        lambda lib: lib.tensor([0.5, 2.0]).polygamma_(0),
        lambda lib: lib.polygamma(2, lib.zeros(0, 2)),
        lambda lib: lib.mvlgamma(lib.tensor([2, 3]), 1),
        lambda lib: lib.mvlgamma(lib.tensor([[2.5], [3.0]]), 3),
        lambda lib: lib.tensor([2.5, 3.0]).mvlgamma_(2),
        lambda lib: lib.mvlgamma(lib.tensor([0.5, 2.0, 1.0, -0.3]), 3),
    ],
)
def test_polygamma_mvlgamma_as_torch(call):
    ours, theirs = call(ad), call(torch)
    assert str(ours.dtype) == str(theirs.dtype) and ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, equal_nan=True
    )


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda lib: lib.polygamma(-1, lib.ones(2)), "does not support negative n"),
        (lambda lib: lib.mvlgamma(lib.tensor([2.0]), 0), "greater than or equal to 1"),
    ],
)
def test_polygamma_mvlgamma_refuse_what_torch_refuses(call, words):
    _refused_as_by_torch(call, RuntimeError, words)


# --- i0, igamma, igammac, frexp, nextafter: values, dtypes, edges, errors ----------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.i0(lib.tensor([0.0, 1.0, -2.0, 30.0, -0.5])),
        lambda lib: lib.i0(lib.arange(3)),
        lambda lib: lib.i0_(lib.tensor([0.25, -3.0])),
        lambda lib: lib.igamma(lib.tensor([0.0, 0.5, 1.0, 2.0, -1.0, 3.0, 0.0, 5.0]),
                               lib.tensor([1.0, 0.0, 2.0, 0.5, 1.0, -1.0, 0.0, 50.0])),
        lambda lib: lib.igammac(lib.tensor([[0.5], [2.0]]), lib.tensor([0.1, 1.0, float("inf")])),
        lambda lib: lib.tensor([1.5, 2.5]).igamma_(lib.tensor([1.0, 4.0])),
        lambda lib: lib.tensor([1.5, 2.5]).igammac_(lib.tensor(1.0)),
        lambda lib: lib.igamma(lib.zeros(0), lib.ones(1)),
        lambda lib: lib.nextafter(lib.tensor([1.0, 2.0, 0.0]), lib.tensor([2.0, 1.0, -1.0])),
        lambda lib: lib.nextafter(lib.tensor([1.0], dtype=lib.float64), lib.tensor([2.0])),
        lambda lib: lib.tensor([1.0, 3.0]).nextafter_(lib.tensor(0.0)),
        lambda lib: lib.frexp(lib.tensor([8.0, 0.3, 0.0, -5.0, float("inf")])).exponent,
        lambda lib: lib.frexp(lib.tensor([3.0], dtype=lib.float16)).mantissa,
        lambda lib: lib.tensor([[6.0, -0.75]], dtype=lib.float64).frexp()[0],
    ],
)  # fmt: skip
def test_bessel_gamma_and_float_parts_as_torch(call):
    ours, theirs = call(ad), call(torch)
    assert str(ours.dtype) == str(theirs.dtype) and ours.shape == tuple(theirs.shape)
    # float32: torch computes in float32, ours in float64 then rounds
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, equal_nan=True
    )


def test_igamma_to_the_last_digits_where_torch_is_not():
    # P(100, 95) and P(30, 31) summed with 60 digits; torch's are off by 5e-10
    ours = ad.igamma(ad.tensor([100.0, 30.0], dtype=ad.float64),
                     ad.tensor([95.0, 31.0], dtype=ad.float64))  # fmt: skip
    exact = [0.31735681116979999988, 0.59534782096561087714]
    np.testing.assert_allclose(ours.detach().numpy(), exact, rtol=1e-13)


def test_frexp_prints_and_unpacks_as_torch():
    ours, theirs = ad.frexp(ad.tensor([8.0, 0.3])), torch.frexp(torch.tensor([8.0, 0.3]))
    assert repr(ours) == repr(theirs)
    mantissa, exponent = ours
    assert mantissa is ours.mantissa and exponent is ours.exponent


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda lib: lib.frexp(lib.arange(3)), "frexp: only supports floating-point dtypes"),
        (lambda lib: lib.nextafter(lib.arange(3), lib.arange(3)), "nextafter: only supports"),
        (lambda lib: lib.igamma(lib.arange(3), lib.arange(3)), "igamma: not implemented"),
        (lambda lib: lib.igamma(lib.ones(2, requires_grad=True), lib.ones(2)).sum().backward(),
         r"derivative for 'igamma: input' is not implemented"),
        (lambda lib: lib.igammac(lib.ones(2, requires_grad=True) * 1, lib.ones(2))
         .sum().backward(), r"derivative for 'igammac: input' is not implemented"),
        (lambda lib: lib.ones(2, requires_grad=True).mul(1).igamma_(lib.ones(2)).sum()
         .backward(), r"derivative for 'igamma: input' is not implemented"),
    ],
)  # fmt: skip
def test_bessel_gamma_and_float_parts_refuse_what_torch_refuses(call, words):
    _refused_as_by_torch(call, (TypeError, NotImplementedError), words,
                         theirs=(RuntimeError, TypeError, NotImplementedError))  # fmt: skip


# --- creation and helpers -------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:torch.range is deprecated")
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.range(1, 4),
        lambda lib: lib.range(0, 1, 0.25),
        lambda lib: lib.range(1, 4, dtype=lib.long),
        lambda lib: lib.range(5, 1, -1.5),
        lambda lib: lib.scalar_tensor(3),
        lambda lib: lib.scalar_tensor(True, dtype=lib.bool),
        lambda lib: lib.scalar_tensor(2.5, dtype=lib.float64),
        lambda lib: lib.asarray([1, 2]),
        lambda lib: lib.asarray([1.0, 2.0]),
        lambda lib: lib.asarray(np.arange(3.0), dtype=lib.float32),
        lambda lib: lib.asarray(lib.arange(3), copy=True),
        lambda lib: lib.empty_strided((2, 3), (1, 2)).zero_(),
        lambda lib: lib.vander(lib.tensor([1, 2, 3])),
        lambda lib: lib.vander(lib.tensor([1.0, 2.0]), N=3, increasing=True),
        lambda lib: lib.vander(lib.tensor([True, False])),
        lambda lib: lib.vander(lib.tensor([2.0]), N=0),
    ],
)
def test_creation_helpers_as_torch(call):
    _both(call)


def test_range_warns_as_torch():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        ad.range(0, 3)


def test_asarray_shares_memory_where_torch_does():
    a = np.zeros(3)
    t = ad.asarray(a)
    t[0] = 5.0
    assert a[0] == 5.0
    x = ad.arange(3.0)
    assert ad.asarray(x) is x and ad.asarray(x, copy=True) is not x
    assert ad.asarray([1.0], requires_grad=True).requires_grad


def test_randint_like_draws_torchs_numbers():
    for low_high in ((10,), (2, 5)):
        ad.manual_seed(3)
        torch.manual_seed(3)
        same(
            ad.randint_like(ad.zeros(2, 3), *low_high),
            torch.randint_like(torch.zeros(2, 3), *low_high),
        )
        same(ad.randint_like(ad.zeros(4, dtype=ad.long), *low_high),
              torch.randint_like(torch.zeros(4, dtype=torch.long), *low_high))  # fmt: skip


WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("length", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_as_torch(name, length, periodic):
    ours, theirs = getattr(ad, name)(length, periodic), getattr(torch, name)(length, periodic)
    assert str(ours.dtype) == str(theirs.dtype) and ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), atol=1e-6
    )  # torch: float32 sums
    wide = getattr(ad, name)(6, periodic, dtype=ad.float64)
    np.testing.assert_allclose(wide.detach().numpy(), getattr(torch, name)(6, periodic,
                               dtype=torch.float64).detach().numpy(), rtol=1e-14, atol=1e-15)  # fmt: skip


def test_window_options_as_torch():
    _both(lambda lib: lib.hamming_window(5, False, 0.5, 0.5, dtype=lib.float64))
    np.testing.assert_allclose(ad.kaiser_window(7, False, 5.0, dtype=ad.float64).detach().numpy(),
                               torch.kaiser_window(7, False, 5.0, dtype=torch.float64).detach().numpy(),
                               rtol=1e-13)  # fmt: skip


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.hann_window(-1), RuntimeError, "non-negative window_length"),
        (lambda lib: lib.hann_window(4, dtype=lib.long), RuntimeError, "floating point"),
        (lambda lib: lib.vander(lib.ones(2, 2)), RuntimeError, "one-dimensional"),
        (lambda lib: lib.vander(lib.ones(2), N=-1), RuntimeError, "N must be non-negative"),
        (lambda lib: lib.empty_strided((2, 3), (1,)), RuntimeError, "mismatch in length"),
        (lambda lib: lib.unravel_index(lib.tensor([1.0]), (2, 3)), TypeError,
         "expected 'indices' to be integer dtype"),
        (lambda lib: lib.unravel_index(lib.tensor([1]), (2, -3)), ValueError,
         "'shape' cannot have negative values"),
        (lambda lib: lib.unsafe_split(lib.arange(4), [1, 3]), TypeError, "split_size"),
    ],
)  # fmt: skip
def test_creation_helpers_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.unravel_index(lib.tensor(4), (2, 3)),
        lambda lib: lib.unravel_index(lib.tensor([[4, 1], [0, 5]]), (2, 3)),
        lambda lib: lib.unravel_index(lib.tensor([3]), 5),
        lambda lib: lib.unravel_index(lib.tensor([6, -1, 7]), (2, 3)),
        lambda lib: lib.unravel_index(lib.tensor([1], dtype=lib.int32), (4, 1, 2)),
        lambda lib: lib.unsafe_chunk(lib.arange(5), 2),
        lambda lib: lib.arange(6.0).reshape(2, 3).unsafe_split(2, dim=-1),
    ],
)
def test_unravel_index_and_unsafe_splits_as_torch(call):
    ours, theirs = call(ad), call(torch)
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        same(a, b)
    assert ad.unravel_index(ad.tensor([0]), ()) == torch.unravel_index(torch.tensor([0]), ()) == ()


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.zeros(2, dtype=lib.float64).new(2, 3).zero_(),
        lambda lib: lib.arange(3).new([1.5, 2]),
        lambda lib: lib.zeros(2).new(),
        lambda lib: lib.zeros(2).new((2, 3)),
        lambda lib: lib.zeros(2).new(lib.Size([2, 3])).zero_(),
        lambda lib: lib.zeros(2, dtype=lib.bool).new([0, 1, 2]),
    ],
)
def test_new_as_torch(call):
    _both(call)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.zeros(2).new(2.5), TypeError, r"new: data must be a sequence"),
        (lambda lib: lib.zeros(2).new(lib.arange(3)), TypeError,
         "new: expected a tensor of dtype torch.float32, got torch.int64"),
        (lambda lib: lib.zeros(2).new(2, -3), RuntimeError, "negative dimension"),
    ],
)  # fmt: skip
def test_new_refuses_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


# --- mode switches ----------------------------------------------------------------------------------
def test_inference_mode_is_reported_as_torch():
    for lib in (ad, torch):
        assert not lib.is_inference_mode_enabled()
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
            with lib.inference_mode(False):
                assert not lib.is_inference_mode_enabled()
            assert lib.is_inference_mode_enabled()
        assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()

        @lib.inference_mode()
        def inside(lib):
            return lib.is_inference_mode_enabled(), lib.is_grad_enabled()

        assert inside(lib) == (True, False)
        assert not lib.is_inference_mode_enabled()


def test_anomaly_and_warn_always_switches_as_torch():
    for lib in (ad, torch):
        try:
            lib.set_anomaly_enabled(True)
            assert lib.is_anomaly_enabled()
            lib.set_warn_always(True)
            assert lib.is_warn_always_enabled()
        finally:
            lib.set_anomaly_enabled(False)
            lib.set_warn_always(False)
        assert not lib.is_anomaly_enabled() and not lib.is_warn_always_enabled()
    ad.set_anomaly_enabled(True)
    try:
        with pytest.raises(RuntimeError, match="log"):
            ad.log(ad.tensor([-1.0], requires_grad=True))  # anomaly mode names the op
    finally:
        ad.set_anomaly_enabled(False)


# --- apply_, map_, resize_, resize_as_ ----------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.arange(6.0).apply_(lambda v: v * 2 - 1),
        lambda lib: lib.arange(3).apply_(lambda v: v + 0.7),
        lambda lib: lib.arange(6.0).reshape(2, 3).map_(lib.tensor([1.0, 2.0, 3.0]), max),
        lambda lib: lib.zeros(0).apply_(abs),
        lambda lib: lib.tensor(2.0).map_(lib.tensor(3.0), lambda a, b: a * b),
        lambda lib: lib.arange(6.0).resize_(2, 2),
        lambda lib: lib.arange(6.0).resize_(2, 3),
        lambda lib: lib.arange(6.0).resize_(lib.Size([3, 2])),
        lambda lib: lib.arange(6).resize_as_(lib.zeros(3, 2)),
        lambda lib: lib.arange(6.0).resize_(0),
    ],
)
def test_apply_map_resize_as_torch(call):
    _both(call)


def test_resize_keeps_the_object_and_its_first_elements():
    t = ad.arange(6.0)
    assert t.resize_(2, 2) is t and t.shape == (2, 2)
    grown = t.resize_(3, 3)
    np.testing.assert_array_equal(grown.detach().numpy().reshape(-1)[:4], [0.0, 1.0, 2.0, 3.0])
    assert grown.shape == (3, 3)  # the rest is uninitialised in torch, zeros here


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.zeros(2, requires_grad=True).apply_(abs), RuntimeError,
         r"Can't call apply_\(\) on Variable that requires grad"),
        (lambda lib: (lib.zeros(2, requires_grad=True) * 1).map_(lib.zeros(2), max),
         RuntimeError, r"Can't call map_\(\) on Variable that requires grad"),
        (lambda lib: lib.zeros(2).map_(lib.zeros(3), max), RuntimeError, "expanded size"),
        (lambda lib: lib.zeros(2, requires_grad=True).resize_(3), RuntimeError,
         "cannot resize variables that require grad"),
    ],
)  # fmt: skip
def test_apply_map_resize_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words)


# --- the *_copy family: the view, copied ----------------------------------------------------------
COPIES = {
    "view_copy": lambda lib, x: lib.view_copy(x, (4, 3)),
    "permute_copy": lambda lib, x: lib.permute_copy(x, (1, 0)),
    "transpose_copy": lambda lib, x: lib.transpose_copy(x, 0, -1),
    "t_copy": lambda lib, x: lib.t_copy(x),
    "unsqueeze_copy": lambda lib, x: lib.unsqueeze_copy(x, -1),
    "squeeze_copy": lambda lib, x: lib.squeeze_copy(x.unsqueeze(1), 1),
    "expand_copy": lambda lib, x: lib.expand_copy(x, (2, 3, 4)),
    "diagonal_copy": lambda lib, x: lib.diagonal_copy(x, 1),
    "select_copy": lambda lib, x: lib.select_copy(x, 1, -1),
    "slice_copy": lambda lib, x: lib.slice_copy(x, 1, 1, 4, 2),
    "split_copy": lambda lib, x: lib.split_copy(x, 2, 1)[1],
    "unbind_copy": lambda lib, x: lib.unbind_copy(x, 1)[2],
    "alias_copy": lambda lib, x: lib.alias_copy(x),
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_copies_match_torch_and_own_their_memory(name):
    values = np.arange(12.0).reshape(3, 4) / 7
    x, tx = ad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out, t_out = COPIES[name](ad, x), COPIES[name](torch, tx)
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy())
    g = np.random.default_rng(0).standard_normal(tuple(t_out.shape))
    out.backward(ad.tensor(g))
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.detach().numpy(), tx.grad.detach().numpy())
    with ad.no_grad():
        out.zero_() if out.numel() else None
    np.testing.assert_array_equal(x.detach().numpy(), values)  # a copy, not a view


def test_detach_copy_slice_copy_edges_as_torch():
    # torch's detach_copy keeps requires_grad with a NotImplemented node; ours is detached
    ours = ad.detach_copy(ad.arange(3.0, requires_grad=True))
    same(ours, torch.detach_copy(torch.arange(3.0, requires_grad=True)).detach())
    assert not ours.requires_grad
    _both(lambda lib: lib.slice_copy(lib.arange(6).reshape(2, 3)))
    _both(lambda lib: lib.slice_copy(lib.arange(6), 0, -4, 100))
    _both(lambda lib: lib.slice_copy(lib.arange(6), 0, 4, 2))
    assert len(ad.split_copy(ad.arange(5), 2)) == len(torch.split_copy(torch.arange(5), 2)) == 3


# --- put, cumulative_trapezoid: integers, edges, errors -------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.put(lib.arange(6).reshape(2, 3), lib.tensor([0, -1]), lib.tensor([9, 8])),
        lambda lib: lib.arange(4).put_(lib.tensor([1, 1]), lib.tensor([5, 6]), accumulate=True),
        lambda lib: lib.put(lib.zeros(3), lib.tensor([], dtype=lib.long), lib.zeros(0)),
        lambda lib: lib.cumulative_trapezoid(lib.arange(4)),
        lambda lib: lib.cumulative_trapezoid(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([0.0, 1, 3])),
        lambda lib: lib.cumulative_trapezoid(lib.ones(0)),
        lambda lib: lib.cumulative_trapezoid(lib.ones(2, 1), dim=-1),
    ],
)
def test_put_cumulative_trapezoid_as_torch(call):
    _both(call)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda lib: lib.put(lib.zeros(6), lib.tensor([6]), lib.zeros(1)), IndexError,
         "out of range: tried to access index 6 on a tensor of 6 elements"),
        (lambda lib: lib.put(lib.zeros(6), lib.tensor([1, 2]), lib.zeros(1)), IndexError,
         "Expected source and index to have the same number of elements"),
        (lambda lib: lib.put(lib.zeros(6), lib.tensor([1.0]), lib.zeros(1)), RuntimeError,
         "Expected a long tensor for index"),
        (lambda lib: lib.cumulative_trapezoid(lib.ones(3), lib.ones(2)), RuntimeError,
         "cumulative_trapezoid"),
    ],
)  # fmt: skip
def test_put_cumulative_trapezoid_refuse_what_torch_refuses(call, error, words):
    _refused_as_by_torch(call, error, words, theirs=(RuntimeError, IndexError, ValueError))


def test_i0_second_derivative_at_zero_and_denormals_as_torch():
    values = [0.0, 5e-324, 1e-200, 1e-90, 0.5, -2.0]  # make test found 5e-324 (I₁(x)/x there)
    x = ad.tensor(values, dtype=ad.float64, requires_grad=True)
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (g,) = ad.grad(ad.i0(x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(torch.i0(tx).sum(), tx, create_graph=True)
    (h,), (th,) = ad.grad(g.sum(), x), torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(h.detach().numpy(), th.detach().numpy(), rtol=1e-12)
