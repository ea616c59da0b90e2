"""Activations: forward, input (and slope) gradients and node names against torch; finite
differences with hypothesis; second order; the modules."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff as ad
import nn
import nn.functional as F
from autodiff.ops.math import erf_array as erf
from autodiff.testing import arrays, assert_gradients_match

# name: (ours, torch twin (as a function of torch), kinks, node name)
ACTIVATIONS = {
    "relu": (F.relu, lambda t, x: t.relu(x), (0.0,), "ReluBackward0"),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1),
                   lambda t, x: t.nn.functional.leaky_relu(x, 0.1), (0.0,), "LeakyReluBackward0"),
    "elu": (lambda x: F.elu(x, 0.7), lambda t, x: t.nn.functional.elu(x, 0.7), (0.0,),
            "EluBackward0"),
    "selu": (F.selu, lambda t, x: t.nn.functional.selu(x), (0.0,), "EluBackward0"),
    "sigmoid": (F.sigmoid, lambda t, x: t.sigmoid(x), (), "SigmoidBackward0"),
    "tanh": (F.tanh, lambda t, x: t.tanh(x), (), "TanhBackward0"),
    "softplus": (lambda x: F.softplus(x, 2.0, 4.0),
                 lambda t, x: t.nn.functional.softplus(x, 2.0, 4.0), (2.0,), "SoftplusBackward0"),
    "silu": (F.silu, lambda t, x: t.nn.functional.silu(x), (), "SiluBackward0"),
    "gelu": (F.gelu, lambda t, x: t.nn.functional.gelu(x), (), "GeluBackward0"),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda t, x: t.nn.functional.gelu(x, approximate="tanh"), (), "GeluBackward0"),
    "softmax": (lambda x: F.softmax(x, dim=-1), lambda t, x: t.softmax(x, -1), (),
                "SoftmaxBackward0"),
    "log_softmax": (lambda x: F.log_softmax(x, dim=-1), lambda t, x: t.log_softmax(x, -1), (),
                    "LogSoftmaxBackward0"),
}  # fmt: skip


def _data(seed=0, shape=(4, 5), scale=3.0):
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    x[0, :3] = [0.0, -0.0, 2.0]  # the kinks themselves: conventions must match torch
    return x


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_and_gradient_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs, _, node = ACTIVATIONS[name]
    x = _data()
    g = np.random.default_rng(1).standard_normal(x.shape)
    xa = ad.tensor(x, requires_grad=True)
    out = ours(xa)
    out.backward(ad.tensor(g))
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(torch, xt)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert out.grad_fn.name() == node == type(out_t.grad_fn).__name__


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_gradient_matches_finite_differences(name):
    ours, _, kinks, _ = ACTIVATIONS[name]

    @given(arrays(domain=(-4.0, 4.0), kinks=kinks))
    def check(x):
        assert_gradients_match(ours, x)

    check()


@pytest.mark.parametrize("name", ["elu", "selu", "softplus", "silu", "gelu", "gelu_tanh"])
def test_second_order_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs, _, _ = ACTIVATIONS[name]
    x = _data(seed=3)
    x[0, :3] = [0.5, -0.5, 1.5]  # off the kinks: torch's own double backward differs at them
    xa = ad.tensor(x, requires_grad=True)
    (ga,) = ad.grad(ours(xa).sum(), xa, create_graph=True)
    (gga,) = ad.grad((ga * ga).sum(), xa)
    xt = torch.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad(theirs(torch, xt).sum(), xt, create_graph=True)
    (ggt,) = torch.autograd.grad((gt * gt).sum(), xt)
    np.testing.assert_allclose(gga.numpy(), ggt.numpy(), rtol=1e-10, atol=1e-12)


def test_erf_matches_math_erf():
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1.5, -1.5, 1e-300, np.inf, -np.inf]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), expected, rtol=1e-15, atol=1e-15)


def test_gelu_exact_matches_torch_tightly_at_large_inputs():
    torch = pytest.importorskip("torch")
    x = np.linspace(-12, 12, 4001)
    ours = F.gelu(ad.tensor(x)).numpy()
    theirs = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("channels,shape", [(1, (3, 4)), (4, (3, 4)), (2, (2, 2, 3, 3)), (1, (5,))])
def test_prelu_matches_torch(channels, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal(shape), rng.uniform(0.05, 0.5, channels)
    g = rng.standard_normal(shape)
    xa, wa = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    out = F.prelu(xa, wa)
    out.backward(ad.tensor(g))
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out_t = torch.nn.functional.prelu(xt, wt)
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(wa.grad.numpy(), wt.grad.numpy(), rtol=1e-12)
    assert out.grad_fn.name() == "PreluKernelBackward0"


@given(arrays((2, 3, 2), kinks=(0.0,)), st.lists(st.floats(0.05, 0.9), min_size=3, max_size=3))
def test_prelu_finite_differences(x, slopes):
    w = ad.tensor(np.array(slopes), requires_grad=True)
    assert_gradients_match(F.prelu, x, w)


def test_prelu_module_learns_per_channel_slope():
    m = nn.PReLU(num_parameters=3, init=0.25)
    assert m.weight.shape == (3,) and m.weight.dtype == ad.get_default_dtype()
    assert np.all(m.weight.numpy() == np.float32(0.25))
    x = ad.tensor(-np.ones((2, 3), dtype=np.float32))
    m(x).sum().backward()
    np.testing.assert_array_equal(m.weight.grad.numpy(), [-2.0, -2.0, -2.0])
    with pytest.raises(ValueError, match="prelu: 3 slopes"):
        m(ad.ones(2, 4))


def test_saturated_and_extreme_inputs_stay_finite():
    x = ad.tensor(np.array([-1000.0, -50.0, 50.0, 1000.0]), requires_grad=True)
    for fn in (F.sigmoid, F.softplus, F.silu, F.elu, F.selu, F.gelu, lambda t: F.softmax(t, 0),
               lambda t: F.log_softmax(t, 0)):  # fmt: skip
        x.grad = None
        out = fn(x)
        out.sum().backward()
        assert np.isfinite(out.numpy()).all() and np.isfinite(x.grad.numpy()).all(), fn


MODULES = [
    (nn.ReLU(), F.relu), (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
    (nn.ELU(0.5), lambda x: F.elu(x, 0.5)), (nn.SELU(), F.selu), (nn.Sigmoid(), F.sigmoid),
    (nn.Tanh(), F.tanh), (nn.Softplus(beta=2.0), lambda x: F.softplus(x, 2.0)),
    (nn.SiLU(), F.silu), (nn.GELU("tanh"), lambda x: F.gelu(x, "tanh")),
    (nn.Softmax(dim=1), lambda x: F.softmax(x, 1)), (nn.LogSoftmax(dim=1), lambda x: F.log_softmax(x, 1)),
]  # fmt: skip


@pytest.mark.parametrize("module,fn", MODULES, ids=lambda m: type(m).__name__)
def test_modules_equal_their_functional_form(module, fn):
    x = ad.tensor(_data(seed=5))
    np.testing.assert_array_equal(module(x).numpy(), fn(x).numpy())
    assert list(module.parameters()) == []


def test_module_reprs_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [(nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)), (nn.ELU(0.5), torch.nn.ELU(0.5)),
             (nn.GELU("tanh"), torch.nn.GELU("tanh")), (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
             (nn.Softplus(2.0), torch.nn.Softplus(2.0)), (nn.PReLU(3), torch.nn.PReLU(3)),
             (nn.ReLU(), torch.nn.ReLU())]  # fmt: skip
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_float32_stays_float32():
    x = ad.randn(3, 4)
    for fn in (F.leaky_relu, F.elu, F.selu, F.softplus, F.silu, F.gelu):
        assert fn(x).dtype == np.float32
