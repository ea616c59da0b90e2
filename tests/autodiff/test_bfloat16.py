"""bfloat16 tensors (ml_dtypes' NumPy type): rounding, printing, promotion, ops computed in
float32 and rounded, gradients, files; all compared with torch bit for bit where torch's CPU
kernel is float32-then-round."""

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
import nn
import nn.functional as F
from autodiff.compile import CompileError


def _bits(t) -> np.ndarray:
    """The uint16 bits of a bfloat16 tensor, ours or torch's."""
    if isinstance(t, ad.Tensor):
        return t.detach().numpy().view(np.uint16)
    return (
        t.view(t.new_empty(0, dtype=__import__("torch").int16).dtype)
        .detach()
        .numpy()
        .view(np.uint16)
    )


def _same(ours, theirs):
    assert ours.dtype is ad.bfloat16 and str(theirs.dtype) == "torch.bfloat16"
    np.testing.assert_array_equal(_bits(ours), _bits(theirs))


_FLOAT32 = st.floats(width=32, allow_nan=True, allow_infinity=True, allow_subnormal=True)
# ties: float32 values halfway between two bfloat16 values (the low 16 bits 0x8000)
_TIES = st.integers(0, 2**16 - 1).map(
    lambda hi: np.array([(hi << 16) | 0x8000], np.uint32).view(np.float32)[0]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_FLOAT32, _TIES), min_size=1, max_size=20))
def test_rounding_from_float32_is_torchs_round_to_nearest_even(values):
    torch = pytest.importorskip("torch")
    x = np.array(values, np.float32)
    ours, theirs = ad.tensor(x).bfloat16(), torch.tensor(x).bfloat16()
    nan = np.isnan(x)
    np.testing.assert_array_equal(_bits(ours)[~nan], _bits(theirs)[~nan])
    assert np.isnan(ours.float().detach().numpy()[nan]).all()  # a NaN stays a NaN (payload aside)
    np.testing.assert_array_equal(_bits(ad.tensor(x, dtype=ad.bfloat16))[~nan], _bits(theirs)[~nan])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e30, 1e30), min_size=1, max_size=10))
def test_rounding_from_float64_goes_through_float32_as_torch(values):
    torch = pytest.importorskip("torch")
    x = np.array(values + [1.00390625 + 2.0**-40], np.float64)  # double rounding: to 1.0
    _same(ad.tensor(x).bfloat16(), torch.tensor(x).bfloat16())
    values = x.tolist()
    _same(ad.tensor(values, dtype=ad.bfloat16), torch.tensor(values, dtype=torch.bfloat16))


def test_dtype_properties_and_conversions():
    torch = pytest.importorskip("torch")
    x = ad.tensor([1.0, 2.5, -3.140625], dtype=ad.bfloat16)
    assert x.dtype is ad.bfloat16 and repr(x.dtype) == "torch.bfloat16"
    assert x.dtype.is_floating_point and x.is_floating_point() and x.dtype.is_signed
    assert not x.dtype.is_complex and x.element_size() == 2 and x.dtype.itemsize == 2
    assert x.float().dtype is ad.float32 and x.to(ad.float32).dtype is ad.float32
    assert x.tolist() == [1.0, 2.5, -3.140625] and isinstance(x[0].item(), float)
    assert x.type() == torch.tensor([1.0]).bfloat16().type() == "torch.BFloat16Tensor"
    assert (
        ad.ones(2).to(dtype=ad.bfloat16).dtype is ad.bfloat16 and ad.zeros(2).bfloat16().sum() == 0
    )


@pytest.mark.parametrize(
    "values",
    [[1.0, 2.5, 3.14159], [1e-40, 1e30, -2.0], [[0.1, 0.2], [float("nan"), float("inf")]], [3.0]],
)
def test_printing_as_torch(values):
    torch = pytest.importorskip("torch")
    ours, theirs = ad.tensor(values).bfloat16(), torch.tensor(values).bfloat16()
    assert repr(ours) == repr(theirs)
    ours.requires_grad_()
    assert repr(ours) == repr(theirs.requires_grad_())


def test_promotion_as_torch():
    torch = pytest.importorskip("torch")
    b, bt = ad.ones(3).bfloat16(), torch.ones(3).bfloat16()
    others = [
        (ad.ones(3), torch.ones(3)),
        (ad.ones(3).half(), torch.ones(3).half()),
        (ad.ones(3).double(), torch.ones(3).double()),
        (ad.ones(3, dtype=ad.int64), torch.ones(3, dtype=torch.int64)),
        (ad.ones(3, dtype=ad.bool), torch.ones(3, dtype=torch.bool)),
        (ad.tensor(2.0), torch.tensor(2.0)),  # a 0-d float32 does not win over bfloat16
        (2, 2),
        (2.5, 2.5),
    ]
    for ours, theirs in others:
        assert str((b + ours).dtype) == str((bt + theirs).dtype), theirs
        assert str((ours * b).dtype) == str((theirs * bt).dtype), theirs
    assert str((ad.tensor(2.0).bfloat16() + ad.ones(3)).dtype) == "torch.float32"
    assert str(ad.promote_types(ad.bfloat16, ad.float16)) == "torch.float32"
    assert str(ad.result_type(b, 1.0)) == "torch.bfloat16"


def _pair(shape=(3, 5), seed=0, scale=1.0):
    torch = pytest.importorskip("torch")
    x = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
    return ad.tensor(x).bfloat16(), torch.tensor(x).bfloat16()


@pytest.mark.parametrize(
    "op",
    [
        lambda m, x: x + x * 0.3,
        lambda m, x: x * x,
        lambda m, x: x.exp(),
        lambda m, x: x.tanh(),
        lambda m, x: x - 1,
        lambda m, x: x / 3,
        lambda m, x: x.sum(),
        lambda m, x: x.sum(-1),
        lambda m, x: x.mean(0),
        lambda m, x: x.softmax(-1),
        lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
        lambda m, x: m.nn.functional.layer_norm(x, (5,)),
        lambda m, x: x.relu(),
        lambda m, x: x[1:, ::2].T,
        lambda m, x: m.cat([x, x.flip(0)], 1),
    ],
)
def test_ops_compute_in_float32_and_round_as_torch(op, monkeypatch):
    torch = pytest.importorskip("torch")
    x, xt = _pair((4, 5), scale=3.0)
    monkeypatch.setattr(ad, "nn", nn, raising=False)  # op(m, x) names both libraries alike
    _same(op(ad, x), op(torch, xt))


def test_matmul_is_float32_blas_then_rounded():
    pytest.importorskip("torch")
    a, at = _pair((8, 16), 1)
    b, bt = _pair((16, 4), 2)
    out = a @ b
    assert out.dtype is ad.bfloat16
    np.testing.assert_allclose(
        out.float().detach().numpy(), (at @ bt).float().detach().numpy(), rtol=8e-3
    )
    expected = (a.float().detach().numpy() @ b.float().detach().numpy()).astype(ad.bfloat16.dtype)
    np.testing.assert_array_equal(out.detach().numpy().view(np.uint16), expected.view(np.uint16))


def test_gradients_of_a_bfloat16_leaf_are_bfloat16_as_torch():
    """Within bfloat16's precision: backward formulas here read the forward's float32 values
    (before rounding), torch's the rounded ones (so tanh stays short of saturation)."""
    pytest.importorskip("torch")
    x, xt = _pair((4, 5), 3, scale=0.5)
    w, wt = _pair((5, 3), 4, scale=0.5)
    x.requires_grad_(), xt.requires_grad_(), w.requires_grad_(), wt.requires_grad_()
    ((x @ w).tanh() * 2).sum().backward()
    ((xt @ wt).tanh() * 2).sum().backward()
    for ours, theirs in ((x.grad, xt.grad), (w.grad, wt.grad)):
        assert ours.dtype is ad.bfloat16
        np.testing.assert_allclose(
            ours.float().detach().numpy(), theirs.float().detach().numpy(), rtol=2e-2
        )
    y = ad.ones(3, requires_grad=True)
    (y.bfloat16() * 3).sum().backward()  # through the cast: a float32 gradient
    assert y.grad.dtype is ad.float32 and y.grad.tolist() == [3.0, 3.0, 3.0]


def test_gelu_layer_norm_gradients_against_torch():
    torch = pytest.importorskip("torch")
    x, xt = _pair((2, 6), 5)
    x.requires_grad_(), xt.requires_grad_()
    weights = np.linspace(-1, 2, 6, dtype=np.float32)
    (F.layer_norm(F.gelu(x, approximate="tanh"), (6,)) * ad.tensor(weights)).sum().backward()
    (
        torch.nn.functional.layer_norm(torch.nn.functional.gelu(xt, approximate="tanh"), (6,))
        * torch.tensor(weights)
    ).sum().backward()
    assert x.grad.dtype is ad.bfloat16
    np.testing.assert_allclose(
        x.grad.float().detach().numpy(), xt.grad.float().detach().numpy(), atol=0.05
    )


def test_in_place_ops_keep_bfloat16_and_round():
    pytest.importorskip("torch")
    x, xt = _pair((3, 4), 6)
    x.add_(0.1), xt.add_(0.1)
    x.mul_(x), xt.mul_(xt)
    _same(x, xt)


def test_topk_and_multinomial_on_bfloat16_as_torch():
    torch = pytest.importorskip("torch")
    p = np.random.default_rng(7).random((3, 64)).astype(np.float32)
    probs, probs_t = ad.tensor(p).bfloat16().softmax(-1), torch.tensor(p).bfloat16().softmax(-1)
    _same(probs, probs_t)
    values, indices = ad.topk(probs, 50, dim=-1)
    values_t, indices_t = torch.topk(probs_t, 50, dim=-1)  # many equal values: torch's order
    _same(values, values_t)
    np.testing.assert_array_equal(indices.detach().numpy(), indices_t.detach().numpy())
    g, gt = ad.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    for _ in range(5):
        ours = ad.multinomial(values, 1, generator=g)
        np.testing.assert_array_equal(
            ours.detach().numpy(), torch.multinomial(values_t, 1, generator=gt)
        )


def test_save_load_and_safetensors_keep_bfloat16():
    x = ad.randn(4).bfloat16().requires_grad_()
    buffer = io.BytesIO()
    ad.save({"x": x, "twice": x}, buffer)
    buffer.seek(0)
    loaded = ad.load(buffer)
    assert loaded["x"] is loaded["twice"] and loaded["x"].requires_grad
    np.testing.assert_array_equal(_bits(loaded["x"]), _bits(x))
    from autodiff import safetensors

    again = safetensors.load(safetensors.save({"x": x.detach()}))["x"]
    np.testing.assert_array_equal(_bits(again), _bits(x))


def test_compile_refuses_bfloat16_steps():
    w = ad.ones(3).bfloat16().requires_grad_()
    with pytest.raises(CompileError, match="bfloat16"):
        ad.compile(lambda x: (x * w).sum())(ad.ones(3))


def test_default_dtype_bfloat16_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="bfloat16"):
        ad.set_default_dtype(ad.bfloat16)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_rounds_where_torchs_cpu_kernel_rounds(causal):
    """torch's flash kernel: float32 scores and softmax, the exponentials rounded to bfloat16
    before the product with v. Its approximate exp leaves ~2% of outputs an ulp apart here;
    composing the ops in bfloat16 would differ in ~30%."""
    torch = pytest.importorskip("torch")
    q, qt = _pair((4, 2, 16, 16), 8)
    k, kt = _pair((4, 2, 16, 16), 9)
    v, vt = _pair((4, 2, 16, 16), 10)
    ours = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    theirs = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, is_causal=causal)
    assert ours.dtype is ad.bfloat16
    assert (_bits(ours) != _bits(theirs)).mean() < 0.05
    np.testing.assert_allclose(
        ours.float().detach().numpy(), theirs.float().detach().numpy(), rtol=2e-2, atol=2e-2
    )


@pytest.mark.parametrize("size", [5, 1000, 1003])
def test_draws_in_bfloat16_are_torchs(size):
    torch = pytest.importorskip("torch")
    for name in ("normal_", "uniform_", "exponential_", "cauchy_", "log_normal_"):
        ours = getattr(ad.empty(size, dtype=ad.bfloat16), name)(
            generator=ad.Generator().manual_seed(1)
        )
        theirs = getattr(torch.empty(size, dtype=torch.bfloat16), name)(
            generator=torch.Generator().manual_seed(1)
        )
        _same(ours, theirs)
    for name in ("randn", "rand"):
        ours = getattr(ad, name)(size, generator=ad.Generator().manual_seed(2), dtype=ad.bfloat16)
        theirs = getattr(torch, name)(
            size, generator=torch.Generator().manual_seed(2), dtype=torch.bfloat16
        )
        _same(ours, theirs)
